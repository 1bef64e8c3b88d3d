/* IMAP response grammar tables (internal to resp_*.c): the contexts of
 * the frame walker and, for each (context, element index), the field, the
 * accepted token kinds and the context of a list there (RFC 9051 §9). */
#ifndef MP_IMAP_RESP_GRAMMAR_H
#define MP_IMAP_RESP_GRAMMAR_H

#include "lex.h"
#include "mailproto/imap.h"

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
    C_ADDR_LIST, C_ADDRESS, C_BODY, C_PARAMS, C_DISP, C_LANG,
    C_CODE_BADEVENT, C_EVENTS, C_CODE_NOUPDATE, C_OBJECTID, C_CODE_MAILBOXID,
    C_TOP_ACL, C_TOP_LISTRIGHTS, C_TOP_MYRIGHTS, C_TOP_GENURLAUTH, C_TOP_URLFETCH,
    C_CODE_URLMECH,
    C_COUNT_
};
/* resp_parse.c tests contexts against 64-bit masks (1 << ctx) */
_Static_assert(C_COUNT_ <= 64, "frame contexts must fit the parser's 64-bit context masks");

/* What a STATUS attribute's value is (C_STATUS_ATTS frame's item). */
enum { SA_NUMBER = 0, SA_MAILBOXID, SA_APPENDLIMIT };

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

typedef struct mp_imap_rg_slot {
    uint8_t field;  /* value field */
    uint8_t lfield; /* field of a list here */
    uint8_t child;  /* context of a list here */
    uint8_t cls;    /* lexer class */
    uint8_t want;   /* lexer expectation */
    uint16_t acc;   /* A_* */
} mp_imap_rg_slot;

/* ASCII case-insensitive equality with a NUL-terminated word. */
int mp_imap_rg_eq_ci(mp_slice s, const char *w);
/* Response / code / FETCH item keyword lookups (RFC 9051 §7, §7.1, §7.5.2). */
mp_imap_resp_kind mp_imap_rg_lookup_resp(mp_slice s);
mp_imap_code mp_imap_rg_lookup_code(mp_slice s);
uint8_t mp_imap_rg_lookup_item(mp_slice s);
/* Constant slots of the fixed positions (the commonest in a FETCH sync):
 * addr-name adl mailbox host; the ten envelope fields; a single-part body
 * from its subtype to its size, [0] the encoding under
 * MP_IMAP_Q_NIL_STRING; body parameter name, value, value under
 * MP_IMAP_Q_NIL_STRING. */
extern const mp_imap_rg_slot mp_imap_rg_address_slots[4];
extern const mp_imap_rg_slot mp_imap_rg_envelope_slots[10];
extern const mp_imap_rg_slot mp_imap_rg_body_1part_slots[7];
extern const mp_imap_rg_slot mp_imap_rg_param_slots[3];

/* Fill `s` for a position without a constant slot. */
void mp_imap_rg_slot_build(const mp_imap_resp_parser *p, const mp_imap_resp_frame_ *f,
                           mp_imap_rg_slot *s);

/* What may come at the next element position of frame f: a constant slot
 * for the fixed positions, else `scratch` filled in.  The pointer is valid
 * while `scratch` is.  Inline: the walker asks for every element. */
static inline const mp_imap_rg_slot *mp_imap_rg_slot_of(const mp_imap_resp_parser *p,
                                                        const mp_imap_resp_frame_ *f,
                                                        mp_imap_rg_slot *scratch)
{
    unsigned i = f->index;
    switch (f->ctx) {
    case C_ADDRESS:
        if (i < 4)
            return &mp_imap_rg_address_slots[i];
        break;
    case C_ENVELOPE:
        if (i < 10)
            return &mp_imap_rg_envelope_slots[i];
        break;
    case C_PARAMS:
        return &mp_imap_rg_param_slots[(i & 1) ? ((p->quirks & MP_IMAP_Q_NIL_STRING) ? 2 : 1) : 0];
    case C_BODY:
        if ((f->flags & (BF_DECIDED | BF_MULTI)) == BF_DECIDED && i >= 1 && i <= 6)
            return &mp_imap_rg_body_1part_slots[(i == 5 && (p->quirks & MP_IMAP_Q_NIL_STRING)) ? 0 : i];
        break;
    default:
        break;
    }
    mp_imap_rg_slot_build(p, f, scratch);
    return scratch;
}

/* Is the frame's list complete (at its ")", "]" or CRLF)? */
int mp_imap_rg_complete(const mp_imap_resp_parser *p, const mp_imap_resp_frame_ *f);
/* Do lists follow one another without SP in this frame? */
int mp_imap_rg_adjacent(const mp_imap_resp_frame_ *f);
/* Note what a value tells about its frame (body types, ESEARCH pairs). */
void mp_imap_rg_value_hook(mp_imap_resp_frame_ *f, unsigned field, const mp_imap_token *t);
/* The top frame's context of a data response, the frame context of a code. */
unsigned mp_imap_rg_top_ctx(mp_imap_resp_kind k);
unsigned mp_imap_rg_code_ctx(mp_imap_code c);
/* OK NO BAD PREAUTH BYE */
int mp_imap_rg_is_status(mp_imap_resp_kind k);

#endif
