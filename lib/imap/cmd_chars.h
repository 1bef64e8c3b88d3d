/* IMAP character classes shared by the command writer and the command
 * parser (RFC 9051 §9: ATOM-CHAR, ASTRING-CHAR, list-char, tag, TEXT-CHAR).
 * Internal to lib/imap/cmd_*.c. */
#ifndef MP_IMAP_CMD_CHARS_H
#define MP_IMAP_CMD_CHARS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "mailproto/imap_command.h"

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
    uint8_t arg;  /* enum mp_imap_karg */
    uint8_t rev1; /* IMAP4rev1 only: gone with \Recent (RFC 9051 Appendix E) */
} mp_imap_search_key;

static const mp_imap_search_key mp_imap_search_keys[] = {
    { "ALL", MP_IMAP_KA_NONE, 0 },               { "ANSWERED", MP_IMAP_KA_NONE, 0 },
    { "BCC", MP_IMAP_KA_ASTRING, 0 },            { "BEFORE", MP_IMAP_KA_DATE, 0 },
    { "BODY", MP_IMAP_KA_ASTRING, 0 },           { "CC", MP_IMAP_KA_ASTRING, 0 },
    { "DELETED", MP_IMAP_KA_NONE, 0 },           { "DRAFT", MP_IMAP_KA_NONE, 0 },
    { "EMAILID", MP_IMAP_KA_ASTRING, 0 },        { "FLAGGED", MP_IMAP_KA_NONE, 0 },
    { "FROM", MP_IMAP_KA_ASTRING, 0 },
    /* RFC 6203 §6: "FUZZY" SP search-key (one key, as NOT takes) */
    { "FUZZY", MP_IMAP_KA_NOT, 0 },              { "HEADER", MP_IMAP_KA_HEADER, 0 },
    { "KEYWORD", MP_IMAP_KA_KEYWORD, 0 },        { "LARGER", MP_IMAP_KA_NUMBER, 0 },
    { "MODSEQ", MP_IMAP_KA_MODSEQ, 0 },          { "NEW", MP_IMAP_KA_NONE, 1 },
    { "NOT", MP_IMAP_KA_NOT, 0 },                { "OLD", MP_IMAP_KA_NONE, 1 },
    { "OLDER", MP_IMAP_KA_NUMBER, 0 },           { "ON", MP_IMAP_KA_DATE, 0 },
    { "OR", MP_IMAP_KA_OR, 0 },                  { "RECENT", MP_IMAP_KA_NONE, 1 },
    { "SAVEDATESUPPORTED", MP_IMAP_KA_NONE, 0 }, { "SAVEDBEFORE", MP_IMAP_KA_DATE, 0 },
    { "SAVEDON", MP_IMAP_KA_DATE, 0 },           { "SAVEDSINCE", MP_IMAP_KA_DATE, 0 },
    { "SEEN", MP_IMAP_KA_NONE, 0 },              { "SENTBEFORE", MP_IMAP_KA_DATE, 0 },
    { "SENTON", MP_IMAP_KA_DATE, 0 },            { "SENTSINCE", MP_IMAP_KA_DATE, 0 },
    { "SINCE", MP_IMAP_KA_DATE, 0 },             { "SMALLER", MP_IMAP_KA_NUMBER, 0 },
    { "SUBJECT", MP_IMAP_KA_ASTRING, 0 },        { "TEXT", MP_IMAP_KA_ASTRING, 0 },
    { "THREADID", MP_IMAP_KA_ASTRING, 0 },       { "TO", MP_IMAP_KA_ASTRING, 0 },
    { "UID", MP_IMAP_KA_SEQ, 0 },                { "UNANSWERED", MP_IMAP_KA_NONE, 0 },
    { "UNDELETED", MP_IMAP_KA_NONE, 0 },         { "UNDRAFT", MP_IMAP_KA_NONE, 0 },
    { "UNFLAGGED", MP_IMAP_KA_NONE, 0 },         { "UNKEYWORD", MP_IMAP_KA_KEYWORD, 0 },
    { "UNSEEN", MP_IMAP_KA_NONE, 0 },            { "YOUNGER", MP_IMAP_KA_NUMBER, 0 },
};

static inline int mp_imap_word_eq(const char *s, size_t n, const char *w)
{
    size_t k = strlen(w);
    if (n != k)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char a = (unsigned char)s[i], b = (unsigned char)w[i];
        if (a >= 'a' && a <= 'z')
            a = (unsigned char)(a - 32);
        if (b >= 'a' && b <= 'z')
            b = (unsigned char)(b - 32);
        if (a != b)
            return 0;
    }
    return 1;
}

/* The search key named s[0..n) (any case), or NULL.  The table is in
 * alphabetical order and every name starts with a letter: the scan skips
 * on the first letter before comparing words (it runs for every key the
 * parser reads and the writer checks). */
static inline const mp_imap_search_key *mp_imap_search_key_find(const char *s, size_t n)
{
    unsigned char c0;
    if (n == 0)
        return NULL;
    c0 = (unsigned char)(s[0] & ~0x20);
    for (size_t i = 0; i < sizeof(mp_imap_search_keys) / sizeof(mp_imap_search_keys[0]); i++) {
        unsigned char k0 = (unsigned char)mp_imap_search_keys[i].name[0];
        if (k0 > c0)
            break;
        if (k0 == c0 && mp_imap_word_eq(s, n, mp_imap_search_keys[i].name))
            return &mp_imap_search_keys[i];
    }
    return NULL;
}

/* status-att (RFC 9051 §9, RFC 3501 RECENT, RFC 7162 HIGHESTMODSEQ, RFC
 * 7889 APPENDLIMIT, RFC 8474 MAILBOXID): 0 unknown, 1 known, 2 known but
 * IMAP4rev1 only (RECENT, RFC 9051 Appendix E). */
static inline int mp_imap_status_att(const char *s, size_t n)
{
    static const char *const atts[] = { "MESSAGES", "UIDNEXT",       "UIDVALIDITY",
                                        "UNSEEN",   "DELETED",       "SIZE",
                                        "RECENT",   "HIGHESTMODSEQ", "APPENDLIMIT",
                                        "MAILBOXID" };
    for (size_t i = 0; i < sizeof(atts) / sizeof(atts[0]); i++)
        if (mp_imap_word_eq(s, n, atts[i]))
            return i == 6 ? 2 : 1;
    return 0;
}

/* seq-number = nz-number / "*" (nz-number fits in 32 bits). */
static inline int mp_imap_seqnum(const char *s, size_t n, uint32_t *out)
{
    uint64_t v = 0;
    if (n == 1 && s[0] == '*') {
        *out = MP_IMAP_SEQ_STAR;
        return 1;
    }
    if (n == 0 || n > 10 || s[0] == '0')
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10u + (uint64_t)(s[i] - '0');
    }
    if (v > UINT32_MAX)
        return 0;
    *out = (uint32_t)v;
    return 1;
}

/* sequence-set (RFC 9051 §9) / seq-last-command "$", as the parser reads
 * an atom that starts with a digit, "*" or "$". */
static inline int mp_imap_seqset_ok(mp_slice s)
{
    size_t i = 0;
    if (s.len == 0)
        return 0;
    /* seq-last-command = "$" (RFC 9051 §9, RFC 5182): alone only. */
    if (s.len == 1 && s.ptr[0] == '$')
        return 1;
    while (i <= s.len) {
        size_t j = i, k;
        uint32_t v;
        while (j < s.len && s.ptr[j] != ',')
            j++;
        k = i;
        while (k < j && s.ptr[k] != ':')
            k++;
        if (!mp_imap_seqnum(s.ptr + i, k - i, &v))
            return 0;
        if (k < j && !mp_imap_seqnum(s.ptr + k + 1, j - k - 1, &v))
            return 0;
        i = j + 1;
        if (j == s.len)
            break;
    }
    return 1;
}

/* ---- closed option lists ------------------------------------------------
 *
 * One checker for the parenthesised lists whose members the RFCs name,
 * fed item by item by the parser (tokens) and by the writer (arguments),
 * so the writer refuses exactly what the parser refuses:
 *
 *   SORT     sort-criteria (RFC 5256 §4, RFC 5957): "(" sort-criterion
 *            *(SP sort-criterion) ")", sort-criterion = ["REVERSE" SP] key
 *   FETCH    fetch-modifiers (RFC 4466 §2.4, RFC 7162 §3.1.4.1, §3.2.6):
 *            CHANGEDSINCE mod-sequence-valzer, VANISHED (UID FETCH only,
 *            with CHANGEDSINCE); others: tagged-ext-label [SP tagged-ext-val]
 *   STORE    store-modifiers (RFC 4466 §2.5, RFC 7162 §3.1.3):
 *            UNCHANGEDSINCE mod-sequence-valzer; others as FETCH
 *   META     getmetadata-options (RFC 5464 §5): MAXSIZE number, DEPTH
 *            ("0" / "1" / "infinity"); others as FETCH
 *   LSEL     list-select-opts (RFC 5258 §6, RFC 6154 §6): SUBSCRIBED,
 *            REMOTE, RECURSIVEMATCH (needs a base option: not alone, not
 *            with REMOTE only), SPECIAL-USE; others: option-extension
 *            [SP "(" option-val-comp ")"]; may be empty
 *   LRET     list-return-opts (RFC 5258, RFC 5819, RFC 6154): SUBSCRIBED,
 *            CHILDREN, SPECIAL-USE, STATUS SP "(" status-att *(SP
 *            status-att) ")"; others as LSEL; may be empty
 *   STATUS   the STATUS command's "(" status-att *(SP status-att) ")"
 *
 * The extension forms are open by grammar (RFC 4466 tagged-ext, RFC 5258
 * option-extension), so unknown names pass with their values; the named
 * members are checked.  Items come with `depth`: 0 for the list's own
 * "(" and ")", 1 for its members, 2 and more inside a member's value. */

enum mp_imap_olist {
    MP_IMAP_OL_NONE = 0, MP_IMAP_OL_SORT, MP_IMAP_OL_FETCH, MP_IMAP_OL_UID_FETCH,
    MP_IMAP_OL_STORE, MP_IMAP_OL_META, MP_IMAP_OL_LSEL, MP_IMAP_OL_LRET, MP_IMAP_OL_STATUS
};

/* What an item is. */
enum mp_imap_otok {
    MP_IMAP_OT_OPEN = 0, MP_IMAP_OT_CLOSE,
    MP_IMAP_OT_ATOM,   /* a keyword (not a number or sequence set) */
    MP_IMAP_OT_NUMBER, /* digits only: `num` holds the value */
    MP_IMAP_OT_SEQ,    /* a sequence set ("1:5", "$") */
    MP_IMAP_OT_VALUE   /* anything else: string, NIL, flag */
};

enum {
    MP_IMAP_OS_NAME = 0, /* a member's name, or ")" */
    MP_IMAP_OS_NUM,      /* owes a mod-sequence-valzer */
    MP_IMAP_OS_NUM32,    /* owes a number (32-bit) */
    MP_IMAP_OS_DEPTH,    /* owes "0" / "1" / "infinity" */
    MP_IMAP_OS_EXT,      /* after an extension name: its value may follow */
    MP_IMAP_OS_EXT_IN,   /* inside the extension's "(" ... ")" */
    MP_IMAP_OS_KEY,      /* SORT: a key after REVERSE */
    MP_IMAP_OS_STATUS,   /* LRET: "(" after STATUS */
    MP_IMAP_OS_STATUS_IN /* LRET: status atts */
};

enum {
    MP_IMAP_OF_ITEM = 1u, MP_IMAP_OF_SINCE = 2u, MP_IMAP_OF_VANISHED = 4u,
    MP_IMAP_OF_RECURSIVE = 8u, MP_IMAP_OF_BASE = 16u, MP_IMAP_OF_ATT = 32u,
    MP_IMAP_OF_MAXSIZE = 64u, MP_IMAP_OF_DEPTH = 128u
};

typedef struct mp_imap_optck {
    uint8_t list, state, flags;
} mp_imap_optck;

/* sort-key (RFC 5256 §4, RFC 5957 DISPLAYFROM / DISPLAYTO). */
static inline int mp_imap_sort_key(const char *s, size_t n)
{
    static const char *const keys[] = { "ARRIVAL", "CC",      "DATE",        "FROM",     "SIZE",
                                        "SUBJECT", "TO",      "DISPLAYFROM", "DISPLAYTO" };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (mp_imap_word_eq(s, n, keys[i]))
            return 1;
    return 0;
}

/* tagged-ext-label (RFC 4466 §2.1): fchar = ALPHA / "-" / "_" / ".",
 * then also DIGIT and ":". */
static inline int mp_imap_ext_label(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int f = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_' ||
                c == '.';
        if (!f && (i == 0 || !((c >= '0' && c <= '9') || c == ':')))
            return 0;
    }
    return n > 0;
}

static inline void mp_imap_optck_init(mp_imap_optck *c, unsigned list)
{
    c->list = (uint8_t)list;
    c->state = MP_IMAP_OS_NAME;
    c->flags = 0;
}

/* A member's name. */
static inline int mp_imap_optck_name(mp_imap_optck *c, const char *s, size_t n, int uid_ok)
{
    uint8_t once = 0;
    switch (c->list) {
    case MP_IMAP_OL_SORT:
        if (mp_imap_word_eq(s, n, "REVERSE")) {
            c->state = MP_IMAP_OS_KEY;
            return 1;
        }
        return mp_imap_sort_key(s, n);
    case MP_IMAP_OL_FETCH:
    case MP_IMAP_OL_UID_FETCH:
        if (mp_imap_word_eq(s, n, "CHANGEDSINCE")) {
            c->state = MP_IMAP_OS_NUM;
            once = MP_IMAP_OF_SINCE;
        } else if (mp_imap_word_eq(s, n, "VANISHED")) {
            if (!uid_ok)
                return 0; /* RFC 7162 §3.2.6: UID FETCH only */
            once = MP_IMAP_OF_VANISHED;
        }
        break;
    case MP_IMAP_OL_STORE:
        if (mp_imap_word_eq(s, n, "UNCHANGEDSINCE")) {
            c->state = MP_IMAP_OS_NUM;
            once = MP_IMAP_OF_SINCE;
        }
        break;
    case MP_IMAP_OL_META:
        if (mp_imap_word_eq(s, n, "MAXSIZE")) {
            c->state = MP_IMAP_OS_NUM32;
            once = MP_IMAP_OF_MAXSIZE;
        } else if (mp_imap_word_eq(s, n, "DEPTH")) {
            c->state = MP_IMAP_OS_DEPTH;
            once = MP_IMAP_OF_DEPTH;
        }
        break;
    case MP_IMAP_OL_LSEL:
        if (mp_imap_word_eq(s, n, "RECURSIVEMATCH")) {
            c->flags |= MP_IMAP_OF_RECURSIVE;
            return 1;
        }
        if (mp_imap_word_eq(s, n, "REMOTE"))
            return 1;
        c->flags |= MP_IMAP_OF_BASE;
        if (mp_imap_word_eq(s, n, "SUBSCRIBED") || mp_imap_word_eq(s, n, "SPECIAL-USE"))
            return 1;
        c->state = MP_IMAP_OS_EXT;
        return 1;
    case MP_IMAP_OL_LRET:
        if (mp_imap_word_eq(s, n, "SUBSCRIBED") || mp_imap_word_eq(s, n, "CHILDREN") ||
            mp_imap_word_eq(s, n, "SPECIAL-USE"))
            return 1;
        if (mp_imap_word_eq(s, n, "STATUS")) {
            c->state = MP_IMAP_OS_STATUS;
            return 1;
        }
        c->state = MP_IMAP_OS_EXT;
        return 1;
    default:
        return 0;
    }
    if (once != 0) {
        if (c->flags & once)
            return 0; /* the same modifier twice */
        c->flags |= once;
        return 1;
    }
    if (!mp_imap_ext_label(s, n))
        return 0;
    c->state = MP_IMAP_OS_EXT;
    return 1;
}

/*
 * One item.  Returns 0 (MP_OK) or the status the item breaks:
 * MP_ERR_IMAP_CMD_SORT_KEY (SORT), MP_ERR_IMAP_CMD_SYNTAX (STATUS),
 * MP_ERR_IMAP_CMD_OPTION (the others), MP_ERR_IMAP_CMD_REV1_ONLY (a
 * status-att RECENT with `rev2`).  `uid_ok`: VANISHED is allowed.
 */
static inline int mp_imap_optck_step(mp_imap_optck *c, unsigned tk, unsigned depth,
                                     const char *s, size_t n, uint64_t num, int rev2)
{
    int bad = c->list == MP_IMAP_OL_SORT     ? MP_ERR_IMAP_CMD_SORT_KEY
              : c->list == MP_IMAP_OL_STATUS ? MP_ERR_IMAP_CMD_SYNTAX
                                             : MP_ERR_IMAP_CMD_OPTION;
    int att;
    if (depth == 0) {
        if (tk == MP_IMAP_OT_OPEN) {
            c->state = MP_IMAP_OS_NAME;
            c->flags = 0;
            return 0;
        }
        if (tk != MP_IMAP_OT_CLOSE)
            return bad;
        /* the end of the list */
        if (c->state != MP_IMAP_OS_NAME && c->state != MP_IMAP_OS_EXT)
            return bad;
        if (!(c->flags & MP_IMAP_OF_ITEM) && c->list != MP_IMAP_OL_LSEL &&
            c->list != MP_IMAP_OL_LRET)
            return bad; /* these lists hold at least one member */
        if ((c->flags & MP_IMAP_OF_VANISHED) && !(c->flags & MP_IMAP_OF_SINCE))
            return bad; /* RFC 7162 §3.2.6: VANISHED needs CHANGEDSINCE */
        if ((c->flags & MP_IMAP_OF_RECURSIVE) && !(c->flags & MP_IMAP_OF_BASE))
            return bad; /* RFC 5258 §3.1 */
        return 0;
    }
    if (c->state == MP_IMAP_OS_EXT_IN) {
        if (tk == MP_IMAP_OT_CLOSE && depth == 1)
            c->state = MP_IMAP_OS_NAME;
        return 0; /* option-val-comp / tagged-ext-comp: open */
    }
    if (c->state == MP_IMAP_OS_STATUS_IN) {
        if (tk == MP_IMAP_OT_CLOSE && depth == 1) {
            if (!(c->flags & MP_IMAP_OF_ATT))
                return bad;
            c->state = MP_IMAP_OS_NAME;
            return 0;
        }
        if (tk != MP_IMAP_OT_ATOM || depth != 2)
            return bad;
        att = mp_imap_status_att(s, n);
        if (att == 0)
            return bad;
        if (att == 2 && rev2)
            return MP_ERR_IMAP_CMD_REV1_ONLY;
        c->flags |= MP_IMAP_OF_ATT;
        return 0;
    }
    if (depth != 1)
        return bad;
    switch (c->state) {
    case MP_IMAP_OS_NUM:
        if (tk != MP_IMAP_OT_NUMBER || num > (uint64_t)INT64_MAX)
            return bad;
        c->state = MP_IMAP_OS_NAME;
        return 0;
    case MP_IMAP_OS_NUM32:
        if (tk != MP_IMAP_OT_NUMBER || num > UINT32_MAX)
            return bad;
        c->state = MP_IMAP_OS_NAME;
        return 0;
    case MP_IMAP_OS_DEPTH:
        /* "0" / "1" as sent (n: its digits; 0 for a writer's number) */
        if (!(tk == MP_IMAP_OT_NUMBER && num <= 1 && n <= 1) &&
            !(tk == MP_IMAP_OT_ATOM && mp_imap_word_eq(s, n, "infinity")))
            return bad;
        c->state = MP_IMAP_OS_NAME;
        return 0;
    case MP_IMAP_OS_KEY:
        if (tk != MP_IMAP_OT_ATOM || !mp_imap_sort_key(s, n))
            return bad;
        c->state = MP_IMAP_OS_NAME;
        return 0;
    case MP_IMAP_OS_STATUS:
        if (tk != MP_IMAP_OT_OPEN)
            return bad;
        c->flags &= (uint8_t)~MP_IMAP_OF_ATT;
        c->state = MP_IMAP_OS_STATUS_IN;
        return 0;
    case MP_IMAP_OS_EXT:
        c->state = MP_IMAP_OS_NAME;
        if (tk == MP_IMAP_OT_OPEN) {
            c->state = MP_IMAP_OS_EXT_IN;
            return 0;
        }
        /* tagged-ext-simple = sequence-set / number / number64; an
         * option-value is parenthesised only */
        if ((tk == MP_IMAP_OT_NUMBER || tk == MP_IMAP_OT_SEQ) && c->list != MP_IMAP_OL_LSEL &&
            c->list != MP_IMAP_OL_LRET)
            return 0;
        break; /* the next member's name */
    default:
        break;
    }
    if (tk != MP_IMAP_OT_ATOM)
        return bad;
    if (c->list == MP_IMAP_OL_STATUS) {
        att = mp_imap_status_att(s, n);
        if (att == 0)
            return bad;
        if (att == 2 && rev2)
            return MP_ERR_IMAP_CMD_REV1_ONLY;
    } else if (!mp_imap_optck_name(c, s, n, c->list == MP_IMAP_OL_UID_FETCH)) {
        return bad;
    }
    c->flags |= MP_IMAP_OF_ITEM;
    return 0;
}

#endif
