/*
 * UTF-8 well-formedness (RFC 3629 §3, §4), internal to lib/: the one
 * definition of the rules in the library.  A decoder state takes one byte
 * at a time, so a sequence may straddle two inputs (the IMAP tokenizer
 * keeps the state between feeds); whole-buffer checks and code point
 * decoding are built on the same step.
 *
 * RFC 3629 §4:
 *   UTF8-char   = UTF8-1 / UTF8-2 / UTF8-3 / UTF8-4
 *   UTF8-1      = %x00-7F
 *   UTF8-2      = %xC2-DF UTF8-tail
 *   UTF8-3      = %xE0 %xA0-BF UTF8-tail / %xE1-EC 2( UTF8-tail ) /
 *                 %xED %x80-9F UTF8-tail / %xEE-EF 2( UTF8-tail )
 *   UTF8-4      = %xF0 %x90-BF 2( UTF8-tail ) / %xF1-F3 3( UTF8-tail ) /
 *                 %xF4 %x80-8F 2( UTF8-tail )
 *   UTF8-tail   = %x80-BF
 * which rules out overlong forms (C0, C1, E0 80-9F, F0 80-8F), UTF-16
 * surrogates (ED A0-BF) and everything above U+10FFFF (F4 90-BF, F5-FF).
 */
#ifndef MP_CORE_UTF8_H
#define MP_CORE_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Where a decoder stands.  Every state but ACCEPT and REJECT names the
 * range its next byte must be in (MP_UTF8_LO_/HI_) and the state after it
 * (MP_UTF8_NEXT_).  Fits in a uint8_t. */
enum mp_utf8_state {
    MP_UTF8_ACCEPT = 0, /* between characters */
    MP_UTF8_TAIL1,      /* one UTF8-tail to go */
    MP_UTF8_TAIL2,      /* two UTF8-tails to go */
    MP_UTF8_TAIL3,      /* three UTF8-tails to go */
    MP_UTF8_E0,         /* after E0: A0-BF, then one tail */
    MP_UTF8_ED,         /* after ED: 80-9F, then one tail */
    MP_UTF8_F0,         /* after F0: 90-BF, then two tails */
    MP_UTF8_F4,         /* after F4: 80-8F, then two tails */
    MP_UTF8_REJECT      /* not UTF-8 (final) */
};

static const unsigned char mp_utf8_lo_[MP_UTF8_REJECT] = {
    0, 0x80, 0x80, 0x80, 0xa0, 0x80, 0x90, 0x80
};
static const unsigned char mp_utf8_hi_[MP_UTF8_REJECT] = {
    0, 0xbf, 0xbf, 0xbf, 0xbf, 0x9f, 0xbf, 0x8f
};
static const unsigned char mp_utf8_next_[MP_UTF8_REJECT] = {
    0, MP_UTF8_ACCEPT, MP_UTF8_TAIL1, MP_UTF8_TAIL2, MP_UTF8_TAIL1, MP_UTF8_TAIL1,
    MP_UTF8_TAIL2, MP_UTF8_TAIL2
};

/* The state after byte `c` in state `st` (an enum mp_utf8_state). */
static inline unsigned mp_utf8_step(unsigned st, unsigned char c)
{
    if (st == MP_UTF8_ACCEPT) {
        /* the first byte of a UTF8-char, in the order of the ABNF */
        if (c < 0x80u)
            return MP_UTF8_ACCEPT;
        if (c < 0xc2u) /* a tail, or C0 C1 (overlong) */
            return MP_UTF8_REJECT;
        if (c < 0xe0u)
            return MP_UTF8_TAIL1;
        if (c == 0xe0u)
            return MP_UTF8_E0;
        if (c == 0xedu)
            return MP_UTF8_ED;
        if (c < 0xf0u)
            return MP_UTF8_TAIL2;
        if (c == 0xf0u)
            return MP_UTF8_F0;
        if (c < 0xf4u)
            return MP_UTF8_TAIL3;
        if (c == 0xf4u)
            return MP_UTF8_F4;
        return MP_UTF8_REJECT; /* F5-FF: above U+10FFFF */
    }
    if (st >= MP_UTF8_REJECT || c < mp_utf8_lo_[st] || c > mp_utf8_hi_[st])
        return MP_UTF8_REJECT;
    return mp_utf8_next_[st];
}

/* Step `*st` over p[0..n): returns the index of the first byte the rules
 * reject (n when none), `*st` being the state before that byte. */
static inline size_t mp_utf8_scan(unsigned *st, const unsigned char *p, size_t n)
{
    unsigned s = *st;
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned t;
        if (s == MP_UTF8_ACCEPT && p[i] < 0x80u)
            continue;
        t = mp_utf8_step(s, p[i]);
        if (t == MP_UTF8_REJECT)
            break;
        s = t;
    }
    *st = s;
    return i;
}

/* p[0..n) is well-formed UTF-8: 1, else 0 and `*bad` (when not NULL) is
 * the offset of the first byte that makes it ill-formed (n for a sequence
 * cut by the end). */
static inline int mp_utf8_check(const unsigned char *p, size_t n, size_t *bad)
{
    unsigned st = MP_UTF8_ACCEPT;
    size_t k = mp_utf8_scan(&st, p, n);
    if (k == n && st == MP_UTF8_ACCEPT)
        return 1;
    if (bad != NULL)
        *bad = k;
    return 0;
}

/* The code point being decoded, after byte `c` read in state `st` (the
 * state before `c`, which the rules accepted); complete once the state
 * is back to MP_UTF8_ACCEPT. */
static inline uint32_t mp_utf8_decode(uint32_t cp, unsigned st, unsigned char c)
{
    if (st != MP_UTF8_ACCEPT)
        return (cp << 6) | (c & 0x3fu);
    if (c < 0x80u)
        return c;
    return c < 0xe0u ? c & 0x1fu : c < 0xf0u ? c & 0x0fu : c & 0x07u;
}

#endif /* MP_CORE_UTF8_H */
