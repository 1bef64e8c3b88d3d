/* SMTP/LMTP server session: the message body.  DATA content is
 * dot-unstuffed by mp_dot_decoder and ends only at CRLF "." CRLF; BDAT
 * chunks are counted and passed verbatim (RFC 5321 §4.5.2, RFC 3030,
 * docs/security.md on SMTP smuggling). */
#include <string.h>

#include "server_internal.h"

/* The body ended (DATA terminator or BDAT LAST chunk consumed). */
void mp_smtp_srv_message_end_(mp_smtp_server *s)
{
    mp_status bad = (mp_status)s->body_bad;
    if (bad != MP_OK) {
        if (s->cb->on_message_end) {
            s->in_callback = 1;
            mp_smtp_srv_call_(s, s->cb->on_message_end(s->user, s, bad));
        }
        /* Limits: the whole body was read, the stream is in sync. */
        if (bad == MP_ERR_SMTP_MESSAGE_TOO_BIG || bad == MP_ERR_SMTP_TEXT_LINE_TOO_LONG) {
            if (bad == MP_ERR_SMTP_MESSAGE_TOO_BIG)
                mp_smtp_srv_say_(s, 552, "5.3.4",
                                 "Message size exceeds fixed maximum message size");
            else
                mp_smtp_srv_say_(s, 550, "5.6.0", "Message has a text line that is too long");
            s->state = MP_SMTP_SS_READY;
            mp_smtp_srv_reset_txn_(s, 0);
            return;
        }
        /* A bare CR/LF or NUL: reject and close, so that nothing pipelined
         * behind a forged end of data is ever executed (docs/security.md). */
        mp_smtp_srv_say_(s, 550, "5.6.0", "Message contains bare CR, bare LF or NUL; closing");
        mp_smtp_srv_close_(s);
        return;
    }
    s->state = MP_SMTP_SS_READY;
    s->pending = MP_SMTP_DECIDE_MESSAGE;
    s->lmtp_left = (s->cfg->flags & MP_SMTP_SRV_LMTP) ? s->nrcpt : 1u;
    if (s->cb->on_message_end) {
        s->in_callback = 1;
        mp_smtp_srv_call_(s, s->cb->on_message_end(s->user, s, MP_OK));
        return;
    }
    while (s->pending == MP_SMTP_DECIDE_MESSAGE)
        if (mp_smtp_server_accept(s) != MP_OK)
            break;
}

void mp_smtp_srv_bdat_done_(mp_smtp_server *s)
{
    if (s->state == MP_SMTP_SS_BDAT_SKIP) {
        s->state = s->ret_state;
        return;
    }
    if (s->bdat_last) {
        mp_smtp_srv_message_end_(s);
        return;
    }
    s->state = MP_SMTP_SS_BDAT_NEXT;
    {
        char t[48];
        mp_outbuf ob;
        mp_outbuf_init(&ob, t, sizeof(t) - 1);
        mp_outbuf_put_u64(&ob, s->bdat_chunk);
        mp_outbuf_puts(&ob, " octets received");
        t[ob.len] = '\0';
        mp_smtp_srv_say_(s, 250, "2.0.0", t);
    }
}

/* How many of the `n` content bytes at `p` keep every text line within
 * MP_SMTP_MAX_TEXT_LINE (CRLF included); s->text_line carries the length
 * of the current line across chunks. */
static size_t text_line_fit(mp_smtp_server *s, const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *lf = memchr(p + i, '\n', n - i);
        size_t seg = lf ? (size_t)(lf - (p + i)) + 1u : n - i;
        if (seg > MP_SMTP_MAX_TEXT_LINE - s->text_line)
            return i + (MP_SMTP_MAX_TEXT_LINE - s->text_line);
        s->text_line = lf ? 0 : s->text_line + seg;
        i += seg;
    }
    return n;
}

size_t mp_smtp_srv_data_step_(mp_smtp_server *s, const char *in, size_t len)
{
    size_t u = 0;
    mp_slice chunk;
    mp_status st = mp_dot_decoder_next(&s->dot, in, len, &u, &chunk);
    switch (st) {
    case MP_OK:
        if (s->body_bad != 0 || chunk.len == 0)
            break;
        {
            /* Deliver up to the limit, then keep reading to the real end and
             * deliver nothing more: the same bytes whatever the split. */
            size_t give = chunk.len;
            mp_status why = MP_OK;
            const char *rule = "max_size";
            if (s->cfg->max_size && chunk.len > s->cfg->max_size - s->msg_size) {
                give = (size_t)(s->cfg->max_size - s->msg_size);
                why = MP_ERR_SMTP_MESSAGE_TOO_BIG;
            }
            if (s->cfg->flags & MP_SMTP_SRV_TEXT_LINE_LIMIT) {
                size_t fit = text_line_fit(s, chunk.ptr, give);
                if (fit < give) {
                    give = fit;
                    why = MP_ERR_SMTP_TEXT_LINE_TOO_LONG;
                    rule = "RFC 5321 4.5.3.1.6 MP_SMTP_MAX_TEXT_LINE";
                }
            }
            s->msg_size += give;
            if (give > 0 && s->cb->on_body) {
                s->in_callback = 1;
                mp_smtp_srv_call_(s, s->cb->on_body(s->user, s, chunk.ptr, give));
            }
            if (why != MP_OK) {
                /* The first byte not delivered. */
                uint64_t over = (chunk.ptr >= in && chunk.ptr < in + len)
                                    ? s->framer.pos + (uint64_t)(chunk.ptr - in) + give
                                    : s->framer.pos + u - 1u;
                s->body_bad = (uint8_t)why;
                mp_smtp_srv_report_(s, why, over, rule);
            }
        }
        break;
    case MP_DONE:
        mp_smtp_srv_message_end_(s);
        break;
    case MP_ERR_BARE_CR:
    case MP_ERR_BARE_LF:
    case MP_ERR_NUL:
        /* The poison wins over an earlier size overflow: it closes. */
        s->body_bad = (uint8_t)st;
        mp_smtp_srv_report_(s, st, s->dot.err.offset, s->dot.err.rule);
        break;
    default:
        break;
    }
    s->framer.pos += u;
    return u;
}

size_t mp_smtp_srv_bdat_step_(mp_smtp_server *s, const char *in, size_t len)
{
    size_t take = s->bdat_left < len ? (size_t)s->bdat_left : len;
    if (s->state == MP_SMTP_SS_BDAT && take > 0) {
        s->msg_size += take;
        if (s->cb->on_body) {
            s->in_callback = 1;
            mp_smtp_srv_call_(s, s->cb->on_body(s->user, s, in, take));
        }
    }
    s->bdat_left -= take;
    s->framer.pos += take;
    if (s->bdat_left == 0)
        mp_smtp_srv_bdat_done_(s);
    return take;
}

