/*
 * libmailproto — IMAP (RFC 9051 IMAP4rev2, RFC 3501 IMAP4rev1 and the
 * extensions listed per item): the types both directions share, the
 * response parser (what a client reads) and the response writer (what a
 * server writes).  The command side is in imap_command.h.
 *
 * Nothing here allocates.  Parsers are push parsers: feed them bytes in any
 * fragmentation, events fire from inside the feed through one callbacks
 * table with a `void *user`.  Slices in events point into the caller's
 * input or into the host's assembly buffer and are valid only until the
 * callback returns.
 */
#ifndef MAILPROTO_IMAP_H
#define MAILPROTO_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================= */
/* Modes and quirks (shared by both directions)                            */
/* ======================================================================= */

/*
 * Protocol mode bits, chosen at run time (after CAPABILITY / ENABLE).
 *  - MP_IMAP_REV2: IMAP4rev2 grammar (RFC 9051): literal lengths are
 *    number64, RECENT is gone, ESEARCH is the default SEARCH answer.
 *    Without it: IMAP4rev1 (RFC 3501), literal lengths fit in 32 bits.
 *  - MP_IMAP_UTF8: UTF8=ACCEPT (RFC 6855) or rev2: quoted strings and
 *    text may hold UTF-8, mailbox names are raw UTF-8 instead of modified
 *    UTF-7.
 *  - MP_IMAP_LITERAL_MINUS: LITERAL- (RFC 7888): a non-synchronizing
 *    literal is at most MP_IMAP_MAX_NONSYNC_LITERAL octets.
 */
enum {
    MP_IMAP_REV2 = 1u << 0,
    MP_IMAP_UTF8 = 1u << 1,
    MP_IMAP_LITERAL_MINUS = 1u << 2
};

/*
 * Quirks of real peers, all off by default.  Each one weakens the grammar
 * a little; the risk is stated.  Every flag has a test vector (off: error,
 * on: parsed).
 */
enum {
    /* A bare LF ends a line.  Risk: a peer's line ends are ambiguous to a
     * proxy that frames lines differently (smuggling, SECURITY.md). */
    MP_IMAP_Q_LF_LINES = 1u << 0,
    /* Trailing spaces before CRLF in CAPABILITY, STATUS, SEARCH, ID and
     * other space-separated lists.  Risk: none known. */
    MP_IMAP_Q_TRAILING_SPACE = 1u << 1,
    /* Spaces between the addresses of an ENVELOPE address list and
     * between the parts of a multipart BODYSTRUCTURE.  Risk: none known. */
    MP_IMAP_Q_LIST_SPACES = 1u << 2,
    /* NIL where a string belongs (body-fld-enc, parameter values).  The
     * value is reported as NIL.  Risk: the host must handle NIL there. */
    MP_IMAP_Q_NIL_STRING = 1u << 3,
    /* ']' inside flags and flag lists with doubled spaces (Gmail).
     * Risk: a flag may look like a response-code end to naive code. */
    MP_IMAP_Q_FLAG_CHARS = 1u << 4,
    /* '\*' in FLAGS (only PERMANENTFLAGS may hold it).  Risk: none. */
    MP_IMAP_Q_STAR_IN_FLAGS = 1u << 5,
    /* `* STATUS "x" ()`: an empty STATUS list.  Risk: none. */
    MP_IMAP_Q_EMPTY_STATUS = 1u << 6,
    /* A continuation request "+" with no space and no text. */
    MP_IMAP_Q_BARE_CONTINUE = 1u << 7,
    /* An unparsable BODY/BODYSTRUCTURE is reported as invalid (an error
     * event) and skipped to its closing parenthesis; the rest of the FETCH
     * goes on.  Risk: the host sees a FETCH without that item. */
    MP_IMAP_Q_BAD_BODYSTRUCTURE = 1u << 8,
    /* 8-bit bytes in text and quoted strings without UTF8=ACCEPT. */
    MP_IMAP_Q_8BIT_TEXT = 1u << 9
};

/*
 * Run-time limits.  Zero in a field means the compile-time default of
 * config.h; a non-zero value replaces it (values above the compile-time
 * bound are allowed only for max_literal, which sizes nothing).
 */
typedef struct mp_imap_limits {
    uint32_t max_line;      /* bytes per line outside literals, CRLF included
                               (MP_IMAP_MAX_LINE) */
    uint32_t max_atom;      /* atom, tag, number (MP_IMAP_MAX_ATOM) */
    uint32_t max_quoted;    /* quoted string, text, or a literal assembled as
                               a string (MP_IMAP_MAX_QUOTED) */
    uint16_t max_depth;     /* parenthesis nesting (MP_IMAP_MAX_DEPTH) */
    uint16_t max_literals;  /* literals per line / command / response
                               (MP_IMAP_MAX_LITERALS) */
    uint64_t max_literal;   /* largest literal accepted; default: the
                               protocol maximum (2^32-1, or 2^63-1 in rev2) */
} mp_imap_limits;

/* ======================================================================= */
/* Token kinds (the shared tokenizer, lib/imap/lex.h)                      */
/* ======================================================================= */

typedef enum mp_imap_tok {
    MP_IMAP_TOK_NONE = 0,
    MP_IMAP_TOK_ATOM,          /* atom-like run of the expected class */
    MP_IMAP_TOK_NUMBER,        /* all digits, fits in 64 bits: value in num */
    MP_IMAP_TOK_NIL,           /* the atom NIL (any case) */
    MP_IMAP_TOK_FLAG,          /* "\" atom or "\*"; text includes the "\" */
    MP_IMAP_TOK_STRING,        /* quoted string (unescaped) or a literal
                                  assembled whole (flag MP_IMAP_TOKF_LITERAL) */
    MP_IMAP_TOK_TEXT,          /* the rest of the line, possibly empty */
    MP_IMAP_TOK_LPAREN,
    MP_IMAP_TOK_RPAREN,
    MP_IMAP_TOK_LBRACKET,
    MP_IMAP_TOK_RBRACKET,
    MP_IMAP_TOK_PUNCT,         /* one other special byte, in punct */
    MP_IMAP_TOK_SP,
    MP_IMAP_TOK_CRLF,          /* end of line (MP_IMAP_TOKF_SKIPPED: the end
                                  of a line skipped after an error) */
    MP_IMAP_TOK_LITERAL_SYNC,  /* a sync literal was announced; the peer waits
                                  for "+" (only with MP_IMAP_LEX_SYNC_WAIT) */
    MP_IMAP_TOK_LITERAL_BEGIN, /* {n} / {n+} / ~{n}: num = n */
    MP_IMAP_TOK_LITERAL_CHUNK, /* literal payload bytes (text) */
    MP_IMAP_TOK_LITERAL_END
} mp_imap_tok;

/* Token flags. */
enum {
    MP_IMAP_TOKF_LITERAL = 1u << 0, /* STRING came from a literal */
    MP_IMAP_TOKF_NONSYNC = 1u << 1, /* {n+} */
    MP_IMAP_TOKF_BINARY = 1u << 2,  /* ~{n} (literal8, may hold NUL) */
    MP_IMAP_TOKF_SKIPPED = 1u << 3  /* CRLF ending a skipped line */
};

/* One token.  `text` points into the caller's input or into the
 * tokenizer's assembly buffer; valid until the next call on the
 * tokenizer. */
typedef struct mp_imap_token {
    mp_imap_tok kind;
    mp_slice text;
    uint64_t num;    /* NUMBER value, literal length */
    uint64_t offset; /* stream offset of the token's first byte */
    uint8_t punct;   /* the byte of a PUNCT token */
    uint8_t flags;   /* MP_IMAP_TOKF_* */
} mp_imap_token;

#ifdef __cplusplus
}
#endif

#endif /* MAILPROTO_IMAP_H */
