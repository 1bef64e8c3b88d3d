/* The example servers' shared pieces (serve.h). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int net_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL, 0);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void net_nodelay(int fd)
{
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int net_listen(const char *spec)
{
    char host[128];
    const char *colon = strrchr(spec, ':');
    struct sockaddr_storage ss;
    socklen_t sl;
    unsigned long port;
    char *end;
    int fd, one = 1;
    size_t hl;
    if (colon == NULL)
        return -1;
    hl = (size_t)(colon - spec);
    if (hl >= sizeof(host))
        return -1;
    memcpy(host, spec, hl);
    host[hl] = '\0';
    port = strtoul(colon + 1, &end, 10);
    if (*end != '\0' || port == 0 || port > 65535 || colon[1] == '\0')
        return -1;
    memset(&ss, 0, sizeof(ss));
    if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        host[hl - 1] = '\0';
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
            return -1;
        sl = sizeof(*a);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
            return -1;
        sl = sizeof(*a);
    }
    fd = socket(ss.ss_family, SOCK_STREAM, 0);
    if (fd < 0)
        return -2;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 64) != 0 || net_nonblock(fd) != 0) {
        close(fd);
        return -2;
    }
    return fd;
}

int net_passwd_load(const char *path, net_user *users, unsigned cap, unsigned *n)
{
    FILE *f = fopen(path, "r");
    char line[600];
    *n = 0;
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *colon;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        colon = strchr(line, ':');
        if (colon == NULL || colon == line || (size_t)(colon - line) > MP_SASL_MAX_NAME ||
            strlen(colon + 1) >= sizeof(users[0].pass) || *n == cap) {
            fclose(f);
            return -1;
        }
        *colon = '\0';
        memcpy(users[*n].name, line, (size_t)(colon - line) + 1);
        memcpy(users[*n].pass, colon + 1, strlen(colon + 1) + 1);
        (*n)++;
    }
    fclose(f);
    return 0;
}

const net_user *net_user_find(const net_user *users, unsigned n, const char *name, size_t len)
{
    unsigned i;
    for (i = 0; i < n; i++)
        if (strlen(users[i].name) == len && memcmp(users[i].name, name, len) == 0)
            return &users[i];
    return NULL;
}

int net_link_flush(net_link *l, int fd, const net_out *o)
{
    for (;;) {
        size_t n;
        const char *p = o->get(o->session, &n);
        ssize_t k;
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
        if (l->tls_on) {
            size_t used = 0, cn;
            const unsigned char *ct;
            if (n > 0 && mp_tls_pump_write(&l->pump, p, n, &used) == MP_OK)
                o->done(o->session, used);
            ct = mp_tls_pump_send_buf(&l->pump, &cn);
            if (cn == 0)
                return 0;
            k = send(fd, ct, cn, MSG_NOSIGNAL);
            if (k < 0)
                return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
            mp_tls_pump_send_done(&l->pump, (size_t)k);
            continue;
        }
#else
        (void)l;
#endif
        if (n == 0)
            return 0;
        k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0)
            return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
        o->done(o->session, (size_t)k);
    }
}

size_t net_link_backlog(net_link *l)
{
    size_t cn = 0;
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
    if (l->tls_on)
        mp_tls_pump_send_buf(&l->pump, &cn);
#else
    (void)l;
#endif
    return cn;
}

int net_link_tls_read(net_link *l, char *in, size_t cap, size_t *len)
{
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
    while (*len < cap) {
        size_t got = 0;
        mp_status st = mp_tls_pump_read(&l->pump, in + *len, cap - *len, &got);
        if (st == MP_OK) {
            *len += got;
            continue;
        }
        return st == MP_NEED_MORE ? 0 : -1; /* else closed or failed */
    }
    return 1;
#else
    (void)l;
    (void)in;
    (void)cap;
    (void)len;
    return -1;
#endif
}

/* When each slot last had an event (the loop serves one server). */
static time_t active[NET_SERVE_MAX];

static void accept_all(int lfd, const net_server *v)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        unsigned i;
        int fd = accept(lfd, (struct sockaddr *)&ss, &sl);
        if (fd < 0)
            return;
        for (i = 0; i < v->max; i++)
            if (v->fd(i) < 0)
                break;
        if (i == v->max || net_nonblock(fd) != 0) {
            if (v->busy != NULL && send(fd, v->busy, strlen(v->busy), MSG_NOSIGNAL) < 0) {
                /* nothing more to do */
            }
            close(fd);
            continue;
        }
        if (v->nodelay)
            net_nodelay(fd);
        active[i] = time(NULL);
        if (v->open(i, fd, &ss) != 0)
            v->close(i);
    }
}

int net_serve(int lfd, const net_server *v)
{
    struct pollfd pfd[NET_SERVE_MAX + 2];
    unsigned map[NET_SERVE_MAX];
    if (v->max < 1 || v->max > NET_SERVE_MAX)
        return -1;
    while (!*v->stop) {
        nfds_t n = 1;
        time_t now = time(NULL);
        unsigned i;
        pfd[0].fd = lfd;
        pfd[0].events = POLLIN;
        for (i = 0; i < v->max; i++) {
            int ev;
            if (v->fd(i) < 0)
                continue;
            ev = v->prepare(i, now - active[i] > v->idle_secs);
            if (ev < 0) {
                v->close(i);
                continue;
            }
            pfd[n].fd = v->fd(i);
            pfd[n].events = (short)ev;
            map[n - 1] = i;
            n++;
        }
        /* the watched descriptor last, after the slots map[] counts */
        pfd[n].fd = v->watch != NULL ? v->watch_fd : -1;
        pfd[n].events = POLLIN;
        pfd[n].revents = 0;
        if (poll(pfd, n + 1, v->poll_ms) < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (pfd[0].revents & POLLIN)
            accept_all(lfd, v);
        if (pfd[n].revents & POLLIN)
            v->watch();
        for (i = 1; i < n; i++) {
            unsigned k = map[i - 1];
            int rc = 0;
            if (pfd[i].revents == 0 || v->fd(k) != pfd[i].fd)
                continue;
            active[k] = now;
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
                rc = v->read(k);
            if (rc == 0 && (pfd[i].revents & POLLOUT))
                rc = v->write(k);
            if (rc != 0)
                v->close(k);
        }
        if (v->tick != NULL)
            v->tick();
    }
    return 0;
}
