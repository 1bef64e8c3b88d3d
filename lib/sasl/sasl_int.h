/* Internal helpers shared by the SASL client and server. */
#ifndef MP_SASL_INT_H
#define MP_SASL_INT_H

#include <string.h>

#include "mailproto/sasl.h"

/* SASL mechanism names are at most 20 characters (RFC 4422 §3.1). */
#define MP_SASL_MECH_NAME_MAX 20u

/* Check an identity: length, UTF-8, no NUL.  MP_OK, MP_ERR_SASL_TOO_LONG,
 * MP_ERR_UTF8 or MP_ERR_SASL_MESSAGE. */
mp_status mp_sasl_check_name(const char *p, size_t n);

/* SCRAM saslname escaping (RFC 5802 §5.1): ',' -> "=2C", '=' -> "=3D".
 * Writes into the outbuf (whole-or-nothing is the caller's mark). */
void mp_sasl_put_saslname(mp_outbuf *ob, const char *p, size_t n);

/* Reverse of the above into out[0..cap): MP_OK, MP_ERR_SASL_MESSAGE (a '='
 * not followed by "2C" / "3D", or a ','), MP_ERR_SASL_TOO_LONG. */
mp_status mp_sasl_unescape_saslname(const char *p, size_t n, char *out, size_t cap,
                                    size_t *outlen);

/* SCRAM printable (RFC 5802 §7): %x21-2B / %x2D-7E. */
int mp_sasl_scram_printable(const char *p, size_t n);

/* Fill `out[0..n)` with printable nonce characters from the provider's
 * random source (base64 alphabet, no ','). */
mp_status mp_sasl_random_nonce(const mp_crypto_provider *cp, char *out, size_t n);

/* SCRAM keys from SaltedPassword: ClientKey, StoredKey, ServerKey (each
 * hc->digest_size bytes; any output may be NULL). */
void mp_sasl_scram_keys(const mp_hash_class *hc, const uint8_t *salted, uint8_t *client_key,
                        uint8_t *stored_key, uint8_t *server_key);

/* One "x=value" attribute of a SCRAM message, starting at msg[*pos].  On
 * MP_OK `*name` is the letter, `*val` the value, and *pos is past the
 * following ',' (or at n).  MP_ERR_SASL_MESSAGE when no "x=" is there. */
mp_status mp_sasl_scram_attr(const char *msg, size_t n, size_t *pos, char *name, mp_slice *val);

/* SCRAM messages never hold NUL (RFC 5802 §7 value-char, saslname):
 * the offset of the first one, or n. */
static inline size_t mp_sasl_find_nul(const char *p, size_t n)
{
    const char *z = n > 0 ? (const char *)memchr(p, 0, n) : NULL;
    return z != NULL ? (size_t)(z - p) : n;
}

/* Lowercase hex of `n` bytes. */
void mp_sasl_put_hex(mp_outbuf *ob, const uint8_t *p, size_t n);

#endif
