/* A sane mbedtls_ssl_config for each role, from PEM files or strings. */
#include "mailproto/mbedtls.h"

#include <string.h>

#include <mbedtls/version.h>
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
#include <psa/crypto.h>
#endif

static const char pers[] = "libmailproto";

static mp_status tls_fail(mp_tls_config *c, int r)
{
    c->tls_error = r;
    return MP_ERR_TLS;
}

mp_status mp_tls_config_init(mp_tls_config *c, mp_tls_role role)
{
    int r;

    if (c == NULL) return MP_ERR_ARG;
    c->tls_error = 0;
    mbedtls_ssl_config_init(&c->conf);
    mbedtls_entropy_init(&c->entropy);
    mbedtls_ctr_drbg_init(&c->drbg);
    mbedtls_x509_crt_init(&c->ca);
    mbedtls_x509_crt_init(&c->cert);
    mbedtls_pk_init(&c->key);
    if (role != MP_TLS_CLIENT && role != MP_TLS_SERVER) return MP_ERR_ARG;

#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_PSA_CRYPTO_C)
    /* TLS 1.3 and MBEDTLS_USE_PSA_CRYPTO need PSA; idempotent. */
    if (psa_crypto_init() != PSA_SUCCESS) return tls_fail(c, MBEDTLS_ERR_SSL_HW_ACCEL_FAILED);
#endif
    r = mbedtls_ctr_drbg_seed(&c->drbg, mbedtls_entropy_func, &c->entropy,
                              (const unsigned char *)pers, sizeof pers - 1);
    if (r != 0) return tls_fail(c, r);
    r = mbedtls_ssl_config_defaults(&c->conf,
                                    role == MP_TLS_CLIENT ? MBEDTLS_SSL_IS_CLIENT
                                                          : MBEDTLS_SSL_IS_SERVER,
                                    MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    if (r != 0) return tls_fail(c, r);
    mbedtls_ssl_conf_rng(&c->conf, mbedtls_ctr_drbg_random, &c->drbg);
#if MBEDTLS_VERSION_NUMBER >= 0x03020000
    mbedtls_ssl_conf_min_tls_version(&c->conf, MBEDTLS_SSL_VERSION_TLS1_2);
#else
    mbedtls_ssl_conf_min_version(&c->conf, MBEDTLS_SSL_MAJOR_VERSION_3,
                                 MBEDTLS_SSL_MINOR_VERSION_3);
#endif
#if defined(MBEDTLS_SSL_RENEGOTIATION)
    mbedtls_ssl_conf_renegotiation(&c->conf, MBEDTLS_SSL_RENEGOTIATION_DISABLED);
#endif
    /* Clients verify the server (and a hostname is then mandatory, see
     * mp_tls_pump_setup); servers do not ask for client certificates. */
    mbedtls_ssl_conf_authmode(&c->conf, role == MP_TLS_CLIENT ? MBEDTLS_SSL_VERIFY_REQUIRED
                                                              : MBEDTLS_SSL_VERIFY_NONE);
    mbedtls_ssl_conf_ca_chain(&c->conf, &c->ca, NULL);
    return MP_OK;
}

/* mbedtls_x509_crt_parse returns a positive count of certificates it
 * skipped; accept that as long as one was loaded. */
static mp_status ca_result(mp_tls_config *c, int r)
{
    if (r < 0) return tls_fail(c, r);
    if (c->ca.version == 0) return tls_fail(c, MBEDTLS_ERR_X509_CERT_UNKNOWN_FORMAT);
    return MP_OK;
}

mp_status mp_tls_config_ca_file(mp_tls_config *c, const char *path)
{
    if (c == NULL || path == NULL) return MP_ERR_ARG;
#if defined(MBEDTLS_FS_IO)
    return ca_result(c, mbedtls_x509_crt_parse_file(&c->ca, path));
#else
    return MP_ERR_UNSUPPORTED;
#endif
}

mp_status mp_tls_config_ca_pem(mp_tls_config *c, const char *pem)
{
    if (c == NULL || pem == NULL) return MP_ERR_ARG;
    /* PEM input is passed with its terminating NUL, as mbedTLS requires. */
    return ca_result(c, mbedtls_x509_crt_parse(&c->ca, (const unsigned char *)pem,
                                               strlen(pem) + 1));
}

/* Both parsed: check that the key matches and install them. */
static mp_status own_cert_install(mp_tls_config *c)
{
    int r;
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    r = mbedtls_pk_check_pair(&c->cert.pk, &c->key, mbedtls_ctr_drbg_random, &c->drbg);
#else
    r = mbedtls_pk_check_pair(&c->cert.pk, &c->key);
#endif
    if (r != 0) return tls_fail(c, r);
    r = mbedtls_ssl_conf_own_cert(&c->conf, &c->cert, &c->key);
    if (r != 0) return tls_fail(c, r);
    return MP_OK;
}

mp_status mp_tls_config_own_cert_file(mp_tls_config *c, const char *cert_path,
                                      const char *key_path, const char *password)
{
    int r;

    if (c == NULL || cert_path == NULL || key_path == NULL) return MP_ERR_ARG;
#if defined(MBEDTLS_FS_IO)
    r = mbedtls_x509_crt_parse_file(&c->cert, cert_path);
    if (r != 0) return tls_fail(c, r < 0 ? r : MBEDTLS_ERR_X509_CERT_UNKNOWN_FORMAT);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    r = mbedtls_pk_parse_keyfile(&c->key, key_path, password, mbedtls_ctr_drbg_random, &c->drbg);
#else
    r = mbedtls_pk_parse_keyfile(&c->key, key_path, password);
#endif
    if (r != 0) return tls_fail(c, r);
    return own_cert_install(c);
#else
    (void)password;
    (void)r;
    return MP_ERR_UNSUPPORTED;
#endif
}

mp_status mp_tls_config_own_cert_pem(mp_tls_config *c, const char *cert_pem,
                                     const char *key_pem, const char *password)
{
    size_t pwlen = password != NULL ? strlen(password) : 0;
    int r;

    if (c == NULL || cert_pem == NULL || key_pem == NULL) return MP_ERR_ARG;
    r = mbedtls_x509_crt_parse(&c->cert, (const unsigned char *)cert_pem, strlen(cert_pem) + 1);
    if (r != 0) return tls_fail(c, r < 0 ? r : MBEDTLS_ERR_X509_CERT_UNKNOWN_FORMAT);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    r = mbedtls_pk_parse_key(&c->key, (const unsigned char *)key_pem, strlen(key_pem) + 1,
                             (const unsigned char *)password, pwlen, mbedtls_ctr_drbg_random,
                             &c->drbg);
#else
    r = mbedtls_pk_parse_key(&c->key, (const unsigned char *)key_pem, strlen(key_pem) + 1,
                             (const unsigned char *)password, pwlen);
#endif
    if (r != 0) return tls_fail(c, r);
    return own_cert_install(c);
}

void mp_tls_config_free(mp_tls_config *c)
{
    if (c == NULL) return;
    mbedtls_ssl_config_free(&c->conf);
    mbedtls_pk_free(&c->key);
    mbedtls_x509_crt_free(&c->cert);
    mbedtls_x509_crt_free(&c->ca);
    mbedtls_ctr_drbg_free(&c->drbg);
    mbedtls_entropy_free(&c->entropy);
}
