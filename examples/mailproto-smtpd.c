/*
 * mailproto-smtpd: a small SMTP or LMTP server that stores every accepted
 * message into one Maildir.  One thread, poll(), a fixed pool of sessions.
 *
 *   mailproto-smtpd --listen 127.0.0.1:2525 --maildir DIR [--lmtp]
 *                   [--tls-cert F --tls-key F] [--implicit-tls]
 *                   [--passwd F] [--auth-plaintext] [--max-size N]
 *                   [--max-conns N] [--line-limit] [--close-on-poison]
 *
 * Storage: each message is written once into DIR/tmp/ and renamed into
 * DIR/new/ (Maildir, unique names "time.Ppid_Qn.host"), with line ends
 * turned into LF and these headers prepended:
 *   Return-Path: <sender>
 *   X-Original-To: <recipient>          one per accepted recipient
 *   Received: from HELO ([peer]) by HOST (mailproto-smtpd) with ESMTP...
 * The file is opened at the first accepted recipient and every recipient
 * goes into it as it is accepted, so none is ever dropped, however many
 * (up to the session's limit, 1000) and however long: RFC 5321 §4.5.3.1.8
 * wants at least 100 buffered, and 1000 paths of 256 octets held in memory
 * would be 256 KiB per connection.  A recipient the host cannot record
 * (the file cannot be created) gets 451 4.3.0, never a 250.
 * All recipients share the one copy (this is a sink for tests and
 * development, not a local delivery agent); in LMTP mode each recipient
 * still gets its own reply, all the same.
 *
 * AUTH (--passwd FILE with "user:password" lines): PLAIN, LOGIN, CRAM-MD5,
 * SCRAM-SHA-1 and SCRAM-SHA-256, offered only under TLS unless
 * --auth-plaintext (then all of them are offered in cleartext too).  SCRAM keys are derived from the password at login
 * (salt "mailproto-smtpd:" + user, 4096 iterations).
 *
 * TLS needs the mbedTLS adapter (cmake -DMAILPROTO_WITH_MBEDTLS=ON); a
 * build without it refuses --tls-cert / --implicit-tls.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mailproto/crypto.h"
#include "mailproto/sasl.h"
#include "mailproto/smtp.h"
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
#include "mailproto/mbedtls.h"
#endif
#include "net/net.h"
#include "net/serve.h"

#define MAX_CONNS_DEFAULT 32
#define MAX_CONNS_LIMIT NET_SERVE_MAX
#define MAX_USERS 256
#define IDLE_TIMEOUT 300 /* seconds (RFC 5321 §4.5.3.2 suggests 5 minutes) */

typedef net_user user_entry;

typedef struct conn {
    int fd; /* -1: free slot */
    mp_smtp_server s;
    mp_smtp_server_config cfg;
    mp_sasl_server sasl;
    char out[4096];
    char line[MP_SMTP_SERVER_LINE_BUF_AUTH];
    char in[8192]; /* plaintext not yet fed */
    size_t in_off, in_len;
    char peer[INET6_ADDRSTRLEN];
    char helo[128];
    char from[MP_SMTP_MAX_PATH + 1];
    int msg_on; /* a message file is open in tmp/ */
    int traced; /* the Received field is written: the body follows */
    int msg_fd;
    size_t wlen;     /* bytes in wbuf not yet written */
    char wbuf[8192]; /* one write() per 8 KiB (a small message: one in all) */
    char tmp_path[PATH_MAX];
    char name[128];
    int msg_err;
    int stored; /* the last message was stored (for replies still owed) */
    int held_cr; /* a CR at the end of the last body chunk */
    int closing;    /* session over: flush, then close */
    int tls_switch; /* STARTTLS accepted: flush the 220, then start TLS */
    int eof;
    int at_hand; /* the last read filled its buffer: more input may be waiting */
    net_link link;  /* TLS, once on */
    int tls_closed; /* close_notify queued */
} conn;

static struct {
    const char *listen;
    const char *maildir;
    const char *cert, *key, *passwd;
    int lmtp, implicit_tls, auth_plaintext, line_limit, close_on_poison;
    uint64_t max_size;
    unsigned max_conns;
    char hostname[65];
    unsigned flags;
    user_entry users[MAX_USERS];
    unsigned nusers;
    mp_crypto_provider crypto;
    mp_sasl_server_config sasl_cfg;
    mp_smtp_server_callbacks cb;
    unsigned long counter;
    long pid;          /* cached: one getpid() per process, not per message */
    time_t date_at;    /* the second date[] was formatted for */
    char date[64];     /* RFC 5322 date, formatted at most once a second */
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
    mp_tls_config tls;
    int tls_ready;
#endif
} G;

static conn conns[MAX_CONNS_LIMIT];
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int die(const char *what, const char *detail)
{
    fprintf(stderr, "mailproto-smtpd: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return 1;
}

static void usage(FILE *f)
{
    fputs("usage: mailproto-smtpd --listen ADDR:PORT --maildir DIR [options]\n"
          "  --listen ADDR:PORT   IPv4 or [IPv6] address and port to listen on\n"
          "  --maildir DIR        Maildir to store messages in (created if missing)\n"
          "  --lmtp               speak LMTP (RFC 2033) instead of SMTP\n"
          "  --tls-cert FILE      PEM certificate chain: offer STARTTLS\n"
          "  --tls-key FILE       PEM private key for --tls-cert\n"
          "  --implicit-tls       TLS from the first byte (port 465 style)\n"
          "  --passwd FILE        enable AUTH against \"user:password\" lines\n"
          "  --auth-plaintext     allow AUTH without TLS (cleartext passwords)\n"
          "  --max-size N         message size limit in bytes (SIZE; 0 = none)\n"
          "  --max-conns N        concurrent connections (default 32, at most 256)\n"
          "  --line-limit         refuse DATA messages with a text line over 1000 octets\n"
          "                       (RFC 5321 4.5.3.1.6; off: real mail has them)\n"
          "  --close-on-poison    after refusing a message with a bare CR, bare LF or NUL\n"
          "                       (550), send 421 and close, like Postfix's\n"
          "                       smtpd_forbid_bare_newline (off: the session goes on)\n"
          "  --help               this text\n",
          f);
}

/* ----------------------------------------------------------------------- */
/* Storage                                                                 */
/* ----------------------------------------------------------------------- */

static int make_maildir(const char *dir)
{
    static const char *const subs[] = { "", "/tmp", "/new", "/cur" };
    char p[PATH_MAX];
    size_t i;
    for (i = 0; i < 4; i++) {
        snprintf(p, sizeof(p), "%s%s", dir, subs[i]);
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

static void msg_discard(conn *c)
{
    if (c->msg_on) {
        close(c->msg_fd);
        c->msg_on = 0;
        unlink(c->tmp_path);
    }
}

/* Write out wbuf (the whole of it, or mark the message failed). */
static void msg_drain(conn *c)
{
    size_t off = 0;
    while (off < c->wlen && !c->msg_err) {
        ssize_t k = write(c->msg_fd, c->wbuf + off, c->wlen - off);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            c->msg_err = 1;
        else
            off += (size_t)k;
    }
    c->wlen = 0;
}

/* Append to the message through wbuf; large pieces go straight out. */
static void msg_put(conn *c, const char *p, size_t n)
{
    if (c->msg_err || n == 0)
        return;
    if (n > sizeof(c->wbuf) - c->wlen) {
        msg_drain(c);
        if (n >= sizeof(c->wbuf)) {
            while (n > 0 && !c->msg_err) {
                ssize_t k = write(c->msg_fd, p, n);
                if (k < 0 && errno == EINTR)
                    continue;
                if (k <= 0) {
                    c->msg_err = 1;
                    break;
                }
                p += k;
                n -= (size_t)k;
            }
            return;
        }
    }
    memcpy(c->wbuf + c->wlen, p, n);
    c->wlen += n;
}

/* The trace header date, reformatted only when the second changes. */
static const char *header_date(time_t now)
{
    if (G.date[0] == '\0' || now != G.date_at) {
        struct tm tmv;
        localtime_r(&now, &tmv);
        strftime(G.date, sizeof(G.date), "%a, %d %b %Y %H:%M:%S %z", &tmv);
        G.date_at = now;
    }
    return G.date;
}

/* Open DIR/tmp/NAME and write the Return-Path field (the first accepted
 * recipient does: the X-Original-To fields follow it). */
static int msg_open(conn *c)
{
    time_t now;
    int fd, k;
    if (c->msg_on)
        return 0;
    now = time(NULL);
    G.counter++;
    snprintf(c->name, sizeof(c->name), "%lld.P%ldQ%lu.%s", (long long)now, G.pid, G.counter,
             G.hostname);
    snprintf(c->tmp_path, sizeof(c->tmp_path), "%s/tmp/%s", G.maildir, c->name);
    fd = open(c->tmp_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        c->msg_err = 1;
        return -1;
    }
    c->msg_fd = fd;
    c->msg_on = 1;
    c->msg_err = 0;
    c->traced = 0;
    c->held_cr = 0;
    c->wlen = 0;
    k = snprintf(c->wbuf, sizeof(c->wbuf), "Return-Path: <%s>\n", c->from);
    if (k < 0 || (size_t)k >= sizeof(c->wbuf))
        c->msg_err = 1;
    else
        c->wlen = (size_t)k;
    return 0;
}

/* The Received field, once, before the first body byte. */
static void msg_trace(conn *c)
{
    char f[512];
    time_t now;
    int k;
    if (c->traced)
        return;
    c->traced = 1;
    now = time(NULL);
    k = snprintf(f, sizeof(f),
                 "Received: from %s ([%s])\n\tby %s (mailproto-smtpd) with %s%s%s id %s;\n\t%s\n",
                 c->helo[0] ? c->helo : "unknown", c->peer, G.hostname,
                 G.lmtp ? "LMTP" : c->s.ehlo ? "ESMTP" : "SMTP", c->s.tls ? "S" : "",
                 c->s.authed ? "A" : "", c->name, header_date(now));
    if (k < 0 || (size_t)k >= sizeof(f))
        c->msg_err = 1;
    else
        msg_put(c, f, (size_t)k);
}

/* Body bytes, CRLF stored as LF (Maildir convention). */
static void msg_write(conn *c, const char *p, size_t n)
{
    size_t i, start = 0;
    if (c->msg_err || msg_open(c) != 0)
        return;
    msg_trace(c);
    if (c->held_cr && n > 0 && p[0] != '\n')
        msg_put(c, "\r", 1);
    if (n > 0)
        c->held_cr = 0;
    for (i = 0; i < n; i++) {
        const char *cr = memchr(p + i, '\r', n - i);
        if (cr == NULL)
            break;
        i = (size_t)(cr - p);
        msg_put(c, p + start, i - start);
        start = i + 1;
        if (i + 1 == n)
            c->held_cr = 1; /* decide when the next byte comes */
        else if (p[i + 1] != '\n')
            msg_put(c, "\r", 1);
    }
    msg_put(c, p + start, n - start);
}

static int msg_commit(conn *c)
{
    char final[PATH_MAX];
    int ok;
    if (msg_open(c) != 0)
        return -1;
    msg_trace(c);
    if (c->held_cr)
        msg_put(c, "\r", 1);
    msg_drain(c);
    ok = !c->msg_err && fsync(c->msg_fd) == 0;
    ok = (close(c->msg_fd) == 0) && ok;
    c->msg_on = 0;
    snprintf(final, sizeof(final), "%s/new/%s", G.maildir, c->name);
    if (ok && rename(c->tmp_path, final) == 0)
        return 0;
    unlink(c->tmp_path);
    return -1;
}

/* ----------------------------------------------------------------------- */
/* Session callbacks: the host answers every decision at once.            */
/* ----------------------------------------------------------------------- */

static void copy_slice(char *dst, size_t cap, mp_slice s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    memcpy(dst, s.ptr, n);
    dst[n] = '\0';
}

static int cb_helo(void *u, mp_smtp_server *s, const mp_smtp_cmd *cmd)
{
    conn *c = u;
    copy_slice(c->helo, sizeof(c->helo), cmd->arg);
    mp_smtp_server_accept(s);
    return 0;
}

static int cb_mail(void *u, mp_smtp_server *s, const mp_smtp_cmd *cmd)
{
    conn *c = u;
    msg_discard(c);
    copy_slice(c->from, sizeof(c->from), cmd->path.mailbox);
    mp_smtp_server_accept(s);
    return 0;
}

/* Each recipient goes into the message file as it is accepted (see the
 * top of this file); one that cannot be recorded is refused. */
static int cb_rcpt(void *u, mp_smtp_server *s, const mp_smtp_cmd *cmd)
{
    conn *c = u;
    if (msg_open(c) != 0 || c->msg_err) {
        mp_smtp_server_reply(s, 451, "4.3.0", "Cannot record the recipient now");
        return 0;
    }
    msg_put(c, "X-Original-To: <", 16);
    msg_put(c, cmd->path.mailbox.ptr, cmd->path.mailbox.len);
    msg_put(c, ">\n", 2);
    mp_smtp_server_accept(s);
    return 0;
}

static int cb_data(void *u, mp_smtp_server *s)
{
    conn *c = u;
    if (msg_open(c) != 0) {
        mp_smtp_server_reply(s, 451, "4.3.0", "Cannot store the message now");
        return 0;
    }
    mp_smtp_server_accept(s);
    return 0;
}

static int cb_body(void *u, mp_smtp_server *s, const char *p, size_t n)
{
    (void)s;
    msg_write(u, p, n);
    return 0;
}

/* LMTP wants one reply per recipient, SMTP one.  When the output is
 * full the rest is answered after sending (conn_service). */
static void answer_message(conn *c)
{
    while (mp_smtp_server_pending(&c->s) == MP_SMTP_DECIDE_MESSAGE) {
        mp_status r = c->stored ? mp_smtp_server_reply(&c->s, 250, "2.0.0", c->name)
                                : mp_smtp_server_reply(&c->s, 451, "4.3.0",
                                                       "Cannot store the message");
        if (r != MP_OK)
            break;
    }
}

static int cb_end(void *u, mp_smtp_server *s, mp_status st)
{
    conn *c = u;
    (void)s;
    if (st != MP_OK) {
        /* Rejected by the session (smuggling attempt, too big, a text
         * line over the limit). */
        msg_discard(c);
        fprintf(stderr, "mailproto-smtpd: %s: message rejected: %s\n", c->peer, mp_strerror(st));
        return 0;
    }
    c->stored = msg_commit(c) == 0;
    answer_message(c);
    return 0;
}

static const user_entry *find_user(mp_slice name)
{
    return net_user_find(G.users, G.nusers, name.ptr, name.len);
}

static int cb_auth(void *u, mp_smtp_server *s)
{
    conn *c = u;
    mp_sasl_server *x = &c->sasl;
    const user_entry *ue = find_user(x->authcid);
    /* An authzid other than the user itself is not allowed here. */
    int authz_ok = x->authzid.len == 0 || (x->authzid.len == x->authcid.len &&
                                           memcmp(x->authzid.ptr, x->authcid.ptr, x->authzid.len) == 0);
    switch (x->want) {
    case MP_SASL_WANT_VERIFY: {
        size_t pl = ue ? strlen(ue->pass) : 0;
        int ok = ue && authz_ok && x->password.len == pl && pl > 0 &&
                 memcmp(x->password.ptr, ue->pass, pl) == 0;
        mp_sasl_server_verify(x, ok);
        break;
    }
    case MP_SASL_WANT_SECRET:
        if (ue && authz_ok)
            mp_sasl_server_set_secret(x, ue->pass, strlen(ue->pass));
        else
            mp_sasl_server_verify(x, 0);
        break;
    case MP_SASL_WANT_SCRAM_KEYS: {
        uint8_t sk[MP_HASH_MAX_DIGEST], svk[MP_HASH_MAX_DIGEST];
        char salt[MP_SASL_MAX_NAME + 32];
        int n = snprintf(salt, sizeof(salt), "mailproto-smtpd:%.*s", (int)x->authcid.len,
                         x->authcid.ptr);
        if (ue && authz_ok && n > 0 &&
            mp_sasl_scram_derive((mp_sasl_mech)x->mech, &G.crypto, ue->pass, strlen(ue->pass),
                                 salt, (size_t)n, 4096, sk, svk, NULL) == MP_OK)
            mp_sasl_server_set_scram(x, salt, (size_t)n, 4096, sk, svk);
        else
            mp_sasl_server_verify(x, 0);
        memset(sk, 0, sizeof(sk));
        memset(svk, 0, sizeof(svk));
        break;
    }
    default:
        mp_sasl_server_verify(x, 0);
        break;
    }
    mp_smtp_server_auth_resume(s);
    return 0;
}

static void cb_error(void *u, mp_smtp_server *s, const mp_error *e)
{
    conn *c = u;
    (void)s;
    fprintf(stderr, "mailproto-smtpd: %s: %s at byte %llu (%s)\n", c->peer, mp_strerror(e->code),
            (unsigned long long)e->offset, e->rule ? e->rule : "-");
}

/* ----------------------------------------------------------------------- */
/* Connections                                                             */
/* ----------------------------------------------------------------------- */

static void conn_free(conn *c)
{
    msg_discard(c);
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
    if (c->link.tls_on)
        mp_tls_pump_free(&c->link.pump);
    c->link.tls_on = 0;
#endif
    mp_sasl_server_wipe(&c->sasl);
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static int conn_open(conn *c, int fd, const char *peer)
{
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    snprintf(c->peer, sizeof(c->peer), "%s", peer);
    c->cfg.hostname = G.hostname;
    c->cfg.flags = G.flags;
    c->cfg.max_size = G.max_size;
    c->cfg.line_buf = c->line;
    c->cfg.line_cap = sizeof(c->line);
    if (G.nusers > 0) {
        c->cfg.auth_mechs = "PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256";
        c->cfg.sasl = &c->sasl;
        c->cfg.sasl_cfg = &G.sasl_cfg;
        c->cfg.crypto = &G.crypto;
    }
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
    if (G.implicit_tls) {
        if (mp_tls_pump_setup(&c->link.pump, &G.tls.conf, NULL) != MP_OK &&
            mp_tls_pump_status(&c->link.pump) != MP_NEED_MORE) {
            mp_tls_pump_free(&c->link.pump);
            return -1;
        }
        c->link.tls_on = 1;
    }
#endif
    if (mp_smtp_server_init(&c->s, &c->cfg, &G.cb, c, c->out, sizeof(c->out)) != MP_OK)
        return -1;
    return 0;
}

static const char *out_get(void *s, size_t *n) { return mp_smtp_server_output(s, n); }
static void out_done(void *s, size_t n) { mp_smtp_server_output_done(s, n); }

/* Send what can be sent now.  Returns -1 on a fatal socket error. */
static int conn_flush(conn *c)
{
    net_out o = {out_get, out_done, &c->s};
    return net_link_flush(&c->link, c->fd, &o);
}

static int conn_has_output(conn *c)
{
    size_t n;
    mp_smtp_server_output(&c->s, &n);
    return n + net_link_backlog(&c->link) > 0;
}

/* Feed buffered plaintext to the session.  Returns 1 when the session
 * paused (a decision pending, or its output needs draining first). */
static int conn_feed(conn *c)
{
    int paused = 0;
    while (c->in_off < c->in_len && !c->closing && !c->tls_switch) {
        size_t used = 0;
        mp_status st = mp_smtp_server_feed(&c->s, c->in + c->in_off, c->in_len - c->in_off, &used);
        c->in_off += used;
        if (st == MP_OK)
            continue;
        if (st == MP_PAUSED) {
            paused = 1;
            break; /* output full: send, then go on */
        }
        if (st == MP_TRANSPORT_SWITCH) {
            /* Plaintext after STARTTLS is dropped, never executed. */
            if (c->in_off < c->in_len)
                fprintf(stderr, "mailproto-smtpd: %s: %zu bytes after STARTTLS discarded\n",
                        c->peer, c->in_len - c->in_off);
            c->in_off = c->in_len;
            c->tls_switch = 1;
            break;
        }
        c->closing = 1; /* MP_CLOSED, or an error */
    }
    if (c->in_off == c->in_len)
        c->in_off = c->in_len = 0;
    else if (c->in_off > 0) {
        memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
        c->in_len -= c->in_off;
        c->in_off = 0;
    }
    return paused;
}

#ifdef MP_EXAMPLE_HAVE_MBEDTLS
/* Decrypted bytes from the pump into c->in. */
static int conn_tls_read(conn *c)
{
    int r = net_link_tls_read(&c->link, c->in, sizeof(c->in), &c->in_len);
    if (r == 1)
        c->at_hand = 1; /* c->in is full: the pump may hold more */
    return r < 0 ? -1 : 0;
}
#endif

static size_t session_out_len(conn *c)
{
    size_t n;
    mp_smtp_server_output(&c->s, &n);
    return n;
}

static ssize_t conn_recv(conn *c);

/* Replies wait in the session's output and the last read filled its
 * buffer: the client may have sent more commands of the same pipelined
 * group (RFC 2920 §3.1: RSET, MAIL, RCPT and BDAT chunks may be followed
 * by more), already at hand but not read.  Reading and feeding them first
 * sends the group's replies in one write (RFC 2920 §3.2 lets a server hold
 * them), where answering each read on its own splits them.  A read that
 * did not fill its buffer emptied the socket: nothing more is at hand and
 * what is queued goes out.  Never while the session must speak first: it
 * is closing (QUIT, 421), switching to TLS (no plaintext is read after
 * STARTTLS), waiting for a decision, or out of room (`paused`). */
static int may_read_more(conn *c, int paused)
{
    return c->at_hand && session_out_len(c) > 0 && !paused && !c->closing && !c->tls_switch &&
           mp_smtp_server_pending(&c->s) == MP_SMTP_DECIDE_NONE && c->in_len < sizeof(c->in);
}

/* Reads before a write, at most: a client streaming a chunk after its
 * commands does not hold their replies back for long. */
#define COALESCE_READS 16

/* Move everything that can move; returns -1 when the connection is done.
 * The replies to what was read go out together: everything read is fed
 * before anything is written, and more input is read first while it is at
 * hand (may_read_more).  A reply the client waits for is never held: the
 * client sends nothing after the command that ends its group (EHLO, DATA,
 * the end of data, AUTH, NOOP ...; RFC 2920 §3.1), so no more input is at
 * hand and what is queued goes out at once.  A credential read this way
 * ahead of its challenge is refused by the session (smtp.h, feed). */
static int conn_service(conn *c)
{
    int round, reads = 0;
    for (round = 0; round < 64; round++) {
        size_t in0, o0;
        int progress = 0, paused;
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
        if (c->link.tls_on && conn_tls_read(c) != 0 && c->in_len == 0)
            c->closing = 1;
#endif
        answer_message(c);
        in0 = c->in_len;
        paused = conn_feed(c);
        progress |= c->in_len != in0;
        if (reads < COALESCE_READS && may_read_more(c, paused)) {
            ssize_t k;
            reads++;
            c->at_hand = 0;
            k = conn_recv(c);
            if (k < 0)
                c->closing = 1; /* the client is gone: send what is queued, then close */
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
            else if (c->link.tls_on)
                continue; /* the next round decrypts what the pump holds, then feeds it */
#endif
            else if (k > 0)
                continue; /* feed it before writing */
        }
        o0 = session_out_len(c);
        if (conn_flush(c) != 0)
            return -1;
        progress |= session_out_len(c) < o0;
        /* Sending may let the session end itself (the 421 after a
         * poisoned message, --close-on-poison) with no input to feed. */
        if (mp_smtp_server_state_of(&c->s) == MP_SMTP_SS_CLOSED)
            c->closing = 1;
        if (c->tls_switch && !conn_has_output(c)) {
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
            if (mp_tls_pump_setup(&c->link.pump, &G.tls.conf, NULL) != MP_NEED_MORE)
                return -1;
            c->link.tls_on = 1;
#endif
            c->tls_switch = 0;
            mp_smtp_server_tls_started(&c->s);
            progress = 1;
        }
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
        /* Say goodbye at the TLS layer too (close_notify), once. */
        if (c->closing && c->link.tls_on && !c->tls_closed && session_out_len(c) == 0 &&
            mp_tls_pump_handshake_done(&c->link.pump)) {
            mp_status cs = mp_tls_pump_close(&c->link.pump);
            if (cs == MP_OK || mp_is_error(cs))
                c->tls_closed = 1;
            if (conn_flush(c) != 0)
                return -1;
        }
#endif
        if (c->closing && !conn_has_output(c))
            return -1;
        if (!progress)
            break;
    }
    return 0;
}

/* One read of what the socket holds now (non-blocking) into c->in,
 * through the TLS pump under TLS; c->at_hand tells whether it filled the
 * room it had.  Returns the bytes read (> 0), 0 when nothing is at hand
 * or there is no room, -1 at the end of the stream or on an error. */
static ssize_t conn_recv(conn *c)
{
    ssize_t k;
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
    if (c->link.tls_on) {
        size_t room;
        unsigned char *b = mp_tls_pump_recv_buf(&c->link.pump, &room);
        if (room == 0)
            return 0;
        k = recv(c->fd, b, room, 0);
        c->at_hand = k > 0 && (size_t)k == room;
        if (k == 0) {
            mp_tls_pump_recv_eof(&c->link.pump);
            return -1;
        }
        if (k < 0)
            return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
        if (mp_is_error(mp_tls_pump_recv_done(&c->link.pump, (size_t)k))) {
            conn_flush(c); /* the alert */
            return -1;
        }
        return k; /* conn_service() decrypts it into c->in */
    }
#endif
    if (c->in_len == sizeof(c->in))
        return 0;
    k = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
    c->at_hand = k > 0 && (size_t)k == sizeof(c->in) - c->in_len;
    if (k == 0)
        return -1;
    if (k < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    c->in_len += (size_t)k;
    return k;
}

/* Readable socket. */
static int conn_read(conn *c)
{
    if (conn_recv(c) < 0)
        return -1;
    return conn_service(c);
}

/* ----------------------------------------------------------------------- */
/* Setup                                                                   */
/* ----------------------------------------------------------------------- */

static void peer_name(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    if (ss->ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, out, (socklen_t)cap);
    else
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, out, (socklen_t)cap);
}

/* The slots of net_serve(): conns[i]. */
static int slot_fd(unsigned i) { return conns[i].fd; }

static int slot_open(unsigned i, int fd, const struct sockaddr_storage *ss)
{
    char peer[INET6_ADDRSTRLEN];
    peer_name(ss, peer, sizeof(peer));
    return conn_open(&conns[i], fd, peer) != 0 || conn_service(&conns[i]) != 0 ? -1 : 0;
}

static int slot_prepare(unsigned i, int idle)
{
    conn *c = &conns[i];
    int ev = 0;
    if (idle && !c->closing) {
        mp_smtp_server_timeout(&c->s);
        c->closing = 1;
        if (conn_service(c) != 0)
            return -1;
    }
    if (!c->closing && !c->tls_switch)
        ev |= POLLIN;
    if (conn_has_output(c))
        ev |= POLLOUT;
    return ev;
}

static int slot_read(unsigned i) { return conn_read(&conns[i]); }
static int slot_write(unsigned i) { return conn_service(&conns[i]); }
static void slot_close(unsigned i) { conn_free(&conns[i]); }

/* Send what every connection still owes (its 421, close_notify) until
 * all are done or `deadline` passes; then close them. */
static void shutdown_drain(time_t deadline)
{
    struct pollfd pfd[MAX_CONNS_LIMIT];
    unsigned i;
    for (;;) {
        nfds_t n = 0;
        for (i = 0; i < G.max_conns; i++) {
            conn *c = &conns[i];
            if (c->fd < 0)
                continue;
            if (conn_service(c) != 0) {
                conn_free(c); /* all said */
                continue;
            }
            pfd[n].fd = c->fd;
            pfd[n].events = POLLOUT;
            n++;
        }
        if (n == 0 || time(NULL) >= deadline)
            break;
        if (poll(pfd, n, 100) < 0 && errno != EINTR)
            break;
    }
    for (i = 0; i < G.max_conns; i++)
        if (conns[i].fd >= 0)
            conn_free(&conns[i]);
}

static int parse_args(int argc, char **argv)
{
    int i;
    G.max_conns = MAX_CONNS_DEFAULT;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--lmtp") == 0) {
            G.lmtp = 1;
        } else if (strcmp(a, "--implicit-tls") == 0) {
            G.implicit_tls = 1;
        } else if (strcmp(a, "--auth-plaintext") == 0) {
            G.auth_plaintext = 1;
        } else if (strcmp(a, "--line-limit") == 0) {
            G.line_limit = 1;
        } else if (strcmp(a, "--close-on-poison") == 0) {
            G.close_on_poison = 1;
        } else if (v == NULL) {
            fprintf(stderr, "mailproto-smtpd: unknown option or missing value: %s\n", a);
            return -1;
        } else if (strcmp(a, "--listen") == 0) {
            G.listen = v;
            i++;
        } else if (strcmp(a, "--maildir") == 0) {
            G.maildir = v;
            i++;
        } else if (strcmp(a, "--tls-cert") == 0) {
            G.cert = v;
            i++;
        } else if (strcmp(a, "--tls-key") == 0) {
            G.key = v;
            i++;
        } else if (strcmp(a, "--passwd") == 0) {
            G.passwd = v;
            i++;
        } else if (strcmp(a, "--max-size") == 0 || strcmp(a, "--max-conns") == 0) {
            char *end;
            unsigned long long n;
            errno = 0;
            n = strtoull(v, &end, 10);
            if (*end != '\0' || v[0] == '\0' || v[0] == '-' || errno != 0) {
                fprintf(stderr, "mailproto-smtpd: bad number for %s: %s\n", a, v);
                return -1;
            }
            if (a[6] == 's') {
                G.max_size = n;
            } else {
                if (n == 0 || n > MAX_CONNS_LIMIT) {
                    fprintf(stderr, "mailproto-smtpd: --max-conns must be 1..%d\n",
                            MAX_CONNS_LIMIT);
                    return -1;
                }
                G.max_conns = (unsigned)n;
            }
            i++;
        } else {
            fprintf(stderr, "mailproto-smtpd: unknown option: %s\n", a);
            return -1;
        }
    }
    if (G.listen == NULL || G.maildir == NULL) {
        fprintf(stderr, "mailproto-smtpd: --listen and --maildir are required (see --help)\n");
        return -1;
    }
    if ((G.cert == NULL) != (G.key == NULL)) {
        fprintf(stderr, "mailproto-smtpd: --tls-cert and --tls-key go together\n");
        return -1;
    }
    if (G.implicit_tls && G.cert == NULL) {
        fprintf(stderr, "mailproto-smtpd: --implicit-tls needs --tls-cert and --tls-key\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    net_server v;
    int lfd, status = 0;
    unsigned i;

    if (parse_args(argc, argv) != 0)
        return 2;
#ifndef MP_EXAMPLE_HAVE_MBEDTLS
    if (G.cert || G.implicit_tls) {
        fprintf(stderr, "mailproto-smtpd: built without TLS (configure with "
                        "-DMAILPROTO_WITH_MBEDTLS=ON)\n");
        return 2;
    }
#else
    if (G.cert) {
        if (mp_tls_config_init(&G.tls, MP_TLS_SERVER) != MP_OK ||
            mp_tls_config_own_cert_file(&G.tls, G.cert, G.key, NULL) != MP_OK)
            return die("cannot load the TLS certificate or key", G.cert);
        G.tls_ready = 1;
    }
#endif
    G.pid = (long)getpid();
    if (gethostname(G.hostname, sizeof(G.hostname) - 1) != 0 || G.hostname[0] == '\0')
        snprintf(G.hostname, sizeof(G.hostname), "localhost");
    for (i = 0; G.hostname[i]; i++)
        if (G.hostname[i] <= ' ' || G.hostname[i] > '~' || G.hostname[i] == '/')
            G.hostname[i] = '-';
    if (make_maildir(G.maildir) != 0)
        return die("cannot create the Maildir", G.maildir);
    if (G.passwd && net_passwd_load(G.passwd, G.users, MAX_USERS, &G.nusers) != 0)
        return die("cannot read the password file (user:password lines)", G.passwd);

    G.crypto = mp_crypto_builtin(net_random, NULL);
    G.sasl_cfg.hostname = mp_slice_make(G.hostname, strlen(G.hostname));
    G.sasl_cfg.flags = MP_SASL_SERVER_LOGIN_IR;
    G.flags = MP_SMTP_SRV_8BITMIME | MP_SMTP_SRV_SMTPUTF8 | MP_SMTP_SRV_CHUNKING |
              MP_SMTP_SRV_BINARYMIME | MP_SMTP_SRV_LAX;
    if (G.lmtp)
        G.flags |= MP_SMTP_SRV_LMTP;
    if (G.cert && !G.implicit_tls)
        G.flags |= MP_SMTP_SRV_STARTTLS;
    if (G.implicit_tls)
        G.flags |= MP_SMTP_SRV_TLS_ACTIVE;
    if (G.nusers > 0)
        G.flags |= MP_SMTP_SRV_AUTH;
    if (G.line_limit)
        G.flags |= MP_SMTP_SRV_TEXT_LINE_LIMIT;
    if (G.close_on_poison)
        G.flags |= MP_SMTP_SRV_CLOSE_ON_POISON;
    if (G.auth_plaintext)
        G.flags |= MP_SMTP_SRV_AUTH_PLAINTEXT;
    else
        G.flags |= MP_SMTP_SRV_AUTH_TLS_ONLY;
    G.cb.on_helo = cb_helo;
    G.cb.on_mail = cb_mail;
    G.cb.on_rcpt = cb_rcpt;
    G.cb.on_data = cb_data;
    G.cb.on_body = cb_body;
    G.cb.on_message_end = cb_end;
    G.cb.on_auth = cb_auth;
    G.cb.on_error = cb_error;

    lfd = net_listen(G.listen);
    if (lfd == -1)
        return die("bad --listen address (want IPv4:PORT or [IPv6]:PORT)", G.listen);
    if (lfd < 0)
        return die("cannot listen on", G.listen);
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    for (i = 0; i < MAX_CONNS_LIMIT; i++)
        conns[i].fd = -1;
    printf("listening on %s\n", G.listen);
    fflush(stdout);

    memset(&v, 0, sizeof(v));
    v.max = G.max_conns;
    v.poll_ms = 1000;
    v.idle_secs = IDLE_TIMEOUT;
    /* RFC 5321 §3.8: 421 when the server cannot take the session.  An
     * implicit-TLS port speaks nothing but TLS, and there is no session
     * memory left to speak it: close without a word (a plaintext 421
     * would be a broken TLS record to the client). */
    v.busy = G.implicit_tls ? NULL : "421 4.3.2 Too many connections, try later\r\n";
    v.stop = &stop_flag;
    v.fd = slot_fd;
    v.open = slot_open;
    v.prepare = slot_prepare;
    v.read = slot_read;
    v.write = slot_write;
    v.close = slot_close;
    /* Leave as on SIGTERM when poll fails: every client still gets its 421. */
    if (net_serve(lfd, &v) != 0)
        status = die("poll failed", strerror(errno));
    /* SIGTERM / SIGINT (or a failed poll): tell every client (421), close
     * its TLS with close_notify, and leave; a client that does not read
     * gets 2 s. */
    for (i = 0; i < G.max_conns; i++) {
        conn *c = &conns[i];
        if (c->fd < 0)
            continue;
        mp_smtp_server_shutdown(&c->s, NULL);
        c->closing = 1;
    }
    shutdown_drain(time(NULL) + 2);
    close(lfd);
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
    if (G.tls_ready)
        mp_tls_config_free(&G.tls);
#endif
    return status;
}
