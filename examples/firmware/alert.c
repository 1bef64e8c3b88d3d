/* The alert sender: one SMTP client session driven over an fw_transport.
 * Everything the session asks is answered from on_event; the loop only
 * moves bytes.  See alert.h. */
#include <string.h>

#include "alert.h"

#define ALERT_MAX_RCPTS 4u
/* The output buffer must hold the longest command (RFC 5321 §4.5.3.1.4). */
#define ALERT_OUT_CAP MP_SMTP_MAX_COMMAND_LINE
/* AUTH PLAIN message: NUL user NUL password (RFC 4616), 255 each. */
#define ALERT_PLAIN_CAP (2u + 255u + 255u)

typedef struct alert_run {
    const alert *a;
    mp_smtp_client_envelope env;
    mp_smtp_client_rcpt rcpts[ALERT_MAX_RCPTS];
    size_t body_off;  /* message bytes handed to the session */
    int authed;       /* AUTH written */
    int sent;         /* the transaction started */
    int body_open;    /* BODY_READY came, the body is not ended yet */
    int accepted;     /* recipients that accepted the message */
    int failed;       /* AUTH refused, or a command could not be queued */
} alert_run;

static mp_smtp_client session;
static char out[ALERT_OUT_CAP];
static char plain[ALERT_PLAIN_CAP];
static alert_run run;

static mp_slice cstr(const char *s) { return mp_slice_make(s, strlen(s)); }

static int start_auth(alert_run *r)
{
    size_t ul = strlen(r->a->user), pl = strlen(r->a->password);
    if (ul > 255 || pl > 255)
        return -1;
    plain[0] = '\0';
    memcpy(plain + 1, r->a->user, ul);
    plain[1 + ul] = '\0';
    memcpy(plain + 2 + ul, r->a->password, pl);
    return mp_smtp_client_auth(&session, MP_SLICE_LIT("PLAIN"), plain, 2 + ul + pl, 1) == MP_OK
               ? 0 : -1;
}

static int on_event(void *user, const mp_smtp_client_event *ev)
{
    alert_run *r = user;
    switch (ev->type) {
    case MP_SMTP_EV_READY:
        if (r->a->user != NULL && !r->authed) {
            r->authed = 1;
            if (start_auth(r) != 0)
                r->failed = 1;
        } else if (!r->sent) {
            r->sent = 1;
            if (mp_smtp_client_send(&session, &r->env) != MP_OK)
                r->failed = 1;
        } else if (mp_smtp_client_quit(&session) != MP_OK) {
            r->failed = 1;
        }
        break;
    case MP_SMTP_EV_AUTH_RESULT:
        memset(plain, 0, sizeof(plain)); /* the password leaves RAM */
        if (!ev->accepted)
            r->failed = 1;
        break;
    case MP_SMTP_EV_BODY_READY:
        r->body_open = 1;
        break;
    case MP_SMTP_EV_MESSAGE:
        r->accepted = ev->accepted;
        break;
    default:
        break;
    }
    return r->failed ? MP_SMTP_CB_ABORT : MP_SMTP_CB_CONTINUE;
}

static const mp_smtp_client_callbacks callbacks = { on_event };

/* Push what the session has to send; -1 when the transport broke. */
static int flush(const fw_transport *t, int *moved)
{
    size_t n;
    const char *o = mp_smtp_client_output(&session, &n);
    long k;
    if (n == 0)
        return 0;
    k = t->send(t->ctx, o, n);
    if (k < 0)
        return -1;
    if (k > 0) {
        mp_smtp_client_output_done(&session, (size_t)k);
        *moved = 1;
    }
    return 0;
}

/* Hand the message to the session as far as its output has room. */
static void push_body(alert_run *r, int *moved)
{
    const char *m = r->a->message;
    size_t len = strlen(m), used = 0;
    if (r->body_off < len &&
        mp_smtp_client_body(&session, m + r->body_off, len - r->body_off, &used) == MP_OK) {
        r->body_off += used;
        *moved = used > 0;
    }
    if (r->body_off == len && mp_smtp_client_body_end(&session) == MP_OK) {
        r->body_open = 0;
        *moved = 1;
    }
}

mp_status alert_send(const fw_transport *t, const alert *a)
{
    mp_smtp_client_config cfg;
    char in[256];
    mp_status st = MP_NEED_MORE;
    size_t i;
    if (a->nto == 0 || a->nto > ALERT_MAX_RCPTS || t->open(t->ctx) != 0)
        return MP_ERR_ARG;
    memset(&run, 0, sizeof(run));
    run.a = a;
    for (i = 0; i < a->nto; i++)
        run.rcpts[i].address = cstr(a->to[i]);
    run.env.from = cstr(a->from);
    run.env.rcpts = run.rcpts;
    run.env.nrcpts = a->nto;
    run.env.last = 1; /* QUIT right behind the body when pipelining */
    memset(&cfg, 0, sizeof(cfg));
    cfg.helo_name = cstr(a->helo);
    /* The transport is TLS from the first byte (a TLS library below it):
     * the session may then send credentials. */
    cfg.tls = MP_SMTP_TLS_IMPLICIT;
    st = mp_smtp_client_init(&session, &cfg, &callbacks, &run, out, sizeof(out));
    while (st == MP_OK || st == MP_NEED_MORE) {
        int moved = 0;
        long k;
        if (flush(t, &moved) != 0)
            break;
        if (run.body_open)
            push_body(&run, &moved);
        k = t->recv(t->ctx, in, sizeof(in));
        if (k < 0)
            break;
        if (k > 0) {
            size_t used = 0;
            moved = 1;
            st = mp_smtp_client_feed(&session, in, (size_t)k, &used);
        }
        if (!moved && t->poll(t->ctx) != 0)
            break;
    }
    t->close(t->ctx);
    if (st == MP_CLOSED && run.accepted > 0)
        return MP_OK;
    if (mp_is_error(st))
        return st;
    return MP_ERR_ABORTED;
}
