/* mp_utf8_valid (core.h) on the library's one set of UTF-8 rules. */
#include "mailproto/core.h"

#include "utf8.h"

int mp_utf8_valid(const char *p, size_t n, size_t *bad)
{
    const unsigned char *s = (const unsigned char *)p;
    unsigned st = MP_UTF8_ACCEPT;
    size_t k = mp_utf8_scan(&st, s, n);
    if (k == n && st == MP_UTF8_ACCEPT)
        return 1;
    /* inside a sequence: back to its lead byte (the rules took it) */
    if (st != MP_UTF8_ACCEPT)
        do
            k--;
        while ((s[k] & 0xc0u) == 0x80u);
    if (bad != NULL)
        *bad = k;
    return 0;
}
