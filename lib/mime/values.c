/* Reading a parsed message's values: strings, packed lists, the media type
 * with its defaults, envelopes and addresses (mime.h).  Every read is
 * bounded by the ref and the value buffer: a damaged cache copy gives NIL
 * or a short list, never a read outside the host's arrays. */
#include <string.h>

#include "mime_int.h"

static int ref_ok(const mp_mime_msg *m, mp_mime_ref r)
{
    return r.off != MP_MIME_NIL && m->values != NULL && r.off <= m->values_len &&
           r.len <= m->values_len - r.off;
}

mp_slice mp_mime_str(const mp_mime_msg *m, mp_mime_ref r)
{
    if (!ref_ok(m, r))
        return mp_slice_make(NULL, 0);
    return mp_slice_make(m->values + r.off, r.len);
}

void mp_mime_iter_init(mp_mime_iter *it, const mp_mime_msg *m, mp_mime_ref r)
{
    if (!ref_ok(m, r)) {
        it->p = it->end = NULL;
        return;
    }
    it->p = m->values + r.off;
    it->end = it->p + r.len;
}

static const struct {
    const char *s;
    size_t n;
} fixed[] = {
    { NULL, 0 },
    { "MISSING_MAILBOX", 15 },
    { "MISSING_DOMAIN", 14 },
    { "SYNTAX_ERROR", 12 },
    { "INVALID_ROUTE", 13 },
};

int mp_mime_pk_next_(const char **pp, const char *end, mp_slice *s)
{
    const char *p = *pp;
    uint64_t h = 0;
    unsigned shift = 0;
    if (p == NULL || p >= end)
        return 0;
    for (;;) {
        unsigned char b;
        if (p >= end || shift > 35)
            return 0;
        b = (unsigned char)*p++;
        h |= (uint64_t)(b & 0x7fu) << shift;
        shift += 7;
        if (!(b & 0x80u))
            break;
    }
    if (h >= MP_MIME_PK_STR_) {
        h -= MP_MIME_PK_STR_;
        if (h > (uint64_t)(end - p))
            return 0;
        *s = mp_slice_make(p, (size_t)h);
        p += h;
    } else if (h > 0 && h < sizeof(fixed) / sizeof(fixed[0])) {
        *s = mp_slice_make(fixed[h].s, fixed[h].n);
    } else {
        *s = mp_slice_make(NULL, 0); /* NIL (and unknown codes) */
    }
    *pp = p;
    return 1;
}

int mp_mime_iter_next(mp_mime_iter *it, mp_slice *s)
{
    return mp_mime_pk_next_(&it->p, it->end, s);
}

int mp_mime_addr_next(mp_mime_iter *it, mp_mime_addr *a)
{
    mp_mime_iter save = *it;
    if (mp_mime_iter_next(it, &a->name) && mp_mime_iter_next(it, &a->adl) &&
        mp_mime_iter_next(it, &a->mailbox) && mp_mime_iter_next(it, &a->host))
        return 1;
    *it = save;
    it->p = it->end; /* a cut address ends the list */
    return 0;
}

mp_mime_kind mp_mime_type(const mp_mime_msg *m, uint32_t i, mp_slice *type, mp_slice *subtype,
                          mp_mime_iter *params)
{
    const mp_mime_part *pt = &m->parts[i];
    mp_mime_iter it;
    mp_mime_iter_init(&it, m, pt->ctype);
    if (!mp_mime_iter_next(&it, type) || !mp_mime_iter_next(&it, subtype) ||
        type->ptr == NULL || subtype->ptr == NULL) {
        if (pt->kind == MP_MIME_MESSAGE) {
            *type = MP_SLICE_LIT("message");
            *subtype = MP_SLICE_LIT("rfc822");
        } else {
            *type = MP_SLICE_LIT("text");
            *subtype = MP_SLICE_LIT("plain");
        }
        it.p = it.end = NULL;
    }
    if (pt->flags & MP_MIME_PF_TRUNCATED) {
        *type = MP_SLICE_LIT("application");
        *subtype = MP_SLICE_LIT("octet-stream");
    }
    if (params)
        *params = it;
    return (mp_mime_kind)pt->kind;
}

int mp_mime_param(mp_mime_iter params, const char *name, mp_slice *value)
{
    size_t n = strlen(name);
    mp_slice k, v;
    while (mp_mime_iter_next(&params, &k) && mp_mime_iter_next(&params, &v))
        if (k.ptr != NULL && k.len == n && mp_slice_eq_ci(k, name, n)) {
            *value = v;
            return 1;
        }
    return 0;
}

int mp_mime_envelope_get(const mp_mime_msg *m, uint32_t i, mp_mime_envelope *env)
{
    mp_mime_ref nil = { MP_MIME_NIL, 0 };
    mp_mime_ref r = m->parts[i].envelope;
    if (!(m->parts[i].flags & MP_MIME_PF_MESSAGE) || !ref_ok(m, r) ||
        r.len != sizeof(mp_mime_envelope)) {
        env->date = env->subject = env->from = env->sender = env->reply_to = nil;
        env->to = env->cc = env->bcc = env->in_reply_to = env->message_id = nil;
        return 0;
    }
    memcpy(env, m->values + r.off, sizeof(*env));
    return 1;
}
