/*
 * docs/pop3-client.md: a POP3 client session that downloads a mailbox and
 * deletes each message once it has it.
 *
 * The server is a toy made of the codec's command parser and response
 * writers (docs/pop3-codec.md), connected through two in-memory wires
 * (wire.h) instead of a socket; its greeting carries an APOP timestamp and
 * it offers PIPELINING and UIDL.  The client side is the subject: it logs
 * in with the best method offered (APOP here), lists the unique-ids,
 * fetches every message with its RETRs in one write, deletes each from the
 * event that ends it, and quits.  The program checks the fetched bytes
 * and the deletions, and exits 0 when both are right.
 */
#include <stdio.h>
#include <string.h>

#include <mailproto/pop3.h>
#include <mailproto/pop3_client.h>

#include "wire.h"

/* The maildrop, in wire form (CRLF), with lines a server must byte-stuff. */
static const char *const maildrop[] = {
    "Subject: one\r\n\r\n.a line with a leading dot\r\n",
    "Subject: two\r\n\r\n.\r\nthe line above was a lone dot\r\n",
    "Subject: three\r\n\r\nplain\r\n",
};
#define NMSG 3

static wire c2s, s2c;

/* ---- The toy server ------------------------------------------------------- */

static struct {
    mp_line_framer f;
    char line[MP_POP3_MAX_COMMAND_LINE];
    int marked[NMSG], deleted[NMSG];
} srv;

static mp_status serve(mp_outbuf *ob, const mp_pop3_cmd *c)
{
    static const mp_pop3_caps caps = { MP_POP3_CAP_USER | MP_POP3_CAP_UIDL |
                                       MP_POP3_CAP_PIPELINING, 0, 0, 0 };
    char uid[16];
    uint32_t i;
    mp_status st = MP_OK;
    switch (c->verb) {
    case MP_POP3_CAPA:
        if ((st = mp_pop3_write_status(ob, 1, MP_SLICE_LIT(""), MP_SLICE_LIT(""))) == MP_OK &&
            (st = mp_pop3_write_capa(ob, &caps, MP_SLICE_LIT(""))) == MP_OK)
            st = mp_pop3_write_end(ob);
        return st;
    case MP_POP3_UIDL:
        st = mp_pop3_write_status(ob, 1, MP_SLICE_LIT(""), MP_SLICE_LIT(""));
        for (i = 1; i <= NMSG && st == MP_OK; i++)
            st = mp_pop3_write_uidl_entry(ob, i, mp_slice_make(uid, (size_t)sprintf(uid, "u%u", i)));
        return st == MP_OK ? mp_pop3_write_end(ob) : st;
    case MP_POP3_RETR: {
        mp_dot_encoder e;
        size_t used, n;
        if (c->msgno > NMSG)
            return mp_pop3_write_status(ob, 0, MP_SLICE_LIT(""), MP_SLICE_LIT("no such message"));
        n = strlen(maildrop[c->msgno - 1]);
        mp_dot_encoder_init(&e, 0);
        if ((st = mp_pop3_write_status(ob, 1, MP_SLICE_LIT(""), MP_SLICE_LIT(""))) == MP_OK &&
            (st = mp_dot_encoder_update(&e, maildrop[c->msgno - 1], n, &used, ob)) == MP_OK)
            st = mp_dot_encoder_finish(&e, ob);
        return st;
    }
    case MP_POP3_DELE:
        if (c->msgno > NMSG)
            return mp_pop3_write_status(ob, 0, MP_SLICE_LIT(""), MP_SLICE_LIT("no such message"));
        srv.marked[c->msgno - 1] = 1;
        break;
    case MP_POP3_QUIT:
        /* RFC 1939 §6: the deletions happen now, in UPDATE. */
        for (i = 0; i < NMSG; i++)
            srv.deleted[i] = srv.marked[i];
        break;
    case MP_POP3_APOP:
        /* A real server checks the digest: MD5 of its timestamp and the secret. */
        break;
    default:
        return mp_pop3_write_status(ob, 0, MP_SLICE_LIT(""), MP_SLICE_LIT("not here"));
    }
    return mp_pop3_write_status(ob, 1, MP_SLICE_LIT(""), MP_SLICE_LIT(""));
}

/* Answer every whole command line the client sent. */
static void server_run(void)
{
    static char out[8192];
    mp_outbuf ob;
    size_t off = 0, used;
    mp_slice line;
    mp_outbuf_init(&ob, out, sizeof(out));
    while (off < c2s.len) {
        mp_pop3_cmd c;
        mp_error e;
        if (mp_line_framer_next(&srv.f, c2s.buf + off, c2s.len - off, &used, &line) != MP_OK) {
            off += used;
            break;
        }
        off += used;
        if (mp_pop3_cmd_parse(line.ptr, line.len, 0, NULL, &c, &e) != MP_OK ||
            serve(&ob, &c) != MP_OK)
            (void)mp_pop3_write_status(&ob, 0, MP_SLICE_LIT(""), MP_SLICE_LIT("bad command"));
    }
    wire_take(&c2s, off);
    wire_put(&s2c, ob.buf, ob.len);
}

/* ---- The client's host ---------------------------------------------------- */

typedef struct client_host {
    mp_pop3_client c;
    char out[1024];
    char auth[MP_POP3_CLIENT_AUTH_BUF];
    mp_pop3_client_login_params login;
    mp_crypto_provider crypto;
    char got[NMSG][256];    /* what RETR brought, per message */
    size_t got_len[NMSG];
    uint32_t listed;        /* messages UIDL listed */
    int closed;
} client_host;

static int on_event(void *user, const mp_pop3_client_event *ev)
{
    client_host *h = user;
    uint32_t i;
    switch (ev->type) {
    case MP_POP3_CEV_READY:
        if (mp_pop3_client_phase_of(&h->c) == MP_POP3_PH_AUTHORIZATION) {
            mp_pop3_verb how;
            if (mp_pop3_client_login(&h->c, &h->login, &how) != MP_OK)
                return MP_POP3_CB_ABORT;
            printf("client: logging in with %s\n", mp_pop3_verb_name(how));
        } else if (h->listed == 0) {
            (void)mp_pop3_client_uidl(&h->c, 0);
        } else {
            (void)mp_pop3_client_quit(&h->c);
        }
        break;
    case MP_POP3_CEV_UIDL:
        printf("client: message %u is %.*s\n", (unsigned)ev->resp->msgno,
               (int)ev->resp->uid.len, ev->resp->uid.ptr);
        h->listed = ev->resp->msgno;
        break;
    case MP_POP3_CEV_END:
        if (ev->verb == MP_POP3_UIDL) {
            /* Every RETR at once: with PIPELINING they share one write. */
            for (i = 1; i <= h->listed; i++)
                (void)mp_pop3_client_retr(&h->c, i);
        } else if (ev->verb == MP_POP3_RETR) {
            /* The message is whole (a real host stores and fsyncs it
             * here): only now may the server delete it. */
            (void)mp_pop3_client_dele(&h->c, ev->msgno);
        }
        break;
    case MP_POP3_CEV_CONTENT:
        /* Un-byte-stuffed, in chunks of any size. */
        i = ev->msgno - 1;
        memcpy(h->got[i] + h->got_len[i], ev->resp->text.ptr, ev->resp->text.len);
        h->got_len[i] += ev->resp->text.len;
        break;
    case MP_POP3_CEV_CLOSED:
        printf("client: QUIT %s\n", ev->resp->ok ? "accepted" : "refused");
        h->closed = ev->resp->ok;
        break;
    default:
        break;
    }
    return MP_POP3_CB_CONTINUE;
}

static const mp_pop3_client_callbacks client_cb = { .on_event = on_event };

int main(void)
{
    static client_host ch;
    static const char greeting[] = "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n";
    const mp_pop3_client_config cfg = { /* borrowed: lives as long as main */
        .tls = MP_POP3_TLS_NONE,        /* docs/mbedtls.md adds TLS */
        .auth_buf = ch.auth,            /* keeps the greeting for APOP */
        .auth_cap = sizeof(ch.auth),
    };
    size_t i, n, used;
    const char *o;
    mp_status st;

    ch.crypto = mp_crypto_builtin(NULL, NULL);     /* MD5 for APOP */
    ch.login.creds.username = MP_SLICE_LIT("mrose");
    ch.login.creds.password = MP_SLICE_LIT("tanstaaf");
    ch.login.crypto = &ch.crypto;
    if (mp_pop3_client_init(&ch.c, &cfg, &client_cb, &ch, ch.out, sizeof(ch.out)) != MP_OK ||
        mp_line_framer_init(&srv.f, srv.line, sizeof(srv.line), MP_POP3_MAX_COMMAND_LINE, 0) !=
            MP_OK)
        return 1;
    wire_put(&s2c, greeting, sizeof(greeting) - 1);

    while (!ch.closed) {
        /* Server -> client: feed what arrived. */
        st = mp_pop3_client_feed(&ch.c, s2c.buf, s2c.len, &used);
        wire_take(&s2c, used);
        if (st == MP_CLOSED)
            break;
        if (mp_is_error(st)) {
            const mp_error *e = mp_pop3_client_error(&ch.c);
            printf("client: %s at byte %llu\n", mp_strerror(e->code),
                   (unsigned long long)e->offset);
            return 1;
        }
        /* Client -> server: what the host sent is done, and only then can
         * an answer be matched to it. */
        while ((o = mp_pop3_client_output(&ch.c, &n)), n > 0)
            mp_pop3_client_output_done(&ch.c, wire_put(&c2s, o, n));
        server_run();
        if (s2c.len == 0)
            return 1; /* nothing more will come */
    }

    for (i = 0; i < NMSG; i++) {
        if (ch.got_len[i] != strlen(maildrop[i]) || memcmp(ch.got[i], maildrop[i], ch.got_len[i]))
            return 1;
        if (!srv.deleted[i])
            return 1;
    }
    printf("ok: %d messages fetched intact, deleted at QUIT\n", NMSG);
    return 0;
}
