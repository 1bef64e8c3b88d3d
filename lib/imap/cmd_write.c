/* IMAP command writer (client side): RFC 3501 / RFC 9051 §6, with the
 * string representations of §4.3 chosen per value.
 *
 * A command is rendered from its arguments in one pass.  Synchronizing
 * literals split it into segments: the writer queues one segment (ending
 * in "{n}\r\n"), returns MP_PAUSED, and on the next call with the same
 * arguments renders again, skipping the segments already queued.  So no
 * argument pointer is kept between calls and every segment is whole or
 * nothing in the output buffer. */
#include <stdint.h>
#include <string.h>

#include "mailproto/imap_command.h"
#include "cmd_chars.h"

enum w_state {
    W_IDLE = 0,
    W_WAIT_CONT,   /* a segment ended in a sync literal; waiting for "+" */
    W_READY,       /* "+" came: the next call writes the next segment */
    W_IDLING,      /* IDLE sent; only DONE may follow */
    W_APPEND_WAIT, /* APPEND message literal announced (sync), no "+" yet */
    W_APPEND_DATA  /* APPEND message bytes being streamed */
};

static const char *const cmd_names[MP_IMAP_CMD_COUNT_] = {
    NULL,
#define NAME_(id, name) name,
    MP_IMAP_CMD_TABLE(NAME_)
#undef NAME_
};

const char *mp_imap_cmd_name(mp_imap_cmd_id id)
{
    if ((unsigned)id == 0 || (unsigned)id >= (unsigned)MP_IMAP_CMD_COUNT_)
        return NULL;
    return cmd_names[id];
}

void mp_imap_writer_init(mp_imap_writer *w, mp_outbuf *out, unsigned flags)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
    w->flags = flags;
}

mp_status mp_imap_writer_continue(mp_imap_writer *w)
{
    if (w->state == W_WAIT_CONT)
        w->state = W_READY;
    else if (w->state == W_APPEND_WAIT)
        w->state = W_APPEND_DATA;
    else
        return MP_ERR_STATE;
    return MP_OK;
}

void mp_imap_writer_cancel(mp_imap_writer *w)
{
    w->state = W_IDLE;
    w->seg_done = 0;
    w->cmd = 0;
    w->lit_left = 0;
    w->lit_close = 0;
    w->cat = 0;
}

/* ---- rendering context ------------------------------------------------ */

typedef struct wr {
    mp_imap_writer *w;
    mp_outbuf *ob;
    size_t mark;
    mp_status err;     /* first invalid argument */
    uint16_t seg;      /* segment being rendered */
    uint8_t stopped;   /* the active segment ended at a sync literal */
    uint8_t open;      /* just after "(" or the start: no SP before the next arg */
    uint8_t depth;     /* open LIST_BEGINs */
} wr;

/* Bytes go out only for the first segment not yet queued. */
static int wr_active(const wr *r) { return !r->stopped && r->seg >= r->w->seg_done; }

static void wr_put(wr *r, const void *p, size_t n)
{
    if (wr_active(r))
        mp_outbuf_put(r->ob, p, n);
}

static void wr_puts(wr *r, const char *s) { wr_put(r, s, strlen(s)); }

static void wr_u64(wr *r, uint64_t v)
{
    if (wr_active(r))
        mp_outbuf_put_u64(r->ob, v);
}

static void wr_fail(wr *r, mp_status st)
{
    if (r->err == MP_OK)
        r->err = st;
}

/* Count `n` bytes the element needs without writing them (what
 * mp_outbuf_put does on overflow), so the commit reports the real need. */
static void ob_overflow(mp_outbuf *ob, size_t n)
{
    ob->want = (n > SIZE_MAX - ob->want) ? SIZE_MAX : ob->want + n;
}

/* Room to write `n` bytes in place, or 0 after recording the overflow. */
static char *wr_reserve(wr *r, size_t n)
{
    mp_outbuf *ob = r->ob;
    if (ob->want == ob->len && n <= ob->cap - ob->len)
        return ob->buf + ob->len;
    ob_overflow(ob, n);
    return NULL;
}

static void wr_advance(wr *r, size_t n)
{
    r->ob->len += n;
    r->ob->want = r->ob->len;
}

/* A segment boundary: the literal data that follows needs "+" first. */
static void wr_sync_point(wr *r)
{
    if (r->stopped)
        return;
    if (wr_active(r))
        r->stopped = 1;
    else
        r->seg++;
}

/* ---- value checks ------------------------------------------------------- */

typedef struct scan {
    size_t nesc;      /* '"' and '\\' to escape in a quoted string */
    uint8_t nul, crlf, high, all;  /* all: every byte has the asked class */
} scan;

static void scan_bytes(const char *p, size_t n, unsigned cls, scan *s)
{
    memset(s, 0, sizeof(*s));
    s->all = n > 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == 0)
            s->nul = 1;
        else if (c == '\r' || c == '\n')
            s->crlf = 1;
        else if (c >= 0x80)
            s->high = 1;
        else if (c == '"' || c == '\\')
            s->nesc++;
        if (!(mp_imap_cc(c) & cls))
            s->all = 0;
    }
}

static int utf8_mode(const wr *r)
{
    return (r->w->flags & (MP_IMAP_W_REV2 | MP_IMAP_W_UTF8_ACCEPT)) != 0;
}

/* ---- string representations (RFC 9051 §4.3) ------------------------------ */

static void put_quoted(wr *r, const char *p, size_t n)
{
    size_t i, start = 0;
    wr_put(r, "\"", 1);
    for (i = 0; i < n; i++) {
        if (p[i] == '"' || p[i] == '\\') {
            wr_put(r, p + start, i - start);
            wr_put(r, "\\", 1);
            start = i;
        }
    }
    wr_put(r, p + start, n - start);
    wr_put(r, "\"", 1);
}

/* literal / literal8, non-synchronizing when LITERAL+ or LITERAL- allow. */
static int literal_nonsync(const wr *r, uint64_t n)
{
    unsigned f = r->w->flags;
    return (f & MP_IMAP_W_LITERAL_PLUS) ||
           ((f & MP_IMAP_W_LITERAL_MINUS) && n <= MP_IMAP_MAX_NONSYNC_LITERAL);
}

static void put_literal_header(wr *r, uint64_t n, int binary)
{
    int nonsync = literal_nonsync(r, n);
    wr_puts(r, binary ? "~{" : "{");
    wr_u64(r, n);
    wr_puts(r, nonsync ? "+}\r\n" : "}\r\n");
    if (!nonsync)
        wr_sync_point(r);
}

enum { S_ASTRING, S_STRING, S_BINARY };

/* Quoted strings stay short so a server's line limit never bites;
 * anything longer goes as a literal. */
#define QUOTED_MAX MP_IMAP_MAX_ATOM

static void put_string(wr *r, mp_slice s, int mode)
{
    scan sc;
    if (s.ptr == NULL && s.len != 0) {
        wr_fail(r, MP_ERR_ARG);
        return;
    }
    scan_bytes(s.ptr, s.len, MP_IMAP_CC_ASTR, &sc);
    if (sc.nul) {
        if (mode == S_BINARY && (r->w->flags & MP_IMAP_W_BINARY)) {
            put_literal_header(r, s.len, 1);
            wr_put(r, s.ptr, s.len);
        } else {
            wr_fail(r, MP_ERR_NUL);
        }
        return;
    }
    /* An atom longer than the reader's atom limit would be refused:
     * quote it instead (found by fuzz_imap_cmd_write). */
    if (mode == S_ASTRING && sc.all && s.len <= MP_IMAP_MAX_ATOM) {
        wr_put(r, s.ptr, s.len);
        return;
    }
    if (!sc.crlf && s.len <= QUOTED_MAX &&
        (!sc.high || (utf8_mode(r) && mp_utf8_valid(s.ptr, s.len, NULL)))) {
        put_quoted(r, s.ptr, s.len);
        return;
    }
    put_literal_header(r, s.len, 0);
    wr_put(r, s.ptr, s.len);
}

/* Mailbox names and LIST patterns: atom or quoted, never a literal, so a
 * name never needs a "+" round trip.  Rev1 without UTF8=ACCEPT sends
 * modified UTF-7 (RFC 3501 §5.1.3), even for ASCII names ('&' is "&-"). */
static void put_mailbox(wr *r, mp_slice s, int list)
{
    unsigned cls = list ? MP_IMAP_CC_LIST : MP_IMAP_CC_ASTR;
    scan sc;
    size_t enc, total;
    char *dst;
    if (s.ptr == NULL && s.len != 0) {
        wr_fail(r, MP_ERR_ARG);
        return;
    }
    scan_bytes(s.ptr, s.len, cls, &sc);
    if (sc.nul) {
        wr_fail(r, MP_ERR_NUL);
        return;
    }
    /* No control characters in names (RFC 9051 §5.1, RFC 5198). */
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c < 0x20 || c == 0x7f) {
            wr_fail(r, MP_ERR_BAD_VALUE);
            return;
        }
    }
    if (sc.high && !mp_utf8_valid(s.ptr, s.len, NULL)) {
        wr_fail(r, MP_ERR_UTF8);
        return;
    }
    if (utf8_mode(r) || s.len == 0) {
        if (s.len > MP_IMAP_MAX_QUOTED)
            wr_fail(r, MP_ERR_TOKEN_TOO_LONG);
        else if (sc.all && s.len <= MP_IMAP_MAX_ATOM)
            wr_put(r, s.ptr, s.len);
        else
            put_quoted(r, s.ptr, s.len);
        return;
    }
    /* mUTF-7: the encoder only adds [A-Za-z0-9+,&-], all atom chars, so
     * whether quotes and escapes are needed follows from the ASCII input. */
    if (mp_mutf7_encode(s.ptr, s.len, NULL, 0, &enc) == MP_ERR_UTF8) {
        wr_fail(r, MP_ERR_UTF8);
        return;
    }
    /* 8-bit bytes are not atom chars but become atom chars once encoded. */
    {
        int needq = 0;
        for (size_t i = 0; i < s.len; i++) {
            unsigned char c = (unsigned char)s.ptr[i];
            if (c < 0x80 && !(mp_imap_cc(c) & cls))
                needq = 1;
        }
        if (enc > MP_IMAP_MAX_ATOM)
            needq = 1; /* too long for an atom, see put_string */
        total = needq ? enc + 2 + sc.nesc : enc;
        if (enc > MP_IMAP_MAX_QUOTED) {
            wr_fail(r, MP_ERR_TOKEN_TOO_LONG);
            return;
        }
        if (!wr_active(r) || r->err != MP_OK)
            return;
        dst = wr_reserve(r, total);
        if (dst == NULL)
            return;
        if (mp_mutf7_encode(s.ptr, s.len, dst + (needq ? 1 : 0), enc, &enc) != MP_OK) {
            wr_fail(r, MP_ERR_UTF8);
            return;
        }
        if (needq) {
            /* Escape in place from the right: the destination never
             * overtakes the source. */
            size_t from = enc, to = total - 1;
            dst[to] = '"';
            while (from > 0) {
                char c = dst[from]; /* dst[1 + from - 1] */
                dst[--to] = c;
                if (c == '"' || c == '\\')
                    dst[--to] = '\\';
                from--;
            }
            dst[0] = '"';
        }
        wr_advance(r, total);
    }
}

/* A keyword or fetch item sent verbatim: printable ASCII without '{';
 * spaces, '(' and quoted strings only inside "[...]", which then must
 * balance ("BODY[HEADER.FIELDS (A "B c")]<0.5>"). */
static int atom_ok(mp_slice s)
{
    size_t depth = 0;
    int inq = 0, esc = 0, inner = 0;
    if (s.ptr == NULL || s.len == 0)
        return 0;
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c < 0x20 || c >= 0x7f)
            return 0;
        if (inq) {
            if (esc)
                esc = 0;
            else if (c == '\\')
                esc = 1;
            else if (c == '"')
                inq = 0;
            continue;
        }
        switch (c) {
        case '{':
            return 0;
        case ' ': case '"': case '(': case ')': case '\\':
            if (depth == 0)
                return 0;
            inner = 1;
            if (c == '"')
                inq = 1;
            else if (c == '(')
                depth++;
            else if (c == ')')
                depth--;
            break;
        case '[':
            depth++;
            break;
        case ']':
            if (depth > 0)
                depth--;
            break;
        default:
            break;
        }
    }
    return !inq && (!inner || depth == 0);
}

/* flag = "\" atom / keyword (RFC 9051 §9 flag, flag-keyword). */
static int flag_ok(mp_slice s)
{
    size_t i = 0;
    if (s.ptr == NULL || s.len == 0)
        return 0;
    if (s.ptr[0] == '\\')
        i = 1;
    if (i == s.len)
        return 0;
    for (; i < s.len; i++)
        if (!(mp_imap_cc((unsigned char)s.ptr[i]) & MP_IMAP_CC_ATOM))
            return 0;
    return 1;
}

static int datetime_ok(const mp_imap_datetime *dt, int with_time)
{
    if (dt == NULL || dt->month < 1 || dt->month > 12 || dt->day < 1 || dt->day > 31 ||
        dt->year > 9999)
        return 0;
    if (!with_time)
        return 1;
    /* zone = ("+" / "-") 4DIGIT: at most 99 hours 59 minutes. */
    return dt->hour < 24 && dt->min < 60 && dt->sec < 61 && dt->zone <= 5999 &&
           dt->zone >= -5999;
}

static void put_2digit(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10u);
    p[1] = (char)('0' + v % 10u);
}

/* date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time
 * SP zone DQUOTE; the day is written as two digits. */
static void put_datetime(wr *r, const mp_imap_datetime *dt, int with_time)
{
    char b[32];
    size_t n = 0;
    unsigned z;
    if (!datetime_ok(dt, with_time)) {
        wr_fail(r, MP_ERR_BAD_VALUE);
        return;
    }
    if (with_time) {
        b[n++] = '"';
        put_2digit(b + n, dt->day);
        n += 2;
    } else if (dt->day >= 10) {
        put_2digit(b + n, dt->day);
        n += 2;
    } else {
        b[n++] = (char)('0' + dt->day);
    }
    b[n++] = '-';
    memcpy(b + n, mp_imap_months[dt->month - 1], 3);
    n += 3;
    b[n++] = '-';
    put_2digit(b + n, dt->year / 100u);
    put_2digit(b + n + 2, dt->year % 100u);
    n += 4;
    if (with_time) {
        b[n++] = ' ';
        put_2digit(b + n, dt->hour);
        b[n + 2] = ':';
        put_2digit(b + n + 3, dt->min);
        b[n + 5] = ':';
        put_2digit(b + n + 6, dt->sec);
        n += 8;
        b[n++] = ' ';
        b[n++] = dt->zone < 0 ? '-' : '+';
        z = (unsigned)(dt->zone < 0 ? -dt->zone : dt->zone);
        put_2digit(b + n, z / 60u);
        put_2digit(b + n + 2, z % 60u);
        n += 4;
        b[n++] = '"';
    }
    wr_put(r, b, n);
}

static void put_seqset(wr *r, const mp_imap_seq_range *set, size_t n)
{
    if (set == NULL || n == 0) {
        wr_fail(r, MP_ERR_BAD_VALUE);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (i)
            wr_put(r, ",", 1);
        if (set[i].lo == MP_IMAP_SEQ_STAR)
            wr_put(r, "*", 1);
        else
            wr_u64(r, set[i].lo);
        if (set[i].hi != set[i].lo) {
            wr_put(r, ":", 1);
            if (set[i].hi == MP_IMAP_SEQ_STAR)
                wr_put(r, "*", 1);
            else
                wr_u64(r, set[i].hi);
        }
    }
}

static void put_base64(wr *r, const void *data, size_t n)
{
    size_t need = MP_BASE64_ENCODED_LEN(n), got;
    char *dst;
    if (n == 0) {
        wr_put(r, "=", 1);
        return;
    }
    if (!wr_active(r) || r->err != MP_OK)
        return;
    dst = wr_reserve(r, need);
    if (dst == NULL)
        return;
    (void)mp_base64_encode(data, n, dst, need, &got);
    wr_advance(r, got);
}

/* ---- arguments ------------------------------------------------------- */

static void wr_arg(wr *r, const mp_imap_arg *a)
{
    if (a->kind == MP_IMAP_ARG_LIST_END) {
        if (r->depth == 0) {
            wr_fail(r, MP_ERR_ARG);
            return;
        }
        r->depth--;
        wr_put(r, ")", 1);
        r->open = 0;
        return;
    }
    if (!r->open)
        wr_put(r, " ", 1);
    r->open = 0;
    switch (a->kind) {
    case MP_IMAP_ARG_ATOM:
        if (!atom_ok(a->s))
            wr_fail(r, MP_ERR_BAD_VALUE);
        else
            wr_put(r, a->s.ptr, a->s.len);
        break;
    case MP_IMAP_ARG_ASTRING:
        put_string(r, a->s, S_ASTRING);
        break;
    case MP_IMAP_ARG_STRING:
        put_string(r, a->s, S_STRING);
        break;
    case MP_IMAP_ARG_NSTRING:
        if (a->s.ptr == NULL)
            wr_put(r, "NIL", 3);
        else
            put_string(r, a->s, S_STRING);
        break;
    case MP_IMAP_ARG_BINARY_STRING:
        put_string(r, a->s, S_BINARY);
        break;
    case MP_IMAP_ARG_MAILBOX:
        put_mailbox(r, a->s, 0);
        break;
    case MP_IMAP_ARG_LIST_MAILBOX:
        put_mailbox(r, a->s, 1);
        break;
    case MP_IMAP_ARG_NUMBER:
        if (a->num > (uint64_t)INT64_MAX)
            wr_fail(r, MP_ERR_BAD_VALUE);
        wr_u64(r, a->num);
        break;
    case MP_IMAP_ARG_SEQSET:
        put_seqset(r, a->ranges, a->nranges);
        break;
    case MP_IMAP_ARG_FLAG:
        if (!flag_ok(a->s))
            wr_fail(r, MP_ERR_BAD_VALUE);
        else
            wr_put(r, a->s.ptr, a->s.len);
        break;
    case MP_IMAP_ARG_DATETIME:
        put_datetime(r, a->dt, 1);
        break;
    case MP_IMAP_ARG_DATE:
        put_datetime(r, a->dt, 0);
        break;
    case MP_IMAP_ARG_LIST_BEGIN:
        if (r->depth >= MP_IMAP_MAX_DEPTH) {
            wr_fail(r, MP_ERR_ARG);
            return;
        }
        r->depth++;
        wr_put(r, "(", 1);
        r->open = 1;
        break;
    case MP_IMAP_ARG_NIL:
        wr_put(r, "NIL", 3);
        break;
    case MP_IMAP_ARG_SEQ_LAST:
        wr_put(r, "$", 1);
        break;
    default:
        wr_fail(r, MP_ERR_ARG);
        break;
    }
}

static int tag_ok(const char *tag)
{
    size_t n;
    if (tag == NULL)
        return 0;
    n = strlen(tag);
    if (n == 0 || n > MP_IMAP_MAX_TAG)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!(mp_imap_cc((unsigned char)tag[i]) & MP_IMAP_CC_TAG))
            return 0;
    return 1;
}

/* Start (or resume) a command: state and tag checks, then "tag NAME". */
static mp_status wr_begin(wr *r, mp_imap_writer *w, const char *tag, mp_imap_cmd_id cmd)
{
    memset(r, 0, sizeof(*r));
    r->w = w;
    r->ob = w->out;
    if (w->state == W_READY) {
        if (w->cmd != (uint8_t)cmd)
            return MP_ERR_STATE;
    } else if (w->state != W_IDLE) {
        return MP_ERR_STATE;
    } else {
        w->seg_done = 0;
    }
    if (mp_imap_cmd_name(cmd) == NULL || !tag_ok(tag))
        return MP_ERR_ARG;
    if (cmd == MP_IMAP_CMD_CHECK && (w->flags & MP_IMAP_W_REV2))
        return MP_ERR_IMAP_CMD_REV1_ONLY; /* RFC 9051 Appendix E */
    r->mark = mp_outbuf_mark(r->ob);
    wr_puts(r, tag);
    wr_put(r, " ", 1);
    wr_puts(r, mp_imap_cmd_name(cmd));
    return MP_OK;
}

/* Finish: CRLF (unless `crlf` is 0), then commit the active segment. */
static mp_status wr_end(wr *r, mp_imap_cmd_id cmd, int crlf)
{
    mp_imap_writer *w = r->w;
    mp_status st;
    if (r->err == MP_OK && r->depth != 0)
        r->err = MP_ERR_ARG;
    if (r->err != MP_OK) {
        mp_outbuf_rollback(r->ob, r->mark);
        return r->err;
    }
    if (crlf)
        wr_put(r, "\r\n", 2);
    st = mp_outbuf_commit(r->ob, r->mark);
    if (st != MP_OK)
        return st;
    if (r->stopped) {
        w->seg_done = (uint16_t)(r->seg + 1);
        w->cmd = (uint8_t)cmd;
        w->state = W_WAIT_CONT;
        return MP_PAUSED;
    }
    w->seg_done = 0;
    w->cmd = 0;
    w->state = cmd == MP_IMAP_CMD_IDLE ? W_IDLING : W_IDLE;
    return MP_OK;
}

/* ---- search programs (RFC 9051 §6.4.4, §9 search-key) -------------------- */

/* A string argument of a key ("FROM x", "HEADER name value"). */
static int arg_is_string(const mp_imap_arg *a)
{
    return a->kind == MP_IMAP_ARG_ASTRING || a->kind == MP_IMAP_ARG_STRING ||
           a->kind == MP_IMAP_ARG_BINARY_STRING || a->kind == MP_IMAP_ARG_ATOM ||
           (a->kind == MP_IMAP_ARG_NSTRING && a->s.ptr != NULL);
}

/* An atom that stands for a sequence set ("1:5", "*", "$"), as the parser
 * reads it. */
static int atom_is_seqset(const mp_imap_arg *a)
{
    return a->kind == MP_IMAP_ARG_ATOM && a->s.len > 0 && a->s.ptr != NULL &&
           ((a->s.ptr[0] >= '0' && a->s.ptr[0] <= '9') || a->s.ptr[0] == '*' ||
            a->s.ptr[0] == '$');
}

static int arg_is_number(const mp_imap_arg *a)
{
    return a->kind == MP_IMAP_ARG_NUMBER || atom_is_seqset(a);
}

/* How many arguments key `k` takes at a[0..n) (its table entry), or -1
 * when they are missing or of the wrong kind. */
static int key_args(const mp_imap_search_key *k, const mp_imap_arg *a, size_t n)
{
    switch (k->arg) {
    case MP_IMAP_KA_NONE:
        return 0;
    case MP_IMAP_KA_ASTRING:
        return n >= 1 && arg_is_string(&a[0]) ? 1 : -1;
    case MP_IMAP_KA_HEADER:
        return n >= 2 && arg_is_string(&a[0]) && arg_is_string(&a[1]) ? 2 : -1;
    case MP_IMAP_KA_DATE:
        return n >= 1 && (a[0].kind == MP_IMAP_ARG_DATE || a[0].kind == MP_IMAP_ARG_ATOM) ? 1
                                                                                         : -1;
    case MP_IMAP_KA_NUMBER:
        return n >= 1 && arg_is_number(&a[0]) ? 1 : -1;
    case MP_IMAP_KA_KEYWORD:
        return n >= 1 && (a[0].kind == MP_IMAP_ARG_ATOM || a[0].kind == MP_IMAP_ARG_FLAG) ? 1
                                                                                         : -1;
    case MP_IMAP_KA_SEQ:
        return n >= 1 && (a[0].kind == MP_IMAP_ARG_SEQSET || a[0].kind == MP_IMAP_ARG_SEQ_LAST ||
                          atom_is_seqset(&a[0]))
                   ? 1
                   : -1;
    case MP_IMAP_KA_MODSEQ:
        /* MODSEQ [entry-name entry-type-req] mod-sequence-valzer (RFC 7162) */
        if (n >= 1 && arg_is_number(&a[0]))
            return 1;
        return n >= 3 && arg_is_string(&a[0]) && a[1].kind == MP_IMAP_ARG_ATOM &&
                       arg_is_number(&a[2])
                   ? 3
                   : -1;
    default:
        return -1;
    }
}

/* Arguments of an extension key the table does not know ("X-GM-RAW
 * text"): the values up to the next key. */
static size_t unknown_key_args(const mp_imap_arg *a, size_t n)
{
    size_t i = 0;
    while (i < n && a[i].kind != MP_IMAP_ARG_ATOM && a[i].kind != MP_IMAP_ARG_LIST_BEGIN &&
           a[i].kind != MP_IMAP_ARG_LIST_END && a[i].kind != MP_IMAP_ARG_SEQSET &&
           a[i].kind != MP_IMAP_ARG_SEQ_LAST)
        i++;
    return i;
}

/* Step *i over the value or the balanced list at a[*i]; 0 when the list
 * does not end within a[0..n). */
static int skip_value(const mp_imap_arg *a, size_t n, size_t *i)
{
    size_t d = 0, k = *i;
    do {
        if (a[k].kind == MP_IMAP_ARG_LIST_BEGIN)
            d++;
        else if (a[k].kind == MP_IMAP_ARG_LIST_END && d > 0)
            d--;
        k++;
    } while (k < n && d > 0);
    *i = k;
    return d == 0;
}

/* The keys of one level: a[i..) up to the LIST_END closing the group (or
 * n at the top).  A nested group counts as one key here and is checked on
 * its own, so no stack is needed: in prefix form, `need` counts the keys
 * that pending NOT (one) and OR (two) still owe.  The level is good when
 * none is owed and it holds at least one key (RFC 9051 §9: search-key =
 * ... / "NOT" SP search-key / "OR" SP search-key SP search-key /
 * "(" search-key *(SP search-key) ")"). */
static int search_level_ok(const mp_imap_arg *a, size_t i, size_t n, int top, int *rev1)
{
    size_t need = 0, keys = 0;
    while (i < n) {
        const mp_imap_arg *x = &a[i];
        size_t owes = 0;
        if (x->kind == MP_IMAP_ARG_LIST_END) {
            if (top)
                return 0;
            break;
        }
        if (x->kind == MP_IMAP_ARG_LIST_BEGIN) {
            if (!skip_value(a, n, &i))
                return 0;
        } else if (x->kind == MP_IMAP_ARG_SEQSET || x->kind == MP_IMAP_ARG_SEQ_LAST ||
                   atom_is_seqset(x)) {
            i++;
        } else if (x->kind == MP_IMAP_ARG_ATOM) {
            const mp_imap_search_key *k = mp_imap_search_key_find(x->s.ptr, x->s.len);
            int na;
            if (k != NULL && k->rev1)
                *rev1 = 1;
            if (k != NULL && (k->arg == MP_IMAP_KA_NOT || k->arg == MP_IMAP_KA_OR)) {
                owes = k->arg == MP_IMAP_KA_NOT ? 1 : 2;
                i++;
            } else if (k != NULL) {
                na = key_args(k, a + i + 1, n - i - 1);
                if (na < 0)
                    return 0;
                i += 1 + (size_t)na;
            } else {
                i += 1 + unknown_key_args(a + i + 1, n - i - 1);
            }
        } else {
            return 0; /* a value where a key stands */
        }
        if (need > 0)
            need--;
        else
            keys++;
        need += owes;
    }
    return need == 0 && keys > 0;
}

/* ESORT (RFC 5267 §3.2): SORT [RETURN (options)] (criteria) ...: the
 * index of the criteria list (n when RETURN has no list after it). */
static size_t sort_criteria_at(const mp_imap_arg *a, size_t n)
{
    size_t i = 0;
    if (n > 0 && a[0].kind == MP_IMAP_ARG_ATOM && a[0].s.len == 6 &&
        mp_slice_eq_ci(a[0].s, "RETURN", 6)) {
        if (n < 2 || a[1].kind != MP_IMAP_ARG_LIST_BEGIN)
            return n;
        i = 1;
        skip_value(a, n, &i);
    }
    return i;
}

/* SEARCH [RETURN (...)] [CHARSET x] keys, SORT (criteria) charset keys,
 * THREAD algorithm charset keys: the key part is a well-formed program. */
static mp_status search_program_ok(mp_imap_cmd_id cmd, const mp_imap_arg *a, size_t n, int rev2)
{
    size_t i = 0;
    int rev1 = 0;
    if (cmd == MP_IMAP_CMD_SEARCH || cmd == MP_IMAP_CMD_UID_SEARCH ||
        cmd == MP_IMAP_CMD_ESEARCH) {
        /* MULTISEARCH (RFC 7377 §2): ESEARCH [IN (sources)] then SEARCH's */
        if (cmd == MP_IMAP_CMD_ESEARCH && n > 0 && a[0].kind == MP_IMAP_ARG_ATOM &&
            a[0].s.len == 2 && mp_slice_eq_ci(a[0].s, "IN", 2)) {
            if (n < 2 || a[1].kind != MP_IMAP_ARG_LIST_BEGIN)
                return MP_ERR_ARG;
            i = 1;
            skip_value(a, n, &i);
        }
        if (i < n && a[i].kind == MP_IMAP_ARG_ATOM && a[i].s.len == 6 &&
            mp_slice_eq_ci(a[i].s, "RETURN", 6)) {
            if (++i >= n || a[i].kind != MP_IMAP_ARG_LIST_BEGIN)
                return MP_ERR_ARG;
            skip_value(a, n, &i);
        }
        if (i < n && a[i].kind == MP_IMAP_ARG_ATOM && a[i].s.len == 7 &&
            mp_slice_eq_ci(a[i].s, "CHARSET", 7)) {
            if (i + 1 >= n || !arg_is_string(&a[i + 1]))
                return MP_ERR_ARG;
            i += 2;
        }
    } else if (cmd == MP_IMAP_CMD_SORT || cmd == MP_IMAP_CMD_UID_SORT) {
        i = sort_criteria_at(a, n);
        if (i >= n || a[i].kind != MP_IMAP_ARG_LIST_BEGIN)
            return MP_ERR_ARG;
        skip_value(a, n, &i);
        if (i >= n || !arg_is_string(&a[i]))
            return MP_ERR_ARG;
        i++;
    } else if (cmd == MP_IMAP_CMD_THREAD || cmd == MP_IMAP_CMD_UID_THREAD) {
        if (n < 2 || a[0].kind != MP_IMAP_ARG_ATOM || !arg_is_string(&a[1]))
            return MP_ERR_ARG;
        i = 2;
    } else {
        return MP_OK;
    }
    if (!search_level_ok(a, i, n, 1, &rev1))
        return MP_ERR_ARG;
    for (size_t j = i; j < n; j++)
        if (a[j].kind == MP_IMAP_ARG_LIST_BEGIN && !search_level_ok(a, j + 1, n, 0, &rev1))
            return MP_ERR_ARG;
    /* RFC 9051 Appendix E: NEW, OLD and RECENT went with \Recent */
    return rev1 && rev2 ? MP_ERR_IMAP_CMD_REV1_ONLY : MP_OK;
}

/* ---- closed option lists (cmd_chars.h, shared with the parser) ---------- */

/* Check the list opening at a[i] against list kind `list`; *end is set to
 * the index after its LIST_END. */
static mp_status olist_ok(unsigned list, const mp_imap_arg *a, size_t i, size_t n, size_t *end,
                          int rev2)
{
    mp_imap_optck c;
    unsigned depth = 0;
    mp_imap_optck_init(&c, list);
    if (i >= n || a[i].kind != MP_IMAP_ARG_LIST_BEGIN)
        return MP_ERR_ARG;
    for (; i < n; i++) {
        const mp_imap_arg *x = &a[i];
        unsigned tk, d = depth;
        uint64_t num = 0;
        const char *s = x->s.ptr;
        size_t len = s != NULL ? x->s.len : 0;
        int st;
        switch (x->kind) {
        case MP_IMAP_ARG_LIST_BEGIN:
            tk = MP_IMAP_OT_OPEN;
            depth++;
            break;
        case MP_IMAP_ARG_LIST_END:
            tk = MP_IMAP_OT_CLOSE;
            if (depth == 0)
                return MP_ERR_ARG;
            d = --depth;
            break;
        case MP_IMAP_ARG_NUMBER:
            tk = MP_IMAP_OT_NUMBER;
            num = x->num;
            break;
        case MP_IMAP_ARG_SEQSET:
        case MP_IMAP_ARG_SEQ_LAST:
            tk = MP_IMAP_OT_SEQ;
            break;
        case MP_IMAP_ARG_ATOM:
            tk = MP_IMAP_OT_ATOM;
            /* a plain word here, never a fetch item's brackets */
            for (size_t k = 0; k < len; k++)
                if (!(mp_imap_cc((unsigned char)s[k]) & MP_IMAP_CC_LIST))
                    return MP_ERR_ARG;
            if (mp_imap_word_eq(s, len, "NIL"))
                tk = MP_IMAP_OT_VALUE; /* the parser reads NIL, not a word */
            if (len > 0 && ((s[0] >= '0' && s[0] <= '9') || s[0] == '*' ||
                            (len == 1 && s[0] == '$'))) {
                /* as the parser reads it: digits are a number, else a
                 * sequence set, which must be one ("$STATUS" is a word) */
                tk = mp_parse_u64(x->s, (uint64_t)INT64_MAX, &num) == MP_OK ? MP_IMAP_OT_NUMBER
                                                                           : MP_IMAP_OT_SEQ;
                if (tk == MP_IMAP_OT_SEQ && !mp_imap_seqset_ok(x->s))
                    return MP_ERR_ARG;
            }
            break;
        default:
            tk = MP_IMAP_OT_VALUE;
            break;
        }
        st = mp_imap_optck_step(&c, tk, d, s, len, num, rev2);
        if (st != 0)
            return st == MP_ERR_IMAP_CMD_REV1_ONLY ? MP_ERR_IMAP_CMD_REV1_ONLY : MP_ERR_ARG;
        if (depth == 0) {
            *end = i + 1;
            return MP_OK;
        }
    }
    return MP_ERR_ARG;
}

static int arg_is_word(const mp_imap_arg *a, const char *w)
{
    return a->kind == MP_IMAP_ARG_ATOM && a->s.ptr != NULL &&
           mp_imap_word_eq(a->s.ptr, a->s.len, w);
}

static int arg_is_mailbox(const mp_imap_arg *a)
{
    return a->kind == MP_IMAP_ARG_MAILBOX || a->kind == MP_IMAP_ARG_ASTRING ||
           a->kind == MP_IMAP_ARG_STRING;
}

/* NOTIFY (RFC 5465 §8) as the command parser reads it: NONE, or SET
 * [STATUS] then event groups "(" filter [mailbox | (mailbox ...)] SP
 * (NONE | "(" event [MessageNew's (fetch-att ...)] ... ")") ")". */
static mp_status notify_ok(const mp_imap_arg *a, size_t n)
{
    static const char *const filters[] = { "selected", "selected-delayed", "inboxes",
                                            "personal", "subscribed", "subtree", "mailboxes" };
    size_t i = 1, groups = 0;
    if (n == 1 && arg_is_word(&a[0], "NONE"))
        return MP_OK;
    if (n == 0 || !arg_is_word(&a[0], "SET"))
        return MP_ERR_ARG;
    if (i < n && arg_is_word(&a[i], "STATUS"))
        i++;
    while (i < n) {
        size_t f;
        if (a[i].kind != MP_IMAP_ARG_LIST_BEGIN || ++i >= n)
            return MP_ERR_ARG;
        for (f = 0; f < sizeof(filters) / sizeof(filters[0]); f++)
            if (arg_is_word(&a[i], filters[f]))
                break;
        if (f == sizeof(filters) / sizeof(filters[0]))
            return MP_ERR_ARG;
        i++;
        if (f >= 5) { /* subtree / mailboxes: one-or-more-mailbox */
            if (i < n && a[i].kind == MP_IMAP_ARG_LIST_BEGIN) {
                size_t k = 0;
                for (i++; i < n && arg_is_mailbox(&a[i]); i++)
                    k++;
                if (k == 0 || i >= n || a[i].kind != MP_IMAP_ARG_LIST_END)
                    return MP_ERR_ARG;
                i++;
            } else if (i < n && arg_is_mailbox(&a[i])) {
                i++;
            } else {
                return MP_ERR_ARG;
            }
        }
        if (i < n && arg_is_word(&a[i], "NONE")) {
            i++;
        } else {
            size_t k = 0;
            if (i >= n || a[i].kind != MP_IMAP_ARG_LIST_BEGIN)
                return MP_ERR_ARG;
            for (i++; i < n && a[i].kind == MP_IMAP_ARG_ATOM; k++) {
                int is_new = arg_is_word(&a[i], "MessageNew");
                for (size_t c = 0; c < a[i].s.len; c++)
                    if (!(mp_imap_cc((unsigned char)a[i].s.ptr[c]) & MP_IMAP_CC_LIST))
                        return MP_ERR_ARG; /* an event is an atom */
                i++;
                if (is_new && i < n && a[i].kind == MP_IMAP_ARG_LIST_BEGIN) {
                    size_t m = 0;
                    for (i++; i < n && a[i].kind == MP_IMAP_ARG_ATOM; i++)
                        m++;
                    if (m == 0 || i >= n || a[i].kind != MP_IMAP_ARG_LIST_END)
                        return MP_ERR_ARG;
                    i++;
                }
            }
            if (k == 0 || i >= n || a[i].kind != MP_IMAP_ARG_LIST_END)
                return MP_ERR_ARG;
            i++;
        }
        if (i >= n || a[i].kind != MP_IMAP_ARG_LIST_END)
            return MP_ERR_ARG;
        i++;
        groups++;
    }
    return groups > 0 ? MP_OK : MP_ERR_ARG;
}

/* The lists of mp_imap_write_command's arguments whose members the RFCs
 * name: SORT criteria, fetch / store modifiers, GETMETADATA options, LIST
 * selection and return options, STATUS items. */
static mp_status options_ok(mp_imap_cmd_id cmd, const mp_imap_arg *a, size_t n, int rev2)
{
    size_t i = 0, end = 0;
    mp_status st;
    switch (cmd) {
    case MP_IMAP_CMD_SORT:
    case MP_IMAP_CMD_UID_SORT:
        return olist_ok(MP_IMAP_OL_SORT, a, sort_criteria_at(a, n), n, &end, rev2);
    case MP_IMAP_CMD_NOTIFY:
        return notify_ok(a, n);
    case MP_IMAP_CMD_URLFETCH:
    case MP_IMAP_CMD_GENURLAUTH:
        /* url *(SP url) / url-rump SP mechanism *(...) (RFC 4467 §7) */
        if (n == 0 || (cmd == MP_IMAP_CMD_GENURLAUTH && (n & 1)))
            return MP_ERR_ARG;
        for (i = 0; i < n; i++) {
            int mech = cmd == MP_IMAP_CMD_GENURLAUTH && (i & 1);
            if (mech ? a[i].kind != MP_IMAP_ARG_ATOM || a[i].s.len == 0 : !arg_is_string(&a[i]))
                return MP_ERR_ARG;
            /* mechanism = "INTERNAL" / 1*(ALPHA / DIGIT / "-" / ".") */
            for (size_t k = 0; mech && k < a[i].s.len; k++) {
                unsigned char c = (unsigned char)a[i].s.ptr[k];
                if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                      (c >= '0' && c <= '9') || c == '-' || c == '.'))
                    return MP_ERR_ARG;
            }
        }
        return MP_OK;
    case MP_IMAP_CMD_CANCELUPDATE:
        /* tag-string *(SP tag-string) (RFC 5267 §4.3) */
        if (n == 0)
            return MP_ERR_ARG;
        for (i = 0; i < n; i++)
            if (a[i].kind != MP_IMAP_ARG_STRING && a[i].kind != MP_IMAP_ARG_BINARY_STRING)
                return MP_ERR_ARG;
        return MP_OK;
    case MP_IMAP_CMD_STATUS:
        return n < 2 ? MP_ERR_ARG : olist_ok(MP_IMAP_OL_STATUS, a, 1, n, &end, rev2);
    case MP_IMAP_CMD_GETMETADATA:
        if (n > 0 && a[0].kind == MP_IMAP_ARG_LIST_BEGIN)
            return olist_ok(MP_IMAP_OL_META, a, 0, n, &end, rev2);
        return MP_OK;
    case MP_IMAP_CMD_STORE:
    case MP_IMAP_CMD_UID_STORE:
        if (n > 1 && a[1].kind == MP_IMAP_ARG_LIST_BEGIN)
            return olist_ok(MP_IMAP_OL_STORE, a, 1, n, &end, rev2);
        return MP_OK;
    case MP_IMAP_CMD_FETCH:
    case MP_IMAP_CMD_UID_FETCH:
        if (n < 2)
            return MP_OK;
        i = 1;
        skip_value(a, n, &i);
        /* a lone PREVIEW takes its own "(LAZY)" first (RFC 8970 §7) */
        if (i + 1 < n && a[1].kind == MP_IMAP_ARG_ATOM && arg_is_word(&a[1], "PREVIEW") &&
            a[i].kind == MP_IMAP_ARG_LIST_BEGIN && arg_is_word(&a[i + 1], "LAZY"))
            skip_value(a, n, &i);
        if (i < n)
            return olist_ok(cmd == MP_IMAP_CMD_FETCH ? MP_IMAP_OL_FETCH : MP_IMAP_OL_UID_FETCH, a,
                            i, n, &end, rev2);
        return MP_OK;
    case MP_IMAP_CMD_LIST:
        if (n > 0 && a[0].kind == MP_IMAP_ARG_LIST_BEGIN) {
            st = olist_ok(MP_IMAP_OL_LSEL, a, 0, n, &i, rev2);
            if (st != MP_OK)
                return st;
        }
        /* mailbox, then a pattern or a list of patterns, then RETURN */
        if (i < n)
            skip_value(a, n, &i);
        if (i < n)
            skip_value(a, n, &i);
        if (i < n && arg_is_word(&a[i], "RETURN"))
            return olist_ok(MP_IMAP_OL_LRET, a, i + 1, n, &end, rev2);
        return MP_OK;
    default:
        return MP_OK;
    }
}

mp_status mp_imap_write_command(mp_imap_writer *w, const char *tag, mp_imap_cmd_id cmd,
                                const mp_imap_arg *args, size_t nargs)
{
    wr r;
    mp_status st;
    if (cmd == MP_IMAP_CMD_APPEND || (args == NULL && nargs != 0))
        return MP_ERR_ARG;
    st = search_program_ok(cmd, args, nargs, (w->flags & MP_IMAP_W_REV2) != 0);
    if (st == MP_OK)
        st = options_ok(cmd, args, nargs, (w->flags & MP_IMAP_W_REV2) != 0);
    if (st != MP_OK)
        return st;
    st = wr_begin(&r, w, tag, cmd);
    if (st != MP_OK)
        return st;
    for (size_t i = 0; i < nargs && r.err == MP_OK; i++)
        wr_arg(&r, &args[i]);
    return wr_end(&r, cmd, 1);
}

/* ---- typed wrappers ---------------------------------------------------- */

static void arg_kind(wr *r, mp_imap_arg_kind k)
{
    mp_imap_arg a;
    memset(&a, 0, sizeof(a));
    a.kind = k;
    wr_arg(r, &a);
}

static void arg_slice(wr *r, mp_imap_arg_kind k, mp_slice s)
{
    mp_imap_arg a;
    memset(&a, 0, sizeof(a));
    a.kind = k;
    a.s = s;
    wr_arg(r, &a);
}

static void arg_atom(wr *r, const char *s)
{
    arg_slice(r, MP_IMAP_ARG_ATOM, mp_slice_make(s, s ? strlen(s) : 0));
}

static void arg_num(wr *r, uint64_t v)
{
    mp_imap_arg a;
    memset(&a, 0, sizeof(a));
    a.kind = MP_IMAP_ARG_NUMBER;
    a.num = v;
    wr_arg(r, &a);
}

static void arg_seq(wr *r, const mp_imap_seq_range *set, size_t n)
{
    mp_imap_arg a;
    memset(&a, 0, sizeof(a));
    a.kind = MP_IMAP_ARG_SEQSET;
    a.ranges = set;
    a.nranges = n;
    wr_arg(r, &a);
}

static void arg_flags(wr *r, const mp_slice *flags, size_t n)
{
    if (flags == NULL && n != 0) {
        wr_fail(r, MP_ERR_ARG);
        return;
    }
    arg_kind(r, MP_IMAP_ARG_LIST_BEGIN);
    for (size_t i = 0; i < n; i++)
        arg_slice(r, MP_IMAP_ARG_FLAG, flags[i]);
    arg_kind(r, MP_IMAP_ARG_LIST_END);
}

mp_status mp_imap_write_simple(mp_imap_writer *w, const char *tag, mp_imap_cmd_id cmd)
{
    wr r;
    mp_status st;
    switch (cmd) {
    case MP_IMAP_CMD_CAPABILITY:
    case MP_IMAP_CMD_NOOP:
    case MP_IMAP_CMD_LOGOUT:
    case MP_IMAP_CMD_STARTTLS:
    case MP_IMAP_CMD_CHECK:
    case MP_IMAP_CMD_CLOSE:
    case MP_IMAP_CMD_UNSELECT:
    case MP_IMAP_CMD_EXPUNGE:
    case MP_IMAP_CMD_NAMESPACE:
    case MP_IMAP_CMD_IDLE:
        break;
    default:
        return MP_ERR_ARG;
    }
    st = wr_begin(&r, w, tag, cmd);
    if (st != MP_OK)
        return st;
    return wr_end(&r, cmd, 1);
}

mp_status mp_imap_write_login(mp_imap_writer *w, const char *tag, mp_slice user,
                              mp_slice password)
{
    wr r;
    mp_status st = wr_begin(&r, w, tag, MP_IMAP_CMD_LOGIN);
    if (st != MP_OK)
        return st;
    arg_slice(&r, MP_IMAP_ARG_ASTRING, user);
    arg_slice(&r, MP_IMAP_ARG_ASTRING, password);
    return wr_end(&r, MP_IMAP_CMD_LOGIN, 1);
}

mp_status mp_imap_write_mailbox_command(mp_imap_writer *w, const char *tag, mp_imap_cmd_id cmd,
                                        mp_slice mailbox)
{
    wr r;
    mp_status st = wr_begin(&r, w, tag, cmd);
    if (st != MP_OK)
        return st;
    arg_slice(&r, MP_IMAP_ARG_MAILBOX, mailbox);
    return wr_end(&r, cmd, 1);
}

mp_status mp_imap_write_select(mp_imap_writer *w, const char *tag, int examine, mp_slice mailbox,
                               int condstore, uint32_t qresync_uidvalidity,
                               uint64_t qresync_modseq, const mp_imap_seq_range *known_uids,
                               size_t nknown)
{
    mp_imap_cmd_id cmd = examine ? MP_IMAP_CMD_EXAMINE : MP_IMAP_CMD_SELECT;
    wr r;
    mp_status st = wr_begin(&r, w, tag, cmd);
    if (st != MP_OK)
        return st;
    arg_slice(&r, MP_IMAP_ARG_MAILBOX, mailbox);
    if (qresync_uidvalidity != 0) {
        /* RFC 7162 §3.2.5: QRESYNC (uidvalidity mod-sequence [known-uids]) */
        arg_kind(&r, MP_IMAP_ARG_LIST_BEGIN);
        arg_atom(&r, "QRESYNC");
        arg_kind(&r, MP_IMAP_ARG_LIST_BEGIN);
        arg_num(&r, qresync_uidvalidity);
        if (qresync_modseq == 0)
            wr_fail(&r, MP_ERR_BAD_VALUE);
        arg_num(&r, qresync_modseq);
        if (known_uids != NULL && nknown != 0)
            arg_seq(&r, known_uids, nknown);
        arg_kind(&r, MP_IMAP_ARG_LIST_END);
        arg_kind(&r, MP_IMAP_ARG_LIST_END);
    } else if (condstore) {
        arg_kind(&r, MP_IMAP_ARG_LIST_BEGIN);
        arg_atom(&r, "CONDSTORE");
        arg_kind(&r, MP_IMAP_ARG_LIST_END);
    }
    return wr_end(&r, cmd, 1);
}

/* One fetch item; "PREVIEW (LAZY)" (RFC 8970 §7: name SP "(" words ")")
 * goes as the name and a list of words, each checked as an atom. */
static void arg_fetch_item(wr *r, const char *item)
{
    size_t n = item != NULL ? strlen(item) : 0, k = 0;
    while (k < n && item[k] != ' ' && item[k] != '[')
        k++;
    if (k + 3 > n || item[k] != ' ' || item[k + 1] != '(' || item[n - 1] != ')') {
        arg_atom(r, item);
        return;
    }
    arg_slice(r, MP_IMAP_ARG_ATOM, mp_slice_make(item, k));
    arg_kind(r, MP_IMAP_ARG_LIST_BEGIN);
    for (size_t i = k + 2; i < n - 1;) {
        size_t j = i;
        while (j < n - 1 && item[j] != ' ')
            j++;
        arg_slice(r, MP_IMAP_ARG_ATOM, mp_slice_make(item + i, j - i));
        i = j + 1;
        if (j + 1 == n - 1)
            wr_fail(r, MP_ERR_BAD_VALUE); /* "(a )" */
    }
    arg_kind(r, MP_IMAP_ARG_LIST_END);
}

mp_status mp_imap_write_fetch(mp_imap_writer *w, const char *tag, int uid,
                              const mp_imap_seq_range *set, size_t nset, const char *const *items,
                              size_t nitems, uint64_t changedsince, int vanished)
{
    mp_imap_cmd_id cmd = uid ? MP_IMAP_CMD_UID_FETCH : MP_IMAP_CMD_FETCH;
    wr r;
    mp_status st = wr_begin(&r, w, tag, cmd);
    if (st != MP_OK)
        return st;
    arg_seq(&r, set, nset);
    if (items == NULL || nitems == 0) {
        wr_fail(&r, MP_ERR_ARG);
    } else if (nitems == 1) {
        arg_fetch_item(&r, items[0]);
    } else {
        arg_kind(&r, MP_IMAP_ARG_LIST_BEGIN);
        for (size_t i = 0; i < nitems; i++)
            arg_fetch_item(&r, items[i]);
        arg_kind(&r, MP_IMAP_ARG_LIST_END);
    }
    if (changedsince != 0 || vanished) {
        /* RFC 7162 §3.1.4.1 CHANGEDSINCE, §3.2.6 VANISHED (UID FETCH only) */
        if (vanished && (!uid || changedsince == 0))
            wr_fail(&r, MP_ERR_ARG);
        arg_kind(&r, MP_IMAP_ARG_LIST_BEGIN);
        arg_atom(&r, "CHANGEDSINCE");
        arg_num(&r, changedsince);
        if (vanished)
            arg_atom(&r, "VANISHED");
        arg_kind(&r, MP_IMAP_ARG_LIST_END);
    }
    return wr_end(&r, cmd, 1);
}

mp_status mp_imap_write_store(mp_imap_writer *w, const char *tag, int uid,
                              const mp_imap_seq_range *set, size_t nset, char op, int silent,
                              const mp_slice *flags, size_t nflags, uint64_t unchangedsince)
{
    mp_imap_cmd_id cmd = uid ? MP_IMAP_CMD_UID_STORE : MP_IMAP_CMD_STORE;
    const char *item;
    wr r;
    mp_status st = wr_begin(&r, w, tag, cmd);
    if (st != MP_OK)
        return st;
    arg_seq(&r, set, nset);
    if (unchangedsince != UINT64_MAX) {
        arg_kind(&r, MP_IMAP_ARG_LIST_BEGIN);
        arg_atom(&r, "UNCHANGEDSINCE");
        arg_num(&r, unchangedsince);
        arg_kind(&r, MP_IMAP_ARG_LIST_END);
    }
    if (op == '+')
        item = silent ? "+FLAGS.SILENT" : "+FLAGS";
    else if (op == '-')
        item = silent ? "-FLAGS.SILENT" : "-FLAGS";
    else if (op == 0)
        item = silent ? "FLAGS.SILENT" : "FLAGS";
    else {
        item = "FLAGS";
        wr_fail(&r, MP_ERR_ARG);
    }
    arg_atom(&r, item);
    arg_flags(&r, flags, nflags);
    return wr_end(&r, cmd, 1);
}

mp_status mp_imap_write_copy(mp_imap_writer *w, const char *tag, int uid, int move,
                             const mp_imap_seq_range *set, size_t nset, mp_slice mailbox)
{
    mp_imap_cmd_id cmd = move ? (uid ? MP_IMAP_CMD_UID_MOVE : MP_IMAP_CMD_MOVE)
                              : (uid ? MP_IMAP_CMD_UID_COPY : MP_IMAP_CMD_COPY);
    wr r;
    mp_status st = wr_begin(&r, w, tag, cmd);
    if (st != MP_OK)
        return st;
    arg_seq(&r, set, nset);
    arg_slice(&r, MP_IMAP_ARG_MAILBOX, mailbox);
    return wr_end(&r, cmd, 1);
}

mp_status mp_imap_write_authenticate(mp_imap_writer *w, const char *tag, const char *mech,
                                     const void *ir, size_t ir_len)
{
    wr r;
    mp_status st = wr_begin(&r, w, tag, MP_IMAP_CMD_AUTHENTICATE);
    if (st != MP_OK)
        return st;
    arg_atom(&r, mech);
    if (mech != NULL && (memchr(mech, '[', strlen(mech)) || memchr(mech, '(', strlen(mech))))
        wr_fail(&r, MP_ERR_BAD_VALUE);
    if (ir != NULL) {
        wr_put(&r, " ", 1);
        put_base64(&r, ir, ir_len);
    }
    return wr_end(&r, MP_IMAP_CMD_AUTHENTICATE, 1);
}

static mp_status write_line(mp_imap_writer *w, const void *data, size_t len, int b64)
{
    wr r;
    if (w->state != W_IDLE && w->state != W_IDLING)
        return MP_ERR_STATE;
    memset(&r, 0, sizeof(r));
    r.w = w;
    r.ob = w->out;
    r.mark = mp_outbuf_mark(r.ob);
    if (b64) {
        /* An empty response is an empty line, not "=" (RFC 9051 §6.2.2). */
        if (len != 0)
            put_base64(&r, data, len);
    } else {
        wr_put(&r, data, len);
    }
    wr_put(&r, "\r\n", 2);
    return mp_outbuf_commit(r.ob, r.mark);
}

mp_status mp_imap_write_auth_response(mp_imap_writer *w, const void *data, size_t len)
{
    if (data == NULL && len != 0)
        return MP_ERR_ARG;
    return write_line(w, data, len, 1);
}

mp_status mp_imap_write_auth_cancel(mp_imap_writer *w) { return write_line(w, "*", 1, 0); }

mp_status mp_imap_write_done(mp_imap_writer *w)
{
    mp_status st;
    if (w->state != W_IDLING)
        return MP_ERR_STATE;
    st = write_line(w, "DONE", 4, 0);
    if (st == MP_OK)
        w->state = W_IDLE;
    return st;
}

/* ---- APPEND ---------------------------------------------------------- */

/* Internal form of a message: CATENATE instead of a literal. */
#define FORM_CATENATE 3

/* A fresh rendering context for a piece of an open APPEND. */
static void wr_piece(wr *r, mp_imap_writer *w)
{
    memset(r, 0, sizeof(*r));
    r->w = w;
    r->ob = w->out;
    r->mark = mp_outbuf_mark(r->ob);
}

/* The ")" owed after the bytes of a UTF8 (~{n} ...) element. */
static void put_owed_close(wr *r)
{
    if (r->w->lit_close)
        wr_put(r, ")", 1);
}

/* A literal header in one of the MP_IMAP_APPEND_* forms. */
static void put_append_literal(wr *r, uint64_t size, int form)
{
    unsigned f = r->w->flags;
    if (form == MP_IMAP_APPEND_LITERAL8 && !(f & MP_IMAP_W_BINARY))
        wr_fail(r, MP_ERR_UNSUPPORTED);
    if (form == MP_IMAP_APPEND_UTF8 && !(f & MP_IMAP_W_UTF8_ACCEPT))
        wr_fail(r, MP_ERR_UNSUPPORTED);
    /* literal lengths are number (u32) in rev1, number64 in rev2 and for
     * literal8 (RFC 9051 §9, RFC 3516 §4.1). */
    if (form == MP_IMAP_APPEND_LITERAL && !(f & MP_IMAP_W_REV2) && size > UINT32_MAX)
        wr_fail(r, MP_ERR_BAD_VALUE);
    if (size > (uint64_t)INT64_MAX)
        wr_fail(r, MP_ERR_BAD_VALUE);
    if (form == MP_IMAP_APPEND_UTF8)
        wr_puts(r, "UTF8 (");
    put_literal_header(r, size, form != MP_IMAP_APPEND_LITERAL);
}

/* [SP flag-list] [SP date-time] SP append-data: the part of APPEND that
 * repeats per message (MULTIAPPEND). */
static void append_message(wr *r, const mp_slice *flags, size_t nflags,
                           const mp_imap_datetime *dt, uint64_t size, int form)
{
    if (form < MP_IMAP_APPEND_LITERAL || form > FORM_CATENATE)
        wr_fail(r, MP_ERR_ARG);
    if (flags != NULL)
        arg_flags(r, flags, nflags);
    if (dt != NULL) {
        mp_imap_arg a;
        memset(&a, 0, sizeof(a));
        a.kind = MP_IMAP_ARG_DATETIME;
        a.dt = dt;
        wr_arg(r, &a);
    }
    wr_put(r, " ", 1);
    if (form == FORM_CATENATE)
        wr_puts(r, "CATENATE (");
    else if (r->err == MP_OK)
        put_append_literal(r, size, form);
}

/* Commit a piece that ends in a literal header (or "CATENATE (" when
 * form is FORM_CATENATE) and set the writer to stream its bytes. */
static mp_status append_started(mp_imap_writer *w, wr *r, uint64_t size, int form)
{
    mp_status st;
    if (r->err != MP_OK) {
        mp_outbuf_rollback(r->ob, r->mark);
        return r->err;
    }
    st = mp_outbuf_commit(r->ob, r->mark);
    if (st != MP_OK)
        return st;
    w->seg_done = 0;
    w->cmd = 0;
    if (form == FORM_CATENATE) {
        w->lit_left = 0;
        w->lit_binary = 0;
        w->lit_close = 0;
        w->cat = 1;
        w->state = W_APPEND_DATA;
        return MP_OK;
    }
    w->lit_left = size;
    w->lit_binary = (uint8_t)(form != MP_IMAP_APPEND_LITERAL);
    w->lit_close = (uint8_t)(form == MP_IMAP_APPEND_UTF8);
    if (w->cat)
        w->cat = 2;
    if (r->stopped) {
        w->state = W_APPEND_WAIT;
        return MP_PAUSED;
    }
    w->state = W_APPEND_DATA;
    return MP_OK;
}

static mp_status append_begin(mp_imap_writer *w, const char *tag, mp_slice mailbox,
                              const mp_slice *flags, size_t nflags, const mp_imap_datetime *dt,
                              uint64_t size, int form)
{
    wr r;
    mp_status st;
    if (w->state != W_IDLE)
        return MP_ERR_STATE;
    st = wr_begin(&r, w, tag, MP_IMAP_CMD_APPEND);
    if (st != MP_OK)
        return st;
    w->cat = 0;
    w->lit_close = 0;
    arg_slice(&r, MP_IMAP_ARG_MAILBOX, mailbox);
    append_message(&r, flags, nflags, dt, size, form);
    return append_started(w, &r, size, form);
}

/* Between messages: the last one's bytes are all sent and no CATENATE
 * list is open. */
static int message_done(const mp_imap_writer *w)
{
    return w->state == W_APPEND_DATA && w->lit_left == 0 && w->cat == 0;
}

static mp_status append_next(mp_imap_writer *w, const mp_slice *flags, size_t nflags,
                             const mp_imap_datetime *dt, uint64_t size, int form)
{
    wr r;
    if (!message_done(w))
        return MP_ERR_STATE;
    wr_piece(&r, w);
    put_owed_close(&r);
    append_message(&r, flags, nflags, dt, size, form);
    return append_started(w, &r, size, form);
}

mp_status mp_imap_write_append_begin(mp_imap_writer *w, const char *tag, mp_slice mailbox,
                                     const mp_slice *flags, size_t nflags,
                                     const mp_imap_datetime *dt, uint64_t size, int binary)
{
    if (binary == FORM_CATENATE)
        return MP_ERR_ARG;
    return append_begin(w, tag, mailbox, flags, nflags, dt, size, binary);
}

mp_status mp_imap_write_append_next(mp_imap_writer *w, const mp_slice *flags, size_t nflags,
                                    const mp_imap_datetime *dt, uint64_t size, int binary)
{
    if (binary == FORM_CATENATE)
        return MP_ERR_ARG;
    return append_next(w, flags, nflags, dt, size, binary);
}

/* ---- CATENATE (RFC 4469 §5) ------------------------------------------- */

mp_status mp_imap_write_append_catenate_begin(mp_imap_writer *w, const char *tag,
                                              mp_slice mailbox, const mp_slice *flags,
                                              size_t nflags, const mp_imap_datetime *dt)
{
    return append_begin(w, tag, mailbox, flags, nflags, dt, 0, FORM_CATENATE);
}

mp_status mp_imap_write_append_catenate_next(mp_imap_writer *w, const mp_slice *flags,
                                             size_t nflags, const mp_imap_datetime *dt)
{
    return append_next(w, flags, nflags, dt, 0, FORM_CATENATE);
}

/* Inside a CATENATE list, between parts. */
static int cat_open(const mp_imap_writer *w)
{
    return w->state == W_APPEND_DATA && w->lit_left == 0 && w->cat != 0;
}

/* The start of a part: the ")" of a UTF8 part before, then SP unless it
 * is the first. */
static void cat_part_start(wr *r)
{
    put_owed_close(r);
    if (r->w->cat == 2)
        wr_put(r, " ", 1);
}

mp_status mp_imap_write_cat_url(mp_imap_writer *w, mp_slice url)
{
    wr r;
    scan sc;
    mp_status st;
    if (!cat_open(w))
        return MP_ERR_STATE;
    if (url.ptr == NULL && url.len != 0)
        return MP_ERR_ARG;
    /* url = "URL" SP astring holding an imapurl: 7-bit, no controls. */
    scan_bytes(url.ptr, url.len, MP_IMAP_CC_ASTR, &sc);
    if (sc.nul)
        return MP_ERR_NUL;
    if (sc.high)
        return MP_ERR_8BIT;
    if (url.len == 0)
        return MP_ERR_BAD_VALUE;
    for (size_t i = 0; i < url.len; i++) {
        unsigned char c = (unsigned char)url.ptr[i];
        if (c < 0x20 || c == 0x7f)
            return MP_ERR_BAD_VALUE;
    }
    if (url.len > MP_IMAP_MAX_QUOTED)
        return MP_ERR_TOKEN_TOO_LONG;
    wr_piece(&r, w);
    cat_part_start(&r);
    wr_puts(&r, "URL ");
    /* Never a literal: a URL needs no "+" round trip. */
    if (sc.all && url.len <= MP_IMAP_MAX_ATOM)
        wr_put(&r, url.ptr, url.len);
    else
        put_quoted(&r, url.ptr, url.len);
    st = mp_outbuf_commit(r.ob, r.mark);
    if (st != MP_OK)
        return st;
    w->lit_close = 0;
    w->cat = 2;
    return MP_OK;
}

mp_status mp_imap_write_cat_text_begin(mp_imap_writer *w, uint64_t size, int form)
{
    wr r;
    if (!cat_open(w))
        return MP_ERR_STATE;
    /* text-literal = "TEXT" SP literal (never literal8); RFC 6855 adds
     * cat-part =/ "UTF8" SP "(" literal8 ")". */
    if (form != MP_IMAP_APPEND_LITERAL && form != MP_IMAP_APPEND_UTF8)
        return MP_ERR_ARG;
    wr_piece(&r, w);
    cat_part_start(&r);
    if (form == MP_IMAP_APPEND_LITERAL)
        wr_puts(&r, "TEXT ");
    put_append_literal(&r, size, form);
    return append_started(w, &r, size, form);
}

mp_status mp_imap_write_catenate_end(mp_imap_writer *w)
{
    wr r;
    mp_status st;
    if (!cat_open(w) || w->cat != 2)
        return MP_ERR_STATE;
    wr_piece(&r, w);
    put_owed_close(&r);
    wr_put(&r, ")", 1);
    st = mp_outbuf_commit(r.ob, r.mark);
    if (st != MP_OK)
        return st;
    w->lit_close = 0;
    w->cat = 0;
    return MP_OK;
}

mp_status mp_imap_write_append_data(mp_imap_writer *w, const void *data, size_t len,
                                    size_t *used)
{
    mp_outbuf *ob = w->out;
    size_t n = len, room;
    *used = 0;
    if (w->state != W_APPEND_DATA)
        return MP_ERR_STATE;
    if (data == NULL && len != 0)
        return MP_ERR_ARG;
    if ((uint64_t)len > w->lit_left)
        return MP_ERR_ARG;
    if (len == 0)
        return MP_OK;
    room = mp_outbuf_room(ob);
    if (n > room)
        n = room;
    if (n == 0) {
        ob->need = 1;
        return MP_ERR_NO_SPACE;
    }
    if (!w->lit_binary) {
        const char *z = memchr(data, 0, n);
        if (z != NULL) {
            n = (size_t)(z - (const char *)data);
            (void)mp_outbuf_mark(ob);
            mp_outbuf_put(ob, data, n);
            w->lit_left -= n;
            *used = n;
            return MP_ERR_NUL;
        }
    }
    (void)mp_outbuf_mark(ob);
    mp_outbuf_put(ob, data, n);
    w->lit_left -= n;
    *used = n;
    return MP_OK;
}

mp_status mp_imap_write_append_end(mp_imap_writer *w)
{
    wr r;
    mp_status st;
    if (!message_done(w))
        return MP_ERR_STATE;
    wr_piece(&r, w);
    put_owed_close(&r);
    wr_put(&r, "\r\n", 2);
    st = mp_outbuf_commit(r.ob, r.mark);
    if (st == MP_OK) {
        w->state = W_IDLE;
        w->lit_close = 0;
    }
    return st;
}
