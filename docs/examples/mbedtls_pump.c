/*
 * docs/mbedtls.md: STARTTLS with the mbedTLS byte pump, both sides.
 *
 *   mbedtls_pump DIR      (DIR holds ca.pem, server.pem, server.key)
 *
 * An SMTP client session that requires TLS talks to an SMTP server session
 * offering STARTTLS, through two in-memory wires (wire.h).  Each host moves
 * bytes between its session, its pump and the wire: plaintext until the
 * session reports MP_TRANSPORT_SWITCH, then ciphertext through an
 * mp_tls_pump, with the session told once the handshake is done.  The
 * message is sent under TLS and the server ends with close_notify.  Exit 0
 * when the message arrived, under TLS, and both sides ended cleanly.
 */
#include <stdio.h>
#include <string.h>

#include <mailproto/mbedtls.h>
#include <mailproto/smtp_client.h>

#include "wire.h"

/* ---- One side's transport: a wire, and a pump once TLS is on ------------ */

typedef struct transport {
    mp_tls_pump pump;
    int tls;        /* the pump carries the bytes */
    int started;    /* the session was told the handshake is done */
    wire *out, *in; /* toward the peer, from the peer */
    char rd[4096];  /* plaintext read and not yet consumed by the session */
    size_t rd_len;
} transport;

/* Ciphertext the pump produced -> the wire ("send()"). */
static void t_flush(transport *t)
{
    const unsigned char *c;
    size_t n;
    while (t->tls && (c = mp_tls_pump_send_buf(&t->pump, &n)) != NULL && n > 0) {
        n = wire_put(t->out, c, n);
        if (n == 0)
            break;
        mp_tls_pump_send_done(&t->pump, n);
    }
}

/* Plaintext from the session toward the peer; returns the bytes taken. */
static size_t t_send(transport *t, const char *p, size_t n)
{
    size_t used = 0;
    if (!t->tls)
        return wire_put(t->out, p, n);
    if (mp_tls_pump_write(&t->pump, p, n, &used) != MP_OK)
        used = 0; /* handshake not done, or output full: later */
    t_flush(t);
    return used;
}

/* Plaintext from the peer into t->rd ("recv()").  Returns MP_CLOSED once
 * the peer sent close_notify, MP_ERR_TLS on failure, else MP_OK. */
static mp_status t_recv(transport *t)
{
    size_t room, n, got = 0;
    mp_status st = MP_OK;
    unsigned char *b;
    if (!t->tls) {
        n = t->in->len < sizeof t->rd - t->rd_len ? t->in->len : sizeof t->rd - t->rd_len;
        memcpy(t->rd + t->rd_len, t->in->buf, n);
        t->rd_len += n;
        wire_take(t->in, n);
        return MP_OK;
    }
    /* Ciphertext from the wire into the pump. */
    b = mp_tls_pump_recv_buf(&t->pump, &room);
    n = t->in->len < room ? t->in->len : room;
    if (n > 0) {
        memcpy(b, t->in->buf, n);
        wire_take(t->in, n);
        mp_tls_pump_recv_done(&t->pump, n);
    }
    t_flush(t); /* handshake messages, alerts */
    while (st == MP_OK && t->rd_len < sizeof t->rd) {
        st = mp_tls_pump_read(&t->pump, t->rd + t->rd_len, sizeof t->rd - t->rd_len, &got);
        t->rd_len += got;
        if (got == 0 && st == MP_OK)
            break;
    }
    t_flush(t);
    return st == MP_NEED_MORE ? MP_OK : st;
}

static void t_consumed(transport *t, size_t n)
{
    memmove(t->rd, t->rd + n, t->rd_len - n);
    t->rd_len -= n;
}

/* ---- The server side ------------------------------------------------------ */

static struct {
    mp_smtp_server s;
    char out[4096];
    char line[MP_SMTP_SERVER_LINE_BUF];
    transport t;
    mp_tls_config tls;
    char stored[256];
    size_t stored_len;
    int closed;
} srv;

static int srv_body(void *user, mp_smtp_server *s, const char *p, size_t n)
{
    (void)user;
    (void)s;
    if (n > sizeof srv.stored - srv.stored_len)
        return 1;
    memcpy(srv.stored + srv.stored_len, p, n);
    srv.stored_len += n;
    return 0;
}

static const mp_smtp_server_callbacks srv_cb = { .on_body = srv_body };

static void srv_send_output(void)
{
    size_t n;
    const char *o = mp_smtp_server_output(&srv.s, &n);
    mp_smtp_server_output_done(&srv.s, t_send(&srv.t, o, n));
}

static int server_step(void)
{
    size_t used = 0;
    mp_status st;
    srv_send_output();
    if (t_recv(&srv.t) == MP_ERR_TLS)
        return 0;
    if (srv.t.tls && !srv.t.started && mp_tls_pump_handshake_done(&srv.t.pump)) {
        srv.t.started = 1;
        mp_smtp_server_tls_started(&srv.s); /* a new EHLO is expected */
    }
    if (srv.t.rd_len == 0 || srv.closed)
        return 1;
    st = mp_smtp_server_feed(&srv.s, srv.t.rd, srv.t.rd_len, &used);
    t_consumed(&srv.t, used);
    if (st == MP_TRANSPORT_SWITCH) {
        /* "220 Ready to start TLS" goes out in plaintext, then the layer
         * changes.  Whatever followed STARTTLS in the same read is
         * plaintext injection: dropped, never parsed (CVE-2011-0411). */
        srv_send_output();
        srv.t.rd_len = 0;
        if (mp_tls_pump_setup(&srv.t.pump, &srv.tls.conf, NULL) != MP_NEED_MORE)
            return 0;
        srv.t.tls = 1;
    } else if (st == MP_CLOSED) {
        /* After 221: close_notify, then the socket. */
        srv_send_output();
        mp_tls_pump_close(&srv.t.pump);
        t_flush(&srv.t);
        srv.closed = 1;
    }
    return !mp_is_error(st);
}

/* ---- The client side ------------------------------------------------------ */

static const char body[] = "Subject: over TLS\r\n\r\nSecret.\r\n";

static struct {
    mp_smtp_client c;
    char out[2048];
    transport t;
    mp_tls_config tls;
    mp_smtp_client_envelope env;
    mp_smtp_client_rcpt rcpt;
    int sent, body_open, secure_send, closed, peer_closed;
    size_t accepted;
} cli;

static int cli_event(void *user, const mp_smtp_client_event *ev)
{
    (void)user;
    switch (ev->type) {
    case MP_SMTP_EV_READY:
        if (!cli.sent) {
            cli.sent = 1;
            cli.secure_send = mp_smtp_client_secure(&cli.c);
            return mp_smtp_client_send(&cli.c, &cli.env) == MP_OK ? MP_SMTP_CB_CONTINUE
                                                                   : MP_SMTP_CB_ABORT;
        }
        return mp_smtp_client_quit(&cli.c) == MP_OK ? MP_SMTP_CB_CONTINUE : MP_SMTP_CB_ABORT;
    case MP_SMTP_EV_BODY_READY:
        cli.body_open = 1;
        break;
    case MP_SMTP_EV_MESSAGE:
        cli.accepted = (size_t)ev->accepted;
        break;
    case MP_SMTP_EV_CLOSED:
        cli.closed = 1;
        break;
    default:
        break;
    }
    return MP_SMTP_CB_CONTINUE;
}

static const mp_smtp_client_callbacks cli_cb = { .on_event = cli_event };

static int client_step(void)
{
    size_t n, used = 0;
    const char *o;
    mp_status st;
    if (cli.body_open && mp_smtp_client_body(&cli.c, body, sizeof body - 1, &used) == MP_OK &&
        mp_smtp_client_body_end(&cli.c) == MP_OK)
        cli.body_open = 0;
    o = mp_smtp_client_output(&cli.c, &n);
    mp_smtp_client_output_done(&cli.c, t_send(&cli.t, o, n));
    st = t_recv(&cli.t);
    if (st == MP_CLOSED)
        cli.peer_closed = 1; /* the server's close_notify: a clean end */
    else if (st != MP_OK)
        return 0;
    if (cli.t.tls && !cli.t.started && mp_tls_pump_handshake_done(&cli.t.pump)) {
        cli.t.started = 1;
        mp_smtp_client_tls_started(&cli.c); /* forget the plaintext EHLO, ask again */
    }
    if (cli.t.rd_len == 0 || cli.closed)
        return 1;
    st = mp_smtp_client_feed(&cli.c, cli.t.rd, cli.t.rd_len, &used);
    t_consumed(&cli.t, used);
    if (st == MP_TRANSPORT_SWITCH) {
        /* The 220 to STARTTLS ended the plaintext: the name given here is
         * sent as SNI and checked against the server's certificate. */
        if (mp_tls_pump_setup(&cli.t.pump, &cli.tls.conf, "localhost") != MP_NEED_MORE)
            return 0;
        cli.t.tls = 1;
        t_flush(&cli.t); /* ClientHello */
        return 1;
    }
    if (mp_is_error(st)) {
        printf("client: %s\n", mp_strerror(mp_smtp_client_error(&cli.c)->code));
        return 0;
    }
    return 1;
}

int main(int argc, char **argv)
{
    static wire c2s, s2c;
    char ca[512], cert[512], key[512];
    const mp_smtp_client_config ccfg = {
        .helo_name = MP_SLICE_LIT("client.example.net"),
        .tls = MP_SMTP_TLS_REQUIRED, /* no STARTTLS, no mail */
    };
    static const mp_smtp_server_config scfg = {
        .hostname = "localhost",
        .flags = MP_SMTP_SRV_STARTTLS,
        .line_buf = srv.line,
        .line_cap = sizeof srv.line,
    };
    int rounds, ok;

    if (argc != 2) {
        fprintf(stderr, "usage: mbedtls_pump DIR (with ca.pem, server.pem, server.key)\n");
        return 2;
    }
    snprintf(ca, sizeof ca, "%s/ca.pem", argv[1]);
    snprintf(cert, sizeof cert, "%s/server.pem", argv[1]);
    snprintf(key, sizeof key, "%s/server.key", argv[1]);
    /* One mp_tls_config per role; it may serve many connections. */
    if (mp_tls_config_init(&cli.tls, MP_TLS_CLIENT) != MP_OK ||
        mp_tls_config_ca_file(&cli.tls, ca) != MP_OK ||
        mp_tls_config_init(&srv.tls, MP_TLS_SERVER) != MP_OK ||
        mp_tls_config_own_cert_file(&srv.tls, cert, key, NULL) != MP_OK) {
        fprintf(stderr, "TLS configuration failed (files in %s?)\n", argv[1]);
        return 1;
    }

    cli.t.out = &c2s, cli.t.in = &s2c;
    srv.t.out = &s2c, srv.t.in = &c2s;
    cli.rcpt.address = MP_SLICE_LIT("bob@localhost");
    cli.env.from = MP_SLICE_LIT("alice@example.net");
    cli.env.rcpts = &cli.rcpt;
    cli.env.nrcpts = 1;
    if (mp_smtp_client_init(&cli.c, &ccfg, &cli_cb, NULL, cli.out, sizeof cli.out) != MP_OK ||
        mp_smtp_server_init(&srv.s, &scfg, &srv_cb, NULL, srv.out, sizeof srv.out) != MP_OK)
        return 1;

    for (rounds = 0, ok = 1; ok && rounds < 200 && !cli.peer_closed; rounds++)
        ok = server_step() && client_step();

    if (mp_tls_pump_handshake_done(&cli.t.pump))
        printf("TLS up: %s\n", mbedtls_ssl_get_ciphersuite(&cli.t.pump.ssl));
    ok = ok && cli.secure_send && cli.accepted == 1 && cli.closed && cli.peer_closed &&
         srv.stored_len == sizeof body - 1 && memcmp(srv.stored, body, srv.stored_len) == 0;
    mp_tls_pump_free(&cli.t.pump);
    mp_tls_pump_free(&srv.t.pump);
    mp_tls_config_free(&cli.tls);
    mp_tls_config_free(&srv.tls);
    if (!ok) {
        printf("FAIL: the message did not go through TLS with a clean end\n");
        return 1;
    }
    printf("ok: message delivered under STARTTLS, close_notify received\n");
    return 0;
}
