/* Test harness: run one input through a parser whole, byte by byte and at
 * random split points, and check that the event logs are identical
 * (docs/architecture.md §4, fragmentation invariance). */
#ifndef MP_TEST_SPLIT_H
#define MP_TEST_SPLIT_H

#include <stddef.h>

#define MP_EVLOG_CAP 65536

/* A text log of events, one per line.  Adjacent chunks of one payload are
 * coalesced so that the log does not depend on how the input was split. */
typedef struct mp_evlog {
    char text[MP_EVLOG_CAP];
    size_t len;
    size_t chunk_start; /* offset of the open chunk line, or (size_t)-1 */
} mp_evlog;

void mp_evlog_reset(mp_evlog *log);
/* Append one event line (printf format). Closes any open chunk. */
void mp_evlog_add(mp_evlog *log, const char *fmt, ...);
/* Append payload bytes to a "chunk NAME <escaped bytes>" line, extending
 * the previous one when it is open. */
void mp_evlog_chunk(mp_evlog *log, const char *name, const char *p, size_t n);

/* Append a closed event line: NAME, a space, the escaped bytes. */
void mp_evlog_text(mp_evlog *log, const char *name, const char *p, size_t n);

/* Append a closed event line: NAME, a space, the escaped bytes between
 * double quotes (so that an empty or space-ending value stays visible in a
 * vector file). */
void mp_evlog_quoted(mp_evlog *log, const char *name, const char *p, size_t n);

/* A parser under test: `reset` starts a fresh parser state; `feed` gives it
 * one piece of input and logs the events. */
typedef struct mp_split_target {
    void (*reset)(void *state);
    void (*feed)(void *state, const char *p, size_t n, mp_evlog *log);
    void (*finish)(void *state, mp_evlog *log); /* may be NULL */
    void *state;
} mp_split_target;

/* Runs `in` whole, byte by byte, at every 2-way split (inputs up to 4 KiB)
 * and at 64 random multi-way splits (fewer on emulated targets, split.c);
 * asserts (cmocka) that every log equals `expected` when it is non-NULL,
 * else equals the whole-input log.
 * Returns the whole-input log (static storage). */
const char *mp_split_check(const mp_split_target *t, const char *in, size_t n,
                           const char *expected);

/* Text printed before a mismatch report (e.g. "file:line: vector name");
 * NULL for none.  The string must live until it is replaced. */
void mp_split_set_context(const char *where);

/* The longest input mp_split_check runs at every 2-way split (at most
 * MP_SPLIT_TWO_WAY_MAX: 4096, 32 on emulated targets; it costs one run per
 * byte).  A test whose long inputs repeat what
 * short ones already swept lowers it; 0 turns the sweep off. */
void mp_split_set_two_way_max(size_t n);

/* The client fixtures' transcript marker "<SEND:n>" (the host sends n
 * more bytes) at s: the marker's length, with n in *n; 0 when s does not
 * start with one.  Written out rather than with sscanf, which has no
 * "%llu" in newlib-nano (the Cortex-M4 tests). */
size_t mp_send_mark(const char *s, size_t *n);

#endif
