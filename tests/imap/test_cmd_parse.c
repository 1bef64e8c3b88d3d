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
static mp_evlog fx_log;
static uint32_t vec_max_line;   /* 0: default */
static uint32_t vec_max_quoted; /* 0: default */
static uint64_t vec_max_total;  /* 0: default */

static void run_vec(unsigned mode, unsigned quirks, const char *in, size_t n, const char *want)
{
    mp_split_target t = { fx_reset, fx_feed, NULL, &fx };
    const char *got;
    memset(&fx.cfg, 0, sizeof(fx.cfg));
    fx.cfg.mode = mode;
    fx.cfg.quirks = quirks;
    fx.cfg.limits.max_line = vec_max_line;
    fx.cfg.limits.max_quoted = vec_max_quoted;
    fx.cfg.max_literal_total = vec_max_total;
    if (getenv("MP_GEN") != NULL && want[0] == '\0') {
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
      "chunk literal Date: Mon, 7 Feb 1994\\r\\n\n"
      "  end-literal\n"
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
      "chunk literal abcde\n"
      "  end-literal\n"
      "  datetime 1994-02-07 21:52:25 +0100\n"
      "  message 3 binary\n"
      "chunk literal a\\x00b\n"
      "  end-literal\n"
      "end\n"
      "command NOOP A005\n"
      "end\n");
    V("A006 APPEND INBOX {0}\r\n\r\n",
      "command APPEND A006\n"
      "  mailbox INBOX\n"
      "  + 0\n"
      "  message 0\n"
      "  end-literal\n"
      "end\n");
}
static void test_rfc_extensions(void **st)
{
    (void)st;
    /* RFC 3501 / 9051 */
    V("A999 UID FETCH 4827313:4828442 FLAGS\r\nA003 FETCH 12 FULL\r\n"
      "a002 SEARCH DELETED FROM \"SMITH\" SINCE 1-Feb-1994\r\nA004 RENAME INBOX old-mail\r\n"
      "A682 LIST \"\" *\r\na UID COPY 1:5 Trash\r\nA005 CHECK\r\n",
      "command UID FETCH A999\n"
      "  seq 4827313:4828442\n"
      "  att FLAGS\n"
      "end\n"
      "command FETCH A003\n"
      "  seq 12\n"
      "  att FULL\n"
      "end\n"
      "command SEARCH a002\n"
      "  key DELETED\n"
      "  key FROM\n"
      "  string SMITH\n"
      "  key SINCE\n"
      "  date 1994-02-01\n"
      "end\n"
      "command RENAME A004\n"
      "  mailbox INBOX\n"
      "  mailbox old-mail\n"
      "end\n"
      "command LIST A682\n"
      "  mailbox \n"
      "  pattern *\n"
      "end\n"
      "command UID COPY a\n"
      "  seq 1:5\n"
      "  mailbox Trash\n"
      "end\n"
      "command CHECK A005\n"
      "end\n");
    /* RFC 4731 ESEARCH, RFC 5256 SORT / THREAD, RFC 5032, RFC 8474, RFC 8514 */
    V("A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"\r\n"
      "A283 SEARCH RETURN () FLAGGED\r\nA284 SEARCH RETURN (SAVE) CHARSET UTF-8 ALL\r\n"
      "A283 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994\r\n"
      "A285 SORT (SUBJECT) US-ASCII TEXT \"not in mailbox\"\r\n"
      "A284 THREAD ORDEREDSUBJECT US-ASCII TEXT \"gewp\"\r\n"
      "a SEARCH OLDER 3600 YOUNGER 60\r\nb SEARCH EMAILID M6d99ac3275bb4e THREADID T64b478a75b7ea9\r\n"
      "c SEARCH SAVEDBEFORE 1-Jan-2000 SAVEDATESUPPORTED\r\n",
      "command SEARCH A282\n"
      "  atom RETURN\n"
      "  (\n"
      "  [1] atom MIN\n"
      "  [1] atom COUNT\n"
      "  )\n"
      "  key FLAGGED\n"
      "  key SINCE\n"
      "  date 1994-02-01\n"
      "  key NOT\n"
      "  [1] key FROM\n"
      "  [1] string Smith\n"
      "end\n"
      "command SEARCH A283\n"
      "  atom RETURN\n"
      "  (\n"
      "  )\n"
      "  key FLAGGED\n"
      "end\n"
      "command SEARCH A284\n"
      "  atom RETURN\n"
      "  (\n"
      "  [1] atom SAVE\n"
      "  )\n"
      "  atom CHARSET\n"
      "  string UTF-8\n"
      "  key ALL\n"
      "end\n"
      "command SORT A283\n"
      "  (\n"
      "  [1] atom SUBJECT\n"
      "  )\n"
      "  string UTF-8\n"
      "  key SINCE\n"
      "  date 1994-02-01\n"
      "end\n"
      "command SORT A285\n"
      "  (\n"
      "  [1] atom SUBJECT\n"
      "  )\n"
      "  string US-ASCII\n"
      "  key TEXT\n"
      "  string not in mailbox\n"
      "end\n"
      "command THREAD A284\n"
      "  atom ORDEREDSUBJECT\n"
      "  string US-ASCII\n"
      "  key TEXT\n"
      "  string gewp\n"
      "end\n"
      "command SEARCH a\n"
      "  key OLDER\n"
      "  number 3600\n"
      "  key YOUNGER\n"
      "  number 60\n"
      "end\n"
      "command SEARCH b\n"
      "  key EMAILID\n"
      "  string M6d99ac3275bb4e\n"
      "  key THREADID\n"
      "  string T64b478a75b7ea9\n"
      "end\n"
      "command SEARCH c\n"
      "  key SAVEDBEFORE\n"
      "  date 2000-01-01\n"
      "  key SAVEDATESUPPORTED\n"
      "end\n");
    /* RFC 2971, 5464, 9208, 4978, 6851, 6154, 5819, 5258 */
    V("a023 ID (\"name\" \"sodr\" \"version\" \"19.34\" \"vendor\" \"Pink Floyd Music Limited\")\r\n"
      "a GETMETADATA INBOX /private/comment\r\na SETMETADATA INBOX (/private/comment NIL)\r\n"
      "G0001 GETQUOTA \"!partition.sda4\"\r\nS0000 GETQUOTA \"\"\r\n"
      "a UID MOVE 42:69 foo\r\nt1 CREATE \"Important Messages\" (USE (\\Important))\r\n"
      "t1 LIST \"\" \"%\" RETURN (SPECIAL-USE)\r\nA02 LIST \"\" % RETURN (STATUS (MESSAGES UNSEEN))\r\n"
      "A01 LIST \"\" (\"foo\" \"foo/*\")\r\nA06 LIST (REMOTE) \"\" \"*\"\r\n",
      "command ID a023\n"
      "  (\n"
      "  [1] string name\n"
      "  [1] string sodr\n"
      "  [1] string version\n"
      "  [1] string 19.34\n"
      "  [1] string vendor\n"
      "  [1] string Pink Floyd Music Limited\n"
      "  )\n"
      "end\n"
      "command GETMETADATA a\n"
      "  mailbox INBOX\n"
      "  atom /private/comment\n"
      "end\n"
      "command SETMETADATA a\n"
      "  mailbox INBOX\n"
      "  (\n"
      "  [1] atom /private/comment\n"
      "  [1] nil\n"
      "  )\n"
      "end\n"
      "command GETQUOTA G0001\n"
      "  string !partition.sda4\n"
      "end\n"
      "command GETQUOTA S0000\n"
      "  string \n"
      "end\n"
      "command UID MOVE a\n"
      "  seq 42:69\n"
      "  mailbox foo\n"
      "end\n"
      "command CREATE t1\n"
      "  mailbox Important Messages\n"
      "  (\n"
      "  [1] atom USE\n"
      "  [1] (\n"
      "  [2] flag \\\\Important\n"
      "  [1] )\n"
      "  )\n"
      "end\n"
      "command LIST t1\n"
      "  mailbox \n"
      "  pattern %\n"
      "  atom RETURN\n"
      "  (\n"
      "  [1] atom SPECIAL-USE\n"
      "  )\n"
      "end\n"
      "command LIST A02\n"
      "  mailbox \n"
      "  pattern %\n"
      "  atom RETURN\n"
      "  (\n"
      "  [1] atom STATUS\n"
      "  [1] (\n"
      "  [2] atom MESSAGES\n"
      "  [2] atom UNSEEN\n"
      "  [1] )\n"
      "  )\n"
      "end\n"
      "command LIST A01\n"
      "  mailbox \n"
      "  (\n"
      "  [1] pattern foo\n"
      "  [1] pattern foo/*\n"
      "  )\n"
      "end\n"
      "command LIST A06\n"
      "  (\n"
      "  [1] atom REMOTE\n"
      "  )\n"
      "  mailbox \n"
      "  pattern *\n"
      "end\n");
    /* RFC 7162 CONDSTORE / QRESYNC, RFC 3516 BINARY, RFC 8970 PREVIEW */
    V("a103 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)\r\n"
      "a104 STORE 1 (UNCHANGEDSINCE 12345) +FLAGS.SILENT \\Deleted\r\n"
      "A03 EXAMINE INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 "
      "15000,22500,27000,29970,29973,29976:29979)))\r\n"
      "a FETCH 1 (BINARY[1.2]<0.100> BINARY[] BINARY.SIZE[2])\r\na FETCH 1:* (EMAILID THREADID PREVIEW)\r\n",
      "command UID FETCH a103\n"
      "  seq 1:*\n"
      "  (\n"
      "  [1] att FLAGS\n"
      "  )\n"
      "  (\n"
      "  [1] atom CHANGEDSINCE\n"
      "  [1] number 12345\n"
      "  )\n"
      "end\n"
      "command STORE a104\n"
      "  seq 1\n"
      "  (\n"
      "  [1] atom UNCHANGEDSINCE\n"
      "  [1] number 12345\n"
      "  )\n"
      "  atom +FLAGS.SILENT\n"
      "  flag \\\\Deleted\n"
      "end\n"
      "command EXAMINE A03\n"
      "  mailbox INBOX\n"
      "  (\n"
      "  [1] atom QRESYNC\n"
      "  [1] (\n"
      "  [2] number 67890007\n"
      "  [2] number 90060115194045000\n"
      "  [2] seq 1:29997\n"
      "  [2] (\n"
      "  [3] seq 5000\n"
      "  [3] seq+ 7500\n"
      "  [3] seq+ 9000\n"
      "  [3] seq+ 9990:9999\n"
      "  [3] seq 15000\n"
      "  [3] seq+ 22500\n"
      "  [3] seq+ 27000\n"
      "  [3] seq+ 29970\n"
      "  [3] seq+ 29973\n"
      "  [3] seq+ 29976:29979\n"
      "  [2] )\n"
      "  [1] )\n"
      "  )\n"
      "end\n"
      "command FETCH a\n"
      "  seq 1\n"
      "  (\n"
      "  [1] att BINARY[1.2]<0.100>\n"
      "  [1] att BINARY[]\n"
      "  [1] att BINARY.SIZE[2]\n"
      "  )\n"
      "end\n"
      "command FETCH a\n"
      "  seq 1:*\n"
      "  (\n"
      "  [1] att EMAILID\n"
      "  [1] att THREADID\n"
      "  [1] att PREVIEW\n"
      "  )\n"
      "end\n");
}

static void test_streamed_strings(void **st)
{
    (void)st;
    /* A string literal longer than max_quoted (lowered to 64 here) is not
     * refused: it is reported with its length and streamed. */
    vec_max_quoted = 64;
    V("M1 SETMETADATA INBOX (/private/comment {70}\r\n"
      "0123456789012345678901234567890123456789012345678901234567890123456789"
      " /shared/x {3}\r\nabc)\r\n"
      "A2 LOGIN {70+}\r\n"
      "0123456789012345678901234567890123456789012345678901234567890123456789 pw\r\n"
      "A3 SEARCH TEXT {66+}\r\n0123456789012345678901234567890123456789012345678901234567890\xc3\xa9xyz"
      "\r\nA4 SEARCH TEXT ~{3}\r\nA5 SEARCH TEXT ~{3+}\r\na\0b\r\nA6 LOGIN ~{1+}\r\na b\r\n",
      "command SETMETADATA M1\n"
      "  mailbox INBOX\n"
      "  (\n"
      "  [1] atom /private/comment\n"
      "  + 70\n"
      "  [1] string-streamed 70\n"
      "chunk literal 0123456789012345678901234567890123456789012345678901234567890123456789\n"
      "  end-literal\n"
      "  [1] atom /shared/x\n"
      "  + 3\n"
      "  [1] string{} abc\n"
      "  )\n"
      "end\n"
      "command LOGIN A2\n"
      "  string-streamed 70\n"
      "chunk literal 0123456789012345678901234567890123456789012345678901234567890123456789\n"
      "  end-literal\n"
      "  string pw\n"
      "end\n"
      "command SEARCH A3\n"
      "  key TEXT\n"
      "  string-streamed 66\n"
      "chunk literal 0123456789012345678901234567890123456789012345678901234567890\\xc3\\xa9xyz\n"
      "  end-literal\n"
      "end\n"
      "command SEARCH A4\n"
      "  key TEXT\n"
      "bad A4 SEARCH MP_ERR_IMAP_CMD_SYNTAX @333\n"
      "command SEARCH A5\n"
      "  key TEXT\n"
      "bad A5 SEARCH MP_ERR_IMAP_CMD_SYNTAX @354\n"
      "command LOGIN A6\n"
      "bad A6 LOGIN MP_ERR_IMAP_CMD_SYNTAX @375\n");
    vec_max_quoted = 0;
}

static void test_id_limits_and_tags(void **st)
{
    (void)st;
    /* RFC 2971 §3.3 limits; a field must be a string; pairs are complete. */
    V("a1 ID (\"0123456789012345678901234567890\" \"x\")\r\na2 ID (\"name\")\r\n"
      "a3 ID (name \"x\")\r\na4 ID (\"a\" NIL \"b\" (\"c\"))\r\na5 ID ()\r\n",
      "command ID a1\n"
      "  (\n"
      "bad a1 ID MP_ERR_IMAP_CMD_ID_LIMIT @7\n"
      "command ID a2\n"
      "  (\n"
      "  [1] string name\n"
      "bad a2 ID MP_ERR_IMAP_CMD_SYNTAX @60\n"
      "command ID a3\n"
      "  (\n"
      "bad a3 ID MP_ERR_IMAP_CMD_SYNTAX @70\n"
      "command ID a4\n"
      "  (\n"
      "  [1] string a\n"
      "  [1] nil\n"
      "  [1] string b\n"
      "bad a4 ID MP_ERR_IMAP_CMD_SYNTAX @100\n"
      "command ID a5\n"
      "  (\n"
      "  )\n"
      "end\n");
    /* A fault on the first byte of a line is never reported with the tag of
     * the command before. */
    V("a1 NOOP\r\n\0x NOOP\r\n",
      "command NOOP a1\n"
      "end\n"
      "bad * - MP_ERR_NUL @9\n");
}

static void test_status_and_auth_checks(void **st)
{
    (void)st;
    V("A1 STATUS x (MESSAGES FOO)\r\nA2 STATUS x (MESSAGES 5)\r\nA3 STATUS x (UNSEEN (X))\r\n"
      "A4 STATUS x (mailboxid recent)\r\nA5 AUTHENTICATE PLAIN a$b\r\nA6 NOOP\r\n",
      "command STATUS A1\n"
      "  mailbox x\n"
      "  (\n"
      "  [1] atom MESSAGES\n"
      "bad A1 STATUS MP_ERR_IMAP_CMD_SYNTAX @22\n"
      "command STATUS A2\n"
      "  mailbox x\n"
      "  (\n"
      "  [1] atom MESSAGES\n"
      "bad A2 STATUS MP_ERR_IMAP_CMD_SYNTAX @50\n"
      "command STATUS A3\n"
      "  mailbox x\n"
      "  (\n"
      "  [1] atom UNSEEN\n"
      "bad A3 STATUS MP_ERR_IMAP_CMD_SYNTAX @74\n"
      "command STATUS A4\n"
      "  mailbox x\n"
      "  (\n"
      "  [1] atom mailboxid\n"
      "  [1] atom recent\n"
      "  )\n"
      "end\n"
      "command AUTHENTICATE A5\n"
      "  atom PLAIN\n"
      "bad A5 AUTHENTICATE MP_ERR_BASE64 @134\n"
      "command NOOP A6\n"
      "end\n");
    fx.auth_more = 1;
    V("A1 AUTHENTICATE PLAIN\r\nnot base64!\r\nA2 NOOP\r\n",
      "command AUTHENTICATE A1\n"
      "  atom PLAIN\n"
      "end\n"
      "bad A1 AUTHENTICATE MP_ERR_BASE64 @23\n"
      "command NOOP A2\n"
      "end\n");
    fx.auth_more = 0;
}

static void test_transport_switch_stops(void **st)
{
    /* STARTTLS / COMPRESS: feed stops right after the CRLF; the bytes that
     * follow in the same read are left to the host, never parsed
     * (docs/security.md, CVE-2011-0411). */
    static const char in[] = "a1 STARTTLS\r\na2 LOGIN injected x\r\n";
    static const char in2[] = "c1 COMPRESS DEFLATE\r\nxyz";
    size_t used = 0;
    (void)st;
    memset(&fx.cfg, 0, sizeof(fx.cfg));
    fx_reset(&fx);
    mp_evlog_reset(&fx_log);
    fx.log = &fx_log;
    assert_int_equal(mp_imap_cmd_parser_feed(&fx.p, in, sizeof(in) - 1, &used), MP_PAUSED);
    assert_int_equal(used, 13);
    assert_int_equal(mp_imap_cmd_parser_pending(&fx.p), 0);
    assert_string_equal(fx_log.text, "command STARTTLS a1\nend\n");
    fx_reset(&fx);
    mp_evlog_reset(&fx_log);
    assert_int_equal(mp_imap_cmd_parser_feed(&fx.p, in2, sizeof(in2) - 1, &used), MP_PAUSED);
    assert_int_equal(used, 21);
    /* Byte by byte: the same stop, nothing held. */
    fx_reset(&fx);
    for (size_t i = 0; i < 13; i++) {
        mp_status r = mp_imap_cmd_parser_feed(&fx.p, in + i, 1, &used);
        assert_int_equal(used, 1);
        assert_int_equal(r, i == 12 ? MP_PAUSED : MP_NEED_MORE);
    }
    assert_int_equal(mp_imap_cmd_parser_pending(&fx.p), 0);
}

static void test_saved_result(void **st)
{
    (void)st;
    /* RFC 9051 §6.4.4.1 / RFC 5182: "$" is the saved result; "$" with
     * anything else is not a sequence set; "$Junk" stays a keyword. */
    V("A1 UID SEARCH RETURN (SAVE) KEYWORD $Junk\r\nA2 UID FETCH $ (FLAGS)\r\nA3 UID COPY $ Junk\r\n"
      "A4 SEARCH $ UNSEEN\r\nA5 FETCH $,1 FLAGS\r\nA6 STORE $ +FLAGS ($Junk)\r\n",
      "command UID SEARCH A1\n"
      "  atom RETURN\n"
      "  (\n"
      "  [1] atom SAVE\n"
      "  )\n"
      "  key KEYWORD\n"
      "  flag $Junk\n"
      "end\n"
      "command UID FETCH A2\n"
      "  seq $\n"
      "  (\n"
      "  [1] att FLAGS\n"
      "  )\n"
      "end\n"
      "command UID COPY A3\n"
      "  seq $\n"
      "  mailbox Junk\n"
      "end\n"
      "command SEARCH A4\n"
      "  seq $\n"
      "  key UNSEEN\n"
      "end\n"
      "command FETCH A5\n"
      "bad A5 FETCH MP_ERR_IMAP_CMD_SEQSET @116\n"
      "command STORE A6\n"
      "  seq $\n"
      "  atom +FLAGS\n"
      "  (\n"
      "  [1] flag $Junk\n"
      "  )\n"
      "end\n");
}

static void test_preauth_line_limit(void **st)
{
    static char in[12000];
    size_t used;
    (void)st;
    memset(&fx.cfg, 0, sizeof(fx.cfg));
    fx_reset(&fx);
    fx.log = &fx_log;
    /* Before login the parser holds lines to MP_IMAP_MAX_LINE_PREAUTH (8k):
     * a 1k line passes, a 9k line does not; after the host raises the
     * limit the 9k line reaches the ID value check. */
    memcpy(in, "A1 ID (\"x\" \"", 12);
    memset(in + 12, 'v', 1000);
    memcpy(in + 1012, "\")\r\n", 4);
    mp_evlog_reset(&fx_log);
    assert_int_equal(mp_imap_cmd_parser_feed(&fx.p, in, 1016, &used), MP_NEED_MORE);
    assert_non_null(strstr(fx_log.text, "end\n"));
    memcpy(in, "A2 ID (\"x\" \"", 12);
    memset(in + 12, 'v', 9000);
    memcpy(in + 9012, "\")\r\n", 4);
    mp_evlog_reset(&fx_log);
    assert_int_equal(mp_imap_cmd_parser_feed(&fx.p, in, 9016, &used), MP_NEED_MORE);
    assert_non_null(strstr(fx_log.text, "bad A2 ID MP_ERR_LINE_TOO_LONG"));
    mp_imap_cmd_parser_set_max_line(&fx.p, 0);
    mp_evlog_reset(&fx_log);
    assert_int_equal(mp_imap_cmd_parser_feed(&fx.p, in, 9016, &used), MP_NEED_MORE);
    assert_non_null(strstr(fx_log.text, "bad A2 ID MP_ERR_IMAP_TEXT_TOO_LONG"));
}

static void test_preview_modifiers(void **st)
{
    (void)st;
    /* RFC 8970 §7 inside an item list; LAZY only; once per PREVIEW. */
    V("a FETCH 1 (PREVIEW (LAZY) FLAGS)\r\nb FETCH 1 (FLAGS PREVIEW (LAZY))\r\n"
      "c FETCH 1 (PREVIEW (EAGER))\r\nd FETCH 1 (FLAGS (LAZY))\r\ne FETCH 1 (PREVIEW (LAZY) (LAZY))\r\n",
      "command FETCH a\n"
      "  seq 1\n"
      "  (\n"
      "  [1] att PREVIEW\n"
      "  [1] (\n"
      "  [2] atom LAZY\n"
      "  [1] )\n"
      "  [1] att FLAGS\n"
      "  )\n"
      "end\n"
      "command FETCH b\n"
      "  seq 1\n"
      "  (\n"
      "  [1] att FLAGS\n"
      "  [1] att PREVIEW\n"
      "  [1] (\n"
      "  [2] atom LAZY\n"
      "  [1] )\n"
      "  )\n"
      "end\n"
      "command FETCH c\n"
      "  seq 1\n"
      "  (\n"
      "  [1] att PREVIEW\n"
      "  [1] (\n"
      "bad c FETCH MP_ERR_IMAP_CMD_FETCH_ATT @88\n"
      "command FETCH d\n"
      "  seq 1\n"
      "  (\n"
      "  [1] att FLAGS\n"
      "bad d FETCH MP_ERR_IMAP_CMD_FETCH_ATT @114\n"
      "command FETCH e\n"
      "  seq 1\n"
      "  (\n"
      "  [1] att PREVIEW\n"
      "  [1] (\n"
      "  [2] atom LAZY\n"
      "  [1] )\n"
      "bad e FETCH MP_ERR_IMAP_CMD_FETCH_ATT @149\n");
}

static void test_qresync_params(void **st)
{
    (void)st;
    /* RFC 7162 §3.2.5: a lone known UID is still a set; the structure is
     * checked; other select-param atoms pass as extensions. */
    V("A1 SELECT INBOX (QRESYNC (67890007 20050715194045000 41))\r\n"
      "A2 EXAMINE INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000 7)))\r\n"
      "A3 SELECT INBOX (QRESYNC (0 5))\r\nA4 SELECT INBOX (QRESYNC (1))\r\n"
      "A5 SELECT INBOX (QRESYNC (1 2 abc))\r\nA6 SELECT INBOX (QRESYNC (1 2 3 (4)))\r\n"
      "A7 SELECT INBOX (QRESYNC 1)\r\nA8 SELECT INBOX (CONDSTORE X-FOO (1 2))\r\n",
      "command SELECT A1\n"
      "  mailbox INBOX\n"
      "  (\n"
      "  [1] atom QRESYNC\n"
      "  [1] (\n"
      "  [2] number 67890007\n"
      "  [2] number 20050715194045000\n"
      "  [2] seq 41\n"
      "  [1] )\n"
      "  )\n"
      "end\n"
      "command EXAMINE A2\n"
      "  mailbox INBOX\n"
      "  (\n"
      "  [1] atom QRESYNC\n"
      "  [1] (\n"
      "  [2] number 67890007\n"
      "  [2] number 90060115194045000\n"
      "  [2] seq 1:29997\n"
      "  [2] (\n"
      "  [3] seq 5000\n"
      "  [3] seq 7\n"
      "  [2] )\n"
      "  [1] )\n"
      "  )\n"
      "end\n"
      "command SELECT A3\n"
      "  mailbox INBOX\n"
      "  (\n"
      "  [1] atom QRESYNC\n"
      "  [1] (\n"
      "bad A3 SELECT MP_ERR_IMAP_CMD_SYNTAX @159\n"
      "command SELECT A4\n"
      "  mailbox INBOX\n"
      "  (\n"
      "  [1] atom QRESYNC\n"
      "  [1] (\n"
      "  [2] number 1\n"
      "bad A4 SELECT MP_ERR_IMAP_CMD_SYNTAX @193\n"
      "command SELECT A5\n"
      "  mailbox INBOX\n"
      "  (\n"
      "  [1] atom QRESYNC\n"
      "  [1] (\n"
      "  [2] number 1\n"
      "  [2] number 2\n"
      "bad A5 SELECT MP_ERR_IMAP_CMD_SEQSET @227\n"
      "command SELECT A6\n"
      "  mailbox INBOX\n"
      "  (\n"
      "  [1] atom QRESYNC\n"
      "  [1] (\n"
      "  [2] number 1\n"
      "  [2] number 2\n"
      "  [2] seq 3\n"
      "  [2] (\n"
      "  [3] seq 4\n"
      "bad A6 SELECT MP_ERR_IMAP_CMD_SYNTAX @268\n"
      "command SELECT A7\n"
      "  mailbox INBOX\n"
      "  (\n"
      "  [1] atom QRESYNC\n"
      "bad A7 SELECT MP_ERR_IMAP_CMD_SYNTAX @298\n"
      "command SELECT A8\n"
      "  mailbox INBOX\n"
      "  (\n"
      "  [1] atom CONDSTORE\n"
      "  [1] atom X-FOO\n"
      "  [1] (\n"
      "  [2] number 1\n"
      "  [2] number 2\n"
      "  [1] )\n"
      "  )\n"
      "end\n");
}

static void test_auth_line_boundary(void **st)
{
    static char in[MP_IMAP_MAX_AUTH_LINE + 64];
    size_t used, n;
    (void)st;
    memset(&fx.cfg, 0, sizeof(fx.cfg));
    fx_reset(&fx);
    fx.log = &fx_log;
    /* Exactly MP_IMAP_MAX_AUTH_LINE base64 characters: accepted. */
    memcpy(in, "A1 AUTHENTICATE X\r\n", 19);
    assert_int_equal(mp_imap_cmd_parser_feed(&fx.p, in, 19, &used), MP_PAUSED);
    assert_int_equal(mp_imap_cmd_parser_set_mode(&fx.p, MP_IMAP_CMD_MODE_AUTH), MP_OK);
    memset(in, 'Q', MP_IMAP_MAX_AUTH_LINE);
    memcpy(in + MP_IMAP_MAX_AUTH_LINE, "\r\n", 2);
    n = MP_IMAP_MAX_AUTH_LINE + 2;
    mp_evlog_reset(&fx_log);
    assert_int_equal(mp_imap_cmd_parser_feed(&fx.p, in, n, &used), MP_PAUSED);
    assert_int_equal(used, n);
    assert_int_equal(strncmp(fx_log.text, "auth QQQQ", 9), 0);
    /* Back in command mode with the normal limits. */
    mp_evlog_reset(&fx_log);
    assert_int_equal(mp_imap_cmd_parser_feed(&fx.p, "A2 NOOP\r\n", 9, &used), MP_NEED_MORE);
    assert_string_equal(fx_log.text, "command NOOP A2\nend\n");
}

static void test_sizes(void **st)
{
    (void)st;
    /* docs/architecture.md §7: IMAP state under 4 KiB (the host buffer aside). */
    assert_true(sizeof(mp_imap_cmd_parser) <= 2048);
    assert_true(sizeof(mp_imap_writer) <= 64);
    printf("sizeof(mp_imap_cmd_parser) = %zu, sizeof(mp_imap_writer) = %zu\n",
           sizeof(mp_imap_cmd_parser), sizeof(mp_imap_writer));
}

static void test_bad_commands(void **st)
{
    (void)st;
    /* Every bad command gives one "bad" and the next command parses. */
    V("A1 FROB x\r\n+ NOOP\r\n* NOOP\r\n\r\nA2 NOOP extra\r\nA3 LOGIN a\r\nA4 NOOP\r\n",
      "bad A1 - MP_ERR_IMAP_CMD_UNKNOWN @3\n"
      "bad * - MP_ERR_IMAP_CMD_TAG @11\n"
      "bad * - MP_ERR_IMAP_CMD_TAG @19\n"
      "bad * - MP_ERR_IMAP_CMD_TAG @27\n"
      "command NOOP A2\n"
      "bad A2 NOOP MP_ERR_IMAP_CMD_SYNTAX @36\n"
      "command LOGIN A3\n"
      "  string a\n"
      "bad A3 LOGIN MP_ERR_IMAP_CMD_SYNTAX @54\n"
      "command NOOP A4\n"
      "end\n");
    V("A1 SEARCH FOO\r\nA2 SEARCH (ALL\r\nA3 SEARCH ALL)\r\nA4 FETCH 1 BODY[HEADER.FIELDS]\r\n"
      "A5 FETCH 1 (ALL)\r\nA6 FETCH 0 FLAGS\r\nA7 FETCH 1:4294967296 FLAGS\r\nA8 NOOP\r\n",
      "command SEARCH A1\n"
      "bad A1 SEARCH MP_ERR_IMAP_CMD_SEARCH_KEY @10\n"
      "command SEARCH A2\n"
      "  (\n"
      "  [1] key ALL\n"
      "bad A2 SEARCH MP_ERR_IMAP_CMD_SYNTAX @29\n"
      "command SEARCH A3\n"
      "  key ALL\n"
      "bad A3 SEARCH MP_ERR_IMAP_CMD_SYNTAX @44\n"
      "command FETCH A4\n"
      "  seq 1\n"
      "bad A4 FETCH MP_ERR_IMAP_CMD_FETCH_ATT @76\n"
      "command FETCH A5\n"
      "  seq 1\n"
      "  (\n"
      "bad A5 FETCH MP_ERR_IMAP_CMD_FETCH_ATT @91\n"
      "command FETCH A6\n"
      "bad A6 FETCH MP_ERR_IMAP_CMD_SEQSET @106\n"
      "command FETCH A7\n"
      "bad A7 FETCH MP_ERR_IMAP_CMD_SEQSET @124\n"
      "command NOOP A8\n"
      "end\n");
    V("A1 STORE 1 FLAGS (\\*)\r\nA2 SEARCH SINCE 31-Foo-2000\r\nA3 APPEND x \"7-Feb-1994\" {1}\r\n"
      "A4 APPEND x UTF8 (~{1+}\r\nx)\r\nA5 NOOP\r\n",
      "command STORE A1\n"
      "  seq 1\n"
      "  atom FLAGS\n"
      "  (\n"
      "bad A1 STORE MP_ERR_IMAP_CMD_SYNTAX @18\n"
      "command SEARCH A2\n"
      "  key SINCE\n"
      "bad A2 SEARCH MP_ERR_IMAP_CMD_DATETIME @39\n"
      "command APPEND A3\n"
      "  mailbox x\n"
      "bad A3 APPEND MP_ERR_IMAP_CMD_DATETIME @64\n"
      "command APPEND A4\n"
      "  mailbox x\n"
      "bad A4 APPEND MP_ERR_UNSUPPORTED @94\n"
      "command NOOP A5\n"
      "end\n");
}

/* RFC 4469 CATENATE and RFC 6855 UTF8 APPEND: what the grammar refuses. */
static void test_catenate_errors(void **st)
{
    (void)st;
    /* cat-part *(SP cat-part): an empty list, an unknown part, a missing
     * "(" or ")", no SP between parts; the literal of a bad part is
     * skipped, never parsed.  A8 is good: MULTIAPPEND, a CATENATE message
     * then a plain one. */
    V("A1 APPEND x CATENATE ()\r\nA2 APPEND x CATENATE (FOO {3+}\r\nA3 )\r\n"
      "A4 APPEND x CATENATE TEXT {1+}\r\nx\r\nA5 APPEND x CATENATE (TEXT {1+}\r\nx\r\n"
      "A6 APPEND x CATENATE (URL \"/a\";TEXT {1+}\r\nx)\r\nA7 APPEND x CATENATE(URL a)\r\n"
      "A8 APPEND x CATENATE (URL a) {1+}\r\nx\r\nA9 NOOP\r\n",
      "command APPEND A1\n"
      "  mailbox x\n"
      "  catenate (\n"
      "bad A1 APPEND MP_ERR_IMAP_CMD_SYNTAX @22\n"
      "command APPEND A2\n"
      "  mailbox x\n"
      "  catenate (\n"
      "bad A2 APPEND MP_ERR_IMAP_CMD_SYNTAX @47\n"
      "command APPEND A4\n"
      "  mailbox x\n"
      "  catenate (\n"
      "bad A4 APPEND MP_ERR_IMAP_CMD_SYNTAX @84\n"
      "command APPEND A5\n"
      "  mailbox x\n"
      "  catenate (\n"
      "  [1] text 1\n"
      "chunk literal x\n"
      "  end-literal\n"
      "bad A5 APPEND MP_ERR_IMAP_CMD_SYNTAX @132\n"
      "command APPEND A6\n"
      "  mailbox x\n"
      "  catenate (\n"
      "  [1] url /a\n"
      "bad A6 APPEND MP_ERR_IMAP_CMD_SYNTAX @164\n"
      "command APPEND A7\n"
      "  mailbox x\n"
      "  catenate (\n"
      "bad A7 APPEND MP_ERR_IMAP_CMD_SYNTAX @200\n"
      "command APPEND A8\n"
      "  mailbox x\n"
      "  catenate (\n"
      "  [1] url a\n"
      "  catenate )\n"
      "  message 1\n"
      "chunk literal x\n"
      "  end-literal\n"
      "end\n"
      "command NOOP A9\n"
      "end\n");
    /* "TEXT" SP literal: never literal8 (refused before "+"), never NUL. */
    V("B1 APPEND x CATENATE (TEXT ~{3}\r\nB2 APPEND x CATENATE (TEXT ~{3+}\r\na\0b)\r\n"
      "B3 APPEND x CATENATE (TEXT {3+}\r\na\0b)\r\nB4 NOOP\r\n",
      "command APPEND B1\n"
      "  mailbox x\n"
      "  catenate (\n"
      "bad B1 APPEND MP_ERR_IMAP_CMD_SYNTAX @27\n"
      "command APPEND B2\n"
      "  mailbox x\n"
      "  catenate (\n"
      "bad B2 APPEND MP_ERR_IMAP_CMD_SYNTAX @60\n"
      "command APPEND B3\n"
      "  mailbox x\n"
      "  catenate (\n"
      "  [1] text 3\n"
      "chunk literal a\n"
      "bad B3 APPEND MP_ERR_NUL @107\n"
      "command NOOP B4\n"
      "end\n");
    /* url = "URL" SP astring holding a URL: not empty, no control
     * characters, not literal8; a literal is one whole value. */
    V("C1 APPEND x CATENATE (URL \"\")\r\nC2 APPEND x CATENATE (URL {4+}\r\na\r\nb)\r\n"
      "C3 APPEND x CATENATE (URL ~{1+}\r\na)\r\nC4 APPEND x CATENATE (URL {4}\r\n/a;b)\r\n"
      "C5 APPEND x CATENATE (URL NIL)\r\n",
      "command APPEND C1\n"
      "  mailbox x\n"
      "  catenate (\n"
      "bad C1 APPEND MP_ERR_IMAP_CMD_SYNTAX @26\n"
      "command APPEND C2\n"
      "  mailbox x\n"
      "  catenate (\n"
      "bad C2 APPEND MP_ERR_IMAP_CMD_SYNTAX @57\n"
      "command APPEND C3\n"
      "  mailbox x\n"
      "  catenate (\n"
      "bad C3 APPEND MP_ERR_IMAP_CMD_SYNTAX @96\n"
      "command APPEND C4\n"
      "  mailbox x\n"
      "  catenate (\n"
      "  + 4\n"
      "  [1] url{} /a;b\n"
      "  catenate )\n"
      "end\n"
      "command APPEND C5\n"
      "  mailbox x\n"
      "  catenate (\n"
      "  [1] url NIL\n"
      "  catenate )\n"
      "end\n");
    /* A literal where APPEND has none is refused before "+". */
    V("D1 APPEND x (\\Seen {2}\r\nD2 APPEND x {1+}\r\na{1}\r\nD3 NOOP\r\n",
    "command APPEND D1\n"
    "  mailbox x\n"
    "  (\n"
    "  [1] flag \\\\Seen\n"
    "bad D1 APPEND MP_ERR_IMAP_CMD_SYNTAX @19\n"
    "command APPEND D2\n"
    "  mailbox x\n"
    "  message 1\n"
    "chunk literal a\n"
    "  end-literal\n"
    "bad D2 APPEND MP_ERR_IMAP_CMD_SYNTAX @43\n"
    "command NOOP D3\n"
    "end\n");
}

static void test_catenate_limits(void **st)
{
    (void)st;
    /* A URL longer than the string limits: quoted, literal, atom. */
    vec_max_quoted = 64;
    V("A1 APPEND x CATENATE (URL \"/INBOX;UIDVALIDITY=1/;UID=1/;section=1.2.3.4.5.6.7.8.9.10.11.12.13\")\r\n"
      "A2 APPEND x CATENATE (URL {65+}\r\n/INBOX;UIDVALIDITY=1/;UID=1/;section=1.2.3.4.5.6.7.8.9.10.11.12.13)\r\n"
      "A3 APPEND x CATENATE (URL \"/INBOX;UIDVALIDITY=1/;UID=1\")\r\n",
      "command APPEND A1\n"
      "  mailbox x\n"
      "  catenate (\n"
      "bad A1 APPEND MP_ERR_IMAP_TEXT_TOO_LONG @26\n"
      "command APPEND A2\n"
      "  mailbox x\n"
      "  catenate (\n"
      "bad A2 APPEND MP_ERR_IMAP_STRING_TOO_LONG @123\n"
      "command APPEND A3\n"
      "  mailbox x\n"
      "  catenate (\n"
      "  [1] url /INBOX;UIDVALIDITY=1/;UID=1\n"
      "  catenate )\n"
      "end\n");
    vec_max_quoted = 0;
    {
        static char in[2048];
        size_t n = (size_t)snprintf(in, sizeof(in), "A4 APPEND x CATENATE (URL /");
        memset(in + n, 'u', MP_IMAP_MAX_ATOM);
        n += MP_IMAP_MAX_ATOM;
        memcpy(in + n, ")\r\nA5 NOOP\r\n", 12);
        run_vec(0, 0, in, n + 12,
        "command APPEND A4\n"
        "  mailbox x\n"
        "  catenate (\n"
        "bad A4 APPEND MP_ERR_IMAP_ATOM_TOO_LONG @26\n"
        "command NOOP A5\n"
        "end\n");
    }
    /* TEXT parts count toward the literals of one command and their bytes
     * toward max_literal_total, like message literals. */
    {
        static char in[4096];
        size_t n = (size_t)snprintf(in, sizeof(in), "A6 APPEND x CATENATE (");
        for (int i = 0; i < 40; i++)
            n += (size_t)snprintf(in + n, sizeof(in) - n, "%sTEXT {1+}\r\nx", i ? " " : "");
        n += (size_t)snprintf(in + n, sizeof(in) - n, ")\r\nA7 NOOP\r\n");
        run_vec(0, 0, in, n,
        "command APPEND A6\n"
        "  mailbox x\n"
        "  catenate (\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "  [1] text 1\n"
        "chunk literal x\n"
        "  end-literal\n"
        "bad A6 APPEND MP_ERR_IMAP_TOO_MANY_LITERALS @443\n"
        "command NOOP A7\n"
        "end\n");
    }
    vec_max_total = 10;
    V("A8 APPEND x CATENATE (TEXT {6+}\r\nabcdef URL a TEXT {5+}\r\nghijk)\r\n"
      "A9 APPEND x CATENATE (TEXT {4+}\r\nabcd TEXT {7}\r\nA10 NOOP\r\n",
      "command APPEND A8\n"
      "  mailbox x\n"
      "  catenate (\n"
      "  [1] text 6\n"
      "chunk literal abcdef\n"
      "  end-literal\n"
      "  [1] url a\n"
      "bad A8 APPEND MP_ERR_IMAP_CMD_LITERAL_TOTAL @51\n"
      "command APPEND A9\n"
      "  mailbox x\n"
      "  catenate (\n"
      "  [1] text 4\n"
      "chunk literal abcd\n"
      "  end-literal\n"
      "bad A9 APPEND MP_ERR_IMAP_CMD_LITERAL_TOTAL @108\n"
      "command NOOP A10\n"
      "end\n");
    vec_max_total = 0;
    /* The host refuses a sync TEXT literal (too big, TOOBIG): the client
     * sends no bytes, the next line is a new command. */
    fx.reject_literals = 1;
    V("A11 APPEND x CATENATE (URL a TEXT {100000}\r\nA12 NOOP\r\n",
    "command APPEND A11\n"
    "  mailbox x\n"
    "  catenate (\n"
    "  [1] url a\n"
    "  + 100000\n"
    "bad A11 APPEND MP_ERR_IMAP_CMD_LITERAL_REJECTED @34\n"
    "command NOOP A12\n"
    "end\n");
    fx.reject_literals = 0;
}

/* RFC 6855 §4: "UTF8" SP "(" literal8 ")" only in UTF8=ACCEPT mode. */
static void test_append_utf8(void **st)
{
    (void)st;
    V("A1 APPEND x UTF8 (~{2+}\r\n\xc3\xa9)\r\nA2 APPEND x CATENATE (UTF8 (~{1+}\r\na))\r\n"
      "A3 NOOP\r\n",
      "command APPEND A1\n"
      "  mailbox x\n"
      "bad A1 APPEND MP_ERR_UNSUPPORTED @12\n"
      "command APPEND A2\n"
      "  mailbox x\n"
      "  catenate (\n"
      "bad A2 APPEND MP_ERR_UNSUPPORTED @52\n"
      "command NOOP A3\n"
      "end\n");
    VM(MP_IMAP_UTF8,
       "A1 APPEND x UTF8 (~{2}\r\n\xc3\xa9)\r\nA2 APPEND x CATENATE (UTF8 (~{1+}\r\na))\r\n"
       "A3 APPEND x UTF8 ({1}\r\nA4 APPEND x UTF8 (~{1+}\r\na\r\nA5 APPEND x UTF8 ~{1+}\r\na\r\n"
       "A6 APPEND x UTF8 (~{1+}\r\na) UTF8 (~{0+}\r\n)\r\n",
       "command APPEND A1\n"
       "  mailbox x\n"
       "  + 2\n"
       "  message 2 binary utf8\n"
       "chunk literal \\xc3\\xa9\n"
       "  end-literal\n"
       "end\n"
       "command APPEND A2\n"
       "  mailbox x\n"
       "  catenate (\n"
       "  [1] text 1 binary utf8\n"
       "chunk literal a\n"
       "  end-literal\n"
       "  catenate )\n"
       "end\n"
       "command APPEND A3\n"
       "  mailbox x\n"
       "bad A3 APPEND MP_ERR_IMAP_CMD_SYNTAX @87\n"
       "command APPEND A4\n"
       "  mailbox x\n"
       "  message 1 binary utf8\n"
       "chunk literal a\n"
       "  end-literal\n"
       "bad A4 APPEND MP_ERR_IMAP_CMD_SYNTAX @118\n"
       "command APPEND A5\n"
       "  mailbox x\n"
       "bad A5 APPEND MP_ERR_IMAP_CMD_SYNTAX @137\n"
       "command APPEND A6\n"
       "  mailbox x\n"
       "  message 1 binary utf8\n"
       "chunk literal a\n"
       "  end-literal\n"
       "  message 0 binary utf8\n"
       "  end-literal\n"
       "end\n");
    /* A URL is 7-bit even where quoted strings may hold UTF-8. */
    VM(MP_IMAP_UTF8, "E1 APPEND x CATENATE (URL \"/\xc3\xa9\")\r\n",
       "command APPEND E1\n"
       "  mailbox x\n"
       "  catenate (\n"
       "bad E1 APPEND MP_ERR_IMAP_CMD_SYNTAX @26\n");
}

static void test_literal_lengths(void **st)
{
    (void)st;
    V("A1 LOGIN {-1}\r\nA2 NOOP\r\n",
      "command LOGIN A1\n"
      "bad A1 LOGIN MP_ERR_IMAP_LITERAL_SYNTAX @9\n"
      "command NOOP A2\n"
      "end\n");
    V("A1 LOGIN {4294967296}\r\nA2 NOOP\r\n",
      "command LOGIN A1\n"
      "bad A1 LOGIN MP_ERR_IMAP_LITERAL_RANGE @9\n"
      "command NOOP A2\n"
      "end\n");
    V("A1 LOGIN {99999999999999999999}\r\nA2 NOOP\r\n",
      "command LOGIN A1\n"
      "bad A1 LOGIN MP_ERR_IMAP_LITERAL_RANGE @9\n"
      "command NOOP A2\n"
      "end\n");
    V("A1 LOGIN {4294967296+}\r\nA2 NOOP\r\n",
      "command LOGIN A1\n");
    /* Above the "other" literal policy (64 KiB) but non-sync: the bytes are
     * skipped, never parsed as commands. */
    {
        static char in[70000 + 64];
        size_t n = 0;
        memcpy(in, "A1 LOGIN {70000+}\r\n", 19);
        n = 19;
        for (size_t i = 0; i < 70000; i++)
            in[n++] = (i % 50 == 0) ? '\n' : 'x';
        memcpy(in + n, " p\r\nA2 NOOP\r\n", 13);
        n += 13;
        mp_split_target t = { fx_reset, fx_feed, NULL, &fx };
        memset(&fx.cfg, 0, sizeof(fx.cfg));
        mp_split_check(&t, in, n,
                       "command LOGIN A1\n"
                       "bad A1 LOGIN MP_ERR_IMAP_LITERAL_LIMIT @9\n"
                       "command NOOP A2\n"
                       "end\n");
    }
    /* LITERAL-: a non-sync literal above 4096 is refused and skipped. */
    {
        static char in[5000 + 64];
        size_t n;
        memcpy(in, "A1 APPEND INBOX {4097+}\r\n", 25);
        n = 25;
        memset(in + n, 'A', 4097);
        memcpy(in + n, "A9 LOGOUT\r\n", 11); /* inside the literal: never a command */
        n += 4097;
        memcpy(in + n, "\r\nA2 NOOP\r\n", 11);
        n += 11;
        mp_split_target t = { fx_reset, fx_feed, NULL, &fx };
        memset(&fx.cfg, 0, sizeof(fx.cfg));
        fx.cfg.mode = MP_IMAP_LITERAL_MINUS;
        mp_split_check(&t, in, n,
                       "command APPEND A1\n"
                       "  mailbox INBOX\n"
                       "bad A1 APPEND MP_ERR_IMAP_NONSYNC_TOO_BIG @16\n"
                       "command NOOP A2\n"
                       "end\n");
    }
}

static void test_literal_rejection(void **st)
{
    (void)st;
    /* The host refuses the sync literal before "+": the client sends no
     * bytes, the next line is a new command. */
    fx.reject_literals = 1;
    V("A1 APPEND INBOX {100000}\r\nA2 NOOP\r\n",
      "command APPEND A1\n"
      "  mailbox INBOX\n"
      "  + 100000\n"
      "bad A1 APPEND MP_ERR_IMAP_CMD_LITERAL_REJECTED @16\n"
      "command NOOP A2\n"
      "end\n");
    V("A1 LOGIN {5}\r\nA2 LOGIN a b\r\n",
      "command LOGIN A1\n"
      "  + 5\n"
      "bad A1 LOGIN MP_ERR_IMAP_CMD_LITERAL_REJECTED @9\n"
      "command LOGIN A2\n"
      "  string a\n"
      "  string b\n"
      "end\n");
    fx.reject_literals = 0;
    /* Too many literals in one command. */
    {
        static char in[4096];
        size_t n = 0;
        memcpy(in, "A1 ID (", 7);
        n = 7;
        for (int i = 0; i < 40; i++) {
            memcpy(in + n, i ? " {1+}\r\nx" : "{1+}\r\nx", i ? 8 : 7);
            n += i ? 8 : 7;
        }
        memcpy(in + n, ")\r\nA2 NOOP\r\n", 12);
        n += 12;
        run_vec(0, 0, in, n,
      "command ID A1\n"
      "  (\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "  [1] string{} x\n"
      "bad A1 ID MP_ERR_IMAP_TOO_MANY_LITERALS @263\n"
      "command NOOP A2\n"
      "end\n");
    }
}

static void test_bytes_and_lines(void **st)
{
    (void)st;
    V("A1 LOGIN a\0b c\r\nA2 LOGIN \"a\0b\" c\r\nA3 LOGIN {3+}\r\na\0b c\r\nA4 NOOP\r\n",
      "command LOGIN A1\n"
      "  string a\n"
      "bad A1 LOGIN MP_ERR_NUL @10\n"
      "command LOGIN A2\n"
      "bad A2 LOGIN MP_ERR_NUL @27\n"
      "command LOGIN A3\n"
      "bad A3 LOGIN MP_ERR_NUL @50\n"
      "command NOOP A4\n"
      "end\n");
    V("A1 LOGIN \xc3\xa9 c\r\nA2 LOGIN \"\xc3\xa9\" c\r\nA3 NOOP\r\n",
      "command LOGIN A1\n"
      "bad A1 LOGIN MP_ERR_8BIT @9\n"
      "command LOGIN A2\n"
      "bad A2 LOGIN MP_ERR_8BIT @25\n"
      "command NOOP A3\n"
      "end\n");
    VM(MP_IMAP_UTF8, "A1 LOGIN \xc3\xa9 c\r\nA2 LOGIN \"\xc3\xa9\" c\r\nA3 NOOP\r\n",
      "command LOGIN A1\n"
      "bad A1 LOGIN MP_ERR_8BIT @9\n"
      "command LOGIN A2\n"
      "  string \\xc3\\xa9\n"
      "  string c\n"
      "end\n"
      "command NOOP A3\n"
      "end\n");
    V("A1 NOOP\nA2 NOOP\r\nA3 NO\rOP\r\nA4 NOOP\r\n",
      "command NOOP A1\n"
      "bad A1 NOOP MP_ERR_BARE_LF @7\n"
      "command NOOP A2\n"
      "end\n"
      "bad A3 - MP_ERR_IMAP_CMD_UNKNOWN @20\n"
      "command NOOP A4\n"
      "end\n");
    run_vec(0, MP_IMAP_Q_LF_LINES, "A1 NOOP\nA2 NOOP\r\n", 17,
      "command NOOP A1\n"
      "end\n"
      "command NOOP A2\n"
      "end\n");
    {
        static const char ts[] = "A1 NOOP \r\nA2 SEARCH ALL \r\nA3 ENABLE X \r\nA4 SELECT x \r\n"
                                 "A5 STORE 1 FLAGS \\Seen \r\nA6 LOGIN a  b\r\nA7 NOOP  \r\n";
        run_vec(0, 0, ts, sizeof(ts) - 1,
      "command NOOP A1\n"
      "bad A1 NOOP MP_ERR_IMAP_CMD_SYNTAX @7\n"
      "command SEARCH A2\n"
      "  key ALL\n"
      "bad A2 SEARCH MP_ERR_IMAP_CMD_SYNTAX @24\n"
      "command ENABLE A3\n"
      "  atom X\n"
      "bad A3 ENABLE MP_ERR_IMAP_CMD_SYNTAX @38\n"
      "command SELECT A4\n"
      "  mailbox x\n"
      "bad A4 SELECT MP_ERR_IMAP_CMD_SYNTAX @52\n"
      "command STORE A5\n"
      "  seq 1\n"
      "  atom FLAGS\n"
      "  flag \\\\Seen\n"
      "bad A5 STORE MP_ERR_IMAP_CMD_SYNTAX @77\n"
      "command LOGIN A6\n"
      "  string a\n"
      "bad A6 LOGIN MP_ERR_IMAP_CMD_SYNTAX @90\n"
      "command NOOP A7\n"
      "bad A7 NOOP MP_ERR_IMAP_CMD_SYNTAX @101\n");
        run_vec(0, MP_IMAP_Q_TRAILING_SPACE, ts, sizeof(ts) - 1,
      "command NOOP A1\n"
      "end\n"
      "command SEARCH A2\n"
      "  key ALL\n"
      "end\n"
      "command ENABLE A3\n"
      "  atom X\n"
      "end\n"
      "command SELECT A4\n"
      "  mailbox x\n"
      "end\n"
      "command STORE A5\n"
      "  seq 1\n"
      "  atom FLAGS\n"
      "  flag \\\\Seen\n"
      "end\n"
      "command LOGIN A6\n"
      "  string a\n"
      "bad A6 LOGIN MP_ERR_IMAP_CMD_SYNTAX @90\n"
      "command NOOP A7\n"
      "end\n");
    }
    /* Over-long line (limit lowered to 64 bytes for the vector). */
    vec_max_line = 64;
    V("A1 LOGIN \"0123456789012345678901234567890123456789\" \"0123456789012345678901\"\r\n"
      "A2 LOGIN a b\r\n",
      "command LOGIN A1\n"
      "  string 0123456789012345678901234567890123456789\n"
      "bad A1 LOGIN MP_ERR_LINE_TOO_LONG @64\n"
      "command LOGIN A2\n"
      "  string a\n"
      "  string b\n"
      "end\n");
    vec_max_line = 0;
}

static void test_search_depth(void **st)
{
    static char in[1000100];
    size_t n;
    (void)st;
    /* A million "(": stopped at MP_IMAP_MAX_DEPTH, fast, and the next
     * command parses.  Only the whole input and a few splits (the harness
     * does byte-by-byte only up to 4 KiB). */
    memcpy(in, "A1 SEARCH ", 10);
    n = 10;
    memset(in + n, '(', 1000000);
    n += 1000000;
    memcpy(in + n, "\r\nA2 NOOP\r\n", 11);
    n += 11;
    run_vec(0, 0, in, n,
      "command SEARCH A1\n"
      "  (\n"
      "  [1] (\n"
      "  [2] (\n"
      "  [3] (\n"
      "  [4] (\n"
      "  [5] (\n"
      "  [6] (\n"
      "  [7] (\n"
      "  [8] (\n"
      "  [9] (\n"
      "  [10] (\n"
      "  [11] (\n"
      "  [12] (\n"
      "  [13] (\n"
      "  [14] (\n"
      "  [15] (\n"
      "  [16] (\n"
      "  [17] (\n"
      "  [18] (\n"
      "  [19] (\n"
      "  [20] (\n"
      "  [21] (\n"
      "  [22] (\n"
      "  [23] (\n"
      "  [24] (\n"
      "  [25] (\n"
      "  [26] (\n"
      "  [27] (\n"
      "  [28] (\n"
      "  [29] (\n"
      "  [30] (\n"
      "  [31] (\n"
      "  [32] (\n"
      "  [33] (\n"
      "  [34] (\n"
      "  [35] (\n"
      "  [36] (\n"
      "  [37] (\n"
      "  [38] (\n"
      "  [39] (\n"
      "  [40] (\n"
      "  [41] (\n"
      "  [42] (\n"
      "  [43] (\n"
      "  [44] (\n"
      "  [45] (\n"
      "  [46] (\n"
      "  [47] (\n"
      "  [48] (\n"
      "  [49] (\n"
      "  [50] (\n"
      "  [51] (\n"
      "  [52] (\n"
      "  [53] (\n"
      "  [54] (\n"
      "  [55] (\n"
      "  [56] (\n"
      "  [57] (\n"
      "  [58] (\n"
      "  [59] (\n"
      "  [60] (\n"
      "  [61] (\n"
      "  [62] (\n"
      "  [63] (\n"
      "bad A1 SEARCH MP_ERR_IMAP_DEPTH @74\n"
      "command NOOP A2\n"
      "end\n");
    /* NOT NOT NOT ... without parentheses hits the search stack bound. */
    memcpy(in, "A1 SEARCH ", 10);
    n = 10;
    for (int i = 0; i < 100; i++) {
        memcpy(in + n, "NOT ", 4);
        n += 4;
    }
    memcpy(in + n, "ALL\r\nA2 NOOP\r\n", 14);
    n += 14;
    run_vec(0, 0, in, n,
      "command SEARCH A1\n"
      "  key NOT\n"
      "  [1] key NOT\n"
      "  [2] key NOT\n"
      "  [3] key NOT\n"
      "  [4] key NOT\n"
      "  [5] key NOT\n"
      "  [6] key NOT\n"
      "  [7] key NOT\n"
      "  [8] key NOT\n"
      "  [9] key NOT\n"
      "  [10] key NOT\n"
      "  [11] key NOT\n"
      "  [12] key NOT\n"
      "  [13] key NOT\n"
      "  [14] key NOT\n"
      "  [15] key NOT\n"
      "  [16] key NOT\n"
      "  [17] key NOT\n"
      "  [18] key NOT\n"
      "  [19] key NOT\n"
      "  [20] key NOT\n"
      "  [21] key NOT\n"
      "  [22] key NOT\n"
      "  [23] key NOT\n"
      "  [24] key NOT\n"
      "  [25] key NOT\n"
      "  [26] key NOT\n"
      "  [27] key NOT\n"
      "  [28] key NOT\n"
      "  [29] key NOT\n"
      "  [30] key NOT\n"
      "  [31] key NOT\n"
      "  [32] key NOT\n"
      "  [33] key NOT\n"
      "  [34] key NOT\n"
      "  [35] key NOT\n"
      "  [36] key NOT\n"
      "  [37] key NOT\n"
      "  [38] key NOT\n"
      "  [39] key NOT\n"
      "  [40] key NOT\n"
      "  [41] key NOT\n"
      "  [42] key NOT\n"
      "  [43] key NOT\n"
      "  [44] key NOT\n"
      "  [45] key NOT\n"
      "  [46] key NOT\n"
      "  [47] key NOT\n"
      "  [48] key NOT\n"
      "  [49] key NOT\n"
      "  [50] key NOT\n"
      "  [51] key NOT\n"
      "  [52] key NOT\n"
      "  [53] key NOT\n"
      "  [54] key NOT\n"
      "  [55] key NOT\n"
      "  [56] key NOT\n"
      "  [57] key NOT\n"
      "  [58] key NOT\n"
      "  [59] key NOT\n"
      "  [60] key NOT\n"
      "  [61] key NOT\n"
      "  [62] key NOT\n"
      "  [63] key NOT\n"
      "  [64] key NOT\n"
      "bad A1 SEARCH MP_ERR_IMAP_DEPTH @266\n"
      "command NOOP A2\n"
      "end\n");
}

static void test_idle_and_auth_modes(void **st)
{
    (void)st;
    V("I1 IDLE\r\nNOPE\r\nDONE\r\nA1 NOOP\r\n",
      "command IDLE I1\n"
      "end\n"
      "bad * IDLE MP_ERR_IMAP_CMD_NOT_DONE @9\n"
      "idle-done\n"
      "command NOOP A1\n"
      "end\n");
    fx.auth_more = 1;
    {
        static char in[20000];
        size_t n;
        memcpy(in, "A1 AUTHENTICATE PLAIN\r\n", 23);
        n = 23;
        memset(in + n, 'Q', MP_IMAP_MAX_AUTH_LINE + 4);
        n += MP_IMAP_MAX_AUTH_LINE + 4;
        memcpy(in + n, "\r\nA2 NOOP\r\n", 11);
        n += 11;
        run_vec(0, 0, in, n,
      "command AUTHENTICATE A1\n"
      "  atom PLAIN\n"
      "end\n"
      "bad A1 AUTHENTICATE MP_ERR_IMAP_CMD_AUTH_LINE @23\n"
      "command NOOP A2\n"
      "end\n");
    }
    fx.auth_more = 0;
}

static void test_rev2_removed(void **st)
{
    (void)st;
    /* RFC 9051 Appendix E: \Recent (NEW, OLD, RECENT, STATUS RECENT) and
     * CHECK are gone from IMAP4rev2; IMAP4rev1 keeps them. */
    static const char in[] = "a SEARCH NEW OLD RECENT\r\nb STATUS INBOX (RECENT MESSAGES)\r\n"
                             "c CHECK\r\nd SEARCH NOT (OR NEW SEEN)\r\n"
                             "e LIST \"\" % RETURN (STATUS (RECENT))\r\nf LSUB \"\" *\r\n"
                             "g SEARCH SUBJECT RECENT\r\n";
    VM(0, in,
      "command SEARCH a\n"
      "  key NEW\n"
      "  key OLD\n"
      "  key RECENT\n"
      "end\n"
      "command STATUS b\n"
      "  mailbox INBOX\n"
      "  (\n"
      "  [1] atom RECENT\n"
      "  [1] atom MESSAGES\n"
      "  )\n"
      "end\n"
      "command CHECK c\n"
      "end\n"
      "command SEARCH d\n"
      "  key NOT\n"
      "  [1] (\n"
      "  [2] key OR\n"
      "  [3] key NEW\n"
      "  [3] key SEEN\n"
      "  [1] )\n"
      "end\n"
      "command LIST e\n"
      "  mailbox \n"
      "  pattern %\n"
      "  atom RETURN\n"
      "  (\n"
      "  [1] atom STATUS\n"
      "  [1] (\n"
      "  [2] atom RECENT\n"
      "  [1] )\n"
      "  )\n"
      "end\n"
      "command LSUB f\n"
      "  mailbox \n"
      "  pattern *\n"
      "end\n"
      "command SEARCH g\n"
      "  key SUBJECT\n"
      "  string RECENT\n"
      "end\n");
    VM(MP_IMAP_REV2, in,
      "command SEARCH a\n"
      "bad a SEARCH MP_ERR_IMAP_CMD_REV1_ONLY @9\n"
      "command STATUS b\n"
      "  mailbox INBOX\n"
      "  (\n"
      "bad b STATUS MP_ERR_IMAP_CMD_REV1_ONLY @41\n"
      "bad c CHECK MP_ERR_IMAP_CMD_REV1_ONLY @61\n"
      "command SEARCH d\n"
      "  key NOT\n"
      "  [1] (\n"
      "  [2] key OR\n"
      "bad d SEARCH MP_ERR_IMAP_CMD_REV1_ONLY @85\n"
      "command LIST e\n"
      "  mailbox \n"
      "  pattern %\n"
      "  atom RETURN\n"
      "  (\n"
      "  [1] atom STATUS\n"
      "  [1] (\n"
      "bad e LIST MP_ERR_IMAP_CMD_REV1_ONLY @124\n"
      "command LSUB f\n"
      "  mailbox \n"
      "  pattern *\n"
      "end\n"
      "command SEARCH g\n"
      "  key SUBJECT\n"
      "  string RECENT\n"
      "end\n");
}

static void test_preview_lone(void **st)
{
    (void)st;
    /* RFC 8970 §7: a lone PREVIEW takes its own (LAZY); any other list
     * after it is the fetch modifiers (RFC 7162). */
    V("a FETCH 1 PREVIEW (LAZY)\r\nb UID FETCH 1 PREVIEW (LAZY) (CHANGEDSINCE 5 VANISHED)\r\n"
      "c FETCH 1 PREVIEW (CHANGEDSINCE 5)\r\nd FETCH 1 (PREVIEW (LAZY) UID)\r\n"
      "e FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)\r\nf FETCH 1 PREVIEW\r\n"
      "g FETCH 1 PREVIEW (LAZY LAZY)\r\nh FETCH 1 PREVIEW ()\r\ni FETCH 1 PREVIEW FLAGS\r\n"
      "j FETCH 1 FLAGS (LAZY)\r\n",
      "command FETCH a\n"
      "  seq 1\n"
      "  att PREVIEW\n"
      "  (\n"
      "  [1] atom LAZY\n"
      "  )\n"
      "end\n"
      "command UID FETCH b\n"
      "  seq 1\n"
      "  att PREVIEW\n"
      "  (\n"
      "  [1] atom LAZY\n"
      "  )\n"
      "  (\n"
      "  [1] atom CHANGEDSINCE\n"
      "  [1] number 5\n"
      "  [1] atom VANISHED\n"
      "  )\n"
      "end\n"
      "command FETCH c\n"
      "  seq 1\n"
      "  att PREVIEW\n"
      "  (\n"
      "  [1] atom CHANGEDSINCE\n"
      "  [1] number 5\n"
      "  )\n"
      "end\n"
      "command FETCH d\n"
      "  seq 1\n"
      "  (\n"
      "  [1] att PREVIEW\n"
      "  [1] (\n"
      "  [2] atom LAZY\n"
      "  [1] )\n"
      "  [1] att UID\n"
      "  )\n"
      "end\n"
      "command FETCH e\n"
      "  seq 1:*\n"
      "  (\n"
      "  [1] att FLAGS\n"
      "  )\n"
      "  (\n"
      "  [1] atom CHANGEDSINCE\n"
      "  [1] number 12345\n"
      "  )\n"
      "end\n"
      "command FETCH f\n"
      "  seq 1\n"
      "  att PREVIEW\n"
      "end\n"
      "command FETCH g\n"
      "  seq 1\n"
      "  att PREVIEW\n"
      "  (\n"
      "  [1] atom LAZY\n"
      "  [1] atom LAZY\n"
      "  )\n"
      "end\n"
      "command FETCH h\n"
      "  seq 1\n"
      "  att PREVIEW\n"
      "  (\n"
      "bad h FETCH MP_ERR_IMAP_CMD_OPTION @261\n"
      "command FETCH i\n"
      "  seq 1\n"
      "  att PREVIEW\n"
      "bad i FETCH MP_ERR_IMAP_CMD_SYNTAX @282\n"
      "command FETCH j\n"
      "  seq 1\n"
      "  att FLAGS\n"
      "  (\n"
      "  [1] atom LAZY\n"
      "  )\n"
      "end\n");
}

static void test_preview_lone_trailing_space(void **st)
{
    static const char in[] = "a FETCH 1 PREVIEW \r\nb FETCH 1 PREVIEW (LAZY) \r\n";
    (void)st;
    /* MP_IMAP_Q_TRAILING_SPACE: the command could end after PREVIEW */
    run_vec(0, MP_IMAP_Q_TRAILING_SPACE, in, sizeof(in) - 1,
            "command FETCH a\n"
            "  seq 1\n"
            "  att PREVIEW\n"
            "end\n"
            "command FETCH b\n"
            "  seq 1\n"
            "  att PREVIEW\n"
            "  (\n"
            "  [1] atom LAZY\n"
            "  )\n"
            "end\n");
    V("a FETCH 1 PREVIEW \r\n",
      "command FETCH a\n"
      "  seq 1\n"
      "  att PREVIEW\n"
      "bad a FETCH MP_ERR_IMAP_CMD_SYNTAX @18\n");
}

static void test_fetch_store_modifiers(void **st)
{
    (void)st;
    /* RFC 7162 §3.1.4.1, §3.2.6, §3.1.3; RFC 4466 tagged-ext for others. */
    V("a FETCH 1 FLAGS (CHANGEDSINCE 0)\r\nb FETCH 1 FLAGS (CHANGEDSINCE 5 VANISHED)\r\n"
      "c UID FETCH 1 FLAGS (VANISHED)\r\nd UID FETCH 1 FLAGS (CHANGEDSINCE x)\r\n"
      "e FETCH 1 FLAGS (X-FOO 1:5 X-BAR (a (b)) X-BAZ)\r\nf FETCH 1 FLAGS ()\r\n"
      "g FETCH 1 FLAGS (CHANGEDSINCE 9223372036854775808)\r\nh FETCH 1 FLAGS (\"x\")\r\n"
      "i FETCH 1 FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)\r\nj FETCH 1 FLAGS (X-FOO \"s\")\r\n"
      "k STORE 1 (UNCHANGEDSINCE 0) FLAGS \\Seen\r\nl STORE 1 (UNCHANGEDSINCE) FLAGS \\Seen\r\n"
      "m STORE 1 (X-FOO 3) +FLAGS \\Seen\r\nn STORE 1 () FLAGS \\Seen\r\n"
      "o STORE 1 (UNCHANGEDSINCE (1)) FLAGS \\Seen\r\n",
      "command FETCH a\n"
      "  seq 1\n"
      "  att FLAGS\n"
      "  (\n"
      "  [1] atom CHANGEDSINCE\n"
      "  [1] number 0\n"
      "  )\n"
      "end\n"
      "command FETCH b\n"
      "  seq 1\n"
      "  att FLAGS\n"
      "  (\n"
      "  [1] atom CHANGEDSINCE\n"
      "  [1] number 5\n"
      "bad b FETCH MP_ERR_IMAP_CMD_OPTION @66\n"
      "command UID FETCH c\n"
      "  seq 1\n"
      "  att FLAGS\n"
      "  (\n"
      "  [1] atom VANISHED\n"
      "bad c UID FETCH MP_ERR_IMAP_CMD_OPTION @106\n"
      "command UID FETCH d\n"
      "  seq 1\n"
      "  att FLAGS\n"
      "  (\n"
      "  [1] atom CHANGEDSINCE\n"
      "bad d UID FETCH MP_ERR_IMAP_CMD_OPTION @143\n"
      "command FETCH e\n"
      "  seq 1\n"
      "  att FLAGS\n"
      "  (\n"
      "  [1] atom X-FOO\n"
      "  [1] seq 1:5\n"
      "  [1] atom X-BAR\n"
      "  [1] (\n"
      "  [2] atom a\n"
      "  [2] (\n"
      "  [3] atom b\n"
      "  [2] )\n"
      "  [1] )\n"
      "  [1] atom X-BAZ\n"
      "  )\n"
      "end\n"
      "command FETCH f\n"
      "  seq 1\n"
      "  att FLAGS\n"
      "  (\n"
      "bad f FETCH MP_ERR_IMAP_CMD_OPTION @213\n"
      "command FETCH g\n"
      "  seq 1\n"
      "  att FLAGS\n"
      "  (\n"
      "  [1] atom CHANGEDSINCE\n"
      "bad g FETCH MP_ERR_IMAP_CMD_OPTION @246\n"
      "command FETCH h\n"
      "  seq 1\n"
      "  att FLAGS\n"
      "  (\n"
      "bad h FETCH MP_ERR_IMAP_CMD_OPTION @285\n"
      "command FETCH i\n"
      "  seq 1\n"
      "  att FLAGS\n"
      "  (\n"
      "  [1] atom CHANGEDSINCE\n"
      "  [1] number 1\n"
      "bad i FETCH MP_ERR_IMAP_CMD_OPTION @323\n"
      "command FETCH j\n"
      "  seq 1\n"
      "  att FLAGS\n"
      "  (\n"
      "  [1] atom X-FOO\n"
      "bad j FETCH MP_ERR_IMAP_CMD_OPTION @363\n"
      "command STORE k\n"
      "  seq 1\n"
      "  (\n"
      "  [1] atom UNCHANGEDSINCE\n"
      "  [1] number 0\n"
      "  )\n"
      "  atom FLAGS\n"
      "  flag \\\\Seen\n"
      "end\n"
      "command STORE l\n"
      "  seq 1\n"
      "  (\n"
      "  [1] atom UNCHANGEDSINCE\n"
      "bad l STORE MP_ERR_IMAP_CMD_OPTION @436\n"
      "command STORE m\n"
      "  seq 1\n"
      "  (\n"
      "  [1] atom X-FOO\n"
      "  [1] number 3\n"
      "  )\n"
      "  atom +FLAGS\n"
      "  flag \\\\Seen\n"
      "end\n"
      "command STORE n\n"
      "  seq 1\n"
      "  (\n"
      "bad n STORE MP_ERR_IMAP_CMD_OPTION @496\n"
      "command STORE o\n"
      "  seq 1\n"
      "  (\n"
      "  [1] atom UNCHANGEDSINCE\n"
      "bad o STORE MP_ERR_IMAP_CMD_OPTION @537\n");
}

static void test_sort_criteria(void **st)
{
    (void)st;
    /* RFC 5256 §4 sort-criterion = ["REVERSE" SP] sort-key; RFC 5957. */
    V("a SORT (REVERSE ARRIVAL cc DATE FROM SIZE SUBJECT TO DISPLAYFROM DISPLAYTO) UTF-8 ALL\r\n"
      "b SORT (REVERSE) UTF-8 ALL\r\nc SORT (DATE REVERSE) UTF-8 ALL\r\n"
      "d SORT (X-SCORE) UTF-8 ALL\r\ne SORT () UTF-8 ALL\r\nf UID SORT (REVERSE REVERSE DATE) UTF-8 ALL\r\n"
      "g SORT ((DATE)) UTF-8 ALL\r\nh SORT (\"DATE\") UTF-8 ALL\r\n",
      "command SORT a\n"
      "  (\n"
      "  [1] atom REVERSE\n"
      "  [1] atom ARRIVAL\n"
      "  [1] atom cc\n"
      "  [1] atom DATE\n"
      "  [1] atom FROM\n"
      "  [1] atom SIZE\n"
      "  [1] atom SUBJECT\n"
      "  [1] atom TO\n"
      "  [1] atom DISPLAYFROM\n"
      "  [1] atom DISPLAYTO\n"
      "  )\n"
      "  string UTF-8\n"
      "  key ALL\n"
      "end\n"
      "command SORT b\n"
      "  (\n"
      "  [1] atom REVERSE\n"
      "bad b SORT MP_ERR_IMAP_CMD_SORT_KEY @102\n"
      "command SORT c\n"
      "  (\n"
      "  [1] atom DATE\n"
      "  [1] atom REVERSE\n"
      "bad c SORT MP_ERR_IMAP_CMD_SORT_KEY @135\n"
      "command SORT d\n"
      "  (\n"
      "bad d SORT MP_ERR_IMAP_CMD_SORT_KEY @156\n"
      "command SORT e\n"
      "  (\n"
      "bad e SORT MP_ERR_IMAP_CMD_SORT_KEY @184\n"
      "command UID SORT f\n"
      "  (\n"
      "  [1] atom REVERSE\n"
      "bad f UID SORT MP_ERR_IMAP_CMD_SORT_KEY @217\n"
      "command SORT g\n"
      "  (\n"
      "bad g SORT MP_ERR_IMAP_CMD_SORT_KEY @250\n"
      "command SORT h\n"
      "  (\n"
      "bad h SORT MP_ERR_IMAP_CMD_SORT_KEY @277\n");
}

static void test_metadata_options(void **st)
{
    (void)st;
    /* RFC 5464 §4.2: MAXSIZE number, DEPTH 0 / 1 / infinity. */
    V("a GETMETADATA (MAXSIZE 1024 DEPTH infinity) INBOX /private/x\r\n"
      "b GETMETADATA (DEPTH 0) \"\" (/shared/x /private/y)\r\n"
      "c GETMETADATA (DEPTH 2) INBOX /private/x\r\nd GETMETADATA (MAXSIZE) INBOX /private/x\r\n"
      "e GETMETADATA (MAXSIZE 4294967296) INBOX /private/x\r\n"
      "f GETMETADATA (X-FOO (1 2) DEPTH 1) INBOX /private/x\r\ng GETMETADATA () INBOX /private/x\r\n"
      "h GETMETADATA (DEPTH 1 DEPTH 0) INBOX /private/x\r\n",
      "command GETMETADATA a\n"
      "  (\n"
      "  [1] atom MAXSIZE\n"
      "  [1] number 1024\n"
      "  [1] atom DEPTH\n"
      "  [1] atom infinity\n"
      "  )\n"
      "  mailbox INBOX\n"
      "  atom /private/x\n"
      "end\n"
      "command GETMETADATA b\n"
      "  (\n"
      "  [1] atom DEPTH\n"
      "  [1] number 0\n"
      "  )\n"
      "  mailbox \n"
      "  (\n"
      "  [1] atom /shared/x\n"
      "  [1] atom /private/y\n"
      "  )\n"
      "end\n"
      "command GETMETADATA c\n"
      "  (\n"
      "  [1] atom DEPTH\n"
      "bad c GETMETADATA MP_ERR_IMAP_CMD_OPTION @134\n"
      "command GETMETADATA d\n"
      "  (\n"
      "  [1] atom MAXSIZE\n"
      "bad d GETMETADATA MP_ERR_IMAP_CMD_OPTION @177\n"
      "command GETMETADATA e\n"
      "  (\n"
      "  [1] atom MAXSIZE\n"
      "bad e GETMETADATA MP_ERR_IMAP_CMD_OPTION @220\n"
      "command GETMETADATA f\n"
      "  (\n"
      "  [1] atom X-FOO\n"
      "  [1] (\n"
      "  [2] number 1\n"
      "  [2] number 2\n"
      "  [1] )\n"
      "  [1] atom DEPTH\n"
      "  [1] number 1\n"
      "  )\n"
      "  mailbox INBOX\n"
      "  atom /private/x\n"
      "end\n"
      "command GETMETADATA g\n"
      "  (\n"
      "bad g GETMETADATA MP_ERR_IMAP_CMD_OPTION @319\n"
      "command GETMETADATA h\n"
      "  (\n"
      "  [1] atom DEPTH\n"
      "  [1] number 1\n"
      "bad h GETMETADATA MP_ERR_IMAP_CMD_OPTION @362\n");
}

static void test_list_options(void **st)
{
    (void)st;
    /* RFC 5258 §6, RFC 5819, RFC 6154: known options checked, others
     * (option-extension) passed on. */
    V("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" %\r\nb LIST (RECURSIVEMATCH) \"\" %\r\n"
      "c LIST (REMOTE RECURSIVEMATCH) \"\" %\r\nd LIST (RECURSIVEMATCH X-FOO (a b)) \"\" %\r\n"
      "e LIST () \"\" % RETURN ()\r\nf LIST (SPECIAL-USE) \"\" % RETURN (SPECIAL-USE CHILDREN SUBSCRIBED)\r\n"
      "g LIST \"\" % RETURN (STATUS ())\r\nh LIST \"\" % RETURN (STATUS (MESSAGES BOGUS))\r\n"
      "i LIST \"\" % RETURN (STATUS)\r\nj LIST \"\" % RETURN (X-MINE (1 (2)) STATUS (SIZE))\r\n"
      "k LIST \"\" % RETURN (X-MINE 5)\r\nl LIST (1) \"\" %\r\n",
      "command LIST a\n"
      "  (\n"
      "  [1] atom SUBSCRIBED\n"
      "  [1] atom RECURSIVEMATCH\n"
      "  )\n"
      "  mailbox \n"
      "  pattern %\n"
      "end\n"
      "command LIST b\n"
      "  (\n"
      "  [1] atom RECURSIVEMATCH\n"
      "bad b LIST MP_ERR_IMAP_CMD_OPTION @63\n"
      "command LIST c\n"
      "  (\n"
      "  [1] atom REMOTE\n"
      "  [1] atom RECURSIVEMATCH\n"
      "bad c LIST MP_ERR_IMAP_CMD_OPTION @100\n"
      "command LIST d\n"
      "  (\n"
      "  [1] atom RECURSIVEMATCH\n"
      "  [1] atom X-FOO\n"
      "  [1] (\n"
      "  [2] atom a\n"
      "  [2] atom b\n"
      "  [1] )\n"
      "  )\n"
      "  mailbox \n"
      "  pattern %\n"
      "end\n"
      "command LIST e\n"
      "  (\n"
      "  )\n"
      "  mailbox \n"
      "  pattern %\n"
      "  atom RETURN\n"
      "  (\n"
      "  )\n"
      "end\n"
      "command LIST f\n"
      "  (\n"
      "  [1] atom SPECIAL-USE\n"
      "  )\n"
      "  mailbox \n"
      "  pattern %\n"
      "  atom RETURN\n"
      "  (\n"
      "  [1] atom SPECIAL-USE\n"
      "  [1] atom CHILDREN\n"
      "  [1] atom SUBSCRIBED\n"
      "  )\n"
      "end\n"
      "command LIST g\n"
      "  mailbox \n"
      "  pattern %\n"
      "  atom RETURN\n"
      "  (\n"
      "  [1] atom STATUS\n"
      "  [1] (\n"
      "bad g LIST MP_ERR_IMAP_CMD_OPTION @272\n"
      "command LIST h\n"
      "  mailbox \n"
      "  pattern %\n"
      "  atom RETURN\n"
      "  (\n"
      "  [1] atom STATUS\n"
      "  [1] (\n"
      "  [2] atom MESSAGES\n"
      "bad h LIST MP_ERR_IMAP_CMD_OPTION @313\n"
      "command LIST i\n"
      "  mailbox \n"
      "  pattern %\n"
      "  atom RETURN\n"
      "  (\n"
      "  [1] atom STATUS\n"
      "bad i LIST MP_ERR_IMAP_CMD_OPTION @348\n"
      "command LIST j\n"
      "  mailbox \n"
      "  pattern %\n"
      "  atom RETURN\n"
      "  (\n"
      "  [1] atom X-MINE\n"
      "  [1] (\n"
      "  [2] number 1\n"
      "  [2] (\n"
      "  [3] number 2\n"
      "  [2] )\n"
      "  [1] )\n"
      "  [1] atom STATUS\n"
      "  [1] (\n"
      "  [2] atom SIZE\n"
      "  [1] )\n"
      "  )\n"
      "end\n"
      "command LIST k\n"
      "  mailbox \n"
      "  pattern %\n"
      "  atom RETURN\n"
      "  (\n"
      "  [1] atom X-MINE\n"
      "bad k LIST MP_ERR_IMAP_CMD_OPTION @429\n"
      "command LIST l\n"
      "  (\n"
      "bad l LIST MP_ERR_IMAP_CMD_OPTION @441\n");
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
        cmocka_unit_test(test_rfc_extensions),
        cmocka_unit_test(test_streamed_strings),
        cmocka_unit_test(test_id_limits_and_tags),
        cmocka_unit_test(test_status_and_auth_checks),
        cmocka_unit_test(test_transport_switch_stops),
        cmocka_unit_test(test_saved_result),
        cmocka_unit_test(test_preauth_line_limit),
        cmocka_unit_test(test_preview_modifiers),
        cmocka_unit_test(test_qresync_params),
        cmocka_unit_test(test_auth_line_boundary),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_catenate_errors),
        cmocka_unit_test(test_catenate_limits),
        cmocka_unit_test(test_append_utf8),
        cmocka_unit_test(test_bad_commands),
        cmocka_unit_test(test_literal_lengths),
        cmocka_unit_test(test_literal_rejection),
        cmocka_unit_test(test_bytes_and_lines),
        cmocka_unit_test(test_search_depth),
        cmocka_unit_test(test_idle_and_auth_modes),
        cmocka_unit_test(test_rev2_removed),
        cmocka_unit_test(test_preview_lone),
        cmocka_unit_test(test_preview_lone_trailing_space),
        cmocka_unit_test(test_fetch_store_modifiers),
        cmocka_unit_test(test_sort_criteria),
        cmocka_unit_test(test_metadata_options),
        cmocka_unit_test(test_list_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
