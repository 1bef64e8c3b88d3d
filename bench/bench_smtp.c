#define _POSIX_C_SOURCE 199309L
/*
 * bench_smtp: throughput of the SMTP codecs and sessions on deterministic
 * generated corpora, each fed whole, in 64-byte and in 1-byte pieces,
 * beside a memchr scan of the same input bytes (the practical ceiling of
 * a byte-oriented pass), and sizeof of every SMTP/SASL/TLS state struct.
 * Figures are printed, never asserted; every pass checks its own result
 * (events, body bytes) and aborts when it is wrong, so a fast figure is
 * never a broken one.
 *
 * Corpora (xorshift-seeded, identical on every run):
 *  - transactions: EHLO, MAIL FROM with SIZE/BODY (and RET/ENVID), 1..50
 *    RCPT TO (some with NOTIFY/ORCPT), DATA, a 4 KiB..1 MiB mail body
 *    (header block, text lines of 0..90 bytes, lines starting with '.',
 *    lines that are a lone '.') dot-stuffed by the core encoder, ".";
 *    QUIT at the end.  The server session eats this stream.  A second
 *    set of 300 such transactions with 4 KiB bodies weighs the commands
 *    and replies more ("server/client 4K bodies").
 *  - the same transactions' commands without bodies, repeated with new
 *    addresses: the command parser (line framer + mp_smtp_cmd_parse);
 *    and their RCPT lines alone, plain and with NOTIFY and ORCPT, for the
 *    cost per RCPT line.
 *  - reply streams: greeting, a multi-line EHLO reply, per transaction
 *    250 MAIL, 250 per RCPT (some 550 multi-line rejections), 354, 250
 *    queued, 221: the reply parser.
 *  - the client session is fed the replies an accepting server gives to
 *    the transactions above and pushes their unstuffed bodies; its input
 *    is reply bytes + body bytes.
 *
 *   bench/bench_smtp [runs]     best of `runs` (default 20; 1-byte feeding
 *                               takes max(runs/4, 3)) per pass, MB/s of input
 *   bench/bench_smtp --once     one pass each, for instruction counts:
 *     bench/callgrind-ipb build/bench/bench/bench_smtp
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailproto/core.h"
#include "mailproto/sasl.h"
#include "mailproto/smtp.h"
#include "mailproto/smtp_client.h"
#ifdef MP_BENCH_HAVE_MBEDTLS
#include "mailproto/mbedtls.h"
#endif

#include "bench_common.h"

#define BODY_TOTAL (6u << 20)  /* unstuffed body bytes over all transactions */
#define CMD_TOTAL (2u << 20)   /* command-only stream */
#define RCPT_TOTAL (1u << 20)  /* RCPT lines alone */
#define REPLY_TOTAL (2u << 20) /* reply-only stream */
#define MAX_TXN 400u
#define SMALL_TXN 300u
#define MAX_RCPT_TXN 50u
#define OUT_CAP (64u * 1024u)

/* ---- generated corpora ---------------------------------------------------- */

static char cmds[CMD_TOTAL + 8192];                  /* commands only */
static size_t cmds_len, cmds_lines;
/* RCPT lines alone: plain, and with NOTIFY and ORCPT (RFC 3461) */
static char rcpt_plain[RCPT_TOTAL + 8192], rcpt_dsn[RCPT_TOTAL + 8192];
static size_t rcpt_plain_len, rcpt_plain_lines, rcpt_dsn_len, rcpt_dsn_lines;
static char replies[REPLY_TOTAL + 8192];             /* reply parser input */
static size_t replies_len;

typedef struct txn {
    size_t body_off, body_len; /* in content[] */
    size_t rcpt0, nrcpt;       /* in rcpts[] */
    unsigned id;
} txn;

/* A set of transactions and the streams both sessions see for it. */
typedef struct txset {
    char content[BODY_TOTAL + (1u << 20) + 4096]; /* bodies, unstuffed */
    size_t content_len;
    char session_in[BODY_TOTAL + (2u << 20)];     /* server session input */
    size_t session_len;
    char client_in[1u << 20];                     /* replies for the client */
    size_t client_in_len;
    /* Offsets in client_in where a reply ends.  A reply counts only for a
     * command already sent (docs/architecture.md §3): the client host sends
     * its output there before it reads on, as it would if the server had
     * sent each reply on its own (and under PIPELINING a reply may free the
     * queue for a command the next reply answers). */
    size_t waits[MAX_TXN * (MAX_RCPT_TXN + 3u) + 3u];
    size_t nwaits;
    txn txns[MAX_TXN];
    size_t ntxn;
    mp_smtp_client_rcpt rcpts[MAX_TXN * MAX_RCPT_TXN];
    mp_smtp_client_envelope envs[MAX_TXN];
    char pool[MAX_TXN * (MAX_RCPT_TXN + 1u) * 64u]; /* client addresses */
    size_t pool_len;
    size_t body_lines, body_dot_lines;
} txset;
static txset mixed; /* bodies 4 KiB..1 MiB */
static txset small; /* 4 KiB bodies: the commands weigh more */
static size_t body_lines, body_dot_lines; /* counted by make_body */


static size_t put(char *dst, size_t at, size_t cap, const char *s)
{
    size_t n = strlen(s);
    if (at + n > cap)
        abort();
    memcpy(dst + at, s, n);
    return at + n;
}

static void line_text(char *dst, size_t len, uint32_t x)
{
    size_t i;
    for (i = 0; i < len; i++)
        dst[i] = (char)(' ' + (int)(((x >> (i % 24u)) + (uint32_t)i) % 95u));
}

/* A mail: a header block, then text; about 2% of lines start with '.' and
 * some are a lone '.', both of which the encoder must stuff. */
static size_t make_body(char *dst, size_t want, unsigned id)
{
    size_t n = 0;
    char h[256];
    int k;
    k = snprintf(h, sizeof(h),
                 "Received: from client.example.org (client.example.org [192.0.2.%u])\r\n"
                 "\tby mx.example.net with ESMTP id %08X\r\n"
                 "From: Sender %u <sender%u@mail.example.org>\r\n"
                 "Subject: generated message %u\r\n"
                 "MIME-Version: 1.0\r\n"
                 "\r\n",
                 id % 250u + 1u, id * 2654435761u, id, id, id);
    memcpy(dst, h, (size_t)k);
    n = (size_t)k;
    while (n + 96 < want) {
        uint32_t x = bench_rand();
        size_t len = x % 91u;
        if (x % 97u == 0) {
            dst[n++] = '.'; /* a lone dot */
            body_dot_lines++;
        } else {
            line_text(dst + n, len, x);
            if (len > 0 && x % 50u == 1) {
                dst[n] = '.';
                body_dot_lines++;
            }
            n += len;
        }
        dst[n++] = '\r';
        dst[n++] = '\n';
        body_lines++;
    }
    while (n + 2 < want) /* pad the last line to the exact size */
        dst[n++] = 'x';
    dst[n++] = '\r';
    dst[n++] = '\n';
    return n;
}

static size_t body_size(unsigned i)
{
    unsigned shift;
    size_t base;
    if (i == 0)
        return 1u << 20; /* the largest */
    if (i == 1)
        return 4096u;    /* the smallest */
    shift = bench_rand() % 8u;
    base = (size_t)4096u << shift;
    return base + bench_rand() % base; /* about log-uniform over 4 KiB..1 MiB */
}

static int cmd_mail(char *dst, size_t cap, unsigned id, size_t size)
{
    if (id % 5u == 0)
        return snprintf(dst, cap, "MAIL FROM:<sender%u@mail%u.example.org> SIZE=%zu "
                                  "BODY=8BITMIME RET=HDRS ENVID=QQ%06u\r\n",
                        id, id % 7u, size, id);
    return snprintf(dst, cap, "MAIL FROM:<sender%u@mail%u.example.org> SIZE=%zu BODY=8BITMIME\r\n",
                    id, id % 7u, size);
}

static int addr_rcpt(char *dst, size_t cap, unsigned id, unsigned r)
{
    return snprintf(dst, cap, "first.last%u@dept%u.example.net", id * 64u + r, r % 11u);
}

static int cmd_rcpt(char *dst, size_t cap, unsigned id, unsigned r)
{
    char a[64];
    addr_rcpt(a, sizeof(a), id, r);
    if (r % 4u == 3u)
        return snprintf(dst, cap, "RCPT TO:<%s> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;%s\r\n", a, a);
    return snprintf(dst, cap, "RCPT TO:<%s>\r\n", a);
}

/* Append the command lines of one transaction (without the body). */
static size_t txn_cmds(char *dst, size_t at, size_t cap, unsigned id, size_t nrcpt, size_t size)
{
    unsigned r;
    if (cap - at < 200u * (nrcpt + 2u))
        abort();
    at += (size_t)cmd_mail(dst + at, cap - at, id, size);
    for (r = 0; r < nrcpt; r++)
        at += (size_t)cmd_rcpt(dst + at, cap - at, id, r);
    return put(dst, at, cap, "DATA\r\n");
}

static size_t stuff(char *dst, size_t at, size_t cap, const char *p, size_t n)
{
    mp_dot_encoder e;
    mp_outbuf ob;
    size_t used;
    mp_dot_encoder_init(&e, 0);
    mp_outbuf_init(&ob, dst + at, cap - at);
    if (mp_dot_encoder_update(&e, p, n, &used, &ob) != MP_OK || used != n ||
        mp_dot_encoder_finish(&e, &ob) != MP_OK)
        abort();
    return at + ob.len;
}

static const char ehlo_reply[] = "250-mx.example.net Hello client.example.org [192.0.2.1]\r\n"
                                 "250-PIPELINING\r\n"
                                 "250-SIZE 67108864\r\n"
                                 "250-8BITMIME\r\n"
                                 "250-ENHANCEDSTATUSCODES\r\n"
                                 "250-SMTPUTF8\r\n"
                                 "250-DSN\r\n"
                                 "250-AUTH PLAIN LOGIN SCRAM-SHA-256\r\n"
                                 "250-MT-PRIORITY MIXER\r\n"
                                 "250 HELP\r\n";

static size_t txn_replies(char *dst, size_t at, size_t cap, unsigned id, size_t nrcpt,
                          int rejects)
{
    size_t r;
    char q[64];
    at = put(dst, at, cap, "250 2.1.0 Sender <ok>\r\n");
    for (r = 0; r < nrcpt; r++) {
        if (rejects && r % 9u == 8u)
            at = put(dst, at, cap,
                     "550-5.1.1 The email account that you tried to reach does not exist.\r\n"
                     "550-5.1.1 Please try double-checking the recipient's email address\r\n"
                     "550 5.1.1 for typos or unnecessary spaces.\r\n");
        else
            at = put(dst, at, cap, "250 2.1.5 Recipient <ok>\r\n");
    }
    at = put(dst, at, cap, "354 End data with <CR><LF>.<CR><LF>\r\n");
    snprintf(q, sizeof(q), "250 2.0.0 Ok: queued as %08X\r\n", id * 2654435761u);
    return put(dst, at, cap, q);
}

/* `n_small`: that many transactions with 4 KiB bodies; 0: bodies of
 * 4 KiB..1 MiB until BODY_TOTAL. */
static void make_set(txset *x, size_t n_small)
{
    size_t i, line;
    body_lines = body_dot_lines = 0;
    x->session_len = put(x->session_in, 0, sizeof(x->session_in), "EHLO client.example.org\r\n");
    x->client_in_len = put(x->client_in, 0, sizeof(x->client_in),
                           "220 mx.example.net ESMTP ready\r\n");
    x->client_in_len = put(x->client_in, x->client_in_len, sizeof(x->client_in), ehlo_reply);
    for (i = 0; i < MAX_TXN; i++) {
        txn *t = &x->txns[i];
        mp_smtp_client_envelope *e = &x->envs[i];
        size_t r;
        if (n_small ? i >= n_small : i >= 2 && x->content_len >= BODY_TOTAL)
            break;
        t->id = (unsigned)i + 1u;
        t->nrcpt = 1u + bench_rand() % MAX_RCPT_TXN;
        t->body_off = x->content_len;
        t->body_len = make_body(x->content + x->content_len,
                                n_small ? 4096u : body_size((unsigned)i), t->id);
        x->content_len += t->body_len;
        t->rcpt0 = i * MAX_RCPT_TXN;
        x->session_len = txn_cmds(x->session_in, x->session_len, sizeof(x->session_in), t->id,
                                  t->nrcpt, t->body_len);
        x->session_len = stuff(x->session_in, x->session_len, sizeof(x->session_in),
                               x->content + t->body_off, t->body_len);
        x->client_in_len = txn_replies(x->client_in, x->client_in_len, sizeof(x->client_in),
                                       t->id, t->nrcpt, 0);

        /* the client's envelope for the same transaction */
        memset(e, 0, sizeof(*e));
        e->from.ptr = x->pool + x->pool_len;
        e->from.len = (size_t)snprintf(x->pool + x->pool_len, 64, "sender%u@mail%u.example.org",
                                       t->id, t->id % 7u);
        x->pool_len += e->from.len;
        for (r = 0; r < t->nrcpt; r++) {
            mp_smtp_client_rcpt *rc = &x->rcpts[t->rcpt0 + r];
            memset(rc, 0, sizeof(*rc));
            rc->address.ptr = x->pool + x->pool_len;
            rc->address.len = (size_t)addr_rcpt(x->pool + x->pool_len, 64, t->id, (unsigned)r);
            x->pool_len += rc->address.len;
        }
        e->rcpts = &x->rcpts[t->rcpt0];
        e->nrcpts = t->nrcpt;
        e->size = t->body_len;
        e->body = MP_SMTP_BODY_8BITMIME;
    }
    x->ntxn = i;
    x->session_len = put(x->session_in, x->session_len, sizeof(x->session_in), "QUIT\r\n");
    x->client_in_len = put(x->client_in, x->client_in_len, sizeof(x->client_in),
                           "221 2.0.0 Bye\r\n");
    x->nwaits = 0;
    for (i = 0, line = 0; i < x->client_in_len; i++) {
        if (x->client_in[i] != '\n')
            continue;
        if (x->client_in[line + 3] != '-') /* "NNN ...": the reply's last line */
            x->waits[x->nwaits++] = i + 1;
        line = i + 1;
    }
    x->body_lines = body_lines;
    x->body_dot_lines = body_dot_lines;
}

static void make_corpora(void)
{
    size_t i;
    make_set(&mixed, 0);
    make_set(&small, SMALL_TXN);

    /* commands alone, new addresses every round */
    for (i = 0; cmds_len < CMD_TOTAL; i++) {
        unsigned id = 1000u + (unsigned)i;
        if (i % 20u == 0)
            cmds_len = put(cmds, cmds_len, sizeof(cmds), "EHLO client.example.org\r\n");
        cmds_len = txn_cmds(cmds, cmds_len, sizeof(cmds), id, 1u + bench_rand() % MAX_RCPT_TXN,
                            4096u + bench_rand() % (1u << 20));
        if (i % 7u == 0)
            cmds_len = put(cmds, cmds_len, sizeof(cmds), "RSET\r\nNOOP\r\n");
        if (i % 20u == 19u)
            cmds_len = put(cmds, cmds_len, sizeof(cmds), "QUIT\r\n");
    }

    for (i = 0; i < cmds_len; i++)
        cmds_lines += cmds[i] == '\n';

    /* RCPT lines alone, of both shapes the transactions have */
    for (i = 0; rcpt_plain_len < RCPT_TOTAL || rcpt_dsn_len < RCPT_TOTAL; i++) {
        unsigned id = 5000u + (unsigned)i / MAX_RCPT_TXN, r = (unsigned)i % MAX_RCPT_TXN;
        if (r % 4u != 3u && rcpt_plain_len < RCPT_TOTAL) {
            rcpt_plain_len += (size_t)cmd_rcpt(rcpt_plain + rcpt_plain_len,
                                               sizeof(rcpt_plain) - rcpt_plain_len, id, r);
            rcpt_plain_lines++;
        } else if (r % 4u == 3u && rcpt_dsn_len < RCPT_TOTAL) {
            rcpt_dsn_len += (size_t)cmd_rcpt(rcpt_dsn + rcpt_dsn_len,
                                             sizeof(rcpt_dsn) - rcpt_dsn_len, id, r);
            rcpt_dsn_lines++;
        }
    }

    /* replies alone: sessions of 20 transactions, some recipients refused */
    for (i = 0; replies_len < REPLY_TOTAL; i++) {
        if (i % 20u == 0) {
            replies_len = put(replies, replies_len, sizeof(replies),
                              "220 mx.example.net ESMTP ready\r\n");
            replies_len = put(replies, replies_len, sizeof(replies), ehlo_reply);
        }
        replies_len = txn_replies(replies, replies_len, sizeof(replies), 1000u + (unsigned)i,
                                  1u + bench_rand() % MAX_RCPT_TXN, 1);
        if (i % 20u == 19u)
            replies_len = put(replies, replies_len, sizeof(replies), "221 2.0.0 Bye\r\n");
    }
}

static void fail(const char *what, mp_status st)
{
    fprintf(stderr, "bench_smtp: %s: %s\n", what, mp_status_name(st));
    abort();
}

/* ---- command parser: line framer + mp_smtp_cmd_parse ---------------------- */

static void run_cmd_parse(const char *p, size_t n, size_t piece)
{
    static char buf[MP_SMTP_SERVER_LINE_BUF];
    mp_line_framer f;
    size_t ok = 0, rcpt = 0;
    if (mp_line_framer_init(&f, buf, sizeof(buf), MP_SMTP_MAX_COMMAND_LINE, 0) != MP_OK)
        abort();
    while (n > 0) {
        size_t k = piece_of(piece, n), used;
        mp_slice l;
        mp_status st = mp_line_framer_next(&f, p, k, &used, &l);
        p += used;
        n -= used;
        if (st == MP_OK) {
            mp_smtp_cmd c;
            mp_error e;
            st = mp_smtp_cmd_parse(l.ptr, l.len, MP_SMTP_CMD_SMTPUTF8, &c, &e);
            if (st != MP_OK)
                fail("command parse", st);
            ok++;
            rcpt += c.verb == MP_SMTP_RCPT;
        } else if (st != MP_NEED_MORE) {
            fail("command framing", st);
        }
    }
    sink = ok + rcpt;
}
static void pass_cmd_whole(void) { run_cmd_parse(cmds, cmds_len, 0); }
static void pass_cmd_64(void) { run_cmd_parse(cmds, cmds_len, 64); }
static void pass_cmd_1(void) { run_cmd_parse(cmds, cmds_len, 1); }
static void pass_rcpt_plain(void) { run_cmd_parse(rcpt_plain, rcpt_plain_len, 0); }
static void pass_rcpt_dsn(void) { run_cmd_parse(rcpt_dsn, rcpt_dsn_len, 0); }

/* ---- server session ---------------------------------------------------------- */

static size_t srv_body, srv_msgs;

static int srv_accept_cmd(void *user, mp_smtp_server *s, const mp_smtp_cmd *cmd)
{
    (void)user;
    (void)cmd;
    return mp_smtp_server_accept(s) != MP_OK;
}
static int srv_accept(void *user, mp_smtp_server *s)
{
    (void)user;
    return mp_smtp_server_accept(s) != MP_OK;
}
static int srv_on_body(void *user, mp_smtp_server *s, const char *p, size_t n)
{
    (void)user;
    (void)s;
    (void)p;
    srv_body += n;
    return 0;
}
static int srv_on_end(void *user, mp_smtp_server *s, mp_status status)
{
    (void)user;
    if (status != MP_OK)
        fail("server body", status);
    srv_msgs++;
    return mp_smtp_server_accept(s) != MP_OK;
}
static void srv_on_error(void *user, mp_smtp_server *s, const mp_error *e)
{
    (void)user;
    (void)s;
    fprintf(stderr, "bench_smtp: server error %s at %llu (%s)\n", mp_status_name(e->code),
            (unsigned long long)e->offset, e->rule ? e->rule : "");
    abort();
}

static const mp_smtp_server_callbacks srv_cb = {
    srv_accept_cmd, srv_accept_cmd, srv_accept_cmd, srv_accept, srv_on_body, srv_on_end,
    NULL, NULL, NULL, NULL, NULL, srv_on_error,
};

static void run_server(const txset *x, size_t piece)
{
    static char line[MP_SMTP_SERVER_LINE_BUF];
    static char out[OUT_CAP];
    static mp_smtp_server s;
    mp_smtp_server_config cfg;
    const char *p = x->session_in;
    size_t n = x->session_len, sent = 0, olen;
    mp_status st;
    memset(&cfg, 0, sizeof(cfg));
    cfg.hostname = "mx.example.net";
    cfg.flags = MP_SMTP_SRV_8BITMIME | MP_SMTP_SRV_SMTPUTF8 | MP_SMTP_SRV_DSN;
    cfg.max_size = 64u << 20;
    cfg.line_buf = line;
    cfg.line_cap = sizeof(line);
    srv_body = srv_msgs = 0;
    st = mp_smtp_server_init(&s, &cfg, &srv_cb, NULL, out, sizeof(out));
    if (st != MP_OK)
        fail("server init", st);
    for (;;) {
        size_t k = piece_of(piece, n), used = 0;
        st = n > 0 ? mp_smtp_server_feed(&s, p, k, &used) : MP_OK;
        p += used;
        n -= used;
        mp_smtp_server_output(&s, &olen);
        sent += olen;
        mp_smtp_server_output_done(&s, olen);
        if (st == MP_CLOSED)
            break;
        if (st == MP_PAUSED) {
            if (mp_smtp_server_pending(&s) != MP_SMTP_DECIDE_NONE || (used == 0 && olen == 0))
                fail("server stuck", st);
        } else if (st != MP_OK) {
            fail("server feed", st);
        } else if (n == 0) {
            fail("server: no QUIT", st);
        }
    }
    if (n != 0 || srv_msgs != x->ntxn || srv_body != x->content_len)
        fail("server result", MP_ERR_STATE);
    sink = sent;
}
static void pass_server_whole(void) { run_server(&mixed, 0); }
static void pass_server_64(void) { run_server(&mixed, 64); }
static void pass_server_1(void) { run_server(&mixed, 1); }
static void pass_server_small_whole(void) { run_server(&small, 0); }
static void pass_server_small_64(void) { run_server(&small, 64); }
static void pass_server_small_1(void) { run_server(&small, 1); }

/* ---- reply parser ------------------------------------------------------------- */

static void run_reply_parse(size_t piece)
{
    static char buf[MP_SMTP_MAX_REPLY_LINE];
    mp_smtp_reply_parser rp;
    const char *p = replies;
    size_t n = replies_len, nrep = 0, nline = 0;
    if (mp_smtp_reply_parser_init(&rp, buf, sizeof(buf), MP_SMTP_MAX_REPLY_LINE, 0, 0) != MP_OK)
        abort();
    while (n > 0) {
        size_t k = piece_of(piece, n), used;
        mp_smtp_reply_line l;
        mp_status st = mp_smtp_reply_parser_next(&rp, p, k, &used, &l);
        p += used;
        n -= used;
        if (st == MP_OK) {
            nline++;
            nrep += l.last != 0;
        } else if (st != MP_NEED_MORE) {
            fail("reply parse", st);
        }
    }
    sink = nrep + nline;
}
static void pass_reply_whole(void) { run_reply_parse(0); }
static void pass_reply_64(void) { run_reply_parse(64); }
static void pass_reply_1(void) { run_reply_parse(1); }

/* ---- client session --------------------------------------------------------------- */

typedef struct cl_host {
    txset *x; /* the session writes results into its envelopes */
    size_t next_txn, done_txn;
    int body_ready, closed;
} cl_host;

static int cl_event(void *user, const mp_smtp_client_event *ev);
static const mp_smtp_client_callbacks cl_cb = { cl_event };
static mp_smtp_client cl;

static int cl_event(void *user, const mp_smtp_client_event *ev)
{
    cl_host *h = user;
    mp_status st;
    switch (ev->type) {
    case MP_SMTP_EV_READY:
        if (h->next_txn < h->x->ntxn)
            st = mp_smtp_client_send(&cl, &h->x->envs[h->next_txn++]);
        else
            st = mp_smtp_client_quit(&cl);
        if (st != MP_OK)
            fail("client send/quit", st);
        return MP_SMTP_CB_CONTINUE;
    case MP_SMTP_EV_BODY_READY:
        h->body_ready = 1;
        return MP_SMTP_CB_PAUSE; /* push the body before reading on */
    case MP_SMTP_EV_MESSAGE:
        if (ev->accepted <= 0)
            fail("client message refused", MP_ERR_STATE);
        h->done_txn++;
        return MP_SMTP_CB_CONTINUE;
    case MP_SMTP_EV_CLOSED:
        h->closed = 1;
        return MP_SMTP_CB_CONTINUE;
    default:
        return MP_SMTP_CB_CONTINUE;
    }
}

static size_t cl_sent;
/* Send everything: output_done() may write the pipelined commands that
 * did not fit yet, and those go before the host reads again. */
static void cl_drain(void)
{
    size_t olen;
    while (mp_smtp_client_output(&cl, &olen), olen > 0) {
        cl_sent += olen;
        if (mp_smtp_client_output_done(&cl, olen) != MP_OK)
            abort();
    }
}

static void cl_push_body(const txset *x, const txn *t, size_t piece)
{
    const char *p = x->content + t->body_off;
    size_t n = t->body_len;
    mp_status st;
    while (n > 0) {
        size_t k = piece_of(piece, n), used;
        st = mp_smtp_client_body(&cl, p, k, &used);
        p += used;
        n -= used;
        if (st == MP_ERR_NO_SPACE || used < k)
            cl_drain();
        else if (st != MP_OK)
            fail("client body", st);
    }
    while ((st = mp_smtp_client_body_end(&cl)) == MP_ERR_NO_SPACE)
        cl_drain();
    if (st != MP_OK)
        fail("client body end", st);
    cl_drain();
}

static void run_client(txset *x, size_t piece)
{
    static char out[OUT_CAP];
    mp_smtp_client_config cfg;
    cl_host h;
    const char *p = x->client_in;
    size_t n = x->client_in_len, w = 0;
    mp_status st;
    memset(&cfg, 0, sizeof(cfg));
    memset(&h, 0, sizeof(h));
    h.x = x;
    cfg.helo_name = mp_slice_make("client.example.org", 18);
    cfg.tls = MP_SMTP_TLS_NONE;
    cl_sent = 0;
    st = mp_smtp_client_init(&cl, &cfg, &cl_cb, &h, out, sizeof(out));
    if (st != MP_OK)
        fail("client init", st);
    while (n > 0) {
        size_t k = piece_of(piece, n), used, at = (size_t)(p - x->client_in);
        /* A reply counts only for a command already sent: never read past
         * a point where the server waits for the client. */
        while (w < x->nwaits && x->waits[w] <= at)
            w++;
        if (w < x->nwaits && x->waits[w] - at < k)
            k = x->waits[w] - at;
        st = mp_smtp_client_feed(&cl, p, k, &used);
        p += used;
        n -= used;
        cl_drain();
        if (h.body_ready) {
            h.body_ready = 0;
            cl_push_body(x, &x->txns[h.next_txn - 1], piece);
        }
        if (st == MP_CLOSED)
            break;
        if (st != MP_NEED_MORE && st != MP_PAUSED)
            fail("client feed", st);
    }
    if (!h.closed || n != 0 || h.done_txn != x->ntxn)
        fail("client result", MP_ERR_STATE);
    sink = cl_sent;
}
static void pass_client_whole(void) { run_client(&mixed, 0); }
static void pass_client_64(void) { run_client(&mixed, 64); }
static void pass_client_1(void) { run_client(&mixed, 1); }
static void pass_client_small_whole(void) { run_client(&small, 0); }
static void pass_client_small_64(void) { run_client(&small, 64); }
static void pass_client_small_1(void) { run_client(&small, 1); }

/* ---- dot encoder over the bodies ---------------------------------------------------- */

static void run_dot_encode(size_t piece)
{
    static char out[4096];
    mp_dot_encoder e;
    mp_outbuf ob;
    const char *p = mixed.content;
    size_t n = mixed.content_len, sent = 0;
    mp_dot_encoder_init(&e, 0);
    mp_outbuf_init(&ob, out, sizeof(out));
    while (n > 0) {
        size_t k = piece_of(piece, n), used;
        mp_status st = mp_dot_encoder_update(&e, p, k, &used, &ob);
        if (st != MP_OK && st != MP_ERR_NO_SPACE)
            fail("dot encode", st);
        p += used;
        n -= used;
        if (used < k || mp_outbuf_room(&ob) < 64) {
            sent += ob.len;
            mp_outbuf_consume(&ob, ob.len);
        }
    }
    while (mp_dot_encoder_finish(&e, &ob) == MP_ERR_NO_SPACE) {
        sent += ob.len;
        mp_outbuf_consume(&ob, ob.len);
    }
    sink = sent + ob.len;
}
static void pass_dot_whole(void) { run_dot_encode(0); }
static void pass_dot_64(void) { run_dot_encode(64); }
static void pass_dot_1(void) { run_dot_encode(1); }

/* ---- driver ----------------------------------------------------------------------- */

#define measure(name, fn, slow, in, n, in2, n2, once) \
    bench_measure(name, #fn, fn, slow, in, n, in2, n2, once, 1)

int main(int argc, char **argv)
{
    int once = argc > 1 && strcmp(argv[1], "--once") == 0;
    if (argc > 1 && !once && (runs = atoi(argv[1])) < 1)
        runs = 20;
    make_corpora();
    printf("corpus: %zu transactions (1..%u RCPT, bodies 4 KiB..1 MiB, %zu body bytes in "
           "%zu lines, %zu starting with '.'): server input %zu bytes, client %zu reply bytes + "
           "%zu body bytes; %zu transactions with 4 KiB bodies: server input %zu bytes, client "
           "%zu + %zu; %zu bytes of commands alone in %zu lines; RCPT lines alone: %zu bytes in %zu "
           "lines plain, %zu in %zu with NOTIFY and ORCPT; %zu bytes of replies alone\n",
           mixed.ntxn, MAX_RCPT_TXN, mixed.content_len, mixed.body_lines, mixed.body_dot_lines,
           mixed.session_len, mixed.client_in_len, mixed.content_len, small.ntxn,
           small.session_len, small.client_in_len, small.content_len, cmds_len, cmds_lines,
           rcpt_plain_len, rcpt_plain_lines, rcpt_dsn_len, rcpt_dsn_lines, replies_len);
    if (!once)
        printf("best of %d runs (%d for 1-byte feeding); MB/s of input; memchr('\\n') over "
               "the same bytes is the ceiling\n",
               runs, runs / 4 > 3 ? runs / 4 : 3);
    bench_lines = cmds_lines;
    measure("cmd parser, whole", pass_cmd_whole, 0, cmds, cmds_len, NULL, 0, once);
    bench_lines = cmds_lines;
    measure("cmd parser, 64-byte", pass_cmd_64, 0, cmds, cmds_len, NULL, 0, once);
    bench_lines = cmds_lines;
    measure("cmd parser, 1-byte", pass_cmd_1, 1, cmds, cmds_len, NULL, 0, once);
    bench_lines = rcpt_plain_lines;
    measure("cmd parser, RCPT plain", pass_rcpt_plain, 0, rcpt_plain, rcpt_plain_len, NULL, 0, once);
    bench_lines = rcpt_dsn_lines;
    measure("cmd parser, RCPT + DSN", pass_rcpt_dsn, 0, rcpt_dsn, rcpt_dsn_len, NULL, 0, once);
    measure("server session, whole", pass_server_whole, 0, mixed.session_in, mixed.session_len, NULL, 0,
            once);
    measure("server session, 64-byte", pass_server_64, 0, mixed.session_in, mixed.session_len, NULL, 0,
            once);
    measure("server session, 1-byte", pass_server_1, 1, mixed.session_in, mixed.session_len, NULL, 0, once);
    measure("server 4K bodies, whole", pass_server_small_whole, 0, small.session_in,
            small.session_len, NULL, 0, once);
    measure("server 4K bodies, 64-byte", pass_server_small_64, 0, small.session_in,
            small.session_len, NULL, 0, once);
    measure("server 4K bodies, 1-byte", pass_server_small_1, 1, small.session_in,
            small.session_len, NULL, 0, once);
    measure("reply parser, whole", pass_reply_whole, 0, replies, replies_len, NULL, 0, once);
    measure("reply parser, 64-byte", pass_reply_64, 0, replies, replies_len, NULL, 0, once);
    measure("reply parser, 1-byte", pass_reply_1, 1, replies, replies_len, NULL, 0, once);
    measure("client session, whole", pass_client_whole, 0, mixed.client_in, mixed.client_in_len, mixed.content,
            mixed.content_len, once);
    measure("client session, 64-byte", pass_client_64, 0, mixed.client_in, mixed.client_in_len, mixed.content,
            mixed.content_len, once);
    measure("client session, 1-byte", pass_client_1, 1, mixed.client_in, mixed.client_in_len, mixed.content,
            mixed.content_len, once);
    measure("client 4K bodies, whole", pass_client_small_whole, 0, small.client_in,
            small.client_in_len, small.content, small.content_len, once);
    measure("client 4K bodies, 64-byte", pass_client_small_64, 0, small.client_in,
            small.client_in_len, small.content, small.content_len, once);
    measure("client 4K bodies, 1-byte", pass_client_small_1, 1, small.client_in,
            small.client_in_len, small.content, small.content_len, once);
    measure("dot encoder, whole", pass_dot_whole, 0, mixed.content, mixed.content_len, NULL, 0, once);
    measure("dot encoder, 64-byte", pass_dot_64, 0, mixed.content, mixed.content_len, NULL, 0, once);
    measure("dot encoder, 1-byte", pass_dot_1, 1, mixed.content, mixed.content_len, NULL, 0, once);
    if (once)
        printf("instructions/byte = callgrind Ir (inclusive) of each pass_ function / its "
               "input bytes (bench/callgrind-ipb does the division)\n");
    SIZEOF(mp_smtp_server);
    SIZEOF(mp_smtp_client);
    SIZEOF(mp_smtp_reply_parser);
    SIZEOF(mp_sasl_client);
    SIZEOF(mp_sasl_server);
#ifdef MP_BENCH_HAVE_MBEDTLS
    SIZEOF(mp_tls_pump);
#else
    printf("sizeof %-28s %6s\n", "mp_tls_pump", "(no mailproto-mbedtls target)");
#endif
    printf("values and configs the host also holds:\n");
    SIZEOF(mp_smtp_cmd);
    SIZEOF(mp_smtp_reply_line);
    SIZEOF(mp_smtp_client_event);
    SIZEOF(mp_smtp_client_envelope);
    SIZEOF(mp_smtp_client_rcpt);
    SIZEOF(mp_smtp_caps);
    SIZEOF(mp_smtp_server_config);
    SIZEOF(mp_smtp_client_config);
    printf("host buffers: server line %u (with AUTH %u), server out >= %u, client out >= %u\n",
           (unsigned)MP_SMTP_SERVER_LINE_BUF, (unsigned)MP_SMTP_SERVER_LINE_BUF_AUTH,
           (unsigned)MP_SMTP_SERVER_MIN_OUT, (unsigned)MP_SMTP_MAX_COMMAND_LINE);
    return 0;
}
