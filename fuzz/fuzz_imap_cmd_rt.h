/* IMAP command round trip, shared by fuzz/fuzz_imap_cmd*.c and
 * tests/imap/test_cmd_roundtrip.c: record the parser's events of each
 * command as a canonical byte string and as writer arguments, write the
 * command again with mp_imap_write_command / the APPEND writer, parse
 * that, and compare the canonical events.  No allocation; one command is
 * bounded by the RT_* sizes (a bigger one is skipped, not compared). */
#ifndef FUZZ_IMAP_CMD_RT_H
#define FUZZ_IMAP_CMD_RT_H

#include <stdint.h>
#include <string.h>

#include "mailproto/imap_command.h"

#define RT_MAX_ARGS 256
#define RT_MAX_RANGES 512
#define RT_MAX_MSGS 8
#define RT_MAX_PARTS 64
#define RT_ARENA 65536
#define RT_CANON 131072

typedef struct rt_msg {
    size_t first_flag, nflags; /* indexes into flags[] */
    int has_flags, has_dt, binary; /* binary: an MP_IMAP_APPEND_* form */
    int cat;                   /* a CATENATE message: parts[first_part..] */
    size_t first_part, nparts;
    mp_imap_datetime dt;
    size_t data_off, data_len; /* bytes in arena */
} rt_msg;

/* One CATENATE part (RFC 4469): a URL or TEXT bytes (UTF8 form). */
typedef struct rt_part {
    int url, utf8;
    size_t off, len; /* bytes in arena */
} rt_part;

/* Events of one command being recorded. */
typedef struct rt_cmd {
    mp_imap_cmd_id cmd;
    char tag[MP_IMAP_MAX_TAG + 1];
    mp_imap_arg args[RT_MAX_ARGS];
    size_t nargs;
    mp_imap_seq_range ranges[RT_MAX_RANGES];
    size_t nranges;
    mp_imap_datetime dts[RT_MAX_ARGS];
    mp_slice flags[RT_MAX_ARGS];
    size_t nflags;
    rt_msg msgs[RT_MAX_MSGS];
    size_t nmsgs;
    rt_part parts[RT_MAX_PARTS];
    size_t nparts;
    int in_part;   /* APPEND: a TEXT part's bytes are coming */
    int in_flags;  /* APPEND: inside the flag list */
    long stream_arg; /* argument gathering a streamed string, or -1 */
    char arena[RT_ARENA];
    size_t arena_len;
    int overflow;  /* too big to replay */
    unsigned char canon[RT_CANON];
    size_t canon_len;
    uint64_t hash;  /* every event of the stream so far (split oracle) */
} rt_cmd;

/* A whole session's worth of recorded commands is too big; the recorder
 * hands each finished command to `done`. */
typedef struct rt_recorder {
    rt_cmd cur;
    int bad;       /* the last command was reported bad */
    void (*done)(struct rt_recorder *r, const rt_cmd *c, int ok);
    void *ctx;
    unsigned parser_mode;
} rt_recorder;

static void rt_mix(rt_cmd *c, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        c->hash = (c->hash ^ b[i]) * 1099511628211u;
}

static void rt_canon(rt_cmd *c, const void *p, size_t n)
{
    rt_mix(c, p, n);
    if (n == 0)
        return;
    if (n > RT_CANON - c->canon_len) {
        c->overflow = 1;
        return;
    }
    memcpy(c->canon + c->canon_len, p, n);
    c->canon_len += n;
}

static void rt_canon_u64(rt_cmd *c, uint64_t v) { rt_canon(c, &v, sizeof(v)); }

static const char *rt_keep(rt_cmd *c, const char *p, size_t n)
{
    char *d;
    if (n > RT_ARENA - c->arena_len) {
        c->overflow = 1;
        return "";
    }
    d = c->arena + c->arena_len;
    if (n)
        memcpy(d, p, n);
    c->arena_len += n;
    return d;
}

static mp_imap_arg *rt_arg(rt_cmd *c, mp_imap_arg_kind k)
{
    mp_imap_arg *a;
    if (c->nargs == RT_MAX_ARGS) {
        c->overflow = 1;
        return NULL;
    }
    a = &c->args[c->nargs++];
    memset(a, 0, sizeof(*a));
    a->kind = k;
    return a;
}

static int rt_on_command(void *user, mp_slice tag, mp_imap_cmd_id cmd)
{
    rt_recorder *r = user;
    rt_cmd *c = &r->cur;
    c->cmd = cmd;
    if (tag.len)
        memcpy(c->tag, tag.ptr, tag.len);
    c->tag[tag.len] = '\0';
    c->nargs = c->nranges = c->nflags = c->nmsgs = c->nparts = 0;
    c->in_part = 0;
    c->arena_len = c->canon_len = 0;
    c->overflow = 0;
    c->in_flags = 0;
    c->stream_arg = -1;
    memset(c->msgs, 0, sizeof(c->msgs));
    rt_canon(c, "C", 1);
    rt_canon_u64(c, (uint64_t)cmd);
    rt_canon(c, tag.ptr, tag.len);
    return 0;
}

static int rt_on_arg(void *user, const mp_imap_cmd_arg *e)
{
    rt_recorder *r = user;
    rt_cmd *c = &r->cur;
    mp_imap_arg *a = NULL;
    unsigned char k = (unsigned char)e->kind;
    uint64_t cnum = e->num;
    mp_imap_seq_range range = e->range;
    /* Canonical form: what the command means, not how it was spelt
     * (quoted vs literal, the raw mailbox form).  A set's first range
     * "5:5" is the number 5 (the writer sends a one-value range as "5",
     * and where a value may be a number or a set, as in tagged-ext-simple,
     * the parser reads "5" as a number). */
    if (e->kind == MP_IMAP_CA_SEQ && e->index == 0 && e->range.lo == e->range.hi &&
        e->range.lo != MP_IMAP_SEQ_STAR) {
        k = (unsigned char)MP_IMAP_CA_NUMBER;
        cnum = e->range.lo;
        memset(&range, 0, sizeof(range));
    }
    rt_canon(c, "A", 1);
    rt_canon(c, &k, 1);
    rt_canon(c, &e->depth, 1);
    /* Values carried in num / range / dt: their spelling is not compared. */
    if (e->kind != MP_IMAP_CA_DATE && e->kind != MP_IMAP_CA_DATETIME &&
        e->kind != MP_IMAP_CA_NUMBER && e->kind != MP_IMAP_CA_SEQ && e->kind != MP_IMAP_CA_NIL) {
        rt_canon_u64(c, e->text.len);
        rt_canon(c, e->text.ptr, e->text.len);
    }
    rt_canon_u64(c, cnum);
    rt_canon_u64(c, ((uint64_t)range.lo << 32) | range.hi);
    rt_canon(c, &e->dt, sizeof(e->dt));
    rt_canon(c, &e->has_section, 1);
    rt_canon(c, &e->has_partial, 1);
    rt_canon(c, &e->streamed, 1);
    rt_canon(c, &e->utf8, 1);
    rt_canon(c, e->section.ptr, e->section.len);
    rt_canon_u64(c, e->partial_origin);
    rt_canon_u64(c, e->partial_len);
    if (c->cmd == MP_IMAP_CMD_APPEND && e->kind != MP_IMAP_CA_MAILBOX) {
        rt_msg *m = c->nmsgs < RT_MAX_MSGS ? &c->msgs[c->nmsgs] : NULL;
        if (m == NULL) {
            c->overflow = 1;
            return 0;
        }
        switch (e->kind) {
        case MP_IMAP_CA_LIST_BEGIN:
            m->has_flags = 1;
            m->first_flag = c->nflags;
            c->in_flags = 1;
            break;
        case MP_IMAP_CA_LIST_END:
            c->in_flags = 0;
            break;
        case MP_IMAP_CA_FLAG:
            if (c->nflags == RT_MAX_ARGS) {
                c->overflow = 1;
                break;
            }
            c->flags[c->nflags].ptr = rt_keep(c, e->text.ptr, e->text.len);
            c->flags[c->nflags++].len = e->text.len;
            m->nflags++;
            break;
        case MP_IMAP_CA_DATETIME:
            m->has_dt = 1;
            m->dt = e->dt;
            break;
        case MP_IMAP_CA_APPEND_MSG:
            m->binary = e->utf8 ? MP_IMAP_APPEND_UTF8 : e->binary;
            m->data_off = c->arena_len;
            m->data_len = 0;
            break;
        case MP_IMAP_CA_CATENATE_BEGIN:
            m->cat = 1;
            m->first_part = c->nparts;
            break;
        case MP_IMAP_CA_CAT_URL:
        case MP_IMAP_CA_CAT_TEXT: {
            rt_part *pt;
            if (c->nparts == RT_MAX_PARTS) {
                c->overflow = 1;
                break;
            }
            pt = &c->parts[c->nparts++];
            m->nparts++;
            pt->url = e->kind == MP_IMAP_CA_CAT_URL;
            pt->utf8 = e->utf8;
            pt->off = c->arena_len;
            pt->len = 0;
            if (pt->url) {
                (void)rt_keep(c, e->text.ptr, e->text.len);
                pt->len = e->text.len;
            } else {
                c->in_part = 1;
            }
            break;
        }
        case MP_IMAP_CA_CATENATE_END:
            /* the message is complete */
            if (c->nmsgs + 1 < RT_MAX_MSGS)
                memset(&c->msgs[c->nmsgs + 1], 0, sizeof(rt_msg));
            c->nmsgs++;
            break;
        default:
            break;
        }
        return 0;
    }
    switch (e->kind) {
    case MP_IMAP_CA_ATOM:
    case MP_IMAP_CA_SEARCH_KEY:
    case MP_IMAP_CA_BASE64:
        a = rt_arg(c, MP_IMAP_ARG_ATOM);
        break;
    case MP_IMAP_CA_NUMBER:
        a = rt_arg(c, MP_IMAP_ARG_NUMBER);
        if (a)
            a->num = e->num;
        return 0;
    case MP_IMAP_CA_STRING:
        a = rt_arg(c, MP_IMAP_ARG_BINARY_STRING);
        if (a && e->streamed) {
            /* the bytes come through rt_on_chunk */
            a->s.ptr = c->arena + c->arena_len;
            a->s.len = 0;
            c->stream_arg = (long)c->nargs - 1;
            return 0;
        }
        break;
    case MP_IMAP_CA_NIL:
        rt_arg(c, MP_IMAP_ARG_NIL);
        return 0;
    case MP_IMAP_CA_SEQ_LAST:
        rt_arg(c, MP_IMAP_ARG_SEQ_LAST);
        return 0;
    case MP_IMAP_CA_FLAG:
        a = rt_arg(c, MP_IMAP_ARG_FLAG);
        break;
    case MP_IMAP_CA_MAILBOX:
        a = rt_arg(c, MP_IMAP_ARG_MAILBOX);
        break;
    case MP_IMAP_CA_PATTERN:
        a = rt_arg(c, MP_IMAP_ARG_LIST_MAILBOX);
        break;
    case MP_IMAP_CA_SEQ:
        if (c->nranges == RT_MAX_RANGES) {
            c->overflow = 1;
            return 0;
        }
        if (e->index == 0) {
            a = rt_arg(c, MP_IMAP_ARG_SEQSET);
            if (a)
                a->ranges = &c->ranges[c->nranges];
        } else if (c->nargs > 0) {
            a = &c->args[c->nargs - 1];
        }
        if (a) {
            c->ranges[c->nranges++] = e->range;
            a->nranges++;
        }
        return 0;
    case MP_IMAP_CA_DATETIME:
    case MP_IMAP_CA_DATE:
        a = rt_arg(c, e->kind == MP_IMAP_CA_DATE ? MP_IMAP_ARG_DATE : MP_IMAP_ARG_DATETIME);
        if (a) {
            c->dts[c->nargs - 1] = e->dt;
            a->dt = &c->dts[c->nargs - 1];
        }
        return 0;
    case MP_IMAP_CA_LIST_BEGIN:
        rt_arg(c, MP_IMAP_ARG_LIST_BEGIN);
        return 0;
    case MP_IMAP_CA_LIST_END:
        rt_arg(c, MP_IMAP_ARG_LIST_END);
        return 0;
    case MP_IMAP_CA_FETCH_ATT: {
        /* name[section]<origin.length> back into one keyword */
        char tmp[MP_IMAP_MAX_SECTION + 96];
        size_t n = 0;
        memcpy(tmp, e->text.ptr, e->text.len);
        n = e->text.len;
        if (e->has_section) {
            tmp[n++] = '[';
            memcpy(tmp + n, e->section.ptr, e->section.len);
            n += e->section.len;
            tmp[n++] = ']';
        }
        if (e->has_partial) {
            char num[48];
            int k2 = 0;
            uint64_t v[2] = { e->partial_origin, e->partial_len };
            tmp[n++] = '<';
            for (int j = 0; j < 2; j++) {
                uint64_t x = v[j];
                k2 = 0;
                do {
                    num[k2++] = (char)('0' + (int)(x % 10u));
                    x /= 10u;
                } while (x);
                while (k2 > 0)
                    tmp[n++] = num[--k2];
                tmp[n++] = j == 0 ? '.' : '>';
            }
        }
        a = rt_arg(c, MP_IMAP_ARG_ATOM);
        if (a) {
            a->s.ptr = rt_keep(c, tmp, n);
            a->s.len = n;
        }
        return 0;
    }
    default:
        c->overflow = 1;
        return 0;
    }
    if (a) {
        a->s.ptr = rt_keep(c, e->text.ptr, e->text.len);
        a->s.len = e->text.len;
    }
    return 0;
}

static int rt_on_chunk(void *user, mp_slice d)
{
    rt_recorder *r = user;
    rt_cmd *c = &r->cur;
    rt_canon(c, d.ptr, d.len);
    if (c->stream_arg >= 0) {
        (void)rt_keep(c, d.ptr, d.len);
        c->args[c->stream_arg].s.len += d.len;
        return 0;
    }
    if (c->in_part) {
        (void)rt_keep(c, d.ptr, d.len);
        c->parts[c->nparts - 1].len += d.len;
        return 0;
    }
    if (c->nmsgs < RT_MAX_MSGS) {
        (void)rt_keep(c, d.ptr, d.len);
        c->msgs[c->nmsgs].data_len += d.len;
    }
    return 0;
}

static int rt_on_lit_end(void *user)
{
    rt_recorder *r = user;
    rt_canon(&r->cur, "E", 1);
    if (r->cur.stream_arg >= 0) {
        r->cur.stream_arg = -1;
        return 0;
    }
    if (r->cur.in_part) {
        r->cur.in_part = 0;
        return 0;
    }
    if (r->cur.nmsgs + 1 < RT_MAX_MSGS)
        memset(&r->cur.msgs[r->cur.nmsgs + 1], 0, sizeof(rt_msg));
    r->cur.nmsgs++;
    return 0;
}

static int rt_on_end(void *user)
{
    rt_recorder *r = user;
    rt_mix(&r->cur, "end", 3);
    r->bad = 0;
    if (r->done)
        r->done(r, &r->cur, 1);
    return 0;
}

static int rt_on_bad(void *user, mp_slice tag, mp_imap_cmd_id cmd, const mp_error *err)
{
    rt_recorder *r = user;
    uint64_t off = err->offset;
    unsigned char code = (unsigned char)err->code;
    rt_mix(&r->cur, "bad", 3);
    rt_mix(&r->cur, tag.ptr, tag.len);
    rt_mix(&r->cur, &cmd, sizeof(cmd));
    rt_mix(&r->cur, &code, 1);
    rt_mix(&r->cur, &off, sizeof(off));
    r->bad = 1;
    r->cur.cmd = MP_IMAP_CMD_NONE_;
    return 0;
}

static int rt_on_auth(void *user, mp_slice line, int cancel)
{
    rt_recorder *r = user;
    rt_mix(&r->cur, cancel ? "auth*" : "auth", cancel ? 5 : 4);
    rt_mix(&r->cur, line.ptr, line.len);
    return 0;
}

static int rt_on_idle_done(void *user)
{
    rt_recorder *r = user;
    rt_mix(&r->cur, "done", 4);
    return 0;
}

static const mp_imap_cmd_callbacks rt_callbacks = {
    rt_on_command, rt_on_arg, rt_on_chunk, rt_on_lit_end, rt_on_end, rt_on_bad, rt_on_auth,
    rt_on_idle_done,
};

/* One CATENATE message of `c` (RFC 4469): its parts in order. */
static mp_status rt_write_catenate(mp_imap_writer *w, const rt_cmd *c, const rt_msg *m,
                                   int first)
{
    const mp_slice *fl = m->has_flags ? &c->flags[m->first_flag] : NULL;
    const mp_imap_datetime *dt = m->has_dt ? &m->dt : NULL;
    mp_status st = first ? mp_imap_write_append_catenate_begin(w, c->tag, c->args[0].s, fl,
                                                               m->nflags, dt)
                         : mp_imap_write_append_catenate_next(w, fl, m->nflags, dt);
    if (st != MP_OK)
        return st;
    for (size_t j = 0; j < m->nparts; j++) {
        const rt_part *pt = &c->parts[m->first_part + j];
        size_t used = 0;
        if (pt->url) {
            st = mp_imap_write_cat_url(w, mp_slice_make(c->arena + pt->off, pt->len));
            if (st != MP_OK)
                return st;
            continue;
        }
        st = mp_imap_write_cat_text_begin(w, pt->len,
                                          pt->utf8 ? MP_IMAP_APPEND_UTF8 : MP_IMAP_APPEND_LITERAL);
        if (st == MP_PAUSED)
            st = mp_imap_writer_continue(w);
        if (st != MP_OK)
            return st;
        if (pt->len) {
            st = mp_imap_write_append_data(w, c->arena + pt->off, pt->len, &used);
            if (st != MP_OK)
                return st;
            if (used != pt->len)
                return MP_ERR_NO_SPACE;
        }
    }
    return mp_imap_write_catenate_end(w);
}

/* Write `c` again into ob; sync literals are continued at once (as if the
 * server sent "+").  Returns the writer status (MP_OK when whole). */
static mp_status rt_write(const rt_cmd *c, mp_outbuf *ob, unsigned wflags)
{
    mp_imap_writer w;
    mp_status st;
    int guard = 0;
    mp_imap_writer_init(&w, ob, wflags);
    if (c->cmd == MP_IMAP_CMD_APPEND) {
        if (c->nargs < 1 || c->nmsgs == 0)
            return MP_ERR_ARG;
        for (size_t i = 0; i < c->nmsgs; i++) {
            const rt_msg *m = &c->msgs[i];
            size_t used = 0;
            if (m->cat) {
                st = rt_write_catenate(&w, c, m, i == 0);
                if (st != MP_OK)
                    return st;
                continue;
            }
            st = i == 0 ? mp_imap_write_append_begin(&w, c->tag, c->args[0].s,
                                                     m->has_flags ? &c->flags[m->first_flag] : NULL,
                                                     m->nflags, m->has_dt ? &m->dt : NULL,
                                                     m->data_len, m->binary)
                        : mp_imap_write_append_next(&w, m->has_flags ? &c->flags[m->first_flag]
                                                                     : NULL,
                                                    m->nflags, m->has_dt ? &m->dt : NULL,
                                                    m->data_len, m->binary);
            if (st == MP_PAUSED)
                st = mp_imap_writer_continue(&w);
            if (st != MP_OK)
                return st;
            if (m->data_len) {
                st = mp_imap_write_append_data(&w, c->arena + m->data_off, m->data_len, &used);
                if (st != MP_OK)
                    return st;
                if (used != m->data_len)
                    return MP_ERR_NO_SPACE;
            }
        }
        return mp_imap_write_append_end(&w);
    }
    for (;;) {
        st = mp_imap_write_command(&w, c->tag, c->cmd, c->args, c->nargs);
        if (st != MP_PAUSED || ++guard > 1000)
            return st;
        if (mp_imap_writer_continue(&w) != MP_OK)
            return MP_ERR_STATE;
    }
}

/* Writer flags matching a parser's mode bits. */
static unsigned rt_wflags(unsigned parser_mode)
{
    unsigned f = MP_IMAP_W_BINARY;
    if (parser_mode & MP_IMAP_REV2)
        f |= MP_IMAP_W_REV2;
    if (parser_mode & MP_IMAP_UTF8)
        f |= MP_IMAP_W_UTF8_ACCEPT;
    return f;
}

/* Parse `in` with a fresh parser; every sync literal accepted. */
static void rt_parse(rt_recorder *r, const char *in, size_t n, unsigned mode)
{
    static mp_imap_cmd_parser p;
    static char buf[MP_IMAP_CMD_PARSER_BUF];
    mp_imap_cmd_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.mode = mode;
    r->parser_mode = mode;
    if (mp_imap_cmd_parser_init(&p, buf, sizeof(buf), &cfg, &rt_callbacks, r) != MP_OK)
        return;
    while (n > 0) {
        size_t used = 0;
        mp_status st = mp_imap_cmd_parser_feed(&p, in, n, &used);
        in += used;
        n -= used;
        if (st == MP_NEED_MORE)
            break;
        if (st != MP_PAUSED)
            break;
        if (mp_imap_cmd_parser_literal_wait(&p) >= 0)
            mp_imap_cmd_parser_accept_literal(&p);
    }
}

#endif
