/* SMTP/LMTP server session (RFC 5321 §3, §4.1.4; RFC 2033; RFC 2920;
 * RFC 3030; RFC 3207; RFC 4954).  Sans-I/O: bytes in, events and replies
 * out; host decisions may come later (docs/architecture.md §3). */
#include <string.h>

#include "mailproto/smtp.h"
#include "server_internal.h"
#include "../sasl/proto.h"

/* Room every command needs in the output before it is read: the longest
 * reply the session writes (EHLO) or a host reply of one line. */
#define OUT_RESERVE (MP_SMTP_SERVER_MIN_OUT / 2u)
#define MAX_HOSTNAME 64u
#define MAX_MECHS 100u

/* ----------------------------------------------------------------------- */
/* Replies                                                                 */
/* ----------------------------------------------------------------------- */

/* "code [esc] hostname text": the session's own replies that name the host. */
mp_status mp_smtp_srv_say_host_(mp_smtp_server *s, unsigned code, const char *esc,
                                const char *text)
{
    char buf[MAX_HOSTNAME + 96];
    size_t h = strlen(s->cfg->hostname), t = strlen(text);
    if (t > sizeof(buf) - h - 2)
        t = sizeof(buf) - h - 2;
    memcpy(buf, s->cfg->hostname, h);
    buf[h] = ' ';
    memcpy(buf + h + 1, text, t);
    buf[h + 1 + t] = '\0';
    return mp_smtp_reply_write(&s->out, code, esc, buf);
}

mp_status mp_smtp_srv_say_(mp_smtp_server *s, unsigned code, const char *esc, const char *text)
{
    return mp_smtp_reply_write(&s->out, code, esc, text);
}

void mp_smtp_srv_report_(mp_smtp_server *s, mp_status code, uint64_t offset, const char *rule)
{
    mp_error_set(&s->last_error, code, offset, rule);
    if (s->cb->on_error) {
        s->in_callback = 1;
        s->cb->on_error(s->user, s, &s->last_error);
        s->in_callback = 0;
    }
}

void mp_smtp_srv_close_(mp_smtp_server *s)
{
    s->state = MP_SMTP_SS_CLOSED;
    s->pending = MP_SMTP_DECIDE_NONE;
}

/* A bad command: count it, report it, answer it; 421 and close at the
 * hard limit (docs/security.md: soft 10, hard 20). */
void mp_smtp_srv_bad_(mp_smtp_server *s, unsigned code, const char *esc, const char *text,
                      mp_status why, uint64_t offset, const char *rule)
{
    s->errors++;
    mp_smtp_srv_report_(s, why, offset, rule);
    mp_smtp_srv_say_(s, code, esc, text);
    if (s->errors >= MP_SMTP_MAX_ERRORS_HARD) {
        mp_smtp_srv_report_(s, MP_ERR_TOO_MANY_ERRORS, offset, "MP_SMTP_MAX_ERRORS_HARD");
        mp_smtp_srv_say_host_(s, 421, "4.7.0", "Too many errors, closing connection");
        mp_smtp_srv_close_(s);
    } else if (s->errors >= MP_SMTP_MAX_ERRORS_SOFT && !s->soft_warned) {
        /* The host may slow the client down from here on. */
        s->soft_warned = 1;
        mp_smtp_srv_report_(s, MP_ERR_TOO_MANY_ERRORS, offset, "MP_SMTP_MAX_ERRORS_SOFT");
    }
}

int mp_smtp_srv_call_(mp_smtp_server *s, int rc)
{
    s->in_callback = 0;
    if (rc != 0)
        s->aborted = 1;
    return rc;
}

/* Forget the transaction (RFC 5321 §4.1.1.5 RSET, §4.1.4). */
void mp_smtp_srv_reset_txn_(mp_smtp_server *s, int notify)
{
    int had = s->state == MP_SMTP_SS_MAIL || s->state == MP_SMTP_SS_RCPT ||
              s->state == MP_SMTP_SS_BDAT_NEXT;
    s->nrcpt = 0;
    s->msg_size = 0;
    s->txn_utf8 = 0;
    s->txn_body = MP_SMTP_BODY_NONE;
    s->body_bad = 0;
    s->replies_left = 0;
    if (s->state != MP_SMTP_SS_INIT && s->state != MP_SMTP_SS_CLOSED &&
        s->state != MP_SMTP_SS_TLS)
        s->state = MP_SMTP_SS_READY;
    if (had && notify && s->cb->on_reset) {
        s->in_callback = 1;
        mp_smtp_srv_call_(s, s->cb->on_reset(s->user, s));
    }
}

/* ----------------------------------------------------------------------- */
/* EHLO                                                                    */
/* ----------------------------------------------------------------------- */

static mp_status write_greeting_reply(mp_smtp_server *s, mp_smtp_verb verb)
{
    unsigned f = s->cfg->flags;
    mp_slice l[16];
    char size[32], auth[MAX_MECHS + 16];
    size_t n = 0;

    if (verb == MP_SMTP_HELO)
        return mp_smtp_reply_write(&s->out, 250, NULL, s->cfg->hostname);
    l[n++] = mp_slice_make(s->cfg->hostname, strlen(s->cfg->hostname));
    l[n++] = MP_SLICE_LIT("PIPELINING");
    {
        /* SIZE [n] (RFC 1870 §4): without a number there is no fixed limit. */
        mp_outbuf ob;
        mp_outbuf_init(&ob, size, sizeof(size));
        mp_outbuf_puts(&ob, "SIZE");
        if (s->cfg->max_size) {
            mp_outbuf_putc(&ob, ' ');
            mp_outbuf_put_u64(&ob, s->cfg->max_size);
        }
        l[n++] = mp_slice_make(size, ob.len);
    }
    if (f & MP_SMTP_SRV_8BITMIME)
        l[n++] = MP_SLICE_LIT("8BITMIME");
    if (f & MP_SMTP_SRV_SMTPUTF8)
        l[n++] = MP_SLICE_LIT("SMTPUTF8");
    if (f & MP_SMTP_SRV_CHUNKING)
        l[n++] = MP_SLICE_LIT("CHUNKING");
    if ((f & MP_SMTP_SRV_BINARYMIME) && (f & MP_SMTP_SRV_CHUNKING))
        l[n++] = MP_SLICE_LIT("BINARYMIME");
    if (f & MP_SMTP_SRV_DSN)
        l[n++] = MP_SLICE_LIT("DSN");
    l[n++] = MP_SLICE_LIT("ENHANCEDSTATUSCODES");
    if ((f & MP_SMTP_SRV_STARTTLS) && !s->tls)
        l[n++] = MP_SLICE_LIT("STARTTLS");
    if ((f & MP_SMTP_SRV_REQUIRETLS) && s->tls)
        l[n++] = MP_SLICE_LIT("REQUIRETLS");
    if (f & MP_SMTP_SRV_MT_PRIORITY)
        l[n++] = MP_SLICE_LIT("MT-PRIORITY");
    if (s->auth != NULL) {
        size_t al = s->auth->caps(s, auth, sizeof(auth));
        if (al > 0)
            l[n++] = mp_slice_make(auth, al);
    }
    return mp_smtp_reply_write_lines(&s->out, 250, NULL, l, n);
}

/* ----------------------------------------------------------------------- */
/* Decisions                                                               */
/* ----------------------------------------------------------------------- */

/* Ask the host; without a callback the session answers itself. */
void mp_smtp_srv_decide_(mp_smtp_server *s, mp_smtp_decision d, mp_smtp_verb verb,
                   int (*cb)(void *, mp_smtp_server *, const mp_smtp_cmd *),
                   const mp_smtp_cmd *cmd)
{
    s->pending = (uint8_t)d;
    s->pending_verb = (uint8_t)verb;
    if (cb) {
        s->in_callback = 1;
        mp_smtp_srv_call_(s, cb(s->user, s, cmd));
        return;
    }
    mp_smtp_server_accept(s);
}

mp_smtp_decision mp_smtp_server_pending(const mp_smtp_server *s)
{
    return (mp_smtp_decision)s->pending;
}

static const char *default_esc(mp_smtp_decision d, unsigned code)
{
    unsigned cls = code / 100u;
    if (cls == 3)
        return NULL;
    switch (d) {
    case MP_SMTP_DECIDE_HELO:
        return NULL;
    case MP_SMTP_DECIDE_MAIL:
        return cls == 2 ? "2.1.0" : cls == 4 ? "4.1.0" : "5.1.0";
    case MP_SMTP_DECIDE_RCPT:
        return cls == 2 ? "2.1.5" : cls == 4 ? "4.1.1" : "5.1.1";
    case MP_SMTP_DECIDE_MESSAGE:
        return cls == 2 ? "2.6.0" : cls == 4 ? "4.6.0" : "5.6.0";
    case MP_SMTP_DECIDE_EXPN:
    case MP_SMTP_DECIDE_VRFY:
    case MP_SMTP_DECIDE_HELP:
    case MP_SMTP_DECIDE_DATA:
    default:
        return cls == 2 ? "2.0.0" : cls == 4 ? "4.0.0" : "5.0.0";
    }
}

static const char *default_text(mp_smtp_decision d, int accept)
{
    if (!accept)
        return d == MP_SMTP_DECIDE_RCPT ? "Recipient rejected"
               : d == MP_SMTP_DECIDE_MAIL ? "Sender rejected"
                                          : "Rejected";
    switch (d) {
    case MP_SMTP_DECIDE_DATA:
        return "End data with <CR><LF>.<CR><LF>";
    case MP_SMTP_DECIDE_MESSAGE:
        return "Ok: queued";
    case MP_SMTP_DECIDE_VRFY:
        return "Cannot VRFY user, but will accept message and attempt delivery";
    case MP_SMTP_DECIDE_HELP:
        return "See RFC 5321";
    default:
        return "Ok";
    }
}

mp_status mp_smtp_server_reply(mp_smtp_server *s, unsigned code, const char *esc,
                               const char *text)
{
    mp_smtp_decision d = (mp_smtp_decision)s->pending;
    int accept;
    mp_status st;

    if (d == MP_SMTP_DECIDE_NONE)
        return MP_ERR_STATE;
    if (d == MP_SMTP_DECIDE_AUTH)
        return MP_ERR_STATE; /* answered through the SASL functions */
    if (code < 200 || code > 599)
        return MP_ERR_ARG;
    accept = d == MP_SMTP_DECIDE_DATA ? code == 354 : code / 100u == 2;
    if (code / 100u == 3 && d != MP_SMTP_DECIDE_DATA)
        return MP_ERR_ARG;
    if (d == MP_SMTP_DECIDE_DATA && code / 100u == 2)
        return MP_ERR_ARG;
    if (esc == NULL)
        esc = default_esc(d, code);
    if (text == NULL)
        text = default_text(d, accept);

    if (d == MP_SMTP_DECIDE_HELO && accept)
        st = write_greeting_reply(s, (mp_smtp_verb)s->pending_verb);
    else
        st = mp_smtp_reply_write(&s->out, code, esc, text);
    if (st != MP_OK)
        return st;

    switch (d) {
    case MP_SMTP_DECIDE_HELO:
        if (accept) {
            s->state = MP_SMTP_SS_READY;
            s->ehlo = s->pending_verb != MP_SMTP_HELO;
        }
        break;
    case MP_SMTP_DECIDE_MAIL:
        if (accept) {
            s->state = MP_SMTP_SS_MAIL;
            s->nrcpt = 0;
            s->msg_size = 0;
        }
        break;
    case MP_SMTP_DECIDE_RCPT:
        if (accept) {
            s->nrcpt++;
            s->state = MP_SMTP_SS_RCPT;
        }
        break;
    case MP_SMTP_DECIDE_DATA:
        if (accept) {
            s->state = MP_SMTP_SS_DATA;
            s->body_bad = 0;
            s->text_line = 0;
            s->data_cr = 0;
            mp_dot_decoder_init(&s->dot, (s->cfg->flags & MP_SMTP_SRV_NORMALIZE_LF)
                                             ? MP_DOT_NORMALIZE_LF
                                             : MP_DOT_STRICT);
            s->dot.pos = s->framer.pos;
        }
        break;
    case MP_SMTP_DECIDE_MESSAGE:
        /* LMTP: one reply per accepted recipient (RFC 2033 §4.2). */
        if (s->replies_left > 1) {
            s->replies_left--;
            return MP_OK;
        }
        s->pending = MP_SMTP_DECIDE_NONE;
        mp_smtp_srv_reset_txn_(s, 0);
        return MP_OK;
    default:
        break;
    }
    s->pending = MP_SMTP_DECIDE_NONE;
    return MP_OK;
}

mp_status mp_smtp_server_accept(mp_smtp_server *s)
{
    switch ((mp_smtp_decision)s->pending) {
    case MP_SMTP_DECIDE_NONE:
    case MP_SMTP_DECIDE_AUTH:
        return MP_ERR_STATE;
    case MP_SMTP_DECIDE_DATA:
        return mp_smtp_server_reply(s, 354, NULL, NULL);
    case MP_SMTP_DECIDE_VRFY:
        return mp_smtp_server_reply(s, 252, "2.0.0", NULL);
    case MP_SMTP_DECIDE_EXPN:
        return mp_smtp_server_reply(s, 502, "5.5.1", "EXPN not available");
    case MP_SMTP_DECIDE_HELP:
        return mp_smtp_server_reply(s, 214, "2.0.0", NULL);
    default:
        return mp_smtp_server_reply(s, 250, NULL, NULL);
    }
}

/* ----------------------------------------------------------------------- */
/* Feeding                                                                 */
/* ----------------------------------------------------------------------- */

static void framer_error(mp_smtp_server *s, mp_status st)
{
    const mp_error *e = &s->framer.err;
    if (s->state == MP_SMTP_SS_AUTH) { /* only with s->auth */
        s->auth->abort(s, st, e->offset);
        return;
    }
    if (st == MP_ERR_LINE_TOO_LONG)
        mp_smtp_srv_bad_(s, 500, "5.5.2", "Line too long", st, e->offset,
                         "MP_SMTP_MAX_COMMAND_LINE");
    else
        mp_smtp_srv_bad_(s, 500, "5.5.2", st == MP_ERR_BARE_LF ? "Bare LF in command"
                                                               : "Bare CR in command",
                         st, e->offset, e->rule);
}

mp_status mp_smtp_server_feed(mp_smtp_server *s, const char *in, size_t len, size_t *used)
{
    size_t i = 0;
    *used = 0;
    if (s->in_callback || s->state == MP_SMTP_SS_TLS)
        return MP_ERR_STATE;
    s->aborted = 0;
    /* Replies the session owes after a body may have waited for room. */
    if (s->state == MP_SMTP_SS_END_REPLIES)
        mp_smtp_srv_end_replies_(s);
    /* The challenge went out before this read, unless the host has not
     * taken it yet (output_done): then the client cannot have seen it and
     * a response here came too early, as in the same input (a host that
     * reads on before it sends, coalescing pipelined replies). */
    if (s->auth_early == 2 && len > 0)
        s->auth_early = s->out.len == 0 ? 0 : 1;
    while (i < len && !s->aborted) {
        if (s->pending != MP_SMTP_DECIDE_NONE || s->state == MP_SMTP_SS_CLOSED ||
            s->state == MP_SMTP_SS_END_REPLIES)
            break;
        if (mp_outbuf_room(&s->out) < OUT_RESERVE)
            break;
        switch (s->state) {
        case MP_SMTP_SS_DATA:
            i += mp_smtp_srv_data_step_(s, in + i, len - i);
            break;
        case MP_SMTP_SS_BDAT:
        case MP_SMTP_SS_BDAT_SKIP:
            i += mp_smtp_srv_bdat_step_(s, in + i, len - i);
            break;
        default: {
            size_t u = 0;
            mp_slice line;
            mp_status st = mp_line_framer_next(&s->framer, in + i, len - i, &u, &line);
            i += u;
            if (st == MP_OK)
                mp_smtp_srv_on_line_(s, line, s->framer.line_start);
            else if (st != MP_NEED_MORE)
                framer_error(s, st);
            if (s->state == MP_SMTP_SS_AUTH && s->auth_early == 2 && i < len)
                s->auth_early = 1; /* the response came before the challenge */
            if (s->state == MP_SMTP_SS_TLS) {
                if (i < len) {
                    /* CVE-2011-0411: plaintext after STARTTLS is injection. */
                    s->injected = len - i;
                    mp_smtp_srv_report_(s, MP_ERR_TLS_INJECTION, s->framer.pos,
                                        MP_RULE_("RFC 3207 5"));
                }
                *used = i;
                return MP_TRANSPORT_SWITCH;
            }
            break;
        }
        }
    }
    *used = i;
    if (s->aborted)
        return MP_ERR_ABORTED;
    if (s->state == MP_SMTP_SS_CLOSED)
        return MP_CLOSED;
    if (i < len || s->pending != MP_SMTP_DECIDE_NONE || s->state == MP_SMTP_SS_END_REPLIES)
        return MP_PAUSED;
    return MP_OK;
}

const char *mp_smtp_server_output(mp_smtp_server *s, size_t *len)
{
    *len = s->out.len;
    return s->out.buf;
}

void mp_smtp_server_output_done(mp_smtp_server *s, size_t n)
{
    mp_outbuf_consume(&s->out, n);
    /* Room for the end-of-data replies still owed (LMTP: one per
     * recipient), so that a host draining its output gets them all
     * without feeding again. */
    if (s->state == MP_SMTP_SS_END_REPLIES && n > 0)
        mp_smtp_srv_end_replies_(s);
}

mp_status mp_smtp_server_tls_started(mp_smtp_server *s)
{
    if (s->state != MP_SMTP_SS_TLS)
        return MP_ERR_STATE;
    /* RFC 3207 §4.2: forget everything learnt before TLS. */
    mp_line_framer_reset(&s->framer);
    s->tls = 1;
    s->ehlo = 0;
    s->authed = 0;
    s->state = MP_SMTP_SS_INIT;
    mp_smtp_srv_reset_txn_(s, 0);
    return MP_OK;
}

mp_status mp_smtp_server_shutdown(mp_smtp_server *s, const char *text)
{
    mp_status st;
    if (text)
        st = mp_smtp_reply_write(&s->out, 421, "4.3.2", text);
    else
        st = mp_smtp_srv_say_host_(s, 421, "4.3.2", "Service shutting down");
    mp_smtp_srv_close_(s);
    return st;
}

mp_status mp_smtp_server_timeout(mp_smtp_server *s)
{
    mp_status st = mp_smtp_srv_say_host_(s, 421, "4.4.2", "Timeout, closing connection");
    mp_smtp_srv_close_(s);
    return st;
}

/* Both inits: `auth` is how AUTH is reached, NULL when it is not linked. */
static mp_status server_init(mp_smtp_server *s, const mp_smtp_server_config *cfg,
                             const mp_smtp_server_callbacks *cb, void *user, char *out,
                             size_t out_cap, const struct mp_smtp_srv_auth_ops_ *auth)
{
    size_t need = MP_SMTP_SERVER_LINE_BUF, fcap;
    mp_status st;
    if (s == NULL || cfg == NULL || cb == NULL || out == NULL || out_cap < MP_SMTP_SERVER_MIN_OUT ||
        cfg->hostname == NULL || cfg->line_buf == NULL)
        return MP_ERR_ARG;
    if (!mp_sasl_proto_text_ok(cfg->hostname, MAX_HOSTNAME, 0))
        return MP_ERR_ARG;
    memset(s, 0, sizeof(*s));
    if (cfg->flags & MP_SMTP_SRV_AUTH) {
        if (auth == NULL)
            return MP_ERR_UNSUPPORTED;
        st = auth->init(s, cfg);
        if (st != MP_OK)
            return st;
        s->auth = auth;
        need = MP_SMTP_SERVER_LINE_BUF_AUTH;
    }
    if (cfg->line_cap < need)
        return MP_ERR_ARG;
    fcap = cfg->line_cap;
    if (cfg->flags & MP_SMTP_SRV_AUTH)
        fcap -= MP_SMTP_SERVER_AUTH_SCRATCH;
    s->cfg = cfg;
    s->cb = cb;
    s->user = user;
    mp_outbuf_init(&s->out, out, out_cap);
    st = mp_line_framer_init(&s->framer, cfg->line_buf, fcap, MP_SMTP_MAX_COMMAND_LINE, 0);
    if (st != MP_OK)
        return st;
    s->tls = (cfg->flags & MP_SMTP_SRV_TLS_ACTIVE) != 0;
    s->state = MP_SMTP_SS_INIT;
    /* RFC 5321 §4.2: the greeting; RFC 2033 §4.1 for LMTP. */
    return mp_smtp_srv_say_host_(s, 220, NULL,
                                 (cfg->flags & MP_SMTP_SRV_LMTP) ? "LMTP ready" : "ESMTP ready");
}

mp_status mp_smtp_server_init(mp_smtp_server *s, const mp_smtp_server_config *cfg,
                              const mp_smtp_server_callbacks *cb, void *user, char *out,
                              size_t out_cap)
{
#if MP_ENABLE_SASL
    return server_init(s, cfg, cb, user, out, out_cap, &mp_smtp_srv_sasl_auth_);
#else
    return server_init(s, cfg, cb, user, out, out_cap, NULL);
#endif
}

mp_status mp_smtp_server_init_lean(mp_smtp_server *s, const mp_smtp_server_config *cfg,
                                   const mp_smtp_server_callbacks *cb, void *user, char *out,
                                   size_t out_cap)
{
    return server_init(s, cfg, cb, user, out, out_cap, NULL);
}
