/*
 * pop3-probe: the POP3 client session against a real server, command by
 * command, for the interop tests (client_pop3_dovecot.py).  Plain TCP;
 * TLS is mailproto-pop3-fetch's.
 *
 *   pop3-probe HOST PORT USER PASS [METHOD] CMD...
 *     METHOD  login=best (default), login=user, login=apop, login=sasl:NAME
 *     CMD     stat | list | list:N | uidl | uidl:N | retr:N:FILE |
 *             top:N:LINES:FILE | dele:N | rset | noop | capa
 *
 * Every command is issued at the first READY after login, so that a
 * server with PIPELINING gets them in one write (the session queues what
 * does not fit).  One line per event on standard output: "greeting apop=1",
 * "capa LINE", "login ok|err", "resp VERB N ok|err TEXT", "list N SIZE",
 * "uidl N UID", "end VERB N [irregular]", "closed ok|err"; RETR and TOP
 * content (un-stuffed, CRLF as received) goes to FILE.  Exit 0 after the
 * CLOSED event, 1 on any session error (printed).
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mailproto/pop3_client.h"

static mp_pop3_client c;
static mp_pop3_client_login_params lp;
static mp_sasl_client sasl;
static mp_crypto_provider crypto;
static char **cmds;
static int ncmds, issued, logged_in, closed;
static FILE *out_file[64];

/* SCRAM's client nonce: a test against a local server needs it
 * unpredictable to nobody, only well-formed. */
static int test_random(void *user, uint8_t *out, size_t len)
{
    static uint8_t n;
    (void)user;
    while (len-- > 0)
        *out++ = (uint8_t)(n++ * 37u + 11u);
    return 0;
}

static void issue(void)
{
    while (issued < ncmds) {
        const char *a = cmds[issued];
        unsigned long n = 0, l = 0;
        char verb[8] = "";
        mp_status st;
        sscanf(a, "%7[a-z]:%lu:%lu", verb, &n, &l);
        if (strcmp(verb, "stat") == 0)
            st = mp_pop3_client_stat(&c);
        else if (strcmp(verb, "list") == 0)
            st = mp_pop3_client_list(&c, (uint32_t)n);
        else if (strcmp(verb, "uidl") == 0)
            st = mp_pop3_client_uidl(&c, (uint32_t)n);
        else if (strcmp(verb, "retr") == 0)
            st = mp_pop3_client_retr(&c, (uint32_t)n);
        else if (strcmp(verb, "top") == 0)
            st = mp_pop3_client_top(&c, (uint32_t)n, (uint32_t)l);
        else if (strcmp(verb, "dele") == 0)
            st = mp_pop3_client_dele(&c, (uint32_t)n);
        else if (strcmp(verb, "rset") == 0)
            st = mp_pop3_client_rset(&c);
        else if (strcmp(verb, "noop") == 0)
            st = mp_pop3_client_noop(&c);
        else if (strcmp(verb, "capa") == 0)
            st = mp_pop3_client_capa(&c);
        else {
            fprintf(stderr, "pop3-probe: unknown command %s\n", a);
            exit(2);
        }
        if (st == MP_PAUSED)
            return;
        if (st != MP_OK) {
            printf("command %s %s\n", a, mp_status_name(st));
            exit(1);
        }
        if (strcmp(verb, "retr") == 0 || strcmp(verb, "top") == 0) {
            const char *file = strrchr(a, ':') + 1;
            if (n >= 64 || (out_file[n] = fopen(file, "wb")) == NULL) {
                fprintf(stderr, "pop3-probe: cannot write %s\n", file);
                exit(2);
            }
        }
        issued++;
    }
}

static int on_event(void *user, const mp_pop3_client_event *ev)
{
    const mp_pop3_resp_event *r = ev->resp;
    const char *vn = ev->verb ? mp_pop3_verb_name(ev->verb) : "-";
    (void)user;
    switch (ev->type) {
    case MP_POP3_CEV_GREETING:
        printf("greeting apop=%d\n", mp_pop3_client_apop_available(&c));
        break;
    case MP_POP3_CEV_CAPA:
        printf("capa %.*s\n", (int)r->text.len, r->text.ptr);
        break;
    case MP_POP3_CEV_READY:
        if (!logged_in) {
            mp_pop3_verb chosen = MP_POP3_NONE;
            mp_status st;
            logged_in = 1;
            st = mp_pop3_client_login(&c, &lp, &chosen);
            printf("login-with %s %s\n", chosen ? mp_pop3_verb_name(chosen) : "-",
                   mp_status_name(st));
            if (st != MP_OK)
                exit(1);
        } else if (issued < ncmds) {
            issue();
        } else {
            (void)mp_pop3_client_quit(&c);
        }
        break;
    case MP_POP3_CEV_LOGIN:
        printf("login %s\n", r->ok ? "ok" : "err");
        if (r->ok)
            issue();
        break;
    case MP_POP3_CEV_RESPONSE:
        printf("resp %s %u %s %.*s\n", vn, (unsigned)ev->msgno, r->ok ? "ok" : "err",
               (int)r->text.len, r->text.ptr);
        issue();
        break;
    case MP_POP3_CEV_LIST:
        printf("list %u %llu\n", (unsigned)r->msgno, (unsigned long long)r->size);
        break;
    case MP_POP3_CEV_UIDL:
        printf("uidl %u %.*s\n", (unsigned)r->msgno, (int)r->uid.len, r->uid.ptr);
        break;
    case MP_POP3_CEV_CONTENT:
        if (ev->msgno < 64 && out_file[ev->msgno])
            fwrite(r->text.ptr, 1, r->text.len, out_file[ev->msgno]);
        break;
    case MP_POP3_CEV_END:
        printf("end %s %u%s\n", vn, (unsigned)ev->msgno, r->err ? " irregular" : "");
        if (ev->msgno < 64 && out_file[ev->msgno]) {
            fclose(out_file[ev->msgno]);
            out_file[ev->msgno] = NULL;
        }
        issue();
        break;
    case MP_POP3_CEV_CLOSED:
        printf("closed %s\n", r->ok ? "ok" : "err");
        closed = 1;
        break;
    }
    fflush(stdout);
    return MP_POP3_CB_CONTINUE;
}

int main(int argc, char **argv)
{
    static char out[4096], authbuf[MP_POP3_CLIENT_AUTH_BUF], in[65536];
    static const mp_pop3_client_callbacks cb = { on_event };
    mp_pop3_client_config cfg;
    struct addrinfo hints, *ai;
    int fd, first = 5;
    if (argc < 5) {
        fputs("usage: pop3-probe HOST PORT USER PASS [login=...] CMD...\n", stderr);
        return 2;
    }
    crypto = mp_crypto_builtin(test_random, NULL);
    lp.creds.username = mp_slice_make(argv[3], strlen(argv[3]));
    lp.creds.password = mp_slice_make(argv[4], strlen(argv[4]));
    lp.crypto = &crypto;
    lp.sasl = &sasl;
    if (argc > 5 && strncmp(argv[5], "login=", 6) == 0) {
        const char *m = argv[5] + 6;
        first = 6;
        if (strcmp(m, "user") == 0)
            lp.methods = MP_POP3_LOGIN_USER;
        else if (strcmp(m, "apop") == 0)
            lp.methods = MP_POP3_LOGIN_APOP;
        else if (strncmp(m, "sasl:", 5) == 0) {
            lp.methods = MP_POP3_LOGIN_SASL;
            lp.mech = mp_sasl_mech_from_name(m + 5, strlen(m + 5));
        }
    }
    cmds = argv + first;
    ncmds = argc - first;
    memset(&cfg, 0, sizeof(cfg));
    cfg.flags = MP_POP3_CLIENT_CLEARTEXT_OK; /* a test server on 127.0.0.1 */
    cfg.auth_buf = authbuf;
    cfg.auth_cap = sizeof(authbuf);
    if (mp_pop3_client_init(&c, &cfg, &cb, NULL, out, sizeof(out)) != MP_OK)
        return 2;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(argv[1], argv[2], &hints, &ai) != 0)
        return 2;
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        perror("pop3-probe: connect");
        return 1;
    }
    freeaddrinfo(ai);
    while (!closed) {
        size_t n, used, off = 0;
        const char *o;
        ssize_t k;
        while ((o = mp_pop3_client_output(&c, &n)), n > 0) {
            if (send(fd, o, n, MSG_NOSIGNAL) != (ssize_t)n)
                return 1;
            mp_pop3_client_output_done(&c, n);
        }
        k = recv(fd, in, sizeof(in), 0);
        if (k <= 0) {
            printf("eof\n");
            return 1;
        }
        while (off < (size_t)k && !closed) {
            mp_status st = mp_pop3_client_feed(&c, in + off, (size_t)k - off, &used);
            off += used;
            if (st != MP_NEED_MORE && st != MP_PAUSED && st != MP_CLOSED) {
                const mp_error *e = mp_pop3_client_error(&c);
                printf("error %s @%llu %s\n", mp_status_name(st),
                       (unsigned long long)e->offset, e->rule ? e->rule : "");
                return 1;
            }
        }
    }
    close(fd);
    return 0;
}
