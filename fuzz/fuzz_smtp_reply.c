/* libFuzzer target: SMTP reply parser (client side) and EHLO keywords.
 * Oracles beyond "no crash":
 *  - split invariance: the events (lines, errors with offsets) of the whole
 *    input equal those of the input fed in pieces whose size comes from
 *    the first byte;
 *  - round trip: every complete reply, re-serialized by a small formatter
 *    below, parses back to the same lines;
 *  - a line's text never holds CR, LF or NUL, and its code is in range. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/smtp_client.h"

#include "fuzz_split.h"

/* The digests are fuzz_split.h's; the feed loop stays here because it
 * keeps two of them (every event, and complete replies only) plus the
 * round-trip copy. */
static void mix_line(fuzz_digest *d, const mp_smtp_reply_line *l)
{
    unsigned v[5];
    v[0] = l->code;
    v[1] = (unsigned)l->last;
    v[2] = l->esc.cls;
    v[3] = l->esc.subject;
    v[4] = l->esc.detail;
    fuzz_digest_event(d, "line", v, sizeof(v));
    fuzz_digest_event(d, "esc", l->enhanced.ptr, l->enhanced.len);
    fuzz_digest_event(d, "text", l->text.ptr, l->text.len);
}

/* Complete replies re-serialized ("code sep [enhanced SP] text CRLF"). */
#define RT_CAP (1u << 16)
typedef struct rt {
    char buf[RT_CAP];
    size_t len, reply_start;
    int overflow;
} rt;

static void rt_put(rt *r, const char *p, size_t n)
{
    if (r->len + n > RT_CAP) {
        r->overflow = 1;
        return;
    }
    memcpy(r->buf + r->len, p, n);
    r->len += n;
}

static void rt_line(rt *r, const mp_smtp_reply_line *l)
{
    char head[4];
    head[0] = (char)('0' + l->code / 100);
    head[1] = (char)('0' + l->code / 10 % 10);
    head[2] = (char)('0' + l->code % 10);
    head[3] = l->last ? ' ' : '-';
    rt_put(r, head, 4);
    if (l->enhanced.len) {
        rt_put(r, l->enhanced.ptr, l->enhanced.len);
        if (l->text.len)
            rt_put(r, " ", 1);
    }
    rt_put(r, l->text.ptr, l->text.len);
    rt_put(r, "\r\n", 2);
    if (l->last)
        r->reply_start = r->len;
}

static char linebuf[MP_SMTP_MAX_REPLY_LINE];

/* Feeds `data` in pieces of `step`; the digest covers complete replies
 * (`whole`) or everything (`all`). */
static void run(const uint8_t *data, size_t size, size_t step, unsigned flags, fuzz_digest *all,
                fuzz_digest *replies, rt *r)
{
    mp_smtp_reply_parser p;
    size_t off = 0;
    fuzz_digest pend;
    fuzz_digest_init(all);
    fuzz_digest_init(replies);
    fuzz_digest_init(&pend);
    if (r) {
        r->len = r->reply_start = 0;
        r->overflow = 0;
    }
    if (mp_smtp_reply_parser_init(&p, linebuf, sizeof(linebuf), MP_SMTP_MAX_REPLY_LINE, 8,
                                  flags) != MP_OK)
        abort();
    while (off < size) {
        size_t piece = size - off < step ? size - off : step;
        const char *in = (const char *)data + off;
        size_t left = piece;
        while (left > 0) {
            size_t used = 0;
            mp_smtp_reply_line l;
            mp_status st = mp_smtp_reply_parser_next(&p, in, left, &used, &l);
            if (used > left)
                abort();
            if (st == MP_OK) {
                if (l.code < 200 || l.code > 559 || memchr(l.text.ptr, '\r', l.text.len) ||
                    memchr(l.text.ptr, '\n', l.text.len) || memchr(l.text.ptr, 0, l.text.len))
                    abort();
                {
                    uint32_t bit;
                    mp_smtp_caps caps;
                    mp_smtp_caps_init(&caps);
                    (void)mp_smtp_caps_parse_line(&caps, l.text, &bit);
                }
                mix_line(all, &l);
                mix_line(&pend, &l);
                if (r)
                    rt_line(r, &l);
                if (l.last) {
                    fuzz_digest_event(replies, "reply", &pend.h, sizeof(pend.h));
                    fuzz_digest_init(&pend);
                }
            } else if (st != MP_NEED_MORE) {
                fuzz_digest_u64(all, "st", (uint64_t)st);
                fuzz_digest_u64(all, "off", p.err.offset);
                fuzz_digest_init(&pend);
                if (r)
                    r->len = r->reply_start; /* drop the broken reply */
            } else if (used != left) {
                abort();
            }
            in += used;
            left -= used;
        }
        off += piece;
    }
    if (r)
        r->len = r->reply_start; /* an unfinished reply is not compared */
}

static rt rt1;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_digest whole, split, wr, sr, rr, dummy;
    unsigned flags;
    if (size < 1)
        return 0;
    flags = (data[0] & 0x80u) ? MP_SMTP_REPLY_ALLOW_LF : 0u;
    run(data + 1, size - 1, SIZE_MAX, flags, &whole, &wr, &rt1);
    run(data + 1, size - 1, (size_t)(data[0] & 0x0fu) + 1u, flags, &split, &sr, NULL);
    if (whole.h != split.h || whole.events != split.events)
        abort(); /* fragmentation changed the events */
    if (!rt1.overflow) {
        /* The re-serialized replies parse to the same complete replies. */
        static uint8_t copy[RT_CAP];
        size_t n = rt1.len;
        memcpy(copy, rt1.buf, n);
        run(copy, n, SIZE_MAX, 0, &dummy, &rr, NULL);
        if (rr.h != wr.h || rr.events != wr.events)
            abort();
    }
    return 0;
}
