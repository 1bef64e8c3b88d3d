/*
 * A server's FETCH from a stored message (docs/mime.md): the message is
 * stored with LF line ends, as a Maildir file; the program parses it in
 * 100-byte reads, keeps the part records and values as a cache would, and
 * answers
 *   FETCH 1 (UID RFC822.SIZE ENVELOPE BODYSTRUCTURE
 *            BODY[2.HEADER.FIELDS (SUBJECT)] BINARY[1.2])
 * through the IMAP response writer.  It reads its answer back with the
 * response parser and checks the values: the subject, the sizes, the
 * filtered header of the forwarded message and the decoded base64 part.
 */
#include <stdio.h>
#include <string.h>

#include "mailproto/imap.h"
#include "mailproto/mime.h"

static const char stored[] =
    "From: Alice <alice@example.org>\n"
    "To: bob@example.net\n"
    "Subject: report\n"
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/mixed; boundary=outer\n"
    "\n"
    "--outer\n"
    "Content-Type: multipart/alternative; boundary=alt\n"
    "\n"
    "--alt\n"
    "Content-Type: text/plain\n"
    "\n"
    "hello world\n"
    "--alt\n"
    "Content-Type: text/html\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "PGI+aGVsbG88L2I+IHdvcmxk\n"
    "--alt--\n"
    "--outer\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "From: carol@example.com\n"
    "Subject: the forwarded one\n"
    "\n"
    "inner body\n"
    "--outer--\n";

/* ---- parse once, keep as a cache ------------------------------------------- */

static mp_mime_part cache_parts[64];
static char cache_values[4096];

static int parse_and_cache(mp_mime_msg *m)
{
    static mp_mime_parser p;
    static mp_mime_part parts[64];
    static char values[MP_MIME_VALUES_SUGGESTED];
    mp_mime_msg parsed;
    size_t off;
    mp_mime_init(&p, parts, 64, values, sizeof(values), NULL);
    for (off = 0; off < sizeof(stored) - 1; off += 100) /* file reads */
        mp_mime_feed(&p, stored + off, sizeof(stored) - 1 - off < 100 ? sizeof(stored) - 1 - off : 100);
    if (mp_mime_finish(&p, &parsed) != MP_OK || parsed.values_len > sizeof(cache_values))
        return -1;
    /* no pointer inside: the arrays can be stored as they are */
    memcpy(cache_parts, parsed.parts, parsed.nparts * sizeof(mp_mime_part));
    memcpy(cache_values, parsed.values, parsed.values_len);
    m->parts = cache_parts;
    m->nparts = parsed.nparts;
    m->values = cache_values;
    m->values_len = parsed.values_len;
    return 0;
}

/* ---- a section's bytes -------------------------------------------------------- */

/* Run the section's stored bytes through the transform it needs (HEADER.FIELDS
 * filter, BINARY decoder, or the CRLF form) and either count them (w NULL)
 * or write them as literal data.  Returns the count. */
static uint64_t section_bytes(const mp_mime_msg *m, const mp_mime_section *s, int binary,
                              mp_imap_resp_writer *w)
{
    const char *p = stored + s->start;
    size_t n = (size_t)(s->end - s->start), used, taken;
    uint64_t total = 0;
    mp_mime_hdr_filter f;
    mp_mime_decoder d;
    mp_mime_wire wire;
    mp_slice c;
    int fields = s->kind == MP_MIME_SECT_FIELDS || s->kind == MP_MIME_SECT_FIELDS_NOT;
    mp_mime_hdr_filter_init(&f, s->fields, s->kind == MP_MIME_SECT_FIELDS_NOT, MP_MIME_WIRE_NUL);
    mp_mime_decoder_init(&d, mp_mime_part_cte(m, s->part));
    mp_mime_wire_init(&wire, MP_MIME_WIRE_NUL);
    for (;;) {
        mp_status st = fields   ? mp_mime_hdr_filter_next(&f, p, n, &used, &c)
                       : binary ? mp_mime_decoder_next(&d, p, n, &used, &c)
                                : mp_mime_wire_next(&wire, p, n, &used, &c);
        p += used;
        n -= used;
        if (st != MP_OK)
            break; /* MP_NEED_MORE: all of it was read */
        total += c.len;
        if (w)
            mp_imap_resp_write_literal_data(w, c.ptr, c.len, &taken);
    }
    if (fields || binary) { /* what ends the stream */
        c = fields ? mp_mime_hdr_filter_finish(&f) : mp_mime_decoder_finish(&d);
        total += c.len;
        if (w)
            mp_imap_resp_write_literal_data(w, c.ptr, c.len, &taken);
    }
    return total;
}

/* "NAME[spec] {size}" and the bytes: the size first (a counting pass),
 * then the literal. */
static mp_status fetch_section(mp_imap_resp_writer *w, const mp_mime_msg *m, const char *name,
                               const char *spec)
{
    mp_mime_section s;
    mp_imap_resp_event e;
    int binary = strcmp(name, "BINARY") == 0;
    mp_status st = mp_mime_section_find(m, mp_slice_make(spec, strlen(spec)), &s);
    if (st == MP_OK)
        st = mp_mime_write_section_name(w, name, mp_slice_make(spec, strlen(spec)), 0, 0);
    if (st != MP_OK)
        return st;
    if (!s.found) { /* no such part: an empty string, as Dovecot sends */
        e = mp_imap_ev_string(MP_IMAP_F_BODY_SECTION, mp_slice_make("", 0));
        return mp_imap_resp_write(w, &e);
    }
    e = mp_imap_ev_literal(MP_IMAP_F_BODY_SECTION, section_bytes(m, &s, binary, NULL), binary);
    if ((st = mp_imap_resp_write(w, &e)) != MP_OK)
        return st;
    section_bytes(m, &s, binary, w);
    e = mp_imap_ev_make(MP_IMAP_EV_LITERAL_END, MP_IMAP_F_BODY_SECTION);
    return mp_imap_resp_write(w, &e);
}

/* ---- the FETCH response ---------------------------------------------------------- */

static mp_status put(mp_imap_resp_writer *w, mp_imap_resp_event e)
{
    return mp_imap_resp_write(w, &e);
}

static mp_status answer_fetch(mp_imap_resp_writer *w, const mp_mime_msg *m)
{
    const mp_mime_part *top = &m->parts[0];
    mp_status st = put(w, mp_imap_ev_begin(MP_IMAP_RESP_FETCH, mp_slice_make(NULL, 0), 1, 1));
    if (st == MP_OK)
        st = put(w, mp_imap_ev_make(MP_IMAP_EV_LIST_BEGIN, MP_IMAP_F_FETCH_ATTS));
    if (st == MP_OK)
        st = put(w, mp_imap_ev_atom(MP_IMAP_F_FETCH_ITEM, MP_SLICE_LIT("UID")));
    if (st == MP_OK)
        st = put(w, mp_imap_ev_number(MP_IMAP_F_UID, 4242));
    if (st == MP_OK)
        st = put(w, mp_imap_ev_atom(MP_IMAP_F_FETCH_ITEM, MP_SLICE_LIT("RFC822.SIZE")));
    if (st == MP_OK) /* the wire size: the stored LFs count as CRLF */
        st = put(w, mp_imap_ev_number(MP_IMAP_F_RFC822_SIZE, top->hdr_size + top->body_size));
    if (st == MP_OK)
        st = mp_mime_write_item(w, m, MP_MIME_ITEM_ENVELOPE);
    if (st == MP_OK)
        st = mp_mime_write_item(w, m, MP_MIME_ITEM_BODYSTRUCTURE);
    if (st == MP_OK)
        st = fetch_section(w, m, "BODY", "2.HEADER.FIELDS (SUBJECT)");
    if (st == MP_OK)
        st = fetch_section(w, m, "BINARY", "1.2");
    if (st == MP_OK)
        st = put(w, mp_imap_ev_make(MP_IMAP_EV_LIST_END, MP_IMAP_F_FETCH_ATTS));
    if (st == MP_OK)
        st = put(w, mp_imap_ev_make(MP_IMAP_EV_END, MP_IMAP_F_NONE));
    return st;
}

/* ---- the client's view ------------------------------------------------------------ */

typedef struct seen {
    char subject[64];
    uint64_t size;
    char lit[2][64];
    size_t litlen[2];
    int nlit, errors;
} seen;

static int on_event(void *user, const mp_imap_resp_event *ev)
{
    seen *s = user;
    if (ev->type == MP_IMAP_EV_ERROR)
        s->errors++;
    if (ev->type == MP_IMAP_EV_VALUE && ev->field == MP_IMAP_F_ENV_SUBJECT && ev->depth == 2)
        snprintf(s->subject, sizeof(s->subject), "%.*s", (int)ev->str.len, ev->str.ptr);
    if (ev->type == MP_IMAP_EV_VALUE && ev->field == MP_IMAP_F_RFC822_SIZE)
        s->size = ev->num;
    if (ev->type == MP_IMAP_EV_LITERAL_CHUNK && s->nlit < 2 &&
        s->litlen[s->nlit] + ev->str.len <= sizeof(s->lit[0])) {
        memcpy(s->lit[s->nlit] + s->litlen[s->nlit], ev->str.ptr, ev->str.len);
        s->litlen[s->nlit] += ev->str.len;
    }
    if (ev->type == MP_IMAP_EV_LITERAL_END)
        s->nlit++;
    return 0;
}

static const char fields[] = "Subject: the forwarded one\r\n\r\n";
static const char html[] = "<b>hello</b> world";

static size_t lines(const char *t)
{
    size_t n = 0;
    for (; *t; t++)
        n += *t == '\n';
    return n;
}

int main(void)
{
    static char out[8192], abuf[MP_IMAP_MAX_QUOTED];
    static const mp_imap_resp_callbacks cb = { on_event };
    mp_mime_msg m;
    mp_outbuf ob;
    mp_imap_resp_writer w;
    mp_imap_resp_parser rp;
    seen s;
    size_t used;
    if (parse_and_cache(&m) != 0) {
        fputs("the message did not parse within the limits\n", stderr);
        return 1;
    }
    mp_outbuf_init(&ob, out, sizeof(out));
    mp_imap_resp_writer_init(&w, &ob, 0, 0); /* IMAP4rev1, whole responses */
    if (answer_fetch(&w, &m) != MP_OK) {
        fputs("the FETCH response was not written\n", stderr);
        return 1;
    }
    fwrite(ob.buf, 1, ob.len, stdout);
    memset(&s, 0, sizeof(s));
    mp_imap_resp_init(&rp, abuf, sizeof(abuf), NULL, &cb, &s);
    mp_imap_resp_feed(&rp, ob.buf, ob.len, &used);
    if (s.errors || strcmp(s.subject, "report") != 0 ||
        s.size != sizeof(stored) - 1 + lines(stored) /* a CR for every LF */ || s.nlit != 2 ||
        s.litlen[0] != sizeof(fields) - 1 || memcmp(s.lit[0], fields, s.litlen[0]) != 0 ||
        s.litlen[1] != sizeof(html) - 1 || memcmp(s.lit[1], html, s.litlen[1]) != 0) {
        fputs("the client read other values\n", stderr);
        return 1;
    }
    return 0;
}
