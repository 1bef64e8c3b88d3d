/* POP3 command parser, server side (RFC 1939 §3-§7, RFC 2449 §4-§5,
 * RFC 2595 §4, RFC 5034 §4, RFC 6856 §2-§3).  One whole command line in
 * place; framing (CRLF, bare CR/LF) is the line framer's job. */
#include <string.h>

#include "grammar.h"

static const char *const rule_kw = MP_RULE_("RFC 1939 3 keyword");
static const char *const rule_args = MP_RULE_("RFC 1939 3 arguments");

static mp_status fail(mp_error *err, mp_status code, size_t offset, const char *rule)
{
    return mp_error_set(err, code, offset, rule);
}

/* USER name, APOP name, PASS string, LANG tag: the bytes, then the
 * per-argument limit (RFC 1939 §3: 40 octets). */
static mp_status check_arg(const char *line, size_t s, size_t e, unsigned flags, int space,
                           uint32_t max_arg, mp_error *err)
{
    size_t bad = 0;
    mp_status st = mp_pop3_arg_check_(line + s, e - s, flags, space, &bad);
    if (st != MP_OK)
        return fail(err, st, s + bad, rule_args);
    if (e - s > max_arg)
        return fail(err, MP_ERR_POP3_ARG_TOO_LONG, s + max_arg, "MP_POP3_MAX_ARG");
    return MP_OK;
}

static mp_status number(const char *line, size_t s, size_t e, uint32_t min, uint32_t *out,
                        mp_error *err)
{
    if (mp_pop3_number_(line + s, e - s, min, out) != MP_OK)
        return fail(err, MP_ERR_POP3_NUMBER, s, MP_RULE_("RFC 1939 5 msg"));
    return MP_OK;
}

mp_status mp_pop3_cmd_parse(const char *line, size_t len, unsigned flags,
                            const mp_pop3_limits *lim, mp_pop3_cmd *cmd, mp_error *err)
{
    const mp_pop3_verb_row_ *vi;
    uint32_t max_line, max_arg;
    size_t kw = 0, i, end = len, n = 0;
    size_t as[2] = { 0, 0 }, ae[2] = { 0, 0 };
    mp_status st;

    memset(cmd, 0, sizeof(*cmd));
    mp_error_set(err, MP_OK, 0, NULL);
    if (line == NULL && len != 0)
        return fail(err, MP_ERR_ARG, 0, NULL);
    mp_pop3_limits_get_(lim, &max_line, &max_arg);
    /* RFC 2449 §4: 255 octets with CRLF, unless the server raised it. */
    if (len > (size_t)max_line - 2u)
        return fail(err, MP_ERR_LINE_TOO_LONG, (size_t)max_line - 2u,
                    "MP_POP3_MAX_COMMAND_LINE");

    while (kw < len && line[kw] != ' ')
        kw++;
    vi = mp_pop3_verb_find_(line, kw);
    if (vi == NULL)
        return fail(err, MP_ERR_POP3_UNKNOWN_COMMAND, 0, rule_kw);
    cmd->verb = (mp_pop3_verb)vi->verb;

    if (vi->shape == MP_POP3_A_REST) {
        /* RFC 1939 §7: PASS has one argument, spaces included. */
        if (kw + 1 >= len)
            return fail(err, MP_ERR_POP3_SYNTAX, len, rule_args);
        st = check_arg(line, kw + 1, len, flags, 1, max_arg, err);
        if (st != MP_OK)
            return st;
        cmd->arg = mp_slice_make(line + kw + 1, len - kw - 1);
        cmd->has_arg = 1;
        return MP_OK;
    }

    if (flags & MP_POP3_CMD_LAX)
        while (end > kw && line[end - 1] == ' ')
            end--;
    /* Each argument after exactly one SP (RFC 1939 §3); LAX: several. */
    for (i = kw; i < end;) {
        size_t s;
        i++;
        while ((flags & MP_POP3_CMD_LAX) && i < end && line[i] == ' ')
            i++;
        if (i == end || line[i] == ' ')
            return fail(err, MP_ERR_POP3_SYNTAX, i, rule_args);
        s = i;
        while (i < end && line[i] != ' ')
            i++;
        if (n == mp_pop3_shape_max_[vi->shape])
            return fail(err, MP_ERR_POP3_SYNTAX, s, rule_args);
        as[n] = s;
        ae[n] = i;
        n++;
    }
    if (n < mp_pop3_shape_min_[vi->shape])
        return fail(err, MP_ERR_POP3_SYNTAX, end, rule_args);
    cmd->has_arg = n > 0;
    cmd->has_arg2 = n > 1;
    if (n > 0)
        cmd->arg = mp_slice_make(line + as[0], ae[0] - as[0]);
    if (n > 1)
        cmd->arg2 = mp_slice_make(line + as[1], ae[1] - as[1]);

    switch (vi->shape) {
    case MP_POP3_A_NAME:
        return check_arg(line, as[0], ae[0], flags, 0, max_arg, err);
    case MP_POP3_A_APOP:
        st = check_arg(line, as[0], ae[0], flags, 0, max_arg, err);
        if (st == MP_OK && !mp_pop3_digest_valid_(line + as[1], ae[1] - as[1]))
            st = fail(err, MP_ERR_POP3_SYNTAX, as[1], MP_RULE_("RFC 1939 7 APOP digest"));
        return st;
    case MP_POP3_A_AUTH:
        if (n > 0 && !mp_pop3_mech_valid_(line + as[0], ae[0] - as[0]))
            return fail(err, MP_ERR_POP3_SYNTAX, as[0], MP_RULE_("RFC 4422 3.1 mech"));
        if (n > 1 && !(ae[1] - as[1] == 1 && line[as[1]] == '=')) {
            /* RFC 5034 §4: initial-response = base64 / "=". */
            int ok;
            size_t bad = mp_pop3_b64_check_(line + as[1], ae[1] - as[1], &ok);
            if (!ok)
                return fail(err, MP_ERR_BASE64, as[1] + bad,
                            MP_RULE_("RFC 5034 4 initial-response"));
        }
        return MP_OK;
    case MP_POP3_A_MSG_OPT:
    case MP_POP3_A_MSG:
        return n > 0 ? number(line, as[0], ae[0], 1, &cmd->msgno, err) : MP_OK;
    case MP_POP3_A_TOP:
        st = number(line, as[0], ae[0], 1, &cmd->msgno, err);
        return st != MP_OK ? st : number(line, as[1], ae[1], 0, &cmd->lines, err);
    case MP_POP3_A_LANG:
        if (n > 0 && !mp_pop3_lang_valid_(line + as[0], ae[0] - as[0]))
            return fail(err, MP_ERR_POP3_SYNTAX, as[0], MP_RULE_("RFC 6856 3 LANG"));
        if (n > 0 && ae[0] - as[0] > max_arg)
            return fail(err, MP_ERR_POP3_ARG_TOO_LONG, as[0] + max_arg, "MP_POP3_MAX_ARG");
        return MP_OK;
    default:
        return MP_OK;
    }
}

mp_status mp_pop3_auth_line_parse(const char *line, size_t len, size_t max_line,
                                  mp_pop3_auth_line_kind *kind, mp_slice *data, mp_error *err)
{
    int ok;
    size_t bad;
    mp_error_set(err, MP_OK, 0, NULL);
    *kind = MP_POP3_AUTH_DATA;
    *data = mp_slice_make(line, 0);
    if (line == NULL && len != 0)
        return fail(err, MP_ERR_ARG, 0, NULL);
    if (max_line == 0)
        max_line = MP_POP3_MAX_AUTH_LINE;
    if (max_line < 3 || len > max_line - 2u)
        return fail(err, MP_ERR_POP3_AUTH_TOO_LONG, max_line < 3 ? 0 : max_line - 2u,
                    "MP_POP3_MAX_AUTH_LINE");
    /* RFC 5034 §4: "*" cancels the exchange. */
    if (len == 1 && line[0] == '*') {
        *kind = MP_POP3_AUTH_CANCEL;
        return MP_OK;
    }
    bad = mp_pop3_b64_check_(line, len, &ok);
    if (!ok)
        return fail(err, MP_ERR_BASE64, bad, MP_RULE_("RFC 5034 4 base64"));
    *data = mp_slice_make(line, len);
    return MP_OK;
}
