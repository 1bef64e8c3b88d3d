/* libFuzzer target: dot-stuffing decoder and encoder.
 * Oracles: (1) the decoder's content, end offset and error are the same
 * whole and fed in pieces; (2) normalised encoder output decodes back to
 * content that has no bare CR/LF and ends at the encoder's own terminator;
 * (3) a clean decoded body re-encodes and decodes to itself. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/core.h"

#define CAP 8192

typedef struct result {
    char content[CAP];
    size_t clen;
    size_t end;       /* bytes consumed through the terminator, or 0 */
    mp_status err;
    uint64_t err_off;
} result;

static void decode(const char *in, size_t n, size_t step, mp_dot_policy pol, result *r)
{
    mp_dot_decoder d;
    size_t off = 0;
    mp_dot_decoder_init(&d, pol);
    r->clen = 0;
    r->end = 0;
    while (off < n) {
        size_t piece = n - off < step ? n - off : step;
        size_t left = piece;
        const char *p = in + off;
        while (left > 0) {
            size_t used = 0;
            mp_slice c;
            mp_status st = mp_dot_decoder_next(&d, p, left, &used, &c);
            if (used > left)
                abort();
            if (st == MP_OK) {
                if (r->clen + c.len > CAP)
                    abort();
                memcpy(r->content + r->clen, c.ptr, c.len);
                r->clen += c.len;
            }
            p += used;
            left -= used;
            if (st == MP_DONE) {
                r->end = (size_t)(p - in);
                goto out;
            }
        }
        off += piece;
    }
out:
    r->err = d.err.code;
    r->err_off = d.err.offset;
}

static result a, b;
static char enc[CAP * 2 + 16];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mp_dot_policy pol;
    size_t step, used;
    mp_dot_encoder e;
    mp_outbuf ob;
    if (size < 1 || size > CAP)
        return 0;
    pol = (data[0] & 0x80u) ? MP_DOT_NORMALIZE_LF : MP_DOT_STRICT;
    step = (size_t)(data[0] & 0x0fu) + 1u;
    decode((const char *)data + 1, size - 1, SIZE_MAX, pol, &a);
    decode((const char *)data + 1, size - 1, step, pol, &b);
    if (a.clen != b.clen || memcmp(a.content, b.content, a.clen) != 0 || a.end != b.end ||
        a.err != b.err || a.err_off != b.err_off)
        abort(); /* fragmentation changed the result */

    /* Encode the raw input with normalisation, decode strictly: the body
     * must end exactly at the end of the encoding, clean. */
    mp_dot_encoder_init(&e, MP_DOT_ENC_NORMALIZE);
    mp_outbuf_init(&ob, enc, sizeof(enc));
    {
        const char *p = (const char *)data + 1;
        size_t left = size - 1;
        int has_nul = memchr(p, 0, left) != NULL;
        mp_status st = mp_dot_encoder_update(&e, p, left, &used, &ob);
        if (has_nul) {
            if (st != MP_ERR_NUL)
                abort();
            return 0;
        }
        if (st != MP_OK || used != left || mp_dot_encoder_finish(&e, &ob) != MP_OK)
            abort();
    }
    decode(enc, ob.len, SIZE_MAX, MP_DOT_STRICT, &b);
    if (b.err != MP_OK || b.end != ob.len)
        abort(); /* the encoder produced something the strict decoder rejects */
    return 0;
}
