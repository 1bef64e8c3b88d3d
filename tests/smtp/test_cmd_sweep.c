/* The two paths of the SMTP command parser swept against each other
 * (lib/smtp/cmd_fast.c, lib/smtp/cmd_parse.c; cmd_internal.h).  Every
 * seed line (tests/vectors/smtp/cmd-sweep.vec, the session transcripts of
 * tests/vectors/smtp/server, the path vectors as MAIL and RCPT, lines at
 * every limit) and its variants (truncated, a byte deleted, replaced or
 * inserted, a letter in the other case, a space doubled) go through
 * mp_smtp_cmd_parse_fast_(), mp_smtp_cmd_parse_careful_() and
 * mp_smtp_cmd_parse() under every combination of parser flags:
 *  - what the fast path takes, the careful path takes with the very same
 *    result (every field, every slice to the byte);
 *  - mp_smtp_cmd_parse() gives exactly what the careful path gives, errors
 *    included (status, offset, rule, verb): no check is lost;
 *  - the fast path takes the common shapes (else it would be dead code).
 * Each line lies at the end of a heap block, so a read past it is caught
 * under ASan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../lib/smtp/cmd_internal.h"
#include "cmd_same.h"
#include "smtp_harness.h"
#include "vectors.h"

#define BLOCK 2048u /* longer than any line swept */

/* Every combination of the parser flags. */
#define NFLAGS 8u

static char *block;
static unsigned long n_lines, n_fast;

static void fail_line(const char *what, const char *detail, const char *p, size_t n,
                      unsigned flags)
{
    size_t i;
    print_error("%s (%s), flags %u, line: ", what, detail ? detail : "-", flags);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            print_error("%c", c);
        else
            print_error("\\x%02x", c);
    }
    print_error("\n");
    fail();
}

/* One line under one set of flags through the three entry points.
 * Returns 1 when the fast path took it. */
static int sweep_one(const char *p, size_t n, unsigned flags)
{
    mp_smtp_cmd ref, pub, fast;
    mp_error e_ref, e_pub;
    mp_status st_ref, st_pub;
    int took;
    const char *d;

    assert_true(n <= BLOCK);
    memcpy(block + BLOCK - n, p, n);
    p = block + BLOCK - n;
    st_ref = mp_smtp_cmd_parse_careful_(p, n, flags, &ref, &e_ref);
    st_pub = mp_smtp_cmd_parse(p, n, flags, &pub, &e_pub);
    if (st_pub != st_ref || e_pub.code != e_ref.code || e_pub.offset != e_ref.offset ||
        (e_pub.rule == NULL) != (e_ref.rule == NULL) ||
        (e_ref.rule != NULL && strcmp(e_pub.rule, e_ref.rule) != 0))
        fail_line("mp_smtp_cmd_parse and the careful path disagree", mp_status_name(st_pub),
                  p, n, flags);
    if (st_ref == MP_OK ? (d = mp_test_cmd_diff(&pub, &ref)) != NULL : pub.verb != ref.verb)
        fail_line("mp_smtp_cmd_parse and the careful path give other commands",
                  st_ref == MP_OK ? d : "verb", p, n, flags);
    took = mp_smtp_cmd_parse_fast_(p, n, flags, &fast);
    if (took) {
        if (st_ref != MP_OK)
            fail_line("the fast path takes what the careful path refuses",
                      mp_status_name(st_ref), p, n, flags);
        if ((d = mp_test_cmd_diff(&fast, &ref)) != NULL)
            fail_line("the fast path reads it otherwise", d, p, n, flags);
    }
    n_lines++;
    n_fast += (unsigned long)took;
    return took;
}

static void sweep_flags(const char *p, size_t n)
{
    unsigned f;
    for (f = 0; f < NFLAGS; f++)
        sweep_one(p, n, f);
}

/* The variants under the flags that change what the fast path may take
 * (the quirk) or what the careful path accepts (UTF-8): every 8-bit byte
 * is the careful path's, whatever MP_SMTP_CMD_UTF8_TXN says. */
static void sweep_some(const char *p, size_t n)
{
    static const unsigned some[] = {
        0, MP_SMTP_CMD_LAX, MP_SMTP_CMD_SMTPUTF8 | MP_SMTP_CMD_UTF8_TXN,
        MP_SMTP_CMD_LAX | MP_SMTP_CMD_SMTPUTF8 | MP_SMTP_CMD_UTF8_TXN
    };
    size_t f;
    for (f = 0; f < sizeof(some) / sizeof(some[0]); f++)
        sweep_one(p, n, some[f]);
}

/* Bytes at the edges of every class the grammar uses. */
static const unsigned char probes[] = {
    0x00, 0x01, '\t', '\n', '\r', 0x1f, ' ', '!', '"', '#', '(', ')', '+', ',', '-',  '.',
    '/',  '0',  '9',  ':',  ';',  '<',  '=', '>', '?', '@', 'A', 'Z', '[', '\\', ']', '^',
    '_',  '`',  'a',  'z',  '{',  '|',  '}', '~', 0x7f, 0x80, 0xbf, 0xc3, 0xff,
};

/* A line and its variants, each under every set of flags. */
static void sweep_variants(const char *line, size_t n)
{
    char v[BLOCK];
    size_t i, k;
    assert_true(n + 2 <= sizeof(v));
    sweep_flags(line, n);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)line[i];
        sweep_some(line, i); /* truncated */
        memcpy(v, line, i); /* byte i deleted */
        memcpy(v + i, line + i + 1, n - i - 1);
        sweep_some(v, n - 1);
        memcpy(v, line, n);
        for (k = 0; k < sizeof(probes); k++) { /* byte i replaced */
            v[i] = (char)probes[k];
            sweep_some(v, n);
        }
        if ((c | 0x20u) >= 'a' && (c | 0x20u) <= 'z') { /* other case */
            v[i] = (char)(c ^ 0x20u);
            sweep_some(v, n);
        }
        memcpy(v, line, i); /* a byte inserted before byte i */
        memcpy(v + i + 1, line + i, n - i);
        for (k = 0; k < sizeof(probes); k++) {
            v[i] = (char)probes[k];
            sweep_some(v, n + 1);
        }
        if (c == ' ') { /* a space doubled */
            v[i] = ' ';
            sweep_some(v, n + 1);
        }
    }
}

/* Every command line ("\r\n"-terminated) of in[0..n). */
static void sweep_lines(const char *in, size_t n, int variants)
{
    size_t s = 0, i;
    for (i = 0; i + 1 < n; i++) {
        if (in[i] != '\r' || in[i + 1] != '\n')
            continue;
        if (variants)
            sweep_variants(in + s, i - s);
        else
            sweep_flags(in + s, i - s);
        s = i + 2;
    }
}

static void on_vector(const mp_vector *v, void *ctx)
{
    (void)ctx;
    sweep_lines(v->input, v->input_len, 1);
}

static void test_seed_vectors(void **st)
{
    (void)st;
    assert_true(mp_vectors_run("smtp/cmd-sweep.vec", on_vector, NULL) > 0);
}

/* The client lines of the session transcripts (their bodies too: any
 * line is a line to parse). */
static void test_transcripts(void **st)
{
    static char buf[1u << 20];
    smtp_vec_iter it;
    const char *path;
    size_t files = 0;
    (void)st;
    smtp_vec_open(&it, "smtp/server");
    while ((path = smtp_vec_next(&it)) != NULL) {
        size_t n = smtp_read_file(path, buf, sizeof(buf));
        sweep_lines(buf, n, 1);
        files++;
    }
    assert_true(files > 0);
}

/* The path vectors of the path parser, as MAIL and RCPT arguments, with
 * parameters after them and not. */
static void test_path_vectors(void **st)
{
    static const char *const heads[] = { "MAIL FROM:", "RCPT TO:" };
    static const char *const tails[] = { "", " SIZE=10 NOTIFY=NEVER" };
    char line[600];
    size_t i, h, t;
    (void)st;
    for (h = 0; h < 2; h++)
        for (t = 0; t < 2; t++) {
            for (i = 0; i < PATH_VEC_COUNT(path_ok_vecs); i++) {
                int k = snprintf(line, sizeof(line), "%s%s%s", heads[h], path_ok_vecs[i].path,
                                 tails[t]);
                sweep_variants(line, (size_t)k);
            }
            for (i = 0; i < PATH_VEC_COUNT(path_bad_vecs); i++) {
                size_t hl = strlen(heads[h]), tl = strlen(tails[t]);
                const path_bad_vec *b = &path_bad_vecs[i];
                memcpy(line, heads[h], hl);
                memcpy(line + hl, b->path, b->len);
                memcpy(line + hl + b->len, tails[t], tl);
                sweep_variants(line, hl + b->len + tl);
            }
        }
}

/* A line with a run of `n` copies of `c` between `pre` and `post`. */
static size_t with_run(char *out, const char *pre, char c, size_t n, const char *post)
{
    size_t a = strlen(pre), b = strlen(post);
    assert_true(a + n + b <= BLOCK);
    memcpy(out, pre, a);
    memset(out + a, c, n);
    memcpy(out + a + n, post, b);
    return a + n + b;
}

/* Labels of 63 bytes and dots up to `dl` bytes of domain. */
static size_t long_domain(char *out, size_t dl)
{
    size_t i;
    for (i = 0; i < dl; i++)
        out[i] = (i % (MP_SMTP_MAX_LABEL + 1u)) == MP_SMTP_MAX_LABEL ? '.' : 'd';
    if (dl > 0 && out[dl - 1] == '.')
        out[dl - 1] = 'e';
    return dl;
}

/* Every limit swept across its bound: local part, label, domain, path,
 * parameter count, SIZE and BDAT digits. */
static void test_limits(void **st)
{
    char line[BLOCK], dom[BLOCK];
    size_t n, d, k;
    (void)st;
    for (n = MP_SMTP_MAX_LOCAL_PART - 2; n <= MP_SMTP_MAX_LOCAL_PART + 2; n++) {
        sweep_flags(line, with_run(line, "RCPT TO:<", 'l', n, "@x.example>"));
        sweep_flags(line, with_run(line, "MAIL FROM:<", 'l', n, "@x.example> SIZE=1"));
    }
    for (n = MP_SMTP_MAX_LABEL - 2; n <= MP_SMTP_MAX_LABEL + 2; n++) {
        sweep_flags(line, with_run(line, "RCPT TO:<u@", 'b', n, ".example>"));
        sweep_flags(line, with_run(line, "RCPT TO:<u@a.", 'b', n, ">"));
        sweep_flags(line, with_run(line, "EHLO ", 'b', n, ".example"));
    }
    for (d = MP_SMTP_MAX_DOMAIN - 3; d <= MP_SMTP_MAX_DOMAIN + 3; d++) {
        long_domain(dom, d);
        dom[d] = '\0';
        n = (size_t)snprintf(line, sizeof(line), "EHLO %s", dom);
        sweep_flags(line, n);
        n = (size_t)snprintf(line, sizeof(line), "RCPT TO:<u@%s>", dom);
        sweep_flags(line, n);
    }
    /* the whole path with its brackets around MP_SMTP_MAX_PATH */
    for (k = MP_SMTP_MAX_PATH - 3; k <= MP_SMTP_MAX_PATH + 3; k++) {
        char local[MP_SMTP_MAX_LOCAL_PART + 1];
        size_t dl = k - 3 - MP_SMTP_MAX_LOCAL_PART;
        memset(local, 'p', MP_SMTP_MAX_LOCAL_PART);
        local[MP_SMTP_MAX_LOCAL_PART] = '\0';
        long_domain(dom, dl);
        dom[dl] = '\0';
        sweep_flags(line, (size_t)snprintf(line, sizeof(line), "MAIL FROM:<%s@%s>", local, dom));
        sweep_flags(line, (size_t)snprintf(line, sizeof(line), "RCPT TO:<%s@%s>", local, dom));
    }
    for (k = MP_SMTP_MAX_PARAMS - 2; k <= MP_SMTP_MAX_PARAMS + 2; k++) {
        size_t i;
        n = (size_t)snprintf(line, sizeof(line), "MAIL FROM:<a@b>");
        for (i = 0; i < k; i++)
            n += (size_t)snprintf(line + n, sizeof(line) - n, " X%zu=%zu", i, i);
        sweep_flags(line, n);
    }
    for (k = 17; k <= 22; k++) {
        sweep_flags(line, with_run(line, "MAIL FROM:<a@b> SIZE=", '9', k, ""));
        sweep_flags(line, with_run(line, "MAIL FROM:<a@b> SIZE=1", '0', k - 1, " BODY=7BIT"));
        sweep_flags(line, with_run(line, "BDAT ", '9', k, ""));
        sweep_flags(line, with_run(line, "BDAT 1", '0', k - 1, " LAST"));
    }
    sweep_flags(line, with_run(line, "NOOP ", 'x', MP_SMTP_MAX_COMMAND_LINE, ""));
}

/* The lines clients send most, with every byte replaced by every byte
 * value, not only the probes. */
static void test_every_byte(void **st)
{
    static const char *const lines[] = {
        "RCPT TO:<first.last64@dept0.example.net>",
        "MAIL FROM:<s1@m1.example.org> SIZE=1 BODY=8BITMIME RET=HDRS ENVID=Q1",
        "RCPT TO:<a@b.c> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@b.c",
        "EHLO client.example.org",
        "BDAT 42 LAST",
        "NOOP x",
        "STARTTLS",
        "DATA",
    };
    char v[BLOCK];
    size_t l, i;
    unsigned c;
    (void)st;
    for (l = 0; l < sizeof(lines) / sizeof(lines[0]); l++) {
        size_t n = strlen(lines[l]);
        memcpy(v, lines[l], n);
        for (i = 0; i < n; i++) {
            for (c = 0; c < 256; c++) {
                v[i] = (char)c;
                sweep_some(v, n);
            }
            v[i] = lines[l][i];
        }
    }
}

/* The fast path takes the common shapes under every set of flags. */
static void test_fast_takes_common(void **st)
{
    static const char *const lines[] = {
        "EHLO client.example.org",
        "HELO mail.example.com",
        "LHLO mx.example.org",
        "MAIL FROM:<sender1@mail1.example.org> SIZE=123456 BODY=8BITMIME",
        "MAIL FROM:<s5@m5.example.org> SIZE=4096 BODY=8BITMIME RET=HDRS ENVID=QQ000005",
        "mail from:<A@B.C> body=7bit",
        "MAIL FROM:<>",
        "RCPT TO:<first.last64@dept0.example.net>",
        "RCPT TO:<a@b.c> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;a@b.c",
        "rcpt to:<x@y.z>",
        "DATA",
        "RSET",
        "QUIT",
        "NOOP",
        "HELP",
        "VRFY postmaster",
        "BDAT 4096",
        "BDAT 0 LAST",
        "STARTTLS",
    };
    size_t i;
    unsigned f;
    (void)st;
    for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        for (f = 0; f < NFLAGS; f++)
            if (!sweep_one(lines[i], strlen(lines[i]), f))
                fail_line("the fast path declines a common command", NULL, lines[i],
                          strlen(lines[i]), f);
}

static int setup(void **st)
{
    (void)st;
    block = malloc(BLOCK);
    return block == NULL;
}

static int teardown(void **st)
{
    (void)st;
    free(block);
    /* the sweep went through both paths, and the fast one took a part */
    print_message("swept %lu lines, %lu taken by the fast path\n", n_lines, n_fast);
    return !(n_lines > 0 && n_fast > 0 && n_fast < n_lines);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fast_takes_common), cmocka_unit_test(test_seed_vectors),
        cmocka_unit_test(test_transcripts),       cmocka_unit_test(test_path_vectors),
        cmocka_unit_test(test_limits),            cmocka_unit_test(test_every_byte),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
