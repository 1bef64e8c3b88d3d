/*
 * libmailproto — POP3: the codec for both sides.
 *
 * RFC 1939 (POP3), RFC 2449 (CAPA, response codes, lengths), RFC 2595
 * (STLS), RFC 3206 (SYS and AUTH response codes), RFC 5034 (SASL AUTH),
 * RFC 6856 (UTF8, LANG).
 *
 * Four pieces, each usable alone:
 *  1. the command parser (what a server reads) and the parser of a SASL
 *     reply line inside AUTH;
 *  2. the response writer (what a server writes): +OK / -ERR with a
 *     response code, "+ " continuations, listing lines and the final ".",
 *     and the TOP cutter; multi-line content goes out through the core's
 *     dot-stuffing encoder (core.h, mp_dot_encoder);
 *  3. the response parser (what a client reads), a push parser resumable
 *     at any byte, told by its caller what each response answers, since
 *     POP3 responses do not say whether they are multi-line;
 *  4. the command writer (what a client writes).
 * The writers refuse what the other side's parser refuses: one grammar.
 *
 * Nothing here allocates.  Slices handed out point into the caller's input
 * or into the host's line buffer and are valid until the next call on the
 * same parser unless stated otherwise.
 *
 * Guide: docs/pop3-codec.md, with a complete program.
 */
#ifndef MAILPROTO_POP3_H
#define MAILPROTO_POP3_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================= */
/* Commands (RFC 1939 §3-§7, RFC 2449 §5, RFC 2595 §4, RFC 5034 §4,        */
/* RFC 6856 §2-§3)                                                         */
/* ======================================================================= */

/* The command verbs.  0 is never a parsed verb; values never change. */
typedef enum mp_pop3_verb {
    MP_POP3_NONE = 0,
    MP_POP3_USER,  /* USER name */
    MP_POP3_PASS,  /* PASS string (the rest of the line, spaces included) */
    MP_POP3_APOP,  /* APOP name digest */
    MP_POP3_AUTH,  /* AUTH [mech [initial-response]] (RFC 5034; no mech: list) */
    MP_POP3_STAT,
    MP_POP3_LIST,  /* LIST [msg] */
    MP_POP3_RETR,  /* RETR msg */
    MP_POP3_DELE,  /* DELE msg */
    MP_POP3_NOOP,
    MP_POP3_RSET,
    MP_POP3_QUIT,
    MP_POP3_TOP,   /* TOP msg n */
    MP_POP3_UIDL,  /* UIDL [msg] */
    MP_POP3_CAPA,  /* RFC 2449 */
    MP_POP3_STLS,  /* RFC 2595 */
    MP_POP3_UTF8,  /* RFC 6856 */
    MP_POP3_LANG,  /* LANG [tag | "*"] (RFC 6856) */
    MP_POP3_VERB_COUNT_
} mp_pop3_verb;

/* The upper-case name of a verb ("RETR"), or "?" for another value;
 * static storage. */
const char *mp_pop3_verb_name(mp_pop3_verb v);

/* Message numbers are 1..2^31-1 (RFC 1939 §5 names messages by number
 * from 1; 31 bits is the range every implementation holds); TOP line
 * counts are 0..2^31-1. */
#define MP_POP3_MSGNO_MAX 2147483647u

/*
 * Run-time limits shared by the command parser and the command writer.
 * Zero means the config.h default; a server may raise them (RFC 2449 §4
 * lets a capability need longer commands), a client raises them to send
 * what a lenient server accepts (a password longer than 40 octets).
 */
typedef struct mp_pop3_limits {
    uint32_t command_line; /* octets with CRLF (MP_POP3_MAX_COMMAND_LINE) */
    uint32_t arg;          /* octets per argument of USER, PASS, APOP and
                              LANG (MP_POP3_MAX_ARG) */
} mp_pop3_limits;

/* Parser and writer flags. */
enum {
    /* RFC 6856 §2: the UTF8 command was accepted; USER, PASS and the APOP
     * name may hold UTF-8 (well-formed, else MP_ERR_UTF8).  Without it they
     * are printable ASCII (8-bit: MP_ERR_8BIT). */
    MP_POP3_CMD_UTF8 = 1u << 0,
    /* Quirk: trailing spaces, and several spaces between arguments, are
     * accepted (PASS still takes the rest of the line after one space).
     * Harmless for security; off for strict RFC 1939. */
    MP_POP3_CMD_LAX = 1u << 1
};

/*
 * One parsed command line.  Which fields are set depends on `verb`:
 *  USER, PASS       arg = the name / the password (PASS: everything after
 *                   "PASS ", spaces included, RFC 1939 §7)
 *  APOP             arg = name, arg2 = digest (32 hex digits as sent)
 *  AUTH             has_arg: arg = mechanism as sent; has_arg2: arg2 = the
 *                   initial response as sent ("=" for an empty one,
 *                   otherwise base64, checked strictly).  No argument: the
 *                   pre-RFC 5034 mechanism listing some clients send
 *  LIST, UIDL       has_arg: msgno
 *  RETR, DELE       msgno
 *  TOP              msgno, lines
 *  LANG             has_arg: arg = a language tag or "*"
 * Slices point into the line given to mp_pop3_cmd_parse().
 */
typedef struct mp_pop3_cmd {
    mp_pop3_verb verb;
    mp_slice arg;
    mp_slice arg2;
    uint32_t msgno;   /* 1..MP_POP3_MSGNO_MAX */
    uint32_t lines;   /* TOP: 0..MP_POP3_MSGNO_MAX */
    uint8_t has_arg;
    uint8_t has_arg2;
} mp_pop3_cmd;

/*
 * Parse one command line (without its CRLF, e.g. from mp_line_framer).
 * Grammar (RFC 1939 §3, RFC 2449 §9): a case-insensitive keyword, then
 * arguments each after exactly one SP, nothing after the last.  Numbers
 * are canonical decimal: digits only, no sign, no leading zero (one
 * spelling per value, so a proxy and the server never disagree), message
 * numbers 1..MP_POP3_MSGNO_MAX, TOP line counts 0..MP_POP3_MSGNO_MAX.
 * `lim` may be NULL (defaults).  Returns MP_OK with `*cmd` filled, or an
 * error with `err` set (offset from the start of `line`, rule naming the
 * RFC rule or limit); `cmd->verb` is set even on argument errors
 * (MP_POP3_NONE when the keyword itself is unknown):
 *  MP_ERR_POP3_UNKNOWN_COMMAND  unknown keyword (or an empty line)
 *  MP_ERR_POP3_SYNTAX           wrong number of arguments, a bad
 *                               character, an APOP digest that is not 32
 *                               hex digits, a bad mechanism or language tag
 *  MP_ERR_POP3_NUMBER           a message number or line count that is
 *                               malformed, 0 (message), signed, with a
 *                               leading zero, or above MP_POP3_MSGNO_MAX
 *  MP_ERR_POP3_ARG_TOO_LONG     an argument above lim->arg
 *  MP_ERR_LINE_TOO_LONG         the line with CRLF above lim->command_line
 *  MP_ERR_BASE64                an AUTH initial response that is not
 *                               strict base64 (offset of the bad byte)
 *  MP_ERR_8BIT / MP_ERR_UTF8    8-bit bytes without MP_POP3_CMD_UTF8 /
 *                               ill-formed UTF-8 with it
 * A server answers every error with -ERR and goes on (docs/security.md).
 */
mp_status mp_pop3_cmd_parse(const char *line, size_t len, unsigned flags,
                            const mp_pop3_limits *lim, mp_pop3_cmd *cmd, mp_error *err);

/* A SASL reply line inside AUTH (RFC 5034 §4), as a server reads it. */
typedef enum mp_pop3_auth_line_kind {
    MP_POP3_AUTH_DATA = 0,  /* base64 (possibly empty) */
    MP_POP3_AUTH_CANCEL     /* "*": the client cancels the exchange */
} mp_pop3_auth_line_kind;

/*
 * Parse one client line of an AUTH exchange (without its CRLF): "*"
 * cancels, anything else must be strict base64 (RFC 4648 §4: alphabet,
 * padding, canonical final bits; an empty line is an empty response).
 * `max_line` counts the CRLF (0: MP_POP3_MAX_AUTH_LINE).  `*data` gets the
 * base64 text (a slice of `line`).  Errors with `err` set:
 * MP_ERR_POP3_AUTH_TOO_LONG (the line with CRLF above max_line),
 * MP_ERR_BASE64 (offset of the bad byte).  Decoding is lib/sasl's
 * (mp_sasl_decode_response, sasl.h).
 */
mp_status mp_pop3_auth_line_parse(const char *line, size_t len, size_t max_line,
                                  mp_pop3_auth_line_kind *kind, mp_slice *data, mp_error *err);

/* ======================================================================= */
/* Response codes (RFC 2449 §8, RFC 3206, RFC 6856 §5)                     */
/* ======================================================================= */

/* Known codes; a hierarchical code maps to its longest known prefix at a
 * "/" boundary ("SYS/TEMP/DISK" is SYS_TEMP).  Values never change. */
#define MP_POP3_CODE_TABLE(X)                                                 \
    X(NONE, "") X(UNKNOWN, "")                                                \
    X(IN_USE, "IN-USE") X(LOGIN_DELAY, "LOGIN-DELAY")                         \
    X(SYS_TEMP, "SYS/TEMP") X(SYS_PERM, "SYS/PERM")                           \
    X(AUTH, "AUTH") X(UTF8, "UTF8")

typedef enum mp_pop3_code {
#define MP_POP3_CODE_ENUM_(name, text) MP_POP3_CODE_##name,
    MP_POP3_CODE_TABLE(MP_POP3_CODE_ENUM_)
#undef MP_POP3_CODE_ENUM_
    MP_POP3_CODE_COUNT_
} mp_pop3_code;

/* The code's text ("SYS/TEMP"), "" for NONE and UNKNOWN; static storage. */
const char *mp_pop3_code_text(mp_pop3_code c);

/* The known code a resp-code text (without brackets) falls under,
 * MP_POP3_CODE_UNKNOWN when none (case-insensitive). */
mp_pop3_code mp_pop3_code_of(mp_slice text);

/* ======================================================================= */
/* Capabilities (RFC 2449 §6, RFC 2595 §4, RFC 3206 §6, RFC 6856 §2-§3)    */
/* ======================================================================= */

/* Capability bits (mp_pop3_caps.flags); capa-tags are case-insensitive. */
enum {
    MP_POP3_CAP_TOP = 1u << 0,
    MP_POP3_CAP_USER = 1u << 1,
    MP_POP3_CAP_SASL = 1u << 2,            /* mechanisms in `sasl` */
    MP_POP3_CAP_RESP_CODES = 1u << 3,
    MP_POP3_CAP_LOGIN_DELAY = 1u << 4,     /* seconds in `login_delay` */
    MP_POP3_CAP_PIPELINING = 1u << 5,
    MP_POP3_CAP_EXPIRE = 1u << 6,          /* days in `expire` */
    MP_POP3_CAP_UIDL = 1u << 7,
    MP_POP3_CAP_IMPLEMENTATION = 1u << 8,  /* its text is in the CAPA event */
    MP_POP3_CAP_STLS = 1u << 9,
    MP_POP3_CAP_AUTH_RESP_CODE = 1u << 10, /* RFC 3206 §6 */
    MP_POP3_CAP_UTF8 = 1u << 11,
    MP_POP3_CAP_LANG = 1u << 12,
    /* Modifiers: the "USER" argument (the value may differ per user after
     * login, RFC 2449 §6.5/§6.7; UTF-8 user names, RFC 6856 §2). */
    MP_POP3_CAP_LOGIN_DELAY_USER = 1u << 16,
    MP_POP3_CAP_EXPIRE_USER = 1u << 17,
    MP_POP3_CAP_UTF8_USER = 1u << 18
};

/* EXPIRE NEVER (RFC 2449 §6.7). */
#define MP_POP3_EXPIRE_NEVER UINT32_MAX

/* What a CAPA response advertised.  Plain value; copy freely. */
typedef struct mp_pop3_caps {
    uint32_t flags;        /* MP_POP3_CAP_* */
    uint32_t sasl;         /* mp_sasl_mech_set (sasl.h): the known
                              mechanisms of the SASL line */
    uint32_t login_delay;  /* LOGIN-DELAY seconds */
    uint32_t expire;       /* EXPIRE days, or MP_POP3_EXPIRE_NEVER */
} mp_pop3_caps;

/* Empty set. */
void mp_pop3_caps_init(mp_pop3_caps *caps);

/*
 * Record one CAPA line (unstuffed, without CRLF) in `caps`.
 *  - MP_OK: `*bit` is the MP_POP3_CAP_* bit recorded, or 0 for a
 *    capability this library does not know (RFC 2449 §5: the client
 *    ignores it; the parser hands it to the host as an event).
 *  - MP_ERR_POP3_LISTING: a known capability with malformed arguments
 *    (LOGIN-DELAY without a number, EXPIRE neither a number nor NEVER,
 *    an argument where none belongs); nothing recorded.
 * RFC 2449 §9: capability = capa-tag *(SP param); capa-tag = 1*cchar
 * (printable ASCII but "."), param = 1*pchar.  `*bit` is always set.
 */
mp_status mp_pop3_caps_parse_line(mp_pop3_caps *caps, mp_slice line, uint32_t *bit);

/* ======================================================================= */
/* Response parser (client side)                                           */
/* ======================================================================= */

/*
 * What the next response answers (RFC 1939 says which responses are
 * multi-line; the bytes do not).  A client sets it before the bytes of the
 * response arrive; mp_pop3_expect_of() maps a command to it.
 */
typedef enum mp_pop3_expect {
    MP_POP3_EXPECT_NONE = 0,  /* nothing awaited: bytes are unexpected */
    MP_POP3_EXPECT_GREETING,  /* +OK [text] with the APOP timestamp, or -ERR */
    MP_POP3_EXPECT_STATUS,    /* single line: USER PASS APOP DELE NOOP RSET
                                 QUIT STLS UTF8, LANG tag */
    MP_POP3_EXPECT_STAT,      /* "+OK count size" (RFC 1939 §5 drop listing) */
    MP_POP3_EXPECT_LIST_ONE,  /* "+OK msg size" (LIST msg) */
    MP_POP3_EXPECT_UIDL_ONE,  /* "+OK msg unique-id" (UIDL msg) */
    MP_POP3_EXPECT_LIST,      /* +OK then scan listings, "." */
    MP_POP3_EXPECT_UIDL,      /* +OK then unique-id listings, "." */
    MP_POP3_EXPECT_CAPA,      /* +OK then capabilities, "." */
    MP_POP3_EXPECT_CONTENT,   /* RETR / TOP: +OK then content, "." */
    MP_POP3_EXPECT_LINES,     /* other multi-line answers (LANG listing,
                                 AUTH without mechanism): +OK, lines, "." */
    MP_POP3_EXPECT_AUTH,      /* "+ " challenges until +OK / -ERR */
    MP_POP3_EXPECT_COUNT_
} mp_pop3_expect;

/* The expectation of a command: `verb` with (`has_arg`) or without an
 * argument (LIST/UIDL msg, LANG tag, AUTH mech change the answer).
 * MP_POP3_EXPECT_NONE for MP_POP3_NONE and unknown values. */
mp_pop3_expect mp_pop3_expect_of(mp_pop3_verb verb, int has_arg);

/* Symbolic name ("CONTENT"); never NULL. */
const char *mp_pop3_expect_name(mp_pop3_expect e);

/* Events. */
typedef enum mp_pop3_ev {
    MP_POP3_EV_NONE = 0,   /* never delivered */
    MP_POP3_EV_STATUS,     /* the first line: +OK / -ERR, the code, the
                              text, typed fields; `multiline` says whether
                              a body follows (then entries, lines or
                              content, and END) */
    MP_POP3_EV_CONTINUE,   /* "+ " challenge inside AUTH: text = base64 as
                              sent (possibly empty); the exchange goes on
                              under the same expectation */
    MP_POP3_EV_LIST_ENTRY, /* a scan listing: msgno, size, text = what
                              follows the size (RFC 1939 §5 allows more) */
    MP_POP3_EV_UIDL_ENTRY, /* a unique-id listing: msgno, uid */
    MP_POP3_EV_CAPA,       /* a capability line: text, cap (0: unknown) */
    MP_POP3_EV_LINE,       /* a line of an EXPECT_LINES body (unstuffed) */
    MP_POP3_EV_CONTENT,    /* content bytes, unstuffed, any chunking; lines
                              end in CRLF, the CRLF before the final "."
                              included */
    MP_POP3_EV_END         /* the final "." of a multi-line body */
} mp_pop3_ev;

/*
 * One event.  Slices point into the caller's input or into the parser's
 * line buffer (valid until the next call on the parser) or, for content
 * line ends, into static storage.
 */
typedef struct mp_pop3_resp_event {
    mp_pop3_ev type;
    mp_pop3_expect expect; /* what the response answers */
    int ok;                /* STATUS: 1 +OK, 0 -ERR */
    int multiline;         /* STATUS: a multi-line body follows */
    mp_pop3_code code;     /* STATUS: RFC 2449 §8 response code, or NONE */
    mp_slice code_text;    /* STATUS: the code as sent without brackets
                              ("SYS/TEMP"); empty when none */
    mp_slice text;         /* STATUS: the text after the status and the
                              code (typed fields are parsed from it);
                              CONTINUE, CAPA, LINE, CONTENT, LIST_ENTRY:
                              see mp_pop3_ev */
    mp_slice timestamp;    /* STATUS of a greeting: the APOP timestamp,
                              "<...>" with its brackets (RFC 1939 §7: an
                              RFC 822 msg-id), inside `text`; empty when
                              the greeting has none */
    mp_slice uid;          /* UIDL_ENTRY, STATUS of UIDL_ONE */
    uint32_t msgno;        /* LIST_ENTRY, UIDL_ENTRY, STATUS of
                              LIST_ONE / UIDL_ONE */
    uint32_t count;        /* STATUS of STAT: messages in the maildrop */
    uint64_t size;         /* LIST_ENTRY and LIST_ONE: octets; STAT: the
                              maildrop's octets */
    uint32_t cap;          /* CAPA: the MP_POP3_CAP_* bit, 0 unknown */
    uint64_t offset;       /* stream offset of the line (END: of the "."
                              line; CONTENT: of the chunk's first byte on
                              the wire, or of the line end it stands for) */
    const mp_error *err;   /* END: why the body is not whole or not
                              regular (see mp_pop3_resp_next), else NULL */
} mp_pop3_resp_event;

/* Parser flags (mp_pop3_resp_config.flags). */
enum {
    /* Quirk: a bare LF ends a status or listing line (and a "." LF ends a
     * listing).  Content still ends only at CRLF "." CRLF.  Risk: line
     * ends a proxy frames differently (docs/security.md). */
    MP_POP3_RESP_LF_LINES = 1u << 0,
    /* Quirk: "+" alone (no SP) is an empty challenge (RFC 5034 §4 wants
     * "+ ").  Risk: none known. */
    MP_POP3_RESP_BARE_CONTINUE = 1u << 1,
    /* Content policy (default: verbatim, below).  STRICT: the first bare
     * CR, bare LF or NUL in content poisons the body (an error once, no
     * more CONTENT, END carries the error).  NORMALIZE_LF: a bare LF is
     * delivered as CRLF. */
    MP_POP3_RESP_CONTENT_STRICT = 1u << 2,
    MP_POP3_RESP_CONTENT_NORMALIZE_LF = 1u << 3
};

/*
 * Configuration.  Zero fields are the defaults.  The host's line buffer
 * must hold max(max_line, max_auth_line) - 2 bytes.
 */
typedef struct mp_pop3_resp_config {
    unsigned flags;          /* MP_POP3_RESP_* */
    uint32_t max_line;       /* status and listing lines with CRLF
                                (MP_POP3_MAX_RESPONSE_LINE; RFC 2449 §4
                                fixes 512 for the first line) */
    uint32_t max_auth_line;  /* lines while EXPECT_AUTH, with CRLF
                                (MP_POP3_MAX_AUTH_LINE, or the buffer's
                                capacity + 2 when that is smaller) */
    uint64_t max_body;       /* wire octets of one multi-line body, the
                                final "." line included; 0: no limit */
} mp_pop3_resp_config;

struct mp_pop3_resp_ops_;

/* The parser.  Plain data, place it anywhere; fields are private except
 * `caps` and `err` (readable).  sizeof is 224 bytes on x86-64
 * (tests/pop3/test_write.c checks <= 320), plus the host's line buffer. */
typedef struct mp_pop3_resp_parser {
    mp_line_framer framer;
    /* The readers of capability lines and of the greeting's timestamp
     * (lib/pop3/grammar.h): mp_pop3_resp_init() installs them; the client
     * session installs them only when it uses them, so that a firmware
     * image that never does links neither. */
    const struct mp_pop3_resp_ops_ *ops;
    mp_dot_decoder dot;
    mp_pop3_caps caps;       /* filled by the CAPA response being read or
                                last read (reset at its STATUS) */
    mp_error err;            /* the last error returned */
    mp_error body_err;       /* a limit error of the body being read */
    uint64_t body_start;     /* stream offset of the first body byte */
    uint64_t max_body;
    uint32_t max_line;
    uint32_t max_auth_line;
    uint16_t flags;
    uint8_t expect;          /* mp_pop3_expect */
    uint8_t state;           /* private */
} mp_pop3_resp_parser;

/*
 * Prepare `p`, expecting a greeting.  `buf[0..cap)` is the host's line
 * assembly buffer (a line that straddles inputs is copied there); it must
 * outlive the parser.  `cfg` is copied and may be NULL (defaults).
 * MP_ERR_ARG: NULL `p` or `buf`, a limit below 512 (max_line) or 16
 * (max_auth_line), or a buffer smaller than max_line - 2.
 */
mp_status mp_pop3_resp_init(mp_pop3_resp_parser *p, char *buf, size_t cap,
                            const mp_pop3_resp_config *cfg);

/*
 * Say what the next response answers.  Only between responses (after the
 * STATUS of a single-line response or the END of a multi-line one, or
 * after an error that dropped the response, whose line the parser skips
 * to its end first): MP_ERR_STATE while a response is being read.
 * MP_POP3_EXPECT_NONE makes any byte unexpected.
 */
mp_status mp_pop3_resp_expect(mp_pop3_resp_parser *p, mp_pop3_expect what);

/* The current expectation (NONE once a response was read whole). */
mp_pop3_expect mp_pop3_resp_expecting(const mp_pop3_resp_parser *p);

/*
 * Consume bytes of `in[0..len)` up to the next event.
 *  - MP_OK: `*ev` is filled; `*used` bytes were consumed.  Call again with
 *    the rest.
 *  - MP_NEED_MORE: all of `in` consumed, no event yet.
 *  - MP_ERR_POP3_UNEXPECTED: bytes arrived while nothing is expected;
 *    nothing consumed (`*used` 0).  Set the expectation, or give up.
 *  - errors of a line, with p->err (code, stream offset, rule); the rest
 *    of the line was consumed:
 *      first line: MP_ERR_LINE_TOO_LONG, MP_ERR_BARE_CR, MP_ERR_BARE_LF
 *      (framing), MP_ERR_POP3_STATUS (neither "+OK" nor "-ERR", nor "+ "
 *      where a challenge may come), MP_ERR_POP3_TEXT (a control character
 *      other than HT), MP_ERR_POP3_LISTING / MP_ERR_POP3_NUMBER (a STAT,
 *      LIST msg or UIDL msg answer that is not "count size" / "msg size"
 *      / "msg uid"), MP_ERR_POP3_UID.  The response is dropped and the
 *      expectation with it: whether a body follows is unknown, so a
 *      client must close (docs/security.md).
 *      body lines (LIST, UIDL, CAPA, LINES): the same framing errors,
 *      MP_ERR_POP3_LISTING, MP_ERR_POP3_NUMBER, MP_ERR_POP3_UID (empty,
 *      over MP_POP3_MAX_UID or outside 0x21..0x7E), MP_ERR_POP3_TEXT.
 *      The line is skipped; the body goes on to its "." (the stream stays
 *      in sync).
 *  - MP_ERR_POP3_TOO_BIG: the body reached max_body wire octets without
 *    its end; no more of it is delivered, the parser reads on to the real
 *    end (an endless body never ends: the host closes) and END then
 *    carries this error.
 *  - MP_ERR_BARE_CR / MP_ERR_BARE_LF / MP_ERR_NUL under
 *    MP_POP3_RESP_CONTENT_STRICT: the content is poisoned, reported once;
 *    END carries the error.
 * Content (RETR, TOP): un-byte-stuffed (RFC 1939 §3) and streamed with no
 * line limit.  Only CRLF "." CRLF ends it, counting the CRLF of the +OK
 * line.  A bare CR, bare LF or NUL inside is content by default
 * (verbatim: a client must not lose a message a lax server stored); a "."
 * after a bare LF is not un-stuffed, since only CRLF starts a line; END
 * then carries the first such byte (err->code MP_ERR_BARE_CR / _LF /
 * MP_ERR_NUL with its offset) so the host knows the message is irregular.
 * Listing lines are un-stuffed too ("..x" is ".x").
 * The events are the same for any split of the input (CONTENT chunks
 * coalesced).
 */
mp_status mp_pop3_resp_next(mp_pop3_resp_parser *p, const char *in, size_t len, size_t *used,
                            mp_pop3_resp_event *ev);

/* 1 while a response is being read (its first line began, its end not
 * yet seen). */
int mp_pop3_resp_busy(const mp_pop3_resp_parser *p);

/* Bytes of an unfinished line held by the parser.  After the +OK to STLS
 * (RFC 2595 §4) a client checks that this is 0 and that the input is
 * used up: any other byte is MP_ERR_TLS_INJECTION. */
size_t mp_pop3_resp_pending(const mp_pop3_resp_parser *p);

/* Symbolic names for dumps ("STATUS"); never NULL. */
const char *mp_pop3_ev_name(mp_pop3_ev e);

/* ======================================================================= */
/* Response writer (server side)                                           */
/* ======================================================================= */
/*
 * Every writer appends one whole line (with CRLF) to `ob` or nothing:
 * MP_ERR_NO_SPACE (ob->need says how much room it needs),
 * MP_ERR_LINE_TOO_LONG (a status line above MP_POP3_MAX_RESPONSE_LINE, a
 * listing line above MP_POP3_MAX_RESPONSE_LINE, a continuation above
 * MP_POP3_MAX_AUTH_LINE), MP_ERR_BAD_VALUE (a byte the parser refuses: CR,
 * LF, NUL, a control character other than HT; 8-bit text is allowed).
 * A multi-line response is a status (+OK), its lines (or content through
 * mp_dot_encoder, core.h, which stuffs and ends with CRLF "." CRLF), and
 * mp_pop3_write_end() after lines.
 */

/*
 * "+OK" / "-ERR" [SP ["[" code "]" [SP]] text] CRLF (RFC 2449 §8).
 * `code` is the response code without brackets ("SYS/TEMP"; empty for
 * none): resp-level *("/" resp-level), printable ASCII without "/" and
 * "]" in a level (else MP_ERR_BAD_VALUE).  `text` may be empty; without a
 * code it must not begin with one ("[IN-USE] x" would read as a code).
 */
mp_status mp_pop3_write_status(mp_outbuf *ob, int ok, mp_slice code, mp_slice text);

/* "+OK text <timestamp>" (RFC 1939 §4 greeting, §7 timestamp).
 * `timestamp` is empty or a msg-id "<...@...>" the parser recognizes
 * (MP_ERR_BAD_VALUE otherwise); `text` as for mp_pop3_write_status. */
mp_status mp_pop3_write_greeting(mp_outbuf *ob, mp_slice text, mp_slice timestamp);

/* Typed single-line answers: "+OK count size" (STAT), "+OK msg size"
 * (LIST msg), "+OK msg uid" (UIDL msg).  msgno 1..MP_POP3_MSGNO_MAX
 * (MP_ERR_ARG), count 0..MP_POP3_MSGNO_MAX, uid 1..MP_POP3_MAX_UID octets
 * of 0x21..0x7E (MP_ERR_BAD_VALUE). */
mp_status mp_pop3_write_stat(mp_outbuf *ob, uint32_t count, uint64_t size);
mp_status mp_pop3_write_list_one(mp_outbuf *ob, uint32_t msgno, uint64_t size);
mp_status mp_pop3_write_uidl_one(mp_outbuf *ob, uint32_t msgno, mp_slice uid);

/* A SASL challenge "+ " base64(data) (RFC 5034 §4); an empty challenge
 * is "+ " alone. */
mp_status mp_pop3_write_challenge(mp_outbuf *ob, const void *data, size_t len);

/* Listing lines of a multi-line body: "msg size", "msg uid". */
mp_status mp_pop3_write_list_entry(mp_outbuf *ob, uint32_t msgno, uint64_t size);
mp_status mp_pop3_write_uidl_entry(mp_outbuf *ob, uint32_t msgno, mp_slice uid);

/* Any other line of a multi-line body (a capability, a LANG listing),
 * byte-stuffed: a leading "." is doubled. */
mp_status mp_pop3_write_line(mp_outbuf *ob, mp_slice line);

/*
 * The capability lines of `caps` in RFC 2449 §6 order (TOP, USER, SASL
 * with its mechanisms, RESP-CODES, LOGIN-DELAY n [USER], PIPELINING,
 * EXPIRE n|NEVER [USER], UIDL, IMPLEMENTATION text, STLS,
 * AUTH-RESP-CODE, UTF8 [USER], LANG), without the +OK and the ".".
 * `implementation` is its text (needed when the bit is set: printable
 * ASCII and SP).  Whole set or nothing.  What mp_pop3_caps_parse_line()
 * reads back is `caps` again.
 */
mp_status mp_pop3_write_capa(mp_outbuf *ob, const mp_pop3_caps *caps, mp_slice implementation);

/* ".\r\n": the end of a listing. */
mp_status mp_pop3_write_end(mp_outbuf *ob);

/*
 * TOP (RFC 1939 §7): the header, the blank line, then `lines` body lines,
 * cut from the host's message stream as it comes.  Lines end at LF (a
 * Maildir stores LF; CRLF ends a line too); the header ends at the first
 * empty line.  A message without a blank line is all header.  The bytes
 * the cutter passes go on to mp_dot_encoder (with MP_DOT_ENC_NORMALIZE for
 * LF-stored messages), which adds the missing CRLF and the final ".".
 */
typedef struct mp_pop3_top_cutter {
    uint32_t lines_left;
    uint8_t state;  /* private */
} mp_pop3_top_cutter;

void mp_pop3_top_init(mp_pop3_top_cutter *t, uint32_t lines);

/* How much of `in[0..len)` belongs to the answer: MP_OK with `*take` ==
 * len (more is wanted), or MP_DONE with `*take` <= len (the cut is
 * reached: send in[0..*take), nothing after; MP_DONE again on any later
 * call, with `*take` 0). */
mp_status mp_pop3_top_cut(mp_pop3_top_cutter *t, const char *in, size_t len, size_t *take);

/* ======================================================================= */
/* Command writer (client side)                                            */
/* ======================================================================= */
/*
 * Every writer appends one whole command with its CRLF, or nothing, and
 * refuses what mp_pop3_cmd_parse() refuses with the same `flags` and
 * `lim` (NULL: defaults): MP_ERR_NO_SPACE (ob->need), MP_ERR_LINE_TOO_LONG
 * (above lim->command_line; an AUTH initial response that does not fit
 * goes after the first "+ " instead, RFC 5034 §4), MP_ERR_POP3_ARG_TOO_LONG,
 * MP_ERR_BAD_VALUE (a value outside the grammar: control characters, a
 * space in a name, 8-bit without MP_POP3_CMD_UTF8, ill-formed UTF-8, a bad
 * mechanism, language tag or base64), MP_ERR_ARG (a verb and argument
 * shape that do not go together, a message number outside
 * 1..MP_POP3_MSGNO_MAX).
 */

/* Write `cmd` as mp_pop3_cmd_parse() would have read it (a parsed
 * command comes out canonical: upper-case keyword, single spaces). */
mp_status mp_pop3_write_command(mp_outbuf *ob, const mp_pop3_cmd *cmd, unsigned flags,
                                const mp_pop3_limits *lim);

/* A command without argument: STAT LIST UIDL NOOP RSET QUIT CAPA STLS
 * UTF8 LANG, and AUTH (the mechanism listing). */
mp_status mp_pop3_write_simple(mp_outbuf *ob, mp_pop3_verb verb);
/* LIST, UIDL, RETR or DELE with a message number. */
mp_status mp_pop3_write_msg(mp_outbuf *ob, mp_pop3_verb verb, uint32_t msgno);
/* TOP msgno lines. */
mp_status mp_pop3_write_top(mp_outbuf *ob, uint32_t msgno, uint32_t lines);
/* USER name / PASS password / LANG tag ("*" for the default). */
mp_status mp_pop3_write_user(mp_outbuf *ob, mp_slice name, unsigned flags,
                             const mp_pop3_limits *lim);
mp_status mp_pop3_write_pass(mp_outbuf *ob, mp_slice password, unsigned flags,
                             const mp_pop3_limits *lim);
mp_status mp_pop3_write_lang(mp_outbuf *ob, mp_slice tag, const mp_pop3_limits *lim);
/* APOP name digest: `digest` is the 16-byte MD5 of timestamp + secret
 * (RFC 1939 §7), written as 32 lower-case hex digits. */
mp_status mp_pop3_write_apop(mp_outbuf *ob, mp_slice name, const uint8_t digest[16],
                             unsigned flags, const mp_pop3_limits *lim);
/* AUTH mech [initial-response] (RFC 5034 §4): `mech` is a SASL name (1-20
 * of A-Z a-z 0-9 - _); with `has_initial`, `initial[0..initial_len)` goes
 * base64-encoded, "=" when empty. */
mp_status mp_pop3_write_auth(mp_outbuf *ob, mp_slice mech, const void *initial,
                             size_t initial_len, int has_initial, const mp_pop3_limits *lim);
/* A SASL response line: base64 of `data` (empty: an empty line), at most
 * MP_POP3_MAX_AUTH_LINE with CRLF. */
mp_status mp_pop3_write_auth_response(mp_outbuf *ob, const void *data, size_t len);
/* "*\r\n": cancel the exchange. */
mp_status mp_pop3_write_auth_cancel(mp_outbuf *ob);

#ifdef __cplusplus
}
#endif

#endif /* MAILPROTO_POP3_H */
