/*
 * docs/imap-codec.md: the four parts of the IMAP codec talking to each
 * other through two in-memory wires (wire.h).
 *
 *   client: command writer (imap_command.h) -> wire -> command parser :server
 *   client: response parser (imap.h)        <- wire <- response writer :server
 *
 * The client logs in, selects INBOX, APPENDs a message (a synchronizing
 * literal: the writer pauses until the server's "+"), FETCHes it back (the
 * server streams it as a literal, the client receives it in chunks) and
 * logs out.  The server side is a toy with one mailbox of one message; it
 * shows what the host does with the parser's events.  Exit 0 when the
 * fetched bytes equal the appended ones and every command completed OK.
 */
#include <stdio.h>
#include <string.h>

#include <mailproto/imap.h>
#include <mailproto/imap_command.h>

#include "wire.h"

static const char message[] = "Subject: codec\r\n\r\nStreamed both ways.\r\n";

static wire c2s, s2c;

/* ======================================================================= */
/* Server: command parser events in, response writer out                   */
/* ======================================================================= */

static struct {
    mp_imap_cmd_parser p;
    char pbuf[MP_IMAP_CMD_PARSER_BUF];
    mp_imap_resp_writer w;
    mp_outbuf ob;
    char obuf[4096];
    char tag[MP_IMAP_MAX_TAG + 1];
    mp_imap_cmd_id cmd;
    char mailbox[64];      /* the stored message */
    size_t mailbox_len;
} srv;

/* "send()": between whole responses (or literal pieces), never inside one. */
static void srv_send(void)
{
    mp_outbuf_consume(&srv.ob, wire_put(&s2c, srv.obuf, srv.ob.len));
}

static int srv_command(void *user, mp_slice tag, mp_imap_cmd_id cmd)
{
    (void)user;
    memcpy(srv.tag, tag.ptr, tag.len);
    srv.tag[tag.len] = '\0';
    srv.cmd = cmd;
    return 0;
}

static int srv_arg(void *user, const mp_imap_cmd_arg *a)
{
    (void)user;
    if (a->kind == MP_IMAP_CA_MAILBOX)
        printf("server: %s mailbox \"%.*s\"\n", mp_imap_cmd_name(srv.cmd), (int)a->text.len,
               a->text.ptr);
    return 0;
}

/* APPEND: the message arrives in chunks of any size. */
static int srv_literal_chunk(void *user, mp_slice data)
{
    (void)user;
    if (data.len > sizeof srv.mailbox - srv.mailbox_len)
        return 1; /* a real server streams to storage */
    memcpy(srv.mailbox + srv.mailbox_len, data.ptr, data.len);
    srv.mailbox_len += data.len;
    return 0;
}

/* FETCH 1 (BODY[]): the response built from events, the body streamed. */
static void srv_fetch(void)
{
    mp_imap_resp_event ev = mp_imap_ev_begin(MP_IMAP_RESP_FETCH, MP_SLICE_LIT(""), 1, 1);
    size_t off = 0, taken;
    mp_imap_resp_write(&srv.w, &ev);
    ev = mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS);
    mp_imap_resp_write(&srv.w, &ev);
    ev = mp_imap_ev_atom(MP_IMAP_F_FETCH_ITEM, MP_SLICE_LIT("BODY"));
    mp_imap_resp_write(&srv.w, &ev);
    ev = mp_imap_ev_atom(MP_IMAP_F_SECTION, MP_SLICE_LIT("")); /* BODY[] */
    mp_imap_resp_write(&srv.w, &ev);
    ev = mp_imap_ev_literal(MP_IMAP_F_BODY_SECTION, srv.mailbox_len, 0);
    mp_imap_resp_write(&srv.w, &ev); /* "{n}\r\n" */
    while (off < srv.mailbox_len) {
        /* As much as fits; a real server sends between pushes. */
        mp_imap_resp_write_literal_data(&srv.w, srv.mailbox + off, srv.mailbox_len - off,
                                        &taken);
        off += taken;
        srv_send();
    }
    ev = mp_imap_ev_make(MP_IMAP_EV_LITERAL_END, MP_IMAP_F_BODY_SECTION);
    mp_imap_resp_write(&srv.w, &ev);
    ev = mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS);
    mp_imap_resp_write(&srv.w, &ev);
    ev = mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE);
    mp_imap_resp_write(&srv.w, &ev);
}

/* The command line is complete and valid: execute it. */
static int srv_end(void *user)
{
    mp_imap_resp_event ev;
    (void)user;
    switch (srv.cmd) {
    case MP_IMAP_CMD_LOGIN:
        /* Authenticated: longer lines are allowed from now on. */
        mp_imap_cmd_parser_set_max_line(&srv.p, 0);
        mp_imap_resp_write_status(&srv.w, srv.tag, MP_IMAP_RESP_OK, "CAPABILITY IMAP4rev1",
                                  "logged in");
        break;
    case MP_IMAP_CMD_SELECT:
        ev = mp_imap_ev_begin(MP_IMAP_RESP_EXISTS, MP_SLICE_LIT(""), 1,
                              srv.mailbox_len > 0 ? 1 : 0);
        mp_imap_resp_write(&srv.w, &ev);
        ev = mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE);
        mp_imap_resp_write(&srv.w, &ev);
        mp_imap_resp_write_status(&srv.w, srv.tag, MP_IMAP_RESP_OK, "READ-WRITE", "selected");
        break;
    case MP_IMAP_CMD_APPEND:
        mp_imap_resp_write_status(&srv.w, srv.tag, MP_IMAP_RESP_OK, "APPENDUID 1 1", "stored");
        break;
    case MP_IMAP_CMD_FETCH:
        srv_fetch();
        mp_imap_resp_write_status(&srv.w, srv.tag, MP_IMAP_RESP_OK, NULL, "fetched");
        break;
    case MP_IMAP_CMD_LOGOUT:
        mp_imap_resp_write_status(&srv.w, NULL, MP_IMAP_RESP_BYE, NULL, "bye");
        mp_imap_resp_write_status(&srv.w, srv.tag, MP_IMAP_RESP_OK, NULL, "logged out");
        break;
    default:
        mp_imap_resp_write_status(&srv.w, srv.tag, MP_IMAP_RESP_NO, NULL, "not here");
        break;
    }
    srv_send();
    return 0;
}

/* A bad command: answer BAD and go on; the parser already skipped it. */
static int srv_bad(void *user, mp_slice tag, mp_imap_cmd_id cmd, const mp_error *err)
{
    char t[MP_IMAP_MAX_TAG + 1];
    (void)user;
    (void)cmd;
    memcpy(t, tag.ptr, tag.len);
    t[tag.len] = '\0';
    mp_imap_resp_write_status(&srv.w, t, MP_IMAP_RESP_BAD, NULL, mp_strerror(err->code));
    srv_send();
    return 0;
}

static const mp_imap_cmd_callbacks srv_cb = {
    .on_command = srv_command,
    .on_arg = srv_arg,
    .on_literal_chunk = srv_literal_chunk,
    .on_end = srv_end,
    .on_bad = srv_bad,
};

static void srv_feed(void)
{
    size_t used = 0;
    mp_status st = mp_imap_cmd_parser_feed(&srv.p, c2s.buf, c2s.len, &used);
    wire_take(&c2s, used);
    if (st == MP_PAUSED && mp_imap_cmd_parser_literal_wait(&srv.p) >= 0) {
        /* A synchronizing literal: the client waits for "+".  (A server
         * that refuses it calls mp_imap_cmd_parser_reject_literal().) */
        mp_imap_cmd_parser_accept_literal(&srv.p);
        mp_imap_resp_write_status(&srv.w, NULL, MP_IMAP_RESP_CONTINUE, NULL, "go ahead");
        srv_send();
    }
}

/* ======================================================================= */
/* Client: command writer out, response parser events in                   */
/* ======================================================================= */

static struct {
    mp_imap_writer w;
    mp_outbuf ob;
    char obuf[4096];
    mp_imap_resp_parser p;
    char pbuf[MP_IMAP_MAX_QUOTED];
    int step;              /* the command being run */
    int waiting;           /* its tagged completion has not come yet */
    int appending;         /* APPEND data owed after "+" */
    int failed;
    char fetched[64];
    size_t fetched_len;
} cli;

static void cli_send(void)
{
    mp_outbuf_consume(&cli.ob, wire_put(&c2s, cli.obuf, cli.ob.len));
}

static int cli_event(void *user, const mp_imap_resp_event *ev)
{
    (void)user;
    switch (ev->type) {
    case MP_IMAP_EV_BEGIN:
        if (ev->resp == MP_IMAP_RESP_CONTINUE && cli.appending) {
            /* "+": the literal may go. */
            size_t used = 0;
            mp_imap_writer_continue(&cli.w);
            mp_imap_write_append_data(&cli.w, message, sizeof message - 1, &used);
            mp_imap_write_append_end(&cli.w);
            cli.appending = 0;
        }
        if (ev->str.len > 0) { /* tagged: the command completed */
            cli.waiting = 0;
            cli.failed |= ev->resp != MP_IMAP_RESP_OK;
        }
        if (ev->resp == MP_IMAP_RESP_CONTINUE)
            printf("client: +");
        else
            printf("client: %.*s%s %s", (int)ev->str.len, ev->str.ptr, ev->str.len ? "" : "*",
                   mp_imap_resp_name(ev->resp));
        if (ev->flags & MP_IMAP_EVF_NUMBERED)
            printf(" #%llu", (unsigned long long)ev->num);
        break;
    case MP_IMAP_EV_CODE:
        printf(" [%.*s]", (int)ev->str.len, ev->str.ptr);
        break;
    case MP_IMAP_EV_TEXT:
        printf(" \"%.*s\"", (int)ev->str.len, ev->str.ptr);
        break;
    case MP_IMAP_EV_LITERAL_BEGIN:
        printf(" %s {%llu}", mp_imap_field_name(ev->field), (unsigned long long)ev->num);
        break;
    case MP_IMAP_EV_LITERAL_CHUNK:
        /* The body, in chunks of any size: store or stream it. */
        if (ev->str.len <= sizeof cli.fetched - cli.fetched_len) {
            memcpy(cli.fetched + cli.fetched_len, ev->str.ptr, ev->str.len);
            cli.fetched_len += ev->str.len;
        }
        break;
    case MP_IMAP_EV_END:
        printf("\n");
        break;
    case MP_IMAP_EV_ERROR:
        printf("client: malformed response at byte %llu: %s\n",
               (unsigned long long)ev->err->offset, mp_strerror(ev->err->code));
        cli.failed = 1;
        break;
    default:
        break;
    }
    return MP_IMAP_CB_CONTINUE;
}

static const mp_imap_resp_callbacks cli_cb = { .on_event = cli_event };

/* Write the next command; returns 0 when there is none left. */
static int cli_next(void)
{
    static const mp_imap_seq_range one = { 1, 1 };
    static const char *const items[] = { "BODY[]" };
    const mp_slice seen = MP_SLICE_LIT("\\Seen");
    mp_status st = MP_OK;
    switch (cli.step++) {
    case 0:
        st = mp_imap_write_login(&cli.w, "a1", MP_SLICE_LIT("alice"),
                                 MP_SLICE_LIT("correct horse"));
        break;
    case 1:
        st = mp_imap_write_select(&cli.w, "a2", 0, MP_SLICE_LIT("INBOX"), 0, 0, 0, NULL, 0);
        break;
    case 2:
        st = mp_imap_write_append_begin(&cli.w, "a3", MP_SLICE_LIT("INBOX"), &seen, 1, NULL,
                                        sizeof message - 1, MP_IMAP_APPEND_LITERAL);
        /* MP_PAUSED: "{n}\r\n" is written, the data waits for "+". */
        cli.appending = st == MP_PAUSED;
        if (st == MP_PAUSED)
            st = MP_OK;
        break;
    case 3:
        st = mp_imap_write_fetch(&cli.w, "a4", 0, &one, 1, items, 1, 0, 0);
        break;
    case 4:
        st = mp_imap_write_command(&cli.w, "a5", MP_IMAP_CMD_LOGOUT, NULL, 0);
        break;
    default:
        return 0;
    }
    if (st != MP_OK) {
        printf("client: cannot write command %d: %s\n", cli.step, mp_strerror(st));
        cli.failed = 1;
        return 0;
    }
    cli.waiting = 1;
    return 1;
}

static void cli_feed(void)
{
    size_t used = 0;
    mp_imap_resp_feed(&cli.p, s2c.buf, s2c.len, &used);
    wire_take(&s2c, used);
}

int main(void)
{
    int rounds;
    mp_outbuf_init(&srv.ob, srv.obuf, sizeof srv.obuf);
    mp_imap_resp_writer_init(&srv.w, &srv.ob, 0, 0);
    mp_outbuf_init(&cli.ob, cli.obuf, sizeof cli.obuf);
    mp_imap_writer_init(&cli.w, &cli.ob, 0); /* plain IMAP4rev1: sync literals */
    if (mp_imap_cmd_parser_init(&srv.p, srv.pbuf, sizeof srv.pbuf, NULL, &srv_cb, NULL) != MP_OK ||
        mp_imap_resp_init(&cli.p, cli.pbuf, sizeof cli.pbuf, NULL, &cli_cb, NULL) != MP_OK)
        return 1;

    /* One command at a time; each round moves bytes both ways. */
    for (rounds = 0; rounds < 100 && !cli.failed; rounds++) {
        if (!cli.waiting && !cli_next())
            break;
        cli_send();
        srv_feed();
        cli_feed();
        cli_send(); /* the APPEND data written on "+" */
        srv_feed();
        cli_feed();
    }

    if (cli.failed || cli.step != 6 || cli.fetched_len != sizeof message - 1 ||
        memcmp(cli.fetched, message, cli.fetched_len) != 0) {
        printf("FAIL: a command failed or the fetched message differs\n");
        return 1;
    }
    printf("ok: %zu bytes appended and fetched back, every command OK\n", cli.fetched_len);
    return 0;
}
