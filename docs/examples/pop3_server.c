/*
 * docs/pop3-server.md: a POP3 server session with its host.
 *
 * The "client" is a script of the reads a pipelining client's bytes
 * arrive in; each read is fed to the session in pieces of 7 bytes, as a
 * slow network would deliver them.  The host owns a maildrop of two
 * messages stored with LF line ends (as in a Maildir), checks the
 * password, answers STAT at once and the listing "later" (the session
 * pauses until it does), streams RETR through the session, which stuffs
 * the dots, and commits the deletion only when QUIT asks it to.  The
 * program checks what it answered and what it removed, and exits 0 when
 * both are right.
 */
#include <stdio.h>
#include <string.h>

#include <mailproto/pop3_server.h>

static const char *const client_reads[] = {
    "CAPA\r\n",
    "USER alice\r\nPASS pencil\r\n",
    "STAT\r\nUIDL\r\nRETR 1\r\nDELE 1\r\n",
    "QUIT\r\n",
};

/* The maildrop: as stored, with the unique-ids the host keeps. */
static const char *const messages[] = {
    "Subject: hello\n\n.a line that starts with a dot\nbye\n",
    "Subject: second\n\nno final line end",
};
static const char *const uids[] = {"1700000000.M1P1.host", "1700000001.M2P1.host"};

typedef struct host {
    mp_pop3_server s;
    char out[2048];                      /* the session's output buffer */
    char line[MP_POP3_SERVER_LINE_BUF];  /* a command split across reads */
    char user[41];
    int deleted[2];                      /* DELE marks: the host's */
    int removed[2];                      /* what UPDATE really removed */
    int listing_later;                   /* a UIDL listing waits for us */
    char sent[4096];                     /* everything sent, for the check */
    size_t sent_len;
} host;

/* ---- Sending ------------------------------------------------------------ */

static void send_output(host *h)
{
    size_t n;
    const char *o = mp_pop3_server_output(&h->s, &n);
    if (h->sent_len + n <= sizeof(h->sent)) {
        memcpy(h->sent + h->sent_len, o, n);
        h->sent_len += n;
    }
    mp_pop3_server_output_done(&h->s, n);
}

/* ---- Decisions ---------------------------------------------------------- */

/* RETR: push the stored message through the session, which stuffs the
 * dots and turns LF into CRLF; when its output is full, send and go on. */
static int retr(host *h, uint32_t msgno)
{
    const char *p = messages[msgno - 1];
    size_t n = strlen(p);
    if (mp_pop3_server_content_begin(&h->s, NULL) != MP_OK)
        return 1;
    while (n > 0) {
        size_t used = 0;
        mp_status st = mp_pop3_server_content(&h->s, p, n, &used);
        if (st == MP_DONE)
            break; /* TOP: the session has what it wants */
        if (st != MP_OK)
            return 1;
        p += used;
        n -= used;
        if (n > 0)
            send_output(h);
    }
    return mp_pop3_server_content_end(&h->s) != MP_OK;
}

static int on_decide(void *user, mp_pop3_server *s, const mp_pop3_request *rq)
{
    host *h = user;
    uint32_t i, live = 0;
    uint64_t size = 0;
    switch (rq->decision) {
    case MP_POP3_DECIDE_USER:
        /* Keep the name for PASS; say +OK whoever it is, so that names
         * cannot be probed. */
        snprintf(h->user, sizeof h->user, "%.*s", (int)rq->name.len, rq->name.ptr);
        return mp_pop3_server_ok(s, NULL) != MP_OK;
    case MP_POP3_DECIDE_PASS:
        if (strcmp(h->user, "alice") != 0 || rq->secret.len != 6 ||
            memcmp(rq->secret.ptr, "pencil", 6) != 0)
            return mp_pop3_server_err(s, MP_POP3_CODE_AUTH, NULL) != MP_OK;
        /* Here a real host locks the maildrop, or answers
         * MP_POP3_CODE_IN_USE. */
        for (i = 0; i < 2; i++)
            size += strlen(messages[i]);
        return mp_pop3_server_open(s, 2, size) != MP_OK;
    case MP_POP3_DECIDE_STAT:
        for (i = 0; i < 2; i++)
            if (!h->deleted[i]) {
                live++;
                size += strlen(messages[i]);
            }
        return mp_pop3_server_stat(s, live, size) != MP_OK;
    case MP_POP3_DECIDE_UIDL:
        /* Answered later: return without answering; feed pauses. */
        h->listing_later = 1;
        return 0;
    case MP_POP3_DECIDE_RETR:
        if (h->deleted[rq->msgno - 1])
            return mp_pop3_server_err(s, MP_POP3_CODE_NONE, "message deleted") != MP_OK;
        return retr(h, rq->msgno);
    case MP_POP3_DECIDE_DELE:
        h->deleted[rq->msgno - 1] = 1; /* a mark, nothing more */
        return mp_pop3_server_ok(s, NULL) != MP_OK;
    case MP_POP3_DECIDE_RSET:
        memset(h->deleted, 0, sizeof h->deleted);
        return mp_pop3_server_ok(s, NULL) != MP_OK;
    case MP_POP3_DECIDE_UPDATE:
        /* RFC 1939 §6: only now is anything removed. */
        for (i = 0; i < 2; i++)
            h->removed[i] = h->deleted[i];
        return mp_pop3_server_ok(s, NULL) != MP_OK;
    default:
        return mp_pop3_server_err(s, MP_POP3_CODE_NONE, "not here") != MP_OK;
    }
}

/* The listing the host answers after feed paused: one line per message
 * not deleted, then the end. */
static int answer_listing(host *h)
{
    uint32_t i;
    h->listing_later = 0;
    for (i = 0; i < 2; i++) {
        if (h->deleted[i])
            continue;
        if (mp_pop3_server_uidl(&h->s, i + 1, mp_slice_make(uids[i], strlen(uids[i]))) != MP_OK)
            return 1;
    }
    return mp_pop3_server_listing_end(&h->s) != MP_OK;
}

/* ---- The loop ----------------------------------------------------------- */

/* Feed one read; returns 1 once the session closed, -1 on a failure. */
static int feed(host *h, const char *in, size_t n)
{
    for (;;) {
        size_t used = 0;
        mp_status st = mp_pop3_server_feed(&h->s, in, n, &used);
        in += used;
        n -= used;
        send_output(h);
        switch (st) {
        case MP_OK:
            return 0;
        case MP_PAUSED:
            /* A decision is pending (answer it) or the output was full
             * (sent above): then feed the rest, possibly nothing. */
            if (h->listing_later && answer_listing(h) != 0)
                return -1;
            continue;
        case MP_CLOSED:
            return 1;
        default: /* no STLS offered here; a callback failed */
            return -1;
        }
    }
}

static const char expected[] =
    "+OK POP3 server ready\r\n"
    "+OK Capability list follows\r\nTOP\r\nUSER\r\nRESP-CODES\r\nPIPELINING\r\nUIDL\r\n"
    "AUTH-RESP-CODE\r\n.\r\n"
    "+OK Send PASS\r\n"
    "+OK maildrop has 2 messages (85 octets)\r\n"
    "+OK 2 85\r\n"
    "+OK unique-id listing follows\r\n1 1700000000.M1P1.host\r\n2 1700000001.M2P1.host\r\n"
    ".\r\n"
    "+OK message follows\r\nSubject: hello\r\n\r\n..a line that starts with a dot\r\nbye\r\n"
    ".\r\n"
    "+OK Message deleted\r\n"
    "+OK pop.example.org POP3 server signing off\r\n";

int main(void)
{
    static host h;
    static const mp_pop3_server_callbacks cb = {.on_decide = on_decide};
    static const mp_pop3_server_config cfg = {
        .hostname = "pop.example.org",
        .flags = MP_POP3_SRV_CONTENT_LF, /* the maildrop stores LF */
        .line_buf = h.line,
        .line_cap = sizeof h.line,
    };
    size_t r, i;
    int rc = 0;
    if (mp_pop3_server_init(&h.s, &cfg, &cb, &h, h.out, sizeof h.out) != MP_OK)
        return 1;
    send_output(&h); /* the greeting */
    for (r = 0; r < sizeof client_reads / sizeof client_reads[0] && rc == 0; r++) {
        const char *p = client_reads[r];
        size_t n = strlen(p);
        for (i = 0; i < n && rc == 0; i += 7)
            rc = feed(&h, p + i, n - i < 7 ? n - i : 7);
    }
    if (rc != 1 || h.sent_len != sizeof expected - 1 ||
        memcmp(h.sent, expected, h.sent_len) != 0 || !h.removed[0] || h.removed[1]) {
        fprintf(stderr, "pop3_server: unexpected outcome (rc %d):\n%.*s", rc, (int)h.sent_len,
                h.sent);
        return 1;
    }
    printf("%.*s", (int)h.sent_len, h.sent);
    return 0;
}
