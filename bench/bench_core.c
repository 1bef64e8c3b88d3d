#define _POSIX_C_SOURCE 199309L
/*
 * bench_core: throughput of the core codecs on deterministic generated
 * corpora, each beside a memchr scan of the same input bytes (the
 * practical ceiling of a byte-oriented pass), and sizeof of every core
 * state struct.  Figures are printed, never asserted.
 *
 *   bench/bench_core           best of 20 runs per codec, MB/s of input
 *   bench/bench_core --once    one pass per codec, for instruction counts:
 *     valgrind --tool=callgrind bench/bench_core --once
 *     callgrind_annotate --inclusive=yes callgrind.out.<pid> | grep pass_
 *   then divide the Ir of each pass_<codec> by the input bytes printed
 *   for it (--once prints them) to get instructions per byte;
 *   bench/callgrind-ipb <bench_core> runs all of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailproto/core.h"

#include "bench_common.h"

#define CORPUS (8u << 20)
#define CHUNK 4096u /* a typical socket read, for the streaming codecs */

static char corpus[CORPUS + 16];             /* dot-stuffed mail text */
static size_t corpus_len;
static char content[CORPUS + 16];            /* the same text unstuffed */
static size_t content_len;
static char b64[MP_BASE64_ENCODED_LEN(CORPUS) + 16]; /* base64 of content */
static size_t b64_len;
static char scratch[MP_BASE64_ENCODED_LEN(CORPUS) + CHUNK * 2];

#define NAMES 60000u
static char names_utf8[NAMES * 64];          /* mailbox names, UTF-8 */
static size_t name_off[NAMES + 1];
static char names_mutf7[NAMES * 128];        /* the same, modified UTF-7 */
static size_t mname_off[NAMES + 1];

static uint32_t rng = 12345u;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* Mail-like text: lines of 20..90 printable bytes, some starting with '.',
 * CRLF ends, and the terminator at the end. */
static void make_body(void)
{
    size_t n = 0;
    while (n < CORPUS - 200) {
        uint32_t x = next_rand();
        size_t len = 20u + x % 71u, i;
        for (i = 0; i < len; i++)
            corpus[n++] = (char)(' ' + (int)(((x >> (i % 24)) + (uint32_t)i) % 94u));
        if (x % 50u == 0) {
            memmove(corpus + n - len + 1, corpus + n - len, len);
            corpus[n - len] = '.';
            corpus[n - len + 1] = '.'; /* stuffed */
            n++;
        }
        corpus[n++] = '\r';
        corpus[n++] = '\n';
    }
    memcpy(corpus + n, ".\r\n", 3);
    corpus_len = n + 3;
}

/* Mailbox names: folders of European and CJK words, the mix real servers
 * hold ("INBOX/Entw&APw-rfe", "&U,BTFw-/&ZeVnLIqe-"). */
static void make_names(void)
{
    static const char *const parts[] = {
        "INBOX", "Archive", "Sent", "Entw\xc3\xbcrfe", "Gel\xc3\xb6scht", "\xc3\x89l\xc3\xa9ments",
        "\xe5\x8f\xb0\xe5\x8c\x97", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", "Lists", "Projects",
        "\xd0\x92\xd1\x85\xd0\xbe\xd0\xb4\xd1\x8f\xd1\x89\xd0\xb8\xd0\xb5", "2024", "Q&A",
    };
    size_t i, n = 0, m = 0;
    for (i = 0; i < NAMES; i++) {
        unsigned k, depth = 1u + next_rand() % 3u;
        size_t len;
        name_off[i] = n;
        for (k = 0; k < depth; k++) {
            const char *p = parts[next_rand() % (sizeof(parts) / sizeof(parts[0]))];
            if (k)
                names_utf8[n++] = '/';
            memcpy(names_utf8 + n, p, strlen(p));
            n += strlen(p);
        }
        mname_off[i] = m;
        if (mp_mutf7_encode(names_utf8 + name_off[i], n - name_off[i], names_mutf7 + m,
                            sizeof(names_mutf7) - m, &len) != MP_OK)
            abort();
        m += len;
    }
    name_off[NAMES] = n;
    mname_off[NAMES] = m;
}

static void make_derived(void)
{
    mp_dot_decoder d;
    const char *p = corpus;
    size_t n = corpus_len;
    mp_dot_decoder_init(&d, MP_DOT_STRICT);
    content_len = 0;
    for (;;) {
        size_t used;
        mp_slice c;
        mp_status st = mp_dot_decoder_next(&d, p, n, &used, &c);
        if (st == MP_OK) {
            memcpy(content + content_len, c.ptr, c.len);
            content_len += c.len;
        }
        p += used;
        n -= used;
        if (st != MP_OK)
            break;
    }
    if (d.err.code != MP_OK || n != 0)
        abort();
    if (mp_base64_encode(content, content_len, b64, sizeof(b64), &b64_len) != MP_OK)
        abort();
}

/* ---- codecs --------------------------------------------------------------- */

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

static void pass_dot_decode(void)
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

/* The dot encoder writes into a CHUNK-sized output buffer that the "host"
 * drains when full, as a session would. */
static void pass_dot_encode(void)
{
    static char out[CHUNK];
    mp_dot_encoder e;
    mp_outbuf ob;
    const char *p = content;
    size_t n = content_len, sent = 0;
    mp_dot_encoder_init(&e, 0);
    mp_outbuf_init(&ob, out, sizeof(out));
    while (n > 0) {
        size_t used;
        mp_status st = mp_dot_encoder_update(&e, p, n, &used, &ob);
        if (mp_is_error(st) && st != MP_ERR_NO_SPACE)
            abort();
        p += used;
        n -= used;
        if (n > 0) {
            sent += ob.len;
            mp_outbuf_consume(&ob, ob.len);
        }
    }
    while (mp_dot_encoder_finish(&e, &ob) == MP_ERR_NO_SPACE) {
        sent += ob.len;
        mp_outbuf_consume(&ob, ob.len);
    }
    sink = sent + ob.len;
}

static void pass_b64_encode(void)
{
    size_t len;
    if (mp_base64_encode(content, content_len, scratch, sizeof(scratch), &len) != MP_OK)
        abort();
    sink = len;
}

static void pass_b64_encode_stream(void)
{
    mp_base64_encoder e;
    size_t off = 0, o = 0;
    mp_base64_encoder_init(&e);
    while (off < content_len) {
        size_t n = content_len - off < CHUNK ? content_len - off : CHUNK;
        o += mp_base64_encoder_update(&e, content + off, n, scratch + o);
        off += n;
    }
    o += mp_base64_encoder_finish(&e, scratch + o);
    sink = o;
}

static void pass_b64_decode(void)
{
    size_t len;
    if (mp_base64_decode(b64, b64_len, scratch, sizeof(scratch), &len) != MP_OK)
        abort();
    sink = len;
}

static void pass_b64_decode_stream(void)
{
    mp_base64_decoder d;
    size_t off = 0, o = 0, w;
    mp_base64_decoder_init(&d, 0);
    while (off < b64_len) {
        size_t n = b64_len - off < CHUNK ? b64_len - off : CHUNK;
        if (mp_base64_decoder_update(&d, b64 + off, n, scratch + o, &w) != MP_OK)
            abort();
        o += w;
        off += n;
    }
    if (mp_base64_decoder_finish(&d, scratch + o, &w) != MP_OK)
        abort();
    sink = o + w;
}

static void pass_mutf7_encode(void)
{
    size_t i, len, total = 0;
    for (i = 0; i < NAMES; i++) {
        if (mp_mutf7_encode(names_utf8 + name_off[i], name_off[i + 1] - name_off[i], scratch,
                            256, &len) != MP_OK)
            abort();
        total += len;
    }
    sink = total;
}

static void pass_mutf7_decode(void)
{
    size_t i, len, total = 0;
    for (i = 0; i < NAMES; i++) {
        if (mp_mutf7_decode(names_mutf7 + mname_off[i], mname_off[i + 1] - mname_off[i],
                            scratch, 256, &len) != MP_OK)
            abort();
        total += len;
    }
    sink = total;
}

/* ---- driver --------------------------------------------------------------- */

#define measure(name, fn, in, n, once) bench_measure(name, #fn, fn, 0, in, n, NULL, 0, once, 0)

int main(int argc, char **argv)
{
    int once = argc > 1 && strcmp(argv[1], "--once") == 0;
    make_body();
    make_derived();
    make_names();
    printf("corpus: %zu bytes of CRLF mail text, %zu of base64, %u mailbox names "
           "(%zu bytes UTF-8, %zu mUTF-7)\n",
           corpus_len, b64_len, NAMES, name_off[NAMES], mname_off[NAMES]);
    printf("MB/s of codec input; memchr('\\n') over the same bytes is the ceiling\n");
    measure("line framer", pass_framer, corpus, corpus_len, once);
    measure("dot decoder (strict)", pass_dot_decode, corpus, corpus_len, once);
    measure("dot encoder", pass_dot_encode, content, content_len, once);
    measure("base64 encode (one-shot)", pass_b64_encode, content, content_len, once);
    measure("base64 encode (stream 4K)", pass_b64_encode_stream, content, content_len, once);
    measure("base64 decode (one-shot)", pass_b64_decode, b64, b64_len, once);
    measure("base64 decode (stream 4K)", pass_b64_decode_stream, b64, b64_len, once);
    measure("mUTF-7 encode (per name)", pass_mutf7_encode, names_utf8, name_off[NAMES], once);
    measure("mUTF-7 decode (per name)", pass_mutf7_decode, names_mutf7, mname_off[NAMES], once);
    if (once)
        printf("instructions/byte = callgrind Ir (inclusive) of each pass_ function / its "
               "input bytes (bench/callgrind-ipb does the division)\n");
    printf("sizeof mp_line_framer    %zu\n", sizeof(mp_line_framer));
    printf("sizeof mp_dot_decoder    %zu\n", sizeof(mp_dot_decoder));
    printf("sizeof mp_dot_encoder    %zu\n", sizeof(mp_dot_encoder));
    printf("sizeof mp_base64_decoder %zu\n", sizeof(mp_base64_decoder));
    printf("sizeof mp_base64_encoder %zu\n", sizeof(mp_base64_encoder));
    printf("sizeof mp_outbuf         %zu\n", sizeof(mp_outbuf));
    printf("sizeof mp_error          %zu\n", sizeof(mp_error));
    printf("sizeof mp_slice          %zu\n", sizeof(mp_slice));
    return 0;
}
