/* IMAP command parser on transcripts kept as data files:
 * tests/vectors/imap/cmd/NAME.in is a client's byte stream, NAME.out the
 * expected event log (the format of test_cmd_fixture.h, close to
 * mailproto-dump --proto imap --side server).  Every file runs whole, byte
 * by byte and at random splits.  MP_GEN=1 writes missing .out files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_cmd_fixture.h"

static cmd_fixture fx;
static char in[1 << 16], want[MP_EVLOG_CAP];

static size_t slurp(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n;
    if (f == NULL)
        return (size_t)-1;
    n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n;
}

static void run_file(const char *name, unsigned mode)
{
    char path[512];
    const char *dir = getenv("MP_VECTORS");
    size_t n, w;
    mp_split_target t = { fx_reset, fx_feed, NULL, &fx };
    assert_non_null(dir);
    snprintf(path, sizeof(path), "%s/imap/cmd/%s.in", dir, name);
    n = slurp(path, in, sizeof(in));
    assert_true(n != (size_t)-1);
    memset(&fx.cfg, 0, sizeof(fx.cfg));
    fx.cfg.mode = mode;
    snprintf(path, sizeof(path), "%s/imap/cmd/%s.out", dir, name);
    w = slurp(path, want, sizeof(want));
    if (w == (size_t)-1 && getenv("MP_GEN") != NULL) {
        const char *got = mp_split_check(&t, in, n, NULL);
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        fputs(got, f);
        fclose(f);
        return;
    }
    assert_true(w != (size_t)-1);
    mp_split_check(&t, in, n, want);
}

static void test_thunderbird(void **st)
{
    (void)st;
    run_file("thunderbird", 0);
}

static void test_pipelined_literals(void **st)
{
    (void)st;
    run_file("pipelined_literals", 0);
}

/* RFC 4469 Appendix A, examples 1-4 (the client's side), each message a
 * CATENATE of URL and TEXT parts.  The TEXT lengths are those of the text
 * as printed in the RFC (721 and 540 bytes where the RFC says {738} and
 * {541}: its original whitespace is lost), so the stream is consistent. */
static void test_catenate_rfc4469(void **st)
{
    (void)st;
    run_file("catenate_rfc4469", 0);
}

/* MULTIAPPEND (RFC 3502) mixing plain, literal8, CATENATE and, in
 * UTF8=ACCEPT mode, RFC 6855 UTF8 messages and parts. */
static void test_catenate_multiappend(void **st)
{
    (void)st;
    run_file("catenate_multiappend", MP_IMAP_UTF8);
}

/* An IMAP4rev2 client (RFC 9051 examples with RFC 5258, 5819, 7162, 8970,
 * 5256 and 5464 options), with three IMAP4rev1-only commands refused
 * (RFC 9051 Appendix E) and LSUB, deprecated, still read. */
static void test_rev2_session(void **st)
{
    (void)st;
    run_file("rev2_session", MP_IMAP_REV2);
}

/* UTF-8 in quoted strings over the shared tokenizer (RFC 6855, RFC 3629):
 * UTF8=ACCEPT, rev2 and rev1 command streams. */
static void test_utf8_commands(void **st)
{
    (void)st;
    run_file("utf8_accept", MP_IMAP_UTF8);
    run_file("utf8_rev2", MP_IMAP_REV2);
    run_file("utf8_rev1", 0);
}

/* RFC 5267 ESORT (SORT RETURN), CONTEXT=SEARCH/SORT (UPDATE, CONTEXT,
 * PARTIAL, CANCELUPDATE) and RFC 5465 NOTIFY (NONE, SET [STATUS], every
 * filter and event of §5 and §6, MessageNew's fetch-att list); malformed
 * ones refused with the command's tag and the next command read. */
static void test_esort_context_notify(void **st)
{
    (void)st;
    run_file("esort_context_notify", 0);
}

/* RFC 4314 ACL, RFC 4467 URLAUTH, RFC 7377 MULTISEARCH, RFC 6203 SEARCH
 * FUZZY, RFC 5258 LIST (REMOTE); RLIST and RLSUB (RFC 2193) refused by
 * name with MP_ERR_IMAP_CMD_OBSOLETE. */
static void test_acl_urlauth_multisearch(void **st)
{
    (void)st;
    run_file("acl_urlauth_multisearch", 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_acl_urlauth_multisearch),
        cmocka_unit_test(test_esort_context_notify),
        cmocka_unit_test(test_thunderbird),
        cmocka_unit_test(test_pipelined_literals),
        cmocka_unit_test(test_catenate_rfc4469),
        cmocka_unit_test(test_catenate_multiappend),
        cmocka_unit_test(test_rev2_session),
        cmocka_unit_test(test_utf8_commands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
