/* POP3 client session scenarios: the vector files of
 * tests/vectors/pop3/client/ (server transcripts with the host's script,
 * tests/pop3/client_fixture.h), each run with the host answering inside
 * the callback and later, whole, byte by byte and at random splits. */
#include "client_fixture.h"

static void run_vector(const mp_vector *v, void *ctx)
{
    static char where[256];
    pop3_scenario sc;
    const char *got;
    (void)ctx;
    snprintf(where, sizeof(where), "%s:%u: %s", v->file, v->line, v->name);
    mp_split_set_context(where);
    fx_scenario(v, &sc);
    fx.sc = sc;
    fx.transcript = v->input;
    fx.later = 0;
    got = mp_split_check(&fx_target, v->input, v->input_len, v->has_events ? v->events : NULL);
    if (getenv("MP_PRINT"))
        printf("=== %s\n%s", v->name, got);
    fx_run(&sc, v->input, got);
    mp_split_set_context(NULL);
}

static void run_file(const char *name)
{
    assert_true(mp_vectors_run(name, run_vector, NULL) > 0);
}

static void test_session(void **s) { (void)s; run_file("pop3/client/session.vec"); }
static void test_tls(void **s) { (void)s; run_file("pop3/client/tls.vec"); }
static void test_login(void **s) { (void)s; run_file("pop3/client/login.vec"); }
static void test_security(void **s) { (void)s; run_file("pop3/client/security.vec"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_login),
        cmocka_unit_test(test_security),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
