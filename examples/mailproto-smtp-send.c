/*
 * mailproto-smtp-send: submit one message over SMTP or LMTP.
 *
 *   mailproto-smtp-send --server HOST:PORT --from ADDR --to ADDR [--to ADDR...]
 *                       [--starttls | --tls] [--cafile FILE]
 *                       [--auth USER:PASS] [--mech NAME]
 *                       [--lmtp] [--helo NAME] [--timeout SECONDS] [--verbose] [FILE]
 *
 * The message comes from FILE, or standard input; LF line ends are turned
 * into CRLF.  --from "" sends the null reverse-path.
 *
 * Exit status:
 *   0  every recipient was accepted and the message was accepted for all
 *   1  some recipients were rejected (the others got the message)
 *   2  usage error, or a TLS option in a build without TLS
 *   3  connection or protocol error, or the message was rejected
 *   4  TLS error (STARTTLS not offered or refused, handshake, certificate)
 *   5  authentication failed, or no acceptable AUTH mechanism
 * Any failure prints one line on standard error.
 *
 * The program is a plain host of the sans-I/O session (smtp_client.h):
 * blocking sockets and poll(); the session never touches the network.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mailproto/sasl.h"
#include "mailproto/smtp_client.h"
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
#include <mbedtls/error.h>

#include "mailproto/mbedtls.h"
#endif

enum { EX_OK = 0, EX_SOME = 1, EX_USAGE = 2, EX_PROTO = 3, EX_TLS = 4, EX_AUTH = 5 };
#define MAX_TO 64

static const char *usage_text =
    "usage: mailproto-smtp-send --server HOST:PORT --from ADDR --to ADDR [--to ADDR...]\n"
    "                           [--starttls | --tls] [--cafile FILE] [--auth USER:PASS]\n"
    "                           [--mech NAME] [--lmtp] [--helo NAME] [--timeout SECONDS]\n"
    "                           [--verbose] [FILE]\n"
    "  --server HOST:PORT  SMTP/LMTP server to connect to\n"
    "  --from ADDR         envelope sender (\"\" for the null reverse-path)\n"
    "  --to ADDR           envelope recipient; repeat for more (up to 64)\n"
    "  --starttls          require STARTTLS (fail when not offered)\n"
    "  --tls               implicit TLS from the first byte (port 465)\n"
    "  --cafile FILE       trusted CAs in PEM (default /etc/ssl/certs/ca-certificates.crt)\n"
    "  --auth USER:PASS    authenticate with SASL (only under TLS unless --mech says so)\n"
    "  --mech NAME         SASL mechanism (default: the best one the server offers)\n"
    "  --lmtp              speak LMTP (LHLO, one reply per recipient)\n"
    "  --helo NAME         EHLO/LHLO name (default localhost)\n"
    "  --timeout SECONDS   network timeout (default 60)\n"
    "  --verbose           print the dialogue on standard error (S: replies, C: commands;\n"
    "                      AUTH data and the message body are left out)\n"
    "  FILE                the message (default: standard input); LF becomes CRLF\n"
    "  --help              this text\n"
    "exit: 0 all accepted, 1 some recipients rejected, 2 usage, 3 connection/protocol\n"
    "      error or message rejected, 4 TLS error, 5 authentication failed\n";

static void die(int code, const char *fmt, ...)
{
    va_list ap;
    fputs("mailproto-smtp-send: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(code);
}

/* ----------------------------------------------------------------------- */
/* Transport: a socket, optionally under TLS                               */
/* ----------------------------------------------------------------------- */

static int sock = -1;
static int verbose;
static int timeout_ms = 60000;
static const char *server_host;
static const char *cafile = "/etc/ssl/certs/ca-certificates.crt";
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
static int tls_on;
static mp_tls_config tlscfg;
static mp_tls_pump pump;
#endif

static void wait_fd(short ev)
{
    struct pollfd p;
    int r;
    p.fd = sock;
    p.events = ev;
    do {
        r = poll(&p, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    if (r == 0)
        die(EX_PROTO, "timeout after %d s", timeout_ms / 1000);
    if (r < 0)
        die(EX_PROTO, "poll: %s", strerror(errno));
}

static void raw_send(const void *p, size_t n)
{
    const char *b = p;
    while (n > 0) {
        ssize_t k;
        wait_fd(POLLOUT);
        k = send(sock, b, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            die(EX_PROTO, "send: %s", strerror(errno));
        b += k;
        n -= (size_t)k;
    }
}

/* Bytes from the socket; 0 at end of file. */
static size_t raw_recv(void *p, size_t cap)
{
    ssize_t k;
    wait_fd(POLLIN);
    do {
        k = recv(sock, p, cap, 0);
    } while (k < 0 && errno == EINTR);
    if (k < 0)
        die(EX_PROTO, "recv: %s", strerror(errno));
    return (size_t)k;
}

#ifdef MP_EXAMPLE_HAVE_MBEDTLS
static void tls_flush(void)
{
    size_t n;
    const unsigned char *p;
    while ((p = mp_tls_pump_send_buf(&pump, &n)) != NULL && n > 0) {
        raw_send(p, n);
        mp_tls_pump_send_done(&pump, n);
    }
}

static void tls_fail(const char *what)
{
    char msg[128];
    int e = mp_tls_pump_tls_error(&pump);
    mbedtls_strerror(e, msg, sizeof(msg));
    tls_flush();
    die(EX_TLS, "TLS %s: %s (-0x%04x)", what, msg, (unsigned)-e);
}

/* Move ciphertext from the socket into the pump. */
static void tls_pull(void)
{
    size_t room, n;
    unsigned char *b = mp_tls_pump_recv_buf(&pump, &room);
    mp_status st;
    if (room == 0)
        return;
    n = raw_recv(b, room);
    st = n == 0 ? mp_tls_pump_recv_eof(&pump) : mp_tls_pump_recv_done(&pump, n);
    if (st == MP_ERR_TLS)
        tls_fail("receive");
}

static void tls_start(void)
{
    if (mp_tls_config_init(&tlscfg, MP_TLS_CLIENT) != MP_OK)
        die(EX_TLS, "TLS configuration failed");
    if (mp_tls_config_ca_file(&tlscfg, cafile) != MP_OK)
        die(EX_TLS, "cannot load CA certificates from %s", cafile);
    if (mp_tls_pump_setup(&pump, &tlscfg.conf, server_host) == MP_ERR_TLS)
        tls_fail("setup");
    for (;;) {
        mp_status st;
        tls_flush();
        st = mp_tls_pump_status(&pump);
        if (st == MP_ERR_TLS)
            tls_fail("handshake");
        if (mp_tls_pump_handshake_done(&pump))
            break;
        tls_pull();
    }
    tls_on = 1;
}
#endif

static void net_send(const char *p, size_t n)
{
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
    if (tls_on) {
        while (n > 0) {
            size_t used = 0;
            mp_status st = mp_tls_pump_write(&pump, p, n, &used);
            if (st == MP_ERR_TLS || st == MP_CLOSED)
                tls_fail("send");
            p += used;
            n -= used;
            tls_flush();
        }
        return;
    }
#endif
    raw_send(p, n);
}

/* Plaintext from the server; 0 when it closed. */
static size_t net_recv(char *p, size_t cap)
{
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
    if (tls_on) {
        for (;;) {
            size_t got = 0;
            mp_status st = mp_tls_pump_read(&pump, p, cap, &got);
            tls_flush();
            if (st == MP_OK)
                return got;
            if (st == MP_CLOSED)
                return 0;
            if (st == MP_ERR_TLS)
                tls_fail("receive");
            tls_pull();
        }
    }
#endif
    return raw_recv(p, cap);
}

static void connect_to(const char *hostport)
{
    static char host[256];
    const char *colon = strrchr(hostport, ':');
    struct addrinfo hints, *res, *ai;
    int r;
    size_t hl;
    if (colon == NULL || colon == hostport || colon[1] == '\0')
        die(EX_USAGE, "--server wants HOST:PORT, got '%s'", hostport);
    hl = (size_t)(colon - hostport);
    if (hostport[0] == '[' && hl >= 2 && hostport[hl - 1] == ']') {
        hostport++;
        hl -= 2;
    }
    if (hl >= sizeof(host))
        die(EX_USAGE, "host name too long");
    memcpy(host, hostport, hl);
    host[hl] = '\0';
    server_host = host;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    r = getaddrinfo(host, colon + 1, &hints, &res);
    if (r != 0)
        die(EX_PROTO, "cannot resolve %s: %s", host, gai_strerror(r));
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        sock = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (sock < 0)
            continue;
        if (connect(sock, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(sock);
        sock = -1;
    }
    freeaddrinfo(res);
    if (sock < 0)
        die(EX_PROTO, "cannot connect to %s: %s", hostport, strerror(errno));
}

/* ----------------------------------------------------------------------- */
/* The session's host                                                      */
/* ----------------------------------------------------------------------- */

static struct {
    mp_smtp_client c;
    mp_smtp_client_envelope env;
    mp_smtp_client_rcpt rcpts[MAX_TO];
    mp_sasl_client sasl;
    mp_sasl_credentials creds;
    mp_crypto_provider crypto;
    const char *mech;
    int want_auth, auth_done, sent, body_active, body_eof, done;
    int in_body; /* from BODY_READY to MESSAGE: output is message data */
    size_t accepted;      /* recipients that took the message */
    unsigned last_code;
    char last_text[256];
    FILE *msg;
    char chunk[16384];
    size_t chunk_off, chunk_len;
} h;

static char outbuf[8192];
static char authbuf[MP_SMTP_CLIENT_AUTH_BUF];

static void remember(const mp_smtp_reply_line *l)
{
    size_t n = l->text.len < sizeof(h.last_text) - 1 ? l->text.len : sizeof(h.last_text) - 1;
    h.last_code = l->code;
    memcpy(h.last_text, l->text.ptr, n);
    h.last_text[n] = '\0';
}

static int urandom(void *user, uint8_t *out, size_t len)
{
    int fd = open("/dev/urandom", O_RDONLY);
    size_t got = 0;
    (void)user;
    if (fd < 0)
        return -1;
    while (got < len) {
        ssize_t k = read(fd, out + got, len - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd);
    return got == len ? 0 : -1;
}

static void start_auth(void)
{
    mp_sasl_mech m;
    mp_status st;
    if (!(mp_smtp_client_caps(&h.c)->flags & MP_SMTP_CAP_AUTH))
        die(EX_AUTH, "the server does not offer AUTH");
    if (h.mech != NULL) {
        m = mp_sasl_mech_from_name(h.mech, strlen(h.mech));
        if (m == MP_SASL_MECH_NONE)
            die(EX_USAGE, "unknown SASL mechanism '%s'", h.mech);
    } else {
        m = mp_sasl_choose(mp_smtp_client_sasl_offered(&h.c),
                           mp_smtp_client_secure(&h.c) ? MP_SASL_CHOOSE_PLAINTEXT_OK : 0u);
        if (m == MP_SASL_MECH_NONE)
            die(EX_AUTH, "no acceptable AUTH mechanism offered%s",
                mp_smtp_client_secure(&h.c) ? "" : " without TLS (use --starttls or --mech)");
    }
    st = mp_sasl_client_start(&h.sasl, m, &h.creds, &h.crypto);
    if (st != MP_OK)
        die(EX_AUTH, "SASL %s: %s", mp_sasl_mech_get(m)->name, mp_strerror(st));
    st = mp_smtp_client_auth_sasl(&h.c, &h.sasl);
    if (st != MP_OK)
        die(st == MP_ERR_UNSUPPORTED ? EX_AUTH : EX_PROTO, "AUTH: %s", mp_strerror(st));
}

static int on_event(void *user, const mp_smtp_client_event *ev)
{
    mp_status st;
    (void)user;
    switch (ev->type) {
    case MP_SMTP_EV_REPLY_LINE:
        if (verbose)
            fprintf(stderr, "S: %u%c%s%.*s%s%.*s\n", ev->reply->code, ev->reply->last ? ' ' : '-',
                    "", (int)ev->reply->enhanced.len, ev->reply->enhanced.ptr,
                    ev->reply->enhanced.len ? " " : "", (int)ev->reply->text.len,
                    ev->reply->text.ptr);
        break;
    case MP_SMTP_EV_READY:
        if (h.want_auth && !h.auth_done) {
            start_auth();
        } else if (!h.sent) {
            h.sent = 1;
            /* The message is not scanned ahead (stdin streams): declare
             * 8BITMIME whenever the server offers it, harmless for 7-bit
             * text and required for 8-bit (RFC 6152 §3). */
            if (mp_smtp_client_caps(&h.c)->flags & MP_SMTP_CAP_8BITMIME)
                h.env.body = MP_SMTP_BODY_8BITMIME;
            st = mp_smtp_client_send(&h.c, &h.env);
            if (st != MP_OK)
                die(st == MP_ERR_ARG || st == MP_ERR_SMTP_PATH || st == MP_ERR_8BIT ||
                            st == MP_ERR_SMTP_UTF8_PATH || st == MP_ERR_UTF8 ||
                            st == MP_ERR_SMTP_PATH_TOO_LONG ||
                            st == MP_ERR_SMTP_LOCAL_TOO_LONG ||
                            st == MP_ERR_SMTP_DOMAIN_TOO_LONG
                        ? EX_USAGE
                        : EX_PROTO,
                    "cannot send: %s", mp_strerror(st));
        } else if (mp_smtp_client_phase_of(&h.c) == MP_SMTP_PH_READY) {
            (void)mp_smtp_client_quit(&h.c);
        }
        break;
    case MP_SMTP_EV_AUTH_RESULT:
        remember(ev->reply);
        h.auth_done = 1;
        if (!ev->accepted)
            die(EX_AUTH, "authentication failed: %u %s", h.last_code, h.last_text);
        break;
    case MP_SMTP_EV_MAIL_RESULT:
        if (!ev->accepted) {
            remember(ev->reply);
            fprintf(stderr, "mailproto-smtp-send: sender refused: %u %s\n", h.last_code,
                    h.last_text);
        }
        break;
    case MP_SMTP_EV_RCPT_RESULT:
    case MP_SMTP_EV_RCPT_DATA:
        if (!ev->accepted) {
            const mp_slice *a = &h.rcpts[ev->index].address;
            remember(ev->reply);
            fprintf(stderr, "mailproto-smtp-send: <%.*s> rejected: %u %s\n", (int)a->len,
                    a->ptr, h.last_code, h.last_text);
        }
        break;
    case MP_SMTP_EV_BODY_READY:
        h.body_active = !h.body_eof || h.body_active;
        h.in_body = 1;
        break;
    case MP_SMTP_EV_MESSAGE:
        h.in_body = 0;
        remember(ev->reply);
        h.accepted = (size_t)ev->accepted;
        h.done = 1;
        break;
    default:
        break;
    }
    return MP_SMTP_CB_CONTINUE;
}

/* --verbose: the command lines of `p[0..n)`, AUTH data masked; nothing
 * while a body is being written. */
static void show_commands(const char *p, size_t n)
{
    static int auth_open;
    mp_smtp_client_phase ph = mp_smtp_client_phase_of(&h.c);
    if (!verbose || h.in_body)
        return;
    while (n > 0) {
        const char *e = memchr(p, '\n', n);
        size_t len = e ? (size_t)(e - p) + 1 : n;
        size_t shown = len >= 2 && p[len - 2] == '\r' ? len - 2 : len;
        if (shown >= 5 && memcmp(p, "AUTH ", 5) == 0) {
            const char *sp = memchr(p + 5, ' ', shown - 5);
            fprintf(stderr, "C: %.*s%s\n", (int)(sp ? (size_t)(sp - p) : shown), p,
                    sp ? " <initial response>" : "");
            auth_open = 1;
        } else if (ph == MP_SMTP_PH_AUTH && auth_open) {
            fputs("C: <SASL response>\n", stderr);
        } else {
            auth_open = 0;
            fprintf(stderr, "C: %.*s\n", (int)shown, p);
        }
        p += len;
        n -= len;
    }
}

static void flush_output(void)
{
    size_t n;
    const char *p;
    while ((p = mp_smtp_client_output(&h.c, &n)), n > 0) {
        show_commands(p, n);
        net_send(p, n);
        if (mp_smtp_client_output_done(&h.c, n) != MP_OK)
            die(EX_PROTO, "internal: output");
    }
}

/* Push body bytes while the session takes them.  Returns 1 when input
 * from the server is needed to go on. */
static int push_body(void)
{
    while (h.body_active) {
        size_t used = 0;
        mp_status st;
        if (h.chunk_off == h.chunk_len && !h.body_eof) {
            h.chunk_len = fread(h.chunk, 1, sizeof(h.chunk), h.msg);
            h.chunk_off = 0;
            if (h.chunk_len == 0) {
                if (ferror(h.msg))
                    die(EX_USAGE, "cannot read the message: %s", strerror(errno));
                h.body_eof = 1;
            }
        }
        if (h.chunk_off == h.chunk_len) {
            st = mp_smtp_client_body_end(&h.c);
            if (st == MP_OK) {
                h.body_active = 0;
                return 0;
            }
        } else {
            st = mp_smtp_client_body(&h.c, h.chunk + h.chunk_off, h.chunk_len - h.chunk_off,
                                     &used);
            h.chunk_off += used;
            if (st == MP_OK)
                continue;
        }
        if (st == MP_ERR_NO_SPACE) {
            flush_output();
            continue;
        }
        if (st == MP_PAUSED)
            return 1;
        if (st == MP_ERR_STATE) { /* the server refused a chunk */
            h.body_active = 0;
            return 1;
        }
        die(EX_USAGE, "message refused: %s", mp_strerror(st));
    }
    return 1;
}

static void feed_all(const char *p, size_t n)
{
    while (n > 0) {
        size_t used = 0;
        mp_status st = mp_smtp_client_feed(&h.c, p, n, &used);
        p += used;
        n -= used;
        if (st == MP_NEED_MORE || st == MP_PAUSED || st == MP_CLOSED)
            continue;
        if (st == MP_TRANSPORT_SWITCH) {
            /* The 220 to STARTTLS ended this read exactly (anything after
             * it would have been refused as an injection). */
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
            flush_output();
            tls_start();
            if (mp_smtp_client_tls_started(&h.c) != MP_OK)
                die(EX_PROTO, "internal: TLS switch");
            continue;
#else
            die(EX_USAGE, "built without TLS");
#endif
        }
        {
            const mp_error *e = mp_smtp_client_error(&h.c);
            int code = (st == MP_ERR_TLS_REQUIRED || st == MP_ERR_TLS_INJECTION) ? EX_TLS
                       : st == MP_ERR_SASL_SERVER_PROOF                          ? EX_AUTH
                                                                                 : EX_PROTO;
            /* A polite QUIT, except to a server that is going away or
             * after plaintext injection (then nothing more is sent). */
            if (st != MP_ERR_TLS_INJECTION && st != MP_ERR_SMTP_CLOSING &&
                st != MP_ERR_SMTP_GREETING_REFUSED)
                (void)mp_smtp_client_quit(&h.c);
            flush_output(); /* the QUIT, if any */
            die(code, "%s (at byte %llu%s%s)", mp_strerror(st), (unsigned long long)e->offset,
                e->rule ? ", " : "", e->rule ? e->rule : "");
        }
    }
}

int main(int argc, char **argv)
{
    static char in[16384];
    mp_smtp_client_config cfg;
    mp_smtp_client_callbacks cb;
    const char *server = NULL, *from = NULL, *auth = NULL, *file = NULL, *helo = "localhost";
    static char user[256];
    int starttls = 0, tls = 0, lmtp = 0, i;
    struct stat sb;
    mp_status st;

    memset(&h, 0, sizeof(h));
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return EX_OK;
        } else if (strcmp(a, "--server") == 0 && more) {
            server = argv[++i];
        } else if (strcmp(a, "--from") == 0 && more) {
            from = argv[++i];
        } else if (strcmp(a, "--to") == 0 && more) {
            if (h.env.nrcpts == MAX_TO)
                die(EX_USAGE, "at most %d recipients", MAX_TO);
            h.rcpts[h.env.nrcpts].address = mp_slice_make(argv[i + 1], strlen(argv[i + 1]));
            h.env.nrcpts++;
            i++;
        } else if (strcmp(a, "--starttls") == 0) {
            starttls = 1;
        } else if (strcmp(a, "--tls") == 0) {
            tls = 1;
        } else if (strcmp(a, "--cafile") == 0 && more) {
            cafile = argv[++i];
        } else if (strcmp(a, "--auth") == 0 && more) {
            auth = argv[++i];
        } else if (strcmp(a, "--mech") == 0 && more) {
            h.mech = argv[++i];
        } else if (strcmp(a, "--verbose") == 0 || strcmp(a, "-v") == 0) {
            verbose = 1;
        } else if (strcmp(a, "--lmtp") == 0) {
            lmtp = 1;
        } else if (strcmp(a, "--helo") == 0 && more) {
            helo = argv[++i];
        } else if (strcmp(a, "--timeout") == 0 && more) {
            timeout_ms = atoi(argv[++i]) * 1000;
            if (timeout_ms <= 0)
                die(EX_USAGE, "--timeout wants a positive number of seconds");
        } else if (a[0] == '-' && a[1] != '\0') {
            die(EX_USAGE, "unknown or incomplete option '%s' (see --help)", a);
        } else if (file == NULL) {
            file = a;
        } else {
            die(EX_USAGE, "more than one message file (see --help)");
        }
    }
    if (server == NULL || from == NULL || h.env.nrcpts == 0)
        die(EX_USAGE, "--server, --from and --to are required (see --help)");
    if (starttls && tls)
        die(EX_USAGE, "--starttls and --tls exclude each other");
#ifndef MP_EXAMPLE_HAVE_MBEDTLS
    if (starttls || tls)
        die(EX_USAGE, "built without TLS");
#endif
    if (auth != NULL) {
        const char *colon = strchr(auth, ':');
        if (colon == NULL || (size_t)(colon - auth) >= sizeof(user))
            die(EX_USAGE, "--auth wants USER:PASS");
        memcpy(user, auth, (size_t)(colon - auth));
        h.creds.username = mp_slice_make(user, (size_t)(colon - auth));
        h.creds.password = mp_slice_make(colon + 1, strlen(colon + 1));
        h.want_auth = 1;
        h.crypto = mp_crypto_builtin(urandom, NULL);
    }
    h.msg = file ? fopen(file, "rb") : stdin;
    if (h.msg == NULL)
        die(EX_USAGE, "cannot open %s: %s", file, strerror(errno));
    h.env.from = mp_slice_make(from, strlen(from));
    h.env.last = 1; /* one message: with PIPELINING, QUIT rides along with its end */
    h.env.rcpts = h.rcpts;
    /* Check the addresses before connecting; 8-bit ones need SMTPUTF8
     * (RFC 6531), which send() then requires from the server. */
    for (i = -1; i < (int)h.env.nrcpts; i++) {
        mp_slice a = i < 0 ? h.env.from : h.rcpts[i].address;
        mp_smtp_path pa;
        mp_error pe;
        size_t k;
        st = mp_smtp_mailbox_parse(a.ptr, a.len, i < 0, i >= 0, 1, &pa, &pe);
        if (st != MP_OK)
            die(EX_USAGE, "<%.*s>: %s at byte %zu (%s)", (int)a.len, a.ptr, mp_strerror(st),
                (size_t)pe.offset, pe.rule ? pe.rule : "");
        for (k = 0; k < a.len; k++)
            if ((unsigned char)a.ptr[k] >= 0x80)
                h.env.smtputf8 = 1;
    }
    /* SIZE= is an estimate (RFC 1870): the file size, CRLF growth aside. */
    if (fstat(fileno(h.msg), &sb) == 0 && S_ISREG(sb.st_mode))
        h.env.size = (uint64_t)sb.st_size;

    memset(&cfg, 0, sizeof(cfg));
    cfg.helo_name = mp_slice_make(helo, strlen(helo));
    cfg.tls = tls ? MP_SMTP_TLS_IMPLICIT : starttls ? MP_SMTP_TLS_REQUIRED : MP_SMTP_TLS_NONE;
    cfg.flags = MP_SMTP_CLIENT_NORMALIZE_LF | (lmtp ? MP_SMTP_CLIENT_LMTP : 0u);
    cfg.auth_buf = authbuf;
    cfg.auth_cap = sizeof(authbuf);
    cb.on_event = on_event;
    st = mp_smtp_client_init(&h.c, &cfg, &cb, NULL, outbuf, sizeof(outbuf));
    if (st != MP_OK)
        die(EX_USAGE, "--helo '%s': %s", helo, mp_strerror(st));

    connect_to(server);
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
    if (tls)
        tls_start();
#endif
    while (mp_smtp_client_phase_of(&h.c) != MP_SMTP_PH_CLOSED) {
        size_t n;
        flush_output();
        if (h.body_active && !push_body())
            continue;
        flush_output();
        n = net_recv(in, sizeof(in));
        if (n == 0)
            die(EX_PROTO, "the server closed the connection%s%s",
                h.last_code ? " after: " : "", h.last_code ? h.last_text : "");
        feed_all(in, n);
    }
    close(sock);
    if (!h.done || h.accepted == 0)
        die(EX_PROTO, "message not accepted: %u %s", h.last_code, h.last_text);
    if (h.accepted < h.env.nrcpts)
        return EX_SOME;
    return EX_OK;
}
