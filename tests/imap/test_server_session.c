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
    int idle_mail; /* new mail arrives while the client idles */
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
    while (last - r >= 2 && !(last[-2] == '\r' && last[-1] == '\n'))
        last--;
    if (last - r < 2)
        last = r; /* one line: the completion alone */
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
    flush(h);
    mp_evlog_add(h->log, "idle %d", active);
    if (active && h->idle_mail)
        assert_int_equal(mp_imap_server_notify_exists(s, 4), MP_OK);
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
    int async = h->async, refuse = h->refuse_literal, idle_mail = h->idle_mail;
    memset(h, 0, sizeof(*h));
    h->scripts = sc;
    h->flags = flags;
    h->async = async;
    h->refuse_literal = refuse;
    h->idle_mail = idle_mail;
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


/* ---- RFC 2177 §3: the IDLE example, exactly (the new mail arrives when
 * the host starts watching) ------------------------------------------------- */

static void test_rfc2177_idle(void **st)
{
    static const script sc[] = {
        { "A001", "* FLAGS (Deleted Seen)\r\n"
                  "* 3 EXISTS\r\n"
                  "* 0 RECENT\r\n"
                  "* OK [UIDVALIDITY 1]\r\n"
                  "A001 OK SELECT completed\r\n" },
        { NULL, NULL }
    };
    const char *log;
    (void)st;
    H.idle_mail = 1;
    log = transcript(MP_IMAP_SRV_PREAUTH | MP_IMAP_SRV_IDLE | MP_IMAP_SRV_QUIET_CAPS, sc,
                     "A001 SELECT INBOX\r\nA002 IDLE\r\nDONE\r\n",
                     "* PREAUTH IMAP4rev1 Service Ready\r\n"
                     "* FLAGS (Deleted Seen)\r\n"
                     "* 3 EXISTS\r\n"
                     "* 0 RECENT\r\n"
                     "* OK [UIDVALIDITY 1]\r\n"
                     "A001 OK SELECT completed\r\n"
                     "+ idling\r\n"
                     "* 4 EXISTS\r\n"
                     "A002 OK IDLE terminated\r\n");
    H.idle_mail = 0;
    assert_non_null(strstr(log, "idle 1"));
    assert_non_null(strstr(log, "idle 0"));
}

/* ---- step by step: one client read at a time, the output between -------- */

static mp_evlog slog;

/* A fresh session for `flags` (sync host, scripts as given). */
static void open_host(unsigned flags, const script *scripts)
{
    H.flags = flags;
    H.scripts = scripts;
    H.async = 0;
    H.refuse_literal = 0;
    h_reset(&H);
    mp_evlog_reset(&slog);
    h_feed(&H, "", 0, &slog);
}

/* Feed `in` as one read; the bytes the session wrote for it. */
static const char *step(const char *in)
{
    static char got[sizeof(H.wire) + 1];
    size_t from = H.wlen;
    h_feed(&H, in, strlen(in), &slog);
    flush(&H);
    memcpy(got, H.wire + from, H.wlen - from);
    got[H.wlen - from] = '\0';
    return got;
}

/* Feed `in` and leave the decision it raises pending. */
static void feed_only(const char *in)
{
    size_t used = 0;
    assert_int_equal(mp_imap_server_feed(&H.s, in, strlen(in), &used), MP_PAUSED);
    assert_int_equal(used, strlen(in));
}

static const script select_ok[] = {
    { "s", "* 3 EXISTS\r\ns OK [READ-WRITE] SELECT completed\r\n" },
    { "f", "* 1 FETCH (FLAGS (\\Seen))\r\nf OK FETCH completed\r\n" },
    { "u", "* 1 FETCH (FLAGS (\\Seen) UID 7)\r\nu OK FETCH completed\r\n" },
    { NULL, NULL }
};

#define ALL_FLAGS                                                                          \
    (MP_IMAP_SRV_STARTTLS | MP_IMAP_SRV_LOGIN | MP_IMAP_SRV_AUTH_PLAINTEXT |               \
     MP_IMAP_SRV_ENABLE | MP_IMAP_SRV_IDLE | MP_IMAP_SRV_ID | MP_IMAP_SRV_COMPRESS |        \
     MP_IMAP_SRV_CONDSTORE | MP_IMAP_SRV_QRESYNC | MP_IMAP_SRV_SASL_IR |                   \
     MP_IMAP_SRV_QUIET_CAPS)

/* ---- the state table (RFC 9051 §6) ---------------------------------------- */

enum { NA = 1, AU = 2, SE = 4 };
static const struct {
    const char *line;
    unsigned legal;
} state_table[] = {
    { "t CAPABILITY\r\n", NA | AU | SE },
    { "t NOOP\r\n", NA | AU | SE },
    { "t ID NIL\r\n", NA | AU | SE },
    { "t STARTTLS\r\n", NA },
    { "t AUTHENTICATE PLAIN\r\n", NA },
    { "t LOGIN mrc secret\r\n", NA },
    { "t ENABLE CONDSTORE\r\n", AU },
    { "t SELECT INBOX\r\n", AU | SE },
    { "t EXAMINE INBOX\r\n", AU | SE },
    { "t CREATE x\r\n", AU | SE },
    { "t DELETE x\r\n", AU | SE },
    { "t RENAME x y\r\n", AU | SE },
    { "t SUBSCRIBE x\r\n", AU | SE },
    { "t UNSUBSCRIBE x\r\n", AU | SE },
    { "t LIST \"\" *\r\n", AU | SE },
    { "t LSUB \"\" *\r\n", AU | SE },
    { "t NAMESPACE\r\n", AU | SE },
    { "t STATUS INBOX (MESSAGES)\r\n", AU | SE },
    { "t APPEND INBOX {1+}\r\nx\r\n", AU | SE },
    { "t IDLE\r\n", AU | SE },
    { "t COMPRESS DEFLATE\r\n", AU | SE },
    { "t GETQUOTAROOT INBOX\r\n", AU | SE },
    { "t GETMETADATA \"\" /shared/comment\r\n", AU | SE },
    { "t CHECK\r\n", SE },
    { "t CLOSE\r\n", SE },
    { "t UNSELECT\r\n", SE },
    { "t EXPUNGE\r\n", SE },
    { "t SEARCH ALL\r\n", SE },
    { "t FETCH 1 FLAGS\r\n", SE },
    { "t STORE 1 +FLAGS (\\Seen)\r\n", SE },
    { "t COPY 1 x\r\n", SE },
    { "t MOVE 1 x\r\n", SE },
    { "t UID EXPUNGE 1\r\n", SE },
    { "t UID SEARCH ALL\r\n", SE },
    { "t UID FETCH 1 FLAGS\r\n", SE },
    { "t UID STORE 1 FLAGS ()\r\n", SE },
    { "t UID COPY 1 x\r\n", SE },
    { "t UID MOVE 1 x\r\n", SE },
    { "t SORT (DATE) UTF-8 ALL\r\n", SE },
    { "t THREAD REFERENCES UTF-8 ALL\r\n", SE },
    { "t NOTIFY NONE\r\n", AU | SE },
    { "t CANCELUPDATE \"x\"\r\n", SE },
    { "t GETACL INBOX\r\n", AU | SE },
    { "t MYRIGHTS INBOX\r\n", AU | SE },
    { "t RESETKEY\r\n", AU | SE },
    { "t ESEARCH IN (personal) ALL\r\n", AU | SE },
};

static void test_state_table(void **st)
{
    size_t i;
    unsigned state;
    (void)st;
    for (i = 0; i < sizeof(state_table) / sizeof(state_table[0]); i++) {
        for (state = NA; state <= SE; state <<= 1) {
            const char *out;
            int refused;
            open_host(ALL_FLAGS | (state == NA ? 0u : MP_IMAP_SRV_PREAUTH), select_ok);
            if (state == SE)
                assert_non_null(strstr(step("s SELECT INBOX\r\n"), "s OK"));
            out = step(state_table[i].line);
            refused = strstr(out, "t BAD [CLIENTBUG] Command not valid in this state\r\n") != NULL;
            if (refused == ((state_table[i].legal & state) != 0))
                fail_msg("%s in state %u: %s", state_table[i].line, state, out);
            /* and the session goes on */
            if (H.s.state != MP_IMAP_SS_LOGOUT && !H.s.switching && !H.s.idling &&
                !H.s.auth_cmd && !strstr(step("n NOOP\r\n"), "n OK NOOP completed\r\n"))
                fail_msg("after %s in state %u: %s", state_table[i].line, state, slog.text);
        }
    }
    /* LOGOUT works everywhere and ends the session */
    open_host(ALL_FLAGS, NULL);
    assert_string_equal(step("z LOGOUT\r\n"), "* BYE IMAP4rev1 server terminating connection\r\n"
                                               "z OK LOGOUT completed\r\n");
    assert_int_equal(mp_imap_server_state_of(&H.s), MP_IMAP_SS_LOGOUT);
}

/* ---- capabilities, TLS, logins -------------------------------------------- */

static void test_logindisabled(void **st)
{
    (void)st;
    open_host(MP_IMAP_SRV_STARTTLS | MP_IMAP_SRV_LOGIN | MP_IMAP_SRV_REQUIRE_TLS |
                  MP_IMAP_SRV_AUTH_PLAINTEXT | MP_IMAP_SRV_SASL_IR | MP_IMAP_SRV_REV2,
              NULL);
    assert_string_equal(H.wire, "* OK [CAPABILITY IMAP4rev1 IMAP4rev2 STARTTLS LOGINDISABLED] "
                                "IMAP4rev1 Service Ready\r\n");
    assert_string_equal(step("a LOGIN mrc secret\r\n"),
                        "a NO [PRIVACYREQUIRED] Login not allowed without TLS\r\n");
    assert_string_equal(step("b AUTHENTICATE PLAIN AG1yYwBzZWNyZXQ=\r\n"),
                        "b NO [PRIVACYREQUIRED] Mechanism not allowed without TLS\r\n");
    assert_int_equal(H.s.last_error.code, MP_ERR_IMAP_SRV_PRIVACY);
    /* STARTTLS with a login pipelined behind it: the login is never read */
    assert_string_equal(step("c STARTTLS\r\nd LOGIN mrc secret\r\n"),
                        "c OK Begin TLS negotiation now\r\n");
    assert_int_equal(H.s.injected, strlen("d LOGIN mrc secret\r\n"));
    assert_int_equal(H.s.last_error.code, MP_ERR_TLS_INJECTION);
    assert_int_equal(mp_imap_server_state_of(&H.s), MP_IMAP_SS_NOT_AUTH);
    assert_string_equal(step("e CAPABILITY\r\n"),
                        "* CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN SASL-IR\r\n"
                        "e OK CAPABILITY completed\r\n");
    assert_string_equal(step("f STARTTLS\r\n"), "f BAD Command not available\r\n");
    assert_string_equal(step("g LOGIN mrc secret\r\n"),
                        "g OK [CAPABILITY IMAP4rev1 IMAP4rev2] LOGIN completed\r\n");
    assert_int_equal(mp_imap_server_state_of(&H.s), MP_IMAP_SS_AUTH);
}

static void test_sasl(void **st)
{
    const char *out;
    (void)st;
    /* SASL-IR (RFC 4959 §3): one round trip */
    open_host(MP_IMAP_SRV_SASL_IR | MP_IMAP_SRV_TLS_ACTIVE | MP_IMAP_SRV_QUIET_CAPS, NULL);
    assert_string_equal(step("a AUTHENTICATE PLAIN AG1yYwBzZWNyZXQ=\r\n"),
                        "a OK AUTHENTICATE completed\r\n");
    assert_int_equal(mp_imap_server_state_of(&H.s), MP_IMAP_SS_AUTH);
    /* without SASL-IR an initial response is a bad command */
    open_host(MP_IMAP_SRV_TLS_ACTIVE | MP_IMAP_SRV_QUIET_CAPS, NULL);
    assert_string_equal(step("a AUTHENTICATE PLAIN AG1yYwBzZWNyZXQ=\r\n"),
                        "a BAD Invalid arguments\r\n");
    /* the challenge, then the response in its own read */
    assert_string_equal(step("b AUTHENTICATE PLAIN\r\n"), "+ \r\n");
    assert_string_equal(step("AG1yYwB3cm9uZw==\r\n"),
                        "b NO [AUTHENTICATIONFAILED] Authentication failed\r\n");
    assert_string_equal(step("c AUTHENTICATE PLAIN\r\n"), "+ \r\n");
    assert_string_equal(step("*\r\n"), "c BAD Authentication cancelled\r\n");
    assert_string_equal(step("d AUTHENTICATE PLAIN\r\n"), "+ \r\n");
    assert_string_equal(step("AG1yYwBzZWNyZXQ=\r\n"), "d OK AUTHENTICATE completed\r\n");
    /* a response sent with the command, before the challenge */
    open_host(MP_IMAP_SRV_TLS_ACTIVE | MP_IMAP_SRV_QUIET_CAPS, NULL);
    out = step("a AUTHENTICATE PLAIN\r\nAG1yYwBzZWNyZXQ=\r\n");
    assert_string_equal(out, "+ \r\na BAD Response sent before the challenge\r\n");
    assert_int_equal(H.s.last_error.code, MP_ERR_IMAP_SRV_AUTH_EARLY);
    assert_int_equal(mp_imap_server_state_of(&H.s), MP_IMAP_SS_NOT_AUTH);
    /* unknown mechanism */
    assert_string_equal(step("b AUTHENTICATE X-NONE\r\n"),
                        "b NO Unsupported authentication mechanism\r\n");
    /* the host answers later: feed pauses, resume goes on */
    open_host(MP_IMAP_SRV_LOGIN | MP_IMAP_SRV_TLS_ACTIVE | MP_IMAP_SRV_QUIET_CAPS, NULL);
    H.async = 1;
    {
        size_t used = 0;
        const char *in = "a LOGIN mrc secret\r\nb NOOP\r\n";
        assert_int_equal(mp_imap_server_feed(&H.s, in, strlen(in), &used), MP_PAUSED);
        assert_int_equal(used, strlen("a LOGIN mrc secret\r\n"));
        assert_int_equal(mp_imap_server_pending(&H.s), MP_IMAP_DECIDE_AUTH);
        answer(&H);
        assert_int_equal(mp_imap_server_feed(&H.s, in + used, strlen(in) - used, &used), MP_OK);
        flush(&H);
        assert_non_null(strstr(H.wire, "a OK LOGIN completed\r\nb OK NOOP completed\r\n"));
    }
}

/* ---- the host's answers are checked ---------------------------------------- */

static void test_answers_checked(void **st)
{
    mp_imap_resp_event ev;
    (void)st;
    open_host(MP_IMAP_SRV_PREAUTH | MP_IMAP_SRV_QUIET_CAPS, select_ok);
    step("s SELECT INBOX\r\n");
    H.async = 1;
    feed_only("f FETCH 1 FLAGS\r\n");
    assert_int_equal(mp_imap_server_pending(&H.s), MP_IMAP_DECIDE_COMMAND);
    /* not to FETCH: LIST, a tagged line, EXPUNGE (RFC 9051 §7.5.1) */
    ev = mp_imap_ev_begin(MP_IMAP_RESP_LIST, mp_slice_make(NULL, 0), 0, 0);
    assert_int_equal(mp_imap_server_respond(&H.s, &ev), MP_ERR_IMAP_SRV_RESPONSE);
    ev = mp_imap_ev_begin(MP_IMAP_RESP_OK, MP_SLICE_LIT("f"), 0, 0);
    assert_int_equal(mp_imap_server_respond(&H.s, &ev), MP_ERR_IMAP_SRV_RESPONSE);
    ev = mp_imap_ev_begin(MP_IMAP_RESP_EXPUNGE, mp_slice_make(NULL, 0), 1, 2);
    assert_int_equal(mp_imap_server_respond(&H.s, &ev), MP_ERR_IMAP_SRV_EXPUNGE);
    /* EXISTS is fine */
    assert_int_equal(mp_imap_server_respond(&H.s, &ev), MP_ERR_IMAP_SRV_EXPUNGE);
    ev = mp_imap_ev_begin(MP_IMAP_RESP_EXISTS, mp_slice_make(NULL, 0), 1, 4);
    assert_int_equal(mp_imap_server_respond(&H.s, &ev), MP_OK);
    ev = mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE);
    assert_int_equal(mp_imap_server_respond(&H.s, &ev), MP_OK);
    assert_int_equal(mp_imap_server_complete(&H.s, MP_IMAP_RESP_OK, NULL, "done"), MP_OK);
    /* exactly once */
    assert_int_equal(mp_imap_server_complete(&H.s, MP_IMAP_RESP_OK, NULL, "again"),
                     MP_ERR_IMAP_SRV_COMPLETED);
    assert_int_equal(mp_imap_server_respond(&H.s, &ev), MP_ERR_IMAP_SRV_COMPLETED);
    flush(&H);
    assert_non_null(strstr(H.wire, "* 4 EXISTS\r\nf OK done\r\n"));
    assert_null(strstr(H.wire, "again"));
    /* UID FETCH may carry an EXPUNGE */
    feed_only("u UID FETCH 7 FLAGS\r\n");
    ev = mp_imap_ev_begin(MP_IMAP_RESP_EXPUNGE, mp_slice_make(NULL, 0), 1, 2);
    assert_int_equal(mp_imap_server_respond(&H.s, &ev), MP_OK);
    ev = mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE);
    assert_int_equal(mp_imap_server_respond(&H.s, &ev), MP_OK);
    assert_int_equal(mp_imap_server_complete(&H.s, MP_IMAP_RESP_OK, NULL, NULL), MP_OK);
    /* an extension's response is its own command's: no URLFETCH (a kind
     * past the first 32) to GETACL */
    feed_only("a GETACL INBOX\r\n");
    assert_int_equal(mp_imap_server_pending(&H.s), MP_IMAP_DECIDE_COMMAND);
    ev = mp_imap_ev_begin(MP_IMAP_RESP_URLFETCH, mp_slice_make(NULL, 0), 0, 0);
    assert_int_equal(mp_imap_server_respond(&H.s, &ev), MP_ERR_IMAP_SRV_RESPONSE);
    ev = mp_imap_ev_begin(MP_IMAP_RESP_MYRIGHTS, mp_slice_make(NULL, 0), 0, 0);
    assert_int_equal(mp_imap_server_respond(&H.s, &ev), MP_ERR_IMAP_SRV_RESPONSE);
    assert_int_equal(mp_imap_server_complete(&H.s, MP_IMAP_RESP_NO, NULL, "no"), MP_OK);
    /* nothing pending: nothing to answer */
    assert_int_equal(mp_imap_server_literal_accept(&H.s), MP_ERR_STATE);
    assert_int_equal(mp_imap_server_auth_resume(&H.s), MP_ERR_STATE);
}

/* The codec's later extensions (RFC 4314 ACL, 4467 URLAUTH, 7377
 * MULTISEARCH) reach the host and take their own responses. */
static void test_extension_answers(void **st)
{
    static const script sc[] = {
        { "a", "* ACL INBOX fred rwipslxetad\r\na OK GETACL completed\r\n" },
        { "m", "* MYRIGHTS INBOX rwiptsldaex\r\nm OK MYRIGHTS completed\r\n" },
        { "u", "* URLFETCH \"imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth="
               "anonymous:internal:91354a473744909de610943775f92038\" NIL\r\n"
               "u OK URLFETCH completed\r\n" },
        { "e", "* ESEARCH (TAG \"e\") UID ALL 1:3\r\ne OK ESEARCH completed\r\n" },
        { NULL, NULL }
    };
    size_t i;
    (void)st;
    open_host(MP_IMAP_SRV_PREAUTH | MP_IMAP_SRV_QUIET_CAPS, sc);
    assert_string_equal(step("a GETACL INBOX\r\n"), sc[0].resp);
    assert_string_equal(step("m MYRIGHTS INBOX\r\n"), sc[1].resp);
    assert_string_equal(step("u URLFETCH \"imap://joe@example.com/INBOX/;uid=20/;section=1.2;"
                             "urlauth=anonymous:internal:91354a473744909de610943775f92038\"\r\n"),
                        sc[2].resp);
    assert_string_equal(step("e ESEARCH IN (personal) ALL\r\n"), sc[3].resp);
    for (i = 0; sc[i].tag != NULL; i++)
        assert_non_null(strstr(H.wire, sc[i].resp));
}

/* ---- literals --------------------------------------------------------------- */

static void test_literals(void **st)
{
    static const script sc[] = {
        { "a", "a OK [APPENDUID 1 5] APPEND completed\r\n" },
        { "c", "c OK CREATE completed\r\n" },
        { NULL, NULL }
    };
    const char *log;
    (void)st;
    /* accepted: "+", the bytes reach the host; a mailbox literal is
     * accepted by the session itself */
    log = transcript(MP_IMAP_SRV_PREAUTH | MP_IMAP_SRV_QUIET_CAPS, sc,
                     "c CREATE {3}\r\nBox\r\na APPEND INBOX (\\Seen) {12}\r\nHello world!\r\n",
                     "* PREAUTH IMAP4rev1 Service Ready\r\n"
                     "+ Ready for literal data\r\n"
                     "c OK CREATE completed\r\n"
                     "+ Ready for literal data\r\n"
                     "a OK [APPENDUID 1 5] APPEND completed\r\n");
    assert_non_null(strstr(log, "literal 12"));
    assert_non_null(strstr(log, "chunk data Hello world!"));
    /* refused before the "+": NO [TOOBIG], the next command goes on */
    H.refuse_literal = 1;
    log = transcript(MP_IMAP_SRV_PREAUTH | MP_IMAP_SRV_QUIET_CAPS, sc,
                     "a APPEND INBOX {99999}\r\nc CREATE x\r\n",
                     "* PREAUTH IMAP4rev1 Service Ready\r\n"
                     "a NO [TOOBIG] Message too big\r\n"
                     "c OK CREATE completed\r\n");
    assert_non_null(strstr(log, "cancel a APPEND"));
    H.refuse_literal = 0;
    /* a literal in the wrong state is refused before the "+" */
    transcript(MP_IMAP_SRV_QUIET_CAPS, sc, "a APPEND INBOX {5}\r\nb NOOP\r\n",
               "* OK IMAP4rev1 Service Ready\r\n"
               "a BAD [CLIENTBUG] Command not valid in this state\r\n"
               "b OK NOOP completed\r\n");
}

/* ---- ENABLE switches the codecs between two commands ---------------------- */

static void test_enable(void **st)
{
    static const script sc[] = {
        { "s", "* 3 EXISTS\r\ns OK [READ-WRITE] SELECT completed\r\n" },
        { "r", "* ESEARCH (TAG \"r\") ALL 1:3\r\nr OK SEARCH completed\r\n" },
        { NULL, NULL }
    };
    (void)st;
    /* RECENT is a rev1 search key: refused once rev2 is on, from the very
     * next command of the same read */
    transcript(MP_IMAP_SRV_PREAUTH | MP_IMAP_SRV_REV2 | MP_IMAP_SRV_QUIET_CAPS, sc,
               "e ENABLE IMAP4rev2 X-UNKNOWN\r\ns SELECT INBOX\r\nq SEARCH RECENT\r\n"
               "r SEARCH ALL\r\ne2 ENABLE IMAP4rev2\r\n",
               "* PREAUTH IMAP4rev1 Service Ready\r\n"
               "* ENABLED IMAP4rev2\r\n"
               "e OK ENABLE completed\r\n"
               "* 3 EXISTS\r\n"
               "s OK [READ-WRITE] SELECT completed\r\n"
               "q BAD IMAP4rev1-only syntax refused in IMAP4rev2 mode (RFC 9051 Appendix E)\r\n"
               "* ESEARCH (TAG \"r\") ALL 1:3\r\n"
               "r OK SEARCH completed\r\n"
               "e2 BAD [CLIENTBUG] Command not valid in this state\r\n");
    /* QRESYNC implies CONDSTORE (RFC 7162 §3.2.3); enabled twice: once */
    open_host(MP_IMAP_SRV_PREAUTH | MP_IMAP_SRV_ENABLE | MP_IMAP_SRV_CONDSTORE |
                  MP_IMAP_SRV_QRESYNC,
              NULL);
    assert_int_equal(mp_imap_server_enabled(&H.s), 0);
    assert_string_equal(step("e ENABLE QRESYNC\r\n"),
                        "* ENABLED CONDSTORE QRESYNC\r\ne OK ENABLE completed\r\n");
    assert_int_equal(mp_imap_server_enabled(&H.s), MP_IMAP_SRV_CONDSTORE | MP_IMAP_SRV_QRESYNC);
    assert_string_equal(step("e ENABLE CONDSTORE\r\n"), "* ENABLED\r\ne OK ENABLE completed\r\n");
    assert_ptr_equal(mp_imap_server_writer(&H.s), &H.s.w);
}

/* ---- notifications ---------------------------------------------------------- */

static void test_notify(void **st)
{
    (void)st;
    open_host(MP_IMAP_SRV_PREAUTH | MP_IMAP_SRV_IDLE | MP_IMAP_SRV_QUIET_CAPS, select_ok);
    assert_int_equal(mp_imap_server_notify_exists(&H.s, 4), MP_ERR_STATE); /* nothing selected */
    step("s SELECT INBOX\r\n");
    /* IDLE: at once */
    assert_string_equal(step("i IDLE\r\n"), "+ idling\r\n");
    assert_int_equal(mp_imap_server_notify_exists(&H.s, 4), MP_OK);
    assert_int_equal(mp_imap_server_notify_expunge(&H.s, 2, 0), MP_OK);
    assert_int_equal(mp_imap_server_notify_flags(&H.s, 1, 7, 0, "\\Seen $Junk"), MP_OK);
    assert_string_equal(step(""), "* 4 EXISTS\r\n* 2 EXPUNGE\r\n"
                                  "* 1 FETCH (FLAGS (\\Seen $Junk) UID 7)\r\n");
    assert_string_equal(step("DONE\r\n"), "i OK IDLE terminated\r\n");
    assert_non_null(strstr(slog.text, "idle 1"));
    assert_non_null(strstr(slog.text, "idle 0"));
    /* under FETCH: EXISTS goes out, the EXPUNGE and what follows it wait */
    assert_int_equal(mp_imap_server_notify_exists(&H.s, 5), MP_OK);
    assert_int_equal(mp_imap_server_notify_exists(&H.s, 6), MP_OK); /* merged */
    assert_int_equal(mp_imap_server_notify_expunge(&H.s, 3, 0), MP_OK);
    assert_int_equal(mp_imap_server_notify_flags(&H.s, 1, 0, 9, "\\Answered"), MP_OK);
    assert_string_equal(step("f FETCH 1 FLAGS\r\n"),
                        "* 1 FETCH (FLAGS (\\Seen))\r\n* 6 EXISTS\r\nf OK FETCH completed\r\n");
    assert_string_equal(step("n NOOP\r\n"), "* 3 EXPUNGE\r\n"
                                            "* 1 FETCH (FLAGS (\\Answered) MODSEQ (9))\r\n"
                                            "n OK NOOP completed\r\n");
    /* bad values, a full queue */
    assert_int_equal(mp_imap_server_notify_flags(&H.s, 1, 0, 0, "(\\Seen)"), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_imap_server_notify_expunge(&H.s, 0, 0), MP_ERR_BAD_VALUE);
    {
        unsigned i;
        for (i = 0; i < MP_IMAP_SERVER_NOTIFY_QUEUE; i++)
            assert_int_equal(mp_imap_server_notify_expunge(&H.s, 1, 0), MP_OK);
        assert_int_equal(mp_imap_server_notify_expunge(&H.s, 1, 0),
                         MP_ERR_IMAP_SRV_NOTIFY_FULL);
        assert_non_null(strstr(step("n NOOP\r\n"), "* 1 EXPUNGE\r\nn OK NOOP completed\r\n"));
        assert_int_equal(mp_imap_server_notify_expunge(&H.s, 1, 0), MP_OK);
    }
    /* QRESYNC: VANISHED instead of EXPUNGE */
    open_host(MP_IMAP_SRV_PREAUTH | MP_IMAP_SRV_ENABLE | MP_IMAP_SRV_QRESYNC |
                  MP_IMAP_SRV_QUIET_CAPS,
              select_ok);
    step("e ENABLE QRESYNC\r\n");
    step("s SELECT INBOX\r\n");
    assert_int_equal(mp_imap_server_notify_expunge(&H.s, 2, 0), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_imap_server_notify_expunge(&H.s, 2, 41), MP_OK);
    assert_string_equal(step("n NOOP\r\n"), "* VANISHED 41\r\nn OK NOOP completed\r\n");
}

/* ---- bad commands and the error limit --------------------------------------- */

static void test_error_limit(void **st)
{
    (void)st;
    open_host(MP_IMAP_SRV_QUIET_CAPS, NULL);
    H.cfg.max_errors = 3;
    assert_string_equal(step("a FROB\r\n"), "a BAD unknown IMAP command\r\n");
    assert_string_equal(step("b SELECT INBOX\r\n"),
                        "b BAD [CLIENTBUG] Command not valid in this state\r\n");
    assert_string_equal(step("c NOOP\r\n"), "c OK NOOP completed\r\n");
    assert_string_equal(step("d FETCH\r\ne NOOP\r\n"),
                        "d BAD IMAP command arguments malformed\r\n"
                        "* BYE Too many invalid commands\r\n");
    assert_int_equal(H.s.last_error.code, MP_ERR_TOO_MANY_ERRORS);
    assert_true(H.closed);
    assert_int_equal(mp_imap_server_state_of(&H.s), MP_IMAP_SS_LOGOUT);
}

/* ---- COMPRESS, ID, IMAP4rev2 only, shutdown ------------------------------- */

static void test_misc(void **st)
{
    size_t used = 0;
    const char *in = "c COMPRESS DEFLATE\r\n\x78\x9c";
    (void)st;
    open_host(MP_IMAP_SRV_PREAUTH | MP_IMAP_SRV_COMPRESS | MP_IMAP_SRV_ID | MP_IMAP_SRV_QUIET_CAPS,
              NULL);
    assert_string_equal(step("i ID (\"name\" \"client\")\r\n"), "* ID NIL\r\ni OK ID completed\r\n");
    assert_string_equal(step("k CAPABILITY\r\n"), "* CAPABILITY IMAP4rev1 ID COMPRESS=DEFLATE\r\n"
                                                    "k OK CAPABILITY completed\r\n");
    /* what follows COMPRESS is the client's first compressed bytes: kept */
    assert_int_equal(mp_imap_server_feed(&H.s, in, strlen(in), &used), MP_TRANSPORT_SWITCH);
    assert_int_equal(used, strlen("c COMPRESS DEFLATE\r\n"));
    assert_int_equal(H.s.injected, 0);
    assert_int_equal(mp_imap_server_feed(&H.s, "", 0, &used), MP_ERR_STATE);
    assert_int_equal(mp_imap_server_tls_started(&H.s), MP_ERR_STATE);
    assert_int_equal(mp_imap_server_compress_started(&H.s), MP_OK);
    flush(&H);
    assert_non_null(strstr(H.wire, "c OK DEFLATE active\r\n"));
    assert_string_equal(step("d COMPRESS DEFLATE\r\n"),
                        "d NO [COMPRESSIONACTIVE] Compression already active\r\n");
    assert_string_equal(step("k CAPABILITY\r\n"), "* CAPABILITY IMAP4rev1 ID\r\n"
                                                    "k OK CAPABILITY completed\r\n");
    /* the host ends the session */
    assert_int_equal(mp_imap_server_shutdown(&H.s, NULL), MP_OK);
    assert_string_equal(step(""), "* BYE Server shutting down\r\n");
    assert_int_equal(mp_imap_server_state_of(&H.s), MP_IMAP_SS_LOGOUT);
    /* IMAP4rev2 only: rev2 from the first byte (RECENT is gone) */
    open_host(MP_IMAP_SRV_PREAUTH | MP_IMAP_SRV_REV2 | MP_IMAP_SRV_NO_REV1, select_ok);
    assert_string_equal(H.wire, "* PREAUTH [CAPABILITY IMAP4rev2] IMAP4rev1 Service Ready\r\n");
    step("s SELECT INBOX\r\n");
    assert_non_null(strstr(step("q SEARCH RECENT\r\n"), "q BAD IMAP4rev1-only syntax"));
    /* untagged status lines through the checked call */
    H.async = 1;
    feed_only("f FETCH 1 FLAGS\r\n");
    assert_int_equal(mp_imap_server_untagged(&H.s, MP_IMAP_RESP_NO, "EXPUNGEISSUED", "gone"),
                     MP_OK);
    assert_int_equal(mp_imap_server_untagged(&H.s, MP_IMAP_RESP_BYE, NULL, "x"), MP_ERR_ARG);
    assert_int_equal(mp_imap_server_complete(&H.s, MP_IMAP_RESP_PREAUTH, NULL, NULL), MP_ERR_ARG);
    assert_int_equal(mp_imap_server_complete(&H.s, MP_IMAP_RESP_OK, NULL, NULL), MP_OK);
    flush(&H);
    assert_non_null(strstr(H.wire, "* NO [EXPUNGEISSUED] gone\r\nf OK\r\n"));
}

/* ---- SELECT, CLOSE and the selected state --------------------------------- */

static void test_selected_state(void **st)
{
    static const script sc[] = {
        { "s", "* 3 EXISTS\r\ns OK [READ-WRITE] SELECT completed\r\n" },
        { "x", "x NO [NONEXISTENT] No such mailbox\r\n" },
        { "c", "c OK CLOSE completed\r\n" },
        { NULL, NULL }
    };
    (void)st;
    open_host(MP_IMAP_SRV_PREAUTH | MP_IMAP_SRV_QUIET_CAPS, sc);
    step("s SELECT INBOX\r\n");
    assert_int_equal(mp_imap_server_state_of(&H.s), MP_IMAP_SS_SELECTED);
    /* a failed SELECT leaves no mailbox selected (RFC 9051 §6.3.2), and
     * what was queued for the old one is dropped */
    assert_int_equal(mp_imap_server_notify_exists(&H.s, 9), MP_OK);
    assert_string_equal(step("x SELECT Nope\r\n"), "x NO [NONEXISTENT] No such mailbox\r\n");
    assert_int_equal(mp_imap_server_state_of(&H.s), MP_IMAP_SS_AUTH);
    assert_int_equal(mp_imap_server_notify_exists(&H.s, 9), MP_ERR_STATE);
    assert_string_equal(step("f FETCH 1 FLAGS\r\n"),
                        "f BAD [CLIENTBUG] Command not valid in this state\r\n");
    /* CLOSE sends no EXPUNGE (RFC 9051 §6.4.1) and leaves the state */
    step("s SELECT INBOX\r\n");
    assert_int_equal(mp_imap_server_notify_expunge(&H.s, 1, 0), MP_OK);
    assert_string_equal(step("c CLOSE\r\n"), "c OK CLOSE completed\r\n");
    assert_int_equal(mp_imap_server_state_of(&H.s), MP_IMAP_SS_AUTH);
    /* commands behind one the host has not answered are not read */
    step("s SELECT INBOX\r\n");
    H.async = 1;
    {
        size_t used = 0;
        const char *in = "f FETCH 1 FLAGS\r\nn NOOP\r\n";
        assert_int_equal(mp_imap_server_feed(&H.s, in, strlen(in), &used), MP_PAUSED);
        assert_int_equal(used, strlen("f FETCH 1 FLAGS\r\n"));
        assert_int_equal(mp_imap_server_feed(&H.s, in + used, strlen(in) - used, &used),
                         MP_PAUSED);
        assert_int_equal(used, 0);
    }
}

/* ---- a client that never reads: the output stays bounded ------------------- */

static void test_output_bounded(void **st)
{
    char in[400 * 8];
    size_t i, used = 0;
    mp_status rc;
    (void)st;
    assert_true(sizeof(mp_imap_server) <= 4096); /* issue 10: a session within 4 KiB */
    open_host(MP_IMAP_SRV_QUIET_CAPS, NULL);
    for (i = 0; i < 400; i++)
        memcpy(in + i * 8, "a NOOP\r\n", 8);
    rc = mp_imap_server_feed(&H.s, in, sizeof(in), &used);
    assert_int_equal(rc, MP_PAUSED);
    assert_true(used < sizeof(in));
    assert_true(H.s.out.len <= sizeof(H.out) / 2 + 64);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3501_sample),
        cmocka_unit_test(test_rfc2177_idle),
        cmocka_unit_test(test_state_table),
        cmocka_unit_test(test_logindisabled),
        cmocka_unit_test(test_sasl),
        cmocka_unit_test(test_answers_checked),
        cmocka_unit_test(test_extension_answers),
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_enable),
        cmocka_unit_test(test_notify),
        cmocka_unit_test(test_error_limit),
        cmocka_unit_test(test_output_bounded),
        cmocka_unit_test(test_misc),
        cmocka_unit_test(test_selected_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
