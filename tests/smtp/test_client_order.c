/* SMTP client session: a reply counts only for a command whose bytes the
 * host has already taken with output_done() (docs/architecture.md §3,
 * issue 13 item 6).  A server that answers before it could have read the
 * command (an extra line after the EHLO reply, a pipelined reply ahead of
 * its RCPT, a 250 before the end of the body, a 334 before AUTH, a 220
 * before STARTTLS, a 221 before QUIT) is MP_ERR_SMTP_UNEXPECTED_REPLY at
 * the offset of that reply's first byte, never taken as the answer.
 *
 * The transcripts say where the host sends: "<SEND>" (all its output) and
 * "<SEND:n>" (n bytes), the scenarios' manual_send mode of the fixture;
 * each runs whole, byte by byte and at random splits (mp_split_check). */
#define SMTP_CLIENT_FX_BRIEF_MESSAGE 1
#include "client_fixture.h"

#define LOG_HELLO "greeting 220\nchunk out EHLO client.example.org\\r\\n\n"
#define UNEXPECTED(off) "status MP_ERR_SMTP_UNEXPECTED_REPLY @" #off "\nend phase=10\n"

/* One transaction, two recipients, QUIT after it. */
static const scenario manual = {
    .manual_send = 1, .actions = "SQ", .from = "a@b.example",
    .rcpts = {"x@c.example", "y@c.example"}, .body = "x\r\n",
};

/* The issue's case: an extra reply after the EHLO reply, before MAIL was
 * written (to a server with and without PIPELINING), taken for the reply
 * to MAIL before the fix.  Sent first, the same line is MAIL's reply. */
static void test_extra_reply_after_ehlo(void **s)
{
    static const scenario np = {
        .manual_send = 1, .actions = "SQ", .flags = MP_SMTP_CLIENT_NO_PIPELINING,
        .from = "a@b.example", .rcpts = {"x@c.example"}, .body = "x\r\n",
    };
    (void)s;
    run(&manual, "220 mx\r\n<SEND>250-mx\r\n250 PIPELINING\r\n250 2.1.0 extra\r\n",
        LOG_HELLO
        "ext PIPELINING bit=4\n"
        "ready\n" UNEXPECTED(32));
    run(&np, "220 mx\r\n<SEND>250 mx\r\n250 2.1.0 extra\r\n<SEND>250 ok\r\n",
        LOG_HELLO "ready\n" UNEXPECTED(16));
    /* A multi-line early reply fails at its first line: its keyword-like
     * lines are never read as EHLO keywords. */
    run(&np, "220 mx\r\n<SEND>250 mx\r\n250-x\r\n250 8BITMIME\r\n",
        LOG_HELLO "ready\n" UNEXPECTED(16));
    /* The MAIL command sent first: the same bytes are its reply. */
    run(&np, "220 mx\r\n<SEND>250 mx\r\n<SEND>250 2.1.0 extra\r\n",
        LOG_HELLO "ready\n"
        "chunk out MAIL FROM:<a@b.example>\\r\\n\n"
        "mail 250\n"
        "end phase=6\n");
}

/* The greeting needs no command; the EHLO reply does: a server that sends
 * both before reading EHLO has its "250" refused. */
static void test_hello_reply_early(void **s)
{
    static const scenario quit = {.manual_send = 1, .actions = "Q"};
    (void)s;
    run(&quit, "220 mx\r\n250 mx\r\n", "greeting 220\n" UNEXPECTED(8));
    /* Half of EHLO sent is not EHLO sent. */
    run(&quit, "220 mx\r\n<SEND:5>250 mx\r\n",
        "greeting 220\nchunk out EHLO \n" UNEXPECTED(8));
    /* The rest sent: the reply counts. */
    run(&quit, "220 mx\r\n<SEND:5><SEND>250 mx\r\n<SEND>221 bye\r\n",
        "greeting 220\nchunk out EHLO client.example.org\\r\\n\n"
        "ready\nchunk out QUIT\\r\\n\nclosed 221\nstatus MP_CLOSED @0\nend phase=9\n");
}

/* PIPELINING: MAIL, two RCPTs and DATA written at once; the host has sent
 * only part of them.  A reply is refused while its command is not wholly
 * sent (the "@" offsets are those of the reply refused). */
static void test_pipelined_batch(void **s)
{
#define EHLO_P "220 mx\r\n<SEND>250-mx\r\n250 PIPELINING\r\n"
#define LOG_P LOG_HELLO "ext PIPELINING bit=4\nready\n"
    (void)s;
    /* Nothing sent: MAIL's reply is early. */
    run(&manual, EHLO_P "250 ok\r\n", LOG_P UNEXPECTED(32));
    /* MAIL sent (25 bytes), the first RCPT not. */
    run(&manual, EHLO_P "<SEND:25>250 ok\r\n250 ok\r\n",
        LOG_P "chunk out MAIL FROM:<a@b.example>\\r\\n\nmail 250\n" UNEXPECTED(40));
    /* ...one byte of it sent. */
    run(&manual, EHLO_P "<SEND:26>250 ok\r\n250 ok\r\n",
        LOG_P "chunk out MAIL FROM:<a@b.example>\\r\\nR\nmail 250\n" UNEXPECTED(40));
    /* MAIL and the first RCPT sent (25 + 23): the second RCPT's reply is
     * early; then both RCPTs sent, DATA's 354 early in the same way. */
    run(&manual, EHLO_P "<SEND:48>250 ok\r\n250 ok\r\n250 ok\r\n",
        LOG_P "chunk out MAIL FROM:<a@b.example>\\r\\nRCPT TO:<x@c.example>\\r\\n\n"
              "mail 250\nrcpt 0 250\n" UNEXPECTED(48));
    run(&manual, EHLO_P "<SEND:71>250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n",
        LOG_P "chunk out MAIL FROM:<a@b.example>\\r\\nRCPT TO:<x@c.example>\\r\\n"
              "RCPT TO:<y@c.example>\\r\\n\n"
              "mail 250\nrcpt 0 250\nrcpt 1 250\n" UNEXPECTED(56));
    /* All of it sent: the whole transaction. */
    run(&manual, EHLO_P "<SEND>250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n<SEND>250 queued\r\n"
                 "<SEND>221 bye\r\n",
        LOG_P "chunk out MAIL FROM:<a@b.example>\\r\\nRCPT TO:<x@c.example>\\r\\n"
              "RCPT TO:<y@c.example>\\r\\nDATA\\r\\n\n"
              "mail 250\nrcpt 0 250\nrcpt 1 250\nbody-ready 354\n"
              "chunk out x\\r\\n.\\r\\n\n"
              "message 250 accepted=2\nready\n"
              "chunk out QUIT\\r\\n\nclosed 221\nstatus MP_CLOSED @0\nend phase=9\n");
}

/* The end of a DATA body: "250" before the final ".\r\n" is sent. */
static void test_data_end(void **s)
{
    static const scenario last = {
        .manual_send = 1, .actions = "L", .from = "a@b.example", .rcpts = {"x@c.example"},
        .body = "x\r\n",
    };
#define TO_354 EHLO_P "<SEND>250 ok\r\n250 ok\r\n354 go\r\n"
#define LOG_354                                                                               \
    LOG_P "chunk out MAIL FROM:<a@b.example>\\r\\nRCPT TO:<x@c.example>\\r\\nDATA\\r\\n\n"  \
          "mail 250\nrcpt 0 250\nbody-ready 354\n"
    (void)s;
    /* Body and dot unsent; then all but the dot's LF sent. */
    run(&last, TO_354 "250 queued\r\n", LOG_354 UNEXPECTED(56));
    run(&last, TO_354 "<SEND:5>250 queued\r\n",
        LOG_354 "chunk out x\\r\\n.\\r\n" UNEXPECTED(56));
    /* The last transaction: QUIT rides behind the dot (RFC 2920 §3.1).
     * The dot sent, QUIT not: the message's reply counts, a 221 does not. */
    run(&last, TO_354 "<SEND:6>250 queued\r\n221 bye\r\n",
        LOG_354 "chunk out x\\r\\n.\\r\\n\nmessage 250 accepted=1\n" UNEXPECTED(68));
    run(&last, TO_354 "<SEND>250 queued\r\n221 bye\r\n",
        LOG_354 "chunk out x\\r\\n.\\r\\nQUIT\\r\\n\nmessage 250 accepted=1\n"
                "closed 221\nstatus MP_CLOSED @0\nend phase=9\n");
}

/* BDAT (RFC 3030): each chunk's reply, and the LAST one's, only after the
 * chunk was sent. */
static void test_bdat(void **s)
{
    static const scenario sc = {
        .manual_send = 1, .actions = "SQ", .from = "a@b.example", .rcpts = {"x@c.example"},
        .body = "abcdef\r\n", .body_chunk = 4,
    };
#define EHLO_C "220 mx\r\n<SEND>250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n"
#define LOG_C LOG_HELLO "ext PIPELINING bit=4\next CHUNKING bit=40\nready\n"
#define TO_BODY EHLO_C "<SEND>250 ok\r\n250 ok\r\n"
#define LOG_BODY                                                                              \
    LOG_C "chunk out MAIL FROM:<a@b.example>\\r\\nRCPT TO:<x@c.example>\\r\\n\n"             \
          "mail 250\nrcpt 0 250\nbody-ready 250\n"
    (void)s;
    /* Chunks "BDAT 4\r\nabcd", "BDAT 4\r\nef\r\n", "BDAT 0 LAST\r\n" are
     * written; none sent. */
    run(&sc, TO_BODY "250 chunk\r\n", LOG_BODY UNEXPECTED(62));
    /* The first chunk sent (12 bytes), its reply counts; the second's not. */
    run(&sc, TO_BODY "<SEND:12>250 chunk\r\n250 chunk\r\n",
        LOG_BODY "chunk out BDAT 4\\r\\nabcd\n" UNEXPECTED(73));
    /* Both data chunks sent, "BDAT 0 LAST" not. */
    run(&sc, TO_BODY "<SEND:24>250 chunk\r\n250 chunk\r\n250 queued\r\n",
        LOG_BODY "chunk out BDAT 4\\r\\nabcdBDAT 4\\r\\nef\\r\\n\n" UNEXPECTED(84));
    /* Everything sent. */
    run(&sc, TO_BODY "<SEND>250 chunk\r\n250 chunk\r\n250 queued\r\n<SEND>221 bye\r\n",
        LOG_BODY "chunk out BDAT 4\\r\\nabcdBDAT 4\\r\\nef\\r\\nBDAT 0 LAST\\r\\n\n"
                 "message 250 accepted=1\nready\n"
                 "chunk out QUIT\\r\\n\nclosed 221\nstatus MP_CLOSED @0\nend phase=9\n");
}

/* BDAT chunks behind a chunk not yet sent take at most 4 KiB (the
 * session keeps the distance between unsent commands in 12 bits); the
 * first one, and those after everything was sent, fill the buffer. */
static void test_bdat_behind_unsent(void **s)
{
    static char body[25330];
    static const scenario sc = {
        .manual_send = 1, .actions = "SQ", .outcap = 16384, .from = "a@b.example",
        .rcpts = {"x@c.example"}, .body = body,
    };
    const char *log;
    (void)s;
    memset(body, 'a', sizeof(body) - 3);
    memcpy(body + sizeof(body) - 3, "\r\n", 3);
    fx.sc = &sc;
    /* The second "<SEND>" sends what the first one made room for. */
    transcript = TO_BODY "<SEND:8000><SEND><SEND>250 c1\r\n250 c2\r\n250 c3\r\n250 c4\r\n"
                         "250 done\r\n<SEND>221 bye\r\n";
    {
        mp_split_target t = {fx_reset, fx_feed, fx_finish, &fx};
        log = mp_split_check(&t, transcript, strlen(transcript), NULL);
    }
    /* 16384 - 32 (room kept for a header); behind it 4095 - 32; then what
     * the 8000 bytes sent left; after all was sent, the rest. */
    assert_non_null(strstr(log, "chunk out BDAT 16352\\r\\naaa"));
    assert_non_null(strstr(log, "aBDAT 4063\\r\\naaa"));
    assert_non_null(strstr(log, "aBDAT 3914\\r\\naaa"));
    assert_non_null(strstr(log, "aBDAT 1000\\r\\naaa"));
    assert_non_null(strstr(log, "a\\r\\nBDAT 0 LAST\\r\\n\n"
                                "message 250 accepted=1\nready\nchunk out QUIT\\r\\n\n"
                                "closed 221\n"));
}

/* AUTH (RFC 4954): the 334 before the AUTH line is sent, and a 334 or 235
 * before the host's response to the previous challenge is sent. */
static void test_auth(void **s)
{
    static const scenario login = {
        .manual_send = 1, .actions = "AQ", .auth_mech = "LOGIN",
        .auth_replies = {"tim", "tanstaaf"}, .tls = MP_SMTP_TLS_IMPLICIT,
    };
#define EHLO_A "220 mx\r\n<SEND>250-mx\r\n250 AUTH LOGIN\r\n"
#define LOG_A LOG_HELLO "ext AUTH LOGIN bit=2\nready\n"
    (void)s;
    run(&login, EHLO_A "334 VXNlcm5hbWU6\r\n", LOG_A UNEXPECTED(32));
    /* AUTH sent; its 334 answered by the host inside the event ("dGlt"),
     * not yet sent when the next 334 comes. */
    run(&login, EHLO_A "<SEND>334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n",
        LOG_A "chunk out AUTH LOGIN\\r\\n\nchallenge Username:\n" UNEXPECTED(50));
    /* The second response unsent when 235 comes. */
    run(&login, EHLO_A "<SEND>334 VXNlcm5hbWU6\r\n<SEND>334 UGFzc3dvcmQ6\r\n235 ok\r\n",
        LOG_A "chunk out AUTH LOGIN\\r\\n\nchallenge Username:\n"
              "chunk out dGlt\\r\\n\nchallenge Password:\n" UNEXPECTED(68));
    run(&login, EHLO_A "<SEND>334 VXNlcm5hbWU6\r\n<SEND>334 UGFzc3dvcmQ6\r\n<SEND>235 ok\r\n"
                "<SEND>221 bye\r\n",
        LOG_A "chunk out AUTH LOGIN\\r\\n\nchallenge Username:\n"
              "chunk out dGlt\\r\\n\nchallenge Password:\n"
              "chunk out dGFuc3RhYWY=\\r\\n\nauth 235 ok\nready\n"
              "chunk out QUIT\\r\\n\nclosed 221\nstatus MP_CLOSED @0\nend phase=9\n");
}

/* STARTTLS: a 220 before the command is sent is not the go-ahead (and
 * the TLS switch never happens on it). */
static void test_starttls(void **s)
{
    static const scenario req = {
        .manual_send = 1, .actions = "Q", .tls = MP_SMTP_TLS_REQUIRED,
    };
    (void)s;
    run(&req, "220 mx\r\n<SEND>250-mx\r\n250 STARTTLS\r\n220 go ahead\r\n",
        LOG_HELLO "ext STARTTLS bit=100\n" UNEXPECTED(30));
    run(&req, "220 mx\r\n<SEND>250-mx\r\n250 STARTTLS\r\n<SEND>220 go ahead\r\n<TLS>"
              "<SEND>250 mx\r\n<SEND>221 bye\r\n",
        LOG_HELLO "ext STARTTLS bit=100\n"
        "chunk out STARTTLS\\r\\n\n"
        "switch\ntls-started\n"
        "chunk out EHLO client.example.org\\r\\n\n"
        "ready\nchunk out QUIT\\r\\n\nclosed 221\nstatus MP_CLOSED @0\nend phase=9\n");
    /* The EHLO after TLS answered before it is sent. */
    run(&req, "220 mx\r\n<SEND>250-mx\r\n250 STARTTLS\r\n<SEND>220 go ahead\r\n<TLS>"
              "250 mx\r\n",
        LOG_HELLO "ext STARTTLS bit=100\n"
        "chunk out STARTTLS\\r\\n\n"
        "switch\ntls-started\n" UNEXPECTED(44));
}

/* QUIT: a 221 before QUIT is sent is unexpected; a 421 is the server
 * closing on its own (RFC 5321 §3.8), asked for or not. */
static void test_quit(void **s)
{
    static const scenario quit = {.manual_send = 1, .actions = "Q"};
    (void)s;
    run(&quit, "220 mx\r\n<SEND>250 mx\r\n221 bye\r\n", LOG_HELLO "ready\n" UNEXPECTED(16));
    run(&quit, "220 mx\r\n<SEND>250 mx\r\n421 shutting down\r\n",
        LOG_HELLO "ready\nclosed 421\nstatus MP_ERR_SMTP_CLOSING @16\nend phase=10\n");
    run(&quit, "220 mx\r\n<SEND>250 mx\r\n<SEND>421 shutting down\r\n",
        LOG_HELLO "ready\nchunk out QUIT\\r\\n\nclosed 421\nstatus MP_CLOSED @0\n"
        "end phase=9\n");
}

/* The rule at the API: output_done() before or after the reply. */
static int count_event(void *user, const mp_smtp_client_event *ev)
{
    (void)ev;
    (*(int *)user)++;
    return MP_SMTP_CB_CONTINUE;
}

static void test_api(void **s)
{
    static mp_smtp_client c;
    static char out[2048];
    mp_smtp_client_config cfg;
    mp_smtp_client_callbacks cb = {count_event};
    int events = 0;
    size_t used, n;
    (void)s;
    memset(&cfg, 0, sizeof(cfg));
    cfg.helo_name = MP_SLICE_LIT("c.example");
    assert_int_equal(mp_smtp_client_init(&c, &cfg, &cb, &events, out, sizeof(out)), MP_OK);
    assert_int_equal(mp_smtp_client_feed(&c, "220 mx\r\n", 8, &used), MP_NEED_MORE);
    (void)mp_smtp_client_output(&c, &n);
    assert_int_equal(n, 16); /* EHLO c.example */
    assert_int_equal(mp_smtp_client_output_done(&c, 15), MP_OK);
    /* The first byte of the reply arrives while the LF is unsent; the host
     * sends it before the line is complete: still early. */
    assert_int_equal(mp_smtp_client_feed(&c, "2", 1, &used), MP_NEED_MORE);
    assert_int_equal(mp_smtp_client_output_done(&c, 1), MP_OK);
    assert_int_equal(mp_smtp_client_feed(&c, "50 mx\r\n", 7, &used),
                     MP_ERR_SMTP_UNEXPECTED_REPLY);
    assert_int_equal(mp_smtp_client_error(&c)->offset, 8);
    assert_int_equal(mp_smtp_client_phase_of(&c), MP_SMTP_PH_FAILED);

    assert_int_equal(mp_smtp_client_init(&c, &cfg, &cb, &events, out, sizeof(out)), MP_OK);
    assert_int_equal(mp_smtp_client_feed(&c, "220 mx\r\n", 8, &used), MP_NEED_MORE);
    assert_int_equal(mp_smtp_client_output_done(&c, 16), MP_OK);
    assert_int_equal(mp_smtp_client_feed(&c, "250 mx\r\n", 8, &used), MP_NEED_MORE);
    assert_int_equal(mp_smtp_client_phase_of(&c), MP_SMTP_PH_READY);
}

/* A host that sends all of its output. */
static void sent_all(mp_smtp_client *c)
{
    size_t n;
    (void)mp_smtp_client_output(c, &n);
    assert_int_equal(mp_smtp_client_output_done(c, n), MP_OK);
}

/* After such a failure only QUIT goes out: the commands the host has not
 * begun to send are dropped, the rest of one it has begun and the end of
 * a DATA body are kept; inside a DATA body no QUIT at all. */
typedef struct send_host {
    mp_smtp_client_envelope env;
    mp_smtp_client_rcpt r[2];
    const char *body; /* pushed at BODY_READY, then ended unless "cut" */
    int cut;
} send_host;

static struct dead_fx {
    mp_smtp_client c;
    send_host h;
    char out[2048];
} dfx;

static int send_event(void *user, const mp_smtp_client_event *ev)
{
    send_host *h = user;
    mp_smtp_client *c = &dfx.c;
    size_t used;
    if (ev->type == MP_SMTP_EV_READY)
        assert_int_equal(mp_smtp_client_send(c, &h->env), MP_OK);
    if (ev->type == MP_SMTP_EV_BODY_READY && h->body != NULL) {
        assert_int_equal(mp_smtp_client_body(c, h->body, strlen(h->body), &used), MP_OK);
        if (!h->cut)
            assert_int_equal(mp_smtp_client_body_end(c), MP_OK);
        h->body = NULL;
    }
    return MP_SMTP_CB_CONTINUE;
}

static void dead_start(const char *body, int cut, int pipelining)
{
    static const mp_smtp_client_callbacks cb = {send_event};
    mp_smtp_client_config cfg;
    size_t used;
    memset(&dfx, 0, sizeof(dfx));
    memset(&cfg, 0, sizeof(cfg));
    cfg.helo_name = MP_SLICE_LIT("c.example");
    dfx.h.r[0].address = MP_SLICE_LIT("x@c.example");
    dfx.h.r[1].address = MP_SLICE_LIT("y@c.example");
    dfx.h.env.from = MP_SLICE_LIT("a@b.example");
    dfx.h.env.rcpts = dfx.h.r;
    dfx.h.env.nrcpts = 2;
    dfx.h.body = body;
    dfx.h.cut = cut;
    assert_int_equal(mp_smtp_client_init(&dfx.c, &cfg, &cb, &dfx.h, dfx.out, sizeof(dfx.out)),
                     MP_OK);
    assert_int_equal(mp_smtp_client_feed(&dfx.c, "220 mx\r\n", 8, &used), MP_NEED_MORE);
    sent_all(&dfx.c);
    if (pipelining)
        assert_int_equal(mp_smtp_client_feed(&dfx.c, "250-mx\r\n250 PIPELINING\r\n", 24, &used),
                         MP_NEED_MORE);
    else
        assert_int_equal(mp_smtp_client_feed(&dfx.c, "250 mx\r\n", 8, &used), MP_NEED_MORE);
}

static void output_is(const char *want)
{
    size_t n;
    const char *p = mp_smtp_client_output(&dfx.c, &n);
    assert_int_equal(n, strlen(want));
    assert_memory_equal(p, want, n);
}

/* Feed a reply that is refused as early: the session dies. */
static void refused(const char *reply)
{
    size_t used;
    assert_int_equal(mp_smtp_client_feed(&dfx.c, reply, strlen(reply), &used),
                     MP_ERR_SMTP_UNEXPECTED_REPLY);
}

/* Everything sent, MAIL and RCPTs accepted, DATA's 354 (the host's event
 * pushes the body), then `reply` before the host sent again. */
static void refused_after_354(const char *reply)
{
    static const char to354[] = "250 a\r\n250 b\r\n250 c\r\n354 go\r\n";
    size_t used;
    sent_all(&dfx.c);
    assert_int_equal(mp_smtp_client_feed(&dfx.c, to354, sizeof(to354) - 1, &used),
                     MP_NEED_MORE);
    refused(reply);
}

static void test_quit_after_failure(void **s)
{
    size_t used;
    (void)s;
    /* The batch written at READY, an extra line: none of it goes out. */
    dead_start(NULL, 0, 1);
    refused("250 extra\r\n");
    assert_int_equal(mp_smtp_client_quit(&dfx.c), MP_OK);
    output_is("QUIT\r\n");
    assert_int_equal(mp_smtp_client_quit(&dfx.c), MP_OK); /* once */
    output_is("QUIT\r\n");
    /* 10 bytes of MAIL sent: its rest, then QUIT. */
    dead_start(NULL, 0, 1);
    assert_int_equal(mp_smtp_client_output_done(&dfx.c, 10), MP_OK);
    refused("250 extra\r\n");
    assert_int_equal(mp_smtp_client_quit(&dfx.c), MP_OK);
    output_is("<a@b.example>\r\nQUIT\r\n");
    /* After the 354 the body and its dot are written but unsent when a
     * reply comes: they go first (the server reads message text), then QUIT. */
    dead_start("hi\r\n", 0, 1);
    refused_after_354("250 queued\r\n");
    assert_int_equal(mp_smtp_client_quit(&dfx.c), MP_OK);
    output_is("hi\r\n.\r\nQUIT\r\n");
    /* Inside a DATA body (not ended): no QUIT can be said. */
    dead_start("partial", 1, 1);
    refused_after_354("250 early\r\n");
    assert_int_equal(mp_smtp_client_quit(&dfx.c), MP_ERR_STATE);
    output_is("partial");
    /* A refused greeting queues QUIT itself; asking again adds nothing. */
    dead_start(NULL, 0, 0);
    assert_int_equal(mp_smtp_client_init(&dfx.c, &(mp_smtp_client_config){
                                                      .helo_name = MP_SLICE_LIT("c.example")},
                                         &(mp_smtp_client_callbacks){send_event}, &dfx.h,
                                         dfx.out, sizeof(dfx.out)),
                     MP_OK);
    assert_int_equal(mp_smtp_client_feed(&dfx.c, "554 no\r\n", 8, &used),
                     MP_ERR_SMTP_GREETING_REFUSED);
    assert_int_equal(mp_smtp_client_quit(&dfx.c), MP_OK);
    output_is("QUIT\r\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extra_reply_after_ehlo),
        cmocka_unit_test(test_hello_reply_early),
        cmocka_unit_test(test_pipelined_batch),
        cmocka_unit_test(test_data_end),
        cmocka_unit_test(test_bdat),
        cmocka_unit_test(test_bdat_behind_unsent),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_starttls),
        cmocka_unit_test(test_quit),
        cmocka_unit_test(test_api),
        cmocka_unit_test(test_quit_after_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
