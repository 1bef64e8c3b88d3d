/*
 * What the example servers (mailproto-smtpd, mailproto-imapd) share: the
 * listening socket, the password file and the answers to the SASL server's
 * questions about it, the random source.  Plain POSIX; not the library.
 */
#ifndef MAILPROTO_EXAMPLES_SRV_H
#define MAILPROTO_EXAMPLES_SRV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "mailproto/crypto.h"
#include "mailproto/sasl.h"

#define SRV_MAX_USERS 256

/* The password file: "user:password" lines ('#' comments, blank lines). */
typedef struct srv_user {
    char name[MP_SASL_MAX_NAME + 1];
    char pass[256];
} srv_user;

typedef struct srv_users {
    srv_user v[SRV_MAX_USERS];
    unsigned n;
} srv_users;

/* Read `path` into *u: 0, or -1 (unreadable, a malformed or too long line,
 * more than SRV_MAX_USERS users). */
int srv_load_passwd(srv_users *u, const char *path);

/* The password of `name`, or NULL. */
const char *srv_password(const srv_users *u, mp_slice name);

/*
 * Answer what the SASL server wants (sasl->want) from the password file:
 * the password to compare, the secret (CRAM-MD5), or SCRAM keys derived
 * with the salt `salt_prefix` + user and 4096 iterations.  An authzid
 * other than the user itself is refused.  The caller then resumes its
 * session (mp_*_server_auth_resume).
 */
void srv_sasl_answer(mp_sasl_server *x, const srv_users *u, const mp_crypto_provider *crypto,
                     const char *salt_prefix);

/* A listening, non-blocking socket on "IPv4:PORT" or "[IPv6]:PORT": the
 * descriptor, -1 for a malformed address, -2 when it cannot listen. */
int srv_listen(const char *spec);

int srv_set_nonblock(int fd);

/* The peer's address as text. */
void srv_peer_name(const struct sockaddr_storage *ss, char *out, size_t cap);

/* /dev/urandom as the crypto provider's random source. */
int srv_urandom(void *user, uint8_t *out, size_t n);

#endif
