/* SMTP client session against a hostile server (issue 3 item 5): over-long
 * reply lines, 10,000 reply lines, mismatched multi-line codes, short
 * continuation lines, bytes after the 220 to STARTTLS, 421 at every point
 * of a transaction, and a SCRAM server that claims success without its
 * proof.  Every transcript runs whole, byte by byte, at every 2-way split
 * and at random splits (mp_split_check); the log holds the events, every
 * byte the client wrote, and the final status with its stream offset.
 * The fixture is the one of test_client_session.c (client_fixture.h);
 * its MESSAGE events are logged in the brief form. */
#define SMTP_CLIENT_FX_BRIEF_MESSAGE 1
#include "client_fixture.h"

/* Like run(), but returns the whole-input log (static) for looser checks. */
static const char *run_log(const scenario *sc, const char *server, size_t n)
{
    mp_split_target t = {fx_reset, fx_feed, fx_finish, &fx};
    fx.sc = sc;
    transcript = server;
    if (getenv("MP_DUMP")) {
        const char *got = mp_split_check(&t, server, n, NULL);
        printf("=====\n%s", got);
        return got;
    }
    return mp_split_check(&t, server, n, NULL);
}

static char big[200000];

/* ----------------------------------------------------------------------- */
/* Reply lines                                                             */
/* ----------------------------------------------------------------------- */

/* MP_SMTP_CLIENT_MAX_REPLY_LINE counts the CRLF: a greeting exactly that
 * long is a greeting, one byte more is MP_ERR_LINE_TOO_LONG at the first
 * byte beyond the limit; the same inside an EHLO reply and for a line of
 * 100 KB. */
static void test_long_reply_lines(void **s)
{
    static const scenario quit = {.actions = "Q"};
    const size_t lim = MP_SMTP_CLIENT_MAX_REPLY_LINE;
    char want[256];
    size_t n;
    (void)s;
    n = (size_t)snprintf(big, sizeof(big), "220 ");
    memset(big + n, 'x', lim - 2 - 4);
    n += lim - 2 - 4;
    n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n250 mx\r\n221 bye\r\n");
    run(&quit, big,
        "greeting 220\n"
        "chunk out EHLO client.example.org\\r\\n\n"
        "ready\n"
        "chunk out QUIT\\r\\n\n"
        "closed 221\nstatus MP_CLOSED @0\nend phase=9\n");
    n = (size_t)snprintf(big, sizeof(big), "220 ");
    memset(big + n, 'x', lim - 2 - 4 + 1);
    n += lim - 2 - 4 + 1;
    n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n250 mx\r\n221 bye\r\n");
    snprintf(want, sizeof(want), "status MP_ERR_LINE_TOO_LONG @%zu\nend phase=10\n", lim - 2);
    run(&quit, big, want);
    /* Inside the EHLO reply. */
    n = (size_t)snprintf(big, sizeof(big), "220 mx\r\n250-mx\r\n250-");
    memset(big + n, 'k', lim);
    n += lim;
    n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n250 HELP\r\n221 bye\r\n");
    snprintf(want, sizeof(want),
             "greeting 220\n"
             "chunk out EHLO client.example.org\\r\\n\n"
             "status MP_ERR_LINE_TOO_LONG @%zu\nend phase=10\n", 16 + lim - 2);
    run(&quit, big, want);
    /* 100 KB without a line end. */
    n = (size_t)snprintf(big, sizeof(big), "220 mx\r\n250 ");
    memset(big + n, 'z', 100000);
    big[n + 100000] = '\0';
    snprintf(want, sizeof(want),
             "greeting 220\n"
             "chunk out EHLO client.example.org\\r\\n\n"
             "status MP_ERR_LINE_TOO_LONG @%zu\nend phase=10\n", 8 + lim - 2);
    run(&quit, big, want);
}

/* A reply of 10,000 lines stops at MP_SMTP_CLIENT_MAX_REPLY_LINES with
 * the offset of the first line too many; nothing after it is read. */
static void test_many_reply_lines(void **s)
{
    static const scenario quit = {.actions = "Q"};
    char want[128];
    const char *log;
    size_t n = 0, i;
    (void)s;
    for (i = 0; i < 10000; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "220-x\r\n");
    n += (size_t)snprintf(big + n, sizeof(big) - n, "220 ok\r\n");
    snprintf(want, sizeof(want), "status MP_ERR_SMTP_REPLY_TOO_MANY_LINES @%u\nend phase=10\n",
             (unsigned)(MP_SMTP_CLIENT_MAX_REPLY_LINES * 7u));
    run(&quit, big, want);
    /* In the EHLO reply: the extensions before the limit were reported. */
    n = (size_t)snprintf(big, sizeof(big), "220 mx\r\n");
    for (i = 0; i < 10000; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "250-X%zu\r\n", i % 10);
    n += (size_t)snprintf(big + n, sizeof(big) - n, "250 ok\r\n");
    log = run_log(&quit, big, n);
    snprintf(want, sizeof(want), "status MP_ERR_SMTP_REPLY_TOO_MANY_LINES @%u\nend phase=10\n",
             (unsigned)(8u + MP_SMTP_CLIENT_MAX_REPLY_LINES * 8u));
    assert_non_null(strstr(log, want));
    assert_null(strstr(log, "ready"));
    assert_null(strstr(log, "QUIT"));
}

/* Multi-line replies whose lines carry different codes, and malformed
 * or short lines (OpenSMTPD CVE-2020-8794 lived in a short continuation
 * line): precise status and offset. */
#define G "greeting 220\nchunk out EHLO client.example.org\\r\\n\n"
static void test_malformed_replies(void **s)
{
    static const scenario quit = {.actions = "Q"};
    static const scenario idle = {.actions = ""};
    (void)s;
    run(&quit, "220-mx\r\n221 mx\r\n", "status MP_ERR_SMTP_REPLY_MISMATCH @8\nend phase=10\n");
    run(&quit, "220 mx\r\n250-mx\r\n250-8BITMIME\r\n550 HELP\r\n",
        "greeting 220\n"
        "chunk out EHLO client.example.org\\r\\n\n"
        "ext 8BITMIME bit=8\n"
        "status MP_ERR_SMTP_REPLY_MISMATCH @30\nend phase=10\n");
    run(&quit, "220 mx\r\n250-mx\r\n250-\r\n250-8\r\n250 OK\r\n221 bye\r\n", "greeting 220\n"
        "chunk out EHLO client.example.org\\r\\n\n"
        "ext 8 bit=0\n"
        "ext OK bit=0\n"
        "ready\n"
        "chunk out QUIT\\r\\n\n"
        "closed 221\nstatus MP_CLOSED @0\nend phase=9\n");
    run(&quit, "220 mx\r\n250-mx\r\n25\r\n", G "status MP_ERR_SMTP_REPLY_CODE @16\nend phase=10\n");
    run(&quit, "220 mx\r\n250-mx\r\n250\r\n", G "ready\nchunk out QUIT\\r\\n\nend phase=8\n");
    run(&quit, "220 mx\r\n2500 mx\r\n", G "status MP_ERR_SMTP_REPLY_SEPARATOR @11\nend phase=10\n");
    run(&quit, "220 mx\r\n250_mx\r\n", G "status MP_ERR_SMTP_REPLY_SEPARATOR @11\nend phase=10\n");
    run(&quit, "220 mx\r\n099 mx\r\n", G "status MP_ERR_SMTP_REPLY_CODE @8\nend phase=10\n");
    run(&quit, "220 mx\r\n250 m\001x\r\n", G "status MP_ERR_SMTP_REPLY_TEXT @13\nend phase=10\n");
    run(&quit, "220 mx\r\n250 mx\n", G "status MP_ERR_BARE_LF @14\nend phase=10\n");
    run(&quit, "220 mx\r\n250 mx\rx\r\n", G "status MP_ERR_BARE_CR @14\nend phase=10\n");
    /* A reply nobody asked for while idle. */
    run(&idle, "220 mx\r\n250 mx\r\n250 extra\r\n", G "ready\nstatus MP_ERR_SMTP_UNEXPECTED_REPLY @16\nend phase=10\n");
}

/* ----------------------------------------------------------------------- */
/* STARTTLS                                                                */
/* ----------------------------------------------------------------------- */

/* Bytes after the 220 to STARTTLS in the same read are injection (curl
 * CVE-2021-22947 style): a fatal error at their offset, never parsed as a
 * reply.  When the 220 ends a read, the session switches; the bytes of the
 * next read arrive before tls_started: still injection. */
static void test_starttls_injection(void **s)
{
    static const scenario req = {.actions = "Q", .tls = MP_SMTP_TLS_REQUIRED};
    static const scenario opp = {.actions = "Q", .tls = MP_SMTP_TLS_OPPORTUNISTIC};
    static const char *const inj[] = {
        "250-mx\r\n250 AUTH PLAIN\r\n", /* forged capabilities */
        "2", "\r\n", "235 2.7.0 ok\r\n", "421 bye\r\n",
    };
    size_t i;
    (void)s;
    for (i = 0; i < sizeof(inj) / sizeof(inj[0]); i++) {
        char want[256];
        snprintf(big, sizeof(big), "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go ahead\r\n%s",
                 inj[i]);
        snprintf(want, sizeof(want),
                 "greeting 220\n"
                 "chunk out EHLO client.example.org\\r\\n\n"
                 "ext STARTTLS bit=100\n"
                 "chunk out STARTTLS\\r\\n\n"
                 "status MP_ERR_TLS_INJECTION @44\nend phase=10\n");
        mp_split_set_context(inj[i]);
        run(&req, big, want);
        run(&opp, big, want);
        mp_split_set_context(NULL);
    }
}

/* ----------------------------------------------------------------------- */
/* 421 at every point                                                      */
/* ----------------------------------------------------------------------- */

/* A whole session, one reply at a time (no PIPELINING).  Replacing any
 * reply by a 421 (single or multi-line) ends the session with
 * MP_ERR_SMTP_CLOSING at that reply's offset; nothing is written after. */
static void test_421_everywhere(void **s)
{
    static const scenario sc = {
        .actions = "SQ", .from = "a@b.example", .rcpts = {"x@c.example", "y@c.example"},
        .body = "hello\r\n",
    };
    static const char *const replies[] = {
        "220 mx\r\n", "250-mx\r\n250 8BITMIME\r\n", "250 ok\r\n", "250 ok\r\n", "250 ok\r\n",
        "354 go\r\n", "250 queued\r\n", "221 bye\r\n",
    };
    static const char *const closing[] = { "421 4.3.2 bye\r\n", "421-4.3.2 going\r\n421 down\r\n" };
    const size_t nr = sizeof(replies) / sizeof(replies[0]);
    size_t k, c;
    (void)s;
    for (c = 0; c < 2; c++)
        for (k = 0; k < nr; k++) {
            size_t n = 0, i;
            char want[64];
            const char *log;
            for (i = 0; i < k; i++)
                n += (size_t)snprintf(big + n, sizeof(big) - n, "%s", replies[i]);
            /* The offset is that of the reply's last line (where it
             * completes): a multi-line 421 reports its second line. */
            snprintf(want, sizeof(want), "status MP_ERR_SMTP_CLOSING @%zu\nend phase=10\n",
                     n + (c == 1 ? strlen("421-4.3.2 going\r\n") : 0));
            n += (size_t)snprintf(big + n, sizeof(big) - n, "%s", closing[c]);
            n += (size_t)snprintf(big + n, sizeof(big) - n, "%s", "250 ignored\r\n");
            log = run_log(&sc, big, n);
            if (getenv("MP_DUMP"))
                printf("want %s", want);
            if (k == nr - 1) {
                /* 421 as the answer to QUIT: the session ends either way. */
                assert_non_null(strstr(log, "closed 421\nstatus MP_CLOSED @0\nend phase=9\n"));
                continue;
            }
            assert_non_null(strstr(log, want));
            assert_non_null(strstr(log, "closed 421\n"));
            /* Nothing written after the 421. */
            assert_true(strstr(log, "closed 421\n") > strstr(log, "chunk out") || k == 0);
            assert_null(strstr(strstr(log, "closed 421\n"), "chunk out"));
        }
}

/* ----------------------------------------------------------------------- */
/* SCRAM without the server's proof                                        */
/* ----------------------------------------------------------------------- */

/* RFC 5802 §5: the client must verify the server signature.  A 235 sent
 * instead of the server-final message, with an empty or a garbage one, or
 * a 235 carrying a wrong "v=" in its text, never authenticates. */
static void test_scram_no_proof(void **s)
{
    static const scenario scram = {
        .actions = "PQ", .tls = MP_SMTP_TLS_NONE, .sasl_mech = MP_SASL_SCRAM_SHA_1,
        .sasl_nonce = "fyko+d2lbbFgONRv9qkxdawL",
    };
    static const char *const ends[] = {
        "235 2.7.0 trust me\r\n",
        "235 dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9\r\n", /* proof in 235 text */
        "334 \r\n235 ok\r\n",
        "334 dj0=\r\n235 ok\r\n",                   /* "v=" */
        "334 ZT1vdGhlci1lcnJvcg==\r\n235 ok\r\n",   /* "e=other-error" */
        "334 !!!!\r\n235 ok\r\n",
    };
    size_t i;
    (void)s;
    for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
        const char *log;
        size_t n = (size_t)snprintf(
            big, sizeof(big),
            "220 mx\r\n250-mx\r\n250 AUTH SCRAM-SHA-1\r\n"
            "334 cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng==\r\n"
            "%s221 bye\r\n", ends[i]);
        log = run_log(&scram, big, n);
        assert_null(strstr(log, "auth 235 ok"));
        assert_true(strstr(log, "status MP_ERR_SASL_SERVER_PROOF @") != NULL ||
                    strstr(log, "auth 235 failed") != NULL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_reply_lines),
        cmocka_unit_test(test_many_reply_lines),
        cmocka_unit_test(test_malformed_replies),
        cmocka_unit_test(test_starttls_injection),
        cmocka_unit_test(test_421_everywhere),
        cmocka_unit_test(test_scram_no_proof),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
