/* Mechanism table, names, the chooser, the base64 framing helpers,
 * channel binding (-PLUS) and the documented struct size bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/sasl.h"

#define S(lit) lit, (sizeof(lit) - 1)

static void test_table(void **st)
{
    unsigned m;
    (void)st;
    assert_null(mp_sasl_mech_get(MP_SASL_MECH_NONE));
    assert_null(mp_sasl_mech_get(MP_SASL_MECH_COUNT));
    for (m = 1; m < MP_SASL_MECH_COUNT; m++) {
        const mp_sasl_mech_info *mi = mp_sasl_mech_get((mp_sasl_mech)m);
        assert_non_null(mi);
        assert_int_equal(strlen(mi->name), mi->name_len);
        assert_int_equal(mp_sasl_mech_from_name(mi->name, mi->name_len), m);
    }
    assert_int_equal(mp_sasl_mech_from_name(S("scram-sha-256")), MP_SASL_SCRAM_SHA_256);
    assert_int_equal(mp_sasl_mech_from_name(S("Cram-Md5")), MP_SASL_CRAM_MD5);
    assert_int_equal(mp_sasl_mech_from_name(S("PLAINX")), MP_SASL_MECH_NONE);
    assert_int_equal(mp_sasl_mech_from_name(S("PLAI")), MP_SASL_MECH_NONE);
    assert_int_equal(mp_sasl_mech_from_name(S("GSSAPI")), MP_SASL_MECH_NONE);
    assert_int_equal(mp_sasl_mech_from_name(S("")), MP_SASL_MECH_NONE);
    assert_int_equal(mp_sasl_mech_from_name(S("SCRAM-SHA-256-PLUS-AND-MORE")), MP_SASL_MECH_NONE);
    assert_true(mp_sasl_mech_get(MP_SASL_PLAIN)->flags & MP_SASL_MECH_PLAINTEXT);
    assert_true(mp_sasl_mech_get(MP_SASL_PLAIN)->flags & MP_SASL_MECH_CLIENT_FIRST);
    assert_false(mp_sasl_mech_get(MP_SASL_LOGIN)->flags & MP_SASL_MECH_CLIENT_FIRST);
    assert_false(mp_sasl_mech_get(MP_SASL_CRAM_MD5)->flags & MP_SASL_MECH_CLIENT_FIRST);
    assert_int_equal(mp_sasl_mech_get(MP_SASL_SCRAM_SHA_1)->hash, MP_SASL_HASH_SHA1);
    {
        mp_crypto_provider cp = mp_crypto_builtin(NULL, NULL);
        assert_ptr_equal(mp_sasl_mech_hash(MP_SASL_SCRAM_SHA_256, &cp), cp.sha256);
        assert_ptr_equal(mp_sasl_mech_hash(MP_SASL_CRAM_MD5, &cp), cp.md5);
        assert_null(mp_sasl_mech_hash(MP_SASL_PLAIN, &cp));
        assert_null(mp_sasl_mech_hash(MP_SASL_SCRAM_SHA_1, NULL));
    }
}

static void test_parse_and_choose(void **st)
{
    mp_sasl_mech_set smtp, imap;
    (void)st;
    /* SMTP EHLO "AUTH" parameters and POP3 "SASL" CAPA. */
    smtp = mp_sasl_mechs_parse(S("PLAIN LOGIN  CRAM-MD5 GSSAPI scram-sha-1"), 0);
    assert_int_equal(smtp, MP_SASL_MECH_BIT(MP_SASL_PLAIN) | MP_SASL_MECH_BIT(MP_SASL_LOGIN) |
                               MP_SASL_MECH_BIT(MP_SASL_CRAM_MD5) |
                               MP_SASL_MECH_BIT(MP_SASL_SCRAM_SHA_1));
    /* IMAP CAPABILITY: only AUTH= tokens. */
    imap = mp_sasl_mechs_parse(S("IMAP4rev1 SASL-IR AUTH=PLAIN auth=XOAUTH2 PLAIN AUTH=SCRAM-SHA-256"),
                               MP_SASL_LIST_IMAP);
    assert_int_equal(imap, MP_SASL_MECH_BIT(MP_SASL_PLAIN) | MP_SASL_MECH_BIT(MP_SASL_XOAUTH2) |
                               MP_SASL_MECH_BIT(MP_SASL_SCRAM_SHA_256));
    assert_int_equal(mp_sasl_mechs_parse(S("AUTH=LOGIN"), 0), MP_SASL_MECH_BIT(MP_SASL_LOGIN));
    assert_int_equal(mp_sasl_mechs_parse(S("  "), 0), 0);
    assert_int_equal(mp_sasl_mechs_parse(S("AUTH="), MP_SASL_LIST_IMAP), 0);
    assert_int_equal(mp_sasl_mechs_parse(NULL, 3, 0), 0);

    /* Preference order. */
    assert_int_equal(mp_sasl_choose(smtp, MP_SASL_CHOOSE_PLAINTEXT_OK), MP_SASL_SCRAM_SHA_1);
    assert_int_equal(mp_sasl_choose(smtp | MP_SASL_MECH_BIT(MP_SASL_SCRAM_SHA_256), 0),
                     MP_SASL_SCRAM_SHA_256);
    assert_int_equal(mp_sasl_choose(MP_SASL_MECH_BIT(MP_SASL_PLAIN) | MP_SASL_MECH_BIT(MP_SASL_LOGIN) |
                                        MP_SASL_MECH_BIT(MP_SASL_CRAM_MD5), 0),
                     MP_SASL_CRAM_MD5);
    /* No TLS: never PLAIN/LOGIN. */
    assert_int_equal(mp_sasl_choose(MP_SASL_MECH_BIT(MP_SASL_PLAIN) | MP_SASL_MECH_BIT(MP_SASL_LOGIN), 0),
                     MP_SASL_MECH_NONE);
    assert_int_equal(mp_sasl_choose(MP_SASL_MECH_BIT(MP_SASL_PLAIN) | MP_SASL_MECH_BIT(MP_SASL_LOGIN),
                                    MP_SASL_CHOOSE_PLAINTEXT_OK),
                     MP_SASL_PLAIN);
    assert_int_equal(mp_sasl_choose(MP_SASL_MECH_BIT(MP_SASL_LOGIN), MP_SASL_CHOOSE_PLAINTEXT_OK),
                     MP_SASL_LOGIN);
    /* Tokens. */
    assert_int_equal(mp_sasl_choose(imap, MP_SASL_CHOOSE_TOKEN), MP_SASL_MECH_NONE);
    assert_int_equal(mp_sasl_choose(imap, MP_SASL_CHOOSE_TOKEN | MP_SASL_CHOOSE_PLAINTEXT_OK),
                     MP_SASL_XOAUTH2);
    assert_int_equal(mp_sasl_choose(imap | MP_SASL_MECH_BIT(MP_SASL_OAUTHBEARER),
                                    MP_SASL_CHOOSE_TOKEN | MP_SASL_CHOOSE_PLAINTEXT_OK),
                     MP_SASL_OAUTHBEARER);
    /* -PLUS only with channel binding data. */
    {
        mp_sasl_mech_set plus = MP_SASL_MECH_BIT(MP_SASL_SCRAM_SHA_256_PLUS) |
                                MP_SASL_MECH_BIT(MP_SASL_SCRAM_SHA_256);
        assert_int_equal(mp_sasl_choose(plus, 0), MP_SASL_SCRAM_SHA_256);
        assert_int_equal(mp_sasl_choose(plus, MP_SASL_CHOOSE_CHANNEL_BINDING),
                         MP_SASL_SCRAM_SHA_256_PLUS);
    }
    /* EXTERNAL is never picked by itself. */
    assert_int_equal(mp_sasl_choose(MP_SASL_MECH_BIT(MP_SASL_EXTERNAL), 0xff), MP_SASL_MECH_NONE);
}

static void test_framing(void **st)
{
    char out[64];
    size_t n;
    (void)st;
    assert_int_equal(mp_sasl_decode_response(S("*"), out, sizeof out, &n), MP_ERR_SASL_CANCELLED);
    assert_int_equal(mp_sasl_decode_initial(S("*"), out, sizeof out, &n), MP_ERR_SASL_CANCELLED);
    assert_int_equal(mp_sasl_decode_response(S(""), out, sizeof out, &n), MP_OK);
    assert_int_equal(n, 0);
    assert_int_equal(mp_sasl_decode_initial(S("="), out, sizeof out, &n), MP_OK);
    assert_int_equal(n, 0);
    /* "=" is no response in a continuation, only on the command line. */
    assert_int_equal(mp_sasl_decode_response(S("="), out, sizeof out, &n), MP_ERR_BASE64);
    assert_int_equal(mp_sasl_decode_response(S("AHRpbQB0YW5zdGFhZnRhbnN0YWFm"), out, sizeof out, &n),
                     MP_OK);
    assert_int_equal(n, 21);
    /* Strict: white space, missing padding, bad characters, "**". */
    assert_int_equal(mp_sasl_decode_response(S("AHRp bQ=="), out, sizeof out, &n), MP_ERR_BASE64);
    assert_int_equal(n, 4);
    assert_int_equal(mp_sasl_decode_response(S("AHRpbQ"), out, sizeof out, &n), MP_ERR_BASE64);
    assert_int_equal(mp_sasl_decode_response(S("AHRpbQ=!"), out, sizeof out, &n), MP_ERR_BASE64);
    assert_int_equal(mp_sasl_decode_response(S("**"), out, sizeof out, &n), MP_ERR_BASE64);
    assert_int_equal(mp_sasl_decode_challenge(S("*"), out, sizeof out, &n), MP_ERR_BASE64);
    assert_int_equal(mp_sasl_decode_challenge(S(""), out, sizeof out, &n), MP_OK);
    /* Too small an output, too long a message. */
    assert_int_equal(mp_sasl_decode_response(S("AHRpbQB0YW5zdGFhZnRhbnN0YWFm"), out, 4, &n),
                     MP_ERR_NO_SPACE);
    assert_int_equal(n, 21);
    {
        static char line[MP_BASE64_ENCODED_LEN(MP_SASL_MAX_MESSAGE + 1)];
        static char dec[MP_SASL_MAX_MESSAGE + 8];
        static char raw[MP_SASL_MAX_MESSAGE + 1];
        size_t ln;
        assert_int_equal(mp_base64_encode(raw, MP_SASL_MAX_MESSAGE, line, sizeof line, &ln), MP_OK);
        assert_int_equal(mp_sasl_decode_response(line, ln, dec, sizeof dec, &n), MP_OK);
        assert_int_equal(mp_base64_encode(raw, sizeof raw, line, sizeof line, &ln), MP_OK);
        assert_int_equal(mp_sasl_decode_response(line, ln, dec, sizeof dec, &n), MP_ERR_SASL_TOO_LONG);
    }
    /* Encoding. */
    assert_int_equal(mp_sasl_encode("", 0, out, sizeof out, &n), MP_OK);
    assert_int_equal(n, 0);
    assert_int_equal(mp_sasl_encode_initial("", 0, out, sizeof out, &n), MP_OK);
    assert_int_equal(n, 1);
    assert_int_equal(out[0], '=');
    assert_int_equal(mp_sasl_encode_initial("", 0, out, 0, &n), MP_ERR_NO_SPACE);
    assert_int_equal(mp_sasl_encode(S("\0tim\0tanstaaftanstaaf"), out, sizeof out, &n), MP_OK);
    assert_int_equal(n, 28);
    assert_memory_equal(out, "AHRpbQB0YW5zdGFhZnRhbnN0YWFm", 28);
    assert_int_equal(mp_sasl_encode(S("abcd"), out, 4, &n), MP_ERR_NO_SPACE);
    assert_int_equal(n, 8);
}

static int fake_random(void *user, uint8_t *out, size_t len)
{
    (void)user;
    memset(out, 0x41, len);
    return 0;
}

/* SCRAM-SHA-256-PLUS with tls-exporter data both ways; wrong data, wrong
 * type, and the "y" downgrade are refused. */
static mp_status plus_run(mp_sasl_mech cm, mp_sasl_mech sm, const char *ccb, const char *scb,
                          const char *ctype, uint8_t cb_supported, unsigned sflags)
{
    static mp_sasl_client c;
    static mp_sasl_server s;
    mp_crypto_provider cp = mp_crypto_builtin(fake_random, NULL);
    mp_sasl_credentials cr;
    mp_sasl_server_config cfg;
    uint8_t sk[32], svk[32];
    char out[MP_SASL_MAX_MESSAGE], sout[MP_SASL_MAX_MESSAGE];
    size_t n, sn;
    mp_status st;

    memset(&cr, 0, sizeof cr);
    cr.username = MP_SLICE_LIT("user");
    cr.password = MP_SLICE_LIT("pencil");
    cr.cb_type = mp_slice_make(ctype, strlen(ctype));
    cr.cb_data = mp_slice_make(ccb, strlen(ccb));
    cr.cb_supported = cb_supported;
    memset(&cfg, 0, sizeof cfg);
    cfg.flags = sflags | MP_SASL_SERVER_SUCCESS_DATA;
    cfg.cb_type = MP_SLICE_LIT("tls-exporter");
    cfg.cb_data = mp_slice_make(scb, strlen(scb));
    assert_int_equal(mp_sasl_client_start(&c, cm, &cr, &cp), MP_OK);
    assert_int_equal(mp_sasl_server_start(&s, sm, &cp, &cfg), MP_OK);
    assert_int_equal(mp_sasl_client_initial(&c, out, sizeof out, &n), MP_NEED_MORE);
    st = mp_sasl_server_step(&s, out, n, sout, sizeof sout, &sn);
    if (st != MP_PAUSED) return st;
    assert_int_equal(mp_sasl_scram_derive(sm, &cp, "pencil", 6, "salt", 4, 4096, sk, svk, NULL), MP_OK);
    assert_int_equal(mp_sasl_server_set_scram(&s, "salt", 4, 4096, sk, svk), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, sout, sizeof sout, &sn), MP_NEED_MORE);
    assert_int_equal(mp_sasl_client_step(&c, sout, sn, out, sizeof out, &n), MP_NEED_MORE);
    st = mp_sasl_server_step(&s, out, n, sout, sizeof sout, &sn);
    if (st != MP_DONE) return st;
    assert_int_equal(mp_sasl_client_step(&c, sout, sn, out, sizeof out, &n), MP_DONE);
    return mp_sasl_client_finish(&c);
}

static void test_channel_binding(void **st)
{
    const mp_sasl_mech P = MP_SASL_SCRAM_SHA_256_PLUS, N = MP_SASL_SCRAM_SHA_256;
    (void)st;
    assert_int_equal(plus_run(P, P, "exporter-bytes-0123456789abcdef0123456789abcdef",
                              "exporter-bytes-0123456789abcdef0123456789abcdef", "tls-exporter", 0, 0),
                     MP_OK);
    assert_int_equal(plus_run(P, P, "exporter-bytes-A", "exporter-bytes-B", "tls-exporter", 0, 0),
                     MP_ERR_SASL_CHANNEL_BINDING);
    assert_int_equal(plus_run(P, P, "x", "x", "tls-unique", 0, 0), MP_ERR_SASL_CHANNEL_BINDING);
    /* Plain SCRAM with "n" and "y". */
    assert_int_equal(plus_run(N, N, "", "x", "", 0, 0), MP_OK);
    assert_int_equal(plus_run(N, N, "", "x", "", 1, 0), MP_OK);
    /* "y" while the server advertised -PLUS: downgrade. */
    assert_int_equal(plus_run(N, N, "", "x", "", 1, MP_SASL_SERVER_CB_ADVERTISED),
                     MP_ERR_SASL_CHANNEL_BINDING);
    /* -PLUS server, client without binding. */
    assert_int_equal(plus_run(N, P, "", "x", "", 0, 0), MP_ERR_SASL_CHANNEL_BINDING);
    /* Client binding sent to a non-PLUS server. */
    assert_int_equal(plus_run(P, N, "x", "x", "tls-exporter", 0, 0), MP_ERR_SASL_CHANNEL_BINDING);
    /* -PLUS needs the data on both sides. */
    {
        mp_sasl_client c;
        mp_sasl_server s;
        mp_crypto_provider cp = mp_crypto_builtin(fake_random, NULL);
        mp_sasl_credentials cr;
        memset(&cr, 0, sizeof cr);
        cr.username = MP_SLICE_LIT("u");
        cr.password = MP_SLICE_LIT("p");
        assert_int_equal(mp_sasl_client_start(&c, P, &cr, &cp), MP_ERR_UNSUPPORTED);
        assert_int_equal(mp_sasl_server_start(&s, P, &cp, NULL), MP_ERR_UNSUPPORTED);
    }
}

static void test_start_errors(void **st)
{
    mp_sasl_client c;
    mp_sasl_server s;
    mp_sasl_credentials cr;
    mp_crypto_provider norand = mp_crypto_builtin(NULL, NULL);
    mp_sasl_server_config cfg;
    (void)st;
    memset(&cr, 0, sizeof cr);
    cr.username = MP_SLICE_LIT("u");
    cr.password = MP_SLICE_LIT("p");
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_MECH_NONE, &cr, NULL), MP_ERR_SASL_MECH);
    assert_int_equal(mp_sasl_client_start(&c, (mp_sasl_mech)99, &cr, NULL), MP_ERR_SASL_MECH);
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_SCRAM_SHA_1, &cr, NULL), MP_ERR_UNSUPPORTED);
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_SCRAM_SHA_1, &cr, &norand), MP_ERR_UNSUPPORTED);
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_PLAIN, NULL, NULL), MP_ERR_ARG);
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_MECH_NONE, NULL, NULL), MP_ERR_SASL_MECH);
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_SCRAM_SHA_1, &norand, NULL), MP_ERR_UNSUPPORTED);
    memset(&cfg, 0, sizeof cfg);
    cfg.scram_nonce = MP_SLICE_LIT("a,b");
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_SCRAM_SHA_1, &norand, &cfg), MP_ERR_ARG);
    cfg.scram_nonce = MP_SLICE_LIT("abc");
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_SCRAM_SHA_1, &norand, &cfg), MP_OK);
    /* Client calls in the wrong state. */
    {
        char out[8];
        size_t n;
        assert_int_equal(mp_sasl_client_start(&c, MP_SASL_PLAIN, &cr, NULL), MP_OK);
        assert_int_equal(mp_sasl_client_set_nonce(&c, "abc", 3), MP_ERR_STATE);
        mp_sasl_client_wipe(&c);
        assert_int_equal(mp_sasl_client_step(&c, "", 0, out, sizeof out, &n), MP_ERR_STATE);
        mp_sasl_server_wipe(&s);
        assert_int_equal(mp_sasl_server_step(&s, NULL, 0, out, sizeof out, &n), MP_ERR_STATE);
        assert_int_equal(mp_sasl_server_verify(&s, 1), MP_ERR_STATE);
    }
}

/* Sizes documented in sasl.h (default limits). */
static void test_sizes(void **st)
{
    (void)st;
    assert_true(sizeof(mp_sasl_client) <= 320);
    assert_true(sizeof(mp_sasl_server) <= 2048);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),           cmocka_unit_test(test_parse_and_choose),
        cmocka_unit_test(test_framing),         cmocka_unit_test(test_channel_binding),
        cmocka_unit_test(test_start_errors),    cmocka_unit_test(test_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
