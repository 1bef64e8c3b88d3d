/*
 * libmailproto: every public header of the core library in one include.
 *
 * SMTP / LMTP (smtp.h, smtp_client.h), POP3 (pop3.h, pop3_client.h), IMAP
 * (imap.h, imap_command.h, imap_client.h), message structure (mime.h), SASL,
 * the crypto provider interface and the shared core (status codes, slices,
 * output buffer, line framer, dot-stuffing, base64, modified UTF-7).  The
 * declarations are there whatever modules the library was built with
 * (MAILPROTO_WITH_SMTP / _POP3 / _IMAP / _MIME); linking a function of a
 * module left out fails at link time, never silently.
 *
 * The optional mbedTLS adapter (mailproto/mbedtls.h, library
 * mailproto-mbedtls) is not included: it needs mbedTLS's own headers.
 *
 * Guide: docs/README.md lists the documentation; docs/architecture.md
 * explains the shape all parts share.
 */
#ifndef MAILPROTO_MAILPROTO_H
#define MAILPROTO_MAILPROTO_H

#include "version.h"
#include "config.h"
#include "core.h"
#include "crypto.h"
#include "sasl.h"
#include "smtp.h"
#include "smtp_client.h"
#include "pop3.h"
#include "pop3_client.h"
#include "pop3_server.h"
#include "imap.h"
#include "imap_command.h"
#include "imap_client.h"
#include "imap_server.h"
#include "mime.h"

#endif /* MAILPROTO_MAILPROTO_H */
