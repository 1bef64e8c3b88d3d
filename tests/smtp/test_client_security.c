/* SMTP client session against a hostile server (issue 3 item 5): over-long
 * reply lines, 10,000 reply lines, mismatched multi-line codes, short
 * continuation lines, bytes after the 220 to STARTTLS, 421 at every point
 * of a transaction, and a SCRAM server that claims success without its
 * proof.  Every transcript runs whole, byte by byte, at every 2-way split
 * and at random splits (mp_split_check); the log holds the events, every
 * byte the client wrote, and the final status with its stream offset.
 * The fixture is the one of test_client_session.c (copied: that file is
 * not shared). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/sasl.h"
#include "mailproto/smtp_client.h"
#include "split.h"

#define MAXR 8

/* What the host does, one letter per READY: A = AUTH with scripted
 * answers, P = AUTH through the SASL client (sasl_mech, user "user",
 * password "pencil", chosen by mp_sasl_choose when sasl_mech is NONE),
 * S = send the envelope, R = RSET, Q = QUIT. */
typedef struct scenario {
    const char *name;
    unsigned flags;
    mp_smtp_client_tls tls;
    size_t outcap;
    const char *actions;
    const char *auth_mech;
    const char *auth_initial; /* NULL: no initial response */
    const char *auth_replies[4];
    mp_sasl_mech sasl_mech;
    const char *sasl_nonce;
    const char *from;
    const char *rcpts[MAXR];
    unsigned notify;
    mp_smtp_body body_type;
    uint64_t size;
    int smtputf8;
    const char *envid;
    const char *body;
    size_t body_len;    /* 0: strlen(body) */
    size_t body_chunk;  /* push size, 0 = all at once */
} scenario;

typedef struct fixture {
    const scenario *sc;
    mp_smtp_client c;
    mp_smtp_client_config cfg;
    mp_smtp_client_callbacks cb;
    mp_smtp_client_envelope env;
    mp_smtp_client_rcpt rcpts[MAXR];
    char out[16384];
    char authbuf[MP_SMTP_CLIENT_AUTH_BUF];
    mp_sasl_client sasl;
    mp_sasl_credentials creds;
    mp_crypto_provider crypto;
    mp_evlog *log;
    size_t tls_at;      /* offset of "<TLS>" in the transcript or SIZE_MAX */
    size_t fed;         /* transcript bytes handled so far */
    size_t action;
    size_t auth_step;
    size_t body_off;
    int body_active;
    int body_started; /* BODY_READY seen in this transaction */
    int stopped;
} fixture;

static fixture fx;
static const char *transcript;

/* Tests replace the SCRAM nonce; this only has to succeed. */
static int fixed_random(void *user, uint8_t *out, size_t len)
{
    (void)user;
    memset(out, 'r', len);
    return 0;
}

static void drain(fixture *x)
{
    size_t n;
    const char *p;
    while ((p = mp_smtp_client_output(&x->c, &n)), n > 0) {
        mp_evlog_chunk(x->log, "out", p, n);
        assert_int_equal(mp_smtp_client_output_done(&x->c, n), MP_OK);
    }
}

/* Push as much of the body as the session takes; end it when done. */
static void pump_body(fixture *x)
{
    const scenario *sc = x->sc;
    size_t total;
    if (!x->body_active)
        return;
    total = sc->body_len ? sc->body_len : strlen(sc->body);
    while (x->body_active) {
        size_t used = 0, n = total - x->body_off;
        mp_status st;
        drain(x);
        if (n == 0) {
            st = mp_smtp_client_body_end(&x->c);
            if (st == MP_PAUSED)
                return;
            if (st != MP_OK) {
                mp_evlog_add(x->log, "body-end %s", mp_status_name(st));
                x->body_active = 0;
                return;
            }
            x->body_active = 0;
            drain(x);
            return;
        }
        if (sc->body_chunk && n > sc->body_chunk)
            n = sc->body_chunk;
        st = mp_smtp_client_body(&x->c, sc->body + x->body_off, n, &used);
        x->body_off += used;
        if (st == MP_PAUSED)
            return;
        if (st == MP_ERR_NO_SPACE)
            continue; /* drained at the top */
        if (st != MP_OK) {
            drain(x);
            mp_evlog_add(x->log, "body %s @%zu", mp_status_name(st), x->body_off);
            x->body_active = 0;
            return;
        }
    }
}

static void host_action(fixture *x)
{
    const scenario *sc = x->sc;
    char a = sc->actions[x->action];
    mp_status st = MP_OK;
    if (a == '\0')
        return;
    x->action++;
    if (a == 'A') {
        const char *ir = sc->auth_initial;
        st = mp_smtp_client_auth(&x->c, mp_slice_make(sc->auth_mech, strlen(sc->auth_mech)), ir,
                                 ir ? strlen(ir) : 0, ir != NULL);
    } else if (a == 'P') {
        mp_sasl_mech m = sc->sasl_mech;
        if (m == MP_SASL_MECH_NONE)
            m = mp_sasl_choose(mp_smtp_client_sasl_offered(&x->c),
                               mp_smtp_client_secure(&x->c) ? MP_SASL_CHOOSE_PLAINTEXT_OK : 0u);
        mp_evlog_add(x->log, "sasl %s", m ? mp_sasl_mech_get(m)->name : "none");
        memset(&x->creds, 0, sizeof(x->creds));
        x->creds.username = MP_SLICE_LIT("user");
        x->creds.password = MP_SLICE_LIT("pencil");
        if (m == MP_SASL_SCRAM_SHA_1) {
            /* The RFC 5802 salt and count: cache SaltedPassword once so
             * that hundreds of split runs skip PBKDF2's 4096 rounds. */
            static uint8_t salt[16], salted[20], sk[20], vk[20];
            static size_t saltlen;
            if (saltlen == 0) {
                mp_crypto_provider cp = mp_crypto_builtin(fixed_random, NULL);
                assert_int_equal(mp_base64_decode("QSXCR+Q6sek8bf92", 16, salt, sizeof(salt),
                                                  &saltlen), MP_OK);
                assert_int_equal(mp_sasl_scram_derive(MP_SASL_SCRAM_SHA_1, &cp, "pencil", 6,
                                                      salt, saltlen, 4096, sk, vk, salted),
                                 MP_OK);
            }
            x->creds.scram_salted_password = salted;
            x->creds.scram_salt = salt;
            x->creds.scram_salt_len = saltlen;
            x->creds.scram_iterations = 4096;
        }
        x->crypto = mp_crypto_builtin(fixed_random, NULL);
        st = mp_sasl_client_start(&x->sasl, m, &x->creds, &x->crypto);
        if (st == MP_OK && sc->sasl_nonce)
            st = mp_sasl_client_set_nonce(&x->sasl, sc->sasl_nonce, strlen(sc->sasl_nonce));
        if (st == MP_OK)
            st = mp_smtp_client_auth_sasl(&x->c, &x->sasl);
    } else if (a == 'S') {
        size_t i;
        memset(&x->env, 0, sizeof(x->env));
        memset(x->rcpts, 0, sizeof(x->rcpts));
        x->env.from = mp_slice_make(sc->from, strlen(sc->from));
        for (i = 0; i < MAXR && sc->rcpts[i]; i++) {
            x->rcpts[i].address = mp_slice_make(sc->rcpts[i], strlen(sc->rcpts[i]));
            x->rcpts[i].notify = sc->notify;
        }
        x->env.rcpts = x->rcpts;
        x->env.nrcpts = i;
        x->env.body = sc->body_type;
        x->env.size = sc->size;
        x->env.smtputf8 = (uint8_t)sc->smtputf8;
        if (sc->envid)
            x->env.envid = mp_slice_make(sc->envid, strlen(sc->envid));
        x->body_off = 0;
        x->body_started = 0;
        st = mp_smtp_client_send(&x->c, &x->env);
    } else if (a == 'R') {
        st = mp_smtp_client_rset(&x->c);
    } else if (a == 'Q') {
        st = mp_smtp_client_quit(&x->c);
    }
    if (st != MP_OK)
        mp_evlog_add(x->log, "action %c %s", a, mp_status_name(st));
}

static int on_event(void *user, const mp_smtp_client_event *ev)
{
    fixture *x = user;
    mp_evlog *log = x->log;
    unsigned code = ev->reply ? ev->reply->code : 0;
    pump_body(x);
    drain(x);
    switch (ev->type) {
    case MP_SMTP_EV_REPLY_LINE:
        break;
    case MP_SMTP_EV_GREETING:
        mp_evlog_add(log, "greeting %u", code);
        break;
    case MP_SMTP_EV_EXTENSION:
        mp_evlog_add(log, "ext %.*s bit=%x", (int)ev->text.len, ev->text.ptr,
                     (unsigned)ev->cap_bit);
        break;
    case MP_SMTP_EV_READY:
        mp_evlog_add(log, "ready");
        host_action(x);
        break;
    case MP_SMTP_EV_AUTH_CHALLENGE: {
        const char *r = x->sc->auth_replies[x->auth_step++];
        mp_evlog_text(log, "challenge", ev->data.ptr, ev->data.len);
        if (x->sc->actions[0] == 'P' || (x->action > 0 && x->sc->actions[x->action - 1] == 'P'))
            break; /* the session answers through the SASL client */
        if (r == NULL)
            assert_int_equal(mp_smtp_client_auth_respond(&x->c, NULL, 0, 1), MP_OK);
        else
            assert_int_equal(mp_smtp_client_auth_respond(&x->c, r, strlen(r), 0), MP_OK);
        break;
    }
    case MP_SMTP_EV_AUTH_RESULT:
        mp_evlog_add(log, "auth %u %s", code, ev->accepted ? "ok" : "failed");
        break;
    case MP_SMTP_EV_MAIL_RESULT:
        mp_evlog_add(log, "mail %u", code);
        break;
    case MP_SMTP_EV_RCPT_RESULT:
        mp_evlog_add(log, "rcpt %zu %u", ev->index, code);
        assert_int_equal(x->rcpts[ev->index].rcpt_code, code);
        break;
    case MP_SMTP_EV_BODY_READY:
        mp_evlog_add(log, "body-ready %u", code);
        if (!x->body_started)
            x->body_active = 1;
        x->body_started = 1;
        pump_body(x);
        break;
    case MP_SMTP_EV_RCPT_DATA:
        mp_evlog_add(log, "rcpt-data %zu %u", ev->index, code);
        assert_int_equal(x->rcpts[ev->index].data_code, code);
        break;
    case MP_SMTP_EV_MESSAGE:
        mp_evlog_add(log, "message %u accepted=%d", code, ev->accepted);
        break;
    case MP_SMTP_EV_CLOSED:
        mp_evlog_add(log, "closed %u", code);
        break;
    }
    return MP_SMTP_CB_CONTINUE;
}

static void fx_reset(void *state)
{
    fixture *x = state;
    const scenario *sc = x->sc;
    const char *m = strstr(transcript, "<TLS>");
    memset(&x->c, 0, sizeof(x->c));
    x->cfg.helo_name = MP_SLICE_LIT("client.example.org");
    x->cfg.tls = sc->tls;
    x->cfg.flags = sc->flags;
    x->cfg.max_reply_lines = 0;
    x->cfg.auth_buf = x->authbuf;
    x->cfg.auth_cap = sizeof(x->authbuf);
    x->cb.on_event = on_event;
    x->tls_at = m ? (size_t)(m - transcript) : SIZE_MAX;
    x->fed = 0;
    x->action = 0;
    x->auth_step = 0;
    x->body_active = 0;
    x->body_off = 0;
    x->stopped = 0;
    assert_int_equal(mp_smtp_client_init(&x->c, &x->cfg, &x->cb, x,
                                          x->out, sc->outcap ? sc->outcap : sizeof(x->out)),
                     MP_OK);
}

static void fx_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    fixture *x = state;
    x->log = log;
    while (n > 0 && !x->stopped) {
        size_t used = 0, k = n;
        mp_status st;
        /* The TLS marker: its bytes are the handshake, never fed. */
        if (x->tls_at != SIZE_MAX && x->fed >= x->tls_at && x->fed < x->tls_at + 5) {
            size_t skip = x->tls_at + 5 - x->fed;
            if (skip > n)
                skip = n;
            x->fed += skip;
            p += skip;
            n -= skip;
            if (x->fed == x->tls_at + 5) {
                assert_int_equal(mp_smtp_client_tls_started(&x->c), MP_OK);
                mp_evlog_add(log, "tls-started");
                drain(x);
            }
            continue;
        }
        if (x->tls_at != SIZE_MAX && x->fed < x->tls_at && x->tls_at - x->fed < k)
            k = x->tls_at - x->fed;
        st = mp_smtp_client_feed(&x->c, p, k, &used);
        assert_true(used <= k);
        x->fed += used;
        p += used;
        n -= used;
        pump_body(x);
        drain(x);
        if (st == MP_NEED_MORE || st == MP_PAUSED)
            continue;
        if (st == MP_TRANSPORT_SWITCH) {
            /* Without a <TLS> marker the host never starts TLS: the next
             * read arrives before tls_started and must be refused as
             * injection, exactly as if it came in the same read. */
            if (x->tls_at == SIZE_MAX)
                continue;
            assert_int_equal(x->fed, x->tls_at);
            mp_evlog_add(log, "switch");
            continue;
        }
        mp_evlog_add(log, "status %s @%llu", mp_status_name(st),
                     (unsigned long long)mp_smtp_client_error(&x->c)->offset);
        x->stopped = 1;
    }
}

static void fx_finish(void *state, mp_evlog *log)
{
    fixture *x = state;
    x->log = log;
    pump_body(x);
    drain(x);
    mp_evlog_add(log, "end phase=%d", (int)mp_smtp_client_phase_of(&x->c));
}

static void run(const scenario *sc, const char *server, const char *want)
{
    mp_split_target t = {fx_reset, fx_feed, fx_finish, &fx};
    fx.sc = sc;
    transcript = server;
    mp_split_check(&t, server, strlen(server), want);
}

/* Like run(), but returns the whole-input log (static) for looser checks. */
static const char *run_log(const scenario *sc, const char *server, size_t n)
{
    mp_split_target t = {fx_reset, fx_feed, fx_finish, &fx};
    fx.sc = sc;
    transcript = server;
    if (getenv("MP_DUMP")) {
        const char *got = mp_split_check(&t, server, n, NULL);
        printf("=====\n%s", got);
        return got;
    }
    return mp_split_check(&t, server, n, NULL);
}

static char big[200000];

/* ----------------------------------------------------------------------- */
/* Reply lines                                                             */
/* ----------------------------------------------------------------------- */

/* MP_SMTP_CLIENT_MAX_REPLY_LINE counts the CRLF: a greeting exactly that
 * long is a greeting, one byte more is MP_ERR_LINE_TOO_LONG at the first
 * byte beyond the limit; the same inside an EHLO reply and for a line of
 * 100 KB. */
static void test_long_reply_lines(void **s)
{
    static const scenario quit = {.actions = "Q"};
    const size_t lim = MP_SMTP_CLIENT_MAX_REPLY_LINE;
    char want[256];
    size_t n;
    (void)s;
    n = (size_t)snprintf(big, sizeof(big), "220 ");
    memset(big + n, 'x', lim - 2 - 4);
    n += lim - 2 - 4;
    n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n250 mx\r\n221 bye\r\n");
    run(&quit, big,
        "greeting 220\n"
        "chunk out EHLO client.example.org\\r\\n\n"
        "ready\n"
        "chunk out QUIT\\r\\n\n"
        "closed 221\nstatus MP_CLOSED @0\nend phase=9\n");
    n = (size_t)snprintf(big, sizeof(big), "220 ");
    memset(big + n, 'x', lim - 2 - 4 + 1);
    n += lim - 2 - 4 + 1;
    n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n250 mx\r\n221 bye\r\n");
    snprintf(want, sizeof(want), "status MP_ERR_LINE_TOO_LONG @%zu\nend phase=10\n", lim - 2);
    run(&quit, big, want);
    /* Inside the EHLO reply. */
    n = (size_t)snprintf(big, sizeof(big), "220 mx\r\n250-mx\r\n250-");
    memset(big + n, 'k', lim);
    n += lim;
    n += (size_t)snprintf(big + n, sizeof(big) - n, "\r\n250 HELP\r\n221 bye\r\n");
    snprintf(want, sizeof(want),
             "greeting 220\n"
             "chunk out EHLO client.example.org\\r\\n\n"
             "status MP_ERR_LINE_TOO_LONG @%zu\nend phase=10\n", 16 + lim - 2);
    run(&quit, big, want);
    /* 100 KB without a line end. */
    n = (size_t)snprintf(big, sizeof(big), "220 mx\r\n250 ");
    memset(big + n, 'z', 100000);
    big[n + 100000] = '\0';
    snprintf(want, sizeof(want),
             "greeting 220\n"
             "chunk out EHLO client.example.org\\r\\n\n"
             "status MP_ERR_LINE_TOO_LONG @%zu\nend phase=10\n", 8 + lim - 2);
    run(&quit, big, want);
}

/* A reply of 10,000 lines stops at MP_SMTP_CLIENT_MAX_REPLY_LINES with
 * the offset of the first line too many; nothing after it is read. */
static void test_many_reply_lines(void **s)
{
    static const scenario quit = {.actions = "Q"};
    char want[128];
    const char *log;
    size_t n = 0, i;
    (void)s;
    for (i = 0; i < 10000; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "220-x\r\n");
    n += (size_t)snprintf(big + n, sizeof(big) - n, "220 ok\r\n");
    snprintf(want, sizeof(want), "status MP_ERR_SMTP_REPLY_TOO_MANY_LINES @%u\nend phase=10\n",
             (unsigned)(MP_SMTP_CLIENT_MAX_REPLY_LINES * 7u));
    run(&quit, big, want);
    /* In the EHLO reply: the extensions before the limit were reported. */
    n = (size_t)snprintf(big, sizeof(big), "220 mx\r\n");
    for (i = 0; i < 10000; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "250-X%zu\r\n", i % 10);
    n += (size_t)snprintf(big + n, sizeof(big) - n, "250 ok\r\n");
    log = run_log(&quit, big, n);
    snprintf(want, sizeof(want), "status MP_ERR_SMTP_REPLY_TOO_MANY_LINES @%u\nend phase=10\n",
             (unsigned)(8u + MP_SMTP_CLIENT_MAX_REPLY_LINES * 8u));
    assert_non_null(strstr(log, want));
    assert_null(strstr(log, "ready"));
    assert_null(strstr(log, "QUIT"));
}

/* Multi-line replies whose lines carry different codes, and malformed
 * or short lines (OpenSMTPD CVE-2020-8794 lived in a short continuation
 * line): precise status and offset. */
#define G "greeting 220\nchunk out EHLO client.example.org\\r\\n\n"
static void test_malformed_replies(void **s)
{
    static const scenario quit = {.actions = "Q"};
    static const scenario idle = {.actions = ""};
    (void)s;
    run(&quit, "220-mx\r\n221 mx\r\n", "status MP_ERR_SMTP_REPLY_MISMATCH @8\nend phase=10\n");
    run(&quit, "220 mx\r\n250-mx\r\n250-8BITMIME\r\n550 HELP\r\n",
        "greeting 220\n"
        "chunk out EHLO client.example.org\\r\\n\n"
        "ext 8BITMIME bit=8\n"
        "status MP_ERR_SMTP_REPLY_MISMATCH @30\nend phase=10\n");
    run(&quit, "220 mx\r\n250-mx\r\n250-\r\n250-8\r\n250 OK\r\n221 bye\r\n", "greeting 220\n"
        "chunk out EHLO client.example.org\\r\\n\n"
        "ext 8 bit=0\n"
        "ext OK bit=0\n"
        "ready\n"
        "chunk out QUIT\\r\\n\n"
        "closed 221\nstatus MP_CLOSED @0\nend phase=9\n");
    run(&quit, "220 mx\r\n250-mx\r\n25\r\n", G "status MP_ERR_SMTP_REPLY_CODE @16\nend phase=10\n");
    run(&quit, "220 mx\r\n250-mx\r\n250\r\n", G "ready\nchunk out QUIT\\r\\n\nend phase=8\n");
    run(&quit, "220 mx\r\n2500 mx\r\n", G "status MP_ERR_SMTP_REPLY_SEPARATOR @11\nend phase=10\n");
    run(&quit, "220 mx\r\n250_mx\r\n", G "status MP_ERR_SMTP_REPLY_SEPARATOR @11\nend phase=10\n");
    run(&quit, "220 mx\r\n099 mx\r\n", G "status MP_ERR_SMTP_REPLY_CODE @8\nend phase=10\n");
    run(&quit, "220 mx\r\n250 m\001x\r\n", G "status MP_ERR_SMTP_REPLY_TEXT @13\nend phase=10\n");
    run(&quit, "220 mx\r\n250 mx\n", G "status MP_ERR_BARE_LF @14\nend phase=10\n");
    run(&quit, "220 mx\r\n250 mx\rx\r\n", G "status MP_ERR_BARE_CR @14\nend phase=10\n");
    /* A reply nobody asked for while idle. */
    run(&idle, "220 mx\r\n250 mx\r\n250 extra\r\n", G "ready\nstatus MP_ERR_SMTP_UNEXPECTED_REPLY @16\nend phase=10\n");
}

/* ----------------------------------------------------------------------- */
/* STARTTLS                                                                */
/* ----------------------------------------------------------------------- */

/* Bytes after the 220 to STARTTLS in the same read are injection (curl
 * CVE-2021-22947 style): a fatal error at their offset, never parsed as a
 * reply.  When the 220 ends a read, the session switches; the bytes of the
 * next read arrive before tls_started: still injection. */
static void test_starttls_injection(void **s)
{
    static const scenario req = {.actions = "Q", .tls = MP_SMTP_TLS_REQUIRED};
    static const scenario opp = {.actions = "Q", .tls = MP_SMTP_TLS_OPPORTUNISTIC};
    static const char *const inj[] = {
        "250-mx\r\n250 AUTH PLAIN\r\n", /* forged capabilities */
        "2", "\r\n", "235 2.7.0 ok\r\n", "421 bye\r\n",
    };
    size_t i;
    (void)s;
    for (i = 0; i < sizeof(inj) / sizeof(inj[0]); i++) {
        char want[256];
        snprintf(big, sizeof(big), "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 go ahead\r\n%s",
                 inj[i]);
        snprintf(want, sizeof(want),
                 "greeting 220\n"
                 "chunk out EHLO client.example.org\\r\\n\n"
                 "ext STARTTLS bit=100\n"
                 "chunk out STARTTLS\\r\\n\n"
                 "status MP_ERR_TLS_INJECTION @44\nend phase=10\n");
        mp_split_set_context(inj[i]);
        run(&req, big, want);
        run(&opp, big, want);
        mp_split_set_context(NULL);
    }
}

/* ----------------------------------------------------------------------- */
/* 421 at every point                                                      */
/* ----------------------------------------------------------------------- */

/* A whole session, one reply at a time (no PIPELINING).  Replacing any
 * reply by a 421 (single or multi-line) ends the session with
 * MP_ERR_SMTP_CLOSING at that reply's offset; nothing is written after. */
static void test_421_everywhere(void **s)
{
    static const scenario sc = {
        .actions = "SQ", .from = "a@b.example", .rcpts = {"x@c.example", "y@c.example"},
        .body = "hello\r\n",
    };
    static const char *const replies[] = {
        "220 mx\r\n", "250-mx\r\n250 8BITMIME\r\n", "250 ok\r\n", "250 ok\r\n", "250 ok\r\n",
        "354 go\r\n", "250 queued\r\n", "221 bye\r\n",
    };
    static const char *const closing[] = { "421 4.3.2 bye\r\n", "421-4.3.2 going\r\n421 down\r\n" };
    const size_t nr = sizeof(replies) / sizeof(replies[0]);
    size_t k, c;
    (void)s;
    for (c = 0; c < 2; c++)
        for (k = 0; k < nr; k++) {
            size_t n = 0, i;
            char want[64];
            const char *log;
            for (i = 0; i < k; i++)
                n += (size_t)snprintf(big + n, sizeof(big) - n, "%s", replies[i]);
            /* The offset is that of the reply's last line (where it
             * completes): a multi-line 421 reports its second line. */
            snprintf(want, sizeof(want), "status MP_ERR_SMTP_CLOSING @%zu\nend phase=10\n",
                     n + (c == 1 ? strlen("421-4.3.2 going\r\n") : 0));
            n += (size_t)snprintf(big + n, sizeof(big) - n, "%s", closing[c]);
            n += (size_t)snprintf(big + n, sizeof(big) - n, "%s", "250 ignored\r\n");
            log = run_log(&sc, big, n);
            if (getenv("MP_DUMP"))
                printf("want %s", want);
            if (k == nr - 1) {
                /* 421 as the answer to QUIT: the session ends either way. */
                assert_non_null(strstr(log, "closed 421\nstatus MP_CLOSED @0\nend phase=9\n"));
                continue;
            }
            assert_non_null(strstr(log, want));
            assert_non_null(strstr(log, "closed 421\n"));
            /* Nothing written after the 421. */
            assert_true(strstr(log, "closed 421\n") > strstr(log, "chunk out") || k == 0);
            assert_null(strstr(strstr(log, "closed 421\n"), "chunk out"));
        }
}

/* ----------------------------------------------------------------------- */
/* SCRAM without the server's proof                                        */
/* ----------------------------------------------------------------------- */

/* RFC 5802 §5: the client must verify the server signature.  A 235 sent
 * instead of the server-final message, with an empty or a garbage one, or
 * a 235 carrying a wrong "v=" in its text, never authenticates. */
static void test_scram_no_proof(void **s)
{
    static const scenario scram = {
        .actions = "PQ", .tls = MP_SMTP_TLS_NONE, .sasl_mech = MP_SASL_SCRAM_SHA_1,
        .sasl_nonce = "fyko+d2lbbFgONRv9qkxdawL",
    };
    static const char *const ends[] = {
        "235 2.7.0 trust me\r\n",
        "235 dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9\r\n", /* proof in 235 text */
        "334 \r\n235 ok\r\n",
        "334 dj0=\r\n235 ok\r\n",                   /* "v=" */
        "334 ZT1vdGhlci1lcnJvcg==\r\n235 ok\r\n",   /* "e=other-error" */
        "334 !!!!\r\n235 ok\r\n",
    };
    size_t i;
    (void)s;
    for (i = 0; i < sizeof(ends) / sizeof(ends[0]); i++) {
        const char *log;
        size_t n = (size_t)snprintf(
            big, sizeof(big),
            "220 mx\r\n250-mx\r\n250 AUTH SCRAM-SHA-1\r\n"
            "334 cj1meWtvK2QybGJiRmdPTlJ2OXFreGRhd0wzcmZjTkhZSlkxWlZ2V1ZzN2oscz1RU1hDUitRNnNlazhiZjkyLGk9NDA5Ng==\r\n"
            "%s221 bye\r\n", ends[i]);
        log = run_log(&scram, big, n);
        assert_null(strstr(log, "auth 235 ok"));
        assert_true(strstr(log, "status MP_ERR_SASL_SERVER_PROOF @") != NULL ||
                    strstr(log, "auth 235 failed") != NULL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_reply_lines),
        cmocka_unit_test(test_many_reply_lines),
        cmocka_unit_test(test_malformed_replies),
        cmocka_unit_test(test_starttls_injection),
        cmocka_unit_test(test_421_everywhere),
        cmocka_unit_test(test_scram_no_proof),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
