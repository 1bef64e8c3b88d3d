/*
 * The transport an integrator implements to port the alert sender: a
 * byte stream to the SMTP server, non-blocking, in four functions.  TLS,
 * when used, lives below this interface (the session sees plaintext).
 * README.md shows lwIP raw TCP, a modem's AT socket and a TLS library
 * behind it.
 */
#ifndef FW_TRANSPORT_H
#define FW_TRANSPORT_H

#include <stddef.h>

typedef struct fw_transport {
    void *ctx; /* the integrator's state, passed to every function */
    /* Open the connection; 0 when it is up (or being set up: send and
     * recv then return 0 until it is), -1 on failure. */
    int (*open)(void *ctx);
    /* Queue up to `n` bytes for sending: how many were taken (0: no room
     * now, try again after the next poll), -1 when the connection broke. */
    long (*send)(void *ctx, const char *p, size_t n);
    /* Bytes received, at most `cap`: how many (0: none yet), -1 when the
     * peer closed or the connection broke. */
    long (*recv)(void *ctx, char *p, size_t cap);
    /* Close, whatever the state. */
    void (*close)(void *ctx);
    /* Let the network stack run (lwIP: sys_check_timeouts and the
     * driver's input; a modem: read URCs; RTOS: sleep on an event).
     * Returns -1 when the host's deadline passed. */
    int (*poll)(void *ctx);
} fw_transport;

#endif
