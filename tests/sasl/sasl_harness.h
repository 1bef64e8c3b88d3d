/* Test scaffolding shared by the SASL tests (tests/sasl/ has no
 * CMakeLists.txt: every test_*.c is its own program, so the shared parts
 * are static functions in this header, included once per program).
 *  - sasl_counter_random: a predictable random source, so that nonces and
 *    the expected transcripts that hold them are fixed;
 *  - sasl_client_feed_lines / sasl_client_fx: the client side of an
 *    exchange driven by server challenge lines, logging what a protocol
 *    session would send;
 *  - sasl_server_fx: the server side fed client response lines, with the
 *    host's answers supplied by the test. */
#ifndef MP_TEST_SASL_HARNESS_H
#define MP_TEST_SASL_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "mailproto/sasl.h"
#include "split.h"

/* Byte i of the stream is (counter after i+1 steps) * 131; `user` points
 * at the unsigned counter (reset it for a fresh run). */
static int sasl_counter_random(void *user, uint8_t *out, size_t len)
{
    unsigned *ctr = user;
    size_t i;
    for (i = 0; i < len; i++) out[i] = (uint8_t)(++*ctr * 131u);
    return 0;
}

/* Feed server challenge lines (base64, CRLF-framed by `f`) to client `c`.
 * Logs "response B64" / "last B64" for what the client answers,
 * "error STATUS @offset" once the client fails (then *over is set and
 * later lines are "skipped"), and "skipped" for framing errors. */
static void sasl_client_feed_lines(mp_line_framer *f, mp_sasl_client *c, int *over,
                                   const char *p, size_t n, mp_evlog *log)
{
    static char dec[MP_SASL_MAX_MESSAGE], out[MP_SASL_MAX_MESSAGE];
    static char b64[MP_BASE64_ENCODED_LEN(MP_SASL_MAX_MESSAGE)];
    while (n > 0) {
        size_t used = 0, dn, on = 0, bn;
        mp_slice line;
        mp_status st = mp_line_framer_next(f, p, n, &used, &line);
        p += used;
        n -= used;
        if (st == MP_NEED_MORE) break;
        if (st != MP_OK || *over) {
            mp_evlog_add(log, "skipped");
            continue;
        }
        st = mp_sasl_decode_challenge(line.ptr, line.len, dec, sizeof dec, &dn);
        if (st == MP_OK) st = mp_sasl_client_step(c, dec, dn, out, sizeof out, &on);
        if (st == MP_NEED_MORE || st == MP_DONE) {
            assert_int_equal(mp_sasl_encode(out, on, b64, sizeof b64, &bn), MP_OK);
            mp_evlog_add(log, "%s %.*s", st == MP_DONE ? "last" : "response", (int)bn, b64);
        } else {
            mp_evlog_add(log, "error %s @%llu", mp_status_name(st), (unsigned long long)c->err.offset);
            *over = 1;
        }
    }
}

/* A client exchange as an mp_split_target (state: sasl_client_fx): the
 * host sets mech, cr (its bytes must outlive the run) and optionally a
 * fixed client nonce, then runs mp_split_check with the three functions
 * below.  The log ends with "finish STATUS" of mp_sasl_client_finish. */
typedef struct sasl_client_fx {
    mp_line_framer f;
    char fbuf[MP_SMTP_MAX_AUTH_LINE];
    mp_sasl_client c;
    mp_sasl_credentials cr;
    mp_crypto_provider cp;
    unsigned rnd;
    mp_sasl_mech mech;
    const char *nonce; /* NULL: the provider's random nonce */
    size_t nonce_n;
    int over;
} sasl_client_fx;

static void sasl_client_fx_reset(void *state)
{
    sasl_client_fx *x = state;
    x->rnd = 0;
    x->cp = mp_crypto_builtin(sasl_counter_random, &x->rnd);
    assert_int_equal(mp_line_framer_init(&x->f, x->fbuf, sizeof x->fbuf, MP_SMTP_MAX_AUTH_LINE, 0), MP_OK);
    assert_int_equal(mp_sasl_client_start(&x->c, x->mech, &x->cr, &x->cp), MP_OK);
    if (x->nonce != NULL && x->nonce_n > 0)
        assert_int_equal(mp_sasl_client_set_nonce(&x->c, x->nonce, x->nonce_n), MP_OK);
    x->over = 0;
}

static void sasl_client_fx_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    sasl_client_fx *x = state;
    sasl_client_feed_lines(&x->f, &x->c, &x->over, p, n, log);
}

static void sasl_client_fx_finish(void *state, mp_evlog *log)
{
    sasl_client_fx *x = state;
    mp_evlog_add(log, "finish %s", mp_status_name(mp_sasl_client_finish(&x->c)));
}

/* The server side of an exchange fed client response lines.  Embed it
 * as the FIRST member of the test's fixture: `paused` gets the
 * sasl_server_fx pointer back and may cast it to the fixture; it logs
 * what the host is asked and answers (mp_sasl_server_verify / _set_*). */
typedef struct sasl_server_fx sasl_server_fx;
struct sasl_server_fx {
    mp_line_framer f;
    char fbuf[MP_SMTP_MAX_AUTH_LINE];
    mp_sasl_server s;
    int ir;      /* the first line is the initial response */
    int lines;
    int over;    /* the exchange ended: later lines are "ignored" */
    void (*paused)(sasl_server_fx *sv, mp_evlog *log);
};

/* Start the server; without an initial response it sends its first
 * (empty or CRAM-MD5) challenge, which the transcript does not log. */
static void sasl_server_fx_start(sasl_server_fx *sv, mp_sasl_mech mech,
                                 const mp_crypto_provider *cp, const mp_sasl_server_config *cfg)
{
    static char out[MP_SASL_MAX_MESSAGE];
    size_t n;
    assert_int_equal(mp_line_framer_init(&sv->f, sv->fbuf, sizeof sv->fbuf, MP_SMTP_MAX_AUTH_LINE, 0), MP_OK);
    assert_int_equal(mp_sasl_server_start(&sv->s, mech, cp, cfg), MP_OK);
    sv->lines = 0;
    sv->over = 0;
    if (!sv->ir) assert_int_equal(mp_sasl_server_step(&sv->s, NULL, 0, out, sizeof out, &n), MP_NEED_MORE);
}

/* Logs "challenge B64" / "done B64" or "error STATUS @offset" for a step
 * result, after letting the host answer every MP_PAUSED. */
static void sasl_server_fx_result(sasl_server_fx *sv, mp_status st, char *out, size_t n, mp_evlog *log)
{
    static char b64[MP_BASE64_ENCODED_LEN(MP_SASL_MAX_MESSAGE)];
    size_t bn;
    while (st == MP_PAUSED) {
        sv->paused(sv, log);
        st = mp_sasl_server_step(&sv->s, NULL, 0, out, MP_SASL_MAX_MESSAGE, &n);
    }
    if (st == MP_NEED_MORE || st == MP_DONE) {
        assert_int_equal(mp_sasl_encode(out, n, b64, sizeof b64, &bn), MP_OK);
        mp_evlog_add(log, "%s %.*s", st == MP_DONE ? "done" : "challenge", (int)bn, b64);
        if (st == MP_DONE) sv->over = 1;
    } else {
        mp_evlog_add(log, "error %s @%llu", mp_status_name(st), (unsigned long long)sv->s.err.offset);
        sv->over = 1;
    }
}

/* Feed client response lines: "line-error", "ignored", "decode STATUS"
 * events besides the step results above. */
static void sasl_server_fx_feed(sasl_server_fx *sv, const char *p, size_t n, mp_evlog *log)
{
    static char out[MP_SASL_MAX_MESSAGE], dec[MP_SASL_MAX_MESSAGE];
    while (n > 0) {
        size_t used = 0, dn, on = 0;
        mp_slice line;
        mp_status st = mp_line_framer_next(&sv->f, p, n, &used, &line);
        p += used;
        n -= used;
        if (st == MP_NEED_MORE) break;
        if (st != MP_OK) {
            mp_evlog_add(log, "line-error %s", mp_status_name(st));
            continue;
        }
        if (sv->over) {
            mp_evlog_text(log, "ignored", line.ptr, line.len);
            continue;
        }
        st = (sv->ir && sv->lines == 0) ? mp_sasl_decode_initial(line.ptr, line.len, dec, sizeof dec, &dn)
                                        : mp_sasl_decode_response(line.ptr, line.len, dec, sizeof dec, &dn);
        sv->lines++;
        if (st != MP_OK) {
            mp_evlog_add(log, "decode %s", mp_status_name(st));
            sv->over = 1;
            continue;
        }
        st = mp_sasl_server_step(&sv->s, dec, dn, out, sizeof out, &on);
        sasl_server_fx_result(sv, st, out, on, log);
    }
}

#endif
