/* IMAP server logins (RFC 9051 §6.2.2, §6.2.3, RFC 4959 SASL-IR) on
 * lib/sasl.  LOGIN runs as a SASL PLAIN exchange, so the host checks
 * every password in one place (on_auth).  The SASL state is the host's
 * (config->sasl); the decoded response and the challenge live at the end
 * of the host's buffer. */
#include <string.h>

#include "server_internal.h"

int mp_imaps_login_ok(const mp_imap_server *s)
{
    unsigned f = s->cfg->flags;
    return (f & MP_IMAP_SRV_LOGIN) &&
           (s->tls || ((f & MP_IMAP_SRV_AUTH_PLAINTEXT) && !(f & MP_IMAP_SRV_REQUIRE_TLS)));
}

#if MP_ENABLE_SASL
#include "mailproto/sasl.h"

#include "../sasl/proto.h"

static char *scratch_resp(mp_imap_server *s)
{
    return s->cfg->buf + s->cfg->buf_cap - MP_IMAP_SERVER_AUTH_SCRATCH;
}

static char *scratch_chal(mp_imap_server *s) { return scratch_resp(s) + MP_SASL_MAX_MESSAGE; }

mp_status mp_imaps_auth_init(mp_imap_server *s)
{
    const mp_imap_server_config *cfg = s->cfg;
    if (cfg->sasl == NULL)
        return MP_ERR_ARG;
    if (cfg->auth_mechs == NULL)
        return MP_OK;
    s->auth_set = mp_sasl_proto_mechs(cfg->auth_mechs);
    return s->auth_set ? MP_OK : MP_ERR_ARG;
}

/* A mechanism that shows the password or a token goes only under TLS,
 * unless the host allows cleartext and does not require TLS. */
static int mech_ok(const mp_imap_server *s, mp_sasl_mech m)
{
    unsigned f = s->cfg->flags;
    int clear = s->tls || ((f & MP_IMAP_SRV_AUTH_PLAINTEXT) && !(f & MP_IMAP_SRV_REQUIRE_TLS));
    return m != MP_SASL_MECH_NONE && m < MP_SASL_MECH_COUNT &&
           (mp_sasl_proto_offered(s->auth_set, clear) & MP_SASL_MECH_BIT(m)) != 0;
}

void mp_imaps_auth_caps(mp_imap_server *s, mp_outbuf *ob)
{
    const char *p = s->cfg->auth_mechs;
    mp_sasl_mech_set done = 0;
    int any = 0;
    if (p == NULL)
        return;
    /* in the host's order, each name once, only those offered now */
    for (;;) {
        mp_slice name;
        mp_sasl_mech m = mp_sasl_proto_next_name(&p, &name);
        if (m == MP_SASL_MECH_COUNT)
            break;
        if (mech_ok(s, m) && !(done & MP_SASL_MECH_BIT(m))) {
            mp_outbuf_puts(ob, " AUTH=");
            mp_outbuf_put(ob, name.ptr, name.len);
            done |= MP_SASL_MECH_BIT(m);
            any = 1;
        }
    }
    if (any && (s->cfg->flags & MP_IMAP_SRV_SASL_IR))
        mp_outbuf_puts(ob, " SASL-IR");
}

void mp_imaps_auth_arg(mp_imap_server *s, const mp_imap_cmd_arg *a)
{
    char *r = scratch_resp(s);
    if (s->cmd == MP_IMAP_CMD_LOGIN) {
        /* PLAIN's message: NUL user NUL password (RFC 4616) */
        size_t have = s->arg_n == 0 ? 0 : 1u + s->login_len[0];
        if (a->kind != MP_IMAP_CA_STRING || s->arg_n > 1 ||
            have + 1u + a->text.len > MP_SASL_MAX_MESSAGE) {
            s->bad_arg = 1;
            return;
        }
        r[have] = '\0';
        memcpy(r + have + 1, a->text.ptr, a->text.len);
        s->login_len[s->arg_n] = (uint16_t)a->text.len;
        return;
    }
    if (s->arg_n == 0 && a->kind == MP_IMAP_CA_ATOM) {
        s->mech = (uint8_t)mp_sasl_mech_from_name(a->text.ptr, a->text.len);
    } else if (s->arg_n == 1 && a->kind == MP_IMAP_CA_BASE64 &&
               (s->cfg->flags & MP_IMAP_SRV_SASL_IR)) {
        size_t rl = 0;
        if (mp_sasl_decode_initial(a->text.ptr, a->text.len, r, MP_SASL_MAX_MESSAGE, &rl) !=
            MP_OK) {
            s->bad_arg = 1;
            return;
        }
        s->login_len[0] = (uint16_t)rl;
        s->ir = 1;
    } else {
        s->bad_arg = 1; /* an initial response without SASL-IR */
    }
}

void mp_imaps_auth_end(mp_imap_server *s, int ok)
{
    s->auth_cmd = 0;
    s->pending = MP_IMAP_DECIDE_NONE;
    s->cmd = 0;
    if (!ok)
        mp_sasl_server_wipe(s->cfg->sasl);
    /* the scratch may hold a decoded password */
    memset(scratch_resp(s), 0, MP_IMAP_SERVER_AUTH_SCRATCH);
}

static void fail(mp_imap_server *s, mp_imap_resp_kind kind, const char *code, const char *text,
                 mp_status why, uint64_t off)
{
    mp_imaps_bad(s, s->tag, kind, code, text, why, off, MP_RULE_("RFC 9051 6.2.2"));
    mp_imaps_auth_end(s, 0);
}

static void step_result(mp_imap_server *s, mp_status st, size_t outlen, uint64_t off)
{
    switch (st) {
    case MP_NEED_MORE:
        /* "+ " base64(challenge): the client answers on a line of its own */
        if (s->auth_cmd == 1 ||
            mp_sasl_proto_challenge(&s->out, "+ ", scratch_chal(s), outlen) != MP_OK) {
            fail(s, MP_IMAP_RESP_NO, "UNAVAILABLE", "Temporary authentication failure", st, off);
            return;
        }
        mp_imap_cmd_parser_set_mode(&s->parser, MP_IMAP_CMD_MODE_AUTH);
        s->chal_unsent = s->out.len; /* a response before this is sent is early */
        return;
    case MP_PAUSED:
        s->pending = MP_IMAP_DECIDE_AUTH;
        s->in_cb = 1;
        if (s->cb->on_auth(s->user, s) != 0)
            s->aborted = 1;
        s->in_cb = 0;
        return;
    case MP_DONE:
        mp_imaps_logged_in(s);
        mp_imaps_ok_caps(s, s->auth_cmd == 1 ? "LOGIN completed" : "AUTHENTICATE completed");
        mp_imaps_auth_end(s, 1);
        return;
    case MP_ERR_SASL_AUTH_FAILED:
        fail(s, MP_IMAP_RESP_NO, "AUTHENTICATIONFAILED", "Authentication failed", st, off);
        return;
    case MP_ERR_SASL_CANCELLED:
        fail(s, MP_IMAP_RESP_BAD, NULL, "Authentication cancelled", st, off);
        return;
    case MP_ERR_CRYPTO:
    case MP_ERR_NO_SPACE:
    case MP_ERR_STATE:
        fail(s, MP_IMAP_RESP_NO, "UNAVAILABLE", "Temporary authentication failure", st, off);
        return;
    default:
        if (s->auth_cmd == 1)
            fail(s, MP_IMAP_RESP_NO, "AUTHENTICATIONFAILED", "Authentication failed", st, off);
        else
            fail(s, MP_IMAP_RESP_BAD, NULL, "Malformed authentication response", st, off);
        return;
    }
}

static void step(mp_imap_server *s, const void *resp, size_t n, uint64_t off)
{
    size_t outlen = 0;
    mp_status st = mp_sasl_proto_step(s->cfg->sasl, s->cb->on_auth != NULL, resp, n,
                                      scratch_chal(s), MP_SASL_MAX_MESSAGE, &outlen);
    step_result(s, st, outlen, off);
}

void mp_imaps_auth_run(mp_imap_server *s, uint64_t off)
{
    mp_sasl_mech m = s->cmd == MP_IMAP_CMD_LOGIN ? MP_SASL_PLAIN : (mp_sasl_mech)s->mech;
    size_t n = s->login_len[0];
    if (s->cmd == MP_IMAP_CMD_LOGIN) {
        n = 2u + s->login_len[0] + s->login_len[1];
    } else if (m == MP_SASL_MECH_NONE || !(s->auth_set & MP_SASL_MECH_BIT(m))) {
        mp_imaps_bad(s, s->tag, MP_IMAP_RESP_NO, NULL, "Unsupported authentication mechanism",
                     MP_ERR_SASL_MECH, off, MP_RULE_("RFC 9051 6.2.2"));
        return;
    } else if (!mech_ok(s, m)) {
        mp_imaps_bad(s, s->tag, MP_IMAP_RESP_NO, "PRIVACYREQUIRED",
                     "Mechanism not allowed without TLS", MP_ERR_IMAP_SRV_PRIVACY, off,
                     MP_RULE_("RFC 9051 6.2.2"));
        return;
    }
    s->auth_cmd = s->cmd == MP_IMAP_CMD_LOGIN ? 1 : 2;
    if (mp_sasl_server_start(s->cfg->sasl, m, s->cfg->crypto, s->cfg->sasl_cfg) != MP_OK) {
        fail(s, MP_IMAP_RESP_NO, "UNAVAILABLE", "Temporary authentication failure",
             MP_ERR_SASL_MECH, off);
        return;
    }
    if (s->cmd == MP_IMAP_CMD_LOGIN || s->ir)
        step(s, scratch_resp(s), n, off);
    else
        step(s, NULL, 0, off);
}

void mp_imaps_auth_line(mp_imap_server *s, mp_slice line, int cancel, uint64_t off)
{
    size_t rl = 0;
    if (s->auth_cmd == 0)
        return;
    if (cancel) {
        fail(s, MP_IMAP_RESP_BAD, NULL, "Authentication cancelled", MP_ERR_SASL_CANCELLED, off);
        return;
    }
    if (s->chal_unsent > 0) {
        /* credentials are never taken ahead of their challenge
         * (docs/security.md) */
        fail(s, MP_IMAP_RESP_BAD, NULL, "Response sent before the challenge",
             MP_ERR_IMAP_SRV_AUTH_EARLY, off);
        return;
    }
    if (mp_sasl_decode_response(line.ptr, line.len, scratch_resp(s), MP_SASL_MAX_MESSAGE, &rl) !=
        MP_OK) {
        fail(s, MP_IMAP_RESP_BAD, NULL, "Cannot decode response", MP_ERR_BASE64, off);
        return;
    }
    step(s, scratch_resp(s), rl, off);
}

mp_status mp_imap_server_auth_resume(mp_imap_server *s)
{
    if (s->pending != MP_IMAP_DECIDE_AUTH)
        return MP_ERR_STATE;
    s->pending = MP_IMAP_DECIDE_NONE;
    step(s, NULL, 0, s->parser.err.offset);
    return MP_OK;
}

#else /* !MP_ENABLE_SASL */

mp_status mp_imaps_auth_init(mp_imap_server *s)
{
    (void)s;
    return MP_ERR_UNSUPPORTED;
}

void mp_imaps_auth_caps(mp_imap_server *s, mp_outbuf *ob)
{
    (void)s;
    (void)ob;
}

void mp_imaps_auth_arg(mp_imap_server *s, const mp_imap_cmd_arg *a)
{
    (void)a;
    s->bad_arg = 1;
}

void mp_imaps_auth_end(mp_imap_server *s, int ok)
{
    (void)ok;
    s->auth_cmd = 0;
    s->cmd = 0;
}

void mp_imaps_auth_run(mp_imap_server *s, uint64_t off)
{
    (void)off;
    mp_imaps_say(s, s->tag, MP_IMAP_RESP_NO, NULL, "Authentication not available");
}

void mp_imaps_auth_line(mp_imap_server *s, mp_slice line, int cancel, uint64_t off)
{
    (void)line;
    (void)cancel;
    (void)off;
    s->auth_cmd = 0;
}

mp_status mp_imap_server_auth_resume(mp_imap_server *s)
{
    (void)s;
    return MP_ERR_STATE;
}

#endif
