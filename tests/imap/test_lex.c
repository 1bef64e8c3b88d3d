/* IMAP tokenizer: every vector run whole, byte by byte and at random splits
 * (mp_split_check); one token class per vector. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/core/utf8.h"
#include "../../lib/imap/lex.h"
#include "split.h"

typedef struct lex_fixture {
    mp_imap_lex lx;
    char buf[256];
    mp_imap_limits lim;
    unsigned flags;
    mp_imap_lex_class cls;
    unsigned want;
    int accept_sync; /* 1: accept LITERAL_SYNC, 0: reject it */
    int after_text;  /* a TEXT token was read: atoms until the CRLF */
} lex_fixture;

static void lx_reset(void *state)
{
    lex_fixture *x = state;
    assert_int_equal(mp_imap_lex_init(&x->lx, x->buf, sizeof(x->buf), &x->lim, x->flags), MP_OK);
    x->after_text = 0;
}

static void log_token(mp_evlog *log, const mp_imap_token *t)
{
    switch (t->kind) {
    case MP_IMAP_TOK_ATOM: mp_evlog_text(log, "atom", t->text.ptr, t->text.len); break;
    case MP_IMAP_TOK_NUMBER: mp_evlog_add(log, "num %llu", (unsigned long long)t->num); break;
    case MP_IMAP_TOK_NIL: mp_evlog_text(log, "nil", t->text.ptr, t->text.len); break;
    case MP_IMAP_TOK_FLAG: mp_evlog_text(log, "flag", t->text.ptr, t->text.len); break;
    case MP_IMAP_TOK_STRING:
        mp_evlog_text(log, (t->flags & MP_IMAP_TOKF_LITERAL) ? "litstr" : "str", t->text.ptr,
                      t->text.len);
        break;
    case MP_IMAP_TOK_TEXT: mp_evlog_text(log, "text", t->text.ptr, t->text.len); break;
    case MP_IMAP_TOK_LPAREN: mp_evlog_add(log, "("); break;
    case MP_IMAP_TOK_RPAREN: mp_evlog_add(log, ")"); break;
    case MP_IMAP_TOK_LBRACKET: mp_evlog_add(log, "["); break;
    case MP_IMAP_TOK_RBRACKET: mp_evlog_add(log, "]"); break;
    case MP_IMAP_TOK_PUNCT: mp_evlog_add(log, "punct %c", t->punct); break;
    case MP_IMAP_TOK_SP: mp_evlog_add(log, "sp"); break;
    case MP_IMAP_TOK_CRLF:
        mp_evlog_add(log, (t->flags & MP_IMAP_TOKF_SKIPPED) ? "crlf skipped" : "crlf");
        break;
    case MP_IMAP_TOK_LITERAL_SYNC:
        mp_evlog_add(log, "sync %llu", (unsigned long long)t->num);
        break;
    case MP_IMAP_TOK_LITERAL_BEGIN:
        mp_evlog_add(log, "lit %llu%s%s @%llu", (unsigned long long)t->num,
                     (t->flags & MP_IMAP_TOKF_NONSYNC) ? " nonsync" : "",
                     (t->flags & MP_IMAP_TOKF_BINARY) ? " binary" : "",
                     (unsigned long long)t->offset);
        break;
    case MP_IMAP_TOK_LITERAL_CHUNK: mp_evlog_chunk(log, "lit", t->text.ptr, t->text.len); break;
    case MP_IMAP_TOK_LITERAL_END: mp_evlog_add(log, "end"); break;
    default: fail();
    }
}

static void lx_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    lex_fixture *x = state;
    int guard = 0;
    for (;;) {
        size_t used = 0;
        mp_imap_token t;
        mp_status st;
        mp_imap_lex_expect(&x->lx, x->after_text ? MP_IMAP_LEX_ATOM : x->cls, x->want);
        st = mp_imap_lex_next(&x->lx, p, n, &used, &t);
        assert_true(used <= n);
        p += used;
        n -= used;
        if (st == MP_NEED_MORE) {
            assert_int_equal(n, 0);
            return;
        }
        if (st == MP_OK) {
            log_token(log, &t);
            if (t.kind == MP_IMAP_TOK_TEXT)
                x->after_text = 1;
            if (t.kind == MP_IMAP_TOK_CRLF)
                x->after_text = 0;
            if (t.kind == MP_IMAP_TOK_LITERAL_SYNC && !x->accept_sync)
                mp_imap_lex_skip_line(&x->lx);
        } else {
            mp_evlog_add(log, "error %s @%llu", mp_status_name(st),
                         (unsigned long long)x->lx.err.offset);
            x->after_text = 0;
        }
        assert_true(++guard < 100000);
    }
}

static void lx_finish(void *state, mp_evlog *log)
{
    lex_fixture *x = state;
    mp_evlog_add(log, "pending %zu", mp_imap_lex_pending(&x->lx));
}

static lex_fixture lfx;

static void setup(unsigned flags, mp_imap_lex_class cls, unsigned want)
{
    memset(&lfx.lim, 0, sizeof(lfx.lim));
    lfx.flags = flags;
    lfx.cls = cls;
    lfx.want = want;
    lfx.accept_sync = 1;
}

static void check(const char *in, size_t n, const char *want)
{
    mp_split_target t = { lx_reset, lx_feed, lx_finish, &lfx };
    mp_split_check(&t, in, n, want);
}
#define CHECK(lit, want) check((lit), sizeof(lit) - 1, (want))

static void test_basic_tokens(void **s)
{
    (void)s;
    setup(0, MP_IMAP_LEX_ATOM, 0);
    CHECK("* 12 EXISTS\r\n", "punct *\nsp\nnum 12\nsp\natom EXISTS\ncrlf\npending 0\n");
    CHECK("(\\Seen \\* NIL nil) [x]\r\n",
          "(\nflag \\\\Seen\nsp\nflag \\\\*\nsp\nnil NIL\nsp\nnil nil\n)\nsp\natom [x\n]\ncrlf\n"
          "pending 0\n");
    CHECK("\"a\\\"b\\\\c\" \"\"\r\n", "str a\"b\\\\c\nsp\nstr \ncrlf\npending 0\n");
    CHECK("18446744073709551616 007\r\n",
          "atom 18446744073709551616\nsp\nnum 7\ncrlf\npending 0\n");
    CHECK("A1", "pending 2\n");
    /* class decides where ']' belongs */
    setup(0, MP_IMAP_LEX_ASTRING, 0);
    CHECK("a]b\r\n", "atom a]b\ncrlf\npending 0\n");
    setup(0, MP_IMAP_LEX_TAG, 0);
    CHECK("+ A+1\r\n", "punct +\nsp\natom A\npunct +\nnum 1\ncrlf\npending 0\n");
    setup(0, MP_IMAP_LEX_LIST_MAILBOX, 0);
    CHECK("foo/%/* x\r\n", "atom foo/%/*\nsp\natom x\ncrlf\npending 0\n");
    setup(0, MP_IMAP_LEX_SEQSET, 0);
    CHECK("1:3,5,7:*,$ \r\n", "atom 1:3,5,7:*,$\nsp\ncrlf\npending 0\n");
    setup(0, MP_IMAP_LEX_FETCH_ATT, 0);
    CHECK("BODY[1.2]<0>\r\n", "atom BODY\n[\natom 1.2\n]\npunct <\natom 0>\ncrlf\npending 0\n");
    setup(0, MP_IMAP_LEX_SECTION, 0);
    CHECK("HEADER.FIELDS (A B)]<10>\r\n",
          "atom HEADER.FIELDS\nsp\n(\natom A\nsp\natom B\n)\n]\npunct <\nnum 10\npunct >\ncrlf\n"
          "pending 0\n");
}

static void test_text(void **s)
{
    (void)s;
    setup(0, MP_IMAP_LEX_TEXT, 0);
    CHECK("hello world [x]\r\n", "text hello world [x]\ncrlf\npending 0\n");
    CHECK("\r\n", "text \ncrlf\npending 0\n");
    setup(0, MP_IMAP_LEX_CODE_TEXT, 0);
    CHECK("some thing]", "text some thing\n]\npending 0\n");
    setup(0, MP_IMAP_LEX_TEXT, 0);
    CHECK("caf\xc3\xa9\r\nok\r\n", "error MP_ERR_8BIT @3\ncrlf skipped\ntext ok\ncrlf\npending 0\n");
    setup(MP_IMAP_LEX_8BIT, MP_IMAP_LEX_TEXT, 0);
    CHECK("caf\xc3\xa9\r\n", "text caf\\xc3\\xa9\ncrlf\npending 0\n");
}

static void test_literals(void **s)
{
    (void)s;
    setup(0, MP_IMAP_LEX_ATOM, 0);
    CHECK("{5}\r\nhello ok\r\n", "lit 5 @0\nchunk lit hello\nend\nsp\natom ok\ncrlf\npending 0\n");
    CHECK("{0}\r\n\r\n", "lit 0 @0\nend\ncrlf\npending 0\n");
    CHECK("{3+}\r\na\r\n ~{4}\r\n\x00\x01\r\n\r\n",
          "lit 3 nonsync @0\nchunk lit a\\r\\n\nend\nsp\nlit 4 binary @10\nchunk lit "
          "\\x00\\x01\\r\\n\nend\ncrlf\npending 0\n");
    /* A literal payload is never tokenized, even when it looks like lines. */
    CHECK("{12}\r\n)\r\n* BYE x\r\n\r\n",
          "lit 12 @0\nchunk lit )\\r\\n* BYE x\\r\\n\nend\ncrlf\npending 0\n");
    /* ~ alone is an atom */
    CHECK("~a\r\n", "atom ~a\ncrlf\npending 0\n");
    setup(0, MP_IMAP_LEX_ASTRING, MP_IMAP_LEX_WANT_STRING);
    CHECK("{5}\r\nhello {0}\r\n\r\n", "litstr hello\nsp\nlitstr \ncrlf\npending 0\n");
    /* NUL only in literal8 */
    setup(0, MP_IMAP_LEX_ATOM, 0);
    CHECK("{3}\r\na\x00" "b x\r\nok\r\n",
          "lit 3 @0\nchunk lit a\nerror MP_ERR_NUL @6\ncrlf skipped\natom ok\ncrlf\npending 0\n");
}

static void test_literal_errors(void **s)
{
    (void)s;
    setup(0, MP_IMAP_LEX_ATOM, 0);
    CHECK("{-1}\r\nok\r\n",
          "error MP_ERR_IMAP_LITERAL_SYNTAX @0\ncrlf skipped\natom ok\ncrlf\npending 0\n");
    CHECK("{}\r\nok\r\n",
          "error MP_ERR_IMAP_LITERAL_SYNTAX @0\ncrlf skipped\natom ok\ncrlf\npending 0\n");
    CHECK("{1a}\r\nok\r\n",
          "error MP_ERR_IMAP_LITERAL_SYNTAX @0\ncrlf skipped\natom ok\ncrlf\npending 0\n");
    /* 2^32 in rev1: out of range, but its payload is still skipped (a
     * client reading a server must stay in sync). */
    CHECK("x {4294967296}\r\nok\r\n",
          "atom x\nsp\nerror MP_ERR_IMAP_LITERAL_RANGE @2\npending 0\n");
    CHECK("{99999999999999999999}\r\nok\r\n",
          "error MP_ERR_IMAP_LITERAL_RANGE @0\ncrlf skipped\natom ok\ncrlf\npending 0\n");
    setup(MP_IMAP_LEX_REV2, MP_IMAP_LEX_ATOM, 0);
    CHECK("{4294967296}\r\n", "lit 4294967296 @0\npending 0\n");
    CHECK("{9223372036854775808}\r\nok\r\n",
          "error MP_ERR_IMAP_LITERAL_RANGE @0\npending 0\n");
    /* configured limit, payload skipped, next line parsed */
    setup(0, MP_IMAP_LEX_ATOM, 0);
    lfx.lim.max_literal = 4;
    CHECK("{5}\r\n{1}\r\n\r\nok\r\n",
          "error MP_ERR_IMAP_LITERAL_LIMIT @0\ncrlf skipped\natom ok\ncrlf\npending 0\n");
    /* LITERAL-: non-sync above 4096 */
    setup(MP_IMAP_LEX_LITERAL_MINUS, MP_IMAP_LEX_ATOM, 0);
    CHECK("{4097+}\r\n", "error MP_ERR_IMAP_NONSYNC_TOO_BIG @0\npending 0\n");
    CHECK("{4096+}\r\n", "lit 4096 nonsync @0\npending 0\n");
    /* string positions: too long for a string */
    setup(0, MP_IMAP_LEX_ASTRING, MP_IMAP_LEX_WANT_STRING);
    lfx.lim.max_quoted = 4;
    CHECK("{5}\r\nhello\r\nok\r\n",
          "error MP_ERR_IMAP_STRING_TOO_LONG @0\ncrlf skipped\natom ok\ncrlf\npending 0\n");
    /* literals per line */
    setup(0, MP_IMAP_LEX_ATOM, 0);
    lfx.lim.max_literals = 2;
    CHECK("{1}\r\na{1}\r\nb{1}\r\nc x\r\n{1}\r\nd\r\n",
          "lit 1 @0\nchunk lit a\nend\nlit 1 @6\nchunk lit b\nend\n"
          "error MP_ERR_IMAP_TOO_MANY_LITERALS @12\ncrlf skipped\nlit 1 @22\nchunk lit d\nend\n"
          "crlf\npending 0\n");
}

static void test_sync_wait(void **s)
{
    (void)s;
    setup(MP_IMAP_LEX_SYNC_WAIT, MP_IMAP_LEX_ASTRING, MP_IMAP_LEX_WANT_STRING);
    CHECK("a {3}\r\nabc {2+}\r\nde\r\n",
          "atom a\nsp\nsync 3\nlitstr abc\nsp\nlitstr de\ncrlf\npending 0\n");
    /* rejected: the client sends nothing, the next line is a command */
    lfx.accept_sync = 0;
    CHECK("a {3}\r\nb\r\n", "atom a\nsp\nsync 3\ncrlf skipped\natom b\ncrlf\npending 0\n");
    /* a rejected sync literal after an error ends the line too */
    lfx.lim.max_literal = 2;
    CHECK("a {3}\r\nb\r\n",
          "atom a\nsp\nerror MP_ERR_IMAP_LITERAL_LIMIT @2\ncrlf skipped\natom b\ncrlf\npending 0\n");
    /* while skipping, a non-sync literal's payload is stepped over, a sync
     * one ends the line */
    lfx.lim.max_literal = 0;
    lfx.accept_sync = 1;
    CHECK("\x01 {2+}\r\n\r\n {1}\r\nb\r\n",
          "error MP_ERR_SYNTAX @0\ncrlf skipped\natom b\ncrlf\npending 0\n");
}

static void test_limits_and_bytes(void **s)
{
    static char big[1000006];
    size_t n;
    (void)s;
    /* depth: a million '(' stops at the limit, the line is skipped */
    setup(0, MP_IMAP_LEX_ATOM, 0);
    lfx.lim.max_depth = 3;
    CHECK("((((x))))\r\nok\r\n",
          "(\n(\n(\nerror MP_ERR_IMAP_DEPTH @3\ncrlf skipped\natom ok\ncrlf\npending 0\n");
    lfx.lim.max_depth = 0;
    lfx.lim.max_line = 0x7fffffff;
    memset(big, '(', sizeof(big));
    n = sizeof(big);
    memcpy(big + n - 6, "\r\nok\r\n", 6);
    {
        char want[4096];
        size_t k, w = 0;
        for (k = 0; k < MP_IMAP_MAX_DEPTH; k++)
            w += (size_t)snprintf(want + w, sizeof(want) - w, "(\n");
        snprintf(want + w, sizeof(want) - w,
                 "error MP_ERR_IMAP_DEPTH @%u\ncrlf skipped\natom ok\ncrlf\npending 0\n",
                 (unsigned)MP_IMAP_MAX_DEPTH);
        check(big, n, want);
    }
    /* line length outside literals; literal bytes do not count */
    setup(0, MP_IMAP_LEX_ATOM, 0);
    lfx.lim.max_line = 12;
    CHECK("abc {20}\r\n01234567890123456789\r\n",
          "atom abc\nsp\nlit 20 @4\nchunk lit 01234567890123456789\nend\ncrlf\npending 0\n");
    CHECK("abcdefghijkl\r\nok\r\n",
          "error MP_ERR_LINE_TOO_LONG @12\ncrlf skipped\natom ok\ncrlf\npending 0\n");
    /* atom and quoted limits */
    setup(0, MP_IMAP_LEX_ATOM, 0);
    lfx.lim.max_atom = 3;
    lfx.lim.max_quoted = 3;
    CHECK("abcd\r\nok\r\n",
          "error MP_ERR_IMAP_ATOM_TOO_LONG @0\ncrlf skipped\natom ok\ncrlf\npending 0\n");
    CHECK("\"abcd\"\r\nok\r\n",
          "error MP_ERR_IMAP_TEXT_TOO_LONG @0\ncrlf skipped\natom ok\ncrlf\npending 0\n");
    /* NUL, 8-bit, CTL, bare CR/LF, bad quoted */
    setup(0, MP_IMAP_LEX_ATOM, 0);
    CHECK("a\x00 b\r\nok\r\n", "atom a\nerror MP_ERR_NUL @1\ncrlf skipped\natom ok\ncrlf\npending 0\n");
    CHECK("\xff\r\nok\r\n", "error MP_ERR_8BIT @0\ncrlf skipped\natom ok\ncrlf\npending 0\n");
    CHECK("\"a\x00\"\r\nok\r\n", "error MP_ERR_NUL @2\ncrlf skipped\natom ok\ncrlf\npending 0\n");
    CHECK("\"\xc3\xa9\"\r\nok\r\n", "error MP_ERR_8BIT @1\ncrlf skipped\natom ok\ncrlf\npending 0\n");
    CHECK("\"a\\b\"\r\nok\r\n",
          "error MP_ERR_IMAP_QUOTED @3\ncrlf skipped\natom ok\ncrlf\npending 0\n");
    CHECK("\"a\r\nok\r\n", "error MP_ERR_IMAP_QUOTED @2\ncrlf skipped\natom ok\ncrlf\npending 0\n");
    CHECK("a\nok\r\n", "atom a\nerror MP_ERR_BARE_LF @1\ncrlf skipped\natom ok\ncrlf\npending 0\n");
    CHECK("a\rb\r\nok\r\n",
          "atom a\nerror MP_ERR_BARE_CR @1\ncrlf skipped\natom ok\ncrlf\npending 0\n");
    CHECK("\\ x\r\n", "error MP_ERR_SYNTAX @0\ncrlf skipped\npending 0\n");
    setup(MP_IMAP_LEX_8BIT, MP_IMAP_LEX_ATOM, 0);
    CHECK("\"\xc3\xa9\"\r\n", "str \\xc3\\xa9\ncrlf\npending 0\n");
    CHECK("\xc3\r\n", "error MP_ERR_8BIT @0\ncrlf skipped\npending 0\n");
    /* quirk: LF-only lines */
    setup(MP_IMAP_LEX_LF, MP_IMAP_LEX_ATOM, 0);
    CHECK("a\nb {1}\nx\n", "atom a\ncrlf\natom b\nsp\nlit 1 @4\nchunk lit x\nend\ncrlf\npending 0\n");
}

/* The in-place path (lex_fast.h) declines tokens near a limit and the
 * byte-level path reads them: sweep every limit across the token ends so
 * that each token lands exactly on, before and after it.  Fed whole, the
 * fast path reads what it can; byte by byte, only the byte-level path
 * runs; mp_split_check asserts that all the logs are the same. */
static void test_fast_path_limits(void **s)
{
    static const char *const lines[] = {
        "ab \"cd\" (x) \\Seen \\* NIL 123 ~\r\nok\r\n",
        "abcd \"abcd\" ((y)) \\Flag0 12345\r\nok\r\n",
        "\"\" \"a\\\\b\" a\rb\r\n\"x\xff\"\r\nok\r\n",
        "(((\"q\")))\r\n\\ \\\\\r\nok\r\n",
    };
    unsigned li, line, atom, quoted, depth;
    (void)s;
    for (li = 0; li < sizeof(lines) / sizeof(lines[0]); li++)
        for (line = 2; line <= 40; line += 1)
            for (atom = 2; atom <= 6; atom += 2)
                for (quoted = 1; quoted <= 5; quoted += 2)
                    for (depth = 1; depth <= 3; depth++) {
                        setup(0, MP_IMAP_LEX_ATOM, 0);
                        lfx.lim.max_line = line;
                        lfx.lim.max_atom = atom;
                        lfx.lim.max_quoted = quoted;
                        lfx.lim.max_depth = (uint16_t)depth;
                        check(lines[li], strlen(lines[li]), NULL);
                    }
    /* and the limits far away: the expected tokens */
    setup(0, MP_IMAP_LEX_ASTRING, 0);
    CHECK("\\Seen \\* ab] \"x y\" (1)\r\n",
          "flag \\\\Seen\nsp\nflag \\\\*\nsp\natom ab]\nsp\nstr x y\nsp\n(\nnum 1\n)\ncrlf\n"
          "pending 0\n");
}

static void test_skip_line(void **s)
{
    mp_imap_lex lx;
    char buf[64];
    mp_imap_token t;
    size_t used;
    /* The input read from an offset with its length counted down, not as
     * strlen() of an advancing pointer: gcc 12 at -O1 and above (the
     * Cortex-M4 build's -Os) computed that strlen from a stale `used`
     * (the tree-ssa-strlen pass), and the test failed with a correct
     * tokenizer. */
    static const char text[] = "a {4}\r\nxyzw b\r\nc\r\n";
    size_t at = 0;
#define IN text + at, sizeof(text) - 1 - at
    (void)s;
    assert_int_equal(mp_imap_lex_init(&lx, buf, sizeof(buf), NULL, 0), MP_OK);
    assert_int_equal(mp_imap_lex_init(&lx, buf, 8, NULL, 0), MP_ERR_ARG);
    assert_int_equal(mp_imap_lex_init(&lx, buf, sizeof(buf), NULL, 0), MP_OK);
    assert_true(mp_imap_lex_at_line_start(&lx));
    mp_imap_lex_skip_line(&lx); /* no-op at line start */
    assert_int_equal(mp_imap_lex_next(&lx, text, 1, &used, &t), MP_NEED_MORE);
    assert_int_equal(mp_imap_lex_pending(&lx), 1);
    assert_int_equal(mp_imap_lex_next(&lx, text + 1, sizeof(text) - 2, &used, &t), MP_OK);
    assert_int_equal(t.kind, MP_IMAP_TOK_ATOM);
    assert_int_equal(used, 0);
    assert_memory_equal(t.text.ptr, "a", 1);
    at += 1;
    assert_int_equal(mp_imap_lex_next(&lx, IN, &used, &t), MP_OK);
    assert_int_equal(t.kind, MP_IMAP_TOK_SP);
    at += used;
    assert_int_equal(mp_imap_lex_next(&lx, IN, &used, &t), MP_OK);
    assert_int_equal(t.kind, MP_IMAP_TOK_LITERAL_BEGIN);
    at += used;
    /* the grammar gives up inside the literal: payload and line skipped */
    mp_imap_lex_skip_line(&lx);
    assert_int_equal(mp_imap_lex_next(&lx, IN, &used, &t), MP_OK);
    assert_int_equal(t.kind, MP_IMAP_TOK_CRLF);
    assert_true(t.flags & MP_IMAP_TOKF_SKIPPED);
    at += used;
    assert_int_equal(mp_imap_lex_next(&lx, IN, &used, &t), MP_OK);
    assert_int_equal(t.kind, MP_IMAP_TOK_ATOM);
    assert_memory_equal(t.text.ptr, "c", 1);
    /* setters: per-position literal limit, quoted limit clamped to cap */
    mp_imap_lex_set_max_literal(&lx, 3);
    assert_int_equal(mp_imap_lex_next(&lx, "{4}\r\nabcd", 10, &used, &t), MP_ERR_IMAP_LITERAL_LIMIT);
    mp_imap_lex_set_max_literal(&lx, 0);
    mp_imap_lex_set_max_quoted(&lx, 100000);
    assert_int_equal(lx.max_quoted, sizeof(buf));
    mp_imap_lex_set_max_quoted(&lx, 2);
    assert_int_equal(lx.max_quoted, 2);
    {
        mp_imap_token n;
        uint64_t v;
        n.kind = MP_IMAP_TOK_NUMBER;
        n.num = 7;
        assert_int_equal(mp_imap_lex_number(&n, 10, &v), MP_OK);
        assert_int_equal(v, 7);
        assert_int_equal(mp_imap_lex_number(&n, 5, &v), MP_ERR_NUMBER);
        n.kind = MP_IMAP_TOK_ATOM;
        assert_int_equal(mp_imap_lex_number(&n, 10, &v), MP_ERR_SYNTAX);
    }
#undef IN
}

/* ---- UTF-8 in quoted strings and text (lex.h, lib/core/utf8.h) -------- */

/* An independent reading of RFC 3629: the length from the lead byte's bit
 * pattern, the code point from the tails, then the range checks. */
static int ref_utf8_valid(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t len, k;
        uint32_t cp, min;
        if ((c & 0x80u) == 0) {
            i++;
            continue;
        }
        if ((c & 0xe0u) == 0xc0u) {
            len = 2, cp = c & 0x1fu, min = 0x80u;
        } else if ((c & 0xf0u) == 0xe0u) {
            len = 3, cp = c & 0x0fu, min = 0x800u;
        } else if ((c & 0xf8u) == 0xf0u) {
            len = 4, cp = c & 0x07u, min = 0x10000u;
        } else {
            return 0;
        }
        if (n - i < len)
            return 0;
        for (k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0u) != 0x80u)
                return 0;
            cp = (cp << 6) | (p[i + k] & 0x3fu);
        }
        if (cp < min || cp > 0x10ffffu || (cp >= 0xd800u && cp <= 0xdfffu))
            return 0;
        i += len;
    }
    return 1;
}

/* The same bytes fed to the decoder in two pieces: the same verdict. */
static int split_valid(const unsigned char *p, size_t n, size_t cut)
{
    unsigned st = MP_UTF8_ACCEPT;
    if (mp_utf8_scan(&st, p, cut) != cut)
        return 0;
    if (mp_utf8_scan(&st, p + cut, n - cut) != n - cut)
        return 0;
    return st == MP_UTF8_ACCEPT;
}

static void test_utf8_rules(void **s)
{
    static const unsigned char tails[] = { 0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f,
                                           0xa0, 0xbf, 0xc0, 0xc2, 0xe0, 0xf4, 0xff };
    unsigned char b[4];
    uint32_t cp;
    unsigned a, c, d, e;
    size_t bad;
    (void)s;
    /* every scalar value encodes, checks and decodes back; every
     * surrogate is refused at its second byte */
    for (cp = 0; cp <= 0x10ffffu; cp++) {
        size_t n, k;
        unsigned st = MP_UTF8_ACCEPT;
        uint32_t got = 0;
        if (cp < 0x80u) {
            b[0] = (unsigned char)cp, n = 1;
        } else if (cp < 0x800u) {
            b[0] = (unsigned char)(0xc0u | (cp >> 6)), n = 2;
        } else if (cp < 0x10000u) {
            b[0] = (unsigned char)(0xe0u | (cp >> 12)), n = 3;
        } else {
            b[0] = (unsigned char)(0xf0u | (cp >> 18)), n = 4;
        }
        for (k = 1; k < n; k++)
            b[k] = (unsigned char)(0x80u | ((cp >> (6 * (n - 1 - k))) & 0x3fu));
        if (cp >= 0xd800u && cp <= 0xdfffu) {
            assert_false(mp_utf8_check(b, n, &bad));
            assert_int_equal(bad, 1);
            continue;
        }
        assert_true(mp_utf8_check(b, n, NULL));
        for (k = 0; k < n; k++) {
            unsigned t = mp_utf8_step(st, b[k]);
            got = mp_utf8_decode(got, st, b[k]);
            st = t;
        }
        assert_int_equal(st, MP_UTF8_ACCEPT);
        assert_int_equal(got, cp);
    }
    /* every 1-, 2- and 3-byte input (8-bit leads for 3), and 4-byte ones
     * over every lead and second byte: the same verdict as the reference,
     * whole and cut at every point */
    for (a = 0; a < 256; a++) {
        b[0] = (unsigned char)a;
        assert_int_equal(mp_utf8_check(b, 1, NULL), ref_utf8_valid(b, 1));
        for (c = 0; c < 256; c++) {
            b[1] = (unsigned char)c;
            assert_int_equal(mp_utf8_check(b, 2, NULL), ref_utf8_valid(b, 2));
            assert_int_equal(split_valid(b, 2, 1), ref_utf8_valid(b, 2));
            if (a < 0xc0)
                continue;
            for (d = 0; d < 256; d++) {
                int want;
                b[2] = (unsigned char)d;
                want = ref_utf8_valid(b, 3);
                if (mp_utf8_check(b, 3, NULL) != want || split_valid(b, 3, 1) != want ||
                    split_valid(b, 3, 2) != want)
                    fail_msg("%02x %02x %02x", a, c, d);
            }
            if (a < 0xf0)
                continue;
            for (d = 0; d < sizeof(tails); d++)
                for (e = 0; e < sizeof(tails); e++) {
                    int want;
                    b[2] = tails[d];
                    b[3] = tails[e];
                    want = ref_utf8_valid(b, 4);
                    if (mp_utf8_check(b, 4, NULL) != want || split_valid(b, 4, 1) != want ||
                        split_valid(b, 4, 2) != want || split_valid(b, 4, 3) != want)
                        fail_msg("%02x %02x %02x %02x", a, c, b[2], b[3]);
                }
        }
    }
    /* the offset of the first bad byte; a cut sequence is bad at the end */
    assert_false(mp_utf8_check((const unsigned char *)"ab\xc0\x80", 4, &bad));
    assert_int_equal(bad, 2);
    assert_false(mp_utf8_check((const unsigned char *)"\xe0\x80\x80", 3, &bad));
    assert_int_equal(bad, 1);
    assert_false(mp_utf8_check((const unsigned char *)"\xf4\x90\x80\x80", 4, &bad));
    assert_int_equal(bad, 1);
    assert_false(mp_utf8_check((const unsigned char *)"x\xe6\x97", 3, &bad));
    assert_int_equal(bad, 3);
    assert_true(mp_utf8_check((const unsigned char *)"", 0, &bad));
}

#define RECOVER "crlf skipped\natom ok\ncrlf\npending 0\n"

static void test_utf8_quoted(void **s)
{
    static const unsigned modes[] = { MP_IMAP_LEX_8BIT, MP_IMAP_LEX_8BIT | MP_IMAP_LEX_REV2 };
    unsigned k;
    (void)s;
    for (k = 0; k < 2; k++) {
        setup(modes[k], MP_IMAP_LEX_ASTRING, 0);
        /* 2, 3 and 4 bytes; the edges of every range */
        CHECK("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\" \"\xc2\x80\xdf\xbf\xe0\xa0\x80\xed"
              "\x9f\xbf\xee\x80\x80\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\"\r\n",
              "str caf\\xc3\\xa9 \\xe2\\x82\\xac \\xf0\\x9f\\x98\\x80\nsp\n"
              "str \\xc2\\x80\\xdf\\xbf\\xe0\\xa0\\x80\\xed\\x9f\\xbf\\xee\\x80\\x80\\xef\\xbf"
              "\\xbf\\xf0\\x90\\x80\\x80\\xf4\\x8f\\xbf\\xbf\ncrlf\npending 0\n");
        /* after an escape (the assembled path) */
        CHECK("\"\\\\\xc3\xa9\\\"\xe2\x82\xac\"\r\n",
              "str \\\\\\xc3\\xa9\"\\xe2\\x82\\xac\ncrlf\npending 0\n");
        /* overlong forms: C0/C1 never lead; E0 80, F0 8F are bad tails */
        CHECK("\"a\xc0\x80\"\r\nok\r\n", "error MP_ERR_UTF8 @2\n" RECOVER);
        CHECK("\"\xc1\xbf\"\r\nok\r\n", "error MP_ERR_UTF8 @1\n" RECOVER);
        CHECK("\"\xe0\x80\x80\"\r\nok\r\n", "error MP_ERR_UTF8 @2\n" RECOVER);
        CHECK("\"\xe0\x9f\xbf\"\r\nok\r\n", "error MP_ERR_UTF8 @2\n" RECOVER);
        CHECK("\"\xf0\x8f\xbf\xbf\"\r\nok\r\n", "error MP_ERR_UTF8 @2\n" RECOVER);
        /* surrogates */
        CHECK("\"\xed\xa0\x80\"\r\nok\r\n", "error MP_ERR_UTF8 @2\n" RECOVER);
        CHECK("\"xy\xed\xbf\xbf\"\r\nok\r\n", "error MP_ERR_UTF8 @4\n" RECOVER);
        /* above U+10FFFF */
        CHECK("\"\xf4\x90\x80\x80\"\r\nok\r\n", "error MP_ERR_UTF8 @2\n" RECOVER);
        CHECK("\"\xf5\x80\x80\x80\"\r\nok\r\n", "error MP_ERR_UTF8 @1\n" RECOVER);
        CHECK("\"\xff\"\r\nok\r\n", "error MP_ERR_UTF8 @1\n" RECOVER);
        /* cut before the closing quote, by an escape, by a plain byte */
        CHECK("\"ab\xc3\"\r\nok\r\n", "error MP_ERR_UTF8 @4\n" RECOVER);
        CHECK("\"ab\xf0\x9f\x98\"\r\nok\r\n", "error MP_ERR_UTF8 @6\n" RECOVER);
        CHECK("\"\xe2\x82\\\\\"\r\nok\r\n", "error MP_ERR_UTF8 @3\n" RECOVER);
        CHECK("\"\xc3" "a\"\r\nok\r\n", "error MP_ERR_UTF8 @2\n" RECOVER);
        /* cut by the line end: the CR is the bad byte, the line is over */
        CHECK("\"\xc3\r\nok\r\n", "error MP_ERR_UTF8 @2\n" RECOVER);
        /* lone continuation bytes */
        CHECK("\"\x80\"\r\nok\r\n", "error MP_ERR_UTF8 @1\n" RECOVER);
        CHECK("\"\xc3\xa9\xa9\"\r\nok\r\n", "error MP_ERR_UTF8 @3\n" RECOVER);
        /* never in atoms; literals are octets */
        CHECK("\xc3\xa9\r\nok\r\n", "error MP_ERR_8BIT @0\n" RECOVER);
        CHECK("{3}\r\n\xc0\x80\xff\r\n", "lit 3 @0\nchunk lit \\xc0\\x80\\xff\nend\ncrlf\npending 0\n");
        setup(modes[k], MP_IMAP_LEX_ASTRING, MP_IMAP_LEX_WANT_STRING);
        CHECK("{3}\r\n\xc0\x80\xff\r\n", "litstr \\xc0\\x80\\xff\ncrlf\npending 0\n");
    }
    /* IMAP4rev1 without the quirk: MP_ERR_8BIT at the first 8-bit byte */
    setup(0, MP_IMAP_LEX_ASTRING, 0);
    CHECK("\"Entw\xc3\xbcrfe\"\r\nok\r\n", "error MP_ERR_8BIT @5\n" RECOVER);
    CHECK("\"\xc0\x80\"\r\nok\r\n", "error MP_ERR_8BIT @1\n" RECOVER);
    /* the quirk (Latin-1 servers): any 8-bit byte, unchecked, with or
     * without UTF-8 mode */
    setup(MP_IMAP_LEX_8BIT_RAW, MP_IMAP_LEX_ASTRING, 0);
    CHECK("\"Entw\xfcrfe \xc0\x80\xff\" \"\xc3\xa9\"\r\n",
          "str Entw\\xfcrfe \\xc0\\x80\\xff\nsp\nstr \\xc3\\xa9\ncrlf\npending 0\n");
    CHECK("\xfc\r\nok\r\n", "error MP_ERR_8BIT @0\n" RECOVER);
    setup(MP_IMAP_LEX_8BIT_RAW | MP_IMAP_LEX_8BIT, MP_IMAP_LEX_ASTRING, 0);
    CHECK("\"caf\xe9\\\\\xed\xa0\x80\"\r\n", "str caf\\xe9\\\\\\xed\\xa0\\x80\ncrlf\npending 0\n");
}

static void test_utf8_text(void **s)
{
    (void)s;
    setup(MP_IMAP_LEX_8BIT, MP_IMAP_LEX_TEXT, 0);
    CHECK("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\r\n",
          "text caf\\xc3\\xa9 \\xe2\\x82\\xac \\xf0\\x9f\\x98\\x80\ncrlf\npending 0\n");
    /* cut by the CRLF: the CR is the bad byte; the next line is text again */
    CHECK("caf\xc3\r\nok\r\n", "error MP_ERR_UTF8 @4\ncrlf skipped\ntext ok\ncrlf\npending 0\n");
    CHECK("\xc0\x80\r\nok\r\n", "error MP_ERR_UTF8 @0\ncrlf skipped\ntext ok\ncrlf\npending 0\n");
    CHECK("x \xed\xa0\x80 y\r\nok\r\n",
          "error MP_ERR_UTF8 @3\ncrlf skipped\ntext ok\ncrlf\npending 0\n");
    CHECK("\xf4\x90\x80\x80\r\nok\r\n",
          "error MP_ERR_UTF8 @1\ncrlf skipped\ntext ok\ncrlf\npending 0\n");
    CHECK("a\x80\r\nok\r\n", "error MP_ERR_UTF8 @1\ncrlf skipped\ntext ok\ncrlf\npending 0\n");
    /* resp-text-code data: a sequence cut by the "]" */
    setup(MP_IMAP_LEX_8BIT | MP_IMAP_LEX_REV2, MP_IMAP_LEX_CODE_TEXT, 0);
    CHECK("\xe2\x82\xac]", "text \\xe2\\x82\\xac\n]\npending 0\n");
    CHECK("a\xe2\x82] x\r\nb]", "error MP_ERR_UTF8 @3\ncrlf skipped\ntext b\n]\npending 0\n");
    /* rev1: MP_ERR_8BIT; the quirk: unchecked */
    setup(0, MP_IMAP_LEX_TEXT, 0);
    CHECK("caf\xe9\r\nok\r\n", "error MP_ERR_8BIT @3\ncrlf skipped\ntext ok\ncrlf\npending 0\n");
    setup(MP_IMAP_LEX_8BIT_RAW, MP_IMAP_LEX_TEXT, 0);
    CHECK("caf\xe9 \xc0\r\n", "text caf\\xe9 \\xc0\ncrlf\npending 0\n");
}

/* The in-place path reads a UTF-8 quoted string only when it is whole and
 * well-formed, else declines: sweep the limits across the sequences, as
 * test_fast_path_limits does, in each 8-bit mode. */
static void test_utf8_fast_path(void **s)
{
    static const char *const lines[] = {
        "\"\xc3\xa9\" \"a\xe6\x97\xa5z\" \"\xf0\x9f\x98\x80\" x\r\nok\r\n",
        "\"\xc3\" \"\xe0\x80\x80\"\r\n\"\xf4\x8f\xbf\xbf\" \"\xf4\x90\x80\x80\"\r\nok\r\n",
        "\"x\\\\\xc3\xa9\" \"\xed\x9f\xbf\xee\x80\x80\" \"\xed\xa0\x80\"\r\n\"\x80\"\r\nok\r\n",
        "\"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\" \"\xe2\x82\xac\xe2\x82\"\r\nok\r\n",
    };
    static const unsigned modes[] = { 0, MP_IMAP_LEX_8BIT, MP_IMAP_LEX_8BIT_RAW };
    unsigned li, mi, line, quoted;
    (void)s;
    for (mi = 0; mi < 3; mi++)
        for (li = 0; li < sizeof(lines) / sizeof(lines[0]); li++)
            for (line = 2; line <= 36; line++)
                for (quoted = 1; quoted <= 14; quoted++) {
                    setup(modes[mi], MP_IMAP_LEX_ASTRING, 0);
                    lfx.lim.max_line = line;
                    lfx.lim.max_quoted = quoted;
                    check(lines[li], strlen(lines[li]), NULL);
                    setup(modes[mi], MP_IMAP_LEX_TEXT, 0);
                    lfx.lim.max_line = line;
                    lfx.lim.max_quoted = quoted;
                    check(lines[li], strlen(lines[li]), NULL);
                }
}

/* The in-place path itself: it reads a whole well-formed UTF-8 quoted
 * string in UTF-8 mode and declines every other 8-bit one (the byte-level
 * path then reads it or reports the error). */
static void test_utf8_in_place(void **s)
{
    static const struct {
        unsigned flags;
        const char *in;
        size_t want; /* bytes taken, 0: declined */
    } v[] = {
        { MP_IMAP_LEX_8BIT, "\"caf\xc3\xa9 \xf0\x9f\x98\x80\" ", 12 },
        { MP_IMAP_LEX_8BIT, "\"\xe6\x97\xa5\xe6\x9c\xac\" ", 8 },
        { MP_IMAP_LEX_8BIT, "\"\xed\xa0\x80\" ", 0 },
        { MP_IMAP_LEX_8BIT, "\"\xc3\" ", 0 },
        { MP_IMAP_LEX_8BIT, "\"\xc3\xa9\\\\\" ", 0 },
        { MP_IMAP_LEX_8BIT, "\"\xe2\x82\xac", 0 },
        { MP_IMAP_LEX_8BIT_RAW, "\"caf\xe9\" ", 6 },
        { 0, "\"caf\xc3\xa9\" ", 0 },
        { 0, "\"cafe\" ", 6 },
    };
    size_t k;
    (void)s;
    for (k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
        mp_imap_lex lx;
        char buf[64];
        mp_imap_token t;
        size_t n = strlen(v[k].in);
        assert_int_equal(mp_imap_lex_init(&lx, buf, sizeof(buf), NULL, v[k].flags), MP_OK);
        mp_imap_lex_expect(&lx, MP_IMAP_LEX_ASTRING, 0);
        if (mp_imap_lex_fast(&lx, v[k].in, n, &t) != v[k].want)
            fail_msg("case %zu", k);
        if (v[k].want) {
            assert_int_equal(t.kind, MP_IMAP_TOK_STRING);
            assert_int_equal(t.text.len, v[k].want - 2);
            assert_ptr_equal(t.text.ptr, v[k].in + 1);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_basic_tokens),   cmocka_unit_test(test_text),
        cmocka_unit_test(test_literals),       cmocka_unit_test(test_literal_errors),
        cmocka_unit_test(test_sync_wait),      cmocka_unit_test(test_limits_and_bytes),
        cmocka_unit_test(test_skip_line),      cmocka_unit_test(test_fast_path_limits),
        cmocka_unit_test(test_utf8_rules),     cmocka_unit_test(test_utf8_quoted),
        cmocka_unit_test(test_utf8_text),      cmocka_unit_test(test_utf8_fast_path),
        cmocka_unit_test(test_utf8_in_place),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
