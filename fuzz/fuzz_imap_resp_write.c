/* libFuzzer target: IMAP response writer with fuzz-chosen values.
 * Byte 0 picks the mode and which value slot to fill; the rest is the
 * value.  Oracle: whatever the writer accepts parses back, without error,
 * to exactly that value (strings byte for byte, atoms, text, literal
 * payloads); what it refuses it refuses for a reason (NUL in a string,
 * CR/LF in text, a special in an atom). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/imap.h"

typedef struct check {
    mp_slice want;
    unsigned field;
    mp_imap_ev type;
    int found, errors, ended;
    char lit[4096];
    size_t litlen;
} check;

static int on_event(void *user, const mp_imap_resp_event *ev)
{
    check *c = user;
    if (ev->type == MP_IMAP_EV_ERROR)
        c->errors++;
    if (ev->type == MP_IMAP_EV_END)
        c->ended++;
    if (ev->type == MP_IMAP_EV_LITERAL_BEGIN && c->type == MP_IMAP_EV_LITERAL_CHUNK)
        c->found = 1;
    if (ev->type == MP_IMAP_EV_LITERAL_CHUNK && c->type == MP_IMAP_EV_LITERAL_CHUNK) {
        if (c->litlen + ev->str.len > sizeof(c->lit))
            abort();
        memcpy(c->lit + c->litlen, ev->str.ptr, ev->str.len);
        c->litlen += ev->str.len;
        c->found = 1;
    }
    if (ev->type == c->type && (c->type == MP_IMAP_EV_TEXT || (unsigned)ev->field == c->field) &&
        c->type != MP_IMAP_EV_LITERAL_CHUNK) {
        if (ev->str.len != c->want.len || memcmp(ev->str.ptr, c->want.ptr, c->want.len) != 0)
            abort(); /* the value changed on the way */
        c->found++;
    }
    return 0;
}

static char out[16384];

static mp_imap_resp_event ev_of(mp_imap_ev type, unsigned field, mp_imap_vtype vt, mp_slice s)
{
    mp_imap_resp_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.field = (mp_imap_field)field;
    ev.vtype = vt;
    ev.str = s;
    return ev;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const mp_imap_resp_callbacks cb = { on_event };
    static char abuf[MP_IMAP_MAX_QUOTED];
    mp_imap_resp_writer w;
    mp_imap_resp_parser p;
    mp_imap_resp_config cfg;
    mp_imap_resp_event ev;
    mp_outbuf ob;
    mp_slice v;
    check c;
    static char mutf7[8192];
    size_t mlen = 0;
    mp_status st = MP_OK;
    size_t used, k;
    unsigned slot;
    if (size < 1 || size > 2048)
        return 0;
    memset(&cfg, 0, sizeof(cfg));
    cfg.mode = data[0] & 3u;
    slot = (unsigned)(data[0] >> 2) % 5u;
    v = mp_slice_make((const char *)data + 1, size - 1);
    mp_outbuf_init(&ob, out, sizeof(out));
    mp_imap_resp_writer_init(&w, &ob, cfg.mode, 0);
    memset(&c, 0, sizeof(c));
    c.want = v;

#define W_(e)                                                                 \
    do {                                                                      \
        mp_imap_resp_event e_ = (e);                                          \
        if (st == MP_OK)                                                      \
            st = mp_imap_resp_write(&w, &e_);                                 \
    } while (0)

    ev = ev_of(MP_IMAP_EV_BEGIN, 0, MP_IMAP_V_NONE, mp_slice_make(NULL, 0));
    switch (slot) {
    case 0: /* ENVELOPE subject: any nstring */
        ev.resp = MP_IMAP_RESP_FETCH;
        ev.num = 1;
        ev.flags = MP_IMAP_EVF_NUMBERED;
        W_(ev);
        W_(ev_of(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS, MP_IMAP_V_NONE, v));
        W_(ev_of(MP_IMAP_EV_VALUE, MP_IMAP_F_FETCH_ITEM, MP_IMAP_V_ATOM, MP_SLICE_LIT("ENVELOPE")));
        W_(ev_of(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_ENVELOPE, MP_IMAP_V_NONE, v));
        W_(ev_of(MP_IMAP_EV_VALUE, MP_IMAP_F_ENV_DATE, MP_IMAP_V_NIL, MP_SLICE_LIT("NIL")));
        W_(ev_of(MP_IMAP_EV_VALUE, MP_IMAP_F_ENV_SUBJECT, MP_IMAP_V_STRING, v));
        for (k = 2; k < 10; k++)
            W_(ev_of(MP_IMAP_EV_VALUE, MP_IMAP_F_ENV_DATE, MP_IMAP_V_NIL, MP_SLICE_LIT("NIL")));
        W_(ev_of(MP_IMAP_EV_LIST_END, MP_IMAP_F_ENVELOPE, MP_IMAP_V_NONE, v));
        W_(ev_of(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS, MP_IMAP_V_NONE, v));
        c.type = MP_IMAP_EV_VALUE;
        c.field = MP_IMAP_F_ENV_SUBJECT;
        break;
    case 1: /* LIST mailbox: astring */
        ev.resp = MP_IMAP_RESP_LIST;
        W_(ev);
        W_(ev_of(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_MBX_ATTRS, MP_IMAP_V_NONE, v));
        W_(ev_of(MP_IMAP_EV_LIST_END, MP_IMAP_F_MBX_ATTRS, MP_IMAP_V_NONE, v));
        W_(ev_of(MP_IMAP_EV_VALUE, MP_IMAP_F_DELIMITER, MP_IMAP_V_STRING, MP_SLICE_LIT("/")));
        W_(ev_of(MP_IMAP_EV_VALUE, MP_IMAP_F_MAILBOX, MP_IMAP_V_STRING, v));
        c.type = MP_IMAP_EV_VALUE;
        c.field = MP_IMAP_F_MAILBOX;
        /* rev1: a UTF-8 name reads back in modified UTF-7 */
        if (!(cfg.mode & 3u) && mp_mutf7_encode(v.ptr, v.len, mutf7, sizeof(mutf7), &mlen) == MP_OK)
            c.want = mp_slice_make(mutf7, mlen);
        break;
    case 2: /* CAPABILITY atom */
        ev.resp = MP_IMAP_RESP_CAPABILITY;
        W_(ev);
        W_(ev_of(MP_IMAP_EV_VALUE, MP_IMAP_F_CAPABILITY, MP_IMAP_V_ATOM, v));
        c.type = MP_IMAP_EV_VALUE;
        c.field = MP_IMAP_F_CAPABILITY;
        break;
    case 3: /* status text */
        ev.resp = MP_IMAP_RESP_OK;
        W_(ev);
        W_(ev_of(MP_IMAP_EV_TEXT, 0, MP_IMAP_V_NONE, v));
        c.type = MP_IMAP_EV_TEXT;
        break;
    default: /* BODY[] literal payload, binary when the value holds NUL */
        ev.resp = MP_IMAP_RESP_FETCH;
        ev.num = 2;
        ev.flags = MP_IMAP_EVF_NUMBERED;
        W_(ev);
        W_(ev_of(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS, MP_IMAP_V_NONE, v));
        W_(ev_of(MP_IMAP_EV_VALUE, MP_IMAP_F_FETCH_ITEM, MP_IMAP_V_ATOM,
                 memchr(v.ptr, 0, v.len) ? MP_SLICE_LIT("BINARY") : MP_SLICE_LIT("BODY")));
        W_(ev_of(MP_IMAP_EV_VALUE, MP_IMAP_F_SECTION, MP_IMAP_V_ATOM, MP_SLICE_LIT("")));
        ev = ev_of(MP_IMAP_EV_LITERAL_BEGIN, MP_IMAP_F_BODY_SECTION, MP_IMAP_V_NONE, v);
        ev.num = v.len;
        ev.flags = memchr(v.ptr, 0, v.len) ? MP_IMAP_EVF_BINARY : 0;
        W_(ev);
        W_(ev_of(MP_IMAP_EV_LITERAL_CHUNK, MP_IMAP_F_BODY_SECTION, MP_IMAP_V_NONE, v));
        W_(ev_of(MP_IMAP_EV_LITERAL_END, MP_IMAP_F_BODY_SECTION, MP_IMAP_V_NONE, v));
        W_(ev_of(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS, MP_IMAP_V_NONE, v));
        c.type = MP_IMAP_EV_LITERAL_CHUNK;
        break;
    }
    W_(ev_of(MP_IMAP_EV_END, 0, MP_IMAP_V_NONE, v));
#undef W_
    if (st == MP_ERR_NO_SPACE)
        return 0;
    if (st != MP_OK) {
        /* refusals must have a reason */
        int nul = memchr(v.ptr, 0, v.len) != NULL;
        int crlf = memchr(v.ptr, '\r', v.len) || memchr(v.ptr, '\n', v.len);
        if (st != MP_ERR_BAD_VALUE)
            abort();
        if (slot == 1 && !(cfg.mode & 3u) &&
            mp_mutf7_encode(v.ptr, v.len, mutf7, sizeof(mutf7), &mlen) == MP_ERR_UTF8)
            return 0; /* rev1 mailbox names must be UTF-8 to be encoded */
        if ((slot == 0 || slot == 1) && !nul)
            abort(); /* any NUL-free string is sendable */
        if (slot == 3 && !nul && !crlf && v.len > 0 && v.ptr[0] != '[' && (cfg.mode & 3u) &&
            ((cfg.quirks & MP_IMAP_Q_8BIT_TEXT) || mp_utf8_valid(v.ptr, v.len, NULL))) {
            /* UTF-8 mode: only NUL/CR/LF, a leading "[" (it would read as
             * a response code) and text that is not UTF-8 are refused */
            abort();
        }
        return 0;
    }
    if (mp_imap_resp_init(&p, abuf, sizeof(abuf), &cfg, &cb, &c) != MP_OK)
        abort();
    if (mp_imap_resp_feed(&p, out, ob.len, &used) != MP_NEED_MORE || used != ob.len)
        abort();
    if (c.errors != 0 || c.ended != 1 || !c.found || mp_imap_resp_pending(&p) != 0)
        abort(); /* the writer produced something that does not parse */
    if (c.type == MP_IMAP_EV_LITERAL_CHUNK &&
        (c.litlen != v.len || memcmp(c.lit, v.ptr, v.len) != 0))
        abort();
    return 0;
}
