/* IMAP character classes shared by the command writer and the command
 * parser (RFC 9051 §9: ATOM-CHAR, ASTRING-CHAR, list-char, tag, TEXT-CHAR).
 * Internal to lib/imap/cmd_*.c. */
#ifndef MP_IMAP_CMD_CHARS_H
#define MP_IMAP_CMD_CHARS_H

#include <stddef.h>
#include <stdint.h>

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

/* Search keys and what follows each (RFC 9051 §6.4.4 and §9 search-key,
 * RFC 7162 MODSEQ, RFC 5032 OLDER/YOUNGER, RFC 8474 EMAILID/THREADID, RFC
 * 8514 SAVEDATE):
 * the parser reads by it, the writer checks search programs by it. */

enum mp_imap_karg {
    MP_IMAP_KA_NONE = 0, MP_IMAP_KA_ASTRING, MP_IMAP_KA_DATE, MP_IMAP_KA_NUMBER,
    MP_IMAP_KA_KEYWORD, MP_IMAP_KA_SEQ, MP_IMAP_KA_HEADER, MP_IMAP_KA_MODSEQ, MP_IMAP_KA_NOT,
    MP_IMAP_KA_OR
};

typedef struct mp_imap_search_key {
    const char *name;
    uint8_t arg; /* enum mp_imap_karg */
} mp_imap_search_key;

static const mp_imap_search_key mp_imap_search_keys[] = {
    { "ALL", MP_IMAP_KA_NONE },               { "ANSWERED", MP_IMAP_KA_NONE },
    { "BCC", MP_IMAP_KA_ASTRING },            { "BEFORE", MP_IMAP_KA_DATE },
    { "BODY", MP_IMAP_KA_ASTRING },           { "CC", MP_IMAP_KA_ASTRING },
    { "DELETED", MP_IMAP_KA_NONE },           { "DRAFT", MP_IMAP_KA_NONE },
    { "EMAILID", MP_IMAP_KA_ASTRING },        { "FLAGGED", MP_IMAP_KA_NONE },
    { "FROM", MP_IMAP_KA_ASTRING },           { "HEADER", MP_IMAP_KA_HEADER },
    { "KEYWORD", MP_IMAP_KA_KEYWORD },        { "LARGER", MP_IMAP_KA_NUMBER },
    { "MODSEQ", MP_IMAP_KA_MODSEQ },          { "NEW", MP_IMAP_KA_NONE },
    { "NOT", MP_IMAP_KA_NOT },                { "OLD", MP_IMAP_KA_NONE },
    { "OLDER", MP_IMAP_KA_NUMBER },           { "ON", MP_IMAP_KA_DATE },
    { "OR", MP_IMAP_KA_OR },                  { "RECENT", MP_IMAP_KA_NONE },
    { "SAVEDATESUPPORTED", MP_IMAP_KA_NONE }, { "SAVEDBEFORE", MP_IMAP_KA_DATE },
    { "SAVEDON", MP_IMAP_KA_DATE },           { "SAVEDSINCE", MP_IMAP_KA_DATE },
    { "SEEN", MP_IMAP_KA_NONE },              { "SENTBEFORE", MP_IMAP_KA_DATE },
    { "SENTON", MP_IMAP_KA_DATE },            { "SENTSINCE", MP_IMAP_KA_DATE },
    { "SINCE", MP_IMAP_KA_DATE },             { "SMALLER", MP_IMAP_KA_NUMBER },
    { "SUBJECT", MP_IMAP_KA_ASTRING },        { "TEXT", MP_IMAP_KA_ASTRING },
    { "THREADID", MP_IMAP_KA_ASTRING },       { "TO", MP_IMAP_KA_ASTRING },
    { "UID", MP_IMAP_KA_SEQ },                { "UNANSWERED", MP_IMAP_KA_NONE },
    { "UNDELETED", MP_IMAP_KA_NONE },         { "UNDRAFT", MP_IMAP_KA_NONE },
    { "UNFLAGGED", MP_IMAP_KA_NONE },         { "UNKEYWORD", MP_IMAP_KA_KEYWORD },
    { "UNSEEN", MP_IMAP_KA_NONE },            { "YOUNGER", MP_IMAP_KA_NUMBER },
};

#endif
