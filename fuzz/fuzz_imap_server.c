/* libFuzzer target: the IMAP server session on fuzzed client bytes, with a
 * scripted host: SELECT gives EXISTS, FETCH a streamed BODY[] literal,
 * SEARCH a SEARCH line, every other command OK; the host reports new mail
 * and expunges as the commands run and during IDLE; an APPEND literal
 * over 64 bytes is refused with TOOBIG; the password of "u" is "p".  The
 * first byte picks the session flags, the second the split.  Oracles
 * beyond "no crash":
 *  - every byte the session writes parses with our response parser, in
 *    the session's current mode;
 *  - every tagged response carries a tag the client sent;
 *  - the output and the host's events are the same for the whole input
 *    answered at once and for the input in pieces answered after feed
 *    paused (modes with AUTHENTICATE compare whole inputs only: a SASL
 *    response in the same read as its challenge is refused on purpose,
 *    docs/security.md). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/imap_server.h"
#include "mailproto/sasl.h"

#include "fuzz_split.h"

typedef struct fx {
    mp_imap_server s;
    mp_imap_server_config cfg;
    mp_imap_server_callbacks cb;
    mp_sasl_server sasl;
    char out[MP_IMAP_SERVER_MIN_OUT];
    char buf[MP_IMAP_SERVER_BUF];
    mp_imap_resp_parser rp; /* reads back what the session wrote */
    char rbuf[MP_IMAP_MAX_QUOTED];
    fuzz_digest *d;
    mp_imap_cmd_id cmd;
    unsigned ncmd;
    uint32_t exists;
    int async;
    int closed;
} fx;

static fx F;
static const uint8_t *stream;
static size_t stream_len;

static struct {
    unsigned flags;
    int auth;
    int async;
} mode;

/* A tag the client sent: its bytes at the start of a line of the input
 * (a cheap, split-free check; the parser may end a tag at a bad byte). */
static int tag_sent(mp_slice tag)
{
    size_t i;
    for (i = 0; i + tag.len <= stream_len; i++)
        if ((i == 0 || stream[i - 1] == '\n') && memcmp(stream + i, tag.ptr, tag.len) == 0)
            return 1;
    return 0;
}

static int readback(void *u, const mp_imap_resp_event *ev)
{
    (void)u;
    if (ev->type == MP_IMAP_EV_ERROR)
        abort(); /* the session wrote something our parser refuses */
    if (ev->type == MP_IMAP_EV_BEGIN && ev->str.len > 0 && !tag_sent(ev->str))
        abort(); /* a completion for a tag nobody sent */
    return 0;
}

static void drain(fx *x)
{
    size_t n, used = 0;
    const char *o = mp_imap_server_output(&x->s, &n);
    if (n == 0)
        return;
    mp_imap_resp_set_mode(&x->rp, x->s.w.mode);
    if (mp_imap_resp_feed(&x->rp, o, n, &used) != MP_NEED_MORE || used != n)
        abort();
    fuzz_digest_chunk(x->d, o, n);
    mp_imap_server_output_done(&x->s, n);
}

static void must(mp_status st)
{
    if (st != MP_OK)
        abort();
}

/* A notification: a full queue is the documented refusal, not a fault. */
static void note(mp_status st)
{
    if (st != MP_OK && st != MP_ERR_IMAP_SRV_NOTIFY_FULL)
        abort();
}

static void respond(fx *x, mp_imap_resp_event ev)
{
    must(mp_imap_server_respond(&x->s, &ev));
}

/* What the host answers to the command that executes. */
static void answer_command(fx *x)
{
    mp_slice none = mp_slice_make(NULL, 0);
    x->ncmd++;
    if (mp_imap_server_state_of(&x->s) == MP_IMAP_SS_SELECTED && x->ncmd % 3 == 0) {
        /* changes made by another client */
        note(mp_imap_server_notify_exists(&x->s, ++x->exists));
        if (x->exists > 2) {
            note(mp_imap_server_notify_expunge(&x->s, 1, x->ncmd));
            x->exists--;
        }
        note(mp_imap_server_notify_flags(&x->s, 1, 0, 0, "\\Seen"));
    }
    switch (x->cmd) {
    case MP_IMAP_CMD_SELECT:
    case MP_IMAP_CMD_EXAMINE:
        x->exists = 2;
        respond(x, mp_imap_ev_begin(MP_IMAP_RESP_EXISTS, none, 1, 2));
        respond(x, mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE));
        break;
    case MP_IMAP_CMD_FETCH:
    case MP_IMAP_CMD_UID_FETCH: {
        static const char body[] = "Subject: x\r\n\r\nhello\r\n";
        size_t off = 0;
        respond(x, mp_imap_ev_begin(MP_IMAP_RESP_FETCH, none, 1, 1));
        respond(x, mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS));
        respond(x, mp_imap_ev_atom(MP_IMAP_F_FETCH_ITEM, MP_SLICE_LIT("BODY")));
        respond(x, mp_imap_ev_atom(MP_IMAP_F_SECTION, none));
        respond(x, mp_imap_ev_literal(MP_IMAP_F_BODY_SECTION, sizeof(body) - 1, 0));
        while (off < sizeof(body) - 1) {
            size_t taken = 0;
            must(mp_imap_server_literal_data(&x->s, body + off, sizeof(body) - 1 - off, &taken));
            off += taken;
        }
        respond(x, mp_imap_ev_make(MP_IMAP_EV_LITERAL_END, MP_IMAP_F_BODY_SECTION));
        respond(x, mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS));
        respond(x, mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE));
        break;
    }
    case MP_IMAP_CMD_SEARCH:
    case MP_IMAP_CMD_UID_SEARCH:
        respond(x, mp_imap_ev_begin(MP_IMAP_RESP_SEARCH, none, 0, 0));
        respond(x, mp_imap_ev_number(MP_IMAP_F_NUMBER, 1));
        respond(x, mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE));
        break;
    default:
        break;
    }
    /* the session holds every check: a second completion is refused */
    must(mp_imap_server_complete(&x->s, x->ncmd % 5 ? MP_IMAP_RESP_OK : MP_IMAP_RESP_NO, NULL,
                                 "done"));
    if (mp_imap_server_complete(&x->s, MP_IMAP_RESP_OK, NULL, NULL) !=
        MP_ERR_IMAP_SRV_COMPLETED)
        abort();
}

static void answer_auth(fx *x)
{
    mp_sasl_server *a = &x->sasl;
    if (a->want == MP_SASL_WANT_VERIFY)
        mp_sasl_server_verify(a, a->authcid.len == 1 && a->authcid.ptr[0] == 'u' &&
                                     a->password.len == 1 && a->password.ptr[0] == 'p');
    else
        mp_sasl_server_verify(a, 0);
    must(mp_imap_server_auth_resume(&x->s));
}

static uint64_t lit_size;

static void answer_literal(fx *x)
{
    if (lit_size > 64)
        must(mp_imap_server_literal_refuse(&x->s, "TOOBIG", "too big"));
    else
        must(mp_imap_server_literal_accept(&x->s));
}

static void answer(fx *x)
{
    switch (mp_imap_server_pending(&x->s)) {
    case MP_IMAP_DECIDE_COMMAND:
        answer_command(x);
        break;
    case MP_IMAP_DECIDE_LITERAL:
        answer_literal(x);
        break;
    case MP_IMAP_DECIDE_AUTH:
        answer_auth(x);
        break;
    default:
        break;
    }
}

static int on_request(void *u, mp_imap_server *s, const mp_imap_server_req *r)
{
    fx *x = u;
    (void)s;
    drain(x);
    switch (r->type) {
    case MP_IMAP_REQ_BEGIN:
        x->cmd = r->cmd;
        fuzz_digest_u64(x->d, "B", (uint64_t)r->cmd);
        break;
    case MP_IMAP_REQ_ARG:
        fuzz_digest_event(x->d, "A", r->arg->text.ptr, r->arg->text.len);
        break;
    case MP_IMAP_REQ_DATA:
        fuzz_digest_chunk(x->d, r->data.ptr, r->data.len);
        break;
    case MP_IMAP_REQ_EXECUTE:
        fuzz_digest_event(x->d, "E", NULL, 0);
        if (!x->async)
            answer_command(x);
        break;
    default:
        fuzz_digest_u64(x->d, "R", (uint64_t)r->type);
        break;
    }
    return 0;
}

static int on_literal(void *u, mp_imap_server *s, uint64_t size)
{
    fx *x = u;
    (void)s;
    drain(x);
    lit_size = size;
    fuzz_digest_u64(x->d, "L", size);
    if (!x->async)
        answer_literal(x);
    return 0;
}

static int on_auth(void *u, mp_imap_server *s)
{
    fx *x = u;
    (void)s;
    drain(x);
    fuzz_digest_event(x->d, "U", NULL, 0);
    if (!x->async)
        answer_auth(x);
    return 0;
}

static int on_idle(void *u, mp_imap_server *s, int active)
{
    fx *x = u;
    drain(x);
    fuzz_digest_u64(x->d, "I", (uint64_t)active);
    if (active && mp_imap_server_state_of(s) == MP_IMAP_SS_SELECTED) {
        note(mp_imap_server_notify_exists(s, ++x->exists));
        if (x->exists > 1) {
            note(mp_imap_server_notify_expunge(s, x->exists, 7));
            x->exists--;
        }
    }
    return 0;
}

static void on_error(void *u, mp_imap_server *s, const mp_error *e)
{
    fx *x = u;
    (void)s;
    drain(x); /* what was written so far comes before the event, whatever the split */
    /* bytes behind STARTTLS in the same read: where the read ends decides
     * (docs/security.md), so this one is not compared */
    if (e->code != MP_ERR_TLS_INJECTION)
        fuzz_digest_u64(x->d, "X", (uint64_t)e->code);
}

static void reset(void *state)
{
    static const mp_imap_resp_callbacks rcb = { readback };
    fx *x = state;
    memset(x, 0, sizeof(*x));
    x->async = mode.async;
    x->cfg.flags = mode.flags;
    x->cfg.buf = x->buf;
    x->cfg.buf_cap = sizeof(x->buf);
    x->cfg.sasl = &x->sasl;
    x->cfg.auth_mechs = mode.auth ? "PLAIN LOGIN" : NULL;
    x->cfg.caps = "UIDPLUS MOVE";
    x->cfg.id_name = "fuzz";
    x->cfg.max_errors = 8;
    x->cb.on_request = on_request;
    x->cb.on_literal = on_literal;
    x->cb.on_auth = on_auth;
    x->cb.on_idle = on_idle;
    x->cb.on_error = on_error;
    if (mp_imap_resp_init(&x->rp, x->rbuf, sizeof(x->rbuf), NULL, &rcb, x) != MP_OK)
        abort();
    if (mp_imap_server_init(&x->s, &x->cfg, &x->cb, x, x->out, sizeof(x->out)) != MP_OK)
        abort();
}

static size_t step(void *state, const uint8_t *p, size_t n, fuzz_digest *d)
{
    fx *x = state;
    size_t used = 0;
    mp_status st;
    x->d = d;
    if (x->closed)
        return n;
    drain(x);
    st = mp_imap_server_feed(&x->s, (const char *)p, n, &used);
    drain(x);
    switch (st) {
    case MP_CLOSED:
        fuzz_digest_event(d, "Z", NULL, 0);
        x->closed = 1;
        return n;
    case MP_TRANSPORT_SWITCH:
        /* pretend the layer started: the rest is its payload */
        fuzz_digest_u64(d, "T", x->s.switching);
        if (x->s.switching == 1)
            must(mp_imap_server_tls_started(&x->s));
        else
            must(mp_imap_server_compress_started(&x->s));
        break;
    case MP_PAUSED:
        answer(x);
        drain(x);
        break;
    case MP_OK:
        break;
    default:
        abort();
    }
    if (mp_imap_server_state_of(&x->s) == MP_IMAP_SS_LOGOUT) {
        /* an answer given now ended it (a failed login at the error
         * limit): the next feed would say MP_CLOSED */
        fuzz_digest_event(d, "Z", NULL, 0);
        x->closed = 1;
        return n;
    }
    return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned common = MP_IMAP_SRV_ENABLE | MP_IMAP_SRV_IDLE | MP_IMAP_SRV_ID;
    static const struct {
        unsigned flags;
        int auth;
    } choices[8] = {
        { MP_IMAP_SRV_PREAUTH | MP_IMAP_SRV_CONDSTORE | MP_IMAP_SRV_QRESYNC, 0 },
        { MP_IMAP_SRV_LOGIN | MP_IMAP_SRV_AUTH_PLAINTEXT | MP_IMAP_SRV_STARTTLS, 0 },
        { MP_IMAP_SRV_PREAUTH | MP_IMAP_SRV_REV2 | MP_IMAP_SRV_UTF8_ACCEPT |
              MP_IMAP_SRV_LITERAL_MINUS | MP_IMAP_SRV_COMPRESS, 0 },
        { MP_IMAP_SRV_PREAUTH | MP_IMAP_SRV_REV2 | MP_IMAP_SRV_NO_REV1 | MP_IMAP_SRV_QRESYNC, 0 },
        { MP_IMAP_SRV_LOGIN | MP_IMAP_SRV_STARTTLS | MP_IMAP_SRV_REQUIRE_TLS |
              MP_IMAP_SRV_QUIET_CAPS, 0 },
        { MP_IMAP_SRV_LOGIN | MP_IMAP_SRV_TLS_ACTIVE | MP_IMAP_SRV_SASL_IR, 1 },
        { MP_IMAP_SRV_STARTTLS | MP_IMAP_SRV_AUTH_PLAINTEXT | MP_IMAP_SRV_SASL_IR, 1 },
        { MP_IMAP_SRV_PREAUTH, 0 },
    };
    const fuzz_target t = { reset, step, NULL, &F };
    fuzz_digest whole, split;
    size_t a, b;
    if (size < 2)
        return 0;
    stream = data + 2;
    stream_len = size - 2;
    mode.flags = choices[data[0] % 8u].flags | common;
    mode.auth = choices[data[0] % 8u].auth;
    mode.async = 0;
    a = fuzz_feed(&t, data + 2, size - 2, 0, data[1], &whole);
    mode.async = 1;
    b = fuzz_feed(&t, data + 2, size - 2, !mode.auth, data[1], &split);
    if (a != b || whole.h != split.h || whole.events != split.events)
        abort(); /* fragmentation or host timing changed the output */
    return 0;
}
