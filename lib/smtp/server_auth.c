/* SMTP AUTH, server side (RFC 4954) on lib/sasl.  The SASL state is the
 * host's (config->sasl); the decoded response and the challenge live in
 * scratch space at the end of the host's line buffer, so the session
 * itself stays small. */
#include <string.h>

#include "server_internal.h"

#if MP_ENABLE_SASL
#include "mailproto/sasl.h"

#include "../sasl/proto.h"

static char *scratch_resp(mp_smtp_server *s)
{
    return s->cfg->line_buf + s->cfg->line_cap - MP_SMTP_SERVER_AUTH_SCRATCH;
}

static char *scratch_chal(mp_smtp_server *s) { return scratch_resp(s) + MP_SASL_MAX_MESSAGE; }

static mp_status auth_init(mp_smtp_server *s, const mp_smtp_server_config *cfg)
{
    if (cfg->sasl == NULL || cfg->auth_mechs == NULL)
        return MP_ERR_ARG;
    s->auth_set = mp_sasl_proto_mechs(cfg->auth_mechs);
    return s->auth_set ? MP_OK : MP_ERR_ARG;
}

/* Mechanisms that send a password or token readable: only under TLS
 * unless the host allows cleartext (docs/security.md). */
static mp_sasl_mech_set offered_set(const mp_smtp_server *s)
{
    if (!(s->cfg->flags & MP_SMTP_SRV_AUTH) || s->authed)
        return 0;
    if (!s->tls && (s->cfg->flags & MP_SMTP_SRV_AUTH_TLS_ONLY))
        return 0;
    return mp_sasl_proto_offered(s->auth_set,
                                 s->tls || (s->cfg->flags & MP_SMTP_SRV_AUTH_PLAINTEXT));
}

static size_t auth_caps(const mp_smtp_server *s, char *buf, size_t cap)
{
    mp_sasl_mech_set set = offered_set(s);
    const char *p = s->cfg->auth_mechs;
    size_t n = 0;
    if (set == 0 || cap < 5)
        return 0;
    memcpy(buf, "AUTH", 4);
    n = 4;
    /* In the host's order, each name once, only those offered now. */
    for (;;) {
        mp_slice name;
        mp_sasl_mech m = mp_sasl_proto_next_name(&p, &name);
        if (m == MP_SASL_MECH_COUNT)
            break;
        if (m != MP_SASL_MECH_NONE && (set & MP_SASL_MECH_BIT(m)) && n + 1 + name.len <= cap) {
            buf[n++] = ' ';
            memcpy(buf + n, name.ptr, name.len);
            n += name.len;
            set &= ~MP_SASL_MECH_BIT(m);
        }
    }
    return n > 4 ? n : 0;
}

/* The exchange is over (either way): back to commands. */
static void auth_end(mp_smtp_server *s, int ok)
{
    s->state = MP_SMTP_SS_READY;
    s->pending = MP_SMTP_DECIDE_NONE;
    s->auth_early = 0;
    s->framer.max_line = MP_SMTP_MAX_COMMAND_LINE;
    if (ok)
        s->authed = 1;
    else
        mp_sasl_server_wipe(s->cfg->sasl);
    /* The scratch may hold a decoded password. */
    memset(scratch_resp(s), 0, MP_SMTP_SERVER_AUTH_SCRATCH);
}

/* "334 " base64(challenge) — longer than a reply line is fine here
 * (RFC 4954 §4 allows 12288). */
static mp_status write_challenge(mp_smtp_server *s, const char *chal, size_t n)
{
    return mp_sasl_proto_challenge(&s->out, "334 ", chal, n);
}

static void temp_fail(mp_smtp_server *s)
{
    mp_smtp_srv_say_(s, 454, "4.7.0", "Temporary authentication failure");
    auth_end(s, 0);
}

/* Act on what a SASL step returned (RFC 4954 §4, §6 reply codes). */
static void step_result(mp_smtp_server *s, mp_status st, size_t outlen, uint64_t off)
{
    mp_sasl_server *sasl = s->cfg->sasl;
    switch (st) {
    case MP_NEED_MORE:
        if (write_challenge(s, scratch_chal(s), outlen) != MP_OK) {
            temp_fail(s);
            return;
        }
        s->state = MP_SMTP_SS_AUTH;
        s->framer.max_line = MP_SMTP_MAX_AUTH_LINE;
        s->auth_early = 2; /* a response in the same read came too early */
        return;
    case MP_PAUSED:
        s->state = MP_SMTP_SS_AUTH;
        s->pending = MP_SMTP_DECIDE_AUTH;
        s->in_callback = 1;
        if (s->cb->on_auth(s->user, s) != 0)
            s->aborted = 1;
        s->in_callback = 0;
        return;
    case MP_DONE:
        mp_smtp_srv_say_(s, 235, "2.7.0", "Authentication successful");
        auth_end(s, 1);
        return;
    case MP_ERR_SASL_AUTH_FAILED:
        mp_smtp_srv_bad_(s, 535, "5.7.8", "Authentication credentials invalid", st, off,
                         MP_RULE_("RFC 4954 6"));
        auth_end(s, 0);
        return;
    case MP_ERR_SASL_CANCELLED:
        mp_smtp_srv_say_(s, 501, "5.0.0", "Authentication cancelled");
        auth_end(s, 0);
        return;
    case MP_ERR_SASL_TOO_LONG:
        mp_smtp_srv_bad_(s, 500, "5.5.6", "Authentication exchange line is too long", st, off,
                         MP_RULE_("RFC 4954 4"));
        auth_end(s, 0);
        return;
    case MP_ERR_CRYPTO:
    case MP_ERR_NO_SPACE:
    case MP_ERR_STATE:
        temp_fail(s);
        return;
    default:
        mp_smtp_srv_bad_(s, 501, "5.5.2", "Malformed authentication response", st, off,
                         sasl->err.rule ? sasl->err.rule : MP_RULE_("RFC 4954 4"));
        auth_end(s, 0);
        return;
    }
}

static void step(mp_smtp_server *s, const void *resp, size_t n, uint64_t off)
{
    size_t outlen = 0;
    mp_status st = mp_sasl_proto_step(s->cfg->sasl, s->cb->on_auth != NULL, resp, n,
                                      scratch_chal(s), MP_SASL_MAX_MESSAGE, &outlen);
    step_result(s, st, outlen, off);
}

/* Decode a base64 response; errors end the exchange with their reply. */
static int decode(mp_smtp_server *s, mp_status st, uint64_t off)
{
    if (st == MP_OK)
        return 1;
    if (st == MP_ERR_BASE64) {
        mp_smtp_srv_bad_(s, 501, "5.5.2", "Cannot decode response", st, off, MP_RULE_("RFC 4648"));
        auth_end(s, 0);
    } else {
        step_result(s, st, 0, off); /* cancel, too long: ends the exchange */
    }
    return 0;
}

static void auth_cmd(mp_smtp_server *s, const mp_smtp_cmd *cmd, uint64_t off)
{
    unsigned f = s->cfg->flags;
    mp_sasl_mech mech;
    mp_status st;
    if (!(f & MP_SMTP_SRV_AUTH)) {
        mp_smtp_srv_bad_(s, 502, "5.5.1", "AUTH not available", MP_ERR_SMTP_NOT_IMPLEMENTED, off,
                         MP_RULE_("RFC 4954"));
        return;
    }
    if (s->authed) {
        mp_smtp_srv_bad_(s, 503, "5.5.1", "Already authenticated", MP_ERR_SMTP_BAD_SEQUENCE, off,
                         MP_RULE_("RFC 4954 4"));
        return;
    }
    if (s->state != MP_SMTP_SS_READY || !s->ehlo) {
        mp_smtp_srv_bad_(s, 503, "5.5.1",
                         s->state == MP_SMTP_SS_READY || s->state == MP_SMTP_SS_INIT
                             ? "Send EHLO first"
                             : "AUTH not allowed in a mail transaction",
                         MP_ERR_SMTP_BAD_SEQUENCE, off, MP_RULE_("RFC 4954 4"));
        return;
    }
    mech = mp_sasl_mech_from_name(cmd->arg.ptr, cmd->arg.len);
    if (mech == MP_SASL_MECH_NONE || !(s->auth_set & MP_SASL_MECH_BIT(mech))) {
        mp_smtp_srv_bad_(s, 504, "5.5.4", "Unrecognized authentication type", MP_ERR_SASL_MECH,
                         off, MP_RULE_("RFC 4954 4"));
        return;
    }
    if (!(offered_set(s) & MP_SASL_MECH_BIT(mech))) {
        /* A cleartext password mechanism without TLS: never take it. */
        mp_smtp_srv_bad_(s, 538, "5.7.11", "Encryption required for requested authentication mechanism",
                         MP_ERR_TLS_REQUIRED, off, MP_RULE_("RFC 4954 6"));
        return;
    }
    st = mp_sasl_server_start(s->cfg->sasl, mech, s->cfg->crypto, s->cfg->sasl_cfg);
    if (st != MP_OK) {
        mp_smtp_srv_say_(s, 454, "4.7.0", "Temporary authentication failure");
        return;
    }
    s->state = MP_SMTP_SS_AUTH;
    if (cmd->has_arg2) {
        size_t rl = 0;
        st = mp_sasl_decode_initial(cmd->arg2.ptr, cmd->arg2.len, scratch_resp(s),
                                    MP_SASL_MAX_MESSAGE, &rl);
        if (!decode(s, st, off))
            return;
        step(s, scratch_resp(s), rl, off);
        return;
    }
    step(s, NULL, 0, off);
}

static void auth_line(mp_smtp_server *s, mp_slice line, uint64_t off)
{
    size_t rl = 0;
    mp_status st;
    if (s->auth_early == 1) {
        /* Credentials are never taken ahead of the challenge (docs/security.md). */
        mp_smtp_srv_bad_(s, 501, "5.5.0", "Response sent before the challenge",
                         MP_ERR_PROTOCOL, off, MP_RULE_("RFC 4954 4"));
        auth_end(s, 0);
        return;
    }
    st = mp_sasl_decode_response(line.ptr, line.len, scratch_resp(s), MP_SASL_MAX_MESSAGE, &rl);
    if (!decode(s, st, off))
        return;
    step(s, scratch_resp(s), rl, off);
}

static void auth_abort(mp_smtp_server *s, mp_status why, uint64_t off)
{
    if (why == MP_ERR_LINE_TOO_LONG)
        mp_smtp_srv_bad_(s, 500, "5.5.6", "Authentication exchange line is too long", why, off,
                         "MP_SMTP_MAX_AUTH_LINE");
    else
        mp_smtp_srv_bad_(s, 501, "5.5.2", "Cannot decode response", why, off, "CRLF");
    auth_end(s, 0);
}

mp_status mp_smtp_server_auth_resume(mp_smtp_server *s)
{
    if (s->pending != MP_SMTP_DECIDE_AUTH)
        return MP_ERR_STATE;
    s->pending = MP_SMTP_DECIDE_NONE;
    step(s, NULL, 0, s->framer.pos);
    return MP_OK;
}

const struct mp_smtp_srv_auth_ops_ mp_smtp_srv_sasl_auth_ = {
    auth_init, auth_caps, auth_cmd, auth_line,
    auth_abort
};

#else /* !MP_ENABLE_SASL: mp_smtp_server_init offers no AUTH */

mp_status mp_smtp_server_auth_resume(mp_smtp_server *s)
{
    (void)s;
    return MP_ERR_STATE;
}

#endif
