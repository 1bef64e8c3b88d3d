/*
 * docs/imap-server.md: an IMAP server session with its host.
 *
 * The host serves one read-only mailbox of two messages kept in memory.
 * The "client" is a script of reads: LOGIN, SELECT, a FETCH of both
 * messages' flags and bodies, IDLE (during which a third message
 * "arrives" and the session tells the client at once), DONE and LOGOUT.
 * The password is checked "later" (the session pauses until the host
 * answers).  The program checks what it answered and exits 0 when it is
 * right.
 */
#include <stdio.h>
#include <string.h>

#include <mailproto/imap_server.h>
#include <mailproto/sasl.h>

static const char *const client_reads[] = {
    "a1 LOGIN alice \"open sesame\"\r\n",
    "a2 SELECT INBOX\r\na3 FETCH 1:2 (FLAGS BODY[])\r\n",
    "a4 IDLE\r\n",
    "DONE\r\n",
    "a5 LOGOUT\r\n",
};

static const char *const messages[] = {
    "Subject: one\r\n\r\nfirst\r\n",
    "Subject: two\r\n\r\nsecond\r\n",
};

typedef struct host {
    mp_imap_server s;
    mp_sasl_server sasl;
    char out[MP_IMAP_SERVER_MIN_OUT];
    char buf[MP_IMAP_SERVER_BUF];
    uint32_t lo, hi;          /* the FETCH's message range */
    int check_password;       /* a login waits for the password check */
    char sent[4096];          /* everything sent, for the check */
    size_t sent_len;
} host;

static void send_output(host *h)
{
    size_t n;
    const char *o = mp_imap_server_output(&h->s, &n);
    if (h->sent_len + n <= sizeof h->sent) {
        memcpy(h->sent + h->sent_len, o, n);
        h->sent_len += n;
    }
    mp_imap_server_output_done(&h->s, n); /* "sent" */
}

/* ---- The host's commands --------------------------------------------------- */

static mp_status fetch(host *h)
{
    uint32_t i;
    mp_slice none = mp_slice_make(NULL, 0);
    for (i = h->lo; i <= h->hi && i <= 2; i++) {
        const char *m = messages[i - 1];
        size_t len = strlen(m), off = 0;
        mp_imap_resp_event ev[] = {
            mp_imap_ev_begin(MP_IMAP_RESP_FETCH, none, 1, i),
            mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS),
            mp_imap_ev_atom(MP_IMAP_F_FETCH_ITEM, MP_SLICE_LIT("FLAGS")),
            mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FLAGS),
            mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_FLAGS),
            mp_imap_ev_atom(MP_IMAP_F_FETCH_ITEM, MP_SLICE_LIT("BODY")),
            mp_imap_ev_atom(MP_IMAP_F_SECTION, none),
            mp_imap_ev_literal(MP_IMAP_F_BODY_SECTION, len, 0), /* the size first */
        };
        mp_imap_resp_event tail[] = {
            mp_imap_ev_make(MP_IMAP_EV_LITERAL_END, MP_IMAP_F_BODY_SECTION),
            mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS),
            mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE),
        };
        size_t k;
        for (k = 0; k < sizeof ev / sizeof ev[0]; k++)
            if (mp_imap_server_respond(&h->s, &ev[k]) != MP_OK)
                return MP_ERR_STATE;
        while (off < len) { /* the body, in whatever pieces the output takes */
            size_t taken = 0;
            if (mp_imap_server_literal_data(&h->s, m + off, len - off, &taken) != MP_OK)
                return MP_ERR_STATE;
            off += taken;
            if (off < len)
                send_output(h);
        }
        for (k = 0; k < sizeof tail / sizeof tail[0]; k++)
            if (mp_imap_server_respond(&h->s, &tail[k]) != MP_OK)
                return MP_ERR_STATE;
    }
    return mp_imap_server_complete(&h->s, MP_IMAP_RESP_OK, NULL, "FETCH completed");
}

static int on_request(void *user, mp_imap_server *s, const mp_imap_server_req *r)
{
    host *h = user;
    mp_slice none = mp_slice_make(NULL, 0);
    if (r->type == MP_IMAP_REQ_ARG && r->cmd == MP_IMAP_CMD_FETCH &&
        r->arg->kind == MP_IMAP_CA_SEQ) {
        h->lo = r->arg->range.lo;
        h->hi = r->arg->range.hi == MP_IMAP_SEQ_STAR ? 2 : r->arg->range.hi;
    }
    if (r->type != MP_IMAP_REQ_EXECUTE)
        return 0; /* arguments arrive one by one; the command runs at EXECUTE */
    switch (r->cmd) {
    case MP_IMAP_CMD_SELECT: {
        mp_imap_resp_event exists[] = {
            mp_imap_ev_begin(MP_IMAP_RESP_EXISTS, none, 1, 2),
            mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE),
        };
        if (mp_imap_server_respond(s, &exists[0]) != MP_OK ||
            mp_imap_server_respond(s, &exists[1]) != MP_OK ||
            mp_imap_server_untagged(s, MP_IMAP_RESP_OK, "UIDVALIDITY 1", "UIDs valid") != MP_OK)
            return 1;
        return mp_imap_server_complete(s, MP_IMAP_RESP_OK, "READ-ONLY", "SELECT completed") !=
               MP_OK;
    }
    case MP_IMAP_CMD_FETCH:
        return fetch(h) != MP_OK;
    default:
        return mp_imap_server_complete(s, MP_IMAP_RESP_NO, NULL, "Not in this example") !=
               MP_OK;
    }
}

/* The password check: answered later, from the main loop. */
static int on_auth(void *user, mp_imap_server *s)
{
    host *h = user;
    (void)s;
    h->check_password = 1;
    return 0;
}

static int on_idle(void *user, mp_imap_server *s, int active)
{
    (void)user;
    if (active) /* new mail while the client idles: told at once */
        return mp_imap_server_notify_exists(s, 3) != MP_OK;
    return 0;
}

int main(void)
{
    static host h;
    static const mp_imap_server_callbacks cb = { on_request, NULL, on_auth, on_idle, NULL };
    const mp_imap_server_config cfg = { /* borrowed: lives as long as main */
        .flags = MP_IMAP_SRV_LOGIN | MP_IMAP_SRV_AUTH_PLAINTEXT | MP_IMAP_SRV_IDLE,
        .greeting = "example ready",
        .caps = "UIDPLUS",
        .sasl = &h.sasl, /* LOGIN runs as SASL PLAIN */
        .buf = h.buf,
        .buf_cap = sizeof h.buf,
    };
    size_t i;
    if (mp_imap_server_init(&h.s, &cfg, &cb, &h, h.out, sizeof h.out) != MP_OK)
        return 1;
    send_output(&h); /* the greeting */
    for (i = 0; i < sizeof client_reads / sizeof client_reads[0]; i++) {
        const char *in = client_reads[i];
        size_t len = strlen(in);
        while (len > 0) {
            size_t used = 0;
            mp_status st = mp_imap_server_feed(&h.s, in, len, &used);
            in += used;
            len -= used;
            send_output(&h);
            if (st == MP_CLOSED)
                break;
            if (st == MP_PAUSED && h.check_password) {
                mp_sasl_server *a = &h.sasl;
                int ok = mp_slice_eq_ci(a->authcid, "alice", 5) && a->password.len == 11 &&
                         memcmp(a->password.ptr, "open sesame", 11) == 0;
                h.check_password = 0;
                mp_sasl_server_verify(a, ok);
                mp_imap_server_auth_resume(&h.s);
                send_output(&h);
            } else if (st != MP_OK && st != MP_PAUSED) {
                return 1;
            }
        }
    }
    h.sent[h.sent_len < sizeof h.sent ? h.sent_len : sizeof h.sent - 1] = '\0';
    fputs(h.sent, stdout);
    return strstr(h.sent, "a1 OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS] LOGIN completed\r\n") &&
                   strstr(h.sent, "* 2 FETCH (FLAGS () BODY[] {24}\r\nSubject: two\r\n") &&
                   strstr(h.sent, "+ idling\r\n* 3 EXISTS\r\na4 OK IDLE terminated\r\n") &&
                   strstr(h.sent, "a5 OK LOGOUT completed\r\n")
               ? 0
               : 1;
}
