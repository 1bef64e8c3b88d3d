/* An fw_transport whose peer is a scripted SMTP server compiled in: each
 * step waits for the exact bytes the client must send, then answers.  It
 * prints both directions ("C: " / "S: " lines) through semihosting, so a
 * run under QEMU shows what the firmware sent.  A real port replaces this
 * file (README.md). */
#include <string.h>

#include "script_transport.h"
#include "semihost.h"

typedef struct step {
    const char *expect; /* what the client sends before the answer */
    const char *answer;
} step;

/* A submission server (Postfix-like) answering a pipelined transaction. */
static const step script[] = {
    { "", "220 mx.example.net ESMTP\r\n" },
    { "EHLO sensor-17.example.com\r\n",
      "250-mx.example.net\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n"
      "250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n" },
    { "AUTH PLAIN AHNlbnNvci0xNwBzM2NyZXQ=\r\n", "235 2.7.0 Authentication successful\r\n" },
    { "MAIL FROM:<sensor-17@example.com>\r\n"
      "RCPT TO:<ops@example.com>\r\n"
      "RCPT TO:<oncall@example.com>\r\n"
      "DATA\r\n",
      "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n" },
    { "From: sensor-17 <sensor-17@example.com>\r\n"
      "To: ops@example.com, oncall@example.com\r\n"
      "Subject: ALERT boiler 2 over temperature\r\n"
      "\r\n"
      "Boiler 2: 97.5 C (limit 90.0 C) since 00:41 UTC.\r\n"
      "..A line that starts with a dot is stuffed.\r\n"
      ".\r\n"
      "QUIT\r\n",
      "250 2.0.0 Ok: queued as 4F2A81C0\r\n221 2.0.0 Bye\r\n" },
};
#define NSTEPS (sizeof(script) / sizeof(script[0]))

static void show(const char *dir, const char *p, size_t n)
{
    while (n > 0) {
        const char *eol = memchr(p, '\n', n);
        size_t k = eol != NULL ? (size_t)(eol - p) + 1 : n;
        size_t shown = k;
        /* The CRLF shown as a plain line end. */
        if (eol != NULL && k >= 2 && p[k - 2] == '\r')
            shown = k - 2;
        else if (eol != NULL)
            shown = k - 1;
        sh_puts(dir);
        sh_write(p, shown);
        sh_puts("\n");
        p += k;
        n -= k;
    }
}

static int st_open(void *ctx)
{
    script_peer *s = ctx;
    memset(s, 0, sizeof(*s));
    return 0;
}

static long st_send(void *ctx, const char *p, size_t n)
{
    script_peer *s = ctx;
    const char *want;
    size_t wl;
    if (s->step >= NSTEPS || s->failed)
        return -1;
    want = script[s->step].expect;
    wl = strlen(want);
    /* Bytes the script does not expect: the peer drops the connection. */
    if (s->got + n > wl || memcmp(want + s->got, p, n) != 0) {
        show("C? ", p, n);
        s->failed = 1;
        return -1;
    }
    show("C: ", p, n);
    s->got += n;
    return (long)n;
}

static long st_recv(void *ctx, char *p, size_t cap)
{
    script_peer *s = ctx;
    const char *ans;
    size_t n;
    if (s->failed)
        return -1;
    if (s->step >= NSTEPS)
        return -1; /* the server closed after its last answer */
    if (s->got < strlen(script[s->step].expect))
        return 0; /* waiting for the client */
    ans = script[s->step].answer;
    n = strlen(ans) - s->sent;
    if (n > cap)
        n = cap;
    if (s->sent == 0)
        show("S: ", ans, strlen(ans));
    memcpy(p, ans + s->sent, n);
    s->sent += n;
    if (s->sent == strlen(ans)) {
        s->step++;
        s->got = 0;
        s->sent = 0;
    }
    return (long)n;
}

static void st_close(void *ctx)
{
    script_peer *s = ctx;
    s->closed = 1;
}

/* Nothing runs behind this peer: a poll with nothing to do is a client
 * waiting for an answer that will never come. */
static int st_poll(void *ctx)
{
    script_peer *s = ctx;
    sh_puts("stalled: the client waits for what the script has no answer to\n");
    s->failed = 1;
    return -1;
}

void script_transport(fw_transport *t, script_peer *peer)
{
    t->ctx = peer;
    t->open = st_open;
    t->send = st_send;
    t->recv = st_recv;
    t->close = st_close;
    t->poll = st_poll;
}

int script_done(const script_peer *peer) { return peer->step == NSTEPS && !peer->failed; }
