/*
 * TLS byte pump: an mbedtls_ssl_context whose BIO is two fixed buffers.
 *
 * The one subtle point is mbedTLS's output path.  When the send callback
 * takes less than a whole record, mbedTLS keeps the rest (out_left) and
 * insists that mbedtls_ssl_write() be called again with the same
 * arguments.  The pump avoids that contract: it encrypts plaintext only
 * when the whole record fits in `out`, and it tracks in `out_pending`
 * whether mbedTLS still holds unflushed bytes (a short send), flushing
 * them before anything else.
 */
#include "mailproto/mbedtls.h"

#include <string.h>

#include <mbedtls/version.h>

_Static_assert(MP_TLS_PUMP_OUT_BUF > MP_TLS_RECORD_EXPANSION_MAX,
               "MP_TLS_PUMP_OUT_BUF must hold a record with some payload");
_Static_assert(MP_TLS_PUMP_IN_BUF >= 1, "MP_TLS_PUMP_IN_BUF must not be 0");

/* ---- BIO callbacks over the two buffers --------------------------------- */

static int bio_send(void *ctx, const unsigned char *buf, size_t len)
{
    mp_tls_pump *p = ctx;
    size_t room, n;

    if (p->out_off > 0 && p->out_len + len > MP_TLS_PUMP_OUT_BUF) {
        memmove(p->out, p->out + p->out_off, p->out_len - p->out_off);
        p->out_len -= p->out_off;
        p->out_off = 0;
    }
    room = MP_TLS_PUMP_OUT_BUF - p->out_len;
    if (room == 0) {
        p->out_pending = 1;
        return MBEDTLS_ERR_SSL_WANT_WRITE;
    }
    n = len < room ? len : room;
    memcpy(p->out + p->out_len, buf, n);
    p->out_len += n;
    /* mbedTLS asks for all it holds each time: a full take empties it. */
    p->out_pending = (uint8_t)(n < len);
    return (int)n;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len)
{
    mp_tls_pump *p = ctx;
    size_t avail = p->in_len - p->in_off, n;

    if (avail == 0) return p->eof ? 0 : MBEDTLS_ERR_SSL_WANT_READ;
    n = len < avail ? len : avail;
    memcpy(buf, p->in + p->in_off, n);
    p->in_off += n;
    if (p->in_off == p->in_len) p->in_off = p->in_len = 0;
    return (int)n;
}

/* ---- State -------------------------------------------------------------- */

static int is_want(int r)
{
    return r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE;
}

static void fail(mp_tls_pump *p, int r)
{
    p->tls_error = r;
    p->state = MP_TLS_PUMP_FAILED;
}

/* TLS 1.3 (mbedTLS 3.x) reports some post-handshake messages from
 * mbedtls_ssl_read/handshake as "errors" that only mean "call again". */
static int is_retry(int r)
{
#if defined(MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET)
    if (r == MBEDTLS_ERR_SSL_RECEIVED_NEW_SESSION_TICKET) return 1;
#endif
#if defined(MBEDTLS_ERR_SSL_RECEIVED_EARLY_DATA)
    if (r == MBEDTLS_ERR_SSL_RECEIVED_EARLY_DATA) return 1;
#endif
    (void)r;
    return 0;
}

/* Push out what mbedTLS still holds after a short send.  Only after the
 * handshake: during it, every handshake step flushes first.  A zero-length
 * mbedtls_ssl_write() with bytes pending only flushes them. */
static int flush_pending(mp_tls_pump *p)
{
    static const unsigned char none[1] = { 0 };
    int r;

    if (!p->out_pending) return 0;
    r = mbedtls_ssl_write(&p->ssl, none, 0);
    if (r > 0) r = 0;
    return r;
}

/* Advance whatever can advance: the handshake, or a pending flush. */
static void step(mp_tls_pump *p)
{
    int r;

    if (p->state == MP_TLS_PUMP_HANDSHAKE) {
        do {
            r = mbedtls_ssl_handshake(&p->ssl);
        } while (is_retry(r));
        if (r == 0) {
            p->state = MP_TLS_PUMP_OPEN;
            p->handshake_done = 1;
        } else if (!is_want(r)) {
            fail(p, r);
        }
        return;
    }
    if (p->state == MP_TLS_PUMP_OPEN || p->state == MP_TLS_PUMP_LOCAL_CLOSED ||
        p->state == MP_TLS_PUMP_PEER_CLOSED || p->state == MP_TLS_PUMP_CLOSED) {
        r = flush_pending(p);
        if (r != 0 && !is_want(r)) fail(p, r);
    }
}

mp_status mp_tls_pump_status(const mp_tls_pump *p)
{
    switch (p->state) {
    case MP_TLS_PUMP_HANDSHAKE:
        return MP_NEED_MORE;
    case MP_TLS_PUMP_OPEN:
    case MP_TLS_PUMP_LOCAL_CLOSED:
        return MP_OK;
    case MP_TLS_PUMP_PEER_CLOSED:
    case MP_TLS_PUMP_CLOSED:
        return MP_CLOSED;
    case MP_TLS_PUMP_FAILED:
        return MP_ERR_TLS;
    case MP_TLS_PUMP_UNSET:
    default:
        return MP_ERR_STATE;
    }
}

int mp_tls_pump_handshake_done(const mp_tls_pump *p) { return p->handshake_done; }

int mp_tls_pump_tls_error(const mp_tls_pump *p) { return p->tls_error; }

/* ---- The peer's name ---------------------------------------------------- */

/* What `name` is: 4 or 16 for an IP address (written to ip[]), 0 for a
 * host name, -1 for text that is neither (see mp_tls_pump_setup). */
static int peer_name_kind(const char *name, uint8_t ip[16])
{
    size_t n = strlen(name), last, i;
    if (n >= 2 && name[0] == '[' && name[n - 1] == ']') {
        size_t k = mp_ip_parse(name + 1, n - 2, 0, ip);
        return k != 0 ? (int)k : -1;
    }
    if (memchr(name, ':', n) != NULL)
        return mp_ip_parse(name, n, 0, ip) == 16 ? 16 : -1;
    /* RFC 3696 §2: the last label of a host name is not all-numeric;
     * text whose last label is must be a dotted-quad address. */
    last = n > 0 && name[n - 1] == '.' ? n - 1 : n;
    for (i = last; i > 0 && name[i - 1] != '.'; i--)
        if (name[i - 1] < '0' || name[i - 1] > '9')
            return 0;
    if (i == last)
        return 0; /* an empty last label: a host name mbedTLS will not match */
    return mp_ip_parse(name, n, 0, ip) == 4 ? 4 : -1;
}

/* RFC 5280 §4.2.1.6: iPAddress is [7] IMPLICIT OCTET STRING of 4 or 16
 * bytes.  mbedTLS keeps every subjectAltName entry raw with its tag. */
static int san_has_address(const mbedtls_x509_crt *crt, const uint8_t *ip, size_t len)
{
    const mbedtls_x509_sequence *s;
    for (s = &crt->subject_alt_names; s != NULL; s = s->next)
        if (s->buf.tag == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_X509_SAN_IP_ADDRESS) &&
            s->buf.len == len && memcmp(s->buf.p, ip, len) == 0)
            return 1;
    return 0;
}

/* mbedTLS calls this for each certificate of the chain, the server's own
 * last (depth 0), with the flags of its checks.  An address peer has no
 * host name set, so the name check is this one. */
typedef int (*verify_fn)(void *, mbedtls_x509_crt *, int, uint32_t *);

static int verify_address(void *ctx, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
    const mp_tls_pump *p = ctx;
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    verify_fn host_vrfy = p->conf->MBEDTLS_PRIVATE(f_vrfy);
    void *host_arg = p->conf->MBEDTLS_PRIVATE(p_vrfy);
#else
    verify_fn host_vrfy = p->conf->f_vrfy;
    void *host_arg = p->conf->p_vrfy;
#endif
    if (depth == 0 && !san_has_address(crt, p->peer_ip, p->peer_ip_len))
        *flags |= MBEDTLS_X509_BADCERT_CN_MISMATCH;
    return host_vrfy != NULL ? host_vrfy(host_arg, crt, depth, flags) : 0;
}

/* ---- Setup -------------------------------------------------------------- */

mp_status mp_tls_pump_setup(mp_tls_pump *p, const mbedtls_ssl_config *conf,
                            const char *hostname)
{
    int r;

    if (p == NULL) return MP_ERR_ARG;
    p->state = MP_TLS_PUMP_UNSET;
    p->tls_error = 0;
    p->eof = 0;
    p->out_pending = 0;
    p->handshake_done = 0;
    p->in_off = p->in_len = 0;
    p->out_off = p->out_len = 0;
    p->conf = conf;
    p->peer_ip_len = 0;
    mbedtls_ssl_init(&p->ssl);
    if (conf == NULL) return MP_ERR_ARG;
    r = mbedtls_ssl_setup(&p->ssl, conf);
    if (r != 0) {
        fail(p, r);
        return MP_ERR_TLS;
    }
    if (hostname != NULL) {
        int kind = peer_name_kind(hostname, p->peer_ip);
        if (kind < 0) return MP_ERR_ARG;
        if (kind > 0) {
            /* No SNI (RFC 6066 §3) and no name for mbedTLS to match; NULL
             * says so explicitly (mbedTLS 3.6.3+ refuses to verify a
             * certificate when no name was ever set). */
            p->peer_ip_len = (uint8_t)kind;
            r = mbedtls_ssl_set_hostname(&p->ssl, NULL);
            mbedtls_ssl_set_verify(&p->ssl, verify_address, p);
        } else {
            r = mbedtls_ssl_set_hostname(&p->ssl, hostname);
        }
        if (r != 0) {
            fail(p, r);
            return MP_ERR_TLS;
        }
    } else {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
        int endpoint = mbedtls_ssl_conf_get_endpoint(conf);
        int authmode = conf->MBEDTLS_PRIVATE(authmode);
#else
        int endpoint = conf->endpoint;
        int authmode = conf->authmode;
#endif
        /* mbedTLS 2.x would verify the chain but skip the name. */
        if (endpoint == MBEDTLS_SSL_IS_CLIENT && authmode == MBEDTLS_SSL_VERIFY_REQUIRED)
            return MP_ERR_ARG;
    }
    mbedtls_ssl_set_bio(&p->ssl, p, bio_send, bio_recv, NULL);
    p->state = MP_TLS_PUMP_HANDSHAKE;
    step(p); /* a client's ClientHello goes out now */
    return mp_tls_pump_status(p);
}

void mp_tls_pump_free(mp_tls_pump *p)
{
    if (p == NULL) return;
    mbedtls_ssl_free(&p->ssl);
    mp_wipe(p->in, sizeof p->in);
    mp_wipe(p->out, sizeof p->out);
    p->in_off = p->in_len = 0;
    p->out_off = p->out_len = 0;
    p->out_pending = 0;
    p->state = MP_TLS_PUMP_UNSET;
}

/* ---- Ciphertext in and out ---------------------------------------------- */

unsigned char *mp_tls_pump_recv_buf(mp_tls_pump *p, size_t *room)
{
    if (p->state == MP_TLS_PUMP_UNSET || p->state == MP_TLS_PUMP_FAILED || p->eof) {
        *room = 0;
        return p->in;
    }
    if (p->in_off > 0) {
        memmove(p->in, p->in + p->in_off, p->in_len - p->in_off);
        p->in_len -= p->in_off;
        p->in_off = 0;
    }
    *room = MP_TLS_PUMP_IN_BUF - p->in_len;
    return p->in + p->in_len;
}

mp_status mp_tls_pump_recv_done(mp_tls_pump *p, size_t n)
{
    if (p->state == MP_TLS_PUMP_UNSET) return MP_ERR_STATE;
    if (n > MP_TLS_PUMP_IN_BUF - p->in_len) return MP_ERR_ARG;
    if (n > 0 && (p->state == MP_TLS_PUMP_FAILED || p->eof)) return MP_ERR_ARG;
    p->in_len += n;
    step(p);
    return mp_tls_pump_status(p);
}

mp_status mp_tls_pump_recv_eof(mp_tls_pump *p)
{
    if (p->state == MP_TLS_PUMP_UNSET) return MP_ERR_STATE;
    p->eof = 1;
    step(p);
    return mp_tls_pump_status(p);
}

const unsigned char *mp_tls_pump_send_buf(mp_tls_pump *p, size_t *len)
{
    *len = p->out_len - p->out_off;
    return *len > 0 ? p->out + p->out_off : NULL;
}

mp_status mp_tls_pump_send_done(mp_tls_pump *p, size_t n)
{
    if (p->state == MP_TLS_PUMP_UNSET) return MP_ERR_STATE;
    if (n > p->out_len - p->out_off) return MP_ERR_ARG;
    p->out_off += n;
    if (p->out_off == p->out_len) p->out_off = p->out_len = 0;
    step(p);
    return mp_tls_pump_status(p);
}

/* ---- Plaintext in and out ----------------------------------------------- */

mp_status mp_tls_pump_read(mp_tls_pump *p, void *out, size_t cap, size_t *got)
{
    int r;

    *got = 0;
    step(p);
    switch (p->state) {
    case MP_TLS_PUMP_OPEN:
    case MP_TLS_PUMP_LOCAL_CLOSED:
        break;
    default:
        return mp_tls_pump_status(p);
    }
    if (cap == 0) return MP_OK;
    do {
        r = mbedtls_ssl_read(&p->ssl, out, cap);
    } while (is_retry(r));
    if (r > 0) {
        *got = (size_t)r;
        return MP_OK;
    }
    if (is_want(r)) return MP_NEED_MORE;
    if (r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
        p->state = p->state == MP_TLS_PUMP_LOCAL_CLOSED ? MP_TLS_PUMP_CLOSED
                                                         : MP_TLS_PUMP_PEER_CLOSED;
        return MP_CLOSED;
    }
    /* 0 or CONN_EOF: the transport ended without close_notify.  Normal
     * after our own close_notify; a possible truncation otherwise. */
    if (r == 0 || r == MBEDTLS_ERR_SSL_CONN_EOF) {
        if (p->state == MP_TLS_PUMP_LOCAL_CLOSED) {
            p->state = MP_TLS_PUMP_CLOSED;
            return MP_CLOSED;
        }
        fail(p, MBEDTLS_ERR_SSL_CONN_EOF);
        return MP_ERR_TLS;
    }
    fail(p, r);
    return MP_ERR_TLS;
}

mp_status mp_tls_pump_write(mp_tls_pump *p, const void *in, size_t len, size_t *used)
{
    size_t room, chunk, expansion;
    int r;

    *used = 0;
    step(p);
    switch (p->state) {
    case MP_TLS_PUMP_OPEN:
    case MP_TLS_PUMP_PEER_CLOSED:
        break;
    case MP_TLS_PUMP_LOCAL_CLOSED:
    case MP_TLS_PUMP_CLOSED:
        return MP_CLOSED;
    case MP_TLS_PUMP_HANDSHAKE:
        return MP_NEED_MORE;
    default:
        return mp_tls_pump_status(p);
    }
    if (p->out_pending) return MP_NEED_MORE; /* still flushing; send first */
    if (len == 0) return MP_OK;

    r = mbedtls_ssl_get_record_expansion(&p->ssl);
    expansion = r > 0 ? (size_t)r : MP_TLS_RECORD_EXPANSION_MAX;
    room = MP_TLS_PUMP_OUT_BUF - (p->out_len - p->out_off);
    if (room <= expansion) return MP_NEED_MORE;
    chunk = room - expansion;
    if (chunk > len) chunk = len;
    r = mbedtls_ssl_get_max_out_record_payload(&p->ssl);
    if (r > 0 && chunk > (size_t)r) chunk = (size_t)r;
    if (chunk > (size_t)INT32_MAX) chunk = (size_t)INT32_MAX;

    r = mbedtls_ssl_write(&p->ssl, in, chunk);
    if (r >= 0) {
        *used = (size_t)r;
        return MP_OK;
    }
    /* Nothing was pending at entry, so WANT_WRITE means the record was
     * built and only partly handed over: the bytes are taken. */
    if (r == MBEDTLS_ERR_SSL_WANT_WRITE && p->out_pending) {
        *used = chunk;
        return MP_OK;
    }
    if (is_want(r) || is_retry(r)) return MP_NEED_MORE;
    fail(p, r);
    return MP_ERR_TLS;
}

mp_status mp_tls_pump_close(mp_tls_pump *p)
{
    int r;

    step(p);
    switch (p->state) {
    case MP_TLS_PUMP_OPEN:
    case MP_TLS_PUMP_PEER_CLOSED:
        break;
    case MP_TLS_PUMP_LOCAL_CLOSED:
    case MP_TLS_PUMP_CLOSED:
        return MP_OK;
    case MP_TLS_PUMP_HANDSHAKE:
    case MP_TLS_PUMP_UNSET:
        return MP_ERR_STATE;
    default:
        return mp_tls_pump_status(p);
    }
    /* mbedtls_ssl_close_notify() with bytes pending only flushes them and
     * would report success without sending the alert. */
    if (p->out_pending) return MP_NEED_MORE;
    r = mbedtls_ssl_close_notify(&p->ssl);
    if (r != 0 && !(r == MBEDTLS_ERR_SSL_WANT_WRITE && p->out_pending)) {
        if (is_want(r)) return MP_NEED_MORE;
        fail(p, r);
        return MP_ERR_TLS;
    }
    /* Sent, or built and partly handed over (flushed by later calls). */
    p->state = p->state == MP_TLS_PUMP_PEER_CLOSED ? MP_TLS_PUMP_CLOSED
                                                    : MP_TLS_PUMP_LOCAL_CLOSED;
    return MP_OK;
}
