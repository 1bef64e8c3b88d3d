/* SHA-256 (FIPS 180-4), HMAC-SHA-256 (RFC 4231), PBKDF2-HMAC-SHA256 vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/crypto.h"

static void hex(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

static void check_hex(const uint8_t *got, const char *want)
{
    size_t n = strlen(want) / 2;
    uint8_t w[128];
    assert_true(n <= sizeof w);
    hex(want, w, n);
    assert_memory_equal(got, w, n);
}

static void test_sha256_class(void **state)
{
    (void)state;
    assert_string_equal(mp_sha256_builtin.name, "SHA-256");
    assert_int_equal(mp_sha256_builtin.block_size, 64);
    assert_int_equal(mp_sha256_builtin.digest_size, 32);
    assert_true(mp_sha256_builtin.context_size <= MP_HASH_CTX_MAX);
}

static void test_sha256_vectors(void **state)
{
    uint8_t d[32];
    (void)state;
    mp_hash(&mp_sha256_builtin, "abc", 3, d);
    check_hex(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    mp_hash(&mp_sha256_builtin, "", 0, d);
    check_hex(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    mp_hash(&mp_sha256_builtin, m448, strlen(m448), d);
    check_hex(d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_sha256_million_a(void **state)
{
    static const size_t sizes[] = {1, 63, 7, 64, 65, 129, 3, 1000, 31};
    uint8_t buf[1000];
    uint8_t d[32];
    mp_hash_ctx ctx;
    size_t left = 1000000, k = 0;
    (void)state;
    memset(buf, 'a', sizeof buf);
    mp_sha256_builtin.init(&ctx);
    while (left > 0) {
        size_t n = sizes[k++ % (sizeof sizes / sizeof sizes[0])];
        if (n > left) n = left;
        mp_sha256_builtin.update(&ctx, buf, n);
        left -= n;
    }
    mp_sha256_builtin.final(&ctx, d);
    check_hex(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_hmac_rfc4231(void **state)
{
    uint8_t key[131], data[152], d[32];
    (void)state;

    /* Case 1 */
    memset(key, 0x0b, 20);
    mp_hmac(&mp_sha256_builtin, key, 20, "Hi There", 8, d);
    check_hex(d, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    /* Case 2 */
    mp_hmac(&mp_sha256_builtin, "Jefe", 4, "what do ya want for nothing?", 28, d);
    check_hex(d, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* Case 3 */
    memset(key, 0xaa, 20);
    memset(data, 0xdd, 50);
    mp_hmac(&mp_sha256_builtin, key, 20, data, 50, d);
    check_hex(d, "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    /* Case 4 */
    for (int i = 0; i < 25; i++) key[i] = (uint8_t)(i + 1);
    memset(data, 0xcd, 50);
    mp_hmac(&mp_sha256_builtin, key, 25, data, 50, d);
    check_hex(d, "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    /* Case 5 (truncated to 128 bits) */
    memset(key, 0x0c, 20);
    mp_hmac(&mp_sha256_builtin, key, 20, "Test With Truncation", 20, d);
    check_hex(d, "a3b6167473100ee06e0c796c2955552b");
    /* Case 6 */
    memset(key, 0xaa, 131);
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    mp_hmac(&mp_sha256_builtin, key, 131, m6, strlen(m6), d);
    check_hex(d, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    /* Case 7, fed in pieces */
    const char *m7 = "This is a test using a larger than block-size key and a larger than "
                     "block-size data. The key needs to be hashed before being used by the "
                     "HMAC algorithm.";
    mp_hmac_ctx h;
    mp_hmac_init(&h, &mp_sha256_builtin, key, 131);
    mp_hmac_update(&h, m7, 10);
    mp_hmac_update(&h, m7 + 10, 0);
    mp_hmac_update(&h, m7 + 10, strlen(m7) - 10);
    mp_hmac_final(&h, d);
    check_hex(d, "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

static void test_pbkdf2(void **state)
{
    uint8_t d[40];
    (void)state;
    assert_int_equal(mp_pbkdf2_hmac(&mp_sha256_builtin, "password", 8, "salt", 4, 1, d, 32),
                     MP_OK);
    check_hex(d, "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b");
    assert_int_equal(mp_pbkdf2_hmac(&mp_sha256_builtin, "password", 8, "salt", 4, 2, d, 32),
                     MP_OK);
    check_hex(d, "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43");
    assert_int_equal(mp_pbkdf2_hmac(&mp_sha256_builtin, "password", 8, "salt", 4, 4096, d, 32),
                     MP_OK);
    check_hex(d, "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a");
    /* Multi-block output (40 bytes, second block partial). */
    assert_int_equal(mp_pbkdf2_hmac(&mp_sha256_builtin, "passwordPASSWORDpassword", 24,
                                    "saltSALTsaltSALTsaltSALTsaltSALTsalt", 36, 4096, d, 40),
                     MP_OK);
    check_hex(d, "348c89dbcbd32b2f32d814b8116e84cf2b17347ebc1800181c4e2a1fb8dd53e1c635518c7dac47e9");
    /* Short output is a prefix. */
    uint8_t s[5];
    assert_int_equal(mp_pbkdf2_hmac(&mp_sha256_builtin, "password", 8, "salt", 4, 1, s, 5),
                     MP_OK);
    check_hex(s, "120fb6cffc");
}

static void test_pbkdf2_args(void **state)
{
    uint8_t d[32];
    (void)state;
    assert_int_equal(mp_pbkdf2_hmac(&mp_sha256_builtin, "p", 1, "s", 1, 0, d, 32), MP_ERR_ARG);
    assert_int_equal(mp_pbkdf2_hmac(&mp_sha256_builtin, "p", 1, "s", 1, 1, d, 0), MP_ERR_ARG);
}

static void test_ct_equal_wipe(void **state)
{
    uint8_t a[16], b[16];
    (void)state;
    for (int i = 0; i < 16; i++) a[i] = b[i] = (uint8_t)(i * 17);
    assert_int_equal(mp_ct_equal(a, b, 16), 1);
    assert_int_equal(mp_ct_equal(a, b, 0), 1);
    for (int i = 0; i < 16; i++) {
        for (unsigned bit = 0; bit < 8; bit++) {
            b[i] = (uint8_t)(b[i] ^ (1u << bit));
            assert_int_equal(mp_ct_equal(a, b, 16), 0);
            b[i] = (uint8_t)(b[i] ^ (1u << bit));
        }
    }
    b[15] = 0xff;
    a[15] = 0x00;
    assert_int_equal(mp_ct_equal(a, b, 16), 0);
    assert_int_equal(mp_ct_equal(a, b, 15), 1);
    mp_wipe(a, sizeof a);
    for (int i = 0; i < 16; i++) assert_int_equal(a[i], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256_class),   cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_sha256_million_a), cmocka_unit_test(test_hmac_rfc4231),
        cmocka_unit_test(test_pbkdf2),         cmocka_unit_test(test_pbkdf2_args),
        cmocka_unit_test(test_ct_equal_wipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
