/*
 * mailproto-dump --proto smtp --side client: the SMTP reply parser's
 * events for a transcript of server replies on standard input.
 *
 * Output format (stable), one event per line:
 *   line <code><sep> [<enhanced>] <text>   one reply line; <sep> is '-' for
 *                                          a continuation, ' ' for the last
 *                                          line; [<enhanced>] only when the
 *                                          line carries an RFC 3463 code;
 *                                          <text> escaped like dump_escaped
 *   reply <code> lines=<n>                 end of a reply
 *   cap <keyword line> bit=<hex>           an EHLO keyword (lines after the
 *                                          first of a multi-line 250 reply
 *                                          whose first line is not an
 *                                          enhanced-code line); bit 0 =
 *                                          unknown to the library
 *   error <MP_STATUS_NAME> @<offset>       parser error at that stream offset
 *   end busy=<0|1>                         1 when a reply was left unfinished
 * Returns 1 when the parser reported an error, else 0.
 */
#include <stdio.h>
#include <string.h>

#include "mailproto/smtp_client.h"
#include "dump.h"

int dump_smtp_client(FILE *in)
{
    static char linebuf[MP_SMTP_CLIENT_MAX_REPLY_LINE];
    static char buf[16384];
    mp_smtp_reply_parser p;
    size_t n;
    int failed = 0, ehlo = 0;

    if (mp_smtp_reply_parser_init(&p, linebuf, sizeof(linebuf), MP_SMTP_CLIENT_MAX_REPLY_LINE,
                                  0, 0) != MP_OK)
        return 1;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0) {
        const char *q = buf;
        while (n > 0) {
            size_t used = 0;
            mp_smtp_reply_line l;
            mp_status st = mp_smtp_reply_parser_next(&p, q, n, &used, &l);
            if (st == MP_OK) {
                printf("line %u%c ", l.code, l.last ? ' ' : '-');
                if (l.enhanced.len > 0) {
                    putchar('[');
                    dump_escaped(l.enhanced.ptr, l.enhanced.len);
                    fputs("] ", stdout);
                }
                dump_escaped(l.text.ptr, l.text.len);
                putchar('\n');
                if (l.line_no == 0)
                    ehlo = l.code == 250 && !l.last && l.enhanced.len == 0;
                else if (ehlo) {
                    mp_smtp_caps caps;
                    uint32_t bit = 0;
                    mp_smtp_caps_init(&caps);
                    if (mp_smtp_caps_parse_line(&caps, l.text, &bit) == MP_OK) {
                        fputs("cap ", stdout);
                        dump_escaped(l.text.ptr, l.text.len);
                        printf(" bit=%x\n", (unsigned)bit);
                    }
                }
                if (l.last)
                    printf("reply %u lines=%u\n", l.code, l.line_no + 1);
            } else if (st != MP_NEED_MORE) {
                printf("error %s @%llu\n", mp_status_name(st), (unsigned long long)p.err.offset);
                failed = 1;
                ehlo = 0;
            }
            q += used;
            n -= used;
        }
    }
    printf("end busy=%d\n", mp_smtp_reply_parser_busy(&p));
    return failed;
}
