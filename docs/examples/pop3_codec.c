/*
 * The POP3 codec on both sides (docs/pop3-codec.md): a client made of the
 * command writer and the response parser fetches a maildrop from a toy
 * server made of the command parser, the response writer, the core's dot
 * encoder and the TOP cutter, through two in-memory wires.  It reads the
 * greeting's APOP timestamp, CAPA, logs in, lists, takes the unique-ids,
 * retrieves a message with lines that start with dots, its TOP, and quits;
 * it checks that the message arrived byte for byte (LF turned into CRLF).
 */
#include <stdio.h>
#include <string.h>

#include "mailproto/pop3.h"
#include "wire.h"

/* The maildrop, stored with LF line ends as a Maildir holds it. */
static const char stored[] = "Subject: dots\n\n.leading dot\n..two dots\nend\n";
static const char wire_form[] = "Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\nend\r\n";
static const char top_form[] = "Subject: dots\r\n\r\n.leading dot\r\n";

static wire c2s, s2c;

/* ---- the toy server ------------------------------------------------------- */

static mp_line_framer sf;
static char sline[MP_POP3_MAX_COMMAND_LINE];

/* Send a whole message (or its TOP) stuffed, ending with CRLF "." CRLF. */
static mp_status serve_content(mp_outbuf *ob, int top, uint32_t lines)
{
    mp_dot_encoder e;
    mp_pop3_top_cutter t;
    size_t n = sizeof(stored) - 1, used;
    if (top) {
        mp_pop3_top_init(&t, lines);
        mp_pop3_top_cut(&t, stored, n, &n); /* n: the bytes TOP sends */
    }
    mp_dot_encoder_init(&e, MP_DOT_ENC_NORMALIZE); /* stored LF -> CRLF */
    if (mp_dot_encoder_update(&e, stored, n, &used, ob) != MP_OK || used != n)
        return MP_ERR_NO_SPACE;
    return mp_dot_encoder_finish(&e, ob);
}

static mp_status server_answer(mp_outbuf *ob, const mp_pop3_cmd *c)
{
    mp_pop3_caps caps;
    switch (c->verb) {
    case MP_POP3_CAPA:
        mp_pop3_caps_init(&caps);
        caps.flags = MP_POP3_CAP_TOP | MP_POP3_CAP_USER | MP_POP3_CAP_UIDL |
                     MP_POP3_CAP_RESP_CODES | MP_POP3_CAP_PIPELINING;
        if (mp_pop3_write_status(ob, 1, MP_SLICE_LIT(""), MP_SLICE_LIT("Capability list")) ||
            mp_pop3_write_capa(ob, &caps, MP_SLICE_LIT("")) || mp_pop3_write_end(ob))
            return MP_ERR_NO_SPACE;
        return MP_OK;
    case MP_POP3_STAT:
        return mp_pop3_write_stat(ob, 1, sizeof(wire_form) - 1);
    case MP_POP3_UIDL:
        if (c->has_arg)
            return mp_pop3_write_uidl_one(ob, c->msgno, MP_SLICE_LIT("1790000000.M1P1"));
        if (mp_pop3_write_status(ob, 1, MP_SLICE_LIT(""), MP_SLICE_LIT("")) ||
            mp_pop3_write_uidl_entry(ob, 1, MP_SLICE_LIT("1790000000.M1P1")) ||
            mp_pop3_write_end(ob))
            return MP_ERR_NO_SPACE;
        return MP_OK;
    case MP_POP3_RETR:
    case MP_POP3_TOP:
        if (c->msgno != 1)
            return mp_pop3_write_status(ob, 0, MP_SLICE_LIT(""), MP_SLICE_LIT("no such message"));
        if (mp_pop3_write_status(ob, 1, MP_SLICE_LIT(""), MP_SLICE_LIT("")))
            return MP_ERR_NO_SPACE;
        return serve_content(ob, c->verb == MP_POP3_TOP, c->lines);
    case MP_POP3_PASS:
        if (!mp_slice_eq_ci(c->arg, "tanstaaf", 8))
            return mp_pop3_write_status(ob, 0, MP_SLICE_LIT("AUTH"), MP_SLICE_LIT("no"));
        return mp_pop3_write_status(ob, 1, MP_SLICE_LIT(""), MP_SLICE_LIT("maildrop ready"));
    default:
        return mp_pop3_write_status(ob, 1, MP_SLICE_LIT(""), MP_SLICE_LIT(""));
    }
}

/* Read the client's commands from c2s, answer each into s2c. */
static int server_run(void)
{
    static char out[4096];
    mp_outbuf ob;
    size_t used;
    mp_slice line;
    mp_status st;
    mp_outbuf_init(&ob, out, sizeof(out));
    while ((st = mp_line_framer_next(&sf, c2s.buf, c2s.len, &used, &line)) != MP_NEED_MORE) {
        mp_pop3_cmd c;
        mp_error e;
        if (st == MP_OK && mp_pop3_cmd_parse(line.ptr, line.len, 0, NULL, &c, &e) == MP_OK)
            st = server_answer(&ob, &c);
        else /* a bad command gets -ERR and the session goes on */
            st = mp_pop3_write_status(&ob, 0, MP_SLICE_LIT(""), MP_SLICE_LIT("bad command"));
        wire_take(&c2s, used);
        if (st != MP_OK)
            return -1;
    }
    wire_take(&c2s, used);
    return wire_put(&s2c, out, ob.len) == ob.len ? 0 : -1;
}

/* ---- the client ------------------------------------------------------------ */

static mp_pop3_resp_parser rp;
static char rline[MP_POP3_MAX_RESPONSE_LINE];
static char got[512], stamp[128];
static size_t got_len;
static int ok_count;

/* Read responses from s2c until the one awaited has ended. */
static int client_read(void)
{
    size_t used;
    mp_pop3_resp_event ev;
    for (;;) {
        int done;
        mp_status st = mp_pop3_resp_next(&rp, s2c.buf, s2c.len, &used, &ev);
        if (st != MP_OK) /* MP_NEED_MORE: the server owes more, not here */
            return -1;
        if (ev.type == MP_POP3_EV_STATUS && ev.expect == MP_POP3_EXPECT_GREETING)
            snprintf(stamp, sizeof(stamp), "%.*s", (int)ev.timestamp.len, ev.timestamp.ptr);
        if (ev.type == MP_POP3_EV_STATUS)
            ok_count += ev.ok;
        if (ev.type == MP_POP3_EV_CONTENT && got_len + ev.text.len <= sizeof(got)) {
            memcpy(got + got_len, ev.text.ptr, ev.text.len);
            got_len += ev.text.len;
        }
        if (ev.type == MP_POP3_EV_UIDL_ENTRY)
            printf("client: message %u is %.*s\n", (unsigned)ev.msgno, (int)ev.uid.len,
                   ev.uid.ptr);
        if (ev.type == MP_POP3_EV_END && ev.err != NULL)
            printf("client: irregular content (%s)\n", mp_status_name(ev.err->code));
        done = (ev.type == MP_POP3_EV_STATUS && !ev.multiline) || ev.type == MP_POP3_EV_END;
        /* The event's slices point into s2c: consume only now. */
        wire_take(&s2c, used);
        if (done)
            return 0;
    }
}

/* Send one command, let the server answer, read the answer. */
static int exchange(const mp_pop3_cmd *c)
{
    static char out[512];
    mp_outbuf ob;
    mp_outbuf_init(&ob, out, sizeof(out));
    if (mp_pop3_write_command(&ob, c, 0, NULL) != MP_OK)
        return -1;
    wire_put(&c2s, out, ob.len);
    /* POP3 responses do not say whether they are multi-line: the command
     * does.  The parser is told before the bytes arrive. */
    if (mp_pop3_resp_expect(&rp, mp_pop3_expect_of(c->verb, c->has_arg)) != MP_OK)
        return -1;
    if (server_run() != 0)
        return -1;
    return client_read();
}

static mp_pop3_cmd cmd(mp_pop3_verb verb, const char *arg, uint32_t msgno, uint32_t lines)
{
    mp_pop3_cmd c;
    memset(&c, 0, sizeof(c));
    c.verb = verb;
    if (arg != NULL) {
        c.arg = mp_slice_make(arg, strlen(arg));
        c.has_arg = 1;
    }
    if (msgno != 0) {
        c.msgno = msgno;
        c.has_arg = 1;
    }
    if (verb == MP_POP3_TOP) {
        c.lines = lines;
        c.has_arg2 = 1;
    }
    return c;
}

int main(void)
{
    static const char greeting[] = "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n";
    mp_pop3_cmd script[9];
    size_t i;

    mp_line_framer_init(&sf, sline, sizeof(sline), MP_POP3_MAX_COMMAND_LINE, 0);
    if (mp_pop3_resp_init(&rp, rline, sizeof(rline), NULL) != MP_OK) /* expects a greeting */
        return 1;
    wire_put(&s2c, greeting, sizeof(greeting) - 1);
    if (client_read() != 0)
        return 1;
    printf("client: APOP timestamp %s\n", stamp);

    script[0] = cmd(MP_POP3_CAPA, NULL, 0, 0);
    script[1] = cmd(MP_POP3_USER, "mrose", 0, 0);
    script[2] = cmd(MP_POP3_PASS, "tanstaaf", 0, 0);
    script[3] = cmd(MP_POP3_STAT, NULL, 0, 0);
    script[4] = cmd(MP_POP3_UIDL, NULL, 0, 0);
    script[5] = cmd(MP_POP3_RETR, NULL, 1, 0);
    script[6] = cmd(MP_POP3_TOP, NULL, 1, 1);
    script[7] = cmd(MP_POP3_DELE, NULL, 1, 0);
    script[8] = cmd(MP_POP3_QUIT, NULL, 0, 0);
    for (i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
        if (exchange(&script[i]) != 0) {
            fprintf(stderr, "pop3_codec: %s failed\n", mp_pop3_verb_name(script[i].verb));
            return 1;
        }
        if (script[i].verb == MP_POP3_RETR &&
            (got_len != sizeof(wire_form) - 1 || memcmp(got, wire_form, got_len) != 0)) {
            fprintf(stderr, "pop3_codec: RETR gave other bytes\n");
            return 1;
        }
    }
    /* TOP 1 1: the header, the blank line and one body line. */
    if (got_len != sizeof(wire_form) - 1 + strlen(top_form) ||
        memcmp(got + sizeof(wire_form) - 1, top_form, strlen(top_form)) != 0 || ok_count != 10) {
        fprintf(stderr, "pop3_codec: TOP or a status went wrong\n");
        return 1;
    }
    printf("client: message retrieved whole (%zu bytes), TOP 1 1 cut, session over\n",
           sizeof(wire_form) - 1);
    return 0;
}
