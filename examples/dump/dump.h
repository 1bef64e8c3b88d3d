/* mailproto-dump modes: each examples/dump/dump_<mode>.c defines one
 * function that reads a transcript from `in`, prints one event per line to
 * stdout (format documented in that file) and returns 0 when the parser
 * reported no error, 1 when it did, 2 on bad usage (`side` unknown). */
#ifndef MP_DUMP_H
#define MP_DUMP_H

#include <stdio.h>

/* Prints `p[0..n)` with \r \n \\ and \xHH escapes (shared by every mode). */
void dump_escaped(const char *p, size_t n);
/* Prints " key=" and p[0..n) escaped (the POP3 modes' fields). */
void dump_field(const char *key, const char *p, size_t n);

int dump_smtp(const char *side, FILE *in);  /* side: server | client */
/* The client side of dump_smtp, in dump_smtp_client.c. */
int dump_smtp_client(FILE *in);
int dump_pop3(const char *side, FILE *in);  /* side: server | client */
int dump_imap(const char *side, FILE *in);  /* side: server | client */
int dump_mime(const char *side, FILE *in);  /* side: parts | fetch */
/* The client side of dump_pop3, in dump_pop3_client.c. */
int dump_pop3_client(FILE *in);
/* How many bytes a mode reads next (at most cap): cap, or a pseudo-random
 * size 1..$MP_DUMP_PIECE when that is set (mailproto-dump.c). */
size_t dump_piece(size_t cap);
/* Client response lines of a whole SASL exchange of mechanism
 * mech[0..len) (any case) without an initial response: PLAIN 1, LOGIN 2,
 * SCRAM-* 3, ..., 1 for an unknown one; the dumps assume every exchange
 * runs to its end (mailproto-dump.c). */
int dump_sasl_lines(const char *mech, size_t len);

#endif
