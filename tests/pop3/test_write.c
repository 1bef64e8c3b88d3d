/* POP3 response writer (server side): status lines with codes, the
 * greeting, typed answers, challenges, listings, CAPA both ways, the TOP
 * cutter and content through the core's dot encoder; each checked
 * against what the client parser reads back. */
#include "pop3_fixture.h"


static void test_status(void **state)
{
    static char out[2048];
    char big[600];
    mp_outbuf ob;
    (void)state;
    W(mp_pop3_write_status(&ob, 1, MP_SLICE_LIT(""), MP_SLICE_LIT("")), "+OK\r\n");
    W(mp_pop3_write_status(&ob, 0, MP_SLICE_LIT("IN-USE"), MP_SLICE_LIT("locked")),
      "-ERR [IN-USE] locked\r\n");
    W(mp_pop3_write_status(&ob, 0, MP_SLICE_LIT("SYS/TEMP"), MP_SLICE_LIT("")),
      "-ERR [SYS/TEMP]\r\n");
    W(mp_pop3_write_status(&ob, 0, MP_SLICE_LIT(""), MP_SLICE_LIT("t\xc3\xa9l\tx")),
      "-ERR t\xc3\xa9l\tx\r\n");
    W(mp_pop3_write_greeting(&ob, MP_SLICE_LIT("POP3 server ready"),
                             MP_SLICE_LIT("<1896.697170952@dbc.mtview.ca.us>")),
      "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n");
    W(mp_pop3_write_stat(&ob, 2, 320), "+OK 2 320\r\n");
    W(mp_pop3_write_stat(&ob, 0, 0), "+OK 0 0\r\n");
    W(mp_pop3_write_list_one(&ob, 2, 200), "+OK 2 200\r\n");
    W(mp_pop3_write_uidl_one(&ob, 2, MP_SLICE_LIT("QhdPYR:00WBw1Ph7x7")),
      "+OK 2 QhdPYR:00WBw1Ph7x7\r\n");
    W(mp_pop3_write_list_entry(&ob, 1, 120), "1 120\r\n");
    W(mp_pop3_write_uidl_entry(&ob, 1, MP_SLICE_LIT("whqtswO00WBw418f9t5JxYwZ")),
      "1 whqtswO00WBw418f9t5JxYwZ\r\n");
    W(mp_pop3_write_line(&ob, MP_SLICE_LIT(".")), "..\r\n");
    W(mp_pop3_write_line(&ob, MP_SLICE_LIT("en English")), "en English\r\n");
    W(mp_pop3_write_end(&ob), ".\r\n");
    W(mp_pop3_write_challenge(&ob, "", 0), "+ \r\n");
    W(mp_pop3_write_challenge(&ob, "Username:", 9), "+ VXNlcm5hbWU6\r\n");

    REFUSE(mp_pop3_write_status(&ob, 1, MP_SLICE_LIT(""), MP_SLICE_LIT("a\r\nDELE 1")),
           MP_ERR_BAD_VALUE);
    REFUSE(mp_pop3_write_status(&ob, 1, MP_SLICE_LIT(""), MP_SLICE_LIT("a\0b")), MP_ERR_BAD_VALUE);
    REFUSE(mp_pop3_write_status(&ob, 1, MP_SLICE_LIT(""), MP_SLICE_LIT("[IN-USE] x")),
           MP_ERR_BAD_VALUE);
    /* Text that starts with "[" but no resp-code reads back as text: the
     * writer takes it (found by fuzz_pop3_write: it refused it before). */
    W(mp_pop3_write_status(&ob, 1, MP_SLICE_LIT(""), MP_SLICE_LIT("[x")), "+OK [x\r\n");
    W(mp_pop3_write_status(&ob, 1, MP_SLICE_LIT(""), MP_SLICE_LIT("[] y")), "+OK [] y\r\n");
    REFUSE(mp_pop3_write_status(&ob, 0, MP_SLICE_LIT("SYS//TEMP"), MP_SLICE_LIT("")),
           MP_ERR_BAD_VALUE);
    REFUSE(mp_pop3_write_status(&ob, 0, MP_SLICE_LIT("A]B"), MP_SLICE_LIT("")), MP_ERR_BAD_VALUE);
    REFUSE(mp_pop3_write_status(&ob, 0, MP_SLICE_LIT("A B"), MP_SLICE_LIT("")), MP_ERR_BAD_VALUE);
    REFUSE(mp_pop3_write_greeting(&ob, MP_SLICE_LIT("x"), MP_SLICE_LIT("<nope>")),
           MP_ERR_BAD_VALUE);
    REFUSE(mp_pop3_write_greeting(&ob, MP_SLICE_LIT("<a@b> x"), MP_SLICE_LIT("<c@d>")),
           MP_ERR_BAD_VALUE);
    REFUSE(mp_pop3_write_uidl_entry(&ob, 1, MP_SLICE_LIT("a b")), MP_ERR_BAD_VALUE);
    REFUSE(mp_pop3_write_uidl_entry(&ob, 1, MP_SLICE_LIT("")), MP_ERR_BAD_VALUE);
    REFUSE(mp_pop3_write_uidl_entry(&ob, 1, MP_SLICE_LIT(
               "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")),
           MP_ERR_BAD_VALUE);
    REFUSE(mp_pop3_write_list_entry(&ob, 0, 1), MP_ERR_ARG);
    REFUSE(mp_pop3_write_list_one(&ob, 2147483648u, 1), MP_ERR_ARG);
    REFUSE(mp_pop3_write_line(&ob, MP_SLICE_LIT("a\nb")), MP_ERR_BAD_VALUE);
    /* RFC 2449 §4: 512 octets with CRLF. */
    memset(big, 'x', sizeof(big));
    mp_outbuf_init(&ob, out, sizeof(out));
    assert_int_equal(mp_pop3_write_status(&ob, 1, MP_SLICE_LIT(""), mp_slice_make(big, 506)), MP_OK);
    assert_int_equal(ob.len, 512);
    REFUSE(mp_pop3_write_status(&ob, 1, MP_SLICE_LIT(""), mp_slice_make(big, 507)),
           MP_ERR_LINE_TOO_LONG);
    /* Whole or nothing. */
    mp_outbuf_init(&ob, out, 4);
    assert_int_equal(mp_pop3_write_stat(&ob, 2, 320), MP_ERR_NO_SPACE);
    assert_int_equal(ob.len, 0);
    assert_int_equal(ob.need, 11);
}

/* CAPA: what the writer writes, the parser reads back to the same set. */
static void test_capa_roundtrip(void **state)
{
    static char out[2048];
    mp_outbuf ob;
    mp_pop3_caps c, back;
    size_t i = 0;
    (void)state;
    memset(&c, 0, sizeof(c));
    c.flags = MP_POP3_CAP_TOP | MP_POP3_CAP_USER | MP_POP3_CAP_SASL | MP_POP3_CAP_RESP_CODES |
              MP_POP3_CAP_LOGIN_DELAY | MP_POP3_CAP_LOGIN_DELAY_USER | MP_POP3_CAP_PIPELINING |
              MP_POP3_CAP_EXPIRE | MP_POP3_CAP_UIDL | MP_POP3_CAP_IMPLEMENTATION |
              MP_POP3_CAP_STLS | MP_POP3_CAP_AUTH_RESP_CODE | MP_POP3_CAP_UTF8 |
              MP_POP3_CAP_UTF8_USER | MP_POP3_CAP_LANG;
    c.sasl = (1u << 1) | (1u << 5); /* PLAIN, SCRAM-SHA-256 (sasl.h) */
    c.login_delay = 900;
    c.expire = MP_POP3_EXPIRE_NEVER;
    W(mp_pop3_write_capa(&ob, &c, MP_SLICE_LIT("libmailproto 0.1")),
      "TOP\r\nUSER\r\nSASL PLAIN SCRAM-SHA-256\r\nRESP-CODES\r\nLOGIN-DELAY 900 USER\r\n"
      "PIPELINING\r\nEXPIRE NEVER\r\nUIDL\r\nIMPLEMENTATION libmailproto 0.1\r\nSTLS\r\n"
      "AUTH-RESP-CODE\r\nUTF8 USER\r\nLANG\r\n");
    mp_pop3_caps_init(&back);
    while (i < ob.len) {
        const char *e = memchr(out + i, '\r', ob.len - i);
        uint32_t bit;
        assert_non_null(e);
        assert_int_equal(mp_pop3_caps_parse_line(&back, mp_slice_make(out + i, (size_t)(e - out) - i),
                                                 &bit),
                         MP_OK);
        assert_true(bit != 0);
        i = (size_t)(e - out) + 2u;
    }
    assert_memory_equal(&back, &c, sizeof(c));
    c.flags = MP_POP3_CAP_EXPIRE;
    c.expire = 0;
    W(mp_pop3_write_capa(&ob, &c, MP_SLICE_LIT("")), "EXPIRE 0\r\n");
    c.flags = MP_POP3_CAP_IMPLEMENTATION;
    REFUSE(mp_pop3_write_capa(&ob, &c, MP_SLICE_LIT("a\r\nb")), MP_ERR_BAD_VALUE);
}

/* TOP: header, blank line, n body lines, from any split of the stored
 * message; then the dot encoder stuffs and ends it. */
static void top_case(const char *msg, uint32_t lines, const char *want)
{
    static char out[4096];
    size_t n = strlen(msg), piece;
    for (piece = 1; piece <= n + 1; piece++) {
        mp_pop3_top_cutter t;
        mp_dot_encoder e;
        mp_outbuf ob;
        size_t i = 0, take = 0, used;
        mp_status st = MP_OK;
        mp_pop3_top_init(&t, lines);
        mp_dot_encoder_init(&e, MP_DOT_ENC_NORMALIZE);
        mp_outbuf_init(&ob, out, sizeof(out));
        while (i < n && st == MP_OK) {
            size_t k = n - i < piece ? n - i : piece;
            st = mp_pop3_top_cut(&t, msg + i, k, &take);
            assert_true(st == MP_OK || st == MP_DONE);
            assert_int_equal(mp_dot_encoder_update(&e, msg + i, take, &used, &ob), MP_OK);
            assert_int_equal(used, take);
            i += k;
        }
        assert_int_equal(mp_dot_encoder_finish(&e, &ob), MP_OK);
        if (ob.len != strlen(want) || memcmp(out, want, ob.len) != 0)
            fail_msg("TOP %u piece %zu: got %.*s", (unsigned)lines, piece, (int)ob.len, out);
    }
}

static void test_top(void **state)
{
    (void)state;
    top_case("Subject: a\nFrom: b\n\none\n.two\nthree\n", 2,
             "Subject: a\r\nFrom: b\r\n\r\none\r\n..two\r\n.\r\n");
    top_case("Subject: a\r\n\r\none\r\ntwo\r\n", 0, "Subject: a\r\n\r\n.\r\n");
    top_case("Subject: a\r\n\r\none\r\ntwo", 5, "Subject: a\r\n\r\none\r\ntwo\r\n.\r\n");
    /* No blank line: all header. */
    top_case("Subject: a\nX: b", 1, "Subject: a\r\nX: b\r\n.\r\n");
    /* An empty header. */
    top_case("\nbody\nmore\n", 1, "\r\nbody\r\n.\r\n");
    /* A header line ending in CR CR LF is not blank (the encoder then
     * makes the bare CR a line end of its own). */
    top_case("A: b\r\r\n\r\nx\r\n", 0, "A: b\r\n\r\n\r\n.\r\n");
}

/* Content that does not end in a line end gets one before the "."; a
 * last line "." is stuffed (RFC 1939 §3): the parser reads both back. */
static void test_content_end(void **state)
{
    static char out[256];
    mp_outbuf ob;
    mp_dot_encoder e;
    size_t used;
    (void)state;
    mp_outbuf_init(&ob, out, sizeof(out));
    mp_dot_encoder_init(&e, 0);
    assert_int_equal(mp_dot_encoder_update(&e, "a\r\n.", 4, &used, &ob), MP_OK);
    assert_int_equal(mp_dot_encoder_finish(&e, &ob), MP_OK);
    assert_int_equal(ob.len, 10);
    assert_memory_equal(out, "a\r\n..\r\n.\r\n", 10);
}

/* RFC 2595 §4: after the +OK to STLS the parser holds nothing, so any
 * byte left in the input is plaintext injection for the host to refuse. */
static void test_stls_leftover(void **state)
{
    static const char in[] = "+OK Begin TLS\r\n+OK injected\r\n";
    static char buf[MP_POP3_MAX_RESPONSE_LINE];
    mp_pop3_resp_parser p;
    mp_pop3_resp_event ev;
    size_t used;
    (void)state;
    assert_int_equal(mp_pop3_resp_init(&p, buf, sizeof(buf), NULL), MP_OK);
    assert_int_equal(mp_pop3_resp_expect(&p, MP_POP3_EXPECT_STATUS), MP_OK);
    assert_int_equal(mp_pop3_resp_next(&p, in, sizeof(in) - 1, &used, &ev), MP_OK);
    assert_int_equal(ev.type, MP_POP3_EV_STATUS);
    assert_int_equal(used, 15);
    assert_int_equal(mp_pop3_resp_pending(&p), 0);
    assert_false(mp_pop3_resp_busy(&p));
    /* Nothing awaited: the rest is refused, not parsed. */
    assert_int_equal(mp_pop3_resp_next(&p, in + used, sizeof(in) - 1 - used, &used, &ev),
                     MP_ERR_POP3_UNEXPECTED);
    assert_int_equal(used, 0);
    /* A line cut in the middle is held: pending says so. */
    assert_int_equal(mp_pop3_resp_expect(&p, MP_POP3_EXPECT_STATUS), MP_OK);
    assert_int_equal(mp_pop3_resp_next(&p, "+OK x", 5, &used, &ev), MP_NEED_MORE);
    assert_int_equal(mp_pop3_resp_pending(&p), 5);
    assert_int_equal(mp_pop3_resp_expect(&p, MP_POP3_EXPECT_STATUS), MP_ERR_STATE);
}

/* The parser struct stays small (docs/architecture.md §7). */
static void test_sizes(void **state)
{
    (void)state;
    printf("sizeof mp_pop3_resp_parser %zu, mp_pop3_cmd %zu, mp_pop3_resp_event %zu\n",
           sizeof(mp_pop3_resp_parser), sizeof(mp_pop3_cmd), sizeof(mp_pop3_resp_event));
    assert_true(sizeof(mp_pop3_resp_parser) <= 320);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status),        cmocka_unit_test(test_capa_roundtrip),
        cmocka_unit_test(test_top),           cmocka_unit_test(test_content_end),
        cmocka_unit_test(test_stls_leftover), cmocka_unit_test(test_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
