/* Byte slices: case-insensitive compare and bounded decimal numbers. */
#include "mailproto/core.h"

#include "decimal.h"

static unsigned char ascii_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32u) : c;
}

int mp_slice_eq_ci(mp_slice a, const char *lit, size_t n)
{
    size_t i;
    if (a.len != n)
        return 0;
    for (i = 0; i < n; i++)
        if (ascii_lower((unsigned char)a.ptr[i]) != ascii_lower((unsigned char)lit[i]))
            return 0;
    return 1;
}

mp_status mp_parse_u64(mp_slice s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;
    int over = 0;
    if (s.len == 0)
        return MP_ERR_SYNTAX;
    if (s.len <= 19u) {
        /* 19 digits stay below 10^19 < 2^64: no step can overflow, so
         * the per-digit checks reduce to one comparison at the end (the
         * common case: sizes, counts, message numbers). */
        for (i = 0; i < s.len; i++) {
            unsigned d = (unsigned)((unsigned char)s.ptr[i]) - (unsigned)'0';
            if (d > 9u)
                return MP_ERR_SYNTAX;
            v = v * 10u + d;
        }
        if (v > max)
            return MP_ERR_NUMBER;
        *out = v;
        return MP_OK;
    }
    for (i = 0; i < s.len; i++) {
        unsigned d = (unsigned)((unsigned char)s.ptr[i]) - (unsigned)'0';
        if (d > 9u)
            return MP_ERR_SYNTAX;
        /* Overflow is checked before it can happen (docs/security.md: every
         * number the peer declares).  The scan goes on so that a malformed
         * token is a syntax error whatever its digits. */
        if (over || !mp_dec_push_(&v, d, UINT64_MAX, UINT64_MAX / 10u) || v > max)
            over = 1;
    }
    if (over)
        return MP_ERR_NUMBER;
    *out = v;
    return MP_OK;
}
