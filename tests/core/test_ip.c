/* mp_ip_parse: IPv4 and IPv6 text forms (RFC 4291 §2.2, inet_pton's IPv4
 * form) and the SMTP address-literal dialect (RFC 5321 §4.1.3), as the
 * mbedTLS adapter reads a peer name and the SMTP path parser an address
 * literal.  A table of vectors, then the strict form against glibc's
 * inet_pton() over pseudo-random strings of address characters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "mailproto/core.h"

typedef struct ip_vec {
    const char *text;
    size_t strict, smtp; /* expected results: 0, 4 or 16 */
    const char *bytes;   /* the address (when valid), as 4 or 16 bytes */
} ip_vec;

static const ip_vec vecs[] = {
    {"127.0.0.1", 4, 4, "\x7f\x00\x00\x01"},
    {"0.0.0.0", 4, 4, "\x00\x00\x00\x00"},
    {"255.255.255.255", 4, 4, "\xff\xff\xff\xff"},
    {"192.0.2.10", 4, 4, "\xc0\x00\x02\x0a"},
    /* Leading zeros: octal to inet_aton(), decimal to RFC 5321. */
    {"010.0.0.1", 0, 4, "\x0a\x00\x00\x01"},
    {"127.000.0.1", 0, 4, "\x7f\x00\x00\x01"},
    {"256.0.0.1", 0, 0, NULL},
    {"1.2.3", 0, 0, NULL},
    {"127.1", 0, 0, NULL},
    {"1.2.3.4.", 0, 0, NULL},
    {"1.2.3.4 ", 0, 0, NULL},
    {"0001.2.3.4", 0, 0, NULL},
    {"0x7f.0.0.1", 0, 0, NULL},
    {"", 0, 0, NULL},
    {"::1", 16, 16, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01"},
    {"::", 16, 16, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"},
    {"2001:db8::8:800:200c:417a", 16, 16,
     "\x20\x01\x0d\xb8\0\0\0\0\0\x08\x08\x00\x20\x0c\x41\x7a"},
    {"FE80:0:0:0:0:0:0:1", 16, 16, "\xfe\x80\0\0\0\0\0\0\0\0\0\0\0\0\0\x01"},
    {"::ffff:192.0.2.1", 16, 16, "\0\0\0\0\0\0\0\0\0\0\xff\xff\xc0\x00\x02\x01"},
    {"1:2:3:4:5:6:1.2.3.4", 16, 16, "\0\x01\0\x02\0\x03\0\x04\0\x05\0\x06\x01\x02\x03\x04"},
    /* "::" for a single group: RFC 4291 yes, RFC 5321 IPv6-comp no. */
    {"1:2:3:4:5:6::8", 16, 0, "\0\x01\0\x02\0\x03\0\x04\0\x05\0\x06\0\0\0\x08"},
    {"1:2:3:4:5:6:7::", 16, 0, "\0\x01\0\x02\0\x03\0\x04\0\x05\0\x06\0\x07\0\0"},
    {"1:2:3:4:5:6:7:8:9", 0, 0, NULL},
    {"1:2:3:4:5:6:7", 0, 0, NULL},
    {"1::2::3", 0, 0, NULL},
    {":::1", 0, 0, NULL},
    {"1:", 0, 0, NULL},
    {":1::", 0, 0, NULL},
    {"12345::1", 0, 0, NULL},
    {"fe80::1%eth0", 0, 0, NULL},
    {"[::1]", 0, 0, NULL},
    {"::1.2.3", 0, 0, NULL},
    {"::010.0.0.1", 0, 16, "\0\0\0\0\0\0\0\0\0\0\0\0\x0a\x00\x00\x01"},
    {"1:2:3:4:5:6:7:1.2.3.4", 0, 0, NULL},
    {"g::1", 0, 0, NULL},
};

static void test_vectors(void **s)
{
    size_t i;
    (void)s;
    for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
        const ip_vec *v = &vecs[i];
        uint8_t out[16];
        size_t n = strlen(v->text), got;
        print_message("%s\n", v->text);
        got = mp_ip_parse(v->text, n, 0, out);
        assert_int_equal(got, v->strict);
        if (got != 0)
            assert_memory_equal(out, v->bytes, got);
        got = mp_ip_parse(v->text, n, MP_IP_SMTP_LITERAL, out);
        assert_int_equal(got, v->smtp);
        if (got != 0)
            assert_memory_equal(out, v->bytes, got);
    }
    /* The text is p[0..n): what follows is not read. */
    {
        uint8_t out[16];
        assert_int_equal(mp_ip_parse("127.0.0.1]", 9, 0, out), 4);
        assert_int_equal(mp_ip_parse("127.0.0.1", 7, 0, out), 0);
        assert_int_equal(mp_ip_parse("::1%lo", 3, 0, out), 16);
    }
    assert_int_equal(mp_ip_parse(NULL, 0, 0, NULL), 0);
}

/* The strict form is inet_pton()'s, bytes included. */
static void test_against_inet_pton(void **s)
{
    static const char alphabet[] = "0123456789abcdefABCDEF::..:g%";
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    unsigned long valid = 0, it;
    (void)s;
    for (it = 0; it < 400000; it++) {
        char b[48];
        uint8_t ours[16], theirs[16];
        size_t n, i, got;
        int want;
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        n = (size_t)(x >> 59) + (size_t)((x >> 40) & 15u);
        for (i = 0; i < n; i++) {
            x = x * 6364136223846793005ULL + 1ULL;
            b[i] = alphabet[(x >> 33) % (sizeof(alphabet) - 1)];
        }
        b[n] = '\0';
        got = mp_ip_parse(b, n, 0, ours);
        if (memchr(b, ':', n) != NULL)
            want = inet_pton(AF_INET6, b, theirs) == 1 ? 16 : 0;
        else
            want = inet_pton(AF_INET, b, theirs) == 1 ? 4 : 0;
        if ((size_t)want != got)
            print_message("differs from inet_pton: \"%s\"\n", b);
        assert_int_equal(got, (size_t)want);
        if (got != 0) {
            assert_memory_equal(ours, theirs, got);
            valid++;
        }
    }
    assert_true(valid > 100); /* the alphabet does make addresses */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_against_inet_pton),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
