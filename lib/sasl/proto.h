/* What the protocol server sessions share on top of the SASL server (SMTP
 * AUTH in lib/smtp, POP3 AUTH in lib/pop3, IMAP AUTHENTICATE and LOGIN in
 * lib/imap): the checks of the host's names and lists at init, which
 * mechanisms may be offered, the host's list read name by name, the
 * challenge line and the step that refuses when no host can check.
 * Private to lib/. */
#ifndef MP_SASL_PROTO_H
#define MP_SASL_PROTO_H

#include "mailproto/sasl.h"

/* 1 when `text`, a NUL-terminated string of the host's configuration, is
 * 1..max octets of printable ASCII; spaces allowed when `spaces` (a
 * mechanism list, a text) and not otherwise (a host name).  The session
 * inits refuse anything else with MP_ERR_ARG: it goes into their replies
 * as it is. */
int mp_sasl_proto_text_ok(const char *text, size_t max, int spaces);

/* The longest mechanism list (config->auth_mechs) a server session takes. */
#define MP_SASL_PROTO_MAX_MECHS 200u

/* The set of the host's mechanism list (config->auth_mechs: names split
 * by spaces), or 0 for a list the session init refuses (MP_ERR_ARG): not
 * printable, empty, longer than MP_SASL_PROTO_MAX_MECHS, or without one
 * mechanism that lib/sasl knows. */
mp_sasl_mech_set mp_sasl_proto_mechs(const char *list);

/* `set` without the mechanisms that show a password or a token (PLAIN,
 * LOGIN, XOAUTH2, OAUTHBEARER) unless `cleartext_ok` (TLS is on, or the
 * host allows cleartext; docs/security.md). */
mp_sasl_mech_set mp_sasl_proto_offered(mp_sasl_mech_set set, int cleartext_ok);

/* The next name of the space-separated mechanism list at `*list` (a
 * host's NUL-terminated configuration string): `*name` is it, `*list`
 * moves past it.  Returns its mechanism (MP_SASL_MECH_NONE when unknown),
 * or MP_SASL_MECH_COUNT at the end of the list. */
mp_sasl_mech mp_sasl_proto_next_name(const char **list, mp_slice *name);

/* `prefix` ("334 ", "+ "), base64 of msg[0..n) and CRLF: whole or nothing
 * (MP_ERR_NO_SPACE).  Longer than a reply line may be; the RFCs allow it. */
mp_status mp_sasl_proto_challenge(mp_outbuf *ob, const char *prefix, const void *msg, size_t n);

/* mp_sasl_server_step(), except that when nobody can check the
 * credentials (`host_checks` 0) a pause is answered "no" at once: the
 * mechanism still runs to its end so that user names cannot be probed. */
mp_status mp_sasl_proto_step(mp_sasl_server *s, int host_checks, const void *resp, size_t n,
                             char *out, size_t cap, size_t *outlen);

#endif
