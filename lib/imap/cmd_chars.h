/* IMAP character classes shared by the command writer and the command
 * parser (RFC 9051 §9: ATOM-CHAR, ASTRING-CHAR, list-char, tag, TEXT-CHAR).
 * Internal to lib/imap/cmd_*.c. */
#ifndef MP_IMAP_CMD_CHARS_H
#define MP_IMAP_CMD_CHARS_H

#include <stddef.h>

enum {
    MP_IMAP_CC_ATOM = 1u,  /* ATOM-CHAR */
    MP_IMAP_CC_ASTR = 2u,  /* ASTRING-CHAR = ATOM-CHAR / "]" */
    MP_IMAP_CC_LIST = 4u,  /* list-char = ATOM-CHAR / "%" / "*" / "]" */
    MP_IMAP_CC_TAG = 8u,   /* tag char = ASTRING-CHAR except "+" */
    MP_IMAP_CC_TEXT = 16u  /* TEXT-CHAR: 7-bit, not NUL, CR or LF */
};

/* atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards /
 * quoted-specials / resp-specials; 8-bit is never an atom char. */
static inline unsigned mp_imap_cc(unsigned char c)
{
    unsigned r = 0;
    if (c == 0 || c >= 0x80)
        return 0;
    if (c != '\r' && c != '\n')
        r |= MP_IMAP_CC_TEXT;
    if (c < 0x20 || c == 0x7f)
        return r;
    switch (c) {
    case '(': case ')': case '{': case ' ': case '"': case '\\':
        return r;
    case '%': case '*':
        return r | MP_IMAP_CC_LIST;
    case ']':
        return r | MP_IMAP_CC_ASTR | MP_IMAP_CC_LIST | MP_IMAP_CC_TAG;
    case '+':
        return r | MP_IMAP_CC_ATOM | MP_IMAP_CC_ASTR | MP_IMAP_CC_LIST;
    default:
        return r | MP_IMAP_CC_ATOM | MP_IMAP_CC_ASTR | MP_IMAP_CC_LIST | MP_IMAP_CC_TAG;
    }
}

/* Well-formed UTF-8 (RFC 3629): no overlongs, surrogates or > U+10FFFF. */
static inline int mp_imap_utf8_valid(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t k;
        unsigned lo = 0x80, hi = 0xbf;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf)
            k = 1;
        else if (c >= 0xe0 && c <= 0xef) {
            k = 2;
            if (c == 0xe0)
                lo = 0xa0;
            else if (c == 0xed)
                hi = 0x9f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            k = 3;
            if (c == 0xf0)
                lo = 0x90;
            else if (c == 0xf4)
                hi = 0x8f;
        } else
            return 0;
        if (n - i <= k)
            return 0;
        if (p[i + 1] < lo || p[i + 1] > hi)
            return 0;
        for (size_t j = 2; j <= k; j++)
            if ((p[i + j] & 0xc0) != 0x80)
                return 0;
        i += k + 1;
    }
    return 1;
}

static const char mp_imap_months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

#endif
