/* IMAP response grammar tables (resp_grammar.h): names, keyword lookups
 * and the table of grammar positions the walker in resp_parse.c follows. */
#include <string.h>

#include "resp_grammar.h"


/* ---- names ------------------------------------------------------------- */

static const char *const resp_names[] = {
#define N_(name, text) #name,
    MP_IMAP_RESP_TABLE(N_)
#undef N_
};
static const char *const resp_words[] = {
#define N_(name, text) text,
    MP_IMAP_RESP_TABLE(N_)
#undef N_
};
static const char *const code_names[] = {
#define N_(name, text) #name,
    MP_IMAP_CODE_TABLE(N_)
#undef N_
};
static const char *const code_words[] = {
#define N_(name, text) text,
    MP_IMAP_CODE_TABLE(N_)
#undef N_
};
static const char *const field_names[] = {
#define N_(name) #name,
    MP_IMAP_FIELD_TABLE(N_)
#undef N_
};

const char *mp_imap_resp_name(mp_imap_resp_kind k)
{
    return (unsigned)k < MP_IMAP_RESP_COUNT_ ? resp_names[k] : "?";
}
const char *mp_imap_code_name(mp_imap_code c)
{
    return (unsigned)c < MP_IMAP_CODE_COUNT_ ? code_names[c] : "?";
}
const char *mp_imap_field_name(mp_imap_field f)
{
    return (unsigned)f < MP_IMAP_F_COUNT_ ? field_names[f] : "?";
}

int mp_imap_rg_eq_ci(mp_slice s, const char *w)
{
    /* Keyword tables are scanned linearly: reject on the first letter
     * (every keyword starts with one, so a case-insensitive match differs
     * at most in bit 0x20) before measuring the word. */
    if (s.len == 0 || w[0] == '\0' || (((unsigned char)s.ptr[0] ^ (unsigned char)w[0]) & 0xdfu) != 0)
        return 0;
    return mp_slice_eq_ci(s, w, strlen(w));
}

mp_imap_resp_kind mp_imap_rg_lookup_resp(mp_slice s)
{
    unsigned k;
    /* the commonest by far in a sync; the words are distinct, so testing
     * it first gives the same answer as the scan */
    if (s.len == 5 && mp_slice_eq_ci(s, "FETCH", 5))
        return MP_IMAP_RESP_FETCH;
    for (k = 1; k < MP_IMAP_RESP_COUNT_; k++)
        if (k != MP_IMAP_RESP_CONTINUE && mp_imap_rg_eq_ci(s, resp_words[k]))
            return (mp_imap_resp_kind)k;
    return MP_IMAP_RESP_UNKNOWN;
}

mp_imap_code mp_imap_rg_lookup_code(mp_slice s)
{
    unsigned k;
    for (k = 2; k < MP_IMAP_CODE_COUNT_; k++)
        if (mp_imap_rg_eq_ci(s, code_words[k]))
            return (mp_imap_code)k;
    return MP_IMAP_CODE_UNKNOWN;
}

/* With their lengths: the lookup runs for every msg-att name. */
#define FI_(word, item) { word, sizeof(word) - 1u, item }
static const struct {
    const char *name;
    uint8_t len;
    uint8_t item;
} fetch_items[] = {
    /* the names of a typical sync first (the names are distinct, so the
     * order changes only the time) */
    FI_("UID", IT_UID),           FI_("FLAGS", IT_FLAGS),          FI_("RFC822.SIZE", IT_RFC822_SIZE),
    FI_("INTERNALDATE", IT_INTERNALDATE), FI_("ENVELOPE", IT_ENVELOPE),
    FI_("BODYSTRUCTURE", IT_BODYSTRUCTURE), FI_("BODY", IT_BODY), FI_("MODSEQ", IT_MODSEQ),
    FI_("BINARY", IT_BINARY),     FI_("BINARY.SIZE", IT_BINARY_SIZE),
    FI_("RFC822", IT_RFC822_TEXT), FI_("RFC822.HEADER", IT_RFC822_TEXT),
    FI_("RFC822.TEXT", IT_RFC822_TEXT), FI_("EMAILID", IT_EMAILID), FI_("THREADID", IT_THREADID),
    FI_("PREVIEW", IT_PREVIEW),   FI_("SAVEDATE", IT_SAVEDATE),
};
#undef FI_

uint8_t mp_imap_rg_lookup_item(mp_slice s)
{
    size_t k;
    if (s.len == 0)
        return IT_UNKNOWN;
    /* length and first letter (case bit aside) before the full comparison */
    for (k = 0; k < sizeof(fetch_items) / sizeof(fetch_items[0]); k++)
        if (s.len == fetch_items[k].len &&
            (((unsigned char)s.ptr[0] ^ (unsigned char)fetch_items[k].name[0]) & 0xdfu) == 0 &&
            /* servers send them in upper case: exact bytes first */
            (memcmp(s.ptr, fetch_items[k].name, s.len) == 0 ||
             mp_slice_eq_ci(s, fetch_items[k].name, s.len)))
            return fetch_items[k].item;
    return IT_UNKNOWN;
}

static void S(mp_imap_rg_slot *s, unsigned field, unsigned acc)
{
    s->field = (uint8_t)field;
    s->acc = (uint16_t)acc;
}
static void SL(mp_imap_rg_slot *s, unsigned lfield, unsigned child, unsigned acc)
{
    s->lfield = (uint8_t)lfield;
    s->child = (uint8_t)child;
    s->acc = (uint16_t)(s->acc | acc | A_LIST);
}

/* The body fields of a single part after size (RFC 9051 body-ext-1part,
 * body-ext-mpart after their fixed fields): e is the extension index. */
static void body_ext(mp_imap_rg_slot *s, unsigned e, int multi)
{
    switch (e) {
    case 0:
        if (multi) {
            S(s, MP_IMAP_F_BODY_PARAMS, A_NIL);
            SL(s, MP_IMAP_F_BODY_PARAMS, C_PARAMS, 0);
        } else {
            S(s, MP_IMAP_F_BODY_MD5, A_NSTR);
        }
        break;
    case 1:
        S(s, MP_IMAP_F_BODY_DISPOSITION, A_NIL);
        SL(s, MP_IMAP_F_BODY_DISPOSITION, C_DISP, 0);
        break;
    case 2:
        S(s, MP_IMAP_F_BODY_LANGUAGE, A_NSTR);
        SL(s, MP_IMAP_F_BODY_LANGUAGE, C_LANG, 0);
        break;
    case 3: S(s, MP_IMAP_F_BODY_LOCATION, A_NSTR); break;
    default:
        S(s, MP_IMAP_F_EXT, A_ANY & ~A_LIT);
        SL(s, MP_IMAP_F_EXT, C_GENERIC, 0);
        s->want = 0;
        break;
    }
}

static void body_slot(const mp_imap_resp_frame_ *f, mp_imap_rg_slot *s)
{
    unsigned i = f->index, base;
    if (!(f->flags & BF_DECIDED)) {
        S(s, MP_IMAP_F_BODY_TYPE, A_STR);
        SL(s, MP_IMAP_F_BODY, C_BODY, 0);
        return;
    }
    if (f->flags & BF_MULTI) {
        if (f->flags & BF_SUBTYPE) {
            body_ext(s, f->sub, 1);
        } else {
            S(s, MP_IMAP_F_BODY_SUBTYPE, A_STR);
            SL(s, MP_IMAP_F_BODY, C_BODY, 0);
        }
        return;
    }
    /* index 1..6 (single part): constant slots, mp_imap_rg_slot_of() */
    base = 7;
    if (f->flags & BF_RFC822) {
        if (i == 7) {
            SL(s, MP_IMAP_F_ENVELOPE, C_ENVELOPE, 0);
            return;
        }
        if (i == 8) {
            SL(s, MP_IMAP_F_BODY, C_BODY, 0);
            return;
        }
        if (i == 9) {
            S(s, MP_IMAP_F_BODY_LINES, A_NUM);
            return;
        }
        base = 10;
    } else if (f->flags & BF_TEXT) {
        if (i == 7) {
            S(s, MP_IMAP_F_BODY_LINES, A_NUM);
            return;
        }
        base = 8;
    }
    body_ext(s, i - base, 0);
}

static void fetch_value_slot(const mp_imap_resp_frame_ *f, mp_imap_rg_slot *s)
{
    switch (f->item) {
    case IT_FLAGS: SL(s, MP_IMAP_F_FLAGS, C_FLAGS, 0); break;
    case IT_ENVELOPE: SL(s, MP_IMAP_F_ENVELOPE, C_ENVELOPE, 0); break;
    case IT_BODY:
    case IT_BODYSTRUCTURE: SL(s, MP_IMAP_F_BODY, C_BODY, 0); break;
    case IT_SECTION:
    case IT_RFC822_TEXT:
        /* section content: streamed, never assembled */
        S(s, MP_IMAP_F_BODY_SECTION, A_NSTR | A_LIT);
        s->want = 0;
        break;
    case IT_INTERNALDATE: S(s, MP_IMAP_F_INTERNALDATE, A_STR); break;
    case IT_RFC822_SIZE: S(s, MP_IMAP_F_RFC822_SIZE, A_NUM); break;
    case IT_UID: S(s, MP_IMAP_F_UID, A_NUM); break;
    case IT_MODSEQ: SL(s, MP_IMAP_F_MODSEQ, C_MODSEQ, 0); break;
    case IT_EMAILID: SL(s, MP_IMAP_F_EMAILID, C_EMAILID, 0); break;
    case IT_THREADID:
        S(s, MP_IMAP_F_THREADID, A_NIL);
        SL(s, MP_IMAP_F_THREADID, C_THREADID, 0);
        break;
    case IT_PREVIEW: S(s, MP_IMAP_F_PREVIEW, A_NSTR); break;
    case IT_SAVEDATE: S(s, MP_IMAP_F_SAVEDATE, A_NSTR); break;
    case IT_BINARY_SIZE: S(s, MP_IMAP_F_BINARY_SIZE, A_NUM); break;
    default:
        S(s, MP_IMAP_F_UNKNOWN, A_ANY);
        SL(s, MP_IMAP_F_UNKNOWN, C_GENERIC, 0);
        s->want = 0;
        break;
    }
}

/* Fixed positions as constant slots (mp_imap_rg_slot_of()). */
#define WS_ (MP_IMAP_LEX_WANT_STRING | MP_IMAP_LEX_WANT_STREAM)
#define NSTR_(fld) { (uint8_t)(fld), 0, 0, MP_IMAP_LEX_ATOM, WS_, A_NSTR }
#define STR_(fld, acc) { (uint8_t)(fld), 0, 0, MP_IMAP_LEX_ATOM, MP_IMAP_LEX_WANT_STRING, acc }
#define STRM_(fld, acc) { (uint8_t)(fld), 0, 0, MP_IMAP_LEX_ATOM, WS_, acc }
#define LST_(fld, child) { (uint8_t)(fld), (uint8_t)(fld), (uint8_t)(child), MP_IMAP_LEX_ATOM, \
                           MP_IMAP_LEX_WANT_STRING, A_NIL | A_LIST }
const mp_imap_rg_slot mp_imap_rg_address_slots[4] = {
    NSTR_(MP_IMAP_F_ADDR_NAME), NSTR_(MP_IMAP_F_ADDR_ADL), NSTR_(MP_IMAP_F_ADDR_MAILBOX),
    NSTR_(MP_IMAP_F_ADDR_HOST),
};
/* RFC 9051 envelope: date subject from sender reply-to to cc bcc
 * in-reply-to message-id */
const mp_imap_rg_slot mp_imap_rg_envelope_slots[10] = {
    NSTR_(MP_IMAP_F_ENV_DATE), NSTR_(MP_IMAP_F_ENV_SUBJECT),
    LST_(MP_IMAP_F_ENV_FROM, C_ADDR_LIST), LST_(MP_IMAP_F_ENV_SENDER, C_ADDR_LIST),
    LST_(MP_IMAP_F_ENV_REPLY_TO, C_ADDR_LIST), LST_(MP_IMAP_F_ENV_TO, C_ADDR_LIST),
    LST_(MP_IMAP_F_ENV_CC, C_ADDR_LIST), LST_(MP_IMAP_F_ENV_BCC, C_ADDR_LIST),
    NSTR_(MP_IMAP_F_ENV_IN_REPLY_TO), NSTR_(MP_IMAP_F_ENV_MESSAGE_ID),
};
/* body-type-1part by index: [1] subtype, [2] params (NIL or a list), [3] id,
 * [4] description, [5] encoding, [6] size; [0] is the encoding that may be
 * NIL (MP_IMAP_Q_NIL_STRING) */
const mp_imap_rg_slot mp_imap_rg_body_1part_slots[7] = {
    STR_(MP_IMAP_F_BODY_ENCODING, A_NSTR), STR_(MP_IMAP_F_BODY_SUBTYPE, A_STR),
    { MP_IMAP_F_BODY_PARAMS, MP_IMAP_F_BODY_PARAMS, C_PARAMS, MP_IMAP_LEX_ATOM,
      MP_IMAP_LEX_WANT_STRING, A_NIL | A_LIST },
    NSTR_(MP_IMAP_F_BODY_ID), NSTR_(MP_IMAP_F_BODY_DESCRIPTION),
    STR_(MP_IMAP_F_BODY_ENCODING, A_STR), STR_(MP_IMAP_F_BODY_SIZE, A_NUM),
};
/* body-fld-param: name value, the value NIL too under MP_IMAP_Q_NIL_STRING */
const mp_imap_rg_slot mp_imap_rg_param_slots[3] = {
    STR_(MP_IMAP_F_PARAM_NAME, A_STR), STRM_(MP_IMAP_F_PARAM_VALUE, A_STR),
    STRM_(MP_IMAP_F_PARAM_VALUE, A_NSTR),
};
#undef WS_
#undef NSTR_
#undef STR_
#undef STRM_
#undef LST_

/* Strings a host reads but the grammar never interprets: there a string
 * longer than max_quoted, quoted or literal, is streamed (LITERAL_BEGIN
 * .. LITERAL_END) instead of refused, so a client takes a 20 KB quoted
 * Subject without a 20 KB buffer.  Names, keywords and values the parser
 * or a session acts on (mailboxes, body types, ID fields ...) stay whole. */
static const uint8_t streamable[MP_IMAP_F_COUNT_] = {
    [MP_IMAP_F_UNKNOWN] = 1, [MP_IMAP_F_EXT] = 1, [MP_IMAP_F_ENV_DATE] = 1,
    [MP_IMAP_F_ENV_SUBJECT] = 1, [MP_IMAP_F_ENV_IN_REPLY_TO] = 1, [MP_IMAP_F_ENV_MESSAGE_ID] = 1,
    [MP_IMAP_F_ADDR_NAME] = 1, [MP_IMAP_F_ADDR_ADL] = 1, [MP_IMAP_F_ADDR_MAILBOX] = 1,
    [MP_IMAP_F_ADDR_HOST] = 1, [MP_IMAP_F_BODY_ID] = 1, [MP_IMAP_F_BODY_DESCRIPTION] = 1,
    [MP_IMAP_F_BODY_MD5] = 1, [MP_IMAP_F_BODY_LOCATION] = 1, [MP_IMAP_F_PARAM_VALUE] = 1,
    [MP_IMAP_F_BODY_SECTION] = 1, [MP_IMAP_F_PREVIEW] = 1, [MP_IMAP_F_META_VALUE] = 1,
    [MP_IMAP_F_URL_DATA] = 1,
};

static void slot_build(const mp_imap_resp_parser *p, const mp_imap_resp_frame_ *f,
                       mp_imap_rg_slot *s);

/* Every position without a constant slot, built in `s`. */
void mp_imap_rg_slot_build(const mp_imap_resp_parser *p, const mp_imap_resp_frame_ *f,
                           mp_imap_rg_slot *s)
{
    slot_build(p, f, s);
    if (streamable[s->field] && (s->acc & (A_STR | A_LIT)))
        s->want |= MP_IMAP_LEX_WANT_STREAM;
}

static void slot_build(const mp_imap_resp_parser *p, const mp_imap_resp_frame_ *f,
                       mp_imap_rg_slot *s)
{
    unsigned i = f->index;
    memset(s, 0, sizeof(*s));
    s->cls = MP_IMAP_LEX_ATOM;
    s->want = MP_IMAP_LEX_WANT_STRING;
    if (f->ctx == C_BODY) {
        body_slot(f, s);
        return;
    }
    switch (f->ctx) {
    case C_TOP_CAPABILITY:
    case C_CODE_CAPABILITY: S(s, MP_IMAP_F_CAPABILITY, A_ATOM | A_NUM); break;
    case C_TOP_FLAGS:
        if (i == 0)
            SL(s, MP_IMAP_F_FLAGS, C_FLAGS, 0);
        break;
    case C_FLAGS:
    case C_PERMFLAGS:
    case C_MBX_ATTRS:
        S(s, f->ctx == C_MBX_ATTRS ? MP_IMAP_F_MBX_ATTR : MP_IMAP_F_FLAG,
          A_FLAG | A_ATOM | A_NUM);
        if (p->quirks & MP_IMAP_Q_FLAG_CHARS)
            s->cls = MP_IMAP_LEX_ASTRING;
        break;
    case C_CODE_PERMFLAGS:
        if (i == 0)
            SL(s, MP_IMAP_F_FLAGS, C_PERMFLAGS, 0);
        break;
    case C_CODE_NUMBER:
        if (i == 0)
            S(s, MP_IMAP_F_CODE_NUMBER, A_NUM);
        break;
    case C_CODE_APPENDUID:
    case C_CODE_COPYUID:
        if (i == 0) {
            S(s, MP_IMAP_F_UIDVALIDITY, A_NUM);
        } else if (i == 1 || (i == 2 && f->ctx == C_CODE_COPYUID)) {
            S(s, i == 1 ? MP_IMAP_F_UID_SET : MP_IMAP_F_UID_SET_DEST, A_SEQ);
            s->cls = MP_IMAP_LEX_SEQSET;
        }
        break;
    case C_CODE_MODIFIED:
        if (i == 0) {
            S(s, MP_IMAP_F_UID_SET, A_SEQ);
            s->cls = MP_IMAP_LEX_SEQSET;
        }
        break;
    case C_CODE_BADCHARSET:
        if (i == 0)
            SL(s, MP_IMAP_F_CHARSETS, C_CHARSETS, 0);
        break;
    case C_CHARSETS: S(s, MP_IMAP_F_CHARSET, A_ASTR); break;
    /* RFC 5465 §8: "BADEVENT" SP "(" event *(SP event) ")" */
    case C_CODE_BADEVENT:
        if (i == 0)
            SL(s, MP_IMAP_F_EVENTS, C_EVENTS, 0);
        break;
    case C_EVENTS: S(s, MP_IMAP_F_EVENT, A_ATOM); break;
    /* RFC 5267 §4.4: "NOUPDATE" SP tag-string */
    case C_CODE_NOUPDATE:
        if (i == 0)
            S(s, MP_IMAP_F_SEARCH_TAG, A_STR);
        break;
    case C_CODE_TEXT:
        if (i == 0) {
            S(s, MP_IMAP_F_CODE_TEXT, A_TEXT);
            s->cls = MP_IMAP_LEX_CODE_TEXT;
        }
        break;
    case C_TOP_LIST:
        if (i == 0) {
            SL(s, MP_IMAP_F_MBX_ATTRS, C_MBX_ATTRS, 0);
        } else if (i == 1) {
            S(s, MP_IMAP_F_DELIMITER, A_NSTR);
        } else if (i == 2) {
            S(s, MP_IMAP_F_MAILBOX, A_ASTR);
            s->cls = MP_IMAP_LEX_ASTRING;
        } else if (i == 3) {
            SL(s, MP_IMAP_F_LIST_EXT, C_LIST_EXT, 0);
        }
        break;
    case C_LIST_EXT:
    case C_GENERIC:
        S(s, f->ctx == C_LIST_EXT ? MP_IMAP_F_EXT : f->field, A_ANY);
        SL(s, f->ctx == C_LIST_EXT ? MP_IMAP_F_EXT : f->field, C_GENERIC, 0);
        s->want = 0;
        break;
    case C_TOP_UNKNOWN:
        S(s, MP_IMAP_F_UNKNOWN, A_ANY);
        SL(s, MP_IMAP_F_UNKNOWN, C_GENERIC, 0);
        s->want = 0;
        break;
    case C_TOP_STATUS:
        if (i == 0) {
            S(s, MP_IMAP_F_MAILBOX, A_ASTR);
            s->cls = MP_IMAP_LEX_ASTRING;
        } else if (i == 1) {
            SL(s, MP_IMAP_F_STATUS_ATTS, C_STATUS_ATTS, 0);
        }
        break;
    case C_STATUS_ATTS:
        /* status-att-val by attribute (value_hook noted it in f->item):
         * RFC 8474 "MAILBOXID" SP "(" objectid ")", RFC 7889
         * "APPENDLIMIT" SP (number / nil), every other a number */
        if (!(i & 1))
            S(s, MP_IMAP_F_STATUS_ATT, A_ATOM);
        else if (f->item == SA_MAILBOXID)
            SL(s, MP_IMAP_F_STATUS_VALUE, C_OBJECTID, 0);
        else
            S(s, MP_IMAP_F_STATUS_VALUE, f->item == SA_APPENDLIMIT ? A_NUM | A_NIL : A_NUM);
        break;
    case C_OBJECTID:
    case C_CODE_MAILBOXID:
        /* objectid = 1*255(ALPHA / DIGIT / "_" / "-") (RFC 8474 §4) */
        if (i == 0 && f->ctx == C_CODE_MAILBOXID)
            SL(s, MP_IMAP_F_OBJECTID, C_OBJECTID, 0);
        else if (i == 0)
            S(s, MP_IMAP_F_OBJECTID, A_ATOM | A_NUM);
        break;
    case C_TOP_SEARCH:
        if (!(f->flags & FF_PREV_LIST)) {
            S(s, MP_IMAP_F_NUMBER, A_NUM);
            SL(s, MP_IMAP_F_MODSEQ, C_SEARCH_MODSEQ, 0);
        }
        break;
    case C_SEARCH_MODSEQ:
        if (i == 0)
            S(s, MP_IMAP_F_MODSEQ_KEY, A_ATOM);
        else if (i == 1)
            S(s, MP_IMAP_F_MODSEQ, A_NUM);
        break;
    case C_TOP_ESEARCH:
        if (f->sub == 0) {
            S(s, MP_IMAP_F_SEARCH_RETURN, A_ATOM);
            if (i == 0)
                SL(s, MP_IMAP_F_SEARCH_CORR, C_ESEARCH_CORR, 0);
        } else {
            S(s, MP_IMAP_F_SEARCH_VALUE, A_NUM | A_SEQ);
            /* a list value (RFC 9394 PARTIAL): its elements are EXT */
            SL(s, MP_IMAP_F_SEARCH_VALUE, C_LIST_EXT, 0);
            s->cls = MP_IMAP_LEX_SEQSET;
        }
        break;
    case C_ESEARCH_CORR:
        S(s, (i & 1) ? MP_IMAP_F_CORR_VALUE : MP_IMAP_F_CORR_NAME, (i & 1) ? A_ASTR : A_ATOM);
        break;
    case C_TOP_NAMESPACE:
        if (i < 3) {
            S(s, MP_IMAP_F_NS_PERSONAL + i, A_NIL);
            SL(s, MP_IMAP_F_NS_PERSONAL + i, C_NS_LIST, 0);
        }
        break;
    case C_NS_LIST: SL(s, MP_IMAP_F_NAMESPACE, C_NS_DESC, 0); break;
    case C_NS_DESC:
        if (i == 0) {
            S(s, MP_IMAP_F_NS_PREFIX, A_STR);
        } else if (i == 1) {
            S(s, MP_IMAP_F_NS_DELIM, A_NSTR);
        } else {
            S(s, MP_IMAP_F_EXT, A_STR);
            SL(s, MP_IMAP_F_EXT, C_GENERIC, 0);
        }
        break;
    case C_TOP_ID:
        if (i == 0) {
            S(s, MP_IMAP_F_ID_PARAMS, A_NIL);
            SL(s, MP_IMAP_F_ID_PARAMS, C_ID, 0);
        }
        break;
    case C_ID:
        S(s, (i & 1) ? MP_IMAP_F_ID_VALUE : MP_IMAP_F_ID_FIELD, (i & 1) ? A_NSTR : A_STR);
        break;
    case C_TOP_QUOTA:
        if (i == 0)
            S(s, MP_IMAP_F_QUOTA_ROOT, A_ASTR);
        else if (i == 1)
            SL(s, MP_IMAP_F_QUOTA_LIST, C_QUOTA_LIST, 0);
        break;
    case C_QUOTA_LIST:
        S(s, i % 3 == 0 ? MP_IMAP_F_QUOTA_RESOURCE
                        : (i % 3 == 1 ? MP_IMAP_F_QUOTA_USAGE : MP_IMAP_F_QUOTA_LIMIT),
          i % 3 == 0 ? A_ATOM : A_NUM);
        break;
    case C_TOP_QUOTAROOT:
        S(s, i == 0 ? MP_IMAP_F_MAILBOX : MP_IMAP_F_QUOTA_ROOT, A_ASTR);
        s->cls = MP_IMAP_LEX_ASTRING;
        break;
    /* RFC 4314 §3.6-3.8: acl-data = "ACL" SP mailbox *(SP identifier SP
     * rights); listrights-data = "LISTRIGHTS" SP mailbox SP identifier SP
     * rights *(SP rights); myrights-data = "MYRIGHTS" SP mailbox SP rights */
    case C_TOP_ACL:
    case C_TOP_LISTRIGHTS:
    case C_TOP_MYRIGHTS:
        S(s, i == 0 ? MP_IMAP_F_MAILBOX
             : (f->ctx == C_TOP_ACL ? (i & 1) : f->ctx == C_TOP_LISTRIGHTS && i == 1)
                 ? MP_IMAP_F_ACL_IDENTIFIER
                 : MP_IMAP_F_ACL_RIGHTS,
          A_ASTR);
        s->cls = MP_IMAP_LEX_ASTRING;
        break;
    /* RFC 4467 §7: genurlauth-data = "GENURLAUTH" 1*(SP url-full);
     * urlfetch-data = "URLFETCH" 1*(SP url SP nstring) */
    case C_TOP_GENURLAUTH:
        S(s, MP_IMAP_F_URL, A_ASTR);
        s->cls = MP_IMAP_LEX_ASTRING;
        break;
    case C_TOP_URLFETCH:
        if (i & 1) {
            S(s, MP_IMAP_F_URL_DATA, A_NSTR | A_LIT);
            s->want = MP_IMAP_LEX_WANT_STREAM; /* message data: streamed */
        } else {
            S(s, MP_IMAP_F_URL, A_ASTR);
            s->cls = MP_IMAP_LEX_ASTRING;
        }
        break;
    case C_CODE_URLMECH: S(s, MP_IMAP_F_URLMECH, A_ATOM); break;
    case C_TOP_METADATA:
        if (i == 0) {
            S(s, MP_IMAP_F_MAILBOX, A_ASTR);
            s->cls = MP_IMAP_LEX_ASTRING;
        } else if (!(f->flags & FF_LISTFIRST)) {
            S(s, MP_IMAP_F_META_ENTRY, A_ASTR);
            if (i == 1)
                SL(s, MP_IMAP_F_META_LIST, C_META, 0);
        }
        break;
    case C_META:
        if (i & 1) {
            S(s, MP_IMAP_F_META_VALUE, A_NSTR | A_LIT);
            s->want = 0;
        } else {
            S(s, MP_IMAP_F_META_ENTRY, A_ASTR);
        }
        break;
    case C_TOP_THREAD: SL(s, MP_IMAP_F_THREAD, C_THREAD, 0); break;
    case C_THREAD:
        S(s, MP_IMAP_F_THREAD_MEMBER, A_NUM);
        SL(s, MP_IMAP_F_THREAD, C_THREAD, 0);
        break;
    case C_TOP_VANISHED:
        s->cls = MP_IMAP_LEX_SEQSET;
        if (i == 0) {
            S(s, MP_IMAP_F_UID_SET, A_SEQ | A_NUM);
            SL(s, MP_IMAP_F_VANISHED_OPTS, C_VANISHED_OPT, 0);
        } else if (i == 1 && (f->flags & FF_LISTFIRST)) {
            S(s, MP_IMAP_F_UID_SET, A_SEQ | A_NUM);
        }
        break;
    case C_VANISHED_OPT: S(s, MP_IMAP_F_EARLIER, A_ATOM); break;
    case C_TOP_FETCH:
        if (i == 0)
            SL(s, MP_IMAP_F_FETCH_ATTS, C_FETCH, 0);
        break;
    case C_FETCH: fetch_value_slot(f, s); break;
    case C_MODSEQ:
        if (i == 0)
            S(s, MP_IMAP_F_MODSEQ, A_NUM);
        break;
    case C_EMAILID:
    case C_THREADID:
        if (i == 0)
            S(s, f->ctx == C_EMAILID ? MP_IMAP_F_EMAILID : MP_IMAP_F_THREADID, A_ATOM | A_NUM);
        break;
    case C_ADDR_LIST: SL(s, MP_IMAP_F_ADDRESS, C_ADDRESS, 0); break;
    case C_DISP:
        if (i == 0) {
            S(s, MP_IMAP_F_DISP_TYPE, A_STR);
        } else if (i == 1) {
            S(s, MP_IMAP_F_BODY_PARAMS, A_NIL);
            SL(s, MP_IMAP_F_BODY_PARAMS, C_PARAMS, 0);
        }
        break;
    case C_LANG: S(s, MP_IMAP_F_BODY_LANGUAGE, A_STR); break;
    default: break;
    }
}

/* Is the frame's list complete (checked at its ")", "]" or CRLF)? */
int mp_imap_rg_complete(const mp_imap_resp_parser *p, const mp_imap_resp_frame_ *f)
{
    unsigned i = f->index;
    switch (f->ctx) {
    case C_TOP_FLAGS: case C_TOP_FETCH: case C_TOP_ID: case C_CODE_PERMFLAGS:
    case C_CODE_NUMBER: case C_CODE_MODIFIED: case C_MODSEQ: case C_EMAILID: case C_THREADID:
    case C_CODE_BADEVENT: case C_CODE_NOUPDATE: case C_OBJECTID: case C_CODE_MAILBOXID:
        return i == 1;
    case C_EVENTS: return i >= 1;
    case C_TOP_LIST: return i >= 3;
    case C_TOP_QUOTA: return i == 2 || (i == 1 && (p->quirks & MP_IMAP_Q_BARE_QUOTA));
    case C_TOP_STATUS: case C_CODE_APPENDUID: case C_SEARCH_MODSEQ:
    case C_DISP:
        return i == 2;
    case C_CODE_COPYUID: return i == 3;
    case C_STATUS_ATTS:
        return (i & 1) == 0 && (i > 0 || (p->quirks & MP_IMAP_Q_EMPTY_STATUS));
    case C_ESEARCH_CORR: case C_PARAMS: return (i & 1) == 0 && i > 0;
    case C_ID: return (i & 1) == 0;
    case C_QUOTA_LIST: return i % 3 == 0;
    case C_TOP_ESEARCH: return f->sub == 0;
    case C_TOP_NAMESPACE: return i == 3;
    case C_NS_DESC: return i >= 2;
    case C_NS_LIST: case C_TOP_QUOTAROOT: case C_THREAD: case C_VANISHED_OPT: case C_LANG:
    case C_ADDR_LIST:
        return i >= 1;
    case C_TOP_METADATA: return i >= 2;
    case C_TOP_ACL: return (i & 1) == 1;
    case C_TOP_LISTRIGHTS: return i >= 3;
    case C_TOP_MYRIGHTS: return i == 2;
    case C_TOP_GENURLAUTH: case C_CODE_URLMECH: return i >= 1;
    case C_TOP_URLFETCH: return i >= 2 && (i & 1) == 0;
    case C_TOP_VANISHED: return (f->flags & FF_LISTFIRST) ? i == 2 : i == 1;
    case C_FETCH: return i >= 1 && f->sub == FS_NAME;
    case C_ENVELOPE: return i == 10;
    case C_ADDRESS: return i == 4;
    case C_BODY:
        if (!(f->flags & BF_DECIDED))
            return 0;
        if (f->flags & BF_MULTI)
            return (f->flags & BF_SUBTYPE) != 0;
        if (f->flags & BF_RFC822)
            return i >= 10;
        return i >= ((f->flags & BF_TEXT) ? 8u : 7u);
    default: return 1;
    }
}

/* Lists that follow one another without a space (RFC 9051: address lists,
 * multipart bodies, namespace descriptors, nested threads). */
int mp_imap_rg_adjacent(const mp_imap_resp_frame_ *f)
{
    return f->ctx == C_ADDR_LIST || f->ctx == C_NS_LIST || f->ctx == C_THREAD ||
           f->ctx == C_TOP_THREAD || (f->ctx == C_BODY && (f->flags & BF_MULTI) &&
                                      !(f->flags & BF_SUBTYPE));
}

/* Note what a value tells about the frame (body types, ESEARCH pairs). */
void mp_imap_rg_value_hook(mp_imap_resp_frame_ *f, unsigned field, const mp_imap_token *t)
{
    if (f->ctx == C_BODY && field == MP_IMAP_F_BODY_TYPE) {
        if (mp_slice_eq_ci(t->text, "TEXT", 4))
            f->flags |= BF_TEXT;
        else if (mp_slice_eq_ci(t->text, "MESSAGE", 7))
            f->flags |= BF_MSG;
    } else if (f->ctx == C_BODY && field == MP_IMAP_F_BODY_SUBTYPE && (f->flags & BF_MSG) &&
               !(f->flags & BF_MULTI)) {
        /* RFC 9051 media-message: MESSAGE/RFC822 and MESSAGE/GLOBAL */
        if (mp_slice_eq_ci(t->text, "RFC822", 6) || mp_slice_eq_ci(t->text, "GLOBAL", 6))
            f->flags |= BF_RFC822;
    } else if (f->ctx == C_TOP_ESEARCH && f->sub == 0 && field == MP_IMAP_F_SEARCH_RETURN) {
        f->sub = 1;
    } else if (f->ctx == C_TOP_ESEARCH && f->sub == 1) {
        f->sub = 0;
    } else if (f->ctx == C_STATUS_ATTS && field == MP_IMAP_F_STATUS_ATT) {
        f->item = mp_slice_eq_ci(t->text, "MAILBOXID", 9) && t->text.len == 9 ? SA_MAILBOXID
                  : mp_slice_eq_ci(t->text, "APPENDLIMIT", 11) && t->text.len == 11
                      ? SA_APPENDLIMIT
                      : SA_NUMBER;
    }
}

unsigned mp_imap_rg_top_ctx(mp_imap_resp_kind k)
{
    switch (k) {
    case MP_IMAP_RESP_CAPABILITY: case MP_IMAP_RESP_ENABLED: return C_TOP_CAPABILITY;
    case MP_IMAP_RESP_FLAGS: return C_TOP_FLAGS;
    case MP_IMAP_RESP_LIST: case MP_IMAP_RESP_LSUB: return C_TOP_LIST;
    case MP_IMAP_RESP_STATUS: return C_TOP_STATUS;
    case MP_IMAP_RESP_SEARCH: case MP_IMAP_RESP_SORT: return C_TOP_SEARCH;
    case MP_IMAP_RESP_ESEARCH: return C_TOP_ESEARCH;
    case MP_IMAP_RESP_NAMESPACE: return C_TOP_NAMESPACE;
    case MP_IMAP_RESP_ID: return C_TOP_ID;
    case MP_IMAP_RESP_QUOTA: return C_TOP_QUOTA;
    case MP_IMAP_RESP_QUOTAROOT: return C_TOP_QUOTAROOT;
    case MP_IMAP_RESP_METADATA: return C_TOP_METADATA;
    case MP_IMAP_RESP_ACL: return C_TOP_ACL;
    case MP_IMAP_RESP_LISTRIGHTS: return C_TOP_LISTRIGHTS;
    case MP_IMAP_RESP_MYRIGHTS: return C_TOP_MYRIGHTS;
    case MP_IMAP_RESP_GENURLAUTH: return C_TOP_GENURLAUTH;
    case MP_IMAP_RESP_URLFETCH: return C_TOP_URLFETCH;
    case MP_IMAP_RESP_THREAD: return C_TOP_THREAD;
    case MP_IMAP_RESP_VANISHED: return C_TOP_VANISHED;
    case MP_IMAP_RESP_FETCH: return C_TOP_FETCH;
    case MP_IMAP_RESP_EXISTS: case MP_IMAP_RESP_RECENT: case MP_IMAP_RESP_EXPUNGE:
        return C_TOP_NONE;
    default: return C_TOP_UNKNOWN;
    }
}

unsigned mp_imap_rg_code_ctx(mp_imap_code c)
{
    switch (c) {
    case MP_IMAP_CODE_CAPABILITY: return C_CODE_CAPABILITY;
    case MP_IMAP_CODE_PERMANENTFLAGS: return C_CODE_PERMFLAGS;
    case MP_IMAP_CODE_UIDNEXT: case MP_IMAP_CODE_UIDVALIDITY: case MP_IMAP_CODE_UNSEEN:
    case MP_IMAP_CODE_HIGHESTMODSEQ:
        return C_CODE_NUMBER;
    case MP_IMAP_CODE_APPENDUID: return C_CODE_APPENDUID;
    case MP_IMAP_CODE_COPYUID: return C_CODE_COPYUID;
    case MP_IMAP_CODE_MODIFIED: return C_CODE_MODIFIED;
    case MP_IMAP_CODE_BADCHARSET: return C_CODE_BADCHARSET;
    case MP_IMAP_CODE_BADEVENT: return C_CODE_BADEVENT;
    case MP_IMAP_CODE_MAILBOXID: return C_CODE_MAILBOXID;
    case MP_IMAP_CODE_URLMECH: return C_CODE_URLMECH;
    case MP_IMAP_CODE_REFERRAL: return C_CODE_TEXT;
    case MP_IMAP_CODE_NOUPDATE: return C_CODE_NOUPDATE;
    case MP_IMAP_CODE_UNKNOWN: case MP_IMAP_CODE_METADATA:
    case MP_IMAP_CODE_APPENDLIMIT: case MP_IMAP_CODE_BADURL:
        return C_CODE_TEXT;
    default: return C_CODE_NONE;
    }
}

int mp_imap_rg_is_status(mp_imap_resp_kind k)
{
    return k == MP_IMAP_RESP_OK || k == MP_IMAP_RESP_NO || k == MP_IMAP_RESP_BAD ||
           k == MP_IMAP_RESP_PREAUTH || k == MP_IMAP_RESP_BYE;
}
