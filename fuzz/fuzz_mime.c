/* libFuzzer target: the message-structure parser (mime.h).
 * Byte 0 is the split knob (fuzz_split.h); byte 1 picks small limits
 * (depth, part array, value buffer) so that fuzzing reaches them; the rest
 * is the message.  Oracles:
 *  - split invariance: the records, the values and the FETCH items written
 *    are the same whatever the split;
 *  - the limits hold: never more records than allowed, no part deeper than
 *    the depth limit, ranges nested in their parent's body, sizes those of
 *    the bytes (a bare LF counts twice), a status only from the MIME table;
 *  - ENVELOPE, BODY and BODYSTRUCTURE written through the response writer
 *    parse with our response parser as one FETCH without error (in
 *    IMAP4rev2 mode, and in IMAP4rev1 mode unless a message/global part is
 *    there: our parser reads it as a message in rev1 too);
 *  - every section the parts have resolves inside the message, and its
 *    wire form has the size announced. */
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/imap.h"
#include "mailproto/mime.h"

#include "fuzz_split.h"

#define NPARTS 64u
#define VALUES 16384u

typedef struct fx {
    mp_mime_parser p;
    mp_mime_config cfg;
    size_t nparts, vcap;
    mp_mime_part parts[NPARTS];
    char values[VALUES];
    mp_mime_msg m;
    mp_status st;
} fx;

static fx a;
static char out[1u << 18];

static void fx_reset(void *s)
{
    fx *x = s;
    if (mp_mime_init(&x->p, x->parts, x->nparts, x->values, x->vcap, &x->cfg) != MP_OK)
        abort();
}

static size_t fx_step(void *s, const uint8_t *p, size_t n, fuzz_digest *d)
{
    fx *x = s;
    (void)d;
    if (mp_mime_feed(&x->p, (const char *)p, n) != MP_OK)
        abort();
    return n;
}

typedef struct parsed {
    int ends, errors;
} parsed;

static int on_event(void *user, const mp_imap_resp_event *ev)
{
    parsed *r = user;
    r->ends += ev->type == MP_IMAP_EV_END;
    r->errors += ev->type == MP_IMAP_EV_ERROR;
    return 0;
}

/* "* 1 FETCH (ENVELOPE ... BODY ... BODYSTRUCTURE ...)" of m into out. */
static size_t write_fetch(const mp_mime_msg *m, unsigned mode)
{
    mp_outbuf ob;
    mp_imap_resp_writer w;
    mp_imap_resp_event e;
    mp_outbuf_init(&ob, out, sizeof(out));
    mp_imap_resp_writer_init(&w, &ob, mode, 0);
    e = mp_imap_ev_begin(MP_IMAP_RESP_FETCH, mp_slice_make(NULL, 0), 1, 1);
    if (mp_imap_resp_write(&w, &e) != MP_OK)
        abort();
    e = mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS);
    if (mp_imap_resp_write(&w, &e) != MP_OK ||
        mp_mime_write_item(&w, m, MP_MIME_ITEM_ENVELOPE) != MP_OK ||
        mp_mime_write_item(&w, m, MP_MIME_ITEM_BODY) != MP_OK ||
        mp_mime_write_item(&w, m, MP_MIME_ITEM_BODYSTRUCTURE) != MP_OK)
        abort(); /* a parsed message is always writable */
    e = mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS);
    if (mp_imap_resp_write(&w, &e) != MP_OK)
        abort();
    e = mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE);
    if (mp_imap_resp_write(&w, &e) != MP_OK)
        abort();
    return ob.len;
}

static void fx_finish(void *s, fuzz_digest *d)
{
    fx *x = s;
    uint32_t i;
    size_t n;
    x->st = mp_mime_finish(&x->p, &x->m);
    fuzz_digest_u64(d, "status", (uint64_t)x->st);
    fuzz_digest_u64(d, "at", x->p.err.offset);
    for (i = 0; i < x->m.nparts; i++)
        fuzz_digest_event(d, "part", &x->m.parts[i], sizeof(mp_mime_part));
    fuzz_digest_event(d, "values", x->m.values, x->m.values_len);
    n = write_fetch(&x->m, MP_IMAP_REV2 | MP_IMAP_UTF8);
    fuzz_digest_event(d, "fetch", out, n);
}

static void parses(size_t n, unsigned mode)
{
    static const mp_imap_resp_callbacks cb = { on_event };
    static char buf[VALUES + 64];
    mp_imap_resp_parser rp;
    mp_imap_resp_config cfg;
    parsed r = { 0, 0 };
    size_t used;
    memset(&cfg, 0, sizeof(cfg));
    cfg.mode = mode;
    cfg.limits.max_quoted = sizeof(buf);
    cfg.limits.max_line = sizeof(out);
    if (mp_imap_resp_init(&rp, buf, sizeof(buf), &cfg, &cb, &r) != MP_OK ||
        mp_imap_resp_feed(&rp, out, n, &used) != MP_NEED_MORE)
        abort();
    if (r.errors != 0 || r.ends != 1)
        abort(); /* what we write does not read back as one FETCH */
}

static int has_global(const mp_mime_msg *m)
{
    uint32_t i;
    for (i = 0; i < m->nparts; i++) {
        mp_slice t, s;
        mp_mime_type(m, i, &t, &s, NULL);
        if (s.len == 6 && mp_slice_eq_ci(s, "global", 6))
            return 1;
    }
    return 0;
}

/* The section of part i resolves inside the message; the wire form of
 * its bytes has the size announced; the streams end. */
static void sections(const mp_mime_msg *m, uint32_t i, const uint8_t *msg, size_t len)
{
    static const char *const kw[] = { "", ".MIME", ".HEADER", ".TEXT", ".HEADER.FIELDS (SUBJECT)",
                                       ".HEADER.FIELDS.NOT (TO)" };
    char spec[512];
    size_t k, n = mp_mime_part_number(m, i, spec, sizeof(spec) - 32);
    for (k = 0; k < sizeof(kw) / sizeof(kw[0]); k++) {
        mp_mime_section s;
        size_t sl;
        if (n == 0 && k == 1)
            continue; /* MIME needs a part number */
        sl = (size_t)snprintf(spec + n, sizeof(spec) - n, "%s", n == 0 && *kw[k] ? kw[k] + 1 : kw[k]) + n;
        if (mp_mime_section_find(m, mp_slice_make(spec, sl), &s) != MP_OK)
            abort();
        if (!s.found)
            continue;
        if (s.start > s.end || s.end > len)
            abort();
        {
            const char *p = (const char *)msg + s.start;
            size_t left = (size_t)(s.end - s.start), used;
            uint64_t total = 0;
            mp_slice c;
            mp_mime_wire w;
            mp_mime_hdr_filter f;
            mp_mime_decoder dec;
            int filt = s.kind == MP_MIME_SECT_FIELDS || s.kind == MP_MIME_SECT_FIELDS_NOT;
            mp_mime_wire_init(&w, MP_MIME_WIRE_NUL);
            mp_mime_hdr_filter_init(&f, s.fields, s.kind == MP_MIME_SECT_FIELDS_NOT, 0);
            while (left > 0) {
                mp_status r = filt ? mp_mime_hdr_filter_next(&f, p, left, &used, &c)
                                   : mp_mime_wire_next(&w, p, left, &used, &c);
                if (used > left || (r != MP_OK && used == 0))
                    abort();
                if (r == MP_OK)
                    total += c.len;
                p += used;
                left -= used;
            }
            if (filt)
                mp_mime_hdr_filter_finish(&f);
            else if (total != s.size)
                abort(); /* the literal would not have the size announced */
            if (s.kind == MP_MIME_SECT_PART && mp_mime_part_cte(m, s.part) != MP_MIME_CTE_UNKNOWN) {
                mp_mime_decoder_init(&dec, mp_mime_part_cte(m, s.part));
                p = (const char *)msg + s.start;
                left = (size_t)(s.end - s.start);
                while (left > 0) {
                    mp_status r = mp_mime_decoder_next(&dec, p, left, &used, &c);
                    if (used > left || (r != MP_OK && used == 0))
                        abort();
                    p += used;
                    left -= used;
                }
                mp_mime_decoder_finish(&dec);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint16_t depths[4] = { 0, 1, 3, 8 };
    static const uint32_t nparts[4] = { NPARTS, 1, 4, 16 };
    static const uint32_t vcaps[4] = { VALUES, 64, 512, 4096 };
    fuzz_target t = { fx_reset, fx_step, fx_finish, &a };
    const uint8_t *msg;
    size_t len, n;
    uint32_t i, cap;
    uint16_t maxd;
    if (size < 2 || size > 65536)
        return 0;
    memset(&a.cfg, 0, sizeof(a.cfg));
    a.cfg.max_depth = depths[data[1] & 3u];
    a.nparts = nparts[(data[1] >> 2) & 3u];
    a.vcap = vcaps[(data[1] >> 4) & 3u];
    msg = data + 2;
    len = size - 2;
    /* (the last run, split, gave the same result as the whole input) */
    fuzz_split_check(&t, msg, len, data[0]);
    cap = (uint32_t)a.nparts;
    maxd = a.cfg.max_depth ? a.cfg.max_depth : (uint16_t)MP_MIME_MAX_DEPTH;
    if (a.m.nparts < 1 || a.m.nparts > cap)
        abort();
    if (a.st != MP_OK && a.st != MP_ERR_MIME_DEPTH && a.st != MP_ERR_MIME_PARTS &&
        a.st != MP_ERR_MIME_VALUES && a.st != MP_ERR_MIME_PARAMS)
        abort();
    for (i = 0; i < a.m.nparts; i++) {
        const mp_mime_part *pt = &a.m.parts[i];
        if (pt->depth > maxd || pt->hdr_start > pt->body_start || pt->body_start > pt->end ||
            pt->end > len || pt->hdr_size < pt->body_start - pt->hdr_start ||
            pt->hdr_size > 2 * (pt->body_start - pt->hdr_start) ||
            pt->body_size < pt->end - pt->body_start ||
            pt->body_size > 2 * (pt->end - pt->body_start))
            abort();
        if (i > 0 && (pt->parent >= i || a.m.parts[pt->parent].body_start > pt->hdr_start ||
                      pt->end > a.m.parts[pt->parent].end ||
                      pt->depth != a.m.parts[pt->parent].depth + 1))
            abort();
    }
    if (a.m.parts[0].hdr_start != 0 || a.m.parts[0].end != len)
        abort();
    n = write_fetch(&a.m, MP_IMAP_REV2 | MP_IMAP_UTF8);
    parses(n, MP_IMAP_REV2 | MP_IMAP_UTF8);
    if (!has_global(&a.m)) {
        n = write_fetch(&a.m, 0);
        parses(n, 0);
    }
    for (i = 0; i < a.m.nparts; i++)
        sections(&a.m, i, msg, len);
    return 0;
}
