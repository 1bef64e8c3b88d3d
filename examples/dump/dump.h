/* mailproto-dump modes: each examples/dump/dump_<mode>.c defines one
 * function that reads a transcript from `in`, prints one event per line to
 * stdout (format documented in that file) and returns 0 when the parser
 * reported no error, 1 when it did, 2 on bad usage (`side` unknown). */
#ifndef MP_DUMP_H
#define MP_DUMP_H

#include <stdio.h>

/* Prints `p[0..n)` with \r \n \\ and \xHH escapes (shared by every mode). */
void dump_escaped(const char *p, size_t n);

int dump_smtp(const char *side, FILE *in);  /* side: server | client */
/* The client side of dump_smtp, in dump_smtp_client.c. */
int dump_smtp_client(FILE *in);
int dump_pop3(const char *side, FILE *in);  /* side: server | client */
int dump_imap(const char *side, FILE *in);  /* side: server | client */
int dump_mime(const char *side, FILE *in);  /* side: parts | fetch */
/* How many bytes the IMAP modes read next (at most cap): cap, or a
 * pseudo-random size 1..$MP_DUMP_PIECE when that is set (dump_imap.c). */
size_t dump_piece(size_t cap);

#endif
