/*
 * libmailproto — SMTP / LMTP client side.
 *
 * Three layers, each usable alone:
 *  1. the reply parser (RFC 5321 §4.2, RFC 2034 enhanced status codes) and
 *     the EHLO capability parser (RFC 5321 §4.1.1.1 and the extension RFCs);
 *  2. the command writer (every client command, whole or nothing into an
 *     mp_outbuf, refusing values that cannot be sent);
 *  3. the client session (sans-I/O engine, docs/architecture.md §3).
 *
 * Every type both sides use (verbs, BODY/RET/NOTIFY values, paths,
 * enhanced status codes, reply-code helpers) lives in smtp.h, included
 * here; the two headers may be included in any order.
 *
 * Guide: docs/smtp-client.md, with a complete program.
 */
#ifndef MAILPROTO_SMTP_CLIENT_H
#define MAILPROTO_SMTP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "smtp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================= */
/* Reply parser                                                            */
/* ======================================================================= */

/* Reply parser flags. */
enum {
    /* Quirk: accept LF-only reply lines.  Off by default: a client that
     * accepts them lets a broken or hostile server desynchronize replies
     * from commands (docs/security.md). */
    MP_SMTP_REPLY_ALLOW_LF = 1u << 0
};

/*
 * One reply line, as the parser hands it out.  Slices point into the
 * caller's input or into the parser's line buffer: valid until the next
 * call on the parser (or, in the session, until the callback returns).
 */
typedef struct mp_smtp_reply_line {
    unsigned code;        /* 200..559 (RFC 5321 §4.2 Reply-code) */
    unsigned line_no;     /* 0 for the first line of a reply */
    int last;             /* 1 on the final line ("NNN SP" or "NNN") */
    /* RFC 2034/3463 enhanced status code at the start of the text, when
     * present (mp_smtp_esc_parse) and its class equals the reply's first
     * digit: `esc` holds it and `enhanced` its text ("2.1.0"); else
     * esc.cls is 0 and `enhanced` is empty. */
    mp_slice enhanced;
    mp_smtp_esc esc;
    mp_slice text;        /* the text after the code, separator and the
                           * enhanced code (may be empty) */
} mp_smtp_reply_line;

/*
 * Push parser for server replies, resumable at any byte.  Owns no memory:
 * the line assembly buffer `buf` is the caller's (>= max_line - 2 bytes)
 * and must outlive the parser.
 */
typedef struct mp_smtp_reply_parser {
    mp_line_framer framer;
    mp_error err;          /* the last error */
    uint64_t line_start;   /* stream offset of the last line returned */
    unsigned code;         /* code of the reply being read, 0 between replies */
    unsigned nlines;       /* lines of the reply being read */
    unsigned max_lines;
    uint8_t last_cr;       /* the last byte consumed was a CR */
} mp_smtp_reply_parser;

/*
 * Prepare `p`.  `max_line` counts the CRLF (MP_SMTP_MAX_REPLY_LINE is the
 * RFC value; larger is an opt-in), `max_lines` bounds a multi-line reply
 * (0 = MP_SMTP_CLIENT_MAX_REPLY_LINES).  `flags`: MP_SMTP_REPLY_*.
 * MP_ERR_ARG when the buffer is smaller than max_line - 2 or max_line < 8.
 */
mp_status mp_smtp_reply_parser_init(mp_smtp_reply_parser *p, char *buf, size_t cap,
                                    size_t max_line, unsigned max_lines, unsigned flags);

/*
 * Consume bytes of `in[0..len)` up to the end of the next reply line.
 *  - MP_OK: `*line` is filled (slices valid until the next call and while
 *    `in` lives); `*used` bytes were consumed.  line->last marks the end of
 *    a reply.
 *  - MP_NEED_MORE: all input consumed, no complete line yet.
 *  - errors, with p->err (code, stream offset, rule): MP_ERR_LINE_TOO_LONG,
 *    MP_ERR_BARE_CR, MP_ERR_BARE_LF (framing), MP_ERR_SMTP_REPLY_CODE (not
 *    three digits in range), MP_ERR_SMTP_REPLY_SEPARATOR (neither SP nor
 *    '-' after the code), MP_ERR_SMTP_REPLY_MISMATCH (a line's code differs
 *    from the first line's), MP_ERR_SMTP_REPLY_TEXT (NUL or a control
 *    character other than HT in the text), MP_ERR_SMTP_REPLY_TOO_MANY_LINES.
 *    After an error the reply being read is dropped and the next line
 *    starts a new reply; a client session treats any of them as fatal.
 */
mp_status mp_smtp_reply_parser_next(mp_smtp_reply_parser *p, const char *in, size_t len,
                                    size_t *used, mp_smtp_reply_line *line);

/* 1 when the parser holds part of a line or of a multi-line reply. */
int mp_smtp_reply_parser_busy(const mp_smtp_reply_parser *p);

/* ======================================================================= */
/* EHLO capabilities                                                       */
/* ======================================================================= */

/* Capability bits (RFC 5321 §4.1.1.1 ehlo-keyword, case-insensitive). */
enum {
    MP_SMTP_CAP_SIZE = 1u << 0,                /* RFC 1870 */
    MP_SMTP_CAP_AUTH = 1u << 1,                /* RFC 4954 (and "AUTH=") */
    MP_SMTP_CAP_PIPELINING = 1u << 2,          /* RFC 2920 */
    MP_SMTP_CAP_8BITMIME = 1u << 3,            /* RFC 6152 */
    MP_SMTP_CAP_SMTPUTF8 = 1u << 4,            /* RFC 6531 */
    MP_SMTP_CAP_DSN = 1u << 5,                 /* RFC 3461 */
    MP_SMTP_CAP_CHUNKING = 1u << 6,            /* RFC 3030 */
    MP_SMTP_CAP_BINARYMIME = 1u << 7,          /* RFC 3030 */
    MP_SMTP_CAP_STARTTLS = 1u << 8,            /* RFC 3207 */
    MP_SMTP_CAP_ENHANCEDSTATUSCODES = 1u << 9, /* RFC 2034 */
    MP_SMTP_CAP_REQUIRETLS = 1u << 10,         /* RFC 8689 */
    MP_SMTP_CAP_MT_PRIORITY = 1u << 11         /* RFC 6710 */
};

/* SASL mechanisms the AUTH keyword may list (bits of mp_smtp_caps.auth). */
enum {
    MP_SMTP_AUTH_PLAIN = 1u << 0,
    MP_SMTP_AUTH_LOGIN = 1u << 1,
    MP_SMTP_AUTH_CRAM_MD5 = 1u << 2,
    MP_SMTP_AUTH_SCRAM_SHA_1 = 1u << 3,
    MP_SMTP_AUTH_SCRAM_SHA_256 = 1u << 4,
    MP_SMTP_AUTH_SCRAM_SHA_1_PLUS = 1u << 5,
    MP_SMTP_AUTH_SCRAM_SHA_256_PLUS = 1u << 6,
    MP_SMTP_AUTH_XOAUTH2 = 1u << 7,
    MP_SMTP_AUTH_OAUTHBEARER = 1u << 8,
    MP_SMTP_AUTH_EXTERNAL = 1u << 9,
    MP_SMTP_AUTH_ANONYMOUS = 1u << 10,
    MP_SMTP_AUTH_DIGEST_MD5 = 1u << 11,
    MP_SMTP_AUTH_GSSAPI = 1u << 12,
    MP_SMTP_AUTH_NTLM = 1u << 13,
    MP_SMTP_AUTH_COUNT_ = 14
};

/* What an EHLO reply advertised.  Plain value; copy freely. */
typedef struct mp_smtp_caps {
    uint32_t flags;    /* MP_SMTP_CAP_* */
    uint32_t auth;     /* MP_SMTP_AUTH_* (names outside the table are
                        * reported as unknown AUTH parameters, see below) */
    uint64_t size;     /* SIZE value; 0 when absent or "no fixed limit" */
} mp_smtp_caps;

/* Empty capability set (also what HELO gives). */
void mp_smtp_caps_init(mp_smtp_caps *caps);

/*
 * Parse the text of one EHLO reply line after the first (the first line
 * is "domain [greeting]") and record what it advertises.
 *  - MP_OK: `*bit` is the MP_SMTP_CAP_* bit recorded, or 0 for a keyword
 *    this library does not know (the host may look at the line itself).
 *  - MP_ERR_SYNTAX: not an ehlo-keyword (RFC 5321 §4.1.1.1); nothing
 *    recorded.
 *  - MP_ERR_NUMBER: SIZE with a malformed or out-of-range value; nothing
 *    recorded.
 * "AUTH=MECH ..." (the pre-RFC 4954 form some servers still send) is read
 * as AUTH.  `*bit` is always set.
 */
mp_status mp_smtp_caps_parse_line(mp_smtp_caps *caps, mp_slice text, uint32_t *bit);

/* The mechanism name of an MP_SMTP_AUTH_* bit ("SCRAM-SHA-256"), or NULL
 * when `bit` is not exactly one known bit.  Static storage. */
const char *mp_smtp_auth_mech_name(uint32_t bit);

/* The MP_SMTP_AUTH_* bit of a mechanism name (case-insensitive), 0 when
 * unknown. */
uint32_t mp_smtp_auth_mech_bit(mp_slice name);

/* ======================================================================= */
/* Command writer                                                          */
/* ======================================================================= */
/*
 * Every writer appends one whole command (with its CRLF) to `ob` or
 * nothing.  Errors: MP_ERR_NO_SPACE (ob->need says how much room the
 * command needs), MP_ERR_LINE_TOO_LONG (longer than
 * MP_SMTP_MAX_COMMAND_LINE, MP_SMTP_MAX_AUTH_LINE for AUTH lines), and the
 * value errors each function lists.  Never writes CR, LF, NUL or another
 * control character inside a command.
 */

/*
 * `verb` (MP_SMTP_HELO, MP_SMTP_EHLO or MP_SMTP_LHLO, else MP_ERR_ARG) and
 * `domain`: a domain name (RFC 5321 §4.1.2 Domain) or an address literal
 * ("[192.0.2.1]", "[IPv6:...]"), checked by mp_smtp_domain_check() as the
 * server checks it (ASCII only).  MP_ERR_BAD_VALUE when it is neither;
 * MP_ERR_TOKEN_TOO_LONG above MP_SMTP_MAX_DOMAIN or a label above
 * MP_SMTP_MAX_LABEL.
 */
mp_status mp_smtp_write_hello(mp_outbuf *ob, mp_smtp_verb verb, mp_slice domain);

/* A command without argument: MP_SMTP_DATA, MP_SMTP_RSET, MP_SMTP_NOOP,
 * MP_SMTP_QUIT, MP_SMTP_STARTTLS or MP_SMTP_HELP ("DATA\r\n", ...);
 * MP_ERR_ARG for any other verb. */
mp_status mp_smtp_write_simple(mp_outbuf *ob, mp_smtp_verb verb);

/* MP_SMTP_VRFY, MP_SMTP_EXPN, MP_SMTP_HELP or MP_SMTP_NOOP (else
 * MP_ERR_ARG) with `arg` (RFC 5321 §4.1.1.6-4.1.1.9): printable ASCII and
 * SP; 8-bit only with `utf8` (RFC 6531 §3.7.4).  VRFY/EXPN need a
 * non-empty argument; HELP/NOOP with an empty one are written bare.
 * MP_ERR_BAD_VALUE for control characters, MP_ERR_8BIT without `utf8`. */
mp_status mp_smtp_write_arg(mp_outbuf *ob, mp_smtp_verb verb, mp_slice arg, int utf8);

/* ESMTP parameters of MAIL FROM.  Zero-initialize, then set what is
 * wanted; every field's zero value means "omitted". */
typedef struct mp_smtp_mail_params {
    uint64_t size;          /* SIZE= (RFC 1870) when has_size */
    uint8_t has_size;
    uint8_t body;           /* mp_smtp_body */
    uint8_t smtputf8;       /* SMTPUTF8 keyword; also allows 8-bit paths */
    uint8_t ret;            /* mp_smtp_ret */
    uint8_t requiretls;     /* REQUIRETLS (RFC 8689) */
    uint8_t has_mt_priority;
    int8_t mt_priority;     /* MT-PRIORITY= -9..9 (RFC 6710) */
    mp_slice envid;         /* ENVID= raw value, xtext-encoded by the
                             * writer; printable ASCII, at most
                             * MP_SMTP_MAX_ENVID bytes */
} mp_smtp_mail_params;

/* ESMTP parameters of RCPT TO (RFC 3461 DSN).  Zero = omitted. */
typedef struct mp_smtp_rcpt_params {
    unsigned notify;        /* MP_SMTP_NOTIFY_* */
    mp_slice orcpt;         /* ORCPT= address, written "rfc822;" + xtext;
                             * ASCII only (the RFC 6533 "utf-8" type is not
                             * written); at most MP_SMTP_MAX_ORCPT
                             * bytes encoded */
    uint8_t utf8;           /* allows 8-bit bytes in the path and ORCPT
                             * (the transaction uses SMTPUTF8) */
} mp_smtp_rcpt_params;

/*
 * MAIL FROM:<from> [params].  `from` is the mailbox without angle
 * brackets; empty means the null reverse-path "<>".  `params` may be NULL.
 * Errors: the path errors of mp_smtp_cmd_parse() (MP_ERR_SMTP_PATH,
 * MP_ERR_SMTP_PATH_TOO_LONG, MP_ERR_SMTP_LOCAL_TOO_LONG,
 * MP_ERR_SMTP_DOMAIN_TOO_LONG, MP_ERR_SMTP_UTF8_PATH for an 8-bit address
 * without params->smtputf8), MP_ERR_BAD_VALUE (ENVID not printable ASCII,
 * MT-PRIORITY out of range,
 * unknown enum value), MP_ERR_TOKEN_TOO_LONG (ENVID too long).
 */
mp_status mp_smtp_write_mail(mp_outbuf *ob, mp_slice from, const mp_smtp_mail_params *params);

/*
 * RCPT TO:<to> [params].  `to` is a mailbox, or "Postmaster" (any case,
 * RFC 5321 §4.1.1.3).  `params` may be NULL.  Errors as
 * mp_smtp_write_mail, plus MP_ERR_ARG for NEVER combined with other NOTIFY
 * flags, MP_ERR_TOKEN_TOO_LONG for an ORCPT above its limit.
 */
mp_status mp_smtp_write_rcpt(mp_outbuf *ob, mp_slice to, const mp_smtp_rcpt_params *params);

/* "BDAT <size>[ LAST]\r\n" (RFC 3030 §2); the `size` bytes of the chunk
 * follow and are the caller's to write. */
mp_status mp_smtp_write_bdat(mp_outbuf *ob, uint64_t size, int last);

/*
 * "AUTH <mech>[ <initial>]\r\n" (RFC 4954 §4).  `mech` must be a SASL
 * mechanism name (RFC 4422 §3.1: 1-20 of A-Z 0-9 - _, upper-cased on
 * output; else MP_ERR_BAD_VALUE).  When `has_initial`, the `initial` bytes
 * (decoded; NULL allowed when initial_len is 0) are sent base64-encoded,
 * or as "=" when empty.
 */
mp_status mp_smtp_write_auth(mp_outbuf *ob, mp_slice mech, const void *initial,
                             size_t initial_len, int has_initial);

/* One SASL response line: base64 of `data[0..len)` (an empty response is
 * an empty line, RFC 4954 §4). */
mp_status mp_smtp_write_auth_response(mp_outbuf *ob, const void *data, size_t len);

/* "*\r\n": cancel the AUTH exchange (RFC 4954 §4). */
mp_status mp_smtp_write_auth_cancel(mp_outbuf *ob);

/* A host checks an address the way the writers do with
 * mp_smtp_mailbox_parse() (smtp.h): the server's own grammar. */

/* ======================================================================= */
/* Client session                                                          */
/* ======================================================================= */
/*
 * A host drives the session like this (mailproto-smtp-send is a complete
 * example):
 *
 *   mp_smtp_client_init(&c, &cfg, &cb, user, out, sizeof(out));
 *   loop:
 *     send mp_smtp_client_output() to the socket, mp_smtp_client_output_done();
 *     while a body is open: mp_smtp_client_body() / _body_end();
 *     read from the socket, mp_smtp_client_feed() (events fire inside):
 *       GREETING, EXTENSION..., READY   -> mp_smtp_client_auth_sasl() or
 *                                          mp_smtp_client_send() or _quit()
 *       MAIL_RESULT, RCPT_RESULT...     -> per-recipient outcome
 *       BODY_READY                      -> start pushing the body
 *       RCPT_DATA... (LMTP), MESSAGE    -> outcome, then READY again
 *     MP_TRANSPORT_SWITCH: start TLS, mp_smtp_client_tls_started();
 *     MP_CLOSED: done; an error: mp_smtp_client_error(), close.
 *
 * The session writes EHLO (LHLO), HELO on fallback, STARTTLS and the
 * second EHLO by itself; everything else is the host's decision.  A
 * callback may call any of the functions below.
 *
 * Replies are matched to commands the host has sent (docs/architecture.md
 * §3).  A server answers a command only after reading it, so a reply whose
 * first byte is fed while its command is still, even in part, in the
 * output buffer (not yet taken with mp_smtp_client_output_done) answers
 * nothing: feed() fails with MP_ERR_SMTP_UNEXPECTED_REPLY at that reply's
 * offset, as for a reply when no command awaits one.  This holds for
 * every command: the greeting's EHLO, each of a pipelined batch, each BDAT
 * chunk and "BDAT 0 LAST", the end of a DATA body, an AUTH line and each
 * response to a 334 (the next 334 or the result), STARTTLS and QUIT.  It
 * is what keeps an extra line after the EHLO reply from being taken as the
 * reply to MAIL.  Only 421 may come unasked (RFC 5321 §3.8): it ends the
 * session (MP_ERR_SMTP_CLOSING), or answers a QUIT already sent.  So a
 * host sends its output before it reads again, as the loop above does; a
 * host that replays a recorded transcript must call output_done() where
 * the server waited.
 */

/* TLS policy (docs/security.md "Client TLS policy"). */
typedef enum mp_smtp_client_tls {
    MP_SMTP_TLS_NONE = 0,          /* never STARTTLS */
    MP_SMTP_TLS_OPPORTUNISTIC = 1, /* STARTTLS when offered, else plaintext */
    MP_SMTP_TLS_REQUIRED = 2,      /* STARTTLS or MP_ERR_TLS_REQUIRED */
    MP_SMTP_TLS_IMPLICIT = 3       /* the host runs TLS from the start (465) */
} mp_smtp_client_tls;

/* Session flags. */
enum {
    MP_SMTP_CLIENT_LMTP = 1u << 0,          /* LHLO and per-recipient replies */
    MP_SMTP_CLIENT_NO_PIPELINING = 1u << 1, /* never pipeline, even if offered */
    MP_SMTP_CLIENT_NO_CHUNKING = 1u << 2,   /* DATA even if CHUNKING is offered */
    /* Turn bare LF (and bare CR) in the body into CRLF.  Off by default:
     * the body is then refused at the first bare CR/LF (MP_ERR_BARE_LF /
     * MP_ERR_BARE_CR from mp_smtp_client_body). */
    MP_SMTP_CLIENT_NORMALIZE_LF = 1u << 3,
    MP_SMTP_CLIENT_REPLY_ALLOW_LF = 1u << 4 /* reply quirk, see the parser */
};

/* Run-time configuration.  Borrowed: the pointed-to bytes must stay valid
 * for the life of the session. */
typedef struct mp_smtp_client_config {
    mp_slice helo_name;    /* EHLO/LHLO/HELO argument (checked at init) */
    mp_smtp_client_tls tls;
    unsigned flags;        /* MP_SMTP_CLIENT_* */
    unsigned max_reply_lines; /* 0 = MP_SMTP_CLIENT_MAX_REPLY_LINES */
    /* AUTH scratch: 334 challenges are decoded here for the host (may be
     * NULL: then the event carries only the base64 text).  A challenge
     * that does not decode or fit is cancelled with "*".  With
     * mp_smtp_client_auth_sasl it must hold MP_SMTP_CLIENT_AUTH_BUF bytes
     * (responses, then decoded challenges). */
    char *auth_buf;
    size_t auth_cap;
} mp_smtp_client_config;

/* A recipient of a transaction: input fields set by the host, result
 * fields written by the session. */
typedef struct mp_smtp_client_rcpt {
    mp_slice address;      /* mailbox without angle brackets */
    unsigned notify;       /* MP_SMTP_NOTIFY_*, sent only when DSN is offered */
    mp_slice orcpt;        /* ORCPT address, sent only when DSN is offered */
    /* results */
    uint16_t rcpt_code;    /* reply to RCPT TO; 0 until it arrived */
    uint16_t data_code;    /* reply to the message (LMTP: this recipient's
                            * own reply; SMTP: the single message reply) */
} mp_smtp_client_rcpt;

/*
 * One transaction.  The host owns it and every byte it points to until the
 * MP_SMTP_EV_MESSAGE event of that transaction (or a fatal error): the
 * session reads the addresses when it writes the commands (maybe later,
 * under flow control) and writes results into `rcpts[]`.
 */
typedef struct mp_smtp_client_envelope {
    mp_slice from;                 /* empty = null reverse-path */
    mp_smtp_client_rcpt *rcpts;
    size_t nrcpts;                 /* 1..MP_SMTP_MAX_RCPTS */
    uint64_t size;                 /* estimated size for SIZE=, 0 = omit */
    mp_smtp_body body;             /* BODY=; MP_ERR_UNSUPPORTED unless offered */
    uint8_t smtputf8;              /* needs SMTPUTF8 (refused otherwise) */
    mp_smtp_ret ret;               /* RET=, only with DSN */
    mp_slice envid;                /* ENVID=, only with DSN */
    uint8_t requiretls;            /* REQUIRETLS (RFC 8689): refused
                                    * unless offered and under TLS */
    uint8_t has_mt_priority;       /* MT-PRIORITY= (RFC 6710), sent only
                                    * when offered */
    int8_t mt_priority;            /* -9..9 */
    uint8_t last;                  /* no transaction follows: with
                                    * PIPELINING, QUIT is written right
                                    * after the end of the body (RFC 2920
                                    * §3.1) and MESSAGE is followed by
                                    * CLOSED instead of READY (no RSET) */
} mp_smtp_client_envelope;

/* Events (mp_smtp_client_event.type). */
typedef enum mp_smtp_client_event_type {
    MP_SMTP_EV_REPLY_LINE = 0, /* every reply line, for logging (reply) */
    MP_SMTP_EV_GREETING,       /* 220 greeting (reply: its last line) */
    MP_SMTP_EV_EXTENSION,      /* one EHLO keyword line (text, cap_bit) */
    MP_SMTP_EV_READY,          /* idle: the host may authenticate, send, quit */
    MP_SMTP_EV_AUTH_CHALLENGE, /* 334: `data` is the decoded challenge,
                                * `text` its base64;
                                * answer with mp_smtp_client_auth_respond */
    MP_SMTP_EV_AUTH_RESULT,    /* 235 or a failure code (reply) */
    MP_SMTP_EV_MAIL_RESULT,    /* reply to MAIL FROM (reply) */
    MP_SMTP_EV_RCPT_RESULT,    /* reply to one RCPT TO (index, reply) */
    MP_SMTP_EV_BODY_READY,     /* push the body (mp_smtp_client_body);
                                * BDAT: again after each chunk's reply
                                * while the body is open (MP_PAUSED ends) */
    MP_SMTP_EV_RCPT_DATA,      /* LMTP: one recipient's message reply */
    MP_SMTP_EV_MESSAGE,        /* the transaction ended (accepted, reply:
                                * when MAIL, DATA or a BDAT chunk failed,
                                * that first failure, its text cut to
                                * MP_SMTP_CLIENT_FAIL_TEXT, not the replies
                                * to the commands pipelined behind it) */
    MP_SMTP_EV_CLOSED          /* 221 to QUIT, or 421 (reply) */
} mp_smtp_client_event_type;

/* An event.  Pointers are valid only during the callback. */
typedef struct mp_smtp_client_event {
    mp_smtp_client_event_type type;
    const mp_smtp_reply_line *reply; /* the (last) reply line, or NULL */
    size_t index;                    /* recipient index (RCPT_RESULT, RCPT_DATA) */
    mp_slice text;                   /* EXTENSION: the keyword line;
                                      * AUTH_CHALLENGE: the base64 text */
    uint32_t cap_bit;                /* EXTENSION: MP_SMTP_CAP_* or 0 */
    mp_slice data;                   /* AUTH_CHALLENGE: decoded bytes */
    int accepted;                    /* MESSAGE, AUTH_RESULT: 1 on success;
                                      * MESSAGE: number of recipients that
                                      * accepted the message (0 = failed) */
} mp_smtp_client_event;

/* Callback return values. */
enum {
    MP_SMTP_CB_CONTINUE = 0,
    MP_SMTP_CB_PAUSE = 1, /* feed returns MP_PAUSED after this reply */
    MP_SMTP_CB_ABORT = 2  /* feed returns MP_ERR_ABORTED; session dead */
};

typedef struct mp_smtp_client_callbacks {
    /* Required.  May call the session's functions (send, auth, quit, body)
     * from inside. */
    int (*on_event)(void *user, const mp_smtp_client_event *ev);
} mp_smtp_client_callbacks;

/* The auth_buf size mp_smtp_client_auth_sasl needs: a SASL message plus
 * the longest decoded challenge a reply line can carry. */
#define MP_SMTP_CLIENT_AUTH_BUF \
    (MP_SASL_MAX_MESSAGE + (MP_SMTP_CLIENT_MAX_REPLY_LINE / 4u) * 3u)

struct mp_sasl_client; /* sasl.h */

/* Phases (private, exposed for sizeof and debugging). */
typedef enum mp_smtp_client_phase {
    MP_SMTP_PH_GREETING = 0,
    MP_SMTP_PH_HELLO,
    MP_SMTP_PH_STARTTLS,
    MP_SMTP_PH_TLS_SWITCH,
    MP_SMTP_PH_READY,
    MP_SMTP_PH_AUTH,
    MP_SMTP_PH_TXN,
    MP_SMTP_PH_BODY,
    MP_SMTP_PH_QUIT,
    MP_SMTP_PH_CLOSED,
    MP_SMTP_PH_FAILED
} mp_smtp_client_phase;

/*
 * The session.  All fields are private.  sizeof(mp_smtp_client) is 1016
 * bytes on x86-64 with the default limits (tested < 1024): the reply line
 * buffer of MP_SMTP_CLIENT_MAX_REPLY_LINE - 2 bytes and the reply queue of
 * MP_SMTP_CLIENT_MAX_PIPELINE bytes are inside; the output buffer and the
 * AUTH scratch are the host's.  Not copyable once initialized (the parser
 * points into it).
 */
typedef struct mp_smtp_client {
    mp_smtp_reply_parser rp;
    mp_outbuf out;
    mp_error err;
    const mp_smtp_client_callbacks *cb;
    void *user;
    mp_smtp_client_config cfg;
    mp_smtp_caps caps;
    mp_smtp_client_envelope *env;
    struct mp_sasl_client *sasl; /* AUTH driven by a SASL client, or NULL */
    /* While AUTH runs: answers each 334 and judges the 235.  Set by the
     * AUTH functions, so that a firmware that never calls them links
     * neither the challenge decoding nor the SASL client. */
    mp_status (*auth_hook)(struct mp_smtp_client *c, const mp_smtp_reply_line *l);
    mp_dot_encoder dot;
    uint64_t pos;            /* stream offset of the next byte fed */
    size_t unsent_head;      /* output bytes up to the end of the oldest
                              * command not wholly sent (nunsent > 0) */
    uint32_t next_rcpt;      /* next RCPT to write */
    uint32_t rcpt_replies;   /* RCPT replies received */
    uint32_t accepted;       /* recipients that accepted RCPT */
    uint32_t msg_accepted;   /* recipients that accepted the message */
    uint32_t lmtp_cursor;    /* LMTP: next recipient whose reply is due */
    /* Replies expected, in order: the kind of reply (low 4 bits) and, for
     * a command not wholly sent but the oldest such, its distance in
     * output bytes from the end of the command before it (high 12 bits). */
    uint16_t queue[MP_SMTP_CLIENT_MAX_PIPELINE];
    uint8_t qhead, qlen;
    uint8_t nunsent;         /* the last nunsent queued commands are not
                              * wholly taken by output_done() */
    uint8_t early;           /* the reply being read began before its
                              * command was sent (or with none queued) */
    uint8_t head_started;    /* the host sent part of the oldest unsent command */
    uint8_t dead_in_data;    /* failed inside a DATA body */
    uint8_t quit_written;    /* a dead session wrote its QUIT */
    uint8_t phase;           /* mp_smtp_client_phase */
    uint8_t secure;          /* TLS is up */
    uint8_t helo_fallback;   /* EHLO refused, HELO sent */
    uint8_t authenticated;
    uint8_t mail_ok;         /* MAIL accepted: a transaction is open */
    uint8_t txn_failed;      /* stop writing commands for this transaction */
    uint8_t use_bdat;
    uint8_t data_written;    /* DATA command written */
    uint8_t body_ended;
    uint8_t bdat_cr;         /* BDAT: last body byte written was a CR */
    uint8_t paused;
    uint8_t aborted;         /* a callback said MP_SMTP_CB_ABORT */
    uint8_t mail_written;
    uint8_t auth_wait;       /* a 334 waits for mp_smtp_client_auth_respond */
    uint8_t need_rset;       /* a BDAT failed: RSET after the last reply */
    uint8_t quit_queued;     /* QUIT pipelined behind the body (env->last) */
    uint16_t fail_code;      /* first failed MAIL/DATA/BDAT reply, 0: none */
    mp_smtp_esc fail_esc;
    uint8_t fail_len;
    char fail_text[MP_SMTP_CLIENT_FAIL_TEXT];
    char line[MP_SMTP_CLIENT_MAX_REPLY_LINE - 2];
} mp_smtp_client;

/*
 * Prepare `c`.  `cfg`, `cb` (and the bytes they point to) and `out[0..cap)`
 * are the host's and must outlive the session; `user` is passed to every
 * callback.  `cap` must hold the longest command (MP_SMTP_MAX_COMMAND_LINE;
 * more lets pipelining batch commands).  Nothing is written until the
 * greeting arrives (MP_SMTP_TLS_IMPLICIT: the host starts TLS first).
 * MP_ERR_ARG: a NULL pointer, a buffer below MP_SMTP_MAX_COMMAND_LINE,
 * callbacks without on_event; MP_ERR_BAD_VALUE: helo_name is not a domain
 * or address literal.
 */
mp_status mp_smtp_client_init(mp_smtp_client *c, const mp_smtp_client_config *cfg,
                              const mp_smtp_client_callbacks *cb, void *user, char *out,
                              size_t cap);

/*
 * Bytes received from the server.  Events fire from inside.  `*used` is
 * set to the bytes consumed.  Returns:
 *  - MP_NEED_MORE: everything consumed, waiting for more input;
 *  - MP_PAUSED: a callback asked to pause; feed the rest later;
 *  - MP_TRANSPORT_SWITCH: the 220 reply to STARTTLS ended exactly at the
 *    end of `in`; start TLS and call mp_smtp_client_tls_started();
 *  - MP_CLOSED: the server closed the session (221 to QUIT);
 *  - errors (the session is then dead; mp_smtp_client_error() has the code,
 *    stream offset and rule): reply parser errors, MP_ERR_TLS_INJECTION
 *    (bytes after the 220 to STARTTLS, or fed before tls_started),
 *    MP_ERR_TLS_REQUIRED (STARTTLS not offered, refused, or HELO only, under
 *    MP_SMTP_TLS_REQUIRED), MP_ERR_SMTP_GREETING_REFUSED (554 or another
 *    4xx/5xx greeting but 421; a QUIT is queued), MP_ERR_SMTP_CLOSING (421
 *    at any point, asked for or not), MP_ERR_SMTP_UNEXPECTED_REPLY (a
 *    reply code the command cannot have, a reply nobody asked for, or a
 *    reply that began before its command was wholly sent, see above),
 *    MP_ERR_SMTP_HELLO_REJECTED, MP_ERR_SASL_SERVER_PROOF (see
 *    mp_smtp_client_auth_sasl), MP_ERR_ABORTED, MP_ERR_NO_SPACE (the
 *    output buffer cannot hold a command the session must write).
 * A dead session answers every later feed with the same error and
 * consumes nothing.
 */
mp_status mp_smtp_client_feed(mp_smtp_client *c, const char *in, size_t len, size_t *used);

/* The bytes to send now (`*len` of them at the returned pointer, inside
 * the host's buffer; valid until the next call on the session). */
const char *mp_smtp_client_output(const mp_smtp_client *c, size_t *len);

/* `n` bytes of the output were sent: a reply to a command counts only
 * once every byte of the command was taken here (see above).  Writes
 * pipelined commands that were waiting for room.  MP_ERR_ARG when n
 * exceeds the output length. */
mp_status mp_smtp_client_output_done(mp_smtp_client *c, size_t n);

/* The host finished the TLS handshake after MP_TRANSPORT_SWITCH.  All
 * that was learnt before is forgotten and EHLO is sent again
 * (docs/security.md).  MP_ERR_STATE outside the switch. */
mp_status mp_smtp_client_tls_started(mp_smtp_client *c);

/* What the last EHLO advertised (empty before it, and after HELO).  Points
 * into `c`: valid while `c` lives, updated by the next EHLO. */
const mp_smtp_caps *mp_smtp_client_caps(const mp_smtp_client *c);

/* The error that killed the session (code MP_OK while alive): code,
 * stream offset of the reply line (or byte) at fault, and a static rule
 * string.  Points into `c`. */
const mp_error *mp_smtp_client_error(const mp_smtp_client *c);

/* The current phase (mp_smtp_client_phase). */
mp_smtp_client_phase mp_smtp_client_phase_of(const mp_smtp_client *c);

/*
 * Start AUTH with `mech` (RFC 4954), in the READY phase.  When
 * `has_initial`, `initial[0..len)` (decoded) is sent on the AUTH line.
 * Each 334 gives an MP_SMTP_EV_AUTH_CHALLENGE; the result an
 * MP_SMTP_EV_AUTH_RESULT followed by READY.  Under MP_SMTP_TLS_REQUIRED
 * without TLS, MP_ERR_TLS_REQUIRED (no credentials in cleartext).
 * MP_ERR_UNSUPPORTED when the server did not offer AUTH; MP_ERR_STATE
 * outside READY or after a successful AUTH; writer errors.
 */
mp_status mp_smtp_client_auth(mp_smtp_client *c, mp_slice mech, const void *initial,
                              size_t len, int has_initial);

/*
 * Start AUTH driven by the SASL client `sasl` (sasl.h), already started by
 * the host with mp_sasl_client_start() for the mechanism it chose, e.g.
 * mp_sasl_choose(mp_smtp_client_sasl_offered(c), flags).  The session
 * sends the initial response when the mechanism has one (RFC 4954 allows
 * it on the AUTH line), answers every 334 with mp_sasl_client_step()
 * (the AUTH_CHALLENGE event is then informational only), cancels with "*"
 * when a step fails (the host finds the reason in sasl->err), and on 235
 * checks mp_sasl_client_finish(): a SCRAM server that claims success
 * without proving it kills the session with MP_ERR_SASL_SERVER_PROOF.
 * `sasl` is borrowed until AUTH_RESULT.  Needs cfg.auth_buf of
 * MP_SMTP_CLIENT_AUTH_BUF bytes (MP_ERR_ARG otherwise) and an output
 * buffer that holds a base64 SASL message (2 KiB is enough).  Other errors
 * as mp_smtp_client_auth.
 */
mp_status mp_smtp_client_auth_sasl(mp_smtp_client *c, struct mp_sasl_client *sasl);

/* The mechanisms of the last EHLO's AUTH keyword as an mp_sasl_mech_set
 * (sasl.h), ready for mp_sasl_choose(). */
uint32_t mp_smtp_client_sasl_offered(const mp_smtp_client *c);

/* 1 when the connection is under TLS (implicit, or after STARTTLS). */
int mp_smtp_client_secure(const mp_smtp_client *c);

/* Answer the current 334 challenge with `data[0..len)` (decoded; the
 * session base64-encodes it), or cancel with `cancel` ("*", the server
 * then answers 501).  MP_ERR_STATE when no challenge is pending. */
mp_status mp_smtp_client_auth_respond(mp_smtp_client *c, const void *data, size_t len,
                                      int cancel);

/*
 * Start a transaction, in the READY phase: MAIL FROM with the parameters
 * the server offers (SIZE, BODY, SMTPUTF8, and with DSN: RET, ENVID,
 * NOTIFY, ORCPT), the RCPTs, then DATA or BDAT.  With PIPELINING the
 * commands go out in one write (as many as the buffer holds).  Results
 * arrive as MAIL_RESULT, RCPT_RESULT, BODY_READY (push the body),
 * RCPT_DATA (LMTP), MESSAGE, then READY.  Errors: MP_ERR_STATE,
 * MP_ERR_ARG (no recipient, more than MP_SMTP_MAX_RCPTS),
 * MP_ERR_UNSUPPORTED (SMTPUTF8, 8BITMIME, BINARYMIME or REQUIRETLS needed
 * but not offered),
 * MP_ERR_SMTP_SIZE_EXCEEDED (env->size above the server's SIZE),
 * MP_ERR_TLS_REQUIRED (REQUIRETLS without TLS), and the
 * writer's value errors for any address (checked before anything is
 * written).
 */
mp_status mp_smtp_client_send(mp_smtp_client *c, mp_smtp_client_envelope *env);

/*
 * Push body bytes after MP_SMTP_EV_BODY_READY, in chunks of any size.
 * As much as fits in the output buffer is taken (`*used`); send output and
 * push the rest.  DATA: dot-stuffed; BDAT: framed in chunks.  Returns
 * MP_OK (maybe with *used < len), MP_ERR_NO_SPACE (nothing fit: send
 * output first), MP_ERR_BARE_LF / MP_ERR_BARE_CR / MP_ERR_NUL (refused
 * byte at *used; not with MP_SMTP_CLIENT_NORMALIZE_LF for LF/CR),
 * MP_ERR_STATE (no body expected, e.g. the transaction already failed),
 * MP_PAUSED (BDAT without PIPELINING, or the reply queue is full: the
 * replies to earlier chunks are awaited; feed input, then push again).
 * BDAT chunks are as large as the output buffer allows, except behind a
 * command not yet wholly sent: then at most 4 KiB (the session keeps the
 * distance between unsent commands in 12 bits).
 * After a refused byte the host should fix its input or close the
 * connection (a half-sent message cannot be withdrawn).
 */
mp_status mp_smtp_client_body(mp_smtp_client *c, const void *data, size_t len, size_t *used);

/* End the body: ".\r\n" (after CRLF if the body did not end with one) or
 * "BDAT 0 LAST".  MP_ERR_NO_SPACE: send output and call again. */
mp_status mp_smtp_client_body_end(mp_smtp_client *c);

/* Queue RSET (READY phase); READY fires again after its reply.
 * MP_ERR_STATE elsewhere (a failed transaction is reset by the session
 * itself), MP_ERR_NO_SPACE. */
mp_status mp_smtp_client_rset(mp_smtp_client *c);

/* Queue QUIT in the READY phase; feed returns MP_CLOSED after its reply
 * (221, or anything else: the session ends either way).  On a dead
 * session it only writes "QUIT" for the host to send before it closes
 * (RFC 5321 §4.1.1.10; the session reads no reply: the host waits for the
 * server to close), once, in place of the commands the host has not begun
 * to send (the rest of one it has begun, and the end of a DATA body after
 * its 354, still go first); MP_ERR_STATE when the session died inside a
 * DATA body, where QUIT would be message text: the host closes (which
 * abandons the message).  A refused greeting queues that QUIT itself.
 * MP_ERR_STATE in any other phase (finish or abandon the transaction
 * first), MP_ERR_NO_SPACE. */
mp_status mp_smtp_client_quit(mp_smtp_client *c);

#ifdef __cplusplus
}
#endif

#endif /* MAILPROTO_SMTP_CLIENT_H */
