/* SMTP AUTH on the server session (RFC 4954) over lib/sasl: success,
 * failure, cancel, malformed responses, policy (TLS, EHLO, transaction,
 * AUTH required), credentials pipelined before the challenge, and a host
 * that answers later.  Conversations feed one client line at a time,
 * whole and byte by byte; single-line exchanges (initial response) also
 * run through mp_split_check. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/crypto.h"
#include "mailproto/sasl.h"
#include "mailproto/smtp.h"
#include "split.h"

typedef struct host {
    mp_smtp_server s;
    mp_smtp_server_config cfg;
    mp_smtp_server_callbacks cb;
    mp_sasl_server sasl;
    mp_sasl_server_config sasl_cfg;
    mp_crypto_provider crypto;
    char out[4096];
    char line[MP_SMTP_SERVER_LINE_BUF_AUTH];
    int async;
    int auths;          /* on_auth calls */
    mp_evlog *log;
} host;

static host H;
static const char *plain_mechs; /* overrides the mechanism list when set */

static int rnd(void *u, uint8_t *out, size_t n)
{
    (void)u;
    memset(out, 0x42, n);
    return 0;
}

/* The host's user database: tim / tanstaaftanstaaf. */
static void answer_auth(host *h)
{
    mp_sasl_server *x = &h->sasl;
    if (x->want == MP_SASL_WANT_VERIFY)
        mp_sasl_server_verify(x, mp_slice_eq_ci(x->authcid, "tim", 3) &&
                                     x->password.len == 16 &&
                                     memcmp(x->password.ptr, "tanstaaftanstaaf", 16) == 0);
    else if (x->want == MP_SASL_WANT_SECRET && mp_slice_eq_ci(x->authcid, "tim", 3))
        mp_sasl_server_set_secret(x, "tanstaaftanstaaf", 16);
    else
        mp_sasl_server_verify(x, 0);
    assert_int_equal(mp_smtp_server_auth_resume(&h->s), MP_OK);
}

static int on_auth(void *u, mp_smtp_server *s)
{
    host *h = u;
    (void)s;
    h->auths++;
    if (!h->async)
        answer_auth(h);
    return 0;
}

static void setup(host *h, unsigned flags, int async)
{
    memset(h, 0, sizeof(*h));
    h->async = async;
    h->crypto = mp_crypto_builtin(rnd, NULL);
    h->sasl_cfg.cram_challenge = MP_SLICE_LIT("<1896.697170952@postoffice.reston.mci.net>");
    h->sasl_cfg.flags = MP_SASL_SERVER_LOGIN_IR;
    h->cfg.hostname = "mx";
    h->cfg.flags = MP_SMTP_SRV_AUTH | flags;
    h->cfg.line_buf = h->line;
    h->cfg.line_cap = sizeof(h->line);
    h->cfg.auth_mechs = plain_mechs ? plain_mechs : "PLAIN LOGIN CRAM-MD5";
    h->cfg.sasl = &h->sasl;
    h->cfg.sasl_cfg = &h->sasl_cfg;
    h->cfg.crypto = &h->crypto;
    h->cb.on_auth = on_auth;
    assert_int_equal(mp_smtp_server_init(&h->s, &h->cfg, &h->cb, h, h->out, sizeof(h->out)),
                     MP_OK);
}

/* Feed one piece; answer an async AUTH pause; return the output. */
static void feed(host *h, const char *p, size_t n, char *got, size_t *gn)
{
    while (n > 0) {
        size_t used = 0, on;
        const char *o;
        mp_status st = mp_smtp_server_feed(&h->s, p, n, &used);
        assert_true(st == MP_OK || st == MP_PAUSED || st == MP_CLOSED);
        p += used;
        n -= used;
        if (st == MP_PAUSED && mp_smtp_server_pending(&h->s) == MP_SMTP_DECIDE_AUTH) {
            assert_true(h->async);
            answer_auth(h);
        }
        o = mp_smtp_server_output(&h->s, &on);
        memcpy(got + *gn, o, on);
        *gn += on;
        got[*gn] = '\0';
        mp_smtp_server_output_done(&h->s, on);
        if (st == MP_CLOSED)
            break;
    }
}

/* A conversation: pairs of (client line(s), expected server output). */
static void talk(unsigned flags, const char *const *script)
{
    int async, bytewise;
    for (async = 0; async < 2; async++)
        for (bytewise = 0; bytewise < 2; bytewise++) {
            static char got[8192];
            size_t i, gn = 0;
            setup(&H, flags, async);
            feed(&H, "", 0, got, &gn);
            {
                size_t on;
                const char *o = mp_smtp_server_output(&H.s, &on);
                mp_smtp_server_output_done(&H.s, on);
                (void)o;
            }
            for (i = 0; script[i] != NULL; i += 2) {
                size_t k, n = strlen(script[i]);
                gn = 0;
                got[0] = '\0';
                if (bytewise)
                    for (k = 0; k < n; k++)
                        feed(&H, script[i] + k, 1, got, &gn);
                else
                    feed(&H, script[i], n, got, &gn);
                if (strcmp(got, script[i + 1]) != 0)
                    fail_msg("async=%d bytewise=%d after %s\nwant %s\ngot  %s", async, bytewise,
                             script[i], script[i + 1], got);
            }
        }
}

static const char ehlo_tls[] = "250-mx\r\n250-PIPELINING\r\n250-SIZE\r\n250-ENHANCEDSTATUSCODES\r\n"
                                "250 AUTH PLAIN LOGIN CRAM-MD5\r\n";

static void test_plain(void **st)
{
    /* RFC 4616 §4 style: authzid empty, tim / tanstaaftanstaaf. */
    static const char *const ok_ir[] = {
        "EHLO c\r\n", ehlo_tls,
        "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n", "235 2.7.0 Authentication successful\r\n",
        "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n", "503 5.5.1 Already authenticated\r\n",
        NULL };
    static const char *const ok_chal[] = {
        "EHLO c\r\n", ehlo_tls,
        "AUTH plain\r\n", "334 \r\n",
        "AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n", "235 2.7.0 Authentication successful\r\n",
        NULL };
    static const char *const bad[] = {
        "EHLO c\r\n", ehlo_tls,
        "AUTH PLAIN AHRpbQB3cm9uZw==\r\n", "535 5.7.8 Authentication credentials invalid\r\n",
        "AUTH PLAIN\r\n", "334 \r\n",
        "*\r\n", "501 5.0.0 Authentication cancelled\r\n",
        "AUTH PLAIN\r\n", "334 \r\n",
        "AHR!pbQ==\r\n", "501 5.5.2 Cannot decode response\r\n",
        "AUTH PLAIN =\r\n", "501 5.5.2 Malformed authentication response\r\n",
        "AUTH XOAUTH9\r\n", "504 5.5.4 Unrecognized authentication type\r\n",
        "AUTH SCRAM-SHA-256\r\n", "504 5.5.4 Unrecognized authentication type\r\n",
        "NOOP\r\n", "250 2.0.0 Ok\r\n",
        NULL };
    (void)st;
    talk(MP_SMTP_SRV_TLS_ACTIVE, ok_ir);
    talk(MP_SMTP_SRV_TLS_ACTIVE, ok_chal);
    talk(MP_SMTP_SRV_TLS_ACTIVE, bad);
}

static void test_login_and_cram(void **st)
{
    static const char *const login[] = {
        "EHLO c\r\n", ehlo_tls,
        "AUTH LOGIN\r\n", "334 VXNlcm5hbWU6\r\n",
        "dGlt\r\n", "334 UGFzc3dvcmQ6\r\n",
        "dGFuc3RhYWZ0YW5zdGFhZg==\r\n", "235 2.7.0 Authentication successful\r\n",
        NULL };
    /* RFC 2195 §2 example. */
    static const char *const cram[] = {
        "EHLO c\r\n", ehlo_tls,
        "AUTH CRAM-MD5\r\n", "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n",
        "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n",
        "235 2.7.0 Authentication successful\r\n",
        NULL };
    static const char *const cram_bad[] = {
        "EHLO c\r\n", ehlo_tls,
        "AUTH CRAM-MD5\r\n", "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n",
        "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkx\r\n",
        "535 5.7.8 Authentication credentials invalid\r\n",
        NULL };
    (void)st;
    talk(MP_SMTP_SRV_TLS_ACTIVE, login);
    talk(MP_SMTP_SRV_TLS_ACTIVE, cram);
    talk(MP_SMTP_SRV_TLS_ACTIVE, cram_bad);
}

static void test_policy(void **st)
{
    /* Plaintext: only mechanisms that do not reveal the password are
     * offered; PLAIN and LOGIN are refused with 538. */
    static const char *const plain_conn[] = {
        "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n", "503 5.5.1 Send EHLO first\r\n",
        "EHLO c\r\n",
        "250-mx\r\n250-PIPELINING\r\n250-SIZE\r\n250-ENHANCEDSTATUSCODES\r\n250 AUTH CRAM-MD5\r\n",
        "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n",
        "538 5.7.11 Encryption required for requested authentication mechanism\r\n",
        "AUTH LOGIN\r\n",
        "538 5.7.11 Encryption required for requested authentication mechanism\r\n",
        "AUTH CRAM-MD5\r\n", "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n",
        "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n",
        "235 2.7.0 Authentication successful\r\n",
        "EHLO c\r\n", "250-mx\r\n250-PIPELINING\r\n250-SIZE\r\n250 ENHANCEDSTATUSCODES\r\n",
        NULL };
    /* Only cleartext mechanisms configured: no AUTH at all without TLS. */
    static const char *const plain_only[] = {
        "EHLO c\r\n", "250-mx\r\n250-PIPELINING\r\n250-SIZE\r\n250 ENHANCEDSTATUSCODES\r\n",
        NULL };
    /* AUTH required for MAIL; AUTH not inside a transaction; HELO is not
     * enough for AUTH. */
    static const char *const required[] = {
        "HELO c\r\n", "250 mx\r\n",
        "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n", "503 5.5.1 Send EHLO first\r\n",
        "EHLO c\r\n", ehlo_tls,
        "MAIL FROM:<a@b>\r\n", "530 5.7.0 Authentication required\r\n",
        "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n", "235 2.7.0 Authentication successful\r\n",
        "MAIL FROM:<a@b> AUTH=<>\r\n", "250 2.1.0 Ok\r\n",
        "AUTH LOGIN\r\n", "503 5.5.1 Already authenticated\r\n",
        NULL };
    /* The response arrives in the same read as the AUTH command: it was
     * sent before the challenge and is refused. */
    static const char *const early[] = {
        "EHLO c\r\n", ehlo_tls,
        "AUTH LOGIN\r\ndGlt\r\n", "334 VXNlcm5hbWU6\r\n501 5.5.0 Response sent before the challenge\r\n",
        NULL };
    (void)st;
    talk(0, plain_conn);
    talk(MP_SMTP_SRV_AUTH_TLS_ONLY, plain_only);
    plain_mechs = "PLAIN LOGIN";
    talk(0, plain_only);
    plain_mechs = NULL;
    talk(MP_SMTP_SRV_TLS_ACTIVE | MP_SMTP_SRV_AUTH_REQUIRED, required);
    /* Byte by byte the early response cannot be seen as early: run whole only. */
    {
        static char got[4096];
        size_t gn = 0;
        setup(&H, MP_SMTP_SRV_TLS_ACTIVE, 0);
        feed(&H, early[0], strlen(early[0]), got, &gn);
        gn = 0;
        feed(&H, early[2], strlen(early[2]), got, &gn);
        assert_string_equal(got, early[3]);
    }
}

/* A host that reads on before it sends (mailproto-smtpd coalescing the
 * replies of a pipelined group): a response read while the challenge is
 * still in the output was sent before the client could see it, whatever
 * read it came in (docs/security.md: credentials never pipelined ahead of
 * the challenge).  Once the host took the challenge, the next response
 * counts. */
static void test_response_before_challenge_taken(void **st)
{
    static char got[4096];
    size_t gn = 0, used = 0, on;
    const char *o;
    (void)st;
    setup(&H, MP_SMTP_SRV_TLS_ACTIVE, 0);
    feed(&H, "EHLO c\r\n", 8, got, &gn);
    /* the challenge stays in the output */
    assert_int_equal(mp_smtp_server_feed(&H.s, "AUTH LOGIN\r\n", 12, &used), MP_OK);
    assert_int_equal(used, 12);
    assert_int_equal(mp_smtp_server_feed(&H.s, "dGlt\r\n", 6, &used), MP_OK);
    assert_int_equal(used, 6);
    o = mp_smtp_server_output(&H.s, &on);
    assert_int_equal(on, strlen("334 VXNlcm5hbWU6\r\n501 5.5.0 Response sent before the challenge\r\n"));
    assert_memory_equal(o, "334 VXNlcm5hbWU6\r\n501 5.5.0 Response sent before the challenge\r\n", on);
    mp_smtp_server_output_done(&H.s, on);
    /* taken before the response comes: a normal exchange */
    assert_int_equal(mp_smtp_server_feed(&H.s, "AUTH LOGIN\r\n", 12, &used), MP_OK);
    o = mp_smtp_server_output(&H.s, &on);
    assert_int_equal(on, strlen("334 VXNlcm5hbWU6\r\n"));
    mp_smtp_server_output_done(&H.s, on);
    gn = 0;
    feed(&H, "dGlt\r\n", 6, got, &gn);
    assert_string_equal(got, "334 UGFzc3dvcmQ6\r\n");
}

/* A too-long SASL line: 500 5.5.6 and the session goes on. */
static void test_long_line(void **st)
{
    static char big[MP_SMTP_MAX_AUTH_LINE + 16];
    static char got[8192];
    size_t gn = 0;
    (void)st;
    setup(&H, MP_SMTP_SRV_TLS_ACTIVE, 0);
    feed(&H, "EHLO c\r\n", 8, got, &gn);
    gn = 0;
    feed(&H, "AUTH PLAIN\r\n", 12, got, &gn);
    assert_string_equal(got, "334 \r\n");
    memset(big, 'A', sizeof(big));
    memcpy(big + sizeof(big) - 2, "\r\n", 2);
    gn = 0;
    feed(&H, big, sizeof(big), got, &gn);
    assert_string_equal(got, "500 5.5.6 Authentication exchange line is too long\r\n");
    gn = 0;
    feed(&H, "NOOP\r\n", 6, got, &gn);
    assert_string_equal(got, "250 2.0.0 Ok\r\n");
}

/* Without an on_auth host every credential fails. */
static void test_no_host(void **st)
{
    static char got[4096];
    size_t gn = 0;
    (void)st;
    setup(&H, MP_SMTP_SRV_TLS_ACTIVE, 0);
    H.cb.on_auth = NULL;
    feed(&H, "EHLO c\r\n", 8, got, &gn);
    gn = 0;
    feed(&H, "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n", 42, got, &gn);
    assert_string_equal(got, "535 5.7.8 Authentication credentials invalid\r\n");
    assert_int_equal(mp_smtp_server_auth_resume(&H.s), MP_ERR_STATE);
}

/* SCRAM-SHA-256 end to end with lib/sasl's client: the server-final
 * message goes out as one more 334 (SMTP has no success data) and the
 * client answers it with an empty line (RFC 4954 §4, RFC 5802). */
static void scram_answer(host *h)
{
    mp_sasl_server *x = &h->sasl;
    uint8_t sk[32], svk[32];
    if (x->want == MP_SASL_WANT_SCRAM_KEYS && mp_slice_eq_ci(x->authcid, "tim", 3)) {
        assert_int_equal(mp_sasl_scram_derive(MP_SASL_SCRAM_SHA_256, &h->crypto,
                                              "tanstaaftanstaaf", 16, "salty", 5, 4096, sk, svk,
                                              NULL),
                         MP_OK);
        assert_int_equal(mp_sasl_server_set_scram(x, "salty", 5, 4096, sk, svk), MP_OK);
    } else {
        mp_sasl_server_verify(x, 0);
    }
    assert_int_equal(mp_smtp_server_auth_resume(&h->s), MP_OK);
}

static int on_auth_scram(void *u, mp_smtp_server *s)
{
    (void)s;
    scram_answer(u);
    return 0;
}

static void scram_run(const char *password, const char *want_final)
{
    static char got[8192], line[2048], msg[1024], resp[1024];
    mp_sasl_client c;
    mp_sasl_credentials cr;
    size_t gn = 0, n = 0, ml = 0;
    int success_seen = 0;
    setup(&H, MP_SMTP_SRV_TLS_ACTIVE, 0);
    H.cfg.auth_mechs = "SCRAM-SHA-256";
    H.cb.on_auth = on_auth_scram;
    assert_int_equal(mp_smtp_server_init(&H.s, &H.cfg, &H.cb, &H, H.out, sizeof(H.out)), MP_OK);
    feed(&H, "EHLO c\r\n", 8, got, &gn);
    assert_non_null(strstr(got, "250 AUTH SCRAM-SHA-256\r\n"));
    memset(&cr, 0, sizeof(cr));
    cr.username = MP_SLICE_LIT("tim");
    cr.password = mp_slice_make(password, strlen(password));
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_SCRAM_SHA_256, &cr, &H.crypto), MP_OK);
    assert_int_equal(mp_sasl_client_initial(&c, msg, sizeof(msg), &ml), MP_NEED_MORE);
    memcpy(line, "AUTH SCRAM-SHA-256 ", 19);
    assert_int_equal(mp_sasl_encode_initial(msg, ml, line + 19, sizeof(line) - 21, &n), MP_OK);
    n += 19;
    for (;;) {
        size_t cl = 0, dl = 0;
        mp_status st;
        memcpy(line + n, "\r\n", 2);
        gn = 0;
        feed(&H, line, n + 2, got, &gn);
        if (getenv("MP_DEBUG"))
            fprintf(stderr, "C: %.*sS: %s  (sasl err %s @%llu %s)\n", (int)(n + 2), line, got,
                    mp_status_name(H.sasl.err.code), (unsigned long long)H.sasl.err.offset,
                    H.sasl.err.rule ? H.sasl.err.rule : "-");
        if (strncmp(got, "334 ", 4) != 0)
            break;
        assert_int_equal(mp_sasl_decode_challenge(got + 4, gn - 6, msg, sizeof(msg), &dl), MP_OK);
        st = mp_sasl_client_step(&c, msg, dl, resp, sizeof(resp), &cl);
        if (st == MP_DONE)
            success_seen = 1; /* the server proved it knows the password */
        if (st != MP_NEED_MORE && st != MP_DONE) {
            line[0] = '*'; /* the client refuses the server: cancel */
            n = 1;
            continue;
        }
        assert_int_equal(mp_sasl_encode(resp, cl, line, sizeof(line) - 2, &n), MP_OK);
    }
    assert_string_equal(got, want_final);
    if (strncmp(want_final, "235", 3) == 0) {
        assert_true(success_seen);
        assert_int_equal(mp_sasl_client_finish(&c), MP_OK);
    }
}

static void test_scram(void **st)
{
    (void)st;
    scram_run("tanstaaftanstaaf", "235 2.7.0 Authentication successful\r\n");
    scram_run("wrong", "535 5.7.8 Authentication credentials invalid\r\n");
}

/* The initial-response form is one line: it runs through the split
 * harness with a sync host. */
static void sp_reset(void *state)
{
    setup(state, MP_SMTP_SRV_TLS_ACTIVE, 0);
}
static void sp_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    static char got[8192];
    size_t gn = 0;
    feed(state, p, n, got, &gn);
    if (gn)
        mp_evlog_chunk(log, "out", got, gn);
}
static void test_split(void **st)
{
    mp_split_target t = { sp_reset, sp_feed, NULL, &H };
    static const char in[] = "EHLO c\r\nAUTH PLAIN AHRpbQB3cm9uZw==\r\n"
                             "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\nMAIL FROM:<a@b>\r\n";
    (void)st;
    mp_split_check(&t, in, sizeof(in) - 1,
                   "chunk out 220 mx ESMTP ready\\r\\n250-mx\\r\\n250-PIPELINING\\r\\n250-SIZE"
                   "\\r\\n250-ENHANCEDSTATUSCODES\\r\\n250 AUTH PLAIN LOGIN CRAM-MD5\\r\\n"
                   "535 5.7.8 Authentication credentials invalid\\r\\n"
                   "235 2.7.0 Authentication successful\\r\\n250 2.1.0 Ok\\r\\n\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain),     cmocka_unit_test(test_login_and_cram),
        cmocka_unit_test(test_policy),    cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_response_before_challenge_taken),
        cmocka_unit_test(test_no_host),   cmocka_unit_test(test_split),
        cmocka_unit_test(test_scram),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
