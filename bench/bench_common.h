/*
 * Timing shared by bench_core, bench_smtp and bench_imap (each bench is one
 * program, so everything here is static): a monotonic clock, best-of-N
 * timing, the memchr('\n') ceiling over the same input bytes (up to two
 * buffers: SMTP benches feed commands and replies), and measure(), which
 * prints one line per pass.  Figures are printed, never asserted.
 * MP_BENCH_ONLY=text in the environment runs only the passes whose label
 * holds that text (e.g. MP_BENCH_ONLY="cmd parser" bench/callgrind-ipb).
 * Include after <stdio.h>, <stdlib.h>, <string.h> and <time.h> with
 * _POSIX_C_SOURCE >= 199309L (clock_gettime).
 */
#ifndef MP_BENCH_COMMON_H
#define MP_BENCH_COMMON_H

/* Repetitions per pass (best of); a bench's main may change it. */
static int runs = 20;

/* A xorshift generator for the corpora: identical on every run. */
static uint32_t bench_rng = 0x2545f491u;
static inline uint32_t bench_rand(void)
{
    bench_rng ^= bench_rng << 13;
    bench_rng ^= bench_rng >> 17;
    bench_rng ^= bench_rng << 5;
    return bench_rng;
}

/* Defeats dead-code elimination of a pass's result. */
static volatile size_t sink;

/* Lines in the input of the next measure() (0: not a line-based input);
 * --once prints them, and bench/callgrind-ipb then gives instructions per
 * line as well. */
static size_t bench_lines;

static inline double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* The input of the ceiling pass: up to two buffers (ptr NULL: unused). */
static const char *ceil_p[2];
static size_t ceil_n[2];

/* The practical ceiling of a byte-oriented pass: memchr for every line. */
static inline void pass_memchr(void)
{
    size_t lines = 0;
    int k;
    for (k = 0; k < 2; k++) {
        const char *p = ceil_p[k], *e = ceil_p[k] + ceil_n[k];
        if (p == NULL)
            continue;
        while ((p = memchr(p, '\n', (size_t)(e - p))) != NULL) {
            p++;
            lines++;
        }
    }
    sink = lines;
}

/* The length of the next feed: `piece` bytes (0: all that is left). */
static inline size_t piece_of(size_t piece, size_t left)
{
    return piece != 0 && piece < left ? piece : left;
}

/* The shortest of `reps` runs of fn, in seconds. */
static inline double best_time(void (*fn)(void), int reps)
{
    double best = 1e9;
    int i;
    for (i = 0; i < reps; i++) {
        double t0 = now(), t;
        fn();
        t = now() - t0;
        if (t < best)
            best = t;
    }
    return best;
}

/* One line for pass fn over in[0..n) and in2[0..n2) (in2 may be NULL):
 * MB/s (with `prec` decimals) beside the memchr ceiling, best of `runs`
 * (a slow pass, 1-byte feeding: max(runs/4, 3)).  once: a single pass and
 * its input size, for instruction counts under callgrind. */
static inline void bench_measure(const char *name, const char *fname, void (*fn)(void), int slow,
                                 const char *in, size_t n, const char *in2, size_t n2, int once,
                                 int prec)
{
    double t, c;
    const char *only = getenv("MP_BENCH_ONLY");
    size_t lines = bench_lines;
    bench_lines = 0; /* for this pass only */
    if (only != NULL && strstr(name, only) == NULL)
        return;
    if (once) {
        fn();
        if (lines)
            printf("%-28s %-24s %10zu input bytes %zu lines\n", name, fname, n + n2, lines);
        else
            printf("%-28s %-24s %10zu input bytes\n", name, fname, n + n2);
        return;
    }
    ceil_p[0] = in;
    ceil_n[0] = n;
    ceil_p[1] = in2;
    ceil_n[1] = n2;
    t = best_time(fn, slow ? (runs / 4 > 3 ? runs / 4 : 3) : runs);
    c = best_time(pass_memchr, runs);
    printf("%-28s %8.*f MB/s   memchr %8.0f MB/s   %5.1f%% of ceiling\n", name, prec,
           (double)(n + n2) / t / 1e6, (double)(n + n2) / c / 1e6, 100.0 * c / t);
    fflush(stdout);
}

#define SIZEOF(t) printf("sizeof %-28s %6zu\n", #t, sizeof(t))

#endif
