/* Internal to lib/pop3: the server session's pieces shared between
 * server.c, server_cmd.c and server_auth.c.  Not installed. */
#ifndef MP_POP3_SERVER_INTERNAL_H
#define MP_POP3_SERVER_INTERNAL_H

#include "mailproto/pop3_server.h"

/* Room a command needs in the output before it is read: the longest line
 * the session writes itself, or one host answer. */
#define MP_POP3_SRV_RESERVE (MP_POP3_SERVER_MIN_OUT / 2u)

/* "+OK" / "-ERR" with an optional response code. */
mp_status mp_pop3s_say_(mp_pop3_server *s, int ok, mp_pop3_code code, const char *text);
/* A bad command (or a refused login): count, report, -ERR; at
 * MP_POP3_MAX_ERRORS the session closes. */
void mp_pop3s_bad_(mp_pop3_server *s, mp_pop3_code code, const char *text, mp_status why,
                   uint64_t off, const char *rule);
/* Hand an error to on_error (logging only). */
void mp_pop3s_report_(mp_pop3_server *s, mp_status code, uint64_t off, const char *rule);
/* Ask the host: at once, or once out of the current callback. */
void mp_pop3s_ask_(mp_pop3_server *s, mp_pop3_decision d);
void mp_pop3s_close_(mp_pop3_server *s);
/* "<hostname> POP3 server signing off" in buf (MP_POP3S_BYE_CAP bytes). */
#define MP_POP3S_BYE_CAP 96u
const char *mp_pop3s_bye_(const mp_pop3_server *s, char *buf);
/* LIST/UIDL without argument under MP_POP3_SRV_LIST_EACH (s->rq set):
 * start the listing and return 1; 0 otherwise. */
int mp_pop3s_listing_each_(mp_pop3_server *s);

/* Commands (server_cmd.c): one complete line at stream offset `off`. */
void mp_pop3s_on_line_(mp_pop3_server *s, mp_slice line, uint64_t off);
/* 1 when USER/PASS may be used now (offered, and TLS when required). */
int mp_pop3s_user_ok_(const mp_pop3_server *s);

/* AUTH and APOP (server_auth.c). */
mp_status mp_pop3s_auth_init_(mp_pop3_server *s);
/* The mechanisms offered now (mp_sasl_mech_set; 0: AUTH not offered). */
uint32_t mp_pop3s_auth_offered_(const mp_pop3_server *s);
void mp_pop3s_auth_cmd_(mp_pop3_server *s, const mp_pop3_cmd *cmd, uint64_t off);
void mp_pop3s_auth_line_(mp_pop3_server *s, mp_slice line, uint64_t off);
/* A framing error (line too long, bare CR/LF) inside the exchange. */
void mp_pop3s_auth_abort_(mp_pop3_server *s, mp_status why, uint64_t off);
/* The greeting's timestamp into buf (at least 96 bytes): its length, 0
 * without APOP. */
size_t mp_pop3s_timestamp_(const mp_pop3_server *s, char *buf);

#endif
