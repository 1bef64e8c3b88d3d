/* The POP3 server session fixture (tests/pop3/test_server*.c; static,
 * included once per program).
 *
 * A scenario is what a client sends (a vector's input); the host behind
 * the session owns a small maildrop (three messages, see drop[]) and one
 * user, mrose / tanstaaf (RFC 1939's example).  The fixture logs every
 * line the session writes ("S: ..."), every question it asks ("? ..."),
 * every error it reports and what the host commits.  "<TLS>" in the input
 * is the TLS handshake: the client's bytes after it come after
 * tls_started; "<WAIT>" is where the client waited for the server's
 * answer (a SASL response after its challenge).  Feeding never crosses a
 * mark, so a split cannot move it.
 *
 * Each scenario runs twice: the host answering inside the callback, and
 * the host answering only after feed() returned MP_PAUSED.  Both must give
 * the vector's log, whole, byte by byte and at random splits.
 * Parameters: :flags stls,tlsreq,apop,auth,each,lf,nouser,utf8,lax,
 * implicit (comma-separated; utf8 also sets LOGIN-DELAY, EXPIRE and
 * IMPLEMENTATION) :locked 1 (the maildrop is in use)
 * :outcap N (the output buffer) :stamp TEXT (the APOP timestamp).
 */
#ifndef MP_TEST_POP3_SERVER_FIXTURE_H
#define MP_TEST_POP3_SERVER_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/crypto.h"
#include "mailproto/pop3_server.h"
#include "mailproto/sasl.h"
#include "split.h"
#include "vectors.h"

#define SX_DROP 3
#define SX_MAXMARK 8

/* The maildrop as stored (CRLF; :flags lf stores it with LF). */
static const char *const sx_drop_crlf[SX_DROP] = {
    "From: a@example.org\r\nSubject: one\r\n\r\n.leading dot\r\nline 2\r\n..two dots\r\n",
    "Subject: two\r\n\r\nbody\r\n.\r\nlast line without CRLF",
    "Subject: three\r\nX: y\r\n\r\n1\r\n2\r\n3\r\n4\r\n",
};

typedef struct server_fixture {
    mp_pop3_server s;
    mp_pop3_server_config cfg;
    mp_pop3_server_callbacks cb;
    mp_sasl_server sasl;
    mp_crypto_provider crypto;
    char out[4096];
    char line[MP_POP3_SERVER_LINE_BUF_AUTH];
    char acc[8192];     /* output not yet a whole line */
    size_t acc_len;
    char drop[SX_DROP][128];
    size_t size[SX_DROP];
    int deleted[SX_DROP];
    char user[64];
    char stamp[96];
    mp_evlog *log;
    unsigned flags;
    int async;
    int locked;
    size_t outcap;
    size_t marks[SX_MAXMARK];
    size_t mark_len[SX_MAXMARK]; /* 5: <TLS>, 6: <WAIT> */
    size_t nmarks, mark, fed;
    int stopped;
} server_fixture;

static void sx_line(server_fixture *x, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    mp_evlog_add(x->log, "%s", buf);
}

/* Send everything: the log gets the whole lines. */
static void sx_flush(server_fixture *x)
{
    size_t n, i, st = 0;
    const char *o = mp_pop3_server_output(&x->s, &n);
    assert_true(x->acc_len + n <= sizeof(x->acc));
    memcpy(x->acc + x->acc_len, o, n);
    x->acc_len += n;
    mp_pop3_server_output_done(&x->s, n);
    for (i = 0; i + 1 < x->acc_len; i++) {
        if (x->acc[i] == '\r' && x->acc[i + 1] == '\n') {
            mp_evlog_text(x->log, "S:", x->acc + st, i - st);
            st = i + 2;
            i++;
        }
    }
    memmove(x->acc, x->acc + st, x->acc_len - st);
    x->acc_len -= st;
}

static uint64_t sx_octets(const server_fixture *x, int live)
{
    uint64_t t = 0;
    int i;
    for (i = 0; i < SX_DROP; i++)
        if (!live || !x->deleted[i])
            t += x->size[i];
    return t;
}

static uint32_t sx_live(const server_fixture *x)
{
    uint32_t n = 0;
    int i;
    for (i = 0; i < SX_DROP; i++)
        n += !x->deleted[i];
    return n;
}

/* Retry an answer after sending: the host streams through a small
 * output. */
#define SX_TRY(x, call)                                                        \
    do {                                                                       \
        mp_status st_;                                                         \
        while ((st_ = (call)) == MP_ERR_NO_SPACE)                              \
            sx_flush(x);                                                       \
        assert_int_equal(st_, MP_OK);                                          \
    } while (0)

static void sx_open(server_fixture *x)
{
    if (x->locked)
        SX_TRY(x, mp_pop3_server_err(&x->s, MP_POP3_CODE_IN_USE, "maildrop already locked"));
    else
        SX_TRY(x, mp_pop3_server_open(&x->s, SX_DROP, sx_octets(x, 0)));
}

static void sx_content(server_fixture *x, uint32_t msgno)
{
    const char *p = x->drop[msgno - 1];
    size_t n = x->size[msgno - 1];
    SX_TRY(x, mp_pop3_server_content_begin(&x->s, NULL));
    while (n > 0) {
        size_t used = 0;
        mp_status st = mp_pop3_server_content(&x->s, p, n, &used);
        p += used;
        n -= used;
        if (st == MP_DONE)
            break;
        assert_int_equal(st, MP_OK);
        if (n > 0)
            sx_flush(x);
    }
    SX_TRY(x, mp_pop3_server_content_end(&x->s));
}

static void sx_listing(server_fixture *x, mp_pop3_decision d, uint32_t msgno)
{
    char uid[16];
    uint32_t i, from = msgno ? msgno : 1u, to = msgno ? msgno : SX_DROP;
    for (i = from; i <= to; i++) {
        if (x->deleted[i - 1]) {
            if (msgno)
                SX_TRY(x, mp_pop3_server_err(&x->s, MP_POP3_CODE_NONE, "message deleted"));
            continue;
        }
        if (d == MP_POP3_DECIDE_LIST) {
            SX_TRY(x, mp_pop3_server_list(&x->s, i, x->size[i - 1]));
        } else {
            snprintf(uid, sizeof(uid), "uid-%u", (unsigned)i);
            SX_TRY(x, mp_pop3_server_uidl(&x->s, i, mp_slice_make(uid, strlen(uid))));
        }
    }
    if (msgno == 0 && !(x->flags & MP_POP3_SRV_LIST_EACH))
        SX_TRY(x, mp_pop3_server_listing_end(&x->s));
}

/* The host's policy for the pending decision. */
static void sx_answer(server_fixture *x)
{
    mp_pop3_server *s = &x->s;
    const mp_pop3_request *rq = &s->rq;
    uint32_t k = rq->msgno;
    switch (mp_pop3_server_pending(s)) {
    case MP_POP3_DECIDE_USER:
        if (strcmp(x->user, "nobody") == 0)
            SX_TRY(x, mp_pop3_server_err(s, MP_POP3_CODE_NONE, "no such mailbox"));
        else
            SX_TRY(x, mp_pop3_server_ok(s, NULL));
        return;
    case MP_POP3_DECIDE_PASS:
        /* The password was checked in the callback (its slice is gone). */
        if (strcmp(x->user, "mrose ok") == 0)
            sx_open(x);
        else
            SX_TRY(x, mp_pop3_server_err(s, MP_POP3_CODE_AUTH, NULL));
        return;
    case MP_POP3_DECIDE_APOP:
        if (strcmp(x->user, "mrose") == 0 &&
            mp_pop3_server_apop_check(s, "tanstaaf", 8) == MP_OK)
            sx_open(x);
        else
            SX_TRY(x, mp_pop3_server_err(s, MP_POP3_CODE_AUTH, NULL));
        return;
    case MP_POP3_DECIDE_AUTH: {
        mp_sasl_server *q = &x->sasl;
        int ok = q->want == MP_SASL_WANT_VERIFY && q->authcid.len == 5 &&
                 memcmp(q->authcid.ptr, "mrose", 5) == 0 && q->password.len == 8 &&
                 memcmp(q->password.ptr, "tanstaaf", 8) == 0;
        assert_int_equal(mp_sasl_server_verify(q, ok), MP_OK);
        assert_int_equal(mp_pop3_server_auth_resume(s), MP_OK);
        return;
    }
    case MP_POP3_DECIDE_LOGIN:
        sx_open(x);
        return;
    case MP_POP3_DECIDE_STAT:
        SX_TRY(x, mp_pop3_server_stat(s, sx_live(x), sx_octets(x, 1)));
        return;
    case MP_POP3_DECIDE_LIST:
    case MP_POP3_DECIDE_UIDL:
        sx_listing(x, mp_pop3_server_pending(s), k);
        return;
    case MP_POP3_DECIDE_RETR:
    case MP_POP3_DECIDE_TOP:
        if (x->deleted[k - 1])
            SX_TRY(x, mp_pop3_server_err(s, MP_POP3_CODE_NONE, "message deleted"));
        else
            sx_content(x, k);
        return;
    case MP_POP3_DECIDE_DELE:
        if (x->deleted[k - 1]) {
            SX_TRY(x, mp_pop3_server_err(s, MP_POP3_CODE_NONE, "message already deleted"));
        } else {
            x->deleted[k - 1] = 1;
            SX_TRY(x, mp_pop3_server_ok(s, NULL));
        }
        return;
    case MP_POP3_DECIDE_RSET:
        memset(x->deleted, 0, sizeof(x->deleted));
        SX_TRY(x, mp_pop3_server_ok(s, NULL));
        return;
    case MP_POP3_DECIDE_UPDATE: {
        char done[32] = "";
        int i;
        for (i = 0; i < SX_DROP; i++)
            if (x->deleted[i])
                snprintf(done + strlen(done), sizeof(done) - strlen(done), " %d", i + 1);
        sx_line(x, "commit%s", done);
        SX_TRY(x, mp_pop3_server_ok(s, NULL));
        return;
    }
    default:
        fail_msg("no decision pending");
    }
}

static int sx_on_decide(void *u, mp_pop3_server *s, const mp_pop3_request *rq)
{
    server_fixture *x = u;
    static const char *const names[] = {"NONE", "USER", "PASS", "APOP", "AUTH", "LOGIN", "STAT",
                                        "LIST", "UIDL", "RETR", "TOP",  "DELE", "RSET",
                                        "UPDATE"};
    (void)s;
    sx_flush(x);
    switch (rq->decision) {
    case MP_POP3_DECIDE_USER:
    case MP_POP3_DECIDE_APOP:
    case MP_POP3_DECIDE_LOGIN:
        snprintf(x->user, sizeof(x->user), "%.*s", (int)rq->name.len, rq->name.ptr);
        sx_line(x, "? %s %s", names[rq->decision], x->user);
        break;
    case MP_POP3_DECIDE_PASS:
        sx_line(x, "? PASS %.*s", (int)rq->secret.len, rq->secret.ptr);
        if (strcmp(x->user, "mrose") == 0 && rq->secret.len == 8 &&
            memcmp(rq->secret.ptr, "tanstaaf", 8) == 0)
            strcat(x->user, " ok");
        break;
    case MP_POP3_DECIDE_TOP:
        sx_line(x, "? TOP %u %u", (unsigned)rq->msgno, (unsigned)rq->lines);
        break;
    default:
        sx_line(x, "? %s %u", names[rq->decision], (unsigned)rq->msgno);
        break;
    }
    if (!x->async)
        sx_answer(x);
    return 0;
}

static void sx_on_error(void *u, mp_pop3_server *s, const mp_error *e)
{
    server_fixture *x = u;
    (void)s;
    sx_flush(x);
    sx_line(x, "error %s @%llu", mp_status_name(e->code), (unsigned long long)e->offset);
}

static int sx_random(void *u, uint8_t *out, size_t n)
{
    (void)u;
    memset(out, 0x5a, n);
    return 0;
}

/* The configuration every scenario starts from. */
static void sx_setup_config(server_fixture *x)
{
    int i;
    memset(&x->cfg, 0, sizeof(x->cfg));
    x->cfg.hostname = "pop.example.org";
    x->cfg.flags = x->flags;
    x->cfg.line_buf = x->line;
    x->cfg.line_cap = sizeof(x->line);
    x->crypto = mp_crypto_builtin(sx_random, NULL);
    x->cfg.crypto = &x->crypto;
    x->cfg.apop_timestamp = x->stamp[0] ? x->stamp : NULL;
    x->cfg.auth_mechs = "PLAIN LOGIN CRAM-MD5";
    x->cfg.sasl = &x->sasl;
    if (x->flags & MP_POP3_SRV_UTF8) { /* "delay" shows the CAPA values */
        x->cfg.login_delay = 900;
        x->cfg.expire = MP_POP3_EXPIRE_NEVER;
        x->cfg.implementation = "mailproto-test";
    }
    x->cb.on_decide = sx_on_decide;
    x->cb.on_error = sx_on_error;
    for (i = 0; i < SX_DROP; i++) {
        const char *p = sx_drop_crlf[i];
        size_t n = 0;
        for (; *p; p++)
            if (!((x->flags & MP_POP3_SRV_CONTENT_LF) && p[0] == '\r' && p[1] == '\n'))
                x->drop[i][n++] = *p;
        x->drop[i][n] = '\0';
        x->size[i] = n;
    }
}

static void sx_reset(void *state)
{
    server_fixture *x = state;
    memset(&x->s, 0, sizeof(x->s));
    memset(x->deleted, 0, sizeof(x->deleted));
    x->acc_len = 0;
    x->user[0] = '\0';
    x->mark = 0;
    x->fed = 0;
    x->stopped = 0;
    sx_setup_config(x);
    assert_int_equal(mp_pop3_server_init(&x->s, &x->cfg, &x->cb, x, x->out,
                                         x->outcap ? x->outcap : sizeof(x->out)),
                     MP_OK);
}

/* The marks of "<TLS>" in the input (found once per vector). */
static void sx_marks(server_fixture *x, const char *in, size_t n)
{
    size_t i;
    x->nmarks = 0;
    for (i = 0; i + 5 <= n; i++) {
        size_t l = memcmp(in + i, "<TLS>", 5) == 0                       ? 5
                   : i + 6 <= n && memcmp(in + i, "<WAIT>", 6) == 0 ? 6
                                                                    : 0;
        if (l == 0)
            continue;
        assert_true(x->nmarks < SX_MAXMARK);
        x->mark_len[x->nmarks] = l;
        x->marks[x->nmarks++] = i;
    }
}

static void sx_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    server_fixture *x = state;
    int idle = 0;
    x->log = log;
    if (x->mark == 0 && x->fed == 0)
        sx_flush(x); /* the greeting */
    while (!x->stopped) {
        size_t used = 0, k = n;
        mp_status st;
        if (n > 0 && x->mark < x->nmarks && x->fed >= x->marks[x->mark]) {
            size_t end = x->marks[x->mark] + x->mark_len[x->mark], skip = end - x->fed;
            if (skip > n)
                skip = n;
            x->fed += skip;
            p += skip;
            n -= skip;
            if (x->fed < end)
                return; /* the rest of the mark comes with the next piece */
            if (x->mark_len[x->mark++] == 5)
                sx_line(x, "tls-started %s", mp_status_name(mp_pop3_server_tls_started(&x->s)));
            continue;
        }
        if (x->mark < x->nmarks && x->marks[x->mark] - x->fed < k)
            k = x->marks[x->mark] - x->fed;
        st = mp_pop3_server_feed(&x->s, p, k, &used);
        assert_true(used <= k);
        x->fed += used;
        p += used;
        n -= used;
        sx_flush(x);
        if (st == MP_PAUSED) {
            /* Answer what is asked (a listing asks again and again), then
             * feed the rest, possibly nothing, so that the session goes on
             * with what it waited for (room, an answer). */
            while (mp_pop3_server_pending(&x->s) != MP_POP3_DECIDE_NONE) {
                assert_true(x->async);
                sx_answer(x);
                sx_flush(x);
            }
            assert_true(++idle < 100000);
            continue;
        }
        if (st == MP_TRANSPORT_SWITCH) {
            sx_line(x, "switch");
            if (n > 0 && (x->mark >= x->nmarks || x->fed != x->marks[x->mark])) {
                /* Bytes pipelined behind STLS: never fed (docs/security.md). */
                sx_line(x, "discard %zu", x->mark < x->nmarks ? x->marks[x->mark] - x->fed : n);
                x->stopped = 1;
            }
            if (n == 0)
                return; /* the handshake mark comes with the next piece */
            continue;
        }
        if (st == MP_CLOSED) {
            sx_line(x, "closed");
            x->stopped = 1;
            return;
        }
        assert_int_equal(st, MP_OK);
        assert_int_equal(used, k);
        if (n == 0)
            return;
    }
}

static void sx_finish(void *state, mp_evlog *log)
{
    server_fixture *x = state;
    x->log = log;
    sx_flush(x);
    if (x->acc_len)
        mp_evlog_text(log, "partial", x->acc, x->acc_len);
    sx_line(x, "state %d", (int)mp_pop3_server_state_of(&x->s));
}

static const struct {
    const char *name;
    unsigned flag;
} sx_flag_names[] = {
    {"stls", MP_POP3_SRV_STLS},       {"tlsreq", MP_POP3_SRV_TLS_REQUIRED},
    {"apop", MP_POP3_SRV_APOP},       {"auth", MP_POP3_SRV_AUTH},
    {"each", MP_POP3_SRV_LIST_EACH},  {"lf", MP_POP3_SRV_CONTENT_LF},
    {"nouser", MP_POP3_SRV_NO_USER},  {"utf8", MP_POP3_SRV_UTF8},
    {"lax", MP_POP3_SRV_LAX},         {"implicit", MP_POP3_SRV_TLS_ACTIVE},
};

static void sx_setup(const mp_vector *v, void *state)
{
    server_fixture *x = state;
    const char *f = mp_vector_param(v, "flags", "");
    size_t i;
    x->flags = 0;
    for (i = 0; i < sizeof(sx_flag_names) / sizeof(sx_flag_names[0]); i++) {
        const char *hit = strstr(f, sx_flag_names[i].name);
        size_t l = strlen(sx_flag_names[i].name);
        if (hit && (hit == f || hit[-1] == ',') && (hit[l] == '\0' || hit[l] == ','))
            x->flags |= sx_flag_names[i].flag;
    }
    x->locked = atoi(mp_vector_param(v, "locked", "0"));
    x->outcap = (size_t)strtoul(mp_vector_param(v, "outcap", "0"), NULL, 10);
    snprintf(x->stamp, sizeof(x->stamp), "%s", mp_vector_param(v, "stamp", ""));
    sx_marks(x, v->input, v->input_len);
}

#endif
