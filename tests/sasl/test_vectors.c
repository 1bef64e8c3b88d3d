/* SASL exchanges from data files (tests/vectors/sasl/NAME.vec), each run
 * through the CRLF line framer and the base64 framing helpers, whole, byte
 * by byte and at every split (mp_split_check).
 *
 * File format, one case after "=== title":
 *   server MECH key=value ...   a server; the input is the client's lines
 *   client MECH key=value ...   a client; the input is the server's lines
 *   > text                      input bytes (\r \n \\ \xNN escapes)
 *   < text                      one expected event line
 * Keys (values take the same escapes, no spaces):
 *   user pass authzid token host port nonce: client credentials / nonce
 *   ir=1: the server's first line is the initial response ("=" = empty)
 *   snonce cram: server SCRAM nonce, CRAM-MD5 challenge
 *   dbuser dbpass dbsalt iter: the server host's account
 *   flags=success_data,login_ir,cb_advertised: server config flags
 *   cache=1: the SCRAM client uses a SaltedPassword cache for dbsalt/iter
 * Server events: challenge/done <base64>, paused want=N authzid=.. authcid=..,
 * error NAME @offset, decode NAME, ignored <line>, line-error NAME.
 * Client events: response/last <base64>, error NAME @offset, skipped,
 * finish NAME. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dirent.h>

#include <cmocka.h>

#include "mailproto/sasl.h"
#include "split.h"
#include "sasl_harness.h"

#define VAL_MAX 512

typedef struct opts {
    int server;
    mp_sasl_mech mech;
    char user[VAL_MAX], pass[VAL_MAX], authzid[VAL_MAX], token[VAL_MAX], host[VAL_MAX];
    char nonce[VAL_MAX], snonce[VAL_MAX], cram[VAL_MAX];
    char dbuser[VAL_MAX], dbpass[VAL_MAX], dbsalt[VAL_MAX];
    size_t user_n, pass_n, authzid_n, token_n, host_n, nonce_n, snonce_n, cram_n;
    size_t dbuser_n, dbpass_n, dbsalt_n;
    unsigned port, iter, flags;
    int ir, cache;
} opts;

static size_t unescape(const char *s, const char *end, char *out)
{
    size_t n = 0;
    while (s < end && *s != '\n') {
        if (s[0] == '\\' && s + 1 < end && s[1] == 'r') {
            out[n++] = '\r';
            s += 2;
        } else if (s[0] == '\\' && s + 1 < end && s[1] == 'n') {
            out[n++] = '\n';
            s += 2;
        } else if (s[0] == '\\' && s + 1 < end && s[1] == '\\') {
            out[n++] = '\\';
            s += 2;
        } else if (s[0] == '\\' && s + 3 < end && s[1] == 'x') {
            char h[3] = { s[2], s[3], 0 };
            out[n++] = (char)strtoul(h, NULL, 16);
            s += 4;
        } else {
            out[n++] = *s++;
        }
    }
    return n;
}

/* ---- host and fixtures ------------------------------------------------- */

static unsigned rnd;

typedef struct fx {
    sasl_server_fx sv; /* first: its `paused` callback casts back */
    const opts *o;
    sasl_client_fx cl; /* the client runs (sasl_harness.h) */
    mp_sasl_server_config cfg;
    mp_crypto_provider cp;
    uint8_t sk[32], svk[32], sp[32]; /* the host's SCRAM data, derived once */
} fx;

static int eq(mp_slice a, const char *b, size_t n)
{
    return a.len == n && (n == 0 || memcmp(a.ptr, b, n) == 0);
}

static void host_answer(fx *x)
{
    mp_sasl_server *s = &x->sv.s;
    const opts *o = x->o;
    int known = eq(s->authcid, o->dbuser, o->dbuser_n);
    switch (s->want) {
    case MP_SASL_WANT_VERIFY:
        if (s->mech == MP_SASL_EXTERNAL)
            assert_int_equal(mp_sasl_server_verify(s, s->authzid.len == 0 ||
                                                          eq(s->authzid, o->dbuser, o->dbuser_n)),
                             MP_OK);
        else if (s->token.len > 0)
            assert_int_equal(mp_sasl_server_verify(s, eq(s->token, o->dbpass, o->dbpass_n)), MP_OK);
        else
            assert_int_equal(mp_sasl_server_verify(s, known && eq(s->password, o->dbpass, o->dbpass_n)),
                             MP_OK);
        break;
    case MP_SASL_WANT_SCRAM_KEYS:
        if (known)
            assert_int_equal(mp_sasl_server_set_scram(s, o->dbsalt, o->dbsalt_n, o->iter, x->sk, x->svk),
                             MP_OK);
        else
            assert_int_equal(mp_sasl_server_verify(s, 0), MP_OK);
        break;
    case MP_SASL_WANT_SECRET:
        if (known)
            assert_int_equal(mp_sasl_server_set_secret(s, o->dbpass, o->dbpass_n), MP_OK);
        else
            assert_int_equal(mp_sasl_server_verify(s, 0), MP_OK);
        break;
    default:
        fail();
    }
}

static void srv_paused(sasl_server_fx *sv, mp_evlog *log)
{
    mp_evlog_add(log, "paused want=%d authzid=%.*s authcid=%.*s", (int)sv->s.want,
                 (int)sv->s.authzid.len, sv->s.authzid.ptr, (int)sv->s.authcid.len, sv->s.authcid.ptr);
    host_answer((fx *)sv);
}

static void srv_reset(void *state)
{
    fx *x = state;
    const opts *o = x->o;
    rnd = 0;
    x->cp = mp_crypto_builtin(sasl_counter_random, &rnd);
    memset(&x->cfg, 0, sizeof x->cfg);
    x->cfg.flags = o->flags;
    x->cfg.scram_nonce = mp_slice_make(o->snonce, o->snonce_n);
    x->cfg.cram_challenge = mp_slice_make(o->cram, o->cram_n);
    x->cfg.hostname = MP_SLICE_LIT("mx.example.org");
    x->sv.ir = o->ir;
    x->sv.paused = srv_paused;
    sasl_server_fx_start(&x->sv, o->mech, &x->cp, &x->cfg);
}

static void srv_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    fx *x = state;
    sasl_server_fx_feed(&x->sv, p, n, log);
}

static void run_case(const opts *o, const char *in, size_t inlen, const char *want)
{
    static fx x;
    mp_split_target t;
    memset(&x, 0, sizeof x);
    x.o = o;
    if (mp_sasl_mech_get(o->mech)->flags & MP_SASL_MECH_MUTUAL) {
        /* The host's keys and the client's cache, once per case. */
        mp_crypto_provider cp = mp_crypto_builtin(NULL, NULL);
        assert_int_equal(mp_sasl_scram_derive(o->mech, &cp, o->dbpass, o->dbpass_n, o->dbsalt,
                                              o->dbsalt_n, o->iter, x.sk, x.svk, x.sp),
                         MP_OK);
    }
    x.cl.cr.username = mp_slice_make(o->user, o->user_n);
    x.cl.cr.password = mp_slice_make(o->pass, o->pass_n);
    x.cl.cr.authzid = mp_slice_make(o->authzid, o->authzid_n);
    x.cl.cr.token = mp_slice_make(o->token, o->token_n);
    x.cl.cr.oauth_host = mp_slice_make(o->host, o->host_n);
    x.cl.cr.oauth_port = (uint16_t)o->port;
    if (o->cache) {
        x.cl.cr.scram_salted_password = x.sp;
        x.cl.cr.scram_salt = (const uint8_t *)o->dbsalt;
        x.cl.cr.scram_salt_len = o->dbsalt_n;
        x.cl.cr.scram_iterations = o->iter;
    }
    x.cl.mech = o->mech;
    x.cl.nonce = o->nonce;
    x.cl.nonce_n = o->nonce_n;
    t.reset = o->server ? srv_reset : sasl_client_fx_reset;
    t.feed = o->server ? srv_feed : sasl_client_fx_feed;
    t.finish = o->server ? NULL : sasl_client_fx_finish;
    t.state = o->server ? (void *)&x : (void *)&x.cl;
    mp_split_check(&t, in, inlen, want);
}

/* ---- file reader ------------------------------------------------------- */

static void set_opt(opts *o, const char *k, size_t kl, const char *v, const char *vend)
{
#define STR(name)                                                                                  \
    if (kl == sizeof(#name) - 1 && memcmp(k, #name, kl) == 0) {                                    \
        o->name##_n = unescape(v, vend, o->name);                                                  \
        return;                                                                                    \
    }
    STR(user) STR(pass) STR(authzid) STR(token) STR(host) STR(nonce) STR(snonce) STR(cram)
    STR(dbuser) STR(dbpass) STR(dbsalt)
#undef STR
    if (kl == 4 && memcmp(k, "port", 4) == 0) {
        o->port = (unsigned)strtoul(v, NULL, 10);
    } else if (kl == 4 && memcmp(k, "iter", 4) == 0) {
        o->iter = (unsigned)strtoul(v, NULL, 10);
    } else if (kl == 2 && memcmp(k, "ir", 2) == 0) {
        o->ir = v[0] == '1';
    } else if (kl == 5 && memcmp(k, "cache", 5) == 0) {
        o->cache = v[0] == '1';
    } else if (kl == 5 && memcmp(k, "flags", 5) == 0) {
        size_t vl = (size_t)(vend - v);
        char f[128];
        assert_true(vl < sizeof f);
        memcpy(f, v, vl);
        f[vl] = 0;
        if (strstr(f, "success_data")) o->flags |= MP_SASL_SERVER_SUCCESS_DATA;
        if (strstr(f, "login_ir")) o->flags |= MP_SASL_SERVER_LOGIN_IR;
        if (strstr(f, "cb_advertised")) o->flags |= MP_SASL_SERVER_CB_ADVERTISED;
    } else {
        print_error("unknown key %.*s\n", (int)kl, k);
        fail();
    }
}

static void parse_header(opts *o, const char *line, const char *end)
{
    const char *w = line, *we;
    memset(o, 0, sizeof *o);
    o->iter = 4096;
    o->server = strncmp(w, "server ", 7) == 0;
    assert_true(o->server || strncmp(w, "client ", 7) == 0);
    w += 7;
    we = w;
    while (we < end && *we != ' ' && *we != '\n') we++;
    o->mech = mp_sasl_mech_from_name(w, (size_t)(we - w));
    assert_int_not_equal(o->mech, MP_SASL_MECH_NONE);
    w = we;
    while (w < end && *w != '\n') {
        const char *k, *eqs;
        while (w < end && *w == ' ') w++;
        k = w;
        while (w < end && *w != ' ' && *w != '\n') w++;
        if (w == k) break;
        eqs = memchr(k, '=', (size_t)(w - k));
        assert_non_null(eqs);
        set_opt(o, k, (size_t)(eqs - k), eqs + 1, w);
    }
}

static char file_buf[1 << 18];
static char in_buf[1 << 16];
static char want_buf[1 << 16];

static int run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    size_t flen, inlen = 0, wantlen = 0;
    const char *line, *end;
    static opts o;
    int have = 0, ncase = 0;
    assert_non_null(fp);
    flen = fread(file_buf, 1, sizeof file_buf - 1, fp);
    fclose(fp);
    file_buf[flen] = 0;
    end = file_buf + flen;
    for (line = file_buf; line <= end; ) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *next = nl ? nl + 1 : end + 1;
        const char *lend = nl ? nl : end;
        int last = nl == NULL;
        if (last || strncmp(line, "===", 3) == 0) {
            if (have) {
                want_buf[wantlen] = 0;
                run_case(&o, in_buf, inlen, want_buf);
                ncase++;
            }
            have = 0;
            inlen = wantlen = 0;
        }
        if (strncmp(line, "server ", 7) == 0 || strncmp(line, "client ", 7) == 0) {
            parse_header(&o, line, lend);
            have = 1;
        } else if (line[0] == '>' && line[1] == ' ') {
            inlen += unescape(line + 2, lend, in_buf + inlen);
        } else if (line[0] == '<' && line[1] == ' ') {
            size_t l = (size_t)(lend - line) - 2;
            memcpy(want_buf + wantlen, line + 2, l);
            wantlen += l;
            want_buf[wantlen++] = '\n';
        }
        line = next;
    }
    printf("%s: %d cases\n", path, ncase);
    return ncase;
}

static void test_vector_files(void **st)
{
    const char *dir = getenv("MP_VECTORS");
    char path[4096];
    DIR *d;
    struct dirent *e;
    int nfiles = 0, ncases = 0;
    (void)st;
    assert_non_null(dir);
    snprintf(path, sizeof path, "%s/sasl", dir);
    d = opendir(path);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".vec") == 0) {
            snprintf(path, sizeof path, "%s/sasl/%s", dir, e->d_name);
            ncases += run_file(path);
            nfiles++;
        }
    }
    closedir(d);
    assert_true(nfiles > 0);
    assert_true(ncases > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
