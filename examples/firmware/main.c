/* examples/firmware: a bare-metal SMTP alert sender for Cortex-M4 (no OS,
 * no heap) run under QEMU against a scripted server: it sends one alert
 * with AUTH PLAIN to two recipients and prints the conversation.  Exit
 * status 0 when the server accepted the message and the script was played
 * to its end.  README.md: how to port it to a real transport. */
#include "alert.h"
#include "script_transport.h"
#include "semihost.h"

static const char *const rcpts[] = { "ops@example.com", "oncall@example.com" };

/* LF line ends would be refused (MP_ERR_BARE_LF); the leading dot is
 * stuffed by the session (RFC 5321 §4.5.2). */
static const alert boiler = {
    .helo = "sensor-17.example.com",
    .from = "sensor-17@example.com",
    .to = rcpts,
    .nto = 2,
    .user = "sensor-17",
    .password = "s3cret",
    .message = "From: sensor-17 <sensor-17@example.com>\r\n"
               "To: ops@example.com, oncall@example.com\r\n"
               "Subject: ALERT boiler 2 over temperature\r\n"
               "\r\n"
               "Boiler 2: 97.5 C (limit 90.0 C) since 00:41 UTC.\r\n"
               ".A line that starts with a dot is stuffed.\r\n",
};

static script_peer peer;

int main(void)
{
    fw_transport t;
    mp_status st;
    script_transport(&t, &peer);
    st = alert_send(&t, &boiler);
    if (st != MP_OK || !script_done(&peer)) {
        sh_puts(mp_status_name(st));
        sh_puts(": alert not sent\n");
        return 1;
    }
    sh_puts("alert sent\n");
    return 0;
}
