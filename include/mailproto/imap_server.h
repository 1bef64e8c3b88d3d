/*
 * libmailproto — IMAP server session (RFC 9051 IMAP4rev2, RFC 3501
 * IMAP4rev1 and the extensions named below): a sans-I/O engine on the
 * command parser (imap_command.h) and the response writer (imap.h),
 * driven like every session of the library (docs/architecture.md).
 *
 * What the session does by itself: the greeting (OK or PREAUTH), the
 * states not authenticated / authenticated / selected / logout and which
 * commands each allows (RFC 9051 §3, §6), CAPABILITY computed from the
 * configuration and the state (LOGINDISABLED before TLS when the host
 * requires TLS), NOOP, LOGOUT, STARTTLS and COMPRESS=DEFLATE (transport
 * switches), LOGIN and AUTHENTICATE with SASL-IR on lib/sasl (the host
 * verifies the credentials, at once or later), ENABLE (CONDSTORE, QRESYNC,
 * UTF8=ACCEPT, IMAP4rev2: the codecs change mode between the command and
 * the next one), ID, IDLE/DONE, the "+" of synchronizing literals,
 * pipelined commands executed one at a time in order (RFC 9051 §5.5),
 * BAD for bad commands and BYE after too many of them, and the changes
 * other sessions made (new mail, expunges, flags) sent at the first moment
 * the RFC allows.
 *
 * Every mailbox and message command is the host's: it arrives as a
 * stream of typed request events (the parsed command) and is answered
 * through mp_imap_server_respond() / _literal_data() / _complete(), which
 * check that only responses legal for that command are written, that the
 * tagged completion comes exactly once, and that no EXPUNGE is sent while
 * FETCH, STORE or SEARCH is answered (RFC 9051 §7.5.1).
 *
 * Guide: docs/imap-server.md, with a complete program.
 */
#ifndef MAILPROTO_IMAP_SERVER_H
#define MAILPROTO_IMAP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "imap.h"
#include "imap_command.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Configuration flags (mp_imap_server_config.flags).  Each capability the
 * session implements itself is advertised only when its flag is set. */
enum {
    MP_IMAP_SRV_STARTTLS = 1u << 0,   /* offer STARTTLS while in plaintext */
    MP_IMAP_SRV_TLS_ACTIVE = 1u << 1, /* the transport is already TLS */
    /* No login before TLS: LOGINDISABLED is advertised, LOGIN and the
     * mechanisms that show a password (PLAIN, LOGIN, bearer tokens) are
     * neither offered nor accepted ("NO [PRIVACYREQUIRED]") in plaintext.
     * Without it they are still not offered in plaintext, unless
     * MP_IMAP_SRV_AUTH_PLAINTEXT. */
    MP_IMAP_SRV_REQUIRE_TLS = 1u << 2,
    MP_IMAP_SRV_AUTH_PLAINTEXT = 1u << 3, /* allow every login in plaintext (risky) */
    MP_IMAP_SRV_LOGIN = 1u << 4,      /* accept LOGIN (needs `sasl`: it runs as PLAIN) */
    MP_IMAP_SRV_PREAUTH = 1u << 5,    /* greet with PREAUTH: authenticated already */
    MP_IMAP_SRV_REV2 = 1u << 6,       /* offer IMAP4rev2 (ENABLE IMAP4rev2) */
    MP_IMAP_SRV_NO_REV1 = 1u << 7,    /* IMAP4rev2 only: rev2 from the first byte
                                         (needs MP_IMAP_SRV_REV2) */
    MP_IMAP_SRV_SASL_IR = 1u << 8,    /* SASL-IR (RFC 4959) */
    MP_IMAP_SRV_ENABLE = 1u << 9,     /* ENABLE (RFC 5161); implied by REV2 */
    MP_IMAP_SRV_CONDSTORE = 1u << 10, /* CONDSTORE (RFC 7162): advertised, enableable */
    MP_IMAP_SRV_QRESYNC = 1u << 11,   /* QRESYNC (RFC 7162): VANISHED once enabled */
    MP_IMAP_SRV_UTF8_ACCEPT = 1u << 12, /* UTF8=ACCEPT (RFC 6855) */
    MP_IMAP_SRV_IDLE = 1u << 13,      /* IDLE (RFC 2177) */
    MP_IMAP_SRV_ID = 1u << 14,        /* ID (RFC 2971): answered "* ID NIL" or
                                         with `id_name` */
    MP_IMAP_SRV_LITERAL_MINUS = 1u << 15, /* LITERAL- (RFC 7888): non-sync
                                             literals up to 4096 octets */
    MP_IMAP_SRV_COMPRESS = 1u << 16,  /* COMPRESS=DEFLATE (RFC 4978) after login;
                                         the host brings deflate */
    /* No [CAPABILITY ...] code in the greeting and the login completion
     * (RFC 3501 §8 style: the client asks with CAPABILITY). */
    MP_IMAP_SRV_QUIET_CAPS = 1u << 17
};

/* Session states (RFC 9051 §3). */
typedef enum mp_imap_server_state {
    MP_IMAP_SS_NOT_AUTH = 0,
    MP_IMAP_SS_AUTH,
    MP_IMAP_SS_SELECTED,
    MP_IMAP_SS_LOGOUT   /* BYE written: send the output, then close */
} mp_imap_server_state;

/* What the session waits for from the host (mp_imap_server_pending). */
typedef enum mp_imap_server_decision {
    MP_IMAP_DECIDE_NONE = 0,
    MP_IMAP_DECIDE_COMMAND, /* a host command executes: respond, complete */
    MP_IMAP_DECIDE_LITERAL, /* an APPEND message's sync literal: accept or refuse */
    MP_IMAP_DECIDE_AUTH     /* LOGIN / AUTHENTICATE needs the host (on_auth) */
} mp_imap_server_decision;

/* Request events of a host command, in stream order. */
typedef enum mp_imap_server_req_type {
    MP_IMAP_REQ_BEGIN = 1,  /* tag, cmd */
    MP_IMAP_REQ_ARG,        /* arg: one parsed argument (imap_command.h) */
    MP_IMAP_REQ_DATA,       /* data: literal bytes after an APPEND_MSG,
                               CAT_TEXT or streamed STRING argument */
    MP_IMAP_REQ_DATA_END,   /* that literal ended */
    /* The command is complete and valid: execute it and answer
     * (MP_IMAP_DECIDE_COMMAND), in the callback or later. */
    MP_IMAP_REQ_EXECUTE,
    /* The command turned out bad (syntax, a refused literal, a limit):
     * drop what its events built.  The session answered it itself. */
    MP_IMAP_REQ_CANCEL
} mp_imap_server_req_type;

/* One request event; pointers are valid only during the callback. */
typedef struct mp_imap_server_req {
    mp_imap_server_req_type type;
    mp_imap_cmd_id cmd;
    mp_slice tag;
    const mp_imap_cmd_arg *arg; /* MP_IMAP_REQ_ARG */
    mp_slice data;              /* MP_IMAP_REQ_DATA */
} mp_imap_server_req;

typedef struct mp_imap_server mp_imap_server;

/*
 * Events.  Every callback may be NULL.  A callback returns 0 to go on or
 * non-zero to abort the feed (mp_imap_server_feed returns MP_ERR_ABORTED;
 * the session stays usable).  The host may answer a decision inside the
 * callback or later; until it does, feed returns MP_PAUSED and reads no
 * further command.
 */
typedef struct mp_imap_server_callbacks {
    /* A host command (every command the session does not run itself). */
    int (*on_request)(void *user, mp_imap_server *s, const mp_imap_server_req *r);
    /* APPEND announced a synchronizing literal of `size` octets for a
     * message (or CATENATE TEXT part): accept with
     * mp_imap_server_literal_accept() (the session sends "+") or refuse
     * with mp_imap_server_literal_refuse() ("tag NO [TOOBIG]", [LIMIT],
     * [TRYCREATE] ...; the client sends no literal).  NULL: accepted. */
    int (*on_literal)(void *user, mp_imap_server *s, uint64_t size);
    /* LOGIN / AUTHENTICATE: the SASL exchange (config->sasl) needs the
     * host: read sasl->want / authcid / password, answer with
     * mp_sasl_server_verify() / _set_scram() / _set_secret(), then call
     * mp_imap_server_auth_resume().  NULL: every credential is refused. */
    int (*on_auth)(void *user, mp_imap_server *s);
    /* IDLE began (active 1: watch the mailbox, call the notify functions)
     * or ended (0).  A notification. */
    int (*on_idle)(void *user, mp_imap_server *s, int active);
    /* Something the session handled itself (a bad command, a command in
     * the wrong state, bytes after STARTTLS, the error limit): for logs. */
    void (*on_error)(void *user, mp_imap_server *s, const mp_error *e);
} mp_imap_server_callbacks;

struct mp_sasl_server;
struct mp_sasl_server_config;
struct mp_crypto_provider;

/* Host buffer (config->buf): the command parser's assembly buffer, then
 * SASL scratch (a decoded response and a challenge) when logins are
 * possible.  Smaller parser parts lower the string limits. */
#define MP_IMAP_SERVER_AUTH_SCRATCH (2u * MP_SASL_MAX_MESSAGE)
#define MP_IMAP_SERVER_BUF (MP_IMAP_CMD_PARSER_BUF + MP_IMAP_SERVER_AUTH_SCRATCH)

/* Smallest output buffer: the session's own responses (the capability
 * line, a SASL challenge) must fit in half of it, since it reads no new
 * command while the output is more than half full. */
#define MP_IMAP_SERVER_MIN_OUT 4096u

/*
 * Configuration; borrowed (must outlive the session).  Strings are
 * NUL-terminated.  `greeting`: the greeting's text (NULL: "ready").
 * `bye`: the BYE text at LOGOUT (NULL: "Logging out").  `caps`: capability
 * atoms the host implements, space-separated (UIDPLUS MOVE NAMESPACE ...),
 * advertised once authenticated; `caps_any`: atoms advertised in every
 * state.  Together with the session's own at most 1024 characters.
 * `auth_mechs`: mechanisms for AUTHENTICATE ("SCRAM-SHA-256 PLAIN"), may
 * be NULL; `sasl`, `sasl_cfg`, `crypto` as in smtp.h (sasl.h); `sasl` is
 * needed for AUTHENTICATE and LOGIN.  `buf[0..buf_cap)`: the parser's
 * buffer plus, with logins, MP_IMAP_SERVER_AUTH_SCRATCH bytes at its end
 * (MP_IMAP_SERVER_BUF suits every default limit; at least 1024 + the
 * scratch).  `max_errors`: bad commands before "* BYE" (0:
 * MP_IMAP_SERVER_MAX_ERRORS).  `parser`: limits and quirks of the command
 * parser (may be NULL); its mode is the session's.  `id_name`: the name
 * answered to ID (NULL: "* ID NIL").
 */
typedef struct mp_imap_server_config {
    unsigned flags; /* MP_IMAP_SRV_* */
    const char *greeting;
    const char *bye;
    const char *caps;
    const char *caps_any;
    const char *auth_mechs;
    struct mp_sasl_server *sasl;
    const struct mp_sasl_server_config *sasl_cfg;
    const struct mp_crypto_provider *crypto;
    char *buf;
    size_t buf_cap;
    unsigned max_errors;
    const mp_imap_cmd_config *parser;
    const char *id_name;
} mp_imap_server_config;

/* One queued notification (private). */
typedef struct mp_imap_server_note_ {
    uint64_t modseq;
    uint32_t num; /* EXISTS count, or message number */
    uint32_t uid;
    uint16_t text; /* FLAGS: offset of the flag text in ntext */
    uint8_t kind;
    uint8_t tlen;
} mp_imap_server_note_;

/*
 * The session.  Place it anywhere; it holds pointers to the host's
 * buffers, so use one copy only.  Fields are private except those a
 * comment names readable.  sizeof is in docs/imap-server.md (tested at
 * most 4 KiB).
 */
struct mp_imap_server {
    mp_imap_cmd_parser parser;
    mp_imap_resp_writer w;
    mp_outbuf out;
    const mp_imap_server_config *cfg;
    const mp_imap_server_callbacks *cb;
    void *user;
    mp_error last_error;  /* readable: the last error given to on_error */
    uint64_t injected;    /* readable: bytes dropped after STARTTLS */
    size_t chal_unsent;   /* output bytes up to the end of the last SASL
                             challenge not yet sent */
    unsigned errors;
    uint32_t auth_set;    /* mp_sasl_mech_set of auth_mechs */
    uint8_t state;        /* mp_imap_server_state (readable) */
    uint8_t pending;      /* mp_imap_server_decision */
    uint8_t cmd;          /* command being parsed or executed */
    uint8_t own;          /* it is the session's own command */
    uint8_t refused;      /* answered already (state, literal refusal) */
    uint8_t completed;    /* the tagged completion was written */
    uint8_t tls;          /* readable: the transport is TLS */
    uint8_t compressed;   /* COMPRESS is active */
    uint8_t switching;    /* 1 STARTTLS, 2 COMPRESS: waiting for the host */
    uint8_t idling;       /* IDLE "+" written, waiting for DONE */
    uint8_t enabled;      /* what ENABLE switched on (private bits: read
                             mp_imap_server_enabled()) */
    uint8_t enable_now;   /* ENABLE: bits of this command */
    uint8_t aborted;
    uint8_t in_cb;
    uint8_t expunge_ok;   /* EXPUNGE may be written for this command */
    uint8_t auth_cmd;     /* the exchange is LOGIN (1) or AUTHENTICATE (2) */
    uint8_t arg_n;        /* own commands: arguments seen */
    uint8_t bad_arg;      /* own commands: an argument was refused */
    uint8_t taglen;
    uint8_t nnotes;
    uint16_t ntext_len;
    uint8_t mech;         /* mp_sasl_mech of AUTHENTICATE */
    uint8_t ir;           /* AUTHENTICATE came with an initial response */
    uint16_t login_len[2];
    char tag[MP_IMAP_MAX_TAG + 1]; /* the command's tag, NUL-terminated */
    mp_imap_server_note_ notes[MP_IMAP_SERVER_NOTIFY_QUEUE];
    char ntext[MP_IMAP_SERVER_NOTIFY_TEXT];
};

/*
 * Start a session: checks the configuration, writes the greeting ("* OK"
 * or "* PREAUTH", with the capabilities unless MP_IMAP_SRV_QUIET_CAPS)
 * into `out[0..out_cap)`.  Borrowed: cfg, cb, out.  Errors: MP_ERR_ARG
 * (NULL pointer, out_cap < MP_IMAP_SERVER_MIN_OUT, a buffer too small,
 * logins without `sasl`, a bad mechanism list, capability strings too long
 * or not printable), MP_ERR_UNSUPPORTED (logins without MP_ENABLE_SASL).
 */
mp_status mp_imap_server_init(mp_imap_server *s, const mp_imap_server_config *cfg,
                              const mp_imap_server_callbacks *cb, void *user, char *out,
                              size_t out_cap);

/*
 * Feed bytes from the client.  Commands run one at a time, in order;
 * responses are appended to the output in order.  `*used` says how many
 * bytes were consumed; pass the rest again later.  Returns:
 *  MP_OK                all consumed, nothing pending
 *  MP_PAUSED            a decision is pending (mp_imap_server_pending), or
 *                       the output is more than half full (send it), or a
 *                       SASL exchange waits for a response sent after its
 *                       challenge: answer / send, then feed the rest
 *  MP_TRANSPORT_SWITCH  STARTTLS or COMPRESS accepted: `*used` stops right
 *                       after the command's CRLF.  Send the output, then
 *                       start the layer and call mp_imap_server_tls_started()
 *                       / _compress_started().  After STARTTLS the bytes
 *                       behind `*used` in this input are plaintext injected
 *                       ahead of TLS: drop them (counted in s->injected,
 *                       reported as MP_ERR_TLS_INJECTION).  After COMPRESS
 *                       they are the client's first compressed bytes: give
 *                       them to the inflater.
 *  MP_CLOSED            LOGOUT, the error limit, shutdown: send, then close
 *  MP_ERR_ABORTED       a callback returned non-zero
 *  MP_ERR_STATE         feed during a switch or from inside a callback
 * Bad commands are answered BAD and never returned.
 */
mp_status mp_imap_server_feed(mp_imap_server *s, const char *in, size_t len, size_t *used);

/* Bytes to send (`*len`); valid until the next call on `s`. */
const char *mp_imap_server_output(mp_imap_server *s, size_t *len);
/* `n` output bytes were sent.  During IDLE queued notifications move into
 * the room made. */
void mp_imap_server_output_done(mp_imap_server *s, size_t n);

/* The pending decision. */
mp_imap_server_decision mp_imap_server_pending(const mp_imap_server *s);

/*
 * Answer the executing host command (MP_IMAP_DECIDE_COMMAND) with one
 * event of an untagged response (imap.h writer events, whole-response
 * mode: on MP_ERR_NO_SPACE at END send output and write the response again
 * from its BEGIN).  Checked first: a BEGIN must be untagged and of a kind
 * this command may produce (MP_ERR_IMAP_SRV_RESPONSE; e.g. LIST to LIST,
 * FETCH to FETCH/STORE, SEARCH/ESEARCH to SEARCH, and to any command in
 * the selected state EXISTS, RECENT (rev1), FLAGS, FETCH, EXPUNGE,
 * VANISHED, untagged OK/NO/BAD); EXPUNGE and VANISHED while FETCH, STORE
 * or SEARCH (not their UID forms) is answered are
 * MP_ERR_IMAP_SRV_EXPUNGE.  Returns the writer's status otherwise;
 * MP_ERR_STATE when no host command executes,
 * MP_ERR_IMAP_SRV_COMPLETED after its completion.
 */
mp_status mp_imap_server_respond(mp_imap_server *s, const mp_imap_resp_event *ev);
/* Inside a streamed literal (FETCH BODY[] / BINARY[]: LITERAL_BEGIN with
 * the size first): append as much of p[0..n) as fits; `*taken` says how
 * much.  As mp_imap_resp_write_literal_data(), plus the checks above. */
mp_status mp_imap_server_literal_data(mp_imap_server *s, const char *p, size_t n,
                                      size_t *taken);

/*
 * The tagged completion of the executing host command, exactly once
 * (MP_ERR_IMAP_SRV_COMPLETED the second time): `kind` OK, NO or BAD
 * (MP_ERR_ARG otherwise), `code` without brackets and `text` may be NULL.
 * Queued notifications the RFC allows now are written before it.  SELECT /
 * EXAMINE completed OK select the mailbox, NO or BAD leave none selected;
 * CLOSE / UNSELECT completed OK leave the selected state.  MP_ERR_NO_SPACE:
 * nothing final was written; send output and call again.  MP_ERR_STATE
 * while a response is open.
 */
mp_status mp_imap_server_complete(mp_imap_server *s, mp_imap_resp_kind kind, const char *code,
                                  const char *text);

/* One untagged status line for the executing host command, e.g.
 * "* OK [UIDVALIDITY 3857529045] UIDs valid": `kind` OK, NO or BAD
 * (MP_ERR_ARG otherwise), `code` without brackets and `text` may be NULL.
 * Whole or nothing; returns as mp_imap_server_respond(). */
mp_status mp_imap_server_untagged(mp_imap_server *s, mp_imap_resp_kind kind, const char *code,
                                  const char *text);

/* Answer MP_IMAP_DECIDE_LITERAL: "+ Ready for literal data" and the bytes
 * come as MP_IMAP_REQ_DATA; or "tag NO [code] text" (code such as
 * "TOOBIG", "LIMIT", "TRYCREATE"; NULL for none) and the command ends
 * there (MP_IMAP_REQ_CANCEL follows).  MP_ERR_STATE when not pending. */
mp_status mp_imap_server_literal_accept(mp_imap_server *s);
mp_status mp_imap_server_literal_refuse(mp_imap_server *s, const char *code, const char *text);

/* Continue the exchange after on_auth (see there).  On success the
 * session is authenticated (s->cfg->sasl->authcid says who; the host must
 * still check authzid).  MP_ERR_STATE when no AUTH decision is pending. */
mp_status mp_imap_server_auth_resume(mp_imap_server *s);

/* The host started TLS / deflate after MP_TRANSPORT_SWITCH.  MP_ERR_STATE
 * when no such switch is pending. */
mp_status mp_imap_server_tls_started(mp_imap_server *s);
mp_status mp_imap_server_compress_started(mp_imap_server *s);

/*
 * Changes made by others to the selected mailbox, reported at any time
 * (also inside callbacks).  The session writes each at the first moment
 * RFC 9051 §5.2, §7.5.1 allow: at once during IDLE, else just before the
 * tagged completion of the next command (NOOP included); EXPUNGE (VANISHED
 * once QRESYNC is enabled; `uid` must then be non-zero) is held back
 * while FETCH, STORE or SEARCH is answered, and so is everything queued
 * after it (the order is kept: message numbers depend on it).
 *  - exists: the mailbox now holds `count` messages (consecutive ones
 *    merge).
 *  - expunge: message `msgno` (uid `uid`, 0 when unknown) is gone.
 *  - flags: message `msgno` now has `flags` (space-separated flags, e.g.
 *    "\\Seen $Junk"; at most 255 bytes); "* n FETCH (FLAGS (...) [UID u]
 *    [MODSEQ (m)])" with UID when `uid` is non-zero and MODSEQ when
 *    `modseq` is (pass 0 unless CONDSTORE is in use).
 * Overflow: MP_IMAP_SERVER_NOTIFY_QUEUE notes and MP_IMAP_SERVER_NOTIFY_TEXT
 * bytes of flag text are queued at most; a note that does not fit is
 * refused with MP_ERR_IMAP_SRV_NOTIFY_FULL and nothing changes: the host
 * keeps the change and reports it again after the next command completes
 * (or, when the client never sends one, ends the session with
 * mp_imap_server_shutdown()).  MP_ERR_STATE when no mailbox is selected
 * (the queue is dropped when the mailbox is closed or another selected);
 * MP_ERR_BAD_VALUE for bad flag text or a zero msgno.
 */
mp_status mp_imap_server_notify_exists(mp_imap_server *s, uint32_t count);
mp_status mp_imap_server_notify_expunge(mp_imap_server *s, uint32_t msgno, uint32_t uid);
mp_status mp_imap_server_notify_flags(mp_imap_server *s, uint32_t msgno, uint32_t uid,
                                      uint64_t modseq, const char *flags);

/* The host ends the session: "* BYE text" (NULL: "Server shutting down"),
 * MP_ERR_STATE while a host response is open (call after its END),
 * state LOGOUT; any pending decision is dropped.  MP_ERR_NO_SPACE when
 * the output has no room: send some and call again. */
mp_status mp_imap_server_shutdown(mp_imap_server *s, const char *text);

/* What the client has enabled (RFC 5161), as MP_IMAP_SRV_CONDSTORE,
 * _QRESYNC (which implies CONDSTORE), _UTF8_ACCEPT and _REV2 bits; 0
 * before any ENABLE.  A FETCH MODSEQ or SELECT (CONDSTORE) that enables
 * CONDSTORE implicitly (RFC 7162 §3.1) is the host's to track. */
unsigned mp_imap_server_enabled(const mp_imap_server *s);

/* The session's response writer, for code that writes response items
 * itself (lib/mime's mp_mime_write_item: ENVELOPE, BODYSTRUCTURE) inside
 * a response the host opened with mp_imap_server_respond(), which checked
 * it; and before its END.  Pointer valid as long as the session; writing
 * through it at any other moment bypasses the session's checks. */
mp_imap_resp_writer *mp_imap_server_writer(mp_imap_server *s);

/* Current state. */
static inline mp_imap_server_state mp_imap_server_state_of(const mp_imap_server *s)
{
    return (mp_imap_server_state)s->state;
}

#ifdef __cplusplus
}
#endif

#endif /* MAILPROTO_IMAP_SERVER_H */
