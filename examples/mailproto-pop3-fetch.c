/*
 * mailproto-pop3-fetch: download a POP3 mailbox into a Maildir.
 *
 *   mailproto-pop3-fetch --server HOST:PORT --user U --pass P --maildir DIR
 *                        [--starttls | --tls] [--cafile FILE] [--keep | --delete]
 *                        [--mech NAME|APOP|USER] [--auth-cleartext] [--state FILE]
 *                        [--max-size BYTES] [--timeout SECONDS] [--verbose]
 *
 * Nothing is ever lost, and nothing is stored twice:
 *  - a message is written to DIR/tmp/, fsynced, linked into DIR/new/ and
 *    the directory fsynced before it is DELEted on the server (--delete);
 *  - its file name carries a key made from the server, the user and the
 *    message's UIDL (SHA-256, 128 bits), so a message already in new/ or
 *    cur/ is never fetched again, whenever the previous run was killed;
 *  - the state file remembers the keys of the messages stored, so that a
 *    message the user later removed from the Maildir is not fetched
 *    again; it is replaced atomically (written, fsynced, renamed, the
 *    directory fsynced) at the end of a run and every 100 messages;
 *  - one run at a time per mailbox (a lock file beside the state).
 * A server without UIDL (RFC 1939 §7 makes it optional): every message is
 * downloaded, and its key comes from the SHA-256 of its content instead, so
 * it is stored once; with --keep such a mailbox is downloaded again on
 * every run (two messages with the same bytes are stored once).
 *
 * Exit status:
 *   0  every message was stored (and, with --delete, deleted)
 *   1  the server refused some RETR or DELE, or QUIT (the others are stored)
 *   2  usage error, or a TLS option in a build without TLS
 *   3  connection or protocol error
 *   4  TLS error (STLS not offered or refused, handshake, certificate)
 *   5  authentication failed, or no acceptable login method
 *   6  the Maildir or the state file could not be written
 * Any failure prints one line on standard error.
 *
 * The program is a plain host of the sans-I/O session (pop3_client.h):
 * blocking sockets and poll(); the session never touches the network.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "mailproto/crypto.h"
#include "mailproto/pop3_client.h"
#include "mailproto/sasl.h"
#include "net/net.h"

enum { EX_OK = 0, EX_SOME = 1, EX_USAGE = 2, EX_PROTO = 3, EX_TLS = 4, EX_AUTH = 5, EX_STORE = 6 };

static const char *usage_text =
    "usage: mailproto-pop3-fetch --server HOST:PORT --user U --pass P --maildir DIR\n"
    "                            [--starttls | --tls] [--cafile FILE] [--keep | --delete]\n"
    "                            [--mech NAME] [--auth-cleartext] [--state FILE]\n"
    "                            [--max-size BYTES] [--timeout SECONDS] [--verbose]\n"
    "  --server HOST:PORT  POP3 server; HOST is a name, an IPv4 address or an IPv6\n"
    "                      address in brackets ([::1]:110)\n"
    "  --user U, --pass P  the mailbox's credentials\n"
    "  --maildir DIR       the Maildir to fill (tmp/, new/, cur/ are created)\n"
    "  --starttls          require STLS (fail when not offered or refused)\n"
    "  --tls               implicit TLS from the first byte (port 995)\n"
    "  --cafile FILE       trusted CAs in PEM (default /etc/ssl/certs/ca-certificates.crt);\n"
    "                      the certificate must name HOST\n"
    "  --keep              leave the messages on the server (the default)\n"
    "  --delete            delete each message on the server once it is stored\n"
    "  --mech NAME         log in this way only: a SASL mechanism (it must be offered),\n"
    "                      APOP or USER (USER/PASS); default: the best offered of\n"
    "                      SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5, PLAIN, LOGIN, then APOP,\n"
    "                      then USER/PASS\n"
    "  --auth-cleartext    allow USER/PASS, PLAIN and LOGIN without TLS (the password\n"
    "                      crosses the network in the clear); APOP, CRAM-MD5 and SCRAM\n"
    "                      are allowed without TLS anyway\n"
    "  --state FILE        the state file (default DIR/mailproto-pop3-fetch.KEY.state,\n"
    "                      KEY from the server and the user)\n"
    "  --max-size BYTES    the longest answer accepted, a message with its byte-stuffing\n"
    "                      (default 1 GiB): a server that sends more, or never ends a\n"
    "                      message, ends the run (exit 3), nothing of it stored\n"
    "  --timeout SECONDS   network timeout (default 60)\n"
    "  --verbose           print the dialogue on standard error (S: answers, C: commands;\n"
    "                      passwords and message bodies left out)\n"
    "  --help              this text\n"
    "messages are stored with LF line ends (Maildir); each once, however a run ended:\n"
    "  the file name carries a key of the server, the user and the UIDL (or, from a\n"
    "  server without UIDL, of the content); a message is on disk (fsynced) before it\n"
    "  is deleted on the server\n"
    "exit: 0 all stored, 1 the server refused some messages, 2 usage, 3 connection/\n"
    "      protocol error, 4 TLS error, 5 authentication failed, 6 Maildir/state error\n";

static int verbose;
static int exit_code = -1; /* the first failure recorded, or -1 */
static char exit_msg[512];

static void quit_and_exit(void);

/* Record a failure (the first one wins). */
static void vnote(int code, const char *fmt, va_list ap)
{
    if (exit_code >= 0)
        return;
    exit_code = code;
    vsnprintf(exit_msg, sizeof(exit_msg), fmt, ap);
}

static void note_failure(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vnote(code, fmt, ap);
    va_end(ap);
}

/* Callbacks never end the program (they run inside the session's feed):
 * they record the failure with store_failed() and return
 * MP_POP3_CB_ABORT; the loop then ends the run. */
static int store_failed(const char *what, const char *path)
{
    note_failure(EX_STORE, "%s %s: %s", what, path, strerror(errno));
    return -1;
}

/* Record a failure and end: the session with QUIT where that is sound. */
static void die(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vnote(code, fmt, ap);
    va_end(ap);
    quit_and_exit();
}

/* ----------------------------------------------------------------------- */
/* Transport: a socket, optionally under TLS through the mbedTLS pump      */
/* ----------------------------------------------------------------------- */

static struct {
    net_conn *c;    /* examples/net: the socket, under TLS when asked */
    int timeout_ms;
    int timed_out;  /* the server stopped answering: no QUIT */
    const char *cafile;
} net = { .timeout_ms = 60000, .cafile = "/etc/ssl/certs/ca-certificates.crt" };

static void conn_failed(int r)
{
    if (r == NET_ETIMEOUT) {
        net.timed_out = 1;
        die(EX_PROTO, "timeout after %d s", net.timeout_ms / 1000);
    }
    die(r == NET_ETLS ? EX_TLS : r == NET_ENOTLS ? EX_USAGE : EX_PROTO, "%s", net_error(net.c));
}

static void conn_send(const char *p, size_t n)
{
    int r = net_send(net.c, p, n);
    if (r < 0)
        conn_failed(r);
}

/* Plaintext from the server; 0 when it closed. */
static size_t conn_recv(char *p, size_t cap)
{
    long r = net_recv(net.c, p, cap, net.timeout_ms);
    if (r < 0)
        conn_failed((int)r);
    return (size_t)r;
}

/* ----------------------------------------------------------------------- */
/* Keys: which message is which, across runs                               */
/* ----------------------------------------------------------------------- */

#define KEY_HEX 32 /* 128 bits of SHA-256, in hex */

static const char *server_arg, *user_arg;

static void hex(const uint8_t *d, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15u];
    }
    out[2 * n] = '\0';
}

/* The key of a message: SHA-256 of the server, the user and its id (the
 * UIDL, or "sha256:" and the content's digest), cut to 128 bits. */
static void make_key(const char *id, size_t idlen, char out[KEY_HEX + 1])
{
    mp_hash_ctx ctx;
    uint8_t d[32];
    mp_sha256_builtin.init(&ctx);
    mp_sha256_builtin.update(&ctx, server_arg, strlen(server_arg) + 1);
    mp_sha256_builtin.update(&ctx, user_arg, strlen(user_arg) + 1);
    mp_sha256_builtin.update(&ctx, id, idlen);
    mp_sha256_builtin.final(&ctx, d);
    hex(d, KEY_HEX / 2, out);
}

/* A set of keys: open addressing, grown at half full. */
typedef struct keyset {
    char (*slot)[KEY_HEX + 1];
    size_t cap, n;
} keyset;

static size_t key_hash(const char *k)
{
    size_t h = 0;
    int i;
    for (i = 0; i < 8; i++)
        h = h * 16u + (size_t)(k[i] <= '9' ? k[i] - '0' : k[i] - 'a' + 10);
    return h;
}

static int keyset_has(const keyset *s, const char *k)
{
    size_t i;
    if (s->cap == 0)
        return 0;
    for (i = key_hash(k) % s->cap; s->slot[i][0] != '\0'; i = (i + 1) % s->cap)
        if (memcmp(s->slot[i], k, KEY_HEX) == 0)
            return 1;
    return 0;
}

static void keyset_add(keyset *s, const char *k)
{
    size_t i;
    if (keyset_has(s, k))
        return;
    if (2 * (s->n + 1) > s->cap) {
        keyset old = *s;
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->slot = calloc(s->cap, sizeof(*s->slot));
        if (s->slot == NULL) {
            fputs("mailproto-pop3-fetch: out of memory\n", stderr);
            exit(EX_STORE);
        }
        s->n = 0;
        for (i = 0; i < old.cap; i++)
            if (old.slot[i][0] != '\0')
                keyset_add(s, old.slot[i]);
        free(old.slot);
    }
    for (i = key_hash(k) % s->cap; s->slot[i][0] != '\0'; i = (i + 1) % s->cap)
        ;
    memcpy(s->slot[i], k, KEY_HEX);
    s->slot[i][KEY_HEX] = '\0';
    s->n++;
}

/* ----------------------------------------------------------------------- */
/* The Maildir and the state file                                          */
/* ----------------------------------------------------------------------- */

static struct {
    const char *dir;
    char state[4000], lock[4096];
    int dirfd, newfd;
    char hostname[128];
    keyset stored;   /* keys in new/ and cur/, and stored this run */
    keyset seen;     /* keys of the state file (stored once, maybe moved since) */
    keyset present;  /* keys the server listed this run (for the next state) */
    int listed;      /* `present` holds the whole UIDL listing */
    unsigned since_state; /* messages stored since the state was written */
    /* the message being written */
    int fd;
    char tmp[4096], name[512];
    int cr;          /* a CR waits: CRLF becomes LF */
    mp_hash_ctx sha; /* content digest (servers without UIDL) */
    int hash;        /* compute it */
} md = { .dirfd = -1, .newfd = -1, .fd = -1 };

static void md_path(char *out, size_t cap, const char *sub, const char *name)
{
    if ((size_t)snprintf(out, cap, "%s/%s%s%s", md.dir, sub, name[0] ? "/" : "", name) >= cap)
        die(EX_STORE, "path too long under %s", md.dir);
}

/* "<time>.mpf-<key>.<host>": the key is found in any name a mail reader
 * gives the file later (new/ to cur/, ":2,S" flags). */
static int name_key(const char *name, char out[KEY_HEX + 1])
{
    const char *p = strstr(name, ".mpf-");
    size_t i;
    if (p == NULL)
        return 0;
    p += 5;
    for (i = 0; i < KEY_HEX; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return 0;
    if (p[KEY_HEX] != '.')
        return 0;
    memcpy(out, p, KEY_HEX);
    out[KEY_HEX] = '\0';
    return 1;
}

static void md_scan(const char *sub, int clean)
{
    char path[4096], key[KEY_HEX + 1];
    struct dirent *e;
    DIR *d;
    md_path(path, sizeof(path), sub, "");
    d = opendir(path);
    if (d == NULL)
        die(EX_STORE, "cannot read %s: %s", path, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        if (clean && strstr(e->d_name, ".mpf-") != NULL) {
            /* Ours, left by a run that was killed: we hold the lock. */
            char f[4096];
            md_path(f, sizeof(f), sub, e->d_name);
            (void)unlink(f);
        } else if (!clean && name_key(e->d_name, key)) {
            keyset_add(&md.stored, key);
        }
    }
    closedir(d);
}

static void md_read_state(void)
{
    char line[128];
    FILE *f = fopen(md.state, "r");
    if (f == NULL) {
        if (errno != ENOENT)
            die(EX_STORE, "cannot read %s: %s", md.state, strerror(errno));
        return;
    }
    if (fgets(line, sizeof(line), f) == NULL || strcmp(line, "mailproto-pop3-fetch 1\n") != 0)
        die(EX_STORE, "%s is not a state file of this program", md.state);
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strlen(line) != KEY_HEX + 1)
            die(EX_STORE, "%s: malformed line", md.state);
        line[KEY_HEX] = '\0';
        keyset_add(&md.seen, line);
    }
    fclose(f);
}

/* The state, replaced atomically: what the server still has that was
 * stored (once the whole listing is known), else every key ever seen. */
static int md_write_state(void)
{
    char tmp[4200];
    size_t i;
    FILE *f;
    int fd, ok;
    snprintf(tmp, sizeof(tmp), "%s.tmp", md.state);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (f = fdopen(fd, "w")) == NULL)
        return store_failed("cannot write", tmp);
    ok = fputs("mailproto-pop3-fetch 1\n", f) >= 0;
    for (i = 0; i < md.seen.cap; i++) {
        const char *k = md.seen.slot[i];
        if (k[0] != '\0' && (!md.listed || keyset_has(&md.present, k)))
            ok = ok && fprintf(f, "%s\n", k) > 0;
    }
    ok = ok && fflush(f) == 0 && fsync(fd) == 0;
    if (fclose(f) != 0 || !ok || rename(tmp, md.state) != 0 || fsync(md.dirfd) != 0)
        return store_failed("cannot write", md.state);
    md.since_state = 0;
    return 0;
}

/* One run per mailbox; the lock goes with the process. */
static void md_lock(void)
{
    struct flock l;
    int fd = open(md.lock, O_RDWR | O_CREAT, 0600);
    memset(&l, 0, sizeof(l));
    l.l_type = F_WRLCK;
    l.l_whence = SEEK_SET;
    if (fd < 0)
        die(EX_STORE, "cannot open %s: %s", md.lock, strerror(errno));
    if (fcntl(fd, F_SETLK, &l) != 0)
        die(EX_STORE, "%s is locked: another run is fetching this mailbox", md.lock);
}

static void md_open(const char *dir, const char *state)
{
    static const char *const subs[] = { "", "tmp", "new", "cur" };
    char path[4096], key[KEY_HEX + 1];
    size_t i;
    md.dir = dir;
    for (i = 0; i < 4; i++) {
        md_path(path, sizeof(path), subs[i], "");
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            die(EX_STORE, "cannot create %s: %s", path, strerror(errno));
    }
    md.dirfd = open(dir, O_RDONLY | O_DIRECTORY);
    md_path(path, sizeof(path), "new", "");
    md.newfd = open(path, O_RDONLY | O_DIRECTORY);
    if (md.dirfd < 0 || md.newfd < 0)
        die(EX_STORE, "cannot open %s: %s", dir, strerror(errno));
    make_key("", 0, key);
    if ((size_t)(state != NULL ? snprintf(md.state, sizeof(md.state), "%s", state)
                               : snprintf(md.state, sizeof(md.state),
                                          "%s/mailproto-pop3-fetch.%.16s.state", dir, key)) >=
        sizeof(md.state))
        die(EX_USAGE, "path too long: %s", state != NULL ? state : dir);
    snprintf(md.lock, sizeof(md.lock), "%s.lock", md.state);
    md_lock();
    md_read_state();
    md_scan("tmp", 1);
    md_scan("new", 0);
    md_scan("cur", 0);
    if (gethostname(md.hostname, sizeof(md.hostname) - 1) != 0 || md.hostname[0] == '\0')
        strcpy(md.hostname, "localhost");
    /* Maildir: "/" and ":" cannot be in the host part of a name. */
    for (i = 0; md.hostname[i] != '\0'; i++)
        if (md.hostname[i] == '/' || md.hostname[i] == ':' || md.hostname[i] == '.')
            md.hostname[i] = '_';
}

static int md_known(const char *key) { return keyset_has(&md.stored, key) || keyset_has(&md.seen, key); }

static int md_begin(int hash)
{
    snprintf(md.tmp, sizeof(md.tmp), "%s/tmp/%ld.mpf-tmp%d.%s", md.dir, (long)time(NULL),
             (int)getpid(), md.hostname);
    md.fd = open(md.tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (md.fd < 0)
        return store_failed("cannot create", md.tmp);
    md.cr = 0;
    md.hash = hash;
    if (hash)
        mp_sha256_builtin.init(&md.sha);
    return 0;
}

static int md_put(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(md.fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return store_failed("cannot write", md.tmp);
        if (md.hash)
            mp_sha256_builtin.update(&md.sha, p, (size_t)k);
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Content bytes, CRLF as LF (Maildir); a bare CR stays. */
static int md_write(const char *p, size_t n)
{
    while (n > 0) {
        const char *cr;
        size_t run;
        if (md.cr) {
            md.cr = 0;
            if (p[0] != '\n' && md_put("\r", 1) != 0)
                return -1;
        }
        cr = memchr(p, '\r', n);
        run = cr ? (size_t)(cr - p) : n;
        if (md_put(p, run) != 0)
            return -1;
        p += run;
        n -= run;
        if (cr != NULL) {
            md.cr = 1;
            p++;
            n--;
        }
    }
    return 0;
}

/* The message is whole: on disk, then in new/ under its key.  `key` NULL:
 * the key of its content (a server without UIDL).  Returns 1 when stored,
 * 0 when it was already (the copy is dropped), -1 on a failure. */
static int md_commit(const char *key)
{
    char k[KEY_HEX + 1], final[4096], id[8 + 64 + 1];
    uint8_t d[32];
    if (md.cr && md_put("\r", 1) != 0)
        return -1;
    md.cr = 0;
    if (key == NULL) {
        mp_sha256_builtin.final(&md.sha, d);
        memcpy(id, "sha256:", 7);
        hex(d, sizeof(d), id + 7);
        make_key(id, strlen(id), k);
        key = k;
        keyset_add(&md.present, key);
    }
    if (md_known(key)) {
        close(md.fd);
        md.fd = -1;
        unlink(md.tmp);
        keyset_add(&md.seen, key);
        return 0;
    }
    if (fsync(md.fd) != 0)
        return store_failed("cannot fsync", md.tmp);
    close(md.fd);
    md.fd = -1;
    snprintf(md.name, sizeof(md.name), "%ld.mpf-%s.%s", (long)time(NULL), key, md.hostname);
    if ((size_t)snprintf(final, sizeof(final), "%s/new/%s", md.dir, md.name) >= sizeof(final) ||
        link(md.tmp, final) != 0)
        return store_failed("cannot link into new/:", md.tmp);
    unlink(md.tmp);
    if (fsync(md.newfd) != 0)
        return store_failed("cannot fsync", "new/");
    keyset_add(&md.stored, key);
    keyset_add(&md.seen, key);
    if (++md.since_state >= 100 && md_write_state() != 0)
        return -1;
    return 1;
}

static void md_abandon(void)
{
    if (md.fd >= 0) {
        close(md.fd);
        unlink(md.tmp);
        md.fd = -1;
    }
}

/* ----------------------------------------------------------------------- */
/* The session's host                                                      */
/* ----------------------------------------------------------------------- */

/* A message of the listing and what to do with it. */
typedef struct item {
    uint32_t msgno;
    char key[KEY_HEX + 1]; /* empty: unknown (no UIDL) */
    uint8_t fetch;         /* RETR it */
    uint8_t dele;          /* DELE it once stored (or now, when known) */
} item;

static struct {
    mp_pop3_client c;
    mp_pop3_client_login_params lp;
    mp_sasl_client sasl;
    mp_crypto_provider crypto;
    int delete_msgs;
    int logged_in, listing, listed, quit_sent, closed, abort;
    item *items;
    size_t nitems, cap, next;  /* next: the first item not yet issued */
    item *current;             /* the RETR being stored */
    uint32_t *dele_wait;       /* DELEs that found the queue full */
    size_t ndele_wait;
    size_t stored, known, refused, deleted;
} h;

static char outbuf[4096];
static char authbuf[MP_POP3_CLIENT_AUTH_BUF];

/* A failure inside a callback: recorded, and the session is aborted. */
static void cb_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vnote(code, fmt, ap);
    va_end(ap);
    h.abort = 1;
}

static void *grow(void *p, size_t *cap, size_t size)
{
    *cap = *cap ? 2 * *cap : 256;
    p = realloc(p, *cap * size);
    if (p == NULL) {
        fputs("mailproto-pop3-fetch: out of memory\n", stderr);
        exit(EX_STORE);
    }
    return p;
}

static item *find_item(uint32_t msgno)
{
    /* Listings come in message order: a binary search. */
    size_t lo = 0, hi = h.nitems;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (h.items[mid].msgno == msgno)
            return &h.items[mid];
        if (h.items[mid].msgno < msgno)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void add_item(uint32_t msgno, const char *key)
{
    item *it;
    if (h.nitems > 0 && h.items[h.nitems - 1].msgno >= msgno) {
        cb_fail(EX_PROTO, "the server listed message %u out of order", (unsigned)msgno);
        return;
    }
    if (h.nitems == h.cap)
        h.items = grow(h.items, &h.cap, sizeof(*h.items));
    it = &h.items[h.nitems++];
    memset(it, 0, sizeof(*it));
    it->msgno = msgno;
    if (key != NULL) {
        memcpy(it->key, key, sizeof(it->key));
        keyset_add(&md.present, key);
    }
    it->fetch = key == NULL || !md_known(key);
    it->dele = (uint8_t)h.delete_msgs;
    if (!it->fetch)
        h.known++;
}

/* Queue the next commands, as many as the session takes: the DELEs that
 * waited, RETR of what is new, DELE of what was stored before.  Returns
 * how many it queued. */
static int issue(void)
{
    mp_status st = MP_OK;
    int n = 0;
    while (h.ndele_wait > 0 && !h.abort) {
        st = mp_pop3_client_dele(&h.c, h.dele_wait[h.ndele_wait - 1]);
        if (st == MP_PAUSED)
            return n;
        if (st != MP_OK) {
            cb_fail(EX_PROTO, "cannot queue DELE: %s", mp_strerror(st));
            return n;
        }
        h.ndele_wait--;
        n++;
    }
    while (h.listed && h.next < h.nitems && exit_code < 0) {
        item *it = &h.items[h.next];
        if (it->fetch)
            st = mp_pop3_client_retr(&h.c, it->msgno);
        else if (it->dele)
            st = mp_pop3_client_dele(&h.c, it->msgno);
        if (st == MP_PAUSED)
            return n; /* the queue is full: again at the next answer */
        if (st != MP_OK) {
            cb_fail(EX_PROTO, "cannot queue a command: %s", mp_strerror(st));
            return n;
        }
        n += it->fetch || it->dele;
        h.next++;
    }
    return n;
}

/* A stored message may now be deleted on the server. */
static void dele_stored(uint32_t msgno)
{
    static size_t cap;
    mp_status st = mp_pop3_client_dele(&h.c, msgno);
    if (st != MP_OK && st != MP_PAUSED)
        cb_fail(EX_PROTO, "cannot queue DELE: %s", mp_strerror(st));
    if (st != MP_PAUSED)
        return;
    if (h.ndele_wait == cap)
        h.dele_wait = grow(h.dele_wait, &cap, sizeof(*h.dele_wait));
    h.dele_wait[h.ndele_wait++] = msgno;
}

static void on_ready(void)
{
    mp_status st;
    if (mp_pop3_client_phase_of(&h.c) == MP_POP3_PH_AUTHORIZATION) {
        mp_pop3_verb chosen;
        if (exit_code >= 0 || h.logged_in)
            goto quit;
        h.logged_in = 1; /* one attempt */
        st = mp_pop3_client_login(&h.c, &h.lp, &chosen);
        if (st == MP_OK) {
            if (verbose)
                fprintf(stderr, "mailproto-pop3-fetch: logging in with %s%s%s\n",
                        mp_pop3_verb_name(chosen), chosen == MP_POP3_AUTH ? " " : "",
                        chosen == MP_POP3_AUTH ? mp_sasl_mech_get((mp_sasl_mech)h.sasl.mech)->name
                                               : "");
            return;
        }
        if (st == MP_ERR_TLS_REQUIRED)
            note_failure(EX_AUTH, "refusing to send the password without TLS (the server offers "
                                  "no other way): use --starttls or --tls, or --auth-cleartext");
        else
            note_failure(st == MP_ERR_UNSUPPORTED ? EX_AUTH : EX_USAGE, "cannot log in: %s",
                         mp_strerror(st));
        goto quit;
    }
    /* TRANSACTION: first the listing. */
    if (!h.listing && exit_code < 0) {
        const mp_pop3_caps *caps = mp_pop3_client_caps(&h.c);
        h.listing = 1;
        /* RFC 2449 §6.8: UIDL listed, or no CAPA answer to tell. */
        if ((caps->flags & MP_POP3_CAP_UIDL) || caps->flags == 0)
            st = mp_pop3_client_uidl(&h.c, 0);
        else
            st = mp_pop3_client_stat(&h.c);
        if (st != MP_OK)
            cb_fail(EX_PROTO, "cannot list the mailbox: %s", mp_strerror(st));
        return;
    }
    /* QUIT only when nothing is under way: a RETR still to answer has
     * its DELE to come (RFC 1939 §6: QUIT commits what DELE marked). */
    if (issue() > 0 || (exit_code < 0 && (h.next < h.nitems || !h.listed)))
        return;
quit:
    if (!h.quit_sent && mp_pop3_client_quit(&h.c) == MP_OK)
        h.quit_sent = 1;
}

static void on_response(const mp_pop3_client_event *ev)
{
    const mp_pop3_resp_event *r = ev->resp;
    uint32_t i;
    switch (ev->verb) {
    case MP_POP3_UIDL:
        /* RFC 1939 §7: UIDL is optional; without it, STAT. */
        if (!r->ok && mp_pop3_client_stat(&h.c) != MP_OK)
            cb_fail(EX_PROTO, "cannot list the mailbox");
        break;
    case MP_POP3_STAT:
        if (!r->ok) {
            cb_fail(EX_PROTO, "STAT refused: %.*s", (int)r->text.len, r->text.ptr);
            break;
        }
        /* No UIDL: every message is fetched, its content is its key. */
        for (i = 1; i <= r->count && !h.abort; i++)
            add_item(i, NULL);
        h.listed = 1;
        (void)issue();
        break;
    case MP_POP3_RETR:
        if (!r->ok) {
            h.refused++;
            fprintf(stderr, "mailproto-pop3-fetch: message %u refused: %.*s\n",
                    (unsigned)ev->msgno, (int)r->text.len, r->text.ptr);
            note_failure(EX_SOME, "the server refused some messages");
            break;
        }
        h.current = find_item(ev->msgno);
        if (h.current != NULL && md_begin(h.current->key[0] == '\0') != 0)
            h.abort = 1;
        break;
    case MP_POP3_DELE:
        if (r->ok)
            h.deleted++;
        else
            note_failure(EX_SOME, "DELE %u refused: %.*s", (unsigned)ev->msgno,
                         (int)r->text.len, r->text.ptr);
        break;
    default:
        break;
    }
}

static void on_end(const mp_pop3_client_event *ev)
{
    int st;
    if (ev->verb == MP_POP3_UIDL) {
        h.listed = 1;
        md.listed = 1;
        (void)issue();
        return;
    }
    if (ev->verb != MP_POP3_RETR || h.current == NULL)
        return;
    if (ev->resp->err != NULL && verbose)
        fprintf(stderr, "mailproto-pop3-fetch: message %u has %s at byte %llu (stored as it is)\n",
                (unsigned)ev->msgno, mp_strerror(ev->resp->err->code),
                (unsigned long long)ev->resp->err->offset);
    st = md_commit(h.current->key[0] ? h.current->key : NULL);
    if (st < 0) {
        h.abort = 1;
        return;
    }
    if (st > 0)
        h.stored++;
    else
        h.known++;
    /* On disk: only now may the server forget it. */
    if (h.current->dele)
        dele_stored(h.current->msgno);
    h.current = NULL;
    (void)issue();
}

static int on_event(void *user, const mp_pop3_client_event *ev)
{
    const mp_pop3_resp_event *r = ev->resp;
    (void)user;
    if (verbose && r != NULL && ev->type != MP_POP3_CEV_CONTENT && ev->type != MP_POP3_CEV_END &&
        ev->type != MP_POP3_CEV_LIST && ev->type != MP_POP3_CEV_UIDL)
        fprintf(stderr, "S: %s%s%.*s%s%.*s\n",
                ev->type == MP_POP3_CEV_CAPA ? "" : r->ok ? "+OK" : "-ERR",
                r->code_text.len ? " [" : (ev->type == MP_POP3_CEV_CAPA ? "" : " "),
                (int)r->code_text.len, r->code_text.ptr, r->code_text.len ? "] " : "",
                (int)r->text.len, r->text.ptr);
    switch (ev->type) {
    case MP_POP3_CEV_READY:
        on_ready();
        break;
    case MP_POP3_CEV_LOGIN:
        if (!r->ok)
            note_failure(EX_AUTH, "login refused: %s%.*s%s%.*s", r->code_text.len ? "[" : "",
                         (int)r->code_text.len, r->code_text.ptr,
                         r->code_text.len ? "] " : "", (int)r->text.len, r->text.ptr);
        break;
    case MP_POP3_CEV_RESPONSE:
        on_response(ev);
        break;
    case MP_POP3_CEV_UIDL: {
        char key[KEY_HEX + 1];
        make_key(r->uid.ptr, r->uid.len, key);
        add_item(r->msgno, key);
        break;
    }
    case MP_POP3_CEV_CONTENT:
        if (h.current != NULL && md_write(r->text.ptr, r->text.len) != 0)
            h.abort = 1;
        break;
    case MP_POP3_CEV_END:
        on_end(ev);
        break;
    case MP_POP3_CEV_CLOSED:
        h.closed = 1;
        if (!r->ok)
            note_failure(EX_SOME, "QUIT refused, deletions not committed: %.*s",
                         (int)r->text.len, r->text.ptr);
        break;
    default:
        break;
    }
    return h.abort ? MP_POP3_CB_ABORT : MP_POP3_CB_CONTINUE;
}

/* --verbose: the command lines, passwords and SASL data masked. */
static void show_commands(const char *p, size_t n)
{
    while (verbose && n > 0) {
        const char *e = memchr(p, '\n', n);
        size_t len = e ? (size_t)(e - p) + 1 : n;
        size_t shown = len >= 2 && p[len - 2] == '\r' ? len - 2 : len;
        const char *sp = shown > 5 ? memchr(p + 5, ' ', shown - 5) : NULL;
        if (mp_pop3_client_phase_of(&h.c) != MP_POP3_PH_LOGIN ||
            (shown >= 5 && memcmp(p, "USER ", 5) == 0))
            fprintf(stderr, "C: %.*s\n", (int)shown, p);
        else if (shown >= 5 && (memcmp(p, "AUTH ", 5) == 0 || memcmp(p, "APOP ", 5) == 0))
            fprintf(stderr, "C: %.*s%s\n", (int)(sp ? (size_t)(sp - p) : shown), p,
                    sp ? " <credentials>" : "");
        else if (shown >= 5 && memcmp(p, "PASS ", 5) == 0)
            fputs("C: PASS <credentials>\n", stderr);
        else
            fputs("C: <SASL response>\n", stderr);
        p += len;
        n -= len;
    }
}

static void flush_output(void)
{
    size_t n;
    const char *p;
    while ((p = mp_pop3_client_output(&h.c, &n)), n > 0) {
        show_commands(p, n);
        conn_send(p, n);
        if (mp_pop3_client_output_done(&h.c, n) != MP_OK)
            die(EX_PROTO, "internal: output");
    }
}

static void session_failed(mp_status st)
{
    const mp_error *e = mp_pop3_client_error(&h.c);
    if (st == MP_ERR_ABORTED && exit_code >= 0)
        quit_and_exit(); /* a callback recorded why */
    int code = (st == MP_ERR_TLS_REQUIRED || st == MP_ERR_TLS_INJECTION) ? EX_TLS
               : st == MP_ERR_SASL_SERVER_PROOF                          ? EX_AUTH
                                                                         : EX_PROTO;
    die(code, "%s (at byte %llu%s%s)", mp_strerror(st), (unsigned long long)e->offset,
        e->rule ? ", " : "", e->rule ? e->rule : "");
}

static void feed_all(const char *p, size_t n)
{
    while (n > 0) {
        size_t used = 0;
        mp_status st = mp_pop3_client_feed(&h.c, p, n, &used);
        p += used;
        n -= used;
        if (st == MP_NEED_MORE || st == MP_PAUSED)
            continue;
        if (st == MP_CLOSED)
            return;
        if (st == MP_TRANSPORT_SWITCH) {
            /* The +OK to STLS ended this read exactly (anything after it
             * would have been refused as an injection). */
            int r;
            flush_output();
            if ((r = net_tls_start(net.c, net.cafile)) != 0)
                conn_failed(r);
            if (mp_pop3_client_tls_started(&h.c) != MP_OK)
                die(EX_PROTO, "internal: TLS switch");
            continue;
        }
        session_failed(st);
    }
}

/*
 * The end, from wherever the run is: QUIT (which commits the deletions of
 * messages already stored) when the link is sound, the session did not
 * end it already and it did not die of a STLS injection; then the state
 * file, close_notify, close.  A run that fails before login or dies for
 * the server's sake still QUITs: RFC 1939 §6 makes that the end of a
 * session, and every DELE sent was for a message on disk.
 */
static void quit_and_exit(void)
{
    static int leaving;
    static char in[4096];
    if (leaving) {
        exit(exit_code >= 0 ? exit_code : EX_PROTO);
    }
    leaving = 1;
    md_abandon();
    if (exit_code >= 0 && exit_msg[0] != '\0')
        fprintf(stderr, "mailproto-pop3-fetch: %s\n", exit_msg);
    if (net.c != NULL && net_usable(net.c) && !net.timed_out && !h.closed &&
        mp_pop3_client_error(&h.c)->code != MP_ERR_TLS_INJECTION) {
        mp_pop3_client_phase ph = mp_pop3_client_phase_of(&h.c);
        if (ph == MP_POP3_PH_FAILED || ph == MP_POP3_PH_AUTHORIZATION ||
            ph == MP_POP3_PH_TRANSACTION)
            (void)mp_pop3_client_quit(&h.c);
        if (ph != MP_POP3_PH_GREETING && ph != MP_POP3_PH_TLS_SWITCH &&
            ph != MP_POP3_PH_STLS) {
            if (net.timeout_ms > 10000)
                net.timeout_ms = 10000;
            flush_output();
            /* Until the answer to QUIT, or the server closes. */
            while (!h.closed && mp_pop3_client_phase_of(&h.c) != MP_POP3_PH_FAILED) {
                size_t n = conn_recv(in, sizeof(in));
                if (n == 0)
                    break;
                feed_all(in, n);
                flush_output();
            }
            /* A dead session reads no answer: wait a little for the
             * server to close, not for a server that never stops. */
            if (mp_pop3_client_phase_of(&h.c) == MP_POP3_PH_FAILED) {
                size_t n, total = 0;
                net.timeout_ms = 2000;
                while (total < 65536 && (n = conn_recv(in, sizeof(in))) > 0)
                    total += n;
            }
        }
    }
    if (md.dirfd >= 0)
        (void)md_write_state();
    net_close(net.c);
    if (exit_code < 0)
        exit_code = EX_OK;
    if (verbose)
        fprintf(stderr, "mailproto-pop3-fetch: %zu stored, %zu already here, %zu deleted\n",
                h.stored, h.known, h.deleted);
    exit(exit_code);
}

int main(int argc, char **argv)
{
    static char in[16384];
    mp_pop3_client_config cfg;
    mp_pop3_client_callbacks cb;
    const char *pass = NULL, *maildir = NULL, *mech = NULL, *state = NULL, *err;
    int starttls = 0, tls = 0, keep = 0, cleartext = 0, i, code;
    unsigned long long max_size = 1ull << 30;
    mp_status st;

    memset(&h, 0, sizeof(h));
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return EX_OK;
        } else if (strcmp(a, "--server") == 0 && more) {
            server_arg = argv[++i];
        } else if (strcmp(a, "--user") == 0 && more) {
            user_arg = argv[++i];
        } else if (strcmp(a, "--pass") == 0 && more) {
            pass = argv[++i];
        } else if (strcmp(a, "--maildir") == 0 && more) {
            maildir = argv[++i];
        } else if (strcmp(a, "--starttls") == 0) {
            starttls = 1;
        } else if (strcmp(a, "--tls") == 0) {
            tls = 1;
        } else if (strcmp(a, "--cafile") == 0 && more) {
            net.cafile = argv[++i];
        } else if (strcmp(a, "--keep") == 0) {
            keep = 1;
        } else if (strcmp(a, "--delete") == 0) {
            h.delete_msgs = 1;
        } else if (strcmp(a, "--mech") == 0 && more) {
            mech = argv[++i];
        } else if (strcmp(a, "--auth-cleartext") == 0) {
            cleartext = 1;
        } else if (strcmp(a, "--state") == 0 && more) {
            state = argv[++i];
        } else if (strcmp(a, "--max-size") == 0 && more) {
            char *end;
            max_size = strtoull(argv[++i], &end, 10);
            if (*end != '\0' || max_size == 0)
                die(EX_USAGE, "--max-size wants a positive number of bytes");
        } else if (strcmp(a, "--timeout") == 0 && more) {
            net.timeout_ms = atoi(argv[++i]) * 1000;
            if (net.timeout_ms <= 0)
                die(EX_USAGE, "--timeout wants a positive number of seconds");
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            verbose = 1;
        } else {
            die(EX_USAGE, "unknown or incomplete option '%s' (see --help)", a);
        }
    }
    if (server_arg == NULL || user_arg == NULL || pass == NULL || maildir == NULL)
        die(EX_USAGE, "--server, --user, --pass and --maildir are required (see --help)");
    if (starttls && tls)
        die(EX_USAGE, "--starttls and --tls exclude each other");
    if (keep && h.delete_msgs)
        die(EX_USAGE, "--keep and --delete exclude each other");
    if ((starttls || tls) && !net_tls_available())
        die(EX_USAGE, "built without TLS");
    memset(&h.lp, 0, sizeof(h.lp));
    if (mech != NULL && strcmp(mech, "APOP") == 0) {
        h.lp.methods = MP_POP3_LOGIN_APOP;
    } else if (mech != NULL && strcmp(mech, "USER") == 0) {
        h.lp.methods = MP_POP3_LOGIN_USER;
    } else if (mech != NULL) {
        h.lp.mech = mp_sasl_mech_from_name(mech, strlen(mech));
        if (h.lp.mech == MP_SASL_MECH_NONE)
            die(EX_USAGE, "unknown SASL mechanism '%s'", mech);
        h.lp.methods = MP_POP3_LOGIN_SASL;
    }
    h.crypto = mp_crypto_builtin(net_random, NULL);
    h.lp.creds.username = mp_slice_make(user_arg, strlen(user_arg));
    h.lp.creds.password = mp_slice_make(pass, strlen(pass));
    h.lp.crypto = &h.crypto;
    h.lp.sasl = &h.sasl;

    md_open(maildir, state);

    memset(&cfg, 0, sizeof(cfg));
    cfg.tls = tls ? MP_POP3_TLS_IMPLICIT : starttls ? MP_POP3_TLS_REQUIRED : MP_POP3_TLS_NONE;
    cfg.flags = cleartext ? MP_POP3_CLIENT_CLEARTEXT_OK : 0u;
    /* Passwords and user names longer than RFC 2449's 40 octets are
     * common; servers take them. */
    cfg.limits.arg = 255;
    cfg.limits.command_line = 512;
    cfg.max_body = max_size;
    cfg.auth_buf = authbuf;
    cfg.auth_cap = sizeof(authbuf);
    cb.on_event = on_event;
    st = mp_pop3_client_init(&h.c, &cfg, &cb, NULL, outbuf, sizeof(outbuf));
    if (st != MP_OK)
        die(EX_USAGE, "session: %s", mp_strerror(st));

    if ((tls || starttls) && (code = net_tls_check(server_arg, net.cafile, &err)) != 0)
        die(code == NET_ETLS ? EX_TLS : EX_USAGE, "%s", err);
    if ((net.c = net_connect(server_arg, net.timeout_ms, &code, &err)) == NULL)
        die(code == NET_EARG ? EX_USAGE : EX_PROTO, "%s", err);
    if (tls && (code = net_tls_start(net.c, net.cafile)) != 0)
        conn_failed(code);
    while (!h.closed) {
        size_t n;
        flush_output();
        n = conn_recv(in, sizeof(in));
        if (n == 0)
            die(EX_PROTO, "the server closed the connection");
        feed_all(in, n);
    }
    quit_and_exit();
    return 0;
}
