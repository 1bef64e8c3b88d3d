/*
 * The TLS byte pump: a client pump and a server pump wired together in
 * memory (no sockets), with the test credentials in tests/mbedtls/data.
 * Handshake, data both ways (1 MiB in odd pieces, and ciphertext moved one
 * byte at a time), close_notify, EOF truncation, certificate failures
 * (wrong hostname, untrusted CA), back-pressure, API misuse, a STARTTLS
 * simulation showing that plaintext injected after the STARTTLS command
 * never reaches the session, and peer names: host names (SNI, DNS names)
 * and IPv4/IPv6 addresses (iPAddress subjectAltNames only, no SNI).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/mbedtls.h"
#include "split.h"
#include "tls_fixture.h"

/* ---- Fixtures ----------------------------------------------------------- */

static mp_tls_pump cli, srv;

static int pumps_free(void **s)
{
    (void)s;
    mp_tls_pump_free(&cli);
    mp_tls_pump_free(&srv);
    return 0;
}

/* xorshift64*: a fixed pseudo-random sequence for sizes and contents. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static size_t rnd(size_t lo, size_t hi)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return lo + (size_t)((x * 0x2545F4914F6CDD1DULL) % (hi - lo + 1));
}

/* Move ciphertext from one pump to the other, at most `chunk` bytes per
 * transfer (chunk 0: at random 1..3000).  Returns the bytes moved. */
static size_t move(mp_tls_pump *from, mp_tls_pump *to, size_t chunk)
{
    size_t total = 0;
    for (;;) {
        size_t len, room, n;
        const unsigned char *src = mp_tls_pump_send_buf(from, &len);
        unsigned char *dst;
        if (len == 0) break;
        dst = mp_tls_pump_recv_buf(to, &room);
        if (room == 0) break;
        assert_non_null(src);
        n = chunk != 0 ? chunk : rnd(1, 3000);
        if (n > len) n = len;
        if (n > room) n = room;
        memcpy(dst, src, n);
        (void)mp_tls_pump_send_done(from, n);
        (void)mp_tls_pump_recv_done(to, n);
        total += n;
    }
    return total;
}

/* Drive both handshakes until neither can progress. */
static void handshake(size_t chunk)
{
    int i;
    for (i = 0; i < 200000; i++) {
        size_t moved = move(&cli, &srv, chunk) + move(&srv, &cli, chunk);
        if (mp_tls_pump_status(&cli) != MP_NEED_MORE && mp_tls_pump_status(&srv) != MP_NEED_MORE)
            break;
        if (moved == 0) break;
    }
}

static void setup_pair(const mp_tls_config *ccfg, const char *host)
{
    assert_int_equal(mp_tls_pump_setup(&srv, &server_cfg.conf, NULL), MP_NEED_MORE);
    assert_int_equal(mp_tls_pump_setup(&cli, &ccfg->conf, host), MP_NEED_MORE);
}

static void connect_pair(size_t chunk)
{
    setup_pair(&client_cfg, "localhost");
    handshake(chunk);
    assert_int_equal(mp_tls_pump_status(&cli), MP_OK);
    assert_int_equal(mp_tls_pump_status(&srv), MP_OK);
    assert_true(mp_tls_pump_handshake_done(&cli));
    assert_true(mp_tls_pump_handshake_done(&srv));
    assert_int_equal(mbedtls_ssl_get_verify_result(&cli.ssl), 0);
}

/* One direction of a transfer: `data[0..n)` written into `from`, read out
 * of `to` into `sink`. */
typedef struct flow {
    mp_tls_pump *from, *to;
    const uint8_t *data;
    uint8_t *sink;
    size_t n, sent, got;
    size_t max_write, max_read; /* piece sizes drawn from 1..max */
} flow;

/* One round of a flow; returns the bytes of progress. */
static size_t flow_round(flow *f, size_t chunk)
{
    size_t progress = 0;
    if (f->sent < f->n) {
        size_t want = rnd(1, f->max_write), used = 99;
        mp_status st;
        if (want > f->n - f->sent) want = f->n - f->sent;
        st = mp_tls_pump_write(f->from, f->data + f->sent, want, &used);
        assert_true(st == MP_OK || st == MP_NEED_MORE);
        assert_true(used <= want);
        if (st == MP_NEED_MORE) assert_int_equal(used, 0);
        f->sent += used;
        progress += used;
    }
    progress += move(f->from, f->to, chunk);
    for (;;) {
        size_t cap = rnd(1, f->max_read), got = 99;
        mp_status st;
        if (cap > f->n - f->got) cap = f->n - f->got;
        if (cap == 0) break;
        st = mp_tls_pump_read(f->to, f->sink + f->got, cap, &got);
        if (st == MP_NEED_MORE) {
            assert_int_equal(got, 0);
            break;
        }
        assert_int_equal(st, MP_OK);
        assert_true(got > 0 && got <= cap);
        f->got += got;
        progress += got;
    }
    /* The reader's side may have produced ciphertext too (never here, but
     * keep the other direction flowing). */
    progress += move(f->to, f->from, chunk);
    return progress;
}

static void run_flows(flow *a, flow *b, size_t chunk)
{
    long idle = 0;
    while ((a->got < a->n) || (b != NULL && b->got < b->n)) {
        size_t p = flow_round(a, chunk);
        if (b != NULL) p += flow_round(b, chunk);
        idle = p == 0 ? idle + 1 : 0;
        assert_true(idle < 1000);
    }
    assert_int_equal(a->sent, a->n);
    assert_memory_equal(a->data, a->sink, a->n);
    if (b != NULL) {
        assert_int_equal(b->sent, b->n);
        assert_memory_equal(b->data, b->sink, b->n);
    }
}

/* Read everything available now from `p` into a string. */
static size_t read_all(mp_tls_pump *p, char *out, size_t cap, mp_status *last)
{
    size_t total = 0, got;
    mp_status st;
    while ((st = mp_tls_pump_read(p, out + total, cap - total, &got)) == MP_OK && got > 0)
        total += got;
    if (last != NULL) *last = st;
    return total;
}

static void write_all(mp_tls_pump *p, const char *s)
{
    size_t n = strlen(s), used;
    assert_int_equal(mp_tls_pump_write(p, s, n, &used), MP_OK);
    assert_int_equal(used, n);
}

/* Move ciphertext and read plaintext until neither makes progress (small
 * pump buffers need several rounds).  Returns the plaintext bytes read;
 * `*last` is the last read status. */
static size_t deliver(mp_tls_pump *from, mp_tls_pump *to, char *out, size_t cap,
                      mp_status *last)
{
    size_t total = 0;
    mp_status st = MP_NEED_MORE;
    for (;;) {
        size_t m = move(from, to, 0);
        size_t n = read_all(to, out + total, cap - total, &st);
        total += n;
        if ((m == 0 && n == 0) || st != MP_NEED_MORE) break;
    }
    if (last != NULL) *last = st;
    return total;
}

/* ---- Tests -------------------------------------------------------------- */

static void test_handshake_and_lines(void **s)
{
    char buf[256];
    size_t n;
    (void)s;
    connect_pair(0);
    print_message("negotiated %s %s\n", mbedtls_ssl_get_version(&cli.ssl),
                  mbedtls_ssl_get_ciphersuite(&cli.ssl));
    /* A server greets first (SMTPS/IMAPS/POP3S), the client answers. */
    write_all(&srv, "* OK [CAPABILITY IMAP4rev1] ready\r\n");
    n = deliver(&srv, &cli, buf, sizeof buf, NULL);
    assert_int_equal(n, 35);
    assert_memory_equal(buf, "* OK [CAPABILITY IMAP4rev1] ready\r\n", n);
    write_all(&cli, "a1 CAPABILITY\r\n");
    write_all(&cli, "a2 LOGOUT\r\n");
    n = deliver(&cli, &srv, buf, sizeof buf, NULL);
    assert_int_equal(n, 26);
    assert_memory_equal(buf, "a1 CAPABILITY\r\na2 LOGOUT\r\n", n);
    /* Nothing more: reads say so without error. */
    assert_int_equal(read_all(&srv, buf, sizeof buf, NULL), 0);
    assert_int_equal(mp_tls_pump_status(&srv), MP_OK);
    assert_int_equal(mp_tls_pump_tls_error(&srv), 0);
}

/* 1 MiB each way at once, written in odd pieces, ciphertext moved in
 * random pieces, read with odd capacities. */
static void test_bulk_both_ways(void **s)
{
    static uint8_t up[1u << 20], down[1u << 20], up_sink[1u << 20], down_sink[1u << 20];
    flow a = { &cli, &srv, up, up_sink, sizeof up, 0, 0, 5000, 3001 };
    flow b = { &srv, &cli, down, down_sink, sizeof down, 0, 0, 997, 17000 };
    size_t i;
    (void)s;
    for (i = 0; i < sizeof up; i++) {
        up[i] = (uint8_t)rnd(0, 255);
        down[i] = (uint8_t)(i * 7 + 3);
    }
    connect_pair(0);
    run_flows(&a, &b, 0);
}

/* Ciphertext moved one byte at a time, handshake included; plaintext
 * written and read one byte at a time too. */
static void test_one_byte_feeding(void **s)
{
    static uint8_t up[3000], sink[3000], down[700], dsink[700];
    flow a = { &cli, &srv, up, sink, sizeof up, 0, 0, 1, 1 };
    flow b = { &srv, &cli, down, dsink, sizeof down, 0, 0, 3, 1 };
    size_t i;
    (void)s;
    for (i = 0; i < sizeof up; i++) up[i] = (uint8_t)rnd(0, 255);
    for (i = 0; i < sizeof down; i++) down[i] = (uint8_t)rnd(0, 255);
    connect_pair(1);
    run_flows(&a, &b, 1);
}

/* The plaintext delivered does not depend on how the host splits its
 * writes (mp_split_check on the plaintext side of an open connection). */
static void sp_reset(void *state) { (void)state; }

static void sp_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    char buf[512];
    size_t got;
    (void)state;
    while (n > 0) {
        size_t used;
        assert_int_equal(mp_tls_pump_write(&cli, p, n, &used), MP_OK);
        p += used;
        n -= used;
        while ((got = deliver(&cli, &srv, buf, sizeof buf, NULL)) > 0)
            mp_evlog_chunk(log, "plain", buf, got);
    }
}

static void test_split_invariance(void **s)
{
    static const char in[] = "EHLO client.example\r\nMAIL FROM:<a@example.org>\r\n"
                             "RCPT TO:<b@example.net>\r\nDATA\r\n";
    mp_split_target t = { sp_reset, sp_feed, NULL, NULL };
    (void)s;
    connect_pair(0);
    mp_split_check(&t, in, sizeof in - 1,
                   "chunk plain EHLO client.example\\r\\nMAIL FROM:<a@example.org>\\r\\n"
                   "RCPT TO:<b@example.net>\\r\\nDATA\\r\\n\n");
}

static void test_close_notify(void **s)
{
    char buf[64];
    size_t used;
    mp_status st;
    (void)s;
    connect_pair(0);
    write_all(&cli, "QUIT\r\n");
    assert_int_equal(mp_tls_pump_close(&cli), MP_OK);
    assert_int_equal(mp_tls_pump_close(&cli), MP_OK); /* idempotent */
    assert_int_equal(mp_tls_pump_write(&cli, "X", 1, &used), MP_CLOSED);
    assert_int_equal(used, 0);
    assert_int_equal(mp_tls_pump_status(&cli), MP_OK); /* can still read */
    /* The data before close_notify arrives, then the close. */
    assert_int_equal(deliver(&cli, &srv, buf, sizeof buf, &st), 6);
    assert_memory_equal(buf, "QUIT\r\n", 6);
    assert_int_equal(st, MP_CLOSED);
    assert_int_equal(mp_tls_pump_status(&srv), MP_CLOSED);
    assert_int_equal(mp_tls_pump_tls_error(&srv), 0);
    /* The server may still answer, then closes too. */
    write_all(&srv, "221 Bye\r\n");
    assert_int_equal(mp_tls_pump_close(&srv), MP_OK);
    assert_int_equal(deliver(&srv, &cli, buf, sizeof buf, &st), 9);
    assert_memory_equal(buf, "221 Bye\r\n", 9);
    assert_int_equal(st, MP_CLOSED);
    assert_int_equal(mp_tls_pump_status(&cli), MP_CLOSED);
    assert_int_equal(mp_tls_pump_status(&srv), MP_CLOSED);
    assert_int_equal(mp_tls_pump_read(&cli, buf, sizeof buf, &used), MP_CLOSED);
}

static void test_eof(void **s)
{
    char buf[64];
    size_t got;
    (void)s;
    /* EOF without close_notify: possible truncation, an error. */
    connect_pair(0);
    write_all(&cli, "DATA\r\n");
    move(&cli, &srv, 0);
    assert_int_equal(mp_tls_pump_recv_eof(&srv), MP_OK);
    assert_int_equal(read_all(&srv, buf, sizeof buf, NULL), 6); /* buffered data first */
    assert_int_equal(mp_tls_pump_read(&srv, buf, sizeof buf, &got), MP_ERR_TLS);
    assert_int_equal(mp_tls_pump_tls_error(&srv), MBEDTLS_ERR_SSL_CONN_EOF);
    assert_true(mp_tls_pump_handshake_done(&srv));
    pumps_free(NULL);

    /* EOF after our own close_notify ends the connection normally. */
    connect_pair(0);
    assert_int_equal(mp_tls_pump_close(&cli), MP_OK);
    move(&cli, &srv, 0);
    assert_int_equal(mp_tls_pump_recv_eof(&cli), MP_OK);
    assert_int_equal(mp_tls_pump_read(&cli, buf, sizeof buf, &got), MP_CLOSED);
    assert_int_equal(mp_tls_pump_tls_error(&cli), 0);
}

/* EOF in the middle of the handshake. */
static void test_eof_during_handshake(void **s)
{
    (void)s;
    setup_pair(&client_cfg, "localhost");
    move(&cli, &srv, 0);
    assert_int_equal(mp_tls_pump_status(&srv), MP_NEED_MORE);
    assert_int_equal(mp_tls_pump_recv_eof(&cli), MP_ERR_TLS);
    assert_int_equal(mp_tls_pump_tls_error(&cli), MBEDTLS_ERR_SSL_CONN_EOF);
    assert_false(mp_tls_pump_handshake_done(&cli));
}

static void test_wrong_hostname(void **s)
{
    size_t len;
    (void)s;
    setup_pair(&client_cfg, "mail.wrong.example");
    handshake(0);
    assert_int_equal(mp_tls_pump_status(&cli), MP_ERR_TLS);
    assert_int_equal(mp_tls_pump_tls_error(&cli), MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
    assert_true(mbedtls_ssl_get_verify_result(&cli.ssl) & MBEDTLS_X509_BADCERT_CN_MISMATCH);
    assert_false(mp_tls_pump_handshake_done(&cli));
    /* The client's fatal alert reached the server, which failed too
     * (FATAL_ALERT_MESSAGE with TLS 1.2; with TLS 1.3 mbedTLS 3.x may see
     * the alert under keys it no longer expects and report a bad MAC). */
    assert_int_equal(mp_tls_pump_status(&srv), MP_ERR_TLS);
    assert_true(mp_tls_pump_tls_error(&srv) < 0);
    assert_null(mp_tls_pump_send_buf(&cli, &len));
    /* A failed pump refuses everything. */
    assert_int_equal(mp_tls_pump_write(&cli, "x", 1, &len), MP_ERR_TLS);
    assert_int_equal(mp_tls_pump_close(&cli), MP_ERR_TLS);
    assert_non_null(mp_tls_pump_recv_buf(&cli, &len));
    assert_int_equal(len, 0);
}

static void test_untrusted_ca(void **s)
{
    static mp_tls_config other;
    (void)s;
    assert_int_equal(mp_tls_config_init(&other, MP_TLS_CLIENT), MP_OK);
    assert_int_equal(mp_tls_config_ca_file(&other, data_path("other-ca.pem")), MP_OK);
    setup_pair(&other, "localhost");
    handshake(0);
    assert_int_equal(mp_tls_pump_status(&cli), MP_ERR_TLS);
    assert_int_equal(mp_tls_pump_tls_error(&cli), MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
    assert_true(mbedtls_ssl_get_verify_result(&cli.ssl) & MBEDTLS_X509_BADCERT_NOT_TRUSTED);
    assert_int_equal(mp_tls_pump_status(&srv), MP_ERR_TLS);
    pumps_free(NULL);
    mp_tls_config_free(&other);

    /* A client without any CA cannot verify anything either. */
    assert_int_equal(mp_tls_config_init(&other, MP_TLS_CLIENT), MP_OK);
    setup_pair(&other, "localhost");
    handshake(0);
    assert_int_equal(mp_tls_pump_status(&cli), MP_ERR_TLS);
    assert_false(mp_tls_pump_handshake_done(&cli));
    pumps_free(NULL);
    mp_tls_config_free(&other);
}

static void test_hostname_required(void **s)
{
    static mp_tls_config lax;
    (void)s;
    /* Verification required (the default) without a name: refused. */
    assert_int_equal(mp_tls_pump_setup(&cli, &client_cfg.conf, NULL), MP_ERR_ARG);
    mp_tls_pump_free(&cli);
    /* A host that explicitly turned verification off may omit it. */
    assert_int_equal(mp_tls_config_init(&lax, MP_TLS_CLIENT), MP_OK);
    mbedtls_ssl_conf_authmode(&lax.conf, MBEDTLS_SSL_VERIFY_NONE);
    assert_int_equal(mp_tls_pump_setup(&srv, &server_cfg.conf, NULL), MP_NEED_MORE);
    assert_int_equal(mp_tls_pump_setup(&cli, &lax.conf, NULL), MP_NEED_MORE);
    handshake(0);
    assert_int_equal(mp_tls_pump_status(&cli), MP_OK);
    pumps_free(NULL);
    mp_tls_config_free(&lax);
}

/* The host that does not drain its output: writes stop taking bytes;
 * the host that does not read plaintext: the input buffer fills. */
static void test_backpressure(void **s)
{
    static char big[64 * 1024], sink[64 * 1024];
    size_t used, total = 0, len, room, got, n;
    mp_status st;
    int i;
    (void)s;
    memset(big, 'x', sizeof big);
    connect_pair(0);
    for (i = 0; i < 100; i++) {
        st = mp_tls_pump_write(&cli, big + total, sizeof big - total, &used);
        if (st == MP_NEED_MORE) break;
        assert_int_equal(st, MP_OK);
        assert_true(used > 0);
        total += used;
    }
    assert_int_equal(st, MP_NEED_MORE);
    assert_int_equal(used, 0);
    assert_true(total > 0 && total < MP_TLS_PUMP_OUT_BUF);
    assert_non_null(mp_tls_pump_send_buf(&cli, &len));
    assert_true(len > total && len <= MP_TLS_PUMP_OUT_BUF);
    /* Send it (the reader keeping up): room comes back. */
    assert_int_equal(mp_tls_pump_send_done(&cli, len + 1), MP_ERR_ARG);
    got = 0;
    while (mp_tls_pump_send_buf(&cli, &len) != NULL)
        got += deliver(&cli, &srv, sink + got, sizeof sink - got, NULL);
    assert_int_equal(got, total);
    assert_int_equal(mp_tls_pump_write(&cli, big + total, 10, &used), MP_OK);
    assert_int_equal(used, 10);
    total += used;
    /* Now the receiver does not read: its input buffer fills up. */
    for (i = 0; i < 10000; i++) {
        (void)mp_tls_pump_recv_buf(&srv, &room);
        if (room == 0) break;
        st = mp_tls_pump_write(&cli, big + total, sizeof big - total, &used);
        assert_true(st == MP_OK || st == MP_NEED_MORE);
        total += used;
        move(&cli, &srv, 0);
    }
    (void)mp_tls_pump_recv_buf(&srv, &room);
    assert_int_equal(room, 0);
    assert_int_equal(mp_tls_pump_recv_done(&srv, 1), MP_ERR_ARG);
    /* Reading frees room, and everything arrives intact. */
    n = read_all(&srv, sink + got, sizeof sink - got, NULL);
    assert_true(n > 0);
    got += n;
    (void)mp_tls_pump_recv_buf(&srv, &room);
    assert_true(room > 0);
    {
        flow f = { &cli, &srv, (const uint8_t *)big, (uint8_t *)sink, sizeof big, total, got,
                   4096, 4096 };
        run_flows(&f, NULL, 0);
    }
}

/* close_notify when the output buffer is nearly full: the alert record is
 * handed over in part and flushed as the host drains; nothing is lost. */
static void test_close_when_full(void **s)
{
    static char big[3 * MP_TLS_PUMP_OUT_BUF], sink[3 * MP_TLS_PUMP_OUT_BUF];
    size_t used, total = 0, got;
    mp_status st;
    int i;
    (void)s;
    memset(big, 'q', sizeof big);
    connect_pair(0);
    while ((st = mp_tls_pump_write(&cli, big + total, sizeof big - total, &used)) == MP_OK)
        total += used;
    assert_int_equal(st, MP_NEED_MORE);
    assert_int_equal(mp_tls_pump_close(&cli), MP_OK);
    assert_int_equal(mp_tls_pump_status(&cli), MP_OK);
    assert_int_equal(mp_tls_pump_write(&cli, "x", 1, &used), MP_CLOSED);
    /* Ciphertext in small pieces, the reader keeping up. */
    got = 0;
    st = MP_NEED_MORE;
    for (i = 0; i < 100000 && st == MP_NEED_MORE; i++) {
        move(&cli, &srv, 7);
        got += read_all(&srv, sink + got, sizeof sink - got, &st);
    }
    assert_int_equal(mp_tls_pump_send_buf(&cli, &used), NULL);
    assert_int_equal(got, total);
    assert_memory_equal(sink, big, total);
    assert_int_equal(st, MP_CLOSED);
}

static void test_misuse(void **s)
{
    static mp_tls_pump unset;
    char buf[8];
    size_t n;
    (void)s;
    assert_int_equal(mp_tls_pump_status(&unset), MP_ERR_STATE);
    assert_int_equal(mp_tls_pump_recv_done(&unset, 0), MP_ERR_STATE);
    assert_int_equal(mp_tls_pump_send_done(&unset, 0), MP_ERR_STATE);
    assert_int_equal(mp_tls_pump_read(&unset, buf, sizeof buf, &n), MP_ERR_STATE);
    assert_int_equal(mp_tls_pump_write(&unset, "a", 1, &n), MP_ERR_STATE);
    assert_int_equal(mp_tls_pump_close(&unset), MP_ERR_STATE);
    assert_int_equal(mp_tls_pump_setup(&unset, NULL, NULL), MP_ERR_ARG);
    mp_tls_pump_free(&unset);
    mp_tls_pump_free(&unset);
    assert_int_equal(mp_tls_pump_setup(NULL, &client_cfg.conf, "localhost"), MP_ERR_ARG);

    setup_pair(&client_cfg, "localhost");
    /* The ClientHello is ready at once; the server has nothing yet. */
    assert_non_null(mp_tls_pump_send_buf(&cli, &n));
    assert_true(n > 40);
    assert_null(mp_tls_pump_send_buf(&srv, &n));
    assert_int_equal(n, 0);
    /* Before the handshake: no data, no close. */
    assert_int_equal(mp_tls_pump_write(&cli, "EHLO\r\n", 6, &n), MP_NEED_MORE);
    assert_int_equal(n, 0);
    assert_int_equal(mp_tls_pump_read(&cli, buf, sizeof buf, &n), MP_NEED_MORE);
    assert_int_equal(mp_tls_pump_close(&cli), MP_ERR_STATE);
    assert_false(mp_tls_pump_handshake_done(&cli));
    handshake(0);
    assert_int_equal(mp_tls_pump_write(&cli, "", 0, &n), MP_OK);
    assert_int_equal(n, 0);
    assert_int_equal(mp_tls_pump_read(&srv, buf, 0, &n), MP_OK);
    assert_int_equal(n, 0);
}

/* Garbage instead of a ClientHello: a TLS error, never data. */
static void test_garbage(void **s)
{
    static const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    unsigned char *dst;
    size_t room, n;
    char buf[64];
    (void)s;
    assert_int_equal(mp_tls_pump_setup(&srv, &server_cfg.conf, NULL), MP_NEED_MORE);
    dst = mp_tls_pump_recv_buf(&srv, &room);
    memcpy(dst, junk, sizeof junk - 1);
    assert_int_equal(mp_tls_pump_recv_done(&srv, sizeof junk - 1), MP_ERR_TLS);
    assert_int_equal(mp_tls_pump_read(&srv, buf, sizeof buf, &n), MP_ERR_TLS);
    assert_int_equal(n, 0);
    assert_true(mp_tls_pump_tls_error(&srv) < 0);
}

/* Random bytes (some behind a plausible handshake record header) into a
 * server pump, in random pieces: NEED_MORE or a TLS error, never data,
 * never a crash (the sanitizer build runs this too). */
static void test_random_garbage(void **s)
{
    static unsigned char junk[2048];
    int iter;
    (void)s;
    for (iter = 0; iter < 200; iter++) {
        size_t n = rnd(1, sizeof junk), off = 0, i;
        char buf[64];
        mp_status st = MP_NEED_MORE;
        for (i = 0; i < n; i++) junk[i] = (unsigned char)rnd(0, 255);
        if (iter % 2 == 0 && n > 9) {
            /* TLS record: handshake(22), TLS 1.0-1.2 version, length;
             * then a ClientHello header. */
            junk[0] = 22;
            junk[1] = 3;
            junk[2] = (unsigned char)rnd(1, 3);
            junk[3] = (unsigned char)((n - 5) >> 8);
            junk[4] = (unsigned char)(n - 5);
            junk[5] = 1;
        }
        assert_int_equal(mp_tls_pump_setup(&srv, &server_cfg.conf, NULL), MP_NEED_MORE);
        while (off < n && st == MP_NEED_MORE) {
            size_t room, k = rnd(1, 300);
            unsigned char *dst = mp_tls_pump_recv_buf(&srv, &room);
            size_t got = 99;
            if (k > n - off) k = n - off;
            if (k > room) k = room;
            assert_true(k > 0);
            memcpy(dst, junk + off, k);
            off += k;
            st = mp_tls_pump_recv_done(&srv, k);
            assert_true(st == MP_NEED_MORE || st == MP_ERR_TLS);
            assert_int_not_equal(mp_tls_pump_read(&srv, buf, sizeof buf, &got), MP_OK);
            assert_int_equal(got, 0);
            mp_tls_pump_send_buf(&srv, &room); /* alerts may be queued */
            if (room > 0) (void)mp_tls_pump_send_done(&srv, room);
        }
        assert_false(mp_tls_pump_handshake_done(&srv));
        mp_tls_pump_free(&srv);
    }
}

/* A record altered on the wire: a TLS error (bad MAC), no plaintext. */
static void test_tampered_record(void **s)
{
    const unsigned char *src;
    unsigned char *dst;
    size_t len, room, n, total, moved;
    char buf[64];
    (void)s;
    connect_pair(0);
    write_all(&cli, "AUTH PLAIN AGFsaWNlAHNlY3JldA==\r\n");
    /* Move the record, flipping one bit 3 bytes before its end (inside
     * the authentication tag); in pieces when the pump buffers are small. */
    src = mp_tls_pump_send_buf(&cli, &len);
    assert_non_null(src);
    total = len;
    moved = 0;
    while ((src = mp_tls_pump_send_buf(&cli, &len)) != NULL) {
        dst = mp_tls_pump_recv_buf(&srv, &room);
        if (room == 0) {
            assert_int_equal(mp_tls_pump_read(&srv, buf, sizeof buf, &n), MP_NEED_MORE);
            dst = mp_tls_pump_recv_buf(&srv, &room);
            assert_true(room > 0);
        }
        if (len > room) len = room;
        memcpy(dst, src, len);
        if (total - 3 >= moved && total - 3 < moved + len) dst[total - 3 - moved] ^= 0x01;
        moved += len;
        assert_int_equal(mp_tls_pump_send_done(&cli, len), MP_OK);
        assert_int_equal(mp_tls_pump_recv_done(&srv, len), MP_OK);
    }
    assert_int_equal(moved, total);
    assert_int_equal(mp_tls_pump_read(&srv, buf, sizeof buf, &n), MP_ERR_TLS);
    assert_int_equal(n, 0);
    assert_int_equal(mp_tls_pump_tls_error(&srv), MBEDTLS_ERR_SSL_INVALID_MAC);
    assert_int_equal(mp_tls_pump_status(&srv), MP_ERR_TLS);
    /* It stays failed. */
    assert_int_equal(mp_tls_pump_read(&srv, buf, sizeof buf, &n), MP_ERR_TLS);
    assert_int_equal(mp_tls_pump_recv_done(&srv, 0), MP_ERR_TLS);
}

/* Credentials from PEM strings; and loading errors. */
static char *slurp(const char *path)
{
    static char text[4][4096];
    static int k;
    FILE *f = fopen(path, "rb");
    size_t n;
    assert_non_null(f);
    k = (k + 1) % 4;
    n = fread(text[k], 1, sizeof text[k] - 1, f);
    fclose(f);
    text[k][n] = '\0';
    return text[k];
}

static void test_config_pem(void **s)
{
    static mp_tls_config c, sv;
    (void)s;
    assert_int_equal(mp_tls_config_init(&c, MP_TLS_CLIENT), MP_OK);
    assert_int_equal(mp_tls_config_ca_pem(&c, slurp(data_path("ca.pem"))), MP_OK);
    assert_int_equal(mp_tls_config_ca_pem(&c, "not a certificate"), MP_ERR_TLS);
    assert_true(c.tls_error < 0);
    assert_int_equal(mp_tls_config_ca_file(&c, data_path("no-such-file.pem")), MP_ERR_TLS);
    assert_int_equal(mp_tls_config_ca_pem(&c, NULL), MP_ERR_ARG);
    assert_int_equal(mp_tls_config_init(&sv, MP_TLS_SERVER), MP_OK);
    /* The CA's key does not match the server certificate. */
    assert_int_equal(mp_tls_config_own_cert_pem(&sv, slurp(data_path("server.pem")),
                                                slurp(data_path("ca.key")), NULL),
                     MP_ERR_TLS);
    mp_tls_config_free(&sv);
    assert_int_equal(mp_tls_config_init(&sv, MP_TLS_SERVER), MP_OK);
    assert_int_equal(mp_tls_config_own_cert_pem(&sv, slurp(data_path("server.pem")),
                                                slurp(data_path("server.key")), NULL),
                     MP_OK);
    assert_int_equal(mp_tls_pump_setup(&srv, &sv.conf, NULL), MP_NEED_MORE);
    assert_int_equal(mp_tls_pump_setup(&cli, &c.conf, "localhost"), MP_NEED_MORE);
    handshake(0);
    assert_int_equal(mp_tls_pump_status(&cli), MP_OK);
    assert_int_equal(mp_tls_pump_status(&srv), MP_OK);
    pumps_free(NULL);
    mp_tls_config_free(&sv);
    mp_tls_config_free(&c);
}

/*
 * STARTTLS as an SMTP server host would run it.  The client (an attacker
 * here) sends STARTTLS and a forged command in one segment.  The server
 * side frames lines with mp_line_framer and stops at the STARTTLS line, as
 * the session does (MP_TRANSPORT_SWITCH); the rest of that read is
 * discarded, the 220 goes out in plaintext, and the pump starts on the
 * next socket bytes.  After the handshake only what came through TLS is
 * seen.  And had the host given the leftover to the pump, it would have
 * been a TLS error, never plaintext.
 */
static void test_starttls(void **s)
{
    static const char wire[] = "EHLO c.example\r\nSTARTTLS\r\nMAIL FROM:<forged@evil>\r\n";
    char fbuf[1024], got[256];
    mp_line_framer fr;
    mp_slice line;
    size_t off = 0, used, n, room;
    mp_status st;
    int lines = 0;
    unsigned char *dst;
    (void)s;

    assert_int_equal(mp_line_framer_init(&fr, fbuf, sizeof fbuf, 512, 0), MP_OK);
    for (;;) {
        st = mp_line_framer_next(&fr, wire + off, sizeof wire - 1 - off, &used, &line);
        assert_int_equal(st, MP_OK);
        off += used;
        lines++;
        if (mp_slice_eq_ci(line, "STARTTLS", 8)) break;
    }
    assert_int_equal(lines, 2);
    /* The switch byte: the forged command is what is left of the read. */
    assert_int_equal(sizeof wire - 1 - off, 25);
    assert_memory_equal(wire + off, "MAIL FROM:<forged@evil>\r\n", 25);
    mp_line_framer_reset(&fr);
    assert_int_equal(mp_line_framer_pending(&fr), 0);
    /* (Plaintext "220 2.0.0 Ready to start TLS" goes out here.) */

    /* Right way: the leftover is dropped; the pumps start clean. */
    connect_pair(0);
    write_all(&cli, "EHLO c.example\r\n");
    n = deliver(&cli, &srv, got, sizeof got, NULL);
    off = 0;
    lines = 0;
    while (off < n) {
        st = mp_line_framer_next(&fr, got + off, n - off, &used, &line);
        off += used;
        if (st != MP_OK) break;
        lines++;
        assert_int_equal(line.len, 14);
        assert_memory_equal(line.ptr, "EHLO c.example", 14);
    }
    assert_int_equal(lines, 1);
    pumps_free(NULL);

    /* Wrong way, caught: the leftover pushed into the server pump before
     * the ClientHello is not TLS; the handshake fails, nothing is read. */
    setup_pair(&client_cfg, "localhost");
    dst = mp_tls_pump_recv_buf(&srv, &room);
    memcpy(dst, "MAIL FROM:<forged@evil>\r\n", 25);
    assert_int_equal(mp_tls_pump_recv_done(&srv, 25), MP_ERR_TLS);
    handshake(0);
    assert_int_equal(mp_tls_pump_read(&srv, got, sizeof got, &n), MP_ERR_TLS);
    assert_int_equal(n, 0);
    assert_false(mp_tls_pump_handshake_done(&srv));
    /* mbedTLS sends no alert for a broken ClientHello; the server host
     * closes the socket and the client sees EOF mid-handshake. */
    assert_int_equal(mp_tls_pump_recv_eof(&cli), MP_ERR_TLS);
}

/* Application data sent in the same flight as the last handshake message
 * of the side that finishes first (the server with TLS 1.2, the client
 * with TLS 1.3) is kept and read once the other side finishes. */
static void test_data_right_after_handshake(void **s)
{
    mp_tls_pump *first, *second;
    char buf[64];
    size_t n, i;
    (void)s;
    setup_pair(&client_cfg, "localhost");
    /* One flight at a time until one side is done. */
    for (i = 0; i < 100; i++) {
        move(&cli, &srv, 0);
        if (mp_tls_pump_status(&srv) == MP_OK || mp_tls_pump_status(&cli) == MP_OK) break;
        move(&srv, &cli, 0);
        if (mp_tls_pump_status(&srv) == MP_OK || mp_tls_pump_status(&cli) == MP_OK) break;
    }
    first = mp_tls_pump_status(&srv) == MP_OK ? &srv : &cli;
    second = first == &srv ? &cli : &srv;
    assert_int_equal(mp_tls_pump_status(first), MP_OK);
    assert_int_equal(mp_tls_pump_status(second), MP_NEED_MORE);
    write_all(first, "+OK POP3 ready\r\n");
    /* The last handshake message and the data in one go. */
    n = deliver(first, second, buf, sizeof buf, NULL);
    assert_int_equal(mp_tls_pump_status(second), MP_OK);
    assert_int_equal(n, 16);
    assert_memory_equal(buf, "+OK POP3 ready\r\n", 16);
}

/* ---- Peer names: host names and IP addresses ----------------------------- */

/* The server side records the SNI it receives (RFC 6066 §3). */
static char sni_name[300];
static int sni_calls;

static int record_sni(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len)
{
    (void)arg;
    (void)ssl;
    sni_calls++;
    if (len >= sizeof(sni_name))
        len = sizeof(sni_name) - 1;
    memcpy(sni_name, name, len);
    sni_name[len] = '\0';
    return 0;
}

/* A client naming the server `name` against a server with data/<cert>:
 * the client's status after the handshake; `*flags` its verify result. */
static mp_status handshake_named(const mp_tls_config *ccfg, const char *cert, const char *name,
                                 uint32_t *flags)
{
    static mp_tls_config sv;
    mp_status st;
    sni_calls = 0;
    sni_name[0] = '\0';
    assert_int_equal(mp_tls_config_init(&sv, MP_TLS_SERVER), MP_OK);
    assert_int_equal(mp_tls_config_own_cert_file(&sv, data_path(cert), data_path("server.key"),
                                                 NULL),
                     MP_OK);
    mbedtls_ssl_conf_sni(&sv.conf, record_sni, NULL);
    assert_int_equal(mp_tls_pump_setup(&srv, &sv.conf, NULL), MP_NEED_MORE);
    assert_int_equal(mp_tls_pump_setup(&cli, &ccfg->conf, name), MP_NEED_MORE);
    handshake(0);
    st = mp_tls_pump_status(&cli);
    *flags = mbedtls_ssl_get_verify_result(&cli.ssl);
    if (st == MP_ERR_TLS)
        assert_int_equal(mp_tls_pump_tls_error(&cli), MBEDTLS_ERR_X509_CERT_VERIFY_FAILED);
    pumps_free(NULL);
    mp_tls_config_free(&sv);
    return st;
}

typedef struct name_case {
    const char *cert, *name;
    int ok;          /* the handshake succeeds */
    const char *sni; /* the SNI the server saw, NULL: none */
} name_case;

/* An address is checked against iPAddress subjectAltNames only and never
 * sent as SNI; a host name is sent as SNI and matched as before. */
static void test_peer_names(void **s)
{
    static const name_case cases[] = {
        /* server.pem: DNS:localhost, IP:127.0.0.1 */
        {"server.pem", "localhost", 1, "localhost"},
        {"server.pem", "127.0.0.1", 1, NULL},
        {"server.pem", "[127.0.0.1]", 1, NULL},
        {"server.pem", "127.0.0.2", 0, NULL},
        {"server.pem", "::1", 0, NULL},
        {"server.pem", "::ffff:127.0.0.1", 0, NULL},
        {"server.pem", "mx.example.org", 0, "mx.example.org"},
        /* ip-v4.pem: IP:127.0.0.1 only, CN=mx.example.org (a CN is not
         * consulted when there are subjectAltNames) */
        {"ip-v4.pem", "127.0.0.1", 1, NULL},
        {"ip-v4.pem", "mx.example.org", 0, "mx.example.org"},
        /* ip-v6.pem: IP:::1, IP:2001:db8::25 */
        {"ip-v6.pem", "::1", 1, NULL},
        {"ip-v6.pem", "[::1]", 1, NULL},
        {"ip-v6.pem", "2001:DB8:0:0::25", 1, NULL},
        {"ip-v6.pem", "::2", 0, NULL},
        {"ip-v6.pem", "127.0.0.1", 0, NULL},
        /* ip-other.pem: DNS:localhost, IP:192.0.2.1 */
        {"ip-other.pem", "127.0.0.1", 0, NULL},
        {"ip-other.pem", "192.0.2.1", 1, NULL},
        {"ip-other.pem", "localhost", 1, "localhost"},
        /* ip-as-dns.pem: DNS:127.0.0.1, DNS:::1, CN=127.0.0.1: an address
         * never matches a DNS name or the CN (mbedTLS 2.28 alone would) */
        {"ip-as-dns.pem", "127.0.0.1", 0, NULL},
        {"ip-as-dns.pem", "::1", 0, NULL},
        /* ip-cn-only.pem: CN=127.0.0.1, no subjectAltName */
        {"ip-cn-only.pem", "127.0.0.1", 0, NULL},
    };
    size_t i;
    (void)s;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const name_case *c = &cases[i];
        uint32_t flags = 0;
        mp_status st;
        print_message("%s as %s\n", c->cert, c->name);
        st = handshake_named(&client_cfg, c->cert, c->name, &flags);
        assert_int_equal(st, c->ok ? MP_OK : MP_ERR_TLS);
        if (c->ok)
            assert_int_equal(flags, 0);
        else
            assert_int_equal(flags, MBEDTLS_X509_BADCERT_CN_MISMATCH);
        if (c->sni == NULL) {
            assert_int_equal(sni_calls, 0);
        } else {
            assert_int_equal(sni_calls, 1);
            assert_string_equal(sni_name, c->sni);
        }
    }
}

/* Text that would connect to one address and be checked as another name
 * is refused before anything is sent. */
static void test_peer_name_refused(void **s)
{
    static const char *const bad[] = {
        "127.1",       "010.0.0.1",  "1.2.3.256", "1.2.3.4.", "0x7f.0.0.1",
        "fe80::1%lo",  "::g",        "1:2",       "[mx.example.org]", "[]",
        "[127.0.0.1",  "mx:25",
    };
    size_t i, n;
    (void)s;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        print_message("%s\n", bad[i]);
        assert_int_equal(mp_tls_pump_setup(&cli, &client_cfg.conf, bad[i]), MP_ERR_ARG);
        assert_null(mp_tls_pump_send_buf(&cli, &n));
        mp_tls_pump_free(&cli);
    }
    /* Names that merely look numeric are host names. */
    assert_int_equal(mp_tls_pump_setup(&cli, &client_cfg.conf, "1.2.3.4x"), MP_NEED_MORE);
    mp_tls_pump_free(&cli);
    assert_int_equal(mp_tls_pump_setup(&cli, &client_cfg.conf, "4.example"), MP_NEED_MORE);
}

/* A verify callback the host set on its config still runs for an address
 * peer, after the address check, and sees (and may overrule) its result,
 * as it can for a host name. */
static uint32_t host_seen;

static int host_verify(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    int overrule = *(int *)arg;
    (void)crt;
    if (depth == 0) {
        host_seen = *flags;
        if (overrule)
            *flags &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
    }
    return 0;
}

static void test_peer_address_host_callback(void **s)
{
    static mp_tls_config vc;
    int overrule = 0;
    uint32_t flags;
    (void)s;
    assert_int_equal(mp_tls_config_init(&vc, MP_TLS_CLIENT), MP_OK);
    assert_int_equal(mp_tls_config_ca_file(&vc, data_path("ca.pem")), MP_OK);
    mbedtls_ssl_conf_verify(&vc.conf, host_verify, &overrule);
    host_seen = 99;
    assert_int_equal(handshake_named(&vc, "ip-v4.pem", "127.0.0.1", &flags), MP_OK);
    assert_int_equal(host_seen, 0);
    assert_int_equal(handshake_named(&vc, "ip-other.pem", "127.0.0.1", &flags), MP_ERR_TLS);
    assert_int_equal(host_seen, MBEDTLS_X509_BADCERT_CN_MISMATCH);
    overrule = 1;
    assert_int_equal(handshake_named(&vc, "ip-other.pem", "127.0.0.1", &flags), MP_OK);
    assert_int_equal(flags, 0);
    mp_tls_config_free(&vc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_handshake_and_lines, pumps_free),
        cmocka_unit_test_teardown(test_bulk_both_ways, pumps_free),
        cmocka_unit_test_teardown(test_one_byte_feeding, pumps_free),
        cmocka_unit_test_teardown(test_split_invariance, pumps_free),
        cmocka_unit_test_teardown(test_close_notify, pumps_free),
        cmocka_unit_test_teardown(test_eof, pumps_free),
        cmocka_unit_test_teardown(test_eof_during_handshake, pumps_free),
        cmocka_unit_test_teardown(test_wrong_hostname, pumps_free),
        cmocka_unit_test_teardown(test_untrusted_ca, pumps_free),
        cmocka_unit_test_teardown(test_hostname_required, pumps_free),
        cmocka_unit_test_teardown(test_backpressure, pumps_free),
        cmocka_unit_test_teardown(test_close_when_full, pumps_free),
        cmocka_unit_test_teardown(test_misuse, pumps_free),
        cmocka_unit_test_teardown(test_garbage, pumps_free),
        cmocka_unit_test_teardown(test_tampered_record, pumps_free),
        cmocka_unit_test_teardown(test_random_garbage, pumps_free),
        cmocka_unit_test_teardown(test_config_pem, pumps_free),
        cmocka_unit_test_teardown(test_starttls, pumps_free),
        cmocka_unit_test_teardown(test_data_right_after_handshake, pumps_free),
        cmocka_unit_test_teardown(test_peer_names, pumps_free),
        cmocka_unit_test_teardown(test_peer_name_refused, pumps_free),
        cmocka_unit_test_teardown(test_peer_address_host_callback, pumps_free),
    };
    return cmocka_run_group_tests(tests, tls_group_setup, tls_group_teardown);
}
