/* POP3 server session: commands by state (RFC 1939 §4-§6, RFC 2449 §5,
 * RFC 2595 §4, RFC 6856 §2) and the CAPA answer built from the config. */
#include <string.h>

#include "mailproto/sasl.h"
#include "server_internal.h"

int mp_pop3s_user_ok_(const mp_pop3_server *s)
{
    unsigned f = s->cfg->flags;
    return !(f & MP_POP3_SRV_NO_USER) && (s->tls || !(f & MP_POP3_SRV_TLS_REQUIRED));
}

static int stls_offered(const mp_pop3_server *s)
{
    return (s->cfg->flags & MP_POP3_SRV_STLS) && !s->tls;
}

/* RFC 2449 §5: what this server offers now (USER, SASL and STLS depend
 * on TLS; after login LOGIN-DELAY and EXPIRE stay as configured). */
static mp_status write_capa(mp_pop3_server *s)
{
    const mp_pop3_server_config *c = s->cfg;
    mp_pop3_caps caps;
    size_t m = mp_outbuf_mark(&s->out);
    mp_status st;
    mp_pop3_caps_init(&caps);
    caps.flags = MP_POP3_CAP_TOP | MP_POP3_CAP_UIDL | MP_POP3_CAP_RESP_CODES |
                 MP_POP3_CAP_PIPELINING | MP_POP3_CAP_AUTH_RESP_CODE;
    if (mp_pop3s_user_ok_(s))
        caps.flags |= MP_POP3_CAP_USER;
    caps.sasl = mp_pop3s_auth_offered_(s);
    if (caps.sasl)
        caps.flags |= MP_POP3_CAP_SASL;
    if (c->login_delay) {
        caps.flags |= MP_POP3_CAP_LOGIN_DELAY;
        caps.login_delay = c->login_delay;
    }
    if (c->expire) {
        caps.flags |= MP_POP3_CAP_EXPIRE;
        caps.expire = c->expire == MP_POP3_SRV_EXPIRE_ZERO ? 0u : c->expire;
    }
    if (c->implementation)
        caps.flags |= MP_POP3_CAP_IMPLEMENTATION;
    if (stls_offered(s) && s->state == MP_POP3_SS_AUTHORIZATION)
        caps.flags |= MP_POP3_CAP_STLS;
    if (c->flags & MP_POP3_SRV_UTF8)
        caps.flags |= MP_POP3_CAP_UTF8;
    st = mp_pop3s_say_(s, 1, MP_POP3_CODE_NONE, "Capability list follows");
    if (st == MP_OK)
        st = mp_pop3_write_capa(&s->out, &caps,
                                c->implementation
                                    ? mp_slice_make(c->implementation, strlen(c->implementation))
                                    : mp_slice_make(NULL, 0));
    if (st == MP_OK)
        st = mp_pop3_write_end(&s->out);
    if (st != MP_OK)
        mp_outbuf_rollback(&s->out, m);
    return st;
}

static void not_now(mp_pop3_server *s, const char *text, uint64_t off)
{
    mp_pop3s_bad_(s, MP_POP3_CODE_NONE, text, MP_ERR_POP3_BAD_SEQUENCE, off, "RFC 1939 3");
}

static void not_offered(mp_pop3_server *s, uint64_t off)
{
    mp_pop3s_bad_(s, MP_POP3_CODE_NONE, "Command not available", MP_ERR_POP3_NOT_OFFERED, off,
                  "RFC 2449 5");
}

/* The answer to a command that does not parse (RFC 1939 §3: -ERR, and the
 * session goes on). */
static void parse_error(mp_pop3_server *s, mp_status st, const mp_error *e)
{
    const char *t;
    switch (st) {
    case MP_ERR_POP3_UNKNOWN_COMMAND:
        t = "Unknown command";
        break;
    case MP_ERR_POP3_NUMBER:
        t = "Invalid message number";
        break;
    case MP_ERR_POP3_ARG_TOO_LONG:
        t = "Argument too long";
        break;
    case MP_ERR_LINE_TOO_LONG:
        t = "Line too long";
        break;
    case MP_ERR_BASE64:
        t = "Invalid base64";
        break;
    case MP_ERR_8BIT:
    case MP_ERR_UTF8:
        t = "8-bit text not allowed here";
        break;
    default:
        t = "Syntax error";
        break;
    }
    mp_pop3s_bad_(s, MP_POP3_CODE_NONE, t, st, e->offset, e->rule);
}

/* A message number the maildrop holds (RFC 1939 §5: deleted ones are the
 * host's to refuse). */
static int msg_ok(mp_pop3_server *s, uint32_t msgno, uint64_t off)
{
    if (msgno <= s->count)
        return 1;
    mp_pop3s_report_(s, MP_ERR_POP3_NO_SUCH_MESSAGE, off, "RFC 1939 5");
    mp_pop3s_say_(s, 0, MP_POP3_CODE_NONE, "No such message");
    return 0;
}

static void authorization(mp_pop3_server *s, const mp_pop3_cmd *c, uint64_t off)
{
    unsigned f = s->cfg->flags;
    switch (c->verb) {
    case MP_POP3_USER:
        if (f & MP_POP3_SRV_NO_USER) {
            not_offered(s, off);
        } else if (!mp_pop3s_user_ok_(s)) {
            mp_pop3s_bad_(s, MP_POP3_CODE_AUTH, "Cleartext login disallowed, use STLS first",
                          MP_ERR_TLS_REQUIRED, off, "RFC 2595 2.1");
        } else {
            s->rq.name = c->arg;
            mp_pop3s_ask_(s, MP_POP3_DECIDE_USER);
        }
        return;
    case MP_POP3_PASS:
        if (s->state != MP_POP3_SS_USER) {
            not_now(s, "Send USER first", off);
            return;
        }
        s->rq.secret = c->arg;
        mp_pop3s_ask_(s, MP_POP3_DECIDE_PASS);
        return;
    case MP_POP3_APOP:
        if (!(f & MP_POP3_SRV_APOP)) {
            not_offered(s, off);
            return;
        }
        s->rq.name = c->arg;
        s->rq.secret = c->arg2;
        memcpy(s->digest, c->arg2.ptr, sizeof(s->digest)); /* 32 hex: parsed */
        mp_pop3s_ask_(s, MP_POP3_DECIDE_APOP);
        return;
    case MP_POP3_AUTH:
        mp_pop3s_auth_cmd_(s, c, off);
        return;
    case MP_POP3_STLS:
        if (!stls_offered(s)) {
            not_offered(s, off);
            return;
        }
        mp_pop3s_say_(s, 1, MP_POP3_CODE_NONE, "Begin TLS negotiation");
        s->state = MP_POP3_SS_TLS;
        return;
    case MP_POP3_UTF8:
        if (!(f & MP_POP3_SRV_UTF8)) {
            not_offered(s, off);
            return;
        }
        s->utf8 = 1;
        mp_pop3s_say_(s, 1, MP_POP3_CODE_NONE, "UTF8 enabled");
        return;
    case MP_POP3_LANG:
        not_offered(s, off);
        return;
    default:
        not_now(s, "Not logged in", off);
        return;
    }
}

static void transaction(mp_pop3_server *s, const mp_pop3_cmd *c, uint64_t off)
{
    switch (c->verb) {
    case MP_POP3_STAT:
        mp_pop3s_ask_(s, MP_POP3_DECIDE_STAT);
        return;
    case MP_POP3_LIST:
    case MP_POP3_UIDL: {
        mp_pop3_decision d = c->verb == MP_POP3_LIST ? MP_POP3_DECIDE_LIST : MP_POP3_DECIDE_UIDL;
        if (c->has_arg && !msg_ok(s, c->msgno, off))
            return;
        s->rq.msgno = c->has_arg ? c->msgno : 0u;
        s->rq.decision = d;
        if (mp_pop3s_listing_each_(s))
            return;
        mp_pop3s_ask_(s, d);
        return;
    }
    case MP_POP3_RETR:
    case MP_POP3_TOP:
    case MP_POP3_DELE:
        if (!msg_ok(s, c->msgno, off))
            return;
        s->rq.msgno = c->msgno;
        s->rq.lines = c->lines;
        mp_pop3s_ask_(s, c->verb == MP_POP3_RETR  ? MP_POP3_DECIDE_RETR
                         : c->verb == MP_POP3_TOP ? MP_POP3_DECIDE_TOP
                                                  : MP_POP3_DECIDE_DELE);
        return;
    case MP_POP3_NOOP:
        mp_pop3s_say_(s, 1, MP_POP3_CODE_NONE, "");
        return;
    case MP_POP3_RSET:
        mp_pop3s_ask_(s, MP_POP3_DECIDE_RSET);
        return;
    case MP_POP3_QUIT:
        /* RFC 1939 §6: the UPDATE state; only here does anything commit. */
        mp_pop3s_ask_(s, MP_POP3_DECIDE_UPDATE);
        return;
    default:
        not_now(s, "Already logged in", off);
        return;
    }
}

void mp_pop3s_on_line_(mp_pop3_server *s, mp_slice line, uint64_t off)
{
    mp_pop3_cmd c;
    mp_error e;
    unsigned flags = (s->utf8 ? MP_POP3_CMD_UTF8 : 0u) |
                     ((s->cfg->flags & MP_POP3_SRV_LAX) ? MP_POP3_CMD_LAX : 0u);
    mp_status st;
    if (s->state == MP_POP3_SS_AUTH) {
        mp_pop3s_auth_line_(s, line, off);
        return;
    }
    memset(&s->rq, 0, sizeof(s->rq));
    st = mp_pop3_cmd_parse(line.ptr, line.len, flags, &s->cfg->limits, &c, &e);
    if (st != MP_OK) {
        e.offset += off;
        parse_error(s, st, &e);
        return;
    }
    switch (c.verb) {
    case MP_POP3_CAPA:
        write_capa(s);
        return;
    case MP_POP3_QUIT:
        if (s->state != MP_POP3_SS_TRANSACTION) {
            char bye[MP_POP3S_BYE_CAP];
            mp_pop3s_say_(s, 1, MP_POP3_CODE_NONE, mp_pop3s_bye_(s, bye));
            mp_pop3s_close_(s);
            return;
        }
        break;
    default:
        break;
    }
    if (s->state == MP_POP3_SS_TRANSACTION)
        transaction(s, &c, off);
    else
        authorization(s, &c, off);
}
