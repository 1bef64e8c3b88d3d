/* MIME header field values (RFC 2045 §5, §6, RFC 2183, RFC 3282, RFC 2231)
 * and the unstructured strings of ENVELOPE and BODYSTRUCTURE, parsed from
 * one unfolded value into the packed form of mime_int.h.  The results are
 * Dovecot's for the same bytes, except that a Content-Type whose type or
 * subtype is not valid is dropped (the part is then text/plain, RFC 2045
 * §5.2) where Dovecot sends "" "" (docs/mime.md). */
#include <string.h>

#include "mime_int.h"

/* ---- strings -------------------------------------------------------------- */

void mp_mime_f_text_(const char *s, size_t n, mp_mime_buf_ *o)
{
    size_t i, run = 0;
    for (i = 0; i < n; i++) {
        if (s[i] != '\r')
            continue;
        mp_mime_put_(o, s + run, i - run);
        run = i + 1;
        /* a CR where a line was joined: a space keeps two words apart */
        if (i + 1 < n && !MP_MIME_IS_WSP(s[i + 1]))
            mp_mime_putc_(o, ' ');
    }
    mp_mime_put_(o, s + run, n - run);
}

void mp_mime_f_human_(const char *s, size_t n, mp_mime_buf_ *o)
{
    size_t i = 0;
    int sp = 0;
    while (i < n && MP_MIME_IS_WSP(s[i]))
        i++;
    for (; i < n; i++) {
        if (MP_MIME_IS_WSP(s[i])) {
            sp = 1;
            continue;
        }
        if (sp)
            mp_mime_putc_(o, ' ');
        sp = 0;
        mp_mime_putc_(o, s[i]);
    }
}

/* ---- parameters (RFC 2045 §5.1, RFC 2231 §3-4) ----------------------------- */

/* A token's bytes where the cursor is (possibly none). */
static mp_slice token_span(mp_mime_lex_ *x)
{
    const unsigned char *t = x->p;
    while (x->p < x->end && MP_MIME_IS_TOKEN(*x->p))
        x->p++;
    return mp_slice_make((const char *)t, (size_t)(x->p - t));
}

/* value := token / quoted-string, and broken senders' name==?utf-8?b?...?=
 * (an encoded word where a token belongs: up to ";" or white space). */
static int value(mp_mime_lex_ *x, mp_mime_buf_ *o)
{
    const unsigned char *s = x->p;
    if (x->p >= x->end)
        return 0;
    if (*x->p == '"')
        return mp_mime_lex_quoted_(x, o);
    if (*x->p != '=')
        return mp_mime_lex_token_(x, o);
    while (x->p < x->end && *x->p != ';' && !MP_MIME_IS_WSP(*x->p))
        x->p++;
    mp_mime_put_(o, s, (size_t)(x->p - s));
    return 1;
}

/* One parameter: ";" attribute "=" value.  The attribute is a span of the
 * input; the value is re-read from `voff` when written.  1, 0 at the end,
 * -1 malformed (the caller skips to the next ";"). */
static int param(mp_mime_lex_ *x, const char *v, const char **key, size_t *klen, size_t *voff)
{
    mp_mime_buf_ sink = { NULL, 0, 0, 0, 0 };
    int r;
    if (x->p >= x->end)
        return 0;
    if (*x->p != ';')
        return -1;
    x->p++;
    if (mp_mime_lex_cfws_(x) <= 0)
        return -1;
    {
        mp_slice k = token_span(x);
        *key = k.ptr;
        *klen = k.len;
    }
    if (x->p == x->end || mp_mime_lex_cfws_(x) <= 0 || *x->p != '=')
        return -1;
    x->p++;
    r = mp_mime_lex_cfws_(x);
    *voff = (size_t)((const char *)x->p - v);
    if (r > 0)
        r = value(x, &sink);
    return r < 0 ? -1 : 1;
}

/* The value at `voff` as the bytes of an open item; with `pct`, "%" is
 * written "%25" (an unencoded segment joined to encoded ones, RFC 2231 §4). */
static void value_at(const char *v, size_t n, size_t voff, int pct, mp_mime_buf_ *o)
{
    mp_mime_lex_ x;
    size_t s0 = o->len, i, npct = 0;
    mp_mime_lex_init_(&x, v + voff, n - voff);
    value(&x, o);
    if (!pct || o->over)
        return;
    for (i = s0; i < o->len; i++)
        npct += o->b[i] == '%';
    if (npct == 0)
        return;
    if (2 * npct > o->cap - o->len) {
        o->over = 1;
        return;
    }
    i = o->len; /* widen in place from the end */
    o->len += 2 * npct;
    while (npct > 0) {
        char c = o->b[--i];
        o->b[i + 2 * npct] = c;
        if (c == '%') {
            o->b[i + 2 * npct] = '5';
            o->b[i + 2 * npct - 1] = '2';
            o->b[i + 2 * npct - 2] = '%';
            npct--;
        }
    }
}

/* RFC 2231 attribute: name "*" [index] ["*"].  1 with its parts (a lone
 * "name*" is index 0, extended), 0 for a plain attribute. */
static int star_key(const char *k, size_t n, size_t *base, uint32_t *idx, int *ext)
{
    const char *st = memchr(k, '*', n);
    size_t i;
    if (st == NULL)
        return 0;
    *base = (size_t)(st - k);
    *idx = 0;
    *ext = 0;
    for (i = *base + 1; i < n && k[i] >= '0' && k[i] <= '9'; i++) {
        if (*idx > 99999999u)
            return 0;
        *idx = *idx * 10u + (uint32_t)(k[i] - '0');
    }
    if (i == *base + 1 || (i < n && k[i] == '*')) {
        *ext = 1;
        if (i < n)
            i++;
    }
    return i == n;
}

/* A segment of a continued parameter, kept until all are read. */
typedef struct seg {
    uint32_t koff, klen, idx, voff, ext;
} seg;

/* Segments are kept at the top of the output's free room, growing down:
 * segment i ends (i + 1) records below `top`. */
static void seg_get(const char *top, size_t i, seg *s)
{
    memcpy(s, top - (i + 1) * sizeof(seg), sizeof(seg));
}
static void seg_set(char *top, size_t i, const seg *s)
{
    memcpy(top - (i + 1) * sizeof(seg), s, sizeof(seg));
}

/* strcmp order of the attribute, then the index: Dovecot's, which decides
 * where merged parameters go. */
static int seg_less(const char *v, const seg *a, const seg *b)
{
    size_t m = a->klen < b->klen ? a->klen : b->klen;
    int c = memcmp(v + a->koff, v + b->koff, m);
    if (c != 0)
        return c < 0;
    if (a->klen != b->klen)
        return a->klen < b->klen;
    return a->idx < b->idx;
}

static void put_index_key(mp_mime_buf_ *o, const char *v, const seg *s)
{
    char num[12];
    size_t nl = 0;
    uint32_t d = s->idx;
    size_t mark = mp_mime_pk_open_(o);
    mp_mime_put_(o, v + s->koff, s->klen);
    mp_mime_putc_(o, '*');
    do {
        num[sizeof(num) - 1 - nl++] = (char)('0' + d % 10u);
        d /= 10u;
    } while (d);
    mp_mime_put_(o, num + sizeof(num) - nl, nl);
    if (s->ext)
        mp_mime_putc_(o, '*');
    mp_mime_pk_close_(o, mark);
}

/*
 * *(";" parameter) as name / value items: plain parameters in their order,
 * then RFC 2231 continuations merged, sorted by name, as Dovecot sends
 * them: "name*0*=utf-8''a%20; name*1=b%" gives name* = "utf-8''a%20b%25"
 * (values stay encoded; clients decode them).  A broken parameter is
 * skipped to the next ";"; a continued name with a missing or repeated
 * index gives its segments as they are (name*1 ...).
 */
static void params(mp_mime_lex_ *x, const char *v, size_t n, mp_mime_buf_ *o)
{
    size_t nseg = 0, i, j, cap0 = o->cap;
    char *top = o->b + o->cap;
    for (;;) {
        const char *key = NULL;
        size_t kl = 0, voff = 0, base;
        uint32_t idx;
        int ext, r = param(x, v, &key, &kl, &voff);
        if (r == 0)
            break;
        if (r < 0) {
            if (x->p >= x->end)
                break;
            x->p++;
            continue;
        }
        if (!star_key(key, kl, &base, &idx, &ext)) {
            size_t mark;
            mp_mime_pk_str_(o, key, kl);
            mark = mp_mime_pk_open_(o);
            value_at(v, n, voff, 0, o);
            mp_mime_pk_close_(o, mark);
        } else if (nseg == MP_MIME_MAX_SEGMENTS) {
            o->cut = 1; /* the merge is quadratic: no more */
        } else {
            seg s;
            if (o->over || o->cap - o->len < sizeof(seg)) {
                o->over = 1;
                break;
            }
            o->cap -= sizeof(seg);
            s.koff = (uint32_t)(key - v);
            s.klen = (uint32_t)base;
            s.idx = idx;
            s.voff = (uint32_t)voff;
            s.ext = (uint32_t)ext;
            seg_set(top, nseg++, &s);
        }
    }
    for (i = 1; i < nseg; i++) { /* insertion sort, at most MP_MIME_MAX_SEGMENTS */
        seg s, t;
        seg_get(top, i, &s);
        for (j = i; j > 0; j--) {
            seg_get(top, j - 1, &t);
            if (!seg_less(v, &s, &t))
                break;
            seg_set(top, j, &t);
        }
        seg_set(top, j, &s);
    }
    for (i = 0; i < nseg; i = j) {
        seg first, s;
        int ok = 1, have_ext = 0;
        size_t m, mark;
        seg_get(top, i, &first);
        for (j = i; j < nseg; j++) {
            seg_get(top, j, &s);
            if (s.klen != first.klen ||
                !mp_slice_eq_ci(mp_slice_make(v + s.koff, s.klen), v + first.koff, first.klen))
                break;
            ok &= s.idx == (uint32_t)(j - i);
            have_ext |= s.ext != 0;
        }
        if (!ok) {
            for (m = i; m < j; m++) {
                seg_get(top, m, &s);
                put_index_key(o, v, &s);
                mark = mp_mime_pk_open_(o);
                value_at(v, n, s.voff, 0, o);
                mp_mime_pk_close_(o, mark);
            }
            continue;
        }
        mark = mp_mime_pk_open_(o);
        mp_mime_put_(o, v + first.koff, first.klen);
        if (have_ext)
            mp_mime_putc_(o, '*');
        mp_mime_pk_close_(o, mark);
        mark = mp_mime_pk_open_(o);
        /* an unencoded first segment: no charset, no language (§4) */
        if (have_ext && !first.ext)
            mp_mime_put_(o, "''", 2);
        for (m = i; m < j; m++) {
            seg_get(top, m, &s);
            value_at(v, n, s.voff, have_ext && !s.ext, o);
        }
        mp_mime_pk_close_(o, mark);
    }
    o->cap = cap0;
}

/* ---- the fields ----------------------------------------------------------- */

/* Content-Type := type "/" subtype *(";" parameter) (RFC 2045 §5.1). */
int mp_mime_f_ctype_(const char *s, size_t n, mp_mime_buf_ *o)
{
    mp_mime_lex_ x;
    mp_slice type, sub;
    mp_mime_lex_init_(&x, s, n);
    if (mp_mime_lex_cfws_(&x) <= 0)
        return 0;
    type = token_span(&x);
    if (type.len == 0 || x.p == x.end || mp_mime_lex_cfws_(&x) <= 0 || *x.p != '/')
        return 0;
    x.p++;
    if (mp_mime_lex_cfws_(&x) <= 0)
        return 0;
    sub = token_span(&x);
    if (sub.len == 0 || (x.p < x.end && mp_mime_lex_cfws_(&x) < 0) ||
        (x.p < x.end && *x.p != ';'))
        return 0;
    mp_mime_pk_str_(o, type.ptr, type.len);
    mp_mime_pk_str_(o, sub.ptr, sub.len);
    params(&x, s, n, o);
    return 1;
}

/* Content-Disposition := disposition-type *(";" parameter) (RFC 2183 §2);
 * an empty type is kept (""), as Dovecot does. */
int mp_mime_f_disposition_(const char *s, size_t n, mp_mime_buf_ *o)
{
    mp_mime_lex_ x;
    size_t mark;
    mp_mime_lex_init_(&x, s, n);
    mp_mime_lex_cfws_(&x);
    mark = mp_mime_pk_open_(o);
    if (mp_mime_lex_token_(&x, o) < 0)
        return 0;
    mp_mime_pk_close_(o, mark);
    params(&x, s, n, o);
    return 1;
}

/* Content-Language := 1#Language-tag (RFC 3282 §2). */
int mp_mime_f_language_(const char *s, size_t n, mp_mime_buf_ *o)
{
    mp_mime_lex_ x;
    int count = 0;
    mp_mime_lex_init_(&x, s, n);
    mp_mime_lex_cfws_(&x);
    for (;;) {
        size_t mark = mp_mime_pk_open_(o);
        if (mp_mime_lex_atom_(&x, o) < 0) {
            o->len = mark - 1;
            break;
        }
        mp_mime_pk_close_(o, mark);
        count++;
        if (x.p >= x.end || *x.p != ',')
            break;
        x.p++;
        mp_mime_lex_cfws_(&x);
    }
    return count > 0;
}

/* Content-Transfer-Encoding := mechanism (RFC 2045 §6.1): one token. */
int mp_mime_f_cte_(const char *s, size_t n, mp_mime_buf_ *o)
{
    mp_mime_lex_ x;
    size_t l0 = o->len;
    mp_mime_lex_init_(&x, s, n);
    mp_mime_lex_cfws_(&x);
    if (mp_mime_lex_token_(&x, o) < 0 || mp_mime_lex_cfws_(&x) != 0 || o->len == l0) {
        o->len = l0;
        return 0;
    }
    return 1;
}
