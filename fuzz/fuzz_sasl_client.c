/* libFuzzer target: SASL client facing a hostile server.
 *
 * Input: byte 0 picks the mechanism, byte 1 the flags, then server
 * challenges, each a 2-byte little-endian length and that many bytes.
 * Oracles beyond "no crash":
 *  - output never exceeds the buffer; MP_ERR_NO_SPACE is retryable and
 *    reports a size above the small buffer;
 *  - a SCRAM client never says OK from mp_sasl_client_finish() unless one
 *    of its steps accepted a server-final message (MP_DONE): a server that
 *    claims success without proving it knows the password is not believed
 *    (RFC 5802 §9).  The RFC 5802 seed reaches the verified path.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/sasl.h"

#include "fuzz_split.h"

static const uint8_t mech_pick[] = {
    MP_SASL_PLAIN, MP_SASL_LOGIN, MP_SASL_CRAM_MD5, MP_SASL_SCRAM_SHA_1, MP_SASL_SCRAM_SHA_256,
    MP_SASL_SCRAM_SHA_1_PLUS, MP_SASL_SCRAM_SHA_256_PLUS, MP_SASL_XOAUTH2, MP_SASL_OAUTHBEARER,
    MP_SASL_EXTERNAL,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static mp_sasl_client c;
    static char out[MP_SASL_MAX_MESSAGE];
    uint32_t seed = 3;
    mp_crypto_provider cp = mp_crypto_builtin(fuzz_det_random, &seed);
    mp_sasl_credentials cr;
    mp_sasl_mech mech;
    const uint8_t *p;
    size_t n, on;
    mp_status st = MP_NEED_MORE;
    int scram, got_done = 0;

    if (size < 2) return 0;
    mech = (mp_sasl_mech)mech_pick[data[0] % sizeof mech_pick];
    scram = (mp_sasl_mech_get(mech)->flags & MP_SASL_MECH_MUTUAL) != 0;
    memset(&cr, 0, sizeof cr);
    cr.username = MP_SLICE_LIT("user");
    cr.password = MP_SLICE_LIT("pencil");
    cr.token = MP_SLICE_LIT("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==");
    cr.oauth_host = MP_SLICE_LIT("server.example.com");
    cr.oauth_port = 143;
    cr.cb_type = MP_SLICE_LIT("tls-exporter");
    cr.cb_data = MP_SLICE_LIT("0123456789abcdef");
    cr.cb_supported = (uint8_t)(data[1] & 1u);
    if (mp_sasl_client_start(&c, mech, &cr, &cp) != MP_OK) abort();
    if (scram && mp_sasl_client_set_nonce(&c, "fyko+d2lbbFgONRv9qkxdawL", 24) != MP_OK) abort();
    if ((data[1] & 2u) && (mp_sasl_mech_get(mech)->flags & MP_SASL_MECH_CLIENT_FIRST)) {
        st = mp_sasl_client_initial(&c, out, sizeof out, &on);
        if (st != MP_NEED_MORE && st != MP_DONE) abort();
    }
    p = data + 2;
    n = size - 2;
    while (n >= 2) {
        size_t len = (size_t)p[0] | ((size_t)p[1] << 8);
        p += 2;
        n -= 2;
        if (len > n) len = n;
        st = mp_sasl_client_step(&c, p, len, out, 8, &on);
        if (st == MP_ERR_NO_SPACE) {
            if (on <= 8) abort();
            st = mp_sasl_client_step(&c, p, len, out, sizeof out, &on);
        }
        if (!mp_is_error(st) && on > sizeof out) abort();
        if (st == MP_DONE) got_done = 1;
        p += len;
        n -= len;
        if (mp_is_error(st) && st != MP_ERR_STATE) break;
    }
    st = mp_sasl_client_finish(&c);
    if (scram && st == MP_OK && !got_done) abort();
    return 0;
}
