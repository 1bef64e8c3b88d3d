/* smtp_client.h and smtp.h include in either order and share one set of
 * types: this file includes the client header first (test_path_agree.c
 * includes them the other way round).  The checks below fail to compile
 * if a type were defined twice or differently. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/smtp_client.h"
#include "mailproto/smtp.h"

/* A client envelope carries the server's mp_smtp_body / mp_smtp_ret. */
static void test_shared_enums(void **s)
{
    mp_smtp_client_envelope env;
    mp_smtp_params srv;
    (void)s;
    memset(&env, 0, sizeof(env));
    memset(&srv, 0, sizeof(srv));
    env.body = MP_SMTP_BODY_8BITMIME;
    srv.body = (uint8_t)env.body;
    env.ret = MP_SMTP_RET_HDRS;
    srv.ret = (uint8_t)env.ret;
    assert_int_equal(srv.body, MP_SMTP_BODY_8BITMIME);
    assert_int_equal(srv.ret, MP_SMTP_RET_HDRS);
    assert_string_equal(mp_smtp_verb_name(MP_SMTP_BDAT), "BDAT");
    assert_int_equal(MP_SMTP_NOTIFY_NEVER | MP_SMTP_NOTIFY_SUCCESS | MP_SMTP_NOTIFY_FAILURE |
                         MP_SMTP_NOTIFY_DELAY,
                     15);
}

/* The reply parser hands out the shared mp_smtp_esc, which the server's
 * formatter writes back unchanged. */
static void test_reply_esc_is_shared(void **s)
{
    static const char in[] = "550-5.1.1 no such user\r\n550 5.1.1 really\r\n"
                             "250 2.0.0 ok\r\n451 4.3.0\r\n";
    char lb[MP_SMTP_MAX_REPLY_LINE];
    char txt[MP_SMTP_ESC_MAX + 1];
    const char *want[] = { "5.1.1", "5.1.1", "2.0.0", "4.3.0" };
    mp_smtp_reply_parser p;
    mp_smtp_reply_line l;
    size_t off = 0, used, k = 0;
    (void)s;
    assert_int_equal(mp_smtp_reply_parser_init(&p, lb, sizeof(lb), MP_SMTP_MAX_REPLY_LINE, 0, 0),
                     MP_OK);
    while (off < sizeof(in) - 1) {
        mp_smtp_esc e;
        assert_int_equal(mp_smtp_reply_parser_next(&p, in + off, sizeof(in) - 1 - off, &used, &l),
                         MP_OK);
        off += used;
        assert_true(mp_smtp_code_valid(l.code));
        assert_int_equal(l.esc.cls, mp_smtp_code_class(l.code));
        assert_int_equal(mp_smtp_esc_format(l.esc, txt), strlen(want[k]));
        assert_string_equal(txt, want[k]);
        /* The slice and the numbers agree. */
        assert_int_equal(mp_smtp_esc_parse(l.enhanced.ptr, l.enhanced.len, &e), l.enhanced.len);
        assert_int_equal(e.cls, l.esc.cls);
        assert_int_equal(e.subject, l.esc.subject);
        assert_int_equal(e.detail, l.esc.detail);
        k++;
    }
    assert_int_equal(k, 4);
}

/* A code whose class differs from the reply's, or one with a leading zero
 * (RFC 3463 §2), is text, not an enhanced code. */
static void test_reply_esc_rejected(void **s)
{
    static const char *const lines[] = { "250 5.1.1 x\r\n", "550 5.01.1 x\r\n", "550 5.1.1x\r\n" };
    char lb[MP_SMTP_MAX_REPLY_LINE];
    mp_smtp_reply_parser p;
    mp_smtp_reply_line l;
    size_t i, used;
    (void)s;
    for (i = 0; i < 3; i++) {
        assert_int_equal(
            mp_smtp_reply_parser_init(&p, lb, sizeof(lb), MP_SMTP_MAX_REPLY_LINE, 0, 0), MP_OK);
        assert_int_equal(mp_smtp_reply_parser_next(&p, lines[i], strlen(lines[i]), &used, &l),
                         MP_OK);
        assert_int_equal(l.esc.cls, 0);
        assert_int_equal(l.enhanced.len, 0);
        assert_int_equal(l.text.len, strlen(lines[i]) - 6);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_enums),
        cmocka_unit_test(test_reply_esc_is_shared),
        cmocka_unit_test(test_reply_esc_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
