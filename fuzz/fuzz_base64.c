/* libFuzzer target: base64.
 * Oracles: strict decode of any input that succeeds re-encodes to exactly
 * the input (strict = canonical); encode then strict decode gives the
 * bytes back; the streaming decoder agrees with the one-shot one when fed
 * in pieces. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/core.h"

static uint8_t a[8192], c[8192], r[8192];
static char b[12288];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    size_t alen, blen, clen = 0, off, step;
    mp_status one, st = MP_OK;
    mp_base64_decoder d;
    if (size > 4096 || size < 1)
        return 0;
    step = (size_t)data[0] % 7u + 1u;
    one = mp_base64_decode(in, size, a, sizeof(a), &alen);
    if (one == MP_OK) {
        if (mp_base64_encode(a, alen, b, sizeof(b), &blen) != MP_OK || blen != size ||
            memcmp(b, in, size) != 0)
            abort(); /* strict must mean canonical */
    }
    {
        size_t rlen;
        if (mp_base64_encode(data, size, b, sizeof(b), &blen) != MP_OK ||
            mp_base64_decode(b, blen, r, sizeof(r), &rlen) != MP_OK || rlen != size ||
            memcmp(r, data, size) != 0)
            abort(); /* round trip lost bytes */
    }

    mp_base64_decoder_init(&d, 0);
    for (off = 0; off < size && st == MP_OK; off += step) {
        size_t piece = size - off < step ? size - off : step, got = 0;
        st = mp_base64_decoder_update(&d, in + off, piece, c + clen, &got);
        clen += got;
    }
    if (st == MP_OK) {
        size_t got = 0;
        st = mp_base64_decoder_finish(&d, c + clen, &got);
        clen += got;
    }
    if ((st == MP_OK) != (one == MP_OK))
        abort(); /* streaming and one-shot disagree on validity */
    if (st == MP_OK && (clen != alen || memcmp(c, a, alen) != 0))
        abort();
    return 0;
}
