/* Client <-> server loops for every mechanism through the base64 framing
 * (success, wrong secret, cancel), an asynchronous host, and server
 * transcripts fed through the CRLF line framer at every split. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/sasl.h"
#include "split.h"
#include "sasl_harness.h"

#define S(lit) lit, (sizeof(lit) - 1)

static unsigned rnd;

/* The server host's account database: one user. */
static const char db_user[] = "alice";
static const char db_pass[] = "correct horse";
static const char db_token[] = "tok-123";
static const uint8_t db_salt[] = "0123456789abcdef";

/* Answer whatever the server paused for, like a host would. */
static void host_answer(mp_sasl_server *s, const mp_crypto_provider *cp)
{
    int known = s->authcid.len == strlen(db_user) && memcmp(s->authcid.ptr, db_user, s->authcid.len) == 0;
    switch (s->want) {
    case MP_SASL_WANT_VERIFY:
        if (s->mech == MP_SASL_EXTERNAL) {
            assert_int_equal(mp_sasl_server_verify(s, s->authzid.len == 0), MP_OK);
        } else if (s->token.ptr != NULL && s->token.len > 0) {
            assert_int_equal(mp_sasl_server_verify(s, s->token.len == strlen(db_token) &&
                                                          memcmp(s->token.ptr, db_token, s->token.len) == 0),
                             MP_OK);
        } else {
            assert_int_equal(mp_sasl_server_verify(s, known && s->password.len == strlen(db_pass) &&
                                                          memcmp(s->password.ptr, db_pass, s->password.len) == 0),
                             MP_OK);
        }
        break;
    case MP_SASL_WANT_SCRAM_KEYS:
        if (known) {
            uint8_t sk[32], svk[32];
            assert_int_equal(mp_sasl_scram_derive((mp_sasl_mech)s->mech, cp, db_pass, strlen(db_pass),
                                                  db_salt, 16, 4096, sk, svk, NULL),
                             MP_OK);
            assert_int_equal(mp_sasl_server_set_scram(s, db_salt, 16, 4096, sk, svk), MP_OK);
        } else {
            assert_int_equal(mp_sasl_server_verify(s, 0), MP_OK);
        }
        break;
    case MP_SASL_WANT_SECRET:
        if (known)
            assert_int_equal(mp_sasl_server_set_secret(s, db_pass, strlen(db_pass)), MP_OK);
        else
            assert_int_equal(mp_sasl_server_verify(s, 0), MP_OK);
        break;
    default:
        fail();
    }
}

/* One exchange over base64 lines.  Returns the server's final status;
 * *client_ok gets mp_sasl_client_finish() when the server said done. */
static mp_status loop(mp_sasl_mech mech, const char *user, const char *pass, int use_ir,
                      int cancel_at, mp_status *client_ok)
{
    static mp_sasl_client c;
    static mp_sasl_server s;
    mp_crypto_provider cp = mp_crypto_builtin(sasl_counter_random, &rnd);
    mp_sasl_credentials cr;
    char msg[MP_SASL_MAX_MESSAGE], line[MP_BASE64_ENCODED_LEN(MP_SASL_MAX_MESSAGE)];
    char dec[MP_SASL_MAX_MESSAGE];
    size_t n, ln, dn;
    mp_status cs, ss;
    int round = 0;

    memset(&cr, 0, sizeof cr);
    cr.username = mp_slice_make(user, strlen(user));
    cr.password = mp_slice_make(pass, strlen(pass));
    cr.token = mp_slice_make(pass, strlen(pass));
    *client_ok = MP_ERR_STATE;
    assert_int_equal(mp_sasl_client_start(&c, mech, &cr, &cp), MP_OK);
    assert_int_equal(mp_sasl_server_start(&s, mech, &cp, NULL), MP_OK);

    if (use_ir && (mp_sasl_mech_get(mech)->flags & MP_SASL_MECH_CLIENT_FIRST)) {
        cs = mp_sasl_client_initial(&c, msg, sizeof msg, &n);
        assert_true(cs == MP_NEED_MORE || cs == MP_DONE);
        assert_int_equal(mp_sasl_encode_initial(msg, n, line, sizeof line, &ln), MP_OK);
        assert_int_equal(mp_sasl_decode_initial(line, ln, dec, sizeof dec, &dn), MP_OK);
        ss = mp_sasl_server_step(&s, dec, dn, msg, sizeof msg, &n);
    } else {
        ss = mp_sasl_server_step(&s, NULL, 0, msg, sizeof msg, &n);
    }
    for (;;) {
        while (ss == MP_PAUSED) {
            host_answer(&s, &cp);
            ss = mp_sasl_server_step(&s, NULL, 0, msg, sizeof msg, &n);
        }
        if (ss != MP_NEED_MORE) break;
        /* Challenge: server -> base64 -> client. */
        assert_int_equal(mp_sasl_encode(msg, n, line, sizeof line, &ln), MP_OK);
        assert_int_equal(mp_sasl_decode_challenge(line, ln, dec, sizeof dec, &dn), MP_OK);
        if (round++ == cancel_at) {
            /* The client gives up: "*" -> the server host ends it. */
            return mp_sasl_decode_response(S("*"), dec, sizeof dec, &dn);
        }
        cs = mp_sasl_client_step(&c, dec, dn, msg, sizeof msg, &n);
        if (mp_is_error(cs)) return cs;
        assert_int_equal(mp_sasl_encode(msg, n, line, sizeof line, &ln), MP_OK);
        assert_int_equal(mp_sasl_decode_response(line, ln, dec, sizeof dec, &dn), MP_OK);
        ss = mp_sasl_server_step(&s, dec, dn, msg, sizeof msg, &n);
    }
    if (ss == MP_DONE) *client_ok = mp_sasl_client_finish(&c);
    return ss;
}

static void test_every_mechanism(void **st)
{
    static const mp_sasl_mech pw[] = { MP_SASL_PLAIN, MP_SASL_LOGIN, MP_SASL_CRAM_MD5,
                                       MP_SASL_SCRAM_SHA_1, MP_SASL_SCRAM_SHA_256 };
    static const mp_sasl_mech tk[] = { MP_SASL_XOAUTH2, MP_SASL_OAUTHBEARER };
    size_t i;
    int ir;
    mp_status cok;
    (void)st;
    for (ir = 0; ir < 2; ir++) {
        for (i = 0; i < sizeof pw / sizeof pw[0]; i++) {
            assert_int_equal(loop(pw[i], db_user, db_pass, ir, -1, &cok), MP_DONE);
            assert_int_equal(cok, MP_OK);
            assert_int_equal(loop(pw[i], db_user, "wrong", ir, -1, &cok), MP_ERR_SASL_AUTH_FAILED);
            assert_int_equal(loop(pw[i], "mallory", db_pass, ir, -1, &cok), MP_ERR_SASL_AUTH_FAILED);
            /* (PLAIN with an initial response has no challenge to cancel at.) */
            if (!(ir && pw[i] == MP_SASL_PLAIN))
                assert_int_equal(loop(pw[i], db_user, db_pass, ir, 0, &cok), MP_ERR_SASL_CANCELLED);
        }
        for (i = 0; i < sizeof tk / sizeof tk[0]; i++) {
            assert_int_equal(loop(tk[i], db_user, db_token, ir, -1, &cok), MP_DONE);
            assert_int_equal(cok, MP_OK);
            assert_int_equal(loop(tk[i], db_user, "expired", ir, -1, &cok), MP_ERR_SASL_AUTH_FAILED);
        }
        assert_int_equal(loop(MP_SASL_EXTERNAL, "", "", ir, -1, &cok), MP_DONE);
        assert_int_equal(cok, MP_OK);
    }
    /* Cancel in the middle of SCRAM (after server-first). */
    assert_int_equal(loop(MP_SASL_SCRAM_SHA_256, db_user, db_pass, 1, 0, &cok), MP_ERR_SASL_CANCELLED);
    assert_int_equal(loop(MP_SASL_LOGIN, db_user, db_pass, 1, 1, &cok), MP_ERR_SASL_CANCELLED);
}

/* The host answers later: two exchanges run interleaved, and each one's
 * answer comes after calls on the other. */
static void test_async_host(void **st)
{
    static mp_sasl_server a, b;
    mp_crypto_provider cp = mp_crypto_builtin(sasl_counter_random, &rnd);
    char out[MP_SASL_MAX_MESSAGE];
    size_t n;
    uint8_t sk[20], svk[20];
    (void)st;
    assert_int_equal(mp_sasl_server_start(&a, MP_SASL_PLAIN, &cp, NULL), MP_OK);
    assert_int_equal(mp_sasl_server_start(&b, MP_SASL_SCRAM_SHA_1, &cp, NULL), MP_OK);
    assert_int_equal(mp_sasl_server_step(&a, S("\0alice\0correct horse"), out, sizeof out, &n), MP_PAUSED);
    assert_int_equal(mp_sasl_server_step(&b, S("n,,n=alice,r=abcdef"), out, sizeof out, &n), MP_PAUSED);
    /* Still paused: the host is looking things up. */
    assert_int_equal(mp_sasl_server_step(&a, NULL, 0, out, sizeof out, &n), MP_ERR_STATE);
    assert_int_equal(mp_sasl_server_step(&b, S("c=biws"), out, sizeof out, &n), MP_ERR_STATE);
    assert_int_equal(mp_sasl_scram_derive(MP_SASL_SCRAM_SHA_1, &cp, db_pass, strlen(db_pass), db_salt,
                                          16, 4096, sk, svk, NULL),
                     MP_OK);
    assert_int_equal(mp_sasl_server_set_scram(&b, db_salt, 16, 4096, sk, svk), MP_OK);
    /* The wrong answer kind is refused. */
    assert_int_equal(mp_sasl_server_set_scram(&a, db_salt, 16, 4096, sk, svk), MP_ERR_STATE);
    assert_int_equal(mp_sasl_server_set_secret(&a, "x", 1), MP_ERR_STATE);
    assert_int_equal(mp_sasl_server_verify(&b, 1), MP_ERR_STATE);
    assert_int_equal(mp_sasl_server_step(&b, NULL, 0, out, sizeof out, &n), MP_NEED_MORE);
    assert_true(n > 10 && memcmp(out, "r=abcdef", 8) == 0);
    assert_memory_equal(a.authcid.ptr, "alice", 5);
    assert_int_equal(mp_sasl_server_verify(&a, 1), MP_OK);
    assert_int_equal(mp_sasl_server_step(&a, NULL, 0, out, sizeof out, &n), MP_DONE);
}

/* ---- server transcripts through the line framer ------------------------ */

typedef struct fx {
    sasl_server_fx sv; /* first: its `paused` callback casts back */
    mp_crypto_provider cp;
    mp_sasl_server_config cfg;
    mp_sasl_mech mech;
} fx;

static void fx_paused(sasl_server_fx *sv, mp_evlog *log)
{
    fx *x = (fx *)sv;
    mp_evlog_add(log, "paused want=%d authcid=%.*s", (int)sv->s.want, (int)sv->s.authcid.len,
                 sv->s.authcid.ptr);
    host_answer(&sv->s, &x->cp);
}

static void fx_reset(void *state)
{
    fx *x = state;
    rnd = 0;
    x->cp = mp_crypto_builtin(sasl_counter_random, &rnd);
    x->sv.paused = fx_paused;
    sasl_server_fx_start(&x->sv, x->mech, &x->cp, &x->cfg);
}

static void fx_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    fx *x = state;
    sasl_server_fx_feed(&x->sv, p, n, log);
}

static void run_transcript(mp_sasl_mech mech, int ir, const char *snonce, const char *in,
                           const char *want)
{
    static fx x;
    mp_split_target t = { fx_reset, fx_feed, NULL, &x };
    memset(&x.cfg, 0, sizeof x.cfg);
    x.cfg.scram_nonce = mp_slice_make(snonce, strlen(snonce));
    x.cfg.cram_challenge = MP_SLICE_LIT("<1896.697170952@postoffice.reston.mci.net>");
    x.mech = mech;
    x.sv.ir = ir;
    mp_split_check(&t, in, strlen(in), want);
}

static void test_transcripts(void **st)
{
    (void)st;
    /* PLAIN with an initial response, then a pipelined line that must not
     * be taken as anything. */
    run_transcript(MP_SASL_PLAIN, 1, "",
                   "AGFsaWNlAGNvcnJlY3QgaG9yc2U=\r\nAGFsaWNlAGNvcnJlY3QgaG9yc2U=\r\n",
                   "paused want=1 authcid=alice\ndone \nignored AGFsaWNlAGNvcnJlY3QgaG9yc2U=\n");
    /* "=" is an empty initial response: PLAIN rejects it. */
    run_transcript(MP_SASL_PLAIN, 1, "", "=\r\n", "error MP_ERR_SASL_MESSAGE @0\n");
    /* Cancel, bad base64, bare LF. */
    run_transcript(MP_SASL_LOGIN, 0, "", "YWxpY2U=\r\n*\r\n",
                   "challenge UGFzc3dvcmQ6\ndecode MP_ERR_SASL_CANCELLED\n");
    run_transcript(MP_SASL_LOGIN, 0, "", "YWxp Y2U=\r\n", "decode MP_ERR_BASE64\n");
    run_transcript(MP_SASL_LOGIN, 0, "", "YWxpY2U=\nYWxpY2U=\r\nY29ycmVjdCBob3JzZQ==\r\n",
                   "line-error MP_ERR_BARE_LF\nchallenge UGFzc3dvcmQ6\n"
                   "paused want=1 authcid=alice\ndone \n");
    /* CRAM-MD5 with the host's secret (response of "alice" computed by
     * the test client loop; wrong digest here). */
    run_transcript(MP_SASL_CRAM_MD5, 0, "", "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n",
                   "paused want=3 authcid=tim\nerror MP_ERR_SASL_AUTH_FAILED @0\n");
    /* SCRAM-SHA-1 RFC 5802 messages, user "user" unknown to this host:
     * the exchange goes on with a made-up salt and fails at the end. */
    run_transcript(MP_SASL_SCRAM_SHA_1, 1, "3rfcNHYJY1ZVvWVs7j",
                   "biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM\r\n"
                   "Yz1iaXdzLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdMM3JmY05IWUpZMVpWdldWczdqLHA9djBYOHYzQnoy"
                   "VDBDSkdiSlF5RjBYK0hJNFRzPQ==\r\n",
                   "paused want=2 authcid=user\n"
                   "challenge cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1nd2FKREk4U2xS"
                   "aWJIcUVrcHlxdE1BPT0saT00MDk2\n"
                   "error MP_ERR_SASL_AUTH_FAILED @0\n");
}

/* ---- client transcripts: server challenges through the line framer ---- */

static void run_client_transcript(mp_sasl_mech mech, const char *user, const char *pass,
                                  const char *in, const char *want)
{
    static sasl_client_fx x;
    mp_split_target t = { sasl_client_fx_reset, sasl_client_fx_feed, sasl_client_fx_finish, &x };
    memset(&x.cr, 0, sizeof x.cr);
    x.cr.username = mp_slice_make(user, strlen(user));
    x.cr.password = mp_slice_make(pass, strlen(pass));
    x.mech = mech;
    x.nonce = NULL;
    x.nonce_n = 0;
    if (mp_sasl_mech_get(mech)->flags & MP_SASL_MECH_MUTUAL) {
        /* The RFC's SaltedPassword through the cache: one PBKDF2 here,
         * not one per split. */
        static uint8_t salt[16], sp[32];
        static uint8_t sk[32], svk[32];
        size_t saltlen;
        mp_crypto_provider cp = mp_crypto_builtin(NULL, NULL);
        assert_int_equal(mp_base64_decode(S("QSXCR+Q6sek8bf92"), salt, sizeof salt, &saltlen), MP_OK);
        assert_int_equal(mp_sasl_scram_derive(mech, &cp, pass, strlen(pass), salt, saltlen, 4096, sk,
                                              svk, sp),
                         MP_OK);
        x.cr.scram_salted_password = sp;
        x.cr.scram_salt = salt;
        x.cr.scram_salt_len = saltlen;
        x.cr.scram_iterations = 4096;
        x.nonce = "fyko+d2lbbFgONRv9qkxdawL";
        x.nonce_n = 24;
    }
    mp_split_check(&t, in, strlen(in), want);
}

static void test_client_transcripts(void **st)
{
    (void)st;
    /* RFC 5802 §5 without SASL-IR: the empty challenge, server-first,
     * server-final; responses byte-exact. */
    run_client_transcript(
        MP_SASL_SCRAM_SHA_1, "user", "pencil",
        "\r\n"
        "cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng==\r\n"
        "dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9\r\n",
        "response biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM\n"
        "response Yz1iaXdzLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdMM3JmY05IWUpZMVpWdldWczdqLHA9djBYOHYzQnoy"
        "VDBDSkdiSlF5RjBYK0hJNFRzPQ==\n"
        "last \nfinish MP_OK\n");
    /* A forged server-final (one character changed). */
    run_client_transcript(
        MP_SASL_SCRAM_SHA_1, "user", "pencil",
        "\r\n"
        "cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng==\r\n"
        "dj1zbUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9\r\n",
        "response biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM\n"
        "response Yz1iaXdzLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdMM3JmY05IWUpZMVpWdldWczdqLHA9djBYOHYzQnoy"
        "VDBDSkdiSlF5RjBYK0hJNFRzPQ==\n"
        "error MP_ERR_SASL_SERVER_PROOF @2\nfinish MP_ERR_STATE\n");
    /* RFC 2195 CRAM-MD5. */
    run_client_transcript(MP_SASL_CRAM_MD5, "tim", "tanstaaftanstaaf",
                          "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n",
                          "last dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\nfinish MP_OK\n");
    /* LOGIN prompts; then a challenge nobody expects. */
    run_client_transcript(MP_SASL_LOGIN, "tim", "pw", "VXNlcm5hbWU6\r\nUGFzc3dvcmQ6\r\nVXNlcm5hbWU6\r\n",
                          "response dGlt\nlast cHc=\nerror MP_ERR_SASL_MESSAGE @0\nfinish MP_ERR_STATE\n");
    /* Bad base64 from the server. */
    run_client_transcript(MP_SASL_CRAM_MD5, "tim", "x", "PDE4OTYu?\r\n",
                          "error MP_ERR_BASE64 @0\nfinish MP_ERR_STATE\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_mechanism),
        cmocka_unit_test(test_async_host),
        cmocka_unit_test(test_transcripts),
        cmocka_unit_test(test_client_transcripts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
