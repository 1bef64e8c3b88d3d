/*
 * mailproto-imapd: the mailbox and message commands, as the host of the
 * IMAP server session (imap_server.h) over the Maildir store (store.c).
 *
 * Each command arrives as request events; the arguments are kept, and at
 * EXECUTE the command runs against the store and is answered at once.  A
 * response larger than the output room waits for the client to read
 * (conn_flush_wait); message bodies are streamed from their files in the
 * wire form (CRLF) through the output buffer.
 *
 * Message numbers: each session has its view (UIDs by message number).
 * Changes made by others (another connection, mailproto-smtpd delivering,
 * a mail reader renaming files) reach the view at the moments RFC 9051
 * §7.5.1 allows: new messages and flag changes at any time (the session
 * queues them), expunges only at the end of a command that may carry
 * EXPUNGE and during IDLE.  Until then the client's numbers keep their
 * meaning: a message gone from the store stays in the view, and FETCH
 * passes over it.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "imapd.h"

#define MAX_APPEND_MSGS 64

/* ENVELOPE, BODY and BODYSTRUCTURE come from lib/mime's writer, which
 * writes through an IMAP response writer: the session's own, inside a
 * FETCH response opened (and so checked) with mp_imap_server_respond(). */
#define SESSION_WRITER(c) mp_imap_server_writer(&(c)->s)

/* CONDSTORE is enabled: by a command that uses it (SELECT (CONDSTORE),
 * FETCH MODSEQ, ...) or by ENABLE CONDSTORE / QRESYNC, which the session
 * runs itself. */
static int condstore(const conn *c)
{
    return c->condstore || (mp_imap_server_enabled(&c->s) & MP_IMAP_SRV_CONDSTORE) != 0;
}

/* The number after an ATOM argument `name` (a modifier such as
 * CHANGEDSINCE, UNCHANGEDSINCE); 0 and *found 0 when absent. */
static uint64_t modifier(const conn *c, const char *name, int *found);

/* IMAP4rev2 is enabled (or the server speaks nothing else). */
static int rev2(const conn *c)
{
    return (mp_imap_server_enabled(&c->s) & MP_IMAP_SRV_REV2) != 0 ||
           (c->s.cfg->flags & MP_IMAP_SRV_NO_REV1) != 0;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (p == NULL)
        abort();
    return p;
}

static char *xmemdup(const char *s, size_t n)
{
    char *p = xrealloc(NULL, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* ----------------------------------------------------------------------- */
/* The command's arguments                                                 */
/* ----------------------------------------------------------------------- */

static void fetch_end(conn *c);

static void drop_spools(conn *c, int unlink_them)
{
    size_t i;
    for (i = 0; i < c->nsp; i++) {
        if (c->sp[i].fd >= 0)
            close(c->sp[i].fd);
        if (unlink_them)
            unlink(c->sp[i].path);
    }
    free(c->sp);
    c->sp = NULL;
    c->nsp = 0;
    c->sp_err = 0;
}

static void drop_args(conn *c)
{
    size_t i;
    for (i = 0; i < c->na; i++) {
        free(c->a[i].text);
        free(c->a[i].section);
    }
    c->na = 0;
}

void session_reset(conn *c)
{
    drop_args(c);
    free(c->a);
    c->a = NULL;
    c->acap = 0;
    drop_spools(c, 1);
    fetch_end(c);
    free(c->vu);
    c->vu = NULL;
    c->vn = c->vcap = 0;
    c->sel = NULL;
}

static void keep_arg(conn *c, const mp_imap_cmd_arg *a)
{
    carg *k;
    if (c->na == c->acap) {
        c->acap = c->acap ? 2 * c->acap : 32;
        c->a = xrealloc(c->a, c->acap * sizeof(carg));
    }
    k = &c->a[c->na++];
    memset(k, 0, sizeof(*k));
    k->kind = a->kind;
    k->depth = a->depth;
    k->has_section = a->has_section;
    k->has_partial = a->has_partial;
    k->text = xmemdup(a->text.ptr, a->text.len);
    k->tlen = a->text.len;
    if (a->has_section)
        k->section = xmemdup(a->section.ptr, a->section.len);
    k->num = a->num;
    k->porigin = a->partial_origin;
    k->plen = a->partial_len;
    k->index = a->index;
    k->range = a->range;
    k->dt = a->dt;
}

/* ----------------------------------------------------------------------- */
/* Writing responses                                                       */
/* ----------------------------------------------------------------------- */

static mp_status put(conn *c, mp_imap_resp_event e)
{
    return mp_imap_server_respond(&c->s, &e);
}

/* Write one whole response through `fn` (which writes it from its BEGIN),
 * waiting for the client to read when the output has no room for it. */
static int emit(conn *c, mp_status (*fn)(conn *c, void *arg), void *arg)
{
    int tries;
    for (tries = 0; tries < 3; tries++) {
        mp_status st = fn(c, arg);
        if (st == MP_OK)
            return 0;
        if (st != MP_ERR_NO_SPACE || conn_flush_wait(c) != 0)
            return -1;
    }
    return -1;
}

static mp_status untagged_status(conn *c, void *arg)
{
    const char *const *ct = arg;
    return mp_imap_server_untagged(&c->s, MP_IMAP_RESP_OK, ct[0], ct[1]);
}

static int untagged_ok(conn *c, const char *code, const char *text)
{
    const char *ct[2];
    ct[0] = code;
    ct[1] = text;
    return emit(c, untagged_status, (void *)ct);
}

static void finish(conn *c, mp_imap_resp_kind kind, const char *code, const char *text);
static int has_ci(const char *h, const char *n);

static int flag_bit(const char *s)
{
    static const struct {
        const char *name;
        uint32_t f;
    } t[] = { { "\\Seen", FL_SEEN },       { "\\Answered", FL_ANSWERED },
              { "\\Flagged", FL_FLAGGED }, { "\\Deleted", FL_DELETED },
              { "\\Draft", FL_DRAFT } };
    size_t i;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strcasecmp(s, t[i].name) == 0)
            return (int)t[i].f;
    return 0;
}

/* FLAGS (...) as events. */
static mp_status put_flags(conn *c, uint32_t flags)
{
    char text[128], *p, *save = NULL;
    mp_status st = put(c, mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FLAGS));
    flags_text(flags, text, sizeof(text));
    for (p = strtok_r(text, " ", &save); p && st == MP_OK; p = strtok_r(NULL, " ", &save))
        st = put(c, mp_imap_ev_value(MP_IMAP_F_FLAG, MP_IMAP_V_FLAG, mp_slice_make(p, strlen(p)),
                                     0));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_FLAGS));
    return st;
}

/* A uid-set / sequence-set in its short form ("1:3,7"), malloc'd. */
static char *set_text(const uint32_t *v, size_t n)
{
    size_t cap = 16 + n * 22, len = 0, i = 0;
    char *s = xrealloc(NULL, cap);
    s[0] = '\0';
    while (i < n) {
        size_t j = i;
        while (j + 1 < n && v[j + 1] == v[j] + 1)
            j++;
        if (j > i)
            len += (size_t)snprintf(s + len, cap - len, "%s%lu:%lu", len ? "," : "",
                                    (unsigned long)v[i], (unsigned long)v[j]);
        else
            len += (size_t)snprintf(s + len, cap - len, "%s%lu", len ? "," : "",
                                    (unsigned long)v[i]);
        i = j + 1;
    }
    return s;
}

/* ----------------------------------------------------------------------- */
/* The view and sequence sets                                              */
/* ----------------------------------------------------------------------- */

static void view_add(conn *c, uint32_t uid)
{
    if (c->vn == c->vcap) {
        c->vcap = c->vcap ? 2 * c->vcap : 256;
        c->vu = xrealloc(c->vu, c->vcap * sizeof(uint32_t));
    }
    c->vu[c->vn++] = uid;
}

static void view_del(conn *c, size_t i)
{
    memmove(&c->vu[i], &c->vu[i + 1], (c->vn - i - 1) * sizeof(uint32_t));
    c->vn--;
}

/* First view index whose UID is >= uid. */
static size_t view_lower(const conn *c, uint32_t uid)
{
    size_t lo = 0, hi = c->vn;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->vu[mid] < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void session_sync(conn *c, int expunges)
{
    folder *f = c->sel;
    size_t i, added = 0, old;
    int full = 0;
    if (f == NULL || mp_imap_server_state_of(&c->s) != MP_IMAP_SS_SELECTED)
        return;
    if (expunges) {
        for (i = c->vn; i-- > 0;) {
            if (store_find(f, c->vu[i]) >= 0)
                continue;
            if (mp_imap_server_notify_expunge(&c->s, (uint32_t)i + 1, c->vu[i]) != MP_OK) {
                full = 1;
                break;
            }
            view_del(c, i);
        }
    }
    old = c->vn;
    {
        uint32_t top = c->vn ? c->vu[c->vn - 1] : 0;
        for (i = 0; i < f->n; i++)
            if (f->m[i].uid > top) {
                view_add(c, f->m[i].uid);
                added++;
            }
        if (added && mp_imap_server_notify_exists(&c->s, (uint32_t)c->vn) != MP_OK) {
            c->vn -= added; /* told later */
            full = 1;
        }
    }
    if (c->vmodseq < f->modseq) {
        /* new messages come with EXISTS: their flags are fetched */
        for (i = 0; i < old && i < c->vn && !full; i++) {
            long k = store_find(f, c->vu[i]);
            char text[128];
            if (k < 0 || f->m[k].modseq <= c->vmodseq || f->m[k].modseq == 0)
                continue;
            flags_text(f->m[k].flags, text, sizeof(text));
            if (mp_imap_server_notify_flags(&c->s, (uint32_t)i + 1, c->vu[i],
                                            condstore(c) ? f->m[k].modseq : 0, text) != MP_OK)
                full = 1;
        }
        if (!full)
            c->vmodseq = f->modseq;
    }
    if (!full)
        c->vversion = f->version;
}

/* The view indexes a sequence set (or UID set) names, ascending, each
 * once; `*n` of them.  The set is the SEQ arguments at depth 0 from
 * a[*at] on; *at moves past them. */
static size_t *resolve_set(conn *c, size_t *at, int uid, size_t *n)
{
    unsigned char *pick = calloc(c->vn + 1, 1);
    size_t *out, i, k = 0;
    if (pick == NULL)
        abort();
    while (*at < c->na && c->a[*at].kind == MP_IMAP_CA_SEQ) {
        uint32_t lo = c->a[*at].range.lo, hi = c->a[*at].range.hi;
        (*at)++;
        if (c->vn == 0)
            continue;
        if (uid) {
            uint32_t top = c->vu[c->vn - 1];
            size_t j;
            if (lo == MP_IMAP_SEQ_STAR)
                lo = top;
            if (hi == MP_IMAP_SEQ_STAR)
                hi = top;
            if (lo > hi) {
                uint32_t t = lo;
                lo = hi;
                hi = t;
            }
            for (j = view_lower(c, lo); j < c->vn && c->vu[j] <= hi; j++)
                pick[j] = 1;
        } else {
            uint32_t top = (uint32_t)c->vn, j;
            if (lo == MP_IMAP_SEQ_STAR)
                lo = top;
            if (hi == MP_IMAP_SEQ_STAR)
                hi = top;
            if (lo > hi) {
                uint32_t t = lo;
                lo = hi;
                hi = t;
            }
            if (hi > top)
                hi = top;
            for (j = lo; j >= 1 && j <= hi; j++)
                pick[j - 1] = 1;
        }
    }
    out = xrealloc(NULL, (c->vn + 1) * sizeof(size_t));
    for (i = 0; i < c->vn; i++)
        if (pick[i])
            out[k++] = i;
    free(pick);
    *n = k;
    return out;
}

/* The store's record behind view index i (NULL: expunged meanwhile). */
static msg *view_msg(conn *c, size_t i)
{
    long k = store_find(c->sel, c->vu[i]);
    return k < 0 ? NULL : &c->sel->m[k];
}

/* ----------------------------------------------------------------------- */
/* Message structure (one parse at a time, reused by consecutive items)    */
/* ----------------------------------------------------------------------- */

static struct {
    mp_mime_part parts[1024];
    char values[MP_MIME_VALUES_SUGGESTED];
    mp_mime_msg m;
    const folder *f;
    uint32_t uid, uidvalidity;
    int ok;
} MM;

/* Bytes held by the structure cache, and its bound: 10,000 ordinary
 * messages take about 10 MB. */
static size_t cache_bytes;
#define CACHE_MAX ((size_t)128 << 20)

void msg_forget(msg *m)
{
    if (MM.ok && m->mime != NULL && MM.m.parts == m->mime)
        MM.ok = 0;
    if (m->mime != NULL)
        cache_bytes -= m->mime_nparts * sizeof(mp_mime_part) + m->mime_vlen;
    free(m->mime);
    m->mime = NULL;
}

static void cache_keep(msg *m, const mp_mime_msg *mm)
{
    size_t n = mm->nparts * sizeof(mp_mime_part) + mm->values_len;
    char *p;
    if (m->mime != NULL || cache_bytes + n > CACHE_MAX || (p = malloc(n ? n : 1)) == NULL)
        return;
    memcpy(p, mm->parts, mm->nparts * sizeof(mp_mime_part));
    if (mm->values_len > 0)
        memcpy(p + mm->nparts * sizeof(mp_mime_part), mm->values, mm->values_len);
    m->mime = p;
    m->mime_nparts = mm->nparts;
    m->mime_vlen = mm->values_len;
    cache_bytes += n;
}

static const mp_mime_msg *parse_msg(const folder *f, msg *m)
{
    char p[PATH_MAX], buf[65536];
    mp_mime_parser mp;
    int fd;
    if (MM.ok && MM.f == f && MM.uid == m->uid && MM.uidvalidity == f->uidvalidity)
        return &MM.m;
    MM.ok = 0;
    if (m->mime != NULL) {
        /* the cache: the records and values as the parser left them */
        MM.m.parts = m->mime;
        MM.m.nparts = m->mime_nparts;
        MM.m.values = (const char *)m->mime + m->mime_nparts * sizeof(mp_mime_part);
        MM.m.values_len = m->mime_vlen;
        MM.f = f;
        MM.uid = m->uid;
        MM.uidvalidity = f->uidvalidity;
        MM.ok = 1;
        return &MM.m;
    }
    store_path(f, m, p, sizeof(p));
    fd = open(p, O_RDONLY);
    if (fd < 0)
        return NULL;
    mp_mime_init(&mp, MM.parts, sizeof(MM.parts) / sizeof(MM.parts[0]), MM.values,
                 sizeof(MM.values), NULL);
    for (;;) {
        ssize_t k = read(fd, buf, sizeof(buf));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        mp_mime_feed(&mp, buf, (size_t)k);
    }
    close(fd);
    (void)mp_mime_finish(&mp, &MM.m); /* a limit still gives a whole structure */
    MM.f = f;
    MM.uid = m->uid;
    MM.uidvalidity = f->uidvalidity;
    MM.ok = 1;
    m->wire_size = MM.m.parts[0].hdr_size + MM.m.parts[0].body_size;
    cache_keep(m, &MM.m);
    return &MM.m;
}

/* RFC822.SIZE: the CRLF form's size, counted once. */
static uint64_t wire_size(const folder *f, msg *m)
{
    if (m->wire_size == 0)
        parse_msg(f, m);
    return m->wire_size;
}

/* ----------------------------------------------------------------------- */
/* FETCH                                                                   */
/* ----------------------------------------------------------------------- */

enum {
    FI_UID = 1, FI_FLAGS, FI_INTERNALDATE, FI_SIZE, FI_MODSEQ, FI_ENVELOPE, FI_BODY, FI_BODYSTRUCTURE,
    FI_SECTION, FI_RFC822, FI_RFC822_HEADER, FI_RFC822_TEXT
};

static void add_item(fitem **v, size_t *n, int kind)
{
    size_t i;
    for (i = 0; i < *n; i++)
        if ((*v)[i].kind == kind && kind != FI_SECTION)
            return;
    *v = xrealloc(*v, (*n + 1) * sizeof(fitem));
    memset(&(*v)[*n], 0, sizeof(fitem));
    (*v)[*n].kind = kind;
    (*n)++;
}

static void internaldate(time_t t, char *out, size_t cap)
{
    static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    struct tm tm;
    long off;
    localtime_r(&t, &tm);
    off = tm.tm_gmtoff / 60;
    snprintf(out, cap, "%02d-%s-%04d %02d:%02d:%02d %c%02ld%02ld", tm.tm_mday, mon[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, off < 0 ? '-' : '+',
             (off < 0 ? -off : off) / 60, (off < 0 ? -off : off) % 60);
}

/* The bytes of a literal item: a range of the file in wire form, or a
 * materialised buffer (HEADER.FIELDS). */
typedef struct lit_src {
    int fd;
    uint64_t pos, end, skip, left;
    mp_mime_wire wire;
    char *mem;
    size_t memlen;
} lit_src;

/* Stream `src` (exactly src->left bytes) into the open literal. */
static int stream_literal(conn *c, lit_src *src)
{
    char buf[16384];
    size_t blen = 0, boff = 0;
    mp_slice pend = mp_slice_make(NULL, 0);
    if (src->mem != NULL) {
        size_t off = src->skip < src->memlen ? (size_t)src->skip : src->memlen;
        pend = mp_slice_make(src->mem + off, (size_t)src->left);
    }
    while (src->left > 0) {
        size_t taken;
        if (pend.len == 0) {
            size_t used;
            mp_slice ch;
            if (src->mem != NULL)
                return -1;
            if (boff == blen) {
                ssize_t k;
                size_t want = sizeof(buf);
                if (src->pos >= src->end) {
                    /* the file shrank: pad, the size was promised */
                    memset(buf, ' ', sizeof(buf));
                    blen = src->left < sizeof(buf) ? (size_t)src->left : sizeof(buf);
                    pend = mp_slice_make(buf, blen);
                    boff = blen;
                    goto give;
                }
                if (src->end - src->pos < want)
                    want = (size_t)(src->end - src->pos);
                k = pread(src->fd, buf, want, (off_t)src->pos);
                if (k <= 0) {
                    src->pos = src->end;
                    continue;
                }
                src->pos += (uint64_t)k;
                blen = (size_t)k;
                boff = 0;
            }
            if (mp_mime_wire_next(&src->wire, buf + boff, blen - boff, &used, &ch) != MP_OK) {
                boff = blen;
                continue;
            }
            boff += used;
            pend = ch;
            if (src->skip > 0) {
                size_t d = src->skip < pend.len ? (size_t)src->skip : pend.len;
                src->skip -= d;
                pend.ptr += d;
                pend.len -= d;
                continue;
            }
        }
    give:
        if (pend.len > src->left)
            pend.len = (size_t)src->left;
        if (mp_imap_server_literal_data(&c->s, pend.ptr, pend.len, &taken) != MP_OK)
            return -1;
        pend.ptr += taken;
        pend.len -= taken;
        src->left -= taken;
        if (taken == 0 && conn_flush_wait(c) != 0)
            return -1;
    }
    return 0;
}

/* Materialise HEADER.FIELDS[.NOT] of [start, end). */
static char *filter_header(int fd, const mp_mime_section *sec, size_t *len)
{
    size_t cap = 4096, n = 0, hl = (size_t)(sec->end - sec->start);
    char *out = xrealloc(NULL, cap), *h = xrealloc(NULL, hl + 1);
    mp_mime_hdr_filter flt;
    size_t off = 0;
    mp_slice tail;
    ssize_t k = pread(fd, h, hl, (off_t)sec->start);
    if (k < 0)
        k = 0;
    mp_mime_hdr_filter_init(&flt, sec->fields, sec->kind == MP_MIME_SECT_FIELDS_NOT, 0);
    for (;;) {
        size_t used;
        mp_slice ch;
        mp_status st = mp_mime_hdr_filter_next(&flt, h + off, (size_t)k - off, &used, &ch);
        off += used;
        if (st != MP_OK)
            break;
        if (n + ch.len > cap) {
            cap = 2 * (n + ch.len);
            out = xrealloc(out, cap);
        }
        if (ch.len > 0)
            memcpy(out + n, ch.ptr, ch.len);
        n += ch.len;
    }
    tail = mp_mime_hdr_filter_finish(&flt);
    out = xrealloc(out, n + tail.len + 1);
    if (tail.len > 0)
        memcpy(out + n, tail.ptr, tail.len);
    n += tail.len;
    free(h);
    *len = n;
    return out;
}

/* What one literal item sends: its name written, src prepared. */
static mp_status literal_item(conn *c, const fitem *it, int fd, const mp_mime_msg *mm,
                              lit_src *src)
{
    const char *spec = it->spec ? it->spec : "";
    mp_mime_section sec;
    mp_status st;
    uint64_t size;
    memset(src, 0, sizeof(*src));
    src->fd = fd;
    mp_mime_wire_init(&src->wire, MP_MIME_WIRE_NUL);
    switch (it->kind) {
    case FI_RFC822:
        spec = "";
        break;
    case FI_RFC822_HEADER:
        spec = "HEADER";
        break;
    case FI_RFC822_TEXT:
        spec = "TEXT";
        break;
    default:
        break;
    }
    if (mp_mime_section_find(mm, mp_slice_make(spec, strlen(spec)), &sec) != MP_OK)
        memset(&sec, 0, sizeof(sec));
    if (!sec.found) {
        size = 0;
    } else if (sec.kind == MP_MIME_SECT_FIELDS || sec.kind == MP_MIME_SECT_FIELDS_NOT) {
        src->mem = filter_header(fd, &sec, &src->memlen);
        size = src->memlen;
    } else {
        src->pos = sec.start;
        src->end = sec.end;
        size = sec.size;
    }
    if (it->partial) {
        src->skip = it->origin < size ? it->origin : size;
        size -= src->skip;
        if (size > it->len)
            size = it->len;
    }
    src->left = size;
    if (it->kind == FI_SECTION)
        st = mp_mime_write_section_name(SESSION_WRITER(c), "BODY", mp_slice_make(spec, strlen(spec)),
                                        it->partial, it->origin);
    else
        st = put(c, mp_imap_ev_atom(MP_IMAP_F_FETCH_ITEM,
                                    it->kind == FI_RFC822 ? MP_SLICE_LIT("RFC822")
                                    : it->kind == FI_RFC822_HEADER ? MP_SLICE_LIT("RFC822.HEADER")
                                                                    : MP_SLICE_LIT("RFC822.TEXT")));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_literal(MP_IMAP_F_BODY_SECTION, size, 0));
    return st;
}

/* MODSEQ (n) (RFC 7162 §3.1.4.1). */
static mp_status put_modseq(conn *c, uint64_t modseq)
{
    mp_status st = put(c, mp_imap_ev_atom(MP_IMAP_F_FETCH_ITEM, MP_SLICE_LIT("MODSEQ")));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_MODSEQ));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_number(MP_IMAP_F_MODSEQ, modseq));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_MODSEQ));
    return st;
}

typedef struct fetch_ctx {
    fitem *it;
    size_t nit;
    size_t vi;           /* view index */
    msg *m;
    const mp_mime_msg *mm;
    int uid_cmd;
    int with_flags;      /* FLAGS added: \Seen was set */
} fetch_ctx;

/* Unit 0 of a message's FETCH response: BEGIN and every non-literal item,
 * up to the first literal's "{n}" (or END). */
static mp_status fetch_head(conn *c, void *arg)
{
    fetch_ctx *x = arg;
    mp_status st;
    size_t i;
    st = put(c, mp_imap_ev_begin(MP_IMAP_RESP_FETCH, mp_slice_make(NULL, 0), 1, x->vi + 1));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS));
    for (i = 0; i < x->nit && st == MP_OK; i++) {
        const fitem *it = &x->it[i];
        char date[64];
        switch (it->kind) {
        case FI_UID:
            st = put(c, mp_imap_ev_atom(MP_IMAP_F_FETCH_ITEM, MP_SLICE_LIT("UID")));
            if (st == MP_OK)
                st = put(c, mp_imap_ev_number(MP_IMAP_F_UID, x->m->uid));
            break;
        case FI_FLAGS:
            st = put(c, mp_imap_ev_atom(MP_IMAP_F_FETCH_ITEM, MP_SLICE_LIT("FLAGS")));
            if (st == MP_OK)
                st = put_flags(c, x->m->flags);
            break;
        case FI_MODSEQ:
            st = put_modseq(c, x->m->modseq);
            break;
        case FI_INTERNALDATE:
            store_stat(c->sel, x->m);
            internaldate(x->m->mtime, date, sizeof(date));
            st = put(c, mp_imap_ev_atom(MP_IMAP_F_FETCH_ITEM, MP_SLICE_LIT("INTERNALDATE")));
            if (st == MP_OK)
                st = put(c, mp_imap_ev_string(MP_IMAP_F_INTERNALDATE,
                                              mp_slice_make(date, strlen(date))));
            break;
        case FI_SIZE:
            st = put(c, mp_imap_ev_atom(MP_IMAP_F_FETCH_ITEM, MP_SLICE_LIT("RFC822.SIZE")));
            if (st == MP_OK)
                st = put(c, mp_imap_ev_number(MP_IMAP_F_RFC822_SIZE, wire_size(c->sel, x->m)));
            break;
        case FI_ENVELOPE:
            st = mp_mime_write_item(SESSION_WRITER(c), x->mm, MP_MIME_ITEM_ENVELOPE);
            break;
        case FI_BODY:
            st = mp_mime_write_item(SESSION_WRITER(c), x->mm, MP_MIME_ITEM_BODY);
            break;
        case FI_BODYSTRUCTURE:
            st = mp_mime_write_item(SESSION_WRITER(c), x->mm, MP_MIME_ITEM_BODYSTRUCTURE);
            break;
        default:
            break;
        }
    }
    return st;
}

static int is_literal_item(int kind)
{
    return kind >= FI_SECTION;
}

static int fetch_one(conn *c, fetch_ctx *x)
{
    char p[PATH_MAX];
    size_t i;
    int fd = -1, lit = 0, rc = 0;
    mp_status st;
    for (i = 0; i < x->nit; i++)
        if (is_literal_item(x->it[i].kind))
            lit = 1;
    if (lit) {
        store_path(c->sel, x->m, p, sizeof(p));
        fd = open(p, O_RDONLY);
        if (fd < 0)
            return 0; /* gone meanwhile: nothing to say about it */
    }
    /* the head unit, then each literal: its name and "{n}" close the unit
     * before it, so a NO_SPACE replays only from there */
    for (;;) {
        size_t k;
        int first = 1;
        st = fetch_head(c, x);
        for (k = 0; k < x->nit && st == MP_OK; k++) {
            lit_src src;
            if (!is_literal_item(x->it[k].kind))
                continue;
            if (!first) {
                /* after LITERAL_END: the next unit */
                st = MP_OK;
            }
            st = literal_item(c, &x->it[k], fd, x->mm, &src);
            if (st == MP_ERR_NO_SPACE && first) {
                free(src.mem);
                break; /* replay the head */
            }
            while (st == MP_ERR_NO_SPACE) {
                free(src.mem);
                if (conn_flush_wait(c) != 0) {
                    rc = -1;
                    goto out;
                }
                st = literal_item(c, &x->it[k], fd, x->mm, &src);
            }
            first = 0;
            if (st == MP_OK && stream_literal(c, &src) != 0)
                st = MP_ERR_ABORTED;
            free(src.mem);
            if (st == MP_OK)
                st = put(c, mp_imap_ev_make(MP_IMAP_EV_LITERAL_END, MP_IMAP_F_BODY_SECTION));
        }
        if (st == MP_ERR_NO_SPACE && first) {
            if (conn_flush_wait(c) != 0) {
                rc = -1;
                break;
            }
            continue;
        }
        if (st == MP_OK) {
            mp_imap_resp_event e[2];
            e[0] = mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS);
            e[1] = mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE);
            st = put(c, e[0]);
            if (st == MP_OK)
                st = put(c, e[1]);
            if (st == MP_ERR_NO_SPACE && first) {
                if (conn_flush_wait(c) != 0) {
                    rc = -1;
                    break;
                }
                continue;
            }
            while (st == MP_ERR_NO_SPACE) {
                /* the tail unit after a literal: replay from LIST_END */
                if (conn_flush_wait(c) != 0) {
                    rc = -1;
                    goto out;
                }
                st = put(c, e[0]);
                if (st == MP_OK)
                    st = put(c, e[1]);
            }
        }
        if (st != MP_OK)
            rc = -1;
        break;
    }
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

static void parse_fetch_items(conn *c, size_t at, fitem **v, size_t *n, int *set_seen)
{
    for (; at < c->na; at++) {
        const carg *a = &c->a[at];
        const char *t = a->text;
        if (a->kind != MP_IMAP_CA_FETCH_ATT)
            continue;
        if (strcasecmp(t, "UID") == 0)
            add_item(v, n, FI_UID);
        else if (strcasecmp(t, "FLAGS") == 0)
            add_item(v, n, FI_FLAGS);
        else if (strcasecmp(t, "INTERNALDATE") == 0)
            add_item(v, n, FI_INTERNALDATE);
        else if (strcasecmp(t, "RFC822.SIZE") == 0)
            add_item(v, n, FI_SIZE);
        else if (strcasecmp(t, "MODSEQ") == 0) {
            add_item(v, n, FI_MODSEQ);
            c->condstore = 1;
        }
        else if (strcasecmp(t, "ENVELOPE") == 0)
            add_item(v, n, FI_ENVELOPE);
        else if (strcasecmp(t, "BODYSTRUCTURE") == 0)
            add_item(v, n, FI_BODYSTRUCTURE);
        else if (strcasecmp(t, "RFC822") == 0) {
            add_item(v, n, FI_RFC822);
            *set_seen = 1;
        } else if (strcasecmp(t, "RFC822.HEADER") == 0)
            add_item(v, n, FI_RFC822_HEADER);
        else if (strcasecmp(t, "RFC822.TEXT") == 0) {
            add_item(v, n, FI_RFC822_TEXT);
            *set_seen = 1;
        } else if (strcasecmp(t, "ALL") == 0 || strcasecmp(t, "FAST") == 0 ||
                   strcasecmp(t, "FULL") == 0) {
            add_item(v, n, FI_FLAGS);
            add_item(v, n, FI_INTERNALDATE);
            add_item(v, n, FI_SIZE);
            if (strcasecmp(t, "FAST") != 0)
                add_item(v, n, FI_ENVELOPE);
            if (strcasecmp(t, "FULL") == 0)
                add_item(v, n, FI_BODY);
        } else if ((strcasecmp(t, "BODY") == 0 || strcasecmp(t, "BODY.PEEK") == 0) &&
                   a->has_section) {
            fitem *it;
            add_item(v, n, FI_SECTION);
            it = &(*v)[*n - 1];
            it->spec = a->section;
            it->peek = strcasecmp(t, "BODY.PEEK") == 0;
            it->partial = a->has_partial;
            it->origin = a->porigin;
            it->len = a->plen;
            if (!it->peek)
                *set_seen = 1;
        } else if (strcasecmp(t, "BODY") == 0)
            add_item(v, n, FI_BODY);
    }
}

static void fetch_end(conn *c)
{
    size_t i;
    for (i = 0; i < c->fj.nit; i++)
        free(c->fj.items[i].spec);
    free(c->fj.set);
    free(c->fj.items);
    memset(&c->fj, 0, sizeof(c->fj));
}

/* Go on with the FETCH being answered: message after message while the
 * output is less than half full, then back to the loop, which calls again
 * when the client has read (a mailbox of any size is answered without
 * holding the other connections; only one message larger than the output
 * waits for this client, conn_flush_wait). */
int session_continue(conn *c)
{
    fetch_job *j = &c->fj;
    int failed = 0;
    if (!j->active)
        return 0;
    while (j->k < j->n) {
        fetch_ctx x;
        size_t out;
        msg *m;
        mp_imap_server_output(&c->s, &out);
        if (out > sizeof(c->out) / 2)
            return 1;
        m = c->sel ? view_msg(c, j->set[j->k]) : NULL;
        j->k++;
        if (m == NULL || m->modseq <= j->changedsince)
            continue; /* expunged by another session meanwhile, or unchanged */
        memset(&x, 0, sizeof(x));
        x.vi = j->set[j->k - 1];
        x.m = m;
        x.uid_cmd = j->uid;
        if (j->need_mime && (x.mm = parse_msg(c->sel, m)) == NULL)
            continue; /* the file is gone */
        if (j->set_seen && !(m->flags & FL_SEEN) &&
            store_set_flags(c->sel, m, m->flags | FL_SEEN) == 0)
            add_item(&j->items, &j->nit, FI_FLAGS);
        x.it = j->items;
        x.nit = j->nit;
        if (fetch_one(c, &x) != 0) {
            failed = 1;
            break;
        }
    }
    /* this session's own \Seen changes need no FETCH again */
    if (j->set_seen && c->sel)
        c->vmodseq = c->sel->modseq;
    fetch_end(c);
    if (failed)
        c->closing = 1; /* the client does not read: nothing more to say */
    finish(c, MP_IMAP_RESP_OK, NULL, "FETCH completed");
    return 0;
}

static void do_fetch(conn *c, int uid)
{
    fetch_job *j = &c->fj;
    size_t at = 0, i;
    fetch_end(c);
    j->set = resolve_set(c, &at, uid, &j->n);
    j->uid = uid;
    if (uid)
        add_item(&j->items, &j->nit, FI_UID);
    parse_fetch_items(c, at, &j->items, &j->nit, &j->set_seen);
    {
        int found;
        j->changedsince = modifier(c, "CHANGEDSINCE", &found);
        if (found) {
            /* RFC 7162 §3.1.4.1: CHANGEDSINCE implies MODSEQ */
            add_item(&j->items, &j->nit, FI_MODSEQ);
            c->condstore = 1;
        }
    }
    for (i = 0; i < j->nit; i++) {
        if (j->items[i].kind >= FI_ENVELOPE)
            j->need_mime = 1;
        /* the section specs live in the arguments, dropped after EXECUTE */
        if (j->items[i].spec != NULL)
            j->items[i].spec = xmemdup(j->items[i].spec, strlen(j->items[i].spec));
    }
    if (j->set_seen && c->readonly)
        j->set_seen = 0;
    j->active = 1;
    session_continue(c);
}

/* ----------------------------------------------------------------------- */
/* STORE, EXPUNGE, COPY, MOVE                                              */
/* ----------------------------------------------------------------------- */

typedef struct store_resp {
    size_t vi;
    msg *m;
    int uid;
    int flags;           /* FLAGS (not .SILENT) */
    int modseq;          /* MODSEQ (CONDSTORE) */
} store_resp;

static mp_status store_fetch(conn *c, void *arg)
{
    store_resp *r = arg;
    mp_status st = put(c, mp_imap_ev_begin(MP_IMAP_RESP_FETCH, mp_slice_make(NULL, 0), 1,
                                           r->vi + 1));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS));
    if (st == MP_OK && r->flags)
        st = put(c, mp_imap_ev_atom(MP_IMAP_F_FETCH_ITEM, MP_SLICE_LIT("FLAGS")));
    if (st == MP_OK && r->flags)
        st = put_flags(c, r->m->flags);
    if (st == MP_OK && r->modseq)
        st = put_modseq(c, r->m->modseq);
    if (st == MP_OK && r->uid) {
        st = put(c, mp_imap_ev_atom(MP_IMAP_F_FETCH_ITEM, MP_SLICE_LIT("UID")));
        if (st == MP_OK)
            st = put(c, mp_imap_ev_number(MP_IMAP_F_UID, r->m->uid));
    }
    if (st == MP_OK)
        st = put(c, mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE));
    return st;
}

static void do_store(conn *c, int uid)
{
    size_t at = 0, n, i;
    size_t *set = resolve_set(c, &at, uid, &n);
    const char *item = NULL;
    uint32_t fl = 0;
    int op, silent, failed = 0, own = c->vmodseq == c->sel->modseq, guarded;
    uint64_t unchanged = modifier(c, "UNCHANGEDSINCE", &guarded);
    uint32_t *modified = NULL;
    size_t nmod = 0;
    if (guarded)
        c->condstore = 1;
    for (; at < c->na; at++) {
        if (c->a[at].kind == MP_IMAP_CA_ATOM && c->a[at].depth == 0 && item == NULL &&
            c->a[at].text[0] != '\0' &&
            (strchr("+-", c->a[at].text[0]) || strncasecmp(c->a[at].text, "FLAGS", 5) == 0))
            item = c->a[at].text;
        else if (c->a[at].kind == MP_IMAP_CA_FLAG && item != NULL)
            fl |= (uint32_t)flag_bit(c->a[at].text);
    }
    if (item == NULL || c->readonly) {
        free(set);
        finish(c, MP_IMAP_RESP_NO, c->readonly ? "READ-ONLY" : NULL,
               c->readonly ? "Mailbox is read-only" : "No STORE item");
        return;
    }
    op = item[0] == '+' ? 1 : item[0] == '-' ? -1 : 0;
    silent = has_ci(item, ".SILENT");
    for (i = 0; i < n; i++) {
        msg *m = view_msg(c, set[i]);
        uint32_t nf;
        if (m == NULL)
            continue;
        if (guarded && m->modseq > unchanged) {
            /* changed since the client looked: not stored (RFC 7162 §3.1.3) */
            modified = realloc(modified, (nmod + 1) * sizeof(uint32_t));
            if (modified == NULL)
                abort();
            modified[nmod++] = uid ? m->uid : (uint32_t)set[i] + 1;
            continue;
        }
        nf = op > 0 ? m->flags | fl : op < 0 ? m->flags & ~fl : (m->flags & FL_PASSED) | fl;
        if (store_set_flags(c->sel, m, nf) != 0) {
            failed = 1;
            continue;
        }
        if (!silent || condstore(c)) {
            store_resp r;
            r.vi = set[i];
            r.m = m;
            r.uid = uid;
            r.flags = !silent;
            r.modseq = condstore(c);
            if (emit(c, store_fetch, &r) != 0)
                break;
        }
    }
    if (own)
        c->vmodseq = c->sel->modseq;
    free(set);
    if (failed) {
        finish(c, MP_IMAP_RESP_NO, NULL, "Some flags could not be stored");
    } else if (nmod > 0) {
        char *t = set_text(modified, nmod), *code = xrealloc(NULL, strlen(t) + 16);
        sprintf(code, "MODIFIED %s", t);
        finish(c, MP_IMAP_RESP_OK, code, "Conditional STORE completed");
        free(code);
        free(t);
    } else {
        finish(c, MP_IMAP_RESP_OK, NULL, "STORE completed");
    }
    free(modified);
}

static mp_status expunge_resp(conn *c, void *arg)
{
    mp_status st = put(c, mp_imap_ev_begin(MP_IMAP_RESP_EXPUNGE, mp_slice_make(NULL, 0), 1,
                                           *(const size_t *)arg + 1));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE));
    return st;
}

/* Remove the view's messages picked[] (or every \Deleted one when picked
 * is NULL), from the highest number down so each EXPUNGE number holds. */
static int expunge_some(conn *c, const unsigned char *picked, int quiet)
{
    size_t i;
    int changed = 0;
    for (i = c->vn; i-- > 0;) {
        long k = store_find(c->sel, c->vu[i]);
        if (picked ? !picked[i] : (k < 0 || !(c->sel->m[k].flags & FL_DELETED)))
            continue;
        if (k >= 0) {
            store_remove(c->sel, (size_t)k);
            changed = 1;
        }
        if (!quiet && emit(c, expunge_resp, &i) != 0)
            return -1;
        view_del(c, i);
    }
    if (changed && store_save(c->sel) != 0)
        return -1;
    c->vversion = c->sel->version;
    return 0;
}

static void do_expunge(conn *c, int uid)
{
    unsigned char *picked = NULL;
    if (c->readonly) {
        finish(c, MP_IMAP_RESP_NO, "READ-ONLY", "Mailbox is read-only");
        return;
    }
    if (uid) {
        size_t at = 0, n, i;
        size_t *set = resolve_set(c, &at, 1, &n);
        picked = calloc(c->vn + 1, 1);
        if (picked == NULL)
            abort();
        for (i = 0; i < n; i++) {
            msg *m = view_msg(c, set[i]);
            picked[set[i]] = m != NULL && (m->flags & FL_DELETED);
        }
        free(set);
    }
    if (expunge_some(c, picked, 0) != 0) {
        free(picked);
        finish(c, MP_IMAP_RESP_NO, NULL, "Expunge failed");
        return;
    }
    free(picked);
    finish(c, MP_IMAP_RESP_OK, NULL, "EXPUNGE completed");
}

static const char *arg_mailbox(conn *c, size_t nth)
{
    size_t i;
    for (i = 0; i < c->na; i++)
        if (c->a[i].kind == MP_IMAP_CA_MAILBOX && nth-- == 0)
            return c->a[i].text;
    return NULL;
}

static void do_copy(conn *c, int uid, int move)
{
    size_t at = 0, n, i, k = 0;
    size_t *set = resolve_set(c, &at, uid, &n);
    const char *name = arg_mailbox(c, 0);
    folder *dst = name ? store_open(name) : NULL;
    uint32_t *su, *du;
    char *code = NULL;
    if (dst == NULL) {
        free(set);
        finish(c, MP_IMAP_RESP_NO, "TRYCREATE", "No such mailbox");
        return;
    }
    if (move && c->readonly) {
        free(set);
        finish(c, MP_IMAP_RESP_NO, "READ-ONLY", "Mailbox is read-only");
        return;
    }
    su = xrealloc(NULL, (n + 1) * sizeof(uint32_t));
    du = xrealloc(NULL, (n + 1) * sizeof(uint32_t));
    for (i = 0; i < n; i++) {
        char p[PATH_MAX];
        msg *m = view_msg(c, set[i]);
        uint32_t nu;
        if (m == NULL)
            continue;
        store_path(c->sel, m, p, sizeof(p));
        nu = store_add(dst, p, m->flags, 0, 1);
        if (nu == 0)
            continue;
        su[k] = m->uid;
        du[k++] = nu;
    }
    if (k > 0 && store_save(dst) != 0) {
        free(set);
        free(su);
        free(du);
        finish(c, MP_IMAP_RESP_NO, NULL, "Cannot save the target's UIDs");
        return;
    }
    if (k > 0) {
        char *a = set_text(su, k), *b = set_text(du, k);
        size_t len = strlen(a) + strlen(b) + 40;
        code = xrealloc(NULL, len);
        snprintf(code, len, "COPYUID %lu %s %s", (unsigned long)dst->uidvalidity, a, b);
        free(a);
        free(b);
    }
    if (move && k > 0) {
        unsigned char *picked = calloc(c->vn + 1, 1);
        if (picked == NULL)
            abort();
        for (i = 0; i < n; i++)
            picked[set[i]] = 1;
        /* RFC 6851 §4.3: COPYUID in an untagged OK before the expunges */
        if (code)
            untagged_ok(c, code, "Moved");
        expunge_some(c, picked, 0);
        free(picked);
        free(code);
        code = NULL;
    }
    free(set);
    free(su);
    free(du);
    finish(c, MP_IMAP_RESP_OK, code, move ? "MOVE completed" : "COPY completed");
    free(code);
}

/* ----------------------------------------------------------------------- */
/* SEARCH                                                                  */
/* ----------------------------------------------------------------------- */

typedef struct search_ctx {
    conn *c;
    size_t vi;
    msg *m;
    char *text;          /* the file, loaded when a key needs it */
    size_t len, hlen;    /* hlen: the header's length */
    int loaded;
    int used_modseq;     /* the MODSEQ key was used (RFC 7162 §3.1.5) */
} search_ctx;

static void load_text(search_ctx *x)
{
    char p[PATH_MAX];
    struct stat st;
    int fd;
    if (x->loaded)
        return;
    x->loaded = 1;
    store_path(x->c->sel, x->m, p, sizeof(p));
    fd = open(p, O_RDONLY);
    if (fd < 0 || fstat(fd, &st) != 0) {
        if (fd >= 0)
            close(fd);
        return;
    }
    x->text = xrealloc(NULL, (size_t)st.st_size + 1);
    x->len = 0;
    while (x->len < (size_t)st.st_size) {
        ssize_t k = read(fd, x->text + x->len, (size_t)st.st_size - x->len);
        if (k <= 0)
            break;
        x->len += (size_t)k;
    }
    x->text[x->len] = '\0';
    close(fd);
    {
        char *e = strstr(x->text, "\n\n"), *e2 = strstr(x->text, "\r\n\r\n");
        if (e2 && (!e || e2 < e))
            x->hlen = (size_t)(e2 - x->text) + 2;
        else
            x->hlen = e ? (size_t)(e - x->text) + 1 : x->len;
    }
}

static int contains_ci(const char *h, size_t hn, const char *n)
{
    size_t nn = strlen(n), i, j;
    if (nn == 0)
        return 1;
    for (i = 0; i + nn <= hn; i++) {
        for (j = 0; j < nn; j++)
            if (tolower((unsigned char)h[i + j]) != tolower((unsigned char)n[j]))
                break;
        if (j == nn)
            return 1;
    }
    return 0;
}

static int has_ci(const char *h, const char *n)
{
    return contains_ci(h, strlen(h), n);
}

/* A header field `name` (with its continuation lines) holding `needle`. */
static int header_has(search_ctx *x, const char *name, const char *needle)
{
    size_t nl = strlen(name), i = 0;
    load_text(x);
    if (x->text == NULL)
        return 0;
    while (i < x->hlen) {
        size_t e = i;
        while (e < x->hlen) {
            const char *lf = memchr(x->text + e, '\n', x->hlen - e);
            e = lf ? (size_t)(lf - x->text) + 1 : x->hlen;
            if (e >= x->hlen || (x->text[e] != ' ' && x->text[e] != '\t'))
                break;
        }
        if (e - i > nl && strncasecmp(x->text + i, name, nl) == 0 && x->text[i + nl] == ':' &&
            contains_ci(x->text + i + nl + 1, e - i - nl - 1, needle))
            return 1;
        i = e;
    }
    return 0;
}

static long day_of(time_t t)
{
    struct tm tm;
    localtime_r(&t, &tm);
    return (tm.tm_year + 1900L) * 10000L + (tm.tm_mon + 1) * 100L + tm.tm_mday;
}

static int in_set(conn *c, size_t *at, size_t vi, int uid)
{
    int hit = 0;
    uint32_t v = uid ? c->vu[vi] : (uint32_t)vi + 1;
    uint32_t top = uid ? (c->vn ? c->vu[c->vn - 1] : 0) : (uint32_t)c->vn;
    int first = 1;
    while (*at < c->na && c->a[*at].kind == MP_IMAP_CA_SEQ && (first || c->a[*at].index > 0)) {
        uint32_t lo = c->a[*at].range.lo, hi = c->a[*at].range.hi;
        first = 0;
        (*at)++;
        if (lo == MP_IMAP_SEQ_STAR)
            lo = top;
        if (hi == MP_IMAP_SEQ_STAR)
            hi = top;
        if (lo > hi) {
            uint32_t t = lo;
            lo = hi;
            hi = t;
        }
        if (v >= lo && v <= hi)
            hit = 1;
    }
    return hit;
}

/* Evaluate the search key at a[*at] (prefix form, as the parser gives
 * it) for one message; *at moves past the key and its arguments. */
static int eval_key(search_ctx *x, size_t *at)
{
    conn *c = x->c;
    const carg *a;
    const char *k;
    if (*at >= c->na)
        return 1;
    a = &c->a[*at];
    if (a->kind == MP_IMAP_CA_SEQ)
        return in_set(c, at, x->vi, 0);
    if (a->kind == MP_IMAP_CA_LIST_BEGIN) {
        int r = 1;
        (*at)++;
        while (*at < c->na && c->a[*at].kind != MP_IMAP_CA_LIST_END)
            r &= eval_key(x, at);
        (*at)++;
        return r;
    }
    (*at)++;
    if (a->kind != MP_IMAP_CA_SEARCH_KEY)
        return 1;
    k = a->text;
    if (strcasecmp(k, "OR") == 0) {
        int r1 = eval_key(x, at);
        int r2 = eval_key(x, at);
        return r1 || r2;
    }
    if (strcasecmp(k, "NOT") == 0)
        return !eval_key(x, at);
    if (strcasecmp(k, "UID") == 0)
        return in_set(c, at, x->vi, 1);
    if (strcasecmp(k, "ALL") == 0)
        return 1;
    if (strcasecmp(k, "MODSEQ") == 0) {
        uint64_t n = 0;
        /* [entry-name entry-type-req] mod-sequence-valzer */
        while (*at < c->na && c->a[*at].kind != MP_IMAP_CA_NUMBER)
            (*at)++;
        if (*at < c->na)
            n = c->a[(*at)++].num;
        x->used_modseq = 1;
        c->condstore = 1;
        return x->m->modseq >= n;
    }
    {
        static const struct {
            const char *name;
            uint32_t f;
            int set;
        } fk[] = { { "SEEN", FL_SEEN, 1 },         { "UNSEEN", FL_SEEN, 0 },
                   { "ANSWERED", FL_ANSWERED, 1 }, { "UNANSWERED", FL_ANSWERED, 0 },
                   { "FLAGGED", FL_FLAGGED, 1 },   { "UNFLAGGED", FL_FLAGGED, 0 },
                   { "DELETED", FL_DELETED, 1 },   { "UNDELETED", FL_DELETED, 0 },
                   { "DRAFT", FL_DRAFT, 1 },       { "UNDRAFT", FL_DRAFT, 0 } };
        size_t i;
        for (i = 0; i < sizeof(fk) / sizeof(fk[0]); i++)
            if (strcasecmp(k, fk[i].name) == 0)
                return fk[i].set ? (x->m->flags & fk[i].f) != 0 : (x->m->flags & fk[i].f) == 0;
    }
    /* \Recent is never set here (no session owns a message first) */
    if (strcasecmp(k, "NEW") == 0 || strcasecmp(k, "RECENT") == 0)
        return 0;
    if (strcasecmp(k, "OLD") == 0)
        return 1;
    if (strcasecmp(k, "KEYWORD") == 0 || strcasecmp(k, "UNKEYWORD") == 0) {
        (*at)++;
        return k[0] == 'U' || k[0] == 'u';
    }
    if (strcasecmp(k, "LARGER") == 0 || strcasecmp(k, "SMALLER") == 0) {
        uint64_t n = *at < c->na ? c->a[*at].num : 0, s = wire_size(c->sel, x->m);
        (*at)++;
        return (k[0] == 'L' || k[0] == 'l') ? s > n : s < n;
    }
    if (has_ci(k, "BEFORE") || has_ci(k, "SINCE") || strcasecmp(k, "ON") == 0 ||
        strcasecmp(k, "SENTON") == 0) {
        long want = 0, have;
        if (*at < c->na)
            want = c->a[*at].dt.year * 10000L + c->a[*at].dt.month * 100L + c->a[*at].dt.day;
        (*at)++;
        store_stat(c->sel, x->m);
        have = day_of(x->m->mtime);
        if (has_ci(k, "BEFORE"))
            return have < want;
        if (has_ci(k, "SINCE"))
            return have >= want;
        return have == want;
    }
    if (strcasecmp(k, "HEADER") == 0) {
        const char *name = *at < c->na ? c->a[*at].text : "";
        const char *val = *at + 1 < c->na ? c->a[*at + 1].text : "";
        *at += 2;
        return header_has(x, name, val);
    }
    if (strcasecmp(k, "FROM") == 0 || strcasecmp(k, "TO") == 0 || strcasecmp(k, "CC") == 0 ||
        strcasecmp(k, "BCC") == 0 || strcasecmp(k, "SUBJECT") == 0) {
        const char *val = *at < c->na ? c->a[*at].text : "";
        (*at)++;
        return header_has(x, k, val);
    }
    if (strcasecmp(k, "BODY") == 0 || strcasecmp(k, "TEXT") == 0) {
        const char *val = *at < c->na ? c->a[*at].text : "";
        (*at)++;
        load_text(x);
        if (x->text == NULL)
            return 0;
        if (k[0] == 'T' || k[0] == 't')
            return contains_ci(x->text, x->len, val);
        return contains_ci(x->text + x->hlen, x->len - x->hlen, val);
    }
    return 0; /* unknown keys match nothing */
}

typedef struct search_out {
    const uint32_t *v;
    size_t n;
    int uid;
    unsigned ret;        /* ESEARCH: 1 MIN, 2 MAX, 4 ALL, 8 COUNT; 0: SEARCH */
    uint64_t modseq;     /* the highest of the matches, when MODSEQ was used */
} search_out;

static mp_status search_resp(conn *c, void *arg)
{
    search_out *o = arg;
    mp_status st;
    size_t i;
    if (o->ret == 0) {
        st = put(c, mp_imap_ev_begin(MP_IMAP_RESP_SEARCH, mp_slice_make(NULL, 0), 0, 0));
        for (i = 0; i < o->n && st == MP_OK; i++)
            st = put(c, mp_imap_ev_number(MP_IMAP_F_NUMBER, o->v[i]));
        if (st == MP_OK && o->modseq && o->n) {
            st = put(c, mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_MODSEQ));
            if (st == MP_OK)
                st = put(c, mp_imap_ev_atom(MP_IMAP_F_MODSEQ_KEY, MP_SLICE_LIT("MODSEQ")));
            if (st == MP_OK)
                st = put(c, mp_imap_ev_number(MP_IMAP_F_MODSEQ, o->modseq));
            if (st == MP_OK)
                st = put(c, mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_MODSEQ));
        }
    } else {
        st = put(c, mp_imap_ev_begin(MP_IMAP_RESP_ESEARCH, mp_slice_make(NULL, 0), 0, 0));
        if (st == MP_OK)
            st = put(c, mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_SEARCH_CORR));
        if (st == MP_OK)
            st = put(c, mp_imap_ev_atom(MP_IMAP_F_CORR_NAME, MP_SLICE_LIT("TAG")));
        if (st == MP_OK)
            st = put(c, mp_imap_ev_string(MP_IMAP_F_CORR_VALUE,
                                          mp_slice_make(c->s.tag, strlen(c->s.tag))));
        if (st == MP_OK)
            st = put(c, mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_SEARCH_CORR));
        if (st == MP_OK && o->uid)
            st = put(c, mp_imap_ev_atom(MP_IMAP_F_SEARCH_UID, MP_SLICE_LIT("UID")));
        if (st == MP_OK && (o->ret & 1) && o->n) {
            st = put(c, mp_imap_ev_atom(MP_IMAP_F_SEARCH_RETURN, MP_SLICE_LIT("MIN")));
            if (st == MP_OK)
                st = put(c, mp_imap_ev_number(MP_IMAP_F_SEARCH_VALUE, o->v[0]));
        }
        if (st == MP_OK && (o->ret & 2) && o->n) {
            st = put(c, mp_imap_ev_atom(MP_IMAP_F_SEARCH_RETURN, MP_SLICE_LIT("MAX")));
            if (st == MP_OK)
                st = put(c, mp_imap_ev_number(MP_IMAP_F_SEARCH_VALUE, o->v[o->n - 1]));
        }
        if (st == MP_OK && (o->ret & 4) && o->n) {
            char *s = set_text(o->v, o->n);
            st = put(c, mp_imap_ev_atom(MP_IMAP_F_SEARCH_RETURN, MP_SLICE_LIT("ALL")));
            if (st == MP_OK)
                st = put(c, mp_imap_ev_atom(MP_IMAP_F_SEARCH_VALUE, mp_slice_make(s, strlen(s))));
            free(s);
        }
        if (st == MP_OK && (o->ret & 8)) {
            st = put(c, mp_imap_ev_atom(MP_IMAP_F_SEARCH_RETURN, MP_SLICE_LIT("COUNT")));
            if (st == MP_OK)
                st = put(c, mp_imap_ev_number(MP_IMAP_F_SEARCH_VALUE, o->n));
        }
        if (st == MP_OK && o->modseq && o->n) {
            st = put(c, mp_imap_ev_atom(MP_IMAP_F_SEARCH_RETURN, MP_SLICE_LIT("MODSEQ")));
            if (st == MP_OK)
                st = put(c, mp_imap_ev_number(MP_IMAP_F_SEARCH_VALUE, o->modseq));
        }
    }
    if (st == MP_OK)
        st = put(c, mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE));
    return st;
}

static void do_search(conn *c, int uid)
{
    size_t start = 0, i, n = 0;
    uint32_t *hits;
    search_out o;
    memset(&o, 0, sizeof(o));
    /* RETURN (...) (ESEARCH, RFC 4731 / 9051) and CHARSET come first */
    while (start < c->na && c->a[start].kind == MP_IMAP_CA_ATOM && c->a[start].depth == 0) {
        if (strcasecmp(c->a[start].text, "RETURN") == 0) {
            start++;
            o.ret = 0;
            if (start < c->na && c->a[start].kind == MP_IMAP_CA_LIST_BEGIN) {
                for (start++; start < c->na && c->a[start].kind != MP_IMAP_CA_LIST_END; start++) {
                    const char *t = c->a[start].text;
                    o.ret |= strcasecmp(t, "MIN") == 0   ? 1u
                             : strcasecmp(t, "MAX") == 0 ? 2u
                             : strcasecmp(t, "ALL") == 0 ? 4u
                             : strcasecmp(t, "COUNT") == 0 ? 8u : 0u;
                }
                start++;
            }
            if (o.ret == 0)
                o.ret = 4;
        } else if (strcasecmp(c->a[start].text, "CHARSET") == 0) {
            start += 2;
        } else {
            start++;
        }
    }
    if (o.ret == 0 && rev2(c))
        o.ret = 4; /* IMAP4rev2 answers SEARCH with ESEARCH */
    hits = xrealloc(NULL, (c->vn + 1) * sizeof(uint32_t));
    for (i = 0; i < c->vn; i++) {
        search_ctx x;
        size_t at = start;
        int r = 1;
        memset(&x, 0, sizeof(x));
        x.c = c;
        x.vi = i;
        x.m = view_msg(c, i);
        if (x.m == NULL)
            continue;
        while (at < c->na)
            r &= eval_key(&x, &at);
        free(x.text);
        if (r) {
            hits[n++] = uid ? c->vu[i] : (uint32_t)i + 1;
            if (x.used_modseq && x.m->modseq > o.modseq)
                o.modseq = x.m->modseq;
        }
    }
    o.v = hits;
    o.n = n;
    o.uid = uid;
    emit(c, search_resp, &o);
    free(hits);
    finish(c, MP_IMAP_RESP_OK, NULL, "SEARCH completed");
}

/* ----------------------------------------------------------------------- */
/* Mailboxes                                                               */
/* ----------------------------------------------------------------------- */

static mp_status exists_resp(conn *c, void *arg)
{
    mp_status st = put(c, mp_imap_ev_begin(MP_IMAP_RESP_EXISTS, mp_slice_make(NULL, 0), 1,
                                           *(const size_t *)arg));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE));
    return st;
}

static mp_status recent_resp(conn *c, void *arg)
{
    mp_status st;
    (void)arg;
    st = put(c, mp_imap_ev_begin(MP_IMAP_RESP_RECENT, mp_slice_make(NULL, 0), 1, 0));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE));
    return st;
}

static mp_status flags_resp(conn *c, void *arg)
{
    mp_status st;
    (void)arg;
    st = put(c, mp_imap_ev_begin(MP_IMAP_RESP_FLAGS, mp_slice_make(NULL, 0), 0, 0));
    if (st == MP_OK)
        st = put_flags(c, FL_SEEN | FL_ANSWERED | FL_FLAGGED | FL_DELETED | FL_DRAFT);
    if (st == MP_OK)
        st = put(c, mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE));
    return st;
}

static void do_select(conn *c, int examine)
{
    const char *name = arg_mailbox(c, 0);
    folder *f = name ? store_open(name) : NULL;
    char code[64];
    size_t i;
    c->sel = NULL;
    c->vn = 0;
    if (f == NULL) {
        finish(c, MP_IMAP_RESP_NO, "NONEXISTENT", "No such mailbox");
        return;
    }
    c->sel = f;
    c->readonly = examine;
    for (i = 0; i < c->na; i++)
        if (c->a[i].kind == MP_IMAP_CA_ATOM && strcasecmp(c->a[i].text, "CONDSTORE") == 0)
            c->condstore = 1;
    for (i = 0; i < f->n; i++)
        view_add(c, f->m[i].uid);
    c->vmodseq = f->modseq;
    c->vversion = f->version;
    emit(c, flags_resp, NULL);
    emit(c, exists_resp, &c->vn);
    if (!rev2(c))
        emit(c, recent_resp, NULL);
    untagged_ok(c, examine ? "PERMANENTFLAGS ()"
                           : "PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)",
                "Flags kept");
    snprintf(code, sizeof(code), "UIDVALIDITY %lu", (unsigned long)f->uidvalidity);
    untagged_ok(c, code, "UIDs valid");
    snprintf(code, sizeof(code), "UIDNEXT %lu", (unsigned long)f->uidnext);
    untagged_ok(c, code, "Predicted next UID");
    snprintf(code, sizeof(code), "HIGHESTMODSEQ %llu", (unsigned long long)f->modseq);
    untagged_ok(c, code, "Highest");
    finish(c, MP_IMAP_RESP_OK, examine ? "READ-ONLY" : "READ-WRITE",
           examine ? "EXAMINE completed" : "SELECT completed");
}

/* LIST patterns: '*' matches anything, '%' anything but the delimiter. */
static int match(const char *p, const char *s)
{
    for (; *p; p++, s++) {
        if (*p == '*' || *p == '%') {
            for (;; s++) {
                if (match(p + 1, s))
                    return 1;
                if (*s == '\0' || (*p == '%' && *s == '/'))
                    return 0;
            }
        }
        if (*s == '\0' || *p != *s)
            return 0;
    }
    return *s == '\0';
}

typedef struct names {
    char **v;
    size_t n;
} names;

static void collect(void *u, const char *name)
{
    names *ns = u;
    ns->v = xrealloc(ns->v, (ns->n + 1) * sizeof(char *));
    ns->v[ns->n++] = xmemdup(name, strlen(name));
}

typedef struct list_resp {
    mp_imap_resp_kind kind;
    const char *name;
    const char *attrs[3];
} list_resp;

static mp_status list_line(conn *c, void *arg)
{
    list_resp *l = arg;
    size_t i;
    mp_status st = put(c, mp_imap_ev_begin(l->kind, mp_slice_make(NULL, 0), 0, 0));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_MBX_ATTRS));
    for (i = 0; i < 3 && l->attrs[i] && st == MP_OK; i++)
        st = put(c, mp_imap_ev_value(MP_IMAP_F_MBX_ATTR, MP_IMAP_V_FLAG,
                                     mp_slice_make(l->attrs[i], strlen(l->attrs[i])), 0));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_MBX_ATTRS));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_string(MP_IMAP_F_DELIMITER, MP_SLICE_LIT("/")));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_string(MP_IMAP_F_MAILBOX, mp_slice_make(l->name, strlen(l->name))));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE));
    return st;
}

/* RFC 6154 attributes by the usual names. */
static const char *special_use(const char *name)
{
    static const struct {
        const char *name, *attr;
    } t[] = { { "Drafts", "\\Drafts" }, { "Sent", "\\Sent" },   { "Sent Messages", "\\Sent" },
              { "Trash", "\\Trash" },   { "Junk", "\\Junk" },   { "Spam", "\\Junk" },
              { "Archive", "\\Archive" } };
    size_t i;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        if (strcasecmp(name, t[i].name) == 0)
            return t[i].attr;
    return NULL;
}

static void do_list(conn *c, int lsub)
{
    const char *ref = arg_mailbox(c, 0);
    names ns;
    size_t i, j, p, real;
    memset(&ns, 0, sizeof(ns));
    if (ref == NULL)
        ref = "";
    store_list(collect, &ns);
    real = ns.n;
    /* "A" of a folder "A/B" without a folder "A" of its own (Maildir++
     * needs none): listed as \Noselect, so that "%" walks the tree */
    for (i = 0; i < real; i++) {
        char *sl;
        for (sl = strchr(ns.v[i], '/'); sl; sl = strchr(sl + 1, '/')) {
            size_t pl = (size_t)(sl - ns.v[i]);
            for (j = 0; j < ns.n; j++)
                if (strlen(ns.v[j]) == pl && strncmp(ns.v[j], ns.v[i], pl) == 0)
                    break;
            if (j == ns.n) {
                ns.v = xrealloc(ns.v, (ns.n + 1) * sizeof(char *));
                ns.v[ns.n++] = xmemdup(ns.v[i], pl);
            }
        }
    }
    for (p = 0; p < c->na; p++) {
        char pat[1024];
        if (c->a[p].kind != MP_IMAP_CA_PATTERN)
            continue;
        snprintf(pat, sizeof(pat), "%s%s", ref, c->a[p].text);
        if (pat[0] == '\0') {
            list_resp l;
            memset(&l, 0, sizeof(l));
            l.kind = lsub ? MP_IMAP_RESP_LSUB : MP_IMAP_RESP_LIST;
            l.name = "";
            l.attrs[0] = "\\Noselect";
            emit(c, list_line, &l);
            continue;
        }
        for (i = 0; i < ns.n; i++) {
            list_resp l;
            size_t nl = strlen(ns.v[i]);
            int children = 0;
            if (!(match(pat, ns.v[i]) ||
                  (strcmp(ns.v[i], "INBOX") == 0 && strncasecmp(pat, "INBOX", 5) == 0 &&
                   match(pat + 5, ""))))
                continue;
            for (j = 0; j < ns.n; j++)
                if (strncmp(ns.v[j], ns.v[i], nl) == 0 && ns.v[j][nl] == '/')
                    children = 1;
            memset(&l, 0, sizeof(l));
            l.kind = lsub ? MP_IMAP_RESP_LSUB : MP_IMAP_RESP_LIST;
            l.name = ns.v[i];
            l.attrs[0] = children ? "\\HasChildren" : "\\HasNoChildren";
            l.attrs[1] = i >= real ? "\\Noselect" : special_use(ns.v[i]);
            if (emit(c, list_line, &l) != 0)
                break;
        }
    }
    for (i = 0; i < ns.n; i++)
        free(ns.v[i]);
    free(ns.v);
    finish(c, MP_IMAP_RESP_OK, NULL, lsub ? "LSUB completed" : "LIST completed");
}

typedef struct status_resp {
    const char *name;
    const char *att[8];
    uint64_t val[8];
    size_t n;
} status_resp;

static mp_status status_line(conn *c, void *arg)
{
    status_resp *r = arg;
    size_t i;
    mp_status st = put(c, mp_imap_ev_begin(MP_IMAP_RESP_STATUS, mp_slice_make(NULL, 0), 0, 0));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_string(MP_IMAP_F_MAILBOX, mp_slice_make(r->name, strlen(r->name))));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_STATUS_ATTS));
    for (i = 0; i < r->n && st == MP_OK; i++) {
        st = put(c, mp_imap_ev_atom(MP_IMAP_F_STATUS_ATT,
                                    mp_slice_make(r->att[i], strlen(r->att[i]))));
        if (st == MP_OK)
            st = put(c, mp_imap_ev_number(MP_IMAP_F_STATUS_VALUE, r->val[i]));
    }
    if (st == MP_OK)
        st = put(c, mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_STATUS_ATTS));
    if (st == MP_OK)
        st = put(c, mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE));
    return st;
}

static void do_status(conn *c)
{
    static const char *const known[] = { "MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN",
                                         "RECENT",   "DELETED", "SIZE", "HIGHESTMODSEQ" };
    const char *name = arg_mailbox(c, 0);
    folder *f = name ? store_open(name) : NULL;
    status_resp r;
    size_t i, j;
    if (f == NULL) {
        finish(c, MP_IMAP_RESP_NO, "NONEXISTENT", "No such mailbox");
        return;
    }
    memset(&r, 0, sizeof(r));
    r.name = f->name;
    for (i = 0; i < c->na && r.n < 8; i++) {
        uint64_t v = 0;
        size_t k;
        if (c->a[i].kind != MP_IMAP_CA_ATOM)
            continue;
        for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
            if (strcasecmp(c->a[i].text, known[k]) == 0)
                break;
        switch (k) {
        case 0:
            v = f->n;
            break;
        case 1:
            v = f->uidnext;
            break;
        case 2:
            v = f->uidvalidity;
            break;
        case 3:
            for (j = 0; j < f->n; j++)
                v += !(f->m[j].flags & FL_SEEN);
            break;
        case 4:
            if (rev2(c))
                continue;
            break;
        case 5:
            for (j = 0; j < f->n; j++)
                v += (f->m[j].flags & FL_DELETED) != 0;
            break;
        case 6:
            for (j = 0; j < f->n; j++)
                v += wire_size(f, &f->m[j]);
            break;
        case 7:
            v = f->modseq;
            break;
        default:
            continue;
        }
        r.att[r.n] = known[k];
        r.val[r.n++] = v;
    }
    emit(c, status_line, &r);
    finish(c, MP_IMAP_RESP_OK, NULL, "STATUS completed");
}

static void do_append(conn *c)
{
    const char *name = arg_mailbox(c, 0);
    folder *f = name ? store_open(name) : NULL;
    uint32_t uids[MAX_APPEND_MSGS];
    size_t i, k = 0;
    char code[64 + MAX_APPEND_MSGS * 12];
    char *set;
    if (f == NULL) {
        drop_spools(c, 1);
        finish(c, MP_IMAP_RESP_NO, "TRYCREATE", "No such mailbox");
        return;
    }
    if (c->sp_err || c->nsp == 0) {
        drop_spools(c, 1);
        finish(c, MP_IMAP_RESP_NO, NULL, "Cannot store the message");
        return;
    }
    for (i = 0; i < c->nsp; i++) {
        uint32_t u = store_add(f, c->sp[i].path, c->sp[i].flags, c->sp[i].when, 0);
        if (u != 0)
            uids[k++] = u;
    }
    drop_spools(c, 1);
    /* the UIDs exist once this list is durable; only then are they told */
    if (k == 0 || store_save(f) != 0) {
        finish(c, MP_IMAP_RESP_NO, NULL, "Cannot store the message");
        return;
    }
    set = set_text(uids, k);
    snprintf(code, sizeof(code), "APPENDUID %lu %s", (unsigned long)f->uidvalidity, set);
    free(set);
    finish(c, MP_IMAP_RESP_OK, code, "APPEND completed");
}

/* An APPEND message's bytes: CRLF stored as LF (as mailproto-smtpd does). */
static void spool_write(conn *c, const char *p, size_t n)
{
    spool *s = c->nsp ? &c->sp[c->nsp - 1] : NULL;
    char buf[16384];
    size_t i, o = 0;
    if (s == NULL || s->fd < 0 || c->sp_err)
        return;
    for (i = 0; i < n; i++) {
        if (s->cr) {
            s->cr = 0;
            if (p[i] != '\n')
                buf[o++] = '\r';
        }
        if (p[i] == '\r') {
            s->cr = 1;
            continue;
        }
        buf[o++] = p[i];
        if (o >= sizeof(buf) - 2) {
            if (write(s->fd, buf, o) != (ssize_t)o)
                c->sp_err = 1;
            o = 0;
        }
    }
    if (o && write(s->fd, buf, o) != (ssize_t)o)
        c->sp_err = 1;
}

static void spool_end(conn *c)
{
    spool *s = c->nsp ? &c->sp[c->nsp - 1] : NULL;
    if (s == NULL || s->fd < 0)
        return;
    if (s->cr && write(s->fd, "\r", 1) != 1)
        c->sp_err = 1;
    if (fsync(s->fd) != 0)
        c->sp_err = 1;
    if (close(s->fd) != 0)
        c->sp_err = 1;
    s->fd = -1;
}

static void spool_begin(conn *c)
{
    spool *s;
    char name[256];
    size_t i;
    uint32_t flags = 0;
    time_t when = 0;
    if (c->nsp == MAX_APPEND_MSGS) {
        c->sp_err = 1;
        return;
    }
    /* this message's flags and date: the arguments since the last one */
    for (i = c->na - 1; i-- > 0;) {
        const carg *a = &c->a[i];
        if (a->kind == MP_IMAP_CA_APPEND_MSG || a->kind == MP_IMAP_CA_MAILBOX)
            break;
        if (a->kind == MP_IMAP_CA_FLAG)
            flags |= (uint32_t)flag_bit(a->text);
        if (a->kind == MP_IMAP_CA_DATETIME) {
            struct tm tm;
            memset(&tm, 0, sizeof(tm));
            tm.tm_year = a->dt.year - 1900;
            tm.tm_mon = a->dt.month - 1;
            tm.tm_mday = a->dt.day;
            tm.tm_hour = a->dt.hour;
            tm.tm_min = a->dt.min;
            tm.tm_sec = a->dt.sec;
            when = timegm(&tm) - (time_t)a->dt.zone * 60;
        }
    }
    c->sp = xrealloc(c->sp, (c->nsp + 1) * sizeof(spool));
    s = &c->sp[c->nsp++];
    memset(s, 0, sizeof(*s));
    unique_name(name, sizeof(name));
    tmp_path(s->path, sizeof(s->path), name);
    s->fd = open(s->path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    s->flags = flags;
    s->when = when;
    if (s->fd < 0)
        c->sp_err = 1;
}

/* ----------------------------------------------------------------------- */
/* Dispatch                                                                */
/* ----------------------------------------------------------------------- */

static uint64_t modifier(const conn *c, const char *name, int *found)
{
    size_t i;
    *found = 0;
    for (i = 0; i + 1 < c->na; i++)
        if (c->a[i].kind == MP_IMAP_CA_ATOM && c->a[i].depth > 0 &&
            strcasecmp(c->a[i].text, name) == 0 && c->a[i + 1].kind == MP_IMAP_CA_NUMBER) {
            *found = 1;
            return c->a[i + 1].num;
        }
    return 0;
}

/* Commands answered while EXPUNGE may not be sent (RFC 9051 §7.5.1). */
static int expunge_allowed(mp_imap_cmd_id cmd)
{
    return cmd != MP_IMAP_CMD_FETCH && cmd != MP_IMAP_CMD_STORE && cmd != MP_IMAP_CMD_SEARCH;
}

static void finish(conn *c, mp_imap_resp_kind kind, const char *code, const char *text)
{
    int tries;
    if (c->cmd != MP_IMAP_CMD_SELECT && c->cmd != MP_IMAP_CMD_EXAMINE && c->sel != NULL) {
        store_rescan(c->sel, 1.0);
        session_sync(c, expunge_allowed(c->cmd));
    }
    for (tries = 0; tries < 3; tries++) {
        mp_status st = mp_imap_server_complete(&c->s, kind, code, text);
        if (st != MP_ERR_NO_SPACE)
            break;
        if (conn_flush_wait(c) != 0)
            break;
    }
    if ((c->cmd == MP_IMAP_CMD_CLOSE || c->cmd == MP_IMAP_CMD_UNSELECT) &&
        kind == MP_IMAP_RESP_OK) {
        c->sel = NULL;
        c->vn = 0;
    }
}

static void execute(conn *c)
{
    const char *a0, *a1;
    int r;
    switch (c->cmd) {
    case MP_IMAP_CMD_SELECT:
    case MP_IMAP_CMD_EXAMINE:
        do_select(c, c->cmd == MP_IMAP_CMD_EXAMINE);
        break;
    case MP_IMAP_CMD_LIST:
    case MP_IMAP_CMD_LSUB:
        do_list(c, c->cmd == MP_IMAP_CMD_LSUB);
        break;
    case MP_IMAP_CMD_STATUS:
        do_status(c);
        break;
    case MP_IMAP_CMD_CREATE:
        a0 = arg_mailbox(c, 0);
        r = a0 ? store_create(a0) : -1;
        finish(c, r == 0 ? MP_IMAP_RESP_OK : MP_IMAP_RESP_NO,
               r == -2 ? "ALREADYEXISTS" : r ? "CANNOT" : NULL,
               r == 0 ? "CREATE completed" : "Cannot create that mailbox");
        break;
    case MP_IMAP_CMD_DELETE:
        a0 = arg_mailbox(c, 0);
        if (a0 && c->sel && strcmp(c->sel->name, a0) == 0)
            r = -1; /* not the selected one */
        else
            r = a0 ? store_delete(a0) : -1;
        finish(c, r == 0 ? MP_IMAP_RESP_OK : MP_IMAP_RESP_NO, r ? "NONEXISTENT" : NULL,
               r == 0 ? "DELETE completed" : "Cannot delete that mailbox");
        break;
    case MP_IMAP_CMD_RENAME:
        a0 = arg_mailbox(c, 0);
        a1 = arg_mailbox(c, 1);
        r = a0 && a1 && !(c->sel && strcmp(c->sel->name, a0) == 0) ? store_rename(a0, a1) : -1;
        finish(c, r == 0 ? MP_IMAP_RESP_OK : MP_IMAP_RESP_NO, r == -2 ? "ALREADYEXISTS" : NULL,
               r == 0 ? "RENAME completed" : "Cannot rename that mailbox");
        break;
    case MP_IMAP_CMD_SUBSCRIBE:
    case MP_IMAP_CMD_UNSUBSCRIBE:
        /* every mailbox is subscribed: LSUB lists them all */
        finish(c, MP_IMAP_RESP_OK, NULL, "Done");
        break;
    case MP_IMAP_CMD_APPEND:
        do_append(c);
        break;
    case MP_IMAP_CMD_CHECK:
        finish(c, MP_IMAP_RESP_OK, NULL, "CHECK completed");
        break;
    case MP_IMAP_CMD_CLOSE:
        if (!c->readonly)
            expunge_some(c, NULL, 1);
        finish(c, MP_IMAP_RESP_OK, NULL, "CLOSE completed");
        break;
    case MP_IMAP_CMD_UNSELECT:
        finish(c, MP_IMAP_RESP_OK, NULL, "UNSELECT completed");
        break;
    case MP_IMAP_CMD_EXPUNGE:
    case MP_IMAP_CMD_UID_EXPUNGE:
        do_expunge(c, c->cmd == MP_IMAP_CMD_UID_EXPUNGE);
        break;
    case MP_IMAP_CMD_SEARCH:
    case MP_IMAP_CMD_UID_SEARCH:
        do_search(c, c->cmd == MP_IMAP_CMD_UID_SEARCH);
        break;
    case MP_IMAP_CMD_FETCH:
    case MP_IMAP_CMD_UID_FETCH:
        do_fetch(c, c->cmd == MP_IMAP_CMD_UID_FETCH);
        break;
    case MP_IMAP_CMD_STORE:
    case MP_IMAP_CMD_UID_STORE:
        do_store(c, c->cmd == MP_IMAP_CMD_UID_STORE);
        break;
    case MP_IMAP_CMD_COPY:
    case MP_IMAP_CMD_UID_COPY:
        do_copy(c, c->cmd == MP_IMAP_CMD_UID_COPY, 0);
        break;
    case MP_IMAP_CMD_MOVE:
    case MP_IMAP_CMD_UID_MOVE:
        do_copy(c, c->cmd == MP_IMAP_CMD_UID_MOVE, 1);
        break;
    default:
        finish(c, MP_IMAP_RESP_BAD, NULL, "Command not supported");
        break;
    }
}

static int on_request(void *user, mp_imap_server *s, const mp_imap_server_req *r)
{
    conn *c = user;
    (void)s;
    switch (r->type) {
    case MP_IMAP_REQ_BEGIN:
        drop_args(c);
        drop_spools(c, 1);
        c->cmd = r->cmd;
        break;
    case MP_IMAP_REQ_ARG:
        keep_arg(c, r->arg);
        if (r->arg->kind == MP_IMAP_CA_APPEND_MSG)
            spool_begin(c);
        break;
    case MP_IMAP_REQ_DATA:
        spool_write(c, r->data.ptr, r->data.len);
        break;
    case MP_IMAP_REQ_DATA_END:
        spool_end(c);
        break;
    case MP_IMAP_REQ_EXECUTE:
        execute(c);
        drop_args(c);
        break;
    case MP_IMAP_REQ_CANCEL:
        drop_args(c);
        drop_spools(c, 1);
        break;
    }
    return 0;
}

/* The SASL server's questions, answered from the password file; SCRAM
 * keys are derived at login (salt "mailproto-imapd:" + user). */
static int on_auth(void *user, mp_imap_server *s)
{
    conn *c = user;
    mp_sasl_server *x = &c->sasl;
    const char *pass = imapd_password(x->authcid);
    /* an authzid other than the user itself is not allowed here */
    int authz_ok = x->authzid.len == 0 || (x->authzid.len == x->authcid.len &&
                                           memcmp(x->authzid.ptr, x->authcid.ptr, x->authzid.len) == 0);
    if (x->want == MP_SASL_WANT_VERIFY) {
        size_t pl = pass ? strlen(pass) : 0;
        mp_sasl_server_verify(x, pass && authz_ok && x->password.len == pl && pl > 0 &&
                                     memcmp(x->password.ptr, pass, pl) == 0);
    } else if (x->want == MP_SASL_WANT_SCRAM_KEYS && pass && authz_ok) {
        uint8_t sk[MP_HASH_MAX_DIGEST], svk[MP_HASH_MAX_DIGEST];
        char salt[MP_SASL_MAX_NAME + 32];
        int n = snprintf(salt, sizeof(salt), "mailproto-imapd:%.*s", (int)x->authcid.len,
                         x->authcid.ptr);
        if (n > 0 && (size_t)n < sizeof(salt) &&
            mp_sasl_scram_derive((mp_sasl_mech)x->mech, imapd_crypto(), pass, strlen(pass), salt,
                                 (size_t)n, 4096, sk, svk, NULL) == MP_OK)
            mp_sasl_server_set_scram(x, salt, (size_t)n, 4096, sk, svk);
        else
            mp_sasl_server_verify(x, 0);
        memset(sk, 0, sizeof(sk));
        memset(svk, 0, sizeof(svk));
    } else {
        /* CRAM-MD5 (a secret) is not offered; nothing else is answered */
        mp_sasl_server_verify(x, 0);
    }
    mp_imap_server_auth_resume(s);
    return 0;
}

static int on_idle(void *user, mp_imap_server *s, int active)
{
    conn *c = user;
    (void)s;
    c->idling = active;
    if (active && c->sel) {
        store_rescan(c->sel, 0);
        session_sync(c, 1);
    }
    return 0;
}

static void on_error(void *user, mp_imap_server *s, const mp_error *e)
{
    conn *c = user;
    (void)s;
    fprintf(stderr, "mailproto-imapd: %s: %s at byte %llu (%s)\n", c->peer, mp_strerror(e->code),
            (unsigned long long)e->offset, e->rule ? e->rule : "-");
}

const mp_imap_server_callbacks imapd_callbacks = { on_request, NULL, on_auth, on_idle, on_error };
