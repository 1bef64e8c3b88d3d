/* Internal: the Merkle-Damgard block buffering and padding that MD5, SHA-1
 * and SHA-256 share (RFC 1321 §3.1-3.2, FIPS 180-4 §5.1.1).  Only the
 * compression function and the byte order differ between them. */
#ifndef MP_CRYPTO_MD_BLOCK_H
#define MP_CRYPTO_MD_BLOCK_H

#include <stddef.h>
#include <stdint.h>

typedef struct mp_md_ctx {
    uint32_t state[8];
    uint64_t count; /* bytes processed */
    uint8_t buf[64];
} mp_md_ctx;

typedef void (*mp_md_compress_fn)(uint32_t *state, const uint8_t *block);

void mp_md_update(mp_md_ctx *c, mp_md_compress_fn compress, const void *data, size_t len);
/* Pad, append the bit length (big- or little-endian), compress, and write
 * `nwords` state words in the same byte order. */
void mp_md_final(mp_md_ctx *c, mp_md_compress_fn compress, int big_endian, uint8_t *out,
                 unsigned nwords);

#endif
