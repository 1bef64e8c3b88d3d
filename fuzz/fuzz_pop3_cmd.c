/* libFuzzer target: POP3 command parser (server side) behind the line
 * framer, with the SASL lines of an AUTH exchange.  The first byte picks
 * the split step, the second the parser flags (bit 0 LAX, bit 1 UTF8)
 * and how many SASL lines follow "AUTH mech" (bits 2-3).  Oracles beyond "no crash":
 *  - split invariance: the events of the whole input equal those of the
 *    input fed in pieces;
 *  - round trip: every parsed command, written back with the client's
 *    mp_pop3_write_command(), parses again to the same command;
 *  - every slice the parser returns lies inside the line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/pop3.h"

#include "fuzz_split.h"

typedef struct cmd_state {
    mp_line_framer f;
    unsigned flags, init_flags;
    unsigned auth_lines, auth_left;
    char buf[MP_POP3_MAX_AUTH_LINE];
} cmd_state;

static cmd_state S;

static void inside(mp_slice s, mp_slice line)
{
    if (s.len && (s.ptr < line.ptr || s.ptr + s.len > line.ptr + line.len))
        abort();
}

static void same(const mp_pop3_cmd *a, const mp_pop3_cmd *b)
{
    if (a->verb != b->verb || a->msgno != b->msgno || a->lines != b->lines ||
        a->has_arg != b->has_arg || a->has_arg2 != b->has_arg2 || a->arg.len != b->arg.len ||
        a->arg2.len != b->arg2.len ||
        (a->arg.len && memcmp(a->arg.ptr, b->arg.ptr, a->arg.len) != 0) ||
        (a->arg2.len && memcmp(a->arg2.ptr, b->arg2.ptr, a->arg2.len) != 0))
        abort();
}

static void on_line(cmd_state *s, mp_slice line, fuzz_digest *d)
{
    static char w[MP_POP3_MAX_COMMAND_LINE + 8];
    mp_pop3_cmd c, c2;
    mp_error e;
    mp_outbuf ob;
    mp_status st;
    if (s->auth_left) {
        mp_pop3_auth_line_kind kind;
        mp_slice data;
        s->auth_left--;
        st = mp_pop3_auth_line_parse(line.ptr, line.len, 0, &kind, &data, &e);
        fuzz_digest_u64(d, "auth", st);
        fuzz_digest_u64(d, "kind", kind);
        if (st != MP_OK || kind == MP_POP3_AUTH_CANCEL)
            s->auth_left = 0;
        return;
    }
    st = mp_pop3_cmd_parse(line.ptr, line.len, s->flags, NULL, &c, &e);
    fuzz_digest_u64(d, "status", st);
    fuzz_digest_u64(d, "verb", c.verb);
    if (st != MP_OK) {
        fuzz_digest_u64(d, "offset", e.offset);
        if (e.offset > line.len)
            abort();
        return;
    }
    inside(c.arg, line);
    inside(c.arg2, line);
    fuzz_digest_event(d, "arg", c.arg.ptr, c.arg.len);
    fuzz_digest_event(d, "arg2", c.arg2.ptr, c.arg2.len);
    fuzz_digest_u64(d, "msg", c.msgno);
    fuzz_digest_u64(d, "lines", c.lines);
    /* One grammar: the writer writes it, the parser reads it back. */
    mp_outbuf_init(&ob, w, sizeof(w));
    if (mp_pop3_write_command(&ob, &c, s->flags, NULL) != MP_OK)
        abort();
    if (ob.len < 2 || mp_pop3_cmd_parse(w, ob.len - 2, s->flags, NULL, &c2, &e) != MP_OK)
        abort();
    same(&c, &c2);
    if (c.verb == MP_POP3_UTF8)
        s->flags |= MP_POP3_CMD_UTF8;
    if (c.verb == MP_POP3_AUTH && c.has_arg)
        s->auth_left = s->auth_lines - (c.has_arg2 && s->auth_lines ? 1u : 0u);
}

static void reset(void *state)
{
    cmd_state *s = state;
    s->auth_left = 0;
    s->flags = s->init_flags;
    mp_line_framer_init(&s->f, s->buf, sizeof(s->buf), MP_POP3_MAX_COMMAND_LINE, 0);
}

static size_t step(void *state, const uint8_t *p, size_t n, fuzz_digest *d)
{
    cmd_state *s = state;
    size_t used = 0;
    mp_slice line;
    mp_status st;
    s->f.max_line = s->auth_left ? MP_POP3_MAX_AUTH_LINE : MP_POP3_MAX_COMMAND_LINE;
    st = mp_line_framer_next(&s->f, (const char *)p, n, &used, &line);
    if (st == MP_OK) {
        on_line(s, line, d);
    } else if (st != MP_NEED_MORE) {
        fuzz_digest_u64(d, "framing", st);
        fuzz_digest_u64(d, "at", s->f.err.offset);
        if (s->auth_left)
            s->auth_left--;
    }
    return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_target t = { reset, step, NULL, &S };
    if (size < 2)
        return 0;
    S.init_flags = ((data[1] & 1u) ? (unsigned)MP_POP3_CMD_LAX : 0u) |
                   ((data[1] & 2u) ? (unsigned)MP_POP3_CMD_UTF8 : 0u);
    S.auth_lines = (data[1] >> 2) & 3u;
    fuzz_split_check(&t, data + 2, size - 2, data[0]);
    return 0;
}
