/* SMTP command writer: every command byte-exact, every refusal, and the
 * whole-or-nothing rule on a full buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/smtp_client.h"

static char buf[16384];
static mp_outbuf ob;

static void reset(void) { mp_outbuf_init(&ob, buf, sizeof(buf)); }

/* The buffer holds exactly `want`. */
static void expect(const char *want)
{
    assert_int_equal(ob.len, strlen(want));
    assert_memory_equal(ob.buf, want, ob.len);
    reset();
}

#define S(lit) MP_SLICE_LIT(lit)

static void test_hello_and_simple(void **s)
{
    (void)s;
    reset();
    assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_EHLO, S("client.example.org")), MP_OK);
    expect("EHLO client.example.org\r\n");
    assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_HELO, S("a")), MP_OK);
    expect("HELO a\r\n");
    assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_LHLO, S("[192.0.2.1]")), MP_OK);
    expect("LHLO [192.0.2.1]\r\n");
    assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_EHLO, S("[IPv6:2001:db8::1]")), MP_OK);
    expect("EHLO [IPv6:2001:db8::1]\r\n");
    /* Refusals: empty, spaces, CRLF injection, bad labels, unclosed literal. */
    assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_EHLO, S("")), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_EHLO, S("a b")), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_EHLO, S("a\r\nMAIL FROM:<>")),
                     MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_EHLO, S("-a.example")), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_EHLO, S("a-.example")), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_EHLO, S("a..example")), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_EHLO, S("a.example.")), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_EHLO, S("[1.2.3.4")), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_EHLO, S("[]")), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_EHLO, S("[a]b]")), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_EHLO, S("caf\xc3\xa9.example")),
                     MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_hello(&ob, (mp_smtp_verb)77, S("a")), MP_ERR_ARG);
    assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_MAIL, S("a")), MP_ERR_ARG);
    {
        static char longd[300];
        memset(longd, 'a', sizeof(longd));
        longd[60] = '.';
        longd[120] = '.';
        longd[180] = '.';
        longd[240] = '.';
        assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_EHLO, mp_slice_make(longd, 255)),
                         MP_OK);
        reset();
        assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_EHLO, mp_slice_make(longd, 256)),
                         MP_ERR_TOKEN_TOO_LONG);
        /* A 64-character label is one too many (RFC 1035). */
        memset(longd, 'a', 64);
        assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_EHLO, mp_slice_make(longd, 63)),
                         MP_OK);
        reset();
        assert_int_equal(mp_smtp_write_hello(&ob, MP_SMTP_EHLO, mp_slice_make(longd, 64)),
                         MP_ERR_TOKEN_TOO_LONG);
    }
    assert_int_equal(ob.len, 0);

    assert_int_equal(mp_smtp_write_simple(&ob, MP_SMTP_DATA), MP_OK);
    assert_int_equal(mp_smtp_write_simple(&ob, MP_SMTP_RSET), MP_OK);
    assert_int_equal(mp_smtp_write_simple(&ob, MP_SMTP_NOOP), MP_OK);
    assert_int_equal(mp_smtp_write_simple(&ob, MP_SMTP_QUIT), MP_OK);
    assert_int_equal(mp_smtp_write_simple(&ob, MP_SMTP_STARTTLS), MP_OK);
    assert_int_equal(mp_smtp_write_simple(&ob, MP_SMTP_HELP), MP_OK);
    expect("DATA\r\nRSET\r\nNOOP\r\nQUIT\r\nSTARTTLS\r\nHELP\r\n");
    assert_int_equal(mp_smtp_write_simple(&ob, MP_SMTP_MAIL), MP_ERR_ARG);
}

static void test_arg_commands(void **s)
{
    (void)s;
    reset();
    assert_int_equal(mp_smtp_write_arg(&ob, MP_SMTP_VRFY, S("Smith"), 0), MP_OK);
    assert_int_equal(mp_smtp_write_arg(&ob, MP_SMTP_EXPN, S("Example-People"), 0), MP_OK);
    assert_int_equal(mp_smtp_write_arg(&ob, MP_SMTP_HELP, S("MAIL"), 0), MP_OK);
    assert_int_equal(mp_smtp_write_arg(&ob, MP_SMTP_NOOP, S("ping 1"), 0), MP_OK);
    assert_int_equal(mp_smtp_write_arg(&ob, MP_SMTP_HELP, S(""), 0), MP_OK);
    assert_int_equal(mp_smtp_write_arg(&ob, MP_SMTP_NOOP, S(""), 0), MP_OK);
    assert_int_equal(mp_smtp_write_arg(&ob, MP_SMTP_VRFY, S("J\xc3\xb6rg"), 1), MP_OK);
    expect("VRFY Smith\r\nEXPN Example-People\r\nHELP MAIL\r\nNOOP ping 1\r\nHELP\r\nNOOP\r\n"
           "VRFY J\xc3\xb6rg\r\n");
    assert_int_equal(mp_smtp_write_arg(&ob, MP_SMTP_VRFY, S(""), 0), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_arg(&ob, MP_SMTP_VRFY, S("a\rb"), 0), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_arg(&ob, MP_SMTP_VRFY, S("a\nb"), 0), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_arg(&ob, MP_SMTP_EXPN, S("a\0b"), 0), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_arg(&ob, MP_SMTP_EXPN, S("a\x7f"), 0), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_arg(&ob, MP_SMTP_QUIT, S("now"), 0), MP_ERR_ARG);
    assert_int_equal(mp_smtp_write_simple(&ob, MP_SMTP_VRFY), MP_ERR_ARG);
    assert_int_equal(mp_smtp_write_arg(&ob, MP_SMTP_VRFY, S("J\xc3\xb6rg"), 0), MP_ERR_8BIT);
    assert_int_equal(ob.len, 0);
}

static void test_mail(void **s)
{
    mp_smtp_mail_params p;
    (void)s;
    reset();
    assert_int_equal(mp_smtp_write_mail(&ob, S("Smith@bar.com"), NULL), MP_OK);
    expect("MAIL FROM:<Smith@bar.com>\r\n");
    assert_int_equal(mp_smtp_write_mail(&ob, S(""), NULL), MP_OK);
    expect("MAIL FROM:<>\r\n");
    memset(&p, 0, sizeof(p));
    p.has_size = 1;
    p.size = 12345;
    p.body = MP_SMTP_BODY_8BITMIME;
    p.smtputf8 = 1;
    p.ret = MP_SMTP_RET_HDRS;
    p.envid = S("QQ314159 a+b=c\x7e");
    p.requiretls = 1;
    p.has_mt_priority = 1;
    p.mt_priority = -3;
    assert_int_equal(mp_smtp_write_mail(&ob, S("j\xc3\xb6rg@b\xc3\xbc" "cher.example"), &p), MP_OK);
    expect("MAIL FROM:<j\xc3\xb6rg@b\xc3\xbc" "cher.example> SIZE=12345 BODY=8BITMIME SMTPUTF8 "
           "RET=HDRS ENVID=QQ314159+20a+2Bb+3Dc~ REQUIRETLS MT-PRIORITY=-3\r\n");
    memset(&p, 0, sizeof(p));
    p.body = MP_SMTP_BODY_BINARYMIME;
    p.ret = MP_SMTP_RET_FULL;
    p.has_mt_priority = 1;
    p.mt_priority = 9;
    assert_int_equal(mp_smtp_write_mail(&ob, S("\"john q\\\"\"@[192.0.2.7]"), &p), MP_OK);
    expect("MAIL FROM:<\"john q\\\"\"@[192.0.2.7]> BODY=BINARYMIME RET=FULL MT-PRIORITY=9\r\n");
    p.body = MP_SMTP_BODY_7BIT;
    p.ret = 0;
    p.has_mt_priority = 0;
    assert_int_equal(mp_smtp_write_mail(&ob, S("a.b+tag@x-y.example"), &p), MP_OK);
    expect("MAIL FROM:<a.b+tag@x-y.example> BODY=7BIT\r\n");

    /* Refusals. */
    assert_int_equal(mp_smtp_write_mail(&ob, S("no-at-sign"), NULL), MP_ERR_SMTP_PATH);
    assert_int_equal(mp_smtp_write_mail(&ob, S("a@"), NULL), MP_ERR_SMTP_PATH);
    assert_int_equal(mp_smtp_write_mail(&ob, S("@b.example"), NULL), MP_ERR_SMTP_PATH);
    assert_int_equal(mp_smtp_write_mail(&ob, S("a..b@c.example"), NULL), MP_ERR_SMTP_PATH);
    assert_int_equal(mp_smtp_write_mail(&ob, S(".a@c.example"), NULL), MP_ERR_SMTP_PATH);
    assert_int_equal(mp_smtp_write_mail(&ob, S("a.@c.example"), NULL), MP_ERR_SMTP_PATH);
    assert_int_equal(mp_smtp_write_mail(&ob, S("a b@c.example"), NULL), MP_ERR_SMTP_PATH);
    assert_int_equal(mp_smtp_write_mail(&ob, S("a@b@c.example"), NULL), MP_ERR_SMTP_PATH);
    assert_int_equal(mp_smtp_write_mail(&ob, S("a>@c.example"), NULL), MP_ERR_SMTP_PATH);
    assert_int_equal(mp_smtp_write_mail(&ob, S("a@c.example> SIZE=1"), NULL),
                     MP_ERR_SMTP_PATH);
    assert_int_equal(mp_smtp_write_mail(&ob, S("a@c.example\r\nRCPT TO:<x@y.example>"), NULL),
                     MP_ERR_SMTP_PATH);
    assert_int_equal(mp_smtp_write_mail(&ob, S("a\0@c.example"), NULL), MP_ERR_SMTP_PATH);
    assert_int_equal(mp_smtp_write_mail(&ob, S("\"a\rb\"@c.example"), NULL),
                     MP_ERR_SMTP_PATH);
    assert_int_equal(mp_smtp_write_mail(&ob, S("\"unclosed@c.example"), NULL),
                     MP_ERR_SMTP_PATH);
    assert_int_equal(mp_smtp_write_mail(&ob, S("a@c_d.example"), NULL), MP_ERR_SMTP_PATH);
    assert_int_equal(mp_smtp_write_mail(&ob, S("a@[1.2.3.4"), NULL), MP_ERR_SMTP_PATH);
    /* 8-bit without SMTPUTF8. */
    assert_int_equal(mp_smtp_write_mail(&ob, S("j\xc3\xb6rg@example.org"), NULL), MP_ERR_SMTP_UTF8_PATH);
    assert_int_equal(mp_smtp_write_mail(&ob, S("jorg@b\xc3\xbc" "cher.example"), NULL),
                     MP_ERR_SMTP_UTF8_PATH);
    assert_int_equal(mp_smtp_write_mail(&ob, S("\"j\xc3\xb6rg\"@example.org"), NULL),
                     MP_ERR_SMTP_UTF8_PATH);
    /* Lengths: local part 64, path 256 with brackets. */
    {
        static char box[400];
        size_t j;
        memset(box, 'a', 64);
        memcpy(box + 64, "@b.example", 10);
        assert_int_equal(mp_smtp_write_mail(&ob, mp_slice_make(box, 74), NULL), MP_OK);
        reset();
        memset(box, 'a', 65);
        memcpy(box + 65, "@b.example", 10);
        assert_int_equal(mp_smtp_write_mail(&ob, mp_slice_make(box, 75), NULL),
                         MP_ERR_SMTP_LOCAL_TOO_LONG);
        /* 60 + "@" + a 194-byte domain: 255 bytes, 257 with brackets. */
        memset(box, 'a', 60);
        box[60] = '@';
        for (j = 0; j < 194; j++)
            box[61 + j] = (j % 50 == 49) ? '.' : 'b';
        assert_int_equal(mp_smtp_write_mail(&ob, mp_slice_make(box, 254), NULL), MP_OK);
        reset();
        assert_int_equal(mp_smtp_write_mail(&ob, mp_slice_make(box, 255), NULL),
                         MP_ERR_SMTP_PATH_TOO_LONG);
    }
    /* Parameter values. */
    memset(&p, 0, sizeof(p));
    p.envid = S("a\rb");
    assert_int_equal(mp_smtp_write_mail(&ob, S("a@b.example"), &p), MP_ERR_BAD_VALUE);
    p.envid = S("\xc3\xa9");
    assert_int_equal(mp_smtp_write_mail(&ob, S("a@b.example"), &p), MP_ERR_BAD_VALUE);
    p.envid = mp_slice_make("0123456789012345678901234567890123456789012345678901234567890123456789"
                            "0123456789012345678901234567890123456789",
                            MP_SMTP_MAX_ENVID + 1);
    assert_int_equal(mp_smtp_write_mail(&ob, S("a@b.example"), &p), MP_ERR_TOKEN_TOO_LONG);
    memset(&p, 0, sizeof(p));
    p.has_mt_priority = 1;
    p.mt_priority = 10;
    assert_int_equal(mp_smtp_write_mail(&ob, S("a@b.example"), &p), MP_ERR_BAD_VALUE);
    memset(&p, 0, sizeof(p));
    p.body = 9;
    assert_int_equal(mp_smtp_write_mail(&ob, S("a@b.example"), &p), MP_ERR_BAD_VALUE);
    assert_int_equal(ob.len, 0);
}

static void test_rcpt(void **s)
{
    mp_smtp_rcpt_params p;
    (void)s;
    reset();
    assert_int_equal(mp_smtp_write_rcpt(&ob, S("Jones@XYZ.COM"), NULL), MP_OK);
    expect("RCPT TO:<Jones@XYZ.COM>\r\n");
    assert_int_equal(mp_smtp_write_rcpt(&ob, S("Postmaster"), NULL), MP_OK);
    expect("RCPT TO:<Postmaster>\r\n");
    memset(&p, 0, sizeof(p));
    p.notify = MP_SMTP_NOTIFY_SUCCESS | MP_SMTP_NOTIFY_FAILURE | MP_SMTP_NOTIFY_DELAY;
    p.orcpt = S("Bob+x=y@Example.COM");
    assert_int_equal(mp_smtp_write_rcpt(&ob, S("bob@example.com"), &p), MP_OK);
    expect("RCPT TO:<bob@example.com> NOTIFY=SUCCESS,FAILURE,DELAY "
           "ORCPT=rfc822;Bob+2Bx+3Dy@Example.COM\r\n");
    p.notify = MP_SMTP_NOTIFY_NEVER;
    p.orcpt = S("");
    assert_int_equal(mp_smtp_write_rcpt(&ob, S("bob@example.com"), &p), MP_OK);
    expect("RCPT TO:<bob@example.com> NOTIFY=NEVER\r\n");
    p.notify = MP_SMTP_NOTIFY_NEVER | MP_SMTP_NOTIFY_DELAY;
    assert_int_equal(mp_smtp_write_rcpt(&ob, S("bob@example.com"), &p), MP_ERR_ARG);
    p.notify = 0;
    p.orcpt = S("b\xc3\xb6@example.com");
    assert_int_equal(mp_smtp_write_rcpt(&ob, S("bob@example.com"), &p), MP_ERR_8BIT);
    p.orcpt = S("b\r@example.com");
    assert_int_equal(mp_smtp_write_rcpt(&ob, S("bob@example.com"), &p), MP_ERR_BAD_VALUE);
    {
        static char o[200];
        memset(o, '+', sizeof(o)); /* 3 bytes each in xtext */
        p.orcpt = mp_slice_make(o, 165);
        assert_int_equal(mp_smtp_write_rcpt(&ob, S("bob@example.com"), &p),
                         MP_ERR_TOKEN_TOO_LONG);
        p.orcpt = mp_slice_make(o, 164);
        assert_int_equal(mp_smtp_write_rcpt(&ob, S("bob@example.com"), &p), MP_OK);
        reset();
    }
    memset(&p, 0, sizeof(p));
    assert_int_equal(mp_smtp_write_rcpt(&ob, S(""), NULL), MP_ERR_SMTP_PATH);
    assert_int_equal(mp_smtp_write_rcpt(&ob, S("b\xc3\xb6@example.com"), &p), MP_ERR_SMTP_UTF8_PATH);
    p.utf8 = 1;
    assert_int_equal(mp_smtp_write_rcpt(&ob, S("b\xc3\xb6@example.com"), &p), MP_OK);
    expect("RCPT TO:<b\xc3\xb6@example.com>\r\n");
}

static void test_bdat_auth(void **s)
{
    static char big[9300];
    (void)s;
    reset();
    assert_int_equal(mp_smtp_write_bdat(&ob, 86, 0), MP_OK);
    assert_int_equal(mp_smtp_write_bdat(&ob, 0, 1), MP_OK);
    assert_int_equal(mp_smtp_write_bdat(&ob, UINT64_MAX, 1), MP_OK);
    expect("BDAT 86\r\nBDAT 0 LAST\r\nBDAT 18446744073709551615 LAST\r\n");
    /* RFC 4616 PLAIN initial response, RFC 4954 "=" for empty. */
    assert_int_equal(mp_smtp_write_auth(&ob, S("plain"), "\0tim\0tanstaaftanstaaf", 21, 1),
                     MP_OK);
    expect("AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n");
    assert_int_equal(mp_smtp_write_auth(&ob, S("EXTERNAL"), NULL, 0, 1), MP_OK);
    expect("AUTH EXTERNAL =\r\n");
    assert_int_equal(mp_smtp_write_auth(&ob, S("SCRAM-SHA-256"), NULL, 0, 0), MP_OK);
    expect("AUTH SCRAM-SHA-256\r\n");
    assert_int_equal(mp_smtp_write_auth(&ob, S("X_Y"), NULL, 0, 0), MP_OK);
    expect("AUTH X_Y\r\n");
    assert_int_equal(mp_smtp_write_auth(&ob, S("PLAIN LOGIN"), NULL, 0, 0), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_auth(&ob, S(""), NULL, 0, 0), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_auth(&ob, S("ABCDEFGHIJKLMNOPQRSTU"), NULL, 0, 0),
                     MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_auth(&ob, S("PLAIN\r\n"), NULL, 0, 0), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_write_auth_response(&ob, "tim", 3), MP_OK);
    assert_int_equal(mp_smtp_write_auth_response(&ob, NULL, 0), MP_OK);
    assert_int_equal(mp_smtp_write_auth_cancel(&ob), MP_OK);
    expect("dGlt\r\n\r\n*\r\n");
    /* The AUTH line limit (RFC 4954 §4: 12288 octets with CRLF). */
    memset(big, 'x', sizeof(big));
    assert_int_equal(mp_smtp_write_auth_response(&ob, big, 9213), MP_OK); /* 12284 + 2 */
    reset();
    assert_int_equal(mp_smtp_write_auth_response(&ob, big, 9216), MP_ERR_LINE_TOO_LONG);
    assert_int_equal(ob.len, 0);
}

/* Whole or nothing: a full buffer keeps what it had and says how much the
 * command needed. */
static void test_no_space(void **s)
{
    char small[20];
    mp_outbuf o;
    (void)s;
    mp_outbuf_init(&o, small, sizeof(small));
    assert_int_equal(mp_smtp_write_simple(&o, MP_SMTP_RSET), MP_OK);
    assert_int_equal(mp_smtp_write_mail(&o, S("a@b.example"), NULL), MP_ERR_NO_SPACE);
    assert_int_equal(o.len, 6);
    assert_int_equal(o.need, strlen("MAIL FROM:<a@b.example>\r\n"));
    assert_memory_equal(small, "RSET\r\n", 6);
    assert_int_equal(mp_smtp_write_auth(&o, S("PLAIN"), "abcdefghijkl", 12, 1),
                     MP_ERR_NO_SPACE);
    assert_int_equal(o.len, 6);
    {
        mp_smtp_path pa;
        mp_error e;
        assert_int_equal(mp_smtp_mailbox_parse("", 0, 1, 0, 0, &pa, &e), MP_OK);
        assert_int_equal(pa.kind, MP_SMTP_PATH_NULL);
        assert_int_equal(mp_smtp_mailbox_parse("", 0, 0, 0, 0, &pa, &e), MP_ERR_SMTP_PATH);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_and_simple), cmocka_unit_test(test_arg_commands),
        cmocka_unit_test(test_mail),             cmocka_unit_test(test_rcpt),
        cmocka_unit_test(test_bdat_auth),        cmocka_unit_test(test_no_space),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
