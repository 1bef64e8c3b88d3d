/* libFuzzer target: dot-stuffing decoder and encoder.
 * Input: byte 0 = policy (bit 7: MP_DOT_NORMALIZE_LF) and split knob (bits
 * 0..6), then the body.
 * Oracles: (1) the decoder's content, errors with offsets, end offset and
 * the bytes left after it are the same whole and split (fuzz_split.h);
 * (2) nothing is delivered after a poisoning byte, and under the strict
 * policy never more content than the offset of the poison; (3) a clean
 * decoded body re-encodes and decodes to itself, ending exactly at the
 * encoder's terminator; (4) the normalising encoder's output of the raw
 * input decodes strictly without error, ending exactly at its end. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/core.h"
#include "fuzz_split.h"

#define CAP 8192

typedef struct dec_state {
    mp_dot_decoder d;
    mp_dot_policy policy;
    int done;
    char content[CAP * 2];
    size_t clen;
} dec_state;

static void dec_reset(void *state)
{
    dec_state *s = state;
    mp_dot_decoder_init(&s->d, s->policy);
    s->done = 0;
    s->clen = 0;
}

static size_t dec_step(void *state, const uint8_t *p, size_t n, fuzz_digest *dg)
{
    dec_state *s = state;
    size_t used = 0;
    mp_slice c;
    mp_status st = mp_dot_decoder_next(&s->d, (const char *)p, n, &used, &c);
    if (used > n)
        abort();
    switch (st) {
    case MP_OK:
        if (c.len == 0 || s->d.err.code != MP_OK || s->clen + c.len > sizeof(s->content))
            abort(); /* empty chunk, or content after the poison */
        memcpy(s->content + s->clen, c.ptr, c.len);
        s->clen += c.len;
        fuzz_digest_chunk(dg, c.ptr, c.len);
        break;
    case MP_DONE:
        s->done = 1;
        fuzz_digest_u64(dg, "done", s->d.pos);
        fuzz_digest_stop(dg);
        break;
    case MP_NEED_MORE:
        if (used != n)
            abort();
        break;
    case MP_ERR_BARE_CR:
    case MP_ERR_BARE_LF:
    case MP_ERR_NUL:
        if (st != s->d.err.code || (s->policy == MP_DOT_STRICT && s->clen > s->d.err.offset))
            abort();
        fuzz_digest_u64(dg, "error", (uint64_t)st);
        fuzz_digest_u64(dg, "at", s->d.err.offset);
        break;
    default:
        abort();
    }
    return used;
}

static void dec_finish(void *state, fuzz_digest *dg)
{
    (void)state;
    fuzz_digest_event(dg, "incomplete", NULL, 0);
}

static dec_state ds;
static char enc[CAP * 4 + 16];
static char content[CAP * 2];

/* Encode in[0..n) with `flags` into enc; returns the status. */
static mp_status encode(const char *in, size_t n, unsigned flags, size_t *elen)
{
    mp_dot_encoder e;
    mp_outbuf ob;
    size_t used = 0;
    mp_status st;
    mp_dot_encoder_init(&e, flags);
    mp_outbuf_init(&ob, enc, sizeof(enc));
    st = mp_dot_encoder_update(&e, in, n, &used, &ob);
    if (st == MP_OK && used != n)
        abort(); /* the buffer is large enough for everything */
    if (st == MP_OK)
        st = mp_dot_encoder_finish(&e, &ob);
    *elen = ob.len;
    return st;
}

/* Strictly decode enc[0..elen): it must be clean and end exactly at elen. */
static void decode_own(size_t elen, uint8_t knob)
{
    fuzz_target t = { dec_reset, dec_step, dec_finish, &ds };
    fuzz_digest dg;
    ds.policy = MP_DOT_STRICT;
    fuzz_split_check(&t, (const uint8_t *)enc, elen, knob);
    if (fuzz_feed(&t, (const uint8_t *)enc, elen, 0, knob, &dg) != elen || !ds.done ||
        ds.d.err.code != MP_OK)
        abort(); /* the encoder produced something the strict decoder rejects */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_target t = { dec_reset, dec_step, dec_finish, &ds };
    fuzz_digest dg;
    const char *body = (const char *)data + 1;
    size_t n, elen, clen;
    uint8_t knob;
    mp_status st;
    if (size < 1 || size > CAP)
        return 0;
    knob = (uint8_t)(data[0] & 0x7fu);
    n = size - 1;
    ds.policy = (data[0] & 0x80u) ? MP_DOT_NORMALIZE_LF : MP_DOT_STRICT;
    fuzz_split_check(&t, data + 1, n, knob);

    /* (3) A clean body round-trips through the plain encoder. */
    fuzz_feed(&t, data + 1, n, 0, knob, &dg);
    if (ds.done && ds.d.err.code == MP_OK) {
        clen = ds.clen;
        memcpy(content, ds.content, clen);
        if (encode(content, clen, 0, &elen) != MP_OK)
            abort(); /* decoded content that cannot be sent again */
        decode_own(elen, knob);
        if (ds.clen != clen || memcmp(ds.content, content, clen) != 0)
            abort(); /* round trip changed the body */
    }

    /* (4) The normalising encoder accepts anything but NUL. */
    st = encode(body, n, MP_DOT_ENC_NORMALIZE, &elen);
    if (memchr(body, 0, n) != NULL) {
        if (st != MP_ERR_NUL)
            abort();
        return 0;
    }
    if (st != MP_OK)
        abort();
    decode_own(elen, knob);
    return 0;
}
