/* IMAP commands, round trip: parse -> write -> parse gives the same
 * events, and write(parse(write(x))) is byte-identical to write(x) (the
 * writer's choices are a fixed point).  Inputs: the RFC examples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "../../fuzz/fuzz_imap_cmd_rt.h"

static rt_cmd first, second;
static char out1[RT_ARENA * 2], out2[RT_ARENA * 2];
static int ncmds;

static void keep_first(rt_recorder *r, const rt_cmd *c, int ok)
{
    (void)r;
    if (ok && ncmds++ == 0)
        memcpy(&first, c, sizeof(*c));
}

static void keep_second(rt_recorder *r, const rt_cmd *c, int ok)
{
    (void)r;
    if (ok && ncmds++ == 0)
        memcpy(&second, c, sizeof(*c));
}

static void roundtrip(unsigned mode, const char *in, size_t n)
{
    static rt_recorder r;
    mp_outbuf ob1, ob2;
    mp_status st;
    memset(&r, 0, sizeof(r));
    r.done = keep_first;
    ncmds = 0;
    rt_parse(&r, in, n, mode);
    if (ncmds != 1) {
        print_error("input did not parse as one command: %.*s\n", (int)n, in);
        fail();
    }
    mp_outbuf_init(&ob1, out1, sizeof(out1));
    st = rt_write(&first, &ob1, rt_wflags(mode));
    if (st != MP_OK) {
        print_error("rewrite failed (%s): %.*s\n", mp_status_name(st), (int)n, in);
        fail();
    }
    r.done = keep_second;
    ncmds = 0;
    rt_parse(&r, ob1.buf, ob1.len, mode);
    assert_int_equal(ncmds, 1);
    if (first.canon_len != second.canon_len ||
        memcmp(first.canon, second.canon, first.canon_len) != 0) {
        print_error("events differ after rewrite:\n%.*s\n", (int)ob1.len, ob1.buf);
        fail();
    }
    mp_outbuf_init(&ob2, out2, sizeof(out2));
    assert_int_equal(rt_write(&second, &ob2, rt_wflags(mode)), MP_OK);
    assert_int_equal(ob1.len, ob2.len);
    assert_memory_equal(ob1.buf, ob2.buf, ob1.len);
}

static const char *const rfc_commands[] = {
    "a001 CAPABILITY\r\n", "a002 NOOP\r\n", "A023 LOGOUT\r\n", "a003 STARTTLS\r\n",
    "a001 LOGIN SMITH SESAME\r\n", "a002 LOGIN \"fred foo\" \"p\\\"w\\\\d\"\r\n",
    "a003 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man\r\n",
    "t2 ENABLE CONDSTORE X-GOOD-IDEA\r\n",
    "a01 AUTHENTICATE PLAIN AHVzZXIAcGFzcw==\r\n", "a02 AUTHENTICATE EXTERNAL =\r\n",
    "A142 SELECT INBOX\r\n", "A932 EXAMINE blurdybloop\r\n", "A003 CREATE owatagusiam/\r\n",
    "A684 RENAME blurdybloop sarasoop\r\n", "A002 SUBSCRIBE #news.comp.mail.mime\r\n",
    "A2 CREATE ~peter/mail/&U,BTFw-/&ZeVnLIqe-\r\n", "A3 SELECT \"a b\"\r\n",
    "A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n",
    "t CREATE Drafts (USE (\\Drafts))\r\n", "A101 LIST \"\" \"\"\r\n",
    "A202 LIST ~/Mail/ %\r\n", "A002 LSUB \"#news.\" \"comp.mail.*\"\r\n",
    "A01 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\" RETURN (CHILDREN STATUS (MESSAGES UNSEEN))\r\n",
    "A02 LIST \"\" (\"INBOX\" \"Drafts\" Sent/%)\r\n",
    "A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n", "A44 NAMESPACE\r\n",
    "A003 UID EXPUNGE 3000:3002\r\n", "A004 MOVE 1:* Trash\r\n",
    "A005 UID MOVE 42 \"Other Box\"\r\n", "A003 STORE 2:4 +FLAGS (\\Deleted)\r\n",
    "A004 STORE 1 -FLAGS.SILENT \\Seen $Forwarded\r\n",
    "d105 UID STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)\r\n",
    "a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" NIL)\r\n", "a024 ID NIL\r\n",
    "S1 SETQUOTA \"\" (STORAGE 512)\r\n",
    "M2 GETMETADATA (MAXSIZE 1024 DEPTH 1) INBOX (/shared/comment /private/comment)\r\n",
    "M3 SETMETADATA INBOX (/private/comment {6}\r\nMy new NIL)\r\n", "C1 COMPRESS DEFLATE\r\n",
    "A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n", "A1 FETCH 1 ALL\r\n",
    "A4 FETCH 1 (BODY.PEEK[1.2.MIME]<0.2048> BINARY.SIZE[1] BINARY.PEEK[1.2]<5.10> MODSEQ)\r\n",
    "A5 FETCH 1 (BODY[] BODY[HEADER.FIELDS.NOT (Received \"X A\")] RFC822.SIZE)\r\n",
    "A6 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n",
    "A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n",
    "A284 SEARCH CHARSET UTF-8 TEXT {12}\r\n\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\r\n",
    "A285 UID SEARCH RETURN (MIN COUNT) OR (SEEN FLAGGED) (UID 1:100 HEADER X-Foo \"\")\r\n",
    "A286 SEARCH 1:5,7 NOT NOT OR DELETED OR ANSWERED (LARGER 100 SMALLER 2000)\r\n",
    "a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338\r\n",
    "S1 UID SORT (REVERSE DATE) UTF-8 ALL\r\n",
    /* RFC 5267 ESORT and CONTEXT=SEARCH/SORT */
    "E01 UID SORT RETURN (COUNT ALL) (DATE) UTF-8 UNDELETED UNKEYWORD $Junk\r\n",
    "A01 SEARCH RETURN (UPDATE CONTEXT PARTIAL 1:500) UNDELETED\r\n",
    "A02 UID SORT RETURN (UPDATE) (SUBJECT) UTF-8 KEYWORD $Junk\r\n",
    "A06 CANCELUPDATE \"A04\" \"A05\"\r\n",
    /* RFC 5465 NOTIFY (the grammar's event lists, Errata 3134) */
    "a NOTIFY SET STATUS (selected (MessageNew (uid body.peek[header.fields (from to subject)]) "
    "MessageExpunge)) (subtree Lists (MessageNew))\r\n",
    "b NOTIFY SET (mailboxes (INBOX \"a b\") NONE) (personal (MailboxName QuotaChange))\r\n",
    "c NOTIFY NONE\r\n",
    /* RFC 4314, RFC 4467, RFC 7377, RFC 6203 */
    "A2 SETACL INBOX/Drafts Fred +lrswi\r\n", "A3 DELETEACL INBOX Fred\r\n",
    "A4 LISTRIGHTS ~/Mail/saved smith\r\n", "A5 MYRIGHTS INBOX\r\n", "A1 GETACL INBOX\r\n",
    "B3 RESETKEY INBOX INTERNAL\r\n", "B1 RESETKEY\r\n",
    "B4 GENURLAUTH \"imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred\" "
    "INTERNAL\r\n",
    "B5 URLFETCH \"imap://joe@example.com/INBOX/;uid=20/;urlauth=submit+fred:internal:9135\"\r\n",
    "C1 ESEARCH IN (mailboxes \"folder1\" subtree-one \"folder2\") RETURN (COUNT) unseen\r\n",
    "F1 SEARCH RETURN (RELEVANCY) FUZZY (SUBJECT \"a\" BODY \"b\")\r\n",
    "T1 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000\r\n",
    "A003 APPEND saved-messages (\\Seen) {23}\r\nDate: Mon, 7 Feb 1994\r\n\r\n",
    "A006 APPEND INBOX {0}\r\n\r\n",
};

static void test_rfc_commands(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof(rfc_commands) / sizeof(rfc_commands[0]); i++)
        roundtrip(0, rfc_commands[i], strlen(rfc_commands[i]));
}

static void test_binary_and_utf8(void **st)
{
    static const char multi[] = "A004 APPEND INBOX (\\Seen $X) \"07-Feb-1994 21:52:25 -0800\" {5+}\r\n"
                                "abcde \" 7-Feb-1994 21:52:25 +0100\" ~{3+}\r\na\0b\r\n";
    (void)st;
    roundtrip(0, multi, sizeof(multi) - 1);
    static const char u1[] = "A1 SELECT \"Entw\xc3\xbc" "rfe\"\r\n";
    static const char u2[] = "A1 LOGIN \"\xc3\xa9\" c\r\n";
    static const char u3[] = "A2 SETMETADATA INBOX (/shared/x ~{3}\r\na\0b)\r\n";
    roundtrip(MP_IMAP_UTF8, u1, sizeof(u1) - 1);
    roundtrip(MP_IMAP_REV2, u2, sizeof(u2) - 1);
    roundtrip(0, u3, sizeof(u3) - 1);
    {
        /* A value longer than MP_IMAP_MAX_QUOTED: streamed both times. */
        static char big[20000];
        size_t n = (size_t)snprintf(big, sizeof(big), "A3 SETMETADATA INBOX (/shared/x {9000}\r\n");
        memset(big + n, 'v', 9000);
        n += 9000;
        memcpy(big + n, ")\r\n", 3);
        roundtrip(0, big, n + 3);
    }
}

/* RFC 4469 CATENATE and RFC 6855 UTF8 APPEND: parse, write, parse. */
static void test_catenate(void **st)
{
    static const char ex1[] =
        "A003 APPEND Drafts (\\Seen \\Draft $MDNSent) CATENATE "
        "(URL \"/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER\" TEXT {42}\r\n"
        "\r\n--------------030308070208000400050907\r\n"
        " URL \"/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1.MIME\""
        " URL \"/Drafts;UIDVALIDITY=385759045/;UID=20/;section=1\" TEXT {42}\r\n"
        "\r\n--------------030308070208000400050907\r\n"
        " URL \"/Drafts;UIDVALIDITY=385759045/;UID=30\" TEXT {44}\r\n"
        "\r\n--------------030308070208000400050907--\r\n)\r\n";
    static const char multi[] =
        "M1 APPEND Drafts (\\Seen) {5+}\r\nhello CATENATE (TEXT {3+}\r\nabc"
        " URL /INBOX;UIDVALIDITY=1/;UID=2 URL {12+}\r\n/Sent;UID=77 URL \"a b\\\"c\" TEXT {0}\r\n)"
        " \"07-Feb-1994 21:52:25 -0800\" ~{1+}\r\n\0 CATENATE (URL \"/INBOX;UIDVALIDITY=1/;UID=3\")\r\n";
    static const char utf8[] =
        "U1 APPEND x UTF8 (~{2+}\r\n\xc3\xa9) CATENATE (UTF8 (~{4+}\r\n\xc3\xa9\0x) URL /a"
        " TEXT {1}\r\nb UTF8 (~{0}\r\n)) (\\Seen) UTF8 (~{1}\r\nz)\r\n";
    (void)st;
    roundtrip(0, ex1, sizeof(ex1) - 1);
    roundtrip(0, multi, sizeof(multi) - 1);
    roundtrip(MP_IMAP_UTF8, utf8, sizeof(utf8) - 1);
    roundtrip(MP_IMAP_UTF8 | MP_IMAP_REV2, utf8, sizeof(utf8) - 1);
    /* Keywords in any case: the event carries "CATENATE" (fuzz_imap_cmd). */
    roundtrip(0, "M2 APPEND x catenate (url \"/a;UID=1\" text {0+}\r\n)\r\n", 51);
}

/* The lists whose members the RFCs name: a lone PREVIEW (LAZY), SORT
 * criteria, modifiers, GETMETADATA and LIST options, in both modes. */
static const char *const closed_lists[] = {
    "a FETCH 1 PREVIEW (LAZY)\r\n",
    "b UID FETCH 1:* PREVIEW (LAZY) (CHANGEDSINCE 5 VANISHED)\r\n",
    "c FETCH 1 PREVIEW (CHANGEDSINCE 5)\r\n",
    "d FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)\r\n",
    "e FETCH 1 FLAGS (X-FOO 1:5 X-BAR (a (b)) X-BAZ)\r\n",
    "f STORE 1 (UNCHANGEDSINCE 0 X-FOO 3) FLAGS \\Seen\r\n",
    "g SORT (REVERSE ARRIVAL cc DISPLAYFROM REVERSE DISPLAYTO) UTF-8 ALL\r\n",
    "h GETMETADATA (MAXSIZE 1024 DEPTH infinity X-FOO (1 2)) INBOX /private/x\r\n",
    "i LIST (SPECIAL-USE RECURSIVEMATCH REMOTE) \"\" % RETURN (CHILDREN STATUS (SIZE) X-MINE (1 (2)))\r\n",
    "j LIST () \"\" % RETURN ()\r\n",
    "k STATUS INBOX (MESSAGES UNSEEN HIGHESTMODSEQ)\r\n",
    /* fuzz_imap_cmd_write: "5:5" goes back as "5", read as a number */
    "m GETMETADATA (X-A 5:5 X-B 7:7,9) INBOX /private/x\r\n",
    /* fuzz_imap_cmd: "$" leads a word, not a sequence set */
    "l LIST (SUBSCRIBED RECURSIVEMATCH) \"\" % RETURN (CHILDREN $STATUS (MESSAGES))\r\n",
};

static void test_closed_lists(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof(closed_lists) / sizeof(closed_lists[0]); i++) {
        roundtrip(0, closed_lists[i], strlen(closed_lists[i]));
        roundtrip(MP_IMAP_REV2, closed_lists[i], strlen(closed_lists[i]));
    }
    /* rev1 only, and still written back in rev1 */
    roundtrip(0, "l SEARCH NEW OLD RECENT\r\n", 25);
    roundtrip(0, "m STATUS INBOX (RECENT)\r\n", 25);
    roundtrip(0, "n CHECK\r\n", 9);
}

static void test_fuzz_regressions(void **st)
{
    (void)st;
    /* A header field name holding "[" is quoted in the canonical section
     * text, so the writer can send it back. */
    roundtrip(0, "A5 FETCH 1 (BODY[HEADER.FIELDS.NOT (RBODY[ed \"X A\" a]b)])\r\n", 59);
    roundtrip(0, "A2 UID FETCH $ (FLAGS)\r\n", 24);
    roundtrip(0, "A4 SEARCH $ UNSEEN\r\n", 20);
    roundtrip(0, "a FETCH 1 (PREVIEW (LAZY) FLAGS)\r\n", 34);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc_commands),
        cmocka_unit_test(test_binary_and_utf8),
        cmocka_unit_test(test_catenate),
        cmocka_unit_test(test_fuzz_regressions),
        cmocka_unit_test(test_closed_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
