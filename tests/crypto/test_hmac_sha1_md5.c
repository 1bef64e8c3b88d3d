/* HMAC-MD5 and HMAC-SHA-1 (RFC 2202 cases 1-2) and PBKDF2-HMAC-SHA1
 * (RFC 6070), through the provider that mp_crypto_builtin() returns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/crypto.h"

static void unhex(const char *h, uint8_t *out)
{
    size_t i;
    for (i = 0; h[2 * i]; i++) {
        unsigned hi = (unsigned)(h[2 * i] <= '9' ? h[2 * i] - '0' : h[2 * i] - 'a' + 10);
        unsigned lo = (unsigned)(h[2 * i + 1] <= '9' ? h[2 * i + 1] - '0' : h[2 * i + 1] - 'a' + 10);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
}

static void check_hmac(const mp_hash_class *hc, const void *key, size_t klen, const char *msg,
                       const char *want_hex)
{
    uint8_t got[MP_HASH_MAX_DIGEST], want[MP_HASH_MAX_DIGEST];
    mp_hmac_ctx h;
    size_t i;
    unhex(want_hex, want);
    mp_hmac(hc, key, klen, msg, strlen(msg), got);
    assert_memory_equal(got, want, hc->digest_size);
    /* byte by byte */
    mp_hmac_init(&h, hc, key, klen);
    for (i = 0; msg[i]; i++)
        mp_hmac_update(&h, msg + i, 1);
    mp_hmac_final(&h, got);
    assert_memory_equal(got, want, hc->digest_size);
}

static void test_rfc2202(void **s)
{
    mp_crypto_provider p = mp_crypto_builtin(NULL, NULL);
    uint8_t k16[16], k20[20];
    (void)s;
    memset(k16, 0x0b, sizeof(k16));
    memset(k20, 0x0b, sizeof(k20));
    assert_non_null(p.md5);
    assert_non_null(p.sha1);
    assert_non_null(p.sha256);
    assert_null(p.random);
    check_hmac(p.md5, k16, 16, "Hi There", "9294727a3638bb1c13f48ef8158bfc9d");
    check_hmac(p.md5, "Jefe", 4, "what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738");
    check_hmac(p.sha1, k20, 20, "Hi There", "b617318655057264e28bc0b6fb378c8ef146be00");
    check_hmac(p.sha1, "Jefe", 4, "what do ya want for nothing?",
               "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

static void check_pbkdf2(const char *pw, const char *salt, uint32_t c, size_t dklen,
                         const char *want_hex)
{
    uint8_t got[64], want[64];
    unhex(want_hex, want);
    assert_int_equal(mp_pbkdf2_hmac(&mp_sha1_builtin, pw, strlen(pw), salt, strlen(salt), c, got,
                                    dklen),
                     MP_OK);
    assert_memory_equal(got, want, dklen);
}

static void test_rfc6070(void **s)
{
    (void)s;
    check_pbkdf2("password", "salt", 1, 20, "0c60c80f961f0e71f3a9b524af6012062fe037a6");
    check_pbkdf2("password", "salt", 2, 20, "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
    check_pbkdf2("password", "salt", 4096, 20, "4b007901b765489abead49d926f721d065a429c1");
    check_pbkdf2("passwordPASSWORDpassword", "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 25,
                 "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038");
}

static int fixed_random(void *user, uint8_t *out, size_t len)
{
    (void)user;
    memset(out, 0x5a, len);
    return 0;
}

static void test_provider_random(void **s)
{
    mp_crypto_provider p = mp_crypto_builtin(fixed_random, &p);
    uint8_t b[4] = { 0 };
    (void)s;
    assert_ptr_equal(p.random_user, &p);
    assert_int_equal(p.random(p.random_user, b, sizeof(b)), 0);
    assert_int_equal(b[3], 0x5a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc2202),
        cmocka_unit_test(test_rfc6070),
        cmocka_unit_test(test_provider_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
