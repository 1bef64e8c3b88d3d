/* Textual IP addresses: IPv4 dotted decimal, IPv6 (RFC 4291 §2.2), and
 * the dialect of SMTP address literals (RFC 5321 §4.1.3). */
#include "mailproto/core.h"

static int is_digit(unsigned c) { return c >= '0' && c <= '9'; }

static unsigned hex_value(unsigned c)
{
    if (is_digit(c))
        return c - '0';
    c |= 0x20u;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10u : 16u;
}

/* IPv4address: four parts of 1-3 digits, 0..255, dot-separated (RFC 5321
 * Snum; leading zeros only in the SMTP dialect). */
static size_t ipv4(const char *p, size_t n, unsigned flags, uint8_t *out)
{
    size_t i = 0;
    unsigned part;
    for (part = 0; part < 4; part++) {
        unsigned v = 0, nd = 0;
        if (part > 0) {
            if (i >= n || p[i] != '.')
                return 0;
            i++;
        }
        while (i < n && is_digit((unsigned char)p[i]) && nd < 3) {
            v = v * 10u + (unsigned)(p[i] - '0');
            nd++;
            i++;
        }
        if (nd == 0 || v > 255)
            return 0;
        if (nd > 1 && p[i - nd] == '0' && !(flags & MP_IP_SMTP_LITERAL))
            return 0;
        out[part] = (uint8_t)v;
    }
    return i == n ? 4 : 0;
}

/*
 * IPv6address (RFC 4291 §2.2): groups h16 = 1*4HEXDIG separated by ':',
 * at most one "::" standing for the zero groups left out, and optionally
 * an IPv4 tail for the last two groups.  "::" stands for one group or
 * more; for at least two in the SMTP dialect (IPv6-comp allows at most 6
 * groups besides it).
 */
static size_t ipv6(const char *p, size_t n, unsigned flags, uint8_t *out)
{
    unsigned g[8], ng = 0, i, k, max_with_dc = (flags & MP_IP_SMTP_LITERAL) ? 6u : 7u;
    int dc = -1; /* index in g[] where "::" stands */
    size_t at = 0;
    uint8_t v4[4];

    if (n >= 2 && p[0] == ':' && p[1] == ':') {
        dc = 0;
        at = 2;
    } else if (n == 0 || p[0] == ':') {
        return 0;
    }
    while (at < n) {
        size_t h = 0;
        unsigned v = 0;
        int alldig = 1;
        while (at + h < n && hex_value((unsigned char)p[at + h]) < 16u) {
            if (!is_digit((unsigned char)p[at + h]))
                alldig = 0;
            h++;
        }
        if (at + h < n && p[at + h] == '.' && alldig && h > 0) {
            if (ng > 6 || ipv4(p + at, n - at, flags, v4) != 4)
                return 0;
            g[ng++] = (unsigned)v4[0] << 8 | v4[1];
            g[ng++] = (unsigned)v4[2] << 8 | v4[3];
            break;
        }
        if (h == 0 || h > 4 || ng == 8)
            return 0;
        for (k = 0; k < h; k++)
            v = v << 4 | hex_value((unsigned char)p[at + k]);
        g[ng++] = v;
        at += h;
        if (at == n)
            break;
        if (p[at] != ':')
            return 0;
        at++;
        if (at < n && p[at] == ':') {
            if (dc >= 0)
                return 0;
            dc = (int)ng;
            at++;
        } else if (at == n) {
            return 0; /* a single ':' at the end */
        }
    }
    if (dc < 0 ? ng != 8 : ng > max_with_dc)
        return 0;
    /* The groups before "::", zeros, the groups after it. */
    for (i = 0, k = 0; i < 8; i++) {
        unsigned v = 0;
        if (dc < 0 || i < (unsigned)dc)
            v = g[k++];
        else if (i >= (unsigned)dc + (8u - ng))
            v = g[k++];
        out[2 * i] = (uint8_t)(v >> 8);
        out[2 * i + 1] = (uint8_t)v;
    }
    return 16;
}

size_t mp_ip_parse(const char *p, size_t n, unsigned flags, uint8_t out[16])
{
    size_t i;
    if (p == NULL || out == NULL)
        return 0;
    for (i = 0; i < n; i++)
        if (p[i] == ':')
            return ipv6(p, n, flags, out);
    return ipv4(p, n, flags, out);
}
