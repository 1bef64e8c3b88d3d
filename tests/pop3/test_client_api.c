/* POP3 client session: the API's edges that transcripts do not show:
 * sizeof as a bound, argument and state errors, the QUIT of a dead
 * session (once, in place of what was not begun), a callback's abort,
 * and the queue of commands issued before any answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/pop3_client.h"

static mp_pop3_client c;
static mp_pop3_client_config cfg;
static char out[1024];
static int abort_on; /* an event type that aborts, 0 none */
static int events;

static int on_event(void *user, const mp_pop3_client_event *ev)
{
    (void)user;
    events++;
    return (int)ev->type == abort_on ? MP_POP3_CB_ABORT : MP_POP3_CB_CONTINUE;
}

static const mp_pop3_client_callbacks cb = { on_event };

static void start(mp_pop3_client_tls tls, unsigned flags)
{
    memset(&cfg, 0, sizeof(cfg));
    cfg.tls = tls;
    cfg.flags = flags;
    abort_on = 0;
    events = 0;
    assert_int_equal(mp_pop3_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)), MP_OK);
}

static mp_status feed(const char *s)
{
    size_t used = 0, n = strlen(s);
    mp_status st = mp_pop3_client_feed(&c, s, n, &used);
    if (st == MP_NEED_MORE)
        assert_int_equal(used, n);
    return st;
}

/* Send everything, as a host does before it reads again. */
static void send_all(void)
{
    size_t n;
    (void)mp_pop3_client_output(&c, &n);
    assert_int_equal(mp_pop3_client_output_done(&c, n), MP_OK);
}

static int output_is(const char *want)
{
    size_t n;
    const char *p = mp_pop3_client_output(&c, &n);
    return n == strlen(want) && memcmp(p, want, n) == 0;
}

/* To TRANSACTION through USER/PASS, with the CAPA lines given. */
static void logged_in(const char *capa)
{
    start(MP_POP3_TLS_NONE, MP_POP3_CLIENT_CLEARTEXT_OK);
    assert_int_equal(feed("+OK hi\r\n"), MP_NEED_MORE);
    send_all();
    assert_int_equal(feed("+OK\r\n"), MP_NEED_MORE);
    assert_int_equal(feed(capa), MP_NEED_MORE);
    assert_int_equal(feed(".\r\n"), MP_NEED_MORE);
    assert_int_equal(mp_pop3_client_user(&c, MP_SLICE_LIT("u"), MP_SLICE_LIT("p")), MP_OK);
    send_all();
    assert_int_equal(feed("+OK\r\n"), MP_NEED_MORE);
    send_all();
    assert_int_equal(feed("+OK\r\n"), MP_NEED_MORE);
    assert_int_equal(mp_pop3_client_phase_of(&c), MP_POP3_PH_TRANSACTION);
}

static void test_sizeof(void **s)
{
    (void)s;
    /* docs/architecture.md: a session is at most 1 KiB with the default
     * limits; the line buffer and the queue are inside. */
    assert_true(sizeof(mp_pop3_client) <= 1024);
    assert_true(sizeof(mp_pop3_resp_parser) <= 320);
}

static void test_init_errors(void **s)
{
    static char auth[MP_POP3_CLIENT_APOP_BUF - 1];
    (void)s;
    memset(&cfg, 0, sizeof(cfg));
    assert_int_equal(mp_pop3_client_init(NULL, &cfg, &cb, NULL, out, sizeof(out)), MP_ERR_ARG);
    assert_int_equal(mp_pop3_client_init(&c, NULL, &cb, NULL, out, sizeof(out)), MP_ERR_ARG);
    assert_int_equal(mp_pop3_client_init(&c, &cfg, NULL, NULL, out, sizeof(out)), MP_ERR_ARG);
    assert_int_equal(mp_pop3_client_init(&c, &cfg, &cb, NULL, NULL, sizeof(out)), MP_ERR_ARG);
    assert_int_equal(mp_pop3_client_init(&c, &cfg, &cb, NULL, out, MP_POP3_MAX_COMMAND_LINE - 1),
                     MP_ERR_ARG);
    cfg.tls = (mp_pop3_client_tls)4;
    assert_int_equal(mp_pop3_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)), MP_ERR_ARG);
    cfg.tls = MP_POP3_TLS_NONE;
    cfg.auth_buf = auth;
    cfg.auth_cap = sizeof(auth);
    assert_int_equal(mp_pop3_client_init_lean(&c, &cfg, &cb, NULL, out, sizeof(out)), MP_ERR_ARG);
    {
        static const mp_pop3_client_callbacks none = { NULL };
        cfg.auth_buf = NULL;
        cfg.auth_cap = 0;
        assert_int_equal(mp_pop3_client_init(&c, &cfg, &none, NULL, out, sizeof(out)),
                         MP_ERR_ARG);
    }
}

static void test_state_errors(void **s)
{
    mp_pop3_client_failure f;
    (void)s;
    start(MP_POP3_TLS_NONE, MP_POP3_CLIENT_CLEARTEXT_OK);
    /* Before the greeting: nothing may be issued. */
    assert_int_equal(mp_pop3_client_user(&c, MP_SLICE_LIT("u"), MP_SLICE_LIT("p")), MP_ERR_STATE);
    assert_int_equal(mp_pop3_client_quit(&c), MP_ERR_STATE);
    assert_int_equal(mp_pop3_client_capa(&c), MP_ERR_STATE);
    assert_int_equal(mp_pop3_client_tls_started(&c), MP_ERR_STATE);
    f = mp_pop3_client_first_failure(&c);
    assert_int_equal(f.status, MP_OK);
    assert_int_equal(feed("+OK hi\r\n"), MP_NEED_MORE);
    /* CAPA is on its way: still no login. */
    assert_int_equal(mp_pop3_client_phase_of(&c), MP_POP3_PH_CAPA);
    assert_int_equal(mp_pop3_client_user(&c, MP_SLICE_LIT("u"), MP_SLICE_LIT("p")), MP_ERR_STATE);
    send_all();
    assert_int_equal(feed("-ERR\r\n"), MP_NEED_MORE);
    /* AUTHORIZATION: no transaction command. */
    assert_int_equal(mp_pop3_client_stat(&c), MP_ERR_STATE);
    assert_int_equal(mp_pop3_client_retr(&c, 1), MP_ERR_STATE);
    assert_int_equal(mp_pop3_client_user(&c, MP_SLICE_LIT("u u"), MP_SLICE_LIT("p")),
                     MP_ERR_BAD_VALUE);
    assert_int_equal(mp_pop3_client_user(&c, MP_SLICE_LIT("u"), MP_SLICE_LIT("p")), MP_OK);
    /* A login under way: no second one. */
    assert_int_equal(mp_pop3_client_user(&c, MP_SLICE_LIT("u"), MP_SLICE_LIT("p")), MP_ERR_STATE);
    assert_int_equal(mp_pop3_client_quit(&c), MP_ERR_STATE);
    assert_true(output_is("USER u\r\n"));
    assert_int_equal(mp_pop3_client_output_done(&c, 9), MP_ERR_ARG);
}

static void test_message_numbers(void **s)
{
    (void)s;
    logged_in("UIDL\r\n");
    assert_int_equal(mp_pop3_client_retr(&c, 0), MP_ERR_ARG);
    assert_int_equal(mp_pop3_client_dele(&c, MP_POP3_MSGNO_MAX + 1u), MP_ERR_ARG);
    assert_int_equal(mp_pop3_client_top(&c, 1, MP_POP3_MSGNO_MAX + 1u), MP_ERR_ARG);
    assert_int_equal(mp_pop3_client_top(&c, MP_POP3_MSGNO_MAX, MP_POP3_MSGNO_MAX), MP_OK);
    assert_true(output_is("TOP 2147483647 2147483647\r\n"));
}

/* Commands queued before any answer, without PIPELINING: written one per
 * answer, and an answer that arrives before the next one was sent is
 * refused even though the command is known. */
static void test_queue_one_at_a_time(void **s)
{
    (void)s;
    logged_in("UIDL\r\n");
    assert_int_equal(mp_pop3_client_noop(&c), MP_OK);
    assert_int_equal(mp_pop3_client_rset(&c), MP_OK);
    assert_true(output_is("NOOP\r\n"));
    send_all();
    assert_int_equal(feed("+OK\r\n"), MP_NEED_MORE);
    assert_true(output_is("RSET\r\n"));
    assert_int_equal(feed("+OK\r\n"), MP_ERR_POP3_UNEXPECTED);
    assert_int_equal(mp_pop3_client_error(&c)->code, MP_ERR_POP3_UNEXPECTED);
    /* Dead: every later feed says the same and consumes nothing. */
    assert_int_equal(feed("+OK\r\n"), MP_ERR_POP3_UNEXPECTED);
}

/* A dead session writes QUIT once, in place of the commands the host has
 * not begun to send; the rest of one begun goes first. */
static void test_quit_dead(void **s)
{
    (void)s;
    logged_in("PIPELINING\r\n");
    assert_int_equal(mp_pop3_client_retr(&c, 1), MP_OK);
    assert_int_equal(mp_pop3_client_retr(&c, 2), MP_OK);
    assert_int_equal(mp_pop3_client_dele(&c, 1), MP_OK);
    assert_true(output_is("RETR 1\r\nRETR 2\r\nDELE 1\r\n"));
    assert_int_equal(mp_pop3_client_output_done(&c, 10), MP_OK); /* "RETR 1\r\nRE" */
    assert_int_equal(feed("OK\r\n"), MP_ERR_POP3_STATUS);
    assert_int_equal(mp_pop3_client_quit(&c), MP_OK);
    assert_true(output_is("TR 2\r\nQUIT\r\n"));
    assert_int_equal(mp_pop3_client_quit(&c), MP_OK);
    assert_true(output_is("TR 2\r\nQUIT\r\n"));
    assert_int_equal(mp_pop3_client_stat(&c), MP_ERR_STATE);

    /* At a command boundary nothing unsent stays. */
    logged_in("PIPELINING\r\n");
    assert_int_equal(mp_pop3_client_retr(&c, 1), MP_OK);
    assert_int_equal(mp_pop3_client_retr(&c, 2), MP_OK);
    assert_int_equal(mp_pop3_client_output_done(&c, 8), MP_OK);
    assert_int_equal(feed("+OK\r\n.\r\n+"), MP_ERR_POP3_UNEXPECTED);
    assert_int_equal(mp_pop3_client_quit(&c), MP_OK);
    assert_true(output_is("QUIT\r\n"));
}

static void test_abort(void **s)
{
    (void)s;
    start(MP_POP3_TLS_NONE, 0);
    abort_on = MP_POP3_CEV_GREETING;
    assert_int_equal(feed("+OK hi\r\n"), MP_ERR_ABORTED);
    assert_int_equal(mp_pop3_client_phase_of(&c), MP_POP3_PH_FAILED);
    assert_int_equal(events, 1);
}

/* The failure record keeps the first -ERR only. */
static void test_first_failure(void **s)
{
    mp_pop3_client_failure f;
    (void)s;
    logged_in("PIPELINING\r\n");
    assert_int_equal(mp_pop3_client_dele(&c, 4), MP_OK);
    assert_int_equal(mp_pop3_client_dele(&c, 5), MP_OK);
    send_all();
    assert_int_equal(feed("-ERR [SYS/TEMP/X] busy\r\n-ERR [SYS/PERM] no\r\n"), MP_NEED_MORE);
    f = mp_pop3_client_first_failure(&c);
    assert_int_equal(f.status, MP_ERR_POP3_REFUSED);
    assert_int_equal(f.verb, MP_POP3_DELE);
    assert_int_equal(f.msgno, 4);
    assert_int_equal(f.code, MP_POP3_CODE_SYS_TEMP);
    assert_true(mp_pop3_client_secure(&c) == 0);
    assert_true(mp_pop3_client_caps(&c)->flags & MP_POP3_CAP_PIPELINING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizeof),
        cmocka_unit_test(test_init_errors),
        cmocka_unit_test(test_state_errors),
        cmocka_unit_test(test_message_numbers),
        cmocka_unit_test(test_queue_one_at_a_time),
        cmocka_unit_test(test_quit_dead),
        cmocka_unit_test(test_abort),
        cmocka_unit_test(test_first_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
