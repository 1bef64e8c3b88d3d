/* BODY[section] and BINARY[section]: section lookup on parsed messages
 * (RFC 9051 §6.4.5 part numbers, HEADER / TEXT / MIME / HEADER.FIELDS),
 * the wire form, the HEADER.FIELDS filter and the Content-Transfer-
 * Encoding decoder, the streams run whole, byte by byte and at random
 * splits (the chunks they give, joined, must not depend on the split). */
#include "mime_fixture.h"

static mp_mime_msg msg;
static const char *msg_text;

static void parse(const char *text)
{
    mf_defaults(&mf);
    mf_reset(&mf);
    msg_text = text;
    assert_int_equal(mp_mime_feed(&mf.p, text, strlen(text)), MP_OK);
    assert_int_equal(mp_mime_finish(&mf.p, &msg), MP_OK);
}

/* ---- the streams as split targets ----------------------------------------- */

enum { S_WIRE, S_FIELDS, S_FIELDS_NOT, S_DECODE };

typedef struct stream_fx {
    int kind;
    unsigned flags;
    mp_slice list;
    mp_mime_cte cte;
    mp_mime_wire w;
    mp_mime_hdr_filter f;
    mp_mime_decoder d;
} stream_fx;

static stream_fx sx;

static void sx_reset(void *st)
{
    stream_fx *x = st;
    mp_mime_wire_init(&x->w, x->flags);
    mp_mime_hdr_filter_init(&x->f, x->list, x->kind == S_FIELDS_NOT, x->flags);
    mp_mime_decoder_init(&x->d, x->cte);
}

static void sx_feed(void *st, const char *p, size_t n, mp_evlog *log)
{
    stream_fx *x = st;
    while (n > 0) {
        size_t used = 0;
        mp_slice c;
        mp_status r = x->kind == S_WIRE     ? mp_mime_wire_next(&x->w, p, n, &used, &c)
                      : x->kind == S_DECODE ? mp_mime_decoder_next(&x->d, p, n, &used, &c)
                                            : mp_mime_hdr_filter_next(&x->f, p, n, &used, &c);
        assert_true(used <= n);
        if (r == MP_OK)
            mp_evlog_chunk(log, "out", c.ptr, c.len);
        else
            assert_int_equal(used, n);
        if (r != MP_OK && used == 0)
            break;
        p += used;
        n -= used;
    }
}

static void sx_finish(void *st, mp_evlog *log)
{
    stream_fx *x = st;
    mp_slice c = mp_slice_make("", 0);
    if (x->kind == S_DECODE)
        c = mp_mime_decoder_finish(&x->d);
    else if (x->kind != S_WIRE)
        c = mp_mime_hdr_filter_finish(&x->f);
    if (c.len)
        mp_evlog_chunk(log, "out", c.ptr, c.len);
    mp_evlog_add(log, "end");
}

static const mp_split_target sx_target = { sx_reset, sx_feed, sx_finish, &sx };

/* What the stream gives for in[0..n) (checked at every split), as the
 * log's escaped text: "chunk out BYTES\nend\n" or "end\n". */
static const char *stream(int kind, unsigned flags, mp_slice list, mp_mime_cte cte, const char *in,
                          size_t n)
{
    sx.kind = kind;
    sx.flags = flags;
    sx.list = list;
    sx.cte = cte;
    return mp_split_check(&sx_target, in, n, NULL);
}

static void expect_stream(int kind, unsigned flags, const char *list, mp_mime_cte cte,
                          const char *in, size_t n, const char *want)
{
    char exp[8192];
    const char *got = stream(kind, flags, mp_slice_make(list, list ? strlen(list) : 0), cte, in, n);
    if (*want)
        snprintf(exp, sizeof(exp), "chunk out %s\nend\n", want);
    else
        snprintf(exp, sizeof(exp), "end\n");
    assert_string_equal(got, exp);
}

/* ---- section lookup --------------------------------------------------------- */

static const char nested[] =
    "Subject: top\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=t\r\n"
    "\r\n"
    "--t\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "one\r\n"
    "--t\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: inner\r\n"
    "Content-Type: multipart/alternative; boundary=i\r\n"
    "\r\n"
    "--i\r\n"
    "\r\n"
    "plain\r\n"
    "--i\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "Subject: innermost\r\n"
    "\r\n"
    "deep\r\n"
    "--i--\r\n"
    "--t--\r\n";

/* The section's bytes as the server sends them, escaped as the log
 * escapes them ("" for no such part). */
static const char *content(const char *spec, int *found)
{
    mp_mime_section s;
    const char *got;
    assert_int_equal(mp_mime_section_find(&msg, mp_slice_make(spec, strlen(spec)), &s), MP_OK);
    *found = s.found;
    if (!s.found) {
        assert_true(s.start == 0 && s.end == 0 && s.size == 0);
        return "end\n";
    }
    if (s.kind == MP_MIME_SECT_FIELDS || s.kind == MP_MIME_SECT_FIELDS_NOT) {
        got = stream(s.kind == MP_MIME_SECT_FIELDS ? S_FIELDS : S_FIELDS_NOT, MP_MIME_WIRE_NUL,
                     s.fields, MP_MIME_CTE_IDENTITY, msg_text + s.start, (size_t)(s.end - s.start));
    } else {
        size_t n = 0;
        const char *p;
        got = stream(S_WIRE, MP_MIME_WIRE_NUL, mp_slice_make(NULL, 0), MP_MIME_CTE_IDENTITY,
                     msg_text + s.start, (size_t)(s.end - s.start));
        /* the size given is the wire form's: count the escaped bytes */
        for (p = got + 10; *p && *p != '\n'; p++, n++)
            if (*p == '\\')
                p += p[1] == 'x' ? 3 : 1;
        assert_int_equal(s.size, strncmp(got, "chunk out ", 10) == 0 ? n : 0);
    }
    return got;
}

static void expect_section(const char *spec, const char *want)
{
    int found;
    char exp[4096];
    const char *got = content(spec, &found);
    if (want == NULL) {
        if (found)
            print_error("section %s exists\n", spec);
        assert_false(found);
        return;
    }
    assert_true(found);
    snprintf(exp, sizeof(exp), *want ? "chunk out %s\nend\n" : "end\n", want);
    if (strcmp(got, exp) != 0)
        print_error("section %s\n", spec);
    assert_string_equal(got, exp);
}

static void test_sections_nested(void **state)
{
    (void)state;
    parse(nested);
    expect_section("HEADER", "Subject: top\\r\\nMIME-Version: 1.0\\r\\nContent-Type: "
                             "multipart/mixed; boundary=t\\r\\n\\r\\n");
    expect_section("1", "one");
    expect_section("1.MIME", "Content-Type: text/plain\\r\\n\\r\\n");
    expect_section("2.MIME", "Content-Type: message/rfc822\\r\\n\\r\\n");
    expect_section("2.HEADER", "Subject: inner\\r\\nContent-Type: multipart/alternative; "
                               "boundary=i\\r\\n\\r\\n");
    expect_section("2.HEADER.FIELDS (SUBJECT)", "Subject: inner\\r\\n\\r\\n");
    expect_section("2.HEADER.FIELDS.NOT (Subject)",
                   "Content-Type: multipart/alternative; boundary=i\\r\\n\\r\\n");
    expect_section("2.TEXT", "--i\\r\\n\\r\\nplain\\r\\n--i\\r\\nContent-Type: message/rfc822"
                             "\\r\\n\\r\\nSubject: innermost\\r\\n\\r\\ndeep\\r\\n--i--\\r\\n");
    expect_section("2.1", "plain");
    expect_section("2.1.MIME", "\\r\\n");
    expect_section("2.2", "Subject: innermost\\r\\n\\r\\ndeep");
    expect_section("2.2.HEADER", "Subject: innermost\\r\\n\\r\\n");
    expect_section("2.2.TEXT", "deep");
    expect_section("2.2.1", "deep");
    expect_section("2.2.1.MIME", "Subject: innermost\\r\\n\\r\\n");
    /* what does not exist: Dovecot sends "" */
    expect_section("3", NULL);
    /* a part neither multipart nor message/rfc822 has no part 1 below it
     * (RFC 9051 §6.4.5); Dovecot answers 1.1 with part 1 itself */
    expect_section("1.1", NULL);
    expect_section("1.HEADER", NULL);
    expect_section("1.TEXT", NULL);
    expect_section("2.3", NULL);
    expect_section("2.2.2", NULL);
    expect_section("2.2.1.1", NULL);
    expect_section("4294967297", NULL);
}

static void test_sections_single(void **state)
{
    const char text[] = "From: a@example.org\nSubject: lf\n\nbody\nline\n";
    (void)state;
    parse(text);
    expect_section("", "From: a@example.org\\r\\nSubject: lf\\r\\n\\r\\nbody\\r\\nline\\r\\n");
    expect_section("TEXT", "body\\r\\nline\\r\\n");
    /* part 1 of a non-multipart message is its body; its MIME header is
     * the message header (as Dovecot does) */
    expect_section("1", "body\\r\\nline\\r\\n");
    expect_section("1.MIME", "From: a@example.org\\r\\nSubject: lf\\r\\n\\r\\n");
    expect_section("HEADER.FIELDS (subject \"X-NONE\")", "Subject: lf\\r\\n\\r\\n");
    expect_section("header.fields.not (SUBJECT)", "From: a@example.org\\r\\n\\r\\n");
    expect_section("2", NULL);
    expect_section("1.1", NULL);
    expect_section("1.HEADER", NULL);
}

static void test_sections_top_message(void **state)
{
    (void)state;
    parse("Content-Type: message/rfc822\r\n\r\nSubject: in\r\n\r\nbody\r\n");
    expect_section("1", "Subject: in\\r\\n\\r\\nbody\\r\\n");
    expect_section("1.HEADER", "Subject: in\\r\\n\\r\\n");
    expect_section("1.TEXT", "body\\r\\n");
    expect_section("1.1", "body\\r\\n");
    expect_section("1.1.MIME", "Subject: in\\r\\n\\r\\n");
    expect_section("1.2", NULL);
}

static void test_section_syntax(void **state)
{
    static const char *const bad[] = {
        "0", "1.0", "01", "1.", ".1", "1..2", "MIME", "1.FOO", "1HEADER", "HEADER.FIELDS",
        "HEADER.FIELDS ()", "HEADER.FIELDS (A", "HEADER.FIELDS A", "TEXT.MIME", "1.MIMEX",
        "HEADERS", "1.2.", "x",
    };
    mp_mime_section s;
    size_t k;
    (void)state;
    parse(nested);
    for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        if (mp_mime_section_find(&msg, mp_slice_make(bad[k], strlen(bad[k])), &s) != MP_ERR_SYNTAX)
            print_error("%s is not refused\n", bad[k]);
        assert_int_equal(mp_mime_section_find(&msg, mp_slice_make(bad[k], strlen(bad[k])), &s),
                         MP_ERR_SYNTAX);
    }
    assert_int_equal(mp_mime_section_find(NULL, mp_slice_make("", 0), &s), MP_ERR_ARG);
    assert_int_equal(mp_mime_section_find(&msg, mp_slice_make("1", 1), &s), MP_OK);
    assert_int_equal(s.kind, MP_MIME_SECT_PART);
    assert_int_equal(mp_mime_section_find(&msg, mp_slice_make("2.2.1.mime", 10), &s), MP_OK);
    assert_int_equal(s.kind, MP_MIME_SECT_MIME);
}

static void test_part_numbers(void **state)
{
    static const char *const want[] = { "", "1", "2", "2", "2.1", "2.2", "2.2" };
    char buf[64];
    uint32_t i;
    (void)state;
    parse(nested);
    assert_int_equal(msg.nparts, 7);
    for (i = 0; i < msg.nparts; i++) {
        assert_int_equal(mp_mime_part_number(&msg, i, buf, sizeof(buf)), strlen(want[i]));
        assert_string_equal(buf, want[i]);
    }
    /* too small: "" and 0 */
    assert_int_equal(mp_mime_part_number(&msg, 5, buf, 3), 0);
    assert_string_equal(buf, "");
}

/* ---- the streams -------------------------------------------------------------------- */

static void test_wire(void **state)
{
    static const char in[] = "a\nb\r\nc\rd\n\n\0e\r";
    (void)state;
    expect_stream(S_WIRE, 0, NULL, 0, in, sizeof(in) - 1, "a\\r\\nb\\r\\nc\\rd\\r\\n\\r\\n\\x00e\\r");
    expect_stream(S_WIRE, MP_MIME_WIRE_NUL, NULL, 0, in, sizeof(in) - 1,
                  "a\\r\\nb\\r\\nc\\rd\\r\\n\\r\\n\\x80e\\r");
    expect_stream(S_WIRE, 0, NULL, 0, "\n", 1, "\\r\\n");
    expect_stream(S_WIRE, 0, NULL, 0, "", 0, "");
}

static void test_fields(void **state)
{
    static const char hdr[] = "From: a@example.org\r\n"
                              "subject: folded\r\n"
                              "\tline\n"
                              "To :b@example.org\r\n"
                              "no colon line\r\n"
                              "X-\0: nul\r\n"
                              "\r\n"
                              "Subject: the body is not header\r\n";
    (void)state;
    expect_stream(S_FIELDS, MP_MIME_WIRE_NUL, "(SUBJECT \"to\")", 0, hdr, sizeof(hdr) - 1,
                  "subject: folded\\r\\n\\x09line\\r\\nTo :b@example.org\\r\\n\\r\\n");
    expect_stream(S_FIELDS_NOT, MP_MIME_WIRE_NUL, "(Subject To)", 0, hdr, sizeof(hdr) - 1,
                  "From: a@example.org\\r\\nno colon line\\r\\nX-\\x80: nul\\r\\n\\r\\n");
    /* no blank line: none is added; a cut last field gets its CRLF */
    expect_stream(S_FIELDS, 0, "(FROM)", 0, "From: x\r\nTo: y", 14, "From: x\\r\\n");
    expect_stream(S_FIELDS, 0, "(TO)", 0, "From: x\r\nTo: y", 14, "To: y\\r\\n");
    expect_stream(S_FIELDS_NOT, 0, "(FROM)", 0, "From: x\r\nlone", 13, "lone\\r\\n");
    expect_stream(S_FIELDS, 0, "(FROM)", 0, "", 0, "");
    /* a name longer than MP_MIME_MAX_FIELD_NAME is in no list */
    {
        char h[300], list[300];
        memset(h, 'n', 100);
        memcpy(h + 100, ": v\r\n\r\n", 7);
        h[107] = '\0';
        snprintf(list, sizeof(list), "(%.100s)", h);
        expect_stream(S_FIELDS, 0, list, 0, h, 107, "\\r\\n");
        expect_stream(S_FIELDS_NOT, 0, list, 0, h, 107,
                      "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
                      "nnnnnnnnnnnnnnnnnnnnnnnnnnnn: v\\r\\n\\r\\n");
    }
}

static void test_decoder(void **state)
{
    static const char qp[] = "soft=\r\nbreak =C3=A9 tail  \r\n=3D =ZZ =4\n=\t \r\nend=";
    static const char b64[] = "aGVs\r\nbG8g\n d29y*bGQ=\r\nIQ";
    (void)state;
    expect_stream(S_DECODE, 0, NULL, MP_MIME_CTE_QP, qp, sizeof(qp) - 1,
                  "softbreak \\xc3\\xa9 tail\\r\\n= =ZZ =4\\r\\nend");
    expect_stream(S_DECODE, 0, NULL, MP_MIME_CTE_BASE64, b64, sizeof(b64) - 1,
                  "hello world!");
    expect_stream(S_DECODE, 0, NULL, MP_MIME_CTE_IDENTITY, "a\nb", 3, "a\\r\\nb");
    expect_stream(S_DECODE, 0, NULL, MP_MIME_CTE_QP, "a=\r", 3, "a=\\r");
    expect_stream(S_DECODE, 0, NULL, MP_MIME_CTE_QP, "x =4", 4, "x =4");
}

static void test_part_cte(void **state)
{
    (void)state;
    parse("Content-Type: multipart/mixed; boundary=b\r\n\r\n"
          "--b\r\nContent-Transfer-Encoding: Base64\r\n\r\nx\r\n"
          "--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nx\r\n"
          "--b\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nx\r\n"
          "--b\r\nContent-Transfer-Encoding: 8BIT\r\n\r\nx\r\n"
          "--b\r\n\r\nx\r\n--b--\r\n");
    assert_int_equal(mp_mime_part_cte(&msg, 0), MP_MIME_CTE_IDENTITY);
    assert_int_equal(mp_mime_part_cte(&msg, 1), MP_MIME_CTE_BASE64);
    assert_int_equal(mp_mime_part_cte(&msg, 2), MP_MIME_CTE_QP);
    assert_int_equal(mp_mime_part_cte(&msg, 3), MP_MIME_CTE_UNKNOWN);
    assert_int_equal(mp_mime_part_cte(&msg, 4), MP_MIME_CTE_IDENTITY);
    assert_int_equal(mp_mime_part_cte(&msg, 5), MP_MIME_CTE_IDENTITY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sections_nested), cmocka_unit_test(test_sections_single),
        cmocka_unit_test(test_sections_top_message), cmocka_unit_test(test_section_syntax),
        cmocka_unit_test(test_part_numbers), cmocka_unit_test(test_wire),
        cmocka_unit_test(test_fields), cmocka_unit_test(test_decoder),
        cmocka_unit_test(test_part_cte),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
