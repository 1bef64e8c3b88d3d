/* The logging host shared by the SMTP server tests (test_server_session.c,
 * test_server_security.c, test_server_lmtp.c; static, included once per
 * program).  The program defines `host` first, with at least:
 * mp_smtp_server s, mp_smtp_server_config cfg, mp_smtp_server_callbacks
 * cb, char out[] (HOST_OUT_CAP(h) may say how much of it to use), char
 * line[], mp_evlog *log, int async (answer only after feed paused), int
 * closed, unsigned flags and char arg[] (the mailbox being decided); then
 * `static host H`,
 * and after this header its own answer() (the host's policy) and h_reset()
 * (a fresh host and session config for H.flags).  What is here logs the
 * server's reply lines ("S: ...") and the events that all programs log the
 * same way, and runs a transcript through mp_split_check with a host
 * answering inside the callbacks and one answering after feed paused. */
#ifndef MP_TEST_SMTP_SERVER_HOST_H
#define MP_TEST_SMTP_SERVER_HOST_H

/* The host's policy for the pending decision (defined by the program). */
static void answer(host *h);
/* A fresh host for H.flags (mp_split_target.reset; defined by the program). */
static void h_reset(void *state);

#ifndef HOST_OUT_CAP
#define HOST_OUT_CAP(h) sizeof((h)->out)
#endif

/* Send everything: output_done may let the session write replies it
 * still owes (LMTP after a refused body), so until the output is empty. */
static void flush(host *h)
{
    size_t n, i, st;
    const char *o = mp_smtp_server_output(&h->s, &n);
    while (n > 0) {
        for (i = 0, st = 0; i + 1 < n; i++) {
            if (o[i] == '\r' && o[i + 1] == '\n') {
                mp_evlog_add(h->log, "S: %.*s", (int)(i - st), o + st);
                st = i + 2;
                i++;
            }
        }
        assert_int_equal(st, n); /* whole replies only */
        mp_smtp_server_output_done(&h->s, n);
        o = mp_smtp_server_output(&h->s, &n);
    }
}

static void copy_arg(host *h, mp_slice v)
{
    size_t n = v.len < sizeof(h->arg) - 1 ? v.len : sizeof(h->arg) - 1;
    memcpy(h->arg, v.ptr, n);
    h->arg[n] = '\0';
}

static int decided(host *h)
{
    if (!h->async)
        answer(h);
    return 0;
}

static int on_helo(void *u, mp_smtp_server *s, const mp_smtp_cmd *c)
{
    host *h = u;
    (void)s;
    flush(h);
    mp_evlog_text(h->log, mp_smtp_verb_name(c->verb), c->arg.ptr, c->arg.len);
    return decided(h);
}

static int on_rcpt(void *u, mp_smtp_server *s, const mp_smtp_cmd *c)
{
    host *h = u;
    (void)s;
    flush(h);
    copy_arg(h, c->path.mailbox);
    mp_evlog_add(h->log, "rcpt <%s>", h->arg);
    return decided(h);
}

static int on_mail(void *u, mp_smtp_server *s, const mp_smtp_cmd *c)
{
    host *h = u;
    (void)s;
    flush(h);
    copy_arg(h, c->path.mailbox);
    mp_evlog_add(h->log, "mail <%s>%s%s", h->arg,
                 (c->params.present & MP_SMTP_P_SIZE) ? " SIZE" : "",
                 c->params.n_unknown ? " +unknown" : "");
    return decided(h);
}

static int on_body(void *u, mp_smtp_server *s, const char *p, size_t n)
{
    host *h = u;
    (void)s;
    flush(h);
    mp_evlog_chunk(h->log, "body", p, n);
    return 0;
}

static int on_end(void *u, mp_smtp_server *s, mp_status st)
{
    host *h = u;
    (void)s;
    flush(h);
    mp_evlog_add(h->log, "end %s", mp_status_name(st));
    return st == MP_OK ? decided(h) : 0;
}

static int on_data(void *u, mp_smtp_server *s)
{
    host *h = u;
    (void)s;
    flush(h);
    mp_evlog_add(h->log, "data");
    return decided(h);
}

static int on_reset(void *u, mp_smtp_server *s)
{
    host *h = u;
    (void)s;
    flush(h);
    mp_evlog_add(h->log, "reset");
    return 0;
}

static void on_error(void *u, mp_smtp_server *s, const mp_error *e)
{
    host *h = u;
    (void)s;
    flush(h);
    mp_evlog_add(h->log, "error %s @%llu", mp_status_name(e->code),
                 (unsigned long long)e->offset);
}

/* The part of h_reset() every program shares, after its memset: the
 * session config for h->flags and the logging callbacks above. */
static void host_setup(host *h)
{
    h->cfg.hostname = "mx.example.org";
    h->cfg.flags = h->flags;
    h->cfg.line_buf = h->line;
    h->cfg.line_cap = sizeof(h->line);
    h->cb.on_helo = on_helo;
    h->cb.on_mail = on_mail;
    h->cb.on_rcpt = on_rcpt;
    h->cb.on_data = on_data;
    h->cb.on_body = on_body;
    h->cb.on_message_end = on_end;
    h->cb.on_reset = on_reset;
    h->cb.on_error = on_error;
}

static void h_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    host *h = state;
    h->log = log;
    if (h->s.cfg == NULL) {
        assert_int_equal(mp_smtp_server_init(&h->s, &h->cfg, &h->cb, h, h->out, HOST_OUT_CAP(h)),
                         MP_OK);
        flush(h);
    }
    while (n > 0 && !h->closed) {
        size_t used = 0;
        mp_status st = mp_smtp_server_feed(&h->s, p, n, &used);
        assert_true(used <= n);
        flush(h);
        p += used;
        n -= used;
        switch (st) {
        case MP_OK:
            assert_int_equal(n, 0);
            break;
        case MP_PAUSED:
            if (mp_smtp_server_pending(&h->s) != MP_SMTP_DECIDE_NONE) {
                assert_true(h->async ||
                            mp_smtp_server_pending(&h->s) == MP_SMTP_DECIDE_MESSAGE);
                answer(h);
                flush(h);
            }
            break;
        case MP_CLOSED:
            mp_evlog_add(log, "closed");
            h->closed = 1;
            break;
        case MP_TRANSPORT_SWITCH:
            mp_evlog_add(log, "tls");
            assert_int_equal(mp_smtp_server_tls_started(&h->s), MP_OK);
            n = 0; /* anything after STARTTLS in this read is discarded */
            break;
        case MP_ERR_ABORTED:
            mp_evlog_add(log, "aborted");
            break;
        default:
            fail_msg("feed: %s", mp_status_name(st));
        }
    }
}

static void h_finish(void *state, mp_evlog *log)
{
    host *h = state;
    h->log = log;
    if (mp_smtp_server_pending(&h->s) != MP_SMTP_DECIDE_NONE) {
        answer(h);
        flush(h);
    }
    mp_evlog_add(log, "state %d", (int)mp_smtp_server_state_of(&h->s));
}

static const char *run_mode(unsigned flags, int async, const char *in, size_t n, const char *want)
{
    mp_split_target t = { h_reset, h_feed, h_finish, &H };
    H.flags = flags;
    H.async = async;
    if (getenv("MP_DUMP") && !async) {
        const char *got = mp_split_check(&t, in, n, NULL);
        fputs("=====\n", stdout);
        fputs(got, stdout);
        return got;
    }
    return mp_split_check(&t, in, n, want);
}

/* Sync and async hosts, every split: one log, returned (one static copy:
 * the next run overwrites it). */
static const char *run(unsigned flags, const char *in, size_t n, const char *want)
{
    const char *got = run_mode(flags, 0, in, n, want);
    static char copy[MP_EVLOG_CAP];
    snprintf(copy, sizeof(copy), "%s", got);
    run_mode(flags, 1, in, n, copy);
    return copy;
}
#define RUN(flags, lit, want) run((flags), (lit), sizeof(lit) - 1, (want))

static size_t count(const char *hay, const char *needle)
{
    size_t k = 0;
    const char *p = hay;
    while ((p = strstr(p, needle)) != NULL) {
        k++;
        p += strlen(needle);
    }
    return k;
}

#endif
