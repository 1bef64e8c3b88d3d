/* Tests for the dot-stuffing decoder and encoder (lib/core/dotstuff.c).
 * The decoder's vectors live in tests/vectors/core/dotstuff.vec (including
 * the 14 SMTP smuggling sequences of docs/security.md); every vector and every
 * encoder case runs through mp_split_check (whole, byte by byte, every
 * 2-way split, random splits). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/core.h"
#include "split.h"
#include "vectors.h"

#define BUF 4096

/* ----------------------------------------------------------------------- */
/* Decoder fixture                                                         */
/* ----------------------------------------------------------------------- */

typedef struct dec_fixture {
    mp_dot_decoder d;
    mp_dot_policy policy;
    int done;
    size_t clen;      /* content bytes delivered */
    const char *in;   /* the whole input, for the end-of-data oracle */
    size_t inlen;
} dec_fixture;

static dec_fixture dfx;

/* Reference: the end of data is the first CRLF "." CRLF, the body being
 * preceded by the CRLF of the DATA line.  Returns the offset right after
 * it, or 0 if none. */
static size_t ref_end(const char *in, size_t len)
{
    size_t i;
    for (i = 0; i + 3 <= len; i++) {
        int crlf_before = i == 0 || (i >= 2 && in[i - 2] == '\r' && in[i - 1] == '\n');
        if (crlf_before && memcmp(in + i, ".\r\n", 3) == 0)
            return i + 3;
    }
    return 0;
}

static void dec_reset(void *state)
{
    dec_fixture *x = state;
    mp_dot_decoder_init(&x->d, x->policy);
    x->done = 0;
    x->clen = 0;
}

static void dec_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    dec_fixture *x = state;
    int guard = 0;
    if (x->done) {
        mp_evlog_chunk(log, "after", p, n);
        return;
    }
    while (n > 0) {
        size_t used = 99999;
        mp_slice ch;
        mp_status st = mp_dot_decoder_next(&x->d, p, n, &used, &ch);
        assert_true(used <= n);
        assert_true(++guard < 100000);
        if (st == MP_OK) {
            assert_true(ch.len > 0);
            /* Zero copy: a slice of the input or the static CRLF (its CR
             * alone: a held bare CR under MP_DOT_VERBATIM). */
            if (!(ch.ptr >= p && ch.ptr + ch.len <= p + used))
                assert_true((ch.len == 2 && memcmp(ch.ptr, "\r\n", 2) == 0) ||
                            (x->policy == MP_DOT_VERBATIM && ch.len == 1 && ch.ptr[0] == '\r'));
            /* Nothing is delivered after the poisoning byte (verbatim
             * poisons nothing: err only names the first irregular byte). */
            if (x->policy != MP_DOT_VERBATIM)
                assert_int_equal(x->d.err.code, MP_OK);
            mp_evlog_chunk(log, "content", ch.ptr, ch.len);
            x->clen += ch.len;
        } else if (st == MP_DONE) {
            x->done = 1;
            if (x->policy == MP_DOT_VERBATIM && x->d.err.code != MP_OK)
                mp_evlog_add(log, "note %s @%llu", mp_status_name(x->d.err.code),
                             (unsigned long long)x->d.err.offset);
            mp_evlog_add(log, "done @%llu", (unsigned long long)x->d.pos);
            if (used < n)
                mp_evlog_chunk(log, "after", p + used, n - used);
            /* Done stays done and takes nothing more. */
            assert_int_equal(mp_dot_decoder_next(&x->d, "x", 1, &used, &ch), MP_DONE);
            assert_int_equal(used, 0);
            return;
        } else if (st == MP_NEED_MORE) {
            assert_int_equal(used, n);
        } else {
            assert_true(x->policy != MP_DOT_VERBATIM);
            assert_true(st == MP_ERR_BARE_CR || st == MP_ERR_BARE_LF || st == MP_ERR_NUL);
            assert_int_equal(st, x->d.err.code);
            assert_non_null(x->d.err.rule);
            if (x->policy == MP_DOT_STRICT) /* NORMALIZE_LF may grow LF to CRLF */
                assert_true(x->clen <= x->d.err.offset);
            mp_evlog_add(log, "error %s @%llu", mp_status_name(st),
                         (unsigned long long)x->d.err.offset);
        }
        p += used;
        n -= used;
    }
}

static void dec_finish(void *state, mp_evlog *log)
{
    dec_fixture *x = state;
    if (!x->done)
        mp_evlog_add(log, "incomplete");
    /* Oracle for every vector: not early, not late. */
    if (x->in != NULL)
        assert_int_equal(x->done ? (size_t)x->d.pos : 0, ref_end(x->in, x->inlen));
}

static void dec_setup(const mp_vector *v, void *state)
{
    dec_fixture *x = state;
    const char *pol = mp_vector_param(v, "policy", "strict");
    if (strcmp(pol, "strict") == 0)
        x->policy = MP_DOT_STRICT;
    else if (strcmp(pol, "normalize") == 0)
        x->policy = MP_DOT_NORMALIZE_LF;
    else if (strcmp(pol, "verbatim") == 0)
        x->policy = MP_DOT_VERBATIM;
    else
        fail_msg("%s:%u: unknown policy %s", v->file, v->line, pol);
    x->in = v->input;
    x->inlen = v->input_len;
}

static const mp_split_target dec_target = { dec_reset, dec_feed, dec_finish, &dfx };

/* ----------------------------------------------------------------------- */
/* Decoder tests                                                           */
/* ----------------------------------------------------------------------- */

static void test_dec_vectors(void **state)
{
    (void)state;
    /* 38 hand-picked bodies plus 14 smuggling sequences x 2 policies. */
    assert_true(mp_vectors_split_check("core/dotstuff.vec", &dec_target, dec_setup) >= 66);
}

static void test_dec_zero_copy_coalesced(void **state)
{
    static const char in[] = "hello\r\nworld\r\n\r\nmore\r\n.\r\n";
    mp_dot_decoder d;
    size_t used;
    mp_slice ch;
    (void)state;
    mp_dot_decoder_init(&d, MP_DOT_STRICT);
    assert_int_equal(mp_dot_decoder_next(&d, in, sizeof(in) - 1, &used, &ch), MP_OK);
    assert_ptr_equal(ch.ptr, in);
    assert_int_equal(ch.len, sizeof(in) - 1 - 3);
    assert_int_equal(mp_dot_decoder_next(&d, in + used, sizeof(in) - 1 - used, &used, &ch),
                     MP_DONE);
    assert_int_equal(d.pos, sizeof(in) - 1);
}

/* The CR that turns out bare was held from the previous input: the error
 * offset points back at it and nothing of the next input is taken. */
static void test_dec_held_cr(void **state)
{
    mp_dot_decoder d;
    size_t used;
    mp_slice ch;
    (void)state;
    /* CR held at the end of one input, non-LF in the next. */
    mp_dot_decoder_init(&d, MP_DOT_STRICT);
    assert_int_equal(mp_dot_decoder_next(&d, "ab\r", 3, &used, &ch), MP_OK);
    assert_int_equal(used, 3);
    assert_int_equal(ch.len, 2);
    assert_int_equal(mp_dot_decoder_next(&d, "x", 1, &used, &ch), MP_ERR_BARE_CR);
    assert_int_equal(d.err.offset, 2);
    assert_non_null(d.err.rule);
    assert_int_equal(used, 0);
    /* Poisoned: the rest is skipped through the real end. */
    assert_int_equal(mp_dot_decoder_next(&d, "x\r\n.\r\nNEXT", 10, &used, &ch), MP_DONE);
    assert_int_equal(used, 6);
    assert_int_equal(d.err.code, MP_ERR_BARE_CR);
}

/* ----------------------------------------------------------------------- */
/* Encoder: input fed in any split, output drained through a small buffer  */
/* ----------------------------------------------------------------------- */

typedef struct enc_fixture {
    mp_dot_encoder e;
    mp_outbuf ob;
    char buf[BUF];
    size_t cap;
    unsigned flags;
    int failed;
} enc_fixture;

static enc_fixture efx;

static void enc_drain(enc_fixture *x, mp_evlog *log)
{
    if (x->ob.len > 0)
        mp_evlog_chunk(log, "out", x->ob.buf, x->ob.len);
    mp_outbuf_consume(&x->ob, x->ob.len);
}

static void enc_reset(void *state)
{
    enc_fixture *x = state;
    mp_dot_encoder_init(&x->e, x->flags);
    mp_outbuf_init(&x->ob, x->buf, x->cap);
    x->failed = 0;
}

static void enc_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    enc_fixture *x = state;
    int guard = 0;
    while (n > 0 && !x->failed) {
        size_t used = 12345;
        mp_status st = mp_dot_encoder_update(&x->e, p, n, &used, &x->ob);
        assert_true(used <= n);
        assert_true(++guard < 100000);
        p += used;
        n -= used;
        if (st == MP_ERR_NO_SPACE) {
            assert_int_equal(used, 0);
            assert_true(x->ob.len > 0); /* else progress was possible */
            enc_drain(x, log);
        } else if (st != MP_OK) {
            /* The offset is not logged: a CR held from the previous call
             * is the bad byte, so *used differs with the split.  What was
             * written before the bad byte is valid output. */
            enc_drain(x, log);
            mp_evlog_add(log, "error %s", mp_status_name(st));
            x->failed = 1;
        } else if (n > 0) {
            enc_drain(x, log); /* the buffer filled up */
        }
    }
}

static void enc_finish(void *state, mp_evlog *log)
{
    enc_fixture *x = state;
    mp_status st;
    int guard = 0;
    if (x->failed)
        return;
    while ((st = mp_dot_encoder_finish(&x->e, &x->ob)) == MP_ERR_NO_SPACE) {
        assert_true(x->ob.len > 0);
        assert_true(++guard < 10);
        enc_drain(x, log);
    }
    enc_drain(x, log);
    if (st == MP_OK)
        mp_evlog_add(log, "end");
    else
        mp_evlog_add(log, "error %s", mp_status_name(st));
}

static const mp_split_target enc_target = { enc_reset, enc_feed, enc_finish, &efx };

/* Encode `in` at every split and through buffers of several sizes; the
 * output must always be `want` followed by a clean end. */
static void check_enc(const char *in, size_t len, unsigned flags, const char *want, size_t wlen)
{
    static const size_t caps[] = { 5, 6, 7, 13, BUF };
    static mp_evlog expect;
    size_t c;
    mp_evlog_reset(&expect);
    mp_evlog_chunk(&expect, "out", want, wlen);
    mp_evlog_add(&expect, "end");
    efx.flags = flags;
    for (c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
        efx.cap = caps[c];
        mp_split_check(&enc_target, in, len, expect.text);
    }
}

#define ENC(in, flags, want) check_enc(in, sizeof(in) - 1, flags, want, sizeof(want) - 1)

static void test_enc_stuffing(void **state)
{
    (void)state;
    ENC("a\r\n.b\r\n", 0, "a\r\n..b\r\n.\r\n");
    ENC(".\r\n", 0, "..\r\n.\r\n");
    ENC("..x\r\n.\r\n", 0, "...x\r\n..\r\n.\r\n");
    /* lettre CVE-2021-38189: a dot right after a blank line. */
    ENC("a\r\n\r\n.b", 0, "a\r\n\r\n..b\r\n.\r\n");
    ENC("a.b\r\nc.\r\n", 0, "a.b\r\nc.\r\n.\r\n");
    ENC("..a\r\n.\r\n..\r\nbody text\r\n", 0, "...a\r\n..\r\n...\r\nbody text\r\n.\r\n");
}

static void test_enc_final_crlf(void **state)
{
    (void)state;
    ENC("", 0, ".\r\n");
    ENC("x", 0, "x\r\n.\r\n");
    ENC("x\r\n", 0, "x\r\n.\r\n");
    ENC(".", 0, "..\r\n.\r\n");
    ENC("\r\n", 0, "\r\n.\r\n");
}

static void test_enc_normalize(void **state)
{
    (void)state;
    ENC("a\nb\rc\r\n.d\n", MP_DOT_ENC_NORMALIZE, "a\r\nb\r\nc\r\n..d\r\n.\r\n");
    ENC("a\r", MP_DOT_ENC_NORMALIZE, "a\r\n.\r\n");
    ENC("\n.\n", MP_DOT_ENC_NORMALIZE, "\r\n..\r\n.\r\n");
    ENC("\r\r\n.\r", MP_DOT_ENC_NORMALIZE, "\r\n\r\n..\r\n.\r\n");
    ENC("a\r\n", MP_DOT_ENC_NORMALIZE, "a\r\n.\r\n");
}

/* Refusals are the same in any split; what came before is still sent. */
static void test_enc_refuse_split(void **state)
{
    static const struct {
        const char *in;
        size_t len;
        unsigned flags;
        const char *want;
    } v[] = {
        { "x\ny", 3, 0, "chunk out x\nerror MP_ERR_BARE_LF\n" },
        { "x\r\ny\r", 5, 0, "chunk out x\\r\\ny\nerror MP_ERR_BARE_CR\n" },
        { "a\rb", 3, 0, "chunk out a\nerror MP_ERR_BARE_CR\n" },
        { "ab\0cd", 5, MP_DOT_ENC_NORMALIZE, "chunk out ab\nerror MP_ERR_NUL\n" },
        { "\r\r", 2, 0, "error MP_ERR_BARE_CR\n" },
    };
    size_t i;
    (void)state;
    efx.cap = 7;
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        efx.flags = v[i].flags;
        mp_split_check(&enc_target, v[i].in, v[i].len, v[i].want);
    }
}

static void test_enc_refuse(void **state)
{
    mp_dot_encoder e;
    mp_outbuf ob;
    char buf[64];
    size_t used;
    (void)state;
    mp_outbuf_init(&ob, buf, sizeof(buf));
    mp_dot_encoder_init(&e, 0);
    assert_int_equal(mp_dot_encoder_update(&e, "ab\ncd", 5, &used, &ob), MP_ERR_BARE_LF);
    assert_int_equal(used, 2);
    assert_int_equal(ob.len, 2);
    assert_memory_equal(buf, "ab", 2);

    mp_outbuf_init(&ob, buf, sizeof(buf));
    mp_dot_encoder_init(&e, 0);
    assert_int_equal(mp_dot_encoder_update(&e, "a\rb", 3, &used, &ob), MP_ERR_BARE_CR);
    assert_int_equal(used, 1);
    assert_int_equal(ob.len, 1);

    mp_outbuf_init(&ob, buf, sizeof(buf));
    mp_dot_encoder_init(&e, 0);
    assert_int_equal(mp_dot_encoder_update(&e, "a\0", 2, &used, &ob), MP_ERR_NUL);
    assert_int_equal(used, 1);

    /* NUL is refused even with NORMALIZE. */
    mp_outbuf_init(&ob, buf, sizeof(buf));
    mp_dot_encoder_init(&e, MP_DOT_ENC_NORMALIZE);
    assert_int_equal(mp_dot_encoder_update(&e, "a\0", 2, &used, &ob), MP_ERR_NUL);
    assert_int_equal(used, 1);

    /* A CR at the end of one call followed by a non-LF, or by the end. */
    mp_outbuf_init(&ob, buf, sizeof(buf));
    mp_dot_encoder_init(&e, 0);
    assert_int_equal(mp_dot_encoder_update(&e, "a\r", 2, &used, &ob), MP_OK);
    assert_int_equal(used, 2);
    assert_int_equal(ob.len, 1); /* the CR is never written alone */
    assert_int_equal(mp_dot_encoder_update(&e, "b", 1, &used, &ob), MP_ERR_BARE_CR);
    assert_int_equal(used, 0);
    assert_int_equal(mp_dot_encoder_finish(&e, &ob), MP_ERR_BARE_CR);
    assert_int_equal(ob.len, 1);

}

static void test_enc_no_space(void **state)
{
    mp_dot_encoder e;
    mp_outbuf ob;
    char buf[8];
    size_t used;
    (void)state;
    /* A doubled dot needs 2 bytes at once. */
    mp_outbuf_init(&ob, buf, 1);
    mp_dot_encoder_init(&e, 0);
    assert_int_equal(mp_dot_encoder_update(&e, ".x", 2, &used, &ob), MP_ERR_NO_SPACE);
    assert_int_equal(used, 0);
    assert_int_equal(ob.len, 0);
    /* Partial progress: as much as fits. */
    mp_outbuf_init(&ob, buf, 4);
    mp_dot_encoder_init(&e, 0);
    assert_int_equal(mp_dot_encoder_update(&e, "abcdefg\r\n", 9, &used, &ob), MP_OK);
    assert_int_equal(used, 4);
    assert_int_equal(ob.len, 4);
    assert_memory_equal(buf, "abcd", 4);
    assert_int_equal(mp_dot_encoder_update(&e, "efg\r\n", 5, &used, &ob), MP_ERR_NO_SPACE);
    assert_int_equal(used, 0);
    mp_outbuf_consume(&ob, 4);
    assert_int_equal(mp_dot_encoder_update(&e, "efg\r\n", 5, &used, &ob), MP_OK);
    assert_int_equal(used, 3); /* CRLF is written whole */
    mp_outbuf_consume(&ob, 3);
    assert_int_equal(mp_dot_encoder_update(&e, "\r\n", 2, &used, &ob), MP_OK);
    assert_int_equal(used, 2);
    /* Finish is whole or nothing. */
    assert_int_equal(mp_dot_encoder_finish(&e, &ob), MP_ERR_NO_SPACE);
    assert_int_equal(ob.len, 2);
    mp_outbuf_consume(&ob, 2);
    assert_int_equal(mp_dot_encoder_finish(&e, &ob), MP_OK);
    assert_int_equal(ob.len, 3);
    assert_memory_equal(buf, ".\r\n", 3);
    /* Tiny buffers still make progress to the same output. */
    ENC("..a\r\n.\r\n..\r\nbody text\r\n", 0, "...a\r\n..\r\n...\r\nbody text\r\n.\r\n");
}

/* Normalized encoding of anything without NUL decodes strictly back to
 * the normalized input, ending exactly at the encoder's terminator. */
static void test_roundtrip(void **state)
{
    static const char *const ins[] = {
        "", "x", ".", "..", ".\r\n", "a\r\n.\r\n", "a\r\n\r\n.b", "\r\n.\r\n.\r\n",
        "line one\r\n.line two\r\n..three\r\nend", "a\nb\r.c\n", "\n.\r\n.\n",
    };
    static char enc[BUF];
    static mp_evlog expect;
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
        const char *in = ins[i];
        size_t len = strlen(in), elen = 0, ulen, wlen = 0, k;
        char want[BUF];
        mp_dot_encoder e;
        mp_outbuf ob;
        /* Expected: normalized line ends, CRLF appended if missing. */
        for (k = 0; k < len; k++) {
            if (in[k] == '\r' || in[k] == '\n') {
                want[wlen++] = '\r';
                want[wlen++] = '\n';
                if (in[k] == '\r' && k + 1 < len && in[k + 1] == '\n')
                    k++;
            } else {
                want[wlen++] = in[k];
            }
        }
        if (wlen != 0 && !(wlen >= 2 && memcmp(want + wlen - 2, "\r\n", 2) == 0)) {
            want[wlen++] = '\r';
            want[wlen++] = '\n';
        }
        mp_outbuf_init(&ob, enc, sizeof(enc));
        mp_dot_encoder_init(&e, MP_DOT_ENC_NORMALIZE);
        assert_int_equal(mp_dot_encoder_update(&e, in, len, &ulen, &ob), MP_OK);
        assert_int_equal(ulen, len);
        assert_int_equal(mp_dot_encoder_finish(&e, &ob), MP_OK);
        elen = ob.len;
        mp_evlog_reset(&expect);
        if (wlen > 0)
            mp_evlog_chunk(&expect, "content", want, wlen);
        mp_evlog_add(&expect, "done @%zu", elen);
        dfx.policy = MP_DOT_STRICT;
        dfx.in = enc;
        dfx.inlen = elen;
        mp_split_check(&dec_target, enc, elen, expect.text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dec_vectors),
        cmocka_unit_test(test_dec_zero_copy_coalesced),
        cmocka_unit_test(test_dec_held_cr),
        cmocka_unit_test(test_enc_stuffing),
        cmocka_unit_test(test_enc_final_crlf),
        cmocka_unit_test(test_enc_normalize),
        cmocka_unit_test(test_enc_refuse_split),
        cmocka_unit_test(test_enc_refuse),
        cmocka_unit_test(test_enc_no_space),
        cmocka_unit_test(test_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
