/* POP3 server session: APOP (RFC 1939 §7) and AUTH (RFC 5034) on
 * lib/sasl.  The SASL state is the host's (config->sasl); the decoded
 * response and the challenge live in scratch space at the end of the
 * host's line buffer, so the session itself stays small. */
#include <string.h>

#include "mailproto/crypto.h"
#include "mailproto/sasl.h"
#include "grammar.h"
#include "server_internal.h"
#include "../sasl/proto.h"

/* ----------------------------------------------------------------------- */
/* APOP                                                                    */
/* ----------------------------------------------------------------------- */

size_t mp_pop3s_timestamp_(const mp_pop3_server *s, char *buf)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0, i, h;
    if (!(s->cfg->flags & MP_POP3_SRV_APOP))
        return 0;
    if (s->cfg->apop_timestamp != NULL) {
        n = strlen(s->cfg->apop_timestamp);
        if (n > 95)
            return 0; /* init refuses it */
        memcpy(buf, s->cfg->apop_timestamp, n);
        return n;
    }
    /* "<16 hex digits@hostname>": unique per session with a good random
     * source, as RFC 1939 §7 asks. */
    buf[n++] = '<';
    for (i = 0; i < sizeof(s->stamp); i++) {
        buf[n++] = hex[s->stamp[i] >> 4];
        buf[n++] = hex[s->stamp[i] & 15u];
    }
    buf[n++] = '@';
    h = strlen(s->cfg->hostname);
    memcpy(buf + n, s->cfg->hostname, h);
    n += h;
    buf[n++] = '>';
    return n;
}

static unsigned hexval(char c)
{
    return c <= '9' ? (unsigned)(c - '0') : (unsigned)((c | 0x20) - 'a' + 10);
}

mp_status mp_pop3_server_apop_check(mp_pop3_server *s, const void *secret, size_t len)
{
    char ts[96];
    size_t tl, i;
    uint8_t want[16], got[16];
    int same;
    if (s->pending != MP_POP3_DECIDE_APOP)
        return MP_ERR_STATE;
    if (secret == NULL && len != 0)
        return MP_ERR_ARG;
    tl = mp_pop3s_timestamp_(s, ts);
    if (mp_pop3_apop_digest_(s->cfg->crypto, mp_slice_make(ts, tl),
                             mp_slice_make((const char *)secret, len), got) != MP_OK)
        return MP_ERR_UNSUPPORTED;
    for (i = 0; i < 16; i++)
        want[i] = (uint8_t)(hexval(s->digest[2 * i]) << 4 | hexval(s->digest[2 * i + 1]));
    same = mp_ct_equal(want, got, 16);
    mp_wipe(got, sizeof(got));
    return same ? MP_OK : MP_ERR_SASL_AUTH_FAILED;
}

#if MP_ENABLE_SASL

static char *scratch_resp(mp_pop3_server *s)
{
    return s->cfg->line_buf + s->cfg->line_cap - MP_POP3_SERVER_AUTH_SCRATCH;
}

static char *scratch_chal(mp_pop3_server *s) { return scratch_resp(s) + MP_SASL_MAX_MESSAGE; }

mp_status mp_pop3s_auth_init_(mp_pop3_server *s)
{
    const mp_pop3_server_config *cfg = s->cfg;
    if (cfg->sasl == NULL || cfg->auth_mechs == NULL)
        return MP_ERR_ARG;
    s->auth_set = mp_sasl_proto_mechs(cfg->auth_mechs);
    return s->auth_set ? MP_OK : MP_ERR_ARG;
}

/* Mechanisms that send the password or token readable: not in cleartext
 * when the host requires TLS (docs/security.md). */
uint32_t mp_pop3s_auth_offered_(const mp_pop3_server *s)
{
    if (!(s->cfg->flags & MP_POP3_SRV_AUTH))
        return 0;
    return mp_sasl_proto_offered(s->auth_set,
                                 s->tls || !(s->cfg->flags & MP_POP3_SRV_TLS_REQUIRED));
}

/* The exchange is over (either way). */
static void auth_end(mp_pop3_server *s, int ok)
{
    s->state = MP_POP3_SS_AUTHORIZATION;
    s->pending = MP_POP3_DECIDE_NONE;
    s->auth_early = 0;
    s->framer.max_line = s->cfg->limits.command_line ? s->cfg->limits.command_line
                                                     : MP_POP3_MAX_COMMAND_LINE;
    /* The scratch may hold a decoded password. */
    mp_wipe(scratch_resp(s), MP_POP3_SERVER_AUTH_SCRATCH);
    if (ok) {
        /* RFC 5034 §4: the maildrop is the host's to open now. */
        s->rq.name = s->cfg->sasl->authcid;
        mp_pop3s_ask_(s, MP_POP3_DECIDE_LOGIN);
    } else {
        mp_sasl_server_wipe(s->cfg->sasl);
    }
}

static void fail(mp_pop3_server *s, mp_pop3_code code, const char *text, mp_status why,
                 uint64_t off, const char *rule)
{
    auth_end(s, 0);
    mp_pop3s_bad_(s, code, text, why, off, rule);
}

/* Act on what a SASL step returned (RFC 5034 §4, §6 response codes). */
static void step_result(mp_pop3_server *s, mp_status st, size_t outlen, uint64_t off)
{
    switch (st) {
    case MP_NEED_MORE:
        if (mp_pop3_write_challenge(&s->out, scratch_chal(s), outlen) != MP_OK) {
            auth_end(s, 0);
            mp_pop3s_say_(s, 0, MP_POP3_CODE_SYS_TEMP, "Authentication unavailable");
            return;
        }
        s->state = MP_POP3_SS_AUTH;
        s->framer.max_line = MP_POP3_MAX_AUTH_LINE;
        s->auth_early = 2; /* a response in the same read came too early */
        return;
    case MP_PAUSED:
        s->state = MP_POP3_SS_AUTH;
        mp_pop3s_ask_(s, MP_POP3_DECIDE_AUTH);
        return;
    case MP_DONE:
        auth_end(s, 1);
        return;
    case MP_ERR_SASL_AUTH_FAILED:
        fail(s, MP_POP3_CODE_AUTH, "Authentication failed", MP_ERR_POP3_LOGIN_FAILED, off,
             "RFC 5034 4");
        return;
    case MP_ERR_SASL_CANCELLED:
        auth_end(s, 0);
        mp_pop3s_say_(s, 0, MP_POP3_CODE_NONE, "Authentication cancelled");
        return;
    case MP_ERR_SASL_TOO_LONG:
        fail(s, MP_POP3_CODE_NONE, "Authentication exchange too long", st, off, "RFC 5034 4");
        return;
    case MP_ERR_CRYPTO:
    case MP_ERR_NO_SPACE:
    case MP_ERR_STATE:
        auth_end(s, 0);
        mp_pop3s_say_(s, 0, MP_POP3_CODE_SYS_TEMP, "Authentication unavailable");
        return;
    default:
        fail(s, MP_POP3_CODE_NONE, "Malformed authentication response", st, off,
             s->cfg->sasl->err.rule ? s->cfg->sasl->err.rule : "RFC 5034 4");
        return;
    }
}

static void step(mp_pop3_server *s, const void *resp, size_t n, uint64_t off)
{
    size_t outlen = 0;
    mp_status st = mp_sasl_server_step(s->cfg->sasl, resp, n, scratch_chal(s),
                                       MP_SASL_MAX_MESSAGE, &outlen);
    step_result(s, st, outlen, off);
}

/* AUTH without a mechanism: the listing that pre-RFC 5034 clients ask for
 * (RFC 1734 servers answered it; harmless). */
static void list_mechs(mp_pop3_server *s)
{
    uint32_t set = mp_pop3s_auth_offered_(s);
    size_t m = mp_outbuf_mark(&s->out);
    unsigned i;
    mp_status st = mp_pop3s_say_(s, 1, MP_POP3_CODE_NONE, "Methods supported");
    for (i = 1; st == MP_OK && i < MP_SASL_MECH_COUNT; i++) {
        const mp_sasl_mech_info *mi = mp_sasl_mech_get((mp_sasl_mech)i);
        if ((set & MP_SASL_MECH_BIT(i)) && mi)
            st = mp_pop3_write_line(&s->out, mp_slice_make(mi->name, strlen(mi->name)));
    }
    if (st == MP_OK)
        st = mp_pop3_write_end(&s->out);
    if (st != MP_OK)
        mp_outbuf_rollback(&s->out, m);
}

void mp_pop3s_auth_cmd_(mp_pop3_server *s, const mp_pop3_cmd *cmd, uint64_t off)
{
    mp_sasl_mech mech;
    mp_status st;
    if (!(s->cfg->flags & MP_POP3_SRV_AUTH)) {
        mp_pop3s_bad_(s, MP_POP3_CODE_NONE, "Command not available", MP_ERR_POP3_NOT_OFFERED,
                      off, "RFC 5034");
        return;
    }
    if (!cmd->has_arg) {
        list_mechs(s);
        return;
    }
    mech = mp_sasl_mech_from_name(cmd->arg.ptr, cmd->arg.len);
    if (mech == MP_SASL_MECH_NONE || !(s->auth_set & MP_SASL_MECH_BIT(mech))) {
        mp_pop3s_bad_(s, MP_POP3_CODE_NONE, "Unsupported authentication mechanism",
                      MP_ERR_SASL_MECH, off, "RFC 5034 4");
        return;
    }
    if (!(mp_pop3s_auth_offered_(s) & MP_SASL_MECH_BIT(mech))) {
        mp_pop3s_bad_(s, MP_POP3_CODE_AUTH, "Cleartext login disallowed, use STLS first",
                      MP_ERR_TLS_REQUIRED, off, "RFC 2595 2.1");
        return;
    }
    st = mp_sasl_server_start(s->cfg->sasl, mech, s->cfg->crypto, s->cfg->sasl_cfg);
    if (st != MP_OK) {
        mp_pop3s_say_(s, 0, MP_POP3_CODE_SYS_TEMP, "Authentication unavailable");
        return;
    }
    s->state = MP_POP3_SS_AUTH;
    if (cmd->has_arg2) {
        size_t rl = 0;
        st = mp_sasl_decode_initial(cmd->arg2.ptr, cmd->arg2.len, scratch_resp(s),
                                    MP_SASL_MAX_MESSAGE, &rl);
        if (st != MP_OK) {
            step_result(s, st, 0, off);
            return;
        }
        step(s, scratch_resp(s), rl, off);
        return;
    }
    step(s, NULL, 0, off);
}

void mp_pop3s_auth_line_(mp_pop3_server *s, mp_slice line, uint64_t off)
{
    size_t rl = 0;
    mp_pop3_auth_line_kind kind;
    mp_slice data;
    mp_error e;
    mp_status st;
    if (s->auth_early == 1) {
        /* Credentials are never taken ahead of the challenge. */
        fail(s, MP_POP3_CODE_NONE, "Response sent before the challenge", MP_ERR_PROTOCOL, off,
             "RFC 5034 4");
        return;
    }
    st = mp_pop3_auth_line_parse(line.ptr, line.len, MP_POP3_MAX_AUTH_LINE, &kind, &data, &e);
    if (st == MP_OK && kind == MP_POP3_AUTH_CANCEL)
        st = MP_ERR_SASL_CANCELLED;
    else if (st == MP_OK)
        st = mp_sasl_decode_response(data.ptr, data.len, scratch_resp(s), MP_SASL_MAX_MESSAGE,
                                     &rl);
    if (st != MP_OK) {
        step_result(s, st, 0, off);
        return;
    }
    step(s, scratch_resp(s), rl, off);
}

void mp_pop3s_auth_abort_(mp_pop3_server *s, mp_status why, uint64_t off)
{
    fail(s, MP_POP3_CODE_NONE,
         why == MP_ERR_LINE_TOO_LONG ? "Authentication exchange too long"
                                     : "Malformed authentication response",
         why == MP_ERR_LINE_TOO_LONG ? MP_ERR_POP3_AUTH_TOO_LONG : why, off,
         why == MP_ERR_LINE_TOO_LONG ? "MP_POP3_MAX_AUTH_LINE" : "CRLF");
}

mp_status mp_pop3_server_auth_resume(mp_pop3_server *s)
{
    if (s->pending != MP_POP3_DECIDE_AUTH)
        return MP_ERR_STATE;
    s->pending = MP_POP3_DECIDE_NONE;
    step(s, NULL, 0, s->framer.pos);
    return MP_OK;
}

#else /* !MP_ENABLE_SASL */

mp_status mp_pop3s_auth_init_(mp_pop3_server *s)
{
    (void)s;
    return MP_ERR_UNSUPPORTED;
}

uint32_t mp_pop3s_auth_offered_(const mp_pop3_server *s)
{
    (void)s;
    return 0;
}

void mp_pop3s_auth_cmd_(mp_pop3_server *s, const mp_pop3_cmd *cmd, uint64_t off)
{
    (void)cmd;
    mp_pop3s_bad_(s, MP_POP3_CODE_NONE, "Command not available", MP_ERR_POP3_NOT_OFFERED, off,
                  "RFC 5034");
}

void mp_pop3s_auth_line_(mp_pop3_server *s, mp_slice line, uint64_t off)
{
    (void)line;
    (void)off;
    s->state = MP_POP3_SS_AUTHORIZATION;
}

void mp_pop3s_auth_abort_(mp_pop3_server *s, mp_status why, uint64_t off)
{
    (void)why;
    (void)off;
    s->state = MP_POP3_SS_AUTHORIZATION;
}

mp_status mp_pop3_server_auth_resume(mp_pop3_server *s)
{
    (void)s;
    return MP_ERR_STATE;
}

#endif
