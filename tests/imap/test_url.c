/* IMAP URLs (RFC 5092) with URLAUTH (RFC 4467): the RFCs' examples cut
 * into their parts, and what the grammar refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/imap.h"

static char dump_buf[1024];

static void put(size_t *n, const char *name, mp_slice s)
{
    if (s.len > 0)
        *n += (size_t)snprintf(dump_buf + *n, sizeof(dump_buf) - *n, "%s=%.*s ", name,
                               (int)s.len, s.ptr);
}

/* The parts of `url` as one line, or "error". */
static const char *dump(const char *url)
{
    mp_imap_url u;
    size_t n = 0;
    if (mp_imap_url_parse(url, strlen(url), &u) != MP_OK)
        return "error";
    dump_buf[0] = '\0';
    put(&n, "user", u.user);
    put(&n, "auth", u.auth);
    put(&n, "host", u.host);
    if (u.port)
        n += (size_t)snprintf(dump_buf + n, sizeof(dump_buf) - n, "port=%u ", (unsigned)u.port);
    put(&n, "mailbox", u.mailbox);
    if (u.uidvalidity)
        n += (size_t)snprintf(dump_buf + n, sizeof(dump_buf) - n, "uidvalidity=%u ",
                              (unsigned)u.uidvalidity);
    put(&n, "search", u.search);
    if (u.uid)
        n += (size_t)snprintf(dump_buf + n, sizeof(dump_buf) - n, "uid=%u ", (unsigned)u.uid);
    put(&n, "section", u.section);
    if (u.flags & MP_IMAP_URL_PARTIAL)
        n += (size_t)snprintf(dump_buf + n, sizeof(dump_buf) - n, "partial=%llu.%llu ",
                              (unsigned long long)u.partial_origin,
                              (unsigned long long)u.partial_len);
    put(&n, "expire", u.expire);
    put(&n, "access", u.access);
    put(&n, "mech", u.mechanism);
    put(&n, "token", u.token);
    if (n > 0)
        dump_buf[n - 1] = '\0';
    return dump_buf;
}

static const struct {
    const char *url, *want;
} cases[] = {
    /* RFC 5092 §7 and §7.1 */
    { "imap://minbari.example.org/gray-council;UIDVALIDITY=385759045/;UID=20/;PARTIAL=0.1024",
      "host=minbari.example.org mailbox=gray-council uidvalidity=385759045 uid=20 "
      "partial=0.1024" },
    { "imap://psicorp.example.org/~peter/%E6%97%A5%E6%9C%AC%E8%AA%9E/%E5%8F%B0%E5%8C%97",
      "host=psicorp.example.org "
      "mailbox=~peter/%E6%97%A5%E6%9C%AC%E8%AA%9E/%E5%8F%B0%E5%8C%97" },
    { "imap://;AUTH=GSSAPI@minbari.example.org/gray-council/;uid=20/;section=1.2",
      "auth=GSSAPI host=minbari.example.org mailbox=gray-council uid=20 section=1.2" },
    { "imap://;AUTH=*@minbari.example.org/gray%20council?SUBJECT%20shadows",
      "auth=* host=minbari.example.org mailbox=gray%20council search=SUBJECT%20shadows" },
    { "imap://john;AUTH=*@minbari.example.org/babylon5/personel", "user=john auth=* "
      "host=minbari.example.org mailbox=babylon5/personel" },
    { "imap://michael@minbari.example.org/users.*", "user=michael host=minbari.example.org "
      "mailbox=users.*" },
    { "imap://psicorp.example.org/~peter/%E6%97%A5%E6%9C%AC%E8%AA%9E/%E5%8F%B0%E5%8C%97",
      "host=psicorp.example.org "
      "mailbox=~peter/%E6%97%A5%E6%9C%AC%E8%AA%9E/%E5%8F%B0%E5%8C%97" },
    { "imap://minbari.example.org:1430/", "host=minbari.example.org port=1430" },
    { "imap://minbari.example.org", "host=minbari.example.org" },
    { "imap://[2001:db8::1]:143/INBOX", "host=[2001:db8::1] port=143 mailbox=INBOX" },
    /* RFC 4467 §3, §7 */
    { "imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred",
      "user=joe host=example.com mailbox=INBOX uid=20 section=1.2 access=submit+fred" },
    { "imap://joe@example.com/INBOX/;uid=20/;section=1.2;urlauth=submit+fred:internal:"
      "91354a473744909de610943775f92038",
      "user=joe host=example.com mailbox=INBOX uid=20 section=1.2 access=submit+fred "
      "mech=internal token=91354a473744909de610943775f92038" },
    { "imap://joe@example.com/INBOX/;uid=20;expire=2026-12-08T01:00:00Z;urlauth=anonymous",
      "user=joe host=example.com mailbox=INBOX uid=20 expire=2026-12-08T01:00:00Z "
      "access=anonymous" },
    { "imap://x/Drafts/;UID=1;URLAUTH=authuser", "host=x mailbox=Drafts uid=1 access=authuser" },
    /* RFC 4469 CATENATE: relative to the server */
    { "/Drafts;UIDVALIDITY=385759045/;UID=20/;section=HEADER",
      "mailbox=Drafts uidvalidity=385759045 uid=20 section=HEADER" },
    { "/INBOX;UIDVALIDITY=1/;UID=2", "mailbox=INBOX uidvalidity=1 uid=2" },
    /* refused */
    { "", "error" },
    { "http://example.com/", "error" },
    { "imap://", "error" },
    { "imap://@host/", "error" },
    { "imap://;AUTH=@host/", "error" },
    { "imap://host:99999/", "error" },
    { "imap://host:14x/", "error" },
    { "imap://host/INBOX/;UID=0", "error" },
    { "imap://host/INBOX/;UID=4294967296", "error" },
    { "imap://host/INBOX;UIDVALIDITY=/;UID=1", "error" },
    { "imap://host/IN%4", "error" },
    { "imap://host/IN%zzBOX", "error" },
    { "imap://host/IN BOX", "error" },
    { "imap://host/INBOX?", "error" },
    { "imap://host/INBOX/;UID=1/;SECTION=", "error" },
    { "imap://host/INBOX/;UID=1/;PARTIAL=1.0", "error" },
    { "imap://host/INBOX/;UID=1;URLAUTH=nobody", "error" },
    { "imap://host/INBOX/;UID=1;URLAUTH=anonymous:internal:1234", "error" },
    { "imap://host/INBOX/;UID=1;EXPIRE=2026-12-08T01:00:00Z", "error" },
    { "imap://host/INBOX/;UID=1;junk", "error" },
    { "INBOX", "error" },
};

static void test_urls(void **st)
{
    (void)st;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = dump(cases[i].url);
        if (strcmp(got, cases[i].want) != 0) {
            print_error("%s\n  got  %s\n  want %s\n", cases[i].url, got, cases[i].want);
            fail();
        }
    }
}

/* The rump is what GENURLAUTH is given; the slices point into the text;
 * decoding gives UTF-8. */
static void test_rump_and_decode(void **st)
{
    static const char url[] = "imap://joe@example.com/INBOX/;uid=20/;section=1.2;"
                              "urlauth=submit+fred:internal:91354a473744909de610943775f92038";
    static const char mbx[] = "imap://h/%E6%97%A5%E6%9C%AC%E8%AA%9E";
    mp_imap_url u;
    char out[64];
    (void)st;
    assert_int_equal(mp_imap_url_parse(url, sizeof(url) - 1, &u), MP_OK);
    assert_int_equal(u.flags, MP_IMAP_URL_SERVER | MP_IMAP_URL_MAILBOX | MP_IMAP_URL_UID |
                                  MP_IMAP_URL_SECTION | MP_IMAP_URL_URLAUTH |
                                  MP_IMAP_URL_VERIFIER);
    assert_ptr_equal(u.rump.ptr, url);
    assert_int_equal(u.rump.len, strlen("imap://joe@example.com/INBOX/;uid=20/;section=1.2;"
                                        "urlauth=submit+fred"));
    assert_int_equal(mp_imap_url_parse(mbx, sizeof(mbx) - 1, &u), MP_OK);
    assert_int_equal(mp_imap_url_decode(u.mailbox, out, sizeof(out)), 9);
    assert_memory_equal(out, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 9);
    assert_int_equal(mp_imap_url_decode(u.mailbox, out, 8), (size_t)-1);
    assert_int_equal(mp_imap_url_parse(NULL, 0, &u), MP_ERR_SYNTAX);
    assert_int_equal(mp_imap_url_parse(url, 3, NULL), MP_ERR_ARG);
    /* a NUL is never part of a URL */
    assert_int_equal(mp_imap_url_parse("imap://h/A\0B", 12, &u), MP_ERR_SYNTAX);
    assert_int_equal(u.flags, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_rump_and_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
