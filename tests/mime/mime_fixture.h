/* Shared by the message-structure tests: a split-check fixture that parses
 * a message with mp_mime_parser and logs, at its end, what a server would
 * send and where every part is:
 *
 *   fetch * 1 FETCH (ENVELOPE (...) BODYSTRUCTURE (...))\r\n
 *   part I [NUMBER] KIND FLAGS hdr START..END/SIZE body START..END/SIZE lines N
 *   status MP_STATUS [@OFFSET]
 *
 * The FETCH line is written by mp_mime_write_item() through the response
 * writer; the fixture also checks that it parses back with the response
 * parser (one FETCH, no error) and that a copy of the part records and
 * values (a host's cache) writes the same bytes. */
#ifndef MP_TEST_MIME_FIXTURE_H
#define MP_TEST_MIME_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/imap.h"
#include "mailproto/mime.h"
#include "split.h"
#include "vectors.h"

#define MF_PARTS 512u
#define MF_VALUES (1u << 18)
#define MF_CANARY 64u /* bytes past the host's arrays must stay as they were */

typedef struct mime_fixture {
    mp_mime_parser p;
    mp_mime_config cfg;
    size_t nparts, vcap;
    unsigned mode; /* response writer mode */
    int parse_back; /* check that the FETCH written parses */
    mp_mime_part parts[MF_PARTS];
    char values[MF_VALUES];
} mime_fixture;

static mime_fixture mf;
static mp_mime_part mf_parts2[MF_PARTS];
static char mf_values2[MF_VALUES];
static char mf_out[1u << 20], mf_out2[1u << 20];

static inline void mf_defaults(mime_fixture *x)
{
    memset(&x->cfg, 0, sizeof(x->cfg));
    x->nparts = MF_PARTS - 1;
    x->vcap = MF_VALUES - MF_CANARY;
    x->mode = 0;
    x->parse_back = 1;
}

/* The FETCH response with ENVELOPE and BODYSTRUCTURE (and BODY when
 * `body`) of m, written into out; its length. */
static inline size_t mf_write(const mp_mime_msg *m, unsigned mode, int body, char *out, size_t cap)
{
    mp_outbuf ob;
    mp_imap_resp_writer w;
    mp_imap_resp_event e;
    mp_outbuf_init(&ob, out, cap);
    mp_imap_resp_writer_init(&w, &ob, mode, 0);
    e = mp_imap_ev_begin(MP_IMAP_RESP_FETCH, mp_slice_make(NULL, 0), 1, 1);
    assert_int_equal(mp_imap_resp_write(&w, &e), MP_OK);
    e = mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS);
    assert_int_equal(mp_imap_resp_write(&w, &e), MP_OK);
    assert_int_equal(mp_mime_write_item(&w, m, MP_MIME_ITEM_ENVELOPE), MP_OK);
    if (body)
        assert_int_equal(mp_mime_write_item(&w, m, MP_MIME_ITEM_BODY), MP_OK);
    assert_int_equal(mp_mime_write_item(&w, m, MP_MIME_ITEM_BODYSTRUCTURE), MP_OK);
    e = mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS);
    assert_int_equal(mp_imap_resp_write(&w, &e), MP_OK);
    e = mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE);
    assert_int_equal(mp_imap_resp_write(&w, &e), MP_OK);
    return ob.len;
}

typedef struct mf_parsed {
    int ends, errors;
} mf_parsed;

static inline int mf_on_event(void *user, const mp_imap_resp_event *ev)
{
    mf_parsed *r = user;
    if (ev->type == MP_IMAP_EV_END)
        r->ends++;
    if (ev->type == MP_IMAP_EV_ERROR)
        r->errors++;
    return 0;
}

/* The bytes parse as exactly one response, without error. */
static inline void mf_parses(const char *p, size_t n, unsigned mode)
{
    static const mp_imap_resp_callbacks cb = { mf_on_event };
    static char buf[65536];
    mp_imap_resp_parser rp;
    mp_imap_resp_config cfg;
    mf_parsed r = { 0, 0 };
    size_t used;
    memset(&cfg, 0, sizeof(cfg));
    cfg.mode = mode;
    cfg.limits.max_quoted = sizeof(buf);
    cfg.limits.max_line = 1u << 20;
    assert_int_equal(mp_imap_resp_init(&rp, buf, sizeof(buf), &cfg, &cb, &r), MP_OK);
    assert_int_equal(mp_imap_resp_feed(&rp, p, n, &used), MP_NEED_MORE);
    if (r.errors != 0 || r.ends != 1)
        print_error("the FETCH written does not parse back: %.*s\n", (int)(n > 2000 ? 2000 : n), p);
    assert_int_equal(r.errors, 0);
    assert_int_equal(r.ends, 1);
}

static inline void mf_log(const mp_mime_msg *m, mp_status st, const mp_error *err, unsigned mode,
                   int parse_back, mp_evlog *log)
{
    static const char *const kinds[] = { "?", "text", "multipart", "message", "other" };
    mp_mime_msg copy;
    size_t n, n2;
    uint32_t i;
    n = mf_write(m, mode, 0, mf_out, sizeof(mf_out));
    if (parse_back)
        mf_parses(mf_out, n, mode);
    /* a cache: the records and values copied elsewhere write the same */
    memcpy(mf_parts2, m->parts, m->nparts * sizeof(mp_mime_part));
    memcpy(mf_values2, m->values, m->values_len);
    copy.parts = mf_parts2;
    copy.nparts = m->nparts;
    copy.values = mf_values2;
    copy.values_len = m->values_len;
    n2 = mf_write(&copy, mode, 0, mf_out2, sizeof(mf_out2));
    assert_int_equal(n2, n);
    assert_memory_equal(mf_out2, mf_out, n);
    mp_evlog_text(log, "fetch", mf_out, n);
    for (i = 0; i < m->nparts; i++) {
        const mp_mime_part *pt = &m->parts[i];
        char num[512];
        mp_mime_part_number(m, i, num, sizeof(num));
        mp_evlog_add(log, "part %u [%s] %s%s%s%s%s%s hdr %llu..%llu/%llu body %llu..%llu/%llu lines %llu",
                     i, (pt->flags & MP_MIME_PF_MESSAGE) ? "-" : num,
                     kinds[pt->kind <= 4 ? pt->kind : 0],
                     (pt->flags & MP_MIME_PF_MESSAGE) ? " message" : "",
                     (pt->flags & MP_MIME_PF_MIME) ? " mime" : "",
                     (pt->flags & MP_MIME_PF_TRUNCATED) ? " truncated" : "",
                     (pt->flags & MP_MIME_PF_DIGEST) ? " digest" : "",
                     (pt->flags & MP_MIME_PF_NO_BLANK) ? " no-blank" : "",
                     (unsigned long long)pt->hdr_start, (unsigned long long)pt->body_start,
                     (unsigned long long)pt->hdr_size, (unsigned long long)pt->body_start,
                     (unsigned long long)pt->end, (unsigned long long)pt->body_size,
                     (unsigned long long)pt->body_lines);
        /* the ranges nest and the sizes are those of the bytes */
        assert_true(pt->hdr_start <= pt->body_start && pt->body_start <= pt->end);
        assert_true(pt->hdr_size >= pt->body_start - pt->hdr_start);
        assert_true(pt->hdr_size <= 2 * (pt->body_start - pt->hdr_start));
        assert_true(pt->body_size >= pt->end - pt->body_start);
        if (i > 0) {
            const mp_mime_part *up = &m->parts[pt->parent];
            assert_true(pt->parent < i);
            assert_true(up->body_start <= pt->hdr_start && pt->end <= up->end);
        }
    }
    if (st == MP_OK)
        mp_evlog_add(log, "status %s", mp_status_name(st));
    else
        mp_evlog_add(log, "status %s @%llu", mp_status_name(st), (unsigned long long)err->offset);
}

static inline void mf_reset(void *state)
{
    mime_fixture *x = state;
    assert_true(x->vcap + MF_CANARY <= MF_VALUES && x->nparts < MF_PARTS);
    memset(x->values + x->vcap, 0xa5, MF_CANARY);
    memset(&x->parts[x->nparts], 0xa5, sizeof(x->parts[0]));
    assert_int_equal(mp_mime_init(&x->p, x->parts, x->nparts, x->values, x->vcap, &x->cfg), MP_OK);
}

static inline void mf_canaries(const mime_fixture *x)
{
    size_t k;
    const unsigned char *pp = (const unsigned char *)&x->parts[x->nparts];
    for (k = 0; k < MF_CANARY; k++)
        assert_int_equal((unsigned char)x->values[x->vcap + k], 0xa5);
    for (k = 0; k < sizeof(x->parts[0]); k++)
        assert_int_equal(pp[k], 0xa5);
}

static inline void mf_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    mime_fixture *x = state;
    (void)log;
    assert_int_equal(mp_mime_feed(&x->p, p, n), MP_OK);
}

static inline void mf_finish(void *state, mp_evlog *log)
{
    mime_fixture *x = state;
    mp_mime_msg m;
    mp_status st = mp_mime_finish(&x->p, &m);
    mf_canaries(x);
    mf_log(&m, st, &x->p.err, x->mode, x->parse_back, log);
}

static const mp_split_target mf_target = { mf_reset, mf_feed, mf_finish, &mf };

/* Vector parameters: :parts N (array size), :values N (buffer size),
 * :max_parts N, :max_depth N, :mode rev2, :parse_back no (skip the check
 * that the FETCH parses: our response parser reads MESSAGE/GLOBAL as a
 * message in IMAP4rev1 mode too, where RFC 3501 has a basic part). */
static inline void mf_setup(const mp_vector *v, void *state)
{
    mime_fixture *x = state;
    mf_defaults(x);
    x->nparts = (size_t)strtoul(mp_vector_param(v, "parts", "511"), NULL, 10);
    x->vcap = (size_t)strtoul(mp_vector_param(v, "values", "262080"), NULL, 10);
    x->cfg.max_parts = (uint32_t)strtoul(mp_vector_param(v, "max_parts", "0"), NULL, 10);
    x->cfg.max_depth = (uint16_t)strtoul(mp_vector_param(v, "max_depth", "0"), NULL, 10);
    x->parse_back = strcmp(mp_vector_param(v, "parse_back", "yes"), "no") != 0;
    if (strcmp(mp_vector_param(v, "mode", ""), "rev2") == 0)
        x->mode = MP_IMAP_REV2 | MP_IMAP_UTF8;
    assert_true(x->nparts <= MF_PARTS && x->vcap <= MF_VALUES);
}

#endif
