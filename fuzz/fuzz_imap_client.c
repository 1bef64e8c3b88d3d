/* libFuzzer target: an IMAP client session against fuzzed server bytes.
 * The first byte picks the configuration, the second the split
 * (fuzz_split.h knob); a scripted host logs in (a password that needs a
 * literal), enables what is offered, selects, fetches, stores, appends a
 * message, idles and logs out, each step at the DONE of the one before.
 * Oracles beyond "no crash":
 *  - split invariance: the session's events and every byte it wrote are
 *    the same whole and in pieces;
 *  - every byte the client writes parses with the library's own command
 *    parser (no command refused), in the modes the session negotiated;
 *  - the output never exceeds the host's buffer.
 * A "<TLS>" in the input stands for a TLS handshake: the host feeds up to
 * it and calls mp_imap_client_tls_started() there when the session waits
 * for the switch. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/imap_client.h"

#include "fuzz_split.h"

typedef struct host {
    mp_imap_client c;
    mp_imap_client_config cfg;
    mp_imap_client_callbacks cb;
    char out[8192];
    char pbuf[1024];
    uint32_t map[32];
    size_t outcap;
    fuzz_digest *d;
    const uint8_t *base;
    size_t tls_at, tls_skipped;
    uint8_t cfgbyte;
    int dead;
    size_t action;
    size_t append_off;
    int appending;
    /* the checker: our command parser on the client's bytes */
    mp_imap_cmd_parser p;
    mp_imap_cmd_id last_cmd;
    char cbuf[MP_IMAP_CMD_PARSER_BUF];
} host;

static const char message[] = "From: f@example.org\r\nSubject: t\r\n\r\nbody\r\n";

static int chk_bad(void *user, mp_slice tag, mp_imap_cmd_id cmd, const mp_error *err)
{
    (void)user;
    (void)tag;
    (void)cmd;
    (void)err;
    abort(); /* the client wrote something our parser refuses */
}

static int chk_command(void *user, mp_slice tag, mp_imap_cmd_id cmd)
{
    host *x = user;
    (void)tag;
    x->last_cmd = cmd;
    return 0;
}

static int chk_idle_done(void *user)
{
    host *x = user;
    (void)mp_imap_cmd_parser_set_mode(&x->p, MP_IMAP_CMD_MODE_COMMAND);
    return 0;
}

static const mp_imap_cmd_callbacks chk_cb = { chk_command, NULL, NULL, NULL, NULL, chk_bad,
                                              NULL, chk_idle_done };

/* Feed the client's bytes to the command parser, acting as the server
 * would at each pause (a sync literal is accepted, IDLE reads DONE). */
static void check_out(host *x, const char *p, size_t n)
{
    unsigned e = mp_imap_client_enabled(&x->c), mode = 0;
    if (e & MP_IMAP_EXT_IMAP4REV2)
        mode |= MP_IMAP_REV2 | MP_IMAP_UTF8;
    if (e & MP_IMAP_EXT_UTF8_ACCEPT)
        mode |= MP_IMAP_UTF8;
    mp_imap_cmd_parser_set_flags(&x->p, mode);
    while (n > 0) {
        size_t used = 0;
        mp_status st = mp_imap_cmd_parser_feed(&x->p, p, n, &used);
        p += used;
        n -= used;
        if (st == MP_NEED_MORE)
            break;
        if (st != MP_PAUSED)
            abort();
        if (mp_imap_cmd_parser_literal_wait(&x->p) >= 0)
            (void)mp_imap_cmd_parser_accept_literal(&x->p);
        else if (x->last_cmd == MP_IMAP_CMD_IDLE)
            (void)mp_imap_cmd_parser_set_mode(&x->p, MP_IMAP_CMD_MODE_IDLE);
    }
}

static void drain(host *x)
{
    size_t n;
    const char *p;
    while ((p = mp_imap_client_output(&x->c, &n)), n > 0) {
        if (n > x->outcap)
            abort();
        check_out(x, p, n);
        fuzz_digest_event(x->d, "O", p, n);
        if (mp_imap_client_output_done(&x->c, n) != MP_OK)
            abort();
    }
}

static void push_append(host *x)
{
    while (x->appending) {
        size_t used = 0;
        mp_status st;
        if (x->append_off == sizeof(message) - 1) {
            st = mp_imap_client_append_end(&x->c);
            if (st == MP_ERR_NO_SPACE) {
                drain(x);
                continue;
            }
            x->appending = 0;
            fuzz_digest_u64(x->d, "ae", (uint64_t)st);
            return;
        }
        st = mp_imap_client_append_data(&x->c, message + x->append_off,
                                        sizeof(message) - 1 - x->append_off, &used);
        x->append_off += used;
        if (st == MP_PAUSED)
            return;
        if (st == MP_ERR_NO_SPACE) {
            drain(x);
            continue;
        }
        if (st != MP_OK) {
            fuzz_digest_u64(x->d, "ad", (uint64_t)st);
            x->appending = 0;
            return;
        }
    }
}

/* The next step of the script. */
static void act(host *x)
{
    static const mp_imap_seq_range all = { 1, MP_IMAP_SEQ_STAR };
    static const char *const items[] = { "UID", "FLAGS", "BODY.PEEK[]" };
    static const mp_slice seen = { "\\Seen", 5 };
    mp_imap_select_opts o;
    mp_status st = MP_OK;
    uint32_t id = 0;
    switch (x->action++) {
    case 0:
        st = mp_imap_client_enable(&x->c, MP_IMAP_EXT_CONDSTORE | MP_IMAP_EXT_QRESYNC |
                                              MP_IMAP_EXT_UTF8_ACCEPT | MP_IMAP_EXT_IMAP4REV2,
                                   &id);
        break;
    case 1:
        memset(&o, 0, sizeof(o));
        o.condstore = (mp_imap_client_caps(&x->c)->flags & MP_IMAP_CAP_CONDSTORE) != 0;
        st = mp_imap_client_select(&x->c, MP_SLICE_LIT("Entw\xc3\xbcrfe"), &o, &id);
        break;
    case 2:
        st = mp_imap_client_fetch(&x->c, 1, &all, 1, items, 3, 0, 0, &id);
        break;
    case 3:
        st = mp_imap_client_store(&x->c, 1, &all, 1, '+', 1, &seen, 1, UINT64_MAX, &id);
        break;
    case 4:
        st = mp_imap_client_append(&x->c, MP_SLICE_LIT("Drafts"), &seen, 1, NULL,
                                   sizeof(message) - 1, MP_IMAP_APPEND_LITERAL, &id);
        x->appending = st == MP_OK;
        x->append_off = 0;
        break;
    case 5:
        st = mp_imap_client_idle(&x->c, &id);
        break;
    case 6:
        st = mp_imap_client_logout(&x->c, &id);
        break;
    default:
        return;
    }
    fuzz_digest_u64(x->d, "st", (uint64_t)st);
    fuzz_digest_u64(x->d, "id", id);
    if (st != MP_OK && st != MP_PAUSED && x->action < 7)
        x->action = 6; /* skip to LOGOUT next time */
    push_append(x);
}

static int on_event(void *user, const mp_imap_client_event *ev)
{
    host *x = user;
    uint64_t v[4];
    drain(x);
    if (ev->type == MP_IMAP_CLIENT_EV_RESPONSE && ev->resp->type == MP_IMAP_EV_LITERAL_CHUNK) {
        /* payload: hashed as one whatever the pieces it came in */
        fuzz_digest_chunk(x->d, ev->resp->str.ptr, ev->resp->str.len);
        return MP_IMAP_CLIENT_CB_CONTINUE;
    }
    v[0] = (uint64_t)ev->type;
    v[1] = ev->cmd;
    v[2] = ev->type == MP_IMAP_CLIENT_EV_RESPONSE ? (uint64_t)ev->resp->type : ev->msgno;
    v[3] = ev->type == MP_IMAP_CLIENT_EV_RESPONSE ? (uint64_t)ev->resp->field : ev->uid;
    fuzz_digest_event(x->d, "ev", v, sizeof(v));
    if (ev->type == MP_IMAP_CLIENT_EV_RESPONSE)
        return MP_IMAP_CLIENT_CB_CONTINUE;
    switch (ev->type) {
    case MP_IMAP_CLIENT_EV_READY:
        if (mp_imap_client_state_of(&x->c) == MP_IMAP_ST_NOT_AUTHENTICATED) {
            mp_status st = mp_imap_client_login(&x->c, MP_SLICE_LIT("user"),
                                                MP_SLICE_LIT("p\xc3\xa4ss\r\nword"), NULL);
            fuzz_digest_u64(x->d, "login", (uint64_t)st);
        } else {
            act(x);
        }
        break;
    case MP_IMAP_CLIENT_EV_DONE:
        if (ev->cmd_id != MP_IMAP_CMD_LOGIN && ev->cmd_id != MP_IMAP_CMD_CAPABILITY &&
            ev->cmd_id != MP_IMAP_CMD_STARTTLS)
            act(x);
        break;
    case MP_IMAP_CLIENT_EV_CONTINUE:
        if (ev->cmd_id == MP_IMAP_CMD_IDLE)
            fuzz_digest_u64(x->d, "done", (uint64_t)mp_imap_client_idle_done(&x->c));
        push_append(x);
        break;
    default:
        break;
    }
    drain(x);
    return MP_IMAP_CLIENT_CB_CONTINUE;
}

/* Offset of the first "<TLS>" marker, or SIZE_MAX. */
static size_t find_tls(const uint8_t *data, size_t size)
{
    const uint8_t *p = data, *end = data + size;
    while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
        if ((size_t)(end - p) >= 5 && memcmp(p, "<TLS>", 5) == 0)
            return (size_t)(p - data);
        p++;
    }
    return SIZE_MAX;
}

static void reset(void *state)
{
    host *x = state;
    memset(&x->c, 0, sizeof(x->c));
    memset(&x->cfg, 0, sizeof(x->cfg));
    x->action = 0;
    x->appending = 0;
    x->dead = 0;
    x->tls_skipped = 0;
    x->last_cmd = MP_IMAP_CMD_NONE_;
    x->cfg.tls = (mp_imap_client_tls)(x->cfgbyte & 3u);
    x->cfg.flags = (x->cfgbyte >> 2) & 0x7u;
    x->cfg.quirks = (x->cfgbyte & 0x20u) ? MP_IMAP_Q_BAD_BODYSTRUCTURE | MP_IMAP_Q_BARE_CONTINUE
                                          : 0u;
    x->cfg.buf = x->pbuf;
    x->cfg.buf_cap = sizeof(x->pbuf);
    x->cfg.uid_map = (x->cfgbyte & 0x40u) ? x->map : NULL;
    x->cfg.uid_cap = (x->cfgbyte & 0x40u) ? sizeof(x->map) / sizeof(x->map[0]) : 0;
    x->cb.on_event = on_event;
    x->outcap = (x->cfgbyte & 0x80u) ? MP_IMAP_CLIENT_MIN_OUT : sizeof(x->out);
    if (mp_imap_client_init(&x->c, &x->cfg, &x->cb, x, x->out, x->outcap) != MP_OK)
        abort();
    if (mp_imap_cmd_parser_init(&x->p, x->cbuf, sizeof(x->cbuf), NULL, &chk_cb, x) != MP_OK)
        abort();
    mp_imap_cmd_parser_set_max_line(&x->p, 0);
}

static size_t step(void *state, const uint8_t *p, size_t n, fuzz_digest *d)
{
    host *x = state;
    size_t off = (size_t)(p - x->base), used = 0;
    mp_status st;
    x->d = d;
    if (x->dead)
        return n;
    if (off >= x->tls_at && off < x->tls_at + 5) {
        size_t k = x->tls_at + 5 - off < n ? x->tls_at + 5 - off : n;
        if (x->tls_skipped == 0 &&
            mp_imap_client_state_of(&x->c) == MP_IMAP_ST_TLS_SWITCH) {
            if (mp_imap_client_tls_started(&x->c) != MP_OK)
                abort();
            fuzz_digest_event(d, "S", NULL, 0);
            drain(x);
        }
        x->tls_skipped += k;
        return k;
    }
    if (off < x->tls_at && x->tls_at - off < n)
        n = x->tls_at - off;
    {
        /* feed to the end of a line, then send: the server it stands for
         * waits for the client's next command there (imap_client.h,
         * "Matching") */
        const uint8_t *lf = memchr(p, '\n', n);
        if (lf != NULL)
            n = (size_t)(lf - p) + 1u;
    }
    drain(x);
    st = mp_imap_client_feed(&x->c, (const char *)p, n, &used);
    if (used > n)
        abort();
    push_append(x);
    drain(x);
    /* The OK to STARTTLS ends a line, so it ends a feed: without a
     * marker right there the next line is refused as plaintext injected
     * (MP_ERR_TLS_INJECTION, below), whatever the split. */
    if (st == MP_TRANSPORT_SWITCH)
        return used;
    if (st == MP_NEED_MORE || st == MP_PAUSED) {
        if (st == MP_NEED_MORE && used != n)
            abort();
        return used;
    }
    fuzz_digest_u64(d, "st", (uint64_t)st);
    fuzz_digest_u64(d, "off", mp_imap_client_error(&x->c)->offset);
    x->dead = 1;
    return n;
}

static host h;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const fuzz_target t = { reset, step, NULL, &h };
    if (size < 2)
        return 0;
    h.cfgbyte = data[0];
    h.base = data + 2;
    h.tls_at = find_tls(data + 2, size - 2);
    fuzz_split_check(&t, data + 2, size - 2, data[1]);
    return 0;
}
