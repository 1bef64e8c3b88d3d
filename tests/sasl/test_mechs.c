/* CRAM-MD5 (RFC 2195), LOGIN, XOAUTH2 (Google), OAUTHBEARER (RFC 7628),
 * EXTERNAL (RFC 4422 A): the documents' examples as client and server,
 * and malformed messages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/sasl.h"

#define S(lit) lit, (sizeof(lit) - 1)

static int fake_random(void *user, uint8_t *out, size_t len)
{
    (void)user;
    memset(out, 0xab, len);
    return 0;
}

static int failing_random(void *user, uint8_t *out, size_t len)
{
    (void)user;
    (void)out;
    (void)len;
    return 1;
}

static void expect_out(const char *out, size_t n, const char *want, size_t wn)
{
    assert_int_equal(n, wn);
    assert_memory_equal(out, want, n);
}

/* Base64 of a message, as it goes on the wire. */
static void expect_b64(const char *msg, size_t n, const char *want)
{
    char b[512];
    size_t bn;
    assert_int_equal(mp_sasl_encode(msg, n, b, sizeof b, &bn), MP_OK);
    expect_out(b, bn, want, strlen(want));
}

/* ---- CRAM-MD5 ---------------------------------------------------------- */

static const char cram_chal[] = "<1896.697170952@postoffice.reston.mci.net>";

static void test_cram_client(void **st)
{
    static mp_sasl_client c;
    mp_crypto_provider cp = mp_crypto_builtin(NULL, NULL);
    mp_sasl_credentials cr;
    char chal[64], out[128];
    size_t n;
    (void)st;
    memset(&cr, 0, sizeof cr);
    cr.username = MP_SLICE_LIT("tim");
    cr.password = MP_SLICE_LIT("tanstaaftanstaaf");
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_CRAM_MD5, &cr, &cp), MP_OK);
    assert_int_equal(mp_sasl_client_initial(&c, out, sizeof out, &n), MP_ERR_STATE);
    /* RFC 2195 §2: the challenge as it is on the wire. */
    assert_int_equal(mp_sasl_decode_challenge(S("PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"),
                                              chal, sizeof chal, &n),
                     MP_OK);
    expect_out(chal, n, S(cram_chal));
    assert_int_equal(mp_sasl_client_step(&c, chal, n, out, sizeof out, &n), MP_DONE);
    expect_out(out, n, S("tim b913a602c7eda7a495b4e6e7334d3890"));
    expect_b64(out, n, "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
    assert_int_equal(mp_sasl_client_finish(&c), MP_OK);
    /* Empty challenge is malformed; a provider without MD5 is refused. */
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_CRAM_MD5, &cr, &cp), MP_OK);
    assert_int_equal(mp_sasl_client_step(&c, "", 0, out, sizeof out, &n), MP_ERR_SASL_MESSAGE);
    cp.md5 = NULL;
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_CRAM_MD5, &cr, &cp), MP_ERR_UNSUPPORTED);
}

static mp_status cram_server(const char *resp, size_t n, const char *secret)
{
    static mp_sasl_server s;
    mp_crypto_provider cp = mp_crypto_builtin(NULL, NULL);
    mp_sasl_server_config cfg;
    char out[128];
    size_t on;
    mp_status st;
    memset(&cfg, 0, sizeof cfg);
    cfg.cram_challenge = MP_SLICE_LIT(cram_chal);
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_CRAM_MD5, &cp, &cfg), MP_OK);
    /* No initial response is allowed in CRAM-MD5. */
    {
        static mp_sasl_server t;
        assert_int_equal(mp_sasl_server_start(&t, MP_SASL_CRAM_MD5, &cp, &cfg), MP_OK);
        assert_int_equal(mp_sasl_server_step(&t, "x", 1, out, sizeof out, &on), MP_ERR_SASL_MESSAGE);
    }
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, out, sizeof out, &on), MP_NEED_MORE);
    expect_out(out, on, S(cram_chal));
    st = mp_sasl_server_step(&s, resp, n, out, sizeof out, &on);
    if (st != MP_PAUSED) return st;
    assert_int_equal(s.want, MP_SASL_WANT_SECRET);
    assert_int_equal(s.authcid.len, 3);
    assert_memory_equal(s.authcid.ptr, "tim", 3);
    if (secret != NULL)
        assert_int_equal(mp_sasl_server_set_secret(&s, secret, strlen(secret)), MP_OK);
    else
        assert_int_equal(mp_sasl_server_verify(&s, 0), MP_OK);
    return mp_sasl_server_step(&s, NULL, 0, out, sizeof out, &on);
}

static void test_cram_server(void **st)
{
    static mp_sasl_server s;
    mp_crypto_provider cp = mp_crypto_builtin(fake_random, NULL);
    mp_sasl_server_config cfg;
    char out[128];
    size_t n;
    (void)st;
    assert_int_equal(cram_server(S("tim b913a602c7eda7a495b4e6e7334d3890"), "tanstaaftanstaaf"),
                     MP_DONE);
    assert_int_equal(cram_server(S("tim b913a602c7eda7a495b4e6e7334d3890"), "wrong"),
                     MP_ERR_SASL_AUTH_FAILED);
    assert_int_equal(cram_server(S("tim b913a602c7eda7a495b4e6e7334d3890"), NULL),
                     MP_ERR_SASL_AUTH_FAILED);
    assert_int_equal(cram_server(S("tim b913a602c7eda7a495b4e6e7334d389"), "x"), MP_ERR_SASL_MESSAGE);
    assert_int_equal(cram_server(S("tim B913A602C7EDA7A495B4E6E7334D3890"), "x"), MP_ERR_SASL_MESSAGE);
    assert_int_equal(cram_server(S("timb913a602c7eda7a495b4e6e7334d3890"), "x"), MP_ERR_SASL_MESSAGE);
    assert_int_equal(cram_server(S(" b913a602c7eda7a495b4e6e7334d3890"), "x"), MP_ERR_SASL_MESSAGE);
    assert_int_equal(cram_server(S(""), "x"), MP_ERR_SASL_MESSAGE);
    assert_int_equal(cram_server(S("t\0m b913a602c7eda7a495b4e6e7334d3890"), "x"), MP_ERR_SASL_MESSAGE);

    /* The generated challenge: "<" 16 hex ".0@" host ">" from the random
     * source, never the clock. */
    memset(&cfg, 0, sizeof cfg);
    cfg.hostname = MP_SLICE_LIT("mx.example.org");
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_CRAM_MD5, &cp, &cfg), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, out, sizeof out, &n), MP_NEED_MORE);
    expect_out(out, n, S("<abababababababab.0@mx.example.org>"));
    cp.random = failing_random;
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_CRAM_MD5, &cp, &cfg), MP_ERR_CRYPTO);
    cp.random = NULL;
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_CRAM_MD5, &cp, &cfg), MP_ERR_UNSUPPORTED);
}

/* ---- LOGIN ------------------------------------------------------------- */

static void test_login(void **st)
{
    static mp_sasl_client c;
    static mp_sasl_server s;
    mp_sasl_credentials cr;
    mp_sasl_server_config cfg;
    char out[64], sout[64];
    size_t n, sn;
    (void)st;
    memset(&cr, 0, sizeof cr);
    cr.username = MP_SLICE_LIT("tim");
    cr.password = MP_SLICE_LIT("secret pass");
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_LOGIN, &cr, NULL), MP_OK);
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_LOGIN, NULL, NULL), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, sout, sizeof sout, &sn), MP_NEED_MORE);
    expect_out(sout, sn, S("Username:"));
    assert_int_equal(mp_sasl_client_step(&c, sout, sn, out, sizeof out, &n), MP_NEED_MORE);
    expect_out(out, n, S("tim"));
    assert_int_equal(mp_sasl_server_step(&s, out, n, sout, sizeof sout, &sn), MP_NEED_MORE);
    expect_out(sout, sn, S("Password:"));
    assert_int_equal(mp_sasl_client_step(&c, sout, sn, out, sizeof out, &n), MP_DONE);
    expect_out(out, n, S("secret pass"));
    assert_int_equal(mp_sasl_server_step(&s, out, n, sout, sizeof sout, &sn), MP_PAUSED);
    assert_memory_equal(s.password.ptr, "secret pass", 11);
    assert_int_equal(mp_sasl_server_verify(&s, 1), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, sout, sizeof sout, &sn), MP_DONE);
    assert_int_equal(mp_sasl_client_finish(&c), MP_OK);

    /* Initial response with the user name only when configured. */
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_LOGIN, NULL, NULL), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, "tim", 3, sout, sizeof sout, &sn), MP_ERR_SASL_MESSAGE);
    memset(&cfg, 0, sizeof cfg);
    cfg.flags = MP_SASL_SERVER_LOGIN_IR;
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_LOGIN, NULL, &cfg), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, "tim", 3, sout, sizeof sout, &sn), MP_NEED_MORE);
    expect_out(sout, sn, S("Password:"));
    assert_int_equal(mp_sasl_server_step(&s, "", 0, sout, sizeof sout, &sn), MP_ERR_SASL_MESSAGE);
    /* Empty user name. */
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_LOGIN, NULL, NULL), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, sout, sizeof sout, &sn), MP_NEED_MORE);
    assert_int_equal(mp_sasl_server_step(&s, "", 0, sout, sizeof sout, &sn), MP_ERR_SASL_MESSAGE);
}

/* ---- XOAUTH2 ----------------------------------------------------------- */

static const char xoauth2_msg[] =
    "user=someuser@example.com\001auth=Bearer ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg\001\001";

static void test_xoauth2(void **st)
{
    static mp_sasl_client c;
    static mp_sasl_server s;
    mp_sasl_credentials cr;
    char out[256], sout[256];
    size_t n, sn;
    (void)st;
    memset(&cr, 0, sizeof cr);
    cr.username = MP_SLICE_LIT("someuser@example.com");
    cr.token = MP_SLICE_LIT("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg");
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_XOAUTH2, &cr, NULL), MP_OK);
    assert_int_equal(mp_sasl_client_initial(&c, out, sizeof out, &n), MP_DONE);
    expect_out(out, n, S(xoauth2_msg));
    /* Google's documented base64 form. */
    expect_b64(out, n,
               "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==");

    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_XOAUTH2, NULL, NULL), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, out, n, sout, sizeof sout, &sn), MP_PAUSED);
    expect_out(s.authcid.ptr, s.authcid.len, S("someuser@example.com"));
    expect_out(s.token.ptr, s.token.len, S("ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg"));
    assert_int_equal(mp_sasl_server_verify(&s, 1), MP_OK);
    assert_int_equal(s.token.len, 0);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, sout, sizeof sout, &sn), MP_DONE);
    assert_int_equal(mp_sasl_client_finish(&c), MP_OK);

    /* Rejected: error JSON challenge, the client answers empty, failure. */
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_XOAUTH2, &cr, NULL), MP_OK);
    assert_int_equal(mp_sasl_client_initial(&c, out, sizeof out, &n), MP_DONE);
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_XOAUTH2, NULL, NULL), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, out, n, sout, sizeof sout, &sn), MP_PAUSED);
    assert_int_equal(mp_sasl_server_verify(&s, 0), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, sout, sizeof sout, &sn), MP_NEED_MORE);
    expect_out(sout, sn, S("{\"status\":\"invalid_token\"}"));
    assert_int_equal(mp_sasl_client_step(&c, sout, sn, out, sizeof out, &n), MP_DONE);
    assert_int_equal(n, 0);
    assert_int_equal(mp_sasl_server_step(&s, out, n, sout, sizeof sout, &sn), MP_ERR_SASL_AUTH_FAILED);
    assert_int_equal(mp_sasl_client_finish(&c), MP_ERR_SASL_AUTH_FAILED);
}

static mp_status server_first(mp_sasl_mech m, const char *msg, size_t n)
{
    static mp_sasl_server s;
    char out[64];
    size_t on;
    assert_int_equal(mp_sasl_server_start(&s, m, NULL, NULL), MP_OK);
    return mp_sasl_server_step(&s, msg, n, out, sizeof out, &on);
}

static void test_oauth_malformed(void **st)
{
    (void)st;
    assert_int_equal(server_first(MP_SASL_XOAUTH2, S(xoauth2_msg)), MP_PAUSED);
    assert_int_equal(server_first(MP_SASL_XOAUTH2, S("user=u\001auth=Bearer t\001")), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_first(MP_SASL_XOAUTH2, S("user=u\001auth=Bearer t\001\001x")), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_first(MP_SASL_XOAUTH2, S("user=u\001\001")), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_first(MP_SASL_XOAUTH2, S("auth=Bearer t\001\001")), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_first(MP_SASL_XOAUTH2, S("user=\001auth=Bearer t\001\001")), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_first(MP_SASL_XOAUTH2, S("user=u\001auth=Basic t\001\001")), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_first(MP_SASL_XOAUTH2, S("user=u\001auth=Bearer \001\001")), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_first(MP_SASL_XOAUTH2, S("user=u\001auth=Bearer t\0t\001\001")), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_first(MP_SASL_XOAUTH2, S("user=u\001auth=Bearer a\001auth=Bearer b\001\001")),
                     MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_first(MP_SASL_XOAUTH2, S("user=u\xff\001auth=Bearer t\001\001")), MP_ERR_UTF8);
    assert_int_equal(server_first(MP_SASL_OAUTHBEARER, S("n,,\001auth=Bearer t\001\001")), MP_PAUSED);
    assert_int_equal(server_first(MP_SASL_OAUTHBEARER, S("y,,\001auth=bearer t\001\001")), MP_PAUSED);
    assert_int_equal(server_first(MP_SASL_OAUTHBEARER, S("p=tls-unique,,\001auth=Bearer t\001\001")),
                     MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_first(MP_SASL_OAUTHBEARER, S("n,,auth=Bearer t\001\001")), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_first(MP_SASL_OAUTHBEARER, S("n,a=u\001auth=Bearer t\001\001")), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_first(MP_SASL_OAUTHBEARER, S("n,a=u=2,\001auth=Bearer t\001\001")), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_first(MP_SASL_OAUTHBEARER, S("n,,\001ho-st=x\001auth=Bearer t\001\001")),
                     MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_first(MP_SASL_OAUTHBEARER, S("n,,\001host\001auth=Bearer t\001\001")),
                     MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_first(MP_SASL_OAUTHBEARER, S("n,,\001host=a\x7f\001auth=Bearer t\001\001")),
                     MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_first(MP_SASL_OAUTHBEARER, S("")), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_first(MP_SASL_OAUTHBEARER, S("n,")), MP_ERR_SASL_MESSAGE);
}

/* ---- OAUTHBEARER (RFC 7628 §4.1 and §4.3) ------------------------------ */

static const char oauthbearer_msg[] =
    "n,a=user@example.com,\001host=server.example.com\001port=143\001"
    "auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\001\001";

static void test_oauthbearer(void **st)
{
    static mp_sasl_client c;
    static mp_sasl_server s;
    mp_sasl_credentials cr;
    mp_sasl_server_config cfg;
    char out[256], sout[256];
    size_t n, sn;
    static const char rfc_error[] =
        "{\"status\":\"invalid_token\",\"scope\":\"example_scope\",\"openid-configuration\":"
        "\"https://example.com/.well-known/openid-configuration\"}";
    (void)st;
    memset(&cr, 0, sizeof cr);
    cr.username = MP_SLICE_LIT("user@example.com");
    cr.token = MP_SLICE_LIT("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
    cr.oauth_host = MP_SLICE_LIT("server.example.com");
    cr.oauth_port = 143;
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_OAUTHBEARER, &cr, NULL), MP_OK);
    assert_int_equal(mp_sasl_client_initial(&c, out, sizeof out, &n), MP_DONE);
    expect_out(out, n, S(oauthbearer_msg));
    expect_b64(out, n,
               "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVy"
               "IHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB");

    /* §4.1: success. */
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_OAUTHBEARER, NULL, NULL), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, out, n, sout, sizeof sout, &sn), MP_PAUSED);
    expect_out(s.authzid.ptr, s.authzid.len, S("user@example.com"));
    expect_out(s.token.ptr, s.token.len, S("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="));
    assert_int_equal(mp_sasl_server_verify(&s, 1), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, sout, sizeof sout, &sn), MP_DONE);
    assert_int_equal(mp_sasl_client_finish(&c), MP_OK);

    /* §4.3: failure with the RFC's error JSON; the client answers 0x01
     * ("AQ==" on the wire). */
    memset(&cfg, 0, sizeof cfg);
    cfg.oauth_error = MP_SLICE_LIT(rfc_error);
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_OAUTHBEARER, &cr, NULL), MP_OK);
    assert_int_equal(mp_sasl_client_initial(&c, out, sizeof out, &n), MP_DONE);
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_OAUTHBEARER, NULL, &cfg), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, out, n, sout, sizeof sout, &sn), MP_PAUSED);
    assert_int_equal(mp_sasl_server_verify(&s, 0), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, sout, sizeof sout, &sn), MP_NEED_MORE);
    expect_b64(sout, sn,
               "eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3Vy"
               "YXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=");
    assert_int_equal(mp_sasl_client_step(&c, sout, sn, out, sizeof out, &n), MP_DONE);
    expect_out(out, n, S("\001"));
    expect_b64(out, n, "AQ==");
    assert_int_equal(mp_sasl_server_step(&s, out, n, sout, sizeof sout, &sn), MP_ERR_SASL_AUTH_FAILED);
    assert_int_equal(mp_sasl_client_finish(&c), MP_ERR_SASL_AUTH_FAILED);

    /* Without host: only the auth pair; an authzid with ',' is escaped. */
    memset(&cr, 0, sizeof cr);
    cr.authzid = MP_SLICE_LIT("a,b");
    cr.token = MP_SLICE_LIT("tok");
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_OAUTHBEARER, &cr, NULL), MP_OK);
    assert_int_equal(mp_sasl_client_initial(&c, out, sizeof out, &n), MP_DONE);
    expect_out(out, n, S("n,a=a=2Cb,\001auth=Bearer tok\001\001"));
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_OAUTHBEARER, NULL, NULL), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, out, n, sout, sizeof sout, &sn), MP_PAUSED);
    expect_out(s.authzid.ptr, s.authzid.len, S("a,b"));
    /* Token with a kvsep is refused at start. */
    cr.token = MP_SLICE_LIT("t\001k");
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_OAUTHBEARER, &cr, NULL), MP_ERR_SASL_MESSAGE);
    cr.token = mp_slice_make(NULL, 0);
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_OAUTHBEARER, &cr, NULL), MP_ERR_ARG);
}

/* ---- EXTERNAL ---------------------------------------------------------- */

static void test_external(void **st)
{
    static mp_sasl_client c;
    static mp_sasl_server s;
    mp_sasl_credentials cr;
    char out[64], sout[64];
    size_t n, sn;
    (void)st;
    memset(&cr, 0, sizeof cr);
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_EXTERNAL, &cr, NULL), MP_OK);
    assert_int_equal(mp_sasl_client_initial(&c, out, sizeof out, &n), MP_DONE);
    assert_int_equal(n, 0);
    assert_int_equal(mp_sasl_encode_initial(out, n, sout, sizeof sout, &sn), MP_OK);
    expect_out(sout, sn, S("="));
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_EXTERNAL, NULL, NULL), MP_OK);
    assert_int_equal(mp_sasl_decode_initial(sout, sn, out, sizeof out, &n), MP_OK);
    assert_int_equal(n, 0);
    assert_int_equal(mp_sasl_server_step(&s, out, n, sout, sizeof sout, &sn), MP_PAUSED);
    assert_int_equal(s.authzid.len, 0);
    assert_int_equal(mp_sasl_server_verify(&s, 1), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, sout, sizeof sout, &sn), MP_DONE);

    /* With an authzid and without SASL-IR. */
    cr.authzid = MP_SLICE_LIT("fred");
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_EXTERNAL, &cr, NULL), MP_OK);
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_EXTERNAL, NULL, NULL), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, sout, sizeof sout, &sn), MP_NEED_MORE);
    assert_int_equal(sn, 0);
    assert_int_equal(mp_sasl_client_step(&c, sout, sn, out, sizeof out, &n), MP_DONE);
    assert_int_equal(mp_sasl_server_step(&s, out, n, sout, sizeof sout, &sn), MP_PAUSED);
    expect_out(s.authzid.ptr, s.authzid.len, S("fred"));
    assert_int_equal(mp_sasl_server_verify(&s, 0), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, sout, sizeof sout, &sn), MP_ERR_SASL_AUTH_FAILED);
    assert_int_equal(server_first(MP_SASL_EXTERNAL, S("fr\0ed")), MP_ERR_SASL_MESSAGE);
    /* A non-empty first challenge is not how EXTERNAL starts. */
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_EXTERNAL, &cr, NULL), MP_OK);
    assert_int_equal(mp_sasl_client_step(&c, "x", 1, out, sizeof out, &n), MP_ERR_SASL_MESSAGE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cram_client),  cmocka_unit_test(test_cram_server),
        cmocka_unit_test(test_login),        cmocka_unit_test(test_xoauth2),
        cmocka_unit_test(test_oauth_malformed), cmocka_unit_test(test_oauthbearer),
        cmocka_unit_test(test_external),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
