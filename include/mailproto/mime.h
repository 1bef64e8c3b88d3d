/*
 * libmailproto — message structure: a streaming parser of RFC 5322 / MIME
 * (RFC 2045-2049) messages that produces what an IMAP server needs to
 * answer FETCH ENVELOPE, BODY, BODYSTRUCTURE, BODY[section] and
 * BINARY[section] / BINARY.SIZE (RFC 9051 §6.4.5, §7.5.2, RFC 3516).
 *
 * The host feeds the message in chunks of any size (the result is the same
 * whatever the split) and finishes it; the parser fills the host's array of
 * part records and the host's value buffer, nothing else.  Parts are found
 * by their byte offsets in the message as fed: the parser never holds the
 * message, and the host reads a section's bytes from its own store.
 *
 * The result (mp_mime_msg: the part records and the value bytes) holds no
 * pointer: values are offsets into the value buffer, so a host may store
 * parts[0..nparts) and values[0..values_len) as they are (a cache) and
 * read them back later into an mp_mime_msg.
 *
 * Malformed MIME is never an error: missing or never-closed boundaries,
 * bad parameters, a missing Content-Type, bare-LF lines, 8-bit and NUL
 * bytes in header fields, a header without a body or without the blank
 * line, an empty message all give a structure, the one Dovecot gives
 * except where docs/mime.md says otherwise and why.  Limits (depth, part
 * count, value bytes) are reported once, with their own status code, and
 * the structure stays complete: what is beyond a limit is folded into the
 * innermost part, as Dovecot does.
 *
 * Writers at the end of this header turn a parsed message into FETCH items
 * through the IMAP response writer (imap.h), so a server never builds
 * ENVELOPE or BODYSTRUCTURE strings by hand.
 */
#ifndef MAILPROTO_MIME_H
#define MAILPROTO_MIME_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================= */
/* The parsed message                                                      */
/* ======================================================================= */

/* Bytes of the value buffer: `len` bytes at `off`.  off == MP_MIME_NIL
 * means the value is absent (IMAP NIL). */
typedef struct mp_mime_ref {
    uint32_t off;
    uint32_t len;
} mp_mime_ref;

#define MP_MIME_NIL UINT32_MAX
/* No part (a part record's parent or next). */
#define MP_MIME_NONE UINT32_MAX

/* What a part is, from its Content-Type (RFC 2046) or the defaults. */
typedef enum mp_mime_kind {
    MP_MIME_TEXT = 1,      /* text/ *: BODYSTRUCTURE has body-fld-lines */
    MP_MIME_MULTIPART = 2, /* multipart/ *: children follow the record */
    MP_MIME_MESSAGE = 3,   /* message/rfc822 (or message/global): one child,
                              the encapsulated message */
    MP_MIME_OTHER = 4      /* everything else */
} mp_mime_kind;

/* Part flags. */
enum {
    /* The record is a message: the top level (record 0) or the child of a
     * MESSAGE part.  Its header is an RFC 5322 header with an envelope. */
    MP_MIME_PF_MESSAGE = 1u << 0,
    /* The Content-* fields count: the part is inside a multipart, or (a
     * message) has MIME-Version or Content-Type (RFC 2045 §4; Dovecot's
     * non-strict rule).  Without it the Content-* refs are NIL. */
    MP_MIME_PF_MIME = 1u << 1,
    /* A multipart or message/rfc822 part not parsed inside because a limit
     * (depth, part count) was reached: it has no children and is written
     * as application/octet-stream (as Dovecot does). */
    MP_MIME_PF_TRUNCATED = 1u << 2,
    /* A multipart/digest: children without Content-Type are
     * message/rfc822 (RFC 2046 §5.1.5). */
    MP_MIME_PF_DIGEST = 1u << 3,
    /* The header ended without a blank line (at the end of the message or
     * at a boundary). */
    MP_MIME_PF_NO_BLANK = 1u << 4
};

/*
 * One part: the message itself (record 0), each part of a multipart, and
 * the message inside each message/rfc822 part.  Records are in document
 * order: a part's children follow it; `next` links siblings.
 *
 * Offsets are physical: bytes of the message as it was fed.  Sizes are
 * wire sizes: what IMAP sends, with every bare LF counted as CRLF (a
 * message stored with LF line ends gives the sizes of its CRLF form).
 *
 * Ranges (RFC 9051 §6.4.5): the header is [hdr_start, body_start) with its
 * blank line; the body [body_start, end).  The CRLF before a boundary line
 * belongs to the boundary (RFC 2046 §5.1.1), not to the part before it.
 */
typedef struct mp_mime_part {
    uint64_t hdr_start;
    uint64_t body_start;
    uint64_t end;
    uint64_t hdr_size;   /* wire size of the header */
    uint64_t body_size;  /* wire size of the body: body-fld-octets */
    uint64_t body_lines; /* LF count of the body: body-fld-lines */
    uint32_t parent;     /* record index, MP_MIME_NONE for record 0 */
    uint32_t next;       /* next sibling, MP_MIME_NONE for the last */
    uint16_t depth;      /* 0 for record 0; a MESSAGE part's child is one
                            deeper than the part */
    uint8_t kind;        /* mp_mime_kind */
    uint8_t flags;       /* MP_MIME_PF_* */
    uint32_t nchildren;  /* children (a MESSAGE part: 1, or 0 if truncated) */
    /* Content-* fields (NIL when absent, or the part is not MIME).
     * ctype and disposition are packed lists (mp_mime_iter): ctype is type,
     * subtype, then parameter name / value pairs; disposition is its type,
     * then pairs; language is a list of tags.  The others are strings. */
    mp_mime_ref ctype;
    mp_mime_ref encoding;    /* Content-Transfer-Encoding token */
    mp_mime_ref id;          /* Content-ID, unfolded */
    mp_mime_ref description; /* Content-Description, unfolded */
    mp_mime_ref md5;         /* Content-MD5 */
    mp_mime_ref disposition;
    mp_mime_ref language;
    mp_mime_ref location;    /* Content-Location, unfolded */
    /* MP_MIME_PF_MESSAGE records: the envelope block (mp_mime_envelope());
     * NIL when it did not fit in the value buffer. */
    mp_mime_ref envelope;
} mp_mime_part;

/* A parsed message: the host's records and value bytes.  Filled by
 * mp_mime_finish(), or by the host from its own copy of both arrays. */
typedef struct mp_mime_msg {
    const mp_mime_part *parts;
    uint32_t nparts;
    const char *values;
    uint32_t values_len;
} mp_mime_msg;

/* ======================================================================= */
/* Parser                                                                  */
/* ======================================================================= */

/*
 * Limits (config.h): MP_MIME_MAX_DEPTH sizes the parser's stack (the
 * deepest part record has that depth); MP_MIME_MAX_PARTS bounds the part
 * array.  A run-time config may only lower them; zeros mean the defaults.
 */
typedef struct mp_mime_config {
    uint32_t max_parts; /* 0: MP_MIME_MAX_PARTS; never more than the array */
    uint16_t max_depth; /* 0: MP_MIME_MAX_DEPTH; capped at it */
} mp_mime_config;

/* One open part of the parser's stack (private). */
typedef struct mp_mime_frame_ {
    uint32_t part;       /* record index */
    uint32_t last_child; /* last child record, MP_MIME_NONE */
    uint32_t boff;       /* boundary: offset into the value buffer */
    uint8_t blen;        /* boundary length (0: none) */
    uint8_t bactive;     /* its boundary lines are looked for */
    uint8_t pad_[2];
} mp_mime_frame_;

/* Bytes of a line start kept to decide whether it is a boundary line:
 * "--", a boundary of at most 70 characters (RFC 2046 §5.1.1) with room for
 * longer real ones (80, as Dovecot), "--", and the LF. */
#define MP_MIME_LOOK_ 85

/*
 * The parser state.  Plain data, place it anywhere; fields are private.
 * sizeof is 776 bytes on x86-64 with the default MP_MIME_MAX_DEPTH 32
 * (bench/bench_mime prints it; 16 bytes a level), plus the host's part
 * array (136 bytes a record) and value buffer.
 */
typedef struct mp_mime_parser {
    mp_mime_part *parts;
    uint32_t cap;          /* records the host gave (limited by max_parts) */
    uint32_t n;            /* records in use */
    char *vb;              /* the host's value buffer */
    uint32_t vcap, vlen;
    uint64_t pos;          /* stream offset of the next byte */
    uint64_t nlf;          /* LFs so far */
    uint64_t nbare;        /* LFs not preceded by CR so far */
    uint64_t look_pos;     /* stream offset of look[0] */
    uint64_t field_at;     /* stream offset of the field being read */
    mp_error err;          /* the first limit reached (code MP_OK: none) */
    uint32_t raw_off;      /* the field being kept: where its value is */
    uint32_t raw_first;    /* ... and the bytes of its first line */
    uint32_t seen;         /* header fields seen in this header (bits) */
    uint16_t sp;           /* frames in use */
    uint16_t max_depth;
    uint16_t nactive;      /* frames whose boundary is looked for */
    uint8_t state;
    uint8_t field;         /* the field being read (private enum) */
    uint8_t prev;          /* the byte before the input being read */
    uint8_t steal;         /* length of the newline a boundary would take */
    uint8_t steal_bare;    /* ... and whether it is a bare LF */
    uint8_t cr_held;       /* a kept value's CR at the end of a feed */
    uint8_t nocheck;       /* this line start was checked already */
    uint8_t inhdr;         /* the top part is in its header */
    uint8_t newpart;       /* the boundary line being read opens a part */
    uint8_t namelen;
    uint8_t namesp;        /* white space after the name */
    uint8_t looklen;
    uint8_t lookst;        /* the state look was entered from */
    uint8_t finished;
    char name[28];         /* the field name being read, lowercase */
    char look[MP_MIME_LOOK_];
    mp_mime_frame_ stack[MP_MIME_MAX_DEPTH + 1];
} mp_mime_parser;

/*
 * Prepare `p` to parse one message into parts[0..nparts) and
 * values[0..vcap).  Both stay the host's and must outlive the parser and
 * any mp_mime_msg made from it.  Give the value buffer room for the header
 * fields the parser keeps (ENVELOPE fields and Content-* fields of every
 * part): MP_MIME_VALUES_SUGGESTED (64 KiB) holds any ordinary message.
 * `cfg` may be NULL (defaults).  MP_ERR_ARG for NULL pointers, nparts 0 or
 * vcap >= 4 GiB.
 */
mp_status mp_mime_init(mp_mime_parser *p, mp_mime_part *parts, size_t nparts, char *values,
                       size_t vcap, const mp_mime_config *cfg);

/* Suggested value buffer size (see mp_mime_init). */
#define MP_MIME_VALUES_SUGGESTED 65536u

/*
 * Parse the next `len` bytes of the message; all of them are consumed.
 * Returns MP_OK, MP_ERR_ARG (NULL with len > 0) or MP_ERR_STATE (after
 * finish).  Limits reached are remembered in p->err and reported by
 * mp_mime_finish(); parsing goes on either way.
 */
mp_status mp_mime_feed(mp_mime_parser *p, const char *in, size_t len);

/*
 * The end of the message: close what is open and fill `*out` (valid as
 * long as the host's arrays are).  Returns MP_OK, or the first limit
 * reached (p->err has its stream offset); `*out` is complete and
 * consistent in every case:
 *  - MP_ERR_MIME_DEPTH: a multipart or message/rfc822 part at the maximum
 *    depth is MP_MIME_PF_TRUNCATED;
 *  - MP_ERR_MIME_PARTS: the part array is full: later boundary lines are
 *    content of the innermost part, later message/rfc822 parts truncated;
 *  - MP_ERR_MIME_VALUES: a header field value did not fit in the value
 *    buffer and is NIL (a Content-Type so lost makes the part text/plain);
 *  - MP_ERR_MIME_PARAMS: a field had more RFC 2231 segments than
 *    MP_MIME_MAX_SEGMENTS; the parameter holds the first ones.
 * MP_ERR_STATE when called twice.
 */
mp_status mp_mime_finish(mp_mime_parser *p, mp_mime_msg *out);

/* ======================================================================= */
/* Reading values                                                          */
/* ======================================================================= */

/* The bytes of a string ref (ptr NULL when NIL or not inside the buffer,
 * as a damaged cache copy might be). */
mp_slice mp_mime_str(const mp_mime_msg *m, mp_mime_ref r);

/* A cursor over a packed list (ctype, disposition, language, address
 * lists).  Decoding is bounded by the ref: damaged bytes end the list. */
typedef struct mp_mime_iter {
    const char *p, *end;
} mp_mime_iter;

void mp_mime_iter_init(mp_mime_iter *it, const mp_mime_msg *m, mp_mime_ref r);
/* The next item: 1 with *s set (s->ptr NULL for a NIL item), 0 at the
 * end. */
int mp_mime_iter_next(mp_mime_iter *it, mp_slice *s);

/*
 * The media type of part `i` with the defaults applied: the Content-Type
 * when there is one, else message/rfc822 below a multipart/digest and
 * text/plain elsewhere (RFC 2045 §5.2, RFC 2046 §5.1.5);
 * application/octet-stream for a truncated part.  `params` (may be NULL)
 * gets a cursor on the name / value pairs.  Returns the kind.
 */
mp_mime_kind mp_mime_type(const mp_mime_msg *m, uint32_t i, mp_slice *type, mp_slice *subtype,
                          mp_mime_iter *params);

/* The value of parameter `name` (ASCII case-insensitive) in a cursor on
 * pairs, such as mp_mime_type() gives: 1 and *value, or 0. */
int mp_mime_param(mp_mime_iter params, const char *name, mp_slice *value);

/* The ENVELOPE fields of a MP_MIME_PF_MESSAGE record (RFC 9051 §7.5.2):
 * strings unfolded, RFC 2047 encoded words left as they are; subject with
 * white space runs made one space and trimmed; address lists packed
 * (mp_mime_addr_next).  Sender and reply-to are as in the header: the
 * writer defaults them to from. */
typedef struct mp_mime_envelope {
    mp_mime_ref date, subject, from, sender, reply_to, to, cc, bcc, in_reply_to, message_id;
} mp_mime_envelope;

/* Fill `*env` for record `i`: 1, or 0 (every ref NIL) when `i` is not a
 * message or its envelope did not fit. */
int mp_mime_envelope_get(const mp_mime_msg *m, uint32_t i, mp_mime_envelope *env);

/*
 * One address of an address list, as IMAP sends it (RFC 9051 §7.5.2
 * address): display name (NIL when none), source route (obsolete "@a,@b",
 * NIL when none), local part, domain.  A group is a start marker (name,
 * adl and host NIL, mailbox = the group's name) and an end marker (all
 * NIL).  Unparsable addresses are given as Dovecot gives them: local part
 * MISSING_MAILBOX, domain MISSING_DOMAIN or SYNTAX_ERROR, route
 * INVALID_ROUTE.
 */
typedef struct mp_mime_addr {
    mp_slice name, adl, mailbox, host;
} mp_mime_addr;

/* The next address of a cursor on an address list: 1, or 0 at the end. */
int mp_mime_addr_next(mp_mime_iter *it, mp_mime_addr *a);

/* ======================================================================= */
/* Sections: BODY[section], BINARY[section] (RFC 9051 §6.4.5, RFC 3516)    */
/* ======================================================================= */

typedef enum mp_mime_sect_kind {
    MP_MIME_SECT_FULL = 1,   /* []: the whole message */
    MP_MIME_SECT_HEADER,     /* [HEADER], [n.HEADER] */
    MP_MIME_SECT_FIELDS,     /* [HEADER.FIELDS (...)]: filter the header */
    MP_MIME_SECT_FIELDS_NOT, /* [HEADER.FIELDS.NOT (...)] */
    MP_MIME_SECT_TEXT,       /* [TEXT], [n.TEXT] */
    MP_MIME_SECT_MIME,       /* [n.MIME] */
    MP_MIME_SECT_PART        /* [n]: the body of part n */
} mp_mime_sect_kind;

/*
 * A resolved section.  Read [start, end) of the message and send it with
 * CRLF line ends (mp_mime_wire) as a literal of `size` bytes; for FIELDS /
 * FIELDS_NOT run [start, end) (the header) through mp_mime_hdr_filter,
 * whose output is the section.  `found` 0: the part does not exist (or
 * HEADER / TEXT of a part that is not message/rfc822): Dovecot sends an
 * empty string, and so should a server (RFC 9051 §6.4.5 sets no error).
 */
typedef struct mp_mime_section {
    mp_mime_sect_kind kind;
    int found;
    uint32_t part;        /* the record whose bytes these are */
    uint64_t start, end;  /* physical byte range */
    uint64_t size;        /* wire size of [start, end) */
    mp_slice fields;      /* FIELDS*: the list, "(" ... ")", from spec */
} mp_mime_section;

/*
 * Resolve `spec`, the section text without brackets as the command parser
 * gives it ("", "1.2", "2.HEADER.FIELDS (DATE FROM)", "3.MIME", "TEXT").
 * Part numbers follow RFC 9051 §6.4.5: part 1 of a non-multipart message
 * (or of the message inside a message/rfc822 part) is its body; n.HEADER,
 * n.TEXT and n.HEADER.FIELDS need part n to be message/rfc822 and name its
 * encapsulated message; n.MIME is part n's own MIME header (for a
 * message/rfc822 part too; for part 1 of a non-multipart message, the
 * message header, as Dovecot does).  Returns MP_OK (see `found`), or
 * MP_ERR_SYNTAX for a malformed spec (a zero part number, MIME without a
 * part number, an unknown keyword, a list that is not "(...)").
 * `out->fields` points into `spec`.
 */
mp_status mp_mime_section_find(const mp_mime_msg *m, mp_slice spec, mp_mime_section *out);

/* The IMAP section number of record `i` ("1.2.3"), NUL-terminated in
 * buf[0..cap): "" for record 0; for the message inside a message/rfc822
 * part, that part's number (BODY[n] is the message).  Returns the length,
 * or 0 when it does not fit (buf holds "").  A cap of 12 x the depth + 1 is
 * always enough. */
size_t mp_mime_part_number(const mp_mime_msg *m, uint32_t i, char *buf, size_t cap);

/* ======================================================================= */
/* Sending bytes: CRLF form, header field filter                           */
/* ======================================================================= */

/*
 * The wire form of a stored range: every LF not preceded by CR becomes
 * CRLF (so the output has exactly the section's `size` bytes) and, with
 * MP_MIME_WIRE_NUL, NUL becomes 0x80 (IMAP literals may not hold NUL;
 * Dovecot does the same).  Start it at a section's first byte.
 */
enum { MP_MIME_WIRE_NUL = 1u << 0 };

typedef struct mp_mime_wire {
    uint8_t flags;
    uint8_t cr;   /* the last byte given was CR */
} mp_mime_wire;

void mp_mime_wire_init(mp_mime_wire *w, unsigned flags);
/* The next piece of output for in[0..len): a slice of `in` or of a static
 * string; `*used` bytes of `in` were taken.  MP_OK, or MP_NEED_MORE when
 * `in` is consumed and nothing is left to give. */
mp_status mp_mime_wire_next(mp_mime_wire *w, const char *in, size_t len, size_t *used,
                            mp_slice *chunk);

/*
 * HEADER.FIELDS / HEADER.FIELDS.NOT (RFC 9051 §6.4.5), names compared up
 * to MP_MIME_MAX_FIELD_NAME bytes (config.h): the header fields
 * (with their continuation lines) whose name is / is not in the list, in
 * the header's order, CRLF line ends, then the blank line when the header
 * has one (a message without body and blank line has none, §6.4.5).  Feed it the
 * header range; the output is the section (two passes give its size
 * first, or the host buffers it).  Names compare ASCII case-insensitively.
 */
typedef struct mp_mime_hdr_filter {
    mp_slice list;      /* "(" names ")" as in the section spec */
    mp_mime_wire wire;  /* the kept bytes' wire form */
    uint8_t exclude;
    uint8_t state;      /* private */
    uint8_t keep;       /* the current field is copied */
    uint8_t namelen;
    uint8_t namepos;    /* name bytes already given */
    uint8_t done;       /* the blank line was reached */
    char name[MP_MIME_MAX_FIELD_NAME + 4]; /* + the end mp_mime_hdr_filter_finish
                                               gives */} mp_mime_hdr_filter;

/* `list` (from mp_mime_section.fields) must outlive the filter; `flags`:
 * MP_MIME_WIRE_NUL as for mp_mime_wire. */
void mp_mime_hdr_filter_init(mp_mime_hdr_filter *f, mp_slice list, int exclude, unsigned flags);
/* As mp_mime_wire_next; chunks may point into `f`. */
mp_status mp_mime_hdr_filter_next(mp_mime_hdr_filter *f, const char *in, size_t len, size_t *used,
                                  mp_slice *chunk);
/* After the header: what ends the section, valid until the filter is
 * used again: the CRLF of a kept field the header's end cut, then the blank
 * line when the header had one. */
mp_slice mp_mime_hdr_filter_finish(mp_mime_hdr_filter *f);

/* ======================================================================= */
/* Content-Transfer-Encoding decoder (BINARY, RFC 3516)                    */
/* ======================================================================= */

/* Which decoding a part needs: identity (7bit, 8bit, binary, none),
 * base64, quoted-printable; UNKNOWN for anything else (the server answers
 * NO [UNKNOWN-CTE]). */
typedef enum mp_mime_cte {
    MP_MIME_CTE_IDENTITY = 0,
    MP_MIME_CTE_BASE64,
    MP_MIME_CTE_QP,
    MP_MIME_CTE_UNKNOWN
} mp_mime_cte;

/* The encoding of part `i` (its Content-Transfer-Encoding, case
 * insensitive; a multipart or message part is always identity). */
mp_mime_cte mp_mime_part_cte(const mp_mime_msg *m, uint32_t i);

typedef struct mp_mime_decoder {
    mp_mime_wire wire;  /* identity: the CRLF form */
    uint32_t acc;       /* base64: sextets not yet decoded */
    uint8_t nacc;
    uint8_t cte;
    uint8_t qstate;     /* quoted-printable: private state */
    uint8_t qhex;       /* the first hex digit of "=XY" */
    uint8_t nsp;        /* white space held (it may end the line) */
    char sp[77];        /* ... "=" and its bytes */
    char out[256];      /* decoded bytes handed out */
} mp_mime_decoder;

/* Prepare to decode a part body of encoding `cte` (not UNKNOWN). */
void mp_mime_decoder_init(mp_mime_decoder *d, mp_mime_cte cte);
/*
 * Decode the next bytes of the body (read as stored: bare LF or CRLF): the
 * decoded bytes of in[0..*used) in *chunk (a slice of `in` for identity,
 * which stays the wire form; else of the decoder).  MP_OK, MP_NEED_MORE
 * (input consumed, no output).  Lenient like real servers: base64 skips
 * characters outside its alphabet, quoted-printable keeps a malformed "="
 * as it is; identity bodies get CRLF line ends as mp_mime_wire gives.
 */
mp_status mp_mime_decoder_next(mp_mime_decoder *d, const char *in, size_t len, size_t *used,
                               mp_slice *chunk);
/* The last bytes, after the whole body (an unpadded base64 tail). */
mp_slice mp_mime_decoder_finish(mp_mime_decoder *d);

/* ======================================================================= */
/* FETCH items through the IMAP response writer (imap.h)                   */
/* ======================================================================= */

#include "imap.h"

/* Which FETCH item mp_mime_write_item writes. */
typedef enum mp_mime_item {
    MP_MIME_ITEM_ENVELOPE = 1, /* "ENVELOPE" of record 0 */
    MP_MIME_ITEM_BODY,         /* "BODY": non-extensible form */
    MP_MIME_ITEM_BODYSTRUCTURE /* "BODYSTRUCTURE": with extension data */
} mp_mime_item;

/*
 * Write one FETCH item of the message `m` as events through `w`: the item
 * name (a VALUE at MP_IMAP_F_FETCH_ITEM) and its value, inside a FETCH
 * response the host opened (BEGIN, LIST_BEGIN FETCH_ATTS) and closes.
 * Follows Dovecot's choices clients know: text parts get ("charset"
 * "us-ascii") when they have no charset, every extension field is written
 * (NIL when absent), a multipart without parts gets one empty text/plain
 * part (body-type-mpart needs one), sender and reply-to default to from,
 * body-fld-lang is a list.  message/global (RFC 6532) is written as a
 * message (envelope, body, lines) when the writer is in MP_IMAP_REV2 mode
 * (RFC 9051 media-message) and as a basic part in IMAP4rev1 (RFC 3501 has
 * only MESSAGE/RFC822).
 * The writer must be in whole-response mode (the default): the item is
 * many events and is dropped whole on a refusal.  Returns MP_OK or what
 * mp_imap_resp_write() refused (MP_ERR_BAD_VALUE, MP_ERR_STATE); the
 * response is then unusable (write it again from BEGIN).
 */
mp_status mp_mime_write_item(mp_imap_resp_writer *w, const mp_mime_msg *m, mp_mime_item item);

/*
 * Write the name of a section item: `name` ("BODY", "BINARY", "RFC822"...)
 * then "[" spec "]" with the spec's header list as SECTION_HEADER values,
 * then "<origin>" when `partial` (RFC 9051 §7.5.2 BODY[<section>]<<origin>>).
 * The value (a literal of the section's size, through
 * mp_imap_ev_literal() and the payload) is the host's to write next.
 * MP_ERR_SYNTAX for a malformed spec.
 */
mp_status mp_mime_write_section_name(mp_imap_resp_writer *w, const char *name, mp_slice spec,
                                     int partial, uint64_t origin);

#ifdef __cplusplus
}
#endif

#endif /* MAILPROTO_MIME_H */
