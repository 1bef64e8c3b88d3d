/* The example servers' shared parts (srv.h). */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include "srv/srv.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int srv_load_passwd(srv_users *u, const char *path)
{
    FILE *f = fopen(path, "r");
    char line[600];
    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *colon;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        colon = strchr(line, ':');
        if (colon == NULL || colon == line || (size_t)(colon - line) > MP_SASL_MAX_NAME ||
            strlen(colon + 1) >= sizeof(u->v[0].pass) || u->n == SRV_MAX_USERS) {
            fclose(f);
            return -1;
        }
        *colon = '\0';
        memcpy(u->v[u->n].name, line, (size_t)(colon - line) + 1);
        memcpy(u->v[u->n].pass, colon + 1, strlen(colon + 1) + 1);
        u->n++;
    }
    fclose(f);
    return 0;
}

const char *srv_password(const srv_users *u, mp_slice name)
{
    unsigned i;
    for (i = 0; i < u->n; i++)
        if (strlen(u->v[i].name) == name.len && memcmp(u->v[i].name, name.ptr, name.len) == 0)
            return u->v[i].pass;
    return NULL;
}

void srv_sasl_answer(mp_sasl_server *x, const srv_users *u, const mp_crypto_provider *crypto,
                     const char *salt_prefix)
{
    const char *pass = srv_password(u, x->authcid);
    /* An authzid other than the user itself is not allowed here. */
    int authz_ok = x->authzid.len == 0 || (x->authzid.len == x->authcid.len &&
                                           memcmp(x->authzid.ptr, x->authcid.ptr, x->authzid.len) == 0);
    switch (x->want) {
    case MP_SASL_WANT_VERIFY: {
        size_t pl = pass ? strlen(pass) : 0;
        mp_sasl_server_verify(x, pass && authz_ok && x->password.len == pl && pl > 0 &&
                                     memcmp(x->password.ptr, pass, pl) == 0);
        break;
    }
    case MP_SASL_WANT_SECRET:
        if (pass && authz_ok)
            mp_sasl_server_set_secret(x, pass, strlen(pass));
        else
            mp_sasl_server_verify(x, 0);
        break;
    case MP_SASL_WANT_SCRAM_KEYS: {
        uint8_t sk[MP_HASH_MAX_DIGEST], svk[MP_HASH_MAX_DIGEST];
        char salt[MP_SASL_MAX_NAME + 64];
        int n = snprintf(salt, sizeof(salt), "%s%.*s", salt_prefix, (int)x->authcid.len,
                         x->authcid.ptr);
        if (pass && authz_ok && n > 0 && (size_t)n < sizeof(salt) &&
            mp_sasl_scram_derive((mp_sasl_mech)x->mech, crypto, pass, strlen(pass), salt,
                                 (size_t)n, 4096, sk, svk, NULL) == MP_OK)
            mp_sasl_server_set_scram(x, salt, (size_t)n, 4096, sk, svk);
        else
            mp_sasl_server_verify(x, 0);
        memset(sk, 0, sizeof(sk));
        memset(svk, 0, sizeof(svk));
        break;
    }
    default:
        mp_sasl_server_verify(x, 0);
        break;
    }
}

int srv_set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL, 0);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int srv_listen(const char *spec)
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
    if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 64) != 0 ||
        srv_set_nonblock(fd) != 0) {
        close(fd);
        return -2;
    }
    return fd;
}

void srv_peer_name(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    if (ss->ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, out, (socklen_t)cap);
    else
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, out, (socklen_t)cap);
}

int srv_urandom(void *user, uint8_t *out, size_t n)
{
    static int fd = -1;
    (void)user;
    if (fd < 0)
        fd = open("/dev/urandom", O_RDONLY);
    while (n > 0) {
        ssize_t k = fd < 0 ? -1 : read(fd, out, n);
        if (k <= 0)
            return -1;
        out += k;
        n -= (size_t)k;
    }
    return 0;
}
