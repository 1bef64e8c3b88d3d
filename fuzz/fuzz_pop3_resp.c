/* libFuzzer target: POP3 response parser (client side).  Byte 0 picks
 * the split step, byte 1 the parser flags and a body limit, bytes 2..9
 * the expectations of the responses (cycled, one per response).
 * Oracles beyond "no crash":
 *  - split invariance: the events of the whole input equal those of the
 *    input fed in pieces (content chunks hashed as one payload);
 *  - round trip: every event written back with the server's writers
 *    (status, challenge, listing lines, content through the dot encoder)
 *    and parsed again gives the same events, when every writer took it;
 *  - what the parser hands out obeys its grammar: unique-ids 1..70 octets
 *    of 0x21..0x7E, no CR/LF/NUL in any line, message numbers in range,
 *    no more content than max_body allows. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/pop3.h"

#include "fuzz_split.h"

#define WCAP (1u << 16)

typedef struct resp_state {
    mp_pop3_resp_parser p;
    mp_pop3_resp_config cfg;
    uint8_t expects[8];
    unsigned next;
    int stopped;
    char buf[MP_POP3_MAX_AUTH_LINE];
    /* the round trip */
    int record, wfail;
    char w[WCAP];
    mp_outbuf ob;
    mp_dot_encoder enc;
    uint64_t content;
} resp_state;

static resp_state S;

static void next_expect(resp_state *s)
{
    mp_pop3_expect e = (mp_pop3_expect)(1u + s->expects[s->next++ % 8u] % 11u);
    if (mp_pop3_resp_expect(&s->p, e) != MP_OK)
        abort();
}

static void reset(void *state)
{
    resp_state *s = state;
    if (mp_pop3_resp_init(&s->p, s->buf, sizeof(s->buf), &s->cfg) != MP_OK)
        abort();
    s->next = 0;
    s->stopped = 0;
    s->content = 0;
    next_expect(s);
    mp_outbuf_init(&s->ob, s->w, sizeof(s->w));
    s->wfail = 0;
}

static void clean(mp_slice t)
{
    if (t.len && (memchr(t.ptr, '\r', t.len) || memchr(t.ptr, '\n', t.len) ||
                  memchr(t.ptr, 0, t.len)))
        abort();
}

static void wr(resp_state *s, mp_status st)
{
    if (st != MP_OK)
        s->wfail = 1;
}

static void write_back(resp_state *s, const mp_pop3_resp_event *ev)
{
    char tmp[MP_POP3_MAX_AUTH_LINE];
    size_t n = 0, used;
    switch (ev->type) {
    case MP_POP3_EV_STATUS:
        wr(s, mp_pop3_write_status(&s->ob, ev->ok, ev->code_text, ev->text));
        if (ev->multiline && ev->expect == MP_POP3_EXPECT_CONTENT)
            mp_dot_encoder_init(&s->enc, 0);
        break;
    case MP_POP3_EV_CONTINUE:
        if (mp_base64_decode(ev->text.ptr, ev->text.len, tmp, sizeof(tmp), &n) != MP_OK)
            s->wfail = 1;
        else
            wr(s, mp_pop3_write_challenge(&s->ob, tmp, n));
        break;
    case MP_POP3_EV_LIST_ENTRY:
        if (ev->text.len)
            s->wfail = 1; /* free text after the size: not the writer's form */
        else
            wr(s, mp_pop3_write_list_entry(&s->ob, ev->msgno, ev->size));
        break;
    case MP_POP3_EV_UIDL_ENTRY:
        wr(s, mp_pop3_write_uidl_entry(&s->ob, ev->msgno, ev->uid));
        break;
    case MP_POP3_EV_CAPA:
    case MP_POP3_EV_LINE:
        wr(s, mp_pop3_write_line(&s->ob, ev->text));
        break;
    case MP_POP3_EV_CONTENT:
        if (mp_dot_encoder_update(&s->enc, ev->text.ptr, ev->text.len, &used, &s->ob) != MP_OK ||
            used != ev->text.len)
            s->wfail = 1;
        break;
    default:
        wr(s, ev->expect == MP_POP3_EXPECT_CONTENT ? mp_dot_encoder_finish(&s->enc, &s->ob)
                                                   : mp_pop3_write_end(&s->ob));
    }
}

static void check(resp_state *s, const mp_pop3_resp_event *ev)
{
    if (ev->type != MP_POP3_EV_CONTENT) {
        clean(ev->text);
        clean(ev->code_text);
    }
    if ((ev->type == MP_POP3_EV_UIDL_ENTRY ||
         (ev->type == MP_POP3_EV_STATUS && ev->ok && ev->expect == MP_POP3_EXPECT_UIDL_ONE)) &&
        (ev->uid.len < 1 || ev->uid.len > 70))
        abort();
    if ((ev->type == MP_POP3_EV_LIST_ENTRY || ev->type == MP_POP3_EV_UIDL_ENTRY) &&
        (ev->msgno < 1 || ev->msgno > MP_POP3_MSGNO_MAX))
        abort();
    if (ev->type == MP_POP3_EV_CONTENT) {
        s->content += ev->text.len;
        /* Content is never larger than the wire bytes allowed (+1: a
         * normalized LF grows to CRLF). */
        if (s->cfg.max_body && s->content > 2 * s->cfg.max_body)
            abort();
    }
    if (ev->type == MP_POP3_EV_END || ev->type == MP_POP3_EV_STATUS)
        s->content = 0;
}

static size_t step(void *state, const uint8_t *p, size_t n, fuzz_digest *d)
{
    resp_state *s = state;
    size_t used = 0;
    mp_pop3_resp_event ev;
    mp_status st;
    if (s->stopped)
        return n;
    st = mp_pop3_resp_next(&s->p, (const char *)p, n, &used, &ev);
    if (used > n)
        abort();
    if (st == MP_OK) {
        check(s, &ev);
        if (s->record)
            write_back(s, &ev);
        if (ev.type == MP_POP3_EV_CONTENT) {
            fuzz_digest_chunk(d, ev.text.ptr, ev.text.len);
        } else {
            uint64_t v[8] = { ev.type, ev.expect, (uint64_t)ev.ok, (uint64_t)ev.multiline,
                              ev.code, ev.msgno, ev.size, ev.cap };
            fuzz_digest_event(d, "ev", v, sizeof(v));
            fuzz_digest_event(d, "text", ev.text.ptr, ev.text.len);
            fuzz_digest_event(d, "uid", ev.uid.ptr, ev.uid.len);
            fuzz_digest_event(d, "ts", ev.timestamp.ptr, ev.timestamp.len);
            fuzz_digest_event(d, "code", ev.code_text.ptr, ev.code_text.len);
            fuzz_digest_u64(d, "err", ev.err ? ev.err->code : 0);
        }
        if ((ev.type == MP_POP3_EV_STATUS && !ev.multiline) || ev.type == MP_POP3_EV_END)
            next_expect(s);
    } else if (st == MP_ERR_POP3_UNEXPECTED) {
        s->stopped = 1;
        s->wfail = 1;
        fuzz_digest_u64(d, "unexpected", s->p.err.offset);
        return n;
    } else if (st != MP_NEED_MORE) {
        s->wfail = 1;
        fuzz_digest_u64(d, "error", st);
        fuzz_digest_u64(d, "at", s->p.err.offset);
        if (mp_pop3_resp_expecting(&s->p) == MP_POP3_EXPECT_NONE)
            next_expect(s);
    }
    return used;
}

static void finish(void *state, fuzz_digest *d)
{
    resp_state *s = state;
    fuzz_digest_u64(d, "busy", (uint64_t)mp_pop3_resp_busy(&s->p));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char again[WCAP];
    fuzz_target t = { reset, step, finish, &S };
    fuzz_digest a, b;
    size_t wl;
    if (size < 10)
        return 0;
    memset(&S.cfg, 0, sizeof(S.cfg));
    S.cfg.flags = data[1] & 15u;
    S.cfg.max_body = (data[1] & 16u) ? (uint64_t)(data[1] >> 5) * 37u + 1u : 0u;
    memcpy(S.expects, data + 2, 8);
    data += 10;
    size -= 10;
    S.record = 0;
    fuzz_split_check(&t, data, size, data[-10]);
    /* Round trip: the server's writers rebuild the stream from the events
     * of the whole input; parsed again it gives the same events.  Only
     * without a limit, quirks or policies that change the bytes. */
    if (S.cfg.flags || S.cfg.max_body)
        return 0;
    S.record = 1;
    fuzz_feed(&t, data, size, 0, 0, &a);
    /* A response cut by the end of the input is not written back whole. */
    if (S.wfail || mp_pop3_resp_busy(&S.p) || S.ob.len > WCAP / 2)
        return 0;
    wl = S.ob.len;
    memcpy(again, S.w, wl);
    fuzz_feed(&t, (const uint8_t *)again, wl, 0, 0, &b);
    if (a.h != b.h || a.events != b.events)
        abort();
    return 0;
}
