/* libFuzzer target: SMTP command parser (server side) behind the line
 * framer.  The first byte picks parser flags and a split step.
 * Oracles beyond "no crash":
 *  - split invariance: the events of the whole input equal those of the
 *    input fed in pieces;
 *  - round trip: every parsed command, written back in canonical form
 *    (fmt_cmd below), parses again to the same canonical form;
 *  - every slice the parser returns lies inside the line;
 *  - the parser's two paths agree (lib/smtp/cmd_internal.h): the result
 *    is the careful path's, errors included, and what the fast path takes
 *    the careful path takes the same (tests/smtp/test_cmd_sweep.c sweeps
 *    the same on generated lines). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/smtp.h"

#include "../lib/smtp/cmd_internal.h"
#include "../tests/smtp/cmd_same.h"
#include "fuzz_split.h"

#define MAX_LINE MP_SMTP_MAX_COMMAND_LINE

/* The framer and the parser flags: the state of a fuzz_target. */
typedef struct cmd_state {
    mp_line_framer f;
    unsigned flags;
    char buf[MAX_LINE];
} cmd_state;

static void put(char *o, size_t *n, const char *p, size_t k)
{
    if (*n + k <= 2 * MAX_LINE) {
        memcpy(o + *n, p, k);
        *n += k;
    }
}
#define PUTS(o, n, s) put((o), (n), (s), strlen(s))

/* The command in canonical form: upper-case verb, single spaces, source
 * route dropped, parameters joined by one space. */
static size_t fmt_cmd(const mp_smtp_cmd *c, char *o)
{
    size_t n = 0;
    PUTS(o, &n, mp_smtp_verb_name(c->verb));
    switch (c->verb) {
    case MP_SMTP_MAIL:
    case MP_SMTP_RCPT: {
        mp_smtp_param_iter it;
        mp_slice k, v;
        int hv;
        PUTS(o, &n, c->verb == MP_SMTP_MAIL ? " FROM:<" : " TO:<");
        put(o, &n, c->path.mailbox.ptr, c->path.mailbox.len);
        PUTS(o, &n, ">");
        mp_smtp_param_iter_init(&it, c->params_text);
        while (mp_smtp_param_next(&it, &k, &v, &hv)) {
            PUTS(o, &n, " ");
            put(o, &n, k.ptr, k.len);
            if (hv) {
                PUTS(o, &n, "=");
                put(o, &n, v.ptr, v.len);
            }
        }
        break;
    }
    case MP_SMTP_BDAT: {
        char num[24];
        size_t i = sizeof(num);
        uint64_t v = c->bdat_size;
        do {
            num[--i] = (char)('0' + (int)(v % 10u));
            v /= 10u;
        } while (v);
        PUTS(o, &n, " ");
        put(o, &n, num + i, sizeof(num) - i);
        if (c->bdat_last)
            PUTS(o, &n, " LAST");
        break;
    }
    default:
        if (c->arg.len || c->verb == MP_SMTP_VRFY || c->verb == MP_SMTP_EXPN) {
            PUTS(o, &n, " ");
            put(o, &n, c->arg.ptr, c->arg.len);
        }
        if (c->has_arg2) {
            PUTS(o, &n, " ");
            put(o, &n, c->arg2.ptr, c->arg2.len);
        }
        break;
    }
    return n;
}

static void in_line(mp_slice s, const char *line, size_t len)
{
    if (s.len && (s.ptr < line || s.ptr + s.len > line + len))
        abort();
}

static void check_cmd(const mp_smtp_cmd *c, const char *line, size_t len, unsigned flags)
{
    static char a[2 * MAX_LINE], b[2 * MAX_LINE];
    size_t na, nb;
    mp_smtp_cmd c2;
    mp_error e;
    in_line(c->arg, line, len);
    in_line(c->arg2, line, len);
    in_line(c->path.mailbox, line, len);
    in_line(c->path.local, line, len);
    in_line(c->path.domain, line, len);
    in_line(c->params_text, line, len);
    na = fmt_cmd(c, a);
    if (mp_smtp_cmd_parse(a, na, flags, &c2, &e) != MP_OK)
        abort(); /* the canonical form of a valid command must be valid */
    nb = fmt_cmd(&c2, b);
    if (na != nb || memcmp(a, b, na) != 0)
        abort();
}

/* The result `st`/`c`/`e` of mp_smtp_cmd_parse() is the careful path's,
 * and the fast path, when it takes the line, reads it the same. */
static void check_paths(const char *line, size_t len, unsigned flags, mp_status st,
                        const mp_smtp_cmd *c, const mp_error *e)
{
    mp_smtp_cmd ref, fast;
    mp_error er;
    mp_status sr = mp_smtp_cmd_parse_careful_(line, len, flags, &ref, &er);
    if (sr != st || er.code != e->code || er.offset != e->offset ||
        (er.rule == NULL) != (e->rule == NULL) || (er.rule && strcmp(er.rule, e->rule) != 0))
        abort();
    if (sr == MP_OK ? mp_test_cmd_diff(c, &ref) != NULL : c->verb != ref.verb)
        abort();
    if (mp_smtp_cmd_parse_fast_(line, len, flags, &fast) &&
        (sr != MP_OK || mp_test_cmd_diff(&fast, &ref) != NULL))
        abort();
}

static void reset(void *state)
{
    cmd_state *x = state;
    if (mp_line_framer_init(&x->f, x->buf, sizeof(x->buf), MAX_LINE, 0) != MP_OK)
        abort();
}

/* One framer call: a line is parsed, its canonical form (or its error
 * with offset and verb) is the event. */
static size_t step(void *state, const uint8_t *p, size_t n, fuzz_digest *d)
{
    cmd_state *x = state;
    size_t used = 0;
    mp_slice line;
    mp_status st = mp_line_framer_next(&x->f, (const char *)p, n, &used, &line);
    if (st == MP_OK) {
        mp_smtp_cmd cmd;
        mp_error e;
        st = mp_smtp_cmd_parse(line.ptr, line.len, x->flags, &cmd, &e);
        check_paths(line.ptr, line.len, x->flags, st, &cmd, &e);
        if (st == MP_OK) {
            static char canon[2 * MAX_LINE];
            size_t cn = fmt_cmd(&cmd, canon);
            fuzz_digest_event(d, "cmd", canon, cn);
            check_cmd(&cmd, line.ptr, line.len, x->flags);
        } else {
            uint64_t v[3];
            if (e.offset > line.len)
                abort();
            v[0] = (uint64_t)st;
            v[1] = e.offset;
            v[2] = (uint64_t)cmd.verb;
            fuzz_digest_event(d, "err", v, sizeof(v));
        }
    } else if (st != MP_NEED_MORE) {
        fuzz_digest_u64(d, "framer", (uint64_t)st);
    }
    return used;
}

static cmd_state S;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const fuzz_target t = { reset, step, NULL, &S };
    if (size < 1)
        return 0;
    S.flags = data[0] & (MP_SMTP_CMD_SMTPUTF8 | MP_SMTP_CMD_UTF8_TXN | MP_SMTP_CMD_LAX);
    /* Pieces of 1..16 bytes (the high nibble), as fuzz_split.h's knob. */
    fuzz_split_check(&t, data + 1, size - 1, (uint8_t)(data[0] >> 4));
    return 0;
}
