/* SCRAM-SHA-1 (RFC 5802 §5) and SCRAM-SHA-256 (RFC 7677 §3): the exact
 * exchanges of the RFCs, as client and as server, plus the failure cases
 * (nonce, proof, signature, channel binding, malformed messages). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/sasl.h"

#define S(lit) lit, (sizeof(lit) - 1)

static int fake_random(void *user, uint8_t *out, size_t len)
{
    unsigned *ctr = user;
    size_t i;
    for (i = 0; i < len; i++) out[i] = (uint8_t)(++*ctr * 37u);
    return 0;
}

static unsigned rnd_ctr;
static mp_crypto_provider provider(void) { return mp_crypto_builtin(fake_random, &rnd_ctr); }

typedef struct vec {
    mp_sasl_mech mech;
    const char *cnonce, *snonce, *salt_b64;
    const char *client_first, *server_first, *client_final, *server_final;
} vec;

static const vec rfc5802 = {
    MP_SASL_SCRAM_SHA_1, "fyko+d2lbbFgONRv9qkxdawL", "3rfcNHYJY1ZVvWVs7j", "QSXCR+Q6sek8bf92",
    "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
    "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
    "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
    "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
};

static const vec rfc7677 = {
    MP_SASL_SCRAM_SHA_256, "rOprNGfwEbeRWgbNEkqO", "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    "W22ZaJ0SNY7soEsUEjb6gQ==",
    "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

static mp_sasl_credentials user_pencil(void)
{
    mp_sasl_credentials cr;
    memset(&cr, 0, sizeof cr);
    cr.username = MP_SLICE_LIT("user");
    cr.password = MP_SLICE_LIT("pencil");
    return cr;
}

static void expect_out(const char *out, size_t n, const char *want)
{
    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n);
}

static void client_vector(const vec *v)
{
    static mp_sasl_client c;
    mp_crypto_provider cp = provider();
    mp_sasl_credentials cr = user_pencil();
    char out[MP_SASL_MAX_MESSAGE];
    size_t n;
    const uint8_t *salt, *sp;
    size_t saltlen, splen;
    uint32_t iter;

    assert_int_equal(mp_sasl_client_start(&c, v->mech, &cr, &cp), MP_OK);
    assert_int_equal(mp_sasl_client_set_nonce(&c, v->cnonce, strlen(v->cnonce)), MP_OK);
    assert_int_equal(mp_sasl_client_initial(&c, out, sizeof out, &n), MP_NEED_MORE);
    expect_out(out, n, v->client_first);
    assert_int_equal(mp_sasl_client_set_nonce(&c, "x", 1), MP_ERR_STATE);
    /* A success claimed right after client-first is not believed. */
    {
        mp_sasl_client copy = c;
        assert_int_equal(mp_sasl_client_finish(&copy), MP_ERR_SASL_SERVER_PROOF);
    }
    /* Too little room: MP_ERR_NO_SPACE and a retry works. */
    assert_int_equal(mp_sasl_client_step(&c, v->server_first, strlen(v->server_first), out, 20, &n),
                     MP_ERR_NO_SPACE);
    assert_int_equal(n, strlen(v->client_final));
    assert_int_equal(mp_sasl_client_step(&c, v->server_first, strlen(v->server_first), out,
                                         sizeof out, &n),
                     MP_NEED_MORE);
    expect_out(out, n, v->client_final);
    /* A success claimed before the server signature is not believed. */
    {
        mp_sasl_client copy = c;
        assert_int_equal(mp_sasl_client_finish(&copy), MP_ERR_SASL_SERVER_PROOF);
    }
    assert_int_equal(mp_sasl_client_step(&c, v->server_final, strlen(v->server_final), out,
                                         sizeof out, &n),
                     MP_DONE);
    assert_int_equal(n, 0);
    assert_int_equal(mp_sasl_client_finish(&c), MP_OK);

    /* The cache replays without PBKDF2 (and without the password). */
    assert_int_equal(mp_sasl_client_scram_cache(&c, &salt, &saltlen, &iter, &sp, &splen), MP_OK);
    assert_int_equal(iter, 4096);
    {
        uint8_t spc[32], saltc[64];
        mp_sasl_credentials cached = user_pencil();
        memcpy(spc, sp, splen);
        memcpy(saltc, salt, saltlen);
        cached.password = mp_slice_make(NULL, 0);
        cached.scram_salted_password = spc;
        cached.scram_salt = saltc;
        cached.scram_salt_len = saltlen;
        cached.scram_iterations = iter;
        assert_int_equal(mp_sasl_client_start(&c, v->mech, &cached, &cp), MP_OK);
        assert_int_equal(mp_sasl_client_set_nonce(&c, v->cnonce, strlen(v->cnonce)), MP_OK);
        assert_int_equal(mp_sasl_client_initial(&c, out, sizeof out, &n), MP_NEED_MORE);
        assert_int_equal(mp_sasl_client_step(&c, v->server_first, strlen(v->server_first), out,
                                             sizeof out, &n),
                         MP_NEED_MORE);
        expect_out(out, n, v->client_final);
        /* A wrong server signature. */
        {
            char bad[64];
            strcpy(bad, v->server_final);
            bad[3] = bad[3] == 'A' ? 'B' : 'A';
            assert_int_equal(mp_sasl_client_step(&c, bad, strlen(bad), out, sizeof out, &n),
                             MP_ERR_SASL_SERVER_PROOF);
            assert_int_equal(mp_sasl_client_finish(&c), MP_ERR_STATE);
        }
    }
}

static void test_client_rfc5802(void **st)
{
    (void)st;
    client_vector(&rfc5802);
}

static void test_client_rfc7677(void **st)
{
    (void)st;
    client_vector(&rfc7677);
}

static void server_vector(const vec *v, unsigned flags)
{
    static mp_sasl_server s;
    mp_crypto_provider cp = provider();
    mp_sasl_server_config cfg;
    uint8_t salt[64], sk[32], svk[32];
    size_t saltlen, n;
    char out[MP_SASL_MAX_MESSAGE];

    memset(&cfg, 0, sizeof cfg);
    cfg.flags = flags;
    cfg.scram_nonce = mp_slice_make(v->snonce, strlen(v->snonce));
    assert_int_equal(mp_base64_decode(v->salt_b64, strlen(v->salt_b64), salt, sizeof salt, &saltlen),
                     MP_OK);
    assert_int_equal(mp_sasl_scram_derive(v->mech, &cp, "pencil", 6, salt, saltlen, 4096, sk, svk,
                                          NULL),
                     MP_OK);
    assert_int_equal(mp_sasl_server_start(&s, v->mech, &cp, &cfg), MP_OK);
    /* Without SASL-IR: an empty challenge, then client-first. */
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, out, sizeof out, &n), MP_NEED_MORE);
    assert_int_equal(n, 0);
    assert_int_equal(mp_sasl_server_step(&s, v->client_first, strlen(v->client_first), out,
                                         sizeof out, &n),
                     MP_PAUSED);
    assert_int_equal(s.want, MP_SASL_WANT_SCRAM_KEYS);
    assert_int_equal(s.authcid.len, 4);
    assert_memory_equal(s.authcid.ptr, "user", 4);
    assert_int_equal(s.authzid.len, 0);
    /* The host answers later; steps before that are refused. */
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, out, sizeof out, &n), MP_ERR_STATE);
    assert_int_equal(mp_sasl_server_set_scram(&s, salt, saltlen, 4096, sk, svk), MP_OK);
    assert_int_equal(mp_sasl_server_set_scram(&s, salt, saltlen, 4096, sk, svk), MP_ERR_STATE);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, out, 10, &n), MP_ERR_NO_SPACE);
    assert_int_equal(n, strlen(v->server_first));
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, out, sizeof out, &n), MP_NEED_MORE);
    expect_out(out, n, v->server_first);
    if (flags & MP_SASL_SERVER_SUCCESS_DATA) {
        assert_int_equal(mp_sasl_server_step(&s, v->client_final, strlen(v->client_final), out,
                                             sizeof out, &n),
                         MP_DONE);
        expect_out(out, n, v->server_final);
    } else {
        assert_int_equal(mp_sasl_server_step(&s, v->client_final, strlen(v->client_final), out,
                                             sizeof out, &n),
                         MP_NEED_MORE);
        expect_out(out, n, v->server_final);
        assert_int_equal(mp_sasl_server_step(&s, "", 0, out, sizeof out, &n), MP_DONE);
    }
}

static void test_server_rfc5802(void **st)
{
    (void)st;
    server_vector(&rfc5802, 0);
    server_vector(&rfc5802, MP_SASL_SERVER_SUCCESS_DATA);
}

static void test_server_rfc7677(void **st)
{
    (void)st;
    server_vector(&rfc7677, 0);
    server_vector(&rfc7677, MP_SASL_SERVER_SUCCESS_DATA);
}

/* Run the RFC 5802 server up to server-first, then feed `final`. */
static mp_status server_final_with(const char *first, const char *final, int known)
{
    static mp_sasl_server s;
    mp_crypto_provider cp = provider();
    mp_sasl_server_config cfg;
    uint8_t salt[16], sk[20], svk[20];
    size_t saltlen, n;
    char out[MP_SASL_MAX_MESSAGE];
    mp_status st;

    memset(&cfg, 0, sizeof cfg);
    cfg.scram_nonce = MP_SLICE_LIT("3rfcNHYJY1ZVvWVs7j");
    assert_int_equal(mp_base64_decode(S("QSXCR+Q6sek8bf92"), salt, sizeof salt, &saltlen), MP_OK);
    assert_int_equal(mp_sasl_scram_derive(MP_SASL_SCRAM_SHA_1, &cp, "pencil", 6, salt, saltlen,
                                          4096, sk, svk, NULL),
                     MP_OK);
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_SCRAM_SHA_1, &cp, &cfg), MP_OK);
    st = mp_sasl_server_step(&s, first, strlen(first), out, sizeof out, &n);
    if (st != MP_PAUSED) return st;
    if (known)
        assert_int_equal(mp_sasl_server_set_scram(&s, salt, saltlen, 4096, sk, svk), MP_OK);
    else
        assert_int_equal(mp_sasl_server_verify(&s, 0), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, out, sizeof out, &n), MP_NEED_MORE);
    if (known && strcmp(first, rfc5802.client_first) == 0) expect_out(out, n, rfc5802.server_first);
    return mp_sasl_server_step(&s, final, strlen(final), out, sizeof out, &n);
}

static void test_server_failures(void **st)
{
    const char *first = rfc5802.client_first;
    (void)st;
    assert_int_equal(server_final_with(first, rfc5802.client_final, 1), MP_NEED_MORE);
    /* Unknown user: same shape, fails at the end. */
    assert_int_equal(server_final_with(first, rfc5802.client_final, 0), MP_ERR_SASL_AUTH_FAILED);
    /* Wrong proof (wrong password). */
    assert_int_equal(server_final_with(first,
                                       "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                                       "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Tt=", 1),
                     MP_ERR_SASL_MESSAGE); /* non-canonical base64 */
    assert_int_equal(server_final_with(first,
                                       "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                                       "p=w0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", 1),
                     MP_ERR_SASL_AUTH_FAILED);
    /* Nonce not ours / truncated. */
    assert_int_equal(server_final_with(first,
                                       "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7X,"
                                       "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", 1),
                     MP_ERR_SASL_NONCE);
    assert_int_equal(server_final_with(first,
                                       "c=biws,r=fyko+d2lbbFgONRv9qkxdawL,"
                                       "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", 1),
                     MP_ERR_SASL_NONCE);
    /* Channel binding data not the gs2 header ("y,," instead of "n,,"). */
    assert_int_equal(server_final_with(first,
                                       "c=eSws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                                       "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", 1),
                     MP_ERR_SASL_CHANNEL_BINDING);
    /* Missing proof, proof not last, missing c=. */
    assert_int_equal(server_final_with(first, "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j", 1),
                     MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_final_with(first,
                                       "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                                       "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=,x=1", 1),
                     MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_final_with(first, "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,"
                                              "p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=", 1),
                     MP_ERR_SASL_MESSAGE);

    /* Malformed client-first messages. */
    assert_int_equal(server_final_with("", "", 1), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_final_with("n,,", "", 1), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_final_with("x,,n=user,r=abc", "", 1), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_final_with("n,,n=user", "", 1), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_final_with("n,,n=user,r=", "", 1), MP_ERR_SASL_NONCE);
    assert_int_equal(server_final_with("n,,n=,r=abc", "", 1), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_final_with("n,,m=ext,n=user,r=abc", "", 1), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_final_with("n,,n=us=2Xer,r=abc", "", 1), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_final_with("n,,n=user,r=abc,", "", 1), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_final_with("n,,n=user,r=a\x7f" "c", "", 1), MP_ERR_SASL_NONCE);
    assert_int_equal(server_final_with("p=tls-unique,,n=user,r=abc", "", 1),
                     MP_ERR_SASL_CHANNEL_BINDING);
    assert_int_equal(server_final_with("n,b=x,n=user,r=abc", "", 1), MP_ERR_SASL_MESSAGE);
    /* Extensions after the nonce are allowed (then the empty final fails). */
    assert_int_equal(server_final_with("n,,n=user,r=abc,x=ext", "", 1), MP_ERR_SASL_MESSAGE);
}

/* Escaped names both ways: "=2C" / "=3D" in the wire form, raw in the
 * struct, and an authzid in the gs2 header. */
static void test_saslname_escaping(void **st)
{
    static mp_sasl_client c;
    static mp_sasl_server s;
    mp_crypto_provider cp = provider();
    mp_sasl_credentials cr = user_pencil();
    char out[MP_SASL_MAX_MESSAGE];
    size_t n;
    (void)st;
    cr.username = MP_SLICE_LIT("a,b=c");
    cr.authzid = MP_SLICE_LIT("admin=1,x");
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_SCRAM_SHA_256, &cr, &cp), MP_OK);
    assert_int_equal(mp_sasl_client_set_nonce(&c, S("NONCE")), MP_OK);
    assert_int_equal(mp_sasl_client_initial(&c, out, sizeof out, &n), MP_NEED_MORE);
    expect_out(out, n, "n,a=admin=3D1=2Cx,n=a=2Cb=3Dc,r=NONCE");
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_SCRAM_SHA_256, &cp, NULL), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, out, n, out, sizeof out, &n), MP_PAUSED);
    assert_int_equal(s.authcid.len, 5);
    assert_memory_equal(s.authcid.ptr, "a,b=c", 5);
    assert_int_equal(s.authzid.len, 9);
    assert_memory_equal(s.authzid.ptr, "admin=1,x", 9);
}

/* Malformed server-first messages seen by the client. */
static mp_status client_first_with(const char *server_first)
{
    static mp_sasl_client c;
    mp_crypto_provider cp = provider();
    mp_sasl_credentials cr = user_pencil();
    char out[MP_SASL_MAX_MESSAGE];
    size_t n;
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_SCRAM_SHA_1, &cr, &cp), MP_OK);
    assert_int_equal(mp_sasl_client_set_nonce(&c, S("fyko+d2lbbFgONRv9qkxdawL")), MP_OK);
    assert_int_equal(mp_sasl_client_initial(&c, out, sizeof out, &n), MP_NEED_MORE);
    return mp_sasl_client_step(&c, server_first, strlen(server_first), out, sizeof out, &n);
}

static void test_client_failures(void **st)
{
    (void)st;
    assert_int_equal(client_first_with(rfc5802.server_first), MP_NEED_MORE);
    /* Nonce does not extend ours / equals ours / has a bad character. */
    assert_int_equal(client_first_with("r=Xyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096"),
                     MP_ERR_SASL_NONCE);
    assert_int_equal(client_first_with("r=fyko+d2lbbFgONRv9qkxdawL,s=QSXCR+Q6sek8bf92,i=4096"),
                     MP_ERR_SASL_NONCE);
    assert_int_equal(client_first_with("r=fyko+d2lbbFgONRv9qkxdawL3 c,s=QSXCR+Q6sek8bf92,i=4096"),
                     MP_ERR_SASL_NONCE);
    /* Iterations: below the minimum, above the maximum, not a number. */
    assert_int_equal(client_first_with("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=1"),
                     MP_ERR_SASL_ITERATIONS);
    assert_int_equal(client_first_with("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=99999999999"),
                     MP_ERR_SASL_ITERATIONS);
    assert_int_equal(client_first_with("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4k"),
                     MP_ERR_SASL_MESSAGE);
    assert_int_equal(client_first_with("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=04096"),
                     MP_ERR_SASL_MESSAGE);
    /* Salt: bad base64, missing, empty. */
    assert_int_equal(client_first_with("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf9,i=4096"),
                     MP_ERR_SASL_MESSAGE);
    assert_int_equal(client_first_with("r=fyko+d2lbbFgONRv9qkxdawL3rfc,i=4096"), MP_ERR_SASL_MESSAGE);
    assert_int_equal(client_first_with("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=,i=4096"), MP_ERR_SASL_MESSAGE);
    /* Mandatory extension, missing fields, trailing comma, junk. */
    assert_int_equal(client_first_with("m=x,r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096"),
                     MP_ERR_SASL_MESSAGE);
    assert_int_equal(client_first_with("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92"),
                     MP_ERR_SASL_MESSAGE);
    assert_int_equal(client_first_with("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096,"),
                     MP_ERR_SASL_MESSAGE);
    assert_int_equal(client_first_with(""), MP_ERR_SASL_MESSAGE);
    assert_int_equal(client_first_with("e=other-error"), MP_ERR_SASL_MESSAGE);
    /* Extensions after i= are ignored. */
    assert_int_equal(client_first_with("r=fyko+d2lbbFgONRv9qkxdawL3rfc,s=QSXCR+Q6sek8bf92,i=4096,x=1"),
                     MP_NEED_MORE);
}

static void test_server_error_final(void **st)
{
    static mp_sasl_client c;
    mp_crypto_provider cp = provider();
    mp_sasl_credentials cr = user_pencil();
    char out[MP_SASL_MAX_MESSAGE];
    size_t n;
    (void)st;
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_SCRAM_SHA_1, &cr, &cp), MP_OK);
    assert_int_equal(mp_sasl_client_set_nonce(&c, S("fyko+d2lbbFgONRv9qkxdawL")), MP_OK);
    /* Without SASL-IR: the empty challenge gives client-first. */
    assert_int_equal(mp_sasl_client_step(&c, "", 0, out, sizeof out, &n), MP_NEED_MORE);
    expect_out(out, n, rfc5802.client_first);
    assert_int_equal(mp_sasl_client_step(&c, rfc5802.server_first, strlen(rfc5802.server_first),
                                         out, sizeof out, &n),
                     MP_NEED_MORE);
    assert_int_equal(mp_sasl_client_step(&c, S("e=invalid-proof"), out, sizeof out, &n),
                     MP_ERR_SASL_AUTH_FAILED);
}

static void test_derive_args(void **st)
{
    mp_crypto_provider cp = provider();
    mp_crypto_provider none = { NULL, NULL, NULL, NULL, NULL };
    uint8_t a[32], b[32], sp[32];
    static const uint8_t big[MP_SASL_MAX_SALT + 1];
    (void)st;
    assert_int_equal(mp_sasl_scram_derive(MP_SASL_PLAIN, &cp, "p", 1, "s", 1, 1, a, b, NULL),
                     MP_ERR_SASL_MECH);
    assert_int_equal(mp_sasl_scram_derive(MP_SASL_SCRAM_SHA_1, &none, "p", 1, "s", 1, 1, a, b, NULL),
                     MP_ERR_UNSUPPORTED);
    assert_int_equal(mp_sasl_scram_derive(MP_SASL_SCRAM_SHA_1, &cp, "p", 1, "s", 1, 0, a, b, NULL),
                     MP_ERR_ARG);
    assert_int_equal(mp_sasl_scram_derive(MP_SASL_SCRAM_SHA_1, &cp, "p", 1, big, sizeof big, 1, a,
                                          b, NULL),
                     MP_ERR_SASL_TOO_LONG);
    assert_int_equal(mp_sasl_scram_derive(MP_SASL_SCRAM_SHA_256, &cp, "p", 1, "s", 1, 2, a, b, sp),
                     MP_OK);
}

/* Every SCRAM limit has its own status: names, nonces, salts. */
static void test_limits(void **st)
{
    static mp_sasl_server s;
    static mp_sasl_client c;
    static char msg[MP_SASL_MAX_MESSAGE];
    static char name[MP_SASL_MAX_NAME + 2];
    mp_crypto_provider cp = provider();
    mp_sasl_credentials cr = user_pencil();
    char out[MP_SASL_MAX_MESSAGE];
    size_t n;
    int len;
    (void)st;
    /* Server: a user name above MP_SASL_MAX_NAME (after unescaping). */
    memset(name, 'u', sizeof name - 1);
    name[sizeof name - 1] = 0;
    len = snprintf(msg, sizeof msg, "n,,n=%s,r=abc", name);
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_SCRAM_SHA_1, &cp, NULL), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, msg, (size_t)len, out, sizeof out, &n), MP_ERR_SASL_TOO_LONG);
    assert_string_equal(s.err.rule, "MP_SASL_MAX_NAME");
    /* ... exactly MP_SASL_MAX_NAME is fine, even escaped (3 bytes each). */
    {
        static char esc[3 * MP_SASL_MAX_NAME + 1];
        size_t i;
        for (i = 0; i < MP_SASL_MAX_NAME; i++) memcpy(esc + 3 * i, "=2C", 3);
        esc[3 * MP_SASL_MAX_NAME] = 0;
        len = snprintf(msg, sizeof msg, "n,,n=%s,r=abc", esc);
        assert_int_equal(mp_sasl_server_start(&s, MP_SASL_SCRAM_SHA_1, &cp, NULL), MP_OK);
        assert_int_equal(mp_sasl_server_step(&s, msg, (size_t)len, out, sizeof out, &n), MP_PAUSED);
        assert_int_equal(s.authcid.len, MP_SASL_MAX_NAME);
    }
    /* Server: a client nonce above MP_SASL_MAX_NONCE. */
    memset(name, 'r', MP_SASL_MAX_NONCE + 1);
    name[MP_SASL_MAX_NONCE + 1] = 0;
    len = snprintf(msg, sizeof msg, "n,,n=user,r=%s", name);
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_SCRAM_SHA_1, &cp, NULL), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, msg, (size_t)len, out, sizeof out, &n), MP_ERR_SASL_TOO_LONG);
    assert_string_equal(s.err.rule, "MP_SASL_MAX_NONCE");
    /* Client: a server nonce part above MP_SASL_MAX_NONCE, a salt above
     * MP_SASL_MAX_SALT. */
    len = snprintf(msg, sizeof msg, "r=fyko+d2lbbFgONRv9qkxdawL%s,s=QSXCR+Q6sek8bf92,i=4096", name);
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_SCRAM_SHA_1, &cr, &cp), MP_OK);
    assert_int_equal(mp_sasl_client_set_nonce(&c, S("fyko+d2lbbFgONRv9qkxdawL")), MP_OK);
    assert_int_equal(mp_sasl_client_initial(&c, out, sizeof out, &n), MP_NEED_MORE);
    assert_int_equal(mp_sasl_client_step(&c, msg, (size_t)len, out, sizeof out, &n), MP_ERR_SASL_TOO_LONG);
    {
        static uint8_t salt[MP_SASL_MAX_SALT + 1];
        char b64[MP_BASE64_ENCODED_LEN(MP_SASL_MAX_SALT + 1) + 1];
        size_t bn;
        assert_int_equal(mp_base64_encode(salt, sizeof salt, b64, sizeof b64, &bn), MP_OK);
        b64[bn] = 0;
        len = snprintf(msg, sizeof msg, "r=fyko+d2lbbFgONRv9qkxdawLx,s=%s,i=4096", b64);
        assert_int_equal(mp_sasl_client_start(&c, MP_SASL_SCRAM_SHA_1, &cr, &cp), MP_OK);
        assert_int_equal(mp_sasl_client_set_nonce(&c, S("fyko+d2lbbFgONRv9qkxdawL")), MP_OK);
        assert_int_equal(mp_sasl_client_initial(&c, out, sizeof out, &n), MP_NEED_MORE);
        assert_int_equal(mp_sasl_client_step(&c, msg, (size_t)len, out, sizeof out, &n),
                         MP_ERR_SASL_TOO_LONG);
        assert_string_equal(c.err.rule, "MP_SASL_MAX_SALT");
        /* and the host's salt */
        assert_int_equal(mp_sasl_server_start(&s, MP_SASL_SCRAM_SHA_1, &cp, NULL), MP_OK);
        assert_int_equal(mp_sasl_server_step(&s, S("n,,n=u,r=abc"), out, sizeof out, &n), MP_PAUSED);
        assert_int_equal(mp_sasl_server_set_scram(&s, salt, sizeof salt, 4096, salt, salt),
                         MP_ERR_SASL_TOO_LONG);
        assert_int_equal(mp_sasl_server_set_scram(&s, salt, 0, 4096, salt, salt), MP_ERR_ARG);
        assert_int_equal(mp_sasl_server_set_scram(&s, salt, 4, 0, salt, salt), MP_ERR_ARG);
    }
    /* Messages above MP_SASL_MAX_MESSAGE, both sides. */
    {
        static char big[MP_SASL_MAX_MESSAGE + 1];
        memset(big, 'a', sizeof big);
        assert_int_equal(mp_sasl_client_start(&c, MP_SASL_SCRAM_SHA_1, &cr, &cp), MP_OK);
        assert_int_equal(mp_sasl_client_initial(&c, out, sizeof out, &n), MP_NEED_MORE);
        assert_int_equal(mp_sasl_client_step(&c, big, sizeof big, out, sizeof out, &n), MP_ERR_SASL_TOO_LONG);
        assert_int_equal(mp_sasl_server_start(&s, MP_SASL_SCRAM_SHA_1, &cp, NULL), MP_OK);
        assert_int_equal(mp_sasl_server_step(&s, big, sizeof big, out, sizeof out, &n), MP_ERR_SASL_TOO_LONG);
    }
}

/* Unknown users get a made-up salt: with scram_fake_secret it is stable
 * across attempts and differs per name, and the iteration count is the
 * host's, so that a prober cannot tell real accounts from absent ones. */
static void fake_salt_for(const char *first, unsigned iters, char *sf, size_t cap)
{
    static mp_sasl_server s;
    mp_crypto_provider cp = provider();
    mp_sasl_server_config cfg;
    size_t n;
    memset(&cfg, 0, sizeof cfg);
    cfg.scram_nonce = MP_SLICE_LIT("SNONCE");
    cfg.scram_fake_secret = MP_SLICE_LIT("host secret");
    cfg.scram_fake_iterations = iters;
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_SCRAM_SHA_256, &cp, &cfg), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, first, strlen(first), sf, cap, &n), MP_PAUSED);
    assert_int_equal(mp_sasl_server_set_secret(&s, "x", 1), MP_ERR_STATE);
    assert_int_equal(mp_sasl_server_verify(&s, 1), MP_ERR_STATE);
    assert_int_equal(mp_sasl_server_verify(&s, 0), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, sf, cap - 1, &n), MP_NEED_MORE);
    sf[n] = 0;
}

static void test_unknown_user(void **st)
{
    char a[256], b[256], c[256];
    (void)st;
    fake_salt_for("n,,n=ghost,r=abc", 10000, a, sizeof a);
    fake_salt_for("n,,n=ghost,r=abc", 10000, b, sizeof b);
    fake_salt_for("n,,n=other,r=abc", 10000, c, sizeof c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_non_null(strstr(a, ",i=10000"));
    assert_int_equal(strncmp(a, "r=abcSNONCE,s=", 14), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_rfc5802),
        cmocka_unit_test(test_client_rfc7677),
        cmocka_unit_test(test_server_rfc5802),
        cmocka_unit_test(test_server_rfc7677),
        cmocka_unit_test(test_server_failures),
        cmocka_unit_test(test_saslname_escaping),
        cmocka_unit_test(test_client_failures),
        cmocka_unit_test(test_server_error_final),
        cmocka_unit_test(test_derive_args),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_unknown_user),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
