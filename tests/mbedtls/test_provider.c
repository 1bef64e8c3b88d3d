/*
 * The mbedTLS crypto provider: the official vectors the built-in provider
 * is tested with (RFC 1321, FIPS 180-4, RFC 2202, RFC 4231, RFC 6070),
 * driven only through mp_hash_class / mp_hmac_* / mp_pbkdf2_hmac, and
 * agreement with the built-in provider on pseudo-random inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/mbedtls.h"

static void unhex(const char *h, uint8_t *out)
{
    size_t i;
    for (i = 0; h[2 * i]; i++) {
        unsigned hi = (unsigned)(h[2 * i] <= '9' ? h[2 * i] - '0' : h[2 * i] - 'a' + 10);
        unsigned lo =
            (unsigned)(h[2 * i + 1] <= '9' ? h[2 * i + 1] - '0' : h[2 * i + 1] - 'a' + 10);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
}

/* Hash `msg` whole, and byte by byte, through the vtable; both must give
 * `want_hex`. */
static void check_hash(const mp_hash_class *hc, const void *msg, size_t n, const char *want_hex)
{
    uint8_t want[MP_HASH_MAX_DIGEST], got[MP_HASH_MAX_DIGEST];
    mp_hash_ctx ctx;
    size_t i;

    assert_int_equal(strlen(want_hex), 2 * hc->digest_size);
    unhex(want_hex, want);
    mp_hash(hc, msg, n, got);
    assert_memory_equal(got, want, hc->digest_size);
    hc->init(&ctx);
    hc->update(&ctx, msg, 0);
    for (i = 0; i < n; i++)
        hc->update(&ctx, (const uint8_t *)msg + i, 1);
    hc->final(&ctx, got);
    assert_memory_equal(got, want, hc->digest_size);
}
#define CHECK_HASH(hc, lit, hex) check_hash((hc), (lit), sizeof(lit) - 1, (hex))

static void test_classes(void **s)
{
    mp_crypto_provider p = mp_crypto_mbedtls(NULL);
    (void)s;
    assert_ptr_equal(p.md5, &mp_md5_mbedtls);
    assert_ptr_equal(p.sha1, &mp_sha1_mbedtls);
    assert_ptr_equal(p.sha256, &mp_sha256_mbedtls);
    assert_null(p.random);
    assert_null(p.random_user);
    /* Same names and sizes as the built-in classes: mechanisms may pick
     * either provider. */
    assert_string_equal(mp_md5_mbedtls.name, mp_md5_builtin.name);
    assert_string_equal(mp_sha1_mbedtls.name, mp_sha1_builtin.name);
    assert_string_equal(mp_sha256_mbedtls.name, mp_sha256_builtin.name);
    assert_int_equal(mp_md5_mbedtls.digest_size, 16);
    assert_int_equal(mp_sha1_mbedtls.digest_size, 20);
    assert_int_equal(mp_sha256_mbedtls.digest_size, 32);
    assert_int_equal(mp_md5_mbedtls.block_size, 64);
    assert_int_equal(mp_sha1_mbedtls.block_size, 64);
    assert_int_equal(mp_sha256_mbedtls.block_size, 64);
    assert_true(mp_md5_mbedtls.context_size > 0 && mp_md5_mbedtls.context_size <= MP_HASH_CTX_MAX);
    assert_true(mp_sha1_mbedtls.context_size > 0 && mp_sha1_mbedtls.context_size <= MP_HASH_CTX_MAX);
    assert_true(mp_sha256_mbedtls.context_size > 0 &&
                mp_sha256_mbedtls.context_size <= MP_HASH_CTX_MAX);
}

static void test_md5_rfc1321(void **s)
{
    (void)s;
    CHECK_HASH(&mp_md5_mbedtls, "", "d41d8cd98f00b204e9800998ecf8427e");
    CHECK_HASH(&mp_md5_mbedtls, "a", "0cc175b9c0f1b6a831c399e269772661");
    CHECK_HASH(&mp_md5_mbedtls, "abc", "900150983cd24fb0d6963f7d28e17f72");
    CHECK_HASH(&mp_md5_mbedtls, "message digest", "f96b697d7cb7938d525a2f31aaf161d0");
    CHECK_HASH(&mp_md5_mbedtls, "abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b");
    CHECK_HASH(&mp_md5_mbedtls,
               "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
               "d174ab98d277d9f5a5611c2c9f419d9f");
    CHECK_HASH(&mp_md5_mbedtls,
               "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
               "57edf4a22be3c955ac49da2e2107b67a");
}

static void test_sha1_fips180(void **s)
{
    (void)s;
    CHECK_HASH(&mp_sha1_mbedtls, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK_HASH(&mp_sha1_mbedtls, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
               "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    CHECK_HASH(&mp_sha1_mbedtls, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709");
}

static void test_sha256_fips180(void **s)
{
    (void)s;
    CHECK_HASH(&mp_sha256_mbedtls, "abc",
               "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK_HASH(&mp_sha256_mbedtls, "",
               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK_HASH(&mp_sha256_mbedtls, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
               "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* One million 'a' (FIPS 180-4 / RFC 1321 test suites) in odd pieces. */
static void test_million_a(void **s)
{
    static const size_t pieces[] = { 1, 63, 7, 64, 65, 129, 3, 1000, 31 };
    static const struct {
        const mp_hash_class *hc;
        const char *hex;
    } cases[] = {
        { &mp_md5_mbedtls, "7707d6ae4e027c70eea2a935c2296f21" },
        { &mp_sha1_mbedtls, "34aa973cd4c4daa4f61eeb2bdbad27316534016f" },
        { &mp_sha256_mbedtls, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0" },
    };
    uint8_t buf[1000], got[MP_HASH_MAX_DIGEST], want[MP_HASH_MAX_DIGEST];
    size_t c;
    (void)s;
    memset(buf, 'a', sizeof buf);
    for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        mp_hash_ctx ctx;
        size_t left = 1000000, k = 0;
        cases[c].hc->init(&ctx);
        while (left > 0) {
            size_t n = pieces[k++ % (sizeof pieces / sizeof pieces[0])];
            if (n > left) n = left;
            cases[c].hc->update(&ctx, buf, n);
            left -= n;
        }
        cases[c].hc->final(&ctx, got);
        unhex(cases[c].hex, want);
        assert_memory_equal(got, want, cases[c].hc->digest_size);
    }
}

static void check_hmac(const mp_hash_class *hc, const void *key, size_t klen, const void *msg,
                       size_t mlen, const char *want_hex)
{
    uint8_t got[MP_HASH_MAX_DIGEST], want[MP_HASH_MAX_DIGEST];
    size_t n = strlen(want_hex) / 2, i;
    mp_hmac_ctx h;

    unhex(want_hex, want);
    mp_hmac(hc, key, klen, msg, mlen, got);
    assert_memory_equal(got, want, n);
    mp_hmac_init(&h, hc, key, klen);
    for (i = 0; i < mlen; i++)
        mp_hmac_update(&h, (const uint8_t *)msg + i, 1);
    mp_hmac_final(&h, got);
    assert_memory_equal(got, want, n);
}

static void test_hmac_rfc2202(void **s)
{
    uint8_t k[80], d[50];
    (void)s;
    memset(k, 0x0b, 16);
    check_hmac(&mp_md5_mbedtls, k, 16, "Hi There", 8, "9294727a3638bb1c13f48ef8158bfc9d");
    check_hmac(&mp_md5_mbedtls, "Jefe", 4, "what do ya want for nothing?", 28,
               "750c783e6ab0b503eaa86e310a5db738");
    memset(k, 0xaa, 16);
    memset(d, 0xdd, 50);
    check_hmac(&mp_md5_mbedtls, k, 16, d, 50, "56be34521d144c88dbb8c733f0e8b3f6");
    memset(k, 0xaa, 80);
    check_hmac(&mp_md5_mbedtls, k, 80, "Test Using Larger Than Block-Size Key - Hash Key First",
               54, "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd");
    memset(k, 0x0b, 20);
    check_hmac(&mp_sha1_mbedtls, k, 20, "Hi There", 8, "b617318655057264e28bc0b6fb378c8ef146be00");
    check_hmac(&mp_sha1_mbedtls, "Jefe", 4, "what do ya want for nothing?", 28,
               "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    memset(k, 0xaa, 80);
    check_hmac(&mp_sha1_mbedtls, k, 80, "Test Using Larger Than Block-Size Key - Hash Key First",
               54, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

static void test_hmac_rfc4231(void **s)
{
    uint8_t k[131], d[50];
    int i;
    (void)s;
    memset(k, 0x0b, 20);
    check_hmac(&mp_sha256_mbedtls, k, 20, "Hi There", 8,
               "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    check_hmac(&mp_sha256_mbedtls, "Jefe", 4, "what do ya want for nothing?", 28,
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(k, 0xaa, 20);
    memset(d, 0xdd, 50);
    check_hmac(&mp_sha256_mbedtls, k, 20, d, 50,
               "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    for (i = 0; i < 25; i++) k[i] = (uint8_t)(i + 1);
    memset(d, 0xcd, 50);
    check_hmac(&mp_sha256_mbedtls, k, 25, d, 50,
               "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    memset(k, 0x0c, 20);
    check_hmac(&mp_sha256_mbedtls, k, 20, "Test With Truncation", 20,
               "a3b6167473100ee06e0c796c2955552b");
    memset(k, 0xaa, 131);
    check_hmac(&mp_sha256_mbedtls, k, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
               54, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    {
        static const char m7[] =
            "This is a test using a larger than block-size key and a larger than "
            "block-size data. The key needs to be hashed before being used by the "
            "HMAC algorithm.";
        check_hmac(&mp_sha256_mbedtls, k, 131, m7, sizeof m7 - 1,
                   "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
    }
}

static void check_pbkdf2(const mp_hash_class *hc, const char *pw, const char *salt, uint32_t c,
                         size_t dklen, const char *want_hex)
{
    uint8_t got[64], want[64];
    unhex(want_hex, want);
    assert_int_equal(mp_pbkdf2_hmac(hc, pw, strlen(pw), salt, strlen(salt), c, got, dklen), MP_OK);
    assert_memory_equal(got, want, dklen);
}

static void test_pbkdf2_rfc6070(void **s)
{
    (void)s;
    check_pbkdf2(&mp_sha1_mbedtls, "password", "salt", 1, 20,
                 "0c60c80f961f0e71f3a9b524af6012062fe037a6");
    check_pbkdf2(&mp_sha1_mbedtls, "password", "salt", 2, 20,
                 "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957");
    check_pbkdf2(&mp_sha1_mbedtls, "password", "salt", 4096, 20,
                 "4b007901b765489abead49d926f721d065a429c1");
    check_pbkdf2(&mp_sha1_mbedtls, "passwordPASSWORDpassword",
                 "saltSALTsaltSALTsaltSALTsaltSALTsalt", 4096, 25,
                 "3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038");
    /* PBKDF2-HMAC-SHA256 (the values tests/crypto uses, from RFC 7914 §11's
     * companion set). */
    check_pbkdf2(&mp_sha256_mbedtls, "password", "salt", 4096, 32,
                 "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
}

/* xorshift64*: a fixed, portable pseudo-random sequence. */
static uint64_t rng_next(uint64_t *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545F4914F6CDD1DULL;
}

/* Agreement with the built-in provider: random lengths (0..300, around
 * every padding boundary), random contents, random update splits, plus
 * HMAC with random key lengths (shorter and longer than a block). */
static void test_agrees_with_builtin(void **s)
{
    static const mp_hash_class *const ours[3] = { &mp_md5_mbedtls, &mp_sha1_mbedtls,
                                                 &mp_sha256_mbedtls };
    static const mp_hash_class *const theirs[3] = { &mp_md5_builtin, &mp_sha1_builtin,
                                                   &mp_sha256_builtin };
    uint8_t msg[300], key[150], a[MP_HASH_MAX_DIGEST], b[MP_HASH_MAX_DIGEST];
    uint64_t x = 0x6d61696c70726f74ULL;
    int iter;
    (void)s;

    for (iter = 0; iter < 3000; iter++) {
        size_t h = (size_t)iter % 3, len = (size_t)(rng_next(&x) % sizeof msg), i, done;
        size_t klen = (size_t)(rng_next(&x) % sizeof key);
        mp_hash_ctx ctx;
        for (i = 0; i < len; i++) msg[i] = (uint8_t)rng_next(&x);
        for (i = 0; i < klen; i++) key[i] = (uint8_t)rng_next(&x);

        mp_hash(theirs[h], msg, len, a);
        ours[h]->init(&ctx);
        for (done = 0; done < len;) {
            size_t n = (size_t)(rng_next(&x) % 80) + 1;
            if (n > len - done) n = len - done;
            ours[h]->update(&ctx, msg + done, n);
            done += n;
        }
        ours[h]->final(&ctx, b);
        assert_memory_equal(a, b, ours[h]->digest_size);

        mp_hmac(theirs[h], key, klen, msg, len, a);
        mp_hmac(ours[h], key, klen, msg, len, b);
        assert_memory_equal(a, b, ours[h]->digest_size);
    }
}

static void test_random(void **s)
{
    mbedtls_entropy_context ent;
    mbedtls_ctr_drbg_context drbg;
    mp_crypto_provider p;
    uint8_t a[3000], b[3000];
    size_t i, same = 0;
    (void)s;

    mbedtls_entropy_init(&ent);
    mbedtls_ctr_drbg_init(&drbg);
    assert_int_equal(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent,
                                           (const unsigned char *)"t", 1),
                     0);
    p = mp_crypto_mbedtls(&drbg);
    assert_ptr_equal(p.random, mp_mbedtls_random);
    assert_ptr_equal(p.random_user, &drbg);
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    /* Longer than MBEDTLS_CTR_DRBG_MAX_REQUEST: served in pieces. */
    assert_int_equal(p.random(p.random_user, a, sizeof a), 0);
    assert_int_equal(p.random(p.random_user, b, sizeof b), 0);
    for (i = 0; i < sizeof a; i++) same += a[i] == b[i];
    assert_true(same < 100); /* ~12 expected */
    assert_true(a[sizeof a - 1] != 0 || a[sizeof a - 2] != 0 || a[sizeof a - 3] != 0);
    assert_int_equal(p.random(p.random_user, a, 0), 0);
    assert_int_not_equal(mp_mbedtls_random(NULL, a, 1), 0);
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&ent);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classes),        cmocka_unit_test(test_md5_rfc1321),
        cmocka_unit_test(test_sha1_fips180),   cmocka_unit_test(test_sha256_fips180),
        cmocka_unit_test(test_million_a),      cmocka_unit_test(test_hmac_rfc2202),
        cmocka_unit_test(test_hmac_rfc4231),   cmocka_unit_test(test_pbkdf2_rfc6070),
        cmocka_unit_test(test_agrees_with_builtin), cmocka_unit_test(test_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
