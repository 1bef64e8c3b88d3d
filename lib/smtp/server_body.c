/* SMTP/LMTP server session: the message body.  DATA content is
 * dot-unstuffed by mp_dot_decoder and ends only at CRLF "." CRLF; BDAT
 * chunks are counted and passed verbatim (RFC 5321 §4.5.2, RFC 3030,
 * docs/security.md on SMTP smuggling). */
#include <string.h>

#include "server_internal.h"

/* The session's own reply to the end of a body: the acceptance when the
 * host has no on_message_end, else the refusal the body earned. */
static mp_status end_reply(mp_smtp_server *s)
{
    switch ((mp_status)s->body_bad) {
    case MP_OK:
        return mp_smtp_srv_say_(s, 250, "2.6.0", "Ok: queued");
    case MP_ERR_SMTP_MESSAGE_TOO_BIG:
        /* RFC 1870 §6.2 */
        return mp_smtp_srv_say_(s, 552, "5.3.4", "Message size exceeds fixed maximum message size");
    case MP_ERR_SMTP_TEXT_LINE_TOO_LONG:
        return mp_smtp_srv_say_(s, 550, "5.6.0", "Message has a text line that is too long");
    default: /* MP_ERR_BARE_CR, MP_ERR_BARE_LF, MP_ERR_NUL */
        return mp_smtp_srv_say_(s, 550, "5.6.0", "Message contains bare CR, bare LF or NUL");
    }
}

/* State END_REPLIES: write the replies still owed, as many as the output
 * holds; the rest when the host sent some (mp_smtp_server_output_done, or
 * the next feed).  Then the session reads the next command, or, after a
 * poisoned body under MP_SMTP_SRV_CLOSE_ON_POISON, says 421 and closes:
 * RFC 5321 §3.8 lets a server close only after a 421 (docs/security.md). */
void mp_smtp_srv_end_replies_(mp_smtp_server *s)
{
    mp_status bad = (mp_status)s->body_bad;
    while (s->replies_left > 0) {
        if (end_reply(s) != MP_OK)
            return;
        s->replies_left--;
    }
    if ((s->cfg->flags & MP_SMTP_SRV_CLOSE_ON_POISON) &&
        (bad == MP_ERR_BARE_CR || bad == MP_ERR_BARE_LF || bad == MP_ERR_NUL)) {
        if (mp_smtp_srv_say_host_(s, 421, "4.7.0",
                                  "Message contained bare CR, bare LF or NUL, closing") != MP_OK)
            return;
        mp_smtp_srv_close_(s);
        return;
    }
    mp_smtp_srv_reset_txn_(s, 0);
}

/* The body ended (DATA terminator or BDAT LAST chunk consumed), cleanly or
 * not: the stream is in sync.  RFC 2033 §4.2: in LMTP one reply per
 * accepted recipient, in RCPT order, whatever the outcome; in SMTP one. */
void mp_smtp_srv_message_end_(mp_smtp_server *s)
{
    mp_status bad = (mp_status)s->body_bad;
    s->replies_left = (s->cfg->flags & MP_SMTP_SRV_LMTP) ? s->nrcpt : 1u;
    if (bad == MP_OK && s->cb->on_message_end) {
        /* The host decides: mp_smtp_server_reply() once per reply. */
        s->state = MP_SMTP_SS_READY;
        s->pending = MP_SMTP_DECIDE_MESSAGE;
        s->in_callback = 1;
        mp_smtp_srv_call_(s, s->cb->on_message_end(s->user, s, MP_OK));
        return;
    }
    if (bad != MP_OK && s->cb->on_message_end) {
        /* A notification: the host drops what it received. */
        s->in_callback = 1;
        mp_smtp_srv_call_(s, s->cb->on_message_end(s->user, s, bad));
    }
    s->state = MP_SMTP_SS_END_REPLIES;
    mp_smtp_srv_end_replies_(s);
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
                    rule = MP_RULE_("RFC 5321 4.5.3.1.6 MP_SMTP_MAX_TEXT_LINE");
                }
            }
            s->msg_size += give;
            if (give > 0 && s->cb->on_body) {
                s->in_callback = 1;
                mp_smtp_srv_call_(s, s->cb->on_body(s->user, s, chunk.ptr, give));
            }
            if (why != MP_OK) {
                /* The first byte not delivered.  A CRLF the decoder hands
                 * out of its own storage is a CR held from the previous
                 * input and this LF, or (normalize) one bare LF: point at
                 * the stream byte either way, so that any split gives the
                 * same offset. */
                uint64_t end = s->framer.pos + u, over;
                if (chunk.ptr >= in && chunk.ptr < in + len)
                    over = s->framer.pos + (uint64_t)(chunk.ptr - in) + give;
                else if (s->data_cr)
                    over = end - 2u + give;
                else
                    over = end - 1u;
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
        /* The poison wins over an earlier size overflow: smuggling is
         * what the logs and the reply should tell. */
        s->body_bad = (uint8_t)st;
        mp_smtp_srv_report_(s, st, s->dot.err.offset, s->dot.err.rule);
        break;
    default:
        break;
    }
    if (u > 0)
        s->data_cr = in[u - 1] == '\r';
    s->framer.pos += u;
    return u;
}

size_t mp_smtp_srv_bdat_step_(mp_smtp_server *s, const char *in, size_t len)
{
    size_t take = s->bdat_left < len ? (size_t)s->bdat_left : len;
    if (s->state == MP_SMTP_SS_BDAT && take > 0 && s->body_bad == 0) {
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

