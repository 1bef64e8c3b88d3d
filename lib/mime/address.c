/* RFC 5322 §3.4 address lists (with the obsolete forms of §4.4) into the
 * name / adl / mailbox / host quadruples of IMAP's ENVELOPE (RFC 9051
 * §7.5.2).  Malformed addresses come out as Dovecot gives them, which is
 * what IMAP clients have long been shown: a missing local part is
 * MISSING_MAILBOX, a missing domain MISSING_DOMAIN, an unparsable
 * <angle-addr> SYNTAX_ERROR, a broken route INVALID_ROUTE; a bare word is a
 * mailbox without a domain, "user (Name)" takes its name from the comment.
 * The grammar functions mirror the rules they are named after and never
 * call themselves (a group holds mailboxes, a mailbox holds no group). */
#include <string.h>

#include "mime_int.h"

/* One part of the address being read: absent (NIL), text in `t`, or a
 * fixed string. */
enum { C_NONE = 0, C_TEXT, C_CODE };
typedef struct comp {
    size_t off, len;
    unsigned kind, code;
} comp;

typedef struct actx {
    mp_mime_lex_ x;
    mp_mime_buf_ *o; /* packed output */
    mp_mime_buf_ *t; /* the parts of the address being read */
    comp name, route, mailbox, domain;
    int invalid;
} actx;

static void c_reset(comp *c) { c->kind = C_NONE; }
static void c_text(comp *c, size_t off, size_t len)
{
    c->kind = C_TEXT;
    c->off = off;
    c->len = len;
}
static void c_code(comp *c, unsigned code)
{
    c->kind = C_CODE;
    c->code = code;
}

static void put_comp(actx *a, const comp *c, int human)
{
    size_t mark;
    if (c->kind == C_NONE) {
        mp_mime_pk_code_(a->o, MP_MIME_PK_NIL_);
    } else if (c->kind == C_CODE) {
        mp_mime_pk_code_(a->o, c->code);
    } else if (human) {
        mark = mp_mime_pk_open_(a->o);
        mp_mime_f_human_(a->t->b + c->off, c->len, a->o);
        mp_mime_pk_close_(a->o, mark);
    } else {
        mp_mime_pk_str_(a->o, a->t->b + c->off, c->len);
    }
}

/* Emit the address read so far and start the next one. */
static void add_address(actx *a)
{
    put_comp(a, &a->name, 1);
    put_comp(a, &a->route, 0);
    put_comp(a, &a->mailbox, 0);
    put_comp(a, &a->domain, 0);
    c_reset(&a->name);
    c_reset(&a->route);
    c_reset(&a->mailbox);
    c_reset(&a->domain);
    a->invalid = 0;
    a->t->len = 0;
}

/* An address must have a local part and a domain: placeholders where
 * they are missing (c-client's and Dovecot's convention). */
static void add_fixed_address(actx *a)
{
    if (a->mailbox.kind == C_NONE)
        c_code(&a->mailbox, MP_MIME_PK_MISSING_MAILBOX_);
    if (a->domain.kind == C_NONE || (a->domain.kind == C_TEXT && a->domain.len == 0))
        c_code(&a->domain, MP_MIME_PK_MISSING_DOMAIN_);
    add_address(a);
}

/* local-part = dot-atom / quoted-string / obs-local-part, dots allowed
 * anywhere ("john..doe", ".x"): real mail has them. */
static int local_part(actx *a)
{
    mp_mime_lex_ *x = &a->x;
    size_t s = a->t->len;
    int r = -1;
    if (*x->p == '"') {
        r = mp_mime_lex_quoted_(x, a->t);
    } else {
        do {
            while (*x->p == '.') {
                mp_mime_putc_(a->t, '.');
                if (++x->p == x->end) {
                    c_text(&a->mailbox, s, a->t->len - s);
                    return 0;
                }
                r = 1;
            }
            if (*x->p == '@')
                break;
            r = mp_mime_lex_atom_(x, a->t);
        } while (r > 0 && *x->p == '.');
    }
    if (r < 0)
        return -1;
    c_text(&a->mailbox, s, a->t->len - s);
    return r;
}

static int domain(actx *a)
{
    size_t s = a->t->len;
    int r = mp_mime_lex_domain_(&a->x, a->t);
    if (r < 0)
        return -1;
    c_text(&a->domain, s, a->t->len - s);
    return r;
}

/* obs-domain-list = "@" domain *(*(CFWS / ",") [CFWS] "@" domain), kept as
 * "@a,@b". */
static int domain_list(actx *a)
{
    mp_mime_lex_ *x = &a->x;
    size_t s = a->t->len;
    int r;
    for (;;) {
        if (x->p >= x->end)
            return 0;
        if (*x->p != '@')
            break;
        if (a->t->len > s)
            mp_mime_putc_(a->t, ',');
        mp_mime_putc_(a->t, '@');
        if ((r = mp_mime_lex_domain_(x, a->t)) <= 0)
            return r;
        while (mp_mime_lex_cfws_(x) > 0 && *x->p == ',')
            x->p++;
    }
    c_text(&a->route, s, a->t->len - s);
    return 1;
}

/* angle-addr = "<" [obs-route] addr-spec ">" ("<>" gives no address). */
static int angle_addr(actx *a)
{
    mp_mime_lex_ *x = &a->x;
    x->p++;
    if (mp_mime_lex_cfws_(x) <= 0)
        return -1;
    if (*x->p == '@') {
        if (domain_list(a) > 0 && *x->p == ':') {
            x->p++;
        } else {
            c_code(&a->route, MP_MIME_PK_INVALID_ROUTE_);
            if (x->p >= x->end)
                return -1;
        }
        if (mp_mime_lex_cfws_(x) <= 0)
            return -1;
    }
    if (*x->p != '>') {
        if (local_part(a) <= 0)
            return -1;
        if (*x->p == '@' && domain(a) <= 0)
            return -1;
    }
    if (*x->p != '>')
        return -1;
    x->p++;
    return mp_mime_lex_cfws_(x);
}

/* name-addr = [display-name] angle-addr.  -1 when it is not one (the
 * caller tries addr-spec from the same place). */
static int name_addr(actx *a)
{
    mp_mime_lex_ *x = &a->x;
    size_t s = a->t->len;
    if (mp_mime_lex_phrase_(x, a->t) <= 0 || *x->p != '<')
        return -1;
    if (a->t->len > s)
        c_text(&a->name, s, a->t->len - s);
    if (angle_addr(a) < 0) {
        c_code(&a->domain, MP_MIME_PK_SYNTAX_ERROR_);
        a->invalid = 1;
    }
    return x->p < x->end ? 1 : 0;
}

/* addr-spec = local-part "@" domain, with a trailing comment as the name
 * ("user@host (Name)"); a word without "@" followed by more words is a
 * display name. */
static int addr_spec(actx *a)
{
    mp_mime_lex_ *x = &a->x;
    size_t s = a->t->len;
    int quoted = *x->p == '"', r, r2 = -2;
    x->cmt = NULL;
    r = local_part(a);
    if (r <= 0)
        a->invalid = 1;
    if (r != 0 && x->p < x->end && *x->p == '@') {
        r2 = domain(a);
        if (r2 <= 0)
            r = r2;
    }
    if (x->cmt != NULL && x->cmtlen > 0) {
        size_t c = a->t->len;
        mp_mime_lex_comment_(x, a->t);
        c_text(&a->name, c, a->t->len - c);
    } else if (r2 == -2) {
        size_t before;
        mp_mime_putc_(a->t, ' ');
        before = a->t->len;
        mp_mime_lex_phrase_(x, a->t);
        if (a->t->len != before) {
            c_text(&a->name, s, a->t->len - s);
            c_reset(&a->mailbox);
        } else if (!quoted) {
            c_text(&a->domain, 0, 0);
        }
        a->invalid = 1;
        r = -1;
    }
    return r;
}

/* mailbox = name-addr / addr-spec */
static int mailbox(actx *a)
{
    const unsigned char *start = a->x.p;
    size_t t0 = a->t->len;
    int r = name_addr(a);
    if (r < 0) {
        a->x.p = start;
        a->t->len = t0;
        r = addr_spec(a);
        if (a->invalid && a->name.kind == C_NONE && a->mailbox.kind != C_NONE &&
            a->domain.kind == C_NONE) {
            a->name = a->mailbox;
            c_reset(&a->mailbox);
        }
    }
    if (r < 0)
        a->invalid = 1;
    add_fixed_address(a);
    return r;
}

/* group = display-name ":" [group-list] ";" [CFWS]: a start marker with the
 * name as mailbox, the members, an end marker (RFC 9051 §7.5.2). */
static int group(actx *a)
{
    mp_mime_lex_ *x = &a->x;
    size_t s = a->t->len;
    int r;
    if (mp_mime_lex_phrase_(x, a->t) <= 0 || *x->p != ':')
        return -1;
    x->p++;
    if ((r = mp_mime_lex_cfws_(x)) <= 0)
        a->invalid = 1;
    c_text(&a->mailbox, s, a->t->len - s);
    add_address(a);
    if (r > 0 && *x->p != ';') {
        for (;;) {
            (void)mailbox(a); /* a broken member: go on */
            if (x->p >= x->end || *x->p != ',')
                break;
            x->p++;
            if (mp_mime_lex_cfws_(x) <= 0) {
                r = -1;
                break;
            }
        }
    }
    if (r >= 0) {
        if (x->p >= x->end || *x->p != ';') {
            r = -1;
        } else {
            x->p++;
            r = mp_mime_lex_cfws_(x);
        }
    }
    add_address(a); /* end of group: all NIL */
    return r == 0 ? 0 : 1;
}

void mp_mime_f_addresses_(const char *s, size_t n, mp_mime_buf_ *o, mp_mime_buf_ *tmp)
{
    actx a;
    int r;
    memset(&a, 0, sizeof(a));
    mp_mime_lex_init_(&a.x, s, n);
    a.o = o;
    a.t = tmp;
    tmp->len = 0;
    /* address-list = address *("," address) */
    if (mp_mime_lex_cfws_(&a.x) <= 0)
        return;
    for (;;) {
        const unsigned char *start = a.x.p;
        r = group(&a);
        if (r < 0) {
            a.x.p = start;
            a.t->len = 0;
            r = mailbox(&a);
        }
        if (r == 0 || a.x.p >= a.x.end || *a.x.p != ',')
            break;
        a.x.p++;
        if ((r = mp_mime_lex_cfws_(&a.x)) <= 0) {
            if (r < 0)
                add_fixed_address(&a); /* an unclosed comment at the end */
            break;
        }
    }
}
