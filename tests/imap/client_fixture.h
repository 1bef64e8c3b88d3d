/* The IMAP client session fixture (tests/imap/test_client_*.c; each test
 * file is its own program, so everything here is static).
 *
 * A case is a server transcript, a host script and the expected log.  The
 * fixture feeds the transcript to the session (whole, byte by byte, at
 * every 2-way and at random splits: mp_split_check), logs the session's
 * events and every byte it wrote ("chunk C"), and runs the host script:
 * each step waits for an event (READY, DONE, CONTINUE, EXISTS, ...) and
 * then calls the session.  Every case runs twice: with a host that acts
 * inside the callback ("at once") and with one that returns
 * MP_IMAP_CLIENT_CB_PAUSE and acts after feed returned ("later"); both
 * must give the same log.  A step waits for an event after which the
 * session waits for the host (READY, DONE, CONTINUE, EXISTS in IDLE...):
 * the session may give more events in the same step (DONE then READY),
 * which a "later" host sees before it acts.
 *
 * When the host sends: a response counts only for a command the host had
 * sent (imap_client.h, "Matching"), so the fixture says exactly when
 * output_done() happens, the same for every split.  By default the host
 * sends inside every event and at the end of every line of the transcript
 * (the server it stands for waits for the client's next command there).
 * With `manual` it sends only where the transcript says "<SEND>"
 * (everything) or "<SEND:n>" (n bytes): a server that answers early is
 * written down byte for byte.  "<TLS>" stands for the TLS handshake
 * (MP_TRANSPORT_SWITCH expected there, then mp_imap_client_tls_started),
 * "<Z>" for COMPRESS being started (the bytes after it stand for the
 * inflated stream), "<EOF>" for the server closing the connection. */
#ifndef MP_TEST_IMAP_CLIENT_FIXTURE_H
#define MP_TEST_IMAP_CLIENT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/imap_client.h"
#include "mailproto/sasl.h"
#include "split.h"

#define CF_MAXSTEPS 32
#define CF_MAXMARKS 32
#define CF_MAXENDS 4096

typedef struct cf_case {
    const char *name;
    mp_imap_client_tls tls;
    unsigned flags;
    unsigned quirks;
    size_t outcap;   /* 0: the fixture's whole buffer */
    size_t mapcap;   /* UID map entries (0: no map) */
    int manual;      /* send only at <SEND> markers */
    int verbose;     /* log every RESPONSE event, not only BEGIN */
    uint32_t max_line; /* response parser line limit (0: default) */
    const char *steps[CF_MAXSTEPS]; /* "<trigger> <action ...>" */
    size_t nsteps;
} cf_case;

typedef struct cf_mark {
    size_t at, len, n;
    int kind; /* 0 send, 1 tls, 2 compress, 3 eof */
} cf_mark;

typedef struct cf_fixture {
    const cf_case *cs;
    mp_imap_client c;
    mp_imap_client_config cfg;
    mp_imap_client_callbacks cb;
    char out[16384];
    char pbuf[8192];
    char authbuf[MP_IMAP_CLIENT_AUTH_BUF];
    uint32_t map[64];
    mp_sasl_client sasl;
    mp_sasl_credentials creds;
    mp_crypto_provider crypto;
    mp_evlog *log;
    int later;       /* act after feed returns */
    int pending;     /* steps to run after MP_PAUSED */
    size_t step;
    size_t fed;
    cf_mark marks[CF_MAXMARKS];
    size_t nmarks, mark;
    size_t ends[CF_MAXENDS];
    size_t nends, end;
    int stopped;
    /* APPEND data being pushed */
    char adata[4][512];
    size_t alen[4], aoff, amsg, nmsgs;
    int appending, catenate;
} cf_fixture;

static cf_fixture cfx;
static const char *cf_transcript;
static size_t cf_transcript_len;

static int cf_random(void *user, uint8_t *out, size_t len)
{
    (void)user;
    memset(out, 'r', len);
    return 0;
}

/* ---- logging ----------------------------------------------------------- */

static const char *cf_state_name(mp_imap_client_state s)
{
    static const char *const n[] = { "GREETING", "SETUP", "TLS_SWITCH", "NOT_AUTHENTICATED",
                                     "AUTHENTICATING", "AUTHENTICATED", "COMPRESS_SWITCH",
                                     "LOGOUT", "CLOSED", "FAILED" };
    return (unsigned)s < sizeof(n) / sizeof(n[0]) ? n[s] : "?";
}

static void cf_send(cf_fixture *x, size_t max)
{
    size_t n;
    const char *p = mp_imap_client_output(&x->c, &n);
    if (n > max)
        n = max;
    if (n == 0)
        return;
    mp_evlog_chunk(x->log, "C", p, n);
    assert_int_equal(mp_imap_client_output_done(&x->c, n), MP_OK);
}

static void cf_drain(cf_fixture *x)
{
    if (!x->cs->manual)
        cf_send(x, SIZE_MAX);
}

static void cf_log_caps(cf_fixture *x)
{
    const mp_imap_caps *k = mp_imap_client_caps(&x->c);
    char line[1024];
    size_t n = 0;
    unsigned b;
    line[0] = '\0';
    for (b = 0; b < MP_IMAP_CAP_COUNT_; b++)
        if (k->flags & ((uint64_t)1u << b))
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %s",
                                  mp_imap_cap_name((uint64_t)1u << b));
    for (b = 1; b < MP_SASL_MECH_COUNT; b++)
        if (k->auth & MP_SASL_MECH_BIT(b))
            n += (size_t)snprintf(line + n, sizeof(line) - n, " AUTH=%s",
                                  mp_sasl_mech_get((mp_sasl_mech)b)->name);
    mp_evlog_add(x->log, "caps%s", line);
}

static void cf_log_resp(cf_fixture *x, const mp_imap_client_event *ev)
{
    const mp_imap_resp_event *r = ev->resp;
    switch (r->type) {
    case MP_IMAP_EV_BEGIN: {
        char num[32] = "";
        if (r->flags & MP_IMAP_EVF_NUMBERED)
            snprintf(num, sizeof(num), " #%llu", (unsigned long long)r->num);
        mp_evlog_add(x->log, "resp %s%s%.*s%s cmd=%u", mp_imap_resp_name(r->resp),
                     r->str.len ? " tag=" : "", (int)r->str.len, r->str.ptr, num,
                     (unsigned)ev->cmd);
        break;
    }
    case MP_IMAP_EV_LITERAL_BEGIN:
        mp_evlog_add(x->log, "lit %s cmd=%u", mp_imap_field_name(r->field), (unsigned)ev->cmd);
        break;
    case MP_IMAP_EV_LITERAL_CHUNK: mp_evlog_chunk(x->log, "lit", r->str.ptr, r->str.len); break;
    case MP_IMAP_EV_LITERAL_END: mp_evlog_add(x->log, "lit_end"); break;
    case MP_IMAP_EV_ERROR:
        mp_evlog_add(x->log, "resp-error %s @%llu", mp_status_name(r->err->code),
                     (unsigned long long)r->err->offset);
        break;
    case MP_IMAP_EV_VALUE:
        if (x->cs->verbose) {
            char h[96];
            snprintf(h, sizeof(h), "  %s cmd=%u", mp_imap_field_name(r->field), (unsigned)ev->cmd);
            mp_evlog_text(x->log, h, r->str.ptr, r->str.len);
        }
        break;
    default:
        break;
    }
}

/* ---- the host script --------------------------------------------------- */

/* Split `s` into words (space separated) in place; returns the count. */
static size_t cf_words(char *s, char **w, size_t max)
{
    size_t n = 0;
    while (*s && n < max) {
        while (*s == ' ')
            *s++ = '\0';
        if (*s == '\0')
            break;
        w[n++] = s;
        while (*s && *s != ' ')
            s++;
    }
    return n;
}

/* The escapes of script words and transcripts (\r \n \s \\ \xHH), up
 * to a NUL or a newline. */
static size_t cf_unescape(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    while (*s && *s != '\n' && n < cap) {
        if (s[0] == '\\' && s[1] == 'r') { out[n++] = '\r'; s += 2; }
        else if (s[0] == '\\' && s[1] == 'n') { out[n++] = '\n'; s += 2; }
        else if (s[0] == '\\' && s[1] == 's') { out[n++] = ' '; s += 2; }
        else if (s[0] == '\\' && s[1] == '\\') { out[n++] = '\\'; s += 2; }
        else if (s[0] == '\\' && s[1] == 'x') {
            char h[3] = { s[2], s[3], 0 };
            out[n++] = (char)strtoul(h, NULL, 16);
            s += 4;
        } else out[n++] = *s++;
    }
    return n;
}

/* "1:*,4" -> ranges */
static size_t cf_set(const char *s, mp_imap_seq_range *r, size_t max)
{
    size_t n = 0;
    while (*s && n < max) {
        char *e;
        r[n].lo = *s == '*' ? MP_IMAP_SEQ_STAR : (uint32_t)strtoul(s, &e, 10);
        if (*s == '*')
            e = (char *)s + 1;
        r[n].hi = r[n].lo;
        s = e;
        if (*s == ':') {
            s++;
            r[n].hi = *s == '*' ? MP_IMAP_SEQ_STAR : (uint32_t)strtoul(s, &e, 10);
            if (*s == '*')
                e = (char *)s + 1;
            s = e;
        }
        n++;
        if (*s == ',')
            s++;
    }
    return n;
}

static mp_imap_cmd_id cf_cmd_id(const char *name)
{
    int i;
    for (i = 1; i < MP_IMAP_CMD_COUNT_; i++)
        if (strcmp(mp_imap_cmd_name((mp_imap_cmd_id)i), name) == 0)
            return (mp_imap_cmd_id)i;
    fail_msg("unknown command %s", name);
    return MP_IMAP_CMD_NONE_;
}

/* Push the APPEND data owed, end the message / the command. */
static void cf_push_append(cf_fixture *x)
{
    while (x->appending) {
        size_t used = 0;
        mp_status st;
        if (x->aoff < x->alen[x->amsg]) {
            st = mp_imap_client_append_data(&x->c, x->adata[x->amsg] + x->aoff,
                                            x->alen[x->amsg] - x->aoff, &used);
            x->aoff += used;
            if (st == MP_PAUSED)
                return; /* wait for CONTINUE */
            if (st == MP_ERR_NO_SPACE) {
                cf_drain(x);
                if (x->cs->manual)
                    return;
                continue;
            }
            if (st != MP_OK) {
                mp_evlog_add(x->log, "append-data %s", mp_status_name(st));
                x->appending = 0;
                return;
            }
            continue;
        }
        if (x->catenate && x->amsg == 0) {
            st = mp_imap_client_catenate_end(&x->c);
            x->catenate = 0;
        } else if (x->amsg + 1 < x->nmsgs) {
            x->amsg++;
            x->aoff = 0;
            st = mp_imap_client_append_next(&x->c, NULL, 0, NULL, x->alen[x->amsg],
                                            MP_IMAP_APPEND_LITERAL);
        } else {
            st = mp_imap_client_append_end(&x->c);
            x->appending = 0;
        }
        if (st != MP_OK) {
            mp_evlog_add(x->log, "append-step %s", mp_status_name(st));
            x->appending = 0;
        }
        cf_drain(x);
    }
}

/* Run one script action. */
static void cf_action(cf_fixture *x, const char *line)
{
    char buf[512], *w[24], tmp[512];
    size_t nw, n;
    uint32_t id = 0;
    mp_status st = MP_OK;
    mp_imap_seq_range set[8];
    snprintf(buf, sizeof(buf), "%s", line);
    nw = cf_words(buf, w, 24);
    assert_true(nw >= 1);
    if (strcmp(w[0], "login") == 0) {
        char user[128];
        size_t un;
        assert_true(nw == 3);
        un = cf_unescape(w[1], user, sizeof(user));
        n = cf_unescape(w[2], tmp, sizeof(tmp));
        st = mp_imap_client_login(&x->c, mp_slice_make(user, un), mp_slice_make(tmp, n), &id);
    } else if (strcmp(w[0], "auth") == 0) {
        mp_sasl_mech m = mp_sasl_mech_from_name(w[1], strlen(w[1]));
        memset(&x->creds, 0, sizeof(x->creds));
        x->creds.username = MP_SLICE_LIT("user");
        x->creds.password = MP_SLICE_LIT("pencil");
        if (m == MP_SASL_SCRAM_SHA_1) {
            /* RFC 5802 5: salt and count of the example, and its
             * SaltedPassword (PBKDF2 once for the reader, not per split) */
            static const uint8_t salt[] = { 0x41, 0x25, 0xc2, 0x47, 0xe4, 0x3a, 0xb1, 0xe9,
                                            0x3c, 0x6d, 0xff, 0x76 };
            static const uint8_t salted[] = { 0x1d, 0x96, 0xee, 0x3a, 0x52, 0x9b, 0x5a,
                                              0x5f, 0x9e, 0x47, 0xc0, 0x1f, 0x22, 0x9a,
                                              0x2c, 0xb8, 0xa6, 0xe1, 0x5f, 0x7d };
            x->creds.scram_salted_password = salted;
            x->creds.scram_salt = salt;
            x->creds.scram_salt_len = sizeof(salt);
            x->creds.scram_iterations = 4096;
        }
        x->crypto = mp_crypto_builtin(cf_random, NULL);
        st = mp_sasl_client_start(&x->sasl, m, &x->creds, &x->crypto);
        if (st == MP_OK && nw > 2)
            st = mp_sasl_client_set_nonce(&x->sasl, w[2], strlen(w[2]));
        if (st == MP_OK)
            st = mp_imap_client_authenticate(&x->c, &x->sasl, &id);
    } else if (strcmp(w[0], "enable") == 0) {
        unsigned e = 0;
        size_t i;
        for (i = 1; i < nw; i++)
            e |= strcmp(w[i], "CONDSTORE") == 0 ? MP_IMAP_EXT_CONDSTORE
                 : strcmp(w[i], "QRESYNC") == 0 ? MP_IMAP_EXT_QRESYNC
                 : strcmp(w[i], "UTF8") == 0    ? MP_IMAP_EXT_UTF8_ACCEPT
                                                : MP_IMAP_EXT_IMAP4REV2;
        st = mp_imap_client_enable(&x->c, e, &id);
    } else if (strcmp(w[0], "select") == 0 || strcmp(w[0], "examine") == 0) {
        mp_imap_select_opts o;
        size_t i;
        memset(&o, 0, sizeof(o));
        o.examine = w[0][0] == 'e';
        for (i = 2; i < nw; i++) {
            if (strcmp(w[i], "condstore") == 0)
                o.condstore = 1;
            else if (strcmp(w[i], "qresync") == 0 && i + 2 < nw) {
                o.qresync_uidvalidity = (uint32_t)strtoul(w[i + 1], NULL, 10);
                o.qresync_modseq = strtoull(w[i + 2], NULL, 10);
                i += 2;
            }
        }
        n = cf_unescape(w[1], tmp, sizeof(tmp));
        st = mp_imap_client_select(&x->c, mp_slice_make(tmp, n), &o, &id);
    } else if (strcmp(w[0], "fetch") == 0 || strcmp(w[0], "uidfetch") == 0) {
        const char *items[8];
        size_t i, ni = 0;
        uint64_t since = 0;
        int vanished = 0;
        for (i = 2; i < nw && ni < 8; i++) {
            if (strcmp(w[i], "changedsince") == 0 && i + 1 < nw)
                since = strtoull(w[++i], NULL, 10);
            else if (strcmp(w[i], "vanished") == 0)
                vanished = 1;
            else
                items[ni++] = w[i];
        }
        st = mp_imap_client_fetch(&x->c, w[0][0] == 'u', set, cf_set(w[1], set, 8), items, ni,
                                  since, vanished, &id);
    } else if (strcmp(w[0], "store") == 0 || strcmp(w[0], "uidstore") == 0) {
        mp_slice fl[4];
        size_t i;
        for (i = 3; i < nw && i - 3 < 4; i++)
            fl[i - 3] = mp_slice_make(w[i], strlen(w[i]));
        st = mp_imap_client_store(&x->c, w[0][0] == 'u', set, cf_set(w[1], set, 8),
                                  w[2][0] == '=' ? 0 : w[2][0], 1, fl, nw - 3, UINT64_MAX, &id);
    } else if (strcmp(w[0], "cmd") == 0) {
        /* cmd NAME [a:atom s:string m:mailbox p:pattern n:num q:set ( ) nil] */
        static char sbuf[8][256];
        mp_imap_arg args[16];
        size_t i, na = 0;
        char name[64];
        snprintf(name, sizeof(name), "%s", w[1]);
        for (i = 0; name[i]; i++)
            if (name[i] == '_')
                name[i] = ' ';
        memset(args, 0, sizeof(args));
        for (i = 2; i < nw && na < 16; i++, na++) {
            const char *v = w[i] + 2;
            if (strcmp(w[i], "(") == 0) { args[na].kind = MP_IMAP_ARG_LIST_BEGIN; continue; }
            if (strcmp(w[i], ")") == 0) { args[na].kind = MP_IMAP_ARG_LIST_END; continue; }
            if (strcmp(w[i], "nil") == 0) { args[na].kind = MP_IMAP_ARG_NIL; continue; }
            args[na].kind = w[i][0] == 'a'   ? MP_IMAP_ARG_ATOM
                            : w[i][0] == 's' ? MP_IMAP_ARG_STRING
                            : w[i][0] == 'm' ? MP_IMAP_ARG_MAILBOX
                            : w[i][0] == 'p' ? MP_IMAP_ARG_LIST_MAILBOX
                            : w[i][0] == 'n' ? MP_IMAP_ARG_NUMBER
                                             : MP_IMAP_ARG_SEQSET;
            if (args[na].kind == MP_IMAP_ARG_NUMBER)
                args[na].num = strtoull(v, NULL, 10);
            else if (args[na].kind == MP_IMAP_ARG_SEQSET) {
                static mp_imap_seq_range rs[8];
                args[na].ranges = rs;
                args[na].nranges = cf_set(v, rs, 8);
            } else {
                n = cf_unescape(v, sbuf[na % 8], sizeof(sbuf[0]));
                args[na].s = mp_slice_make(sbuf[na % 8], n);
            }
        }
        st = mp_imap_client_command(&x->c, cf_cmd_id(name), args, na, &id);
    } else if (strcmp(w[0], "idle") == 0) {
        st = mp_imap_client_idle(&x->c, &id);
    } else if (strcmp(w[0], "idledone") == 0) {
        st = mp_imap_client_idle_done(&x->c);
    } else if (strcmp(w[0], "append") == 0 || strcmp(w[0], "catenate") == 0) {
        /* append MBOX TEXT [TEXT...]; catenate MBOX URL TEXT */
        size_t i;
        x->catenate = w[0][0] == 'c';
        x->nmsgs = 0;
        for (i = x->catenate ? 3 : 2; i < nw && x->nmsgs < 4; i++, x->nmsgs++)
            x->alen[x->nmsgs] = cf_unescape(w[i], x->adata[x->nmsgs], sizeof(x->adata[0]));
        x->aoff = x->amsg = 0;
        n = cf_unescape(w[1], tmp, sizeof(tmp));
        if (x->catenate) {
            st = mp_imap_client_append_catenate(&x->c, mp_slice_make(tmp, n), NULL, 0, NULL, &id);
            if (st == MP_OK)
                st = mp_imap_client_cat_url(&x->c, mp_slice_make(w[2], strlen(w[2])));
            if (st == MP_OK)
                st = mp_imap_client_cat_text(&x->c, x->alen[0], MP_IMAP_APPEND_LITERAL);
        } else {
            st = mp_imap_client_append(&x->c, mp_slice_make(tmp, n), NULL, 0, NULL, x->alen[0],
                                       MP_IMAP_APPEND_LITERAL, &id);
        }
        x->appending = st == MP_OK;
    } else if (strcmp(w[0], "compress") == 0) {
        st = mp_imap_client_compress(&x->c, &id);
    } else if (strcmp(w[0], "logout") == 0) {
        st = mp_imap_client_logout(&x->c, &id);
    } else if (strcmp(w[0], "id") == 0) {
        static const mp_slice f[2] = { { "name", 4 }, { "version", 7 } };
        static const mp_slice v[2] = { { "mailproto", 9 }, { NULL, 0 } };
        st = mp_imap_client_id(&x->c, f, v, nw > 1 ? 0 : 2, &id);
    } else {
        fail_msg("unknown action %s", w[0]);
    }
    if (st != MP_OK)
        mp_evlog_add(x->log, "action %s -> %s", w[0], mp_status_name(st));
    cf_drain(x);
    if (x->appending)
        cf_push_append(x);
}

/* The next step waits for event `trigger`: run it (and the "now" steps
 * after it), or in "later" mode ask for a pause and run them then. */
static int cf_trigger(cf_fixture *x, const char *trigger)
{
    const cf_case *cs = x->cs;
    size_t tl = strlen(trigger);
    if (x->step >= cs->nsteps || strncmp(cs->steps[x->step], trigger, tl) != 0 ||
        cs->steps[x->step][tl] != ' ')
        return MP_IMAP_CLIENT_CB_CONTINUE;
    if (x->later) {
        x->pending = 1;
        return MP_IMAP_CLIENT_CB_PAUSE;
    }
    do {
        cf_action(x, cs->steps[x->step] + strcspn(cs->steps[x->step], " ") + 1);
        x->step++;
    } while (x->step < cs->nsteps && strncmp(cs->steps[x->step], "now ", 4) == 0);
    return MP_IMAP_CLIENT_CB_CONTINUE;
}

static void cf_run_pending(cf_fixture *x)
{
    const cf_case *cs = x->cs;
    if (!x->pending)
        return;
    x->pending = 0;
    do {
        cf_action(x, cs->steps[x->step] + strcspn(cs->steps[x->step], " ") + 1);
        x->step++;
    } while (x->step < cs->nsteps && strncmp(cs->steps[x->step], "now ", 4) == 0);
}

static int cf_event(void *user, const mp_imap_client_event *ev)
{
    cf_fixture *x = user;
    mp_evlog *log = x->log;
    const char *trig = NULL;
    int r;
    cf_drain(x);
    switch (ev->type) {
    case MP_IMAP_CLIENT_EV_RESPONSE:
        cf_log_resp(x, ev);
        return 0;
    case MP_IMAP_CLIENT_EV_GREETING:
        mp_evlog_add(log, "greeting %s %s [%.*s]", mp_imap_resp_name(ev->status),
                     mp_imap_code_name(ev->code), (int)ev->text.len, ev->text.ptr);
        trig = "greeting";
        break;
    case MP_IMAP_CLIENT_EV_CAPABILITIES:
        cf_log_caps(x);
        trig = "caps";
        break;
    case MP_IMAP_CLIENT_EV_READY:
        mp_evlog_add(log, "ready %s", cf_state_name(mp_imap_client_state_of(&x->c)));
        trig = "ready";
        break;
    case MP_IMAP_CLIENT_EV_CONTINUE:
        mp_evlog_add(log, "continue cmd=%u %s", (unsigned)ev->cmd, mp_imap_cmd_name(ev->cmd_id));
        if (x->appending && ev->cmd_id == MP_IMAP_CMD_APPEND)
            cf_push_append(x);
        trig = "cont";
        break;
    case MP_IMAP_CLIENT_EV_DONE:
        mp_evlog_add(log, "done cmd=%u %s %s %s [%.*s]", (unsigned)ev->cmd,
                     mp_imap_cmd_name(ev->cmd_id), mp_imap_resp_name(ev->status),
                     mp_imap_code_name(ev->code), (int)ev->text.len, ev->text.ptr);
        if (ev->cmd_id == MP_IMAP_CMD_APPEND)
            x->appending = 0;
        trig = "done";
        break;
    case MP_IMAP_CLIENT_EV_ENABLED:
        mp_evlog_add(log, "enabled 0x%x", ev->enabled);
        trig = "enabled";
        break;
    case MP_IMAP_CLIENT_EV_EXISTS:
        mp_evlog_add(log, "exists %u", (unsigned)ev->msgno);
        trig = "exists";
        break;
    case MP_IMAP_CLIENT_EV_EXPUNGE:
        mp_evlog_add(log, "expunge %u uid=%u", (unsigned)ev->msgno, (unsigned)ev->uid);
        trig = "expunge";
        break;
    case MP_IMAP_CLIENT_EV_VANISHED:
        mp_evlog_add(log, "vanished %u:%u%s", (unsigned)ev->uid, (unsigned)ev->uid_hi,
                     ev->earlier ? " earlier" : "");
        trig = "vanished";
        break;
    case MP_IMAP_CLIENT_EV_FETCH:
        mp_evlog_add(log, "fetch %u uid=%u flags=0x%x modseq=%llu has=%u", (unsigned)ev->msgno,
                     (unsigned)ev->uid, ev->flags, (unsigned long long)ev->modseq, ev->has);
        trig = "fetch";
        break;
    case MP_IMAP_CLIENT_EV_BYE:
        mp_evlog_add(log, "bye [%.*s]", (int)ev->text.len, ev->text.ptr);
        trig = "bye";
        break;
    }
    r = trig ? cf_trigger(x, trig) : 0;
    cf_drain(x);
    return r;
}

/* ---- the split target -------------------------------------------------- */

static void cf_reset(void *state)
{
    static const struct {
        const char *text;
        int kind;
    } names[] = { { "<SEND>", 0 }, { "<TLS>", 1 }, { "<Z>", 2 }, { "<EOF>", 3 } };
    cf_fixture *x = state;
    const cf_case *cs = x->cs;
    const char *t = cf_transcript;
    size_t i, j, len = cf_transcript_len;
    x->nmarks = x->mark = x->nends = x->end = 0;
    for (i = 0; i < len; i++) {
        cf_mark *mk = &x->marks[x->nmarks];
        if (t[i] == '\n') {
            assert_true(x->nends < CF_MAXENDS);
            x->ends[x->nends++] = i + 1;
            continue;
        }
        if (t[i] != '<')
            continue;
        for (j = 0; j < sizeof(names) / sizeof(names[0]); j++)
            if (strncmp(t + i, names[j].text, strlen(names[j].text)) == 0)
                break;
        if (j < sizeof(names) / sizeof(names[0])) {
            mk->kind = names[j].kind;
            mk->len = strlen(names[j].text);
            mk->n = SIZE_MAX;
        } else if ((mk->len = mp_send_mark(t + i, &mk->n)) != 0) {
            mk->kind = 0; /* a partial send */
        } else {
            continue;
        }
        assert_true(x->nmarks < CF_MAXMARKS);
        mk->at = i;
        x->nmarks++;
        i += mk->len - 1;
    }
    memset(&x->cfg, 0, sizeof(x->cfg));
    x->cfg.tls = cs->tls;
    x->cfg.flags = cs->flags;
    x->cfg.quirks = cs->quirks;
    x->cfg.limits.max_line = cs->max_line;
    x->cfg.buf = x->pbuf;
    x->cfg.buf_cap = sizeof(x->pbuf);
    x->cfg.auth_buf = x->authbuf;
    x->cfg.auth_cap = sizeof(x->authbuf);
    assert_true(cs->mapcap <= sizeof(x->map) / sizeof(x->map[0]));
    x->cfg.uid_map = cs->mapcap ? x->map : NULL;
    x->cfg.uid_cap = cs->mapcap;
    x->cb.on_event = cf_event;
    x->fed = 0;
    x->step = 0;
    x->pending = 0;
    x->stopped = 0;
    x->appending = 0;
    assert_int_equal(mp_imap_client_init(&x->c, &x->cfg, &x->cb, x, x->out,
                                         cs->outcap ? cs->outcap : sizeof(x->out)),
                     MP_OK);
}

static void cf_status(cf_fixture *x, mp_status st)
{
    const mp_error *e = mp_imap_client_error(&x->c);
    if (st == MP_CLOSED)
        mp_evlog_add(x->log, "closed");
    else
        mp_evlog_add(x->log, "status %s @%llu %s", mp_status_name(st),
                     (unsigned long long)e->offset, e->rule ? e->rule : "");
    x->stopped = 1;
}

static void cf_feed(void *state, const char *p, size_t n, mp_evlog *log)
{
    cf_fixture *x = state;
    x->log = log;
    while (n > 0 && !x->stopped) {
        size_t used = 0, k = n;
        mp_status st;
        const cf_mark *mk = x->mark < x->nmarks ? &x->marks[x->mark] : NULL;
        if (mk != NULL && x->fed >= mk->at) {
            size_t skip = mk->at + mk->len - x->fed;
            if (skip > n)
                skip = n;
            x->fed += skip;
            p += skip;
            n -= skip;
            if (x->fed < mk->at + mk->len)
                continue;
            x->mark++;
            if (mk->kind == 1 || mk->kind == 2) {
                st = mk->kind == 1 ? mp_imap_client_tls_started(&x->c)
                                   : mp_imap_client_compress_started(&x->c);
                mp_evlog_add(log, "%s-started %s", mk->kind == 1 ? "tls" : "compress",
                             mp_status_name(st));
                /* a step may wait for the new layer ("started") */
                if (cf_trigger(x, "started") == MP_IMAP_CLIENT_CB_PAUSE)
                    cf_run_pending(x);
            } else if (mk->kind == 3) {
                cf_status(x, mp_imap_client_eof(&x->c));
                return;
            } else {
                cf_send(x, mk->n);
            }
            cf_drain(x);
            continue;
        }
        if (mk != NULL && mk->at - x->fed < k)
            k = mk->at - x->fed;
        /* feed to the end of the transcript's line, then send there */
        while (x->end < x->nends && x->ends[x->end] <= x->fed)
            x->end++;
        if (x->end < x->nends && x->ends[x->end] - x->fed < k)
            k = x->ends[x->end] - x->fed;
        st = mp_imap_client_feed(&x->c, p, k, &used);
        assert_true(used <= k);
        x->fed += used;
        p += used;
        n -= used;
        if (st != MP_NEED_MORE && st != MP_PAUSED && st != MP_TRANSPORT_SWITCH) {
            cf_status(x, st);
            break;
        }
        if (x->end < x->nends && x->fed == x->ends[x->end])
            cf_drain(x);
        cf_run_pending(x);
        if (x->appending)
            cf_push_append(x);
        cf_drain(x);
        if (st == MP_NEED_MORE || st == MP_PAUSED)
            continue;
        mp_evlog_add(log, "switch");
    }
}

static void cf_finish(void *state, mp_evlog *log)
{
    cf_fixture *x = state;
    const mp_imap_mailbox *m = mp_imap_client_mailbox(&x->c);
    x->log = log;
    cf_drain(x);
    mp_evlog_add(log, "end %s mbox=%u exists=%u uidvalidity=%u uidnext=%u hms=%llu flags=0x%x "
                      "perm=0x%x ro=%u inflight=%zu",
                 cf_state_name(mp_imap_client_state_of(&x->c)), (unsigned)m->state,
                 (unsigned)m->exists, (unsigned)m->uidvalidity, (unsigned)m->uidnext,
                 (unsigned long long)m->highestmodseq, m->flags, m->permanentflags,
                 (unsigned)m->read_only, mp_imap_client_in_flight(&x->c));
    if (x->cs->mapcap && m->exists > 0) {
        char line[512];
        size_t n = 0;
        uint32_t i;
        for (i = 1; i <= m->exists && n < sizeof(line) - 16; i++)
            n += (size_t)snprintf(line + n, sizeof(line) - n, " %u",
                                  (unsigned)mp_imap_client_uid(&x->c, i));
        mp_evlog_add(log, "map%s", line);
    }
}

/* Run a case in both host modes; both must give `want` (NULL: only the
 * same log; the whole-input log is returned). */
static const char *cf_check(const cf_case *cs, const char *server, size_t n, const char *want)
{
    mp_split_target t = { cf_reset, cf_feed, cf_finish, &cfx };
    static char first[MP_EVLOG_CAP];
    const char *got;
    cfx.cs = cs;
    cf_transcript = server;
    cf_transcript_len = n;
    cfx.later = 0;
    got = mp_split_check(&t, server, n, want);
    snprintf(first, sizeof(first), "%s", got);
    cfx.later = 1;
    mp_split_check(&t, server, n, first);
    return first;
}

#endif
