/* Private to the IMAP client session (client.c, client_cmd.c,
 * client_auth.c, client_mailbox.c, client_caps.c): the in-flight table,
 * the command issuer and the helpers the files share. */
#ifndef MP_IMAP_CLIENT_INTERNAL_H
#define MP_IMAP_CLIENT_INTERNAL_H

#include "mailproto/imap_client.h"

/* No offset: a gate or a command end not known yet. */
#define MP_IMAPC_NONE UINT64_MAX

/* Flags of an in-flight command (mp_imap_client_cmd_.flags). */
enum {
    QF_OWN = 1u << 0,     /* written by the session itself */
    QF_BARRIER = 1u << 1, /* nothing is written behind it */
    QF_EXAMINE = 1u << 2, /* SELECT written as EXAMINE */
    QF_AFTER_AUTH = 1u << 3, /* the session's CAPABILITY after login */
    QF_STREAM = 1u << 4   /* APPEND: data streamed by the host, the end
                           * written by mp_imap_client_append_end() */
};

/* Command kinds for mp_imapc_check(). */
enum {
    K_ANY = 0,        /* any state after the greeting */
    K_NOT_AUTH,       /* not authenticated */
    K_AUTH,           /* authenticated (a mailbox may be selected) */
    K_SELECTED        /* a mailbox selected or being selected */
};

/* Writes one command's bytes with `tag` (a writer function of
 * imap_command.h behind a small adapter).  MP_PAUSED at a sync literal. */
typedef mp_status (*mp_imapc_write_fn)(mp_imap_writer *w, const char *tag, const void *arg);

/* The session failed: state FAILED, error recorded; returns `code`. */
mp_status mp_imapc_fail(mp_imap_client *c, mp_status code, uint64_t offset, const char *rule);

/* May a command of `kind` be written now (`barrier`: one of the commands
 * that are written alone)?  MP_OK, MP_PAUSED or MP_ERR_STATE. */
mp_status mp_imapc_check(const mp_imap_client *c, unsigned kind, int barrier);

/* Write a whole command, its sync literals included (held back behind
 * the first one until "+"), and put it in flight.  Whole or nothing. */
mp_status mp_imapc_issue(mp_imap_client *c, mp_imap_cmd_id id, unsigned qflags,
                         mp_imapc_write_fn fn, const void *arg, uint32_t *cmd);

/* The in-flight entry of command `tag`, or NULL. */
mp_imap_client_cmd_ *mp_imapc_find(mp_imap_client *c, uint32_t tag);

/* Output offset of the end of what is written now. */
static inline uint64_t mp_imapc_wpos(const mp_imap_client *c) { return c->sent + c->out.len; }

/* Set the parser's and the writer's modes from caps and ENABLE. */
void mp_imapc_apply_modes(mp_imap_client *c);

/* Give `ev` to the host; records a pause or an abort. */
void mp_imapc_emit(mp_imap_client *c, mp_imap_client_event *ev);

/* A zeroed event of `type` for the current line's command. */
void mp_imapc_event(const mp_imap_client *c, mp_imap_client_event *ev,
                    mp_imap_client_event_type type);

/* ---- SASL (client_auth.c) ---- */

/* Reached only through c->auth, which mp_imap_client_authenticate sets:
 * a host that never calls it links neither the challenge decoding nor
 * the SASL client. */
struct mp_imapc_auth_ops_ {
    /* The TEXT of a "+" to AUTHENTICATE: decode it into the scratch. */
    void (*challenge)(mp_imap_client *c, mp_slice text);
    /* "+" to AUTHENTICATE: step the SASL client with the decoded
     * challenge and write its response (or "*"). */
    mp_status (*cont)(mp_imap_client *c);
    /* The tagged OK to AUTHENTICATE: may it be believed (RFC 5802 §5)? */
    mp_status (*finish)(mp_imap_client *c);
};

/* ---- mailbox state (client_mailbox.c) ---- */

/* Parser events that describe the selected mailbox (RESPONSE already
 * given to the host); may fail the session. */
void mp_imapc_mbox_event(mp_imap_client *c, const mp_imap_resp_event *ev);
/* The first byte of an untagged line: number checks and the switch to a
 * new mailbox.  Fails the session on a violation. */
void mp_imapc_mbox_begin(mp_imap_client *c, const mp_imap_resp_event *ev);
/* The UID set of a VANISHED response (RFC 7162 §3.2.10). */
void mp_imapc_mbox_vanished(mp_imap_client *c, mp_slice set);
/* The end of an untagged line: apply it, give the summary events. */
void mp_imapc_mbox_end(mp_imap_client *c);
/* A SELECT/EXAMINE/CLOSE/UNSELECT completed with `status`. */
void mp_imapc_mbox_done(mp_imap_client *c, const mp_imap_client_cmd_ *q, mp_imap_resp_kind status);
/* The response code of the line (CODE event): a new mailbox starts at
 * [CLOSED] and at the codes SELECT sends. */
void mp_imapc_mbox_code(mp_imap_client *c);
/* Forget the mailbox. */
void mp_imapc_mbox_reset(mp_imap_client *c);

#endif
