/* A parsed message as FETCH items (ENVELOPE, BODY, BODYSTRUCTURE; RFC 9051
 * §7.5.2) through the IMAP response writer's public events: the writer
 * keeps the separators and chooses each string's form.  The part tree is
 * walked without recursion: records are in document order (a child after
 * its parent, a sibling after the previous one), so entering a part moves
 * forward and leaving it moves back to its parent. */
#include <string.h>

#include "mime_int.h"

#if MP_ENABLE_IMAP

#define TRY(x)                                                                         \
    do {                                                                               \
        mp_status st_ = (x);                                                           \
        if (st_ != MP_OK)                                                              \
            return st_;                                                                \
    } while (0)

static mp_status ev(mp_imap_resp_writer *w, mp_imap_resp_event e)
{
    return mp_imap_resp_write(w, &e);
}

static mp_status list(mp_imap_resp_writer *w, mp_imap_field f, int open)
{
    return ev(w, mp_imap_ev_make(open ? MP_IMAP_EV_LIST_BEGIN : MP_IMAP_EV_LIST_END, f));
}

/* nstring: NIL for an absent value; an empty string keeps a pointer (the
 * writer's checks read it). */
static mp_status nstr(mp_imap_resp_writer *w, mp_imap_field f, mp_slice s)
{
    if (s.ptr == NULL)
        return ev(w, mp_imap_ev_nil(f));
    return ev(w, mp_imap_ev_string(f, s));
}

static mp_status lit(mp_imap_resp_writer *w, mp_imap_field f, const char *s)
{
    return ev(w, mp_imap_ev_string(f, mp_slice_make(s, strlen(s))));
}

/* ---- ENVELOPE ---------------------------------------------------------------- */

static int has_address(const mp_mime_msg *m, mp_mime_ref r)
{
    mp_mime_iter it;
    mp_mime_addr a;
    mp_mime_iter_init(&it, m, r);
    return mp_mime_addr_next(&it, &a);
}

/* "(" 1*address ")" / nil */
static mp_status addresses(mp_imap_resp_writer *w, const mp_mime_msg *m, mp_imap_field f,
                           mp_mime_ref r)
{
    mp_mime_iter it;
    mp_mime_addr a;
    if (!has_address(m, r))
        return ev(w, mp_imap_ev_nil(f));
    mp_mime_iter_init(&it, m, r);
    TRY(list(w, f, 1));
    while (mp_mime_addr_next(&it, &a)) {
        TRY(list(w, MP_IMAP_F_ADDRESS, 1));
        TRY(nstr(w, MP_IMAP_F_ADDR_NAME, a.name));
        TRY(nstr(w, MP_IMAP_F_ADDR_ADL, a.adl));
        TRY(nstr(w, MP_IMAP_F_ADDR_MAILBOX, a.mailbox));
        TRY(nstr(w, MP_IMAP_F_ADDR_HOST, a.host));
        TRY(list(w, MP_IMAP_F_ADDRESS, 0));
    }
    return list(w, f, 0);
}

static mp_status envelope(mp_imap_resp_writer *w, const mp_mime_msg *m, uint32_t i)
{
    mp_mime_envelope e;
    mp_mime_envelope_get(m, i, &e);
    TRY(list(w, MP_IMAP_F_ENVELOPE, 1));
    TRY(nstr(w, MP_IMAP_F_ENV_DATE, mp_mime_str(m, e.date)));
    TRY(nstr(w, MP_IMAP_F_ENV_SUBJECT, mp_mime_str(m, e.subject)));
    TRY(addresses(w, m, MP_IMAP_F_ENV_FROM, e.from));
    /* RFC 9051 §7.5.2: sender and reply-to are from when absent */
    TRY(addresses(w, m, MP_IMAP_F_ENV_SENDER, has_address(m, e.sender) ? e.sender : e.from));
    TRY(addresses(w, m, MP_IMAP_F_ENV_REPLY_TO,
                  has_address(m, e.reply_to) ? e.reply_to : e.from));
    TRY(addresses(w, m, MP_IMAP_F_ENV_TO, e.to));
    TRY(addresses(w, m, MP_IMAP_F_ENV_CC, e.cc));
    TRY(addresses(w, m, MP_IMAP_F_ENV_BCC, e.bcc));
    TRY(nstr(w, MP_IMAP_F_ENV_IN_REPLY_TO, mp_mime_str(m, e.in_reply_to)));
    TRY(nstr(w, MP_IMAP_F_ENV_MESSAGE_ID, mp_mime_str(m, e.message_id)));
    return list(w, MP_IMAP_F_ENVELOPE, 0);
}

/* ---- BODY / BODYSTRUCTURE ------------------------------------------------------ */

/* body-fld-param: NIL or "(" name value ... ")"; text parts get charset
 * us-ascii when they name none (RFC 2045 §5.2, as Dovecot). */
static mp_status params(mp_imap_resp_writer *w, mp_mime_iter it, int text)
{
    mp_mime_iter probe = it;
    mp_slice k, v;
    int any = mp_mime_iter_next(&probe, &k), charset = 0;
    if (!any && !text)
        return ev(w, mp_imap_ev_nil(MP_IMAP_F_BODY_PARAMS));
    TRY(list(w, MP_IMAP_F_BODY_PARAMS, 1));
    while (mp_mime_iter_next(&it, &k) && mp_mime_iter_next(&it, &v)) {
        if (k.ptr == NULL || v.ptr == NULL)
            continue;
        charset |= k.len == 7 && mp_slice_eq_ci(k, "charset", 7);
        TRY(ev(w, mp_imap_ev_string(MP_IMAP_F_PARAM_NAME, k)));
        TRY(ev(w, mp_imap_ev_string(MP_IMAP_F_PARAM_VALUE, v)));
    }
    if (text && !charset) {
        TRY(lit(w, MP_IMAP_F_PARAM_NAME, "charset"));
        TRY(lit(w, MP_IMAP_F_PARAM_VALUE, "us-ascii"));
    }
    return list(w, MP_IMAP_F_BODY_PARAMS, 0);
}

/* body-fld-dsp body-fld-lang body-fld-loc: the extension fields both
 * forms end with. */
static mp_status ext_common(mp_imap_resp_writer *w, const mp_mime_msg *m, const mp_mime_part *pt)
{
    mp_mime_iter it;
    mp_slice s;
    mp_mime_iter_init(&it, m, pt->disposition);
    if (!mp_mime_iter_next(&it, &s) || s.ptr == NULL) {
        TRY(ev(w, mp_imap_ev_nil(MP_IMAP_F_BODY_DISPOSITION)));
    } else {
        TRY(list(w, MP_IMAP_F_BODY_DISPOSITION, 1));
        TRY(ev(w, mp_imap_ev_string(MP_IMAP_F_DISP_TYPE, s)));
        TRY(params(w, it, 0));
        TRY(list(w, MP_IMAP_F_BODY_DISPOSITION, 0));
    }
    mp_mime_iter_init(&it, m, pt->language);
    if (!mp_mime_iter_next(&it, &s)) {
        TRY(ev(w, mp_imap_ev_nil(MP_IMAP_F_BODY_LANGUAGE)));
    } else {
        /* a list even for one tag, as Dovecot sends it */
        mp_mime_iter_init(&it, m, pt->language);
        TRY(list(w, MP_IMAP_F_BODY_LANGUAGE, 1));
        while (mp_mime_iter_next(&it, &s))
            if (s.ptr != NULL)
                TRY(ev(w, mp_imap_ev_string(MP_IMAP_F_BODY_LANGUAGE, s)));
        TRY(list(w, MP_IMAP_F_BODY_LANGUAGE, 0));
    }
    return nstr(w, MP_IMAP_F_BODY_LOCATION, mp_mime_str(m, pt->location));
}

/* How a record is written. */
enum { K_MULTI, K_NESTED, K_TEXT, K_BASIC };

static int form(const mp_mime_msg *m, uint32_t i, unsigned mode)
{
    const mp_mime_part *pt = &m->parts[i];
    mp_slice t, s;
    if (pt->flags & MP_MIME_PF_TRUNCATED)
        return K_BASIC;
    if (pt->kind == MP_MIME_MULTIPART)
        return K_MULTI;
    if (pt->kind == MP_MIME_TEXT)
        return K_TEXT;
    if (pt->kind != MP_MIME_MESSAGE || pt->nchildren == 0 || i + 1 >= m->nparts)
        return K_BASIC;
    /* message/global is a message in IMAP4rev2 only (RFC 9051
     * media-message; RFC 3501 has MESSAGE/RFC822 alone) */
    mp_mime_type(m, i, &t, &s, NULL);
    if (s.len == 6 && mp_slice_eq_ci(s, "global", 6) && !(mode & MP_IMAP_REV2))
        return K_BASIC;
    return K_NESTED;
}

/* The empty text/plain part Dovecot writes for a multipart without
 * parts (body-type-mpart needs one). */
static mp_status empty_part(mp_imap_resp_writer *w, int ext)
{
    mp_mime_iter none = { NULL, NULL };
    TRY(list(w, MP_IMAP_F_BODY, 1));
    TRY(lit(w, MP_IMAP_F_BODY_TYPE, "text"));
    TRY(lit(w, MP_IMAP_F_BODY_SUBTYPE, "plain"));
    TRY(params(w, none, 1));
    TRY(ev(w, mp_imap_ev_nil(MP_IMAP_F_BODY_ID)));
    TRY(ev(w, mp_imap_ev_nil(MP_IMAP_F_BODY_DESCRIPTION)));
    TRY(lit(w, MP_IMAP_F_BODY_ENCODING, "7bit"));
    TRY(ev(w, mp_imap_ev_number(MP_IMAP_F_BODY_SIZE, 0)));
    TRY(ev(w, mp_imap_ev_number(MP_IMAP_F_BODY_LINES, 0)));
    if (ext) {
        TRY(ev(w, mp_imap_ev_nil(MP_IMAP_F_BODY_MD5)));
        TRY(ev(w, mp_imap_ev_nil(MP_IMAP_F_BODY_DISPOSITION)));
        TRY(ev(w, mp_imap_ev_nil(MP_IMAP_F_BODY_LANGUAGE)));
        TRY(ev(w, mp_imap_ev_nil(MP_IMAP_F_BODY_LOCATION)));
    }
    return list(w, MP_IMAP_F_BODY, 0);
}

/* body-type-basic / -text / -msg up to body-fld-octets. */
static mp_status part_head(mp_imap_resp_writer *w, const mp_mime_msg *m, uint32_t i, int f)
{
    const mp_mime_part *pt = &m->parts[i];
    mp_slice t, s, e;
    mp_mime_iter it;
    mp_mime_type(m, i, &t, &s, &it);
    if (f == K_NESTED) {
        /* in lower case whatever the header says, as Dovecot writes it */
        t = MP_SLICE_LIT("message");
        s = s.len == 6 && mp_slice_eq_ci(s, "global", 6) ? MP_SLICE_LIT("global")
                                                         : MP_SLICE_LIT("rfc822");
    }
    TRY(ev(w, mp_imap_ev_string(MP_IMAP_F_BODY_TYPE, t)));
    TRY(ev(w, mp_imap_ev_string(MP_IMAP_F_BODY_SUBTYPE, s)));
    TRY(params(w, it, f == K_TEXT));
    TRY(nstr(w, MP_IMAP_F_BODY_ID, mp_mime_str(m, pt->id)));
    TRY(nstr(w, MP_IMAP_F_BODY_DESCRIPTION, mp_mime_str(m, pt->description)));
    e = mp_mime_str(m, pt->encoding);
    if (e.ptr == NULL)
        e = MP_SLICE_LIT("7bit");
    TRY(ev(w, mp_imap_ev_string(MP_IMAP_F_BODY_ENCODING, e)));
    return ev(w, mp_imap_ev_number(MP_IMAP_F_BODY_SIZE, pt->body_size));
}

/* What follows a part's children (or its head): lines, extension data,
 * the closing parenthesis. */
static mp_status part_tail(mp_imap_resp_writer *w, const mp_mime_msg *m, uint32_t i, int f,
                           int ext)
{
    const mp_mime_part *pt = &m->parts[i];
    if (f == K_MULTI) {
        mp_slice t, s;
        mp_mime_iter it;
        mp_mime_type(m, i, &t, &s, &it);
        TRY(ev(w, mp_imap_ev_string(MP_IMAP_F_BODY_SUBTYPE, s)));
        if (ext) {
            TRY(params(w, it, 0));
            TRY(ext_common(w, m, pt));
        }
    } else {
        if (f == K_TEXT || f == K_NESTED)
            TRY(ev(w, mp_imap_ev_number(MP_IMAP_F_BODY_LINES, pt->body_lines)));
        if (ext) {
            TRY(nstr(w, MP_IMAP_F_BODY_MD5, mp_mime_str(m, pt->md5)));
            TRY(ext_common(w, m, pt));
        }
    }
    return list(w, MP_IMAP_F_BODY, 0);
}

static mp_status body(mp_imap_resp_writer *w, const mp_mime_msg *m, int ext)
{
    uint32_t i = 0;
    if (m->nparts == 0)
        return empty_part(w, ext);
    for (;;) {
        /* enter part i */
        int f = form(m, i, w->mode);
        TRY(list(w, MP_IMAP_F_BODY, 1));
        if (f == K_MULTI) {
            if (m->parts[i].nchildren > 0 && i + 1 < m->nparts) {
                i++;
                continue;
            }
            TRY(empty_part(w, ext));
        } else {
            TRY(part_head(w, m, i, f));
            if (f == K_NESTED) {
                TRY(envelope(w, m, i + 1));
                i++;
                continue;
            }
        }
        /* leave part i, then its parents whose last child it was */
        for (;;) {
            uint32_t next = m->parts[i].next, up = m->parts[i].parent;
            TRY(part_tail(w, m, i, form(m, i, w->mode), ext));
            if (i == 0)
                return MP_OK;
            if (up >= i)
                return MP_ERR_BAD_VALUE; /* not a parser's record order */
            if (next != MP_MIME_NONE && form(m, up, w->mode) == K_MULTI) {
                if (next <= i || next >= m->nparts)
                    return MP_ERR_BAD_VALUE;
                i = next;
                break;
            }
            i = up;
        }
    }
}

mp_status mp_mime_write_item(mp_imap_resp_writer *w, const mp_mime_msg *m, mp_mime_item item)
{
    static const char *const names[] = { "", "ENVELOPE", "BODY", "BODYSTRUCTURE" };
    if (w == NULL || m == NULL || (m->nparts > 0 && m->parts == NULL) || item < 1 || item > 3)
        return MP_ERR_ARG;
    TRY(ev(w, mp_imap_ev_atom(MP_IMAP_F_FETCH_ITEM,
                              mp_slice_make(names[item], strlen(names[item])))));
    if (item == MP_MIME_ITEM_ENVELOPE) {
        if (m->nparts == 0) {
            unsigned k;
            TRY(list(w, MP_IMAP_F_ENVELOPE, 1));
            for (k = 0; k < 10; k++)
                TRY(ev(w, mp_imap_ev_nil(MP_IMAP_F_ENV_DATE)));
            return list(w, MP_IMAP_F_ENVELOPE, 0);
        }
        return envelope(w, m, 0);
    }
    return body(w, m, item == MP_MIME_ITEM_BODYSTRUCTURE);
}

/* ---- section names ----------------------------------------------------------- */

mp_status mp_mime_write_section_name(mp_imap_resp_writer *w, const char *name, mp_slice spec,
                                     int partial, uint64_t origin)
{
    const char *sp = spec.len ? memchr(spec.ptr, ' ', spec.len) : NULL;
    size_t head = sp ? (size_t)(sp - spec.ptr) : spec.len, k;
    if (w == NULL || name == NULL || (spec.ptr == NULL && spec.len > 0))
        return MP_ERR_ARG;
    TRY(ev(w, mp_imap_ev_atom(MP_IMAP_F_FETCH_ITEM, mp_slice_make(name, strlen(name)))));
    TRY(ev(w, mp_imap_ev_atom(MP_IMAP_F_SECTION, mp_slice_make(spec.len ? spec.ptr : "", head))));
    if (sp != NULL) {
        /* " (" header-fld-name *(SP header-fld-name) ")", as the command
         * parser writes the canonical section text */
        k = head + 1;
        if (k >= spec.len || spec.ptr[k] != '(' || spec.ptr[spec.len - 1] != ')')
            return MP_ERR_SYNTAX;
        k++;
        while (k < spec.len - 1) {
            size_t s = k;
            if (spec.ptr[k] == '"') {
                char buf[128];
                size_t n = 0;
                for (k++; k < spec.len - 1 && spec.ptr[k] != '"'; k++) {
                    if (spec.ptr[k] == '\\' && k + 1 < spec.len - 1)
                        k++;
                    if (n == sizeof(buf))
                        return MP_ERR_BAD_VALUE;
                    buf[n++] = spec.ptr[k];
                }
                if (k >= spec.len - 1)
                    return MP_ERR_SYNTAX;
                k++;
                TRY(ev(w, mp_imap_ev_string(MP_IMAP_F_SECTION_HEADER, mp_slice_make(buf, n))));
            } else {
                while (k < spec.len - 1 && spec.ptr[k] != ' ')
                    k++;
                if (k == s)
                    return MP_ERR_SYNTAX;
                TRY(ev(w, mp_imap_ev_atom(MP_IMAP_F_SECTION_HEADER,
                                          mp_slice_make(spec.ptr + s, k - s))));
            }
            if (k < spec.len - 1 && spec.ptr[k++] != ' ')
                return MP_ERR_SYNTAX;
        }
    }
    if (partial)
        return ev(w, mp_imap_ev_number(MP_IMAP_F_PARTIAL, origin));
    return MP_OK;
}

#endif /* MP_ENABLE_IMAP */
