/* SMTP/LMTP client session (RFC 5321, RFC 2033 LMTP, RFC 2920 PIPELINING,
 * RFC 3030 CHUNKING, RFC 3207 STARTTLS, RFC 4954 AUTH): a sans-I/O engine
 * (docs/architecture.md §3).  Every command written pushes the kind of reply it
 * expects onto a small queue; replies are matched in order, which is all
 * pipelining needs.  A reply is matched only to a command the host has
 * wholly sent: the queue also knows which commands are still in the
 * output buffer. */
#include <string.h>

#include "client_internal.h"

_Static_assert(MP_SMTP_MAX_RCPTS <= 0xFFFFFFFFu, "recipient counters are 32-bit");

/* Stream offset of the reply line being handled. */
#define REPLY_AT(c) ((c)->rp.line_start)

static mp_status quit_dead(mp_smtp_client *c);

/* Positive completion (RFC 5321 §4.2.1), via the shared class helper. */
static int is2xx(unsigned code) { return mp_smtp_code_class(code) == 2u; }

int mp_smtpc_pipelining(const mp_smtp_client *c)
{
    return (c->caps.flags & MP_SMTP_CAP_PIPELINING) &&
           !(c->cfg.flags & MP_SMTP_CLIENT_NO_PIPELINING);
}

static mp_status fail(mp_smtp_client *c, mp_status code, uint64_t offset, const char *rule)
{
    /* In the middle of a DATA body the server reads message text: a QUIT
     * now would be part of it (mp_smtp_client_quit). */
    c->dead_in_data = c->phase == MP_SMTP_PH_BODY && !c->use_bdat;
    c->phase = MP_SMTP_PH_FAILED;
    return mp_error_set(&c->err, code, offset, rule);
}

/* ----------------------------------------------------------------------- */
/* What the host has sent                                                  */
/* ----------------------------------------------------------------------- */
/*
 * A server answers a command only after reading it, so a reply that
 * arrives while its command is still (even partly) in the output buffer is
 * no answer to it: an extra line, a desynchronized or hostile server.
 * Such a reply is MP_ERR_SMTP_UNEXPECTED_REPLY (docs/architecture.md §3).
 *
 * The commands not wholly sent are the last `nunsent` of the queue (output
 * leaves in order).  The oldest of them ends `unsent_head` bytes into the
 * output; each later one stores in its entry its distance from the end of
 * the one before it.  Every command but a pipelined one (fill) or a BDAT
 * chunk is written on an empty queue, and those two keep that distance
 * within MP_SMTPC_GAP_MAX; so 12 bits of each entry do, not a size_t.
 */

static size_t qindex(const mp_smtp_client *c, unsigned i)
{
    return (c->qhead + i) % MP_SMTP_CLIENT_MAX_PIPELINE;
}

/* Output offset of the end of the newest command not wholly sent. */
static size_t unsent_end(const mp_smtp_client *c)
{
    size_t end = c->unsent_head;
    unsigned i;
    for (i = (unsigned)(c->qlen - c->nunsent) + 1u; i < c->qlen; i++)
        end += MP_SMTPC_GAP(c->queue[qindex(c, i)]);
    return end;
}

size_t mp_smtpc_gap_room(const mp_smtp_client *c)
{
    size_t behind;
    if (c->nunsent == 0)
        return SIZE_MAX;
    behind = c->out.len - unsent_end(c);
    return behind < MP_SMTPC_GAP_MAX ? MP_SMTPC_GAP_MAX - behind : 0;
}

void mp_smtpc_push(mp_smtp_client *c, uint8_t kind)
{
    size_t gap = 0;
    if (c->nunsent > 0) {
        gap = c->out.len - unsent_end(c); /* <= MP_SMTPC_GAP_MAX, see above */
        c->nunsent++;
    } else if (c->out.len > 0) {
        /* Everything queued before is sent: the whole output is this
         * command's (a DATA body and its final dot). */
        c->unsent_head = c->out.len;
        c->nunsent = 1;
        c->head_started = 0;
    }
    c->queue[qindex(c, c->qlen)] = (uint16_t)(kind | (gap << 4));
    c->qlen++;
}

/* The host sent `n` more bytes: the commands they complete are sent. */
static void taken(mp_smtp_client *c, size_t n)
{
    while (c->nunsent > 0 && n >= c->unsent_head) {
        n -= c->unsent_head;
        c->nunsent--;
        c->head_started = 0;
        if (c->nunsent > 0)
            c->unsent_head = MP_SMTPC_GAP(c->queue[qindex(c, (unsigned)(c->qlen - c->nunsent))]);
    }
    if (c->nunsent > 0 && n > 0) {
        c->unsent_head -= n;
        c->head_started = 1;
    }
}

/* The oldest reply expected is to a command the host has wholly sent. */
static int head_sent(const mp_smtp_client *c) { return c->qlen > c->nunsent; }

void mp_smtpc_emit(mp_smtp_client *c, mp_smtp_client_event *ev)
{
    int r = c->cb->on_event(c->user, ev);
    if (r == MP_SMTP_CB_PAUSE)
        c->paused = 1;
    else if (r != MP_SMTP_CB_CONTINUE)
        c->aborted = 1;
}

static void emit_simple(mp_smtp_client *c, mp_smtp_client_event_type t,
                        const mp_smtp_reply_line *l, size_t index, int accepted)
{
    mp_smtp_client_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = t;
    ev.reply = l;
    ev.index = index;
    ev.accepted = accepted;
    mp_smtpc_emit(c, &ev);
}

/* A command the session itself must write: the buffer holds at least
 * MP_SMTP_MAX_COMMAND_LINE, so only unsent output can be in the way. */
mp_status mp_smtpc_must(mp_smtp_client *c, mp_status st)
{
    if (st != MP_OK)
        return fail(c, st, c->pos, "output buffer full");
    return MP_OK;
}

static mp_status send_hello(mp_smtp_client *c, mp_smtp_verb verb)
{
    mp_status st = mp_smtp_write_hello(&c->out, verb, c->cfg.helo_name);
    if (st != MP_OK)
        return mp_smtpc_must(c, st);
    mp_smtp_caps_init(&c->caps);
    mp_smtpc_push(c, verb == MP_SMTP_HELO ? K_HELO : K_EHLO);
    c->phase = MP_SMTP_PH_HELLO;
    return MP_OK;
}

static void ready(mp_smtp_client *c, const mp_smtp_reply_line *l)
{
    c->phase = MP_SMTP_PH_READY;
    emit_simple(c, MP_SMTP_EV_READY, l, 0, 0);
}

/* ----------------------------------------------------------------------- */
/* Transactions                                                            */
/* ----------------------------------------------------------------------- */

static void mail_params(const mp_smtp_client *c, const mp_smtp_client_envelope *e,
                        mp_smtp_mail_params *p)
{
    memset(p, 0, sizeof(*p));
    if ((c->caps.flags & MP_SMTP_CAP_SIZE) && e->size > 0) {
        p->has_size = 1;
        p->size = e->size;
    }
    /* BODY= belongs to 8BITMIME/BINARYMIME; send() refused what the server
     * cannot take. */
    if (e->body != MP_SMTP_BODY_NONE && (c->caps.flags & MP_SMTP_CAP_8BITMIME))
        p->body = (uint8_t)e->body;
    p->smtputf8 = e->smtputf8;
    if (c->caps.flags & MP_SMTP_CAP_DSN) {
        p->ret = (uint8_t)e->ret;
        p->envid = e->envid;
    }
    p->requiretls = e->requiretls;
    /* RFC 6710 §3: MT-PRIORITY only to a server that offers it. */
    if (e->has_mt_priority && (c->caps.flags & MP_SMTP_CAP_MT_PRIORITY)) {
        p->has_mt_priority = 1;
        p->mt_priority = e->mt_priority;
    }
}

static void rcpt_params(const mp_smtp_client *c, const mp_smtp_client_rcpt *r,
                        mp_smtp_rcpt_params *p)
{
    memset(p, 0, sizeof(*p));
    p->utf8 = c->env->smtputf8;
    if (c->caps.flags & MP_SMTP_CAP_DSN) {
        p->notify = r->notify;
        p->orcpt = r->orcpt;
    }
}

/* Write the transaction's next commands: all of them with PIPELINING (as
 * many as the buffer and the queue take), else one per reply. */
static mp_status fill(mp_smtp_client *c)
{
    while (c->phase == MP_SMTP_PH_TXN && c->env != NULL && !c->txn_failed) {
        mp_status st;
        size_t mark = c->out.len, room = mp_smtpc_gap_room(c);
        uint8_t kind;
        if ((!mp_smtpc_pipelining(c) && c->qlen > 0) || c->qlen >= MP_SMTP_CLIENT_MAX_PIPELINE)
            break;
        if (!c->mail_written) {
            mp_smtp_mail_params p;
            mail_params(c, c->env, &p);
            st = mp_smtp_write_mail(&c->out, c->env->from, &p);
            kind = K_MAIL;
        } else if (c->next_rcpt < c->env->nrcpts) {
            mp_smtp_rcpt_params p;
            rcpt_params(c, &c->env->rcpts[c->next_rcpt], &p);
            st = mp_smtp_write_rcpt(&c->out, c->env->rcpts[c->next_rcpt].address, &p);
            kind = K_RCPT;
        } else if (!c->use_bdat && !c->data_written) {
            st = mp_smtp_write_simple(&c->out, MP_SMTP_DATA);
            kind = K_DATA;
        } else {
            break;
        }
        if (st == MP_OK && c->out.len - mark > room) {
            /* Too long to queue behind a command not yet sent (only with
             * command lines over 4 KiB): it waits for output_done(). */
            mp_outbuf_rollback(&c->out, mark);
            break;
        }
        if (st == MP_ERR_NO_SPACE && c->out.len > 0)
            break; /* output_done() comes back here */
        if (st != MP_OK)
            return fail(c, st, c->pos, "command write");
        mp_smtpc_push(c, kind);
        if (kind == K_MAIL)
            c->mail_written = 1;
        else if (kind == K_RCPT)
            c->next_rcpt++;
        else
            c->data_written = 1;
    }
    return MP_OK;
}

/* Keep the first failure of the transaction: the replies to what was
 * pipelined behind it (503 "no valid transaction", the last BDAT chunk's)
 * only echo it. */
static void note_failure(mp_smtp_client *c, const mp_smtp_reply_line *l)
{
    size_t n = l->text.len < sizeof(c->fail_text) ? l->text.len : sizeof(c->fail_text);
    if (c->fail_code != 0)
        return;
    c->fail_code = (uint16_t)l->code;
    c->fail_esc = l->esc;
    memcpy(c->fail_text, l->text.ptr, n);
    c->fail_len = (uint8_t)n;
}

/* The transaction is over: report it (with its first failure, if any),
 * and RSET when the server may still hold an open transaction (MAIL
 * accepted, the body never completed). */
static mp_status end_txn(mp_smtp_client *c, const mp_smtp_reply_line *last)
{
    int rset = c->mail_ok && (!c->body_ended || c->need_rset);
    mp_smtp_reply_line first;
    const mp_smtp_reply_line *l = last;
    char esc[MP_SMTP_ESC_MAX + 1];
    if (c->fail_code != 0 && c->msg_accepted == 0) {
        memset(&first, 0, sizeof(first));
        first.code = c->fail_code;
        first.last = 1;
        first.esc = c->fail_esc;
        first.enhanced = mp_slice_make(esc, mp_smtp_esc_format(c->fail_esc, esc));
        first.text = mp_slice_make(c->fail_text, c->fail_len);
        l = &first;
    }
    c->env = NULL;
    if (c->quit_queued) {
        /* QUIT is on its way: no RSET, no READY; its reply closes. */
        c->phase = MP_SMTP_PH_QUIT;
        emit_simple(c, MP_SMTP_EV_MESSAGE, l, 0, (int)c->msg_accepted);
        return MP_OK;
    }
    if (rset) {
        mp_status st;
        c->phase = MP_SMTP_PH_TXN; /* not READY until RSET is answered */
        emit_simple(c, MP_SMTP_EV_MESSAGE, l, 0, (int)c->msg_accepted);
        st = mp_smtp_write_simple(&c->out, MP_SMTP_RSET);
        if (st != MP_OK)
            return mp_smtpc_must(c, st);
        mp_smtpc_push(c, K_RSET);
        return MP_OK;
    }
    c->phase = MP_SMTP_PH_READY;
    emit_simple(c, MP_SMTP_EV_MESSAGE, l, 0, (int)c->msg_accepted);
    if (c->phase == MP_SMTP_PH_READY && !c->aborted)
        ready(c, last);
    return MP_OK;
}

/* After a transaction reply: go on writing, or end when it failed and no
 * reply is outstanding. */
static mp_status progress(mp_smtp_client *c, const mp_smtp_reply_line *l)
{
    if (c->txn_failed)
        return c->qlen == c->quit_queued ? end_txn(c, l) : MP_OK;
    return fill(c);
}

static void body_ready(mp_smtp_client *c, const mp_smtp_reply_line *l)
{
    c->phase = MP_SMTP_PH_BODY;
    mp_dot_encoder_init(&c->dot,
                        (c->cfg.flags & MP_SMTP_CLIENT_NORMALIZE_LF) ? MP_DOT_ENC_NORMALIZE : 0u);
    c->bdat_cr = 0;
    emit_simple(c, MP_SMTP_EV_BODY_READY, l, 0, 0);
}

/* The reply to the end of the body: one, or (LMTP) one per recipient
 * that accepted RCPT, in RCPT order (RFC 2033 §4.2). */
static mp_status message_reply(mp_smtp_client *c, uint8_t kind, const mp_smtp_reply_line *l)
{
    mp_smtp_client_envelope *e = c->env;
    size_t i;
    if (c->cfg.flags & MP_SMTP_CLIENT_LMTP) {
        for (i = c->lmtp_cursor; i < e->nrcpts && !is2xx(e->rcpts[i].rcpt_code); i++)
            ;
        if (i < e->nrcpts) {
            e->rcpts[i].data_code = (uint16_t)l->code;
            if (is2xx(l->code))
                c->msg_accepted++;
            c->lmtp_cursor = (uint32_t)(i + 1);
            emit_simple(c, MP_SMTP_EV_RCPT_DATA, l, i, is2xx(l->code));
        }
        for (i = c->lmtp_cursor; i < e->nrcpts && !is2xx(e->rcpts[i].rcpt_code); i++)
            ;
        if (i < e->nrcpts) {
            /* More replies due: expect the next one first. */
            c->qhead = (uint8_t)((c->qhead + MP_SMTP_CLIENT_MAX_PIPELINE - 1u) %
                                 MP_SMTP_CLIENT_MAX_PIPELINE);
            c->queue[c->qhead] = kind; /* sent: no distance to keep */
            c->qlen++;
            return MP_OK;
        }
    } else {
        for (i = 0; i < e->nrcpts; i++)
            if (is2xx(e->rcpts[i].rcpt_code))
                e->rcpts[i].data_code = (uint16_t)l->code;
        c->msg_accepted = is2xx(l->code) ? c->accepted : 0;
    }
    return end_txn(c, l);
}

static mp_status txn_reply(mp_smtp_client *c, uint8_t kind, const mp_smtp_reply_line *l)
{
    mp_smtp_client_envelope *e = c->env;
    switch (kind) {
    case K_MAIL:
        if (is2xx(l->code)) {
            c->mail_ok = 1;
        } else {
            c->txn_failed = 1;
            note_failure(c, l);
        }
        emit_simple(c, MP_SMTP_EV_MAIL_RESULT, l, 0, is2xx(l->code));
        return progress(c, l);
    case K_RCPT: {
        size_t i = c->rcpt_replies++;
        if (i >= e->nrcpts)
            break;
        e->rcpts[i].rcpt_code = (uint16_t)l->code;
        if (is2xx(l->code))
            c->accepted++;
        emit_simple(c, MP_SMTP_EV_RCPT_RESULT, l, i, is2xx(l->code));
        if (c->rcpt_replies == e->nrcpts && !c->txn_failed) {
            if (c->accepted == 0) {
                c->txn_failed = 1;
            } else if (c->use_bdat) {
                body_ready(c, l);
                return MP_OK;
            }
        }
        return progress(c, l);
    }
    case K_DATA:
        if (l->code == 354) {
            if (c->accepted == 0 || c->txn_failed) {
                /* RFC 2920 §3.1 says the server refuses DATA here; one
                 * that does not gets an empty message, then RSET. */
                if (mp_outbuf_room(&c->out) < 3)
                    return mp_smtpc_must(c, MP_ERR_NO_SPACE);
                mp_outbuf_put(&c->out, ".\r\n", 3);
                mp_smtpc_push(c, K_DISCARD);
                c->txn_failed = 1;
                return MP_OK;
            }
            body_ready(c, l);
            return MP_OK;
        }
        if (mp_smtp_code_class(l->code) == 3u)
            break;
        c->txn_failed = 1;
        note_failure(c, l);
        return progress(c, l);
    case K_BDAT:
        if (!is2xx(l->code)) {
            /* RFC 3030 §2: the rest of the message is discarded; the
             * server may hold the transaction, so RSET afterwards. */
            c->txn_failed = 1;
            c->need_rset = 1;
            note_failure(c, l);
            if (c->phase == MP_SMTP_PH_BODY)
                c->phase = MP_SMTP_PH_TXN; /* body() now says MP_ERR_STATE */
        } else if (c->phase == MP_SMTP_PH_BODY) {
            /* A chunk was taken: a host waiting on MP_PAUSED may go on. */
            emit_simple(c, MP_SMTP_EV_BODY_READY, l, 0, 0);
            return MP_OK;
        }
        return progress(c, l);
    case K_DOT:
    case K_BDAT_LAST:
        if (c->txn_failed)
            return progress(c, l);
        return message_reply(c, kind, l);
    case K_DISCARD:
        return progress(c, l);
    default:
        break;
    }
    return fail(c, MP_ERR_SMTP_UNEXPECTED_REPLY, REPLY_AT(c), MP_RULE_("RFC 5321 4.3.2"));
}

/* ----------------------------------------------------------------------- */
/* Replies                                                                 */
/* ----------------------------------------------------------------------- */

/* After EHLO/HELO: STARTTLS when the policy asks for it, else READY. */
static mp_status after_hello(mp_smtp_client *c, const mp_smtp_reply_line *l)
{
    if (!c->secure && (c->cfg.tls == MP_SMTP_TLS_OPPORTUNISTIC ||
                       c->cfg.tls == MP_SMTP_TLS_REQUIRED)) {
        if (c->caps.flags & MP_SMTP_CAP_STARTTLS) {
            mp_status st = mp_smtp_write_simple(&c->out, MP_SMTP_STARTTLS);
            if (st != MP_OK)
                return mp_smtpc_must(c, st);
            mp_smtpc_push(c, K_STARTTLS);
            c->phase = MP_SMTP_PH_STARTTLS;
            return MP_OK;
        }
        if (c->cfg.tls == MP_SMTP_TLS_REQUIRED)
            return fail(c, MP_ERR_TLS_REQUIRED, REPLY_AT(c), "STARTTLS not offered");
    }
    ready(c, l);
    return MP_OK;
}

static mp_status handle_reply(mp_smtp_client *c, const mp_smtp_reply_line *l)
{
    uint8_t kind;
    /* RFC 5321 §3.8: 421 may answer any command, or come unasked (an idle
     * timeout, a shutdown, in the middle of a body); the server closes. */
    if (l->code == 421 && !(head_sent(c) && MP_SMTPC_KIND(c->queue[c->qhead]) == K_QUIT)) {
        emit_simple(c, MP_SMTP_EV_CLOSED, l, 0, 0);
        return fail(c, MP_ERR_SMTP_CLOSING, REPLY_AT(c), MP_RULE_("RFC 5321 3.8 421"));
    }
    if (!head_sent(c)) /* feed() refused it at its first line already */
        return fail(c, MP_ERR_SMTP_UNEXPECTED_REPLY, REPLY_AT(c), "reply without command");
    kind = MP_SMTPC_KIND(c->queue[c->qhead]);
    c->qhead = (uint8_t)((c->qhead + 1u) % MP_SMTP_CLIENT_MAX_PIPELINE);
    c->qlen--;

    switch (kind) {
    case K_GREETING:
        if (l->code == 220) {
            emit_simple(c, MP_SMTP_EV_GREETING, l, 0, 1);
            return send_hello(c, (c->cfg.flags & MP_SMTP_CLIENT_LMTP) ? MP_SMTP_LHLO
                                                                       : MP_SMTP_EHLO);
        }
        if (l->code >= 400) {
            /* RFC 5321 §3.1: 554 (servers also send other 4xx/5xx codes)
             * means no service; QUIT is queued for the host to send. */
            mp_status st = fail(c, MP_ERR_SMTP_GREETING_REFUSED, REPLY_AT(c),
                                MP_RULE_("RFC 5321 3.1 greeting"));
            (void)quit_dead(c);
            return st;
        }
        break;
    case K_EHLO:
        if (l->code == 250)
            return after_hello(c, l);
        /* RFC 5321 §3.2: fall back to HELO when EHLO is not known. */
        if ((l->code == 500 || l->code == 502) && !(c->cfg.flags & MP_SMTP_CLIENT_LMTP)) {
            c->helo_fallback = 1;
            return send_hello(c, MP_SMTP_HELO);
        }
        return fail(c, MP_ERR_SMTP_HELLO_REJECTED, REPLY_AT(c), MP_RULE_("RFC 5321 4.1.1.1"));
    case K_HELO:
        if (l->code == 250)
            return after_hello(c, l);
        return fail(c, MP_ERR_SMTP_HELLO_REJECTED, REPLY_AT(c), MP_RULE_("RFC 5321 4.1.1.1"));
    case K_STARTTLS:
        if (l->code == 220) {
            c->phase = MP_SMTP_PH_TLS_SWITCH;
            return MP_TRANSPORT_SWITCH;
        }
        if (c->cfg.tls == MP_SMTP_TLS_REQUIRED)
            return fail(c, MP_ERR_TLS_REQUIRED, REPLY_AT(c), "STARTTLS refused");
        ready(c, l);
        return MP_OK;
    case K_AUTH:
        if (l->code == 334)
            return MP_DONE; /* the caller hands the challenge to the hook */
        if (l->code == 235) {
            /* The exchange's own verdict (RFC 5802 §5: a SCRAM success
             * without a verified server signature is an impostor). */
            mp_status fs = c->auth_hook(c, l);
            if (fs != MP_OK) {
                c->auth_hook = NULL;
                emit_simple(c, MP_SMTP_EV_AUTH_RESULT, l, 0, 0);
                return fail(c, fs, REPLY_AT(c), MP_RULE_("RFC 5802 5 server proof"));
            }
            c->authenticated = 1;
        }
        c->auth_hook = NULL;
        c->sasl = NULL;
        c->phase = MP_SMTP_PH_READY;
        emit_simple(c, MP_SMTP_EV_AUTH_RESULT, l, 0, l->code == 235);
        if (c->phase == MP_SMTP_PH_READY && !c->aborted)
            ready(c, l);
        return MP_OK;
    case K_RSET:
        if (c->phase == MP_SMTP_PH_TXN || c->phase == MP_SMTP_PH_READY)
            ready(c, l);
        return MP_OK;
    case K_QUIT:
        c->phase = MP_SMTP_PH_CLOSED;
        emit_simple(c, MP_SMTP_EV_CLOSED, l, 0, l->code == 221);
        return MP_CLOSED;
    default:
        if (c->env != NULL)
            return txn_reply(c, kind, l);
        break;
    }
    return fail(c, MP_ERR_SMTP_UNEXPECTED_REPLY, REPLY_AT(c), MP_RULE_("RFC 5321 4.3.2"));
}

mp_status mp_smtp_client_feed(mp_smtp_client *c, const char *in, size_t len, size_t *used)
{
    size_t off = 0;
    *used = 0;
    if (c->phase == MP_SMTP_PH_FAILED)
        return c->err.code;
    if (c->phase == MP_SMTP_PH_CLOSED)
        return MP_CLOSED;
    if (in == NULL && len != 0)
        return MP_ERR_ARG;
    if (c->phase == MP_SMTP_PH_TLS_SWITCH && len > 0)
        return fail(c, MP_ERR_TLS_INJECTION, c->pos, MP_RULE_("RFC 3207 4.2 bytes before TLS"));

    while (off < len) {
        mp_smtp_reply_line l;
        mp_smtp_client_event ev;
        size_t u = 0;
        mp_status st;
        /* The first byte of a reply: is its command wholly sent by now?
         * (A reply already received when output_done() took the last
         * byte of the command was sent before the server could read it.) */
        if (!mp_smtp_reply_parser_busy(&c->rp))
            c->early = !head_sent(c);
        st = mp_smtp_reply_parser_next(&c->rp, in + off, len - off, &u, &l);
        off += u;
        c->pos += u;
        *used = off;
        if (st == MP_NEED_MORE)
            break;
        if (st != MP_OK)
            return fail(c, st, c->rp.err.offset, c->rp.err.rule);

        memset(&ev, 0, sizeof(ev));
        ev.type = MP_SMTP_EV_REPLY_LINE;
        ev.reply = &l;
        mp_smtpc_emit(c, &ev);
        /* docs/architecture.md §3; only a 421 may come unasked (RFC 5321
         * §3.8), handled with the reply's last line. */
        if (l.line_no == 0 && c->early && l.code != 421)
            return fail(c, MP_ERR_SMTP_UNEXPECTED_REPLY, REPLY_AT(c),
                        c->qlen == 0 ? "reply without command"
                                     : "reply before its command was sent");
        /* EHLO keyword lines: every line after the first (RFC 5321 §4.1.1.1). */
        if (c->phase == MP_SMTP_PH_HELLO && head_sent(c) &&
            MP_SMTPC_KIND(c->queue[c->qhead]) == K_EHLO && l.code == 250 && l.line_no > 0 &&
            !c->aborted) {
            mp_slice kw = l.enhanced.len > 0
                              ? mp_slice_make(l.enhanced.ptr,
                                              (size_t)(l.text.ptr + l.text.len - l.enhanced.ptr))
                              : l.text;
            uint32_t bit = 0;
            if (mp_smtp_caps_parse_line(&c->caps, kw, &bit) == MP_OK) {
                memset(&ev, 0, sizeof(ev));
                ev.type = MP_SMTP_EV_EXTENSION;
                ev.reply = &l;
                ev.text = kw;
                ev.cap_bit = bit;
                mp_smtpc_emit(c, &ev);
            }
        }
        if (c->aborted)
            return fail(c, MP_ERR_ABORTED, REPLY_AT(c), "callback");
        if (!l.last)
            continue;

        st = handle_reply(c, &l);
        if (st == MP_DONE)
            st = c->auth_hook(c, &l);
        if (c->aborted && c->phase != MP_SMTP_PH_FAILED)
            return fail(c, MP_ERR_ABORTED, REPLY_AT(c), "callback");
        if (st == MP_TRANSPORT_SWITCH) {
            /* docs/security.md: nothing after the go-ahead is ever parsed. */
            if (off < len)
                return fail(c, MP_ERR_TLS_INJECTION, c->pos,
                            MP_RULE_("RFC 3207 4.2 bytes after 220"));
            return st;
        }
        if (st != MP_OK)
            return st;
        if (c->paused) {
            c->paused = 0;
            return MP_PAUSED;
        }
    }
    return MP_NEED_MORE;
}

/* ----------------------------------------------------------------------- */
/* Host calls                                                              */
/* ----------------------------------------------------------------------- */

mp_status mp_smtp_client_init(mp_smtp_client *c, const mp_smtp_client_config *cfg,
                              const mp_smtp_client_callbacks *cb, void *user, char *out,
                              size_t cap)
{
    mp_status st;
    if (c == NULL || cfg == NULL || cb == NULL || cb->on_event == NULL || out == NULL ||
        cap < MP_SMTP_MAX_COMMAND_LINE || (unsigned)cfg->tls > MP_SMTP_TLS_IMPLICIT)
        return MP_ERR_ARG;
    memset(c, 0, sizeof(*c));
    st = mp_smtp_reply_parser_init(&c->rp, c->line, sizeof(c->line),
                                   MP_SMTP_CLIENT_MAX_REPLY_LINE, cfg->max_reply_lines,
                                   (cfg->flags & MP_SMTP_CLIENT_REPLY_ALLOW_LF)
                                       ? MP_SMTP_REPLY_ALLOW_LF
                                       : 0u);
    if (st != MP_OK)
        return st;
    mp_outbuf_init(&c->out, out, cap);
    /* Check the hello name now rather than after the greeting. */
    st = mp_smtp_write_hello(&c->out, MP_SMTP_EHLO, cfg->helo_name);
    mp_outbuf_rollback(&c->out, 0);
    if (st != MP_OK)
        return st == MP_ERR_TOKEN_TOO_LONG ? st : MP_ERR_BAD_VALUE;
    c->cb = cb;
    c->user = user;
    c->cfg = *cfg;
    c->secure = cfg->tls == MP_SMTP_TLS_IMPLICIT;
    c->phase = MP_SMTP_PH_GREETING;
    mp_smtpc_push(c, K_GREETING);
    return MP_OK;
}

const char *mp_smtp_client_output(const mp_smtp_client *c, size_t *len)
{
    *len = c->out.len;
    return c->out.buf;
}

mp_status mp_smtp_client_output_done(mp_smtp_client *c, size_t n)
{
    if (n > c->out.len)
        return MP_ERR_ARG;
    mp_outbuf_consume(&c->out, n);
    taken(c, n);
    if (c->phase == MP_SMTP_PH_TXN)
        return fill(c);
    return MP_OK;
}

mp_status mp_smtp_client_tls_started(mp_smtp_client *c)
{
    if (c->phase != MP_SMTP_PH_TLS_SWITCH)
        return MP_ERR_STATE;
    c->secure = 1;
    c->helo_fallback = 0;
    mp_line_framer_reset(&c->rp.framer);
    return send_hello(c, (c->cfg.flags & MP_SMTP_CLIENT_LMTP) ? MP_SMTP_LHLO : MP_SMTP_EHLO);
}

const mp_smtp_caps *mp_smtp_client_caps(const mp_smtp_client *c) { return &c->caps; }

const mp_error *mp_smtp_client_error(const mp_smtp_client *c) { return &c->err; }

mp_smtp_client_phase mp_smtp_client_phase_of(const mp_smtp_client *c)
{
    return (mp_smtp_client_phase)c->phase;
}

mp_status mp_smtp_client_send(mp_smtp_client *c, mp_smtp_client_envelope *e)
{
    mp_outbuf dry;
    mp_smtp_mail_params mp;
    mp_smtp_rcpt_params rp;
    mp_status st;
    size_t i;
    uint32_t f = c->caps.flags;

    if (c->phase != MP_SMTP_PH_READY)
        return MP_ERR_STATE;
    if (e == NULL || e->rcpts == NULL || e->nrcpts == 0 || e->nrcpts > MP_SMTP_MAX_RCPTS ||
        (unsigned)e->body > MP_SMTP_BODY_BINARYMIME || (unsigned)e->ret > MP_SMTP_RET_HDRS)
        return MP_ERR_ARG;
    if ((e->smtputf8 && !(f & MP_SMTP_CAP_SMTPUTF8)) ||
        (e->body == MP_SMTP_BODY_8BITMIME && !(f & MP_SMTP_CAP_8BITMIME)) ||
        (e->body == MP_SMTP_BODY_BINARYMIME &&
         (!(f & MP_SMTP_CAP_BINARYMIME) || !(f & MP_SMTP_CAP_CHUNKING) ||
          (c->cfg.flags & MP_SMTP_CLIENT_NO_CHUNKING))))
        return MP_ERR_UNSUPPORTED;
    if ((f & MP_SMTP_CAP_SIZE) && c->caps.size > 0 && e->size > c->caps.size)
        return MP_ERR_SMTP_SIZE_EXCEEDED;
    /* RFC 8689 §4.1: REQUIRETLS only over TLS, to a server offering it. */
    if (e->requiretls && !c->secure)
        return MP_ERR_TLS_REQUIRED;
    if (e->requiretls && !(f & MP_SMTP_CAP_REQUIRETLS))
        return MP_ERR_UNSUPPORTED;

    /* Check every command before writing any: a dry run into an empty
     * buffer ends in MP_ERR_NO_SPACE exactly when the values are good. */
    c->env = e;
    mp_outbuf_init(&dry, NULL, 0);
    mail_params(c, e, &mp);
    st = mp_smtp_write_mail(&dry, e->from, &mp);
    for (i = 0; i < e->nrcpts && st == MP_ERR_NO_SPACE; i++) {
        rcpt_params(c, &e->rcpts[i], &rp);
        st = mp_smtp_write_rcpt(&dry, e->rcpts[i].address, &rp);
    }
    if (st != MP_ERR_NO_SPACE) {
        c->env = NULL;
        return st;
    }
    for (i = 0; i < e->nrcpts; i++)
        e->rcpts[i].rcpt_code = e->rcpts[i].data_code = 0;
    c->next_rcpt = c->rcpt_replies = c->accepted = c->msg_accepted = c->lmtp_cursor = 0;
    c->mail_written = c->mail_ok = c->txn_failed = c->data_written = c->body_ended = 0;
    c->need_rset = 0;
    c->fail_code = 0;
    c->quit_queued = 0;
    c->use_bdat = (f & MP_SMTP_CAP_CHUNKING) && !(c->cfg.flags & MP_SMTP_CLIENT_NO_CHUNKING);
    c->phase = MP_SMTP_PH_TXN;
    return fill(c);
}

mp_status mp_smtp_client_rset(mp_smtp_client *c)
{
    mp_status st;
    if (c->phase != MP_SMTP_PH_READY)
        return MP_ERR_STATE;
    st = mp_smtp_write_simple(&c->out, MP_SMTP_RSET);
    if (st != MP_OK)
        return st;
    mp_smtpc_push(c, K_RSET);
    c->phase = MP_SMTP_PH_TXN;
    return MP_OK;
}

/* After a failure only QUIT goes out (RFC 5321 §4.1.1.10), once: the
 * commands still unsent are dropped, except the remainder of one the host
 * has begun to send (a cut line would swallow QUIT) and the end of a DATA
 * body (the server reads message text until it).  Inside a DATA body no
 * QUIT can be said at all. */
static mp_status quit_dead(mp_smtp_client *c)
{
    mp_status st;
    if (c->dead_in_data)
        return MP_ERR_STATE;
    if (c->quit_written)
        return MP_OK;
    if (c->nunsent > 0) {
        uint8_t first = MP_SMTPC_KIND(c->queue[qindex(c, (unsigned)(c->qlen - c->nunsent))]);
        mp_outbuf_rollback(&c->out, c->head_started || first == K_DOT ? c->unsent_head : 0);
        c->nunsent = 0;
    }
    st = mp_smtp_write_simple(&c->out, MP_SMTP_QUIT);
    if (st == MP_OK)
        c->quit_written = 1;
    return st;
}

mp_status mp_smtp_client_quit(mp_smtp_client *c)
{
    mp_status st;
    if (c->phase == MP_SMTP_PH_FAILED)
        return quit_dead(c);
    if (c->phase != MP_SMTP_PH_READY)
        return MP_ERR_STATE;
    st = mp_smtp_write_simple(&c->out, MP_SMTP_QUIT);
    if (st != MP_OK)
        return st;
    mp_smtpc_push(c, K_QUIT);
    c->phase = MP_SMTP_PH_QUIT;
    return MP_OK;
}
