/* IMAP command parser: RFC command examples as vectors with their events,
 * run whole, byte by byte and at random splits (mp_split_check).
 * MP_GEN=1 prints the logs instead of checking them (to review new
 * vectors by eye). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_cmd_fixture.h"

static cmd_fixture fx;

static void run_vec(unsigned mode, unsigned quirks, const char *in, size_t n, const char *want)
{
    mp_split_target t = { fx_reset, fx_feed, NULL, &fx };
    const char *got;
    memset(&fx.cfg, 0, sizeof(fx.cfg));
    fx.cfg.mode = mode;
    fx.cfg.quirks = quirks;
    if (getenv("MP_GEN") != NULL) {
        got = mp_split_check(&t, in, n, NULL);
        printf("----\n%s", got);
        return;
    }
    mp_split_check(&t, in, n, want);
}
#define V(in, want) run_vec(0, 0, (in), sizeof(in) - 1, (want))
#define VM(mode, in, want) run_vec((mode), 0, (in), sizeof(in) - 1, (want))


static void test_any_state(void **st)
{
    (void)st;
    V("a001 CAPABILITY\r\na002 NOOP\r\nA023 LOGOUT\r\na003 STARTTLS\r\n",
      "command CAPABILITY a001\n"
      "end\n"
      "command NOOP a002\n"
      "end\n"
      "command LOGOUT A023\n"
      "end\n"
      "command STARTTLS a003\n"
      "end\n");
}

static void test_auth_login_enable(void **st)
{
    (void)st;
    V("a001 LOGIN SMITH SESAME\r\na002 LOGIN \"fred foo\" \"p\\\"w\\\\d\"\r\n",
      "command LOGIN a001\n"
      "  string SMITH\n"
      "  string SESAME\n"
      "end\n"
      "command LOGIN a002\n"
      "  string fred foo\n"
      "  string p\"w\\\\d\n"
      "end\n");
    V("a003 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man\r\n",
      "command LOGIN a003\n"
      "  + 11\n"
      "  string{} FRED FOOBAR\n"
      "  + 7\n"
      "  string{} fat man\n"
      "end\n");
    V("a003 LOGIN {11+}\r\nFRED FOOBAR fat\r\n",
      "command LOGIN a003\n"
      "  string{} FRED FOOBAR\n"
      "  string fat\n"
      "end\n");
    V("t2 ENABLE CONDSTORE X-GOOD-IDEA\r\nt3 ENABLE UTF8=ACCEPT\r\n",
      "command ENABLE t2\n"
      "  atom CONDSTORE\n"
      "  atom X-GOOD-IDEA\n"
      "end\n"
      "command ENABLE t3\n"
      "  atom UTF8=ACCEPT\n"
      "end\n");
    V("a01 AUTHENTICATE PLAIN AHVzZXIAcGFzcw==\r\na02 AUTHENTICATE EXTERNAL =\r\n",
      "command AUTHENTICATE a01\n"
      "  atom PLAIN\n"
      "  base64 AHVzZXIAcGFzcw==\n"
      "end\n"
      "command AUTHENTICATE a02\n"
      "  atom EXTERNAL\n"
      "  base64 =\n"
      "end\n");
    fx.auth_more = 2;
    V("A001 AUTHENTICATE GSSAPI\r\nYIIB+wYJKoZIhvcSAQICAQBuggHqMIIB5qADAgEFoQMCAQ6iBw==\r\n\r\n",
      "command AUTHENTICATE A001\n"
      "  atom GSSAPI\n"
      "end\n"
      "auth YIIB+wYJKoZIhvcSAQICAQBuggHqMIIB5qADAgEFoQMCAQ6iBw==\n"
      "auth \n");
    fx.auth_more = 1;
    V("A001 AUTHENTICATE PLAIN\r\n*\r\na2 NOOP\r\n",
      "command AUTHENTICATE A001\n"
      "  atom PLAIN\n"
      "end\n"
      "auth-cancel\n"
      "command NOOP a2\n"
      "end\n");
    fx.auth_more = 0;
}

static void test_mailboxes(void **st)
{
    (void)st;
    V("A142 SELECT INBOX\r\nA932 EXAMINE blurdybloop\r\nA003 CREATE owatagusiam/\r\n"
      "A683 DELETE blurdybloop\r\nA684 RENAME blurdybloop sarasoop\r\n"
      "A002 SUBSCRIBE #news.comp.mail.mime\r\nA003 UNSUBSCRIBE #news.comp.mail.mime\r\n",
      "command SELECT A142\n"
      "  mailbox INBOX\n"
      "end\n"
      "command EXAMINE A932\n"
      "  mailbox blurdybloop\n"
      "end\n"
      "command CREATE A003\n"
      "  mailbox owatagusiam/\n"
      "end\n"
      "command DELETE A683\n"
      "  mailbox blurdybloop\n"
      "end\n"
      "command RENAME A684\n"
      "  mailbox blurdybloop\n"
      "  mailbox sarasoop\n"
      "end\n"
      "command SUBSCRIBE A002\n"
      "  mailbox #news.comp.mail.mime\n"
      "end\n"
      "command UNSUBSCRIBE A003\n"
      "  mailbox #news.comp.mail.mime\n"
      "end\n");
    V("A1 SELECT inbox\r\nA2 CREATE ~peter/mail/&U,BTFw-/&ZeVnLIqe-\r\nA3 SELECT \"a b\"\r\n"
      "A4 SELECT {3}\r\na b\r\n",
      "command SELECT A1\n"
      "  mailbox (raw inbox) INBOX\n"
      "end\n"
      "command CREATE A2\n"
      "  mailbox (raw ~peter/mail/&U,BTFw-/&ZeVnLIqe-) ~peter/mail/\\xe5\\x8f\\xb0\\xe5\\x8c\\x97/\\xe6\\x97\\xa5\\xe6\\x9c\\xac\\xe8\\xaa\\x9e\n"
      "end\n"
      "command SELECT A3\n"
      "  mailbox a b\n"
      "end\n"
      "command SELECT A4\n"
      "  + 3\n"
      "  mailbox a b\n"
      "end\n");
    V("A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n"
      "a SELECT INBOX (CONDSTORE)\r\nt CREATE Drafts (USE (\\Drafts))\r\n",
      "command SELECT A02\n"
      "  mailbox INBOX\n"
      "  (\n"
      "  [1] atom QRESYNC\n"
      "  [1] (\n"
      "  [2] number 67890007\n"
      "  [2] number 20050715194045000\n"
      "  [2] seq 41\n"
      "  [2] seq+ 43:211\n"
      "  [2] seq+ 214:541\n"
      "  [1] )\n"
      "  )\n"
      "end\n"
      "command SELECT a\n"
      "  mailbox INBOX\n"
      "  (\n"
      "  [1] atom CONDSTORE\n"
      "  )\n"
      "end\n"
      "command CREATE t\n"
      "  mailbox Drafts\n"
      "  (\n"
      "  [1] atom USE\n"
      "  [1] (\n"
      "  [2] flag \\\\Drafts\n"
      "  [1] )\n"
      "  )\n"
      "end\n");
    V("A101 LIST \"\" \"\"\r\nA102 LIST #news.comp.mail.misc \"\"\r\nA202 LIST ~/Mail/ %\r\n"
      "A002 LSUB \"#news.\" \"comp.mail.*\"\r\n",
      "command LIST A101\n"
      "  mailbox \n"
      "  pattern \n"
      "end\n"
      "command LIST A102\n"
      "  mailbox #news.comp.mail.misc\n"
      "  pattern \n"
      "end\n"
      "command LIST A202\n"
      "  mailbox ~/Mail/\n"
      "  pattern %\n"
      "end\n"
      "command LSUB A002\n"
      "  mailbox #news.\n"
      "  pattern comp.mail.*\n"
      "end\n");
    V("A01 LIST (SUBSCRIBED RECURSIVEMATCH) \"\" \"%\" RETURN (CHILDREN STATUS (MESSAGES UNSEEN))\r\n"
      "A02 LIST \"\" (\"INBOX\" \"Drafts\" Sent/%)\r\nA03 LIST (SPECIAL-USE) \"\" \"*\"\r\n",
      "command LIST A01\n"
      "  (\n"
      "  [1] atom SUBSCRIBED\n"
      "  [1] atom RECURSIVEMATCH\n"
      "  )\n"
      "  mailbox \n"
      "  pattern %\n"
      "  atom RETURN\n"
      "  (\n"
      "  [1] atom CHILDREN\n"
      "  [1] atom STATUS\n"
      "  [1] (\n"
      "  [2] atom MESSAGES\n"
      "  [2] atom UNSEEN\n"
      "  [1] )\n"
      "  )\n"
      "end\n"
      "command LIST A02\n"
      "  mailbox \n"
      "  (\n"
      "  [1] pattern INBOX\n"
      "  [1] pattern Drafts\n"
      "  [1] pattern Sent/%\n"
      "  )\n"
      "end\n"
      "command LIST A03\n"
      "  (\n"
      "  [1] atom SPECIAL-USE\n"
      "  )\n"
      "  mailbox \n"
      "  pattern *\n"
      "end\n");
    V("A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\nA043 STATUS x (SIZE DELETED HIGHESTMODSEQ APPENDLIMIT)\r\n"
      "A44 NAMESPACE\r\n",
      "command STATUS A042\n"
      "  mailbox blurdybloop\n"
      "  (\n"
      "  [1] atom UIDNEXT\n"
      "  [1] atom MESSAGES\n"
      "  )\n"
      "end\n"
      "command STATUS A043\n"
      "  mailbox x\n"
      "  (\n"
      "  [1] atom SIZE\n"
      "  [1] atom DELETED\n"
      "  [1] atom HIGHESTMODSEQ\n"
      "  [1] atom APPENDLIMIT\n"
      "  )\n"
      "end\n"
      "command NAMESPACE A44\n"
      "end\n");
    /* UTF-8 names under UTF8=ACCEPT, mUTF-7 rejected when not canonical. */
    VM(MP_IMAP_UTF8, "A1 SELECT \"Entw\xc3\xbc" "rfe\"\r\n",
      "command SELECT A1\n"
      "  mailbox Entw\\xc3\\xbcrfe\n"
      "end\n");
    V("A1 SELECT &AOQ\r\nA2 SELECT Entw\xc3\xbc" "rfe\r\nA3 SELECT \"Entw\xc3\xbc" "rfe\"\r\n",
      "command SELECT A1\n"
      "bad A1 SELECT MP_ERR_IMAP_CMD_MAILBOX @10\n"
      "command SELECT A2\n"
      "  mailbox Entw\n"
      "bad A2 SELECT MP_ERR_8BIT @30\n"
      "command SELECT A3\n"
      "bad A3 SELECT MP_ERR_8BIT @52\n");
}

static void test_message_commands(void **st)
{
    (void)st;
    V("A341 CLOSE\r\nA342 UNSELECT\r\nA202 EXPUNGE\r\nA003 UID EXPUNGE 3000:3002\r\n"
      "A003 COPY 2:4 MEETING\r\nA004 MOVE 1:* Trash\r\nA005 UID MOVE 42 \"Other Box\"\r\n",
      "command CLOSE A341\n"
      "end\n"
      "command UNSELECT A342\n"
      "end\n"
      "command EXPUNGE A202\n"
      "end\n"
      "command UID EXPUNGE A003\n"
      "  seq 3000:3002\n"
      "end\n"
      "command COPY A003\n"
      "  seq 2:4\n"
      "  mailbox MEETING\n"
      "end\n"
      "command MOVE A004\n"
      "  seq 1:*\n"
      "  mailbox Trash\n"
      "end\n"
      "command UID MOVE A005\n"
      "  seq 42\n"
      "  mailbox Other Box\n"
      "end\n");
    V("A003 STORE 2:4 +FLAGS (\\Deleted)\r\nA004 STORE 1 -FLAGS.SILENT \\Seen $Forwarded\r\n"
      "d105 UID STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)\r\n"
      "A5 STORE 1 FLAGS ()\r\n",
      "command STORE A003\n"
      "  seq 2:4\n"
      "  atom +FLAGS\n"
      "  (\n"
      "  [1] flag \\\\Deleted\n"
      "  )\n"
      "end\n"
      "command STORE A004\n"
      "  seq 1\n"
      "  atom -FLAGS.SILENT\n"
      "  flag \\\\Seen\n"
      "  flag $Forwarded\n"
      "end\n"
      "command UID STORE d105\n"
      "  seq 7\n"
      "  seq+ 5\n"
      "  seq+ 9\n"
      "  (\n"
      "  [1] atom UNCHANGEDSINCE\n"
      "  [1] number 320162338\n"
      "  )\n"
      "  atom +FLAGS.SILENT\n"
      "  (\n"
      "  [1] flag \\\\Deleted\n"
      "  )\n"
      "end\n"
      "command STORE A5\n"
      "  seq 1\n"
      "  atom FLAGS\n"
      "  (\n"
      "  )\n"
      "end\n");
    V("a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" NIL)\r\na024 ID NIL\r\n",
      "command ID a023\n"
      "  (\n"
      "  [1] string name\n"
      "  [1] string sodr\n"
      "  [1] string version\n"
      "  [1] string 19.34\n"
      "  [1] string vendor\n"
      "  [1] nil\n"
      "  )\n"
      "end\n"
      "command ID a024\n"
      "  nil\n"
      "end\n");
    V("G1 GETQUOTA \"\"\r\nG2 GETQUOTAROOT INBOX\r\nS1 SETQUOTA \"\" (STORAGE 512)\r\n"
      "M1 GETMETADATA \"\" /shared/comment\r\n"
      "M2 GETMETADATA (MAXSIZE 1024 DEPTH 1) INBOX (/shared/comment /private/comment)\r\n"
      "M3 SETMETADATA INBOX (/private/comment {6}\r\nMy new NIL)\r\n",
      "command GETQUOTA G1\n"
      "  string \n"
      "end\n"
      "command GETQUOTAROOT G2\n"
      "  mailbox INBOX\n"
      "end\n"
      "command SETQUOTA S1\n"
      "  string \n"
      "  (\n"
      "  [1] atom STORAGE\n"
      "  [1] number 512\n"
      "  )\n"
      "end\n"
      "command GETMETADATA M1\n"
      "  mailbox \n"
      "  atom /shared/comment\n"
      "end\n"
      "command GETMETADATA M2\n"
      "  (\n"
      "  [1] atom MAXSIZE\n"
      "  [1] number 1024\n"
      "  [1] atom DEPTH\n"
      "  [1] number 1\n"
      "  )\n"
      "  mailbox INBOX\n"
      "  (\n"
      "  [1] atom /shared/comment\n"
      "  [1] atom /private/comment\n"
      "  )\n"
      "end\n"
      "command SETMETADATA M3\n"
      "  mailbox INBOX\n"
      "  (\n"
      "  [1] atom /private/comment\n"
      "  + 6\n"
      "  [1] string{} My new\n"
      "  [1] nil\n"
      "  )\n"
      "end\n");
    V("C1 COMPRESS DEFLATE\r\nI1 IDLE\r\nDONE\r\nI2 NOOP\r\n",
      "command COMPRESS C1\n"
      "  atom DEFLATE\n"
      "end\n"
      "command IDLE I1\n"
      "end\n"
      "idle-done\n"
      "command NOOP I2\n"
      "end\n");
}

static void test_fetch(void **st)
{
    (void)st;
    V("A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n"
      "A1 FETCH 1 ALL\r\nA2 FETCH 1:* FAST\r\nA3 UID FETCH 1 FULL\r\n",
      "command FETCH A654\n"
      "  seq 2:4\n"
      "  (\n"
      "  [1] att FLAGS\n"
      "  [1] att BODY[HEADER.FIELDS (DATE FROM)]\n"
      "  )\n"
      "end\n"
      "command FETCH A1\n"
      "  seq 1\n"
      "  att ALL\n"
      "end\n"
      "command FETCH A2\n"
      "  seq 1:*\n"
      "  att FAST\n"
      "end\n"
      "command UID FETCH A3\n"
      "  seq 1\n"
      "  att FULL\n"
      "end\n");
    V("A4 FETCH 1 (BODY.PEEK[1.2.MIME]<0.2048> BINARY.SIZE[1] BINARY.PEEK[1.2]<5.10> MODSEQ)\r\n"
      "A5 FETCH 1 (BODY[] BODY[TEXT] BODY[1.HEADER] BODY[HEADER.FIELDS.NOT (Received \"X-A\")] RFC822.SIZE)\r\n"
      "A6 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n"
      "A7 FETCH 1 (EMAILID THREADID SAVEDATE PREVIEW ENVELOPE INTERNALDATE UID BODYSTRUCTURE BODY)\r\n",
      "command FETCH A4\n"
      "  seq 1\n"
      "  (\n"
      "  [1] att BODY.PEEK[1.2.MIME]<0.2048>\n"
      "  [1] att BINARY.SIZE[1]\n"
      "  [1] att BINARY.PEEK[1.2]<5.10>\n"
      "  [1] att MODSEQ\n"
      "  )\n"
      "end\n"
      "command FETCH A5\n"
      "  seq 1\n"
      "  (\n"
      "  [1] att BODY[]\n"
      "  [1] att BODY[TEXT]\n"
      "  [1] att BODY[1.HEADER]\n"
      "  [1] att BODY[HEADER.FIELDS.NOT (Received X-A)]\n"
      "  [1] att RFC822.SIZE\n"
      "  )\n"
      "end\n"
      "command UID FETCH A6\n"
      "  seq 1:*\n"
      "  (\n"
      "  [1] att FLAGS\n"
      "  )\n"
      "  (\n"
      "  [1] atom CHANGEDSINCE\n"
      "  [1] number 12345\n"
      "  [1] atom VANISHED\n"
      "  )\n"
      "end\n"
      "command FETCH A7\n"
      "  seq 1\n"
      "  (\n"
      "  [1] att EMAILID\n"
      "  [1] att THREADID\n"
      "  [1] att SAVEDATE\n"
      "  [1] att PREVIEW\n"
      "  [1] att ENVELOPE\n"
      "  [1] att INTERNALDATE\n"
      "  [1] att UID\n"
      "  [1] att BODYSTRUCTURE\n"
      "  [1] att BODY\n"
      "  )\n"
      "end\n");
}

static void test_search(void **st)
{
    (void)st;
    V("A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n"
      "A283 SEARCH TEXT \"string not in mailbox\"\r\n"
      "A284 SEARCH CHARSET UTF-8 TEXT {12}\r\n\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\r\n",
      "command SEARCH A282\n"
      "  key FLAGGED\n"
      "  key SINCE\n"
      "  date 1994-02-01\n"
      "  key NOT\n"
      "  [1] key FROM\n"
      "  [1] string Smith\n"
      "end\n"
      "command SEARCH A283\n"
      "  key TEXT\n"
      "  string string not in mailbox\n"
      "end\n"
      "command SEARCH A284\n"
      "  atom CHARSET\n"
      "  string UTF-8\n"
      "  key TEXT\n"
      "  + 12\n"
      "  string{} \\xd0\\x9f\\xd1\\x80\\xd0\\xb8\\xd0\\xb2\\xd0\\xb5\\xd1\\x82\n"
      "end\n");
    V("A285 UID SEARCH RETURN (MIN COUNT) OR (SEEN FLAGGED) (UID 1:100 HEADER X-Foo \"\")\r\n"
      "A286 SEARCH 1:5,7 NOT NOT OR DELETED OR ANSWERED (LARGER 100 SMALLER 2000)\r\n"
      "a SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338\r\nb SEARCH MODSEQ 5 KEYWORD $Junk SENTON \"7-Feb-1994\"\r\n",
      "command UID SEARCH A285\n"
      "  atom RETURN\n"
      "  (\n"
      "  [1] atom MIN\n"
      "  [1] atom COUNT\n"
      "  )\n"
      "  key OR\n"
      "  [1] (\n"
      "  [2] key SEEN\n"
      "  [2] key FLAGGED\n"
      "  [1] )\n"
      "  [1] (\n"
      "  [2] key UID\n"
      "  [2] seq 1:100\n"
      "  [2] key HEADER\n"
      "  [2] string X-Foo\n"
      "  [2] string \n"
      "  [1] )\n"
      "end\n"
      "command SEARCH A286\n"
      "  seq 1:5\n"
      "  seq+ 7\n"
      "  key NOT\n"
      "  [1] key NOT\n"
      "  [2] key OR\n"
      "  [3] key DELETED\n"
      "  [3] key OR\n"
      "  [4] key ANSWERED\n"
      "  [4] (\n"
      "  [5] key LARGER\n"
      "  [5] number 100\n"
      "  [5] key SMALLER\n"
      "  [5] number 2000\n"
      "  [4] )\n"
      "end\n"
      "command SEARCH a\n"
      "  key MODSEQ\n"
      "  string /flags/\\\\draft\n"
      "  atom all\n"
      "  number 620162338\n"
      "end\n"
      "command SEARCH b\n"
      "  key MODSEQ\n"
      "  number 5\n"
      "  key KEYWORD\n"
      "  flag $Junk\n"
      "  key SENTON\n"
      "  date 1994-02-07\n"
      "end\n");
    V("S1 UID SORT (REVERSE DATE) UTF-8 ALL\r\nT1 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000\r\n",
      "command UID SORT S1\n"
      "  (\n"
      "  [1] atom REVERSE\n"
      "  [1] atom DATE\n"
      "  )\n"
      "  string UTF-8\n"
      "  key ALL\n"
      "end\n"
      "command THREAD T1\n"
      "  atom ORDEREDSUBJECT\n"
      "  string UTF-8\n"
      "  key SINCE\n"
      "  date 2000-03-05\n"
      "end\n");
}

static void test_append(void **st)
{
    (void)st;
    V("A003 APPEND saved-messages (\\Seen) {23}\r\nDate: Mon, 7 Feb 1994\r\n\r\n",
      "command APPEND A003\n"
      "  mailbox saved-messages\n"
      "  (\n"
      "  [1] flag \\\\Seen\n"
      "  )\n"
      "  + 23\n"
      "  message 23\n"
      "chunk message Date: Mon, 7 Feb 1994\\r\\n\n"
      "  end-message\n"
      "end\n");
    V("A004 APPEND INBOX (\\Seen $X) \"07-Feb-1994 21:52:25 -0800\" {5+}\r\nabcde"
      " \" 7-Feb-1994 21:52:25 +0100\" ~{3+}\r\na\0b\r\nA005 NOOP\r\n",
      "command APPEND A004\n"
      "  mailbox INBOX\n"
      "  (\n"
      "  [1] flag \\\\Seen\n"
      "  [1] flag $X\n"
      "  )\n"
      "  datetime 1994-02-07 21:52:25 -0800\n"
      "  message 5\n"
      "chunk message abcde\n"
      "  end-message\n"
      "  datetime 1994-02-07 21:52:25 +0100\n"
      "  message 3 binary\n"
      "chunk message a\\x00b\n"
      "  end-message\n"
      "end\n"
      "command NOOP A005\n"
      "end\n");
    V("A006 APPEND INBOX {0}\r\n\r\n",
      "command APPEND A006\n"
      "  mailbox INBOX\n"
      "  + 0\n"
      "  message 0\n"
      "  end-message\n"
      "end\n");
}
int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_any_state),
        cmocka_unit_test(test_auth_login_enable),
        cmocka_unit_test(test_mailboxes),
        cmocka_unit_test(test_message_commands),
        cmocka_unit_test(test_fetch),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_append),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
