/* Content-Transfer-Encoding decoding for BINARY[section] and BINARY.SIZE
 * (RFC 3516, RFC 2045 §6.7 quoted-printable, §6.8 base64).  Lenient as
 * mail readers are: base64 skips what is not in its alphabet (line breaks,
 * padding, junk), quoted-printable keeps a malformed "=" as text.  Bounded
 * state, no allocation, any split of the input. */
#include <string.h>

#include "mime_int.h"

mp_mime_cte mp_mime_part_cte(const mp_mime_msg *m, uint32_t i)
{
    const mp_mime_part *pt = &m->parts[i];
    mp_slice e = mp_mime_str(m, pt->encoding);
    if (pt->kind == MP_MIME_MULTIPART ||
        (pt->kind == MP_MIME_MESSAGE && !(pt->flags & MP_MIME_PF_TRUNCATED)) || e.ptr == NULL)
        return MP_MIME_CTE_IDENTITY;
    if ((e.len == 4 && mp_slice_eq_ci(e, "7bit", 4)) || (e.len == 4 && mp_slice_eq_ci(e, "8bit", 4)) ||
        (e.len == 6 && mp_slice_eq_ci(e, "binary", 6)))
        return MP_MIME_CTE_IDENTITY;
    if (e.len == 6 && mp_slice_eq_ci(e, "base64", 6))
        return MP_MIME_CTE_BASE64;
    if (e.len == 16 && mp_slice_eq_ci(e, "quoted-printable", 16))
        return MP_MIME_CTE_QP;
    return MP_MIME_CTE_UNKNOWN;
}

enum { Q0 = 0, QCR, QEQ, QEQH, QEQCR, QEQWS, QEQWSCR };

void mp_mime_decoder_init(mp_mime_decoder *d, mp_mime_cte cte)
{
    memset(d, 0, sizeof(*d));
    d->cte = (uint8_t)cte;
    mp_mime_wire_init(&d->wire, 0);
}

static int b64(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

static int hex(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (unsigned char)(c | 0x20);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static void flush_sp(mp_mime_decoder *d, size_t *k)
{
    memcpy(d->out + *k, d->sp, d->nsp);
    *k += d->nsp;
    d->nsp = 0;
}

/* One quoted-printable byte; 0 when it must be read again (in the state
 * it moved to). */
static int qp_byte(mp_mime_decoder *d, unsigned char c, size_t *k)
{
    int v;
    switch (d->qstate) {
    case Q0:
        if (c == ' ' || c == '\t') {
            if (d->nsp == sizeof(d->sp))
                flush_sp(d, k);
            d->sp[d->nsp++] = (char)c;
        } else if (c == '\r') {
            d->qstate = QCR;
        } else if (c == '\n') {
            d->nsp = 0; /* white space at the end of a line is not text */
            memcpy(d->out + *k, "\r\n", 2);
            *k += 2;
        } else {
            flush_sp(d, k);
            if (c == '=')
                d->qstate = QEQ;
            else
                d->out[(*k)++] = (char)c;
        }
        return 1;
    case QCR:
        d->qstate = Q0;
        if (c == '\n') {
            d->nsp = 0;
            memcpy(d->out + *k, "\r\n", 2);
            *k += 2;
            return 1;
        }
        flush_sp(d, k);
        d->out[(*k)++] = '\r';
        return 0;
    case QEQ:
        if (c == '\r') {
            d->qstate = QEQCR;
        } else if (c == '\n') {
            d->qstate = Q0; /* soft line break */
        } else if (hex(c) >= 0) {
            d->qhex = c;
            d->qstate = QEQH;
        } else if (c == ' ' || c == '\t') {
            d->sp[0] = '=';
            d->sp[1] = (char)c;
            d->nsp = 2;
            d->qstate = QEQWS;
        } else {
            d->out[(*k)++] = '=';
            d->qstate = Q0;
            return 0;
        }
        return 1;
    case QEQH:
        d->qstate = Q0;
        if ((v = hex(c)) >= 0) {
            d->out[(*k)++] = (char)(hex(d->qhex) << 4 | v);
            return 1;
        }
        d->out[(*k)++] = '=';
        d->out[(*k)++] = (char)d->qhex;
        return 0;
    case QEQCR:
        if (c == '\n') {
            d->qstate = Q0;
            return 1;
        }
        d->out[(*k)++] = '=';
        d->qstate = QCR;
        return 0;
    case QEQWS:
        if (c == ' ' || c == '\t') {
            if (d->nsp == sizeof(d->sp)) {
                flush_sp(d, k);
                d->qstate = Q0;
                return 0;
            }
            d->sp[d->nsp++] = (char)c;
        } else if (c == '\r') {
            d->qstate = QEQWSCR;
        } else if (c == '\n') {
            d->nsp = 0; /* "=" and white space, then the line end: soft */
            d->qstate = Q0;
        } else {
            flush_sp(d, k);
            d->qstate = Q0;
            return 0;
        }
        return 1;
    default: /* QEQWSCR */
        if (c == '\n') {
            d->nsp = 0;
            d->qstate = Q0;
            return 1;
        }
        flush_sp(d, k);
        d->qstate = QCR;
        return 0;
    }
}

mp_status mp_mime_decoder_next(mp_mime_decoder *d, const char *in, size_t len, size_t *used,
                               mp_slice *chunk)
{
    size_t i = 0, k = 0;
    *used = 0;
    if (d->cte == MP_MIME_CTE_IDENTITY || d->cte == MP_MIME_CTE_UNKNOWN)
        return mp_mime_wire_next(&d->wire, in, len, used, chunk);
    if (d->cte == MP_MIME_CTE_BASE64) {
        for (; i < len && k + 3 <= sizeof(d->out); i++) {
            int v = b64((unsigned char)in[i]);
            if (in[i] == '=' && d->nacc >= 2) {
                /* padding ends the group (data may follow: concatenated
                 * base64 is common) */
                d->out[k++] = (char)(d->nacc == 2 ? d->acc >> 4 : d->acc >> 10);
                if (d->nacc == 3)
                    d->out[k++] = (char)(d->acc >> 2);
                d->nacc = 0;
                d->acc = 0;
                continue;
            }
            if (v < 0)
                continue;
            d->acc = d->acc << 6 | (uint32_t)v;
            if (++d->nacc == 4) {
                d->out[k++] = (char)(d->acc >> 16);
                d->out[k++] = (char)(d->acc >> 8);
                d->out[k++] = (char)d->acc;
                d->nacc = 0;
                d->acc = 0;
            }
        }
    } else {
        /* a step writes at most the held white space and two bytes */
        while (i < len && k + sizeof(d->sp) + 3 <= sizeof(d->out))
            if (qp_byte(d, (unsigned char)in[i], &k))
                i++;
    }
    *used = i;
    *chunk = mp_slice_make(d->out, k);
    return k > 0 ? MP_OK : MP_NEED_MORE;
}

mp_slice mp_mime_decoder_finish(mp_mime_decoder *d)
{
    size_t k = 0;
    if (d->cte == MP_MIME_CTE_BASE64) {
        /* an unpadded tail: 2 sextets are a byte, 3 are two */
        if (d->nacc == 2)
            d->out[k++] = (char)(d->acc >> 4);
        if (d->nacc == 3) {
            d->out[k++] = (char)(d->acc >> 10);
            d->out[k++] = (char)(d->acc >> 2);
        }
        d->nacc = 0;
    } else if (d->cte == MP_MIME_CTE_QP) {
        switch (d->qstate) {
        case QCR: d->out[k++] = '\r'; break;
        case QEQH:
            d->out[k++] = '=';
            d->out[k++] = (char)d->qhex;
            break;
        case QEQCR:
            d->out[k++] = '=';
            d->out[k++] = '\r';
            break;
        default: break; /* trailing white space and a last "=" go */
        }
        d->qstate = Q0;
        d->nsp = 0;
    }
    return mp_slice_make(d->out, k);
}
