#include "mailproto/pop3_client.h"
static char out[256];
static mp_pop3_client c;
static const mp_pop3_client_config cfg = { .tls = MP_POP3_TLS_IMPLICIT };
volatile unsigned long sink;
static int on_event(void *user, const mp_pop3_client_event *ev)
{
    uint32_t i;
    (void)user;
    switch (ev->type) {
    case MP_POP3_CEV_READY:
        if (mp_pop3_client_phase_of(&c) == MP_POP3_PH_AUTHORIZATION)
            mp_pop3_client_user(&c, MP_SLICE_LIT("u"), MP_SLICE_LIT("p"));
        else if (sink & 1)
            mp_pop3_client_stat(&c);
        else
            mp_pop3_client_quit(&c);
        break;
    case MP_POP3_CEV_RESPONSE:
        if (ev->verb == MP_POP3_STAT)
            for (i = 1; i <= ev->resp->count; i++)
                mp_pop3_client_retr(&c, i);
        break;
    case MP_POP3_CEV_CONTENT:
        sink += ev->resp->text.len;
        break;
    case MP_POP3_CEV_END:
        mp_pop3_client_dele(&c, ev->msgno);
        break;
    default:
        break;
    }
    return 0;
}
static const mp_pop3_client_callbacks cb = { on_event };
int main(void)
{
    static const char in[] = "+OK\r\n";
    size_t used, n;
    const char *o;
    mp_pop3_client_init_lean(&c, &cfg, &cb, 0, out, sizeof(out));
    for (;;) {
        o = mp_pop3_client_output(&c, &n);
        sink += (unsigned long)o;
        mp_pop3_client_output_done(&c, n);
        if (mp_pop3_client_feed(&c, in, sizeof(in) - 1, &used) != MP_NEED_MORE)
            break;
    }
    return 0;
}
