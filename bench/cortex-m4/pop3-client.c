#include "mailproto/pop3_client.h"
static char out[2048], authbuf[MP_POP3_CLIENT_AUTH_BUF];
static mp_pop3_client c;
static mp_sasl_client sasl;
static mp_pop3_client_login_params lp;
static const mp_pop3_client_config cfg = { .tls = MP_POP3_TLS_REQUIRED, .auth_buf = authbuf,
                                           .auth_cap = sizeof(authbuf) };
volatile unsigned long sink;
static int on_event(void *user, const mp_pop3_client_event *ev)
{
    (void)user;
    if (ev->type == MP_POP3_CEV_READY && mp_pop3_client_phase_of(&c) == MP_POP3_PH_AUTHORIZATION)
        mp_pop3_client_login(&c, &lp, 0);
    else if (ev->type == MP_POP3_CEV_READY) {
        mp_pop3_client_uidl(&c, 0);
        mp_pop3_client_list(&c, 0);
        mp_pop3_client_top(&c, 1, 0);
        mp_pop3_client_retr(&c, 1);
        mp_pop3_client_quit(&c);
    } else if (ev->resp)
        sink += ev->resp->text.len;
    return 0;
}
static const mp_pop3_client_callbacks cb = { on_event };
int main(void)
{
    static const char in[] = "+OK\r\n";
    size_t used, n;
    mp_crypto_provider cp = mp_crypto_builtin(0, 0);
    lp.crypto = &cp;
    lp.sasl = &sasl;
    mp_pop3_client_init(&c, &cfg, &cb, 0, out, sizeof(out));
    for (;;) {
        (void)mp_pop3_client_output(&c, &n);
        mp_pop3_client_output_done(&c, n);
        if (mp_pop3_client_feed(&c, in, sizeof(in) - 1, &used) == MP_TRANSPORT_SWITCH)
            mp_pop3_client_tls_started(&c);
        else
            break;
    }
    return 0;
}
