/* libFuzzer target: textual IP addresses (mp_ip_parse).
 * Oracles: the strict form accepts exactly what glibc's inet_pton()
 * accepts, with the same bytes; whatever parses (either dialect) formats
 * back with inet_ntop() to text that parses to the same bytes; the SMTP
 * dialect (RFC 5321 §4.1.3) accepts a superset of the strict IPv4 form
 * and, leading zeros in an IPv4 tail aside, a subset of the strict IPv6
 * form, with the same bytes.  One-shot
 * function: no feed loop, so fuzz_split.h is not needed. */
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[64], back[INET6_ADDRSTRLEN];
    uint8_t strict[16], smtp[16], theirs[16], again[16];
    size_t s, m;
    int family, want;
    if (size >= sizeof(text))
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    s = mp_ip_parse(text, size, 0, strict);
    m = mp_ip_parse(text, size, MP_IP_SMTP_LITERAL, smtp);
    /* inet_pton reads a C string: compare only inputs without NUL. */
    if (memchr(data, 0, size) == NULL) {
        family = memchr(text, ':', size) != NULL ? AF_INET6 : AF_INET;
        want = inet_pton(family, text, theirs) == 1 ? (family == AF_INET6 ? 16 : 4) : 0;
        if ((size_t)want != s || (s != 0 && memcmp(strict, theirs, s) != 0))
            abort(); /* differs from inet_pton */
    } else if (s != 0 || m != 0) {
        abort(); /* a NUL inside an address */
    }
    if (s != 0 && (s == 4 ? m != 4 : (m != 0 && m != 16)))
        abort(); /* the dialects disagree on the family */
    if (s != 0 && m != 0 && memcmp(strict, smtp, s) != 0)
        abort(); /* the same text, two addresses */
    if (m == 16 && s != 16 && memchr(text, '.', size) == NULL)
        abort(); /* but for leading zeros in an IPv4 tail, a subset */
    if (m != 0) {
        if (inet_ntop(m == 4 ? AF_INET : AF_INET6, smtp, back, sizeof(back)) == NULL ||
            mp_ip_parse(back, strlen(back), 0, again) != m || memcmp(again, smtp, m) != 0)
            abort(); /* the canonical text does not parse back */
    }
    return 0;
}
