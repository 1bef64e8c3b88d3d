/* SMTP command parser, server side (RFC 5321 §4.1.1, RFC 2033, RFC 3030,
 * RFC 3207, RFC 4954).  Parses one whole command line in place; framing
 * (CRLF, bare CR/LF, line length) is the line framer's job.  The common
 * commands go through the fast path (cmd_fast.c) first; this file is the
 * careful path, which reads everything and reports every error. */
#include <string.h>

#include "cmd_internal.h"

/* How a verb's arguments look. */
enum argkind {
    A_NONE,     /* no argument: DATA RSET QUIT STARTTLS */
    A_DOMAIN,   /* SP Domain / address-literal: HELO EHLO LHLO */
    A_STR_REQ,  /* SP String: VRFY EXPN */
    A_STR_OPT,  /* [SP String]: NOOP HELP */
    A_MAIL,     /* SP "FROM:" Reverse-path [SP Mail-parameters] */
    A_RCPT,     /* SP "TO:" Forward-path [SP Rcpt-parameters] */
    A_BDAT,     /* SP chunk-size [SP end-marker] */
    A_AUTH      /* SP sasl-mech [SP initial-response] */
};

static const struct {
    char name[9];
    uint8_t len;
    uint8_t verb;
    uint8_t args;
} verbs[] = {
    { "HELO", 4, MP_SMTP_HELO, A_DOMAIN },   { "EHLO", 4, MP_SMTP_EHLO, A_DOMAIN },
    { "LHLO", 4, MP_SMTP_LHLO, A_DOMAIN },   { "MAIL", 4, MP_SMTP_MAIL, A_MAIL },
    { "RCPT", 4, MP_SMTP_RCPT, A_RCPT },     { "DATA", 4, MP_SMTP_DATA, A_NONE },
    { "BDAT", 4, MP_SMTP_BDAT, A_BDAT },     { "RSET", 4, MP_SMTP_RSET, A_NONE },
    { "NOOP", 4, MP_SMTP_NOOP, A_STR_OPT },  { "QUIT", 4, MP_SMTP_QUIT, A_NONE },
    { "VRFY", 4, MP_SMTP_VRFY, A_STR_REQ },  { "EXPN", 4, MP_SMTP_EXPN, A_STR_REQ },
    { "HELP", 4, MP_SMTP_HELP, A_STR_OPT },  { "STARTTLS", 8, MP_SMTP_STARTTLS, A_NONE },
    { "AUTH", 4, MP_SMTP_AUTH, A_AUTH },
};

/* Request methods of HTTP: a browser or proxy talking to the SMTP port
 * (cross-protocol attacks); the session closes at once. */
static const char *const http_verbs[] = { "GET", "POST", "HEAD", "PUT", "CONNECT",
                                          "OPTIONS", "DELETE" };

const char *mp_smtp_verb_name(mp_smtp_verb v)
{
    size_t i;
    for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (verbs[i].verb == (uint8_t)v)
            return verbs[i].name;
    return "?";
}


static int is_b64(unsigned c)
{
    return ((c | 0x20u) >= 'a' && (c | 0x20u) <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=';
}

/* MAIL FROM / RCPT TO: the keyword, the path, the parameters. */
static mp_status parse_path_cmd(const char *line, size_t len, size_t i, int is_mail,
                                unsigned flags, mp_smtp_cmd *cmd, mp_error *err)
{
    const char *kw = is_mail ? "FROM:" : "TO:";
    size_t kl = is_mail ? 5u : 3u, used = 0, ps, pe;
    int utf8;
    mp_status st;

    if (len - i < kl || !mp_slice_eq_ci(mp_slice_make(line + i, kl), kw, kl))
        return mp_error_set(err, MP_ERR_SYNTAX, i,
                             MP_RULE_(is_mail ? "RFC 5321 4.1.1.2 MAIL" : "RFC 5321 4.1.1.3 RCPT"));
    i += kl;
    while ((flags & MP_SMTP_CMD_LAX) && i < len && line[i] == ' ')
        i++;
    if (is_mail) {
        /* The path may hold UTF-8 only when the server offers SMTPUTF8 and
         * this MAIL asks for it; find the parameters first (RFC 6531 §3.4). */
        const char *gt = NULL;
        size_t k;
        if (i < len && line[i] == '<') {
            /* The path ends at the first ">" outside a quoted string. */
            int q = 0;
            for (k = i + 1; k < len; k++) {
                if (q && line[k] == '\\') {
                    k++;
                    continue;
                }
                if (line[k] == '"')
                    q = !q;
                else if (!q && line[k] == '>') {
                    gt = line + k;
                    break;
                }
            }
        }
        pe = gt ? (size_t)(gt - line) + 1 : len;
        utf8 = 0;
        if ((flags & MP_SMTP_CMD_SMTPUTF8) && pe < len) {
            mp_smtp_params tmp;
            mp_error e2;
            size_t s2 = pe + 1;
            while ((flags & MP_SMTP_CMD_LAX) && s2 < len && line[s2] == ' ')
                s2++;
            if (line[pe] == ' ' &&
                mp_smtp_params_parse_(line + s2, len - s2, s2, 1, flags, &tmp, &e2) == MP_OK)
                utf8 = (tmp.present & MP_SMTP_P_SMTPUTF8) != 0;
        }
    } else {
        utf8 = (flags & MP_SMTP_CMD_UTF8_TXN) != 0;
    }
    ps = i;
    st = mp_smtp_path_parse(line + i, len - i, is_mail, !is_mail, utf8, &cmd->path, &used, err);
    if (st != MP_OK) {
        err->offset += ps;
        return st;
    }
    i += used;
    if (i == len) {
        cmd->params_text = mp_slice_make(line + i, 0);
        return mp_smtp_params_parse_(line + i, 0, i, is_mail, flags, &cmd->params, err);
    }
    if (line[i] != ' ')
        return mp_error_set(err, MP_ERR_SYNTAX, i, MP_RULE_("RFC 5321 4.1.2 Mail-parameters"));
    i++;
    while ((flags & MP_SMTP_CMD_LAX) && i < len && line[i] == ' ')
        i++;
    if (i == len && !(flags & MP_SMTP_CMD_LAX))
        return mp_error_set(err, MP_ERR_SYNTAX, i - 1, MP_RULE_("RFC 5321 4.1.2 Mail-parameters"));
    cmd->params_text = mp_slice_make(line + i, len - i);
    return mp_smtp_params_parse_(line + i, len - i, i, is_mail, flags, &cmd->params, err);
}

mp_status mp_smtp_cmd_parse(const char *line, size_t len, unsigned flags, mp_smtp_cmd *cmd,
                            mp_error *err)
{
#if MP_ENABLE_FAST_PATHS
    if (mp_smtp_cmd_parse_fast_(line, len, flags, cmd)) {
        err->code = MP_OK;
        err->offset = 0;
        err->rule = NULL;
        return MP_OK;
    }
#endif
    return mp_smtp_cmd_parse_careful_(line, len, flags, cmd, err);
}

mp_status mp_smtp_cmd_parse_careful_(const char *line, size_t len, unsigned flags,
                                     mp_smtp_cmd *cmd, mp_error *err)
{
    size_t i, vl, k;
    unsigned args;

    memset(cmd, 0, sizeof(*cmd));
    err->code = MP_OK;
    err->offset = 0;
    err->rule = NULL;
    /* No control characters anywhere in a command (RFC 5321 §4.1.1: the
     * grammar has none; NUL is a classic truncation attack). */
    for (i = 0; i < len; i++) {
        unsigned c = (unsigned char)line[i];
        if (c < 0x20 || c == 0x7f)
            return mp_error_set(err, c == 0 ? MP_ERR_NUL : MP_ERR_SYNTAX, i,
                                 MP_RULE_("RFC 5321 4.1.1 no CTL"));
    }
    if (flags & MP_SMTP_CMD_LAX)
        while (len > 0 && line[len - 1] == ' ')
            len--;
    vl = 0;
    while (vl < len && line[vl] != ' ')
        vl++;
    for (k = 0; k < sizeof(verbs) / sizeof(verbs[0]); k++)
        if (mp_slice_eq_ci(mp_slice_make(line, vl), verbs[k].name, verbs[k].len))
            break;
    if (k == sizeof(verbs) / sizeof(verbs[0])) {
        for (k = 0; k < sizeof(http_verbs) / sizeof(http_verbs[0]); k++)
            if (vl < len && mp_slice_eq_ci(mp_slice_make(line, vl), http_verbs[k],
                                           strlen(http_verbs[k])))
                return mp_error_set(err, MP_ERR_SMTP_HTTP, 0, "HTTP request");
        return mp_error_set(err, MP_ERR_SMTP_UNKNOWN_COMMAND, 0, MP_RULE_("RFC 5321 4.1.1 verb"));
    }
    cmd->verb = (mp_smtp_verb)verbs[k].verb;
    args = verbs[k].args;
    i = vl;
    cmd->arg = mp_slice_make(line + len, 0);
    cmd->arg2 = cmd->arg;
    cmd->params_text = cmd->arg;

    if (args == A_NONE) {
        if (i != len)
            return mp_error_set(err, MP_ERR_SYNTAX, i, MP_RULE_("RFC 5321 4.1.1 no argument"));
        return MP_OK;
    }
    if (i == len) {
        if (args == A_STR_OPT)
            return MP_OK;
        return mp_error_set(err, MP_ERR_SYNTAX, i, MP_RULE_("RFC 5321 4.1.1 argument required"));
    }
    i++; /* the SP after the verb */
    switch (args) {
    case A_DOMAIN: {
        unsigned pf = 0;
        mp_status st;
        if (i == len)
            return mp_error_set(err, MP_ERR_SYNTAX, i, MP_RULE_("RFC 5321 4.1.1.1 Domain"));
        cmd->arg = mp_slice_make(line + i, len - i);
        if (flags & MP_SMTP_CMD_LAX) {
            /* Any printable argument without spaces. */
            for (k = i; k < len; k++)
                if (line[k] == ' ' || (unsigned char)line[k] >= 0x80)
                    return mp_error_set(err, MP_ERR_SYNTAX, k, MP_RULE_("RFC 5321 4.1.1.1 Domain"));
            return MP_OK;
        }
        st = mp_smtp_domain_check(line + i, len - i, 0, &pf, err);
        if (st != MP_OK) {
            err->offset += i;
            return err->code = MP_ERR_SYNTAX;
        }
        return MP_OK;
    }
    case A_STR_REQ:
    case A_STR_OPT:
        if (i == len && args == A_STR_REQ)
            return mp_error_set(err, MP_ERR_SYNTAX, i, MP_RULE_("RFC 5321 4.1.1.6 String"));
        for (k = i; k < len; k++)
            if ((unsigned char)line[k] >= 0x80 && !(flags & MP_SMTP_CMD_SMTPUTF8))
                return mp_error_set(err, MP_ERR_8BIT, k, MP_RULE_("RFC 5321 4.1.1.6 String"));
        cmd->arg = mp_slice_make(line + i, len - i);
        return MP_OK;
    case A_MAIL:
    case A_RCPT:
        return parse_path_cmd(line, len, i, args == A_MAIL, flags, cmd, err);
    case A_BDAT: {
        /* bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ] CR LF (RFC 3030 §2) */
        size_t e = i;
        mp_status st;
        while (e < len && line[e] != ' ')
            e++;
        if (e - i > 20)
            return mp_error_set(err, MP_ERR_NUMBER, i, MP_RULE_("RFC 3030 chunk-size"));
        st = mp_parse_u64(mp_slice_make(line + i, e - i), UINT64_MAX, &cmd->bdat_size);
        if (st != MP_OK)
            return mp_error_set(err, st, i, MP_RULE_("RFC 3030 chunk-size"));
        if (e == len)
            return MP_OK;
        if (!mp_slice_eq_ci(mp_slice_make(line + e + 1, len - e - 1), "LAST", 4))
            return mp_error_set(err, MP_ERR_SYNTAX, e + 1, MP_RULE_("RFC 3030 end-marker"));
        cmd->bdat_last = 1;
        return MP_OK;
    }
    case A_AUTH: {
        /* "AUTH" SP sasl-mech [SP initial-response] (RFC 4954 §4);
         * sasl-mech = 1*20(UPPER-ALPHA / DIGIT / "-" / "_") (RFC 4422 §3.1),
         * case-insensitive on input. */
        size_t e = i;
        while (e < len && line[e] != ' ') {
            unsigned c = (unsigned char)line[e];
            if (!(((c | 0x20u) >= 'a' && (c | 0x20u) <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_'))
                return mp_error_set(err, MP_ERR_SYNTAX, e, MP_RULE_("RFC 4422 3.1 sasl-mech"));
            e++;
        }
        if (e == i || e - i > 20)
            return mp_error_set(err, MP_ERR_SYNTAX, i, MP_RULE_("RFC 4422 3.1 sasl-mech"));
        cmd->arg = mp_slice_make(line + i, e - i);
        if (e == len)
            return MP_OK;
        e++;
        if (e == len)
            return mp_error_set(err, MP_ERR_SYNTAX, e, MP_RULE_("RFC 4954 4 initial-response"));
        for (k = e; k < len; k++)
            if (!is_b64((unsigned char)line[k]))
                return mp_error_set(err, MP_ERR_SYNTAX, k, MP_RULE_("RFC 4954 4 initial-response"));
        cmd->arg2 = mp_slice_make(line + e, len - e);
        cmd->has_arg2 = 1;
        return MP_OK;
    }
    default:
        return mp_error_set(err, MP_ERR_SYNTAX, i, MP_RULE_("RFC 5321 4.1.1"));
    }
}
