/* SMTP/LMTP client session against scripted server transcripts.  Each
 * transcript is fed whole, byte by byte and at random splits; the log holds
 * the session's events and everything it wrote ("chunk out"), so every
 * command is checked byte-exact and in order.  A "<TLS>" marker in a
 * transcript stands for the TLS handshake: the fixture stops feeding at it,
 * expects MP_TRANSPORT_SWITCH there and calls mp_smtp_client_tls_started. */
#include "client_fixture.h"

/* ----------------------------------------------------------------------- */

/* Event log fragments most scenarios share: the greeting and first EHLO,
 * the keywords of EHLO_PLAIN / EHLO_PIPE, and the final QUIT. */
#define LOG_HELLO "greeting 220\nchunk out EHLO client.example.org\\r\\n\n"
#define LOG_EXT_PLAIN "ext SIZE 1000000 bit=1\next 8BITMIME bit=8\next HELP bit=0\n"
#define LOG_EXT_PIPE "ext PIPELINING bit=4\next DSN bit=20\next ENHANCEDSTATUSCODES bit=200\n"
#define LOG_QUIT "ready\nchunk out QUIT\\r\\n\nclosed 221\nstatus MP_CLOSED @0\nend phase=9\n"

#define EHLO_PLAIN "250-mx.example.com\r\n250-SIZE 1000000\r\n250-8BITMIME\r\n250 HELP\r\n"

/* RFC 5321 Appendix D.1 without PIPELINING: one command per reply; one
 * recipient refused; the body dot-stuffed. */
static void test_basic_transaction(void **s)
{
    static const scenario sc = {
        .name = "basic", .actions = "SQ", .from = "Smith@bar.com",
        .rcpts = {"Jones@foo.com", "Green@foo.com", "Brown@foo.com"},
        .body = "Blah blah blah...\r\n.hidden dot\r\n..two\r\n\r\n.\r\nend\r\n",
        .body_type = MP_SMTP_BODY_8BITMIME, .size = 99,
    };
    (void)s;
    run(&sc,
        "220 foo.com Simple Mail Transfer Service Ready\r\n" EHLO_PLAIN
        "250 OK\r\n250 OK\r\n550 No such user here\r\n250 OK\r\n"
        "354 Start mail input; end with <CRLF>.<CRLF>\r\n250 OK\r\n"
        "221 foo.com Service closing transmission channel\r\n",
        LOG_HELLO
        LOG_EXT_PLAIN
        "ready\n"
        "chunk out MAIL FROM:<Smith@bar.com> SIZE=99 BODY=8BITMIME\\r\\n\n"
        "mail 250\n"
        "chunk out RCPT TO:<Jones@foo.com>\\r\\n\n"
        "rcpt 0 250\n"
        "chunk out RCPT TO:<Green@foo.com>\\r\\n\n"
        "rcpt 1 550\n"
        "chunk out RCPT TO:<Brown@foo.com>\\r\\n\n"
        "rcpt 2 250\n"
        "chunk out DATA\\r\\n\n"
        "body-ready 354\n"
        "chunk out Blah blah blah...\\r\\n..hidden dot\\r\\n...two\\r\\n\\r\\n..\\r\\nend"
        "\\r\\n.\\r\\n\n"
        "message 250 accepted=2\n"
        LOG_QUIT);
}

#define EHLO_PIPE                                                                            \
    "250-mx.example.com\r\n250-PIPELINING\r\n250-DSN\r\n250-ENHANCEDSTATUSCODES\r\n"          \
    "250 8BITMIME\r\n"

/* PIPELINING (RFC 2920): MAIL, all RCPTs and DATA in one write; replies
 * matched in order; a partly refused recipient list; DSN parameters;
 * then a second transaction on the same connection. */
static void test_pipelined_two_transactions(void **s)
{
    static const scenario sc = {
        .name = "pipe", .actions = "SSQ", .from = "a@b.example",
        .rcpts = {"x@c.example", "y@c.example"},
        .notify = MP_SMTP_NOTIFY_FAILURE | MP_SMTP_NOTIFY_DELAY, .envid = "id 1",
        .body = "Subject: hi\r\n\r\nline\r\n", .body_chunk = 3,
    };
    (void)s;
    run(&sc,
        "220 mx ESMTP\r\n" EHLO_PIPE
        "250 2.1.0 Ok\r\n550 5.1.1 <x@c.example>: unknown\r\n250 2.1.5 Ok\r\n"
        "354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued as 1\r\n"
        "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 go\r\n"
        "554 5.7.1 rejected\r\n221 2.0.0 Bye\r\n",
        LOG_HELLO
        LOG_EXT_PIPE
        "ext 8BITMIME bit=8\n"
        "ready\n"
        "chunk out MAIL FROM:<a@b.example> ENVID=id+201\\r\\n"
        "RCPT TO:<x@c.example> NOTIFY=FAILURE,DELAY\\r\\n"
        "RCPT TO:<y@c.example> NOTIFY=FAILURE,DELAY\\r\\nDATA\\r\\n\n"
        "mail 250\nrcpt 0 550\nrcpt 1 250\nbody-ready 354\n"
        "chunk out Subject: hi\\r\\n\\r\\nline\\r\\n.\\r\\n\n"
        "message 250 accepted=1\n"
        "ready\n"
        "chunk out MAIL FROM:<a@b.example> ENVID=id+201\\r\\n"
        "RCPT TO:<x@c.example> NOTIFY=FAILURE,DELAY\\r\\n"
        "RCPT TO:<y@c.example> NOTIFY=FAILURE,DELAY\\r\\nDATA\\r\\n\n"
        "mail 250\nrcpt 0 250\nrcpt 1 250\nbody-ready 354\n"
        "chunk out Subject: hi\\r\\n\\r\\nline\\r\\n.\\r\\n\n"
        "message 554 accepted=0 [5.7.1|rejected]\n"
        LOG_QUIT);
}

/* One transaction to two recipients, then QUIT (several tests). */
static const scenario two_rcpts = {
    .actions = "SQ", .from = "a@b.example", .rcpts = {"x@c.example", "y@c.example"},
    .body = "x\r\n",
};

/* Every recipient refused under PIPELINING: the server refuses DATA; the
 * client resets the open transaction (MAIL was accepted). */
static void test_all_rcpts_refused(void **s)
{
    static const scenario np = {
        .actions = "SQ", .flags = MP_SMTP_CLIENT_NO_PIPELINING, .from = "a@b.example",
        .rcpts = {"x@c.example"}, .body = "x\r\n",
    };
    (void)s;
    run(&two_rcpts,
        "220 mx\r\n" EHLO_PIPE
        "250 ok\r\n550 no\r\n551 no\r\n554 5.5.1 no valid recipients\r\n250 reset\r\n221 bye\r\n",
        LOG_HELLO
        LOG_EXT_PIPE
        "ext 8BITMIME bit=8\n"
        "ready\n"
        "chunk out MAIL FROM:<a@b.example>\\r\\nRCPT TO:<x@c.example>\\r\\n"
        "RCPT TO:<y@c.example>\\r\\nDATA\\r\\n\n"
        "mail 250\nrcpt 0 550\nrcpt 1 551\n"
        "message 554 accepted=0 [5.5.1|no valid recipients]\n"
        "chunk out RSET\\r\\n\n"
        LOG_QUIT);
    /* Without pipelining: no DATA is sent at all. */
    run(&np, "220 mx\r\n" EHLO_PIPE "250 ok\r\n550 no\r\n250 reset\r\n221 bye\r\n",
        LOG_HELLO
        LOG_EXT_PIPE
        "ext 8BITMIME bit=8\n"
        "ready\n"
        "chunk out MAIL FROM:<a@b.example>\\r\\n\n"
        "mail 250\n"
        "chunk out RCPT TO:<x@c.example>\\r\\n\n"
        "rcpt 0 550\n"
        "message 550 accepted=0 [|no]\n"
        "chunk out RSET\\r\\n\n"
        LOG_QUIT);
}

/* MAIL refused: no RSET needed, the next READY comes at once. */
static void test_mail_refused(void **s)
{
    static const scenario sc = {
        .actions = "SQ", .from = "", .rcpts = {"x@c.example"}, .body = "x\r\n",
    };
    (void)s;
    run(&sc, "220 mx\r\n" EHLO_PLAIN "553 5.7.1 sender refused\r\n221 bye\r\n",
        LOG_HELLO
        LOG_EXT_PLAIN
        "ready\n"
        "chunk out MAIL FROM:<>\\r\\n\n"
        "mail 553\n"
        "message 553 accepted=0 [5.7.1|sender refused]\n"
        LOG_QUIT);
}

/* EHLO unknown: HELO fallback (RFC 5321 §3.2); no extensions. */
static void test_helo_fallback(void **s)
{
    static const scenario sc = {
        .actions = "SQ", .from = "a@b.example", .rcpts = {"x@c.example"},
        .body = "hello\n.\nbye", .flags = MP_SMTP_CLIENT_NORMALIZE_LF,
        .body_type = MP_SMTP_BODY_7BIT, .size = 10,
    };
    static const scenario rej = {.actions = "Q"};
    (void)s;
    run(&sc,
        "220 old.example\r\n500 Command unrecognized\r\n250 old.example\r\n"
        "250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n",
        "greeting 220\n"
        "chunk out EHLO client.example.org\\r\\nHELO client.example.org\\r\\n\n"
        "ready\n"
        "chunk out MAIL FROM:<a@b.example>\\r\\n\n"
        "mail 250\n"
        "chunk out RCPT TO:<x@c.example>\\r\\n\n"
        "rcpt 0 250\n"
        "chunk out DATA\\r\\n\n"
        "body-ready 354\n"
        "chunk out hello\\r\\n..\\r\\nbye\\r\\n.\\r\\n\n"
        "message 250 accepted=1\n"
        LOG_QUIT);
    run(&rej, "220 old.example\r\n502 no\r\n501 bad name\r\n",
        "greeting 220\n"
        "chunk out EHLO client.example.org\\r\\nHELO client.example.org\\r\\n\n"
        "status MP_ERR_SMTP_HELLO_REJECTED @25\nend phase=10\n");
}

/* Body line ends: strict by default (a bare LF is refused), normalized on
 * request; CR LF split across pushes. */
static void test_body_line_ends(void **s)
{
    static const scenario strict = {
        .actions = "SQ", .from = "a@b.example", .rcpts = {"x@c.example"},
        .body = "ok\r\nbare\nlf\r\n",
    };
    static const scenario split = {
        .actions = "SQ", .from = "a@b.example", .rcpts = {"x@c.example"},
        .body = "a\r\n.\r\n\r\n.b\r", .body_chunk = 1, .flags = MP_SMTP_CLIENT_NORMALIZE_LF,
    };
    (void)s;
    run(&strict, "220 mx\r\n" EHLO_PLAIN "250 ok\r\n250 ok\r\n354 go\r\n",
        LOG_HELLO
        LOG_EXT_PLAIN
        "ready\n"
        "chunk out MAIL FROM:<a@b.example>\\r\\n\n"
        "mail 250\n"
        "chunk out RCPT TO:<x@c.example>\\r\\n\n"
        "rcpt 0 250\n"
        "chunk out DATA\\r\\n\n"
        "body-ready 354\n"
        "chunk out ok\\r\\nbare\n"
        "body MP_ERR_BARE_LF @8\n"
        "end phase=7\n");
    run(&split, "220 mx\r\n" EHLO_PLAIN "250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n221 bye\r\n",
        LOG_HELLO
        LOG_EXT_PLAIN
        "ready\n"
        "chunk out MAIL FROM:<a@b.example>\\r\\n\n"
        "mail 250\n"
        "chunk out RCPT TO:<x@c.example>\\r\\n\n"
        "rcpt 0 250\n"
        "chunk out DATA\\r\\n\n"
        "body-ready 354\n"
        "chunk out a\\r\\n..\\r\\n\\r\\n..b\\r\\n.\\r\\n\n"
        "message 250 accepted=1\n"
        LOG_QUIT);
}

#define EHLO_CHUNK "250-mx\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250 8BITMIME\r\n"

/* CHUNKING (RFC 3030): BDAT chunks framed by the client, "BDAT 0 LAST". */
static void test_bdat(void **s)
{
    static const scenario sc = {
        .actions = "SQ", .from = "a@b.example", .rcpts = {"x@c.example"},
        .body = "line one\nline two\r\n", .flags = MP_SMTP_CLIENT_NORMALIZE_LF, .body_chunk = 9,
    };
    static const scenario bin = {
        .actions = "SQ", .from = "a@b.example", .rcpts = {"x@c.example"},
        .body = "\0\r\n.\n\r", .body_len = 6, .body_type = MP_SMTP_BODY_BINARYMIME,
    };
    static const scenario nopipe = {
        .actions = "SQ", .from = "a@b.example", .rcpts = {"x@c.example"},
        .body = "0123456789", .body_chunk = 4, .flags = MP_SMTP_CLIENT_NO_PIPELINING,
    };
    static const scenario fail = {
        .actions = "SQ", .from = "a@b.example", .rcpts = {"x@c.example"},
        .body = "0123456789", .body_chunk = 4,
    };
    (void)s;
    run(&sc,
        "220 mx\r\n" EHLO_CHUNK "250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n"
        "221 bye\r\n",
        LOG_HELLO
        "ext PIPELINING bit=4\next CHUNKING bit=40\next BINARYMIME bit=80\next 8BITMIME bit=8\n"
        "ready\n"
        "chunk out MAIL FROM:<a@b.example>\\r\\nRCPT TO:<x@c.example>\\r\\n\n"
        "mail 250\nrcpt 0 250\nbody-ready 250\n"
        "chunk out BDAT 10\\r\\nline one\\r\\nBDAT 8\\r\\nline twoBDAT 2\\r\\n\\r\\n"
        "BDAT 0 LAST\\r\\n\n"
        "message 250 accepted=1\n"
        LOG_QUIT);
    run(&bin, "220 mx\r\n" EHLO_CHUNK "250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n221 bye\r\n",
        LOG_HELLO
        "ext PIPELINING bit=4\next CHUNKING bit=40\next BINARYMIME bit=80\next 8BITMIME bit=8\n"
        "ready\n"
        "chunk out MAIL FROM:<a@b.example> BODY=BINARYMIME\\r\\nRCPT TO:<x@c.example>\\r\\n\n"
        "mail 250\nrcpt 0 250\nbody-ready 250\n"
        "chunk out BDAT 6\\r\\n\\x00\\r\\n.\\n\\rBDAT 0 LAST\\r\\n\n"
        "message 250 accepted=1\n"
        LOG_QUIT);
    /* Without PIPELINING each chunk waits for its reply. */
    run(&nopipe,
        "220 mx\r\n" EHLO_CHUNK "250 ok\r\n250 ok\r\n250 a\r\n250 b\r\n250 c\r\n250 done\r\n221 bye\r\n",
        LOG_HELLO
        "ext PIPELINING bit=4\next CHUNKING bit=40\next BINARYMIME bit=80\next 8BITMIME bit=8\n"
        "ready\n"
        "chunk out MAIL FROM:<a@b.example>\\r\\n\n"
        "mail 250\n"
        "chunk out RCPT TO:<x@c.example>\\r\\n\n"
        "rcpt 0 250\nbody-ready 250\n"
        "chunk out BDAT 4\\r\\n0123BDAT 4\\r\\n4567\n"
        "body-ready 250\n"
        "chunk out BDAT 2\\r\\n89\n"
        "body-ready 250\n"
        "chunk out BDAT 0 LAST\\r\\n\n"
        "body-ready 250\n"
        "message 250 accepted=1\n"
        LOG_QUIT);
    /* A refused chunk ends the transaction; RSET after the last reply. */
    run(&fail,
        "220 mx\r\n" EHLO_CHUNK "250 ok\r\n250 ok\r\n552 5.3.4 too big\r\n503 no\r\n503 no\r\n"
        "503 no\r\n250 reset\r\n221 bye\r\n",
        LOG_HELLO
        "ext PIPELINING bit=4\next CHUNKING bit=40\next BINARYMIME bit=80\next 8BITMIME bit=8\n"
        "ready\n"
        "chunk out MAIL FROM:<a@b.example>\\r\\nRCPT TO:<x@c.example>\\r\\n\n"
        "mail 250\nrcpt 0 250\nbody-ready 250\n"
        "chunk out BDAT 4\\r\\n0123BDAT 4\\r\\n4567BDAT 2\\r\\n89BDAT 0 LAST\\r\\n\n"
        "message 552 accepted=0 [5.3.4|too big]\n"
        "chunk out RSET\\r\\n\n"
        LOG_QUIT);
}

/* The host's last transaction (env.last): with PIPELINING, QUIT goes out
 * with the end of the body and the session closes after MESSAGE, without
 * READY or RSET, whether the message was taken or a chunk refused. */
static void test_last_transaction(void **s)
{
    static const scenario data = {
        .actions = "L", .from = "a@b.example", .rcpts = {"x@c.example"}, .body = "x\r\n",
    };
    static const scenario bdat = {
        .actions = "L", .from = "a@b.example", .rcpts = {"x@c.example"}, .body = "0123456789",
        .body_chunk = 4,
    };
    static const scenario nopipe = {
        .actions = "LQ", .flags = MP_SMTP_CLIENT_NO_PIPELINING, .from = "a@b.example",
        .rcpts = {"x@c.example"}, .body = "x\r\n",
    };
    (void)s;
    run(&data, "220 mx\r\n" EHLO_PIPE "250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n",
        LOG_HELLO LOG_EXT_PIPE "ext 8BITMIME bit=8\n"
        "ready\n"
        "chunk out MAIL FROM:<a@b.example>\\r\\nRCPT TO:<x@c.example>\\r\\nDATA\\r\\n\n"
        "mail 250\nrcpt 0 250\nbody-ready 354\n"
        "chunk out x\\r\\n.\\r\\nQUIT\\r\\n\n"
        "message 250 accepted=1\n"
        "closed 221\nstatus MP_CLOSED @0\nend phase=9\n");
    run(&bdat,
        "220 mx\r\n" EHLO_CHUNK "250 ok\r\n250 ok\r\n552 5.3.4 too big\r\n503 no\r\n503 no\r\n"
        "503 no\r\n221 bye\r\n",
        LOG_HELLO
        "ext PIPELINING bit=4\next CHUNKING bit=40\next BINARYMIME bit=80\next 8BITMIME bit=8\n"
        "ready\n"
        "chunk out MAIL FROM:<a@b.example>\\r\\nRCPT TO:<x@c.example>\\r\\n\n"
        "mail 250\nrcpt 0 250\nbody-ready 250\n"
        "chunk out BDAT 4\\r\\n0123BDAT 4\\r\\n4567BDAT 2\\r\\n89BDAT 0 LAST\\r\\nQUIT\\r\\n\n"
        "message 552 accepted=0 [5.3.4|too big]\n"
        "closed 221\nstatus MP_CLOSED @0\nend phase=9\n");
    /* Without pipelining nothing changes: READY, then the host's QUIT. */
    run(&nopipe,
        "220 mx\r\n" EHLO_PIPE "250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n",
        LOG_HELLO LOG_EXT_PIPE "ext 8BITMIME bit=8\n"
        "ready\n"
        "chunk out MAIL FROM:<a@b.example>\\r\\n\n"
        "mail 250\n"
        "chunk out RCPT TO:<x@c.example>\\r\\n\n"
        "rcpt 0 250\n"
        "chunk out DATA\\r\\n\n"
        "body-ready 354\n"
        "chunk out x\\r\\n.\\r\\n\n"
        "message 250 accepted=1\n"
        LOG_QUIT);
}

/* LMTP (RFC 2033): LHLO, one reply per accepted recipient after the body. */
static void test_lmtp(void **s)
{
    static const scenario sc = {
        .actions = "SQ", .flags = MP_SMTP_CLIENT_LMTP, .from = "a@b.example",
        .rcpts = {"u1@c.example", "u2@c.example", "u3@c.example"}, .body = "hi\r\n",
    };
    (void)s;
    run(&sc,
        "220 lmtp ready\r\n250-lmtp\r\n250 PIPELINING\r\n"
        "250 ok\r\n250 ok\r\n550 unknown\r\n250 ok\r\n354 go\r\n"
        "250 2.0.0 u1 delivered\r\n452 4.2.2 u3 over quota\r\n221 bye\r\n",
        "greeting 220\n"
        "chunk out LHLO client.example.org\\r\\n\n"
        "ext PIPELINING bit=4\n"
        "ready\n"
        "chunk out MAIL FROM:<a@b.example>\\r\\nRCPT TO:<u1@c.example>\\r\\n"
        "RCPT TO:<u2@c.example>\\r\\nRCPT TO:<u3@c.example>\\r\\nDATA\\r\\n\n"
        "mail 250\nrcpt 0 250\nrcpt 1 550\nrcpt 2 250\nbody-ready 354\n"
        "chunk out hi\\r\\n.\\r\\n\n"
        "rcpt-data 0 250\nrcpt-data 2 452\n"
        "message 452 accepted=1\n"
        LOG_QUIT);
}

/* RFC 2033 §4.2, the example session, byte for byte on the server side
 * (the client's pipelining follows the advertised PIPELINING). */
static void test_rfc2033_example(void **s)
{
    static const scenario sc = {
        .actions = "SQ", .flags = MP_SMTP_CLIENT_LMTP, .from = "chris@bar.com",
        .rcpts = {"pat@foo.edu", "jones@foo.edu", "green@foo.edu"},
        .body = "Blah blah blah...\r\n...etc. etc. etc.\r\n",
    };
    (void)s;
    run(&sc,
        "220 foo.edu LMTP server ready\r\n"
        "250-foo.edu\r\n250-PIPELINING\r\n250 SIZE\r\n"
        "250 OK\r\n250 OK\r\n550 No such user here\r\n250 OK\r\n"
        "354 Start mail input; end with <CRLF>.<CRLF>\r\n"
        "250 OK\r\n452 <green@foo.edu> is temporarily over quota\r\n"
        "221 foo.edu closing connection\r\n",
        "greeting 220\n"
        "chunk out LHLO client.example.org\\r\\n\n"
        "ext PIPELINING bit=4\next SIZE bit=1\n"
        "ready\n"
        "chunk out MAIL FROM:<chris@bar.com>\\r\\nRCPT TO:<pat@foo.edu>\\r\\n"
        "RCPT TO:<jones@foo.edu>\\r\\nRCPT TO:<green@foo.edu>\\r\\nDATA\\r\\n\n"
        "mail 250\nrcpt 0 250\nrcpt 1 550\nrcpt 2 250\nbody-ready 354\n"
        "chunk out Blah blah blah...\\r\\n....etc. etc. etc.\\r\\n.\\r\\n\n"
        "rcpt-data 0 250\nrcpt-data 2 452\n"
        "message 452 accepted=1\n"
        LOG_QUIT);
}

/* RFC 2920 §3.2, the pipelined example, replies as in the RFC. */
static void test_rfc2920_example(void **s)
{
    static const scenario sc = {
        .actions = "SQ", .from = "mrose@dbc.mtview.ca.us",
        .rcpts = {"ned@innosoft.com", "dan@innosoft.com", "kvc@innosoft.com"},
        .body = "Date: Thu, 21 May 1998 05:33:29 -0700\r\nFrom: Marshall Rose "
                "<mrose@dbc.mtview.ca.us>\r\n\r\nLet's see if this works...\r\n",
    };
    (void)s;
    run(&sc,
        "220 innosoft.com SMTP service ready\r\n"
        "250-innosoft.com\r\n250 PIPELINING\r\n"
        "250 sender <mrose@dbc.mtview.ca.us> OK\r\n"
        "250 recipient <ned@innosoft.com> OK\r\n"
        "250 recipient <dan@innosoft.com> OK\r\n"
        "250 recipient <kvc@innosoft.com> OK\r\n"
        "354 enter mail, end with line containing only \".\"\r\n"
        "250 message sent\r\n221 goodbye\r\n",
        LOG_HELLO
        "ext PIPELINING bit=4\n"
        "ready\n"
        "chunk out MAIL FROM:<mrose@dbc.mtview.ca.us>\\r\\nRCPT TO:<ned@innosoft.com>\\r\\n"
        "RCPT TO:<dan@innosoft.com>\\r\\nRCPT TO:<kvc@innosoft.com>\\r\\nDATA\\r\\n\n"
        "mail 250\nrcpt 0 250\nrcpt 1 250\nrcpt 2 250\nbody-ready 354\n"
        "chunk out Date: Thu, 21 May 1998 05:33:29 -0700\\r\\nFrom: Marshall Rose "
        "<mrose@dbc.mtview.ca.us>\\r\\n\\r\\nLet's see if this works...\\r\\n.\\r\\n\n"
        "message 250 accepted=3\n"
        LOG_QUIT);
}

/* 421 at any point ends the session. */
static void test_421(void **s)
{
    (void)s;
    run(&two_rcpts,
        "220 mx\r\n" EHLO_PIPE "250 ok\r\n421 4.3.2 shutting down\r\n",
        LOG_HELLO
        LOG_EXT_PIPE
        "ext 8BITMIME bit=8\n"
        "ready\n"
        "chunk out MAIL FROM:<a@b.example>\\r\\nRCPT TO:<x@c.example>\\r\\n"
        "RCPT TO:<y@c.example>\\r\\nDATA\\r\\n\n"
        "mail 250\n"
        "closed 421\n"
        "status MP_ERR_SMTP_CLOSING @100\nend phase=10\n");
    /* Unasked: while idle, and in the middle of a body. */
    {
        static const scenario idle = {.actions = "R"};
        static const scenario body = {
            .actions = "SQ", .from = "a@b.example", .rcpts = {"x@c.example"},
            .body = "partial", .body_chunk = 3,
        };
        run(&idle, "220 mx\r\n250 mx\r\n250 reset\r\n421 4.4.2 idle timeout\r\n",
            LOG_HELLO
            "ready\n"
            "chunk out RSET\\r\\n\n"
            "ready\n"
            "closed 421\n"
            "status MP_ERR_SMTP_CLOSING @27\nend phase=10\n");
        run(&body, "220 mx\r\n250 mx\r\n250 ok\r\n250 ok\r\n354 go\r\n421 4.4.2 bye\r\n",
            LOG_HELLO
            "ready\n"
            "chunk out MAIL FROM:<a@b.example>\\r\\n\n"
            "mail 250\n"
            "chunk out RCPT TO:<x@c.example>\\r\\n\n"
            "rcpt 0 250\n"
            "chunk out DATA\\r\\n\n"
            "body-ready 354\n"
            "chunk out partial\\r\\n.\\r\\n\n"
            "closed 421\n"
            "status MP_ERR_SMTP_CLOSING @40\nend phase=10\n");
    }
    run(&two_rcpts, "421 4.3.2 busy, try later\r\n",
        "closed 421\nstatus MP_ERR_SMTP_CLOSING @0\nend phase=10\n");
    run(&two_rcpts, "554 no SMTP service here\r\n",
        "chunk out QUIT\\r\\n\nstatus MP_ERR_SMTP_GREETING_REFUSED @0\nend phase=10\n");
    run(&two_rcpts, "500 Error: command failed\r\n",
        "chunk out QUIT\\r\\n\nstatus MP_ERR_SMTP_GREETING_REFUSED @0\nend phase=10\n");
}

/* STARTTLS: required and offered; the EHLO after TLS forgets the first. */
static void test_starttls(void **s)
{
    static const scenario req = {
        .actions = "Q", .tls = MP_SMTP_TLS_REQUIRED,
    };
    static const scenario opp = {
        .actions = "Q", .tls = MP_SMTP_TLS_OPPORTUNISTIC,
    };
    (void)s;
    run(&req,
        "220 mx\r\n250-mx\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n220 2.0.0 go ahead\r\n<TLS>"
        "250-mx\r\n250 AUTH PLAIN LOGIN\r\n221 bye\r\n",
        LOG_HELLO
        "ext STARTTLS bit=100\next AUTH PLAIN bit=2\n"
        "chunk out STARTTLS\\r\\n\n"
        "switch\n"
        "tls-started\n"
        "chunk out EHLO client.example.org\\r\\n\n"
        "ext AUTH PLAIN LOGIN bit=2\n"
        LOG_QUIT);
    /* Required but not offered / refused. */
    run(&req, "220 mx\r\n250-mx\r\n250 AUTH PLAIN\r\n",
        LOG_HELLO
        "ext AUTH PLAIN bit=2\n"
        "status MP_ERR_TLS_REQUIRED @16\nend phase=10\n");
    run(&req, "220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 TLS not available\r\n",
        LOG_HELLO
        "ext STARTTLS bit=100\n"
        "chunk out STARTTLS\\r\\n\n"
        "status MP_ERR_TLS_REQUIRED @30\nend phase=10\n");
    /* HELO fallback cannot do STARTTLS. */
    run(&req, "220 mx\r\n502 no\r\n250 mx\r\n",
        "greeting 220\n"
        "chunk out EHLO client.example.org\\r\\nHELO client.example.org\\r\\n\n"
        "status MP_ERR_TLS_REQUIRED @16\nend phase=10\n");
    /* Opportunistic: not offered or refused means plaintext. */
    run(&opp, "220 mx\r\n250 mx\r\n221 bye\r\n",
        LOG_HELLO
        LOG_QUIT);
    run(&opp, "220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 no\r\n221 bye\r\n",
        LOG_HELLO
        "ext STARTTLS bit=100\n"
        "chunk out STARTTLS\\r\\n\n"
        LOG_QUIT);
}

static int quiet_event(void *user, const mp_smtp_client_event *ev)
{
    (void)user;
    (void)ev;
    return MP_SMTP_CB_CONTINUE;
}

/* A host that sends everything the session wrote, then feeds `n` bytes
 * read from the server (the server answered what it had read). */
static mp_status send_then_feed(mp_smtp_client *c, const char *p, size_t n, size_t *used)
{
    size_t out;
    (void)mp_smtp_client_output(c, &out);
    assert_int_equal(mp_smtp_client_output_done(c, out), MP_OK);
    return mp_smtp_client_feed(c, p, n, used);
}

/* STARTTLS injection (CVE-2011-0411 class): bytes after the 220 in the
 * same read are refused; so are bytes fed before tls_started. */
static void test_starttls_injection(void **s)
{
    static mp_smtp_client c;
    static char out[2048];
    static const char srv[] = "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go ahead\r\n"
                              "250-mx\r\n250 AUTH PLAIN\r\n";
    mp_smtp_client_config cfg;
    mp_smtp_client_callbacks cb = {quiet_event};
    size_t used, n;
    (void)s;
    memset(&cfg, 0, sizeof(cfg));
    cfg.helo_name = MP_SLICE_LIT("c.example");
    cfg.tls = MP_SMTP_TLS_REQUIRED;
    assert_int_equal(mp_smtp_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)), MP_OK);
    assert_int_equal(send_then_feed(&c, srv, 8, &used), MP_NEED_MORE);
    assert_int_equal(send_then_feed(&c, srv + 8, 22, &used), MP_NEED_MORE);
    assert_int_equal(send_then_feed(&c, srv + 30, sizeof(srv) - 31, &used),
                     MP_ERR_TLS_INJECTION);
    assert_int_equal(used, 14);
    assert_true(mp_smtp_client_error(&c)->offset == 44);
    /* Dead: nothing more is parsed. */
    assert_int_equal(mp_smtp_client_feed(&c, "250 x\r\n", 7, &used), MP_ERR_TLS_INJECTION);
    assert_int_equal(used, 0);
    assert_int_equal(mp_smtp_client_tls_started(&c), MP_ERR_STATE);
    (void)mp_smtp_client_output(&c, &n);

    /* The switch exactly at the end of the read, then plaintext again. */
    assert_int_equal(mp_smtp_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)), MP_OK);
    assert_int_equal(send_then_feed(&c, srv, 8, &used), MP_NEED_MORE);
    assert_int_equal(send_then_feed(&c, srv + 8, 22, &used), MP_NEED_MORE);
    assert_int_equal(send_then_feed(&c, srv + 30, 14, &used), MP_TRANSPORT_SWITCH);
    assert_int_equal(used, 14);
    assert_int_equal(mp_smtp_client_phase_of(&c), MP_SMTP_PH_TLS_SWITCH);
    assert_int_equal(mp_smtp_client_feed(&c, srv + 44, 1, &used), MP_ERR_TLS_INJECTION);
    assert_int_equal(used, 0);

    /* The 220 completed by a later read: the byte after it in that read
     * is refused, the 4 that end the line are consumed. */
    assert_int_equal(mp_smtp_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)), MP_OK);
    assert_int_equal(send_then_feed(&c, srv, 8, &used), MP_NEED_MORE);
    assert_int_equal(send_then_feed(&c, srv + 8, 22, &used), MP_NEED_MORE);
    assert_int_equal(send_then_feed(&c, srv + 30, 10, &used), MP_NEED_MORE);
    assert_int_equal(mp_smtp_client_feed(&c, srv + 40, 5, &used), MP_ERR_TLS_INJECTION);
    assert_int_equal(used, 4);
    assert_int_equal(mp_smtp_client_tls_started(&c), MP_ERR_STATE);
}

/* AUTH (RFC 4954): initial response, 334 continuations, 235 / 535; the
 * host's scripted answers stand in for a SASL mechanism. */
static void test_auth(void **s)
{
    static const scenario plain = {
        .actions = "AQ", .auth_mech = "PLAIN", .auth_initial = "\0tim\0tanstaaftanstaaf",
        .tls = MP_SMTP_TLS_IMPLICIT,
    };
    static const scenario login = {
        .actions = "AQ", .auth_mech = "LOGIN", .auth_replies = {"tim", "tanstaaf"},
        .tls = MP_SMTP_TLS_IMPLICIT,
    };
    static const scenario cancel = {
        .actions = "AQ", .auth_mech = "CRAM-MD5", .auth_replies = {NULL},
        .tls = MP_SMTP_TLS_IMPLICIT,
    };
    static const scenario cleartext = {
        .actions = "AQ", .auth_mech = "PLAIN", .tls = MP_SMTP_TLS_NONE,
    };
    (void)s;
    /* The C string ends at the first NUL: PLAIN's initial response here is
     * empty, hence "=". */
    run(&plain, "220 mx\r\n250-mx\r\n250 AUTH PLAIN\r\n235 2.7.0 ok\r\n221 bye\r\n",
        LOG_HELLO
        "ext AUTH PLAIN bit=2\n"
        "ready\n"
        "chunk out AUTH PLAIN =\\r\\n\n"
        "auth 235 ok\n"
        LOG_QUIT);
    run(&login,
        "220 mx\r\n250-mx\r\n250 AUTH LOGIN\r\n334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n"
        "535 5.7.8 bad credentials\r\n221 bye\r\n",
        LOG_HELLO
        "ext AUTH LOGIN bit=2\n"
        "ready\n"
        "chunk out AUTH LOGIN\\r\\n\n"
        "challenge Username:\n"
        "chunk out dGlt\\r\\n\n"
        "challenge Password:\n"
        "chunk out dGFuc3RhYWY=\\r\\n\n"
        "auth 535 failed\n"
        LOG_QUIT);
    /* RFC 2195 challenge; the host cancels; a bad base64 challenge is
     * cancelled by the session itself. */
    run(&cancel,
        "220 mx\r\n250-mx\r\n250 AUTH CRAM-MD5\r\n"
        "334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"
        "501 5.0.0 cancelled\r\n221 bye\r\n",
        LOG_HELLO
        "ext AUTH CRAM-MD5 bit=2\n"
        "ready\n"
        "chunk out AUTH CRAM-MD5\\r\\n\n"
        "challenge <1896.697170952@postoffice.reston.mci.net>\n"
        "chunk out *\\r\\n\n"
        "auth 501 failed\n"
        LOG_QUIT);
    run(&cancel,
        "220 mx\r\n250-mx\r\n250 AUTH CRAM-MD5\r\n334 not*base64\r\n501 cancelled\r\n221 bye\r\n",
        LOG_HELLO
        "ext AUTH CRAM-MD5 bit=2\n"
        "ready\n"
        "chunk out AUTH CRAM-MD5\\r\\n*\\r\\n\n"
        "auth 501 failed\n"
        LOG_QUIT);
    /* No AUTH offered: refused locally. */
    run(&cleartext, "220 mx\r\n250 mx\r\n",
        LOG_HELLO
        "ready\n"
        "action A MP_ERR_UNSUPPORTED\n"
        "end phase=4\n");
}

/* AUTH through the SASL client: PLAIN and LOGIN chosen by mp_sasl_choose
 * under TLS, SCRAM-SHA-1 with the RFC 5802 §5 exchange byte-exact, a
 * forged server signature, and a server claiming success without proof. */
static void test_auth_sasl(void **s)
{
    static const scenario plain = {.actions = "PQ", .tls = MP_SMTP_TLS_IMPLICIT};
    static const scenario plain_clear = {.actions = "PQ", .tls = MP_SMTP_TLS_NONE};
    static const scenario login = {.actions = "PQ", .tls = MP_SMTP_TLS_IMPLICIT};
    static const scenario scram = {
        .actions = "PQ", .tls = MP_SMTP_TLS_NONE, .sasl_mech = MP_SASL_SCRAM_SHA_1,
        .sasl_nonce = "fyko+d2lbbFgONRv9qkxdawL",
    };
    (void)s;
    run(&plain, "220 mx\r\n250-mx\r\n250 AUTH LOGIN PLAIN\r\n235 2.7.0 ok\r\n221 bye\r\n",
        LOG_HELLO
        "ext AUTH LOGIN PLAIN bit=2\n"
        "ready\n"
        "sasl PLAIN\n"
        "chunk out AUTH PLAIN AHVzZXIAcGVuY2ls\\r\\n\n"
        "auth 235 ok\n"
        LOG_QUIT);
    /* Without TLS the chooser refuses cleartext mechanisms. */
    run(&plain_clear, "220 mx\r\n250-mx\r\n250 AUTH LOGIN PLAIN\r\n",
        LOG_HELLO
        "ext AUTH LOGIN PLAIN bit=2\n"
        "ready\n"
        "sasl none\n"
        "action P MP_ERR_SASL_MECH\n"
        "end phase=4\n");
    run(&login,
        "220 mx\r\n250-mx\r\n250 AUTH=LOGIN\r\n334 VXNlcm5hbWU6\r\n334 UGFzc3dvcmQ6\r\n"
        "235 ok\r\n221 bye\r\n",
        LOG_HELLO
        "ext AUTH=LOGIN bit=2\n"
        "ready\n"
        "sasl LOGIN\n"
        "chunk out AUTH LOGIN\\r\\n\n"
        "challenge Username:\n"
        "chunk out dXNlcg==\\r\\n\n"
        "challenge Password:\n"
        "chunk out cGVuY2ls\\r\\n\n"
        "auth 235 ok\n"
        LOG_QUIT);
    run(&scram,
        "220 mx\r\n250-mx\r\n250 AUTH SCRAM-SHA-1\r\n"
        "334 cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng==\r\n"
        "334 dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9\r\n"
        "235 2.7.0 Authentication successful\r\n221 bye\r\n",
        LOG_HELLO
        "ext AUTH SCRAM-SHA-1 bit=2\n"
        "ready\n"
        "sasl SCRAM-SHA-1\n"
        "chunk out AUTH SCRAM-SHA-1 biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM\\r\\n\n"
        "challenge r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096\n"
        "chunk out Yz1iaXdzLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdMM3JmY05IWUpZMVpWdldWczdqLHA9djBYOHYz"
        "QnoyVDBDSkdiSlF5RjBYK0hJNFRzPQ==\\r\\n\n"
        "challenge v=rmF9pqV8S7suAoZWja4dJRkFsKQ=\n"
        "chunk out \\r\\n\n"
        "auth 235 ok\n"
        LOG_QUIT);
    /* A wrong server signature: the session cancels. */
    run(&scram,
        "220 mx\r\n250-mx\r\n250 AUTH SCRAM-SHA-1\r\n"
        "334 cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng==\r\n"
        "334 dj1BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE9\r\n"
        "501 5.7.0 cancelled\r\n221 bye\r\n",
        LOG_HELLO
        "ext AUTH SCRAM-SHA-1 bit=2\n"
        "ready\n"
        "sasl SCRAM-SHA-1\n"
        "chunk out AUTH SCRAM-SHA-1 biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM\\r\\n\n"
        "challenge r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096\n"
        "chunk out Yz1iaXdzLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdMM3JmY05IWUpZMVpWdldWczdqLHA9djBYOHYz"
        "QnoyVDBDSkdiSlF5RjBYK0hJNFRzPQ==\\r\\n\n"
        "challenge v=AAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
        "chunk out *\\r\\n\n"
        "auth 501 failed\n"
        LOG_QUIT);
    /* 235 right after the client proof, without the server's: impostor. */
    run(&scram,
        "220 mx\r\n250-mx\r\n250 AUTH SCRAM-SHA-1\r\n"
        "334 cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng==\r\n"
        "235 2.7.0 trust me\r\n",
        LOG_HELLO
        "ext AUTH SCRAM-SHA-1 bit=2\n"
        "ready\n"
        "sasl SCRAM-SHA-1\n"
        "chunk out AUTH SCRAM-SHA-1 biwsbj11c2VyLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdM\\r\\n\n"
        "challenge r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096\n"
        "chunk out Yz1iaXdzLHI9ZnlrbytkMmxiYkZnT05Sdjlxa3hkYXdMM3JmY05IWUpZMVpWdldWczdqLHA9djBYOHYz"
        "QnoyVDBDSkdiSlF5RjBYK0hJNFRzPQ==\\r\\n\n"
        "auth 235 failed\n"
        "status MP_ERR_SASL_SERVER_PROOF @140\n"
        "end phase=10\n");
}

#define R100 "rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr"
#define L60 "lllllllllllllllllllllllllllllllllllllllllllllllllllllllllll"
#define D60 "@dddddddddddddddddddddddddddddddddddddddddddddddddd.example"

/* PIPELINING with the smallest output buffer: the commands that do not
 * fit wait for output_done, the replies still match in order; the body
 * streams through the same small buffer. */
static void test_pipelining_small_buffer(void **s)
{
    static const scenario sc = {
        .actions = "SQ", .outcap = MP_SMTP_MAX_COMMAND_LINE, .from = "a@b.example",
        .rcpts = {"1" L60 D60, "2" L60 D60, "3" L60 D60,
                  "4" L60 D60, "5" L60 D60, "6" L60 D60,
                  "7" L60 D60, "8" L60 D60},
        .body = R100 "\r\n" R100 "\r\n" R100 "\r\n" R100 "\r\n" R100 "\r\n" R100 "\r\n"
                R100 "\r\n" R100 "\r\n" R100 "\r\n" R100 "\r\n" R100 "\r\n" R100 "\r\n",
    };
    const char *log;
    (void)s;
    fx.sc = &sc;
    transcript = "220 mx\r\n250-mx\r\n250 PIPELINING\r\n250 ok\r\n250 ok\r\n250 ok\r\n"
                 "250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n250 ok\r\n550 no\r\n354 go\r\n"
                 "250 ok\r\n221 bye\r\n";
    {
        mp_split_target t = {fx_reset, fx_feed, fx_finish, &fx};
        log = mp_split_check(&t, transcript, strlen(transcript), NULL);
    }
    assert_non_null(strstr(log, "rcpt 7 550\nbody-ready 354\n"));
    assert_non_null(strstr(log, "message 250 accepted=7\nready\nchunk out QUIT\\r\\n\n"
                                "closed 221\n"));
    assert_non_null(strstr(log, "RCPT TO:<8" L60 D60 ">\\r\\nDATA\\r\\n"));
}

static int pausing_event(void *user, const mp_smtp_client_event *ev)
{
    int *mode = user;
    if (ev->type == MP_SMTP_EV_GREETING)
        return *mode;
    return MP_SMTP_CB_CONTINUE;
}

/* A callback pauses (feed stops after that reply) or aborts. */
static void test_pause_abort(void **s)
{
    static mp_smtp_client c;
    static char out[2048];
    static const char srv[] = "220 mx\r\n250 mx\r\n";
    mp_smtp_client_config cfg;
    mp_smtp_client_callbacks cb = {pausing_event};
    int mode = MP_SMTP_CB_PAUSE;
    size_t used;
    (void)s;
    memset(&cfg, 0, sizeof(cfg));
    cfg.helo_name = MP_SLICE_LIT("c.example");
    assert_int_equal(mp_smtp_client_init(&c, &cfg, &cb, &mode, out, sizeof(out)), MP_OK);
    assert_int_equal(mp_smtp_client_feed(&c, srv, sizeof(srv) - 1, &used), MP_PAUSED);
    assert_int_equal(used, 8);
    assert_int_equal(send_then_feed(&c, srv + 8, sizeof(srv) - 9, &used), MP_NEED_MORE);
    assert_int_equal(used, sizeof(srv) - 9);
    assert_int_equal(mp_smtp_client_phase_of(&c), MP_SMTP_PH_READY);
    mode = MP_SMTP_CB_ABORT;
    assert_int_equal(mp_smtp_client_init(&c, &cfg, &cb, &mode, out, sizeof(out)), MP_OK);
    assert_int_equal(mp_smtp_client_feed(&c, srv, sizeof(srv) - 1, &used), MP_ERR_ABORTED);
    assert_int_equal(mp_smtp_client_error(&c)->code, MP_ERR_ABORTED);
    assert_int_equal(mp_smtp_client_phase_of(&c), MP_SMTP_PH_FAILED);
}

/* DATA refused without PIPELINING (RSET follows), an explicit RSET
 * between two transactions, and LMTP's LHLO refused (no HELO fallback). */
static void test_data_refused_and_rset(void **s)
{
    static const scenario sc = {
        .actions = "SRSQ", .flags = MP_SMTP_CLIENT_NO_PIPELINING, .from = "a@b.example",
        .rcpts = {"x@c.example"}, .body = "hi\r\n",
    };
    static const scenario lmtp = {.actions = "Q", .flags = MP_SMTP_CLIENT_LMTP};
    (void)s;
    run(&sc,
        "220 mx\r\n" EHLO_PIPE
        "250 ok\r\n250 ok\r\n451 4.3.0 try later\r\n250 reset\r\n"
        "250 reset again\r\n"
        "250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n",
        LOG_HELLO
        LOG_EXT_PIPE
        "ext 8BITMIME bit=8\n"
        "ready\n"
        "chunk out MAIL FROM:<a@b.example>\\r\\n\n"
        "mail 250\n"
        "chunk out RCPT TO:<x@c.example>\\r\\n\n"
        "rcpt 0 250\n"
        "chunk out DATA\\r\\n\n"
        "message 451 accepted=0 [4.3.0|try later]\n"
        "chunk out RSET\\r\\n\n"
        "ready\n"
        "chunk out RSET\\r\\n\n"
        "ready\n"
        "chunk out MAIL FROM:<a@b.example>\\r\\n\n"
        "mail 250\n"
        "chunk out RCPT TO:<x@c.example>\\r\\n\n"
        "rcpt 0 250\n"
        "chunk out DATA\\r\\n\n"
        "body-ready 354\n"
        "chunk out hi\\r\\n.\\r\\n\n"
        "message 250 accepted=1\n"
        LOG_QUIT);
    run(&lmtp, "220 lmtp\r\n500 what\r\n",
        "greeting 220\n"
        "chunk out LHLO client.example.org\\r\\n\n"
        "status MP_ERR_SMTP_HELLO_REJECTED @10\nend phase=10\n");
}

/* Replies nobody asked for, and malformed replies, are fatal. */
static void test_protocol_errors(void **s)
{
    static const scenario sc = {.actions = "Q"};
    (void)s;
    run(&sc, "220 mx\r\n250 mx\r\n221 bye\r\n250 extra\r\n",
        LOG_HELLO
        LOG_QUIT);
    run(&sc, "220 mx\r\n354 what\r\n",
        LOG_HELLO
        "status MP_ERR_SMTP_HELLO_REJECTED @8\nend phase=10\n");
    run(&sc, "220-mx\r\n250 mx\r\n",
        "status MP_ERR_SMTP_REPLY_MISMATCH @8\nend phase=10\n");
    run(&sc, "220 mx\n", "status MP_ERR_BARE_LF @6\nend phase=10\n");
    run(&sc, "200 mx\r\n", "status MP_ERR_SMTP_UNEXPECTED_REPLY @0\nend phase=10\n");
}

/* API misuse and the documented size. */
static void test_api(void **s)
{
    static mp_smtp_client c;
    static char out[2048];
    mp_smtp_client_config cfg;
    mp_smtp_client_callbacks cb = {quiet_event};
    mp_smtp_client_envelope env;
    mp_smtp_client_rcpt r;
    size_t used;
    (void)s;
    memset(&cfg, 0, sizeof(cfg));
    cfg.helo_name = MP_SLICE_LIT("c.example");
    assert_int_equal(mp_smtp_client_init(&c, &cfg, &cb, NULL, out, 100), MP_ERR_ARG);
    cfg.helo_name = MP_SLICE_LIT("bad name");
    assert_int_equal(mp_smtp_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)),
                     MP_ERR_BAD_VALUE);
    cfg.helo_name = MP_SLICE_LIT("c.example");
    assert_int_equal(mp_smtp_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)), MP_OK);
    memset(&env, 0, sizeof(env));
    assert_int_equal(mp_smtp_client_send(&c, &env), MP_ERR_STATE);
    assert_int_equal(mp_smtp_client_body(&c, "x", 1, &used), MP_ERR_STATE);
    assert_int_equal(mp_smtp_client_quit(&c), MP_ERR_STATE);
    {
        static const char g[] = "220 x\r\n250-x\r\n250-SIZE 100\r\n250 SMTPUTF8\r\n";
        assert_int_equal(mp_smtp_client_feed(&c, g, 7, &used), MP_NEED_MORE);
        assert_int_equal(send_then_feed(&c, g + 7, sizeof(g) - 8, &used), MP_NEED_MORE);
        assert_int_equal(used, sizeof(g) - 8);
    }
    assert_int_equal(mp_smtp_client_phase_of(&c), MP_SMTP_PH_READY);
    assert_int_equal(mp_smtp_client_caps(&c)->size, 100);
    assert_int_equal(mp_smtp_client_send(&c, &env), MP_ERR_ARG);
    memset(&r, 0, sizeof(r));
    r.address = MP_SLICE_LIT("x@y.example");
    env.rcpts = &r;
    env.nrcpts = 1;
    env.size = 101;
    assert_int_equal(mp_smtp_client_send(&c, &env), MP_ERR_SMTP_SIZE_EXCEEDED);
    env.size = 0;
    env.body = MP_SMTP_BODY_8BITMIME;
    assert_int_equal(mp_smtp_client_send(&c, &env), MP_ERR_UNSUPPORTED);
    env.body = MP_SMTP_BODY_NONE;
    r.address = MP_SLICE_LIT("\xc3\xa9@y.example");
    assert_int_equal(mp_smtp_client_send(&c, &env), MP_ERR_SMTP_UTF8_PATH);
    r.address = MP_SLICE_LIT("x@y.example\r\nDATA");
    assert_int_equal(mp_smtp_client_send(&c, &env), MP_ERR_SMTP_PATH);
    env.from = MP_SLICE_LIT("no-at");
    r.address = MP_SLICE_LIT("x@y.example");
    assert_int_equal(mp_smtp_client_send(&c, &env), MP_ERR_SMTP_PATH);
    env.from = MP_SLICE_LIT("\xc3\xa9@y.example");
    env.smtputf8 = 1;
    assert_int_equal(mp_smtp_client_send(&c, &env), MP_OK);
    assert_int_equal(mp_smtp_client_send(&c, &env), MP_ERR_STATE);
    {
        size_t n;
        const char *p = mp_smtp_client_output(&c, &n);
        static const char want[] = "MAIL FROM:<\xc3\xa9@y.example> SMTPUTF8\r\n";
        assert_int_equal(n, sizeof(want) - 1);
        assert_memory_equal(p, want, n);
        assert_int_equal(mp_smtp_client_output_done(&c, n + 1), MP_ERR_ARG);
    }
    /* REQUIRETLS needs TLS; MT-PRIORITY is dropped when not offered. */
    env.smtputf8 = 0;
    env.from = MP_SLICE_LIT("a@y.example");
    env.requiretls = 1;
    assert_int_equal(mp_smtp_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)), MP_OK);
    {
        static const char g[] = "220 x\r\n250-x\r\n250 REQUIRETLS\r\n";
        assert_int_equal(mp_smtp_client_feed(&c, g, 7, &used), MP_NEED_MORE);
        assert_int_equal(send_then_feed(&c, g + 7, sizeof(g) - 8, &used), MP_NEED_MORE);
    }
    assert_int_equal(mp_smtp_client_send(&c, &env), MP_ERR_TLS_REQUIRED);
    cfg.tls = MP_SMTP_TLS_IMPLICIT;
    assert_int_equal(mp_smtp_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)), MP_OK);
    {
        static const char g[] = "220 x\r\n250-x\r\n250 MT-PRIORITY\r\n";
        assert_int_equal(mp_smtp_client_feed(&c, g, 7, &used), MP_NEED_MORE);
        assert_int_equal(send_then_feed(&c, g + 7, sizeof(g) - 8, &used), MP_NEED_MORE);
    }
    assert_int_equal(mp_smtp_client_send(&c, &env), MP_ERR_UNSUPPORTED);
    env.requiretls = 0;
    env.has_mt_priority = 1;
    env.mt_priority = -4;
    assert_int_equal(mp_smtp_client_send(&c, &env), MP_OK);
    {
        size_t n;
        const char *p = mp_smtp_client_output(&c, &n);
        static const char want[] = "MAIL FROM:<a@y.example> MT-PRIORITY=-4\r\n";
        assert_int_equal(n, sizeof(want) - 1);
        assert_memory_equal(p, want, n);
    }
    /* Documented bound (docs/architecture.md §7): under 1 KiB plus host buffers. */
    assert_true(sizeof(mp_smtp_client) < 1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_transaction),
        cmocka_unit_test(test_pipelined_two_transactions),
        cmocka_unit_test(test_all_rcpts_refused),
        cmocka_unit_test(test_mail_refused),
        cmocka_unit_test(test_helo_fallback),
        cmocka_unit_test(test_body_line_ends),
        cmocka_unit_test(test_bdat),
        cmocka_unit_test(test_last_transaction), cmocka_unit_test(test_lmtp),
        cmocka_unit_test(test_rfc2033_example),
        cmocka_unit_test(test_rfc2920_example),
        cmocka_unit_test(test_421),
        cmocka_unit_test(test_starttls),
        cmocka_unit_test(test_starttls_injection),
        cmocka_unit_test(test_auth),
        cmocka_unit_test(test_auth_sasl),
        cmocka_unit_test(test_protocol_errors),
        cmocka_unit_test(test_data_refused_and_rset),
        cmocka_unit_test(test_pipelining_small_buffer),
        cmocka_unit_test(test_pause_abort),
        cmocka_unit_test(test_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
