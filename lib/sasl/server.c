/* SASL server: one state machine; the host decides at MP_PAUSED. */
#include <string.h>

#include "sasl_int.h"

typedef enum server_state {
    S_IDLE = 0,
    S_INIT,            /* started: first challenge or initial response due */
    S_FIRST,           /* empty challenge sent: the client's first message due */
    S_LOGIN_USER,      /* "Username:" sent */
    S_LOGIN_PASSWORD,  /* "Password:" sent */
    S_CRAM,            /* CRAM-MD5 challenge sent */
    S_PAUSED,          /* waiting for the host (s->want) */
    S_SCRAM_FINAL,     /* server-first sent: client-final due */
    S_SCRAM_ACK,       /* server-final sent as a challenge: empty response due */
    S_OAUTH_ERROR,     /* OAuth error challenge sent: the dummy response due */
    S_DONE,
    S_FAILED
} server_state;

typedef enum verdict {
    V_NONE = 0,
    V_ACCEPT,
    V_REJECT,
    V_KEYS             /* SCRAM: the host's keys are set */
} verdict;

#define ID_AUTHZ 0u
#define ID_AUTHC MP_SASL_MAX_NAME

/* Room that the SCRAM server-first message and separators need in buf. */
#define SERVER_FIRST_MAX \
    (2u + 2u * MP_SASL_MAX_NONCE + 3u + MP_BASE64_ENCODED_LEN(MP_SASL_MAX_SALT) + 3u + 10u + 2u)

static const char oauth_default_error[] = "{\"status\":\"invalid_token\"}";

static const mp_sasl_mech_info *info(const mp_sasl_server *s)
{
    return mp_sasl_mech_get((mp_sasl_mech)s->mech);
}

/* The defaults when the host gave no config (all empty). */
static const mp_sasl_server_config no_config;

static const mp_sasl_server_config *conf(const mp_sasl_server *s)
{
    return s->cfg != NULL ? s->cfg : &no_config;
}

static mp_status fail(mp_sasl_server *s, mp_status code, size_t off, const char *rule)
{
    return mp_error_set(&s->err, code, off, rule);
}

mp_status mp_sasl_server_start(mp_sasl_server *s, mp_sasl_mech mech,
                               const mp_crypto_provider *crypto,
                               const mp_sasl_server_config *cfg)
{
    const mp_sasl_mech_info *mi = mp_sasl_mech_get(mech);
    mp_status st;
    if (s == NULL) return MP_ERR_ARG;
    memset(s, 0, sizeof *s);
    if (mi == NULL) return fail(s, MP_ERR_SASL_MECH, 0, NULL);
    s->cfg = cfg;
    s->crypto = crypto;
    s->mech = (uint8_t)mech;
    if (mi->hash != MP_SASL_HASH_NONE) {
        s->hc = mp_sasl_mech_hash(mech, crypto);
        if (s->hc == NULL || s->hc->digest_size > MP_HASH_MAX_DIGEST)
            return fail(s, MP_ERR_UNSUPPORTED, 0, "crypto provider hash");
    }
    if (mi->flags & MP_SASL_MECH_CHANNEL_BINDING) {
        mp_slice t = conf(s)->cb_type, d = conf(s)->cb_data;
        if (t.len == 0 || d.len == 0 || t.ptr == NULL || d.ptr == NULL)
            return fail(s, MP_ERR_UNSUPPORTED, 0, "channel binding data");
    }
    if (mi->flags & MP_SASL_MECH_MUTUAL) {
        mp_slice n = conf(s)->scram_nonce;
        if (n.len > 0) {
            if (n.ptr == NULL || n.len > MP_SASL_MAX_NONCE || !mp_sasl_scram_printable(n.ptr, n.len))
                return fail(s, MP_ERR_ARG, 0, "scram_nonce");
            memcpy(s->snonce, n.ptr, n.len);
            s->snonce_len = (uint8_t)n.len;
        } else {
            s->snonce_len = 24;
            st = mp_sasl_random_nonce(crypto, s->snonce, s->snonce_len);
            if (st != MP_OK) return fail(s, st, 0, "random");
        }
    }
    if (mech == MP_SASL_CRAM_MD5) {
        /* RFC 2195 §2: a msg-id; ours is "<" random hex ".0@" host ">". */
        mp_slice ch = conf(s)->cram_challenge;
        mp_outbuf ob;
        mp_outbuf_init(&ob, s->buf, sizeof s->buf);
        if (ch.len > 0) {
            if (ch.ptr == NULL) return fail(s, MP_ERR_ARG, 0, "cram_challenge");
            mp_outbuf_put(&ob, ch.ptr, ch.len);
        } else {
            mp_slice host = conf(s)->hostname;
            uint8_t r[8];
            if (crypto == NULL || crypto->random == NULL)
                return fail(s, MP_ERR_UNSUPPORTED, 0, "random");
            if (crypto->random(crypto->random_user, r, sizeof r) != 0)
                return fail(s, MP_ERR_CRYPTO, 0, "random");
            mp_outbuf_putc(&ob, '<');
            mp_sasl_put_hex(&ob, r, sizeof r);
            mp_outbuf_puts(&ob, ".0@");
            if (host.len > 0 && host.ptr != NULL)
                mp_outbuf_put(&ob, host.ptr, host.len);
            else
                mp_outbuf_puts(&ob, "localhost");
            mp_outbuf_putc(&ob, '>');
        }
        if (mp_outbuf_commit(&ob, 0) != MP_OK) return fail(s, MP_ERR_ARG, 0, "cram_challenge");
        s->len = ob.len;
    }
    s->state = S_INIT;
    return MP_OK;
}

/* Copy a message into buf (responses never exceed it: checked in step). */
static const char *keep(mp_sasl_server *s, const char *m, size_t n)
{
    if (n > 0) memcpy(s->buf, m, n);
    s->len = n;
    return s->buf;
}

/* Identities parsed in place in buf move to idbuf before the host sees
 * them, so that they outlive the wipe of buf (the host may log the name
 * of a failed login). */
static int in_buf(const mp_sasl_server *s, const char *p)
{
    /* Integer compare: p may point anywhere (or be NULL). */
    uintptr_t x = (uintptr_t)p, lo = (uintptr_t)s->buf;
    return x >= lo && x - lo < sizeof s->buf;
}

static void settle_ids(mp_sasl_server *s)
{
    if (s->authzid.len > 0 && in_buf(s, s->authzid.ptr)) {
        memmove(s->idbuf + ID_AUTHZ, s->authzid.ptr, s->authzid.len);
        s->authzid.ptr = s->idbuf + ID_AUTHZ;
    }
    if (s->authcid.len > 0 && in_buf(s, s->authcid.ptr)) {
        memmove(s->idbuf + ID_AUTHC, s->authcid.ptr, s->authcid.len);
        s->authcid.ptr = s->idbuf + ID_AUTHC;
    }
}

static mp_status pause_for(mp_sasl_server *s, mp_sasl_want want)
{
    settle_ids(s);
    s->want = want;
    s->verdict = V_NONE;
    s->state = S_PAUSED;
    return MP_PAUSED;
}

static mp_status check_id(mp_sasl_server *s, mp_slice v, size_t off)
{
    mp_status st = mp_sasl_check_name(v.ptr, v.len);
    if (st == MP_ERR_SASL_TOO_LONG) return fail(s, st, off, "MP_SASL_MAX_NAME");
    if (st == MP_ERR_UTF8) return fail(s, st, off, MP_RULE_("RFC 4013 UTF-8 identity"));
    if (st != MP_OK) return fail(s, st, off, "identity");
    return MP_OK;
}

/* RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd */
static mp_status plain_first(mp_sasl_server *s, const char *m, size_t n)
{
    const char *b = keep(s, m, n);
    const char *z1 = memchr(b, 0, n), *z2;
    size_t a, c;
    mp_status st;
    if (z1 == NULL) return fail(s, MP_ERR_SASL_MESSAGE, n, MP_RULE_("RFC 4616 §2 message"));
    a = (size_t)(z1 - b);
    z2 = memchr(z1 + 1, 0, n - a - 1);
    if (z2 == NULL) return fail(s, MP_ERR_SASL_MESSAGE, n, MP_RULE_("RFC 4616 §2 message"));
    c = (size_t)(z2 - b);
    s->authzid = mp_slice_make(b, a);
    s->authcid = mp_slice_make(b + a + 1, c - a - 1);
    s->password = mp_slice_make(b + c + 1, n - c - 1);
    if ((st = check_id(s, s->authzid, 0)) != MP_OK) return st;
    if ((st = check_id(s, s->authcid, a + 1)) != MP_OK) return st;
    if (s->authcid.len == 0) return fail(s, MP_ERR_SASL_MESSAGE, a + 1,
                                         MP_RULE_("RFC 4616 §2 authcid"));
    if (s->password.len == 0 || memchr(s->password.ptr, 0, s->password.len) != NULL)
        return fail(s, MP_ERR_SASL_MESSAGE, c + 1, MP_RULE_("RFC 4616 §2 passwd"));
    return pause_for(s, MP_SASL_WANT_VERIFY);
}

/* The "auth" value: "Bearer" 1*SP b64token (RFC 6750 §2.1, RFC 7628 §3.1). */
static mp_status bearer(mp_sasl_server *s, mp_slice v, size_t off)
{
    size_t i = 6;
    if (v.len < 8 || !mp_slice_eq_ci(mp_slice_make(v.ptr, 6), "Bearer", 6) || v.ptr[6] != ' ')
        return fail(s, MP_ERR_SASL_MESSAGE, off, MP_RULE_("RFC 6750 §2.1 Bearer"));
    while (i < v.len && v.ptr[i] == ' ') i++;
    if (i == v.len) return fail(s, MP_ERR_SASL_MESSAGE, off + i,
                                MP_RULE_("RFC 6750 §2.1 b64token"));
    s->token = mp_slice_make(v.ptr + i, v.len - i);
    for (; i < v.len; i++) {
        unsigned char ch = (unsigned char)v.ptr[i];
        if (ch <= 0x20 || ch >= 0x7f) return fail(s, MP_ERR_SASL_MESSAGE, off + i,
                                                  MP_RULE_("RFC 6750 §2.1 b64token"));
    }
    return MP_OK;
}

/* kvpairs from `pos`: *(key "=" value kvsep) kvsep, nothing after
 * (RFC 7628 §3.1).  Picks "auth" and, for XOAUTH2, "user". */
static mp_status oauth_pairs(mp_sasl_server *s, const char *b, size_t n, size_t pos)
{
    int have_auth = 0;
    mp_status st;
    for (;;) {
        const char *sep;
        size_t end, eq, k;
        if (pos >= n) return fail(s, MP_ERR_SASL_MESSAGE, n, MP_RULE_("RFC 7628 §3.1 kvsep"));
        sep = memchr(b + pos, 1, n - pos);
        if (sep == NULL) return fail(s, MP_ERR_SASL_MESSAGE, n, MP_RULE_("RFC 7628 §3.1 kvsep"));
        end = (size_t)(sep - b);
        if (end == pos) break; /* the empty pair ends the message */
        for (k = pos; k < end && b[k] != '='; k++) {
            char ch = b[k];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')))
                return fail(s, MP_ERR_SASL_MESSAGE, k, MP_RULE_("RFC 7628 §3.1 key"));
        }
        if (k == pos || k == end) return fail(s, MP_ERR_SASL_MESSAGE, k,
                                              MP_RULE_("RFC 7628 §3.1 kvpair"));
        eq = k;
        for (k = eq + 1; k < end; k++) {
            unsigned char ch = (unsigned char)b[k];
            if ((ch < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') || ch == 0x7f)
                return fail(s, MP_ERR_SASL_MESSAGE, k, MP_RULE_("RFC 7628 §3.1 value"));
        }
        if (eq - pos == 4 && memcmp(b + pos, "auth", 4) == 0) {
            if (have_auth) return fail(s, MP_ERR_SASL_MESSAGE, pos,
                                       MP_RULE_("RFC 7628 §3.1 auth twice"));
            have_auth = 1;
            st = bearer(s, mp_slice_make(b + eq + 1, end - eq - 1), eq + 1);
            if (st != MP_OK) return st;
        } else if (s->mech == MP_SASL_XOAUTH2 && eq - pos == 4 && memcmp(b + pos, "user", 4) == 0) {
            s->authcid = mp_slice_make(b + eq + 1, end - eq - 1);
            if ((st = check_id(s, s->authcid, eq + 1)) != MP_OK) return st;
        }
        pos = end + 1;
    }
    if (pos + 1 != n) return fail(s, MP_ERR_SASL_MESSAGE, pos + 1,
                                  MP_RULE_("RFC 7628 §3.1 trailing data"));
    if (!have_auth) return fail(s, MP_ERR_SASL_MESSAGE, n, MP_RULE_("RFC 7628 §3.1 auth"));
    if (s->mech == MP_SASL_XOAUTH2 && s->authcid.len == 0)
        return fail(s, MP_ERR_SASL_MESSAGE, 0, "XOAUTH2 user");
    return pause_for(s, MP_SASL_WANT_VERIFY);
}

/* gs2 authzid: "a=" saslname, unescaped into idbuf. */
static mp_status gs2_authzid(mp_sasl_server *s, const char *b, size_t n, size_t *pos)
{
    size_t i = *pos, start, olen;
    const char *comma;
    mp_status st;
    if (i < n && b[i] == ',') {
        *pos = i + 1;
        return MP_OK;
    }
    if (n - i < 2 || b[i] != 'a' || b[i + 1] != '=')
        return fail(s, MP_ERR_SASL_MESSAGE, i, MP_RULE_("RFC 5802 §7 gs2-header authzid"));
    start = i + 2;
    comma = memchr(b + start, ',', n - start);
    if (comma == NULL) return fail(s, MP_ERR_SASL_MESSAGE, n, MP_RULE_("RFC 5802 §7 gs2-header"));
    st = mp_sasl_unescape_saslname(b + start, (size_t)(comma - b) - start, s->idbuf + ID_AUTHZ,
                                   MP_SASL_MAX_NAME, &olen);
    if (st != MP_OK)
        return fail(s, st, start, st == MP_ERR_SASL_TOO_LONG ? "MP_SASL_MAX_NAME" :
                    MP_RULE_("RFC 5802 §5.1 saslname"));
    s->authzid = mp_slice_make(s->idbuf + ID_AUTHZ, olen);
    if ((st = check_id(s, s->authzid, start)) != MP_OK) return st;
    *pos = (size_t)(comma - b) + 1;
    return MP_OK;
}

/* RFC 7628 §3.1: gs2-header kvsep *kvpair kvsep */
static mp_status oauthbearer_first(mp_sasl_server *s, const char *m, size_t n)
{
    const char *b = keep(s, m, n);
    size_t pos = 2;
    mp_status st;
    /* No channel binding in OAUTHBEARER: "n," or "y,". */
    if (n < 3 || (b[0] != 'n' && b[0] != 'y') || b[1] != ',')
        return fail(s, MP_ERR_SASL_MESSAGE, 0, MP_RULE_("RFC 7628 §3.1 gs2-header"));
    st = gs2_authzid(s, b, n, &pos);
    if (st != MP_OK) return st;
    if (pos >= n || b[pos] != 1) return fail(s, MP_ERR_SASL_MESSAGE, pos,
                                             MP_RULE_("RFC 7628 §3.1 kvsep"));
    return oauth_pairs(s, b, n, pos + 1);
}

/* Google: "user=" user ^A "auth=Bearer " token ^A ^A */
static mp_status xoauth2_first(mp_sasl_server *s, const char *m, size_t n)
{
    const char *b = keep(s, m, n);
    if (n < 5 || memcmp(b, "user=", 5) != 0)
        return fail(s, MP_ERR_SASL_MESSAGE, 0, "XOAUTH2 user=");
    return oauth_pairs(s, b, n, 0);
}

static mp_status external_first(mp_sasl_server *s, const char *m, size_t n)
{
    mp_status st;
    s->authzid = mp_slice_make(keep(s, m, n), n);
    if ((st = check_id(s, s->authzid, 0)) != MP_OK) return st;
    return pause_for(s, MP_SASL_WANT_VERIFY);
}

/* RFC 5802 §7 client-first-message = gs2-header client-first-message-bare
 * gs2-header = gs2-cbind-flag "," [ authzid ] ","
 * client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions] */
static mp_status scram_first(mp_sasl_server *s, const char *m, size_t n)
{
    const char *b = keep(s, m, n);
    const int plus = (info(s)->flags & MP_SASL_MECH_CHANNEL_BINDING) != 0;
    size_t pos, at, olen;
    char name;
    mp_slice v;
    mp_status st;

    if ((at = mp_sasl_find_nul(m, n)) < n)
        return fail(s, MP_ERR_SASL_MESSAGE, at, MP_RULE_("RFC 5802 §7 value-char"));
    if (n > MP_SASL_MAX_MESSAGE - SERVER_FIRST_MAX)
        return fail(s, MP_ERR_SASL_TOO_LONG, MP_SASL_MAX_MESSAGE - SERVER_FIRST_MAX,
                    "MP_SASL_MAX_MESSAGE (SCRAM AuthMessage)");
    if (n >= 2 && (b[0] == 'n' || b[0] == 'y') && b[1] == ',') {
        s->cb_flag = (uint8_t)b[0];
        pos = 2;
        /* -PLUS chosen but no binding sent, or "y" although the server
         * advertised -PLUS: a downgrade (RFC 5802 §6). */
        if (plus || (b[0] == 'y' && (conf(s)->flags & MP_SASL_SERVER_CB_ADVERTISED)))
            return fail(s, MP_ERR_SASL_CHANNEL_BINDING, 0, MP_RULE_("RFC 5802 §6 gs2-cbind-flag"));
    } else if (n >= 2 && b[0] == 'p' && b[1] == '=') {
        const char *comma = memchr(b + 2, ',', n - 2);
        mp_slice want = conf(s)->cb_type;
        if (comma == NULL) return fail(s, MP_ERR_SASL_MESSAGE, 2, MP_RULE_("RFC 5802 §7 cb-name"));
        if (!plus || (size_t)(comma - b) - 2 != want.len || memcmp(b + 2, want.ptr, want.len) != 0)
            return fail(s, MP_ERR_SASL_CHANNEL_BINDING, 2, MP_RULE_("RFC 5802 §6 cb-name"));
        s->cb_flag = 'p';
        pos = (size_t)(comma - b) + 1;
    } else {
        return fail(s, MP_ERR_SASL_MESSAGE, 0, MP_RULE_("RFC 5802 §7 gs2-cbind-flag"));
    }
    st = gs2_authzid(s, b, n, &pos);
    if (st != MP_OK) return st;
    s->gs2_len = pos;

    at = pos;
    if (pos >= n || mp_sasl_scram_attr(b, n, &pos, &name, &v) != MP_OK || name != 'n')
        return fail(s, MP_ERR_SASL_MESSAGE, at,
                    MP_RULE_(pos < n && b[pos] == 'm' ? "RFC 5802 §5.1 m= extension"
                                                       : "RFC 5802 §7 username"));
    st = mp_sasl_unescape_saslname(v.ptr, v.len, s->idbuf + ID_AUTHC, MP_SASL_MAX_NAME, &olen);
    if (st != MP_OK)
        return fail(s, st, at + 2, st == MP_ERR_SASL_TOO_LONG ? "MP_SASL_MAX_NAME" :
                    MP_RULE_("RFC 5802 §5.1 saslname"));
    s->authcid = mp_slice_make(s->idbuf + ID_AUTHC, olen);
    if ((st = check_id(s, s->authcid, at + 2)) != MP_OK) return st;
    if (olen == 0) return fail(s, MP_ERR_SASL_MESSAGE, at + 2, MP_RULE_("RFC 5802 §7 username"));

    at = pos;
    if (pos >= n || mp_sasl_scram_attr(b, n, &pos, &name, &v) != MP_OK || name != 'r')
        return fail(s, MP_ERR_SASL_MESSAGE, at, MP_RULE_("RFC 5802 §7 nonce"));
    if (v.len > MP_SASL_MAX_NONCE) return fail(s, MP_ERR_SASL_TOO_LONG, at + 2, "MP_SASL_MAX_NONCE");
    if (v.len == 0 || !mp_sasl_scram_printable(v.ptr, v.len))
        return fail(s, MP_ERR_SASL_NONCE, at + 2, MP_RULE_("RFC 5802 §7 c-nonce"));
    s->cnonce_off = (size_t)(v.ptr - b);
    s->cnonce_len = (uint8_t)v.len;
    while (pos < n) {
        at = pos;
        if (mp_sasl_scram_attr(b, n, &pos, &name, &v) != MP_OK)
            return fail(s, MP_ERR_SASL_MESSAGE, at, MP_RULE_("RFC 5802 §7 extensions"));
    }
    return pause_for(s, MP_SASL_WANT_SCRAM_KEYS);
}

/* After the host answered: server-first-message = nonce "," salt ","
 * iteration-count, appended to the AuthMessage in buf and sent. */
static mp_status scram_server_first(mp_sasl_server *s, mp_outbuf *ob, size_t *outlen)
{
    mp_outbuf am;
    size_t start;
    char b64[MP_BASE64_ENCODED_LEN(MP_SASL_MAX_SALT)];
    size_t w = 0;
    mp_outbuf_init(&am, s->buf, sizeof s->buf);
    am.len = am.want = s->len;
    mp_outbuf_putc(&am, ',');
    start = am.want;
    mp_outbuf_puts(&am, "r=");
    mp_outbuf_put(&am, s->buf + s->cnonce_off, s->cnonce_len);
    mp_outbuf_put(&am, s->snonce, s->snonce_len);
    mp_outbuf_puts(&am, ",s=");
    (void)mp_base64_encode(s->salt, s->salt_len, b64, sizeof b64, &w);
    mp_outbuf_put(&am, b64, w);
    mp_outbuf_puts(&am, ",i=");
    mp_outbuf_put_u64(&am, s->iterations);
    mp_outbuf_putc(&am, ',');
    /* Room was reserved when the client-first message was accepted. */
    if (mp_outbuf_commit(&am, s->len) != MP_OK) return fail(s, MP_ERR_SASL_TOO_LONG, 0, "MP_SASL_MAX_MESSAGE");
    mp_outbuf_put(ob, s->buf + start, am.len - start - 1);
    if (mp_outbuf_commit(ob, 0) != MP_OK) {
        *outlen = ob->need;
        return MP_ERR_NO_SPACE; /* buf not committed: s->len unchanged */
    }
    *outlen = ob->len;
    s->len = am.len;
    s->state = S_SCRAM_FINAL;
    return MP_NEED_MORE;
}

/* Compare the base64 c= value with gs2-header [cbind-data] in pieces. */
static int cbind_matches(const mp_sasl_server *s, mp_slice v)
{
    mp_base64_decoder d;
    mp_slice cbd = s->cb_flag == 'p' ? conf(s)->cb_data : mp_slice_make(NULL, 0);
    size_t total = s->gs2_len + cbd.len, got = 0, i = 0;
    uint8_t tmp[MP_BASE64_DECODED_MAX(64u + 3u)];
    mp_base64_decoder_init(&d, 0);
    while (i <= v.len) {
        size_t piece = v.len - i < 64 ? v.len - i : 64, k, w = 0;
        if (piece > 0) {
            if (mp_base64_decoder_update(&d, v.ptr + i, piece, tmp, &w) != MP_OK) return 0;
        } else if (mp_base64_decoder_finish(&d, tmp, &w) != MP_OK) {
            return 0;
        }
        for (k = 0; k < w; k++, got++) {
            uint8_t want;
            if (got >= total) return 0;
            want = got < s->gs2_len ? (uint8_t)s->buf[got] : (uint8_t)cbd.ptr[got - s->gs2_len];
            if (tmp[k] != want) return 0;
        }
        if (piece == 0) break;
        i += piece;
    }
    return got == total;
}

/* RFC 5802 §7 client-final-message = client-final-message-without-proof
 * "," proof;  without-proof = channel-binding "," nonce ["," extensions] */
static mp_status scram_final(mp_sasl_server *s, const char *m, size_t n, mp_outbuf *ob,
                             size_t *outlen)
{
    const size_t dlen = s->hc->digest_size;
    size_t pos = 0, at, wo_len, plen, i;
    char name;
    mp_slice v, proof = { NULL, 0 };
    uint8_t sig[MP_HASH_MAX_DIGEST], key[MP_HASH_MAX_DIGEST + 3];
    mp_hmac_ctx h;
    int ok;
    char b64[MP_BASE64_ENCODED_LEN(MP_HASH_MAX_DIGEST)];

    if (3u + MP_BASE64_ENCODED_LEN(dlen) > ob->cap) {
        *outlen = 3u + MP_BASE64_ENCODED_LEN(dlen);
        return MP_ERR_NO_SPACE;
    }
    if ((at = mp_sasl_find_nul(m, n)) < n)
        return fail(s, MP_ERR_SASL_MESSAGE, at, MP_RULE_("RFC 5802 §7 value-char"));
    if (mp_sasl_scram_attr(m, n, &pos, &name, &v) != MP_OK || name != 'c')
        return fail(s, MP_ERR_SASL_MESSAGE, 0, MP_RULE_("RFC 5802 §7 channel-binding"));
    if (!cbind_matches(s, v))
        return fail(s, MP_ERR_SASL_CHANNEL_BINDING, 2,
                    MP_RULE_("RFC 5802 §7 c= gs2-header/cbind-data"));
    at = pos;
    if (pos >= n || mp_sasl_scram_attr(m, n, &pos, &name, &v) != MP_OK || name != 'r')
        return fail(s, MP_ERR_SASL_MESSAGE, at, MP_RULE_("RFC 5802 §7 nonce"));
    if (v.len != (size_t)s->cnonce_len + s->snonce_len ||
        memcmp(v.ptr, s->buf + s->cnonce_off, s->cnonce_len) != 0 ||
        memcmp(v.ptr + s->cnonce_len, s->snonce, s->snonce_len) != 0)
        return fail(s, MP_ERR_SASL_NONCE, at + 2, MP_RULE_("RFC 5802 §5.1 r= nonce"));
    for (;;) {
        at = pos;
        if (pos >= n || mp_sasl_scram_attr(m, n, &pos, &name, &v) != MP_OK)
            return fail(s, MP_ERR_SASL_MESSAGE, at, MP_RULE_("RFC 5802 §7 proof"));
        if (name == 'p') break;
    }
    /* proof is last: nothing may follow it. */
    if (pos != n || at == 0) return fail(s, MP_ERR_SASL_MESSAGE, pos,
                                         MP_RULE_("RFC 5802 §7 proof last"));
    proof = v;
    wo_len = at - 1;
    if (proof.len != MP_BASE64_ENCODED_LEN(dlen) ||
        mp_base64_decode(proof.ptr, proof.len, key, sizeof key, &plen) != MP_OK || plen != dlen)
        return fail(s, MP_ERR_SASL_MESSAGE, at + 2, MP_RULE_("RFC 5802 §7 proof base64"));

    /* ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage);
     * accept when H(ClientKey) == StoredKey. */
    mp_hmac_init(&h, s->hc, s->stored_key, dlen);
    mp_hmac_update(&h, s->buf + s->gs2_len, s->len - s->gs2_len);
    mp_hmac_update(&h, m, wo_len);
    mp_hmac_final(&h, sig);
    for (i = 0; i < dlen; i++) key[i] = (uint8_t)(key[i] ^ sig[i]);
    mp_hash(s->hc, key, dlen, sig);
    ok = mp_ct_equal(sig, s->stored_key, dlen) && s->verdict == V_KEYS;
    if (!ok) {
        mp_wipe(key, sizeof key);
        mp_wipe(sig, sizeof sig);
        return fail(s, MP_ERR_SASL_AUTH_FAILED, 0, MP_RULE_("RFC 5802 §3 ClientProof"));
    }
    /* ServerSignature = HMAC(ServerKey, AuthMessage) */
    mp_hmac_init(&h, s->hc, s->server_key, dlen);
    mp_hmac_update(&h, s->buf + s->gs2_len, s->len - s->gs2_len);
    mp_hmac_update(&h, m, wo_len);
    mp_hmac_final(&h, sig);
    mp_wipe(&h, sizeof h);
    mp_wipe(key, sizeof key);
    mp_outbuf_puts(ob, "v=");
    plen = 0;
    (void)mp_base64_encode(sig, dlen, b64, sizeof b64, &plen);
    mp_outbuf_put(ob, b64, plen);
    mp_wipe(sig, sizeof sig);
    (void)mp_outbuf_commit(ob, 0);
    *outlen = ob->len;
    mp_wipe(s->stored_key, sizeof s->stored_key);
    mp_wipe(s->server_key, sizeof s->server_key);
    if (conf(s)->flags & MP_SASL_SERVER_SUCCESS_DATA) {
        s->state = S_DONE;
        return MP_DONE;
    }
    s->state = S_SCRAM_ACK;
    return MP_NEED_MORE;
}

/* RFC 2195 §2: user SP 32 lowercase hex digits. */
static mp_status cram_response(mp_sasl_server *s, const char *m, size_t n)
{
    size_t sp = n, i;
    mp_status st;
    while (sp > 0 && m[sp - 1] != ' ') sp--;
    if (sp == 0 || n - sp != 32) return fail(s, MP_ERR_SASL_MESSAGE, sp,
                                             MP_RULE_("RFC 2195 §2 digest"));
    for (i = 0; i < 16; i++) {
        int hi = 0, lo = 0, k;
        for (k = 0; k < 2; k++) {
            char ch = m[sp + 2 * i + (size_t)k];
            int d;
            if (ch >= '0' && ch <= '9')
                d = ch - '0';
            else if (ch >= 'a' && ch <= 'f')
                d = ch - 'a' + 10;
            else
                return fail(s, MP_ERR_SASL_MESSAGE, sp + 2 * i + (size_t)k,
                            MP_RULE_("RFC 2195 §2 digest hex"));
            if (k == 0) hi = d; else lo = d;
        }
        s->stored_key[i] = (uint8_t)(hi * 16 + lo);
    }
    if (sp - 1 > MP_SASL_MAX_NAME) return fail(s, MP_ERR_SASL_TOO_LONG, 0, "MP_SASL_MAX_NAME");
    memcpy(s->idbuf + ID_AUTHC, m, sp - 1);
    s->authcid = mp_slice_make(s->idbuf + ID_AUTHC, sp - 1);
    if ((st = check_id(s, s->authcid, 0)) != MP_OK) return st;
    if (s->authcid.len == 0) return fail(s, MP_ERR_SASL_MESSAGE, 0, MP_RULE_("RFC 2195 §2 user"));
    return pause_for(s, MP_SASL_WANT_SECRET);
}

static mp_status login_user(mp_sasl_server *s, const char *m, size_t n, mp_outbuf *ob,
                            size_t *outlen)
{
    mp_status st;
    mp_outbuf_puts(ob, "Password:");
    if (mp_outbuf_commit(ob, 0) != MP_OK) {
        *outlen = ob->need;
        return MP_ERR_NO_SPACE;
    }
    if (n > MP_SASL_MAX_NAME) return fail(s, MP_ERR_SASL_TOO_LONG, 0, "MP_SASL_MAX_NAME");
    if (n > 0) memcpy(s->idbuf + ID_AUTHC, m, n);
    s->authcid = mp_slice_make(s->idbuf + ID_AUTHC, n);
    if ((st = check_id(s, s->authcid, 0)) != MP_OK) return st;
    if (n == 0) return fail(s, MP_ERR_SASL_MESSAGE, 0, "LOGIN user name");
    *outlen = ob->len;
    s->state = S_LOGIN_PASSWORD;
    return MP_NEED_MORE;
}

static mp_status first_message(mp_sasl_server *s, const char *m, size_t n)
{
    switch ((mp_sasl_mech)s->mech) {
    case MP_SASL_PLAIN: return plain_first(s, m, n);
    case MP_SASL_EXTERNAL: return external_first(s, m, n);
    case MP_SASL_XOAUTH2: return xoauth2_first(s, m, n);
    case MP_SASL_OAUTHBEARER: return oauthbearer_first(s, m, n);
    default: return scram_first(s, m, n);
    }
}

/* Simple output of a constant or buffered challenge. */
static mp_status challenge(mp_sasl_server *s, mp_outbuf *ob, size_t *outlen, const char *p,
                           size_t n, server_state next)
{
    mp_outbuf_put(ob, p, n);
    if (mp_outbuf_commit(ob, 0) != MP_OK) {
        *outlen = ob->need;
        return MP_ERR_NO_SPACE;
    }
    *outlen = ob->len;
    s->state = (uint8_t)next;
    return MP_NEED_MORE;
}

/* The host answered: go on. */
static mp_status resume(mp_sasl_server *s, mp_outbuf *ob, size_t *outlen)
{
    if (s->want == MP_SASL_WANT_SCRAM_KEYS) return scram_server_first(s, ob, outlen);
    if (s->verdict == V_ACCEPT) {
        s->state = S_DONE;
        return MP_DONE;
    }
    if (s->mech == MP_SASL_XOAUTH2 || s->mech == MP_SASL_OAUTHBEARER) {
        /* RFC 7628 §3.2.2: the error goes out as a challenge first. */
        mp_slice e = conf(s)->oauth_error;
        if (e.len == 0 || e.ptr == NULL) e = MP_SLICE_LIT(oauth_default_error);
        return challenge(s, ob, outlen, e.ptr, e.len, S_OAUTH_ERROR);
    }
    return fail(s, MP_ERR_SASL_AUTH_FAILED, 0, "rejected by the host");
}

static mp_status step(mp_sasl_server *s, const char *m, size_t n, mp_outbuf *ob, size_t *outlen)
{
    const int none = m == NULL;
    switch ((server_state)s->state) {
    case S_INIT:
        if (none) {
            if (info(s)->flags & MP_SASL_MECH_CLIENT_FIRST) return challenge(s, ob, outlen, "", 0, S_FIRST);
            if (s->mech == MP_SASL_LOGIN) return challenge(s, ob, outlen, "Username:", 9, S_LOGIN_USER);
            return challenge(s, ob, outlen, s->buf, s->len, S_CRAM);
        }
        if (info(s)->flags & MP_SASL_MECH_CLIENT_FIRST) return first_message(s, m, n);
        if (s->mech == MP_SASL_LOGIN && (conf(s)->flags & MP_SASL_SERVER_LOGIN_IR))
            return login_user(s, m, n, ob, outlen);
        return fail(s, MP_ERR_SASL_MESSAGE, 0,
                    MP_RULE_("RFC 4422 §5 no initial response allowed"));
    case S_PAUSED:
        if (!none || s->verdict == V_NONE) return fail(s, MP_ERR_STATE, 0, "paused: the host must answer");
        return resume(s, ob, outlen);
    case S_IDLE:
    case S_DONE:
    case S_FAILED:
        return fail(s, MP_ERR_STATE, 0, "exchange over");
    default:
        break;
    }
    if (none) return fail(s, MP_ERR_STATE, 0, "a response is due");
    switch ((server_state)s->state) {
    case S_FIRST:
        return first_message(s, m, n);
    case S_LOGIN_USER:
        return login_user(s, m, n, ob, outlen);
    case S_LOGIN_PASSWORD:
        if (n == 0 || memchr(m, 0, n) != NULL) return fail(s, MP_ERR_SASL_MESSAGE, 0, "LOGIN password");
        s->password = mp_slice_make(keep(s, m, n), n);
        return pause_for(s, MP_SASL_WANT_VERIFY);
    case S_CRAM:
        return cram_response(s, m, n);
    case S_SCRAM_FINAL:
        return scram_final(s, m, n, ob, outlen);
    case S_SCRAM_ACK:
        if (n != 0) return fail(s, MP_ERR_SASL_MESSAGE, 0, MP_RULE_("RFC 4422 §5 empty response"));
        s->state = S_DONE;
        return MP_DONE;
    case S_OAUTH_ERROR:
        /* Whatever the client said (0x01 by RFC 7628 §3.2.3), it failed. */
        return fail(s, MP_ERR_SASL_AUTH_FAILED, 0, "token rejected by the host");
    default:
        return fail(s, MP_ERR_STATE, 0, "state");
    }
}

mp_status mp_sasl_server_step(mp_sasl_server *s, const void *resp, size_t len, char *out,
                              size_t cap, size_t *outlen)
{
    mp_outbuf ob;
    mp_status st;
    if (s == NULL || outlen == NULL || (out == NULL && cap > 0)) return MP_ERR_ARG;
    *outlen = 0;
    if (resp == NULL && len > 0) return MP_ERR_ARG;
    if (resp != NULL && len > MP_SASL_MAX_MESSAGE) {
        s->state = S_FAILED;
        return fail(s, MP_ERR_SASL_TOO_LONG, MP_SASL_MAX_MESSAGE, "MP_SASL_MAX_MESSAGE");
    }
    mp_outbuf_init(&ob, out, cap);
    st = step(s, (const char *)resp, len, &ob, outlen);
    if (mp_is_error(st) && st != MP_ERR_NO_SPACE && st != MP_ERR_STATE) {
        /* A name still in buf (the message was malformed) goes with it. */
        if (in_buf(s, s->authzid.ptr)) s->authzid = mp_slice_make(NULL, 0);
        if (in_buf(s, s->authcid.ptr)) s->authcid = mp_slice_make(NULL, 0);
        s->state = S_FAILED;
        s->want = MP_SASL_WANT_NOTHING;
        s->password = mp_slice_make(NULL, 0);
        s->token = mp_slice_make(NULL, 0);
        mp_wipe(s->buf, sizeof s->buf);
        mp_wipe(s->stored_key, sizeof s->stored_key);
        mp_wipe(s->server_key, sizeof s->server_key);
    }
    return st;
}

mp_status mp_sasl_server_verify(mp_sasl_server *s, int ok)
{
    if (s == NULL) return MP_ERR_ARG;
    if (s->state != S_PAUSED || s->verdict != V_NONE) return MP_ERR_STATE;
    if (s->want == MP_SASL_WANT_VERIFY) {
        s->verdict = ok ? V_ACCEPT : V_REJECT;
        /* The secrets lived in buf: gone now. */
        if (s->password.len > 0) mp_wipe((void *)(uintptr_t)s->password.ptr, s->password.len);
        if (s->token.len > 0) mp_wipe((void *)(uintptr_t)s->token.ptr, s->token.len);
        s->password = mp_slice_make(NULL, 0);
        s->token = mp_slice_make(NULL, 0);
        return MP_OK;
    }
    if (ok) return MP_ERR_STATE; /* keys/secret needed, not a yes */
    if (s->want == MP_SASL_WANT_SECRET) {
        s->verdict = V_REJECT;
        return MP_OK;
    }
    if (s->want == MP_SASL_WANT_SCRAM_KEYS) {
        /* Unknown user: made-up salt and keys; the proof cannot match. */
        mp_slice sec = conf(s)->scram_fake_secret;
        uint8_t mac[MP_HASH_MAX_DIGEST];
        s->salt_len = 16;
        if (sec.len > 0 && sec.ptr != NULL) {
            mp_hmac(s->hc, sec.ptr, sec.len, s->authcid.ptr, s->authcid.len, mac);
            memcpy(s->salt, mac, s->salt_len);
            mp_wipe(mac, sizeof mac);
        } else if (s->crypto == NULL || s->crypto->random == NULL ||
                   s->crypto->random(s->crypto->random_user, s->salt, s->salt_len) != 0) {
            return MP_ERR_CRYPTO;
        }
        s->iterations = conf(s)->scram_fake_iterations != 0 ? conf(s)->scram_fake_iterations : 4096u;
        memset(s->stored_key, 0, sizeof s->stored_key);
        memset(s->server_key, 0, sizeof s->server_key);
        s->verdict = V_REJECT;
        return MP_OK;
    }
    return MP_ERR_STATE;
}

mp_status mp_sasl_server_set_scram(mp_sasl_server *s, const void *salt, size_t saltlen,
                                   uint32_t iterations, const uint8_t *stored_key,
                                   const uint8_t *server_key)
{
    if (s == NULL) return MP_ERR_ARG;
    if (s->state != S_PAUSED || s->want != MP_SASL_WANT_SCRAM_KEYS || s->verdict != V_NONE)
        return MP_ERR_STATE;
    if (iterations == 0 || stored_key == NULL || server_key == NULL || saltlen == 0 || salt == NULL)
        return MP_ERR_ARG;
    if (saltlen > MP_SASL_MAX_SALT) return MP_ERR_SASL_TOO_LONG;
    memcpy(s->salt, salt, saltlen);
    s->salt_len = (uint8_t)saltlen;
    s->iterations = iterations;
    memcpy(s->stored_key, stored_key, s->hc->digest_size);
    memcpy(s->server_key, server_key, s->hc->digest_size);
    s->verdict = V_KEYS;
    return MP_OK;
}

mp_status mp_sasl_server_set_secret(mp_sasl_server *s, const void *password, size_t len)
{
    uint8_t mac[MP_HASH_MAX_DIGEST];
    int ok;
    if (s == NULL || (password == NULL && len > 0)) return MP_ERR_ARG;
    if (s->state != S_PAUSED || s->want != MP_SASL_WANT_SECRET || s->verdict != V_NONE)
        return MP_ERR_STATE;
    /* RFC 2195 §2: HMAC-MD5 keyed with the secret over the challenge. */
    mp_hmac(s->hc, password, len, s->buf, s->len, mac);
    ok = mp_ct_equal(mac, s->stored_key, s->hc->digest_size);
    mp_wipe(mac, sizeof mac);
    mp_wipe(s->stored_key, sizeof s->stored_key);
    s->verdict = ok ? V_ACCEPT : V_REJECT;
    return MP_OK;
}

void mp_sasl_server_wipe(mp_sasl_server *s)
{
    if (s != NULL) mp_wipe(s, sizeof *s);
}
