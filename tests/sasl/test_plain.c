/* PLAIN (RFC 4616): client messages, server parsing and host verdicts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/sasl.h"

static mp_sasl_credentials creds(const char *authz, const char *user, const char *pass)
{
    mp_sasl_credentials c;
    memset(&c, 0, sizeof c);
    c.authzid = mp_slice_make(authz, strlen(authz));
    c.username = mp_slice_make(user, strlen(user));
    c.password = mp_slice_make(pass, strlen(pass));
    return c;
}

/* RFC 4616 §4 examples: "\0tim\0tanstaaftanstaaf" and with authzid Ursel. */
static void test_client_rfc4616(void **st)
{
    mp_sasl_client c;
    mp_sasl_credentials cr = creds("", "tim", "tanstaaftanstaaf");
    char out[64];
    size_t n;
    (void)st;
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_PLAIN, &cr, NULL), MP_OK);
    assert_int_equal(mp_sasl_client_initial(&c, out, sizeof out, &n), MP_DONE);
    assert_int_equal(n, 21);
    assert_memory_equal(out, "\0tim\0tanstaaftanstaaf", 21);
    assert_int_equal(mp_sasl_client_finish(&c), MP_OK);

    cr = creds("Ursel", "Kurt", "xipj3plmq");
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_PLAIN, &cr, NULL), MP_OK);
    /* Without SASL-IR: the server's empty challenge asks for it. */
    assert_int_equal(mp_sasl_client_step(&c, "", 0, out, sizeof out, &n), MP_DONE);
    assert_int_equal(n, 20);
    assert_memory_equal(out, "Ursel\0Kurt\0xipj3plmq", 20);
    assert_int_equal(mp_sasl_client_finish(&c), MP_OK);
    /* A further challenge is a protocol error that ends the exchange. */
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_PLAIN, &cr, NULL), MP_OK);
    assert_int_equal(mp_sasl_client_step(&c, "", 0, out, sizeof out, &n), MP_DONE);
    assert_int_equal(mp_sasl_client_step(&c, "x", 1, out, sizeof out, &n), MP_ERR_SASL_MESSAGE);
    assert_int_equal(mp_sasl_client_step(&c, "x", 1, out, sizeof out, &n), MP_ERR_STATE);
    assert_int_equal(mp_sasl_client_finish(&c), MP_ERR_STATE);
}

static void test_client_errors(void **st)
{
    mp_sasl_client c;
    mp_sasl_credentials cr = creds("", "tim", "x");
    char out[8];
    size_t n;
    (void)st;
    /* NUL in the password, empty user, long name, bad UTF-8. */
    cr.password = mp_slice_make("a\0b", 3);
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_PLAIN, &cr, NULL), MP_ERR_SASL_MESSAGE);
    cr = creds("", "", "x");
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_PLAIN, &cr, NULL), MP_ERR_ARG);
    cr = creds("", "\xc3\x28", "x");
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_PLAIN, &cr, NULL), MP_ERR_UTF8);
    {
        static char big[MP_SASL_MAX_NAME + 1];
        memset(big, 'u', sizeof big);
        cr = creds("", "u", "x");
        cr.username = mp_slice_make(big, sizeof big);
        assert_int_equal(mp_sasl_client_start(&c, MP_SASL_PLAIN, &cr, NULL), MP_ERR_SASL_TOO_LONG);
    }
    /* No space: nothing changes, a retry with room works. */
    cr = creds("", "tim", "tanstaaftanstaaf");
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_PLAIN, &cr, NULL), MP_OK);
    assert_int_equal(mp_sasl_client_initial(&c, out, sizeof out, &n), MP_ERR_NO_SPACE);
    assert_int_equal(n, 21);
    {
        char big[32];
        assert_int_equal(mp_sasl_client_initial(&c, big, sizeof big, &n), MP_DONE);
        assert_int_equal(n, 21);
    }
    /* finish before anything was sent */
    assert_int_equal(mp_sasl_client_start(&c, MP_SASL_PLAIN, &cr, NULL), MP_OK);
    assert_int_equal(mp_sasl_client_finish(&c), MP_ERR_STATE);
}

static mp_status server_run(mp_sasl_server *s, const char *msg, size_t n)
{
    char out[16];
    size_t olen;
    assert_int_equal(mp_sasl_server_start(s, MP_SASL_PLAIN, NULL, NULL), MP_OK);
    return mp_sasl_server_step(s, msg, n, out, sizeof out, &olen);
}

static void test_server(void **st)
{
    static mp_sasl_server s;
    char out[16];
    size_t olen;
    (void)st;
    assert_int_equal(server_run(&s, "Ursel\0Kurt\0xipj3plmq", 20), MP_PAUSED);
    assert_int_equal(s.want, MP_SASL_WANT_VERIFY);
    assert_int_equal(s.authzid.len, 5);
    assert_memory_equal(s.authzid.ptr, "Ursel", 5);
    assert_int_equal(s.authcid.len, 4);
    assert_memory_equal(s.authcid.ptr, "Kurt", 4);
    assert_int_equal(s.password.len, 9);
    assert_memory_equal(s.password.ptr, "xipj3plmq", 9);
    /* Input while paused is refused and changes nothing. */
    assert_int_equal(mp_sasl_server_step(&s, "x", 1, out, sizeof out, &olen), MP_ERR_STATE);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, out, sizeof out, &olen), MP_ERR_STATE);
    assert_int_equal(mp_sasl_server_verify(&s, 1), MP_OK);
    assert_int_equal(s.password.len, 0);
    assert_int_equal(mp_sasl_server_verify(&s, 1), MP_ERR_STATE);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, out, sizeof out, &olen), MP_DONE);
    assert_int_equal(olen, 0);
    assert_memory_equal(s.authcid.ptr, "Kurt", 4);

    /* Rejected. */
    assert_int_equal(server_run(&s, "\0tim\0tanstaaftanstaaf", 21), MP_PAUSED);
    assert_int_equal(s.authzid.len, 0);
    assert_int_equal(mp_sasl_server_verify(&s, 0), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, out, sizeof out, &olen),
                     MP_ERR_SASL_AUTH_FAILED);
    /* The name of a failed login is still there for the host's log. */
    assert_int_equal(s.authcid.len, 3);
    assert_memory_equal(s.authcid.ptr, "tim", 3);

    /* No initial response: empty challenge first. */
    assert_int_equal(mp_sasl_server_start(&s, MP_SASL_PLAIN, NULL, NULL), MP_OK);
    assert_int_equal(mp_sasl_server_step(&s, NULL, 0, out, sizeof out, &olen), MP_NEED_MORE);
    assert_int_equal(olen, 0);
    assert_int_equal(mp_sasl_server_step(&s, "\0tim\0pw", 7, out, sizeof out, &olen), MP_PAUSED);

    /* Malformed. */
    assert_int_equal(server_run(&s, "", 0), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_run(&s, "tim", 3), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_run(&s, "\0tim", 4), MP_ERR_SASL_MESSAGE);
    assert_int_equal(server_run(&s, "\0tim\0", 5), MP_ERR_SASL_MESSAGE);       /* no passwd */
    assert_int_equal(server_run(&s, "\0\0pw", 4), MP_ERR_SASL_MESSAGE);        /* no authcid */
    assert_int_equal(server_run(&s, "\0tim\0p\0w", 8), MP_ERR_SASL_MESSAGE);   /* 3rd NUL */
    assert_int_equal(s.err.offset, 5);
    assert_int_equal(s.authcid.len, 0); /* parsed in place, gone with the message */
    assert_int_equal(s.password.len, 0);
    assert_int_equal(server_run(&s, "\0t\xffm\0pw", 7), MP_ERR_UTF8);
    {
        static char big[MP_SASL_MAX_NAME + 10];
        memset(big, 'a', sizeof big);
        big[0] = 0;
        big[MP_SASL_MAX_NAME + 2] = 0;
        assert_int_equal(server_run(&s, big, sizeof big), MP_ERR_SASL_TOO_LONG);
    }
    {
        static char huge[MP_SASL_MAX_MESSAGE + 1];
        assert_int_equal(server_run(&s, huge, sizeof huge), MP_ERR_SASL_TOO_LONG);
    }
    /* After an error the exchange is over. */
    assert_int_equal(mp_sasl_server_step(&s, "\0a\0b", 4, out, sizeof out, &olen), MP_ERR_STATE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_rfc4616),
        cmocka_unit_test(test_client_errors),
        cmocka_unit_test(test_server),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
