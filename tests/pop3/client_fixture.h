/* The POP3 client session fixture (tests/pop3/test_client*.c; each test_*.c
 * is its own program, so everything here is static).
 *
 * A scenario is a server transcript and a host script.  The fixture feeds
 * the transcript to the session and logs every event and every byte the
 * host sends ("chunk out").  The host sends only where the transcript
 * says so: "<SEND>" (all its output) or "<SEND:n>" (n bytes), which is
 * where the server it stands for waited for the client; "<TLS>" is the
 * TLS handshake (MP_TRANSPORT_SWITCH there, then tls_started).  So a
 * server that answers early is written down byte for byte, and every
 * transcript is also a test of docs/architecture.md's rule that an answer
 * counts only for a command already sent.
 *
 * The host script: at the n-th READY the host issues the commands of the
 * n-th '|'-separated group of `host` (';'-separated: user, apop, sasl,
 * login, stat, list [n], uidl [n], retr n, top n l, dele n, rset, noop,
 * capa, quit); with on_end "dele", the END of RETR n issues DELE n.
 *
 * Each scenario runs twice: the host answering inside the callback, and
 * the host returning MP_POP3_CB_PAUSE and answering after feed() returned
 * MP_PAUSED.  Both must give the same log (the bytes sent included), and
 * each runs whole, byte by byte and at random splits (mp_split_check).
 * Scenarios are vector files (tests/vectors/pop3/client/): parameters
 *   :tls none|opportunistic|required|implicit   :lean 1
 *   :flags cleartext,nopipelining,lflines,strict   :max_body N   :outcap N
 *   :host ...   :host2 ... (appended)   :on_end dele   :mech NAME
 *   :nonce TEXT (the SCRAM client nonce)   :noauthbuf 1   :user TEXT
 *   :pass TEXT (default alice / pencil)   :passrep N (the password N times)
 */
#ifndef MP_TEST_POP3_CLIENT_FIXTURE_H
#define MP_TEST_POP3_CLIENT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/pop3_client.h"
#include "mailproto/sasl.h"
#include "split.h"
#include "vectors.h"

typedef struct pop3_scenario {
    mp_pop3_client_tls tls;
    unsigned flags;
    unsigned resp_flags;
    int lean;
    int no_auth_buf;
    uint64_t max_body;
    size_t outcap;
    char host[512];
    int dele_on_end;
    mp_sasl_mech mech;
    char nonce[64];
    char user[64];
    char pass[256];
} pop3_scenario;

#define FX_MAXMARK 64
#define FX_MAXACT 16

typedef struct fx_mark {
    size_t at, len; /* where it is, how long its text is */
    int tls;        /* "<TLS>"; else "<SEND>" (n = SIZE_MAX) or "<SEND:n>" */
    size_t n;
} fx_mark;

typedef struct pop3_fixture {
    pop3_scenario sc;
    int later;       /* the host answers after MP_PAUSED */
    mp_pop3_client c;
    mp_pop3_client_config cfg;
    mp_pop3_client_callbacks cb;
    char out[8192];
    char authbuf[MP_POP3_CLIENT_AUTH_BUF];
    mp_sasl_client sasl;
    mp_pop3_client_login_params lp;
    mp_crypto_provider crypto;
    mp_evlog *log;
    const char *transcript;
    fx_mark marks[FX_MAXMARK];
    size_t nmarks, mark;
    size_t fed;
    size_t ready;              /* READY events so far */
    char pending[FX_MAXACT][32]; /* actions to run after MP_PAUSED */
    size_t npending;
    int stopped;
    int chunk_out;             /* the open log chunk is "out" */
} pop3_fixture;

static pop3_fixture fx;

/* SCRAM needs random bytes; the tests set the nonce instead. */
static int fx_random(void *user, uint8_t *out, size_t len)
{
    (void)user;
    memset(out, 'r', len);
    return 0;
}

static void fx_chunk(pop3_fixture *x, int out, const char *p, size_t n)
{
    if (x->chunk_out != out)
        x->log->chunk_start = (size_t)-1; /* never append to the other kind */
    x->chunk_out = out;
    mp_evlog_chunk(x->log, out ? "out" : "content", p, n);
}

static void fx_line(pop3_fixture *x, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    x->chunk_out = -1;
    mp_evlog_add(x->log, "%s", tmp);
}

/* The host sends up to `max` bytes of its output (output_done() may write
 * more queued commands: those count too). */
static void fx_send(pop3_fixture *x, size_t max)
{
    size_t n;
    const char *p;
    while (max > 0 && ((p = mp_pop3_client_output(&x->c, &n)), n > 0)) {
        if (n > max)
            n = max;
        fx_chunk(x, 1, p, n);
        assert_int_equal(mp_pop3_client_output_done(&x->c, n), MP_OK);
        max -= n;
    }
}

static const char *fx_escape(const char *p, size_t n)
{
    static char buf[2048];
    size_t i, k = 0;
    for (i = 0; i < n && k + 5 < sizeof(buf); i++) {
        unsigned char ch = (unsigned char)p[i];
        if (ch == '\r') k += (size_t)snprintf(buf + k, sizeof(buf) - k, "\\r");
        else if (ch == '\n') k += (size_t)snprintf(buf + k, sizeof(buf) - k, "\\n");
        else if (ch == '\\') k += (size_t)snprintf(buf + k, sizeof(buf) - k, "\\\\");
        else if (ch < 0x20 || ch >= 0x7f) k += (size_t)snprintf(buf + k, sizeof(buf) - k, "\\x%02x", ch);
        else buf[k++] = (char)ch;
    }
    buf[k] = '\0';
    return buf;
}

/* SCRAM-SHA-1 with RFC 5802's salt and count: SaltedPassword computed
 * once, so that a thousand split runs skip PBKDF2's 4096 rounds. */
static void fx_scram_cache(mp_sasl_credentials *cr)
{
    static uint8_t salt[16], salted[20], sk[20], vk[20];
    static size_t saltlen;
    if (cr->password.len != 6 || memcmp(cr->password.ptr, "pencil", 6) != 0)
        return;
    if (saltlen == 0) {
        mp_crypto_provider cp = mp_crypto_builtin(fx_random, NULL);
        assert_int_equal(mp_base64_decode("QSXCR+Q6sek8bf92", 16, salt, sizeof(salt), &saltlen),
                         MP_OK);
        assert_int_equal(mp_sasl_scram_derive(MP_SASL_SCRAM_SHA_1, &cp, "pencil", 6, salt,
                                              saltlen, 4096, sk, vk, salted),
                         MP_OK);
    }
    cr->scram_salted_password = salted;
    cr->scram_salt = salt;
    cr->scram_salt_len = saltlen;
    cr->scram_iterations = 4096;
}

/* One host command by name ("retr 3"). */
static void fx_act(pop3_fixture *x, const char *a)
{
    const pop3_scenario *sc = &x->sc;
    unsigned long n = 0, l = 0;
    char verb[16] = "";
    mp_status st = MP_OK;
    mp_pop3_verb chosen = MP_POP3_NONE;
    mp_slice pass = mp_slice_make(sc->pass, strlen(sc->pass));
    mp_slice name = mp_slice_make(sc->user, strlen(sc->user));
    int k = sscanf(a, "%15s %lu %lu", verb, &n, &l);
    if (k < 1)
        return;
    if (strcmp(verb, "user") == 0) {
        st = mp_pop3_client_user(&x->c, name, pass);
    } else if (strcmp(verb, "apop") == 0) {
        st = mp_pop3_client_apop(&x->c, name, pass, &x->crypto);
    } else if (strcmp(verb, "sasl") == 0 || strcmp(verb, "login") == 0) {
        memset(&x->lp, 0, sizeof(x->lp));
        x->lp.creds.username = name;
        x->lp.creds.password = pass;
        fx_scram_cache(&x->lp.creds);
        x->lp.crypto = &x->crypto;
        x->lp.sasl = &x->sasl;
        x->lp.mech = sc->mech;
        if (strcmp(verb, "sasl") == 0) {
            mp_sasl_mech m = sc->mech;
            if (m == MP_SASL_MECH_NONE)
                m = mp_sasl_choose(mp_pop3_client_caps(&x->c)->sasl,
                                   mp_pop3_client_secure(&x->c) ? MP_SASL_CHOOSE_PLAINTEXT_OK
                                                                : 0u);
            st = mp_sasl_client_start(&x->sasl, m, &x->lp.creds, &x->crypto);
            if (st == MP_OK && sc->nonce[0])
                st = mp_sasl_client_set_nonce(&x->sasl, sc->nonce, strlen(sc->nonce));
            if (st == MP_OK)
                st = mp_pop3_client_auth_sasl(&x->c, &x->sasl);
        } else {
            /* login: the nonce must be set before the first message, so
             * the SCRAM cases use "sasl"; login logs what it chose. */
            st = mp_pop3_client_login(&x->c, &x->lp, &chosen);
            fx_line(x, "chose %s", chosen ? mp_pop3_verb_name(chosen) : "none");
        }
    } else if (strcmp(verb, "stat") == 0) {
        st = mp_pop3_client_stat(&x->c);
    } else if (strcmp(verb, "list") == 0) {
        st = mp_pop3_client_list(&x->c, (uint32_t)n);
    } else if (strcmp(verb, "uidl") == 0) {
        st = mp_pop3_client_uidl(&x->c, (uint32_t)n);
    } else if (strcmp(verb, "retr") == 0) {
        st = mp_pop3_client_retr(&x->c, (uint32_t)n);
    } else if (strcmp(verb, "top") == 0) {
        st = mp_pop3_client_top(&x->c, (uint32_t)n, (uint32_t)l);
    } else if (strcmp(verb, "dele") == 0) {
        st = mp_pop3_client_dele(&x->c, (uint32_t)n);
    } else if (strcmp(verb, "rset") == 0) {
        st = mp_pop3_client_rset(&x->c);
    } else if (strcmp(verb, "noop") == 0) {
        st = mp_pop3_client_noop(&x->c);
    } else if (strcmp(verb, "capa") == 0) {
        st = mp_pop3_client_capa(&x->c);
    } else if (strcmp(verb, "quit") == 0) {
        st = mp_pop3_client_quit(&x->c);
    } else {
        fail_msg("unknown host action '%s'", a);
    }
    if (st != MP_OK)
        fx_line(x, "action %s %s", a, mp_status_name(st));
}

/* Queue (later) or run (at once) the actions of a ';'-separated group. */
static int fx_group(pop3_fixture *x, const char *g, size_t len)
{
    while (len > 0) {
        const char *e = memchr(g, ';', len);
        size_t k = e ? (size_t)(e - g) : len;
        char a[32];
        while (k > 0 && *g == ' ') {
            g++;
            k--;
            len--;
        }
        if (k > 0) {
            assert_true(k < sizeof(a));
            memcpy(a, g, k);
            a[k] = '\0';
            while (k > 0 && a[k - 1] == ' ')
                a[--k] = '\0';
            if (x->later) {
                assert_true(x->npending < FX_MAXACT);
                strcpy(x->pending[x->npending++], a);
            } else {
                fx_act(x, a);
            }
        }
        if (e == NULL)
            break;
        len -= (size_t)(e - g) + 1;
        g = e + 1;
    }
    return x->later ? MP_POP3_CB_PAUSE : MP_POP3_CB_CONTINUE;
}

static int fx_ready(pop3_fixture *x)
{
    const char *h = x->sc.host;
    size_t i;
    for (i = 0; i < x->ready && h != NULL; i++) {
        h = strchr(h, '|');
        if (h != NULL)
            h++;
    }
    x->ready++;
    if (h == NULL || *h == '\0')
        return MP_POP3_CB_CONTINUE;
    return fx_group(x, h, strcspn(h, "|"));
}

static const char *fx_code(const mp_pop3_resp_event *r)
{
    static char b[80];
    if (r->code == MP_POP3_CODE_NONE)
        return "";
    snprintf(b, sizeof(b), " [%.*s]", (int)r->code_text.len, r->code_text.ptr);
    if (r->code != MP_POP3_CODE_UNKNOWN)
        snprintf(b + strlen(b), sizeof(b) - strlen(b), "=%s", mp_pop3_code_text(r->code));
    return b;
}

static int fx_on_event(void *user, const mp_pop3_client_event *ev)
{
    pop3_fixture *x = user;
    const mp_pop3_resp_event *r = ev->resp;
    const char *vn = ev->verb ? mp_pop3_verb_name(ev->verb) : "-";
    char typed[128] = "";
    switch (ev->type) {
    case MP_POP3_CEV_GREETING:
        fx_line(x, "greeting \"%s\" apop=%d", fx_escape(r->text.ptr, r->text.len),
                mp_pop3_client_apop_available(&x->c));
        break;
    case MP_POP3_CEV_CAPA:
        fx_line(x, "capa %s bit=%x", fx_escape(r->text.ptr, r->text.len), (unsigned)r->cap);
        break;
    case MP_POP3_CEV_READY:
        fx_line(x, "ready %s",
                mp_pop3_client_phase_of(&x->c) == MP_POP3_PH_TRANSACTION ? "TRANSACTION"
                                                                          : "AUTHORIZATION");
        return fx_ready(x);
    case MP_POP3_CEV_LOGIN:
        fx_line(x, "login %s %s%s \"%s\"", vn, r->ok ? "ok" : "err", fx_code(r),
                fx_escape(r->text.ptr, r->text.len));
        break;
    case MP_POP3_CEV_RESPONSE:
        if (r->ok && ev->verb == MP_POP3_STAT)
            snprintf(typed, sizeof(typed), " count=%u size=%llu", (unsigned)r->count,
                     (unsigned long long)r->size);
        else if (r->ok && ev->verb == MP_POP3_LIST && ev->msgno)
            snprintf(typed, sizeof(typed), " msgno=%u size=%llu", (unsigned)r->msgno,
                     (unsigned long long)r->size);
        else if (r->ok && ev->verb == MP_POP3_UIDL && ev->msgno)
            snprintf(typed, sizeof(typed), " msgno=%u uid=%.*s", (unsigned)r->msgno,
                     (int)r->uid.len, r->uid.ptr);
        fx_line(x, "resp %s %u %s%s%s%s \"%s\"", vn, (unsigned)ev->msgno, r->ok ? "ok" : "err",
                fx_code(r), typed, r->multiline ? " multi" : "",
                fx_escape(r->text.ptr, r->text.len));
        break;
    case MP_POP3_CEV_LIST:
        fx_line(x, "list %u %llu", (unsigned)r->msgno, (unsigned long long)r->size);
        break;
    case MP_POP3_CEV_UIDL:
        fx_line(x, "uidl %u %.*s", (unsigned)r->msgno, (int)r->uid.len, r->uid.ptr);
        break;
    case MP_POP3_CEV_CONTENT:
        fx_chunk(x, 0, r->text.ptr, r->text.len);
        break;
    case MP_POP3_CEV_END:
        if (r->err != NULL)
            fx_line(x, "end %s %u irregular %s@%llu", vn, (unsigned)ev->msgno,
                    mp_status_name(r->err->code), (unsigned long long)r->err->offset);
        else
            fx_line(x, "end %s %u", vn, (unsigned)ev->msgno);
        if (x->sc.dele_on_end && ev->verb == MP_POP3_RETR) {
            char a[32];
            snprintf(a, sizeof(a), "dele %u", (unsigned)ev->msgno);
            return fx_group(x, a, strlen(a));
        }
        break;
    case MP_POP3_CEV_CLOSED:
        fx_line(x, "closed %s%s \"%s\"", r->ok ? "ok" : "err", fx_code(r),
                fx_escape(r->text.ptr, r->text.len));
        break;
    }
    return MP_POP3_CB_CONTINUE;
}

static void fx_reset(void *state)
{
    pop3_fixture *x = state;
    const pop3_scenario *sc = &x->sc;
    const char *t = x->transcript;
    size_t i, len = strlen(t);
    mp_status st;
    x->nmarks = x->mark = 0;
    for (i = 0; i < len; i++) {
        fx_mark *mk = &x->marks[x->nmarks];
        if (t[i] != '<')
            continue;
        if (strncmp(t + i, "<TLS>", 5) == 0) {
            mk->tls = 1;
            mk->len = 5;
        } else if (strncmp(t + i, "<SEND>", 6) == 0) {
            mk->tls = 0;
            mk->len = 6;
            mk->n = SIZE_MAX;
        } else if ((mk->len = mp_send_mark(t + i, &mk->n)) != 0) {
            mk->tls = 0;
        } else {
            continue;
        }
        assert_true(x->nmarks < FX_MAXMARK);
        mk->at = i;
        x->nmarks++;
        i += mk->len - 1;
    }
    memset(&x->cfg, 0, sizeof(x->cfg));
    x->cfg.tls = sc->tls;
    x->cfg.flags = sc->flags;
    x->cfg.resp_flags = sc->resp_flags;
    x->cfg.max_body = sc->max_body;
    if (!sc->no_auth_buf) {
        x->cfg.auth_buf = x->authbuf;
        x->cfg.auth_cap = sizeof(x->authbuf);
    }
    x->cb.on_event = fx_on_event;
    x->crypto = mp_crypto_builtin(fx_random, NULL);
    x->fed = 0;
    x->ready = 0;
    x->npending = 0;
    x->stopped = 0;
    x->chunk_out = -1;
    st = (sc->lean ? mp_pop3_client_init_lean : mp_pop3_client_init)(
        &x->c, &x->cfg, &x->cb, x, x->out, sc->outcap ? sc->outcap : sizeof(x->out));
    assert_int_equal(st, MP_OK);
}

static void fx_run_pending(pop3_fixture *x)
{
    size_t i, n = x->npending;
    x->npending = 0;
    for (i = 0; i < n; i++)
        fx_act(x, x->pending[i]);
}

static void fx_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    pop3_fixture *x = state;
    x->log = log;
    while (n > 0 && !x->stopped) {
        size_t used = 0, k = n;
        mp_status st;
        const fx_mark *mk = x->mark < x->nmarks ? &x->marks[x->mark] : NULL;
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
                st = mp_pop3_client_tls_started(&x->c);
                fx_line(x, "tls-started %s", mp_status_name(st));
                fx_run_pending(x); /* a lean session is READY at once */
            } else {
                fx_send(x, mk->n);
            }
            continue;
        }
        if (mk != NULL && mk->at - x->fed < k)
            k = mk->at - x->fed;
        st = mp_pop3_client_feed(&x->c, p, k, &used);
        assert_true(used <= k);
        x->fed += used;
        p += used;
        n -= used;
        if (st == MP_PAUSED) {
            assert_true(x->later || x->npending == 0);
            fx_run_pending(x);
            continue;
        }
        if (st == MP_NEED_MORE)
            continue;
        if (st == MP_TRANSPORT_SWITCH) {
            /* Without a <TLS> marker right here the host never starts TLS:
             * the next read arrives before tls_started and must be refused
             * as an injection, exactly as if it came in the same read. */
            if (mk != NULL && mk->tls && x->fed == mk->at)
                fx_line(x, "switch");
            continue;
        }
        if (st == MP_CLOSED)
            fx_line(x, "status MP_CLOSED");
        else
            fx_line(x, "status %s @%llu", mp_status_name(st),
                    (unsigned long long)mp_pop3_client_error(&x->c)->offset);
        x->stopped = 1;
    }
}

static void fx_finish(void *state, mp_evlog *log)
{
    pop3_fixture *x = state;
    mp_pop3_client_failure f = mp_pop3_client_first_failure(&x->c);
    x->log = log;
    if (f.status != MP_OK)
        fx_line(x, "first-failure %s %s %u [%s] @%llu", mp_status_name(f.status),
                f.verb ? mp_pop3_verb_name(f.verb) : "-", (unsigned)f.msgno,
                mp_pop3_code_text(f.code), (unsigned long long)f.offset);
    fx_line(x, "end phase=%d", (int)mp_pop3_client_phase_of(&x->c));
}

static const mp_split_target fx_target = { fx_reset, fx_feed, fx_finish, &fx };

/* Run `server` under `sc`, the host answering at once and later: both
 * logs must be `want` (NULL: equal to each other). */
static void fx_run(const pop3_scenario *sc, const char *server, const char *want)
{
    static char first[MP_EVLOG_CAP];
    const char *got;
    fx.sc = *sc;
    fx.transcript = server;
    fx.later = 0;
    got = mp_split_check(&fx_target, server, strlen(server), want);
    snprintf(first, sizeof(first), "%s", got);
    fx.later = 1;
    (void)mp_split_check(&fx_target, server, strlen(server), first);
}

/* A scenario from a vector's parameters. */
static void fx_scenario(const mp_vector *v, pop3_scenario *sc)
{
    const char *t = mp_vector_param(v, "tls", "none");
    const char *f = mp_vector_param(v, "flags", "");
    const char *m = mp_vector_param(v, "mech", NULL);
    memset(sc, 0, sizeof(*sc));
    sc->tls = strcmp(t, "implicit") == 0        ? MP_POP3_TLS_IMPLICIT
              : strcmp(t, "required") == 0      ? MP_POP3_TLS_REQUIRED
              : strcmp(t, "opportunistic") == 0 ? MP_POP3_TLS_OPPORTUNISTIC
                                                : MP_POP3_TLS_NONE;
    if (strstr(f, "cleartext"))
        sc->flags |= MP_POP3_CLIENT_CLEARTEXT_OK;
    if (strstr(f, "nopipelining"))
        sc->flags |= MP_POP3_CLIENT_NO_PIPELINING;
    if (strstr(f, "lflines"))
        sc->resp_flags |= MP_POP3_RESP_LF_LINES;
    if (strstr(f, "strict"))
        sc->resp_flags |= MP_POP3_RESP_CONTENT_STRICT;
    sc->lean = atoi(mp_vector_param(v, "lean", "0"));
    sc->no_auth_buf = atoi(mp_vector_param(v, "noauthbuf", "0"));
    sc->max_body = strtoull(mp_vector_param(v, "max_body", "0"), NULL, 10);
    sc->outcap = (size_t)strtoul(mp_vector_param(v, "outcap", "0"), NULL, 10);
    snprintf(sc->host, sizeof(sc->host), "%s%s", mp_vector_param(v, "host", ""),
             mp_vector_param(v, "host2", ""));
    sc->dele_on_end = strcmp(mp_vector_param(v, "on_end", ""), "dele") == 0;
    sc->mech = m ? mp_sasl_mech_from_name(m, strlen(m)) : MP_SASL_MECH_NONE;
    snprintf(sc->nonce, sizeof(sc->nonce), "%s", mp_vector_param(v, "nonce", ""));
    snprintf(sc->user, sizeof(sc->user), "%s", mp_vector_param(v, "user", "alice"));
    {
        const char *pw = mp_vector_param(v, "pass", "pencil");
        int i, rep = atoi(mp_vector_param(v, "passrep", "1"));
        for (i = 0; i < rep; i++)
            snprintf(sc->pass + strlen(sc->pass), sizeof(sc->pass) - strlen(sc->pass), "%s", pw);
    }
}

#endif
