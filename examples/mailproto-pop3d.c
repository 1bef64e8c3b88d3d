/*
 * mailproto-pop3d: a small POP3 server over the Maildir that
 * mailproto-smtpd writes.  One thread, poll(), a fixed pool of sessions.
 *
 *   mailproto-pop3d --listen 127.0.0.1:1110 --maildir DIR
 *                   [--tls-cert F --tls-key F] [--implicit-tls]
 *                   [--passwd F] [--apop] [--max-conns N]
 *
 * The maildrop: DIR/new/ and DIR/cur/ (DIR/USER/ instead when that is a
 * Maildir of its own), listed at login in file-name order, which is
 * arrival order for Maildir names.  UIDL is the file name's unique part
 * (before the ":2," info), stable across sessions and moves from new/ to
 * cur/; a name that is not a valid unique-id (RFC 1939 §7) gets the MD5 of
 * itself in hex.  Sizes count CRLF line ends, as the messages go out.
 * DELE marks; the files are unlinked in UPDATE after QUIT only.  One
 * session per maildrop at a time: a second gets -ERR [IN-USE].
 *
 * Users: --passwd FILE ("user:password" lines) for USER/PASS, APOP
 * (--apop) and AUTH PLAIN/LOGIN/CRAM-MD5; without it any name and
 * password open DIR (a development sink, never for a real mailbox).
 * Cleartext logins are refused when TLS is offered (--tls-cert) and not
 * yet started.  A refused login is answered after a second.
 *
 * TLS needs the mbedTLS adapter (cmake -DMAILPROTO_WITH_MBEDTLS=ON).
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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
#include "mailproto/pop3_server.h"
#include "mailproto/sasl.h"
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
#include "mailproto/mbedtls.h"
#endif
#include "net/net.h"
#include "net/serve.h"

#define MAX_CONNS_DEFAULT 32
#define MAX_CONNS_LIMIT NET_SERVE_MAX
#define MAX_USERS 256
#define IDLE_TIMEOUT 600 /* seconds (RFC 1939 §3: at least 10 minutes) */

typedef net_user user_entry;

typedef struct message {
    char *path;      /* DIR/new/NAME or DIR/cur/NAME */
    char uid[71];
    uint64_t size;   /* with CRLF line ends */
    int deleted;
} message;

typedef struct conn {
    int fd; /* -1: free slot */
    mp_pop3_server s;
    mp_pop3_server_config cfg;
    mp_sasl_server sasl;
    char out[16384];
    char line[MP_POP3_SERVER_LINE_BUF_AUTH];
    char in[4096]; /* plaintext not yet fed */
    size_t in_len;
    char user[MP_SASL_MAX_NAME + 1];
    char drop[4096]; /* the maildrop directory, while locked */
    message *msgs;
    uint32_t nmsgs;
    /* The answer being streamed: RETR/TOP content from `body`. */
    int body;
    char buf[16384];
    size_t buf_off, buf_len;
    time_t refuse_at;  /* a refused login is answered then */
    mp_pop3_code refuse_code;
    int closing;
    int tls_switch;
    net_link link; /* TLS, once on */
} conn;

static struct {
    const char *listen, *maildir, *passwd, *cert, *key;
    int implicit_tls, apop;
    unsigned max_conns;
    user_entry users[MAX_USERS];
    unsigned nusers;
    char hostname[64];
    unsigned flags;
    mp_pop3_server_callbacks cb;
    mp_crypto_provider crypto;
    mp_sasl_server_config sasl_cfg;
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
    mp_tls_config tls;
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
    fprintf(stderr, "mailproto-pop3d: %s: %s\n", what, detail ? detail : "");
    return 1;
}

static void usage(FILE *f)
{
    fputs("usage: mailproto-pop3d --listen ADDR:PORT --maildir DIR [options]\n"
          "  --tls-cert FILE   PEM certificate chain: offer STLS (cleartext logins refused)\n"
          "  --tls-key FILE    PEM private key for --tls-cert\n"
          "  --implicit-tls    TLS from the first byte (port 995 style)\n"
          "  --passwd FILE     user:password lines (without: any login opens DIR)\n"
          "  --apop            offer APOP (needs --passwd)\n"
          "  --max-conns N     simultaneous sessions (default 32, at most 256)\n",
          f);
}

/* ----------------------------------------------------------------------- */
/* The maildrop                                                            */
/* ----------------------------------------------------------------------- */

static const user_entry *find_user(const char *name, size_t n)
{
    return net_user_find(G.users, G.nusers, name, n);
}

/* Another session holds this maildrop. */
static int locked(const conn *self, const char *drop)
{
    unsigned i;
    for (i = 0; i < G.max_conns; i++)
        if (&conns[i] != self && conns[i].fd >= 0 && conns[i].msgs != NULL &&
            strcmp(conns[i].drop, drop) == 0)
            return 1;
    return 0;
}

static void drop_free(conn *c)
{
    uint32_t i;
    for (i = 0; i < c->nmsgs; i++)
        free(c->msgs[i].path);
    free(c->msgs);
    c->msgs = NULL;
    c->nmsgs = 0;
    c->drop[0] = '\0';
}

static int by_name(const void *a, const void *b)
{
    const char *x = strrchr(((const message *)a)->path, '/');
    const char *y = strrchr(((const message *)b)->path, '/');
    return strcmp(x, y);
}

/* Octets as sent: every LF not after a CR becomes CRLF. */
static int measure(const char *path, uint64_t *size)
{
    char b[65536];
    int fd = open(path, O_RDONLY);
    char prev = 0;
    ssize_t k;
    *size = 0;
    if (fd < 0)
        return -1;
    while ((k = read(fd, b, sizeof(b))) > 0) {
        ssize_t i;
        for (i = 0; i < k; i++) {
            if (b[i] == '\n' && prev != '\r')
                (*size)++;
            prev = b[i];
        }
        *size += (uint64_t)k;
    }
    close(fd);
    return k < 0 ? -1 : 0;
}

/* The unique part of a Maildir name, or its MD5 when that is not a
 * unique-id RFC 1939 accepts. */
static void make_uid(const char *name, char *uid)
{
    size_t n = strcspn(name, ":"), i;
    int ok = n > 0 && n <= 70;
    for (i = 0; ok && i < n; i++)
        ok = name[i] > ' ' && name[i] <= '~';
    if (ok) {
        memcpy(uid, name, n);
        uid[n] = '\0';
    } else {
        mp_hash_ctx h;
        uint8_t d[16];
        G.crypto.md5->init(&h);
        G.crypto.md5->update(&h, name, n);
        G.crypto.md5->final(&h, d);
        for (i = 0; i < 16; i++)
            sprintf(uid + 2 * i, "%02x", d[i]);
    }
}

static int drop_open(conn *c)
{
    static const char *const sub[2] = {"new", "cur"};
    struct stat st;
    size_t cap = 0;
    int j;
    snprintf(c->drop, sizeof(c->drop), "%s/%s", G.maildir, c->user);
    if (c->user[0] == '\0' || strchr(c->user, '/') || c->user[0] == '.' ||
        stat(c->drop, &st) != 0 || !S_ISDIR(st.st_mode))
        snprintf(c->drop, sizeof(c->drop), "%s", G.maildir);
    for (j = 0; j < 2; j++) {
        char dir[4200];
        DIR *d;
        struct dirent *e;
        snprintf(dir, sizeof(dir), "%s/%s", c->drop, sub[j]);
        if ((d = opendir(dir)) == NULL)
            continue;
        while ((e = readdir(d)) != NULL && c->nmsgs < MP_POP3_MSGNO_MAX) {
            message *m;
            if (e->d_name[0] == '.')
                continue;
            if (c->nmsgs == cap) {
                message *nm = realloc(c->msgs, (cap = cap ? 2 * cap : 64) * sizeof(*nm));
                if (nm == NULL)
                    break;
                c->msgs = nm;
            }
            m = &c->msgs[c->nmsgs];
            memset(m, 0, sizeof(*m));
            if ((m->path = malloc(strlen(dir) + strlen(e->d_name) + 2)) == NULL)
                break;
            sprintf(m->path, "%s/%s", dir, e->d_name);
            if (measure(m->path, &m->size) != 0) {
                free(m->path);
                continue;
            }
            make_uid(e->d_name, m->uid);
            c->nmsgs++;
        }
        closedir(d);
    }
    if (c->msgs == NULL)
        c->msgs = malloc(sizeof(message)); /* an empty maildrop is still locked */
    if (c->msgs == NULL)
        return -1;
    qsort(c->msgs, c->nmsgs, sizeof(message), by_name);
    return 0;
}

/* ----------------------------------------------------------------------- */
/* Decisions                                                               */
/* ----------------------------------------------------------------------- */

static void refuse_later(conn *c, mp_pop3_code code)
{
    /* Guessing passwords costs a second per try. */
    c->refuse_at = time(NULL) + 1;
    c->refuse_code = code;
}

static void open_maildrop(conn *c)
{
    uint64_t total = 0;
    uint32_t i;
    if (drop_open(c) != 0) {
        drop_free(c);
        mp_pop3_server_err(&c->s, MP_POP3_CODE_SYS_TEMP, "cannot read the maildrop");
        return;
    }
    if (locked(c, c->drop)) {
        drop_free(c);
        mp_pop3_server_err(&c->s, MP_POP3_CODE_IN_USE, "maildrop already locked");
        return;
    }
    for (i = 0; i < c->nmsgs; i++)
        total += c->msgs[i].size;
    mp_pop3_server_open(&c->s, c->nmsgs, total);
}

static void start_content(conn *c, uint32_t k)
{
    c->body = open(c->msgs[k - 1].path, O_RDONLY);
    if (c->body < 0) {
        mp_pop3_server_err(&c->s, MP_POP3_CODE_SYS_TEMP, "cannot read the message");
        return;
    }
    c->buf_off = c->buf_len = 0;
    mp_pop3_server_content_begin(&c->s, NULL);
}

/* Push the message through the session as far as its output holds. */
static void pump_content(conn *c)
{
    while (c->body >= 0) {
        size_t used = 0;
        mp_status st;
        if (c->buf_off == c->buf_len) {
            ssize_t k = read(c->body, c->buf, sizeof(c->buf));
            if (k <= 0) {
                close(c->body);
                c->body = -1;
                mp_pop3_server_content_end(&c->s);
                return;
            }
            c->buf_off = 0;
            c->buf_len = (size_t)k;
        }
        st = mp_pop3_server_content(&c->s, c->buf + c->buf_off, c->buf_len - c->buf_off, &used);
        c->buf_off += used;
        if (st == MP_DONE) {
            close(c->body);
            c->body = -1;
            mp_pop3_server_content_end(&c->s);
            return;
        }
        if (st != MP_OK || used == 0) {
            if (st != MP_OK) { /* the session ended the answer itself */
                close(c->body);
                c->body = -1;
            }
            return; /* the output is full: send, then come back */
        }
    }
}

static void update(conn *c)
{
    uint32_t i, failed = 0;
    for (i = 0; i < c->nmsgs; i++)
        if (c->msgs[i].deleted && unlink(c->msgs[i].path) != 0 && errno != ENOENT)
            failed++;
    drop_free(c); /* unlocked */
    if (failed)
        mp_pop3_server_err(&c->s, MP_POP3_CODE_SYS_TEMP, "some deleted messages not removed");
    else
        mp_pop3_server_ok(&c->s, NULL);
}

static void answer_auth(conn *c)
{
    mp_sasl_server *a = &c->sasl;
    const user_entry *u = find_user(a->authcid.ptr, a->authcid.len);
    if (a->want == MP_SASL_WANT_SECRET && u)
        mp_sasl_server_set_secret(a, u->pass, strlen(u->pass));
    else
        mp_sasl_server_verify(a, a->want == MP_SASL_WANT_VERIFY && u &&
                                     strlen(u->pass) == a->password.len &&
                                     mp_ct_equal(u->pass, a->password.ptr, a->password.len));
    mp_pop3_server_auth_resume(&c->s);
}

static int cb_decide(void *user, mp_pop3_server *s, const mp_pop3_request *rq)
{
    conn *c = user;
    const user_entry *u;
    message *m = rq->msgno && c->msgs ? &c->msgs[rq->msgno - 1] : NULL;
    uint32_t i, live = 0;
    uint64_t size = 0;
    switch (rq->decision) {
    case MP_POP3_DECIDE_USER:
        snprintf(c->user, sizeof(c->user), "%.*s", (int)rq->name.len, rq->name.ptr);
        mp_pop3_server_ok(s, NULL);
        break;
    case MP_POP3_DECIDE_PASS:
        u = find_user(c->user, strlen(c->user));
        if (G.nusers == 0 || (u && strlen(u->pass) == rq->secret.len &&
                              mp_ct_equal(u->pass, rq->secret.ptr, rq->secret.len)))
            open_maildrop(c);
        else
            refuse_later(c, MP_POP3_CODE_AUTH);
        break;
    case MP_POP3_DECIDE_APOP:
        snprintf(c->user, sizeof(c->user), "%.*s", (int)rq->name.len, rq->name.ptr);
        u = find_user(c->user, strlen(c->user));
        if (u && mp_pop3_server_apop_check(s, u->pass, strlen(u->pass)) == MP_OK)
            open_maildrop(c);
        else
            refuse_later(c, MP_POP3_CODE_AUTH);
        break;
    case MP_POP3_DECIDE_AUTH:
        answer_auth(c);
        break;
    case MP_POP3_DECIDE_LOGIN:
        snprintf(c->user, sizeof(c->user), "%.*s", (int)rq->name.len, rq->name.ptr);
        open_maildrop(c);
        break;
    case MP_POP3_DECIDE_STAT:
        for (i = 0; i < c->nmsgs; i++)
            if (!c->msgs[i].deleted) {
                live++;
                size += c->msgs[i].size;
            }
        mp_pop3_server_stat(s, live, size);
        break;
    case MP_POP3_DECIDE_LIST:
    case MP_POP3_DECIDE_UIDL:
        /* Listed one message at a time (MP_POP3_SRV_LIST_EACH). */
        if (m == NULL || m->deleted)
            mp_pop3_server_err(s, MP_POP3_CODE_NONE, "no such message");
        else if (rq->decision == MP_POP3_DECIDE_LIST)
            mp_pop3_server_list(s, rq->msgno, m->size);
        else
            mp_pop3_server_uidl(s, rq->msgno, mp_slice_make(m->uid, strlen(m->uid)));
        break;
    case MP_POP3_DECIDE_RETR:
    case MP_POP3_DECIDE_TOP:
        if (m == NULL || m->deleted)
            mp_pop3_server_err(s, MP_POP3_CODE_NONE, "no such message");
        else
            start_content(c, rq->msgno);
        break;
    case MP_POP3_DECIDE_DELE:
        if (m == NULL || m->deleted) {
            mp_pop3_server_err(s, MP_POP3_CODE_NONE, "message already deleted");
        } else {
            m->deleted = 1;
            mp_pop3_server_ok(s, NULL);
        }
        break;
    case MP_POP3_DECIDE_RSET:
        for (i = 0; i < c->nmsgs; i++)
            c->msgs[i].deleted = 0;
        mp_pop3_server_ok(s, NULL);
        break;
    case MP_POP3_DECIDE_UPDATE:
        update(c);
        break;
    default:
        mp_pop3_server_err(s, MP_POP3_CODE_NONE, NULL);
        break;
    }
    return 0;
}

static void cb_error(void *u, mp_pop3_server *s, const mp_error *e)
{
    (void)u;
    (void)s;
    if (e->code == MP_ERR_TLS_INJECTION || e->code == MP_ERR_TOO_MANY_ERRORS)
        fprintf(stderr, "mailproto-pop3d: %s at %llu\n", mp_strerror(e->code),
                (unsigned long long)e->offset);
}

/* ----------------------------------------------------------------------- */
/* Connections                                                             */
/* ----------------------------------------------------------------------- */

static void conn_free(conn *c)
{
    if (c->body >= 0)
        close(c->body);
    c->body = -1;
    drop_free(c); /* unlocked, nothing committed */
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

static int conn_open(conn *c, int fd)
{
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    c->body = -1;
    c->cfg.hostname = G.hostname;
    c->cfg.flags = G.flags;
    c->cfg.line_buf = c->line;
    c->cfg.line_cap = sizeof(c->line);
    c->cfg.crypto = &G.crypto;
    c->cfg.implementation = "mailproto-pop3d";
    if (G.nusers > 0) {
        c->cfg.auth_mechs = "PLAIN LOGIN CRAM-MD5";
        c->cfg.sasl = &c->sasl;
        c->cfg.sasl_cfg = &G.sasl_cfg;
    }
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
    if (G.implicit_tls) {
        mp_status ts = mp_tls_pump_setup(&c->link.pump, &G.tls.conf, NULL);
        if (ts != MP_OK && ts != MP_NEED_MORE)
            return -1;
        c->link.tls_on = 1;
    }
#endif
    return mp_pop3_server_init(&c->s, &c->cfg, &G.cb, c, c->out, sizeof(c->out)) == MP_OK ? 0
                                                                                        : -1;
}

static const char *out_get(void *s, size_t *n) { return mp_pop3_server_output(s, n); }
static void out_done(void *s, size_t n) { mp_pop3_server_output_done(s, n); }

/* Send what can be sent now.  Returns -1 on a fatal socket error. */
static int conn_flush(conn *c)
{
    net_out o = {out_get, out_done, &c->s};
    return net_link_flush(&c->link, c->fd, &o);
}

static int conn_has_output(conn *c)
{
    size_t n;
    mp_pop3_server_output(&c->s, &n);
    return n + net_link_backlog(&c->link) > 0;
}

/* Feed buffered plaintext (possibly none: the session may go on with what
 * it waited for).  Stops at a pending decision or a full output. */
static void conn_feed(conn *c)
{
    size_t off = 0;
    while (!c->closing && !c->tls_switch) {
        size_t used = 0;
        mp_status st = mp_pop3_server_feed(&c->s, c->in + off, c->in_len - off, &used);
        off += used;
        if (st == MP_OK)
            break;
        if (st == MP_PAUSED)
            break; /* a decision (answered below) or a full output */
        if (st == MP_TRANSPORT_SWITCH) {
            /* Plaintext after STLS is dropped, never read. */
            off = c->in_len;
            c->tls_switch = 1;
            break;
        }
        c->closing = 1; /* MP_CLOSED, or an error */
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
}

#ifdef MP_EXAMPLE_HAVE_MBEDTLS
static int conn_tls_read(conn *c)
{
    return net_link_tls_read(&c->link, c->in, sizeof(c->in), &c->in_len) < 0 ? -1 : 0;
}
#endif

/* Move everything that can move; -1 when the connection is done. */
static int conn_service(conn *c)
{
    int round;
    for (round = 0; round < 256; round++) {
        size_t in0 = c->in_len, o0;
        int progress = 0;
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
        if (c->link.tls_on && conn_tls_read(c) != 0 && c->in_len == 0)
            c->closing = 1;
#endif
        if (c->refuse_at && time(NULL) >= c->refuse_at) {
            c->refuse_at = 0;
            mp_pop3_server_err(&c->s, c->refuse_code, NULL);
            progress = 1;
        }
        if (c->body >= 0)
            pump_content(c);
        if (c->body < 0 && !c->refuse_at)
            conn_feed(c);
        progress |= c->in_len != in0;
        {
            size_t n;
            mp_pop3_server_output(&c->s, &n);
            o0 = n;
        }
        if (conn_flush(c) != 0)
            return -1;
        {
            size_t n;
            mp_pop3_server_output(&c->s, &n);
            progress |= n < o0;
        }
        if (mp_pop3_server_state_of(&c->s) == MP_POP3_SS_CLOSED)
            c->closing = 1;
        if (c->tls_switch && !conn_has_output(c)) {
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
            if (mp_tls_pump_setup(&c->link.pump, &G.tls.conf, NULL) != MP_NEED_MORE)
                return -1;
            c->link.tls_on = 1;
#endif
            c->tls_switch = 0;
            mp_pop3_server_tls_started(&c->s);
            progress = 1;
        }
        if (c->closing && !conn_has_output(c))
            return -1;
        if (!progress)
            break;
    }
    return 0;
}

/* Readable socket: one read into c->in (through the pump under TLS). */
static int conn_read(conn *c)
{
    ssize_t k;
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
    if (c->link.tls_on) {
        size_t room;
        unsigned char *b = mp_tls_pump_recv_buf(&c->link.pump, &room);
        if (room > 0) {
            k = recv(c->fd, b, room, 0);
            if (k == 0)
                return -1;
            if (k < 0)
                return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
            if (mp_is_error(mp_tls_pump_recv_done(&c->link.pump, (size_t)k))) {
                conn_flush(c);
                return -1;
            }
        }
        return conn_service(c);
    }
#endif
    if (c->in_len < sizeof(c->in)) {
        k = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
        if (k == 0)
            return -1; /* dropped: nothing committed */
        if (k < 0)
            return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
        c->in_len += (size_t)k;
    }
    return conn_service(c);
}

/* ----------------------------------------------------------------------- */
/* Setup                                                                   */
/* ----------------------------------------------------------------------- */

/* The slots of net_serve(): conns[i]. */
static int slot_fd(unsigned i) { return conns[i].fd; }

static int slot_open(unsigned i, int fd, const struct sockaddr_storage *ss)
{
    (void)ss;
    return conn_open(&conns[i], fd) != 0 || conn_service(&conns[i]) != 0 ? -1 : 0;
}

static int slot_prepare(unsigned i, int idle)
{
    conn *c = &conns[i];
    int ev = 0;
    if (idle || conn_service(c) != 0)
        return -1; /* RFC 1939 §3: an idle session ends without UPDATE */
    if (!c->closing && !c->tls_switch)
        ev |= POLLIN;
    if (conn_has_output(c))
        ev |= POLLOUT;
    return ev;
}

static int slot_read(unsigned i) { return conn_read(&conns[i]); }
static int slot_write(unsigned i) { return conn_service(&conns[i]); }
static void slot_close(unsigned i) { conn_free(&conns[i]); }

static int parse_args(int argc, char **argv)
{
    int i;
    G.max_conns = MAX_CONNS_DEFAULT;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(a, "--implicit-tls") == 0) {
            G.implicit_tls = 1;
        } else if (strcmp(a, "--apop") == 0) {
            G.apop = 1;
        } else if (v == NULL) {
            fprintf(stderr, "mailproto-pop3d: unknown option or missing value: %s\n", a);
            return -1;
        } else if (strcmp(a, "--listen") == 0) {
            G.listen = argv[++i];
        } else if (strcmp(a, "--maildir") == 0) {
            G.maildir = argv[++i];
        } else if (strcmp(a, "--passwd") == 0) {
            G.passwd = argv[++i];
        } else if (strcmp(a, "--tls-cert") == 0) {
            G.cert = argv[++i];
        } else if (strcmp(a, "--tls-key") == 0) {
            G.key = argv[++i];
        } else if (strcmp(a, "--max-conns") == 0) {
            G.max_conns = (unsigned)strtoul(argv[++i], NULL, 10);
            if (G.max_conns < 1 || G.max_conns > MAX_CONNS_LIMIT)
                return -1;
        } else {
            fprintf(stderr, "mailproto-pop3d: unknown option: %s\n", a);
            return -1;
        }
    }
    if (G.listen == NULL || G.maildir == NULL) {
        usage(stderr);
        return -1;
    }
    if ((G.cert == NULL) != (G.key == NULL) || (G.implicit_tls && G.cert == NULL)) {
        fprintf(stderr, "mailproto-pop3d: --tls-cert and --tls-key go together "
                        "(and --implicit-tls needs them)\n");
        return -1;
    }
    if (G.apop && G.passwd == NULL) {
        fprintf(stderr, "mailproto-pop3d: --apop needs --passwd\n");
        return -1;
    }
    return 0;
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
    if (G.cert)
        return die("built without TLS", "configure with -DMAILPROTO_WITH_MBEDTLS=ON");
#else
    if (G.cert && (mp_tls_config_init(&G.tls, MP_TLS_SERVER) != MP_OK ||
                   mp_tls_config_own_cert_file(&G.tls, G.cert, G.key, NULL) != MP_OK))
        return die("cannot load the TLS certificate or key", G.cert);
#endif
    if (gethostname(G.hostname, sizeof(G.hostname) - 1) != 0 || G.hostname[0] == '\0')
        snprintf(G.hostname, sizeof(G.hostname), "localhost");
    for (i = 0; G.hostname[i]; i++)
        if (G.hostname[i] <= ' ' || G.hostname[i] > '~')
            G.hostname[i] = '-';
    if (G.passwd && net_passwd_load(G.passwd, G.users, MAX_USERS, &G.nusers) != 0)
        return die("cannot read the password file (user:password lines)", G.passwd);
    G.crypto = mp_crypto_builtin(net_random, NULL);
    G.sasl_cfg.hostname = mp_slice_make(G.hostname, strlen(G.hostname));
    G.flags = MP_POP3_SRV_LIST_EACH | MP_POP3_SRV_CONTENT_LF | MP_POP3_SRV_LAX;
    if (G.cert && !G.implicit_tls)
        G.flags |= MP_POP3_SRV_STLS | MP_POP3_SRV_TLS_REQUIRED;
    if (G.implicit_tls)
        G.flags |= MP_POP3_SRV_TLS_ACTIVE;
    if (G.apop)
        G.flags |= MP_POP3_SRV_APOP;
    if (G.nusers > 0)
        G.flags |= MP_POP3_SRV_AUTH;
    G.cb.on_decide = cb_decide;
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
    v.poll_ms = 200; /* a refused login is answered a second later */
    v.idle_secs = IDLE_TIMEOUT;
    v.nodelay = 1;   /* a pipelined RETR batch goes out whole (bench/pop3d-vs-dovecot) */
    /* An implicit-TLS port speaks only TLS: a plaintext -ERR would be a
     * broken record to the client. */
    v.busy = G.implicit_tls ? NULL : "-ERR [SYS/TEMP] Too many connections, try later\r\n";
    v.stop = &stop_flag;
    v.fd = slot_fd;
    v.open = slot_open;
    v.prepare = slot_prepare;
    v.read = slot_read;
    v.write = slot_write;
    v.close = slot_close;
    if (net_serve(lfd, &v) != 0)
        fprintf(stderr, "mailproto-pop3d: poll failed: %s\n", strerror(errno));
    for (i = 0; i < G.max_conns; i++)
        if (conns[i].fd >= 0) {
            mp_pop3_server_shutdown(&conns[i].s, NULL);
            conn_flush(&conns[i]);
            conn_free(&conns[i]);
        }
    close(lfd);
    return 0;
}
