/* Internal to lib/smtp: the server session's pieces shared between
 * server.c and server_auth.c.  Not installed. */
#ifndef MP_SMTP_SERVER_INTERNAL_H
#define MP_SMTP_SERVER_INTERNAL_H

#include "mailproto/smtp.h"

/* Replies written by the session itself. */
mp_status mp_smtp_srv_say_(mp_smtp_server *s, unsigned code, const char *esc, const char *text);
mp_status mp_smtp_srv_say_host_(mp_smtp_server *s, unsigned code, const char *esc,
                                const char *text);
/* A bad command: count, report, reply, 421 at the hard limit. */
void mp_smtp_srv_bad_(mp_smtp_server *s, unsigned code, const char *esc, const char *text,
                      mp_status why, uint64_t offset, const char *rule);
void mp_smtp_srv_reset_txn_(mp_smtp_server *s, int notify);
/* Hand an error to on_error (logging only). */
void mp_smtp_srv_report_(mp_smtp_server *s, mp_status code, uint64_t offset, const char *rule);
/* State CLOSED, nothing pending. */
void mp_smtp_srv_close_(mp_smtp_server *s);
/* After a callback: leave the callback guard, remember an abort. */
int mp_smtp_srv_call_(mp_smtp_server *s, int rc);
/* Ask the host (or answer alone when `cb` is NULL). */
void mp_smtp_srv_decide_(mp_smtp_server *s, mp_smtp_decision d, mp_smtp_verb verb,
                         int (*cb)(void *, mp_smtp_server *, const mp_smtp_cmd *),
                         const mp_smtp_cmd *cmd);

/* Commands (server_cmd.c): one complete line at stream offset `off`. */
void mp_smtp_srv_on_line_(mp_smtp_server *s, mp_slice line, uint64_t off);

/* Body (server_body.c): consume body bytes, return how many were taken. */
size_t mp_smtp_srv_data_step_(mp_smtp_server *s, const char *in, size_t len);
size_t mp_smtp_srv_bdat_step_(mp_smtp_server *s, const char *in, size_t len);
/* A BDAT chunk was consumed (or was empty). */
void mp_smtp_srv_bdat_done_(mp_smtp_server *s);
/* The body ended: reply or ask the host. */
void mp_smtp_srv_message_end_(mp_smtp_server *s);
/* State END_REPLIES: write the end-of-data replies the session owes, as
 * far as the output holds them. */
void mp_smtp_srv_end_replies_(mp_smtp_server *s);
/* AUTH (server_auth.c), reached only through s->auth, which
 * mp_smtp_server_init sets and mp_smtp_server_init_lean leaves NULL: a
 * firmware that never offers AUTH links neither this nor the SASL server. */
struct mp_smtp_srv_auth_ops_ {
    mp_status (*init)(mp_smtp_server *s, const mp_smtp_server_config *cfg);
    /* The EHLO "AUTH mech ..." line into buf (at most MAX_MECHS + 16
     * bytes): its length, 0 when AUTH is not offered now. */
    size_t (*caps)(const mp_smtp_server *s, char *buf, size_t cap);
    void (*cmd)(mp_smtp_server *s, const mp_smtp_cmd *cmd, uint64_t off);
    void (*line)(mp_smtp_server *s, mp_slice line, uint64_t off);
    /* A framing error (line too long, bare CR/LF) inside the exchange. */
    void (*abort)(mp_smtp_server *s, mp_status why, uint64_t off);
};
#if MP_ENABLE_SASL
extern const struct mp_smtp_srv_auth_ops_ mp_smtp_srv_sasl_auth_;
#endif

#endif
