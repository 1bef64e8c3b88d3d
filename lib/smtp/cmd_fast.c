/* SMTP command parser, fast path (see cmd_internal.h): the commands a
 * server sees nearly always, in the shapes clients send them, read in one
 * pass over the line with a character-class table.  It accepts only what
 * the careful path (cmd_parse.c) accepts, with the same result, and
 * declines everything else; it never reports an error.  The grammar is
 * RFC 5321 §4.1.1 and §4.1.2 with RFC 1870, RFC 3030, RFC 3461, RFC 6152
 * parameters; each scan below names its rule. */
#include <string.h>

#include "cmd_internal.h"

/* Character classes, one bit each (RFC 5321 §4.1.2, RFC 5322 §3.2.3). */
enum {
    CC_ATEXT = 0x01, /* atext: ALPHA / DIGIT / "!#$%&'*+-/=?^_`{|}~" */
    CC_LDH = 0x02,   /* Ldh-str and esmtp-keyword: ALPHA / DIGIT / "-" */
    CC_ALNUM = 0x04, /* Let-dig: ALPHA / DIGIT */
    CC_VALUE = 0x08, /* esmtp-value: %d33-60 / %d62-126 */
    CC_TEXT = 0x10,  /* String of NOOP/HELP/VRFY/EXPN, 7-bit: %d32-126 */
    CC_GRAPH = 0x20, /* a HELO argument under MP_SMTP_CMD_LAX: %d33-126 */
    CC_DIGIT = 0x40  /* DIGIT */
};

/* No class holds a control character or an 8-bit byte: a line that has
 * one is declined wherever it is (the careful path reports it).  The
 * entries of 0x80..0xff are the zeros C fills in. */
static const uint8_t cc[256] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x10, 0x39, 0x38, 0x39, 0x39, 0x39, 0x39, 0x39, 0x38, 0x38, 0x39, 0x39, 0x38, 0x3b, 0x38, 0x39,
    0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x38, 0x38, 0x38, 0x31, 0x38, 0x39,
    0x38, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f,
    0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x38, 0x38, 0x38, 0x39, 0x39,
    0x39, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f,
    0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x3f, 0x39, 0x39, 0x39, 0x39, 0x00,
};

/* Four letters, case folded: (c | 0x20) is a lower-case letter only for
 * that letter in either case, so comparing with lower-case letters is an
 * exact case-insensitive match (never for ":" or a digit: compare those
 * as they are). */
#define KEY4(a, b, c, d)                                                                          \
    (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

static uint32_t fold4(const unsigned char *p)
{
    return KEY4(p[0] | 0x20u, p[1] | 0x20u, p[2] | 0x20u, p[3] | 0x20u);
}

/* Length of the run of class-`mask` bytes at p[i..n), from i. */
static size_t run(const unsigned char *p, size_t i, size_t n, unsigned mask)
{
    while (i < n && (cc[p[i]] & mask))
        i++;
    return i;
}

/* The SP between two parts of a command (more of them under
 * MP_SMTP_CMD_LAX) at p[i], with something after it: the offset past the
 * spaces, else 0. */
static size_t sep(const unsigned char *p, size_t i, size_t n, unsigned flags)
{
    if (p[i] != ' ')
        return 0;
    i++;
    if (flags & MP_SMTP_CMD_LAX)
        while (i < n && p[i] == ' ')
            i++;
    return i < n ? i : 0;
}

/* Domain = sub-domain *("." sub-domain), sub-domain = Let-dig [Ldh-str]
 * (RFC 5321 §4.1.2), labels within MP_SMTP_MAX_LABEL and the whole within
 * MP_SMTP_MAX_DOMAIN: its length from p[0], up to the first byte that
 * cannot continue it; 0 when what is there is not such a domain. */
static size_t domain(const unsigned char *p, size_t n)
{
    size_t i = 0;
    for (;;) {
        size_t s = i;
        if (i >= n || !(cc[p[i]] & CC_ALNUM))
            return 0;
        i = run(p, i + 1, n, CC_LDH);
        if (p[i - 1] == '-' || i - s > MP_SMTP_MAX_LABEL)
            return 0;
        if (i < n && p[i] == '.') {
            i++;
            continue;
        }
        return i <= MP_SMTP_MAX_DOMAIN ? i : 0;
    }
}

/* Path = "<" Mailbox ">" with Mailbox = Dot-string "@" Domain, or "<>"
 * when allow_null (RFC 5321 §4.1.2), within MP_SMTP_MAX_LOCAL_PART and
 * MP_SMTP_MAX_PATH: its length through the ">", else 0. */
static size_t path(const unsigned char *p, size_t n, int allow_null, mp_smtp_path *out)
{
    size_t i = 1, ll, ds, dl;
    if (n < 2 || p[0] != '<')
        return 0;
    if (p[1] == '>') {
        if (!allow_null)
            return 0;
        out->kind = MP_SMTP_PATH_NULL;
        out->mailbox = out->local = out->domain = mp_slice_make((const char *)p + 1, 0);
        return 2;
    }
    /* Dot-string = Atom *("." Atom), Atom = 1*atext */
    for (;;) {
        size_t a = i;
        i = run(p, i, n, CC_ATEXT);
        if (i == a)
            return 0;
        if (i < n && p[i] == '.') {
            i++;
            continue;
        }
        break;
    }
    ll = i - 1;
    if (ll > MP_SMTP_MAX_LOCAL_PART || i >= n || p[i] != '@')
        return 0;
    ds = ++i;
    dl = domain(p + ds, n - ds);
    i += dl;
    if (dl == 0 || i >= n || p[i] != '>' || i + 1 > MP_SMTP_MAX_PATH)
        return 0;
    out->kind = MP_SMTP_PATH_MAILBOX;
    out->mailbox = mp_slice_make((const char *)p + 1, i - 1);
    out->local = mp_slice_make((const char *)p + 1, ll);
    out->domain = mp_slice_make((const char *)p + ds, dl);
    return i + 1;
}

/* Mail-parameters / Rcpt-parameters = esmtp-param *(SP esmtp-param),
 * esmtp-param = esmtp-keyword ["=" esmtp-value] (RFC 5321 §4.1.2), 7-bit
 * values only; each parameter's meaning is mp_smtp_param_take_(). */
static int params(const unsigned char *p, size_t n, size_t base, int is_mail, unsigned flags,
                  mp_smtp_params *out)
{
    size_t i = 0, count = 0;
    mp_error e;
    while (i < n) {
        size_t ks = i, ke, vs, ve;
        int has_value;
        if (!(cc[p[i]] & CC_ALNUM))
            return 0;
        ke = i = run(p, i + 1, n, CC_LDH);
        has_value = i < n && p[i] == '=';
        vs = ve = i;
        if (has_value) {
            vs = i + 1;
            ve = i = run(p, vs, n, CC_VALUE);
            if (ve == vs)
                return 0;
        }
        if (i < n && (i = sep(p, i, n, flags)) == 0)
            return 0;
        if (++count > MP_SMTP_MAX_PARAMS ||
            mp_smtp_param_take_(mp_slice_make((const char *)p + ks, ke - ks), base + ks, has_value,
                                mp_slice_make((const char *)p + vs, ve - vs), base + vs, is_mail,
                                out, &e) != MP_OK)
            return 0;
    }
    return 1;
}

/* "MAIL FROM:" Reverse-path [SP Mail-parameters] /
 * "RCPT TO:" Forward-path [SP Rcpt-parameters] (RFC 5321 §4.1.1.2-3),
 * from line[5]. */
static int path_cmd(const unsigned char *line, size_t len, int is_mail, unsigned flags,
                    mp_smtp_cmd *cmd)
{
    size_t i, k;
    if (is_mail) {
        if (len < 10 || fold4(line + 5) != KEY4('f', 'r', 'o', 'm') || line[9] != ':')
            return 0;
        i = 10;
    } else {
        if (len < 8 || (line[5] | 0x20u) != 't' || (line[6] | 0x20u) != 'o' || line[7] != ':')
            return 0;
        i = 8;
    }
    if (flags & MP_SMTP_CMD_LAX)
        while (i < len && line[i] == ' ')
            i++;
    k = path(line + i, len - i, is_mail, &cmd->path);
    if (k == 0)
        return 0;
    i += k;
    if (i == len)
        return 1; /* no parameters: params_text is the empty slice at the end */
    if ((i = sep(line, i, len, flags)) == 0)
        return 0;
    cmd->params_text = mp_slice_make((const char *)line + i, len - i);
    return params(line + i, len - i, i, is_mail, flags, &cmd->params);
}

/* bdat-cmd = "BDAT" SP chunk-size [SP end-marker] (RFC 3030 §2), up to
 * 19 digits (no overflow possible). */
static int bdat(const unsigned char *line, size_t len, mp_smtp_cmd *cmd)
{
    size_t i = 5, e = run(line, 5, len, CC_DIGIT);
    uint64_t v = 0;
    if (e == i || e - i > 19)
        return 0;
    for (; i < e; i++)
        v = v * 10u + (uint64_t)(line[i] - '0');
    cmd->bdat_size = v;
    if (e == len)
        return 1;
    if (line[e] != ' ' || len - e != 5 || fold4(line + e + 1) != KEY4('l', 'a', 's', 't'))
        return 0;
    cmd->bdat_last = 1;
    return 1;
}

int mp_smtp_cmd_parse_fast_(const char *text, size_t len, unsigned flags, mp_smtp_cmd *cmd)
{
    const unsigned char *line = (const unsigned char *)text;
    mp_slice end;
    size_t n;

    if (flags & MP_SMTP_CMD_LAX)
        while (len > 0 && line[len - 1] == ' ')
            len--;
    /* every verb has four letters but STARTTLS */
    if (len < 4 || (len > 4 && line[4] != ' ' && len != 8))
        return 0;
    memset(cmd, 0, sizeof(*cmd));
    end = mp_slice_make(text + len, 0);
    cmd->arg = cmd->arg2 = cmd->params_text = end;
    if (len == 8 && line[4] != ' ') {
        cmd->verb = MP_SMTP_STARTTLS;
        return fold4(line) == KEY4('s', 't', 'a', 'r') && fold4(line + 4) == KEY4('t', 't', 'l', 's');
    }
    n = len > 5 ? len - 5 : 0; /* argument bytes after the verb and its SP */
    switch (fold4(line)) {
    case KEY4('r', 'c', 'p', 't'):
        cmd->verb = MP_SMTP_RCPT;
        return path_cmd(line, len, 0, flags, cmd);
    case KEY4('m', 'a', 'i', 'l'):
        cmd->verb = MP_SMTP_MAIL;
        return path_cmd(line, len, 1, flags, cmd);
    case KEY4('d', 'a', 't', 'a'):
        cmd->verb = MP_SMTP_DATA;
        return len == 4;
    case KEY4('q', 'u', 'i', 't'):
        cmd->verb = MP_SMTP_QUIT;
        return len == 4;
    case KEY4('r', 's', 'e', 't'):
        cmd->verb = MP_SMTP_RSET;
        return len == 4;
    case KEY4('b', 'd', 'a', 't'):
        cmd->verb = MP_SMTP_BDAT;
        return n > 0 && bdat(line, len, cmd);
    case KEY4('e', 'h', 'l', 'o'):
    case KEY4('h', 'e', 'l', 'o'):
    case KEY4('l', 'h', 'l', 'o'):
        /* SP Domain (RFC 5321 §4.1.1.1); any %d33-126 under the quirk */
        cmd->verb = line[0] == 'E' || line[0] == 'e'   ? MP_SMTP_EHLO
                    : line[0] == 'H' || line[0] == 'h' ? MP_SMTP_HELO
                                                       : MP_SMTP_LHLO;
        cmd->arg = mp_slice_make(text + 5, n);
        if (n == 0)
            return 0;
        if (flags & MP_SMTP_CMD_LAX)
            return run(line, 5, len, CC_GRAPH) == len;
        return domain(line + 5, n) == n;
    case KEY4('n', 'o', 'o', 'p'):
    case KEY4('h', 'e', 'l', 'p'):
    case KEY4('v', 'r', 'f', 'y'):
    case KEY4('e', 'x', 'p', 'n'):
        /* [SP String] for NOOP and HELP, SP String for VRFY and EXPN
         * (RFC 5321 §4.1.1.6-10), 7-bit here */
        cmd->verb = line[0] == 'N' || line[0] == 'n'   ? MP_SMTP_NOOP
                    : line[0] == 'H' || line[0] == 'h' ? MP_SMTP_HELP
                    : line[0] == 'V' || line[0] == 'v' ? MP_SMTP_VRFY
                                                       : MP_SMTP_EXPN;
        if (len == 4)
            return cmd->verb == MP_SMTP_NOOP || cmd->verb == MP_SMTP_HELP;
        if (n == 0 && (cmd->verb == MP_SMTP_VRFY || cmd->verb == MP_SMTP_EXPN))
            return 0;
        cmd->arg = mp_slice_make(text + 5, n);
        return run(line, 5, len, CC_TEXT) == len;
    default:
        return 0;
    }
}
