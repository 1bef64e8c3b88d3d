/* libFuzzer target: CRLF line framer.
 * Oracle beyond "no crash": the events (lines and errors with offsets) of
 * the whole input equal those of the same input fed in pieces whose sizes
 * come from the first byte, and a line never holds CR or LF. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/core.h"

#define MAX_LINE 64u

typedef struct digest {
    uint64_t h;
    uint64_t nevents;
} digest;

static void mix(digest *d, const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i;
    for (i = 0; i < n; i++)
        d->h = (d->h ^ b[i]) * 1099511628211u;
}

static void run(const uint8_t *data, size_t size, size_t step, unsigned flags, digest *d)
{
    static char buf[MAX_LINE];
    mp_line_framer f;
    size_t off = 0;
    d->h = 14695981039346656037u;
    d->nevents = 0;
    if (mp_line_framer_init(&f, buf, sizeof(buf), MAX_LINE, flags) != MP_OK)
        abort();
    while (off < size) {
        size_t piece = size - off < step ? size - off : step;
        const char *p = (const char *)data + off;
        size_t left = piece;
        while (left > 0) {
            size_t used = 0;
            mp_slice line;
            mp_status st = mp_line_framer_next(&f, p, left, &used, &line);
            if (used > left)
                abort();
            if (st == MP_OK) {
                if (memchr(line.ptr, '\n', line.len) || line.len > MAX_LINE - 2)
                    abort();
                mix(d, "L", 1);
                mix(d, line.ptr, line.len);
                d->nevents++;
            } else if (st != MP_NEED_MORE) {
                mix(d, &st, sizeof(st));
                mix(d, &f.err.offset, sizeof(f.err.offset));
                d->nevents++;
            } else if (used != left) {
                abort();
            }
            p += used;
            left -= used;
        }
        off += piece;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    digest whole, split;
    unsigned flags;
    if (size < 1)
        return 0;
    flags = (data[0] & 0x80u) ? MP_LINE_ALLOW_LF : 0u;
    run(data + 1, size - 1, SIZE_MAX, flags, &whole);
    run(data + 1, size - 1, (size_t)(data[0] & 0x0fu) + 1u, flags, &split);
    if (whole.h != split.h || whole.nevents != split.nevents)
        abort(); /* fragmentation changed the events */
    return 0;
}
