/* libFuzzer target: SASL server.
 *
 * Input: byte 0 picks the mechanism, byte 1 the flags, then client
 * messages, each a 2-byte little-endian length and that many bytes.
 * Oracles beyond "no crash":
 *  (a) the server never reports MP_DONE unless the host (below) accepted:
 *      verify(1), or real SCRAM keys / the CRAM secret of the right user;
 *      identities exposed at MP_PAUSED lie inside the struct and within
 *      MP_SASL_MAX_NAME; output never exceeds the buffer.
 *  (b) a client/server round trip with credentials taken from the input
 *      succeeds with the right password or token and fails with a wrong
 *      one, and the client believes the success (mp_sasl_client_finish).
 *      For SCRAM the secret is a SaltedPassword (see scram_keys).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/sasl.h"

#include "fuzz_split.h"

enum {
    F_IR = 1u << 0,           /* the first message is an initial response */
    F_SUCCESS_DATA = 1u << 1,
    F_LOGIN_IR = 1u << 2,
    F_CB_ADVERTISED = 1u << 3,
    F_ACCEPT = 1u << 4,       /* the host says yes to VERIFY */
    F_KNOWN = 1u << 5,        /* the host knows the SCRAM / CRAM user */
    F_ROUNDTRIP = 1u << 6
};

static const char host_pass[] = "pencil";
static const uint8_t host_salt[] = { 0x41, 0x25, 0xc2, 0x47, 0xe4, 0x3a, 0xb1, 0xe9, 0x3c, 0x6d, 0xff, 0x76 };

typedef struct host {
    int accepted;  /* the host let this exchange succeed */
} host;

static void check_ids(const mp_sasl_server *s)
{
    const char *lo = (const char *)s, *hi = lo + sizeof *s;
    if (s->authcid.len > MP_SASL_MAX_NAME || s->authzid.len > MP_SASL_MAX_NAME) abort();
    if (s->authcid.len > 0 && (s->authcid.ptr < lo || s->authcid.ptr + s->authcid.len > hi)) abort();
    if (s->authzid.len > 0 && (s->authzid.ptr < lo || s->authzid.ptr + s->authzid.len > hi)) abort();
}

static void answer(mp_sasl_server *s, const mp_crypto_provider *cp, unsigned flags, host *h)
{
    check_ids(s);
    switch (s->want) {
    case MP_SASL_WANT_VERIFY:
        if (mp_sasl_server_verify(s, (flags & F_ACCEPT) != 0) != MP_OK) abort();
        h->accepted = (flags & F_ACCEPT) != 0;
        break;
    case MP_SASL_WANT_SCRAM_KEYS:
        if (flags & F_KNOWN) {
            uint8_t sk[32], svk[32];
            /* 4096 iterations: the client minimum; cached per mechanism. */
            static uint8_t cache[2][2][32];
            static int have[2];
            int i = s->mech == MP_SASL_SCRAM_SHA_256 || s->mech == MP_SASL_SCRAM_SHA_256_PLUS;
            if (!have[i]) {
                if (mp_sasl_scram_derive(i ? MP_SASL_SCRAM_SHA_256 : MP_SASL_SCRAM_SHA_1, cp, host_pass,
                                         6, host_salt, sizeof host_salt, 4096, cache[i][0], cache[i][1],
                                         NULL) != MP_OK)
                    abort();
                have[i] = 1;
            }
            memcpy(sk, cache[i][0], 32);
            memcpy(svk, cache[i][1], 32);
            if (mp_sasl_server_set_scram(s, host_salt, sizeof host_salt, 4096, sk, svk) != MP_OK) abort();
            h->accepted = 1; /* success now means the proof matched */
        } else if (mp_sasl_server_verify(s, 0) != MP_OK) {
            abort();
        }
        break;
    case MP_SASL_WANT_SECRET:
        if (flags & F_KNOWN) {
            if (mp_sasl_server_set_secret(s, host_pass, 6) != MP_OK) abort();
            h->accepted = 1;
        } else if (mp_sasl_server_verify(s, 0) != MP_OK) {
            abort();
        }
        break;
    default:
        abort();
    }
}

static void fuzz_messages(mp_sasl_mech mech, unsigned flags, const uint8_t *p, size_t n)
{
    static mp_sasl_server s;
    static char out[MP_SASL_MAX_MESSAGE];
    uint32_t seed = 1;
    mp_crypto_provider cp = mp_crypto_builtin(fuzz_det_random, &seed);
    mp_sasl_server_config cfg;
    host h = { 0 };
    size_t on;
    mp_status st;
    int first = 1;

    memset(&cfg, 0, sizeof cfg);
    cfg.flags = (flags & F_SUCCESS_DATA ? MP_SASL_SERVER_SUCCESS_DATA : 0u) |
                (flags & F_LOGIN_IR ? MP_SASL_SERVER_LOGIN_IR : 0u) |
                (flags & F_CB_ADVERTISED ? MP_SASL_SERVER_CB_ADVERTISED : 0u);
    cfg.cb_type = MP_SLICE_LIT("tls-exporter");
    cfg.cb_data = MP_SLICE_LIT("0123456789abcdef0123456789abcdef");
    cfg.scram_nonce = MP_SLICE_LIT("3rfcNHYJY1ZVvWVs7j");
    cfg.cram_challenge = MP_SLICE_LIT("<1896.697170952@postoffice.reston.mci.net>");
    if (mp_sasl_server_start(&s, mech, &cp, &cfg) != MP_OK) abort();
    if (!(flags & F_IR)) {
        st = mp_sasl_server_step(&s, NULL, 0, out, sizeof out, &on);
        if (st != MP_NEED_MORE) abort();
    }
    while (n >= 2) {
        size_t len = (size_t)p[0] | ((size_t)p[1] << 8);
        p += 2;
        n -= 2;
        if (len > n) len = n;
        /* A tight output buffer now and then: MP_ERR_NO_SPACE must be
         * retryable. */
        st = mp_sasl_server_step(&s, p, len, out, first ? 4 : sizeof out, &on);
        if (st == MP_ERR_NO_SPACE) {
            if (on <= 4) abort();
            st = mp_sasl_server_step(&s, p, len, out, sizeof out, &on);
        }
        first = 0;
        p += len;
        n -= len;
        while (st == MP_PAUSED) {
            answer(&s, &cp, flags, &h);
            st = mp_sasl_server_step(&s, NULL, 0, out, sizeof out, &on);
        }
        if (on > sizeof out) abort();
        if (st == MP_DONE && !h.accepted) abort(); /* oracle (a) */
        if (st == MP_DONE || (mp_is_error(st) && st != MP_ERR_STATE)) break;
    }
}

/* Printable credentials from the input (',' and '=' included, so SCRAM
 * escaping is exercised; no space in tokens: RFC 6750 b64token). */
static size_t take(const uint8_t **p, size_t *n, char *out, size_t max, int token)
{
    size_t len, i, used;
    if (*n == 0) return 0;
    len = 1 + (size_t)(**p) % max;
    (*p)++;
    (*n)--;
    for (i = 0; i < len; i++) {
        /* Past the end of the input: synthesized bytes. */
        uint8_t b = i < *n ? (*p)[i] : (uint8_t)(i * 7u);
        out[i] = token ? (char)(0x21 + b % 94) : (char)(0x20 + b % 95);
    }
    used = len < *n ? len : *n;
    *p += used;
    *n -= used;
    return len;
}

/* Host-side SCRAM data for the round trip.  PBKDF2 at 4096 iterations
 * under ASan costs ~100 ms, so the fuzzer skips it: SaltedPassword is a
 * hash of the password from the input, the host's keys follow from it
 * (RFC 5802 §3), and the client gets it through the SaltedPassword cache;
 * a wrong password is a wrong SaltedPassword.  The PBKDF2 path itself is
 * covered by the unit tests (RFC vectors). */
typedef struct scram_keys {
    uint8_t sk[32], svk[32], sp[32];
    int cached;  /* give the client the cache */
} scram_keys;

static void keys_from_sp(const mp_hash_class *hc, scram_keys *k)
{
    uint8_t ck[32];
    mp_hmac(hc, k->sp, hc->digest_size, "Client Key", 10, ck);
    mp_hash(hc, ck, hc->digest_size, k->sk);
    mp_hmac(hc, k->sp, hc->digest_size, "Server Key", 10, k->svk);
}

static mp_status roundtrip(mp_sasl_mech mech, const char *user, size_t ulen, const char *pass,
                           size_t plen, const char *spass, size_t splen, const scram_keys *keys,
                           mp_status *cfin)
{
    static mp_sasl_client c;
    static mp_sasl_server s;
    static char cout[MP_SASL_MAX_MESSAGE], sout[MP_SASL_MAX_MESSAGE];
    uint32_t seed = 7;
    mp_crypto_provider cp = mp_crypto_builtin(fuzz_det_random, &seed);
    mp_sasl_credentials cr;
    mp_sasl_server_config cfg;
    size_t cn, sn;
    mp_status cs, ss;
    int rounds = 0;

    memset(&cr, 0, sizeof cr);
    memset(&cfg, 0, sizeof cfg);
    cr.username = mp_slice_make(user, ulen);
    cr.password = mp_slice_make(pass, plen);
    cr.token = mp_slice_make(pass, plen);
    if (mech == MP_SASL_EXTERNAL) cr.authzid = mp_slice_make(pass, plen);
    cr.cb_type = MP_SLICE_LIT("tls-exporter");
    cr.cb_data = MP_SLICE_LIT("cbdata");
    cfg.cb_type = cr.cb_type;
    cfg.cb_data = cr.cb_data;
    if (keys->cached) {
        cr.scram_salted_password = keys->sp;
        cr.scram_salt = (const uint8_t *)"salt";
        cr.scram_salt_len = 4;
        cr.scram_iterations = 4096;
    }
    *cfin = MP_ERR_STATE;
    if (mp_sasl_client_start(&c, mech, &cr, &cp) != MP_OK) abort();
    if (mp_sasl_server_start(&s, mech, &cp, &cfg) != MP_OK) abort();
    if (mp_sasl_mech_get(mech)->flags & MP_SASL_MECH_CLIENT_FIRST) {
        cs = mp_sasl_client_initial(&c, cout, sizeof cout, &cn);
        if (cs != MP_NEED_MORE && cs != MP_DONE) abort();
        ss = mp_sasl_server_step(&s, cout, cn, sout, sizeof sout, &sn);
    } else {
        ss = mp_sasl_server_step(&s, NULL, 0, sout, sizeof sout, &sn);
    }
    for (;;) {
        if (++rounds > 8) abort();
        while (ss == MP_PAUSED) {
            /* The host holds user/spass (token: spass). */
            if (s.want == MP_SASL_WANT_VERIFY) {
                mp_slice got = s.token.len > 0 ? s.token : s.mech == MP_SASL_EXTERNAL ? s.authzid : s.password;
                int ok = got.len == splen && memcmp(got.ptr, spass, splen) == 0;
                if (mech != MP_SASL_EXTERNAL && mech != MP_SASL_OAUTHBEARER)
                    ok = ok && s.authcid.len == ulen && memcmp(s.authcid.ptr, user, ulen) == 0;
                if (mp_sasl_server_verify(&s, ok) != MP_OK) abort();
            } else if (s.want == MP_SASL_WANT_SECRET) {
                if (s.authcid.len != ulen || memcmp(s.authcid.ptr, user, ulen) != 0) abort();
                if (mp_sasl_server_set_secret(&s, spass, splen) != MP_OK) abort();
            } else {
                if (s.authcid.len != ulen || memcmp(s.authcid.ptr, user, ulen) != 0) abort();
                if (mp_sasl_server_set_scram(&s, "salt", 4, 4096, keys->sk, keys->svk) != MP_OK) abort();
            }
            ss = mp_sasl_server_step(&s, NULL, 0, sout, sizeof sout, &sn);
        }
        if (ss != MP_NEED_MORE) break;
        cs = mp_sasl_client_step(&c, sout, sn, cout, sizeof cout, &cn);
        if (cs != MP_NEED_MORE && cs != MP_DONE) abort();
        ss = mp_sasl_server_step(&s, cout, cn, sout, sizeof sout, &sn);
    }
    if (ss == MP_DONE) *cfin = mp_sasl_client_finish(&c);
    return ss;
}

static const uint8_t mech_pick[] = {
    MP_SASL_PLAIN, MP_SASL_LOGIN, MP_SASL_CRAM_MD5, MP_SASL_SCRAM_SHA_1, MP_SASL_SCRAM_SHA_256,
    MP_SASL_SCRAM_SHA_1_PLUS, MP_SASL_SCRAM_SHA_256_PLUS, MP_SASL_XOAUTH2, MP_SASL_OAUTHBEARER,
    MP_SASL_EXTERNAL,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mp_sasl_mech mech;
    unsigned flags;
    if (size < 2) return 0;
    mech = (mp_sasl_mech)mech_pick[data[0] % sizeof mech_pick];
    flags = data[1];
    fuzz_messages(mech, flags, data + 2, size - 2);

    if (flags & F_ROUNDTRIP) {
        char user[32], pass[32], wrong[33];
        const uint8_t *p = data + 2;
        size_t n = size - 2, ulen, plen;
        mp_status fin;
        int token = mech == MP_SASL_XOAUTH2 || mech == MP_SASL_OAUTHBEARER;
        static scram_keys keys, bad;
        ulen = take(&p, &n, user, sizeof user, 0);
        plen = take(&p, &n, pass, sizeof pass, token);
        if (ulen == 0 || plen == 0) return 0;
        memset(&keys, 0, sizeof keys);
        if (mp_sasl_mech_get(mech)->flags & MP_SASL_MECH_MUTUAL) {
            mp_crypto_provider cp = mp_crypto_builtin(NULL, NULL);
            const mp_hash_class *hc = mp_sasl_mech_hash(mech, &cp);
            mp_hash(hc, pass, plen, keys.sp);
            keys_from_sp(hc, &keys);
            keys.cached = 1;
        }
        bad = keys;
        bad.sp[0] ^= 1u; /* the client's wrong SaltedPassword; host keys stay */
        if (roundtrip(mech, user, ulen, pass, plen, pass, plen, &keys, &fin) != MP_DONE || fin != MP_OK)
            abort(); /* oracle (b): the right secret succeeds */
        memcpy(wrong, pass, plen);
        wrong[plen] = 'x';
        if (roundtrip(mech, user, ulen, wrong, plen + 1, pass, plen, &bad, &fin) !=
            MP_ERR_SASL_AUTH_FAILED)
            abort(); /* oracle (b): a wrong one fails */
    }
    return 0;
}
