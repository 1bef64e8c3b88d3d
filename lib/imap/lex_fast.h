/*
 * The IMAP tokenizer's in-place path (internal, lib/imap only): whole
 * tokens of the common shapes read with tables straight from the input,
 * as static inline functions so the grammar layers' hot loops inline them.
 * lex.c uses the same functions (mp_imap_lex_next() tries this first), so
 * there is one definition of every token; anything this path declines
 * (a token cut by the end of the input, near a limit, an escape, an error)
 * goes to the byte-level path in lex.c, which gives the same tokens.
 *
 * Tokenizer state 0 is "between tokens" (ST_START in lex.c).
 */
#ifndef MP_IMAP_LEX_FAST_H
#define MP_IMAP_LEX_FAST_H

#include <stddef.h>
#include <stdint.h>

#include "../core/decimal.h"
#include "lex.h"

#define MP_IMAP_LEX_ST_START_ 0u

/* RFC 9051 §9: ATOM-CHAR = any CHAR except atom-specials
 * ( "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials /
 * resp-specials ).  One bit per mp_imap_lex_class up to SECTION:
 * 1 ATOM-CHAR, 2 ASTRING-CHAR (+ "]"), 4 tag (ASTRING-CHAR but "+"),
 * 8 list-char (+ "%" "*" "]"), 16 sequence-set (digits ":" "," "*" "$"),
 * 32 fetch attribute (ATOM-CHAR but "[" "<"), 64 section (ATOM-CHAR but
 * "[" "<" ">"). */
extern const uint8_t mp_imap_lex_class_table_[256]; /* defined in lex.c */

/* Bytes that end a quoted string's plain run, one bit each: QS_END for
 * DQUOTE "\" CR LF NUL (quoted-specials and what a quoted string may not
 * hold), QS_8BIT for 0x80..0xff (RFC 9051 §9 QUOTED-CHAR). */
enum { MP_IMAP_LEX_QS_END_ = 1, MP_IMAP_LEX_QS_8BIT_ = 2 };

extern const uint8_t mp_imap_lex_quoted_table_[256]; /* defined in lex.c */

/* NIL in any case (RFC 9051 §9 nil). */
static inline int mp_imap_lex_is_nil_(const char *p, size_t n)
{
    return n == 3 && (p[0] == 'N' || p[0] == 'n') && (p[1] == 'I' || p[1] == 'i') &&
           (p[2] == 'L' || p[2] == 'l');
}

/* Classify a finished atom: NUMBER (all digits, fits 64 bits), NIL, ATOM. */
static inline void mp_imap_lex_finish_atom_(mp_imap_token *tok, const char *p, size_t n)
{
    uint64_t v = 0;
    size_t k;
    tok->kind = MP_IMAP_TOK_ATOM;
    tok->text = mp_slice_make(p, n);
    if (mp_imap_lex_is_nil_(p, n)) {
        tok->kind = MP_IMAP_TOK_NIL;
        return;
    }
    for (k = 0; k < n; k++) {
        unsigned d = (unsigned char)p[k] - (unsigned)'0';
        if (d > 9 || !mp_dec_push_(&v, d, UINT64_MAX, UINT64_MAX / 10u))
            return;
    }
    if (n > 0) {
        tok->kind = MP_IMAP_TOK_NUMBER;
        tok->num = v;
    }
}

/* Length of the run of class-`mask` bytes in p[0..n). */
static inline size_t mp_imap_lex_class_run_(const char *p, size_t n, unsigned mask)
{
    size_t k = 0;
    while (k < n && (mp_imap_lex_class_table_[(unsigned char)p[k]] & mask))
        k++;
    return k;
}

/* A quoted string without escapes at in[0] (the DQUOTE) whose closing
 * DQUOTE lies in in[0..n): its length with both quotes, else 0 (an
 * escape, a byte a quoted string may not hold, any 8-bit byte in UTF-8
 * mode, a limit: mp_imap_lex_scan_quoted_8bit_() or the byte-level path
 * reads it). */
static inline size_t mp_imap_lex_scan_quoted_(const mp_imap_lex *lx, const char *in, size_t n)
{
    /* quoted = DQUOTE *QUOTED-CHAR DQUOTE; 8-bit bytes end the plain run
     * unless they go unchecked (the quirk) */
    unsigned stop = MP_IMAP_LEX_QS_END_ |
                    ((lx->flags & MP_IMAP_LEX_8BIT_RAW) ? 0u : (unsigned)MP_IMAP_LEX_QS_8BIT_);
    size_t m = n < (size_t)lx->max_quoted + 1u ? n : (size_t)lx->max_quoted + 1u;
    size_t k = 1;
    /* four bytes a step while they are plain (one branch), then one */
    while (k + 4u <= m && !((mp_imap_lex_quoted_table_[(unsigned char)in[k]] |
                              mp_imap_lex_quoted_table_[(unsigned char)in[k + 1u]] |
                              mp_imap_lex_quoted_table_[(unsigned char)in[k + 2u]] |
                              mp_imap_lex_quoted_table_[(unsigned char)in[k + 3u]]) &
                             stop))
        k += 4u;
    while (k < m && !(mp_imap_lex_quoted_table_[(unsigned char)in[k]] & stop))
        k++;
    if (k >= m || in[k] != '"')
        return 0;
    return k + 1u;
}

/* mp_imap_lex_scan_quoted_() for a quoted string with 8-bit bytes in
 * UTF-8 mode, each in a whole well-formed sequence (lex.c, out of line:
 * the plain scan stays small where hot loops inline it); 0 for anything
 * else, which the byte-level path reads and reports. */
size_t mp_imap_lex_scan_quoted_8bit_(const mp_imap_lex *lx, const char *in, size_t n);

/* A flag ("\" atom, or flag-perm "\*") at in[0] ending inside in[0..n)
 * for atom-like class `cls`: its length, else 0. */
static inline size_t mp_imap_lex_scan_flag_(const mp_imap_lex *lx, const char *in, size_t n,
                                            unsigned cls)
{
    size_t k;
    if (in[1] == '*')
        return n < 2 ? 0 : 2;
    k = 1 + mp_imap_lex_class_run_(in + 1, n - 1,
                                   1u << (cls == MP_IMAP_LEX_ASTRING ? MP_IMAP_LEX_ASTRING
                                                                     : MP_IMAP_LEX_ATOM));
    if (k == 1 || k >= n || k > lx->max_atom)
        return 0;
    return k;
}

/* The bookkeeping after in-place tokens on one line: the last of them
 * began at stream offset `start`, the next byte is at `pos`, and they
 * added `k` bytes to the line.  The tokenizer is between tokens again. */
static inline void mp_imap_lex_took_(mp_imap_lex *lx, uint64_t start, uint64_t pos, size_t k)
{
    lx->tok_start = start;
    lx->pos = pos;
    lx->line_len += (uint32_t)k;
    lx->len = 0;
    lx->tflags = 0;
    lx->aux = 0;
    lx->bol = 0;
}

/*
 * A token that starts at in[0] and lies wholly in in[0..len) with a common
 * shape (SP, CRLF, parentheses, an atom, a flag, a quoted string without
 * escapes), for atom-like class `cls`, read in place: fills every field of
 * `*tok` and returns the bytes consumed.  Returns 0 to let the byte-level
 * path read it (anything else, anything near a limit, any error); nothing
 * in `lx` changes then.  The caller checked that lx is between tokens.
 */
static inline size_t mp_imap_lex_fast_token_(mp_imap_lex *lx, const char *in, size_t len,
                                             unsigned cls, mp_imap_token *tok)
{
    /* bytes this line may still take, keeping one for the check that
     * follows the token in the byte-level path */
    size_t room, n;
    unsigned mask;
    unsigned char c;
    size_t k;

    if (lx->line_len >= lx->max_line || cls > MP_IMAP_LEX_SECTION)
        return 0;
    room = (size_t)(lx->max_line - lx->line_len);
    n = len < room ? len : room;
    if (n < 2)
        return 0;
    n--;
    c = (unsigned char)in[0];
    tok->num = 0;
    tok->punct = 0;
    tok->flags = 0;
    /* the commonest first: strings and atoms, then one-byte tokens (tests
     * in this order predict better than one jump table) */
    mask = 1u << cls;
    if (c == '"') {
        k = mp_imap_lex_scan_quoted_(lx, in, n);
        if (k == 0 && (k = mp_imap_lex_scan_quoted_8bit_(lx, in, n)) == 0)
            return 0;
        tok->kind = MP_IMAP_TOK_STRING;
        tok->text = mp_slice_make(in + 1, k - 2);
    } else if ((mp_imap_lex_class_table_[c] & mask) && c != '~') {
        /* "~{" starts a literal8: the byte-level path reads any "~" */
        k = mp_imap_lex_class_run_(in, n, mask);
        if (k >= n || k > lx->max_atom)
            return 0;
        mp_imap_lex_finish_atom_(tok, in, k);
    } else {
        tok->text = mp_slice_make(NULL, 0);
        switch (c) {
        case ' ':
            tok->kind = MP_IMAP_TOK_SP;
            k = 1;
            break;
        case '(':
            if (lx->depth >= lx->max_depth)
                return 0;
            lx->depth++;
            tok->kind = MP_IMAP_TOK_LPAREN;
            k = 1;
            break;
        case ')':
            if (lx->depth > 0)
                lx->depth--;
            tok->kind = MP_IMAP_TOK_RPAREN;
            k = 1;
            break;
        case '\r':
            if (in[1] != '\n' || n < 2)
                return 0;
            tok->kind = MP_IMAP_TOK_CRLF;
            tok->offset = lx->pos;
            lx->tok_start = lx->pos;
            lx->pos += 2;
            lx->len = 0;
            lx->tflags = 0;
            lx->aux = 0;
            /* end of the line: its counters start again */
            lx->line_len = 0;
            lx->depth = 0;
            lx->nliterals = 0;
            lx->bol = 1;
            return 2;
        case '\\':
            k = mp_imap_lex_scan_flag_(lx, in, n, cls);
            if (k == 0)
                return 0;
            tok->kind = MP_IMAP_TOK_FLAG;
            tok->text = mp_slice_make(in, k);
            break;
        default:
            return 0;
        }
    }
    tok->offset = lx->pos;
    mp_imap_lex_took_(lx, lx->pos, lx->pos + k, k);
    return k;
}

/* One SP between tokens, under the conditions mp_imap_lex_fast_token_()
 * reads it: consume it and return 1, else 0 (nothing changed). */
static inline int mp_imap_lex_fast_sp_(mp_imap_lex *lx, const char *in, size_t len)
{
    if (lx->state != MP_IMAP_LEX_ST_START_ || len < 2 || in[0] != ' ' ||
        lx->line_len >= lx->max_line || lx->max_line - lx->line_len < 2u)
        return 0;
    mp_imap_lex_took_(lx, lx->pos, lx->pos + 1u, 1);
    return 1;
}

#endif /* MP_IMAP_LEX_FAST_H */
