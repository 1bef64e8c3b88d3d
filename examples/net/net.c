/* A blocking client connection for the example programs (net.h). */
#define _POSIX_C_SOURCE 200809L
#include "net.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef MP_EXAMPLE_HAVE_MBEDTLS
#include <mbedtls/error.h>

#include "mailproto/mbedtls.h"
#endif

struct net_conn {
    int fd;
    int timeout_ms;
    int broken; /* no byte can cross any more: a socket or TLS failure */
    int eof;    /* the peer closed */
    char host[256];
    char err[256];
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
    int tls;
    mp_tls_config cfg;
    mp_tls_pump pump;
#endif
};

static int fail(net_conn *c, int code, const char *what, const char *why)
{
    snprintf(c->err, sizeof(c->err), "%s: %s", what, why);
    return code;
}

const char *net_error(const net_conn *c) { return c->err; }

int net_usable(const net_conn *c) { return !c->broken && !c->eof; }

int net_random(void *user, uint8_t *out, size_t len)
{
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got;
    (void)user;
    if (f == NULL)
        return -1;
    got = fread(out, 1, len, f);
    fclose(f);
    return got == len ? 0 : -1;
}

/* Wait until fd is ready for `ev`: 1, or a NET_E* value. */
static int wait_for(net_conn *c, short ev, int timeout_ms)
{
    struct pollfd p;
    int r;
    p.fd = c->fd;
    p.events = ev;
    do {
        r = poll(&p, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r == 0)
        return NET_ETIMEOUT;
    if (r < 0)
        return fail(c, NET_EIO, "poll", strerror(errno));
    return 1;
}

static int raw_send(net_conn *c, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k;
        int w = wait_for(c, POLLOUT, c->timeout_ms);
        if (w < 0)
            c->broken = 1; /* the peer does not read: nothing more goes out */
        if (w == NET_ETIMEOUT)
            return fail(c, NET_ETIMEOUT, "send", "timeout");
        if (w < 0)
            return w;
        k = send(c->fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) {
            c->broken = 1;
            return fail(c, NET_EIO, "send", strerror(errno));
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static long raw_recv(net_conn *c, void *p, size_t cap, int timeout_ms)
{
    ssize_t k;
    int w = wait_for(c, POLLIN, timeout_ms);
    if (w == NET_ETIMEOUT)
        return fail(c, NET_ETIMEOUT, "receive", "timeout");
    if (w < 0) {
        c->broken = 1;
        return w;
    }
    do {
        k = recv(c->fd, p, cap, 0);
    } while (k < 0 && errno == EINTR);
    if (k < 0) {
        c->broken = 1;
        return fail(c, NET_EIO, "receive", strerror(errno));
    }
    if (k == 0)
        c->eof = 1;
    return (long)k;
}

/* "HOST:PORT" or "[v6]:PORT": HOST into host[256], the port returned;
 * NULL with a reason in why[300] when it is neither. */
static const char *split_hostport(const char *hostport, char *host, char *why)
{
    const char *colon = strrchr(hostport, ':');
    size_t hl;
    if (colon == NULL || colon == hostport || colon[1] == '\0') {
        snprintf(why, 300, "'%s' is not HOST:PORT", hostport);
        return NULL;
    }
    hl = (size_t)(colon - hostport);
    if (hostport[0] == '[' && hl >= 2 && hostport[hl - 1] == ']') {
        hostport++;
        hl -= 2;
    }
    if (hl >= 256) {
        snprintf(why, 300, "host name too long");
        return NULL;
    }
    memcpy(host, hostport, hl);
    host[hl] = '\0';
    return colon + 1;
}

net_conn *net_connect(const char *hostport, int timeout_ms, int *code, const char **err)
{
    static char why[300];
    struct addrinfo hints, *res = NULL, *ai;
    const char *port;
    net_conn *c;
    int r;
    *err = why;
    *code = NET_EARG;
    c = calloc(1, sizeof(*c));
    if (c == NULL) {
        *code = NET_EIO;
        snprintf(why, sizeof(why), "out of memory");
        return NULL;
    }
    if ((port = split_hostport(hostport, c->host, why)) == NULL) {
        free(c);
        return NULL;
    }
    *code = NET_EIO;
    c->fd = -1;
    c->timeout_ms = timeout_ms;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    r = getaddrinfo(c->host, port, &hints, &res);
    if (r != 0) {
        snprintf(why, sizeof(why), "cannot resolve %s: %s", c->host, gai_strerror(r));
        free(c);
        return NULL;
    }
    for (ai = res; ai != NULL && c->fd < 0; ai = ai->ai_next) {
        c->fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (c->fd >= 0 && connect(c->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            snprintf(why, sizeof(why), "cannot connect to %s port %s: %s", c->host, port,
                     strerror(errno));
            close(c->fd);
            c->fd = -1;
        }
    }
    freeaddrinfo(res);
    if (c->fd < 0) {
        free(c);
        return NULL;
    }
    *code = 0;
    return c;
}

#ifdef MP_EXAMPLE_HAVE_MBEDTLS
int net_tls_available(void) { return 1; }

static int tls_flush(net_conn *c);

static int tls_fail(net_conn *c, const char *what)
{
    char msg[160];
    int e = mp_tls_pump_tls_error(&c->pump);
    mbedtls_strerror(e, msg, sizeof(msg));
    snprintf(c->err, sizeof(c->err), "TLS %s: %s (-0x%04x)", what, msg, (unsigned)-e);
    if (!c->broken)
        (void)tls_flush(c); /* the fatal alert tells the peer why */
    c->broken = 1;
    return NET_ETLS;
}

int net_tls_check(const char *hostport, const char *cafile, const char **err)
{
    static char why[300];
    char host[256];
    mp_tls_config cfg;
    mp_tls_pump pump;
    mp_status st;
    *err = why;
    if (split_hostport(hostport, host, why) == NULL)
        return NET_EARG;
    if (mp_tls_config_init(&cfg, MP_TLS_CLIENT) != MP_OK) {
        snprintf(why, sizeof(why), "TLS configuration failed");
        return NET_ETLS;
    }
    if (mp_tls_config_ca_file(&cfg, cafile) != MP_OK) {
        snprintf(why, sizeof(why), "cannot load CA certificates from %s", cafile);
        mp_tls_config_free(&cfg);
        return NET_ETLS;
    }
    st = mp_tls_pump_setup(&pump, &cfg.conf, host);
    mp_tls_pump_free(&pump);
    mp_tls_config_free(&cfg);
    if (st == MP_ERR_ARG) {
        snprintf(why, sizeof(why), "'%s' is neither a host name nor an IP address", host);
        return NET_EARG;
    }
    return 0;
}

/* Send what the pump has to send. */
static int tls_flush(net_conn *c)
{
    size_t n;
    const unsigned char *p;
    while ((p = mp_tls_pump_send_buf(&c->pump, &n)) != NULL && n > 0) {
        int r = raw_send(c, p, n);
        if (r < 0)
            return r;
        mp_tls_pump_send_done(&c->pump, n);
    }
    return 0;
}

/* Move ciphertext from the socket into the pump. */
static int tls_pull(net_conn *c, int timeout_ms)
{
    size_t room;
    unsigned char *b = mp_tls_pump_recv_buf(&c->pump, &room);
    long n;
    if (room == 0)
        return 0;
    n = raw_recv(c, b, room, timeout_ms);
    if (n < 0)
        return (int)n;
    if ((n == 0 ? mp_tls_pump_recv_eof(&c->pump) : mp_tls_pump_recv_done(&c->pump, (size_t)n)) ==
        MP_ERR_TLS)
        return tls_fail(c, "receive");
    return 0;
}

int net_tls_start(net_conn *c, const char *cafile)
{
    if (mp_tls_config_init(&c->cfg, MP_TLS_CLIENT) != MP_OK)
        return fail(c, NET_ETLS, "TLS", "configuration failed");
    if (mp_tls_config_ca_file(&c->cfg, cafile) != MP_OK)
        return fail(c, NET_ETLS, "cannot load CA certificates from", cafile);
    c->tls = 1;
    if (mp_tls_pump_setup(&c->pump, &c->cfg.conf, c->host) == MP_ERR_TLS)
        return tls_fail(c, "setup");
    for (;;) {
        int r = tls_flush(c);
        if (r < 0)
            return r;
        if (mp_tls_pump_status(&c->pump) == MP_ERR_TLS)
            return tls_fail(c, "handshake");
        if (mp_tls_pump_handshake_done(&c->pump))
            return 0;
        r = tls_pull(c, c->timeout_ms);
        if (r < 0)
            return r;
    }
}

int net_send(net_conn *c, const void *p, size_t n)
{
    const char *b = p;
    if (!c->tls)
        return raw_send(c, p, n);
    while (n > 0) {
        size_t used = 0;
        mp_status st = mp_tls_pump_write(&c->pump, b, n, &used);
        int r;
        if (st == MP_ERR_TLS || st == MP_CLOSED)
            return tls_fail(c, "send");
        b += used;
        n -= used;
        r = tls_flush(c);
        if (r < 0)
            return r;
    }
    return 0;
}

long net_recv(net_conn *c, void *p, size_t cap, int timeout_ms)
{
    if (timeout_ms < 0)
        timeout_ms = c->timeout_ms;
    if (!c->tls)
        return raw_recv(c, p, cap, timeout_ms);
    for (;;) {
        size_t got = 0;
        mp_status st = mp_tls_pump_read(&c->pump, p, cap, &got);
        int r = tls_flush(c);
        if (r < 0)
            return r;
        if (st == MP_OK)
            return (long)got;
        if (st == MP_CLOSED) {
            c->eof = 1;
            return NET_EOF;
        }
        if (st == MP_ERR_TLS)
            return tls_fail(c, "receive");
        r = tls_pull(c, timeout_ms);
        if (r < 0)
            return r;
    }
}

void net_close(net_conn *c)
{
    if (c == NULL)
        return;
    if (c->tls) {
        if (net_usable(c) && mp_tls_pump_handshake_done(&c->pump)) {
            mp_status st;
            while ((st = mp_tls_pump_close(&c->pump)) == MP_NEED_MORE && tls_flush(c) == 0)
                ;
            if (st == MP_OK)
                (void)tls_flush(c);
        }
        mp_tls_pump_free(&c->pump);
        mp_tls_config_free(&c->cfg);
    }
    close(c->fd);
    free(c);
}
#else
int net_tls_available(void) { return 0; }

int net_tls_check(const char *hostport, const char *cafile, const char **err)
{
    (void)hostport;
    (void)cafile;
    *err = "built without TLS";
    return NET_ENOTLS;
}

int net_tls_start(net_conn *c, const char *cafile)
{
    (void)cafile;
    return fail(c, NET_ENOTLS, "TLS", "built without TLS");
}

int net_send(net_conn *c, const void *p, size_t n) { return raw_send(c, p, n); }

long net_recv(net_conn *c, void *p, size_t cap, int timeout_ms)
{
    return raw_recv(c, p, cap, timeout_ms < 0 ? c->timeout_ms : timeout_ms);
}

void net_close(net_conn *c)
{
    if (c == NULL)
        return;
    close(c->fd);
    free(c);
}
#endif
