/* Sending a section: its wire form (CRLF line ends, as the sizes the parser
 * reports count them; NUL as 0x80 on request) and the HEADER.FIELDS filter
 * (RFC 9051 §6.4.5).  Both hand out slices of the input and of static
 * strings, and keep one byte of state between calls. */
#include <string.h>

#include "mime_int.h"

void mp_mime_wire_init(mp_mime_wire *w, unsigned flags)
{
    w->flags = (uint8_t)flags;
    w->cr = 0;
}

/* Up to the first byte that changes (a bare LF, a NUL), or that byte's
 * replacement when it comes first. */
mp_status mp_mime_wire_next(mp_mime_wire *w, const char *in, size_t len, size_t *used,
                            mp_slice *chunk)
{
    size_t i = 0, stop;
    *used = 0;
    if (len == 0)
        return MP_NEED_MORE;
    for (;;) {
        const char *q = memchr(in + i, '\n', len - i);
        stop = q ? (size_t)(q - in) : len;
        if (w->flags & MP_MIME_WIRE_NUL) {
            const char *z = memchr(in + i, 0, stop - i);
            if (z != NULL) {
                stop = (size_t)(z - in);
                if (stop == 0) {
                    *chunk = mp_slice_make("\x80", 1);
                    *used = 1;
                    w->cr = 0;
                    return MP_OK;
                }
                break;
            }
        }
        if (q == NULL)
            break;
        if ((stop > 0 ? in[stop - 1] : (char)(w->cr ? '\r' : 0)) != '\r') {
            if (stop == 0) { /* a bare LF */
                *chunk = mp_slice_make("\r\n", 2);
                *used = 1;
                w->cr = 0;
                return MP_OK;
            }
            break;
        }
        i = stop + 1;
        if (i == len) {
            stop = len;
            break;
        }
    }
    *chunk = mp_slice_make(in, stop);
    *used = stop;
    w->cr = in[stop - 1] == '\r';
    return MP_OK;
}

/* ---- HEADER.FIELDS -------------------------------------------------------------- */

enum { HF_BOL = 0, HF_CR, HF_NAME, HF_NAME_OUT, HF_LINE, HF_DONE };

void mp_mime_hdr_filter_init(mp_mime_hdr_filter *f, mp_slice list, int exclude, unsigned flags)
{
    memset(f, 0, sizeof(*f));
    f->list = list;
    f->exclude = (uint8_t)(exclude != 0);
    f->state = HF_BOL;
    mp_mime_wire_init(&f->wire, flags);
}

/* Is name[0..n) (trailing white space ignored) one of the list's
 * header-fld-names ("(" astring *(SP astring) ")", atoms or quoted)? */
static int listed(const mp_slice list, const char *name, size_t n)
{
    size_t k = 1, e;
    while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t'))
        n--;
    if (list.len < 2)
        return 0;
    e = list.len - 1; /* the ")" */
    while (k < e) {
        size_t j = 0;
        int same = 1;
        if (list.ptr[k] == '"') {
            for (k++; k < e && list.ptr[k] != '"'; k++) {
                char c = list.ptr[k];
                if (c == '\\' && k + 1 < e)
                    c = list.ptr[++k];
                if (j >= n || ((c ^ name[j]) & 0xdf) != 0 ||
                    (((c | 0x20) < 'a' || (c | 0x20) > 'z') && c != name[j]))
                    same = 0;
                j++;
            }
            k++;
        } else {
            for (; k < e && list.ptr[k] != ' '; k++, j++) {
                char c = list.ptr[k];
                if (j >= n || ((c ^ name[j]) & 0xdf) != 0 ||
                    (((c | 0x20) < 'a' || (c | 0x20) > 'z') && c != name[j]))
                    same = 0;
            }
        }
        if (same && j == n)
            return 1;
        while (k < e && list.ptr[k] == ' ')
            k++;
    }
    return 0;
}

mp_status mp_mime_hdr_filter_next(mp_mime_hdr_filter *f, const char *in, size_t len, size_t *used,
                                  mp_slice *chunk)
{
    size_t i = 0, k;
    *used = 0;
    while (i < len) {
        char c = in[i];
        switch (f->state) {
        case HF_BOL:
            if (c == ' ' || c == '\t') {
                f->state = HF_LINE; /* a continuation: as its field */
            } else if (c == '\n') {
                f->state = HF_DONE;
                f->done = 1;
                i++;
            } else if (c == '\r') {
                f->state = HF_CR;
                i++;
            } else {
                f->namelen = 0;
                f->state = HF_NAME;
            }
            break;
        case HF_CR:
            if (c == '\n') {
                f->state = HF_DONE;
                f->done = 1;
                i++;
                break;
            }
            /* a line starting with CR: its name is that CR */
            f->name[0] = '\r';
            f->namelen = 1;
            f->state = HF_NAME;
            break;
        case HF_NAME:
            if (c != ':' && c != '\n' && f->namelen < MP_MIME_MAX_FIELD_NAME) {
                f->name[f->namelen++] = c;
                i++;
                break;
            }
            /* decided: a name too long is in no list, a line without a
             * colon has no name */
            f->keep = (uint8_t)((c == ':' && f->namelen < MP_MIME_MAX_FIELD_NAME &&
                                 listed(f->list, f->name, f->namelen)) != f->exclude);
            f->state = HF_NAME_OUT;
            f->namepos = 0;
            break;
        case HF_NAME_OUT:
            if (f->keep && f->namepos < f->namelen) {
                /* the name read ahead, in its wire form */
                mp_mime_wire_next(&f->wire, f->name + f->namepos, f->namelen - f->namepos, &k,
                                  chunk);
                f->namepos = (uint8_t)(f->namepos + k);
                *used = i;
                return MP_OK;
            }
            f->state = HF_LINE;
            break;
        case HF_LINE: {
            const char *q = memchr(in + i, '\n', len - i);
            size_t stop = q ? (size_t)(q - in) + 1 : len;
            if (!f->keep) {
                i = stop;
                if (q)
                    f->state = HF_BOL;
                break;
            }
            mp_mime_wire_next(&f->wire, in + i, stop - i, &k, chunk);
            if (q && i + k == stop)
                f->state = HF_BOL; /* the line end was given */
            *used = i + k;
            return MP_OK;
        }
        default: /* HF_DONE: the body is not header */
            i = len;
            break;
        }
    }
    *used = len;
    return MP_NEED_MORE;
}

mp_slice mp_mime_hdr_filter_finish(mp_mime_hdr_filter *f)
{
    /* A kept field cut by the end of the header is ended with CRLF (a
     * field is terminated by CRLF, RFC 5322 §2.2); the blank line follows
     * when the header had one: RFC 9051 §6.4.5 includes it in all header
     * fetches but for a message that has no body and no blank line.  The
     * bytes are put together in `name`. */
    size_t n = 0, k;
    if (f->state == HF_NAME && f->exclude) { /* a line without a colon */
        for (k = 0; k < f->namelen; k++)
            f->name[n++] = f->name[k] || !(f->wire.flags & MP_MIME_WIRE_NUL) ? f->name[k]
                                                                          : (char)0x80;
        f->wire.cr = n > 0 && f->name[n - 1] == '\r';
    } else if (f->state == HF_NAME_OUT && f->keep) {
        for (k = f->namepos; k < f->namelen; k++)
            f->name[n++] = f->name[k] || !(f->wire.flags & MP_MIME_WIRE_NUL) ? f->name[k]
                                                                          : (char)0x80;
        f->wire.cr = n > 0 && f->name[n - 1] == '\r';
    }
    if (n > 0 || ((f->state == HF_LINE || f->state == HF_NAME_OUT) && f->keep)) {
        if (!f->wire.cr)
            f->name[n++] = '\r';
        f->name[n++] = '\n';
    }
    if (f->done) {
        f->name[n++] = '\r';
        f->name[n++] = '\n';
    }
    f->state = HF_DONE;
    return mp_slice_make(f->name, n);
}
