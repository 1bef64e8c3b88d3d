/* An SMTP alert sender: EHLO, one message to one recipient, QUIT; TLS is
 * the transport's (implicit), AUTH through the SASL client
 * (PLAIN), as a host that may pick another mechanism does. */
#include "mailproto/sasl.h"
#include "mailproto/smtp_client.h"
static char out[2048], authbuf[MP_SMTP_CLIENT_AUTH_BUF];
static mp_sasl_client sasl;
static const mp_sasl_credentials creds = { .username = { "dev", 3 }, .password = { "secret", 6 } };
static mp_smtp_client c;
static mp_smtp_client_rcpt rcpt = { .address = { "ops@example.com", 15 } };
static mp_smtp_client_envelope env = { .from = { "dev@example.com", 15 }, .rcpts = &rcpt,
                                       .nrcpts = 1, .last = 1 };
static const mp_smtp_client_config cfg = { .helo_name = { "dev.example.com", 15 },
                                           .tls = MP_SMTP_TLS_IMPLICIT,
                                           .auth_buf = authbuf, .auth_cap = sizeof(authbuf) };
static const char body[] = "Subject: alert\r\n\r\ntemperature high\r\n";
static int sent, body_open, authed;
volatile unsigned long sink;
static int on_event(void *user, const mp_smtp_client_event *ev)
{
    (void)user;
    if (ev->type == MP_SMTP_EV_READY && !authed)
        authed = mp_sasl_client_start(&sasl, MP_SASL_PLAIN, &creds, 0) == MP_OK &&
                 mp_smtp_client_auth_sasl(&c, &sasl) == MP_OK;
    else if (ev->type == MP_SMTP_EV_READY && !sent)
        sent = mp_smtp_client_send(&c, &env) == MP_OK;
    else if (ev->type == MP_SMTP_EV_READY)
        mp_smtp_client_quit(&c);
    else if (ev->type == MP_SMTP_EV_BODY_READY)
        body_open = 1;
    else if (ev->type == MP_SMTP_EV_MESSAGE)
        sink += (unsigned long)ev->accepted;
    return MP_SMTP_CB_CONTINUE;
}
static const mp_smtp_client_callbacks cb = { on_event };
int main(void)
{
    static const char in[] = "220 x\r\n";
    size_t used, n;
    mp_smtp_client_init(&c, &cfg, &cb, 0, out, sizeof(out));
    for (;;) {
        sink += (unsigned long)mp_smtp_client_output(&c, &n);
        mp_smtp_client_output_done(&c, n);
        if (body_open && mp_smtp_client_body(&c, body, sizeof(body) - 1, &used) == MP_OK &&
            mp_smtp_client_body_end(&c) == MP_OK)
            body_open = 0;
        if (mp_smtp_client_feed(&c, in, sizeof(in) - 1, &used) != MP_NEED_MORE)
            break;
    }
    return (int)mp_smtp_client_error(&c)->code;
}
