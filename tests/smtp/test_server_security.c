/* SMTP server session: security regressions (docs/security.md, issue 3 item 5).
 * Parsing cases run through mp_split_check (whole, byte by byte, every
 * 2-way split, random splits) with a host answering inside the callbacks
 * and one answering after feed paused; both must log the same.  Cases that
 * depend on read boundaries on purpose (STARTTLS injection, SASL responses
 * sent before their challenge) and the 10,000-recipient transaction (its
 * log would not fit an mp_evlog) use their own drivers. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/crypto.h"
#include "mailproto/sasl.h"
#include "mailproto/smtp.h"
#include "split.h"

/* ----------------------------------------------------------------------- */
/* A host that logs every reply line and event                             */
/* ----------------------------------------------------------------------- */

typedef struct host {
    mp_smtp_server s;
    mp_smtp_server_config cfg;
    mp_smtp_server_callbacks cb;
    char out[4096];
    char line[MP_SMTP_SERVER_LINE_BUF_AUTH];
    mp_evlog *log;
    int async;
    int closed;
    unsigned flags;
    char arg[320];
} host;

static host H;

#include "server_host.h"

static void answer(host *h)
{
    if (mp_smtp_server_pending(&h->s) == MP_SMTP_DECIDE_NONE)
        return;
    if (mp_smtp_server_pending(&h->s) == MP_SMTP_DECIDE_RCPT && strncmp(h->arg, "bad", 3) == 0)
        assert_int_equal(mp_smtp_server_reply(&h->s, 550, "5.1.1", "No such user"), MP_OK);
    else
        assert_int_equal(mp_smtp_server_accept(&h->s), MP_OK);
}

static void h_reset(void *state)
{
    host *h = state;
    mp_evlog *log = h->log;
    int async = h->async;
    unsigned flags = h->flags;
    memset(h, 0, sizeof(*h));
    h->log = log;
    h->async = async;
    h->flags = flags;
    host_setup(h);
}


#define EHLO_PLAIN                                                                 \
    "S: 220 mx.example.org ESMTP ready\n"                                          \
    "EHLO a\n"                                                                     \
    "S: 250-mx.example.org\n"                                                      \
    "S: 250-PIPELINING\n"                                                          \
    "S: 250-SIZE\n"                                                                \
    "S: 250 ENHANCEDSTATUSCODES\n"

/* ----------------------------------------------------------------------- */
/* End-of-data smuggling                                                   */
/* ----------------------------------------------------------------------- */

/* Offset of the first byte the strict policy refuses in in[from..n). */
static size_t first_bad(const char *in, size_t n, size_t from)
{
    size_t i;
    for (i = from; i < n; i++) {
        if (in[i] == '\0')
            return i;
        if (in[i] == '\r' && (i + 1 >= n || in[i + 1] != '\n'))
            return i;
        if (in[i] == '\n' && in[i - 1] != '\r')
            return i;
    }
    return n;
}

static const struct {
    const char *seq;
    size_t n;
} smuggle[] = {
    /* docs/security.md's list, then NUL, lone-CR and doubled variants. */
    { "\n.\n", 3 },         { "\n.\r\n", 4 },       { "\r.\n", 3 },
    { "\r.\r", 3 },         { "\r.\r\n", 4 },       { "\r\n.\n", 4 },
    { "\r\n.\r", 4 },       { "\n.\r", 3 },         { "\r\n\0.\r\n", 6 },
    { "\r\n.\0\r\n", 6 },   { "\r\n. \r\n", 6 },    { "\r\r\n.\r\n", 6 },
    { "\r\n.\r\r\n", 6 },   { "\r\r\n.\r\r\n", 7 }, { "\0\r\n.\r\n", 6 },
    { "\r\n\0\r\n.\r\n", 8 }, { "\r\n.\r\0\n", 6 }, { "\n\n.\n\n", 5 },
    { "\r\n.\n\r\n", 6 },   { "\r\n\r.\r\n", 6 },   { "\n\r\n.\r\n", 6 },
    { "\r\n..\r\n", 6 },
};
#define N_SMUGGLE (sizeof(smuggle) / sizeof(smuggle[0]))

/* Sequences that hold a real CRLF.CRLF ("\r\r\n.\r\n" is a bare CR, then
 * a real end): the message ends there, for real. */
static int real_end(size_t k)
{
    return memmem(smuggle[k].seq, smuggle[k].n, "\r\n.\r\n", 5) != NULL;
}

/* Builds "EHLO..DATA, body<seq>MAIL FROM:<evil@x>..forged, real end,
 * QUIT" into in[]; returns its length, *body at the first body byte.
 * With `next`, the client pipelines its next transaction right behind the
 * real end ("MAIL FROM:<next@x>", RCPT, DATA, "next", end) before QUIT;
 * with `lmtp`, LHLO and two recipients. */
static size_t smuggle_build(size_t k, char *in, size_t *body, int with_end, int next, int lmtp)
{
    const char *head = lmtp ? "LHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nRCPT TO:<e@d>\r\n"
                              "DATA\r\nSubject: x\r\n\r\nbody"
                            : "EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n"
                              "Subject: x\r\n\r\nbody";
    const char *tail = "MAIL FROM:<evil@x>\r\nRCPT TO:<victim@d>\r\nDATA\r\nforged\r\n";
    const char *more = "MAIL FROM:<next@x>\r\nRCPT TO:<c@d>\r\nDATA\r\nnext\r\n.\r\n";
    size_t n = strlen(head);
    memcpy(in, head, n);
    *body = n - strlen("Subject: x\r\n\r\nbody");
    memcpy(in + n, smuggle[k].seq, smuggle[k].n);
    n += smuggle[k].n;
    memcpy(in + n, tail, strlen(tail));
    n += strlen(tail);
    if (with_end) {
        memcpy(in + n, ".\r\n", 3);
        n += 3;
        if (next) {
            memcpy(in + n, more, strlen(more));
            n += strlen(more);
        }
        memcpy(in + n, "QUIT\r\n", 6);
        n += 6;
    }
    return n;
}

static size_t smuggle_input(size_t k, char *in, size_t *body, int with_end)
{
    return smuggle_build(k, in, body, with_end, 0, 0);
}

#define POISON_550 "S: 550 5.6.0 Message contains bare CR, bare LF or NUL\n"
#define POISON_421 "S: 421 4.7.0 mx.example.org Message contained bare CR, bare LF or NUL, closing\n"

/* Strict (default) policy, under both settings: the first bad byte poisons
 * the body with its exact offset and code, nothing more is delivered, and
 * the real CRLF.CRLF gets 550 (LMTP: one per recipient).  Nothing between
 * the forged end and the real one is ever executed.  By default the
 * session goes on: the transaction the client pipelined right behind the
 * real end is the next one, executed and delivered.  With
 * MP_SMTP_SRV_CLOSE_ON_POISON a 421 follows the 550 and the session
 * closes: nothing behind the real end is executed either.  A sequence that
 * holds a real CRLF.CRLF ("\r\r\n.\r\n") ends the message there, as at any
 * RFC 5321 server: then the "forged" MAIL is the client's next command. */
static void test_smuggling_strict(void **st)
{
    size_t k;
    int lmtp, close;
    (void)st;
    for (k = 0; k < N_SMUGGLE; k++)
        for (lmtp = 0; lmtp < 2; lmtp++)
            for (close = 0; close < 2; close++) {
                char in[512], want[256];
                unsigned flags = (lmtp ? MP_SMTP_SRV_LMTP : 0u) |
                                 (close ? MP_SMTP_SRV_CLOSE_ON_POISON : 0u);
                size_t body, n = smuggle_build(k, in, &body, 1, 1, lmtp);
                size_t bad = first_bad(in, n, body);
                const char *log, *code, *after;
                print_message("sequence %zu%s%s\n", k, lmtp ? " LMTP" : "",
                              close ? " close-on-poison" : "");
                log = run(flags, in, n, NULL);
                /* 354 for the first DATA and the next transaction's; a
                 * real end inside the sequence lets the "forged" DATA run
                 * too; the close leaves only the first. */
                assert_int_equal(count(log, "S: 354 "),
                                 bad < n && close ? 1 : real_end(k) ? 3 : 2);
                if (bad == n) {
                    /* "\r\n. \r\n", "\r\n..\r\n": content, one clean message,
                     * then the next; the flag changes nothing. */
                    assert_null(strstr(log, "mail <evil@x>"));
                    assert_non_null(strstr(log, "MAIL FROM:<evil@x>")); /* as body */
                    assert_int_equal(count(log, "end MP_OK\n"), 2);
                    assert_non_null(strstr(log, "S: 221 "));
                    continue;
                }
                code = in[bad] == '\0' ? "MP_ERR_NUL"
                       : in[bad] == '\r' ? "MP_ERR_BARE_CR"
                                         : "MP_ERR_BARE_LF";
                snprintf(want, sizeof(want), "error %s @%zu\nend %s\n%s%s", code, bad, code,
                         POISON_550, lmtp ? POISON_550 : "");
                after = strstr(log, want);
                assert_non_null(after);
                after += strlen(want);
                assert_int_equal(count(log, "S: 550 5.6.0 "), lmtp ? 2 : 1);
                if (real_end(k) && !close) {
                    /* The real end inside the sequence ended the message:
                     * the next line is a command. */
                    assert_true(strncmp(after, "mail <evil@x>\n", 14) == 0);
                    continue;
                }
                /* Nothing from the bad byte on reaches the host. */
                assert_null(strstr(log, "forged"));
                assert_null(strstr(log, "evil@x>\\r"));
                if (close) {
                    /* 550, then 421 and the end: nothing behind is run. */
                    assert_string_equal(after, POISON_421 "closed\nstate 10\n");
                    assert_null(strstr(log, "mail <evil@x>"));
                    continue;
                }
                /* The session goes on at the real end: the pipelined next
                 * transaction comes next and is delivered; the forged one
                 * never ran. */
                assert_null(strstr(log, "mail <evil@x>"));
                assert_null(strstr(log, "rcpt <victim@d>"));
                assert_true(strncmp(after, "mail <next@x>\nS: 250 2.1.0 Ok\nrcpt <c@d>\n", 40) ==
                            0);
                assert_non_null(strstr(after, "chunk body next\\r\\n\nend MP_OK\n"
                                              "S: 250 2.6.0 Ok: queued\n"
                                              "S: 221 2.0.0 mx.example.org Bye\nclosed\n"));
            }
}

/* Without the real end of data the session is still reading the body:
 * no reply, nothing executed, whatever the split. */
static void test_smuggling_never_ends_early(void **st)
{
    size_t k;
    (void)st;
    for (k = 0; k < N_SMUGGLE; k++) {
        char in[512];
        size_t body, n = smuggle_input(k, in, &body, 0);
        if (real_end(k))
            continue;
        const char *log;
        print_message("sequence %zu\n", k);
        log = run(0, in, n, NULL);
        assert_null(strstr(log, "end "));
        assert_null(strstr(log, "mail <evil@x>"));
        assert_null(strstr(log, "S: 5"));
        assert_true(strstr(log, "state 4\n") != NULL); /* MP_SMTP_SS_DATA */
        {
            /* LMTP with the close flag: the same. */
            char in2[512];
            size_t b2, n2 = smuggle_build(k, in2, &b2, 0, 0, 1);
            log = run(MP_SMTP_SRV_CLOSE_ON_POISON | MP_SMTP_SRV_LMTP, in2, n2, NULL);
        }
        assert_null(strstr(log, "end "));
        assert_null(strstr(log, "mail <evil@x>"));
        assert_null(strstr(log, "S: 5"));
        assert_null(strstr(log, "S: 421"));
        assert_true(strstr(log, "state 4\n") != NULL);
        log = run(MP_SMTP_SRV_NORMALIZE_LF, in, n, NULL);
        assert_null(strstr(log, "end "));
        assert_null(strstr(log, "mail <evil@x>"));
        assert_true(strstr(log, "state 4\n") != NULL);
    }
}

/* Normalize policy: a bare LF ends a content line (delivered as CRLF), a
 * bare CR or NUL still poisons; the end is still only CRLF.CRLF, so the
 * forged commands are message content and the QUIT after the real end is
 * executed. */
static void test_smuggling_normalize(void **st)
{
    size_t k;
    (void)st;
    for (k = 0; k < N_SMUGGLE; k++) {
        char in[512];
        size_t body, n = smuggle_input(k, in, &body, 1), i;
        int cr_or_nul = 0;
        const char *log;
        if (real_end(k))
            continue; /* after a real end the next line is a real command */
        print_message("sequence %zu\n", k);
        for (i = body; i < n; i++)
            if (in[i] == '\0' || (in[i] == '\r' && in[i + 1] != '\n'))
                cr_or_nul = 1;
        log = run(MP_SMTP_SRV_NORMALIZE_LF, in, n, NULL);
        assert_null(strstr(log, "mail <evil@x>"));
        assert_int_equal(count(log, "end "), 1);
        assert_null(strstr(log, "error MP_ERR_BARE_LF"));
        if (cr_or_nul) {
            /* Refused at the real end; the QUIT behind it is answered, or
             * with the flag a 421 closes first. */
            assert_non_null(strstr(log, POISON_550 "S: 221 2.0.0 mx.example.org Bye\nclosed\n"));
            assert_null(strstr(log, "forged"));
            log = run(MP_SMTP_SRV_NORMALIZE_LF | MP_SMTP_SRV_CLOSE_ON_POISON, in, n, NULL);
            assert_non_null(strstr(log, POISON_550 POISON_421 "closed\nstate 10\n"));
            assert_null(strstr(log, "mail <evil@x>"));
            assert_null(strstr(log, "forged"));
        } else {
            assert_non_null(strstr(log, "end MP_OK\nS: 250 2.6.0 Ok: queued\n"
                                        "S: 221 2.0.0 mx.example.org Bye\nclosed\n"));
            /* The forged transaction is content, with CRLF line ends. */
            assert_non_null(strstr(log, "MAIL FROM:<evil@x>\\r\\nRCPT TO:<victim@d>\\r\\n"
                                        "DATA\\r\\nforged\\r\\n\n"));
            assert_null(strstr(log, "\\n\\n")); /* no bare LF reaches the host */
        }
    }
    /* Exact: in "x\n.\n" the lone dot line is not the end (its line ends
     * are bare LF), so it is content and delivered as ".\r\n". */
    RUN(MP_SMTP_SRV_NORMALIZE_LF,
        "EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nx\n.\nMAIL FROM:<evil@x>\r\n.\r\n"
        "NOOP\r\n",
        EHLO_PLAIN
        "mail <a@b>\n"
        "S: 250 2.1.0 Ok\n"
        "rcpt <c@d>\n"
        "S: 250 2.1.5 Ok\n"
        "data\n"
        "S: 354 End data with <CR><LF>.<CR><LF>\n"
        "chunk body x\\r\\n.\\r\\nMAIL FROM:<evil@x>\\r\\n\n"
        "end MP_OK\n"
        "S: 250 2.6.0 Ok: queued\n"
        "S: 250 2.0.0 Ok\n"
        "state 1\n");
}

/* A client pipelining the next transaction right behind a clean end of
 * data: both messages, in order, nothing lost. */
static void test_pipelined_after_end(void **st)
{
    (void)st;
    RUN(0,
        "EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\none\r\n.\r\n"
        "MAIL FROM:<e@f>\r\nRCPT TO:<g@h>\r\nDATA\r\n.two\r\n..\r\n.\r\nQUIT\r\n",
        EHLO_PLAIN
        "mail <a@b>\n"
        "S: 250 2.1.0 Ok\n"
        "rcpt <c@d>\n"
        "S: 250 2.1.5 Ok\n"
        "data\n"
        "S: 354 End data with <CR><LF>.<CR><LF>\n"
        "chunk body one\\r\\n\n"
        "end MP_OK\n"
        "S: 250 2.6.0 Ok: queued\n"
        "mail <e@f>\n"
        "S: 250 2.1.0 Ok\n"
        "rcpt <g@h>\n"
        "S: 250 2.1.5 Ok\n"
        "data\n"
        "S: 354 End data with <CR><LF>.<CR><LF>\n"
        "chunk body two\\r\\n.\\r\\n\n"
        "end MP_OK\n"
        "S: 250 2.6.0 Ok: queued\n"
        "S: 221 2.0.0 mx.example.org Bye\n"
        "closed\n"
        "state 10\n");
}


/* ----------------------------------------------------------------------- */
/* STARTTLS injection                                                      */
/* ----------------------------------------------------------------------- */

typedef struct tls_run {
    mp_smtp_server s;
    mp_smtp_server_config cfg;
    mp_smtp_server_callbacks cb;
    char out[4096];
    char line[MP_SMTP_SERVER_LINE_BUF];
    unsigned mails, errors, injections;
    mp_status last_err;
} tls_run;

static int tls_on_mail(void *u, mp_smtp_server *s, const mp_smtp_cmd *c)
{
    tls_run *t = u;
    (void)c;
    t->mails++;
    assert_int_equal(mp_smtp_server_accept(s), MP_OK);
    return 0;
}

static void tls_on_error(void *u, mp_smtp_server *s, const mp_error *e)
{
    tls_run *t = u;
    (void)s;
    t->errors++;
    if (e->code == MP_ERR_TLS_INJECTION)
        t->injections++;
    t->last_err = e->code;
}

static void tls_init(tls_run *t)
{
    size_t n;
    memset(t, 0, sizeof(*t));
    t->cfg.hostname = "mx";
    t->cfg.flags = MP_SMTP_SRV_STARTTLS;
    t->cfg.line_buf = t->line;
    t->cfg.line_cap = sizeof(t->line);
    t->cb.on_mail = tls_on_mail;
    t->cb.on_error = tls_on_error;
    assert_int_equal(mp_smtp_server_init(&t->s, &t->cfg, &t->cb, t, t->out, sizeof(t->out)),
                     MP_OK);
    mp_smtp_server_output(&t->s, &n);
    mp_smtp_server_output_done(&t->s, n);
}

/* One plaintext read: feeds until it is used up, the switch, or the end.
 * Returns 1 when the switch happened (the rest of the read is dropped, as
 * the host must). */
static int tls_read(tls_run *t, const char *p, size_t n)
{
    while (n > 0) {
        size_t used = 0, on;
        mp_status st = mp_smtp_server_feed(&t->s, p, n, &used);
        mp_smtp_server_output(&t->s, &on);
        mp_smtp_server_output_done(&t->s, on);
        p += used;
        n -= used;
        if (st == MP_TRANSPORT_SWITCH)
            return 1;
        assert_true(st == MP_OK || st == MP_PAUSED);
    }
    return 0;
}

/* Commands behind STARTTLS in the same read are never executed and are
 * reported once as MP_ERR_TLS_INJECTION with their byte count; the STARTTLS
 * line itself split at every point changes nothing. */
static void test_starttls_injection(void **st)
{
    static const char in[] = "EHLO a\r\nSTARTTLS\r\nMAIL FROM:<evil@x>\r\nRCPT TO:<v@d>\r\n";
    const size_t n = sizeof(in) - 1;
    const size_t end = strlen("EHLO a\r\nSTARTTLS\r\n"); /* the switch point */
    size_t k;
    (void)st;
    for (k = 0; k <= n; k++) {
        tls_run t;
        int switched;
        tls_init(&t);
        switched = tls_read(&t, in, k);
        if (!switched) {
            assert_true(k < end);
            switched = tls_read(&t, in + k, n - k);
            assert_true(switched);
            /* Everything after the STARTTLS CRLF was in this read. */
            assert_int_equal(t.s.injected, n - end);
            assert_int_equal(t.injections, 1);
        } else {
            /* The switch came in the first read: what followed in it is
             * injection; the bytes of the next read are TLS records, not
             * plaintext, and never reach this session. */
            assert_true(k >= end);
            assert_int_equal(t.s.injected, k - end);
            assert_int_equal(t.injections, k > end ? 1u : 0u);
        }
        assert_int_equal(t.mails, 0);
        assert_int_equal(mp_smtp_server_state_of(&t.s), MP_SMTP_SS_TLS);
        assert_int_equal(mp_smtp_server_tls_started(&t.s), MP_OK);
        assert_int_equal(t.s.tls, 1);
        /* After TLS: a MAIL before the new EHLO is out of sequence. */
        assert_int_equal(tls_read(&t, "MAIL FROM:<a@b>\r\n", 17), 0);
        assert_int_equal(t.mails, 0);
        assert_int_equal(t.last_err, MP_ERR_SMTP_BAD_SEQUENCE);
        assert_int_equal(tls_read(&t, "EHLO a\r\nMAIL FROM:<a@b>\r\nSTARTTLS\r\n", 35), 0);
        assert_int_equal(t.mails, 1);
    }
}

/* ----------------------------------------------------------------------- */
/* Sizes: lines, paths, parameters                                         */
/* ----------------------------------------------------------------------- */

static char big[110000];

/* "VERB " + fill x `len` chars + CRLF + rest into big[]. */
static size_t line_of(const char *verb, char fill, size_t len, const char *rest)
{
    size_t n = strlen(verb);
    memcpy(big, verb, n);
    memset(big + n, fill, len);
    n += len;
    memcpy(big + n, "\r\n", 2);
    n += 2;
    memcpy(big + n, rest, strlen(rest));
    return n + strlen(rest);
}

/* Regression: a bad line still being discarded at the end of a read used
 * to give the NEXT command's error a stale offset (the framer skipped the
 * rest and returned the following line in the same call; the session took
 * the line start before the call).  mp_line_framer.line_start fixes it. */
static void test_discard_across_reads_offset(void **st)
{
    (void)st;
    RUN(0,
        "EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\nSubject: x\r\n\r\nbody\r\n.\r\n"
        "\rMAIL FROM:<evil@x>\r\nRCPT TO:<victim@d>\r\nQUIT\r\n",
        NULL);
    run(0, big, line_of("EHLO a\r\nNOOP ", 'x', 2000, "FOO\r\n"), NULL);
}

/* MP_SMTP_MAX_COMMAND_LINE counts the CRLF: a line of exactly that size is
 * a command, one byte more is 500 5.5.2 Line too long, and a 100 KB line
 * is one error; the next command is processed each time. */
static void test_long_lines(void **st)
{
    const size_t lim = MP_SMTP_MAX_COMMAND_LINE - 2 - 5; /* "NOOP " + x... + CRLF */
    size_t n;
    (void)st;
    n = line_of("EHLO a\r\nNOOP ", 'x', lim, "NOOP\r\n");
    run(0, big, n, EHLO_PLAIN "S: 250 2.0.0 Ok\nS: 250 2.0.0 Ok\nstate 1\n");
    n = line_of("EHLO a\r\nNOOP ", 'x', lim + 1, "NOOP\r\n");
    run(0, big, n, EHLO_PLAIN
        "error MP_ERR_LINE_TOO_LONG @1030\n"
        "S: 500 5.5.2 Line too long\n"
        "S: 250 2.0.0 Ok\n"
        "state 1\n");
    n = line_of("EHLO a\r\nNOOP ", 'x', 100000, "MAIL FROM:<a@b>\r\n");
    run(0, big, n, EHLO_PLAIN
        "error MP_ERR_LINE_TOO_LONG @1030\n"
        "S: 500 5.5.2 Line too long\n"
        "mail <a@b>\n"
        "S: 250 2.1.0 Ok\n"
        "state 2\n");
    /* A long line inside a transaction leaves the transaction intact. */
    n = line_of("EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<", 'r', 5000,
                "RCPT TO:<c@d>\r\nDATA\r\nx\r\n.\r\n");
    run(0, big, n, EHLO_PLAIN
        "mail <a@b>\n"
        "S: 250 2.1.0 Ok\n"
        "error MP_ERR_LINE_TOO_LONG @1047\n"
        "S: 500 5.5.2 Line too long\n"
        "rcpt <c@d>\n"
        "S: 250 2.1.5 Ok\n"
        "data\n"
        "S: 354 End data with <CR><LF>.<CR><LF>\n"
        "chunk body x\\r\\n\n"
        "end MP_OK\n"
        "S: 250 2.6.0 Ok: queued\n"
        "state 1\n");
}

/* Builds "EHLO a\r\n" + pre + `len` times fill + post + "\r\nNOOP\r\n". */
static size_t cmd_of(const char *pre, char fill, size_t len, const char *post)
{
    size_t n = (size_t)snprintf(big, sizeof(big), "EHLO a\r\n%s", pre);
    memset(big + n, fill, len);
    n += len;
    n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\r\nNOOP\r\n", post);
    return n;
}

/* One command and the NOOP after it: returns the log between the EHLO
 * reply and the NOOP's 250. */
static const char *one(unsigned flags, size_t n)
{
    static char mid[4096];
    const char *log = run(flags, big, n, NULL), *a, *b;
    a = strstr(log, "S: 250 ENHANCEDSTATUSCODES\n");
    assert_non_null(a);
    a += strlen("S: 250 ENHANCEDSTATUSCODES\n");
    b = strstr(a, "S: 250 2.0.0 Ok\nstate ");
    assert_non_null(b); /* the session went on to the NOOP */
    snprintf(mid, sizeof(mid), "%.*s", (int)(b - a), a);
    return mid;
}

static void expect(unsigned flags, size_t n, const char *want)
{
    const char *got = one(flags, n);
    if (getenv("MP_DUMP_EXPECT")) {
        printf("-----\n%s", got);
        return;
    }
    if (strcmp(got, want) != 0)
        fail_msg("got:\n%s\nwant:\n%s", got, want);
}

/* One command (pre, `len` times fill, post) under the flags, and the log
 * it must give: expect() for a table of them. */
typedef struct cmd_case {
    unsigned flags;
    const char *pre;
    char fill;
    size_t len;
    const char *post;
    const char *want;
} cmd_case;
#define CASES(a) (sizeof(a) / sizeof((a)[0]))

static void expect_all(const cmd_case *c, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        expect(c[i].flags, cmd_of(c[i].pre, c[i].fill, c[i].len, c[i].post), c[i].want);
}

/* Limits of RFC 5321 §4.5.3.1: local part 64, domain 255 (labels 63),
 * path 256; each over-long item gets its own code and reply, and the
 * session goes on with the next command. */
static void test_long_paths(void **st)
{
    static const char d63[] =
        "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";
    char dom[300];
    (void)st;
    /* Local part: 64 accepted, 65 refused. */
    expect(0, cmd_of("MAIL FROM:<", 'l', 64, "@b>"), "mail <llllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll@b>\n"
           "S: 250 2.1.0 Ok\n");
    expect(0, cmd_of("MAIL FROM:<", 'l', 65, "@b>"), "error MP_ERR_SMTP_LOCAL_TOO_LONG @83\n"
           "S: 501 5.1.7 Address too long\n");
    /* A label of 63 accepted, 64 refused. */
    expect(0, cmd_of("MAIL FROM:<a@", 'd', 63, ">"), "mail <a@ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd>\n"
           "S: 250 2.1.0 Ok\n");
    expect(0, cmd_of("MAIL FROM:<a@", 'd', 64, ">"), "error MP_ERR_SMTP_DOMAIN_TOO_LONG @85\n"
           "S: 501 5.1.7 Address too long\n");
    /* Domain: 255 accepted, 256 refused (labels of 63); only EHLO can
     * carry one that long, a path is limited to 256 with its brackets. */
    snprintf(dom, sizeof(dom), "%s.%s.%s.%.63s", d63, d63, d63, d63);
    expect(0, cmd_of("EHLO ", 'd', 0, dom), "EHLO ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\n"
           "S: 250-mx.example.org\n"
           "S: 250-PIPELINING\n"
           "S: 250-SIZE\n"
           "S: 250 ENHANCEDSTATUSCODES\n");
    snprintf(dom, sizeof(dom), "%s.%s.%s.%.63sd", d63, d63, d63, d63);
    expect(0, cmd_of("EHLO ", 'd', 0, dom), /* Not MP_ERR_SMTP_DOMAIN_TOO_LONG: the HELO argument check
            * reports the generic syntax error (see the report). */
           "error MP_ERR_SYNTAX @268\n"
           "S: 501 5.5.4 Syntax error in arguments\n");
    /* Path: 256 accepted, 257 refused ("<" local(64) "@" domain ">"). */
    snprintf(dom, sizeof(dom), "@%s.%s.%s.%.60s>", d63, d63, d63, d63);
    expect(0, cmd_of("MAIL FROM:<", 'l', 1, dom), "mail <l@ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd.dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd>\n"
           "S: 250 2.1.0 Ok\n");
    snprintf(dom, sizeof(dom), "@%s.%s.%s.%.61s>", d63, d63, d63, d63);
    expect(0, cmd_of("MAIL FROM:<", 'l', 2, dom), "error MP_ERR_SMTP_PATH_TOO_LONG @274\n"
           "S: 501 5.1.7 Address too long\n");
    /* In RCPT inside a transaction: the transaction survives. */
    expect(0, cmd_of("MAIL FROM:<a@b>\r\nRCPT TO:<", 'l', 65, "@b>\r\nRCPT TO:<c@d>"), "mail <a@b>\n"
           "S: 250 2.1.0 Ok\n"
           "error MP_ERR_SMTP_LOCAL_TOO_LONG @98\n"
           "S: 501 5.1.3 Address too long\n"
           "rcpt <c@d>\n"
           "S: 250 2.1.5 Ok\n");
}

/* ESMTP parameters: ENVID over 100, ORCPT over 500, too many parameters,
 * duplicates, bad xtext, unknown ones (555 unless the host takes them). */
static const cmd_case param_cases[] = {
    { MP_SMTP_SRV_DSN, "MAIL FROM:<a@b> ENVID=", 'e', 100, "",
      "mail <a@b>\n"
      "S: 250 2.1.0 Ok\n" },
    { MP_SMTP_SRV_DSN, "MAIL FROM:<a@b> ENVID=", 'e', 101, "",
      "error MP_ERR_SMTP_PARAM_TOO_LONG @30\n"
      "S: 501 5.5.4 Parameter value too long\n" },
    { MP_SMTP_SRV_DSN, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d> ORCPT=rfc822;", 'o', 493, "",
      "mail <a@b>\n"
      "S: 250 2.1.0 Ok\n"
      "rcpt <c@d>\n"
      "S: 250 2.1.5 Ok\n" },
    { MP_SMTP_SRV_DSN, "MAIL FROM:<a@b>\r\nRCPT TO:<c@d> ORCPT=rfc822;", 'o', 494, "",
      "mail <a@b>\n"
      "S: 250 2.1.0 Ok\n"
      "error MP_ERR_SMTP_PARAM_TOO_LONG @45\n"
      "S: 501 5.5.4 Parameter value too long\n" },
    { MP_SMTP_SRV_DSN, "MAIL FROM:<a@b> ENVID=a+2", 'e', 0, "",
      "error MP_ERR_SMTP_XTEXT @31\n"
      "S: 501 5.5.4 Invalid parameter\n" },
    { MP_SMTP_SRV_DSN, "MAIL FROM:<a@b> RET=FULL RET=HDRS", 'e', 0, "",
      "error MP_ERR_SMTP_PARAM_DUP @33\n"
      "S: 501 5.5.4 Invalid parameter\n" },
    { 0, "MAIL FROM:<a@b> X-A=1", 'e', 0, "",
      "error MP_ERR_SMTP_PARAM @8\n"
      "S: 555 5.5.4 MAIL parameters not recognized or not implemented\n" },
    { MP_SMTP_SRV_UNKNOWN_PARAMS, "MAIL FROM:<a@b> X1 X2 X3 X4 X5 X6 X7 X8 X9 X10 X11 X12 X13 X14 X15 X16", 'e', 0, "",
      "mail <a@b> +unknown\n"
      "S: 250 2.1.0 Ok\n" },
    { MP_SMTP_SRV_UNKNOWN_PARAMS, "MAIL FROM:<a@b> X1 X2 X3 X4 X5 X6 X7 X8 X9 X10 X11 X12 X13 X14 X15 X16 X17", 'e', 0, "",
      "error MP_ERR_SMTP_TOO_MANY_PARAMS @79\n"
      "S: 501 5.5.4 Invalid parameter\n" },
    { 0, "MAIL FROM:<a@b> SIZE=99999999999999999999", 'e', 0, "",
      "error MP_ERR_NUMBER @29\n"
      "S: 501 5.5.4 Syntax error in arguments\n" },
};

static void test_params(void **st)
{
    (void)st;
    expect_all(param_cases, CASES(param_cases));
}

/* 8-bit: addresses need SMTPUTF8 (advertised and asked for in MAIL);
 * invalid UTF-8 is refused even then; NUL in a command line. */
static const cmd_case utf8_cases[] = {
    { 0, "MAIL FROM:<j\xc3\xb6rg@b>", 'e', 0, "",
      "error MP_ERR_SMTP_UTF8_PATH @20\n"
      "S: 553 5.6.7 Non-ASCII address needs SMTPUTF8\n" },
    { MP_SMTP_SRV_SMTPUTF8, "MAIL FROM:<j\xc3\xb6rg@b>", 'e', 0, "",
      "error MP_ERR_SMTP_UTF8_PATH @20\n"
      "S: 553 5.6.7 Non-ASCII address needs SMTPUTF8\n" },
    { MP_SMTP_SRV_SMTPUTF8, "MAIL FROM:<j\xc3\xb6rg@b> SMTPUTF8\r\nRCPT TO:<\xc3\xa9@b\xc3\xa9.example>", 'e', 0, "",
      "mail <j\xc3\xb6rg@b>\n"
      "S: 250 2.1.0 Ok\n"
      "rcpt <\xc3\xa9@b\xc3\xa9.example>\n"
      "S: 250 2.1.5 Ok\n" },
    { MP_SMTP_SRV_SMTPUTF8, "MAIL FROM:<a@b> SMTPUTF8\r\nRCPT TO:<\xff@b>", 'e', 0, "",
      "mail <a@b>\n"
      "S: 250 2.1.0 Ok\n"
      "error MP_ERR_UTF8 @43\n"
      "S: 501 5.1.3 Address is not valid UTF-8\n" },
    { MP_SMTP_SRV_SMTPUTF8, "MAIL FROM:<a@b> SMTPUTF8\r\nRCPT TO:<\xc0\xaf@b>", 'e', 0, "",
      "mail <a@b>\n"
      "S: 250 2.1.0 Ok\n"
      "error MP_ERR_UTF8 @43\n"
      "S: 501 5.1.3 Address is not valid UTF-8\n" },
    { 0, "MAIL FROM:<a@b> SMTPUTF8", 'e', 0, "",
      "error MP_ERR_SMTP_PARAM @8\n"
      "S: 555 5.5.4 MAIL parameters not recognized or not implemented\n" },
    { 0, "MAIL FROM:<a@b>\r\nRCPT TO:<\xc3\xa9@b>", 'e', 0, "",
      "mail <a@b>\n"
      "S: 250 2.1.0 Ok\n"
      "error MP_ERR_SMTP_UTF8_PATH @34\n"
      "S: 553 5.6.7 Non-ASCII address needs SMTPUTF8\n" },
    { 0, "NO", '\0', 1, "OP",
      "error MP_ERR_NUL @10\n"
      "S: 501 5.5.4 Syntax error in arguments\n" },
    { 0, "MAIL FROM:<a", '\0', 1, "@b>",
      "error MP_ERR_NUL @20\n"
      "S: 501 5.5.4 Syntax error in arguments\n" },
    { 0, "HELO a", '\0', 1, "",
      "error MP_ERR_NUL @14\n"
      "S: 501 5.5.4 Syntax error in arguments\n" },
    { 0, "NOOP \x80\xff", 'e', 0, "",
      "error MP_ERR_8BIT @13\n"
      "S: 501 5.5.4 Syntax error in arguments\n" },
};

static void test_8bit(void **st)
{
    (void)st;
    expect_all(utf8_cases, CASES(utf8_cases));
}

/* An 8-bit body without 8BITMIME: the session delivers it as sent (it
 * checks only line structure; RFC 6152 §3 leaves the choice to the
 * server); with BODY=8BITMIME advertised it is the same. */
static void test_8bit_body(void **st)
{
    (void)st;
    RUN(0,
        "EHLO a\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n\xc3\xa9t\xe9\x80\xff\r\n.\r\n",
        EHLO_PLAIN
        "mail <a@b>\n"
        "S: 250 2.1.0 Ok\n"
        "rcpt <c@d>\n"
        "S: 250 2.1.5 Ok\n"
        "data\n"
        "S: 354 End data with <CR><LF>.<CR><LF>\n"
        "chunk body \\xc3\\xa9t\\xe9\\x80\\xff\\r\\n\n"
        "end MP_OK\n"
        "S: 250 2.6.0 Ok: queued\n"
        "state 1\n");
}

/* ----------------------------------------------------------------------- */
/* AUTH data                                                               */
/* ----------------------------------------------------------------------- */

typedef struct auth_host {
    mp_smtp_server s;
    mp_smtp_server_config cfg;
    mp_smtp_server_callbacks cb;
    mp_sasl_server sasl;
    mp_sasl_server_config sasl_cfg;
    mp_crypto_provider crypto;
    char out[MP_SMTP_SERVER_MIN_OUT];
    char line[MP_SMTP_SERVER_LINE_BUF_AUTH];
    char got[4096];
    size_t gn;
} auth_host;

static auth_host A;

static int a_rnd(void *u, uint8_t *out, size_t n)
{
    (void)u;
    memset(out, 0x42, n);
    return 0;
}

/* tim / tanstaaftanstaaf. */
static int a_on_auth_cb(void *u, mp_smtp_server *s)
{
    auth_host *a = u;
    mp_sasl_server *x = &a->sasl;
    if (x->want == MP_SASL_WANT_VERIFY)
        mp_sasl_server_verify(x, mp_slice_eq_ci(x->authcid, "tim", 3) && x->password.len == 16 &&
                                     memcmp(x->password.ptr, "tanstaaftanstaaf", 16) == 0);
    else
        mp_sasl_server_verify(x, 0);
    assert_int_equal(mp_smtp_server_auth_resume(s), MP_OK);
    return 0;
}

static void a_setup(void)
{
    size_t n;
    memset(&A, 0, sizeof(A));
    A.crypto = mp_crypto_builtin(a_rnd, NULL);
    A.cfg.hostname = "mx";
    A.cfg.flags = MP_SMTP_SRV_AUTH | MP_SMTP_SRV_AUTH_PLAINTEXT;
    A.cfg.line_buf = A.line;
    A.cfg.line_cap = sizeof(A.line);
    A.cfg.auth_mechs = "PLAIN LOGIN";
    A.cfg.sasl = &A.sasl;
    A.cfg.sasl_cfg = &A.sasl_cfg;
    A.cfg.crypto = &A.crypto;
    A.cb.on_auth = a_on_auth_cb;
    assert_int_equal(mp_smtp_server_init(&A.s, &A.cfg, &A.cb, &A, A.out, sizeof(A.out)), MP_OK);
    mp_smtp_server_output(&A.s, &n);
    mp_smtp_server_output_done(&A.s, n);
}

/* Feeds one client read (whole or byte by byte), collecting the output. */
static void a_feed(const char *p, size_t n, int bytewise)
{
    size_t k = 0;
    A.gn = 0;
    A.got[0] = '\0';
    while (k < n) {
        size_t used = 0, on, piece = bytewise ? 1 : n - k;
        const char *o;
        mp_status st = mp_smtp_server_feed(&A.s, p + k, piece, &used);
        assert_true(st == MP_OK || st == MP_PAUSED || st == MP_CLOSED);
        k += used;
        o = mp_smtp_server_output(&A.s, &on);
        assert_true(A.gn + on < sizeof(A.got));
        memcpy(A.got + A.gn, o, on);
        A.gn += on;
        A.got[A.gn] = '\0';
        mp_smtp_server_output_done(&A.s, on);
        if (st == MP_CLOSED)
            break;
    }
}

static void a_say(const char *p, size_t n, int bytewise, const char *want)
{
    a_feed(p, n, bytewise);
    if (getenv("MP_DUMP_EXPECT")) {
        printf("-- %s: %s", want, A.got);
        return;
    }
    if (strcmp(A.got, want) != 0)
        fail_msg("bytewise=%d after %.40s\nwant %s\ngot  %s", bytewise, p, want, A.got);
}
#define SAY(lit, bw, want) a_say((lit), sizeof(lit) - 1, (bw), (want))

/* MP_SMTP_MAX_AUTH_LINE counts the CRLF: a response that long is read
 * (and refused by SASL's own size limit), one byte more is a line error;
 * "*" cancels; garbage base64 ends the exchange; after each the session
 * takes commands and a good AUTH still works. */
static void test_auth_data(void **st)
{
    static char resp[MP_SMTP_MAX_AUTH_LINE + 16];
    int bw;
    (void)st;
    for (bw = 0; bw < 2; bw++) {
        a_setup();
        SAY("EHLO a\r\n", bw, "250-mx\r\n250-PIPELINING\r\n250-SIZE\r\n250-ENHANCEDSTATUSCODES\r\n"
                              "250 AUTH PLAIN LOGIN\r\n");
        /* Exactly at the limit: valid base64, too big for SASL. */
        SAY("AUTH PLAIN\r\n", bw, "334 \r\n");
        memset(resp, 'A', MP_SMTP_MAX_AUTH_LINE - 2);
        memcpy(resp + MP_SMTP_MAX_AUTH_LINE - 2, "\r\n", 2);
        a_say(resp, MP_SMTP_MAX_AUTH_LINE, bw, "500 5.5.6 Authentication exchange line is too long\r\n");
        SAY("NOOP\r\n", bw, "250 2.0.0 Ok\r\n");
        /* One byte over the line limit. */
        SAY("AUTH PLAIN\r\n", bw, "334 \r\n");
        memset(resp, 'A', MP_SMTP_MAX_AUTH_LINE - 1);
        memcpy(resp + MP_SMTP_MAX_AUTH_LINE - 1, "\r\nNOOP\r\n", 8);
        a_say(resp, MP_SMTP_MAX_AUTH_LINE + 7, bw, "500 5.5.6 Authentication exchange line is too long\r\n250 2.0.0 Ok\r\n");
        /* An over-long initial response on the AUTH line itself (the
         * command line limit applies). */
        memcpy(resp, "AUTH PLAIN ", 11);
        memset(resp + 11, 'A', 2000);
        memcpy(resp + 2011, "\r\nNOOP\r\n", 8);
        a_say(resp, 2019, bw, "500 5.5.2 Line too long\r\n250 2.0.0 Ok\r\n");
        /* Cancel, and garbage. */
        SAY("AUTH LOGIN\r\n", bw, "334 VXNlcm5hbWU6\r\n");
        SAY("*\r\n", bw, "501 5.0.0 Authentication cancelled\r\n");
        SAY("AUTH LOGIN\r\n", bw, "334 VXNlcm5hbWU6\r\n");
        SAY("dGlt\r\n", bw, "334 UGFzc3dvcmQ6\r\n");
        SAY("*\r\n", bw, "501 5.0.0 Authentication cancelled\r\n");
        SAY("AUTH PLAIN\r\n", bw, "334 \r\n");
        SAY("AHRpbQB0YW5zdGFhZnRhbnN0YWFm=\r\n", bw, "501 5.5.2 Cannot decode response\r\n");
        SAY("AUTH PLAIN\r\n", bw, "334 \r\n");
        SAY("AHRpbQB0YW5z dGFhZnRhbnN0YWFm\r\n", bw, "501 5.5.2 Cannot decode response\r\n");
        SAY("AUTH PLAIN\r\n", bw, "334 \r\n");
        SAY("\xff\xfe\r\n", bw, "501 5.5.2 Cannot decode response\r\n");
        SAY("AUTH PLAIN\r\n", bw, "334 \r\n");
        SAY("AHRp\0bQ==\r\n", bw, "501 5.5.2 Cannot decode response\r\n");
        SAY("AUTH PLAIN\r\n", bw, "334 \r\n");
        SAY("AHRpbQ\n", bw, "501 5.5.2 Cannot decode response\r\n");
        /* The state is clean: a good exchange still succeeds. */
        SAY("AUTH PLAIN\r\n", bw, "334 \r\n");
        SAY("AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n", bw, "235 2.7.0 Authentication successful\r\n");
        assert_int_equal(A.s.authed, 1);
    }
}

/* ----------------------------------------------------------------------- */
/* 10,000 recipients                                                       */
/* ----------------------------------------------------------------------- */

typedef struct rcpt_host {
    mp_smtp_server s;
    mp_smtp_server_config cfg;
    mp_smtp_server_callbacks cb;
    char out[MP_SMTP_SERVER_MIN_OUT]; /* the smallest allowed: many drains */
    char line[MP_SMTP_SERVER_LINE_BUF];
    unsigned rcpts, ok, full, other, drains, bye, queued, errors;
    uint64_t body;
    char partial[600];
    size_t plen;
} rcpt_host;

static rcpt_host R;

static int r_on_rcpt(void *u, mp_smtp_server *s, const mp_smtp_cmd *c)
{
    rcpt_host *r = u;
    (void)c;
    r->rcpts++;
    assert_int_equal(mp_smtp_server_accept(s), MP_OK);
    return 0;
}

static int r_on_body(void *u, mp_smtp_server *s, const char *p, size_t n)
{
    rcpt_host *r = u;
    (void)s;
    (void)p;
    r->body += n;
    return 0;
}

static void r_on_error(void *u, mp_smtp_server *s, const mp_error *e)
{
    rcpt_host *r = u;
    (void)s;
    (void)e;
    r->errors++;
}

/* Counts the reply lines in the output and drains it. */
static void r_drain(rcpt_host *r)
{
    size_t n, i;
    const char *o = mp_smtp_server_output(&r->s, &n);
    assert_true(n <= sizeof(r->out));
    for (i = 0; i < n; i++) {
        assert_true(r->plen < sizeof(r->partial));
        r->partial[r->plen++] = o[i];
        if (r->plen >= 2 && r->partial[r->plen - 2] == '\r' && o[i] == '\n') {
            if (strncmp(r->partial, "250 2.1.5 ", 10) == 0)
                r->ok++;
            else if (strncmp(r->partial, "452 4.5.3 ", 10) == 0)
                r->full++;
            else if (strncmp(r->partial, "221 ", 4) == 0)
                r->bye++;
            else if (strncmp(r->partial, "250 2.6.0 ", 10) == 0)
                r->queued++;
            else
                r->other++;
            r->plen = 0;
        }
    }
    mp_smtp_server_output_done(&r->s, n);
    r->drains++;
}

static char many[300000];

/* RFC 5321 §4.5.3.1.8: recipients beyond the limit get 452 4.5.3, the
 * accepted ones stay, DATA goes through for them; a 1 KiB output buffer
 * is drained whenever the session pauses for room; nothing lost, no error
 * limit hit (452 is not a client error). */
static void test_10000_rcpts(void **st)
{
    static const size_t steps[] = { 0, 1, 7, 4096 };
    size_t n = 0, k, si;
    unsigned i;
    (void)st;
    n += (size_t)snprintf(many + n, sizeof(many) - n, "EHLO a\r\nMAIL FROM:<a@b>\r\n");
    for (i = 0; i < 10000; i++)
        n += (size_t)snprintf(many + n, sizeof(many) - n, "RCPT TO:<u%u@example.org>\r\n", i);
    n += (size_t)snprintf(many + n, sizeof(many) - n, "DATA\r\nSubject: x\r\n\r\nhello\r\n.\r\nQUIT\r\n");
    for (si = 0; si < sizeof(steps) / sizeof(steps[0]); si++) {
        memset(&R, 0, sizeof(R));
        R.cfg.hostname = "mx";
        R.cfg.line_buf = R.line;
        R.cfg.line_cap = sizeof(R.line);
        R.cb.on_rcpt = r_on_rcpt;
        R.cb.on_body = r_on_body;
        R.cb.on_error = r_on_error;
        assert_int_equal(mp_smtp_server_init(&R.s, &R.cfg, &R.cb, &R, R.out, sizeof(R.out)),
                         MP_OK);
        r_drain(&R);
        R.other = 0; /* the greeting */
        k = 0;
        while (k < n) {
            size_t used = 0, piece = steps[si] ? steps[si] : n - k;
            mp_status st2;
            if (piece > n - k)
                piece = n - k;
            st2 = mp_smtp_server_feed(&R.s, many + k, piece, &used);
            k += used;
            r_drain(&R);
            if (st2 == MP_CLOSED)
                break;
            assert_true(st2 == MP_OK || st2 == MP_PAUSED);
            /* A pause leaves nothing pending here: it asked for room. */
            assert_int_equal(mp_smtp_server_pending(&R.s), MP_SMTP_DECIDE_NONE);
        }
        assert_int_equal(k, n);
        assert_int_equal(R.rcpts, MP_SMTP_MAX_RCPTS);
        assert_int_equal(R.ok, MP_SMTP_MAX_RCPTS);
        assert_int_equal(R.full, 10000 - MP_SMTP_MAX_RCPTS);
        assert_int_equal(R.queued, 1);
        assert_int_equal(R.bye, 1);
        assert_int_equal(R.other, 4 + 1 + 1); /* EHLO's 4 lines, MAIL 250, DATA 354 */
        assert_int_equal(R.body, strlen("Subject: x\r\n\r\nhello\r\n") + 0u);
        assert_int_equal(R.errors, 10000 - MP_SMTP_MAX_RCPTS); /* each one reported */
        if (steps[si] == 0)
            assert_true(R.drains > 200); /* the output really filled up */
    }
}

/* ----------------------------------------------------------------------- */
/* The error limit                                                         */
/* ----------------------------------------------------------------------- */

/* Bad commands of every kind count (unknown verb, syntax, sequence, long
 * line, bare LF, NUL); good ones in between do not reset the count; the
 * MP_SMTP_MAX_ERRORS_HARD-th gets 421 4.7.0 and the session closes, the
 * rest of the input is never parsed. */
static void test_error_limit(void **st)
{
    static const char *const bad[] = {
        "FOO\r\n", "MAIL FROM:a@b\r\n", "RCPT TO:<a@b>\r\n", "NOOP\n", "NO\0OP\r\n",
        "DATA\r\n", "MAIL FROM:<\xff@b>\r\n", "HELO\r\n",
    };
    size_t n = 0, k;
    unsigned i;
    const char *log;
    (void)st;
    n += (size_t)snprintf(big, sizeof(big), "EHLO a\r\n");
    for (i = 0; i < MP_SMTP_MAX_ERRORS_HARD - 1; i++) {
        const char *b = bad[i % (sizeof(bad) / sizeof(bad[0]))];
        k = strlen(b) + (strncmp(b, "NO\0", 3) == 0 ? 5 : 0);
        memcpy(big + n, b, k);
        n += k;
        memcpy(big + n, "NOOP\r\n", 6);
        n += 6;
    }
    memset(big + n, 'x', 2000); /* the last one: an over-long line */
    n += 2000;
    n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\nMAIL FROM:<evil@x>\r\nQUIT\r\n");
    log = run(0, big, n, NULL);
    if (getenv("MP_DUMP_EXPECT"))
        puts(log);
    /* Each bad command, plus MP_ERR_TOO_MANY_ERRORS at the soft limit
     * (reported once, the session goes on) and at the hard one. */
    assert_int_equal(count(log, "\nerror "), MP_SMTP_MAX_ERRORS_HARD + 2);
    assert_int_equal(count(log, "\nerror MP_ERR_TOO_MANY_ERRORS "), 2);
    assert_int_equal(count(log, "S: 250 2.0.0 Ok\n"), MP_SMTP_MAX_ERRORS_HARD - 1);
    assert_int_equal(count(log, "S: 421 "), 1);
    assert_non_null(strstr(log, "error MP_ERR_LINE_TOO_LONG"));
    assert_non_null(strstr(log, "S: 500 5.5.2 Line too long\nerror MP_ERR_TOO_MANY_ERRORS @1331\n"
                                "S: 421 4.7.0 mx.example.org Too many errors, closing connection\n"
                                "closed\nstate 10\n"));
    assert_null(strstr(log, "mail <evil@x>"));
    assert_null(strstr(log, "S: 221"));
    /* One fewer: no 421, the session goes on. */
    log = run(0, big, n - 2000 - strlen("\r\nMAIL FROM:<evil@x>\r\nQUIT\r\n") - 6, NULL);
    assert_null(strstr(log, "S: 421 "));
    assert_int_equal(count(log, "\nerror MP_ERR_TOO_MANY_ERRORS "), 1);
    assert_non_null(strstr(log, "state 1\n"));
}

/* ----------------------------------------------------------------------- */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smuggling_strict),
        cmocka_unit_test(test_smuggling_never_ends_early),
        cmocka_unit_test(test_discard_across_reads_offset),
        cmocka_unit_test(test_smuggling_normalize),
        cmocka_unit_test(test_pipelined_after_end),
        cmocka_unit_test(test_starttls_injection),
        cmocka_unit_test(test_long_lines),
        cmocka_unit_test(test_long_paths),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_8bit),
        cmocka_unit_test(test_8bit_body),
        cmocka_unit_test(test_auth_data),
        cmocka_unit_test(test_10000_rcpts),
        cmocka_unit_test(test_error_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
