/*
 * libmailproto — crypto provider interface.
 *
 * SASL mechanisms (CRAM-MD5, SCRAM-*) and APOP need hashes, HMAC, PBKDF2
 * and random bytes.  They reach them only through an mp_crypto_provider,
 * a table of hash classes plus a random source, in the style of BearSSL's
 * br_hash_class: a firmware image can plug in a hardware engine, a server
 * can plug in mbedTLS (mbedtls.h), and the library ships a small software
 * provider (mp_crypto_builtin) tested against the official vectors.
 *
 * Contexts live in caller memory: MP_HASH_CTX_MAX bounds every class's
 * context_size.  Nothing allocates.
 *
 * Guide: docs/sasl.md ("The crypto provider"); mbedTLS-backed provider:
 * docs/mbedtls.md.
 */
#ifndef MAILPROTO_CRYPTO_H
#define MAILPROTO_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest digest (SHA-256) and block (64) of the supported hashes. */
#define MP_HASH_MAX_DIGEST 32u
#define MP_HASH_MAX_BLOCK 64u
/* Largest hash context any provider may need. */
#ifndef MP_HASH_CTX_MAX
#define MP_HASH_CTX_MAX 256u
#endif

/* A hash function.  `init`, `update`, `final` operate on a context of
 * `context_size` bytes (<= MP_HASH_CTX_MAX, aligned for uint64_t).
 * `final` writes `digest_size` bytes; the context must be re-initialised
 * before reuse.  Implementations never fail. */
typedef struct mp_hash_class {
    const char *name;        /* "MD5", "SHA-1", "SHA-256" */
    size_t context_size;
    size_t block_size;
    size_t digest_size;
    void (*init)(void *ctx);
    void (*update)(void *ctx, const void *data, size_t len);
    void (*final)(void *ctx, uint8_t *out);
} mp_hash_class;

/* Storage for any hash context. */
typedef union mp_hash_ctx {
    uint64_t align_;
    uint8_t bytes[MP_HASH_CTX_MAX];
} mp_hash_ctx;

/* Fill `out[0..len)` with unpredictable bytes; return 0 on success,
 * non-zero on failure (the caller then fails with MP_ERR_CRYPTO). */
typedef int (*mp_random_fn)(void *user, uint8_t *out, size_t len);

/*
 * What the library needs.  Any hash pointer may be NULL: mechanisms that
 * need it are then unavailable (MP_ERR_UNSUPPORTED).  `random` is needed
 * only for client nonces (SCRAM) and server challenges (CRAM-MD5, SCRAM,
 * APOP); the library never seeds or invents randomness itself.
 * The provider and everything it points to must outlive every object
 * that uses it.
 */
typedef struct mp_crypto_provider {
    const mp_hash_class *md5;
    const mp_hash_class *sha1;
    const mp_hash_class *sha256;
    mp_random_fn random;
    void *random_user;
} mp_crypto_provider;

#if MP_ENABLE_BUILTIN_CRYPTO
/* Software implementations (lib/crypto). */
extern const mp_hash_class mp_md5_builtin;
extern const mp_hash_class mp_sha1_builtin;
extern const mp_hash_class mp_sha256_builtin;

/* A provider with the three built-in hashes and the given random source
 * (may be NULL when no mechanism in use needs randomness). */
mp_crypto_provider mp_crypto_builtin(mp_random_fn random, void *random_user);
#endif

/* One-shot hash: out gets hc->digest_size bytes. */
void mp_hash(const mp_hash_class *hc, const void *data, size_t len, uint8_t *out);

/* HMAC (RFC 2104) over any hash class. */
typedef struct mp_hmac_ctx {
    const mp_hash_class *hc;
    mp_hash_ctx inner;
    uint8_t okey[MP_HASH_MAX_BLOCK];
} mp_hmac_ctx;

void mp_hmac_init(mp_hmac_ctx *h, const mp_hash_class *hc, const void *key, size_t keylen);
void mp_hmac_update(mp_hmac_ctx *h, const void *data, size_t len);
/* Writes hc->digest_size bytes; `h` must be re-initialised before reuse. */
void mp_hmac_final(mp_hmac_ctx *h, uint8_t *out);
void mp_hmac(const mp_hash_class *hc, const void *key, size_t keylen, const void *data,
             size_t len, uint8_t *out);

/* PBKDF2 (RFC 8018 §5.2) with HMAC over `hc`.  MP_ERR_ARG when
 * iterations == 0 or outlen == 0. */
mp_status mp_pbkdf2_hmac(const mp_hash_class *hc, const void *password, size_t pwlen,
                         const void *salt, size_t saltlen, uint32_t iterations, uint8_t *out,
                         size_t outlen);

/* Compare without a data-dependent early exit; 1 when equal. */
int mp_ct_equal(const void *a, const void *b, size_t n);

/* Overwrite secrets in a way the compiler keeps. */
void mp_wipe(void *p, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* MAILPROTO_CRYPTO_H */
