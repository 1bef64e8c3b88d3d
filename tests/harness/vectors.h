/* Test harness: vectors as plain data files (tests/vectors/<module>/NAME.vec).
 *
 * A test reads a file from the directory named by the environment variable
 * MP_VECTORS (ctest sets it to tests/vectors) and runs every vector it holds
 * through mp_split_check (split.h), so each one is checked whole, byte by
 * byte, at every 2-way split and at random splits.
 *
 * File format (UTF-8 text, LF line ends; one file holds many vectors):
 *
 *   # comment: lines starting with '#' outside an events section
 *   === name of the vector
 *   :key value            a parameter for the fixture (max_line, policy, ...)
 *   input text            every other line is input; lines are concatenated
 *   more input            WITHOUT the file's own newline: spell line ends
 *   --- events            as \r\n, so a CR or LF is never implied
 *   expected event line   the exact log the fixture writes (split.h format),
 *   expected event line   one event per line; blank lines are ignored
 *
 * Escapes in input lines: \r \n \t \0 \\ \xHH (two hex digits).  An input
 * line that starts with '#', ':' or "===" / "---" is written with an escape
 * for its first byte (\x23, \x3a, \x3d, \x2d).  Every other byte stands for
 * itself, trailing spaces included.  Event lines are literal: the event
 * log already escapes bytes (\r, \n, \\, \xHH).
 *
 * A vector without a "--- events" section only asserts that every split
 * gives the same log as the whole input.
 */
#ifndef MP_TEST_VECTORS_H
#define MP_TEST_VECTORS_H

#include <stddef.h>

#include "split.h"

#define MP_VECTOR_MAX_INPUT 65536
#define MP_VECTOR_MAX_PARAMS 8

/* One vector, owned by the harness; valid until the next call that loads
 * a vector. */
typedef struct mp_vector {
    const char *file;         /* path relative to MP_VECTORS */
    unsigned line;            /* line of the "===" header, for messages */
    char name[128];
    char keys[MP_VECTOR_MAX_PARAMS][32];
    char values[MP_VECTOR_MAX_PARAMS][64];
    size_t nparams;
    char input[MP_VECTOR_MAX_INPUT];
    size_t input_len;
    char events[MP_EVLOG_CAP]; /* expected log, '\n' after every line */
    int has_events;
} mp_vector;

/* Value of parameter `key`, or `def` when the vector does not set it. */
const char *mp_vector_param(const mp_vector *v, const char *key, const char *def);

/* Called for every vector of a file; `ctx` is the caller's. */
typedef void (*mp_vector_fn)(const mp_vector *v, void *ctx);

/* Read $MP_VECTORS/`relpath` and call `fn` on each vector in file order.
 * A missing file, a malformed vector or an empty file fails the cmocka test.
 * Returns the number of vectors run. */
size_t mp_vectors_run(const char *relpath, mp_vector_fn fn, void *ctx);

/* The usual case: run every vector of `relpath` through mp_split_check on
 * target `t`, after `setup(v, t->state)` configured the fixture from the
 * vector's parameters (setup may be NULL).  A failing vector is named in
 * the cmocka output (file, line, name).  Returns the number of vectors. */
size_t mp_vectors_split_check(const char *relpath, const mp_split_target *t,
                              void (*setup)(const mp_vector *v, void *state));

#endif
