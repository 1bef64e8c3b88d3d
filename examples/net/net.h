/*
 * A blocking client connection for the example programs: TCP to
 * HOST:PORT, optionally under TLS through the mbedTLS byte pump
 * (mailproto/mbedtls.h), with a timeout on every wait.  The protocol
 * sessions never see any of it: the programs move bytes between this and
 * the sessions' feed/output.
 *
 * Every function returns 0 (or a byte count) on success and a negative
 * NET_E* value on failure, with a one-line reason in c->err.
 */
#ifndef MP_EXAMPLES_NET_H
#define MP_EXAMPLES_NET_H

#include <stddef.h>
#include <stdint.h>

enum {
    NET_EOF = 0,         /* net_recv: the peer closed */
    NET_EIO = -1,        /* connect, resolve, send, receive */
    NET_ETIMEOUT = -2,   /* nothing within the timeout */
    NET_ETLS = -3,       /* handshake, certificate, record */
    NET_ENOTLS = -4,     /* built without TLS */
    NET_EARG = -5        /* not HOST:PORT, or a name TLS cannot check */
};

typedef struct net_conn net_conn;

/* Connect to "HOST:PORT" ("[v6]:port" too).  NULL with `err` set (a
 * static buffer) when it fails; `*code` gets the NET_E* value. */
net_conn *net_connect(const char *hostport, int timeout_ms, int *code, const char **err);

/* Before connecting, for a TLS connection to "HOST:PORT": whether the
 * CAs of `cafile` load and whether HOST can be checked against a
 * certificate at all (a host name, or an IP address matched against the
 * certificate's IP address entries and sent without SNI: mbedtls.h; text
 * that is neither, such as "127.1", is refused).  0, or NET_EARG /
 * NET_ETLS / NET_ENOTLS with a reason in `*err` (a static buffer). */
int net_tls_check(const char *hostport, const char *cafile, const char **err);

/* Start TLS as a client, verifying the server's certificate against the
 * PEM CAs of `cafile` and the host name of net_connect (implicit TLS, or
 * after the protocol's STARTTLS).  0 or NET_ETLS / NET_ENOTLS. */
int net_tls_start(net_conn *c, const char *cafile);

/* 1 when the program was built with TLS. */
int net_tls_available(void);

/* Send all of p[0..n).  0 or a NET_E* value. */
int net_send(net_conn *c, const void *p, size_t n);

/* Up to `cap` bytes (plaintext under TLS): a count > 0, NET_EOF, or a
 * NET_E* value.  `timeout_ms` < 0: the connection's own. */
long net_recv(net_conn *c, void *p, size_t cap, int timeout_ms);

/* The reason of the last failure. */
const char *net_error(const net_conn *c);

/* 1 while bytes can still cross both ways: no socket or TLS failure, no
 * send timeout, no end of stream seen.  A receive timeout leaves the
 * connection usable (a QUIT may still go out). */
int net_usable(const net_conn *c);

/* Random bytes from /dev/urandom, as an mp_random_fn (crypto.h) for the
 * SASL client's nonces: 0, or -1 when they cannot be read. */
int net_random(void *user, uint8_t *out, size_t len);

/* Close and free; under TLS, close_notify first when the handshake is done
 * and the connection is usable (after a failure only the socket closes). */
void net_close(net_conn *c);

#endif
