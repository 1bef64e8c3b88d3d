/* SMTP client message body: DATA (dot-stuffed by the core encoder) or
 * BDAT chunks (RFC 3030) framed here, with flow control on the host's
 * output buffer and, without PIPELINING, on the chunk replies. */
#include "client_internal.h"

/* Room a BDAT header can need: "BDAT " 20 digits " LAST" CRLF. */
#define BDAT_HEADER_MAX 32u

/* BDAT content: CRLF line ends unless BINARYMIME; a CR whose LF is not seen
 * yet is held back (c->bdat_cr) so that a refused byte never leaves half a
 * line end on the wire.  With `ob` NULL only counts: how many input bytes
 * give at most `limit` output bytes. */
static mp_status bdat_xform(const mp_smtp_client *c, uint8_t *cr, const unsigned char *in,
                            size_t len, size_t limit, mp_outbuf *ob, size_t *used, size_t *outn)
{
    int norm = (c->cfg.flags & MP_SMTP_CLIENT_NORMALIZE_LF) != 0;
    size_t i = 0, o = 0;
    mp_status st = MP_OK;
    while (i < len) {
        unsigned char b = in[i];
        /* A line end: CR LF, or (normalizing) a bare CR or bare LF. */
        if (*cr || b == '\n') {
            if (!norm && (*cr == 0 || b != '\n')) {
                st = *cr ? MP_ERR_BARE_CR : MP_ERR_BARE_LF;
                break;
            }
            if (o + 2 > limit)
                break;
            if (ob != NULL)
                mp_outbuf_put(ob, "\r\n", 2);
            o += 2;
            *cr = 0;
            if (b == '\n')
                i++;
            continue;
        }
        if (b == '\r') {
            *cr = 1;
            i++;
            continue;
        }
        if (b == 0) {
            st = MP_ERR_NUL;
            break;
        }
        {
            size_t j = i;
            while (j < len && j - i < limit - o && in[j] != '\r' && in[j] != '\n' && in[j] != 0)
                j++;
            if (j == i)
                break;
            if (ob != NULL)
                mp_outbuf_put(ob, in + i, j - i);
            o += j - i;
            i = j;
        }
    }
    *used = i;
    *outn = o;
    return st;
}

static mp_status body_bdat(mp_smtp_client *c, const unsigned char *in, size_t len,
                           size_t *used)
{
    size_t room = c->out.cap - c->out.len, behind = mp_smtpc_gap_room(c), take, outn;
    uint8_t cr = c->bdat_cr;
    mp_status st;
    if ((!mp_smtpc_pipelining(c) && c->qlen > 0) || c->qlen >= MP_SMTP_CLIENT_MAX_PIPELINE)
        return MP_PAUSED; /* the reply to the previous chunk is awaited */
    /* Behind a chunk still in the output, at most 4 KiB per chunk (the
     * session records the distance between unsent commands in 12 bits). */
    if (room > behind)
        room = behind;
    if (room <= BDAT_HEADER_MAX)
        return MP_ERR_NO_SPACE;
    room -= BDAT_HEADER_MAX;
    if (c->env->body == MP_SMTP_BODY_BINARYMIME) {
        take = outn = len < room ? len : room;
        st = MP_OK;
    } else {
        st = bdat_xform(c, &cr, in, len, room, NULL, &take, &outn);
    }
    if (outn > 0) {
        /* Room was checked: header and chunk fit, so they go out whole. */
        (void)mp_smtp_write_bdat(&c->out, outn, 0);
        if (c->env->body == MP_SMTP_BODY_BINARYMIME)
            mp_outbuf_put(&c->out, in, take);
        else
            (void)bdat_xform(c, &c->bdat_cr, in, take, outn, &c->out, &take, &outn);
        mp_smtpc_push(c, K_BDAT);
    } else {
        c->bdat_cr = cr; /* only a held-back CR was taken */
    }
    *used = take;
    if (st == MP_OK && take == 0 && len > 0)
        return MP_ERR_NO_SPACE;
    return st;
}

mp_status mp_smtp_client_body(mp_smtp_client *c, const void *data, size_t len, size_t *used)
{
    *used = 0;
    if (c->phase != MP_SMTP_PH_BODY)
        return MP_ERR_STATE;
    if (data == NULL && len != 0)
        return MP_ERR_ARG;
    if (len == 0)
        return MP_OK;
    if (c->use_bdat)
        return body_bdat(c, data, len, used);
    return mp_dot_encoder_update(&c->dot, data, len, used, &c->out);
}

mp_status mp_smtp_client_body_end(mp_smtp_client *c)
{
    mp_status st;
    if (c->phase != MP_SMTP_PH_BODY)
        return MP_ERR_STATE;
    if (c->use_bdat) {
        size_t m;
        if ((!mp_smtpc_pipelining(c) && c->qlen > 0) || c->qlen >= MP_SMTP_CLIENT_MAX_PIPELINE)
            return MP_PAUSED;
        if (c->bdat_cr && !(c->cfg.flags & MP_SMTP_CLIENT_NORMALIZE_LF))
            return MP_ERR_BARE_CR;
        m = mp_outbuf_mark(&c->out);
        (void)mp_smtp_write_bdat(&c->out, c->bdat_cr ? 2u : 0u, 1);
        if (c->bdat_cr)
            mp_outbuf_put(&c->out, "\r\n", 2);
        st = mp_outbuf_commit(&c->out, m);
        if (st != MP_OK)
            return st;
        c->bdat_cr = 0;
        mp_smtpc_push(c, K_BDAT_LAST);
    } else {
        st = mp_dot_encoder_finish(&c->dot, &c->out);
        if (st != MP_OK)
            return st;
        mp_smtpc_push(c, K_DOT);
    }
    c->body_ended = 1;
    c->phase = MP_SMTP_PH_TXN;
    /* The host's last transaction: QUIT rides along with the end of the
     * body.  Without room it is simply not pipelined: READY comes and the
     * host quits as usual. */
    if (c->env != NULL && c->env->last && mp_smtpc_pipelining(c) &&
        c->qlen < MP_SMTP_CLIENT_MAX_PIPELINE &&
        mp_smtp_write_simple(&c->out, MP_SMTP_QUIT) == MP_OK) {
        mp_smtpc_push(c, K_QUIT);
        c->quit_queued = 1;
    }
    return MP_OK;
}

