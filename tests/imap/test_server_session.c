/* IMAP server session: RFC transcripts byte for byte, whole and at every
 * split, with a host answering inside the callbacks and one answering
 * after feed paused (the logs must match); the state table, STARTTLS
 * injection, LOGINDISABLED, SASL-IR, literal refusal, one completion,
 * IDLE notifications, the error limit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/imap_server.h"
#include "mailproto/sasl.h"
#include "split.h"

/* A scripted answer: the untagged responses and the tagged completion
 * the host writes for the command with this tag. */
typedef struct script {
    const char *tag;
    const char *resp;
} script;

typedef struct host {
    mp_imap_server s;
    mp_imap_server_config cfg;
    mp_imap_server_callbacks cb;
    mp_sasl_server sasl;
    char out[MP_IMAP_SERVER_MIN_OUT];
    char buf[MP_IMAP_SERVER_BUF];
    char wire[65536]; /* every byte the session wrote, in order */
    size_t wlen;
    mp_evlog *log;
    const script *scripts;
    char tag[MP_IMAP_MAX_TAG + 1];
    unsigned flags;
    int async;
    int closed;
    int started;
    int refuse_literal;
    int no_flush; /* the host does not send: the output stays */
} host;

static host H;

static void flush(host *h)
{
    size_t n;
    const char *o;
    if (h->no_flush)
        return;
    o = mp_imap_server_output(&h->s, &n);
    while (n > 0) {
        mp_evlog_chunk(h->log, "S", o, n);
        assert_true(h->wlen + n <= sizeof(h->wire));
        memcpy(h->wire + h->wlen, o, n);
        h->wlen += n;
        mp_imap_server_output_done(&h->s, n);
        o = mp_imap_server_output(&h->s, &n);
    }
}

/* ---- the scripted host: responses replayed through the typed calls -------- */

static int replay_event(void *u, const mp_imap_resp_event *ev)
{
    host *h = u;
    if (ev->type == MP_IMAP_EV_ERROR)
        fail_msg("script does not parse");
    if (ev->type == MP_IMAP_EV_LITERAL_CHUNK) {
        size_t off = 0;
        while (off < ev->str.len) {
            size_t taken = 0;
            assert_int_equal(mp_imap_server_literal_data(&h->s, ev->str.ptr + off,
                                                         ev->str.len - off, &taken),
                             MP_OK);
            off += taken;
        }
        return 0;
    }
    assert_int_equal(mp_imap_server_respond(&h->s, ev), MP_OK);
    return 0;
}

static const char *kinds[] = { "OK", "NO", "BAD" };
static const mp_imap_resp_kind kind_ids[] = { MP_IMAP_RESP_OK, MP_IMAP_RESP_NO, MP_IMAP_RESP_BAD };

/* "tag KIND [code] text\r\n": the completion. */
static void complete_line(host *h, const char *l)
{
    char code[256], text[256];
    const char *sp = strchr(l, ' '), *k, *e = strstr(l, "\r\n");
    size_t i, n;
    assert_non_null(sp);
    k = sp + 1;
    for (i = 0; i < 3; i++) {
        n = strlen(kinds[i]);
        if (strncmp(k, kinds[i], n) == 0 && (k[n] == ' ' || k[n] == '\r'))
            break;
    }
    assert_true(i < 3);
    k += strlen(kinds[i]);
    code[0] = text[0] = '\0';
    if (k[0] == ' ' && k[1] == '[') {
        const char *c = strchr(k, ']');
        memcpy(code, k + 2, (size_t)(c - k - 2));
        code[c - k - 2] = '\0';
        k = c + 1;
    }
    if (*k == ' ') {
        memcpy(text, k + 1, (size_t)(e - k - 1));
        text[e - k - 1] = '\0';
    }
    assert_int_equal(mp_imap_server_complete(&h->s, kind_ids[i], code[0] ? code : NULL,
                                             text[0] ? text : NULL),
                     MP_OK);
}

static void run_script(host *h)
{
    const script *sc = h->scripts;
    const char *r, *last;
    size_t n;
    while (sc && sc->tag && strcmp(sc->tag, h->tag) != 0)
        sc++;
    if (sc == NULL || sc->tag == NULL) {
        assert_int_equal(mp_imap_server_complete(&h->s, MP_IMAP_RESP_BAD, NULL, "no script"),
                         MP_OK);
        return;
    }
    r = sc->resp;
    n = strlen(r);
    /* the last line is the completion */
    last = r + n - 2;
    while (last > r && !(last[-2] == '\r' && last[-1] == '\n'))
        last--;
    if (last > r) {
        static const mp_imap_resp_callbacks rcb = { replay_event };
        mp_imap_resp_parser p;
        char pbuf[8192];
        size_t used = 0;
        mp_imap_resp_config rc;
        memset(&rc, 0, sizeof(rc));
        rc.mode = h->s.w.mode;
        assert_int_equal(mp_imap_resp_init(&p, pbuf, sizeof(pbuf), &rc, &rcb, h), MP_OK);
        assert_int_equal(mp_imap_resp_feed(&p, r, (size_t)(last - r), &used), MP_NEED_MORE);
    }
    complete_line(h, last);
}

static void answer(host *h)
{
    switch (mp_imap_server_pending(&h->s)) {
    case MP_IMAP_DECIDE_COMMAND:
        run_script(h);
        break;
    case MP_IMAP_DECIDE_LITERAL:
        if (h->refuse_literal)
            assert_int_equal(mp_imap_server_literal_refuse(&h->s, "TOOBIG", "Message too big"),
                             MP_OK);
        else
            assert_int_equal(mp_imap_server_literal_accept(&h->s), MP_OK);
        break;
    case MP_IMAP_DECIDE_AUTH: {
        mp_sasl_server *sa = h->cfg.sasl;
        int ok = sa->authcid.len == 3 && memcmp(sa->authcid.ptr, "mrc", 3) == 0 &&
                 sa->password.len == 6 && memcmp(sa->password.ptr, "secret", 6) == 0;
        assert_int_equal(sa->want, MP_SASL_WANT_VERIFY);
        assert_int_equal(mp_sasl_server_verify(sa, ok), MP_OK);
        assert_int_equal(mp_imap_server_auth_resume(&h->s), MP_OK);
        break;
    }
    default:
        fail_msg("nothing pending");
    }
}

static int decided(host *h)
{
    if (!h->async)
        answer(h);
    return 0;
}

static const char *req_names[] = { "", "begin", "arg", "data", "data_end", "exec", "cancel" };

static int on_request(void *u, mp_imap_server *s, const mp_imap_server_req *r)
{
    host *h = u;
    (void)s;
    flush(h);
    if (r->type == MP_IMAP_REQ_DATA) {
        mp_evlog_chunk(h->log, "data", r->data.ptr, r->data.len);
        return 0;
    }
    if (r->type == MP_IMAP_REQ_ARG) {
        mp_evlog_add(h->log, "arg %d %.*s", (int)r->arg->kind, (int)r->arg->text.len,
                     r->arg->text.ptr ? r->arg->text.ptr : "");
        return 0;
    }
    mp_evlog_add(h->log, "%s %.*s %s", req_names[r->type], (int)r->tag.len, r->tag.ptr,
                 mp_imap_cmd_name(r->cmd));
    if (r->type == MP_IMAP_REQ_BEGIN) {
        memcpy(h->tag, r->tag.ptr, r->tag.len);
        h->tag[r->tag.len] = '\0';
    }
    return r->type == MP_IMAP_REQ_EXECUTE ? decided(h) : 0;
}

static int on_literal(void *u, mp_imap_server *s, uint64_t size)
{
    host *h = u;
    (void)s;
    flush(h);
    mp_evlog_add(h->log, "literal %llu", (unsigned long long)size);
    return decided(h);
}

static int on_auth(void *u, mp_imap_server *s)
{
    host *h = u;
    (void)s;
    flush(h);
    mp_evlog_add(h->log, "auth %.*s", (int)h->sasl.authcid.len, h->sasl.authcid.ptr);
    return decided(h);
}

static int on_idle(void *u, mp_imap_server *s, int active)
{
    host *h = u;
    (void)s;
    flush(h);
    mp_evlog_add(h->log, "idle %d", active);
    return 0;
}

static void on_error(void *u, mp_imap_server *s, const mp_error *e)
{
    host *h = u;
    (void)s;
    flush(h);
    mp_evlog_add(h->log, "error %s", mp_status_name(e->code));
}

static void h_reset(void *state)
{
    host *h = state;
    const script *sc = h->scripts;
    unsigned flags = h->flags;
    int async = h->async, refuse = h->refuse_literal;
    memset(h, 0, sizeof(*h));
    h->scripts = sc;
    h->flags = flags;
    h->async = async;
    h->refuse_literal = refuse;
    h->cfg.flags = flags;
    h->cfg.buf = h->buf;
    h->cfg.buf_cap = sizeof(h->buf);
    h->cfg.sasl = &h->sasl;
    h->cfg.auth_mechs = "PLAIN";
    h->cfg.greeting = "IMAP4rev1 Service Ready";
    h->cfg.bye = "IMAP4rev1 server terminating connection";
    h->cb.on_request = on_request;
    h->cb.on_literal = on_literal;
    h->cb.on_auth = on_auth;
    h->cb.on_idle = on_idle;
    h->cb.on_error = on_error;
}

static void h_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    host *h = state;
    h->log = log;
    if (!h->started) {
        assert_int_equal(mp_imap_server_init(&h->s, &h->cfg, &h->cb, h, h->out, sizeof(h->out)),
                         MP_OK);
        h->started = 1;
        flush(h);
    }
    while (n > 0 && !h->closed) {
        size_t used = 0;
        mp_status st = mp_imap_server_feed(&h->s, p, n, &used);
        assert_true(used <= n);
        flush(h);
        p += used;
        n -= used;
        switch (st) {
        case MP_OK:
            assert_int_equal(n, 0);
            break;
        case MP_PAUSED:
            if (mp_imap_server_pending(&h->s) != MP_IMAP_DECIDE_NONE) {
                assert_true(h->async);
                answer(h);
                flush(h);
            }
            break;
        case MP_CLOSED:
            mp_evlog_add(log, "closed");
            h->closed = 1;
            break;
        case MP_TRANSPORT_SWITCH:
            if (h->s.switching == 1) {
                mp_evlog_add(log, "tls, %llu dropped", (unsigned long long)h->s.injected);
                assert_int_equal(mp_imap_server_tls_started(&h->s), MP_OK);
                n = 0; /* what came with STARTTLS is never read */
            } else {
                mp_evlog_add(log, "deflate");
                assert_int_equal(mp_imap_server_compress_started(&h->s), MP_OK);
            }
            break;
        default:
            fail_msg("feed: %s", mp_status_name(st));
        }
    }
}

static const mp_split_target target = { h_reset, h_feed, NULL, &H };

/* Run `client` with `flags` and `scripts`, whole and split, answering at
 * once and later (same log); the server's bytes must be `server`
 * exactly.  Returns the log. */
static const char *transcript(unsigned flags, const script *scripts, const char *client,
                              const char *server)
{
    static char first[MP_EVLOG_CAP];
    mp_evlog *log = malloc(sizeof(*log));
    H.flags = flags;
    H.scripts = scripts;
    H.async = 0;
    strcpy(first, mp_split_check(&target, client, strlen(client), NULL));
    H.async = 1;
    mp_split_check(&target, client, strlen(client), first);
    /* the bytes, once more whole */
    H.async = 0;
    mp_evlog_reset(log);
    h_reset(&H);
    h_feed(&H, client, strlen(client), log);
    if (server != NULL) {
        if (H.wlen != strlen(server) || memcmp(H.wire, server, H.wlen) != 0)
            fail_msg("server bytes differ:\n%.*s\n--- want\n%s", (int)H.wlen, H.wire, server);
    }
    free(log);
    return first;
}

/* ---- RFC 3501 §8: the sample session, exactly --------------------------- */

#define HDR342                                                                          \
    "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\n"                                   \
    "From: Terry Gray <gray@cac.washington.edu>\r\n"                                    \
    "Subject: IMAP4rev1 WG mtg summary and minutes\r\n"                                 \
    "To: imap@cac.washington.edu\r\n"                                                   \
    "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\n"                 \
    "Message-Id: <B27397-0100000@cac.washington.edu>\r\n"                               \
    "MIME-Version: 1.0\r\n"                                                             \
    "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n"                                    \
    "\r\n"

static const script rfc3501_scripts[] = {
    { "a002", "* 18 EXISTS\r\n"
              "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
              "* 2 RECENT\r\n"
              "* OK [UNSEEN 17] Message 17 is the first unseen message\r\n"
              "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
              "a002 OK [READ-WRITE] SELECT completed\r\n" },
    { "a003", "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
              "RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
              "\"IMAP4rev1 WG mtg summary and minutes\" "
              "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
              "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
              "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
              "((NIL NIL \"imap\" \"cac.washington.edu\")) "
              "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")"
              "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
              "\"<B27397-0100000@cac.washington.edu>\") "
              "BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 3028 92))\r\n"
              "a003 OK FETCH completed\r\n" },
    { "a004", "* 12 FETCH (BODY[HEADER] {342}\r\n" HDR342 ")\r\n"
              "a004 OK FETCH completed\r\n" },
    { "a005", "* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\n"
              "a005 OK +FLAGS completed\r\n" },
    { NULL, NULL }
};

static void test_rfc3501_sample(void **st)
{
    const char *client = "a001 login mrc secret\r\n"
                         "a002 select inbox\r\n"
                         "a003 fetch 12 full\r\n"
                         "a004 fetch 12 body[header]\r\n"
                         "a005 store 12 +flags \\deleted\r\n"
                         "a006 logout\r\n";
    const char *server = "* OK IMAP4rev1 Service Ready\r\n"
                         "a001 OK LOGIN completed\r\n"
                         "* 18 EXISTS\r\n"
                         "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"
                         "* 2 RECENT\r\n"
                         "* OK [UNSEEN 17] Message 17 is the first unseen message\r\n"
                         "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
                         "a002 OK [READ-WRITE] SELECT completed\r\n"
                         "* 12 FETCH (FLAGS (\\Seen) INTERNALDATE \"17-Jul-1996 02:44:25 -0700\" "
                         "RFC822.SIZE 4286 ENVELOPE (\"Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\" "
                         "\"IMAP4rev1 WG mtg summary and minutes\" "
                         "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
                         "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
                         "((\"Terry Gray\" NIL \"gray\" \"cac.washington.edu\")) "
                         "((NIL NIL \"imap\" \"cac.washington.edu\")) "
                         "((NIL NIL \"minutes\" \"CNRI.Reston.VA.US\")"
                         "(\"John Klensin\" NIL \"KLENSIN\" \"MIT.EDU\")) NIL NIL "
                         "\"<B27397-0100000@cac.washington.edu>\") "
                         "BODY (\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" "
                         "3028 92))\r\n"
                         "a003 OK FETCH completed\r\n"
                         "* 12 FETCH (BODY[HEADER] {342}\r\n" HDR342 ")\r\n"
                         "a004 OK FETCH completed\r\n"
                         "* 12 FETCH (FLAGS (\\Seen \\Deleted))\r\n"
                         "a005 OK +FLAGS completed\r\n"
                         "* BYE IMAP4rev1 server terminating connection\r\n"
                         "a006 OK LOGOUT completed\r\n";
    (void)st;
    assert_int_equal(strlen(HDR342), 342);
    transcript(MP_IMAP_SRV_LOGIN | MP_IMAP_SRV_AUTH_PLAINTEXT | MP_IMAP_SRV_QUIET_CAPS,
               rfc3501_scripts, client, server);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3501_sample),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
