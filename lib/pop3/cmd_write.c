/* POP3 command writer, client side: every command whole or nothing, and
 * only what mp_pop3_cmd_parse() accepts with the same flags and limits
 * (the checks are lib/pop3/grammar.c's, shared with the parser). */
#include <string.h>

#include "grammar.h"

static size_t digits(uint64_t v)
{
    size_t n = 1;
    while (v >= 10u) {
        v /= 10u;
        n++;
    }
    return n;
}

/* An argument's bytes as the parser checks them: BAD_VALUE for what it
 * refuses, ARG_TOO_LONG above the limit. */
static mp_status value_check(mp_slice s, unsigned flags, int space, uint32_t max_arg)
{
    size_t bad;
    if (s.len == 0 || mp_pop3_arg_check_(s.ptr, s.len, flags, space, &bad) != MP_OK)
        return MP_ERR_BAD_VALUE;
    return s.len > max_arg ? MP_ERR_POP3_ARG_TOO_LONG : MP_OK;
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
    size_t n, len, mark;
    mp_status st = MP_OK;

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

    len = strlen(vi->name);
    switch (vi->shape) {
    case MP_POP3_A_NAME:
    case MP_POP3_A_REST:
        st = value_check(cmd->arg, flags, vi->shape == MP_POP3_A_REST, max_arg);
        len += 1 + cmd->arg.len;
        break;
    case MP_POP3_A_APOP:
        st = value_check(cmd->arg, flags, 0, max_arg);
        if (st == MP_OK && !mp_pop3_digest_valid_(cmd->arg2.ptr, cmd->arg2.len))
            st = MP_ERR_BAD_VALUE;
        len += 2 + cmd->arg.len + cmd->arg2.len;
        break;
    case MP_POP3_A_AUTH:
        if (n > 0 && !mp_pop3_mech_valid_(cmd->arg.ptr, cmd->arg.len))
            st = MP_ERR_BAD_VALUE;
        if (n > 1 && !(cmd->arg2.len == 1 && cmd->arg2.ptr[0] == '=') &&
            (cmd->arg2.len == 0 || !b64_valid(cmd->arg2)))
            st = MP_ERR_BAD_VALUE;
        len += n > 0 ? 1 + cmd->arg.len : 0;
        len += n > 1 ? 1 + cmd->arg2.len : 0;
        break;
    case MP_POP3_A_MSG_OPT:
    case MP_POP3_A_MSG:
        if (n > 0 && (cmd->msgno < 1 || cmd->msgno > MP_POP3_MSGNO_MAX))
            return MP_ERR_ARG;
        len += n > 0 ? 1 + digits(cmd->msgno) : 0;
        break;
    case MP_POP3_A_TOP:
        if (cmd->msgno < 1 || cmd->msgno > MP_POP3_MSGNO_MAX || cmd->lines > MP_POP3_MSGNO_MAX)
            return MP_ERR_ARG;
        len += 2 + digits(cmd->msgno) + digits(cmd->lines);
        break;
    case MP_POP3_A_LANG:
        if (n > 0 && !mp_pop3_lang_valid_(cmd->arg.ptr, cmd->arg.len))
            st = MP_ERR_BAD_VALUE;
        else if (n > 0 && cmd->arg.len > max_arg)
            st = MP_ERR_POP3_ARG_TOO_LONG;
        len += n > 0 ? 1 + cmd->arg.len : 0;
        break;
    default:
        break;
    }
    if (st != MP_OK)
        return st;
    if (len > (size_t)max_line - 2u)
        return MP_ERR_LINE_TOO_LONG;

    mark = mp_outbuf_mark(ob);
    mp_outbuf_puts(ob, vi->name);
    if (vi->shape == MP_POP3_A_MSG_OPT || vi->shape == MP_POP3_A_MSG ||
        vi->shape == MP_POP3_A_TOP) {
        if (n > 0) {
            mp_outbuf_putc(ob, ' ');
            mp_outbuf_put_u64(ob, cmd->msgno);
        }
        if (vi->shape == MP_POP3_A_TOP) {
            mp_outbuf_putc(ob, ' ');
            mp_outbuf_put_u64(ob, cmd->lines);
        }
    } else {
        if (n > 0) {
            mp_outbuf_putc(ob, ' ');
            mp_outbuf_put(ob, cmd->arg.ptr, cmd->arg.len);
        }
        if (n > 1) {
            mp_outbuf_putc(ob, ' ');
            mp_outbuf_put(ob, cmd->arg2.ptr, cmd->arg2.len);
        }
    }
    mp_outbuf_put(ob, "\r\n", 2);
    return mp_outbuf_commit(ob, mark);
}

static mp_pop3_cmd cmd_of(mp_pop3_verb verb)
{
    mp_pop3_cmd c;
    memset(&c, 0, sizeof(c));
    c.verb = verb;
    return c;
}

static mp_pop3_cmd cmd_arg(mp_pop3_verb verb, mp_slice arg)
{
    mp_pop3_cmd c = cmd_of(verb);
    c.arg = arg;
    c.has_arg = 1;
    return c;
}

mp_status mp_pop3_write_simple(mp_outbuf *ob, mp_pop3_verb verb)
{
    mp_pop3_cmd c = cmd_of(verb);
    return mp_pop3_write_command(ob, &c, 0, NULL);
}

mp_status mp_pop3_write_msg(mp_outbuf *ob, mp_pop3_verb verb, uint32_t msgno)
{
    mp_pop3_cmd c = cmd_of(verb);
    const mp_pop3_verb_row_ *vi = mp_pop3_verb_info_(verb);
    if (vi == NULL || (vi->shape != MP_POP3_A_MSG_OPT && vi->shape != MP_POP3_A_MSG))
        return MP_ERR_ARG;
    c.msgno = msgno;
    c.has_arg = 1;
    return mp_pop3_write_command(ob, &c, 0, NULL);
}

mp_status mp_pop3_write_top(mp_outbuf *ob, uint32_t msgno, uint32_t lines)
{
    mp_pop3_cmd c = cmd_of(MP_POP3_TOP);
    c.msgno = msgno;
    c.lines = lines;
    c.has_arg = c.has_arg2 = 1;
    return mp_pop3_write_command(ob, &c, 0, NULL);
}

mp_status mp_pop3_write_user(mp_outbuf *ob, mp_slice name, unsigned flags,
                             const mp_pop3_limits *lim)
{
    mp_pop3_cmd c = cmd_arg(MP_POP3_USER, name);
    return mp_pop3_write_command(ob, &c, flags, lim);
}

mp_status mp_pop3_write_pass(mp_outbuf *ob, mp_slice password, unsigned flags,
                             const mp_pop3_limits *lim)
{
    mp_pop3_cmd c = cmd_arg(MP_POP3_PASS, password);
    return mp_pop3_write_command(ob, &c, flags, lim);
}

mp_status mp_pop3_write_lang(mp_outbuf *ob, mp_slice tag, const mp_pop3_limits *lim)
{
    mp_pop3_cmd c = cmd_arg(MP_POP3_LANG, tag);
    return mp_pop3_write_command(ob, &c, 0, lim);
}

mp_status mp_pop3_write_apop(mp_outbuf *ob, mp_slice name, const uint8_t digest[16],
                             unsigned flags, const mp_pop3_limits *lim)
{
    static const char hex[] = "0123456789abcdef";
    char text[32];
    size_t i;
    mp_pop3_cmd c = cmd_arg(MP_POP3_APOP, name);
    if (digest == NULL)
        return MP_ERR_ARG;
    /* RFC 1939 §7: the digest in lower-case hex. */
    for (i = 0; i < 16; i++) {
        text[2 * i] = hex[digest[i] >> 4];
        text[2 * i + 1] = hex[digest[i] & 15u];
    }
    c.arg2 = mp_slice_make(text, sizeof(text));
    c.has_arg2 = 1;
    return mp_pop3_write_command(ob, &c, flags, lim);
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
    if (!has_initial) {
        mp_pop3_cmd c = cmd_arg(MP_POP3_AUTH, mech);
        return mp_pop3_write_command(ob, &c, 0, lim);
    }
    mp_pop3_limits_get_(lim, &max_line, &max_arg);
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
