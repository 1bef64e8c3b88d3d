/*
 * What the example servers (mailproto-smtpd, mailproto-pop3d) share
 * around their sessions: the listening socket, non-blocking descriptors
 * and the "user:password" file.  The sessions never see any of it.
 */
#ifndef MP_EXAMPLES_SERVE_H
#define MP_EXAMPLES_SERVE_H

#include <stddef.h>

#include "mailproto/sasl.h"

/* Listen on "IPv4:PORT" or "[IPv6]:PORT", non-blocking: the descriptor,
 * -1 for a malformed address, -2 when the socket cannot listen. */
int net_listen(const char *spec);

/* O_NONBLOCK on fd: 0, or -1. */
int net_nonblock(int fd);

/* One "user:password" line. */
typedef struct net_user {
    char name[MP_SASL_MAX_NAME + 1];
    char pass[256];
} net_user;

/* Read `path` into users[0..cap): empty lines and '#' lines are skipped;
 * -1 when the file cannot be read, or a line has no ':', an empty or too
 * long name, a too long password, or there are more than `cap` users. */
int net_passwd_load(const char *path, net_user *users, unsigned cap, unsigned *n);

/* The user called name[0..len), or NULL. */
const net_user *net_user_find(const net_user *users, unsigned n, const char *name, size_t len);

#endif
