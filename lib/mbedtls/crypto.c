/* mp_crypto_provider on mbedTLS: hash classes over mbedtls_md5/sha1/sha256
 * and a random source over CTR_DRBG. */
#include "mailproto/mbedtls.h"

#include <mbedtls/md5.h>
#include <mbedtls/sha1.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

/* The contexts live in an mp_hash_ctx: they must fit and be aligned. */
_Static_assert(sizeof(mbedtls_md5_context) <= MP_HASH_CTX_MAX, "MD5 context too large");
_Static_assert(sizeof(mbedtls_sha1_context) <= MP_HASH_CTX_MAX, "SHA-1 context too large");
_Static_assert(sizeof(mbedtls_sha256_context) <= MP_HASH_CTX_MAX, "SHA-256 context too large");
_Static_assert(_Alignof(mbedtls_md5_context) <= _Alignof(mp_hash_ctx), "MD5 alignment");
_Static_assert(_Alignof(mbedtls_sha1_context) <= _Alignof(mp_hash_ctx), "SHA-1 alignment");
_Static_assert(_Alignof(mbedtls_sha256_context) <= _Alignof(mp_hash_ctx), "SHA-256 alignment");

/* 2.x has the int-returning *_ret functions; 3.x renamed them back. The
 * software implementations cannot fail, and mp_hash_class never fails, so
 * the results are dropped (a hardware *_ALT that fails would give a wrong
 * digest, which the SASL exchange then rejects). */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define MD5_STARTS mbedtls_md5_starts
#define MD5_UPDATE mbedtls_md5_update
#define MD5_FINISH mbedtls_md5_finish
#define SHA1_STARTS mbedtls_sha1_starts
#define SHA1_UPDATE mbedtls_sha1_update
#define SHA1_FINISH mbedtls_sha1_finish
#define SHA256_STARTS mbedtls_sha256_starts
#define SHA256_UPDATE mbedtls_sha256_update
#define SHA256_FINISH mbedtls_sha256_finish
#else
#define MD5_STARTS mbedtls_md5_starts_ret
#define MD5_UPDATE mbedtls_md5_update_ret
#define MD5_FINISH mbedtls_md5_finish_ret
#define SHA1_STARTS mbedtls_sha1_starts_ret
#define SHA1_UPDATE mbedtls_sha1_update_ret
#define SHA1_FINISH mbedtls_sha1_finish_ret
#define SHA256_STARTS mbedtls_sha256_starts_ret
#define SHA256_UPDATE mbedtls_sha256_update_ret
#define SHA256_FINISH mbedtls_sha256_finish_ret
#endif

static void md5_init(void *ctx)
{
    mbedtls_md5_init(ctx);
    (void)MD5_STARTS(ctx);
}

static void md5_update(void *ctx, const void *data, size_t len)
{
    (void)MD5_UPDATE(ctx, data, len);
}

/* Wipes the context (mbedtls_*_free zeroizes): the class contract already
 * requires init before reuse. */
static void md5_final(void *ctx, uint8_t *out)
{
    (void)MD5_FINISH(ctx, out);
    mbedtls_md5_free(ctx);
}

static void sha1_init(void *ctx)
{
    mbedtls_sha1_init(ctx);
    (void)SHA1_STARTS(ctx);
}

static void sha1_update(void *ctx, const void *data, size_t len)
{
    (void)SHA1_UPDATE(ctx, data, len);
}

static void sha1_final(void *ctx, uint8_t *out)
{
    (void)SHA1_FINISH(ctx, out);
    mbedtls_sha1_free(ctx);
}

static void sha256_init(void *ctx)
{
    mbedtls_sha256_init(ctx);
    (void)SHA256_STARTS(ctx, 0); /* 0: SHA-256, not SHA-224 */
}

static void sha256_update(void *ctx, const void *data, size_t len)
{
    (void)SHA256_UPDATE(ctx, data, len);
}

static void sha256_final(void *ctx, uint8_t *out)
{
    (void)SHA256_FINISH(ctx, out);
    mbedtls_sha256_free(ctx);
}

const mp_hash_class mp_md5_mbedtls = {
    "MD5", sizeof(mbedtls_md5_context), 64, 16, md5_init, md5_update, md5_final,
};

const mp_hash_class mp_sha1_mbedtls = {
    "SHA-1", sizeof(mbedtls_sha1_context), 64, 20, sha1_init, sha1_update, sha1_final,
};

const mp_hash_class mp_sha256_mbedtls = {
    "SHA-256", sizeof(mbedtls_sha256_context), 64, 32, sha256_init, sha256_update, sha256_final,
};

int mp_mbedtls_random(void *drbg, uint8_t *out, size_t len)
{
    if (drbg == NULL || (out == NULL && len > 0)) return -1;
    /* CTR_DRBG refuses requests above MBEDTLS_CTR_DRBG_MAX_REQUEST. */
    while (len > 0) {
        size_t n = len < MBEDTLS_CTR_DRBG_MAX_REQUEST ? len : MBEDTLS_CTR_DRBG_MAX_REQUEST;
        int r = mbedtls_ctr_drbg_random(drbg, out, n);
        if (r != 0) return r;
        out += n;
        len -= n;
    }
    return 0;
}

mp_crypto_provider mp_crypto_mbedtls(mbedtls_ctr_drbg_context *drbg)
{
    mp_crypto_provider p;
    p.md5 = &mp_md5_mbedtls;
    p.sha1 = &mp_sha1_mbedtls;
    p.sha256 = &mp_sha256_mbedtls;
    p.random = drbg != NULL ? mp_mbedtls_random : NULL;
    p.random_user = drbg;
    return p;
}
