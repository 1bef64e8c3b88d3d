/* libFuzzer target: an SMTP/LMTP client session against fuzzed server
 * bytes.  The first byte picks the configuration, the second the split
 * (fuzz_split.h knob); a scripted host authenticates, sends two
 * transactions (the second marked last: QUIT pipelined behind its body)
 * and quits.
 * Oracles beyond "no crash":
 *  - split invariance: the events and every byte the client wrote are the
 *    same whole and in pieces;
 *  - the client never writes invalid protocol: no NUL, no bare CR, no
 *    bare LF, every command line within its limit;
 *  - the output never exceeds the host's buffer.
 * A "<TLS>" in the input stands for a TLS handshake: the host feeds up to
 * it, and calls mp_smtp_client_tls_started() there when the session is
 * waiting for the switch (so the second EHLO, AUTH and the rest after
 * STARTTLS are fuzzed too).
 * A reply counts only for a command the host has sent (docs/architecture.md
 * §3), so where the host sends must not depend on the split: inside every
 * event, and at the end of every reply of the input (a line that is not
 * "NNN-") and when the session ends, except after a reply whose last line
 * ends in '~': the next one then arrives before the host sends (a server
 * that answers early). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/smtp_client.h"

#include "fuzz_split.h"

typedef struct host {
    mp_smtp_client c;
    mp_smtp_client_config cfg;
    mp_smtp_client_callbacks cb;
    mp_smtp_client_envelope env;
    mp_smtp_client_rcpt rcpts[3];
    char out[4096];
    char authbuf[600];
    size_t outcap;
    fuzz_digest *d;        /* the digest of the current feed */
    const uint8_t *base;   /* the input, to place the "<TLS>" marker */
    size_t tls_at;         /* offset of the marker, SIZE_MAX when none */
    size_t tls_skipped;    /* marker bytes consumed so far */
    const uint8_t *sends;  /* sends[off]: the host sends at input offset off */
    uint8_t cfgbyte;
    int dead;              /* the session ended: the host closes */
    size_t action, body_off;
    int body_active, body_started;
    /* output checker state */
    int prev_cr;
    size_t line_len;
    int in_body;
} host;

static const char body[] = "Subject: t\r\n\r\n.leading dot\r\nbare lf\nend";

static void check_out(host *x, const char *p, size_t n)
{
    size_t i;
    if (n > x->outcap)
        abort();
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == 0)
            abort();
        if (x->prev_cr && c != '\n')
            abort(); /* bare CR */
        if (c == '\n' && !x->prev_cr)
            abort(); /* bare LF */
        x->prev_cr = c == '\r';
        x->line_len = c == '\n' ? 0 : x->line_len + 1;
        if (x->line_len > MP_SMTP_MAX_COMMAND_LINE && !x->in_body)
            abort();
    }
}

static void drain(host *x)
{
    size_t n;
    const char *p;
    while ((p = mp_smtp_client_output(&x->c, &n)), n > 0) {
        check_out(x, p, n);
        fuzz_digest_event(x->d, "O", p, n);
        if (mp_smtp_client_output_done(&x->c, n) != MP_OK)
            abort();
    }
}

static void pump(host *x)
{
    while (x->body_active) {
        size_t used = 0;
        mp_status st;
        drain(x);
        if (x->body_off == sizeof(body) - 1) {
            st = mp_smtp_client_body_end(&x->c);
            if (st == MP_PAUSED)
                return;
            x->body_active = 0;
            x->in_body = 0;
            fuzz_digest_u64(x->d, "st", (uint64_t)st);
            drain(x);
            return;
        }
        st = mp_smtp_client_body(&x->c, body + x->body_off, sizeof(body) - 1 - x->body_off,
                                 &used);
        x->body_off += used;
        if (st == MP_PAUSED)
            return;
        if (st != MP_OK && st != MP_ERR_NO_SPACE) {
            fuzz_digest_u64(x->d, "st", (uint64_t)st);
            x->body_active = 0;
            return;
        }
    }
}

static void act(host *x)
{
    /* AUTH, a transaction, one marked last (QUIT pipelined behind its
     * body), then QUIT (refused when already queued). */
    static const char *const script = "ASLQ";
    char a = script[x->action];
    mp_status st = MP_OK;
    if (a == '\0')
        return;
    x->action++;
    if (a == 'A') {
        st = mp_smtp_client_auth(&x->c, MP_SLICE_LIT("PLAIN"), "\0u\0p", 4, 1);
        if (st != MP_OK)
            act(x); /* no AUTH offered: go on (no recursion in lib/) */
    } else if (a == 'S' || a == 'L') {
        memset(&x->env, 0, sizeof(x->env));
        x->env.last = a == 'L';
        memset(x->rcpts, 0, sizeof(x->rcpts));
        x->rcpts[0].address = MP_SLICE_LIT("a@x.example");
        x->rcpts[1].address = MP_SLICE_LIT("b@x.example");
        x->rcpts[1].notify = MP_SMTP_NOTIFY_FAILURE;
        x->rcpts[1].orcpt = MP_SLICE_LIT("b+1@x.example");
        x->rcpts[2].address = MP_SLICE_LIT("Postmaster");
        x->env.from = MP_SLICE_LIT("s@y.example");
        x->env.rcpts = x->rcpts;
        x->env.nrcpts = 3;
        x->env.size = 40;
        x->env.envid = MP_SLICE_LIT("e=1");
        x->env.ret = MP_SMTP_RET_HDRS;
        x->body_off = 0;
        x->body_started = 0;
        st = mp_smtp_client_send(&x->c, &x->env);
    } else {
        st = mp_smtp_client_quit(&x->c);
    }
    fuzz_digest_u64(x->d, "st", (uint64_t)st);
}

static int on_event(void *user, const mp_smtp_client_event *ev)
{
    host *x = user;
    unsigned v[3];
    pump(x);
    drain(x);
    v[0] = (unsigned)ev->type;
    v[1] = ev->reply ? ev->reply->code : 0;
    v[2] = (unsigned)ev->index;
    if (ev->type == MP_SMTP_EV_REPLY_LINE)
        return MP_SMTP_CB_CONTINUE;
    fuzz_digest_event(x->d, "ev", v, sizeof(v));
    fuzz_digest_event(x->d, "data", ev->data.ptr, ev->data.len);
    switch (ev->type) {
    case MP_SMTP_EV_READY:
        act(x);
        break;
    case MP_SMTP_EV_AUTH_CHALLENGE:
        (void)mp_smtp_client_auth_respond(&x->c, "resp", 4, ev->data.len == 1);
        break;
    case MP_SMTP_EV_BODY_READY:
        if (!x->body_started)
            x->body_active = x->in_body = 1;
        x->body_started = 1;
        pump(x);
        break;
    default:
        break;
    }
    return MP_SMTP_CB_CONTINUE;
}

/* Offset of the first "<TLS>" marker, or SIZE_MAX. */
static size_t find_tls(const uint8_t *data, size_t size)
{
    size_t i;
    for (i = 0; i + 5 <= size; i++)
        if (memcmp(data + i, "<TLS>", 5) == 0)
            return i;
    return SIZE_MAX;
}

/* fuzz_target.reset: a fresh session with the configuration byte. */
static void reset(void *state)
{
    host *x = state;
    memset(&x->c, 0, sizeof(x->c));
    x->action = x->body_off = 0;
    x->body_active = x->prev_cr = x->in_body = x->dead = 0;
    x->line_len = x->tls_skipped = 0;
    x->cfg.helo_name = MP_SLICE_LIT("client.example");
    x->cfg.tls = (mp_smtp_client_tls)(x->cfgbyte & 3u);
    x->cfg.flags = (x->cfgbyte >> 2) & 0x1fu;
    x->cfg.max_reply_lines = 0;
    x->cfg.auth_buf = x->authbuf;
    x->cfg.auth_cap = sizeof(x->authbuf);
    x->cb.on_event = on_event;
    x->outcap = (x->cfgbyte & 0x80u) ? MP_SMTP_MAX_COMMAND_LINE : sizeof(x->out);
    if (mp_smtp_client_init(&x->c, &x->cfg, &x->cb, x, x->out, x->outcap) != MP_OK)
        abort();
}

/* fuzz_target.step: one feed up to the "<TLS>" marker, or the marker
 * itself (the handshake: its bytes are never fed, and a piece may cut it).
 * A dead session swallows the rest: the host has closed. */
static size_t step(void *state, const uint8_t *p, size_t n, fuzz_digest *d)
{
    host *x = state;
    size_t off = (size_t)(p - x->base), used = 0;
    mp_status st;
    x->d = d;
    if (x->dead)
        return n;
    if (off >= x->tls_at && off < x->tls_at + 5) {
        size_t k = x->tls_at + 5 - off < n ? x->tls_at + 5 - off : n;
        if (x->tls_skipped == 0 && mp_smtp_client_phase_of(&x->c) == MP_SMTP_PH_TLS_SWITCH) {
            if (mp_smtp_client_tls_started(&x->c) != MP_OK)
                abort();
            fuzz_digest_event(d, "S", NULL, 0);
            drain(x);
        }
        x->tls_skipped += k;
        return k;
    }
    if (off < x->tls_at && x->tls_at - off < n)
        n = x->tls_at - off;
    {
        size_t k;
        for (k = 1; k < n && !x->sends[off + k]; k++)
            ;
        n = k; /* up to the next send point */
    }
    st = mp_smtp_client_feed(&x->c, (const char *)p, n, &used);
    if (used > n)
        abort();
    /* At a send point, and once the session has ended (its last words,
     * such as a QUIT after a refused greeting, go out then). */
    if (x->sends[off + used] || (st != MP_NEED_MORE && st != MP_PAUSED)) {
        pump(x);
        drain(x);
    }
    if (st == MP_TRANSPORT_SWITCH && off + used == x->tls_at)
        return used;
    if (st == MP_TRANSPORT_SWITCH || st == MP_ERR_TLS_INJECTION) {
        /* Whole: injection; split exactly there: a switch.  The same
         * outcome for the host: no plaintext after the go-ahead. */
        fuzz_digest_event(d, "T", NULL, 0);
        x->dead = 1;
        return n;
    }
    if (st == MP_NEED_MORE || st == MP_PAUSED) {
        if (st == MP_NEED_MORE && used != n)
            abort();
        return used;
    }
    fuzz_digest_u64(d, "st", (uint64_t)st);
    fuzz_digest_u64(d, "off", mp_smtp_client_error(&x->c)->offset);
    x->dead = 1;
    return n;
}

static host h;

/* sends[i] = 1 where a reply of p[0..n) ends, unless its last line ends
 * in '~' (see the top). */
static void find_sends(const uint8_t *p, size_t n, uint8_t *sends)
{
    size_t i, line = 0;
    memset(sends, 0, n + 1);
    for (i = 0; i < n; i++) {
        size_t end;
        if (p[i] != '\n')
            continue;
        end = i > line && p[i - 1] == '\r' ? i - 1 : i;
        if ((end - line < 4 || p[line + 3] != '-') && !(end > line && p[end - 1] == '~'))
            sends[i + 1] = 1;
        line = i + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t sends[(1u << 20) + 1];
    const fuzz_target t = { reset, step, NULL, &h };
    if (size < 2 || size - 2 > (1u << 20))
        return 0;
    h.cfgbyte = data[0];
    h.base = data + 2;
    find_sends(data + 2, size - 2, sends);
    h.sends = sends;
    h.tls_at = find_tls(data + 2, size - 2);
    fuzz_split_check(&t, data + 2, size - 2, data[1]);
    return 0;
}
