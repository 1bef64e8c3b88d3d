/* The printf family for the Cortex-M4 tests.  newlib-nano's formatter has
 * no long long and neither newlib has the C99 size modifiers (%zu, %jd),
 * which the tests and the harness use for lengths and 64-bit offsets; so
 * these replace it: C99 conversions d i u o x X c s p %, flags - 0 + space
 * #, width and precision (numbers or *), lengths hh h l ll z j t.  No
 * floating point (no test prints one).  Test code, not the library. */
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

typedef struct sink {
    char *buf; /* snprintf: the caller's buffer, else NULL */
    size_t cap;
    FILE *fp; /* fprintf: the stream */
    size_t total;
} sink;

static void put(sink *s, const char *p, size_t n)
{
    if (s->fp != NULL) {
        fwrite(p, 1, n, s->fp);
    } else if (s->total < s->cap) {
        size_t room = s->cap - s->total;
        memcpy(s->buf + s->total, p, n < room ? n : room);
    }
    s->total += n;
}

static void pad(sink *s, char c, int n)
{
    for (; n > 0; n--)
        put(s, &c, 1);
}

enum { LEN_INT, LEN_CHAR, LEN_SHORT, LEN_LONG, LEN_LLONG, LEN_SIZE, LEN_MAX, LEN_PTRDIFF };

static int format(sink *s, const char *f, va_list ap)
{
    while (*f != '\0') {
        const char *pct = strchr(f, '%');
        int left = 0, zero = 0, plus = 0, space = 0, alt = 0, width = 0, prec = -1, len = LEN_INT;
        char digits[32], sign = 0;
        const char *body;
        size_t blen, i;
        uintmax_t u = 0;
        unsigned base = 10;
        if (pct == NULL) {
            put(s, f, strlen(f));
            break;
        }
        put(s, f, (size_t)(pct - f));
        f = pct + 1;
        for (;; f++) {
            if (*f == '-') left = 1;
            else if (*f == '0') zero = 1;
            else if (*f == '+') plus = 1;
            else if (*f == ' ') space = 1;
            else if (*f == '#') alt = 1;
            else break;
        }
        if (*f == '*') {
            width = va_arg(ap, int);
            if (width < 0) {
                left = 1;
                width = -width;
            }
            f++;
        } else {
            while (*f >= '0' && *f <= '9')
                width = width * 10 + (*f++ - '0');
        }
        if (*f == '.') {
            f++;
            prec = 0;
            if (*f == '*') {
                prec = va_arg(ap, int);
                f++;
            } else {
                while (*f >= '0' && *f <= '9')
                    prec = prec * 10 + (*f++ - '0');
            }
        }
        switch (*f) {
        case 'h': len = f[1] == 'h' ? LEN_CHAR : LEN_SHORT; f += f[1] == 'h' ? 2 : 1; break;
        case 'l': len = f[1] == 'l' ? LEN_LLONG : LEN_LONG; f += f[1] == 'l' ? 2 : 1; break;
        case 'z': len = LEN_SIZE; f++; break;
        case 'j': len = LEN_MAX; f++; break;
        case 't': len = LEN_PTRDIFF; f++; break;
        default: break;
        }
        switch (*f) {
        case 'd': case 'i': {
            intmax_t v;
            switch (len) {
            case LEN_LONG: v = va_arg(ap, long); break;
            case LEN_LLONG: v = va_arg(ap, long long); break;
            case LEN_SIZE: v = (intmax_t)va_arg(ap, size_t); break; /* ssize_t */
            case LEN_MAX: v = va_arg(ap, intmax_t); break;
            case LEN_PTRDIFF: v = va_arg(ap, ptrdiff_t); break;
            case LEN_CHAR: v = (signed char)va_arg(ap, int); break;
            case LEN_SHORT: v = (short)va_arg(ap, int); break;
            default: v = va_arg(ap, int); break;
            }
            sign = v < 0 ? '-' : plus ? '+' : space ? ' ' : 0;
            u = v < 0 ? (uintmax_t)0 - (uintmax_t)v : (uintmax_t)v;
            break;
        }
        case 'u': case 'x': case 'X': case 'o':
            switch (len) {
            case LEN_LONG: u = va_arg(ap, unsigned long); break;
            case LEN_LLONG: u = va_arg(ap, unsigned long long); break;
            case LEN_SIZE: u = va_arg(ap, size_t); break;
            case LEN_MAX: u = va_arg(ap, uintmax_t); break;
            case LEN_PTRDIFF: u = (uintmax_t)va_arg(ap, ptrdiff_t); break;
            case LEN_CHAR: u = (unsigned char)va_arg(ap, unsigned); break;
            case LEN_SHORT: u = (unsigned short)va_arg(ap, unsigned); break;
            default: u = va_arg(ap, unsigned); break;
            }
            base = *f == 'o' ? 8u : *f == 'u' ? 10u : 16u;
            break;
        case 'p':
            u = (uintptr_t)va_arg(ap, void *);
            base = 16;
            alt = 1;
            break;
        case 'c': {
            char c = (char)va_arg(ap, int);
            if (!left) pad(s, ' ', width - 1);
            put(s, &c, 1);
            if (left) pad(s, ' ', width - 1);
            f++;
            continue;
        }
        case 's':
            body = va_arg(ap, const char *);
            if (body == NULL)
                body = "(null)";
            for (blen = 0; (prec < 0 || blen < (size_t)prec) && body[blen] != '\0'; blen++)
                ;
            if (!left) pad(s, ' ', width - (int)blen);
            put(s, body, blen);
            if (left) pad(s, ' ', width - (int)blen);
            f++;
            continue;
        case '%':
            put(s, "%", 1);
            f++;
            continue;
        default: /* unknown: print it as written */
            put(s, pct, (size_t)(f + (*f != '\0') - pct));
            f += *f != '\0';
            continue;
        }
        f++;
        /* an integer: digits, then precision zeros, prefix, sign, padding */
        {
            const char *xdigits = f[-1] == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
            const char *prefix = "";
            int nd = 0, zeros, total, nonzero = u != 0;
            i = sizeof(digits);
            while (u != 0) {
                digits[--i] = xdigits[u % base];
                u /= base;
            }
            nd = (int)(sizeof(digits) - i);
            if (prec < 0 && nd == 0)
                digits[--i] = '0', nd = 1;
            if (alt && base == 16 && nonzero) /* C: no "0x" before a zero */
                prefix = f[-1] == 'X' ? "0X" : "0x";
            if (alt && base == 8 && (nd == 0 || digits[i] != '0'))
                prefix = "0";
            zeros = prec > nd ? prec - nd : 0;
            total = nd + zeros + (int)strlen(prefix) + (sign != 0);
            if (zero && !left && prec < 0 && width > total)
                zeros += width - total, total = width;
            if (!left) pad(s, ' ', width - total);
            if (sign) put(s, &sign, 1);
            put(s, prefix, strlen(prefix));
            pad(s, '0', zeros);
            put(s, digits + i, (size_t)nd);
            if (left) pad(s, ' ', width - total);
        }
    }
    return (int)s->total;
}

int vsnprintf(char *buf, size_t cap, const char *f, va_list ap)
{
    sink s = {buf, cap, NULL, 0};
    int n = format(&s, f, ap);
    if (cap > 0)
        buf[s.total < cap ? s.total : cap - 1] = '\0';
    return n;
}

int snprintf(char *buf, size_t cap, const char *f, ...)
{
    va_list ap;
    int n;
    va_start(ap, f);
    n = vsnprintf(buf, cap, f, ap);
    va_end(ap);
    return n;
}

int vsprintf(char *buf, const char *f, va_list ap) { return vsnprintf(buf, PTRDIFF_MAX, f, ap); }

int sprintf(char *buf, const char *f, ...)
{
    va_list ap;
    int n;
    va_start(ap, f);
    n = vsnprintf(buf, PTRDIFF_MAX, f, ap);
    va_end(ap);
    return n;
}

int vfprintf(FILE *fp, const char *f, va_list ap)
{
    sink s = {NULL, 0, fp, 0};
    return format(&s, f, ap);
}

int fprintf(FILE *fp, const char *f, ...)
{
    va_list ap;
    int n;
    va_start(ap, f);
    n = vfprintf(fp, f, ap);
    va_end(ap);
    return n;
}

int vprintf(const char *f, va_list ap) { return vfprintf(stdout, f, ap); }

int printf(const char *f, ...)
{
    va_list ap;
    int n;
    va_start(ap, f);
    n = vfprintf(stdout, f, ap);
    va_end(ap);
    return n;
}
