/*
 * mailproto-dump --proto pop3 --side client: what a POP3 client reads,
 * through the response parser (mp_pop3_resp_next).
 *
 * POP3 responses do not say whether they are multi-line: a client knows
 * from the command it sent.  So the input is the conversation as the
 * client saw it: the server's bytes, with each command the client sent
 * placed before the response that answers it (pipelined commands may
 * come in a batch), and each SASL line after the "+ " it answers.  A line
 * at a response boundary that starts with "+" or "-" is the server's;
 * any other is a client command.  The first response is the greeting.
 *
 * Output, one event per line (BYTES escaped with \r \n \\ \xHH):
 *   sent VERB [args]              a client command (what it awaits next)
 *   sasl BYTES                    a client line of an AUTH exchange
 *   +OK|-ERR EXPECT [code=CODE] [code_text=BYTES] text=BYTES [ts=BYTES]
 *       [count=N size=N] [msg=N size=N] [msg=N uid=BYTES] [multiline]
 *   continue text=BYTES           a "+ " challenge
 *   list N SIZE [more=BYTES] | uidl N uid=BYTES | capa BIT line=BYTES |
 *   line text=BYTES               lines of a multi-line listing
 *   content BYTES                 un-stuffed content (chunks coalesced)
 *   end [err=MP_ERR_... @OFFSET]  the final "."
 *   error MP_ERR_... @OFFSET      a malformed line (OFFSET counts the
 *                                 server's bytes only)
 *   unexpected @OFFSET            a server line with no command awaiting it
 *   end-of-input busy=0|1
 * Exit status 0 when no error was reported, 1 otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "dump.h"
#include "mailproto/pop3.h"

enum { M_BOUNDARY, M_RESP, M_CMD, M_SASL, M_STOP };

#define QCAP 256

typedef struct client_dumper {
    mp_pop3_resp_parser p;
    mp_line_framer cf;     /* the client's lines */
    uint8_t q[QCAP];       /* expectations of the commands sent */
    size_t qh, qn;
    unsigned flags;        /* command parser flags (UTF8) */
    int mode;
    int in_content;
    int failed;
} client_dumper;

static void end_content(client_dumper *d)
{
    if (d->in_content) {
        putchar('\n');
        d->in_content = 0;
    }
}

static void print_event(client_dumper *d, const mp_pop3_resp_event *ev)
{
    if (ev->type == MP_POP3_EV_CONTENT) {
        if (!d->in_content)
            fputs("content ", stdout);
        d->in_content = 1;
        dump_escaped(ev->text.ptr, ev->text.len);
        return;
    }
    end_content(d);
    switch (ev->type) {
    case MP_POP3_EV_STATUS:
        printf("%s %s", ev->ok ? "+OK" : "-ERR", mp_pop3_expect_name(ev->expect));
        if (ev->code != MP_POP3_CODE_NONE)
            printf(" code=%s",
                   ev->code == MP_POP3_CODE_UNKNOWN ? "UNKNOWN" : mp_pop3_code_text(ev->code));
        if (ev->code_text.len)
            dump_field("code_text", ev->code_text.ptr, ev->code_text.len);
        dump_field("text", ev->text.ptr, ev->text.len);
        if (ev->timestamp.len)
            dump_field("ts", ev->timestamp.ptr, ev->timestamp.len);
        if (ev->ok && ev->expect == MP_POP3_EXPECT_STAT)
            printf(" count=%u size=%llu", (unsigned)ev->count, (unsigned long long)ev->size);
        if (ev->ok && ev->expect == MP_POP3_EXPECT_LIST_ONE)
            printf(" msg=%u size=%llu", (unsigned)ev->msgno, (unsigned long long)ev->size);
        if (ev->ok && ev->expect == MP_POP3_EXPECT_UIDL_ONE) {
            printf(" msg=%u", (unsigned)ev->msgno);
            dump_field("uid", ev->uid.ptr, ev->uid.len);
        }
        if (ev->multiline)
            fputs(" multiline", stdout);
        break;
    case MP_POP3_EV_CONTINUE:
        fputs("continue", stdout);
        dump_field("text", ev->text.ptr, ev->text.len);
        break;
    case MP_POP3_EV_LIST_ENTRY:
        printf("list %u %llu", (unsigned)ev->msgno, (unsigned long long)ev->size);
        if (ev->text.len)
            dump_field("more", ev->text.ptr, ev->text.len);
        break;
    case MP_POP3_EV_UIDL_ENTRY:
        printf("uidl %u", (unsigned)ev->msgno);
        dump_field("uid", ev->uid.ptr, ev->uid.len);
        break;
    case MP_POP3_EV_CAPA:
        printf("capa %#x", (unsigned)ev->cap);
        dump_field("line", ev->text.ptr, ev->text.len);
        break;
    case MP_POP3_EV_LINE:
        fputs("line", stdout);
        dump_field("text", ev->text.ptr, ev->text.len);
        break;
    default: /* MP_POP3_EV_END */
        fputs("end", stdout);
        if (ev->err)
            printf(" err=%s @%llu", mp_status_name(ev->err->code),
                   (unsigned long long)ev->err->offset);
        break;
    }
    putchar('\n');
}

/* A client command line: print it, queue what it awaits. */
static void on_command(client_dumper *d, mp_slice line)
{
    mp_pop3_cmd c;
    mp_error e;
    mp_pop3_expect x = MP_POP3_EXPECT_STATUS; /* a refused command gets -ERR */
    mp_status st = mp_pop3_cmd_parse(line.ptr, line.len, d->flags | MP_POP3_CMD_LAX, NULL, &c,
                                     &e);
    fputs("sent ", stdout);
    if (st == MP_OK) {
        fputs(mp_pop3_verb_name(c.verb), stdout);
        {
            const char *sp = memchr(line.ptr, ' ', line.len);
            if (sp != NULL)
                dump_escaped(sp, line.len - (size_t)(sp - line.ptr));
        }
        x = mp_pop3_expect_of(c.verb, c.has_arg);
        if (c.verb == MP_POP3_UTF8)
            d->flags |= MP_POP3_CMD_UTF8;
    } else {
        dump_escaped(line.ptr, line.len);
        printf(" (%s)", mp_status_name(st));
    }
    putchar('\n');
    if (d->qn < QCAP)
        d->q[(d->qh + d->qn++) % QCAP] = (uint8_t)x;
}

/* Consume from p[0..n); returns the bytes taken. */
static size_t step(client_dumper *d, const char *p, size_t n)
{
    size_t used = 0;
    mp_slice line;
    mp_status st;
    mp_pop3_resp_event ev;

    switch (d->mode) {
    case M_BOUNDARY:
        if (p[0] == '+' || p[0] == '-') {
            if (d->qn == 0) {
                end_content(d);
                printf("unexpected @%llu\n", (unsigned long long)d->p.framer.pos);
                d->failed = 1;
                d->mode = M_STOP;
                return n;
            }
            mp_pop3_resp_expect(&d->p, (mp_pop3_expect)d->q[d->qh]);
            d->qh = (d->qh + 1) % QCAP;
            d->qn--;
            d->mode = M_RESP;
        } else {
            d->mode = M_CMD;
        }
        return 0;
    case M_CMD:
    case M_SASL:
        st = mp_line_framer_next(&d->cf, p, n, &used, &line);
        if (st == MP_OK && d->mode == M_CMD) {
            end_content(d);
            on_command(d, line);
        } else if (st == MP_OK) {
            end_content(d);
            fputs("sasl ", stdout);
            dump_escaped(line.ptr, line.len);
            putchar('\n');
        } else if (st != MP_NEED_MORE) {
            end_content(d);
            printf("error %s (client line)\n", mp_status_name(st));
            d->failed = 1;
        }
        if (st != MP_NEED_MORE)
            d->mode = d->mode == M_SASL ? M_RESP : M_BOUNDARY;
        return used;
    case M_RESP:
        st = mp_pop3_resp_next(&d->p, p, n, &used, &ev);
        if (st == MP_OK) {
            print_event(d, &ev);
            if (ev.type == MP_POP3_EV_CONTINUE)
                d->mode = M_SASL;
            else if ((ev.type == MP_POP3_EV_STATUS && !ev.multiline) || ev.type == MP_POP3_EV_END)
                d->mode = M_BOUNDARY;
        } else if (st == MP_ERR_POP3_UNEXPECTED) {
            d->mode = M_BOUNDARY; /* the rest of a refused line was skipped */
        } else if (st != MP_NEED_MORE) {
            end_content(d);
            printf("error %s @%llu\n", mp_status_name(st), (unsigned long long)d->p.err.offset);
            d->failed = 1;
        }
        if (st != MP_OK && mp_pop3_resp_expecting(&d->p) == MP_POP3_EXPECT_NONE &&
            !mp_pop3_resp_busy(&d->p))
            d->mode = M_BOUNDARY;
        return used;
    default:
        return n;
    }
}

int dump_pop3_client(FILE *in)
{
    static char rbuf[MP_POP3_MAX_AUTH_LINE], cbuf[MP_POP3_MAX_AUTH_LINE];
    static char buf[16384];
    static client_dumper d;
    size_t n;

    memset(&d, 0, sizeof(d));
    if (mp_pop3_resp_init(&d.p, rbuf, sizeof(rbuf), NULL) != MP_OK ||
        mp_line_framer_init(&d.cf, cbuf, sizeof(cbuf), MP_POP3_MAX_AUTH_LINE, 0) != MP_OK)
        return 2;
    d.mode = M_RESP; /* the greeting */
    while ((n = fread(buf, 1, dump_piece(sizeof(buf)), in)) > 0) {
        const char *p = buf;
        int guard = 0;
        while (n > 0) {
            size_t used = step(&d, p, n);
            p += used;
            n -= used;
            guard = used ? 0 : guard + 1;
            if (guard > 4)
                return 2; /* no progress: a bug, never a loop */
        }
    }
    end_content(&d);
    printf("end-of-input busy=%d\n", mp_pop3_resp_busy(&d.p) || d.mode == M_CMD);
    return d.failed;
}
