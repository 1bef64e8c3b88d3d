/* ESMTP parameters of MAIL and RCPT (RFC 5321 §4.1.2 Mail-parameters)
 * and xtext (RFC 3461 §4).  Known parameters are validated here; unknown
 * ones are only checked against the generic esmtp-param grammar and left
 * for the host. */
#include <string.h>

#include "cmd_internal.h"

static int is_alnum(unsigned c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20u) >= 'a' && (c | 0x20u) <= 'z');
}
static int is_hexdig(unsigned c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}
static unsigned hexval(unsigned c)
{
    return c <= '9' ? c - '0' : (c | 0x20u) - 'a' + 10u;
}

/* xchar = %x21-2A / %x2C-3C / %x3E-7E (any CHAR from "!" to "~" but "+"
 * and "=") */
static int is_xchar(unsigned c) { return c >= 0x21 && c <= 0x7e && c != '+' && c != '='; }


/* Offset of the first bad byte of xtext `s`, or s.len when valid. */
static size_t xtext_bad(mp_slice s)
{
    size_t i;
    for (i = 0; i < s.len; i++) {
        unsigned c = (unsigned char)s.ptr[i];
        if (c == '+') {
            if (s.len - i < 3 || !is_hexdig((unsigned char)s.ptr[i + 1]) ||
                !is_hexdig((unsigned char)s.ptr[i + 2]))
                return i;
            i += 2;
        } else if (!is_xchar(c)) {
            return i;
        }
    }
    return s.len;
}

int mp_smtp_xtext_valid(mp_slice s) { return xtext_bad(s) == s.len; }

mp_status mp_smtp_xtext_decode(mp_slice s, char *out, size_t cap, size_t *outlen)
{
    size_t i, o = 0, bad = xtext_bad(s);
    if (bad != s.len) {
        *outlen = bad;
        return MP_ERR_SMTP_XTEXT;
    }
    for (i = 0; i < s.len; i++, o++) {
        if (s.ptr[i] == '+')
            i += 2;
    }
    if (o > cap) {
        *outlen = o;
        return MP_ERR_NO_SPACE;
    }
    for (i = 0, o = 0; i < s.len; i++) {
        if (s.ptr[i] == '+') {
            out[o++] = (char)((hexval((unsigned char)s.ptr[i + 1]) << 4) |
                              hexval((unsigned char)s.ptr[i + 2]));
            i += 2;
        } else {
            out[o++] = s.ptr[i];
        }
    }
    *outlen = o;
    return MP_OK;
}

size_t mp_smtp_xtext_encoded_len(mp_slice s)
{
    size_t i, k = 0;
    for (i = 0; i < s.len; i++)
        k += is_xchar((unsigned char)s.ptr[i]) ? 1u : 3u;
    return k;
}

void mp_smtp_xtext_put(mp_outbuf *ob, mp_slice s)
{
    static const char hexdig[] = "0123456789ABCDEF";
    size_t i = 0;
    while (i < s.len) {
        size_t j = i;
        while (j < s.len && is_xchar((unsigned char)s.ptr[j]))
            j++;
        mp_outbuf_put(ob, s.ptr + i, j - i);
        if (j < s.len) {
            unsigned c = (unsigned char)s.ptr[j];
            char h[3];
            h[0] = '+';
            h[1] = hexdig[c >> 4];
            h[2] = hexdig[c & 15u];
            mp_outbuf_put(ob, h, 3);
            j++;
        }
        i = j;
    }
}

/* Decoded length of valid xtext. */
static size_t xtext_len(mp_slice s)
{
    size_t i, n = 0;
    for (i = 0; i < s.len; i++, n++)
        if (s.ptr[i] == '+')
            i += 2;
    return n;
}

void mp_smtp_param_iter_init(mp_smtp_param_iter *it, mp_slice params_text)
{
    it->rest = params_text;
}

int mp_smtp_param_next(mp_smtp_param_iter *it, mp_slice *keyword, mp_slice *value,
                       int *has_value)
{
    const char *p = it->rest.ptr;
    size_t n = it->rest.len, i = 0, e, k;
    while (i < n && p[i] == ' ')
        i++;
    if (i == n) {
        it->rest = mp_slice_make(p + n, 0);
        return 0;
    }
    e = i;
    while (e < n && p[e] != ' ')
        e++;
    k = i;
    while (k < e && p[k] != '=')
        k++;
    *keyword = mp_slice_make(p + i, k - i);
    *has_value = k < e;
    *value = k < e ? mp_slice_make(p + k + 1, e - k - 1) : mp_slice_make(p + e, 0);
    it->rest = mp_slice_make(p + e, n - e);
    return 1;
}

/* The known parameters, by command. */
enum pkey {
    K_UNKNOWN = 0, K_SIZE, K_BODY, K_SMTPUTF8, K_RET, K_ENVID, K_AUTH, K_REQUIRETLS,
    K_MT_PRIORITY, K_NOTIFY, K_ORCPT
};

static const struct {
    const char *name;
    uint8_t len;
    uint8_t key;
    uint8_t mail;     /* 1: MAIL parameter, 0: RCPT parameter */
    uint8_t value;    /* 1: needs a value, 0: must have none */
} known_params[] = {
    { "SIZE", 4, K_SIZE, 1, 1 },           /* RFC 1870 */
    { "BODY", 4, K_BODY, 1, 1 },           /* RFC 6152, RFC 3030 */
    { "SMTPUTF8", 8, K_SMTPUTF8, 1, 0 },   /* RFC 6531 */
    { "RET", 3, K_RET, 1, 1 },             /* RFC 3461 */
    { "ENVID", 5, K_ENVID, 1, 1 },         /* RFC 3461 */
    { "AUTH", 4, K_AUTH, 1, 1 },           /* RFC 4954 §5 */
    { "REQUIRETLS", 10, K_REQUIRETLS, 1, 0 }, /* RFC 8689 */
    { "MT-PRIORITY", 11, K_MT_PRIORITY, 1, 1 }, /* RFC 6710 */
    { "NOTIFY", 6, K_NOTIFY, 0, 1 },       /* RFC 3461 */
    { "ORCPT", 5, K_ORCPT, 0, 1 },         /* RFC 3461 */
};

static mp_status param_value(enum pkey key, mp_slice v, size_t voff, mp_smtp_params *out,
                             mp_error *err)
{
    switch (key) {
    case K_SIZE: {
        /* size-value = 1*20DIGIT */
        mp_status st = v.len > 20 ? MP_ERR_NUMBER : mp_parse_u64(v, UINT64_MAX, &out->size);
        if (st != MP_OK)
            return mp_error_set(err, st == MP_ERR_NUMBER ? MP_ERR_NUMBER : MP_ERR_SMTP_PARAM, voff,
                                 MP_RULE_("RFC 1870 size-value"));
        return MP_OK;
    }
    case K_BODY:
        if (mp_slice_eq_ci(v, "7BIT", 4))
            out->body = MP_SMTP_BODY_7BIT;
        else if (mp_slice_eq_ci(v, "8BITMIME", 8))
            out->body = MP_SMTP_BODY_8BITMIME;
        else if (mp_slice_eq_ci(v, "BINARYMIME", 10))
            out->body = MP_SMTP_BODY_BINARYMIME;
        else
            return mp_error_set(err, MP_ERR_SMTP_PARAM, voff, MP_RULE_("RFC 6152 BODY"));
        return MP_OK;
    case K_RET:
        if (mp_slice_eq_ci(v, "FULL", 4))
            out->ret = MP_SMTP_RET_FULL;
        else if (mp_slice_eq_ci(v, "HDRS", 4))
            out->ret = MP_SMTP_RET_HDRS;
        else
            return mp_error_set(err, MP_ERR_SMTP_PARAM, voff, MP_RULE_("RFC 3461 4.3 RET"));
        return MP_OK;
    case K_ENVID:
        if (!mp_smtp_xtext_valid(v))
            return mp_error_set(err, MP_ERR_SMTP_XTEXT, voff + xtext_bad(v),
                                MP_RULE_("RFC 3461 4 xtext"));
        if (xtext_len(v) > MP_SMTP_MAX_ENVID)
            return mp_error_set(err, MP_ERR_SMTP_PARAM_TOO_LONG, voff, "MP_SMTP_MAX_ENVID");
        out->envid = v;
        return MP_OK;
    case K_AUTH:
        /* auth-param = "AUTH=" xtext, where the decoded text is a mailbox
         * or "<>" (RFC 4954 §5). */
        if (!mp_smtp_xtext_valid(v))
            return mp_error_set(err, MP_ERR_SMTP_XTEXT, voff + xtext_bad(v),
                                MP_RULE_("RFC 3461 4 xtext"));
        out->auth = v;
        return MP_OK;
    case K_MT_PRIORITY: {
        /* priority-value = [ "-" / "+" ] DIGIT, range -9..9 (RFC 6710 §3) */
        size_t i = 0;
        int neg = 0;
        if (v.len > 0 && (v.ptr[0] == '-' || v.ptr[0] == '+')) {
            neg = v.ptr[0] == '-';
            i = 1;
        }
        if (v.len != i + 1 || v.ptr[i] < '0' || v.ptr[i] > '9')
            return mp_error_set(err, MP_ERR_NUMBER, voff, MP_RULE_("RFC 6710 priority-value"));
        out->mt_priority = (int8_t)(neg ? -(v.ptr[i] - '0') : (v.ptr[i] - '0'));
        return MP_OK;
    }
    case K_NOTIFY: {
        /* notify-esmtp-value = "NEVER" / 1#notify-list-element */
        size_t i = 0;
        while (i <= v.len) {
            size_t e = i;
            mp_slice w;
            while (e < v.len && v.ptr[e] != ',')
                e++;
            w = mp_slice_make(v.ptr + i, e - i);
            if (mp_slice_eq_ci(w, "NEVER", 5))
                out->notify |= MP_SMTP_NOTIFY_NEVER;
            else if (mp_slice_eq_ci(w, "SUCCESS", 7))
                out->notify |= MP_SMTP_NOTIFY_SUCCESS;
            else if (mp_slice_eq_ci(w, "FAILURE", 7))
                out->notify |= MP_SMTP_NOTIFY_FAILURE;
            else if (mp_slice_eq_ci(w, "DELAY", 5))
                out->notify |= MP_SMTP_NOTIFY_DELAY;
            else
                return mp_error_set(err, MP_ERR_SMTP_PARAM, voff + i,
                                    MP_RULE_("RFC 3461 4.1 NOTIFY"));
            i = e + 1;
        }
        if ((out->notify & MP_SMTP_NOTIFY_NEVER) && out->notify != MP_SMTP_NOTIFY_NEVER)
            return mp_error_set(err, MP_ERR_SMTP_PARAM, voff, MP_RULE_("RFC 3461 4.1 NEVER alone"));
        return MP_OK;
    }
    case K_ORCPT: {
        /* orcpt-parameter = "ORCPT=" original-recipient-address
         * original-recipient-address = addr-type ";" xtext */
        const char *semi = memchr(v.ptr, ';', v.len);
        size_t t, i;
        mp_slice x;
        if (v.len > MP_SMTP_MAX_ORCPT)
            return mp_error_set(err, MP_ERR_SMTP_PARAM_TOO_LONG, voff, "MP_SMTP_MAX_ORCPT");
        if (semi == NULL || semi == v.ptr)
            return mp_error_set(err, MP_ERR_SMTP_PARAM, voff, MP_RULE_("RFC 3461 4.2 ORCPT"));
        t = (size_t)(semi - v.ptr);
        for (i = 0; i < t; i++)
            if (!is_alnum((unsigned char)v.ptr[i]) && v.ptr[i] != '-')
                return mp_error_set(err, MP_ERR_SMTP_PARAM, voff + i,
                                    MP_RULE_("RFC 3461 4.2 addr-type"));
        x = mp_slice_make(semi + 1, v.len - t - 1);
        if (x.len == 0 || !mp_smtp_xtext_valid(x))
            return mp_error_set(err, MP_ERR_SMTP_XTEXT, voff + t + 1 + xtext_bad(x),
                                 MP_RULE_("RFC 3461 4 xtext"));
        out->orcpt_type = mp_slice_make(v.ptr, t);
        out->orcpt = x;
        return MP_OK;
    }
    default:
        return MP_OK;
    }
}

mp_status mp_smtp_param_take_(mp_slice kw, size_t kw_off, int has_value, mp_slice v, size_t v_off,
                              int is_mail, mp_smtp_params *out, mp_error *err)
{
    enum pkey key = K_UNKNOWN;
    unsigned bit;
    size_t k;
    for (k = 0; k < sizeof(known_params) / sizeof(known_params[0]); k++) {
        if (known_params[k].len == kw.len && known_params[k].mail == (is_mail ? 1 : 0) &&
            mp_slice_eq_ci(kw, known_params[k].name, known_params[k].len)) {
            key = (enum pkey)known_params[k].key;
            break;
        }
    }
    if (key == K_UNKNOWN) {
        if (out->n_unknown < 255)
            out->n_unknown++;
        return MP_OK;
    }
    if (known_params[k].value != (has_value ? 1 : 0))
        return mp_error_set(err, MP_ERR_SMTP_PARAM, kw_off + kw.len,
                             has_value ? "no value allowed" : "value required");
    bit = 1u << (key - 1);
    if (out->present & bit)
        return mp_error_set(err, MP_ERR_SMTP_PARAM_DUP, kw_off,
                            MP_RULE_("RFC 5321 4.1.2 esmtp-param"));
    out->present = (uint16_t)(out->present | bit);
    return has_value ? param_value(key, v, v_off, out, err) : MP_OK;
}

mp_status mp_smtp_params_parse_(const char *p, size_t n, size_t base, int is_mail,
                                unsigned flags, mp_smtp_params *out, mp_error *err)
{
    const char *rule = MP_RULE_("RFC 5321 4.1.2 esmtp-param");
    size_t i = 0, count = 0;

    memset(out, 0, sizeof(*out));
    while (i < n) {
        size_t ks = i, ke, vs, ve, k;
        int has_value;
        mp_status st;

        /* esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-") */
        if (!is_alnum((unsigned char)p[i]))
            return mp_error_set(err, MP_ERR_SMTP_PARAM, base + i,
                                MP_RULE_("RFC 5321 4.1.2 esmtp-keyword"));
        while (i < n && (is_alnum((unsigned char)p[i]) || p[i] == '-'))
            i++;
        ke = i;
        has_value = i < n && p[i] == '=';
        vs = ve = i;
        if (has_value) {
            /* esmtp-value = 1*(%d33-60 / %d62-126), UTF-8 under SMTPUTF8
             * (RFC 6531 §3.3). */
            i++;
            vs = i;
            while (i < n && p[i] != ' ') {
                unsigned c = (unsigned char)p[i];
                if (c == '=' || c < 33 || c == 127 ||
                    (c >= 0x80 && !(flags & MP_SMTP_CMD_SMTPUTF8)))
                    return mp_error_set(err, MP_ERR_SMTP_PARAM, base + i,
                                         MP_RULE_("RFC 5321 4.1.2 esmtp-value"));
                i++;
            }
            ve = i;
            if (ve == vs)
                return mp_error_set(err, MP_ERR_SMTP_PARAM, base + vs,
                                     MP_RULE_("RFC 5321 4.1.2 esmtp-value"));
            if (!mp_utf8_valid(p + vs, ve - vs, &k))
                return mp_error_set(err, MP_ERR_UTF8, base + vs + k, MP_RULE_("RFC 3629"));
        }
        if (i < n) {
            if (p[i] != ' ')
                return mp_error_set(err, MP_ERR_SMTP_PARAM, base + i, rule);
            i++;
            while ((flags & MP_SMTP_CMD_LAX) && i < n && p[i] == ' ')
                i++;
            if (i == n && !(flags & MP_SMTP_CMD_LAX))
                return mp_error_set(err, MP_ERR_SMTP_PARAM, base + i, rule);
        }
        if (++count > MP_SMTP_MAX_PARAMS)
            return mp_error_set(err, MP_ERR_SMTP_TOO_MANY_PARAMS, base + ks, "MP_SMTP_MAX_PARAMS");
        st = mp_smtp_param_take_(mp_slice_make(p + ks, ke - ks), base + ks, has_value,
                                 mp_slice_make(p + vs, ve - vs), base + vs, is_mail, out, err);
        if (st != MP_OK)
            return st;
    }
    return MP_OK;
}
