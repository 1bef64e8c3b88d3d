/* Base64 (RFC 4648 §4): one-shot and streaming encode, strict and lenient
 * decode.  No heap, no stdio; every routine is a single pass over its input
 * driven by the same per-character step, so the one-shot and streaming
 * decoders cannot disagree. */
#include <stdint.h>
#include <string.h>

#include "mailproto/core.h"

/* RFC 4648 §4, Table 1: the base64 alphabet. */
static const char enc_alpha_[64] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Reverse of enc_alpha_ for every byte value, 0xFF for bytes outside the
 * alphabet.  A full 256-entry table means any input byte (including 8-bit
 * ones) is classified by one bounded lookup, with no range tests. */
#define B64_INVALID 0xFFu
static const uint8_t dec_table_[256] = {
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x3E, 0xFF, 0xFF, 0xFF, 0x3F,
    0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x3B, 0x3C, 0x3D, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E,
    0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2A, 0x2B, 0x2C, 0x2D, 0x2E, 0x2F, 0x30, 0x31, 0x32, 0x33, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
};

/* Byte classes skipped by the lenient decoder: MIME bodies (RFC 2045 §6.8)
 * break encoded text into CRLF lines, and RFC 4648 §3.3 allows a
 * specification to ignore such characters. */
static int is_lenient_space(unsigned char c)
{
    return c == '\r' || c == '\n' || c == ' ' || c == '\t';
}

/* Encode one full group of 3 bytes into 4 characters (RFC 4648 §4). */
static void enc_group(const uint8_t *s, char *out)
{
    uint32_t v = ((uint32_t)s[0] << 16) | ((uint32_t)s[1] << 8) | (uint32_t)s[2];
    out[0] = enc_alpha_[(v >> 18) & 0x3Fu];
    out[1] = enc_alpha_[(v >> 12) & 0x3Fu];
    out[2] = enc_alpha_[(v >> 6) & 0x3Fu];
    out[3] = enc_alpha_[v & 0x3Fu];
}

/* Encode a final partial group of 1 or 2 bytes with '=' padding.  The
 * unused low bits are zero, as RFC 4648 §3.5 requires of encoders. */
static void enc_tail(const uint8_t *s, size_t n, char *out)
{
    uint32_t v = (uint32_t)s[0] << 16;
    if (n == 2)
        v |= (uint32_t)s[1] << 8;
    out[0] = enc_alpha_[(v >> 18) & 0x3Fu];
    out[1] = enc_alpha_[(v >> 12) & 0x3Fu];
    out[2] = n == 2 ? enc_alpha_[(v >> 6) & 0x3Fu] : '=';
    out[3] = '=';
}

mp_status mp_base64_encode(const void *in, size_t n, char *out, size_t cap, size_t *outlen)
{
    const uint8_t *p = (const uint8_t *)in;
    size_t groups, need, i, o = 0;

    if (outlen == NULL || (in == NULL && n > 0))
        return MP_ERR_ARG;
    /* Compute the size without the macro's (n + 2) so a huge n cannot
     * wrap around and make a too-small buffer look large enough. */
    groups = n / 3u + (n % 3u != 0u);
    if (groups > SIZE_MAX / 4u) {
        *outlen = SIZE_MAX;
        return MP_ERR_ARG;
    }
    need = groups * 4u;
    *outlen = need;
    if (cap < need || (out == NULL && need > 0))
        return MP_ERR_NO_SPACE;
    for (i = 0; i + 3u <= n; i += 3u, o += 4u)
        enc_group(p + i, out + o);
    if (i < n)
        enc_tail(p + i, n - i, out + o);
    return MP_OK;
}

void mp_base64_encoder_init(mp_base64_encoder *e)
{
    e->carry[0] = 0;
    e->carry[1] = 0;
    e->ncarry = 0;
}

size_t mp_base64_encoder_update(mp_base64_encoder *e, const void *in, size_t n, char *out)
{
    const uint8_t *p = (const uint8_t *)in;
    size_t i = 0, o = 0;

    /* Complete a group left over from the previous call first, so output
     * never depends on where the caller cut the input. */
    if (e->ncarry > 0 && e->ncarry + n >= 3u) {
        uint8_t g[3];
        size_t k, have = e->ncarry;
        for (k = 0; k < have; k++)
            g[k] = e->carry[k];
        for (; k < 3u; k++)
            g[k] = p[i++];
        enc_group(g, out);
        o = 4;
        e->ncarry = 0;
    }
    for (; i + 3u <= n; i += 3u, o += 4u)
        enc_group(p + i, out + o);
    /* Fewer than 3 bytes remain: keep them for the next call or finish. */
    while (i < n)
        e->carry[e->ncarry++] = p[i++];
    return o;
}

size_t mp_base64_encoder_finish(mp_base64_encoder *e, char *out)
{
    size_t n = e->ncarry;
    if (n == 0)
        return 0;
    enc_tail(e->carry, n, out);
    mp_base64_encoder_init(e);
    return 4;
}

void mp_base64_decoder_init(mp_base64_decoder *d, unsigned flags)
{
    d->acc = 0;
    d->pos = 0;
    d->nacc = 0;
    d->npad = 0;
    d->flags = (uint8_t)(flags & MP_BASE64_LENIENT);
    d->failed = 0;
}

/* Emit the bytes of a final group of `nacc` (2 or 3) sextets.  Strict mode
 * rejects non-zero unused bits: RFC 4648 §3.5 lets decoders do so, and it
 * makes the encoding canonical (one byte string, one text), which matters
 * when base64 carries SASL credentials that may be compared or logged. */
static int dec_final(const mp_base64_decoder *d, uint8_t *tmp, size_t *nout)
{
    uint32_t acc = d->acc;
    if (d->nacc == 2) {
        if ((acc & 0x0Fu) != 0 && !(d->flags & MP_BASE64_LENIENT))
            return -1;
        tmp[0] = (uint8_t)((acc >> 4) & 0xFFu);
        *nout = 1;
        return 0;
    }
    if (d->nacc == 3) {
        if ((acc & 0x03u) != 0 && !(d->flags & MP_BASE64_LENIENT))
            return -1;
        tmp[0] = (uint8_t)((acc >> 10) & 0xFFu);
        tmp[1] = (uint8_t)((acc >> 2) & 0xFFu);
        *nout = 2;
        return 0;
    }
    /* 0 or 1 sextet cannot end a group: 6 bits do not make a byte. */
    return -1;
}

/* One input character.  Writes 0..3 bytes to tmp and their count to *nout;
 * returns -1 on invalid input (without consuming the character).
 *
 * State: nacc sextets wait in acc; npad counts '=' seen.  Once npad > 0 the
 * data is over (RFC 4648 §3.3: padding only at the end), and the group is
 * complete when nacc + npad == 4; anything but lenient white space after
 * that is rejected ("data after padding"). */
static int dec_step(mp_base64_decoder *d, unsigned char c, uint8_t *tmp, size_t *nout)
{
    uint8_t v;

    *nout = 0;
    if ((d->flags & MP_BASE64_LENIENT) && is_lenient_space(c))
        return 0;
    if (c == '=') {
        if (d->npad == 0) {
            /* Padding may only follow 2 or 3 sextets (RFC 4648 §4 cases
             * (2) and (3)). */
            if (d->nacc < 2)
                return -1;
        } else if (d->nacc + d->npad >= 4) {
            return -1; /* too much padding */
        }
        d->npad++;
        if (d->nacc + d->npad == 4)
            return dec_final(d, tmp, nout);
        return 0;
    }
    if (d->npad > 0)
        return -1; /* data after (or inside) the padding */
    v = dec_table_[c];
    if (v == B64_INVALID)
        return -1;
    d->acc = (d->acc << 6) | v;
    d->nacc++;
    if (d->nacc == 4) {
        tmp[0] = (uint8_t)((d->acc >> 16) & 0xFFu);
        tmp[1] = (uint8_t)((d->acc >> 8) & 0xFFu);
        tmp[2] = (uint8_t)(d->acc & 0xFFu);
        *nout = 3;
        d->acc = 0;
        d->nacc = 0;
    }
    return 0;
}

/* End of input.  A padded group is complete; an unpadded tail is an error
 * in strict mode (RFC 4648 §3.2: padding is required unless the
 * specification says otherwise) and is flushed in lenient mode. */
static int dec_end(mp_base64_decoder *d, uint8_t *tmp, size_t *nout)
{
    *nout = 0;
    if (d->npad > 0) {
        if (d->nacc + d->npad == 4)
            return 0; /* already emitted when the last '=' arrived */
        if (!(d->flags & MP_BASE64_LENIENT))
            return -1; /* "Zg=" : incomplete padding */
        return dec_final(d, tmp, nout);
    }
    if (d->nacc == 0)
        return 0;
    if (!(d->flags & MP_BASE64_LENIENT))
        return -1;
    return dec_final(d, tmp, nout);
}

/* Fast path (docs/architecture.md §4): whole groups of four alphabet characters,
 * taken while the decoder sits at a group boundary with no padding seen.
 * It stops before the first group holding anything else (padding, white
 * space, a bad byte) and leaves that group to dec_step, so both paths
 * accept and reject exactly the same inputs.  Returns characters used;
 * writes 3 bytes per group. */
static size_t dec_groups(const unsigned char *p, size_t n, uint8_t *o)
{
    size_t i = 0;
    while (n - i >= 4u) {
        uint32_t a = dec_table_[p[i]], b = dec_table_[p[i + 1]];
        uint32_t c = dec_table_[p[i + 2]], e = dec_table_[p[i + 3]];
        uint32_t v;
        if (((a | b | c | e) & 0x80u) != 0)
            break; /* B64_INVALID has bit 7 set; sextets never do */
        v = (a << 18) | (b << 12) | (c << 6) | e;
        o[0] = (uint8_t)(v >> 16);
        o[1] = (uint8_t)((v >> 8) & 0xFFu);
        o[2] = (uint8_t)(v & 0xFFu);
        o += 3;
        i += 4;
    }
    return i;
}

mp_status mp_base64_decoder_update(mp_base64_decoder *d, const char *in, size_t n, void *out,
                                   size_t *outlen)
{
    const unsigned char *p = (const unsigned char *)in;
    uint8_t *o = (uint8_t *)out;
    size_t i, w = 0;

    if (outlen != NULL)
        *outlen = 0;
    if (d->failed)
        return MP_ERR_BASE64;
    for (i = 0; i < n; i++) {
        uint8_t tmp[3];
        size_t k, nb;
        if (d->nacc == 0 && d->npad == 0) {
            size_t g = dec_groups(p + i, n - i, o + w);
            i += g;
            w += (g / 4u) * 3u;
            d->pos += g;
            if (i == n)
                break;
        }
        if (dec_step(d, p[i], tmp, &nb) != 0) {
            d->failed = 1; /* d->pos is the offset of p[i] */
            if (outlen != NULL)
                *outlen = w;
            return MP_ERR_BASE64;
        }
        for (k = 0; k < nb; k++)
            o[w++] = tmp[k];
        d->pos++;
    }
    if (outlen != NULL)
        *outlen = w;
    return MP_OK;
}

mp_status mp_base64_decoder_finish(mp_base64_decoder *d, void *out, size_t *outlen)
{
    uint8_t tmp[3];
    size_t k, nb;

    if (outlen != NULL)
        *outlen = 0;
    if (d->failed)
        return MP_ERR_BASE64;
    if (dec_end(d, tmp, &nb) != 0) {
        d->failed = 1; /* d->pos is the input length: the end is bad */
        return MP_ERR_BASE64;
    }
    for (k = 0; k < nb; k++)
        ((uint8_t *)out)[k] = tmp[k];
    if (outlen != NULL)
        *outlen = nb;
    /* Leave the decoder ready for a new stream with the same flags. */
    d->acc = 0;
    d->nacc = 0;
    d->npad = 0;
    return MP_OK;
}

/* One-shot decode through the streaming step.  The whole input is checked
 * before the size is judged, so malformed input always reports
 * MP_ERR_BASE64 (with its offset) whatever the buffer size; bytes past
 * `cap` are counted but never written. */
static mp_status decode_all(const char *in, size_t n, unsigned flags, void *out, size_t cap,
                            size_t *outlen)
{
    const unsigned char *p = (const unsigned char *)in;
    uint8_t *o = (uint8_t *)out;
    mp_base64_decoder d;
    uint8_t tmp[3];
    size_t i, k, nb, w = 0;

    if (outlen == NULL || (in == NULL && n > 0))
        return MP_ERR_ARG;
    mp_base64_decoder_init(&d, flags);
    for (i = 0; i < n; i++) {
        if (d.nacc == 0 && d.npad == 0 && o != NULL && w <= cap) {
            /* Only as many groups as fit; past that the slow path goes on
             * validating and counting without writing. */
            size_t lim = n - i, room = ((cap - w) / 3u) * 4u, g;
            g = dec_groups(p + i, lim < room ? lim : room, o + w);
            i += g;
            w += (g / 4u) * 3u;
            if (i == n)
                break;
        }
        if (dec_step(&d, p[i], tmp, &nb) != 0) {
            *outlen = i; /* offset of the offending character */
            return MP_ERR_BASE64;
        }
        for (k = 0; k < nb; k++, w++)
            if (w < cap && o != NULL)
                o[w] = tmp[k];
    }
    if (dec_end(&d, tmp, &nb) != 0) {
        *outlen = n; /* the input ended in the middle of a group */
        return MP_ERR_BASE64;
    }
    for (k = 0; k < nb; k++, w++)
        if (w < cap && o != NULL)
            o[w] = tmp[k];
    *outlen = w;
    if (w > cap || (o == NULL && w > 0))
        return MP_ERR_NO_SPACE;
    return MP_OK;
}

mp_status mp_base64_decode(const char *in, size_t n, void *out, size_t cap, size_t *outlen)
{
    return decode_all(in, n, 0u, out, cap, outlen);
}

mp_status mp_base64_decode_lenient(const char *in, size_t n, void *out, size_t cap,
                                   size_t *outlen)
{
    return decode_all(in, n, MP_BASE64_LENIENT, out, cap, outlen);
}
