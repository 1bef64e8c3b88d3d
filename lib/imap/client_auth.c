/* IMAP client session: LOGIN (RFC 9051 §6.2.3) and AUTHENTICATE (§6.2.2,
 * RFC 4959 SASL-IR) driven by a SASL client (lib/sasl).  Credentials
 * never go in cleartext when TLS is required or the server says
 * LOGINDISABLED (docs/security.md); a SCRAM success counts only with the
 * server's proof (RFC 5802 §5). */
#include <string.h>

#include "mailproto/sasl.h"
#include "client_internal.h"

/* May a password (or a bearer token) be sent readable now? */
static mp_status cleartext_ok(const mp_imap_client *c)
{
    if (c->secure)
        return MP_OK;
    if (c->cfg->tls == MP_IMAP_TLS_REQUIRED)
        return MP_ERR_TLS_REQUIRED;
    /* RFC 9051 §6.2.3: the client MUST NOT send LOGIN then. */
    if ((c->caps.flags & MP_IMAP_CAP_LOGINDISABLED) &&
        !(c->cfg->flags & MP_IMAP_CLIENT_CLEARTEXT_OK))
        return MP_ERR_UNSUPPORTED;
    return MP_OK;
}

typedef struct login_args {
    mp_slice user, password;
} login_args;

static mp_status wr_login(mp_imap_writer *w, const char *tag, const void *arg)
{
    const login_args *a = arg;
    return mp_imap_write_login(w, tag, a->user, a->password);
}

/* The common part: state, credentials rule, then the command. */
static mp_status start(mp_imap_client *c, mp_imap_cmd_id id, mp_imapc_write_fn fn,
                       const void *arg, int readable, uint32_t *cmd)
{
    mp_status st = mp_imapc_check(c, K_NOT_AUTH, 1);
    if (st != MP_OK)
        return st;
    if (c->state != MP_IMAP_ST_NOT_AUTHENTICATED)
        return MP_ERR_STATE;
    if (readable && (st = cleartext_ok(c)) != MP_OK)
        return st;
    st = mp_imapc_issue(c, id, QF_BARRIER, fn, arg, cmd);
    if (st != MP_OK)
        return st;
    c->got_caps = 0;
    c->state = MP_IMAP_ST_AUTHENTICATING;
    return MP_OK;
}

mp_status mp_imap_client_login(mp_imap_client *c, mp_slice user, mp_slice password,
                               uint32_t *cmd)
{
    login_args a;
    a.user = user;
    a.password = password;
    return start(c, MP_IMAP_CMD_LOGIN, wr_login, &a, 1, cmd);
}

typedef struct auth_args {
    const char *mech;
    const char *ir; /* NULL: none */
    size_t ir_len;
} auth_args;

static const struct mp_imapc_auth_ops_ sasl_ops;

static mp_status wr_authenticate(mp_imap_writer *w, const char *tag, const void *arg)
{
    const auth_args *a = arg;
    return mp_imap_write_authenticate(w, tag, a->mech, a->ir, a->ir_len);
}

mp_status mp_imap_client_authenticate(mp_imap_client *c, struct mp_sasl_client *sasl,
                                      uint32_t *cmd)
{
    const mp_sasl_mech_info *mi;
    auth_args a;
    mp_status st;
    if (sasl == NULL || c->cfg->auth_buf == NULL)
        return MP_ERR_ARG;
    mi = mp_sasl_mech_get((mp_sasl_mech)sasl->mech);
    if (mi == NULL)
        return MP_ERR_SASL_MECH;
    st = mp_imapc_check(c, K_NOT_AUTH, 1);
    if (st != MP_OK)
        return st;
    if (c->state != MP_IMAP_ST_NOT_AUTHENTICATED)
        return MP_ERR_STATE;
    if (!(c->caps.auth & MP_SASL_MECH_BIT(sasl->mech)))
        return MP_ERR_UNSUPPORTED;
    a.mech = mi->name;
    a.ir = NULL;
    a.ir_len = 0;
    /* RFC 4959 §3: the initial response on the command line. */
    if ((mi->flags & MP_SASL_MECH_CLIENT_FIRST) && (c->caps.flags & MP_IMAP_CAP_SASL_IR) &&
        !(c->cfg->flags & MP_IMAP_CLIENT_NO_SASL_IR)) {
        size_t n = 0;
        st = mp_sasl_client_initial(sasl, c->cfg->auth_buf, MP_SASL_MAX_MESSAGE, &n);
        if (st != MP_NEED_MORE && st != MP_DONE)
            return st;
        a.ir = c->cfg->auth_buf;
        a.ir_len = n;
    }
    st = start(c, MP_IMAP_CMD_AUTHENTICATE, wr_authenticate, &a,
               (mi->flags & (MP_SASL_MECH_PLAINTEXT | MP_SASL_MECH_BEARER)) != 0, cmd);
    if (st != MP_OK)
        return st;
    c->sasl = sasl;
    c->auth = &sasl_ops;
    c->chal_state = 0;
    /* AUTHENTICATE waits for "+" (or its completion) after every line. */
    c->waiter = c->q[c->nq - 1].tag;
    c->cont_at = c->q[c->nq - 1].end;
    return MP_OK;
}

static void auth_challenge(mp_imap_client *c, mp_slice text)
{
    size_t n = 0;
    mp_status st = mp_sasl_decode_challenge(text.ptr, text.len,
                                            c->cfg->auth_buf + MP_SASL_MAX_MESSAGE,
                                            c->cfg->auth_cap - MP_SASL_MAX_MESSAGE, &n);
    c->chal_state = st == MP_OK ? 1u : 2u;
    c->chal_len = (uint32_t)n;
}

static mp_status auth_continue(mp_imap_client *c)
{
    mp_imap_client_cmd_ *q = mp_imapc_find(c, c->waiter);
    char *resp = c->cfg->auth_buf;
    size_t rn = 0;
    mp_status st;
    if (q == NULL || c->sasl == NULL)
        return MP_OK;
    if (c->chal_state == 0) {
        /* "+" without text (the quirk): an empty challenge */
        c->chal_state = 1;
        c->chal_len = 0;
    }
    st = c->chal_state == 1 ? mp_sasl_client_step(c->sasl, c->cfg->auth_buf + MP_SASL_MAX_MESSAGE,
                                                   c->chal_len, resp, MP_SASL_MAX_MESSAGE, &rn)
                            : MP_ERR_BASE64;
    c->chal_state = 0;
    /* RFC 9051 §6.2.2: "*" cancels; the server answers BAD.  The host
     * reads the reason in sasl->err. */
    if (st == MP_NEED_MORE || st == MP_DONE)
        st = mp_imap_write_auth_response(&c->w, resp, rn);
    else
        st = mp_imap_write_auth_cancel(&c->w);
    if (st != MP_OK)
        return mp_imapc_fail(c, st, c->line_at, "SASL response");
    q->end = mp_imapc_wpos(c);
    c->cont_at = q->end;
    return MP_OK;
}

static mp_status auth_finish(mp_imap_client *c)
{
    mp_status st = mp_sasl_client_finish(c->sasl);
    c->sasl = NULL;
    return st;
}

static const struct mp_imapc_auth_ops_ sasl_ops = { auth_challenge, auth_continue, auth_finish };
