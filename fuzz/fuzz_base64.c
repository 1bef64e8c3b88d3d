/* libFuzzer target: base64.
 * Input: byte 0 = mode (bit 7: lenient) and split knob (bits 0..6), then
 * the text.
 * Oracles: strict decode of any input that succeeds re-encodes to exactly
 * the input (strict = canonical); encode then strict decode gives the bytes
 * back; the streaming decoder and encoder give the same events whole and
 * split (fuzz_split.h) and agree with the one-shot functions: same bytes,
 * same validity, same error offset. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/core.h"
#include "fuzz_split.h"

#define MAXIN 4096

typedef struct dec_state {
    mp_base64_decoder d;
    unsigned flags;
    mp_status st;
    uint8_t out[MP_BASE64_DECODED_MAX(MAXIN + 3)];
    size_t len;
} dec_state;

static void dec_reset(void *state)
{
    dec_state *s = state;
    mp_base64_decoder_init(&s->d, s->flags);
    s->st = MP_OK;
    s->len = 0;
}

static size_t dec_step(void *state, const uint8_t *p, size_t n, fuzz_digest *dg)
{
    dec_state *s = state;
    size_t w = 0;
    uint64_t start = s->d.pos;
    mp_status st = mp_base64_decoder_update(&s->d, (const char *)p, n, s->out + s->len, &w);
    if (w > MP_BASE64_DECODED_MAX(n + 3))
        abort();
    fuzz_digest_chunk(dg, s->out + s->len, w);
    s->len += w;
    if (st != MP_OK) {
        if (st != MP_ERR_BASE64)
            abort();
        s->st = st;
        fuzz_digest_u64(dg, "error", s->d.pos);
        fuzz_digest_stop(dg);
        /* Stop at the bad character, so that the bytes left over do not
         * depend on the piece it arrived in. */
        if (s->d.pos - start > n)
            abort();
        return (size_t)(s->d.pos - start);
    }
    return n;
}

static void dec_finish(void *state, fuzz_digest *dg)
{
    dec_state *s = state;
    size_t w = 0;
    s->st = mp_base64_decoder_finish(&s->d, s->out + s->len, &w);
    if (w > 3)
        abort();
    fuzz_digest_chunk(dg, s->out + s->len, w);
    s->len += w;
    fuzz_digest_u64(dg, "end", s->st == MP_OK ? 0u : 1u + s->d.pos);
}

typedef struct enc_state {
    mp_base64_encoder e;
    char out[MP_BASE64_ENCODED_LEN(MAXIN + 2)];
    size_t len;
} enc_state;

static void enc_reset(void *state)
{
    enc_state *s = state;
    mp_base64_encoder_init(&s->e);
    s->len = 0;
}

static size_t enc_step(void *state, const uint8_t *p, size_t n, fuzz_digest *dg)
{
    enc_state *s = state;
    size_t o = mp_base64_encoder_update(&s->e, p, n, s->out + s->len);
    if (o > MP_BASE64_ENCODED_LEN(n + 2) || o % 4u != 0)
        abort();
    fuzz_digest_chunk(dg, s->out + s->len, o);
    s->len += o;
    return n;
}

static void enc_finish(void *state, fuzz_digest *dg)
{
    enc_state *s = state;
    size_t o = mp_base64_encoder_finish(&s->e, s->out + s->len);
    fuzz_digest_chunk(dg, s->out + s->len, o);
    s->len += o;
}

static dec_state ds;
static enc_state es;
static uint8_t a[MAXIN], r[MAXIN];
static char b[MP_BASE64_ENCODED_LEN(MAXIN)];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_target dt = { dec_reset, dec_step, dec_finish, &ds };
    fuzz_target et = { enc_reset, enc_step, enc_finish, &es };
    const char *in = (const char *)data + 1;
    size_t n, alen, blen, rlen;
    uint8_t knob;
    int lenient;
    mp_status one;
    if (size < 1 || size > MAXIN + 1)
        return 0;
    knob = (uint8_t)(data[0] & 0x7fu);
    lenient = (data[0] & 0x80u) != 0;
    n = size - 1;

    one = lenient ? mp_base64_decode_lenient(in, n, a, sizeof(a), &alen)
                  : mp_base64_decode(in, n, a, sizeof(a), &alen);
    if (one == MP_OK && !lenient) {
        if (mp_base64_encode(a, alen, b, sizeof(b), &blen) != MP_OK || blen != n ||
            memcmp(b, in, n) != 0)
            abort(); /* strict must mean canonical */
    }
    if (mp_base64_encode(in, n, b, sizeof(b), &blen) != MP_OK ||
        mp_base64_decode(b, blen, r, sizeof(r), &rlen) != MP_OK || rlen != n ||
        memcmp(r, in, n) != 0)
        abort(); /* round trip lost bytes */

    /* Streaming decoder: split-invariant and equal to the one-shot one. */
    ds.flags = lenient ? MP_BASE64_LENIENT : 0u;
    fuzz_split_check(&dt, data + 1, n, knob);
    if ((ds.st == MP_OK) != (one == MP_OK))
        abort(); /* streaming and one-shot disagree on validity */
    if (one == MP_OK && (ds.len != alen || memcmp(ds.out, a, alen) != 0))
        abort();
    if (one == MP_ERR_BASE64 && ds.d.pos != alen)
        abort(); /* different error offsets */

    /* Streaming encoder: split-invariant and equal to the one-shot one. */
    fuzz_split_check(&et, data + 1, n, knob);
    if (es.len != blen || memcmp(es.out, b, blen) != 0)
        abort();
    return 0;
}
