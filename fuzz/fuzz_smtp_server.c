/* libFuzzer target: the SMTP/LMTP server session with a host that accepts
 * everything.  The first byte picks the server flags, the second the split
 * step.  Oracles beyond "no crash":
 *  - the replies and events are the same for the whole input answered
 *    synchronously and for the input fed in pieces answered
 *    asynchronously (after feed paused);
 *  - the output only ever holds whole replies (CRLF-terminated, each line
 *    "DDD[ -]...");
 *  - a DATA body delivered under the strict policy never holds a bare CR,
 *    a bare LF or a NUL, and an accepted DATA message ended on a real
 *    CRLF "." CRLF in the input;
 *  - smuggling (docs/security.md): every DATA body, clean or poisoned,
 *    strict or normalizing, ends exactly at the first real CRLF "." CRLF
 *    of the input after the DATA line (found here by a scan of the raw
 *    input, independent of the session), so nothing between a forged end
 *    and the real one is ever executed as a command; with
 *    MP_SMTP_SRV_CLOSE_ON_POISON no command at all runs after a poisoned
 *    body.  Both settings are among the modes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/crypto.h"
#include "mailproto/sasl.h"
#include "mailproto/smtp.h"

#include "fuzz_split.h"

typedef struct fx {
    mp_smtp_server s;
    mp_smtp_server_config cfg;
    mp_smtp_server_callbacks cb;
    char out[1024];
    char line[MP_SMTP_SERVER_LINE_BUF_AUTH];
    mp_sasl_server sasl;
    mp_sasl_server_config sasl_cfg;
    mp_crypto_provider crypto;
    fuzz_digest *d;    /* the digest of the current feed (fuzz_feed's) */
    int async;
    int closed;        /* the session ended; the host reads no more */
    int strict;
    int in_data;       /* the current body is a DATA body */
    unsigned char last[2]; /* last two body bytes, for CR/LF pairing */
    uint64_t body_from;    /* stream offset of the current DATA body */
    int poisoned;          /* the current DATA body got a bare CR/LF/NUL */
    int close_now;         /* a poisoned body ended under CLOSE_ON_POISON */
} fx;

static fx F;

/* The raw input as the session sees it (the stream offsets of its events
 * count from here). */
static const uint8_t *stream;
static size_t stream_len;

/* RFC 5321 §4.5.2: the offset just past the first CRLF "." CRLF of a body
 * that starts at `from` (right after the CRLF of the DATA line, which
 * counts as the first CRLF); UINT64_MAX when the input holds none. */
static uint64_t real_data_end(uint64_t from)
{
    uint64_t i;
    for (i = from; i + 3 <= stream_len; i++)
        if (stream[i] == '.' && stream[i + 1] == '\r' && stream[i + 2] == '\n' &&
            (i == from || (stream[i - 2] == '\r' && stream[i - 1] == '\n')))
            return i + 3;
    return UINT64_MAX;
}

/* What a run is: set before fuzz_feed(), kept across reset. */
static struct {
    unsigned flags;
    int async;
} mode;

/* Send everything: output_done may let the session write end-of-data
 * replies it still owes (LMTP: one per recipient), so go on until the
 * output is empty. */
static void drain(fx *x)
{
    size_t n, i;
    const char *o = mp_smtp_server_output(&x->s, &n);
    while (n > 0) {
        if (n < 2 || o[n - 2] != '\r' || o[n - 1] != '\n')
            abort(); /* a partial reply */
        for (i = 0; i < n; i++) {
            /* every line: three digits and ' ' or '-' or CRLF */
            size_t e = i;
            while (e < n && o[e] != '\r')
                e++;
            if (e + 1 >= n || o[e + 1] != '\n' || e - i < 3)
                abort();
            if (o[i] < '2' || o[i] > '5' || (e - i > 3 && o[i + 3] != ' ' && o[i + 3] != '-'))
                abort();
            if (memchr(o + i, '\n', e - i))
                abort();
            i = e + 1;
        }
        /* Bytes only: when output is drained depends on the host's timing. */
        fuzz_digest_chunk(x->d, o, n);
        mp_smtp_server_output_done(&x->s, n);
        o = mp_smtp_server_output(&x->s, &n);
    }
}

/* Accept whatever is pending; LMTP may owe more replies than the output
 * holds: send (drain) and go on. */
static void accept_all(fx *x)
{
    int tries = 0;
    while (mp_smtp_server_pending(&x->s) != MP_SMTP_DECIDE_NONE &&
           mp_smtp_server_pending(&x->s) != MP_SMTP_DECIDE_AUTH) {
        mp_status st = mp_smtp_server_accept(&x->s);
        if (st == MP_ERR_NO_SPACE && tries++ < 2) {
            drain(x);
            continue;
        }
        if (st != MP_OK)
            abort();
        tries = 0;
    }
}

static int decide(void *u)
{
    fx *x = u;
    if (!x->async)
        accept_all(x);
    return 0;
}

/* A command runs: never after a poisoned body under CLOSE_ON_POISON. */
static void command_runs(fx *x)
{
    if (x->close_now)
        abort(); /* executed after the 421 */
}

static int on_cmd(void *u, mp_smtp_server *s, const mp_smtp_cmd *c)
{
    fx *x = u;
    (void)s;
    drain(x); /* replies so far come before this event, whatever the split */
    command_runs(x);
    fuzz_digest_u64(x->d, "C", (uint64_t)c->verb);
    return decide(u);
}

static int on_data(void *u, mp_smtp_server *s)
{
    fx *x = u;
    (void)s;
    drain(x);
    command_runs(x);
    x->in_data = 1;
    x->poisoned = 0;
    /* White-box: the session's stream offset is that of the byte after the
     * DATA line (the body's first byte) while it asks. */
    x->body_from = s->framer.pos;
    x->last[0] = x->last[1] = '\n';
    fuzz_digest_event(x->d, "D", NULL, 0);
    return decide(u);
}

static int on_body(void *u, mp_smtp_server *s, const char *p, size_t n)
{
    fx *x = u;
    size_t i;
    drain(x);
    if (x->in_data && x->strict && s->state == MP_SMTP_SS_DATA) {
        for (i = 0; i < n; i++) {
            unsigned char c = (unsigned char)p[i];
            unsigned char prev = i ? (unsigned char)p[i - 1] : x->last[1];
            if (c == 0 || (c == '\n' && prev != '\r') || (prev == '\r' && c != '\n'))
                abort(); /* a poisoned byte was delivered */
        }
        if (n) {
            x->last[0] = n > 1 ? (unsigned char)p[n - 2] : x->last[1];
            x->last[1] = (unsigned char)p[n - 1];
        }
    }
    /* Bytes only: chunk boundaries depend on the split. */
    fuzz_digest_chunk(x->d, p, n);
    return 0;
}

static int on_end(void *u, mp_smtp_server *s, mp_status st)
{
    fx *x = u;
    (void)s;
    drain(x);
    fuzz_digest_u64(x->d, "E", (uint64_t)st);
    if (st == MP_OK && x->in_data) {
        /* Content ends with the CRLF before the terminating "." CRLF. */
        if (x->strict && x->last[1] != '\n')
            abort();
    }
    if (x->in_data && s->dot.pos != real_data_end(x->body_from))
        abort(); /* a DATA body ended anywhere but at the real CRLF.CRLF */
    if (x->in_data && (st == MP_ERR_BARE_CR || st == MP_ERR_BARE_LF || st == MP_ERR_NUL) &&
        (x->cfg.flags & MP_SMTP_SRV_CLOSE_ON_POISON))
        x->close_now = 1;
    x->in_data = 0;
    if (st == MP_OK)
        return decide(u);
    return 0;
}

static int rnd(void *u, uint8_t *out, size_t n)
{
    (void)u;
    memset(out, 0x5a, n);
    return 0;
}

/* The host's only user: tim / tanstaaftanstaaf (SCRAM keys derived). */
static void answer_auth(fx *x)
{
    mp_sasl_server *a = &x->sasl;
    int tim = mp_slice_eq_ci(a->authcid, "tim", 3);
    if (a->want == MP_SASL_WANT_VERIFY)
        mp_sasl_server_verify(a, tim && a->password.len == 16 &&
                                     memcmp(a->password.ptr, "tanstaaftanstaaf", 16) == 0);
    else if (a->want == MP_SASL_WANT_SECRET && tim)
        mp_sasl_server_set_secret(a, "tanstaaftanstaaf", 16);
    else
        mp_sasl_server_verify(a, 0);
    if (mp_smtp_server_auth_resume(&x->s) != MP_OK)
        abort();
}

static int on_auth(void *u, mp_smtp_server *s)
{
    fx *x = u;
    (void)s;
    drain(x);
    fuzz_digest_event(x->d, "A", NULL, 0);
    if (!x->async)
        answer_auth(x);
    return 0;
}

/* fuzz_target.reset: a fresh session in the current mode.  Its greeting
 * is drained at the first step (the digest is only live then). */
static void reset(void *state)
{
    fx *x = state;
    memset(x, 0, sizeof(*x));
    x->async = mode.async;
    x->strict = !(mode.flags & MP_SMTP_SRV_NORMALIZE_LF);
    x->cfg.hostname = "fuzz.example";
    x->cfg.flags = mode.flags;
    x->cfg.max_size = (mode.flags & 0x100000u) ? 64 : 0;
    x->cfg.max_rcpts = (mode.flags & 0x200000u) ? 3 : 0;
    x->cfg.flags &= 0xfffffu;
    x->cfg.line_buf = x->line;
    x->cfg.line_cap = sizeof(x->line);
    x->cb.on_helo = on_cmd;
    x->cb.on_mail = on_cmd;
    x->cb.on_rcpt = on_cmd;
    x->cb.on_vrfy = on_cmd;
    x->cb.on_expn = on_cmd;
    x->cb.on_help = on_cmd;
    x->cb.on_data = on_data;
    x->cb.on_body = on_body;
    x->cb.on_message_end = on_end;
    if (mode.flags & MP_SMTP_SRV_AUTH) {
        x->crypto = mp_crypto_builtin(rnd, NULL);
        x->sasl_cfg.flags = MP_SASL_SERVER_LOGIN_IR;
        x->sasl_cfg.cram_challenge = MP_SLICE_LIT("<1896.697170952@postoffice.reston.mci.net>");
        x->cfg.auth_mechs = "PLAIN LOGIN CRAM-MD5";
        x->cfg.sasl = &x->sasl;
        x->cfg.sasl_cfg = &x->sasl_cfg;
        x->cfg.crypto = &x->crypto;
        x->cb.on_auth = on_auth;
    }
    if (mp_smtp_server_init(&x->s, &x->cfg, &x->cb, x, x->out, sizeof(x->out)) != MP_OK)
        abort();
}

/* fuzz_target.step: one feed; the host answers what the session asks
 * (async: only now that feed paused) and drains the output. */
static size_t step(void *state, const uint8_t *p, size_t n, fuzz_digest *d)
{
    fx *x = state;
    size_t used = 0;
    mp_status st;
    x->d = d;
    if (x->closed)
        return n;
    drain(x);
    st = mp_smtp_server_feed(&x->s, (const char *)p, n, &used);
    drain(x);
    if (x->close_now && st != MP_CLOSED && mp_smtp_server_state_of(&x->s) != MP_SMTP_SS_CLOSED)
        abort(); /* the 421 and the close must follow the poisoned body's replies */
    if (st == MP_CLOSED) {
        /* The host closes: the rest is never read.  Not fuzz_digest_stop:
         * where a line that ends the session is cut may change how much
         * of it was consumed (e.g. a bare CR that hits the error limit),
         * though never the replies. */
        fuzz_digest_event(d, "X", NULL, 0);
        x->closed = 1;
        return n;
    } else if (st == MP_TRANSPORT_SWITCH) {
        /* Pretend TLS started and the rest is TLS payload. */
        fuzz_digest_event(d, "T", NULL, 0);
        if (mp_smtp_server_tls_started(&x->s) != MP_OK)
            abort();
    } else if (st == MP_PAUSED && mp_smtp_server_pending(&x->s) == MP_SMTP_DECIDE_AUTH) {
        answer_auth(x);
        drain(x);
    } else if (st == MP_PAUSED && mp_smtp_server_pending(&x->s) != MP_SMTP_DECIDE_NONE) {
        accept_all(x);
        drain(x);
    } else if (st != MP_OK && st != MP_PAUSED) {
        abort();
    }
    return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned choices[10] = {
        0,
        MP_SMTP_SRV_CHUNKING | MP_SMTP_SRV_BINARYMIME | MP_SMTP_SRV_8BITMIME |
            MP_SMTP_SRV_TEXT_LINE_LIMIT,
        MP_SMTP_SRV_LMTP | MP_SMTP_SRV_CHUNKING | MP_SMTP_SRV_CLOSE_ON_POISON,
        MP_SMTP_SRV_STARTTLS | MP_SMTP_SRV_SMTPUTF8 | MP_SMTP_SRV_DSN,
        MP_SMTP_SRV_NORMALIZE_LF | MP_SMTP_SRV_LAX | MP_SMTP_SRV_TEXT_LINE_LIMIT |
            MP_SMTP_SRV_CLOSE_ON_POISON,
        MP_SMTP_SRV_CHUNKING | 0x100000u,
        MP_SMTP_SRV_UNKNOWN_PARAMS | 0x200000u | 0x100000u,
        MP_SMTP_SRV_LMTP | MP_SMTP_SRV_NORMALIZE_LF | MP_SMTP_SRV_MT_PRIORITY,
        /* AUTH: a response in the same read as its challenge is refused
         * on purpose (docs/security.md), so these compare whole inputs only. */
        MP_SMTP_SRV_AUTH | MP_SMTP_SRV_AUTH_PLAINTEXT,
        MP_SMTP_SRV_AUTH | MP_SMTP_SRV_TLS_ACTIVE | MP_SMTP_SRV_AUTH_REQUIRED | 0x100000u,
    };
    const fuzz_target t = { reset, step, NULL, &F };
    fuzz_digest whole, split;
    size_t a, b;
    if (size < 2)
        return 0;
    stream = data + 2;
    stream_len = size - 2;
    mode.flags = choices[data[0] % 10u];
    /* Whole and answered synchronously, then in pieces (fuzz_split.h's
     * knob) and answered after feed paused. */
    mode.async = 0;
    a = fuzz_feed(&t, data + 2, size - 2, 0, data[1], &whole);
    mode.async = 1;
    b = fuzz_feed(&t, data + 2, size - 2, !(mode.flags & MP_SMTP_SRV_AUTH), data[1], &split);
    if (a != b || whole.h != split.h || whole.events != split.events)
        abort(); /* fragmentation or host timing changed the replies */
    return 0;
}
