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

/* A queue entry: the kind of reply expected (K_*), and for a command
 * behind another one not wholly sent, the output bytes from the end of
 * that one to its own end (docs/architecture.md §3: see client.c). */
#define MP_SMTPC_KIND(e) ((uint8_t)((e) & 0x0Fu))
#define MP_SMTPC_GAP(e) ((size_t)((e) >> 4))
#define MP_SMTPC_GAP_MAX 0x0FFFu

/* PIPELINING offered and not disabled by the host. */
int mp_smtpc_pipelining(const mp_smtp_client *c);
/* Expect one more reply of `kind` to the command just written (it ends
 * at the end of the output).  The queue never overflows: fill() and the
 * BDAT writer check its room, every other command is written on an
 * empty queue.  Only those two can write behind a command not wholly
 * sent, and they keep the distance within MP_SMTPC_GAP_MAX
 * (mp_smtpc_gap_room). */
void mp_smtpc_push(mp_smtp_client *c, uint8_t kind);
/* How many output bytes a command written now may take so that
 * mp_smtpc_push() can record it (SIZE_MAX when every command is sent). */
size_t mp_smtpc_gap_room(const mp_smtp_client *c);
/* Give `ev` to the host; records a pause or an abort. */
void mp_smtpc_emit(mp_smtp_client *c, mp_smtp_client_event *ev);
/* A write the session itself needed failed: the session dies. */
mp_status mp_smtpc_must(mp_smtp_client *c, mp_status st);

#endif
