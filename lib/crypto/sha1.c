/*
 * libmailproto — SHA-1 (FIPS 180-4), software hash class.
 * No heap, no stdio; words are assembled byte by byte (no unaligned loads).
 */
#include "mailproto/crypto.h"
#include "md_block.h"

#include <stddef.h>
#include <stdint.h>

typedef mp_md_ctx sha1_ctx;

_Static_assert(sizeof(sha1_ctx) <= MP_HASH_CTX_MAX, "sha1_ctx too large");

static uint32_t rotl32(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32u - n)); /* n in 1..31 */
}

static uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
           (uint32_t)p[3];
}

static void sha1_compress(uint32_t st[5], const uint8_t *block)
{
    uint32_t w[16];
    uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4];
    unsigned t;

    for (t = 0; t < 16u; t++)
        w[t] = load_be32(block + 4u * t);

    for (t = 0; t < 80u; t++) {
        uint32_t f, k, tmp, wt;
        if (t < 16u) {
            wt = w[t];
        } else {
            wt = rotl32(w[(t + 13u) & 15u] ^ w[(t + 8u) & 15u] ^ w[(t + 2u) & 15u] ^
                            w[t & 15u],
                        1u);
            w[t & 15u] = wt;
        }
        if (t < 20u) {
            f = (b & c) | (~b & d);
            k = 0x5a827999u;
        } else if (t < 40u) {
            f = b ^ c ^ d;
            k = 0x6ed9eba1u;
        } else if (t < 60u) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8f1bbcdcu;
        } else {
            f = b ^ c ^ d;
            k = 0xca62c1d6u;
        }
        tmp = rotl32(a, 5u) + f + e + k + wt;
        e = d;
        d = c;
        c = rotl32(b, 30u);
        b = a;
        a = tmp;
    }
    st[0] += a;
    st[1] += b;
    st[2] += c;
    st[3] += d;
    st[4] += e;
}

static void sha1_init(void *vctx)
{
    sha1_ctx *c = (sha1_ctx *)vctx;
    c->state[0] = 0x67452301u;
    c->state[1] = 0xefcdab89u;
    c->state[2] = 0x98badcfeu;
    c->state[3] = 0x10325476u;
    c->state[4] = 0xc3d2e1f0u;
    c->count = 0;
}

static void sha1_update(void *vctx, const void *data, size_t len)
{
    mp_md_update((sha1_ctx *)vctx, sha1_compress, data, len);
}

static void sha1_final(void *vctx, uint8_t *out)
{
    mp_md_final((sha1_ctx *)vctx, sha1_compress, 1, out, 5u);
}

const mp_hash_class mp_sha1_builtin = {
    "SHA-1", sizeof(sha1_ctx), 64u, 20u, sha1_init, sha1_update, sha1_final,
};
