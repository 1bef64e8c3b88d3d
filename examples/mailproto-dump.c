/*
 * mailproto-dump: read a transcript on standard input and print the
 * parser's events, one per line.
 *
 *   mailproto-dump --proto lines                 CRLF line framing (core)
 *   mailproto-dump --proto P --side server|client  protocol P as that side
 *                                                reads it (smtp, pop3, imap,
 *                                                when built in)
 *   mailproto-dump --proto mime --side parts|fetch  one message's structure,
 *                                                or the FETCH items a server
 *                                                writes for it (dump_mime.c)
 *
 * Output format (stable): "line <bytes>" with \r \n \\ and \xHH escapes,
 * "error <MP_STATUS_NAME> @<stream offset>", and a final "end pending=N".
 * Exit status: 0 when the parser reported no error, 1 when it did, 2 on
 * bad usage.  Protocol modes (smtp, pop3, imap) arrive with their codecs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/core.h"
#include "dump.h"

void dump_escaped(const char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\r') fputs("\\r", stdout);
        else if (c == '\n') fputs("\\n", stdout);
        else if (c == '\\') fputs("\\\\", stdout);
        else if (c < 0x20 || c >= 0x7f) printf("\\x%02x", c);
        else putchar(c);
    }
}

void dump_field(const char *key, const char *p, size_t n)
{
    printf(" %s=", key);
    dump_escaped(p, n);
}

size_t dump_piece(size_t cap)
{
    static unsigned long max, state = 12345;
    static int init;
    if (!init) {
        const char *e = getenv("MP_DUMP_PIECE");
        init = 1;
        max = e ? strtoul(e, NULL, 10) : 0;
    }
    if (max == 0)
        return cap;
    state = state * 1103515245ul + 12345ul;
    return (size_t)((state >> 8) % (max < cap ? max : cap)) + 1;
}

int dump_sasl_lines(const char *mech, size_t len)
{
    static const struct { const char *name; int lines; } t[] = {
        { "PLAIN", 1 }, { "LOGIN", 2 }, { "CRAM-MD5", 1 }, { "XOAUTH2", 1 },
        { "OAUTHBEARER", 1 }, { "EXTERNAL", 1 }, { "ANONYMOUS", 1 },
        { "SCRAM-SHA-1", 3 }, { "SCRAM-SHA-256", 3 }, { "SCRAM-SHA-1-PLUS", 3 },
        { "SCRAM-SHA-256-PLUS", 3 }, { "DIGEST-MD5", 2 }, { "NTLM", 2 },
    };
    size_t i, k;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        if (strlen(t[i].name) != len)
            continue;
        for (k = 0; k < len; k++) {
            char c = mech[k];
            if ((c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c) != t[i].name[k])
                break;
        }
        if (k == len)
            return t[i].lines;
    }
    return 1;
}

static int dump_lines(void)
{
    static char linebuf[MP_MAX_LINE];
    static char in[16384];
    mp_line_framer f;
    size_t n;
    int failed = 0;

    mp_line_framer_init(&f, linebuf, sizeof(linebuf), MP_MAX_LINE, 0);
    while ((n = fread(in, 1, sizeof(in), stdin)) > 0) {
        const char *p = in;
        while (n > 0) {
            size_t used;
            mp_slice line;
            mp_status st = mp_line_framer_next(&f, p, n, &used, &line);
            if (st == MP_OK) {
                fputs("line ", stdout);
                dump_escaped(line.ptr, line.len);
                putchar('\n');
            } else if (st != MP_NEED_MORE) {
                printf("error %s @%llu\n", mp_status_name(st), (unsigned long long)f.err.offset);
                failed = 1;
            }
            p += used;
            n -= used;
        }
    }
    printf("end pending=%zu\n", mp_line_framer_pending(&f));
    return failed;
}

/* Protocol modes present in this build (examples/CMakeLists.txt). */
static const struct {
    const char *name;
    int (*run)(const char *side, FILE *in);
} modes[] = {
#ifdef MP_DUMP_HAVE_SMTP
    {"smtp", dump_smtp},
#endif
#ifdef MP_DUMP_HAVE_POP3
    {"pop3", dump_pop3},
#endif
#ifdef MP_DUMP_HAVE_IMAP
    {"imap", dump_imap},
#endif
#ifdef MP_DUMP_HAVE_MIME
    {"mime", dump_mime},
#endif
    {NULL, NULL}};

static int usage(void)
{
    size_t i;
    fputs("usage: mailproto-dump --proto lines < transcript\n"
          "       mailproto-dump --proto PROTO --side server|client < transcript\n"
          "  prints one event per line; exit 1 when the parser reported an error\n"
          "  protocols in this build: lines",
          stderr);
    for (i = 0; modes[i].name != NULL; i++)
        fprintf(stderr, " %s", modes[i].name);
    fputc('\n', stderr);
    return 2;
}

int main(int argc, char **argv)
{
    size_t i;
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage();
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "--proto") == 0 && strcmp(argv[2], "lines") == 0)
        return dump_lines();
    if (argc != 5 || strcmp(argv[1], "--proto") != 0 || strcmp(argv[3], "--side") != 0)
        return usage();
    for (i = 0; modes[i].name != NULL; i++)
        if (strcmp(argv[2], modes[i].name) == 0)
            return modes[i].run(argv[4], stdin);
    fprintf(stderr, "mailproto-dump: unknown protocol '%s'\n", argv[2]);
    return usage();
}
