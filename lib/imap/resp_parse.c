/* IMAP response parser (client side), RFC 9051 §7 and §9 with RFC 3501
 * and the extensions named in imap.h.
 *
 * The tokenizer (lex.c) delivers whole tokens; this file is a token-driven
 * state machine.  A line is either a status response (resp-cond-state,
 * resp-cond-bye, greeting, continuation) handled by the line states below,
 * or a data response: a sequence of values and parenthesized lists walked
 * with an explicit stack of frames.  Each frame knows its context (which
 * grammar rule its list is) and its element index; resp_grammar.c maps (context,
 * index) to the field, the accepted token kinds and the child context of a
 * list, so the grammar reads as a table of positions. */
#include <string.h>

#include "lex_fast.h"
#include "resp_grammar.h"

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


/* ---- init -------------------------------------------------------------- */

static unsigned lex_flags(unsigned mode, unsigned quirks)
{
    unsigned f = 0;
    if (quirks & MP_IMAP_Q_LF_LINES)
        f |= MP_IMAP_LEX_LF;
    if (mode & (MP_IMAP_UTF8 | MP_IMAP_REV2))
        f |= MP_IMAP_LEX_8BIT;
    /* Latin-1 or raw header bytes: any 8-bit, not checked as UTF-8 */
    if (quirks & MP_IMAP_Q_8BIT_TEXT)
        f |= MP_IMAP_LEX_8BIT_RAW;
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
    /* every field set once, no memset: this runs for every value */
    ev.type = type;
    ev.resp = (mp_imap_resp_kind)p->resp;
    ev.field = (mp_imap_field)field;
    ev.code = (mp_imap_code)p->code;
    ev.vtype = vt;
    ev.depth = p->sp > 0 ? (unsigned)p->sp - 1u : 0u;
    ev.flags = 0;
    ev.err = NULL;
    if (t) {
        ev.str = t->text;
        ev.num = t->num;
        ev.offset = t->offset;
        if (t->flags & (MP_IMAP_TOKF_BINARY | MP_IMAP_TOKF_LITERAL | MP_IMAP_TOKF_QUOTED))
            ev.flags = ((t->flags & MP_IMAP_TOKF_BINARY) ? (unsigned)MP_IMAP_EVF_BINARY : 0u) |
                       ((t->flags & MP_IMAP_TOKF_LITERAL) ? (unsigned)MP_IMAP_EVF_LITERAL : 0u) |
                       ((t->flags & MP_IMAP_TOKF_QUOTED) ? (unsigned)MP_IMAP_EVF_QUOTED : 0u);
    } else {
        ev.str = mp_slice_make(NULL, 0);
        ev.num = 0;
        ev.offset = 0;
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

/* One event from token t at the current depth (p->sp > 0, t != NULL), for
 * VALUE (the commonest event) and LIST_BEGIN / LIST_END, built without the
 * checks that concern other events. Inline so both callers keep their own
 * straight-line copy on the FETCH hot path (vt is constant for lists). */
static inline void emit_tok(mp_imap_resp_parser *p, mp_imap_ev type, unsigned field,
                            const mp_imap_token *t, mp_imap_vtype vt)
{
    mp_imap_resp_event ev;
    int r;
    ev.type = type;
    ev.resp = (mp_imap_resp_kind)p->resp;
    ev.field = (mp_imap_field)field;
    ev.code = (mp_imap_code)p->code;
    ev.vtype = vt;
    ev.depth = (unsigned)p->sp - 1u;
    ev.str = vt == MP_IMAP_V_NIL ? mp_slice_make("NIL", 3) : t->text;
    ev.num = t->num;
    ev.offset = t->offset;
    ev.err = NULL;
    ev.flags = 0;
    if (t->flags & (MP_IMAP_TOKF_BINARY | MP_IMAP_TOKF_LITERAL))
        ev.flags = ((t->flags & MP_IMAP_TOKF_BINARY) ? (unsigned)MP_IMAP_EVF_BINARY : 0u) |
                   ((t->flags & MP_IMAP_TOKF_LITERAL) ? (unsigned)MP_IMAP_EVF_LITERAL : 0u);
    if (field == MP_IMAP_F_MAILBOX && !(p->mode & (MP_IMAP_UTF8 | MP_IMAP_REV2)))
        ev.flags |= MP_IMAP_EVF_MUTF7;
    r = p->cb->on_event(p->user, &ev);
    if (r < 0)
        p->aborted = 2;
    else if (r > 0 && p->aborted == 0)
        p->aborted = 1;
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
    mp_error_set(&p->err, code, t->offset, rule);
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
static void advance_ctx(mp_imap_resp_frame_ *f, unsigned field, int list)
{
    switch (f->ctx) {
    case C_BODY:
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
        break;
    case C_TOP_METADATA:
        if (f->index == 1 && list)
            f->flags |= FF_LISTFIRST;
        break;
    case C_TOP_VANISHED:
        if (f->index == 0 && list)
            f->flags |= FF_LISTFIRST;
        break;
    case C_FETCH:
        f->sub = FS_NAME;
        break;
    case C_TOP_ESEARCH:
        if (list)
            f->sub = 0; /* a list closes a name/value pair, or is the correlator */
        break;
    default:
        break;
    }
}

/* Contexts whose frames note something when an element ends. */
#define ADVANCE_CTX_ ((UINT64_C(1) << C_BODY) | (UINT64_C(1) << C_TOP_METADATA) | \
                      (UINT64_C(1) << C_TOP_VANISHED) | (UINT64_C(1) << C_FETCH) |  \
                      (UINT64_C(1) << C_TOP_ESEARCH))

static inline void advance(mp_imap_resp_parser *p, mp_imap_resp_frame_ *f, unsigned field, int list)
{
    (void)p;
    if ((UINT64_C(1) << f->ctx) & ADVANCE_CTX_)
        advance_ctx(f, field, list);
    if (f->index < 0xffffu)
        f->index++;
    f->sep = S_AFTER;
    if (list)
        f->flags |= FF_PREV_LIST;
    else
        f->flags &= (uint8_t)~FF_PREV_LIST;
}


static void fail(mp_imap_resp_parser *p, mp_status code, const char *rule,
                 const mp_imap_token *t);

/* The value type of token t at a position accepting `acc` in frame f, or
 * MP_IMAP_V_NONE when it does not belong there. */
static inline mp_imap_vtype value_type(const mp_imap_resp_parser *p, const mp_imap_resp_frame_ *f,
                                unsigned acc, const mp_imap_token *t)
{
    switch (t->kind) {
    case MP_IMAP_TOK_NUMBER:
        if (acc & (A_NUM | A_SEQ))
            return MP_IMAP_V_NUMBER;
        return (acc & A_ATOM) ? MP_IMAP_V_ATOM : MP_IMAP_V_NONE;
    case MP_IMAP_TOK_ATOM:
        return (acc & (A_ATOM | A_SEQ)) ? MP_IMAP_V_ATOM : MP_IMAP_V_NONE;
    case MP_IMAP_TOK_NIL:
        if (acc & A_NIL)
            return MP_IMAP_V_NIL;
        return (acc & A_ATOM) ? MP_IMAP_V_ATOM : MP_IMAP_V_NONE;
    case MP_IMAP_TOK_STRING:
        return (acc & A_STR) ? MP_IMAP_V_STRING : MP_IMAP_V_NONE;
    case MP_IMAP_TOK_FLAG:
        if (!(acc & A_FLAG))
            return MP_IMAP_V_NONE;
        /* "\*" only in PERMANENTFLAGS (flag-perm) */
        if (t->text.len == 2 && t->text.ptr[1] == '*' && f->ctx != C_PERMFLAGS &&
            !(p->quirks & MP_IMAP_Q_STAR_IN_FLAGS))
            return MP_IMAP_V_NONE;
        return MP_IMAP_V_FLAG;
    case MP_IMAP_TOK_TEXT:
        /* resp-text-code: atom [SP 1*<any TEXT-CHAR except "]">] */
        return ((acc & A_TEXT) && t->text.len > 0) ? MP_IMAP_V_TEXT : MP_IMAP_V_NONE;
    default:
        return MP_IMAP_V_NONE;
    }
}

/* Contexts whose values need element()'s own checks (ESEARCH UID, ID
 * limits): the hot loop leaves them to it. */
#define COLD_CTX_ ((UINT64_C(1) << C_TOP_ESEARCH) | (UINT64_C(1) << C_ID))

/* Contexts whose values tell the frame something (mp_imap_rg_value_hook):
 * body types, ESEARCH pairs, STATUS attributes. */
#define HOOK_CTX_ \
    ((UINT64_C(1) << C_BODY) | (UINT64_C(1) << C_TOP_ESEARCH) | (UINT64_C(1) << C_STATUS_ATTS))

/* A value of type vt (not NONE) for `field` in frame f, past every check
 * of its context but those of COLD_CTX_: note it, report it, step on. */
static inline void value_event(mp_imap_resp_parser *p, mp_imap_resp_frame_ *f,
                               const mp_imap_token *t, unsigned field, mp_imap_vtype vt)
{
    /* only body types, ESEARCH pairs and STATUS attributes tell the frame
     * anything */
    if (((UINT64_C(1) << f->ctx) & HOOK_CTX_) &&
        (f->ctx != C_BODY || field == MP_IMAP_F_BODY_TYPE || field == MP_IMAP_F_BODY_SUBTYPE))
        mp_imap_rg_value_hook(f, field, t);
    emit_tok(p, MP_IMAP_EV_VALUE, field, t, vt);
    advance(p, f, field, 0);
}

/* "(" accepted at slot s of frame f (separator, depth checked): open the
 * child list. */
static inline void open_list(mp_imap_resp_parser *p, mp_imap_resp_frame_ *f,
                             const mp_imap_token *t, const mp_imap_rg_slot *s)
{
    f->sep = S_AFTER; /* restored by advance() at ")" */
    emit_tok(p, MP_IMAP_EV_LIST_BEGIN, s->lfield, t, MP_IMAP_V_NONE);
    push(p, s->child, s->lfield, S_OPEN);
}

/* "(" where lists follow one another: without SP after a list in
 * adjacent-list contexts, else with SP (unless MP_IMAP_Q_LIST_SPACES). */
static int list_sep_ok(const mp_imap_resp_parser *p, const mp_imap_resp_frame_ *f)
{
    if (f->sep == S_AFTER)
        return (f->flags & FF_PREV_LIST) && mp_imap_rg_adjacent(f);
    return !(f->sep == S_NEED && (f->flags & FF_PREV_LIST) && mp_imap_rg_adjacent(f) &&
             f->index > 0 && !(p->quirks & MP_IMAP_Q_LIST_SPACES));
}

/* Handle one element token (value, "(" or literal begin) in frame f.
 * `known` is the slot set_expect() derived for this position, or NULL. */
static void element(mp_imap_resp_parser *p, mp_imap_resp_frame_ *f, const mp_imap_token *t,
                    const mp_imap_rg_slot *known)
{
    mp_imap_rg_slot own;
    const mp_imap_rg_slot *s = known;
    unsigned acc, field;
    mp_imap_vtype vt;

    /* separators: SP between elements, except between adjacent lists */
    if (t->kind == MP_IMAP_TOK_LPAREN ? !list_sep_ok(p, f) : f->sep == S_AFTER) {
        fail(p, MP_ERR_IMAP_RESPONSE,
             MP_RULE_(f->sep == S_AFTER ? "RFC 9051 SP" : "RFC 9051 lists without SP"), t);
        return;
    }
    if (s == NULL)
        s = mp_imap_rg_slot_of(p, f, &own);
    acc = s->acc;
    field = s->field;
    if (t->kind == MP_IMAP_TOK_LPAREN) {
        if (!(acc & A_LIST)) {
            fail(p, MP_ERR_IMAP_RESPONSE, MP_RULE_("RFC 9051 value"), t);
            return;
        }
        if (p->sp >= p->max_depth + 1u) {
            gram_error(p, MP_ERR_IMAP_DEPTH, "MP_IMAP_MAX_DEPTH", t);
            return;
        }
        open_list(p, f, t, s);
        return;
    }
    /* a streamed literal, or a string too long to assemble where the
     * grammar streams it (one contract for quoted and literal, lex.h) */
    if (t->kind == MP_IMAP_TOK_LITERAL_BEGIN &&
        ((acc & A_LIT) || (s->want & MP_IMAP_LEX_WANT_STREAM))) {
        emit(p, MP_IMAP_EV_LITERAL_BEGIN, field, t, MP_IMAP_V_NONE);
        /* the payload and its end arrive as the next tokens */
        p->inlit = 1;
        p->litfield = (uint8_t)field;
        return;
    }
    vt = value_type(p, f, acc, t);
    if (vt == MP_IMAP_V_NONE) {
        fail(p, MP_ERR_IMAP_RESPONSE, MP_RULE_("RFC 9051 value"), t);
        return;
    }
    if (f->ctx == C_TOP_ESEARCH && f->sub == 0 && vt == MP_IMAP_V_ATOM && f->index <= 1 &&
        mp_imap_rg_eq_ci(t->text, "UID") && !(f->flags & BF_SUBTYPE)) {
        field = MP_IMAP_F_SEARCH_UID;
        f->flags |= BF_SUBTYPE; /* (reused bit) at most one UID */
        emit(p, MP_IMAP_EV_VALUE, field, t, vt);
        advance(p, f, field, 0);
        return;
    }
    /* RFC 2971 §3.3: at most 30 pairs, fields of 30 and values of 1024 */
    if (f->ctx == C_ID &&
        (f->index >= 2u * MP_IMAP_MAX_ID_PAIRS ||
         (field == MP_IMAP_F_ID_FIELD && t->text.len > MP_IMAP_MAX_ID_FIELD) ||
         (field == MP_IMAP_F_ID_VALUE && t->text.len > MP_IMAP_MAX_ID_VALUE))) {
        gram_error(p, MP_ERR_IMAP_ID_LIMIT, MP_RULE_("RFC 2971 3.3"), t);
        return;
    }
    value_event(p, f, t, field, vt);
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
    mp_error_set(&p->err, MP_ERR_IMAP_BODYSTRUCTURE, t->offset, rule);
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
        gram_error(p, MP_ERR_IMAP_BODYSTRUCTURE, MP_RULE_("RFC 9051 body: unterminated"), t);
        break;
    default:
        break; /* skipped, literals included */
    }
}


/* ")" of the top frame, a complete list: close it. */
static inline void pop_list(mp_imap_resp_parser *p, const mp_imap_token *t)
{
    unsigned field = top(p)->field;
    p->sp--;
    emit_tok(p, MP_IMAP_EV_LIST_END, field, t, MP_IMAP_V_NONE);
    advance(p, top(p), field, 1);
}

static void close_list(mp_imap_resp_parser *p, const mp_imap_token *t)
{
    mp_imap_resp_frame_ *f = top(p);
    if (p->sp <= 1) {
        gram_error(p, MP_ERR_IMAP_RESPONSE, MP_RULE_("RFC 9051 unbalanced )"), t);
        return;
    }
    if (f->sep == S_NEED && !(p->quirks & MP_IMAP_Q_TRAILING_SPACE)) {
        fail(p, MP_ERR_IMAP_RESPONSE, MP_RULE_("RFC 9051 SP before )"), t);
        return;
    }
    if (!mp_imap_rg_complete(p, f)) {
        fail(p, MP_ERR_IMAP_RESPONSE, MP_RULE_("RFC 9051 list incomplete"), t);
        return;
    }
    pop_list(p, t);
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
        f->item = mp_imap_rg_lookup_item(t->text);
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
    gram_error(p, MP_ERR_IMAP_RESPONSE, MP_RULE_("RFC 9051 msg-att"), t);
}

/* The frame walker: data responses (ends at CRLF) and response codes (ends
 * at "]"). */
static void walk(mp_imap_resp_parser *p, const mp_imap_token *t, const mp_imap_rg_slot *known,
                 int plain)
{
    mp_imap_resp_frame_ *f = top(p);
    /* plain: the caller saw no literal, no body skip, no msg-att name */
    if (!plain) {
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
        fail(p, MP_ERR_IMAP_RESPONSE, MP_RULE_("RFC 9051 SP"), t);
        return;
    case MP_IMAP_TOK_RPAREN:
        close_list(p, t);
        return;
    case MP_IMAP_TOK_CRLF:
    case MP_IMAP_TOK_RBRACKET:
        if (p->sp != 1 || (t->kind == MP_IMAP_TOK_CRLF) != (p->state == L_DATA)) {
            fail(p, MP_ERR_IMAP_RESPONSE, MP_RULE_("RFC 9051 unexpected end"), t);
            return;
        }
        if (f->sep == S_NEED && !(p->quirks & MP_IMAP_Q_TRAILING_SPACE)) {
            gram_error(p, MP_ERR_IMAP_RESPONSE, MP_RULE_("RFC 9051 trailing SP"), t);
            return;
        }
        if (!mp_imap_rg_complete(p, f)) {
            gram_error(p, MP_ERR_IMAP_RESPONSE, MP_RULE_("RFC 9051 response incomplete"), t);
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
        element(p, f, t, known);
        return;
    }
}

/* Frames the hot loop walks: all but a msg-att name and COLD_CTX_. */
static inline int hot_frame(const mp_imap_resp_frame_ *f)
{
    return f->ctx == C_FETCH ? f->sub == FS_VALUE : ((UINT64_C(1) << f->ctx) & COLD_CTX_) == 0;
}

/*
 * The hot loop of a data response: inside its lists, the tokens a FETCH
 * sync is made of (SP, "(", ")", quoted strings, atoms, numbers, NIL,
 * flags) read and walked in place, without the token round trip of
 * mp_imap_resp_feed().  It takes a token only where the walker above
 * would accept it and mp_imap_lex_fast_token_() would read it, and does
 * what they would do (the same lexer bookkeeping, the same events, through
 * the same functions); anything else (the end of the input or of the
 * line, msg-att names, literals, limits, errors, quirks, the contexts of
 * COLD_CTX_) is left to them.  Returns the bytes consumed.
 */
static size_t hot_run(mp_imap_resp_parser *p, const char *in, size_t len)
{
    mp_imap_lex *lx = &p->lx;
    mp_imap_resp_frame_ *f;
    uint64_t pos = lx->pos, start = lx->tok_start;
    size_t off = 0, end = len;
    if (p->state != L_DATA || p->inlit || p->bskip || p->sp == 0 ||
        lx->state != MP_IMAP_LEX_ST_START_ || lx->line_len >= lx->max_line)
        return 0;
    /* a token must end before the last byte of the input or of the line's
     * room, as in mp_imap_lex_fast_token_() (the line grows with off: no
     * literal, no line end is taken here) */
    if (end > (size_t)(lx->max_line - lx->line_len))
        end = (size_t)(lx->max_line - lx->line_len);
    f = top(p);
    while (hot_frame(f)) {
        mp_imap_token t;
        mp_imap_rg_slot scratch;
        const mp_imap_rg_slot *s;
        mp_imap_vtype vt;
        size_t n, k;
        unsigned char c;
        if (end - off < 2)
            break;
        c = (unsigned char)in[off];
        if (c == ' ') {
            if (f->sep != S_AFTER)
                break;
            f->sep = S_NEED;
            start = pos++;
            off++;
            if (end - off < 2)
                break;
            c = (unsigned char)in[off];
        }
        n = end - off - 1;
        t.offset = pos;
        t.num = 0;
        t.punct = 0;
        t.flags = 0;
        if (c == ')') {
            /* close_list() without its failures */
            if (f->sep == S_NEED || p->sp <= 1 || !mp_imap_rg_complete(p, f))
                break;
            if (lx->depth > 0)
                lx->depth--;
            t.kind = MP_IMAP_TOK_RPAREN;
            t.text = mp_slice_make(NULL, 0);
            k = 1;
        } else if (c == '(') {
            if (!list_sep_ok(p, f))
                break;
            s = mp_imap_rg_slot_of(p, f, &scratch);
            if (!(s->acc & A_LIST) || p->sp >= p->max_depth + 1u || lx->depth >= lx->max_depth)
                break;
            lx->depth++;
            t.kind = MP_IMAP_TOK_LPAREN;
            t.text = mp_slice_make(NULL, 0);
            k = 1;
        } else {
            if (f->sep == S_AFTER)
                break;
            s = mp_imap_rg_slot_of(p, f, &scratch);
            if (c == '"') {
                if (!(s->acc & A_STR) || (k = mp_imap_lex_scan_quoted_(lx, in + off, n)) == 0)
                    break;
                t.kind = MP_IMAP_TOK_STRING;
                t.text = mp_slice_make(in + off + 1, k - 2);
                vt = MP_IMAP_V_STRING;
            } else {
                if (s->cls > MP_IMAP_LEX_SECTION)
                    break;
                if (c == '\\') {
                    if ((k = mp_imap_lex_scan_flag_(lx, in + off, n, s->cls)) == 0)
                        break;
                    t.kind = MP_IMAP_TOK_FLAG;
                    t.text = mp_slice_make(in + off, k);
                } else {
                    unsigned mask = 1u << s->cls;
                    /* "~{" starts a literal8: the byte-level path reads any "~" */
                    if (!(mp_imap_lex_class_table_[c] & mask) || c == '~')
                        break;
                    k = mp_imap_lex_class_run_(in + off, n, mask);
                    if (k >= n || k > lx->max_atom)
                        break;
                    mp_imap_lex_finish_atom_(&t, in + off, k);
                }
                if ((vt = value_type(p, f, s->acc, &t)) == MP_IMAP_V_NONE)
                    break;
            }
            start = pos;
            pos += k;
            off += k;
            value_event(p, f, &t, s->field, vt);
            if (p->aborted != 0)
                break;
            continue;
        }
        start = pos;
        pos += k;
        off += k;
        if (c == ')')
            pop_list(p, &t);
        else
            open_list(p, f, &t, s);
        f = top(p);
        if (p->aborted != 0)
            break;
    }
    if (off > 0)
        mp_imap_lex_took_(lx, start, pos, off);
    return off;
}

/* ---- lines ------------------------------------------------------------- */


/* The response a name announces in the current mode: IMAP4rev2 has no
 * RECENT response (RFC 9051 Appendix E), so there it is an unknown one,
 * delivered as such. */
static mp_imap_resp_kind lookup_resp(const mp_imap_resp_parser *p, mp_slice name)
{
    mp_imap_resp_kind k = mp_imap_rg_lookup_resp(name);
    if (k == MP_IMAP_RESP_RECENT && (p->mode & MP_IMAP_REV2))
        return MP_IMAP_RESP_UNKNOWN;
    return k;
}

static void line_token(mp_imap_resp_parser *p, const mp_imap_token *t,
                       const mp_imap_rg_slot *known, int plain)
{
    mp_imap_resp_kind k;
    if (plain || p->state == L_DATA || p->state == L_CODE) {
        walk(p, t, known, plain);
        return;
    }
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
        gram_error(p, MP_ERR_IMAP_TAG, MP_RULE_("RFC 9051 response"), t);
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
        k = lookup_resp(p, t->text);
        if (mp_imap_rg_is_status(k)) {
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
        push(p, mp_imap_rg_top_ctx(k), 0, S_AFTER);
        p->state = L_DATA;
        return;
    case L_NUM_NAME:
        if (t->kind != MP_IMAP_TOK_ATOM)
            break;
        k = lookup_resp(p, t->text);
        if (k != MP_IMAP_RESP_EXISTS && k != MP_IMAP_RESP_RECENT &&
            k != MP_IMAP_RESP_EXPUNGE && k != MP_IMAP_RESP_FETCH)
            k = MP_IMAP_RESP_UNKNOWN;
        emit_begin(p, k, t->offset);
        if (k == MP_IMAP_RESP_UNKNOWN)
            emit(p, MP_IMAP_EV_VALUE, MP_IMAP_F_UNKNOWN, t, MP_IMAP_V_ATOM);
        push(p, mp_imap_rg_top_ctx(k), 0, S_AFTER);
        p->state = L_DATA;
        return;
    case L_TAGGED_NAME:
        if (t->kind != MP_IMAP_TOK_ATOM)
            break;
        k = lookup_resp(p, t->text);
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
        p->code = (uint8_t)mp_imap_rg_lookup_code(t->text);
        emit(p, MP_IMAP_EV_CODE, 0, t, MP_IMAP_V_ATOM);
        push(p, mp_imap_rg_code_ctx((mp_imap_code)p->code), 0, S_AFTER);
        p->state = L_CODE;
        return;
    case L_EXPECT_CRLF:
        if (t->kind != MP_IMAP_TOK_CRLF)
            break;
        emit(p, MP_IMAP_EV_END, 0, t, MP_IMAP_V_NONE);
        p->state = L_START;
        return;
    default:
        break;
    }
    gram_error(p, MP_ERR_IMAP_RESPONSE, MP_RULE_("RFC 9051 response"), t);
}

/* What the next token is made of: the lexer class in `*cls_out`, the
 * MP_IMAP_LEX_WANT_* flags in `*want_out`.  Returns the slot of the next
 * element position in `*s` when it derived one (the walker reuses it for
 * the token that follows), else NULL. */
static const mp_imap_rg_slot *expectation(mp_imap_resp_parser *p, mp_imap_rg_slot *s,
                                          unsigned *cls_out, unsigned *want_out)
{
    const mp_imap_rg_slot *known = NULL;
    mp_imap_lex_class cls = MP_IMAP_LEX_ATOM;
    unsigned want = 0;
    switch (p->state) {
    case L_START: cls = MP_IMAP_LEX_TAG; break;
    case L_TEXT_START: cls = MP_IMAP_LEX_RESP_TEXT; break;
    case L_TEXT: cls = MP_IMAP_LEX_TEXT; break;
    case L_CODE:
    case L_DATA: {
        mp_imap_resp_frame_ *f;
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
        known = mp_imap_rg_slot_of(p, f, s);
        cls = (mp_imap_lex_class)known->cls;
        want = known->want;
        break;
    }
    default: break;
    }
    *cls_out = (unsigned)cls;
    *want_out = want;
    return known;
}

/* The SP after an element of a data response or code (the commonest
 * token): when the walker would only note it, read and note it here
 * without the token round trip.  Returns 1 when it did. */
static int sp_shortcut(mp_imap_resp_parser *p, const char *in, size_t len)
{
    mp_imap_resp_frame_ *f;
    if (len < 2 || in[0] != ' ' || (p->state != L_DATA && p->state != L_CODE) || p->inlit ||
        p->bskip || p->sp == 0)
        return 0;
    f = top(p);
    if (f->ctx == C_FETCH && f->sub != FS_VALUE && f->sub != FS_NAME) {
        /* msg-att name, section or origin done: SP and the value */
        if (f->sub != FS_AFTER_NAME && f->sub != FS_AFTER_SECTION && f->sub != FS_AFTER_ORIGIN)
            return 0;
        if (!mp_imap_lex_fast_sp_(&p->lx, in, len))
            return 0;
        f->sub = FS_VALUE;
        f->sep = S_NEED;
        return 1;
    }
    if (f->sep != S_AFTER)
        return 0;
    if (!mp_imap_lex_fast_sp_(&p->lx, in, len))
        return 0;
    f->sep = S_NEED;
    return 1;
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
        mp_imap_rg_slot slot;
        const mp_imap_rg_slot *known;
        unsigned cls, want;
        int plain;
        size_t u = 0;
        mp_status st;
        /* The walker's commonest positions, in a list of a data response:
         * an element (its slot straight away), with the SP before it, without
         * the checks that sp_shortcut() and expectation() would repeat
         * (both give the same answer here: no shortcut, and the slot or,
         * right after an element, no slot). */
        /* (the hot loop takes nothing from fewer than 2 bytes) */
        if (p->state == L_DATA && len - off >= 2) {
            off += hot_run(p, in + off, len - off);
            if (p->aborted != 0) {
                *used = off;
                if (p->aborted == 2)
                    return MP_ERR_ABORTED;
                p->aborted = 0;
                return MP_PAUSED;
            }
        }
        known = NULL;
        plain = 0;
        if (p->state == L_DATA && p->sp > 0 && !p->inlit && !p->bskip) {
            mp_imap_resp_frame_ *f = top(p);
            if (f->ctx != C_FETCH || f->sub == FS_VALUE) {
                /* the SP and the element after it in one step */
                if (f->sep == S_AFTER && mp_imap_lex_fast_sp_(&p->lx, in + off, len - off)) {
                    f->sep = S_NEED;
                    off++;
                }
                if (f->sep != S_AFTER) {
                    known = f->ctx == C_ADDRESS && f->index < 4
                                ? &mp_imap_rg_address_slots[f->index]
                                : mp_imap_rg_slot_of(p, f, &slot);
                    cls = known->cls;
                    want = known->want;
                } else {
                    /* after an element, no SP: ")" or the end of the line */
                    cls = MP_IMAP_LEX_ATOM;
                    want = 0;
                }
                plain = 1;
            }
        }
        if (!plain) {
            if (sp_shortcut(p, in + off, len - off)) {
                off++;
                continue;
            }
            known = expectation(p, &slot, &cls, &want);
        }
        st = MP_OK;
        if (p->lx.state == MP_IMAP_LEX_ST_START_)
            u = mp_imap_lex_fast_token_(&p->lx, in + off, len - off, cls, &t);
        if (u == 0) {
            mp_imap_lex_expect(&p->lx, (mp_imap_lex_class)cls, want);
            st = mp_imap_lex_next(&p->lx, in + off, len - off, &u, &t);
        }
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
            line_token(p, &t, known, plain);
        }
        if (p->aborted != 0) {
            *used = off;
            if (p->aborted == 2)
                return MP_ERR_ABORTED;
            p->aborted = 0;
            return MP_PAUSED;
        }
    }
}
