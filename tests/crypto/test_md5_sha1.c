/*
 * MD5 (RFC 1321 A.5) and SHA-1 (FIPS 180-4 / RFC 3174) vectors for the
 * built-in hash classes, driven only through the mp_hash_class vtable.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/crypto.h"

typedef struct vec {
    const char *msg;
    const char *hex;
} vec;

static const vec md5_vecs[] = {
    {"", "d41d8cd98f00b204e9800998ecf8427e"},
    {"a", "0cc175b9c0f1b6a831c399e269772661"},
    {"abc", "900150983cd24fb0d6963f7d28e17f72"},
    {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
    {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
    {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
     "d174ab98d277d9f5a5611c2c9f419d9f"},
    {"1234567890123456789012345678901234567890123456789012345678901234567890"
     "1234567890",
     "57edf4a22be3c955ac49da2e2107b67a"},
};

static const vec sha1_vecs[] = {
    {"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"},
    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
     "84983e441c3bd26ebaae4aa1f95129e5e54670f1"},
    {"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
    {"The quick brown fox jumps over the lazy dog",
     "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"},
};

static void to_hex(const uint8_t *d, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[2 * n] = '\0';
}

static void hash_whole(const mp_hash_class *hc, const char *msg, char *hex)
{
    mp_hash_ctx ctx;
    uint8_t dig[MP_HASH_MAX_DIGEST];
    hc->init(&ctx);
    hc->update(&ctx, msg, strlen(msg));
    hc->final(&ctx, dig);
    to_hex(dig, hc->digest_size, hex);
}

static void hash_bytewise(const mp_hash_class *hc, const char *msg, char *hex)
{
    mp_hash_ctx ctx;
    uint8_t dig[MP_HASH_MAX_DIGEST];
    size_t n = strlen(msg);
    hc->init(&ctx);
    hc->update(&ctx, msg, 0); /* empty update is a no-op */
    for (size_t i = 0; i < n; i++)
        hc->update(&ctx, msg + i, 1);
    hc->final(&ctx, dig);
    to_hex(dig, hc->digest_size, hex);
}

static void test_class_params(void **state)
{
    (void)state;
    assert_string_equal(mp_md5_builtin.name, "MD5");
    assert_int_equal(mp_md5_builtin.block_size, 64);
    assert_int_equal(mp_md5_builtin.digest_size, 16);
    assert_true(mp_md5_builtin.context_size > 0);
    assert_true(mp_md5_builtin.context_size <= MP_HASH_CTX_MAX);
    assert_string_equal(mp_sha1_builtin.name, "SHA-1");
    assert_int_equal(mp_sha1_builtin.block_size, 64);
    assert_int_equal(mp_sha1_builtin.digest_size, 20);
    assert_true(mp_sha1_builtin.context_size > 0);
    assert_true(mp_sha1_builtin.context_size <= MP_HASH_CTX_MAX);
}

static void test_md5_rfc1321(void **state)
{
    char hex[2 * MP_HASH_MAX_DIGEST + 1];
    (void)state;
    for (size_t i = 0; i < sizeof md5_vecs / sizeof md5_vecs[0]; i++) {
        hash_whole(&mp_md5_builtin, md5_vecs[i].msg, hex);
        assert_string_equal(hex, md5_vecs[i].hex);
    }
}

static void test_md5_bytewise(void **state)
{
    char hex[2 * MP_HASH_MAX_DIGEST + 1];
    (void)state;
    for (size_t i = 0; i < sizeof md5_vecs / sizeof md5_vecs[0]; i++) {
        hash_bytewise(&mp_md5_builtin, md5_vecs[i].msg, hex);
        assert_string_equal(hex, md5_vecs[i].hex);
    }
}

static void test_sha1_vectors(void **state)
{
    char hex[2 * MP_HASH_MAX_DIGEST + 1];
    (void)state;
    for (size_t i = 0; i < sizeof sha1_vecs / sizeof sha1_vecs[0]; i++) {
        hash_whole(&mp_sha1_builtin, sha1_vecs[i].msg, hex);
        assert_string_equal(hex, sha1_vecs[i].hex);
    }
}

static void test_sha1_bytewise(void **state)
{
    char hex[2 * MP_HASH_MAX_DIGEST + 1];
    (void)state;
    for (size_t i = 0; i < sizeof sha1_vecs / sizeof sha1_vecs[0]; i++) {
        hash_bytewise(&mp_sha1_builtin, sha1_vecs[i].msg, hex);
        assert_string_equal(hex, sha1_vecs[i].hex);
    }
}

/* One million 'a', fed in pieces of odd, varying sizes. */
static void million_a(const mp_hash_class *hc, char *hex)
{
    static const size_t pieces[] = {1, 3, 63, 65, 127, 5, 7, 129, 31, 33, 997};
    char buf[1000];
    mp_hash_ctx ctx;
    uint8_t dig[MP_HASH_MAX_DIGEST];
    size_t left = 1000000, k = 0;

    memset(buf, 'a', sizeof buf);
    hc->init(&ctx);
    while (left > 0) {
        size_t n = pieces[k++ % (sizeof pieces / sizeof pieces[0])];
        if (n > left)
            n = left;
        hc->update(&ctx, buf, n);
        left -= n;
    }
    hc->final(&ctx, dig);
    to_hex(dig, hc->digest_size, hex);
}

static void test_sha1_million_a(void **state)
{
    char hex[2 * MP_HASH_MAX_DIGEST + 1];
    (void)state;
    million_a(&mp_sha1_builtin, hex);
    assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

static void test_md5_million_a(void **state)
{
    char hex[2 * MP_HASH_MAX_DIGEST + 1];
    (void)state;
    million_a(&mp_md5_builtin, hex);
    assert_string_equal(hex, "7707d6ae4e027c70eea2a935c2296f21");
}

/* Padding edge lengths 55, 56, 63, 64, 65: whole vs. byte-by-byte. */
static void test_padding_boundaries(void **state)
{
    static const size_t lens[] = {55, 56, 57, 63, 64, 65, 119, 120, 128};
    const mp_hash_class *hcs[2] = {&mp_md5_builtin, &mp_sha1_builtin};
    char msg[129];
    char h1[2 * MP_HASH_MAX_DIGEST + 1], h2[2 * MP_HASH_MAX_DIGEST + 1];
    (void)state;
    for (size_t j = 0; j < 2; j++) {
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
            memset(msg, 'x', lens[i]);
            msg[lens[i]] = '\0';
            hash_whole(hcs[j], msg, h1);
            hash_bytewise(hcs[j], msg, h2);
            assert_string_equal(h1, h2);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_class_params),
        cmocka_unit_test(test_md5_rfc1321),
        cmocka_unit_test(test_md5_bytewise),
        cmocka_unit_test(test_md5_million_a),
        cmocka_unit_test(test_sha1_vectors),
        cmocka_unit_test(test_sha1_bytewise),
        cmocka_unit_test(test_sha1_million_a),
        cmocka_unit_test(test_padding_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
