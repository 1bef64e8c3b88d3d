/*
 * docs/imap-client.md: an IMAP client session (imap_client.h) against a
 * scripted server, through two in-memory wires (wire.h).
 *
 * The host logs in, selects INBOX, fetches every message (the bodies
 * arrive as streamed literals), waits in IDLE until a new message is
 * announced, and logs out.  Everything it does is an answer to an event.
 * The server is a script that answers each command line as Dovecot would
 * (it is not the library's business; a real host has a socket there).
 * Exit 0 when both bodies arrived whole, the mailbox state is what the
 * server said, and the session ended with MP_CLOSED.
 */
#include <stdio.h>
#include <string.h>

#include <mailproto/imap_client.h>

#include "wire.h"

static wire c2s, s2c;

/* ======================================================================= */
/* The scripted server                                                     */
/* ======================================================================= */

static const char body1[] = "Subject: one\r\n\r\nFirst.\r\n";
static const char body2[] = "Subject: two\r\n\r\nSecond.\r\n";

static void say(const char *text) { wire_put(&s2c, text, strlen(text)); }

/* Answer every complete command line in c2s. */
static void server(void)
{
    static char idle_tag[16];
    char *eol;
    while ((eol = memchr(c2s.buf, '\n', c2s.len)) != NULL) {
        char line[256], tag[16] = "", verb[32] = "", out[512];
        size_t n = (size_t)(eol - c2s.buf) + 1;
        memcpy(line, c2s.buf, n < sizeof line ? n : sizeof line - 1);
        line[n < sizeof line ? n : sizeof line - 1] = '\0';
        wire_take(&c2s, n);
        sscanf(line, "%15s %31s", tag, verb);
        if (strcmp(tag, "DONE") == 0) {
            snprintf(out, sizeof out, "%s OK Idle completed\r\n", idle_tag);
            say(out);
        } else if (strcmp(verb, "LOGIN") == 0) {
            snprintf(out, sizeof out,
                     "%s OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE UIDPLUS] Logged in\r\n", tag);
            say(out);
        } else if (strcmp(verb, "SELECT") == 0) {
            say("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* 2 EXISTS\r\n"
                "* OK [UIDVALIDITY 42] UIDs valid\r\n* OK [UIDNEXT 3] Predicted next UID\r\n");
            snprintf(out, sizeof out, "%s OK [READ-WRITE] Select completed\r\n", tag);
            say(out);
        } else if (strcmp(verb, "UID") == 0) {
            snprintf(out, sizeof out,
                     "* 1 FETCH (UID 1 FLAGS (\\Seen) BODY[] {%zu}\r\n%s)\r\n"
                     "* 2 FETCH (UID 2 FLAGS () BODY[] {%zu}\r\n%s)\r\n"
                     "%s OK Fetch completed\r\n",
                     sizeof body1 - 1, body1, sizeof body2 - 1, body2, tag);
            say(out);
        } else if (strcmp(verb, "IDLE") == 0) {
            memcpy(idle_tag, tag, sizeof idle_tag);
            say("+ idling\r\n* 3 EXISTS\r\n"); /* a delivery while idling */
        } else if (strcmp(verb, "LOGOUT") == 0) {
            snprintf(out, sizeof out, "* BYE Logging out\r\n%s OK Logout completed\r\n", tag);
            say(out);
        } else {
            snprintf(out, sizeof out, "%s BAD not in this script\r\n", tag);
            say(out);
        }
    }
}

/* ======================================================================= */
/* The host                                                                */
/* ======================================================================= */

typedef struct host {
    mp_imap_client c;
    char fetched[2][64]; /* the bodies, by UID */
    size_t len[2];
    uint32_t uid;        /* of the FETCH response being read */
    int idling;          /* the server said "+" to IDLE */
    int arrivals;        /* EXISTS while idling */
    int failed;
} host;

static host h;

static int on_event(void *user, const mp_imap_client_event *ev)
{
    host *x = user;
    static const mp_imap_seq_range all = { 1, MP_IMAP_SEQ_STAR };
    static const char *const items[] = { "UID", "FLAGS", "BODY.PEEK[]" };
    mp_status st = MP_OK;
    switch (ev->type) {
    case MP_IMAP_CLIENT_EV_READY:
        /* Greeted: log in.  Logged in (and capabilities known): select. */
        if (mp_imap_client_state_of(&x->c) == MP_IMAP_ST_NOT_AUTHENTICATED)
            st = mp_imap_client_login(&x->c, MP_SLICE_LIT("alice"), MP_SLICE_LIT("s3cret"), NULL);
        else
            st = mp_imap_client_select(&x->c, MP_SLICE_LIT("INBOX"), NULL, NULL);
        break;
    case MP_IMAP_CLIENT_EV_DONE:
        /* Each command's completion leads to the next one. */
        if (ev->status != MP_IMAP_RESP_OK)
            x->failed = 1;
        else if (ev->cmd_id == MP_IMAP_CMD_SELECT)
            st = mp_imap_client_fetch(&x->c, 1, &all, 1, items, 3, 0, 0, NULL);
        else if (ev->cmd_id == MP_IMAP_CMD_UID_FETCH)
            st = mp_imap_client_idle(&x->c, NULL);
        else if (ev->cmd_id == MP_IMAP_CMD_IDLE)
            st = mp_imap_client_logout(&x->c, NULL);
        break;
    case MP_IMAP_CLIENT_EV_RESPONSE:
        /* The parser's events: here the body of a FETCH, in chunks. */
        if (ev->resp->type == MP_IMAP_EV_VALUE && ev->resp->field == MP_IMAP_F_UID)
            x->uid = (uint32_t)ev->resp->num;
        if (ev->resp->type == MP_IMAP_EV_LITERAL_CHUNK && x->uid >= 1 && x->uid <= 2) {
            size_t i = x->uid - 1, n = ev->resp->str.len;
            if (n > sizeof x->fetched[i] - x->len[i])
                return MP_IMAP_CLIENT_CB_ABORT;
            memcpy(x->fetched[i] + x->len[i], ev->resp->str.ptr, n);
            x->len[i] += n;
        }
        break;
    case MP_IMAP_CLIENT_EV_CONTINUE:
        x->idling = ev->cmd_id == MP_IMAP_CMD_IDLE;
        break;
    case MP_IMAP_CLIENT_EV_EXISTS:
        /* A new message while idling: end IDLE (a real host fetches it). */
        if (x->idling && x->arrivals++ == 0)
            st = mp_imap_client_idle_done(&x->c);
        break;
    default:
        break;
    }
    return st == MP_OK ? MP_IMAP_CLIENT_CB_CONTINUE : MP_IMAP_CLIENT_CB_ABORT;
}

int main(void)
{
    static char out[4096], parsebuf[MP_IMAP_MAX_QUOTED];
    static uint32_t uids[64];
    static const mp_imap_client_callbacks cb = { on_event };
    const mp_imap_client_config cfg = { /* borrowed: lives as long as main */
        .tls = MP_IMAP_TLS_NONE, /* docs/mbedtls.md shows the TLS switch */
        .buf = parsebuf,
        .buf_cap = sizeof parsebuf,
        .uid_map = uids,
        .uid_cap = sizeof uids / sizeof uids[0],
    };
    const mp_imap_mailbox *mb;
    mp_status st = MP_NEED_MORE;
    int rounds;

    if (mp_imap_client_init(&h.c, &cfg, &cb, &h, out, sizeof out) != MP_OK)
        return 1;
    say("* OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE AUTH=PLAIN] Dovecot ready.\r\n");
    for (rounds = 0; st != MP_CLOSED && rounds < 100; rounds++) {
        size_t n, used;
        const char *o = mp_imap_client_output(&h.c, &n);
        /* 1. send: a response counts only for a command already sent */
        mp_imap_client_output_done(&h.c, wire_put(&c2s, o, n));
        server();
        /* 2. receive: feed what came, all of it */
        st = mp_imap_client_feed(&h.c, s2c.buf, s2c.len, &used);
        wire_take(&s2c, used);
        if (mp_is_error(st)) {
            const mp_error *e = mp_imap_client_error(&h.c);
            printf("session failed: %s at byte %llu (%s)\n", mp_strerror(e->code),
                   (unsigned long long)e->offset, e->rule ? e->rule : "");
            return 1;
        }
    }
    mb = mp_imap_client_mailbox(&h.c);
    printf("INBOX: %u messages, UIDVALIDITY %u, UID of message 2: %u\n", (unsigned)mb->exists,
           (unsigned)mb->uidvalidity, (unsigned)mp_imap_client_uid(&h.c, 2));
    if (st != MP_CLOSED || h.failed || h.len[0] != sizeof body1 - 1 ||
        memcmp(h.fetched[0], body1, h.len[0]) != 0 || h.len[1] != sizeof body2 - 1 ||
        memcmp(h.fetched[1], body2, h.len[1]) != 0 || mb->exists != 3 || mb->uidvalidity != 42)
        return 1;
    printf("ok: 2 messages fetched whole, 1 arrival seen in IDLE, logged out\n");
    return 0;
}
