#define _POSIX_C_SOURCE 199309L
/*
 * bench_core: throughput of the core codecs on deterministic generated
 * corpora, beside a memchr scan of the same bytes (the practical ceiling),
 * and sizeof of every state struct.  Run under
 *   valgrind --tool=callgrind bench/bench_core --once
 * to count instructions per byte (--once makes one pass per codec).
 * Figures are printed, never asserted.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailproto/core.h"

#define CORPUS (8u << 20)

static char corpus[CORPUS + 16];
static size_t corpus_len;

/* Mail-like text: lines of 20..90 printable bytes, some starting with '.',
 * CRLF ends, and the terminator at the end. */
static void make_body(void)
{
    uint32_t x = 12345u;
    size_t n = 0;
    while (n < CORPUS - 200) {
        size_t len, i;
        x ^= x << 13; x ^= x >> 17; x ^= x << 5;
        len = 20u + x % 71u;
        for (i = 0; i < len; i++)
            corpus[n++] = (char)(' ' + (int)(((x >> (i % 24)) + (uint32_t)i) % 94u));
        if (x % 50u == 0)
            corpus[n - len] = '.';
        corpus[n++] = '\r';
        corpus[n++] = '\n';
    }
    memcpy(corpus + n, ".\r\n", 3);
    corpus_len = n + 3;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static volatile size_t sink;

static void pass_memchr(void)
{
    const char *p = corpus, *e = corpus + corpus_len;
    size_t lines = 0;
    while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
        p++;
        lines++;
    }
    sink = lines;
}

static void pass_framer(void)
{
    static char buf[1000];
    mp_line_framer f;
    const char *p = corpus;
    size_t n = corpus_len, lines = 0;
    mp_line_framer_init(&f, buf, sizeof(buf), 1000, 0);
    while (n > 0) {
        size_t used;
        mp_slice l;
        if (mp_line_framer_next(&f, p, n, &used, &l) == MP_OK)
            lines++;
        p += used;
        n -= used;
    }
    sink = lines;
}

static void pass_dot(void)
{
    mp_dot_decoder d;
    const char *p = corpus;
    size_t n = corpus_len, bytes = 0;
    mp_dot_decoder_init(&d, MP_DOT_STRICT);
    while (n > 0) {
        size_t used;
        mp_slice c;
        mp_status st = mp_dot_decoder_next(&d, p, n, &used, &c);
        if (st == MP_OK)
            bytes += c.len;
        p += used;
        n -= used;
        if (st == MP_DONE || mp_is_error(st))
            break;
    }
    if (d.err.code != MP_OK || n != 0)
        fprintf(stderr, "dot decoder: unexpected %s\n", mp_status_name(d.err.code));
    sink = bytes;
}

static void measure(const char *name, void (*fn)(void), int once)
{
    int reps = once ? 1 : 20, i;
    double best = 1e9;
    for (i = 0; i < reps; i++) {
        double t0 = now();
        fn();
        double t = now() - t0;
        if (t < best)
            best = t;
    }
    if (!once)
        printf("%-28s %8.0f MB/s\n", name, (double)corpus_len / best / 1e6);
}

int main(int argc, char **argv)
{
    int once = argc > 1 && strcmp(argv[1], "--once") == 0;
    make_body();
    printf("corpus: %zu bytes of CRLF mail text\n", corpus_len);
    measure("memchr('\\n') ceiling", pass_memchr, once);
    measure("line framer", pass_framer, once);
    measure("dot decoder (strict)", pass_dot, once);
    printf("sizeof mp_line_framer   %zu\n", sizeof(mp_line_framer));
    printf("sizeof mp_dot_decoder   %zu\n", sizeof(mp_dot_decoder));
    printf("sizeof mp_dot_encoder   %zu\n", sizeof(mp_dot_encoder));
    printf("sizeof mp_base64_decoder %zu\n", sizeof(mp_base64_decoder));
    printf("sizeof mp_base64_encoder %zu\n", sizeof(mp_base64_encoder));
    printf("sizeof mp_outbuf        %zu\n", sizeof(mp_outbuf));
    return 0;
}
