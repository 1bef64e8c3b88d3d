/* IMAP response parser (client side), RFC 9051 §7 and §9 with RFC 3501
 * and the extensions named in imap.h.
 *
 * The tokenizer (lex.c) delivers whole tokens; this file is a token-driven
 * state machine.  A line is either a status response (resp-cond-state,
 * resp-cond-bye, greeting, continuation) handled by the line states below,
 * or a data response: a sequence of values and parenthesized lists walked
 * with an explicit stack of frames.  Each frame knows its context (which
 * grammar rule its list is) and its element index; slot() maps (context,
 * index) to the field, the accepted token kinds and the child context of a
 * list, so the grammar reads as a table of positions. */
#include <string.h>

#include "lex.h"
#include "mailproto/imap.h"

/* Line states. */
enum line_state {
    L_START = 0,    /* tag, "*" or "+" */
    L_UNTAGGED_SP,
    L_UNTAGGED_NAME,
    L_NUM_SP,
    L_NUM_NAME,
    L_TAGGED_SP,
    L_TAGGED_NAME,
    L_CONT,         /* after "+" */
    L_STATUS_SP,    /* after OK/NO/BAD/BYE/PREAUTH: SP or CRLF */
    L_TEXT_START,   /* "[" code or text */
    L_CODE_NAME,
    L_CODE,         /* inside the code: frame walker, ends at "]" */
    L_AFTER_CODE,   /* SP text or CRLF */
    L_TEXT,
    L_EXPECT_CRLF,
    L_DATA,         /* frame walker, ends at CRLF */
    L_SKIP          /* after an error: waiting for the end of the line */
};

/* Frame contexts. */
enum ctx {
    C_TOP_NONE = 0, C_TOP_CAPABILITY, C_TOP_FLAGS, C_TOP_LIST, C_TOP_STATUS, C_TOP_SEARCH,
    C_TOP_ESEARCH, C_TOP_NAMESPACE, C_TOP_ID, C_TOP_QUOTA, C_TOP_QUOTAROOT, C_TOP_METADATA,
    C_TOP_THREAD, C_TOP_VANISHED, C_TOP_FETCH, C_TOP_UNKNOWN,
    C_CODE_NONE, C_CODE_CAPABILITY, C_CODE_PERMFLAGS, C_CODE_NUMBER, C_CODE_APPENDUID,
    C_CODE_COPYUID, C_CODE_MODIFIED, C_CODE_BADCHARSET, C_CODE_TEXT,
    C_GENERIC, C_FLAGS, C_PERMFLAGS, C_CHARSETS, C_MBX_ATTRS, C_LIST_EXT, C_STATUS_ATTS,
    C_SEARCH_MODSEQ, C_ESEARCH_CORR, C_NS_LIST, C_NS_DESC, C_ID, C_QUOTA_LIST, C_META,
    C_THREAD, C_VANISHED_OPT, C_FETCH, C_MODSEQ, C_EMAILID, C_THREADID, C_ENVELOPE,
    C_ADDR_LIST, C_ADDRESS, C_BODY, C_PARAMS, C_DISP, C_LANG
};

/* Separator state of a frame. */
enum { S_OPEN = 0, S_AFTER, S_NEED };

/* Frame flags: bits 0..5 for C_BODY, bit 7 for every frame. */
enum {
    BF_MULTI = 1, BF_TEXT = 2, BF_MSG = 4, BF_RFC822 = 8, BF_SUBTYPE = 16, BF_DECIDED = 32,
    FF_LISTFIRST = 64, /* C_TOP_VANISHED: the first element was (EARLIER) */
    FF_PREV_LIST = 128 /* the last element was a list */
};

/* FETCH frame sub-states (msg-att, RFC 9051 §9). */
enum { FS_NAME = 0, FS_AFTER_NAME, FS_SECTION, FS_SECTION_SP, FS_SECTION_HDRS, FS_SECTION_END,
       FS_AFTER_SECTION, FS_ORIGIN, FS_ORIGIN_END, FS_AFTER_ORIGIN, FS_VALUE };

/* FETCH items. */
enum { IT_UNKNOWN = 0, IT_FLAGS, IT_ENVELOPE, IT_BODYSTRUCTURE, IT_BODY, IT_BINARY,
       IT_BINARY_SIZE, IT_RFC822_TEXT, IT_INTERNALDATE, IT_RFC822_SIZE, IT_UID, IT_MODSEQ,
       IT_EMAILID, IT_THREADID, IT_PREVIEW, IT_SAVEDATE, IT_SECTION };

/* Accepted token kinds at a position. */
enum {
    A_NUM = 1, A_ATOM = 2, A_STR = 4, A_NIL = 8, A_FLAG = 16, A_LIST = 32, A_LIT = 64,
    A_TEXT = 128, A_SEQ = 256,
    A_ASTR = A_NUM | A_ATOM | A_STR,
    A_NSTR = A_STR | A_NIL,
    A_ANY = A_NUM | A_ATOM | A_STR | A_NIL | A_FLAG | A_LIST | A_LIT
};

typedef struct slot {
    uint8_t field;  /* value field */
    uint8_t lfield; /* field of a list here */
    uint8_t child;  /* context of a list here */
    uint8_t cls;    /* lexer class */
    uint8_t want;   /* lexer expectation */
    uint16_t acc;   /* A_* */
} slot;

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

static int eq_ci(mp_slice s, const char *w)
{
    size_t n = strlen(w);
    return n > 0 && mp_slice_eq_ci(s, w, n);
}

static mp_imap_resp_kind lookup_resp(mp_slice s)
{
    unsigned k;
    for (k = 1; k < MP_IMAP_RESP_COUNT_; k++)
        if (k != MP_IMAP_RESP_CONTINUE && eq_ci(s, resp_words[k]))
            return (mp_imap_resp_kind)k;
    return MP_IMAP_RESP_UNKNOWN;
}

static mp_imap_code lookup_code(mp_slice s)
{
    unsigned k;
    for (k = 2; k < MP_IMAP_CODE_COUNT_; k++)
        if (eq_ci(s, code_words[k]))
            return (mp_imap_code)k;
    return MP_IMAP_CODE_UNKNOWN;
}

static const struct {
    const char *name;
    uint8_t item;
} fetch_items[] = {
    {"FLAGS", IT_FLAGS},       {"ENVELOPE", IT_ENVELOPE},       {"BODYSTRUCTURE", IT_BODYSTRUCTURE},
    {"BODY", IT_BODY},         {"BINARY", IT_BINARY},           {"BINARY.SIZE", IT_BINARY_SIZE},
    {"RFC822", IT_RFC822_TEXT}, {"RFC822.HEADER", IT_RFC822_TEXT}, {"RFC822.TEXT", IT_RFC822_TEXT},
    {"INTERNALDATE", IT_INTERNALDATE}, {"RFC822.SIZE", IT_RFC822_SIZE}, {"UID", IT_UID},
    {"MODSEQ", IT_MODSEQ},     {"EMAILID", IT_EMAILID},         {"THREADID", IT_THREADID},
    {"PREVIEW", IT_PREVIEW},   {"SAVEDATE", IT_SAVEDATE},
};

static uint8_t lookup_item(mp_slice s)
{
    size_t k;
    for (k = 0; k < sizeof(fetch_items) / sizeof(fetch_items[0]); k++)
        if (eq_ci(s, fetch_items[k].name))
            return fetch_items[k].item;
    return IT_UNKNOWN;
}

/* ---- init -------------------------------------------------------------- */

static unsigned lex_flags(unsigned mode, unsigned quirks)
{
    unsigned f = 0;
    if (quirks & MP_IMAP_Q_LF_LINES)
        f |= MP_IMAP_LEX_LF;
    if ((mode & (MP_IMAP_UTF8 | MP_IMAP_REV2)) || (quirks & MP_IMAP_Q_8BIT_TEXT))
        f |= MP_IMAP_LEX_8BIT;
    if (mode & MP_IMAP_REV2)
        f |= MP_IMAP_LEX_REV2;
    return f;
}

mp_status mp_imap_resp_init(mp_imap_resp_parser *p, char *buf, size_t cap,
                            const mp_imap_resp_config *cfg, const mp_imap_resp_callbacks *cb,
                            void *user)
{
    mp_imap_resp_config none;
    mp_imap_limits lim;
    mp_status st;
    if (p == NULL || cb == NULL || cb->on_event == NULL)
        return MP_ERR_ARG;
    if (cfg == NULL) {
        memset(&none, 0, sizeof(none));
        cfg = &none;
    }
    memset(p, 0, sizeof(*p));
    lim = cfg->limits;
    if (lim.max_depth == 0 || lim.max_depth > MP_IMAP_MAX_DEPTH)
        lim.max_depth = (uint16_t)MP_IMAP_MAX_DEPTH;
    /* A server sends as many literals as the FETCH asked for. */
    if (lim.max_literals == 0)
        lim.max_literals = 0xffffu;
    st = mp_imap_lex_init(&p->lx, buf, cap, &lim, lex_flags(cfg->mode, cfg->quirks));
    if (st != MP_OK)
        return st;
    p->cb = cb;
    p->user = user;
    p->mode = cfg->mode;
    p->quirks = cfg->quirks;
    p->max_depth = lim.max_depth;
    p->state = L_START;
    return MP_OK;
}

void mp_imap_resp_set_mode(mp_imap_resp_parser *p, unsigned mode)
{
    p->mode = mode;
    mp_imap_lex_set_flags(&p->lx, lex_flags(mode, p->quirks));
}

size_t mp_imap_resp_pending(const mp_imap_resp_parser *p) { return mp_imap_lex_pending(&p->lx); }

/* ---- events ------------------------------------------------------------ */

/* Callback result of the last event: 0, pause or abort. */
static int emit(mp_imap_resp_parser *p, mp_imap_ev type, unsigned field, const mp_imap_token *t,
                mp_imap_vtype vt)
{
    mp_imap_resp_event ev;
    int r;
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.resp = (mp_imap_resp_kind)p->resp;
    ev.field = (mp_imap_field)field;
    ev.code = (mp_imap_code)p->code;
    ev.vtype = vt;
    ev.depth = p->sp > 0 ? (unsigned)p->sp - 1u : 0u;
    if (t) {
        ev.str = t->text;
        ev.num = t->num;
        ev.offset = t->offset;
        if (t->flags & MP_IMAP_TOKF_BINARY)
            ev.flags |= MP_IMAP_EVF_BINARY;
        if (t->flags & MP_IMAP_TOKF_LITERAL)
            ev.flags |= MP_IMAP_EVF_LITERAL;
    }
    if (vt == MP_IMAP_V_NIL)
        ev.str = mp_slice_make("NIL", 3); /* canonical, whatever the case sent */
    if (field == MP_IMAP_F_MAILBOX && !(p->mode & (MP_IMAP_UTF8 | MP_IMAP_REV2)))
        ev.flags |= MP_IMAP_EVF_MUTF7;
    if (type == MP_IMAP_EV_ERROR)
        ev.err = &p->err;
    if (type == MP_IMAP_EV_BEGIN && p->numbered)
        ev.flags |= MP_IMAP_EVF_NUMBERED;
    r = p->cb->on_event(p->user, &ev);
    if (r < 0)
        p->aborted = 2;
    else if (r > 0 && p->aborted == 0)
        p->aborted = 1;
    return r;
}

static void emit_begin(mp_imap_resp_parser *p, mp_imap_resp_kind k, uint64_t off)
{
    mp_imap_token t;
    memset(&t, 0, sizeof(t));
    p->resp = (uint8_t)k;
    t.text = mp_slice_make(p->tag, p->taglen);
    t.num = p->msgno;
    t.offset = off;
    emit(p, MP_IMAP_EV_BEGIN, 0, &t, MP_IMAP_V_NONE);
}

/* A grammar error at token `t`: report it, give up the line. */
static void gram_error(mp_imap_resp_parser *p, mp_status code, const char *rule,
                       const mp_imap_token *t)
{
    p->err.code = code;
    p->err.offset = t->offset;
    p->err.rule = rule;
    p->nerrors++;
    emit(p, MP_IMAP_EV_ERROR, 0, t, MP_IMAP_V_NONE);
    p->sp = 0;
    p->bskip = 0;
    p->code = 0;
    if (t->kind == MP_IMAP_TOK_CRLF) {
        p->state = L_START;
        p->resp = 0;
        return;
    }
    mp_imap_lex_skip_line(&p->lx);
    p->state = L_SKIP;
}

/* ---- frames ------------------------------------------------------------ */

static mp_imap_resp_frame_ *top(mp_imap_resp_parser *p) { return &p->stack[p->sp - 1]; }

static void push(mp_imap_resp_parser *p, unsigned ctx, unsigned field, unsigned sep)
{
    mp_imap_resp_frame_ *f = &p->stack[p->sp++];
    memset(f, 0, sizeof(*f));
    f->ctx = (uint8_t)ctx;
    f->field = (uint8_t)field;
    f->sep = (uint8_t)sep;
}

static void S(slot *s, unsigned field, unsigned acc)
{
    s->field = (uint8_t)field;
    s->acc = (uint16_t)acc;
}
static void SL(slot *s, unsigned lfield, unsigned child, unsigned acc)
{
    s->lfield = (uint8_t)lfield;
    s->child = (uint8_t)child;
    s->acc = (uint16_t)(s->acc | acc | A_LIST);
}

/* The body fields of a single part after size (RFC 9051 body-ext-1part,
 * body-ext-mpart after their fixed fields): e is the extension index. */
static void body_ext(slot *s, unsigned e, int multi)
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

static void body_slot(const mp_imap_resp_parser *p, const mp_imap_resp_frame_ *f, slot *s)
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
    switch (i) {
    case 1: S(s, MP_IMAP_F_BODY_SUBTYPE, A_STR); return;
    case 2:
        S(s, MP_IMAP_F_BODY_PARAMS, A_NIL);
        SL(s, MP_IMAP_F_BODY_PARAMS, C_PARAMS, 0);
        return;
    case 3: S(s, MP_IMAP_F_BODY_ID, A_NSTR); return;
    case 4: S(s, MP_IMAP_F_BODY_DESCRIPTION, A_NSTR); return;
    case 5:
        S(s, MP_IMAP_F_BODY_ENCODING, A_STR | ((p->quirks & MP_IMAP_Q_NIL_STRING) ? A_NIL : 0));
        return;
    case 6: S(s, MP_IMAP_F_BODY_SIZE, A_NUM); return;
    default: break;
    }
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

static void fetch_value_slot(const mp_imap_resp_frame_ *f, slot *s)
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

/* What may come at the next element position of frame f. */
static void slot_of(const mp_imap_resp_parser *p, const mp_imap_resp_frame_ *f, slot *s)
{
    unsigned i = f->index;
    memset(s, 0, sizeof(*s));
    s->cls = MP_IMAP_LEX_ATOM;
    s->want = MP_IMAP_LEX_WANT_STRING;
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
        S(s, (i & 1) ? MP_IMAP_F_STATUS_VALUE : MP_IMAP_F_STATUS_ATT, (i & 1) ? A_NUM : A_ATOM);
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
    case C_ENVELOPE:
        /* RFC 9051 envelope: date subject from sender reply-to to cc bcc
         * in-reply-to message-id */
        if (i < 2 || i == 8 || i == 9) {
            static const uint8_t f4[10] = { MP_IMAP_F_ENV_DATE, MP_IMAP_F_ENV_SUBJECT, 0, 0, 0,
                                            0, 0, 0, MP_IMAP_F_ENV_IN_REPLY_TO,
                                            MP_IMAP_F_ENV_MESSAGE_ID };
            S(s, f4[i], A_NSTR);
        } else if (i < 8) {
            S(s, MP_IMAP_F_ENV_FROM + (i - 2), A_NIL);
            SL(s, MP_IMAP_F_ENV_FROM + (i - 2), C_ADDR_LIST, 0);
        }
        break;
    case C_ADDR_LIST: SL(s, MP_IMAP_F_ADDRESS, C_ADDRESS, 0); break;
    case C_ADDRESS:
        if (i < 4)
            S(s, MP_IMAP_F_ADDR_NAME + i, A_NSTR);
        break;
    case C_BODY: body_slot(p, f, s); break;
    case C_PARAMS:
        if (i & 1)
            S(s, MP_IMAP_F_PARAM_VALUE,
              A_STR | ((p->quirks & MP_IMAP_Q_NIL_STRING) ? A_NIL : 0));
        else
            S(s, MP_IMAP_F_PARAM_NAME, A_STR);
        break;
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
static int complete(const mp_imap_resp_parser *p, const mp_imap_resp_frame_ *f)
{
    unsigned i = f->index;
    switch (f->ctx) {
    case C_TOP_FLAGS: case C_TOP_FETCH: case C_TOP_ID: case C_CODE_PERMFLAGS:
    case C_CODE_NUMBER: case C_CODE_MODIFIED: case C_MODSEQ: case C_EMAILID: case C_THREADID:
        return i == 1;
    case C_TOP_LIST: return i >= 3;
    case C_TOP_STATUS: case C_TOP_QUOTA: case C_CODE_APPENDUID: case C_SEARCH_MODSEQ:
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
static int adjacent_ctx(const mp_imap_resp_frame_ *f)
{
    return f->ctx == C_ADDR_LIST || f->ctx == C_NS_LIST || f->ctx == C_THREAD ||
           f->ctx == C_TOP_THREAD || (f->ctx == C_BODY && (f->flags & BF_MULTI) &&
                                      !(f->flags & BF_SUBTYPE));
}

static int in_body(const mp_imap_resp_parser *p, uint16_t *base)
{
    uint16_t k;
    for (k = 0; k < p->sp; k++)
        if (p->stack[k].ctx == C_BODY) {
            *base = k;
            return 1;
        }
    return 0;
}

/* An element of frame f ended (value, literal or list). */
static void advance(mp_imap_resp_parser *p, mp_imap_resp_frame_ *f, unsigned field, int list)
{
    (void)p;
    if (f->ctx == C_BODY) {
        if (!(f->flags & BF_DECIDED)) {
            f->flags |= BF_DECIDED;
            if (list)
                f->flags |= BF_MULTI;
        }
        if ((f->flags & BF_MULTI) && !list && field == MP_IMAP_F_BODY_SUBTYPE &&
            !(f->flags & BF_SUBTYPE)) {
            f->flags |= BF_SUBTYPE;
            f->sub = 0;
        } else if ((f->flags & BF_MULTI) && (f->flags & BF_SUBTYPE)) {
            f->sub++;
        }
    }
    if (f->ctx == C_TOP_METADATA && f->index == 1 && list)
        f->flags |= FF_LISTFIRST;
    if (f->ctx == C_TOP_VANISHED && f->index == 0 && list)
        f->flags |= FF_LISTFIRST;
    if (f->ctx == C_FETCH)
        f->sub = FS_NAME;
    if (f->ctx == C_TOP_ESEARCH && list)
        f->sub = 0; /* a list closes a name/value pair, or is the correlator */
    if (f->index < 0xffffu)
        f->index++;
    f->sep = S_AFTER;
    if (list)
        f->flags |= FF_PREV_LIST;
    else
        f->flags &= (uint8_t)~FF_PREV_LIST;
}

/* Note what a value tells about the frame (body types, ESEARCH pairs). */
static void value_hook(mp_imap_resp_frame_ *f, unsigned field, const mp_imap_token *t)
{
    if (f->ctx == C_BODY && field == MP_IMAP_F_BODY_TYPE) {
        if (eq_ci(t->text, "TEXT"))
            f->flags |= BF_TEXT;
        else if (eq_ci(t->text, "MESSAGE"))
            f->flags |= BF_MSG;
    } else if (f->ctx == C_BODY && field == MP_IMAP_F_BODY_SUBTYPE && (f->flags & BF_MSG) &&
               !(f->flags & BF_MULTI)) {
        /* RFC 9051 media-message: MESSAGE/RFC822 and MESSAGE/GLOBAL */
        if (eq_ci(t->text, "RFC822") || eq_ci(t->text, "GLOBAL"))
            f->flags |= BF_RFC822;
    } else if (f->ctx == C_TOP_ESEARCH && f->sub == 0 && field == MP_IMAP_F_SEARCH_RETURN) {
        f->sub = 1;
    } else if (f->ctx == C_TOP_ESEARCH && f->sub == 1) {
        f->sub = 0;
    }
}

static void fail(mp_imap_resp_parser *p, mp_status code, const char *rule,
                 const mp_imap_token *t);

/* Handle one element token (value, "(" or literal begin) in frame f. */
static void element(mp_imap_resp_parser *p, const mp_imap_token *t)
{
    mp_imap_resp_frame_ *f = top(p);
    slot s;
    unsigned acc, field;
    mp_imap_vtype vt = MP_IMAP_V_NONE;
    int is_list = t->kind == MP_IMAP_TOK_LPAREN;

    /* separators: SP between elements, except between adjacent lists */
    if (f->sep == S_AFTER) {
        if (!(is_list && (f->flags & FF_PREV_LIST) && adjacent_ctx(f))) {
            fail(p, MP_ERR_IMAP_RESPONSE, "RFC 9051 SP", t);
            return;
        }
    } else if (f->sep == S_NEED && is_list && (f->flags & FF_PREV_LIST) && adjacent_ctx(f) &&
               f->index > 0 && !(p->quirks & MP_IMAP_Q_LIST_SPACES)) {
        fail(p, MP_ERR_IMAP_RESPONSE, "RFC 9051 lists without SP", t);
        return;
    }
    slot_of(p, f, &s);
    acc = s.acc;
    field = s.field;
    switch (t->kind) {
    case MP_IMAP_TOK_LPAREN:
        if (!(acc & A_LIST))
            break;
        if (p->sp >= p->max_depth + 1u) {
            gram_error(p, MP_ERR_IMAP_DEPTH, "MP_IMAP_MAX_DEPTH", t);
            return;
        }
        f->sep = S_AFTER; /* restored by advance() at ")" */
        emit(p, MP_IMAP_EV_LIST_BEGIN, s.lfield, t, MP_IMAP_V_NONE);
        push(p, s.child, s.lfield, S_OPEN);
        return;
    case MP_IMAP_TOK_LITERAL_BEGIN:
        if (!(acc & A_LIT))
            break;
        emit(p, MP_IMAP_EV_LITERAL_BEGIN, field, t, MP_IMAP_V_NONE);
        /* the payload and its end arrive as the next tokens */
        p->inlit = 1;
        p->litfield = (uint8_t)field;
        return;
    case MP_IMAP_TOK_NUMBER:
        if (acc & (A_NUM | A_SEQ))
            vt = MP_IMAP_V_NUMBER;
        else if (acc & A_ATOM)
            vt = MP_IMAP_V_ATOM;
        break;
    case MP_IMAP_TOK_ATOM:
        if (acc & (A_ATOM | A_SEQ))
            vt = MP_IMAP_V_ATOM;
        break;
    case MP_IMAP_TOK_NIL:
        if (acc & A_NIL)
            vt = MP_IMAP_V_NIL;
        else if (acc & A_ATOM)
            vt = MP_IMAP_V_ATOM;
        break;
    case MP_IMAP_TOK_STRING:
        if (acc & A_STR)
            vt = MP_IMAP_V_STRING;
        break;
    case MP_IMAP_TOK_FLAG:
        if (acc & A_FLAG) {
            vt = MP_IMAP_V_FLAG;
            /* "\*" only in PERMANENTFLAGS (flag-perm) */
            if (t->text.len == 2 && t->text.ptr[1] == '*' && f->ctx != C_PERMFLAGS &&
                !(p->quirks & MP_IMAP_Q_STAR_IN_FLAGS))
                vt = MP_IMAP_V_NONE;
        }
        break;
    case MP_IMAP_TOK_TEXT:
        /* resp-text-code: atom [SP 1*<any TEXT-CHAR except "]">] */
        if ((acc & A_TEXT) && t->text.len > 0)
            vt = MP_IMAP_V_TEXT;
        break;
    default: break;
    }
    if (vt == MP_IMAP_V_NONE) {
        fail(p, MP_ERR_IMAP_RESPONSE, "RFC 9051 value", t);
        return;
    }
    if (f->ctx == C_TOP_ESEARCH && f->sub == 0 && vt == MP_IMAP_V_ATOM && f->index <= 1 &&
        eq_ci(t->text, "UID") && !(f->flags & BF_SUBTYPE)) {
        field = MP_IMAP_F_SEARCH_UID;
        f->flags |= BF_SUBTYPE; /* (reused bit) at most one UID */
        emit(p, MP_IMAP_EV_VALUE, field, t, vt);
        advance(p, f, field, 0);
        return;
    }
    value_hook(f, field, t);
    emit(p, MP_IMAP_EV_VALUE, field, t, vt);
    advance(p, f, field, 0);
}

/* A grammar error inside a BODYSTRUCTURE: with MP_IMAP_Q_BAD_BODYSTRUCTURE
 * report it and skip that item to its closing ")"; else a line error. */
static void body_skip(mp_imap_resp_parser *p, const mp_imap_token *t);

static void fail(mp_imap_resp_parser *p, mp_status code, const char *rule,
                 const mp_imap_token *t)
{
    uint16_t base = 0;
    if (!in_body(p, &base)) {
        gram_error(p, code, rule, t);
        return;
    }
    if (!(p->quirks & MP_IMAP_Q_BAD_BODYSTRUCTURE) || t->kind == MP_IMAP_TOK_CRLF) {
        gram_error(p, MP_ERR_IMAP_BODYSTRUCTURE, rule, t);
        return;
    }
    p->err.code = MP_ERR_IMAP_BODYSTRUCTURE;
    p->err.offset = t->offset;
    p->err.rule = rule;
    p->nerrors++;
    emit(p, MP_IMAP_EV_ERROR, 0, t, MP_IMAP_V_NONE);
    p->bbase = base;
    p->bskip = (uint16_t)(p->sp - base); /* open lists from the body's own */
    body_skip(p, t);
}

static void body_skip(mp_imap_resp_parser *p, const mp_imap_token *t)
{
    switch (t->kind) {
    case MP_IMAP_TOK_LPAREN:
        p->bskip++;
        break;
    case MP_IMAP_TOK_RPAREN:
        if (--p->bskip == 0) {
            p->sp = p->bbase;
            advance(p, top(p), MP_IMAP_F_BODY, 1);
        }
        break;
    case MP_IMAP_TOK_CRLF:
        p->bskip = 0;
        gram_error(p, MP_ERR_IMAP_BODYSTRUCTURE, "RFC 9051 body: unterminated", t);
        break;
    default:
        break; /* skipped, literals included */
    }
}


static void close_list(mp_imap_resp_parser *p, const mp_imap_token *t)
{
    mp_imap_resp_frame_ *f = top(p);
    unsigned field = f->field;
    if (p->sp <= 1) {
        gram_error(p, MP_ERR_IMAP_RESPONSE, "RFC 9051 unbalanced )", t);
        return;
    }
    if (f->sep == S_NEED && !(p->quirks & MP_IMAP_Q_TRAILING_SPACE)) {
        fail(p, MP_ERR_IMAP_RESPONSE, "RFC 9051 SP before )", t);
        return;
    }
    if (!complete(p, f)) {
        fail(p, MP_ERR_IMAP_RESPONSE, "RFC 9051 list incomplete", t);
        return;
    }
    p->sp--;
    emit(p, MP_IMAP_EV_LIST_END, field, t, MP_IMAP_V_NONE);
    advance(p, top(p), field, 1);
}

static int flag_ctx(const mp_imap_resp_frame_ *f)
{
    return f->ctx == C_FLAGS || f->ctx == C_PERMFLAGS || f->ctx == C_MBX_ATTRS;
}

/* msg-att names: BODY[section]<origin>, BINARY[...], BINARY.SIZE[...]. */
static void fetch_att(mp_imap_resp_parser *p, mp_imap_resp_frame_ *f, const mp_imap_token *t)
{
    mp_imap_token e;
    switch (f->sub) {
    case FS_NAME:
        if (t->kind != MP_IMAP_TOK_ATOM || f->sep == S_AFTER)
            break;
        f->item = lookup_item(t->text);
        f->flags &= (uint8_t)~FF_LISTFIRST;
        emit(p, MP_IMAP_EV_VALUE, MP_IMAP_F_FETCH_ITEM, t, MP_IMAP_V_ATOM);
        f->sub = FS_AFTER_NAME;
        return;
    case FS_AFTER_NAME:
        if (t->kind == MP_IMAP_TOK_SP) {
            f->sub = FS_VALUE;
            f->sep = S_NEED;
            return;
        }
        if (t->kind == MP_IMAP_TOK_LBRACKET &&
            (f->item == IT_BODY || f->item == IT_BINARY || f->item == IT_BINARY_SIZE)) {
            if (f->item != IT_BINARY_SIZE)
                f->item = IT_SECTION;
            f->sub = FS_SECTION;
            return;
        }
        break;
    case FS_SECTION:
        if ((t->kind == MP_IMAP_TOK_ATOM || t->kind == MP_IMAP_TOK_NUMBER) &&
            !(f->flags & FF_LISTFIRST)) {
            f->flags |= FF_LISTFIRST;
            emit(p, MP_IMAP_EV_VALUE, MP_IMAP_F_SECTION, t, MP_IMAP_V_ATOM);
            return;
        }
        /* section-msgtext: "HEADER.FIELDS" [".NOT"] SP header-list */
        if (t->kind == MP_IMAP_TOK_SP && (f->flags & FF_LISTFIRST)) {
            f->sub = FS_SECTION_SP;
            return;
        }
        if (t->kind == MP_IMAP_TOK_RBRACKET) {
            if (!(f->flags & FF_LISTFIRST)) {
                e = *t;
                e.text = mp_slice_make(t->text.ptr, 0);
                emit(p, MP_IMAP_EV_VALUE, MP_IMAP_F_SECTION, &e, MP_IMAP_V_ATOM);
            }
            f->sub = FS_AFTER_SECTION;
            return;
        }
        break;
    case FS_SECTION_SP:
        if (t->kind == MP_IMAP_TOK_LPAREN) {
            f->sub = FS_SECTION_HDRS;
            return;
        }
        break;
    case FS_SECTION_END:
        if (t->kind == MP_IMAP_TOK_RBRACKET) {
            f->sub = FS_AFTER_SECTION;
            return;
        }
        break;
    case FS_SECTION_HDRS:
        if (t->kind == MP_IMAP_TOK_ATOM || t->kind == MP_IMAP_TOK_NUMBER ||
            t->kind == MP_IMAP_TOK_STRING) {
            emit(p, MP_IMAP_EV_VALUE, MP_IMAP_F_SECTION_HEADER, t,
                 t->kind == MP_IMAP_TOK_STRING ? MP_IMAP_V_STRING : MP_IMAP_V_ATOM);
            return;
        }
        if (t->kind == MP_IMAP_TOK_SP)
            return;
        if (t->kind == MP_IMAP_TOK_RPAREN) {
            f->sub = FS_SECTION_END;
            return;
        }
        break;
    case FS_AFTER_SECTION:
    case FS_AFTER_ORIGIN:
        if (t->kind == MP_IMAP_TOK_SP) {
            f->sub = FS_VALUE;
            f->sep = S_NEED;
            return;
        }
        if (f->sub == FS_AFTER_SECTION && t->kind == MP_IMAP_TOK_PUNCT && t->punct == '<') {
            f->sub = FS_ORIGIN;
            return;
        }
        break;
    case FS_ORIGIN:
        if (t->kind == MP_IMAP_TOK_NUMBER) {
            emit(p, MP_IMAP_EV_VALUE, MP_IMAP_F_PARTIAL, t, MP_IMAP_V_NUMBER);
            f->sub = FS_ORIGIN_END;
            return;
        }
        break;
    case FS_ORIGIN_END:
        if (t->kind == MP_IMAP_TOK_PUNCT && t->punct == '>') {
            f->sub = FS_AFTER_ORIGIN;
            return;
        }
        break;
    default:
        break;
    }
    gram_error(p, MP_ERR_IMAP_RESPONSE, "RFC 9051 msg-att", t);
}

/* The frame walker: data responses (ends at CRLF) and response codes (ends
 * at "]"). */
static void walk(mp_imap_resp_parser *p, const mp_imap_token *t)
{
    mp_imap_resp_frame_ *f = top(p);
    if (p->inlit) {
        if (t->kind == MP_IMAP_TOK_LITERAL_CHUNK) {
            emit(p, MP_IMAP_EV_LITERAL_CHUNK, p->litfield, t, MP_IMAP_V_NONE);
        } else if (t->kind == MP_IMAP_TOK_LITERAL_END) {
            p->inlit = 0;
            emit(p, MP_IMAP_EV_LITERAL_END, p->litfield, t, MP_IMAP_V_NONE);
            advance(p, f, p->litfield, 0);
        }
        return;
    }
    if (p->bskip) {
        body_skip(p, t);
        return;
    }
    if (f->ctx == C_FETCH && f->sub != FS_VALUE &&
        !(f->sub == FS_NAME && (t->kind == MP_IMAP_TOK_SP || t->kind == MP_IMAP_TOK_RPAREN))) {
        fetch_att(p, f, t);
        return;
    }
    switch (t->kind) {
    case MP_IMAP_TOK_SP:
        if (f->sep == S_AFTER) {
            f->sep = S_NEED;
            return;
        }
        if ((f->sep == S_NEED && p->sp == 1 && (p->quirks & MP_IMAP_Q_TRAILING_SPACE)) ||
            (flag_ctx(f) && (p->quirks & MP_IMAP_Q_FLAG_CHARS)))
            return;
        fail(p, MP_ERR_IMAP_RESPONSE, "RFC 9051 SP", t);
        return;
    case MP_IMAP_TOK_RPAREN:
        close_list(p, t);
        return;
    case MP_IMAP_TOK_CRLF:
    case MP_IMAP_TOK_RBRACKET:
        if (p->sp != 1 || (t->kind == MP_IMAP_TOK_CRLF) != (p->state == L_DATA)) {
            fail(p, MP_ERR_IMAP_RESPONSE, "RFC 9051 unexpected end", t);
            return;
        }
        if (f->sep == S_NEED && !(p->quirks & MP_IMAP_Q_TRAILING_SPACE)) {
            gram_error(p, MP_ERR_IMAP_RESPONSE, "RFC 9051 trailing SP", t);
            return;
        }
        if (!complete(p, f)) {
            gram_error(p, MP_ERR_IMAP_RESPONSE, "RFC 9051 response incomplete", t);
            return;
        }
        p->sp = 0;
        if (t->kind == MP_IMAP_TOK_CRLF) {
            emit(p, MP_IMAP_EV_END, 0, t, MP_IMAP_V_NONE);
            p->state = L_START;
        } else {
            emit(p, MP_IMAP_EV_CODE_END, 0, t, MP_IMAP_V_NONE);
            p->code = 0;
            p->state = L_AFTER_CODE;
        }
        return;
    default:
        element(p, t);
        return;
    }
}

/* ---- lines ------------------------------------------------------------- */

static unsigned top_ctx(mp_imap_resp_kind k)
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
    case MP_IMAP_RESP_THREAD: return C_TOP_THREAD;
    case MP_IMAP_RESP_VANISHED: return C_TOP_VANISHED;
    case MP_IMAP_RESP_FETCH: return C_TOP_FETCH;
    case MP_IMAP_RESP_EXISTS: case MP_IMAP_RESP_RECENT: case MP_IMAP_RESP_EXPUNGE:
        return C_TOP_NONE;
    default: return C_TOP_UNKNOWN;
    }
}

static unsigned code_ctx(mp_imap_code c)
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
    case MP_IMAP_CODE_UNKNOWN: case MP_IMAP_CODE_METADATA: case MP_IMAP_CODE_MAILBOXID:
    case MP_IMAP_CODE_APPENDLIMIT:
        return C_CODE_TEXT;
    default: return C_CODE_NONE;
    }
}

static int is_status(mp_imap_resp_kind k)
{
    return k == MP_IMAP_RESP_OK || k == MP_IMAP_RESP_NO || k == MP_IMAP_RESP_BAD ||
           k == MP_IMAP_RESP_PREAUTH || k == MP_IMAP_RESP_BYE;
}

static void line_token(mp_imap_resp_parser *p, const mp_imap_token *t)
{
    mp_imap_resp_kind k;
    switch (p->state) {
    case L_SKIP:
        if (t->kind == MP_IMAP_TOK_CRLF) {
            p->state = L_START;
            p->resp = 0;
        }
        return;
    case L_START:
        p->resp = 0;
        p->code = 0;
        p->msgno = 0;
        p->numbered = 0;
        p->taglen = 0;
        p->sp = 0;
        p->inlit = 0;
        p->bskip = 0;
        if (t->kind == MP_IMAP_TOK_PUNCT && t->punct == '*') {
            p->state = L_UNTAGGED_SP;
            return;
        }
        if (t->kind == MP_IMAP_TOK_PUNCT && t->punct == '+') {
            emit_begin(p, MP_IMAP_RESP_CONTINUE, t->offset);
            p->state = L_CONT;
            return;
        }
        if (t->kind == MP_IMAP_TOK_ATOM || t->kind == MP_IMAP_TOK_NUMBER ||
            t->kind == MP_IMAP_TOK_NIL) {
            if (t->text.len > MP_IMAP_MAX_TAG) {
                gram_error(p, MP_ERR_IMAP_TAG_TOO_LONG, "MP_IMAP_MAX_TAG", t);
                return;
            }
            memcpy(p->tag, t->text.ptr, t->text.len);
            p->taglen = (uint8_t)t->text.len;
            p->state = L_TAGGED_SP;
            return;
        }
        gram_error(p, MP_ERR_IMAP_TAG, "RFC 9051 response", t);
        return;
    case L_UNTAGGED_SP:
    case L_NUM_SP:
    case L_TAGGED_SP:
        if (t->kind != MP_IMAP_TOK_SP)
            break;
        p->state = (uint8_t)(p->state + 1);
        return;
    case L_UNTAGGED_NAME:
        if (t->kind == MP_IMAP_TOK_NUMBER) {
            p->msgno = t->num;
            p->numbered = 1;
            p->state = L_NUM_SP;
            return;
        }
        if (t->kind != MP_IMAP_TOK_ATOM)
            break;
        k = lookup_resp(t->text);
        if (is_status(k)) {
            emit_begin(p, k, t->offset);
            p->state = L_STATUS_SP;
            return;
        }
        if (k == MP_IMAP_RESP_EXISTS || k == MP_IMAP_RESP_RECENT ||
            k == MP_IMAP_RESP_EXPUNGE || k == MP_IMAP_RESP_FETCH)
            break; /* these need a message number */
        emit_begin(p, k, t->offset);
        if (k == MP_IMAP_RESP_UNKNOWN)
            emit(p, MP_IMAP_EV_VALUE, MP_IMAP_F_UNKNOWN, t, MP_IMAP_V_ATOM);
        push(p, top_ctx(k), 0, S_AFTER);
        p->state = L_DATA;
        return;
    case L_NUM_NAME:
        if (t->kind != MP_IMAP_TOK_ATOM)
            break;
        k = lookup_resp(t->text);
        if (k != MP_IMAP_RESP_EXISTS && k != MP_IMAP_RESP_RECENT &&
            k != MP_IMAP_RESP_EXPUNGE && k != MP_IMAP_RESP_FETCH)
            k = MP_IMAP_RESP_UNKNOWN;
        emit_begin(p, k, t->offset);
        if (k == MP_IMAP_RESP_UNKNOWN)
            emit(p, MP_IMAP_EV_VALUE, MP_IMAP_F_UNKNOWN, t, MP_IMAP_V_ATOM);
        push(p, top_ctx(k), 0, S_AFTER);
        p->state = L_DATA;
        return;
    case L_TAGGED_NAME:
        if (t->kind != MP_IMAP_TOK_ATOM)
            break;
        k = lookup_resp(t->text);
        if (k != MP_IMAP_RESP_OK && k != MP_IMAP_RESP_NO && k != MP_IMAP_RESP_BAD)
            break;
        emit_begin(p, k, t->offset);
        p->state = L_STATUS_SP;
        return;
    case L_CONT:
        if (t->kind == MP_IMAP_TOK_SP) {
            p->state = L_TEXT_START;
            return;
        }
        if (t->kind == MP_IMAP_TOK_CRLF && (p->quirks & MP_IMAP_Q_BARE_CONTINUE)) {
            emit(p, MP_IMAP_EV_END, 0, t, MP_IMAP_V_NONE);
            p->state = L_START;
            return;
        }
        break;
    case L_STATUS_SP:
    case L_AFTER_CODE:
        if (t->kind == MP_IMAP_TOK_SP) {
            p->state = p->state == L_STATUS_SP ? L_TEXT_START : L_TEXT;
            return;
        }
        if (t->kind == MP_IMAP_TOK_CRLF) { /* RFC 9051: text is optional */
            emit(p, MP_IMAP_EV_END, 0, t, MP_IMAP_V_NONE);
            p->state = L_START;
            return;
        }
        break;
    case L_TEXT_START:
        if (t->kind == MP_IMAP_TOK_LBRACKET) {
            p->state = L_CODE_NAME;
            return;
        }
        /* fall through */
    case L_TEXT:
        if (t->kind != MP_IMAP_TOK_TEXT)
            break;
        emit(p, MP_IMAP_EV_TEXT, 0, t, MP_IMAP_V_NONE);
        p->state = L_EXPECT_CRLF;
        return;
    case L_CODE_NAME:
        if (t->kind != MP_IMAP_TOK_ATOM)
            break;
        p->code = (uint8_t)lookup_code(t->text);
        emit(p, MP_IMAP_EV_CODE, 0, t, MP_IMAP_V_ATOM);
        push(p, code_ctx((mp_imap_code)p->code), 0, S_AFTER);
        p->state = L_CODE;
        return;
    case L_EXPECT_CRLF:
        if (t->kind != MP_IMAP_TOK_CRLF)
            break;
        emit(p, MP_IMAP_EV_END, 0, t, MP_IMAP_V_NONE);
        p->state = L_START;
        return;
    case L_CODE:
    case L_DATA:
        walk(p, t);
        return;
    default:
        break;
    }
    gram_error(p, MP_ERR_IMAP_RESPONSE, "RFC 9051 response", t);
}

/* Tell the tokenizer what the next token is made of. */
static void set_expect(mp_imap_resp_parser *p)
{
    mp_imap_lex_class cls = MP_IMAP_LEX_ATOM;
    unsigned want = 0;
    switch (p->state) {
    case L_START: cls = MP_IMAP_LEX_TAG; break;
    case L_TEXT_START: cls = MP_IMAP_LEX_RESP_TEXT; break;
    case L_TEXT: cls = MP_IMAP_LEX_TEXT; break;
    case L_CODE:
    case L_DATA: {
        mp_imap_resp_frame_ *f;
        slot s;
        if (p->inlit || p->bskip || p->sp == 0)
            break;
        f = top(p);
        if (f->ctx == C_FETCH && f->sub != FS_VALUE) {
            if (f->sub == FS_NAME || f->sub == FS_AFTER_NAME)
                cls = MP_IMAP_LEX_FETCH_ATT;
            else if (f->sub == FS_SECTION_HDRS) {
                cls = MP_IMAP_LEX_ASTRING;
                want = MP_IMAP_LEX_WANT_STRING;
            } else
                cls = MP_IMAP_LEX_SECTION;
            break;
        }
        if (f->sep == S_AFTER)
            break;
        slot_of(p, f, &s);
        cls = (mp_imap_lex_class)s.cls;
        want = s.want;
        break;
    }
    default: break;
    }
    mp_imap_lex_expect(&p->lx, cls, want);
}

mp_status mp_imap_resp_feed(mp_imap_resp_parser *p, const char *in, size_t len, size_t *used)
{
    size_t off = 0;
    if (p == NULL || used == NULL || (in == NULL && len > 0))
        return MP_ERR_ARG;
    *used = 0;
    if (p->aborted == 2)
        return MP_ERR_ABORTED;
    p->aborted = 0;
    if (in == NULL)
        in = "";
    for (;;) {
        mp_imap_token t;
        size_t u = 0;
        mp_status st;
        set_expect(p);
        st = mp_imap_lex_next(&p->lx, in + off, len - off, &u, &t);
        off += u;
        if (st == MP_NEED_MORE) {
            *used = off;
            return MP_NEED_MORE;
        }
        if (st != MP_OK) {
            /* The tokenizer skips the rest of the line by itself. */
            p->err = p->lx.err;
            p->nerrors++;
            t.kind = MP_IMAP_TOK_NONE;
            t.text = mp_slice_make(NULL, 0);
            t.offset = p->err.offset;
            t.num = 0;
            t.flags = 0;
            emit(p, MP_IMAP_EV_ERROR, 0, &t, MP_IMAP_V_NONE);
            p->state = L_SKIP;
            p->sp = 0;
            p->bskip = 0;
            p->inlit = 0;
        } else {
            line_token(p, &t);
        }
        if (p->aborted == 2) {
            *used = off;
            return MP_ERR_ABORTED;
        }
        if (p->aborted == 1) {
            p->aborted = 0;
            *used = off;
            return MP_PAUSED;
        }
    }
}
