/*
 * docs/sasl.md: a SASL client and a SASL server authenticating with
 * SCRAM-SHA-256, outside any protocol.
 *
 * The client picks the best mechanism the server offers, the server keeps
 * only SCRAM keys (never the password), and every message crosses a
 * "wire" base64-encoded, as SMTP AUTH, IMAP AUTHENTICATE and POP3 AUTH
 * carry them.  The exchange runs twice: with the right password it must
 * succeed on both sides (the client also checks the server's proof), with
 * a wrong one the server must refuse.  Exit 0 when both outcomes are
 * right.
 */
#include <stdio.h>
#include <string.h>

#include <mailproto/sasl.h>

/* The host supplies randomness (nonces); the library never invents it. */
static int urandom(void *user, uint8_t *out, size_t len)
{
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(out, 1, len, f) : 0;
    (void)user;
    if (f)
        fclose(f);
    return got == len ? 0 : -1;
}

/* The server's account database: what SCRAM stores instead of a password
 * (RFC 5802 §3), derived once when the password is set. */
typedef struct account {
    const char *name;
    uint8_t salt[16];
    uint32_t iterations;
    uint8_t stored_key[MP_HASH_MAX_DIGEST];
    uint8_t server_key[MP_HASH_MAX_DIGEST];
} account;

/* One message over the wire: base64 as the protocols frame it, decoded by
 * the other side with the framing helpers. */
static mp_status transfer(const char *who, const char *msg, size_t n, char *out, size_t cap,
                          size_t *outlen, int to_server)
{
    char line[2 * MP_SASL_MAX_MESSAGE];
    size_t ll = 0;
    mp_status st = mp_sasl_encode(msg, n, line, sizeof line, &ll);
    if (st != MP_OK)
        return st;
    printf("%s %.*s\n", who, (int)ll, line);
    return to_server ? mp_sasl_decode_response(line, ll, out, cap, outlen)
                     : mp_sasl_decode_challenge(line, ll, out, cap, outlen);
}

/* Run one exchange; returns the server's verdict (MP_DONE: authenticated). */
static mp_status authenticate(const account *acct, const char *user, const char *password,
                              const mp_crypto_provider *cp)
{
    static mp_sasl_client c;
    static mp_sasl_server s;
    static const char offered[] = "PLAIN LOGIN CRAM-MD5 SCRAM-SHA-1 SCRAM-SHA-256";
    mp_sasl_credentials creds;
    char msg[MP_SASL_MAX_MESSAGE], got[MP_SASL_MAX_MESSAGE];
    size_t n = 0, gn = 0;
    mp_status cst, sst;
    mp_sasl_mech mech;

    /* Client: choose.  Without TLS (flags 0) PLAIN and LOGIN are not
     * eligible: they would show the password. */
    mech = mp_sasl_choose(mp_sasl_mechs_parse(offered, sizeof offered - 1, 0), 0);
    printf("client: chose %s\n", mp_sasl_mech_get(mech)->name);
    memset(&creds, 0, sizeof creds);
    creds.username = mp_slice_make(user, strlen(user));
    creds.password = mp_slice_make(password, strlen(password));
    if (mp_sasl_client_start(&c, mech, &creds, cp) != MP_OK ||
        mp_sasl_server_start(&s, mech, cp, NULL) != MP_OK)
        return MP_ERR_ARG;

    /* SCRAM is client-first: the initial response goes with the command. */
    cst = mp_sasl_client_initial(&c, msg, sizeof msg, &n);
    if (cst != MP_NEED_MORE || transfer("C:", msg, n, got, sizeof got, &gn, 1) != MP_OK)
        return MP_ERR_ARG;
    sst = mp_sasl_server_step(&s, got, gn, msg, sizeof msg, &n);

    for (;;) {
        if (sst == MP_PAUSED && s.want == MP_SASL_WANT_SCRAM_KEYS) {
            /* The host looks the user up (it may take its time: the
             * server waits).  An unknown user still gets made-up keys
             * (mp_sasl_server_verify(&s, 0)) so names cannot be probed. */
            if (mp_slice_eq_ci(s.authcid, acct->name, strlen(acct->name)))
                mp_sasl_server_set_scram(&s, acct->salt, sizeof acct->salt, acct->iterations,
                                         acct->stored_key, acct->server_key);
            else
                mp_sasl_server_verify(&s, 0);
            sst = mp_sasl_server_step(&s, NULL, 0, msg, sizeof msg, &n);
            continue;
        }
        if (sst != MP_NEED_MORE)
            break; /* MP_DONE, or a failure */
        /* A challenge ("334 ..." / "+ ...") to the client, its answer back. */
        if (transfer("S:", msg, n, got, sizeof got, &gn, 0) != MP_OK)
            return MP_ERR_ARG;
        cst = mp_sasl_client_step(&c, got, gn, msg, sizeof msg, &n);
        if (mp_is_error(cst)) {
            printf("client: %s\n", mp_strerror(cst));
            return cst;
        }
        if (transfer("C:", msg, n, got, sizeof got, &gn, 1) != MP_OK)
            return MP_ERR_ARG;
        sst = mp_sasl_server_step(&s, got, gn, msg, sizeof msg, &n);
    }
    printf("server: %s\n", sst == MP_DONE ? "authenticated" : mp_strerror(sst));
    /* The protocol says success (235 / OK / +OK): may the client believe
     * it?  For SCRAM only when the server proved it knows the keys. */
    if (sst == MP_DONE && mp_sasl_client_finish(&c) != MP_OK)
        return MP_ERR_SASL_SERVER_PROOF;
    mp_sasl_client_wipe(&c);
    mp_sasl_server_wipe(&s);
    return sst;
}

int main(void)
{
    mp_crypto_provider cp = mp_crypto_builtin(urandom, NULL);
    static account acct = { .name = "user", .iterations = 4096 };
    mp_status ok, bad;

    /* Setting the password: a random salt, then the two keys. */
    if (urandom(NULL, acct.salt, sizeof acct.salt) != 0 ||
        mp_sasl_scram_derive(MP_SASL_SCRAM_SHA_256, &cp, "pencil", 6, acct.salt,
                             sizeof acct.salt, acct.iterations, acct.stored_key,
                             acct.server_key, NULL) != MP_OK)
        return 1;

    ok = authenticate(&acct, "user", "pencil", &cp);
    bad = authenticate(&acct, "user", "pen", &cp);
    if (ok != MP_DONE || bad != MP_ERR_SASL_AUTH_FAILED) {
        printf("FAIL: right password %s, wrong password %s\n", mp_status_name(ok),
               mp_status_name(bad));
        return 1;
    }
    printf("ok: right password accepted with mutual proof, wrong password refused\n");
    return 0;
}
