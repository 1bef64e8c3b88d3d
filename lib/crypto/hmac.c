/* One-shot hash, HMAC (RFC 2104), PBKDF2 (RFC 8018), constant-time helpers. */
#include "mailproto/crypto.h"

void mp_hash(const mp_hash_class *hc, const void *data, size_t len, uint8_t *out)
{
    mp_hash_ctx ctx;
    hc->init(&ctx);
    hc->update(&ctx, data, len);
    hc->final(&ctx, out);
    mp_wipe(&ctx, sizeof ctx);
}

void mp_hmac_init(mp_hmac_ctx *h, const mp_hash_class *hc, const void *key, size_t keylen)
{
    uint8_t k[MP_HASH_MAX_BLOCK];
    uint8_t ipad[MP_HASH_MAX_BLOCK];
    size_t bs = hc->block_size;
    size_t i;

    for (i = 0; i < MP_HASH_MAX_BLOCK; i++) k[i] = 0;
    if (keylen > bs) {
        mp_hash(hc, key, keylen, k);
    } else {
        const uint8_t *kp = (const uint8_t *)key;
        for (i = 0; i < keylen; i++) k[i] = kp[i];
    }
    for (i = 0; i < bs; i++) {
        ipad[i] = (uint8_t)(k[i] ^ 0x36u);
        h->okey[i] = (uint8_t)(k[i] ^ 0x5cu);
    }
    h->hc = hc;
    hc->init(&h->inner);
    hc->update(&h->inner, ipad, bs);
    mp_wipe(k, sizeof k);
    mp_wipe(ipad, sizeof ipad);
}

void mp_hmac_update(mp_hmac_ctx *h, const void *data, size_t len)
{
    h->hc->update(&h->inner, data, len);
}

void mp_hmac_final(mp_hmac_ctx *h, uint8_t *out)
{
    const mp_hash_class *hc = h->hc;
    uint8_t ih[MP_HASH_MAX_DIGEST];

    hc->final(&h->inner, ih);
    hc->init(&h->inner);
    hc->update(&h->inner, h->okey, hc->block_size);
    hc->update(&h->inner, ih, hc->digest_size);
    hc->final(&h->inner, out);
    mp_wipe(ih, sizeof ih);
    mp_wipe(h->okey, sizeof h->okey);
    mp_wipe(&h->inner, sizeof h->inner);
}

void mp_hmac(const mp_hash_class *hc, const void *key, size_t keylen, const void *data,
             size_t len, uint8_t *out)
{
    mp_hmac_ctx h;
    mp_hmac_init(&h, hc, key, keylen);
    mp_hmac_update(&h, data, len);
    mp_hmac_final(&h, out);
}

mp_status mp_pbkdf2_hmac(const mp_hash_class *hc, const void *password, size_t pwlen,
                         const void *salt, size_t saltlen, uint32_t iterations, uint8_t *out,
                         size_t outlen)
{
    mp_hmac_ctx base, h;
    uint8_t u[MP_HASH_MAX_DIGEST];
    uint8_t t[MP_HASH_MAX_DIGEST];
    size_t hlen, done = 0;
    uint32_t block = 1;

    if (hc == NULL || out == NULL || iterations == 0 || outlen == 0) return MP_ERR_ARG;
    hlen = hc->digest_size;
    if (hlen == 0 || hlen > MP_HASH_MAX_DIGEST) return MP_ERR_ARG;
    /* dkLen > (2^32 - 1) * hLen is "derived key too long". */
    if ((uint64_t)outlen / hlen >= 0xffffffffu) return MP_ERR_ARG;

    mp_hmac_init(&base, hc, password, pwlen);
    while (done < outlen) {
        uint8_t be[4];
        size_t i, n;
        uint32_t it;

        be[0] = (uint8_t)(block >> 24);
        be[1] = (uint8_t)(block >> 16);
        be[2] = (uint8_t)(block >> 8);
        be[3] = (uint8_t)block;
        h = base;
        mp_hmac_update(&h, salt, saltlen);
        mp_hmac_update(&h, be, 4);
        mp_hmac_final(&h, u);
        for (i = 0; i < hlen; i++) t[i] = u[i];
        for (it = 1; it < iterations; it++) {
            h = base;
            mp_hmac_update(&h, u, hlen);
            mp_hmac_final(&h, u);
            for (i = 0; i < hlen; i++) t[i] = (uint8_t)(t[i] ^ u[i]);
        }
        n = outlen - done;
        if (n > hlen) n = hlen;
        for (i = 0; i < n; i++) out[done + i] = t[i];
        done += n;
        block++;
    }
    mp_wipe(&base, sizeof base);
    mp_wipe(&h, sizeof h);
    mp_wipe(u, sizeof u);
    mp_wipe(t, sizeof t);
    return MP_OK;
}

int mp_ct_equal(const void *a, const void *b, size_t n)
{
    const uint8_t *x = (const uint8_t *)a;
    const uint8_t *y = (const uint8_t *)b;
    uint32_t diff = 0;
    size_t i;

    for (i = 0; i < n; i++) diff |= (uint32_t)(x[i] ^ y[i]);
    /* 1 when diff == 0, without a branch on the data. */
    return (int)(1u & ((diff - 1u) >> 8));
}

void mp_wipe(void *p, size_t n)
{
    volatile uint8_t *v = (volatile uint8_t *)p;
    size_t i;
    for (i = 0; i < n; i++) v[i] = 0;
}
