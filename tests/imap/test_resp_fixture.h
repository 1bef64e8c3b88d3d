/* Shared by the IMAP response tests: a split-check fixture that logs
 * every response-parser event as one text line (the format of
 * examples/dump/dump_imap.c). */
#ifndef MP_TEST_RESP_FIXTURE_H
#define MP_TEST_RESP_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/imap.h"
#include "split.h"

typedef struct resp_fixture {
    mp_imap_resp_parser p;
    char buf[8192];
    mp_imap_resp_config cfg;
    mp_evlog *log;
} resp_fixture;

static const char *vt_name(mp_imap_vtype v)
{
    switch (v) {
    case MP_IMAP_V_ATOM: return "atom";
    case MP_IMAP_V_NUMBER: return "num";
    case MP_IMAP_V_STRING: return "str";
    case MP_IMAP_V_NIL: return "nil";
    case MP_IMAP_V_FLAG: return "flag";
    case MP_IMAP_V_TEXT: return "text";
    default: return "?";
    }
}

static int rf_event(void *user, const mp_imap_resp_event *ev)
{
    resp_fixture *x = user;
    mp_evlog *log = x->log;
    char head[128];
    switch (ev->type) {
    case MP_IMAP_EV_BEGIN:
        if (ev->str.len)
            snprintf(head, sizeof(head), "begin %s tag=%.*s", mp_imap_resp_name(ev->resp),
                     (int)ev->str.len, ev->str.ptr);
        else
            snprintf(head, sizeof(head), "begin %s", mp_imap_resp_name(ev->resp));
        if (ev->flags & MP_IMAP_EVF_NUMBERED)
            mp_evlog_add(log, "%s #%llu", head, (unsigned long long)ev->num);
        else
            mp_evlog_add(log, "%s", head);
        break;
    case MP_IMAP_EV_CODE:
        if (ev->code == MP_IMAP_CODE_UNKNOWN)
            mp_evlog_text(log, "code UNKNOWN", ev->str.ptr, ev->str.len);
        else
            mp_evlog_add(log, "code %s", mp_imap_code_name(ev->code));
        break;
    case MP_IMAP_EV_CODE_END: mp_evlog_add(log, "code_end"); break;
    case MP_IMAP_EV_TEXT: mp_evlog_text(log, "text", ev->str.ptr, ev->str.len); break;
    case MP_IMAP_EV_VALUE:
        snprintf(head, sizeof(head), "%s:%s%s%s", mp_imap_field_name(ev->field),
                 vt_name(ev->vtype), (ev->flags & MP_IMAP_EVF_MUTF7) ? ":mutf7" : "",
                 (ev->flags & MP_IMAP_EVF_LITERAL) ? ":lit" : "");
        mp_evlog_text(log, head, ev->str.ptr, ev->str.len);
        break;
    case MP_IMAP_EV_LIST_BEGIN: mp_evlog_add(log, "( %s", mp_imap_field_name(ev->field)); break;
    case MP_IMAP_EV_LIST_END: mp_evlog_add(log, ") %s", mp_imap_field_name(ev->field)); break;
    case MP_IMAP_EV_LITERAL_BEGIN:
        mp_evlog_add(log, "lit %s %llu%s%s", mp_imap_field_name(ev->field),
                     (unsigned long long)ev->num, (ev->flags & MP_IMAP_EVF_BINARY) ? " binary" : "",
                     (ev->flags & MP_IMAP_EVF_QUOTED) ? " quoted" : "");
        break;
    case MP_IMAP_EV_LITERAL_CHUNK: mp_evlog_chunk(log, "lit", ev->str.ptr, ev->str.len); break;
    case MP_IMAP_EV_LITERAL_END: mp_evlog_add(log, "lit_end"); break;
    case MP_IMAP_EV_END: mp_evlog_add(log, "end"); break;
    case MP_IMAP_EV_ERROR:
        mp_evlog_add(log, "error %s @%llu", mp_status_name(ev->err->code),
                     (unsigned long long)ev->err->offset);
        break;
    default: fail();
    }
    return 0;
}

static const mp_imap_resp_callbacks rf_cb = { rf_event };

static void rf_reset(void *state)
{
    resp_fixture *x = state;
    assert_int_equal(mp_imap_resp_init(&x->p, x->buf, sizeof(x->buf), &x->cfg, &rf_cb, x), MP_OK);
}

static void rf_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    resp_fixture *x = state;
    size_t used = 0;
    x->log = log;
    assert_int_equal(mp_imap_resp_feed(&x->p, p, n, &used), MP_NEED_MORE);
    assert_int_equal(used, n);
}

static void rf_finish(void *state, mp_evlog *log)
{
    resp_fixture *x = state;
    size_t pend = mp_imap_resp_pending(&x->p);
    if (pend)
        mp_evlog_add(log, "pending %zu", pend);
}

static resp_fixture rfx;

static void rf_setup(unsigned mode, unsigned quirks)
{
    memset(&rfx.cfg, 0, sizeof(rfx.cfg));
    rfx.cfg.mode = mode;
    rfx.cfg.quirks = quirks;
}

/* Runs `in` through mp_split_check; with MP_PRINT set in the environment,
 * prints the whole-input log instead of comparing (to review new vectors). */
static const char *rf_check(const char *in, size_t n, const char *want)
{
    mp_split_target t = { rf_reset, rf_feed, rf_finish, &rfx };
    if (getenv("MP_PRINT")) {
        const char *got = mp_split_check(&t, in, n, NULL);
        printf("----\n%s", got);
        return got;
    }
    return mp_split_check(&t, in, n, want);
}
#define RCHECK(lit, want) rf_check((lit), sizeof(lit) - 1, (want))

/* ---- round trip: parse -> events -> writer -> parse ---------------- */

static mp_imap_resp_writer rt_w;
static mp_outbuf rt_ob;
static char rt_buf[1 << 20];
static mp_status rt_status;

static int rt_event(void *user, const mp_imap_resp_event *ev)
{
    mp_status st;
    rf_event(user, ev);
    st = mp_imap_resp_write(&rt_w, ev);
    if (st != MP_OK && rt_status == MP_OK)
        rt_status = st;
    return 0;
}

/* For an input that parses without error: the writer's output of its
 * events parses to the same events.  Returns 1 when the check ran. */
static int rf_roundtrip(const char *in, size_t n)
{
    static const mp_imap_resp_callbacks cb = { rt_event };
    static mp_evlog a, b;
    resp_fixture *x = &rfx;
    size_t used;
    mp_evlog_reset(&a);
    mp_evlog_reset(&b);
    mp_outbuf_init(&rt_ob, rt_buf, sizeof(rt_buf));
    mp_imap_resp_writer_init(&rt_w, &rt_ob, x->cfg.mode, x->cfg.quirks);
    rt_status = MP_OK;
    x->log = &a;
    assert_int_equal(mp_imap_resp_init(&x->p, x->buf, sizeof(x->buf), &x->cfg, &cb, x), MP_OK);
    assert_int_equal(mp_imap_resp_feed(&x->p, in, n, &used), MP_NEED_MORE);
    if (strstr(a.text, "error ") != NULL || mp_imap_resp_pending(&x->p) != 0 || mp_imap_resp_writer_busy(&rt_w))
        return 0;
    if (rt_status != MP_OK) {
        print_error("writer refused an event: %s\n%s", mp_status_name(rt_status), a.text);
        fail();
    }
    x->log = &b;
    assert_int_equal(mp_imap_resp_init(&x->p, x->buf, sizeof(x->buf), &x->cfg, &rf_cb, x), MP_OK);
    assert_int_equal(mp_imap_resp_feed(&x->p, rt_buf, rt_ob.len, &used), MP_NEED_MORE);
    if (strcmp(a.text, b.text) != 0) {
        fprintf(stderr, "round trip differs\n--- wrote\n%.*s\n--- first\n%s--- again\n%s",
                (int)rt_ob.len, rt_buf, a.text, b.text);
        fail();
    }
    return 1;
}

#endif
