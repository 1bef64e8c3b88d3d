/* The SMTP/LMTP client fixture shared by test_client_session.c and
 * test_client_security.c (tests/smtp/ has no CMakeLists.txt: each test_*.c
 * is its own program, so everything here is static and included once per
 * program).  A scenario scripts what the host does at every READY; the
 * fixture feeds a server transcript to the session, logs its events and
 * every byte it wrote ("chunk out"), and handles a "<TLS>" marker as the
 * TLS handshake (MP_TRANSPORT_SWITCH there, then
 * mp_smtp_client_tls_started).
 *
 * When the host sends: a reply only counts for a command the host has
 * already sent (docs/architecture.md §3), so the fixture says exactly when
 * output_done() happens, the same for every split of the transcript.  By
 * default the host sends its output inside every event and at the end of
 * every reply of the transcript: the server it stands for waits for the
 * client's next command there.  A scenario with `manual_send` sends only
 * where the transcript says "<SEND>" (everything) or "<SEND:n>" (n bytes):
 * a server that answers early is written down byte for byte.
 *
 * SMTP_CLIENT_FX_BRIEF_MESSAGE (define it to 1 before the include) logs a
 * failed MESSAGE event without its reply text. */
#ifndef MP_TEST_SMTP_CLIENT_FIXTURE_H
#define MP_TEST_SMTP_CLIENT_FIXTURE_H

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

#ifndef SMTP_CLIENT_FX_BRIEF_MESSAGE
#define SMTP_CLIENT_FX_BRIEF_MESSAGE 0
#endif

#define MAXR 8

/* What the host does, one letter per READY: A = AUTH with scripted
 * answers, P = AUTH through the SASL client (sasl_mech, user "user",
 * password "pencil", chosen by mp_sasl_choose when sasl_mech is NONE),
 * S = send the envelope, L = send it as the last one (env.last: QUIT is
 * pipelined behind the body), R = RSET, Q = QUIT. */
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
    int manual_send;    /* send only at "<SEND>" markers (see above) */
} scenario;

/* A marker in the transcript: its bytes are never fed. */
#define MAXMARK 16
typedef struct fx_mark {
    size_t at, len; /* where it is, how long its text is */
    int tls;        /* "<TLS>"; else "<SEND>" (n = SIZE_MAX) or "<SEND:n>" */
    size_t n;
} fx_mark;

/* Transcript offsets where a reply ends (after its last line's LF). */
#define MAXENDS 4096

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
    fx_mark marks[MAXMARK];
    size_t nmarks, mark;    /* markers, the next one */
    size_t ends[MAXENDS];
    size_t nends, end;      /* reply ends (automatic sends), the next one */
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

/* The host sends up to `max` bytes of output (output_done() may write
 * more pipelined commands: those are sent too, within `max`). */
static void send_out(fixture *x, size_t max)
{
    size_t n;
    const char *p;
    while (max > 0 && ((p = mp_smtp_client_output(&x->c, &n)), n > 0)) {
        if (n > max)
            n = max;
        mp_evlog_chunk(x->log, "out", p, n);
        assert_int_equal(mp_smtp_client_output_done(&x->c, n), MP_OK);
        max -= n;
    }
}

/* The host sends everything it has, unless it waits for "<SEND>". */
static void drain(fixture *x)
{
    if (!x->sc->manual_send)
        send_out(x, SIZE_MAX);
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
        if (st == MP_ERR_NO_SPACE && sc->manual_send)
            return; /* the next "<SEND>" makes room */
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
    } else if (a == 'S' || a == 'L') {
        size_t i;
        memset(&x->env, 0, sizeof(x->env));
        x->env.last = a == 'L';
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
        /* A failed transaction: which reply was reported, in full (unless
         * the program asked for the brief form). */
        if (!SMTP_CLIENT_FX_BRIEF_MESSAGE && ev->accepted == 0 && ev->reply != NULL)
            mp_evlog_add(log, "message %u accepted=0 [%.*s|%.*s]", code,
                         (int)ev->reply->enhanced.len, ev->reply->enhanced.ptr,
                         (int)ev->reply->text.len, ev->reply->text.ptr);
        else
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
    size_t i, len = strlen(transcript), line = 0;
    memset(&x->c, 0, sizeof(x->c));
    /* Markers, and the reply ends (a line that is not "NNN-..."). */
    x->nmarks = x->nends = x->mark = x->end = 0;
    for (i = 0; i < len; i++) {
        fx_mark *mk = &x->marks[x->nmarks];
        if (transcript[i] == '<' && strncmp(transcript + i, "<TLS>", 5) == 0) {
            mk->tls = 1;
            mk->len = 5;
        } else if (transcript[i] == '<' && strncmp(transcript + i, "<SEND>", 6) == 0) {
            mk->tls = 0;
            mk->len = 6;
            mk->n = SIZE_MAX;
        } else if ((mk->len = mp_send_mark(transcript + i, &mk->n)) != 0) {
            mk->tls = 0;
        } else {
            if (transcript[i] == '\n') {
                if (i - line < 4 || transcript[line + 3] != '-') {
                    assert_true(x->nends < MAXENDS);
                    x->ends[x->nends++] = i + 1;
                }
                line = i + 1;
            }
            continue;
        }
        assert_true(x->nmarks < MAXMARK);
        mk->at = i;
        x->nmarks++;
        i += mk->len - 1;
        line = i + 1;
    }
    x->cfg.helo_name = MP_SLICE_LIT("client.example.org");
    x->cfg.tls = sc->tls;
    x->cfg.flags = sc->flags;
    x->cfg.max_reply_lines = 0;
    x->cfg.auth_buf = x->authbuf;
    x->cfg.auth_cap = sizeof(x->authbuf);
    x->cb.on_event = on_event;
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
        const fx_mark *mk = x->mark < x->nmarks ? &x->marks[x->mark] : NULL;
        /* A marker: its bytes are the handshake or the host's send. */
        if (mk != NULL && x->fed >= mk->at) {
            size_t skip = mk->at + mk->len - x->fed;
            if (skip > n)
                skip = n;
            x->fed += skip;
            p += skip;
            n -= skip;
            if (x->fed < mk->at + mk->len)
                continue;
            x->mark++;
            if (mk->tls) {
                assert_int_equal(mp_smtp_client_tls_started(&x->c), MP_OK);
                mp_evlog_add(log, "tls-started");
                drain(x);
            } else {
                send_out(x, mk->n);
                pump_body(x);
            }
            continue;
        }
        if (mk != NULL && mk->at - x->fed < k)
            k = mk->at - x->fed;
        /* Automatic sends: feed up to the end of the reply, send. */
        while (x->end < x->nends && x->ends[x->end] <= x->fed)
            x->end++;
        if (!x->sc->manual_send && x->end < x->nends && x->ends[x->end] - x->fed < k)
            k = x->ends[x->end] - x->fed;
        st = mp_smtp_client_feed(&x->c, p, k, &used);
        assert_true(used <= k);
        x->fed += used;
        p += used;
        n -= used;
        if (!x->sc->manual_send) {
            pump_body(x);
            drain(x);
        }
        if (st == MP_NEED_MORE || st == MP_PAUSED)
            continue;
        if (st == MP_TRANSPORT_SWITCH) {
            /* Without a <TLS> marker the host never starts TLS: the next
             * read arrives before tls_started and must be refused as
             * injection, exactly as if it came in the same read. */
            if (mk == NULL || !mk->tls)
                continue;
            assert_int_equal(x->fed, mk->at);
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

#endif
