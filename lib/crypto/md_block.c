/* Block buffering and length padding shared by MD5, SHA-1 and SHA-256. */
#include "md_block.h"

#include <string.h>

void mp_md_update(mp_md_ctx *c, mp_md_compress_fn compress, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    size_t used = (size_t)(c->count & 63u);

    c->count += (uint64_t)len;
    if (used != 0) {
        size_t take = 64u - used < len ? 64u - used : len;
        memcpy(c->buf + used, p, take);
        used += take;
        p += take;
        len -= take;
        if (used < 64u)
            return;
        compress(c->state, c->buf);
    }
    /* Whole blocks straight from the input: no copy. */
    while (len >= 64u) {
        compress(c->state, p);
        p += 64;
        len -= 64u;
    }
    if (len != 0)
        memcpy(c->buf, p, len);
}

static void put32(uint8_t *p, uint32_t v, int big_endian)
{
    unsigned i;
    for (i = 0; i < 4u; i++)
        p[i] = (uint8_t)(v >> (big_endian ? 24u - 8u * i : 8u * i));
}

void mp_md_final(mp_md_ctx *c, mp_md_compress_fn compress, int big_endian, uint8_t *out,
                 unsigned nwords)
{
    uint64_t bits = c->count << 3;
    size_t used = (size_t)(c->count & 63u);
    unsigned i;

    c->buf[used++] = 0x80u;
    if (used > 56u) {
        memset(c->buf + used, 0, 64u - used);
        compress(c->state, c->buf);
        used = 0;
    }
    memset(c->buf + used, 0, 56u - used);
    for (i = 0; i < 8u; i++)
        c->buf[56u + i] = (uint8_t)(bits >> (big_endian ? 56u - 8u * i : 8u * i));
    compress(c->state, c->buf);
    for (i = 0; i < nwords; i++)
        put32(out + 4u * i, c->state[i], big_endian);
}
