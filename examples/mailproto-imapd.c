/*
 * mailproto-imapd: an IMAP4rev1 / IMAP4rev2 server over the Maildir that
 * mailproto-smtpd writes.  One thread, poll(), a fixed pool of sessions.
 *
 *   mailproto-imapd --listen 127.0.0.1:1143 --maildir DIR [--passwd F]
 *                   [--tls-cert F --tls-key F] [--implicit-tls]
 *                   [--auth-plaintext] [--max-conns N]
 *
 * INBOX is DIR; other folders are Maildir++ subfolders (".A.B" for
 * "A/B"); flags are the info letters of the file names, UIDs and
 * UIDVALIDITY are in each folder's mailproto-imapd.uids, replaced
 * atomically (examples/imapd/store.c says why nothing is lost or numbered
 * twice when the server is killed).  Commands: LOGIN, AUTHENTICATE (PLAIN,
 * SCRAM-SHA-1, SCRAM-SHA-256; SASL-IR), STARTTLS, ENABLE, ID, IDLE, LIST /
 * LSUB (SPECIAL-USE attributes by name), STATUS, SELECT / EXAMINE, CREATE,
 * DELETE, RENAME, APPEND (MULTIAPPEND), FETCH (FLAGS, UID, INTERNALDATE,
 * RFC822.SIZE, ENVELOPE, BODY, BODYSTRUCTURE, BODY[section]<partial>,
 * BODY.PEEK, RFC822*), STORE, COPY, MOVE, EXPUNGE, UID EXPUNGE, SEARCH
 * (ESEARCH under IMAP4rev2), CLOSE, UNSELECT; UIDPLUS; CONDSTORE (MODSEQ,
 * CHANGEDSINCE, UNCHANGEDSINCE, SEARCH MODSEQ, HIGHESTMODSEQ; modseqs
 * never go back, across restarts too: store.c).  New mail
 * delivered into the Maildir reaches IDLE at once (inotify on Linux,
 * else a scan a second).
 *
 * --passwd FILE: "user:password" lines, every user sees the same Maildir.
 * Without it the session greets with PREAUTH (a local single-user tool).
 * Logins are offered in plaintext only without TLS configured, or with
 * --auth-plaintext.  SCRAM keys are derived from the password at login
 * (salt "mailproto-imapd:" + user, 4096 iterations).
 *
 * A FETCH is answered message by message as the client reads, between
 * the other connections' turns; a single response larger than the output
 * room (one big message, a long SEARCH result) waits for that client to
 * read, up to 10 s, and the others wait meanwhile; a client that does not
 * read in that time is disconnected.
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

#include "imapd/imapd.h"
#include "net/net.h"
#include "net/serve.h"
#include "mailproto/crypto.h"

#define MAX_CONNS_DEFAULT 32
#define MAX_CONNS_LIMIT 128
#define MAX_USERS 256
#define IDLE_TIMEOUT 1800 /* seconds (RFC 9051 §5.4: at least 30 minutes) */
#define FLUSH_WAIT_MS 10000

static struct {
    const char *listen, *maildir, *cert, *key, *passwd;
    int implicit_tls, auth_plaintext;
    unsigned max_conns;
    unsigned flags;
    char hostname[65];
    net_user users[MAX_USERS];
    unsigned nusers;
    mp_crypto_provider crypto;
    mp_sasl_server_config sasl_cfg;
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
    fprintf(stderr, "mailproto-imapd: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return 1;
}

static void usage(FILE *f)
{
    fputs("usage: mailproto-imapd --listen ADDR:PORT --maildir DIR [options]\n"
          "  --listen ADDR:PORT   IPv4 or [IPv6] address and port to listen on\n"
          "  --maildir DIR        the Maildir (INBOX; folders are Maildir++ subfolders)\n"
          "  --passwd FILE        \"user:password\" lines (without: PREAUTH, no login)\n"
          "  --tls-cert FILE      PEM certificate chain: offer STARTTLS\n"
          "  --tls-key FILE       PEM private key for --tls-cert\n"
          "  --implicit-tls       TLS from the first byte (port 993 style)\n"
          "  --auth-plaintext     allow logins without TLS when TLS is configured\n"
          "  --max-conns N        concurrent connections (default 32, at most 128)\n"
          "  --help               this text\n",
          f);
}

const char *imapd_password(mp_slice name)
{
    const net_user *u = net_user_find(G.users, G.nusers, name.ptr, name.len);
    return u ? u->pass : NULL;
}

const struct mp_crypto_provider *imapd_crypto(void)
{
    return &G.crypto;
}

/* ----------------------------------------------------------------------- */
/* Connections                                                             */
/* ----------------------------------------------------------------------- */

static void conn_free(conn *c)
{
    session_reset(c);
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

static const mp_imap_cmd_config parser_cfg = { 0 };

static int conn_open(conn *c, int fd, const char *peer)
{
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    snprintf(c->peer, sizeof(c->peer), "%s", peer);
    c->cfg.flags = G.flags;
    c->cfg.greeting = "mailproto-imapd ready";
    c->cfg.caps = "UIDPLUS MOVE UNSELECT SPECIAL-USE CHILDREN ESEARCH";
    c->cfg.buf = c->sbuf;
    c->cfg.buf_cap = sizeof(c->sbuf);
    c->cfg.parser = &parser_cfg;
    c->cfg.id_name = "mailproto-imapd";
    if (G.nusers > 0) {
        c->cfg.auth_mechs = "SCRAM-SHA-256 SCRAM-SHA-1 PLAIN";
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
    if (mp_imap_server_init(&c->s, &c->cfg, &imapd_callbacks, c, c->out, sizeof(c->out)) != MP_OK)
        return -1;
    return 0;
}

static const char *out_get(void *s, size_t *n) { return mp_imap_server_output(s, n); }
static void out_done(void *s, size_t n) { mp_imap_server_output_done(s, n); }

/* Send what can be sent now.  Returns -1 on a fatal socket error. */
static int conn_flush(conn *c)
{
    net_out o = {out_get, out_done, &c->s};
    return net_link_flush(&c->link, c->fd, &o);
}

static int conn_has_output(conn *c)
{
    size_t n;
    mp_imap_server_output(&c->s, &n);
    return n + net_link_backlog(&c->link) > 0;
}

int conn_flush_wait(conn *c)
{
    double deadline = now_mono() + FLUSH_WAIT_MS / 1000.0;
    size_t before;
    if (c->closing)
        return -1;
    mp_imap_server_output(&c->s, &before);
    for (;;) {
        struct pollfd p;
        size_t n;
        if (conn_flush(c) != 0) {
            c->closing = 1;
            return -1;
        }
        mp_imap_server_output(&c->s, &n);
        /* enough room again: half the buffer, or all of it sent */
        if (n == 0 || n < before / 2 || n < sizeof(c->out) / 2)
            return 0;
        if (now_mono() > deadline) {
            /* a client that does not read holds no one else up again */
            c->closing = 1;
            return -1;
        }
        p.fd = c->fd;
        p.events = POLLOUT;
        p.revents = 0;
        if (poll(&p, 1, 200) < 0 && errno != EINTR)
            return -1;
    }
}

/* Feed buffered plaintext to the session. */
static void conn_feed(conn *c)
{
    while (c->in_off < c->in_len && !c->closing && !c->tls_switch) {
        size_t used = 0;
        mp_status st = mp_imap_server_feed(&c->s, c->in + c->in_off, c->in_len - c->in_off, &used);
        c->in_off += used;
        if (st == MP_OK)
            continue;
        if (st == MP_PAUSED)
            break; /* output to send first */
        if (st == MP_TRANSPORT_SWITCH) {
            if (c->s.switching == 2) {
                /* COMPRESS is not offered; never reached */
                c->closing = 1;
                break;
            }
            /* plaintext after STARTTLS is dropped, never executed */
            if (c->in_off < c->in_len)
                fprintf(stderr, "mailproto-imapd: %s: %zu bytes after STARTTLS discarded\n",
                        c->peer, c->in_len - c->in_off);
            c->in_off = c->in_len;
            c->tls_switch = 1;
            break;
        }
        c->closing = 1; /* MP_CLOSED, or an error */
    }
    if (c->in_off == c->in_len) {
        c->in_off = c->in_len = 0;
    } else if (c->in_off > 0) {
        memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
        c->in_len -= c->in_off;
        c->in_off = 0;
    }
}

#ifdef MP_EXAMPLE_HAVE_MBEDTLS
/* Decrypted bytes from the pump into c->in. */
static int conn_tls_read(conn *c)
{
    return net_link_tls_read(&c->link, c->in, sizeof(c->in), &c->in_len) < 0 ? -1 : 0;
}
#endif

static size_t session_out_len(conn *c)
{
    size_t n;
    mp_imap_server_output(&c->s, &n);
    return n;
}

/* Move everything that can move; -1 when the connection is done. */
static int conn_service(conn *c)
{
    int round;
    for (round = 0; round < 64; round++) {
        size_t in0, o0;
        int progress = 0;
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
        if (c->link.tls_on && conn_tls_read(c) != 0 && c->in_len == 0)
            c->closing = 1;
#endif
        if (c->fj.active && !c->closing)
            session_continue(c);
        in0 = c->in_len;
        conn_feed(c);
        progress |= c->in_len != in0;
        o0 = session_out_len(c);
        if (conn_flush(c) != 0)
            return -1;
        progress |= session_out_len(c) < o0;
        if (mp_imap_server_state_of(&c->s) == MP_IMAP_SS_LOGOUT)
            c->closing = 1;
        if (c->tls_switch && !conn_has_output(c)) {
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
            if (mp_tls_pump_setup(&c->link.pump, &G.tls.conf, NULL) != MP_NEED_MORE)
                return -1;
            c->link.tls_on = 1;
#endif
            c->tls_switch = 0;
            mp_imap_server_tls_started(&c->s);
            progress = 1;
        }
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
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

/* One read into c->in (through the pump under TLS): > 0 bytes, 0 nothing
 * at hand, -1 end of stream or error. */
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
        if (k == 0) {
            mp_tls_pump_recv_eof(&c->link.pump);
            return -1;
        }
        if (k < 0)
            return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
        if (mp_is_error(mp_tls_pump_recv_done(&c->link.pump, (size_t)k))) {
            conn_flush(c);
            return -1;
        }
        return k;
    }
#endif
    if (c->in_len == sizeof(c->in))
        return 0;
    k = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
    if (k == 0)
        return -1;
    if (k < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    c->in_len += (size_t)k;
    return k;
}

/* ----------------------------------------------------------------------- */
/* Setup                                                                   */
/* ----------------------------------------------------------------------- */

/* The slots of net_serve() (examples/net/serve.h) are the connections. */
static int slot_fd(unsigned i) { return conns[i].fd; }

static int slot_open(unsigned i, int fd, const struct sockaddr_storage *ss)
{
    char peer[INET6_ADDRSTRLEN];
    if (ss->ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, peer, sizeof(peer));
    else
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, peer, sizeof(peer));
    return conn_open(&conns[i], fd, peer) != 0 || conn_service(&conns[i]) != 0 ? -1 : 0;
}

static int slot_prepare(unsigned i, int idle)
{
    conn *c = &conns[i];
    int ev = 0;
    if (idle && !c->closing) {
        mp_imap_server_shutdown(&c->s, "Autologout");
        c->closing = 1;
        if (conn_service(c) != 0)
            return -1;
    }
    if (!c->closing && !c->tls_switch)
        ev |= POLLIN;
    /* a FETCH still being answered goes on when the socket takes more
     * (conn_service stops after a bounded number of rounds) */
    if (conn_has_output(c) || c->fj.active)
        ev |= POLLOUT;
    return ev;
}

static int slot_read(unsigned i)
{
    conn *c = &conns[i];
    if (conn_recv(c) < 0)
        c->closing = 1;
    return conn_service(c);
}

static int slot_write(unsigned i) { return conn_service(&conns[i]); }
static void slot_close(unsigned i) { conn_free(&conns[i]); }

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
        } else if (strcmp(a, "--implicit-tls") == 0) {
            G.implicit_tls = 1;
        } else if (strcmp(a, "--auth-plaintext") == 0) {
            G.auth_plaintext = 1;
        } else if (v == NULL) {
            fprintf(stderr, "mailproto-imapd: %s needs a value (see --help)\n", a);
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
        } else if (strcmp(a, "--max-conns") == 0) {
            char *end;
            unsigned long n = strtoul(v, &end, 10);
            if (*end != '\0' || n == 0 || n > MAX_CONNS_LIMIT) {
                fprintf(stderr, "mailproto-imapd: --max-conns must be 1..%d\n", MAX_CONNS_LIMIT);
                return -1;
            }
            G.max_conns = (unsigned)n;
            i++;
        } else {
            fprintf(stderr, "mailproto-imapd: unknown option: %s\n", a);
            return -1;
        }
    }
    if (G.listen == NULL || G.maildir == NULL) {
        fprintf(stderr, "mailproto-imapd: --listen and --maildir are required (see --help)\n");
        return -1;
    }
    if ((G.cert == NULL) != (G.key == NULL)) {
        fprintf(stderr, "mailproto-imapd: --tls-cert and --tls-key go together\n");
        return -1;
    }
    if (G.implicit_tls && G.cert == NULL) {
        fprintf(stderr, "mailproto-imapd: --implicit-tls needs --tls-cert and --tls-key\n");
        return -1;
    }
    return 0;
}

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

/* Folders that sessions wait on in IDLE, or that have changed under a
 * selected session: rescan (at most once a second each) and tell. */
static void notify_sessions(void)
{
    unsigned i;
    for (i = 0; i < G.max_conns; i++) {
        conn *c = &conns[i];
        if (c->fd < 0 || c->sel == NULL || c->closing)
            continue;
        if (c->idling || c->sel->dirty)
            store_rescan(c->sel, c->idling ? 1.0 : 0.2);
        if (c->sel->version != c->vversion || c->idling) {
            session_sync(c, c->idling);
            if (conn_service(c) != 0)
                conn_free(c);
        }
    }
}

int main(int argc, char **argv)
{
    struct sigaction sa;
    net_server v;
    int lfd;
    unsigned i;

    if (parse_args(argc, argv) != 0)
        return 2;
#ifndef MP_EXAMPLE_HAVE_MBEDTLS
    if (G.cert || G.implicit_tls) {
        fprintf(stderr, "mailproto-imapd: built without TLS (configure with "
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
    if (gethostname(G.hostname, sizeof(G.hostname) - 1) != 0 || G.hostname[0] == '\0')
        snprintf(G.hostname, sizeof(G.hostname), "localhost");
    if (make_maildir(G.maildir) != 0)
        return die("cannot create the Maildir", G.maildir);
    if (G.passwd && net_passwd_load(G.passwd, G.users, MAX_USERS, &G.nusers) != 0)
        return die("cannot read the password file (user:password lines)", G.passwd);
    store_init(G.maildir);
    if (store_open("INBOX") == NULL)
        return die("cannot read or number the Maildir", G.maildir);

    G.crypto = mp_crypto_builtin(net_random, NULL);
    G.sasl_cfg.hostname = mp_slice_make(G.hostname, strlen(G.hostname));
    G.flags = MP_IMAP_SRV_REV2 | MP_IMAP_SRV_ENABLE | MP_IMAP_SRV_IDLE | MP_IMAP_SRV_ID |
              MP_IMAP_SRV_SASL_IR | MP_IMAP_SRV_LITERAL_MINUS | MP_IMAP_SRV_CONDSTORE;
    if (G.nusers > 0)
        G.flags |= MP_IMAP_SRV_LOGIN;
    else
        G.flags |= MP_IMAP_SRV_PREAUTH;
    if (G.cert && !G.implicit_tls)
        G.flags |= MP_IMAP_SRV_STARTTLS;
    if (G.implicit_tls)
        G.flags |= MP_IMAP_SRV_TLS_ACTIVE;
    /* without TLS configured there is no other way to log in */
    if (G.auth_plaintext || G.cert == NULL)
        G.flags |= MP_IMAP_SRV_AUTH_PLAINTEXT;
    else
        G.flags |= MP_IMAP_SRV_REQUIRE_TLS;

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
    v.poll_ms = 500;
    v.idle_secs = IDLE_TIMEOUT;
    /* An implicit-TLS port speaks only TLS: a plaintext BYE would be a
     * broken record to the client. */
    v.busy = G.implicit_tls ? NULL : "* BYE Too many connections, try later\r\n";
    v.stop = &stop_flag;
    v.fd = slot_fd;
    v.open = slot_open;
    v.prepare = slot_prepare;
    v.read = slot_read;
    v.write = slot_write;
    v.close = slot_close;
    v.watch_fd = store_watch_fd(); /* deliveries into new/ and cur/ (inotify) */
    v.watch = store_watch_read;
    v.tick = notify_sessions;
    if (net_serve(lfd, &v) != 0)
        fprintf(stderr, "mailproto-imapd: poll failed: %s\n", strerror(errno));
    /* SIGTERM / SIGINT: BYE to everyone, then leave */
    for (i = 0; i < G.max_conns; i++) {
        conn *c = &conns[i];
        if (c->fd < 0)
            continue;
        mp_imap_server_shutdown(&c->s, NULL);
        c->closing = 1;
        conn_flush(c);
        conn_free(c);
    }
    close(lfd);
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
    if (G.tls_ready)
        mp_tls_config_free(&G.tls);
#endif
    return 0;
}
