/*
 * The pump against OpenSSL over real loopback sockets: our client pump
 * talks to `openssl s_server -rev`, and `openssl s_client` (verifying our
 * certificate and hostname) talks to our server pump.  The host loop here
 * is the one a real program runs: send what the pump holds, poll, recv
 * into the pump, read plaintext.  Skipped when no openssl binary is found.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mailproto/mbedtls.h"
#include "tls_fixture.h"

static mp_tls_pump pump;
static pid_t child = -1;
static int sock = -1, child_in = -1, child_out = -1;

static int have_openssl(void)
{
    return system("openssl version >/dev/null 2>&1") == 0;
}

/* The shared setup, and no SIGPIPE when openssl goes away early. */
static int group_setup(void **s)
{
    signal(SIGPIPE, SIG_IGN);
    return tls_group_setup(s);
}

/* Kill and reap the child we started (by its pid only), close our fds. */
static int cleanup(void **s)
{
    (void)s;
    mp_tls_pump_free(&pump);
    if (sock >= 0) close(sock);
    if (child_in >= 0) close(child_in);
    if (child_out >= 0) close(child_out);
    sock = child_in = child_out = -1;
    if (child > 0) {
        int st;
        kill(child, SIGTERM);
        waitpid(child, &st, 0);
        child = -1;
    }
    return 0;
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Start `argv` with pipes on stdin and stdout; stderr to /dev/null. */
static void spawn(char *const argv[])
{
    int in[2], out[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(in[0], 0);
        dup2(out[1], 1);
        if (devnull >= 0) dup2(devnull, 2);
        close(in[1]);
        close(out[0]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    child_in = in[1];
    child_out = out[0];
}

/* A listening socket on 127.0.0.1, port chosen by the kernel. */
static int listen_any(unsigned *port)
{
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* One round of the host loop: send everything the pump holds, wait up to
 * `wait_ms` for the socket, and give what arrived to the pump. */
static void net_round(int wait_ms)
{
    const unsigned char *out;
    unsigned char *in;
    size_t len, room;
    struct pollfd pfd;

    while ((out = mp_tls_pump_send_buf(&pump, &len)) != NULL) {
        ssize_t w = send(sock, out, len, 0);
        if (w <= 0) return; /* peer gone; the read side will tell */
        (void)mp_tls_pump_send_done(&pump, (size_t)w);
    }
    in = mp_tls_pump_recv_buf(&pump, &room);
    if (room == 0) return;
    pfd.fd = sock;
    pfd.events = POLLIN;
    pfd.revents = 0;
    if (poll(&pfd, 1, wait_ms) <= 0) return;
    {
        ssize_t r = recv(sock, in, room, 0);
        if (r > 0)
            (void)mp_tls_pump_recv_done(&pump, (size_t)r);
        else if (r == 0 || errno != EINTR)
            (void)mp_tls_pump_recv_eof(&pump);
    }
}

/* Run the loop until the handshake ends (either way), 10 s at most. */
static void net_handshake(void)
{
    long end = now_ms() + 10000;
    while (mp_tls_pump_status(&pump) == MP_NEED_MORE && now_ms() < end)
        net_round(50);
    net_round(0); /* flush the last flight */
}

/* Read plaintext until `want` appears (or the stream ends); returns the
 * bytes read in `buf` (NUL-terminated). */
static size_t net_read_until(char *buf, size_t cap, const char *want)
{
    long end = now_ms() + 10000;
    size_t total = 0;
    buf[0] = '\0';
    while (now_ms() < end && strstr(buf, want) == NULL) {
        size_t got;
        mp_status st;
        net_round(50);
        while ((st = mp_tls_pump_read(&pump, buf + total, cap - 1 - total, &got)) == MP_OK &&
               got > 0) {
            total += got;
            buf[total] = '\0';
        }
        if (st != MP_OK && st != MP_NEED_MORE) break;
    }
    return total;
}

static void net_write(const char *s)
{
    size_t n = strlen(s);
    long end = now_ms() + 10000;
    while (n > 0 && now_ms() < end) {
        size_t used;
        mp_status st = mp_tls_pump_write(&pump, s, n, &used);
        assert_true(st == MP_OK || st == MP_NEED_MORE);
        s += used;
        n -= used;
        net_round(0);
    }
    assert_int_equal(n, 0);
}

/* Our client pump against openssl s_server -rev (reverses each line). */
static void test_client_vs_openssl_server(void **s)
{
    char port_arg[64], buf[512];
    unsigned port;
    long end;
    int lfd;
    (void)s;
    if (!have_openssl()) skip();
    /* Learn a free port, release it, let s_server take it. */
    lfd = listen_any(&port);
    close(lfd);
    snprintf(port_arg, sizeof port_arg, "127.0.0.1:%u", port);
    {
        char *argv[] = { "openssl", "s_server", "-accept", port_arg, "-cert",
                         (char *)data_path("server.pem"), "-key",
                         (char *)data_path("server.key"), "-rev", "-quiet", "-naccept", "1",
                         NULL };
        spawn(argv);
    }
    end = now_ms() + 10000;
    for (;;) {
        struct sockaddr_in a;
        sock = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(sock >= 0);
        memset(&a, 0, sizeof a);
        a.sin_family = AF_INET;
        a.sin_port = htons((uint16_t)port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (connect(sock, (struct sockaddr *)&a, sizeof a) == 0) break;
        close(sock);
        sock = -1;
        assert_true(now_ms() < end);
        poll(NULL, 0, 20); /* 20 ms */
    }
    assert_int_equal(mp_tls_pump_setup(&pump, &client_cfg.conf, "localhost"), MP_NEED_MORE);
    net_handshake();
    assert_int_equal(mp_tls_pump_status(&pump), MP_OK);
    assert_int_equal(mbedtls_ssl_get_verify_result(&pump.ssl), 0);
    net_write("hello mail\n");
    net_read_until(buf, sizeof buf, "liam olleh");
    assert_non_null(strstr(buf, "liam olleh"));
    assert_int_equal(mp_tls_pump_close(&pump), MP_OK);
    net_round(0);
}

/* openssl s_client, verifying our certificate for "localhost", against our
 * server pump: a greeting out, a command in, close_notify. */
static void test_openssl_client_vs_server(void **s)
{
    char port_arg[64], buf[512], out[512];
    unsigned port;
    size_t got = 0;
    long end;
    int lfd;
    struct pollfd pfd;
    (void)s;
    if (!have_openssl()) skip();
    lfd = listen_any(&port);
    snprintf(port_arg, sizeof port_arg, "127.0.0.1:%u", port);
    {
        char *argv[] = { "openssl", "s_client", "-connect", port_arg, "-CAfile",
                         (char *)data_path("ca.pem"), "-servername", "localhost",
                         "-verify_hostname", "localhost", "-verify_return_error", "-quiet",
                         NULL };
        spawn(argv);
    }
    pfd.fd = lfd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    assert_int_equal(poll(&pfd, 1, 10000), 1);
    sock = accept(lfd, NULL, NULL);
    close(lfd);
    assert_true(sock >= 0);

    assert_int_equal(mp_tls_pump_setup(&pump, &server_cfg.conf, NULL), MP_NEED_MORE);
    net_handshake();
    assert_int_equal(mp_tls_pump_status(&pump), MP_OK);
    net_write("220 localhost ESMTP ready\r\n");
    /* What s_client decrypted appears on its stdout. */
    end = now_ms() + 10000;
    out[0] = '\0';
    while (strstr(out, "220 localhost ESMTP ready") == NULL && now_ms() < end) {
        ssize_t r;
        net_round(0);
        pfd.fd = child_out;
        pfd.events = POLLIN;
        if (poll(&pfd, 1, 50) <= 0) continue;
        r = read(child_out, out + got, sizeof out - 1 - got);
        if (r <= 0) break;
        got += (size_t)r;
        out[got] = '\0';
    }
    assert_non_null(strstr(out, "220 localhost ESMTP ready"));
    /* A line typed into s_client arrives through TLS. */
    assert_int_equal(write(child_in, "EHLO client.example\n", 20), 20);
    net_read_until(buf, sizeof buf, "EHLO client.example");
    assert_non_null(strstr(buf, "EHLO client.example"));
    assert_int_equal(mp_tls_pump_close(&pump), MP_OK);
    net_round(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_client_vs_openssl_server, cleanup),
        cmocka_unit_test_teardown(test_openssl_client_vs_server, cleanup),
    };
    return cmocka_run_group_tests(tests, group_setup, tls_group_teardown);
}
