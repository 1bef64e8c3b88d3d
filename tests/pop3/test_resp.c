/* POP3 response parser (client side) and response writer (server side):
 * the vector files of tests/vectors/pop3/resp/ run whole, byte by byte and
 * at random splits; every response is written back with the server's
 * writers and parsed again, which must give the same events. */
#include "pop3_fixture.h"

static char rt_buf[FX_WBUF];
static size_t nround;

/* Parse `in` whole without offsets; the writers' output lands in rfx.w. */
static const char *parse_whole(const char *in, size_t n, char *wbuf, mp_evlog *log)
{
    rfx.w = wbuf;
    rfx.offsets = 0;
    resp_reset(&rfx);
    mp_evlog_reset(log);
    resp_feed(&rfx, in, n, log);
    resp_finish(&rfx, log);
    return log->text;
}

static void run_vector(const mp_vector *v, void *ctx)
{
    static mp_evlog a, b;
    static char where[256];
    const char *got;
    (void)ctx;
    snprintf(where, sizeof(where), "%s:%u: %s", v->file, v->line, v->name);
    mp_split_set_context(where);
    resp_setup(v, &rfx);
    got = mp_split_check(&resp_target, v->input, v->input_len, v->has_events ? v->events : NULL);
    if (getenv("MP_PRINT"))
        printf("=== %s\n%s", v->name, got);
    /* Round trip: what the server's writers make of the events parses to
     * the same events (offsets aside: the writers emit canonical lines). */
    parse_whole(v->input, v->input_len, rfx_wbuf, &a);
    if (!rfx.wfail) {
        size_t wl = rfx.ob.len;
        parse_whole(rfx_wbuf, wl, rt_buf, &b);
        if (strcmp(a.text, b.text) != 0)
            fail_msg("%s: round trip differs\n--- parsed\n%s--- rewritten\n%s", where, a.text,
                     b.text);
        nround++;
    } else if (mp_vector_param(v, "roundtrip", NULL) != NULL) {
        fail_msg("%s: a writer refused an event", where);
    }
    rfx.w = rfx_wbuf;
    rfx.offsets = 1;
    mp_split_set_context(NULL);
}

static void test_resp_vectors(void **state)
{
    (void)state;
    assert_true(mp_vectors_run("pop3/resp/rfc.vec", run_vector, NULL) > 0);
    assert_true(mp_vectors_run("pop3/resp/security.vec", run_vector, NULL) > 0);
    assert_true(mp_vectors_run("pop3/resp/dovecot.vec", run_vector, NULL) > 0);
    printf("round trips: %zu\n", nround);
    assert_true(nround > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resp_vectors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
