/* POP3 codec fixtures for the split harness (tests/harness): the command
 * parser behind a line framer (server side) and the response parser with
 * a list of expectations (client side).  Each logs one line per event;
 * each also writes every parsed element back with the other side's writer
 * and parses the result again, which must give the same events (one
 * grammar, docs/architecture.md §5).  Header-only: each test program
 * includes it once. */
#ifndef MP_TEST_POP3_FIXTURE_H
#define MP_TEST_POP3_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/pop3.h"
#include "vectors.h"

/* Escape p[0..n) into out (\r \n \\ \xHH), NUL-terminated; out holds 4n+1. */
static inline size_t fx_esc(char *out, const char *p, size_t n)
{
    size_t i, o = 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\r') { out[o++] = '\\'; out[o++] = 'r'; }
        else if (c == '\n') { out[o++] = '\\'; out[o++] = 'n'; }
        else if (c == '\\') { out[o++] = '\\'; out[o++] = '\\'; }
        else if (c < 0x20 || c >= 0x7f) o += (size_t)sprintf(out + o, "\\x%02x", c);
        else out[o++] = (char)c;
    }
    out[o] = '\0';
    return o;
}

/* Append ` key="escaped"` to line[*n]. */
static inline void fx_field(char *line, size_t *n, const char *key, mp_slice s)
{
    static char tmp[4 * MP_POP3_MAX_AUTH_LINE + 1];
    fx_esc(tmp, s.ptr, s.len);
    *n += (size_t)sprintf(line + *n, " %s=\"%s\"", key, tmp);
}

/* Writer checks: `call` writes exactly `want` into out/ob (declared by
 * the test), or fails with `code` and writes nothing. */
#define W(call, want)                                                                  \
    do {                                                                               \
        mp_outbuf_init(&ob, out, sizeof(out));                                         \
        assert_int_equal((call), MP_OK);                                               \
        assert_int_equal(ob.len, strlen(want));                                        \
        assert_memory_equal(out, want, ob.len);                                        \
    } while (0)
#define REFUSE(call, code)                                                             \
    do {                                                                               \
        mp_outbuf_init(&ob, out, sizeof(out));                                         \
        assert_int_equal((call), (code));                                              \
        assert_int_equal(ob.len, 0);                                                   \
    } while (0)

/* ======================================================================= */
/* Server side: commands                                                   */
/* ======================================================================= */

typedef struct cmd_fixture {
    mp_line_framer f;
    char buf[MP_POP3_MAX_AUTH_LINE];
    unsigned flags;
    mp_pop3_limits lim;
    unsigned auth_lines;  /* vector parameter: client lines after AUTH mech */
    unsigned auth_left;   /* SASL lines still to read */
    int offsets;          /* log stream offsets (off for round trips) */
    int roundtrips;       /* commands written back and re-parsed */
} cmd_fixture;

static cmd_fixture cfx;

static inline void cmd_log(cmd_fixture *x, mp_evlog *log, mp_slice line, uint64_t start);

static inline void cmd_reset(void *state)
{
    cmd_fixture *x = state;
    uint32_t ml = x->lim.command_line ? x->lim.command_line : MP_POP3_MAX_COMMAND_LINE;
    assert_int_equal(mp_line_framer_init(&x->f, x->buf, sizeof(x->buf), ml, 0), MP_OK);
    x->auth_left = 0;
}

static inline void cmd_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    cmd_fixture *x = state;
    while (n > 0) {
        size_t used = 0;
        mp_slice line;
        mp_status st;
        x->f.max_line = x->auth_left ? MP_POP3_MAX_AUTH_LINE
                        : x->lim.command_line ? x->lim.command_line
                                              : MP_POP3_MAX_COMMAND_LINE;
        st = mp_line_framer_next(&x->f, p, n, &used, &line);
        assert_true(used <= n);
        if (st == MP_OK) {
            cmd_log(x, log, line, x->f.line_start);
        } else if (st != MP_NEED_MORE) {
            if (x->offsets)
                mp_evlog_add(log, "error %s @%llu", mp_status_name(st),
                             (unsigned long long)x->f.err.offset);
            else
                mp_evlog_add(log, "error %s", mp_status_name(st));
            if (x->auth_left)
                x->auth_left--;
        }
        p += used;
        n -= used;
    }
}

static inline void cmd_finish(void *state, mp_evlog *log)
{
    cmd_fixture *x = state;
    size_t k = mp_line_framer_pending(&x->f);
    if (k)
        mp_evlog_add(log, "incomplete %zu", k);
}

/* Log a parsed command (or its error); then write it back and parse it
 * again: the same command (one grammar). */
static inline void cmd_line_text(cmd_fixture *x, char *out, mp_slice line, uint64_t start,
                          mp_pop3_cmd *cmd, mp_status *stp)
{
    mp_error e;
    size_t n = 0;
    mp_status st = mp_pop3_cmd_parse(line.ptr, line.len, x->flags, &x->lim, cmd, &e);
    *stp = st;
    if (st != MP_OK) {
        n += (size_t)sprintf(out, "error %s", mp_status_name(st));
        if (x->offsets)
            n += (size_t)sprintf(out + n, " @%llu %s", (unsigned long long)(start + e.offset),
                                 e.rule ? e.rule : "-");
        if (cmd->verb != MP_POP3_NONE)
            sprintf(out + n, " verb=%s", mp_pop3_verb_name(cmd->verb));
        return;
    }
    n += (size_t)sprintf(out, "cmd %s", mp_pop3_verb_name(cmd->verb));
    switch (cmd->verb) {
    case MP_POP3_LIST: case MP_POP3_UIDL: case MP_POP3_RETR: case MP_POP3_DELE:
        if (cmd->has_arg)
            n += (size_t)sprintf(out + n, " msg=%u", (unsigned)cmd->msgno);
        break;
    case MP_POP3_TOP:
        n += (size_t)sprintf(out + n, " msg=%u lines=%u", (unsigned)cmd->msgno,
                             (unsigned)cmd->lines);
        break;
    default:
        if (cmd->has_arg)
            fx_field(out, &n, "arg", cmd->arg);
        if (cmd->has_arg2)
            fx_field(out, &n, "arg2", cmd->arg2);
        break;
    }
}

static inline void cmd_log(cmd_fixture *x, mp_evlog *log, mp_slice line, uint64_t start)
{
    static char text[8 * MP_POP3_MAX_AUTH_LINE], again[8 * MP_POP3_MAX_AUTH_LINE];
    static char wbuf[MP_POP3_MAX_AUTH_LINE + 2];
    mp_pop3_cmd cmd, cmd2;
    mp_status st, st2;
    mp_outbuf ob;

    if (x->auth_left) {
        mp_pop3_auth_line_kind kind;
        mp_slice data;
        mp_error e;
        x->auth_left--;
        st = mp_pop3_auth_line_parse(line.ptr, line.len, 0, &kind, &data, &e);
        if (st != MP_OK) {
            x->auth_left = 0;
            if (x->offsets)
                mp_evlog_add(log, "error %s @%llu", mp_status_name(st),
                             (unsigned long long)(start + e.offset));
            else
                mp_evlog_add(log, "error %s", mp_status_name(st));
        } else if (kind == MP_POP3_AUTH_CANCEL) {
            x->auth_left = 0;
            mp_evlog_add(log, "auth-cancel");
        } else {
            mp_evlog_text(log, "auth", data.ptr, data.len);
        }
        return;
    }
    cmd_line_text(x, text, line, start, &cmd, &st);
    mp_evlog_add(log, "%s", text);
    if (st != MP_OK)
        return;
    if (cmd.verb == MP_POP3_AUTH && cmd.has_arg)
        x->auth_left = x->auth_lines > (unsigned)cmd.has_arg2 ? x->auth_lines - cmd.has_arg2 : 0;
    /* Round trip through the client's writer. */
    mp_outbuf_init(&ob, wbuf, sizeof(wbuf));
    assert_int_equal(mp_pop3_write_command(&ob, &cmd, x->flags, &x->lim), MP_OK);
    assert_true(ob.len >= 2 && memcmp(wbuf + ob.len - 2, "\r\n", 2) == 0);
    if (!(x->flags & MP_POP3_CMD_LAX)) /* canonical form: the same bytes */
        assert_true(ob.len == line.len + 2 &&
                    mp_slice_eq_ci(mp_slice_make(wbuf, 4 < line.len ? 4 : line.len), line.ptr,
                                   4 < line.len ? 4 : line.len));
    cmd_line_text(x, again, mp_slice_make(wbuf, ob.len - 2), start, &cmd2, &st2);
    assert_int_equal(st2, MP_OK);
    assert_string_equal(again, text);
    x->roundtrips++;
}

static const mp_split_target cmd_target __attribute__((unused)) = { cmd_reset, cmd_feed, cmd_finish, &cfx };

static inline void cmd_setup(const mp_vector *v, void *state)
{
    cmd_fixture *x = state;
    const char *f = mp_vector_param(v, "flags", "");
    x->flags = (strstr(f, "utf8") ? (unsigned)MP_POP3_CMD_UTF8 : 0u) |
               (strstr(f, "lax") ? (unsigned)MP_POP3_CMD_LAX : 0u);
    x->lim.command_line = (uint32_t)atoi(mp_vector_param(v, "max_line", "0"));
    x->lim.arg = (uint32_t)atoi(mp_vector_param(v, "max_arg", "0"));
    x->auth_lines = (unsigned)atoi(mp_vector_param(v, "auth_lines", "1"));
    x->offsets = 1;
}

/* ======================================================================= */
/* Client side: responses                                                  */
/* ======================================================================= */

/* One letter per expectation in a vector's ":expect" list. */
static inline mp_pop3_expect fx_expect_of(char c)
{
    switch (c) {
    case 'G': return MP_POP3_EXPECT_GREETING;
    case 'S': return MP_POP3_EXPECT_STATUS;
    case 'T': return MP_POP3_EXPECT_STAT;
    case 'l': return MP_POP3_EXPECT_LIST_ONE;
    case 'u': return MP_POP3_EXPECT_UIDL_ONE;
    case 'L': return MP_POP3_EXPECT_LIST;
    case 'U': return MP_POP3_EXPECT_UIDL;
    case 'C': return MP_POP3_EXPECT_CAPA;
    case 'R': return MP_POP3_EXPECT_CONTENT;
    case 'N': return MP_POP3_EXPECT_LINES;
    case 'A': return MP_POP3_EXPECT_AUTH;
    default: fail_msg("unknown expectation letter %c", c); return MP_POP3_EXPECT_NONE;
    }
}

#define FX_WBUF (1u << 20)

typedef struct resp_fixture {
    mp_pop3_resp_parser p;
    char buf[MP_POP3_MAX_AUTH_LINE];
    mp_pop3_resp_config cfg;
    char expects[256];    /* letters, in order */
    size_t next;          /* the next expectation to set */
    int stopped;          /* bytes were unexpected: the rest is ignored */
    int offsets;          /* log stream offsets */
    /* The server's writers rebuild the stream from the events. */
    char *w;
    mp_outbuf ob;
    mp_dot_encoder enc;
    int wfail;            /* a writer refused: no round trip for this input */
} resp_fixture;

static resp_fixture rfx;
static char rfx_wbuf[FX_WBUF];

static inline void resp_next_expect(resp_fixture *x)
{
    mp_pop3_expect e = x->expects[x->next] ? fx_expect_of(x->expects[x->next++])
                                           : MP_POP3_EXPECT_NONE;
    assert_int_equal(mp_pop3_resp_expect(&x->p, e), MP_OK);
}

static inline void resp_reset(void *state)
{
    resp_fixture *x = state;
    assert_int_equal(mp_pop3_resp_init(&x->p, x->buf, sizeof(x->buf), &x->cfg), MP_OK);
    x->next = 0;
    x->stopped = 0;
    resp_next_expect(x);
    mp_outbuf_init(&x->ob, x->w, FX_WBUF);
    x->wfail = 0;
}

static inline void rt(resp_fixture *x, mp_status st)
{
    if (st != MP_OK)
        x->wfail = 1;
}

/* Write the event back with the server's writers. */
static inline void resp_write_back(resp_fixture *x, const mp_pop3_resp_event *ev)
{
    static char tmp[MP_POP3_MAX_AUTH_LINE];
    size_t n = 0, used;
    switch (ev->type) {
    case MP_POP3_EV_STATUS:
        rt(x, mp_pop3_write_status(&x->ob, ev->ok, ev->code_text, ev->text));
        if (ev->multiline && ev->expect == MP_POP3_EXPECT_CONTENT)
            mp_dot_encoder_init(&x->enc, 0);
        break;
    case MP_POP3_EV_CONTINUE:
        if (mp_base64_decode(ev->text.ptr, ev->text.len, tmp, sizeof(tmp), &n) != MP_OK)
            x->wfail = 1;
        else
            rt(x, mp_pop3_write_challenge(&x->ob, tmp, n));
        break;
    case MP_POP3_EV_LIST_ENTRY:
        if (ev->text.len == 0) {
            rt(x, mp_pop3_write_list_entry(&x->ob, ev->msgno, ev->size));
        } else {
            n = (size_t)snprintf(tmp, sizeof(tmp), "%u %llu %.*s", (unsigned)ev->msgno,
                                 (unsigned long long)ev->size, (int)ev->text.len, ev->text.ptr);
            rt(x, mp_pop3_write_line(&x->ob, mp_slice_make(tmp, n)));
        }
        break;
    case MP_POP3_EV_UIDL_ENTRY:
        rt(x, mp_pop3_write_uidl_entry(&x->ob, ev->msgno, ev->uid));
        break;
    case MP_POP3_EV_CAPA:
    case MP_POP3_EV_LINE:
        rt(x, mp_pop3_write_line(&x->ob, ev->text));
        break;
    case MP_POP3_EV_CONTENT:
        if (mp_dot_encoder_update(&x->enc, ev->text.ptr, ev->text.len, &used, &x->ob) != MP_OK ||
            used != ev->text.len)
            x->wfail = 1;
        break;
    case MP_POP3_EV_END:
        if (ev->expect == MP_POP3_EXPECT_CONTENT)
            rt(x, mp_dot_encoder_finish(&x->enc, &x->ob));
        else
            rt(x, mp_pop3_write_end(&x->ob));
        break;
    default:
        x->wfail = 1;
    }
}

static inline void resp_log(resp_fixture *x, mp_evlog *log, const mp_pop3_resp_event *ev)
{
    static char line[8 * MP_POP3_MAX_AUTH_LINE];
    size_t n = 0;
    if (ev->type == MP_POP3_EV_CONTENT) {
        mp_evlog_chunk(log, "content", ev->text.ptr, ev->text.len);
        return;
    }
    switch (ev->type) {
    case MP_POP3_EV_STATUS:
        n += (size_t)sprintf(line, "%s %s", ev->ok ? "+OK" : "-ERR",
                             mp_pop3_expect_name(ev->expect));
        if (ev->code != MP_POP3_CODE_NONE)
            n += (size_t)sprintf(line + n, " code=%s", ev->code == MP_POP3_CODE_UNKNOWN
                                                           ? "UNKNOWN"
                                                           : mp_pop3_code_text(ev->code));
        if (ev->code_text.len)
            fx_field(line, &n, "code_text", ev->code_text);
        fx_field(line, &n, "text", ev->text);
        if (ev->timestamp.len)
            fx_field(line, &n, "ts", ev->timestamp);
        if (ev->ok && ev->expect == MP_POP3_EXPECT_STAT)
            n += (size_t)sprintf(line + n, " count=%u size=%llu", (unsigned)ev->count,
                                 (unsigned long long)ev->size);
        if (ev->ok && ev->expect == MP_POP3_EXPECT_LIST_ONE)
            n += (size_t)sprintf(line + n, " msg=%u size=%llu", (unsigned)ev->msgno,
                                 (unsigned long long)ev->size);
        if (ev->ok && ev->expect == MP_POP3_EXPECT_UIDL_ONE) {
            n += (size_t)sprintf(line + n, " msg=%u", (unsigned)ev->msgno);
            fx_field(line, &n, "uid", ev->uid);
        }
        if (ev->multiline)
            n += (size_t)sprintf(line + n, " multiline");
        break;
    case MP_POP3_EV_CONTINUE:
        n += (size_t)sprintf(line, "continue");
        fx_field(line, &n, "text", ev->text);
        break;
    case MP_POP3_EV_LIST_ENTRY:
        n += (size_t)sprintf(line, "list %u %llu", (unsigned)ev->msgno,
                             (unsigned long long)ev->size);
        if (ev->text.len)
            fx_field(line, &n, "more", ev->text);
        break;
    case MP_POP3_EV_UIDL_ENTRY:
        n += (size_t)sprintf(line, "uidl %u", (unsigned)ev->msgno);
        fx_field(line, &n, "uid", ev->uid);
        break;
    case MP_POP3_EV_CAPA:
        n += (size_t)sprintf(line, "capa %#x", (unsigned)ev->cap);
        fx_field(line, &n, "line", ev->text);
        break;
    case MP_POP3_EV_LINE:
        n += (size_t)sprintf(line, "line");
        fx_field(line, &n, "text", ev->text);
        break;
    case MP_POP3_EV_END:
        n += (size_t)sprintf(line, "end");
        if (ev->err)
            n += (size_t)sprintf(line + n, " err=%s @%llu", mp_status_name(ev->err->code),
                                 (unsigned long long)ev->err->offset);
        break;
    default:
        fail_msg("event type %d", (int)ev->type);
    }
    if (x->offsets)
        sprintf(line + n, " @%llu", (unsigned long long)ev->offset);
    mp_evlog_add(log, "%s", line);
}

static inline void resp_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    resp_fixture *x = state;
    int guard = 0;
    while (n > 0 && !x->stopped) {
        size_t used = 99999;
        mp_pop3_resp_event ev;
        mp_status st = mp_pop3_resp_next(&x->p, p, n, &used, &ev);
        assert_true(used <= n);
        assert_true(++guard < 1000000);
        p += used;
        n -= used;
        if (st == MP_OK) {
            resp_log(x, log, &ev);
            resp_write_back(x, &ev);
            /* A response ends at its single line or at its END; a
             * challenge keeps the exchange going. */
            if ((ev.type == MP_POP3_EV_STATUS && !ev.multiline) || ev.type == MP_POP3_EV_END) {
                assert_false(mp_pop3_resp_busy(&x->p));
                resp_next_expect(x);
            }
        } else if (st == MP_NEED_MORE) {
            assert_int_equal(n, 0);
        } else if (st == MP_ERR_POP3_UNEXPECTED) {
            assert_int_equal(used, 0);
            mp_evlog_add(log, "unexpected @%llu", (unsigned long long)x->p.err.offset);
            x->stopped = 1;
            x->wfail = 1;
        } else {
            assert_int_equal(st, x->p.err.code);
            x->wfail = 1;
            if (x->offsets)
                mp_evlog_add(log, "error %s @%llu", mp_status_name(st),
                             (unsigned long long)x->p.err.offset);
            else
                mp_evlog_add(log, "error %s", mp_status_name(st));
            /* A first line that failed dropped its response. */
            if (mp_pop3_resp_expecting(&x->p) == MP_POP3_EXPECT_NONE)
                resp_next_expect(x);
        }
    }
}

static inline void resp_finish(void *state, mp_evlog *log)
{
    resp_fixture *x = state;
    if (mp_pop3_resp_busy(&x->p))
        mp_evlog_add(log, "incomplete");
}

static const mp_split_target resp_target = { resp_reset, resp_feed, resp_finish, &rfx };

static inline void resp_setup(const mp_vector *v, void *state)
{
    resp_fixture *x = state;
    const char *f = mp_vector_param(v, "flags", "");
    memset(&x->cfg, 0, sizeof(x->cfg));
    x->cfg.flags = (strstr(f, "lf") ? (unsigned)MP_POP3_RESP_LF_LINES : 0u) |
                   (strstr(f, "bare_continue") ? (unsigned)MP_POP3_RESP_BARE_CONTINUE : 0u) |
                   (strstr(f, "strict") ? (unsigned)MP_POP3_RESP_CONTENT_STRICT : 0u) |
                   (strstr(f, "normalize") ? (unsigned)MP_POP3_RESP_CONTENT_NORMALIZE_LF : 0u);
    x->cfg.max_body = (uint64_t)strtoull(mp_vector_param(v, "max_body", "0"), NULL, 10);
    x->cfg.max_line = (uint32_t)atoi(mp_vector_param(v, "max_line", "0"));
    snprintf(x->expects, sizeof(x->expects), "%s", mp_vector_param(v, "expect", "G"));
    x->w = rfx_wbuf;
    x->offsets = 1;
}

#endif
