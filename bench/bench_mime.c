#define _POSIX_C_SOURCE 199309L
/*
 * bench_mime: throughput of the message-structure parser (mime.h) on a
 * deterministic mailbox-like corpus, beside a memchr scan of the same
 * bytes (the practical ceiling of a pass that finds line ends), and
 * sizeof of its state and records.  Figures are printed, never asserted;
 * every pass checks its result (the part count and value bytes of the
 * whole corpus) and aborts when it is wrong.
 *
 * Corpus (xorshift-seeded, identical on every run), messages with a
 * realistic header (Received chain, DKIM signature, addresses, about
 * 2 KB):
 *  - 40% text/plain, 1..20 KB of 60..78-byte lines;
 *  - 30% multipart/alternative: the text and an HTML version in
 *    quoted-printable;
 *  - 20% multipart/mixed: a text part and 1..3 base64 attachments of
 *    4 KB..512 KB (76-character lines);
 *  - 10% a forwarded message: multipart/mixed with a message/rfc822 part
 *    holding a multipart/alternative message.
 * Passes: whole messages, 4 KiB feeds (file reads), 64-byte and 1-byte
 * feeds; the last one also writes ENVELOPE and BODYSTRUCTURE through the
 * response writer (a FETCH of a cold cache).
 *
 *   bench/bench_mime [runs]    best of `runs` (default 20)
 *   bench/bench_mime --once    one pass each, for instruction counts:
 *     bench/callgrind-ipb build/bench/bench/bench_mime
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mailproto/imap.h"
#include "mailproto/mime.h"

#include "bench_common.h"

#define CORPUS (24u << 20)
#define MAXMSG 4096u

static char corpus[CORPUS + (1u << 20)];
static size_t corpus_len;
static size_t msg_off[MAXMSG + 1];
static unsigned nmsg;

static mp_mime_parser parser;
static mp_mime_part parts[256];
static char values[MP_MIME_VALUES_SUGGESTED];
static char out[1u << 16];

static uint64_t want_parts, want_values; /* what every pass must find */

static uint32_t rng = 0x2545f491u;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void put(const char *s)
{
    size_t n = strlen(s);
    if (corpus_len + n > sizeof(corpus))
        abort();
    memcpy(corpus + corpus_len, s, n);
    corpus_len += n;
}

static void putf(const char *fmt, unsigned a, unsigned b)
{
    char line[512];
    snprintf(line, sizeof(line), fmt, a, b);
    put(line);
}

/* A header as real mail has: trace fields, a DKIM signature, addresses. */
static void header(unsigned i, const char *ctype)
{
    unsigned k;
    for (k = 0; k < 4; k++)
        putf("Received: from mx%u.example.net (mx%u.example.net [192.0.2.7])\r\n"
             "\tby mail.example.org (Postfix) with ESMTPS id 4Xq7Lz2kQ1z9sWn\r\n"
             "\tfor <alice@example.org>; Tue, 10 Nov 2026 10:10:10 +0000 (UTC)\r\n", k, k);
    put("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.net; s=sel;\r\n"
        "\th=from:to:subject:date:message-id:mime-version:content-type;\r\n"
        "\tbh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;\r\n"
        "\tb=dzdVyOfAKCdLXdJOc9G2q8LoXSlEniSbav+yuU4zGeeruD00lszZVoG4ZHRNiYzR\r\n"
        "\t NjDsDk2b1V9QnL7SKmVVqLnz8W1a6eD3CXR2VaqJhV7vw1dMqWxK7c7gUpqr2sM\r\n");
    putf("From: \"Sender %u\" <sender%u@example.net>\r\n", i, i);
    putf("To: Alice <alice@example.org>, \"Team %u\" <team%u@example.org>\r\n", i, i);
    if (i % 3 == 0)
        put("Cc: bob@example.com, Carol Example <carol@example.com>\r\n");
    putf("Subject: =?UTF-8?Q?Re=3A_project_update_=E2=80=94_week_%u?= (%u)\r\n", i % 52, i);
    put("Date: Tue, 10 Nov 2026 10:10:10 +0000\r\n");
    putf("Message-ID: <%u.%u@mail.example.net>\r\n", i, next_rand() % 100000u);
    if (i % 2)
        putf("In-Reply-To: <%u.0@mail.example.org>\r\nReferences: <%u.0@mail.example.org>\r\n", i, i);
    put("MIME-Version: 1.0\r\n");
    put(ctype);
    put("\r\n");
}

static void text_lines(size_t bytes, int qp)
{
    size_t n = 0;
    while (n < bytes) {
        uint32_t x = next_rand();
        size_t len = 60u + x % 19u, i;
        char line[96];
        for (i = 0; i < len; i++)
            line[i] = (char)('a' + (int)(((x >> (i % 24)) + (uint32_t)i) % 26u));
        if (qp && x % 5 == 0) {
            memcpy(line + 10, "=C3=A9", 6);
            line[len - 1] = '=';
        }
        line[len] = '\0';
        put(line);
        put("\r\n");
        n += len + 2;
    }
}

static void base64_lines(size_t bytes)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = 0;
    while (n < bytes) {
        char line[80];
        uint32_t x = next_rand();
        unsigned i;
        for (i = 0; i < 76; i++)
            line[i] = a[((x >> (i % 26)) + i * 7u) & 63u];
        line[76] = '\0';
        put(line);
        put("\r\n");
        n += 78;
    }
}

static void make_corpus(void)
{
    unsigned i = 0;
    while (corpus_len < CORPUS && nmsg < MAXMSG) {
        uint32_t kind = next_rand() % 10u;
        msg_off[nmsg++] = corpus_len;
        if (kind < 4) {
            header(i, "Content-Type: text/plain; charset=us-ascii; format=flowed\r\n");
            text_lines(1024u + next_rand() % 19456u, 0);
        } else if (kind < 7) {
            header(i, "Content-Type: multipart/alternative; boundary=\"=_alt_b1\"\r\n");
            put("--=_alt_b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
            text_lines(2048u + next_rand() % 8192u, 1);
            put("--=_alt_b1\r\nContent-Type: text/html; charset=utf-8\r\n"
                "Content-Transfer-Encoding: quoted-printable\r\n\r\n<html><body>\r\n");
            text_lines(4096u + next_rand() % 16384u, 1);
            put("</body></html>\r\n--=_alt_b1--\r\n");
        } else if (kind < 9) {
            unsigned k, natt = 1u + next_rand() % 3u;
            header(i, "Content-Type: multipart/mixed;\r\n boundary=\"----=_Part_42_1234.5678\"\r\n");
            put("This is a multi-part message in MIME format.\r\n\r\n"
                "------=_Part_42_1234.5678\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 7bit\r\n\r\n");
            text_lines(512u + next_rand() % 4096u, 0);
            for (k = 0; k < natt; k++) {
                putf("------=_Part_42_1234.5678\r\nContent-Type: application/pdf;"
                     " name=\"report-%u-%u.pdf\"\r\nContent-Transfer-Encoding: base64\r\n", i, k);
                putf("Content-Disposition: attachment; filename=\"report-%u-%u.pdf\"\r\n\r\n", i, k);
                base64_lines((4096u << (next_rand() % 7u)) + next_rand() % 4096u);
            }
            put("------=_Part_42_1234.5678--\r\n");
        } else {
            header(i, "Content-Type: multipart/mixed; boundary=fwd1\r\n");
            put("--fwd1\r\nContent-Type: text/plain\r\n\r\nForwarded message below.\r\n"
                "--fwd1\r\nContent-Type: message/rfc822\r\nContent-Disposition: inline\r\n\r\n");
            header(i + 1, "Content-Type: multipart/alternative; boundary=in2\r\n");
            put("--in2\r\nContent-Type: text/plain\r\n\r\n");
            text_lines(2048u, 0);
            put("--in2\r\nContent-Type: text/html\r\n\r\n");
            text_lines(4096u, 0);
            put("--in2--\r\n--fwd1--\r\n");
        }
        i++;
    }
    msg_off[nmsg] = corpus_len;
}

/* Parse every message fed in pieces of `piece` bytes (0: whole); with
 * `fetch`, also write its ENVELOPE and BODYSTRUCTURE. */
static void parse_all(size_t piece, int fetch)
{
    uint64_t np = 0, nv = 0;
    unsigned k;
    for (k = 0; k < nmsg; k++) {
        const char *p = corpus + msg_off[k];
        size_t left = msg_off[k + 1] - msg_off[k];
        mp_mime_msg m;
        mp_mime_init(&parser, parts, sizeof(parts) / sizeof(parts[0]), values, sizeof(values), NULL);
        while (left > 0) {
            size_t n = piece_of(piece, left);
            mp_mime_feed(&parser, p, n);
            p += n;
            left -= n;
        }
        if (mp_mime_finish(&parser, &m) != MP_OK)
            abort();
        np += m.nparts;
        nv += m.values_len;
        if (fetch) {
            mp_outbuf ob;
            mp_imap_resp_writer w;
            mp_imap_resp_event e;
            mp_outbuf_init(&ob, out, sizeof(out));
            mp_imap_resp_writer_init(&w, &ob, 0, 0);
            e = mp_imap_ev_begin(MP_IMAP_RESP_FETCH, mp_slice_make(NULL, 0), 1, k + 1u);
            mp_imap_resp_write(&w, &e);
            e = mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS);
            mp_imap_resp_write(&w, &e);
            mp_mime_write_item(&w, &m, MP_MIME_ITEM_ENVELOPE);
            mp_mime_write_item(&w, &m, MP_MIME_ITEM_BODYSTRUCTURE);
            e = mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS);
            mp_imap_resp_write(&w, &e);
            e = mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE);
            if (mp_imap_resp_write(&w, &e) != MP_OK)
                abort();
            sink += ob.len;
        }
    }
    if (want_parts == 0) {
        want_parts = np;
        want_values = nv;
    } else if (np != want_parts || nv != want_values) {
        abort(); /* another split gave another structure */
    }
    sink += (size_t)np;
}

static void pass_mime_whole(void) { parse_all(0, 0); }
static void pass_mime_4k(void) { parse_all(4096, 0); }
static void pass_mime_64(void) { parse_all(64, 0); }
static void pass_mime_1(void) { parse_all(1, 0); }
static void pass_mime_fetch(void) { parse_all(4096, 1); }

#define measure(name, fn, slow, once)                                                    \
    bench_measure(name, #fn, fn, slow, corpus, corpus_len, NULL, 0, once, 0)

int main(int argc, char **argv)
{
    int once = argc > 1 && strcmp(argv[1], "--once") == 0;
    if (argc > 1 && !once)
        runs = atoi(argv[1]) > 0 ? atoi(argv[1]) : runs;
    make_corpus();
    pass_mime_whole(); /* the reference counts */
    if (!once)
        printf("corpus: %u messages, %zu bytes, %llu parts, %llu value bytes "
               "(%.0f per message)\n",
               nmsg, corpus_len, (unsigned long long)want_parts,
               (unsigned long long)want_values, (double)want_values / nmsg);
    measure("mime parse (whole)", pass_mime_whole, 0, once);
    measure("mime parse (4K feeds)", pass_mime_4k, 0, once);
    measure("mime parse (64-byte feeds)", pass_mime_64, 0, once);
    measure("mime parse + FETCH write", pass_mime_fetch, 0, once);
    measure("mime parse (1-byte feeds)", pass_mime_1, 1, once);
    if (once)
        return 0;
    SIZEOF(mp_mime_parser);
    SIZEOF(mp_mime_part);
    SIZEOF(mp_mime_hdr_filter);
    SIZEOF(mp_mime_decoder);
    SIZEOF(mp_mime_wire);
    SIZEOF(mp_mime_section);
    SIZEOF(mp_mime_msg);
    printf("host memory: part records as needed (%zu bytes each), a value buffer "
           "(MP_MIME_VALUES_SUGGESTED %u bytes)\n",
           sizeof(mp_mime_part), MP_MIME_VALUES_SUGGESTED);
    return 0;
}
