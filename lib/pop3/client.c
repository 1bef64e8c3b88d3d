/* POP3 client session (RFC 1939, RFC 2449, RFC 2595, RFC 5034): a
 * sans-I/O engine (docs/architecture.md).  Every command goes into a small
 * queue; the answers come in the same order (RFC 2449 §6.6 keeps it under
 * PIPELINING too), so the oldest queued command says what the next answer
 * is: single-line or multi-line, a listing or content.  An answer counts
 * only for a command the host has wholly sent: the queue also knows where
 * each written command ends in the output stream. */
#include <string.h>

#include "client_internal.h"

unsigned mp_pop3c_at(const mp_pop3_client *c, unsigned i)
{
    return (c->qhead + i) % MP_POP3_CLIENT_MAX_PIPELINE;
}

mp_status mp_pop3c_fail(mp_pop3_client *c, mp_status code, uint64_t offset, const char *rule)
{
    if (c->phase != MP_POP3_PH_FAILED) {
        c->phase = MP_POP3_PH_FAILED;
        mp_error_set(&c->err, code, offset, rule);
    }
    return c->err.code;
}

mp_status mp_pop3c_must(mp_pop3_client *c, mp_status st)
{
    if (st != MP_OK)
        return mp_pop3c_fail(c, st, c->pos, "output buffer full");
    return MP_OK;
}

void mp_pop3c_emit(mp_pop3_client *c, mp_pop3_client_ev type, mp_pop3_verb verb, uint32_t msgno,
                   const mp_pop3_resp_event *resp)
{
    mp_pop3_client_event ev;
    int r;
    ev.type = type;
    ev.verb = verb;
    ev.msgno = msgno;
    ev.resp = resp;
    r = c->cb->on_event(c->user, &ev);
    if (r == MP_POP3_CB_PAUSE)
        c->paused = 1;
    else if (r != MP_POP3_CB_CONTINUE)
        c->aborted = 1;
}

/* Where the output written so far ends in the output stream. */
static uint32_t out_end(const mp_pop3_client *c)
{
    return c->sent + (uint32_t)c->out.len;
}

void mp_pop3c_push(mp_pop3_client *c, mp_pop3_verb verb)
{
    unsigned i = mp_pop3c_at(c, c->qlen);
    c->q_verb[i] = (uint8_t)verb;
    c->q_msgno[i] = 0;
    c->q_aux[i] = out_end(c);
    c->qlen++;
    c->nwritten++;
}

void mp_pop3c_pop(mp_pop3_client *c)
{
    c->qhead = (uint8_t)mp_pop3c_at(c, 1);
    c->qlen--;
    c->nwritten--;
}

/* The oldest command is written and every byte of it was sent: its
 * answer may come.  `sent` and the ends count modulo 2^32; an unsent end
 * lies at most the output buffer ahead of `sent`. */
static int head_sent(const mp_pop3_client *c)
{
    return c->nwritten > 0 && c->sent - c->q_aux[c->qhead] < 0x80000000u;
}

static int pipelining(const mp_pop3_client *c)
{
    return (c->rp.caps.flags & MP_POP3_CAP_PIPELINING) &&
           !(c->cfg->flags & MP_POP3_CLIENT_NO_PIPELINING);
}

/* One queued command of the host, whole or nothing. */
static mp_status write_cmd(mp_outbuf *ob, mp_pop3_verb verb, uint32_t msgno, uint32_t aux)
{
    if (verb == MP_POP3_TOP)
        return mp_pop3_write_top(ob, msgno, aux);
    if (msgno != 0)
        return mp_pop3_write_msg(ob, verb, msgno);
    return mp_pop3_write_simple(ob, verb);
}

/* Write the queued commands that may go now: all of them under
 * PIPELINING (as many as the output holds), else one when nothing is
 * awaited. */
static mp_status fill(mp_pop3_client *c)
{
    while (c->nwritten < c->qlen) {
        unsigned i = mp_pop3c_at(c, c->nwritten);
        mp_status st;
        if (c->nwritten > 0 && !pipelining(c))
            break;
        st = write_cmd(&c->out, (mp_pop3_verb)c->q_verb[i], c->q_msgno[i], c->q_aux[i]);
        if (st == MP_ERR_NO_SPACE && c->out.len > 0)
            break; /* output_done() comes back here */
        if (st != MP_OK)
            return mp_pop3c_fail(c, st, c->pos, "command write");
        c->q_aux[i] = out_end(c);
        c->nwritten++;
    }
    return MP_OK;
}

mp_status mp_pop3c_enqueue(mp_pop3_client *c, mp_pop3_verb verb, uint32_t msgno, uint32_t aux)
{
    unsigned i;
    if (c->qlen >= MP_POP3_CLIENT_MAX_PIPELINE)
        return MP_PAUSED;
    i = mp_pop3c_at(c, c->qlen);
    c->q_verb[i] = (uint8_t)verb;
    c->q_msgno[i] = msgno;
    c->q_aux[i] = aux;
    c->qlen++;
    return fill(c);
}

/* Nothing queued and the host has the word: READY. */
static mp_status after_answer(mp_pop3_client *c)
{
    mp_status st = fill(c);
    if (st != MP_OK)
        return st;
    if (c->qlen == 0 && !c->aborted &&
        (c->phase == MP_POP3_PH_AUTHORIZATION || c->phase == MP_POP3_PH_TRANSACTION))
        mp_pop3c_emit(c, MP_POP3_CEV_READY, MP_POP3_NONE, 0, NULL);
    return MP_OK;
}

static mp_status authorization(mp_pop3_client *c)
{
    c->phase = MP_POP3_PH_AUTHORIZATION;
    return after_answer(c);
}

/* The first -ERR of the session (mp_pop3_client_first_failure). */
static void note_failure(mp_pop3_client *c, uint8_t kind, mp_pop3_verb verb, uint32_t msgno,
                         const mp_pop3_resp_event *ev)
{
    if (c->fail_kind != MP_POP3C_FAIL_NONE)
        return;
    c->fail_kind = kind;
    c->fail_verb = (uint8_t)verb;
    c->fail_msgno = msgno;
    c->fail_code = (uint8_t)ev->code;
    c->fail_offset = ev->offset;
}

int mp_pop3c_cleartext_ok(const mp_pop3_client *c)
{
    return c->secure || (c->cfg->flags & MP_POP3_CLIENT_CLEARTEXT_OK);
}

mp_status mp_pop3c_can_login(const mp_pop3_client *c)
{
    return c->phase == MP_POP3_PH_AUTHORIZATION && c->qlen == 0 ? MP_OK : MP_ERR_STATE;
}

mp_status mp_pop3c_login_result(mp_pop3_client *c, mp_pop3_verb verb,
                                const mp_pop3_resp_event *ev)
{
    mp_pop3c_pop(c);
    c->login_pass = mp_slice_make(NULL, 0);
    if (ev->ok) {
        c->phase = MP_POP3_PH_TRANSACTION;
    } else {
        note_failure(c, MP_POP3C_FAIL_LOGIN, verb, 0, ev);
        c->phase = MP_POP3_PH_AUTHORIZATION;
    }
    mp_pop3c_emit(c, MP_POP3_CEV_LOGIN, verb, 0, ev);
    return after_answer(c);
}

/* ----------------------------------------------------------------------- */
/* Before login: greeting, CAPA, STLS                                      */
/* ----------------------------------------------------------------------- */

/* A command of the session's own, CAPA (a full session: the readers are
 * installed) or STLS, and the phase that awaits its answer. */
static mp_status send_own(mp_pop3_client *c, mp_pop3_verb verb, mp_pop3_client_phase phase)
{
    mp_status st = mp_pop3_write_simple(&c->out, verb);
    if (st != MP_OK)
        return mp_pop3c_must(c, st);
    mp_pop3c_push(c, verb);
    c->phase = (uint8_t)phase;
    return MP_OK;
}

/* After the greeting (lean) or the session's CAPA: STLS when the policy
 * asks for it (RFC 2595 §4), else log in. */
static mp_status tls_or_login(mp_pop3_client *c)
{
    mp_pop3_client_tls tls = c->cfg->tls;
    if (!c->secure && (tls == MP_POP3_TLS_REQUIRED || tls == MP_POP3_TLS_OPPORTUNISTIC)) {
        /* A server that answered CAPA said whether it has STLS; one that
         * did not (RFC 1939 only, or a lean session) is asked. */
        if (!c->capa_ok || (c->rp.caps.flags & MP_POP3_CAP_STLS))
            return send_own(c, MP_POP3_STLS, MP_POP3_PH_STLS);
        if (tls == MP_POP3_TLS_REQUIRED)
            return mp_pop3c_fail(c, MP_ERR_TLS_REQUIRED, c->pos,
                                 MP_RULE_("RFC 2595 4 STLS not offered"));
    }
    return authorization(c);
}

static mp_status greeting(mp_pop3_client *c, const mp_pop3_resp_event *ev)
{
    const mp_pop3_client_config *cfg = c->cfg;
    mp_pop3c_pop(c);
    if (!ev->ok) {
        /* Not RFC 1939 (the greeting is +OK), but servers say -ERR
         * [IN-USE] or [SYS/TEMP] and close. */
        note_failure(c, MP_POP3C_FAIL_GREETING, MP_POP3_NONE, 0, ev);
        return mp_pop3c_fail(c, MP_ERR_POP3_GREETING_REFUSED, ev->offset,
                             MP_RULE_("RFC 1939 4 greeting"));
    }
    /* RFC 1939 §7: APOP needs the timestamp; the text is kept whole and
     * searched only by mp_pop3_client_apop(). */
    if (cfg->auth_buf != NULL && cfg->auth_cap >= MP_POP3_CLIENT_APOP_BUF &&
        ev->text.len <= MP_POP3_CLIENT_APOP_BUF) {
        memcpy(cfg->auth_buf, ev->text.ptr, ev->text.len);
        c->greeting_len = (uint16_t)ev->text.len;
    }
    mp_pop3c_emit(c, MP_POP3_CEV_GREETING, MP_POP3_NONE, 0, ev);
    if (c->auto_capa)
        return send_own(c, MP_POP3_CAPA, MP_POP3_PH_CAPA);
    return tls_or_login(c);
}

/* The first line of an answer: to what it answers, and what comes next. */
static mp_status on_status(mp_pop3_client *c, const mp_pop3_resp_event *ev)
{
    unsigned h = c->qhead;
    mp_pop3_verb verb = (mp_pop3_verb)c->q_verb[h];
    uint32_t msgno = c->q_msgno[h];
    mp_status st;

    switch (verb) {
    case MP_POP3_NONE:
        return greeting(c, ev);
    case MP_POP3_STLS:
        mp_pop3c_pop(c);
        if (ev->ok) {
            c->phase = MP_POP3_PH_TLS_SWITCH;
            return MP_TRANSPORT_SWITCH;
        }
        if (c->cfg->tls == MP_POP3_TLS_REQUIRED)
            return mp_pop3c_fail(c, MP_ERR_TLS_REQUIRED, ev->offset,
                                 MP_RULE_("RFC 2595 4 STLS refused"));
        return authorization(c);
    case MP_POP3_USER:
        if (!ev->ok)
            return mp_pop3c_login_result(c, verb, ev);
        /* RFC 1939 §7: PASS only after USER was accepted. */
        mp_pop3c_pop(c);
        st = mp_pop3_write_cred_ascii_(&c->out, MP_POP3_PASS, c->login_pass, &c->cfg->limits);
        c->login_pass = mp_slice_make(NULL, 0);
        if (st != MP_OK)
            return mp_pop3c_must(c, st);
        mp_pop3c_push(c, MP_POP3_PASS);
        return MP_OK;
    case MP_POP3_PASS:
    case MP_POP3_APOP:
        return mp_pop3c_login_result(c, verb, ev);
    case MP_POP3_AUTH:
        return c->auth_answer(c, ev);
    case MP_POP3_QUIT:
        mp_pop3c_pop(c);
        c->phase = MP_POP3_PH_CLOSED;
        mp_pop3c_emit(c, MP_POP3_CEV_CLOSED, verb, 0, ev);
        return MP_CLOSED;
    default:
        break;
    }
    if (verb == MP_POP3_CAPA) {
        c->capa_ok = (uint8_t)ev->ok;
        if (!ev->ok)
            mp_pop3_caps_init(&c->rp.caps); /* RFC 2449 §5: no CAPA, no extensions */
        if (c->phase == MP_POP3_PH_CAPA) {
            if (ev->ok)
                return MP_OK; /* the lines, then END */
            mp_pop3c_pop(c);
            return c->secure ? authorization(c) : tls_or_login(c);
        }
    }
    /* LIST n and UIDL n name their message (RFC 1939 §5, §7). */
    if (ev->ok && msgno != 0 && (verb == MP_POP3_LIST || verb == MP_POP3_UIDL) &&
        ev->msgno != msgno)
        return mp_pop3c_fail(c, MP_ERR_POP3_MISMATCH, ev->offset,
                             MP_RULE_("RFC 1939 5 scan listing"));
    if (!ev->ok)
        note_failure(c, MP_POP3C_FAIL_CMD, verb, msgno, ev);
    /* A single-line answer ends the command before the host hears of
     * it (its callback may queue the next one in its place). */
    if (!ev->multiline)
        mp_pop3c_pop(c);
    mp_pop3c_emit(c, MP_POP3_CEV_RESPONSE, verb, msgno, ev);
    return ev->multiline ? MP_OK : after_answer(c);
}

/* The host's event of a line inside a body (pop3.h mp_pop3_ev order from
 * MP_POP3_EV_LIST_ENTRY); 0: none (LINE: no command of the session has
 * such a body). */
static const uint8_t body_events[] = { MP_POP3_CEV_LIST, MP_POP3_CEV_UIDL, MP_POP3_CEV_CAPA, 0,
                                       MP_POP3_CEV_CONTENT };

static mp_status on_event(mp_pop3_client *c, const mp_pop3_resp_event *ev)
{
    unsigned h = c->qhead;
    mp_pop3_verb verb = (mp_pop3_verb)c->q_verb[h];
    uint32_t msgno = c->q_msgno[h];

    switch (ev->type) {
    case MP_POP3_EV_STATUS:
        return on_status(c, ev);
    case MP_POP3_EV_CONTINUE: /* only under EXPECT_AUTH */
        return c->auth_answer(c, ev);
    case MP_POP3_EV_END:
        mp_pop3c_pop(c);
        if (verb == MP_POP3_CAPA && c->phase == MP_POP3_PH_CAPA)
            return c->secure ? authorization(c) : tls_or_login(c);
        mp_pop3c_emit(c, MP_POP3_CEV_END, verb, msgno, ev);
        return after_answer(c);
    default:
        break;
    }
    if ((unsigned)ev->type - MP_POP3_EV_LIST_ENTRY < sizeof(body_events) &&
        body_events[ev->type - MP_POP3_EV_LIST_ENTRY] != 0)
        mp_pop3c_emit(c, (mp_pop3_client_ev)body_events[ev->type - MP_POP3_EV_LIST_ENTRY], verb,
                      msgno, ev);
    return MP_OK;
}

/* What the oldest command awaits, if it was wholly sent. */
static mp_pop3_expect awaited(const mp_pop3_client *c)
{
    mp_pop3_verb verb;
    if (!head_sent(c))
        return MP_POP3_EXPECT_NONE;
    verb = (mp_pop3_verb)c->q_verb[c->qhead];
    if (verb == MP_POP3_NONE)
        return MP_POP3_EXPECT_GREETING;
    return mp_pop3_expect_of(verb, c->q_msgno[c->qhead] != 0 || verb == MP_POP3_AUTH);
}

mp_status mp_pop3_client_feed(mp_pop3_client *c, const char *in, size_t len, size_t *used)
{
    size_t off = 0;
    *used = 0;
    if (c->phase == MP_POP3_PH_FAILED)
        return c->err.code;
    if (c->phase == MP_POP3_PH_CLOSED)
        return MP_CLOSED;
    if (in == NULL && len != 0)
        return MP_ERR_ARG;
    if (c->phase == MP_POP3_PH_TLS_SWITCH && len > 0)
        return mp_pop3c_fail(c, MP_ERR_TLS_INJECTION, c->pos,
                             MP_RULE_("RFC 2595 4 bytes before TLS"));

    while (off < len) {
        mp_pop3_resp_event ev;
        size_t u = 0;
        mp_status st;
        /* The first byte of an answer: is its command wholly sent?
         * (docs/architecture.md: a server cannot answer what it has not
         * read.) */
        if (!mp_pop3_resp_busy(&c->rp))
            (void)mp_pop3_resp_expect(&c->rp, awaited(c));
        st = mp_pop3_resp_next(&c->rp, in + off, len - off, &u, &ev);
        off += u;
        c->pos += u;
        *used = off;
        if (st == MP_NEED_MORE)
            break;
        if (st == MP_ERR_POP3_UNEXPECTED)
            return mp_pop3c_fail(c, st, c->pos,
                                 c->nwritten == 0 ? MP_RULE_("RFC 1939 3 response without command")
                                                  : "response before its command was sent");
        if ((st == MP_ERR_BARE_CR || st == MP_ERR_BARE_LF || st == MP_ERR_NUL) &&
            mp_pop3_resp_busy(&c->rp) &&
            mp_pop3_resp_expecting(&c->rp) == MP_POP3_EXPECT_CONTENT)
            continue; /* MP_POP3_RESP_CONTENT_STRICT: END will say it */
        if (st != MP_OK)
            return mp_pop3c_fail(c, st, c->rp.err.offset, c->rp.err.rule);
        st = on_event(c, &ev);
        if (c->aborted)
            return mp_pop3c_fail(c, MP_ERR_ABORTED, ev.offset, "callback");
        if (st == MP_TRANSPORT_SWITCH) {
            /* docs/security.md: nothing after the go-ahead is ever read. */
            if (off < len || mp_pop3_resp_pending(&c->rp) != 0)
                return mp_pop3c_fail(c, MP_ERR_TLS_INJECTION, c->pos,
                                     MP_RULE_("RFC 2595 4 bytes after +OK to STLS"));
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

/* Both inits: everything but the CAPA support. */
static mp_status setup(mp_pop3_client *c, const mp_pop3_client_config *cfg,
                       const mp_pop3_client_callbacks *cb, void *user, char *out, size_t cap)
{
    mp_pop3_resp_config rc;
    mp_status st;
    if (c == NULL || cfg == NULL || cb == NULL || cb->on_event == NULL || out == NULL ||
        cap < MP_POP3_MAX_COMMAND_LINE || (unsigned)cfg->tls > MP_POP3_TLS_IMPLICIT ||
        (cfg->auth_buf != NULL && cfg->auth_cap < MP_POP3_CLIENT_APOP_BUF))
        return MP_ERR_ARG;
    memset(c, 0, sizeof(*c));
    memset(&rc, 0, sizeof(rc));
    rc.flags = cfg->resp_flags;
    rc.max_body = cfg->max_body;
    st = mp_pop3_resp_setup_(&c->rp, c->line, sizeof(c->line), &rc);
    if (st != MP_OK)
        return st;
    mp_outbuf_init(&c->out, out, cap);
    c->cfg = cfg;
    c->cb = cb;
    c->user = user;
    c->secure = cfg->tls == MP_POP3_TLS_IMPLICIT;
    c->phase = MP_POP3_PH_GREETING;
    mp_pop3c_push(c, MP_POP3_NONE); /* the greeting, "sent" at offset 0 */
    return MP_OK;
}

mp_status mp_pop3_client_init_lean(mp_pop3_client *c, const mp_pop3_client_config *cfg,
                                   const mp_pop3_client_callbacks *cb, void *user, char *out,
                                   size_t cap)
{
    return setup(c, cfg, cb, user, out, cap);
}

mp_status mp_pop3_client_init(mp_pop3_client *c, const mp_pop3_client_config *cfg,
                              const mp_pop3_client_callbacks *cb, void *user, char *out,
                              size_t cap)
{
    mp_status st = setup(c, cfg, cb, user, out, cap);
    if (st == MP_OK) {
        c->rp.ops = &mp_pop3_resp_ops_full_;
        c->auto_capa = 1;
    }
    return st;
}

const char *mp_pop3_client_output(const mp_pop3_client *c, size_t *len)
{
    *len = c->out.len;
    return c->out.buf;
}

mp_status mp_pop3_client_output_done(mp_pop3_client *c, size_t n)
{
    unsigned i;
    if (n > c->out.len)
        return MP_ERR_ARG;
    if (n == 0)
        return MP_OK;
    mp_outbuf_consume(&c->out, n);
    c->sent += (uint32_t)n;
    /* Does the output now begin inside a command (mp_pop3_client_quit on
     * a dead session keeps the rest of that one)? */
    c->mid_command = c->out.len > 0;
    for (i = 0; i < c->nwritten; i++)
        if (c->q_aux[mp_pop3c_at(c, i)] == c->sent)
            c->mid_command = 0;
    if (c->phase == MP_POP3_PH_FAILED || c->phase == MP_POP3_PH_CLOSED)
        return MP_OK;
    return fill(c);
}

mp_status mp_pop3_client_tls_started(mp_pop3_client *c)
{
    if (c->phase != MP_POP3_PH_TLS_SWITCH)
        return MP_ERR_STATE;
    /* RFC 2595 §4: what was learnt in clear is discarded, the greeting's
     * timestamp too (docs/security.md). */
    c->secure = 1;
    c->capa_ok = 0;
    c->greeting_len = 0;
    mp_pop3_caps_init(&c->rp.caps);
    mp_line_framer_reset(&c->rp.framer);
    if (c->auto_capa)
        return send_own(c, MP_POP3_CAPA, MP_POP3_PH_CAPA);
    return authorization(c);
}

const mp_error *mp_pop3_client_error(const mp_pop3_client *c) { return &c->err; }

mp_pop3_client_failure mp_pop3_client_first_failure(const mp_pop3_client *c)
{
    static const mp_status kinds[] = { MP_OK, MP_ERR_POP3_GREETING_REFUSED,
                                       MP_ERR_POP3_LOGIN_REFUSED, MP_ERR_POP3_REFUSED };
    mp_pop3_client_failure f;
    f.status = kinds[c->fail_kind];
    f.verb = (mp_pop3_verb)c->fail_verb;
    f.msgno = c->fail_msgno;
    f.code = (mp_pop3_code)c->fail_code;
    f.offset = c->fail_offset;
    return f;
}

mp_pop3_client_phase mp_pop3_client_phase_of(const mp_pop3_client *c)
{
    return (mp_pop3_client_phase)c->phase;
}

const mp_pop3_caps *mp_pop3_client_caps(const mp_pop3_client *c) { return &c->rp.caps; }

int mp_pop3_client_secure(const mp_pop3_client *c) { return c->secure; }

int mp_pop3_client_apop_available(const mp_pop3_client *c)
{
    return c->greeting_len > 0 &&
           mp_pop3_timestamp_find_(c->cfg->auth_buf, c->greeting_len).len > 0;
}

/* After a failure only QUIT goes out (RFC 1939 §6), once, in place of the
 * commands not yet begun: the rest of one begun goes first (a cut line
 * would swallow QUIT). */
static mp_status quit_dead(mp_pop3_client *c)
{
    size_t keep = 0;
    unsigned i;
    mp_status st;
    if (c->quit_written)
        return MP_OK;
    if (c->mid_command)
        for (i = 0; i < c->nwritten && keep == 0; i++) {
            uint32_t rest = c->q_aux[mp_pop3c_at(c, i)] - c->sent;
            if (rest < 0x80000000u && rest > 0)
                keep = rest;
        }
    mp_outbuf_rollback(&c->out, keep);
    st = mp_pop3_write_simple(&c->out, MP_POP3_QUIT);
    if (st == MP_OK)
        c->quit_written = 1;
    return st;
}

mp_status mp_pop3_client_quit(mp_pop3_client *c)
{
    mp_status st;
    if (c->phase == MP_POP3_PH_FAILED)
        return quit_dead(c);
    if (c->phase != MP_POP3_PH_AUTHORIZATION && c->phase != MP_POP3_PH_TRANSACTION)
        return MP_ERR_STATE;
    st = mp_pop3c_enqueue(c, MP_POP3_QUIT, 0, 0);
    if (st == MP_OK)
        c->phase = MP_POP3_PH_QUIT;
    return st;
}
