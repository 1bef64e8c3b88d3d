#include "mailproto/imap_server.h"
#include "mailproto/sasl.h"
static char out[MP_IMAP_SERVER_MIN_OUT], buf[MP_IMAP_SERVER_BUF];
static mp_imap_server s;
static mp_sasl_server sasl;
static const mp_imap_server_config cfg = { .flags = MP_IMAP_SRV_LOGIN | MP_IMAP_SRV_STARTTLS |
                                               MP_IMAP_SRV_REQUIRE_TLS | MP_IMAP_SRV_IDLE,
                                           .sasl = &sasl, .buf = buf, .buf_cap = sizeof(buf) };
volatile unsigned long sink;
static int on_request(void *user, mp_imap_server *x, const mp_imap_server_req *r)
{
    (void)user;
    if (r->type == MP_IMAP_REQ_EXECUTE) {
        mp_imap_resp_event ev = mp_imap_ev_begin(MP_IMAP_RESP_EXISTS, r->tag, 1, 1);
        ev.str.len = 0;
        mp_imap_server_respond(x, &ev);
        ev = mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE);
        mp_imap_server_respond(x, &ev);
        mp_imap_server_complete(x, MP_IMAP_RESP_OK, 0, "done");
    }
    return 0;
}
static int on_auth(void *user, mp_imap_server *x)
{
    (void)user;
    mp_sasl_server_verify(&sasl, sasl.password.len == 6);
    return mp_imap_server_auth_resume(x) != MP_OK;
}
static const mp_imap_server_callbacks cb = { on_request, 0, on_auth, 0, 0 };
int main(void)
{
    static const char in[] = "a LOGIN u secret\r\nb SELECT INBOX\r\n";
    size_t used, n;
    if (mp_imap_server_init(&s, &cfg, &cb, 0, out, sizeof(out)) != MP_OK)
        return 1;
    for (;;) {
        mp_status st = mp_imap_server_feed(&s, in, sizeof(in) - 1, &used);
        sink += (unsigned long)mp_imap_server_output(&s, &n)[0];
        mp_imap_server_output_done(&s, n);
        mp_imap_server_notify_exists(&s, 2);
        if (st == MP_TRANSPORT_SWITCH)
            mp_imap_server_tls_started(&s);
        else
            break;
    }
    return 0;
}
