/* Dot-stuffing: SMTP DATA (RFC 5321 §4.5.2) and POP3 byte-stuffing
 * (RFC 1939 §3).  The end of data is exactly CR LF "." CR LF, tracked byte
 * by byte (SMTP smuggling, docs/security.md). */
#include <string.h>

#include "mailproto/core.h"

/* Decoder states.  S_* while clean, P_* once poisoned (no more content,
 * but the real terminator is still tracked). */
enum {
    S_LS = 0,  /* at a line start (after CRLF, or the start of the body) */
    S_DOT,     /* line start "." consumed */
    S_DOTCR,   /* line start "." CR consumed */
    S_MID,     /* inside a line */
    S_CR,      /* CR consumed at the end of the previous input */
    P_LS,
    P_DOT,
    P_DOTCR,
    P_MID,
    P_CR,
    S_END
};

static const char crlf_[2] = { '\r', '\n' };
static const char *const dot_rule_ = MP_RULE_("RFC 5321 4.5.2");

void mp_dot_decoder_init(mp_dot_decoder *d, mp_dot_policy policy)
{
    d->pos = 0;
    d->err.code = MP_OK;
    d->err.offset = 0;
    d->err.rule = NULL;
    d->state = S_LS;
    d->policy = (uint8_t)policy;
}

/* Eight bytes as a number whose low byte is the first in memory, whatever
 * the host's byte order (compilers turn this into one load on
 * little-endian hosts). */
static uint64_t load_le64(const unsigned char *p)
{
    return (uint64_t)p[0] | ((uint64_t)p[1] << 8) | ((uint64_t)p[2] << 16) |
           ((uint64_t)p[3] << 24) | ((uint64_t)p[4] << 32) | ((uint64_t)p[5] << 40) |
           ((uint64_t)p[6] << 48) | ((uint64_t)p[7] << 56);
}

/* Index of the first CR, LF or NUL in in[i..len), or len.  Eight bytes at
 * a time: m flags bytes below 0x0E (CR, the largest special, is 0x0D) by
 * the bit-twiddling "hasless"; its lowest flag is exact (a borrow only
 * runs upwards), and counting the bytes below it gives that byte's index
 * without a byte loop.  A non-special (a tab, say) resumes after itself. */
static size_t scan_special(const char *in, size_t i, size_t len)
{
    const unsigned char *p = (const unsigned char *)in;
    while (len - i >= 8u) {
        uint64_t w = load_le64(p + i);
        uint64_t m = (w - UINT64_C(0x0E0E0E0E0E0E0E0E)) & ~w & UINT64_C(0x8080808080808080);
        unsigned char c;
        if (m == 0) {
            i += 8u;
            continue;
        }
        /* (m - 1) has 0xFF in every byte below the flag and 0x7F in it. */
        i += (size_t)(((((m - 1u) & UINT64_C(0x0101010101010101)) *
                        UINT64_C(0x0101010101010101)) >> 56) - 1u);
        c = p[i];
        if (c == '\r' || c == '\n' || c == 0)
            return i;
        i++;
    }
    for (; i < len; i++) {
        unsigned char c = p[i];
        if (c <= '\r' && (c == '\r' || c == '\n' || c == 0))
            return i;
    }
    return i;
}

static mp_status dec_ret(mp_dot_decoder *d, mp_status st, size_t used, size_t *usedp,
                         mp_slice *chunk, const char *p, size_t n)
{
    d->pos += used;
    *usedp = used;
    chunk->ptr = p;
    chunk->len = n;
    return st;
}

/* MP_DOT_VERBATIM: remember the first irregular byte, drop nothing. */
static void dec_note(mp_dot_decoder *d, mp_status code, uint64_t offset)
{
    if (d->err.code == MP_OK)
        mp_error_set(&d->err, code, offset, dot_rule_);
}

static mp_status dec_poison(mp_dot_decoder *d, mp_status code, uint64_t offset,
                            size_t used, size_t *usedp, mp_slice *chunk, const char *in)
{
    mp_error_set(&d->err, code, offset, dot_rule_);
    d->state = P_MID;
    return dec_ret(d, code, used, usedp, chunk, in, 0);
}

mp_status mp_dot_decoder_next(mp_dot_decoder *d, const char *in, size_t len, size_t *used,
                              mp_slice *chunk)
{
    size_t i = 0;
    size_t cs = 0; /* start of the content run [cs, i) */
    unsigned st = d->state;

    if (st == S_END)
        return dec_ret(d, MP_DONE, 0, used, chunk, in, 0);
    if (in == NULL && len != 0)
        return dec_ret(d, MP_ERR_ARG, 0, used, chunk, in, 0);

    while (i < len) {
        unsigned char c = (unsigned char)in[i];
        switch (st) {
        case S_LS:
            if (c == '.') {
                if (i > cs) {
                    d->state = S_LS;
                    return dec_ret(d, MP_OK, i, used, chunk, in + cs, i - cs);
                }
                i++;
                cs = i;
                st = S_DOT;
            } else {
                st = S_MID;
            }
            break;
        case S_DOT:
            if (c == '\r') {
                i++;
                cs = i;
                st = S_DOTCR;
            } else {
                st = S_MID; /* the leading dot is dropped */
                cs = i;
            }
            break;
        case S_DOTCR:
            if (c == '\n') {
                d->state = S_END;
                return dec_ret(d, MP_DONE, i + 1, used, chunk, in + i + 1, 0);
            }
            /* "." CR not followed by LF: the CR is bare. */
            if (d->policy == MP_DOT_VERBATIM) {
                /* The CR is content; it may lie in the previous input. */
                dec_note(d, MP_ERR_BARE_CR, d->pos + i - 1);
                d->state = S_MID;
                return dec_ret(d, MP_OK, i, used, chunk, crlf_, 1);
            }
            return dec_poison(d, MP_ERR_BARE_CR, d->pos + i - 1, i, used, chunk, in);
        case S_CR:
            /* Only at the start of a call: the CR is in the previous input. */
            if (c == '\n') {
                d->state = S_LS;
                return dec_ret(d, MP_OK, i + 1, used, chunk, crlf_, 2);
            }
            if (d->policy == MP_DOT_VERBATIM) {
                dec_note(d, MP_ERR_BARE_CR, d->pos + i - 1);
                d->state = S_MID;
                return dec_ret(d, MP_OK, i, used, chunk, crlf_, 1);
            }
            return dec_poison(d, MP_ERR_BARE_CR, d->pos + i - 1, i, used, chunk, in);
        case S_MID:
            /* Whole lines in one run: a CRLF followed by an ordinary byte
             * (neither '.' nor a special) keeps scanning here, so a chunk
             * spans many lines and the switch is entered once per chunk. */
            for (;;) {
                i = scan_special(in, i, len);
                if (i + 1 >= len || in[i] != '\r' || in[i + 1] != '\n')
                    break;
                i += 2;
                if (i == len || (unsigned char)in[i] <= '.') {
                    st = S_LS;
                    break;
                }
            }
            if (st == S_LS || i == len)
                break;
            c = (unsigned char)in[i];
            if (d->policy == MP_DOT_VERBATIM && (c != '\r' || i + 1 < len)) {
                /* A bare CR (its next byte is here and not LF: a CRLF was
                 * taken by the loop above), a bare LF or a NUL: content. */
                dec_note(d, c == '\r' ? MP_ERR_BARE_CR : c == '\n' ? MP_ERR_BARE_LF : MP_ERR_NUL,
                         d->pos + i);
                i++;
                break;
            }
            if (c == '\r') {
                if (i + 1 < len) {
                    if (in[i + 1] == '\n') {
                        i += 2;
                        st = S_LS;
                        break;
                    }
                    if (i > cs) {
                        d->state = S_MID;
                        return dec_ret(d, MP_OK, i, used, chunk, in + cs, i - cs);
                    }
                    return dec_poison(d, MP_ERR_BARE_CR, d->pos + i, i + 1, used, chunk, in);
                }
                /* CR ends the input: hold it. */
                d->state = S_CR;
                if (i > cs)
                    return dec_ret(d, MP_OK, i + 1, used, chunk, in + cs, i - cs);
                return dec_ret(d, MP_NEED_MORE, i + 1, used, chunk, in, 0);
            }
            if (i > cs) {
                d->state = S_MID;
                return dec_ret(d, MP_OK, i, used, chunk, in + cs, i - cs);
            }
            if (c == '\n' && d->policy == MP_DOT_NORMALIZE_LF) {
                /* A bare LF ends a content line but never starts a
                 * terminator: a following '.' is plain content. */
                d->state = S_MID;
                return dec_ret(d, MP_OK, i + 1, used, chunk, crlf_, 2);
            }
            return dec_poison(d, c == '\n' ? MP_ERR_BARE_LF : MP_ERR_NUL, d->pos + i, i + 1,
                              used, chunk, in);
        case P_MID: {
            const void *q = memchr(in + i, '\r', len - i);
            if (q == NULL) {
                i = len;
            } else {
                i = (size_t)((const char *)q - in) + 1;
                st = P_CR;
            }
            break;
        }
        case P_CR:
            i++;
            st = c == '\n' ? P_LS : c == '\r' ? P_CR : P_MID;
            break;
        case P_LS:
            i++;
            st = c == '.' ? P_DOT : c == '\r' ? P_CR : P_MID;
            break;
        case P_DOT:
            i++;
            st = c == '\r' ? P_DOTCR : P_MID;
            break;
        case P_DOTCR:
            if (c == '\n') {
                d->state = S_END;
                return dec_ret(d, MP_DONE, i + 1, used, chunk, in + i + 1, 0);
            }
            i++;
            st = c == '\r' ? P_CR : P_MID;
            break;
        default:
            return dec_ret(d, MP_ERR_STATE, 0, used, chunk, in, 0);
        }
    }
    d->state = (uint8_t)st;
    if (i > cs && st <= S_CR)
        return dec_ret(d, MP_OK, len, used, chunk, in + cs, i - cs);
    return dec_ret(d, MP_NEED_MORE, len, used, chunk, in, 0);
}

/* ----------------------------------------------------------------------- */
/* Encoder                                                                 */
/* ----------------------------------------------------------------------- */

enum {
    E_LS = 0, /* at a line start (also: nothing written yet) */
    E_MID,    /* inside a line */
    E_CR,     /* a CR taken from the input, its LF not seen yet */
    E_DONE
};

void mp_dot_encoder_init(mp_dot_encoder *e, unsigned flags)
{
    e->state = E_LS;
    e->flags = (uint8_t)flags;
}

static size_t enc_room(const mp_outbuf *ob)
{
    return ob->want == ob->len ? ob->cap - ob->len : 0;
}

mp_status mp_dot_encoder_update(mp_dot_encoder *e, const char *in, size_t len, size_t *used,
                                mp_outbuf *out)
{
    size_t i = 0;
    size_t before = out->len;
    int norm = (e->flags & MP_DOT_ENC_NORMALIZE) != 0;
    mp_status st = MP_OK;

    *used = 0;
    if (e->state == E_DONE)
        return MP_ERR_STATE;
    if (in == NULL && len != 0)
        return MP_ERR_ARG;

    while (i < len) {
        unsigned char c = (unsigned char)in[i];
        size_t room = enc_room(out);

        if (e->state == E_CR) {
            if (c != '\n' && !norm) {
                st = MP_ERR_BARE_CR;
                break;
            }
            if (room < 2)
                break;
            mp_outbuf_put(out, crlf_, 2);
            e->state = E_LS;
            if (c == '\n')
                i++;
            continue;
        }
        if (c == '\r') {
            if (i + 1 == len) {
                i++;
                e->state = E_CR; /* decided by the next byte */
                continue;
            }
            if (in[i + 1] != '\n' && !norm) {
                st = MP_ERR_BARE_CR;
                break;
            }
            if (room < 2)
                break;
            mp_outbuf_put(out, crlf_, 2);
            i += in[i + 1] == '\n' ? 2u : 1u;
            e->state = E_LS;
            continue;
        }
        if (c == '\n') {
            if (!norm) {
                st = MP_ERR_BARE_LF;
                break;
            }
            if (room < 2)
                break;
            mp_outbuf_put(out, crlf_, 2);
            i++;
            e->state = E_LS;
            continue;
        }
        if (c == 0) {
            st = MP_ERR_NUL;
            break;
        }
        if (e->state == E_LS && c == '.') {
            if (room < 2)
                break;
            mp_outbuf_put(out, "..", 2);
            i++;
            e->state = E_MID;
            continue;
        }
        /* A run of ordinary bytes, as much as fits. */
        {
            size_t end = scan_special(in, i, len);
            size_t n = end - i;
            if (n > room)
                n = room;
            if (n == 0)
                break;
            mp_outbuf_put(out, in + i, n);
            i += n;
            e->state = E_MID;
        }
    }
    *used = i;
    if (st == MP_OK && i < len && out->len == before)
        return MP_ERR_NO_SPACE;
    return st;
}

mp_status mp_dot_encoder_finish(mp_dot_encoder *e, mp_outbuf *out)
{
    static const char tail[] = "\r\n.\r\n";
    size_t n;

    if (e->state == E_DONE)
        return MP_ERR_STATE;
    if (e->state == E_CR && !(e->flags & MP_DOT_ENC_NORMALIZE))
        return MP_ERR_BARE_CR;
    n = e->state == E_LS ? 3u : 5u;
    if (enc_room(out) < n) {
        out->need = n;
        return MP_ERR_NO_SPACE;
    }
    mp_outbuf_put(out, tail + (5u - n), n);
    e->state = E_DONE;
    return MP_OK;
}
