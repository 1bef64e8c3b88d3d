/* SMTP reply parser (RFC 5321 §4.2, RFC 2034 enhanced status codes) and
 * EHLO capability parser.  Lines come from the core framer (zero copy when
 * a line lies in one input); this file only checks the grammar of a line
 * and the agreement of the lines of one reply. */
#include <string.h>

#include "mailproto/smtp_client.h"

mp_status mp_smtp_reply_parser_init(mp_smtp_reply_parser *p, char *buf, size_t cap,
                                    size_t max_line, unsigned max_lines, unsigned flags)
{
    mp_status st;
    if (p == NULL || max_line < 8)
        return MP_ERR_ARG;
    st = mp_line_framer_init(&p->framer, buf, cap, max_line,
                             (flags & MP_SMTP_REPLY_ALLOW_LF) ? MP_LINE_ALLOW_LF : 0u);
    if (st != MP_OK)
        return st;
    p->err.code = MP_OK;
    p->err.offset = 0;
    p->err.rule = NULL;
    p->code = 0;
    p->nlines = 0;
    p->line_start = 0;
    p->last_cr = 0;
    p->max_lines = max_lines != 0 ? max_lines : MP_SMTP_CLIENT_MAX_REPLY_LINES;
    return MP_OK;
}

int mp_smtp_reply_parser_busy(const mp_smtp_reply_parser *p)
{
    return p->code != 0 || mp_line_framer_pending(&p->framer) != 0;
}

static mp_status rp_fail(mp_smtp_reply_parser *p, mp_status code, uint64_t offset,
                         const char *rule)
{
    p->code = 0;
    p->nlines = 0;
    return mp_error_set(&p->err, code, offset, rule);
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* The enhanced status code (RFC 3463 §2, via the shared
 * mp_smtp_esc_parse) at the start of the text, counted only when its class
 * is the reply's.  Returns its length, 0 when there is none. */
static size_t parse_enhanced(const char *t, size_t n, unsigned cls, mp_smtp_reply_line *l)
{
    mp_smtp_esc e;
    size_t k = mp_smtp_esc_parse(t, n, &e);
    if (k == 0 || e.cls != cls)
        return 0;
    l->esc = e;
    l->enhanced = mp_slice_make(t, k);
    return k;
}

/* RFC 5321 §4.2: Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 *                 Reply-code [ SP textstring ] CRLF
 * Reply-code = %x32-35 %x30-35 %x30-39, textstring = 1*(%d09 / %d32-126);
 * 8-bit text is let through (SMTPUTF8 servers, RFC 6531 §3.7.4). */
static mp_status parse_line(mp_smtp_reply_parser *p, mp_slice s, uint64_t start,
                            mp_smtp_reply_line *l)
{
    unsigned code;
    size_t i, skip;
    const char *t;
    if (s.len < 3 || s.ptr[0] < '2' || s.ptr[0] > '5' || s.ptr[1] < '0' || s.ptr[1] > '5' ||
        !is_digit(s.ptr[2]))
        return rp_fail(p, MP_ERR_SMTP_REPLY_CODE, start, MP_RULE_("RFC 5321 4.2 Reply-code"));
    code = (unsigned)(s.ptr[0] - '0') * 100u + (unsigned)(s.ptr[1] - '0') * 10u +
           (unsigned)(s.ptr[2] - '0');
    if (s.len > 3 && s.ptr[3] != ' ' && s.ptr[3] != '-')
        return rp_fail(p, MP_ERR_SMTP_REPLY_SEPARATOR, start + 3,
                       MP_RULE_("RFC 5321 4.2 Reply-line"));
    if (p->code != 0 && code != p->code)
        return rp_fail(p, MP_ERR_SMTP_REPLY_MISMATCH, start, MP_RULE_("RFC 5321 4.2.1 same code"));
    for (i = 4; i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return rp_fail(p, MP_ERR_SMTP_REPLY_TEXT, start + i,
                           MP_RULE_("RFC 5321 4.2 textstring"));
    }
    if (p->nlines >= p->max_lines)
        return rp_fail(p, MP_ERR_SMTP_REPLY_TOO_MANY_LINES, start,
                       "MP_SMTP_CLIENT_MAX_REPLY_LINES");
    l->code = code;
    l->line_no = p->nlines;
    l->last = s.len == 3 || s.ptr[3] == ' ';
    l->enhanced = mp_slice_make(s.ptr + s.len, 0);
    memset(&l->esc, 0, sizeof(l->esc));
    t = s.len > 4 ? s.ptr + 4 : s.ptr + s.len;
    skip = parse_enhanced(t, s.len > 4 ? s.len - 4 : 0, code / 100u, l);
    if (skip != 0 && skip < s.len - 4)
        skip++; /* the SP after the enhanced code */
    l->text = mp_slice_make(t + skip, (s.len > 4 ? s.len - 4 : 0) - skip);
    if (l->last) {
        p->code = 0;
        p->nlines = 0;
    } else {
        p->code = code;
        p->nlines++;
    }
    return MP_OK;
}

mp_status mp_smtp_reply_parser_next(mp_smtp_reply_parser *p, const char *in, size_t len,
                                    size_t *used, mp_smtp_reply_line *line)
{
    mp_slice s;
    size_t tl;
    int prev_cr = p->last_cr;
    mp_status st = mp_line_framer_next(&p->framer, in, len, used, &s);
    if (*used > 0)
        p->last_cr = in[*used - 1] == '\r';
    if (st == MP_NEED_MORE)
        return st;
    if (st != MP_OK) {
        p->code = 0;
        p->nlines = 0;
        p->err = p->framer.err;
        return st;
    }
    /* The framer stands right after the line end: CRLF, or a bare LF
     * under MP_SMTP_REPLY_ALLOW_LF (the CR may have come in an earlier
     * input). */
    tl = (*used >= 2 ? in[*used - 2] == '\r' : prev_cr) ? 2u : 1u;
    p->line_start = p->framer.pos - s.len - tl;
    return parse_line(p, s, p->line_start, line);
}

/* ----------------------------------------------------------------------- */
/* EHLO capabilities                                                       */
/* ----------------------------------------------------------------------- */

void mp_smtp_caps_init(mp_smtp_caps *caps)
{
    caps->flags = 0;
    caps->auth = 0;
    caps->size = 0;
}

static const struct {
    const char *name;
    uint32_t bit;
} cap_table[] = {
    {"SIZE", MP_SMTP_CAP_SIZE},
    {"AUTH", MP_SMTP_CAP_AUTH},
    {"PIPELINING", MP_SMTP_CAP_PIPELINING},
    {"8BITMIME", MP_SMTP_CAP_8BITMIME},
    {"SMTPUTF8", MP_SMTP_CAP_SMTPUTF8},
    {"DSN", MP_SMTP_CAP_DSN},
    {"CHUNKING", MP_SMTP_CAP_CHUNKING},
    {"BINARYMIME", MP_SMTP_CAP_BINARYMIME},
    {"STARTTLS", MP_SMTP_CAP_STARTTLS},
    {"ENHANCEDSTATUSCODES", MP_SMTP_CAP_ENHANCEDSTATUSCODES},
    {"REQUIRETLS", MP_SMTP_CAP_REQUIRETLS},
    {"MT-PRIORITY", MP_SMTP_CAP_MT_PRIORITY},
};

/* Index = bit number of MP_SMTP_AUTH_*. */
static const char *const mech_names[MP_SMTP_AUTH_COUNT_] = {
    "PLAIN",         "LOGIN",       "CRAM-MD5",          "SCRAM-SHA-1",
    "SCRAM-SHA-256", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256-PLUS", "XOAUTH2",
    "OAUTHBEARER",   "EXTERNAL",    "ANONYMOUS",         "DIGEST-MD5",
    "GSSAPI",        "NTLM",
};

const char *mp_smtp_auth_mech_name(uint32_t bit)
{
    unsigned i;
    for (i = 0; i < MP_SMTP_AUTH_COUNT_; i++)
        if (bit == (1u << i))
            return mech_names[i];
    return NULL;
}

uint32_t mp_smtp_auth_mech_bit(mp_slice name)
{
    unsigned i;
    for (i = 0; i < MP_SMTP_AUTH_COUNT_; i++)
        if (mp_slice_eq_ci(name, mech_names[i], strlen(mech_names[i])))
            return 1u << i;
    return 0;
}

static int is_alnum(char c)
{
    return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* The space-separated AUTH parameters, each a mechanism name. */
static void parse_auth(mp_smtp_caps *caps, const char *t, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t j;
        while (i < n && t[i] == ' ')
            i++;
        j = i;
        while (j < n && t[j] != ' ')
            j++;
        if (j > i)
            caps->auth |= mp_smtp_auth_mech_bit(mp_slice_make(t + i, j - i));
        i = j;
    }
}

/* RFC 5321 §4.1.1.1: ehlo-line = ehlo-keyword *( SP ehlo-param ),
 * ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-"). */
mp_status mp_smtp_caps_parse_line(mp_smtp_caps *caps, mp_slice text, uint32_t *bit)
{
    size_t k = 0, pstart, i;
    mp_slice kw;

    *bit = 0;
    /* '_' is outside the grammar but Exim advertises PIPE_CONNECT; such a
     * keyword is only ever reported as unknown. */
    while (k < text.len &&
           (is_alnum(text.ptr[k]) || (k > 0 && (text.ptr[k] == '-' || text.ptr[k] == '_'))))
        k++;
    if (k == 0)
        return MP_ERR_SYNTAX;
    kw = mp_slice_make(text.ptr, k);
    /* "AUTH=LOGIN PLAIN" (pre-RFC 4954 servers) carries the same
     * parameters as "AUTH LOGIN PLAIN". */
    if (k < text.len && text.ptr[k] != ' ' &&
        !(text.ptr[k] == '=' && mp_slice_eq_ci(kw, "AUTH", 4)))
        return MP_ERR_SYNTAX;
    pstart = k < text.len ? k + 1 : k;

    for (i = 0; i < sizeof(cap_table) / sizeof(cap_table[0]); i++)
        if (mp_slice_eq_ci(kw, cap_table[i].name, strlen(cap_table[i].name)))
            break;
    if (i == sizeof(cap_table) / sizeof(cap_table[0]))
        return MP_OK;

    if (cap_table[i].bit == MP_SMTP_CAP_SIZE) {
        /* RFC 1870: "SIZE" [SP size-param]; 0 or absent = no fixed limit. */
        uint64_t v = 0;
        if (pstart < text.len) {
            mp_status st = mp_parse_u64(mp_slice_make(text.ptr + pstart, text.len - pstart),
                                        UINT64_MAX, &v);
            if (st != MP_OK)
                return MP_ERR_NUMBER;
        }
        caps->size = v;
    } else if (cap_table[i].bit == MP_SMTP_CAP_AUTH) {
        parse_auth(caps, text.ptr + pstart, text.len - pstart);
    }
    caps->flags |= cap_table[i].bit;
    *bit = cap_table[i].bit;
    return MP_OK;
}
