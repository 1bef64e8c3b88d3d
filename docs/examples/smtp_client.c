/*
 * docs/smtp-client.md: an SMTP client session sending one message to two
 * recipients.
 *
 * The server is the library's own server session (docs/smtp-server.md),
 * connected through two in-memory wires (wire.h) instead of a socket; it
 * accepts one recipient and refuses the other.  The client side is the
 * subject: it reacts to events, hands the envelope over, streams the body
 * and quits.  The program checks the per-recipient outcome and the
 * delivered bytes, and exits 0 when both are right.
 */
#include <stdio.h>
#include <string.h>

#include <mailproto/smtp_client.h>

#include "wire.h"

/* ---- The client's host ---------------------------------------------------- */

static const char body[] =
    "From: alice@example.net\r\n"
    "Subject: report\r\n"
    "\r\n"
    ".dotted line, stuffed on the wire and unstuffed by the server\r\n"
    "last line\r\n";

typedef struct client_host {
    mp_smtp_client c;
    char out[2048];
    mp_smtp_client_envelope env;
    mp_smtp_client_rcpt rcpts[2];
    int sent;          /* the transaction was handed over */
    int body_open;     /* BODY_READY came: push body bytes */
    size_t body_off;   /* bytes of `body` taken by the session */
    size_t accepted;   /* recipients that took the message */
    int closed;
} client_host;

static int on_event(void *user, const mp_smtp_client_event *ev)
{
    client_host *h = user;
    switch (ev->type) {
    case MP_SMTP_EV_READY:
        /* Greeted (and after each transaction): send, authenticate or quit. */
        if (!h->sent) {
            h->sent = 1;
            if (mp_smtp_client_send(&h->c, &h->env) != MP_OK)
                return MP_SMTP_CB_ABORT;
        } else if (mp_smtp_client_quit(&h->c) != MP_OK) {
            return MP_SMTP_CB_ABORT;
        }
        break;
    case MP_SMTP_EV_RCPT_RESULT:
        printf("client: <%.*s>: %u %.*s\n", (int)h->rcpts[ev->index].address.len,
               h->rcpts[ev->index].address.ptr, ev->reply->code, (int)ev->reply->text.len,
               ev->reply->text.ptr);
        break;
    case MP_SMTP_EV_BODY_READY:
        h->body_open = 1;
        break;
    case MP_SMTP_EV_MESSAGE:
        h->accepted = (size_t)ev->accepted;
        printf("client: message %s by %zu recipient(s): %u %.*s\n",
               ev->accepted ? "accepted" : "refused", h->accepted, ev->reply->code,
               (int)ev->reply->text.len, ev->reply->text.ptr);
        break;
    case MP_SMTP_EV_CLOSED:
        h->closed = 1;
        break;
    default:
        break;
    }
    return MP_SMTP_CB_CONTINUE;
}

static const mp_smtp_client_callbacks client_cb = { .on_event = on_event };

/* Push body bytes while the session takes them; end the body at the end. */
static void push_body(client_host *h)
{
    while (h->body_open) {
        size_t used = 0;
        mp_status st;
        if (h->body_off < sizeof body - 1) {
            st = mp_smtp_client_body(&h->c, body + h->body_off, sizeof body - 1 - h->body_off,
                                     &used);
            h->body_off += used;
            if (st == MP_OK && used > 0)
                continue;
        } else {
            st = mp_smtp_client_body_end(&h->c);
            if (st == MP_OK)
                h->body_open = 0;
        }
        return; /* MP_ERR_NO_SPACE or MP_PAUSED: send output / read replies first */
    }
}

/* ---- The peer: a server session that refuses one recipient ----------------- */

typedef struct server_host {
    mp_smtp_server s;
    char out[4096];
    char line[MP_SMTP_SERVER_LINE_BUF];
    char stored[1024];
    size_t stored_len;
} server_host;

static int srv_rcpt(void *user, mp_smtp_server *s, const mp_smtp_cmd *cmd)
{
    (void)user;
    if (mp_slice_eq_ci(cmd->path.local, "nobody", 6))
        return mp_smtp_server_reply(s, 550, "5.1.1", "No such user") != MP_OK;
    return mp_smtp_server_accept(s) != MP_OK;
}

static int srv_body(void *user, mp_smtp_server *s, const char *p, size_t n)
{
    server_host *h = user;
    (void)s;
    if (n > sizeof h->stored - h->stored_len)
        return 1;
    memcpy(h->stored + h->stored_len, p, n);
    h->stored_len += n;
    return 0;
}

static const mp_smtp_server_callbacks srv_cb = { .on_rcpt = srv_rcpt, .on_body = srv_body };

/* ---- Both ends, pumped through two wires ----------------------------------- */

int main(void)
{
    static client_host ch;
    static server_host sh;
    static wire c2s, s2c;
    const mp_smtp_client_config ccfg = { /* borrowed: lives as long as main */
        .helo_name = MP_SLICE_LIT("client.example.net"),
        .tls = MP_SMTP_TLS_NONE, /* docs/mbedtls.md adds STARTTLS */
    };
    static const mp_smtp_server_config scfg = {
        .hostname = "mx.example.org",
        .flags = MP_SMTP_SRV_8BITMIME,
        .line_buf = sh.line,
        .line_cap = sizeof sh.line,
    };
    int progress = 1;

    ch.rcpts[0].address = MP_SLICE_LIT("bob@example.org");
    ch.rcpts[1].address = MP_SLICE_LIT("nobody@example.org");
    ch.env.from = MP_SLICE_LIT("alice@example.net");
    ch.env.rcpts = ch.rcpts;
    ch.env.nrcpts = 2;
    ch.env.size = sizeof body - 1;
    ch.env.last = 1; /* QUIT may follow the body at once */

    if (mp_smtp_client_init(&ch.c, &ccfg, &client_cb, &ch, ch.out, sizeof ch.out) != MP_OK ||
        mp_smtp_server_init(&sh.s, &scfg, &srv_cb, &sh, sh.out, sizeof sh.out) != MP_OK)
        return 1;

    while (progress && !ch.closed) {
        size_t n, used;
        const char *o;
        mp_status st;
        progress = 0;

        /* Client -> wire: what the host sent is done, and only then can a
         * reply be matched to it. */
        push_body(&ch);
        o = mp_smtp_client_output(&ch.c, &n);
        if (n > 0) {
            n = wire_put(&c2s, o, n);
            mp_smtp_client_output_done(&ch.c, n);
            progress = 1;
        }
        /* Wire -> server -> wire. */
        if (c2s.len > 0) {
            st = mp_smtp_server_feed(&sh.s, c2s.buf, c2s.len, &used);
            wire_take(&c2s, used);
            progress |= used > 0;
            if (mp_is_error(st))
                return 1;
        }
        o = mp_smtp_server_output(&sh.s, &n);
        if (n > 0) {
            n = wire_put(&s2c, o, n);
            mp_smtp_server_output_done(&sh.s, n);
            progress = 1;
        }
        /* Wire -> client: events fire from inside feed. */
        if (s2c.len > 0) {
            st = mp_smtp_client_feed(&ch.c, s2c.buf, s2c.len, &used);
            wire_take(&s2c, used);
            progress |= used > 0;
            if (mp_is_error(st)) {
                const mp_error *e = mp_smtp_client_error(&ch.c);
                printf("client: %s at byte %llu\n", mp_strerror(e->code),
                       (unsigned long long)e->offset);
                return 1;
            }
        }
    }

    /* The checks that make this program a test. */
    if (!ch.closed || ch.accepted != 1 || ch.rcpts[0].rcpt_code != 250 ||
        ch.rcpts[1].rcpt_code != 550) {
        printf("FAIL: outcome differs\n");
        return 1;
    }
    if (sh.stored_len != sizeof body - 1 || memcmp(sh.stored, body, sh.stored_len) != 0) {
        printf("FAIL: delivered bytes differ\n");
        return 1;
    }
    printf("ok: %zu bytes delivered to 1 of 2 recipients, session closed\n", sh.stored_len);
    return 0;
}
