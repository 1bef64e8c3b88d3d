/* IMAP command writer: byte-exact outputs for the RFC examples, string
 * representation choices, sync / non-sync literals with the "+" pause,
 * APPEND streaming, and values the writer must refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/imap_command.h"

static char obuf[8192];
static mp_outbuf ob;
static mp_imap_writer w;

static void fresh(unsigned flags)
{
    mp_outbuf_init(&ob, obuf, sizeof(obuf));
    mp_imap_writer_init(&w, &ob, flags);
}

static void expect_out(const char *want)
{
    size_t n = strlen(want);
    if (ob.len != n || memcmp(ob.buf, want, n) != 0) {
        print_error("got  [%.*s]\nwant [%s]\n", (int)ob.len, ob.buf, want);
        fail();
    }
    mp_outbuf_consume(&ob, ob.len);
}

#define S(lit) MP_SLICE_LIT(lit)
#define A_ATOM(lit) { MP_IMAP_ARG_ATOM, S(lit), 0, NULL, 0, NULL }
#define A_ASTR(lit) { MP_IMAP_ARG_ASTRING, S(lit), 0, NULL, 0, NULL }
#define A_STR(lit) { MP_IMAP_ARG_STRING, S(lit), 0, NULL, 0, NULL }
#define A_MBOX(lit) { MP_IMAP_ARG_MAILBOX, S(lit), 0, NULL, 0, NULL }
#define A_LMBOX(lit) { MP_IMAP_ARG_LIST_MAILBOX, S(lit), 0, NULL, 0, NULL }
#define A_FLAG(lit) { MP_IMAP_ARG_FLAG, S(lit), 0, NULL, 0, NULL }
#define A_NUM(v) { MP_IMAP_ARG_NUMBER, { NULL, 0 }, (v), NULL, 0, NULL }
#define A_KIND(k) { (k), { NULL, 0 }, 0, NULL, 0, NULL }
#define A_OPEN A_KIND(MP_IMAP_ARG_LIST_BEGIN)
#define A_CLOSE A_KIND(MP_IMAP_ARG_LIST_END)
#define A_NIL A_KIND(MP_IMAP_ARG_NIL)
#define CMD(tag, id, arr) mp_imap_write_command(&w, (tag), (id), (arr), sizeof(arr) / sizeof((arr)[0]))

static void test_simple_commands(void **st)
{
    /* commands without arguments (RFC 9051 examples) */
    static const struct {
        const char *tag;
        mp_imap_cmd_id id;
        const char *out;
    } bare[] = {
        { "a002", MP_IMAP_CMD_NOOP, "a002 NOOP\r\n" },
        { "abcd", MP_IMAP_CMD_CAPABILITY, "abcd CAPABILITY\r\n" },
        { "A023", MP_IMAP_CMD_LOGOUT, "A023 LOGOUT\r\n" },
        { "a001", MP_IMAP_CMD_STARTTLS, "a001 STARTTLS\r\n" },
        { "A341", MP_IMAP_CMD_CLOSE, "A341 CLOSE\r\n" },
        { "A202", MP_IMAP_CMD_EXPUNGE, "A202 EXPUNGE\r\n" },
        { "A42", MP_IMAP_CMD_NAMESPACE, "A42 NAMESPACE\r\n" },
        { "A342", MP_IMAP_CMD_UNSELECT, "A342 UNSELECT\r\n" },
    };
    size_t i;
    (void)st;
    fresh(0);
    for (i = 0; i < sizeof(bare) / sizeof(bare[0]); i++) {
        assert_int_equal(mp_imap_write_command(&w, bare[i].tag, bare[i].id, NULL, 0), MP_OK);
        expect_out(bare[i].out);
        /* the lean writer of the same commands: the same bytes */
        assert_int_equal(mp_imap_write_simple(&w, bare[i].tag, bare[i].id), MP_OK);
        expect_out(bare[i].out);
    }
    /* ... and only for commands without arguments; a bad tag as always */
    assert_int_equal(mp_imap_write_simple(&w, "a1", MP_IMAP_CMD_SELECT), MP_ERR_ARG);
    assert_int_equal(mp_imap_write_simple(&w, "a 1", MP_IMAP_CMD_NOOP), MP_ERR_ARG);
    assert_int_equal(ob.len, 0);
    /* IDLE leaves the writer waiting for DONE either way */
    assert_int_equal(mp_imap_write_simple(&w, "a2", MP_IMAP_CMD_IDLE), MP_OK);
    expect_out("a2 IDLE\r\n");
    assert_int_equal(mp_imap_write_simple(&w, "a3", MP_IMAP_CMD_NOOP), MP_ERR_STATE);
    assert_int_equal(mp_imap_write_done(&w), MP_OK);
    expect_out("DONE\r\n");
    /* CHECK is IMAP4rev1 only (RFC 9051 Appendix E) */
    fresh(MP_IMAP_W_REV2);
    assert_int_equal(mp_imap_write_simple(&w, "a4", MP_IMAP_CMD_CHECK), MP_ERR_IMAP_CMD_REV1_ONLY);
    fresh(0);
    {
        mp_imap_arg a[] = { A_ATOM("DEFLATE") };
        assert_int_equal(CMD("t1", MP_IMAP_CMD_COMPRESS, a), MP_OK);
        expect_out("t1 COMPRESS DEFLATE\r\n");
    }
    {
        mp_imap_arg a[] = { A_ATOM("CONDSTORE"), A_ATOM("X-GOOD-IDEA") };
        assert_int_equal(CMD("t2", MP_IMAP_CMD_ENABLE, a), MP_OK);
        expect_out("t2 ENABLE CONDSTORE X-GOOD-IDEA\r\n");
    }
}

static void test_login_and_strings(void **st)
{
    (void)st;
    fresh(0);
    /* RFC 9051 §6.2.3 example */
    assert_int_equal(mp_imap_write_login(&w, "a001", S("SMITH"), S("SESAME")), MP_OK);
    expect_out("a001 LOGIN SMITH SESAME\r\n");
    /* Spaces, quotes, backslashes: quoted with escapes. */
    assert_int_equal(mp_imap_write_login(&w, "a002", S("fred foo"), S("p\"w\\d")), MP_OK);
    expect_out("a002 LOGIN \"fred foo\" \"p\\\"w\\\\d\"\r\n");
    /* Empty strings are quoted. */
    assert_int_equal(mp_imap_write_login(&w, "a003", S(""), S("x")), MP_OK);
    expect_out("a003 LOGIN \"\" x\r\n");
    /* ']' is an ASTRING-CHAR, '%' is not. */
    assert_int_equal(mp_imap_write_login(&w, "a004", S("a]b"), S("a%b")), MP_OK);
    expect_out("a004 LOGIN a]b \"a%b\"\r\n");
    /* 8-bit: a literal in rev1, a quoted UTF-8 string under UTF8=ACCEPT /
     * rev2, a literal again when it is not UTF-8. */
    assert_int_equal(mp_imap_write_login(&w, "a6", S("J\xc3\xb6rg"), S("x")), MP_PAUSED);
    expect_out("a6 LOGIN {5}\r\n");
    assert_int_equal(mp_imap_writer_continue(&w), MP_OK);
    assert_int_equal(mp_imap_write_login(&w, "a6", S("J\xc3\xb6rg"), S("x")), MP_OK);
    expect_out("J\xc3\xb6rg x\r\n");
    w.flags = MP_IMAP_W_REV2 | MP_IMAP_W_LITERAL_PLUS;
    assert_int_equal(mp_imap_write_login(&w, "a7", S("J\xc3\xb6rg"), S("\xff")), MP_OK);
    expect_out("a7 LOGIN \"J\xc3\xb6rg\" {1+}\r\n\xff\r\n");
    w.flags = 0;
    /* NUL is never sent outside literal8. */
    assert_int_equal(mp_imap_write_login(&w, "a005", mp_slice_make("a\0b", 3), S("x")), MP_ERR_NUL);
    assert_int_equal(ob.len, 0);
    /* Bad tags. */
    assert_int_equal(mp_imap_write_login(&w, "a+1", S("u"), S("p")), MP_ERR_ARG);
    assert_int_equal(mp_imap_write_login(&w, "", S("u"), S("p")), MP_ERR_ARG);
    assert_int_equal(mp_imap_write_login(&w, "a b", S("u"), S("p")), MP_ERR_ARG);
    assert_int_equal(ob.len, 0);
}

static void test_sync_literal_pause(void **st)
{
    (void)st;
    fresh(0);
    /* CR/LF in a password forces a literal; rev1 without LITERAL+ must wait
     * for "+" after each "{n}". */
    assert_int_equal(mp_imap_write_login(&w, "a1", S("fr\r\ned"), S("pa\nss")), MP_PAUSED);
    expect_out("a1 LOGIN {6}\r\n");
    /* Nothing else may start until "+" came. */
    assert_int_equal(mp_imap_write_command(&w, "a2", MP_IMAP_CMD_NOOP, NULL, 0), MP_ERR_STATE);
    assert_int_equal(mp_imap_write_login(&w, "a1", S("fr\r\ned"), S("pa\nss")), MP_ERR_STATE);
    assert_int_equal(mp_imap_writer_continue(&w), MP_OK);
    assert_int_equal(mp_imap_write_login(&w, "a1", S("fr\r\ned"), S("pa\nss")), MP_PAUSED);
    expect_out("fr\r\ned {5}\r\n");
    assert_int_equal(mp_imap_writer_continue(&w), MP_OK);
    assert_int_equal(mp_imap_write_login(&w, "a1", S("fr\r\ned"), S("pa\nss")), MP_OK);
    expect_out("pa\nss\r\n");
    assert_int_equal(mp_imap_writer_continue(&w), MP_ERR_STATE);
    /* A different command while resuming is refused. */
    assert_int_equal(mp_imap_write_login(&w, "b1", S("x\r"), S("y")), MP_PAUSED);
    expect_out("b1 LOGIN {2}\r\n");
    assert_int_equal(mp_imap_writer_continue(&w), MP_OK);
    assert_int_equal(mp_imap_write_command(&w, "b2", MP_IMAP_CMD_NOOP, NULL, 0), MP_ERR_STATE);
    /* The server said NO before "+": cancel, and the writer is idle. */
    mp_imap_writer_cancel(&w);
    assert_int_equal(mp_imap_write_command(&w, "b2", MP_IMAP_CMD_NOOP, NULL, 0), MP_OK);
    expect_out("b2 NOOP\r\n");
}

static void test_nonsync_literals(void **st)
{
    char big[5000];
    (void)st;
    memset(big, 'x', sizeof(big));
    big[0] = '\n';
    fresh(MP_IMAP_W_LITERAL_PLUS);
    assert_int_equal(mp_imap_write_login(&w, "a1", S("fr\r\ned"), S("pass")), MP_OK);
    expect_out("a1 LOGIN {6+}\r\nfr\r\ned pass\r\n");
    /* LITERAL-: non-sync only up to 4096 bytes. */
    fresh(MP_IMAP_W_LITERAL_MINUS);
    assert_int_equal(mp_imap_write_login(&w, "a1", S("fr\r\ned"), S("pass")), MP_OK);
    expect_out("a1 LOGIN {6+}\r\nfr\r\ned pass\r\n");
    assert_int_equal(mp_imap_write_login(&w, "a2", mp_slice_make(big, 4097), S("p")), MP_PAUSED);
    expect_out("a2 LOGIN {4097}\r\n");
    assert_int_equal(mp_imap_writer_continue(&w), MP_OK);
    assert_int_equal(mp_imap_write_login(&w, "a2", mp_slice_make(big, 4097), S("p")), MP_OK);
    assert_int_equal(ob.len, 4097 + 4);
    assert_memory_equal(ob.buf + 4097, " p\r\n", 4);
    mp_outbuf_consume(&ob, ob.len);
    /* A long string without CR/LF becomes a literal too (quoted stays short). */
    memset(big, 'y', sizeof(big));
    big[1] = ' ';
    fresh(MP_IMAP_W_LITERAL_PLUS);
    assert_int_equal(mp_imap_write_login(&w, "a3", S("u"), mp_slice_make(big, 2000)), MP_OK);
    assert_memory_equal(ob.buf, "a3 LOGIN u {2000+}\r\n", 20);
    mp_outbuf_consume(&ob, ob.len);
}

static void test_no_space(void **st)
{
    char small[12];
    mp_outbuf sob;
    mp_imap_writer sw;
    (void)st;
    mp_outbuf_init(&sob, small, sizeof(small));
    mp_imap_writer_init(&sw, &sob, 0);
    assert_int_equal(mp_imap_write_login(&sw, "a001", S("SMITH"), S("SESAME")), MP_ERR_NO_SPACE);
    assert_int_equal(sob.len, 0);
    assert_int_equal(sob.need, strlen("a001 LOGIN SMITH SESAME\r\n"));
    /* A mailbox encoded in place reports its exact need as well. */
    assert_int_equal(mp_imap_write_mailbox_command(&sw, "A1", MP_IMAP_CMD_SELECT,
                                                   S("Entw\xc3\xbc" "rfe")),
                     MP_ERR_NO_SPACE);
    assert_int_equal(sob.need, strlen("A1 SELECT Entw&APw-rfe\r\n"));
    assert_int_equal(mp_imap_write_mailbox_command(&sw, "A1", MP_IMAP_CMD_CREATE, S("a b")),
                     MP_ERR_NO_SPACE);
    assert_int_equal(sob.need, strlen("A1 CREATE \"a b\"\r\n"));
    assert_int_equal(mp_imap_write_command(&sw, "A1", MP_IMAP_CMD_NOOP, NULL, 0), MP_OK);
    assert_int_equal(sob.len, 9);
}

static void test_mailbox_names(void **st)
{
    (void)st;
    fresh(0);
    /* RFC 3501 §5.1.3: "~peter/mail/台北/日本語" */
    assert_int_equal(mp_imap_write_mailbox_command(
                         &w, "A1", MP_IMAP_CMD_CREATE,
                         S("~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e")),
                     MP_OK);
    expect_out("A1 CREATE ~peter/mail/&U,BTFw-/&ZeVnLIqe-\r\n");
    /* '&' is "&-" in rev1; a space needs quotes; quotes are escaped. */
    assert_int_equal(mp_imap_write_mailbox_command(&w, "A2", MP_IMAP_CMD_DELETE, S("A&B \"C\"")),
                     MP_OK);
    expect_out("A2 DELETE \"A&-B \\\"C\\\"\"\r\n");
    assert_int_equal(mp_imap_write_mailbox_command(&w, "A3", MP_IMAP_CMD_SELECT,
                                                   S("Entw\xc3\xbc" "rfe sp")),
                     MP_OK);
    expect_out("A3 SELECT \"Entw&APw-rfe sp\"\r\n");
    assert_int_equal(mp_imap_write_mailbox_command(&w, "A4", MP_IMAP_CMD_SELECT, S("")), MP_OK);
    expect_out("A4 SELECT \"\"\r\n");
    /* Under UTF8=ACCEPT (and rev2) names go as UTF-8. */
    fresh(MP_IMAP_W_UTF8_ACCEPT);
    assert_int_equal(mp_imap_write_mailbox_command(&w, "A5", MP_IMAP_CMD_SELECT,
                                                   S("Entw\xc3\xbc" "rfe")),
                     MP_OK);
    expect_out("A5 SELECT \"Entw\xc3\xbc" "rfe\"\r\n");
    assert_int_equal(mp_imap_write_mailbox_command(&w, "A6", MP_IMAP_CMD_SELECT, S("A&B")), MP_OK);
    expect_out("A6 SELECT A&B\r\n");
    /* Refused: CR/LF, NUL, invalid UTF-8. */
    assert_int_equal(mp_imap_write_mailbox_command(&w, "A7", MP_IMAP_CMD_SELECT, S("a\r\nb")),
                     MP_ERR_BAD_VALUE);
    assert_int_equal(mp_imap_write_mailbox_command(&w, "A7", MP_IMAP_CMD_SELECT,
                                                   mp_slice_make("a\0", 2)),
                     MP_ERR_NUL);
    assert_int_equal(mp_imap_write_mailbox_command(&w, "A7", MP_IMAP_CMD_SELECT, S("a\xff")),
                     MP_ERR_UTF8);
    fresh(0);
    assert_int_equal(mp_imap_write_mailbox_command(&w, "A7", MP_IMAP_CMD_SELECT, S("a\xc3")),
                     MP_ERR_UTF8);
    assert_int_equal(ob.len, 0);
}

/* A name longer than MP_IMAP_MAX_ATOM would be refused by a reader as an
 * atom: it goes quoted (rev1 mUTF-7, UTF-8 mode and plain astrings). */
static void test_long_names_quoted(void **st)
{
    static char name[MP_IMAP_MAX_ATOM + 8], want[MP_IMAP_MAX_ATOM + 64];
    (void)st;
    memset(name, 'x', sizeof(name));
    snprintf(want, sizeof(want), "A1 CREATE \"%.*s\"\r\n", (int)sizeof(name), name);
    fresh(0);
    assert_int_equal(mp_imap_write_mailbox_command(&w, "A1", MP_IMAP_CMD_CREATE,
                                                   mp_slice_make(name, sizeof(name))),
                     MP_OK);
    expect_out(want);
    fresh(MP_IMAP_W_UTF8_ACCEPT);
    assert_int_equal(mp_imap_write_mailbox_command(&w, "A1", MP_IMAP_CMD_CREATE,
                                                   mp_slice_make(name, sizeof(name))),
                     MP_OK);
    expect_out(want);
    fresh(0);
    assert_int_equal(mp_imap_write_mailbox_command(&w, "A1", MP_IMAP_CMD_CREATE,
                                                   mp_slice_make(name, MP_IMAP_MAX_ATOM)),
                     MP_OK);
    assert_int_equal(ob.len, strlen("A1 CREATE \r\n") + MP_IMAP_MAX_ATOM); /* still an atom */
}

static void test_list_status_rename(void **st)
{
    (void)st;
    fresh(0);
    {
        mp_imap_arg a[] = { A_MBOX(""), A_LMBOX("") };
        assert_int_equal(CMD("A101", MP_IMAP_CMD_LIST, a), MP_OK);
        expect_out("A101 LIST \"\" \"\"\r\n");
    }
    {
        mp_imap_arg a[] = { A_MBOX("~/Mail/"), A_LMBOX("%") };
        assert_int_equal(CMD("A102", MP_IMAP_CMD_LIST, a), MP_OK);
        expect_out("A102 LIST ~/Mail/ %\r\n");
    }
    {
        /* RFC 5258 §6 */
        mp_imap_arg a[] = { A_OPEN, A_ATOM("SUBSCRIBED"), A_CLOSE, A_MBOX(""), A_LMBOX("*"),
                            A_ATOM("RETURN"), A_OPEN, A_ATOM("CHILDREN"), A_ATOM("STATUS"),
                            A_OPEN, A_ATOM("MESSAGES"), A_ATOM("UNSEEN"), A_CLOSE, A_CLOSE };
        assert_int_equal(CMD("A03", MP_IMAP_CMD_LIST, a), MP_OK);
        expect_out("A03 LIST (SUBSCRIBED) \"\" * RETURN (CHILDREN STATUS (MESSAGES UNSEEN))\r\n");
    }
    {
        mp_imap_arg a[] = { A_MBOX("blurdybloop"), A_OPEN, A_ATOM("UIDNEXT"),
                            A_ATOM("MESSAGES"), A_CLOSE };
        assert_int_equal(CMD("A042", MP_IMAP_CMD_STATUS, a), MP_OK);
        expect_out("A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n");
    }
    {
        mp_imap_arg a[] = { A_MBOX("blurdybloop"), A_MBOX("sarasoop") };
        assert_int_equal(CMD("A683", MP_IMAP_CMD_RENAME, a), MP_OK);
        expect_out("A683 RENAME blurdybloop sarasoop\r\n");
    }
    {
        /* Unbalanced lists and a bad atom are refused. */
        mp_imap_arg a[] = { A_MBOX("x"), A_OPEN, A_ATOM("UIDNEXT") };
        assert_int_equal(CMD("A1", MP_IMAP_CMD_STATUS, a), MP_ERR_ARG);
        mp_imap_arg b[] = { A_MBOX("x"), A_CLOSE };
        assert_int_equal(CMD("A1", MP_IMAP_CMD_STATUS, b), MP_ERR_ARG);
        mp_imap_arg c[] = { A_ATOM("A B") };
        assert_int_equal(CMD("A1", MP_IMAP_CMD_ENABLE, c), MP_ERR_BAD_VALUE);
        mp_imap_arg d[] = { A_ATOM("A\r\n") };
        assert_int_equal(CMD("A1", MP_IMAP_CMD_ENABLE, d), MP_ERR_BAD_VALUE);
        assert_int_equal(ob.len, 0);
    }
}

static void test_select_fetch_store_copy(void **st)
{
    static const mp_imap_seq_range s2_4[] = { { 2, 4 } };
    static const mp_imap_seq_range s1[] = { { 1, 1 } };
    static const mp_imap_seq_range many[] = { { 2, 4 }, { 7, 7 }, { 9, MP_IMAP_SEQ_STAR } };
    static const mp_imap_seq_range known[] = { { 41, 41 }, { 43, 211 }, { 214, 541 } };
    static const mp_imap_seq_range star[] = { { MP_IMAP_SEQ_STAR, MP_IMAP_SEQ_STAR } };
    static const char *const items1[] = { "FLAGS", "BODY[HEADER.FIELDS (DATE FROM)]" };
    static const char *const items2[] = { "BODY[]" };
    static const char *const items3[] = { "BODY.PEEK[1.2.MIME]<0.2048>", "BINARY.SIZE[1]",
                                          "MODSEQ" };
    const mp_slice deleted[] = { S("\\Deleted") };
    const mp_slice kw[] = { S("\\Seen"), S("$Forwarded") };
    (void)st;
    fresh(0);
    assert_int_equal(mp_imap_write_mailbox_command(&w, "A142", MP_IMAP_CMD_SELECT, S("INBOX")),
                     MP_OK);
    expect_out("A142 SELECT INBOX\r\n");
    assert_int_equal(mp_imap_write_select(&w, "a", 0, S("INBOX"), 1, 0, 0, NULL, 0), MP_OK);
    expect_out("a SELECT INBOX (CONDSTORE)\r\n");
    /* RFC 7162 §3.2.5.2 */
    assert_int_equal(mp_imap_write_select(&w, "A02", 0, S("INBOX"), 0, 67890007, 20050715194045000ull,
                                          known, 3),
                     MP_OK);
    expect_out("A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n");
    assert_int_equal(mp_imap_write_select(&w, "A932", 1, S("blurdybloop"), 0, 0, 0, NULL, 0),
                     MP_OK);
    expect_out("A932 EXAMINE blurdybloop\r\n");
    assert_int_equal(mp_imap_write_fetch(&w, "A654", 0, s2_4, 1, items1, 2, 0, 0), MP_OK);
    expect_out("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n");
    assert_int_equal(mp_imap_write_fetch(&w, "a", 0, many, 3, items2, 1, 0, 0), MP_OK);
    expect_out("a FETCH 2:4,7,9:* BODY[]\r\n");
    assert_int_equal(mp_imap_write_fetch(&w, "s100", 1, s1, 1, items3, 3, 12345, 1), MP_OK);
    expect_out("s100 UID FETCH 1 (BODY.PEEK[1.2.MIME]<0.2048> BINARY.SIZE[1] MODSEQ) "
               "(CHANGEDSINCE 12345 VANISHED)\r\n");
    assert_int_equal(mp_imap_write_fetch(&w, "a", 0, star, 1, items2, 1, 0, 0), MP_OK);
    expect_out("a FETCH * BODY[]\r\n");
    assert_int_equal(mp_imap_write_fetch(&w, "a", 0, NULL, 0, items2, 1, 0, 0), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_imap_write_fetch(&w, "a", 0, s1, 1, items2, 1, 0, 1), MP_ERR_ARG);
    /* RFC 9051 §6.4.6 */
    assert_int_equal(mp_imap_write_store(&w, "A003", 0, s2_4, 1, '+', 0, deleted, 1, UINT64_MAX),
                     MP_OK);
    expect_out("A003 STORE 2:4 +FLAGS (\\Deleted)\r\n");
    assert_int_equal(mp_imap_write_store(&w, "d105", 1, many, 3, '-', 1, kw, 2, 320162338), MP_OK);
    expect_out("d105 UID STORE 2:4,7,9:* (UNCHANGEDSINCE 320162338) -FLAGS.SILENT "
               "(\\Seen $Forwarded)\r\n");
    assert_int_equal(mp_imap_write_store(&w, "a", 0, s1, 1, 0, 0, NULL, 0, UINT64_MAX), MP_OK);
    expect_out("a STORE 1 FLAGS ()\r\n");
    {
        const mp_slice badflag[] = { S("\\*") };
        assert_int_equal(mp_imap_write_store(&w, "a", 0, s1, 1, '+', 0, badflag, 1, UINT64_MAX),
                         MP_ERR_BAD_VALUE);
    }
    assert_int_equal(mp_imap_write_copy(&w, "A003", 0, 0, s2_4, 1, S("MEETING")), MP_OK);
    expect_out("A003 COPY 2:4 MEETING\r\n");
    assert_int_equal(mp_imap_write_copy(&w, "a", 1, 1, many, 3, S("Trash")), MP_OK);
    expect_out("a UID MOVE 2:4,7,9:* Trash\r\n");
}

static void test_search(void **st)
{
    static const mp_imap_datetime d = { 1994, 2, 1, 0, 0, 0, 0 };
    (void)st;
    fresh(0);
    {
        /* RFC 9051 §6.4.4 */
        mp_imap_arg a[] = { A_ATOM("FLAGGED"), A_ATOM("SINCE"),
                            { MP_IMAP_ARG_DATE, { NULL, 0 }, 0, NULL, 0, &d },
                            A_ATOM("NOT"), A_ATOM("FROM"), A_ASTR("Smith") };
        assert_int_equal(CMD("A282", MP_IMAP_CMD_SEARCH, a), MP_OK);
        expect_out("A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM Smith\r\n");
    }
    {
        mp_imap_arg a[] = { A_ATOM("RETURN"), A_OPEN, A_ATOM("MIN"), A_ATOM("COUNT"), A_CLOSE,
                            A_ATOM("OR"), A_OPEN, A_ATOM("SEEN"), A_ATOM("FLAGGED"), A_CLOSE,
                            A_ATOM("TEXT"), A_ASTR("string not in mailbox") };
        assert_int_equal(CMD("A283", MP_IMAP_CMD_UID_SEARCH, a), MP_OK);
        expect_out("A283 UID SEARCH RETURN (MIN COUNT) OR (SEEN FLAGGED) TEXT "
                   "\"string not in mailbox\"\r\n");
    }
    {
        /* 8-bit text in rev1 goes as a literal (CHARSET UTF-8). */
        mp_imap_arg a[] = { A_ATOM("CHARSET"), A_ASTR("UTF-8"), A_ATOM("TEXT"),
                            A_ASTR("\xd0\xa5") };
        assert_int_equal(CMD("A284", MP_IMAP_CMD_SEARCH, a), MP_PAUSED);
        expect_out("A284 SEARCH CHARSET UTF-8 TEXT {2}\r\n");
        assert_int_equal(mp_imap_writer_continue(&w), MP_OK);
        assert_int_equal(CMD("A284", MP_IMAP_CMD_SEARCH, a), MP_OK);
        expect_out("\xd0\xa5\r\n");
        /* Under UTF8=ACCEPT it is quoted. */
        w.flags = MP_IMAP_W_UTF8_ACCEPT;
        assert_int_equal(CMD("A285", MP_IMAP_CMD_SEARCH, a), MP_OK);
        expect_out("A285 SEARCH CHARSET UTF-8 TEXT \"\xd0\xa5\"\r\n");
        w.flags = 0;
    }
}

/* A search program the server could not parse is refused (MP_ERR_ARG),
 * nothing written: OR takes exactly two keys, NOT one, a group at least
 * one, every key its arguments. */
static void test_search_arity(void **st)
{
    static const mp_imap_seq_range r15 = { 1, 5 };
    (void)st;
    fresh(0);
#define BAD(...)                                                                    \
    do {                                                                            \
        mp_imap_arg a_[] = { __VA_ARGS__ };                                         \
        assert_int_equal(CMD("A1", MP_IMAP_CMD_SEARCH, a_), MP_ERR_ARG);            \
        assert_int_equal(ob.len, 0);                                                \
    } while (0)
#define GOOD(want, ...)                                                             \
    do {                                                                            \
        mp_imap_arg a_[] = { __VA_ARGS__ };                                         \
        assert_int_equal(CMD("A1", MP_IMAP_CMD_SEARCH, a_), MP_OK);                 \
        expect_out(want);                                                           \
    } while (0)
    BAD(A_ATOM("OR"), A_ATOM("SEEN"));
    BAD(A_ATOM("NOT"));
    BAD(A_ATOM("SEEN"), A_ATOM("NOT"));
    BAD(A_ATOM("OR"), A_OPEN, A_ATOM("SEEN"), A_CLOSE);
    BAD(A_OPEN, A_ATOM("OR"), A_ATOM("SEEN"), A_CLOSE, A_ATOM("DELETED"));
    BAD(A_OPEN, A_CLOSE);
    BAD(A_ATOM("NOT"), A_OPEN, A_CLOSE);
    BAD(A_ATOM("FROM"));
    BAD(A_ATOM("HEADER"), A_ASTR("X-Foo"));
    BAD(A_ATOM("SMALLER"), A_ASTR("big"));
    BAD(A_ATOM("UID"), A_ATOM("SEEN"));
    BAD(A_ASTR("Smith"));
    BAD(A_ATOM("CHARSET"), A_ASTR("UTF-8"));
    BAD(A_ATOM("RETURN"), A_OPEN, A_ATOM("MIN"), A_CLOSE);
    {
        mp_imap_arg none[1];
        memset(none, 0, sizeof(none));
        assert_int_equal(mp_imap_write_command(&w, "A1", MP_IMAP_CMD_SEARCH, none, 0),
                         MP_ERR_ARG);
    }
    GOOD("A1 SEARCH OR SEEN FLAGGED DELETED\r\n", A_ATOM("OR"), A_ATOM("SEEN"),
         A_ATOM("FLAGGED"), A_ATOM("DELETED"));
    GOOD("A1 SEARCH NOT NOT OR (SEEN) NOT 1:5\r\n", A_ATOM("NOT"), A_ATOM("NOT"), A_ATOM("OR"),
         A_OPEN, A_ATOM("SEEN"), A_CLOSE, A_ATOM("NOT"),
         { MP_IMAP_ARG_SEQSET, { NULL, 0 }, 0, &r15, 1, NULL });
    GOOD("A1 SEARCH OR HEADER X-Foo \"\" UID $\r\n", A_ATOM("OR"), A_ATOM("HEADER"),
         A_ASTR("X-Foo"), A_ASTR(""), A_ATOM("UID"), A_KIND(MP_IMAP_ARG_SEQ_LAST));
    GOOD("A1 SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338 KEYWORD $Junk\r\n",
         A_ATOM("MODSEQ"), A_STR("/flags/\\draft"), A_ATOM("all"), A_NUM(620162338),
         A_ATOM("KEYWORD"), A_FLAG("$Junk"));
    /* An extension key the table does not know takes the values after it. */
    GOOD("A1 SEARCH X-GM-RAW has:attachment NOT SEEN\r\n", A_ATOM("X-GM-RAW"),
         A_ASTR("has:attachment"), A_ATOM("NOT"), A_ATOM("SEEN"));
#undef BAD
#undef GOOD
    {
        /* SORT (criteria) charset keys; THREAD algorithm charset keys. */
        mp_imap_arg s1[] = { A_OPEN, A_ATOM("DATE"), A_CLOSE, A_ASTR("UTF-8"), A_ATOM("OR") };
        mp_imap_arg s2[] = { A_ATOM("DATE"), A_ASTR("UTF-8"), A_ATOM("ALL") };
        mp_imap_arg s3[] = { A_OPEN, A_ATOM("DATE"), A_CLOSE, A_ASTR("UTF-8"), A_ATOM("ALL") };
        mp_imap_arg t1[] = { A_ATOM("REFERENCES"), A_ASTR("UTF-8") };
        mp_imap_arg t2[] = { A_ATOM("REFERENCES"), A_ASTR("UTF-8"), A_ATOM("NOT"), A_ATOM("SEEN") };
        assert_int_equal(CMD("S1", MP_IMAP_CMD_SORT, s1), MP_ERR_ARG);
        assert_int_equal(CMD("S2", MP_IMAP_CMD_UID_SORT, s2), MP_ERR_ARG);
        assert_int_equal(CMD("T1", MP_IMAP_CMD_THREAD, t1), MP_ERR_ARG);
        assert_int_equal(ob.len, 0);
        assert_int_equal(CMD("S3", MP_IMAP_CMD_SORT, s3), MP_OK);
        expect_out("S3 SORT (DATE) UTF-8 ALL\r\n");
        assert_int_equal(CMD("T2", MP_IMAP_CMD_UID_THREAD, t2), MP_OK);
        expect_out("T2 UID THREAD REFERENCES UTF-8 NOT SEEN\r\n");
    }
}

static void test_datetime_and_append(void **st)
{
    static const mp_imap_datetime dt = { 1994, 2, 7, 21, 52, 25, -480 };
    static const mp_imap_datetime baddt = { 1994, 13, 7, 21, 52, 25, 0 };
    const mp_slice seen[] = { S("\\Seen") };
    const char msg[] = "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n\r\nHello\r\n";
    size_t used;
    (void)st;
    fresh(0);
    /* RFC 9051 §6.3.12 (sync literal: wait for "+") */
    assert_int_equal(mp_imap_write_append_begin(&w, "A003", S("saved-messages"), seen, 1, &dt,
                                                sizeof(msg) - 1, 0),
                     MP_PAUSED);
    expect_out("A003 APPEND saved-messages (\\Seen) \"07-Feb-1994 21:52:25 -0800\" {47}\r\n");
    assert_int_equal(mp_imap_write_append_data(&w, msg, 5, &used), MP_ERR_STATE);
    assert_int_equal(mp_imap_writer_continue(&w), MP_OK);
    assert_int_equal(mp_imap_write_append_end(&w), MP_ERR_STATE);
    assert_int_equal(mp_imap_write_append_data(&w, msg, 5, &used), MP_OK);
    assert_int_equal(used, 5);
    assert_int_equal(mp_imap_write_append_data(&w, msg + 5, sizeof(msg) - 6, &used), MP_OK);
    assert_int_equal(mp_imap_write_append_data(&w, "x", 1, &used), MP_ERR_ARG);
    assert_int_equal(mp_imap_write_append_end(&w), MP_OK);
    expect_out("Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n\r\nHello\r\n\r\n");
    /* MULTIAPPEND with LITERAL+: no waits. */
    fresh(MP_IMAP_W_LITERAL_PLUS);
    assert_int_equal(mp_imap_write_append_begin(&w, "A1", S("INBOX"), NULL, 0, NULL, 3, 0), MP_OK);
    assert_int_equal(mp_imap_write_append_next(&w, NULL, 0, NULL, 1, 0), MP_ERR_STATE);
    assert_int_equal(mp_imap_write_append_data(&w, "abc", 3, &used), MP_OK);
    assert_int_equal(mp_imap_write_append_next(&w, seen, 1, NULL, 1, 0), MP_OK);
    assert_int_equal(mp_imap_write_append_data(&w, "d", 1, &used), MP_OK);
    assert_int_equal(mp_imap_write_append_end(&w), MP_OK);
    expect_out("A1 APPEND INBOX {3+}\r\nabc (\\Seen) {1+}\r\nd\r\n");
    /* NUL needs literal8, which needs BINARY. */
    assert_int_equal(mp_imap_write_append_begin(&w, "A2", S("INBOX"), NULL, 0, NULL, 3, 1),
                     MP_ERR_UNSUPPORTED);
    assert_int_equal(mp_imap_write_append_begin(&w, "A2", S("INBOX"), NULL, 0, NULL, 3, 0), MP_OK);
    assert_int_equal(mp_imap_write_append_data(&w, "a\0b", 3, &used), MP_ERR_NUL);
    assert_int_equal(used, 1);
    mp_imap_writer_cancel(&w);
    mp_outbuf_consume(&ob, ob.len);
    w.flags |= MP_IMAP_W_BINARY;
    assert_int_equal(mp_imap_write_append_begin(&w, "A3", S("INBOX"), NULL, 0, NULL, 3, 1), MP_OK);
    assert_int_equal(mp_imap_write_append_data(&w, "a\0b", 3, &used), MP_OK);
    assert_int_equal(mp_imap_write_append_end(&w), MP_OK);
    assert_int_equal(ob.len, 28);
    assert_memory_equal(ob.buf, "A3 APPEND INBOX ~{3+}\r\na\0b\r\n", 28);
    mp_outbuf_consume(&ob, ob.len);
    /* Sizes: rev1 literals fit in 32 bits. */
    assert_int_equal(mp_imap_write_append_begin(&w, "A4", S("INBOX"), NULL, 0, NULL,
                                                4294967296ull, 0),
                     MP_ERR_BAD_VALUE);
    assert_int_equal(mp_imap_write_append_begin(&w, "A4", S("INBOX"), NULL, 0, &baddt, 1, 0),
                     MP_ERR_BAD_VALUE);
    assert_int_equal(ob.len, 0);
}

static void test_catenate(void **st)
{
    const mp_slice flags[] = { S("\\Seen"), S("\\Draft"), S("$MDNSent") };
    const char t1[] = "\r\n--------------030308070208000400050907\r\n";
    const char t3[] = "\r\n--------------030308070208000400050907--\r\n";
    size_t used;
    (void)st;
    /* RFC 4469 Appendix A, example 1: sync TEXT literals wait for "+";
     * URLs go as atoms (every char of these is an ASTRING-CHAR). */
    fresh(0);
    assert_int_equal(mp_imap_write_cat_url(&w, S("/a")), MP_ERR_STATE);
    assert_int_equal(mp_imap_write_append_catenate_begin(&w, "A003", S("Drafts"), flags, 3, NULL),
                     MP_OK);
    assert_int_equal(mp_imap_write_catenate_end(&w), MP_ERR_STATE); /* no part yet */
    assert_int_equal(mp_imap_write_append_end(&w), MP_ERR_STATE);
    assert_int_equal(
        mp_imap_write_cat_url(&w, S("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER")),
        MP_OK);
    assert_int_equal(mp_imap_write_cat_text_begin(&w, sizeof(t1) - 1, MP_IMAP_APPEND_LITERAL),
                     MP_PAUSED);
    expect_out("A003 APPEND Drafts (\\Seen \\Draft $MDNSent) CATENATE "
               "(URL /Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER TEXT {42}\r\n");
    assert_int_equal(mp_imap_write_append_data(&w, t1, 5, &used), MP_ERR_STATE);
    assert_int_equal(mp_imap_write_cat_url(&w, S("/a")), MP_ERR_STATE);
    assert_int_equal(mp_imap_writer_continue(&w), MP_OK);
    assert_int_equal(mp_imap_write_append_data(&w, t1, sizeof(t1) - 1, &used), MP_OK);
    assert_int_equal(mp_imap_write_cat_url(&w, S("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME")),
                     MP_OK);
    assert_int_equal(mp_imap_write_cat_url(&w, S("/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1")),
                     MP_OK);
    assert_int_equal(mp_imap_write_cat_text_begin(&w, sizeof(t1) - 1, MP_IMAP_APPEND_LITERAL),
                     MP_PAUSED);
    expect_out("\r\n--------------030308070208000400050907\r\n"
               " URL /Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME"
               " URL /Drafts;UIDVALIDITY=385759045/;UID=20/;section=1 TEXT {42}\r\n");
    assert_int_equal(mp_imap_writer_continue(&w), MP_OK);
    assert_int_equal(mp_imap_write_append_data(&w, t1, sizeof(t1) - 1, &used), MP_OK);
    assert_int_equal(mp_imap_write_cat_url(&w, S("/Drafts;UIDVALIDITY=385759045/;UID=30")), MP_OK);
    assert_int_equal(mp_imap_write_cat_text_begin(&w, sizeof(t3) - 1, MP_IMAP_APPEND_LITERAL),
                     MP_PAUSED);
    assert_int_equal(mp_imap_writer_continue(&w), MP_OK);
    assert_int_equal(mp_imap_write_catenate_end(&w), MP_ERR_STATE); /* bytes owed */
    assert_int_equal(mp_imap_write_append_data(&w, t3, sizeof(t3) - 1, &used), MP_OK);
    assert_int_equal(mp_imap_write_append_end(&w), MP_ERR_STATE);  /* list open */
    assert_int_equal(mp_imap_write_catenate_end(&w), MP_OK);
    assert_int_equal(mp_imap_write_catenate_end(&w), MP_ERR_STATE);
    assert_int_equal(mp_imap_write_append_end(&w), MP_OK);
    expect_out("\r\n--------------030308070208000400050907\r\n"
               " URL /Drafts;UIDVALIDITY=385759045/;UID=30 TEXT {44}\r\n"
               "\r\n--------------030308070208000400050907--\r\n)\r\n");

    /* MULTIAPPEND mixing plain, CATENATE and UTF8 (LITERAL+: no waits);
     * a URL with a space or a quote is quoted. */
    fresh(MP_IMAP_W_LITERAL_PLUS | MP_IMAP_W_UTF8_ACCEPT);
    assert_int_equal(mp_imap_write_append_begin(&w, "B1", S("INBOX"), NULL, 0, NULL, 2,
                                                MP_IMAP_APPEND_UTF8),
                     MP_OK);
    assert_int_equal(mp_imap_write_append_data(&w, "\xc3\xa9", 2, &used), MP_OK);
    assert_int_equal(mp_imap_write_append_catenate_next(&w, flags, 1, NULL), MP_OK);
    assert_int_equal(mp_imap_write_cat_url(&w, S("/INBOX/;UID=1 \"x\"")), MP_OK);
    assert_int_equal(mp_imap_write_cat_text_begin(&w, 3, MP_IMAP_APPEND_UTF8), MP_OK);
    assert_int_equal(mp_imap_write_append_data(&w, "a\0b", 3, &used), MP_OK);
    assert_int_equal(mp_imap_write_cat_text_begin(&w, 1, MP_IMAP_APPEND_LITERAL), MP_OK);
    assert_int_equal(mp_imap_write_append_data(&w, "c", 1, &used), MP_OK);
    assert_int_equal(mp_imap_write_append_next(&w, NULL, 0, NULL, 1, 0), MP_ERR_STATE);
    assert_int_equal(mp_imap_write_catenate_end(&w), MP_OK);
    assert_int_equal(mp_imap_write_append_next(&w, NULL, 0, NULL, 1, 0), MP_OK);
    assert_int_equal(mp_imap_write_append_data(&w, "d", 1, &used), MP_OK);
    assert_int_equal(mp_imap_write_append_catenate_next(&w, NULL, 0, NULL), MP_OK);
    assert_int_equal(mp_imap_write_cat_text_begin(&w, 1, MP_IMAP_APPEND_UTF8), MP_OK);
    assert_int_equal(mp_imap_write_append_data(&w, "e", 1, &used), MP_OK);
    assert_int_equal(mp_imap_write_catenate_end(&w), MP_OK);
    assert_int_equal(mp_imap_write_append_end(&w), MP_OK);
    {
        static const char want[] = "B1 APPEND INBOX UTF8 (~{2+}\r\n\xc3\xa9) (\\Seen) CATENATE "
                                   "(URL \"/INBOX/;UID=1 \\\"x\\\"\" UTF8 (~{3+}\r\na\0b) "
                                   "TEXT {1+}\r\nc) {1+}\r\nd CATENATE (UTF8 (~{1+}\r\ne))\r\n";
        assert_int_equal(ob.len, sizeof(want) - 1);
        assert_memory_equal(ob.buf, want, sizeof(want) - 1);
        mp_outbuf_consume(&ob, ob.len);
    }

    /* What the writer refuses; nothing is written. */
    fresh(MP_IMAP_W_BINARY);
    assert_int_equal(mp_imap_write_append_begin(&w, "C1", S("x"), NULL, 0, NULL, 1,
                                                MP_IMAP_APPEND_UTF8),
                     MP_ERR_UNSUPPORTED); /* UTF8 needs UTF8=ACCEPT */
    assert_int_equal(mp_imap_write_append_begin(&w, "C1", S("x"), NULL, 0, NULL, 1, 3),
                     MP_ERR_ARG);
    assert_int_equal(mp_imap_write_append_catenate_begin(&w, "C1", S("x"), NULL, 0, NULL),
                     MP_OK);
    mp_outbuf_consume(&ob, ob.len);
    assert_int_equal(mp_imap_write_cat_text_begin(&w, 1, MP_IMAP_APPEND_LITERAL8), MP_ERR_ARG);
    assert_int_equal(mp_imap_write_cat_text_begin(&w, 1, MP_IMAP_APPEND_UTF8),
                     MP_ERR_UNSUPPORTED);
    assert_int_equal(mp_imap_write_cat_text_begin(&w, 4294967296ull, MP_IMAP_APPEND_LITERAL),
                     MP_ERR_BAD_VALUE);
    assert_int_equal(mp_imap_write_cat_url(&w, S("")), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_imap_write_cat_url(&w, S("/a\r\nb")), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_imap_write_cat_url(&w, S("/a\tb")), MP_ERR_BAD_VALUE);
    assert_int_equal(mp_imap_write_cat_url(&w, mp_slice_make("/a\0b", 4)), MP_ERR_NUL);
    assert_int_equal(mp_imap_write_cat_url(&w, S("/\xc3\xa9")), MP_ERR_8BIT);
    assert_int_equal(mp_imap_write_cat_url(&w, mp_slice_make(NULL, 3)), MP_ERR_ARG);
    {
        static char big[MP_IMAP_MAX_QUOTED + 1];
        memset(big, 'u', sizeof(big));
        assert_int_equal(mp_imap_write_cat_url(&w, mp_slice_make(big, sizeof(big))),
                         MP_ERR_TOKEN_TOO_LONG);
        /* longer than an atom may be: quoted */
        assert_int_equal(mp_imap_write_cat_url(&w, mp_slice_make(big, MP_IMAP_MAX_ATOM + 1)),
                         MP_OK);
        assert_int_equal(ob.len, 4 + MP_IMAP_MAX_ATOM + 3);
        assert_int_equal(ob.buf[4], '"');
        mp_outbuf_consume(&ob, ob.len);
    }
    assert_int_equal(ob.len, 0);
    /* TEXT is a literal: no NUL in its bytes. */
    assert_int_equal(mp_imap_write_cat_text_begin(&w, 3, MP_IMAP_APPEND_LITERAL), MP_PAUSED);
    assert_int_equal(mp_imap_writer_continue(&w), MP_OK);
    assert_int_equal(mp_imap_write_append_data(&w, "a\0b", 3, &used), MP_ERR_NUL);
    assert_int_equal(used, 1);
    mp_imap_writer_cancel(&w);
    assert_int_equal(mp_imap_write_cat_url(&w, S("/a")), MP_ERR_STATE);

    /* Whole element or nothing: a part that does not fit writes nothing
     * and can be retried. */
    {
        static char small[24];
        mp_outbuf_init(&ob, small, sizeof(small));
        mp_imap_writer_init(&w, &ob, MP_IMAP_W_LITERAL_PLUS);
        assert_int_equal(mp_imap_write_append_catenate_begin(&w, "D1", S("x"), NULL, 0, NULL),
                         MP_OK);
        assert_int_equal(mp_imap_write_cat_url(&w, S("/INBOX;UIDVALIDITY=1/;UID=2")),
                         MP_ERR_NO_SPACE);
        assert_int_equal(ob.len, 22);
        mp_outbuf_consume(&ob, ob.len);
        assert_int_equal(mp_imap_write_cat_url(&w, S("/INBOX;UIDVALIDITY=1/;UID=2")),
                         MP_ERR_NO_SPACE); /* needs more than the buffer */
        assert_int_equal(mp_imap_write_cat_url(&w, S("/I;UID=2")), MP_OK);
        assert_int_equal(mp_imap_write_catenate_end(&w), MP_OK);
        assert_int_equal(mp_imap_write_append_end(&w), MP_OK);
        assert_int_equal(ob.len, 15);
        assert_memory_equal(ob.buf, "URL /I;UID=2)\r\n", 15);
    }
}

static void test_auth_idle_id(void **st)
{
    (void)st;
    fresh(0);
    /* RFC 4959 §3: SASL-IR */
    assert_int_equal(mp_imap_write_authenticate(&w, "a01", "PLAIN", "\0user\0pass", 10), MP_OK);
    expect_out("a01 AUTHENTICATE PLAIN AHVzZXIAcGFzcw==\r\n");
    assert_int_equal(mp_imap_write_authenticate(&w, "a02", "EXTERNAL", "", 0), MP_OK);
    expect_out("a02 AUTHENTICATE EXTERNAL =\r\n");
    assert_int_equal(mp_imap_write_authenticate(&w, "A001", "GSSAPI", NULL, 0), MP_OK);
    expect_out("A001 AUTHENTICATE GSSAPI\r\n");
    assert_int_equal(mp_imap_write_auth_response(&w, "\0u\0p", 4), MP_OK);
    expect_out("AHUAcA==\r\n");
    assert_int_equal(mp_imap_write_auth_response(&w, NULL, 0), MP_OK);
    expect_out("\r\n");
    assert_int_equal(mp_imap_write_auth_cancel(&w), MP_OK);
    expect_out("*\r\n");
    /* RFC 2177 */
    assert_int_equal(mp_imap_write_done(&w), MP_ERR_STATE);
    assert_int_equal(mp_imap_write_command(&w, "A002", MP_IMAP_CMD_IDLE, NULL, 0), MP_OK);
    assert_int_equal(mp_imap_write_command(&w, "A003", MP_IMAP_CMD_NOOP, NULL, 0), MP_ERR_STATE);
    assert_int_equal(mp_imap_write_done(&w), MP_OK);
    expect_out("A002 IDLE\r\nDONE\r\n");
    {
        /* RFC 2971 §3.1 */
        mp_imap_arg a[] = { A_OPEN, A_STR("name"), A_STR("sodr"), A_STR("version"),
                            A_STR("19.34"), A_CLOSE };
        assert_int_equal(CMD("a023", MP_IMAP_CMD_ID, a), MP_OK);
        expect_out("a023 ID (\"name\" \"sodr\" \"version\" \"19.34\")\r\n");
        mp_imap_arg b[] = { A_NIL };
        assert_int_equal(CMD("a024", MP_IMAP_CMD_ID, b), MP_OK);
        expect_out("a024 ID NIL\r\n");
    }
    {
        /* RFC 9208 / RFC 5464 */
        mp_imap_arg a[] = { A_ASTR(""), A_OPEN, A_ATOM("STORAGE"), A_NUM(512), A_CLOSE };
        assert_int_equal(CMD("A003", MP_IMAP_CMD_SETQUOTA, a), MP_OK);
        expect_out("A003 SETQUOTA \"\" (STORAGE 512)\r\n");
        mp_imap_arg b[] = { A_MBOX("INBOX"), A_OPEN, A_ASTR("/private/comment"),
                            { MP_IMAP_ARG_NSTRING, { NULL, 0 }, 0, NULL, 0, NULL }, A_CLOSE };
        assert_int_equal(CMD("a", MP_IMAP_CMD_SETMETADATA, b), MP_OK);
        expect_out("a SETMETADATA INBOX (/private/comment NIL)\r\n");
        mp_imap_arg c[] = { A_MBOX("INBOX"), A_OPEN, A_ASTR("/shared/x"),
                            { MP_IMAP_ARG_BINARY_STRING, { "a\0b", 3 }, 0, NULL, 0, NULL },
                            A_CLOSE };
        assert_int_equal(CMD("a", MP_IMAP_CMD_SETMETADATA, c), MP_ERR_NUL);
        w.flags = MP_IMAP_W_BINARY | MP_IMAP_W_LITERAL_PLUS;
        assert_int_equal(CMD("a", MP_IMAP_CMD_SETMETADATA, c), MP_OK);
        assert_int_equal(ob.len, strlen("a SETMETADATA INBOX (/shared/x ~{3+}\r\n") + 3 + 3);
        mp_outbuf_consume(&ob, ob.len);
    }
}

static void test_rev2_refusals(void **st)
{
    /* RFC 9051 Appendix E: the writer refuses in rev2 what a rev2 server
     * refuses (MP_ERR_IMAP_CMD_REV1_ONLY) and writes it in rev1. */
    static const mp_imap_seq_range one = { 1, 1 };
    mp_imap_arg srch[] = { A_ATOM("NOT"), A_OPEN, A_ATOM("OR"), A_ATOM("NEW"), A_ATOM("SEEN"),
                           A_CLOSE };
    mp_imap_arg subj[] = { A_ATOM("SUBJECT"), A_ATOM("RECENT") };
    mp_imap_arg stat[] = { A_MBOX("INBOX"), A_OPEN, A_ATOM("RECENT"), A_CLOSE };
    mp_imap_arg list[] = { A_MBOX(""), A_LMBOX("%"), A_ATOM("RETURN"), A_OPEN,
                           A_ATOM("STATUS"), A_OPEN, A_ATOM("recent"), A_CLOSE, A_CLOSE };
    mp_imap_arg sort[] = { A_OPEN, A_ATOM("DATE"), A_CLOSE, A_ASTR("UTF-8"), A_ATOM("OLD") };
    (void)st;
    (void)one;
    fresh(0);
    assert_int_equal(CMD("a", MP_IMAP_CMD_SEARCH, srch), MP_OK);
    expect_out("a SEARCH NOT (OR NEW SEEN)\r\n");
    assert_int_equal(CMD("b", MP_IMAP_CMD_STATUS, stat), MP_OK);
    expect_out("b STATUS INBOX (RECENT)\r\n");
    assert_int_equal(mp_imap_write_command(&w, "c", MP_IMAP_CMD_CHECK, NULL, 0), MP_OK);
    expect_out("c CHECK\r\n");
    assert_int_equal(CMD("d", MP_IMAP_CMD_LIST, list), MP_OK);
    expect_out("d LIST \"\" % RETURN (STATUS (recent))\r\n");
    assert_int_equal(CMD("e", MP_IMAP_CMD_SORT, sort), MP_OK);
    expect_out("e SORT (DATE) UTF-8 OLD\r\n");
    fresh(MP_IMAP_W_REV2);
    assert_int_equal(CMD("a", MP_IMAP_CMD_SEARCH, srch), MP_ERR_IMAP_CMD_REV1_ONLY);
    assert_int_equal(CMD("a", MP_IMAP_CMD_UID_SEARCH, srch), MP_ERR_IMAP_CMD_REV1_ONLY);
    assert_int_equal(CMD("b", MP_IMAP_CMD_STATUS, stat), MP_ERR_IMAP_CMD_REV1_ONLY);
    assert_int_equal(mp_imap_write_command(&w, "c", MP_IMAP_CMD_CHECK, NULL, 0),
                     MP_ERR_IMAP_CMD_REV1_ONLY);
    assert_int_equal(CMD("d", MP_IMAP_CMD_LIST, list), MP_ERR_IMAP_CMD_REV1_ONLY);
    assert_int_equal(CMD("e", MP_IMAP_CMD_SORT, sort), MP_ERR_IMAP_CMD_REV1_ONLY);
    assert_int_equal(ob.len, 0);
    /* a value spelled like a key is not a key */
    assert_int_equal(CMD("f", MP_IMAP_CMD_SEARCH, subj), MP_OK);
    expect_out("f SEARCH SUBJECT RECENT\r\n");
}

static void test_closed_lists(void **st)
{
    /* What the parser refuses (RFC 5256, RFC 7162, RFC 5464, RFC 5258) the
     * writer refuses with MP_ERR_ARG; extensions pass. */
    static const mp_imap_seq_range one = { 1, 1 };
#define A_SEQ1 { MP_IMAP_ARG_SEQSET, { NULL, 0 }, 0, &one, 1, NULL }
    const struct {
        mp_imap_cmd_id cmd;
        mp_imap_arg a[12];
        size_t n;
        mp_status want;
        const char *out;
    } v[] = {
        { MP_IMAP_CMD_SORT, { A_OPEN, A_ATOM("REVERSE"), A_ATOM("DISPLAYFROM"), A_ATOM("cc"),
                              A_CLOSE, A_ASTR("UTF-8"), A_ATOM("ALL") }, 7, MP_OK,
          "t SORT (REVERSE DISPLAYFROM cc) UTF-8 ALL\r\n" },
        { MP_IMAP_CMD_SORT, { A_OPEN, A_ATOM("DATE"), A_ATOM("REVERSE"), A_CLOSE, A_ASTR("UTF-8"),
                              A_ATOM("ALL") }, 6, MP_ERR_ARG, NULL },
        { MP_IMAP_CMD_UID_SORT, { A_OPEN, A_ATOM("X-SCORE"), A_CLOSE, A_ASTR("UTF-8"),
                                  A_ATOM("ALL") }, 5, MP_ERR_ARG, NULL },
        { MP_IMAP_CMD_SORT, { A_OPEN, A_CLOSE, A_ASTR("UTF-8"), A_ATOM("ALL") }, 4, MP_ERR_ARG,
          NULL },
        { MP_IMAP_CMD_UID_FETCH, { A_SEQ1, A_ATOM("FLAGS"), A_OPEN, A_ATOM("CHANGEDSINCE"),
                                   A_NUM(0), A_ATOM("VANISHED"), A_CLOSE }, 7, MP_OK,
          "t UID FETCH 1 FLAGS (CHANGEDSINCE 0 VANISHED)\r\n" },
        { MP_IMAP_CMD_FETCH, { A_SEQ1, A_ATOM("FLAGS"), A_OPEN, A_ATOM("CHANGEDSINCE"), A_NUM(1),
                               A_ATOM("VANISHED"), A_CLOSE }, 7, MP_ERR_ARG, NULL },
        { MP_IMAP_CMD_UID_FETCH, { A_SEQ1, A_ATOM("FLAGS"), A_OPEN, A_ATOM("VANISHED"), A_CLOSE },
          5, MP_ERR_ARG, NULL },
        { MP_IMAP_CMD_FETCH, { A_SEQ1, A_ATOM("FLAGS"), A_OPEN, A_ATOM("CHANGEDSINCE"), A_CLOSE },
          5, MP_ERR_ARG, NULL },
        { MP_IMAP_CMD_FETCH, { A_SEQ1, A_OPEN, A_ATOM("FLAGS"), A_CLOSE, A_OPEN, A_ATOM("X-FOO"),
                               A_ATOM("1:5"), A_ATOM("X-BAR"), A_CLOSE }, 9, MP_OK,
          "t FETCH 1 (FLAGS) (X-FOO 1:5 X-BAR)\r\n" },
        { MP_IMAP_CMD_FETCH, { A_SEQ1, A_ATOM("PREVIEW"), A_OPEN, A_ATOM("LAZY"), A_CLOSE }, 5,
          MP_OK, "t FETCH 1 PREVIEW (LAZY)\r\n" },
        { MP_IMAP_CMD_STORE, { A_SEQ1, A_OPEN, A_ATOM("UNCHANGEDSINCE"), A_CLOSE,
                               A_ATOM("FLAGS"), A_FLAG("\\Seen") }, 6, MP_ERR_ARG, NULL },
        { MP_IMAP_CMD_STORE, { A_SEQ1, A_OPEN, A_CLOSE, A_ATOM("FLAGS"), A_FLAG("\\Seen") }, 5,
          MP_ERR_ARG, NULL },
        /* fuzz_imap_cmd_write: a word led by a digit is a sequence set to
         * the parser, so it must be one */
        { MP_IMAP_CMD_STORE, { A_SEQ1, A_OPEN, A_ATOM("X-FOO"), A_OPEN, A_ATOM("1IDLE"), A_CLOSE,
                               A_CLOSE, A_ATOM("FLAGS"), A_FLAG("\\Seen") }, 9, MP_ERR_ARG,
          NULL },
        { MP_IMAP_CMD_LIST, { A_MBOX(""), A_LMBOX("%"), A_ATOM("RETURN"), A_OPEN,
                              A_ATOM("[$,;)"), A_CLOSE }, 6, MP_ERR_ARG, NULL },
        { MP_IMAP_CMD_GETMETADATA, { A_OPEN, A_ATOM("X-A"), A_ATOM("011099612964785575254"),
                                     A_CLOSE, A_MBOX("INBOX"), A_ASTR("/private/x") }, 6,
          MP_ERR_ARG, NULL },
        { MP_IMAP_CMD_STORE, { A_SEQ1, A_OPEN, A_ATOM("nil"), A_CLOSE, A_ATOM("FLAGS"),
                               A_FLAG("\\Seen") }, 6, MP_ERR_ARG, NULL },
        { MP_IMAP_CMD_STORE, { A_SEQ1, A_OPEN, A_ATOM("X-FOO"), A_OPEN, A_ATOM("1:*"), A_CLOSE,
                               A_CLOSE, A_ATOM("FLAGS"), A_FLAG("\\Seen") }, 9, MP_OK,
          "t STORE 1 (X-FOO (1:*)) FLAGS \\Seen\r\n" },
        { MP_IMAP_CMD_GETMETADATA, { A_OPEN, A_ATOM("DEPTH"), A_ATOM("infinity"),
                                     A_ATOM("MAXSIZE"), A_NUM(10), A_CLOSE, A_MBOX("INBOX"),
                                     A_ASTR("/private/x") }, 8, MP_OK,
          "t GETMETADATA (DEPTH infinity MAXSIZE 10) INBOX /private/x\r\n" },
        { MP_IMAP_CMD_GETMETADATA, { A_OPEN, A_ATOM("DEPTH"), A_NUM(2), A_CLOSE,
                                     A_MBOX("INBOX"), A_ASTR("/private/x") }, 6, MP_ERR_ARG,
          NULL },
        { MP_IMAP_CMD_GETMETADATA, { A_OPEN, A_ATOM("MAXSIZE"), A_NUM(1ull << 32), A_CLOSE,
                                     A_MBOX("INBOX"), A_ASTR("/private/x") }, 6, MP_ERR_ARG,
          NULL },
        { MP_IMAP_CMD_LIST, { A_OPEN, A_ATOM("RECURSIVEMATCH"), A_CLOSE, A_MBOX(""),
                              A_LMBOX("%") }, 5, MP_ERR_ARG, NULL },
        { MP_IMAP_CMD_LIST, { A_OPEN, A_ATOM("REMOTE"), A_ATOM("RECURSIVEMATCH"), A_CLOSE,
                              A_MBOX(""), A_LMBOX("%") }, 6, MP_ERR_ARG, NULL },
        { MP_IMAP_CMD_LIST, { A_OPEN, A_ATOM("SPECIAL-USE"), A_ATOM("RECURSIVEMATCH"), A_CLOSE,
                              A_MBOX(""), A_LMBOX("%"), A_ATOM("RETURN"), A_OPEN,
                              A_ATOM("X-MINE"), A_OPEN, A_ATOM("a"), A_CLOSE }, 12, MP_ERR_ARG,
          NULL },
        { MP_IMAP_CMD_LIST, { A_MBOX(""), A_LMBOX("%"), A_ATOM("RETURN"), A_OPEN,
                              A_ATOM("STATUS"), A_OPEN, A_CLOSE, A_CLOSE }, 8, MP_ERR_ARG, NULL },
        { MP_IMAP_CMD_LIST, { A_MBOX(""), A_LMBOX("%"), A_ATOM("RETURN"), A_OPEN,
                              A_ATOM("X-MINE"), A_NUM(5), A_CLOSE }, 7, MP_ERR_ARG, NULL },
        { MP_IMAP_CMD_STATUS, { A_MBOX("INBOX"), A_OPEN, A_CLOSE }, 3, MP_ERR_ARG, NULL },
        { MP_IMAP_CMD_STATUS, { A_MBOX("INBOX"), A_OPEN, A_ATOM("BOGUS"), A_CLOSE }, 4,
          MP_ERR_ARG, NULL },
    };
#undef A_SEQ1
    (void)st;
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        fresh(0);
        if (mp_imap_write_command(&w, "t", v[i].cmd, v[i].a, v[i].n) != v[i].want) {
            print_error("vector %zu: got %s\n", i,
                        mp_status_name(mp_imap_write_command(&w, "t", v[i].cmd, v[i].a, v[i].n)));
            fail();
        }
        if (v[i].out != NULL)
            expect_out(v[i].out);
        else
            assert_int_equal(ob.len, 0);
    }
}

static void test_preview_lone_write(void **st)
{
    /* RFC 8970 §7: one item with its modifier goes without the outer
     * parentheses, and CHANGEDSINCE may follow. */
    static const mp_imap_seq_range one = { 1, 1 };
    const char *items[] = { "PREVIEW (LAZY)" };
    (void)st;
    fresh(0);
    assert_int_equal(mp_imap_write_fetch(&w, "a", 1, &one, 1, items, 1, 5, 1), MP_OK);
    expect_out("a UID FETCH 1 PREVIEW (LAZY) (CHANGEDSINCE 5 VANISHED)\r\n");
    assert_int_equal(mp_imap_write_fetch(&w, "a", 0, &one, 1, items, 1, 0, 1), MP_ERR_ARG);
    assert_int_equal(ob.len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_commands),
        cmocka_unit_test(test_login_and_strings),
        cmocka_unit_test(test_sync_literal_pause),
        cmocka_unit_test(test_nonsync_literals),
        cmocka_unit_test(test_no_space),
        cmocka_unit_test(test_mailbox_names),
        cmocka_unit_test(test_long_names_quoted),
        cmocka_unit_test(test_list_status_rename),
        cmocka_unit_test(test_select_fetch_store_copy),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_search_arity),
        cmocka_unit_test(test_datetime_and_append),
        cmocka_unit_test(test_catenate),
        cmocka_unit_test(test_auth_idle_id),
        cmocka_unit_test(test_rev2_refusals),
        cmocka_unit_test(test_closed_lists),
        cmocka_unit_test(test_preview_lone_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
