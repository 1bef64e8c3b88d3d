/* POP3 client session: the host's commands (RFC 1939 §5, §7; RFC 2449
 * §5).  Each is queued and written by client.c when it may go. */
#include "client_internal.h"

/* A TRANSACTION command; `min` is 1 where a message number is required. */
static mp_status txn(mp_pop3_client *c, mp_pop3_verb verb, uint32_t msgno, uint32_t min,
                     uint32_t aux)
{
    if (c->phase != MP_POP3_PH_TRANSACTION)
        return MP_ERR_STATE;
    if (msgno < min || msgno > MP_POP3_MSGNO_MAX || aux > MP_POP3_MSGNO_MAX)
        return MP_ERR_ARG;
    return mp_pop3c_enqueue(c, verb, msgno, aux);
}

mp_status mp_pop3_client_stat(mp_pop3_client *c) { return txn(c, MP_POP3_STAT, 0, 0, 0); }

/* LIST and UIDL of every message answer with a listing: the parser's
 * reader of listings goes in (and is linked) only with them. */
static mp_status listing(mp_pop3_client *c, mp_pop3_verb verb, uint32_t msgno)
{
    mp_status st = txn(c, verb, msgno, 0, 0);
    if (st == MP_OK && msgno == 0 && c->rp.ops == NULL)
        c->rp.ops = &mp_pop3_resp_ops_list_;
    return st;
}

mp_status mp_pop3_client_list(mp_pop3_client *c, uint32_t msgno)
{
    return listing(c, MP_POP3_LIST, msgno);
}

mp_status mp_pop3_client_uidl(mp_pop3_client *c, uint32_t msgno)
{
    return listing(c, MP_POP3_UIDL, msgno);
}

mp_status mp_pop3_client_retr(mp_pop3_client *c, uint32_t msgno)
{
    return txn(c, MP_POP3_RETR, msgno, 1, 0);
}

mp_status mp_pop3_client_top(mp_pop3_client *c, uint32_t msgno, uint32_t lines)
{
    return txn(c, MP_POP3_TOP, msgno, 1, lines);
}

mp_status mp_pop3_client_dele(mp_pop3_client *c, uint32_t msgno)
{
    return txn(c, MP_POP3_DELE, msgno, 1, 0);
}

mp_status mp_pop3_client_rset(mp_pop3_client *c) { return txn(c, MP_POP3_RSET, 0, 0, 0); }

mp_status mp_pop3_client_noop(mp_pop3_client *c) { return txn(c, MP_POP3_NOOP, 0, 0, 0); }

mp_status mp_pop3_client_capa(mp_pop3_client *c)
{
    if (c->phase != MP_POP3_PH_AUTHORIZATION && c->phase != MP_POP3_PH_TRANSACTION)
        return MP_ERR_STATE;
    /* A lean session reads capabilities from now on (links the reader). */
    if (c->rp.ops == NULL || c->rp.ops == &mp_pop3_resp_ops_list_)
        c->rp.ops = &mp_pop3_resp_ops_capa_;
    return mp_pop3c_enqueue(c, MP_POP3_CAPA, 0, 0);
}
