/* libFuzzer target: modified UTF-7.
 * Oracles: whatever decodes re-encodes to exactly the same bytes (only the
 * canonical form is accepted); whatever encodes decodes back to the input;
 * a decoded name never holds NUL (U+0000 is refused both ways).  One-shot
 * functions: there is no feed loop, so fuzz_split.h is not needed here. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/core.h"

static char a[16384], b[16384];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    size_t alen, blen;
    if (size > 4096)
        return 0;
    if (mp_mutf7_decode(in, size, a, sizeof(a), &alen) == MP_OK) {
        if (memchr(a, 0, alen) != NULL)
            abort(); /* NUL in a mailbox name */
        if (mp_mutf7_encode(a, alen, b, sizeof(b), &blen) != MP_OK || blen != size ||
            memcmp(b, in, size) != 0)
            abort(); /* two spellings of one mailbox name */
    }
    if (mp_mutf7_encode(in, size, a, sizeof(a), &alen) == MP_OK) {
        if (mp_mutf7_decode(a, alen, b, sizeof(b), &blen) != MP_OK || blen != size ||
            memcmp(b, in, size) != 0)
            abort(); /* encoding lost information */
    }
    return 0;
}
