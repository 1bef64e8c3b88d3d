/*
 * Send one alert by SMTP over an fw_transport: EHLO, optional AUTH PLAIN,
 * one message to a few recipients, QUIT.  No heap, no OS: the session and
 * its buffers are static (RAM: sizeof(mp_smtp_client) + ALERT_OUT_CAP).
 */
#ifndef FW_ALERT_H
#define FW_ALERT_H

#include "mailproto/smtp_client.h"
#include "transport.h"

typedef struct alert {
    const char *helo;      /* this device's name: a domain or [address] */
    const char *from;      /* envelope sender */
    const char *const *to; /* recipients */
    size_t nto;
    const char *user;      /* AUTH PLAIN when not NULL (under TLS only!) */
    const char *password;
    const char *message;   /* header + CRLF + body, CRLF line ends */
} alert;

/* MP_OK when the server accepted the message for at least one recipient;
 * else the session's error (MP_ERR_*), or MP_ERR_ABORTED when the
 * transport failed or the server refused every recipient. */
mp_status alert_send(const fw_transport *t, const alert *a);

#endif
