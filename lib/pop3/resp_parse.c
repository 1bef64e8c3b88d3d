/* POP3 response parser, client side (RFC 1939 §3-§7, RFC 2449 §5-§8,
 * RFC 5034 §4).  Status and listing lines come from the core framer (zero
 * copy when a line lies in one input); multi-line content from the core
 * dot decoder, so its end is exactly CRLF "." CRLF (docs/security.md). */
#include <string.h>

#include "grammar.h"

enum {
    RS_IDLE = 0, /* between responses */
    RS_FIRST,    /* reading the first line */
    RS_LISTING,  /* reading the lines of a multi-line listing */
    RS_CONTENT,  /* reading multi-line content */
    RS_SKIP      /* skipping the rest of a first line that failed */
};

static const char *const expect_names[MP_POP3_EXPECT_COUNT_] = {
    "NONE", "GREETING", "STATUS", "STAT", "LIST_ONE", "UIDL_ONE", "LIST",
    "UIDL", "CAPA", "CONTENT", "LINES", "AUTH",
};

static const char *const ev_names[] = {
    "NONE", "STATUS", "CONTINUE", "LIST_ENTRY", "UIDL_ENTRY", "CAPA", "LINE", "CONTENT", "END",
};

const char *mp_pop3_expect_name(mp_pop3_expect e)
{
    return (unsigned)e < (unsigned)MP_POP3_EXPECT_COUNT_ ? expect_names[e] : "?";
}

const char *mp_pop3_ev_name(mp_pop3_ev e)
{
    return (unsigned)e < sizeof(ev_names) / sizeof(ev_names[0]) ? ev_names[e] : "?";
}

mp_pop3_expect mp_pop3_expect_of(mp_pop3_verb verb, int has_arg)
{
    switch (verb) {
    case MP_POP3_STAT:
        return MP_POP3_EXPECT_STAT;
    case MP_POP3_LIST:
        return has_arg ? MP_POP3_EXPECT_LIST_ONE : MP_POP3_EXPECT_LIST;
    case MP_POP3_UIDL:
        return has_arg ? MP_POP3_EXPECT_UIDL_ONE : MP_POP3_EXPECT_UIDL;
    case MP_POP3_CAPA:
        return MP_POP3_EXPECT_CAPA;
    case MP_POP3_RETR:
    case MP_POP3_TOP:
        return MP_POP3_EXPECT_CONTENT;
    case MP_POP3_AUTH:
        /* Without a mechanism: the pre-RFC 5034 listing of mechanisms. */
        return has_arg ? MP_POP3_EXPECT_AUTH : MP_POP3_EXPECT_LINES;
    case MP_POP3_LANG:
        /* RFC 6856 §3: LANG alone lists the languages. */
        return has_arg ? MP_POP3_EXPECT_STATUS : MP_POP3_EXPECT_LINES;
    case MP_POP3_USER:
    case MP_POP3_PASS:
    case MP_POP3_APOP:
    case MP_POP3_DELE:
    case MP_POP3_NOOP:
    case MP_POP3_RSET:
    case MP_POP3_QUIT:
    case MP_POP3_STLS:
    case MP_POP3_UTF8:
        return MP_POP3_EXPECT_STATUS;
    default:
        return MP_POP3_EXPECT_NONE;
    }
}

static void set_expect(mp_pop3_resp_parser *p, mp_pop3_expect what)
{
    p->expect = (uint8_t)what;
    /* RFC 5034 §4: the lines of an exchange may be longer than 512. */
    p->framer.max_line = what == MP_POP3_EXPECT_AUTH ? p->max_auth_line : p->max_line;
}


mp_status mp_pop3_resp_init(mp_pop3_resp_parser *p, char *buf, size_t cap,
                            const mp_pop3_resp_config *cfg)
{
    mp_status st = mp_pop3_resp_setup_(p, buf, cap, cfg);
    if (st == MP_OK)
        p->ops = &mp_pop3_resp_ops_full_;
    return st;
}

mp_status mp_pop3_resp_setup_(mp_pop3_resp_parser *p, char *buf, size_t cap,
                              const mp_pop3_resp_config *cfg)
{
    mp_status st;
    uint32_t ml, al;
    unsigned flags;
    if (p == NULL || buf == NULL)
        return MP_ERR_ARG;
    flags = cfg ? cfg->flags : 0u;
    ml = cfg && cfg->max_line ? cfg->max_line : MP_POP3_MAX_RESPONSE_LINE;
    al = cfg && cfg->max_auth_line ? cfg->max_auth_line
         : cap + 2u < MP_POP3_MAX_AUTH_LINE ? (uint32_t)(cap + 2u)
                                            : MP_POP3_MAX_AUTH_LINE;
    if (ml < 512u || al < 16u || ml > MP_MAX_LINE || al > MP_MAX_LINE || cap < (size_t)al - 2u)
        return MP_ERR_ARG;
    st = mp_line_framer_init(&p->framer, buf, cap, ml,
                             (flags & MP_POP3_RESP_LF_LINES) ? MP_LINE_ALLOW_LF : 0u);
    if (st != MP_OK)
        return st;
    mp_dot_decoder_init(&p->dot, MP_DOT_VERBATIM);
    p->ops = NULL;
    mp_pop3_caps_init(&p->caps);
    mp_error_set(&p->err, MP_OK, 0, NULL);
    mp_error_set(&p->body_err, MP_OK, 0, NULL);
    p->body_start = 0;
    p->max_body = cfg ? cfg->max_body : 0u;
    p->max_line = ml;
    p->max_auth_line = al;
    p->flags = (uint16_t)flags;
    p->state = RS_IDLE;
    set_expect(p, MP_POP3_EXPECT_GREETING);
    return MP_OK;
}

mp_status mp_pop3_resp_expect(mp_pop3_resp_parser *p, mp_pop3_expect what)
{
    if ((unsigned)what >= (unsigned)MP_POP3_EXPECT_COUNT_)
        return MP_ERR_ARG;
    /* A listing body needs its reader (a client session installs it when
     * it sends the command). */
    if (what >= MP_POP3_EXPECT_LIST && what <= MP_POP3_EXPECT_LINES && what != MP_POP3_EXPECT_CONTENT &&
        (p->ops == NULL || p->ops->listing == NULL))
        return MP_ERR_STATE;
    /* After a first line that failed, the rest of it is skipped first. */
    if (p->state != RS_IDLE && p->state != RS_SKIP)
        return MP_ERR_STATE;
    set_expect(p, what);
    return MP_OK;
}

mp_pop3_expect mp_pop3_resp_expecting(const mp_pop3_resp_parser *p)
{
    return (mp_pop3_expect)p->expect;
}

int mp_pop3_resp_busy(const mp_pop3_resp_parser *p)
{
    return p->state != RS_IDLE || mp_line_framer_pending(&p->framer) != 0;
}

size_t mp_pop3_resp_pending(const mp_pop3_resp_parser *p)
{
    return mp_line_framer_pending(&p->framer);
}

static mp_status fail(mp_pop3_resp_parser *p, mp_status code, uint64_t offset, const char *rule)
{
    return mp_error_set(&p->err, code, offset, rule);
}

/* The first line failed: whether a body follows is unknown, the response
 * and its expectation are dropped. */
static mp_status drop(mp_pop3_resp_parser *p, mp_status code, uint64_t offset, const char *rule)
{
    p->state = RS_IDLE;
    set_expect(p, MP_POP3_EXPECT_NONE);
    return fail(p, code, offset, rule);
}

static void ev_start(mp_pop3_resp_event *ev, mp_pop3_ev type, const mp_pop3_resp_parser *p,
                     uint64_t offset)
{
    memset(ev, 0, sizeof(*ev));
    ev->type = type;
    ev->expect = (mp_pop3_expect)p->expect;
    ev->offset = offset;
}

/* Up to the next SP in s[*i..n): the token, *i after the SP (or n). */
static mp_slice token(const char *s, size_t n, size_t *i)
{
    size_t b = *i;
    const char *sp = b < n ? memchr(s + b, ' ', n - b) : NULL;
    size_t e = sp ? (size_t)(sp - s) : n;
    *i = sp ? e + 1 : n;
    return mp_slice_make(s + b, e - b);
}

/*
 * RFC 1939 §5 drop listing "count SP size", scan listing "msg SP size",
 * §7 unique-id listing "msg SP unique-id": `a` is the count or message
 * number (min 0 or 1), then a size or a unique-id.  What follows a size is
 * free (RFC 1939 §5); nothing follows a unique-id.
 */
static mp_status listing(mp_pop3_resp_parser *p, const char *s, size_t n, uint64_t off, int uid,
                         uint32_t min, uint32_t *a, mp_pop3_resp_event *ev)
{
    size_t i = 0, b;
    mp_slice t = token(s, n, &i), u;
    if (i == n && (n == 0 || s[n - 1] != ' '))
        return fail(p, MP_ERR_POP3_LISTING, off + n, MP_RULE_("RFC 1939 5 listing"));
    if (mp_pop3_number_(t.ptr, t.len, min, a) != MP_OK)
        return fail(p, MP_ERR_POP3_NUMBER, off, MP_RULE_("RFC 1939 5 msg"));
    b = i;
    if (uid) {
        if (!mp_pop3_uid_valid_(s + b, n - b))
            return fail(p, MP_ERR_POP3_UID, off + b, MP_RULE_("RFC 1939 7 unique-id"));
        ev->uid = mp_slice_make(s + b, n - b);
        return MP_OK;
    }
    u = token(s, n, &i);
    if (mp_parse_u64(u, UINT64_MAX, &ev->size) != MP_OK)
        return fail(p, MP_ERR_POP3_NUMBER, off + b, MP_RULE_("RFC 1939 5 size"));
    ev->text = mp_slice_make(s + i, n - i);
    return MP_OK;
}

static mp_status first_line(mp_pop3_resp_parser *p, mp_slice line, mp_pop3_resp_event *ev)
{
    const char *s = line.ptr;
    size_t n = line.len, t, k, bad;
    uint64_t off = p->framer.line_start;
    mp_pop3_expect e = (mp_pop3_expect)p->expect;
    mp_status st = MP_OK;
    int ok;

    /* RFC 1939 §3: "+OK" / "-ERR", upper case, then SP and text or the
     * end.  RFC 5034 §4: continue-req = "+" SP [base64]. */
    if (n >= 3 && memcmp(s, "+OK", 3) == 0 && (n == 3 || s[3] == ' ')) {
        ok = 1;
        t = 3;
    } else if (n >= 4 && memcmp(s, "-ERR", 4) == 0 && (n == 4 || s[4] == ' ')) {
        ok = 0;
        t = 4;
    } else if (e == MP_POP3_EXPECT_AUTH && n >= 1 && s[0] == '+' &&
               ((n >= 2 && s[1] == ' ') || (n == 1 && (p->flags & MP_POP3_RESP_BARE_CONTINUE)))) {
        bad = mp_pop3_text_bad_(s, n);
        if (bad < n)
            return drop(p, MP_ERR_POP3_TEXT, off + bad, MP_RULE_("RFC 5034 4 continue-req"));
        ev_start(ev, MP_POP3_EV_CONTINUE, p, off);
        ev->text = mp_slice_make(s + (n > 1 ? 2u : 1u), n > 1 ? n - 2u : 0u);
        p->state = RS_IDLE;
        return MP_OK;
    } else {
        return drop(p, MP_ERR_POP3_STATUS, off, MP_RULE_("RFC 1939 3 status"));
    }
    bad = mp_pop3_text_bad_(s, n);
    if (bad < n)
        return drop(p, MP_ERR_POP3_TEXT, off + bad, MP_RULE_("RFC 2449 9 text"));
    t += t < n ? 1u : 0u;

    ev_start(ev, MP_POP3_EV_STATUS, p, off);
    ev->ok = ok;
    /* RFC 2449 §8: a response code first, "[" level *("/" level) "]". */
    k = mp_pop3_code_len_(s + t, n - t);
    if (k > 0) {
        ev->code_text = mp_slice_make(s + t + 1, k - 2);
        ev->code = mp_pop3_code_of(ev->code_text);
        t += k;
        t += t < n && s[t] == ' ' ? 1u : 0u;
    }
    ev->text = mp_slice_make(s + t, n - t);
    if (ok) {
        switch (e) {
        case MP_POP3_EXPECT_GREETING:
            if (p->ops != NULL && p->ops->timestamp != NULL)
                ev->timestamp = p->ops->timestamp(s + t, n - t);
            break;
        case MP_POP3_EXPECT_STAT:
            st = listing(p, s + t, n - t, off + t, 0, 0, &ev->count, ev);
            break;
        case MP_POP3_EXPECT_LIST_ONE:
            st = listing(p, s + t, n - t, off + t, 0, 1, &ev->msgno, ev);
            break;
        case MP_POP3_EXPECT_UIDL_ONE:
            st = listing(p, s + t, n - t, off + t, 1, 1, &ev->msgno, ev);
            break;
        default:
            break;
        }
        /* The STATUS text stays whole: the typed fields are read from it. */
        ev->text = mp_slice_make(s + t, n - t);
        if (st != MP_OK) {
            p->state = RS_IDLE;
            set_expect(p, MP_POP3_EXPECT_NONE);
            return st;
        }
        ev->multiline = e >= MP_POP3_EXPECT_LIST && e <= MP_POP3_EXPECT_LINES;
    }
    if (ev->multiline) {
        p->body_start = p->framer.pos;
        mp_error_set(&p->body_err, MP_OK, 0, NULL);
        if (e == MP_POP3_EXPECT_CAPA)
            mp_pop3_caps_init(&p->caps);
        if (e == MP_POP3_EXPECT_CONTENT) {
            unsigned f = p->flags;
            mp_dot_decoder_init(&p->dot, (f & MP_POP3_RESP_CONTENT_STRICT) ? MP_DOT_STRICT
                                         : (f & MP_POP3_RESP_CONTENT_NORMALIZE_LF)
                                             ? MP_DOT_NORMALIZE_LF
                                             : MP_DOT_VERBATIM);
            p->dot.pos = p->framer.pos;
            p->state = RS_CONTENT;
        } else {
            p->state = RS_LISTING;
        }
    } else {
        p->state = RS_IDLE;
        set_expect(p, MP_POP3_EXPECT_NONE);
    }
    return MP_OK;
}

/* One line of a listing body (un-stuffed already). */
static mp_status body_line(mp_pop3_resp_parser *p, const char *s, size_t n, uint64_t off,
                           mp_pop3_resp_event *ev)
{
    size_t bad = mp_pop3_text_bad_(s, n);
    mp_status st = MP_OK;
    if (bad < n)
        return fail(p, MP_ERR_POP3_TEXT, off + bad, MP_RULE_("RFC 2449 9 text"));
    switch ((mp_pop3_expect)p->expect) {
    case MP_POP3_EXPECT_LIST:
        ev_start(ev, MP_POP3_EV_LIST_ENTRY, p, off);
        st = listing(p, s, n, off, 0, 1, &ev->msgno, ev);
        break;
    case MP_POP3_EXPECT_UIDL:
        ev_start(ev, MP_POP3_EV_UIDL_ENTRY, p, off);
        st = listing(p, s, n, off, 1, 1, &ev->msgno, ev);
        break;
    case MP_POP3_EXPECT_CAPA:
        ev_start(ev, MP_POP3_EV_CAPA, p, off);
        ev->text = mp_slice_make(s, n);
        if (p->ops != NULL &&
            p->ops->capa_line(&p->caps, ev->text, &ev->cap) != MP_OK)
            st = fail(p, MP_ERR_POP3_LISTING, off, MP_RULE_("RFC 2449 6 capability"));
        break;
    default:
        ev_start(ev, MP_POP3_EV_LINE, p, off);
        ev->text = mp_slice_make(s, n);
        break;
    }
    return st;
}

static void end_event(mp_pop3_resp_parser *p, uint64_t off, const mp_error *err,
                      mp_pop3_resp_event *ev)
{
    ev_start(ev, MP_POP3_EV_END, p, off);
    ev->err = err;
    p->state = RS_IDLE;
    set_expect(p, MP_POP3_EXPECT_NONE);
}

/* The next line of a listing body (LIST, UIDL, CAPA, LINES) from
 * q[0..n): MP_OK with its event (or END at the final "."), MP_NEED_MORE
 * when the bytes used gave none (read on), or the line's error.  Reached
 * through p->ops, so that an image that never reads a listing does not
 * link it. */
static mp_status listing_step(mp_pop3_resp_parser *p, const char *q, size_t n, size_t *u,
                              mp_pop3_resp_event *ev)
{
    mp_slice s;
    mp_status st = mp_line_framer_next(&p->framer, q, n, u, &s);
    if (st == MP_NEED_MORE)
        return st;
    if (st != MP_OK) {
        if (p->body_err.code != MP_OK)
            return MP_NEED_MORE;
        p->err = p->framer.err;
        return st;
    }
    if (s.len == 1 && s.ptr[0] == '.') {
        end_event(p, p->framer.line_start, p->body_err.code != MP_OK ? &p->body_err : NULL, ev);
        return MP_OK;
    }
    if (p->body_err.code != MP_OK)
        return MP_NEED_MORE;
    /* RFC 1939 §3: a line starting with "." was byte-stuffed. */
    if (s.len > 0 && s.ptr[0] == '.')
        return body_line(p, s.ptr + 1, s.len - 1, p->framer.line_start + 1u, ev);
    return body_line(p, s.ptr, s.len, p->framer.line_start, ev);
}

const struct mp_pop3_resp_ops_ mp_pop3_resp_ops_full_ = {
    mp_pop3_caps_parse_line,
    mp_pop3_timestamp_find_,
    listing_step,
};

const struct mp_pop3_resp_ops_ mp_pop3_resp_ops_capa_ = {
    mp_pop3_caps_parse_line,
    NULL,
    listing_step,
};

const struct mp_pop3_resp_ops_ mp_pop3_resp_ops_list_ = {
    NULL,
    NULL,
    listing_step,
};

/* Bytes of in[0..n) the body may still take before its limit: n when
 * unlimited or already over (then nothing more is delivered anyway). */
static size_t body_room(const mp_pop3_resp_parser *p, uint64_t pos, size_t n)
{
    uint64_t done = pos - p->body_start;
    if (p->max_body == 0 || p->body_err.code != MP_OK)
        return n;
    return p->max_body - done < (uint64_t)n ? (size_t)(p->max_body - done) : n;
}

mp_status mp_pop3_resp_next(mp_pop3_resp_parser *p, const char *in, size_t len, size_t *used,
                            mp_pop3_resp_event *ev)
{
    size_t off = 0;
    *used = 0;
    if (in == NULL && len != 0)
        return MP_ERR_ARG;
    for (;;) {
        const char *q = in + off;
        size_t n = len - off, u = 0, room;
        mp_slice s;
        mp_status st;

        switch (p->state) {
        case RS_IDLE:
            if (n == 0)
                return MP_NEED_MORE;
            if (p->expect == MP_POP3_EXPECT_NONE)
                return fail(p, MP_ERR_POP3_UNEXPECTED, p->framer.pos,
                            MP_RULE_("RFC 1939 3 response"));
            p->state = RS_FIRST;
            continue;
        case RS_FIRST:
            st = mp_line_framer_next(&p->framer, q, n, &u, &s);
            *used = off + u;
            if (st == MP_NEED_MORE)
                return st;
            if (st != MP_OK) {
                p->err = p->framer.err;
                st = drop(p, st, p->err.offset, p->err.rule);
                /* The bad line's end may not have come yet: skip to it,
                 * so that the events do not depend on the split. */
                if (u == 0 || q[u - 1] != '\n')
                    p->state = RS_SKIP;
                return st;
            }
            return first_line(p, s, ev);
        case RS_SKIP: {
            const char *nl = memchr(q, '\n', n);
            u = nl ? (size_t)(nl - q) + 1u : n;
            off += u;
            *used = off;
            p->framer.pos += u;
            if (nl == NULL)
                return MP_NEED_MORE;
            mp_line_framer_reset(&p->framer);
            p->state = RS_IDLE;
            continue;
        }
        case RS_LISTING:
        case RS_CONTENT:
            room = body_room(p, p->state == RS_LISTING ? p->framer.pos : p->dot.pos, n);
            if (room == 0 && n > 0 && p->body_err.code == MP_OK) {
                /* The limit is reached and the body has not ended: an
                 * endless response is refused here, whatever the split. */
                mp_error_set(&p->body_err, MP_ERR_POP3_TOO_BIG, p->body_start + p->max_body,
                             "max_body");
                p->err = p->body_err;
                *used = off;
                return MP_ERR_POP3_TOO_BIG;
            }
            if (n == 0)
                return MP_NEED_MORE;
            if (p->state == RS_CONTENT)
                break;
            st = p->ops->listing(p, q, room, &u, ev);
            off += u;
            *used = off;
            if (st == MP_NEED_MORE)
                continue;
            return st;
        default:
            return MP_ERR_STATE;
        }

        /* RS_CONTENT */
        {
            uint64_t base = p->dot.pos;
            st = mp_dot_decoder_next(&p->dot, q, room, &u, &s);
            off += u;
            *used = off;
            if (st == MP_OK) {
                if (p->body_err.code != MP_OK)
                    continue;
                ev_start(ev, MP_POP3_EV_CONTENT, p,
                         s.ptr >= q && s.ptr < q + u ? base + (uint64_t)(s.ptr - q)
                                                     : base + u - (u > 0 ? 1u : 0u));
                ev->text = s;
                return MP_OK;
            }
            if (st == MP_DONE) {
                p->framer.pos = p->dot.pos;
                end_event(p, p->dot.pos - 3u,
                          p->body_err.code != MP_OK ? &p->body_err
                          : p->dot.err.code != MP_OK ? &p->dot.err
                                                     : NULL,
                          ev);
                return MP_OK;
            }
            if (st == MP_NEED_MORE)
                continue;
            if (p->body_err.code != MP_OK)
                continue;
            /* MP_POP3_RESP_CONTENT_STRICT: the body is poisoned. */
            p->err = p->dot.err;
            return st;
        }
    }
}
