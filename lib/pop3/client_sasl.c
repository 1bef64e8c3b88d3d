/* POP3 client session: AUTH driven by a SASL client (RFC 5034, sasl.h).
 * Challenges are decoded into the host's auth_buf and responses are
 * base64-encoded straight into the output.  Only a host that calls
 * mp_pop3_client_auth_sasl() links this file. */
#include "client_internal.h"

/* auth_buf: the greeting (APOP), then the response, then the challenge. */
#define RESP_AT MP_POP3_CLIENT_APOP_BUF
#define CHAL_AT (MP_POP3_CLIENT_APOP_BUF + MP_SASL_MAX_MESSAGE)

/* "+ " under AUTH: the next step (RFC 5034 §4); "*" when it fails. */
static mp_status challenge(mp_pop3_client *c, const mp_pop3_resp_event *ev)
{
    char *resp = c->cfg->auth_buf + RESP_AT, *chal = c->cfg->auth_buf + CHAL_AT;
    size_t n = 0, rn = 0;
    mp_status st;
    if (c->ir_pending) {
        /* The initial response did not fit the AUTH line: it answers the
         * first, empty, challenge. */
        c->ir_pending = 0;
        rn = c->ir_len;
        st = ev->text.len == 0 ? MP_NEED_MORE : MP_ERR_SASL_MESSAGE;
    } else {
        st = mp_sasl_decode_challenge(ev->text.ptr, ev->text.len, chal,
                                      c->cfg->auth_cap - CHAL_AT, &n);
        if (st == MP_OK)
            st = mp_sasl_client_step(c->sasl, chal, n, resp, MP_SASL_MAX_MESSAGE, &rn);
    }
    if (st == MP_NEED_MORE || st == MP_DONE)
        st = mp_pop3_write_auth_response(&c->out, resp, rn);
    else
        st = mp_pop3_write_auth_cancel(&c->out);
    if (st != MP_OK)
        return mp_pop3c_must(c, st);
    /* The exchange goes on: its next line answers this one. */
    c->q_aux[c->qhead] = c->sent + (uint32_t)c->out.len;
    return MP_OK;
}

static mp_status answer(mp_pop3_client *c, const mp_pop3_resp_event *ev)
{
    mp_sasl_client *sasl = c->sasl;
    if (ev->type == MP_POP3_EV_CONTINUE)
        return challenge(c, ev);
    c->sasl = NULL;
    c->ir_pending = 0;
    /* RFC 5802 §5: success without a verified server signature is an
     * impostor. */
    if (ev->ok) {
        mp_status fs = mp_sasl_client_finish(sasl);
        if (fs != MP_OK)
            return mp_pop3c_fail(c, fs, ev->offset, MP_RULE_("RFC 5802 5 server proof"));
    } else {
        mp_sasl_client_wipe(sasl);
    }
    return mp_pop3c_login_result(c, MP_POP3_AUTH, ev);
}

mp_status mp_pop3_client_auth_sasl(mp_pop3_client *c, mp_sasl_client *sasl)
{
    const mp_sasl_mech_info *mi;
    char *resp;
    size_t n = 0;
    int has_initial = 0;
    mp_status st;
    if (sasl == NULL || c->cfg->auth_buf == NULL || c->cfg->auth_cap < MP_POP3_CLIENT_AUTH_BUF)
        return MP_ERR_ARG;
    mi = mp_sasl_mech_get((mp_sasl_mech)sasl->mech);
    if (mi == NULL)
        return MP_ERR_SASL_MECH;
    st = mp_pop3c_can_login(c);
    if (st != MP_OK)
        return st;
    if ((mi->flags & (MP_SASL_MECH_PLAINTEXT | MP_SASL_MECH_BEARER)) &&
        !mp_pop3c_cleartext_ok(c))
        return MP_ERR_TLS_REQUIRED;
    /* RFC 5034 §6: the SASL capability lists the mechanisms. */
    if (c->capa_ok && !(c->rp.caps.sasl & MP_SASL_MECH_BIT(sasl->mech)))
        return MP_ERR_UNSUPPORTED;
    resp = c->cfg->auth_buf + RESP_AT;
    if (mi->flags & MP_SASL_MECH_CLIENT_FIRST) {
        st = mp_sasl_client_initial(sasl, resp, MP_SASL_MAX_MESSAGE, &n);
        if (st != MP_NEED_MORE && st != MP_DONE)
            return st;
        has_initial = 1;
    }
    st = mp_pop3_write_auth(&c->out, mp_slice_make(mi->name, mi->name_len), resp, n,
                            has_initial, NULL);
    if (st == MP_ERR_LINE_TOO_LONG && has_initial) {
        /* RFC 5034 §4: too long for the 255-octet AUTH line. */
        st = mp_pop3_write_auth(&c->out, mp_slice_make(mi->name, mi->name_len), NULL, 0, 0,
                                NULL);
        c->ir_pending = st == MP_OK;
        c->ir_len = (uint16_t)n;
    }
    if (st != MP_OK)
        return st;
    c->sasl = sasl;
    c->auth_answer = answer;
    mp_pop3c_push(c, MP_POP3_AUTH);
    c->phase = MP_POP3_PH_LOGIN;
    return MP_OK;
}
