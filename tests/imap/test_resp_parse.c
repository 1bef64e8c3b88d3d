/* IMAP response parser: limits, hostile input and the callback contract.
 * The RFC example vectors are data files (test_resp_vectors.c). */
#include "test_resp_fixture.h"

static char big[1100000];

/* Opens a FETCH BODYSTRUCTURE with `levels` nested message/rfc822 parts in
 * big; returns its length. */
static size_t rfc822_nest(unsigned levels)
{
    size_t n = (size_t)sprintf(big, "* 1 FETCH (BODYSTRUCTURE ");
    unsigned k;
    for (k = 0; k < levels; k++)
        n += (size_t)sprintf(big + n, "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 1 "
                                      "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL) ");
    return n;
}

/* a million "(" hits the depth limit at once; the next line parses */
static void test_depth(void **s)
{
    size_t n = 0, k;
    const char *log;
    (void)s;
    rf_setup(0, 0);
    n += (size_t)sprintf(big, "* 1 FETCH (X ");
    for (k = 0; k < 1000000; k++)
        big[n++] = '(';
    n += (size_t)sprintf(big + n, "\r\n* 2 EXISTS\r\n");
    log = rf_check(big, n, NULL);
    if (!strstr(log, "error MP_ERR_IMAP_DEPTH @")) fprintf(stderr, "%.3000s", log);
    assert_non_null(strstr(log, "error MP_ERR_IMAP_DEPTH @"));
    assert_non_null(strstr(log, "begin EXISTS #2\nend\n"));

    /* message/rfc822 nested deeper than MP_IMAP_MAX_DEPTH */
    n = rfc822_nest(70);
    n += (size_t)sprintf(big + n, "\r\n* 3 EXISTS\r\n");
    log = rf_check(big, n, NULL);
    assert_non_null(strstr(log, "error MP_ERR_IMAP_DEPTH @"));
    assert_non_null(strstr(log, "begin EXISTS #3\nend\n"));

    /* 20 levels fit */
    n = rfc822_nest(20);
    n += (size_t)sprintf(big + n, "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 1 1)");
    for (k = 0; k < 20; k++)
        n += (size_t)sprintf(big + n, " 1)");
    n += (size_t)sprintf(big + n, ")\r\n");
    log = rf_check(big, n, NULL);
    assert_null(strstr(log, "error"));
    assert_non_null(strstr(log, ") FETCH_ATTS\nend\n"));
    assert_int_equal(rf_roundtrip(big, n), 1);
}

static void test_literal_lengths(void **s)
{
    (void)s;
    rf_setup(0, 0);
    RCHECK("* 1 FETCH (BODY[] {-1}\r\n)\r\n* 2 EXISTS\r\n",
           "begin FETCH #1\n( FETCH_ATTS\nFETCH_ITEM:atom BODY\nSECTION:atom \n"
           "error MP_ERR_IMAP_LITERAL_SYNTAX @18\n"
           /* {-1} announces no literal: the ")" is a line of its own */
           "error MP_ERR_IMAP_TAG @24\nbegin EXISTS #2\nend\n");
    RCHECK("* 1 FETCH (BODY[] {4294967296}\r\n",
           "begin FETCH #1\n( FETCH_ATTS\nFETCH_ITEM:atom BODY\nSECTION:atom \n"
           "error MP_ERR_IMAP_LITERAL_RANGE @18\n");
    RCHECK("* 1 FETCH (BODY[] {99999999999999999999}\r\n* 2 EXISTS\r\n",
           "begin FETCH #1\n( FETCH_ATTS\nFETCH_ITEM:atom BODY\nSECTION:atom \n"
           "error MP_ERR_IMAP_LITERAL_RANGE @18\nbegin EXISTS #2\nend\n");
    /* rev2: number64 */
    rf_setup(MP_IMAP_REV2, 0);
    RCHECK("* 1 FETCH (BODY[] {4294967296}\r\nab",
           "begin FETCH #1\n( FETCH_ATTS\nFETCH_ITEM:atom BODY\nSECTION:atom \n"
           "lit BODY_SECTION 4294967296\nchunk lit ab\n");
    /* a configured limit: the payload is skipped, the stream stays in sync */
    rf_setup(0, 0);
    rfx.cfg.limits.max_literal = 4;
    RCHECK("* 1 FETCH (BODY[] {10}\r\n* 9 EXISTS)\r\n* 2 EXISTS\r\n",
           "begin FETCH #1\n( FETCH_ATTS\nFETCH_ITEM:atom BODY\nSECTION:atom \n"
           "error MP_ERR_IMAP_LITERAL_LIMIT @18\nbegin EXISTS #2\nend\n");
    /* a string position gets a literal too big to assemble */
    rf_setup(0, 0);
    rfx.cfg.limits.max_quoted = 64;
    RCHECK("* LIST () \"/\" {65}\r\n"
           "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n* 2 EXISTS\r\n",
           "begin LIST\n( MBX_ATTRS\n) MBX_ATTRS\nDELIMITER:str /\n"
           "error MP_ERR_IMAP_STRING_TOO_LONG @14\nbegin EXISTS #2\nend\n");
    /* zero-length literals */
    RCHECK("* 1 FETCH (BODY[] {0}\r\n)\r\n",
           "begin FETCH #1\n( FETCH_ATTS\nFETCH_ITEM:atom BODY\nSECTION:atom \n"
           "lit BODY_SECTION 0\nlit_end\n) FETCH_ATTS\nend\n");
}

static void test_bytes_and_lines(void **s)
{
    (void)s;
    rf_setup(0, 0);
    RCHECK("* CAPABILITY IM\x00P\r\n* 1 EXISTS\r\n",
           "begin CAPABILITY\nCAPABILITY:atom IM\nerror MP_ERR_NUL @15\nbegin EXISTS #1\nend\n");
    RCHECK("* CAPABILITY IM\xc3\xa9\r\n",
           "begin CAPABILITY\nCAPABILITY:atom IM\nerror MP_ERR_8BIT @15\n");
    RCHECK("* LIST () \"/\" \"a\x00\"\r\n",
           "begin LIST\n( MBX_ATTRS\n) MBX_ATTRS\nDELIMITER:str /\nerror MP_ERR_NUL @16\n");
    RCHECK("* LIST () \"/\" \"a\xc3\xa9\"\r\n",
           "begin LIST\n( MBX_ATTRS\n) MBX_ATTRS\nDELIMITER:str /\nerror MP_ERR_8BIT @16\n");
    rfx.cfg.limits.max_line = 16;
    RCHECK("* OK 0123456789abcdef\r\n* OK x\r\n",
           "begin OK\nerror MP_ERR_LINE_TOO_LONG @16\nbegin OK\ntext x\nend\n");
    /* a tag longer than MP_IMAP_MAX_TAG */
    rf_setup(0, 0);
    memset(big, 'a', 100);
    memcpy(big + 100, " OK x\r\n", 7);
    assert_non_null(strstr(rf_check(big, 107, NULL), "error MP_ERR_IMAP_TAG_TOO_LONG @0"));
}

static int pause_count;
static int pause_on_begin(void *user, const mp_imap_resp_event *ev)
{
    (void)user;
    if (ev->type == MP_IMAP_EV_BEGIN) {
        pause_count++;
        return MP_IMAP_CB_PAUSE;
    }
    if (ev->type == MP_IMAP_EV_LITERAL_CHUNK)
        return MP_IMAP_CB_ABORT;
    return 0;
}

static void test_pause_abort(void **s)
{
    static const mp_imap_resp_callbacks cb = { pause_on_begin };
    mp_imap_resp_parser p;
    char buf[256];
    const char *in = "* 1 EXISTS\r\n* 2 EXISTS\r\n* 1 FETCH (BODY[] {3}\r\nabc)\r\n";
    size_t n = strlen(in), used = 0, off = 0;
    (void)s;
    assert_int_equal(mp_imap_resp_init(&p, buf, sizeof(buf), NULL, &cb, NULL), MP_OK);
    assert_int_equal(mp_imap_resp_feed(&p, in, n, &used), MP_PAUSED);
    assert_int_equal(used, 10); /* paused right after "EXISTS" */
    off += used;
    assert_int_equal(mp_imap_resp_feed(&p, in + off, n - off, &used), MP_PAUSED);
    off += used;
    assert_int_equal(mp_imap_resp_feed(&p, in + off, n - off, &used), MP_PAUSED);
    off += used;
    assert_int_equal(pause_count, 3);
    assert_int_equal(mp_imap_resp_feed(&p, in + off, n - off, &used), MP_ERR_ABORTED);
    assert_int_equal(mp_imap_resp_feed(&p, in + off, n - off, &used), MP_ERR_ABORTED);
    assert_int_equal(mp_imap_resp_init(&p, buf, 8, NULL, &cb, NULL), MP_ERR_ARG);
    assert_int_equal(mp_imap_resp_init(&p, buf, sizeof(buf), NULL, NULL, NULL), MP_ERR_ARG);
    assert_int_equal(mp_imap_resp_feed(&p, NULL, 1, &used), MP_ERR_ARG);
}

/* STARTTLS: the host pauses at the END of the tagged OK; feed stops right
 * after its CRLF, so any byte behind it (a plaintext injection) is left
 * unparsed and the parser holds nothing (docs/security.md, CVE-2011-0411). */
static int pause_on_end(void *user, const mp_imap_resp_event *ev)
{
    (void)user;
    return ev->type == MP_IMAP_EV_END ? MP_IMAP_CB_PAUSE : 0;
}

static void test_pause_at_line_end(void **s)
{
    static const mp_imap_resp_callbacks cb = { pause_on_end };
    mp_imap_resp_parser p;
    char buf[256];
    const char *in = "a1 OK Begin TLS negotiation now\r\n* 1 EXISTS\r\n";
    size_t used = 0;
    (void)s;
    assert_int_equal(mp_imap_resp_init(&p, buf, sizeof(buf), NULL, &cb, NULL), MP_OK);
    assert_int_equal(mp_imap_resp_feed(&p, in, strlen(in), &used), MP_PAUSED);
    assert_int_equal(used, strlen("a1 OK Begin TLS negotiation now\r\n"));
    assert_int_equal(mp_imap_resp_pending(&p), 0);
}

static void test_names_and_size(void **s)
{
    (void)s;
    assert_string_equal(mp_imap_resp_name(MP_IMAP_RESP_FETCH), "FETCH");
    assert_string_equal(mp_imap_code_name(MP_IMAP_CODE_READ_WRITE), "READ_WRITE");
    assert_string_equal(mp_imap_field_name(MP_IMAP_F_ENV_SUBJECT), "ENV_SUBJECT");
    /* past the table; not (mp_imap_field)9999, which a short enum (the
     * Arm EABI's, Cortex-M4) cannot hold */
    assert_string_equal(mp_imap_field_name(MP_IMAP_F_COUNT_), "?");
    /* docs/architecture.md §7: IMAP state under 4 KiB, host buffers excluded */
    printf("sizeof(mp_imap_resp_parser) = %zu, sizeof(mp_imap_lex) = %zu, "
           "sizeof(mp_imap_resp_writer) = %zu\n",
           sizeof(mp_imap_resp_parser), sizeof(mp_imap_lex), sizeof(mp_imap_resp_writer));
    assert_true(sizeof(mp_imap_resp_writer) < 512);
    assert_true(sizeof(mp_imap_resp_parser) < 4096);
}

/* mode switch after ENABLE UTF8=ACCEPT: names are no longer mUTF-7 */
static void test_set_mode(void **s)
{
    (void)s;
    rf_setup(0, 0);
    RCHECK("* LIST () \"/\" x\r\n",
           "begin LIST\n( MBX_ATTRS\n) MBX_ATTRS\nDELIMITER:str /\nMAILBOX:atom:mutf7 x\nend\n");
    rf_setup(MP_IMAP_UTF8, 0);
    RCHECK("* LIST () \"/\" x\r\n",
           "begin LIST\n( MBX_ATTRS\n) MBX_ATTRS\nDELIMITER:str /\nMAILBOX:atom x\nend\n");
    {
        mp_imap_resp_parser p;
        char buf[128];
        mp_evlog log;
        size_t used;
        mp_evlog_reset(&log);
        rfx.log = &log;
        assert_int_equal(mp_imap_resp_init(&p, buf, sizeof(buf), NULL, &rf_cb, &rfx), MP_OK);
        mp_imap_resp_set_mode(&p, MP_IMAP_UTF8);
        assert_int_equal(mp_imap_resp_feed(&p, "* OK \xc3\xa9\r\n", 9, &used), MP_NEED_MORE);
        assert_string_equal(log.text, "begin OK\ntext \\xc3\\xa9\nend\n");
    }
}

/* The in-place token path and the walker's SP shortcut decline anything
 * near a limit: sweep the line, atom, quoted and depth limits across a
 * FETCH line so that every token end meets each of them; mp_split_check
 * asserts that whole input (fast path) and every split (byte-level path)
 * give the same events, errors and offsets included. */
static void test_fast_path_limits(void **s)
{
    static const char line[] =
        "* 12 FETCH (UID 7 FLAGS (\\Seen $Junk) ENVELOPE (\"Mon, 7 Feb 1994\" \"ab\" "
        "((\"A\" NIL \"a\" \"b.c\")) NIL NIL NIL NIL NIL NIL \"<i@d>\") BODYSTRUCTURE "
        "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"x\") NIL NIL \"7BIT\" 3 1) BODY[1] \"abc\")\r\n"
        "* OK [UIDNEXT 9] x\r\n";
    unsigned max_line, atom, quoted, depth;
    (void)s;
    for (max_line = 8; max_line <= sizeof(line); max_line += 3)
        for (atom = 3; atom <= 13; atom += 10)
            for (quoted = 2; quoted <= 17; quoted += 15)
                for (depth = 2; depth <= 4; depth += 2) {
                    rf_setup(0, 0);
                    rfx.cfg.limits.max_line = max_line;
                    rfx.cfg.limits.max_atom = atom;
                    rfx.cfg.limits.max_quoted = quoted;
                    rfx.cfg.limits.max_depth = (uint16_t)depth;
                    rf_check(line, sizeof(line) - 1, NULL);
                }
    /* no limit near: the whole line parses */
    rf_setup(0, 0);
    assert_null(strstr(rf_check(line, sizeof(line) - 1, NULL), "error"));
}

/* A quoted ENVELOPE field longer than MP_IMAP_MAX_QUOTED (Dovecot sends a
 * 20 KB folded Subject quoted, found by the interop suite): with the
 * default limit it is streamed like a literal (LITERAL_BEGIN flagged
 * MP_IMAP_EVF_QUOTED, chunks, LITERAL_END) and the next line parses; a
 * host that raises max_quoted and gives a buffer that large gets it whole,
 * fed at once or byte by byte. */
typedef struct long_host {
    size_t subject_len, errors, ends, streamed;
} long_host;

static int long_event(void *user, const mp_imap_resp_event *ev)
{
    long_host *h = user;
    if (ev->type == MP_IMAP_EV_VALUE && ev->field == MP_IMAP_F_ENV_SUBJECT)
        h->subject_len = ev->str.len;
    if (ev->type == MP_IMAP_EV_LITERAL_BEGIN) {
        assert_int_equal(ev->field, MP_IMAP_F_ENV_SUBJECT);
        assert_int_equal(ev->flags & MP_IMAP_EVF_QUOTED, MP_IMAP_EVF_QUOTED);
        assert_int_equal(ev->num, 0);
        h->streamed++;
    }
    if (ev->type == MP_IMAP_EV_LITERAL_CHUNK) {
        size_t k;
        for (k = 0; k < ev->str.len; k++)
            assert_int_equal(ev->str.ptr[k], 'x');
        h->subject_len += ev->str.len;
    }
    if (ev->type == MP_IMAP_EV_ERROR)
        h->errors++;
    if (ev->type == MP_IMAP_EV_END)
        h->ends++;
    return MP_IMAP_CB_CONTINUE;
}

static void test_long_quoted_field(void **s)
{
    static const mp_imap_resp_callbacks cb = { long_event };
    static char abuf[32768];
    mp_imap_resp_parser p;
    mp_imap_resp_config cfg;
    size_t n, used, k, piece;
    (void)s;
    n = (size_t)sprintf(big, "* 1 FETCH (ENVELOPE (NIL \"");
    memset(big + n, 'x', 20000);
    n += 20000;
    n += (size_t)sprintf(big + n, "\" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n* 2 EXISTS\r\n");
    for (piece = 0; piece <= 1; piece++) {
        long_host h = { 0, 0, 0, 0 };
        memset(&cfg, 0, sizeof(cfg));
        assert_int_equal(mp_imap_resp_init(&p, abuf, MP_IMAP_MAX_QUOTED, &cfg, &cb, &h), MP_OK);
        for (k = 0; k < n; k += used)
            assert_int_equal(mp_imap_resp_feed(&p, big + k, piece ? 1 : n - k, &used),
                             MP_NEED_MORE);
        assert_int_equal(h.errors, 0);
        assert_int_equal(h.ends, 2);
        assert_int_equal(h.streamed, 1);
        assert_int_equal(h.subject_len, 20000);

        memset(&h, 0, sizeof(h));
        cfg.limits.max_quoted = sizeof(abuf);
        assert_int_equal(mp_imap_resp_init(&p, abuf, sizeof(abuf), &cfg, &cb, &h), MP_OK);
        for (k = 0; k < n; k += used)
            assert_int_equal(mp_imap_resp_feed(&p, big + k, piece ? 1 : n - k, &used),
                             MP_NEED_MORE);
        assert_int_equal(h.errors, 0);
        assert_int_equal(h.ends, 2);
        assert_int_equal(h.streamed, 0);
        assert_int_equal(h.subject_len, 20000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_depth),          cmocka_unit_test(test_literal_lengths),
        cmocka_unit_test(test_bytes_and_lines), cmocka_unit_test(test_pause_abort),
        cmocka_unit_test(test_names_and_size), cmocka_unit_test(test_set_mode),
        cmocka_unit_test(test_pause_at_line_end), cmocka_unit_test(test_fast_path_limits),
        cmocka_unit_test(test_long_quoted_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
