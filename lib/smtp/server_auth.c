/* SMTP AUTH (RFC 4954) on lib/sasl: placeholder until h/sasl is merged. */
#include "server_internal.h"

mp_status mp_smtp_srv_auth_init_(mp_smtp_server *s, const mp_smtp_server_config *cfg)
{
    (void)s;
    (void)cfg;
    return MP_ERR_UNSUPPORTED;
}

void mp_smtp_srv_auth_cmd_(mp_smtp_server *s, const mp_smtp_cmd *cmd, uint64_t off)
{
    (void)cmd;
    mp_smtp_srv_bad_(s, 502, "5.5.1", "AUTH not available", MP_ERR_SMTP_NOT_IMPLEMENTED, off,
                     "RFC 4954");
}

void mp_smtp_srv_auth_line_(mp_smtp_server *s, mp_slice line, uint64_t off)
{
    (void)line;
    (void)off;
    s->state = MP_SMTP_SS_READY;
}

void mp_smtp_srv_auth_abort_(mp_smtp_server *s, mp_status why, uint64_t off)
{
    (void)why;
    (void)off;
    s->state = MP_SMTP_SS_READY;
}
