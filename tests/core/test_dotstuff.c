/* Tests for the dot-stuffing decoder and encoder (lib/core/dotstuff.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/core.h"

#define BUF 4096

/* ----------------------------------------------------------------------- */
/* Decoder harness                                                         */
/* ----------------------------------------------------------------------- */

typedef struct dres {
    char content[BUF];
    size_t clen;
    int done;
    size_t end;          /* stream offset right after the terminator */
    mp_status err_code;  /* d->err.code at the end */
    uint64_t err_off;
    int n_err;           /* error returns seen */
    mp_status first_err; /* first error returned */
    size_t nchunks;
} dres;

/* Feed `in[0..len)` in pieces cut at the offsets of `cuts` (ascending). */
static void decode_cuts(const char *in, size_t len, mp_dot_policy pol, const size_t *cuts,
                        size_t ncuts, dres *r)
{
    mp_dot_decoder d;
    size_t base = 0, k;
    memset(r, 0, sizeof(*r));
    mp_dot_decoder_init(&d, pol);
    for (k = 0; k <= ncuts && !r->done; k++) {
        size_t stop = k < ncuts ? cuts[k] : len;
        const char *p = in + base;
        size_t plen = stop - base, off = 0;
        int guard = 0;
        do {
            size_t used = 99999;
            mp_slice ch;
            mp_status st = mp_dot_decoder_next(&d, p + off, plen - off, &used, &ch);
            assert_true(used <= plen - off);
            assert_true(++guard < 100000);
            if (st == MP_OK) {
                assert_true(ch.len > 0);
                /* Zero copy: a slice of the input or the static CRLF. */
                if (!(ch.ptr >= p + off && ch.ptr + ch.len <= p + off + used))
                    assert_true(ch.len == 2 && memcmp(ch.ptr, "\r\n", 2) == 0);
                assert_true(r->clen + ch.len <= BUF);
                memcpy(r->content + r->clen, ch.ptr, ch.len);
                r->clen += ch.len;
                r->nchunks++;
                /* Nothing is delivered after the poisoning byte. */
                assert_int_equal(d.err.code, MP_OK);
            } else if (st == MP_DONE) {
                r->done = 1;
                off += used;
                break;
            } else if (st == MP_NEED_MORE) {
                assert_int_equal(used, plen - off);
            } else {
                assert_true(st == MP_ERR_BARE_CR || st == MP_ERR_BARE_LF || st == MP_ERR_NUL);
                assert_int_equal(st, d.err.code);
                if (r->n_err == 0)
                    r->first_err = st;
                r->n_err++;
            }
            off += used;
        } while (off < plen);
        base += off;
        if (r->done)
            r->end = base;
        else
            base = stop;
    }
    assert_int_equal(d.pos, r->done ? r->end : len);
    r->err_code = d.err.code;
    r->err_off = d.err.offset;
    if (r->done) {
        size_t used = 7;
        mp_slice ch;
        assert_int_equal(mp_dot_decoder_next(&d, "x", 1, &used, &ch), MP_DONE);
        assert_int_equal(used, 0);
    }
}

static void assert_same(const dres *a, const dres *b)
{
    assert_int_equal(a->clen, b->clen);
    assert_memory_equal(a->content, b->content, a->clen);
    assert_int_equal(a->done, b->done);
    assert_int_equal(a->end, b->end);
    assert_int_equal(a->err_code, b->err_code);
    assert_int_equal(a->err_off, b->err_off);
    assert_int_equal(a->n_err, b->n_err);
    assert_int_equal(a->first_err, b->first_err);
}

/* Decode whole, byte by byte and at every 2-way split; all must agree.
 * The whole-input result goes to `r`. */
static void decode_all(const char *in, size_t len, mp_dot_policy pol, dres *r)
{
    static dres t;
    static size_t cuts[BUF];
    size_t i;
    decode_cuts(in, len, pol, NULL, 0, r);
    assert_true(r->n_err <= 1);
    if (r->err_code != MP_OK) {
        assert_int_equal(r->n_err, 1);
        assert_int_equal(r->first_err, r->err_code);
        if (pol == MP_DOT_STRICT) /* NORMALIZE_LF may grow LF to CRLF */
            assert_true(r->clen <= r->err_off);
    } else {
        assert_int_equal(r->n_err, 0);
    }
    if (r->done && r->err_code == MP_OK)
        assert_true(r->clen == 0 || (r->clen >= 2 && memcmp(r->content + r->clen - 2, "\r\n", 2) == 0));
    for (i = 0; i + 1 < len && i < BUF; i++)
        cuts[i] = i + 1;
    decode_cuts(in, len, pol, cuts, len ? len - 1 : 0, &t);
    assert_same(r, &t);
    for (i = 0; i <= len; i++) {
        cuts[0] = i;
        decode_cuts(in, len, pol, cuts, 1, &t);
        assert_same(r, &t);
    }
}

/* Reference: the end of data is the first CRLF "." CRLF, the body being
 * preceded by the CRLF of the DATA line.  Returns the offset right after
 * it, or 0 if none. */
static size_t ref_end(const char *in, size_t len)
{
    static char s[BUF + 2];
    size_t i;
    s[0] = '\r';
    s[1] = '\n';
    memcpy(s + 2, in, len);
    for (i = 0; i + 5 <= len + 2; i++)
        if (memcmp(s + i, "\r\n.\r\n", 5) == 0)
            return i + 5 - 2;
    return 0;
}

static void check_clean(const char *in, size_t len, mp_dot_policy pol, const char *want,
                        size_t wlen, size_t end)
{
    dres r;
    decode_all(in, len, pol, &r);
    assert_true(r.done);
    assert_int_equal(r.end, end);
    assert_int_equal(r.err_code, MP_OK);
    assert_int_equal(r.clen, wlen);
    assert_memory_equal(r.content, want, wlen);
}

#define CLEAN(in, pol, want) check_clean(in, sizeof(in) - 1, pol, want, sizeof(want) - 1, sizeof(in) - 1)

/* ----------------------------------------------------------------------- */
/* Decoder tests                                                           */
/* ----------------------------------------------------------------------- */

static void test_dec_empty_body(void **state)
{
    (void)state;
    CLEAN(".\r\n", MP_DOT_STRICT, "");
    CLEAN(".\r\n", MP_DOT_NORMALIZE_LF, "");
    CLEAN("\r\n.\r\n", MP_DOT_STRICT, "\r\n");
}

static void test_dec_clean(void **state)
{
    (void)state;
    CLEAN("hello\r\n.\r\n", MP_DOT_STRICT, "hello\r\n");
    CLEAN("Subject: x\r\n\r\nbody line\r\nsecond\r\n.\r\n", MP_DOT_STRICT,
          "Subject: x\r\n\r\nbody line\r\nsecond\r\n");
    CLEAN("a. b.\r\nc .\r\n.\r\n", MP_DOT_STRICT, "a. b.\r\nc .\r\n");
    CLEAN("tab\there \x7f\x80\xff\r\n.\r\n", MP_DOT_STRICT, "tab\there \x7f\x80\xff\r\n");
}

static void test_dec_unstuff(void **state)
{
    (void)state;
    CLEAN("..x\r\n.\r\n", MP_DOT_STRICT, ".x\r\n");
    CLEAN("a\r\n..\r\n.\r\n", MP_DOT_STRICT, "a\r\n.\r\n");
    CLEAN("a\r\n...\r\n.\r\n", MP_DOT_STRICT, "a\r\n..\r\n");
    CLEAN("a\r\n\r\n..b\r\n.\r\n", MP_DOT_STRICT, "a\r\n\r\n.b\r\n");
    CLEAN("..\r\n..\r\n.\r\n", MP_DOT_STRICT, ".\r\n.\r\n");
    /* A single leading dot before other text is removed too. */
    CLEAN(".x\r\n.\r\n", MP_DOT_STRICT, "x\r\n");
    CLEAN("..x\r\n.\r\n", MP_DOT_NORMALIZE_LF, ".x\r\n");
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
    /* A stuffed dot splits the content into two slices. */
    {
        static const char in2[] = "ab\r\n..cd\r\n.\r\n";
        dres r;
        decode_cuts(in2, sizeof(in2) - 1, MP_DOT_STRICT, NULL, 0, &r);
        assert_int_equal(r.nchunks, 2);
        assert_int_equal(r.clen, 9);
        assert_memory_equal(r.content, "ab\r\n.cd\r\n", 9);
    }
}

static void test_dec_pipelined(void **state)
{
    static const char in[] = "hi\r\n..\r\n.\r\nMAIL FROM:<a>\r\n";
    dres r;
    (void)state;
    decode_all(in, sizeof(in) - 1, MP_DOT_STRICT, &r);
    assert_true(r.done);
    assert_int_equal(r.end, 11);
    assert_int_equal(r.clen, 7);
    assert_memory_equal(r.content, "hi\r\n.\r\n", 7);
    /* Empty body followed by a command. */
    decode_all(".\r\nQUIT\r\n", 9, MP_DOT_STRICT, &r);
    assert_true(r.done);
    assert_int_equal(r.end, 3);
    assert_int_equal(r.clen, 0);
    /* Poisoned body followed by a command. */
    decode_all("a\nb\r\n.\r\nRSET\r\n.\r\n", 17, MP_DOT_STRICT, &r);
    assert_true(r.done);
    assert_int_equal(r.end, 8);
    assert_int_equal(r.err_code, MP_ERR_BARE_LF);
    assert_int_equal(r.err_off, 1);
}

static void test_dec_need_more(void **state)
{
    dres r;
    (void)state;
    decode_all("abc\r\n.\r", 7, MP_DOT_STRICT, &r);
    assert_false(r.done);
    assert_int_equal(r.err_code, MP_OK);
    assert_int_equal(r.clen, 5);
    decode_all("abc\r\n", 5, MP_DOT_STRICT, &r);
    assert_false(r.done);
    assert_int_equal(r.clen, 5);
}

/* The smuggling sequences, embedded in a body that has a real end. */
typedef struct smug {
    const char *seq;
    size_t len;
    mp_status strict_code; /* MP_OK: not poisoned */
    size_t strict_off;     /* relative to the start of seq */
    mp_status norm_code;
    size_t norm_off;
    const char *norm_content; /* whole content when norm_code == MP_OK */
} smug;

#define SQ(s) s, sizeof(s) - 1

static const smug smugs[] = {
    { SQ("\n.\n"), MP_ERR_BARE_LF, 0, MP_OK, 0, "hello\r\n.\r\nworld\r\n" },
    { SQ("\n.\r\n"), MP_ERR_BARE_LF, 0, MP_OK, 0, "hello\r\n.\r\nworld\r\n" },
    { SQ("\r.\n"), MP_ERR_BARE_CR, 0, MP_ERR_BARE_CR, 0, NULL },
    { SQ("\r.\r"), MP_ERR_BARE_CR, 0, MP_ERR_BARE_CR, 0, NULL },
    { SQ("\r.\r\n"), MP_ERR_BARE_CR, 0, MP_ERR_BARE_CR, 0, NULL },
    { SQ("\r\n.\n"), MP_ERR_BARE_LF, 3, MP_OK, 0, "hello\r\n\r\nworld\r\n" },
    { SQ("\r\n.\r"), MP_ERR_BARE_CR, 3, MP_ERR_BARE_CR, 3, NULL },
    { SQ("\n.\r"), MP_ERR_BARE_LF, 0, MP_ERR_BARE_CR, 2, NULL },
    { SQ("\r\n\0.\r\n"), MP_ERR_NUL, 2, MP_ERR_NUL, 2, NULL },
    { SQ("\r\n.\0\r\n"), MP_ERR_NUL, 3, MP_ERR_NUL, 3, NULL },
    { SQ("\r\n. \r\n"), MP_OK, 0, MP_OK, 0, "hello\r\n \r\nworld\r\n" },
    { SQ("\r\r\n.\r\n"), MP_ERR_BARE_CR, 0, MP_ERR_BARE_CR, 0, NULL },
    { SQ("\r\n.\r\r\n"), MP_ERR_BARE_CR, 3, MP_ERR_BARE_CR, 3, NULL },
    { SQ("\r\r\n.\r\r\n"), MP_ERR_BARE_CR, 0, MP_ERR_BARE_CR, 0, NULL },
};

static void run_smug(const smug *s, mp_dot_policy pol)
{
    static const char pre[] = "hello";
    static const char post[] = "world\r\n.\r\nMAIL FROM:<a>\r\n";
    char in[128];
    size_t len = 0, end;
    mp_status code = pol == MP_DOT_STRICT ? s->strict_code : s->norm_code;
    size_t off = pol == MP_DOT_STRICT ? s->strict_off : s->norm_off;
    dres r;

    memcpy(in, pre, sizeof(pre) - 1);
    len += sizeof(pre) - 1;
    memcpy(in + len, s->seq, s->len);
    len += s->len;
    memcpy(in + len, post, sizeof(post) - 1);
    len += sizeof(post) - 1;
    end = ref_end(in, len);
    assert_true(end != 0);
    /* Only "\r\r\n.\r\n" holds a real CRLF.CRLF; every other sequence
     * must run on to the real end after "world". */
    if (s->len == 6 && memcmp(s->seq, "\r\r\n.\r\n", 6) == 0)
        assert_int_equal(end, 5 + 6);
    else
        assert_int_equal(end, len - 15);

    decode_all(in, len, pol, &r);
    assert_true(r.done);
    assert_int_equal(r.end, end); /* not early, not late; rest untouched */
    assert_int_equal(r.err_code, code);
    if (code != MP_OK) {
        assert_int_equal(r.err_off, 5 + off);
        if (pol == MP_DOT_STRICT)
            assert_true(r.clen <= 5 + off);
    } else {
        assert_int_equal(r.clen, strlen(s->norm_content));
        assert_memory_equal(r.content, s->norm_content, r.clen);
    }
}

static void test_dec_smuggling_strict(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(smugs) / sizeof(smugs[0]); i++)
        run_smug(&smugs[i], MP_DOT_STRICT);
}

static void test_dec_smuggling_normalize(void **state)
{
    size_t i;
    (void)state;
    for (i = 0; i < sizeof(smugs) / sizeof(smugs[0]); i++)
        run_smug(&smugs[i], MP_DOT_NORMALIZE_LF);
}

static void test_dec_poison_details(void **state)
{
    dres r;
    mp_dot_decoder d;
    size_t used;
    mp_slice ch;
    (void)state;
    /* The poison is reported once, content stops, DONE still comes with
     * the error kept. */
    decode_all("ok\r\nbad\rline\r\nmore\nstuff\0\r\n.\r\n", 30, MP_DOT_STRICT, &r);
    assert_true(r.done);
    assert_int_equal(r.end, 30);
    assert_int_equal(r.err_code, MP_ERR_BARE_CR);
    assert_int_equal(r.err_off, 7);
    assert_int_equal(r.n_err, 1);
    assert_int_equal(r.clen, 7);
    assert_memory_equal(r.content, "ok\r\nbad", 7);
    /* Poisoned: "\n.\r\n" and "\r.\r\n" do not end it either. */
    decode_all("\0a\n.\r\nb\r.\r\n\r\n.\r\n", 16, MP_DOT_STRICT, &r);
    assert_true(r.done);
    assert_int_equal(r.end, 16);
    assert_int_equal(r.err_code, MP_ERR_NUL);
    assert_int_equal(r.err_off, 0);
    assert_int_equal(r.clen, 0);
    /* CR held at the end of one input, non-LF in the next. */
    mp_dot_decoder_init(&d, MP_DOT_STRICT);
    assert_int_equal(mp_dot_decoder_next(&d, "ab\r", 3, &used, &ch), MP_OK);
    assert_int_equal(used, 3);
    assert_int_equal(ch.len, 2);
    assert_int_equal(mp_dot_decoder_next(&d, "x", 1, &used, &ch), MP_ERR_BARE_CR);
    assert_int_equal(d.err.offset, 2);
    assert_non_null(d.err.rule);
    /* NORMALIZE_LF: NUL and bare CR still poison. */
    decode_all("a\nb\0\r\n.\r\n", 9, MP_DOT_NORMALIZE_LF, &r);
    assert_int_equal(r.err_code, MP_ERR_NUL);
    assert_int_equal(r.err_off, 3);
    assert_int_equal(r.clen, 4);
    assert_memory_equal(r.content, "a\r\nb", 4);
}

static void test_dec_normalize_lf(void **state)
{
    (void)state;
    CLEAN("a\nb\r\n.\r\n", MP_DOT_NORMALIZE_LF, "a\r\nb\r\n");
    CLEAN("a\n\nb\r\n.\r\n", MP_DOT_NORMALIZE_LF, "a\r\n\r\nb\r\n");
    /* A dot after a bare LF is plain content (not unstuffed, no end). */
    CLEAN("a\n..b\r\n.\r\n", MP_DOT_NORMALIZE_LF, "a\r\n..b\r\n");
    CLEAN("a\n.\r\n.\r\n", MP_DOT_NORMALIZE_LF, "a\r\n.\r\n");
    CLEAN("\n.\n.\r\n\r\n.\r\n", MP_DOT_NORMALIZE_LF, "\r\n.\r\n.\r\n\r\n");
    /* The same input is poisoned under the strict policy. */
    {
        dres r;
        decode_all("a\nb\r\n.\r\n", 8, MP_DOT_STRICT, &r);
        assert_true(r.done);
        assert_int_equal(r.err_code, MP_ERR_BARE_LF);
        assert_int_equal(r.err_off, 1);
        assert_int_equal(r.clen, 1);
    }
}

/* ----------------------------------------------------------------------- */
/* Encoder                                                                 */
/* ----------------------------------------------------------------------- */

/* Encode `in` fed in pieces of `piece` bytes through a buffer of `cap`
 * bytes, draining it whenever it is full.  Returns the last status. */
static mp_status encode(const char *in, size_t len, unsigned flags, size_t piece, size_t cap,
                        char *out, size_t *outlen)
{
    char buf[BUF];
    mp_outbuf ob;
    mp_dot_encoder e;
    size_t off = 0;
    int guard = 0;
    mp_status st;
    *outlen = 0;
    mp_outbuf_init(&ob, buf, cap);
    mp_dot_encoder_init(&e, flags);
    while (off < len) {
        size_t n = len - off < piece ? len - off : piece, used = 12345;
        st = mp_dot_encoder_update(&e, in + off, n, &used, &ob);
        assert_true(++guard < 100000);
        assert_true(used <= n);
        off += used;
        if (mp_is_error(st) && st != MP_ERR_NO_SPACE)
            return st;
        if (st == MP_ERR_NO_SPACE) {
            assert_int_equal(used, 0);
            assert_true(ob.len > 0 || cap < 2); /* else progress was possible */
            if (ob.len == 0)
                return st;
        }
        if (st == MP_ERR_NO_SPACE || used < n) {
            memcpy(out + *outlen, ob.buf, ob.len);
            *outlen += ob.len;
            mp_outbuf_consume(&ob, ob.len);
        }
    }
    while ((st = mp_dot_encoder_finish(&e, &ob)) == MP_ERR_NO_SPACE) {
        assert_true(ob.len > 0);
        memcpy(out + *outlen, ob.buf, ob.len);
        *outlen += ob.len;
        mp_outbuf_consume(&ob, ob.len);
    }
    memcpy(out + *outlen, ob.buf, ob.len);
    *outlen += ob.len;
    return st;
}

static void check_enc(const char *in, size_t len, unsigned flags, const char *want, size_t wlen)
{
    char out[BUF];
    size_t olen, piece, cap;
    static const size_t caps[] = { 5, 6, 7, 13, BUF };
    for (piece = 1; piece <= len + 1; piece++) {
        for (cap = 0; cap < sizeof(caps) / sizeof(caps[0]); cap++) {
            assert_int_equal(encode(in, len, flags, piece, caps[cap], out, &olen), MP_OK);
            assert_int_equal(olen, wlen);
            assert_memory_equal(out, want, wlen);
        }
    }
}

#define ENC(in, flags, want) check_enc(in, sizeof(in) - 1, flags, want, sizeof(want) - 1)

static void test_enc_stuffing(void **state)
{
    (void)state;
    ENC("a\r\n.b\r\n", 0, "a\r\n..b\r\n.\r\n");
    ENC(".\r\n", 0, "..\r\n.\r\n");
    ENC("..x\r\n.\r\n", 0, "...x\r\n..\r\n.\r\n");
    ENC("a\r\n\r\n.b", 0, "a\r\n\r\n..b\r\n.\r\n");
    ENC("a.b\r\nc.\r\n", 0, "a.b\r\nc.\r\n.\r\n");
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

    /* Through the harness. */
    {
        char out[BUF];
        size_t olen;
        assert_int_equal(encode("x\ny", 3, 0, 3, 64, out, &olen), MP_ERR_BARE_LF);
        assert_int_equal(encode("x\r\ny\r", 5, 0, 5, 64, out, &olen), MP_ERR_BARE_CR);
    }
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

static void test_roundtrip(void **state)
{
    static const char *const ins[] = {
        "", "x", ".", "..", ".\r\n", "a\r\n.\r\n", "a\r\n\r\n.b", "\r\n.\r\n.\r\n",
        "line one\r\n.line two\r\n..three\r\nend", "a\nb\r.c\n", "\n.\r\n.\n",
    };
    size_t i, piece;
    (void)state;
    for (i = 0; i < sizeof(ins) / sizeof(ins[0]); i++) {
        const char *in = ins[i];
        size_t len = strlen(in);
        char want[BUF];
        size_t wlen = 0, k;
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
        for (piece = 1; piece <= len + 1; piece++) {
            char enc[BUF];
            size_t elen;
            dres r;
            assert_int_equal(encode(in, len, MP_DOT_ENC_NORMALIZE, piece, 7, enc, &elen), MP_OK);
            decode_all(enc, elen, MP_DOT_STRICT, &r);
            assert_true(r.done);
            assert_int_equal(r.end, elen);
            assert_int_equal(r.err_code, MP_OK);
            assert_int_equal(r.clen, wlen);
            assert_memory_equal(r.content, want, wlen);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dec_empty_body),
        cmocka_unit_test(test_dec_clean),
        cmocka_unit_test(test_dec_unstuff),
        cmocka_unit_test(test_dec_zero_copy_coalesced),
        cmocka_unit_test(test_dec_pipelined),
        cmocka_unit_test(test_dec_need_more),
        cmocka_unit_test(test_dec_smuggling_strict),
        cmocka_unit_test(test_dec_smuggling_normalize),
        cmocka_unit_test(test_dec_poison_details),
        cmocka_unit_test(test_dec_normalize_lf),
        cmocka_unit_test(test_enc_stuffing),
        cmocka_unit_test(test_enc_final_crlf),
        cmocka_unit_test(test_enc_refuse),
        cmocka_unit_test(test_enc_normalize),
        cmocka_unit_test(test_enc_no_space),
        cmocka_unit_test(test_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
