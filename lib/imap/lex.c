/* IMAP tokenizer (lex.h): one explicit state per partial token, zero copy
 * when a token lies in one input, the host's buffer when it straddles. */
#include <string.h>

#include "../core/utf8.h"
#include "lex_fast.h"

/* The tables of lex_fast.h, one copy for every object that reads them. */
const uint8_t mp_imap_lex_class_table_[256] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x6f, 0x00, 0x6f, 0x7f, 0x08, 0x6f, 0x6f, 0x00, 0x00, 0x18, 0x6b, 0x7f, 0x6f, 0x6f, 0x6f,
    0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x6f, 0x0f, 0x6f, 0x2f, 0x6f,
    0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f,
    0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x0f, 0x00, 0x0e, 0x6f, 0x6f,
    0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f,
    0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x6f, 0x00, 0x6f, 0x6f, 0x6f, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

const uint8_t mp_imap_lex_quoted_table_[256] = {
    1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
    2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

enum lex_state {
    ST_START = 0,  /* between tokens */
    ST_ATOM,       /* atom-like run (class lx->cls) */
    ST_FLAG,       /* after "\" */
    ST_QUOTED,     /* inside "..." */
    ST_QUOTED_ESC, /* after a backslash inside "..." */
    ST_QUOTED_U8,  /* inside a UTF-8 sequence inside "..." (lx->sub) */
    ST_TEXT,       /* TEXT / CODE_TEXT run */
    ST_TEXT_U8,    /* inside a UTF-8 sequence inside text (lx->sub) */
    ST_CR,         /* after a CR that must be followed by LF */
    ST_LIT_OPEN,   /* after "{" or "~{": digits */
    ST_LIT_PLUS,   /* after "+": "}" */
    ST_LIT_CR,     /* after "}": CR */
    ST_LIT_LF,     /* after "}" CR: LF */
    ST_LIT_SYNC,   /* LITERAL_SYNC returned, waiting for the host */
    ST_LIT_BODY,   /* streaming payload */
    ST_LIT_STRING, /* assembling payload as a string */
    ST_SKIP,       /* skipping the rest of a line (sub: literal detection) */
    ST_SKIP_LIT,   /* skipping lit_left payload bytes, then ST_SKIP */
    ST_SKIP_DONE,  /* the skipped line ended: return its CRLF */
    ST_QSTREAM     /* streaming a long quoted string (lx->aux: enum qs_sub) */
};

/* Where a streamed quoted string is (lx->aux in ST_QSTREAM; lx->sub holds
 * the UTF-8 decoder in QS_U8). */
enum qs_sub { QS_PLAIN = 0, QS_ESC, QS_U8 };

/* Literal detection while skipping (lx->sub). */
enum skip_sub {
    SK_NONE = 0, SK_OPEN, SK_DIGITS, SK_PLUS, SK_CLOSE_SYNC, SK_CLOSE_NONSYNC,
    SK_CR_SYNC, SK_CR_NONSYNC
};

#define U32_MAX_ 4294967295u
#define U63_MAX_ 9223372036854775807u

#define class_table mp_imap_lex_class_table_
#define finish_atom mp_imap_lex_finish_atom_

/* 8-bit bytes in quoted strings and text are checked as UTF-8 (lex.h). */
static int utf8_checked(const mp_imap_lex *lx)
{
    return (lx->flags & (MP_IMAP_LEX_8BIT | MP_IMAP_LEX_8BIT_RAW)) == MP_IMAP_LEX_8BIT;
}

static int in_class(unsigned cls, unsigned char c)
{
    return cls <= MP_IMAP_LEX_SECTION && (class_table[c] >> cls) & 1u;
}

static uint32_t lim32(uint32_t given, uint32_t dflt, size_t cap)
{
    uint32_t v = given ? given : dflt;
    if ((size_t)v > cap)
        v = (uint32_t)cap;
    return v;
}

mp_status mp_imap_lex_init(mp_imap_lex *lx, char *buf, size_t cap, const mp_imap_limits *lim,
                           unsigned flags)
{
    mp_imap_limits none;
    if (buf == NULL || cap < 64)
        return MP_ERR_ARG;
    if (lim == NULL) {
        memset(&none, 0, sizeof(none));
        lim = &none;
    }
    memset(lx, 0, sizeof(*lx));
    lx->buf = buf;
    lx->cap = cap;
    lx->max_line = lim->max_line ? lim->max_line : MP_IMAP_MAX_LINE;
    lx->max_atom = lim32(lim->max_atom, MP_IMAP_MAX_ATOM, cap);
    lx->max_quoted = lim32(lim->max_quoted, MP_IMAP_MAX_QUOTED, cap);
    lx->max_depth = lim->max_depth ? lim->max_depth : (uint16_t)MP_IMAP_MAX_DEPTH;
    lx->max_literals = lim->max_literals ? lim->max_literals : (uint16_t)MP_IMAP_MAX_LITERALS;
    lx->max_literal = lim->max_literal ? lim->max_literal : UINT64_MAX;
    lx->flags = (uint8_t)flags;
    lx->bol = 1;
    lx->state = ST_START;
    return MP_OK;
}

void mp_imap_lex_set_flags(mp_imap_lex *lx, unsigned flags) { lx->flags = (uint8_t)flags; }

void mp_imap_lex_set_max_line(mp_imap_lex *lx, uint32_t max_line)
{
    lx->max_line = max_line ? max_line : MP_IMAP_MAX_LINE;
}

void mp_imap_lex_set_max_literal(mp_imap_lex *lx, uint64_t max_literal)
{
    lx->max_literal = max_literal ? max_literal : UINT64_MAX;
}

void mp_imap_lex_set_max_quoted(mp_imap_lex *lx, uint32_t max_quoted)
{
    lx->max_quoted = lim32(max_quoted, MP_IMAP_MAX_QUOTED, lx->cap);
}

void mp_imap_lex_expect(mp_imap_lex *lx, mp_imap_lex_class cls, unsigned want)
{
    if (lx->state != ST_START)
        return;
    lx->cls = (uint8_t)cls;
    lx->want = (uint8_t)want;
}

int mp_imap_lex_at_line_start(const mp_imap_lex *lx)
{
    return lx->state == ST_START && lx->bol;
}

size_t mp_imap_lex_pending(const mp_imap_lex *lx)
{
    switch (lx->state) {
    case ST_START: case ST_SKIP: case ST_SKIP_LIT: case ST_SKIP_DONE: case ST_LIT_SYNC:
    case ST_LIT_BODY:
        return 0;
    case ST_QSTREAM:
        return lx->len; /* the first chunk, not yet delivered */
    default:
        return (size_t)(lx->pos - lx->tok_start);
    }
}

mp_status mp_imap_lex_number(const mp_imap_token *tok, uint64_t max, uint64_t *out)
{
    if (tok->kind != MP_IMAP_TOK_NUMBER)
        return MP_ERR_SYNTAX;
    if (tok->num > max)
        return MP_ERR_NUMBER;
    *out = tok->num;
    return MP_OK;
}

void mp_imap_lex_skip_line(mp_imap_lex *lx)
{
    switch (lx->state) {
    case ST_START:
        if (lx->bol)
            return;
        break;
    case ST_LIT_SYNC:
        /* Rejected before the continuation request: nothing follows. */
        lx->state = ST_SKIP_DONE;
        return;
    case ST_LIT_BODY:
    case ST_LIT_STRING:
        lx->len = 0;
        lx->state = ST_SKIP_LIT;
        return;
    case ST_SKIP: case ST_SKIP_LIT: case ST_SKIP_DONE:
        return;
    default:
        break;
    }
    lx->len = 0;
    lx->sub = SK_NONE;
    lx->state = ST_SKIP;
}

/* ---- helpers ------------------------------------------------------------ */

static void end_of_line(mp_imap_lex *lx)
{
    lx->line_len = 0;
    lx->depth = 0;
    lx->nliterals = 0;
    lx->bol = 1;
}

/* Record an error.  `next` is ST_SKIP (the line goes on), ST_SKIP_DONE (it
 * already ended) or ST_SKIP_LIT (lit_left payload bytes follow first). */
static mp_status fail(mp_imap_lex *lx, mp_status code, uint64_t offset, const char *rule,
                      enum lex_state next)
{
    mp_error_set(&lx->err, code, offset, rule);
    lx->len = 0;
    lx->sub = SK_NONE;
    lx->state = (uint8_t)next;
    return code;
}

/* What follows a rejected literal header: its payload when the peer sends
 * it (non-sync, or a client reading a server), else the line is over. */
static enum lex_state after_bad_literal(mp_imap_lex *lx, int representable)
{
    if (!representable)
        return ST_SKIP_DONE;
    if ((lx->flags & MP_IMAP_LEX_SYNC_WAIT) && !(lx->tflags & MP_IMAP_TOKF_NONSYNC))
        return ST_SKIP_DONE;
    lx->lit_left = lx->lit_len;
    return ST_SKIP_LIT;
}

/* A complete literal header {n} CRLF: check it against every limit. */
static mp_status literal_header(mp_imap_lex *lx, mp_imap_token *tok)
{
    uint64_t top = (lx->flags & MP_IMAP_LEX_REV2) ? U63_MAX_ : U32_MAX_;
    mp_status st;
    if (lx->aux) { /* more digits than 64 bits hold */
        st = fail(lx, MP_ERR_IMAP_LITERAL_RANGE, lx->tok_start, MP_RULE_("RFC 9051 number64"),
                  ST_SKIP_DONE);
        return st;
    }
    if (lx->lit_len > top)
        return fail(lx, MP_ERR_IMAP_LITERAL_RANGE, lx->tok_start,
                    MP_RULE_((lx->flags & MP_IMAP_LEX_REV2) ? "RFC 9051 number64"
                                                            : "RFC 3501 number"),
                    after_bad_literal(lx, 1));
    /* compared before counting: the 16-bit count must not wrap at the
     * responses' limit of 65535 */
    if (lx->nliterals >= lx->max_literals)
        return fail(lx, MP_ERR_IMAP_TOO_MANY_LITERALS, lx->tok_start, "MP_IMAP_MAX_LITERALS",
                    after_bad_literal(lx, 1));
    lx->nliterals++;
    if (lx->lit_len > lx->max_literal)
        return fail(lx, MP_ERR_IMAP_LITERAL_LIMIT, lx->tok_start, "max_literal",
                    after_bad_literal(lx, 1));
    if ((lx->tflags & MP_IMAP_TOKF_NONSYNC) && (lx->flags & MP_IMAP_LEX_LITERAL_MINUS) &&
        lx->lit_len > MP_IMAP_MAX_NONSYNC_LITERAL)
        return fail(lx, MP_ERR_IMAP_NONSYNC_TOO_BIG, lx->tok_start,
                    MP_RULE_("RFC 7888 LITERAL- (MP_IMAP_MAX_NONSYNC_LITERAL)"),
                    after_bad_literal(lx, 1));
    if ((lx->want & (MP_IMAP_LEX_WANT_STRING | MP_IMAP_LEX_WANT_STREAM)) ==
            MP_IMAP_LEX_WANT_STRING &&
        lx->lit_len > lx->max_quoted)
        return fail(lx, MP_ERR_IMAP_STRING_TOO_LONG, lx->tok_start, "MP_IMAP_MAX_QUOTED",
                    after_bad_literal(lx, 1));
    lx->lit_left = lx->lit_len;
    lx->aux = 0;
    if ((lx->flags & MP_IMAP_LEX_SYNC_WAIT) && !(lx->tflags & MP_IMAP_TOKF_NONSYNC)) {
        tok->kind = MP_IMAP_TOK_LITERAL_SYNC;
        tok->num = lx->lit_len;
        tok->flags = lx->tflags;
        tok->offset = lx->tok_start;
        lx->state = ST_LIT_SYNC;
        return MP_OK;
    }
    return MP_NEED_MORE; /* caller goes on to the payload */
}

/* Start the payload: a LITERAL_BEGIN token, or assembly as a string. */
static int literal_payload(mp_imap_lex *lx, mp_imap_token *tok)
{
    if ((lx->want & MP_IMAP_LEX_WANT_STRING) && lx->lit_len <= lx->max_quoted) {
        lx->len = 0;
        lx->state = ST_LIT_STRING;
        return 0;
    }
    tok->kind = MP_IMAP_TOK_LITERAL_BEGIN;
    tok->num = lx->lit_len;
    tok->flags = lx->tflags;
    tok->offset = lx->tok_start;
    lx->state = ST_LIT_BODY;
    return 1;
}


/* A quoted string reached max_quoted + 1 bytes where it may be streamed
 * (lex.h): keep what was read as the first chunk and return LITERAL_BEGIN;
 * the byte at hand is read again in ST_QSTREAM, from sub-state `sub`. */
static void quoted_overflow(mp_imap_lex *lx, const char *in, size_t zc, enum qs_sub sub,
                            mp_imap_token *tok)
{
    if (zc != (size_t)-1 && lx->len > 0)
        memcpy(lx->buf, in + zc, lx->len);
    tok->kind = MP_IMAP_TOK_LITERAL_BEGIN;
    tok->num = 0;
    tok->flags = MP_IMAP_TOKF_QUOTED;
    tok->offset = lx->tok_start;
    lx->aux = (uint8_t)sub;
    lx->state = ST_QSTREAM;
}

/* ST_QSTREAM: the next chunk of a long quoted string (zero copy: runs
 * between escapes; an escaped byte is its own one-byte chunk), or
 * LITERAL_END at the closing DQUOTE.  The checks are those of ST_QUOTED*. */
static mp_status quoted_stream(mp_imap_lex *lx, const char *in, size_t len, size_t *used,
                               mp_imap_token *tok)
{
    size_t i = 0, start = 0;
    mp_status st = MP_NEED_MORE;
    const char *rule = NULL;
    if (lx->len > 0) { /* the first chunk, assembled before LITERAL_BEGIN */
        tok->kind = MP_IMAP_TOK_LITERAL_CHUNK;
        tok->text = mp_slice_make(lx->buf, lx->len);
        tok->offset = lx->tok_start + 1u;
        lx->len = 0;
        *used = 0;
        return MP_OK;
    }
    while (i < len) {
        unsigned char c = (unsigned char)in[i];
        if (lx->line_len >= lx->max_line) {
            st = MP_ERR_LINE_TOO_LONG;
            rule = MP_RULE_("MP_IMAP_MAX_LINE");
            break;
        }
        if (lx->aux == QS_ESC) {
            /* quoted-specials = DQUOTE / "\" */
            if (c != '"' && c != '\\') {
                st = MP_ERR_IMAP_QUOTED;
                rule = MP_RULE_("RFC 9051 quoted-specials");
                break;
            }
            start = i; /* the escaped byte is content */
            lx->aux = QS_PLAIN;
        } else if (lx->aux == QS_U8) {
            unsigned u = mp_utf8_step(lx->sub, c);
            if (u == MP_UTF8_REJECT) {
                st = MP_ERR_UTF8;
                rule = MP_RULE_("RFC 3629 UTF-8 (RFC 9051 QUOTED-CHAR)");
                break;
            }
            lx->sub = (uint8_t)u;
            if (u == MP_UTF8_ACCEPT)
                lx->aux = QS_PLAIN;
        } else if (c == '"' || c == '\\') {
            if (i > start) {
                st = MP_OK; /* the run before it first */
                break;
            }
            i++;
            lx->line_len++;
            if (c == '\\') {
                lx->aux = QS_ESC;
                start = i;
                continue;
            }
            lx->state = ST_START;
            lx->aux = 0;
            tok->kind = MP_IMAP_TOK_LITERAL_END;
            tok->offset = lx->pos + i - 1;
            lx->pos += i;
            *used = i;
            return MP_OK;
        } else if (c == '\r' || c == '\n' || c == 0 ||
                   (c >= 0x80 && !(lx->flags & (MP_IMAP_LEX_8BIT | MP_IMAP_LEX_8BIT_RAW)))) {
            st = c == 0 ? MP_ERR_NUL : c >= 0x80 ? MP_ERR_8BIT : MP_ERR_IMAP_QUOTED;
            rule = c >= 0x80 ? MP_RULE_("RFC 3501 quoted") : MP_RULE_("RFC 9051 quoted");
            break;
        } else if (c >= 0x80 && utf8_checked(lx)) {
            unsigned u = mp_utf8_step(MP_UTF8_ACCEPT, c);
            if (u == MP_UTF8_REJECT) {
                st = MP_ERR_UTF8;
                rule = MP_RULE_("RFC 3629 UTF-8 (RFC 9051 QUOTED-CHAR)");
                break;
            }
            lx->sub = (uint8_t)u;
            lx->aux = QS_U8;
        }
        i++;
        lx->line_len++;
    }
    /* the good bytes before an error first; the error on the next call */
    if (rule != NULL && i == start) {
        lx->pos += i;
        *used = i;
        lx->aux = 0;
        return fail(lx, st, lx->pos, rule, ST_SKIP);
    }
    if (i > start) {
        tok->kind = MP_IMAP_TOK_LITERAL_CHUNK;
        tok->text = mp_slice_make(in + start, i - start);
        tok->offset = lx->pos + start;
        st = MP_OK;
    }
    lx->pos += i;
    *used = i;
    return st;
}

/* ---- the tokenizer ---------------------------------------------------- */

static mp_status lex_bytes(mp_imap_lex *lx, const char *in, size_t len, size_t *used,
                           mp_imap_token *tok);

size_t mp_imap_lex_scan_quoted_8bit_(const mp_imap_lex *lx, const char *in, size_t n)
{
    size_t m = n < (size_t)lx->max_quoted + 1u ? n : (size_t)lx->max_quoted + 1u;
    size_t k = 1;
    if (!utf8_checked(lx))
        return 0;
    while (k < m) {
        unsigned char c = (unsigned char)in[k];
        unsigned u;
        if (!(mp_imap_lex_quoted_table_[c] & (MP_IMAP_LEX_QS_END_ | MP_IMAP_LEX_QS_8BIT_))) {
            k++;
            continue;
        }
        if (c == '"')
            return k + 1u;
        if (c < 0x80u)
            return 0; /* an escape, a byte a quoted string may not hold */
        /* QUOTED-CHAR =/ UTF8-2 / UTF8-3 / UTF8-4 (RFC 9051 §9): one
         * whole well-formed sequence before m */
        u = mp_utf8_step(MP_UTF8_ACCEPT, c);
        for (k++; u != MP_UTF8_ACCEPT; k++) {
            if (u == MP_UTF8_REJECT || k >= m)
                return 0;
            u = mp_utf8_step(u, (unsigned char)in[k]);
        }
    }
    return 0;
}

size_t mp_imap_lex_fast(mp_imap_lex *lx, const char *in, size_t len, mp_imap_token *tok)
{
    if (lx->state != ST_START)
        return 0;
    return mp_imap_lex_fast_token_(lx, in, len, lx->cls, tok);
}

int mp_imap_lex_fast_sp(mp_imap_lex *lx, const char *in, size_t len)
{
    /* an SP is a token of its own in every atom-like class */
    if (lx->cls > MP_IMAP_LEX_SECTION)
        return 0;
    return mp_imap_lex_fast_sp_(lx, in, len);
}

/* Keep byte c of a UTF-8 sequence in a quoted string or text (copied to
 * the assembly buffer unless the token is read in place, zc), the
 * decoder in state u after it. */
static void keep_u8(mp_imap_lex *lx, unsigned char c, size_t zc, unsigned u)
{
    if (zc == (size_t)-1)
        lx->buf[lx->len] = (char)c;
    lx->len++;
    lx->line_len++;
    lx->sub = (uint8_t)u;
}

mp_status mp_imap_lex_next(mp_imap_lex *lx, const char *in, size_t len, size_t *used,
                           mp_imap_token *tok)
{
    tok->kind = MP_IMAP_TOK_NONE;
    tok->text = mp_slice_make(NULL, 0);
    tok->num = 0;
    tok->offset = lx->pos;
    tok->punct = 0;
    tok->flags = 0;
    if (lx->state == ST_START) {
        size_t k = mp_imap_lex_fast_token_(lx, in, len, lx->cls, tok);
        if (k > 0) {
            *used = k;
            return MP_OK;
        }
    }
    return lex_bytes(lx, in, len, used, tok);
}

/* The byte-level path: any token, any split, every error.  `tok` has been
 * cleared by mp_imap_lex_next(). */
static mp_status lex_bytes(mp_imap_lex *lx, const char *in, size_t len, size_t *used,
                           mp_imap_token *tok)
{
    size_t i = 0;
    size_t zc = (size_t)-1; /* content start in `in` (zero copy), or buf */
    mp_status st = MP_OK;

#define DONE_(status)                                                         \
    do {                                                                      \
        lx->pos += i;                                                         \
        *used = i;                                                            \
        return (status);                                                      \
    } while (0)
#define FAIL_(code, off, rule, next)                                          \
    do {                                                                      \
        st = fail(lx, (code), (off), (rule), (next));                         \
        DONE_(st);                                                            \
    } while (0)
/* Content so far of the token being read. */
#define CONTENT_() (zc != (size_t)-1 ? in + zc : lx->buf)

    for (;;) {
        unsigned char c;

        switch (lx->state) {
        case ST_SKIP_DONE:
            lx->state = ST_START;
            end_of_line(lx);
            tok->kind = MP_IMAP_TOK_CRLF;
            tok->flags = MP_IMAP_TOKF_SKIPPED;
            tok->offset = lx->pos + i;
            DONE_(MP_OK);

        case ST_QSTREAM:
            return quoted_stream(lx, in, len, used, tok);

        case ST_LIT_SYNC:
            /* The host calls again: it sent the continuation request. */
            if (literal_payload(lx, tok))
                DONE_(MP_OK);
            continue;

        case ST_LIT_BODY: {
            size_t n;
            const char *nul;
            if (lx->lit_left == 0) {
                lx->state = ST_START;
                tok->kind = MP_IMAP_TOK_LITERAL_END;
                tok->offset = lx->pos + i;
                DONE_(MP_OK);
            }
            if (i == len)
                DONE_(MP_NEED_MORE);
            n = len - i;
            if ((uint64_t)n > lx->lit_left)
                n = (size_t)lx->lit_left;
            /* CHAR8 excludes NUL; only literal8 may carry it. */
            if (!(lx->tflags & MP_IMAP_TOKF_BINARY) && (nul = memchr(in + i, 0, n)) != NULL) {
                size_t k = (size_t)(nul - (in + i));
                if (k == 0) {
                    lx->lit_left -= 1;
                    i += 1;
                    FAIL_(MP_ERR_NUL, lx->pos + i - 1, MP_RULE_("RFC 9051 CHAR8"), ST_SKIP_LIT);
                }
                n = k;
            }
            tok->kind = MP_IMAP_TOK_LITERAL_CHUNK;
            tok->text = mp_slice_make(in + i, n);
            tok->offset = lx->pos + i;
            lx->lit_left -= n;
            i += n;
            DONE_(MP_OK);
        }

        case ST_LIT_STRING: {
            size_t n = len - i;
            if ((uint64_t)n > lx->lit_left)
                n = (size_t)lx->lit_left;
            if (lx->len == 0 && (uint64_t)n == lx->lit_left) {
                zc = i; /* the whole payload is in this input */
            } else if (n > 0) {
                memcpy(lx->buf + lx->len, in + i, n);
            }
            if (!(lx->tflags & MP_IMAP_TOKF_BINARY) && n > 0 && memchr(in + i, 0, n) != NULL) {
                size_t k = (size_t)((const char *)memchr(in + i, 0, n) - (in + i));
                lx->lit_left -= k + 1;
                i += k + 1;
                FAIL_(MP_ERR_NUL, lx->pos + i - 1, MP_RULE_("RFC 9051 CHAR8"), ST_SKIP_LIT);
            }
            lx->len += n;
            lx->lit_left -= n;
            i += n;
            if (lx->lit_left > 0)
                DONE_(MP_NEED_MORE);
            tok->kind = MP_IMAP_TOK_STRING;
            tok->flags = (uint8_t)(lx->tflags | MP_IMAP_TOKF_LITERAL);
            tok->text = mp_slice_make(CONTENT_(), lx->len);
            tok->offset = lx->tok_start;
            lx->len = 0;
            lx->state = ST_START;
            DONE_(MP_OK);
        }

        case ST_SKIP_LIT: {
            size_t n = len - i;
            if ((uint64_t)n > lx->lit_left)
                n = (size_t)lx->lit_left;
            lx->lit_left -= n;
            i += n;
            if (lx->lit_left > 0)
                DONE_(MP_NEED_MORE);
            lx->state = ST_SKIP;
            lx->sub = SK_NONE;
            continue;
        }

        case ST_SKIP:
            while (i < len) {
                c = (unsigned char)in[i++];
                if (c == '\n') {
                    if (lx->sub == SK_CR_SYNC || lx->sub == SK_CR_NONSYNC ||
                        ((lx->flags & MP_IMAP_LEX_LF) &&
                         (lx->sub == SK_CLOSE_SYNC || lx->sub == SK_CLOSE_NONSYNC))) {
                        int sync = lx->sub == SK_CR_SYNC || lx->sub == SK_CLOSE_SYNC;
                        lx->sub = SK_NONE;
                        if (!(sync && (lx->flags & MP_IMAP_LEX_SYNC_WAIT))) {
                            lx->lit_left = lx->lit_len;
                            lx->state = ST_SKIP_LIT;
                            break;
                        }
                    }
                    lx->state = ST_SKIP_DONE;
                    break;
                }
                switch (lx->sub) {
                case SK_OPEN: case SK_DIGITS:
                    if (c >= '0' && c <= '9') {
                        unsigned d = c - (unsigned)'0';
                        if (lx->sub == SK_OPEN)
                            lx->lit_len = 0;
                        lx->sub = mp_dec_push_(&lx->lit_len, d, U63_MAX_, U63_MAX_ / 10u)
                                      ? SK_DIGITS
                                      : SK_NONE;
                    } else if (lx->sub == SK_DIGITS && c == '+') {
                        lx->sub = SK_PLUS;
                    } else if (lx->sub == SK_DIGITS && c == '}') {
                        lx->sub = SK_CLOSE_SYNC;
                    } else {
                        lx->sub = c == '{' ? SK_OPEN : SK_NONE;
                    }
                    break;
                case SK_PLUS:
                    lx->sub = c == '}' ? SK_CLOSE_NONSYNC : (c == '{' ? SK_OPEN : SK_NONE);
                    break;
                case SK_CLOSE_SYNC:
                    lx->sub = c == '\r' ? SK_CR_SYNC : (c == '{' ? SK_OPEN : SK_NONE);
                    break;
                case SK_CLOSE_NONSYNC:
                    lx->sub = c == '\r' ? SK_CR_NONSYNC : (c == '{' ? SK_OPEN : SK_NONE);
                    break;
                default:
                    lx->sub = c == '{' ? SK_OPEN : SK_NONE;
                    break;
                }
            }
            if (lx->state == ST_SKIP)
                DONE_(MP_NEED_MORE);
            continue;

        default:
            break;
        }

        /* States that read line bytes (they count toward the line length). */
        if (i == len) {
            if (zc != (size_t)-1 && lx->len > 0)
                memcpy(lx->buf, in + zc, lx->len);
            DONE_(MP_NEED_MORE);
        }
        c = (unsigned char)in[i];
        if (lx->line_len >= lx->max_line)
            FAIL_(MP_ERR_LINE_TOO_LONG, lx->pos + i, "MP_IMAP_MAX_LINE", ST_SKIP);

        switch (lx->state) {
        case ST_START:
            lx->tok_start = lx->pos + i;
            tok->offset = lx->tok_start;
            lx->len = 0;
            lx->tflags = 0;
            lx->aux = 0;
            lx->bol = 0;
            if (lx->cls == MP_IMAP_LEX_RESP_TEXT && c == '[') {
                i++;
                lx->line_len++;
                tok->kind = MP_IMAP_TOK_LBRACKET;
                DONE_(MP_OK);
            }
            if (lx->cls == MP_IMAP_LEX_TEXT || lx->cls == MP_IMAP_LEX_CODE_TEXT ||
                lx->cls == MP_IMAP_LEX_RESP_TEXT) {
                zc = i;
                lx->state = ST_TEXT;
                continue;
            }
            i++;
            lx->line_len++;
            switch (c) {
            case ' ':
                tok->kind = MP_IMAP_TOK_SP;
                DONE_(MP_OK);
            case '\r':
                lx->state = ST_CR;
                continue;
            case '\n':
                if (lx->flags & MP_IMAP_LEX_LF) {
                    end_of_line(lx);
                    tok->kind = MP_IMAP_TOK_CRLF;
                    DONE_(MP_OK);
                }
                FAIL_(MP_ERR_BARE_LF, lx->pos + i - 1, MP_RULE_("RFC 9051 CRLF"), ST_SKIP_DONE);
            case '(':
                if (++lx->depth > lx->max_depth)
                    FAIL_(MP_ERR_IMAP_DEPTH, lx->pos + i - 1, "MP_IMAP_MAX_DEPTH", ST_SKIP);
                tok->kind = MP_IMAP_TOK_LPAREN;
                DONE_(MP_OK);
            case ')':
                if (lx->depth > 0)
                    lx->depth--;
                tok->kind = MP_IMAP_TOK_RPAREN;
                DONE_(MP_OK);
            case '"':
                zc = i;
                lx->state = ST_QUOTED;
                continue;
            case '{':
                lx->lit_len = 0;
                lx->state = ST_LIT_OPEN;
                continue;
            case '\\':
                zc = i - 1;
                lx->len = 1;
                lx->state = ST_FLAG;
                continue;
            default:
                break;
            }
            if (in_class(lx->cls, c)) {
                zc = i - 1;
                lx->len = 1;
                lx->state = ST_ATOM;
                continue;
            }
            if (c == '[' || c == ']') {
                tok->kind = c == '[' ? MP_IMAP_TOK_LBRACKET : MP_IMAP_TOK_RBRACKET;
                DONE_(MP_OK);
            }
            if (c == 0)
                FAIL_(MP_ERR_NUL, lx->pos + i - 1, MP_RULE_("RFC 9051 CHAR"), ST_SKIP);
            if (c >= 0x80)
                FAIL_(MP_ERR_8BIT, lx->pos + i - 1, MP_RULE_("RFC 9051 CHAR"), ST_SKIP);
            if (c < 0x20 || c == 0x7f)
                FAIL_(MP_ERR_SYNTAX, lx->pos + i - 1, MP_RULE_("RFC 9051 CTL"), ST_SKIP);
            tok->kind = MP_IMAP_TOK_PUNCT;
            tok->punct = c;
            DONE_(MP_OK);

        case ST_CR:
            if (c == '\n') {
                i++;
                end_of_line(lx);
                lx->state = ST_START;
                tok->kind = MP_IMAP_TOK_CRLF;
                tok->offset = lx->tok_start;
                DONE_(MP_OK);
            }
            FAIL_(MP_ERR_BARE_CR, lx->tok_start, MP_RULE_("RFC 9051 CRLF"), ST_SKIP);

        case ST_ATOM:
        case ST_FLAG:
            if (lx->state == ST_FLAG && lx->len == 1) {
                /* flag = "\" atom, flag-perm adds "\*" (RFC 9051 §9) */
                if (c == '*') {
                    i++;
                    lx->line_len++;
                    if (zc == (size_t)-1)
                        lx->buf[lx->len] = '*';
                    lx->len++;
                    tok->kind = MP_IMAP_TOK_FLAG;
                    tok->text = mp_slice_make(CONTENT_(), lx->len);
                    tok->offset = lx->tok_start;
                    lx->state = ST_START;
                    lx->len = 0;
                    DONE_(MP_OK);
                }
                if (!in_class(lx->cls == MP_IMAP_LEX_ASTRING ? MP_IMAP_LEX_ASTRING
                                                             : MP_IMAP_LEX_ATOM, c))
                    FAIL_(MP_ERR_SYNTAX, lx->tok_start, MP_RULE_("RFC 9051 flag"), ST_SKIP);
            }
            if (lx->state == ST_ATOM && c == '{' && lx->len == 1 && CONTENT_()[0] == '~') {
                /* literal8 = "~{" number64 "}" CRLF (RFC 9051, RFC 3516) */
                i++;
                lx->line_len++;
                lx->tflags = MP_IMAP_TOKF_BINARY;
                lx->lit_len = 0;
                lx->len = 0;
                zc = (size_t)-1;
                lx->state = ST_LIT_OPEN;
                continue;
            }
            if (in_class(lx->state == ST_FLAG ? (lx->cls == MP_IMAP_LEX_ASTRING
                                                     ? MP_IMAP_LEX_ASTRING
                                                     : MP_IMAP_LEX_ATOM)
                                              : lx->cls,
                         c)) {
                unsigned cc = lx->state == ST_FLAG ? (lx->cls == MP_IMAP_LEX_ASTRING
                                                          ? MP_IMAP_LEX_ASTRING
                                                          : MP_IMAP_LEX_ATOM)
                                                   : lx->cls;
                size_t n = 1;
                if (lx->len >= lx->max_atom)
                    FAIL_(MP_ERR_IMAP_ATOM_TOO_LONG, lx->tok_start, "MP_IMAP_MAX_ATOM", ST_SKIP);
                /* fast path: the rest of the run, within both limits */
                while (i + n < len && lx->len + n < lx->max_atom &&
                       lx->line_len + n < lx->max_line && in_class(cc, (unsigned char)in[i + n]))
                    n++;
                if (zc == (size_t)-1)
                    memcpy(lx->buf + lx->len, in + i, n);
                lx->len += n;
                lx->line_len += (uint32_t)n;
                i += n;
                continue;
            }
            if (lx->state == ST_FLAG) {
                tok->kind = MP_IMAP_TOK_FLAG;
                tok->text = mp_slice_make(CONTENT_(), lx->len);
            } else {
                finish_atom(tok, CONTENT_(), lx->len);
            }
            tok->offset = lx->tok_start;
            lx->state = ST_START;
            lx->len = 0;
            DONE_(MP_OK);

        case ST_QUOTED:
            if (c == '"') {
                i++;
                lx->line_len++;
                tok->kind = MP_IMAP_TOK_STRING;
                tok->text = mp_slice_make(CONTENT_(), lx->len);
                tok->offset = lx->tok_start;
                lx->state = ST_START;
                lx->len = 0;
                DONE_(MP_OK);
            }
            if (c == '\\') {
                /* From here on the content differs from the input. */
                if (zc != (size_t)-1) {
                    memcpy(lx->buf, in + zc, lx->len);
                    zc = (size_t)-1;
                }
                i++;
                lx->line_len++;
                lx->state = ST_QUOTED_ESC;
                continue;
            }
            if (c == '\r' || c == '\n')
                FAIL_(MP_ERR_IMAP_QUOTED, lx->pos + i, MP_RULE_("RFC 9051 quoted"), ST_SKIP);
            if (c == 0)
                FAIL_(MP_ERR_NUL, lx->pos + i, MP_RULE_("RFC 9051 quoted"), ST_SKIP);
            if (c >= 0x80 && !(lx->flags & (MP_IMAP_LEX_8BIT | MP_IMAP_LEX_8BIT_RAW)))
                FAIL_(MP_ERR_8BIT, lx->pos + i, MP_RULE_("RFC 3501 quoted"), ST_SKIP);
            if (lx->len >= lx->max_quoted) {
                if (lx->want & MP_IMAP_LEX_WANT_STREAM) {
                    quoted_overflow(lx, in, zc, QS_PLAIN, tok);
                    DONE_(MP_OK);
                }
                FAIL_(MP_ERR_IMAP_TEXT_TOO_LONG, lx->tok_start, "MP_IMAP_MAX_QUOTED", ST_SKIP);
            }
            if (c >= 0x80 && utf8_checked(lx)) {
                /* QUOTED-CHAR =/ UTF8-2 / UTF8-3 / UTF8-4 (RFC 9051 §9,
                 * RFC 6855 §3): a lead byte, its tails in ST_QUOTED_U8 */
                unsigned u = mp_utf8_step(MP_UTF8_ACCEPT, c);
                if (u == MP_UTF8_REJECT)
                    FAIL_(MP_ERR_UTF8, lx->pos + i,
                          MP_RULE_("RFC 3629 UTF-8 (RFC 9051 QUOTED-CHAR)"),
                          ST_SKIP);
                keep_u8(lx, c, zc, u);
                i++;
                lx->state = ST_QUOTED_U8;
                continue;
            }
            {
                /* fast path: plain characters, within both limits (8-bit
                 * bytes only unchecked, under the quirk) */
                size_t n = 1;
                int eight = (lx->flags & MP_IMAP_LEX_8BIT_RAW) != 0;
                while (i + n < len && lx->len + n < lx->max_quoted &&
                       lx->line_len + n < lx->max_line) {
                    unsigned char d = (unsigned char)in[i + n];
                    if (d == '"' || d == '\\' || d == '\r' || d == '\n' || d == 0 ||
                        (d >= 0x80 && !eight))
                        break;
                    n++;
                }
                if (zc == (size_t)-1)
                    memcpy(lx->buf + lx->len, in + i, n);
                lx->len += n;
                lx->line_len += (uint32_t)n;
                i += n;
            }
            continue;

        case ST_QUOTED_U8:
        case ST_TEXT_U8: {
            /* the tails of a UTF-8 sequence (RFC 3629 §4); any other byte,
             * a DQUOTE or the CRLF included, cuts it short */
            unsigned u = mp_utf8_step(lx->sub, c);
            if (u == MP_UTF8_REJECT)
                FAIL_(MP_ERR_UTF8, lx->pos + i,
                      lx->state == ST_QUOTED_U8 ? MP_RULE_("RFC 3629 UTF-8 (RFC 9051 QUOTED-CHAR)")
                                                : MP_RULE_("RFC 3629 UTF-8 (RFC 9051 TEXT-CHAR)"),
                      ST_SKIP);
            if (lx->len >= lx->max_quoted) {
                if (lx->state == ST_QUOTED_U8 && (lx->want & MP_IMAP_LEX_WANT_STREAM)) {
                    quoted_overflow(lx, in, zc, QS_U8, tok);
                    DONE_(MP_OK);
                }
                FAIL_(MP_ERR_IMAP_TEXT_TOO_LONG, lx->tok_start, "MP_IMAP_MAX_QUOTED", ST_SKIP);
            }
            keep_u8(lx, c, zc, u);
            i++;
            if (u == MP_UTF8_ACCEPT)
                lx->state = lx->state == ST_QUOTED_U8 ? ST_QUOTED : ST_TEXT;
            continue;
        }

        case ST_QUOTED_ESC:
            /* quoted-specials = DQUOTE / "\" */
            if (c != '"' && c != '\\')
                FAIL_(MP_ERR_IMAP_QUOTED, lx->pos + i,
                      MP_RULE_("RFC 9051 quoted-specials"), ST_SKIP);
            if (lx->len >= lx->max_quoted) {
                if (lx->want & MP_IMAP_LEX_WANT_STREAM) {
                    quoted_overflow(lx, in, zc, QS_ESC, tok);
                    DONE_(MP_OK);
                }
                FAIL_(MP_ERR_IMAP_TEXT_TOO_LONG, lx->tok_start, "MP_IMAP_MAX_QUOTED", ST_SKIP);
            }
            lx->buf[lx->len++] = (char)c;
            lx->line_len++;
            i++;
            lx->state = ST_QUOTED;
            continue;

        case ST_TEXT:
            if (c == '\r' || c == '\n' || (c == ']' && lx->cls == MP_IMAP_LEX_CODE_TEXT)) {
                tok->kind = MP_IMAP_TOK_TEXT;
                tok->text = mp_slice_make(CONTENT_(), lx->len);
                tok->offset = lx->tok_start;
                lx->state = ST_START;
                lx->len = 0;
                DONE_(MP_OK);
            }
            if (c == 0)
                FAIL_(MP_ERR_NUL, lx->pos + i, MP_RULE_("RFC 9051 TEXT-CHAR"), ST_SKIP);
            if (c >= 0x80 && !(lx->flags & (MP_IMAP_LEX_8BIT | MP_IMAP_LEX_8BIT_RAW)))
                FAIL_(MP_ERR_8BIT, lx->pos + i, MP_RULE_("RFC 3501 TEXT-CHAR"), ST_SKIP);
            if (lx->len >= lx->max_quoted)
                FAIL_(MP_ERR_IMAP_TEXT_TOO_LONG, lx->tok_start, "MP_IMAP_MAX_QUOTED", ST_SKIP);
            if (c >= 0x80 && utf8_checked(lx)) {
                /* TEXT-CHAR in UTF-8 mode (RFC 6855 §3): a lead byte, its
                 * tails in ST_TEXT_U8 (a CRLF or "]" among them cuts it) */
                unsigned u = mp_utf8_step(MP_UTF8_ACCEPT, c);
                if (u == MP_UTF8_REJECT)
                    FAIL_(MP_ERR_UTF8, lx->pos + i, MP_RULE_("RFC 3629 UTF-8 (RFC 9051 TEXT-CHAR)"),
                          ST_SKIP);
                keep_u8(lx, c, zc, u);
                i++;
                lx->state = ST_TEXT_U8;
                continue;
            }
            {
                size_t n = 1;
                int eight = (lx->flags & MP_IMAP_LEX_8BIT_RAW) != 0;
                int code = lx->cls == MP_IMAP_LEX_CODE_TEXT;
                while (i + n < len && lx->len + n < lx->max_quoted &&
                       lx->line_len + n < lx->max_line) {
                    unsigned char d = (unsigned char)in[i + n];
                    if (d == '\r' || d == '\n' || d == 0 || (d == ']' && code) ||
                        (d >= 0x80 && !eight))
                        break;
                    n++;
                }
                if (zc == (size_t)-1)
                    memcpy(lx->buf + lx->len, in + i, n);
                lx->len += n;
                lx->line_len += (uint32_t)n;
                i += n;
            }
            continue;

        case ST_LIT_OPEN:
            if (c >= '0' && c <= '9') {
                unsigned d = c - (unsigned)'0';
                if (!mp_dec_push_(&lx->lit_len, d, UINT64_MAX, UINT64_MAX / 10u))
                    lx->aux = 1;
                if (lx->len < 255)
                    lx->len++; /* digits seen */
                lx->line_len++;
                i++;
                continue;
            }
            if (lx->len > 0 && (c == '+' || c == '}')) {
                lx->len = 0;
                lx->line_len++;
                i++;
                if (c == '+') {
                    lx->tflags |= MP_IMAP_TOKF_NONSYNC;
                    lx->state = ST_LIT_PLUS;
                } else {
                    lx->state = ST_LIT_CR;
                }
                continue;
            }
            FAIL_(MP_ERR_IMAP_LITERAL_SYNTAX, lx->tok_start, MP_RULE_("RFC 9051 literal"), ST_SKIP);

        case ST_LIT_PLUS:
            if (c != '}')
                FAIL_(MP_ERR_IMAP_LITERAL_SYNTAX, lx->tok_start,
                      MP_RULE_("RFC 7888 literal"), ST_SKIP);
            lx->line_len++;
            i++;
            lx->state = ST_LIT_CR;
            continue;

        case ST_LIT_CR:
        case ST_LIT_LF:
            if (lx->state == ST_LIT_CR && c == '\r') {
                lx->line_len++;
                i++;
                lx->state = ST_LIT_LF;
                continue;
            }
            if (c != '\n' || (lx->state == ST_LIT_CR && !(lx->flags & MP_IMAP_LEX_LF))) {
                if (lx->state == ST_LIT_LF)
                    FAIL_(MP_ERR_BARE_CR, lx->pos + i - 1,
                          MP_RULE_("RFC 9051 literal CRLF"), ST_SKIP);
                FAIL_(MP_ERR_IMAP_LITERAL_SYNTAX, lx->tok_start,
                      MP_RULE_("RFC 9051 literal"), ST_SKIP);
            }
            lx->line_len++;
            i++;
            st = literal_header(lx, tok);
            if (st == MP_OK)
                DONE_(MP_OK); /* LITERAL_SYNC */
            if (st != MP_NEED_MORE)
                DONE_(st);
            if (literal_payload(lx, tok))
                DONE_(MP_OK);
            continue;

        default:
            /* unreachable: every state is handled above */
            FAIL_(MP_ERR_STATE, lx->pos + i, "lexer state", ST_SKIP);
        }
    }
#undef DONE_
#undef FAIL_
#undef CONTENT_
}
