/* An SMTP server without AUTH (a device that accepts mail on the LAN; the
 * lean init leaves AUTH and the SASL server out of the link):
 * the host decides MAIL and RCPT, takes the body, accepts the message. */
#include "mailproto/smtp.h"
static char out[MP_SMTP_SERVER_MIN_OUT], line[MP_SMTP_SERVER_LINE_BUF];
static mp_smtp_server s;
static const mp_smtp_server_config cfg = { .hostname = "dev.example.com", .line_buf = line,
                                           .line_cap = sizeof(line), .max_size = 65536 };
volatile unsigned long sink;
static int on_rcpt(void *user, mp_smtp_server *srv, const mp_smtp_cmd *cmd)
{
    (void)user;
    if (cmd->path.domain.len == 11)
        return mp_smtp_server_accept(srv) == MP_OK ? 0 : 0;
    mp_smtp_server_reply(srv, 550, "5.1.1", "No such user");
    return 0;
}
static int on_body(void *user, mp_smtp_server *srv, const char *p, size_t n)
{
    (void)user;
    (void)srv;
    sink += (unsigned long)p + n;
    return 0;
}
static const mp_smtp_server_callbacks cb = { .on_rcpt = on_rcpt, .on_body = on_body };
int main(void)
{
    static const char in[] = "EHLO x\r\n";
    size_t used, n;
    mp_smtp_server_init_lean(&s, &cfg, &cb, 0, out, sizeof(out));
    for (;;) {
        sink += (unsigned long)mp_smtp_server_output(&s, &n);
        mp_smtp_server_output_done(&s, n);
        if (mp_smtp_server_feed(&s, in, sizeof(in) - 1, &used) != MP_NEED_MORE)
            break;
    }
    return 0;
}
