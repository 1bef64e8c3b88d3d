/*
 * fuzz_split.h — the shared feed loop and fragmentation oracle of the fuzz
 * targets (header only; include it from any fuzz/fuzz_<name>.c).
 *
 * docs/architecture.md §4 promises the same events whatever the split of the input.
 * A target describes its parser as a fuzz_target (reset / step / finish
 * over a state of its own) and calls
 *
 *     fuzz_split_check(&target, data, size, knob);
 *
 * which feeds the input whole, then cut into pieces chosen by `knob` (a
 * fuzzer-controlled byte: fixed sizes 1..16 or pseudo-random sizes), and
 * abort()s when the two event digests differ.  Inside each piece the loop
 * calls `step` until the piece is consumed, and abort()s when a step claims
 * more bytes than it was given or makes no progress 16 times in a row (a
 * hang).  `step` reports events into a fuzz_digest:
 *
 *   fuzz_digest_event(d, "L", p, n)   a discrete event (a line, an error
 *                                     with its offset, the end of a body)
 *   fuzz_digest_chunk(d, p, n)        payload bytes; adjacent chunks are
 *                                     hashed as one, so the digest does not
 *                                     depend on where a payload was cut
 *
 * Protocol targets (SMTP/POP3/IMAP codecs and sessions) use it the same
 * way: step = one call of their *_feed, events = their callbacks.  A step
 * calls fuzz_digest_stop(d) to end the run early (the parser is done or
 * closed); the bytes left over are hashed as an event, so a split cannot
 * move the stopping point.
 *
 * Test-only code: it may use abort(); it is never linked into lib/.
 */
#ifndef MP_FUZZ_SPLIT_H
#define MP_FUZZ_SPLIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A running FNV-1a hash of the events and how many there were. */
typedef struct fuzz_digest {
    uint64_t h;
    uint64_t events;
    int in_chunk;   /* the last thing hashed was payload */
    int stop;       /* the parser takes no more input */
} fuzz_digest;

/* Consume some of p[0..n) (n > 0), report events into d, and return the
 * number of bytes used (0..n). */
typedef size_t (*fuzz_step_fn)(void *state, const uint8_t *p, size_t n, fuzz_digest *d);

typedef struct fuzz_target {
    void (*reset)(void *state);                   /* fresh parser */
    fuzz_step_fn step;
    void (*finish)(void *state, fuzz_digest *d);  /* end of input; may be NULL */
    void *state;
} fuzz_target;

static inline void fuzz_digest_init(fuzz_digest *d)
{
    d->h = 14695981039346656037u;
    d->events = 0;
    d->in_chunk = 0;
    d->stop = 0;
}

/* Called by a step: end the run after the bytes this step used. */
static inline void fuzz_digest_stop(fuzz_digest *d) { d->stop = 1; }

static inline void fuzz_digest_mix(fuzz_digest *d, const void *p, size_t n)
{
    const unsigned char *b = (const unsigned char *)p;
    size_t i;
    for (i = 0; i < n; i++)
        d->h = (d->h ^ b[i]) * 1099511628211u;
}

/* A discrete event: a tag, then its bytes with their length (so that
 * "ab"+"c" and "a"+"bc" differ). */
static inline void fuzz_digest_event(fuzz_digest *d, const char *tag, const void *p, size_t n)
{
    uint64_t len = n;
    d->in_chunk = 0;
    fuzz_digest_mix(d, tag, strlen(tag) + 1);
    fuzz_digest_mix(d, &len, sizeof(len));
    if (n)
        fuzz_digest_mix(d, p, n);
    d->events++;
}

/* An event carrying one number (a status, an offset). */
static inline void fuzz_digest_u64(fuzz_digest *d, const char *tag, uint64_t v)
{
    fuzz_digest_event(d, tag, &v, sizeof(v));
}

/* Payload bytes: consecutive chunks hash as their concatenation. */
static inline void fuzz_digest_chunk(fuzz_digest *d, const void *p, size_t n)
{
    if (n == 0)
        return;
    if (!d->in_chunk) {
        fuzz_digest_mix(d, "chunk", 6);
        d->events++;
        d->in_chunk = 1;
    }
    fuzz_digest_mix(d, p, n);
}

/* Size of the next piece: knob 0..15 gives fixed pieces of knob + 1 bytes;
 * 16..255 gives pseudo-random pieces of 1..(knob / 8) bytes. */
static inline size_t fuzz_next_piece(uint8_t knob, uint32_t *rng)
{
    if (knob < 16)
        return (size_t)knob + 1u;
    *rng ^= *rng << 13;
    *rng ^= *rng >> 17;
    *rng ^= *rng << 5;
    return 1u + *rng % ((uint32_t)knob / 8u);
}

/* Feed data[0..size) to `t` in pieces (whole when `split` is 0) and return
 * the number of bytes consumed through a stop (size when none). */
static inline size_t fuzz_feed(const fuzz_target *t, const uint8_t *data, size_t size, int split,
                               uint8_t knob, fuzz_digest *d)
{
    uint32_t rng = 0x9e3779b9u ^ knob;
    size_t off = 0;
    fuzz_digest_init(d);
    t->reset(t->state);
    while (off < size) {
        size_t piece = split ? fuzz_next_piece(knob, &rng) : size - off;
        size_t end, stalls = 0;
        if (piece > size - off)
            piece = size - off;
        end = off + piece;
        while (off < end) {
            size_t used = t->step(t->state, data + off, end - off, d);
            if (used > end - off)
                abort(); /* consumed bytes it was not given */
            if (d->stop) {
                off += used;
                fuzz_digest_event(d, "rest", data + off, size - off);
                return off;
            }
            stalls = used == 0 ? stalls + 1 : 0;
            if (stalls > 16)
                abort(); /* no progress: the parser would hang its host */
            off += used;
        }
    }
    if (t->finish)
        t->finish(t->state, d);
    return off;
}

/* The oracle: whole input and a split chosen by `knob` give the same
 * digest and stop at the same byte. */
static inline void fuzz_split_check(const fuzz_target *t, const uint8_t *data, size_t size,
                                    uint8_t knob)
{
    fuzz_digest whole, split;
    size_t a = fuzz_feed(t, data, size, 0, knob, &whole);
    size_t b = fuzz_feed(t, data, size, 1, knob, &split);
    if (a != b || whole.h != split.h || whole.events != split.events)
        abort(); /* fragmentation changed the events */
}

/* A deterministic random source for crypto providers in fuzz targets
 * (mp_crypto_builtin(fuzz_det_random, &seed)): a linear congruential
 * generator over *(uint32_t *)user, so every run of an input is the same. */
static inline int fuzz_det_random(void *user, uint8_t *out, size_t len)
{
    uint32_t *x = (uint32_t *)user;
    size_t i;
    for (i = 0; i < len; i++) {
        *x = *x * 1103515245u + 12345u;
        out[i] = (uint8_t)(*x >> 16);
    }
    return 0;
}

#endif
