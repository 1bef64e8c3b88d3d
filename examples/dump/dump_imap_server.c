/*
 * mailproto-dump --proto imap --side server: IMAP commands as a server
 * reads them (mp_imap_cmd_parser), one event per line:
 *
 *   command NAME TAG             a command starts ("UID FETCH a1")
 *     ARG                        one argument, indented; "[d] " before it
 *                                when nested d deep (lists, search keys):
 *       atom BYTES | string BYTES | string{} BYTES (came as a literal)
 *       number N | nil | flag BYTES | base64 BYTES
 *       mailbox BYTES [(raw BYTES)] | pattern BYTES [(raw BYTES)]
 *       seq LO[:HI] (first range of a set) | seq+ LO[:HI] (next range)
 *       seq $ (the saved search result)
 *       date YYYY-MM-DD | datetime YYYY-MM-DD hh:mm:ss +zzzz
 *       ( | ) | key NAME | att NAME[SECTION]<ORIGIN.LENGTH>
 *       message N [binary] [utf8]  an APPEND message follows (utf8: the
 *                                RFC 6855 UTF8 (~{N}) form)
 *       catenate ( | catenate )  a CATENATE message (RFC 4469) opens / ends
 *       url BYTES | url{} BYTES  a CATENATE URL part (url{}: as a literal)
 *       text N [binary utf8]     a CATENATE TEXT (or UTF8) part follows
 *       string-streamed N        a string literal too long to hold: its
 *                                bytes follow as chunk literal lines
 *     + N                        a sync literal of N bytes: the server
 *                                sends "+" (this dump always does)
 *   chunk literal BYTES          APPEND message / part or streamed string bytes
 *                                (chunks coalesced)
 *     end-literal
 *   end                          the command is complete
 *   bad TAG|* NAME|- STATUS @OFFSET   a bad command, skipped
 *   auth BYTES | auth-cancel     an AUTHENTICATE response line
 *   idle-done                    DONE after IDLE
 *
 * As a host would: after AUTHENTICATE the next lines are read as the
 * client's responses, as many as the mechanism's exchange has (PLAIN 1,
 * LOGIN 2, SCRAM-* 3 ..., one fewer with an initial response; the dump
 * assumes every exchange runs to its end); after IDLE the next line is
 * expected to be DONE; after ENABLE IMAP4rev2 / UTF8=ACCEPT the next
 * commands are read in that mode (RFC 9051 grammar, UTF-8).  BYTES are
 * escaped with \r \n \\ \xHH.
 * Exit status 0 when no command was bad, 1 otherwise.
 */
#include <stdio.h>
#include <string.h>

#include "dump.h"
#include "mailproto/imap_command.h"

int dump_imap_server(FILE *in);

typedef struct dumper {
    mp_imap_cmd_parser *p;
    mp_imap_cmd_id last;
    unsigned enable;  /* mode bits the ENABLE being read asks for */
    unsigned mode;    /* mode bits in force */
    int had_ir;
    int auth_left;     /* client response lines still owed to AUTHENTICATE */
    char mech[24];
    int bad;
    int in_chunk;
} dumper;

static void end_chunk(dumper *d)
{
    if (d->in_chunk) {
        putchar('\n');
        d->in_chunk = 0;
    }
}

static void seqnum(uint32_t v)
{
    if (v == MP_IMAP_SEQ_STAR)
        putchar('*');
    else
        printf("%u", v);
}

static int on_command(void *user, mp_slice tag, mp_imap_cmd_id cmd)
{
    dumper *d = user;
    end_chunk(d);
    d->last = cmd;
    d->had_ir = 0;
    d->mech[0] = '\0';
    d->enable = 0;
    printf("command %s ", mp_imap_cmd_name(cmd));
    dump_escaped(tag.ptr, tag.len);
    putchar('\n');
    return 0;
}

static void note_mech(dumper *d, mp_slice s)
{
    size_t i, n = s.len < sizeof(d->mech) - 1 ? s.len : sizeof(d->mech) - 1;
    for (i = 0; i < n; i++) {
        char c = s.ptr[i];
        d->mech[i] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    }
    d->mech[n] = '\0';
}

static int on_arg(void *user, const mp_imap_cmd_arg *a)
{
    dumper *d = user;
    if (d->last == MP_IMAP_CMD_AUTHENTICATE && a->kind == MP_IMAP_CA_ATOM && !a->depth)
        note_mech(d, a->text);
    static const char *const word[] = {
        [MP_IMAP_CA_ATOM] = "atom",     [MP_IMAP_CA_STRING] = "string",
        [MP_IMAP_CA_FLAG] = "flag",     [MP_IMAP_CA_MAILBOX] = "mailbox",
        [MP_IMAP_CA_PATTERN] = "pattern", [MP_IMAP_CA_SEARCH_KEY] = "key",
        [MP_IMAP_CA_BASE64] = "base64",
    };
    end_chunk(d);
    if (d->last == MP_IMAP_CMD_ENABLE && a->kind == MP_IMAP_CA_ATOM) {
        if (a->text.len == 9 && mp_slice_eq_ci(a->text, "IMAP4rev2", 9))
            d->enable |= MP_IMAP_REV2;
        if (a->text.len == 11 && mp_slice_eq_ci(a->text, "UTF8=ACCEPT", 11))
            d->enable |= MP_IMAP_UTF8;
    }
    fputs("  ", stdout);
    if (a->depth)
        printf("[%u] ", a->depth);
    switch (a->kind) {
    case MP_IMAP_CA_NUMBER:
        printf("number %llu\n", (unsigned long long)a->num);
        return 0;
    case MP_IMAP_CA_NIL:
        puts("nil");
        return 0;
    case MP_IMAP_CA_SEQ:
        fputs(a->index ? "seq+ " : "seq ", stdout);
        seqnum(a->range.lo);
        if (a->range.hi != a->range.lo || memchr(a->text.ptr, ':', a->text.len) != NULL) {
            putchar(':');
            seqnum(a->range.hi);
        }
        putchar('\n');
        return 0;
    case MP_IMAP_CA_DATE:
        printf("date %04u-%02u-%02u\n", a->dt.year, a->dt.month, a->dt.day);
        return 0;
    case MP_IMAP_CA_DATETIME: {
        int z = a->dt.zone < 0 ? -a->dt.zone : a->dt.zone;
        printf("datetime %04u-%02u-%02u %02u:%02u:%02u %c%02d%02d\n", a->dt.year, a->dt.month,
               a->dt.day, a->dt.hour, a->dt.min, a->dt.sec, a->dt.zone < 0 ? '-' : '+', z / 60,
               z % 60);
        return 0;
    }
    case MP_IMAP_CA_SEQ_LAST:
        puts("seq $");
        return 0;
    case MP_IMAP_CA_LIST_BEGIN:
        puts("(");
        return 0;
    case MP_IMAP_CA_LIST_END:
        puts(")");
        return 0;
    case MP_IMAP_CA_FETCH_ATT:
        fputs("att ", stdout);
        dump_escaped(a->text.ptr, a->text.len);
        if (a->has_section) {
            putchar('[');
            dump_escaped(a->section.ptr, a->section.len);
            putchar(']');
        }
        if (a->has_partial)
            printf("<%llu.%llu>", (unsigned long long)a->partial_origin,
                   (unsigned long long)a->partial_len);
        putchar('\n');
        return 0;
    case MP_IMAP_CA_APPEND_MSG:
    case MP_IMAP_CA_CAT_TEXT:
        printf("%s %llu%s%s\n", a->kind == MP_IMAP_CA_APPEND_MSG ? "message" : "text",
               (unsigned long long)a->num, a->binary ? " binary" : "", a->utf8 ? " utf8" : "");
        return 0;
    case MP_IMAP_CA_CATENATE_BEGIN:
        puts("catenate (");
        return 0;
    case MP_IMAP_CA_CATENATE_END:
        puts("catenate )");
        return 0;
    case MP_IMAP_CA_CAT_URL:
        fputs(a->literal ? "url{} " : "url ", stdout);
        dump_escaped(a->text.ptr, a->text.len);
        putchar('\n');
        return 0;
    default:
        break;
    }
    if (a->kind == MP_IMAP_CA_BASE64)
        d->had_ir = 1;
    if (a->kind == MP_IMAP_CA_STRING && a->streamed) {
        printf("string-streamed %llu\n", (unsigned long long)a->num);
        return 0;
    }
    fputs((unsigned)a->kind < sizeof(word) / sizeof(word[0]) && word[a->kind] ? word[a->kind]
                                                                              : "?",
          stdout);
    if (a->kind == MP_IMAP_CA_STRING && a->literal)
        fputs("{}", stdout);
    putchar(' ');
    dump_escaped(a->text.ptr, a->text.len);
    if ((a->kind == MP_IMAP_CA_MAILBOX || a->kind == MP_IMAP_CA_PATTERN) &&
        (a->raw.len != a->text.len || memcmp(a->raw.ptr, a->text.ptr, a->raw.len) != 0)) {
        fputs(" (raw ", stdout);
        dump_escaped(a->raw.ptr, a->raw.len);
        putchar(')');
    }
    putchar('\n');
    return 0;
}

static int on_chunk(void *user, mp_slice data)
{
    dumper *d = user;
    if (!d->in_chunk) {
        fputs("chunk literal ", stdout);
        d->in_chunk = 1;
    }
    dump_escaped(data.ptr, data.len);
    return 0;
}

static int on_lit_end(void *user)
{
    dumper *d = user;
    end_chunk(d);
    puts("  end-literal");
    return 0;
}

static int on_end(void *user)
{
    dumper *d = user;
    end_chunk(d);
    puts("end");
    if (d->enable != 0) {
        /* the server answers ENABLED: the mode holds from the next line */
        d->mode |= d->enable;
        mp_imap_cmd_parser_set_flags(d->p, d->mode);
    }
    return 0;
}

static int on_bad(void *user, mp_slice tag, mp_imap_cmd_id cmd, const mp_error *err)
{
    dumper *d = user;
    end_chunk(d);
    d->bad = 1;
    d->last = MP_IMAP_CMD_NONE_;
    fputs("bad ", stdout);
    if (tag.len)
        dump_escaped(tag.ptr, tag.len);
    else
        putchar('*');
    printf(" %s %s @%llu\n", cmd ? mp_imap_cmd_name(cmd) : "-", mp_status_name(err->code),
           (unsigned long long)err->offset);
    return 0;
}

static int on_auth(void *user, mp_slice line, int cancel)
{
    dumper *d = user;
    end_chunk(d);
    d->last = MP_IMAP_CMD_NONE_;
    if (cancel) {
        d->auth_left = 0;
        puts("auth-cancel");
        return 0;
    }
    if (d->auth_left > 0)
        d->auth_left--;
    fputs("auth ", stdout);
    dump_escaped(line.ptr, line.len);
    putchar('\n');
    return 0;
}

static int on_idle_done(void *user)
{
    dumper *d = user;
    end_chunk(d);
    puts("idle-done");
    return 0;
}

int dump_imap_server(FILE *in)
{
    static const mp_imap_cmd_callbacks cb = {
        on_command, on_arg, on_chunk, on_lit_end, on_end, on_bad, on_auth, on_idle_done,
    };
    static mp_imap_cmd_parser p;
    static char buf[MP_IMAP_CMD_PARSER_BUF];
    static char chunk[16384];
    dumper d;
    size_t n;
    memset(&d, 0, sizeof(d));
    d.p = &p;
    if (mp_imap_cmd_parser_init(&p, buf, sizeof(buf), NULL, &cb, &d) != MP_OK)
        return 2;
    while ((n = fread(chunk, 1, dump_piece(sizeof(chunk)), in)) > 0) {
        const char *q = chunk;
        for (;;) {
            size_t used = 0;
            mp_status st = mp_imap_cmd_parser_feed(&p, q, n, &used);
            q += used;
            n -= used;
            if (st == MP_NEED_MORE)
                break;
            if (st != MP_PAUSED) {
                end_chunk(&d);
                printf("error %s\n", mp_status_name(st));
                return 1;
            }
            if (mp_imap_cmd_parser_literal_wait(&p) >= 0) {
                end_chunk(&d);
                printf("  + %lld\n", (long long)mp_imap_cmd_parser_literal_wait(&p));
                mp_imap_cmd_parser_accept_literal(&p);
            } else if (d.last == MP_IMAP_CMD_AUTHENTICATE) {
                d.last = MP_IMAP_CMD_NONE_;
                d.auth_left = dump_sasl_lines(d.mech, strlen(d.mech)) - d.had_ir;
                if (d.auth_left > 0)
                    mp_imap_cmd_parser_set_mode(&p, MP_IMAP_CMD_MODE_AUTH);
            } else if (d.auth_left > 0) {
                mp_imap_cmd_parser_set_mode(&p, MP_IMAP_CMD_MODE_AUTH);
            } else if (d.last == MP_IMAP_CMD_IDLE) {
                d.last = MP_IMAP_CMD_NONE_;
                mp_imap_cmd_parser_set_mode(&p, MP_IMAP_CMD_MODE_IDLE);
            }
            if (n == 0 && mp_imap_cmd_parser_literal_wait(&p) < 0)
                break;
        }
    }
    end_chunk(&d);
    return d.bad;
}
