#define _POSIX_C_SOURCE 199309L
/*
 * bench_imap: throughput of the IMAP codecs on deterministic generated
 * corpora, each fed whole, in 64-byte and in 1-byte pieces, beside a
 * memchr scan of the same bytes (the practical ceiling of a byte-oriented
 * pass), and sizeof of every IMAP state struct.  Figures are printed,
 * never asserted; every pass checks its own result (no ERROR / on_bad
 * event, the expected number of responses, commands and literal bytes)
 * and aborts when it is wrong.
 *
 * Corpora (xorshift-seeded, identical on every run):
 *  - responses, FETCH-heavy as a client syncing a mailbox sees them:
 *    per message a "* n FETCH (UID FLAGS INTERNALDATE RFC822.SIZE
 *    ENVELOPE BODYSTRUCTURE)" line (multipart bodies with parameters and
 *    dispositions, address lists), flag-update FETCHes, and for about
 *    one message in three a "* n FETCH (UID BODY[] {len}" literal of
 *    1 KiB..1 MiB; EXISTS/tagged OK lines in between.
 *  - commands, written by the command writer (so the writer pass is the
 *    same work): UID FETCH with header sections, UID SEARCH with keys,
 *    dates and strings, UID STORE, UID MOVE, SELECT, NOOP, and APPEND of
 *    1 KiB..1 MiB messages as synchronizing literals (the parser pauses,
 *    the host accepts, as a server sends "+").
 * Passes: response parser; response parser -> response writer
 * (per-element mode, a proxy passing events through: input MB/s);
 * command parser; command writer (MB/s of output).
 *
 *   bench/bench_imap [runs]     best of `runs` (default 20; 1-byte feeding
 *                               takes max(runs/4, 3)) per pass
 *   bench/bench_imap --once     one pass each, for instruction counts:
 *     bench/callgrind-ipb build/bench/bench/bench_imap
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailproto/core.h"
#include "mailproto/imap.h"
#include "mailproto/imap_client.h"
#include "mailproto/imap_command.h"
#include "mailproto/imap_server.h"
#include "mailproto/sasl.h"

#include "bench_common.h"

#define SL(s) { (s), sizeof(s) - 1 } /* an mp_slice initializer */
#define RESP_TOTAL (4u << 20) /* BODY[] stream; the metadata stream is half */
#define CMD_TOTAL (2u << 20)  /* with APPEND; without, half */
#define OUT_CAP (64u * 1024u)

/* One corpus and what parsing it must give. */
typedef struct corpus {
    char *p;
    size_t len, cap;
    size_t count;     /* responses (END events) or commands (on_end) */
    size_t lits;      /* literals */
    size_t lit_bytes; /* their bytes */
} corpus;

static char resp_meta_buf[RESP_TOTAL / 2u + 65536]; /* a batch of 20 may overshoot */
static char resp_lit_buf[RESP_TOTAL + (2u << 20)];
static char cmd_plain_buf[CMD_TOTAL / 2u + 8192];
static char cmd_append_buf[CMD_TOTAL + (2u << 20)];
static corpus resp_meta = { resp_meta_buf, 0, sizeof(resp_meta_buf), 0, 0, 0 };
static corpus resp_lit = { resp_lit_buf, 0, sizeof(resp_lit_buf), 0, 0, 0 };
static corpus cmd_plain = { cmd_plain_buf, 0, sizeof(cmd_plain_buf), 0, 0, 0 };
static corpus cmd_append = { cmd_append_buf, 0, sizeof(cmd_append_buf), 0, 0, 0 };
static char msgs[(1u << 20) + 4096]; /* message text reused by APPEND */

static uint32_t rng;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static size_t lit_size(void)
{
    size_t base = (size_t)1024u << (next_rand() % 10u); /* 1 KiB .. 512 KiB */
    size_t n = base + next_rand() % base;
    return n > (1u << 20) ? (1u << 20) : n;
}

/* Mail text: header lines, then lines of 0..78 printable bytes. */
static void make_msgs(void)
{
    size_t n = 0;
    n += (size_t)snprintf(msgs, 512,
                          "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"
                          "From: Terry Gray <gray@cac.washington.edu>\r\n"
                          "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"
                          "To: imap@cac.washington.edu\r\n"
                          "Message-Id: <B27397-0100000@cac.washington.edu>\r\n"
                          "MIME-Version: 1.0\r\n"
                          "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n");
    while (n < sizeof(msgs) - 100) {
        uint32_t x = next_rand();
        size_t len = x % 79u, i;
        for (i = 0; i < len; i++)
            msgs[n++] = (char)(' ' + (int)(((x >> (i % 24u)) + (uint32_t)i) % 95u));
        msgs[n++] = '\r';
        msgs[n++] = '\n';
    }
}

static size_t put(char *dst, size_t at, size_t cap, const char *p, size_t n)
{
    if (at + n > cap)
        abort();
    memcpy(dst + at, p, n);
    return at + n;
}

static const char *const flagsets[] = {
    "", "\\Seen", "\\Seen \\Answered", "\\Seen $Forwarded $MDNSent", "\\Flagged \\Seen",
    "\\Deleted", "$Junk", "\\Seen \\Answered \\Flagged NonJunk",
};

static size_t fetch_meta(char *d, size_t cap, unsigned msn, unsigned uid)
{
    unsigned k = next_rand();
    const char *fl = flagsets[k % 8u];
    int n = snprintf(
        d, cap,
        "* %u FETCH (UID %u FLAGS (%s) INTERNALDATE \"%2u-Jul-1996 02:44:25 -0700\" "
        "RFC822.SIZE %u ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
        "\"IMAP4rev1 WG mtg summary and minutes #%u\" "
        "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
        "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
        "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
        "((NIL NIL \"imap\" \"cac.washington.edu\")) "
        "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")(\"John Klensin\" NIL \"KLENSIN\" "
        "\"MIT.EDU\")) NIL NIL \"<B27397-%07u@cac.washington.edu>\") "
        "BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" "
        "%u %u NIL NIL NIL NIL)(\"APPLICATION\" \"OCTET-STREAM\" (\"NAME\" \"cc.diff\") "
        "\"<960723163407.20117h@cac.washington.edu>\" \"Compiled diff\" \"BASE64\" %u NIL "
        "(\"ATTACHMENT\" (\"FILENAME\" \"cc.diff\")) NIL NIL) \"MIXED\" "
        "(\"BOUNDARY\" \"----=_Part_%u\") NIL NIL NIL))\r\n",
        msn, uid, fl, 1u + k % 28u, 1000u + k % 900000u, uid, uid, 100u + k % 5000u,
        3u + k % 90u, 200u + (k >> 8) % 9000u, uid);
    return (size_t)n;
}

/* `lits`: one message in three also comes as a BODY[] literal. */
static void make_responses(corpus *c, size_t target, int lits)
{
    char line[4096];
    unsigned msn = 0, tag = 0;
    size_t n = 0;
    char *resp = c->p;
    size_t resp_count, resp_lits = 0, resp_lit_bytes = 0;
    rng = 0x9e3779b9u;
    {
        static const char hello[] = "* OK [CAPABILITY IMAP4rev1 LITERAL+ UIDPLUS] ready\r\n";
        n = put(resp, n, c->cap, hello, sizeof(hello) - 1);
    }
    resp_count = 1;
    while (n < target) {
        unsigned k, i;
        size_t l;
        /* a batch of up to 20 messages, then the tagged completion */
        for (i = 0; i < 20u && n < target; i++) {
            msn++;
            l = fetch_meta(line, sizeof(line), msn, 1000u + msn * 3u);
            n = put(resp, n, c->cap, line, l);
            resp_count++;
            k = next_rand();
            if (k % 4u == 0) {
                l = (size_t)snprintf(line, sizeof(line), "* %u FETCH (FLAGS (%s) UID %u)\r\n",
                                     msn, flagsets[k % 8u], 1000u + msn * 3u);
                n = put(resp, n, c->cap, line, l);
                resp_count++;
            }
            if (lits && k % 3u == 0) {
                size_t lit = lit_size();
                l = (size_t)snprintf(line, sizeof(line), "* %u FETCH (UID %u BODY[] {%zu}\r\n",
                                     msn, 1000u + msn * 3u, lit);
                n = put(resp, n, c->cap, line, l);
                n = put(resp, n, c->cap, msgs, lit);
                n = put(resp, n, c->cap, ")\r\n", 3);
                resp_count++;
                resp_lits++;
                resp_lit_bytes += lit;
            }
        }
        l = (size_t)snprintf(line, sizeof(line), "* %u EXISTS\r\nA%04u OK [READ-WRITE] "
                             "UID FETCH completed\r\n", msn, ++tag);
        n = put(resp, n, c->cap, line, l);
        resp_count += 2;
    }
    c->len = n;
    c->count = resp_count;
    c->lits = resp_lits;
    c->lit_bytes = resp_lit_bytes;
}

/* ---- command stream, through the command writer ---------------------------- */

static mp_outbuf *w_ob;
static char *w_sink;       /* where drained output goes (NULL: dropped) */
static size_t w_sink_len, w_sink_cap, w_total;

static void w_drain(void)
{
    if (w_sink) {
        w_sink_len = put(w_sink, w_sink_len, w_sink_cap, w_ob->buf, w_ob->len);
    }
    w_total += w_ob->len;
    mp_outbuf_consume(w_ob, w_ob->len);
}

static void wfail(const char *what, mp_status st)
{
    fprintf(stderr, "bench_imap: %s: %s\n", what, mp_status_name(st));
    abort();
}

/* One writer call, draining the output and retrying on NO_SPACE; a
 * synchronizing literal (MP_PAUSED) is answered at once, as if the server
 * had sent "+", and the call repeated for the rest (`again`: 0 for
 * APPEND, whose data follows through append_data). */
#define WRITE_(call, again)                                 \
    do {                                                    \
        mp_status st_;                                      \
        for (;;) {                                          \
            while ((st_ = (call)) == MP_ERR_NO_SPACE)       \
                w_drain();                                  \
            if (st_ != MP_PAUSED)                           \
                break;                                      \
            if (mp_imap_writer_continue(&w) != MP_OK)       \
                wfail(#call, st_);                          \
            if (!(again)) {                                 \
                st_ = MP_OK;                                \
                break;                                      \
            }                                               \
        }                                                   \
        if (st_ != MP_OK)                                   \
            wfail(#call, st_);                              \
    } while (0)
#define WRITE(call) WRITE_(call, 1)

/* Writes the whole command stream; returns the number of commands.  The
 * stream (and so the bytes the parser sees) is the same on every call. */
static size_t write_commands(size_t target, int appends, size_t *nlits, size_t *lit_bytes)
{
    static const char *const items[] = {
        "UID", "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODYSTRUCTURE",
        "BODY.PEEK[HEADER.FIELDS (From To Cc Subject Date Message-ID References)]",
    };
    static const char *const body_item[] = { "BODY.PEEK[]" };
    static const mp_imap_datetime since = { 2024, 2, 1, 0, 0, 0, 0 };
    static const mp_imap_datetime idate = { 2024, 11, 24, 19, 52, 25, 60 };
    static const mp_slice seen[] = { SL("\\Seen") };
    static const mp_slice fl2[] = { SL("\\Seen"), SL("$Forwarded") };
    mp_imap_writer w;
    size_t count = 0, lits = 0, nlit = 0;
    unsigned t = 0;
    char tag[16];
    rng = 0x7f4a7c15u;
    mp_imap_writer_init(&w, w_ob, 0);
    while (w_total + w_ob->len < target) {
        unsigned k = next_rand(), uid = 1000u + k % 90000u;
        mp_imap_seq_range set[3] = { { uid, uid + 50u }, { uid + 90u, uid + 90u }, { uid + 200u, 0 } };
        snprintf(tag, sizeof(tag), "A%u", ++t);
        switch (appends ? k % 8u : k % 7u) {
        case 0:
            WRITE(mp_imap_write_select(&w, tag, 0, MP_SLICE_LIT("INBOX"), 1, 0, 0, NULL, 0));
            break;
        case 1:
        case 2:
            WRITE(mp_imap_write_fetch(&w, tag, 1, set, 3, items, 7, 0, 0));
            break;
        case 3: {
            mp_imap_arg a[] = {
                { MP_IMAP_ARG_ATOM, MP_SLICE_LIT("RETURN"), 0, NULL, 0, NULL },
                { MP_IMAP_ARG_LIST_BEGIN, { NULL, 0 }, 0, NULL, 0, NULL },
                { MP_IMAP_ARG_ATOM, MP_SLICE_LIT("MIN"), 0, NULL, 0, NULL },
                { MP_IMAP_ARG_ATOM, MP_SLICE_LIT("COUNT"), 0, NULL, 0, NULL },
                { MP_IMAP_ARG_LIST_END, { NULL, 0 }, 0, NULL, 0, NULL },
                { MP_IMAP_ARG_ATOM, MP_SLICE_LIT("UNSEEN"), 0, NULL, 0, NULL },
                { MP_IMAP_ARG_ATOM, MP_SLICE_LIT("SINCE"), 0, NULL, 0, NULL },
                { MP_IMAP_ARG_DATE, { NULL, 0 }, 0, NULL, 0, &since },
                { MP_IMAP_ARG_ATOM, MP_SLICE_LIT("OR"), 0, NULL, 0, NULL },
                { MP_IMAP_ARG_ATOM, MP_SLICE_LIT("FROM"), 0, NULL, 0, NULL },
                { MP_IMAP_ARG_ASTRING, MP_SLICE_LIT("gray@cac.washington.edu"), 0, NULL, 0, NULL },
                { MP_IMAP_ARG_ATOM, MP_SLICE_LIT("SUBJECT"), 0, NULL, 0, NULL },
                { MP_IMAP_ARG_ASTRING, MP_SLICE_LIT("mtg summary"), 0, NULL, 0, NULL },
                { MP_IMAP_ARG_ATOM, MP_SLICE_LIT("UID"), 0, NULL, 0, NULL },
                { MP_IMAP_ARG_SEQSET, { NULL, 0 }, 0, set, 3, NULL },
            };
            WRITE(mp_imap_write_command(&w, tag, MP_IMAP_CMD_UID_SEARCH, a,
                                        sizeof(a) / sizeof(a[0])));
            break;
        }
        case 4:
            WRITE(mp_imap_write_store(&w, tag, 1, set, 3, '+', 1, fl2, 2, UINT64_MAX));
            break;
        case 5:
            if (k % 3u == 0)
                WRITE(mp_imap_write_copy(&w, tag, 1, 1, set, 2, MP_SLICE_LIT("Archive/2024")));
            else
                WRITE(mp_imap_write_fetch(&w, tag, 1, set, 1, body_item, 1, 0, 0));
            break;
        case 6:
            WRITE(mp_imap_write_command(&w, tag, MP_IMAP_CMD_NOOP, NULL, 0));
            break;
        default: {
            size_t len = lit_size(), off = 0, used;
            WRITE_(mp_imap_write_append_begin(&w, tag, MP_SLICE_LIT("Sent"), seen, 1, &idate,
                                               len, 0),
                   0);
            while (off < len) {
                mp_status st = mp_imap_write_append_data(&w, msgs + off, len - off, &used);
                if (st != MP_OK && st != MP_ERR_NO_SPACE)
                    wfail("append data", st);
                if (used < len - off)
                    w_drain(); /* the output is full: send it */
                off += used;
            }
            WRITE(mp_imap_write_append_end(&w));
            lits += len;
            nlit++;
            break;
        }
        }
        count++;
    }
    w_drain();
    if (nlits)
        *nlits = nlit;
    if (lit_bytes)
        *lit_bytes = lits;
    return count;
}

static void make_commands(corpus *c, size_t target, int appends)
{
    static char out[OUT_CAP];
    mp_outbuf ob;
    mp_outbuf_init(&ob, out, sizeof(out));
    w_ob = &ob;
    w_sink = c->p;
    w_sink_cap = c->cap;
    w_sink_len = w_total = 0;
    c->count = write_commands(target, appends, &c->lits, &c->lit_bytes);
    c->len = w_sink_len;
    w_sink = NULL;
}

/* ---- response parser (optionally into the writer) ------------------------------ */

typedef struct rhost {
    size_t ends, lit_bytes, errors;
    mp_imap_resp_writer *w; /* NULL: parse only */
    mp_outbuf *ob;
    size_t out_total;
} rhost;

static void r_drain(rhost *h)
{
    h->out_total += h->ob->len;
    mp_outbuf_consume(h->ob, h->ob->len);
}

static int r_event(void *user, const mp_imap_resp_event *ev)
{
    rhost *h = user;
    mp_status st;
    switch (ev->type) {
    case MP_IMAP_EV_END:
        h->ends++;
        break;
    case MP_IMAP_EV_LITERAL_CHUNK:
        h->lit_bytes += ev->str.len;
        break;
    case MP_IMAP_EV_ERROR:
        h->errors++;
        fprintf(stderr, "bench_imap: response error %s at %llu (%s)\n",
                mp_status_name(ev->err->code), (unsigned long long)ev->err->offset,
                ev->err->rule ? ev->err->rule : "");
        return MP_IMAP_CB_ABORT;
    default:
        break;
    }
    if (h->w == NULL)
        return MP_IMAP_CB_CONTINUE;
    if (ev->type == MP_IMAP_EV_LITERAL_CHUNK) {
        const char *p = ev->str.ptr;
        size_t n = ev->str.len, taken;
        while (n > 0) {
            st = mp_imap_resp_write_literal_data(h->w, p, n, &taken);
            if (st != MP_OK)
                wfail("literal data", st);
            p += taken;
            n -= taken;
            if (n > 0)
                r_drain(h);
        }
        return MP_IMAP_CB_CONTINUE;
    }
    while ((st = mp_imap_resp_write(h->w, ev)) == MP_ERR_NO_SPACE)
        r_drain(h);
    if (st != MP_OK)
        wfail("response write", st);
    if (mp_outbuf_room(h->ob) < 4096)
        r_drain(h);
    return MP_IMAP_CB_CONTINUE;
}

static const mp_imap_resp_callbacks r_cb = { r_event };

static size_t proxy_out; /* bytes the writer produced in the last proxy pass */

static void run_resp(const corpus *c, size_t piece, int proxy)
{
    static char buf[MP_IMAP_MAX_QUOTED];
    static char out[OUT_CAP];
    static mp_imap_resp_parser p;
    mp_imap_resp_writer w;
    mp_outbuf ob;
    rhost h;
    const char *in = c->p;
    size_t n = c->len;
    mp_status st;
    memset(&h, 0, sizeof(h));
    if (proxy) {
        mp_outbuf_init(&ob, out, sizeof(out));
        mp_imap_resp_writer_init(&w, &ob, 0, 0);
        mp_imap_resp_writer_per_element(&w);
        h.w = &w;
        h.ob = &ob;
    }
    if ((st = mp_imap_resp_init(&p, buf, sizeof(buf), NULL, &r_cb, &h)) != MP_OK)
        wfail("resp init", st);
    while (n > 0) {
        size_t k = piece_of(piece, n), used;
        st = mp_imap_resp_feed(&p, in, k, &used);
        in += used;
        n -= used;
        if (st != MP_NEED_MORE)
            wfail("resp feed", st);
    }
    if (h.ends != c->count || h.lit_bytes != c->lit_bytes || h.errors)
        wfail("resp result", MP_ERR_STATE);
    if (proxy) {
        r_drain(&h);
        proxy_out = sink = h.out_total;
    } else {
        sink = h.ends;
    }
}
static void pass_meta_whole(void) { run_resp(&resp_meta, 0, 0); }
static void pass_meta_64(void) { run_resp(&resp_meta, 64, 0); }
static void pass_meta_1(void) { run_resp(&resp_meta, 1, 0); }
static void pass_meta_proxy_whole(void) { run_resp(&resp_meta, 0, 1); }
static void pass_meta_proxy_64(void) { run_resp(&resp_meta, 64, 1); }
static void pass_meta_proxy_1(void) { run_resp(&resp_meta, 1, 1); }
static void pass_lit_whole(void) { run_resp(&resp_lit, 0, 0); }
static void pass_lit_64(void) { run_resp(&resp_lit, 64, 0); }
static void pass_lit_1(void) { run_resp(&resp_lit, 1, 0); }
static void pass_lit_proxy_whole(void) { run_resp(&resp_lit, 0, 1); }
static void pass_lit_proxy_64(void) { run_resp(&resp_lit, 64, 1); }
static void pass_lit_proxy_1(void) { run_resp(&resp_lit, 1, 1); }

/* ---- command parser ------------------------------------------------------------- */

typedef struct chost {
    size_t cmds, args, lit_bytes;
} chost;

static int c_command(void *user, mp_slice tag, mp_imap_cmd_id cmd)
{
    (void)user;
    (void)tag;
    (void)cmd;
    return 0;
}
static int c_arg(void *user, const mp_imap_cmd_arg *arg)
{
    chost *h = user;
    (void)arg;
    h->args++;
    return 0;
}
static int c_chunk(void *user, mp_slice data)
{
    chost *h = user;
    h->lit_bytes += data.len;
    return 0;
}
static int c_lit_end(void *user)
{
    (void)user;
    return 0;
}
static int c_end(void *user)
{
    chost *h = user;
    h->cmds++;
    return 0;
}
static int c_bad(void *user, mp_slice tag, mp_imap_cmd_id cmd, const mp_error *err)
{
    (void)user;
    fprintf(stderr, "bench_imap: bad command %.*s %s: %s at %llu (%s)\n", (int)tag.len, tag.ptr,
            mp_imap_cmd_name(cmd) ? mp_imap_cmd_name(cmd) : "?", mp_status_name(err->code),
            (unsigned long long)err->offset, err->rule ? err->rule : "");
    return 2; /* abort */
}

static const mp_imap_cmd_callbacks c_cb = { c_command, c_arg, c_chunk, c_lit_end, c_end,
                                            c_bad,     NULL,  NULL };

static void run_cmd(const corpus *c, size_t piece)
{
    static char buf[MP_IMAP_CMD_PARSER_BUF];
    static mp_imap_cmd_parser p;
    chost h;
    const char *in = c->p;
    size_t n = c->len;
    mp_status st;
    memset(&h, 0, sizeof(h));
    if ((st = mp_imap_cmd_parser_init(&p, buf, sizeof(buf), NULL, &c_cb, &h)) != MP_OK)
        wfail("cmd init", st);
    while (n > 0) {
        size_t k = piece_of(piece, n), used;
        st = mp_imap_cmd_parser_feed(&p, in, k, &used);
        in += used;
        n -= used;
        if (st == MP_PAUSED) {
            /* a sync literal: the server sends "+" and accepts it */
            if (mp_imap_cmd_parser_literal_wait(&p) < 0 ||
                mp_imap_cmd_parser_accept_literal(&p) != MP_OK)
                wfail("cmd pause", st);
        } else if (st != MP_NEED_MORE) {
            wfail("cmd feed", st);
        }
    }
    if (h.cmds != c->count || h.lit_bytes != c->lit_bytes)
        wfail("cmd result", MP_ERR_STATE);
    sink = h.args;
}
static void pass_cmd_whole(void) { run_cmd(&cmd_plain, 0); }
static void pass_cmd_64(void) { run_cmd(&cmd_plain, 64); }
static void pass_cmd_1(void) { run_cmd(&cmd_plain, 1); }
static void pass_append_whole(void) { run_cmd(&cmd_append, 0); }
static void pass_append_64(void) { run_cmd(&cmd_append, 64); }
static void pass_append_1(void) { run_cmd(&cmd_append, 1); }

/* ---- command writer ---------------------------------------------------------------- */

static void run_cmd_write(const corpus *c, size_t target, int appends)
{
    static char out[OUT_CAP];
    mp_outbuf ob;
    mp_outbuf_init(&ob, out, sizeof(out));
    w_ob = &ob;
    w_sink = NULL;
    w_total = 0;
    if (write_commands(target, appends, NULL, NULL) != c->count || w_total != c->len)
        wfail("command writer", MP_ERR_STATE);
    sink = w_total;
}
static void pass_write_plain(void) { run_cmd_write(&cmd_plain, CMD_TOTAL / 2u, 0); }
static void pass_write_append(void) { run_cmd_write(&cmd_append, CMD_TOTAL, 1); }

/* ---- driver -------------------------------------------------------------------------- */

#define measure(name, fn, slow, cp, once) \
    bench_measure(name, #fn, fn, slow, (cp)->p, (cp)->len, NULL, 0, once, 1)

int main(int argc, char **argv)
{
    int once = argc > 1 && strcmp(argv[1], "--once") == 0;
    if (argc > 1 && !once && (runs = atoi(argv[1])) < 1)
        runs = 20;
    rng = 0x1234567u;
    make_msgs();
    make_responses(&resp_meta, RESP_TOTAL / 2u, 0);
    make_responses(&resp_lit, RESP_TOTAL, 1);
    make_commands(&cmd_plain, CMD_TOTAL / 2u, 0);
    make_commands(&cmd_append, CMD_TOTAL, 1);
    printf("corpus: FETCH metadata responses %zu bytes (%zu responses); FETCH with BODY[] "
           "%zu bytes (%zu responses, %zu literals of 1 KiB..1 MiB, %zu literal bytes); "
           "commands %zu bytes (%zu commands); commands with APPEND %zu bytes (%zu commands, "
           "%zu APPEND literals, %zu literal bytes)\n",
           resp_meta.len, resp_meta.count, resp_lit.len, resp_lit.count, resp_lit.lits,
           resp_lit.lit_bytes, cmd_plain.len, cmd_plain.count, cmd_append.len, cmd_append.count,
           cmd_append.lits, cmd_append.lit_bytes);
    if (!once)
        printf("best of %d runs (%d for 1-byte feeding); MB/s of input (the command writer: "
               "of output); memchr('\\n') over the same bytes is the ceiling\n",
               runs, runs / 4 > 3 ? runs / 4 : 3);
    measure("resp meta, whole", pass_meta_whole, 0, &resp_meta, once);
    measure("resp meta, 64-byte", pass_meta_64, 0, &resp_meta, once);
    measure("resp meta, 1-byte", pass_meta_1, 1, &resp_meta, once);
    measure("resp meta+writer, whole", pass_meta_proxy_whole, 0, &resp_meta, once);
    measure("resp meta+writer, 64-byte", pass_meta_proxy_64, 0, &resp_meta, once);
    measure("resp meta+writer, 1-byte", pass_meta_proxy_1, 1, &resp_meta, once);
    printf("  (writer output for the metadata stream: %zu bytes, input %zu)\n", proxy_out,
           resp_meta.len);
    measure("resp BODY[], whole", pass_lit_whole, 0, &resp_lit, once);
    measure("resp BODY[], 64-byte", pass_lit_64, 0, &resp_lit, once);
    measure("resp BODY[], 1-byte", pass_lit_1, 1, &resp_lit, once);
    measure("resp BODY[]+writer, whole", pass_lit_proxy_whole, 0, &resp_lit, once);
    measure("resp BODY[]+writer, 64-byte", pass_lit_proxy_64, 0, &resp_lit, once);
    measure("resp BODY[]+writer, 1-byte", pass_lit_proxy_1, 1, &resp_lit, once);
    printf("  (writer output for the BODY[] stream: %zu bytes, input %zu)\n", proxy_out,
           resp_lit.len);
    measure("cmd parser, whole", pass_cmd_whole, 0, &cmd_plain, once);
    measure("cmd parser, 64-byte", pass_cmd_64, 0, &cmd_plain, once);
    measure("cmd parser, 1-byte", pass_cmd_1, 1, &cmd_plain, once);
    measure("cmd+APPEND parser, whole", pass_append_whole, 0, &cmd_append, once);
    measure("cmd+APPEND parser, 64-byte", pass_append_64, 0, &cmd_append, once);
    measure("cmd+APPEND parser, 1-byte", pass_append_1, 1, &cmd_append, once);
    measure("cmd writer (output)", pass_write_plain, 0, &cmd_plain, once);
    measure("cmd+APPEND writer (output)", pass_write_append, 0, &cmd_append, once);
    if (once)
        printf("instructions/byte = callgrind Ir (inclusive) of each pass_ function / its "
               "input bytes (bench/callgrind-ipb does the division)\n");
    SIZEOF(mp_imap_resp_parser);
    SIZEOF(mp_imap_resp_writer);
    SIZEOF(mp_imap_cmd_parser);
    SIZEOF(mp_imap_writer);
    SIZEOF(mp_imap_lex);
    SIZEOF(mp_imap_client);
    SIZEOF(mp_imap_server);
    printf("values and configs the host also holds:\n");
    SIZEOF(mp_imap_resp_event);
    SIZEOF(mp_imap_cmd_arg);
    SIZEOF(mp_imap_token);
    SIZEOF(mp_imap_resp_config);
    SIZEOF(mp_imap_cmd_config);
    SIZEOF(mp_imap_client_event);
    SIZEOF(mp_imap_client_config);
    SIZEOF(mp_imap_server_config);
    SIZEOF(mp_imap_server_req);
    printf("host buffers: resp parser %u suggested (MP_IMAP_MAX_QUOTED), cmd parser %u "
           "(MP_IMAP_CMD_PARSER_BUF)\n",
           (unsigned)MP_IMAP_MAX_QUOTED, (unsigned)MP_IMAP_CMD_PARSER_BUF);
    printf("server session buffers: output >= %u (MP_IMAP_SERVER_MIN_OUT), buf %u "
           "(MP_IMAP_SERVER_BUF: parser and SASL scratch), mp_sasl_server %u with logins\n",
           (unsigned)MP_IMAP_SERVER_MIN_OUT, (unsigned)MP_IMAP_SERVER_BUF,
           (unsigned)sizeof(mp_sasl_server));
    printf("client session buffers: output >= %u (MP_IMAP_CLIENT_MIN_OUT), parser %u "
           "suggested, SASL %u (MP_IMAP_CLIENT_AUTH_BUF, with AUTHENTICATE), UID map 4 bytes "
           "per message (optional)\n",
           (unsigned)MP_IMAP_CLIENT_MIN_OUT, (unsigned)MP_IMAP_MAX_QUOTED,
           (unsigned)MP_IMAP_CLIENT_AUTH_BUF);
    return 0;
}
