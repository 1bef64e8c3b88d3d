/*
 * libmailproto — POP3 client session.
 *
 * RFC 1939 (POP3), RFC 2449 (CAPA, response codes, PIPELINING), RFC 2595
 * (STLS), RFC 3206 (SYS and AUTH response codes), RFC 5034 (SASL AUTH).
 *
 * A sans-I/O engine on top of the codec of pop3.h (docs/architecture.md):
 * the host feeds what the server sent, sends what the session wrote, and
 * answers events.  The session reads the greeting, asks for the
 * capabilities (CAPA), applies the TLS policy with STLS, logs in with the
 * method the host asks for or the best one offered, then runs the host's
 * commands (STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP, QUIT), several
 * at once when the server offers PIPELINING, and streams message content
 * to the host un-byte-stuffed.
 *
 * Guide: docs/pop3-client.md, with a complete program.
 */
#ifndef MAILPROTO_POP3_CLIENT_H
#define MAILPROTO_POP3_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "pop3.h"
#include "sasl.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * A host drives the session like this (mailproto-pop3-fetch is a complete
 * program):
 *
 *   mp_pop3_client_init(&c, &cfg, &cb, user, out, sizeof(out));
 *   loop:
 *     send mp_pop3_client_output(), mp_pop3_client_output_done();
 *     read from the socket, mp_pop3_client_feed() (events fire inside):
 *       GREETING, CAPA...             -> (the session says STLS by itself)
 *       READY (AUTHORIZATION)         -> mp_pop3_client_login() or _user(),
 *                                        _apop(), _auth_sasl(); or _quit()
 *       LOGIN                         -> ok: TRANSACTION
 *       READY (TRANSACTION)           -> _stat(), _uidl(), _retr(), _dele(), ...
 *       RESPONSE, LIST/UIDL, CONTENT, END -> results, message bytes
 *       CLOSED                        -> QUIT answered: the server committed
 *     MP_TRANSPORT_SWITCH: start TLS, mp_pop3_client_tls_started();
 *     MP_CLOSED: done; an error: mp_pop3_client_error(), close.
 *
 * Commands are queued: the host may issue several (up to
 * MP_POP3_CLIENT_MAX_PIPELINE), from inside any event or later.  With
 * PIPELINING they go out together (a batch of RETRs in one write, RFC 2449
 * §6.6); without it the session writes the next one when the answer to the
 * previous one has arrived.  Either way the bytes on the wire and the
 * events are the same whether the host answers an event inside its
 * callback or after feed() returned MP_PAUSED.
 *
 * A response is matched only to a command the host has wholly sent
 * (docs/architecture.md): a response whose first byte is fed while its
 * command is still, even in part, in the output buffer (not yet taken with
 * mp_pop3_client_output_done) answers nothing, and feed() fails with
 * MP_ERR_POP3_UNEXPECTED at that byte, as for a response when no command
 * awaits one.  This holds for every command, the greeting's CAPA, each of
 * a pipelined batch, STLS, each line of an AUTH exchange and QUIT.  So a
 * host sends its output before it reads again.
 */

/* TLS policy (docs/security.md "Client TLS policy"). */
typedef enum mp_pop3_client_tls {
    MP_POP3_TLS_NONE = 0,          /* never STLS */
    MP_POP3_TLS_OPPORTUNISTIC = 1, /* STLS when CAPA lists it (without CAPA:
                                      tried, and a -ERR goes on in clear) */
    MP_POP3_TLS_REQUIRED = 2,      /* STLS or MP_ERR_TLS_REQUIRED */
    MP_POP3_TLS_IMPLICIT = 3       /* the host runs TLS from the start (995) */
} mp_pop3_client_tls;

/* Session flags (mp_pop3_client_config.flags). */
enum {
    /*
     * Allow the methods that send the password (or a bearer token) as it
     * is, USER/PASS and SASL PLAIN, LOGIN, XOAUTH2, OAUTHBEARER, on a
     * connection without TLS.  Off by default: then only APOP and the
     * challenge-response SASL mechanisms (CRAM-MD5, SCRAM) log in without
     * TLS, and the others fail with MP_ERR_TLS_REQUIRED before a byte is
     * written.  Under MP_POP3_TLS_REQUIRED and _IMPLICIT nothing is ever
     * sent before TLS, with or without this flag.
     */
    MP_POP3_CLIENT_CLEARTEXT_OK = 1u << 0,
    /* Never pipeline, even if the server offers PIPELINING. */
    MP_POP3_CLIENT_NO_PIPELINING = 1u << 1
};

/* Run-time configuration.  Borrowed: it and the memory it points to must
 * outlive the session. */
typedef struct mp_pop3_client_config {
    mp_pop3_client_tls tls;
    unsigned flags;       /* MP_POP3_CLIENT_* */
    unsigned resp_flags;  /* MP_POP3_RESP_* of the response parser (pop3.h):
                             the LF quirk and the content policy */
    /* The most wire octets one multi-line answer (a message, a listing,
     * CAPA) may have, the final "." line included; 0: no limit.  Above it
     * the session fails with MP_ERR_POP3_TOO_BIG: a server that never ends
     * a response cannot keep the client reading. */
    uint64_t max_body;
    /* Limits of the USER, PASS and APOP lines written (pop3.h; zero: the
     * RFC values, 40 octets per argument).  Most servers take longer
     * passwords: raise `arg` (and `command_line`) to send one. */
    mp_pop3_limits limits;
    /* APOP and SASL scratch, the host's (may be NULL: then only USER/PASS
     * logs in).  With at least MP_POP3_CLIENT_APOP_BUF bytes the session
     * keeps the greeting there for APOP; with MP_POP3_CLIENT_AUTH_BUF,
     * SASL's messages too. */
    char *auth_buf;
    size_t auth_cap;
} mp_pop3_client_config;

/* auth_buf sizes: the greeting text (its APOP timestamp), then a SASL
 * message and the longest decoded challenge a response line can carry. */
#define MP_POP3_CLIENT_APOP_BUF (MP_POP3_MAX_RESPONSE_LINE - 2u)
#define MP_POP3_CLIENT_AUTH_BUF                                                                 \
    (MP_POP3_CLIENT_APOP_BUF + MP_SASL_MAX_MESSAGE +                                           \
     MP_BASE64_DECODED_MAX(MP_POP3_MAX_RESPONSE_LINE))

/* Events (mp_pop3_client_event.type). */
typedef enum mp_pop3_client_ev {
    MP_POP3_CEV_GREETING = 1, /* the +OK greeting (resp: text, timestamp) */
    MP_POP3_CEV_CAPA,         /* one capability line (resp: text, cap; 0
                                 for one the library does not know) */
    MP_POP3_CEV_READY,        /* nothing queued: the host may log in
                                 (AUTHORIZATION), issue commands
                                 (TRANSACTION) or quit (resp NULL) */
    MP_POP3_CEV_LOGIN,        /* the last answer of USER/PASS, APOP or
                                 AUTH (resp->ok: logged in, TRANSACTION);
                                 after a failure READY comes again */
    MP_POP3_CEV_RESPONSE,     /* the status line of a command issued by the
                                 host (resp: ok, code, text; STAT count and
                                 size, LIST n msgno and size, UIDL n msgno
                                 and uid); `multiline`: a body follows */
    MP_POP3_CEV_LIST,         /* a scan listing of LIST (resp: msgno, size) */
    MP_POP3_CEV_UIDL,         /* a unique-id listing of UIDL (resp: msgno,
                                 uid: 1..70 of 0x21..0x7E, checked) */
    MP_POP3_CEV_CONTENT,      /* RETR / TOP content, un-byte-stuffed, any
                                 chunking (resp->text) */
    MP_POP3_CEV_END,          /* the end of a multi-line answer (resp->err:
                                 content with bare CR, bare LF or NUL) */
    MP_POP3_CEV_CLOSED        /* the answer to QUIT: +OK, the deletions are
                                 committed (RFC 1939 §6); -ERR, some were
                                 not */
} mp_pop3_client_ev;

/* An event.  Pointers are valid only during the callback. */
typedef struct mp_pop3_client_event {
    mp_pop3_client_ev type;
    mp_pop3_verb verb;               /* the command answered (MP_POP3_NONE
                                        for GREETING and READY; LOGIN: USER,
                                        PASS, APOP or AUTH) */
    uint32_t msgno;                  /* its message number; 0 for none
                                        (LIST and UIDL of all messages) */
    const mp_pop3_resp_event *resp;  /* the parser's event (pop3.h), NULL
                                        for READY */
} mp_pop3_client_event;

/* Callback return values. */
enum {
    MP_POP3_CB_CONTINUE = 0,
    MP_POP3_CB_PAUSE = 1, /* feed returns MP_PAUSED right after this event */
    MP_POP3_CB_ABORT = 2  /* feed returns MP_ERR_ABORTED; the session dies */
};

typedef struct mp_pop3_client_callbacks {
    /* Required.  May call every function below but init and feed. */
    int (*on_event)(void *user, const mp_pop3_client_event *ev);
} mp_pop3_client_callbacks;

/* Phases (private, exposed for sizeof and debugging). */
typedef enum mp_pop3_client_phase {
    MP_POP3_PH_GREETING = 0,
    MP_POP3_PH_CAPA,          /* the session's CAPA before login */
    MP_POP3_PH_STLS,
    MP_POP3_PH_TLS_SWITCH,    /* +OK to STLS: the host starts TLS */
    MP_POP3_PH_AUTHORIZATION, /* RFC 1939 §4: log in */
    MP_POP3_PH_LOGIN,         /* USER/PASS, APOP or AUTH under way */
    MP_POP3_PH_TRANSACTION,   /* RFC 1939 §5 */
    MP_POP3_PH_QUIT,          /* QUIT written */
    MP_POP3_PH_CLOSED,
    MP_POP3_PH_FAILED
} mp_pop3_client_phase;

/*
 * The session.  All fields are private.  sizeof(mp_pop3_client) is 976
 * bytes on x86-64 with the default limits (tests/pop3 checks <= 1024):
 * the response parser, its line buffer of MP_POP3_MAX_RESPONSE_LINE - 2
 * bytes and the command queue are inside; the output buffer and the AUTH
 * scratch are the host's.  Not copyable once initialized (the parser
 * points into it).
 */
typedef struct mp_pop3_client {
    mp_pop3_resp_parser rp;
    mp_outbuf out;
    mp_error err;
    const mp_pop3_client_config *cfg;
    const mp_pop3_client_callbacks *cb;
    void *user;
    /* The answer to AUTH (client_sasl.c), installed by
     * mp_pop3_client_auth_sasl() so that only a host that calls it links
     * the SASL client. */
    mp_status (*auth_answer)(struct mp_pop3_client *c, const mp_pop3_resp_event *ev);
    mp_sasl_client *sasl;       /* AUTH driven by a SASL client, or NULL */
    mp_slice login_pass;        /* USER/PASS: the password, until PASS */
    uint64_t pos;               /* stream offset of the next byte fed */
    uint64_t fail_offset;       /* the first -ERR: where it began */
    uint32_t sent;              /* output bytes taken by output_done (mod 2^32) */
    /* The command queue, oldest first from qhead: what each command was
     * (verb, message number) and, once written, where it ends in the
     * output stream (the `sent` count at which it is wholly sent); while
     * only queued, a TOP's line count. */
    uint32_t q_msgno[MP_POP3_CLIENT_MAX_PIPELINE];
    uint32_t q_aux[MP_POP3_CLIENT_MAX_PIPELINE];
    uint8_t q_verb[MP_POP3_CLIENT_MAX_PIPELINE];
    uint8_t qhead, qlen;
    uint8_t nwritten;           /* the first nwritten of the queue are written */
    uint8_t phase;              /* mp_pop3_client_phase */
    uint8_t secure;             /* TLS is up */
    uint8_t auto_capa;          /* CAPA after the greeting and after TLS */
    uint8_t capa_ok;            /* the last CAPA was answered +OK */
    uint8_t paused;
    uint8_t aborted;
    uint8_t quit_written;       /* a dead session wrote its QUIT */
    uint8_t mid_command;        /* the output begins inside a command */
    uint8_t ir_pending;         /* the SASL initial response waits for "+ " */
    uint8_t fail_kind;          /* the first -ERR: none, greeting, login, command */
    uint8_t fail_verb;          /* its command */
    uint8_t fail_code;          /* and its response code (mp_pop3_code) */
    uint16_t ir_len;
    uint16_t greeting_len;      /* greeting text kept in auth_buf (APOP) */
    uint32_t fail_msgno;
    char line[MP_POP3_MAX_RESPONSE_LINE - 2];
} mp_pop3_client;

/*
 * Prepare `c`.  `cfg`, `cb` (and what they point to) and `out[0..cap)` are
 * the host's and must outlive the session; `user` is passed to every
 * callback.  `cap` must hold the longest command (MP_POP3_MAX_COMMAND_LINE;
 * more lets pipelined commands share a write; SASL needs a base64 SASL
 * message, 2 KiB is enough).  Nothing is written until the greeting
 * arrives (MP_POP3_TLS_IMPLICIT: the host starts TLS first).  After it the
 * session sends CAPA, and again after STLS (RFC 2595 §4).
 * MP_ERR_ARG: a NULL pointer, a buffer below MP_POP3_MAX_COMMAND_LINE,
 * callbacks without on_event, an unknown tls value, an auth_buf below
 * MP_POP3_CLIENT_APOP_BUF.
 */
mp_status mp_pop3_client_init(mp_pop3_client *c, const mp_pop3_client_config *cfg,
                              const mp_pop3_client_callbacks *cb, void *user, char *out,
                              size_t cap);

/*
 * The same session without CAPA, for firmware that polls a known server:
 * the capability parser and its tables are then not linked
 * (bench/cortex-m4-link, probe pop3-poll), nor is anything a host does not
 * call (APOP, SASL, the listings).  Without CAPA the session knows no
 * capability: STLS is sent without knowing whether it is offered
 * (MP_POP3_TLS_OPPORTUNISTIC: a -ERR goes on in clear), nothing is
 * pipelined, and AUTH is tried without knowing the mechanisms, unless the
 * host asks for CAPA itself (mp_pop3_client_capa(), which links the
 * reader).  The GREETING event has no timestamp (APOP still finds it).
 * Arguments and errors as mp_pop3_client_init().
 */
mp_status mp_pop3_client_init_lean(mp_pop3_client *c, const mp_pop3_client_config *cfg,
                                   const mp_pop3_client_callbacks *cb, void *user, char *out,
                                   size_t cap);

/*
 * Bytes received from the server.  Events fire from inside.  `*used` is
 * set to the bytes consumed.  Returns:
 *  - MP_NEED_MORE: everything consumed, waiting for more input;
 *  - MP_PAUSED: a callback asked to pause; feed the rest later;
 *  - MP_TRANSPORT_SWITCH: the +OK to STLS ended exactly at the end of
 *    `in`; start TLS and call mp_pop3_client_tls_started();
 *  - MP_CLOSED: the answer to QUIT arrived (the CLOSED event says which);
 *  - errors (the session is then dead; mp_pop3_client_error() has the
 *    code, stream offset and rule): the response parser's (pop3.h:
 *    framing, MP_ERR_POP3_STATUS, _TEXT, _LISTING, _NUMBER, _UID, and
 *    MP_ERR_POP3_TOO_BIG above cfg->max_body), MP_ERR_POP3_UNEXPECTED (a
 *    response nobody asked for, or one that began before its command was
 *    wholly sent, see above), MP_ERR_POP3_GREETING_REFUSED (-ERR
 *    greeting), MP_ERR_POP3_MISMATCH (LIST n or UIDL n answered for
 *    another message), MP_ERR_TLS_INJECTION (bytes after the +OK to STLS,
 *    or fed before tls_started), MP_ERR_TLS_REQUIRED (STLS not offered or
 *    refused under MP_POP3_TLS_REQUIRED), MP_ERR_SASL_SERVER_PROOF (a
 *    SCRAM server that claims success without proving it), MP_ERR_ABORTED,
 *    MP_ERR_NO_SPACE (the output buffer cannot hold a command the session
 *    must write).
 * A dead session answers every later feed with the same error and
 * consumes nothing.
 */
mp_status mp_pop3_client_feed(mp_pop3_client *c, const char *in, size_t len, size_t *used);

/* The bytes to send now (`*len` of them at the returned pointer, inside
 * the host's buffer; valid until the next call on the session). */
const char *mp_pop3_client_output(const mp_pop3_client *c, size_t *len);

/* `n` bytes of the output were sent: a response to a command counts only
 * once every byte of the command was taken here.  Writes queued commands
 * that were waiting for room.  MP_ERR_ARG when n exceeds the output. */
mp_status mp_pop3_client_output_done(mp_pop3_client *c, size_t n);

/* The host finished the TLS handshake after MP_TRANSPORT_SWITCH.  What
 * was learnt in clear is forgotten, the capabilities and the greeting's
 * APOP timestamp with them (docs/security.md), and CAPA is sent again
 * (not by a lean session, which goes to READY).  MP_ERR_STATE outside the
 * switch. */
mp_status mp_pop3_client_tls_started(mp_pop3_client *c);

/* The error that killed the session (code MP_OK while alive): code,
 * stream offset of the byte or line at fault, and a static rule string.
 * Points into `c`. */
const mp_error *mp_pop3_client_error(const mp_pop3_client *c);

/* The first command the server refused (-ERR) in this session, for a
 * host that reports one failure for a whole batch: `status` is
 * MP_ERR_POP3_GREETING_REFUSED, MP_ERR_POP3_LOGIN_REFUSED (USER, PASS,
 * APOP or AUTH) or MP_ERR_POP3_REFUSED (any other command), MP_OK when
 * none was; the command's verb and message number; the RFC 2449 §8
 * response code; the stream offset of the -ERR line.  Plain value. */
typedef struct mp_pop3_client_failure {
    mp_status status;
    mp_pop3_verb verb;
    uint32_t msgno;
    mp_pop3_code code;
    uint64_t offset;
} mp_pop3_client_failure;

mp_pop3_client_failure mp_pop3_client_first_failure(const mp_pop3_client *c);

/* The current phase. */
mp_pop3_client_phase mp_pop3_client_phase_of(const mp_pop3_client *c);

/* What the last CAPA advertised (empty before it, after a -ERR to it,
 * after STLS, and always in a lean session that did not ask).  Points
 * into `c`. */
const mp_pop3_caps *mp_pop3_client_caps(const mp_pop3_client *c);

/* 1 when the connection is under TLS (implicit, or after STLS). */
int mp_pop3_client_secure(const mp_pop3_client *c);

/* 1 when the greeting carried an APOP timestamp the session kept (an
 * auth_buf was given, and no STLS came since). */
int mp_pop3_client_apop_available(const mp_pop3_client *c);

/* ----------------------------------------------------------------------- */
/* Logging in (AUTHORIZATION, RFC 1939 §4 and §7, RFC 5034)                */
/* ----------------------------------------------------------------------- */
/*
 * Each starts one login, when the session is READY in AUTHORIZATION
 * (MP_ERR_STATE otherwise).  The answer is a LOGIN event: +OK moves to
 * TRANSACTION; -ERR (its response code says [AUTH], [IN-USE],
 * [LOGIN-DELAY], [SYS/TEMP] ...) leaves AUTHORIZATION, READY follows and
 * the host may try again, another way, or QUIT.  Nothing is pipelined
 * with a login.  The names and passwords are borrowed until LOGIN.
 *
 * Cleartext policy (docs/security.md "Client TLS policy"): a method that
 * sends the password as it is (USER/PASS, SASL PLAIN and LOGIN, a bearer
 * token) is refused with MP_ERR_TLS_REQUIRED on a connection without TLS
 * unless cfg->flags has MP_POP3_CLIENT_CLEARTEXT_OK; APOP and the
 * challenge-response mechanisms are allowed (an eavesdropper learns a
 * hash to attack offline, not the password).
 */

/* USER name, then PASS password (RFC 1939 §7) once USER is accepted.
 * Errors: MP_ERR_STATE, MP_ERR_TLS_REQUIRED, the command writer's for a
 * value the server's parser would refuse (MP_ERR_BAD_VALUE,
 * MP_ERR_POP3_ARG_TOO_LONG above 40 octets, RFC 2449 §4), MP_ERR_NO_SPACE
 * (send the output first). */
mp_status mp_pop3_client_user(mp_pop3_client *c, mp_slice name, mp_slice password);

/* APOP name digest (RFC 1939 §7): MD5 of the greeting's timestamp and the
 * password through `crypto->md5` (borrowed only during the call).
 * MP_ERR_UNSUPPORTED: no timestamp kept (see
 * mp_pop3_client_apop_available) or no MD5 in `crypto`; else as
 * mp_pop3_client_user. */
mp_status mp_pop3_client_apop(mp_pop3_client *c, mp_slice name, mp_slice password,
                              const mp_crypto_provider *crypto);

/*
 * AUTH driven by the SASL client `sasl` (sasl.h), started by the host for
 * the mechanism it chose, e.g. mp_sasl_choose(mp_pop3_client_caps(c)->sasl,
 * ...).  The session sends the initial response on the AUTH line when it
 * fits (RFC 5034 §4: 255 octets; otherwise after the first "+ "), answers
 * every "+ " with mp_sasl_client_step(), cancels with "*" when a step
 * fails (the reason is in sasl->err; the -ERR then comes as LOGIN), and on
 * +OK checks mp_sasl_client_finish(): a SCRAM server that claims success
 * without proving it kills the session with MP_ERR_SASL_SERVER_PROOF.
 * `sasl` is borrowed until LOGIN.  Needs auth_buf of
 * MP_POP3_CLIENT_AUTH_BUF bytes (MP_ERR_ARG otherwise).  MP_ERR_UNSUPPORTED
 * when CAPA was answered and did not list the mechanism (without an answer
 * to CAPA the session tries); MP_ERR_TLS_REQUIRED as above; MP_ERR_STATE;
 * MP_ERR_NO_SPACE (the output buffer must hold the AUTH line).
 */
mp_status mp_pop3_client_auth_sasl(mp_pop3_client *c, mp_sasl_client *sasl);

/* What mp_pop3_client_login() may use. */
enum {
    MP_POP3_LOGIN_SASL = 1u << 0,
    MP_POP3_LOGIN_APOP = 1u << 1,
    MP_POP3_LOGIN_USER = 1u << 2
};

/* The credentials of mp_pop3_client_login().  The host's, borrowed until
 * LOGIN. */
typedef struct mp_pop3_client_login_params {
    mp_sasl_credentials creds;        /* username and password (authzid,
                                         token, channel binding for SASL) */
    const mp_crypto_provider *crypto; /* hashes for APOP and SASL, random
                                         bytes for SCRAM */
    mp_sasl_client *sasl;             /* storage for a SASL exchange, or
                                         NULL: no SASL */
    unsigned methods;                 /* MP_POP3_LOGIN_*; 0 = all */
    mp_sasl_mech mech;                /* only this SASL mechanism (it must
                                         be offered); NONE: the best one */
} mp_pop3_client_login_params;

/*
 * Log in by the best method the server offers and the policy allows:
 * SASL (mp_sasl_choose over CAPA's mechanisms: SCRAM > CRAM-MD5 > PLAIN >
 * LOGIN, the last two only where cleartext is allowed), else APOP (a
 * greeting timestamp and MD5), else USER/PASS (where cleartext is allowed,
 * and CAPA listed USER or was not answered).  `*chosen` (may be NULL)
 * gets MP_POP3_AUTH, _APOP or _USER.  MP_ERR_TLS_REQUIRED when the server
 * offers only methods that would send the password in cleartext;
 * MP_ERR_UNSUPPORTED when nothing usable is offered (or `mech` is not);
 * else the errors of the method's function.
 */
mp_status mp_pop3_client_login(mp_pop3_client *c, const mp_pop3_client_login_params *lp,
                               mp_pop3_verb *chosen);

/* ----------------------------------------------------------------------- */
/* Commands (TRANSACTION, RFC 1939 §5; CAPA and QUIT also before login)    */
/* ----------------------------------------------------------------------- */
/*
 * Each queues one command and returns MP_OK; it is written at once when
 * it may go (PIPELINING, or nothing awaited) and there is room, else when
 * the previous answer arrived or output_done() made room.  The answer
 * comes as a RESPONSE event (with the command's verb and message number)
 * and, for multi-line answers, LIST / UIDL / CONTENT events and END.
 * A -ERR is reported and the session goes on (mp_pop3_client_first_failure
 * keeps the first).  Errors: MP_ERR_STATE (not in TRANSACTION, or after
 * QUIT), MP_ERR_ARG (a message number outside 1..MP_POP3_MSGNO_MAX),
 * MP_PAUSED (MP_POP3_CLIENT_MAX_PIPELINE commands already wait: issue it
 * after an answer, e.g. from its event).
 */
mp_status mp_pop3_client_stat(mp_pop3_client *c);
/* LIST msgno, or LIST (every message) with msgno 0. */
mp_status mp_pop3_client_list(mp_pop3_client *c, uint32_t msgno);
/* UIDL msgno, or UIDL with 0 (RFC 1939 §7: an optional command; a server
 * without it answers -ERR). */
mp_status mp_pop3_client_uidl(mp_pop3_client *c, uint32_t msgno);
mp_status mp_pop3_client_retr(mp_pop3_client *c, uint32_t msgno);
/* TOP msgno lines: the header and `lines` lines of the body (RFC 1939 §7). */
mp_status mp_pop3_client_top(mp_pop3_client *c, uint32_t msgno, uint32_t lines);
mp_status mp_pop3_client_dele(mp_pop3_client *c, uint32_t msgno);
mp_status mp_pop3_client_rset(mp_pop3_client *c);
mp_status mp_pop3_client_noop(mp_pop3_client *c);
/* CAPA, in AUTHORIZATION or TRANSACTION (RFC 2449 §5: after login some
 * values may differ per user).  Its lines come as CAPA events, then END;
 * mp_pop3_client_caps() has the new set. */
mp_status mp_pop3_client_capa(mp_pop3_client *c);

/*
 * QUIT: in AUTHORIZATION or TRANSACTION, queued behind what is queued.
 * Its answer is the CLOSED event and feed returns MP_CLOSED; in
 * TRANSACTION a +OK means the server removed the messages marked with
 * DELE (RFC 1939 §6).  On a dead session it only writes "QUIT" for the
 * host to send before it closes, once, in place of the commands the host
 * has not begun to send (the rest of one begun goes first); the session
 * reads no answer.  That QUIT commits the deletions the server marked;
 * a host that wants none committed closes without it (RFC 1939 §6: a
 * connection that drops is not UPDATE).  MP_ERR_STATE after QUIT or
 * before the greeting; MP_PAUSED when the queue is full.
 */
mp_status mp_pop3_client_quit(mp_pop3_client *c);

#ifdef __cplusplus
}
#endif

#endif /* MAILPROTO_POP3_CLIENT_H */
