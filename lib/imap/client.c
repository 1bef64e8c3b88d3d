/* IMAP client session (RFC 9051, RFC 3501): the engine.  Bytes from the
 * server go through the response parser; every parser event is checked
 * (tags, "+", the greeting), given to the host, and its line's end
 * completes a command, replaces the capabilities, or updates the mailbox
 * (client_mailbox.c).  Commands are written by client_cmd.c through
 * mp_imapc_issue() below, which also holds back the rest of a command
 * behind a synchronizing literal until the server's "+"
 * (docs/architecture.md, "Transport switches" and "Host decisions"). */
#include <string.h>

#include "client_internal.h"

_Static_assert(MP_IMAP_CMD_COUNT_ <= 64, "command sets are 64-bit masks");
_Static_assert(MP_IMAP_CAP_COUNT_ <= 64, "capability sets are 64-bit masks");
_Static_assert(MP_IMAP_CLIENT_MIN_OUT >= 512u, "the session's own lines fit");

#define CMD_BIT(id) ((uint64_t)1u << (unsigned)(id))

/* ----------------------------------------------------------------------- */
/* Small helpers                                                           */
/* ----------------------------------------------------------------------- */

mp_status mp_imapc_fail(mp_imap_client *c, mp_status code, uint64_t offset, const char *rule)
{
    if (c->state == MP_IMAP_ST_FAILED)
        return c->err.code;
    c->state = MP_IMAP_ST_FAILED;
    return mp_error_set(&c->err, code, offset, rule);
}

void mp_imapc_emit(mp_imap_client *c, mp_imap_client_event *ev)
{
    int r;
    if (c->state == MP_IMAP_ST_FAILED)
        return;
    r = c->cb->on_event(c->user, ev);
    if (r == MP_IMAP_CLIENT_CB_PAUSE)
        c->paused = 1;
    else if (r != MP_IMAP_CLIENT_CB_CONTINUE)
        c->aborted = 1;
}

void mp_imapc_event(const mp_imap_client *c, mp_imap_client_event *ev,
                    mp_imap_client_event_type type)
{
    memset(ev, 0, sizeof(*ev));
    ev->type = type;
    ev->cmd = c->line_tag;
    ev->cmd_id = (mp_imap_cmd_id)c->line_id;
    ev->status = (mp_imap_resp_kind)c->line_kind;
    ev->code = (mp_imap_code)c->line_code;
    ev->text = mp_slice_make(c->text, c->text_len);
}

size_t mp_imap_client_tag(uint32_t cmd, char *buf, size_t cap)
{
    char d[10];
    size_t n = 0, i;
    do {
        d[n++] = (char)('0' + cmd % 10u);
        cmd /= 10u;
    } while (cmd != 0);
    if (cap < n + 2)
        return 0;
    buf[0] = 'A';
    for (i = 0; i < n; i++)
        buf[1 + i] = d[n - 1 - i];
    buf[n + 1] = '\0';
    return n + 1;
}

/* The number of one of our tags ("A" 1*DIGIT, no leading zero), or 0. */
static uint32_t tag_number(mp_slice t)
{
    uint32_t v = 0;
    size_t i;
    if (t.len < 2 || t.len > 11 || t.ptr[0] != 'A' || t.ptr[1] == '0')
        return 0;
    for (i = 1; i < t.len; i++) {
        unsigned d = (unsigned)(unsigned char)t.ptr[i] - '0';
        if (d > 9u || v > (UINT32_MAX - d) / 10u)
            return 0;
        v = v * 10u + d;
    }
    return v;
}

mp_imap_client_cmd_ *mp_imapc_find(mp_imap_client *c, uint32_t tag)
{
    unsigned i;
    for (i = 0; i < c->nq; i++)
        if (c->q[i].tag == tag)
            return &c->q[i];
    return NULL;
}

static void remove_cmd(mp_imap_client *c, mp_imap_client_cmd_ *q)
{
    size_t i = (size_t)(q - c->q);
    memmove(&c->q[i], &c->q[i + 1], (c->nq - i - 1u) * sizeof(c->q[0]));
    c->nq--;
}

/* Has the server read command q (up to its pending "+" when `or_gate`)
 * by the time the current line began? */
static int was_sent(const mp_imap_client *c, const mp_imap_client_cmd_ *q, int or_gate)
{
    if (q->end <= c->line_sent)
        return 1;
    return or_gate && c->waiter == q->tag && c->cont_at <= c->line_sent;
}

void mp_imapc_apply_modes(mp_imap_client *c)
{
    unsigned rmode = 0, wf = 0;
    uint64_t f = c->caps.flags;
    if (c->enabled & MP_IMAP_EXT_IMAP4REV2) {
        rmode |= MP_IMAP_REV2 | MP_IMAP_UTF8;
        wf |= MP_IMAP_W_REV2;
    }
    if (c->enabled & MP_IMAP_EXT_UTF8_ACCEPT) {
        rmode |= MP_IMAP_UTF8;
        wf |= MP_IMAP_W_UTF8_ACCEPT;
    }
    if (!(c->cfg->flags & MP_IMAP_CLIENT_NO_LITERAL_PLUS)) {
        if (f & MP_IMAP_CAP_LITERAL_PLUS)
            wf |= MP_IMAP_W_LITERAL_PLUS;
        /* RFC 9051 §4.3.2: IMAP4rev2 includes LITERAL-. */
        if ((f & MP_IMAP_CAP_LITERAL_MINUS) || (c->enabled & MP_IMAP_EXT_IMAP4REV2))
            wf |= MP_IMAP_W_LITERAL_MINUS;
    }
    if (f & MP_IMAP_CAP_BINARY)
        wf |= MP_IMAP_W_BINARY;
    c->w.flags = wf;
    mp_imap_resp_set_mode(&c->rp, rmode);
}

/* ----------------------------------------------------------------------- */
/* Writing commands                                                        */
/* ----------------------------------------------------------------------- */

static int barrier_in_flight(const mp_imap_client *c)
{
    unsigned i;
    for (i = 0; i < c->nq; i++)
        if (c->q[i].flags & QF_BARRIER)
            return 1;
    return 0;
}

mp_status mp_imapc_check(const mp_imap_client *c, unsigned kind, int barrier)
{
    unsigned i;
    switch ((mp_imap_client_state)c->state) {
    case MP_IMAP_ST_NOT_AUTHENTICATED:
        if (kind == K_AUTH || kind == K_SELECTED)
            return MP_ERR_STATE;
        break;
    case MP_IMAP_ST_AUTHENTICATED:
        if (kind == K_NOT_AUTH)
            return MP_ERR_STATE;
        if (kind == K_SELECTED && c->mbox.state == MP_IMAP_MBOX_NONE) {
            /* a SELECT in flight counts: FETCH may be pipelined behind it */
            for (i = 0; i < c->nq; i++)
                if (c->q[i].id == MP_IMAP_CMD_SELECT || c->q[i].id == MP_IMAP_CMD_EXAMINE)
                    break;
            if (i == c->nq)
                return MP_ERR_STATE;
        }
        break;
    default:
        return MP_ERR_STATE;
    }
    if (c->append_open)
        return MP_ERR_STATE;
    for (i = 0; i < c->nq; i++)
        if (c->q[i].id == MP_IMAP_CMD_IDLE)
            return MP_ERR_STATE; /* only DONE may follow IDLE */
    if (c->nq >= MP_IMAP_CLIENT_MAX_INFLIGHT || c->waiter != 0 || barrier_in_flight(c))
        return MP_PAUSED;
    if ((barrier || (c->cfg->flags & MP_IMAP_CLIENT_NO_PIPELINING)) && c->nq > 0)
        return MP_PAUSED;
    if (c->next_tag == UINT32_MAX)
        return MP_ERR_STATE; /* tags are never reused */
    return MP_OK;
}

/* Does the command text p[0..n) (ending in CRLF) end with a literal
 * header?  Sets its length and whether it is synchronizing. */
static int literal_header(const char *p, size_t n, uint64_t *len, int *sync)
{
    uint64_t v = 0, mul = 1;
    size_t i;
    int plus = 0;
    if (n < 5 || p[n - 2] != '\r' || p[n - 1] != '\n' || p[n - 3] != '}')
        return 0;
    i = n - 4;
    if (p[i] == '+') {
        plus = 1;
        i--;
    }
    if (p[i] < '0' || p[i] > '9')
        return 0;
    while (i > 0 && p[i] >= '0' && p[i] <= '9') {
        if (mul > UINT64_MAX / 10u)
            return 0;
        v += (uint64_t)(p[i] - '0') * mul;
        mul *= 10u;
        i--;
    }
    if (p[i] != '{')
        return 0;
    *len = v;
    *sync = !plus;
    return 1;
}

/* The next gate of the command that ends at output offset `end`, after
 * the one at c->gate, whose literal of c->gate_lit bytes comes first:
 * skip its bytes and non-synchronizing literals up to the next line end
 * that follows a "{n}" (c->gate_lit becomes its length).  A CRLF inside a
 * command is always a literal header's or the command's end (quoted
 * strings and atoms hold none). */
static uint64_t next_gate(mp_imap_client *c, uint64_t end)
{
    const char *b = c->out.buf;
    size_t at = (size_t)(c->gate - c->sent), stop = (size_t)(end - c->sent), line;
    uint64_t n = c->gate_lit;
    int sync;
    for (;;) {
        const char *lf;
        if (n > stop - at)
            return MP_IMAPC_NONE;
        at += (size_t)n;
        line = at;
        lf = memchr(b + at, '\n', stop - at);
        if (lf == NULL)
            return MP_IMAPC_NONE;
        at = (size_t)(lf - b) + 1u;
        if (!literal_header(b + line, at - line, &n, &sync))
            return MP_IMAPC_NONE; /* the command's own end */
        if (sync) {
            c->gate_lit = n;
            return c->sent + at;
        }
    }
}

mp_status mp_imapc_issue(mp_imap_client *c, mp_imap_cmd_id id, unsigned qflags,
                         mp_imapc_write_fn fn, const void *arg, uint32_t *cmd)
{
    char tag[12];
    size_t mark = c->out.len;
    uint64_t gate = MP_IMAPC_NONE;
    mp_imap_client_cmd_ *q;
    mp_status st = MP_ERR_ARG;
    unsigned i;
    (void)mp_imap_client_tag(c->next_tag, tag, sizeof(tag));
    /* Each MP_PAUSED queued one segment ending in a sync literal: note the
     * first as the gate and write on (the writer needs no "+" to render
     * the next segment; the output is held back instead). */
    for (i = 0; i <= MP_IMAP_MAX_LITERALS + 1u; i++) {
        st = fn(&c->w, tag, arg);
        if (st != MP_PAUSED)
            break;
        if (gate == MP_IMAPC_NONE) {
            int sync;
            gate = mp_imapc_wpos(c);
            if (!literal_header(c->out.buf, c->out.len, &c->gate_lit, &sync))
                c->gate_lit = 0;
        }
        if (qflags & QF_STREAM) {
            /* APPEND: the message bytes come from the host after "+" */
            st = MP_OK;
            break;
        }
        (void)mp_imap_writer_continue(&c->w);
    }
    if (st != MP_OK) {
        mp_imap_writer_cancel(&c->w);
        mp_outbuf_rollback(&c->out, mark);
        return st == MP_PAUSED ? MP_ERR_ARG : st;
    }
    q = &c->q[c->nq++];
    q->tag = c->next_tag++;
    q->id = (uint8_t)id;
    q->flags = (uint8_t)qflags;
    q->end = mp_imapc_wpos(c);
    if (gate != MP_IMAPC_NONE) {
        c->gate = gate;
        c->waiter = q->tag;
        c->cont_at = gate;
    }
    if (id == MP_IMAP_CMD_IDLE) {
        /* RFC 2177 §3: "+" first, and the command ends with DONE. */
        c->waiter = q->tag;
        c->cont_at = q->end;
        q->end = MP_IMAPC_NONE;
    }
    if (qflags & QF_STREAM) {
        q->end = MP_IMAPC_NONE; /* until mp_imap_client_append_end() */
        c->append_open = 1;
    }
    if (cmd != NULL)
        *cmd = q->tag;
    return MP_OK;
}

static mp_status wr_capability(mp_imap_writer *w, const char *tag, const void *arg)
{
    (void)arg;
    return mp_imap_write_simple(w, tag, MP_IMAP_CMD_CAPABILITY);
}

static mp_status wr_starttls(mp_imap_writer *w, const char *tag, const void *arg)
{
    (void)arg;
    return mp_imap_write_simple(w, tag, MP_IMAP_CMD_STARTTLS);
}

/* A command the session writes by itself, on an empty in-flight table. */
static void own_command(mp_imap_client *c, mp_imap_cmd_id id, unsigned qflags,
                        mp_imapc_write_fn fn)
{
    mp_status st = mp_imapc_issue(c, id, QF_OWN | qflags, fn, NULL, NULL);
    if (st != MP_OK)
        (void)mp_imapc_fail(c, st, c->line_at, "session command");
}

/* ----------------------------------------------------------------------- */
/* Session flow                                                            */
/* ----------------------------------------------------------------------- */

static void ready(mp_imap_client *c, mp_imap_client_state st)
{
    mp_imap_client_event ev;
    c->state = (uint8_t)st;
    mp_imapc_event(c, &ev, MP_IMAP_CLIENT_EV_READY);
    mp_imapc_emit(c, &ev);
}

/* The capabilities are known during setup: STARTTLS under the policy,
 * else READY (RFC 9051 §6.2.1). */
static void setup_caps(mp_imap_client *c)
{
    mp_imap_client_state target = (mp_imap_client_state)c->prev_state;
    if (target == MP_IMAP_ST_NOT_AUTHENTICATED && !c->secure &&
        (c->cfg->tls == MP_IMAP_TLS_OPPORTUNISTIC || c->cfg->tls == MP_IMAP_TLS_REQUIRED)) {
        if (c->caps.flags & MP_IMAP_CAP_STARTTLS) {
            own_command(c, MP_IMAP_CMD_STARTTLS, QF_BARRIER, wr_starttls);
            return;
        }
        if (c->cfg->tls == MP_IMAP_TLS_REQUIRED) {
            (void)mp_imapc_fail(c, MP_ERR_TLS_REQUIRED, c->line_at, "STARTTLS not offered");
            return;
        }
    }
    ready(c, target);
}

/* Enter setup toward `target`: CAPABILITY first unless known. */
static void setup(mp_imap_client *c, mp_imap_client_state target)
{
    c->prev_state = (uint8_t)target;
    c->state = MP_IMAP_ST_SETUP;
    if (!c->caps_known)
        own_command(c, MP_IMAP_CMD_CAPABILITY, 0, wr_capability);
    else
        setup_caps(c);
}

static void commit_caps(mp_imap_client *c)
{
    mp_imap_client_event ev;
    c->caps = c->caps_new;
    c->caps_known = 1;
    c->got_caps = 1;
    /* RFC 9051: a server offering only IMAP4rev2 speaks it from the start. */
    if ((c->caps.flags & MP_IMAP_CAP_IMAP4REV2) && !(c->caps.flags & MP_IMAP_CAP_IMAP4REV1))
        c->enabled |= MP_IMAP_EXT_IMAP4REV2;
    mp_imapc_apply_modes(c);
    mp_imapc_event(c, &ev, MP_IMAP_CLIENT_EV_CAPABILITIES);
    mp_imapc_emit(c, &ev);
}

static void greeting_end(mp_imap_client *c)
{
    mp_imap_client_event ev;
    if (c->line_kind == MP_IMAP_RESP_BYE) {
        mp_imapc_event(c, &ev, MP_IMAP_CLIENT_EV_BYE);
        mp_imapc_emit(c, &ev);
        (void)mp_imapc_fail(c, MP_ERR_IMAP_BYE, c->line_at,
                            MP_RULE_("RFC 9051 7.1.5 BYE greeting"));
        return;
    }
    mp_imapc_event(c, &ev, MP_IMAP_CLIENT_EV_GREETING);
    mp_imapc_emit(c, &ev);
    if (c->caps_pending)
        commit_caps(c);
    if (c->line_kind == MP_IMAP_RESP_PREAUTH) {
        /* docs/security.md: PREAUTH skips STARTTLS, so it is refused when
         * TLS is required and the connection is plaintext. */
        if (!c->secure && c->cfg->tls == MP_IMAP_TLS_REQUIRED) {
            (void)mp_imapc_fail(c, MP_ERR_TLS_REQUIRED, c->line_at,
                                MP_RULE_("RFC 9051 7.1.4 PREAUTH without TLS"));
            return;
        }
        setup(c, MP_IMAP_ST_AUTHENTICATED);
        return;
    }
    setup(c, MP_IMAP_ST_NOT_AUTHENTICATED);
}

/* ENABLED: which of ours came back (RFC 5161 §3.2). */
static void enabled_value(mp_imap_client *c, mp_slice v)
{
    if (mp_slice_eq_ci(v, "CONDSTORE", 9))
        c->enabled |= MP_IMAP_EXT_CONDSTORE;
    else if (mp_slice_eq_ci(v, "QRESYNC", 7))
        c->enabled |= MP_IMAP_EXT_QRESYNC | MP_IMAP_EXT_CONDSTORE; /* RFC 7162 §3.2.3 */
    else if (mp_slice_eq_ci(v, "UTF8=ACCEPT", 11))
        c->enabled |= MP_IMAP_EXT_UTF8_ACCEPT;
    else if (mp_slice_eq_ci(v, "IMAP4rev2", 9))
        c->enabled |= MP_IMAP_EXT_IMAP4REV2;
}

/* The tagged response of command `tag` ended. */
static void completion(mp_imap_client *c)
{
    mp_imap_client_cmd_ *p = mp_imapc_find(c, c->line_tag);
    mp_imap_client_cmd_ q;
    mp_imap_client_event ev;
    mp_imap_resp_kind st = (mp_imap_resp_kind)c->line_kind;
    int ok = st == MP_IMAP_RESP_OK;
    if (p == NULL)
        return;
    q = *p;
    remove_cmd(c, p);
    if (c->waiter == q.tag) {
        /* Refused instead of "+" (RFC 9051 §4.3.1): the held-back rest of
         * the command is never sent. */
        if (c->gate != MP_IMAPC_NONE && c->gate - c->sent <= c->out.len)
            c->out.len = (size_t)(c->gate - c->sent);
        c->gate = MP_IMAPC_NONE;
        c->waiter = 0;
    }
    if ((c->append_open && q.id == MP_IMAP_CMD_APPEND) || q.id == MP_IMAP_CMD_IDLE) {
        /* an APPEND refused before its end, an IDLE refused or done: the
         * writer owes nothing more */
        mp_imap_writer_cancel(&c->w);
        c->append_open = 0;
        c->idle_done = 0;
    }
    if (c->caps_pending) {
        /* RFC 9051 §6.2.1: nothing learnt before TLS counts, not even the
         * OK to STARTTLS's own code. */
        c->caps_pending = 0;
        if (q.id != MP_IMAP_CMD_STARTTLS)
            commit_caps(c);
    }
    /* What the completion changes, before the host hears of it ... */
    switch ((mp_imap_cmd_id)q.id) {
    case MP_IMAP_CMD_AUTHENTICATE:
    case MP_IMAP_CMD_LOGIN:
        if (ok && c->sasl != NULL) {
            mp_status fs = c->auth->finish(c);
            if (fs != MP_OK) {
                (void)mp_imapc_fail(c, fs, c->line_at, MP_RULE_("RFC 5802 5 server proof"));
                return;
            }
        }
        c->sasl = NULL;
        if (!ok)
            c->state = MP_IMAP_ST_NOT_AUTHENTICATED;
        break;
    case MP_IMAP_CMD_SELECT:
    case MP_IMAP_CMD_EXAMINE:
    case MP_IMAP_CMD_CLOSE:
    case MP_IMAP_CMD_UNSELECT:
        mp_imapc_mbox_done(c, &q, st);
        break;
    case MP_IMAP_CMD_STARTTLS:
        if (ok) {
            c->state = MP_IMAP_ST_TLS_SWITCH;
            c->switching = 1;
        }
        break;
    case MP_IMAP_CMD_COMPRESS:
        if (ok) {
            c->prev_state = c->state;
            c->state = MP_IMAP_ST_COMPRESS_SWITCH;
            c->switching = 1;
        }
        break;
    case MP_IMAP_CMD_LOGOUT:
        c->state = MP_IMAP_ST_CLOSED;
        c->switching = 1;
        break;
    default:
        break;
    }
    mp_imapc_event(c, &ev, MP_IMAP_CLIENT_EV_DONE);
    mp_imapc_emit(c, &ev);
    if (c->state == MP_IMAP_ST_FAILED || c->aborted)
        return;

    /* ... and what the session does next by itself. */
    switch ((mp_imap_cmd_id)q.id) {
    case MP_IMAP_CMD_CAPABILITY:
        if (!(q.flags & QF_OWN))
            break;
        if (!c->caps_known) {
            /* OK without a CAPABILITY response: nothing advertised. */
            mp_imap_caps_init(&c->caps_new);
            commit_caps(c);
        }
        if (q.flags & QF_AFTER_AUTH)
            ready(c, MP_IMAP_ST_AUTHENTICATED);
        else if (c->state == MP_IMAP_ST_SETUP)
            setup_caps(c);
        break;
    case MP_IMAP_CMD_STARTTLS:
        if (ok)
            break;
        if (c->cfg->tls == MP_IMAP_TLS_REQUIRED)
            (void)mp_imapc_fail(c, MP_ERR_TLS_REQUIRED, c->line_at, "STARTTLS refused");
        else
            ready(c, MP_IMAP_ST_NOT_AUTHENTICATED);
        break;
    case MP_IMAP_CMD_LOGIN:
    case MP_IMAP_CMD_AUTHENTICATE:
        if (!ok)
            break;
        if (c->got_caps) {
            ready(c, MP_IMAP_ST_AUTHENTICATED);
        } else {
            /* RFC 9051 §6.2.3: capabilities may change at login; ask. */
            own_command(c, MP_IMAP_CMD_CAPABILITY, QF_AFTER_AUTH, wr_capability);
        }
        break;
    default:
        break;
    }
}

/* A "+" for the waiting command. */
static void continuation(mp_imap_client *c)
{
    mp_imap_client_cmd_ *q = mp_imapc_find(c, c->waiter);
    mp_imap_client_event ev;
    if (q == NULL)
        return;
    if (q->id == MP_IMAP_CMD_AUTHENTICATE) {
        mp_imapc_event(c, &ev, MP_IMAP_CLIENT_EV_CONTINUE);
        mp_imapc_emit(c, &ev);
        if (c->state != MP_IMAP_ST_FAILED && c->auth != NULL)
            (void)c->auth->cont(c);
        return;
    }
    if (q->id == MP_IMAP_CMD_IDLE) {
        c->waiter = 0;
        mp_imapc_event(c, &ev, MP_IMAP_CLIENT_EV_CONTINUE);
        mp_imapc_emit(c, &ev);
        if (c->idle_done == 1) {
            /* DONE was asked before the server idled. */
            mp_status st = mp_imap_write_done(&c->w);
            if (st != MP_OK) {
                (void)mp_imapc_fail(c, st, c->line_at, "DONE");
                return;
            }
            c->idle_done = 2;
            q->end = mp_imapc_wpos(c);
        }
        return;
    }
    if (c->append_open && q->id == MP_IMAP_CMD_APPEND) {
        /* An APPEND message or TEXT part: the host pushes its bytes now. */
        (void)mp_imap_writer_continue(&c->w);
        c->gate = MP_IMAPC_NONE;
        c->waiter = 0;
    } else {
        /* The rest of a written command: open the gate to the next one. */
        c->gate = next_gate(c, q->end);
        if (c->gate == MP_IMAPC_NONE)
            c->waiter = 0;
        else
            c->cont_at = c->gate;
    }
    mp_imapc_event(c, &ev, MP_IMAP_CLIENT_EV_CONTINUE);
    mp_imapc_emit(c, &ev);
}

/* The first event of a line: which command it is for, and may it come? */
static void line_begin(mp_imap_client *c, const mp_imap_resp_event *ev)
{
    c->line_kind = (uint8_t)ev->resp;
    c->line_code = MP_IMAP_CODE_NONE;
    c->line_tag = 0;
    c->line_id = 0;
    c->line_at = ev->offset;
    c->line_num = 0;
    c->line_flags = 0;
    c->text_len = 0;
    c->in_code = 0;
    c->corr_tag = 0;
    c->caps_pending = 0;
    c->line_tagged = 0;
    if (c->state == MP_IMAP_ST_GREETING) {
        /* RFC 9051 §7.1: greeting = "*" SP (resp-cond-auth / resp-cond-bye) */
        if (ev->str.len > 0 || (ev->resp != MP_IMAP_RESP_OK && ev->resp != MP_IMAP_RESP_PREAUTH &&
                                ev->resp != MP_IMAP_RESP_BYE))
            (void)mp_imapc_fail(c, MP_ERR_IMAP_GREETING, ev->offset,
                                MP_RULE_("RFC 9051 7.1 greeting"));
        return;
    }
    if (ev->str.len > 0) {
        uint32_t n = tag_number(ev->str);
        mp_imap_client_cmd_ *q = n != 0 ? mp_imapc_find(c, n) : NULL;
        if (q == NULL) {
            (void)mp_imapc_fail(c, MP_ERR_IMAP_TAG_UNKNOWN, ev->offset,
                                MP_RULE_(n != 0 && n < c->next_tag
                                             ? "RFC 9051 2.2.1 command completed"
                                             : "RFC 9051 2.2.1 tag never sent"));
            return;
        }
        /* response-tagged = tag SP resp-cond-state CRLF */
        if (ev->resp != MP_IMAP_RESP_OK && ev->resp != MP_IMAP_RESP_NO &&
            ev->resp != MP_IMAP_RESP_BAD) {
            (void)mp_imapc_fail(c, MP_ERR_IMAP_RESPONSE, ev->offset,
                                MP_RULE_("RFC 9051 7.1 response-tagged"));
            return;
        }
        if (!was_sent(c, q, ev->resp != MP_IMAP_RESP_OK)) {
            (void)mp_imapc_fail(c, MP_ERR_IMAP_UNSENT, ev->offset,
                                "docs/architecture.md completion before the command was sent");
            return;
        }
        c->line_tag = n;
        c->line_id = q->id;
        c->line_tagged = 1;
        return;
    }
    if (ev->resp == MP_IMAP_RESP_CONTINUE) {
        mp_imap_client_cmd_ *q = c->waiter != 0 ? mp_imapc_find(c, c->waiter) : NULL;
        if (q == NULL) {
            (void)mp_imapc_fail(c, MP_ERR_IMAP_CONTINUE, ev->offset,
                                MP_RULE_("RFC 9051 7.5 no command waits"));
            return;
        }
        if (c->cont_at > c->line_sent) {
            (void)mp_imapc_fail(c, MP_ERR_IMAP_UNSENT, ev->offset,
                                "docs/architecture.md \"+\" before the command was sent");
            return;
        }
        c->line_tag = q->tag;
        c->line_id = q->id;
        return;
    }
    {
        /* RFC 9051 §7: which commands ask for which untagged data. */
        static const uint64_t sel = CMD_BIT(MP_IMAP_CMD_SELECT) | CMD_BIT(MP_IMAP_CMD_EXAMINE);
        static const uint64_t expunges =
            CMD_BIT(MP_IMAP_CMD_EXPUNGE) | CMD_BIT(MP_IMAP_CMD_UID_EXPUNGE) |
            CMD_BIT(MP_IMAP_CMD_MOVE) | CMD_BIT(MP_IMAP_CMD_UID_MOVE);
        uint64_t want = 0;
        unsigned i;
        switch (ev->resp) {
        case MP_IMAP_RESP_CAPABILITY: want = CMD_BIT(MP_IMAP_CMD_CAPABILITY); break;
        case MP_IMAP_RESP_ENABLED: want = CMD_BIT(MP_IMAP_CMD_ENABLE); break;
        case MP_IMAP_RESP_ID: want = CMD_BIT(MP_IMAP_CMD_ID); break;
        case MP_IMAP_RESP_LIST: want = CMD_BIT(MP_IMAP_CMD_LIST); break;
        case MP_IMAP_RESP_LSUB: want = CMD_BIT(MP_IMAP_CMD_LSUB); break;
        case MP_IMAP_RESP_STATUS:
            want = CMD_BIT(MP_IMAP_CMD_STATUS) | CMD_BIT(MP_IMAP_CMD_LIST);
            break;
        case MP_IMAP_RESP_SEARCH:
            want = CMD_BIT(MP_IMAP_CMD_SEARCH) | CMD_BIT(MP_IMAP_CMD_UID_SEARCH);
            break;
        case MP_IMAP_RESP_ESEARCH:
            want = CMD_BIT(MP_IMAP_CMD_SEARCH) | CMD_BIT(MP_IMAP_CMD_UID_SEARCH) |
                   CMD_BIT(MP_IMAP_CMD_SORT) | CMD_BIT(MP_IMAP_CMD_UID_SORT);
            break;
        case MP_IMAP_RESP_SORT:
            want = CMD_BIT(MP_IMAP_CMD_SORT) | CMD_BIT(MP_IMAP_CMD_UID_SORT);
            break;
        case MP_IMAP_RESP_THREAD:
            want = CMD_BIT(MP_IMAP_CMD_THREAD) | CMD_BIT(MP_IMAP_CMD_UID_THREAD);
            break;
        case MP_IMAP_RESP_NAMESPACE: want = CMD_BIT(MP_IMAP_CMD_NAMESPACE); break;
        case MP_IMAP_RESP_QUOTA:
            want = CMD_BIT(MP_IMAP_CMD_GETQUOTA) | CMD_BIT(MP_IMAP_CMD_GETQUOTAROOT) |
                   CMD_BIT(MP_IMAP_CMD_SETQUOTA);
            break;
        case MP_IMAP_RESP_QUOTAROOT: want = CMD_BIT(MP_IMAP_CMD_GETQUOTAROOT); break;
        case MP_IMAP_RESP_METADATA: want = CMD_BIT(MP_IMAP_CMD_GETMETADATA); break;
        case MP_IMAP_RESP_FLAGS:
        case MP_IMAP_RESP_EXISTS:
        case MP_IMAP_RESP_RECENT:
        case MP_IMAP_RESP_OK:
        case MP_IMAP_RESP_NO:
        case MP_IMAP_RESP_BAD: want = sel; break;
        case MP_IMAP_RESP_FETCH:
            want = sel | CMD_BIT(MP_IMAP_CMD_FETCH) | CMD_BIT(MP_IMAP_CMD_UID_FETCH) |
                   CMD_BIT(MP_IMAP_CMD_STORE) | CMD_BIT(MP_IMAP_CMD_UID_STORE);
            break;
        case MP_IMAP_RESP_VANISHED:
            want = sel | expunges | CMD_BIT(MP_IMAP_CMD_UID_FETCH) | CMD_BIT(MP_IMAP_CMD_CLOSE);
            break;
        case MP_IMAP_RESP_EXPUNGE: want = expunges; break;
        default: break;
        }
        for (i = 0; i < c->nq && want != 0; i++) {
            const mp_imap_client_cmd_ *q = &c->q[i];
            if ((want & CMD_BIT(q->id)) && was_sent(c, q, 1)) {
                c->line_tag = q->tag;
                c->line_id = q->id;
                break;
            }
        }
    }
    mp_imapc_mbox_begin(c, ev);
}

/* What the session itself takes from an event (before the host sees it). */
static void track(mp_imap_client *c, const mp_imap_resp_event *ev)
{
    switch (ev->type) {
    case MP_IMAP_EV_CODE:
        c->line_code = (uint8_t)ev->code;
        c->in_code = 1;
        if (ev->code == MP_IMAP_CODE_CAPABILITY)
            mp_imap_caps_init(&c->caps_new);
        mp_imapc_mbox_code(c);
        break;
    case MP_IMAP_EV_CODE_END:
        c->in_code = 0;
        if (c->line_code == MP_IMAP_CODE_CAPABILITY)
            c->caps_pending = 1;
        break;
    case MP_IMAP_EV_TEXT: {
        size_t n = ev->str.len < sizeof(c->text) ? ev->str.len : sizeof(c->text);
        memcpy(c->text, ev->str.ptr, n);
        c->text_len = (uint8_t)n;
        if (c->line_kind == MP_IMAP_RESP_CONTINUE && c->line_id == MP_IMAP_CMD_AUTHENTICATE &&
            c->auth != NULL)
            c->auth->challenge(c, ev->str);
        break;
    }
    case MP_IMAP_EV_BEGIN:
        if (ev->resp == MP_IMAP_RESP_CAPABILITY)
            mp_imap_caps_init(&c->caps_new);
        break;
    case MP_IMAP_EV_VALUE:
        if (ev->field == MP_IMAP_F_CAPABILITY) {
            if (c->line_kind == MP_IMAP_RESP_ENABLED)
                enabled_value(c, ev->str);
            else
                (void)mp_imap_caps_add(&c->caps_new, ev->str);
        } else if (ev->field == MP_IMAP_F_CORR_NAME) {
            c->corr_tag = mp_slice_eq_ci(ev->str, "TAG", 3) != 0;
        } else if (ev->field == MP_IMAP_F_CORR_VALUE && c->corr_tag) {
            /* RFC 4731 §3.1: the ESEARCH names its command. */
            mp_imap_client_cmd_ *q = mp_imapc_find(c, tag_number(ev->str));
            if (q != NULL && was_sent(c, q, 1)) {
                c->line_tag = q->tag;
                c->line_id = q->id;
            }
        } else {
            mp_imapc_mbox_event(c, ev);
        }
        break;
    default:
        mp_imapc_mbox_event(c, ev);
        break;
    }
}

static void line_end(mp_imap_client *c)
{
    if (c->state == MP_IMAP_ST_GREETING) {
        greeting_end(c);
        return;
    }
    if (c->line_kind == MP_IMAP_RESP_CONTINUE) {
        continuation(c);
        return;
    }
    if (c->line_tagged) {
        completion(c);
        return;
    }
    switch (c->line_kind) {
    case MP_IMAP_RESP_CAPABILITY:
        if (c->state != MP_IMAP_ST_TLS_SWITCH)
            commit_caps(c);
        return;
    case MP_IMAP_RESP_ENABLED: {
        mp_imap_client_event ev;
        mp_imapc_apply_modes(c);
        mp_imapc_event(c, &ev, MP_IMAP_CLIENT_EV_ENABLED);
        ev.enabled = c->enabled;
        mp_imapc_emit(c, &ev);
        return;
    }
    case MP_IMAP_RESP_BYE: {
        mp_imap_client_event ev;
        unsigned i;
        mp_imapc_event(c, &ev, MP_IMAP_CLIENT_EV_BYE);
        mp_imapc_emit(c, &ev);
        c->bye = 1;
        for (i = 0; i < c->nq; i++)
            if (c->q[i].id == MP_IMAP_CMD_LOGOUT)
                return; /* RFC 9051 6.1.3: BYE, then the tagged OK */
        (void)mp_imapc_fail(c, MP_ERR_IMAP_BYE, c->line_at, MP_RULE_("RFC 9051 7.1.5 BYE"));
        return;
    }
    default:
        if (c->caps_pending) {
            /* a CAPABILITY code in an untagged OK (RFC 9051 §7.1) */
            c->caps_pending = 0;
            if (c->state != MP_IMAP_ST_TLS_SWITCH)
                commit_caps(c);
        }
        mp_imapc_mbox_end(c);
        return;
    }
}

/* Give a parser event to the host. */
static void give(mp_imap_client *c, const mp_imap_resp_event *ev)
{
    mp_imap_client_event out;
    mp_imapc_event(c, &out, MP_IMAP_CLIENT_EV_RESPONSE);
    out.resp = ev;
    mp_imapc_emit(c, &out);
}

/* The parser's callback. */
static int on_resp(void *user, const mp_imap_resp_event *ev)
{
    mp_imap_client *c = user;
    if (ev->type == MP_IMAP_EV_BEGIN) {
        if (c->line_errors) /* the line with a skipped item never ended */
            (void)mp_imapc_fail(c, c->rp.err.code, c->rp.err.offset, c->rp.err.rule);
        else
            line_begin(c, ev);
    }
    if (c->state == MP_IMAP_ST_FAILED) {
        /* nothing more */
    } else if (ev->type == MP_IMAP_EV_ERROR) {
        give(c, ev);
        /* With MP_IMAP_Q_BAD_BODYSTRUCTURE the FETCH goes on without the
         * item; any other error is a server that breaks the grammar. */
        if (ev->err->code == MP_ERR_IMAP_BODYSTRUCTURE &&
            (c->cfg->quirks & MP_IMAP_Q_BAD_BODYSTRUCTURE) && c->state != MP_IMAP_ST_GREETING)
            c->line_errors = 1;
        else
            (void)mp_imapc_fail(c, ev->err->code, ev->err->offset, ev->err->rule);
    } else {
        track(c, ev);
        if (c->state != MP_IMAP_ST_FAILED)
            give(c, ev);
        if (c->state != MP_IMAP_ST_FAILED && ev->type == MP_IMAP_EV_VALUE &&
            ev->field == MP_IMAP_F_UID_SET && c->line_kind == MP_IMAP_RESP_VANISHED)
            mp_imapc_mbox_vanished(c, ev->str); /* its events follow the value */
        if (ev->type == MP_IMAP_EV_END && c->state != MP_IMAP_ST_FAILED && !c->aborted) {
            c->line_errors = 0;
            line_end(c);
            /* The next line begins now: what the host sent so far counts. */
            c->next_line = c->rp.lx.pos;
            c->line_sent = c->sent;
        }
    }
    if (c->aborted && c->state != MP_IMAP_ST_FAILED)
        (void)mp_imapc_fail(c, MP_ERR_ABORTED, ev->offset, "callback");
    if (c->state == MP_IMAP_ST_FAILED)
        return MP_IMAP_CB_ABORT;
    if (c->switching || c->paused)
        return MP_IMAP_CB_PAUSE;
    return MP_IMAP_CB_CONTINUE;
}

static const mp_imap_resp_callbacks resp_cb = { on_resp };

/* ----------------------------------------------------------------------- */
/* Host calls                                                              */
/* ----------------------------------------------------------------------- */

mp_status mp_imap_client_init(mp_imap_client *c, const mp_imap_client_config *cfg,
                              const mp_imap_client_callbacks *cb, void *user, char *out,
                              size_t cap)
{
    mp_imap_resp_config rc;
    mp_status st;
    if (c == NULL || cfg == NULL || cb == NULL || cb->on_event == NULL || out == NULL ||
        cap < MP_IMAP_CLIENT_MIN_OUT || cfg->buf == NULL || cfg->buf_cap < 64 ||
        (unsigned)cfg->tls > MP_IMAP_TLS_IMPLICIT ||
        (cfg->auth_buf != NULL && cfg->auth_cap < MP_IMAP_CLIENT_AUTH_BUF) ||
        (cfg->uid_map == NULL && cfg->uid_cap != 0))
        return MP_ERR_ARG;
    memset(c, 0, sizeof(*c));
    memset(&rc, 0, sizeof(rc));
    rc.quirks = cfg->quirks;
    rc.limits = cfg->limits;
    st = mp_imap_resp_init(&c->rp, cfg->buf, cfg->buf_cap, &rc, &resp_cb, c);
    if (st != MP_OK)
        return st;
    mp_outbuf_init(&c->out, out, cap);
    mp_imap_writer_init(&c->w, &c->out, 0);
    c->cfg = cfg;
    c->cb = cb;
    c->user = user;
    c->secure = cfg->tls == MP_IMAP_TLS_IMPLICIT;
    c->state = MP_IMAP_ST_GREETING;
    c->next_tag = 1;
    c->gate = MP_IMAPC_NONE;
    mp_imap_caps_init(&c->caps);
    mp_imapc_mbox_reset(c);
    mp_imapc_apply_modes(c);
    return MP_OK;
}

mp_status mp_imap_client_feed(mp_imap_client *c, const char *in, size_t len, size_t *used)
{
    size_t u = 0;
    mp_status st;
    if (used == NULL || (in == NULL && len != 0))
        return MP_ERR_ARG;
    *used = 0;
    if (c->in_feed)
        return MP_ERR_STATE;
    switch ((mp_imap_client_state)c->state) {
    case MP_IMAP_ST_FAILED:
        return c->err.code;
    case MP_IMAP_ST_CLOSED:
        return MP_CLOSED;
    case MP_IMAP_ST_COMPRESS_SWITCH:
        return MP_ERR_STATE;
    case MP_IMAP_ST_TLS_SWITCH:
        if (len == 0)
            return MP_NEED_MORE;
        return mp_imapc_fail(c, MP_ERR_TLS_INJECTION, c->pos,
                             MP_RULE_("RFC 9051 6.2.1 bytes before TLS"));
    default:
        break;
    }
    if (c->pos == c->next_line)
        c->line_sent = c->sent; /* no byte of the next line read yet */
    c->in_feed = 1;
    st = mp_imap_resp_feed(&c->rp, in, len, &u);
    c->in_feed = 0;
    c->pos += u;
    *used = u;
    if (c->state == MP_IMAP_ST_FAILED)
        return c->err.code;
    if (st == MP_PAUSED) {
        c->paused = 0;
        if (c->switching) {
            c->switching = 0;
            if (c->state == MP_IMAP_ST_TLS_SWITCH && u < len)
                /* docs/security.md: nothing after the OK to STARTTLS is
                 * ever parsed (CVE-2021-22947, CVE-2020-15953). */
                return mp_imapc_fail(c, MP_ERR_TLS_INJECTION, c->pos,
                                     MP_RULE_("RFC 9051 6.2.1 bytes after the OK to STARTTLS"));
            return c->state == MP_IMAP_ST_CLOSED ? MP_CLOSED : MP_TRANSPORT_SWITCH;
        }
        return MP_PAUSED;
    }
    if (st != MP_NEED_MORE)
        return mp_imapc_fail(c, st, c->pos, "response parser");
    return MP_NEED_MORE;
}

const char *mp_imap_client_output(const mp_imap_client *c, size_t *len)
{
    size_t n = c->out.len;
    if (c->gate != MP_IMAPC_NONE && c->gate - c->sent < n)
        n = (size_t)(c->gate - c->sent);
    *len = n;
    return c->out.buf;
}

mp_status mp_imap_client_output_done(mp_imap_client *c, size_t n)
{
    size_t avail;
    (void)mp_imap_client_output(c, &avail);
    if (n > avail)
        return MP_ERR_ARG;
    mp_outbuf_consume(&c->out, n);
    c->sent += n;
    return MP_OK;
}

mp_status mp_imap_client_tls_started(mp_imap_client *c)
{
    if (c->state != MP_IMAP_ST_TLS_SWITCH)
        return MP_ERR_STATE;
    /* RFC 9051 §6.2.1: forget what the server said in plaintext. */
    c->secure = 1;
    c->caps_known = 0;
    mp_imap_caps_init(&c->caps);
    c->enabled = 0;
    mp_imapc_apply_modes(c);
    c->line_at = c->pos;
    setup(c, MP_IMAP_ST_NOT_AUTHENTICATED);
    return c->state == MP_IMAP_ST_FAILED ? c->err.code : MP_OK;
}

mp_status mp_imap_client_compress_started(mp_imap_client *c)
{
    if (c->state != MP_IMAP_ST_COMPRESS_SWITCH)
        return MP_ERR_STATE;
    c->state = c->prev_state;
    return MP_OK;
}

mp_status mp_imap_client_eof(mp_imap_client *c)
{
    unsigned i;
    if (c->state == MP_IMAP_ST_FAILED)
        return c->err.code;
    if (c->state == MP_IMAP_ST_CLOSED)
        return MP_CLOSED;
    for (i = 0; i < c->nq; i++) {
        /* RFC 9051 6.1.3: after LOGOUT's BYE the server may just close. */
        if (c->q[i].id == MP_IMAP_CMD_LOGOUT && c->bye) {
            c->state = MP_IMAP_ST_CLOSED;
            return MP_CLOSED;
        }
    }
    return mp_imapc_fail(c, MP_ERR_IMAP_BYE, c->pos, "end of stream");
}

const mp_imap_caps *mp_imap_client_caps(const mp_imap_client *c) { return &c->caps; }

unsigned mp_imap_client_enabled(const mp_imap_client *c) { return c->enabled; }

const mp_imap_mailbox *mp_imap_client_mailbox(const mp_imap_client *c) { return &c->mbox; }

const mp_error *mp_imap_client_error(const mp_imap_client *c) { return &c->err; }

mp_imap_client_state mp_imap_client_state_of(const mp_imap_client *c)
{
    return (mp_imap_client_state)c->state;
}

int mp_imap_client_secure(const mp_imap_client *c) { return c->secure; }

size_t mp_imap_client_in_flight(const mp_imap_client *c) { return c->nq; }

uint32_t mp_imap_client_sasl_offered(const mp_imap_client *c) { return c->caps.auth; }
