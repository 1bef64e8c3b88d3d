/* Internal to lib/mime: the packed value format, the byte buffer the field
 * parsers write into, and the RFC 822 / RFC 5322 lexical layer they share
 * (rfc822.c).  Not installed. */
#ifndef MP_MIME_INT_H
#define MP_MIME_INT_H

#include <stddef.h>
#include <stdint.h>

#include "mailproto/mime.h"

/* ---- Packed lists ---------------------------------------------------------
 * A packed list is a run of items; each item is a varint header h (7 bits a
 * byte, low first, high bit: more) then, for a string, its bytes:
 *   h = 0        NIL
 *   h = 1..4     a fixed string (enum below): Dovecot's placeholders
 *   h >= 8       a string of h - 8 bytes
 * Lists have no count, so two lists side by side are one list (merged
 * address fields).  Strings (refs that are not lists) are bare bytes. */
enum {
    MP_MIME_PK_NIL_ = 0,
    MP_MIME_PK_MISSING_MAILBOX_ = 1,
    MP_MIME_PK_MISSING_DOMAIN_ = 2,
    MP_MIME_PK_SYNTAX_ERROR_ = 3,
    MP_MIME_PK_INVALID_ROUTE_ = 4,
    MP_MIME_PK_STR_ = 8
};

/* A bounded byte buffer: writes past cap are counted, not stored (over). */
typedef struct mp_mime_buf_ {
    char *b;
    size_t len;
    size_t cap;
    int over;
    int cut; /* RFC 2231 segments were left out (MP_MIME_MAX_SEGMENTS) */
} mp_mime_buf_;

void mp_mime_put_(mp_mime_buf_ *o, const void *p, size_t n);
void mp_mime_putc_(mp_mime_buf_ *o, char c);
/* An item: NIL, a fixed string, or bytes. */
void mp_mime_pk_code_(mp_mime_buf_ *o, unsigned code);
void mp_mime_pk_str_(mp_mime_buf_ *o, const char *p, size_t n);
/* An item whose bytes are written after open (put/putc), then close fixes
 * its header.  Returns the mark to pass to close. */
size_t mp_mime_pk_open_(mp_mime_buf_ *o);
void mp_mime_pk_close_(mp_mime_buf_ *o, size_t mark);

/* ---- Characters (RFC 5322 §3.2.3 atext, RFC 2045 §5.1 tspecials) --------- */
enum {
    MP_MIME_C_ATEXT = 1,   /* atext (8-bit bytes too, as Dovecot) */
    MP_MIME_C_TSPEC = 2,   /* atext but a MIME tspecial: / = ? */
    MP_MIME_C_LWSP = 4,    /* SP HTAB */
    MP_MIME_C_WSP = 8      /* SP HTAB CR LF (RFC 822 linear white space) */
};
extern const uint8_t mp_mime_ctab_[256];
#define MP_MIME_IS_ATEXT(c) ((mp_mime_ctab_[(unsigned char)(c)] & MP_MIME_C_ATEXT) != 0)
/* RFC 2045 token (and '.', which Dovecot allows there too) */
#define MP_MIME_IS_TOKEN(c)                                                            \
    ((mp_mime_ctab_[(unsigned char)(c)] & (MP_MIME_C_ATEXT | MP_MIME_C_TSPEC)) ==       \
         MP_MIME_C_ATEXT || (c) == '.')
#define MP_MIME_IS_LWSP(c) ((mp_mime_ctab_[(unsigned char)(c)] & MP_MIME_C_LWSP) != 0)
#define MP_MIME_IS_WSP(c) ((mp_mime_ctab_[(unsigned char)(c)] & MP_MIME_C_WSP) != 0)

/* ---- RFC 822 lexical layer (rfc822.c) ------------------------------------
 * A cursor over one unfolded header value.  Functions return, as the
 * grammar functions of the parsers built on them expect: 1 (more input
 * follows), 0 (the value ended), -1 (malformed).  Text goes to `o` with
 * quoting undone. */
typedef struct mp_mime_lex_ {
    const unsigned char *p, *end;
    const unsigned char *cmt;  /* the last comment's text (inside the
                                  outer parentheses), or NULL */
    size_t cmtlen;
} mp_mime_lex_;

void mp_mime_lex_init_(mp_mime_lex_ *x, const char *p, size_t n);
/* CFWS: white space and (nested) comments. */
int mp_mime_lex_cfws_(mp_mime_lex_ *x);
/* atom = 1*atext, then CFWS. */
int mp_mime_lex_atom_(mp_mime_lex_ *x, mp_mime_buf_ *o);
/* dot-atom, CFWS allowed around the dots (RFC 822). */
int mp_mime_lex_dot_atom_(mp_mime_lex_ *x, mp_mime_buf_ *o);
/* RFC 2045 token (possibly empty), then CFWS. */
int mp_mime_lex_token_(mp_mime_lex_ *x, mp_mime_buf_ *o);
/* quoted-string at '"', then CFWS. */
int mp_mime_lex_quoted_(mp_mime_lex_ *x, mp_mime_buf_ *o);
/* phrase / obs-phrase: words joined by one space. */
int mp_mime_lex_phrase_(mp_mime_lex_ *x, mp_mime_buf_ *o);
/* domain after '@': dot-atom or domain-literal (kept with its brackets). */
int mp_mime_lex_domain_(mp_mime_lex_ *x, mp_mime_buf_ *o);
/* The last comment's text with its quoting undone. */
void mp_mime_lex_comment_(const mp_mime_lex_ *x, mp_mime_buf_ *o);

/* ---- Field parsers (fields.c, address.c) --------------------------------
 * Each reads an unfolded header value and writes its packed form (or, for
 * strings, its bytes) to `o`; `tmp` is scratch of at least n + 16 bytes
 * (the caller checks o->over). */

/* Content-Type: type, subtype, parameters.  0 when the type is not valid
 * (nothing written: the part gets the default type). */
int mp_mime_f_ctype_(const char *s, size_t n, mp_mime_buf_ *o);
/* Content-Disposition: type, parameters.  0 when not valid. */
int mp_mime_f_disposition_(const char *s, size_t n, mp_mime_buf_ *o);
/* Content-Language: language tags.  0 when there is none. */
int mp_mime_f_language_(const char *s, size_t n, mp_mime_buf_ *o);
/* Content-Transfer-Encoding: the token.  0 when not valid. */
int mp_mime_f_cte_(const char *s, size_t n, mp_mime_buf_ *o);
/* An unstructured value as Dovecot sends it: CR removed (a space where a
 * line would join two words). */
void mp_mime_f_text_(const char *s, size_t n, mp_mime_buf_ *o);
/* Subject and display names "for humans": white space runs become one
 * space, none at the ends. */
void mp_mime_f_human_(const char *s, size_t n, mp_mime_buf_ *o);
/* An address list (RFC 5322 §3.4 with the obsolete forms), packed four
 * items an address; `tmp` holds one address's parts while it is read. */
void mp_mime_f_addresses_(const char *s, size_t n, mp_mime_buf_ *o, mp_mime_buf_ *tmp);

/* Packed-list helpers for the readers (values.c). */
int mp_mime_pk_next_(const char **p, const char *end, mp_slice *s);

#endif
