/* POP3 client session: USER/PASS and APOP (RFC 1939 §7), and the choice
 * of the best method (mp_pop3_client_login).  SASL is client_sasl.c. */
#include <string.h>

#include "client_internal.h"

/* Check the value the way the server's parser will, without writing:
 * into no room at all a good command is MP_ERR_NO_SPACE. */
static mp_status pass_check(const mp_pop3_client *c, mp_slice password)
{
    mp_outbuf dry;
    mp_status st;
    mp_outbuf_init(&dry, NULL, 0);
    st = mp_pop3_write_cred_ascii_(&dry, MP_POP3_PASS, password, &c->cfg->limits);
    return st == MP_ERR_NO_SPACE ? MP_OK : st;
}

mp_status mp_pop3_client_user(mp_pop3_client *c, mp_slice name, mp_slice password)
{
    mp_status st = mp_pop3c_can_login(c);
    if (st != MP_OK)
        return st;
    /* docs/security.md "Client TLS policy": the password goes as it is. */
    if (!mp_pop3c_cleartext_ok(c))
        return MP_ERR_TLS_REQUIRED;
    st = pass_check(c, password);
    if (st != MP_OK)
        return st;
    st = mp_pop3_write_cred_ascii_(&c->out, MP_POP3_USER, name, &c->cfg->limits);
    if (st != MP_OK)
        return st;
    mp_pop3c_push(c, MP_POP3_USER);
    c->login_pass = password;
    c->phase = MP_POP3_PH_LOGIN;
    return MP_OK;
}

mp_status mp_pop3_client_apop(mp_pop3_client *c, mp_slice name, mp_slice password,
                              const mp_crypto_provider *crypto)
{
    uint8_t digest[16];
    mp_slice ts;
    mp_status st = mp_pop3c_can_login(c);
    if (st != MP_OK)
        return st;
    ts = c->greeting_len > 0 ? mp_pop3_timestamp_find_(c->cfg->auth_buf, c->greeting_len)
                             : mp_slice_make(NULL, 0);
    if (ts.len == 0)
        return MP_ERR_UNSUPPORTED;
    if (password.ptr == NULL && password.len != 0)
        return MP_ERR_ARG;
    st = mp_pop3_apop_digest_(crypto, ts, password, digest);
    if (st != MP_OK)
        return st;
    st = mp_pop3_write_apop(&c->out, name, digest, 0, &c->cfg->limits);
    mp_wipe(digest, sizeof(digest));
    if (st != MP_OK)
        return st;
    mp_pop3c_push(c, MP_POP3_APOP);
    c->phase = MP_POP3_PH_LOGIN;
    return MP_OK;
}

/* A method the host allows (0: all). */
static int allowed(const mp_pop3_client_login_params *lp, unsigned m)
{
    return lp->methods == 0 || (lp->methods & m);
}

mp_status mp_pop3_client_login(mp_pop3_client *c, const mp_pop3_client_login_params *lp,
                               mp_pop3_verb *chosen)
{
    const mp_pop3_caps *caps = &c->rp.caps;
    int clear = mp_pop3c_cleartext_ok(c);
    int refused_clear = 0; /* something was offered that only cleartext allows */
    mp_status st;
    if (lp == NULL)
        return MP_ERR_ARG;
    st = mp_pop3c_can_login(c);
    if (st != MP_OK)
        return st;
    if (chosen != NULL)
        *chosen = MP_POP3_NONE;

    /* RFC 5034: SASL with the best offered mechanism. */
    if (allowed(lp, MP_POP3_LOGIN_SASL) && lp->sasl != NULL && c->capa_ok &&
        (caps->flags & MP_POP3_CAP_SASL)) {
        unsigned flags = clear ? MP_SASL_CHOOSE_PLAINTEXT_OK : 0u;
        mp_sasl_mech_set offered = caps->sasl;
        mp_sasl_mech m;
        if (lp->creds.cb_data.len > 0)
            flags |= MP_SASL_CHOOSE_CHANNEL_BINDING;
        if (lp->mech != MP_SASL_MECH_NONE)
            offered &= MP_SASL_MECH_BIT(lp->mech);
        m = mp_sasl_choose(offered, flags);
        if (m == MP_SASL_MECH_NONE && !clear &&
            mp_sasl_choose(offered, flags | MP_SASL_CHOOSE_PLAINTEXT_OK) != MP_SASL_MECH_NONE)
            refused_clear = 1;
        if (m != MP_SASL_MECH_NONE) {
            st = mp_sasl_client_start(lp->sasl, m, &lp->creds, lp->crypto);
            if (st == MP_OK)
                st = mp_pop3_client_auth_sasl(c, lp->sasl);
            if (st == MP_OK && chosen != NULL)
                *chosen = MP_POP3_AUTH;
            return st;
        }
    }
    if (lp->mech != MP_SASL_MECH_NONE)
        return refused_clear ? MP_ERR_TLS_REQUIRED : MP_ERR_UNSUPPORTED;
    /* RFC 1939 §7: APOP when the greeting offered a timestamp. */
    if (allowed(lp, MP_POP3_LOGIN_APOP) && mp_pop3_client_apop_available(c) &&
        lp->crypto != NULL && lp->crypto->md5 != NULL) {
        st = mp_pop3_client_apop(c, lp->creds.username, lp->creds.password, lp->crypto);
        if (st == MP_OK && chosen != NULL)
            *chosen = MP_POP3_APOP;
        return st;
    }
    /* USER/PASS: offered (RFC 2449 §6.2), or nothing is known. */
    if (allowed(lp, MP_POP3_LOGIN_USER) && (!c->capa_ok || (caps->flags & MP_POP3_CAP_USER))) {
        if (!clear)
            return MP_ERR_TLS_REQUIRED;
        st = mp_pop3_client_user(c, lp->creds.username, lp->creds.password);
        if (st == MP_OK && chosen != NULL)
            *chosen = MP_POP3_USER;
        return st;
    }
    return refused_clear ? MP_ERR_TLS_REQUIRED : MP_ERR_UNSUPPORTED;
}
