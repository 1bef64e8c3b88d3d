/* SMTP/LMTP server session: transcripts run whole, byte by byte and at
 * random splits, with a host that answers inside the callbacks (sync) and
 * one that answers only after feed paused (async): both must give the same
 * log.  The log holds the server's reply lines ("S: ...") and the host's
 * events in order. */
#define _GNU_SOURCE /* memmem, opendir */
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

typedef struct host {
    mp_smtp_server s;
    mp_smtp_server_config cfg;
    mp_smtp_server_callbacks cb;
    char out[4096];
    size_t out_cap;
    char line[MP_SMTP_SERVER_LINE_BUF_AUTH];
    mp_evlog *log;
    int async;
    int closed;
    unsigned flags;
    uint64_t max_size;
    unsigned max_rcpts;
    char arg[128];          /* copy of the mailbox being decided */
    char rcpts[128][128];
    unsigned nr, lmtp_i;
} host;

static host H;

#define HOST_OUT_CAP(h) ((h)->out_cap ? (h)->out_cap : sizeof((h)->out))
#include "server_host.h"

static int starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

/* The host's policy, the same whether it answers now or later. */
static void answer(host *h)
{
    mp_status st = MP_OK;
    switch (mp_smtp_server_pending(&h->s)) {
    case MP_SMTP_DECIDE_MAIL:
        st = starts(h->arg, "bad") ? mp_smtp_server_reply(&h->s, 550, "5.7.1", "Sender refused")
                                   : mp_smtp_server_accept(&h->s);
        h->nr = 0;
        h->lmtp_i = 0;
        break;
    case MP_SMTP_DECIDE_RCPT:
        if (starts(h->arg, "bad") || strcmp(h->arg, "Green@foo.com") == 0 ||
            strcmp(h->arg, "jones@foo.edu") == 0) {
            st = mp_smtp_server_reply(&h->s, 550, NULL, "No such user here");
        } else if (starts(h->arg, "defer")) {
            st = mp_smtp_server_reply(&h->s, 450, "4.2.1", "Try later");
        } else {
            st = mp_smtp_server_accept(&h->s);
            if (h->nr < 128)
                memcpy(h->rcpts[h->nr++], h->arg, sizeof(h->arg));
        }
        break;
    case MP_SMTP_DECIDE_MESSAGE:
        /* LMTP: one reply per accepted recipient, in order. */
        while (mp_smtp_server_pending(&h->s) == MP_SMTP_DECIDE_MESSAGE) {
            const char *r = h->lmtp_i < h->nr ? h->rcpts[h->lmtp_i] : "";
            if (starts(r, "full") || strcmp(r, "green@foo.edu") == 0)
                st = mp_smtp_server_reply(&h->s, 452, "4.2.2", "Mailbox full");
            else
                st = mp_smtp_server_accept(&h->s);
            if (st == MP_ERR_NO_SPACE)
                return; /* the rest after the output was sent */
            assert_int_equal(st, MP_OK);
            h->lmtp_i++;
        }
        break;
    case MP_SMTP_DECIDE_VRFY:
        st = starts(h->arg, "bad") ? mp_smtp_server_reply(&h->s, 550, "5.1.1", "Unknown")
                                   : mp_smtp_server_reply(&h->s, 250, "2.1.5", h->arg);
        break;
    case MP_SMTP_DECIDE_NONE:
        return;
    default:
        st = mp_smtp_server_accept(&h->s);
        break;
    }
    assert_int_equal(st, MP_OK);
}

static int on_vrfy(void *u, mp_smtp_server *s, const mp_smtp_cmd *c)
{
    host *h = u;
    (void)s;
    flush(h);
    copy_arg(h, c->arg);
    mp_evlog_add(h->log, "vrfy %s", h->arg);
    return decided(h);
}

static void h_reset(void *state)
{
    host *h = state;
    mp_evlog *log = h->log;
    int async = h->async;
    unsigned flags = h->flags, mr = h->max_rcpts;
    uint64_t ms = h->max_size;
    size_t cap = h->out_cap;
    memset(h, 0, sizeof(*h));
    h->log = log;
    h->async = async;
    h->flags = flags;
    h->max_size = ms;
    h->max_rcpts = mr;
    h->out_cap = cap;
    host_setup(h);
    h->cfg.max_size = ms;
    h->cfg.max_rcpts = mr;
    h->cb.on_vrfy = on_vrfy;
}

/* Log fragments many transcripts share: the greeting and the reply to
 * "EHLO a" (head only, or whole with the default SIZE), and an accepted
 * MAIL FROM:<a@b> / RCPT TO:<c@d>. */
#define LOG_EHLO_A_HEAD                                                                            \
    "S: 220 mx.example.org ESMTP ready\nEHLO a\nS: 250-mx.example.org\nS: 250-PIPELINING\n"
#define LOG_EHLO_A LOG_EHLO_A_HEAD "S: 250-SIZE\nS: 250 ENHANCEDSTATUSCODES\n"
#define LOG_TXN_A_C "mail <a@b>\nS: 250 2.1.0 Ok\nrcpt <c@d>\nS: 250 2.1.5 Ok\n"

static void defaults(void)
{
    H.max_size = 0;
    H.max_rcpts = 0;
    H.out_cap = 0;
}

/* RFC 5321 Appendix D.1, the whole session pipelined in one input. */
static void test_d1_pipelined(void **st)
{
    (void)st;
    defaults();
    RUN(MP_SMTP_SRV_8BITMIME,
        "EHLO bar.com\r\n"
        "MAIL FROM:<Smith@bar.com>\r\n"
        "RCPT TO:<Jones@foo.com>\r\n"
        "RCPT TO:<Green@foo.com>\r\n"
        "RCPT TO:<Brown@foo.com>\r\n"
        "DATA\r\n"
        "Blah blah blah...\r\n"
        "..leading dot\r\n"
        "...etc. etc. etc.\r\n"
        ".\r\n"
        "QUIT\r\n",
        "S: 220 mx.example.org ESMTP ready\n"
        "EHLO bar.com\n"
        "S: 250-mx.example.org\n"
        "S: 250-PIPELINING\n"
        "S: 250-SIZE\n"
        "S: 250-8BITMIME\n"
        "S: 250 ENHANCEDSTATUSCODES\n"
        "mail <Smith@bar.com>\n"
        "S: 250 2.1.0 Ok\n"
        "rcpt <Jones@foo.com>\n"
        "S: 250 2.1.5 Ok\n"
        "rcpt <Green@foo.com>\n"
        "S: 550 5.1.1 No such user here\n"
        "rcpt <Brown@foo.com>\n"
        "S: 250 2.1.5 Ok\n"
        "data\n"
        "S: 354 End data with <CR><LF>.<CR><LF>\n"
        "chunk body Blah blah blah...\\r\\n.leading dot\\r\\n..etc. etc. etc.\\r\\n\n"
        "end MP_OK\n"
        "S: 250 2.6.0 Ok: queued\n"
        "S: 221 2.0.0 mx.example.org Bye\n"
        "closed\n"
        "state 10\n");
}

/* Out-of-order and bad commands: the right code, and the session goes on. */
static void test_sequence_errors(void **st)
{
    (void)st;
    defaults();
    RUN(0,
        "MAIL FROM:<a@b>\r\n"
        "HELO client.example\r\n"
        "RCPT TO:<c@d>\r\n"
        "DATA\r\n"
        "MAIL FROM:<a@b>\r\n"
        "MAIL FROM:<a@b>\r\n"
        "DATA\r\n"
        "RSET\r\n"
        "FOO bar\r\n"
        "MAIL FROM:a@b\r\n"
        "MAIL FROM:<a@b> BODY=8BITMIME\r\n"
        "MAIL FROM:<a@b> X-UNKNOWN=1\r\n"
        "MAIL FROM:<j\xc3\xb6rg@b>\r\n"
        "NOOP\r\n"
        "VRFY someone\r\n"
        "VRFY bad\r\n"
        "EXPN list\r\n"
        "HELP\r\n"
        "STARTTLS\r\n"
        "BDAT 4\r\nQUIT"
        "LHLO x\r\n"
        "QUIT\r\n",
        "S: 220 mx.example.org ESMTP ready\n"
        "error MP_ERR_SMTP_BAD_SEQUENCE @0\n"
        "S: 503 5.5.1 Send HELO/EHLO first\n"
        "HELO client.example\n"
        "S: 250 mx.example.org\n"
        "error MP_ERR_SMTP_BAD_SEQUENCE @38\n"
        "S: 503 5.5.1 Need MAIL before RCPT\n"
        "error MP_ERR_SMTP_BAD_SEQUENCE @53\n"
        "S: 503 5.5.1 Need RCPT before DATA\n"
        "mail <a@b>\n"
        "S: 250 2.1.0 Ok\n"
        "error MP_ERR_SMTP_BAD_SEQUENCE @76\n"
        "S: 503 5.5.1 Nested MAIL command\n"
        "error MP_ERR_SMTP_BAD_SEQUENCE @93\n"
        "S: 554 5.5.1 No valid recipients\n"
        "reset\n"
        "S: 250 2.0.0 Ok\n"
        "error MP_ERR_SMTP_UNKNOWN_COMMAND @105\n"
        "S: 500 5.5.1 Command unrecognized\n"
        "error MP_ERR_SMTP_PATH @124\n"
        "S: 501 5.1.7 Bad address syntax\n"
        "error MP_ERR_SMTP_PARAM @129\n"
        "S: 555 5.5.4 MAIL parameters not recognized or not implemented\n"
        "error MP_ERR_SMTP_PARAM @160\n"
        "S: 555 5.5.4 MAIL parameters not recognized or not implemented\n"
        "error MP_ERR_SMTP_UTF8_PATH @201\n"
        "S: 553 5.6.7 Non-ASCII address needs SMTPUTF8\n"
        "error MP_ERR_TOO_MANY_ERRORS @201\n"
        "S: 250 2.0.0 Ok\n"
        "vrfy someone\n"
        "S: 250 2.1.5 someone\n"
        "vrfy bad\n"
        "S: 550 5.1.1 Unknown\n"
        "S: 502 5.5.1 EXPN not available\n"
        "S: 214 2.0.0 See RFC 5321\n"
        "error MP_ERR_SMTP_NOT_IMPLEMENTED @257\n"
        "S: 502 5.5.1 Command not implemented\n"
        "error MP_ERR_SMTP_NOT_IMPLEMENTED @267\n"
        "S: 502 5.5.1 CHUNKING not offered\n"
        "error MP_ERR_SMTP_UNKNOWN_COMMAND @279\n"
        "S: 500 5.5.1 Command unrecognized\n"
        "S: 221 2.0.0 mx.example.org Bye\n"
        "closed\n"
        "state 10\n");
}

static void test_limits(void **st)
{
    char big[1200];
    size_t n;
    (void)st;
    defaults();
    /* Over-long line: 500 and resync; bare LF / bare CR commands: 500. */
    n = (size_t)snprintf(big, sizeof(big), "EHLO a\r\nNOOP ");
    memset(big + n, 'x', 1030);
    n += 1030;
    n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\nNOOP\nRSET\r\nNO\rOP\r\nQUIT\r\n");
    run(0, big, n, LOG_EHLO_A
        "error MP_ERR_LINE_TOO_LONG @1030\n"
        "S: 500 5.5.2 Line too long\n"
        "error MP_ERR_BARE_LF @1049\n"
        "S: 500 5.5.2 Bare LF in command\n"
        "S: 250 2.0.0 Ok\n"
        "error MP_ERR_BARE_CR @1058\n"
        "S: 500 5.5.2 Bare CR in command\n"
        "S: 221 2.0.0 mx.example.org Bye\n"
        "closed\n"
        "state 10\n");
    /* SIZE: declared too big; body too big (read to the end, 552, go on). */
    H.max_size = 20;
    RUN(0,
        "EHLO a\r\n"
        "MAIL FROM:<a@b> SIZE=21\r\n"
        "MAIL FROM:<a@b> SIZE=20\r\n"
        "RCPT TO:<c@d>\r\n"
        "DATA\r\n"
        "0123456789\r\n"
        "0123456789\r\n"
        ".\r\n"
        "MAIL FROM:<a@b>\r\n"
        "QUIT\r\n",
        LOG_EHLO_A_HEAD
        "S: 250-SIZE 20\n"
        "S: 250 ENHANCEDSTATUSCODES\n"
        "error MP_ERR_SMTP_MESSAGE_TOO_BIG @8\n"
        "S: 552 5.3.4 Message size exceeds fixed maximum message size\n"
        "mail <a@b> SIZE\n"
        "S: 250 2.1.0 Ok\n"
        "rcpt <c@d>\n"
        "S: 250 2.1.5 Ok\n"
        "data\n"
        "S: 354 End data with <CR><LF>.<CR><LF>\n"
        "chunk body 0123456789\\r\\n01234567\n"
        "error MP_ERR_SMTP_MESSAGE_TOO_BIG @99\n"
        "end MP_ERR_SMTP_MESSAGE_TOO_BIG\n"
        "S: 552 5.3.4 Message size exceeds fixed maximum message size\n"
        "mail <a@b>\n"
        "S: 250 2.1.0 Ok\n"
        "S: 221 2.0.0 mx.example.org Bye\n"
        "closed\n"
        "state 10\n");
    /* Recipients: a run-time limit of 2; the third gets 452 4.5.3. */
    H.max_size = 0;
    H.max_rcpts = 2;
    RUN(0,
        "EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nRCPT TO:<defer@d>\r\nRCPT TO:<e@d>\r\n"
        "RCPT TO:<f@d>\r\nRSET\r\n",
        LOG_EHLO_A
        LOG_TXN_A_C
        "rcpt <defer@d>\n"
        "S: 450 4.2.1 Try later\n"
        "rcpt <e@d>\n"
        "S: 250 2.1.5 Ok\n"
        "error MP_ERR_SMTP_TOO_MANY_RCPTS @74\n"
        "S: 452 4.5.3 Too many recipients\n"
        "reset\n"
        "S: 250 2.0.0 Ok\n"
        "state 1\n");
    H.max_rcpts = 0;
}

/* Error counting: the 20th bad command gets 421 and the session closes;
 * an HTTP request closes at once. */
static void test_error_limit(void **st)
{
    char in[512];
    size_t n = 0;
    int i;
    const char *log;
    (void)st;
    defaults();
    for (i = 0; i < 21; i++)
        n += (size_t)snprintf(in + n, sizeof(in) - n, "BAD%d\r\n", i);
    log = run(0, in, n, NULL);
    assert_non_null(strstr(log, "S: 421 4.7.0 mx.example.org Too many errors"));
    assert_null(strstr(log, "BAD20"));
    assert_non_null(strstr(log, "closed\n"));
    log = RUN(0, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", NULL);
    assert_non_null(strstr(log, "S: 421 4.7.0 mx.example.org HTTP is not spoken here"));
}

/* docs/security.md: SMTP smuggling.  Every sequence: the message never ends
 * early, nothing after a fake end is executed; the default policy refuses
 * with 550 at the real end and goes on (the QUIT behind is answered);
 * MP_SMTP_SRV_CLOSE_ON_POISON adds 421 and closes instead. */
static void test_smuggling(void **st)
{
    static const struct {
        const char *seq;
        size_t n;
        int poisoned; /* 2: poisoned, and it holds a real CRLF.CRLF */
    } seqs[] = {
        { "\n.\n", 3, 1 },          { "\n.\r\n", 4, 1 },        { "\r.\n", 3, 1 },
        { "\r.\r", 3, 1 },          { "\r.\r\n", 4, 1 },        { "\r\n.\n", 4, 1 },
        { "\r\n.\r", 4, 1 },        { "\n.\r", 3, 1 },          { "\r\n\0.\r\n", 6, 1 },
        { "\r\n.\0\r\n", 6, 1 },    { "\r\n. \r\n", 6, 0 },     { "\r\r\n.\r\n", 6, 2 },
        { "\r\n.\r\r\n", 6, 1 },    { "\r\r\n.\r\r\n", 7, 1 },
    };
    size_t k;
    (void)st;
    defaults();
    for (k = 0; k < sizeof(seqs) / sizeof(seqs[0]); k++) {
        char in[512];
        size_t n = 0;
        const char *log;
        const char *head = "EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nbody";
        const char *tail = "MAIL FROM:<evil@x>\r\nRCPT TO:<c@d>\r\nDATA\r\nforged\r\n.\r\n"
                           "QUIT\r\n";
        memcpy(in, head, strlen(head));
        n = strlen(head);
        memcpy(in + n, seqs[k].seq, seqs[k].n);
        n += seqs[k].n;
        memcpy(in + n, tail, strlen(tail));
        n += strlen(tail);
        if (seqs[k].poisoned == 2) {
            /* "\r\r\n.\r\n": a bare CR, then a real end of data, which
             * every RFC 5321 server ends the message at: what follows is
             * the client's next transaction (docs/security.md). */
            log = run(0, in, n, NULL);
            assert_non_null(strstr(log, "end MP_ERR_BARE_CR\nS: 550 5.6.0 Message contains bare "
                                        "CR, bare LF or NUL\nmail <evil@x>\n"));
            assert_non_null(strstr(log, "chunk body forged\\r\\n\nend MP_OK\n"));
            log = run(MP_SMTP_SRV_CLOSE_ON_POISON, in, n, NULL);
            assert_null(strstr(log, "mail <evil@x>"));
            assert_non_null(strstr(log, "S: 421 4.7.0 mx.example.org Message contained bare "
                                        "CR, bare LF or NUL, closing\nclosed\nstate 10\n"));
            continue;
        }
        log = run(0, in, n, NULL);
        /* One message, one end, the forged MAIL never parsed as a command. */
        assert_null(strstr(log, "mail <evil@x>"));
        assert_int_equal(count(log, "end "), 1);
        if (seqs[k].poisoned) {
            assert_non_null(strstr(log, "S: 550 5.6.0 Message contains bare CR, bare LF or NUL\n"
                                        "S: 221 2.0.0 mx.example.org Bye\nclosed\n"));
            log = run(MP_SMTP_SRV_CLOSE_ON_POISON, in, n, NULL);
            assert_null(strstr(log, "mail <evil@x>"));
            assert_non_null(strstr(log, "S: 550 5.6.0 Message contains bare CR, bare LF or NUL\n"
                                        "S: 421 4.7.0 mx.example.org Message contained bare "
                                        "CR, bare LF or NUL, closing\nclosed\nstate 10\n"));
            assert_null(strstr(log, "S: 221"));
        } else {
            assert_non_null(strstr(log, "end MP_OK"));
            assert_non_null(strstr(log, "S: 221"));
            /* A clean message: the flag changes nothing (run() returns
             * one static copy: keep this log apart). */
            {
                static char plain[MP_EVLOG_CAP];
                snprintf(plain, sizeof(plain), "%s", log);
                assert_string_equal(run(MP_SMTP_SRV_CLOSE_ON_POISON, in, n, NULL), plain);
            }
        }
        /* Normalizing bare LF still ends only at CRLF.CRLF. */
        log = run(MP_SMTP_SRV_NORMALIZE_LF, in, n, NULL);
        assert_null(strstr(log, "mail <evil@x>"));
        assert_int_equal(count(log, "end "), 1);
    }
}

/* CHUNKING: BDAT bodies verbatim, BDAT 0 LAST, rejected chunks skipped
 * (never parsed as commands), DATA refused inside a BDAT transaction. */
static void test_bdat(void **st)
{
    (void)st;
    defaults();
    RUN(MP_SMTP_SRV_CHUNKING | MP_SMTP_SRV_BINARYMIME,
        "EHLO a\r\n"
        "BDAT 10\r\nQUIT\r\nRSET"
        "MAIL FROM:<a@b> BODY=BINARYMIME\r\n"
        "RCPT TO:<c@d>\r\n"
        "DATA\r\n"
        "BDAT 9\r\nab\r\n.\r\nx\x00"
        "DATA\r\n"
        "BDAT 3\r\nend"
        "BDAT 0 LAST\r\n"
        "MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"
        "BDAT 2 LAST\r\nhi"
        "QUIT\r\n",
        LOG_EHLO_A_HEAD
        "S: 250-SIZE\n"
        "S: 250-CHUNKING\n"
        "S: 250-BINARYMIME\n"
        "S: 250 ENHANCEDSTATUSCODES\n"
        "error MP_ERR_SMTP_BAD_SEQUENCE @8\n"
        "S: 503 5.5.1 Need RCPT before BDAT\n"
        LOG_TXN_A_C
        "error MP_ERR_SMTP_BAD_SEQUENCE @75\n"
        "S: 503 5.5.1 BINARYMIME needs BDAT\n"
        "chunk body ab\\r\\n.\\r\\nx\\x00\n"
        "S: 250 2.0.0 9 octets received\n"
        "error MP_ERR_SMTP_BAD_SEQUENCE @98\n"
        "S: 503 5.5.1 Only BDAT may follow BDAT\n"
        "chunk body end\n"
        "S: 250 2.0.0 3 octets received\n"
        "end MP_OK\n"
        "S: 250 2.6.0 Ok: queued\n"
        LOG_TXN_A_C
        "chunk body hi\n"
        "end MP_OK\n"
        "S: 250 2.6.0 Ok: queued\n"
        "S: 221 2.0.0 mx.example.org Bye\n"
        "closed\n"
        "state 10\n");
    /* Without CHUNKING: 502 and the chunk still skipped. */
    RUN(0, "EHLO a\r\nBDAT 6 LAST\r\nQUIT\r\nNOOP\r\n", LOG_EHLO_A
        "error MP_ERR_SMTP_NOT_IMPLEMENTED @8\n"
        "S: 502 5.5.1 CHUNKING not offered\n"
        "S: 250 2.0.0 Ok\n"
        "state 1\n");
    /* Size limit across chunks: the LAST chunk over it ends the message,
     * read but not delivered, refused like a DATA body over the limit. */
    H.max_size = 8;
    RUN(MP_SMTP_SRV_CHUNKING,
        "EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 5\r\n12345BDAT 4 LAST\r\n6789NOOP\r\n",
        LOG_EHLO_A_HEAD
        "S: 250-SIZE 8\n"
        "S: 250-CHUNKING\n"
        "S: 250 ENHANCEDSTATUSCODES\n"
        LOG_TXN_A_C
        "chunk body 12345\n"
        "S: 250 2.0.0 5 octets received\n"
        "error MP_ERR_SMTP_MESSAGE_TOO_BIG @53\n"
        "end MP_ERR_SMTP_MESSAGE_TOO_BIG\n"
        "S: 552 5.3.4 Message size exceeds fixed maximum message size\n"
        "S: 250 2.0.0 Ok\n"
        "state 1\n");
    /* An earlier chunk over it ends the transaction (RFC 3030 §2): 552 for
     * that chunk, and the LAST chunk the client pipelined behind it is
     * skipped with 503, one reply (the transaction is gone). */
    RUN(MP_SMTP_SRV_CHUNKING,
        "EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 9\r\n123456789BDAT 1 LAST\r\nx"
        "NOOP\r\n",
        LOG_EHLO_A_HEAD
        "S: 250-SIZE 8\n"
        "S: 250-CHUNKING\n"
        "S: 250 ENHANCEDSTATUSCODES\n"
        LOG_TXN_A_C
        "error MP_ERR_SMTP_MESSAGE_TOO_BIG @40\n"
        "S: 552 5.3.4 Message size exceeds fixed maximum message size\n"
        "reset\n"
        "error MP_ERR_SMTP_BAD_SEQUENCE @57\n"
        "S: 503 5.5.1 Need RCPT before BDAT\n"
        "S: 250 2.0.0 Ok\n"
        "state 1\n");
    /* A bad chunk size: the stream cannot be followed, close. */
    RUN(MP_SMTP_SRV_CHUNKING, "EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT x\r\nNOOP\r\n",
        LOG_EHLO_A_HEAD
        "S: 250-SIZE 8\n"
        "S: 250-CHUNKING\n"
        "S: 250 ENHANCEDSTATUSCODES\n"
        LOG_TXN_A_C
        "error MP_ERR_SYNTAX @45\n"
        "S: 501 5.5.4 Bad BDAT chunk size, closing\n"
        "closed\n"
        "state 10\n");
}

/* LMTP: LHLO, one reply per accepted recipient after the body. */
static void test_lmtp(void **st)
{
    (void)st;
    defaults();
    RUN(MP_SMTP_SRV_LMTP,
        "EHLO a\r\n"
        "LHLO a\r\n"
        "MAIL FROM:<a@b>\r\n"
        "RCPT TO:<one@d>\r\n"
        "RCPT TO:<bad@d>\r\n"
        "RCPT TO:<full@d>\r\n"
        "RCPT TO:<three@d>\r\n"
        "DATA\r\n"
        "Subject: x\r\n\r\nhi\r\n.\r\n"
        "QUIT\r\n",
        "S: 220 mx.example.org LMTP ready\n"
        "error MP_ERR_SMTP_UNKNOWN_COMMAND @0\n"
        "S: 500 5.5.1 This is LMTP: use LHLO\n"
        "LHLO a\n"
        "S: 250-mx.example.org\n"
        "S: 250-PIPELINING\n"
        "S: 250-SIZE\n"
        "S: 250 ENHANCEDSTATUSCODES\n"
        "mail <a@b>\n"
        "S: 250 2.1.0 Ok\n"
        "rcpt <one@d>\n"
        "S: 250 2.1.5 Ok\n"
        "rcpt <bad@d>\n"
        "S: 550 5.1.1 No such user here\n"
        "rcpt <full@d>\n"
        "S: 250 2.1.5 Ok\n"
        "rcpt <three@d>\n"
        "S: 250 2.1.5 Ok\n"
        "data\n"
        "S: 354 End data with <CR><LF>.<CR><LF>\n"
        "chunk body Subject: x\\r\\n\\r\\nhi\\r\\n\n"
        "end MP_OK\n"
        "S: 250 2.6.0 Ok: queued\n"
        "S: 452 4.2.2 Mailbox full\n"
        "S: 250 2.6.0 Ok: queued\n"
        "S: 221 2.0.0 mx.example.org Bye\n"
        "closed\n"
        "state 10\n");
    RUN(MP_SMTP_SRV_LMTP | MP_SMTP_SRV_CHUNKING,
        "LHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<one@d>\r\nRCPT TO:<full@d>\r\nBDAT 0 LAST\r\n",
        "S: 220 mx.example.org LMTP ready\n"
        "LHLO a\n"
        "S: 250-mx.example.org\n"
        "S: 250-PIPELINING\n"
        "S: 250-SIZE\n"
        "S: 250-CHUNKING\n"
        "S: 250 ENHANCEDSTATUSCODES\n"
        "mail <a@b>\n"
        "S: 250 2.1.0 Ok\n"
        "rcpt <one@d>\n"
        "S: 250 2.1.5 Ok\n"
        "rcpt <full@d>\n"
        "S: 250 2.1.5 Ok\n"
        "end MP_OK\n"
        "S: 250 2.6.0 Ok: queued\n"
        "S: 452 4.2.2 Mailbox full\n"
        "state 1\n");
}

/* STARTTLS last in the input: replies, switch, EHLO needed again and
 * STARTTLS no longer offered. */
static void test_starttls_split(void **st)
{
    (void)st;
    defaults();
    RUN(MP_SMTP_SRV_STARTTLS, "EHLO a\r\nMAIL FROM:<a@b>\r\nRSET\r\nSTARTTLS\r\n", LOG_EHLO_A_HEAD
        "S: 250-SIZE\n"
        "S: 250-ENHANCEDSTATUSCODES\n"
        "S: 250 STARTTLS\n"
        "mail <a@b>\n"
        "S: 250 2.1.0 Ok\n"
        "reset\n"
        "S: 250 2.0.0 Ok\n"
        "S: 220 2.0.0 Ready to start TLS\n"
        "tls\n"
        "state 0\n");
}

/* The bytes after STARTTLS in the same read are injection: never parsed. */
static void test_starttls_injection(void **st)
{
    static host h;
    static char line[MP_SMTP_SERVER_LINE_BUF];
    static mp_smtp_server_callbacks cb;
    mp_smtp_server_config cfg = { 0 };
    const char *in = "EHLO a\r\nSTARTTLS\r\nMAIL FROM:<evil@x>\r\n";
    size_t used = 0, n;
    const char *o;
    (void)st;
    cfg.hostname = "mx";
    cfg.flags = MP_SMTP_SRV_STARTTLS;
    cfg.line_buf = line;
    cfg.line_cap = sizeof(line);
    assert_int_equal(mp_smtp_server_init(&h.s, &cfg, &cb, NULL, h.out, sizeof(h.out)), MP_OK);
    assert_int_equal(mp_smtp_server_feed(&h.s, in, strlen(in), &used), MP_TRANSPORT_SWITCH);
    assert_int_equal(used, 18);
    assert_true(h.s.injected == strlen(in) - 18);
    assert_int_equal(h.s.last_error.code, MP_ERR_TLS_INJECTION);
    assert_true(h.s.last_error.offset == 18);
    o = mp_smtp_server_output(&h.s, &n);
    assert_non_null(memmem(o, n, "220 2.0.0 Ready to start TLS\r\n", 30));
    assert_null(memmem(o, n, "evil", 4));
    mp_smtp_server_output_done(&h.s, n);
    /* Feeding before the host started TLS is refused. */
    assert_int_equal(mp_smtp_server_feed(&h.s, "NOOP\r\n", 6, &used), MP_ERR_STATE);
    assert_int_equal(mp_smtp_server_tls_started(&h.s), MP_OK);
    assert_int_equal(mp_smtp_server_tls_started(&h.s), MP_ERR_STATE);
    /* MAIL needs a new EHLO; the new EHLO no longer offers STARTTLS. */
    assert_int_equal(mp_smtp_server_feed(&h.s, "MAIL FROM:<a@b>\r\nEHLO a\r\nSTARTTLS\r\n", 35,
                                         &used),
                     MP_OK);
    o = mp_smtp_server_output(&h.s, &n);
    assert_non_null(memmem(o, n, "503 5.5.1", 9));
    assert_null(memmem(o, n, "250-STARTTLS", 12));
    assert_non_null(memmem(o, n, "503 5.5.1 TLS already active", 28));
}

/* Host-side events: 421 shutdown and timeout, output back-pressure,
 * callback abort, the size of the state. */
static void test_host_events(void **st)
{
    static char out[1024];
    static char line[MP_SMTP_SERVER_LINE_BUF];
    static mp_smtp_server_callbacks cb;
    mp_smtp_server s;
    mp_smtp_server_config cfg = { 0 };
    size_t used = 0, n = 0, total = 0, k;
    const char *o;
    mp_status rc;
    (void)st;
    cfg.hostname = "mx";
    cfg.line_buf = line;
    cfg.line_cap = sizeof(line);
    assert_true(sizeof(mp_smtp_server) < 1024);
    print_message("sizeof(mp_smtp_server) = %zu\n", sizeof(mp_smtp_server));

    assert_int_equal(mp_smtp_server_init(&s, &cfg, &cb, NULL, out, 512), MP_ERR_ARG);
    cfg.line_cap = 100;
    assert_int_equal(mp_smtp_server_init(&s, &cfg, &cb, NULL, out, sizeof(out)), MP_ERR_ARG);
    cfg.line_cap = sizeof(line);
    cfg.hostname = "bad host";
    assert_int_equal(mp_smtp_server_init(&s, &cfg, &cb, NULL, out, sizeof(out)), MP_ERR_ARG);
    cfg.hostname = "mx";

    assert_int_equal(mp_smtp_server_init(&s, &cfg, &cb, NULL, out, sizeof(out)), MP_OK);
    assert_int_equal(mp_smtp_server_shutdown(&s, NULL), MP_OK);
    o = mp_smtp_server_output(&s, &n);
    assert_int_equal(n, strlen("220 mx ESMTP ready\r\n421 4.3.2 mx Service shutting down\r\n"));
    assert_memory_equal(o, "220 mx ESMTP ready\r\n421 4.3.2 mx Service shutting down\r\n", n);
    assert_int_equal(mp_smtp_server_feed(&s, "NOOP\r\n", 6, &used), MP_CLOSED);
    assert_int_equal(used, 0);

    assert_int_equal(mp_smtp_server_init(&s, &cfg, &cb, NULL, out, sizeof(out)), MP_OK);
    assert_int_equal(mp_smtp_server_timeout(&s), MP_OK);
    o = mp_smtp_server_output(&s, &n);
    assert_non_null(memmem(o, n, "421 4.4.2 mx Timeout", 20));
    assert_int_equal(mp_smtp_server_state_of(&s), MP_SMTP_SS_CLOSED);

    /* 200 pipelined NOOPs into a 1 KiB output: feed pauses with nothing
     * pending until the host sends; every reply comes, in order. */
    assert_int_equal(mp_smtp_server_init(&s, &cfg, &cb, NULL, out, sizeof(out)), MP_OK);
    mp_smtp_server_output_done(&s, 20);
    {
        size_t left = 200 * 6, replies = 0;
        char all[200 * 6];
        for (k = 0; k < 200; k++)
            memcpy(all + 6 * k, "NOOP\r\n", 6);
        k = 0;
        while (left > 0) {
            rc = mp_smtp_server_feed(&s, all + k, left, &used);
            k += used;
            left -= used;
            assert_true(rc == MP_OK || rc == MP_PAUSED);
            if (rc == MP_PAUSED)
                assert_int_equal(mp_smtp_server_pending(&s), MP_SMTP_DECIDE_NONE);
            o = mp_smtp_server_output(&s, &n);
            total += n;
            for (used = 0; used + 14 <= n; used += 14)
                assert_memory_equal(o + used, "250 2.0.0 Ok\r\n", 14);
            replies += n / 14;
            mp_smtp_server_output_done(&s, n);
        }
        assert_int_equal(replies, 200);
        assert_int_equal(total, 200 * 14);
    }
}

static int abort_body(void *u, mp_smtp_server *s, const char *p, size_t n)
{
    (void)u;
    (void)s;
    (void)p;
    (void)n;
    return 1;
}

/* mp_smtp_server_init_lean: the same session without AUTH (nothing of
 * lib/sasl referenced): AUTH in the flags is refused at init, EHLO does not
 * offer it, the command gets 502; fed whole and byte by byte alike. */
static void test_lean_init(void **st)
{
    static const char in[] = "EHLO a\r\nAUTH PLAIN AGFAYg==\r\nMAIL FROM:<a@b>\r\nQUIT\r\n";
    static const char want[] = "220 mx ESMTP ready\r\n250-mx\r\n250-PIPELINING\r\n"
                               "250-SIZE\r\n250 ENHANCEDSTATUSCODES\r\n502 5.5.1 AUTH not available\r\n"
                               "250 2.1.0 Ok\r\n221 2.0.0 mx Bye\r\n";
    static char out[1024], line[MP_SMTP_SERVER_LINE_BUF_AUTH];
    static mp_smtp_server_callbacks cb;
    mp_smtp_server s;
    mp_smtp_server_config cfg = { 0 };
    size_t used, n, k, step;
    const char *o;
    (void)st;
    cfg.hostname = "mx";
    cfg.line_buf = line;
    cfg.line_cap = sizeof(line);
    cfg.flags = MP_SMTP_SRV_AUTH;
    cfg.auth_mechs = "PLAIN";
    assert_int_equal(mp_smtp_server_init_lean(&s, &cfg, &cb, NULL, out, sizeof(out)),
                     MP_ERR_UNSUPPORTED);
    cfg.flags = 0;
    for (step = sizeof(in) - 1; step >= 1; step = step == 1 ? 0 : 1) {
        mp_status rc = MP_NEED_MORE;
        assert_int_equal(mp_smtp_server_init_lean(&s, &cfg, &cb, NULL, out, sizeof(out)), MP_OK);
        for (k = 0; k < sizeof(in) - 1 && (rc == MP_NEED_MORE || rc == MP_OK); k += used) {
            size_t len = sizeof(in) - 1 - k < step ? sizeof(in) - 1 - k : step;
            rc = mp_smtp_server_feed(&s, in + k, len, &used);
        }
        assert_int_equal(rc, MP_CLOSED);
        o = mp_smtp_server_output(&s, &n);
        assert_int_equal(n, sizeof(want) - 1);
        assert_memory_equal(o, want, n);
    }
}

static void test_abort(void **st)
{
    static char out[2048];
    static char line[MP_SMTP_SERVER_LINE_BUF];
    static mp_smtp_server_callbacks cb;
    mp_smtp_server s;
    mp_smtp_server_config cfg = { 0 };
    const char *in = "EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nhello\r\n.\r\n";
    size_t used = 0, k = 0, len = strlen(in);
    (void)st;
    cfg.hostname = "mx";
    cfg.line_buf = line;
    cfg.line_cap = sizeof(line);
    cb.on_body = abort_body;
    assert_int_equal(mp_smtp_server_init(&s, &cfg, &cb, NULL, out, sizeof(out)), MP_OK);
    assert_int_equal(mp_smtp_server_feed(&s, in, len, &used), MP_ERR_ABORTED);
    assert_true(used < len);
    k = used;
    /* The session stays usable: feeding the rest finishes the message. */
    cb.on_body = NULL;
    assert_int_equal(mp_smtp_server_feed(&s, in + k, len - k, &used), MP_OK);
    assert_int_equal(mp_smtp_server_state_of(&s), MP_SMTP_SS_READY);
}

/* LMTP with more replies than the output holds: the host answers what
 * fits, sends, and answers the rest; with no on_message_end the session
 * does the same by itself.  Every recipient gets its reply, in order. */
static void test_lmtp_many(void **st)
{
    static char in[8192];
    size_t n = 0;
    int i;
    const char *log, *p;
    (void)st;
    defaults();
    n += (size_t)snprintf(in + n, sizeof(in) - n, "LHLO a\r\nMAIL FROM:<a@b>\r\n");
    for (i = 0; i < 80; i++)
        n += (size_t)snprintf(in + n, sizeof(in) - n, "RCPT TO:<%s%02d@d>\r\n",
                              i % 7 == 3 ? "full" : "user", i);
    n += (size_t)snprintf(in + n, sizeof(in) - n, "DATA\r\nhi\r\n.\r\nQUIT\r\n");
    H.out_cap = 1024;
    log = run(MP_SMTP_SRV_LMTP, in, n, NULL);
    for (i = 0, p = log; i < 80; i++) {
        p = strstr(p, i % 7 == 3 ? "S: 452 4.2.2 Mailbox full\n" : "S: 250 2.6.0 Ok: queued\n");
        assert_non_null(p);
        p++;
    }
    assert_non_null(strstr(p, "S: 221"));
    H.out_cap = 0;
    {
        /* The session alone (no callbacks), output 1 KiB. */
        static char out[1024], line[MP_SMTP_SERVER_LINE_BUF];
        static mp_smtp_server_callbacks none;
        mp_smtp_server s;
        mp_smtp_server_config cfg = { 0 };
        size_t k = 0, used, on, oks = 0, rounds = 0;
        const char *o;
        cfg.hostname = "mx";
        cfg.flags = MP_SMTP_SRV_LMTP;
        cfg.line_buf = line;
        cfg.line_cap = sizeof(line);
        assert_int_equal(mp_smtp_server_init(&s, &cfg, &none, NULL, out, sizeof(out)), MP_OK);
        for (;;) {
            mp_status rc = mp_smtp_server_feed(&s, in + k, n - k, &used);
            k += used;
            o = mp_smtp_server_output(&s, &on);
            for (p = o; (p = memmem(p, on - (size_t)(p - o), "250 2.6.0", 9)) != NULL; p++)
                oks++;
            mp_smtp_server_output_done(&s, on);
            if (rc == MP_CLOSED)
                break;
            assert_true(rc == MP_OK || rc == MP_PAUSED);
            assert_true(++rounds < 1000);
        }
        assert_int_equal(oks, 80);
    }
}

/* Extensions the host turned on accept their parameters; the same
 * parameters without the extension get 555 5.5.4 (RFC 5321 §4.1.1.11). */
static void test_extensions(void **st)
{
    static const char in[] =
        "EHLO a\r\n"
        "MAIL FROM:<a@b> RET=HDRS ENVID=QQ314159 MT-PRIORITY=3 REQUIRETLS X-VENDOR=1\r\n"
        "RCPT TO:<c@d> NOTIFY=FAILURE,DELAY ORCPT=rfc822;c@d\r\n"
        "RSET\r\n";
    const char *log;
    (void)st;
    defaults();
    log = RUN(MP_SMTP_SRV_DSN | MP_SMTP_SRV_MT_PRIORITY | MP_SMTP_SRV_REQUIRETLS |
                  MP_SMTP_SRV_TLS_ACTIVE | MP_SMTP_SRV_UNKNOWN_PARAMS,
              in,
              LOG_EHLO_A_HEAD
              "S: 250-SIZE\n"
              "S: 250-DSN\n"
              "S: 250-ENHANCEDSTATUSCODES\n"
              "S: 250-REQUIRETLS\n"
              "S: 250 MT-PRIORITY\n"
              "mail <a@b> +unknown\n"
              "S: 250 2.1.0 Ok\n"
              "rcpt <c@d>\n"
              "S: 250 2.1.5 Ok\n"
              "reset\n"
              "S: 250 2.0.0 Ok\n"
              "state 1\n");
    (void)log;
    /* REQUIRETLS without TLS, DSN and unknown parameters not offered. */
    RUN(MP_SMTP_SRV_REQUIRETLS,
        "EHLO a\r\nMAIL FROM:<a@b> REQUIRETLS\r\nMAIL FROM:<a@b> RET=FULL\r\n"
        "MAIL FROM:<a@b> X-VENDOR=1\r\nMAIL FROM:<a@b> SMTPUTF8\r\nMAIL FROM:<a@b>\r\n"
        "RCPT TO:<c@d> NOTIFY=NEVER\r\n",
        LOG_EHLO_A
        "error MP_ERR_SMTP_PARAM @8\n"
        "S: 555 5.5.4 MAIL parameters not recognized or not implemented\n"
        "error MP_ERR_SMTP_PARAM @36\n"
        "S: 555 5.5.4 MAIL parameters not recognized or not implemented\n"
        "error MP_ERR_SMTP_PARAM @62\n"
        "S: 555 5.5.4 MAIL parameters not recognized or not implemented\n"
        "error MP_ERR_SMTP_PARAM @90\n"
        "S: 555 5.5.4 MAIL parameters not recognized or not implemented\n"
        "mail <a@b>\n"
        "S: 250 2.1.0 Ok\n"
        "error MP_ERR_SMTP_PARAM @133\n"
        "S: 555 5.5.4 RCPT parameters not recognized or not implemented\n"
        "state 2\n");
}

/* ---- data-file vectors: tests/vectors/smtp/server/NAME.in + NAME.log ---- */

static const struct {
    const char *name;
    unsigned flag;
} flag_names[] = {
    { "LMTP", MP_SMTP_SRV_LMTP },           { "CHUNKING", MP_SMTP_SRV_CHUNKING },
    { "BINARYMIME", MP_SMTP_SRV_BINARYMIME }, { "8BITMIME", MP_SMTP_SRV_8BITMIME },
    { "SMTPUTF8", MP_SMTP_SRV_SMTPUTF8 },   { "DSN", MP_SMTP_SRV_DSN },
    { "STARTTLS", MP_SMTP_SRV_STARTTLS },   { "NORMALIZE_LF", MP_SMTP_SRV_NORMALIZE_LF },
    { "LAX", MP_SMTP_SRV_LAX },
};

/* Each NAME.log starts with "# ..." comment lines, one of them
 * "# flags: WORD ...", then the expected event log.  With MP_DUMP_VECTORS
 * set, a log without events is filled in from the run (review it!). */
static void test_vectors(void **st)
{
    smtp_vec_iter it;
    const char *vec;
    int count = 0;
    (void)st;
    defaults();
    smtp_vec_open(&it, "smtp/server");
    while ((vec = smtp_vec_next(&it)) != NULL) {
        static char in[65536], log[65536], path[1024];
        size_t inlen, k;
        unsigned flags = 0;
        const char *body, *fl, *got;
        inlen = smtp_read_file(vec, in, sizeof(in));
        snprintf(path, sizeof(path), "%.*s.log", (int)(strlen(vec) - 3), vec);
        smtp_read_file(path, log, sizeof(log));
        fl = strstr(log, "# flags:");
        assert_non_null(fl);
        for (k = 0; k < sizeof(flag_names) / sizeof(flag_names[0]); k++) {
            const char *w = strstr(fl, flag_names[k].name);
            size_t wl = strlen(flag_names[k].name);
            if (w && w < strchr(fl, '\n') && (w[wl] == ' ' || w[wl] == '\n') && w[-1] == ' ')
                flags |= flag_names[k].flag;
        }
        body = log;
        while (*body == '#')
            body = strchr(body, '\n') + 1;
        if (*body == '\0' && getenv("MP_DUMP_VECTORS")) {
            FILE *f;
            got = run(flags, in, inlen, NULL);
            f = fopen(path, "ab");
            assert_non_null(f);
            fputs(got, f);
            fclose(f);
            continue;
        }
        print_message("vector %s\n", it.name);
        assert_true(*body != '\0');
        run(flags, in, inlen, body);
        count++;
    }
    assert_true(count >= 6 || getenv("MP_DUMP_VECTORS"));
}

/* RFC 5321 §4.5.3.1.6, opt-in (MP_SMTP_SRV_TEXT_LINE_LIMIT): a content
 * line of MP_SMTP_MAX_TEXT_LINE octets with its CRLF passes, one more
 * octet stops delivery there; the session reads to the real end of data,
 * answers 550 5.6.0 and the pipelined commands behind still run.  Without
 * the flag the same body is delivered whole. */
static void test_text_line_limit(void **st)
{
    static char in[8192], want[16384], body1[2048], body2[2048];
    const size_t L = MP_SMTP_MAX_TEXT_LINE - 2u; /* longest line without CRLF */
    const char *head = "EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n";
    const char *log_head = LOG_EHLO_A LOG_TXN_A_C
                           "data\n"
                           "S: 354 End data with <CR><LF>.<CR><LF>\n";
    size_t n = 0, w = 0, k, over;
    (void)st;
    defaults();
    /* body1: a line of exactly the limit (with a stuffed dot on the wire
     * that does not count) and a short one; body2: one octet too many. */
    memset(body1, 'a', L);
    body1[0] = '.';
    memcpy(body1 + L, "\r\nx\r\n", 5);
    memset(body2, 'b', L + 1);
    memcpy(body2 + L + 1, "\r\ntail\r\n", 8);
    n += (size_t)snprintf(in + n, sizeof(in) - n, "%s.%.*s.\r\n", head, (int)(L + 5), body1);
    n += (size_t)snprintf(in + n, sizeof(in) - n, "%s%.*s.\r\nNOOP\r\nQUIT\r\n",
                          head + 8, (int)(L + 9), body2);
    /* The first byte not delivered: the LF that makes the second body's
     * first line one octet too long (its CR was the 1000th). */
    over = strlen(head) + 1u + L + 5u + 3u + strlen(head + 8) + L + 2u;
    w += (size_t)snprintf(want + w, sizeof(want) - w,
                          "%schunk body %.*s\\r\\nx\\r\\n\nend MP_OK\nS: 250 2.6.0 Ok: queued\n",
                          log_head, (int)L, body1);
    w += (size_t)snprintf(want + w, sizeof(want) - w,
                          "%schunk body %.*s\\r\nerror MP_ERR_SMTP_TEXT_LINE_TOO_LONG @%llu\n"
                          "end MP_ERR_SMTP_TEXT_LINE_TOO_LONG\n"
                          "S: 550 5.6.0 Message has a text line that is too long\n"
                          "S: 250 2.0.0 Ok\n"
                          "S: 221 2.0.0 mx.example.org Bye\nclosed\nstate 10\n",
                          strstr(log_head, "mail <a@b>"), (int)(L + 1), body2,
                          (unsigned long long)over);
    for (k = 0; k < w; k++)
        assert_true(want[k] != '\0');
    run(MP_SMTP_SRV_TEXT_LINE_LIMIT, in, n, want);
    /* Off: delivered whole and accepted. */
    {
        const char *got = run(0, in, n, NULL);
        assert_non_null(strstr(got, "end MP_OK\nS: 250 2.6.0 Ok: queued\nS: 250 2.0.0 Ok\nS: 221"));
        assert_null(strstr(got, "TEXT_LINE"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_d1_pipelined),  cmocka_unit_test(test_sequence_errors),
        cmocka_unit_test(test_limits),        cmocka_unit_test(test_error_limit),
        cmocka_unit_test(test_smuggling),     cmocka_unit_test(test_bdat),
        cmocka_unit_test(test_lmtp),          cmocka_unit_test(test_starttls_split),
        cmocka_unit_test(test_starttls_injection), cmocka_unit_test(test_host_events),
        cmocka_unit_test(test_lean_init),
        cmocka_unit_test(test_abort),         cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_text_line_limit), cmocka_unit_test(test_extensions),    cmocka_unit_test(test_lmtp_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
