/* POP3 command writer, client side: every command whole or nothing, and
 * only what mp_pop3_cmd_parse() accepts with the same flags and limits
 * (the checks are lib/pop3/grammar.c's, shared with the parser). */
#include <string.h>

#include "grammar.h"

/* A message number or line count in decimal, right-aligned in buf. */
static mp_slice decimal(char *buf, size_t cap, uint32_t v)
{
    size_t i = cap;
    do {
        buf[--i] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    return mp_slice_make(buf + i, cap - i);
}

/* "NAME[ a[ b]]" CRLF, whole or nothing: an argument is written when its
 * pointer is set; MP_ERR_LINE_TOO_LONG above max_line with the CRLF.
 * Every writer ends here, each after the checks of its own verb's shape,
 * so that an image links only the checks of the commands it writes. */
static mp_status put_words(mp_outbuf *ob, const mp_pop3_verb_row_ *vi, mp_slice a, mp_slice b,
                           uint32_t max_line)
{
    size_t len = strlen(vi->name), mark;
    len += a.ptr != NULL ? 1u + a.len : 0u;
    len += b.ptr != NULL ? 1u + b.len : 0u;
    if (len > (size_t)max_line - 2u)
        return MP_ERR_LINE_TOO_LONG;
    mark = mp_outbuf_mark(ob);
    mp_outbuf_puts(ob, vi->name);
    if (a.ptr != NULL) {
        mp_outbuf_putc(ob, ' ');
        mp_outbuf_put(ob, a.ptr, a.len);
    }
    if (b.ptr != NULL) {
        mp_outbuf_putc(ob, ' ');
        mp_outbuf_put(ob, b.ptr, b.len);
    }
    mp_outbuf_put(ob, "\r\n", 2);
    return mp_outbuf_commit(ob, mark);
}

static const mp_slice none_ = { NULL, 0 };

/* RFC 1939 §5: LIST, UIDL, RETR, DELE with a message number (`n` 1:
 * present), TOP with two (`n` 2). */
static mp_status put_numbers(mp_outbuf *ob, const mp_pop3_verb_row_ *vi, int n, uint32_t msgno,
                             uint32_t lines)
{
    char a[10], b[10];
    if (n > 0 && (msgno < 1 || msgno > MP_POP3_MSGNO_MAX))
        return MP_ERR_ARG;
    if (n > 1 && lines > MP_POP3_MSGNO_MAX)
        return MP_ERR_ARG;
    return put_words(ob, vi, n > 0 ? decimal(a, sizeof(a), msgno) : none_,
                     n > 1 ? decimal(b, sizeof(b), lines) : none_, MP_POP3_MAX_COMMAND_LINE);
}

/* An argument's bytes as the parser checks them: BAD_VALUE for what it
 * refuses, ARG_TOO_LONG above the limit. */
static mp_status value_check(mp_slice s, unsigned flags, int space, uint32_t max_arg)
{
    size_t bad;
    if (s.len == 0 || s.ptr == NULL ||
        mp_pop3_arg_check_(s.ptr, s.len, flags, space, &bad) != MP_OK)
        return MP_ERR_BAD_VALUE;
    return s.len > max_arg ? MP_ERR_POP3_ARG_TOO_LONG : MP_OK;
}

/* value_check() of a USER or PASS argument, for put_credential(). */
static mp_status cred_check(mp_pop3_verb verb, mp_slice v, unsigned flags)
{
    return value_check(v, flags, verb == MP_POP3_PASS, UINT32_MAX);
}

/* USER name, PASS string (RFC 1939 §7), after value_check() or its ASCII
 * half. */
static mp_status put_credential(mp_outbuf *ob, mp_pop3_verb verb, mp_slice v, mp_status checked,
                                const mp_pop3_limits *lim)
{
    uint32_t max_line, max_arg;
    mp_pop3_limits_get_(lim, &max_line, &max_arg);
    if (checked == MP_OK && v.len > max_arg)
        checked = MP_ERR_POP3_ARG_TOO_LONG;
    if (checked != MP_OK)
        return checked;
    return put_words(ob, mp_pop3_verb_info_(verb), v, none_, max_line);
}

mp_status mp_pop3_write_cred_ascii_(mp_outbuf *ob, mp_pop3_verb verb, mp_slice v,
                                    const mp_pop3_limits *lim)
{
    size_t bad;
    int eight;
    mp_status st = MP_ERR_BAD_VALUE;
    if (v.len > 0 && v.ptr != NULL &&
        mp_pop3_arg_ascii_(v.ptr, v.len, 0, verb == MP_POP3_PASS, &bad, &eight) == MP_OK)
        st = MP_OK;
    return put_credential(ob, verb, v, st, lim);
}

/* LANG [tag / "*"] (RFC 6856 §3). */
static mp_status put_lang(mp_outbuf *ob, mp_slice tag, int has, const mp_pop3_limits *lim)
{
    uint32_t max_line, max_arg;
    mp_pop3_limits_get_(lim, &max_line, &max_arg);
    if (has && !mp_pop3_lang_valid_(tag.ptr, tag.len))
        return MP_ERR_BAD_VALUE;
    if (has && tag.len > max_arg)
        return MP_ERR_POP3_ARG_TOO_LONG;
    return put_words(ob, mp_pop3_verb_info_(MP_POP3_LANG), has ? tag : none_, none_, max_line);
}

/* APOP name digest (RFC 1939 §7). */
static mp_status put_apop(mp_outbuf *ob, mp_slice name, mp_slice digest, unsigned flags,
                          const mp_pop3_limits *lim)
{
    uint32_t max_line, max_arg;
    mp_status st;
    mp_pop3_limits_get_(lim, &max_line, &max_arg);
    st = value_check(name, flags, 0, max_arg);
    if (st == MP_OK && !mp_pop3_digest_valid_(digest.ptr, digest.len))
        st = MP_ERR_BAD_VALUE;
    if (st != MP_OK)
        return st;
    return put_words(ob, mp_pop3_verb_info_(MP_POP3_APOP), name, digest, max_line);
}

static int b64_valid(mp_slice s)
{
    int ok;
    (void)mp_pop3_b64_check_(s.ptr, s.len, &ok);
    return ok;
}

mp_status mp_pop3_write_command(mp_outbuf *ob, const mp_pop3_cmd *cmd, unsigned flags,
                                const mp_pop3_limits *lim)
{
    const mp_pop3_verb_row_ *vi;
    uint32_t max_line, max_arg;
    size_t n;

    if (ob == NULL || cmd == NULL || (vi = mp_pop3_verb_info_(cmd->verb)) == NULL)
        return MP_ERR_ARG;
    mp_pop3_limits_get_(lim, &max_line, &max_arg);
    if (cmd->has_arg2 && !cmd->has_arg)
        return MP_ERR_ARG;
    n = (size_t)(cmd->has_arg != 0) + (size_t)(cmd->has_arg2 != 0);
    if (n < mp_pop3_shape_min_[vi->shape] || n > mp_pop3_shape_max_[vi->shape])
        return MP_ERR_ARG;
    if ((cmd->has_arg && cmd->arg.ptr == NULL && cmd->arg.len != 0) ||
        (cmd->has_arg2 && cmd->arg2.ptr == NULL && cmd->arg2.len != 0))
        return MP_ERR_ARG;

    switch (vi->shape) {
    case MP_POP3_A_NAME:
    case MP_POP3_A_REST:
        return put_credential(ob, cmd->verb, cmd->arg, cred_check(cmd->verb, cmd->arg, flags),
                              lim);
    case MP_POP3_A_APOP:
        return put_apop(ob, cmd->arg, cmd->arg2, flags, lim);
    case MP_POP3_A_AUTH:
        if (n > 0 && !mp_pop3_mech_valid_(cmd->arg.ptr, cmd->arg.len))
            return MP_ERR_BAD_VALUE;
        if (n > 1 && !(cmd->arg2.len == 1 && cmd->arg2.ptr[0] == '=') &&
            (cmd->arg2.len == 0 || !b64_valid(cmd->arg2)))
            return MP_ERR_BAD_VALUE;
        return put_words(ob, vi, n > 0 ? cmd->arg : none_, n > 1 ? cmd->arg2 : none_, max_line);
    case MP_POP3_A_MSG_OPT:
    case MP_POP3_A_MSG:
    case MP_POP3_A_TOP:
        return put_numbers(ob, vi, (int)n, cmd->msgno, cmd->lines);
    case MP_POP3_A_LANG:
        return put_lang(ob, cmd->arg, n > 0, lim);
    default:
        return put_words(ob, vi, none_, none_, max_line);
    }
}

mp_status mp_pop3_write_simple(mp_outbuf *ob, mp_pop3_verb verb)
{
    const mp_pop3_verb_row_ *vi = mp_pop3_verb_info_(verb);
    if (ob == NULL || vi == NULL || mp_pop3_shape_min_[vi->shape] > 0)
        return MP_ERR_ARG;
    return put_words(ob, vi, none_, none_, MP_POP3_MAX_COMMAND_LINE);
}

mp_status mp_pop3_write_msg(mp_outbuf *ob, mp_pop3_verb verb, uint32_t msgno)
{
    const mp_pop3_verb_row_ *vi = mp_pop3_verb_info_(verb);
    if (ob == NULL || vi == NULL || (vi->shape != MP_POP3_A_MSG_OPT && vi->shape != MP_POP3_A_MSG))
        return MP_ERR_ARG;
    return put_numbers(ob, vi, 1, msgno, 0);
}

mp_status mp_pop3_write_top(mp_outbuf *ob, uint32_t msgno, uint32_t lines)
{
    if (ob == NULL)
        return MP_ERR_ARG;
    return put_numbers(ob, mp_pop3_verb_info_(MP_POP3_TOP), 2, msgno, lines);
}

mp_status mp_pop3_write_user(mp_outbuf *ob, mp_slice name, unsigned flags,
                             const mp_pop3_limits *lim)
{
    if (ob == NULL)
        return MP_ERR_ARG;
    return put_credential(ob, MP_POP3_USER, name, cred_check(MP_POP3_USER, name, flags), lim);
}

mp_status mp_pop3_write_pass(mp_outbuf *ob, mp_slice password, unsigned flags,
                             const mp_pop3_limits *lim)
{
    if (ob == NULL)
        return MP_ERR_ARG;
    return put_credential(ob, MP_POP3_PASS, password, cred_check(MP_POP3_PASS, password, flags),
                          lim);
}

mp_status mp_pop3_write_lang(mp_outbuf *ob, mp_slice tag, const mp_pop3_limits *lim)
{
    if (ob == NULL || (tag.ptr == NULL && tag.len != 0))
        return MP_ERR_ARG;
    return put_lang(ob, tag, 1, lim);
}

mp_status mp_pop3_write_apop(mp_outbuf *ob, mp_slice name, const uint8_t digest[16],
                             unsigned flags, const mp_pop3_limits *lim)
{
    static const char hex[] = "0123456789abcdef";
    char text[32];
    size_t i;
    if (ob == NULL || digest == NULL)
        return MP_ERR_ARG;
    /* RFC 1939 §7: the digest in lower-case hex. */
    for (i = 0; i < 16; i++) {
        text[2 * i] = hex[digest[i] >> 4];
        text[2 * i + 1] = hex[digest[i] & 15u];
    }
    return put_apop(ob, name, mp_slice_make(text, sizeof(text)), flags, lim);
}

mp_status mp_pop3_write_auth(mp_outbuf *ob, mp_slice mech, const void *initial,
                             size_t initial_len, int has_initial, const mp_pop3_limits *lim)
{
    uint32_t max_line, max_arg;
    size_t len, mark;
    if (ob == NULL || (has_initial && initial == NULL && initial_len != 0))
        return MP_ERR_ARG;
    if (!mp_pop3_mech_valid_(mech.ptr, mech.len))
        return MP_ERR_BAD_VALUE;
    mp_pop3_limits_get_(lim, &max_line, &max_arg);
    if (!has_initial)
        return put_words(ob, mp_pop3_verb_info_(MP_POP3_AUTH), mech, none_, max_line);
    /* RFC 5034 §4: a response that makes the line too long is sent after
     * the first "+ " instead; the caller learns it from this error. */
    len = 5u + mech.len + 1u + (initial_len == 0 ? 1u : MP_BASE64_ENCODED_LEN(initial_len));
    if (initial_len > (size_t)max_line || len > (size_t)max_line - 2u)
        return MP_ERR_LINE_TOO_LONG;
    mark = mp_outbuf_mark(ob);
    mp_outbuf_puts(ob, "AUTH ");
    mp_outbuf_put(ob, mech.ptr, mech.len);
    mp_outbuf_putc(ob, ' ');
    if (initial_len == 0)
        mp_outbuf_putc(ob, '=');
    else
        mp_pop3_put_base64_(ob, initial, initial_len);
    mp_outbuf_put(ob, "\r\n", 2);
    return mp_outbuf_commit(ob, mark);
}

mp_status mp_pop3_write_auth_response(mp_outbuf *ob, const void *data, size_t len)
{
    return mp_pop3_write_b64_line_(ob, "", data, len);
}

mp_status mp_pop3_write_auth_cancel(mp_outbuf *ob)
{
    size_t mark;
    if (ob == NULL)
        return MP_ERR_ARG;
    mark = mp_outbuf_mark(ob);
    mp_outbuf_put(ob, "*\r\n", 3);
    return mp_outbuf_commit(ob, mark);
}
