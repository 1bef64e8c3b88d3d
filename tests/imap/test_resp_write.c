/* IMAP response writer: exact bytes, representation choice, whole or
 * nothing, streamed literals; the output always parses back. */
#include "test_resp_fixture.h"

static char obuf[4096];
static mp_outbuf ob;
static mp_imap_resp_writer w;

static void reset(unsigned mode)
{
    mp_outbuf_init(&ob, obuf, sizeof(obuf));
    mp_imap_resp_writer_init(&w, &ob, mode, 0);
}

static void expect_out(const char *want)
{
    assert_int_equal(ob.len, strlen(want));
    assert_memory_equal(ob.buf, want, ob.len);
}

static mp_imap_resp_event E(mp_imap_ev type, unsigned field, mp_imap_vtype vt, const char *s,
                            uint64_t num)
{
    mp_imap_resp_event ev;
    memset(&ev, 0, sizeof(ev));
    ev.type = type;
    ev.field = (mp_imap_field)field;
    ev.vtype = vt;
    if (s)
        ev.str = mp_slice_make(s, strlen(s));
    ev.num = num;
    return ev;
}

/* Writes the event E(...) builds; the writer's status. */
static mp_status put(mp_imap_ev type, unsigned field, mp_imap_vtype vt, const char *s,
                     uint64_t num)
{
    mp_imap_resp_event ev = E(type, field, vt, s, num);
    return mp_imap_resp_write(&w, &ev);
}

static void test_status(void **s)
{
    (void)s;
    reset(0);
    assert_int_equal(mp_imap_resp_write_status(&w, "a1", MP_IMAP_RESP_OK, "UIDNEXT 4392", "done"),
                     MP_OK);
    assert_int_equal(mp_imap_resp_write_status(&w, NULL, MP_IMAP_RESP_BYE, NULL, "bye"), MP_OK);
    assert_int_equal(mp_imap_resp_write_status(&w, "", MP_IMAP_RESP_CONTINUE, NULL, ""), MP_OK);
    assert_int_equal(mp_imap_resp_write_status(&w, "b", MP_IMAP_RESP_NO, "READ-ONLY", NULL),
                     MP_OK);
    expect_out("a1 OK [UIDNEXT 4392] done\r\n* BYE bye\r\n+ \r\nb NO [READ-ONLY]\r\n");
    /* refused values leave nothing */
    assert_int_equal(mp_imap_resp_write_status(&w, "a", MP_IMAP_RESP_OK, NULL, "x\r\ny"),
                     MP_ERR_BAD_VALUE);
    assert_int_equal(mp_imap_resp_write_status(&w, "a+", MP_IMAP_RESP_OK, NULL, "x"),
                     MP_ERR_BAD_VALUE);
    assert_int_equal(mp_imap_resp_write_status(&w, "a", MP_IMAP_RESP_OK, "X]Y", "x"),
                     MP_ERR_BAD_VALUE);
    assert_int_equal(mp_imap_resp_write_status(&w, "a", MP_IMAP_RESP_BYE, NULL, "x"), MP_ERR_ARG);
    assert_int_equal(mp_imap_resp_write_status(&w, "a", MP_IMAP_RESP_FETCH, NULL, "x"),
                     MP_ERR_ARG);
    assert_int_equal(mp_imap_resp_write_status(&w, "a", MP_IMAP_RESP_OK, NULL, "caf\xc3\xa9"),
                     MP_ERR_BAD_VALUE);
    expect_out("a1 OK [UIDNEXT 4392] done\r\n* BYE bye\r\n+ \r\nb NO [READ-ONLY]\r\n");
    reset(MP_IMAP_UTF8);
    assert_int_equal(mp_imap_resp_write_status(&w, "a", MP_IMAP_RESP_OK, NULL, "caf\xc3\xa9"),
                     MP_OK);
    /* UTF-8 mode takes well-formed UTF-8 only (found by fuzz_imap_resp_write) */
    assert_int_equal(mp_imap_resp_write_status(&w, "a", MP_IMAP_RESP_OK, NULL, "GeGe\xf5"),
                     MP_ERR_BAD_VALUE);
    assert_int_equal(mp_imap_resp_write_status(&w, "a", MP_IMAP_RESP_OK, NULL, "caf\xe9"),
                     MP_ERR_BAD_VALUE);
    expect_out("a OK caf\xc3\xa9\r\n");
    /* the quirk's readers take any 8-bit text */
    mp_outbuf_init(&ob, obuf, sizeof(obuf));
    mp_imap_resp_writer_init(&w, &ob, MP_IMAP_UTF8, MP_IMAP_Q_8BIT_TEXT);
    assert_int_equal(mp_imap_resp_write_status(&w, "a", MP_IMAP_RESP_OK, NULL, "caf\xe9"),
                     MP_OK);
    expect_out("a OK caf\xe9\r\n");
    /* no room: nothing written, the size needed is reported */
    {
        char small[8];
        mp_outbuf sob;
        mp_imap_resp_writer sw;
        mp_outbuf_init(&sob, small, sizeof(small));
        mp_imap_resp_writer_init(&sw, &sob, 0, 0);
        assert_int_equal(mp_imap_resp_write_status(&sw, "a", MP_IMAP_RESP_OK, NULL, "done"),
                         MP_ERR_NO_SPACE);
        assert_int_equal(sob.len, 0);
        assert_int_equal(sob.need, 11);
    }
}

static void test_strings(void **s)
{
    (void)s;
    reset(0);
    assert_int_equal(mp_imap_write_string(&ob, 0, MP_SLICE_LIT("a \"b\" \\c")), MP_OK);
    assert_int_equal(mp_imap_write_string(&ob, 0, MP_SLICE_LIT("two\r\nlines")), MP_OK);
    assert_int_equal(mp_imap_write_string(&ob, 0, MP_SLICE_LIT("caf\xc3\xa9")), MP_OK);
    assert_int_equal(mp_imap_write_string(&ob, MP_IMAP_UTF8, MP_SLICE_LIT("caf\xc3\xa9")), MP_OK);
    assert_int_equal(mp_imap_write_string(&ob, 0, MP_SLICE_LIT("")), MP_OK);
    assert_int_equal(mp_imap_write_string(&ob, 0, mp_slice_make("a\0b", 3)), MP_ERR_BAD_VALUE);
    /* not UTF-8 in UTF-8 mode: a literal (octets), never a quoted string */
    assert_int_equal(mp_imap_write_string(&ob, MP_IMAP_UTF8, MP_SLICE_LIT("caf\xe9")), MP_OK);
    expect_out("\"a \\\"b\\\" \\\\c\"{10}\r\ntwo\r\nlines{5}\r\ncaf\xc3\xa9\"caf\xc3\xa9\"\"\""
               "{4}\r\ncaf\xe9");
}

/* A FETCH with a streamed BODY[] built from events, body pushed in chunks
 * through a small buffer. */
static void test_fetch_stream(void **s)
{
    static const char body[] = "Subject: hi\r\n\r\nHello, world\r\n";
    mp_imap_resp_event ev;
    size_t off = 0, taken;
    (void)s;
    reset(0);
    ev = E(MP_IMAP_EV_BEGIN, 0, MP_IMAP_V_NONE, NULL, 12);
    ev.resp = MP_IMAP_RESP_FETCH;
    ev.flags = MP_IMAP_EVF_NUMBERED;
    assert_int_equal(mp_imap_resp_write(&w, &ev), MP_OK);
    assert_int_equal(put(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS, MP_IMAP_V_NONE, NULL, 0),
                     MP_OK);
    assert_int_equal(put(MP_IMAP_EV_VALUE, MP_IMAP_F_FETCH_ITEM, MP_IMAP_V_ATOM, "UID", 0), MP_OK);
    assert_int_equal(put(MP_IMAP_EV_VALUE, MP_IMAP_F_UID, MP_IMAP_V_NUMBER, "", 7), MP_OK);
    assert_int_equal(put(MP_IMAP_EV_VALUE, MP_IMAP_F_FETCH_ITEM, MP_IMAP_V_ATOM, "BODY", 0), MP_OK);
    assert_int_equal(put(MP_IMAP_EV_VALUE, MP_IMAP_F_SECTION, MP_IMAP_V_ATOM, "HEADER.FIELDS", 0),
                     MP_OK);
    assert_int_equal(put(MP_IMAP_EV_VALUE, MP_IMAP_F_SECTION_HEADER, MP_IMAP_V_ATOM, "SUBJECT", 0),
                     MP_OK);
    ev = E(MP_IMAP_EV_VALUE, MP_IMAP_F_PARTIAL, MP_IMAP_V_NUMBER, "", 0);
    assert_int_equal(mp_imap_resp_write(&w, &ev), MP_OK);
    ev = E(MP_IMAP_EV_LITERAL_BEGIN, MP_IMAP_F_BODY_SECTION, MP_IMAP_V_NONE, NULL,
           sizeof(body) - 1);
    assert_int_equal(mp_imap_resp_write(&w, &ev), MP_OK);
    expect_out("* 12 FETCH (UID 7 BODY[HEADER.FIELDS (SUBJECT)]<0> {29}\r\n");
    /* the host drains the buffer between pushes */
    {
        static char all[256];
        size_t alen = ob.len;
        memcpy(all, obuf, ob.len);
        while (off < sizeof(body) - 1) {
            mp_outbuf_consume(&ob, ob.len);
            ob.cap = 7; /* a tiny window */
            assert_int_equal(mp_imap_resp_write_literal_data(&w, body + off,
                                                             sizeof(body) - 1 - off, &taken),
                             MP_OK);
            assert_true(taken > 0 && taken <= 7);
            memcpy(all + alen, obuf, ob.len);
            alen += ob.len;
            off += taken;
        }
        mp_outbuf_consume(&ob, ob.len);
        ob.cap = sizeof(obuf);
        /* owed bytes are exact: one more byte is refused */
        assert_int_equal(mp_imap_resp_write_literal_data(&w, "x", 1, &taken), MP_OK);
        assert_int_equal(taken, 0);
        assert_int_equal(put(MP_IMAP_EV_LITERAL_END, MP_IMAP_F_BODY_SECTION, MP_IMAP_V_NONE,
                             NULL, 0),
                         MP_OK);
        assert_int_equal(put(MP_IMAP_EV_VALUE, MP_IMAP_F_FETCH_ITEM, MP_IMAP_V_ATOM, "FLAGS", 0),
                         MP_OK);
        assert_int_equal(put(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FLAGS, MP_IMAP_V_NONE, NULL, 0),
                         MP_OK);
        assert_int_equal(put(MP_IMAP_EV_VALUE, MP_IMAP_F_FLAG, MP_IMAP_V_FLAG, "\\Seen", 0), MP_OK);
        assert_int_equal(put(MP_IMAP_EV_LIST_END, MP_IMAP_F_FLAGS, MP_IMAP_V_NONE, NULL, 0), MP_OK);
        assert_int_equal(put(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS, MP_IMAP_V_NONE, NULL, 0),
                         MP_OK);
        /* END refused while... nothing is open: fine */
        assert_int_equal(put(MP_IMAP_EV_END, 0, MP_IMAP_V_NONE, NULL, 0), MP_OK);
        memcpy(all + alen, obuf, ob.len);
        alen += ob.len;
        assert_int_equal(alen, strlen("* 12 FETCH (UID 7 BODY[HEADER.FIELDS (SUBJECT)]<0> "
                                      "{29}\r\nSubject: hi\r\n\r\nHello, world\r\n FLAGS "
                                      "(\\Seen))\r\n"));
        assert_memory_equal(all,
                            "* 12 FETCH (UID 7 BODY[HEADER.FIELDS (SUBJECT)]<0> {29}\r\n"
                            "Subject: hi\r\n\r\nHello, world\r\n FLAGS (\\Seen))\r\n",
                            alen);
        /* and it parses back */
        rf_setup(0, 0);
        rf_check(all, alen,
                 "begin FETCH #12\n( FETCH_ATTS\nFETCH_ITEM:atom UID\nUID:num 7\n"
                 "FETCH_ITEM:atom BODY\nSECTION:atom HEADER.FIELDS\nSECTION_HEADER:atom SUBJECT\n"
                 "PARTIAL:num 0\nlit BODY_SECTION 29\n"
                 "chunk lit Subject: hi\\r\\n\\r\\nHello, world\\r\\n\nlit_end\n"
                 "FETCH_ITEM:atom FLAGS\n( FLAGS\nFLAG:flag \\\\Seen\n) FLAGS\n) FETCH_ATTS\nend\n");
    }
}

/* A long string streamed quoted (LITERAL_BEGIN with MP_IMAP_EVF_QUOTED):
 * '"' at BEGIN, chunks escaped, '"' at END; write_literal_data() takes
 * only what fits escaped; bytes a quoted string cannot hold are refused;
 * an empty string given as a NULL slice is "" (memchr(NULL, 0, 0) is
 * undefined, so it must never be reached). */
static void test_quoted_stream(void **s)
{
    mp_imap_resp_event ev;
    size_t taken, off = 0;
    static const char body[] = "ab\"c\\d";
    static char all[256];
    size_t alen;
    (void)s;
    reset(MP_IMAP_UTF8);
    ev = E(MP_IMAP_EV_BEGIN, 0, MP_IMAP_V_NONE, NULL, 3);
    ev.resp = MP_IMAP_RESP_FETCH;
    ev.flags = MP_IMAP_EVF_NUMBERED;
    assert_int_equal(mp_imap_resp_write(&w, &ev), MP_OK);
    assert_int_equal(put(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS, MP_IMAP_V_NONE, NULL, 0),
                     MP_OK);
    assert_int_equal(put(MP_IMAP_EV_VALUE, MP_IMAP_F_FETCH_ITEM, MP_IMAP_V_ATOM, "PREVIEW", 0),
                     MP_OK);
    ev = mp_imap_ev_literal(MP_IMAP_F_PREVIEW, 0, 0);
    ev.flags = MP_IMAP_EVF_QUOTED;
    assert_int_equal(mp_imap_resp_write(&w, &ev), MP_OK);
    expect_out("* 3 FETCH (PREVIEW \"");
    /* chunk events: whole or nothing, escaped; an empty one (NULL) too */
    assert_int_equal(put(MP_IMAP_EV_LITERAL_CHUNK, MP_IMAP_F_PREVIEW, MP_IMAP_V_NONE, NULL, 0),
                     MP_OK);
    assert_int_equal(put(MP_IMAP_EV_LITERAL_CHUNK, MP_IMAP_F_PREVIEW, MP_IMAP_V_NONE, "x\"", 0),
                     MP_OK);
    assert_int_equal(put(MP_IMAP_EV_LITERAL_CHUNK, MP_IMAP_F_PREVIEW, MP_IMAP_V_NONE, "y\r", 0),
                     MP_ERR_BAD_VALUE);
    /* a UTF-8 sequence may span chunks; END inside one is refused */
    assert_int_equal(put(MP_IMAP_EV_LITERAL_CHUNK, MP_IMAP_F_PREVIEW, MP_IMAP_V_NONE, "\xe2\x82", 0),
                     MP_OK);
    assert_int_equal(put(MP_IMAP_EV_LITERAL_END, MP_IMAP_F_PREVIEW, MP_IMAP_V_NONE, NULL, 0),
                     MP_ERR_BAD_VALUE);
    assert_int_equal(put(MP_IMAP_EV_LITERAL_CHUNK, MP_IMAP_F_PREVIEW, MP_IMAP_V_NONE, "x", 0),
                     MP_ERR_BAD_VALUE);
    assert_int_equal(put(MP_IMAP_EV_LITERAL_CHUNK, MP_IMAP_F_PREVIEW, MP_IMAP_V_NONE, "\xac", 0),
                     MP_OK);
    /* a tiny window: an escape is never split */
    alen = ob.len;
    memcpy(all, obuf, ob.len);
    while (off < sizeof(body) - 1) {
        mp_outbuf_consume(&ob, ob.len);
        ob.cap = 2;
        assert_int_equal(mp_imap_resp_write_literal_data(&w, body + off, sizeof(body) - 1 - off,
                                                         &taken),
                         MP_OK);
        assert_true(taken > 0);
        memcpy(all + alen, obuf, ob.len);
        alen += ob.len;
        off += taken;
    }
    mp_outbuf_consume(&ob, ob.len);
    ob.cap = sizeof(obuf);
    assert_int_equal(mp_imap_resp_write_literal_data(&w, "a\nb", 3, &taken), MP_ERR_BAD_VALUE);
    assert_int_equal(taken, 1);
    assert_int_equal(put(MP_IMAP_EV_LITERAL_END, MP_IMAP_F_PREVIEW, MP_IMAP_V_NONE, NULL, 0),
                     MP_OK);
    assert_int_equal(put(MP_IMAP_EV_VALUE, MP_IMAP_F_FETCH_ITEM, MP_IMAP_V_ATOM, "X-EMPTY", 0),
                     MP_OK);
    ev = mp_imap_ev_string(MP_IMAP_F_UNKNOWN, mp_slice_make(NULL, 0));
    assert_int_equal(mp_imap_resp_write(&w, &ev), MP_OK);
    assert_int_equal(put(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS, MP_IMAP_V_NONE, NULL, 0),
                     MP_OK);
    assert_int_equal(put(MP_IMAP_EV_END, 0, MP_IMAP_V_NONE, NULL, 0), MP_OK);
    memcpy(all + alen, obuf, ob.len);
    alen += ob.len;
    {
        static const char want[] =
            "* 3 FETCH (PREVIEW \"x\\\"\xe2\x82\xac" "ab\\\"c\\\\da\" X-EMPTY \"\")\r\n";
        assert_int_equal(alen, sizeof(want) - 1);
        assert_memory_equal(all, want, alen);
    }
    /* a literal8 cannot be quoted */
    reset(0);
    ev = E(MP_IMAP_EV_BEGIN, 0, MP_IMAP_V_NONE, NULL, 3);
    ev.resp = MP_IMAP_RESP_FETCH;
    ev.flags = MP_IMAP_EVF_NUMBERED;
    assert_int_equal(mp_imap_resp_write(&w, &ev), MP_OK);
    assert_int_equal(put(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS, MP_IMAP_V_NONE, NULL, 0),
                     MP_OK);
    assert_int_equal(put(MP_IMAP_EV_VALUE, MP_IMAP_F_FETCH_ITEM, MP_IMAP_V_ATOM, "PREVIEW", 0),
                     MP_OK);
    ev = mp_imap_ev_literal(MP_IMAP_F_PREVIEW, 0, 1);
    ev.flags |= MP_IMAP_EVF_QUOTED;
    assert_int_equal(mp_imap_resp_write(&w, &ev), MP_ERR_BAD_VALUE);
}

static void test_refusals(void **s)
{
    mp_imap_resp_event ev;
    (void)s;
    reset(0);
    mp_imap_resp_writer_per_element(&w);
    assert_int_equal(put(MP_IMAP_EV_VALUE, MP_IMAP_F_UID, MP_IMAP_V_NUMBER, "", 7),
                     MP_ERR_STATE); /* before BEGIN */
    ev = E(MP_IMAP_EV_BEGIN, 0, MP_IMAP_V_NONE, NULL, 0);
    ev.resp = MP_IMAP_RESP_CAPABILITY;
    assert_int_equal(mp_imap_resp_write(&w, &ev), MP_OK);
    assert_int_equal(put(MP_IMAP_EV_VALUE, MP_IMAP_F_CAPABILITY, MP_IMAP_V_ATOM, "IMAP4rev2 X", 0),
                     MP_ERR_BAD_VALUE);
    assert_int_equal(put(MP_IMAP_EV_VALUE, MP_IMAP_F_CAPABILITY, MP_IMAP_V_ATOM, "", 0),
                     MP_ERR_BAD_VALUE);
    assert_int_equal(put(MP_IMAP_EV_VALUE, MP_IMAP_F_CAPABILITY, MP_IMAP_V_ATOM, "IMAP4rev2", 0),
                     MP_OK);
    assert_int_equal(put(MP_IMAP_EV_LIST_END, MP_IMAP_F_FLAGS, MP_IMAP_V_NONE, NULL, 0),
                     MP_ERR_STATE);
    assert_int_equal(put(MP_IMAP_EV_LITERAL_BEGIN, MP_IMAP_F_UNKNOWN, MP_IMAP_V_NONE, NULL, 3),
                     MP_OK);
    ev = E(MP_IMAP_EV_LITERAL_CHUNK, 0, MP_IMAP_V_NONE, NULL, 0);
    ev.str = mp_slice_make("a\0b", 3);
    assert_int_equal(mp_imap_resp_write(&w, &ev), MP_ERR_BAD_VALUE); /* NUL: literal8 only */
    ev.str = mp_slice_make("ab", 2);
    assert_int_equal(mp_imap_resp_write(&w, &ev), MP_OK);
    assert_int_equal(put(MP_IMAP_EV_LITERAL_END, 0, MP_IMAP_V_NONE, NULL, 0),
                     MP_ERR_STATE); /* one byte owed */
    assert_int_equal(put(MP_IMAP_EV_END, 0, MP_IMAP_V_NONE, NULL, 0), MP_ERR_STATE);
    expect_out("* CAPABILITY IMAP4rev2 {3}\r\nab");
}

/* a host's UTF-8 mailbox name goes out in modified UTF-7 in rev1, raw
 * under UTF8=ACCEPT */
static void test_mailbox_names(void **s)
{
    mp_imap_resp_event ev;
    static const char *const names[] = { "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "a\"b&\\c",
                                         "plain", "caf\xc3\xa9 \"x\"" };
    static const char *const wire[] = { "\"&ZeVnLIqe-\"", "\"a\\\"b&-\\\\c\"", "\"plain\"",
                                        "\"caf&AOk- \\\"x\\\"\"" };
    size_t k;
    (void)s;
    for (k = 0; k < 4; k++) {
        char want[64];
        reset(0);
        ev = E(MP_IMAP_EV_BEGIN, 0, MP_IMAP_V_NONE, NULL, 0);
        ev.resp = MP_IMAP_RESP_STATUS;
        assert_int_equal(mp_imap_resp_write(&w, &ev), MP_OK);
        assert_int_equal(put(MP_IMAP_EV_VALUE, MP_IMAP_F_MAILBOX, MP_IMAP_V_STRING, names[k], 0),
                         MP_OK);
        snprintf(want, sizeof(want), "* STATUS %s", wire[k]);
        expect_out(want);
    }
    /* no room: nothing written, the exact size reported */
    {
        char small[12];
        mp_outbuf sob;
        mp_imap_resp_writer sw;
        mp_outbuf_init(&sob, small, sizeof(small));
        mp_imap_resp_writer_init(&sw, &sob, 0, 0);
        mp_imap_resp_writer_per_element(&sw);
        ev = E(MP_IMAP_EV_BEGIN, 0, MP_IMAP_V_NONE, NULL, 0);
        ev.resp = MP_IMAP_RESP_STATUS;
        assert_int_equal(mp_imap_resp_write(&sw, &ev), MP_OK);
        ev = E(MP_IMAP_EV_VALUE, MP_IMAP_F_MAILBOX, MP_IMAP_V_STRING, names[0], 0);
        assert_int_equal(mp_imap_resp_write(&sw, &ev), MP_ERR_NO_SPACE);
        assert_int_equal(sob.len, 8);
        assert_int_equal(sob.need, 13);
        ev = E(MP_IMAP_EV_VALUE, MP_IMAP_F_MAILBOX, MP_IMAP_V_STRING, "\xff", 0);
        assert_int_equal(mp_imap_resp_write(&sw, &ev), MP_ERR_BAD_VALUE);
    }
    reset(MP_IMAP_UTF8);
    ev = E(MP_IMAP_EV_BEGIN, 0, MP_IMAP_V_NONE, NULL, 0);
    ev.resp = MP_IMAP_RESP_STATUS;
    assert_int_equal(mp_imap_resp_write(&w, &ev), MP_OK);
    assert_int_equal(put(MP_IMAP_EV_VALUE, MP_IMAP_F_MAILBOX, MP_IMAP_V_STRING, names[0], 0),
                     MP_OK);
    expect_out("* STATUS \"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\"");
}

/* whole responses or nothing; a streamed literal splits the units */
static void test_whole(void **s)
{
    char small[64];
    mp_outbuf sob;
    mp_imap_resp_writer sw;
    mp_imap_resp_event ev[8], end;
    size_t k, taken;
    (void)s;
    end = E(MP_IMAP_EV_END, 0, MP_IMAP_V_NONE, NULL, 0);
    ev[0] = E(MP_IMAP_EV_BEGIN, 0, MP_IMAP_V_NONE, NULL, 0);
    ev[0].resp = MP_IMAP_RESP_CAPABILITY;
    ev[1] = E(MP_IMAP_EV_VALUE, MP_IMAP_F_CAPABILITY, MP_IMAP_V_ATOM, "IMAP4rev2", 0);
    ev[2] = E(MP_IMAP_EV_VALUE, MP_IMAP_F_CAPABILITY, MP_IMAP_V_ATOM, "IDLE", 0);
    ev[3] = E(MP_IMAP_EV_VALUE, MP_IMAP_F_CAPABILITY, MP_IMAP_V_ATOM, "LITERAL+", 0);
    ev[4] = E(MP_IMAP_EV_END, 0, MP_IMAP_V_NONE, NULL, 0);
    mp_outbuf_init(&sob, small, 20);
    mp_imap_resp_writer_init(&sw, &sob, 0, 0);
    for (k = 0; k < 4; k++)
        assert_int_equal(mp_imap_resp_write(&sw, &ev[k]), MP_OK);
    assert_int_equal(mp_imap_resp_write(&sw, &ev[4]), MP_ERR_NO_SPACE);
    assert_int_equal(sob.len, 0);
    assert_int_equal(sob.need, strlen("* CAPABILITY IMAP4rev2 IDLE LITERAL+\r\n"));
    assert_false(mp_imap_resp_writer_busy(&sw));
    sob.cap = sizeof(small);
    for (k = 0; k < 5; k++)
        assert_int_equal(mp_imap_resp_write(&sw, &ev[k]), MP_OK);
    assert_int_equal(sob.len, 38);
    assert_memory_equal(small, "* CAPABILITY IMAP4rev2 IDLE LITERAL+\r\n", 38);
    /* a refused value drops the unit */
    mp_outbuf_consume(&sob, sob.len);
    assert_int_equal(mp_imap_resp_write(&sw, &ev[0]), MP_OK);
    ev[5] = E(MP_IMAP_EV_VALUE, MP_IMAP_F_CAPABILITY, MP_IMAP_V_ATOM, "A B", 0);
    assert_int_equal(mp_imap_resp_write(&sw, &ev[5]), MP_ERR_BAD_VALUE);
    assert_int_equal(sob.len, 0);
    assert_false(mp_imap_resp_writer_busy(&sw));
    /* FETCH with a literal: prefix, payload, suffix */
    mp_outbuf_init(&sob, small, sizeof(small));
    ev[0] = E(MP_IMAP_EV_BEGIN, 0, MP_IMAP_V_NONE, NULL, 1);
    ev[0].resp = MP_IMAP_RESP_FETCH;
    ev[0].flags = MP_IMAP_EVF_NUMBERED;
    ev[1] = E(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS, MP_IMAP_V_NONE, NULL, 0);
    ev[2] = E(MP_IMAP_EV_VALUE, MP_IMAP_F_FETCH_ITEM, MP_IMAP_V_ATOM, "RFC822", 0);
    ev[3] = E(MP_IMAP_EV_LITERAL_BEGIN, MP_IMAP_F_BODY_SECTION, MP_IMAP_V_NONE, NULL, 4);
    ev[4] = E(MP_IMAP_EV_LITERAL_END, 0, MP_IMAP_V_NONE, NULL, 0);
    ev[5] = E(MP_IMAP_EV_VALUE, MP_IMAP_F_FETCH_ITEM, MP_IMAP_V_ATOM, "INTERNALDATE", 0);
    ev[6] = E(MP_IMAP_EV_VALUE, MP_IMAP_F_INTERNALDATE, MP_IMAP_V_STRING,
              "17-Jul-1996 02:44:25 -0700", 0);
    ev[7] = E(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS, MP_IMAP_V_NONE, NULL, 0);
    for (k = 0; k < 4; k++)
        assert_int_equal(mp_imap_resp_write(&sw, &ev[k]), MP_OK);
    assert_int_equal(sob.len, strlen("* 1 FETCH (RFC822 {4}\r\n"));
    assert_int_equal(mp_imap_resp_write_literal_data(&sw, "abcd", 4, &taken), MP_OK);
    assert_int_equal(taken, 4);
    assert_int_equal(mp_imap_resp_write(&sw, &ev[4]), MP_OK);
    mp_outbuf_consume(&sob, sob.len); /* sent */
    sob.cap = 20;
    for (k = 5; k < 8; k++)
        assert_int_equal(mp_imap_resp_write(&sw, &ev[k]), MP_OK);
    assert_int_equal(mp_imap_resp_write(&sw, &end),
                     MP_ERR_NO_SPACE);
    assert_int_equal(sob.len, 0);
    assert_true(mp_imap_resp_writer_busy(&sw)); /* still inside the response */
    sob.cap = sizeof(small);
    for (k = 5; k < 8; k++)
        assert_int_equal(mp_imap_resp_write(&sw, &ev[k]), MP_OK);
    assert_int_equal(mp_imap_resp_write(&sw, &end),
                     MP_OK);
    assert_int_equal(sob.len, strlen(" INTERNALDATE \"17-Jul-1996 02:44:25 -0700\")\r\n"));
    /* a prefix that does not fit */
    mp_outbuf_init(&sob, small, 12);
    for (k = 0; k < 3; k++)
        assert_int_equal(mp_imap_resp_write(&sw, &ev[k]), MP_OK);
    assert_int_equal(mp_imap_resp_write(&sw, &ev[3]), MP_ERR_NO_SPACE);
    assert_int_equal(sob.len, 0);
    assert_int_equal(sob.need, strlen("* 1 FETCH (RFC822 {4}\r\n"));
    assert_false(mp_imap_resp_writer_busy(&sw));
}

/* the event builders: a server writes "* 3 FETCH (UID 9 ENVELOPE ...)" */
static void test_builders(void **s)
{
    mp_imap_resp_event ev[20];
    size_t n = 0, k;
    (void)s;
    reset(0);
    ev[n++] = mp_imap_ev_begin(MP_IMAP_RESP_FETCH, MP_SLICE_LIT(""), 1, 3);
    ev[n++] = mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS);
    ev[n++] = mp_imap_ev_atom(MP_IMAP_F_FETCH_ITEM, MP_SLICE_LIT("UID"));
    ev[n++] = mp_imap_ev_number(MP_IMAP_F_UID, 9);
    ev[n++] = mp_imap_ev_atom(MP_IMAP_F_FETCH_ITEM, MP_SLICE_LIT("ENVELOPE"));
    ev[n++] = mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_ENVELOPE);
    ev[n++] = mp_imap_ev_nil(MP_IMAP_F_ENV_DATE);
    ev[n++] = mp_imap_ev_string(MP_IMAP_F_ENV_SUBJECT, MP_SLICE_LIT("two\r\nlines"));
    for (k = 2; k < 10; k++)
        ev[n++] = mp_imap_ev_nil((mp_imap_field)(MP_IMAP_F_ENV_SUBJECT + k - 1));
    ev[n++] = mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_ENVELOPE);
    ev[n++] = mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS);
    ev[n++] = mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE);
    for (k = 0; k < n; k++)
        assert_int_equal(mp_imap_resp_write(&w, &ev[k]), MP_OK);
    expect_out("* 3 FETCH (UID 9 ENVELOPE (NIL {10}\r\ntwo\r\nlines NIL NIL NIL NIL NIL NIL "
               "NIL NIL))\r\n");
    {
        mp_imap_resp_event l = mp_imap_ev_literal(MP_IMAP_F_BODY_SECTION, 2, 1);
        assert_int_equal(l.flags, MP_IMAP_EVF_BINARY);
        assert_int_equal(l.num, 2);
    }
}

/* writer output for parsed events parses to the same events */
#define V_(lit) { lit, sizeof(lit) - 1 }
static void test_roundtrip(void **s)
{
    static const struct {
        const char *p;
        size_t n;
    } in[] = {
        V_("* OK [CAPABILITY IMAP4rev1 LITERAL+] hi\r\n"),
        V_("* 3 FETCH (ENVELOPE (NIL {3}\r\na\"b ((\"n\" NIL \"m\" \"h\")(NIL NIL \"x\" \"y\")) NIL "
           "NIL NIL NIL NIL NIL NIL) BINARY[1]<5> ~{2}\r\n\x00\x01)\r\n"),
        V_("* THREAD (2)(3 6 (4 23)(44 7 96))\r\n"),
        V_("* NAMESPACE ((\"\" \"/\")(\"#p/\" \"/\")) NIL NIL\r\n"),
        V_("+ \r\n* 0 XFOO\r\n"),
        V_("a NO [XX some text] no\r\n"),
    };
    size_t k;
    (void)s;
    rf_setup(0, 0);
    for (k = 0; k < sizeof(in) / sizeof(in[0]); k++)
        assert_int_equal(rf_roundtrip(in[k].p, in[k].n), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_fetch_stream),
        cmocka_unit_test(test_quoted_stream),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_mailbox_names),
        cmocka_unit_test(test_whole),
        cmocka_unit_test(test_builders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
