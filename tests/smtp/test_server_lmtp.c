/* LMTP end-of-data replies (RFC 2033 §4.2, issue 13 item 1): after the end
 * of the data the server sends exactly one reply per accepted recipient, in
 * RCPT order, whatever the outcome: accepted, refused per recipient by the
 * host, answered by the session alone, message too big, a text line over
 * the limit, a bare CR, a bare LF or a NUL in the body; DATA and BDAT (the
 * last chunk too big too); 1, 2 and 100 recipients.  Every transcript
 * pipelines NOOP and the next transaction right behind the end: their
 * replies must come after the last end-of-data reply, never in its place.
 * Each runs whole, byte by byte and at random splits, with a host that
 * answers inside the callbacks and one that answers after feed paused
 * (mp_split_check, both logs equal), into a 1 KiB output (100 replies do
 * not fit: the rest follows as the host sends).  The same transcripts in
 * SMTP mode get one reply. */
#define _GNU_SOURCE /* memmem */
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

typedef struct host {
    mp_smtp_server s;
    mp_smtp_server_config cfg;
    mp_smtp_server_callbacks cb;
    char out[MP_SMTP_SERVER_MIN_OUT];
    char line[MP_SMTP_SERVER_LINE_BUF];
    mp_evlog *log;
    int async;
    int closed;
    int no_end_cb; /* no on_message_end: the session answers alone */
    unsigned flags;
    uint64_t max_size;
    char arg[128];
    unsigned char full[256]; /* accepted recipient i has a full mailbox */
    unsigned nr, lmtp_i;
} host;

static host H;

#include "server_host.h"

static int starts(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

/* The host's policy: "bad..." refused at RCPT, "full..." refused with 452
 * at the end of the data (LMTP: that recipient's reply only). */
static void answer(host *h)
{
    mp_status st = MP_OK;
    switch (mp_smtp_server_pending(&h->s)) {
    case MP_SMTP_DECIDE_MAIL:
        h->nr = 0;
        h->lmtp_i = 0;
        st = mp_smtp_server_accept(&h->s);
        break;
    case MP_SMTP_DECIDE_RCPT:
        if (starts(h->arg, "bad")) {
            st = mp_smtp_server_reply(&h->s, 550, NULL, "No such user here");
        } else {
            st = mp_smtp_server_accept(&h->s);
            assert_true(h->nr < sizeof(h->full));
            h->full[h->nr++] = (unsigned char)starts(h->arg, "full");
        }
        break;
    case MP_SMTP_DECIDE_MESSAGE:
        while (mp_smtp_server_pending(&h->s) == MP_SMTP_DECIDE_MESSAGE) {
            int full = h->lmtp_i < h->nr && h->full[h->lmtp_i];
            st = full ? mp_smtp_server_reply(&h->s, 452, "4.2.2", "Mailbox full")
                      : mp_smtp_server_accept(&h->s);
            if (st == MP_ERR_NO_SPACE)
                return; /* the rest once the output was sent */
            assert_int_equal(st, MP_OK);
            h->lmtp_i++;
        }
        break;
    case MP_SMTP_DECIDE_NONE:
        return;
    default:
        st = mp_smtp_server_accept(&h->s);
        break;
    }
    assert_int_equal(st, MP_OK);
}

static void h_reset(void *state)
{
    host *h = state;
    mp_evlog *log = h->log;
    int async = h->async, no_end = h->no_end_cb;
    unsigned flags = h->flags;
    uint64_t ms = h->max_size;
    memset(h, 0, sizeof(*h));
    h->log = log;
    h->async = async;
    h->no_end_cb = no_end;
    h->flags = flags;
    h->max_size = ms;
    host_setup(h);
    h->cfg.max_size = ms;
    if (no_end)
        h->cb.on_message_end = NULL;
}

/* ----------------------------------------------------------------------- */
/* The outcomes                                                            */
/* ----------------------------------------------------------------------- */

#define R_ACCEPT "250 2.6.0 Ok: queued"
#define R_FULL "452 4.2.2 Mailbox full"
#define R_BIG "552 5.3.4 Message size exceeds fixed maximum message size"
#define R_LINE "550 5.6.0 Message has a text line that is too long"
#define R_POISON "550 5.6.0 Message contains bare CR, bare LF or NUL"

typedef enum cause {
    C_ACCEPT,   /* the host accepts every recipient */
    C_HOST_MIX, /* the host refuses the "full" recipients (452) */
    C_ALONE,    /* no on_message_end: the session accepts */
    C_BIG,      /* over max_size */
    C_LINE,     /* a text line over MP_SMTP_MAX_TEXT_LINE (DATA only) */
    C_BARE_CR,  /* poisoned (DATA only) */
    C_BARE_LF,
    C_NUL,
    C_BIG_LAST, /* BDAT: the LAST chunk takes the message over max_size */
    C_COUNT_
} cause;

static const char *const cause_name[C_COUNT_] = {
    "accept", "host-mix", "alone", "big", "line", "bare-cr", "bare-lf", "nul", "big-last",
};

/* The end-of-data status on_message_end gets. */
static const char *const cause_end[C_COUNT_] = {
    "MP_OK",
    "MP_OK",
    NULL,
    "MP_ERR_SMTP_MESSAGE_TOO_BIG",
    "MP_ERR_SMTP_TEXT_LINE_TOO_LONG",
    "MP_ERR_BARE_CR",
    "MP_ERR_BARE_LF",
    "MP_ERR_NUL",
    "MP_ERR_SMTP_MESSAGE_TOO_BIG",
};

static int mailbox_full(cause c, unsigned i) { return c == C_HOST_MIX && i % 3 == 1; }

/* The reply for the i-th accepted recipient. */
static const char *reply_for(cause c, unsigned i)
{
    switch (c) {
    case C_ACCEPT:
    case C_ALONE:
        return R_ACCEPT;
    case C_HOST_MIX:
        return mailbox_full(c, i) ? R_FULL : R_ACCEPT;
    case C_BIG:
    case C_BIG_LAST:
        return R_BIG;
    case C_LINE:
        return R_LINE;
    default:
        return R_POISON;
    }
}

/* One transcript: greeting, MAIL, `nrcpt` accepted recipients (and a
 * refused one after the first), the body ended by DATA's terminator or
 * BDAT LAST, then pipelined without waiting: NOOP, a second transaction
 * and QUIT.  Returns its length. */
static size_t transcript(char *in, size_t cap, int lmtp, int bdat, cause c, unsigned nrcpt)
{
    size_t n = 0;
    unsigned i;
    n += (size_t)snprintf(in + n, cap - n, "%s a\r\nMAIL FROM:<a@b>\r\n", lmtp ? "LHLO" : "EHLO");
    for (i = 0; i < nrcpt; i++) {
        n += (size_t)snprintf(in + n, cap - n, "RCPT TO:<%s%03u@d>\r\n",
                              mailbox_full(c, i) ? "full" : "r", i);
        if (i == 0)
            n += (size_t)snprintf(in + n, cap - n, "RCPT TO:<bad@d>\r\n");
    }
    if (bdat) {
        /* 5 + 7 octets; max_size 10 makes the LAST chunk too big, 4 the
         * first one... which is C_BIG: then the message is one chunk. */
        if (c == C_BIG)
            n += (size_t)snprintf(in + n, cap - n, "BDAT 12 LAST\r\nhello world!");
        else
            n += (size_t)snprintf(in + n, cap - n, "BDAT 5\r\nhelloBDAT 7 LAST\r\n world!");
    } else {
        n += (size_t)snprintf(in + n, cap - n, "DATA\r\nSubject: x\r\n\r\n");
        switch (c) {
        case C_BIG:
            n += (size_t)snprintf(in + n, cap - n, "0123456789\r\n0123456789\r\n");
            break;
        case C_LINE:
            memset(in + n, 'x', MP_SMTP_MAX_TEXT_LINE);
            n += MP_SMTP_MAX_TEXT_LINE;
            n += (size_t)snprintf(in + n, cap - n, "\r\nmore\r\n");
            break;
        case C_BARE_CR:
            n += (size_t)snprintf(in + n, cap - n, "a\rb\r\n");
            break;
        case C_BARE_LF:
            n += (size_t)snprintf(in + n, cap - n, "a\n.\nb\r\n");
            break;
        case C_NUL:
            memcpy(in + n, "a\0b\r\n", 5);
            n += 5;
            break;
        default:
            n += (size_t)snprintf(in + n, cap - n, "hello\r\n..dot\r\n");
            break;
        }
        n += (size_t)snprintf(in + n, cap - n, ".\r\n");
    }
    n += (size_t)snprintf(in + n, cap - n,
                          "NOOP\r\nMAIL FROM:<next@b>\r\nRCPT TO:<z@d>\r\nDATA\r\nok\r\n.\r\n"
                          "QUIT\r\n");
    assert_true(n < cap);
    return n;
}

static void check_outcome(int lmtp, int bdat, cause c, unsigned nrcpt)
{
    static char in[8192], tail[16384];
    unsigned flags = MP_SMTP_SRV_CHUNKING | (lmtp ? MP_SMTP_SRV_LMTP : 0u);
    unsigned i, want = lmtp ? nrcpt : 1u;
    size_t n = transcript(in, sizeof(in), lmtp, bdat, c, nrcpt), t = 0;
    const char *log, *at;

    print_message("%s %s %s, %u recipient(s)\n", lmtp ? "LMTP" : "SMTP", bdat ? "BDAT" : "DATA",
                  cause_name[c], nrcpt);
    H.no_end_cb = c == C_ALONE;
    H.max_size = (c == C_BIG || c == C_BIG_LAST) ? 10 : 0;
    if (c == C_LINE)
        flags |= MP_SMTP_SRV_TEXT_LINE_LIMIT;
    /* 1 and 2 recipients are swept at every 2-way split; 100 (the same
     * grammar, 98 more RCPT lines) whole, byte by byte and at random
     * splits only, which keeps this program at seconds, not minutes,
     * under the sanitizers. */
    mp_split_set_two_way_max(nrcpt > 2 ? 0 : 4096);
    log = run(flags, in, n, NULL);
    mp_split_set_two_way_max(4096);

    /* The end, then exactly `want` replies in RCPT order, then the NOOP's
     * reply and the next transaction, which is accepted. */
    if (cause_end[c])
        t += (size_t)snprintf(tail + t, sizeof(tail) - t, "end %s\n", cause_end[c]);
    for (i = 0; i < want; i++)
        t += (size_t)snprintf(tail + t, sizeof(tail) - t, "S: %s\n",
                              lmtp ? reply_for(c, i) : reply_for(c == C_HOST_MIX ? C_ACCEPT : c, 0));
    t += (size_t)snprintf(tail + t, sizeof(tail) - t,
                          "S: 250 2.0.0 Ok\nmail <next@b>\nS: 250 2.1.0 Ok\nrcpt <z@d>\n"
                          "S: 250 2.1.5 Ok\ndata\n");
    at = strstr(log, tail);
    if (at == NULL)
        fail_msg("expected\n%s\nin\n%s", tail, log);
    /* Nothing of the refused message reaches the second one. */
    at = strstr(at, "chunk body ok\\r\\n\n");
    assert_non_null(at);
    assert_non_null(strstr(at, c == C_ALONE ? "S: " R_ACCEPT "\nS: 221 2.0.0 mx.example.org Bye\n"
                                            : "end MP_OK\nS: " R_ACCEPT
                                              "\nS: 221 2.0.0 mx.example.org Bye\n"));
    assert_non_null(strstr(at, "closed\nstate 10\n"));
    /* Replies in all: one per accepted recipient for this message, one for
     * the next. */
    if (c != C_HOST_MIX)
        assert_int_equal(count(log, reply_for(c, 0)),
                         want + (strcmp(reply_for(c, 0), R_ACCEPT) == 0 ? 1u : 0u));
    assert_int_equal(count(log, "S: 354 "), bdat ? 1 : 2);
    H.no_end_cb = 0;
    H.max_size = 0;
}

static const unsigned rcpt_counts[] = { 1, 2, 100 };

static void test_data_outcomes(void **st)
{
    unsigned c, k;
    int lmtp;
    (void)st;
    for (lmtp = 1; lmtp >= 0; lmtp--)
        for (c = 0; c < C_BIG_LAST; c++)
            for (k = 0; k < 3; k++)
                check_outcome(lmtp, 0, (cause)c, rcpt_counts[k]);
}

static void test_bdat_outcomes(void **st)
{
    static const cause bdat_causes[] = { C_ACCEPT, C_HOST_MIX, C_ALONE, C_BIG, C_BIG_LAST };
    unsigned c, k;
    int lmtp;
    (void)st;
    for (lmtp = 1; lmtp >= 0; lmtp--)
        for (c = 0; c < sizeof(bdat_causes) / sizeof(bdat_causes[0]); c++)
            for (k = 0; k < 3; k++)
                check_outcome(lmtp, 1, bdat_causes[c], rcpt_counts[k]);
}

/* A host without callbacks that feeds and sends one output per round
 * (never more, and never two output_done calls in a row): the replies the
 * session owes still all come, in order, and the pipelined NOOP is
 * answered after them. */
static void test_session_alone_rounds(void **st)
{
    static const cause causes[] = { C_ALONE, C_BIG, C_BARE_LF, C_NUL };
    static char in[8192], out[MP_SMTP_SERVER_MIN_OUT], line[MP_SMTP_SERVER_LINE_BUF];
    static char all[65536];
    static mp_smtp_server_callbacks none;
    size_t c;
    (void)st;
    for (c = 0; c < sizeof(causes) / sizeof(causes[0]); c++) {
        mp_smtp_server s;
        mp_smtp_server_config cfg = { 0 };
        size_t n = transcript(in, sizeof(in), 1, 0, causes[c], 100), k = 0, used, on, got = 0;
        unsigned rounds = 0;
        const char *o, *p;
        cfg.hostname = "mx";
        cfg.flags = MP_SMTP_SRV_LMTP;
        cfg.max_size = causes[c] == C_BIG ? 10 : 0;
        cfg.line_buf = line;
        cfg.line_cap = sizeof(line);
        assert_int_equal(mp_smtp_server_init(&s, &cfg, &none, NULL, out, sizeof(out)), MP_OK);
        for (;;) {
            mp_status rc = mp_smtp_server_feed(&s, in + k, n - k, &used);
            k += used;
            o = mp_smtp_server_output(&s, &on);
            assert_true(got + on < sizeof(all));
            memcpy(all + got, o, on);
            got += on;
            mp_smtp_server_output_done(&s, on);
            if (rc == MP_CLOSED)
                break;
            assert_true(rc == MP_OK || rc == MP_PAUSED);
            assert_true(++rounds < 1000);
        }
        all[got] = '\0';
        p = strstr(all, "250 2.1.5 Ok\r\n354 ");
        assert_non_null(p);
        p = strstr(p, "\r\n") + 2;
        p = strstr(p, "\r\n") + 2; /* past the 354 */
        /* 101: without on_rcpt the session accepts "bad@d" too. */
        for (k = 0; k < 101; k++) {
            size_t rl = strlen(reply_for(causes[c], (unsigned)k));
            assert_memory_equal(p, reply_for(causes[c], (unsigned)k), rl);
            assert_memory_equal(p + rl, "\r\n", 2);
            p += rl + 2;
        }
        assert_memory_equal(p, "250 2.0.0 Ok\r\n250 2.1.0 Ok", 26);
        assert_non_null(strstr(p, "221 2.0.0 mx Bye\r\n"));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_data_outcomes),
        cmocka_unit_test(test_bdat_outcomes),
        cmocka_unit_test(test_session_alone_rounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
