/* The FETCH item writers and the value readers: BODY against
 * BODYSTRUCTURE, IMAP4rev1 / IMAP4rev2 / UTF-8 forms, the whole-response
 * contract with the response writer, section names, the deepest message
 * the limits allow read back by our response parser, damaged cache copies,
 * and the calls a host can get wrong. */
#include "mime_fixture.h"

static mp_mime_msg msg;

static void parse(const char *text)
{
    mf_defaults(&mf);
    mf_reset(&mf);
    assert_int_equal(mp_mime_feed(&mf.p, text, strlen(text)), MP_OK);
    assert_int_equal(mp_mime_finish(&mf.p, &msg), MP_OK);
}

/* A writer on `ob` with "* N FETCH (" begun. */
static void open_fetch(mp_imap_resp_writer *w, mp_outbuf *ob, unsigned mode, uint64_t msgno)
{
    mp_imap_resp_event e;
    mp_imap_resp_writer_init(w, ob, mode, 0);
    e = mp_imap_ev_begin(MP_IMAP_RESP_FETCH, mp_slice_make(NULL, 0), 1, msgno);
    assert_int_equal(mp_imap_resp_write(w, &e), MP_OK);
    e = mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS);
    assert_int_equal(mp_imap_resp_write(w, &e), MP_OK);
}

/* One item in "* 1 FETCH (...)", NUL-terminated. */
static const char *item(const mp_mime_msg *m, mp_mime_item it, unsigned mode)
{
    static char out[65536];
    mp_outbuf ob;
    mp_imap_resp_writer w;
    mp_imap_resp_event e;
    mp_outbuf_init(&ob, out, sizeof(out) - 1);
    open_fetch(&w, &ob, mode, 1);
    assert_int_equal(mp_mime_write_item(&w, m, it), MP_OK);
    e = mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS);
    assert_int_equal(mp_imap_resp_write(&w, &e), MP_OK);
    e = mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE);
    assert_int_equal(mp_imap_resp_write(&w, &e), MP_OK);
    mf_parses(out, ob.len, mode);
    out[ob.len] = '\0';
    return out;
}

static const char forwarded[] =
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.net\r\n"
    "Subject: fwd\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=f\r\n"
    "\r\n"
    "--f\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Language: en\r\n"
    "\r\n"
    "see below\r\n"
    "--f\r\n"
    "Content-Type: message/rfc822\r\n"
    "Content-Disposition: inline; filename=fwd.eml\r\n"
    "\r\n"
    "From: carol@example.com\r\n"
    "Subject: inner\r\n"
    "\r\n"
    "inner body\r\n"
    "--f--\r\n";

static void test_body_forms(void **state)
{
    (void)state;
    parse(forwarded);
    assert_string_equal(
        item(&msg, MP_MIME_ITEM_BODY, 0),
        "* 1 FETCH (BODY ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 9 0)"
        "(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 53 (NIL \"inner\" ((NIL NIL \"carol\" "
        "\"example.com\")) ((NIL NIL \"carol\" \"example.com\")) ((NIL NIL \"carol\" "
        "\"example.com\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" \"us-ascii\") "
        "NIL NIL \"7bit\" 10 0) 3) \"mixed\"))\r\n");
    assert_string_equal(
        item(&msg, MP_MIME_ITEM_BODYSTRUCTURE, 0),
        "* 1 FETCH (BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 9 "
        "0 NIL NIL (\"en\") NIL)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 53 (NIL \"inner\" "
        "((NIL NIL \"carol\" \"example.com\")) ((NIL NIL \"carol\" \"example.com\")) ((NIL NIL "
        "\"carol\" \"example.com\")) NIL NIL NIL NIL NIL) (\"text\" \"plain\" (\"charset\" "
        "\"us-ascii\") NIL NIL \"7bit\" 10 0 NIL NIL NIL NIL) 3 NIL (\"inline\" (\"filename\" "
        "\"fwd.eml\")) NIL NIL) \"mixed\" (\"boundary\" \"f\") NIL NIL NIL))\r\n");
    assert_string_equal(item(&msg, MP_MIME_ITEM_ENVELOPE, 0),
                        "* 1 FETCH (ENVELOPE (NIL \"fwd\" ((\"Alice\" NIL \"alice\" "
                        "\"example.org\")) ((\"Alice\" NIL \"alice\" \"example.org\")) "
                        "((\"Alice\" NIL \"alice\" \"example.org\")) ((NIL NIL \"bob\" "
                        "\"example.net\")) NIL NIL NIL NIL))\r\n");
}

static void test_utf8_forms(void **state)
{
    (void)state;
    parse("Subject: Gr\xc3\xbc\xc3\x9f" "e\r\nContent-Type: text/plain; name=\"\xc3\xa9t\xc3\xa9\"\r\n\r\n");
    assert_string_equal(item(&msg, MP_MIME_ITEM_ENVELOPE, MP_IMAP_REV2 | MP_IMAP_UTF8),
                        "* 1 FETCH (ENVELOPE (NIL \"Gr\xc3\xbc\xc3\x9f" "e\" NIL NIL NIL NIL NIL "
                        "NIL NIL NIL))\r\n");
    assert_string_equal(item(&msg, MP_MIME_ITEM_ENVELOPE, 0),
                        "* 1 FETCH (ENVELOPE (NIL {7}\r\nGr\xc3\xbc\xc3\x9f" "e NIL NIL NIL NIL "
                        "NIL NIL NIL NIL))\r\n");
    assert_string_equal(item(&msg, MP_MIME_ITEM_BODY, 0),
                        "* 1 FETCH (BODY (\"text\" \"plain\" (\"name\" {5}\r\n\xc3\xa9t\xc3\xa9 "
                        "\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0))\r\n");
}

/* The host's flow in whole-response mode: every event is taken, the END
 * says whether the response fitted; nothing was sent; a larger buffer (or
 * one drained) takes it again from BEGIN. */
static void test_whole_response(void **state)
{
    char small[64], big[4096];
    mp_outbuf ob;
    mp_imap_resp_writer w;
    mp_imap_resp_event e;
    (void)state;
    parse(forwarded);
    mp_outbuf_init(&ob, small, sizeof(small));
    open_fetch(&w, &ob, 0, 7);
    assert_int_equal(mp_mime_write_item(&w, &msg, MP_MIME_ITEM_BODYSTRUCTURE), MP_OK);
    e = mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS);
    assert_int_equal(mp_imap_resp_write(&w, &e), MP_OK);
    e = mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE);
    assert_int_equal(mp_imap_resp_write(&w, &e), MP_ERR_NO_SPACE);
    assert_int_equal(ob.len, 0);
    assert_true(ob.need > sizeof(small) && ob.need < sizeof(big));
    /* outside a FETCH response the writer refuses the item */
    mp_outbuf_init(&ob, big, sizeof(big));
    mp_imap_resp_writer_init(&w, &ob, 0, 0);
    assert_int_equal(mp_mime_write_item(&w, &msg, MP_MIME_ITEM_ENVELOPE), MP_ERR_STATE);
    assert_int_equal(mp_mime_write_item(&w, &msg, (mp_mime_item)9), MP_ERR_ARG);
    assert_int_equal(mp_mime_write_item(NULL, &msg, MP_MIME_ITEM_BODY), MP_ERR_ARG);
}

static void test_section_names(void **state)
{
    static char out[1024];
    mp_outbuf ob;
    mp_imap_resp_writer w;
    mp_imap_resp_event e;
    (void)state;
    mp_outbuf_init(&ob, out, sizeof(out) - 1);
    open_fetch(&w, &ob, 0, 3);
    assert_int_equal(mp_mime_write_section_name(&w, "BODY", MP_SLICE_LIT("1.2.HEADER.FIELDS "
                                                                         "(FROM \"X \\\"Y\\\"\")"),
                                                1, 5),
                     MP_OK);
    e = mp_imap_ev_string(MP_IMAP_F_BODY_SECTION, MP_SLICE_LIT("abc"));
    assert_int_equal(mp_imap_resp_write(&w, &e), MP_OK);
    assert_int_equal(mp_mime_write_section_name(&w, "BINARY", MP_SLICE_LIT(""), 0, 0), MP_OK);
    e = mp_imap_ev_literal(MP_IMAP_F_BODY_SECTION, 2, 1);
    assert_int_equal(mp_imap_resp_write(&w, &e), MP_OK);
    e = mp_imap_ev_make(MP_IMAP_EV_LITERAL_CHUNK, MP_IMAP_F_BODY_SECTION);
    e.str = mp_slice_make("\0x", 2);
    assert_int_equal(mp_imap_resp_write(&w, &e), MP_OK);
    e = mp_imap_ev_make(MP_IMAP_EV_LITERAL_END, MP_IMAP_F_BODY_SECTION);
    assert_int_equal(mp_imap_resp_write(&w, &e), MP_OK);
    e = mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS);
    assert_int_equal(mp_imap_resp_write(&w, &e), MP_OK);
    e = mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE);
    assert_int_equal(mp_imap_resp_write(&w, &e), MP_OK);
    {
        static const char want[] = "* 3 FETCH (BODY[1.2.HEADER.FIELDS (FROM \"X \\\"Y\\\"\")]<5> "
                                   "\"abc\" BINARY[] ~{2}\r\n\0x)\r\n";
        assert_int_equal(ob.len, sizeof(want) - 1);
        assert_memory_equal(out, want, sizeof(want) - 1);
    }
    mf_parses(out, ob.len, 0);
    /* malformed header lists */
    open_fetch(&w, &ob, 0, 3);
    assert_int_equal(mp_mime_write_section_name(&w, "BODY", MP_SLICE_LIT("HEADER.FIELDS A"), 0, 0),
                     MP_ERR_SYNTAX);
}

/* The deepest structure the limits allow (MP_MIME_MAX_DEPTH) parses back
 * with the response parser's default MP_IMAP_MAX_DEPTH (config.h checks
 * that they fit), envelope and disposition parameters at the bottom. */
static void test_deepest(void **state)
{
    static char text[16384];
    size_t n = 0;
    unsigned d;
    (void)state;
    for (d = 0; d < MP_MIME_MAX_DEPTH; d++)
        n += (size_t)snprintf(text + n, sizeof(text) - n,
                              "From: level%u@example.org\r\nContent-Type: message/rfc822\r\n\r\n", d);
    n += (size_t)snprintf(text + n, sizeof(text) - n,
                          "From: Bottom <b@example.org>\r\nMIME-Version: 1.0\r\n"
                          "Content-Disposition: attachment; filename=x\r\n\r\nbottom\r\n");
    parse(text);
    assert_int_equal(msg.nparts, MP_MIME_MAX_DEPTH + 1);
    assert_int_equal(msg.parts[MP_MIME_MAX_DEPTH].depth, MP_MIME_MAX_DEPTH);
    item(&msg, MP_MIME_ITEM_BODYSTRUCTURE, 0); /* parses back (checked there) */
    /* one more level: the last message/rfc822 part is truncated */
    n = 0;
    for (d = 0; d <= MP_MIME_MAX_DEPTH; d++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "Content-Type: message/rfc822\r\n\r\n");
    mf_defaults(&mf);
    mf_reset(&mf);
    assert_int_equal(mp_mime_feed(&mf.p, text, n), MP_OK);
    assert_int_equal(mp_mime_finish(&mf.p, &msg), MP_ERR_MIME_DEPTH);
    assert_true(msg.parts[msg.nparts - 1].flags & MP_MIME_PF_TRUNCATED);
    item(&msg, MP_MIME_ITEM_BODYSTRUCTURE, 0);
}

/* A cache copy damaged on disk: reads stay inside the arrays, the walk
 * ends, the writer refuses what is not a parser's record order. */
static void test_damaged_copy(void **state)
{
    static mp_mime_part parts[16];
    mp_mime_msg m;
    mp_mime_iter it;
    mp_mime_addr a;
    mp_slice s;
    char out[4096];
    mp_outbuf ob;
    mp_imap_resp_writer w;
    (void)state;
    parse(forwarded);
    memcpy(parts, msg.parts, msg.nparts * sizeof(parts[0]));
    m = msg;
    m.parts = parts;
    /* values cut short: refs beyond it are NIL */
    m.values_len = 10;
    assert_null(mp_mime_str(&m, parts[1].ctype).ptr);
    mp_mime_iter_init(&it, &m, parts[0].ctype);
    assert_int_equal(mp_mime_iter_next(&it, &s), 0);
    {
        mp_mime_envelope env;
        assert_int_equal(mp_mime_envelope_get(&m, 0, &env), 0);
    }
    /* a list cut in the middle of an item or an address ends */
    m = msg;
    it.p = msg.values;
    it.end = msg.values;
    assert_int_equal(mp_mime_addr_next(&it, &a), 0);
    {
        static const char pk[] = { 8 + 3, 'a', 'b' }; /* a 3-byte string, 2 bytes */
        it.p = pk;
        it.end = pk + sizeof(pk);
        assert_int_equal(mp_mime_iter_next(&it, &s), 0);
    }
    /* a parent after its child: refused, no endless walk */
    m.parts = parts;
    parts[2].parent = 4;
    mp_outbuf_init(&ob, out, sizeof(out));
    open_fetch(&w, &ob, 0, 1);
    assert_int_equal(mp_mime_write_item(&w, &m, MP_MIME_ITEM_BODY), MP_ERR_BAD_VALUE);
    parts[2].parent = 0;
    parts[1].next = 1; /* a sibling loop */
    open_fetch(&w, &ob, 0, 1);
    assert_int_equal(mp_mime_write_item(&w, &m, MP_MIME_ITEM_BODY), MP_ERR_BAD_VALUE);
}

static void test_readers(void **state)
{
    mp_slice t, s, v;
    mp_mime_iter params;
    mp_mime_envelope env;
    (void)state;
    parse(forwarded);
    assert_int_equal(mp_mime_type(&msg, 0, &t, &s, &params), MP_MIME_MULTIPART);
    assert_true(mp_mime_param(params, "BOUNDARY", &v));
    assert_int_equal(v.len, 1);
    assert_false(mp_mime_param(params, "charset", &v));
    assert_int_equal(mp_mime_type(&msg, 2, &t, &s, NULL), MP_MIME_MESSAGE);
    assert_int_equal(mp_mime_type(&msg, 3, &t, &s, &params), MP_MIME_TEXT);
    assert_true(t.len == 4 && memcmp(t.ptr, "text", 4) == 0);
    assert_true(s.len == 5 && memcmp(s.ptr, "plain", 5) == 0); /* the default */
    assert_int_equal(mp_mime_envelope_get(&msg, 3, &env), 1);
    assert_int_equal(mp_mime_envelope_get(&msg, 1, &env), 0);
    assert_int_equal(env.subject.off, MP_MIME_NIL);
    assert_int_equal(msg.parts[0].nchildren, 2);
    assert_int_equal(msg.parts[2].nchildren, 1);
}

static void test_calls(void **state)
{
    mp_mime_parser p;
    mp_mime_part parts[2];
    char values[128];
    mp_mime_msg m;
    (void)state;
    assert_int_equal(mp_mime_init(NULL, parts, 2, values, sizeof(values), NULL), MP_ERR_ARG);
    assert_int_equal(mp_mime_init(&p, parts, 0, values, sizeof(values), NULL), MP_ERR_ARG);
    assert_int_equal(mp_mime_init(&p, parts, 2, NULL, sizeof(values), NULL), MP_ERR_ARG);
    assert_int_equal(mp_mime_init(&p, parts, 2, values, sizeof(values), NULL), MP_OK);
    assert_int_equal(mp_mime_feed(&p, NULL, 1), MP_ERR_ARG);
    assert_int_equal(mp_mime_feed(&p, NULL, 0), MP_OK);
    assert_int_equal(mp_mime_feed(&p, "Subject: x\r\n\r\n", 14), MP_OK);
    assert_int_equal(mp_mime_finish(&p, NULL), MP_ERR_ARG);
    assert_int_equal(mp_mime_finish(&p, &m), MP_OK);
    assert_int_equal(mp_mime_finish(&p, &m), MP_ERR_STATE);
    assert_int_equal(mp_mime_feed(&p, "x", 1), MP_ERR_STATE);
    assert_int_equal(m.nparts, 1);
    assert_string_equal(mp_status_name(MP_ERR_MIME_DEPTH), "MP_ERR_MIME_DEPTH");
    assert_string_equal(mp_status_name(MP_ERR_MIME_PARTS), "MP_ERR_MIME_PARTS");
    assert_string_equal(mp_status_name(MP_ERR_MIME_VALUES), "MP_ERR_MIME_VALUES");
    assert_string_equal(mp_status_name(MP_ERR_MIME_PARAMS), "MP_ERR_MIME_PARAMS");
    /* an empty structure (nothing parsed) still writes valid items */
    m.nparts = 0;
    assert_string_equal(item(&m, MP_MIME_ITEM_ENVELOPE, 0),
                        "* 1 FETCH (ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))\r\n");
    assert_string_equal(item(&m, MP_MIME_ITEM_BODY, 0),
                        "* 1 FETCH (BODY (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL "
                        "\"7bit\" 0 0))\r\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_body_forms),    cmocka_unit_test(test_utf8_forms),
        cmocka_unit_test(test_whole_response), cmocka_unit_test(test_section_names),
        cmocka_unit_test(test_deepest),       cmocka_unit_test(test_damaged_copy),
        cmocka_unit_test(test_readers),       cmocka_unit_test(test_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
