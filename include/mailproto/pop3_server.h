/*
 * libmailproto — POP3 server session.
 *
 * RFC 1939 (AUTHORIZATION -> TRANSACTION -> UPDATE), RFC 2449 (CAPA,
 * response codes, PIPELINING), RFC 2595 (STLS), RFC 3206 (SYS and AUTH
 * response codes), RFC 5034 (SASL AUTH), RFC 6856 (UTF8).
 *
 * The host owns the maildrop: the listing, the content, the deletion marks
 * and the lock.  The session reads commands, asks the host one question
 * at a time (mp_pop3_server_pending), writes every answer in order and
 * byte-stuffs the content the host streams through it.  Nothing a client
 * DELEtes is removed by the session: the host marks, and commits only
 * when it is asked MP_POP3_DECIDE_UPDATE after QUIT; a connection that
 * drops commits nothing (RFC 1939 §6).
 *
 * Nothing here allocates.  Guide: docs/pop3-server.md, with a complete
 * program.
 */
#ifndef MAILPROTO_POP3_SERVER_H
#define MAILPROTO_POP3_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "pop3.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Server configuration flags (mp_pop3_server_config.flags). */
enum {
    MP_POP3_SRV_STLS = 1u << 0,         /* offer STLS while in cleartext */
    MP_POP3_SRV_TLS_ACTIVE = 1u << 1,   /* the transport is already TLS */
    /* USER/PASS and the SASL mechanisms that send the password readable
     * (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) only under TLS: refused in
     * cleartext with "-ERR [AUTH]" and left out of CAPA.  Strongly
     * recommended with MP_POP3_SRV_STLS (RFC 2595 §2.1, RFC 8314). */
    MP_POP3_SRV_TLS_REQUIRED = 1u << 2,
    MP_POP3_SRV_APOP = 1u << 3,         /* offer APOP (needs crypto->md5) */
    MP_POP3_SRV_AUTH = 1u << 4,         /* offer AUTH (RFC 5034; needs sasl) */
    MP_POP3_SRV_NO_USER = 1u << 5,      /* do not offer USER/PASS at all */
    MP_POP3_SRV_UTF8 = 1u << 6,         /* offer UTF8 (RFC 6856 §2) */
    /* Ask the host for LIST and UIDL listings one message at a time
     * (1..count of the maildrop, a refusal skips a deleted message)
     * instead of once for the whole listing. */
    MP_POP3_SRV_LIST_EACH = 1u << 7,
    /* The host's content is stored with LF line ends (a Maildir): the
     * session turns bare LF (and bare CR) into CRLF on the way out
     * (MP_DOT_ENC_NORMALIZE).  Without it content must be CRLF already
     * and a bare CR, LF or NUL in it stops the answer (see
     * mp_pop3_server_content). */
    MP_POP3_SRV_CONTENT_LF = 1u << 8,
    MP_POP3_SRV_LAX = 1u << 9           /* MP_POP3_CMD_LAX for every command */
};

/* Which host decision the session waits for (mp_pop3_server_pending), and
 * the answers each one takes; mp_pop3_server_err() refuses any of them. */
typedef enum mp_pop3_decision {
    MP_POP3_DECIDE_NONE = 0,
    MP_POP3_DECIDE_USER,    /* USER name: _ok (the session then waits for
                               PASS); the host keeps the name */
    MP_POP3_DECIDE_PASS,    /* PASS secret for the name USER gave: check it,
                               lock the maildrop, then _open; a wrong
                               password: _err with MP_POP3_CODE_AUTH,
                               later if the host slows guessing down; a
                               locked maildrop: MP_POP3_CODE_IN_USE */
    MP_POP3_DECIDE_APOP,    /* APOP name digest: look up the secret, check
                               with mp_pop3_server_apop_check(), then as PASS */
    MP_POP3_DECIDE_AUTH,    /* the SASL exchange needs the host: see
                               mp_pop3_server_auth_resume() */
    MP_POP3_DECIDE_LOGIN,   /* SASL succeeded (sasl->authcid, authzid):
                               lock the maildrop, then as PASS */
    MP_POP3_DECIDE_STAT,    /* _stat */
    MP_POP3_DECIDE_LIST,    /* msgno > 0: _list for it; msgno 0: the whole
                               scan listing, _list per message then
                               _listing_end */
    MP_POP3_DECIDE_UIDL,    /* as LIST with _uidl */
    MP_POP3_DECIDE_RETR,    /* _content_begin, _content..., _content_end */
    MP_POP3_DECIDE_TOP,     /* as RETR; the session cuts header + lines */
    MP_POP3_DECIDE_DELE,    /* mark msgno deleted: _ok */
    MP_POP3_DECIDE_RSET,    /* unmark every message: _ok */
    MP_POP3_DECIDE_UPDATE   /* QUIT in TRANSACTION: remove the marked
                               messages, unlock, then _ok (the session says
                               goodbye and closes) or _err with
                               MP_POP3_CODE_SYS_TEMP (RFC 1939 §6: some
                               could not be removed; it closes too) */
} mp_pop3_decision;

/* Session states (mp_pop3_server_state_of); public for logs and tests. */
typedef enum mp_pop3_server_state {
    MP_POP3_SS_AUTHORIZATION = 0,
    MP_POP3_SS_USER,         /* USER accepted, PASS expected */
    MP_POP3_SS_AUTH,         /* inside a SASL exchange */
    MP_POP3_SS_TRANSACTION,
    MP_POP3_SS_CONTENT,      /* streaming a RETR/TOP answer or a listing */
    MP_POP3_SS_TLS,          /* stopped at an STLS switch */
    MP_POP3_SS_CLOSED        /* QUIT answered, error limit, shutdown */
} mp_pop3_server_state;

/* What a decision is about (the argument of the callback). */
typedef struct mp_pop3_request {
    mp_pop3_decision decision;
    uint32_t msgno;  /* LIST, UIDL (0: the whole listing), RETR, TOP, DELE */
    uint32_t lines;  /* TOP: body lines */
    mp_slice name;   /* USER, APOP: the name as sent */
    mp_slice secret; /* PASS: the password (wipe any copy); APOP: the
                        digest as sent */
} mp_pop3_request;

typedef struct mp_pop3_server mp_pop3_server;

/*
 * Callbacks; `user` is the pointer given to mp_pop3_server_init().
 * on_decide is required; the others may be NULL.  A callback returns 0 to
 * go on or non-zero to abort the feed (mp_pop3_server_feed returns
 * MP_ERR_ABORTED; the session stays usable).  on_decide is a question: the
 * host answers with the functions of its decision, inside the callback or
 * later; until then feed returns MP_PAUSED and reads nothing more.  `rq`
 * and its slices are valid only during the callback: copy what a later
 * answer needs.
 */
typedef struct mp_pop3_server_callbacks {
    int (*on_decide)(void *user, mp_pop3_server *s, const mp_pop3_request *rq);
    /* Something the session handled itself went wrong (a bad command,
     * the error limit, bytes after STLS): for logging, with the stream
     * offset.  Not a question. */
    void (*on_error)(void *user, mp_pop3_server *s, const mp_error *e);
} mp_pop3_server_callbacks;

struct mp_sasl_server;
struct mp_sasl_server_config;
struct mp_crypto_provider;

/* Bytes at the end of `line_buf` used as SASL scratch (a decoded response
 * and a challenge) when AUTH is offered. */
#define MP_POP3_SERVER_AUTH_SCRATCH (2u * MP_SASL_MAX_MESSAGE)
/* Line buffer a session needs: without AUTH, and with AUTH. */
#define MP_POP3_SERVER_LINE_BUF (MP_POP3_MAX_COMMAND_LINE - 2u)
#define MP_POP3_SERVER_LINE_BUF_AUTH (MP_POP3_MAX_AUTH_LINE - 2u + MP_POP3_SERVER_AUTH_SCRATCH)
/* Smallest output buffer: room for the longest line the session writes
 * (CAPA's lines count one by one) plus one host answer. */
#define MP_POP3_SERVER_MIN_OUT 1024u

/*
 * Configuration; borrowed (must outlive the session, never copied).
 *  hostname        NUL-terminated, 1..64 printable ASCII without space:
 *                  the greeting and the APOP timestamp name it
 *  line_buf        at least MP_POP3_SERVER_LINE_BUF bytes
 *                  (MP_POP3_SERVER_LINE_BUF_AUTH with AUTH), or
 *                  limits.command_line - 2 when raised
 *  limits          command line and argument limits (zero: config.h)
 *  apop_timestamp  APOP: the greeting's timestamp, "<...@...>" (NULL: the
 *                  session makes "<16 hex digits@hostname>" from
 *                  crypto->random; a host that sets it makes it unique
 *                  per session, RFC 1939 §7)
 *  crypto          md5 and random for APOP; what SASL mechanisms need
 *  auth_mechs      AUTH: the mechanisms offered, space-separated, in the
 *                  order CAPA lists them (at most 200 characters)
 *  sasl, sasl_cfg  AUTH: host storage for the exchange and its parameters
 *  login_delay     CAPA LOGIN-DELAY seconds (0: not advertised; the host
 *                  enforces it by refusing a login with
 *                  MP_POP3_CODE_LOGIN_DELAY)
 *  expire          CAPA EXPIRE days (0: not advertised; EXPIRE 0 is
 *                  MP_POP3_SRV_EXPIRE_ZERO, MP_POP3_EXPIRE_NEVER is NEVER)
 *  implementation  CAPA IMPLEMENTATION text (NULL: not advertised)
 */
typedef struct mp_pop3_server_config {
    const char *hostname;
    unsigned flags;          /* MP_POP3_SRV_* */
    char *line_buf;
    size_t line_cap;
    mp_pop3_limits limits;
    const char *apop_timestamp;
    const struct mp_crypto_provider *crypto;
    const char *auth_mechs;
    struct mp_sasl_server *sasl;
    const struct mp_sasl_server_config *sasl_cfg;
    uint32_t login_delay;
    uint32_t expire;
    const char *implementation;
} mp_pop3_server_config;

/* EXPIRE 0 (messages are deleted at QUIT whatever the client does):
 * 0 in `expire` means "not advertised". */
#define MP_POP3_SRV_EXPIRE_ZERO (UINT32_MAX - 1u)

/* The session.  Place it anywhere; it holds no pointer into itself, but a
 * copy would share the host's buffers, so use one copy only.  Fields are
 * private except `last_error`, `injected`, `tls` and `count` (readable).
 * sizeof is 304 bytes on x86-64 (tests/pop3/test_server.c checks <= 320);
 * the host adds its output buffer (>= MP_POP3_SERVER_MIN_OUT), its line
 * buffer and, with AUTH, an mp_sasl_server. */
struct mp_pop3_server {
    const mp_pop3_server_config *cfg;
    const mp_pop3_server_callbacks *cb;
    void *user;
    mp_outbuf out;
    mp_line_framer framer;
    mp_error last_error;     /* the last error handed to on_error */
    uint64_t injected;       /* bytes discarded after STLS (last switch) */
    mp_pop3_request rq;      /* the decision asked (slices: call only) */
    mp_pop3_top_cutter top;  /* TOP: where the answer ends */
    mp_dot_encoder enc;      /* RETR/TOP content stuffing */
    uint32_t count;          /* messages in the maildrop (from _open) */
    uint32_t next;           /* LIST_EACH: the next message to ask about */
    uint32_t auth_set;       /* mp_sasl_mech_set offered (before TLS rules) */
    uint16_t errors;         /* bad commands so far */
    uint8_t state;           /* mp_pop3_server_state */
    uint8_t pending;         /* mp_pop3_decision */
    uint8_t tls;             /* the transport is TLS */
    uint8_t utf8;            /* UTF8 accepted (RFC 6856 §2) */
    uint8_t in_callback;     /* guards re-entrant calls from a callback */
    uint8_t aborted;         /* a callback asked to stop the feed */
    uint8_t ask;             /* a decision to ask once out of the callback */
    uint8_t listing;         /* a LIST_EACH listing is going on */
    uint8_t content_done;    /* TOP: the cut was reached */
    uint8_t auth_early;      /* a SASL response arrived before its challenge */
    uint8_t stamp[8];        /* random part of the APOP timestamp */
    char digest[32];         /* APOP: the digest as sent, for the check */
};

/*
 * Start a session: check the config, write the greeting ("+OK" with the
 * APOP timestamp when APOP is offered) into `out`.  `cfg`, `cb`, `out` are
 * borrowed for the session's lifetime.  Errors: MP_ERR_ARG (NULL pointer,
 * no on_decide, out_cap below MP_POP3_SERVER_MIN_OUT, a line buffer too
 * small, a bad hostname, timestamp, mechanism list or IMPLEMENTATION
 * text, APOP without crypto->md5), MP_ERR_CRYPTO (the random source
 * failed), MP_ERR_UNSUPPORTED (AUTH asked without SASL support).
 */
mp_status mp_pop3_server_init(mp_pop3_server *s, const mp_pop3_server_config *cfg,
                              const mp_pop3_server_callbacks *cb, void *user, char *out,
                              size_t out_cap);

/*
 * Feed bytes received from the client.  Commands are read in order
 * (PIPELINING, RFC 2449 §6.6) and answered in order.  `*used` says how
 * many bytes were consumed; the host passes the rest again later.
 *  MP_OK                all input consumed, nothing pending
 *  MP_PAUSED            a decision is pending (answer it), or the output
 *                       needs room (send it): then feed the rest
 *  MP_TRANSPORT_SWITCH  STLS accepted: `*used` stops right after its CRLF.
 *                       Send the output, start TLS, then call
 *                       mp_pop3_server_tls_started().  Bytes after `*used`
 *                       in this input (and any the host read before the
 *                       handshake) are plaintext injection: the host
 *                       discards them, never feeds them (reported to
 *                       on_error as MP_ERR_TLS_INJECTION, counted in
 *                       s->injected)
 *  MP_CLOSED            the session ended: send the output, then close
 *  MP_ERR_ABORTED       a callback returned non-zero
 *  MP_ERR_STATE         feed during a callback or a transport switch
 * Bad commands are answered with -ERR and counted; at
 * MP_POP3_MAX_ERRORS the session says so and closes.  A SASL response
 * that arrives before its challenge was handed out (same input, or the
 * challenge still in the output) ends the exchange with -ERR, as in the
 * SMTP server.  Otherwise the answers and decisions are the same for any
 * split of the input.
 */
mp_status mp_pop3_server_feed(mp_pop3_server *s, const char *in, size_t len, size_t *used);

/* Bytes to send; valid until the next call on `s`. */
const char *mp_pop3_server_output(mp_pop3_server *s, size_t *len);
/* `n` bytes of the output were sent. */
void mp_pop3_server_output_done(mp_pop3_server *s, size_t n);

/* The pending decision, MP_POP3_DECIDE_NONE when none; the request it is
 * about (slices valid only during the callback). */
mp_pop3_decision mp_pop3_server_pending(const mp_pop3_server *s);

/* Answers.  Each returns MP_ERR_STATE when the pending decision does not
 * take it, MP_ERR_NO_SPACE when the output cannot hold the line (send
 * some and call again: nothing was written), MP_ERR_ARG / MP_ERR_BAD_VALUE
 * for values the writers refuse (pop3.h). */

/* Refuse: "-ERR [code] text" (`code` MP_POP3_CODE_NONE for none; `text`
 * NULL for a default).  A refused PASS/APOP/LOGIN sends the session back
 * to AUTHORIZATION; a refused LIST_EACH message is skipped (deleted); a
 * refused listing or content after its +OK is cut short (the session
 * ends it with "." so the stream stays in sync; the host logs why); a
 * refused UPDATE closes. */
mp_status mp_pop3_server_err(mp_pop3_server *s, mp_pop3_code code, const char *text);
/* Accept USER, DELE, RSET, UPDATE: "+OK text" (NULL: a default). */
mp_status mp_pop3_server_ok(mp_pop3_server *s, const char *text);
/* PASS, APOP, LOGIN: the maildrop is locked and holds `count` messages
 * (1..MP_POP3_MSGNO_MAX numbers the session accepts from now on) of
 * `size` octets: "+OK maildrop has count messages (size octets)",
 * TRANSACTION. */
mp_status mp_pop3_server_open(mp_pop3_server *s, uint32_t count, uint64_t size);
/* STAT: "+OK count size" (the messages not marked deleted). */
mp_status mp_pop3_server_stat(mp_pop3_server *s, uint32_t count, uint64_t size);
/* LIST: one message (msgno and its size).  LIST n: the answer.  The
 * whole listing: one line of it (the +OK goes out first); LIST_EACH: the
 * answer for the message asked. */
mp_status mp_pop3_server_list(mp_pop3_server *s, uint32_t msgno, uint64_t size);
/* UIDL: the same with the unique-id (1..70 of 0x21..0x7E). */
mp_status mp_pop3_server_uidl(mp_pop3_server *s, uint32_t msgno, mp_slice uid);
/* The whole listing (not LIST_EACH) is complete: "." */
mp_status mp_pop3_server_listing_end(mp_pop3_server *s);

/*
 * RETR / TOP.  _content_begin writes "+OK" (`text` NULL: "message
 * follows").  Then the host pushes the message as stored with
 * _content(): the session stuffs what fits into the output and sets
 * `*used`; MP_OK with `*used` < len means "send, then pass the rest";
 * MP_DONE (TOP) means the cut is reached: stop, the rest is not wanted.
 * MP_ERR_BARE_CR / MP_ERR_BARE_LF / MP_ERR_NUL (without
 * MP_POP3_SRV_CONTENT_LF): the content cannot go out as it is; the answer
 * is ended where it stands (the host logs it, the client got a
 * truncated message rather than a forged end).  _content_end ends the
 * answer: the missing CRLF, then ".".
 */
mp_status mp_pop3_server_content_begin(mp_pop3_server *s, const char *text);
mp_status mp_pop3_server_content(mp_pop3_server *s, const char *p, size_t len, size_t *used);
mp_status mp_pop3_server_content_end(mp_pop3_server *s);

/*
 * APOP (RFC 1939 §7): does the digest of the pending APOP request equal
 * MD5(timestamp || secret)?  MP_OK when it does,
 * MP_ERR_SASL_AUTH_FAILED when not, MP_ERR_STATE outside
 * MP_POP3_DECIDE_APOP.  Writes nothing: the host answers next (_open or
 * _err).  Constant time in the digest.
 */
mp_status mp_pop3_server_apop_check(mp_pop3_server *s, const void *secret, size_t len);

/*
 * AUTH (RFC 5034) runs on the host's mp_sasl_server (config->sasl).  When
 * the mechanism needs the host (check a password, supply SCRAM keys or a
 * CRAM-MD5 secret) the session asks MP_POP3_DECIDE_AUTH: the host reads
 * config->sasl->want / authcid / password, answers with
 * mp_sasl_server_verify() / _set_scram() / _set_secret(), then calls this
 * function (inside the callback or later).  The session goes on: a next
 * challenge, "-ERR [AUTH]" on failure (the host may delay its verify to
 * slow guessing down), or MP_POP3_DECIDE_LOGIN on success.
 * MP_ERR_STATE when no AUTH decision is pending.
 */
mp_status mp_pop3_server_auth_resume(mp_pop3_server *s);

/* The host started TLS after MP_TRANSPORT_SWITCH: back to AUTHORIZATION,
 * everything learnt before forgotten (RFC 2595 §4).  MP_ERR_STATE when no
 * switch is pending. */
mp_status mp_pop3_server_tls_started(mp_pop3_server *s);

/* The host ends the session ("-ERR [SYS/TEMP] text", NULL: a default):
 * any pending decision is dropped, nothing is committed, state CLOSED. */
mp_status mp_pop3_server_shutdown(mp_pop3_server *s, const char *text);

/* Current state. */
static inline mp_pop3_server_state mp_pop3_server_state_of(const mp_pop3_server *s)
{
    return (mp_pop3_server_state)s->state;
}

#ifdef __cplusplus
}
#endif

#endif /* MAILPROTO_POP3_SERVER_H */
