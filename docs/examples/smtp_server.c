/*
 * docs/smtp-server.md: an SMTP server session with its host.
 *
 * The "client" is a script of the reads a pipelining client's bytes arrive
 * in; each read is fed to the session in pieces of 5 bytes, as a slow
 * network would deliver them.  The host refuses recipients outside
 * example.org at once, looks the others up "later" (the session pauses
 * until the answer), and stores the message in a fixed buffer.  The
 * program checks what it stored and what it answered, and exits 0 when
 * both are right.
 */
#include <stdio.h>
#include <string.h>

#include <mailproto/smtp.h>

/* What the client sends, read by read (RFC 2920: MAIL, RCPT and DATA in
 * one write; the body after the 354). */
static const char *const client_reads[] = {
    "EHLO client.example.net\r\n",
    "MAIL FROM:<alice@example.net> SIZE=120\r\n"
    "RCPT TO:<bob@example.org>\r\n"
    "RCPT TO:<carol@elsewhere.test>\r\n"
    "DATA\r\n",
    "Subject: hello\r\n"
    "\r\n"
    "..a line that starts with a dot\r\n"
    ".\r\n",
    "QUIT\r\n",
};

typedef struct host {
    mp_smtp_server s;
    char out[4096];                        /* the session's output buffer */
    char line[MP_SMTP_SERVER_LINE_BUF];    /* a command split across reads */
    char rcpt[MP_SMTP_MAX_PATH];           /* the address being looked up */
    char stored[1024];                     /* the "mailbox" */
    size_t stored_len;
    char replies[2048];                    /* everything sent, for the check */
    size_t replies_len;
} host;

/* ---- Decisions ---------------------------------------------------------- */

static int on_rcpt(void *user, mp_smtp_server *s, const mp_smtp_cmd *cmd)
{
    host *h = user;
    const mp_smtp_path *p = &cmd->path;
    if (!mp_slice_eq_ci(p->domain, "example.org", 11)) {
        /* Answered inside the callback: the session goes straight on. */
        return mp_smtp_server_reply(s, 550, "5.1.1", "No such user here") == MP_OK ? 0 : 1;
    }
    /* Answered later: copy what the answer needs (the slices die when the
     * callback returns) and return 0 without answering.  Feed then
     * returns MP_PAUSED until mp_smtp_server_accept()/_reply(). */
    memcpy(h->rcpt, p->mailbox.ptr, p->mailbox.len);
    h->rcpt[p->mailbox.len] = '\0';
    return 0;
}

/* The host's "directory lookup", run when feed reported the pause. */
static void finish_lookup(host *h)
{
    printf("host: looked up <%s>: exists\n", h->rcpt);
    mp_smtp_server_accept(&h->s);
}

static int on_body(void *user, mp_smtp_server *s, const char *p, size_t n)
{
    host *h = user;
    (void)s;
    /* Dot-unstuffed content in chunks of any size; lines end in CRLF. */
    if (n > sizeof(h->stored) - h->stored_len)
        return 1; /* a real host streams to disk; this one gives up */
    memcpy(h->stored + h->stored_len, p, n);
    h->stored_len += n;
    return 0;
}

static int on_message_end(void *user, mp_smtp_server *s, mp_status status)
{
    host *h = user;
    if (status != MP_OK) {
        /* Refused by the session (bare LF, too big, ...): it replies
         * itself once this returns; forget what was stored. */
        h->stored_len = 0;
        return 0;
    }
    /* A real host makes the message durable (write, fsync, rename) before
     * it says 250: after this reply the client forgets the message. */
    return mp_smtp_server_reply(s, 250, "2.0.0", "Ok: queued") == MP_OK ? 0 : 1;
}

static void on_error(void *user, mp_smtp_server *s, const mp_error *e)
{
    (void)user;
    (void)s;
    printf("host: %s at byte %llu (%s)\n", mp_status_name(e->code),
           (unsigned long long)e->offset, e->rule ? e->rule : "");
}

static const mp_smtp_server_callbacks callbacks = {
    .on_rcpt = on_rcpt,
    .on_body = on_body,
    .on_message_end = on_message_end,
    .on_error = on_error,
    /* NULL decision callbacks: the session accepts HELO, MAIL and DATA
     * with its default replies. */
};

/* ---- The host loop ------------------------------------------------------- */

/* "send()" whatever the session has written. */
static void send_output(host *h)
{
    size_t n;
    const char *o = mp_smtp_server_output(&h->s, &n);
    if (n > sizeof(h->replies) - h->replies_len)
        n = sizeof(h->replies) - h->replies_len;
    fwrite(o, 1, n, stdout);
    memcpy(h->replies + h->replies_len, o, n);
    h->replies_len += n;
    mp_smtp_server_output_done(&h->s, n);
}

/* Feed one piece of input; returns 0 when the session closed. */
static int feed(host *h, const char *in, size_t n)
{
    for (;;) {
        size_t used = 0;
        mp_status st = mp_smtp_server_feed(&h->s, in, n, &used);
        in += used;
        n -= used;
        send_output(h);
        switch (st) {
        case MP_OK:
            return 1;
        case MP_PAUSED:
            /* A decision is pending (or the output was full): answer, send,
             * then feed the rest of the same input. */
            if (mp_smtp_server_pending(&h->s) == MP_SMTP_DECIDE_RCPT)
                finish_lookup(h);
            continue;
        case MP_CLOSED:
            return 0; /* QUIT or 421: send the output, then close */
        case MP_TRANSPORT_SWITCH:
            /* STARTTLS: bytes after `used` are plaintext injection and are
             * dropped; docs/mbedtls.md shows the TLS side. */
            return 0;
        default:
            printf("host: feed: %s\n", mp_strerror(st));
            return 0;
        }
    }
}

int main(void)
{
    static host h;
    static const mp_smtp_server_config cfg = {
        .hostname = "mx.example.org",
        .flags = MP_SMTP_SRV_8BITMIME,
        .max_size = 10u << 20, /* advertised as SIZE, enforced with 552 */
        .line_buf = h.line,
        .line_cap = sizeof h.line,
    };
    size_t r;
    int open = 1;
    static const char expect_body[] = "Subject: hello\r\n\r\n.a line that starts with a dot\r\n";

    if (mp_smtp_server_init(&h.s, &cfg, &callbacks, &h, h.out, sizeof h.out) != MP_OK)
        return 1;
    send_output(&h); /* the 220 greeting */
    for (r = 0; open && r < sizeof client_reads / sizeof client_reads[0]; r++) {
        const char *p = client_reads[r];
        size_t left = strlen(p);
        while (open && left > 0) {
            size_t k = left < 5 ? left : 5;
            open = feed(&h, p, k);
            p += k;
            left -= k;
        }
    }

    /* The checks that make this program a test. */
    if (h.stored_len != sizeof expect_body - 1 || memcmp(h.stored, expect_body, h.stored_len) != 0) {
        printf("FAIL: stored message differs\n");
        return 1;
    }
    if (strstr(h.replies, "550 5.1.1 No such user here\r\n") == NULL ||
        strstr(h.replies, "250 2.0.0 Ok: queued\r\n") == NULL ||
        strstr(h.replies, "221 ") == NULL) {
        printf("FAIL: replies differ\n");
        return 1;
    }
    printf("ok: message stored for <bob@example.org>, <carol@elsewhere.test> refused\n");
    return 0;
}
