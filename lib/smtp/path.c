/* SMTP paths, mailboxes, domains and address literals (RFC 5321 §4.1.2,
 * §4.1.3, §4.5.3.1; UTF-8 per RFC 6531 §3.3).  Works in place on the
 * command line: every result is a slice of it. */
#include <string.h>

#include "cmd_internal.h"

static int is_alpha(unsigned c) { return (c | 0x20u) >= 'a' && (c | 0x20u) <= 'z'; }
static int is_digit(unsigned c) { return c >= '0' && c <= '9'; }

/* RFC 5321 §4.1.2 atext (RFC 5322 §3.2.3). */
static int is_atext(unsigned c)
{
    if (is_alpha(c) || is_digit(c))
        return 1;
    static const char specials[] = "!#$%&'*+-/=?^_`{|}~";
    return memchr(specials, (int)c, sizeof(specials) - 1) != NULL;
}

/* RFC 5321 §4.1.3 dcontent: %d33-90 / %d94-126. */
static int is_dcontent(unsigned c) { return (c >= 33 && c <= 90) || (c >= 94 && c <= 126); }

/* IPv4-address-literal = Snum 3("." Snum); Snum = 1*3DIGIT (0..255).
 * IPv6-addr (RFC 5321 §4.1.3): IPv6-full / IPv6-comp / IPv6v4-full /
 * IPv6v4-comp ("::" stands for at least two zero groups).  Both are the
 * core's parser in its SMTP dialect. */
static int ip_literal_ok(const char *p, size_t n, size_t want)
{
    uint8_t addr[16];
    return mp_ip_parse(p, n, MP_IP_SMTP_LITERAL, addr) == want;
}

/* address-literal = "[" ( IPv4 / "IPv6:" IPv6-addr / General ) "]" */
static mp_status literal_check(const char *p, size_t n, unsigned *flags, mp_error *err)
{
    const char *rule = MP_RULE_("RFC 5321 4.1.3 address-literal");
    size_t i, colon = 0;
    if (n < 3 || p[0] != '[' || p[n - 1] != ']')
        return mp_error_set(err, MP_ERR_SMTP_PATH, 0, rule);
    p++;
    n -= 2;
    for (i = 0; i < n; i++) {
        if (!is_dcontent((unsigned char)p[i]))
            return mp_error_set(err, MP_ERR_SMTP_PATH, i + 1, rule);
        if (p[i] == ':' && colon == 0)
            colon = i;
    }
    if (n > 5 && mp_slice_eq_ci(mp_slice_make(p, 5), "IPv6:", 5)) {
        if (!ip_literal_ok(p + 5, n - 5, 16))
            return mp_error_set(err, MP_ERR_SMTP_PATH, 6, MP_RULE_("RFC 5321 4.1.3 IPv6-addr"));
        *flags |= MP_SMTP_PATH_LITERAL_V6;
        return MP_OK;
    }
    if (is_digit((unsigned char)p[0]) && colon == 0) {
        if (!ip_literal_ok(p, n, 4))
            return mp_error_set(err, MP_ERR_SMTP_PATH, 1,
                                MP_RULE_("RFC 5321 4.1.3 IPv4-address-literal"));
        *flags |= MP_SMTP_PATH_LITERAL_V4;
        return MP_OK;
    }
    /* General-address-literal = Standardized-tag ":" 1*dcontent, where
     * Standardized-tag = Ldh-str (ends in a letter or digit). */
    if (colon == 0 || colon + 1 == n || p[colon - 1] == '-')
        return mp_error_set(err, MP_ERR_SMTP_PATH, 1,
                            MP_RULE_("RFC 5321 4.1.3 General-address-literal"));
    for (i = 0; i < colon; i++)
        if (!is_alpha((unsigned char)p[i]) && !is_digit((unsigned char)p[i]) && p[i] != '-')
            return mp_error_set(err, MP_ERR_SMTP_PATH, i + 1,
                                MP_RULE_("RFC 5321 4.1.3 Standardized-tag"));
    *flags |= MP_SMTP_PATH_LITERAL_GEN;
    return MP_OK;
}

mp_status mp_smtp_domain_check(const char *p, size_t n, int utf8, unsigned *flags,
                               mp_error *err)
{
    const char *rule = MP_RULE_("RFC 5321 4.1.2 Domain");
    size_t i, label = 0;
    int eightbit = 0;

    if (n > 0 && p[0] == '[')
        return literal_check(p, n, flags, err);
    if (n == 0)
        return mp_error_set(err, MP_ERR_SMTP_PATH, 0, rule);
    if (n > MP_SMTP_MAX_DOMAIN)
        return mp_error_set(err, MP_ERR_SMTP_DOMAIN_TOO_LONG, MP_SMTP_MAX_DOMAIN,
                             "MP_SMTP_MAX_DOMAIN");
    /* sub-domain = Let-dig [Ldh-str]: letters, digits, inner hyphens; a
     * byte >= 0x80 belongs to a U-label (RFC 6531 §3.3). */
    for (i = 0; i <= n; i++) {
        unsigned c = i < n ? (unsigned char)p[i] : '.';
        if (c == '.') {
            if (label == 0 || p[i - 1] == '-')
                return mp_error_set(err, MP_ERR_SMTP_PATH, i, rule);
            if (label > MP_SMTP_MAX_LABEL)
                return mp_error_set(err, MP_ERR_SMTP_DOMAIN_TOO_LONG, i, "MP_SMTP_MAX_LABEL");
            label = 0;
            continue;
        }
        if (c >= 0x80) {
            if (!utf8)
                return mp_error_set(err, MP_ERR_SMTP_UTF8_PATH, i, MP_RULE_("RFC 6531 3.3"));
            eightbit = 1;
        } else if (!is_alpha(c) && !is_digit(c) && !(c == '-' && label > 0)) {
            return mp_error_set(err, MP_ERR_SMTP_PATH, i, rule);
        }
        label++;
    }
    if (eightbit) {
        size_t bad = 0;
        if (!mp_utf8_valid(p, n, &bad))
            return mp_error_set(err, MP_ERR_UTF8, bad, MP_RULE_("RFC 3629"));
        *flags |= MP_SMTP_PATH_UTF8;
    }
    return MP_OK;
}

/* Length of the domain or address literal starting at p[0]: up to the
 * first byte that cannot belong to it. */
static size_t domain_span(const char *p, size_t n)
{
    size_t i = 0;
    if (n > 0 && p[0] == '[') {
        const char *e = memchr(p, ']', n);
        return e ? (size_t)(e - p) + 1 : n;
    }
    while (i < n) {
        unsigned c = (unsigned char)p[i];
        if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '.' || c >= 0x80))
            break;
        i++;
    }
    return i;
}

/* Local-part = Dot-string / Quoted-string; returns its length or 0. */
static size_t local_span(const char *p, size_t n, unsigned *flags, mp_error *err, size_t base)
{
    size_t i = 0;
    if (n > 0 && p[0] == '"') {
        /* Quoted-string: qtextSMTP (%d32-33 / %d35-91 / %d93-126, UTF-8
         * under SMTPUTF8) and quoted-pairSMTP ("\" %d32-126). */
        for (i = 1; i < n; i++) {
            unsigned c = (unsigned char)p[i];
            if (c == '"') {
                *flags |= MP_SMTP_PATH_QUOTED;
                return i + 1;
            }
            if (c == '\\') {
                i++;
                if (i >= n || (unsigned char)p[i] < 32 || (unsigned char)p[i] > 126)
                    break;
                continue;
            }
            if (c < 32 || c == 127)
                break;
        }
        mp_error_set(err, MP_ERR_SMTP_PATH, base + i, MP_RULE_("RFC 5321 4.1.2 Quoted-string"));
        return 0;
    }
    /* Dot-string = Atom *("." Atom) */
    for (;;) {
        size_t a = i;
        while (i < n && (is_atext((unsigned char)p[i]) || (unsigned char)p[i] >= 0x80))
            i++;
        if (i == a) {
            mp_error_set(err, MP_ERR_SMTP_PATH, base + i, MP_RULE_("RFC 5321 4.1.2 Dot-string"));
            return 0;
        }
        if (i < n && p[i] == '.') {
            i++;
            continue;
        }
        return i;
    }
}

/*
 * Mailbox (or Postmaster) from p[i], after the "<" and any source route.
 * `bare`: p holds the mailbox alone (a host's address, no brackets) and
 * ends at n; otherwise it ends at the ">" of the path.  Limits count the
 * brackets either way, so both forms accept exactly the same addresses.
 * `*used` gets the offset just past the ">" (bare: n).
 */
static mp_status mailbox_parse(const char *p, size_t n, size_t i, int bare, int allow_postmaster,
                               int utf8, unsigned flags, mp_smtp_path *path, size_t *used,
                               mp_error *err)
{
    size_t mb = i, ll, dl, end;
    mp_status st;

    ll = local_span(p + i, n - i, &flags, err, i);
    if (ll == 0)
        return err->code;
    if (ll > MP_SMTP_MAX_LOCAL_PART)
        return mp_error_set(err, MP_ERR_SMTP_LOCAL_TOO_LONG, i + MP_SMTP_MAX_LOCAL_PART,
                             "MP_SMTP_MAX_LOCAL_PART");
    i += ll;
    if ((bare ? i == n : (i < n && p[i] == '>')) && allow_postmaster &&
        !(flags & MP_SMTP_PATH_QUOTED) &&
        mp_slice_eq_ci(mp_slice_make(p + mb, ll), "Postmaster", 10)) {
        path->kind = MP_SMTP_PATH_POSTMASTER;
        path->mailbox = path->local = mp_slice_make(p + mb, ll);
        path->domain = mp_slice_make(p + i, 0);
        path->flags = (uint8_t)flags;
        *used = bare ? n : i + 1;
        return MP_OK;
    }
    if (i >= n || p[i] != '@')
        return mp_error_set(err, MP_ERR_SMTP_PATH, i, MP_RULE_("RFC 5321 4.1.2 Mailbox"));
    i++;
    dl = domain_span(p + i, n - i);
    end = i + dl; /* where the ">" must be (bare: the end) */
    /* The whole path with both brackets: `end` bytes plus ">" (plus "<"
     * when bare). */
    if (bare ? end != n : (end >= n || p[end] != '>'))
        return mp_error_set(err,
                             end + 1u + (unsigned)bare > MP_SMTP_MAX_PATH
                                 ? MP_ERR_SMTP_PATH_TOO_LONG
                                 : MP_ERR_SMTP_PATH,
                             end, MP_RULE_("RFC 5321 4.1.2 Path"));
    if (end + 1u + (unsigned)bare > MP_SMTP_MAX_PATH)
        return mp_error_set(err, MP_ERR_SMTP_PATH_TOO_LONG, MP_SMTP_MAX_PATH - (unsigned)bare,
                             "MP_SMTP_MAX_PATH");
    st = mp_smtp_domain_check(p + i, dl, utf8, &flags, err);
    if (st != MP_OK) {
        err->offset += i;
        return st;
    }
    /* 8-bit bytes in the local part: only under SMTPUTF8 and valid UTF-8. */
    {
        size_t k, bad = 0;
        for (k = mb; k < mb + ll; k++)
            if ((unsigned char)p[k] >= 0x80)
                break;
        if (k < mb + ll) {
            if (!utf8)
                return mp_error_set(err, MP_ERR_SMTP_UTF8_PATH, k, MP_RULE_("RFC 6531 3.3"));
            if (!mp_utf8_valid(p + mb, ll, &bad))
                return mp_error_set(err, MP_ERR_UTF8, mb + bad, MP_RULE_("RFC 3629"));
            flags |= MP_SMTP_PATH_UTF8;
        }
    }
    path->kind = MP_SMTP_PATH_MAILBOX;
    path->mailbox = mp_slice_make(p + mb, end - mb);
    path->local = mp_slice_make(p + mb, ll);
    path->domain = mp_slice_make(p + i, dl);
    path->flags = (uint8_t)flags;
    *used = bare ? n : end + 1;
    return MP_OK;
}

mp_status mp_smtp_path_parse(const char *p, size_t n, int allow_null, int allow_postmaster,
                             int utf8, mp_smtp_path *path, size_t *used, mp_error *err)
{
    size_t i = 1;
    unsigned flags = 0;
    mp_status st;

    memset(path, 0, sizeof(*path));
    *used = 0;
    if (n == 0 || p[0] != '<')
        return mp_error_set(err, MP_ERR_SMTP_PATH, 0, MP_RULE_("RFC 5321 4.1.2 Path"));
    if (n >= 2 && p[1] == '>') {
        if (!allow_null)
            return mp_error_set(err, MP_ERR_SMTP_PATH, 1, MP_RULE_("RFC 5321 4.1.2 Forward-path"));
        path->kind = MP_SMTP_PATH_NULL;
        path->mailbox = path->local = path->domain = mp_slice_make(p + 1, 0);
        *used = 2;
        return MP_OK;
    }
    /* A-d-l = At-domain *( "," At-domain ) ":" — accepted and dropped
     * (RFC 5321 §4.1.2, §C). */
    if (i < n && p[i] == '@') {
        for (;;) {
            size_t d = domain_span(p + i + 1, n - i - 1);
            st = mp_smtp_domain_check(p + i + 1, d, utf8, &flags, err);
            if (st != MP_OK) {
                err->offset += i + 1;
                return st;
            }
            i += 1 + d;
            if (i < n && p[i] == ',' && i + 1 < n && p[i + 1] == '@') {
                i++;
                continue;
            }
            if (i < n && p[i] == ':') {
                i++;
                break;
            }
            return mp_error_set(err, MP_ERR_SMTP_PATH, i, MP_RULE_("RFC 5321 4.1.2 A-d-l"));
        }
        flags = MP_SMTP_PATH_SOURCE_ROUTE;
    }
    return mailbox_parse(p, n, i, 0, allow_postmaster, utf8, flags, path, used, err);
}

mp_status mp_smtp_mailbox_parse(const char *p, size_t n, int allow_null, int allow_postmaster,
                                int utf8, mp_smtp_path *path, mp_error *err)
{
    size_t used;
    memset(path, 0, sizeof(*path));
    if (p == NULL && n != 0)
        return mp_error_set(err, MP_ERR_ARG, 0, "mp_smtp_mailbox_parse");
    if (n == 0) {
        if (!allow_null)
            return mp_error_set(err, MP_ERR_SMTP_PATH, 0, MP_RULE_("RFC 5321 4.1.2 Forward-path"));
        path->kind = MP_SMTP_PATH_NULL;
        path->mailbox = path->local = path->domain = mp_slice_make(p, 0);
        return MP_OK;
    }
    return mailbox_parse(p, n, 0, 1, allow_postmaster, utf8, 0, path, &used, err);
}
