#include "split.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

void mp_evlog_reset(mp_evlog *log)
{
    log->len = 0;
    log->text[0] = '\0';
    log->chunk_start = (size_t)-1;
}

static void evlog_append(mp_evlog *log, const char *s, size_t n)
{
    assert_true(log->len + n + 1 < MP_EVLOG_CAP);
    memcpy(log->text + log->len, s, n);
    log->len += n;
    log->text[log->len] = '\0';
}

void mp_evlog_add(mp_evlog *log, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    int k;
    log->chunk_start = (size_t)-1;
    va_start(ap, fmt);
    k = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    assert_true(k >= 0 && (size_t)k < sizeof(tmp));
    evlog_append(log, tmp, (size_t)k);
    evlog_append(log, "\n", 1);
}

static void evlog_escaped(mp_evlog *log, const char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        char e[5];
        if (c == '\r') evlog_append(log, "\\r", 2);
        else if (c == '\n') evlog_append(log, "\\n", 2);
        else if (c == '\\') evlog_append(log, "\\\\", 2);
        else if (c < 0x20 || c >= 0x7f) {
            snprintf(e, sizeof(e), "\\x%02x", c);
            evlog_append(log, e, 4);
        } else evlog_append(log, (const char *)&c, 1);
    }
}

void mp_evlog_chunk(mp_evlog *log, const char *name, const char *p, size_t n)
{
    if (log->chunk_start == (size_t)-1) {
        log->chunk_start = log->len;
        evlog_append(log, "chunk ", 6);
        evlog_append(log, name, strlen(name));
        evlog_append(log, " ", 1);
    } else {
        log->len--; /* reopen: drop the newline */
    }
    evlog_escaped(log, p, n);
    evlog_append(log, "\n", 1);
}

void mp_evlog_text(mp_evlog *log, const char *name, const char *p, size_t n)
{
    log->chunk_start = (size_t)-1;
    evlog_append(log, name, strlen(name));
    evlog_append(log, " ", 1);
    evlog_escaped(log, p, n);
    evlog_append(log, "\n", 1);
}

void mp_evlog_quoted(mp_evlog *log, const char *name, const char *p, size_t n)
{
    log->chunk_start = (size_t)-1;
    evlog_append(log, name, strlen(name));
    evlog_append(log, " \"", 2);
    evlog_escaped(log, p, n);
    evlog_append(log, "\"\n", 2);
}

static mp_evlog whole_log, split_log;
static const char *split_context;

void mp_split_set_context(const char *where) { split_context = where; }

/* Every 2-way split costs one run per byte: quadratic.  The hosts sweep
 * inputs up to 4 KiB and 64 random splits of each.  An emulated Cortex-M4
 * (about a hundred times slower) runs every input whole and byte by byte,
 * but sweeps only the short ones and a few random splits: invariance is the
 * code's property, swept on the hosts; the Cortex-M4 run is there for what
 * the target changes (32-bit words, unsigned char, short enums, -Os code).
 * MAILPROTO_TEST_SPLIT_LEAN sets both macros: for the Cortex-M4 and s390x
 * (qemu-user) runs. */
#ifndef MP_SPLIT_TWO_WAY_MAX
#define MP_SPLIT_TWO_WAY_MAX 4096
#endif
#ifndef MP_SPLIT_RANDOM_RUNS
#define MP_SPLIT_RANDOM_RUNS 64
#endif
static size_t two_way_max = MP_SPLIT_TWO_WAY_MAX;

void mp_split_set_two_way_max(size_t n)
{
    two_way_max = n < MP_SPLIT_TWO_WAY_MAX ? n : MP_SPLIT_TWO_WAY_MAX;
}

static void run(const mp_split_target *t, const char *in, size_t n, const size_t *cuts,
                size_t ncuts, mp_evlog *log)
{
    size_t prev = 0, k;
    mp_evlog_reset(log);
    t->reset(t->state);
    for (k = 0; k <= ncuts; k++) {
        size_t at = k < ncuts ? cuts[k] : n;
        t->feed(t->state, in + prev, at - prev, log);
        prev = at;
    }
    if (t->finish)
        t->finish(t->state, log);
}

static void expect_same(const char *want, const char *got, const char *how, size_t at)
{
    if (strcmp(want, got) != 0) {
        if (split_context)
            print_error("%s\n", split_context);
        print_error("split mismatch (%s at %zu)\n--- want\n%s--- got\n%s", how, at, want, got);
        fail();
    }
}

const char *mp_split_check(const mp_split_target *t, const char *in, size_t n,
                           const char *expected)
{
    static size_t cuts[4096];
    size_t i, r;
    uint32_t seed = 0x9e3779b9u ^ (uint32_t)n;

    run(t, in, n, NULL, 0, &whole_log);
    if (expected)
        expect_same(expected, whole_log.text, "whole", 0);

    /* byte by byte */
    if (n > 1 && n - 1 <= sizeof(cuts) / sizeof(cuts[0])) {
        for (i = 1; i < n; i++)
            cuts[i - 1] = i;
        run(t, in, n, cuts, n - 1, &split_log);
        expect_same(whole_log.text, split_log.text, "byte by byte", 0);
    }
    /* every 2-way split */
    if (n <= two_way_max)
        for (i = 1; i < n; i++) {
            cuts[0] = i;
            run(t, in, n, cuts, 1, &split_log);
            expect_same(whole_log.text, split_log.text, "2-way split", i);
        }
    /* random multi-way splits (deterministic xorshift) */
    for (r = 0; r < MP_SPLIT_RANDOM_RUNS && n > 2; r++) {
        size_t nc = 0, at = 0;
        while (nc < 64) {
            seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
            at += 1 + seed % (n / 4 + 1);
            if (at >= n) break;
            cuts[nc++] = at;
        }
        run(t, in, n, cuts, nc, &split_log);
        expect_same(whole_log.text, split_log.text, "random split", r);
    }
    return whole_log.text;
}

size_t mp_send_mark(const char *s, size_t *n)
{
    size_t k = 6, v = 0;
    if (strncmp(s, "<SEND:", 6) != 0 || s[k] < '0' || s[k] > '9')
        return 0;
    for (; s[k] >= '0' && s[k] <= '9'; k++)
        v = v > (SIZE_MAX - 9) / 10 ? SIZE_MAX : v * 10 + (size_t)(s[k] - '0');
    if (s[k] != '>')
        return 0;
    *n = v;
    return k + 1;
}
