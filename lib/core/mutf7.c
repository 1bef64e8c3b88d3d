/* Modified UTF-7 for IMAP mailbox names (RFC 3501 §5.1.3).
 *
 * Printable ASCII (0x20..0x7e) stands for itself, except '&' which is
 * written "&-".  Everything else goes in "&...-" runs holding UTF-16BE in
 * base64 with ',' instead of '/' and no '=' padding.  The decoder accepts
 * only the one canonical form, so that two different wire names can never
 * map to the same mailbox (and the reverse).
 *
 * U+0000 is refused both ways: no mailbox name can hold a NUL (IMAP
 * strings are CHAR8 without NUL, RFC 9051 §4.3; hosts keep names in C
 * strings, where it would truncate one name into another).  Every other
 * scalar value, controls and noncharacters included, round-trips: which
 * names a server lets clients create is its policy (RFC 9051 §5.1), and a
 * client must be able to name any mailbox that already exists. */
#include <stddef.h>
#include <stdint.h>

#include "mailproto/core.h"
#include "utf8.h"

static const char b64_alpha[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* Bounded writer: counts every byte even past `cap`, so a failed call can
 * still tell the caller the size it needs. */
typedef struct wr {
    char *out;
    size_t cap;
    size_t pos;
} wr;

static void wr_put(wr *w, char c)
{
    if (w->pos < w->cap) {
        w->out[w->pos] = c;
    }
    w->pos++;
}

static int is_printable(uint32_t c) { return c >= 0x20u && c <= 0x7eu; }

/* Decode one UTF-8 sequence at s[*i] by the rules of utf8.h (RFC 3629: no
 * overlongs, no surrogates, nothing above U+10FFFF).  Returns 0 on a bad or
 * cut sequence. */
static int utf8_next(const unsigned char *s, size_t n, size_t *i, uint32_t *cp)
{
    unsigned st = MP_UTF8_ACCEPT;
    uint32_t c = 0;
    size_t k = *i;
    do {
        unsigned t;
        if (k == n) {
            return 0;
        }
        t = mp_utf8_step(st, s[k]);
        if (t == MP_UTF8_REJECT) {
            return 0;
        }
        c = mp_utf8_decode(c, st, s[k]);
        st = t;
        k++;
    } while (st != MP_UTF8_ACCEPT);
    *cp = c;
    *i = k;
    return 1;
}

/* Append one UTF-16 unit to the base64 bit accumulator of a run. */
static void enc_unit(wr *w, uint32_t *acc, unsigned *nbits, uint32_t unit)
{
    *acc = ((*acc << 16) | unit) & 0x3fffffu; /* at most 4 + 16 bits live */
    *nbits += 16;
    while (*nbits >= 6) {
        *nbits -= 6;
        wr_put(w, b64_alpha[(*acc >> *nbits) & 0x3fu]);
    }
}

mp_status mp_mutf7_encode(const char *utf8, size_t n, char *out, size_t cap, size_t *outlen)
{
    const unsigned char *s = (const unsigned char *)utf8;
    wr w;
    size_t i = 0;
    int in_run = 0;
    uint32_t acc = 0;
    unsigned nbits = 0;

    if (outlen == NULL || (utf8 == NULL && n > 0) || (out == NULL && cap > 0)) {
        return MP_ERR_ARG;
    }
    w.out = out;
    w.cap = cap;
    w.pos = 0;
    while (i < n) {
        uint32_t cp;
        if (!utf8_next(s, n, &i, &cp)) {
            *outlen = 0;
            return MP_ERR_UTF8;
        }
        if (cp == 0) {
            *outlen = 0;
            return MP_ERR_BAD_VALUE;
        }
        if (is_printable(cp)) {
            if (in_run) {
                /* Flush the partial sextet; the zero fill is what makes
                 * the padding bits canonical. */
                if (nbits > 0) {
                    wr_put(&w, b64_alpha[(acc << (6 - nbits)) & 0x3fu]);
                }
                wr_put(&w, '-');
                in_run = 0;
                acc = 0;
                nbits = 0;
            }
            wr_put(&w, (char)cp);
            if (cp == '&') {
                wr_put(&w, '-');
            }
            continue;
        }
        if (!in_run) {
            wr_put(&w, '&');
            in_run = 1;
        }
        if (cp >= 0x10000u) {
            uint32_t v = cp - 0x10000u;
            enc_unit(&w, &acc, &nbits, 0xd800u | (v >> 10));
            enc_unit(&w, &acc, &nbits, 0xdc00u | (v & 0x3ffu));
        } else {
            enc_unit(&w, &acc, &nbits, cp);
        }
    }
    if (in_run) {
        if (nbits > 0) {
            wr_put(&w, b64_alpha[(acc << (6 - nbits)) & 0x3fu]);
        }
        wr_put(&w, '-');
    }
    *outlen = w.pos;
    return w.pos > cap ? MP_ERR_NO_SPACE : MP_OK;
}

/* Value of a modified-base64 character, or -1. */
static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == ',') {
        return 63;
    }
    return -1;
}

static void put_utf8(wr *w, uint32_t cp)
{
    if (cp < 0x80u) {
        wr_put(w, (char)cp);
    } else if (cp < 0x800u) {
        wr_put(w, (char)(0xc0u | (cp >> 6)));
        wr_put(w, (char)(0x80u | (cp & 0x3fu)));
    } else if (cp < 0x10000u) {
        wr_put(w, (char)(0xe0u | (cp >> 12)));
        wr_put(w, (char)(0x80u | ((cp >> 6) & 0x3fu)));
        wr_put(w, (char)(0x80u | (cp & 0x3fu)));
    } else {
        wr_put(w, (char)(0xf0u | (cp >> 18)));
        wr_put(w, (char)(0x80u | ((cp >> 12) & 0x3fu)));
        wr_put(w, (char)(0x80u | ((cp >> 6) & 0x3fu)));
        wr_put(w, (char)(0x80u | (cp & 0x3fu)));
    }
}

/* Decode one shifted run starting right after its '&' at m[*i]; on
 * success *i is just past the closing '-'.  Returns 0 if non-canonical. */
static int dec_run(const unsigned char *m, size_t n, size_t *i, wr *w)
{
    uint32_t acc = 0;
    unsigned nbits = 0;
    uint32_t hi = 0; /* pending high surrogate, 0 if none */
    size_t units = 0;

    for (;;) {
        int v;
        if (*i >= n) {
            return 0; /* '&' run not closed by '-' */
        }
        if (m[*i] == '-') {
            (*i)++;
            break;
        }
        v = b64_val(m[*i]);
        if (v < 0) {
            return 0;
        }
        (*i)++;
        acc = ((acc << 6) | (uint32_t)v) & 0x3fffffu;
        nbits += 6;
        if (nbits >= 16) {
            uint32_t u;
            nbits -= 16;
            u = (acc >> nbits) & 0xffffu;
            units++;
            if (hi != 0) {
                if (u < 0xdc00u || u > 0xdfffu) {
                    return 0; /* high surrogate not followed by a low one */
                }
                put_utf8(w, 0x10000u + ((hi - 0xd800u) << 10) + (u - 0xdc00u));
                hi = 0;
            } else if (u >= 0xd800u && u <= 0xdbffu) {
                hi = u;
            } else if (u >= 0xdc00u && u <= 0xdfffu) {
                return 0; /* lone low surrogate */
            } else if (is_printable(u)) {
                return 0; /* must have been written as itself */
            } else if (u == 0) {
                return 0; /* NUL in a mailbox name (see the top) */
            } else {
                put_utf8(w, u);
            }
        }
    }
    /* Canonical tail: fewer than 6 leftover bits (no spare character),
     * all zero, no dangling high surrogate, and at least one unit ("&-"
     * is handled by the caller). */
    if (units == 0 || hi != 0 || nbits >= 6 || (acc & ((1u << nbits) - 1u)) != 0) {
        return 0;
    }
    return 1;
}

mp_status mp_mutf7_decode(const char *mutf7, size_t n, char *out, size_t cap, size_t *outlen)
{
    const unsigned char *m = (const unsigned char *)mutf7;
    wr w;
    size_t i = 0;
    int after_run = 0; /* the previous token was a shifted run */

    if (outlen == NULL || (mutf7 == NULL && n > 0) || (out == NULL && cap > 0)) {
        return MP_ERR_ARG;
    }
    w.out = out;
    w.cap = cap;
    w.pos = 0;
    while (i < n) {
        unsigned char c = m[i];
        if (!is_printable(c)) {
            *outlen = 0;
            return MP_ERR_MUTF7;
        }
        if (c != '&') {
            wr_put(&w, (char)c);
            i++;
            after_run = 0;
            continue;
        }
        if (i + 1 < n && m[i + 1] == '-') {
            wr_put(&w, '&');
            i += 2;
            after_run = 0;
            continue;
        }
        /* The encoder merges consecutive non-ASCII characters into one
         * run, so "&..-&..-" is never canonical. */
        if (after_run) {
            *outlen = 0;
            return MP_ERR_MUTF7;
        }
        i++;
        if (!dec_run(m, n, &i, &w)) {
            *outlen = 0;
            return MP_ERR_MUTF7;
        }
        after_run = 1;
    }
    *outlen = w.pos;
    return w.pos > cap ? MP_ERR_NO_SPACE : MP_OK;
}
