/*
 * libmailproto — SASL mechanisms, client and server (RFC 4422).
 *
 * Mechanisms: PLAIN (RFC 4616), LOGIN (draft-murchison-sasl-login),
 * CRAM-MD5 (RFC 2195), SCRAM-SHA-1 and SCRAM-SHA-256 with their -PLUS
 * variants (RFC 5802, RFC 7677), XOAUTH2 (Google), OAUTHBEARER (RFC 7628),
 * EXTERNAL (RFC 4422 appendix A).
 *
 * Shape.  Both sides are step-driven and allocation-free.  Steps work on
 * DECODED bytes; the protocol layers (SMTP AUTH, IMAP AUTHENTICATE, POP3
 * AUTH) carry them base64-encoded and use the framing helpers below.
 *
 *   client: mp_sasl_client_start() -> [mp_sasl_client_initial()] ->
 *           mp_sasl_client_step() per challenge -> mp_sasl_client_finish()
 *           once the protocol reported success.
 *   server: mp_sasl_server_start() -> mp_sasl_server_step() per response;
 *           on MP_PAUSED the host looks at the identities in the struct,
 *           answers with mp_sasl_server_verify() / _set_scram() /
 *           _set_secret() (at once or later), then steps with no input.
 *
 * Buffers.  Every message a step writes is at most MP_SASL_MAX_MESSAGE
 * bytes, except a client's XOAUTH2 / OAUTHBEARER message, which carries
 * the token as given (token + names + 64 bytes).  A step that fails with
 * MP_ERR_NO_SPACE changes no state and sets the size it needs: call it
 * again with a larger buffer.  A server accepts messages up to
 * MP_SASL_MAX_MESSAGE (decoded): raise it where OAuth tokens are longer
 * (some providers issue tokens of 2-4 KiB).
 *
 * SASLprep (RFC 4013) is NOT implemented.  What the library does instead:
 * user names and authorization identities must be valid UTF-8 without NUL
 * (MP_ERR_UTF8 / MP_ERR_SASL_MESSAGE otherwise); ASCII passes through, and
 * non-ASCII is passed on unnormalized, byte for byte.  Passwords are
 * opaque bytes (no NUL where the mechanism forbids it).  A host that needs
 * normalization applies it before handing strings to the library, and to
 * the identities it receives.
 *
 * Secrets.  Proofs and keys are compared with mp_ct_equal(); derived keys
 * and copied passwords are wiped with mp_wipe() as soon as they are no
 * longer needed and by the _wipe() functions.
 *
 * Guide: docs/sasl.md, with a complete program.
 */
#ifndef MAILPROTO_SASL_H
#define MAILPROTO_SASL_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "core.h"
#include "crypto.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================= */
/* Mechanism table                                                         */
/* ======================================================================= */

/* Mechanisms.  Values never change once released; new ones are appended. */
typedef enum mp_sasl_mech {
    MP_SASL_MECH_NONE = 0,
    MP_SASL_PLAIN = 1,
    MP_SASL_LOGIN = 2,
    MP_SASL_CRAM_MD5 = 3,
    MP_SASL_SCRAM_SHA_1 = 4,
    MP_SASL_SCRAM_SHA_256 = 5,
    MP_SASL_SCRAM_SHA_1_PLUS = 6,
    MP_SASL_SCRAM_SHA_256_PLUS = 7,
    MP_SASL_XOAUTH2 = 8,
    MP_SASL_OAUTHBEARER = 9,
    MP_SASL_EXTERNAL = 10,
    MP_SASL_MECH_COUNT = 11
} mp_sasl_mech;

/* A set of mechanisms: bit (1 << mech). */
typedef uint32_t mp_sasl_mech_set;
#define MP_SASL_MECH_BIT(m) ((mp_sasl_mech_set)1u << (unsigned)(m))

/* Mechanism properties (mp_sasl_mech_info.flags). */
enum {
    /* The client speaks first: it has an initial response (RFC 4422 §5). */
    MP_SASL_MECH_CLIENT_FIRST = 1u << 0,
    /* The password crosses the wire readable: use only under TLS. */
    MP_SASL_MECH_PLAINTEXT = 1u << 1,
    /* A bearer token crosses the wire readable: use only under TLS. */
    MP_SASL_MECH_BEARER = 1u << 2,
    /* Credentials are a password (PLAIN, LOGIN, CRAM-MD5, SCRAM-*). */
    MP_SASL_MECH_PASSWORD = 1u << 3,
    /* Credentials are an OAuth 2.0 token (XOAUTH2, OAUTHBEARER). */
    MP_SASL_MECH_TOKEN = 1u << 4,
    /* The server proves it knows the credentials (SCRAM). */
    MP_SASL_MECH_MUTUAL = 1u << 5,
    /* Needs channel binding data from the TLS layer (-PLUS). */
    MP_SASL_MECH_CHANNEL_BINDING = 1u << 6,
    /* Identity comes from outside SASL (TLS client certificate). */
    MP_SASL_MECH_EXTERNAL_ID = 1u << 7
};

/* Hash a mechanism needs from the crypto provider. */
typedef enum mp_sasl_hash {
    MP_SASL_HASH_NONE = 0,
    MP_SASL_HASH_MD5 = 1,
    MP_SASL_HASH_SHA1 = 2,
    MP_SASL_HASH_SHA256 = 3
} mp_sasl_hash;

/* One row of the static mechanism table. */
typedef struct mp_sasl_mech_info {
    const char *name;  /* IANA name, upper case, NUL-terminated */
    uint8_t name_len;
    uint8_t hash;      /* mp_sasl_hash */
    uint16_t flags;    /* MP_SASL_MECH_* */
} mp_sasl_mech_info;

/* The table row of `m` (static storage), or NULL for MP_SASL_MECH_NONE and
 * out-of-range values. */
const mp_sasl_mech_info *mp_sasl_mech_get(mp_sasl_mech m);

/* The mechanism named `name[0..len)` (ASCII case-insensitive, not
 * NUL-terminated), or MP_SASL_MECH_NONE when unknown or longer than the
 * SASL limit of 20 characters. */
mp_sasl_mech mp_sasl_mech_from_name(const char *name, size_t len);

/* The hash class `m` needs from `cp`: NULL when `m` needs none or `cp`
 * lacks it (then starting `m` fails with MP_ERR_UNSUPPORTED). */
const mp_hash_class *mp_sasl_mech_hash(mp_sasl_mech m, const mp_crypto_provider *cp);

/* mp_sasl_mechs_parse() flags. */
enum {
    /* `list` is an IMAP CAPABILITY list: only "AUTH=<mech>" tokens count
     * (RFC 9051 §7.2.2).  Without it, tokens are bare names separated by
     * spaces (SMTP "250-AUTH ..." parameters, POP3 "SASL ..." CAPA line);
     * an "AUTH=" prefix is then also stripped. */
    MP_SASL_LIST_IMAP = 1u << 0
};

/* The set of known mechanisms named in the space-separated `list[0..len)`;
 * unknown names are ignored.  Never fails. */
mp_sasl_mech_set mp_sasl_mechs_parse(const char *list, size_t len, unsigned flags);

/* mp_sasl_choose() flags: what the client can and may use. */
enum {
    /* The connection is under TLS (or the host explicitly accepts cleartext
     * secrets): PLAIN, LOGIN, XOAUTH2, OAUTHBEARER become eligible. */
    MP_SASL_CHOOSE_PLAINTEXT_OK = 1u << 0,
    /* The client holds an OAuth token, not a password: choose among
     * OAUTHBEARER > XOAUTH2 only (they also need PLAINTEXT_OK). */
    MP_SASL_CHOOSE_TOKEN = 1u << 1,
    /* The host can supply TLS channel binding data: -PLUS variants first. */
    MP_SASL_CHOOSE_CHANNEL_BINDING = 1u << 2
};

/*
 * The best mechanism of `offered` for a password client:
 * [SCRAM-SHA-256-PLUS > SCRAM-SHA-1-PLUS if CHANNEL_BINDING] >
 * SCRAM-SHA-256 > SCRAM-SHA-1 > CRAM-MD5 > [PLAIN > LOGIN if PLAINTEXT_OK].
 * With MP_SASL_CHOOSE_TOKEN: OAUTHBEARER > XOAUTH2 (if PLAINTEXT_OK).
 * EXTERNAL is never chosen (the host asks for it explicitly).  Returns
 * MP_SASL_MECH_NONE when nothing acceptable is offered; the caller must
 * then not authenticate (never fall back to cleartext by itself).
 */
mp_sasl_mech mp_sasl_choose(mp_sasl_mech_set offered, unsigned flags);

/* ======================================================================= */
/* Framing helpers (SMTP AUTH RFC 4954, IMAP AUTHENTICATE RFC 9051 §6.2.2, */
/* POP3 AUTH RFC 5034)                                                     */
/* ======================================================================= */

/*
 * Decode a client's response line (without CRLF) as a server reads it:
 * "*" alone -> MP_ERR_SASL_CANCELLED (the exchange is over, reply with the
 * protocol's cancel error); an empty line -> an empty response; anything
 * else strict base64 (alphabet, padding, no white space).
 * Errors: MP_ERR_BASE64 (`*outlen` = offset of the bad character),
 * MP_ERR_SASL_TOO_LONG (decoded size above MP_SASL_MAX_MESSAGE),
 * MP_ERR_NO_SPACE (`*outlen` = size needed).
 */
mp_status mp_sasl_decode_response(const char *line, size_t n, void *out, size_t cap,
                                  size_t *outlen);

/* Decode the initial response given with the command (RFC 4954 §4,
 * RFC 4959): "=" -> an empty response; otherwise as
 * mp_sasl_decode_response() ("*" gives MP_ERR_SASL_CANCELLED too).  The
 * caller distinguishes "no initial response" (no argument at all). */
mp_status mp_sasl_decode_initial(const char *arg, size_t n, void *out, size_t cap,
                                 size_t *outlen);

/* Decode a server challenge (text after "334 " / "+ ") as a client reads
 * it: empty -> empty, else strict base64.  Errors as above. */
mp_status mp_sasl_decode_challenge(const char *text, size_t n, void *out, size_t cap,
                                   size_t *outlen);

/* Encode a challenge or a response: base64, an empty message gives an
 * empty string.  MP_ERR_NO_SPACE with `*outlen` = size needed. */
mp_status mp_sasl_encode(const void *msg, size_t n, char *out, size_t cap, size_t *outlen);

/* Encode an initial response for the command line: an empty message gives
 * "=" (RFC 4954 §4).  MP_ERR_NO_SPACE with `*outlen` = size needed. */
mp_status mp_sasl_encode_initial(const void *msg, size_t n, char *out, size_t cap,
                                 size_t *outlen);

/* ======================================================================= */
/* SCRAM key derivation (RFC 5802 §3)                                      */
/* ======================================================================= */

/*
 * What a server stores instead of a password:
 *   SaltedPassword = PBKDF2-HMAC(password, salt, iterations)
 *   StoredKey = H(HMAC(SaltedPassword, "Client Key"))
 *   ServerKey = HMAC(SaltedPassword, "Server Key")
 * `mech` is a SCRAM mechanism (picks the hash); `stored_key` and
 * `server_key` receive the digest size (20 for SHA-1, 32 for SHA-256)
 * bytes each; `salted_password` may be NULL, else receives the digest size
 * too.  Errors: MP_ERR_SASL_MECH (not SCRAM), MP_ERR_UNSUPPORTED (hash
 * missing), MP_ERR_ARG (iterations 0), MP_ERR_SASL_TOO_LONG (salt above
 * MP_SASL_MAX_SALT).  The password is not normalized (see SASLprep above).
 */
mp_status mp_sasl_scram_derive(mp_sasl_mech mech, const mp_crypto_provider *cp,
                               const void *password, size_t pwlen, const void *salt,
                               size_t saltlen, uint32_t iterations, uint8_t *stored_key,
                               uint8_t *server_key, uint8_t *salted_password);

/* ======================================================================= */
/* Client                                                                  */
/* ======================================================================= */

/*
 * What the client authenticates with.  Every pointer is borrowed: the
 * struct and everything it points to must stay valid and unchanged from
 * mp_sasl_client_start() until the exchange ends (mp_sasl_client_finish()
 * or abandoning the client).  Unused fields are zero / empty.
 */
typedef struct mp_sasl_credentials {
    mp_slice authzid;   /* identity to act as; empty = same as username */
    mp_slice username;  /* authentication identity (authcid) */
    mp_slice password;  /* PLAIN, LOGIN, CRAM-MD5, SCRAM (unless cached) */
    mp_slice token;     /* XOAUTH2, OAUTHBEARER access token */
    /* OAUTHBEARER only, optional (RFC 7628 §3.1): host name and port the
     * client connected to; sent when host is not empty. */
    mp_slice oauth_host;
    uint16_t oauth_port;
    /* SCRAM channel binding (RFC 5802 §6).  For SCRAM-*-PLUS: the binding
     * type ("tls-exporter", "tls-server-end-point", "tls-unique") and the
     * data the TLS layer gave.  For plain SCRAM: cb_supported = 1 sends
     * the "y" flag (the client could bind but thinks the server cannot),
     * 0 sends "n". */
    mp_slice cb_type;
    mp_slice cb_data;
    uint8_t cb_supported;
    /* SCRAM cache (optional): when the server's salt and iteration count
     * equal these, `scram_salted_password` (digest size bytes) is used and
     * PBKDF2 is skipped; the password may then be empty.  See
     * mp_sasl_client_scram_cache() to obtain the values after a run. */
    const uint8_t *scram_salted_password;
    const uint8_t *scram_salt;
    size_t scram_salt_len;
    uint32_t scram_iterations;
} mp_sasl_credentials;

/* Client state.  Place it anywhere; sizeof is about 250 bytes with the
 * default limits (tested as a bound in tests/sasl).  Fields are private
 * except `err`. */
typedef struct mp_sasl_client {
    mp_error err;                        /* last failure: code, offset
                                          * into the challenge, rule */
    const mp_sasl_credentials *creds;
    const mp_crypto_provider *crypto;
    const mp_hash_class *hc;
    uint32_t iterations;                 /* SCRAM: from server-first */
    uint8_t mech;                        /* mp_sasl_mech */
    uint8_t state;
    uint8_t nonce_len;
    uint8_t salt_len;
    char nonce[MP_SASL_MAX_NONCE];       /* SCRAM client nonce */
    uint8_t salt[MP_SASL_MAX_SALT];      /* SCRAM: from server-first */
    uint8_t salted_password[MP_HASH_MAX_DIGEST];
    uint8_t server_signature[MP_HASH_MAX_DIGEST];
} mp_sasl_client;

/*
 * Prepare `c` for mechanism `mech` with `creds` and `crypto` (both
 * borrowed for the whole exchange; `crypto` may be NULL for PLAIN, LOGIN,
 * XOAUTH2, OAUTHBEARER, EXTERNAL).  Writes nothing to the wire.  SCRAM
 * draws its client nonce from crypto->random here.
 * Errors: MP_ERR_SASL_MECH (unknown), MP_ERR_UNSUPPORTED (needed hash or
 * random source missing; cb_data missing for -PLUS), MP_ERR_CRYPTO
 * (random failed), MP_ERR_ARG (a required credential missing),
 * MP_ERR_SASL_TOO_LONG (a name above MP_SASL_MAX_NAME or a message that
 * would exceed MP_SASL_MAX_MESSAGE), MP_ERR_UTF8 (a name not UTF-8),
 * MP_ERR_SASL_MESSAGE (NUL in a name, or where the mechanism forbids it).
 */
mp_status mp_sasl_client_start(mp_sasl_client *c, mp_sasl_mech mech,
                               const mp_sasl_credentials *creds,
                               const mp_crypto_provider *crypto);

/* Tests and RFC vectors only: replace the random SCRAM client nonce drawn
 * by mp_sasl_client_start() with `nonce[0..len)` (printable ASCII except
 * ',', at most MP_SASL_MAX_NONCE).  Call before the first message is
 * produced.  MP_ERR_ARG for a bad nonce, MP_ERR_STATE when too late. */
mp_status mp_sasl_client_set_nonce(mp_sasl_client *c, const char *nonce, size_t len);

/*
 * The initial response, to send with the command (SASL-IR).  Writes it to
 * `out` (`*outlen` bytes, possibly 0: send "=").  Returns MP_NEED_MORE (a
 * challenge will follow: SCRAM) or MP_DONE (the mechanism has nothing more
 * to say: PLAIN, EXTERNAL, XOAUTH2, OAUTHBEARER).  MP_ERR_STATE when the
 * mechanism has no initial response (LOGIN, CRAM-MD5: see the
 * MP_SASL_MECH_CLIENT_FIRST flag) or it was already produced;
 * MP_ERR_NO_SPACE.  Calling it is optional: when the protocol cannot carry
 * an initial response, step with the server's first (empty) challenge.
 */
mp_status mp_sasl_client_initial(mp_sasl_client *c, char *out, size_t cap, size_t *outlen);

/*
 * Answer the decoded challenge `chal[0..len)`; the response goes to `out`
 * (`*outlen` bytes, possibly 0).
 *  - MP_NEED_MORE: send the response; another challenge will come.
 *  - MP_DONE: send the response if the protocol asked for one (a
 *    continuation); the mechanism expects no more challenges.  For SCRAM
 *    the server signature has been verified.  For XOAUTH2/OAUTHBEARER a
 *    challenge after the token is the server's error report (RFC 7628
 *    §3.2.2): the response is the dummy ("" / 0x01) that ends the
 *    exchange and mp_sasl_client_finish() will say MP_ERR_SASL_AUTH_FAILED.
 *  - MP_ERR_SASL_SERVER_PROOF: SCRAM server signature wrong (the server
 *    does not know the credentials): abort, send "*" / close.
 *  - MP_ERR_SASL_AUTH_FAILED: SCRAM server sent "e=<error>".
 *  - MP_ERR_SASL_MESSAGE / MP_ERR_SASL_NONCE / MP_ERR_SASL_ITERATIONS /
 *    MP_ERR_SASL_TOO_LONG: malformed challenge, or a challenge after the
 *    mechanism ended (c->err.offset says where); MP_ERR_CRYPTO;
 *    MP_ERR_ARG (SCRAM: the cache did not match and no password given);
 *    MP_ERR_STATE (not started, or called again after an error);
 *    MP_ERR_NO_SPACE (nothing changed; retry with more room).
 * Any other error ends the exchange: cancel it ("*") at the protocol level;
 * mp_sasl_client_finish() then refuses a success.
 */
mp_status mp_sasl_client_step(mp_sasl_client *c, const void *chal, size_t len, char *out,
                              size_t cap, size_t *outlen);

/*
 * The protocol reported success (235 / OK / +OK): may the client believe
 * it?  MP_OK when the mechanism ran to its end; for SCRAM only when the
 * server signature was verified (a server that claims success at any
 * earlier point gets MP_ERR_SASL_SERVER_PROOF: treat it as hostile);
 * MP_ERR_SASL_AUTH_FAILED after an OAuth error challenge; MP_ERR_STATE
 * when the exchange did not run to its end.  Wipes the client's secrets
 * except the SCRAM cache.
 */
mp_status mp_sasl_client_finish(mp_sasl_client *c);

/* After a SCRAM exchange got past the server-first message: the salt,
 * iteration count and SaltedPassword (digest size bytes) to cache in a
 * later mp_sasl_credentials.  Pointers are into `c` and valid until `c` is
 * restarted or wiped.  MP_ERR_STATE when not available. */
mp_status mp_sasl_client_scram_cache(const mp_sasl_client *c, const uint8_t **salt,
                                     size_t *saltlen, uint32_t *iterations,
                                     const uint8_t **salted_password, size_t *splen);

/* Erase every secret and the state; `c` must be started again to be used. */
void mp_sasl_client_wipe(mp_sasl_client *c);

/* ======================================================================= */
/* Server                                                                  */
/* ======================================================================= */

/* mp_sasl_server_config.flags */
enum {
    /* The protocol can carry additional data with its success reply
     * (RFC 4422 §5 "additional data with success").  Without it (SMTP,
     * IMAP) the SCRAM server-final message is sent as one more challenge
     * and the client must answer it with an empty response. */
    MP_SASL_SERVER_SUCCESS_DATA = 1u << 0,
    /* The server advertised SCRAM-*-PLUS: a client sending the "y" flag
     * is then a downgrade attack (RFC 5802 §6) and fails. */
    MP_SASL_SERVER_CB_ADVERTISED = 1u << 1,
    /* Accept LOGIN's user name as an initial response ("AUTH LOGIN
     * dXNlcg=="), a common client habit. */
    MP_SASL_SERVER_LOGIN_IR = 1u << 2
};

/* Server parameters.  Borrowed: the struct and what it points to must stay
 * valid until the exchange ends.  All fields are optional. */
typedef struct mp_sasl_server_config {
    unsigned flags;              /* MP_SASL_SERVER_* */
    /* CRAM-MD5: the challenge is "<" 16 random hex digits ".0@" hostname
     * ">" (the library never reads the clock), unless cram_challenge is
     * not empty: then it is sent as given (at most MP_SASL_MAX_MESSAGE). */
    mp_slice hostname;
    mp_slice cram_challenge;
    /* SCRAM: server nonce part; empty = 24 characters from crypto->random.
     * Printable ASCII except ','. Tests use it to replay the RFC. */
    mp_slice scram_nonce;
    /* SCRAM-*-PLUS: the binding type this connection supports and its
     * data, as the TLS layer gave them. */
    mp_slice cb_type;
    mp_slice cb_data;
    /* OAUTHBEARER / XOAUTH2: the JSON sent as the error challenge when the
     * host rejects the token; empty = {"status":"invalid_token"}. */
    mp_slice oauth_error;
    /* SCRAM unknown user (mp_sasl_server_verify(s, 0) instead of keys):
     * the made-up salt is HMAC(scram_fake_secret, user name), stable
     * across attempts so that probing cannot tell (random when empty), and
     * the iteration count is scram_fake_iterations (0 = 4096): set both
     * like the real accounts'. */
    mp_slice scram_fake_secret;
    uint32_t scram_fake_iterations;
} mp_sasl_server_config;

/* What the host must answer when a step returned MP_PAUSED. */
typedef enum mp_sasl_want {
    MP_SASL_WANT_NOTHING = 0,
    /* Check authcid/password (PLAIN, LOGIN), the token (XOAUTH2,
     * OAUTHBEARER), or the external identity (EXTERNAL): call
     * mp_sasl_server_verify(). */
    MP_SASL_WANT_VERIFY = 1,
    /* SCRAM: look up authcid's salt, iteration count, StoredKey, ServerKey:
     * call mp_sasl_server_set_scram(), or mp_sasl_server_verify(s, 0) for
     * an unknown user (the exchange goes on with made-up data and fails at
     * the end, so that user names cannot be probed). */
    MP_SASL_WANT_SCRAM_KEYS = 2,
    /* CRAM-MD5: call mp_sasl_server_set_secret() with authcid's password,
     * or mp_sasl_server_verify(s, 0) for an unknown user. */
    MP_SASL_WANT_SECRET = 3
} mp_sasl_want;

/*
 * Server state.  Place it anywhere; sizeof is about 1.9 KiB with the
 * default limits (tested as a bound in tests/sasl).  Public fields:
 *  - err: last failure (code, offset into the response, rule).
 *  - want: what the host must answer after MP_PAUSED.
 *  - authzid, authcid: the identities the client asked for (authzid empty
 *    = same as authcid).  Valid from MP_PAUSED until the struct is
 *    restarted or wiped, also after MP_DONE or a failure (for the host's
 *    log); they point into the struct (do not copy the struct while using
 *    them).  After MP_DONE the host must still check that authcid may act
 *    as authzid.
 *  - password (PLAIN, LOGIN), token (XOAUTH2, OAUTHBEARER): valid only
 *    while paused; wiped when the host answers.
 * Everything else is private.
 */
typedef struct mp_sasl_server {
    mp_error err;
    mp_sasl_want want;
    mp_slice authzid;
    mp_slice authcid;
    mp_slice password;
    mp_slice token;
    /* private */
    const mp_crypto_provider *crypto;
    const mp_hash_class *hc;
    const mp_sasl_server_config *cfg;
    size_t len;           /* bytes used in buf */
    size_t gs2_len;       /* SCRAM: gs2-header = buf[0..gs2_len) */
    size_t cnonce_off;    /* SCRAM: client nonce in buf */
    uint32_t iterations;
    uint8_t mech;         /* mp_sasl_mech */
    uint8_t state;
    uint8_t verdict;
    uint8_t salt_len;
    uint8_t cnonce_len;
    uint8_t snonce_len;
    uint8_t cb_flag;      /* SCRAM: 'n', 'y' or 'p' */
    char snonce[MP_SASL_MAX_NONCE];
    uint8_t salt[MP_SASL_MAX_SALT];
    uint8_t stored_key[MP_HASH_MAX_DIGEST];
    uint8_t server_key[MP_HASH_MAX_DIGEST];
    char idbuf[2 * MP_SASL_MAX_NAME];     /* unescaped authzid, authcid */
    char buf[MP_SASL_MAX_MESSAGE];        /* message / SCRAM AuthMessage */
} mp_sasl_server;

/*
 * Prepare `s` for mechanism `mech`.  `crypto` (for CRAM-MD5 and SCRAM:
 * hashes and random) and `cfg` (may be NULL: defaults) are borrowed for
 * the whole exchange.  Writes nothing.
 * Errors: MP_ERR_SASL_MECH, MP_ERR_UNSUPPORTED (hash or random missing,
 * -PLUS without cfg->cb_data), MP_ERR_CRYPTO (random failed),
 * MP_ERR_ARG (bad cfg->scram_nonce, over-long cram challenge).
 */
mp_status mp_sasl_server_start(mp_sasl_server *s, mp_sasl_mech mech,
                               const mp_crypto_provider *crypto,
                               const mp_sasl_server_config *cfg);

/*
 * Advance the exchange.  `resp` is the client's decoded response; NULL
 * means "no input", used twice:
 *  - first call without an initial response: the first challenge is
 *    written (empty for client-first mechanisms, "Username:" for LOGIN,
 *    the "<...>" string for CRAM-MD5);
 *  - after MP_PAUSED once the host answered: the next challenge/result.
 * An empty response is a non-NULL pointer with len 0 (e.g. "=" decoded).
 * The first call with resp != NULL is the initial response.
 * Returns:
 *  - MP_NEED_MORE: send `out[0..*outlen)` as a challenge (possibly empty),
 *    then pass the client's next response.
 *  - MP_PAUSED: s->want says what the host must answer; nothing written.
 *  - MP_DONE: authenticated.  `*outlen` > 0 only with
 *    MP_SASL_SERVER_SUCCESS_DATA: the SCRAM server-final to send with the
 *    success reply.
 *  - MP_ERR_SASL_AUTH_FAILED: wrong credentials or the host said no
 *    (reply 535 / NO / -ERR).  For OAuth the error challenge went out
 *    first (MP_NEED_MORE) and this comes after the client's dummy answer.
 *  - MP_ERR_SASL_MESSAGE, MP_ERR_SASL_NONCE, MP_ERR_SASL_TOO_LONG,
 *    MP_ERR_SASL_CHANNEL_BINDING, MP_ERR_UTF8: malformed response
 *    (s->err.offset says where; reply 501 / BAD / -ERR).
 *  - MP_ERR_STATE: input while paused (the host has not answered), input
 *    after the end, or NULL where a response is due.
 *  - MP_ERR_NO_SPACE: nothing changed; retry with more room.
 *  - MP_ERR_CRYPTO.
 * Any error other than MP_ERR_NO_SPACE / MP_ERR_STATE ends the exchange.
 */
mp_status mp_sasl_server_step(mp_sasl_server *s, const void *resp, size_t len, char *out,
                              size_t cap, size_t *outlen);

/* Host answer to MP_SASL_WANT_VERIFY (ok = 1 accept, 0 reject) or, with
 * ok = 0, to MP_SASL_WANT_SCRAM_KEYS / MP_SASL_WANT_SECRET (unknown user).
 * Wipes the password / token.  MP_ERR_STATE when not paused for it. */
mp_status mp_sasl_server_verify(mp_sasl_server *s, int ok);

/* Host answer to MP_SASL_WANT_SCRAM_KEYS: authcid's stored data (from
 * mp_sasl_scram_derive()).  Keys are the mechanism's digest size.  Copied;
 * the caller may wipe its own copies on return.  Errors: MP_ERR_STATE,
 * MP_ERR_ARG (iterations 0, NULL keys), MP_ERR_SASL_TOO_LONG (salt above
 * MP_SASL_MAX_SALT). */
mp_status mp_sasl_server_set_scram(mp_sasl_server *s, const void *salt, size_t saltlen,
                                   uint32_t iterations, const uint8_t *stored_key,
                                   const uint8_t *server_key);

/* Host answer to MP_SASL_WANT_SECRET: authcid's password for CRAM-MD5
 * (read during the call only).  MP_ERR_STATE when not paused for it. */
mp_status mp_sasl_server_set_secret(mp_sasl_server *s, const void *password, size_t len);

/* Erase every secret, identity and the state. */
void mp_sasl_server_wipe(mp_sasl_server *s);

#ifdef __cplusplus
}
#endif

#endif /* MAILPROTO_SASL_H */
