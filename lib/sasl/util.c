/* Small shared pieces: UTF-8 and name checks, SCRAM saslname escaping,
 * attribute splitting, nonces and key derivation steps. */
#include <string.h>

#include "sasl_int.h"

mp_status mp_sasl_check_name(const char *p, size_t n)
{
    if (n > MP_SASL_MAX_NAME) return MP_ERR_SASL_TOO_LONG;
    if (n > 0 && memchr(p, 0, n) != NULL) return MP_ERR_SASL_MESSAGE;
    if (!mp_utf8_valid(p, n, NULL)) return MP_ERR_UTF8;
    return MP_OK;
}

void mp_sasl_put_saslname(mp_outbuf *ob, const char *p, size_t n)
{
    size_t i, start = 0;
    for (i = 0; i < n; i++) {
        if (p[i] != ',' && p[i] != '=') continue;
        mp_outbuf_put(ob, p + start, i - start);
        mp_outbuf_puts(ob, p[i] == ',' ? "=2C" : "=3D");
        start = i + 1;
    }
    mp_outbuf_put(ob, p + start, n - start);
}

mp_status mp_sasl_unescape_saslname(const char *p, size_t n, char *out, size_t cap,
                                    size_t *outlen)
{
    size_t i = 0, o = 0;
    while (i < n) {
        char c = p[i];
        if (c == ',') return MP_ERR_SASL_MESSAGE;
        if (c == '=') {
            /* RFC 5802 §5.1: '=' only as "=2C" or "=3D". */
            if (n - i < 3) return MP_ERR_SASL_MESSAGE;
            if (p[i + 1] == '2' && p[i + 2] == 'C')
                c = ',';
            else if (p[i + 1] == '3' && p[i + 2] == 'D')
                c = '=';
            else
                return MP_ERR_SASL_MESSAGE;
            i += 3;
        } else {
            i++;
        }
        if (o >= cap) return MP_ERR_SASL_TOO_LONG;
        out[o++] = c;
    }
    *outlen = o;
    return MP_OK;
}

int mp_sasl_scram_printable(const char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x21 || c > 0x7e || c == ',') return 0;
    }
    return 1;
}

mp_status mp_sasl_random_nonce(const mp_crypto_provider *cp, char *out, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    uint8_t r[MP_SASL_MAX_NONCE];
    size_t i;
    if (cp == NULL || cp->random == NULL) return MP_ERR_UNSUPPORTED;
    if (n > sizeof r) return MP_ERR_ARG;
    if (cp->random(cp->random_user, r, n) != 0) return MP_ERR_CRYPTO;
    for (i = 0; i < n; i++) out[i] = alphabet[r[i] & 63u];
    mp_wipe(r, sizeof r);
    return MP_OK;
}

void mp_sasl_scram_keys(const mp_hash_class *hc, const uint8_t *salted, uint8_t *client_key,
                        uint8_t *stored_key, uint8_t *server_key)
{
    uint8_t ck[MP_HASH_MAX_DIGEST];
    mp_hmac(hc, salted, hc->digest_size, "Client Key", 10, ck);
    if (client_key != NULL) memcpy(client_key, ck, hc->digest_size);
    if (stored_key != NULL) mp_hash(hc, ck, hc->digest_size, stored_key);
    if (server_key != NULL) mp_hmac(hc, salted, hc->digest_size, "Server Key", 10, server_key);
    mp_wipe(ck, sizeof ck);
}

mp_status mp_sasl_scram_attr(const char *msg, size_t n, size_t *pos, char *name, mp_slice *val)
{
    size_t i = *pos, start;
    const char *comma;
    if (n - i < 2 || msg[i + 1] != '=') return MP_ERR_SASL_MESSAGE;
    *name = msg[i];
    start = i + 2;
    comma = memchr(msg + start, ',', n - start);
    if (comma == NULL) {
        *val = mp_slice_make(msg + start, n - start);
        *pos = n;
    } else {
        size_t end = (size_t)(comma - msg);
        if (end + 1 == n) return MP_ERR_SASL_MESSAGE; /* trailing ',' */
        *val = mp_slice_make(msg + start, end - start);
        *pos = end + 1;
    }
    return MP_OK;
}

void mp_sasl_put_hex(mp_outbuf *ob, const uint8_t *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        mp_outbuf_putc(ob, hex[p[i] >> 4]);
        mp_outbuf_putc(ob, hex[p[i] & 15u]);
    }
}
