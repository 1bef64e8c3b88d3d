/* The logging host shared by the SMTP server tests (test_server_session.c,
 * test_server_security.c; static, included once per program).  The
 * program defines `host` first, with at least: mp_smtp_server s, mp_evlog
 * *log, int async (answer only after feed paused) and char arg[] (the
 * mailbox being decided), and its own answer(): the host's policy.  What
 * is here logs the server's reply lines ("S: ...") and the events that
 * both programs log the same way. */
#ifndef MP_TEST_SMTP_SERVER_HOST_H
#define MP_TEST_SMTP_SERVER_HOST_H

/* The host's policy for the pending decision (defined by the program). */
static void answer(host *h);

static void flush(host *h)
{
    size_t n, i, st = 0;
    const char *o = mp_smtp_server_output(&h->s, &n);
    for (i = 0; i + 1 < n; i++) {
        if (o[i] == '\r' && o[i + 1] == '\n') {
            mp_evlog_add(h->log, "S: %.*s", (int)(i - st), o + st);
            st = i + 2;
            i++;
        }
    }
    assert_int_equal(st, n); /* whole replies only */
    mp_smtp_server_output_done(&h->s, n);
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

#endif
