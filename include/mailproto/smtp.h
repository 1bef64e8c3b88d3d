/*
 * libmailproto — SMTP and LMTP: common types, the command codec (server
 * side), the reply writer and the server session.
 *
 * RFC 5321 (SMTP), RFC 2033 (LMTP), RFC 1869/1870 (ESMTP, SIZE),
 * RFC 6152 (8BITMIME), RFC 3030 (CHUNKING, BINARYMIME), RFC 2920
 * (PIPELINING), RFC 2034/3463 (enhanced status codes), RFC 3207
 * (STARTTLS), RFC 4954 (AUTH), RFC 3461 (DSN), RFC 6531 (SMTPUTF8),
 * RFC 8689 (REQUIRETLS), RFC 6710 (MT-PRIORITY).
 *
 * This header is the single home of every type both sides use; the
 * client side (reply parser, command writer, client session) is in
 * smtp_client.h, which includes this one.  Nothing here allocates; every slice handed out points
 * into the caller's input or into the session's line buffer and is valid
 * only for the duration of the call or callback that returned it, unless
 * stated otherwise.
 *
 * Guide: docs/smtp-server.md (the server session), with a complete
 * program; the client side: docs/smtp-client.md.
 */
#ifndef MAILPROTO_SMTP_H
#define MAILPROTO_SMTP_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================= */
/* Commands (RFC 5321 §4.1.1)                                              */
/* ======================================================================= */

/* The command verbs a server understands.  0 is never a parsed verb. */
typedef enum mp_smtp_verb {
    MP_SMTP_NONE = 0,
    MP_SMTP_HELO,
    MP_SMTP_EHLO,
    MP_SMTP_LHLO,     /* RFC 2033 */
    MP_SMTP_MAIL,
    MP_SMTP_RCPT,
    MP_SMTP_DATA,
    MP_SMTP_BDAT,     /* RFC 3030 */
    MP_SMTP_RSET,
    MP_SMTP_NOOP,
    MP_SMTP_QUIT,
    MP_SMTP_VRFY,
    MP_SMTP_EXPN,
    MP_SMTP_HELP,
    MP_SMTP_STARTTLS, /* RFC 3207 */
    MP_SMTP_AUTH,     /* RFC 4954 */
    MP_SMTP_VERB_COUNT_
} mp_smtp_verb;

/* The upper-case name of a verb ("MAIL"), or "?" for an unknown value;
 * static storage. */
const char *mp_smtp_verb_name(mp_smtp_verb v);

/* What a path is (RFC 5321 §4.1.2). */
typedef enum mp_smtp_path_kind {
    MP_SMTP_PATH_MAILBOX = 0, /* <local@domain> */
    MP_SMTP_PATH_NULL,        /* <> (reverse-path only) */
    MP_SMTP_PATH_POSTMASTER   /* <Postmaster> without a domain (forward-path only) */
} mp_smtp_path_kind;

/* Path flags. */
enum {
    MP_SMTP_PATH_QUOTED = 1u << 0,       /* the local part is a Quoted-string */
    MP_SMTP_PATH_LITERAL_V4 = 1u << 1,   /* domain is [IPv4] */
    MP_SMTP_PATH_LITERAL_V6 = 1u << 2,   /* domain is [IPv6:...] */
    MP_SMTP_PATH_LITERAL_GEN = 1u << 3,  /* domain is [tag:content] */
    MP_SMTP_PATH_UTF8 = 1u << 4,         /* holds UTF-8 (RFC 6531) */
    MP_SMTP_PATH_SOURCE_ROUTE = 1u << 5  /* a source route was present and dropped */
};

/*
 * A parsed reverse- or forward-path.  Slices point into the command line.
 * `mailbox` is "local@domain" exactly as sent (quoting kept) with the angle
 * brackets and any source route removed; `local` and `domain` are its two
 * parts (`domain` keeps the brackets of an address literal).  For the null
 * path all three are empty; for <Postmaster> `mailbox` and `local` hold
 * "Postmaster" as sent and `domain` is empty.
 */
typedef struct mp_smtp_path {
    mp_slice mailbox;
    mp_slice local;
    mp_slice domain;
    uint8_t kind;   /* mp_smtp_path_kind */
    uint8_t flags;  /* MP_SMTP_PATH_* */
} mp_smtp_path;

/* BODY= values (RFC 6152, RFC 3030). */
typedef enum mp_smtp_body {
    MP_SMTP_BODY_NONE = 0,
    MP_SMTP_BODY_7BIT,
    MP_SMTP_BODY_8BITMIME,
    MP_SMTP_BODY_BINARYMIME
} mp_smtp_body;

/* RET= values (RFC 3461 §4.3). */
typedef enum mp_smtp_ret {
    MP_SMTP_RET_NONE = 0,
    MP_SMTP_RET_FULL,
    MP_SMTP_RET_HDRS
} mp_smtp_ret;

/* NOTIFY= bits (RFC 3461 §4.1).  NEVER excludes the others. */
enum {
    MP_SMTP_NOTIFY_NEVER = 1u << 0,
    MP_SMTP_NOTIFY_SUCCESS = 1u << 1,
    MP_SMTP_NOTIFY_FAILURE = 1u << 2,
    MP_SMTP_NOTIFY_DELAY = 1u << 3
};

/* Which known parameters were present (mp_smtp_params.present). */
enum {
    MP_SMTP_P_SIZE = 1u << 0,
    MP_SMTP_P_BODY = 1u << 1,
    MP_SMTP_P_SMTPUTF8 = 1u << 2,
    MP_SMTP_P_RET = 1u << 3,
    MP_SMTP_P_ENVID = 1u << 4,
    MP_SMTP_P_AUTH = 1u << 5,
    MP_SMTP_P_REQUIRETLS = 1u << 6,
    MP_SMTP_P_MT_PRIORITY = 1u << 7,
    MP_SMTP_P_NOTIFY = 1u << 8,
    MP_SMTP_P_ORCPT = 1u << 9
};

/*
 * ESMTP parameters of a MAIL or RCPT command, parsed and validated.  MAIL
 * knows SIZE BODY SMTPUTF8 RET ENVID AUTH REQUIRETLS MT-PRIORITY; RCPT
 * knows NOTIFY ORCPT.  Any other keyword (or a known one on the other
 * command) counts in `n_unknown`; the host walks all parameters with
 * mp_smtp_param_next() over mp_smtp_cmd.params.  xtext values (ENVID,
 * AUTH, ORCPT) are kept as sent and decoded on demand with
 * mp_smtp_xtext_decode().  Whether the server advertised the extension
 * is the session's business, not the parser's.
 */
typedef struct mp_smtp_params {
    uint64_t size;         /* SIZE= (RFC 1870) */
    mp_slice envid;        /* ENVID= xtext (RFC 3461 §4.4) */
    mp_slice auth;         /* AUTH= xtext or "<>" (RFC 4954 §5) */
    mp_slice orcpt_type;   /* ORCPT= addr-type ("rfc822") */
    mp_slice orcpt;        /* ORCPT= xtext after the ";" */
    uint16_t present;      /* MP_SMTP_P_* */
    uint8_t body;          /* mp_smtp_body */
    uint8_t ret;           /* mp_smtp_ret */
    uint8_t notify;        /* MP_SMTP_NOTIFY_* */
    int8_t mt_priority;    /* MT-PRIORITY= -9..9 (RFC 6710) */
    uint8_t n_unknown;     /* parameters not listed above */
} mp_smtp_params;

/*
 * One parsed command line.  Which fields are set depends on `verb`:
 *  HELO/EHLO/LHLO  arg = the domain or address literal
 *  MAIL/RCPT       path, params, params_text (raw text after the path)
 *  BDAT            bdat_size, bdat_last
 *  VRFY/EXPN       arg = the string (required)
 *  HELP/NOOP       arg = the optional string (empty when absent)
 *  AUTH            arg = mechanism (upper or lower case as sent),
 *                  arg2 = initial response as sent ("=" for an empty
 *                  one), has_arg2 says whether it was present
 * Slices point into the line given to mp_smtp_cmd_parse().
 */
typedef struct mp_smtp_cmd {
    mp_smtp_verb verb;
    mp_slice arg;
    mp_slice arg2;
    mp_slice params_text;
    mp_smtp_path path;
    mp_smtp_params params;
    uint64_t bdat_size;
    uint8_t bdat_last;
    uint8_t has_arg2;
} mp_smtp_cmd;

/* Parser flags. */
enum {
    /* The server advertises SMTPUTF8: MAIL accepts the SMTPUTF8 parameter,
     * and a MAIL path may hold UTF-8 when that parameter is present. */
    MP_SMTP_CMD_SMTPUTF8 = 1u << 0,
    /* The transaction is SMTPUTF8 (the MAIL had SMTPUTF8): a RCPT path may
     * hold UTF-8.  Set by the session. */
    MP_SMTP_CMD_UTF8_TXN = 1u << 1,
    /* Quirk: accept spaces after "FROM:" / "TO:" and between parameters,
     * trailing spaces ("MAIL FROM: <a@b>" from Outlook and scripts), and
     * any printable HELO/EHLO argument (misconfigured hosts send names with
     * "_").  Harmless for security; off for strict RFC 5321. */
    MP_SMTP_CMD_LAX = 1u << 2
};

/*
 * Parse one command line (without its CRLF, e.g. from mp_line_framer).
 * Returns MP_OK with `*cmd` filled, or an error with `err` set (offset
 * counted from the start of `line`, rule naming the ABNF rule or limit):
 *  MP_ERR_SMTP_UNKNOWN_COMMAND  unknown verb (reply 500 5.5.1)
 *  MP_ERR_SMTP_HTTP             the line is an HTTP request (close)
 *  MP_ERR_SYNTAX                arguments malformed (501 5.5.4)
 *  MP_ERR_SMTP_PATH             malformed path (501 5.1.3 / 5.1.7)
 *  MP_ERR_SMTP_PATH_TOO_LONG / _LOCAL_TOO_LONG / _DOMAIN_TOO_LONG
 *  MP_ERR_SMTP_UTF8_PATH        8-bit path without SMTPUTF8 (553 5.6.7)
 *  MP_ERR_UTF8                  invalid UTF-8 in a path (501 5.1.3 / 5.1.7)
 *  MP_ERR_SMTP_PARAM            malformed ESMTP parameter (501 5.5.4)
 *  MP_ERR_SMTP_PARAM_TOO_LONG   ENVID over MP_SMTP_MAX_ENVID or ORCPT over
 *                               MP_SMTP_MAX_ORCPT (501 5.5.4)
 *  MP_ERR_SMTP_PARAM_DUP        a parameter given twice
 *  MP_ERR_SMTP_TOO_MANY_PARAMS  more than MP_SMTP_MAX_PARAMS
 *  MP_ERR_SMTP_XTEXT            malformed xtext value
 *  MP_ERR_NUMBER                SIZE / BDAT / MT-PRIORITY out of range
 * `cmd->verb` is set even on argument errors (MP_SMTP_NONE when the verb
 * itself is unknown) so a server can pick the right reply.
 */
mp_status mp_smtp_cmd_parse(const char *line, size_t len, unsigned flags, mp_smtp_cmd *cmd,
                            mp_error *err);

/*
 * Parse a path at the start of `p[0..n)`: "<" [A-d-l ":"] Mailbox ">", or
 * "<>" (when allow_null), or "<Postmaster>" (when allow_postmaster).
 * `utf8` permits RFC 6531 UTF-8 (validated).  `*used` gets the length of
 * the path through its ">"; what follows is the caller's.  Slices in
 * `*path` point into `p`.  Errors as for mp_smtp_cmd_parse(), with
 * err->offset counted from `p`.
 */
mp_status mp_smtp_path_parse(const char *p, size_t n, int allow_null, int allow_postmaster,
                             int utf8, mp_smtp_path *path, size_t *used, mp_error *err);

/*
 * Parse a mailbox as a host holds it, without angle brackets
 * ("local@domain"): exactly what mp_smtp_path_parse() accepts between "<"
 * and ">" except a source route, with the same limits (MP_SMTP_MAX_PATH
 * counts the two brackets) and errors (err->offset counted from `p`).
 * Empty is the null path when `allow_null` (else MP_ERR_SMTP_PATH);
 * "Postmaster" (any case) stands alone when `allow_postmaster`.  `utf8`
 * permits RFC 6531 UTF-8 (else MP_ERR_SMTP_UTF8_PATH).  The SMTP client
 * checks every address it sends with this, so what it sends is what the
 * server accepts.  Slices in `*path` point into `p`.  MP_ERR_ARG for a
 * NULL `p` with n > 0.
 */
mp_status mp_smtp_mailbox_parse(const char *p, size_t n, int allow_null, int allow_postmaster,
                                int utf8, mp_smtp_path *path, mp_error *err);

/* Check a domain (sub-domain *("." sub-domain), labels <= MP_SMTP_MAX_LABEL,
 * whole <= MP_SMTP_MAX_DOMAIN) or an address literal "[...]"; `utf8`
 * allows U-labels.  Sets the MP_SMTP_PATH_LITERAL_* / _UTF8 bits in
 * `*flags`.  Errors as mp_smtp_path_parse(). */
mp_status mp_smtp_domain_check(const char *p, size_t n, int utf8, unsigned *flags,
                               mp_error *err);

/* Iterator over the "keyword[=value]" items of mp_smtp_cmd.params_text. */
typedef struct mp_smtp_param_iter {
    mp_slice rest;
} mp_smtp_param_iter;

/* Start iterating `params_text` (borrowed; must outlive the iterator). */
void mp_smtp_param_iter_init(mp_smtp_param_iter *it, mp_slice params_text);
/* Next parameter: returns 1 with `*keyword` and `*value` (empty when the
 * parameter has no "="; `*has_value` tells) or 0 at the end.  The text was
 * validated by mp_smtp_cmd_parse(). */
int mp_smtp_param_next(mp_smtp_param_iter *it, mp_slice *keyword, mp_slice *value,
                       int *has_value);

/* 1 when `s` is valid xtext (RFC 3461 §4: xchar / "+" 2HEXDIG), else 0. */
int mp_smtp_xtext_valid(mp_slice s);
/* Decode xtext into out[0..cap).  MP_ERR_SMTP_XTEXT when malformed
 * (`*outlen` = offset of the bad byte), MP_ERR_NO_SPACE when cap is too
 * small (`*outlen` = size needed). */
mp_status mp_smtp_xtext_decode(mp_slice s, char *out, size_t cap, size_t *outlen);

/* Length of `s` encoded as xtext: xchar bytes stay, every other byte
 * becomes "+" 2HEXDIG. */
size_t mp_smtp_xtext_encoded_len(mp_slice s);
/* Append `s` encoded as xtext (upper-case hex) to the element being
 * written into `ob` (between mp_outbuf_mark and _commit, which reports a
 * lack of room).  The inverse of mp_smtp_xtext_decode(). */
void mp_smtp_xtext_put(mp_outbuf *ob, mp_slice s);

/* ======================================================================= */
/* Replies (RFC 5321 §4.2, enhanced codes RFC 2034 / RFC 3463)             */
/* ======================================================================= */

/* Longest reply text the writer accepts on one line: the reply line limit
 * less "NNN-" "C.SSS.DDD " and CRLF. */
#define MP_SMTP_MAX_REPLY_TEXT (MP_SMTP_MAX_REPLY_LINE - 20u)

/*
 * Write one reply of `n` lines (n >= 1): "code-esc text" for all but the
 * last, "code esc text" for the last.  `esc` is an enhanced status code
 * ("2.1.0") or NULL for none; its class must equal the first digit of
 * `code`.  `code` must be 200..599 with a second digit 0..5.  Each text
 * may be empty and must hold no CR, LF or NUL and fit
 * MP_SMTP_MAX_REPLY_TEXT.  Whole reply or nothing: MP_ERR_ARG (bad code,
 * bad esc), MP_ERR_BAD_VALUE (bad text), MP_ERR_NO_SPACE (ob->need says
 * how much room the reply needs).
 */
mp_status mp_smtp_reply_write_lines(mp_outbuf *ob, unsigned code, const char *esc,
                                    const mp_slice *lines, size_t n);

/* A single-line reply; `text` is a NUL-terminated string (may be NULL for
 * none).  Errors as mp_smtp_reply_write_lines(). */
mp_status mp_smtp_reply_write(mp_outbuf *ob, unsigned code, const char *esc, const char *text);

/* 1 when `esc` is "class.subject.detail" with class 2, 4 or 5, subject
 * and detail 1 to 3 digits without leading zeros (RFC 3463 §2). */
int mp_smtp_esc_valid(const char *esc, size_t n);

/* An enhanced status code (RFC 3463 §2) as numbers: 5.1.1 is
 * { 5, 1, 1 }.  The common representation for both sides. */
typedef struct mp_smtp_esc {
    uint8_t cls;       /* 2, 4 or 5 */
    uint16_t subject;  /* 0..999 */
    uint16_t detail;   /* 0..999 */
} mp_smtp_esc;

/* Longest text form: "5.999.999". */
#define MP_SMTP_ESC_MAX 9u

/* Parse an enhanced status code at the start of `p[0..n)`, as it begins
 * the text of a reply line; it must be followed by the end or a space.
 * Returns the number of bytes it takes (5..9) or 0 when `p` does not
 * start with one. */
size_t mp_smtp_esc_parse(const char *p, size_t n, mp_smtp_esc *out);

/* Write `e` as text plus a NUL into `out` (MP_SMTP_ESC_MAX + 1 bytes).
 * Returns its length, or 0 (and "" in `out`) when `e` is out of range. */
size_t mp_smtp_esc_format(mp_smtp_esc e, char *out);

/* A reply code (RFC 5321 §4.2): 200..599 with a second digit 0..5. */
static inline int mp_smtp_code_valid(unsigned code)
{
    return code >= 200u && code <= 599u && (code / 10u) % 10u <= 5u;
}
/* Its class: 2 positive completion, 3 intermediate, 4 transient
 * negative, 5 permanent negative (RFC 5321 §4.2.1). */
static inline unsigned mp_smtp_code_class(unsigned code) { return code / 100u; }

/* ======================================================================= */
/* Server session                                                          */
/* ======================================================================= */

/* Server configuration flags (mp_smtp_server_config.flags). */
enum {
    MP_SMTP_SRV_LMTP = 1u << 0,          /* RFC 2033: LHLO, one reply per recipient */
    MP_SMTP_SRV_STARTTLS = 1u << 1,      /* offer STARTTLS while in plaintext */
    MP_SMTP_SRV_TLS_ACTIVE = 1u << 2,    /* the transport is already TLS (implicit TLS) */
    MP_SMTP_SRV_AUTH = 1u << 3,          /* offer AUTH (needs MP_ENABLE_SASL and mechs) */
    /* Without TLS only mechanisms that do not reveal the secret (CRAM-MD5,
     * SCRAM) are offered; this flag offers all of them (risky: cleartext
     * passwords).  A cleartext mechanism asked for anyway gets 538. */
    MP_SMTP_SRV_AUTH_PLAINTEXT = 1u << 4,
    MP_SMTP_SRV_AUTH_REQUIRED = 1u << 5, /* MAIL needs a successful AUTH first (530 5.7.0) */
    MP_SMTP_SRV_8BITMIME = 1u << 6,
    MP_SMTP_SRV_SMTPUTF8 = 1u << 7,
    MP_SMTP_SRV_CHUNKING = 1u << 8,
    MP_SMTP_SRV_BINARYMIME = 1u << 9,    /* needs CHUNKING */
    MP_SMTP_SRV_DSN = 1u << 10,
    MP_SMTP_SRV_REQUIRETLS = 1u << 11,   /* advertised only over TLS */
    MP_SMTP_SRV_MT_PRIORITY = 1u << 12,
    /* Pass unknown MAIL/RCPT parameters to the host (it decides in its
     * on_mail/on_rcpt); without this flag they get 555 5.5.4. */
    MP_SMTP_SRV_UNKNOWN_PARAMS = 1u << 13,
    /* Quirk: bare LF in DATA ends a content line (delivered as CRLF).  The
     * end of data is still exactly CRLF.CRLF.  Default: the body is
     * poisoned and refused at the real end, docs/security.md. */
    MP_SMTP_SRV_NORMALIZE_LF = 1u << 14,
    /* Quirk: MP_SMTP_CMD_LAX for every command. */
    MP_SMTP_SRV_LAX = 1u << 15,
    /* Offer no AUTH mechanism at all before TLS (not even CRAM-MD5 or
     * SCRAM); AUTH then gets 538 5.7.11.  Overrides AUTH_PLAINTEXT. */
    MP_SMTP_SRV_AUTH_TLS_ONLY = 1u << 16,
    /* Enforce the text line limit in DATA (RFC 5321 §4.5.3.1.6:
     * MP_SMTP_MAX_TEXT_LINE octets with CRLF, counted on the unstuffed
     * content).  A longer line stops delivery there (on_body never sees
     * the rest); the session reads on to the real end of data, then
     * on_message_end gets MP_ERR_SMTP_TEXT_LINE_TOO_LONG and the client
     * "550 5.6.0"; the session stays open.  Off by default: real mail
     * exceeds the limit. */
    MP_SMTP_SRV_TEXT_LINE_LIMIT = 1u << 17,
    /* Close the session after a poisoned DATA body (bare CR, bare LF or
     * NUL, docs/security.md), as Postfix's smtpd_forbid_bare_newline does.
     * Off by default: the stream is in sync at the real CRLF.CRLF, nothing
     * between a forged end and the real one is ever executed, and a relay
     * that reuses the connection loses its next message to a closed
     * connection.  With the flag the session refuses the message as
     * without it ("550 5.6.0", LMTP: one per accepted recipient), then
     * writes "421 4.7.0 <host> ... closing" and ends (MP_CLOSED): RFC 5321
     * §3.8 allows a close only after QUIT or a 421, and the 421 tells a
     * client that pipelined its next commands that they were not executed
     * (a temporary failure, retried elsewhere), while the 550 before it
     * keeps the poisoned message from being retried. */
    MP_SMTP_SRV_CLOSE_ON_POISON = 1u << 18
};

/* Which host decision the session waits for (mp_smtp_server_pending). */
typedef enum mp_smtp_decision {
    MP_SMTP_DECIDE_NONE = 0,
    MP_SMTP_DECIDE_HELO,     /* accept: the session writes the greeting/EHLO reply */
    MP_SMTP_DECIDE_MAIL,     /* accept with 250 */
    MP_SMTP_DECIDE_RCPT,     /* accept with 250/251 */
    MP_SMTP_DECIDE_DATA,     /* accept with 354: the body follows */
    MP_SMTP_DECIDE_MESSAGE,  /* end of DATA or BDAT LAST: 250 or an error;
                                LMTP: one reply per accepted recipient, in
                                RCPT order (RFC 2033 §4.2) */
    MP_SMTP_DECIDE_VRFY,
    MP_SMTP_DECIDE_EXPN,
    MP_SMTP_DECIDE_HELP,
    MP_SMTP_DECIDE_AUTH      /* see mp_smtp_server_auth_resume() */
} mp_smtp_decision;

typedef struct mp_smtp_server mp_smtp_server;

/*
 * Events.  Every callback may be NULL.  `user` is the pointer given to
 * mp_smtp_server_init().  A callback returns 0 to go on or non-zero to
 * abort the feed (mp_smtp_server_feed returns MP_ERR_ABORTED; the
 * session stays usable and the command is answered when the host
 * answers).  A decision callback (on_helo, on_mail, on_rcpt, on_data,
 * on_message_end, on_vrfy, on_expn, on_help) is a question: the host
 * answers with mp_smtp_server_reply()/_accept() either inside the callback
 * or later; until then feed returns MP_PAUSED and consumes nothing more.
 * When a decision callback is NULL the session answers itself (accepts
 * HELO/MAIL/RCPT/DATA/message, 252 for VRFY, 502 for EXPN, 214 for HELP).
 * `cmd` and its slices are valid only during the callback; copy what an
 * asynchronous answer needs.
 */
typedef struct mp_smtp_server_callbacks {
    int (*on_helo)(void *user, mp_smtp_server *s, const mp_smtp_cmd *cmd);
    int (*on_mail)(void *user, mp_smtp_server *s, const mp_smtp_cmd *cmd);
    int (*on_rcpt)(void *user, mp_smtp_server *s, const mp_smtp_cmd *cmd);
    /* DATA was given (decide with 354 or an error).  A BDAT transaction
     * has no such question: its body starts with the first on_body (or,
     * for "BDAT 0 LAST" alone, with on_message_end). */
    int (*on_data)(void *user, mp_smtp_server *s);
    /* Body bytes: DATA content dot-unstuffed (lines end in CRLF), BDAT
     * chunk content verbatim.  Chunks may be of any size; never called
     * after the body was poisoned, and never beyond max_size bytes. */
    int (*on_body)(void *user, mp_smtp_server *s, const char *p, size_t n);
    /* The body ended (DATA's CRLF.CRLF, or the last BDAT chunk read).
     * `status` MP_OK: decide (DECIDE_MESSAGE).  In LMTP a host whose
     * replies do not all fit the output answers what fits (MP_ERR_NO_SPACE),
     * sends, and answers the rest later.  Otherwise the body is refused
     * (MP_ERR_BARE_CR/LF, MP_ERR_NUL: "550 5.6.0"; MP_ERR_SMTP_MESSAGE_TOO_BIG,
     * also for a BDAT LAST chunk over max_size: "552 5.3.4";
     * MP_ERR_SMTP_TEXT_LINE_TOO_LONG: "550 5.6.0"): the host discards what
     * it received, this is no decision, and after the callback the session
     * writes the refusal itself, in LMTP once per accepted recipient
     * (state MP_SMTP_SS_END_REPLIES while they wait for room). */
    int (*on_message_end)(void *user, mp_smtp_server *s, mp_status status);
    int (*on_vrfy)(void *user, mp_smtp_server *s, const mp_smtp_cmd *cmd);
    int (*on_expn)(void *user, mp_smtp_server *s, const mp_smtp_cmd *cmd);
    int (*on_help)(void *user, mp_smtp_server *s, const mp_smtp_cmd *cmd);
    /* A transaction in progress was dropped: RSET, HELO/EHLO/LHLO, or a
     * BDAT chunk other than the LAST one over the size limit (answered
     * 552; chunks pipelined behind it get 503) (a notification). */
    int (*on_reset)(void *user, mp_smtp_server *s);
    /* AUTH: the SASL exchange needs the host (verify a password, supply
     * stored SCRAM keys); see mp_smtp_server_auth_resume(). */
    int (*on_auth)(void *user, mp_smtp_server *s);
    /* Something went wrong that the session handled itself (bad command,
     * limit, injection after STARTTLS, poisoned body): for logging.  `e`
     * carries the stream offset. */
    void (*on_error)(void *user, mp_smtp_server *s, const mp_error *e);
} mp_smtp_server_callbacks;

struct mp_sasl_server;
struct mp_sasl_server_config;
struct mp_crypto_provider;

/* Bytes at the end of `line_buf` used as SASL scratch (a decoded response
 * and a challenge, MP_SASL_MAX_MESSAGE each) when AUTH is offered. */
#define MP_SMTP_SERVER_AUTH_SCRATCH (2u * MP_SASL_MAX_MESSAGE)
/* Line buffer size a session needs: without AUTH, and with AUTH. */
#define MP_SMTP_SERVER_LINE_BUF (MP_SMTP_MAX_COMMAND_LINE - 2u)
#define MP_SMTP_SERVER_LINE_BUF_AUTH (MP_SMTP_MAX_AUTH_LINE - 2u + MP_SMTP_SERVER_AUTH_SCRATCH)

/*
 * Configuration; borrowed by the session (must outlive it, never copied).
 * `hostname` appears in the greeting, EHLO and 421 replies (NUL-terminated,
 * 1..64 printable ASCII characters without spaces).  `line_buf` holds a
 * command line that straddles feeds: at least MP_SMTP_SERVER_LINE_BUF
 * bytes, or MP_SMTP_SERVER_LINE_BUF_AUTH when AUTH is offered.  `max_size`
 * is the message size limit (0: none; advertised as SIZE and enforced with
 * 552 5.3.4).  `max_rcpts` (0: MP_SMTP_MAX_RCPTS) may only lower the
 * compile-time limit.  AUTH (MP_SMTP_SRV_AUTH): `auth_mechs` is the
 * space-separated list advertised ("PLAIN LOGIN", at most 200 characters),
 * `sasl` host storage for the exchange (sasl.h), `sasl_cfg` its
 * parameters (may be NULL), `crypto` the provider CRAM-MD5/SCRAM need.
 */
typedef struct mp_smtp_server_config {
    const char *hostname;
    unsigned flags;          /* MP_SMTP_SRV_* */
    uint64_t max_size;
    unsigned max_rcpts;
    char *line_buf;
    size_t line_cap;
    const char *auth_mechs;
    struct mp_sasl_server *sasl;
    const struct mp_sasl_server_config *sasl_cfg;
    const struct mp_crypto_provider *crypto;
} mp_smtp_server_config;

/* Session states (mp_smtp_server_state); private transitions, public for
 * logs and tests. */
typedef enum mp_smtp_server_state {
    MP_SMTP_SS_INIT = 0,     /* greeting sent, HELO/EHLO/LHLO needed */
    MP_SMTP_SS_READY,        /* greeted, no transaction */
    MP_SMTP_SS_MAIL,         /* MAIL accepted */
    MP_SMTP_SS_RCPT,         /* at least one RCPT accepted */
    MP_SMTP_SS_DATA,         /* reading the DATA body */
    MP_SMTP_SS_BDAT,         /* reading a BDAT chunk */
    MP_SMTP_SS_BDAT_SKIP,    /* skipping the bytes of a rejected BDAT */
    MP_SMTP_SS_BDAT_NEXT,    /* between BDAT chunks */
    MP_SMTP_SS_AUTH,         /* reading a SASL response line */
    MP_SMTP_SS_TLS,          /* stopped at a STARTTLS switch */
    MP_SMTP_SS_CLOSED,       /* QUIT, 421 or fatal error: send output, close */
    /* The body ended and the session writes its own end-of-data replies
     * (a refusal, or the acceptance without on_message_end; LMTP: one per
     * accepted recipient) as the output makes room; no command is read
     * until the last one is out.  Numbered after CLOSED so that earlier
     * values stay what they were. */
    MP_SMTP_SS_END_REPLIES
} mp_smtp_server_state;

/* The session.  Place it anywhere; it holds no pointer into itself, but
 * a copy would share the host's buffers, so use one copy only.  Fields are
 * private except where a comment says otherwise (injected, last_error,
 * tls, authed, ehlo are readable).  sizeof is 280 bytes on x86-64
 * (tests/smtp/test_server_session.c checks < 1024); the host adds its
 * output buffer (>= MP_SMTP_SERVER_MIN_OUT), its line buffer
 * (MP_SMTP_SERVER_LINE_BUF, or MP_SMTP_SERVER_LINE_BUF_AUTH with AUTH) and,
 * with AUTH, an mp_sasl_server. */
struct mp_smtp_srv_auth_ops_; /* private */
struct mp_smtp_server {
    const mp_smtp_server_config *cfg;
    const mp_smtp_server_callbacks *cb;
    void *user;
    mp_outbuf out;
    mp_line_framer framer;
    mp_dot_decoder dot;
    uint64_t msg_size;       /* body bytes received in this transaction */
    uint64_t bdat_left;      /* bytes of the current BDAT chunk still to come */
    uint64_t bdat_chunk;     /* size of the current chunk, for the 250 text */
    mp_error last_error;     /* the last error handed to on_error */
    uint64_t injected;       /* bytes discarded after STARTTLS (last switch) */
    unsigned nrcpt;          /* recipients accepted in this transaction */
    unsigned replies_left;   /* end-of-data replies still owed (LMTP: one
                                per accepted recipient) */
    unsigned errors;         /* bad commands so far */
    uint8_t state;           /* mp_smtp_server_state */
    uint8_t pending;         /* mp_smtp_decision */
    uint8_t pending_verb;    /* mp_smtp_verb of the command being decided */
    uint8_t tls;             /* the transport is TLS */
    uint8_t authed;          /* AUTH succeeded */
    uint8_t ehlo;            /* the client greeted with EHLO/LHLO (not HELO) */
    uint8_t txn_utf8;        /* MAIL had SMTPUTF8 */
    uint8_t txn_body;        /* mp_smtp_body of the transaction */
    uint8_t body_bad;        /* body rejected: mp_status low byte, 0 when clean */
    uint8_t bdat_last;       /* the current BDAT chunk is the LAST one */
    uint8_t in_callback;     /* guards re-entrant feed from a callback */
    uint8_t aborted;         /* a callback asked to stop the feed */
    uint8_t ret_state;       /* state to return to after a skipped BDAT */
    uint8_t auth_early;      /* a SASL response arrived before its challenge */
    uint8_t soft_warned;     /* the soft error limit was reported */
    uint8_t data_cr;         /* DATA: the last body byte read was a CR */
    uint32_t auth_set;       /* mp_sasl_mech_set advertised */
    size_t text_line;        /* DATA: octets of the current content line */
    /* How AUTH is reached (NULL: not offered, or not linked: see
     * mp_smtp_server_init_lean). */
    const struct mp_smtp_srv_auth_ops_ *auth;
};

/* Smallest output buffer the session accepts: room for the longest reply
 * it writes (EHLO) plus one host reply. */
#define MP_SMTP_SERVER_MIN_OUT 1024u

/*
 * Start a session: checks the config, writes the 220 greeting into `out`.
 * `cfg`, `cb`, `out` are borrowed for the session's lifetime.  Errors:
 * MP_ERR_ARG (NULL pointer, out_cap < MP_SMTP_SERVER_MIN_OUT, line buffer
 * too small, hostname missing or not printable), MP_ERR_UNSUPPORTED (AUTH
 * asked without SASL support).
 */
mp_status mp_smtp_server_init(mp_smtp_server *s, const mp_smtp_server_config *cfg,
                              const mp_smtp_server_callbacks *cb, void *user, char *out,
                              size_t out_cap);

/*
 * mp_smtp_server_init for a server that never offers AUTH: the same
 * session, but the AUTH exchange and the SASL server are not referenced,
 * so a static link (--gc-sections) leaves them out (about 9 KB on
 * Cortex-M4, docs/architecture.md "Code size and RAM per role").  AUTH is
 * answered 502 5.5.1; MP_SMTP_SRV_AUTH in the flags is MP_ERR_UNSUPPORTED.
 * Everything else as mp_smtp_server_init.
 */
mp_status mp_smtp_server_init_lean(mp_smtp_server *s, const mp_smtp_server_config *cfg,
                                   const mp_smtp_server_callbacks *cb, void *user, char *out,
                                   size_t out_cap);

/*
 * Feed bytes received from the client.  Commands are processed in order
 * (pipelining); replies are appended to the output in order.  `*used`
 * says how many bytes were consumed; the host passes the rest again later.
 * Returns:
 *  MP_OK                all input consumed, nothing pending
 *  MP_PAUSED            a host decision is pending (mp_smtp_server_pending;
 *                       input may be left over), or the output needs
 *                       draining first (nothing pending; input left over,
 *                       or end-of-data replies still owed, state
 *                       MP_SMTP_SS_END_REPLIES): answer / send, then feed
 *                       the rest (possibly nothing).  Sending everything
 *                       (output_done until the output is empty) also
 *                       gets every owed reply out.
 *  MP_TRANSPORT_SWITCH  STARTTLS accepted: `*used` stops right after its
 *                       CRLF.  Send the output, start TLS, then call
 *                       mp_smtp_server_tls_started().  Bytes after `*used`
 *                       in this input are plaintext injection: the host
 *                       must discard them (they were reported via on_error
 *                       as MP_ERR_TLS_INJECTION and counted in s->injected)
 *  MP_CLOSED            the session ended (QUIT, 421; after a poisoned
 *                       body with MP_SMTP_SRV_CLOSE_ON_POISON): send the
 *                       output, then close
 *  MP_ERR_ABORTED       a callback returned non-zero
 *  MP_ERR_STATE         feed during a transport switch or a callback
 * Bad commands are answered with their error reply, never returned.
 * Timing matters in two places only, both on purpose (docs/security.md): bytes
 * after STARTTLS in the same input, and a SASL response that arrives in the
 * same input as the AUTH command or challenge it answers, or in a later
 * input while the challenge is still in the output (not yet taken with
 * mp_smtp_server_output_done): it was sent before the client could see the
 * challenge: 501 5.5.0, exchange over.  So a host may read on before it
 * sends (to answer a pipelined group in one write) without letting
 * credentials in ahead of the challenge.
 * Everything else gives the same replies and events for any split.
 */
mp_status mp_smtp_server_feed(mp_smtp_server *s, const char *in, size_t len, size_t *used);

/* Bytes to send: `*len` gets their count, the pointer stays valid until
 * the next call on `s`. */
const char *mp_smtp_server_output(mp_smtp_server *s, size_t *len);
/* `n` bytes of the output were sent.  In state MP_SMTP_SS_END_REPLIES the
 * session writes the replies it still owes into the room made, so the
 * output may grow again (and the state become READY, or CLOSED after the
 * 421 of MP_SMTP_SRV_CLOSE_ON_POISON): a host sends until the output is
 * empty. */
void mp_smtp_server_output_done(mp_smtp_server *s, size_t n);

/* The pending decision, MP_SMTP_DECIDE_NONE when none. */
mp_smtp_decision mp_smtp_server_pending(const mp_smtp_server *s);

/*
 * Answer the pending decision with a reply.  A 2xx (3xx for DATA) code
 * accepts, 4xx/5xx rejects.  `esc` is the enhanced status (NULL: the
 * session picks one matching the code's class), `text` the reply text
 * (NULL: a default).  For MP_SMTP_DECIDE_HELO an accept uses the
 * session's own EHLO reply and `text` only as the greeting text.  In LMTP
 * mode, DECIDE_MESSAGE takes one reply per accepted recipient, in RCPT
 * order; the decision stays pending until the last one.
 * Errors: MP_ERR_STATE (nothing pending), MP_ERR_ARG (code not valid for
 * this decision), MP_ERR_BAD_VALUE (text), MP_ERR_NO_SPACE (output full:
 * send some output and call again).
 */
mp_status mp_smtp_server_reply(mp_smtp_server *s, unsigned code, const char *esc,
                               const char *text);
/* Accept the pending decision with the default reply. */
mp_status mp_smtp_server_accept(mp_smtp_server *s);

/*
 * AUTH (RFC 4954) runs on the host's mp_sasl_server (config->sasl).  When
 * the mechanism needs the host (check a password, supply SCRAM keys or a
 * CRAM-MD5 secret) the session calls on_auth and waits
 * (MP_SMTP_DECIDE_AUTH): the host reads config->sasl->want / authcid /
 * password, answers with mp_sasl_server_verify() / _set_scram() /
 * _set_secret(), then calls this function, inside on_auth or later.  The
 * session then replies 334 (next challenge), 235 2.7.0, 535 5.7.8, 501
 * (cancel "*", malformed) or 454 4.7.0.  Without on_auth every
 * credential is refused.  After 235 config->sasl->authcid / authzid say
 * who logged in (valid until the next AUTH or mp_sasl_server_wipe).
 * MP_ERR_STATE when no AUTH decision is pending.
 */
mp_status mp_smtp_server_auth_resume(mp_smtp_server *s);

/* The host started TLS after MP_TRANSPORT_SWITCH (or knows it failed:
 * then it closes).  The session forgets the EHLO and waits for a new one
 * (RFC 3207 §4.2).  MP_ERR_STATE when no switch is pending. */
mp_status mp_smtp_server_tls_started(mp_smtp_server *s);

/* The host shuts the service down: "421 4.3.2 <host> Service shutting
 * down" (or `text`), state CLOSED.  Any pending decision is dropped. */
mp_status mp_smtp_server_shutdown(mp_smtp_server *s, const char *text);
/* The client was idle too long (RFC 5321 §4.5.3.2): "421 4.4.2 <host>
 * Timeout", state CLOSED. */
mp_status mp_smtp_server_timeout(mp_smtp_server *s);

/* Current state (mp_smtp_server_state). */
static inline mp_smtp_server_state mp_smtp_server_state_of(const mp_smtp_server *s)
{
    return (mp_smtp_server_state)s->state;
}

#ifdef __cplusplus
}
#endif

#endif /* MAILPROTO_SMTP_H */
