/* IMAP character classes shared by the command writer and the command
 * parser (RFC 9051 §9: ATOM-CHAR, ASTRING-CHAR, list-char, tag, TEXT-CHAR).
 * Internal to lib/imap/cmd_*.c. */
#ifndef MP_IMAP_CMD_CHARS_H
#define MP_IMAP_CMD_CHARS_H

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

static const char mp_imap_months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

#endif
