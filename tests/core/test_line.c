/* Line framer: the vectors of tests/vectors/core/line.vec run whole, byte
 * by byte and at random splits; API edge cases stay in C below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/core.h"
#include "split.h"
#include "vectors.h"

typedef struct framer_fixture {
    mp_line_framer f;
    char buf[1024];
    size_t max_line;
    unsigned flags;
} framer_fixture;

static void fx_reset(void *state)
{
    framer_fixture *x = state;
    /* The exact minimum buffer, so an off-by-one write past max_line - 2
     * is caught by the sanitizers (the buffer ends inside the struct, so
     * ASan would not see it; the canary below does). */
    assert_int_equal(mp_line_framer_init(&x->f, x->buf, x->max_line - 2, x->max_line, x->flags),
                     MP_OK);
    memset(x->buf, 0x5a, sizeof(x->buf));
}

static void fx_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    framer_fixture *x = state;
    while (n > 0) {
        size_t used = 0;
        mp_slice line;
        mp_status st = mp_line_framer_next(&x->f, p, n, &used, &line);
        assert_true(used <= n);
        if (st == MP_OK) {
            assert_true(line.len <= x->max_line - 2);
            assert_null(memchr(line.ptr, '\n', line.len));
            mp_evlog_quoted(log, "line", line.ptr, line.len);
        } else if (st == MP_NEED_MORE) {
            assert_int_equal(used, n);
        } else {
            assert_int_equal(st, x->f.err.code);
            assert_non_null(x->f.err.rule);
            mp_evlog_add(log, "error %s @%llu", mp_status_name(st),
                         (unsigned long long)x->f.err.offset);
        }
        p += used;
        n -= used;
    }
    /* Nothing is ever written past the assembly buffer. */
    assert_int_equal((unsigned char)x->buf[x->max_line - 2], 0x5a);
}

static void fx_finish(void *state, mp_evlog *log)
{
    framer_fixture *x = state;
    mp_evlog_add(log, "pending %zu", mp_line_framer_pending(&x->f));
}

static framer_fixture fx;

static void fx_setup(const mp_vector *v, void *state)
{
    framer_fixture *x = state;
    const char *flags = mp_vector_param(v, "flags", "");
    x->max_line = (size_t)strtoul(mp_vector_param(v, "max_line", "64"), NULL, 10);
    assert_true(x->max_line >= 3 && x->max_line - 1 <= sizeof(x->buf));
    x->flags = strcmp(flags, "allow_lf") == 0 ? MP_LINE_ALLOW_LF : 0u;
    assert_true(x->flags != 0 || flags[0] == '\0');
}

static void test_vectors(void **s)
{
    mp_split_target t = { fx_reset, fx_feed, fx_finish, &fx };
    (void)s;
    assert_true(mp_vectors_split_check("core/line.vec", &t, fx_setup) >= 20);
}

static void test_init_args(void **s)
{
    mp_line_framer f;
    char b[4];
    (void)s;
    assert_int_equal(mp_line_framer_init(&f, b, sizeof(b), 2, 0), MP_ERR_ARG);
    assert_int_equal(mp_line_framer_init(&f, b, sizeof(b), 7, 0), MP_ERR_ARG);
    assert_int_equal(mp_line_framer_init(&f, b, sizeof(b), 6, 0), MP_OK);
    assert_int_equal(mp_line_framer_init(&f, NULL, 100, 6, 0), MP_ERR_ARG);
    /* The ceiling of config.h holds; a size near SIZE_MAX cannot wrap. */
    {
        static char big[MP_MAX_LINE];
        assert_int_equal(mp_line_framer_init(&f, big, sizeof(big), MP_MAX_LINE, 0), MP_OK);
        assert_int_equal(mp_line_framer_init(&f, big, sizeof(big), MP_MAX_LINE + 1u, 0),
                         MP_ERR_ARG);
        assert_int_equal(mp_line_framer_init(&f, big, SIZE_MAX, SIZE_MAX, 0), MP_ERR_ARG);
    }
}

/* A transport switch drops a partial line (it is plaintext that must never
 * be processed after STARTTLS); the stream offset survives. */
static void test_reset(void **s)
{
    mp_line_framer f;
    char b[16];
    size_t used;
    mp_slice line;
    (void)s;
    assert_int_equal(mp_line_framer_init(&f, b, sizeof(b), 18, 0), MP_OK);
    assert_int_equal(mp_line_framer_next(&f, "STARTTLS\r\nMAIL", 14, &used, &line), MP_OK);
    assert_int_equal(used, 10);
    assert_int_equal(mp_line_framer_next(&f, "MAIL\r", 5, &used, &line), MP_NEED_MORE);
    assert_int_equal(mp_line_framer_pending(&f), 5);
    mp_line_framer_reset(&f);
    assert_int_equal(mp_line_framer_pending(&f), 0);
    assert_true(f.pos == 15);
    /* The next byte starts a fresh line: no stale CR, no stale bytes. */
    assert_int_equal(mp_line_framer_next(&f, "\nEHLO\r\n", 8, &used, &line), MP_ERR_BARE_LF);
    assert_true(f.err.offset == 15);
    assert_int_equal(mp_line_framer_next(&f, "EHLO\r\n", 6, &used, &line), MP_OK);
    assert_int_equal(line.len, 4);
    assert_memory_equal(line.ptr, "EHLO", 4);
}

static void test_status_and_numbers(void **s)
{
    uint64_t v = 0;
    (void)s;
    assert_string_equal(mp_status_name(MP_ERR_BARE_LF), "MP_ERR_BARE_LF");
    assert_string_equal(mp_strerror((mp_status)255), "unknown status");
    assert_true(mp_is_error(MP_ERR_SYNTAX));
    assert_false(mp_is_error(MP_NEED_MORE));
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("18446744073709551615"), UINT64_MAX, &v), MP_OK);
    assert_true(v == UINT64_MAX);
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("18446744073709551616"), UINT64_MAX, &v),
                     MP_ERR_NUMBER);
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("4294967296"), 4294967295u, &v), MP_ERR_NUMBER);
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("-1"), 100, &v), MP_ERR_SYNTAX);
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT(""), 100, &v), MP_ERR_SYNTAX);
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("7"), 5, &v), MP_ERR_NUMBER);
    assert_true(mp_slice_eq_ci(MP_SLICE_LIT("StartTLS"), "STARTTLS", 8));
    assert_false(mp_slice_eq_ci(MP_SLICE_LIT("StartTL"), "STARTTLS", 8));
}

/* Review of mp_parse_u64 for hostile numbers (literal sizes, SIZE=,
 * BDAT counts): boundaries, leading zeros, and syntax winning over size. */
static void test_parse_u64_edges(void **s)
{
    uint64_t v = 77;
    (void)s;
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("0"), 0, &v), MP_OK);
    assert_true(v == 0);
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("1"), 0, &v), MP_ERR_NUMBER);
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("4294967295"), 4294967295u, &v), MP_OK);
    assert_true(v == 4294967295u);
    /* Leading zeros never overflow and keep the value. */
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("000000000000000000000000018446744073709551615"),
                                  UINT64_MAX, &v), MP_OK);
    assert_true(v == UINT64_MAX);
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("00"), 10, &v), MP_OK);
    assert_true(v == 0);
    /* Just past 2^64 in every digit position that could wrap. */
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("18446744073709551620"), UINT64_MAX, &v),
                     MP_ERR_NUMBER);
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("99999999999999999999"), UINT64_MAX, &v),
                     MP_ERR_NUMBER);
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("36893488147419103232"), UINT64_MAX, &v),
                     MP_ERR_NUMBER); /* 2^65: would wrap to 0 */
    /* 2^63 under an IMAP4rev2 literal limit of 2^63 - 1. */
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("9223372036854775808"), INT64_MAX, &v),
                     MP_ERR_NUMBER);
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("9223372036854775807"), INT64_MAX, &v), MP_OK);
    /* A non-digit anywhere is a syntax error, even after an overflow. */
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("99999999999999999999x"), UINT64_MAX, &v),
                     MP_ERR_SYNTAX);
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("12x"), 5, &v), MP_ERR_SYNTAX);
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("+1"), 10, &v), MP_ERR_SYNTAX);
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT(" 1"), 10, &v), MP_ERR_SYNTAX);
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("1 "), 10, &v), MP_ERR_SYNTAX);
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("1\0"), 10, &v), MP_ERR_SYNTAX);
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("\xd9\xa1"), 10, &v), MP_ERR_SYNTAX);
    assert_int_equal(mp_parse_u64(mp_slice_make(NULL, 0), 10, &v), MP_ERR_SYNTAX);
    /* *out is untouched on every error. */
    v = 77;
    assert_int_equal(mp_parse_u64(MP_SLICE_LIT("4294967296"), 4294967295u, &v), MP_ERR_NUMBER);
    assert_true(v == 77);
}

/* Review of mp_outbuf arithmetic: sizes near SIZE_MAX saturate, a stale
 * mark cannot move len past the held bytes, u64 at its widest fits. */
static void test_outbuf_edges(void **s)
{
    char b[24];
    mp_outbuf ob;
    size_t m;
    (void)s;
    mp_outbuf_init(&ob, b, sizeof(b));
    m = mp_outbuf_mark(&ob);
    mp_outbuf_put_u64(&ob, UINT64_MAX);
    assert_int_equal(mp_outbuf_commit(&ob, m), MP_OK);
    assert_int_equal(ob.len, 20);
    assert_memory_equal(b, "18446744073709551615", 20);
    /* A huge element: nothing read or written, the need saturates. */
    m = mp_outbuf_mark(&ob);
    mp_outbuf_putc(&ob, 'x');
    mp_outbuf_put(&ob, b, SIZE_MAX);
    mp_outbuf_put(&ob, b, SIZE_MAX);
    mp_outbuf_putc(&ob, 'y');
    assert_int_equal(mp_outbuf_commit(&ob, m), MP_ERR_NO_SPACE);
    assert_true(ob.need == SIZE_MAX - 20);
    assert_int_equal(ob.len, 20);
    assert_int_equal(ob.want, 20);
    /* Exactly full is fine; one more byte is not, and the element rolls
     * back whole. */
    m = mp_outbuf_mark(&ob);
    mp_outbuf_puts(&ob, "abcd");
    assert_int_equal(mp_outbuf_commit(&ob, m), MP_OK);
    assert_int_equal(mp_outbuf_room(&ob), 0);
    m = mp_outbuf_mark(&ob);
    mp_outbuf_put(&ob, "", 0);
    assert_int_equal(mp_outbuf_commit(&ob, m), MP_OK);
    mp_outbuf_putc(&ob, 'z');
    assert_int_equal(mp_outbuf_commit(&ob, m), MP_ERR_NO_SPACE);
    assert_int_equal(ob.need, 1);
    assert_int_equal(ob.len, 24);
    /* A mark taken before a consume is stale: clamped, never past len. */
    m = mp_outbuf_mark(&ob);
    mp_outbuf_consume(&ob, 20);
    assert_int_equal(ob.len, 4);
    mp_outbuf_rollback(&ob, m);
    assert_int_equal(ob.len, 4);
    assert_int_equal(mp_outbuf_commit(&ob, m), MP_OK);
    assert_int_equal(ob.len, 4);
    assert_int_equal(mp_outbuf_room(&ob), 20);
    mp_outbuf_consume(&ob, SIZE_MAX);
    assert_int_equal(ob.len, 0);
    /* A zero-capacity buffer without storage only counts. */
    mp_outbuf_init(&ob, NULL, 0);
    m = mp_outbuf_mark(&ob);
    mp_outbuf_put(&ob, "", 0);
    assert_int_equal(mp_outbuf_commit(&ob, m), MP_OK);
    mp_outbuf_puts(&ob, "QUIT\r\n");
    assert_int_equal(mp_outbuf_commit(&ob, m), MP_ERR_NO_SPACE);
    assert_int_equal(ob.need, 6);
}

/* Lines of exactly max_line (and one byte more) for a large limit, fed in
 * every split: the assembly buffer is filled to its last byte. */
static void test_exact_max_line_large(void **s)
{
    static char in[2 * 4096 + 16];
    static char want[2 * 4096 + 64];
    mp_split_target t = { fx_reset, fx_feed, fx_finish, &fx };
    size_t n = 0;
    (void)s;
    fx.max_line = 1024;
    fx.flags = 0;
    memset(in, 'a', 1022);
    n = 1022;
    memcpy(in + n, "\r\n", 2);
    n += 2;
    memset(in + n, 'b', 1023);
    n += 1023;
    memcpy(in + n, "\r\nOK\r\n", 6);
    n += 6;
    snprintf(want, sizeof(want), "line \"%.*s\"\nerror MP_ERR_LINE_TOO_LONG @%u\nline \"OK\"\n"
             "pending 0\n", 1022, in, 1024u + 1022u);
    mp_split_check(&t, in, n, want);
}

static void test_outbuf(void **s)
{
    char b[8];
    mp_outbuf ob;
    size_t m;
    (void)s;
    mp_outbuf_init(&ob, b, sizeof(b));
    m = mp_outbuf_mark(&ob);
    mp_outbuf_puts(&ob, "NOOP\r\n");
    assert_int_equal(mp_outbuf_commit(&ob, m), MP_OK);
    m = mp_outbuf_mark(&ob);
    mp_outbuf_puts(&ob, "QUIT");
    mp_outbuf_put_u64(&ob, 1234);
    assert_int_equal(mp_outbuf_commit(&ob, m), MP_ERR_NO_SPACE);
    assert_int_equal(ob.len, 6);
    assert_int_equal(ob.need, 8);
    mp_outbuf_consume(&ob, 4);
    assert_memory_equal(b, "\r\n", 2);
    m = mp_outbuf_mark(&ob);
    mp_outbuf_put_u64(&ob, 0);
    mp_outbuf_putc(&ob, 'x');
    assert_int_equal(mp_outbuf_commit(&ob, m), MP_OK);
    assert_memory_equal(b, "\r\n0x", 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors), cmocka_unit_test(test_init_args), cmocka_unit_test(test_reset),
        cmocka_unit_test(test_status_and_numbers), cmocka_unit_test(test_outbuf),
        cmocka_unit_test(test_parse_u64_edges), cmocka_unit_test(test_outbuf_edges),
        cmocka_unit_test(test_exact_max_line_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
