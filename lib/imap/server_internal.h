/* Private to the IMAP server session (server.c, server_auth.c,
 * server_host.c): what the files share. */
#ifndef MP_IMAP_SERVER_INTERNAL_H
#define MP_IMAP_SERVER_INTERNAL_H

#include "mailproto/imap_server.h"

/* Protocol features a client may ENABLE (mp_imap_server.enabled). */
enum {
    EN_CONDSTORE = 1u << 0,
    EN_QRESYNC = 1u << 1,
    EN_UTF8 = 1u << 2,
    EN_REV2 = 1u << 3
};

/* mp_imap_server.refused: a status, or this when the host refused an
 * APPEND literal (its NO is the answer). */
#define RF_HOST_NO 1u

/* Notification kinds (mp_imap_server_note_.kind). */
enum { NOTE_EXISTS = 1, NOTE_EXPUNGE, NOTE_FLAGS };

/* A status response from the session: `tag` NULL for untagged.  A
 * response the session owes but cannot write ends the session: the
 * output guarantees of mp_imap_server_feed make that a host bug. */
void mp_imaps_say(mp_imap_server *s, const char *tag, mp_imap_resp_kind kind, const char *code,
                  const char *text);
/* A client error answered "BAD" (or `kind`), reported to on_error and
 * counted against the error limit. */
void mp_imaps_bad(mp_imap_server *s, const char *tag, mp_imap_resp_kind kind, const char *code,
                  const char *text, mp_status why, uint64_t offset, const char *rule);
/* The capability atoms for the current state, space-separated. */
void mp_imaps_put_caps(mp_imap_server *s, mp_outbuf *ob);
/* "tag OK [CAPABILITY ...] text" (the code unless MP_IMAP_SRV_QUIET_CAPS). */
void mp_imaps_ok_caps(mp_imap_server *s, const char *text);
/* Authentication succeeded: the authenticated state. */
void mp_imaps_logged_in(mp_imap_server *s);
/* Write queued notifications; `expunge_ok` 0 stops at the first EXPUNGE.
 * MP_OK when the queue is empty or stopped there, MP_ERR_NO_SPACE when
 * the output filled first. */
mp_status mp_imaps_flush_notes(mp_imap_server *s, int expunge_ok);
/* Drop every queued notification (the mailbox changes). */
void mp_imaps_drop_notes(mp_imap_server *s);
/* A login may go in clear / mechanism `mech` may be used now. */
int mp_imaps_login_ok(const mp_imap_server *s);
/* The parser callbacks' return: pause when the session must stop. */
int mp_imaps_ret(mp_imap_server *s);

/* Send "+" for the waiting literal. */
void mp_imaps_literal_accept(mp_imap_server *s);

/* server_auth.c */
mp_status mp_imaps_auth_init(mp_imap_server *s);
void mp_imaps_auth_caps(mp_imap_server *s, mp_outbuf *ob);
void mp_imaps_auth_arg(mp_imap_server *s, const mp_imap_cmd_arg *a);
void mp_imaps_auth_run(mp_imap_server *s, uint64_t offset);
void mp_imaps_auth_line(mp_imap_server *s, mp_slice line, int cancel, uint64_t offset);
void mp_imaps_auth_end(mp_imap_server *s, int ok);

#endif
