/* Tests for modified UTF-7 (lib/core/mutf7.c, RFC 3501 §5.1.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/core.h"

#define BUF 1024

static const char rfc_mutf7[] = "~peter/mail/&U,BTFw-/&ZeVnLIqe-";
static const char rfc_utf8[] = "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e";

static void check_enc(const char *utf8, size_t n, const char *want)
{
    char out[BUF];
    size_t len = 0;
    assert_int_equal(mp_mutf7_encode(utf8, n, out, sizeof out, &len), MP_OK);
    assert_int_equal(len, strlen(want));
    assert_memory_equal(out, want, len);
}

static void check_dec(const char *m, const char *want, size_t wlen)
{
    char out[BUF];
    size_t len = 0;
    assert_int_equal(mp_mutf7_decode(m, strlen(m), out, sizeof out, &len), MP_OK);
    assert_int_equal(len, wlen);
    assert_memory_equal(out, want, wlen);
}

static void bad_dec(const char *m, size_t n)
{
    char out[BUF];
    size_t len = 0;
    assert_int_equal(mp_mutf7_decode(m, n, out, sizeof out, &len), MP_ERR_MUTF7);
}

static void bad_utf8(const char *s, size_t n)
{
    char out[BUF];
    size_t len = 0;
    assert_int_equal(mp_mutf7_encode(s, n, out, sizeof out, &len), MP_ERR_UTF8);
}

static void test_rfc_example(void **state)
{
    (void)state;
    check_enc(rfc_utf8, strlen(rfc_utf8), rfc_mutf7);
    check_dec(rfc_mutf7, rfc_utf8, strlen(rfc_utf8));
}

static void test_ampersand(void **state)
{
    (void)state;
    check_enc("&", 1, "&-");
    check_dec("&-", "&", 1);
    check_enc("a&b&&", 5, "a&-b&-&-");
    check_dec("a&-b&-&-", "a&b&&", 5);
    check_enc("", 0, "");
    check_dec("", "", 0);
    /* A run next to "&-" is fine: "&-" is not a run. */
    check_enc("\xc3\xa9&\xc3\xa9", 5, "&AOk-&-&AOk-");
    check_dec("&AOk-&-&AOk-", "\xc3\xa9&\xc3\xa9", 5);
}

static void test_astral(void **state)
{
    (void)state;
    /* U+1F600 = D83D DE00; U+10FFFF = DBFF DFFF. */
    check_enc("\xf0\x9f\x98\x80", 4, "&2D3eAA-");
    check_dec("&2D3eAA-", "\xf0\x9f\x98\x80", 4);
    check_enc("x\xf4\x8f\xbf\xbfy", 6, "x&2,,f,w-y");
    check_dec("x&2,,f,w-y", "x\xf4\x8f\xbf\xbfy", 6);
}

static void test_controls_encoded(void **state)
{
    (void)state;
    check_enc("a\tb", 3, "a&AAk-b");
    check_dec("a&AAk-b", "a\tb", 3);
    check_enc("\x7f", 1, "&AH8-");
    check_dec("&AH8-", "\x7f", 1);
}

static void test_reject_utf8(void **state)
{
    (void)state;
    bad_utf8("\xc0\xaf", 2);                 /* overlong '/' */
    bad_utf8("\xe0\x80\xaf", 3);             /* overlong, 3 bytes */
    bad_utf8("\xf0\x80\x80\xaf", 4);         /* overlong, 4 bytes */
    bad_utf8("\xed\xa0\x80", 3);             /* U+D800 */
    bad_utf8("\xed\xbf\xbf", 3);             /* U+DFFF */
    bad_utf8("\xf4\x90\x80\x80", 4);         /* U+110000 */
    bad_utf8("\xf5\x80\x80\x80", 4);
    bad_utf8("\x80", 1);                     /* lone continuation */
    bad_utf8("\xe6\x97", 2);                 /* truncated */
    bad_utf8("\xe6\x41\xa5", 3);             /* bad continuation */
    bad_utf8("\xff", 1);
}

static void test_reject_printable_in_run(void **state)
{
    (void)state;
    bad_dec("&AGE-", 5);  /* 'a' */
    bad_dec("&ACY-", 5);  /* '&' */
    bad_dec("&AOkAYQ-", 8); /* e-acute then 'a' */
}

static void test_reject_unclosed(void **state)
{
    (void)state;
    bad_dec("&AOk", 4);
    bad_dec("&", 1);
    bad_dec("&AOk.", 5);  /* not base64, not '-' */
    bad_dec("&AOk=-", 6); /* no '=' padding */
    bad_dec("&AOk/-", 6); /* '/' is not in the modified alphabet */
}

static void test_reject_empty_and_adjacent(void **state)
{
    (void)state;
    bad_dec("&AGE-&AGE-", 10);
    bad_dec("&AOk-&AOk-", 10);
    bad_dec("&&-", 3); /* "&&" : run starting with '&' */
    bad_dec("&A-", 3); /* too few bits for a unit */
}

static void test_reject_padding(void **state)
{
    (void)state;
    bad_dec("&AOl-", 5);    /* low bits of the last sextet set */
    bad_dec("&AOkA-", 6);   /* spare character */
    bad_dec("&AOkAAAA-", 9); /* 42 bits: two units and 10 spare */
    /* 36 bits: two units, the second U+0000 (refused, see test_nul) */
    bad_dec("&AOkAAA-", 8);
    check_dec("&AOkAAQ-", "\xc3\xa9\x01", 3);
}

static void test_reject_surrogates(void **state)
{
    (void)state;
    bad_dec("&2D0-", 5);     /* lone high D83D */
    bad_dec("&3gA-", 5);     /* lone low DE00 */
    bad_dec("&2D0AYQ-", 8);  /* high then 'a'-unit */
    bad_dec("&2D0A6Q-", 8);  /* high then U+00E9 */
    bad_dec("&3gDYPQ-", 8);  /* low then high */
    bad_dec("&2D3YPQ-", 8);  /* high then high */
}

static void test_reject_bytes(void **state)
{
    (void)state;
    bad_dec("a\tb", 3);
    bad_dec("a\x7f", 2);
    bad_dec("\xc3\xa9", 2);
    bad_dec("a\0b", 3);
    bad_dec("&AOk\n-", 6);
}

/* A mailbox name cannot contain NUL: refused both ways, wherever it is. */
static void test_nul(void **state)
{
    char out[BUF];
    size_t len = 99;
    (void)state;
    bad_dec("&AAA-", 5);
    bad_dec("a&AAA-b", 7);
    bad_dec("&AAAA6Q-", 8);       /* NUL then U+00E9 */
    bad_dec("&AOkAAADp-", 10);    /* U+00E9, NUL, U+00E9 */
    assert_int_equal(mp_mutf7_encode("\0", 1, out, sizeof out, &len), MP_ERR_BAD_VALUE);
    assert_int_equal(len, 0);
    assert_int_equal(mp_mutf7_encode("INBOX\0x", 7, out, sizeof out, &len), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_mutf7_encode("\xc3\xa9\0", 3, out, sizeof out, &len), MP_ERR_BAD_VALUE);
    /* Reported even when the buffer is too small. */
    assert_int_equal(mp_mutf7_encode("ab\0", 3, out, 1, &len), MP_ERR_BAD_VALUE);
}

/* The documented choice: every other control and noncharacter round-trips
 * (server naming policy decides, not the codec). */
static void test_controls_and_nonchars(void **state)
{
    (void)state;
    check_enc("\x01", 1, "&AAE-");
    check_dec("&AAE-", "\x01", 1);
    check_enc("\x1f", 1, "&AB8-");
    check_enc("\xc2\x80\xc2\x9f", 4, "&AIAAnw-");     /* C1 controls */
    check_dec("&AIAAnw-", "\xc2\x80\xc2\x9f", 4);
    check_enc("\xef\xbf\xbe\xef\xbf\xbf", 6, "&,,7,,w-"); /* U+FFFE U+FFFF */
    check_dec("&,,7,,w-", "\xef\xbf\xbe\xef\xbf\xbf", 6);
    check_enc("\xef\xb7\x90", 3, "&,dA-");          /* U+FDD0 */
    check_dec("&,dA-", "\xef\xb7\x90", 3);
    check_enc("\xf4\x8f\xbf\xbe", 4, "&2,,f,g-");     /* U+10FFFE */
}

static void test_no_space(void **state)
{
    char out[BUF];
    size_t len = 0;
    size_t need = strlen(rfc_mutf7);
    size_t cap;
    (void)state;
    for (cap = 0; cap < need; cap++) {
        len = 0;
        assert_int_equal(mp_mutf7_encode(rfc_utf8, strlen(rfc_utf8), out, cap, &len),
                         MP_ERR_NO_SPACE);
        assert_int_equal(len, need);
    }
    assert_int_equal(mp_mutf7_encode(rfc_utf8, strlen(rfc_utf8), out, need, &len), MP_OK);
    assert_int_equal(len, need);
    assert_memory_equal(out, rfc_mutf7, need);

    need = strlen(rfc_utf8);
    for (cap = 0; cap < need; cap++) {
        len = 0;
        assert_int_equal(mp_mutf7_decode(rfc_mutf7, strlen(rfc_mutf7), out, cap, &len),
                         MP_ERR_NO_SPACE);
        assert_int_equal(len, need);
    }
    assert_int_equal(mp_mutf7_decode(rfc_mutf7, strlen(rfc_mutf7), NULL, 0, &len),
                     MP_ERR_NO_SPACE);
    assert_int_equal(len, need);
    assert_int_equal(mp_mutf7_decode(rfc_mutf7, strlen(rfc_mutf7), out, need, &len), MP_OK);
    assert_int_equal(len, need);
    assert_memory_equal(out, rfc_utf8, need);
}

static size_t put_utf8(char *p, uint32_t cp)
{
    if (cp < 0x80u) {
        p[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800u) {
        p[0] = (char)(0xc0u | (cp >> 6));
        p[1] = (char)(0x80u | (cp & 0x3fu));
        return 2;
    }
    if (cp < 0x10000u) {
        p[0] = (char)(0xe0u | (cp >> 12));
        p[1] = (char)(0x80u | ((cp >> 6) & 0x3fu));
        p[2] = (char)(0x80u | (cp & 0x3fu));
        return 3;
    }
    p[0] = (char)(0xf0u | (cp >> 18));
    p[1] = (char)(0x80u | ((cp >> 12) & 0x3fu));
    p[2] = (char)(0x80u | ((cp >> 6) & 0x3fu));
    p[3] = (char)(0x80u | (cp & 0x3fu));
    return 4;
}

/* Round trip: each code point alone, between ASCII, and in runs of 1..3
 * (every padding phase), and the output must be canonical (decodes back
 * and re-encodes identically). */
static void test_round_trip(void **state)
{
    uint32_t cp;
    unsigned count = 0;
    (void)state;
    for (cp = 1; cp <= 0x10ffffu; cp += (cp < 0x800u ? 1u : cp < 0x10000u ? 7u : 101u)) {
        char in[64];
        char enc[BUF];
        char dec[BUF];
        char dec2[BUF];
        size_t elen2 = 0;
        size_t n = 0;
        size_t elen = 0;
        size_t dlen = 0;
        uint32_t k;
        if (cp >= 0xd800u && cp <= 0xdfffu) {
            continue;
        }
        in[n++] = 'x';
        for (k = 0; k <= cp % 3u; k++) {
            n += put_utf8(in + n, cp);
        }
        in[n++] = '&';
        n += put_utf8(in + n, cp);
        assert_int_equal(mp_mutf7_encode(in, n, enc, sizeof enc, &elen), MP_OK);
        assert_int_equal(mp_mutf7_decode(enc, elen, dec, sizeof dec, &dlen), MP_OK);
        assert_int_equal(dlen, n);
        assert_memory_equal(dec, in, n);
        assert_int_equal(mp_mutf7_encode(dec, dlen, dec2, sizeof dec2, &elen2), MP_OK);
        assert_int_equal(elen2, elen);
        assert_memory_equal(dec2, enc, elen);
        count++;
    }
    assert_true(count > 10000u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_example),
        cmocka_unit_test(test_ampersand),
        cmocka_unit_test(test_astral),
        cmocka_unit_test(test_controls_encoded),
        cmocka_unit_test(test_reject_utf8),
        cmocka_unit_test(test_reject_printable_in_run),
        cmocka_unit_test(test_reject_unclosed),
        cmocka_unit_test(test_reject_empty_and_adjacent),
        cmocka_unit_test(test_reject_padding),
        cmocka_unit_test(test_reject_surrogates),
        cmocka_unit_test(test_reject_bytes),
        cmocka_unit_test(test_nul),
        cmocka_unit_test(test_controls_and_nonchars),
        cmocka_unit_test(test_no_space),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
