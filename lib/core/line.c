/* CRLF line framer (docs/architecture.md §4): zero copy when a line lies in one input,
 * assembled in the host's buffer when it straddles inputs.  Scans with
 * memchr, so a whole line costs two library scans, never a byte loop. */
#include <string.h>

#include "mailproto/core.h"

enum framer_state {
    FR_NORMAL = 0,  /* inside a line (or at its start) */
    FR_CR,          /* the last byte fed was a CR that may end the line */
    FR_DISCARD      /* skipping the rest of a bad line through its LF */
};

mp_status mp_line_framer_init(mp_line_framer *f, char *buf, size_t cap, size_t max_line,
                              unsigned flags)
{
    /* MP_MAX_LINE is the documented ceiling of every framer (config.h). */
    if (max_line < 3 || max_line > MP_MAX_LINE || buf == NULL || cap < max_line - 2)
        return MP_ERR_ARG;
    f->buf = buf;
    f->cap = cap;
    f->len = 0;
    f->max_line = max_line;
    f->pos = 0;
    f->line_start = 0;
    f->err.code = MP_OK;
    f->err.offset = 0;
    f->err.rule = NULL;
    f->state = FR_NORMAL;
    f->flags = (uint8_t)flags;
    return MP_OK;
}

size_t mp_line_framer_pending(const mp_line_framer *f)
{
    return f->len + (f->state == FR_CR ? 1u : 0u);
}

void mp_line_framer_reset(mp_line_framer *f)
{
    f->len = 0;
    f->state = FR_NORMAL;
    f->err.code = MP_OK;
}

static mp_status fr_fail(mp_line_framer *f, mp_status code, uint64_t offset, const char *rule,
                         enum framer_state next)
{
    mp_error_set(&f->err, code, offset, rule);
    f->len = 0;
    f->state = (uint8_t)next;
    return code;
}

mp_status mp_line_framer_next(mp_line_framer *f, const char *in, size_t len, size_t *used,
                              mp_slice *line)
{
    const size_t content_max = f->max_line - 2;
    const uint64_t base = f->pos;
    const char *nl, *cr;
    size_t i = 0, end, seg, content;

    *used = 0;
    if (len == 0)
        return MP_NEED_MORE;

    if (f->state == FR_DISCARD) {
        nl = memchr(in, '\n', len);
        if (nl == NULL) {
            f->pos += len;
            *used = len;
            return MP_NEED_MORE;
        }
        i = (size_t)(nl - in) + 1;
        f->state = FR_NORMAL;
        f->len = 0;
        if (i == len) {
            f->pos += len;
            *used = len;
            return MP_NEED_MORE;
        }
    } else if (f->state == FR_CR) {
        if (in[0] != '\n') {
            /* The CR fed last time was bare (RFC 5321 §2.3.8). */
            return fr_fail(f, MP_ERR_BARE_CR, base - 1u, "CRLF", FR_DISCARD);
        }
        f->state = FR_NORMAL;
        f->line_start = base - 1u - f->len;
        f->pos += 1;
        *used = 1;
        *line = mp_slice_make(f->buf, f->len);
        f->len = 0;
        return MP_OK;
    }

    nl = memchr(in + i, '\n', len - i);
    end = nl ? (size_t)(nl - in) : len;
    seg = end - i;
    /* Content is the segment less a CR that ends it (before the LF, or
     * last in an input whose LF has not arrived yet). */
    content = seg - ((seg > 0 && in[end - 1] == '\r') ? 1u : 0u);
    /* Any other CR is bare (RFC 5321 §2.3.8). */
    cr = content > 0 ? memchr(in + i, '\r', content) : NULL;
    /* Report the first fault in stream order, so that the events do not
     * depend on how the input was split; a bare CR wins a tie. */
    if (content > content_max - f->len) {
        size_t cross = i + (content_max - f->len);
        if (cr == NULL || (size_t)(cr - in) > cross) {
            *used = nl ? end + 1 : len;
            f->pos += *used;
            return fr_fail(f, MP_ERR_LINE_TOO_LONG, base + cross, "line length",
                           nl ? FR_NORMAL : FR_DISCARD);
        }
    }
    if (cr != NULL) {
        *used = nl ? end + 1 : len;
        f->pos += *used;
        return fr_fail(f, MP_ERR_BARE_CR, base + (size_t)(cr - in), "CRLF",
                       nl ? FR_NORMAL : FR_DISCARD);
    }

    if (nl == NULL) {
        memcpy(f->buf + f->len, in + i, content);
        f->len += content;
        f->state = (uint8_t)(content < seg ? FR_CR : FR_NORMAL);
        f->pos += len;
        *used = len;
        return MP_NEED_MORE;
    }

    *used = end + 1;
    f->pos += end + 1;
    if (content == seg && !(f->flags & MP_LINE_ALLOW_LF)) {
        /* A command ending in a bare LF is an error, never a command
         * (docs/security.md, SMTP smuggling). */
        return fr_fail(f, MP_ERR_BARE_LF, base + end, "CRLF", FR_NORMAL);
    }
    seg = content;
    /* Known only now: a discarded bad line before it may end in this input. */
    f->line_start = base + i - f->len;
    if (f->len == 0) {
        *line = mp_slice_make(in + i, seg);
    } else {
        memcpy(f->buf + f->len, in + i, seg);
        *line = mp_slice_make(f->buf, f->len + seg);
        f->len = 0;
    }
    return MP_OK;
}
