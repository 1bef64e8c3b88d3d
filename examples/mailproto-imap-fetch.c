/*
 * mailproto-imap-fetch: mirror IMAP folders into a local Maildir.
 *
 *   mailproto-imap-fetch --server HOST:PORT --user U --pass P --maildir DIR
 *                        [--starttls | --tls] [--cafile FILE]
 *                        [--folder F ... | --all] [--mech M] [--idle]
 *                        [--append FILE --folder F] [--timeout SECONDS] [--verbose]
 *
 * Each folder is synced incrementally into DIR (Maildir++: INBOX is DIR
 * itself, folder "A/B" is DIR/.A.B, names in modified UTF-7 as Dovecot lays
 * them out): new messages are fetched, and flag changes and expunges made
 * elsewhere are mirrored (with QRESYNC in the SELECT itself, else by one
 * UID FETCH of the flags).  A message is written to tmp/, fsynced, and
 * renamed into cur/ under a name that holds its UIDVALIDITY and UID
 * ("mpf.V.U:2,FLAGS"); the folder's state file (UIDVALIDITY,
 * HIGHESTMODSEQ, the next UID) is replaced atomically after the messages
 * it counts are durable.  Killed at any moment and run again, the program
 * finds every message exactly once: what is in cur/ is complete, what is
 * in tmp/ is thrown away.
 *
 * --idle: after the sync, wait in IDLE on the (first) folder and print
 * each message that arrives ("arrived FOLDER UID FILE"), until killed.
 * --append FILE: upload FILE (LF becomes CRLF) to the --folder, print
 * "appended FOLDER UIDVALIDITY UID" when the server says (UIDPLUS); no sync.
 *
 * Exit status:
 *   0  every folder synced (or the message appended)
 *   1  some folders could not be synced (the others were)
 *   2  usage error, or a TLS option in a build without TLS
 *   3  connection or protocol error, or the server refused the command
 *   4  TLS error (STARTTLS not offered or refused, handshake, certificate)
 *   5  authentication failed, or no acceptable mechanism
 *   6  the Maildir cannot be written
 * Any failure prints one line on standard error.
 *
 * The program is a plain host of the sans-I/O session (imap_client.h):
 * blocking sockets (examples/net) and a linear script that sends a command
 * and feeds the session until its DONE event.
 */
#ifdef __linux__
#define _GNU_SOURCE /* syncfs(2): one flush for a batch of messages */
#define HAVE_SYNCFS 1
#else
#define _POSIX_C_SOURCE 200809L
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailproto/imap_client.h"
#include "mailproto/sasl.h"
#include "net/net.h"

enum { EX_OK = 0, EX_SOME = 1, EX_USAGE = 2, EX_PROTO = 3, EX_TLS = 4, EX_AUTH = 5, EX_STORE = 6 };

static const char *usage_text =
    "usage: mailproto-imap-fetch --server HOST:PORT --user U --pass P --maildir DIR\n"
    "                            [--starttls | --tls] [--cafile FILE]\n"
    "                            [--folder F ... | --all] [--mech M] [--idle]\n"
    "                            [--append FILE --folder F] [--timeout SECONDS] [--verbose]\n"
    "  --server HOST:PORT  IMAP server ([::1]:143 for IPv6)\n"
    "  --user U --pass P   credentials\n"
    "  --maildir DIR       the local Maildir (created when missing)\n"
    "  --starttls          require STARTTLS (fail when not offered)\n"
    "  --tls               implicit TLS from the first byte (port 993)\n"
    "  --cafile FILE       trusted CAs in PEM (default /etc/ssl/certs/ca-certificates.crt)\n"
    "  --folder F          a folder to sync (UTF-8; repeat for more; default INBOX)\n"
    "  --all               every selectable folder the server lists\n"
    "  --mech M            SASL mechanism (PLAIN, SCRAM-SHA-256, ...), or LOGIN for the\n"
    "                      LOGIN command; default: the best SASL mechanism offered, PLAIN\n"
    "                      and LOGIN only under TLS\n"
    "  --idle              after the sync, wait for new messages (IDLE) and print them\n"
    "  --append FILE       upload FILE to the --folder instead of syncing\n"
    "  --timeout SECONDS   network timeout (default 60)\n"
    "  --verbose           print the commands (credentials left out) and completions\n"
    "exit: 0 synced, 1 some folders failed, 2 usage, 3 connection/protocol, 4 TLS,\n"
    "      5 authentication, 6 local storage\n";

static void die(int code, const char *fmt, ...)
{
    va_list ap;
    fputs("mailproto-imap-fetch: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(code);
}

/* ----------------------------------------------------------------------- */
/* Options and the session's host                                          */
/* ----------------------------------------------------------------------- */

#define MAX_FOLDERS 4096
#define STATE_EVERY 1000 /* messages between two writes of the state file */
#define BATCH 256        /* messages made durable together */
#define MAP_CAP (1u << 20)

typedef struct folder {
    char *name;  /* UTF-8 */
    char delim;  /* hierarchy delimiter, 0 when flat */
} folder;

/* A message this program stored, found in cur/ or new/. */
typedef struct local_msg {
    uint32_t uid;
    unsigned flags; /* MP_IMAP_FLAG_* as in the file name */
    uint8_t seen;   /* reported by the server in this run */
    uint8_t gone;
    char *file;     /* path relative to the folder directory */
} local_msg;

static struct {
    /* options */
    const char *server, *user, *pass, *maildir, *mech, *cafile, *append_file;
    int starttls, tls, all, idle, verbose, timeout_ms;
    folder folders[MAX_FOLDERS];
    size_t nfolders;
    /* session */
    net_conn *net;
    mp_imap_client c;
    mp_imap_client_config cfg;
    mp_sasl_client sasl;
    mp_sasl_credentials creds;
    mp_crypto_provider crypto;
    int ready;               /* READY seen since asked */
    uint32_t wait_cmd;       /* the command waited for */
    int done;                /* its DONE came */
    mp_imap_resp_kind status;
    mp_imap_code code;
    char text[MP_IMAP_CLIENT_TEXT + 1];
    uint64_t code_nums[2];   /* APPENDUID uidvalidity, uid */
    int listing;             /* LIST results go to folders[] */
    int exists_seen;         /* EXISTS/EXPUNGE/VANISHED/FETCH while idling */
    /* the folder being synced */
    char dir[4096];
    local_msg *local;
    size_t nlocal, caplocal;
    uint32_t uidvalidity;
    uint32_t maxuid;         /* largest UID stored locally */
    uint64_t select_hms;     /* HIGHESTMODSEQ of the SELECT (0: none) */
    int new_fetch;           /* the UID FETCH of new messages runs */
    size_t since_state;      /* messages stored since the state was written */
    unsigned long stored;    /* messages stored in this run */
    /* the message whose body is being received */
    FILE *tmpf;
    char tmpname[4200];
    /* complete messages in tmp/, made durable and moved to cur/ together */
    struct {
        uint32_t uid;
        unsigned flags;
        char tmp[4200];
    } batch[BATCH];
    size_t nbatch;
    int body_done;
    int whole_body;          /* the section being read is BODY[] */
    unsigned bodies;         /* BODY[] values in this FETCH response */
    unsigned long tmp_seq;
    const char *idle_folder;
} h;

static char outbuf[1 << 16];
static char parsebuf[MP_IMAP_MAX_QUOTED];
static char authbuf[MP_IMAP_CLIENT_AUTH_BUF];
static uint32_t *uid_map;

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (p == NULL)
        die(EX_STORE, "out of memory");
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = xrealloc(NULL, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* ----------------------------------------------------------------------- */
/* The Maildir                                                             */
/* ----------------------------------------------------------------------- */

static void store_fail(const char *what, const char *path)
{
    die(EX_STORE, "%s %s: %s", what, path, strerror(errno));
}

/* snprintf into a path buffer; a path that does not fit ends the program. */
static void pathf(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap)
        die(EX_STORE, "path too long: %s", out);
}

static void mkdir_p(const char *path)
{
    char tmp[4096];
    size_t i, n = strlen(path);
    if (n >= sizeof(tmp))
        die(EX_STORE, "path too long: %s", path);
    memcpy(tmp, path, n + 1);
    for (i = 1; i <= n; i++) {
        if (tmp[i] != '/' && tmp[i] != '\0')
            continue;
        tmp[i] = '\0';
        if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
            store_fail("cannot create", tmp);
        tmp[i] = path[i];
    }
}

static void fsync_dir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || fsync(fd) != 0)
        store_fail("cannot sync", path);
    close(fd);
}

static void path_in(char *out, size_t cap, const char *sub)
{
    pathf(out, cap, "%s/%s", h.dir, sub);
}

/* Maildir++ directory of a folder: INBOX is the Maildir itself; "A/B" is
 * ".A.B", the name in modified UTF-7 (RFC 3501 §5.1.3) as Dovecot writes
 * it. */
static void folder_dir(const folder *f)
{
    char enc[1024];
    size_t n = 0, i;
    if (strcmp(f->name, "INBOX") == 0) {
        snprintf(h.dir, sizeof(h.dir), "%s", h.maildir);
    } else {
        if (mp_mutf7_encode(f->name, strlen(f->name), enc, sizeof(enc) - 1, &n) != MP_OK)
            die(EX_STORE, "folder name %s cannot be a directory name", f->name);
        enc[n] = '\0';
        for (i = 0; i < n; i++)
            if (enc[i] == '/' || (f->delim && enc[i] == f->delim))
                enc[i] = '.';
        if (strcmp(enc, ".") == 0 || strcmp(enc, "..") == 0)
            die(EX_STORE, "folder name %s cannot be a directory name", f->name);
        if ((size_t)snprintf(h.dir, sizeof(h.dir), "%s/.%s", h.maildir, enc) >= sizeof(h.dir))
            die(EX_STORE, "path too long for folder %s", f->name);
    }
    {
        char p[4200];
        path_in(p, sizeof(p), "cur");
        mkdir_p(p);
        path_in(p, sizeof(p), "new");
        mkdir_p(p);
        path_in(p, sizeof(p), "tmp");
        mkdir_p(p);
    }
}

/* Maildir info letters (alphabetical, as the spec wants them). */
static void flag_letters(unsigned f, char *out)
{
    if (f & MP_IMAP_FLAG_DRAFT)
        *out++ = 'D';
    if (f & MP_IMAP_FLAG_FLAGGED)
        *out++ = 'F';
    if (f & MP_IMAP_FLAG_ANSWERED)
        *out++ = 'R';
    if (f & MP_IMAP_FLAG_SEEN)
        *out++ = 'S';
    if (f & MP_IMAP_FLAG_DELETED)
        *out++ = 'T';
    *out = '\0';
}

static unsigned letters_flags(const char *s)
{
    unsigned f = 0;
    for (; *s; s++)
        f |= *s == 'D'   ? MP_IMAP_FLAG_DRAFT
             : *s == 'F' ? MP_IMAP_FLAG_FLAGGED
             : *s == 'R' ? MP_IMAP_FLAG_ANSWERED
             : *s == 'S' ? MP_IMAP_FLAG_SEEN
             : *s == 'T' ? MP_IMAP_FLAG_DELETED
                         : 0u;
    return f;
}

#define SYSTEM_FLAGS                                                                          \
    (MP_IMAP_FLAG_SEEN | MP_IMAP_FLAG_ANSWERED | MP_IMAP_FLAG_FLAGGED | MP_IMAP_FLAG_DELETED | \
     MP_IMAP_FLAG_DRAFT)

static int local_cmp(const void *a, const void *b)
{
    const local_msg *x = a, *y = b;
    return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static local_msg *local_find(uint32_t uid)
{
    local_msg key;
    if (h.nlocal == 0)
        return NULL;
    key.uid = uid;
    return bsearch(&key, h.local, h.nlocal, sizeof(h.local[0]), local_cmp);
}

static void local_add(uint32_t uid, unsigned flags, const char *file)
{
    if (h.nlocal == h.caplocal) {
        h.caplocal = h.caplocal ? 2 * h.caplocal : 1024;
        h.local = xrealloc(h.local, h.caplocal * sizeof(h.local[0]));
    }
    h.local[h.nlocal].uid = uid;
    h.local[h.nlocal].flags = flags;
    h.local[h.nlocal].seen = 0;
    h.local[h.nlocal].gone = 0;
    h.local[h.nlocal].file = xstrndup(file, strlen(file));
    h.nlocal++;
    if (uid > h.maxuid)
        h.maxuid = uid;
}

static void local_clear(void)
{
    size_t i;
    for (i = 0; i < h.nlocal; i++)
        free(h.local[i].file);
    h.nlocal = 0;
    h.maxuid = 0;
}

/* Our messages in cur/ and new/ ("mpf.V.U[:2,FLAGS]"), and what is left
 * of an interrupted run in tmp/ (thrown away: it never reached cur/). */
static void scan_folder(void)
{
    static const char *const subs[] = { "cur", "new" };
    char p[4200];
    size_t k;
    DIR *d;
    struct dirent *e;
    local_clear();
    path_in(p, sizeof(p), "tmp");
    d = opendir(p);
    if (d == NULL)
        store_fail("cannot read", p);
    while ((e = readdir(d)) != NULL) {
        char q[4500];
        if (strncmp(e->d_name, "mpf.", 4) != 0)
            continue;
        pathf(q, sizeof(q), "%s/%s", p, e->d_name);
        if (unlink(q) != 0)
            store_fail("cannot remove", q);
    }
    closedir(d);
    for (k = 0; k < 2; k++) {
        path_in(p, sizeof(p), subs[k]);
        d = opendir(p);
        if (d == NULL)
            store_fail("cannot read", p);
        while ((e = readdir(d)) != NULL) {
            unsigned long v, u;
            char rel[600];
            const char *info;
            int used = 0;
            if (sscanf(e->d_name, "mpf.%lu.%lu%n", &v, &u, &used) != 2 || u == 0 ||
                u > UINT32_MAX || v > UINT32_MAX)
                continue;
            if (h.uidvalidity != 0 && v != h.uidvalidity) {
                /* an older UIDVALIDITY: those UIDs mean nothing now */
                char q[4500];
                pathf(q, sizeof(q), "%s/%s", p, e->d_name);
                if (unlink(q) != 0)
                    store_fail("cannot remove", q);
                continue;
            }
            info = strstr(e->d_name + used, ":2,");
            pathf(rel, sizeof(rel), "%s/%s", subs[k], e->d_name);
            local_add((uint32_t)u, info ? letters_flags(info + 3) : 0u, rel);
        }
        closedir(d);
    }
    if (h.nlocal > 1)
        qsort(h.local, h.nlocal, sizeof(h.local[0]), local_cmp);
}

/* The state file: what the folder holds up to which UID, replaced
 * atomically (write a temporary, fsync, rename, fsync the directory). */
static void read_state(uint32_t *uidvalidity, uint64_t *hms, uint32_t *next)
{
    char p[4200];
    FILE *f;
    unsigned long v = 0, n = 0;
    unsigned long long m = 0;
    *uidvalidity = 0;
    *hms = 0;
    *next = 0;
    path_in(p, sizeof(p), "mailproto-imap-fetch.state");
    f = fopen(p, "r");
    if (f == NULL)
        return;
    if (fscanf(f, "mailproto-imap-fetch 1\nuidvalidity %lu\nhighestmodseq %llu\nuidnext %lu", &v,
               &m, &n) == 3 &&
        v <= UINT32_MAX && n <= UINT32_MAX) {
        *uidvalidity = (uint32_t)v;
        *hms = m;
        *next = (uint32_t)n;
    }
    fclose(f);
}

static void flush_batch(void);

static void write_state(uint64_t hms)
{
    char p[4200], t[4200];
    FILE *f;
    flush_batch(); /* the messages first, then the record of them */
    path_in(p, sizeof(p), "mailproto-imap-fetch.state");
    path_in(t, sizeof(t), "tmp/mailproto-imap-fetch.state");
    f = fopen(t, "w");
    if (f == NULL)
        store_fail("cannot write", t);
    fprintf(f, "mailproto-imap-fetch 1\nuidvalidity %lu\nhighestmodseq %llu\nuidnext %lu\n",
            (unsigned long)h.uidvalidity, (unsigned long long)hms,
            (unsigned long)h.maxuid + 1ul);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0 || fclose(f) != 0)
        store_fail("cannot write", t);
    if (rename(t, p) != 0)
        store_fail("cannot rename", t);
    fsync_dir(h.dir);
    h.since_state = 0;
}

/* A message's flags changed on the server: rename its file. */
static void set_flags(local_msg *m, unsigned flags)
{
    char from[4700], to[4700], letters[8], *colon;
    char base[600];
    flags &= SYSTEM_FLAGS;
    if (flags == m->flags)
        return;
    pathf(base, sizeof(base), "%s", m->file);
    colon = strstr(base, ":2,");
    if (colon)
        *colon = '\0';
    flag_letters(flags, letters);
    pathf(from, sizeof(from), "%s/%s", h.dir, m->file);
    if (strncmp(base, "new/", 4) == 0)
        memcpy(base, "cur/", 4);
    pathf(to, sizeof(to), "%s/%s:2,%s", h.dir, base, letters);
    if (rename(from, to) != 0)
        store_fail("cannot rename", from);
    free(m->file);
    m->file = xstrndup(to + strlen(h.dir) + 1, strlen(to) - strlen(h.dir) - 1);
    m->flags = flags;
}

static void expunge_local(local_msg *m)
{
    char p[4700];
    if (m->gone)
        return;
    pathf(p, sizeof(p), "%s/%s", h.dir, m->file);
    if (unlink(p) != 0 && errno != ENOENT)
        store_fail("cannot remove", p);
    m->gone = 1;
}

/* ---- the body of the message being fetched ---- */

static void body_drop(void);

static void body_begin(void)
{
    char p[4200], name[64];
    int fd;
    body_drop(); /* one body per FETCH: a second one replaces it */
    snprintf(name, sizeof(name), "tmp/mpf.%ld.%lu", (long)getpid(), ++h.tmp_seq);
    path_in(p, sizeof(p), name);
    fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || (h.tmpf = fdopen(fd, "wb")) == NULL)
        store_fail("cannot create", p);
    setvbuf(h.tmpf, NULL, _IOFBF, 1 << 16);
    pathf(h.tmpname, sizeof(h.tmpname), "%s", p);
    h.body_done = 0;
}

static void body_bytes(const char *p, size_t n)
{
    if (h.tmpf != NULL && n > 0 && fwrite(p, 1, n, h.tmpf) != n)
        store_fail("cannot write", h.tmpname);
}

/* The messages of the batch are complete in tmp/: make them durable (one
 * syncfs, or an fsync each where there is none), then give each its name
 * in cur/ (the name is the record that it exists) and make the names
 * durable.  Killed before the rename, a message is fetched again; after,
 * it is found in cur/: never twice. */
static void flush_batch(void)
{
    char cur[4200];
    size_t i;
    if (h.nbatch == 0)
        return;
#ifdef HAVE_SYNCFS
    {
        int fd = open(h.dir, O_RDONLY | O_DIRECTORY);
        if (fd < 0 || syncfs(fd) != 0)
            store_fail("cannot sync", h.dir);
        close(fd);
    }
#endif
    for (i = 0; i < h.nbatch; i++) {
        char final[4700], rel[600], letters[8];
        flag_letters(h.batch[i].flags, letters);
        pathf(rel, sizeof(rel), "cur/mpf.%lu.%lu:2,%s", (unsigned long)h.uidvalidity,
              (unsigned long)h.batch[i].uid, letters);
        pathf(final, sizeof(final), "%s/%s", h.dir, rel);
        if (rename(h.batch[i].tmp, final) != 0)
            store_fail("cannot rename", h.batch[i].tmp);
        /* appended in UID order: the array stays sorted */
        local_add(h.batch[i].uid, h.batch[i].flags, rel);
        if (h.idle_folder != NULL)
            printf("arrived %s %u %s\n", h.idle_folder, (unsigned)h.batch[i].uid, final);
    }
    fflush(stdout);
    h.nbatch = 0;
    path_in(cur, sizeof(cur), "cur");
    fsync_dir(cur);
}

/* The message is complete: into the batch. */
static void body_store(uint32_t uid, unsigned flags)
{
#ifdef HAVE_SYNCFS
    if (fflush(h.tmpf) != 0 || fclose(h.tmpf) != 0)
#else
    if (fflush(h.tmpf) != 0 || fsync(fileno(h.tmpf)) != 0 || fclose(h.tmpf) != 0)
#endif
        store_fail("cannot write", h.tmpname);
    h.tmpf = NULL;
    h.batch[h.nbatch].uid = uid;
    h.batch[h.nbatch].flags = flags & SYSTEM_FLAGS;
    memcpy(h.batch[h.nbatch].tmp, h.tmpname, sizeof(h.tmpname));
    h.nbatch++;
    if (uid > h.maxuid)
        h.maxuid = uid;
    h.stored++;
    h.since_state++;
    if (h.nbatch == BATCH)
        flush_batch();
}

static void body_drop(void)
{
    if (h.tmpf == NULL)
        return;
    fclose(h.tmpf);
    h.tmpf = NULL;
    unlink(h.tmpname);
}

/* ----------------------------------------------------------------------- */
/* Driving the session                                                     */
/* ----------------------------------------------------------------------- */

/* --verbose: the command lines among p[0..n) ("A<n> ..."), credentials
 * left out (APPEND data and SASL responses are not command lines). */
static void show_commands(const char *p, size_t n)
{
    while (n > 0) {
        const char *e = memchr(p, '\n', n);
        size_t l = e ? (size_t)(e - p) + 1 : n, shown = l, i = 1;
        while (shown > 0 && (p[shown - 1] == '\n' || p[shown - 1] == '\r'))
            shown--;
        while (i < shown && p[i] >= '0' && p[i] <= '9')
            i++;
        if (p[0] == 'A' && i > 1 && i < shown && p[i] == ' ') {
            const char *verb = p + i + 1;
            size_t vl = shown - i - 1;
            const char *mech_end = NULL;
            if (vl >= 13 && memcmp(verb, "AUTHENTICATE ", 13) == 0)
                mech_end = memchr(verb + 13, ' ', vl - 13);
            if (vl >= 6 && memcmp(verb, "LOGIN ", 6) == 0)
                fprintf(stderr, "C: %.*s<credentials>\n", (int)(i + 7), p);
            else if (mech_end != NULL)
                fprintf(stderr, "C: %.*s <initial response>\n", (int)(mech_end - p), p);
            else
                fprintf(stderr, "C: %.*s\n", (int)(shown < 300 ? shown : 300), p);
        }
        p += l;
        n -= l;
    }
}

static void flush_output(void)
{
    size_t n;
    const char *p;
    while ((p = mp_imap_client_output(&h.c, &n)), n > 0) {
        if (h.verbose)
            show_commands(p, n);
        if (net_send(h.net, p, n) != 0)
            die(EX_PROTO, "%s", net_error(h.net));
        if (mp_imap_client_output_done(&h.c, n) != MP_OK)
            die(EX_PROTO, "internal: output");
    }
}

static int on_event(void *user, const mp_imap_client_event *ev);

/* Exit for a dead session: the matching exit code. */
static void session_failed(mp_status st)
{
    const mp_error *e = mp_imap_client_error(&h.c);
    int code = (st == MP_ERR_TLS_REQUIRED || st == MP_ERR_TLS_INJECTION) ? EX_TLS
               : st == MP_ERR_SASL_SERVER_PROOF                          ? EX_AUTH
                                                                         : EX_PROTO;
    die(code, "%s (at byte %llu%s%s)", mp_strerror(st), (unsigned long long)e->offset,
        e->rule ? ", " : "", e->rule ? e->rule : "");
}

/* Read once from the server and feed all of it.  0 on a read timeout
 * when `timeout_ms` >= 0 was asked for, else 1. */
static int pump(int timeout_ms)
{
    static char in[1 << 16];
    long n;
    const char *p = in;
    flush_output();
    n = net_recv(h.net, in, sizeof(in), timeout_ms);
    if (n == NET_ETIMEOUT && timeout_ms >= 0)
        return 0;
    if (n == NET_EOF) {
        mp_status st = mp_imap_client_eof(&h.c);
        if (st == MP_CLOSED)
            return 1;
        session_failed(st);
    }
    if (n < 0)
        die(n == NET_ETLS ? EX_TLS : EX_PROTO, "%s", net_error(h.net));
    while (n > 0) {
        size_t used = 0;
        mp_status st = mp_imap_client_feed(&h.c, p, (size_t)n, &used);
        p += used;
        n -= (long)used;
        if (st == MP_NEED_MORE || st == MP_PAUSED || st == MP_CLOSED)
            continue;
        if (st == MP_TRANSPORT_SWITCH) {
            /* STARTTLS (COMPRESS is not used): the OK ended this read */
            int r;
            flush_output();
            r = net_tls_start(h.net, h.cafile);
            if (r != 0)
                die(r == NET_ENOTLS ? EX_USAGE : EX_TLS, "%s", net_error(h.net));
            if (mp_imap_client_tls_started(&h.c) != MP_OK)
                session_failed(mp_imap_client_error(&h.c)->code);
            continue;
        }
        session_failed(st);
    }
    flush_output();
    return 1;
}

/* Wait for the DONE of command `cmd`; its status. */
static mp_imap_resp_kind wait_done(uint32_t cmd)
{
    h.wait_cmd = cmd;
    h.done = 0;
    while (!h.done) {
        if (mp_imap_client_state_of(&h.c) == MP_IMAP_ST_CLOSED)
            die(EX_PROTO, "the server closed the session");
        pump(-1);
    }
    return h.status;
}

/* A command's status must be OK; else the program ends with `code`. */
static void must(mp_status st, const char *what)
{
    if (st != MP_OK)
        die(EX_PROTO, "%s: %s", what, mp_strerror(st));
}

static void wait_ok(uint32_t cmd, const char *what)
{
    if (wait_done(cmd) != MP_IMAP_RESP_OK)
        die(EX_PROTO, "%s refused: %s %s", what, mp_imap_resp_name(h.status), h.text);
}

/* Until READY (h.ready is cleared by whoever starts what leads to it). */
static void wait_ready(void)
{
    while (!h.ready)
        pump(-1);
}

/* ---- events ---- */

/* The FETCH data of one response (the body goes to a tmp file). */
static void fetch_value(const mp_imap_resp_event *r)
{
    if (!h.new_fetch)
        return;
    switch (r->type) {
    case MP_IMAP_EV_BEGIN:
        body_drop(); /* anything left of a response that did not end */
        h.whole_body = 0;
        h.bodies = 0;
        break;
    case MP_IMAP_EV_LITERAL_BEGIN:
        /* BODY[] (what was asked), once: other sections are not ours */
        if (r->field == MP_IMAP_F_BODY_SECTION && h.whole_body && h.bodies++ == 0)
            body_begin();
        break;
    case MP_IMAP_EV_LITERAL_CHUNK:
        /* other fields stream too (a long quoted ENVELOPE subject) */
        if (r->field == MP_IMAP_F_BODY_SECTION)
            body_bytes(r->str.ptr, r->str.len);
        break;
    case MP_IMAP_EV_LITERAL_END:
        if (h.tmpf != NULL && r->field == MP_IMAP_F_BODY_SECTION)
            h.body_done = 1;
        break;
    case MP_IMAP_EV_VALUE:
        /* a body sent as a quoted string: the same path */
        if (r->field == MP_IMAP_F_SECTION)
            h.whole_body = r->str.len == 0;
        if (r->field == MP_IMAP_F_BODY_SECTION && r->vtype == MP_IMAP_V_STRING && h.whole_body &&
            h.bodies++ == 0) {
            body_begin();
            body_bytes(r->str.ptr, r->str.len);
            h.body_done = 1;
        }
        break;
    default:
        break;
    }
}

/* LIST data: the folders of --all. */
static void list_value(const mp_imap_resp_event *r)
{
    static int noselect;
    static char delim;
    if (r->type == MP_IMAP_EV_BEGIN) {
        noselect = 0;
        delim = 0;
    } else if (r->type == MP_IMAP_EV_VALUE && r->field == MP_IMAP_F_MBX_ATTR) {
        if (mp_slice_eq_ci(r->str, "\\Noselect", 9) || mp_slice_eq_ci(r->str, "\\NonExistent", 12))
            noselect = 1;
    } else if (r->type == MP_IMAP_EV_VALUE && r->field == MP_IMAP_F_DELIMITER) {
        delim = r->vtype == MP_IMAP_V_STRING && r->str.len == 1 ? r->str.ptr[0] : 0;
    } else if (r->type == MP_IMAP_EV_VALUE && r->field == MP_IMAP_F_MAILBOX && !noselect &&
               h.nfolders < MAX_FOLDERS) {
        char name[2048];
        size_t n = 0;
        if (r->flags & MP_IMAP_EVF_MUTF7) {
            if (mp_mutf7_decode(r->str.ptr, r->str.len, name, sizeof(name) - 1, &n) != MP_OK)
                return; /* not a name this program can store */
        } else {
            if (r->str.len >= sizeof(name))
                return;
            memcpy(name, r->str.ptr, r->str.len);
            n = r->str.len;
        }
        if (n == 5 && mp_slice_eq_ci(mp_slice_make(name, 5), "INBOX", 5))
            memcpy(name, "INBOX", 5);
        h.folders[h.nfolders].name = xstrndup(name, n);
        h.folders[h.nfolders].delim = delim;
        h.nfolders++;
    }
}

/* [APPENDUID uidvalidity uid-set] (RFC 4315 §3): one message, one UID. */
static void appenduid_value(const mp_imap_resp_event *r)
{
    if (r->field == MP_IMAP_F_UIDVALIDITY)
        h.code_nums[0] = r->num;
    else if (r->field == MP_IMAP_F_UID_SET &&
             mp_parse_u64(r->str, UINT32_MAX, &h.code_nums[1]) != MP_OK)
        h.code_nums[1] = 0; /* a set: several messages */
}

/* The first of our messages with a UID >= uid (h.nlocal when none). */
static size_t local_lower_bound(uint32_t uid)
{
    size_t a = 0, b = h.nlocal;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (h.local[m].uid < uid)
            a = m + 1;
        else
            b = m;
    }
    return a;
}

static int on_event(void *user, const mp_imap_client_event *ev)
{
    (void)user;
    switch (ev->type) {
    case MP_IMAP_CLIENT_EV_RESPONSE: {
        const mp_imap_resp_event *r = ev->resp;
        if (r->resp == MP_IMAP_RESP_FETCH)
            fetch_value(r);
        else if (r->resp == MP_IMAP_RESP_LIST && h.listing)
            list_value(r);
        else if (r->type == MP_IMAP_EV_VALUE && r->code == MP_IMAP_CODE_APPENDUID &&
                 ev->cmd == h.wait_cmd)
            appenduid_value(r);
        break;
    }
    case MP_IMAP_CLIENT_EV_READY:
        h.ready = 1;
        break;
    case MP_IMAP_CLIENT_EV_DONE:
        if (h.verbose)
            fprintf(stderr, "S: A%u %s %s %.*s\n", (unsigned)ev->cmd, mp_imap_resp_name(ev->status),
                    ev->code ? mp_imap_code_name(ev->code) : "", (int)ev->text.len, ev->text.ptr);
        if (ev->cmd == h.wait_cmd) {
            h.done = 1;
            h.status = ev->status;
            h.code = ev->code;
            memcpy(h.text, ev->text.ptr, ev->text.len);
            h.text[ev->text.len] = '\0';
        }
        break;
    case MP_IMAP_CLIENT_EV_FETCH: {
        local_msg *m = (ev->has & MP_IMAP_FETCH_HAS_UID) ? local_find(ev->uid) : NULL;
        h.exists_seen = 1;
        if (h.tmpf != NULL) {
            /* a new message: kept unless the server sent a UID we have */
            if (h.body_done && (ev->has & MP_IMAP_FETCH_HAS_UID) && ev->uid > h.maxuid) {
                body_store(ev->uid, ev->flags);
                /* now and then, record what is durable (a long first sync) */
                if (h.since_state >= STATE_EVERY)
                    write_state(h.select_hms);
            } else {
                body_drop();
            }
        } else if (m != NULL && !m->gone) {
            m->seen = 1;
            if (ev->has & MP_IMAP_FETCH_HAS_FLAGS)
                set_flags(m, ev->flags);
        }
        break;
    }
    case MP_IMAP_CLIENT_EV_VANISHED: {
        /* the UIDs of this folder that left, EARLIER (QRESYNC) or now */
        size_t i;
        for (i = local_lower_bound(ev->uid); i < h.nlocal && h.local[i].uid <= ev->uid_hi; i++)
            expunge_local(&h.local[i]);
        h.exists_seen = 1;
        break;
    }
    case MP_IMAP_CLIENT_EV_EXPUNGE:
        if (ev->uid != 0 && local_find(ev->uid) != NULL)
            expunge_local(local_find(ev->uid));
        h.exists_seen = 1;
        break;
    case MP_IMAP_CLIENT_EV_EXISTS:
        h.exists_seen = 1;
        break;
    default:
        break;
    }
    return MP_IMAP_CLIENT_CB_CONTINUE;
}

/* ----------------------------------------------------------------------- */
/* The program's steps                                                     */
/* ----------------------------------------------------------------------- */

static void authenticate(void)
{
    uint32_t id;
    mp_status st;
    int secure = mp_imap_client_secure(&h.c);
    mp_sasl_mech m = MP_SASL_MECH_NONE;
    h.ready = 0;
    if (h.mech != NULL && strcmp(h.mech, "LOGIN") == 0) {
        st = mp_imap_client_login(&h.c, mp_slice_make(h.user, strlen(h.user)),
                                  mp_slice_make(h.pass, strlen(h.pass)), &id);
        if (st == MP_ERR_UNSUPPORTED)
            die(EX_AUTH, "the server says LOGINDISABLED");
        if (st == MP_ERR_TLS_REQUIRED)
            die(EX_TLS, "no LOGIN without TLS");
        must(st, "LOGIN");
    } else {
        if (h.mech != NULL) {
            m = mp_sasl_mech_from_name(h.mech, strlen(h.mech));
            if (m == MP_SASL_MECH_NONE)
                die(EX_USAGE, "unknown SASL mechanism '%s'", h.mech);
        } else {
            m = mp_sasl_choose(mp_imap_client_sasl_offered(&h.c),
                               secure ? MP_SASL_CHOOSE_PLAINTEXT_OK : 0u);
            if (m == MP_SASL_MECH_NONE)
                die(EX_AUTH, "no acceptable SASL mechanism offered%s",
                    secure ? "" : " without TLS (use --starttls, --tls or --mech)");
        }
        memset(&h.creds, 0, sizeof(h.creds));
        h.creds.username = mp_slice_make(h.user, strlen(h.user));
        h.creds.password = mp_slice_make(h.pass, strlen(h.pass));
        h.crypto = mp_crypto_builtin(net_random, NULL);
        st = mp_sasl_client_start(&h.sasl, m, &h.creds, &h.crypto);
        if (st != MP_OK)
            die(EX_AUTH, "SASL %s: %s", mp_sasl_mech_get(m)->name, mp_strerror(st));
        st = mp_imap_client_authenticate(&h.c, &h.sasl, &id);
        if (st == MP_ERR_UNSUPPORTED)
            die(EX_AUTH, "%s is not offered (or LOGINDISABLED)", mp_sasl_mech_get(m)->name);
        if (st == MP_ERR_TLS_REQUIRED)
            die(EX_TLS, "no %s without TLS", mp_sasl_mech_get(m)->name);
        must(st, "AUTHENTICATE");
    }
    if (wait_done(id) != MP_IMAP_RESP_OK)
        die(EX_AUTH, "authentication failed: %s %s", mp_imap_resp_name(h.status), h.text);
    wait_ready();
}

static void list_all(void)
{
    mp_imap_arg args[2];
    uint32_t id;
    memset(args, 0, sizeof(args));
    args[0].kind = MP_IMAP_ARG_STRING;
    args[0].s = mp_slice_make("", 0);
    args[1].kind = MP_IMAP_ARG_LIST_MAILBOX;
    args[1].s = MP_SLICE_LIT("*");
    h.listing = 1;
    must(mp_imap_client_command(&h.c, MP_IMAP_CMD_LIST, args, 2, &id), "LIST");
    wait_ok(id, "LIST");
    h.listing = 0;
}

/* UID FETCH lo:* of the new messages (UID, FLAGS, the body). */
static void fetch_new(void)
{
    static const char *const items[] = { "UID", "FLAGS", "BODY.PEEK[]" };
    mp_imap_seq_range r;
    uint32_t id;
    const mp_imap_mailbox *mb = mp_imap_client_mailbox(&h.c);
    /* every message we hold is on the server (expunges were mirrored):
     * the others are new, and have UIDs above ours */
    if (mb->exists <= h.nlocal)
        return;
    r.lo = h.maxuid + 1u;
    r.hi = MP_IMAP_SEQ_STAR;
    h.new_fetch = 1;
    must(mp_imap_client_fetch(&h.c, 1, &r, 1, items, 3, 0, 0, &id), "UID FETCH");
    wait_ok(id, "UID FETCH");
    h.new_fetch = 0;
    body_drop();
    flush_batch();
}

/* Without QRESYNC: the flags of every message we hold, and whatever the
 * server no longer lists is gone. */
static void fetch_flags(void)
{
    static const char *const items[] = { "UID", "FLAGS" };
    mp_imap_seq_range r;
    uint32_t id;
    size_t i;
    if (h.nlocal == 0)
        return;
    r.lo = 1;
    r.hi = h.maxuid;
    for (i = 0; i < h.nlocal; i++)
        h.local[i].seen = 0;
    must(mp_imap_client_fetch(&h.c, 1, &r, 1, items, 2, 0, 0, &id), "UID FETCH");
    wait_ok(id, "UID FETCH");
    for (i = 0; i < h.nlocal; i++)
        if (!h.local[i].seen)
            expunge_local(&h.local[i]);
}

/* Drop the entries of expunged messages. */
static void local_compact(void)
{
    size_t i, k = 0;
    for (i = 0; i < h.nlocal; i++) {
        if (h.local[i].gone) {
            free(h.local[i].file);
            continue;
        }
        h.local[k++] = h.local[i];
    }
    h.nlocal = k;
}

/* Sync one folder; 0 when the server refused to open it. */
static int sync_folder(const folder *f)
{
    const mp_imap_mailbox *mb;
    mp_imap_select_opts o;
    uint32_t id, state_uv, next;
    uint64_t hms;
    int qresync;
    folder_dir(f);
    read_state(&state_uv, &hms, &next);
    h.uidvalidity = state_uv;
    scan_folder();
    memset(&o, 0, sizeof(o));
    qresync = (mp_imap_client_enabled(&h.c) & MP_IMAP_EXT_QRESYNC) && state_uv != 0 && hms != 0;
    if (qresync) {
        /* RFC 7162 §3.2.5: the changes since hms come with the SELECT */
        o.qresync_uidvalidity = state_uv;
        o.qresync_modseq = hms;
    } else if (mp_imap_client_caps(&h.c)->flags & MP_IMAP_CAP_CONDSTORE) {
        o.condstore = 1;
    }
    for (;;) {
        mp_status st = mp_imap_client_select(&h.c, mp_slice_make(f->name, strlen(f->name)), &o, &id);
        if (st == MP_OK)
            break;
        if (st != MP_PAUSED)
            die(EX_PROTO, "SELECT %s: %s", f->name, mp_strerror(st));
        pump(-1);
    }
    if (wait_done(id) != MP_IMAP_RESP_OK) {
        fprintf(stderr, "mailproto-imap-fetch: %s: %s %s\n", f->name, mp_imap_resp_name(h.status),
                h.text);
        return 0;
    }
    mb = mp_imap_client_mailbox(&h.c);
    if (mb->uidvalidity != h.uidvalidity) {
        /* a new UIDVALIDITY (or a first run): the local copies of another
         * generation of UIDs go; what is in cur/ for this one stays */
        h.uidvalidity = mb->uidvalidity;
        scan_folder();
        hms = 0;
        qresync = 0;
    }
    /* what the state records from here on: flags up to this modseq */
    h.select_hms = mb->highestmodseq;
    if (!qresync)
        fetch_flags();
    local_compact();
    fetch_new();
    write_state(h.select_hms);
    return 1;
}

/* --idle: wait in IDLE, fetch what arrives, again. */
static void idle_loop(const folder *f)
{
    if (!sync_folder(f))
        die(EX_PROTO, "cannot select %s", f->name);
    h.idle_folder = f->name; /* from now on, arrivals are printed */
    for (;;) {
        uint32_t id;
        int woke = 0;
        h.exists_seen = 0;
        must(mp_imap_client_idle(&h.c, &id), "IDLE");
        h.wait_cmd = id;
        h.done = 0;
        /* RFC 2177 §3: re-IDLE before the server's 30-minute timeout */
        while (!h.done && !woke) {
            if (!pump(29 * 60 * 1000) || h.exists_seen)
                woke = 1;
        }
        if (!h.done) {
            must(mp_imap_client_idle_done(&h.c), "DONE");
            wait_done(id);
        }
        local_compact();
        fetch_new();
        write_state(h.select_hms);
    }
}

/* --append: the file, LF made CRLF, as one APPEND. */
static void append_file(const folder *f)
{
    FILE *in = fopen(h.append_file, "rb");
    char *msg = NULL;
    size_t len = 0, cap = 0, off = 0;
    int c, prev = 0;
    uint32_t id;
    mp_status st;
    if (in == NULL)
        die(EX_USAGE, "cannot open %s: %s", h.append_file, strerror(errno));
    while ((c = getc(in)) != EOF) {
        if (len + 2 > cap) {
            cap = cap ? 2 * cap : 1 << 16;
            msg = xrealloc(msg, cap);
        }
        if (c == '\n' && prev != '\r')
            msg[len++] = '\r';
        msg[len++] = (char)c;
        prev = c;
    }
    fclose(in);
    for (;;) {
        st = mp_imap_client_append(&h.c, mp_slice_make(f->name, strlen(f->name)), NULL, 0, NULL,
                                   len, MP_IMAP_APPEND_LITERAL, &id);
        if (st != MP_PAUSED)
            break;
        pump(-1);
    }
    must(st, "APPEND");
    h.wait_cmd = id;
    h.done = 0;
    while (off < len && !h.done) {
        size_t used = 0;
        st = mp_imap_client_append_data(&h.c, msg + off, len - off, &used);
        off += used;
        if (st == MP_ERR_NO_SPACE || (st == MP_OK && used == 0))
            flush_output();
        else if (st == MP_PAUSED)
            pump(-1); /* the "+" */
        else if (st != MP_OK)
            die(EX_PROTO, "APPEND: %s", mp_strerror(st));
    }
    if (!h.done) {
        while ((st = mp_imap_client_append_end(&h.c)) == MP_ERR_NO_SPACE)
            flush_output();
        must(st, "APPEND");
    }
    free(msg);
    wait_ok(id, "APPEND");
    if (h.code == MP_IMAP_CODE_APPENDUID)
        printf("appended %s %llu %llu\n", f->name, (unsigned long long)h.code_nums[0],
               (unsigned long long)h.code_nums[1]);
}

int main(int argc, char **argv)
{
    static mp_imap_client_callbacks cb = { on_event };
    int i, failed = 0, code;
    const char *err;
    size_t k;
    h.cafile = "/etc/ssl/certs/ca-certificates.crt";
    h.timeout_ms = 60000;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return EX_OK;
        } else if (strcmp(a, "--server") == 0 && more) {
            h.server = argv[++i];
        } else if (strcmp(a, "--user") == 0 && more) {
            h.user = argv[++i];
        } else if (strcmp(a, "--pass") == 0 && more) {
            h.pass = argv[++i];
        } else if (strcmp(a, "--maildir") == 0 && more) {
            h.maildir = argv[++i];
        } else if (strcmp(a, "--starttls") == 0) {
            h.starttls = 1;
        } else if (strcmp(a, "--tls") == 0) {
            h.tls = 1;
        } else if (strcmp(a, "--cafile") == 0 && more) {
            h.cafile = argv[++i];
        } else if (strcmp(a, "--folder") == 0 && more) {
            if (h.nfolders == MAX_FOLDERS)
                die(EX_USAGE, "at most %d folders", MAX_FOLDERS);
            h.folders[h.nfolders].name = argv[++i];
            h.folders[h.nfolders].delim = '/';
            h.nfolders++;
        } else if (strcmp(a, "--all") == 0) {
            h.all = 1;
        } else if (strcmp(a, "--mech") == 0 && more) {
            h.mech = argv[++i];
        } else if (strcmp(a, "--idle") == 0) {
            h.idle = 1;
        } else if (strcmp(a, "--append") == 0 && more) {
            h.append_file = argv[++i];
        } else if (strcmp(a, "--timeout") == 0 && more) {
            h.timeout_ms = atoi(argv[++i]) * 1000;
            if (h.timeout_ms <= 0)
                die(EX_USAGE, "--timeout wants a positive number of seconds");
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            h.verbose = 1;
        } else {
            die(EX_USAGE, "unknown or incomplete option '%s' (see --help)", a);
        }
    }
    if (h.server == NULL || h.user == NULL || h.pass == NULL ||
        (h.maildir == NULL && h.append_file == NULL))
        die(EX_USAGE, "--server, --user, --pass and --maildir are required (see --help)");
    if (h.starttls && h.tls)
        die(EX_USAGE, "--starttls and --tls exclude each other");
    if ((h.starttls || h.tls) && !net_tls_available())
        die(EX_USAGE, "built without TLS");
    if (h.all && h.nfolders > 0)
        die(EX_USAGE, "--all and --folder exclude each other");
    if (h.append_file != NULL && (h.nfolders != 1 || h.all || h.idle))
        die(EX_USAGE, "--append wants exactly one --folder (and no --all or --idle)");
    if (h.idle && h.all)
        die(EX_USAGE, "--idle watches one folder: name it with --folder (default INBOX)");
    if (h.nfolders == 0 && !h.all) {
        h.folders[0].name = "INBOX";
        h.folders[0].delim = '/';
        h.nfolders = 1;
    }
    uid_map = calloc(MAP_CAP, sizeof(*uid_map));
    if (uid_map == NULL)
        die(EX_STORE, "out of memory");
    h.cfg.tls = h.tls ? MP_IMAP_TLS_IMPLICIT : h.starttls ? MP_IMAP_TLS_REQUIRED : MP_IMAP_TLS_NONE;
    /* the user named the mechanism: its choice, as with mailproto-smtp-send */
    h.cfg.flags = h.mech != NULL ? MP_IMAP_CLIENT_CLEARTEXT_OK : 0u;
    h.cfg.buf = parsebuf;
    h.cfg.buf_cap = sizeof(parsebuf);
    h.cfg.auth_buf = authbuf;
    h.cfg.auth_cap = sizeof(authbuf);
    h.cfg.uid_map = uid_map;
    h.cfg.uid_cap = MAP_CAP;
    /* VANISHED (EARLIER) of a folder with many holes: lines beyond 64 KiB */
    h.cfg.limits.max_line = 1u << 20;
    if (mp_imap_client_init(&h.c, &h.cfg, &cb, NULL, outbuf, sizeof(outbuf)) != MP_OK)
        die(EX_USAGE, "internal: session");
    if (h.maildir != NULL)
        mkdir_p(h.maildir);

    h.net = net_connect(h.server, h.timeout_ms, &code, &err);
    if (h.net == NULL)
        die(code == NET_EIO ? EX_PROTO : EX_USAGE, "%s", err);
    if (h.tls && (code = net_tls_start(h.net, h.cafile)) != 0)
        die(code == NET_ENOTLS ? EX_USAGE : EX_TLS, "%s", net_error(h.net));
    wait_ready();
    if (mp_imap_client_state_of(&h.c) == MP_IMAP_ST_NOT_AUTHENTICATED)
        authenticate();
    {
        uint32_t id;
        /* RFC 7162: QRESYNC for the next runs; RFC 6855 for UTF-8 names */
        mp_status st = mp_imap_client_enable(&h.c, MP_IMAP_EXT_CONDSTORE | MP_IMAP_EXT_QRESYNC |
                                                       MP_IMAP_EXT_UTF8_ACCEPT,
                                             &id);
        if (st == MP_OK)
            wait_done(id);
    }
    if (h.append_file != NULL) {
        append_file(&h.folders[0]);
    } else {
        if (h.all)
            list_all();
        if (h.idle)
            idle_loop(&h.folders[0]);
        for (k = 0; k < h.nfolders; k++)
            failed += !sync_folder(&h.folders[k]);
        if (h.verbose)
            fprintf(stderr, "mailproto-imap-fetch: %lu messages stored\n", h.stored);
    }
    {
        uint32_t id;
        if (mp_imap_client_logout(&h.c, &id) == MP_OK) {
            while (mp_imap_client_state_of(&h.c) != MP_IMAP_ST_CLOSED)
                pump(-1);
        }
    }
    net_close(h.net);
    return failed == 0 ? EX_OK : EX_SOME;
}
