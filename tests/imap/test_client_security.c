/* IMAP client session against a hostile server, with inputs too large
 * for vector files: a literal flood, too many literals on a line, deep
 * nesting, an endless line, plaintext injected behind the OK to STARTTLS
 * in the same read.  Each input is fed in pieces of several sizes (the
 * outcome must not depend on them) by a host that sends its output at
 * once; memory stays the session's and the host's fixed buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/imap_client.h"

typedef struct host {
    mp_imap_client c;
    mp_imap_client_config cfg;
    mp_imap_client_callbacks cb;
    char out[4096];
    char pbuf[8192];
    uint64_t lit_bytes;  /* literal payload delivered */
    unsigned lits;       /* LITERAL_BEGIN events */
    unsigned fetches;
    unsigned byes;
    int ready;
} host;

static host h;

static void send_all(host *x)
{
    size_t n;
    (void)mp_imap_client_output(&x->c, &n);
    assert_int_equal(mp_imap_client_output_done(&x->c, n), MP_OK);
}

static int on_event(void *user, const mp_imap_client_event *ev)
{
    host *x = user;
    static const mp_imap_seq_range all = { 1, MP_IMAP_SEQ_STAR };
    static const char *const items[] = { "BODY.PEEK[]" };
    if (ev->type == MP_IMAP_CLIENT_EV_RESPONSE) {
        if (ev->resp->type == MP_IMAP_EV_LITERAL_BEGIN)
            x->lits++;
        if (ev->resp->type == MP_IMAP_EV_LITERAL_CHUNK)
            x->lit_bytes += ev->resp->str.len;
    } else if (ev->type == MP_IMAP_CLIENT_EV_READY) {
        x->ready = 1;
        assert_int_equal(mp_imap_client_select(&x->c, MP_SLICE_LIT("INBOX"), NULL, NULL), MP_OK);
    } else if (ev->type == MP_IMAP_CLIENT_EV_DONE && ev->cmd_id == MP_IMAP_CMD_SELECT) {
        assert_int_equal(
            mp_imap_client_fetch(&x->c, 1, &all, 1, items, 1, 0, 0, NULL), MP_OK);
    } else if (ev->type == MP_IMAP_CLIENT_EV_FETCH) {
        x->fetches++;
    } else if (ev->type == MP_IMAP_CLIENT_EV_BYE) {
        x->byes++;
    }
    send_all(x);
    return 0;
}

/* The greeting and the SELECT every case starts with. */
static const char prologue[] =
    "* PREAUTH [CAPABILITY IMAP4rev1] ready\r\n* 1 EXISTS\r\nA1 OK [READ-WRITE] done\r\n";

static void start(uint64_t max_literal)
{
    memset(&h, 0, sizeof(h));
    h.cfg.buf = h.pbuf;
    h.cfg.buf_cap = sizeof(h.pbuf);
    h.cfg.limits.max_literal = max_literal;
    h.cb.on_event = on_event;
    assert_int_equal(mp_imap_client_init(&h.c, &h.cfg, &h.cb, &h, h.out, sizeof(h.out)), MP_OK);
}

/* Feed p[0..n) in pieces of `piece` bytes; the first status that is not
 * MP_NEED_MORE, or MP_NEED_MORE. */
static mp_status feed(const char *p, size_t n, size_t piece)
{
    while (n > 0) {
        size_t k = n < piece ? n : piece, used = 0;
        mp_status st = mp_imap_client_feed(&h.c, p, k, &used);
        p += used;
        n -= used;
        if (st != MP_NEED_MORE && st != MP_PAUSED)
            return st;
    }
    return MP_NEED_MORE;
}

static char *big;

/* prologue + "* 1 FETCH (BODY[] {size}\r\n" + size bytes + ")\r\nA2 OK\r\n" */
static size_t literal_flood(uint64_t size)
{
    size_t n = (size_t)snprintf(big, 256, "%s* 1 FETCH (BODY[] {%llu}\r\n", prologue,
                                (unsigned long long)size);
    memset(big + n, 'x', (size_t)size);
    n += (size_t)size;
    memcpy(big + n, ")\r\nA2 OK done\r\n", 15);
    return n + 15;
}

/* A 4 MiB literal streams through in chunks: the host sees every byte,
 * the session holds none of them, whatever the piece size. */
static void test_literal_flood_streams(void **s)
{
    static const size_t pieces[] = { 1u << 20, 4096, 1500, 7 };
    size_t i, n;
    (void)s;
    n = literal_flood(4u << 20);
    for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
        start(0);
        assert_int_equal(feed(big, n, pieces[i]), MP_NEED_MORE);
        assert_int_equal(h.lits, 1);
        assert_int_equal(h.lit_bytes, 4u << 20);
        assert_int_equal(h.fetches, 1);
        assert_int_equal(mp_imap_client_in_flight(&h.c), 0);
        assert_int_equal(mp_imap_resp_pending(&h.c.rp), 0);
    }
}

/* The host's literal limit (limits.max_literal) ends the session at the
 * announcement, before any byte is taken. */
static void test_literal_over_host_limit(void **s)
{
    size_t n;
    (void)s;
    n = literal_flood(70000);
    start(65536);
    assert_int_equal(feed(big, n, 4096), MP_ERR_IMAP_LITERAL_LIMIT);
    assert_int_equal(h.lit_bytes, 0);
    assert_int_equal(mp_imap_client_state_of(&h.c), MP_IMAP_ST_FAILED);
    assert_int_equal(mp_imap_client_error(&h.c)->offset, sizeof(prologue) - 1 + 18);
}

/* More literals on one response than MP_IMAP_MAX_LITERALS allows lines of
 * responses (65535): a flood of empty literals is refused. */
static void test_too_many_literals(void **s)
{
    size_t n, i;
    (void)s;
    n = (size_t)snprintf(big, 256, "%s* 1 FETCH (", prologue);
    for (i = 0; i < 70000; i++)
        n += (size_t)snprintf(big + n, 64, "%sBODY[%zu] {0}\r\n", i ? " " : "", i % 9 + 1);
    memcpy(big + n, ")\r\n", 3);
    n += 3;
    start(0);
    /* the line limit comes first ... */
    assert_int_equal(feed(big, n, 65536), MP_ERR_LINE_TOO_LONG);
    /* ... and with the lines a host allowed, the count */
    start(0);
    h.cfg.limits.max_line = 4u << 20;
    assert_int_equal(mp_imap_client_init(&h.c, &h.cfg, &h.cb, &h, h.out, sizeof(h.out)), MP_OK);
    assert_int_equal(feed(big, n, 65536), MP_ERR_IMAP_TOO_MANY_LITERALS);
    assert_int_equal(h.fetches, 0);
}

/* Nesting deeper than MP_IMAP_MAX_DEPTH in a BODYSTRUCTURE. */
static void test_deep_nesting(void **s)
{
    size_t n, i;
    (void)s;
    n = (size_t)snprintf(big, 256, "%s* 1 FETCH (BODYSTRUCTURE ", prologue);
    for (i = 0; i < 200; i++)
        big[n++] = '(';
    memcpy(big + n, "\r\n", 2);
    n += 2;
    start(0);
    assert_int_equal(feed(big, n, 3), MP_ERR_IMAP_DEPTH);
    start(0);
    assert_int_equal(feed(big, n, n), MP_ERR_IMAP_DEPTH);
}

/* A line that never ends: refused at MP_IMAP_MAX_LINE, not buffered. */
static void test_endless_line(void **s)
{
    size_t n;
    (void)s;
    size_t i;
    n = (size_t)snprintf(big, 256, "%s* SEARCH", prologue);
    for (i = 0; i < 100000; i++) {
        memcpy(big + n, " 1", 2);
        n += 2;
    }
    start(0);
    assert_int_equal(feed(big, n, 4096), MP_ERR_LINE_TOO_LONG);
    assert_true(mp_imap_client_error(&h.c)->offset < sizeof(prologue) + MP_IMAP_MAX_LINE);
    assert_int_equal(h.byes, 0);
}

/* Plaintext that came in the same read as the OK to STARTTLS is refused
 * at its first byte (the vector files cut reads at line ends). */
static void test_starttls_injection_same_read(void **s)
{
    static const char in[] = "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n"
                             "A1 OK go\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n";
    size_t used = 0, g = 41;
    (void)s;
    memset(&h, 0, sizeof(h));
    h.cfg.buf = h.pbuf;
    h.cfg.buf_cap = sizeof(h.pbuf);
    h.cfg.tls = MP_IMAP_TLS_REQUIRED;
    h.cb.on_event = on_event;
    assert_int_equal(mp_imap_client_init(&h.c, &h.cfg, &h.cb, &h, h.out, sizeof(h.out)), MP_OK);
    assert_int_equal(mp_imap_client_feed(&h.c, in, g, &used), MP_NEED_MORE);
    send_all(&h); /* STARTTLS */
    assert_int_equal(mp_imap_client_feed(&h.c, in + g, sizeof(in) - 1 - g, &used),
                     MP_ERR_TLS_INJECTION);
    assert_int_equal(used, 10);
    assert_int_equal(mp_imap_client_error(&h.c)->offset, g + 10);
    assert_int_equal(mp_imap_client_tls_started(&h.c), MP_ERR_STATE);
    /* dead: every later feed says the same and takes nothing */
    assert_int_equal(mp_imap_client_feed(&h.c, "x", 1, &used), MP_ERR_TLS_INJECTION);
    assert_int_equal(used, 0);
}

/* The bytes after the OK to COMPRESS are the compressed stream: feed
 * stops there, and refuses to go on until the host switched. */
static void test_compress_stops_at_the_ok(void **s)
{
    static const char in[] = "* PREAUTH [CAPABILITY IMAP4rev1 COMPRESS=DEFLATE] hi\r\n"
                             "A1 OK DEFLATE active\r\n\x78\x9c\x01";
    size_t used = 0, g = 54;
    uint32_t id = 0;
    (void)s;
    memset(&h, 0, sizeof(h));
    h.cfg.buf = h.pbuf;
    h.cfg.buf_cap = sizeof(h.pbuf);
    h.cb.on_event = on_event;
    assert_int_equal(mp_imap_client_init(&h.c, &h.cfg, &h.cb, &h, h.out, sizeof(h.out)), MP_OK);
    assert_int_equal(mp_imap_client_feed(&h.c, in, g, &used), MP_NEED_MORE);
    /* the host selected INBOX at READY, and fetches after it */
    assert_int_equal(mp_imap_client_feed(&h.c, "A1 OK [READ-WRITE] done\r\n", 25, &used),
                     MP_NEED_MORE);
    assert_int_equal(mp_imap_client_compress(&h.c, &id), MP_PAUSED); /* FETCH in flight */
    assert_int_equal(mp_imap_client_feed(&h.c, "A2 OK done\r\n", 12, &used), MP_NEED_MORE);
    assert_int_equal(mp_imap_client_compress(&h.c, &id), MP_OK);
    assert_int_equal(id, 3);
    send_all(&h);
    assert_int_equal(mp_imap_client_feed(&h.c, "A3 OK DEFLATE active\r\n\x78\x9c\x01", 25, &used),
                     MP_TRANSPORT_SWITCH);
    assert_int_equal(used, 22);
    assert_int_equal(mp_imap_client_feed(&h.c, "\x78", 1, &used), MP_ERR_STATE);
    assert_int_equal(used, 0);
    assert_int_equal(mp_imap_client_compress_started(&h.c), MP_OK);
    assert_int_equal(mp_imap_client_state_of(&h.c), MP_IMAP_ST_AUTHENTICATED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal_flood_streams),
        cmocka_unit_test(test_literal_over_host_limit),
        cmocka_unit_test(test_too_many_literals),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_endless_line),
        cmocka_unit_test(test_starttls_injection_same_read),
        cmocka_unit_test(test_compress_stops_at_the_ok),
    };
    int r;
    big = malloc(8u << 20);
    assert_non_null(big);
    r = cmocka_run_group_tests(tests, NULL, NULL);
    free(big);
    return r;
}
