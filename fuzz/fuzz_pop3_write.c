/* libFuzzer target: the POP3 writers of both sides against the parsers
 * of the other side (one grammar).  Byte 0 picks what is written:
 *  - a command from fuzzer bytes (verb, arguments, numbers): when
 *    mp_pop3_write_command() writes it, mp_pop3_cmd_parse() must read the
 *    same command back; when it refuses, the parser must not accept the
 *    naive line with the same fields (the writer refuses nothing the
 *    parser takes, except what the parser would read differently);
 *  - a status line (ok, code, text): written, it parses to the same code
 *    and text; refused, the naive line does not parse to them;
 *  - a capability set: written, it parses back to the same set;
 *  - the TOP cutter: any split of a message cuts at the same byte. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/pop3.h"

static int eq(mp_slice a, mp_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Split data[0..n) at the first 0xff: the two parts. */
static void split2(const uint8_t *d, size_t n, mp_slice *a, mp_slice *b)
{
    const uint8_t *x = memchr(d, 0xff, n);
    size_t k = x ? (size_t)(x - d) : n;
    *a = mp_slice_make((const char *)d, k);
    *b = x ? mp_slice_make((const char *)d + k + 1, n - k - 1) : mp_slice_make(NULL, 0);
}

static void put(char *o, size_t *n, size_t cap, const char *p, size_t k)
{
    if (k == 0) {
        return;
    } else if (*n + k <= cap) {
        memcpy(o + *n, p, k);
        *n += k;
    } else {
        *n = cap + 1;
    }
}

static void put_u(char *o, size_t *n, size_t cap, uint32_t v)
{
    char t[16];
    int k = 15;
    t[15] = 0;
    do {
        t[--k] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v && k > 0);
    put(o, n, cap, t + k, (size_t)(15 - k));
}

static void do_command(const uint8_t *d, size_t n)
{
    static char w[2048], naive[2048];
    mp_pop3_cmd c, back;
    mp_pop3_limits lim = { 0, 0 };
    mp_outbuf ob;
    mp_error e;
    mp_status st;
    unsigned flags;
    size_t nl = 0;
    int numeric;
    if (n < 6)
        return;
    memset(&c, 0, sizeof(c));
    c.verb = (mp_pop3_verb)(d[0] % 19u);
    c.has_arg = d[1] & 1u;
    c.has_arg2 = (d[1] >> 1) & 1u;
    flags = (d[1] >> 2) & 3u;
    lim.arg = (d[1] & 0x10u) ? 100u : 0u;
    c.msgno = (uint32_t)d[2] | ((uint32_t)d[3] << 8) | ((uint32_t)(d[4] & 0x80u) << 24);
    c.lines = (uint32_t)d[5] * 3u;
    split2(d + 6, n - 6, &c.arg, &c.arg2);
    mp_outbuf_init(&ob, w, sizeof(w));
    st = mp_pop3_write_command(&ob, &c, flags, &lim);
    numeric = c.verb == MP_POP3_LIST || c.verb == MP_POP3_UIDL || c.verb == MP_POP3_RETR ||
              c.verb == MP_POP3_DELE || c.verb == MP_POP3_TOP;
    if (st == MP_OK) {
        if (ob.len < 2 || mp_pop3_cmd_parse(w, ob.len - 2, flags, &lim, &back, &e) != MP_OK)
            abort();
        if (back.verb != c.verb || back.has_arg != c.has_arg || back.has_arg2 != c.has_arg2)
            abort();
        if (numeric ? (back.msgno != (c.has_arg ? c.msgno : 0u) ||
                       (c.verb == MP_POP3_TOP && back.lines != c.lines))
                    : (!eq(back.arg, c.has_arg ? c.arg : mp_slice_make(NULL, 0)) ||
                       !eq(back.arg2, c.has_arg2 ? c.arg2 : mp_slice_make(NULL, 0))))
            abort();
        return;
    }
    if (st == MP_ERR_NO_SPACE || c.verb == MP_POP3_NONE || c.verb >= MP_POP3_VERB_COUNT_ ||
        (c.has_arg2 && !c.has_arg))
        return;
    /* Refused: the naive line must not parse to the same command. */
    put(naive, &nl, sizeof(naive), mp_pop3_verb_name(c.verb), strlen(mp_pop3_verb_name(c.verb)));
    if (c.has_arg) {
        put(naive, &nl, sizeof(naive), " ", 1);
        if (numeric)
            put_u(naive, &nl, sizeof(naive), c.msgno);
        else
            put(naive, &nl, sizeof(naive), c.arg.ptr, c.arg.len);
    }
    if (c.has_arg2) {
        put(naive, &nl, sizeof(naive), " ", 1);
        if (numeric)
            put_u(naive, &nl, sizeof(naive), c.lines);
        else
            put(naive, &nl, sizeof(naive), c.arg2.ptr, c.arg2.len);
    }
    if (nl > sizeof(naive))
        return;
    if (mp_pop3_cmd_parse(naive, nl, flags, &lim, &back, &e) != MP_OK)
        return;
    if (back.verb == c.verb && back.has_arg == c.has_arg && back.has_arg2 == c.has_arg2 &&
        (numeric ? back.msgno == c.msgno && (c.verb != MP_POP3_TOP || back.lines == c.lines)
                 : eq(back.arg, c.arg) && eq(back.arg2, c.arg2)))
        abort(); /* the writer refused what the parser takes */
}

static void do_status(const uint8_t *d, size_t n)
{
    static char w[4096], lb[MP_POP3_MAX_RESPONSE_LINE];
    mp_slice code, text;
    mp_outbuf ob;
    mp_pop3_resp_parser p;
    mp_pop3_resp_event ev;
    size_t used;
    mp_status st;
    int ok;
    if (n < 1)
        return;
    ok = d[0] & 1;
    split2(d + 1, n - 1, &code, &text);
    mp_outbuf_init(&ob, w, sizeof(w));
    st = mp_pop3_write_status(&ob, ok, code, text);
    if (mp_pop3_resp_init(&p, lb, sizeof(lb), NULL) != MP_OK ||
        mp_pop3_resp_expect(&p, MP_POP3_EXPECT_STATUS) != MP_OK)
        abort();
    if (st == MP_OK) {
        if (mp_pop3_resp_next(&p, w, ob.len, &used, &ev) != MP_OK || used != ob.len ||
            ev.type != MP_POP3_EV_STATUS || ev.ok != ok || !eq(ev.code_text, code) ||
            !eq(ev.text, text))
            abort();
        return;
    }
    if (st == MP_ERR_NO_SPACE)
        return;
    /* Refused: the naive line does not read as this code and text. */
    {
        size_t k = 0;
        put(w, &k, sizeof(w), ok ? "+OK" : "-ERR", ok ? 3u : 4u);
        if (code.len) {
            put(w, &k, sizeof(w), " [", 2);
            put(w, &k, sizeof(w), code.ptr, code.len);
            put(w, &k, sizeof(w), "]", 1);
        }
        if (text.len) {
            put(w, &k, sizeof(w), " ", 1);
            put(w, &k, sizeof(w), text.ptr, text.len);
        }
        put(w, &k, sizeof(w), "\r\n", 2);
        if (k > sizeof(w))
            return;
        if (mp_pop3_resp_next(&p, w, k, &used, &ev) == MP_OK && used == k && ev.ok == ok &&
            eq(ev.code_text, code) && eq(ev.text, text))
            abort();
    }
}

static void do_capa(const uint8_t *d, size_t n)
{
    static char w[4096];
    mp_pop3_caps c, back;
    mp_outbuf ob;
    mp_slice impl;
    size_t i = 0;
    if (n < 16)
        return;
    memcpy(&c, d, sizeof(c) <= 16 ? sizeof(c) : 16);
    c.flags &= 0x71fffu;
    impl = mp_slice_make((const char *)d + 16, n - 16);
    mp_outbuf_init(&ob, w, sizeof(w));
    if (mp_pop3_write_capa(&ob, &c, impl) != MP_OK)
        return;
    mp_pop3_caps_init(&back);
    while (i < ob.len) {
        const char *e = memchr(w + i, '\r', ob.len - i);
        uint32_t bit;
        if (e == NULL ||
            mp_pop3_caps_parse_line(&back, mp_slice_make(w + i, (size_t)(e - w) - i), &bit) !=
                MP_OK ||
            bit == 0)
            abort();
        i = (size_t)(e - w) + 2u;
    }
    /* What was written reads back: the flags, the known mechanisms, the
     * values of the capabilities that carry them. */
    if (back.flags != (c.flags & ~(uint32_t)((c.flags & MP_POP3_CAP_LOGIN_DELAY ? 0u
                                                : MP_POP3_CAP_LOGIN_DELAY_USER) |
                                           (c.flags & MP_POP3_CAP_EXPIRE ? 0u
                                                : MP_POP3_CAP_EXPIRE_USER) |
                                           (c.flags & MP_POP3_CAP_UTF8 ? 0u
                                                : MP_POP3_CAP_UTF8_USER))))
        abort();
    if ((c.flags & MP_POP3_CAP_SASL) && back.sasl != (c.sasl & 0x7feu))
        abort();
    if ((c.flags & MP_POP3_CAP_LOGIN_DELAY) && back.login_delay != c.login_delay)
        abort();
    if ((c.flags & MP_POP3_CAP_EXPIRE) && back.expire != c.expire)
        abort();
}

static void do_top(const uint8_t *d, size_t n)
{
    size_t whole = 0, cut = 0, i = 0, take;
    unsigned piece;
    mp_pop3_top_cutter t;
    if (n < 2)
        return;
    piece = 1u + d[1] % 13u;
    mp_pop3_top_init(&t, d[0] % 8u);
    if (mp_pop3_top_cut(&t, (const char *)d + 2, n - 2, &whole) == MP_DONE &&
        mp_pop3_top_cut(&t, "x", 1, &take) != MP_DONE)
        abort();
    mp_pop3_top_init(&t, d[0] % 8u);
    while (i < n - 2) {
        size_t k = n - 2 - i < piece ? n - 2 - i : piece;
        mp_status st = mp_pop3_top_cut(&t, (const char *)d + 2 + i, k, &take);
        if (take > k)
            abort();
        cut += take;
        if (st == MP_DONE)
            break;
        i += k;
    }
    if (cut != whole)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    switch (data[0] & 3u) {
    case 0: do_command(data + 1, size - 1); break;
    case 1: do_status(data + 1, size - 1); break;
    case 2: do_capa(data + 1, size - 1); break;
    default: do_top(data + 1, size - 1); break;
    }
    return 0;
}
