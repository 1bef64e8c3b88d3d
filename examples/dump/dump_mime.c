/*
 * mailproto-dump --proto mime --side parts|fetch
 *
 * Reads one message (RFC 5322, MIME) on standard input and parses it with
 * mp_mime_parser, fed in 16 KiB pieces or, with MP_DUMP_PIECE=N, in pieces
 * of pseudo-random sizes 1..N (the output must be the same).
 *
 * side "parts": the part records, one block per part:
 *   part I [SECTION] parent=P depth=D KIND FLAGS
 *     header START..END size=N
 *     body START..END size=N lines=N
 *     type "T" "S" (params "K" "V" ...)
 *     encoding|id|description|md5|location "V"
 *     disposition "T" (params ...)     language ("A" "B")
 *     envelope date "D" subject "S" from ((N A M H)...) ... message-id "M"
 *   end STATUS
 * (strings with \r \n \\ \" \xHH escapes; NIL for absent values; SECTION
 * is the part's IMAP section number, "-" for the message itself and for
 * the message inside a message/rfc822 part, which is reached through the
 * part's number).
 *
 * side "fetch": IMAP responses as a server writes them with
 * mp_mime_write_item() and mp_imap_resp_writer:
 *   * 1 FETCH (ENVELOPE (...) BODY (...) BODYSTRUCTURE (...))
 * then, for each item of $MP_DUMP_MIME_ITEMS (separated by ";": BODY[spec],
 * BINARY[spec], BINARY.SIZE[spec]), one "* 1 FETCH (item value)" with the
 * section's bytes (mp_mime_section_find, mp_mime_wire, mp_mime_hdr_filter,
 * mp_mime_decoder).  $MP_DUMP_MIME_MODE=rev2 writes in IMAP4rev2 mode.
 *
 * Exit status 0, 2 on bad usage or input; a limit the message reached is
 * printed (parts) and is not a failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dump.h"
#include "mailproto/mime.h"

#define MAX_PARTS 4096u
#define VALUES (1u << 20)

static mp_mime_part parts[MAX_PARTS];
static char values[VALUES];

static char *read_all(FILE *in, size_t *n)
{
    size_t cap = 1 << 16, len = 0, k;
    char *buf = malloc(cap);
    while (buf && (k = fread(buf + len, 1, cap - len, in)) > 0) {
        len += k;
        if (len == cap) {
            char *b2 = realloc(buf, cap *= 2);
            if (b2 == NULL) {
                free(buf);
                return NULL;
            }
            buf = b2;
        }
    }
    *n = len;
    return buf;
}

static mp_status parse(const char *msg, size_t n, mp_mime_msg *m, mp_error *err)
{
    static mp_mime_parser p;
    size_t off = 0;
    mp_status st;
    mp_mime_init(&p, parts, MAX_PARTS, values, VALUES, NULL);
    while (off < n) {
        size_t k = dump_piece(16384);
        if (k > n - off)
            k = n - off;
        mp_mime_feed(&p, msg + off, k);
        off += k;
    }
    st = mp_mime_finish(&p, m);
    *err = p.err;
    return st;
}

/* ---- parts -------------------------------------------------------------------- */

static void q(mp_slice s)
{
    size_t i;
    if (s.ptr == NULL) {
        fputs("NIL", stdout);
        return;
    }
    putchar('"');
    for (i = 0; i < s.len; i++) {
        if (s.ptr[i] == '"')
            fputs("\\\"", stdout);
        else
            dump_escaped(s.ptr + i, 1);
    }
    putchar('"');
}

static void params_of(mp_mime_iter it)
{
    mp_slice k, v;
    int any = 0;
    while (mp_mime_iter_next(&it, &k) && mp_mime_iter_next(&it, &v)) {
        fputs(any ? " " : " (", stdout);
        q(k);
        putchar(' ');
        q(v);
        any = 1;
    }
    if (any)
        putchar(')');
}

static void addresses(const mp_mime_msg *m, const char *name, mp_mime_ref r)
{
    mp_mime_iter it;
    mp_mime_addr a;
    int any = 0;
    printf(" %s ", name);
    mp_mime_iter_init(&it, m, r);
    while (mp_mime_addr_next(&it, &a)) {
        fputs(any ? "(" : "((", stdout);
        q(a.name);
        putchar(' ');
        q(a.adl);
        putchar(' ');
        q(a.mailbox);
        putchar(' ');
        q(a.host);
        putchar(')');
        any = 1;
    }
    fputs(any ? ")" : "NIL", stdout);
}

static void dump_parts(const mp_mime_msg *m, mp_status st, const mp_error *err)
{
    static const char *const kinds[] = { "?", "text", "multipart", "message", "other" };
    uint32_t i;
    for (i = 0; i < m->nparts; i++) {
        const mp_mime_part *pt = &m->parts[i];
        mp_slice t, s;
        mp_mime_iter it;
        mp_mime_envelope e;
        char sec[512];
        mp_mime_part_number(m, i, sec, sizeof(sec));
        printf("part %u [%s] parent=%d depth=%u %s", i,
               (pt->flags & MP_MIME_PF_MESSAGE) ? "-" : sec,
               pt->parent == MP_MIME_NONE ? -1 : (int)pt->parent, pt->depth,
               kinds[pt->kind <= 4 ? pt->kind : 0]);
        if (pt->flags & MP_MIME_PF_MESSAGE) fputs(" message", stdout);
        if (pt->flags & MP_MIME_PF_MIME) fputs(" mime", stdout);
        if (pt->flags & MP_MIME_PF_TRUNCATED) fputs(" truncated", stdout);
        if (pt->flags & MP_MIME_PF_DIGEST) fputs(" digest", stdout);
        if (pt->flags & MP_MIME_PF_NO_BLANK) fputs(" no-blank", stdout);
        printf("\n  header %llu..%llu size=%llu\n  body %llu..%llu size=%llu lines=%llu\n",
               (unsigned long long)pt->hdr_start, (unsigned long long)pt->body_start,
               (unsigned long long)pt->hdr_size, (unsigned long long)pt->body_start,
               (unsigned long long)pt->end, (unsigned long long)pt->body_size,
               (unsigned long long)pt->body_lines);
        mp_mime_type(m, i, &t, &s, &it);
        fputs("  type ", stdout);
        q(t);
        putchar(' ');
        q(s);
        params_of(it);
        putchar('\n');
#define FIELD(name, ref)                                                                \
    if ((ref).off != MP_MIME_NIL) {                                                     \
        fputs("  " name " ", stdout);                                                   \
        q(mp_mime_str(m, ref));                                                         \
        putchar('\n');                                                                  \
    }
        FIELD("encoding", pt->encoding)
        FIELD("id", pt->id)
        FIELD("description", pt->description)
        FIELD("md5", pt->md5)
        FIELD("location", pt->location)
        if (pt->disposition.off != MP_MIME_NIL) {
            mp_mime_iter_init(&it, m, pt->disposition);
            mp_mime_iter_next(&it, &t);
            fputs("  disposition ", stdout);
            q(t);
            params_of(it);
            putchar('\n');
        }
        if (pt->language.off != MP_MIME_NIL) {
            int any = 0;
            mp_mime_iter_init(&it, m, pt->language);
            fputs("  language (", stdout);
            while (mp_mime_iter_next(&it, &t)) {
                if (any)
                    putchar(' ');
                q(t);
                any = 1;
            }
            fputs(")\n", stdout);
        }
        if (mp_mime_envelope_get(m, i, &e)) {
            fputs("  envelope date ", stdout);
            q(mp_mime_str(m, e.date));
            fputs(" subject ", stdout);
            q(mp_mime_str(m, e.subject));
            addresses(m, "from", e.from);
            addresses(m, "sender", e.sender);
            addresses(m, "reply-to", e.reply_to);
            addresses(m, "to", e.to);
            addresses(m, "cc", e.cc);
            addresses(m, "bcc", e.bcc);
            fputs(" in-reply-to ", stdout);
            q(mp_mime_str(m, e.in_reply_to));
            fputs(" message-id ", stdout);
            q(mp_mime_str(m, e.message_id));
            putchar('\n');
        }
    }
    printf("end %s", mp_status_name(st));
    if (st != MP_OK)
        printf(" @%llu", (unsigned long long)err->offset);
    putchar('\n');
}

/* ---- fetch -------------------------------------------------------------------- */

static char obuf[16u << 20];
static mp_outbuf ob;
static mp_imap_resp_writer w;

static int put(mp_imap_resp_event e)
{
    mp_status st = mp_imap_resp_write(&w, &e);
    if (st != MP_OK) {
        fprintf(stderr, "mailproto-dump: writer refused an event: %s\n", mp_status_name(st));
        return 1;
    }
    return 0;
}

static void flush(void)
{
    fwrite(ob.buf, 1, ob.len, stdout);
    mp_outbuf_consume(&ob, ob.len);
}

/* The bytes of a section through a stream transform, counted (out NULL)
 * or written. */
enum { X_WIRE, X_FILTER, X_DECODE };

static uint64_t transform(const mp_mime_msg *m, const char *msg, const mp_mime_section *s,
                          int how, int write)
{
    mp_mime_wire wi;
    mp_mime_hdr_filter f;
    mp_mime_decoder d;
    const char *p = msg + s->start;
    size_t n = (size_t)(s->end - s->start), used;
    uint64_t total = 0;
    mp_slice c;
    mp_mime_wire_init(&wi, MP_MIME_WIRE_NUL);
    mp_mime_hdr_filter_init(&f, s->fields, s->kind == MP_MIME_SECT_FIELDS_NOT, MP_MIME_WIRE_NUL);
    if (how == X_DECODE)
        mp_mime_decoder_init(&d, mp_mime_part_cte(m, s->part));
    for (;;) {
        mp_status st = how == X_WIRE     ? mp_mime_wire_next(&wi, p, n, &used, &c)
                       : how == X_FILTER ? mp_mime_hdr_filter_next(&f, p, n, &used, &c)
                                         : mp_mime_decoder_next(&d, p, n, &used, &c);
        p += used;
        n -= used;
        if (st == MP_OK) {
            total += c.len;
            if (write) {
                size_t taken;
                mp_imap_resp_write_literal_data(&w, c.ptr, c.len, &taken);
                flush();
            }
        } else if (n == 0) {
            break;
        }
    }
    if (how != X_WIRE) {
        c = how == X_FILTER ? mp_mime_hdr_filter_finish(&f) : mp_mime_decoder_finish(&d);
        total += c.len;
        if (write) {
            size_t taken;
            mp_imap_resp_write_literal_data(&w, c.ptr, c.len, &taken);
            flush();
        }
    }
    return total;
}

static int fetch_item(const mp_mime_msg *m, const char *msg, const char *item)
{
    const char *lb = strchr(item, '['), *rb = strrchr(item, ']');
    char name[32];
    mp_slice spec;
    mp_mime_section s;
    int how, binary, size_only;
    uint64_t n;
    if (lb == NULL || rb == NULL || rb < lb || (size_t)(lb - item) >= sizeof(name))
        return 2;
    memcpy(name, item, (size_t)(lb - item));
    name[lb - item] = '\0';
    binary = strncmp(name, "BINARY", 6) == 0;
    size_only = strcmp(name, "BINARY.SIZE") == 0;
    spec = mp_slice_make(lb + 1, (size_t)(rb - lb - 1));
    if (mp_mime_section_find(m, spec, &s) != MP_OK)
        return 2;
    if (put(mp_imap_ev_begin(MP_IMAP_RESP_FETCH, mp_slice_make(NULL, 0), 1, 1)) ||
        put(mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS)) ||
        mp_mime_write_section_name(&w, name, spec, 0, 0) != MP_OK)
        return 2;
    how = s.kind == MP_MIME_SECT_FIELDS || s.kind == MP_MIME_SECT_FIELDS_NOT ? X_FILTER
          : binary                                                            ? X_DECODE
                                                                              : X_WIRE;
    n = !s.found ? 0 : how == X_WIRE ? s.size : transform(m, msg, &s, how, 0);
    if (size_only) {
        if (put(mp_imap_ev_number(MP_IMAP_F_BINARY_SIZE, n)))
            return 2;
    } else if (!s.found) {
        if (put(mp_imap_ev_string(MP_IMAP_F_BODY_SECTION, mp_slice_make("", 0))))
            return 2;
    } else {
        if (put(mp_imap_ev_literal(MP_IMAP_F_BODY_SECTION, n, binary)))
            return 2;
        flush();
        transform(m, msg, &s, how, 1);
        if (put(mp_imap_ev_make(MP_IMAP_EV_LITERAL_END, MP_IMAP_F_BODY_SECTION)))
            return 2;
    }
    if (put(mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS)) ||
        put(mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE)))
        return 2;
    flush();
    return 0;
}

static int dump_fetch(const mp_mime_msg *m, const char *msg)
{
    const char *mode = getenv("MP_DUMP_MIME_MODE");
    const char *items = getenv("MP_DUMP_MIME_ITEMS");
    mp_outbuf_init(&ob, obuf, sizeof(obuf));
    mp_imap_resp_writer_init(&w, &ob,
                             mode && strcmp(mode, "rev2") == 0 ? MP_IMAP_REV2 | MP_IMAP_UTF8 : 0,
                             0);
    if (put(mp_imap_ev_begin(MP_IMAP_RESP_FETCH, mp_slice_make(NULL, 0), 1, 1)) ||
        put(mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS)) ||
        mp_mime_write_item(&w, m, MP_MIME_ITEM_ENVELOPE) != MP_OK ||
        mp_mime_write_item(&w, m, MP_MIME_ITEM_BODY) != MP_OK ||
        mp_mime_write_item(&w, m, MP_MIME_ITEM_BODYSTRUCTURE) != MP_OK ||
        put(mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS)) ||
        put(mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE))) {
        fputs("mailproto-dump: FETCH not written\n", stderr);
        return 2;
    }
    flush();
    while (items && *items) {
        char item[1024];
        size_t k = strcspn(items, ";");
        if (k >= sizeof(item))
            return 2;
        memcpy(item, items, k);
        item[k] = '\0';
        items += k + (items[k] == ';');
        if (fetch_item(m, msg, item) != 0) {
            fprintf(stderr, "mailproto-dump: cannot fetch %s\n", item);
            return 2;
        }
    }
    return 0;
}

int dump_mime(const char *side, FILE *in)
{
    size_t n;
    char *msg;
    mp_mime_msg m;
    mp_error err;
    mp_status st;
    int rc;
    if (strcmp(side, "parts") != 0 && strcmp(side, "fetch") != 0) {
        fputs("mailproto-dump: mime side must be parts or fetch\n", stderr);
        return 2;
    }
    msg = read_all(in, &n);
    if (msg == NULL)
        return 2;
    st = parse(msg, n, &m, &err);
    if (strcmp(side, "parts") == 0) {
        dump_parts(&m, st, &err);
        rc = 0;
    } else {
        rc = dump_fetch(&m, msg);
    }
    free(msg);
    return rc;
}
