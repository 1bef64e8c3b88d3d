/* libFuzzer target: a POP3 client session against fuzzed server bytes.
 * The first byte picks the configuration (TLS policy, lean or full, the
 * cleartext and pipelining flags, the login method), the second the split
 * (fuzz_split.h knob); a scripted host logs in, then issues a batch (STAT,
 * LIST, UIDL, RETR, TOP, LIST n, UIDL n, DELE, RSET, NOOP, CAPA) and QUIT,
 * some commands at READY and some from the events of earlier answers.
 * Oracles beyond "no crash":
 *  - split invariance: the events and every byte the client wrote are the
 *    same whole and in pieces;
 *  - every line the client writes parses with the server's own parser:
 *    mp_pop3_cmd_parse(), or, inside an AUTH exchange,
 *    mp_pop3_auth_line_parse(); no bare CR or LF, nothing over the
 *    output buffer.
 * A "<TLS>" in the input stands for a TLS handshake (mp_pop3_client_tls_
 * started() there when the session waits for it).  An answer counts only
 * for a command the host has sent (docs/architecture.md), so the host
 * sends at points that do not depend on the split: inside every event,
 * and after every line of the input except one that ends in '~' (the next
 * bytes then come before the host sends: a server that answers early). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/pop3_client.h"

#include "fuzz_split.h"

typedef struct host {
    mp_pop3_client c;
    mp_pop3_client_config cfg;
    mp_pop3_client_callbacks cb;
    mp_pop3_client_login_params lp;
    mp_sasl_client sasl;
    mp_crypto_provider crypto;
    char out[2048];
    char authbuf[MP_POP3_CLIENT_AUTH_BUF];
    fuzz_digest *d;
    const uint8_t *base;
    size_t tls_at, tls_skipped;
    const uint8_t *sends;
    uint8_t cfgbyte;
    int dead, readies, batch;
    /* output checker */
    char line[MP_POP3_MAX_AUTH_LINE];
    size_t line_len;
    int in_auth;  /* the last command was AUTH: SASL lines may follow */
} host;

static int fixed_random(void *user, uint8_t *out, size_t len)
{
    (void)user;
    memset(out, 'f', len);
    return 0;
}

/* One whole line the client wrote, without its CRLF. */
static void check_line(host *x, const char *p, size_t n)
{
    mp_pop3_cmd cmd;
    mp_error e;
    mp_pop3_auth_line_kind kind;
    mp_slice data;
    if (mp_pop3_cmd_parse(p, n, 0, NULL, &cmd, &e) == MP_OK) {
        x->in_auth = cmd.verb == MP_POP3_AUTH;
        return;
    }
    if (!x->in_auth || mp_pop3_auth_line_parse(p, n, 0, &kind, &data, &e) != MP_OK)
        abort();
}

static void check_out(host *x, const char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        char c = p[i];
        if (c == '\n') {
            if (x->line_len == 0 || x->line[x->line_len - 1] != '\r')
                abort(); /* bare LF */
            check_line(x, x->line, x->line_len - 1);
            x->line_len = 0;
            continue;
        }
        if (x->line_len > 0 && x->line[x->line_len - 1] == '\r')
            abort(); /* bare CR */
        if (x->line_len == sizeof(x->line))
            abort(); /* a line over every limit */
        x->line[x->line_len++] = c;
    }
}

static void drain(host *x)
{
    size_t n;
    const char *p;
    while ((p = mp_pop3_client_output(&x->c, &n)), n > 0) {
        if (n > sizeof(x->out))
            abort();
        check_out(x, p, n);
        fuzz_digest_event(x->d, "O", p, n);
        if (mp_pop3_client_output_done(&x->c, n) != MP_OK)
            abort();
    }
}

static void st_event(host *x, mp_status st) { fuzz_digest_u64(x->d, "st", (uint64_t)st); }

/* Log in by the configured method. */
static void login(host *x)
{
    static const mp_sasl_mech mechs[] = { MP_SASL_PLAIN, MP_SASL_LOGIN, MP_SASL_CRAM_MD5 };
    unsigned how = (x->cfgbyte >> 5) & 3u;
    mp_status st;
    memset(&x->lp, 0, sizeof(x->lp));
    x->lp.creds.username = MP_SLICE_LIT("user");
    x->lp.creds.password = MP_SLICE_LIT("pencil");
    x->lp.crypto = &x->crypto;
    x->lp.sasl = &x->sasl;
    if (how == 0) {
        st = mp_pop3_client_user(&x->c, x->lp.creds.username, x->lp.creds.password);
    } else if (how == 1) {
        st = mp_pop3_client_apop(&x->c, x->lp.creds.username, x->lp.creds.password, &x->crypto);
    } else if (how == 2) {
        st = mp_sasl_client_start(&x->sasl, mechs[x->readies % 3u], &x->lp.creds, &x->crypto);
        if (st == MP_OK)
            st = mp_pop3_client_auth_sasl(&x->c, &x->sasl);
    } else {
        /* SCRAM is left out: a fuzzed iteration count would make PBKDF2
         * the whole run. */
        x->lp.methods = MP_POP3_LOGIN_APOP | MP_POP3_LOGIN_USER;
        st = mp_pop3_client_login(&x->c, &x->lp, NULL);
    }
    st_event(x, st);
    if (st != MP_OK)
        st_event(x, mp_pop3_client_quit(&x->c));
}

/* The batch after login; the rest comes from later events. */
static void batch(host *x)
{
    static const int first[] = { 's', 'l', 'u', 'r', 't', 'L', 'U', 'd', 'R', 'n', 'c', 'q' };
    size_t i;
    for (i = 0; i < sizeof(first) / sizeof(first[0]); i++) {
        mp_status st;
        switch (first[i]) {
        case 's': st = mp_pop3_client_stat(&x->c); break;
        case 'l': st = mp_pop3_client_list(&x->c, 0); break;
        case 'u': st = mp_pop3_client_uidl(&x->c, 0); break;
        case 'r': st = mp_pop3_client_retr(&x->c, 1); break;
        case 't': st = mp_pop3_client_top(&x->c, 2, 1); break;
        case 'L': st = mp_pop3_client_list(&x->c, 2); break;
        case 'U': st = mp_pop3_client_uidl(&x->c, 3); break;
        case 'd': st = mp_pop3_client_dele(&x->c, 1); break;
        case 'R': st = mp_pop3_client_rset(&x->c); break;
        case 'n': st = mp_pop3_client_noop(&x->c); break;
        case 'c': st = mp_pop3_client_capa(&x->c); break;
        default: st = mp_pop3_client_quit(&x->c); break;
        }
        st_event(x, st);
        if (st == MP_PAUSED)
            return; /* the queue is full: the rest at the next READY */
    }
}

static int on_event(void *user, const mp_pop3_client_event *ev)
{
    host *x = user;
    const mp_pop3_resp_event *r = ev->resp;
    uint64_t v[4];
    drain(x);
    v[0] = (uint64_t)ev->type;
    v[1] = (uint64_t)ev->verb;
    v[2] = ev->msgno;
    v[3] = r ? (uint64_t)r->ok | (uint64_t)r->code << 8 | (uint64_t)r->count << 16 : 0;
    if (ev->type == MP_POP3_CEV_CONTENT) {
        fuzz_digest_chunk(x->d, r->text.ptr, r->text.len);
        return MP_POP3_CB_CONTINUE;
    }
    fuzz_digest_event(x->d, "ev", v, sizeof(v));
    if (r != NULL)
        fuzz_digest_event(x->d, "text", r->text.ptr, r->text.len);
    switch (ev->type) {
    case MP_POP3_CEV_READY:
        x->readies++;
        if (mp_pop3_client_phase_of(&x->c) == MP_POP3_PH_AUTHORIZATION && x->readies < 3)
            login(x);
        else if (mp_pop3_client_phase_of(&x->c) == MP_POP3_PH_AUTHORIZATION)
            st_event(x, mp_pop3_client_quit(&x->c));
        else if (x->batch++ < 2)
            batch(x);
        else
            st_event(x, mp_pop3_client_quit(&x->c));
        break;
    case MP_POP3_CEV_END:
        /* A DELE of what RETR brought, pipelined behind what is queued. */
        if (ev->verb == MP_POP3_RETR)
            st_event(x, mp_pop3_client_dele(&x->c, ev->msgno));
        break;
    default:
        break;
    }
    drain(x);
    return (x->cfgbyte & 0x80u) && ev->type == MP_POP3_CEV_RESPONSE ? MP_POP3_CB_PAUSE
                                                                    : MP_POP3_CB_CONTINUE;
}

static size_t find_tls(const uint8_t *data, size_t size)
{
    size_t i;
    for (i = 0; i + 5 <= size; i++)
        if (memcmp(data + i, "<TLS>", 5) == 0)
            return i;
    return SIZE_MAX;
}

static void reset(void *state)
{
    host *x = state;
    static const mp_pop3_client_tls tls[] = { MP_POP3_TLS_NONE, MP_POP3_TLS_OPPORTUNISTIC,
                                              MP_POP3_TLS_REQUIRED, MP_POP3_TLS_IMPLICIT };
    mp_status st;
    memset(&x->c, 0, sizeof(x->c));
    x->dead = x->readies = x->batch = x->in_auth = 0;
    x->line_len = x->tls_skipped = 0;
    memset(&x->cfg, 0, sizeof(x->cfg));
    x->cfg.tls = tls[x->cfgbyte & 3u];
    x->cfg.flags = (x->cfgbyte >> 3) & 3u;
    x->cfg.max_body = 2048;
    x->cfg.auth_buf = x->authbuf;
    x->cfg.auth_cap = sizeof(x->authbuf);
    x->cb.on_event = on_event;
    x->crypto = mp_crypto_builtin(fixed_random, NULL);
    st = ((x->cfgbyte >> 2) & 1u ? mp_pop3_client_init_lean : mp_pop3_client_init)(
        &x->c, &x->cfg, &x->cb, x, x->out, sizeof(x->out));
    if (st != MP_OK)
        abort();
}

static size_t step(void *state, const uint8_t *p, size_t n, fuzz_digest *d)
{
    host *x = state;
    size_t off = (size_t)(p - x->base), used = 0, k;
    mp_status st;
    x->d = d;
    if (x->dead)
        return n;
    if (off >= x->tls_at && off < x->tls_at + 5) {
        k = x->tls_at + 5 - off < n ? x->tls_at + 5 - off : n;
        if (x->tls_skipped == 0 && mp_pop3_client_phase_of(&x->c) == MP_POP3_PH_TLS_SWITCH) {
            if (mp_pop3_client_tls_started(&x->c) != MP_OK)
                abort();
            fuzz_digest_event(d, "S", NULL, 0);
            drain(x);
        }
        x->tls_skipped += k;
        return k;
    }
    if (off < x->tls_at && x->tls_at - off < n)
        n = x->tls_at - off;
    for (k = 1; k < n && !x->sends[off + k]; k++)
        ;
    n = k; /* up to the next send point */
    st = mp_pop3_client_feed(&x->c, (const char *)p, n, &used);
    if (used > n)
        abort();
    if (x->sends[off + used] || (st != MP_NEED_MORE && st != MP_PAUSED))
        drain(x);
    if (st == MP_TRANSPORT_SWITCH && off + used == x->tls_at)
        return used;
    if (st == MP_TRANSPORT_SWITCH || st == MP_ERR_TLS_INJECTION) {
        /* Whole: injection; split exactly there: a switch.  The same for
         * the host: no plaintext after the go-ahead. */
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
    if (st != MP_CLOSED)
        fuzz_digest_u64(d, "off", mp_pop3_client_error(&x->c)->offset);
    /* A dead session's QUIT goes out once and parses too. */
    if (st != MP_CLOSED && mp_pop3_client_quit(&x->c) == MP_OK)
        drain(x);
    x->dead = 1;
    return n;
}

static host h;

/* sends[i] = 1 after every line of p[0..n) but one ending in '~'. */
static void find_sends(const uint8_t *p, size_t n, uint8_t *sends)
{
    size_t i;
    memset(sends, 0, n + 1);
    for (i = 0; i < n; i++) {
        size_t end;
        if (p[i] != '\n')
            continue;
        end = i > 0 && p[i - 1] == '\r' ? i - 1 : i;
        if (!(end > 0 && p[end - 1] == '~'))
            sends[i + 1] = 1;
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
