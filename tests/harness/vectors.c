/* Vector file loader (format in vectors.h).  Test code: it may allocate and
 * use stdio; the library under test may not. */
#include "vectors.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

const char *mp_vector_param(const mp_vector *v, const char *key, const char *def)
{
    size_t i;
    for (i = 0; i < v->nparams; i++)
        if (strcmp(v->keys[i], key) == 0)
            return v->values[i];
    return def;
}

static void vec_fail(const char *file, unsigned line, const char *why)
{
    print_error("%s:%u: %s\n", file, line, why);
    fail();
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Append the unescaped bytes of one input line. */
static void add_input(mp_vector *v, const char *s, size_t n, unsigned line)
{
    size_t i;
    for (i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\\') {
            if (++i >= n)
                vec_fail(v->file, line, "lone backslash at the end of an input line");
            switch (s[i]) {
            case 'r': c = '\r'; break;
            case 'n': c = '\n'; break;
            case 't': c = '\t'; break;
            case '0': c = '\0'; break;
            case '\\': c = '\\'; break;
            case 'x': {
                int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
                int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
                if (hi < 0 || lo < 0)
                    vec_fail(v->file, line, "\\x needs two hex digits");
                c = (char)(hi * 16 + lo);
                i += 2;
                break;
            }
            default:
                vec_fail(v->file, line, "unknown escape in input");
            }
        }
        if (v->input_len >= sizeof(v->input))
            vec_fail(v->file, line, "input longer than MP_VECTOR_MAX_INPUT");
        v->input[v->input_len++] = c;
    }
}

static void add_param(mp_vector *v, const char *s, size_t n, unsigned line)
{
    const char *sp = memchr(s, ' ', n);
    size_t kl = sp ? (size_t)(sp - s) : n;
    size_t vl = sp ? n - kl - 1 : 0;
    if (v->nparams >= MP_VECTOR_MAX_PARAMS || kl == 0 || kl >= sizeof(v->keys[0]) ||
        vl >= sizeof(v->values[0]))
        vec_fail(v->file, line, "bad parameter line");
    memcpy(v->keys[v->nparams], s, kl);
    v->keys[v->nparams][kl] = '\0';
    if (vl)
        memcpy(v->values[v->nparams], sp + 1, vl);
    v->values[v->nparams][vl] = '\0';
    v->nparams++;
}

static void add_event(mp_vector *v, const char *s, size_t n, unsigned line)
{
    size_t have = strlen(v->events);
    if (have + n + 2 > sizeof(v->events))
        vec_fail(v->file, line, "events longer than MP_EVLOG_CAP");
    memcpy(v->events + have, s, n);
    v->events[have + n] = '\n';
    v->events[have + n + 1] = '\0';
}

static char *read_file(const char *relpath, size_t *len)
{
    const char *dir = getenv("MP_VECTORS");
    char path[1024];
    FILE *fp;
    char *buf;
    long sz;
    if (dir == NULL) {
        print_error("MP_VECTORS is not set (ctest sets it to tests/vectors)\n");
        fail();
    }
    snprintf(path, sizeof(path), "%s/%s", dir, relpath);
    fp = fopen(path, "rb");
    if (fp == NULL) {
        print_error("cannot open vector file %s\n", path);
        fail();
    }
    fseek(fp, 0, SEEK_END);
    sz = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    assert_true(sz >= 0);
    buf = malloc((size_t)sz + 1);
    assert_non_null(buf);
    assert_true(fread(buf, 1, (size_t)sz, fp) == (size_t)sz);
    fclose(fp);
    buf[sz] = '\0';
    *len = (size_t)sz;
    return buf;
}

static void start_vector(mp_vector *v, const char *file, unsigned line, const char *s,
                         size_t n)
{
    memset(v, 0, offsetof(mp_vector, input));
    v->input_len = 0;
    v->events[0] = '\0';
    v->has_events = 0;
    v->file = file;
    v->line = line;
    while (n > 0 && *s == ' ') {
        s++;
        n--;
    }
    if (n >= sizeof(v->name))
        vec_fail(file, line, "vector name too long");
    memcpy(v->name, s, n);
    v->name[n] = '\0';
}

size_t mp_vectors_run(const char *relpath, mp_vector_fn fn, void *ctx)
{
    static mp_vector v;
    enum { OUTSIDE, INPUT, EVENTS } sec = OUTSIDE;
    size_t len, off = 0, count = 0;
    unsigned lineno = 0;
    char *text = read_file(relpath, &len);

    while (off < len) {
        const char *s = text + off;
        const char *nl = memchr(s, '\n', len - off);
        size_t n = nl ? (size_t)(nl - s) : len - off;
        off += n + 1;
        lineno++;
        /* A raw CR would silently become input: a checkout with CRLF line
         * ends must fail loudly, not test something else. */
        if (memchr(s, '\r', n) != NULL)
            vec_fail(relpath, lineno, "raw CR in a vector file (use LF line ends, spell CR \\r)");
        if (n >= 3 && memcmp(s, "===", 3) == 0) {
            if (sec != OUTSIDE) {
                fn(&v, ctx);
                count++;
            }
            start_vector(&v, relpath, lineno, s + 3, n - 3);
            sec = INPUT;
        } else if (sec == EVENTS) {
            if (n > 0 && s[0] != '#')
                add_event(&v, s, n, lineno);
        } else if (n > 0 && s[0] == '#') {
            /* comment */
        } else if (sec == OUTSIDE) {
            if (n > 0)
                vec_fail(relpath, lineno, "text outside a vector (missing \"=== name\"?)");
        } else if (n >= 3 && memcmp(s, "---", 3) == 0) {
            sec = EVENTS;
            v.has_events = 1;
        } else if (n > 0 && s[0] == ':') {
            add_param(&v, s + 1, n - 1, lineno);
        } else {
            add_input(&v, s, n, lineno);
        }
    }
    if (sec != OUTSIDE) {
        fn(&v, ctx);
        count++;
    }
    free(text);
    if (count == 0)
        vec_fail(relpath, 1, "no vectors in file");
    return count;
}

typedef struct split_ctx {
    const mp_split_target *t;
    void (*setup)(const mp_vector *v, void *state);
} split_ctx;

static void run_split(const mp_vector *v, void *ctx)
{
    const split_ctx *c = ctx;
    char where[256];
    snprintf(where, sizeof(where), "%s:%u: %s", v->file, v->line, v->name);
    if (c->setup)
        c->setup(v, c->t->state);
    mp_split_set_context(where);
    mp_split_check(c->t, v->input, v->input_len, v->has_events ? v->events : NULL);
    mp_split_set_context(NULL);
}

size_t mp_vectors_split_check(const char *relpath, const mp_split_target *t,
                              void (*setup)(const mp_vector *v, void *state))
{
    split_ctx c;
    c.t = t;
    c.setup = setup;
    return mp_vectors_run(relpath, run_split, &c);
}
