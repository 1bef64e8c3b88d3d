/* Tests for base64 (lib/core/base64.c), RFC 4648.  The streaming encoder
 * and decoder run through mp_split_check (tests/harness/split.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/core.h"
#include "split.h"

#define BUF 512

/* RFC 4648 §10 test vectors. */
static const struct {
    const char *plain;
    const char *enc;
} vec_[] = {
    { "", "" },
    { "f", "Zg==" },
    { "fo", "Zm8=" },
    { "foo", "Zm9v" },
    { "foob", "Zm9vYg==" },
    { "fooba", "Zm9vYmE=" },
    { "foobar", "Zm9vYmFy" },
};
#define NVEC (sizeof(vec_) / sizeof(vec_[0]))

/* A binary buffer covering every byte value, for round trips. */
static void fill_bin(uint8_t *b, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        b[i] = (uint8_t)((i * 37u + 11u) & 0xFFu);
}

static void test_encode_vectors(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < NVEC; i++) {
        char out[BUF];
        size_t len = 99, n = strlen(vec_[i].plain);
        assert_int_equal(mp_base64_encode(vec_[i].plain, n, out, sizeof(out), &len), MP_OK);
        assert_int_equal(len, strlen(vec_[i].enc));
        assert_int_equal(len, MP_BASE64_ENCODED_LEN(n));
        assert_memory_equal(out, vec_[i].enc, len);
    }
}

static void test_decode_vectors(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < NVEC; i++) {
        uint8_t out[BUF];
        size_t len = 99, n = strlen(vec_[i].enc);
        assert_int_equal(mp_base64_decode(vec_[i].enc, n, out, sizeof(out), &len), MP_OK);
        assert_int_equal(len, strlen(vec_[i].plain));
        assert_true(len <= MP_BASE64_DECODED_MAX(n));
        assert_memory_equal(out, vec_[i].plain, len);
        len = 99;
        assert_int_equal(mp_base64_decode_lenient(vec_[i].enc, n, out, sizeof(out), &len),
                         MP_OK);
        assert_int_equal(len, strlen(vec_[i].plain));
        assert_memory_equal(out, vec_[i].plain, len);
    }
}

static void test_roundtrip_all_bytes(void **state)
{
    uint8_t bin[256], back[256];
    char enc[BUF];
    size_t n;
    (void)state;
    fill_bin(bin, sizeof(bin));
    for (n = 0; n <= sizeof(bin); n++) {
        size_t elen = 0, dlen = 0;
        assert_int_equal(mp_base64_encode(bin, n, enc, sizeof(enc), &elen), MP_OK);
        assert_int_equal(mp_base64_decode(enc, elen, back, sizeof(back), &dlen), MP_OK);
        assert_int_equal(dlen, n);
        if (n > 0)
            assert_memory_equal(back, bin, n);
    }
}

/* Expect strict MP_ERR_BASE64 with the offending offset in *outlen. */
static void expect_strict_bad(const char *s, size_t off)
{
    uint8_t out[BUF];
    size_t len = 12345;
    assert_int_equal(mp_base64_decode(s, strlen(s), out, sizeof(out), &len), MP_ERR_BASE64);
    assert_int_equal(len, off);
}

static void test_strict_rejects(void **state)
{
    (void)state;
    expect_strict_bad("Zm9v!mFy", 4);     /* character outside the alphabet */
    expect_strict_bad("Zm9-", 3);         /* base64url is not base64 */
    expect_strict_bad("Zm9v\x80mFy", 4);  /* 8-bit byte */
    expect_strict_bad("Zm9v YmFy", 4);    /* space */
    expect_strict_bad("Zm9v\r\nYmFy", 4); /* CRLF */
    expect_strict_bad("Zm9v\tYmFy", 4);   /* tab */
    expect_strict_bad("Zg", 2);           /* missing padding */
    expect_strict_bad("Zm8", 3);          /* missing padding */
    expect_strict_bad("Zg=", 3);          /* incomplete padding */
    expect_strict_bad("Z", 1);            /* lone sextet */
    expect_strict_bad("Zh==", 3);         /* non-zero unused bits (4 bits) */
    expect_strict_bad("Zm9=", 3);         /* non-zero unused bits (2 bits) */
    expect_strict_bad("Zg==Zg==", 4);     /* data after padding */
    expect_strict_bad("Zm8=A", 4);        /* data after padding */
    expect_strict_bad("Zg===", 4);        /* too much padding */
    expect_strict_bad("Z=", 1);           /* padding after one sextet */
    expect_strict_bad("=", 0);            /* padding at a group start */
    expect_strict_bad("Zm9v====", 4);     /* padding at a group start */
    expect_strict_bad("Zg=A", 3);         /* data inside the padding */
}

static void test_lenient_accepts(void **state)
{
    uint8_t out[BUF];
    size_t len;
    (void)state;
    len = 0;
    assert_int_equal(mp_base64_decode_lenient("Zm9v\r\nYm Fy\t", 12, out, sizeof(out), &len),
                     MP_OK);
    assert_int_equal(len, 6);
    assert_memory_equal(out, "foobar", 6);
    len = 0;
    assert_int_equal(mp_base64_decode_lenient("Zm9vYg", 6, out, sizeof(out), &len), MP_OK);
    assert_int_equal(len, 4);
    assert_memory_equal(out, "foob", 4);
    len = 0;
    assert_int_equal(mp_base64_decode_lenient("Zm9vYmE", 7, out, sizeof(out), &len), MP_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(out, "fooba", 5);
    len = 0;
    assert_int_equal(mp_base64_decode_lenient("Zg=", 3, out, sizeof(out), &len), MP_OK);
    assert_int_equal(len, 1);
    assert_memory_equal(out, "f", 1);
    len = 0;
    assert_int_equal(mp_base64_decode_lenient("Zg==\r\n", 6, out, sizeof(out), &len), MP_OK);
    assert_int_equal(len, 1);
    len = 99;
    assert_int_equal(mp_base64_decode_lenient(" \r\n\t", 4, out, sizeof(out), &len), MP_OK);
    assert_int_equal(len, 0);
}

static void test_lenient_rejects(void **state)
{
    uint8_t out[BUF];
    size_t len = 0;
    (void)state;
    assert_int_equal(mp_base64_decode_lenient("Zm9v!mFy", 8, out, sizeof(out), &len),
                     MP_ERR_BASE64);
    assert_int_equal(len, 4);
    assert_int_equal(mp_base64_decode_lenient("Zm9vY", 5, out, sizeof(out), &len),
                     MP_ERR_BASE64);
    assert_int_equal(mp_base64_decode_lenient("Zg==Zg", 6, out, sizeof(out), &len),
                     MP_ERR_BASE64);
    assert_int_equal(len, 4);
    assert_int_equal(mp_base64_decode_lenient("Zm9v\vYmFy", 9, out, sizeof(out), &len),
                     MP_ERR_BASE64);
    assert_int_equal(len, 4);
}

static void test_no_space(void **state)
{
    char eout[8];
    uint8_t dout[8];
    size_t len = 0;
    (void)state;
    memset(eout, 'X', sizeof(eout));
    assert_int_equal(mp_base64_encode("foobar", 6, eout, 7, &len), MP_ERR_NO_SPACE);
    assert_int_equal(len, 8);
    assert_int_equal(eout[0], 'X'); /* nothing written */
    assert_int_equal(mp_base64_encode("foobar", 6, eout, 8, &len), MP_OK);
    assert_int_equal(len, 8);
    assert_int_equal(mp_base64_encode("", 0, NULL, 0, &len), MP_OK);
    assert_int_equal(len, 0);

    memset(dout, 0xAA, sizeof(dout));
    assert_int_equal(mp_base64_decode("Zm9vYmFy", 8, dout, 5, &len), MP_ERR_NO_SPACE);
    assert_int_equal(len, 6);
    assert_int_equal(dout[5], 0xAA); /* never wrote past cap */
    assert_int_equal(mp_base64_decode("Zm9vYmFy", 8, dout, 6, &len), MP_OK);
    assert_int_equal(len, 6);
    assert_int_equal(mp_base64_decode_lenient("Zm9vYg", 6, dout, 3, &len), MP_ERR_NO_SPACE);
    assert_int_equal(len, 4);
    /* Malformed input wins over a small buffer. */
    assert_int_equal(mp_base64_decode("Zm9v!", 5, dout, 0, &len), MP_ERR_BASE64);
    assert_int_equal(len, 4);
}

/* ----------------------------------------------------------------------- */
/* Streaming encoder and decoder through the shared split harness          */
/* ----------------------------------------------------------------------- */

typedef struct enc_fixture {
    mp_base64_encoder e;
    char out[MP_BASE64_ENCODED_LEN(BUF + 2)];
} enc_fixture;

static enc_fixture efx;

static void enc_reset(void *state)
{
    mp_base64_encoder_init(&((enc_fixture *)state)->e);
}

static void enc_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    enc_fixture *x = state;
    size_t o;
    assert_true(n <= BUF);
    o = mp_base64_encoder_update(&x->e, p, n, x->out);
    assert_true(o <= MP_BASE64_ENCODED_LEN(n + 2) && o % 4 == 0);
    if (o > 0)
        mp_evlog_chunk(log, "out", x->out, o);
}

static void enc_finish(void *state, mp_evlog *log)
{
    enc_fixture *x = state;
    size_t o = mp_base64_encoder_finish(&x->e, x->out);
    assert_true(o == 0 || o == 4);
    if (o > 0)
        mp_evlog_chunk(log, "out", x->out, o);
    mp_evlog_add(log, "end");
}

static const mp_split_target enc_target = { enc_reset, enc_feed, enc_finish, &efx };

typedef struct dec_fixture {
    mp_base64_decoder d;
    unsigned flags;
    int failed;
    uint8_t out[MP_BASE64_DECODED_MAX(BUF + 3)];
} dec_fixture;

static dec_fixture dfx;

static void dec_reset(void *state)
{
    dec_fixture *x = state;
    mp_base64_decoder_init(&x->d, x->flags);
    x->failed = 0;
}

static void dec_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    dec_fixture *x = state;
    size_t w = 99;
    mp_status st;
    assert_true(n <= BUF);
    st = mp_base64_decoder_update(&x->d, p, n, x->out, &w);
    assert_true(w <= MP_BASE64_DECODED_MAX(n + 3));
    if (x->failed) {
        /* A failed decoder stays failed and writes nothing. */
        assert_int_equal(st, MP_ERR_BASE64);
        assert_int_equal(w, 0);
        return;
    }
    if (w > 0)
        mp_evlog_chunk(log, "bytes", (const char *)x->out, w);
    if (st != MP_OK) {
        assert_int_equal(st, MP_ERR_BASE64);
        mp_evlog_add(log, "error %s @%llu", mp_status_name(st), (unsigned long long)x->d.pos);
        x->failed = 1;
    }
}

static void dec_finish(void *state, mp_evlog *log)
{
    dec_fixture *x = state;
    size_t w = 99;
    mp_status st = mp_base64_decoder_finish(&x->d, x->out, &w);
    if (x->failed) {
        assert_int_equal(st, MP_ERR_BASE64);
        return;
    }
    assert_true(w <= 3);
    if (w > 0)
        mp_evlog_chunk(log, "bytes", (const char *)x->out, w);
    if (st != MP_OK)
        mp_evlog_add(log, "error %s @%llu", mp_status_name(st), (unsigned long long)x->d.pos);
    else
        mp_evlog_add(log, "end");
}

static const mp_split_target dec_target = { dec_reset, dec_feed, dec_finish, &dfx };

static void test_stream_encode(void **state)
{
    static mp_evlog expect;
    uint8_t bin[64];
    char ref[BUF];
    size_t n, rlen;
    (void)state;
    fill_bin(bin, sizeof(bin));
    for (n = 0; n <= sizeof(bin); n++) {
        assert_int_equal(mp_base64_encode(bin, n, ref, sizeof(ref), &rlen), MP_OK);
        mp_evlog_reset(&expect);
        if (rlen > 0)
            mp_evlog_chunk(&expect, "out", ref, rlen);
        mp_evlog_add(&expect, "end");
        mp_split_check(&enc_target, (const char *)bin, n, expect.text);
    }
}

/* Every fragmentation of `in` must match the one-shot decoder exactly: the
 * same bytes when it succeeds, the same error offset when it fails. */
static void check_stream_decode(const char *in, unsigned flags)
{
    static mp_evlog expect;
    uint8_t ref[BUF];
    size_t n = strlen(in), rlen = 0;
    mp_status rst = flags ? mp_base64_decode_lenient(in, n, ref, sizeof(ref), &rlen)
                          : mp_base64_decode(in, n, ref, sizeof(ref), &rlen);
    dfx.flags = flags;
    if (rst == MP_OK) {
        mp_evlog_reset(&expect);
        if (rlen > 0)
            mp_evlog_chunk(&expect, "bytes", (const char *)ref, rlen);
        mp_evlog_add(&expect, "end");
        mp_split_check(&dec_target, in, n, expect.text);
    } else {
        char tail[64];
        const char *log = mp_split_check(&dec_target, in, n, NULL);
        size_t ll = strlen(log), tl;
        assert_int_equal(rst, MP_ERR_BASE64);
        snprintf(tail, sizeof(tail), "error MP_ERR_BASE64 @%zu\n", rlen);
        tl = strlen(tail);
        assert_true(ll >= tl);
        assert_string_equal(log + ll - tl, tail);
    }
}

static void test_stream_decode(void **state)
{
    static const char *const strict_in[] = {
        "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy",
        "Zm9v!mFy", "Zg", "Zg=", "Zh==", "Zg==Zg==", "Zm9v YmFy", "Zg===",
    };
    static const char *const lenient_in[] = {
        "Zm9v\r\nYm Fy\t", "Zm9vYg", "Zm9vYmE", "Zg=", "Zg==\r\n", "Zm9vY", "Zm9v!", "Zh",
    };
    uint8_t bin[48];
    char enc[BUF];
    size_t i, elen;
    (void)state;
    for (i = 0; i < sizeof(strict_in) / sizeof(strict_in[0]); i++)
        check_stream_decode(strict_in[i], 0);
    for (i = 0; i < sizeof(lenient_in) / sizeof(lenient_in[0]); i++)
        check_stream_decode(lenient_in[i], MP_BASE64_LENIENT);
    fill_bin(bin, sizeof(bin));
    for (i = 0; i <= sizeof(bin); i++) {
        assert_int_equal(mp_base64_encode(bin, i, enc, sizeof(enc) - 1, &elen), MP_OK);
        enc[elen] = '\0';
        check_stream_decode(enc, 0);
        check_stream_decode(enc, MP_BASE64_LENIENT);
    }
}

static void test_stream_decoder_stays_failed(void **state)
{
    mp_base64_decoder d;
    uint8_t out[16];
    size_t len = 99;
    (void)state;
    mp_base64_decoder_init(&d, 0);
    assert_int_equal(mp_base64_decoder_update(&d, "Zm9v*", 5, out, &len), MP_ERR_BASE64);
    assert_int_equal(len, 3);
    assert_int_equal(d.pos, 4);
    assert_int_equal(mp_base64_decoder_update(&d, "Zm9v", 4, out, &len), MP_ERR_BASE64);
    assert_int_equal(len, 0);
    assert_int_equal(mp_base64_decoder_finish(&d, out, &len), MP_ERR_BASE64);
    /* Strict finish on a missing padding reports the end offset. */
    mp_base64_decoder_init(&d, 0);
    assert_int_equal(mp_base64_decoder_update(&d, "Zm9vYg", 6, out, &len), MP_OK);
    assert_int_equal(len, 3);
    assert_int_equal(mp_base64_decoder_finish(&d, out, &len), MP_ERR_BASE64);
    assert_int_equal(d.pos, 6);
}

/* The whole-group fast path and the per-character path must agree: white
 * space (lenient) and bad bytes at every phase of a group, and every
 * output capacity, give what the slow path alone would. */
static void test_fast_path_boundaries(void **state)
{
    uint8_t bin[60], ref[64], got[64];
    char enc[128], spaced[256];
    size_t elen, k, i, n, len, rlen;
    (void)state;
    fill_bin(bin, sizeof(bin));
    assert_int_equal(mp_base64_encode(bin, sizeof(bin), enc, sizeof(enc), &elen), MP_OK);
    for (k = 1; k <= 9; k++) {
        /* A space after every k characters. */
        for (i = 0, n = 0; i < elen; i++) {
            spaced[n++] = enc[i];
            if ((i + 1) % k == 0)
                spaced[n++] = ' ';
        }
        assert_int_equal(mp_base64_decode_lenient(spaced, n, got, sizeof(got), &len), MP_OK);
        assert_int_equal(len, sizeof(bin));
        assert_memory_equal(got, bin, sizeof(bin));
        /* Strict: the first space is the error, wherever it falls. */
        assert_int_equal(mp_base64_decode(spaced, n, got, sizeof(got), &len), MP_ERR_BASE64);
        assert_int_equal(len, k);
        /* A bad byte at offset k. */
        memcpy(spaced, enc, elen);
        spaced[k] = '*';
        assert_int_equal(mp_base64_decode(spaced, elen, got, sizeof(got), &len), MP_ERR_BASE64);
        assert_int_equal(len, k);
    }
    /* Every capacity: the prefix that fits is right, nothing past cap. */
    assert_int_equal(mp_base64_decode(enc, elen, ref, sizeof(ref), &rlen), MP_OK);
    for (k = 0; k < rlen; k++) {
        memset(got, 0xEE, sizeof(got));
        assert_int_equal(mp_base64_decode(enc, elen, got, k, &len), MP_ERR_NO_SPACE);
        assert_int_equal(len, rlen);
        if (k > 0)
            assert_memory_equal(got, ref, k);
        assert_int_equal(got[k], 0xEE);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_vectors),
        cmocka_unit_test(test_decode_vectors),
        cmocka_unit_test(test_roundtrip_all_bytes),
        cmocka_unit_test(test_strict_rejects),
        cmocka_unit_test(test_lenient_accepts),
        cmocka_unit_test(test_lenient_rejects),
        cmocka_unit_test(test_no_space),
        cmocka_unit_test(test_stream_encode),
        cmocka_unit_test(test_stream_decode),
        cmocka_unit_test(test_stream_decoder_stays_failed),
        cmocka_unit_test(test_fast_path_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
