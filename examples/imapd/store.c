/*
 * mailproto-imapd's Maildir store.
 *
 * INBOX is the Maildir itself; folder "A/B" is the Maildir++ folder
 * ".A.B" (names in modified UTF-7).  Flags are the info letters of the
 * file names ("base:2,FS"); a message in new/ has none.  Each folder's
 * UIDs are in "mailproto-imapd.uids":
 *
 *   mailproto-imapd 1 UIDVALIDITY UIDNEXT MODSEQ
 *   UID BASE
 *   ...
 *
 * MODSEQ (CONDSTORE, RFC 7162) must never go back, across restarts too,
 * yet flag changes are renames that write no list.  So the list holds a
 * ceiling: the modseqs of a run stay below it, and a new ceiling is made
 * durable before one is used above the old.  At the next start every
 * message gets the old ceiling as its modseq: a client that knew a lower
 * HIGHESTMODSEQ fetches every flag again, which is correct, and none sees
 * a value go back.
 * written to a temporary file, fsynced and renamed over the old one, so a
 * kill leaves the old list or the new one.  Why nothing is ever lost or
 * numbered twice:
 *  - a UID is handed out only after a list holding it (and the UIDNEXT
 *    above it) is durable: a UID a client saw is never reused;
 *  - a file the list does not know gets the next UID at the next scan
 *    (a message APPENDed or delivered when the kill came);
 *  - a list entry without its file is dropped at the next scan (a message
 *    expunged when the kill came).
 * Every message is therefore listed exactly once, under one UID.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imapd.h"

#ifdef __linux__
#include <sys/inotify.h>
#endif

#define UIDS_FILE "mailproto-imapd.uids"

static struct {
    const char *root;
    int watch_fd;
    folder *folders;
    unsigned long counter;
    char host[64];
} S;

double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p == NULL)
        abort();
    memcpy(p, s, n);
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        abort();
    return p;
}

void store_init(const char *root)
{
    size_t i;
    S.root = root;
#ifdef __linux__
    S.watch_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
#else
    S.watch_fd = -1;
#endif
    if (gethostname(S.host, sizeof(S.host) - 1) != 0 || S.host[0] == '\0')
        strcpy(S.host, "localhost");
    /* '/' and ':' cannot be in a Maildir name (":" starts the info) */
    for (i = 0; S.host[i]; i++)
        if (S.host[i] == '/' || S.host[i] == ':')
            S.host[i] = '_';
}

void unique_name(char *out, size_t cap)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    S.counter++;
    snprintf(out, cap, "%lld.M%ldP%ldQ%lu.%s", (long long)ts.tv_sec, (long)(ts.tv_nsec / 1000),
             (long)getpid(), S.counter, S.host);
}

void tmp_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/tmp/%s", S.root, name);
}

/* ----------------------------------------------------------------------- */
/* Names                                                                   */
/* ----------------------------------------------------------------------- */

/* The directory of folder `name`, or -1 for a name we refuse (empty parts,
 * a '.' that the Maildir++ layout would read as a separator). */
static int folder_dir(const char *name, char *out, size_t cap)
{
    char enc[PATH_MAX];
    size_t n, i;
    if (strcasecmp(name, "INBOX") == 0) {
        snprintf(out, cap, "%s", S.root);
        return 0;
    }
    if (name[0] == '\0' || name[0] == '/' || strchr(name, '.') != NULL ||
        name[strlen(name) - 1] == '/' || strstr(name, "//") != NULL)
        return -1;
    if (mp_mutf7_encode(name, strlen(name), enc, sizeof(enc) - 1, &n) != MP_OK)
        return -1;
    enc[n] = '\0';
    for (i = 0; i < n; i++)
        if (enc[i] == '/')
            enc[i] = '.';
    snprintf(out, cap, "%s/.%s", S.root, enc);
    return 0;
}

static int is_maildir(const char *dir)
{
    char p[PATH_MAX];
    struct stat st;
    snprintf(p, sizeof(p), "%s/cur", dir);
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

void store_list(void (*fn)(void *u, const char *name), void *u)
{
    DIR *d = opendir(S.root);
    struct dirent *e;
    fn(u, "INBOX");
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char p[PATH_MAX], name[PATH_MAX];
        size_t n, i;
        if (e->d_name[0] != '.' || e->d_name[1] == '\0' || e->d_name[1] == '.')
            continue;
        snprintf(p, sizeof(p), "%s/%s", S.root, e->d_name);
        if (!is_maildir(p))
            continue;
        if (mp_mutf7_decode(e->d_name + 1, strlen(e->d_name + 1), name, sizeof(name) - 1, &n) !=
            MP_OK)
            continue;
        name[n] = '\0';
        for (i = 0; i < n; i++)
            if (name[i] == '.')
                name[i] = '/';
        fn(u, name);
    }
    closedir(d);
}

/* ----------------------------------------------------------------------- */
/* Flags                                                                   */
/* ----------------------------------------------------------------------- */

/* Modseqs handed out between two durable ceilings. */
#define MODSEQ_BLOCK 1000000u

uint64_t store_next_modseq(folder *f)
{
    if (f->modseq + 1 >= f->modseq_ceiling) {
        f->modseq_ceiling = f->modseq + 1 + MODSEQ_BLOCK;
        if (store_save(f) != 0)
            fprintf(stderr, "mailproto-imapd: cannot save the UID list of %s\n", f->name);
    }
    return ++f->modseq;
}

static const struct {
    char letter;
    uint32_t flag;
    const char *name;
} FLAGS[] = {
    { 'D', FL_DRAFT, "\\Draft" },   { 'F', FL_FLAGGED, "\\Flagged" },
    { 'P', FL_PASSED, NULL },       { 'R', FL_ANSWERED, "\\Answered" },
    { 'S', FL_SEEN, "\\Seen" },     { 'T', FL_DELETED, "\\Deleted" },
};
#define NFLAGS (sizeof(FLAGS) / sizeof(FLAGS[0]))

void flags_text(uint32_t flags, char *out, size_t cap)
{
    size_t i, n = 0;
    out[0] = '\0';
    for (i = 0; i < NFLAGS; i++) {
        if (!(flags & FLAGS[i].flag) || FLAGS[i].name == NULL)
            continue;
        n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? " " : "", FLAGS[i].name);
        if (n >= cap)
            break;
    }
}

/* Info letters -> flags; the others (keywords, unknown) go to `extra`. */
static uint32_t parse_info(const char *info, char *extra, size_t cap)
{
    uint32_t f = 0;
    size_t n = 0, i;
    for (; *info; info++) {
        for (i = 0; i < NFLAGS; i++)
            if (*info == FLAGS[i].letter)
                break;
        if (i < NFLAGS)
            f |= FLAGS[i].flag;
        else if (n + 1 < cap)
            extra[n++] = *info;
    }
    extra[n] = '\0';
    return f;
}

void store_path(const folder *f, const msg *m, char *out, size_t cap)
{
    char info[32];
    size_t i, n = 0;
    if (m->in_new) {
        snprintf(out, cap, "%s/new/%s", f->dir, m->base);
        return;
    }
    for (i = 0; i < NFLAGS; i++)
        if (m->flags & FLAGS[i].flag)
            info[n++] = FLAGS[i].letter;
    info[n] = '\0';
    snprintf(out, cap, "%s/cur/%s:2,%s%s", f->dir, m->base, info, m->extra ? m->extra : "");
}

int store_set_flags(folder *f, msg *m, uint32_t flags)
{
    char from[PATH_MAX], to[PATH_MAX];
    msg t = *m;
    if (flags == m->flags && !m->in_new)
        return 0;
    store_path(f, m, from, sizeof(from));
    t.flags = flags;
    t.in_new = 0;
    store_path(f, &t, to, sizeof(to));
    if (rename(from, to) != 0)
        return -1;
    if (flags != m->flags) {
        m->modseq = store_next_modseq(f);
        f->version++;
    }
    m->flags = flags;
    m->in_new = 0;
    return 0;
}

/* ----------------------------------------------------------------------- */
/* UID list                                                                */
/* ----------------------------------------------------------------------- */

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    int r;
    if (fd < 0)
        return -1;
    r = fsync(fd);
    close(fd);
    return r;
}

int store_save(folder *f)
{
    char p[PATH_MAX], t[PATH_MAX];
    FILE *o;
    size_t i;
    int ok;
    snprintf(p, sizeof(p), "%s/" UIDS_FILE, f->dir);
    snprintf(t, sizeof(t), "%s/" UIDS_FILE ".tmp", f->dir);
    o = fopen(t, "w");
    if (o == NULL)
        return -1;
    fprintf(o, "mailproto-imapd 1 %lu %lu %llu\n", (unsigned long)f->uidvalidity,
            (unsigned long)f->uidnext, (unsigned long long)f->modseq_ceiling);
    for (i = 0; i < f->n; i++)
        fprintf(o, "%lu %s\n", (unsigned long)f->m[i].uid, f->m[i].base);
    ok = fflush(o) == 0 && fsync(fileno(o)) == 0;
    ok = fclose(o) == 0 && ok;
    if (!ok || rename(t, p) != 0) {
        unlink(t);
        return -1;
    }
    fsync_dir(f->dir);
    return 0;
}

/* Read the list into f->m (files not checked yet); 0 when there is none. */
static int load_uids(folder *f)
{
    char p[PATH_MAX], line[1024];
    FILE *in;
    unsigned long v, nx;
    unsigned long long ms = 0;
    snprintf(p, sizeof(p), "%s/" UIDS_FILE, f->dir);
    in = fopen(p, "r");
    if (in == NULL)
        return 0;
    if (fgets(line, sizeof(line), in) == NULL ||
        sscanf(line, "mailproto-imapd 1 %lu %lu %llu", &v, &nx, &ms) < 2 || v == 0 || nx == 0) {
        fclose(in);
        return 0;
    }
    f->uidvalidity = (uint32_t)v;
    f->uidnext = (uint32_t)nx;
    /* every modseq of the last run was below its ceiling */
    f->modseq = ms;
    while (fgets(line, sizeof(line), in) != NULL) {
        unsigned long uid;
        char *sp = strchr(line, ' ');
        line[strcspn(line, "\n")] = '\0';
        if (sp == NULL)
            continue;
        *sp = '\0';
        uid = strtoul(line, NULL, 10);
        if (uid == 0 || uid >= f->uidnext || sp[1] == '\0')
            continue;
        if (f->n == f->cap) {
            f->cap = f->cap ? 2 * f->cap : 64;
            f->m = xrealloc(f->m, f->cap * sizeof(msg));
        }
        memset(&f->m[f->n], 0, sizeof(msg));
        f->m[f->n].uid = (uint32_t)uid;
        f->m[f->n].base = xstrdup(sp + 1);
        f->m[f->n].in_new = 1;
        f->n++;
    }
    fclose(in);
    return 1;
}

/* ----------------------------------------------------------------------- */
/* Scanning                                                                */
/* ----------------------------------------------------------------------- */

typedef struct dent {
    char *base;
    char *info; /* NULL: in new/ */
} dent;

/* A known message by name (base first, as in dent: one comparator). */
typedef struct nref {
    char *base;
    size_t idx;
} nref;

static int base_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int uid_cmp(const void *a, const void *b)
{
    uint32_t x = ((const msg *)a)->uid, y = ((const msg *)b)->uid;
    return x < y ? -1 : x > y;
}

static void read_sub(const folder *f, const char *sub, dent **v, size_t *n, size_t *cap)
{
    char p[PATH_MAX];
    DIR *d;
    struct dirent *e;
    snprintf(p, sizeof(p), "%s/%s", f->dir, sub);
    d = opendir(p);
    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char *colon;
        if (e->d_name[0] == '.')
            continue;
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 256;
            *v = xrealloc(*v, *cap * sizeof(dent));
        }
        (*v)[*n].base = xstrdup(e->d_name);
        (*v)[*n].info = NULL;
        colon = strstr((*v)[*n].base, ":2,");
        if (sub[0] == 'c') {
            if (colon != NULL) {
                *colon = '\0';
                (*v)[*n].info = colon + 3;
            } else {
                (*v)[*n].info = (*v)[*n].base + strlen((*v)[*n].base);
            }
        }
        (*n)++;
    }
    closedir(d);
}

int store_rescan(folder *f, double age)
{
    dent *v = NULL;
    size_t n = 0, cap = 0, i, j, fresh = 0, removed = 0;
    nref *byname;
    double t = now_mono();
    if (age > 0 && !f->dirty && t - f->scanned < age)
        return 0;
    f->scanned = t;
    f->dirty = 0;
    read_sub(f, "new", &v, &n, &cap);
    read_sub(f, "cur", &v, &n, &cap);
    if (n > 1) /* qsort wants an array, even for nothing */
        qsort(v, n, sizeof(dent), base_cmp);
    /* the known messages by name, to match the files */
    byname = xrealloc(NULL, f->n * sizeof(nref));
    for (i = 0; i < f->n; i++) {
        byname[i].base = f->m[i].base;
        byname[i].idx = i;
        f->m[i].seen_scan = 0;
    }
    qsort(byname, f->n, sizeof(nref), base_cmp);
    for (i = 0; i < n; i++) {
        nref *hit;
        hit = bsearch(&v[i], byname, f->n, sizeof(nref), base_cmp);
        if (hit != NULL && f->m[hit->idx].seen_scan) {
            /* the same message in new/ and cur/ (a rename under way) */
            free(v[i].base);
            v[i].base = NULL;
            continue;
        }
        if (hit != NULL) {
            msg *m = &f->m[hit->idx];
            char extra[32];
            uint32_t fl = v[i].info ? parse_info(v[i].info, extra, sizeof(extra)) : 0;
            m->seen_scan = 1;
            if (v[i].info == NULL)
                extra[0] = '\0';
            if (fl != m->flags) {
                m->flags = fl;
                m->modseq = store_next_modseq(f);
                f->version++;
            }
            m->in_new = v[i].info == NULL;
            if (m->extra == NULL || strcmp(m->extra, extra) != 0) {
                free(m->extra);
                m->extra = extra[0] ? xstrdup(extra) : NULL;
            }
            free(v[i].base);
            v[i].base = NULL;
        } else {
            fresh++;
        }
    }
    free(byname);
    /* entries whose file is gone */
    for (i = j = 0; i < f->n; i++) {
        if (f->m[i].seen_scan) {
            f->m[j++] = f->m[i];
        } else {
            free(f->m[i].base);
            free(f->m[i].extra);
            msg_forget(&f->m[i]);
            removed++;
        }
    }
    f->n = j;
    /* new files, in name order (time first: delivery order) */
    for (i = 0; i < n; i++) {
        char extra[32];
        msg *m;
        if (v[i].base == NULL)
            continue;
        if (i > 0 && v[i - 1].base != NULL && strcmp(v[i].base, v[i - 1].base) == 0) {
            free(v[i].base);
            continue;
        }
        if (f->n == f->cap) {
            f->cap = f->cap ? 2 * f->cap : 64;
            f->m = xrealloc(f->m, f->cap * sizeof(msg));
        }
        m = &f->m[f->n++];
        memset(m, 0, sizeof(*m));
        m->uid = f->uidnext++;
        m->base = v[i].base;
        m->in_new = v[i].info == NULL;
        m->flags = v[i].info ? parse_info(v[i].info, extra, sizeof(extra)) : 0;
        if (v[i].info != NULL && extra[0])
            m->extra = xstrdup(extra);
        m->modseq = store_next_modseq(f);
    }
    free(v);
    if (fresh || removed) {
        f->version++;
        if (f->n > 1)
            qsort(f->m, f->n, sizeof(msg), uid_cmp);
        /* the new UIDs are shown to nobody before this list is durable */
        if (store_save(f) != 0) {
            fprintf(stderr, "mailproto-imapd: cannot save the UID list of %s\n", f->name);
            return -1;
        }
    }
    return 0;
}

/* Deliveries (a rename into new/) and other programs' flag changes (a
 * rename in cur/) wake IDLE at once instead of at the next periodic scan. */
static void watch(folder *f)
{
    f->wd[0] = f->wd[1] = -1;
#ifdef __linux__
    if (S.watch_fd >= 0) {
        static const char *const subs[] = { "new", "cur" };
        int i;
        for (i = 0; i < 2; i++) {
            char p[PATH_MAX];
            snprintf(p, sizeof(p), "%s/%s", f->dir, subs[i]);
            f->wd[i] = inotify_add_watch(S.watch_fd, p,
                                         IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE);
        }
    }
#endif
}

int store_watch_fd(void)
{
    return S.watch_fd;
}

void store_watch_read(void)
{
#ifdef __linux__
    char buf[8192];
    for (;;) {
        ssize_t k = S.watch_fd >= 0 ? read(S.watch_fd, buf, sizeof(buf)) : -1;
        size_t off = 0;
        if (k <= 0)
            return;
        while (off + sizeof(struct inotify_event) <= (size_t)k) {
            struct inotify_event ev;
            folder *f;
            memcpy(&ev, buf + off, sizeof(ev));
            off += sizeof(ev) + ev.len;
            for (f = S.folders; f; f = f->next)
                if (ev.wd == f->wd[0] || ev.wd == f->wd[1])
                    f->dirty = 1;
        }
    }
#endif
}

folder *store_open(const char *name)
{
    char dir[PATH_MAX];
    folder *f;
    const char *canon = strcasecmp(name, "INBOX") == 0 ? "INBOX" : name;
    for (f = S.folders; f; f = f->next)
        if (strcmp(f->name, canon) == 0) {
            if (!is_maildir(f->dir))
                return NULL;
            store_rescan(f, 0.2);
            return f;
        }
    if (folder_dir(canon, dir, sizeof(dir)) != 0 || !is_maildir(dir))
        return NULL;
    f = calloc(1, sizeof(*f));
    if (f == NULL)
        abort();
    f->name = xstrdup(canon);
    f->dir = xstrdup(dir);
    if (!load_uids(f)) {
        /* a new list: a new UIDVALIDITY (seconds, above any earlier one) */
        f->uidvalidity = (uint32_t)time(NULL);
        f->uidnext = 1;
        f->n = 0;
        f->modseq = 0;
    }
    {
        /* this run's modseqs start above every one of the last run */
        size_t i;
        f->modseq_ceiling = 0;
        f->modseq++;
        for (i = 0; i < f->n; i++)
            f->m[i].modseq = f->modseq;
        f->modseq_ceiling = f->modseq + 1 + MODSEQ_BLOCK;
    }
    if (store_rescan(f, 0) != 0 || store_save(f) != 0) {
        /* no UID can be promised without a durable list */
        free(f->m);
        free(f->name);
        free(f->dir);
        free(f);
        return NULL;
    }
    watch(f);
    f->next = S.folders;
    S.folders = f;
    return f;
}

long store_find(const folder *f, uint32_t uid)
{
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (f->m[mid].uid < uid)
            lo = mid + 1;
        else if (f->m[mid].uid > uid)
            hi = mid;
        else
            return (long)mid;
    }
    return -1;
}

void store_remove(folder *f, size_t i)
{
    char p[PATH_MAX];
    store_path(f, &f->m[i], p, sizeof(p));
    if (unlink(p) != 0 && errno == ENOENT) {
        /* renamed by someone else meanwhile: the other directory */
        msg t = f->m[i];
        t.in_new = !t.in_new;
        store_path(f, &t, p, sizeof(p));
        unlink(p);
    }
    free(f->m[i].base);
    free(f->m[i].extra);
    msg_forget(&f->m[i]);
    memmove(&f->m[i], &f->m[i + 1], (f->n - i - 1) * sizeof(msg));
    f->n--;
    f->version++;
    store_next_modseq(f); /* HIGHESTMODSEQ moves on an expunge too */
}

uint32_t store_add(folder *f, const char *src, uint32_t flags, time_t when, int link_it)
{
    char name[256], to[PATH_MAX];
    msg *m;
    unique_name(name, sizeof(name));
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 64;
        f->m = xrealloc(f->m, f->cap * sizeof(msg));
    }
    m = &f->m[f->n];
    memset(m, 0, sizeof(*m));
    m->base = xstrdup(name);
    m->flags = flags;
    store_path(f, m, to, sizeof(to));
    if (link_it ? link(src, to) != 0 : rename(src, to) != 0) {
        free(m->base);
        return 0;
    }
    if (when != 0) {
        struct timespec ts[2];
        ts[0].tv_sec = ts[1].tv_sec = when;
        ts[0].tv_nsec = ts[1].tv_nsec = 0;
        utimensat(AT_FDCWD, to, ts, 0);
    }
    m->uid = f->uidnext++;
    m->modseq = store_next_modseq(f);
    f->n++;
    f->version++;
    return m->uid;
}

void store_stat(const folder *f, msg *m)
{
    char p[PATH_MAX];
    struct stat st;
    if (m->mtime != 0)
        return;
    store_path(f, m, p, sizeof(p));
    if (stat(p, &st) == 0)
        m->mtime = st.st_mtime;
    else
        m->mtime = 1;
}

/* ----------------------------------------------------------------------- */
/* CREATE, DELETE, RENAME                                                  */
/* ----------------------------------------------------------------------- */

int store_create(const char *name)
{
    static const char *const subs[] = { "", "/tmp", "/new", "/cur" };
    char dir[PATH_MAX], p[PATH_MAX];
    size_t i;
    if (strcasecmp(name, "INBOX") == 0 || folder_dir(name, dir, sizeof(dir)) != 0)
        return -1;
    if (is_maildir(dir))
        return -2;
    for (i = 0; i < 4; i++) {
        snprintf(p, sizeof(p), "%s%s", dir, subs[i]);
        if (mkdir(p, 0700) != 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

static void forget(const char *dir)
{
    folder **pp;
    for (pp = &S.folders; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->dir, dir) == 0) {
            /* kept allocated: a session may still point at it; it is
             * empty and unreachable from now on */
            (*pp)->n = 0;
            (*pp)->version++;
            *pp = (*pp)->next;
            return;
        }
}

int store_delete(const char *name)
{
    static const char *const subs[] = { "/tmp", "/new", "/cur" };
    char dir[PATH_MAX], p[PATH_MAX];
    size_t i;
    if (strcasecmp(name, "INBOX") == 0 || folder_dir(name, dir, sizeof(dir)) != 0 ||
        !is_maildir(dir))
        return -1;
    for (i = 0; i < 3; i++) {
        DIR *d;
        struct dirent *e;
        snprintf(p, sizeof(p), "%s%s", dir, subs[i]);
        d = opendir(p);
        while (d && (e = readdir(d)) != NULL) {
            char q[PATH_MAX];
            if (e->d_name[0] == '.')
                continue;
            if (snprintf(q, sizeof(q), "%s/%s", p, e->d_name) < (int)sizeof(q))
                unlink(q);
        }
        if (d)
            closedir(d);
        rmdir(p);
    }
    if (snprintf(p, sizeof(p), "%s/" UIDS_FILE, dir) < (int)sizeof(p))
        unlink(p);
    forget(dir);
    return rmdir(dir) == 0 ? 0 : -1;
}

int store_rename(const char *from, const char *to)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (strcasecmp(from, "INBOX") == 0 || folder_dir(from, a, sizeof(a)) != 0 ||
        folder_dir(to, b, sizeof(b)) != 0 || !is_maildir(a))
        return -1;
    if (is_maildir(b))
        return -2;
    forget(a);
    return rename(a, b) == 0 ? 0 : -1;
}
