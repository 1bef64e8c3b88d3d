/* The built-in software crypto provider. */
#include "mailproto/crypto.h"

mp_crypto_provider mp_crypto_builtin(mp_random_fn random, void *random_user)
{
    mp_crypto_provider p;
    p.md5 = &mp_md5_builtin;
    p.sha1 = &mp_sha1_builtin;
    p.sha256 = &mp_sha256_builtin;
    p.random = random;
    p.random_user = random_user;
    return p;
}
