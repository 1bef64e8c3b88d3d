/* Private to the SMTP client session (client.c, client_auth.c,
 * client_body.c): the reply queue kinds and the helpers they share. */
#ifndef MP_SMTP_CLIENT_INTERNAL_H
#define MP_SMTP_CLIENT_INTERNAL_H

#include "mailproto/smtp_client.h"

/* Kinds of expected replies (queue entries). */
enum {
    K_GREETING = 0,
    K_EHLO,     /* EHLO or LHLO */
    K_HELO,
    K_STARTTLS,
    K_AUTH,
    K_MAIL,
    K_RCPT,
    K_DATA,
    K_DOT,      /* end of the DATA body */
    K_BDAT,
    K_BDAT_LAST,
    K_DISCARD,  /* "." sent after a 354 nobody could use */
    K_RSET,
    K_QUIT
};

/* PIPELINING offered and not disabled by the host. */
int mp_smtpc_pipelining(const mp_smtp_client *c);
/* Expect one more reply of `kind`.  The queue never overflows: fill() and
 * the BDAT writer check its room, every other command is written on an
 * empty queue. */
void mp_smtpc_push(mp_smtp_client *c, uint8_t kind);
/* Give `ev` to the host; records a pause or an abort. */
void mp_smtpc_emit(mp_smtp_client *c, mp_smtp_client_event *ev);
/* A write the session itself needed failed: the session dies. */
mp_status mp_smtpc_must(mp_smtp_client *c, mp_status st);
/* A 334 arrived (client_auth.c). */
mp_status mp_smtpc_auth_challenge(mp_smtp_client *c, const mp_smtp_reply_line *l);

#endif
