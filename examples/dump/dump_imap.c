/*
 * mailproto-dump --proto imap --side client|server
 *
 * side "client": the server's responses as a client reads them
 * (mp_imap_resp_parser), one event per line:
 *
 *   begin RESP[ tag=TAG][ #N]      a response starts (RESP: OK NO BAD BYE
 *                                  PREAUTH CONTINUE CAPABILITY ... FETCH
 *                                  UNKNOWN); N = message number
 *   code NAME | code UNKNOWN ATOM  "[" response code
 *   code_end                       "]"
 *   text BYTES                     human-readable text / continuation data
 *   FIELD:TYPE[:mutf7][:lit] BYTES a value at grammar position FIELD
 *                                  (ENV_SUBJECT, UID, FLAG, ...); TYPE is
 *                                  atom num str nil flag text
 *   ( FIELD / ) FIELD              a list opens / closes
 *   lit FIELD N[ binary]           a streamed literal of N bytes starts
 *   chunk BYTES                    literal payload (one line per chunk)
 *   lit_end
 *   end                            the response is complete
 *   error MP_STATUS_NAME @OFFSET   a malformed line (skipped to its end)
 *
 * BYTES are escaped with \r \n \\ \xHH.  Exit status 0 without errors, 1
 * with.  As a host would, the dump switches the parser to UTF8=ACCEPT mode
 * after "* ENABLED ... UTF8=ACCEPT" and to IMAP4rev2 after "* ENABLED ...
 * IMAP4rev2" (RFC 6855 §3, RFC 9051 §6.3.1).
 *
 * Environment MP_DUMP_PIECE=N (both sides): feed the input in pieces of
 * pseudo-random sizes 1..N instead of 16 KiB reads (the events must be the
 * same; interop tests compare them).  MP_DUMP_IMAP_QUIRKS=NAME,NAME... (client
 * side) turns on parser quirks: lf-lines trailing-space list-spaces
 * nil-string flag-chars star-in-flags empty-status bare-continue
 * bad-bodystructure 8bit-text bare-quota (the MP_IMAP_Q_* flags of imap.h).  side "server" (commands) is dump_imap_server(), in
 * dump_imap_server.c when that mode is built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "mailproto/imap.h"

#ifdef MP_DUMP_HAVE_IMAP_SERVER
int dump_imap_server(FILE *in);
#endif

static const char *vtype_name(mp_imap_vtype v)
{
    static const char *const names[] = { "?", "atom", "num", "str", "nil", "flag", "text" };
    return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

typedef struct resp_dumper {
    mp_imap_resp_parser *p;
    unsigned mode;     /* the mode the ENABLED response being read asks for */
    int in_enabled;
    int failed;
} resp_dumper;

static int atom_is(const mp_imap_resp_event *ev, const char *word)
{
    size_t i, n = strlen(word);
    if (ev->str.len != n)
        return 0;
    for (i = 0; i < n; i++) {
        char c = ev->str.ptr[i];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c != word[i])
            return 0;
    }
    return 1;
}


/* MP_IMAP_Q_* from $MP_DUMP_IMAP_QUIRKS; -1 for an unknown name. */
static long quirks_from_env(void)
{
    static const struct { const char *name; unsigned flag; } t[] = {
        { "lf-lines", MP_IMAP_Q_LF_LINES }, { "trailing-space", MP_IMAP_Q_TRAILING_SPACE },
        { "list-spaces", MP_IMAP_Q_LIST_SPACES }, { "nil-string", MP_IMAP_Q_NIL_STRING },
        { "flag-chars", MP_IMAP_Q_FLAG_CHARS }, { "star-in-flags", MP_IMAP_Q_STAR_IN_FLAGS },
        { "empty-status", MP_IMAP_Q_EMPTY_STATUS }, { "bare-continue", MP_IMAP_Q_BARE_CONTINUE },
        { "bad-bodystructure", MP_IMAP_Q_BAD_BODYSTRUCTURE }, { "8bit-text", MP_IMAP_Q_8BIT_TEXT },
        { "bare-quota", MP_IMAP_Q_BARE_QUOTA },
    };
    const char *e = getenv("MP_DUMP_IMAP_QUIRKS");
    long q = 0;
    while (e && *e) {
        size_t i, n = strcspn(e, ",");
        for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
            if (strlen(t[i].name) == n && memcmp(t[i].name, e, n) == 0)
                break;
        if (i == sizeof(t) / sizeof(t[0])) {
            fprintf(stderr, "mailproto-dump: unknown quirk '%.*s'\n", (int)n, e);
            return -1;
        }
        q |= (long)t[i].flag;
        e += n + (e[n] == ',');
    }
    return q;
}

static int on_event(void *user, const mp_imap_resp_event *ev)
{
    resp_dumper *d = user;
    int *failed = &d->failed;
    if (ev->type == MP_IMAP_EV_BEGIN)
        d->in_enabled = ev->resp == MP_IMAP_RESP_ENABLED && ev->str.len == 0;
    if (d->in_enabled && ev->type == MP_IMAP_EV_VALUE) {
        if (atom_is(ev, "UTF8=ACCEPT"))
            d->mode |= MP_IMAP_UTF8;
        if (atom_is(ev, "IMAP4REV2"))
            d->mode |= MP_IMAP_UTF8 | MP_IMAP_REV2;
    }
    if (d->in_enabled && ev->type == MP_IMAP_EV_END)
        mp_imap_resp_set_mode(d->p, d->mode);
    switch (ev->type) {
    case MP_IMAP_EV_BEGIN:
        printf("begin %s", mp_imap_resp_name(ev->resp));
        if (ev->str.len) {
            fputs(" tag=", stdout);
            dump_escaped(ev->str.ptr, ev->str.len);
        }
        if (ev->flags & MP_IMAP_EVF_NUMBERED)
            printf(" #%llu", (unsigned long long)ev->num);
        break;
    case MP_IMAP_EV_CODE:
        printf("code %s", mp_imap_code_name(ev->code));
        if (ev->code == MP_IMAP_CODE_UNKNOWN) {
            putchar(' ');
            dump_escaped(ev->str.ptr, ev->str.len);
        }
        break;
    case MP_IMAP_EV_CODE_END: fputs("code_end", stdout); break;
    case MP_IMAP_EV_TEXT:
        fputs("text ", stdout);
        dump_escaped(ev->str.ptr, ev->str.len);
        break;
    case MP_IMAP_EV_VALUE:
        printf("%s:%s%s%s ", mp_imap_field_name(ev->field), vtype_name(ev->vtype),
               (ev->flags & MP_IMAP_EVF_MUTF7) ? ":mutf7" : "",
               (ev->flags & MP_IMAP_EVF_LITERAL) ? ":lit" : "");
        dump_escaped(ev->str.ptr, ev->str.len);
        break;
    case MP_IMAP_EV_LIST_BEGIN: printf("( %s", mp_imap_field_name(ev->field)); break;
    case MP_IMAP_EV_LIST_END: printf(") %s", mp_imap_field_name(ev->field)); break;
    case MP_IMAP_EV_LITERAL_BEGIN:
        printf("lit %s %llu%s", mp_imap_field_name(ev->field), (unsigned long long)ev->num,
               (ev->flags & MP_IMAP_EVF_BINARY) ? " binary" : "");
        break;
    case MP_IMAP_EV_LITERAL_CHUNK:
        fputs("chunk ", stdout);
        dump_escaped(ev->str.ptr, ev->str.len);
        break;
    case MP_IMAP_EV_LITERAL_END: fputs("lit_end", stdout); break;
    case MP_IMAP_EV_END: fputs("end", stdout); break;
    case MP_IMAP_EV_ERROR:
        printf("error %s @%llu", mp_status_name(ev->err->code),
               (unsigned long long)ev->err->offset);
        *failed = 1;
        break;
    default: fputs("?", stdout); break;
    }
    putchar('\n');
    return MP_IMAP_CB_CONTINUE;
}

static int dump_imap_client(FILE *in)
{
    static const mp_imap_resp_callbacks cb = { on_event };
    static char abuf[MP_IMAP_MAX_QUOTED];
    static char chunk[16384];
    mp_imap_resp_parser p;
    mp_imap_resp_config cfg;
    resp_dumper d;
    size_t n;
    long quirks = quirks_from_env();
    if (quirks < 0)
        return 2;
    memset(&d, 0, sizeof(d));
    memset(&cfg, 0, sizeof(cfg));
    cfg.quirks = (unsigned)quirks;
    d.p = &p;
    if (mp_imap_resp_init(&p, abuf, sizeof(abuf), &cfg, &cb, &d) != MP_OK)
        return 2;
    while ((n = fread(chunk, 1, dump_piece(sizeof(chunk)), in)) > 0) {
        size_t used = 0;
        if (mp_imap_resp_feed(&p, chunk, n, &used) != MP_NEED_MORE)
            return 2;
    }
    if (mp_imap_resp_pending(&p) != 0) {
        printf("end pending=%zu\n", mp_imap_resp_pending(&p));
        d.failed = 1;
    }
    return d.failed;
}

int dump_imap(const char *side, FILE *in)
{
    if (strcmp(side, "client") == 0)
        return dump_imap_client(in);
#ifdef MP_DUMP_HAVE_IMAP_SERVER
    if (strcmp(side, "server") == 0)
        return dump_imap_server(in);
#endif
    fprintf(stderr, "mailproto-dump: imap side must be client%s\n",
#ifdef MP_DUMP_HAVE_IMAP_SERVER
            " or server"
#else
            ""
#endif
    );
    return 2;
}
