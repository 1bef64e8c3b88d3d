/* Test scaffolding shared by the mbedTLS adapter tests (each test_*.c is
 * its own program, so these are static definitions in a header included
 * once per program): the test credentials in MP_TLS_DATA and the client
 * and server configurations built from them (static storage: the configs
 * are big and must not move). */
#ifndef MP_TEST_TLS_FIXTURE_H
#define MP_TEST_TLS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "mailproto/mbedtls.h"

static char data_dir[1024];
static mp_tls_config client_cfg, server_cfg;

/* `name` under the data directory; the result stays valid for the next
 * three calls (so one expression may hold several). */
static const char *data_path(const char *name)
{
    static char path[4][1200];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", data_dir, name);
    return path[k];
}

/* cmocka group setup: a client trusting ca.pem, a server with
 * server.pem/server.key.  -1 when a file cannot be loaded. */
static int tls_group_setup(void **s)
{
    const char *d = getenv("MP_TLS_DATA");
    (void)s;
    snprintf(data_dir, sizeof data_dir, "%s", d != NULL ? d : "tests/mbedtls/data");
    if (mp_tls_config_init(&client_cfg, MP_TLS_CLIENT) != MP_OK) return -1;
    if (mp_tls_config_ca_file(&client_cfg, data_path("ca.pem")) != MP_OK) return -1;
    if (mp_tls_config_init(&server_cfg, MP_TLS_SERVER) != MP_OK) return -1;
    if (mp_tls_config_own_cert_file(&server_cfg, data_path("server.pem"), data_path("server.key"),
                                    NULL) != MP_OK)
        return -1;
    return 0;
}

static int tls_group_teardown(void **s)
{
    (void)s;
    mp_tls_config_free(&client_cfg);
    mp_tls_config_free(&server_cfg);
    return 0;
}

#endif
