/* SASL mechanism table, names, the client's chooser and the base64 framing
 * helpers of the protocols that carry SASL. */
#include <string.h>

#include "sasl_int.h"

#define F_CF MP_SASL_MECH_CLIENT_FIRST
#define F_PT MP_SASL_MECH_PLAINTEXT
#define F_BE MP_SASL_MECH_BEARER
#define F_PW MP_SASL_MECH_PASSWORD
#define F_TK MP_SASL_MECH_TOKEN
#define F_MU MP_SASL_MECH_MUTUAL
#define F_CB MP_SASL_MECH_CHANNEL_BINDING
#define F_EX MP_SASL_MECH_EXTERNAL_ID

/* Indexed by mp_sasl_mech. */
static const mp_sasl_mech_info mech_table[MP_SASL_MECH_COUNT] = {
    { "", 0, MP_SASL_HASH_NONE, 0 },
    { "PLAIN", 5, MP_SASL_HASH_NONE, F_CF | F_PT | F_PW },
    { "LOGIN", 5, MP_SASL_HASH_NONE, F_PT | F_PW },
    { "CRAM-MD5", 8, MP_SASL_HASH_MD5, F_PW },
    { "SCRAM-SHA-1", 11, MP_SASL_HASH_SHA1, F_CF | F_PW | F_MU },
    { "SCRAM-SHA-256", 13, MP_SASL_HASH_SHA256, F_CF | F_PW | F_MU },
    { "SCRAM-SHA-1-PLUS", 16, MP_SASL_HASH_SHA1, F_CF | F_PW | F_MU | F_CB },
    { "SCRAM-SHA-256-PLUS", 18, MP_SASL_HASH_SHA256, F_CF | F_PW | F_MU | F_CB },
    { "XOAUTH2", 7, MP_SASL_HASH_NONE, F_CF | F_BE | F_TK },
    { "OAUTHBEARER", 11, MP_SASL_HASH_NONE, F_CF | F_BE | F_TK },
    { "EXTERNAL", 8, MP_SASL_HASH_NONE, F_CF | F_EX },
};

const mp_sasl_mech_info *mp_sasl_mech_get(mp_sasl_mech m)
{
    if ((unsigned)m == 0 || (unsigned)m >= MP_SASL_MECH_COUNT) return NULL;
    return &mech_table[m];
}

mp_sasl_mech mp_sasl_mech_from_name(const char *name, size_t len)
{
    unsigned i;
    if (name == NULL || len == 0 || len > MP_SASL_MECH_NAME_MAX) return MP_SASL_MECH_NONE;
    for (i = 1; i < MP_SASL_MECH_COUNT; i++) {
        if (mech_table[i].name_len == len &&
            mp_slice_eq_ci(mp_slice_make(name, len), mech_table[i].name, len))
            return (mp_sasl_mech)i;
    }
    return MP_SASL_MECH_NONE;
}

const mp_hash_class *mp_sasl_mech_hash(mp_sasl_mech m, const mp_crypto_provider *cp)
{
    const mp_sasl_mech_info *mi = mp_sasl_mech_get(m);
    if (mi == NULL || cp == NULL) return NULL;
    switch ((mp_sasl_hash)mi->hash) {
    case MP_SASL_HASH_MD5: return cp->md5;
    case MP_SASL_HASH_SHA1: return cp->sha1;
    case MP_SASL_HASH_SHA256: return cp->sha256;
    case MP_SASL_HASH_NONE: break;
    }
    return NULL;
}

mp_sasl_mech_set mp_sasl_mechs_parse(const char *list, size_t len, unsigned flags)
{
    mp_sasl_mech_set set = 0;
    size_t i = 0;
    if (list == NULL) return 0;
    while (i < len) {
        size_t start, n;
        mp_slice tok;
        int has_prefix;
        while (i < len && list[i] == ' ') i++;
        start = i;
        while (i < len && list[i] != ' ') i++;
        n = i - start;
        if (n == 0) continue;
        tok = mp_slice_make(list + start, n);
        has_prefix = n > 5 && mp_slice_eq_ci(mp_slice_make(tok.ptr, 5), "AUTH=", 5);
        if (has_prefix) {
            tok.ptr += 5;
            tok.len -= 5;
        } else if (flags & MP_SASL_LIST_IMAP) {
            continue; /* IMAP: "PLAIN" alone is not an AUTH capability */
        }
        set |= MP_SASL_MECH_BIT(mp_sasl_mech_from_name(tok.ptr, tok.len));
    }
    return set & ~MP_SASL_MECH_BIT(MP_SASL_MECH_NONE);
}

/* Preference orders, best first (issue 2: SCRAM-SHA-256 > SCRAM-SHA-1 >
 * CRAM-MD5 > PLAIN > LOGIN). */
static const uint8_t order_password[] = {
    MP_SASL_SCRAM_SHA_256_PLUS, MP_SASL_SCRAM_SHA_1_PLUS, MP_SASL_SCRAM_SHA_256,
    MP_SASL_SCRAM_SHA_1, MP_SASL_CRAM_MD5, MP_SASL_PLAIN, MP_SASL_LOGIN,
};
static const uint8_t order_token[] = { MP_SASL_OAUTHBEARER, MP_SASL_XOAUTH2 };

mp_sasl_mech mp_sasl_choose(mp_sasl_mech_set offered, unsigned flags)
{
    const uint8_t *order = order_password;
    size_t n = sizeof(order_password), i;
    if (flags & MP_SASL_CHOOSE_TOKEN) {
        order = order_token;
        n = sizeof(order_token);
    }
    for (i = 0; i < n; i++) {
        const mp_sasl_mech_info *mi = &mech_table[order[i]];
        if (!(offered & MP_SASL_MECH_BIT(order[i]))) continue;
        if ((mi->flags & (F_PT | F_BE)) && !(flags & MP_SASL_CHOOSE_PLAINTEXT_OK)) continue;
        if ((mi->flags & F_CB) && !(flags & MP_SASL_CHOOSE_CHANNEL_BINDING)) continue;
        return (mp_sasl_mech)order[i];
    }
    return MP_SASL_MECH_NONE;
}

/* ---- framing ----------------------------------------------------------- */

static mp_status decode_b64(const char *in, size_t n, void *out, size_t cap, size_t *outlen)
{
    mp_status st;
    size_t want;
    if (outlen == NULL || (in == NULL && n > 0)) return MP_ERR_ARG;
    if (n == 0) {
        *outlen = 0;
        return MP_OK;
    }
    /* Refuse before decoding: the decoded size is within 2 of this bound. */
    if (MP_BASE64_DECODED_MAX(n) > MP_SASL_MAX_MESSAGE + 2u) {
        *outlen = MP_BASE64_DECODED_MAX(n);
        return MP_ERR_SASL_TOO_LONG;
    }
    st = mp_base64_decode(in, n, out, cap, &want);
    if (st == MP_OK && want > MP_SASL_MAX_MESSAGE) st = MP_ERR_SASL_TOO_LONG;
    *outlen = want;
    return st;
}

mp_status mp_sasl_decode_response(const char *line, size_t n, void *out, size_t cap,
                                  size_t *outlen)
{
    /* RFC 4954 §4, RFC 9051 §6.2.2: a lone "*" cancels. */
    if (n == 1 && line != NULL && line[0] == '*') {
        if (outlen != NULL) *outlen = 0;
        return MP_ERR_SASL_CANCELLED;
    }
    return decode_b64(line, n, out, cap, outlen);
}

mp_status mp_sasl_decode_initial(const char *arg, size_t n, void *out, size_t cap,
                                 size_t *outlen)
{
    /* RFC 4954 §4: "=" is a zero-length initial response. */
    if (n == 1 && arg != NULL && arg[0] == '=') {
        if (outlen == NULL) return MP_ERR_ARG;
        *outlen = 0;
        return MP_OK;
    }
    return mp_sasl_decode_response(arg, n, out, cap, outlen);
}

mp_status mp_sasl_decode_challenge(const char *text, size_t n, void *out, size_t cap,
                                   size_t *outlen)
{
    return decode_b64(text, n, out, cap, outlen);
}

mp_status mp_sasl_encode(const void *msg, size_t n, char *out, size_t cap, size_t *outlen)
{
    if (outlen == NULL || (msg == NULL && n > 0)) return MP_ERR_ARG;
    if (n == 0) {
        *outlen = 0;
        return MP_OK;
    }
    return mp_base64_encode(msg, n, out, cap, outlen);
}

mp_status mp_sasl_encode_initial(const void *msg, size_t n, char *out, size_t cap,
                                 size_t *outlen)
{
    if (outlen == NULL) return MP_ERR_ARG;
    if (n == 0) {
        *outlen = 1;
        if (cap < 1 || out == NULL) return MP_ERR_NO_SPACE;
        out[0] = '=';
        return MP_OK;
    }
    return mp_sasl_encode(msg, n, out, cap, outlen);
}

/* ---- SCRAM stored keys ------------------------------------------------- */

mp_status mp_sasl_scram_derive(mp_sasl_mech mech, const mp_crypto_provider *cp,
                               const void *password, size_t pwlen, const void *salt,
                               size_t saltlen, uint32_t iterations, uint8_t *stored_key,
                               uint8_t *server_key, uint8_t *salted_password)
{
    const mp_sasl_mech_info *mi = mp_sasl_mech_get(mech);
    const mp_hash_class *hc;
    uint8_t sp[MP_HASH_MAX_DIGEST];
    mp_status st;

    if (mi == NULL || !(mi->flags & F_MU)) return MP_ERR_SASL_MECH;
    hc = mp_sasl_mech_hash(mech, cp);
    if (hc == NULL || hc->digest_size > MP_HASH_MAX_DIGEST) return MP_ERR_UNSUPPORTED;
    if (iterations == 0 || stored_key == NULL || server_key == NULL ||
        (password == NULL && pwlen > 0) || (salt == NULL && saltlen > 0))
        return MP_ERR_ARG;
    if (saltlen > MP_SASL_MAX_SALT) return MP_ERR_SASL_TOO_LONG;
    st = mp_pbkdf2_hmac(hc, password, pwlen, salt, saltlen, iterations, sp, hc->digest_size);
    if (st != MP_OK) return st;
    mp_sasl_scram_keys(hc, sp, NULL, stored_key, server_key);
    if (salted_password != NULL) memcpy(salted_password, sp, hc->digest_size);
    mp_wipe(sp, sizeof sp);
    return MP_OK;
}
