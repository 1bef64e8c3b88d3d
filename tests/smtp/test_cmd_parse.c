/* SMTP command parser (server side): commands, paths, ESMTP parameters,
 * xtext and the reply writer.  Command vectors are framed by the line
 * framer and run whole, byte by byte and at random splits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/smtp.h"
#include "split.h"
#include "smtp_harness.h"

/* ---- one parsed command as a log line ---------------------------------- */

static void sl(char *b, size_t cap, size_t *o, const char *name, mp_slice v)
{
    int k = snprintf(b + *o, cap - *o, " %s=%.*s", name, (int)v.len, v.ptr);
    if (k > 0 && (size_t)k < cap - *o)
        *o += (size_t)k;
}

static void add(char *b, size_t cap, size_t *o, const char *fmt, unsigned long long v)
{
    int k = snprintf(b + *o, cap - *o, fmt, v);
    if (k > 0 && (size_t)k < cap - *o)
        *o += (size_t)k;
}

static void log_cmd(mp_evlog *log, const mp_smtp_cmd *c)
{
    char b[1600];
    size_t o = 0;
    const mp_smtp_params *p = &c->params;
    o = (size_t)snprintf(b, sizeof(b), "%s", mp_smtp_verb_name(c->verb));
    if (c->arg.len)
        sl(b, sizeof(b), &o, "arg", c->arg);
    if (c->has_arg2)
        sl(b, sizeof(b), &o, "ir", c->arg2);
    if (c->verb == MP_SMTP_BDAT) {
        add(b, sizeof(b), &o, " size=%llu", (unsigned long long)c->bdat_size);
        if (c->bdat_last)
            add(b, sizeof(b), &o, " last%.0llu", 0);
    }
    if (c->verb == MP_SMTP_MAIL || c->verb == MP_SMTP_RCPT) {
        static const char *kinds[] = { "mailbox", "null", "postmaster" };
        o += (size_t)snprintf(b + o, sizeof(b) - o, " path=%s", kinds[c->path.kind]);
        sl(b, sizeof(b), &o, "local", c->path.local);
        sl(b, sizeof(b), &o, "domain", c->path.domain);
        if (c->path.flags)
            add(b, sizeof(b), &o, " pflags=%llx", c->path.flags);
        if (p->present & MP_SMTP_P_SIZE)
            add(b, sizeof(b), &o, " SIZE=%llu", (unsigned long long)p->size);
        if (p->present & MP_SMTP_P_BODY)
            add(b, sizeof(b), &o, " BODY=%llu", p->body);
        if (p->present & MP_SMTP_P_SMTPUTF8)
            add(b, sizeof(b), &o, " SMTPUTF8%.0llu", 0);
        if (p->present & MP_SMTP_P_RET)
            add(b, sizeof(b), &o, " RET=%llu", p->ret);
        if (p->present & MP_SMTP_P_ENVID)
            sl(b, sizeof(b), &o, "ENVID", p->envid);
        if (p->present & MP_SMTP_P_AUTH)
            sl(b, sizeof(b), &o, "AUTH", p->auth);
        if (p->present & MP_SMTP_P_REQUIRETLS)
            add(b, sizeof(b), &o, " REQUIRETLS%.0llu", 0);
        if (p->present & MP_SMTP_P_MT_PRIORITY)
            add(b, sizeof(b), &o, " MT-PRIORITY=%lld", (unsigned long long)(long long)p->mt_priority);
        if (p->present & MP_SMTP_P_NOTIFY)
            add(b, sizeof(b), &o, " NOTIFY=%llx", p->notify);
        if (p->present & MP_SMTP_P_ORCPT) {
            sl(b, sizeof(b), &o, "ORCPT-type", p->orcpt_type);
            sl(b, sizeof(b), &o, "ORCPT", p->orcpt);
        }
        if (p->n_unknown)
            add(b, sizeof(b), &o, " unknown=%llu", p->n_unknown);
    }
    mp_evlog_text(log, "cmd", b, o);
}

/* ---- split target: framer + parser ------------------------------------- */

typedef struct fixture {
    mp_line_framer f;
    char buf[MP_SMTP_MAX_COMMAND_LINE];
    unsigned flags;
} fixture;

static void fx_reset(void *state)
{
    fixture *x = state;
    assert_int_equal(mp_line_framer_init(&x->f, x->buf, sizeof(x->buf), MP_SMTP_MAX_COMMAND_LINE, 0),
                     MP_OK);
}

static void fx_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    fixture *x = state;
    while (n > 0) {
        size_t used = 0;
        mp_slice line;
        mp_status st = mp_line_framer_next(&x->f, p, n, &used, &line);
        if (st == MP_OK) {
            mp_smtp_cmd cmd;
            mp_error e;
            uint64_t start = x->f.pos - line.len - 2;
            st = mp_smtp_cmd_parse(line.ptr, line.len, x->flags, &cmd, &e);
            if (st == MP_OK)
                log_cmd(log, &cmd);
            else
                mp_evlog_add(log, "error %s @%llu %s verb=%s", mp_status_name(st),
                             (unsigned long long)(start + e.offset), e.rule ? e.rule : "-",
                             mp_smtp_verb_name(cmd.verb));
        } else if (st != MP_NEED_MORE) {
            mp_evlog_add(log, "frame %s @%llu", mp_status_name(st),
                         (unsigned long long)x->f.err.offset);
        }
        p += used;
        n -= used;
    }
}

static void check(unsigned flags, const char *in, size_t n, const char *want)
{
    static fixture x;
    mp_split_target t = { fx_reset, fx_feed, NULL, &x };
    x.flags = flags;
    if (getenv("MP_DUMP")) {
        fputs(mp_split_check(&t, in, n, NULL), stdout);
        return;
    }
    mp_split_check(&t, in, n, want);
}
#define CHECK(flags, lit, want) check((flags), (lit), sizeof(lit) - 1, (want))

/* RFC 5321 Appendix D.1, the client side of a typical transaction. */
static void test_rfc5321_d1(void **st)
{
    (void)st;
    CHECK(0,
          "EHLO bar.com\r\n"
          "MAIL FROM:<Smith@bar.com>\r\n"
          "RCPT TO:<Jones@foo.com>\r\n"
          "RCPT TO:<Green@foo.com>\r\n"
          "RCPT TO:<Brown@foo.com>\r\n"
          "DATA\r\n"
          "QUIT\r\n",
          "cmd EHLO arg=bar.com\n"
          "cmd MAIL path=mailbox local=Smith domain=bar.com\n"
          "cmd RCPT path=mailbox local=Jones domain=foo.com\n"
          "cmd RCPT path=mailbox local=Green domain=foo.com\n"
          "cmd RCPT path=mailbox local=Brown domain=foo.com\n"
          "cmd DATA\n"
          "cmd QUIT\n");
    /* D.3 relayed mail with a source route, D.4 verify and send. */
    CHECK(0,
          "HELO foo.com\r\n"
          "MAIL FROM:<JQP@bar.com>\r\n"
          "RCPT TO:<@foo.com:Jones@XYZ.COM>\r\n"
          "VRFY Crispin\r\n"
          "EXPN Example-People\r\n"
          "HELP\r\n"
          "HELP MAIL\r\n"
          "NOOP\r\n"
          "RSET\r\n",
          "cmd HELO arg=foo.com\n"
          "cmd MAIL path=mailbox local=JQP domain=bar.com\n"
          "cmd RCPT path=mailbox local=Jones domain=XYZ.COM pflags=20\n"
          "cmd VRFY arg=Crispin\n"
          "cmd EXPN arg=Example-People\n"
          "cmd HELP\n"
          "cmd HELP arg=MAIL\n"
          "cmd NOOP\n"
          "cmd RSET\n");
}

/* A real Thunderbird / Postfix submission transcript (lower case verbs,
 * SIZE and BODY) and an LMTP one (Dovecot / Cyrus delivery). */
static void test_real_transcripts(void **st)
{
    (void)st;
    CHECK(0,
          "ehlo [192.168.1.20]\r\n"
          "mail FROM:<alice@example.org> SIZE=1289 BODY=8BITMIME\r\n"
          "rcpt TO:<bob@example.net>\r\n"
          "data\r\n"
          "quit\r\n",
          "cmd EHLO arg=[192.168.1.20]\n"
          "cmd MAIL path=mailbox local=alice domain=example.org SIZE=1289 BODY=2\n"
          "cmd RCPT path=mailbox local=bob domain=example.net\n"
          "cmd DATA\n"
          "cmd QUIT\n");
    CHECK(0,
          "LHLO mx.example.org\r\n"
          "MAIL FROM:<> BODY=7BIT\r\n"
          "RCPT TO:<user1@example.org>\r\n"
          "RCPT TO:<Postmaster>\r\n"
          "BDAT 1024\r\n"
          "BDAT 0 LAST\r\n"
          "STARTTLS\r\n"
          "AUTH PLAIN AHRlc3QAdGVzdA==\r\n"
          "AUTH LOGIN\r\n"
          "AUTH EXTERNAL =\r\n",
          "cmd LHLO arg=mx.example.org\n"
          "cmd MAIL path=null local= domain= BODY=1\n"
          "cmd RCPT path=mailbox local=user1 domain=example.org\n"
          "cmd RCPT path=postmaster local=Postmaster domain=\n"
          "cmd BDAT size=1024\n"
          "cmd BDAT size=0 last\n"
          "cmd STARTTLS\n"
          "cmd AUTH arg=PLAIN ir=AHRlc3QAdGVzdA==\n"
          "cmd AUTH arg=LOGIN\n"
          "cmd AUTH arg=EXTERNAL ir==\n");
}

static void test_command_errors(void **st)
{
    (void)st;
    CHECK(0,
          "XYZZY\r\n"
          "GET / HTTP/1.1\r\n"
          "DATA now\r\n"
          "HELO\r\n"
          "HELO a..b\r\n"
          "VRFY\r\n"
          "MAIL TO:<a@b>\r\n"
          "MAIL FROM: <a@b>\r\n"
          "RCPT TO:<a@b>x\r\n"
          "BDAT -1\r\n"
          "BDAT 123456789012345678901\r\n"
          "BDAT 18446744073709551616\r\n"
          "BDAT 5 FIRST\r\n"
          "AUTH\r\n"
          "AUTH PL@IN\r\n"
          "AUTH PLAIN a b\r\n"
          "NOOP \x01\r\n"
          "RSET\x00\r\n"
          "MAIL FROM:<a@b> \r\n",
          "error MP_ERR_SMTP_UNKNOWN_COMMAND @0 RFC 5321 4.1.1 verb verb=?\n"
          "error MP_ERR_SMTP_HTTP @7 HTTP request verb=?\n"
          "error MP_ERR_SYNTAX @27 RFC 5321 4.1.1 no argument verb=DATA\n"
          "error MP_ERR_SYNTAX @37 RFC 5321 4.1.1 argument required verb=HELO\n"
          "error MP_ERR_SYNTAX @46 RFC 5321 4.1.2 Domain verb=HELO\n"
          "error MP_ERR_SYNTAX @54 RFC 5321 4.1.1 argument required verb=VRFY\n"
          "error MP_ERR_SYNTAX @61 RFC 5321 4.1.1.2 MAIL verb=MAIL\n"
          "error MP_ERR_SMTP_PATH @81 RFC 5321 4.1.2 Path verb=MAIL\n"
          "error MP_ERR_SYNTAX @102 RFC 5321 4.1.2 Mail-parameters verb=RCPT\n"
          "error MP_ERR_SYNTAX @110 RFC 3030 chunk-size verb=BDAT\n"
          "error MP_ERR_NUMBER @119 RFC 3030 chunk-size verb=BDAT\n"
          "error MP_ERR_NUMBER @147 RFC 3030 chunk-size verb=BDAT\n"
          "error MP_ERR_SYNTAX @176 RFC 3030 end-marker verb=BDAT\n"
          "error MP_ERR_SYNTAX @187 RFC 5321 4.1.1 argument required verb=AUTH\n"
          "error MP_ERR_SYNTAX @196 RFC 4422 3.1 sasl-mech verb=AUTH\n"
          "error MP_ERR_SYNTAX @213 RFC 4954 4 initial-response verb=AUTH\n"
          "error MP_ERR_SYNTAX @222 RFC 5321 4.1.1 no CTL verb=?\n"
          "error MP_ERR_NUL @229 RFC 5321 4.1.1 no CTL verb=?\n"
          "error MP_ERR_SYNTAX @247 RFC 5321 4.1.2 Mail-parameters verb=MAIL\n");
    /* The lax quirk: spaces after the colon and at the end, odd HELO names. */
    CHECK(MP_SMTP_CMD_LAX,
          "MAIL FROM: <a@b>  SIZE=10 \r\n"
          "RCPT TO:  <c@d>\r\n"
          "HELO my_host\r\n",
          "cmd MAIL path=mailbox local=a domain=b SIZE=10\n"
          "cmd RCPT path=mailbox local=c domain=d\n"
          "cmd HELO arg=my_host\n");
}

/* ---- paths ------------------------------------------------------------- */

static void path_ok(const char *p, int allow_null, int pm, int utf8, const char *local,
                    const char *domain, unsigned flags)
{
    mp_smtp_path path;
    mp_error e;
    size_t used = 0;
    mp_status st = mp_smtp_path_parse(p, strlen(p), allow_null, pm, utf8, &path, &used, &e);
    if (st != MP_OK)
        print_error("path %s: %s @%llu\n", p, mp_status_name(st), (unsigned long long)e.offset);
    assert_int_equal(st, MP_OK);
    assert_int_equal(used, strlen(p));
    assert_int_equal(path.local.len, strlen(local));
    assert_memory_equal(path.local.ptr, local, path.local.len);
    assert_int_equal(path.domain.len, strlen(domain));
    assert_memory_equal(path.domain.ptr, domain, path.domain.len);
    assert_int_equal(path.flags, flags);
}

static void path_bad(const char *p, size_t n, int utf8, mp_status want, size_t off)
{
    mp_smtp_path path;
    mp_error e;
    size_t used = 0;
    mp_status st = mp_smtp_path_parse(p, n, 1, 1, utf8, &path, &used, &e);
    if (st != want || e.offset != off)
        print_error("path %.*s: got %s @%llu\n", (int)n, p, mp_status_name(st),
                    (unsigned long long)e.offset);
    assert_int_equal(st, want);
    assert_int_equal(e.offset, off);
}

static void test_paths(void **st)
{
    char big[400];
    size_t i;
    (void)st;
    for (i = 0; i < PATH_VEC_COUNT(path_ok_vecs); i++) {
        const path_ok_vec *v = &path_ok_vecs[i];
        path_ok(v->path, v->allow_null, v->postmaster, v->utf8, v->local, v->domain, v->flags);
    }
    for (i = 0; i < PATH_VEC_COUNT(path_bad_vecs); i++) {
        const path_bad_vec *v = &path_bad_vecs[i];
        path_bad(v->path, v->len, v->utf8, v->want, v->off);
    }

    /* Limits: local part 64, domain 255, label 63, path 256. */
    memset(big, 'a', sizeof(big));
    big[0] = '<';
    memcpy(big + 66, "@b>", 3);
    path_bad(big, 69, 0, MP_ERR_SMTP_LOCAL_TOO_LONG, 65);
    memcpy(big + 65, "@b>", 3);
    assert_int_equal(mp_smtp_path_parse(big, 68, 0, 0, 0, &(mp_smtp_path){ 0 }, &(size_t){ 0 },
                                        &(mp_error){ 0 }),
                     MP_OK);
    memset(big, 'a', sizeof(big));
    memcpy(big, "<a@", 3);
    big[3 + 64] = '>';
    path_bad(big, 3 + 64 + 1, 0, MP_ERR_SMTP_DOMAIN_TOO_LONG, 3 + 64);
    /* 4 labels of 60 = 243-char domain: fine; 256-char path: not. */
    memset(big, 'a', sizeof(big));
    memcpy(big, "<aaaaaaaaaaaa@", 14);
    big[14 + 60] = big[14 + 121] = big[14 + 182] = '.';
    big[14 + 243] = '>';
    path_bad(big, 14 + 244, 0, MP_ERR_SMTP_PATH_TOO_LONG, 256);
}

/* ---- parameters -------------------------------------------------------- */

static void test_params(void **st)
{
    (void)st;
    CHECK(MP_SMTP_CMD_SMTPUTF8,
          "MAIL FROM:<a@b> SIZE=0 BODY=BINARYMIME SMTPUTF8 RET=HDRS ENVID=QQ+2B1 AUTH=<> "
          "REQUIRETLS MT-PRIORITY=-3\r\n"
          "MAIL FROM:<a@b> AUTH=e+3Dmc2@example.com MT-PRIORITY=+9 X-FOO=bar X-BAR\r\n"
          "RCPT TO:<c@d> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;c+40d\r\n"
          "RCPT TO:<c@d> NOTIFY=never\r\n"
          "MAIL FROM:<\xc3\xa9@b> SMTPUTF8\r\n"
          "RCPT TO:<c@d> SIZE=10\r\n",
          "cmd MAIL path=mailbox local=a domain=b SIZE=0 BODY=3 SMTPUTF8 RET=2 ENVID=QQ+2B1 "
          "AUTH=<> REQUIRETLS MT-PRIORITY=-3\n"
          "cmd MAIL path=mailbox local=a domain=b AUTH=e+3Dmc2@example.com MT-PRIORITY=9 "
          "unknown=2\n"
          "cmd RCPT path=mailbox local=c domain=d NOTIFY=e ORCPT-type=rfc822 ORCPT=c+40d\n"
          "cmd RCPT path=mailbox local=c domain=d NOTIFY=1\n"
          "cmd MAIL path=mailbox local=\\xc3\\xa9 domain=b pflags=10 SMTPUTF8\n"
          "cmd RCPT path=mailbox local=c domain=d unknown=1\n");
    CHECK(0,
          "MAIL FROM:<a@b> SIZE=x\r\n"
          "MAIL FROM:<a@b> SIZE=184467440737095516160\r\n"
          "MAIL FROM:<a@b> SIZE=18446744073709551616\r\n"
          "MAIL FROM:<a@b> BODY=9BIT\r\n"
          "MAIL FROM:<a@b> SIZE=1 SIZE=2\r\n"
          "MAIL FROM:<a@b> RET=ALL\r\n"
          "MAIL FROM:<a@b> ENVID=a+2\r\n"
          "MAIL FROM:<a@b> ENVID=a+zz\r\n"
          "MAIL FROM:<a@b> SMTPUTF8=yes\r\n"
          "MAIL FROM:<a@b> SIZE\r\n"
          "MAIL FROM:<a@b> MT-PRIORITY=10\r\n"
          "MAIL FROM:<a@b> -X=1\r\n"
          "MAIL FROM:<a@b> X=\r\n"
          "MAIL FROM:<a@b> X==\r\n"
          "MAIL FROM:<a@b> X=\xc3\xa9\r\n"
          "MAIL FROM:<a@b>  SIZE=1\r\n"
          "RCPT TO:<c@d> NOTIFY=NEVER,DELAY\r\n"
          "RCPT TO:<c@d> NOTIFY=SOMETIMES\r\n"
          "RCPT TO:<c@d> ORCPT=rfc822\r\n"
          "RCPT TO:<c@d> ORCPT=rfc822;\r\n"
          "RCPT TO:<c@d> ORCPT=rfc 822;x\r\n"
          "RCPT TO:<c@d> ORCPT=rfc822;a=b\r\n"
          "RCPT TO:<c@d> A B C D E F G H I J K L M N O P Q\r\n"
          "MAIL FROM:<\xc3\xa9@b> SMTPUTF8\r\n",
          "error MP_ERR_SMTP_PARAM @21 RFC 1870 size-value verb=MAIL\n"
          "error MP_ERR_NUMBER @45 RFC 1870 size-value verb=MAIL\n"
          "error MP_ERR_NUMBER @89 RFC 1870 size-value verb=MAIL\n"
          "error MP_ERR_SMTP_PARAM @132 RFC 6152 BODY verb=MAIL\n"
          "error MP_ERR_SMTP_PARAM_DUP @161 RFC 5321 4.1.2 esmtp-param verb=MAIL\n"
          "error MP_ERR_SMTP_PARAM @189 RFC 3461 4.3 RET verb=MAIL\n"
          "error MP_ERR_SMTP_XTEXT @217 RFC 3461 4 xtext verb=MAIL\n"
          "error MP_ERR_SMTP_XTEXT @244 RFC 3461 4 xtext verb=MAIL\n"
          "error MP_ERR_SMTP_PARAM @273 no value allowed verb=MAIL\n"
          "error MP_ERR_SMTP_PARAM @299 value required verb=MAIL\n"
          "error MP_ERR_NUMBER @329 RFC 6710 priority-value verb=MAIL\n"
          "error MP_ERR_SMTP_PARAM @349 RFC 5321 4.1.2 esmtp-keyword verb=MAIL\n"
          "error MP_ERR_SMTP_PARAM @373 RFC 5321 4.1.2 esmtp-value verb=MAIL\n"
          "error MP_ERR_SMTP_PARAM @393 RFC 5321 4.1.2 esmtp-value verb=MAIL\n"
          "error MP_ERR_SMTP_PARAM @414 RFC 5321 4.1.2 esmtp-value verb=MAIL\n"
          "error MP_ERR_SMTP_PARAM @434 RFC 5321 4.1.2 esmtp-keyword verb=MAIL\n"
          "error MP_ERR_SMTP_PARAM @464 RFC 3461 4.1 NEVER alone verb=RCPT\n"
          "error MP_ERR_SMTP_PARAM @498 RFC 3461 4.1 NOTIFY verb=RCPT\n"
          "error MP_ERR_SMTP_PARAM @529 RFC 3461 4.2 ORCPT verb=RCPT\n"
          "error MP_ERR_SMTP_XTEXT @564 RFC 3461 4 xtext verb=RCPT\n"
          "error MP_ERR_SMTP_PARAM @586 RFC 3461 4.2 ORCPT verb=RCPT\n"
          "error MP_ERR_SMTP_PARAM @625 RFC 5321 4.1.2 esmtp-value verb=RCPT\n"
          "error MP_ERR_SMTP_TOO_MANY_PARAMS @675 MP_SMTP_MAX_PARAMS verb=RCPT\n"
          "error MP_ERR_SMTP_UTF8_PATH @689 RFC 6531 3.3 verb=MAIL\n");
}

static void test_xtext_and_iter(void **st)
{
    char out[32];
    size_t n = 0;
    mp_smtp_param_iter it;
    mp_slice k, v;
    int hv;
    (void)st;
    assert_int_equal(mp_smtp_xtext_decode(MP_SLICE_LIT("e+3Dmc2@x+2B"), out, sizeof(out), &n), MP_OK);
    assert_int_equal(n, 8);
    assert_memory_equal(out, "e=mc2@x+", 8);
    assert_int_equal(mp_smtp_xtext_decode(MP_SLICE_LIT("ab+4"), out, sizeof(out), &n), MP_ERR_SMTP_XTEXT);
    assert_int_equal(n, 2);
    assert_int_equal(mp_smtp_xtext_decode(MP_SLICE_LIT("a=b"), out, sizeof(out), &n), MP_ERR_SMTP_XTEXT);
    assert_int_equal(n, 1);
    assert_int_equal(mp_smtp_xtext_decode(MP_SLICE_LIT("abcd"), out, 3, &n), MP_ERR_NO_SPACE);
    assert_int_equal(n, 4);
    assert_true(mp_smtp_xtext_valid(MP_SLICE_LIT("")));
    assert_false(mp_smtp_xtext_valid(MP_SLICE_LIT("a b")));

    mp_smtp_param_iter_init(&it, MP_SLICE_LIT("SIZE=10 X-FLAG BODY=8BITMIME"));
    assert_true(mp_smtp_param_next(&it, &k, &v, &hv));
    assert_true(mp_slice_eq_ci(k, "size", 4) && hv && mp_slice_eq_ci(v, "10", 2));
    assert_true(mp_smtp_param_next(&it, &k, &v, &hv));
    assert_true(mp_slice_eq_ci(k, "X-FLAG", 6) && !hv && v.len == 0);
    assert_true(mp_smtp_param_next(&it, &k, &v, &hv));
    assert_true(mp_slice_eq_ci(v, "8BITMIME", 8));
    assert_false(mp_smtp_param_next(&it, &k, &v, &hv));

    assert_true(mp_utf8_valid("\xf0\x9f\x98\x80", 4, NULL));
    assert_false(mp_utf8_valid("\xf4\x90\x80\x80", 4, NULL));
    assert_false(mp_utf8_valid("\xe0\x80\xaf", 3, NULL));
}

/* ---- replies ----------------------------------------------------------- */

static void test_reply_writer(void **st)
{
    char b[600];
    mp_outbuf ob;
    mp_slice lines[3] = { MP_SLICE_LIT("mx.example.org"), MP_SLICE_LIT("PIPELINING"),
                          MP_SLICE_LIT("SIZE 1000") };
    char longtext[MP_SMTP_MAX_REPLY_TEXT + 2];
    (void)st;
    mp_outbuf_init(&ob, b, sizeof(b));
    assert_int_equal(mp_smtp_reply_write(&ob, 250, "2.1.0", "Ok"), MP_OK);
    assert_int_equal(mp_smtp_reply_write_lines(&ob, 250, NULL, lines, 3), MP_OK);
    assert_int_equal(mp_smtp_reply_write(&ob, 354, NULL, NULL), MP_OK);
    assert_int_equal(mp_smtp_reply_write_lines(&ob, 550, "5.7.1", lines, 2), MP_OK);
    b[ob.len] = '\0';
    assert_string_equal(b, "250 2.1.0 Ok\r\n"
                           "250-mx.example.org\r\n250-PIPELINING\r\n250 SIZE 1000\r\n"
                           "354\r\n"
                           "550-5.7.1 mx.example.org\r\n550 5.7.1 PIPELINING\r\n");
    /* Refusals: whole reply or nothing. */
    ob.len = 0;
    assert_int_equal(mp_smtp_reply_write(&ob, 250, NULL, "a\r\n250 forged"), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_reply_write(&ob, 250, NULL, "a\nb"), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_smtp_reply_write(&ob, 199, NULL, "x"), MP_ERR_ARG);
    assert_int_equal(mp_smtp_reply_write(&ob, 600, NULL, "x"), MP_ERR_ARG);
    assert_int_equal(mp_smtp_reply_write(&ob, 260, NULL, "x"), MP_ERR_ARG);
    assert_int_equal(mp_smtp_reply_write(&ob, 250, "5.1.0", "x"), MP_ERR_ARG);
    assert_int_equal(mp_smtp_reply_write(&ob, 250, "2.01.0", "x"), MP_ERR_ARG);
    assert_int_equal(mp_smtp_reply_write(&ob, 250, "2.1000.0", "x"), MP_ERR_ARG);
    assert_int_equal(mp_smtp_reply_write(&ob, 250, "3.1.0", "x"), MP_ERR_ARG);
    memset(longtext, 'x', sizeof(longtext) - 1);
    longtext[sizeof(longtext) - 1] = '\0';
    assert_int_equal(mp_smtp_reply_write(&ob, 250, NULL, longtext), MP_ERR_BAD_VALUE);
    longtext[sizeof(longtext) - 2] = '\0';
    assert_int_equal(mp_smtp_reply_write(&ob, 550, "5.7.1", longtext), MP_OK);
    assert_true(ob.len <= MP_SMTP_MAX_REPLY_LINE);
    ob.len = 0;
    assert_true(mp_smtp_esc_valid("4.7.0", 5));
    assert_true(mp_smtp_esc_valid("5.999.999", 9));
    assert_false(mp_smtp_esc_valid("1.0.0", 5));
    assert_false(mp_smtp_esc_valid("5.1.1 ", 6));
    assert_false(mp_smtp_esc_valid("5.1.", 4));
    {
        mp_smtp_esc e;
        char t[MP_SMTP_ESC_MAX + 1];
        assert_int_equal(mp_smtp_esc_parse("5.7.8 Authentication", 20, &e), 5);
        assert_true(e.cls == 5 && e.subject == 7 && e.detail == 8);
        assert_int_equal(mp_smtp_esc_parse("4.123.456", 9, &e), 9);
        assert_int_equal(mp_smtp_esc_format(e, t), 9);
        assert_string_equal(t, "4.123.456");
        assert_int_equal(mp_smtp_esc_parse("2.0.0x", 6, &e), 0);
        assert_int_equal(mp_smtp_esc_parse("2.1234.0", 8, &e), 0);
        assert_int_equal(mp_smtp_esc_parse("3.0.0", 5, &e), 0);
        assert_int_equal(mp_smtp_esc_parse("Ok", 2, &e), 0);
        e.cls = 3;
        assert_int_equal(mp_smtp_esc_format(e, t), 0);
        assert_true(mp_smtp_code_valid(250) && !mp_smtp_code_valid(260) && !mp_smtp_code_valid(199));
        assert_int_equal(mp_smtp_code_class(452), 4);
    }
    /* No room: nothing written, the size needed reported. */
    mp_outbuf_init(&ob, b, 10);
    assert_int_equal(mp_smtp_reply_write(&ob, 250, "2.0.0", "Ok"), MP_ERR_NO_SPACE);
    assert_int_equal(ob.len, 0);
    assert_int_equal(ob.need, 14);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc5321_d1),    cmocka_unit_test(test_real_transcripts),
        cmocka_unit_test(test_command_errors), cmocka_unit_test(test_paths),
        cmocka_unit_test(test_params),        cmocka_unit_test(test_xtext_and_iter),
        cmocka_unit_test(test_reply_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
