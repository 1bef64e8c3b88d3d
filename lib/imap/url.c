/* IMAP URLs (RFC 5092) with URLAUTH (RFC 4467): one left-to-right pass
 * over the text, each part a slice of it (imap.h). */
#include <string.h>

#include "mailproto/imap.h"

/* RFC 3986 unreserved, RFC 5092 sub-delims-sh and achar / bchar extras. */
static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (unsigned char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Character sets of the grammar's runs. */
enum { CS_ACHAR = 0, CS_BCHAR, CS_HOST, CS_DATE, CS_HEX };

/* c is one of the `n` bytes at `set` */
static int one_of(const char *set, size_t n, unsigned char c)
{
    return memchr(set, c, n) != NULL;
}
#define ONE_OF_(lit, c) one_of((lit), sizeof(lit) - 1u, (c))

static int in_set(unsigned set, unsigned char c)
{
    switch (set) {
    case CS_ACHAR: /* uchar / "&" / "=" / "~"; uchar = unreserved /
                      pct-encoded / sub-delims-sh */
        return unreserved(c) || ONE_OF_("!$'()*+,&=", c);
    case CS_BCHAR: /* achar / ":" / "@" / "/" */
        return unreserved(c) || ONE_OF_("!$'()*+,&=:@/", c);
    case CS_HOST: /* RFC 3986 reg-name and IPv4address */
        return unreserved(c) || ONE_OF_("!$&'()*+,;=", c);
    case CS_DATE: /* RFC 3339 date-time */
        return (c >= '0' && c <= '9') || ONE_OF_("-:.+TZtz", c);
    default:
        return hexval(c) >= 0;
    }
}

/* A run of `set` characters (pct-encoded "%" HEXDIG HEXDIG counted as one
 * where `pct` allows it) from s[*i]; returns its length, 0 for none or a
 * bad %-escape (then *bad is set). */
static size_t run(const char *s, size_t n, size_t *i, unsigned set, int pct, int *bad)
{
    size_t k = *i;
    while (k < n) {
        unsigned char c = (unsigned char)s[k];
        if (pct && c == '%') {
            if (k + 2 >= n || hexval((unsigned char)s[k + 1]) < 0 ||
                hexval((unsigned char)s[k + 2]) < 0) {
                *bad = 1;
                return 0;
            }
            k += 3;
        } else if (in_set(set, c)) {
            k++;
        } else {
            break;
        }
    }
    {
        size_t len = k - *i;
        *i = k;
        return len;
    }
}

/* Case-insensitive keyword at s[*i]; steps over it when present. */
static int kw(const char *s, size_t n, size_t *i, const char *w)
{
    size_t l = strlen(w);
    if (n - *i < l || !mp_slice_eq_ci(mp_slice_make(s + *i, l), w, l))
        return 0;
    *i += l;
    return 1;
}

/* nz-number (32 bits: UIDVALIDITY and UID are nz-number in RFC 5092). */
static int nz32(const char *s, size_t n, size_t *i, uint32_t *out)
{
    size_t k = *i;
    uint64_t v;
    while (k < n && s[k] >= '0' && s[k] <= '9' && k - *i < 11)
        k++;
    if (mp_parse_u64(mp_slice_make(s + *i, k - *i), 4294967295u, &v) != MP_OK || v == 0)
        return 0;
    *out = (uint32_t)v;
    *i = k;
    return 1;
}

static mp_status url_parse(const char *s, size_t n, mp_imap_url *u)
{
    size_t i = 0, k;
    int bad = 0;
    if (kw(s, n, &i, "imap://")) {
        /* iserver = [iuserinfo "@"] host [":" port] */
        size_t end = i, at = (size_t)-1;
        while (end < n && s[end] != '/')
            end++;
        for (k = i; k < end; k++)
            if (s[k] == '@')
                at = k;
        u->flags |= MP_IMAP_URL_SERVER;
        if (at != (size_t)-1) {
            /* iuserinfo = enc-user [iauth] / [enc-user] iauth */
            u->user = mp_slice_make(s + i, 0);
            u->user.len = run(s, at, &i, CS_ACHAR, 1, &bad);
            if (kw(s, at, &i, ";AUTH=")) {
                u->auth = mp_slice_make(s + i, 0);
                if (i < at && s[i] == '*') {
                    i++;
                    u->auth.len = 1;
                } else {
                    u->auth.len = run(s, at, &i, CS_ACHAR, 1, &bad);
                }
                if (u->auth.len == 0)
                    return MP_ERR_SYNTAX;
            } else if (u->user.len == 0) {
                return MP_ERR_SYNTAX;
            }
            if (bad || i != at)
                return MP_ERR_SYNTAX;
            i = at + 1;
        }
        /* host = IP-literal / IPv4address / reg-name (RFC 3986) */
        u->host = mp_slice_make(s + i, 0);
        if (i < end && s[i] == '[') {
            while (i < end && s[i] != ']')
                i++;
            if (i == end)
                return MP_ERR_SYNTAX;
            i++;
            u->host.len = (size_t)(s + i - u->host.ptr);
        } else {
            u->host.len = run(s, end, &i, CS_HOST, 1, &bad);
        }
        if (bad || u->host.len == 0)
            return MP_ERR_SYNTAX;
        if (i < end && s[i] == ':') {
            uint64_t port;
            i++;
            if (mp_parse_u64(mp_slice_make(s + i, end - i), 65535, &port) != MP_OK)
                return MP_ERR_SYNTAX;
            u->port = (uint16_t)port;
            i = end;
        }
        if (i != end)
            return MP_ERR_SYNTAX;
        if (i == n)
            return MP_OK; /* the server alone */
        i++;              /* "/" */
        if (i == n)
            return MP_OK; /* ipath-empty after "/" */
    } else if (n > 0 && s[0] == '/') {
        i = 1; /* a URL relative to the server (RFC 4469 CATENATE, RFC 5092 §7.1) */
    } else {
        return MP_ERR_SYNTAX;
    }

    /* imailbox-ref = enc-mailbox [uidvalidity]; enc-mailbox = 1*bchar,
     * which holds "/": a "/" right before ";" belongs to what follows */
    u->mailbox = mp_slice_make(s + i, 0);
    u->mailbox.len = run(s, n, &i, CS_BCHAR, 1, &bad);
    if (bad)
        return MP_ERR_SYNTAX;
    if (i < n && s[i] == ';' && u->mailbox.len > 0 && s[i - 1] == '/') {
        u->mailbox.len--;
        i--;
    }
    if (u->mailbox.len == 0)
        return MP_ERR_SYNTAX;
    u->flags |= MP_IMAP_URL_MAILBOX;
    if (kw(s, n, &i, ";UIDVALIDITY=") && !nz32(s, n, &i, &u->uidvalidity))
        return MP_ERR_SYNTAX;
    if (i < n && s[i] == '?') {
        /* imessagelist: "?" enc-search */
        i++;
        u->search = mp_slice_make(s + i, 0);
        u->search.len = run(s, n, &i, CS_BCHAR, 1, &bad);
        if (bad || u->search.len == 0 || i != n)
            return MP_ERR_SYNTAX;
        u->flags |= MP_IMAP_URL_SEARCH;
        return MP_OK;
    }
    if (i == n)
        return MP_OK;
    /* imessagepart = imailbox-ref iuid [isection] [ipartial] */
    if (!kw(s, n, &i, "/;UID=") || !nz32(s, n, &i, &u->uid))
        return MP_ERR_SYNTAX;
    u->flags |= MP_IMAP_URL_UID;
    if (kw(s, n, &i, "/;SECTION=")) {
        u->section = mp_slice_make(s + i, 0);
        u->section.len = run(s, n, &i, CS_BCHAR, 1, &bad);
        if (i < n && s[i] == ';' && u->section.len > 0 && s[i - 1] == '/') {
            u->section.len--;
            i--;
        }
        if (bad || u->section.len == 0)
            return MP_ERR_SYNTAX;
        u->flags |= MP_IMAP_URL_SECTION;
    }
    if (kw(s, n, &i, "/;PARTIAL=")) {
        /* partial-range = number ["." nz-number] */
        size_t d = i;
        while (d < n && s[d] >= '0' && s[d] <= '9')
            d++;
        if (mp_parse_u64(mp_slice_make(s + i, d - i), UINT32_MAX, &u->partial_origin) != MP_OK)
            return MP_ERR_SYNTAX;
        i = d;
        if (i < n && s[i] == '.') {
            d = ++i;
            while (d < n && s[d] >= '0' && s[d] <= '9')
                d++;
            if (mp_parse_u64(mp_slice_make(s + i, d - i), UINT32_MAX, &u->partial_len) !=
                    MP_OK ||
                u->partial_len == 0)
                return MP_ERR_SYNTAX;
            i = d;
        }
        u->flags |= MP_IMAP_URL_PARTIAL;
    }
    /* iurlauth = [expire] ";URLAUTH=" access [iua-verifier] (RFC 4467 §3) */
    if (kw(s, n, &i, ";EXPIRE=")) {
        u->expire = mp_slice_make(s + i, 0);
        u->expire.len = run(s, n, &i, CS_DATE, 0, &bad);
        if (u->expire.len < 20) /* "1996-12-19T16:39:57Z" at the least */
            return MP_ERR_SYNTAX;
    }
    if (kw(s, n, &i, ";URLAUTH=")) {
        /* access = ("submit+" enc-user) / ("user+" enc-user) /
         * "authuser" / "anonymous" */
        u->access = mp_slice_make(s + i, 0);
        if (kw(s, n, &i, "submit+") || kw(s, n, &i, "user+")) {
            if (run(s, n, &i, CS_ACHAR, 1, &bad) == 0)
                return MP_ERR_SYNTAX;
        } else if (!kw(s, n, &i, "authuser") && !kw(s, n, &i, "anonymous")) {
            return MP_ERR_SYNTAX;
        }
        u->access.len = (size_t)(s + i - u->access.ptr);
        u->rump = mp_slice_make(s, i);
        u->flags |= MP_IMAP_URL_URLAUTH;
        if (i < n && s[i] == ':') {
            /* iua-verifier = ":" uauth-mechanism ":" enc-urlauth;
             * enc-urlauth = 32*HEXDIG */
            i++;
            u->mechanism = mp_slice_make(s + i, 0);
            while (i < n && (unreserved((unsigned char)s[i]) && s[i] != '_' && s[i] != '~'))
                i++;
            u->mechanism.len = (size_t)(s + i - u->mechanism.ptr);
            if (u->mechanism.len == 0 || i >= n || s[i] != ':')
                return MP_ERR_SYNTAX;
            i++;
            u->token = mp_slice_make(s + i, 0);
            u->token.len = run(s, n, &i, CS_HEX, 0, &bad);
            if (u->token.len < 32)
                return MP_ERR_SYNTAX;
            u->flags |= MP_IMAP_URL_VERIFIER;
        }
    } else if (u->expire.len > 0) {
        return MP_ERR_SYNTAX;
    }
    return i == n ? MP_OK : MP_ERR_SYNTAX;
}

mp_status mp_imap_url_parse(const char *s, size_t n, mp_imap_url *u)
{
    mp_status st;
    if (u == NULL || (s == NULL && n > 0))
        return MP_ERR_ARG;
    memset(u, 0, sizeof(*u));
    if (s == NULL)
        return MP_ERR_SYNTAX;
    st = url_parse(s, n, u);
    if (st != MP_OK)
        memset(u, 0, sizeof(*u));
    return st;
}

size_t mp_imap_url_decode(mp_slice enc, char *out, size_t cap)
{
    size_t i, k = 0;
    for (i = 0; i < enc.len; i++) {
        unsigned char c = (unsigned char)enc.ptr[i];
        int h, l;
        if (c == '%' && i + 2 < enc.len && (h = hexval((unsigned char)enc.ptr[i + 1])) >= 0 &&
            (l = hexval((unsigned char)enc.ptr[i + 2])) >= 0) {
            c = (unsigned char)(h * 16 + l);
            i += 2;
        }
        if (k == cap)
            return (size_t)-1;
        out[k++] = (char)c;
    }
    return k;
}
