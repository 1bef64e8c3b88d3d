// A C++17 consumer: every public header, compiled with -Wall -Wextra
// -Wpedantic -Werror, and calls through the C linkage of each part.
#include <cstdio>
#include <cstring>

#include <mailproto/mailproto.h>
#include <mailproto/config.h>
#include <mailproto/core.h>
#include <mailproto/crypto.h>
#include <mailproto/imap.h>
#include <mailproto/imap_command.h>
#include <mailproto/pop3.h>
#include <mailproto/pop3_client.h>
#include <mailproto/sasl.h>
#include <mailproto/smtp.h>
#include <mailproto/smtp_client.h>
#include <mailproto/version.h>
// The mbedTLS adapter's header needs mbedTLS's headers (libmbedtls-dev);
// only its declarations are checked here, nothing of it is linked.
#include <mailproto/mbedtls.h>

static int fail(const char *what)
{
    std::fprintf(stderr, "consumer_cxx: %s\n", what);
    return 1;
}

int main()
{
    if (std::strcmp(mp_version(), MP_VERSION_STRING) != 0)
        return fail("version");

    // core: an output buffer and a reply written into it (smtp.h)
    char buf[128];
    mp_outbuf ob;
    mp_outbuf_init(&ob, buf, sizeof buf);
    if (mp_smtp_reply_write(&ob, 250, "2.0.0", "OK") != MP_OK ||
        std::strncmp(buf, "250 2.0.0 OK\r\n", ob.len) != 0)
        return fail("smtp reply");

    // base64 and a hash through the crypto provider (crypto.h)
    char b64[16];
    size_t n = 0;
    if (mp_base64_encode("abc", 3, b64, sizeof b64, &n) != MP_OK || n != 4 ||
        std::memcmp(b64, "YWJj", 4) != 0)
        return fail("base64");
    uint8_t digest[MP_HASH_MAX_DIGEST];
    mp_hash(&mp_sha256_builtin, "abc", 3, digest);
    if (digest[0] != 0xba || digest[31] != 0xad)
        return fail("sha256");

    // SASL mechanism table (sasl.h)
    if (mp_sasl_mech_from_name("SCRAM-SHA-256", 13) != MP_SASL_SCRAM_SHA_256)
        return fail("sasl");

    // IMAP: the event builders are inline functions of the header (imap.h)
    mp_outbuf rob;
    char rbuf[128];
    mp_outbuf_init(&rob, rbuf, sizeof rbuf);
    mp_imap_resp_writer w;
    mp_imap_resp_writer_init(&w, &rob, 0, 0);
    if (mp_imap_resp_write_status(&w, "a1", MP_IMAP_RESP_OK, nullptr, "done") != MP_OK ||
        std::strncmp(rbuf, "a1 OK done\r\n", rob.len) != 0)
        return fail("imap status");
    mp_imap_resp_event ev = mp_imap_ev_number(MP_IMAP_F_NONE, 7);
    if (ev.num != 7 || ev.type != MP_IMAP_EV_VALUE)
        return fail("imap event");
    if (std::strcmp(mp_imap_cmd_name(MP_IMAP_CMD_UID_FETCH), "UID FETCH") != 0)
        return fail("imap command name");

    // POP3: a command and a status line through the C linkage
    mp_pop3_cmd pc;
    mp_error pe;
    if (mp_pop3_cmd_parse("RETR 7", 6, 0, nullptr, &pc, &pe) != MP_OK || pc.msgno != 7 ||
        pc.verb != MP_POP3_RETR)
        return fail("pop3 command");
    mp_outbuf_init(&rob, rbuf, sizeof rbuf);
    if (mp_pop3_write_status(&rob, 0, mp_slice_make("IN-USE", 6), mp_slice_make("locked", 6)) !=
            MP_OK ||
        std::strncmp(rbuf, "-ERR [IN-USE] locked\r\n", rob.len) != 0)
        return fail("pop3 status");

    // POP3 client session: the greeting read, CAPA written
    {
        static mp_pop3_client pc3;
        static char pout[256];
        static const mp_pop3_client_config pcfg = {};
        static const mp_pop3_client_callbacks pcb = {
            [](void *, const mp_pop3_client_event *) { return 0; }};
        size_t used = 0, n = 0;
        if (mp_pop3_client_init(&pc3, &pcfg, &pcb, nullptr, pout, sizeof pout) != MP_OK ||
            mp_pop3_client_feed(&pc3, "+OK hi\r\n", 8, &used) != MP_NEED_MORE ||
            std::strncmp(mp_pop3_client_output(&pc3, &n), "CAPA\r\n", 6) != 0 || n != 6)
            return fail("pop3 client");
    }

    // the adapter's types are complete in C++ too
    static_assert(sizeof(mp_tls_pump) > MP_TLS_PUMP_IN_BUF, "mp_tls_pump holds its buffers");

    std::printf("consumer_cxx: ok, version %s\n", mp_version());
    return 0;
}
