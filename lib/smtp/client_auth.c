/* SMTP client AUTH (RFC 4954): host-driven exchanges and exchanges driven
 * by a SASL client (sasl.h).  Challenges are decoded into the host's
 * auth_buf; responses are base64-encoded straight into the output.  The
 * session reaches this file only through c->auth_hook, which the AUTH
 * functions set: a firmware that never authenticates links none of it. */
#include <string.h>

#include "mailproto/sasl.h"
#include "client_internal.h"

/* A 334's event: the challenge text (RFC 4954 §4: base64, to which the
 * enhanced-code split of the reply parser does not apply). */
static void challenge_event(const mp_smtp_reply_line *l, mp_smtp_client_event *ev)
{
    const char *t = l->text.ptr;
    size_t tl = l->text.len;
    if (l->enhanced.len > 0) {
        t = l->enhanced.ptr;
        tl = (size_t)(l->text.ptr + l->text.len - t);
    }
    memset(ev, 0, sizeof(*ev));
    ev->type = MP_SMTP_EV_AUTH_CHALLENGE;
    ev->reply = l;
    ev->text = mp_slice_make(t, tl);
}

/* Write one AUTH answer line the session needs; expect its reply. */
static mp_status answer(mp_smtp_client *c, mp_status st)
{
    if (st != MP_OK)
        return mp_smtpc_must(c, st);
    mp_smtpc_push(c, K_AUTH);
    return MP_OK;
}

/* The hook of a host-driven exchange: a 334 is decoded for the host, who
 * answers with mp_smtp_client_auth_respond; a 235 is believed.  A
 * challenge that is not base64 is cancelled: the server answers 501. */
static mp_status host_hook(mp_smtp_client *c, const mp_smtp_reply_line *l)
{
    mp_smtp_client_event ev;
    size_t n = 0;
    if (l->code != 334)
        return MP_OK;
    challenge_event(l, &ev);
    if (c->cfg.auth_buf != NULL &&
        mp_base64_decode(ev.text.ptr, ev.text.len, c->cfg.auth_buf, c->cfg.auth_cap, &n) != MP_OK)
        return answer(c, mp_smtp_write_auth_cancel(&c->out));
    ev.data = mp_slice_make(c->cfg.auth_buf, n);
    c->auth_wait = 1;
    mp_smtpc_emit(c, &ev);
    return MP_OK;
}

/* The hook of an exchange driven by a SASL client: each 334 is decoded
 * into the host's auth_buf, stepped and answered (a failed step cancels);
 * a 235 counts only when mp_sasl_client_finish() agrees. */
static mp_status sasl_hook(mp_smtp_client *c, const mp_smtp_reply_line *l)
{
    mp_smtp_client_event ev;
    char *resp = c->cfg.auth_buf, *chal = c->cfg.auth_buf + MP_SASL_MAX_MESSAGE;
    size_t n = 0, rn = 0;
    mp_status st;
    if (l->code != 334) {
        struct mp_sasl_client *sasl = c->sasl;
        c->sasl = NULL;
        return mp_sasl_client_finish(sasl);
    }
    challenge_event(l, &ev);
    st = mp_sasl_decode_challenge(ev.text.ptr, ev.text.len, chal,
                                  c->cfg.auth_cap - MP_SASL_MAX_MESSAGE, &n);
    if (st == MP_OK) {
        ev.data = mp_slice_make(chal, n);
        mp_smtpc_emit(c, &ev);
        st = mp_sasl_client_step(c->sasl, chal, n, resp, MP_SASL_MAX_MESSAGE, &rn);
    }
    if (st == MP_NEED_MORE || st == MP_DONE)
        return answer(c, mp_smtp_write_auth_response(&c->out, resp, rn));
    return answer(c, mp_smtp_write_auth_cancel(&c->out));
}

mp_status mp_smtp_client_auth(mp_smtp_client *c, mp_slice mech, const void *initial,
                              size_t len, int has_initial)
{
    mp_status st;
    if (c->phase != MP_SMTP_PH_READY || c->authenticated)
        return MP_ERR_STATE;
    if (c->cfg.tls == MP_SMTP_TLS_REQUIRED && !c->secure)
        return MP_ERR_TLS_REQUIRED;
    if (!(c->caps.flags & MP_SMTP_CAP_AUTH))
        return MP_ERR_UNSUPPORTED;
    st = mp_smtp_write_auth(&c->out, mech, initial, len, has_initial);
    if (st != MP_OK)
        return st;
    mp_smtpc_push(c, K_AUTH);
    c->phase = MP_SMTP_PH_AUTH;
    c->sasl = NULL;
    c->auth_hook = host_hook;
    return MP_OK;
}

mp_status mp_smtp_client_auth_sasl(mp_smtp_client *c, struct mp_sasl_client *sasl)
{
    const mp_sasl_mech_info *mi;
    mp_status st;
    size_t n = 0;
    int has_initial = 0;
    if (sasl == NULL || c->cfg.auth_buf == NULL || c->cfg.auth_cap < MP_SMTP_CLIENT_AUTH_BUF)
        return MP_ERR_ARG;
    mi = mp_sasl_mech_get((mp_sasl_mech)sasl->mech);
    if (mi == NULL)
        return MP_ERR_SASL_MECH;
    if (c->phase != MP_SMTP_PH_READY || c->authenticated)
        return MP_ERR_STATE;
    if (mi->flags & MP_SASL_MECH_CLIENT_FIRST) {
        st = mp_sasl_client_initial(sasl, c->cfg.auth_buf, MP_SASL_MAX_MESSAGE, &n);
        if (st != MP_NEED_MORE && st != MP_DONE)
            return st;
        has_initial = 1;
    }
    st = mp_smtp_client_auth(c, mp_slice_make(mi->name, mi->name_len), c->cfg.auth_buf, n,
                             has_initial);
    if (st == MP_OK) {
        c->sasl = sasl;
        c->auth_hook = sasl_hook;
    }
    return st;
}

uint32_t mp_smtp_client_sasl_offered(const mp_smtp_client *c)
{
    uint32_t set = 0, b;
    for (b = 1; b != 0 && b < (1u << MP_SMTP_AUTH_COUNT_); b <<= 1) {
        const char *name;
        if (!(c->caps.auth & b))
            continue;
        name = mp_smtp_auth_mech_name(b);
        set |= MP_SASL_MECH_BIT(mp_sasl_mech_from_name(name, strlen(name)));
    }
    return set & ~MP_SASL_MECH_BIT(MP_SASL_MECH_NONE);
}

int mp_smtp_client_secure(const mp_smtp_client *c) { return c->secure; }

mp_status mp_smtp_client_auth_respond(mp_smtp_client *c, const void *data, size_t len,
                                      int cancel)
{
    mp_status st;
    if (c->phase != MP_SMTP_PH_AUTH || !c->auth_wait)
        return MP_ERR_STATE;
    st = cancel ? mp_smtp_write_auth_cancel(&c->out)
                : mp_smtp_write_auth_response(&c->out, data, len);
    if (st != MP_OK)
        return st;
    c->auth_wait = 0;
    mp_smtpc_push(c, K_AUTH);
    return MP_OK;
}

