/* POP3 server session (RFC 1939 §3-§6, RFC 2449, RFC 2595).  Sans-I/O:
 * bytes in, decisions and answers out; the host answers a decision at
 * once or later (docs/architecture.md §3). */
#include <string.h>

#include "mailproto/crypto.h"
#include "server_internal.h"
#include "../sasl/proto.h"

#define MAX_HOSTNAME 64u
/* Output kept free while a multi-line answer is open, so that its end
 * (CRLF "." CRLF) always fits, whatever the host streamed before. */
#define END_ROOM 5u

/* ----------------------------------------------------------------------- */
/* Lines                                                                   */
/* ----------------------------------------------------------------------- */

mp_status mp_pop3s_say_(mp_pop3_server *s, int ok, mp_pop3_code code, const char *text)
{
    const char *c = mp_pop3_code_text(code);
    return mp_pop3_write_status(&s->out, ok, mp_slice_make(c, strlen(c)),
                                mp_slice_make(text, strlen(text)));
}

void mp_pop3s_report_(mp_pop3_server *s, mp_status code, uint64_t off, const char *rule)
{
    mp_error_set(&s->last_error, code, off, rule);
    if (s->cb->on_error) {
        uint8_t was = s->in_callback;
        s->in_callback = 1;
        s->cb->on_error(s->user, s, &s->last_error);
        s->in_callback = was;
    }
}

void mp_pop3s_close_(mp_pop3_server *s)
{
    s->state = MP_POP3_SS_CLOSED;
    s->pending = MP_POP3_DECIDE_NONE;
    s->ask = 0;
}

void mp_pop3s_bad_(mp_pop3_server *s, mp_pop3_code code, const char *text, mp_status why,
                   uint64_t off, const char *rule)
{
    s->errors++;
    mp_pop3s_report_(s, why, off, rule);
    mp_pop3s_say_(s, 0, code, text);
    if (s->errors >= MP_POP3_MAX_ERRORS) {
        mp_pop3s_report_(s, MP_ERR_TOO_MANY_ERRORS, off, "MP_POP3_MAX_ERRORS");
        mp_pop3s_say_(s, 0, MP_POP3_CODE_NONE, "Too many errors, closing connection");
        mp_pop3s_close_(s);
    }
}

/* ----------------------------------------------------------------------- */
/* Decisions                                                               */
/* ----------------------------------------------------------------------- */

/* A LIST_EACH listing is going on (its +OK is out). */
static int each_listing(const mp_pop3_server *s) { return s->listing; }

/* Outside any callback: ask what waits to be asked, and go through a
 * per-message listing as long as the host answers at once and the output
 * has room.  A loop, not a recursion: an answer given inside the callback
 * only sets s->ask. */
static void pump(mp_pop3_server *s)
{
    while (!s->aborted && !s->in_callback) {
        if (s->ask) {
            int rc;
            s->ask = 0;
            s->in_callback = 1;
            rc = s->cb->on_decide(s->user, s, &s->rq);
            s->in_callback = 0;
            /* What the request pointed into (the command line) is gone
             * after the call, unless the call asked anew. */
            if (!s->ask) {
                s->rq.name = mp_slice_make(NULL, 0);
                s->rq.secret = mp_slice_make(NULL, 0);
            }
            if (rc != 0)
                s->aborted = 1;
            continue;
        }
        if (s->state == MP_POP3_SS_CONTENT && s->pending == MP_POP3_DECIDE_NONE &&
            each_listing(s)) {
            if (s->next > s->count || s->next == 0) {
                if (mp_pop3_write_end(&s->out) == MP_OK) {
                    s->state = MP_POP3_SS_TRANSACTION;
                    s->listing = 0;
                }
                return;
            }
            if (mp_outbuf_room(&s->out) < MP_POP3_SRV_RESERVE)
                return; /* the host sends, then feeds (maybe nothing) */
            s->rq.msgno = s->next;
            s->pending = (uint8_t)s->rq.decision;
            s->ask = 1;
            continue;
        }
        return;
    }
}

void mp_pop3s_ask_(mp_pop3_server *s, mp_pop3_decision d)
{
    s->pending = (uint8_t)d;
    s->rq.decision = d;
    s->ask = 1;
    pump(s);
}

const char *mp_pop3s_bye_(const mp_pop3_server *s, char *buf)
{
    size_t h = strlen(s->cfg->hostname);
    memcpy(buf, s->cfg->hostname, h);
    memcpy(buf + h, " POP3 server signing off", 25);
    return buf;
}

int mp_pop3s_listing_each_(mp_pop3_server *s)
{
    if (!(s->cfg->flags & MP_POP3_SRV_LIST_EACH) || s->rq.msgno != 0)
        return 0;
    /* The session knows the count: the +OK goes out now, then one
     * question per message. */
    mp_pop3s_say_(s, 1, MP_POP3_CODE_NONE,
                  s->rq.decision == MP_POP3_DECIDE_LIST ? "scan listing follows"
                                                        : "unique-id listing follows");
    s->state = MP_POP3_SS_CONTENT;
    s->listing = 1;
    s->next = 1;
    pump(s);
    return 1;
}

mp_pop3_decision mp_pop3_server_pending(const mp_pop3_server *s)
{
    return (mp_pop3_decision)s->pending;
}

/* The decision is answered: nothing pending; a per-message listing goes
 * on with its next message. */
static mp_status answered(mp_pop3_server *s)
{
    s->pending = MP_POP3_DECIDE_NONE;
    pump(s);
    return MP_OK;
}

static int login_decision(mp_pop3_decision d)
{
    return d == MP_POP3_DECIDE_PASS || d == MP_POP3_DECIDE_APOP || d == MP_POP3_DECIDE_LOGIN;
}

/* Writes one element of a multi-line answer keeping END_ROOM free. */
static mp_status in_body(mp_pop3_server *s, mp_status (*w)(mp_outbuf *, uint32_t, const void *),
                         uint32_t msgno, const void *arg)
{
    mp_status st;
    if (s->out.cap - s->out.len < END_ROOM)
        return MP_ERR_NO_SPACE;
    s->out.cap -= END_ROOM;
    st = w(&s->out, msgno, arg);
    s->out.cap += END_ROOM;
    return st;
}

mp_status mp_pop3_server_err(mp_pop3_server *s, mp_pop3_code code, const char *text)
{
    mp_pop3_decision d = (mp_pop3_decision)s->pending;
    mp_status st;
    if (d == MP_POP3_DECIDE_NONE || d == MP_POP3_DECIDE_AUTH)
        return MP_ERR_STATE;
    if (s->state == MP_POP3_SS_CONTENT) {
        /* After the +OK a -ERR cannot be said: end the body here. */
        if (d == MP_POP3_DECIDE_RETR || d == MP_POP3_DECIDE_TOP)
            st = mp_dot_encoder_finish(&s->enc, &s->out);
        else if (each_listing(s)) {
            s->next = s->rq.msgno + 1u; /* deleted: no line */
            return answered(s);
        } else
            st = mp_pop3_write_end(&s->out);
        if (st != MP_OK)
            return st;
        s->state = MP_POP3_SS_TRANSACTION;
        return answered(s);
    }
    if (text == NULL)
        text = d == MP_POP3_DECIDE_UPDATE ? "Some deleted messages not removed"
               : login_decision(d)        ? "Authentication failed"
                                          : "No such message";
    if (login_decision(d)) {
        /* Refused logins count toward the error limit (guessing). */
        s->state = MP_POP3_SS_AUTHORIZATION;
        s->pending = MP_POP3_DECIDE_NONE;
        mp_pop3s_bad_(s, code, text, MP_ERR_POP3_LOGIN_FAILED, s->framer.pos, "RFC 1939 7");
        pump(s);
        return MP_OK;
    }
    st = mp_pop3s_say_(s, 0, code, text);
    if (st != MP_OK)
        return st;
    if (d == MP_POP3_DECIDE_USER)
        s->state = MP_POP3_SS_AUTHORIZATION;
    if (d == MP_POP3_DECIDE_UPDATE) {
        mp_pop3s_close_(s);
        return MP_OK;
    }
    return answered(s);
}

mp_status mp_pop3_server_ok(mp_pop3_server *s, const char *text)
{
    mp_pop3_decision d = (mp_pop3_decision)s->pending;
    char bye[MP_POP3S_BYE_CAP];
    mp_status st;
    if (d != MP_POP3_DECIDE_USER && d != MP_POP3_DECIDE_DELE && d != MP_POP3_DECIDE_RSET &&
        d != MP_POP3_DECIDE_UPDATE)
        return MP_ERR_STATE;
    if (text == NULL) {
        switch (d) {
        case MP_POP3_DECIDE_USER:
            text = "Send PASS";
            break;
        case MP_POP3_DECIDE_DELE:
            text = "Message deleted";
            break;
        case MP_POP3_DECIDE_RSET:
            text = "Deletions undone";
            break;
        default:
            text = mp_pop3s_bye_(s, bye);
            break;
        }
    }
    st = mp_pop3s_say_(s, 1, MP_POP3_CODE_NONE, text);
    if (st != MP_OK)
        return st;
    if (d == MP_POP3_DECIDE_USER)
        s->state = MP_POP3_SS_USER;
    if (d == MP_POP3_DECIDE_UPDATE) {
        mp_pop3s_close_(s);
        return MP_OK;
    }
    return answered(s);
}

mp_status mp_pop3_server_open(mp_pop3_server *s, uint32_t count, uint64_t size)
{
    char text[80];
    mp_outbuf t;
    mp_status st;
    if (!login_decision((mp_pop3_decision)s->pending))
        return MP_ERR_STATE;
    if (count > MP_POP3_MSGNO_MAX)
        return MP_ERR_ARG;
    mp_outbuf_init(&t, text, sizeof(text));
    mp_outbuf_puts(&t, "maildrop has ");
    mp_outbuf_put_u64(&t, count);
    mp_outbuf_puts(&t, count == 1 ? " message (" : " messages (");
    mp_outbuf_put_u64(&t, size);
    mp_outbuf_puts(&t, " octets)");
    mp_outbuf_putc(&t, '\0');
    st = mp_pop3s_say_(s, 1, MP_POP3_CODE_NONE, text);
    if (st != MP_OK)
        return st;
    s->count = count;
    s->state = MP_POP3_SS_TRANSACTION;
    return answered(s);
}

mp_status mp_pop3_server_stat(mp_pop3_server *s, uint32_t count, uint64_t size)
{
    mp_status st;
    if (s->pending != MP_POP3_DECIDE_STAT)
        return MP_ERR_STATE;
    st = mp_pop3_write_stat(&s->out, count, size);
    return st != MP_OK ? st : answered(s);
}

static mp_status w_list(mp_outbuf *ob, uint32_t msgno, const void *arg)
{
    return mp_pop3_write_list_entry(ob, msgno, *(const uint64_t *)arg);
}

static mp_status w_uidl(mp_outbuf *ob, uint32_t msgno, const void *arg)
{
    return mp_pop3_write_uidl_entry(ob, msgno, *(const mp_slice *)arg);
}

/* One answer to LIST or UIDL: the single-line form for "LIST n", else a
 * line of the listing (after its +OK, written with the first line). */
static mp_status listing_line(mp_pop3_server *s, mp_pop3_decision d, uint32_t msgno,
                              mp_status (*w)(mp_outbuf *, uint32_t, const void *),
                              const void *arg)
{
    size_t m;
    mp_status st;
    if (s->pending != d)
        return MP_ERR_STATE;
    if (msgno == 0 || msgno > MP_POP3_MSGNO_MAX || (s->rq.msgno != 0 && msgno != s->rq.msgno))
        return MP_ERR_ARG;
    if (s->rq.msgno != 0 && !each_listing(s)) {
        st = d == MP_POP3_DECIDE_LIST
                 ? mp_pop3_write_list_one(&s->out, msgno, *(const uint64_t *)arg)
                 : mp_pop3_write_uidl_one(&s->out, msgno, *(const mp_slice *)arg);
        return st != MP_OK ? st : answered(s);
    }
    m = mp_outbuf_mark(&s->out);
    if (s->state != MP_POP3_SS_CONTENT) {
        st = mp_pop3s_say_(s, 1, MP_POP3_CODE_NONE,
                           d == MP_POP3_DECIDE_LIST ? "scan listing follows"
                                                    : "unique-id listing follows");
        if (st != MP_OK)
            return st;
    }
    st = in_body(s, w, msgno, arg);
    if (st != MP_OK) {
        mp_outbuf_rollback(&s->out, m);
        return st;
    }
    s->state = MP_POP3_SS_CONTENT;
    if (each_listing(s)) {
        s->next = msgno + 1u;
        return answered(s);
    }
    return MP_OK;
}

mp_status mp_pop3_server_list(mp_pop3_server *s, uint32_t msgno, uint64_t size)
{
    return listing_line(s, MP_POP3_DECIDE_LIST, msgno, w_list, &size);
}

mp_status mp_pop3_server_uidl(mp_pop3_server *s, uint32_t msgno, mp_slice uid)
{
    return listing_line(s, MP_POP3_DECIDE_UIDL, msgno, w_uidl, &uid);
}

mp_status mp_pop3_server_listing_end(mp_pop3_server *s)
{
    size_t m = mp_outbuf_mark(&s->out);
    mp_status st = MP_OK;
    if ((s->pending != MP_POP3_DECIDE_LIST && s->pending != MP_POP3_DECIDE_UIDL) ||
        s->rq.msgno != 0 || each_listing(s))
        return MP_ERR_STATE;
    if (s->state != MP_POP3_SS_CONTENT)
        st = mp_pop3s_say_(s, 1, MP_POP3_CODE_NONE, "empty listing follows");
    if (st == MP_OK)
        st = mp_pop3_write_end(&s->out);
    if (st != MP_OK) {
        mp_outbuf_rollback(&s->out, m);
        return st;
    }
    s->state = MP_POP3_SS_TRANSACTION;
    return answered(s);
}

/* ----------------------------------------------------------------------- */
/* Content (RETR, TOP)                                                     */
/* ----------------------------------------------------------------------- */

static int content_decision(const mp_pop3_server *s)
{
    return s->pending == MP_POP3_DECIDE_RETR || s->pending == MP_POP3_DECIDE_TOP;
}

mp_status mp_pop3_server_content_begin(mp_pop3_server *s, const char *text)
{
    mp_status st;
    if (!content_decision(s) || s->state == MP_POP3_SS_CONTENT)
        return MP_ERR_STATE;
    if (mp_outbuf_room(&s->out) < END_ROOM)
        return MP_ERR_NO_SPACE;
    s->out.cap -= END_ROOM;
    st = mp_pop3s_say_(s, 1, MP_POP3_CODE_NONE, text ? text : "message follows");
    s->out.cap += END_ROOM;
    if (st != MP_OK)
        return st;
    mp_dot_encoder_init(&s->enc, (s->cfg->flags & MP_POP3_SRV_CONTENT_LF) ? MP_DOT_ENC_NORMALIZE
                                                                          : 0u);
    mp_pop3_top_init(&s->top, s->rq.lines);
    s->content_done = 0;
    s->state = MP_POP3_SS_CONTENT;
    return MP_OK;
}

mp_status mp_pop3_server_content(mp_pop3_server *s, const char *p, size_t len, size_t *used)
{
    size_t take = len, u = 0;
    mp_pop3_top_cutter cut = s->top;
    mp_status cst = MP_OK, st;
    *used = 0;
    if (!content_decision(s) || s->state != MP_POP3_SS_CONTENT)
        return MP_ERR_STATE;
    if (p == NULL && len != 0)
        return MP_ERR_ARG;
    if (s->content_done)
        return MP_DONE;
    if (s->pending == MP_POP3_DECIDE_TOP) {
        cst = mp_pop3_top_cut(&cut, p, len, &take);
        if (cst != MP_OK && cst != MP_DONE)
            return cst;
    }
    if (mp_outbuf_room(&s->out) <= END_ROOM)
        return MP_OK; /* send, then push again */
    s->out.cap -= END_ROOM;
    st = mp_dot_encoder_update(&s->enc, p, take, &u, &s->out);
    s->out.cap += END_ROOM;
    if (s->pending == MP_POP3_DECIDE_TOP) {
        if (u == take) {
            s->top = cut;
        } else {
            size_t t2;
            (void)mp_pop3_top_cut(&s->top, p, u, &t2);
        }
    }
    *used = u;
    if (st == MP_ERR_NO_SPACE)
        return MP_OK;
    if (st != MP_OK) {
        /* Not sendable as it is: end the answer where it stands rather
         * than let a stored "\n.\n" pass (docs/security.md). */
        mp_pop3s_report_(s, st, s->framer.pos, "RFC 1939 3");
        mp_dot_encoder_finish(&s->enc, &s->out);
        s->state = MP_POP3_SS_TRANSACTION;
        answered(s);
        return st;
    }
    if (cst == MP_DONE && u == take) {
        s->content_done = 1;
        return MP_DONE;
    }
    return MP_OK;
}

mp_status mp_pop3_server_content_end(mp_pop3_server *s)
{
    mp_status st;
    if (!content_decision(s) || s->state != MP_POP3_SS_CONTENT)
        return MP_ERR_STATE;
    st = mp_dot_encoder_finish(&s->enc, &s->out);
    if (st != MP_OK)
        return st;
    s->state = MP_POP3_SS_TRANSACTION;
    return answered(s);
}

/* ----------------------------------------------------------------------- */
/* Feeding                                                                 */
/* ----------------------------------------------------------------------- */

static void framer_error(mp_pop3_server *s, mp_status st)
{
    const mp_error *e = &s->framer.err;
    if (s->state == MP_POP3_SS_AUTH) {
        mp_pop3s_auth_abort_(s, st, e->offset);
        return;
    }
    mp_pop3s_bad_(s, MP_POP3_CODE_NONE,
                  st == MP_ERR_LINE_TOO_LONG ? "Line too long"
                  : st == MP_ERR_BARE_LF     ? "Bare LF in command"
                                             : "Bare CR in command",
                  st, e->offset, st == MP_ERR_LINE_TOO_LONG ? "RFC 2449 4" : e->rule);
}

mp_status mp_pop3_server_feed(mp_pop3_server *s, const char *in, size_t len, size_t *used)
{
    size_t i = 0;
    *used = 0;
    if (s->in_callback || s->state == MP_POP3_SS_TLS)
        return MP_ERR_STATE;
    s->aborted = 0;
    pump(s); /* a question left by an abort, the next message of a listing */
    /* The challenge went out before this read unless the host still holds
     * it: then a response here came too early (as in the same input). */
    if (s->auth_early == 2 && len > 0)
        s->auth_early = s->out.len == 0 ? 0 : 1;
    while (i < len && !s->aborted) {
        size_t u = 0;
        mp_slice line;
        mp_status st;
        if (s->pending != MP_POP3_DECIDE_NONE || s->state == MP_POP3_SS_CLOSED ||
            s->state == MP_POP3_SS_CONTENT || mp_outbuf_room(&s->out) < MP_POP3_SRV_RESERVE)
            break;
        st = mp_line_framer_next(&s->framer, in + i, len - i, &u, &line);
        i += u;
        if (st == MP_OK)
            mp_pop3s_on_line_(s, line, s->framer.line_start);
        else if (st != MP_NEED_MORE)
            framer_error(s, st);
        if (s->state == MP_POP3_SS_AUTH && s->auth_early == 2 && i < len)
            s->auth_early = 1; /* the response came before the challenge */
        if (s->state == MP_POP3_SS_TLS) {
            if (i < len) {
                /* RFC 2595 §4, CVE-2011-0411: never read what was
                 * pipelined behind STLS in cleartext. */
                s->injected = len - i;
                mp_pop3s_report_(s, MP_ERR_TLS_INJECTION, s->framer.pos, "RFC 2595 4");
            }
            *used = i;
            return MP_TRANSPORT_SWITCH;
        }
    }
    *used = i;
    if (s->aborted)
        return MP_ERR_ABORTED;
    if (s->state == MP_POP3_SS_CLOSED)
        return MP_CLOSED;
    if (i < len || s->pending != MP_POP3_DECIDE_NONE || s->state == MP_POP3_SS_CONTENT)
        return MP_PAUSED;
    return MP_OK;
}

const char *mp_pop3_server_output(mp_pop3_server *s, size_t *len)
{
    *len = s->out.len;
    return s->out.buf;
}

void mp_pop3_server_output_done(mp_pop3_server *s, size_t n)
{
    mp_outbuf_consume(&s->out, n);
}

mp_status mp_pop3_server_tls_started(mp_pop3_server *s)
{
    if (s->state != MP_POP3_SS_TLS)
        return MP_ERR_STATE;
    /* RFC 2595 §4: forget everything learnt in cleartext. */
    mp_line_framer_reset(&s->framer);
    s->tls = 1;
    s->utf8 = 0;
    s->state = MP_POP3_SS_AUTHORIZATION;
    return MP_OK;
}

mp_status mp_pop3_server_shutdown(mp_pop3_server *s, const char *text)
{
    mp_status st = MP_OK;
    /* Inside a multi-line answer a status line would read as content. */
    if (s->state != MP_POP3_SS_CONTENT && s->state != MP_POP3_SS_CLOSED)
        st = mp_pop3s_say_(s, 0, MP_POP3_CODE_SYS_TEMP,
                           text ? text : "Server shutting down, nothing committed");
    mp_pop3s_close_(s);
    return st;
}

mp_status mp_pop3_server_init(mp_pop3_server *s, const mp_pop3_server_config *cfg,
                              const mp_pop3_server_callbacks *cb, void *user, char *out,
                              size_t out_cap)
{
    size_t need, fcap, cl, tl;
    char ts[96];
    mp_status st;
    if (s == NULL || cfg == NULL || cb == NULL || cb->on_decide == NULL || out == NULL ||
        out_cap < MP_POP3_SERVER_MIN_OUT || cfg->hostname == NULL || cfg->line_buf == NULL)
        return MP_ERR_ARG;
    if (!mp_sasl_proto_text_ok(cfg->hostname, MAX_HOSTNAME, 0) ||
        (cfg->implementation != NULL && !mp_sasl_proto_text_ok(cfg->implementation, 100, 1)))
        return MP_ERR_ARG;
    memset(s, 0, sizeof(*s));
    s->cfg = cfg;
    s->cb = cb;
    s->user = user;
    cl = cfg->limits.command_line ? cfg->limits.command_line : MP_POP3_MAX_COMMAND_LINE;
    if (cl < MP_POP3_MAX_COMMAND_LINE || cl > MP_MAX_LINE)
        return MP_ERR_ARG;
    need = cl - 2u;
    fcap = cfg->line_cap;
    if (cfg->flags & MP_POP3_SRV_AUTH) {
        st = mp_pop3s_auth_init_(s);
        if (st != MP_OK)
            return st;
        if (need < MP_POP3_MAX_AUTH_LINE - 2u)
            need = MP_POP3_MAX_AUTH_LINE - 2u;
        need += MP_POP3_SERVER_AUTH_SCRATCH;
        if (fcap < need)
            return MP_ERR_ARG;
        fcap -= MP_POP3_SERVER_AUTH_SCRATCH;
    }
    if (cfg->line_cap < need)
        return MP_ERR_ARG;
    if (cfg->flags & MP_POP3_SRV_APOP) {
        const mp_crypto_provider *c = cfg->crypto;
        if (c == NULL || c->md5 == NULL || c->md5->digest_size != 16 ||
            (cfg->apop_timestamp == NULL && c->random == NULL) ||
            (cfg->apop_timestamp != NULL && strlen(cfg->apop_timestamp) > 95))
            return MP_ERR_ARG;
        if (cfg->apop_timestamp == NULL &&
            c->random(c->random_user, s->stamp, sizeof(s->stamp)) != 0)
            return MP_ERR_CRYPTO;
    }
    mp_outbuf_init(&s->out, out, out_cap);
    st = mp_line_framer_init(&s->framer, cfg->line_buf, fcap, cl, 0);
    if (st != MP_OK)
        return st;
    s->tls = (cfg->flags & MP_POP3_SRV_TLS_ACTIVE) != 0;
    s->state = MP_POP3_SS_AUTHORIZATION;
    tl = mp_pop3s_timestamp_(s, ts);
    /* RFC 1939 §4 greeting, with §7's timestamp when APOP is offered. */
    st = mp_pop3_write_greeting(&s->out, MP_SLICE_LIT("POP3 server ready"), mp_slice_make(ts, tl));
    return st == MP_OK ? MP_OK : MP_ERR_ARG;
}
