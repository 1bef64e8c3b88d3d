/*
 * libmailproto — optional mbedTLS adapter (target mailproto::mailproto-mbedtls).
 *
 * Two independent pieces:
 *
 *  1. A TLS byte pump (mp_tls_pump) around an mbedtls_ssl_context, client or
 *     server.  It is sans-I/O like the rest of the library: the host moves
 *     ciphertext between the pump and its socket, and plaintext between the
 *     pump and a libmailproto session.  mbedTLS never sees a socket: its BIO
 *     callbacks read and write two fixed buffers inside the pump and answer
 *     MBEDTLS_ERR_SSL_WANT_READ / WANT_WRITE when they are empty / full.
 *
 *         socket --recv--> mp_tls_pump_recv_buf/_done --> mp_tls_pump_read --> session feed
 *         socket <--send-- mp_tls_pump_send_buf/_done <-- mp_tls_pump_write <-- session output
 *
 *     One round of a host's loop (error handling shortened):
 *
 *         while ((c = mp_tls_pump_send_buf(&p, &n)) != NULL)      // 1. ciphertext out
 *             mp_tls_pump_send_done(&p, send(fd, c, n, 0));
 *         b = mp_tls_pump_recv_buf(&p, &room);                    // 2. ciphertext in
 *         if (room > 0 && poll says readable)
 *             r = recv(fd, b, room, 0), r > 0 ? mp_tls_pump_recv_done(&p, r)
 *                                             : mp_tls_pump_recv_eof(&p);
 *         while (mp_tls_pump_read(&p, buf, sizeof buf, &got) == MP_OK && got > 0)
 *             session_feed(buf, got);                             // 3. plaintext in
 *         out = session_output(&len);                             // 4. plaintext out
 *         if (mp_tls_pump_write(&p, out, len, &used) == MP_OK)
 *             session_output_done(used);
 *
 *  2. A crypto provider (crypto.h) whose MD5, SHA-1 and SHA-256 classes wrap
 *     mbedtls_md5/sha1/sha256 and whose random source is an mbedTLS
 *     CTR_DRBG, so SASL (CRAM-MD5, SCRAM) and APOP can run on the same crypto
 *     as the TLS stack.
 *
 * Memory: the adapter's own code never allocates; every struct here lives
 * where the host puts it.  mbedTLS itself does allocate from its own heap
 * (mbedtls_calloc: the SSL record buffers in mp_tls_pump_setup, parsed
 * certificates and keys in mp_tls_config_*); an embedded host controls that
 * heap with MBEDTLS_PLATFORM_MEMORY / mbedtls_memory_buffer_alloc_init.
 *
 * Threads: nothing here locks.  A pump, a config and a DRBG may be used by
 * one thread at a time, unless mbedTLS was built with MBEDTLS_THREADING_C
 * (then one config and its DRBG may serve pumps on several threads).
 *
 * Tested with mbedTLS 2.28 (TLS 1.2, Debian 12) and 3.6 (TLS 1.3); the API
 * differences are handled with MBEDTLS_VERSION_NUMBER checks.
 *
 * Guide: docs/mbedtls.md, with a complete STARTTLS program.
 */
#ifndef MAILPROTO_MBEDTLS_H
#define MAILPROTO_MBEDTLS_H

#include <stddef.h>
#include <stdint.h>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include "core.h"
#include "crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================= */
/* Limits                                                                  */
/* ======================================================================= */

/* Ciphertext received from the socket and not yet taken by mbedTLS.  Any
 * size works (mbedTLS reassembles records from partial reads); larger means
 * fewer calls.  Default: one typical socket read. */
#ifndef MP_TLS_PUMP_IN_BUF
#define MP_TLS_PUMP_IN_BUF 4096u
#endif
/* Ciphertext produced by mbedTLS and not yet sent by the host.  A plaintext
 * write is encrypted only when its whole record fits here, so this bounds
 * the record size the pump emits (record overhead is at most a few hundred
 * bytes with any TLS 1.2+ suite; 16 KiB + 512 would allow full records). */
#ifndef MP_TLS_PUMP_OUT_BUF
#define MP_TLS_PUMP_OUT_BUF 4096u
#endif
/* Record overhead assumed when mbedTLS cannot tell it exactly
 * (mbedtls_ssl_get_record_expansion fails, e.g. with compression). */
#ifndef MP_TLS_RECORD_EXPANSION_MAX
#define MP_TLS_RECORD_EXPANSION_MAX 512u
#endif

/* ======================================================================= */
/* TLS byte pump                                                           */
/* ======================================================================= */

/* Where a pump is.  Private to the implementation; the host asks
 * mp_tls_pump_status() and the predicates below. */
typedef enum mp_tls_pump_state {
    MP_TLS_PUMP_UNSET = 0,    /* not set up, or freed */
    MP_TLS_PUMP_HANDSHAKE,    /* handshake in progress */
    MP_TLS_PUMP_OPEN,         /* application data both ways */
    MP_TLS_PUMP_LOCAL_CLOSED, /* we sent close_notify; the peer may still send */
    MP_TLS_PUMP_PEER_CLOSED,  /* the peer sent close_notify; we may still send */
    MP_TLS_PUMP_CLOSED,       /* both directions closed */
    MP_TLS_PUMP_FAILED        /* fatal error; see tls_error */
} mp_tls_pump_state;

/*
 * One TLS connection.  The host owns the struct; it must not move or be
 * copied between mp_tls_pump_setup() and mp_tls_pump_free() (mbedTLS keeps
 * a pointer to it for its BIO callbacks).  sizeof is about
 * MP_TLS_PUMP_IN_BUF + MP_TLS_PUMP_OUT_BUF + sizeof(mbedtls_ssl_context);
 * mbedTLS adds its own record buffers on its heap.
 */
typedef struct mp_tls_pump {
    mbedtls_ssl_context ssl;  /* usable for queries (ciphersuite, peer cert) */
    int tls_error;            /* the mbedTLS error that failed the pump, or 0 */
    mp_tls_pump_state state;  /* private */
    uint8_t eof;              /* private: the host reported end of input */
    uint8_t out_pending;      /* private: mbedTLS holds unflushed ciphertext */
    uint8_t handshake_done;   /* private: see mp_tls_pump_handshake_done() */
    size_t in_off, in_len;    /* private: in[in_off..in_len) awaits mbedTLS */
    size_t out_off, out_len;  /* private: out[out_off..out_len) awaits the host */
    const mbedtls_ssl_config *conf; /* private: the config of setup */
    uint8_t peer_ip[16];      /* private: the peer's address, when named by one */
    uint8_t peer_ip_len;      /* private: 4, 16, or 0 (named by a host name) */
    unsigned char in[MP_TLS_PUMP_IN_BUF];
    unsigned char out[MP_TLS_PUMP_OUT_BUF];
} mp_tls_pump;

/*
 * Start a TLS connection over `conf` (client or server, as the config's
 * endpoint says).  `conf` is the host's and must outlive the pump; it must
 * have an RNG (mbedtls_ssl_conf_rng), and for a server a certificate and key.
 *
 * `hostname` (NUL-terminated, not kept) names the server the client wants,
 * as the user gave it: a host name or an IP address.
 *  - A host name ("mail.example.org") is sent as SNI (RFC 6066 §3) and
 *    checked by mbedTLS against the certificate's DNS subjectAltNames (its
 *    CN when it has none), wildcards as mbedTLS allows them.
 *  - An IPv4 address ("192.0.2.1"), an IPv6 address ("2001:db8::1"), or
 *    either in brackets ("[2001:db8::1]", as in host:port forms) is checked
 *    against the certificate's iPAddress subjectAltNames only, byte for
 *    byte (RFC 5280 §4.2.1.6, RFC 6125 §6.2.1): never against a DNS name
 *    (a dNSName "192.0.2.1" does not match) nor the CN; and no SNI is sent,
 *    since RFC 6066 §3 forbids literal addresses there.  mbedTLS 2.28
 *    matches DNS names only, so the adapter checks the address itself in a
 *    verify callback it sets on p->ssl (mbedtls_ssl_set_verify: the host
 *    must not replace it; a callback the host set on the config with
 *    mbedtls_ssl_conf_verify is still called, after the address check, and
 *    sees its result in the flags).  It never hands the address to mbedTLS
 *    as a host name, so versions that match addresses themselves (3.x)
 *    behave the same.  A mismatch fails the handshake with
 *    MBEDTLS_ERR_X509_CERT_VERIFY_FAILED and MBEDTLS_X509_BADCERT_CN_MISMATCH
 *    in mbedtls_ssl_get_verify_result(), as a wrong host name does.
 *  - Text that would connect to one address and be checked as another
 *    name is refused with MP_ERR_ARG: a name with ':' that is not IPv6 (a
 *    zone "fe80::1%eth0" included), brackets around anything but an
 *    address, and a name whose last label is all digits but which is not a
 *    dotted-quad IPv4 address ("127.1", "010.0.0.1", "1.2.3.256": a host
 *    name's last label is never all-numeric, RFC 3696 §2, and
 *    getaddrinfo() reads these as addresses, "010" in octal).
 * A client config that requires verification (the default of
 * mp_tls_config_init) needs a hostname: NULL is then MP_ERR_ARG, so that
 * verification never silently skips the name check.  A server passes NULL.
 *
 * Implicit TLS (IMAPS 993, POP3S 995, submissions 465): set up the pump
 * before the first byte of the connection.
 *
 * STARTTLS / STLS: set up the pump when the session reports
 * MP_TRANSPORT_SWITCH, after its last plaintext output (the "220 Ready" /
 * "+OK" / "OK Begin TLS" line) has been sent.  From then on every byte from
 * the socket goes into the pump.  Plaintext bytes that were already read
 * after the switch point (in the same recv() as the STARTTLS command or
 * reply) must be discarded, never given to the pump nor to the new session:
 * they were sent before the TLS handshake and are an injection attempt
 * (CVE-2011-0411).  The session stops exactly at the switch byte and
 * reports them; this API has no way to pass plaintext into the TLS layer.
 *
 * The client's first flight (ClientHello) is produced here: call
 * mp_tls_pump_send_buf() next.  Returns MP_NEED_MORE (handshake under way),
 * MP_ERR_ARG, or MP_ERR_TLS (mbedtls_ssl_setup failed: out of mbedTLS heap,
 * bad config; a host name over 255 bytes; the code is in p->tls_error).  On
 * any result the pump must later be released with mp_tls_pump_free().
 */
mp_status mp_tls_pump_setup(mp_tls_pump *p, const mbedtls_ssl_config *conf,
                            const char *hostname);

/* Release mbedTLS's memory for the pump and wipe the buffers.  Safe on a
 * pump whose setup failed, on a zero-initialised one, and to call twice
 * (not on uninitialised memory). */
void mp_tls_pump_free(mp_tls_pump *p);

/*
 * Where the host writes ciphertext read from the socket: returns a pointer
 * into the pump and sets `*room` to how many bytes may be written there.
 * `*room == 0` means the pump is full: read plaintext (mp_tls_pump_read)
 * before reading the socket again.  The pointer is valid until the next
 * call on the pump.
 */
unsigned char *mp_tls_pump_recv_buf(mp_tls_pump *p, size_t *room);

/*
 * The host wrote `n` bytes (n <= room) at mp_tls_pump_recv_buf().  Advances
 * the handshake if one is under way.  Returns mp_tls_pump_status(); after
 * it, call mp_tls_pump_read() until MP_NEED_MORE, and send what
 * mp_tls_pump_send_buf() holds.  n > room is MP_ERR_ARG.
 */
mp_status mp_tls_pump_recv_done(mp_tls_pump *p, size_t n);

/*
 * The socket reached end of file.  Bytes still buffered are processed;
 * then a peer that did not send close_notify first fails the pump with
 * MBEDTLS_ERR_SSL_CONN_EOF (possible truncation), except after our own
 * close_notify, where EOF ends the connection normally (MP_CLOSED).
 * Returns mp_tls_pump_status().
 */
mp_status mp_tls_pump_recv_eof(mp_tls_pump *p);

/*
 * Ciphertext the host must send: returns a pointer to `*len` bytes (NULL
 * and 0 when there is nothing).  Valid until the next call on the pump.
 * Drain it in every state, including after a failure (it may hold the
 * fatal alert that tells the peer why).
 */
const unsigned char *mp_tls_pump_send_buf(mp_tls_pump *p, size_t *len);

/* The host sent the first `n` bytes of mp_tls_pump_send_buf().  Lets a
 * handshake or a write that waited for room go on.  Returns
 * mp_tls_pump_status(); n > len is MP_ERR_ARG. */
mp_status mp_tls_pump_send_done(mp_tls_pump *p, size_t n);

/*
 * Decrypted application data, for the session's feed: copies up to `cap`
 * bytes to `out` and sets `*got`.  Returns
 *  - MP_OK: `*got` > 0 bytes (0 only when cap is 0); call again, more
 *    may be buffered.
 *  - MP_NEED_MORE: nothing now (`*got` 0): the handshake or a record is
 *    incomplete; give the pump more ciphertext or send its output.
 *  - MP_CLOSED: the peer sent close_notify (or EOF after our
 *    close_notify); no more data will come.
 *  - MP_ERR_TLS: the connection failed (p->tls_error, e.g. a bad record
 *    MAC, a certificate that did not verify, EOF without close_notify).
 */
mp_status mp_tls_pump_read(mp_tls_pump *p, void *out, size_t cap, size_t *got);

/*
 * Encrypt plaintext from the session's output.  Takes a prefix of
 * `in[0..len)` that fits as whole records in the pump's output buffer and
 * sets `*used` (pass the rest again later; mp_outbuf_consume() the used
 * part).  Returns
 *  - MP_OK: `*used` bytes were taken (0 only when len is 0).
 *  - MP_NEED_MORE: nothing taken: the handshake is not finished, or the
 *    output buffer is full (send it first).
 *  - MP_CLOSED: we already sent close_notify; nothing more may be sent.
 *  - MP_ERR_TLS: the connection failed.
 * Unlike mbedtls_ssl_write(), a partial result never needs the same
 * arguments again: the host may change or drop the rest.
 */
mp_status mp_tls_pump_write(mp_tls_pump *p, const void *in, size_t len, size_t *used);

/*
 * Send close_notify (after anything written before).  Returns MP_OK once it
 * is in the output buffer (send it, then keep reading until MP_CLOSED or
 * close the socket), MP_NEED_MORE when the output buffer must be drained
 * first (call again), MP_ERR_STATE during the handshake, MP_ERR_TLS after a
 * failure.  Calling it again after MP_OK returns MP_OK.
 */
mp_status mp_tls_pump_close(mp_tls_pump *p);

/*
 * Where the connection is, as the status the calls above return:
 * MP_NEED_MORE handshake under way; MP_OK established (also after our own
 * close_notify); MP_CLOSED the peer closed; MP_ERR_TLS failed;
 * MP_ERR_STATE not set up.
 */
mp_status mp_tls_pump_status(const mp_tls_pump *p);

/* 1 once the handshake finished successfully (stays 1 after a close or a
 * later failure), else 0. */
int mp_tls_pump_handshake_done(const mp_tls_pump *p);

/* The mbedTLS error code (negative) that failed the pump, or 0.  Use
 * mbedtls_strerror() for text and mbedtls_ssl_get_verify_result(&p->ssl)
 * for certificate details (MBEDTLS_X509_BADCERT_*). */
int mp_tls_pump_tls_error(const mp_tls_pump *p);

/* ======================================================================= */
/* A sane mbedtls_ssl_config                                               */
/* ======================================================================= */

typedef enum mp_tls_role {
    MP_TLS_CLIENT = 0,
    MP_TLS_SERVER = 1
} mp_tls_role;

/*
 * Everything an mbedtls_ssl_config points to, in one host-owned struct
 * that must not move while the config is in use (conf points into it).
 * After mp_tls_config_init the host may still adjust `conf` with any
 * mbedtls_ssl_conf_* call (authmode, ciphersuites, ALPN, ...).
 */
typedef struct mp_tls_config {
    mbedtls_ssl_config conf;
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;  /* also usable by mp_crypto_mbedtls() */
    mbedtls_x509_crt ca;            /* trusted CAs (client; server when verifying clients) */
    mbedtls_x509_crt cert;          /* own certificate chain */
    mbedtls_pk_context key;         /* own private key */
    int tls_error;                  /* mbedTLS code of the last failure, or 0 */
} mp_tls_config;

/*
 * Defaults for `role`: stream transport, mbedTLS's default suites, TLS 1.2
 * minimum, renegotiation off, the DRBG seeded from mbedtls_entropy with the
 * personalization string "libmailproto".  A client requires a verified
 * server certificate (MBEDTLS_SSL_VERIFY_REQUIRED) and so needs CAs from
 * mp_tls_config_ca_*; a server does not ask for client certificates and
 * needs mp_tls_config_own_cert_*.  Returns MP_OK, or MP_ERR_TLS (code in
 * c->tls_error: no entropy source, ...).  Call mp_tls_config_free() in
 * either case.
 */
mp_status mp_tls_config_init(mp_tls_config *c, mp_tls_role role);

/* Add trusted CA certificates from a PEM file (path NUL-terminated) or a
 * NUL-terminated PEM string (parsed, not kept).  MP_ERR_TLS when nothing
 * could be parsed (c->tls_error); MP_ERR_ARG on NULL. */
mp_status mp_tls_config_ca_file(mp_tls_config *c, const char *path);
mp_status mp_tls_config_ca_pem(mp_tls_config *c, const char *pem);

/* Set the own certificate chain and private key (the key may be
 * encrypted: `password` NUL-terminated, or NULL).  From files or from
 * NUL-terminated PEM strings.  MP_ERR_TLS on a parse error or a key that
 * does not match the certificate (c->tls_error). */
mp_status mp_tls_config_own_cert_file(mp_tls_config *c, const char *cert_path,
                                      const char *key_path, const char *password);
mp_status mp_tls_config_own_cert_pem(mp_tls_config *c, const char *cert_pem,
                                     const char *key_pem, const char *password);

/* Release everything; pumps using c->conf must be freed first. */
void mp_tls_config_free(mp_tls_config *c);

/* ======================================================================= */
/* Crypto provider on mbedTLS                                              */
/* ======================================================================= */

/* mbedTLS-backed hash classes: same names, sizes and results as the
 * built-in ones.  The contexts are mbedtls_*_context placed in an
 * mp_hash_ctx (checked at compile time); final() wipes the context. */
extern const mp_hash_class mp_md5_mbedtls;
extern const mp_hash_class mp_sha1_mbedtls;
extern const mp_hash_class mp_sha256_mbedtls;

/* An mp_random_fn over an mbedtls_ctr_drbg_context (`drbg` as `user`):
 * fills `out` in MBEDTLS_CTR_DRBG_MAX_REQUEST pieces; 0 or non-zero on a
 * DRBG failure. */
int mp_mbedtls_random(void *drbg, uint8_t *out, size_t len);

/* A provider with the three mbedTLS hashes and, when `drbg` is not NULL,
 * mp_mbedtls_random over it.  `drbg` must be seeded and outlive every user
 * of the provider (mp_tls_config's drbg does). */
mp_crypto_provider mp_crypto_mbedtls(mbedtls_ctr_drbg_context *drbg);

#ifdef __cplusplus
}
#endif

#endif /* MAILPROTO_MBEDTLS_H */
