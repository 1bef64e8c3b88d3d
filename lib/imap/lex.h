/*
 * IMAP tokenizer shared by the response parser (resp_*.c) and the command
 * parser (cmd_*.c).  Internal API: not installed, prefix mp_imap_lex_.
 *
 * A resumable, byte-level tokenizer (RFC 9051 §4, §9 formal syntax).  The
 * grammar layer above pulls one token at a time and says, before each
 * token, which character class an atom-like token is made of (the token
 * class depends on the grammar position: a tag is not an atom, a
 * list-mailbox holds '%' and '*', a section spec stops at ']', ...) and
 * whether a literal there is streamed or wanted whole as a small string.
 *
 * Resumability: next() consumes input up to the end of one token and
 * returns it.  When the input ends inside a token, the partial bytes are
 * copied into the host's assembly buffer and next() returns MP_NEED_MORE;
 * the following call completes the token.  A token wholly inside one input
 * is a zero-copy slice of that input.  The grammar must ask with the same
 * expectation again after MP_NEED_MORE (it has not moved, so it does).
 *
 * Literals {n}, {n+}, ~{n} (RFC 9051 §4.3, RFC 7888, RFC 3516):
 *  - streamed (default): LITERAL_BEGIN (num = n, flags NONSYNC / BINARY),
 *    then LITERAL_CHUNK tokens (slices of the input, any sizes), then
 *    LITERAL_END.  Literal bytes never count toward the line length.
 *  - with MP_IMAP_LEX_WANT_STRING: a literal of at most max_quoted bytes
 *    is assembled and returned as one STRING token with
 *    MP_IMAP_TOKF_LITERAL; a longer one is MP_ERR_IMAP_STRING_TOO_LONG,
 *    or streamed with MP_IMAP_LEX_WANT_STREAM.
 *
 * Quoted strings longer than max_quoted (MP_IMAP_LEX_WANT_STREAM only;
 * else MP_ERR_IMAP_TEXT_TOO_LONG): the same three token kinds as a
 * literal, so the grammar has one contract for both representations.
 * LITERAL_BEGIN (num 0: the length is known only at the end, flag
 * MP_IMAP_TOKF_QUOTED) comes when the content reaches max_quoted + 1
 * bytes, whatever the split; the chunks carry the content unescaped (the
 * first is the max_quoted bytes assembled so far); LITERAL_END comes at
 * the closing DQUOTE.  The bytes still count toward the line length and
 * every check of a quoted string applies; an error mid-stream ends the
 * string without LITERAL_END (the line is skipped as usual).
 *  - with MP_IMAP_LEX_SYNC_WAIT (servers): a synchronizing literal first
 *    yields LITERAL_SYNC (num = n) and nothing more is read until the host
 *    calls next() again, which means "I sent the continuation request";
 *    calling mp_imap_lex_skip_line() instead rejects it (the client sends
 *    no literal bytes, the command line is over).
 *
 * Errors: next() returns the status, sets lx->err (code, stream offset of
 * the offending token or byte, rule).  After any error the tokenizer skips
 * the rest of the logical line on its own, stepping over literal payloads
 * whose length it knows (never interpreting them), and the next token it
 * returns is the CRLF ending that line, flagged MP_IMAP_TOKF_SKIPPED.  A
 * grammar error is handled the same way by calling mp_imap_lex_skip_line().
 *
 * Limits (each its own status): line length outside literals
 * (MP_ERR_LINE_TOO_LONG), atom (MP_ERR_IMAP_ATOM_TOO_LONG), quoted / text
 * (MP_ERR_IMAP_TEXT_TOO_LONG), depth of '(' (MP_ERR_IMAP_DEPTH), literals
 * per line (MP_ERR_IMAP_TOO_MANY_LITERALS), literal length syntax ({-1},
 * {}: MP_ERR_IMAP_LITERAL_SYNTAX), protocol range (above 2^32-1 in rev1,
 * 2^63-1 in rev2 or any overflow: MP_ERR_IMAP_LITERAL_RANGE), configured
 * maximum (MP_ERR_IMAP_LITERAL_LIMIT), LITERAL- (MP_ERR_IMAP_NONSYNC_TOO_BIG).
 * Bytes: NUL (MP_ERR_NUL), 8-bit outside UTF-8 mode (MP_ERR_8BIT), bare
 * CR / LF (MP_ERR_BARE_CR / MP_ERR_BARE_LF unless MP_IMAP_LEX_LF).
 *
 * 8-bit bytes and UTF-8 (RFC 9051 §9, RFC 6855 §3): atoms never hold them
 * (MP_ERR_8BIT); literals are octets and are never checked.  In quoted
 * strings and in TEXT / CODE_TEXT tokens:
 *  - no 8-bit flag (IMAP4rev1): MP_ERR_8BIT at the first 8-bit byte;
 *  - MP_IMAP_LEX_8BIT (UTF8=ACCEPT, IMAP4rev2): QUOTED-CHAR =/ UTF8-2 /
 *    UTF8-3 / UTF8-4 and TEXT-CHAR likewise, so the bytes must be
 *    well-formed UTF-8 (RFC 3629: no overlong form, no surrogate, nothing
 *    above U+10FFFF; lib/core/utf8.h).  Otherwise MP_ERR_UTF8 at the first
 *    byte that cannot continue well-formed UTF-8: a bad lead or tail byte,
 *    or the byte (DQUOTE, "\", CR, "]" ending CODE_TEXT ...) that arrives
 *    where a sequence still wanted a tail.  The check is incremental: a
 *    sequence split across inputs gives the same tokens and errors.
 *  - MP_IMAP_LEX_8BIT_RAW (the quirk MP_IMAP_Q_8BIT_TEXT, "8-bit bytes in
 *    text and quoted strings"): any 8-bit byte, unchecked, in both.  The
 *    quirk exists for servers that send Latin-1 (or raw header bytes) in
 *    ENVELOPE strings and response text, so it keeps covering quoted
 *    strings as documented; it wins over MP_IMAP_LEX_8BIT.
 */
#ifndef MP_IMAP_LEX_H
#define MP_IMAP_LEX_H

#include <stddef.h>
#include <stdint.h>

#include "mailproto/imap.h"

/* Character class of atom-like tokens at the next grammar position
 * (RFC 9051 §9).  A byte outside the class ends the token; at a token
 * start such a byte becomes its own token (SP, CRLF, parentheses,
 * brackets, a quoted string, a literal, a flag, or PUNCT). */
typedef enum mp_imap_lex_class {
    MP_IMAP_LEX_ATOM = 0,     /* ATOM-CHAR: not ( ) { SP CTL % * " \ ] */
    MP_IMAP_LEX_ASTRING,      /* ASTRING-CHAR: ATOM-CHAR and ']' */
    MP_IMAP_LEX_TAG,          /* tag: ASTRING-CHAR except '+' */
    MP_IMAP_LEX_LIST_MAILBOX, /* list-char: ATOM-CHAR, '%', '*', ']' */
    MP_IMAP_LEX_SEQSET,       /* sequence-set: digits ':' ',' '*' '$' */
    MP_IMAP_LEX_FETCH_ATT,    /* fetch attribute names: ATOM-CHAR except
                                 '[' and '<' (so BODY[ and <origin> split) */
    MP_IMAP_LEX_SECTION,      /* inside [ ]: ATOM-CHAR except '[' '<' '>' */
    MP_IMAP_LEX_CODE_TEXT,    /* unknown resp-text-code data: TEXT-CHAR except
                                 ']' (spaces included), one token */
    MP_IMAP_LEX_TEXT,         /* the rest of the line (TEXT-CHAR incl. SP),
                                 one TEXT token, possibly empty; the CRLF is
                                 left for the next token */
    MP_IMAP_LEX_RESP_TEXT,    /* resp-text start: "[" gives LBRACKET (a
                                 response code follows), anything else is
                                 read as MP_IMAP_LEX_TEXT */
    MP_IMAP_LEX_CLASS_COUNT_
} mp_imap_lex_class;

/* Expectation flags for mp_imap_lex_expect(). */
enum {
    /* A literal here is assembled and returned as a STRING (<= max_quoted). */
    MP_IMAP_LEX_WANT_STRING = 1u << 0,
    /* A string longer than max_quoted is streamed here instead of refused:
     * a quoted one as LITERAL_BEGIN (num 0, MP_IMAP_TOKF_QUOTED), chunks
     * of its unescaped content and LITERAL_END at the closing DQUOTE; a
     * literal as any streamed literal, even under WANT_STRING. */
    MP_IMAP_LEX_WANT_STREAM = 1u << 1
};

/* Tokenizer flags for mp_imap_lex_init(). */
enum {
    /* Server side: a sync literal yields LITERAL_SYNC and waits (above). */
    MP_IMAP_LEX_SYNC_WAIT = 1u << 0,
    /* Quirk: a bare LF ends a line (MP_IMAP_Q_LF_LINES). */
    MP_IMAP_LEX_LF = 1u << 1,
    /* 8-bit bytes allowed in quoted strings and text as well-formed UTF-8
     * (UTF8=ACCEPT, rev2); MP_ERR_UTF8 otherwise.  Never in atoms. */
    MP_IMAP_LEX_8BIT = 1u << 2,
    /* IMAP4rev2: literal lengths up to 2^63-1 (number64), else 2^32-1. */
    MP_IMAP_LEX_REV2 = 1u << 3,
    /* LITERAL-: {n+} at most MP_IMAP_MAX_NONSYNC_LITERAL. */
    MP_IMAP_LEX_LITERAL_MINUS = 1u << 4,
    /* Quirk MP_IMAP_Q_8BIT_TEXT: any 8-bit byte in quoted strings and text,
     * not checked as UTF-8 (with or without MP_IMAP_LEX_8BIT).  Never in
     * atoms. */
    MP_IMAP_LEX_8BIT_RAW = 1u << 5
};

/* The tokenizer state, struct mp_imap_lex, is in mailproto/imap.h because
 * the public parser structs embed it; its fields are private. */

/*
 * Prepare `lx` at the start of a stream.  `buf[0..cap)` assembles tokens
 * that straddle inputs; it must outlive the tokenizer and should hold
 * max(max_atom, max_quoted) bytes (limits above cap are lowered to cap).
 * `lim` may be NULL (all defaults).  `flags` are MP_IMAP_LEX_*.
 * Returns MP_ERR_ARG when buf is NULL or cap < 64.
 */
mp_status mp_imap_lex_init(mp_imap_lex *lx, char *buf, size_t cap, const mp_imap_limits *lim,
                           unsigned flags);

/* Change the tokenizer flags (a mode switch after ENABLE or LOGIN).
 * Takes effect from the next token. */
void mp_imap_lex_set_flags(mp_imap_lex *lx, unsigned flags);

/* Change the line limit (e.g. MP_IMAP_MAX_LINE_PREAUTH before login). */
void mp_imap_lex_set_max_line(mp_imap_lex *lx, uint32_t max_line);

/* Change the largest literal accepted from the next literal header on
 * (per grammar position, e.g. APPEND message vs any other literal); 0
 * means no limit beyond the protocol range. */
void mp_imap_lex_set_max_literal(mp_imap_lex *lx, uint64_t max_literal);

/* Change the quoted-string / text / assembled-literal limit (e.g. an
 * AUTHENTICATE line, MP_IMAP_MAX_AUTH_LINE); clamped to the buffer's cap,
 * 0 restores MP_IMAP_MAX_QUOTED.  Takes effect from the next token. */
void mp_imap_lex_set_max_quoted(mp_imap_lex *lx, uint32_t max_quoted);

/* Say what the next token is made of: the class of atom-like tokens and
 * MP_IMAP_LEX_WANT_* flags.  Ignored while a token is half read (the class
 * of its first byte stays). */
void mp_imap_lex_expect(mp_imap_lex *lx, mp_imap_lex_class cls, unsigned want);

/*
 * Read the next token from `in[0..len)`.  `*used` is set to the bytes
 * consumed (possibly 0 for a token that needed no new byte, such as
 * LITERAL_END or the end of a skipped line).
 *  - MP_OK: `*tok` holds a token; its slices are valid until the next call
 *    on `lx` and while `in` lives.
 *  - MP_NEED_MORE: all of `in` consumed, no complete token yet.
 *  - an error (see the top of this file): lx->err is set; call again to go
 *    on (the rest of the line is skipped).
 */
mp_status mp_imap_lex_next(mp_imap_lex *lx, const char *in, size_t len, size_t *used,
                           mp_imap_token *tok);

/*
 * The in-place path of mp_imap_lex_next() alone, for hot loops: when the
 * next token is a common one (SP, CRLF, parentheses, an atom, a flag, a
 * quoted string without escapes) wholly inside `in[0..len)` and far from
 * every limit, fill `*tok` as mp_imap_lex_next() would and return the
 * bytes consumed (> 0).  Otherwise return 0 and change nothing but `*tok`;
 * call mp_imap_lex_next() then.  Never reports an error.
 */
size_t mp_imap_lex_fast(mp_imap_lex *lx, const char *in, size_t len, mp_imap_token *tok);

/* The in-place path for one SP token: when in[0] is SP and
 * mp_imap_lex_fast() would return it, consume it and return 1 (the caller
 * takes it as an SP token); else return 0 and change nothing. */
int mp_imap_lex_fast_sp(mp_imap_lex *lx, const char *in, size_t len);

/*
 * Give up the current logical line (a grammar error or a rejected
 * literal): the tokenizer skips to its end, over announced literal
 * payloads, and then returns a CRLF token flagged MP_IMAP_TOKF_SKIPPED.
 * Called right after LITERAL_SYNC (server, MP_IMAP_LEX_SYNC_WAIT) it
 * rejects the literal: no payload follows, the line is over.  Called right
 * after LITERAL_BEGIN or inside a literal, it skips the rest of the
 * payload first.  A no-op at the start of a line.
 */
void mp_imap_lex_skip_line(mp_imap_lex *lx);

/* 1 when no token is half read and the tokenizer is at a line start. */
int mp_imap_lex_at_line_start(const mp_imap_lex *lx);

/* Bytes held by the tokenizer that belong to an unfinished token (for a
 * transport switch: such bytes are plaintext that must never be used). */
size_t mp_imap_lex_pending(const mp_imap_lex *lx);

/* Parse a token's digits as a number <= max: MP_OK, MP_ERR_NUMBER (too
 * large) or MP_ERR_SYNTAX (not a NUMBER token). */
mp_status mp_imap_lex_number(const mp_imap_token *tok, uint64_t max, uint64_t *out);

#endif /* MP_IMAP_LEX_H */
