/*
 * libmailproto — protocol-independent core.
 *
 * Status codes, byte slices, the bounded output buffer, CRLF line framing,
 * base64, modified UTF-7 and SMTP/POP3 dot-stuffing.  Nothing here
 * allocates; every object is a plain struct the caller places anywhere and
 * may copy only while it holds no pointers into itself.
 *
 * Guide: docs/architecture.md (the engine interface, events, errors,
 * streaming), which every other header builds on.
 */
#ifndef MAILPROTO_CORE_H
#define MAILPROTO_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================= */
/* Status codes                                                            */
/* ======================================================================= */

/*
 * One table for the whole library: name, value, text.  Values below 16 are
 * not errors.  Ranges: 16..111 core, SASL and crypto; 112..127 message
 * structure (mime.h); 128..159 SMTP;
 * 160..191 POP3; 192..255 IMAP.  Values never change once released.
 */
#define MP_STATUS_TABLE(X)                                                    \
    X(MP_OK, 0, "ok")                                                         \
    X(MP_NEED_MORE, 1, "need more input")                                     \
    X(MP_PAUSED, 2, "paused: waiting for the host")                           \
    X(MP_DONE, 3, "end of the element reached")                               \
    X(MP_TRANSPORT_SWITCH, 4, "transport switch: start TLS or compression")   \
    X(MP_CLOSED, 5, "session closed")                                         \
    X(MP_ERR_ARG, 16, "invalid argument")                                     \
    X(MP_ERR_STATE, 17, "call not valid in the current state")                \
    X(MP_ERR_NO_SPACE, 18, "output buffer too small")                         \
    X(MP_ERR_ABORTED, 19, "aborted by a callback")                            \
    X(MP_ERR_UNSUPPORTED, 20, "not supported by this build or the peer")      \
    X(MP_ERR_LINE_TOO_LONG, 32, "line longer than its limit")                 \
    X(MP_ERR_BARE_CR, 33, "bare CR (CR not followed by LF)")                  \
    X(MP_ERR_BARE_LF, 34, "bare LF (LF not preceded by CR)")                  \
    X(MP_ERR_NUL, 35, "NUL byte")                                             \
    X(MP_ERR_8BIT, 36, "8-bit byte where only 7-bit is allowed")              \
    X(MP_ERR_TOKEN_TOO_LONG, 37, "token longer than its limit")               \
    X(MP_ERR_SYNTAX, 38, "syntax error")                                      \
    X(MP_ERR_NUMBER, 39, "number malformed or out of range")                  \
    X(MP_ERR_BAD_VALUE, 40, "value cannot be sent as it is")                  \
    X(MP_ERR_BASE64, 48, "invalid base64")                                    \
    X(MP_ERR_MUTF7, 49, "invalid or non-canonical modified UTF-7")            \
    X(MP_ERR_UTF8, 50, "invalid UTF-8")                                       \
    X(MP_ERR_TLS_INJECTION, 64, "plaintext bytes after a transport switch")   \
    X(MP_ERR_TLS_REQUIRED, 65, "TLS required but not available")              \
    X(MP_ERR_PROTOCOL, 66, "peer violated the protocol")                      \
    X(MP_ERR_TOO_MANY_ERRORS, 67, "too many errors from the peer")            \
    X(MP_ERR_TLS, 68, "TLS library error")                                    \
    X(MP_ERR_SASL_MECH, 96, "unknown or disabled SASL mechanism")             \
    X(MP_ERR_SASL_MESSAGE, 97, "malformed SASL message")                      \
    X(MP_ERR_SASL_AUTH_FAILED, 98, "authentication failed")                   \
    X(MP_ERR_SASL_CANCELLED, 99, "SASL exchange cancelled")                   \
    X(MP_ERR_SASL_SERVER_PROOF, 100, "server proof did not verify")           \
    X(MP_ERR_SASL_TOO_LONG, 101, "SASL message longer than its limit")        \
    X(MP_ERR_CRYPTO, 102, "crypto provider failure")                          \
    X(MP_ERR_SASL_NONCE, 103, "SCRAM nonce malformed or not extending ours")  \
    X(MP_ERR_SASL_ITERATIONS, 104, "SCRAM iteration count out of range")      \
    X(MP_ERR_SASL_CHANNEL_BINDING, 105, "SASL channel binding mismatch")      \
    MP_STATUS_TABLE_MIME(X)                                                   \
    MP_STATUS_TABLE_SMTP_SERVER(X)                                            \
    MP_STATUS_TABLE_SMTP_CLIENT(X)                                            \
    MP_STATUS_TABLE_POP3(X)                                                   \
    MP_STATUS_TABLE_IMAP_RESP(X)                                              \
    MP_STATUS_TABLE_IMAP_CMD(X)

/* Message structure (mime.h): 112..127.  The limits a message reached; the
 * parsed structure is complete either way. */
#define MP_STATUS_TABLE_MIME(X)                                               \
    X(MP_ERR_MIME_DEPTH, 112, "MIME parts nested deeper than MP_MIME_MAX_DEPTH") \
    X(MP_ERR_MIME_PARTS, 113, "more MIME parts than the part array holds")    \
    X(MP_ERR_MIME_VALUES, 114, "MIME header values beyond the value buffer") \
    X(MP_ERR_MIME_PARAMS, 115, "more RFC 2231 parameter segments than MP_MIME_MAX_SEGMENTS")

/* SMTP server side and codec commands: 128..143. */
#define MP_STATUS_TABLE_SMTP_SERVER(X)                                        \
    X(MP_ERR_SMTP_UNKNOWN_COMMAND, 128, "unknown SMTP command")               \
    X(MP_ERR_SMTP_HTTP, 129, "HTTP request on an SMTP port")                  \
    X(MP_ERR_SMTP_PATH, 130, "malformed SMTP path or address")                \
    X(MP_ERR_SMTP_PATH_TOO_LONG, 131, "SMTP path longer than its limit")      \
    X(MP_ERR_SMTP_LOCAL_TOO_LONG, 132, "SMTP local part longer than its limit") \
    X(MP_ERR_SMTP_DOMAIN_TOO_LONG, 133, "SMTP domain longer than its limit")  \
    X(MP_ERR_SMTP_UTF8_PATH, 134, "8-bit address without SMTPUTF8")           \
    X(MP_ERR_SMTP_PARAM, 135, "malformed or unsupported ESMTP parameter")     \
    X(MP_ERR_SMTP_PARAM_DUP, 136, "ESMTP parameter given twice")              \
    X(MP_ERR_SMTP_TOO_MANY_PARAMS, 137, "too many ESMTP parameters")          \
    X(MP_ERR_SMTP_XTEXT, 138, "malformed xtext")                              \
    X(MP_ERR_SMTP_BAD_SEQUENCE, 139, "SMTP command out of sequence")          \
    X(MP_ERR_SMTP_TOO_MANY_RCPTS, 140, "too many recipients")                 \
    X(MP_ERR_SMTP_MESSAGE_TOO_BIG, 141, "message larger than the size limit") \
    X(MP_ERR_SMTP_NOT_IMPLEMENTED, 142, "SMTP command or extension not offered")                   \
    X(MP_ERR_SMTP_TEXT_LINE_TOO_LONG, 143, "SMTP DATA text line longer than its limit")

/* SMTP client side and reply codec: 144..159 (and the server's codes that
 * did not fit in 128..143). */
#define MP_STATUS_TABLE_SMTP_CLIENT(X)                                        \
    X(MP_ERR_SMTP_REPLY_CODE, 144, "SMTP reply code malformed")               \
    X(MP_ERR_SMTP_REPLY_SEPARATOR, 145, "SMTP reply code not followed by SP or '-'") \
    X(MP_ERR_SMTP_REPLY_MISMATCH, 146, "SMTP reply lines carry different codes") \
    X(MP_ERR_SMTP_REPLY_TEXT, 147, "control character in SMTP reply text")    \
    X(MP_ERR_SMTP_REPLY_TOO_MANY_LINES, 148, "SMTP reply has too many lines") \
    X(MP_ERR_SMTP_UNEXPECTED_REPLY, 149, "SMTP reply not valid for the command") \
    X(MP_ERR_SMTP_GREETING_REFUSED, 150, "SMTP server refused the session")   \
    X(MP_ERR_SMTP_CLOSING, 151, "SMTP server closing the session (421)")      \
    X(MP_ERR_SMTP_HELLO_REJECTED, 152, "SMTP server rejected EHLO/HELO/LHLO")  \
    X(MP_ERR_SMTP_SIZE_EXCEEDED, 153, "message larger than the server's SIZE") \
    X(MP_ERR_SMTP_PARAM_TOO_LONG, 154, "ESMTP parameter value longer than its limit")

/* POP3: 160..191; the codec takes 160..175, the sessions 176..191. */
#define MP_STATUS_TABLE_POP3(X)                                               \
    X(MP_ERR_POP3_UNKNOWN_COMMAND, 160, "unknown POP3 command")               \
    X(MP_ERR_POP3_SYNTAX, 161, "POP3 command arguments malformed")            \
    X(MP_ERR_POP3_NUMBER, 162, "POP3 message number or line count malformed or out of range") \
    X(MP_ERR_POP3_ARG_TOO_LONG, 163, "POP3 command argument longer than its limit") \
    X(MP_ERR_POP3_AUTH_TOO_LONG, 164, "POP3 AUTH exchange line longer than its limit") \
    X(MP_ERR_POP3_STATUS, 165, "POP3 response neither +OK, -ERR nor an awaited continuation") \
    X(MP_ERR_POP3_TEXT, 166, "control character in a POP3 response line")    \
    X(MP_ERR_POP3_LISTING, 167, "POP3 drop, scan or capability listing malformed") \
    X(MP_ERR_POP3_UID, 168, "POP3 unique-id empty, over 70 octets or outside 0x21..0x7E") \
    X(MP_ERR_POP3_TOO_BIG, 169, "POP3 multi-line response above the host's limit") \
    X(MP_ERR_POP3_UNEXPECTED, 170, "POP3 response while none is awaited")   \
    X(MP_ERR_POP3_BAD_SEQUENCE, 176, "POP3 command not valid in this state") \
    X(MP_ERR_POP3_NO_SUCH_MESSAGE, 177, "POP3 message number above the maildrop's count") \
    X(MP_ERR_POP3_NOT_OFFERED, 178, "POP3 command or extension not offered by this server") \
    X(MP_ERR_POP3_LOGIN_FAILED, 179, "POP3 login refused by the host (credentials, lock, delay)") \
    X(MP_ERR_POP3_GREETING_REFUSED, 184, "POP3 server refused the session (-ERR greeting)") \
    X(MP_ERR_POP3_LOGIN_REFUSED, 185, "POP3 server refused the login")          \
    X(MP_ERR_POP3_REFUSED, 186, "POP3 server refused a command (-ERR)")         \
    X(MP_ERR_POP3_MISMATCH, 187, "POP3 answer names another message than its command")

/* IMAP lexer (literals, depth, tokens) and responses: 192..223. */
#define MP_STATUS_TABLE_IMAP_RESP(X)                                          \
    X(MP_ERR_IMAP_LITERAL_SYNTAX, 192, "IMAP literal length malformed")       \
    X(MP_ERR_IMAP_LITERAL_RANGE, 193, "IMAP literal length above the protocol maximum") \
    X(MP_ERR_IMAP_LITERAL_LIMIT, 194, "IMAP literal larger than the configured limit") \
    X(MP_ERR_IMAP_NONSYNC_TOO_BIG, 195, "IMAP non-synchronizing literal above 4096 (LITERAL-)") \
    X(MP_ERR_IMAP_TOO_MANY_LITERALS, 196, "too many IMAP literals in one line") \
    X(MP_ERR_IMAP_DEPTH, 197, "IMAP parenthesis nesting too deep")             \
    X(MP_ERR_IMAP_QUOTED, 198, "IMAP quoted string malformed")                 \
    X(MP_ERR_IMAP_STRING_TOO_LONG, 199, "IMAP literal too long for a string value") \
    X(MP_ERR_IMAP_TAG, 200, "IMAP tag malformed")                  \
    X(MP_ERR_IMAP_RESPONSE, 201, "IMAP response malformed")                    \
    X(MP_ERR_IMAP_BODYSTRUCTURE, 202, "IMAP BODYSTRUCTURE malformed")          \
    X(MP_ERR_IMAP_ATOM_TOO_LONG, 203, "IMAP atom longer than its limit")       \
    X(MP_ERR_IMAP_TEXT_TOO_LONG, 204, "IMAP quoted string or text longer than its limit") \
    X(MP_ERR_IMAP_TAG_TOO_LONG, 205, "IMAP tag longer than MP_IMAP_MAX_TAG") \
    X(MP_ERR_IMAP_ID_LIMIT, 206, "IMAP ID data beyond the RFC 2971 limits")  \
    MP_STATUS_TABLE_IMAP_CLIENT(X)

/* IMAP client session: 216..223 (the top of the responses' range). */
#define MP_STATUS_TABLE_IMAP_CLIENT(X)                                        \
    X(MP_ERR_IMAP_GREETING, 216, "IMAP greeting missing or malformed")        \
    X(MP_ERR_IMAP_BYE, 217, "IMAP server closed the session (BYE or end of stream)") \
    X(MP_ERR_IMAP_TAG_UNKNOWN, 218, "IMAP tagged response for no command in flight") \
    X(MP_ERR_IMAP_UNSENT, 219, "IMAP response to a command not yet sent")     \
    X(MP_ERR_IMAP_CONTINUE, 220, "IMAP continuation request nobody waits for") \
    X(MP_ERR_IMAP_MAILBOX, 221, "IMAP server broke the mailbox state (EXISTS, EXPUNGE, FETCH numbers)")

/* IMAP commands: 224..243 (244..251 the server session, below). */
#define MP_STATUS_TABLE_IMAP_CMD(X)                                           \
    X(MP_ERR_IMAP_CMD_UNKNOWN, 224, "unknown IMAP command")                   \
    X(MP_ERR_IMAP_CMD_SYNTAX, 225, "IMAP command arguments malformed")        \
    X(MP_ERR_IMAP_CMD_TAG, 226, "IMAP command tag missing or malformed")      \
    X(MP_ERR_IMAP_CMD_LITERAL_REJECTED, 227, "IMAP literal rejected by the server") \
    X(MP_ERR_IMAP_CMD_LITERAL_TOTAL, 228, "IMAP literal bytes in one command above the limit") \
    X(MP_ERR_IMAP_CMD_AUTH_LINE, 229, "IMAP AUTHENTICATE response line too long") \
    X(MP_ERR_IMAP_CMD_MAILBOX, 230, "IMAP mailbox name not valid modified UTF-7 / UTF-8") \
    X(MP_ERR_IMAP_CMD_SEQSET, 231, "IMAP sequence set malformed")             \
    X(MP_ERR_IMAP_CMD_DATETIME, 232, "IMAP date or date-time malformed")      \
    X(MP_ERR_IMAP_CMD_SEARCH_KEY, 233, "IMAP search key unknown or malformed") \
    X(MP_ERR_IMAP_CMD_FETCH_ATT, 234, "IMAP fetch attribute unknown or malformed") \
    X(MP_ERR_IMAP_CMD_SECTION_TOO_LONG, 235, "IMAP BODY[section] longer than MP_IMAP_MAX_SECTION") \
    X(MP_ERR_IMAP_CMD_NOT_DONE, 236, "IMAP IDLE expects DONE")                \
    X(MP_ERR_IMAP_CMD_ID_LIMIT, 237, "IMAP ID parameters above the RFC 2971 limits") \
    X(MP_ERR_IMAP_CMD_REV1_ONLY, 238, "IMAP4rev1-only syntax refused in IMAP4rev2 mode (RFC 9051 Appendix E)") \
    X(MP_ERR_IMAP_CMD_SORT_KEY, 239, "IMAP SORT criterion unknown or malformed") \
    X(MP_ERR_IMAP_CMD_OPTION, 240, "IMAP fetch/store modifier, LIST or GETMETADATA option malformed") \
    X(MP_ERR_IMAP_CMD_OBSOLETE, 241, "IMAP command obsolete and refused (RLIST, RLSUB: RFC 2193 / RFC 5258)") \
    MP_STATUS_TABLE_IMAP_SERVER(X)

/* IMAP server session: 244..251.  The client's faults (answered BAD / NO
 * and reported through on_error) and the host's (a call the session
 * refuses). */
#define MP_STATUS_TABLE_IMAP_SERVER(X)                                        \
    X(MP_ERR_IMAP_SRV_RESPONSE, 244, "IMAP response not legal for the command being answered") \
    X(MP_ERR_IMAP_SRV_EXPUNGE, 245, "IMAP EXPUNGE while answering FETCH, STORE or SEARCH (RFC 9051 7.5.1)") \
    X(MP_ERR_IMAP_SRV_COMPLETED, 246, "IMAP command already completed")        \
    X(MP_ERR_IMAP_SRV_STATE, 247, "IMAP command not valid in this session state") \
    X(MP_ERR_IMAP_SRV_PRIVACY, 248, "IMAP login refused without TLS (LOGINDISABLED)") \
    X(MP_ERR_IMAP_SRV_NOTIFY_FULL, 249, "IMAP notification queue full")         \
    X(MP_ERR_IMAP_SRV_AUTH_EARLY, 250, "IMAP SASL response sent before its challenge") \
    X(MP_ERR_IMAP_SRV_UNAVAILABLE, 251, "IMAP command or extension not offered by this server")

typedef enum mp_status {
#define MP_STATUS_ENUM_(name, value, text) name = value,
    MP_STATUS_TABLE(MP_STATUS_ENUM_)
#undef MP_STATUS_ENUM_
    MP_STATUS_MAX_ = 255
} mp_status;

/* First error value: every status >= this is an error. */
#define MP_ERR_FIRST 16

/* Non-zero when `s` is an error (not OK / NEED_MORE / PAUSED / ...). */
static inline int mp_is_error(mp_status s) { return (int)s >= MP_ERR_FIRST; }

/* A static, NUL-terminated English text for `s`; never NULL ("unknown
 * status" for a value outside the table).  Built with
 * MP_ENABLE_STATUS_TEXT 0 (config.h), the status name instead. */
const char *mp_strerror(mp_status s);

/* The symbolic name of `s` ("MP_ERR_BARE_LF"); never NULL. Used by the
 * event dumps and tests. */
const char *mp_status_name(mp_status s);

/* 1 when `p[0..n)` is well-formed UTF-8 (RFC 3629: no overlong forms,
 * surrogates or values above U+10FFFF), else 0; `*bad` (when not NULL)
 * gets the offset of the first byte of the ill-formed sequence (of the
 * cut one at the end).  `p` may be NULL when n is 0. */
int mp_utf8_valid(const char *p, size_t n, size_t *bad);

/*
 * Where and why a parser failed.  `offset` counts bytes from the start of
 * the stream the parser was fed (not from the start of one feed call).
 * `rule` is a static string naming the grammar rule or limit that failed
 * ("RFC 5321 4.1.2 Mailbox", "MP_SMTP_MAX_PATH"), or NULL; the RFC rules
 * are "" in a build with MP_ENABLE_RULE_TEXT 0.
 */
typedef struct mp_error {
    mp_status code;
    uint64_t offset;
    const char *rule;
} mp_error;

/* The RFC rules lib/ names in mp_error.rule ("RFC 5321 4.1.2 Mailbox"),
 * written MP_RULE_("..."): "" when built with MP_ENABLE_RULE_TEXT 0
 * (config.h), for firmware that does not show them.  Internal to lib/. */
#if MP_ENABLE_RULE_TEXT
#define MP_RULE_(text) text
#else
#define MP_RULE_(text) ""
#endif

/* Record an error in `e` and return its code: the one way every parser and
 * session in lib/ reports a failure (`rule` is a static string or NULL). */
static inline mp_status mp_error_set(mp_error *e, mp_status code, uint64_t offset,
                                     const char *rule)
{
    e->code = code;
    e->offset = offset;
    e->rule = rule;
    return code;
}

/* ======================================================================= */
/* Byte slices                                                             */
/* ======================================================================= */

/*
 * A view of bytes owned by someone else.  Slices handed to callbacks point
 * into the caller's input or into a buffer inside the parser state; they
 * are valid only until the callback returns unless a function says
 * otherwise.  Not NUL-terminated.
 */
typedef struct mp_slice {
    const char *ptr;
    size_t len;
} mp_slice;

/* A slice of a string literal. */
#define MP_SLICE_LIT(s) ((mp_slice){ (s), sizeof(s) - 1 })

/* A slice of `n` bytes at `p`. */
static inline mp_slice mp_slice_make(const char *p, size_t n)
{
    mp_slice s;
    s.ptr = p;
    s.len = n;
    return s;
}

/* 1 when `a` equals the `n` bytes at `lit` ignoring ASCII case, else 0. */
int mp_slice_eq_ci(mp_slice a, const char *lit, size_t n);

/* Parse an unsigned decimal number that must fit in `max`.  Returns MP_OK,
 * MP_ERR_SYNTAX (empty, or any non-digit: it wins over a too-large value)
 * or MP_ERR_NUMBER (overflow or above `max`, never wrapping).  No sign, no
 * '+', no white space; leading zeros are accepted (RFC 9051 number is
 * 1*DIGIT).  `*out` is written only on MP_OK.  `s.ptr` may be NULL only
 * when `s.len` is 0. */
mp_status mp_parse_u64(mp_slice s, uint64_t max, uint64_t *out);

/* ======================================================================= */
/* Bounded output buffer                                                   */
/* ======================================================================= */

/*
 * Writers append to a caller-owned buffer.  A writer emits a whole
 * protocol element or nothing: it takes a mark, appends, and commits; on
 * overflow the commit rolls the buffer back to the mark and records how
 * many bytes the element needed.
 *
 *   size_t m = mp_outbuf_mark(ob);
 *   mp_outbuf_puts(ob, "NOOP\r\n");
 *   return mp_outbuf_commit(ob, m);
 *
 * `buf` is owned by the caller and must outlive the mp_outbuf.
 */
typedef struct mp_outbuf {
    char *buf;
    size_t cap;
    size_t len;  /* bytes holding output */
    size_t want; /* bytes the element being written needs (>= len) */
    size_t need; /* after MP_ERR_NO_SPACE: the size the element needed */
} mp_outbuf;

/* Point `ob` at `buf[0..cap)`, empty. */
void mp_outbuf_init(mp_outbuf *ob, char *buf, size_t cap);
/* Start an element; returns the mark to pass to mp_outbuf_commit(). */
size_t mp_outbuf_mark(mp_outbuf *ob);
/* Append bytes / a C string / one byte / a decimal number.  On overflow
 * nothing more is written until the commit, which fails. */
void mp_outbuf_put(mp_outbuf *ob, const void *p, size_t n);
void mp_outbuf_puts(mp_outbuf *ob, const char *s);
void mp_outbuf_putc(mp_outbuf *ob, char c);
void mp_outbuf_put_u64(mp_outbuf *ob, uint64_t v);
/* End the element begun at `mark`: MP_OK, or MP_ERR_NO_SPACE with the
 * buffer back at `mark` and ob->need set to the element's size (the
 * count saturates at SIZE_MAX, it never wraps).  A mark beyond the bytes
 * held (stale after a consume) is clamped to them. */
mp_status mp_outbuf_commit(mp_outbuf *ob, size_t mark);
/* Drop the element begun at `mark` (a writer found a bad value); a mark
 * beyond the bytes held is clamped to them. */
void mp_outbuf_rollback(mp_outbuf *ob, size_t mark);
/* Remove the first `n` bytes (they were sent); the rest moves to the
 * front.  n > len is clamped. */
void mp_outbuf_consume(mp_outbuf *ob, size_t n);
/* Free room. */
static inline size_t mp_outbuf_room(const mp_outbuf *ob) { return ob->cap - ob->len; }

/* ======================================================================= */
/* CRLF line framer                                                        */
/* ======================================================================= */

/* Framer flags. */
enum {
    /* Quirk: accept a bare LF as a line end (the line excludes the LF and
     * a CR just before it).  Off by default: in SMTP a bare LF ending a
     * command is a smuggling vector (docs/security.md). */
    MP_LINE_ALLOW_LF = 1u << 0
};

/*
 * Splits a byte stream into lines ending in CRLF, resumable at any byte.
 * A line wholly inside one input is returned as a slice of that input
 * (zero copy); a line that straddles inputs is assembled in `buf`.
 *
 * Errors, each reported once with its stream offset in `err`:
 *  - MP_ERR_LINE_TOO_LONG: the line exceeded `max_line` (which counts the
 *    CRLF, as the RFCs do).  Reported as soon as the limit is crossed; the
 *    framer then discards through the end of that line and goes on.
 *  - MP_ERR_BARE_LF: an LF without CR (unless MP_LINE_ALLOW_LF).  The LF
 *    ends the bad line, which is discarded.
 *  - MP_ERR_BARE_CR: a CR followed by anything but LF.  The framer
 *    discards through the next LF.
 * After an error the caller may go on feeding; the next line starts after
 * the discarded one.
 */
typedef struct mp_line_framer {
    char *buf;      /* host-owned assembly buffer, >= max_line - 2 bytes */
    size_t cap;
    size_t len;     /* bytes of a partial line in buf */
    size_t max_line;
    uint64_t pos;   /* stream offset of the next byte to be fed */
    uint64_t line_start; /* stream offset of the line last returned (MP_OK) */
    mp_error err;   /* the last error reported */
    uint8_t state;  /* private */
    uint8_t flags;
} mp_line_framer;

/* Prepare `f`.  `buf` must hold at least max_line - 2 bytes and must
 * outlive the framer.  Returns MP_ERR_ARG when max_line < 3, max_line >
 * MP_MAX_LINE, `buf` is NULL or the buffer is too small. */
mp_status mp_line_framer_init(mp_line_framer *f, char *buf, size_t cap, size_t max_line,
                              unsigned flags);

/*
 * Consume bytes from `in[0..len)` up to the end of the next line.
 * Returns:
 *  - MP_OK: `*line` is the line without its CRLF; valid until the next call
 *    on `f` and until `in` is freed.  `*used` bytes were consumed.
 *  - MP_NEED_MORE: all of `in` was consumed (`*used == len`) and no line is
 *    complete yet.
 *  - one of the errors above, with f->err set.  `*used` includes the
 *    offending byte and, when the bad line's end is in `in`, the rest of
 *    that line; it is 0 when the offending byte is a CR held from the
 *    previous input.  Either way, call again with the unused bytes.
 */
mp_status mp_line_framer_next(mp_line_framer *f, const char *in, size_t len, size_t *used,
                              mp_slice *line);

/* Bytes of an incomplete line held by the framer (used at a transport
 * switch: any such byte is plaintext that must never be processed). */
size_t mp_line_framer_pending(const mp_line_framer *f);

/* Forget any partial line and error; the stream offset is kept. */
void mp_line_framer_reset(mp_line_framer *f);

/* ======================================================================= */
/* Base64 (RFC 4648 §4)                                                    */
/* ======================================================================= */

/* Exact encoded size of n bytes, and an upper bound of the decoded size of
 * n characters. */
#define MP_BASE64_ENCODED_LEN(n) ((((n) + 2u) / 3u) * 4u)
#define MP_BASE64_DECODED_MAX(n) ((((n) + 3u) / 4u) * 3u)

/* Encode `n` bytes into `out` (no line breaks, padded).  MP_ERR_NO_SPACE
 * when cap < MP_BASE64_ENCODED_LEN(n); `*outlen` is always set to the size
 * written or needed. */
mp_status mp_base64_encode(const void *in, size_t n, char *out, size_t cap, size_t *outlen);

/* Strict decode (what SASL needs): alphabet only, no white space, padding
 * required and canonical (unused bits zero).  MP_ERR_BASE64: `*outlen` is
 * the offset of the offending character (n when the input ends inside a
 * group).  MP_ERR_NO_SPACE: `*outlen` is the decoded size needed. */
mp_status mp_base64_decode(const char *in, size_t n, void *out, size_t cap, size_t *outlen);

/* Lenient decode for MIME bodies: skips CR, LF, space and tab, accepts a
 * missing final padding.  Still rejects characters outside the alphabet. */
mp_status mp_base64_decode_lenient(const char *in, size_t n, void *out, size_t cap,
                                   size_t *outlen);

/* Streaming encoder: any chunking of the input gives the same output. */
typedef struct mp_base64_encoder {
    uint8_t carry[2];
    uint8_t ncarry;
} mp_base64_encoder;

void mp_base64_encoder_init(mp_base64_encoder *e);
/* Encode `n` more bytes; `out` must hold MP_BASE64_ENCODED_LEN(n + 2)
 * bytes.  Returns the number of characters written. */
size_t mp_base64_encoder_update(mp_base64_encoder *e, const void *in, size_t n, char *out);
/* Flush the last group with padding; `out` must hold 4 bytes.  Returns the
 * number of characters written (0 or 4). */
size_t mp_base64_encoder_finish(mp_base64_encoder *e, char *out);

/* Decoder flags. */
enum { MP_BASE64_LENIENT = 1u << 0 };

/* Streaming decoder (strict unless MP_BASE64_LENIENT). */
typedef struct mp_base64_decoder {
    uint32_t acc;
    uint64_t pos;   /* characters consumed, for the error offset */
    uint8_t nacc;   /* sextets in acc */
    uint8_t npad;   /* '=' seen */
    uint8_t flags;
    uint8_t failed;
} mp_base64_decoder;

void mp_base64_decoder_init(mp_base64_decoder *d, unsigned flags);
/* Decode `n` characters; `out` must hold MP_BASE64_DECODED_MAX(n + 3)
 * bytes.  Returns MP_OK or MP_ERR_BASE64 (then d->pos is the offset of the
 * bad character and the decoder stays failed). */
mp_status mp_base64_decoder_update(mp_base64_decoder *d, const char *in, size_t n, void *out,
                                   size_t *outlen);
/* Check that the input ended on a group boundary (strict) and flush
 * (lenient, unpadded tail).  `out` must hold 3 bytes. */
mp_status mp_base64_decoder_finish(mp_base64_decoder *d, void *out, size_t *outlen);

/* ======================================================================= */
/* Modified UTF-7 for IMAP mailbox names (RFC 3501 §5.1.3)                 */
/* ======================================================================= */

/*
 * Which names: U+0000 is refused in both directions (no mailbox name can
 * hold a NUL: IMAP strings exclude it, RFC 9051 §4.3, and a host would
 * truncate the name at it).  Every other Unicode scalar value is encoded
 * and decoded, C0/C1 controls, DEL and noncharacters (U+FFFE, U+FDD0..)
 * included: the codec must be able to name any mailbox that exists, and
 * refusing to create such names (RFC 9051 §5.1, Net-Unicode RFC 5198) is
 * the server's naming policy, not the transport encoding's.
 */

/* UTF-8 -> modified UTF-7.  MP_ERR_UTF8 for invalid UTF-8 (overlong,
 * surrogates, > U+10FFFF), MP_ERR_BAD_VALUE for U+0000, MP_ERR_NO_SPACE
 * with `*outlen` = size needed (`*outlen` is 0 after any other error).
 * `out` is written only below `cap`. */
mp_status mp_mutf7_encode(const char *utf8, size_t n, char *out, size_t cap, size_t *outlen);

/* Modified UTF-7 -> UTF-8.  Rejects (MP_ERR_MUTF7) everything that is not
 * the canonical encoding: printable ASCII inside a shifted run, "&" not
 * closed by "-", an empty run other than "&-", two adjacent runs, non-zero
 * padding bits, unpaired surrogates, U+0000, and bytes outside 0x20..0x7e. */
mp_status mp_mutf7_decode(const char *mutf7, size_t n, char *out, size_t cap, size_t *outlen);

/* ======================================================================= */
/* Dot-stuffing: SMTP DATA (RFC 5321 §4.5.2) and POP3 multi-line           */
/* responses (RFC 1939 §3, "byte-stuffing").  One implementation serves    */
/* both; the two protocols use the same format.                            */
/* ======================================================================= */

/* What a decoder does with a bare CR, a bare LF or a NUL in the body. */
typedef enum mp_dot_policy {
    /* Default: the first such byte poisons the body.  The decoder reports
     * the error once (with its offset), delivers no more content, and
     * keeps reading until the real CRLF "." CRLF.  An SMTP server then
     * replies 5xx and closes (docs/security.md, SMTP smuggling). */
    MP_DOT_STRICT = 0,
    /* Opt-in: a bare LF ends a content line and is delivered as CRLF.  The
     * end of data is still exactly CRLF "." CRLF; a bare CR or NUL still
     * poisons. */
    MP_DOT_NORMALIZE_LF = 1,
    /* Opt-in, for a POP3 client (a client must not lose a message a lax
     * server stored): a bare CR, a bare LF or a NUL is content, delivered
     * as it came, and d->err records the first one without poisoning
     * anything.  Only CR LF starts a line, so a "." after a bare LF stays
     * content.  The end is still exactly CRLF "." CRLF. */
    MP_DOT_VERBATIM = 2
} mp_dot_policy;

typedef struct mp_dot_decoder {
    uint64_t pos;   /* stream offset of the next byte */
    mp_error err;   /* the poisoning error, code MP_OK while clean */
    uint8_t state;  /* private */
    uint8_t policy;
} mp_dot_decoder;

/* Prepare `d` to decode a body that starts right after the CRLF of the
 * DATA command (or the +OK line of RETR/TOP/LIST/UIDL/CAPA): that CRLF
 * counts as the first CRLF of the terminator, so an empty body is ".\r\n". */
void mp_dot_decoder_init(mp_dot_decoder *d, mp_dot_policy policy);

/*
 * Consume bytes from `in[0..len)` and return the next piece of content.
 *  - MP_OK: `*chunk` is unstuffed content (a slice of `in`, or of a
 *    static string for a normalized line end); call again with the rest.
 *  - MP_NEED_MORE: `in` consumed, no more content yet.
 *  - MP_DONE: the terminating CRLF "." CRLF was consumed; `*used` stops
 *    right after it.  Check d->err.code: not MP_OK means the body was
 *    poisoned and must not be delivered (under MP_DOT_VERBATIM it names
 *    the first irregular byte of a body delivered whole).
 *  - MP_ERR_BARE_CR / MP_ERR_BARE_LF / MP_ERR_NUL (never under
 *    MP_DOT_VERBATIM): the body is poisoned
 *    (reported once, d->err holds the code and the stream offset of the
 *    bad byte; `*used` may be 0 when that byte is a CR held from the
 *    previous input); call again with the unused bytes to skip to the end.
 * Content always ends with CRLF (the CRLF before the final dot is
 * content).
 */
mp_status mp_dot_decoder_next(mp_dot_decoder *d, const char *in, size_t len, size_t *used,
                              mp_slice *chunk);

/* Encoder flags. */
enum {
    /* Turn a bare LF, a bare CR, or CR LF into CRLF instead of refusing. */
    MP_DOT_ENC_NORMALIZE = 1u << 0
};

typedef struct mp_dot_encoder {
    uint8_t state;  /* private */
    uint8_t flags;
} mp_dot_encoder;

void mp_dot_encoder_init(mp_dot_encoder *e, unsigned flags);
/*
 * Stuff `in[0..len)` into `out`, as much as fits: a '.' is doubled at the
 * start of every line.  `*used` says how much input was taken; the rest
 * must be passed again once the host sent some output.  Returns MP_OK,
 * MP_ERR_NO_SPACE (nothing could be written), or MP_ERR_BARE_CR /
 * MP_ERR_BARE_LF / MP_ERR_NUL without MP_DOT_ENC_NORMALIZE (`*used` stops
 * at the bad byte, or is 0 when the bad byte is a CR taken by the previous
 * call; the encoder must then be abandoned).  MP_ERR_STATE after finish.
 * Never writes a bare CR or LF.
 */
mp_status mp_dot_encoder_update(mp_dot_encoder *e, const char *in, size_t len, size_t *used,
                                mp_outbuf *out);
/* Write the end: CRLF if the content did not end with one, then ".\r\n".
 * Whole or nothing (MP_ERR_NO_SPACE). */
mp_status mp_dot_encoder_finish(mp_dot_encoder *e, mp_outbuf *out);

/* ======================================================================= */
/* IP address literals                                                     */
/* ======================================================================= */

/* mp_ip_parse() flags. */
enum {
    /* The SMTP address-literal dialect (RFC 5321 §4.1.3): IPv4 parts may
     * have leading zeros ("010" is ten, Snum = 1*3DIGIT), and "::" stands
     * for at least two zero groups (IPv6-comp).  Without it the text is
     * RFC 4291 §2.2 with inet_pton()'s IPv4 form: a leading zero is
     * refused, since inet_aton() and so getaddrinfo() read "010" as octal
     * (a name that connects to one address and would be checked as
     * another). */
    MP_IP_SMTP_LITERAL = 1u << 0
};

/*
 * The IP address written as the text p[0..n): IPv4 dotted decimal (four
 * parts 0..255) or IPv6 (RFC 4291 §2.2: eight groups of 1-4 hex digits,
 * "::" for zero groups, an IPv4 tail), nothing around it (no brackets, no
 * zone "%eth0", no space).  Writes the address in network byte order to
 * out[0..4) or out[0..16) and returns 4 or 16; returns 0 when the text is
 * not such an address (out then holds nothing useful).  `flags`:
 * MP_IP_SMTP_LITERAL.  Never reads beyond p[n-1].
 */
size_t mp_ip_parse(const char *p, size_t n, unsigned flags, uint8_t out[16]);

#ifdef __cplusplus
}
#endif

#endif /* MAILPROTO_CORE_H */
