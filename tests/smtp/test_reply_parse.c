/* SMTP reply parser and EHLO capabilities: RFC 5321 Appendix D replies,
 * real EHLO responses, malformed replies; every vector whole, byte by byte
 * and at random splits (mp_split_check). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/smtp_client.h"
#include "split.h"

typedef struct reply_fixture {
    mp_smtp_reply_parser p;
    char buf[MP_SMTP_MAX_REPLY_LINE];
    unsigned flags;
    unsigned max_lines;
    mp_smtp_caps caps;
    int ehlo; /* parse lines after the first of a 250 reply as EHLO keywords */
} reply_fixture;

static void fx_reset(void *state)
{
    reply_fixture *x = state;
    assert_int_equal(mp_smtp_reply_parser_init(&x->p, x->buf, sizeof(x->buf),
                                               MP_SMTP_MAX_REPLY_LINE, x->max_lines, x->flags),
                     MP_OK);
    mp_smtp_caps_init(&x->caps);
}

static void fx_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    reply_fixture *x = state;
    while (n > 0) {
        size_t used = 0;
        mp_smtp_reply_line l;
        mp_status st = mp_smtp_reply_parser_next(&x->p, p, n, &used, &l);
        assert_true(used <= n);
        if (st == MP_OK) {
            char head[64];
            snprintf(head, sizeof(head), "%u%c%s%.*s%s", l.code, l.last ? ' ' : '-',
                     l.enhanced.len ? "[" : "", (int)l.enhanced.len,
                     l.enhanced.len ? l.enhanced.ptr : "", l.enhanced.len ? "]" : "");
            if (l.enhanced.len)
                assert_true(l.esc.cls == l.code / 100);
            mp_evlog_text(log, head, l.text.ptr, l.text.len);
            if (x->ehlo && l.code == 250 && l.line_no > 0) {
                uint32_t bit = 9999;
                mp_status cs = mp_smtp_caps_parse_line(&x->caps, l.text, &bit);
                if (cs != MP_OK)
                    mp_evlog_add(log, "cap-error %s", mp_status_name(cs));
                else if (bit == 0)
                    mp_evlog_add(log, "cap-unknown");
            }
        } else if (st != MP_NEED_MORE) {
            mp_evlog_add(log, "error %s @%llu", mp_status_name(st),
                         (unsigned long long)x->p.err.offset);
        }
        p += used;
        n -= used;
    }
}

static void fx_finish(void *state, mp_evlog *log)
{
    reply_fixture *x = state;
    if (x->ehlo)
        mp_evlog_add(log, "caps flags=%x auth=%x size=%llu", (unsigned)x->caps.flags,
                     (unsigned)x->caps.auth, (unsigned long long)x->caps.size);
    if (mp_smtp_reply_parser_busy(&x->p))
        mp_evlog_add(log, "busy");
}

static reply_fixture fx;

static void check(unsigned flags, int ehlo, const char *in, size_t n, const char *want)
{
    mp_split_target t = {fx_reset, fx_feed, fx_finish, &fx};
    fx.flags = flags;
    fx.ehlo = ehlo;
    fx.max_lines = 0;
    mp_split_check(&t, in, n, want);
}
#define CHECK(flags, lit, want) check((flags), 0, (lit), sizeof(lit) - 1, (want))
#define CHECK_EHLO(lit, want) check(0, 1, (lit), sizeof(lit) - 1, (want))

/* RFC 5321 Appendix D.1: the server side of a typical transaction. */
static void test_rfc5321_d1(void **s)
{
    (void)s;
    CHECK(0,
          "220 foo.com Simple Mail Transfer Service Ready\r\n"
          "250-foo.com greets bar.com\r\n"
          "250-8BITMIME\r\n"
          "250-SIZE\r\n"
          "250-DSN\r\n"
          "250 HELP\r\n"
          "250 OK\r\n"
          "250 OK\r\n"
          "550 No such user here\r\n"
          "250 OK\r\n"
          "354 Start mail input; end with <CRLF>.<CRLF>\r\n"
          "250 OK\r\n"
          "221 foo.com Service closing transmission channel\r\n",
          "220  foo.com Simple Mail Transfer Service Ready\n"
          "250- foo.com greets bar.com\n"
          "250- 8BITMIME\n"
          "250- SIZE\n"
          "250- DSN\n"
          "250  HELP\n"
          "250  OK\n"
          "250  OK\n"
          "550  No such user here\n"
          "250  OK\n"
          "354  Start mail input; end with <CRLF>.<CRLF>\n"
          "250  OK\n"
          "221  foo.com Service closing transmission channel\n");
}

/* RFC 5321 Appendix D.3 / D.4 replies (VRFY, relay, 251 forward). */
static void test_rfc5321_d3_d4(void **s)
{
    (void)s;
    CHECK(0,
          "553 User ambiguous\r\n"
          "251 User not local; will forward to <Jones@XYZ.COM>\r\n"
          "250 <Jones@XYZ.COM>\r\n"
          "252 Cannot VRFY user, but will accept message and attempt delivery\r\n",
          "553  User ambiguous\n"
          "251  User not local; will forward to <Jones@XYZ.COM>\n"
          "250  <Jones@XYZ.COM>\n"
          "252  Cannot VRFY user, but will accept message and attempt delivery\n");
}

/* RFC 2034/3463 enhanced status codes; only when the class matches. */
static void test_enhanced(void **s)
{
    (void)s;
    CHECK(0,
          "250 2.1.0 Sender <a@b.example> OK\r\n"
          "550 5.1.1 <x@b.example>: Recipient address rejected\r\n"
          "250 2.0.0\r\n"
          "451 4.7.1 Greylisted, try again\r\n"
          "550 4.1.1 class mismatch\r\n"
          "250 2.1.0Sender\r\n"
          "250 2.1000.0 too many digits\r\n"
          "250-2.0.0 first\r\n"
          "250 2.0.0 second\r\n",
          "250 [2.1.0] Sender <a@b.example> OK\n"
          "550 [5.1.1] <x@b.example>: Recipient address rejected\n"
          "250 [2.0.0] \n"
          "451 [4.7.1] Greylisted, try again\n"
          "550  4.1.1 class mismatch\n"
          "250  2.1.0Sender\n"
          "250  2.1000.0 too many digits\n"
          "250-[2.0.0] first\n"
          "250 [2.0.0] second\n");
}

/* Short lines: bare code, empty continuation text (the OpenSMTPD root bug
 * was a continuation line of 4 bytes or less). */
static void test_short_lines(void **s)
{
    (void)s;
    CHECK(0, "250-\r\n250-8\r\n250-\r\n250\r\n",
          "250- \n250- 8\n250- \n250  \n");
    CHECK(0, "220 \r\n", "220  \n");
}

/* Postfix, Exim, Gmail and Outlook style EHLO responses. */
static void test_ehlo_real(void **s)
{
    (void)s;
    CHECK_EHLO("250-mail.example.org\r\n"
               "250-PIPELINING\r\n"
               "250-SIZE 10240000\r\n"
               "250-VRFY\r\n"
               "250-ETRN\r\n"
               "250-STARTTLS\r\n"
               "250-ENHANCEDSTATUSCODES\r\n"
               "250-8BITMIME\r\n"
               "250-DSN\r\n"
               "250-SMTPUTF8\r\n"
               "250 CHUNKING\r\n",
               "250- mail.example.org\n"
               "250- PIPELINING\n"
               "250- SIZE 10240000\n"
               "250- VRFY\ncap-unknown\n"
               "250- ETRN\ncap-unknown\n"
               "250- STARTTLS\n"
               "250- ENHANCEDSTATUSCODES\n"
               "250- 8BITMIME\n"
               "250- DSN\n"
               "250- SMTPUTF8\n"
               "250  CHUNKING\n"
               "caps flags=37d auth=0 size=10240000\n");
    /* Exim: AUTH list, PIPE_CONNECT (underscore), PRDR, HELP. */
    CHECK_EHLO("250-mx.example.com Hello client.example.net [192.0.2.1]\r\n"
               "250-SIZE 52428800\r\n"
               "250-8BITMIME\r\n"
               "250-PIPELINING\r\n"
               "250-PIPE_CONNECT\r\n"
               "250-AUTH PLAIN LOGIN CRAM-MD5\r\n"
               "250-CHUNKING\r\n"
               "250-STARTTLS\r\n"
               "250-PRDR\r\n"
               "250 HELP\r\n",
               "250- mx.example.com Hello client.example.net [192.0.2.1]\n"
               "250- SIZE 52428800\n"
               "250- 8BITMIME\n"
               "250- PIPELINING\n"
               "250- PIPE_CONNECT\ncap-unknown\n"
               "250- AUTH PLAIN LOGIN CRAM-MD5\n"
               "250- CHUNKING\n"
               "250- STARTTLS\n"
               "250- PRDR\ncap-unknown\n"
               "250  HELP\ncap-unknown\n"
               "caps flags=14f auth=7 size=52428800\n");
    /* Gmail after STARTTLS. */
    CHECK_EHLO("250-smtp.gmail.com at your service, [203.0.113.5]\r\n"
               "250-SIZE 35882577\r\n"
               "250-8BITMIME\r\n"
               "250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\r\n"
               "250-ENHANCEDSTATUSCODES\r\n"
               "250-PIPELINING\r\n"
               "250-CHUNKING\r\n"
               "250 SMTPUTF8\r\n",
               "250- smtp.gmail.com at your service, [203.0.113.5]\n"
               "250- SIZE 35882577\n"
               "250- 8BITMIME\n"
               "250- AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH\n"
               "250- ENHANCEDSTATUSCODES\n"
               "250- PIPELINING\n"
               "250- CHUNKING\n"
               "250  SMTPUTF8\n"
               "caps flags=25f auth=183 size=35882577\n");
    /* Outlook / Office 365 style, with the legacy "AUTH=" line that old
     * Exchange and many appliances send next to "AUTH". */
    CHECK_EHLO("250-AM0PR01CA0000.outlook.office365.com Hello [203.0.113.5]\r\n"
               "250-SIZE 157286400\r\n"
               "250-PIPELINING\r\n"
               "250-DSN\r\n"
               "250-ENHANCEDSTATUSCODES\r\n"
               "250-AUTH LOGIN XOAUTH2\r\n"
               "250-AUTH=LOGIN PLAIN\r\n"
               "250-8BITMIME\r\n"
               "250-BINARYMIME\r\n"
               "250-CHUNKING\r\n"
               "250-REQUIRETLS\r\n"
               "250-MT-PRIORITY MIXER\r\n"
               "250 SMTPUTF8\r\n",
               "250- AM0PR01CA0000.outlook.office365.com Hello [203.0.113.5]\n"
               "250- SIZE 157286400\n"
               "250- PIPELINING\n"
               "250- DSN\n"
               "250- ENHANCEDSTATUSCODES\n"
               "250- AUTH LOGIN XOAUTH2\n"
               "250- AUTH=LOGIN PLAIN\n"
               "250- 8BITMIME\n"
               "250- BINARYMIME\n"
               "250- CHUNKING\n"
               "250- REQUIRETLS\n"
               "250- MT-PRIORITY MIXER\n"
               "250  SMTPUTF8\n"
               "caps flags=eff auth=83 size=157286400\n");
}

static void test_ehlo_bad_keywords(void **s)
{
    (void)s;
    CHECK_EHLO("250-x.example\r\n"
               "250-SIZE 99999999999999999999\r\n"
               "250-SIZE abc\r\n"
               "250--BAD\r\n"
               "250-AUTH=\r\n"
               "250 SIZE\r\n",
               "250- x.example\n"
               "250- SIZE 99999999999999999999\ncap-error MP_ERR_NUMBER\n"
               "250- SIZE abc\ncap-error MP_ERR_NUMBER\n"
               "250- -BAD\ncap-error MP_ERR_SYNTAX\n"
               "250- AUTH=\n"
               "250  SIZE\n"
               "caps flags=3 auth=0 size=0\n");
}

static void test_caps_helpers(void **s)
{
    mp_smtp_caps c;
    uint32_t bit;
    (void)s;
    mp_smtp_caps_init(&c);
    assert_int_equal(mp_smtp_caps_parse_line(&c, MP_SLICE_LIT("auth scram-sha-256 plain"), &bit),
                     MP_OK);
    assert_int_equal(bit, MP_SMTP_CAP_AUTH);
    assert_int_equal(c.auth, MP_SMTP_AUTH_SCRAM_SHA_256 | MP_SMTP_AUTH_PLAIN);
    assert_int_equal(mp_smtp_caps_parse_line(&c, MP_SLICE_LIT(""), &bit), MP_ERR_SYNTAX);
    assert_int_equal(mp_smtp_caps_parse_line(&c, MP_SLICE_LIT("SIZE="), &bit), MP_ERR_SYNTAX);
    assert_string_equal(mp_smtp_auth_mech_name(MP_SMTP_AUTH_CRAM_MD5), "CRAM-MD5");
    assert_null(mp_smtp_auth_mech_name(3));
    assert_null(mp_smtp_auth_mech_name(0));
    assert_int_equal(mp_smtp_auth_mech_bit(MP_SLICE_LIT("xoauth2")), MP_SMTP_AUTH_XOAUTH2);
    assert_int_equal(mp_smtp_auth_mech_bit(MP_SLICE_LIT("PLAIN-CLIENTTOKEN")), 0);
}

/* Malformed replies; the parser resynchronizes at the next line. */
static void test_malformed(void **s)
{
    (void)s;
    /* Mismatched code across lines (RFC 5321 §4.2.1: the same code on
     * every line). */
    CHECK(0, "250-first\r\n251 second\r\n220 ok\r\n",
          "250- first\nerror MP_ERR_SMTP_REPLY_MISMATCH @11\n220  ok\n");
    CHECK(0, "250-first\r\n250-second\r\n550 last\r\n",
          "250- first\n250- second\nerror MP_ERR_SMTP_REPLY_MISMATCH @23\n");
    /* Short and out-of-range codes. */
    CHECK(0, "25\r\n250 ok\r\n", "error MP_ERR_SMTP_REPLY_CODE @0\n250  ok\n");
    CHECK(0, "\r\n", "error MP_ERR_SMTP_REPLY_CODE @0\n");
    CHECK(0, "650 x\r\n160 x\r\n260 x\r\n2a0 x\r\n",
          "error MP_ERR_SMTP_REPLY_CODE @0\nerror MP_ERR_SMTP_REPLY_CODE @7\n"
          "error MP_ERR_SMTP_REPLY_CODE @14\nerror MP_ERR_SMTP_REPLY_CODE @21\n");
    /* Separator. */
    CHECK(0, "2500 x\r\n250x\r\n250\tx\r\n",
          "error MP_ERR_SMTP_REPLY_SEPARATOR @3\nerror MP_ERR_SMTP_REPLY_SEPARATOR @11\n"
          "error MP_ERR_SMTP_REPLY_SEPARATOR @17\n");
    /* Control characters and NUL in the text; HT and 8-bit are text. */
    CHECK(0, "250 a\x01" "b\r\n250 a\tb \xc3\xa9\r\n250 x\0y\r\n",
          "error MP_ERR_SMTP_REPLY_TEXT @5\n250  a\\x09b \\xc3\\xa9\nerror MP_ERR_SMTP_REPLY_TEXT @26\n");
    /* Framing: bare LF, bare CR; the LF-only quirk. */
    CHECK(0, "250 a\n250 b\r\n", "error MP_ERR_BARE_LF @5\n250  b\n");
    CHECK(0, "250 a\rb\r\n250 c\r\n", "error MP_ERR_BARE_CR @5\n250  c\n");
    CHECK(MP_SMTP_REPLY_ALLOW_LF, "250-a\n250 b\r\n220 c\n", "250- a\n250  b\n220  c\n");
    /* Found by fuzz_smtp_reply: the offset of a line after a discarded
     * one counts from the real start of that line, whatever the split. */
    CHECK(0, "250-first\r\x0e" "251 x\r\n88\r\n250 ok\r\n",
          "error MP_ERR_BARE_CR @9\nerror MP_ERR_SMTP_REPLY_CODE @18\n250  ok\n");
    CHECK(0, "250-partial\r\n250-more", "250- partial\nbusy\n");
}

static void test_limits(void **s)
{
    static char big[1200];
    size_t n;
    mp_split_target t = {fx_reset, fx_feed, fx_finish, &fx};
    (void)s;
    /* 510 content bytes fit the 512 limit; 511 do not. */
    memset(big, 'x', sizeof(big));
    memcpy(big, "250 ", 4);
    memcpy(big + 510, "\r\n250 ok\r\n", 10);
    fx.flags = 0;
    fx.ehlo = 0;
    fx.max_lines = 0;
    n = 520;
    assert_true(strstr(mp_split_check(&t, big, n, NULL), "250  xxx") != NULL);
    memset(big, 'x', sizeof(big));
    memcpy(big, "250 ", 4);
    memcpy(big + 511, "\r\n250 ok\r\n", 10);
    mp_split_check(&t, big, 521, "error MP_ERR_LINE_TOO_LONG @510\n250  ok\n");
    /* Too many lines: max_lines 3. */
    fx.max_lines = 3;
    mp_split_check(&t, "250-a\r\n250-b\r\n250-c\r\n250 d\r\n220 e\r\n", 35,
                   "250- a\n250- b\n250- c\nerror MP_ERR_SMTP_REPLY_TOO_MANY_LINES @21\n"
                   "220  e\n");
    fx.max_lines = 0;
    {
        mp_smtp_reply_parser p;
        char b[4];
        assert_int_equal(mp_smtp_reply_parser_init(&p, b, sizeof(b), 512, 0, 0), MP_ERR_ARG);
        assert_int_equal(mp_smtp_reply_parser_init(&p, b, sizeof(b), 6, 0, 0), MP_ERR_ARG);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc5321_d1),      cmocka_unit_test(test_rfc5321_d3_d4),
        cmocka_unit_test(test_enhanced),        cmocka_unit_test(test_short_lines),
        cmocka_unit_test(test_ehlo_real),       cmocka_unit_test(test_ehlo_bad_keywords),
        cmocka_unit_test(test_caps_helpers),    cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
