/*
 * mailproto-dump --proto smtp --side server: what an SMTP/LMTP server reads
 * (the client's half of a transcript), through the line framer, the
 * command parser and, after DATA / BDAT, the body decoders.  DATA is
 * assumed accepted (the transcript is one side only).
 *
 * Output, one event per line (bytes escaped with dump_escaped()):
 *   cmd VERB [arg=A] [ir=R] [path=KIND <MAILBOX>] [params=P] [size=N [last]]
 *   body <content>          the unstuffed DATA content of one message
 *   body-end [error=MP_ERR_... @OFFSET]
 *   bdat <content>          the bytes of one BDAT chunk
 *   error MP_ERR_... @OFFSET RULE   a command or framing error
 *   end pending=N           bytes of an unfinished line or body at EOF
 * Exit status 0 when no error was reported, 1 otherwise.
 *
 * --side client prints the reply parser's events (dump_smtp_client.c) when
 * that mode is built in.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mailproto/smtp.h"
#include "dump.h"

enum { ST_CMD, ST_DATA, ST_BDAT };

typedef struct dumper {
    mp_line_framer f;
    mp_dot_decoder dot;
    int state;
    int body_open;     /* "body " printed, content follows */
    uint64_t bdat_left;
    uint64_t pos;      /* stream offset of the next byte */
    int failed;
} dumper;

static void print_cmd(const mp_smtp_cmd *c)
{
    printf("cmd %s", mp_smtp_verb_name(c->verb));
    if (c->arg.len) {
        fputs(" arg=", stdout);
        dump_escaped(c->arg.ptr, c->arg.len);
    }
    if (c->has_arg2) {
        fputs(" ir=", stdout);
        dump_escaped(c->arg2.ptr, c->arg2.len);
    }
    if (c->verb == MP_SMTP_MAIL || c->verb == MP_SMTP_RCPT) {
        static const char *const kinds[] = { "mailbox", "null", "postmaster" };
        printf(" path=%s <", kinds[c->path.kind]);
        dump_escaped(c->path.mailbox.ptr, c->path.mailbox.len);
        putchar('>');
        if (c->params_text.len) {
            fputs(" params=", stdout);
            dump_escaped(c->params_text.ptr, c->params_text.len);
        }
    }
    if (c->verb == MP_SMTP_BDAT)
        printf(" size=%llu%s", (unsigned long long)c->bdat_size, c->bdat_last ? " last" : "");
    putchar('\n');
}

static void on_line(dumper *d, mp_slice line, uint64_t start)
{
    mp_smtp_cmd cmd;
    mp_error e;
    mp_status st = mp_smtp_cmd_parse(line.ptr, line.len, MP_SMTP_CMD_SMTPUTF8 | MP_SMTP_CMD_UTF8_TXN,
                                     &cmd, &e);
    if (st != MP_OK) {
        printf("error %s @%llu %s\n", mp_status_name(st), (unsigned long long)(start + e.offset),
               e.rule ? e.rule : "-");
        d->failed = 1;
        return;
    }
    print_cmd(&cmd);
    if (cmd.verb == MP_SMTP_DATA) {
        mp_dot_decoder_init(&d->dot, MP_DOT_STRICT);
        d->dot.pos = d->pos;
        d->state = ST_DATA;
        d->body_open = 0;
    } else if (cmd.verb == MP_SMTP_BDAT && cmd.bdat_size > 0) {
        d->bdat_left = cmd.bdat_size;
        d->state = ST_BDAT;
        d->body_open = 0;
    }
}

static size_t step(dumper *d, const char *p, size_t n)
{
    size_t used = 0;
    if (d->state == ST_DATA) {
        mp_slice chunk;
        mp_status st = mp_dot_decoder_next(&d->dot, p, n, &used, &chunk);
        if (st == MP_OK && chunk.len) {
            if (!d->body_open)
                fputs("body ", stdout);
            d->body_open = 1;
            dump_escaped(chunk.ptr, chunk.len);
        } else if (st == MP_DONE) {
            if (d->body_open)
                putchar('\n');
            if (d->dot.err.code != MP_OK) {
                printf("body-end error=%s @%llu\n", mp_status_name(d->dot.err.code),
                       (unsigned long long)d->dot.err.offset);
                d->failed = 1;
            } else {
                puts("body-end");
            }
            d->state = ST_CMD;
        }
        /* A poisoning error is printed at body-end, once. */
    } else if (d->state == ST_BDAT) {
        used = d->bdat_left < n ? (size_t)d->bdat_left : n;
        if (!d->body_open)
            fputs("bdat ", stdout);
        d->body_open = 1;
        dump_escaped(p, used);
        d->bdat_left -= used;
        if (d->bdat_left == 0) {
            putchar('\n');
            d->state = ST_CMD;
        }
    } else {
        mp_slice line;
        uint64_t start = d->pos - mp_line_framer_pending(&d->f);
        mp_status st = mp_line_framer_next(&d->f, p, n, &used, &line);
        d->pos += used;
        if (st == MP_OK) {
            on_line(d, line, start);
        } else if (st != MP_NEED_MORE) {
            printf("error %s @%llu %s\n", mp_status_name(st), (unsigned long long)d->f.err.offset,
                   d->f.err.rule ? d->f.err.rule : "-");
            d->failed = 1;
        }
        return used;
    }
    d->pos += used;
    return used;
}

int dump_smtp(const char *side, FILE *in)
{
    static char linebuf[MP_SMTP_MAX_AUTH_LINE];
    static char buf[16384];
    static dumper d;
    size_t n, pending;

    if (strcmp(side, "client") == 0) {
#ifdef MP_DUMP_HAVE_SMTP_CLIENT
        return dump_smtp_client(in);
#else
        fputs("mailproto-dump: the SMTP client side is not built in\n", stderr);
        return 2;
#endif
    }
    if (strcmp(side, "server") != 0) {
        fprintf(stderr, "mailproto-dump: unknown side '%s' (server | client)\n", side);
        return 2;
    }
    memset(&d, 0, sizeof(d));
    /* AUTH lines may be longer than commands (RFC 4954 §4). */
    mp_line_framer_init(&d.f, linebuf, sizeof(linebuf), MP_SMTP_MAX_AUTH_LINE, 0);
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
        const char *p = buf;
        while (n > 0) {
            size_t used = step(&d, p, n);
            p += used;
            n -= used;
        }
    }
    if (d.body_open && d.state != ST_CMD)
        putchar('\n');
    pending = d.state == ST_BDAT ? (size_t)d.bdat_left
              : d.state == ST_DATA ? 1u
                                   : mp_line_framer_pending(&d.f);
    printf("end pending=%zu\n", pending);
    return d.failed;
}
