/* Private to the POP3 client session (client.c, client_cmd.c,
 * client_login.c, client_sasl.c): the queue and the helpers
 * they share.  The session is split so that an image links only what it
 * calls: a poller that logs in with USER/PASS and runs STAT, RETR, DELE
 * and QUIT does not link CAPA, APOP, SASL or the listings' readers. */
#ifndef MP_POP3_CLIENT_INTERNAL_H
#define MP_POP3_CLIENT_INTERNAL_H

#include "grammar.h"
#include "mailproto/pop3_client.h"

/* Kinds of the first failure (mp_pop3_client.fail_kind). */
enum { MP_POP3C_FAIL_NONE = 0, MP_POP3C_FAIL_GREETING, MP_POP3C_FAIL_LOGIN, MP_POP3C_FAIL_CMD };

/* Queue position i (0 = the oldest command) in the ring. */
unsigned mp_pop3c_at(const mp_pop3_client *c, unsigned i);

/* The session dies with `code` (the first error stands). */
mp_status mp_pop3c_fail(mp_pop3_client *c, mp_status code, uint64_t offset, const char *rule);

/* A write the session itself needed failed: the session dies. */
mp_status mp_pop3c_must(mp_pop3_client *c, mp_status st);

/* Give an event to the host; records a pause or an abort. */
void mp_pop3c_emit(mp_pop3_client *c, mp_pop3_client_ev type, mp_pop3_verb verb, uint32_t msgno,
                   const mp_pop3_resp_event *resp);

/* The command just written at the end of the output, on an empty queue:
 * await its answer. */
void mp_pop3c_push(mp_pop3_client *c, mp_pop3_verb verb);

/* The oldest command was answered: drop it from the queue. */
void mp_pop3c_pop(mp_pop3_client *c);

/* Queue a command of the host (written by mp_pop3c_fill); `aux` is a
 * TOP's line count.  MP_PAUSED when the queue is full. */
mp_status mp_pop3c_enqueue(mp_pop3_client *c, mp_pop3_verb verb, uint32_t msgno, uint32_t aux);

/* AUTHORIZATION: log in now?  MP_OK, or MP_ERR_STATE while something
 * else goes on. */
mp_status mp_pop3c_can_login(const mp_pop3_client *c);

/* May the password cross this connection as it is (USER/PASS, PLAIN)? */
int mp_pop3c_cleartext_ok(const mp_pop3_client *c);

/* The answer to USER/PASS, APOP or AUTH is in: LOGIN, then TRANSACTION or
 * READY in AUTHORIZATION again. */
mp_status mp_pop3c_login_result(mp_pop3_client *c, mp_pop3_verb verb,
                                const mp_pop3_resp_event *ev);

#endif
