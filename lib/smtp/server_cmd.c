/* SMTP/LMTP server session: one command line, checked against the state
 * and the extensions offered, then answered or handed to the host
 * (RFC 5321 §4.1.1, §4.1.4, §4.2; RFC 3030; RFC 3207; RFC 2033). */
#include <string.h>

#include "server_internal.h"

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
        mp_smtp_srv_bad_(s, 553, "5.6.7", "Non-ASCII address needs SMTPUTF8", e->code, off,
                         e->rule);
        return;
    case MP_ERR_UTF8:
        /* SMTPUTF8 was asked for, the address is not UTF-8 (RFC 3629) */
        mp_smtp_srv_bad_(s, 501, mail ? "5.1.7" : "5.1.3", "Address is not valid UTF-8", e->code,
                         off, e->rule);
        return;
    case MP_ERR_SMTP_TOO_MANY_PARAMS:
    case MP_ERR_SMTP_PARAM_DUP:
    case MP_ERR_SMTP_PARAM:
    case MP_ERR_SMTP_XTEXT:
        mp_smtp_srv_bad_(s, 501, "5.5.4", "Invalid parameter", e->code, off, e->rule);
        return;
    case MP_ERR_SMTP_PARAM_TOO_LONG:
        mp_smtp_srv_bad_(s, 501, "5.5.4", "Parameter value too long", e->code, off, e->rule);
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
                         MP_ERR_SMTP_UNKNOWN_COMMAND, off,
                         MP_RULE_(lmtp ? "RFC 2033 4.1" : "RFC 5321"));
        return;
    }
    /* EHLO in the middle of a session resets it (RFC 5321 §4.1.4). */
    mp_smtp_srv_reset_txn_(s, 1);
    mp_smtp_srv_decide_(s, MP_SMTP_DECIDE_HELO, cmd->verb, s->cb->on_helo, cmd);
}

static void cmd_mail(mp_smtp_server *s, const mp_smtp_cmd *cmd, uint64_t off)
{
    const mp_smtp_params *p = &cmd->params;
    if (s->state == MP_SMTP_SS_INIT) {
        mp_smtp_srv_bad_(s, 503, "5.5.1", "Send HELO/EHLO first", MP_ERR_SMTP_BAD_SEQUENCE, off,
                         MP_RULE_("RFC 5321 4.1.4"));
        return;
    }
    if (s->state != MP_SMTP_SS_READY) {
        mp_smtp_srv_bad_(s, 503, "5.5.1", "Nested MAIL command", MP_ERR_SMTP_BAD_SEQUENCE, off,
                         MP_RULE_("RFC 5321 4.1.4"));
        return;
    }
    if ((s->cfg->flags & MP_SMTP_SRV_AUTH_REQUIRED) && !s->authed) {
        mp_smtp_srv_bad_(s, 530, "5.7.0", "Authentication required", MP_ERR_SMTP_BAD_SEQUENCE,
                         off, MP_RULE_("RFC 4954 6"));
        return;
    }
    if (!params_allowed(s, cmd)) {
        mp_smtp_srv_bad_(s, 555, "5.5.4", "MAIL parameters not recognized or not implemented",
                         MP_ERR_SMTP_PARAM, off, MP_RULE_("RFC 5321 4.1.1.11"));
        return;
    }
    if ((p->present & MP_SMTP_P_SIZE) && s->cfg->max_size && p->size > s->cfg->max_size) {
        /* RFC 1870 §6.1: 552 when the declared size exceeds the limit. */
        mp_smtp_srv_report_(s, MP_ERR_SMTP_MESSAGE_TOO_BIG, off, MP_RULE_("RFC 1870 6"));
        mp_smtp_srv_say_(s, 552, "5.3.4", "Message size exceeds fixed maximum message size");
        return;
    }
    s->txn_utf8 = (p->present & MP_SMTP_P_SMTPUTF8) != 0;
    s->txn_body = p->body;
    mp_smtp_srv_decide_(s, MP_SMTP_DECIDE_MAIL, MP_SMTP_MAIL, s->cb->on_mail, cmd);
}

static void cmd_rcpt(mp_smtp_server *s, const mp_smtp_cmd *cmd, uint64_t off)
{
    unsigned max = s->cfg->max_rcpts && s->cfg->max_rcpts < MP_SMTP_MAX_RCPTS
                       ? s->cfg->max_rcpts
                       : MP_SMTP_MAX_RCPTS;
    if (s->state != MP_SMTP_SS_MAIL && s->state != MP_SMTP_SS_RCPT) {
        mp_smtp_srv_bad_(s, 503, "5.5.1", "Need MAIL before RCPT", MP_ERR_SMTP_BAD_SEQUENCE,
                         off, MP_RULE_("RFC 5321 4.1.4"));
        return;
    }
    if (!params_allowed(s, cmd)) {
        mp_smtp_srv_bad_(s, 555, "5.5.4", "RCPT parameters not recognized or not implemented",
                         MP_ERR_SMTP_PARAM, off, MP_RULE_("RFC 5321 4.1.1.11"));
        return;
    }
    if (s->nrcpt >= max) {
        /* RFC 5321 §4.5.3.1.10: 452 and the client tries the rest later. */
        mp_smtp_srv_report_(s, MP_ERR_SMTP_TOO_MANY_RCPTS, off, "MP_SMTP_MAX_RCPTS");
        mp_smtp_srv_say_(s, 452, "4.5.3", "Too many recipients");
        return;
    }
    mp_smtp_srv_decide_(s, MP_SMTP_DECIDE_RCPT, MP_SMTP_RCPT, s->cb->on_rcpt, cmd);
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
                         MP_RULE_("RFC 5321 3.3"));
        return;
    }
    if (s->state != MP_SMTP_SS_RCPT) {
        mp_smtp_srv_bad_(s, 503, "5.5.1",
                         s->state == MP_SMTP_SS_BDAT_NEXT ? "DATA not allowed after BDAT"
                                                         : "Need RCPT before DATA",
                         MP_ERR_SMTP_BAD_SEQUENCE, off, MP_RULE_("RFC 5321 4.1.4"));
        return;
    }
    if (s->txn_body == MP_SMTP_BODY_BINARYMIME) {
        mp_smtp_srv_bad_(s, 503, "5.5.1", "BINARYMIME needs BDAT", MP_ERR_SMTP_BAD_SEQUENCE, off,
                         MP_RULE_("RFC 3030 3"));
        return;
    }
    mp_smtp_srv_decide_(s, MP_SMTP_DECIDE_DATA, MP_SMTP_DATA, s->cb->on_data ? data_cb_adapter_ : NULL, NULL);
}

static void bdat_skip(mp_smtp_server *s, const mp_smtp_cmd *cmd, unsigned code, const char *esc,
                      const char *text, mp_status why, uint64_t off, const char *rule)
{
    mp_smtp_srv_bad_(s, code, esc, text, why, off, rule);
    if (s->state == MP_SMTP_SS_CLOSED)
        return;
    /* The chunk's bytes still come: skip them, never read them as
     * commands (docs/architecture.md §6). */
    s->ret_state = s->state;
    s->bdat_left = cmd->bdat_size;
    s->state = MP_SMTP_SS_BDAT_SKIP;
}

static void cmd_bdat(mp_smtp_server *s, const mp_smtp_cmd *cmd, uint64_t off)
{
    if (!(s->cfg->flags & MP_SMTP_SRV_CHUNKING)) {
        bdat_skip(s, cmd, 502, "5.5.1", "CHUNKING not offered", MP_ERR_SMTP_NOT_IMPLEMENTED, off,
                  MP_RULE_("RFC 3030"));
        return;
    }
    if (s->state != MP_SMTP_SS_RCPT && s->state != MP_SMTP_SS_BDAT_NEXT) {
        bdat_skip(s, cmd, 503, "5.5.1",
                  s->state == MP_SMTP_SS_MAIL ? "No valid recipients" : "Need RCPT before BDAT",
                  MP_ERR_SMTP_BAD_SEQUENCE, off, MP_RULE_("RFC 3030 2"));
        return;
    }
    if (s->cfg->max_size &&
        (cmd->bdat_size > s->cfg->max_size || s->msg_size > s->cfg->max_size - cmd->bdat_size)) {
        mp_smtp_srv_report_(s, MP_ERR_SMTP_MESSAGE_TOO_BIG, off, MP_RULE_("RFC 1870 6"));
        if (!cmd->bdat_last) {
            /* RFC 3030 §2: the message is too big; the transaction is
             * over, and chunks the client pipelined behind get 503 (it
             * must send no more).  The reply answers this chunk only. */
            mp_smtp_srv_say_(s, 552, "5.3.4", "Message size exceeds fixed maximum message size");
            mp_smtp_srv_reset_txn_(s, 1);
            s->ret_state = s->state;
            s->bdat_left = cmd->bdat_size;
            s->state = MP_SMTP_SS_BDAT_SKIP;
            return;
        }
        /* The last chunk ends the message: read it without delivering,
         * then refuse it like a DATA body over the limit (LMTP: one
         * reply per recipient, RFC 2033 §4.2). */
        s->body_bad = (uint8_t)MP_ERR_SMTP_MESSAGE_TOO_BIG;
    }
    s->bdat_left = cmd->bdat_size;
    s->bdat_chunk = cmd->bdat_size;
    s->bdat_last = cmd->bdat_last;
    s->state = MP_SMTP_SS_BDAT;
    if (s->bdat_left == 0)
        mp_smtp_srv_bdat_done_(s);
}

static void cmd_starttls(mp_smtp_server *s, uint64_t off)
{
    if (!(s->cfg->flags & MP_SMTP_SRV_STARTTLS)) {
        mp_smtp_srv_bad_(s, 502, "5.5.1", "Command not implemented", MP_ERR_SMTP_NOT_IMPLEMENTED,
                         off, MP_RULE_("RFC 3207"));
        return;
    }
    if (s->tls) {
        mp_smtp_srv_bad_(s, 503, "5.5.1", "TLS already active", MP_ERR_SMTP_BAD_SEQUENCE, off,
                         MP_RULE_("RFC 3207 4"));
        return;
    }
    if (s->state != MP_SMTP_SS_INIT && s->state != MP_SMTP_SS_READY) {
        mp_smtp_srv_bad_(s, 503, "5.5.1", "STARTTLS inside a transaction",
                         MP_ERR_SMTP_BAD_SEQUENCE, off, MP_RULE_("RFC 3207 4"));
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
                             MP_ERR_SMTP_BAD_SEQUENCE, off, MP_RULE_("RFC 3030 2"));
            return;
        }
    }
    mp_smtp_srv_decide_(s, d, cmd->verb, cb, cmd);
}

void mp_smtp_srv_on_line_(mp_smtp_server *s, mp_slice line, uint64_t off)
{
    mp_smtp_cmd cmd;
    mp_error e;
    unsigned flags = 0, f = s->cfg->flags;
    mp_status st;

    if (s->state == MP_SMTP_SS_AUTH) { /* only with s->auth */
        s->auth->line(s, line, off);
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
        mp_smtp_srv_report_(s, st, off, e.rule);
        mp_smtp_srv_say_host_(s, 421, "4.7.0", "HTTP is not spoken here, closing");
        mp_smtp_srv_close_(s);
        return;
    }
    if (st != MP_OK) {
        if (cmd.verb == MP_SMTP_BDAT) {
            /* The chunk size is unknown, so the stream cannot be kept in
             * sync: answer and close. */
            mp_smtp_srv_bad_(s, 501, "5.5.4", "Bad BDAT chunk size, closing", st, off + e.offset,
                             e.rule);
            mp_smtp_srv_close_(s);
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
                         off, MP_RULE_("RFC 3030 2"));
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
        mp_smtp_srv_close_(s);
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
        if (s->auth != NULL)
            s->auth->cmd(s, &cmd, off);
        else
            mp_smtp_srv_bad_(s, 502, "5.5.1", "AUTH not available", MP_ERR_SMTP_NOT_IMPLEMENTED,
                             off, MP_RULE_("RFC 4954"));
        break;
    default:
        mp_smtp_srv_bad_(s, 500, "5.5.1", "Command unrecognized", MP_ERR_SMTP_UNKNOWN_COMMAND,
                         off, MP_RULE_("RFC 5321"));
        break;
    }
}
