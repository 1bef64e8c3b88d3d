/* The helpers the protocol server sessions share (proto.h). */
#include "proto.h"

#include <string.h>

int mp_sasl_proto_text_ok(const char *text, size_t max, int spaces)
{
    size_t i, n = strlen(text);
    if (n == 0 || n > max)
        return 0;
    for (i = 0; i < n; i++)
        if (text[i] < (spaces ? ' ' : '!') || text[i] > '~')
            return 0;
    return 1;
}

mp_sasl_mech_set mp_sasl_proto_mechs(const char *list)
{
    if (!mp_sasl_proto_text_ok(list, MP_SASL_PROTO_MAX_MECHS, 1))
        return 0;
    return mp_sasl_mechs_parse(list, strlen(list), 0);
}

mp_sasl_mech_set mp_sasl_proto_offered(mp_sasl_mech_set set, int cleartext_ok)
{
    mp_sasl_mech_set out = 0;
    unsigned m;
    if (cleartext_ok)
        return set;
    for (m = 1; m < MP_SASL_MECH_COUNT; m++) {
        const mp_sasl_mech_info *mi = mp_sasl_mech_get((mp_sasl_mech)m);
        if ((set & MP_SASL_MECH_BIT(m)) && mi &&
            !(mi->flags & (MP_SASL_MECH_PLAINTEXT | MP_SASL_MECH_BEARER)))
            out |= MP_SASL_MECH_BIT(m);
    }
    return out;
}

mp_sasl_mech mp_sasl_proto_next_name(const char **list, mp_slice *name)
{
    const char *p = *list;
    size_t l = 0;
    while (*p == ' ')
        p++;
    while (p[l] && p[l] != ' ')
        l++;
    *name = mp_slice_make(p, l);
    *list = p + l;
    return l == 0 ? MP_SASL_MECH_COUNT : mp_sasl_mech_from_name(p, l);
}

mp_status mp_sasl_proto_challenge(mp_outbuf *ob, const char *prefix, const void *msg, size_t n)
{
    size_t m = mp_outbuf_mark(ob), olen = 0;
    mp_outbuf_puts(ob, prefix);
    if (MP_BASE64_ENCODED_LEN(n) + 2u > mp_outbuf_room(ob) ||
        mp_sasl_encode(msg, n, ob->buf + ob->len, mp_outbuf_room(ob), &olen) != MP_OK) {
        mp_outbuf_rollback(ob, m);
        return MP_ERR_NO_SPACE;
    }
    ob->len += olen;
    ob->want = ob->len;
    mp_outbuf_put(ob, "\r\n", 2);
    return mp_outbuf_commit(ob, m);
}

mp_status mp_sasl_proto_step(mp_sasl_server *s, int host_checks, const void *resp, size_t n,
                             char *out, size_t cap, size_t *outlen)
{
    for (;;) {
        mp_status st = mp_sasl_server_step(s, resp, n, out, cap, outlen);
        if (st != MP_PAUSED || host_checks)
            return st;
        mp_sasl_server_verify(s, 0);
        resp = NULL;
        n = 0;
    }
}
