/* BODY[section] / BINARY[section]: from the section text to a byte range
 * (RFC 9051 §6.4.5).  Part numbers walk the tree as Dovecot's
 * imap_msgpart_find() does: in a multipart, n is the nth part; anywhere
 * else only 1 exists (the part itself, which for the message at the top or
 * inside message/rfc822 means its body); a number after a message/rfc822
 * part goes into its message. */
#include <string.h>

#include "mime_int.h"

static int kw(mp_slice s, size_t at, const char *word)
{
    size_t n = strlen(word);
    return s.len - at >= n && mp_slice_eq_ci(mp_slice_make(s.ptr + at, n), word, n);
}

/* A part nested as a message (its record + 1 is the message inside). */
static int nested(const mp_mime_msg *m, uint32_t i)
{
    const mp_mime_part *pt = &m->parts[i];
    return pt->kind == MP_MIME_MESSAGE && !(pt->flags & MP_MIME_PF_TRUNCATED) &&
           pt->nchildren > 0 && i + 1 < m->nparts;
}

static void range(const mp_mime_msg *m, mp_mime_section *out, uint32_t i, int hdr, int body)
{
    const mp_mime_part *pt = &m->parts[i];
    out->found = 1;
    out->part = i;
    out->start = hdr ? pt->hdr_start : pt->body_start;
    out->end = body ? pt->end : pt->body_start;
    out->size = (hdr ? pt->hdr_size : 0) + (body ? pt->body_size : 0);
}

mp_status mp_mime_section_find(const mp_mime_msg *m, mp_slice spec, mp_mime_section *out)
{
    size_t k = 0, rest;
    uint32_t i = 0;
    int numbered = 0, gone = 0;
    if (m == NULL || out == NULL || (spec.ptr == NULL && spec.len > 0))
        return MP_ERR_ARG;
    memset(out, 0, sizeof(*out));
    /* section-part = nz-number *("." nz-number) */
    while (k < spec.len && spec.ptr[k] >= '0' && spec.ptr[k] <= '9') {
        uint64_t num = 0;
        if (spec.ptr[k] == '0')
            return MP_ERR_SYNTAX;
        while (k < spec.len && spec.ptr[k] >= '0' && spec.ptr[k] <= '9') {
            if (num < 0x100000000ull)
                num = num * 10u + (uint64_t)(spec.ptr[k] - '0');
            k++;
        }
        numbered = 1;
        /* more numbers follow? */
        rest = k < spec.len && spec.ptr[k] == '.' && k + 1 < spec.len && spec.ptr[k + 1] >= '0' &&
               spec.ptr[k + 1] <= '9';
        if (!gone && m->nparts > 0) {
            const mp_mime_part *pt = &m->parts[i];
            if (pt->kind == MP_MIME_MULTIPART && !(pt->flags & MP_MIME_PF_TRUNCATED)) {
                uint32_t c = pt->nchildren > 0 && i + 1 < m->nparts ? i + 1 : MP_MIME_NONE;
                while (num > 1 && c != MP_MIME_NONE) {
                    uint32_t nx = m->parts[c].next;
                    c = nx > c && nx < m->nparts ? nx : MP_MIME_NONE;
                    num--;
                }
                if (c == MP_MIME_NONE)
                    gone = 1;
                else
                    i = c;
            } else if (num != 1 || !(pt->flags & MP_MIME_PF_MESSAGE) ||
                       (rest && !nested(m, i))) {
                /* only a message (the top, or inside message/rfc822) that
                 * is not multipart has a part 1: its body.  Dovecot also
                 * takes n.1 of any other part as part n. */
                gone = 1;
            }
            if (!gone && rest && nested(m, i))
                i++; /* into the message inside message/rfc822 */
        } else {
            gone = 1;
        }
        if (k < spec.len && spec.ptr[k] == '.')
            k++;
        else
            break;
    }
    if (numbered && k < spec.len && spec.ptr[k - 1] != '.')
        return MP_ERR_SYNTAX;
    if (k == spec.len && numbered && spec.ptr[k - 1] == '.')
        return MP_ERR_SYNTAX;
    /* section-msgtext / "MIME" */
    if (k == spec.len) {
        out->kind = numbered ? MP_MIME_SECT_PART : MP_MIME_SECT_FULL;
    } else if (kw(spec, k, "MIME") && spec.len - k == 4) {
        if (!numbered)
            return MP_ERR_SYNTAX;
        out->kind = MP_MIME_SECT_MIME;
    } else if (kw(spec, k, "TEXT") && spec.len - k == 4) {
        out->kind = MP_MIME_SECT_TEXT;
    } else if (kw(spec, k, "HEADER.FIELDS.NOT ") || kw(spec, k, "HEADER.FIELDS ")) {
        int not = kw(spec, k, "HEADER.FIELDS.NOT ");
        size_t l = k + (not ? 18u : 14u);
        out->kind = not ? MP_MIME_SECT_FIELDS_NOT : MP_MIME_SECT_FIELDS;
        if (l + 3 > spec.len || spec.ptr[l] != '(' || spec.ptr[spec.len - 1] != ')')
            return MP_ERR_SYNTAX;
        out->fields = mp_slice_make(spec.ptr + l, spec.len - l);
    } else if (kw(spec, k, "HEADER") && spec.len - k == 6) {
        out->kind = MP_MIME_SECT_HEADER;
    } else {
        return MP_ERR_SYNTAX;
    }
    if (gone || m->nparts == 0)
        return MP_OK; /* no such part: found 0, an empty range */
    switch (out->kind) {
    case MP_MIME_SECT_FULL: range(m, out, 0, 1, 1); break;
    case MP_MIME_SECT_PART: range(m, out, i, 0, 1); break;
    case MP_MIME_SECT_MIME: range(m, out, i, 1, 0); break;
    default:
        /* HEADER, TEXT, HEADER.FIELDS: of the message, at the top or in a
         * message/rfc822 part */
        if (numbered) {
            if (!nested(m, i))
                return MP_OK;
            i++;
        }
        range(m, out, i, out->kind != MP_MIME_SECT_TEXT, out->kind == MP_MIME_SECT_TEXT);
        break;
    }
    return MP_OK;
}

size_t mp_mime_part_number(const mp_mime_msg *m, uint32_t i, char *buf, size_t cap)
{
    uint32_t nums[MP_MIME_MAX_DEPTH + 1];
    size_t n = 0, len = 0;
    if (cap == 0)
        return 0;
    buf[0] = '\0';
    /* up the tree: a part of a multipart is numbered by its place */
    while (i != 0 && i < m->nparts) {
        uint32_t up = m->parts[i].parent, c, k = 1;
        if (up >= i)
            return 0; /* not a parser's record order */
        if (m->parts[up].kind == MP_MIME_MULTIPART) {
            for (c = up + 1; c != i && c > up && c < i; c = m->parts[c].next)
                k++;
            if (n == sizeof(nums) / sizeof(nums[0]))
                return 0;
            nums[n++] = k;
        }
        i = up;
    }
    while (n-- > 0) {
        char d[12];
        size_t dl = 0;
        uint32_t v = nums[n];
        do {
            d[dl++] = (char)('0' + v % 10u);
            v /= 10u;
        } while (v);
        if (len + dl + 2 > cap) {
            buf[0] = '\0';
            return 0;
        }
        if (len > 0)
            buf[len++] = '.';
        while (dl > 0)
            buf[len++] = d[--dl];
    }
    buf[len] = '\0';
    return len;
}
