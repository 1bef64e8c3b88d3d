/*
 * mailproto-smtp-send: submit one message over SMTP or LMTP.
 *
 *   mailproto-smtp-send --server HOST:PORT --from ADDR --to ADDR [--to ADDR...]
 *                       [--starttls | --tls] [--cafile FILE]
 *                       [--auth USER:PASS] [--mech NAME] [--auth-cleartext]
 *                       [--lmtp] [--helo NAME] [--timeout SECONDS] [--verbose] [FILE]
 *
 * The message comes from FILE, or standard input.  --from "" sends the null
 * reverse-path.  What the program does on its own (line ends, SIZE=, when
 * and how it authenticates, how it ends a session) is in usage_text below
 * and in the README.
 *
 * Exit status:
 *   0  every recipient was accepted and the message was accepted for all
 *   1  some recipients were rejected (the others got the message)
 *   2  usage error (--auth without TLS, a NUL in the message, ...), or a TLS
 *      option in a build without TLS
 *   3  connection or protocol error, or the message was rejected
 *   4  TLS error (STARTTLS not offered or refused, handshake, certificate)
 *   5  authentication failed, or no acceptable AUTH mechanism
 * Any failure prints one line on standard error.
 *
 * The program is a plain host of the sans-I/O session (smtp_client.h):
 * a blocking connection (examples/net); the session never touches the
 * network.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mailproto/sasl.h"
#include "mailproto/smtp_client.h"
#include "net/net.h"

enum { EX_OK = 0, EX_SOME = 1, EX_USAGE = 2, EX_PROTO = 3, EX_TLS = 4, EX_AUTH = 5 };
#define MAX_TO 64

static const char *usage_text =
    "usage: mailproto-smtp-send --server HOST:PORT --from ADDR --to ADDR [--to ADDR...]\n"
    "                           [--starttls | --tls] [--cafile FILE] [--auth USER:PASS]\n"
    "                           [--mech NAME] [--auth-cleartext] [--lmtp] [--helo NAME]\n"
    "                           [--timeout SECONDS] [--verbose] [FILE]\n"
    "  --server HOST:PORT  SMTP/LMTP server to connect to; HOST is a name, an IPv4\n"
    "                      address or an IPv6 address in brackets ([::1]:25)\n"
    "  --from ADDR         envelope sender (\"\" for the null reverse-path)\n"
    "  --to ADDR           envelope recipient; repeat for more (up to 64)\n"
    "  --starttls          require STARTTLS (fail when not offered)\n"
    "  --tls               implicit TLS from the first byte (port 465)\n"
    "  --cafile FILE       trusted CAs in PEM (default /etc/ssl/certs/ca-certificates.crt);\n"
    "                      the certificate must name HOST: a DNS name for a name, an\n"
    "                      IP address entry for an address (no SNI is sent for one)\n"
    "  --auth USER:PASS    authenticate with SASL; only under TLS (--starttls, --tls)\n"
    "                      unless --auth-cleartext\n"
    "  --mech NAME         SASL mechanism; it must be offered, never a fallback (default:\n"
    "                      the first offered of SCRAM-SHA-256, SCRAM-SHA-1, CRAM-MD5,\n"
    "                      PLAIN, LOGIN)\n"
    "  --auth-cleartext    allow --auth without TLS: the password, or a hash an\n"
    "                      eavesdropper can attack, crosses the network in the clear\n"
    "  --lmtp              speak LMTP (LHLO, one reply per recipient)\n"
    "  --helo NAME         EHLO/LHLO name (default localhost)\n"
    "  --timeout SECONDS   network timeout (default 60)\n"
    "  --verbose           print the dialogue on standard error (S: replies, C: commands;\n"
    "                      AUTH data and the message body are left out)\n"
    "  FILE                the message (default: standard input)\n"
    "  --help              this text\n"
    "the message: bare LF and bare CR each become CRLF, and a last line without a\n"
    "  line break gets one (SMTP carries lines); a NUL byte is refused: in a FILE\n"
    "  before connecting, on standard input by closing the connection before the\n"
    "  message ends, so that nothing is delivered.  SIZE= (RFC 1870) is the exact\n"
    "  size of the message so converted, for a FILE; none for a pipe.\n"
    "the session ends with QUIT and its reply, then TLS close_notify, wherever it\n"
    "  is still alive: after the message, a refusal, a failed or impossible AUTH, a\n"
    "  protocol error; without QUIT after a 421, a timeout, a TLS failure, and in\n"
    "  the middle of a message (closing then is the only way to abandon it).\n"
    "exit: 0 all accepted, 1 some recipients rejected, 2 usage, 3 connection/protocol\n"
    "      error or message rejected, 4 TLS error, 5 authentication failed\n";

/* ----------------------------------------------------------------------- */
/* Ending                                                                  */
/* ----------------------------------------------------------------------- */
/*
 * Every way out after connecting goes through leave(): the session is
 * ended as the protocol says (goodbye), then the program exits.  RFC 5321
 * §4.1.1.10: the client sends QUIT and waits for its reply before it
 * closes; under TLS it then sends close_notify (RFC 5246 §7.2.1, RFC 8446
 * §6.1), so that the server sees an orderly end, not a lost connection.
 * Callbacks never leave: they record the failure and ask for QUIT.
 */

static int verbose;
static int timeout_ms = 60000;
static int timed_out;   /* the server stopped answering */
static int leaving;     /* leave() runs: later failures only exit */
static int exit_code = -1; /* the failure recorded first, or -1 */
static char exit_msg[512];

static void goodbye(void);

/* Print the failure (the first one only) and end the session. */
static void leave(int code)
{
    if (leaving) {
        /* A failure while saying goodbye: the first one stands. */
        exit(exit_code >= 0 ? exit_code : code);
    }
    leaving = 1;
    if (exit_code < 0)
        exit_code = code;
    if (exit_msg[0] != '\0')
        fprintf(stderr, "mailproto-smtp-send: %s\n", exit_msg);
    goodbye();
    exit(exit_code);
}

/* Record a failure (the first one wins); the caller goes on or leaves. */
static void note_failure(int code, const char *fmt, ...)
{
    va_list ap;
    if (exit_code >= 0 || leaving)
        return;
    exit_code = code;
    va_start(ap, fmt);
    vsnprintf(exit_msg, sizeof(exit_msg), fmt, ap);
    va_end(ap);
}

static void die(int code, const char *fmt, ...)
{
    va_list ap;
    if (exit_code < 0 && !leaving) {
        exit_code = code;
        va_start(ap, fmt);
        vsnprintf(exit_msg, sizeof(exit_msg), fmt, ap);
        va_end(ap);
    }
    leave(code);
}

/* ----------------------------------------------------------------------- */
/* Transport: a socket, optionally under TLS                               */
/* ----------------------------------------------------------------------- */

static const char *cafile = "/etc/ssl/certs/ca-certificates.crt";
static net_conn *conn; /* examples/net: the socket, under TLS when asked */

/* A failure of the connection, as the exit codes say (a timeout keeps
 * the connection usable for QUIT only when it was a receive). */
static void conn_failed(int r)
{
    if (r == NET_ETIMEOUT) {
        timed_out = 1;
        die(EX_PROTO, "timeout after %d s", timeout_ms / 1000);
    }
    die(r == NET_ETLS ? EX_TLS : r == NET_ENOTLS ? EX_USAGE : EX_PROTO, "%s", net_error(conn));
}

static void conn_send(const char *p, size_t n)
{
    int r = net_send(conn, p, n);
    if (r < 0)
        conn_failed(r);
}

/* Plaintext from the server; 0 when it closed. */
static size_t conn_recv(char *p, size_t cap)
{
    long r = net_recv(conn, p, cap, timeout_ms);
    if (r < 0)
        conn_failed((int)r);
    return (size_t)r;
}

static void conn_tls_start(void)
{
    int r = net_tls_start(conn, cafile);
    if (r < 0)
        conn_failed(r);
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
    mp_sasl_mech mech;    /* --mech, or NONE: the best offered */
    int auth_cleartext;   /* --auth-cleartext */
    int want_auth, auth_done, sent, body_active, body_eof, done;
    int in_body; /* from BODY_READY to MESSAGE: output is message data */
    size_t accepted;      /* recipients that took the message */
    unsigned last_code;
    char last_text[256];
    FILE *msg;
    char chunk[16384];
    size_t chunk_off, chunk_len;
    uint64_t body_bytes;  /* message bytes read so far */
    char last_byte;       /* the last one of them */
    int crlf_added;       /* the final line break was added */
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

/* The names of a set of SASL mechanisms, space-separated. */
static const char *mech_names(uint32_t set)
{
    static char names[256];
    size_t n = 0;
    unsigned m;
    names[0] = '\0';
    for (m = 1; m < 32; m++) {
        const mp_sasl_mech_info *mi;
        if (!(set & MP_SASL_MECH_BIT(m)) || (mi = mp_sasl_mech_get((mp_sasl_mech)m)) == NULL)
            continue;
        n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s", n ? " " : "", mi->name);
        if (n >= sizeof(names))
            break;
    }
    return names[0] ? names : "none";
}

/* At READY with --auth: start AUTH, or record why not (the READY handler
 * then quits).  Returns 1 when AUTH went out. */
static int start_auth(void)
{
    uint32_t offered = mp_smtp_client_sasl_offered(&h.c);
    int secure = mp_smtp_client_secure(&h.c);
    mp_sasl_mech m = h.mech;
    mp_status st;
    if (!secure && !h.auth_cleartext) {
        /* main() refuses this before connecting; kept as the last guard. */
        note_failure(EX_AUTH, "refusing to authenticate without TLS");
        return 0;
    }
    if (!(mp_smtp_client_caps(&h.c)->flags & MP_SMTP_CAP_AUTH)) {
        note_failure(EX_AUTH, "the server does not offer AUTH");
        return 0;
    }
    if (m != MP_SASL_MECH_NONE && !(offered & MP_SASL_MECH_BIT(m))) {
        note_failure(EX_AUTH, "the server does not offer AUTH %s (it offers: %s)",
                     mp_sasl_mech_get(m)->name, mech_names(offered));
        return 0;
    }
    if (m == MP_SASL_MECH_NONE) {
        /* Under TLS, or with the user's consent to cleartext. */
        m = mp_sasl_choose(offered, MP_SASL_CHOOSE_PLAINTEXT_OK);
        if (m == MP_SASL_MECH_NONE) {
            note_failure(EX_AUTH, "no usable AUTH mechanism offered (the server offers: %s)",
                         mech_names(offered));
            return 0;
        }
    }
    st = mp_sasl_client_start(&h.sasl, m, &h.creds, &h.crypto);
    if (st == MP_OK)
        st = mp_smtp_client_auth_sasl(&h.c, &h.sasl);
    if (st != MP_OK) {
        note_failure(EX_AUTH, "AUTH %s: %s", mp_sasl_mech_get(m)->name, mp_strerror(st));
        return 0;
    }
    return 1;
}

/* At READY: the message, after authentication if asked; QUIT after it or
 * after any failure. */
static void on_ready(void)
{
    mp_status st;
    if (exit_code < 0 && h.want_auth && !h.auth_done) {
        h.auth_done = 1;
        if (start_auth())
            return;
    }
    if (exit_code < 0 && !h.sent) {
        h.sent = 1;
        /* The message is not scanned for 8-bit bytes (stdin streams):
         * declare 8BITMIME whenever the server offers it, harmless for
         * 7-bit text and required for 8-bit (RFC 6152 §3). */
        if (mp_smtp_client_caps(&h.c)->flags & MP_SMTP_CAP_8BITMIME)
            h.env.body = MP_SMTP_BODY_8BITMIME;
        st = mp_smtp_client_send(&h.c, &h.env);
        if (st == MP_OK)
            return;
        note_failure(st == MP_ERR_ARG || st == MP_ERR_SMTP_PATH || st == MP_ERR_8BIT ||
                             st == MP_ERR_SMTP_UTF8_PATH || st == MP_ERR_UTF8 ||
                             st == MP_ERR_SMTP_PATH_TOO_LONG ||
                             st == MP_ERR_SMTP_LOCAL_TOO_LONG ||
                             st == MP_ERR_SMTP_DOMAIN_TOO_LONG
                         ? EX_USAGE
                         : EX_PROTO,
                     "cannot send: %s", mp_strerror(st));
    }
    (void)mp_smtp_client_quit(&h.c);
}

static int on_event(void *user, const mp_smtp_client_event *ev)
{
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
        on_ready();
        break;
    case MP_SMTP_EV_AUTH_RESULT:
        remember(ev->reply);
        if (!ev->accepted)
            note_failure(EX_AUTH, "authentication failed: %u %s", h.last_code, h.last_text);
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
        conn_send(p, n);
        if (mp_smtp_client_output_done(&h.c, n) != MP_OK)
            die(EX_PROTO, "internal: output");
    }
}

/* The next piece of the message: the file's bytes, then a CRLF when its
 * last line has no line break (a DATA body must end with one; BDAT gets
 * the same bytes, so that SIZE= holds either way). */
static void read_chunk(void)
{
    h.chunk_off = 0;
    h.chunk_len = fread(h.chunk, 1, sizeof(h.chunk), h.msg);
    if (h.chunk_len > 0) {
        h.body_bytes += h.chunk_len;
        h.last_byte = h.chunk[h.chunk_len - 1];
        return;
    }
    if (ferror(h.msg))
        die(EX_USAGE, "cannot read the message: %s", strerror(errno));
    if (h.body_bytes > 0 && h.last_byte != '\n' && h.last_byte != '\r' && !h.crlf_added) {
        memcpy(h.chunk, "\r\n", 2);
        h.chunk_len = 2;
        h.crlf_added = 1;
        return;
    }
    h.body_eof = 1;
}

/* Push body bytes while the session takes them.  Returns 1 when input
 * from the server is needed to go on. */
static int push_body(void)
{
    while (h.body_active) {
        size_t used = 0;
        mp_status st;
        if (h.chunk_off == h.chunk_len && !h.body_eof)
            read_chunk();
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
        /* A NUL from a pipe (a file was checked before connecting): the
         * message cannot be sent, and closing now is the only way to
         * abandon it (RFC 5321 §3.8: the server discards it). */
        flush_output();
        die(EX_USAGE, "the message cannot be sent: %s at byte %llu; connection closed "
                      "before its end, nothing delivered",
            mp_strerror(st),
            (unsigned long long)(h.body_bytes - (h.chunk_len - h.chunk_off)));
    }
    return 1;
}

/* The session reported `st` (an error): record it, and leave. */
static void session_failed(mp_status st)
{
    const mp_error *e = mp_smtp_client_error(&h.c);
    int code = (st == MP_ERR_TLS_REQUIRED || st == MP_ERR_TLS_INJECTION) ? EX_TLS
               : st == MP_ERR_SASL_SERVER_PROOF                          ? EX_AUTH
                                                                         : EX_PROTO;
    note_failure(code, "%s (at byte %llu%s%s)", mp_strerror(st), (unsigned long long)e->offset,
                 e->rule ? ", " : "", e->rule ? e->rule : "");
    leave(code);
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
            flush_output();
            conn_tls_start();
            if (mp_smtp_client_tls_started(&h.c) != MP_OK)
                die(EX_PROTO, "internal: TLS switch");
            continue;
        }
        session_failed(st);
    }
}

/* Wait for the reply to QUIT, or for the server to close.  A dead
 * session reads nothing more, so its QUIT's reply is looked for with a
 * reply parser of its own: the first 221 (or 421) after the failure. */
static void await_close(void)
{
    static char in[4096], line[MP_SMTP_CLIENT_MAX_REPLY_LINE];
    mp_smtp_reply_parser rp;
    int dead = mp_smtp_client_phase_of(&h.c) == MP_SMTP_PH_FAILED;
    if (dead && mp_smtp_reply_parser_init(&rp, line, sizeof(line), MP_SMTP_CLIENT_MAX_REPLY_LINE,
                                          0, 0) != MP_OK)
        return;
    while (mp_smtp_client_phase_of(&h.c) != MP_SMTP_PH_CLOSED) {
        size_t n = conn_recv(in, sizeof(in)), used, off = 0;
        if (n == 0)
            return;
        while (dead && off < n) {
            mp_smtp_reply_line l;
            mp_status st = mp_smtp_reply_parser_next(&rp, in + off, n - off, &used, &l);
            off += used;
            if (st == MP_OK && l.last && (l.code == 221 || l.code == 421))
                return;
            if (st == MP_NEED_MORE)
                break;
        }
        if (!dead && mp_smtp_client_feed(&h.c, in, n, &used) != MP_NEED_MORE &&
            mp_smtp_client_phase_of(&h.c) != MP_SMTP_PH_CLOSED)
            return;
    }
}

/*
 * End the session as the protocol says, from wherever it is:
 *  - idle (READY): QUIT, and wait for its reply;
 *  - QUIT already on its way (pipelined behind the message): its reply;
 *  - failed on a protocol error, a refused greeting, STARTTLS not offered
 *    or refused, an impostor SCRAM server: QUIT (the greeting's is already
 *    queued by the session), then wait for the server to close, since
 *    replies are no longer read;
 *  - failed on 421 (the server is closing) or on bytes injected after the
 *    220 to STARTTLS (nothing more is said to it): no QUIT;
 *  - waiting for a reply when the server stopped answering (a timeout),
 *    in the middle of a message, in a TLS handshake: no QUIT (it would be
 *    message data, or never read);
 * then close_notify under TLS, unless the connection failed (a socket
 * error, a TLS alert) or the server already closed it without one.
 */
static void goodbye(void)
{
    mp_smtp_client_phase ph;
    if (conn == NULL)
        return;
    ph = mp_smtp_client_phase_of(&h.c);
    if (net_usable(conn) && !timed_out) {
        mp_status err = mp_smtp_client_error(&h.c)->code;
        int quit = ph == MP_SMTP_PH_READY ||
                   (ph == MP_SMTP_PH_FAILED && err != MP_ERR_SMTP_CLOSING &&
                    err != MP_ERR_TLS_INJECTION && err != MP_ERR_SMTP_GREETING_REFUSED);
        if (quit)
            (void)mp_smtp_client_quit(&h.c);
        if (quit || ph == MP_SMTP_PH_QUIT ||
            (ph == MP_SMTP_PH_FAILED && err == MP_ERR_SMTP_GREETING_REFUSED)) {
            /* Bounded: a server that does not answer QUIT is not waited
             * for as long as one that is slow to take a message. */
            if (timeout_ms > 10000)
                timeout_ms = 10000;
            flush_output();
            await_close();
        }
    }
    net_close(conn);
    conn = NULL;
}

/* A regular file: its exact size once line ends are CRLF and a missing
 * last line break is added, as push_body sends it (RFC 1870 SIZE= counts
 * the message, CRLFs included, without dot-stuffing).  A NUL cannot be
 * sent: refused here, before connecting.  The file is read once, then
 * rewound. */
static uint64_t message_size(FILE *f)
{
    static char buf[65536];
    uint64_t size = 0, off = 0;
    int cr = 0; /* the previous byte was a CR */
    char last = '\n';
    size_t n, i;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        for (i = 0; i < n; i++) {
            char b = buf[i];
            if (b == '\0')
                die(EX_USAGE, "the message has a NUL byte at offset %llu, which SMTP cannot "
                              "carry", (unsigned long long)(off + i));
            if (cr && b != '\n')
                size++; /* a bare CR becomes CRLF */
            if (b == '\n' && !cr)
                size++; /* a bare LF becomes CRLF */
            cr = b == '\r';
            size++;
        }
        off += n;
        last = buf[n - 1];
    }
    if (ferror(f))
        die(EX_USAGE, "cannot read the message: %s", strerror(errno));
    if (cr)
        size++; /* a CR at the very end */
    if (off > 0 && last != '\n' && last != '\r')
        size += 2;
    if (fseek(f, 0, SEEK_SET) != 0)
        die(EX_USAGE, "cannot rewind the message: %s", strerror(errno));
    return size;
}

int main(int argc, char **argv)
{
    static char in[16384];
    mp_smtp_client_config cfg;
    mp_smtp_client_callbacks cb;
    const char *server = NULL, *from = NULL, *auth = NULL, *file = NULL, *helo = "localhost";
    const char *mech = NULL, *err;
    static char user[256];
    int starttls = 0, tls = 0, lmtp = 0, i, code;
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
            mech = argv[++i];
        } else if (strcmp(a, "--auth-cleartext") == 0) {
            h.auth_cleartext = 1;
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
    if ((starttls || tls) && !net_tls_available())
        die(EX_USAGE, "built without TLS");
    if (mech != NULL) {
        h.mech = mp_sasl_mech_from_name(mech, strlen(mech));
        if (h.mech == MP_SASL_MECH_NONE)
            die(EX_USAGE, "unknown SASL mechanism '%s'", mech);
    }
    if ((mech != NULL || h.auth_cleartext) && auth == NULL)
        die(EX_USAGE, "--mech and --auth-cleartext go with --auth");
    if (auth != NULL) {
        const char *colon = strchr(auth, ':');
        if (colon == NULL || (size_t)(colon - auth) >= sizeof(user))
            die(EX_USAGE, "--auth wants USER:PASS");
        /* docs/security.md: no credentials in cleartext unless asked for. */
        if (!starttls && !tls && !h.auth_cleartext)
            die(EX_USAGE, "refusing to authenticate without TLS: add --starttls or --tls "
                          "(or --auth-cleartext to send the credentials in the clear)");
        memcpy(user, auth, (size_t)(colon - auth));
        h.creds.username = mp_slice_make(user, (size_t)(colon - auth));
        h.creds.password = mp_slice_make(colon + 1, strlen(colon + 1));
        h.want_auth = 1;
        h.crypto = mp_crypto_builtin(net_random, NULL);
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
    /* SIZE= only when it is known exactly (a file, not a pipe). */
    if (fstat(fileno(h.msg), &sb) == 0 && S_ISREG(sb.st_mode))
        h.env.size = message_size(h.msg);

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

    if ((tls || starttls) && (code = net_tls_check(server, cafile, &err)) != 0)
        die(code == NET_ETLS ? EX_TLS : EX_USAGE, "%s", err);
    if ((conn = net_connect(server, timeout_ms, &code, &err)) == NULL)
        die(code == NET_EARG ? EX_USAGE : EX_PROTO, "%s", err);
    if (tls)
        conn_tls_start();
    while (mp_smtp_client_phase_of(&h.c) != MP_SMTP_PH_CLOSED) {
        size_t n;
        flush_output();
        if (h.body_active && !push_body())
            continue;
        flush_output();
        n = conn_recv(in, sizeof(in));
        if (n == 0)
            die(EX_PROTO, "the server closed the connection%s%s",
                h.last_code ? " after: " : "", h.last_code ? h.last_text : "");
        feed_all(in, n);
    }
    if (exit_code < 0 && (!h.done || h.accepted == 0))
        note_failure(EX_PROTO, "message not accepted: %u %s", h.last_code, h.last_text);
    if (exit_code < 0)
        exit_code = h.accepted < h.env.nrcpts ? EX_SOME : EX_OK;
    leave(exit_code);
    return exit_code;
}
