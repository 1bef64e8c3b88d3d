/* SASL client: one state machine, one branch per mechanism step. */
#include <string.h>

#include "sasl_int.h"

typedef enum client_state {
    C_IDLE = 0,        /* not started or wiped */
    C_INIT,            /* started, nothing produced */
    C_LOGIN_PASSWORD,  /* LOGIN: user name sent, password due */
    C_SCRAM_FIRST,     /* SCRAM: client-first sent, server-first due */
    C_SCRAM_FINAL,     /* SCRAM: client-final sent, server-final due */
    C_SENT,            /* everything said; the outcome is the protocol's */
    C_VERIFIED,        /* SCRAM: server signature verified */
    C_OAUTH_FAILED,    /* OAuth error challenge answered */
    C_FAILED           /* an error ended the exchange */
} client_state;

#define RULE_SCRAM_FIRST MP_RULE_("RFC 5802 §7 server-first-message")
#define RULE_SCRAM_FINAL MP_RULE_("RFC 5802 §7 server-final-message")

static const mp_sasl_mech_info *info(const mp_sasl_client *c)
{
    return mp_sasl_mech_get((mp_sasl_mech)c->mech);
}

static int has_byte(mp_slice s, int b)
{
    return s.len > 0 && memchr(s.ptr, b, s.len) != NULL;
}

static int slice_ok(mp_slice s)
{
    return s.ptr != NULL || s.len == 0;
}

/* Check the credentials a mechanism needs before anything is produced. */
static mp_status check_creds(mp_sasl_mech mech, const mp_sasl_credentials *cr)
{
    mp_status st;
    if (!slice_ok(cr->authzid) || !slice_ok(cr->username) || !slice_ok(cr->password) ||
        !slice_ok(cr->token) || !slice_ok(cr->oauth_host) || !slice_ok(cr->cb_type) ||
        !slice_ok(cr->cb_data))
        return MP_ERR_ARG;
    if ((st = mp_sasl_check_name(cr->authzid.ptr, cr->authzid.len)) != MP_OK) return st;
    if ((st = mp_sasl_check_name(cr->username.ptr, cr->username.len)) != MP_OK) return st;
    switch (mech) {
    case MP_SASL_PLAIN:
    case MP_SASL_LOGIN:
    case MP_SASL_CRAM_MD5:
        /* RFC 4616 §2: authcid and passwd are 1*SAFE (no NUL). */
        if (cr->username.len == 0) return MP_ERR_ARG;
        if (has_byte(cr->password, 0)) return MP_ERR_SASL_MESSAGE;
        if (mech == MP_SASL_PLAIN && cr->password.len == 0) return MP_ERR_ARG;
        break;
    case MP_SASL_SCRAM_SHA_1:
    case MP_SASL_SCRAM_SHA_256:
    case MP_SASL_SCRAM_SHA_1_PLUS:
    case MP_SASL_SCRAM_SHA_256_PLUS:
        if (cr->username.len == 0) return MP_ERR_ARG;
        if (cr->password.len == 0 && cr->scram_salted_password == NULL) return MP_ERR_ARG;
        if (cr->scram_salt_len > 0 && cr->scram_salt == NULL) return MP_ERR_ARG;
        break;
    case MP_SASL_XOAUTH2:
    case MP_SASL_OAUTHBEARER:
        /* 0x01 separates the key/value pairs (RFC 7628 §3.1). */
        if (cr->token.len == 0) return MP_ERR_ARG;
        if (mech == MP_SASL_XOAUTH2 && cr->username.len == 0) return MP_ERR_ARG;
        if (has_byte(cr->token, 1) || has_byte(cr->username, 1) || has_byte(cr->authzid, 1) ||
            has_byte(cr->oauth_host, 1) ||
            has_byte(cr->token, 0) || has_byte(cr->oauth_host, 0))
            return MP_ERR_SASL_MESSAGE;
        break;
    default:
        break;
    }
    return MP_OK;
}

mp_status mp_sasl_client_start(mp_sasl_client *c, mp_sasl_mech mech,
                               const mp_sasl_credentials *creds,
                               const mp_crypto_provider *crypto)
{
    const mp_sasl_mech_info *mi = mp_sasl_mech_get(mech);
    mp_status st;
    if (c == NULL || creds == NULL) return MP_ERR_ARG;
    memset(c, 0, sizeof *c);
    if (mi == NULL) return mp_error_set(&c->err, MP_ERR_SASL_MECH, 0, NULL);
    if (mi->hash != MP_SASL_HASH_NONE) {
        c->hc = mp_sasl_mech_hash(mech, crypto);
        if (c->hc == NULL || c->hc->digest_size > MP_HASH_MAX_DIGEST)
            return mp_error_set(&c->err, MP_ERR_UNSUPPORTED, 0, "crypto provider hash");
    }
    st = check_creds(mech, creds);
    if (st != MP_OK) return mp_error_set(&c->err, st, 0, "credentials");
    if (mi->flags & MP_SASL_MECH_CHANNEL_BINDING) {
        if (creds->cb_type.len == 0 || creds->cb_data.len == 0 ||
            !mp_sasl_scram_printable(creds->cb_type.ptr, creds->cb_type.len) ||
            creds->cb_type.len > MP_SASL_MAX_NAME || creds->cb_data.len > MP_SASL_MAX_NAME)
            return mp_error_set(&c->err, MP_ERR_UNSUPPORTED, 0, "channel binding data");
    }
    if (mi->flags & MP_SASL_MECH_MUTUAL) {
        /* 24 characters = 144 bits of the random source. */
        c->nonce_len = 24;
        st = mp_sasl_random_nonce(crypto, c->nonce, c->nonce_len);
        if (st != MP_OK) return mp_error_set(&c->err, st, 0, "random");
    }
    c->creds = creds;
    c->crypto = crypto;
    c->mech = (uint8_t)mech;
    c->state = C_INIT;
    return MP_OK;
}

mp_status mp_sasl_client_set_nonce(mp_sasl_client *c, const char *nonce, size_t len)
{
    if (c == NULL || nonce == NULL || len == 0 || len > MP_SASL_MAX_NONCE ||
        !mp_sasl_scram_printable(nonce, len))
        return MP_ERR_ARG;
    if (c->state != C_INIT || !(info(c)->flags & MP_SASL_MECH_MUTUAL)) return MP_ERR_STATE;
    memcpy(c->nonce, nonce, len);
    c->nonce_len = (uint8_t)len;
    return MP_OK;
}

/* Where SCRAM message pieces go: the output as they are, the output
 * base64-encoded (the c= attribute), or an HMAC (the AuthMessage).  One
 * writer per message keeps the three views byte-identical. */
typedef struct sink {
    mp_outbuf *ob;
    mp_base64_encoder *enc;  /* non-NULL: encode into ob */
    mp_hmac_ctx *h;          /* non-NULL: MAC instead of writing */
} sink;

static void sput(sink *k, const void *p, size_t n)
{
    const char *b = (const char *)p;
    char tmp[64];
    if (k->h != NULL) {
        mp_hmac_update(k->h, p, n);
        return;
    }
    if (k->enc == NULL) {
        mp_outbuf_put(k->ob, p, n);
        return;
    }
    while (n > 0) {
        /* 45 bytes + 2 carried encode to at most 64 characters. */
        size_t piece = n < 45 ? n : 45;
        size_t w = mp_base64_encoder_update(k->enc, b, piece, tmp);
        mp_outbuf_put(k->ob, tmp, w);
        b += piece;
        n -= piece;
    }
}

static void sputs(sink *k, const char *s) { sput(k, s, strlen(s)); }

/* saslname (RFC 5802 §5.1): ',' -> "=2C", '=' -> "=3D". */
static void sput_saslname(sink *k, mp_slice v)
{
    size_t i, start = 0;
    for (i = 0; i < v.len; i++) {
        if (v.ptr[i] != ',' && v.ptr[i] != '=') continue;
        sput(k, v.ptr + start, i - start);
        sputs(k, v.ptr[i] == ',' ? "=2C" : "=3D");
        start = i + 1;
    }
    sput(k, v.ptr + start, v.len - start);
}

/* gs2-header (RFC 5802 §7): gs2-cbind-flag "," [ authzid ] ",". */
static void put_gs2_header(sink *k, const mp_sasl_client *c)
{
    const mp_sasl_credentials *cr = c->creds;
    if (info(c)->flags & MP_SASL_MECH_CHANNEL_BINDING) {
        sputs(k, "p=");
        sput(k, cr->cb_type.ptr, cr->cb_type.len);
    } else {
        sputs(k, cr->cb_supported ? "y" : "n");
    }
    sputs(k, ",");
    if (cr->authzid.len > 0) {
        sputs(k, "a=");
        sput_saslname(k, cr->authzid);
    }
    sputs(k, ",");
}

/* client-first-message-bare: "n=" saslname ",r=" c-nonce. */
static void put_scram_bare(sink *k, const mp_sasl_client *c)
{
    sputs(k, "n=");
    sput_saslname(k, c->creds->username);
    sputs(k, ",r=");
    sput(k, c->nonce, c->nonce_len);
}

/* The first message of a client-first mechanism. */
static void put_initial(mp_outbuf *ob, const mp_sasl_client *c)
{
    const mp_sasl_credentials *cr = c->creds;
    switch ((mp_sasl_mech)c->mech) {
    case MP_SASL_PLAIN:
        /* RFC 4616 §2: [authzid] NUL authcid NUL passwd */
        mp_outbuf_put(ob, cr->authzid.ptr, cr->authzid.len);
        mp_outbuf_putc(ob, '\0');
        mp_outbuf_put(ob, cr->username.ptr, cr->username.len);
        mp_outbuf_putc(ob, '\0');
        mp_outbuf_put(ob, cr->password.ptr, cr->password.len);
        break;
    case MP_SASL_EXTERNAL:
        mp_outbuf_put(ob, cr->authzid.ptr, cr->authzid.len);
        break;
    case MP_SASL_XOAUTH2:
        /* Google: "user=" user ^A "auth=Bearer " token ^A ^A */
        mp_outbuf_puts(ob, "user=");
        mp_outbuf_put(ob, cr->username.ptr, cr->username.len);
        mp_outbuf_puts(ob, "\001auth=Bearer ");
        mp_outbuf_put(ob, cr->token.ptr, cr->token.len);
        mp_outbuf_puts(ob, "\001\001");
        break;
    case MP_SASL_OAUTHBEARER: {
        /* RFC 7628 §3.1: gs2-header kvsep *kvpair "auth=..." kvsep kvsep */
        mp_slice a = cr->authzid.len > 0 ? cr->authzid : cr->username;
        mp_outbuf_puts(ob, "n,");
        if (a.len > 0) {
            mp_outbuf_puts(ob, "a=");
            mp_sasl_put_saslname(ob, a.ptr, a.len);
        }
        mp_outbuf_puts(ob, ",\001");
        if (cr->oauth_host.len > 0) {
            mp_outbuf_puts(ob, "host=");
            mp_outbuf_put(ob, cr->oauth_host.ptr, cr->oauth_host.len);
            mp_outbuf_putc(ob, '\001');
            if (cr->oauth_port != 0) {
                mp_outbuf_puts(ob, "port=");
                mp_outbuf_put_u64(ob, cr->oauth_port);
                mp_outbuf_putc(ob, '\001');
            }
        }
        mp_outbuf_puts(ob, "auth=Bearer ");
        mp_outbuf_put(ob, cr->token.ptr, cr->token.len);
        mp_outbuf_puts(ob, "\001\001");
        break;
    }
    case MP_SASL_SCRAM_SHA_1:
    case MP_SASL_SCRAM_SHA_256:
    case MP_SASL_SCRAM_SHA_1_PLUS:
    case MP_SASL_SCRAM_SHA_256_PLUS:
    {
        sink k = { ob, NULL, NULL };
        put_gs2_header(&k, c);
        put_scram_bare(&k, c);
        break;
    }
    default:
        break;
    }
}

/* Commit a message; on success return `next` and move to `state`. */
static mp_status emit(mp_sasl_client *c, mp_outbuf *ob, size_t *outlen, mp_status next,
                      client_state state)
{
    mp_status st = mp_outbuf_commit(ob, 0);
    if (st != MP_OK) {
        *outlen = ob->need;
        return st; /* nothing changed: retry with room */
    }
    *outlen = ob->len;
    c->state = (uint8_t)state;
    return next;
}

static mp_status initial(mp_sasl_client *c, mp_outbuf *ob, size_t *outlen)
{
    if (info(c)->flags & MP_SASL_MECH_MUTUAL) {
        put_initial(ob, c);
        return emit(c, ob, outlen, MP_NEED_MORE, C_SCRAM_FIRST);
    }
    put_initial(ob, c);
    return emit(c, ob, outlen, MP_DONE, C_SENT);
}

mp_status mp_sasl_client_initial(mp_sasl_client *c, char *out, size_t cap, size_t *outlen)
{
    mp_outbuf ob;
    if (c == NULL || outlen == NULL || (out == NULL && cap > 0)) return MP_ERR_ARG;
    *outlen = 0;
    if (c->state != C_INIT || !(info(c)->flags & MP_SASL_MECH_CLIENT_FIRST))
        return MP_ERR_STATE;
    mp_outbuf_init(&ob, out, cap);
    return initial(c, &ob, outlen);
}

/* HMAC(key, AuthMessage) with AuthMessage = client-first-message-bare ","
 * server-first-message "," client-final-message-without-proof.  The bare
 * message is regenerated from the borrowed credentials. */
static void auth_message_mac(const mp_sasl_client *c, const uint8_t *key, mp_slice server_first,
                             mp_slice final_wo_proof, uint8_t *mac)
{
    mp_hmac_ctx h;
    sink k = { NULL, NULL, &h };
    mp_hmac_init(&h, c->hc, key, c->hc->digest_size);
    put_scram_bare(&k, c);
    sputs(&k, ",");
    sput(&k, server_first.ptr, server_first.len);
    sputs(&k, ",");
    sput(&k, final_wo_proof.ptr, final_wo_proof.len);
    mp_hmac_final(&h, mac);
    mp_wipe(&h, sizeof h);
}

/* Parse server-first-message (RFC 5802 §7):
 *   [reserved-mext ","] nonce "," salt "," iteration-count ["," extensions]
 * Fills the salt and iteration count into `c`, the combined nonce into
 * `*nonce`. */
static mp_status parse_server_first(mp_sasl_client *c, const char *m, size_t n, mp_slice *nonce)
{
    size_t pos = 0, at;
    char name;
    mp_slice v;
    uint64_t iter;
    mp_status st;
    size_t saltlen;

    if ((at = mp_sasl_find_nul(m, n)) < n)
        return mp_error_set(&c->err, MP_ERR_SASL_MESSAGE, at, MP_RULE_("RFC 5802 §7 value-char"));
    if (mp_sasl_scram_attr(m, n, &pos, &name, &v) != MP_OK || name != 'r') {
        /* "m=" is a mandatory extension we do not know: fail (§5.1). */
        return mp_error_set(&c->err, MP_ERR_SASL_MESSAGE, 0,
                            name == 'm' ? MP_RULE_("RFC 5802 §5.1 m= extension")
                                        : RULE_SCRAM_FIRST);
    }
    if (v.len <= c->nonce_len || memcmp(v.ptr, c->nonce, c->nonce_len) != 0 ||
        !mp_sasl_scram_printable(v.ptr, v.len))
        return mp_error_set(&c->err, MP_ERR_SASL_NONCE, 2, MP_RULE_("RFC 5802 §5.1 r= nonce"));
    if (v.len - c->nonce_len > MP_SASL_MAX_NONCE)
        return mp_error_set(&c->err, MP_ERR_SASL_TOO_LONG, 2, "MP_SASL_MAX_NONCE");
    *nonce = v;
    at = pos;
    if (pos >= n || mp_sasl_scram_attr(m, n, &pos, &name, &v) != MP_OK || name != 's' ||
        v.len == 0)
        return mp_error_set(&c->err, MP_ERR_SASL_MESSAGE, at, MP_RULE_("RFC 5802 §5.1 s= salt"));
    if (MP_BASE64_DECODED_MAX(v.len) > MP_SASL_MAX_SALT + 2u)
        return mp_error_set(&c->err, MP_ERR_SASL_TOO_LONG, at + 2, "MP_SASL_MAX_SALT");
    st = mp_base64_decode(v.ptr, v.len, c->salt, sizeof c->salt, &saltlen);
    if (st == MP_ERR_NO_SPACE)
        return mp_error_set(&c->err, MP_ERR_SASL_TOO_LONG, at + 2, "MP_SASL_MAX_SALT");
    if (st != MP_OK || saltlen == 0)
        return mp_error_set(&c->err, MP_ERR_SASL_MESSAGE, at + 2,
                            MP_RULE_("RFC 5802 §5.1 s= base64"));
    c->salt_len = (uint8_t)saltlen;
    at = pos;
    if (pos >= n || mp_sasl_scram_attr(m, n, &pos, &name, &v) != MP_OK || name != 'i')
        return mp_error_set(&c->err, MP_ERR_SASL_MESSAGE, at, MP_RULE_("RFC 5802 §5.1 i= count"));
    st = mp_parse_u64(v, MP_SASL_SCRAM_MAX_ITERATIONS, &iter);
    if (st == MP_ERR_SYNTAX || (v.len > 1 && v.ptr[0] == '0'))
        return mp_error_set(&c->err, MP_ERR_SASL_MESSAGE, at + 2,
                            MP_RULE_("RFC 5802 §7 posit-number"));
    if (st != MP_OK || iter < MP_SASL_SCRAM_MIN_ITERATIONS)
        return mp_error_set(&c->err, MP_ERR_SASL_ITERATIONS, at + 2,
                            "MP_SASL_SCRAM_MIN_ITERATIONS..MP_SASL_SCRAM_MAX_ITERATIONS");
    c->iterations = (uint32_t)iter;
    /* Extensions: well-formed attributes, ignored. */
    while (pos < n) {
        at = pos;
        if (mp_sasl_scram_attr(m, n, &pos, &name, &v) != MP_OK)
            return mp_error_set(&c->err, MP_ERR_SASL_MESSAGE, at,
                                MP_RULE_("RFC 5802 §7 extensions"));
    }
    return MP_OK;
}

/* server-first -> client-final-message. */
static mp_status scram_final(mp_sasl_client *c, const char *m, size_t n, mp_outbuf *ob,
                             size_t *outlen)
{
    const mp_sasl_credentials *cr = c->creds;
    const size_t dlen = c->hc->digest_size;
    uint8_t ck[MP_HASH_MAX_DIGEST], key[MP_HASH_MAX_DIGEST], sig[MP_HASH_MAX_DIGEST];
    mp_base64_encoder enc;
    char b64[MP_BASE64_ENCODED_LEN(MP_HASH_MAX_DIGEST)];
    sink k = { ob, &enc, NULL };
    mp_slice nonce, wo_proof;
    size_t i, w, wo_len, need;
    mp_status st;

    st = parse_server_first(c, m, n, &nonce);
    if (st != MP_OK) return st;

    /* client-final-message-without-proof: "c=" base64(gs2-header
     * [cbind-data]) ",r=" nonce.  Written first so that MP_ERR_NO_SPACE
     * comes before the costly PBKDF2. */
    mp_outbuf_puts(ob, "c=");
    mp_base64_encoder_init(&enc);
    put_gs2_header(&k, c);
    if (info(c)->flags & MP_SASL_MECH_CHANNEL_BINDING) sput(&k, cr->cb_data.ptr, cr->cb_data.len);
    w = mp_base64_encoder_finish(&enc, b64);
    mp_outbuf_put(ob, b64, w);
    mp_outbuf_puts(ob, ",r=");
    mp_outbuf_put(ob, nonce.ptr, nonce.len);
    wo_len = ob->want;
    need = wo_len + 3 + MP_BASE64_ENCODED_LEN(dlen);
    if (need > ob->cap) {
        *outlen = need;
        return MP_ERR_NO_SPACE; /* nothing changed but the parsed salt */
    }
    wo_proof = mp_slice_make(ob->buf, wo_len);

    /* SaltedPassword: the host's cache when salt and count match. */
    if (cr->scram_salted_password != NULL && cr->scram_iterations == c->iterations &&
        cr->scram_salt_len == c->salt_len &&
        memcmp(cr->scram_salt, c->salt, c->salt_len) == 0) {
        memcpy(c->salted_password, cr->scram_salted_password, dlen);
    } else {
        if (cr->password.len == 0)
            return mp_error_set(&c->err, MP_ERR_ARG, 0, "password (cache did not match)");
        st = mp_pbkdf2_hmac(c->hc, cr->password.ptr, cr->password.len, c->salt, c->salt_len,
                            c->iterations, c->salted_password, dlen);
        if (st != MP_OK) return mp_error_set(&c->err, MP_ERR_CRYPTO, 0, "PBKDF2");
    }
    /* ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage) */
    mp_sasl_scram_keys(c->hc, c->salted_password, ck, key, NULL);
    auth_message_mac(c, key, mp_slice_make(m, n), wo_proof, sig);
    for (i = 0; i < dlen; i++) ck[i] = (uint8_t)(ck[i] ^ sig[i]);
    /* ServerSignature = HMAC(ServerKey, AuthMessage), checked later. */
    mp_sasl_scram_keys(c->hc, c->salted_password, NULL, NULL, key);
    auth_message_mac(c, key, mp_slice_make(m, n), wo_proof, c->server_signature);
    mp_wipe(key, sizeof key);
    mp_wipe(sig, sizeof sig);

    mp_outbuf_puts(ob, ",p=");
    w = 0;
    (void)mp_base64_encode(ck, dlen, b64, sizeof b64, &w);
    mp_outbuf_put(ob, b64, w);
    mp_wipe(ck, sizeof ck);
    return emit(c, ob, outlen, MP_NEED_MORE, C_SCRAM_FINAL);
}

/* server-final-message = (server-error / verifier) ["," extensions] */
static mp_status scram_verify(mp_sasl_client *c, const char *m, size_t n)
{
    size_t pos = 0, siglen;
    char name;
    mp_slice v;
    uint8_t sig[MP_HASH_MAX_DIGEST + 3];
    int ok;
    if ((siglen = mp_sasl_find_nul(m, n)) < n)
        return mp_error_set(&c->err, MP_ERR_SASL_MESSAGE, siglen,
                            MP_RULE_("RFC 5802 §7 value-char"));
    if (mp_sasl_scram_attr(m, n, &pos, &name, &v) != MP_OK || (name != 'v' && name != 'e'))
        return mp_error_set(&c->err, MP_ERR_SASL_MESSAGE, 0, RULE_SCRAM_FINAL);
    if (name == 'e') return mp_error_set(&c->err, MP_ERR_SASL_AUTH_FAILED, 2,
                                         MP_RULE_("RFC 5802 §7 server-error"));
    if (v.len != MP_BASE64_ENCODED_LEN(c->hc->digest_size) ||
        mp_base64_decode(v.ptr, v.len, sig, sizeof sig, &siglen) != MP_OK ||
        siglen != c->hc->digest_size)
        return mp_error_set(&c->err, MP_ERR_SASL_MESSAGE, 2, MP_RULE_("RFC 5802 §7 verifier"));
    ok = mp_ct_equal(sig, c->server_signature, siglen);
    mp_wipe(sig, sizeof sig);
    if (!ok) return mp_error_set(&c->err, MP_ERR_SASL_SERVER_PROOF, 2,
                                 MP_RULE_("RFC 5802 §3 ServerSignature"));
    return MP_OK;
}

static mp_status step(mp_sasl_client *c, const char *ch, size_t len, mp_outbuf *ob,
                      size_t *outlen)
{
    const mp_sasl_credentials *cr = c->creds;
    mp_status st;
    switch ((client_state)c->state) {
    case C_INIT:
        if (info(c)->flags & MP_SASL_MECH_CLIENT_FIRST) {
            /* No SASL-IR: the server's empty challenge asks for it. */
            if (len != 0)
                return mp_error_set(&c->err, MP_ERR_SASL_MESSAGE, 0,
                                    MP_RULE_("RFC 4422 §5 empty challenge"));
            return initial(c, ob, outlen);
        }
        if (c->mech == MP_SASL_LOGIN) {
            mp_outbuf_put(ob, cr->username.ptr, cr->username.len);
            return emit(c, ob, outlen, MP_NEED_MORE, C_LOGIN_PASSWORD);
        }
        /* CRAM-MD5 (RFC 2195 §2): user SP hex(HMAC-MD5(password, challenge)) */
        if (len == 0) return mp_error_set(&c->err, MP_ERR_SASL_MESSAGE, 0,
                                          MP_RULE_("RFC 2195 challenge"));
        {
            uint8_t mac[MP_HASH_MAX_DIGEST];
            mp_outbuf_put(ob, cr->username.ptr, cr->username.len);
            mp_outbuf_putc(ob, ' ');
            mp_hmac(c->hc, cr->password.ptr, cr->password.len, ch, len, mac);
            mp_sasl_put_hex(ob, mac, c->hc->digest_size);
            mp_wipe(mac, sizeof mac);
        }
        return emit(c, ob, outlen, MP_DONE, C_SENT);
    case C_LOGIN_PASSWORD:
        mp_outbuf_put(ob, cr->password.ptr, cr->password.len);
        return emit(c, ob, outlen, MP_DONE, C_SENT);
    case C_SCRAM_FIRST:
        return scram_final(c, ch, len, ob, outlen);
    case C_SCRAM_FINAL:
        st = scram_verify(c, ch, len);
        if (st != MP_OK) return st;
        return emit(c, ob, outlen, MP_DONE, C_VERIFIED);
    case C_SENT:
        if (c->mech == MP_SASL_XOAUTH2 || c->mech == MP_SASL_OAUTHBEARER) {
            /* The challenge is the server's JSON error; RFC 7628 §3.2.3:
             * answer with a lone kvsep (Google's XOAUTH2: an empty line). */
            if (c->mech == MP_SASL_OAUTHBEARER) mp_outbuf_putc(ob, '\001');
            return emit(c, ob, outlen, MP_DONE, C_OAUTH_FAILED);
        }
        return mp_error_set(&c->err, MP_ERR_SASL_MESSAGE, 0,
                            MP_RULE_("RFC 4422 §3.3 no challenge expected"));
    case C_VERIFIED:
        /* The server speaks out of turn. */
        return mp_error_set(&c->err, MP_ERR_SASL_MESSAGE, 0,
                            MP_RULE_("RFC 4422 §3.3 no challenge expected"));
    default:
        return mp_error_set(&c->err, MP_ERR_STATE, 0, "no challenge expected");
    }
}

mp_status mp_sasl_client_step(mp_sasl_client *c, const void *chal, size_t len, char *out,
                              size_t cap, size_t *outlen)
{
    mp_outbuf ob;
    mp_status st;
    if (c == NULL || outlen == NULL || (chal == NULL && len > 0) || (out == NULL && cap > 0))
        return MP_ERR_ARG;
    *outlen = 0;
    if (len > MP_SASL_MAX_MESSAGE) {
        c->state = C_FAILED;
        return mp_error_set(&c->err, MP_ERR_SASL_TOO_LONG, MP_SASL_MAX_MESSAGE,
                            "MP_SASL_MAX_MESSAGE");
    }
    mp_outbuf_init(&ob, out, cap);
    st = step(c, (const char *)chal, len, &ob, outlen);
    if (mp_is_error(st) && st != MP_ERR_NO_SPACE && st != MP_ERR_STATE) c->state = C_FAILED;
    return st;
}

mp_status mp_sasl_client_finish(mp_sasl_client *c)
{
    mp_status st;
    if (c == NULL) return MP_ERR_ARG;
    switch ((client_state)c->state) {
    case C_SENT:
    case C_VERIFIED:
        st = MP_OK;
        break;
    case C_INIT:
    case C_SCRAM_FIRST:
    case C_SCRAM_FINAL:
        /* Success claimed before the mechanism ended; for SCRAM without the
         * server signature (RFC 5802 §9): do not believe it. */
        st = (info(c)->flags & MP_SASL_MECH_MUTUAL) ? MP_ERR_SASL_SERVER_PROOF : MP_ERR_STATE;
        break;
    case C_OAUTH_FAILED:
        st = MP_ERR_SASL_AUTH_FAILED;
        break;
    default:
        st = MP_ERR_STATE;
        break;
    }
    mp_wipe(c->server_signature, sizeof c->server_signature);
    if (st != MP_OK) {
        c->err.code = st;
        c->state = C_FAILED;
    }
    return st;
}

mp_status mp_sasl_client_scram_cache(const mp_sasl_client *c, const uint8_t **salt,
                                     size_t *saltlen, uint32_t *iterations,
                                     const uint8_t **salted_password, size_t *splen)
{
    if (c == NULL || salt == NULL || saltlen == NULL || iterations == NULL ||
        salted_password == NULL || splen == NULL)
        return MP_ERR_ARG;
    if (c->iterations == 0 || c->hc == NULL || !(info(c)->flags & MP_SASL_MECH_MUTUAL) ||
        (c->state != C_SCRAM_FINAL && c->state != C_VERIFIED))
        return MP_ERR_STATE;
    *salt = c->salt;
    *saltlen = c->salt_len;
    *iterations = c->iterations;
    *salted_password = c->salted_password;
    *splen = c->hc->digest_size;
    return MP_OK;
}

void mp_sasl_client_wipe(mp_sasl_client *c)
{
    if (c != NULL) mp_wipe(c, sizeof *c);
}
