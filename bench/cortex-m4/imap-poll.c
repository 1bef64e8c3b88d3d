/* An IMAP poller: LOGIN, SELECT INBOX, UID FETCH of the new messages'
 * bodies (streamed literals), LOGOUT; TLS is the transport's (implicit). */
#include "mailproto/imap_client.h"
static char out[MP_IMAP_CLIENT_MIN_OUT], buf[1024];
static mp_imap_client c;
static const mp_imap_client_config cfg = { .tls = MP_IMAP_TLS_IMPLICIT, .buf = buf,
                                           .buf_cap = sizeof(buf) };
static const char *const items[] = { "UID", "BODY.PEEK[]" };
static uint32_t uidnext = 1;
volatile unsigned long sink;
static int on_event(void *user, const mp_imap_client_event *ev)
{
    mp_imap_seq_range set = { 0, MP_IMAP_SEQ_STAR };
    (void)user;
    switch (ev->type) {
    case MP_IMAP_CLIENT_EV_READY:
        if (mp_imap_client_state_of(&c) == MP_IMAP_ST_NOT_AUTHENTICATED)
            mp_imap_client_login(&c, MP_SLICE_LIT("dev"), MP_SLICE_LIT("secret"), 0);
        else
            mp_imap_client_select(&c, MP_SLICE_LIT("INBOX"), 0, 0);
        break;
    case MP_IMAP_CLIENT_EV_DONE:
        set.lo = uidnext;
        if (ev->cmd_id == MP_IMAP_CMD_SELECT)
            mp_imap_client_fetch(&c, 1, &set, 1, items, 2, 0, 0, 0);
        else if (ev->cmd_id == MP_IMAP_CMD_UID_FETCH)
            mp_imap_client_logout(&c, 0);
        break;
    case MP_IMAP_CLIENT_EV_RESPONSE:
        if (ev->resp->type == MP_IMAP_EV_LITERAL_CHUNK)
            sink += ev->resp->str.len;
        break;
    case MP_IMAP_CLIENT_EV_FETCH:
        if (ev->uid >= uidnext)
            uidnext = ev->uid + 1;
        break;
    default:
        break;
    }
    return MP_IMAP_CLIENT_CB_CONTINUE;
}
static const mp_imap_client_callbacks cb = { on_event };
int main(void)
{
    static const char in[] = "* OK x\r\n";
    size_t used, n;
    mp_imap_client_init(&c, &cfg, &cb, 0, out, sizeof(out));
    for (;;) {
        sink += (unsigned long)mp_imap_client_output(&c, &n);
        mp_imap_client_output_done(&c, n);
        if (mp_imap_client_feed(&c, in, sizeof(in) - 1, &used) != MP_NEED_MORE)
            break;
    }
    return (int)mp_imap_client_error(&c)->code;
}
