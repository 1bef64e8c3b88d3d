/*
 * Decimal numbers without a 64-bit division (internal to lib/).  On 32-bit
 * targets a uint64_t division by a variable is a runtime library call
 * (__aeabi_uldivmod on Cortex-M, __udivdi3 on i386, several hundred bytes
 * and outside the library's symbol whitelist, tests/purity); a division of
 * two constants folds at compile time, so the checks below take the
 * quotient they need from the caller, and the writer subtracts powers of
 * ten.
 */
#ifndef MP_CORE_DECIMAL_H
#define MP_CORE_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

/* *v * 10 + d when that stays within max (d is 0..9): 1, *v updated; else
 * 0 and *v unchanged.  The caller passes max / 10 as a constant expression
 * (folded by the compiler even without optimisation). */
static inline int mp_dec_push_(uint64_t *v, unsigned d, uint64_t max, uint64_t max_tenth)
{
    if (*v > max_tenth || *v * 10u > max - d)
        return 0;
    *v = *v * 10u + d;
    return 1;
}

/* The digits of v, most significant first, without leading zeros ("0" for
 * zero) into out[0..20); returns their number. */
static inline size_t mp_dec_write_u64_(char out[20], uint64_t v)
{
    static const uint64_t pow10[20] = {
        UINT64_C(10000000000000000000), UINT64_C(1000000000000000000),
        UINT64_C(100000000000000000), UINT64_C(10000000000000000),
        UINT64_C(1000000000000000), UINT64_C(100000000000000),
        UINT64_C(10000000000000), UINT64_C(1000000000000), UINT64_C(100000000000),
        UINT64_C(10000000000), UINT64_C(1000000000), UINT64_C(100000000),
        UINT64_C(10000000), UINT64_C(1000000), UINT64_C(100000), UINT64_C(10000),
        UINT64_C(1000), UINT64_C(100), UINT64_C(10), UINT64_C(1)};
    size_t i, n = 0;
    for (i = 0; i < 20u; i++) {
        unsigned digit = 0;
        while (v >= pow10[i]) { /* at most 9 times: v < 10 * pow10[i] here */
            v -= pow10[i];
            digit++;
        }
        if (digit != 0 || n != 0 || i == 19u)
            out[n++] = (char)('0' + digit);
    }
    return n;
}

#endif
