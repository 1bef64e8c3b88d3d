/* IMAP response writer (server side): the parser's events back to bytes,
 * one whole element per call (imap.h).  RFC 9051 §4 string forms, §9
 * separators: SP between elements, none between adjacent lists of
 * addresses, body parts, namespace descriptors and threads. */
#include <string.h>

#include "mailproto/imap.h"

#include "../core/utf8.h"
#include "lex_fast.h" /* the quoted-string byte table */

static const char *const resp_words[] = {
#define W_(name, text) text,
    MP_IMAP_RESP_TABLE(W_)
#undef W_
};

/* FETCH item name states: BODY[section]<origin> is several events. */
enum { FN_NONE = 0, FN_NAME, FN_SECT, FN_HDRS, FN_CLOSED };

void mp_imap_resp_writer_init(mp_imap_resp_writer *w, mp_outbuf *ob, unsigned mode,
                              unsigned quirks)
{
    memset(w, 0, sizeof(*w));
    w->ob = ob;
    w->mode = mode;
    w->quirks = quirks;
    w->whole = 1;
}

/* What 8-bit bytes a reader in the same mode takes in quoted strings and
 * text: none (IMAP4rev1), well-formed UTF-8 (UTF8=ACCEPT, rev2) or any
 * (the MP_IMAP_Q_8BIT_TEXT quirk), as the tokenizer's flags say. */
enum { EIGHT_NONE = 0, EIGHT_UTF8, EIGHT_RAW };

static int allow_8bit(unsigned mode, unsigned quirks)
{
    if (quirks & MP_IMAP_Q_8BIT_TEXT)
        return EIGHT_RAW;
    return (mode & (MP_IMAP_UTF8 | MP_IMAP_REV2)) ? EIGHT_UTF8 : EIGHT_NONE;
}

/* atom, flag keyword, sequence set, section spec: printable, no specials
 * that would end or change the token (RFC 9051 atom-specials except the
 * ones that belong in list-mailbox, sequence-set and resp-text-code). */
static int atom_ok(mp_slice s, const char *forbid)
{
    size_t k, nforbid = strlen(forbid);
    /* longer atoms are refused by parsers with the default limit */
    if (s.len == 0 || s.len > MP_IMAP_MAX_ATOM)
        return 0;
    for (k = 0; k < s.len; k++) {
        unsigned char c = (unsigned char)s.ptr[k];
        if (c <= 0x20 || c >= 0x7f || c == '(' || c == ')' || c == '{' || c == '"' ||
            (c == '\\' && k > 0) || memchr(forbid, c, nforbid) != NULL)
            return 0;
    }
    return 1;
}

static int text_ok(mp_slice s, int eight, int code)
{
    size_t k;
    int high = 0;
    if (s.len > MP_IMAP_MAX_QUOTED) /* text cannot be a literal */
        return 0;
    for (k = 0; k < s.len; k++) {
        unsigned char c = (unsigned char)s.ptr[k];
        if (c == 0 || c == '\r' || c == '\n' || (c >= 0x80 && eight == EIGHT_NONE) ||
            (code && c == ']'))
            return 0;
        high |= c >= 0x80;
    }
    /* the UTF-8 rules only where there are 8-bit bytes to check */
    return !high || eight != EIGHT_UTF8 || mp_utf8_valid(s.ptr, s.len, NULL);
}

/* quoted (TEXT-CHAR, escapes for " and \) or literal {n}: RFC 9051 §4.3 */
static mp_status put_string(mp_outbuf *ob, int eight, mp_slice s, unsigned evf)
{
    size_t k;
    int quotable = !(evf & MP_IMAP_EVF_LITERAL), escapes = 0, high = 0;
    const unsigned stop = MP_IMAP_LEX_QS_END_ | MP_IMAP_LEX_QS_8BIT_;
    if (evf & MP_IMAP_EVF_BINARY) {
        /* A small string that came as literal8 goes back as literal8 (a
         * round trip keeps it; found by fuzz_imap_resp): NUL is allowed. */
        mp_outbuf_puts(ob, "~{");
        mp_outbuf_put_u64(ob, s.len);
        mp_outbuf_puts(ob, "}\r\n");
        mp_outbuf_put(ob, s.ptr, s.len);
        return MP_OK;
    }
    /* a NULL slice is the empty string: memchr(NULL, 0, 0) is undefined */
    if (s.len > 0 && memchr(s.ptr, 0, s.len) != NULL)
        return MP_ERR_BAD_VALUE;
    if (s.len > MP_IMAP_MAX_QUOTED)
        quotable = 0;
    /* the tokenizer's table: a byte that ends a quoted string's plain run
     * (no NUL here) is a quoted-special to escape, an 8-bit byte, or CR /
     * LF, which make it a literal (as 8-bit does where it is not allowed) */
    for (k = 0; k < s.len && quotable; k++) {
        unsigned char c = (unsigned char)s.ptr[k];
        if (!(mp_imap_lex_quoted_table_[c] & stop))
            continue;
        if (c == '"' || c == '\\')
            escapes = 1;
        else if (c >= 0x80 && eight != EIGHT_NONE)
            high = 1;
        else
            quotable = 0;
    }
    /* UTF-8 mode: what is not UTF-8 goes as a literal (octets); the rules
     * run only over strings that have 8-bit bytes */
    if (quotable && high && eight == EIGHT_UTF8 && !mp_utf8_valid(s.ptr, s.len, NULL))
        quotable = 0;
    if (quotable) {
        size_t run = 0;
        mp_outbuf_putc(ob, '"');
        /* plain runs in one copy, a backslash before each quoted-special */
        for (k = 0; escapes && k < s.len; k++) {
            if (s.ptr[k] == '"' || s.ptr[k] == '\\') {
                mp_outbuf_put(ob, s.ptr + run, k - run);
                mp_outbuf_putc(ob, '\\');
                run = k;
            }
        }
        if (s.len > run) /* a NULL slice is "": NULL + 0 is undefined */
            mp_outbuf_put(ob, s.ptr + run, s.len - run);
        mp_outbuf_putc(ob, '"');
    } else {
        mp_outbuf_putc(ob, '{');
        mp_outbuf_put_u64(ob, s.len);
        mp_outbuf_puts(ob, "}\r\n");
        mp_outbuf_put(ob, s.ptr, s.len);
    }
    return MP_OK;
}

/* A streamed quoted string's content (LITERAL_BEGIN with
 * MP_IMAP_EVF_QUOTED): how many bytes of p[0..n) a quoted string may hold
 * (TEXT-CHAR, 8-bit as the mode allows, UTF-8 checked across chunks) and
 * fit escaped in `room` bytes; *bad is set when a byte it cannot hold
 * stopped the scan. */
static size_t quoted_scan(const mp_imap_resp_writer *w, const char *p, size_t n, size_t room,
                          int *bad)
{
    int eight = allow_8bit(w->mode, w->quirks);
    unsigned u = w->s.lit_u8;
    size_t k, need = 0;
    for (k = 0; k < n; k++) {
        unsigned char c = (unsigned char)p[k];
        size_t cost = (c == '"' || c == '\\') ? 2u : 1u;
        if (c == 0 || c == '\r' || c == '\n' || (c >= 0x80 && eight == EIGHT_NONE) ||
            (u != MP_UTF8_ACCEPT && c < 0x80)) {
            *bad = 1;
            return k;
        }
        if (eight == EIGHT_UTF8 && (c >= 0x80 || u != MP_UTF8_ACCEPT)) {
            unsigned v = mp_utf8_step(u, c);
            if (v == MP_UTF8_REJECT) {
                *bad = 1;
                return k;
            }
            u = v;
        }
        if (cost > room - need)
            return k;
        need += cost;
    }
    return n;
}

/* Write p[0..n) (checked by quoted_scan()) escaped; keep the UTF-8 state. */
static void quoted_put(mp_imap_resp_writer *w, const char *p, size_t n)
{
    size_t k, run = 0;
    int eight = allow_8bit(w->mode, w->quirks);
    for (k = 0; k < n; k++) {
        unsigned char c = (unsigned char)p[k];
        if (c == '"' || c == '\\') {
            mp_outbuf_put(w->ob, p + run, k - run);
            mp_outbuf_putc(w->ob, '\\');
            run = k;
        }
        if (eight == EIGHT_UTF8 && (c >= 0x80 || w->s.lit_u8 != MP_UTF8_ACCEPT))
            w->s.lit_u8 = (uint8_t)mp_utf8_step(w->s.lit_u8, c);
    }
    if (n > run) /* p may be NULL for an empty chunk */
        mp_outbuf_put(w->ob, p + run, n - run);
}

/* RFC 3501 §5.1.3: without UTF8=ACCEPT a mailbox name (given in UTF-8)
 * goes out in modified UTF-7, quoted.  Printable ASCII passes through the
 * encoding unchanged, so the escapes needed are those of the input. */
static mp_status put_mailbox(mp_outbuf *ob, mp_slice s)
{
    size_t k, enc = 0, esc = 0, total, got = 0;
    char *p;
    int plain = 1;
    if (s.len > 0 && memchr(s.ptr, 0, s.len) != NULL)
        return MP_ERR_BAD_VALUE;
    for (k = 0; k < s.len; k++) {
        unsigned char c = (unsigned char)s.ptr[k];
        if (c < 0x20 || c > 0x7e || c == '&')
            plain = 0;
        if (c == '"' || c == '\\')
            esc++;
    }
    if (plain)
        return put_string(ob, 0, s, 0);
    if (mp_mutf7_encode(s.ptr, s.len, NULL, 0, &enc) == MP_ERR_UTF8)
        return MP_ERR_BAD_VALUE;
    total = enc + esc + 2;
    if (ob->want != ob->len || ob->cap - ob->len < total) {
        /* does not fit: only count (no byte is copied on overflow) */
        mp_outbuf_put(ob, s.ptr, total);
        return MP_OK;
    }
    p = ob->buf + ob->len;
    if (mp_mutf7_encode(s.ptr, s.len, p + 1, enc, &got) != MP_OK || got != enc)
        return MP_ERR_BAD_VALUE;
    /* escape in place, from the end */
    k = enc;
    p[enc + esc + 1] = '"';
    while (k > 0) {
        char c = p[k];
        p[k + esc] = c;
        if (c == '"' || c == '\\') {
            esc--;
            p[k + esc] = '\\';
        }
        k--;
    }
    p[0] = '"';
    ob->len += total;
    ob->want = ob->len;
    return MP_OK;
}

mp_status mp_imap_write_string(mp_outbuf *ob, unsigned mode, mp_slice s)
{
    size_t m = mp_outbuf_mark(ob);
    mp_status st = put_string(ob, allow_8bit(mode, 0), s, 0);
    if (st != MP_OK) {
        mp_outbuf_rollback(ob, m);
        return st;
    }
    return mp_outbuf_commit(ob, m);
}

/* Lists that follow one another without SP (RFC 9051 env-* address lists,
 * body-type-mpart, Namespace-Descr, RFC 5256 thread-list). */
static int adjacent_field(unsigned f)
{
    return f == MP_IMAP_F_ADDRESS || f == MP_IMAP_F_BODY || f == MP_IMAP_F_NAMESPACE ||
           f == MP_IMAP_F_THREAD;
}

/* Close a pending BODY[section (headers) before anything else. */
static void close_section(mp_imap_resp_writer *w)
{
    if (w->s.fname == FN_HDRS)
        mp_outbuf_puts(w->ob, ")]");
    else if (w->s.fname == FN_SECT)
        mp_outbuf_putc(w->ob, ']');
    if (w->s.fname != FN_NONE)
        w->s.fname = FN_CLOSED;
}

/* Separator before an element of the current level. */
static void separate(mp_imap_resp_writer *w, unsigned field, int is_list)
{
    unsigned i = (unsigned)w->s.sp - 1u;
    close_section(w);
    if (w->s.lv[i].n) {
        if (!(is_list && w->s.lv[i].prev == field && adjacent_field(field)))
            mp_outbuf_putc(w->ob, ' ');
    }
    w->s.lv[i].n = 1;
    w->s.lv[i].prev = 0;
}

/* Can `a` be sent as an atom at this event's position?  The parser reads
 * atoms with the character class of the position (lex.h): ATOM-CHAR
 * everywhere, "]" only in astrings (mailbox names, quota roots) and, with
 * MP_IMAP_Q_FLAG_CHARS, flags; sequence sets are digits ":" "," "*" "$". */
static int value_atom_ok(const mp_imap_resp_writer *w, const mp_imap_resp_event *ev, mp_slice a)
{
    unsigned f = ev->field;
    size_t k;
    if (f == MP_IMAP_F_UID_SET || f == MP_IMAP_F_UID_SET_DEST || f == MP_IMAP_F_SEARCH_VALUE) {
        if (a.len == 0)
            return 0;
        for (k = 0; k < a.len; k++) {
            char c = a.ptr[k];
            if (!((c >= '0' && c <= '9') || c == ':' || c == ',' || c == '*' || c == '$'))
                return 0;
        }
        return 1;
    }
    if (!w->s.in_code && (f == MP_IMAP_F_MAILBOX ||
                        (f == MP_IMAP_F_QUOTA_ROOT && ev->resp == MP_IMAP_RESP_QUOTAROOT) ||
                        ((f == MP_IMAP_F_FLAG || f == MP_IMAP_F_MBX_ATTR) &&
                         (w->quirks & MP_IMAP_Q_FLAG_CHARS))))
        return atom_ok(a, "%*");
    return atom_ok(a, "%*]");
}

/* A number; the peer's digits ("007") are kept when they say the same. */
static void put_number(mp_outbuf *ob, const mp_imap_resp_event *ev)
{
    uint64_t v;
    if (ev->str.len > 0 && mp_parse_u64(ev->str, UINT64_MAX, &v) == MP_OK && v == ev->num)
        mp_outbuf_put(ob, ev->str.ptr, ev->str.len);
    else
        mp_outbuf_put_u64(ob, ev->num);
}

static mp_status write_value(mp_imap_resp_writer *w, const mp_imap_resp_event *ev)
{
    int eight = allow_8bit(w->mode, w->quirks);
    mp_outbuf *ob = w->ob;
    switch (ev->field) {
    case MP_IMAP_F_FETCH_ITEM:
        if (!atom_ok(ev->str, "[]<") || ev->str.ptr[0] == '\\')
            return MP_ERR_BAD_VALUE;
        separate(w, ev->field, 0);
        mp_outbuf_put(ob, ev->str.ptr, ev->str.len);
        w->s.fname = FN_NAME;
        return MP_OK;
    case MP_IMAP_F_SECTION:
        if (w->s.fname != FN_NAME || (ev->str.len && !atom_ok(ev->str, "[]<>\\")))
            return MP_ERR_STATE;
        mp_outbuf_putc(ob, '[');
        mp_outbuf_put(ob, ev->str.ptr, ev->str.len);
        w->s.fname = FN_SECT;
        return MP_OK;
    case MP_IMAP_F_SECTION_HEADER:
        if (w->s.fname != FN_SECT && w->s.fname != FN_HDRS)
            return MP_ERR_STATE;
        mp_outbuf_puts(ob, w->s.fname == FN_SECT ? " (" : " ");
        w->s.fname = FN_HDRS;
        if (ev->vtype == MP_IMAP_V_STRING)
            return put_string(ob, eight, ev->str, ev->flags);
        /* header-fld-name = astring (read with the ASTRING class) */
        if (!atom_ok(ev->str, "%*") || ev->str.ptr[0] == '\\')
            return MP_ERR_BAD_VALUE;
        mp_outbuf_put(ob, ev->str.ptr, ev->str.len);
        return MP_OK;
    case MP_IMAP_F_PARTIAL:
        if (w->s.fname != FN_SECT && w->s.fname != FN_HDRS)
            return MP_ERR_STATE;
        close_section(w);
        mp_outbuf_putc(ob, '<');
        put_number(ob, ev);
        mp_outbuf_putc(ob, '>');
        return MP_OK;
    default:
        break;
    }
    separate(w, ev->field, 0);
    switch (ev->vtype) {
    case MP_IMAP_V_NUMBER:
        put_number(ob, ev);
        return MP_OK;
    case MP_IMAP_V_NIL:
        mp_outbuf_puts(ob, "NIL");
        return MP_OK;
    case MP_IMAP_V_STRING:
        /* a host's UTF-8 mailbox name in rev1; parsed names carry
         * MP_IMAP_EVF_MUTF7 and go out as they came */
        if (ev->field == MP_IMAP_F_MAILBOX && !(w->mode & (MP_IMAP_UTF8 | MP_IMAP_REV2)) &&
            !(ev->flags & (MP_IMAP_EVF_MUTF7 | MP_IMAP_EVF_LITERAL)))
            return put_mailbox(ob, ev->str);
        return put_string(ob, eight, ev->str, ev->flags);
    case MP_IMAP_V_ATOM:
        if (!value_atom_ok(w, ev, ev->str) || ev->str.ptr[0] == '\\')
            return MP_ERR_BAD_VALUE;
        mp_outbuf_put(ob, ev->str.ptr, ev->str.len);
        return MP_OK;
    case MP_IMAP_V_FLAG:
        if (ev->str.len < 2 || ev->str.ptr[0] != '\\')
            return MP_ERR_BAD_VALUE;
        /* flag-perm "\*", else "\" atom */
        if (!(ev->str.len == 2 && ev->str.ptr[1] == '*') &&
            !value_atom_ok(w, ev, mp_slice_make(ev->str.ptr + 1, ev->str.len - 1)))
            return MP_ERR_BAD_VALUE;
        mp_outbuf_put(ob, ev->str.ptr, ev->str.len);
        return MP_OK;
    case MP_IMAP_V_TEXT:
        if (ev->str.len == 0 || !text_ok(ev->str, eight, 1))
            return MP_ERR_BAD_VALUE;
        mp_outbuf_put(ob, ev->str.ptr, ev->str.len);
        return MP_OK;
    default:
        return MP_ERR_BAD_VALUE;
    }
}

static mp_status write_begin(mp_imap_resp_writer *w, const mp_imap_resp_event *ev)
{
    mp_outbuf *ob = w->ob;
    if ((unsigned)ev->resp == MP_IMAP_RESP_NONE || (unsigned)ev->resp >= MP_IMAP_RESP_COUNT_)
        return MP_ERR_STATE;
    if (ev->resp == MP_IMAP_RESP_CONTINUE) {
        mp_outbuf_putc(ob, '+');
    } else if (ev->str.len > 0) {
        size_t k;
        for (k = 0; k < ev->str.len; k++) {
            unsigned char c = (unsigned char)ev->str.ptr[k];
            if (c <= 0x20 || c >= 0x7f || c == '+' || c == '(' || c == ')' || c == '{' ||
                c == '%' || c == '*' || c == '"' || c == '\\')
                return MP_ERR_BAD_VALUE;
        }
        if (ev->resp != MP_IMAP_RESP_OK && ev->resp != MP_IMAP_RESP_NO &&
            ev->resp != MP_IMAP_RESP_BAD)
            return MP_ERR_STATE;
        mp_outbuf_put(ob, ev->str.ptr, ev->str.len);
        mp_outbuf_putc(ob, ' ');
        mp_outbuf_puts(ob, resp_words[ev->resp]);
    } else {
        mp_outbuf_putc(ob, '*');
        if (ev->flags & MP_IMAP_EVF_NUMBERED) {
            mp_outbuf_putc(ob, ' ');
            mp_outbuf_put_u64(ob, ev->num);
        }
        if (ev->resp != MP_IMAP_RESP_UNKNOWN) {
            mp_outbuf_putc(ob, ' ');
            mp_outbuf_puts(ob, resp_words[ev->resp]);
        }
    }
    w->s.in_resp = 1;
    w->s.sp = 1;
    w->s.coded = 0;
    w->s.fname = FN_NONE;
    w->s.lv[0].n = 1; /* the response name is the first element */
    w->s.lv[0].prev = 0;
    return MP_OK;
}

static mp_status write_event(mp_imap_resp_writer *w, const mp_imap_resp_event *ev)
{
    mp_outbuf *ob = w->ob;
    int eight = allow_8bit(w->mode, w->quirks);
    if (ev->type == MP_IMAP_EV_ERROR)
        return MP_OK;
    if (ev->type == MP_IMAP_EV_BEGIN) {
        if (w->s.in_resp)
            return MP_ERR_STATE;
        return write_begin(w, ev);
    }
    if (!w->s.in_resp)
        return MP_ERR_STATE;
    if (w->s.in_lit && ev->type != MP_IMAP_EV_LITERAL_CHUNK && ev->type != MP_IMAP_EV_LITERAL_END)
        return MP_ERR_STATE;
    switch (ev->type) {
    case MP_IMAP_EV_CODE:
        if (w->s.sp != 1 || !atom_ok(ev->str, "]") || ev->str.ptr[0] == '\\')
            return MP_ERR_BAD_VALUE;
        mp_outbuf_puts(ob, " [");
        mp_outbuf_put(ob, ev->str.ptr, ev->str.len);
        w->s.lv[1].n = 1;
        w->s.lv[1].prev = 0;
        w->s.sp = 2;
        w->s.in_code = 1;
        return MP_OK;
    case MP_IMAP_EV_CODE_END:
        if (w->s.sp != 2 || !w->s.in_code)
            return MP_ERR_STATE;
        mp_outbuf_putc(ob, ']');
        w->s.sp = 1;
        w->s.in_code = 0;
        w->s.coded = 1;
        return MP_OK;
    case MP_IMAP_EV_TEXT:
        if (w->s.sp != 1 || w->s.in_code || !text_ok(ev->str, eight, 0))
            return MP_ERR_BAD_VALUE;
        /* resp-text: a leading "[" would read as a response code, unless
         * one was written already (RFC 9051 resp-text) */
        if (ev->str.len > 0 && ev->str.ptr[0] == '[' && !w->s.coded)
            return MP_ERR_BAD_VALUE;
        mp_outbuf_putc(ob, ' ');
        mp_outbuf_put(ob, ev->str.ptr, ev->str.len);
        return MP_OK;
    case MP_IMAP_EV_VALUE:
        return write_value(w, ev);
    case MP_IMAP_EV_LIST_BEGIN:
        if (w->s.sp >= MP_IMAP_MAX_DEPTH + 2u)
            return MP_ERR_STATE;
        separate(w, ev->field, 1);
        w->s.fname = FN_NONE;
        mp_outbuf_putc(ob, '(');
        w->s.lv[w->s.sp].n = 0;
        w->s.lv[w->s.sp].prev = 0;
        w->s.sp++;
        return MP_OK;
    case MP_IMAP_EV_LIST_END:
        if (w->s.sp < 2)
            return MP_ERR_STATE;
        close_section(w);
        w->s.fname = FN_NONE;
        mp_outbuf_putc(ob, ')');
        w->s.sp--;
        w->s.lv[w->s.sp - 1].prev = (uint8_t)ev->field;
        return MP_OK;
    case MP_IMAP_EV_LITERAL_BEGIN:
        separate(w, ev->field, 0);
        w->s.fname = FN_NONE;
        if (ev->flags & MP_IMAP_EVF_QUOTED) {
            /* a long quoted string, streamed: its length is not known */
            if (ev->flags & MP_IMAP_EVF_BINARY)
                return MP_ERR_BAD_VALUE;
            mp_outbuf_putc(ob, '"');
            w->s.in_lit = 1;
            w->s.lit_quoted = 1;
            w->s.lit_u8 = MP_UTF8_ACCEPT;
            w->s.lit_binary = 0;
            w->s.lit_left = UINT64_MAX;
            return MP_OK;
        }
        if (ev->flags & MP_IMAP_EVF_BINARY)
            mp_outbuf_putc(ob, '~');
        mp_outbuf_putc(ob, '{');
        mp_outbuf_put_u64(ob, ev->num);
        mp_outbuf_puts(ob, "}\r\n");
        w->s.in_lit = 1;
        w->s.lit_binary = (ev->flags & MP_IMAP_EVF_BINARY) != 0;
        w->s.lit_left = ev->num;
        return MP_OK;
    case MP_IMAP_EV_LITERAL_CHUNK:
        if (!w->s.in_lit || (uint64_t)ev->str.len > w->s.lit_left)
            return MP_ERR_STATE;
        if (w->s.lit_quoted) {
            int bad = 0;
            /* whole chunk or nothing: check it all before writing */
            if (quoted_scan(w, ev->str.ptr, ev->str.len, SIZE_MAX, &bad) != ev->str.len)
                return MP_ERR_BAD_VALUE;
            quoted_put(w, ev->str.ptr, ev->str.len);
            return MP_OK;
        }
        if (!w->s.lit_binary && ev->str.len > 0 && memchr(ev->str.ptr, 0, ev->str.len))
            return MP_ERR_BAD_VALUE;
        mp_outbuf_put(ob, ev->str.ptr, ev->str.len);
        w->s.lit_left -= ev->str.len;
        return MP_OK;
    case MP_IMAP_EV_LITERAL_END:
        if (w->s.in_lit && w->s.lit_quoted) {
            if (w->s.lit_u8 != MP_UTF8_ACCEPT)
                return MP_ERR_BAD_VALUE; /* a UTF-8 sequence cut short */
            mp_outbuf_putc(ob, '"');
            w->s.in_lit = 0;
            w->s.lit_quoted = 0;
            return MP_OK;
        }
        if (!w->s.in_lit || w->s.lit_left != 0)
            return MP_ERR_STATE;
        w->s.in_lit = 0;
        return MP_OK;
    case MP_IMAP_EV_END:
        if (w->s.sp != 1)
            return MP_ERR_STATE;
        close_section(w);
        mp_outbuf_puts(ob, "\r\n");
        w->s.in_resp = 0;
        w->s.sp = 0;
        w->s.fname = FN_NONE;
        return MP_OK;
    default:
        return MP_ERR_STATE;
    }
}

static mp_status write_per_element(mp_imap_resp_writer *w, const mp_imap_resp_event *ev)
{
    /* Roll back the writer state too when the element does not fit. */
    mp_imap_resp_wstate_ saved = w->s;
    size_t m = mp_outbuf_mark(w->ob);
    mp_status st = write_event(w, ev);
    if (st == MP_OK)
        st = mp_outbuf_commit(w->ob, m);
    else
        mp_outbuf_rollback(w->ob, m);
    if (st != MP_OK)
        w->s = saved;
    return st;
}

/* Whole units: BEGIN..END, or split at a streamed literal (imap.h). */
static mp_status write_whole(mp_imap_resp_writer *w, const mp_imap_resp_event *ev)
{
    mp_status st;
    if (ev->type == MP_IMAP_EV_ERROR)
        return MP_OK;
    if (w->s.in_lit)
        return write_per_element(w, ev); /* payload chunks, LITERAL_END */
    if ((ev->type == MP_IMAP_EV_BEGIN && !w->s.in_resp) ||
        (w->s.in_resp && w->seg_mark == (size_t)-1)) {
        /* a unit starts: at BEGIN, or at the first event after a literal
         * (the host may have sent output in between) */
        w->seg = w->s;
        w->seg_mark = mp_outbuf_mark(w->ob);
    }
    st = write_event(w, ev);
    if (st == MP_OK && ev->type != MP_IMAP_EV_LITERAL_BEGIN && ev->type != MP_IMAP_EV_END)
        return MP_OK; /* the unit goes on; an overflow is only counted */
    if (st == MP_OK)
        st = mp_outbuf_commit(w->ob, w->seg_mark);
    else
        mp_outbuf_rollback(w->ob, w->seg_mark);
    if (st != MP_OK) {
        w->s = w->seg;
        return st;
    }
    return MP_OK;
}

mp_status mp_imap_resp_write(mp_imap_resp_writer *w, const mp_imap_resp_event *ev)
{
    mp_status st;
    int was_lit;
    if (w == NULL || ev == NULL || w->ob == NULL)
        return MP_ERR_ARG;
    if (!w->whole)
        return write_per_element(w, ev);
    was_lit = w->s.in_lit;
    st = write_whole(w, ev);
    if (st == MP_OK && was_lit && ev->type == MP_IMAP_EV_LITERAL_END)
        w->seg_mark = (size_t)-1; /* the rest of the response is the next unit */
    return st;
}

void mp_imap_resp_writer_per_element(mp_imap_resp_writer *w) { w->whole = 0; }

int mp_imap_resp_writer_busy(const mp_imap_resp_writer *w) { return w->s.in_resp; }

mp_status mp_imap_resp_write_literal_data(mp_imap_resp_writer *w, const char *p, size_t n,
                                          size_t *taken)
{
    size_t k = n, room;
    const char *nul;
    *taken = 0;
    if (!w->s.in_lit)
        return MP_ERR_STATE;
    if (w->s.lit_quoted) {
        /* as much as fits once escaped; a byte a quoted string cannot
         * hold stops it */
        int bad = 0;
        size_t ok = quoted_scan(w, p, n, mp_outbuf_room(w->ob), &bad);
        quoted_put(w, p, ok);
        *taken = ok;
        return bad ? MP_ERR_BAD_VALUE : MP_OK;
    }
    if ((uint64_t)k > w->s.lit_left)
        k = (size_t)w->s.lit_left;
    room = mp_outbuf_room(w->ob);
    if (k > room)
        k = room;
    if (!w->s.lit_binary && k > 0 && (nul = memchr(p, 0, k)) != NULL) {
        size_t before = (size_t)(nul - p);
        mp_outbuf_put(w->ob, p, before);
        w->s.lit_left -= before;
        *taken = before;
        return MP_ERR_BAD_VALUE;
    }
    mp_outbuf_put(w->ob, p, k);
    w->s.lit_left -= k;
    *taken = k;
    return MP_OK;
}

mp_status mp_imap_resp_write_status(mp_imap_resp_writer *w, const char *tag,
                                    mp_imap_resp_kind kind, const char *code, const char *text)
{
    mp_imap_resp_event ev;
    mp_outbuf *ob = w->ob;
    size_t m;
    mp_status st;
    if (w->s.in_resp)
        return MP_ERR_STATE;
    if (kind != MP_IMAP_RESP_OK && kind != MP_IMAP_RESP_NO && kind != MP_IMAP_RESP_BAD &&
        kind != MP_IMAP_RESP_BYE && kind != MP_IMAP_RESP_PREAUTH &&
        kind != MP_IMAP_RESP_CONTINUE)
        return MP_ERR_ARG;
    if (tag && *tag && (kind == MP_IMAP_RESP_BYE || kind == MP_IMAP_RESP_PREAUTH ||
                        kind == MP_IMAP_RESP_CONTINUE))
        return MP_ERR_ARG;
    m = mp_outbuf_mark(ob);
    memset(&ev, 0, sizeof(ev));
    ev.type = MP_IMAP_EV_BEGIN;
    ev.resp = kind;
    if (tag)
        ev.str = mp_slice_make(tag, strlen(tag));
    st = write_event(w, &ev);
    if (st == MP_OK && code) {
        mp_slice c = mp_slice_make(code, strlen(code));
        if (c.len == 0 || !text_ok(c, 0, 1) || c.ptr[0] == ' ' || c.ptr[0] == '\\') {
            st = MP_ERR_BAD_VALUE;
        } else {
            mp_outbuf_puts(ob, " [");
            mp_outbuf_put(ob, c.ptr, c.len);
            mp_outbuf_putc(ob, ']');
        }
    }
    if (st == MP_OK && text) {
        ev.type = MP_IMAP_EV_TEXT;
        ev.str = mp_slice_make(text, strlen(text));
        st = write_event(w, &ev);
    }
    if (st == MP_OK) {
        ev.type = MP_IMAP_EV_END;
        st = write_event(w, &ev);
    }
    w->s.in_resp = 0;
    w->s.sp = 0;
    if (st != MP_OK) {
        mp_outbuf_rollback(ob, m);
        return st;
    }
    return mp_outbuf_commit(ob, m);
}
