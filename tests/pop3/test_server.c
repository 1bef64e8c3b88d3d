/* POP3 server session: the scenarios of tests/vectors/pop3/server/ (RFC
 * 1939, 2449, 2595, 5034 examples and the security cases) with the host
 * answering at once and later, every split; then what a transcript cannot
 * show: STLS injection, a huge RETR streamed through a small output, the
 * APOP digest of RFC 1939, the error limit, sizes. */
#include "server_fixture.h"

static server_fixture X;

/* SX_DUMP=1 prints each vector's log (to write a new vector's events;
 * read them before pasting them). */
static void dump_one(const mp_vector *v, void *ctx)
{
    mp_split_target t = {sx_reset, sx_feed, sx_finish, &X};
    (void)ctx;
    sx_setup(v, &X);
    X.async = 0;
    printf("=== %s\n--- events\n%s\n", v->name,
           mp_split_check(&t, v->input, v->input_len, NULL));
}

static void run_file(const char *file)
{
    mp_split_target t = {sx_reset, sx_feed, sx_finish, &X};
    size_t n;
    if (getenv("SX_DUMP")) {
        mp_vectors_run(file, dump_one, NULL);
        return;
    }
    X.async = 0;
    n = mp_vectors_split_check(file, &t, sx_setup);
    X.async = 1;
    assert_int_equal(mp_vectors_split_check(file, &t, sx_setup), n);
}

static void test_session_vectors(void **state)
{
    (void)state;
    run_file("pop3/server/session.vec");
}

static void test_security_vectors(void **state)
{
    (void)state;
    run_file("pop3/server/security.vec");
}

/* Feed `in` whole and return the session's status; the output is logged. */
static mp_status feed_all(const char *in, size_t *used)
{
    mp_status st = mp_pop3_server_feed(&X.s, in, strlen(in), used);
    sx_flush(&X);
    return st;
}

static mp_evlog LOG;

static void start(unsigned flags)
{
    memset(&X, 0, sizeof(X));
    X.flags = flags;
    mp_evlog_reset(&LOG);
    X.log = &LOG;
    sx_reset(&X);
    sx_flush(&X);
}

/* RFC 2595 §4 / CVE-2011-0411: what the client pipelined behind STLS is
 * never read, only counted and reported. */
static void test_stls_injection(void **state)
{
    static const char in[] = "STLS\r\nUSER mrose\r\nPASS tanstaaf\r\n";
    size_t used = 0;
    (void)state;
    start(MP_POP3_SRV_STLS);
    assert_int_equal(feed_all(in, &used), MP_TRANSPORT_SWITCH);
    assert_int_equal(used, 6);
    assert_int_equal(X.s.injected, sizeof(in) - 1 - 6);
    assert_int_equal(X.s.last_error.code, MP_ERR_TLS_INJECTION);
    assert_int_equal(mp_pop3_server_state_of(&X.s), MP_POP3_SS_TLS);
    /* Nothing is read until the handshake is done. */
    assert_int_equal(mp_pop3_server_feed(&X.s, in + used, 4, &used), MP_ERR_STATE);
    assert_int_equal(mp_pop3_server_tls_started(&X.s), MP_OK);
    assert_true(X.s.tls);
    assert_non_null(strstr(LOG.text, "S: +OK Begin TLS negotiation\n"));
    assert_null(strstr(LOG.text, "? USER"));
    /* After TLS, STLS is no longer offered. */
    assert_int_equal(feed_all("STLS\r\n", &used), MP_OK);
    assert_non_null(strstr(LOG.text, "S: -ERR Command not available\n"));
}

/* RFC 1939 §7's example: timestamp <1896.697170952@dbc.mtview.ca.us>,
 * secret "tanstaaf", digest c4c9334bac560ecc979e58001b3e22fb. */
static void test_apop_rfc1939(void **state)
{
    size_t used;
    (void)state;
    memset(&X, 0, sizeof(X));
    X.flags = MP_POP3_SRV_APOP;
    strcpy(X.stamp, "<1896.697170952@dbc.mtview.ca.us>");
    mp_evlog_reset(&LOG);
    X.log = &LOG;
    sx_reset(&X);
    sx_flush(&X);
    assert_string_equal(LOG.text,
                        "S: +OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\n");
    X.async = 1;
    assert_int_equal(feed_all("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n", &used), MP_PAUSED);
    assert_int_equal(mp_pop3_server_pending(&X.s), MP_POP3_DECIDE_APOP);
    assert_int_equal(mp_pop3_server_apop_check(&X.s, "tanstaa", 7), MP_ERR_SASL_AUTH_FAILED);
    assert_int_equal(mp_pop3_server_apop_check(&X.s, "tanstaaf", 8), MP_OK);
    assert_int_equal(mp_pop3_server_open(&X.s, 1, 369), MP_OK);
    sx_flush(&X);
    assert_non_null(strstr(LOG.text, "S: +OK maildrop has 1 message (369 octets)\n"));
    assert_int_equal(mp_pop3_server_state_of(&X.s), MP_POP3_SS_TRANSACTION);
    /* Upper-case hex is the same digest. */
    start(MP_POP3_SRV_APOP);
    assert_non_null(strstr(LOG.text, "<5a5a5a5a5a5a5a5a@pop.example.org>"));
}

/* A message of several megabytes with dot-leading lines and no final
 * CRLF, pushed in odd pieces through a 1 KiB output: the client reads it
 * back, unstuffed, byte for byte. */
static void test_huge_retr(void **state)
{
    enum { N = 3 * 1024 * 1024 + 17 };
    static char msg[N], wire[N + N / 4 + 64], back[N + 8];
    static char out[1024];
    mp_dot_decoder d;
    size_t i, wl = 0, bl = 0, used, off = 0;
    mp_status st;
    (void)state;
    for (i = 0; i < N; i++) {
        size_t col = i % 61;
        msg[i] = col == 59 ? '\r' : col == 60 ? '\n' : (col == 0 && (i / 61) % 3 == 0) ? '.'
                                                                                          : (char)('a' + i % 26);
    }
    start(0);
    X.async = 1;
    X.outcap = sizeof(out);
    memset(&X.s, 0, sizeof(X.s));
    assert_int_equal(mp_pop3_server_init(&X.s, &X.cfg, &X.cb, &X, out, sizeof(out)), MP_OK);
    {
        size_t n;
        mp_pop3_server_output(&X.s, &n);
        mp_pop3_server_output_done(&X.s, n);
    }
    assert_int_equal(mp_pop3_server_feed(&X.s, "USER mrose\r\n", 12, &used), MP_PAUSED);
    assert_int_equal(mp_pop3_server_ok(&X.s, NULL), MP_OK);
    assert_int_equal(mp_pop3_server_feed(&X.s, "PASS x\r\n", 8, &used), MP_PAUSED);
    assert_int_equal(mp_pop3_server_open(&X.s, 1, N), MP_OK);
    assert_int_equal(mp_pop3_server_feed(&X.s, "RETR 1\r\n", 8, &used), MP_PAUSED);
    {
        size_t n;
        mp_pop3_server_output(&X.s, &n);
        mp_pop3_server_output_done(&X.s, n);
    }
    assert_int_equal(mp_pop3_server_content_begin(&X.s, NULL), MP_OK);
    while (off < N) {
        size_t piece = N - off < 7777 ? N - off : 7777, n;
        const char *o;
        st = mp_pop3_server_content(&X.s, msg + off, piece, &used);
        assert_int_equal(st, MP_OK);
        off += used;
        o = mp_pop3_server_output(&X.s, &n);
        assert_true(wl + n <= sizeof(wire));
        memcpy(wire + wl, o, n);
        wl += n;
        mp_pop3_server_output_done(&X.s, n);
    }
    assert_int_equal(mp_pop3_server_content_end(&X.s), MP_OK);
    {
        size_t n;
        const char *o = mp_pop3_server_output(&X.s, &n);
        memcpy(wire + wl, o, n);
        wl += n;
    }
    assert_int_equal(mp_pop3_server_pending(&X.s), MP_POP3_DECIDE_NONE);
    /* The +OK line, then the body up to CRLF.CRLF. */
    assert_memory_equal(wire, "+OK message follows\r\n", 21);
    mp_dot_decoder_init(&d, MP_DOT_STRICT);
    for (i = 21; i < wl;) {
        mp_slice c;
        st = mp_dot_decoder_next(&d, wire + i, wl - i, &used, &c);
        i += used;
        if (st == MP_OK) {
            memcpy(back + bl, c.ptr, c.len);
            bl += c.len;
        } else {
            assert_int_equal(st, MP_DONE);
            break;
        }
    }
    assert_int_equal(i, wl);
    /* The missing final CRLF was added. */
    assert_int_equal(bl, N + 2);
    assert_memory_equal(back, msg, N);
    assert_memory_equal(back + N, "\r\n", 2);
}

/* Twenty bad commands close the session (docs/security.md). */
static void test_error_limit(void **state)
{
    size_t used, i;
    mp_status st = MP_OK;
    (void)state;
    start(0);
    for (i = 0; i < MP_POP3_MAX_ERRORS && st == MP_OK; i++)
        st = feed_all("BOGUS\r\n", &used);
    assert_int_equal(st, MP_CLOSED);
    assert_int_equal(i, MP_POP3_MAX_ERRORS);
    assert_non_null(strstr(LOG.text, "S: -ERR Too many errors, closing connection\n"));
    assert_int_equal(X.s.last_error.code, MP_ERR_TOO_MANY_ERRORS);
}

/* A dropped connection commits nothing: the host is never asked to
 * UPDATE; QUIT in AUTHORIZATION does not ask either. */
static void test_drop_commits_nothing(void **state)
{
    size_t used;
    (void)state;
    start(0);
    X.async = 0;
    assert_int_equal(feed_all("USER mrose\r\nPASS tanstaaf\r\nDELE 1\r\nDELE 2\r\n", &used), MP_OK);
    assert_true(X.deleted[0] && X.deleted[1]);
    assert_null(strstr(LOG.text, "commit"));
    assert_null(strstr(LOG.text, "UPDATE"));
    /* The host forgets the marks with the session. */
    start(0);
    assert_int_equal(feed_all("QUIT\r\n", &used), MP_CLOSED);
    assert_null(strstr(LOG.text, "UPDATE"));
}

static void test_api_misuse(void **state)
{
    size_t used;
    (void)state;
    start(0);
    assert_int_equal(mp_pop3_server_ok(&X.s, NULL), MP_ERR_STATE);
    assert_int_equal(mp_pop3_server_err(&X.s, MP_POP3_CODE_NONE, NULL), MP_ERR_STATE);
    assert_int_equal(mp_pop3_server_open(&X.s, 1, 1), MP_ERR_STATE);
    assert_int_equal(mp_pop3_server_content_begin(&X.s, NULL), MP_ERR_STATE);
    assert_int_equal(mp_pop3_server_auth_resume(&X.s), MP_ERR_STATE);
    assert_int_equal(mp_pop3_server_tls_started(&X.s), MP_ERR_STATE);
    assert_int_equal(mp_pop3_server_apop_check(&X.s, "x", 1), MP_ERR_STATE);
    X.async = 1;
    assert_int_equal(feed_all("USER mrose\r\nPASS x\r\n", &used), MP_PAUSED);
    assert_int_equal(used, 12);
    assert_int_equal(mp_pop3_server_stat(&X.s, 1, 1), MP_ERR_STATE);
    assert_int_equal(mp_pop3_server_list(&X.s, 1, 1), MP_ERR_STATE);
    assert_int_equal(mp_pop3_server_shutdown(&X.s, NULL), MP_OK);
    assert_int_equal(mp_pop3_server_state_of(&X.s), MP_POP3_SS_CLOSED);
    assert_int_equal(mp_pop3_server_pending(&X.s), MP_POP3_DECIDE_NONE);
    /* Bad configurations. */
    {
        mp_pop3_server s;
        mp_pop3_server_config c = X.cfg;
        char out[MP_POP3_SERVER_MIN_OUT];
        assert_int_equal(mp_pop3_server_init(&s, &c, &X.cb, &X, out, sizeof(out) - 1),
                         MP_ERR_ARG);
        c.hostname = "bad host";
        assert_int_equal(mp_pop3_server_init(&s, &c, &X.cb, &X, out, sizeof(out)), MP_ERR_ARG);
        c = X.cfg;
        c.line_cap = MP_POP3_SERVER_LINE_BUF - 1;
        assert_int_equal(mp_pop3_server_init(&s, &c, &X.cb, &X, out, sizeof(out)), MP_ERR_ARG);
        c = X.cfg;
        c.flags = MP_POP3_SRV_AUTH;
        c.line_cap = MP_POP3_SERVER_LINE_BUF;
        assert_int_equal(mp_pop3_server_init(&s, &c, &X.cb, &X, out, sizeof(out)), MP_ERR_ARG);
        c = X.cfg;
        c.flags = MP_POP3_SRV_APOP;
        c.crypto = NULL;
        assert_int_equal(mp_pop3_server_init(&s, &c, &X.cb, &X, out, sizeof(out)), MP_ERR_ARG);
    }
}

/* Content that cannot go out as it is (a bare LF in a CRLF maildrop)
 * ends the answer where it stands: the client never sees a forged end. */
static void test_content_bare_lf(void **state)
{
    size_t used;
    (void)state;
    start(0);
    X.async = 1;
    feed_all("USER mrose\r\n", &used);
    mp_pop3_server_ok(&X.s, NULL);
    feed_all("PASS tanstaaf\r\n", &used);
    mp_pop3_server_open(&X.s, 1, 10);
    assert_int_equal(feed_all("RETR 1\r\n", &used), MP_PAUSED);
    assert_int_equal(mp_pop3_server_content_begin(&X.s, NULL), MP_OK);
    assert_int_equal(mp_pop3_server_content(&X.s, "ok\r\nx\n.\nQUIT\r\n", 17, &used),
                     MP_ERR_BARE_LF);
    assert_int_equal(used, 5);
    assert_int_equal(mp_pop3_server_pending(&X.s), MP_POP3_DECIDE_NONE);
    assert_int_equal(mp_pop3_server_state_of(&X.s), MP_POP3_SS_TRANSACTION);
    assert_int_equal(mp_pop3_server_content_end(&X.s), MP_ERR_STATE);
    sx_flush(&X);
    /* on_error comes between the lines the session wrote before and after. */
    assert_non_null(strstr(LOG.text, "S: +OK message follows\nS: ok\nerror MP_ERR_BARE_LF"));
    assert_non_null(strstr(LOG.text, "\nS: x\nS: .\n"));
    assert_int_equal(X.s.last_error.code, MP_ERR_BARE_LF);
    /* A shutdown inside a body writes nothing into it. */
    assert_int_equal(feed_all("RETR 1\r\n", &used), MP_PAUSED);
    assert_int_equal(mp_pop3_server_content_begin(&X.s, NULL), MP_OK);
    assert_int_equal(mp_pop3_server_content(&X.s, "partial", 7, &used), MP_OK);
    assert_int_equal(mp_pop3_server_shutdown(&X.s, NULL), MP_OK);
    assert_int_equal(mp_pop3_server_state_of(&X.s), MP_POP3_SS_CLOSED);
    sx_flush(&X);
    assert_null(strstr(LOG.text, "SYS/TEMP"));
}

/* A SASL response in the same read as AUTH was sent before the client
 * saw the challenge: refused (docs/security.md); an AUTH line over
 * MP_POP3_MAX_AUTH_LINE ends the exchange. */
static void test_auth_early_and_long(void **state)
{
    static char longline[MP_POP3_MAX_AUTH_LINE + 8];
    size_t used;
    (void)state;
    start(MP_POP3_SRV_AUTH);
    assert_int_equal(feed_all("AUTH PLAIN\r\nAG1yb3NlAHRhbnN0YWFm\r\n", &used), MP_OK);
    assert_non_null(strstr(LOG.text, "S: -ERR Response sent before the challenge\n"));
    assert_null(strstr(LOG.text, "? AUTH"));
    assert_int_equal(mp_pop3_server_state_of(&X.s), MP_POP3_SS_AUTHORIZATION);
    assert_int_equal(feed_all("AUTH PLAIN\r\n", &used), MP_OK);
    memset(longline, 'A', sizeof(longline));
    memcpy(longline + sizeof(longline) - 2, "\r\n", 2);
    assert_int_equal(mp_pop3_server_feed(&X.s, longline, sizeof(longline), &used), MP_OK);
    sx_flush(&X);
    assert_non_null(strstr(LOG.text, "S: -ERR Authentication exchange too long\n"));
    assert_int_equal(X.s.last_error.code, MP_ERR_POP3_AUTH_TOO_LONG);
    assert_int_equal(mp_pop3_server_state_of(&X.s), MP_POP3_SS_AUTHORIZATION);
    /* The limit is back to a command line's. */
    assert_int_equal(feed_all("NOOP\r\n", &used), MP_OK);
    assert_non_null(strstr(LOG.text, "S: -ERR Not logged in\n"));
}

/* The session's own size: small enough for a server holding thousands
 * (docs/architecture.md: every session under 1 KiB). */
static void test_sizeof(void **state)
{
    (void)state;
    assert_true(sizeof(mp_pop3_server) <= 320);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_vectors),   cmocka_unit_test(test_security_vectors),
        cmocka_unit_test(test_stls_injection),    cmocka_unit_test(test_apop_rfc1939),
        cmocka_unit_test(test_huge_retr),         cmocka_unit_test(test_error_limit),
        cmocka_unit_test(test_drop_commits_nothing), cmocka_unit_test(test_api_misuse),
        cmocka_unit_test(test_content_bare_lf),   cmocka_unit_test(test_auth_early_and_long),
        cmocka_unit_test(test_sizeof),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
