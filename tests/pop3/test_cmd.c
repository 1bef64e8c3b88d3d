/* POP3 command parser (server side) and command writer (client side):
 * the vector files of tests/vectors/pop3/cmd/ run whole, byte by byte and
 * at random splits, every parsed command written back and parsed again;
 * then the limits and the writers' refusals. */
#include "pop3_fixture.h"

static void test_cmd_vectors(void **state)
{
    (void)state;
    assert_true(mp_vectors_split_check("pop3/cmd/rfc.vec", &cmd_target, cmd_setup) > 0);
    assert_true(mp_vectors_split_check("pop3/cmd/security.vec", &cmd_target, cmd_setup) > 0);
    assert_true(mp_vectors_split_check("pop3/cmd/dovecot.vec", &cmd_target, cmd_setup) > 0);
    assert_true(cfx.roundtrips > 0);
}

/* RFC 2449 §4: 255 octets with CRLF; the framer and the parser agree,
 * and a server that raised the limit takes more. */
static void test_line_limit(void **state)
{
    static char in[1024];
    mp_pop3_cmd cmd;
    mp_pop3_limits lim = { 1000, 1000 };
    mp_error e;
    size_t n;
    (void)state;
    /* "PASS " + 248 bytes = 253 + CRLF = 255: the longest line. */
    memset(in, 'x', sizeof(in));
    memcpy(in, "PASS ", 5);
    lim.arg = 1000;
    assert_int_equal(mp_pop3_cmd_parse(in, 253, 0, &lim, &cmd, &e), MP_OK);
    lim.command_line = 0;
    assert_int_equal(mp_pop3_cmd_parse(in, 253, 0, &lim, &cmd, &e), MP_OK);
    assert_int_equal(mp_pop3_cmd_parse(in, 254, 0, &lim, &cmd, &e), MP_ERR_LINE_TOO_LONG);
    assert_int_equal(e.offset, 253);
    lim.command_line = 1000;
    assert_int_equal(mp_pop3_cmd_parse(in, 900, 0, &lim, &cmd, &e), MP_OK);
    assert_int_equal(cmd.arg.len, 895);
    /* Through the framer: the long line is refused, the next one parses. */
    n = 300;
    memcpy(in + n - 2, "\r\nNOOP\r\n", 8);
    cfx.flags = 0;
    cfx.lim.command_line = 0;
    cfx.lim.arg = 0;
    cfx.auth_lines = 1;
    cfx.offsets = 1;
    mp_split_check(&cmd_target, in, n + 6,
                   "error MP_ERR_LINE_TOO_LONG @253\n"
                   "cmd NOOP\n");
}

/* AUTH data past its limit (MP_POP3_MAX_AUTH_LINE): refused with its own
 * code; the limit itself passes. */
static void test_auth_line_limit(void **state)
{
    static char line[MP_POP3_MAX_AUTH_LINE + 8];
    mp_pop3_auth_line_kind kind;
    mp_slice data;
    mp_error e;
    size_t max = MP_POP3_MAX_AUTH_LINE - 2u;
    (void)state;
    memset(line, 'A', sizeof(line));
    max -= max % 4u; /* whole base64 groups */
    assert_int_equal(mp_pop3_auth_line_parse(line, max, 0, &kind, &data, &e), MP_OK);
    assert_int_equal(kind, MP_POP3_AUTH_DATA);
    assert_int_equal(data.len, max);
    assert_int_equal(mp_pop3_auth_line_parse(line, MP_POP3_MAX_AUTH_LINE - 1u, 0, &kind, &data,
                                             &e),
                     MP_ERR_POP3_AUTH_TOO_LONG);
    assert_int_equal(e.offset, MP_POP3_MAX_AUTH_LINE - 2u);
    assert_int_equal(mp_pop3_auth_line_parse(line, 100, 64, &kind, &data, &e),
                     MP_ERR_POP3_AUTH_TOO_LONG);
    assert_int_equal(mp_pop3_auth_line_parse("*", 1, 0, &kind, &data, &e), MP_OK);
    assert_int_equal(kind, MP_POP3_AUTH_CANCEL);
    assert_int_equal(mp_pop3_auth_line_parse("", 0, 0, &kind, &data, &e), MP_OK);
    assert_int_equal(kind, MP_POP3_AUTH_DATA);
    assert_int_equal(data.len, 0);
    assert_int_equal(mp_pop3_auth_line_parse("**", 2, 0, &kind, &data, &e), MP_ERR_BASE64);
    /* The writer refuses what the parser would: a response whose base64
     * line would be too long. */
    {
        static char out[MP_POP3_MAX_AUTH_LINE + 64];
        mp_outbuf ob;
        size_t fit = (MP_POP3_MAX_AUTH_LINE - 2u) / 4u * 3u;
        mp_outbuf_init(&ob, out, sizeof(out));
        assert_int_equal(mp_pop3_write_auth_response(&ob, line, fit), MP_OK);
        assert_int_equal(ob.len, MP_BASE64_ENCODED_LEN(fit) + 2u);
        assert_int_equal(mp_pop3_auth_line_parse(out, ob.len - 2u, 0, &kind, &data, &e), MP_OK);
        assert_int_equal(mp_pop3_write_auth_response(&ob, line, fit + 1u), MP_ERR_LINE_TOO_LONG);
    }
}


static void test_writers(void **state)
{
    static const uint8_t digest[16] = { 0xc4, 0xc9, 0x33, 0x4b, 0xac, 0x56, 0x0e, 0xcc,
                                        0x97, 0x9e, 0x58, 0x00, 0x1b, 0x3e, 0x22, 0xfb };
    char out[512];
    mp_outbuf ob;
    mp_pop3_limits big = { 0, 64 };
    mp_pop3_cmd c;
    (void)state;
    W(mp_pop3_write_simple(&ob, MP_POP3_STAT), "STAT\r\n");
    W(mp_pop3_write_simple(&ob, MP_POP3_CAPA), "CAPA\r\n");
    W(mp_pop3_write_simple(&ob, MP_POP3_LIST), "LIST\r\n");
    W(mp_pop3_write_simple(&ob, MP_POP3_AUTH), "AUTH\r\n");
    W(mp_pop3_write_msg(&ob, MP_POP3_RETR, 1), "RETR 1\r\n");
    W(mp_pop3_write_msg(&ob, MP_POP3_UIDL, 2147483647u), "UIDL 2147483647\r\n");
    W(mp_pop3_write_top(&ob, 3, 0), "TOP 3 0\r\n");
    W(mp_pop3_write_user(&ob, MP_SLICE_LIT("mrose"), 0, NULL), "USER mrose\r\n");
    W(mp_pop3_write_pass(&ob, MP_SLICE_LIT("a b c"), 0, NULL), "PASS a b c\r\n");
    W(mp_pop3_write_lang(&ob, MP_SLICE_LIT("*"), NULL), "LANG *\r\n");
    /* RFC 1939 §7: the APOP example of the RFC. */
    W(mp_pop3_write_apop(&ob, MP_SLICE_LIT("mrose"), digest, 0, NULL),
      "APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n");
    W(mp_pop3_write_auth(&ob, MP_SLICE_LIT("PLAIN"), "\0tim\0tanstaaftanstaaf", 21, 1, NULL),
      "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n");
    W(mp_pop3_write_auth(&ob, MP_SLICE_LIT("EXTERNAL"), "", 0, 1, NULL), "AUTH EXTERNAL =\r\n");
    W(mp_pop3_write_auth(&ob, MP_SLICE_LIT("SCRAM-SHA-256"), NULL, 0, 0, NULL),
      "AUTH SCRAM-SHA-256\r\n");
    W(mp_pop3_write_auth_response(&ob, "", 0), "\r\n");
    W(mp_pop3_write_auth_cancel(&ob), "*\r\n");
    W(mp_pop3_write_pass(&ob, MP_SLICE_LIT("012345678901234567890123456789012345678901234567890"),
                         0, &big),
      "PASS 012345678901234567890123456789012345678901234567890\r\n");

    /* Refusals: what the parser refuses. */
    REFUSE(mp_pop3_write_msg(&ob, MP_POP3_RETR, 0), MP_ERR_ARG);
    REFUSE(mp_pop3_write_msg(&ob, MP_POP3_RETR, 2147483648u), MP_ERR_ARG);
    REFUSE(mp_pop3_write_msg(&ob, MP_POP3_STAT, 1), MP_ERR_ARG);
    REFUSE(mp_pop3_write_top(&ob, 1, 2147483648u), MP_ERR_ARG);
    REFUSE(mp_pop3_write_simple(&ob, MP_POP3_RETR), MP_ERR_ARG);
    REFUSE(mp_pop3_write_simple(&ob, MP_POP3_NONE), MP_ERR_ARG);
    REFUSE(mp_pop3_write_user(&ob, MP_SLICE_LIT("a b"), 0, NULL), MP_ERR_BAD_VALUE);
    REFUSE(mp_pop3_write_user(&ob, MP_SLICE_LIT(""), 0, NULL), MP_ERR_BAD_VALUE);
    REFUSE(mp_pop3_write_user(&ob, MP_SLICE_LIT("a\r\nDELE 1"), 0, NULL), MP_ERR_BAD_VALUE);
    REFUSE(mp_pop3_write_user(&ob, MP_SLICE_LIT("\xc3\xa9"), 0, NULL), MP_ERR_BAD_VALUE);
    W(mp_pop3_write_user(&ob, MP_SLICE_LIT("\xc3\xa9"), MP_POP3_CMD_UTF8, NULL),
      "USER \xc3\xa9\r\n");
    REFUSE(mp_pop3_write_user(&ob, MP_SLICE_LIT("\xc3("), MP_POP3_CMD_UTF8, NULL),
           MP_ERR_BAD_VALUE);
    REFUSE(mp_pop3_write_pass(&ob, MP_SLICE_LIT("a\0b"), 0, NULL), MP_ERR_BAD_VALUE);
    REFUSE(mp_pop3_write_pass(&ob, MP_SLICE_LIT("01234567890123456789012345678901234567890"), 0,
                              NULL),
           MP_ERR_POP3_ARG_TOO_LONG);
    REFUSE(mp_pop3_write_lang(&ob, MP_SLICE_LIT("en_US"), NULL), MP_ERR_BAD_VALUE);
    REFUSE(mp_pop3_write_auth(&ob, MP_SLICE_LIT("PL AIN"), NULL, 0, 0, NULL), MP_ERR_BAD_VALUE);
    REFUSE(mp_pop3_write_auth(&ob, MP_SLICE_LIT("ABCDEFGHIJKLMNOPQRSTU"), NULL, 0, 0, NULL),
           MP_ERR_BAD_VALUE);
    /* RFC 5034 §4: an initial response that does not fit the 255-octet
     * line goes after the first "+ " instead. */
    REFUSE(mp_pop3_write_auth(&ob, MP_SLICE_LIT("PLAIN"), out, 200, 1, NULL),
           MP_ERR_LINE_TOO_LONG);
    /* The generic writer checks what a host put in the struct. */
    memset(&c, 0, sizeof(c));
    c.verb = MP_POP3_APOP;
    c.arg = MP_SLICE_LIT("mrose");
    c.arg2 = MP_SLICE_LIT("c4c9334bac560ecc979e58001b3e22f");
    c.has_arg = c.has_arg2 = 1;
    REFUSE(mp_pop3_write_command(&ob, &c, 0, NULL), MP_ERR_BAD_VALUE);
    c.verb = MP_POP3_AUTH;
    c.arg = MP_SLICE_LIT("PLAIN");
    c.arg2 = MP_SLICE_LIT("dGVzdA=");
    REFUSE(mp_pop3_write_command(&ob, &c, 0, NULL), MP_ERR_BAD_VALUE);
    c.arg2 = MP_SLICE_LIT("");
    REFUSE(mp_pop3_write_command(&ob, &c, 0, NULL), MP_ERR_BAD_VALUE);
    c.has_arg = 0;
    REFUSE(mp_pop3_write_command(&ob, &c, 0, NULL), MP_ERR_ARG);
    /* Whole or nothing: no room, nothing written, the size needed told. */
    mp_outbuf_init(&ob, out, 5);
    assert_int_equal(mp_pop3_write_msg(&ob, MP_POP3_RETR, 12), MP_ERR_NO_SPACE);
    assert_int_equal(ob.len, 0);
    assert_int_equal(ob.need, 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cmd_vectors),
        cmocka_unit_test(test_line_limit),
        cmocka_unit_test(test_auth_line_limit),
        cmocka_unit_test(test_writers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
