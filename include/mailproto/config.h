/*
 * libmailproto — compile-time configuration.
 *
 * Every limit the library enforces is a macro here with an RFC-derived
 * default.  Override any of them on the compiler command line
 * (-DMP_SMTP_MAX_COMMAND_LINE=1024) or in a header passed with
 * -DMP_CONFIG_HEADER="\"my_config.h\"".  Hitting a limit is always a
 * distinct status code (see core.h), never a silent truncation.
 *
 * Where a limit sizes a buffer inside a state struct it is a hard upper
 * bound; sessions also take a run-time value in their config that may only
 * lower it.
 *
 * Guide: docs/security.md (the table of every limit, what hitting it
 * gives) and docs/architecture.md ("Limits", "Building what you need").
 */
#ifndef MAILPROTO_CONFIG_H
#define MAILPROTO_CONFIG_H

#ifdef MP_CONFIG_HEADER
#include MP_CONFIG_HEADER
#endif

/* ---- Feature switches (CMake options MAILPROTO_WITH_*) ------------------ */
#ifndef MP_ENABLE_SMTP
#define MP_ENABLE_SMTP 1
#endif
#ifndef MP_ENABLE_POP3
#define MP_ENABLE_POP3 1
#endif
#ifndef MP_ENABLE_IMAP
#define MP_ENABLE_IMAP 1
#endif
#ifndef MP_ENABLE_SASL
#define MP_ENABLE_SASL 1
#endif
/* The message-structure parser (mime.h): what an IMAP server needs to
 * answer FETCH ENVELOPE / BODYSTRUCTURE / BODY[section]. */
#ifndef MP_ENABLE_MIME
#define MP_ENABLE_MIME 1
#endif
/* The built-in software crypto provider (MD5, SHA-1, SHA-256, HMAC, PBKDF2).
 * A firmware image that has hardware crypto may drop it and supply its own
 * provider (crypto.h). */
#ifndef MP_ENABLE_BUILTIN_CRYPTO
#define MP_ENABLE_BUILTIN_CRYPTO 1
#endif
/* The English text of every status, for mp_strerror() (about 4.9 KB with
 * its lookup on Cortex-M4, linked only by a program that calls
 * mp_strerror; the names of mp_status_name are 3.3 KB apart).  0 (CMake:
 * -DMAILPROTO_WITH_STATUS_TEXT=OFF) leaves the texts out: mp_strerror()
 * then returns the status name ("MP_ERR_BARE_LF"), as mp_status_name()
 * does. */
#ifndef MP_ENABLE_STATUS_TEXT
#define MP_ENABLE_STATUS_TEXT 1
#endif
/* Table-driven fast paths that read the common shapes of input in one
 * pass before the byte-by-byte parser (the SMTP command parser's, 1.7 KB
 * on Cortex-M4).  The results are the same without them (the tests hold
 * both paths to it), only slower: 0 (CMake:
 * -DMAILPROTO_WITH_FAST_PATHS=OFF) is for firmware short of flash. */
#ifndef MP_ENABLE_FAST_PATHS
#define MP_ENABLE_FAST_PATHS 1
#endif
/* The RFC rule each error names in mp_error.rule ("RFC 5321 4.1.2
 * Mailbox"): 0 (CMake: -DMAILPROTO_WITH_RULE_TEXT=OFF) makes them "",
 * about 0.4 to 1.5 KB less per role on Cortex-M4; the status and the
 * offset are unchanged, and so is every check. */
#ifndef MP_ENABLE_RULE_TEXT
#define MP_ENABLE_RULE_TEXT 1
#endif

/* ---- Line framing (core) ------------------------------------------------ */
/* Largest line any framer may be configured for; sizes nothing by itself. */
#ifndef MP_MAX_LINE
#define MP_MAX_LINE 65536u
#endif

/* ---- SMTP (RFC 5321 §4.5.3.1) ------------------------------------------- */
/* Command line incl. CRLF: 512 (§4.5.3.1.4), plus room for ESMTP
 * parameters that extensions add (RFC 1869 allows +? per extension;
 * SIZE/BODY/SMTPUTF8/DSN/AUTH/REQUIRETLS/MT-PRIORITY fit in 1024). */
#ifndef MP_SMTP_MAX_COMMAND_LINE
#define MP_SMTP_MAX_COMMAND_LINE 1024u
#endif
/* Reply line incl. CRLF (§4.5.3.1.5). */
#ifndef MP_SMTP_MAX_REPLY_LINE
#define MP_SMTP_MAX_REPLY_LINE 512u
#endif
/* Text line in DATA incl. CRLF (§4.5.3.1.6); only enforced on request
 * (MP_SMTP_SRV_TEXT_LINE_LIMIT): real mail exceeds it. */
#ifndef MP_SMTP_MAX_TEXT_LINE
#define MP_SMTP_MAX_TEXT_LINE 1000u
#endif
/* Reverse-path / forward-path incl. angle brackets (§4.5.3.1.3). */
#ifndef MP_SMTP_MAX_PATH
#define MP_SMTP_MAX_PATH 256u
#endif
/* Local part 64, domain 255 (§4.5.3.1.1, §4.5.3.1.2). */
#ifndef MP_SMTP_MAX_LOCAL_PART
#define MP_SMTP_MAX_LOCAL_PART 64u
#endif
#ifndef MP_SMTP_MAX_DOMAIN
#define MP_SMTP_MAX_DOMAIN 255u
#endif
/* ENVID= value, 100 characters decoded (RFC 3461 §4.4); ORCPT= value,
 * 500 characters as sent (RFC 3461 §4.2).  Both sides: the client writer
 * refuses what the server parser would. */
#ifndef MP_SMTP_MAX_ENVID
#define MP_SMTP_MAX_ENVID 100u
#endif
#ifndef MP_SMTP_MAX_ORCPT
#define MP_SMTP_MAX_ORCPT 500u
#endif
/* DNS label length (RFC 1035 §2.3.4), checked in every domain. */
#ifndef MP_SMTP_MAX_LABEL
#define MP_SMTP_MAX_LABEL 63u
#endif
/* Recipients per transaction: RFC minimum 100 (§4.5.3.1.8); default 1000,
 * the 1001st gets 452 4.5.3. */
#ifndef MP_SMTP_MAX_RCPTS
#define MP_SMTP_MAX_RCPTS 1000u
#endif
/* AUTH response line (RFC 4954 §4: 12288 octets). */
#ifndef MP_SMTP_MAX_AUTH_LINE
#define MP_SMTP_MAX_AUTH_LINE 12288u
#endif
/* Bad commands per session before 421 and close (soft / hard). */
#ifndef MP_SMTP_MAX_ERRORS_SOFT
#define MP_SMTP_MAX_ERRORS_SOFT 10u
#endif
#ifndef MP_SMTP_MAX_ERRORS_HARD
#define MP_SMTP_MAX_ERRORS_HARD 20u
#endif
/* ESMTP parameters on one MAIL/RCPT command. */
#ifndef MP_SMTP_MAX_PARAMS
#define MP_SMTP_MAX_PARAMS 16u
#endif

/* Client: reply line incl. CRLF the session's parser accepts (RFC 5321
 * §4.5.3.1.5: 512; raise it for servers with long 334 challenges). */
#ifndef MP_SMTP_CLIENT_MAX_REPLY_LINE
#define MP_SMTP_CLIENT_MAX_REPLY_LINE MP_SMTP_MAX_REPLY_LINE
#endif
/* Client: lines of one multi-line reply (an EHLO reply has ~20). */
#ifndef MP_SMTP_CLIENT_MAX_REPLY_LINES
#define MP_SMTP_CLIENT_MAX_REPLY_LINES 100u
#endif
/* Client: commands in flight whose replies are awaited (RFC 2920
 * pipelining; more waits for replies).  At most 255. */
#ifndef MP_SMTP_CLIENT_MAX_PIPELINE
#define MP_SMTP_CLIENT_MAX_PIPELINE 32u
#endif
/* Client: text kept of the first failure of a transaction, reported with
 * its MESSAGE event after later replies were read (longer text is cut). */
#ifndef MP_SMTP_CLIENT_FAIL_TEXT
#define MP_SMTP_CLIENT_FAIL_TEXT 64u
#endif

/* ---- POP3 (RFC 1939, RFC 2449, RFC 5034) -------------------------------- */
/* Command line incl. CRLF: 255 (RFC 2449 §4; RFC 1939 had 47).  A server
 * may raise it at run time (mp_pop3_limits). */
#ifndef MP_POP3_MAX_COMMAND_LINE
#define MP_POP3_MAX_COMMAND_LINE 255u
#endif
/* One argument of USER, PASS, APOP, LANG: 40 octets (RFC 1939 §3); a
 * server may raise it at run time (mp_pop3_limits). */
#ifndef MP_POP3_MAX_ARG
#define MP_POP3_MAX_ARG 40u
#endif
/* First line of a response incl. CRLF, and listing lines: 512 (RFC 1939
 * §3, RFC 2449 §4). */
#ifndef MP_POP3_MAX_RESPONSE_LINE
#define MP_POP3_MAX_RESPONSE_LINE 512u
#endif
/* unique-id: 1..70 octets of 0x21..0x7E (RFC 1939 §7 UIDL). */
#ifndef MP_POP3_MAX_UID
#define MP_POP3_MAX_UID 70u
#endif
/* A line of an AUTH exchange incl. CRLF, both directions.  RFC 5034 §4
 * bounds only the AUTH command (by the command line); 12288 is the SASL
 * line of the SMTP profile (RFC 4954 §4), as MP_SMTP_MAX_AUTH_LINE. */
#ifndef MP_POP3_MAX_AUTH_LINE
#define MP_POP3_MAX_AUTH_LINE 12288u
#endif
/* Server: bad commands (and refused logins) before the session closes
 * with -ERR (docs/security.md: the SMTP server's hard limit). */
#ifndef MP_POP3_MAX_ERRORS
#define MP_POP3_MAX_ERRORS 20u
#endif
/* Client: commands queued at once (written together under PIPELINING,
 * RFC 2449 §6.6, else one per answer).  RFC 2449 asks a client not to
 * fill the server's TCP window with commands; eight short ones do not. */
#ifndef MP_POP3_CLIENT_MAX_PIPELINE
#define MP_POP3_CLIENT_MAX_PIPELINE 8u
#endif

/* ---- IMAP (RFC 9051, RFC 3501, RFC 7162 §4, RFC 7888) ------------------- */
#ifndef MP_IMAP_MAX_LINE_PREAUTH
#define MP_IMAP_MAX_LINE_PREAUTH 8192u
#endif
#ifndef MP_IMAP_MAX_LINE
#define MP_IMAP_MAX_LINE 65536u
#endif
#ifndef MP_IMAP_MAX_TAG
#define MP_IMAP_MAX_TAG 64u
#endif
#ifndef MP_IMAP_MAX_ATOM
#define MP_IMAP_MAX_ATOM 1024u
#endif
#ifndef MP_IMAP_MAX_QUOTED
#define MP_IMAP_MAX_QUOTED 8192u
#endif
#ifndef MP_IMAP_MAX_DEPTH
#define MP_IMAP_MAX_DEPTH 64u
#endif
#ifndef MP_IMAP_MAX_LITERALS
#define MP_IMAP_MAX_LITERALS 32u
#endif
/* LITERAL- (RFC 7888 §4): non-synchronizing literals at most 4096 octets. */
#ifndef MP_IMAP_MAX_NONSYNC_LITERAL
#define MP_IMAP_MAX_NONSYNC_LITERAL 4096u
#endif
/* Server policy defaults: APPEND literal 64 MiB, any other literal 64 KiB. */
#ifndef MP_IMAP_MAX_APPEND_LITERAL
#define MP_IMAP_MAX_APPEND_LITERAL (64ul * 1024ul * 1024ul)
#endif
#ifndef MP_IMAP_MAX_LITERAL
#define MP_IMAP_MAX_LITERAL (64ul * 1024ul)
#endif
#ifndef MP_IMAP_MAX_AUTH_LINE
#define MP_IMAP_MAX_AUTH_LINE 12288u
#endif
#ifndef MP_IMAP_MAX_ID_PAIRS
#define MP_IMAP_MAX_ID_PAIRS 30u
#endif
/* RFC 2971 §3.3: field names at most 30 octets, values at most 1024. */
#ifndef MP_IMAP_MAX_ID_FIELD
#define MP_IMAP_MAX_ID_FIELD 30u
#endif
#ifndef MP_IMAP_MAX_ID_VALUE
#define MP_IMAP_MAX_ID_VALUE 1024u
#endif
/* BODY[...] section spec text, header list included (command parser). */
#ifndef MP_IMAP_MAX_SECTION
#define MP_IMAP_MAX_SECTION 512u
#endif

/* IMAP client session: commands in flight at once (RFC 9051 §5.5 sets no
 * bound; each costs 16 bytes of the session), and the response text kept
 * for the DONE, GREETING and BYE events. */
#ifndef MP_IMAP_CLIENT_MAX_INFLIGHT
#define MP_IMAP_CLIENT_MAX_INFLIGHT 16u
#endif
#ifndef MP_IMAP_CLIENT_TEXT
#define MP_IMAP_CLIENT_TEXT 128u
#endif
/* IMAP server session: bad commands before "* BYE" (RFC 9051 sets no
 * number; Dovecot closes after 20 bad commands in a row, Cyrus after 10);
 * notifications queued between two commands (each 24 bytes of the
 * session) and the flag text they may hold (FETCH FLAGS updates). */
#ifndef MP_IMAP_SERVER_MAX_ERRORS
#define MP_IMAP_SERVER_MAX_ERRORS 10u
#endif
#ifndef MP_IMAP_SERVER_NOTIFY_QUEUE
#define MP_IMAP_SERVER_NOTIFY_QUEUE 32u
#endif
#ifndef MP_IMAP_SERVER_NOTIFY_TEXT
#define MP_IMAP_SERVER_NOTIFY_TEXT 512u
#endif
/* ---- Message structure (mime.h) ---------------------------------------- */
/* Deepest part of a message (the message itself is depth 0; each multipart
 * part and each message inside message/rfc822 is one deeper).  Sizes the
 * parser's stack (16 bytes a level).  RFC 2046 sets no bound; real mail
 * nests a few levels, forwarded chains a dozen.  The default keeps a
 * BODYSTRUCTURE within the IMAP parsers' MP_IMAP_MAX_DEPTH (a part at depth
 * d is written d + 4 parentheses deep, its envelope's addresses included). */
#ifndef MP_MIME_MAX_DEPTH
#define MP_MIME_MAX_DEPTH 32u
#endif
/* Most part records one message may have (the host's array may be
 * smaller; Dovecot's default is the same 10000). */
#ifndef MP_MIME_MAX_PARTS
#define MP_MIME_MAX_PARTS 10000u
#endif
/* RFC 2231 continuation segments (name*0, name*1, ...) merged in one
 * Content-Type or Content-Disposition field; the merge is quadratic in them.
 * Real filenames take a few dozen.  Beyond: MP_ERR_MIME_PARAMS, the rest
 * are left out. */
#ifndef MP_MIME_MAX_SEGMENTS
#define MP_MIME_MAX_SEGMENTS 128u
#endif
/* Longest header field name the HEADER.FIELDS filter compares (RFC 5322
 * sets none; §2.1.1 wants lines of 78): a longer name in the header is in
 * no list, a longer name in a list matches nothing.  Sizes the filter. */
#ifndef MP_MIME_MAX_FIELD_NAME
#define MP_MIME_MAX_FIELD_NAME 76u
#endif

/* ---- SASL --------------------------------------------------------------- */
/* Largest decoded SASL message handled by a mechanism (authzid + authcid +
 * password for PLAIN is 3 x 255 + 2; SCRAM client-final with proof fits).
 * Sizes the SASL server state; OAuth servers facing long tokens raise it. */
#ifndef MP_SASL_MAX_MESSAGE
#define MP_SASL_MAX_MESSAGE 1024u
#endif
/* Largest user name / authorization identity. */
#ifndef MP_SASL_MAX_NAME
#define MP_SASL_MAX_NAME 255u
#endif
/* SCRAM nonce, either part (RFC 5802 §5.1 sets no bound; real ones are
 * 24..64 characters). */
#ifndef MP_SASL_MAX_NONCE
#define MP_SASL_MAX_NONCE 64u
#endif
/* SCRAM salt, decoded (RFC 5802 §5.1 sets no bound; real ones are 12..32
 * bytes). */
#ifndef MP_SASL_MAX_SALT
#define MP_SASL_MAX_SALT 64u
#endif
/* SCRAM iteration count a client accepts: RFC 7677 §4 asks for at least
 * 4096; the upper bound caps the PBKDF2 work a hostile server can impose. */
#ifndef MP_SASL_SCRAM_MIN_ITERATIONS
#define MP_SASL_SCRAM_MIN_ITERATIONS 4096u
#endif
#ifndef MP_SASL_SCRAM_MAX_ITERATIONS
#define MP_SASL_SCRAM_MAX_ITERATIONS 1000000u
#endif

/* ---- Checks: refuse impossible combinations ----------------------------- */
#if MP_SMTP_MAX_COMMAND_LINE < 512u
#error "MP_SMTP_MAX_COMMAND_LINE below the RFC 5321 minimum of 512"
#endif
#if MP_SMTP_MAX_REPLY_LINE < 512u
#error "MP_SMTP_MAX_REPLY_LINE below the RFC 5321 minimum of 512"
#endif
#if MP_SMTP_CLIENT_MAX_REPLY_LINE < 512u
#error "MP_SMTP_CLIENT_MAX_REPLY_LINE below the RFC 5321 minimum of 512"
#endif
#if MP_SMTP_CLIENT_MAX_PIPELINE < 4u || MP_SMTP_CLIENT_MAX_PIPELINE > 255u
#error "MP_SMTP_CLIENT_MAX_PIPELINE must be within 4..255"
#endif
#if MP_SMTP_MAX_RCPTS < 100u
#error "MP_SMTP_MAX_RCPTS below the RFC 5321 minimum of 100"
#endif
#if MP_POP3_MAX_RESPONSE_LINE < 512u
#error "MP_POP3_MAX_RESPONSE_LINE below the RFC 1939 minimum of 512"
#endif
#if MP_POP3_MAX_COMMAND_LINE < 255u
#error "MP_POP3_MAX_COMMAND_LINE below the RFC 2449 minimum of 255"
#endif
#if MP_POP3_MAX_ARG < 40u || MP_POP3_MAX_ARG > MP_POP3_MAX_COMMAND_LINE
#error "MP_POP3_MAX_ARG below the RFC 1939 minimum of 40 or above the command line"
#endif
#if MP_POP3_MAX_UID != 70u
#error "MP_POP3_MAX_UID is the RFC 1939 unique-id bound of 70"
#endif
#if MP_POP3_MAX_AUTH_LINE < MP_POP3_MAX_COMMAND_LINE || MP_POP3_MAX_AUTH_LINE > MP_MAX_LINE
#error "MP_POP3_MAX_AUTH_LINE must lie within MP_POP3_MAX_COMMAND_LINE..MP_MAX_LINE"
#endif
#if MP_POP3_CLIENT_MAX_PIPELINE < 1u || MP_POP3_CLIENT_MAX_PIPELINE > 128u
#error "MP_POP3_CLIENT_MAX_PIPELINE must lie within 1..128 (the queue counters are 8-bit)"
#endif
#if MP_IMAP_MAX_NONSYNC_LITERAL > 4096u
#error "MP_IMAP_MAX_NONSYNC_LITERAL above the LITERAL- maximum of 4096"
#endif
#if MP_SASL_MAX_NAME > 255u || MP_SASL_MAX_NONCE > 255u || MP_SASL_MAX_SALT > 255u
#error "MP_SASL_MAX_NAME, MP_SASL_MAX_NONCE and MP_SASL_MAX_SALT must fit in a byte"
#endif
#if MP_SASL_MAX_MESSAGE < 512u
#error "MP_SASL_MAX_MESSAGE below 512 cannot hold a SCRAM exchange"
#endif
#if MP_IMAP_MAX_LINE_PREAUTH > MP_IMAP_MAX_LINE
#error "MP_IMAP_MAX_LINE_PREAUTH must not exceed MP_IMAP_MAX_LINE"
#endif
#if MP_IMAP_MAX_TAG > 255u
#error "MP_IMAP_MAX_TAG above 255 (the response parser keeps the tag length in a byte)"
#endif
#if MP_IMAP_MAX_DEPTH < 8u || MP_IMAP_MAX_DEPTH > 4096u
#error "MP_IMAP_MAX_DEPTH outside 8..4096 (BODYSTRUCTURE needs 8; parser stacks hold it)"
#endif
#if MP_IMAP_CLIENT_MAX_INFLIGHT < 2u || MP_IMAP_CLIENT_MAX_INFLIGHT > 255u
#error "MP_IMAP_CLIENT_MAX_INFLIGHT must be within 2..255"
#endif
#if MP_IMAP_SERVER_NOTIFY_QUEUE < 1u || MP_IMAP_SERVER_NOTIFY_QUEUE > 255u
#error "MP_IMAP_SERVER_NOTIFY_QUEUE must be within 1..255"
#endif
#if MP_IMAP_SERVER_NOTIFY_TEXT < 256u || MP_IMAP_SERVER_NOTIFY_TEXT > 65535u
#error "MP_IMAP_SERVER_NOTIFY_TEXT must be within 256..65535"
#endif
#if MP_IMAP_CLIENT_TEXT < 16u || MP_IMAP_CLIENT_TEXT > 255u
#error "MP_IMAP_CLIENT_TEXT must be within 16..255"
#endif
#if MP_MIME_MAX_DEPTH < 1u || MP_MIME_MAX_DEPTH > 4096u
#error "MP_MIME_MAX_DEPTH outside 1..4096"
#endif
#if MP_ENABLE_IMAP && MP_ENABLE_MIME && MP_MIME_MAX_DEPTH + 4u > MP_IMAP_MAX_DEPTH
#error "MP_MIME_MAX_DEPTH + 4 above MP_IMAP_MAX_DEPTH: BODYSTRUCTURE would not parse back"
#endif
#if MP_MIME_MAX_SEGMENTS < 1u || MP_MIME_MAX_SEGMENTS > 65535u
#error "MP_MIME_MAX_SEGMENTS outside 1..65535"
#endif
#if MP_MIME_MAX_FIELD_NAME < 16u || MP_MIME_MAX_FIELD_NAME > 250u
#error "MP_MIME_MAX_FIELD_NAME outside 16..250 (the filter keeps its length in a byte)"
#endif
#if MP_MIME_MAX_PARTS < 1u || MP_MIME_MAX_PARTS > 16777215u
#error "MP_MIME_MAX_PARTS outside 1..16777215"
#endif
#if MP_IMAP_MAX_QUOTED < 64u || MP_IMAP_MAX_ATOM < 64u
#error "MP_IMAP_MAX_QUOTED and MP_IMAP_MAX_ATOM must be at least 64"
#endif

#endif /* MAILPROTO_CONFIG_H */
