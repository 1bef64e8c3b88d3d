/* libFuzzer target: the POP3 server session on fuzzed client bytes, with a
 * scripted host over a three-message maildrop (one user, "u" / "p"; DELE
 * marks, RSET, UPDATE; RETR and TOP streamed through a 1 KiB output).
 * The first byte picks the server flags, the second the split.  Oracles
 * beyond "no crash":
 *  - the output and the host's questions are the same for the whole input
 *    answered in the callbacks and for the input fed in pieces answered
 *    after feed paused;
 *  - every response the session writes, greeting, status lines, SASL
 *    challenges, CAPA, listings and content, parses with the POP3
 *    response parser (lib/pop3/resp_parse.c) under the expectation its
 *    first line names, and the output ends between responses;
 *  - nothing is committed unless QUIT was answered in TRANSACTION. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/crypto.h"
#include "mailproto/pop3_server.h"
#include "mailproto/sasl.h"

#include "fuzz_split.h"

static const char *const drop[3] = {
    "Subject: one\r\n\r\n.leading dot\r\n..two\r\n.\r\n",
    "Subject: two\r\n\r\nno final line end",
    "A: b\r\n\r\n1\r\n2\r\n3\r\n",
};

typedef struct fx {
    mp_pop3_server s;
    mp_pop3_server_config cfg;
    mp_pop3_server_callbacks cb;
    mp_sasl_server sasl;
    mp_crypto_provider crypto;
    char out[1024];
    char line[MP_POP3_SERVER_LINE_BUF_AUTH];
    fuzz_digest *d;
    int async;
    int closed;
    int deleted[3];
    int pass_ok;     /* PASS was "p" */
} fx;

static fx F;

/* Everything the session wrote in the current run, for the parser check. */
static char wrote[1 << 20];
static size_t wrote_len;
static int wrote_full;

static struct {
    unsigned flags;
    int locked;
} mode;

static void drain(fx *x)
{
    size_t n;
    const char *o = mp_pop3_server_output(&x->s, &n);
    if (n == 0)
        return;
    if (wrote_len + n <= sizeof(wrote)) {
        memcpy(wrote + wrote_len, o, n);
        wrote_len += n;
    } else {
        wrote_full = 1;
    }
    /* Bytes only: when output is drained depends on the host's timing. */
    fuzz_digest_chunk(x->d, o, n);
    mp_pop3_server_output_done(&x->s, n);
}

/* An answer; a full output is sent and the answer tried again. */
#define TRY(x, call)                                                            \
    do {                                                                        \
        mp_status st_;                                                          \
        int n_ = 0;                                                             \
        while ((st_ = (call)) == MP_ERR_NO_SPACE && n_++ < 2)                   \
            drain(x);                                                           \
        if (st_ != MP_OK)                                                       \
            abort();                                                            \
    } while (0)

static void content(fx *x, uint32_t k)
{
    const char *p = drop[k - 1];
    size_t n = strlen(p), stalls = 0;
    TRY(x, mp_pop3_server_content_begin(&x->s, NULL));
    while (n > 0) {
        size_t used = 0;
        mp_status st = mp_pop3_server_content(&x->s, p, n, &used);
        if (st == MP_DONE)
            break;
        if (st != MP_OK || (used == 0 && ++stalls > 2))
            abort();
        p += used;
        n -= used;
        drain(x);
    }
    TRY(x, mp_pop3_server_content_end(&x->s));
}

static void answer(fx *x)
{
    mp_pop3_server *s = &x->s;
    uint32_t k = s->rq.msgno, i, live = 0;
    uint64_t size = 0;
    switch (mp_pop3_server_pending(s)) {
    case MP_POP3_DECIDE_NONE:
        return;
    case MP_POP3_DECIDE_USER:
    case MP_POP3_DECIDE_DELE:
    case MP_POP3_DECIDE_RSET:
        if (mp_pop3_server_pending(s) == MP_POP3_DECIDE_DELE) {
            if (x->deleted[k - 1]) {
                TRY(x, mp_pop3_server_err(s, MP_POP3_CODE_NONE, NULL));
                return;
            }
            x->deleted[k - 1] = 1;
        }
        if (mp_pop3_server_pending(s) == MP_POP3_DECIDE_RSET)
            memset(x->deleted, 0, sizeof(x->deleted));
        TRY(x, mp_pop3_server_ok(s, NULL));
        return;
    case MP_POP3_DECIDE_PASS:
    case MP_POP3_DECIDE_APOP:
    case MP_POP3_DECIDE_LOGIN: {
        int ok = mp_pop3_server_pending(s) == MP_POP3_DECIDE_LOGIN ||
                 (mp_pop3_server_pending(s) == MP_POP3_DECIDE_PASS && x->pass_ok) ||
                 (mp_pop3_server_pending(s) == MP_POP3_DECIDE_APOP &&
                  mp_pop3_server_apop_check(s, "p", 1) == MP_OK);
        if (!ok)
            TRY(x, mp_pop3_server_err(s, MP_POP3_CODE_AUTH, NULL));
        else if (mode.locked)
            TRY(x, mp_pop3_server_err(s, MP_POP3_CODE_IN_USE, "locked"));
        else
            TRY(x, mp_pop3_server_open(s, 3, 99));
        return;
    }
    case MP_POP3_DECIDE_AUTH: {
        mp_sasl_server *a = &x->sasl;
        mp_sasl_server_verify(a, a->want == MP_SASL_WANT_VERIFY && a->password.len == 1 &&
                                     a->password.ptr[0] == 'p');
        if (mp_pop3_server_auth_resume(s) != MP_OK)
            abort();
        return;
    }
    case MP_POP3_DECIDE_STAT:
        for (i = 0; i < 3; i++)
            if (!x->deleted[i]) {
                live++;
                size += strlen(drop[i]);
            }
        TRY(x, mp_pop3_server_stat(s, live, size));
        return;
    case MP_POP3_DECIDE_LIST:
    case MP_POP3_DECIDE_UIDL: {
        int list = mp_pop3_server_pending(s) == MP_POP3_DECIDE_LIST;
        uint32_t from = k ? k : 1u, to = k ? k : 3u;
        for (i = from; i <= to; i++) {
            char uid[2] = {(char)('a' + i), 0};
            if (x->deleted[i - 1]) {
                if (k)
                    TRY(x, mp_pop3_server_err(s, MP_POP3_CODE_NONE, NULL));
                continue;
            }
            if (list)
                TRY(x, mp_pop3_server_list(s, i, strlen(drop[i - 1])));
            else
                TRY(x, mp_pop3_server_uidl(s, i, mp_slice_make(uid, 1)));
        }
        if (k == 0 && !(x->cfg.flags & MP_POP3_SRV_LIST_EACH))
            TRY(x, mp_pop3_server_listing_end(s));
        return;
    }
    case MP_POP3_DECIDE_RETR:
    case MP_POP3_DECIDE_TOP:
        if (x->deleted[k - 1])
            TRY(x, mp_pop3_server_err(s, MP_POP3_CODE_NONE, NULL));
        else
            content(x, k);
        return;
    case MP_POP3_DECIDE_UPDATE:
        fuzz_digest_event(x->d, "U", x->deleted, sizeof(x->deleted));
        TRY(x, mp_pop3_server_ok(s, NULL));
        return;
    default:
        abort();
    }
}

static int on_decide(void *u, mp_pop3_server *s, const mp_pop3_request *rq)
{
    fx *x = u;
    (void)s;
    drain(x); /* the output so far comes before this question */
    if (rq->decision == MP_POP3_DECIDE_PASS)
        x->pass_ok = rq->secret.len == 1 && rq->secret.ptr[0] == 'p';
    fuzz_digest_u64(x->d, "Q", (uint64_t)rq->decision << 32 | rq->msgno);
    if (!x->async)
        answer(x);
    return 0;
}

static int rnd(void *u, uint8_t *out, size_t n)
{
    (void)u;
    memset(out, 0x5a, n);
    return 0;
}

static void reset(void *state)
{
    fx *x = state;
    memset(x, 0, sizeof(*x));
    x->async = 0;
    x->cfg.hostname = "pop.fuzz";
    x->cfg.flags = mode.flags;
    x->cfg.line_buf = x->line;
    x->cfg.line_cap = sizeof(x->line);
    x->crypto = mp_crypto_builtin(rnd, NULL);
    x->cfg.crypto = &x->crypto;
    x->cfg.auth_mechs = "PLAIN LOGIN";
    x->cfg.sasl = &x->sasl;
    x->cfg.login_delay = 60;
    x->cfg.expire = 30;
    x->cfg.implementation = "fuzz";
    x->cb.on_decide = on_decide;
    if (mp_pop3_server_init(&x->s, &x->cfg, &x->cb, x, x->out, sizeof(x->out)) != MP_OK)
        abort();
    wrote_len = 0;
    wrote_full = 0;
}

static int async_run;

static size_t step(void *state, const uint8_t *p, size_t n, fuzz_digest *d)
{
    fx *x = state;
    size_t used = 0;
    mp_status st;
    x->d = d;
    x->async = async_run;
    if (x->closed)
        return n;
    drain(x);
    st = mp_pop3_server_feed(&x->s, (const char *)p, n, &used);
    drain(x);
    if (st == MP_CLOSED) {
        fuzz_digest_event(d, "X", NULL, 0);
        x->closed = 1;
        return n;
    }
    if (st == MP_TRANSPORT_SWITCH) {
        /* Pretend TLS started and the rest is TLS payload. */
        fuzz_digest_event(d, "T", NULL, 0);
        if (mp_pop3_server_tls_started(&x->s) != MP_OK)
            abort();
    } else if (st == MP_PAUSED) {
        int guard = 0;
        while (mp_pop3_server_pending(&x->s) != MP_POP3_DECIDE_NONE) {
            if (!x->async || ++guard > 16)
                abort(); /* a synchronous host left nothing pending */
            answer(x);
            drain(x);
        }
    } else if (st != MP_OK) {
        abort();
    }
    if (mp_pop3_server_state_of(&x->s) == MP_POP3_SS_CLOSED) {
        /* UPDATE answered after the pause: the session ended there. */
        fuzz_digest_event(d, "X", NULL, 0);
        x->closed = 1;
        return n;
    }
    return used;
}

/* Every response parses: the expectation from its first line (the
 * session's multi-line answers say so in their text, the host here gives
 * no text of its own). */
static mp_pop3_expect expect_of(const char *l, size_t n)
{
    static const struct {
        const char *text;
        mp_pop3_expect e;
    } multi[] = {
        {"+OK Capability list follows", MP_POP3_EXPECT_CAPA},
        {"+OK Methods supported", MP_POP3_EXPECT_LINES},
        {"+OK scan listing follows", MP_POP3_EXPECT_LIST},
        {"+OK unique-id listing follows", MP_POP3_EXPECT_UIDL},
        {"+OK empty listing follows", MP_POP3_EXPECT_LINES},
        {"+OK message follows", MP_POP3_EXPECT_CONTENT},
    };
    size_t i;
    if (n >= 2 && l[0] == '+' && l[1] == ' ')
        return MP_POP3_EXPECT_AUTH;
    for (i = 0; i < sizeof(multi) / sizeof(multi[0]); i++)
        if (strlen(multi[i].text) == n && memcmp(multi[i].text, l, n) == 0)
            return multi[i].e;
    return MP_POP3_EXPECT_STATUS;
}

static void check_parses(void)
{
    static char buf[MP_POP3_MAX_AUTH_LINE];
    mp_pop3_resp_parser p;
    size_t i = 0;
    int first = 1;
    if (wrote_full)
        return;
    if (mp_pop3_resp_init(&p, buf, sizeof(buf), NULL) != MP_OK)
        abort();
    while (i < wrote_len) {
        const char *eol = memchr(wrote + i, '\r', wrote_len - i);
        mp_pop3_expect e;
        int done = 0;
        if (eol == NULL)
            abort(); /* a partial line at the end */
        e = expect_of(wrote + i, (size_t)(eol - (wrote + i)));
        if (first)
            e = MP_POP3_EXPECT_GREETING;
        first = 0;
        if (mp_pop3_resp_expect(&p, e) != MP_OK)
            abort();
        while (!done) {
            mp_pop3_resp_event ev;
            size_t used = 0;
            mp_status st = mp_pop3_resp_next(&p, wrote + i, wrote_len - i, &used, &ev);
            i += used;
            if (st == MP_NEED_MORE && e == MP_POP3_EXPECT_AUTH && i == wrote_len)
                return; /* the input ended inside a SASL exchange */
            if (st != MP_OK)
                abort(); /* a line the client's parser refuses, or cut short */
            if (ev.type == MP_POP3_EV_END ||
                (ev.type == MP_POP3_EV_STATUS && !ev.multiline))
                done = 1;
            if (ev.type == MP_POP3_EV_END && ev.err != NULL)
                abort(); /* irregular content on the wire */
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned choices[8] = {
        0,
        MP_POP3_SRV_STLS | MP_POP3_SRV_TLS_REQUIRED | MP_POP3_SRV_APOP,
        MP_POP3_SRV_LIST_EACH | MP_POP3_SRV_CONTENT_LF | MP_POP3_SRV_UTF8,
        MP_POP3_SRV_LAX | MP_POP3_SRV_APOP | MP_POP3_SRV_STLS,
        MP_POP3_SRV_LIST_EACH | MP_POP3_SRV_NO_USER | MP_POP3_SRV_APOP | MP_POP3_SRV_TLS_ACTIVE,
        MP_POP3_SRV_CONTENT_LF,
        /* AUTH: a response in the same read as its challenge is refused
         * on purpose (docs/security.md): whole inputs only. */
        MP_POP3_SRV_AUTH | MP_POP3_SRV_STLS | MP_POP3_SRV_TLS_REQUIRED,
        MP_POP3_SRV_AUTH | MP_POP3_SRV_LIST_EACH,
    };
    const fuzz_target t = {reset, step, NULL, &F};
    fuzz_digest whole, split;
    size_t a, b;
    if (size < 2)
        return 0;
    mode.flags = choices[data[0] % 8u];
    mode.locked = (data[0] & 0x80) != 0;
    async_run = 0;
    a = fuzz_feed(&t, data + 2, size - 2, 0, data[1], &whole);
    check_parses();
    async_run = 1;
    b = fuzz_feed(&t, data + 2, size - 2, !(mode.flags & MP_POP3_SRV_AUTH), data[1], &split);
    check_parses();
    if (a != b || whole.h != split.h || whole.events != split.events)
        abort(); /* fragmentation or host timing changed the answers */
    return 0;
}
