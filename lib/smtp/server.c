/* SMTP/LMTP server session (RFC 5321 §3, §4.1.4; RFC 2033; RFC 2920;
 * RFC 3030; RFC 3207; RFC 4954).  Sans-I/O: bytes in, events and replies
 * out; host decisions may come later (DESIGN.md §3). */
#include <string.h>

#include "mailproto/smtp.h"
#include "server_internal.h"

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

static void report(mp_smtp_server *s, mp_status code, uint64_t offset, const char *rule)
{
    s->last_error.code = code;
    s->last_error.offset = offset;
    s->last_error.rule = rule;
    if (s->cb->on_error) {
        s->in_callback = 1;
        s->cb->on_error(s->user, s, &s->last_error);
        s->in_callback = 0;
    }
}

static void close_session(mp_smtp_server *s)
{
    s->state = MP_SMTP_SS_CLOSED;
    s->pending = MP_SMTP_DECIDE_NONE;
}

/* A bad command: count it, report it, answer it; 421 and close at the
 * hard limit (SECURITY.md: soft 10, hard 20). */
void mp_smtp_srv_bad_(mp_smtp_server *s, unsigned code, const char *esc, const char *text,
                      mp_status why, uint64_t offset, const char *rule)
{
    s->errors++;
    report(s, why, offset, rule);
    mp_smtp_srv_say_(s, code, esc, text);
    if (s->errors >= MP_SMTP_MAX_ERRORS_HARD) {
        report(s, MP_ERR_TOO_MANY_ERRORS, offset, "MP_SMTP_MAX_ERRORS_HARD");
        mp_smtp_srv_say_host_(s, 421, "4.7.0", "Too many errors, closing connection");
        close_session(s);
    } else if (s->errors >= MP_SMTP_MAX_ERRORS_SOFT && !s->soft_warned) {
        /* The host may slow the client down from here on. */
        s->soft_warned = 1;
        report(s, MP_ERR_TOO_MANY_ERRORS, offset, "MP_SMTP_MAX_ERRORS_SOFT");
    }
}

static int call_result(mp_smtp_server *s, int rc)
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
    s->lmtp_left = 0;
    if (s->state != MP_SMTP_SS_INIT && s->state != MP_SMTP_SS_CLOSED &&
        s->state != MP_SMTP_SS_TLS)
        s->state = MP_SMTP_SS_READY;
    if (had && notify && s->cb->on_reset) {
        s->in_callback = 1;
        call_result(s, s->cb->on_reset(s->user, s));
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
    {
        size_t al = mp_smtp_srv_auth_caps_(s, auth, sizeof(auth));
        if (al > 0)
            l[n++] = mp_slice_make(auth, al);
    }
    return mp_smtp_reply_write_lines(&s->out, 250, NULL, l, n);
}

/* ----------------------------------------------------------------------- */
/* Decisions                                                               */
/* ----------------------------------------------------------------------- */

/* Ask the host; without a callback the session answers itself. */
static void decide(mp_smtp_server *s, mp_smtp_decision d, mp_smtp_verb verb,
                   int (*cb)(void *, mp_smtp_server *, const mp_smtp_cmd *),
                   const mp_smtp_cmd *cmd)
{
    s->pending = (uint8_t)d;
    s->pending_verb = (uint8_t)verb;
    if (cb) {
        s->in_callback = 1;
        call_result(s, cb(s->user, s, cmd));
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
            mp_dot_decoder_init(&s->dot, (s->cfg->flags & MP_SMTP_SRV_NORMALIZE_LF)
                                             ? MP_DOT_NORMALIZE_LF
                                             : MP_DOT_STRICT);
            s->dot.pos = s->framer.pos;
        }
        break;
    case MP_SMTP_DECIDE_MESSAGE:
        /* LMTP: one reply per accepted recipient (RFC 2033 §4.2). */
        if (s->lmtp_left > 1) {
            s->lmtp_left--;
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
/* Commands                                                                */
/* ----------------------------------------------------------------------- */

/* Which advertised extension each known MAIL/RCPT parameter needs. */
static int params_allowed(const mp_smtp_server *s, const mp_smtp_cmd *cmd)
{
    unsigned f = s->cfg->flags, p = cmd->params.present;
    if (cmd->params.n_unknown && !(f & MP_SMTP_SRV_UNKNOWN_PARAMS))
        return 0;
    if ((p & MP_SMTP_P_BODY) && cmd->params.body == MP_SMTP_BODY_8BITMIME &&
        !(f & MP_SMTP_SRV_8BITMIME))
        return 0;
    if ((p & MP_SMTP_P_BODY) && cmd->params.body == MP_SMTP_BODY_BINARYMIME &&
        !((f & MP_SMTP_SRV_BINARYMIME) && (f & MP_SMTP_SRV_CHUNKING)))
        return 0;
    if ((p & MP_SMTP_P_SMTPUTF8) && !(f & MP_SMTP_SRV_SMTPUTF8))
        return 0;
    if ((p & (MP_SMTP_P_RET | MP_SMTP_P_ENVID | MP_SMTP_P_NOTIFY | MP_SMTP_P_ORCPT)) &&
        !(f & MP_SMTP_SRV_DSN))
        return 0;
    if ((p & MP_SMTP_P_AUTH) && !(f & MP_SMTP_SRV_AUTH))
        return 0;
    if ((p & MP_SMTP_P_REQUIRETLS) && !((f & MP_SMTP_SRV_REQUIRETLS) && s->tls))
        return 0;
    if ((p & MP_SMTP_P_MT_PRIORITY) && !(f & MP_SMTP_SRV_MT_PRIORITY))
        return 0;
    return 1;
}

/* Reply to a command the parser refused (RFC 5321 §4.2.4, RFC 3463). */
static void parse_error(mp_smtp_server *s, const mp_smtp_cmd *cmd, const mp_error *e,
                        uint64_t base)
{
    uint64_t off = base + e->offset;
    int mail = cmd->verb == MP_SMTP_MAIL;
    switch (e->code) {
    case MP_ERR_SMTP_UNKNOWN_COMMAND:
        mp_smtp_srv_bad_(s, 500, "5.5.1", "Command unrecognized", e->code, off, e->rule);
        return;
    case MP_ERR_SMTP_PATH:
    case MP_ERR_SMTP_PATH_TOO_LONG:
    case MP_ERR_SMTP_LOCAL_TOO_LONG:
    case MP_ERR_SMTP_DOMAIN_TOO_LONG:
        mp_smtp_srv_bad_(s, 501, mail ? "5.1.7" : "5.1.3",
                         e->code == MP_ERR_SMTP_PATH ? "Bad address syntax" : "Address too long",
                         e->code, off, e->rule);
        return;
    case MP_ERR_SMTP_UTF8_PATH:
    case MP_ERR_UTF8:
        mp_smtp_srv_bad_(s, 553, "5.6.7", "Non-ASCII address needs SMTPUTF8", e->code, off,
                         e->rule);
        return;
    case MP_ERR_SMTP_TOO_MANY_PARAMS:
    case MP_ERR_SMTP_PARAM_DUP:
    case MP_ERR_SMTP_PARAM:
    case MP_ERR_SMTP_XTEXT:
        mp_smtp_srv_bad_(s, 501, "5.5.4", "Invalid parameter", e->code, off, e->rule);
        return;
    default:
        mp_smtp_srv_bad_(s, 501, "5.5.4", "Syntax error in arguments", e->code, off, e->rule);
        return;
    }
}

static void cmd_helo(mp_smtp_server *s, const mp_smtp_cmd *cmd, uint64_t off)
{
    int lmtp = (s->cfg->flags & MP_SMTP_SRV_LMTP) != 0;
    if (lmtp != (cmd->verb == MP_SMTP_LHLO)) {
        mp_smtp_srv_bad_(s, 500, "5.5.1", lmtp ? "This is LMTP: use LHLO" : "Command unrecognized",
                         MP_ERR_SMTP_UNKNOWN_COMMAND, off, lmtp ? "RFC 2033 4.1" : "RFC 5321");
        return;
    }
    /* EHLO in the middle of a session resets it (RFC 5321 §4.1.4). */
    mp_smtp_srv_reset_txn_(s, 1);
    decide(s, MP_SMTP_DECIDE_HELO, cmd->verb, s->cb->on_helo, cmd);
}

static void cmd_mail(mp_smtp_server *s, const mp_smtp_cmd *cmd, uint64_t off)
{
    const mp_smtp_params *p = &cmd->params;
    if (s->state == MP_SMTP_SS_INIT) {
        mp_smtp_srv_bad_(s, 503, "5.5.1", "Send HELO/EHLO first", MP_ERR_SMTP_BAD_SEQUENCE, off,
                         "RFC 5321 4.1.4");
        return;
    }
    if (s->state != MP_SMTP_SS_READY) {
        mp_smtp_srv_bad_(s, 503, "5.5.1", "Nested MAIL command", MP_ERR_SMTP_BAD_SEQUENCE, off,
                         "RFC 5321 4.1.4");
        return;
    }
    if ((s->cfg->flags & MP_SMTP_SRV_AUTH_REQUIRED) && !s->authed) {
        mp_smtp_srv_bad_(s, 530, "5.7.0", "Authentication required", MP_ERR_SMTP_BAD_SEQUENCE,
                         off, "RFC 4954 6");
        return;
    }
    if (!params_allowed(s, cmd)) {
        mp_smtp_srv_bad_(s, 555, "5.5.4", "MAIL parameters not recognized or not implemented",
                         MP_ERR_SMTP_PARAM, off, "RFC 5321 4.1.1.11");
        return;
    }
    if ((p->present & MP_SMTP_P_SIZE) && s->cfg->max_size && p->size > s->cfg->max_size) {
        /* RFC 1870 §6.1: 552 when the declared size exceeds the limit. */
        report(s, MP_ERR_SMTP_MESSAGE_TOO_BIG, off, "RFC 1870 6");
        mp_smtp_srv_say_(s, 552, "5.3.4", "Message size exceeds fixed maximum message size");
        return;
    }
    s->txn_utf8 = (p->present & MP_SMTP_P_SMTPUTF8) != 0;
    s->txn_body = p->body;
    decide(s, MP_SMTP_DECIDE_MAIL, MP_SMTP_MAIL, s->cb->on_mail, cmd);
}

static void cmd_rcpt(mp_smtp_server *s, const mp_smtp_cmd *cmd, uint64_t off)
{
    unsigned max = s->cfg->max_rcpts && s->cfg->max_rcpts < MP_SMTP_MAX_RCPTS
                       ? s->cfg->max_rcpts
                       : MP_SMTP_MAX_RCPTS;
    if (s->state != MP_SMTP_SS_MAIL && s->state != MP_SMTP_SS_RCPT) {
        mp_smtp_srv_bad_(s, 503, "5.5.1", "Need MAIL before RCPT", MP_ERR_SMTP_BAD_SEQUENCE,
                         off, "RFC 5321 4.1.4");
        return;
    }
    if (!params_allowed(s, cmd)) {
        mp_smtp_srv_bad_(s, 555, "5.5.4", "RCPT parameters not recognized or not implemented",
                         MP_ERR_SMTP_PARAM, off, "RFC 5321 4.1.1.11");
        return;
    }
    if (s->nrcpt >= max) {
        /* RFC 5321 §4.5.3.1.10: 452 and the client tries the rest later. */
        report(s, MP_ERR_SMTP_TOO_MANY_RCPTS, off, "MP_SMTP_MAX_RCPTS");
        mp_smtp_srv_say_(s, 452, "4.5.3", "Too many recipients");
        return;
    }
    decide(s, MP_SMTP_DECIDE_RCPT, MP_SMTP_RCPT, s->cb->on_rcpt, cmd);
}

static int data_cb_adapter_(void *user, mp_smtp_server *s, const mp_smtp_cmd *cmd)
{
    (void)cmd;
    return s->cb->on_data(user, s);
}

static void cmd_data(mp_smtp_server *s, uint64_t off)
{
    if (s->state == MP_SMTP_SS_MAIL) {
        mp_smtp_srv_bad_(s, 554, "5.5.1", "No valid recipients", MP_ERR_SMTP_BAD_SEQUENCE, off,
                         "RFC 5321 3.3");
        return;
    }
    if (s->state != MP_SMTP_SS_RCPT) {
        mp_smtp_srv_bad_(s, 503, "5.5.1",
                         s->state == MP_SMTP_SS_BDAT_NEXT ? "DATA not allowed after BDAT"
                                                         : "Need RCPT before DATA",
                         MP_ERR_SMTP_BAD_SEQUENCE, off, "RFC 5321 4.1.4");
        return;
    }
    if (s->txn_body == MP_SMTP_BODY_BINARYMIME) {
        mp_smtp_srv_bad_(s, 503, "5.5.1", "BINARYMIME needs BDAT", MP_ERR_SMTP_BAD_SEQUENCE, off,
                         "RFC 3030 3");
        return;
    }
    decide(s, MP_SMTP_DECIDE_DATA, MP_SMTP_DATA, s->cb->on_data ? data_cb_adapter_ : NULL, NULL);
}

/* The body ended (DATA terminator or BDAT LAST chunk consumed). */
static void message_end(mp_smtp_server *s)
{
    mp_status bad = (mp_status)s->body_bad;
    if (bad != MP_OK) {
        if (s->cb->on_message_end) {
            s->in_callback = 1;
            call_result(s, s->cb->on_message_end(s->user, s, bad));
        }
        if (bad == MP_ERR_SMTP_MESSAGE_TOO_BIG) {
            mp_smtp_srv_say_(s, 552, "5.3.4", "Message size exceeds fixed maximum message size");
            s->state = MP_SMTP_SS_READY;
            mp_smtp_srv_reset_txn_(s, 0);
            return;
        }
        /* A bare CR/LF or NUL: reject and close, so that nothing pipelined
         * behind a forged end of data is ever executed (SECURITY.md). */
        mp_smtp_srv_say_(s, 550, "5.6.0", "Message contains bare CR, bare LF or NUL; closing");
        close_session(s);
        return;
    }
    s->state = MP_SMTP_SS_READY;
    s->pending = MP_SMTP_DECIDE_MESSAGE;
    s->lmtp_left = (s->cfg->flags & MP_SMTP_SRV_LMTP) ? s->nrcpt : 1u;
    if (s->cb->on_message_end) {
        s->in_callback = 1;
        call_result(s, s->cb->on_message_end(s->user, s, MP_OK));
        return;
    }
    while (s->pending == MP_SMTP_DECIDE_MESSAGE)
        if (mp_smtp_server_accept(s) != MP_OK)
            break;
}

static void bdat_skip(mp_smtp_server *s, const mp_smtp_cmd *cmd, unsigned code, const char *esc,
                      const char *text, mp_status why, uint64_t off, const char *rule)
{
    mp_smtp_srv_bad_(s, code, esc, text, why, off, rule);
    if (s->state == MP_SMTP_SS_CLOSED)
        return;
    /* The chunk's bytes still come: skip them, never read them as
     * commands (DESIGN.md §6). */
    s->ret_state = s->state;
    s->bdat_left = cmd->bdat_size;
    s->state = MP_SMTP_SS_BDAT_SKIP;
}

static void bdat_chunk_done(mp_smtp_server *s)
{
    if (s->state == MP_SMTP_SS_BDAT_SKIP) {
        s->state = s->ret_state;
        return;
    }
    if (s->bdat_last) {
        message_end(s);
        return;
    }
    s->state = MP_SMTP_SS_BDAT_NEXT;
    {
        char t[48];
        mp_outbuf ob;
        mp_outbuf_init(&ob, t, sizeof(t) - 1);
        mp_outbuf_put_u64(&ob, s->bdat_chunk);
        mp_outbuf_puts(&ob, " octets received");
        t[ob.len] = '\0';
        mp_smtp_srv_say_(s, 250, "2.0.0", t);
    }
}

static void cmd_bdat(mp_smtp_server *s, const mp_smtp_cmd *cmd, uint64_t off)
{
    if (!(s->cfg->flags & MP_SMTP_SRV_CHUNKING)) {
        bdat_skip(s, cmd, 502, "5.5.1", "CHUNKING not offered", MP_ERR_SMTP_NOT_IMPLEMENTED, off,
                  "RFC 3030");
        return;
    }
    if (s->state != MP_SMTP_SS_RCPT && s->state != MP_SMTP_SS_BDAT_NEXT) {
        bdat_skip(s, cmd, 503, "5.5.1",
                  s->state == MP_SMTP_SS_MAIL ? "No valid recipients" : "Need RCPT before BDAT",
                  MP_ERR_SMTP_BAD_SEQUENCE, off, "RFC 3030 2");
        return;
    }
    if (s->cfg->max_size &&
        (cmd->bdat_size > s->cfg->max_size || s->msg_size > s->cfg->max_size - cmd->bdat_size)) {
        /* RFC 3030 §2: the message is too big; the transaction is over. */
        report(s, MP_ERR_SMTP_MESSAGE_TOO_BIG, off, "RFC 1870 6");
        mp_smtp_srv_say_(s, 552, "5.3.4", "Message size exceeds fixed maximum message size");
        mp_smtp_srv_reset_txn_(s, 1);
        s->ret_state = s->state;
        s->bdat_left = cmd->bdat_size;
        s->state = MP_SMTP_SS_BDAT_SKIP;
        return;
    }
    s->bdat_left = cmd->bdat_size;
    s->bdat_chunk = cmd->bdat_size;
    s->bdat_last = cmd->bdat_last;
    s->state = MP_SMTP_SS_BDAT;
    if (s->bdat_left == 0)
        bdat_chunk_done(s);
}

static void cmd_starttls(mp_smtp_server *s, uint64_t off)
{
    if (!(s->cfg->flags & MP_SMTP_SRV_STARTTLS)) {
        mp_smtp_srv_bad_(s, 502, "5.5.1", "Command not implemented", MP_ERR_SMTP_NOT_IMPLEMENTED,
                         off, "RFC 3207");
        return;
    }
    if (s->tls) {
        mp_smtp_srv_bad_(s, 503, "5.5.1", "TLS already active", MP_ERR_SMTP_BAD_SEQUENCE, off,
                         "RFC 3207 4");
        return;
    }
    if (s->state != MP_SMTP_SS_INIT && s->state != MP_SMTP_SS_READY) {
        mp_smtp_srv_bad_(s, 503, "5.5.1", "STARTTLS inside a transaction",
                         MP_ERR_SMTP_BAD_SEQUENCE, off, "RFC 3207 4");
        return;
    }
    mp_smtp_srv_say_(s, 220, "2.0.0", "Ready to start TLS");
    s->state = MP_SMTP_SS_TLS;
}

static void cmd_string(mp_smtp_server *s, const mp_smtp_cmd *cmd, mp_smtp_decision d,
                       int (*cb)(void *, mp_smtp_server *, const mp_smtp_cmd *), uint64_t off)
{
    if (d == MP_SMTP_DECIDE_VRFY || d == MP_SMTP_DECIDE_EXPN) {
        if (s->state == MP_SMTP_SS_BDAT_NEXT) {
            mp_smtp_srv_bad_(s, 503, "5.5.1", "Not allowed between BDAT chunks",
                             MP_ERR_SMTP_BAD_SEQUENCE, off, "RFC 3030 2");
            return;
        }
    }
    decide(s, d, cmd->verb, cb, cmd);
}

static void on_line(mp_smtp_server *s, mp_slice line, uint64_t off)
{
    mp_smtp_cmd cmd;
    mp_error e;
    unsigned flags = 0, f = s->cfg->flags;
    mp_status st;

    if (s->state == MP_SMTP_SS_AUTH) {
        mp_smtp_srv_auth_line_(s, line, off);
        return;
    }
    if (f & MP_SMTP_SRV_SMTPUTF8)
        flags |= MP_SMTP_CMD_SMTPUTF8;
    if (s->txn_utf8)
        flags |= MP_SMTP_CMD_UTF8_TXN;
    if (f & MP_SMTP_SRV_LAX)
        flags |= MP_SMTP_CMD_LAX;
    st = mp_smtp_cmd_parse(line.ptr, line.len, flags, &cmd, &e);
    if (st == MP_ERR_SMTP_HTTP) {
        /* A web client on the mail port: cross-protocol, close at once. */
        report(s, st, off, e.rule);
        mp_smtp_srv_say_host_(s, 421, "4.7.0", "HTTP is not spoken here, closing");
        close_session(s);
        return;
    }
    if (st != MP_OK) {
        if (cmd.verb == MP_SMTP_BDAT) {
            /* The chunk size is unknown, so the stream cannot be kept in
             * sync: answer and close. */
            mp_smtp_srv_bad_(s, 501, "5.5.4", "Bad BDAT chunk size, closing", st, off + e.offset,
                             e.rule);
            close_session(s);
            return;
        }
        parse_error(s, &cmd, &e, off);
        return;
    }
    if (s->state == MP_SMTP_SS_BDAT_NEXT && cmd.verb != MP_SMTP_BDAT &&
        cmd.verb != MP_SMTP_RSET && cmd.verb != MP_SMTP_QUIT && cmd.verb != MP_SMTP_NOOP &&
        cmd.verb != MP_SMTP_HELP && cmd.verb != MP_SMTP_EHLO && cmd.verb != MP_SMTP_HELO &&
        cmd.verb != MP_SMTP_LHLO) {
        mp_smtp_srv_bad_(s, 503, "5.5.1", "Only BDAT may follow BDAT", MP_ERR_SMTP_BAD_SEQUENCE,
                         off, "RFC 3030 2");
        return;
    }
    switch (cmd.verb) {
    case MP_SMTP_HELO:
    case MP_SMTP_EHLO:
    case MP_SMTP_LHLO:
        cmd_helo(s, &cmd, off);
        break;
    case MP_SMTP_MAIL:
        cmd_mail(s, &cmd, off);
        break;
    case MP_SMTP_RCPT:
        cmd_rcpt(s, &cmd, off);
        break;
    case MP_SMTP_DATA:
        cmd_data(s, off);
        break;
    case MP_SMTP_BDAT:
        cmd_bdat(s, &cmd, off);
        break;
    case MP_SMTP_RSET:
        mp_smtp_srv_reset_txn_(s, 1);
        mp_smtp_srv_say_(s, 250, "2.0.0", "Ok");
        break;
    case MP_SMTP_NOOP:
        mp_smtp_srv_say_(s, 250, "2.0.0", "Ok");
        break;
    case MP_SMTP_QUIT:
        mp_smtp_srv_say_host_(s, 221, "2.0.0", "Bye");
        close_session(s);
        break;
    case MP_SMTP_VRFY:
        cmd_string(s, &cmd, MP_SMTP_DECIDE_VRFY, s->cb->on_vrfy, off);
        break;
    case MP_SMTP_EXPN:
        cmd_string(s, &cmd, MP_SMTP_DECIDE_EXPN, s->cb->on_expn, off);
        break;
    case MP_SMTP_HELP:
        cmd_string(s, &cmd, MP_SMTP_DECIDE_HELP, s->cb->on_help, off);
        break;
    case MP_SMTP_STARTTLS:
        cmd_starttls(s, off);
        break;
    case MP_SMTP_AUTH:
        mp_smtp_srv_auth_cmd_(s, &cmd, off);
        break;
    default:
        mp_smtp_srv_bad_(s, 500, "5.5.1", "Command unrecognized", MP_ERR_SMTP_UNKNOWN_COMMAND,
                         off, "RFC 5321");
        break;
    }
}

/* ----------------------------------------------------------------------- */
/* Feeding                                                                 */
/* ----------------------------------------------------------------------- */

static size_t data_step(mp_smtp_server *s, const char *in, size_t len)
{
    size_t u = 0;
    mp_slice chunk;
    mp_status st = mp_dot_decoder_next(&s->dot, in, len, &u, &chunk);
    switch (st) {
    case MP_OK:
        if (s->body_bad != 0 || chunk.len == 0)
            break;
        {
            /* Deliver up to the limit, then keep reading to the real end and
             * deliver nothing more: the same bytes whatever the split. */
            size_t give = chunk.len;
            uint64_t over = 0;
            if (s->cfg->max_size && chunk.len > s->cfg->max_size - s->msg_size) {
                give = (size_t)(s->cfg->max_size - s->msg_size);
                over = (chunk.ptr >= in && chunk.ptr < in + len)
                           ? s->framer.pos + (uint64_t)(chunk.ptr - in) + give
                           : s->framer.pos + u - 1u;
            }
            s->msg_size += give;
            if (give > 0 && s->cb->on_body) {
                s->in_callback = 1;
                call_result(s, s->cb->on_body(s->user, s, chunk.ptr, give));
            }
            if (give < chunk.len) {
                s->body_bad = (uint8_t)MP_ERR_SMTP_MESSAGE_TOO_BIG;
                report(s, MP_ERR_SMTP_MESSAGE_TOO_BIG, over, "max_size");
            }
        }
        break;
    case MP_DONE:
        message_end(s);
        break;
    case MP_ERR_BARE_CR:
    case MP_ERR_BARE_LF:
    case MP_ERR_NUL:
        /* The poison wins over an earlier size overflow: it closes. */
        s->body_bad = (uint8_t)st;
        report(s, st, s->dot.err.offset, s->dot.err.rule);
        break;
    default:
        break;
    }
    s->framer.pos += u;
    return u;
}

static size_t bdat_step(mp_smtp_server *s, const char *in, size_t len)
{
    size_t take = s->bdat_left < len ? (size_t)s->bdat_left : len;
    if (s->state == MP_SMTP_SS_BDAT && take > 0) {
        s->msg_size += take;
        if (s->cb->on_body) {
            s->in_callback = 1;
            call_result(s, s->cb->on_body(s->user, s, in, take));
        }
    }
    s->bdat_left -= take;
    s->framer.pos += take;
    if (s->bdat_left == 0)
        bdat_chunk_done(s);
    return take;
}

static void framer_error(mp_smtp_server *s, mp_status st)
{
    const mp_error *e = &s->framer.err;
    if (s->state == MP_SMTP_SS_AUTH) {
        mp_smtp_srv_auth_abort_(s, st, e->offset);
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
    if (s->auth_early == 2)
        s->auth_early = 0; /* the challenge went out before this read */
    while (i < len && !s->aborted) {
        if (s->pending != MP_SMTP_DECIDE_NONE || s->state == MP_SMTP_SS_CLOSED)
            break;
        if (mp_outbuf_room(&s->out) < OUT_RESERVE)
            break;
        switch (s->state) {
        case MP_SMTP_SS_DATA:
            i += data_step(s, in + i, len - i);
            break;
        case MP_SMTP_SS_BDAT:
        case MP_SMTP_SS_BDAT_SKIP:
            i += bdat_step(s, in + i, len - i);
            break;
        default: {
            size_t u = 0;
            mp_slice line;
            uint64_t start = s->framer.pos - mp_line_framer_pending(&s->framer);
            mp_status st = mp_line_framer_next(&s->framer, in + i, len - i, &u, &line);
            i += u;
            if (st == MP_OK)
                on_line(s, line, start);
            else if (st != MP_NEED_MORE)
                framer_error(s, st);
            if (s->state == MP_SMTP_SS_AUTH && s->auth_early == 2 && i < len)
                s->auth_early = 1; /* the response came before the challenge */
            if (s->state == MP_SMTP_SS_TLS) {
                if (i < len) {
                    /* CVE-2011-0411: plaintext after STARTTLS is injection. */
                    s->injected = len - i;
                    report(s, MP_ERR_TLS_INJECTION, s->framer.pos, "RFC 3207 5");
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
    if (i < len || s->pending != MP_SMTP_DECIDE_NONE)
        return MP_PAUSED;
    return MP_OK;
}

const char *mp_smtp_server_output(mp_smtp_server *s, size_t *len)
{
    *len = s->out.len;
    return s->out.buf;
}

void mp_smtp_server_output_done(mp_smtp_server *s, size_t n) { mp_outbuf_consume(&s->out, n); }

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
    close_session(s);
    return st;
}

mp_status mp_smtp_server_timeout(mp_smtp_server *s)
{
    mp_status st = mp_smtp_srv_say_host_(s, 421, "4.4.2", "Timeout, closing connection");
    close_session(s);
    return st;
}

mp_status mp_smtp_server_init(mp_smtp_server *s, const mp_smtp_server_config *cfg,
                              const mp_smtp_server_callbacks *cb, void *user, char *out,
                              size_t out_cap)
{
    size_t i, hl, need = MP_SMTP_SERVER_LINE_BUF, fcap;
    mp_status st;
    if (s == NULL || cfg == NULL || cb == NULL || out == NULL || out_cap < MP_SMTP_SERVER_MIN_OUT ||
        cfg->hostname == NULL || cfg->line_buf == NULL)
        return MP_ERR_ARG;
    hl = strlen(cfg->hostname);
    if (hl == 0 || hl > MAX_HOSTNAME)
        return MP_ERR_ARG;
    for (i = 0; i < hl; i++)
        if (cfg->hostname[i] <= ' ' || cfg->hostname[i] > '~')
            return MP_ERR_ARG;
    memset(s, 0, sizeof(*s));
    if (cfg->flags & MP_SMTP_SRV_AUTH) {
        st = mp_smtp_srv_auth_init_(s, cfg);
        if (st != MP_OK)
            return st;
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
