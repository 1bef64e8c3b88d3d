/*
 * mailproto-dump --proto pop3 --side server: what a POP3 server reads (the
 * client's half of a transcript), through the line framer and the command
 * parser (mp_pop3_cmd_parse), one event per line:
 *
 *   cmd VERB [msg=N] [lines=N] [arg=BYTES] [arg2=BYTES]
 *   auth BYTES | auth-cancel      a client line of an AUTH exchange
 *   error MP_ERR_... @OFFSET RULE a bad line (a server answers -ERR and
 *                                 goes on)
 *   end pending=N                 bytes of an unfinished line at EOF
 *
 * As a host would: after "AUTH mech" the next lines are the client's SASL
 * lines, as many as the mechanism's exchange has (dump_sasl_lines(), one
 * fewer with an initial response); after UTF8 the arguments may be UTF-8
 * (RFC 6856).  Command lines may be 255 octets (RFC 2449 §4), AUTH lines
 * MP_POP3_MAX_AUTH_LINE.  BYTES are escaped with \r \n \\ \xHH.
 * Exit status 0 when no line was bad, 1 otherwise.
 *
 * --side client: dump_pop3_client.c.
 */
#include <stdio.h>
#include <string.h>

#include "dump.h"
#include "mailproto/pop3.h"

typedef struct server_dumper {
    mp_line_framer f;
    unsigned flags;   /* MP_POP3_CMD_UTF8 after UTF8 */
    int auth_left;
    int failed;
} server_dumper;

static void on_line(server_dumper *d, mp_slice line, uint64_t start)
{
    mp_pop3_cmd c;
    mp_error e;
    mp_status st;
    if (d->auth_left > 0) {
        mp_pop3_auth_line_kind kind;
        mp_slice data;
        d->auth_left--;
        st = mp_pop3_auth_line_parse(line.ptr, line.len, 0, &kind, &data, &e);
        if (st != MP_OK) {
            printf("error %s @%llu %s\n", mp_status_name(st),
                   (unsigned long long)(start + e.offset), e.rule ? e.rule : "-");
            d->failed = 1;
            d->auth_left = 0;
        } else if (kind == MP_POP3_AUTH_CANCEL) {
            puts("auth-cancel");
            d->auth_left = 0;
        } else {
            fputs("auth ", stdout);
            dump_escaped(data.ptr, data.len);
            putchar('\n');
        }
        return;
    }
    st = mp_pop3_cmd_parse(line.ptr, line.len, d->flags, NULL, &c, &e);
    if (st != MP_OK) {
        printf("error %s @%llu %s\n", mp_status_name(st), (unsigned long long)(start + e.offset),
               e.rule ? e.rule : "-");
        d->failed = 1;
        return;
    }
    printf("cmd %s", mp_pop3_verb_name(c.verb));
    switch (c.verb) {
    case MP_POP3_LIST: case MP_POP3_UIDL: case MP_POP3_RETR: case MP_POP3_DELE:
        if (c.has_arg)
            printf(" msg=%u", (unsigned)c.msgno);
        break;
    case MP_POP3_TOP:
        printf(" msg=%u lines=%u", (unsigned)c.msgno, (unsigned)c.lines);
        break;
    default:
        if (c.has_arg)
            dump_field("arg", c.arg.ptr, c.arg.len);
        if (c.has_arg2)
            dump_field("arg2", c.arg2.ptr, c.arg2.len);
    }
    putchar('\n');
    if (c.verb == MP_POP3_UTF8)
        d->flags |= MP_POP3_CMD_UTF8;
    if (c.verb == MP_POP3_AUTH && c.has_arg)
        d->auth_left = dump_sasl_lines(c.arg.ptr, c.arg.len) - (c.has_arg2 ? 1 : 0);
}

int dump_pop3(const char *side, FILE *in)
{
    static char linebuf[MP_POP3_MAX_AUTH_LINE];
    static char buf[16384];
    static server_dumper d;
    size_t n;

    if (strcmp(side, "client") == 0)
        return dump_pop3_client(in);
    if (strcmp(side, "server") != 0) {
        fprintf(stderr, "mailproto-dump: unknown side '%s' (server | client)\n", side);
        return 2;
    }
    memset(&d, 0, sizeof(d));
    mp_line_framer_init(&d.f, linebuf, sizeof(linebuf), MP_POP3_MAX_COMMAND_LINE, 0);
    while ((n = fread(buf, 1, dump_piece(sizeof(buf)), in)) > 0) {
        const char *p = buf;
        while (n > 0) {
            size_t used = 0;
            mp_slice line;
            mp_status st;
            d.f.max_line = d.auth_left > 0 ? MP_POP3_MAX_AUTH_LINE : MP_POP3_MAX_COMMAND_LINE;
            st = mp_line_framer_next(&d.f, p, n, &used, &line);
            if (st == MP_OK) {
                on_line(&d, line, d.f.line_start);
            } else if (st != MP_NEED_MORE) {
                printf("error %s @%llu %s\n", mp_status_name(st),
                       (unsigned long long)d.f.err.offset, d.f.err.rule ? d.f.err.rule : "-");
                d.failed = 1;
                if (d.auth_left > 0)
                    d.auth_left--;
            }
            p += used;
            n -= used;
        }
    }
    printf("end pending=%zu\n", mp_line_framer_pending(&d.f));
    return d.failed;
}
