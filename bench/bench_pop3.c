#define _POSIX_C_SOURCE 199309L
/*
 * bench_pop3: throughput of the POP3 codec on deterministic generated
 * corpora, each fed whole, in 64-byte and in 1-byte pieces, beside a
 * memchr scan of the same input bytes (the practical ceiling of a
 * byte-oriented pass), and sizeof of the codec's structs.  Figures are
 * printed, never asserted; every pass checks its own result (events,
 * content bytes) and aborts when it is wrong.
 *
 * Corpora (xorshift-seeded, identical on every run):
 *  - RETR stream: 120 responses "+OK n octets" with a 4 KiB..1 MiB mail
 *    (header block, text lines of 0..90 bytes, lines starting with '.',
 *    lines that are a lone '.'), byte-stuffed by the core encoder, then
 *    ".": the response parser streaming content; and the same stream
 *    through the client session (pop3_client.h), its host pipelining eight
 *    RETRs at a time and sending each command from inside the events.
 *  - listing stream: LIST and UIDL answers of 2000 messages, STAT, and
 *    single-line answers (DELE, NOOP, -ERR with codes), repeated: the
 *    response parser on lines.
 *  - the same 120 mails as a maildrop served through the server session
 *    (pop3_server.h): one pipelined read of USER, PASS, 120 RETRs and QUIT,
 *    the host pushing each stored mail through a 64 KiB output that it
 *    "sends" whenever it fills; MB/s of content served, the session
 *    byte-stuffing it.
 *  - command stream: what a fetching client sends (STAT, LIST, UIDL,
 *    RETR n, DELE n, TOP n m, UIDL n, NOOP, USER/PASS), repeated: the line
 *    framer + mp_pop3_cmd_parse.
 *
 *   bench/bench_pop3 [runs]    best of `runs` (default 20) per pass, MB/s
 *   bench/bench_pop3 --once    one pass each, for instruction counts:
 *     bench/callgrind-ipb build/bench/bench/bench_pop3
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailproto/core.h"
#include "mailproto/pop3.h"
#include "mailproto/pop3_client.h"
#include "mailproto/pop3_server.h"

#include "bench_common.h"

#define RETR_TOTAL (16u << 20)
#define LIST_TOTAL (2u << 20)
#define CMD_TOTAL (1u << 20)
#define NMSG 120u

static char *retr;        /* server bytes: RETR responses */
static size_t retr_len;
static size_t retr_content; /* unstuffed content bytes */
static char *lists;
static size_t lists_len;
static size_t lists_events;
static size_t retr_stuffed; /* body bytes on the wire, final "." included */
static char *maildrop;      /* the same mails as stored, back to back */
static size_t mail_at[NMSG + 1];
static unsigned nmail;
static char *cmds;
static size_t cmds_len, cmds_count;
static char expect_seq[1u << 16]; /* expectations of the listing stream */
static size_t nexpect;


static void fail(const char *what, mp_status st)
{
    fprintf(stderr, "bench_pop3: %s: %s\n", what, mp_status_name(st));
    exit(1);
}

/* A mail of about `want` bytes, LF line ends turned into CRLF. */
static size_t make_mail(char *dst, size_t want, unsigned id)
{
    size_t n = (size_t)sprintf(dst,
                               "From: sender%u@example.org\r\nTo: rcpt@example.net\r\n"
                               "Subject: message %u\r\nMessage-ID: <%u@example.org>\r\n\r\n",
                               id, id, id);
    while (n < want) {
        uint32_t r = bench_rand();
        size_t len = r % 91u, i;
        if (r % 53u == 0) {
            dst[n++] = '.';
        } else if (r % 29u == 0) {
            dst[n++] = '.';
            for (i = 0; i < len; i++)
                dst[n++] = (char)('a' + (r >> 8) % 26u);
        } else {
            for (i = 0; i < len; i++)
                dst[n++] = (char)(' ' + (bench_rand() % 95u));
        }
        dst[n++] = '\r';
        dst[n++] = '\n';
    }
    return n;
}

static void make_corpora(void)
{
    static char mail[(1u << 20) + 256];
    mp_outbuf ob;
    unsigned i, k;
    size_t at;

    /* RETR responses, and the mails as a maildrop. */
    retr = malloc(RETR_TOTAL * 2u);
    maildrop = malloc(RETR_TOTAL + (1u << 20));
    mp_outbuf_init(&ob, retr, RETR_TOTAL * 2u);
    for (i = 0; i < NMSG && ob.len < RETR_TOTAL; i++) {
        size_t want = 4096u << (bench_rand() % 9u), used, m;
        mp_dot_encoder e;
        m = make_mail(mail, want > (1u << 20) ? (1u << 20) : want, i);
        memcpy(maildrop + mail_at[i], mail, m);
        mail_at[i + 1] = mail_at[i] + m;
        nmail = i + 1;
        ob.len += (size_t)sprintf(ob.buf + ob.len, "+OK %zu octets\r\n", m);
        ob.want = ob.len;
        at = ob.len;
        mp_dot_encoder_init(&e, 0);
        if (mp_dot_encoder_update(&e, mail, m, &used, &ob) != MP_OK || used != m ||
            mp_dot_encoder_finish(&e, &ob) != MP_OK)
            fail("corpus", MP_ERR_NO_SPACE);
        retr_content += m;
        retr_stuffed += ob.len - at;
    }
    retr_len = ob.len;

    /* LIST / UIDL / STAT / single lines. */
    lists = malloc(LIST_TOTAL + (1u << 20));
    mp_outbuf_init(&ob, lists, LIST_TOTAL + (1u << 20));
    while (ob.len < LIST_TOTAL) {
        char uid[32];
        mp_pop3_write_stat(&ob, 2000, 123456789);
        expect_seq[nexpect++] = 'T';
        mp_pop3_write_status(&ob, 1, MP_SLICE_LIT(""), MP_SLICE_LIT("2000 messages"));
        expect_seq[nexpect++] = 'L';
        for (k = 1; k <= 2000; k++)
            mp_pop3_write_list_entry(&ob, k, 1000u + bench_rand() % 900000u);
        mp_pop3_write_end(&ob);
        mp_pop3_write_status(&ob, 1, MP_SLICE_LIT(""), MP_SLICE_LIT(""));
        expect_seq[nexpect++] = 'U';
        for (k = 1; k <= 2000; k++) {
            int n = sprintf(uid, "%08x%08x", k, bench_rand());
            mp_pop3_write_uidl_entry(&ob, k, mp_slice_make(uid, (size_t)n));
        }
        mp_pop3_write_end(&ob);
        for (k = 0; k < 50; k++) {
            mp_pop3_write_status(&ob, 1, MP_SLICE_LIT(""), MP_SLICE_LIT("Marked to be deleted."));
            mp_pop3_write_status(&ob, 0, MP_SLICE_LIT("SYS/TEMP"), MP_SLICE_LIT("try again"));
            expect_seq[nexpect++] = 'S';
            expect_seq[nexpect++] = 'S';
        }
        lists_events += 3 + 2 * 2000 + 2 + 100;
    }
    lists_len = ob.len;

    /* Commands. */
    cmds = malloc(CMD_TOTAL + 4096);
    at = 0;
    while (at < CMD_TOTAL) {
        uint32_t r = bench_rand();
        switch (r % 9u) {
        case 0: at += (size_t)sprintf(cmds + at, "STAT\r\n"); break;
        case 1: at += (size_t)sprintf(cmds + at, "LIST\r\n"); break;
        case 2: at += (size_t)sprintf(cmds + at, "UIDL %u\r\n", 1u + r % 5000u); break;
        case 3: at += (size_t)sprintf(cmds + at, "RETR %u\r\n", 1u + r % 5000u); break;
        case 4: at += (size_t)sprintf(cmds + at, "DELE %u\r\n", 1u + r % 5000u); break;
        case 5: at += (size_t)sprintf(cmds + at, "TOP %u %u\r\n", 1u + r % 5000u, r % 50u); break;
        case 6: at += (size_t)sprintf(cmds + at, "NOOP\r\n"); break;
        case 7: at += (size_t)sprintf(cmds + at, "USER user%u@example.org\r\n", r % 1000u); break;
        default: at += (size_t)sprintf(cmds + at, "PASS secret %u\r\n", r); break;
        }
        cmds_count++;
    }
    cmds_len = at;
}

/* ---- passes ---------------------------------------------------------------- */

static char linebuf[MP_POP3_MAX_AUTH_LINE];

static mp_pop3_expect letter(char c)
{
    return c == 'T' ? MP_POP3_EXPECT_STAT : c == 'L' ? MP_POP3_EXPECT_LIST
           : c == 'U' ? MP_POP3_EXPECT_UIDL : c == 'R' ? MP_POP3_EXPECT_CONTENT
                       : MP_POP3_EXPECT_STATUS;
}

/* Feed `in` to a response parser in pieces; returns events (content bytes
 * through *content). */
static size_t run_resp(const char *in, size_t len, size_t piece, const char *expects,
                       size_t *content)
{
    mp_pop3_resp_parser p;
    size_t off = 0, events = 0, e = 0;
    mp_status st;
    *content = 0;
    if ((st = mp_pop3_resp_init(&p, linebuf, sizeof(linebuf), NULL)) != MP_OK)
        fail("init", st);
    mp_pop3_resp_expect(&p, letter(expects ? expects[e++] : 'R'));
    while (off < len) {
        size_t n = piece_of(piece, len - off), k = 0;
        while (k < n) {
            size_t used;
            mp_pop3_resp_event ev;
            st = mp_pop3_resp_next(&p, in + off + k, n - k, &used, &ev);
            k += used;
            if (st == MP_NEED_MORE)
                break;
            if (st != MP_OK)
                fail("resp", st);
            events++;
            if (ev.type == MP_POP3_EV_CONTENT)
                *content += ev.text.len;
            if ((ev.type == MP_POP3_EV_STATUS && !ev.multiline) || ev.type == MP_POP3_EV_END)
                mp_pop3_resp_expect(&p, letter(expects ? expects[e++] : 'R'));
        }
        off += n;
    }
    return events;
}

static void run_retr(size_t piece)
{
    size_t content;
    run_resp(retr, retr_len, piece, NULL, &content);
    if (content != retr_content)
        fail("retr content", MP_ERR_STATE);
    sink = content;
}
static void pass_retr_whole(void) { run_retr(0); }
static void pass_retr_64(void) { run_retr(64); }
static void pass_retr_1(void) { run_retr(1); }

/* The client session: a host that logs in with USER/PASS, then keeps
 * eight RETRs in flight (PIPELINING), issuing the next from each END, and
 * sends its output from inside every event, as a host on a socket does
 * before it reads again. */
static struct {
    mp_pop3_client c;
    size_t content;
    uint32_t next;
} ch;

static void client_send(void)
{
    size_t n;
    (void)mp_pop3_client_output(&ch.c, &n);
    if (n > 0 && mp_pop3_client_output_done(&ch.c, n) != MP_OK)
        fail("client output", MP_ERR_STATE);
}

static void client_retr(void)
{
    while (ch.next <= NMSG && mp_pop3_client_retr(&ch.c, ch.next) == MP_OK)
        ch.next++;
    client_send();
}

static int client_event(void *user, const mp_pop3_client_event *ev)
{
    (void)user;
    if (ev->type == MP_POP3_CEV_CONTENT)
        ch.content += ev->resp->text.len;
    else if (ev->type == MP_POP3_CEV_READY &&
             mp_pop3_client_phase_of(&ch.c) == MP_POP3_PH_AUTHORIZATION)
        (void)mp_pop3_client_user(&ch.c, MP_SLICE_LIT("user"), MP_SLICE_LIT("pass"));
    else if (ev->type == MP_POP3_CEV_READY || ev->type == MP_POP3_CEV_END)
        client_retr();
    client_send();
    return MP_POP3_CB_CONTINUE;
}

static void client_feed(const char *in, size_t len, size_t piece)
{
    size_t off = 0;
    while (off < len) {
        size_t n = piece_of(piece, len - off), k = 0;
        while (k < n) {
            size_t used;
            mp_status st = mp_pop3_client_feed(&ch.c, in + off + k, n - k, &used);
            k += used;
            if (st != MP_NEED_MORE && st != MP_PAUSED)
                fail("client feed", st);
        }
        off += n;
        client_send();
    }
}

static void run_client(size_t piece)
{
    static const mp_pop3_client_config cfg = { .flags = MP_POP3_CLIENT_CLEARTEXT_OK };
    static const mp_pop3_client_callbacks cb = { client_event };
    static char out[4096];
    static const char *const prologue[] = { "+OK ready\r\n", "+OK\r\nPIPELINING\r\n.\r\n",
                                            "+OK\r\n", "+OK\r\n" };
    size_t i;
    mp_status st = mp_pop3_client_init(&ch.c, &cfg, &cb, NULL, out, sizeof(out));
    if (st != MP_OK)
        fail("client init", st);
    ch.content = 0;
    ch.next = 1;
    /* Greeting, CAPA, USER, PASS: each answer after its command left. */
    for (i = 0; i < 4; i++) {
        client_feed(prologue[i], strlen(prologue[i]), 0);
        client_send();
    }
    client_feed(retr, retr_len, piece);
    if (ch.content != retr_content)
        fail("client content", MP_ERR_STATE);
    sink = ch.content;
}
static void pass_client_whole(void) { run_client(0); }
static void pass_client_64(void) { run_client(64); }
static void pass_client_1(void) { run_client(1); }

/* The server session: a host answering in its callback, pushing each
 * mail through the session and sending (dropping) the output as it fills. */
static struct {
    mp_pop3_server s;
    char out[65536];
    char line[MP_POP3_SERVER_LINE_BUF];
    size_t wire;
} sh;

static void server_send(void)
{
    size_t n;
    (void)mp_pop3_server_output(&sh.s, &n);
    sh.wire += n;
    mp_pop3_server_output_done(&sh.s, n);
}

static int server_decide(void *user, mp_pop3_server *s, const mp_pop3_request *rq)
{
    (void)user;
    switch (rq->decision) {
    case MP_POP3_DECIDE_USER:
    case MP_POP3_DECIDE_UPDATE:
        return mp_pop3_server_ok(s, NULL) != MP_OK;
    case MP_POP3_DECIDE_PASS:
        return mp_pop3_server_open(s, nmail, mail_at[nmail]) != MP_OK;
    case MP_POP3_DECIDE_RETR: {
        const char *p = maildrop + mail_at[rq->msgno - 1];
        size_t n = mail_at[rq->msgno] - mail_at[rq->msgno - 1];
        if (mp_pop3_server_content_begin(s, NULL) != MP_OK)
            return 1;
        while (n > 0) {
            size_t used;
            if (mp_pop3_server_content(s, p, n, &used) != MP_OK)
                return 1;
            p += used;
            n -= used;
            if (n > 0)
                server_send();
        }
        return mp_pop3_server_content_end(s) != MP_OK;
    }
    default:
        return 1;
    }
}

static char srv_cmds[16384];
static size_t srv_cmds_len;

static void pass_server_retr(void)
{
    static const mp_pop3_server_callbacks cb = {.on_decide = server_decide};
    static const mp_pop3_server_config cfg = {
        .hostname = "pop.example.org", .line_buf = sh.line, .line_cap = sizeof(sh.line)};
    static const char fixed[] = "+OK POP3 server ready\r\n+OK Send PASS\r\n"
                                "+OK pop.example.org POP3 server signing off\r\n";
    size_t off = 0, used, expect;
    char open_line[96];
    mp_status st;
    sh.wire = 0;
    if ((st = mp_pop3_server_init(&sh.s, &cfg, &cb, NULL, sh.out, sizeof(sh.out))) != MP_OK)
        fail("server init", st);
    do {
        st = mp_pop3_server_feed(&sh.s, srv_cmds + off, srv_cmds_len - off, &used);
        off += used;
        server_send();
    } while (st == MP_OK && off < srv_cmds_len);
    if (st != MP_CLOSED)
        fail("server feed", st);
    expect = (size_t)sprintf(open_line, "+OK maildrop has %u messages (%zu octets)\r\n", nmail,
                             mail_at[nmail]) +
             sizeof(fixed) - 1 + nmail * strlen("+OK message follows\r\n") + retr_stuffed;
    if (sh.wire != expect)
        fail("server wire bytes", MP_ERR_STATE);
    sink = sh.wire;
}

static void run_lists(size_t piece)
{
    size_t content, ev = run_resp(lists, lists_len, piece, expect_seq, &content);
    if (ev != lists_events)
        fail("listing events", MP_ERR_STATE);
    sink = ev;
}
static void pass_list_whole(void) { run_lists(0); }
static void pass_list_64(void) { run_lists(64); }
static void pass_list_1(void) { run_lists(1); }

static void run_cmds(size_t piece)
{
    mp_line_framer f;
    size_t off = 0, count = 0;
    mp_line_framer_init(&f, linebuf, sizeof(linebuf), MP_POP3_MAX_COMMAND_LINE, 0);
    while (off < cmds_len) {
        size_t n = piece_of(piece, cmds_len - off), k = 0;
        while (k < n) {
            size_t used;
            mp_slice line;
            mp_pop3_cmd c;
            mp_error e;
            mp_status st = mp_line_framer_next(&f, cmds + off + k, n - k, &used, &line);
            k += used;
            if (st == MP_NEED_MORE)
                break;
            if (st != MP_OK || (st = mp_pop3_cmd_parse(line.ptr, line.len, 0, NULL, &c, &e)) != MP_OK)
                fail("cmd", st);
            count++;
        }
        off += n;
    }
    if (count != cmds_count)
        fail("command count", MP_ERR_STATE);
    sink = count;
}
static void pass_cmd_whole(void) { run_cmds(0); }
static void pass_cmd_64(void) { run_cmds(64); }
static void pass_cmd_1(void) { run_cmds(1); }

static void measure(const char *name, void (*fn)(void), int slow, const char *in, size_t n,
                    int once)
{
    const char *fname = fn == pass_retr_whole ? "pass_retr_whole"
                        : fn == pass_retr_64  ? "pass_retr_64"
                        : fn == pass_retr_1   ? "pass_retr_1"
                        : fn == pass_client_whole ? "pass_client_whole"
                        : fn == pass_client_64 ? "pass_client_64"
                        : fn == pass_client_1 ? "pass_client_1"
                        : fn == pass_list_whole ? "pass_list_whole"
                        : fn == pass_list_64  ? "pass_list_64"
                        : fn == pass_list_1   ? "pass_list_1"
                        : fn == pass_cmd_whole ? "pass_cmd_whole"
                        : fn == pass_cmd_64   ? "pass_cmd_64"
                        : fn == pass_server_retr ? "pass_server_retr"
                                              : "pass_cmd_1";
    bench_measure(name, fname, fn, slow, in, n, NULL, 0, once, 0);
}

int main(int argc, char **argv)
{
    int once = argc > 1 && strcmp(argv[1], "--once") == 0;
    if (argc > 1 && !once && (runs = atoi(argv[1])) < 1)
        runs = 20;
    make_corpora();
    {
        unsigned k;
        srv_cmds_len = (size_t)sprintf(srv_cmds, "USER u\r\nPASS p\r\n");
        for (k = 1; k <= nmail; k++)
            srv_cmds_len += (size_t)sprintf(srv_cmds + srv_cmds_len, "RETR %u\r\n", k);
        srv_cmds_len += (size_t)sprintf(srv_cmds + srv_cmds_len, "QUIT\r\n");
    }
    printf("corpus: %u RETR responses, %zu bytes (%zu content bytes); listings %zu bytes "
           "(%zu events); %zu commands, %zu bytes\n",
           NMSG, retr_len, retr_content, lists_len, lists_events, cmds_count, cmds_len);
    if (!once)
        printf("best of %d runs (%d for 1-byte feeding); MB/s of input; memchr('\\n') over "
               "the same bytes is the ceiling\n",
               runs, runs / 4 > 3 ? runs / 4 : 3);
    measure("RETR content, whole", pass_retr_whole, 0, retr, retr_len, once);
    measure("RETR content, 64-byte", pass_retr_64, 0, retr, retr_len, once);
    measure("RETR content, 1-byte", pass_retr_1, 1, retr, retr_len, once);
    measure("RETR via client, whole", pass_client_whole, 0, retr, retr_len, once);
    measure("RETR via client, 64-byte", pass_client_64, 0, retr, retr_len, once);
    measure("RETR via client, 1-byte", pass_client_1, 1, retr, retr_len, once);
    measure("RETR via server", pass_server_retr, 0, maildrop, mail_at[nmail], once);
    measure("listings, whole", pass_list_whole, 0, lists, lists_len, once);
    measure("listings, 64-byte", pass_list_64, 0, lists, lists_len, once);
    measure("listings, 1-byte", pass_list_1, 1, lists, lists_len, once);
    measure("cmd parser, whole", pass_cmd_whole, 0, cmds, cmds_len, once);
    measure("cmd parser, 64-byte", pass_cmd_64, 0, cmds, cmds_len, once);
    measure("cmd parser, 1-byte", pass_cmd_1, 1, cmds, cmds_len, once);
    if (once)
        printf("instructions/byte = callgrind Ir (inclusive) of each pass_ function / its "
               "input bytes (bench/callgrind-ipb does the division)\n");
    SIZEOF(mp_pop3_client);
    SIZEOF(mp_pop3_client_event);
    SIZEOF(mp_pop3_server);
    SIZEOF(mp_pop3_resp_parser);
    SIZEOF(mp_pop3_resp_event);
    SIZEOF(mp_pop3_cmd);
    SIZEOF(mp_pop3_caps);
    SIZEOF(mp_pop3_top_cutter);
    SIZEOF(mp_line_framer);
    SIZEOF(mp_dot_decoder);
    SIZEOF(mp_dot_encoder);
    printf("host buffers: response line buffer %u (status/listing lines) or %u (with AUTH "
           "challenges); command line buffer %u\n",
           MP_POP3_MAX_RESPONSE_LINE - 2u, MP_POP3_MAX_AUTH_LINE - 2u,
           MP_POP3_MAX_COMMAND_LINE - 2u);
    return 0;
}
