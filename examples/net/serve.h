/*
 * What the example servers (mailproto-smtpd, mailproto-pop3d,
 * mailproto-imapd) share
 * around their sessions: the listening socket, non-blocking descriptors,
 * the "user:password" file and the TLS side of a connection.  The
 * sessions never see any of it.
 */
#ifndef MP_EXAMPLES_SERVE_H
#define MP_EXAMPLES_SERVE_H

#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <time.h>

#include "mailproto/sasl.h"
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
#include "mailproto/mbedtls.h"
#endif

/* Listen on "IPv4:PORT" or "[IPv6]:PORT", non-blocking: the descriptor,
 * -1 for a malformed address, -2 when the socket cannot listen. */
int net_listen(const char *spec);

/* O_NONBLOCK on fd: 0, or -1. */
int net_nonblock(int fd);

/* TCP_NODELAY on fd (best effort).  For a server that answers a pipelined
 * batch with several sends: under Nagle the last short segment of the batch
 * waits for the client's delayed ACK (40 ms on Linux), while the client
 * waits for that segment before it sends the next batch. */
void net_nodelay(int fd);

/*
 * The one-thread poll loop of a server with up to NET_SERVE_MAX
 * connections, in slots 0..max-1 that the program owns; the loop calls
 * back with the slot number.  It accepts (a connection over the limit gets
 * `busy`, when not NULL, and is closed), watches what each slot asks for,
 * and closes a slot (close) whenever a callback returns -1.
 */
#define NET_SERVE_MAX 256

typedef struct net_server {
    unsigned max;       /* slots, 1..NET_SERVE_MAX */
    int poll_ms;        /* how long a poll waits; idle checks run this often */
    int idle_secs;      /* a slot silent longer than this is told it is idle */
    int nodelay;        /* TCP_NODELAY on accepted sockets (net_nodelay) */
    const char *busy;   /* said to a connection refused for lack of a slot */
    volatile sig_atomic_t *stop; /* the loop returns once it is set */
    int (*fd)(unsigned i);       /* the slot's socket, -1 when free */
    /* A new connection in free slot i (the peer's address in ss): 0 or -1. */
    int (*open)(unsigned i, int fd, const struct sockaddr_storage *ss);
    /* Before each poll: the events slot i waits for (POLLIN, POLLOUT), or
     * -1 to close it; `idle` when it has been silent over idle_secs. */
    int (*prepare)(unsigned i, int idle);
    int (*read)(unsigned i);     /* readable (or hung up): 0 or -1 */
    int (*write)(unsigned i);    /* writable: 0 or -1 */
    void (*close)(unsigned i);
    /* Optional: one more descriptor watched for POLLIN (inotify, say; -1
     * for none, and 0 in a zeroed struct is stdin: set it), `watch` called
     * when it is readable, and `tick` after every round, for work of the
     * program's own between polls (telling sessions of changes). */
    int watch_fd;
    void (*watch)(void);
    void (*tick)(void);
} net_server;

/* Serve on the listening socket lfd until *stop: 0, or -1 when poll
 * failed (errno says why) or `max` is out of range.  The slots still open
 * are the caller's to end. */
int net_serve(int lfd, const net_server *v);

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

/*
 * A server's TLS on one connection: the mbedTLS pump once TLS is on
 * (tls_on), nothing in a build without TLS.  The session's output is
 * reached through an adapter, since every session type names its own
 * output functions.
 */
typedef struct net_link {
    int tls_on;
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
    mp_tls_pump pump;
#endif
} net_link;

typedef struct net_out {
    const char *(*get)(void *session, size_t *n); /* the bytes to send */
    void (*done)(void *session, size_t n);        /* n of them went out */
    void *session;
} net_out;

/* Send what can be sent now on the non-blocking socket fd, through the
 * pump under TLS: 0 (all sent, or the socket is full), -1 when the
 * socket failed. */
int net_link_flush(net_link *l, int fd, const net_out *o);

/* Ciphertext the pump still holds for the socket (0 without TLS). */
size_t net_link_backlog(net_link *l);

/* Under TLS: the plaintext the pump decrypted, appended to in[*len..cap).
 * 0, 1 when `in` is full (the pump may hold more), -1 when the peer
 * closed or TLS failed. */
int net_link_tls_read(net_link *l, char *in, size_t cap, size_t *len);

#endif
