/* libFuzzer target: IMAP response parser and writer.
 * Byte 0 picks the mode (bits 0-2), quirks (bits 3-4) and small limits
 * (bit 5: every limit path), byte 1 the piece size; the rest is the
 * server's byte stream.  Oracles beyond "no crash":
 *  - split invariance: the events (literal chunks coalesced, offsets
 *    included) of the whole input equal those of the input fed in pieces;
 *  - round trip: for an input that parsed without error, the writer
 *    accepts every event and its output parses to the same events
 *    (offsets excluded). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/imap.h"

typedef struct digest {
    uint64_t h, h_nooff;
    uint64_t nevents;
    int in_chunk;
    int errors;
} digest;

typedef struct run_ctx {
    digest d;
    mp_imap_resp_writer *w; /* NULL: no writing */
    mp_status wst;
} run_ctx;

static void mix(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i;
    for (i = 0; i < n; i++)
        *h = (*h ^ b[i]) * 1099511628211u;
}

static void mix2(digest *d, const void *p, size_t n)
{
    mix(&d->h, p, n);
    mix(&d->h_nooff, p, n);
}

static int on_event(void *user, const mp_imap_resp_event *ev)
{
    run_ctx *c = user;
    digest *d = &c->d;
    if (ev->type == MP_IMAP_EV_LITERAL_CHUNK) {
        if (!d->in_chunk) {
            mix2(d, "C", 1);
            d->nevents++; /* a run of chunks counts once */
        }
        d->in_chunk = 1;
        mix2(d, ev->str.ptr, ev->str.len);
    } else {
        uint32_t hdr[7];
        d->in_chunk = 0;
        hdr[0] = (uint32_t)ev->type;
        hdr[1] = (uint32_t)ev->resp;
        hdr[2] = (uint32_t)ev->field;
        hdr[3] = (uint32_t)ev->code;
        hdr[4] = (uint32_t)ev->vtype;
        hdr[5] = (uint32_t)ev->flags;
        hdr[6] = (uint32_t)ev->depth;
        mix2(d, hdr, sizeof(hdr));
        mix2(d, &ev->num, sizeof(ev->num));
        mix2(d, &ev->str.len, sizeof(ev->str.len));
        if (ev->str.len)
            mix2(d, ev->str.ptr, ev->str.len);
        if (ev->type == MP_IMAP_EV_ERROR) {
            d->errors++;
            mix(&d->h, &ev->err->code, sizeof(ev->err->code));
            mix(&d->h, &ev->err->offset, sizeof(ev->err->offset));
        } else {
            mix(&d->h, &ev->offset, sizeof(ev->offset));
        }
    }
    if (ev->type != MP_IMAP_EV_LITERAL_CHUNK)
        d->nevents++;
    if (c->w && c->wst == MP_OK) {
        mp_status st = mp_imap_resp_write(c->w, ev);
        if (st != MP_OK)
            c->wst = st;
    }
    return 0;
}

static const mp_imap_resp_callbacks cbs = { on_event };
static char abuf[MP_IMAP_MAX_QUOTED];
static char wbuf[1u << 20];

static void run(const mp_imap_resp_config *cfg, const uint8_t *data, size_t size, size_t step,
                run_ctx *c)
{
    mp_imap_resp_parser p;
    size_t off = 0;
    memset(&c->d, 0, sizeof(c->d));
    c->d.h = c->d.h_nooff = 14695981039346656037u;
    c->wst = MP_OK;
    if (mp_imap_resp_init(&p, abuf, sizeof(abuf), cfg, &cbs, c) != MP_OK)
        abort();
    while (off < size) {
        size_t piece = size - off < step ? size - off : step, used = 0;
        if (mp_imap_resp_feed(&p, (const char *)data + off, piece, &used) != MP_NEED_MORE ||
            used != piece)
            abort();
        off += piece;
    }
    if (mp_imap_resp_pending(&p) != 0)
        c->d.errors++; /* unfinished: no round trip */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned quirk_sets[4] = {
        0,
        MP_IMAP_Q_TRAILING_SPACE | MP_IMAP_Q_LIST_SPACES | MP_IMAP_Q_NIL_STRING |
            MP_IMAP_Q_EMPTY_STATUS | MP_IMAP_Q_BARE_CONTINUE | MP_IMAP_Q_STAR_IN_FLAGS,
        MP_IMAP_Q_BAD_BODYSTRUCTURE | MP_IMAP_Q_FLAG_CHARS | MP_IMAP_Q_8BIT_TEXT |
            MP_IMAP_Q_BARE_QUOTA,
        MP_IMAP_Q_LF_LINES,
    };
    mp_imap_resp_config cfg;
    run_ctx whole, split, again;
    mp_imap_resp_writer w;
    mp_outbuf ob;
    if (size < 2)
        return 0;
    memset(&cfg, 0, sizeof(cfg));
    cfg.mode = data[0] & 7u;
    cfg.quirks = quirk_sets[(data[0] >> 3) & 3u];
    if ((data[0] & 0x20u) && !(cfg.quirks & MP_IMAP_Q_LF_LINES)) {
        cfg.limits.max_line = 128;
        cfg.limits.max_atom = 32;
        cfg.limits.max_quoted = 64;
        cfg.limits.max_depth = 8;
        cfg.limits.max_literals = 4;
        cfg.limits.max_literal = 100;
    }
    mp_outbuf_init(&ob, wbuf, sizeof(wbuf));
    mp_imap_resp_writer_init(&w, &ob, cfg.mode, cfg.quirks);
    whole.w = &w;
    split.w = NULL;
    again.w = NULL;
    run(&cfg, data + 2, size - 2, SIZE_MAX, &whole);
    run(&cfg, data + 2, size - 2, (size_t)data[1] % 17u + 1u, &split);
    if (whole.d.h != split.d.h || whole.d.nevents != split.d.nevents)
        abort(); /* fragmentation changed the events */
    if (whole.d.errors == 0 && !mp_imap_resp_writer_busy(&w)) {
        if (whole.wst != MP_OK)
            abort(); /* the writer refused an event the parser produced */
        run(&cfg, (const uint8_t *)wbuf, ob.len, SIZE_MAX, &again);
        if (again.d.errors != 0 || again.d.h_nooff != whole.d.h_nooff ||
            again.d.nevents != whole.d.nevents)
            abort(); /* the writer's output does not parse back the same */
    }
    return 0;
}
