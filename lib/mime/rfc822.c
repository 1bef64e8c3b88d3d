/* The lexical layer of RFC 5322 §3.2 (and RFC 822's looser forms) that the
 * address, Content-Type and Content-Disposition parsers share, over one
 * unfolded header value; the bounded output buffer and the packed item
 * writer.  Each function returns 1 (input left), 0 (the value ended) or -1
 * (malformed), the convention the grammar functions of fields.c and
 * address.c are written in (it is Dovecot's, whose results we follow). */
#include <string.h>

#include "mime_int.h"

/* RFC 5322 atext (bit 1; 8-bit bytes count as atext, as real parsers take
 * raw UTF-8 and Latin-1 there), RFC 2045 tspecials that are atext (bit 2:
 * "/" "=" "?"), SP / HTAB (bit 4), and SP HTAB CR LF (bit 8). */
const uint8_t mp_mime_ctab_[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 8, 0, 0, 8, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    12, 1, 0, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 1, 0, 3,  /*  !"#$%&'()*+,-./ */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 3, 0, 3,   /* 0-9 :;<=>? */
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,   /* @A-O */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1,   /* P-Z [\]^_ */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,   /* `a-o */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,   /* p-z {|}~ DEL */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* ---- output -------------------------------------------------------------- */

void mp_mime_put_(mp_mime_buf_ *o, const void *p, size_t n)
{
    if (o->over || n > o->cap - o->len) {
        o->over = 1;
        return;
    }
    if (n)
        memcpy(o->b + o->len, p, n);
    o->len += n;
}

void mp_mime_putc_(mp_mime_buf_ *o, char c) { mp_mime_put_(o, &c, 1); }

static size_t varint(char *d, uint64_t v)
{
    size_t n = 0;
    do {
        unsigned char b = (unsigned char)(v & 0x7fu);
        v >>= 7;
        d[n++] = (char)(v ? (b | 0x80u) : b);
    } while (v);
    return n;
}

void mp_mime_pk_code_(mp_mime_buf_ *o, unsigned code)
{
    mp_mime_putc_(o, (char)code);
}

void mp_mime_pk_str_(mp_mime_buf_ *o, const char *p, size_t n)
{
    char h[10];
    mp_mime_put_(o, h, varint(h, (uint64_t)n + MP_MIME_PK_STR_));
    mp_mime_put_(o, p, n);
}

size_t mp_mime_pk_open_(mp_mime_buf_ *o)
{
    mp_mime_putc_(o, 0); /* one header byte: strings under 120 bytes */
    return o->len;
}

void mp_mime_pk_close_(mp_mime_buf_ *o, size_t mark)
{
    char h[10];
    size_t n, hl;
    if (o->over)
        return;
    n = o->len - mark;
    hl = varint(h, (uint64_t)n + MP_MIME_PK_STR_);
    if (hl > 1) {
        if (hl - 1 > o->cap - o->len) {
            o->over = 1;
            return;
        }
        memmove(o->b + mark + hl - 1, o->b + mark, n);
        o->len += hl - 1;
    }
    memcpy(o->b + mark - 1, h, hl);
}

/* ---- lexical layer -------------------------------------------------------- */

void mp_mime_lex_init_(mp_mime_lex_ *x, const char *p, size_t n)
{
    x->p = (const unsigned char *)p;
    x->end = x->p + n;
    x->cmt = NULL;
    x->cmtlen = 0;
}

static int more(const mp_mime_lex_ *x) { return x->p < x->end ? 1 : 0; }

/* comment = "(" *([FWS] ccontent) [FWS] ")", nested; a quoted-pair may not
 * hold CR or NUL (obs-qp: the backslash is then text). */
static int comment(mp_mime_lex_ *x)
{
    const unsigned char *start = ++x->p;
    unsigned level = 1;
    x->cmt = NULL;
    for (; x->p < x->end; x->p++) {
        unsigned char c = *x->p;
        if (c == '(') {
            level++;
        } else if (c == ')') {
            if (--level == 0) {
                x->cmt = start;
                x->cmtlen = (size_t)(x->p - start);
                x->p++;
                return more(x);
            }
        } else if (c == '\\') {
            if (++x->p == x->end)
                return -1;
            if (*x->p == '\r' || *x->p == 0)
                x->p--;
        }
    }
    return -1; /* missing ")" */
}

int mp_mime_lex_cfws_(mp_mime_lex_ *x)
{
    while (x->p < x->end) {
        if (MP_MIME_IS_WSP(*x->p))
            x->p++;
        else if (*x->p != '(')
            break;
        else if (comment(x) < 0)
            return -1;
    }
    return more(x);
}

/* Copy a run of bytes of class `ok` (atext, token...), then CFWS. */
static int run(mp_mime_lex_ *x, mp_mime_buf_ *o, int dots, int token)
{
    const unsigned char *s = x->p;
    while (x->p < x->end &&
           (token ? MP_MIME_IS_TOKEN(*x->p) : (MP_MIME_IS_ATEXT(*x->p) || (dots && *x->p == '.'))))
        x->p++;
    mp_mime_put_(o, s, (size_t)(x->p - s));
    if (x->p == x->end)
        return 0;
    return mp_mime_lex_cfws_(x);
}

int mp_mime_lex_atom_(mp_mime_lex_ *x, mp_mime_buf_ *o)
{
    if (x->p >= x->end || !MP_MIME_IS_ATEXT(*x->p))
        return -1;
    return run(x, o, 0, 0);
}

int mp_mime_lex_token_(mp_mime_lex_ *x, mp_mime_buf_ *o) { return run(x, o, 0, 1); }

/* dot-atom-text with RFC 822's CFWS around the dots. */
int mp_mime_lex_dot_atom_(mp_mime_lex_ *x, mp_mime_buf_ *o)
{
    int r;
    if (x->p >= x->end || !MP_MIME_IS_ATEXT(*x->p))
        return -1;
    for (;;) {
        const unsigned char *s = x->p;
        while (x->p < x->end && MP_MIME_IS_ATEXT(*x->p))
            x->p++;
        if (s == x->p)
            return -1; /* "." not followed by atext */
        mp_mime_put_(o, s, (size_t)(x->p - s));
        if (x->p == x->end)
            return 0;
        if ((r = mp_mime_lex_cfws_(x)) <= 0)
            return r;
        if (*x->p != '.')
            return 1;
        x->p++;
        mp_mime_putc_(o, '.');
        if (mp_mime_lex_cfws_(x) <= 0)
            return -1;
    }
}

/* quoted-string: DQUOTE *qcontent DQUOTE, the quoting undone. */
int mp_mime_lex_quoted_(mp_mime_lex_ *x, mp_mime_buf_ *o)
{
    const unsigned char *s = ++x->p;
    for (; x->p < x->end; x->p++) {
        if (*x->p == '"') {
            mp_mime_put_(o, s, (size_t)(x->p - s));
            x->p++;
            return mp_mime_lex_cfws_(x);
        }
        if (*x->p == '\\') {
            if (x->p + 1 == x->end)
                return -1;
            if (x->p[1] == '\r' || x->p[1] == 0)
                continue; /* obs-qp: the backslash stays */
            mp_mime_put_(o, s, (size_t)(x->p - s));
            s = ++x->p; /* the quoted byte starts the next run */
        }
    }
    return -1; /* missing closing quote */
}

/* obs-phrase = word *(word / "." / CFWS): the words joined by one space. */
int mp_mime_lex_phrase_(mp_mime_lex_ *x, mp_mime_buf_ *o)
{
    int r;
    if (x->p >= x->end)
        return 0;
    if (*x->p == '.')
        return -1;
    for (;;) {
        r = *x->p == '"' ? mp_mime_lex_quoted_(x, o) : run(x, o, 1, 0);
        if (r <= 0)
            return r;
        if (!MP_MIME_IS_ATEXT(*x->p) && *x->p != '"' && *x->p != '.')
            break;
        mp_mime_putc_(o, ' ');
    }
    return mp_mime_lex_cfws_(x);
}

/* domain-literal = "[" *dtext "]", kept as written (brackets and
 * backslashes too, as Dovecot sends it). */
static int domain_literal(mp_mime_lex_ *x, mp_mime_buf_ *o)
{
    const unsigned char *s = x->p++;
    for (; x->p < x->end; x->p++) {
        if (*x->p == '[')
            return -1;
        if (*x->p == ']') {
            x->p++;
            mp_mime_put_(o, s, (size_t)(x->p - s));
            return mp_mime_lex_cfws_(x);
        }
        if (*x->p == '\\' && ++x->p == x->end)
            return -1;
    }
    return -1;
}

int mp_mime_lex_domain_(mp_mime_lex_ *x, mp_mime_buf_ *o)
{
    x->p++; /* "@" */
    if (mp_mime_lex_cfws_(x) <= 0)
        return -1;
    if (*x->p == '[')
        return domain_literal(x, o);
    return mp_mime_lex_dot_atom_(x, o);
}

void mp_mime_lex_comment_(const mp_mime_lex_ *x, mp_mime_buf_ *o)
{
    size_t i;
    for (i = 0; i < x->cmtlen; i++) {
        if (x->cmt[i] == '\\' && i + 1 < x->cmtlen && x->cmt[i + 1] != '\r' && x->cmt[i + 1] != 0)
            i++;
        mp_mime_putc_(o, (char)x->cmt[i]);
    }
}
