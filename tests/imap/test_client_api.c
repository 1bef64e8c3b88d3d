/* IMAP client session: the calls themselves (arguments, sizes, tags,
 * capability and flag names, the output gate, re-entrance), apart from
 * the scripted sessions of test_client_vectors.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/imap_client.h"
#include "mailproto/sasl.h"

static mp_imap_client c;
static mp_imap_client_config cfg;
static char out[4096], pbuf[8192], abuf[MP_IMAP_CLIENT_AUTH_BUF];
static int nested_status = -1;

static int on_event(void *user, const mp_imap_client_event *ev)
{
    size_t used = 1;
    (void)user;
    if (ev->type == MP_IMAP_CLIENT_EV_GREETING) {
        /* feed from inside a callback is refused, nothing consumed */
        nested_status = (int)mp_imap_client_feed(&c, "x", 1, &used);
        assert_int_equal(used, 0);
    }
    return 0;
}

static const mp_imap_client_callbacks cb = { on_event };

static void setup_cfg(void)
{
    memset(&cfg, 0, sizeof(cfg));
    cfg.buf = pbuf;
    cfg.buf_cap = sizeof(pbuf);
}

/* docs/architecture.md: every state struct in 4 KiB; this one far less. */
static void test_sizes(void **s)
{
    (void)s;
    assert_true(sizeof(mp_imap_client) <= 4096);
    assert_true(MP_IMAP_CLIENT_MIN_OUT <= 4096);
    assert_true(MP_IMAP_CLIENT_AUTH_BUF == 2u * MP_SASL_MAX_MESSAGE);
}

static void test_init_arguments(void **s)
{
    (void)s;
    setup_cfg();
    assert_int_equal(mp_imap_client_init(NULL, &cfg, &cb, NULL, out, sizeof(out)), MP_ERR_ARG);
    assert_int_equal(mp_imap_client_init(&c, &cfg, &cb, NULL, out, MP_IMAP_CLIENT_MIN_OUT - 1),
                     MP_ERR_ARG);
    cfg.buf_cap = 63;
    assert_int_equal(mp_imap_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)), MP_ERR_ARG);
    setup_cfg();
    cfg.tls = (mp_imap_client_tls)4;
    assert_int_equal(mp_imap_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)), MP_ERR_ARG);
    setup_cfg();
    cfg.auth_buf = abuf;
    cfg.auth_cap = sizeof(abuf) - 1;
    assert_int_equal(mp_imap_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)), MP_ERR_ARG);
    setup_cfg();
    cfg.uid_cap = 4; /* no map to go with it */
    assert_int_equal(mp_imap_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)), MP_ERR_ARG);
    setup_cfg();
    assert_int_equal(mp_imap_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)), MP_OK);
    assert_int_equal(mp_imap_client_state_of(&c), MP_IMAP_ST_GREETING);
    assert_int_equal(mp_imap_client_secure(&c), 0);
    /* nothing to send before the greeting; no command either */
    {
        size_t n = 1;
        uint32_t id;
        (void)mp_imap_client_output(&c, &n);
        assert_int_equal(n, 0);
        assert_int_equal(mp_imap_client_output_done(&c, 1), MP_ERR_ARG);
        assert_int_equal(mp_imap_client_logout(&c, &id), MP_ERR_STATE);
        assert_int_equal(mp_imap_client_tls_started(&c), MP_ERR_STATE);
        assert_int_equal(mp_imap_client_compress_started(&c), MP_ERR_STATE);
        assert_int_equal(mp_imap_client_idle_done(&c), MP_ERR_STATE);
    }
}

static void test_tags(void **s)
{
    char b[12];
    (void)s;
    assert_int_equal(mp_imap_client_tag(1, b, sizeof(b)), 2);
    assert_string_equal(b, "A1");
    assert_int_equal(mp_imap_client_tag(4294967295u, b, sizeof(b)), 11);
    assert_string_equal(b, "A4294967295");
    assert_int_equal(mp_imap_client_tag(123, b, 4), 0);
    assert_int_equal(mp_imap_client_tag(123, b, 5), 4);
}

static void test_caps_and_flags(void **s)
{
    mp_imap_caps k;
    (void)s;
    mp_imap_caps_init(&k);
    assert_true(mp_imap_caps_add(&k, MP_SLICE_LIT("literal+")) == MP_IMAP_CAP_LITERAL_PLUS);
    assert_true(mp_imap_caps_add(&k, MP_SLICE_LIT("THREAD=REFERENCES")) == MP_IMAP_CAP_THREAD);
    assert_true(mp_imap_caps_add(&k, MP_SLICE_LIT("SORT=DISPLAY")) == MP_IMAP_CAP_SORT);
    assert_true(mp_imap_caps_add(&k, MP_SLICE_LIT("APPENDLIMIT=35651584")) ==
                MP_IMAP_CAP_APPENDLIMIT);
    assert_true(k.appendlimit == 35651584u);
    assert_true(mp_imap_caps_add(&k, MP_SLICE_LIT("APPENDLIMITX")) == 0);
    assert_true(mp_imap_caps_add(&k, MP_SLICE_LIT("AUTH=scram-sha-256")) == 0);
    assert_true(k.auth == MP_SASL_MECH_BIT(MP_SASL_SCRAM_SHA_256));
    assert_true(mp_imap_caps_add(&k, MP_SLICE_LIT("AUTH=X-UNKNOWN")) == 0);
    assert_true(mp_imap_caps_add(&k, MP_SLICE_LIT("X-GM-EXT-1")) == 0);
    assert_string_equal(mp_imap_cap_name(MP_IMAP_CAP_UTF8_ACCEPT), "UTF8=ACCEPT");
    assert_null(mp_imap_cap_name(MP_IMAP_CAP_IDLE | MP_IMAP_CAP_ID));
    assert_int_equal(mp_imap_flag_bit(MP_SLICE_LIT("\\SEEN")), MP_IMAP_FLAG_SEEN);
    assert_int_equal(mp_imap_flag_bit(MP_SLICE_LIT("\\*")), MP_IMAP_FLAG_ANY);
    assert_int_equal(mp_imap_flag_bit(MP_SLICE_LIT("\\Important")), MP_IMAP_FLAG_KEYWORD);
    assert_int_equal(mp_imap_flag_bit(MP_SLICE_LIT("$Junk")), MP_IMAP_FLAG_KEYWORD);
}

/* feed() from a callback is refused; the session goes on afterwards. */
static void test_no_feed_from_callback(void **s)
{
    static const char g[] = "* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n";
    size_t used;
    (void)s;
    setup_cfg();
    assert_int_equal(mp_imap_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)), MP_OK);
    assert_int_equal(mp_imap_client_feed(&c, g, sizeof(g) - 1, &used), MP_NEED_MORE);
    assert_int_equal(nested_status, MP_ERR_STATE);
    assert_int_equal(mp_imap_client_state_of(&c), MP_IMAP_ST_AUTHENTICATED);
}

/* The output stops at a sync literal; output_done cannot go past it. */
static void test_output_gate(void **s)
{
    static const char g[] = "* OK [CAPABILITY IMAP4rev1] hi\r\n";
    size_t used, n;
    uint32_t id;
    const char *p;
    (void)s;
    setup_cfg();
    assert_int_equal(mp_imap_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)), MP_OK);
    assert_int_equal(mp_imap_client_feed(&c, g, sizeof(g) - 1, &used), MP_NEED_MORE);
    assert_int_equal(mp_imap_client_login(&c, MP_SLICE_LIT("u"), MP_SLICE_LIT("a\xc3\xa4"), &id),
                     MP_OK);
    assert_int_equal(id, 1);
    p = mp_imap_client_output(&c, &n);
    assert_int_equal(n, 16);
    assert_memory_equal(p, "A1 LOGIN u {3}\r\n", 16);
    assert_int_equal(mp_imap_client_output_done(&c, 17), MP_ERR_ARG);
    assert_int_equal(mp_imap_client_output_done(&c, 14), MP_OK);
    (void)mp_imap_client_output(&c, &n);
    assert_int_equal(n, 2);
    assert_int_equal(mp_imap_client_output_done(&c, 2), MP_OK);
    assert_int_equal(mp_imap_client_in_flight(&c), 1);
    assert_int_equal(mp_imap_client_feed(&c, "+ ok\r\n", 6, &used), MP_NEED_MORE);
    p = mp_imap_client_output(&c, &n);
    assert_int_equal(n, 5);
    assert_memory_equal(p, "a\xc3\xa4\r\n", 5);
}

/* EOF: closed after LOGOUT's BYE, a failure anywhere else. */
static void test_eof(void **s)
{
    static const char g[] = "* PREAUTH [CAPABILITY IMAP4rev1] hi\r\n";
    size_t used, n;
    uint32_t id;
    (void)s;
    setup_cfg();
    assert_int_equal(mp_imap_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)), MP_OK);
    assert_int_equal(mp_imap_client_eof(&c), MP_ERR_IMAP_BYE);
    assert_int_equal(mp_imap_client_error(&c)->offset, 0);
    assert_int_equal(mp_imap_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)), MP_OK);
    assert_int_equal(mp_imap_client_feed(&c, g, sizeof(g) - 1, &used), MP_NEED_MORE);
    assert_int_equal(mp_imap_client_logout(&c, &id), MP_OK);
    assert_int_equal(mp_imap_client_state_of(&c), MP_IMAP_ST_LOGOUT);
    (void)mp_imap_client_output(&c, &n);
    assert_int_equal(mp_imap_client_output_done(&c, n), MP_OK);
    /* no BYE yet: a cut connection */
    assert_int_equal(mp_imap_client_feed(&c, "* BYE bye\r\n", 11, &used), MP_NEED_MORE);
    assert_int_equal(mp_imap_client_eof(&c), MP_CLOSED);
    assert_int_equal(mp_imap_client_state_of(&c), MP_IMAP_ST_CLOSED);
    assert_int_equal(mp_imap_client_feed(&c, "x", 1, &used), MP_CLOSED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_init_arguments),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_caps_and_flags),
        cmocka_unit_test(test_no_feed_from_callback),
        cmocka_unit_test(test_output_gate),
        cmocka_unit_test(test_eof),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
