/* Shared by the IMAP command tests: a command parser fixture for
 * mp_split_check and the text form of its events (one line each). */
#ifndef MP_TEST_IMAP_CMD_FIXTURE_H
#define MP_TEST_IMAP_CMD_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "mailproto/imap_command.h"
#include "split.h"

typedef struct cmd_fixture {
    mp_imap_cmd_parser p;
    char buf[MP_IMAP_CMD_PARSER_BUF];
    mp_imap_cmd_config cfg;
    mp_evlog *log;
    int reject_literals;      /* answer every sync literal with a rejection */
    int auth_more;            /* AUTHENTICATE lines the host asks for */
    int auth_left;
    mp_imap_cmd_id last_cmd;
} cmd_fixture;

static void fx_seq(char *o, size_t cap, uint32_t v)
{
    if (v == MP_IMAP_SEQ_STAR)
        snprintf(o, cap, "*");
    else
        snprintf(o, cap, "%lu", (unsigned long)v);
}

static int fx_on_command(void *user, mp_slice tag, mp_imap_cmd_id cmd)
{
    cmd_fixture *x = user;
    char name[96];
    x->last_cmd = cmd;
    snprintf(name, sizeof(name), "command %s", mp_imap_cmd_name(cmd));
    mp_evlog_text(x->log, name, tag.ptr, tag.len);
    return 0;
}

static int fx_on_arg(void *user, const mp_imap_cmd_arg *a)
{
    cmd_fixture *x = user;
    char pre[600];
    int n = a->depth ? snprintf(pre, sizeof(pre), "  [%u] ", a->depth)
                     : snprintf(pre, sizeof(pre), "  ");
    char *q = pre + n;
    size_t room = sizeof(pre) - (size_t)n;
    switch (a->kind) {
    case MP_IMAP_CA_ATOM: snprintf(q, room, "atom"); break;
    case MP_IMAP_CA_NUMBER:
        snprintf(q, room, "number %llu", (unsigned long long)a->num);
        mp_evlog_add(x->log, "%s", pre);
        return 0;
    case MP_IMAP_CA_STRING:
        if (a->streamed) {
            mp_evlog_add(x->log, "%sstring-streamed %llu", pre, (unsigned long long)a->num);
            return 0;
        }
        snprintf(q, room, a->literal ? "string{}" : "string");
        break;
    case MP_IMAP_CA_NIL: mp_evlog_add(x->log, "%snil", pre); return 0;
    case MP_IMAP_CA_FLAG: snprintf(q, room, "flag"); break;
    case MP_IMAP_CA_MAILBOX:
    case MP_IMAP_CA_PATTERN:
        snprintf(q, room, "%s", a->kind == MP_IMAP_CA_MAILBOX ? "mailbox" : "pattern");
        if (a->raw.len != a->text.len || memcmp(a->raw.ptr, a->text.ptr, a->raw.len) != 0) {
            size_t k = strlen(pre);
            snprintf(pre + k, sizeof(pre) - k, " (raw %.*s)", (int)a->raw.len, a->raw.ptr);
        }
        break;
    case MP_IMAP_CA_SEQ: {
        char lo[16], hi[16];
        fx_seq(lo, sizeof(lo), a->range.lo);
        fx_seq(hi, sizeof(hi), a->range.hi);
        if (a->range.lo == a->range.hi && memchr(a->text.ptr, ':', a->text.len) == NULL)
            mp_evlog_add(x->log, "%sseq%s %s", pre, a->index ? "+" : "", lo);
        else
            mp_evlog_add(x->log, "%sseq%s %s:%s", pre, a->index ? "+" : "", lo, hi);
        return 0;
    }
    case MP_IMAP_CA_DATETIME:
    case MP_IMAP_CA_DATE: {
        const mp_imap_datetime *d = &a->dt;
        if (a->kind == MP_IMAP_CA_DATE)
            mp_evlog_add(x->log, "%sdate %04u-%02u-%02u", pre, d->year, d->month, d->day);
        else
            mp_evlog_add(x->log, "%sdatetime %04u-%02u-%02u %02u:%02u:%02u %c%04d", pre, d->year,
                         d->month, d->day, d->hour, d->min, d->sec, d->zone < 0 ? '-' : '+',
                         (d->zone < 0 ? -d->zone : d->zone) / 60 * 100 +
                             (d->zone < 0 ? -d->zone : d->zone) % 60);
        return 0;
    }
    case MP_IMAP_CA_LIST_BEGIN: mp_evlog_add(x->log, "%s(", pre); return 0;
    case MP_IMAP_CA_LIST_END: mp_evlog_add(x->log, "%s)", pre); return 0;
    case MP_IMAP_CA_SEARCH_KEY: snprintf(q, room, "key"); break;
    case MP_IMAP_CA_FETCH_ATT: {
        size_t k;
        snprintf(q, room, "att %.*s", (int)a->text.len, a->text.ptr);
        k = strlen(pre);
        if (a->has_section)
            snprintf(pre + k, sizeof(pre) - k, "[%.*s]", (int)a->section.len, a->section.ptr);
        k = strlen(pre);
        if (a->has_partial)
            snprintf(pre + k, sizeof(pre) - k, "<%llu.%llu>",
                     (unsigned long long)a->partial_origin, (unsigned long long)a->partial_len);
        mp_evlog_add(x->log, "%s", pre);
        return 0;
    }
    case MP_IMAP_CA_BASE64: snprintf(q, room, "base64"); break;
    case MP_IMAP_CA_SEQ_LAST: mp_evlog_add(x->log, "%sseq $", pre); return 0;
    case MP_IMAP_CA_APPEND_MSG:
    case MP_IMAP_CA_CAT_TEXT:
        mp_evlog_add(x->log, "%s%s %llu%s%s", pre,
                     a->kind == MP_IMAP_CA_APPEND_MSG ? "message" : "text",
                     (unsigned long long)a->num, a->binary ? " binary" : "",
                     a->utf8 ? " utf8" : "");
        return 0;
    case MP_IMAP_CA_CATENATE_BEGIN: mp_evlog_add(x->log, "%scatenate (", pre); return 0;
    case MP_IMAP_CA_CATENATE_END: mp_evlog_add(x->log, "%scatenate )", pre); return 0;
    case MP_IMAP_CA_CAT_URL: snprintf(q, room, a->literal ? "url{}" : "url"); break;
    default: snprintf(q, room, "?%d", (int)a->kind); break;
    }
    mp_evlog_text(x->log, pre, a->text.ptr, a->text.len);
    return 0;
}

static int fx_on_chunk(void *user, mp_slice d)
{
    cmd_fixture *x = user;
    mp_evlog_chunk(x->log, "literal", d.ptr, d.len);
    return 0;
}

static int fx_on_lit_end(void *user)
{
    cmd_fixture *x = user;
    mp_evlog_add(x->log, "  end-literal");
    return 0;
}

static int fx_on_end(void *user)
{
    cmd_fixture *x = user;
    mp_evlog_add(x->log, "end");
    return 0;
}

static int fx_on_bad(void *user, mp_slice tag, mp_imap_cmd_id cmd, const mp_error *err)
{
    cmd_fixture *x = user;
    mp_evlog_add(x->log, "bad %.*s %s %s @%llu", (int)(tag.len ? tag.len : 1),
                 tag.len ? tag.ptr : "*", cmd ? mp_imap_cmd_name(cmd) : "-",
                 mp_status_name(err->code), (unsigned long long)err->offset);
    return 0;
}

static int fx_on_auth(void *user, mp_slice line, int cancel)
{
    cmd_fixture *x = user;
    if (cancel)
        mp_evlog_add(x->log, "auth-cancel");
    else
        mp_evlog_text(x->log, "auth", line.ptr, line.len);
    return 0;
}

static int fx_on_done(void *user)
{
    cmd_fixture *x = user;
    mp_evlog_add(x->log, "idle-done");
    return 0;
}

static const mp_imap_cmd_callbacks fx_callbacks = {
    fx_on_command, fx_on_arg, fx_on_chunk, fx_on_lit_end,
    fx_on_end,     fx_on_bad, fx_on_auth,  fx_on_done,
};

static void fx_reset(void *state)
{
    cmd_fixture *x = state;
    mp_status st = mp_imap_cmd_parser_init(&x->p, x->buf, sizeof(x->buf), &x->cfg,
                                           &fx_callbacks, x);
    (void)st;
    x->auth_left = x->auth_more;
    x->last_cmd = MP_IMAP_CMD_NONE_;
}

/* Feed everything, acting as a server host would on each pause. */
static void fx_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    cmd_fixture *x = state;
    x->log = log;
    for (;;) {
        size_t used = 0;
        mp_status st = mp_imap_cmd_parser_feed(&x->p, p, n, &used);
        p += used;
        n -= used;
        if (st == MP_NEED_MORE)
            return;
        if (st != MP_PAUSED) {
            mp_evlog_add(log, "feed %s", mp_status_name(st));
            return;
        }
        if (mp_imap_cmd_parser_literal_wait(&x->p) >= 0) {
            mp_evlog_add(log, "  + %lld", (long long)mp_imap_cmd_parser_literal_wait(&x->p));
            if (x->reject_literals)
                mp_imap_cmd_parser_reject_literal(&x->p, MP_ERR_IMAP_CMD_LITERAL_REJECTED);
            else
                mp_imap_cmd_parser_accept_literal(&x->p);
        } else if (x->last_cmd == MP_IMAP_CMD_AUTHENTICATE && x->auth_left > 0) {
            x->auth_left--;
            mp_imap_cmd_parser_set_mode(&x->p, MP_IMAP_CMD_MODE_AUTH);
        } else if (x->last_cmd == MP_IMAP_CMD_IDLE) {
            x->last_cmd = MP_IMAP_CMD_NONE_;
            mp_imap_cmd_parser_set_mode(&x->p, MP_IMAP_CMD_MODE_IDLE);
        }
        if (n == 0 && mp_imap_cmd_parser_literal_wait(&x->p) < 0)
            return;
    }
}

#endif
