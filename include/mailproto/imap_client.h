/*
 * libmailproto — IMAP client session (RFC 9051 IMAP4rev2, RFC 3501
 * IMAP4rev1 and the extensions named below): a sans-I/O engine on the
 * response parser (imap.h) and the command writer (imap_command.h),
 * driven like every session of the library (docs/architecture.md).
 *
 * What the session does by itself: read the greeting (OK, PREAUTH, BYE),
 * learn the capabilities (from the greeting's code, or a CAPABILITY it
 * sends), STARTTLS under the TLS policy and CAPABILITY again under TLS,
 * CAPABILITY after login when the server did not say them, generate and
 * match tags, keep several commands in flight, hold the rest of a command
 * back until the server's "+" when a synchronizing literal needs it, run
 * SASL exchanges (lib/sasl) to the server's proof, switch the parser and
 * writer modes when ENABLE takes effect, and keep the selected mailbox's
 * state (EXISTS, EXPUNGE and VANISHED with message numbers renumbered,
 * FETCH flag updates, UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, PERMANENTFLAGS,
 * READ-ONLY).  Everything else is the host's decision, taken in a
 * callback or later: the session never blocks, allocates or keeps a
 * pointer to the host's arguments after a call returns.
 *
 * A server that breaks the protocol ends the session with a precise error
 * and the stream offset of the response at fault (mp_imap_client_error):
 * a tag it was never sent, a completion or a "+" for a command still in
 * the output buffer, EXISTS going down, a message number beyond EXISTS,
 * bytes after the OK to STARTTLS, a malformed response.
 *
 * Guide: docs/imap-client.md, with a complete program.
 */
#ifndef MAILPROTO_IMAP_CLIENT_H
#define MAILPROTO_IMAP_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "imap.h"
#include "imap_command.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================= */
/* Capabilities (RFC 9051 §7.2.2 and the extension RFCs)                   */
/* ======================================================================= */

/* X(bit name, capability atom).  The atom is matched case-insensitively;
 * THREAD= and SORT= variants, AUTH= and APPENDLIMIT= are handled apart. */
#define MP_IMAP_CAP_TABLE(X)                                                  \
    X(IMAP4REV1, "IMAP4rev1")               /* RFC 3501 */                    \
    X(IMAP4REV2, "IMAP4rev2")               /* RFC 9051 */                    \
    X(STARTTLS, "STARTTLS")                 /* RFC 9051 6.2.1 */              \
    X(LOGINDISABLED, "LOGINDISABLED")       /* RFC 9051 6.2.3 */              \
    X(SASL_IR, "SASL-IR")                   /* RFC 4959 */                    \
    X(LITERAL_PLUS, "LITERAL+")             /* RFC 7888 */                    \
    X(LITERAL_MINUS, "LITERAL-")            /* RFC 7888 */                    \
    X(ENABLE, "ENABLE")                     /* RFC 5161 */                    \
    X(IDLE, "IDLE")                         /* RFC 2177 */                    \
    X(ID, "ID")                             /* RFC 2971 */                    \
    X(NAMESPACE, "NAMESPACE")               /* RFC 2342 */                    \
    X(UIDPLUS, "UIDPLUS")                   /* RFC 4315 */                    \
    X(MOVE, "MOVE")                         /* RFC 6851 */                    \
    X(UNSELECT, "UNSELECT")                 /* RFC 3691 */                    \
    X(CONDSTORE, "CONDSTORE")               /* RFC 7162 */                    \
    X(QRESYNC, "QRESYNC")                   /* RFC 7162 */                    \
    X(UTF8_ACCEPT, "UTF8=ACCEPT")           /* RFC 6855 */                    \
    X(UTF8_ONLY, "UTF8=ONLY")               /* RFC 6855 */                    \
    X(BINARY, "BINARY")                     /* RFC 3516 */                    \
    X(CATENATE, "CATENATE")                 /* RFC 4469 */                    \
    X(MULTIAPPEND, "MULTIAPPEND")           /* RFC 3502 */                    \
    X(COMPRESS_DEFLATE, "COMPRESS=DEFLATE") /* RFC 4978 */                    \
    X(ESEARCH, "ESEARCH")                   /* RFC 4731 */                    \
    X(SEARCHRES, "SEARCHRES")               /* RFC 5182 */                    \
    X(SORT, "SORT")                         /* RFC 5256 */                    \
    X(ESORT, "ESORT")                       /* RFC 5267 */                    \
    X(THREAD, "THREAD")                     /* RFC 5256, any THREAD=alg */    \
    X(LIST_EXTENDED, "LIST-EXTENDED")       /* RFC 5258 */                    \
    X(LIST_STATUS, "LIST-STATUS")           /* RFC 5819 */                    \
    X(SPECIAL_USE, "SPECIAL-USE")           /* RFC 6154 */                    \
    X(CHILDREN, "CHILDREN")                 /* RFC 3348 */                    \
    X(QUOTA, "QUOTA")                       /* RFC 9208 */                    \
    X(METADATA, "METADATA")                 /* RFC 5464 */                    \
    X(APPENDLIMIT, "APPENDLIMIT")           /* RFC 7889 (any value) */        \
    X(OBJECTID, "OBJECTID")                 /* RFC 8474 */                    \
    X(STATUS_SIZE, "STATUS=SIZE")           /* RFC 8438 */                    \
    X(SAVEDATE, "SAVEDATE")                 /* RFC 8514 */                    \
    X(PREVIEW, "PREVIEW")                   /* RFC 8970 */                    \
    X(NOTIFY, "NOTIFY")                     /* RFC 5465 */                    \
    X(CONTEXT_SEARCH, "CONTEXT=SEARCH")     /* RFC 5267 */                    \
    X(WITHIN, "WITHIN")                     /* RFC 5032 */                    \
    X(LOGIN_REFERRALS, "LOGIN-REFERRALS")   /* RFC 2221 */                    \
    X(ACL, "ACL")                           /* RFC 4314 */                    \
    X(SPECIAL_USE_CREATE, "CREATE-SPECIAL-USE") /* RFC 6154 */

/* Capability bits (mp_imap_caps.flags): MP_IMAP_CAP_IMAP4REV1 ... */
enum {
#define MP_IMAP_CAP_BIT_(name, atom) MP_IMAP_CAP_BIT_##name##_,
    MP_IMAP_CAP_TABLE(MP_IMAP_CAP_BIT_)
#undef MP_IMAP_CAP_BIT_
    MP_IMAP_CAP_COUNT_
};
#define MP_IMAP_CAP_(name) ((uint64_t)1u << MP_IMAP_CAP_BIT_##name##_)
#define MP_IMAP_CAP_IMAP4REV1 MP_IMAP_CAP_(IMAP4REV1)
#define MP_IMAP_CAP_IMAP4REV2 MP_IMAP_CAP_(IMAP4REV2)
#define MP_IMAP_CAP_STARTTLS MP_IMAP_CAP_(STARTTLS)
#define MP_IMAP_CAP_LOGINDISABLED MP_IMAP_CAP_(LOGINDISABLED)
#define MP_IMAP_CAP_SASL_IR MP_IMAP_CAP_(SASL_IR)
#define MP_IMAP_CAP_LITERAL_PLUS MP_IMAP_CAP_(LITERAL_PLUS)
#define MP_IMAP_CAP_LITERAL_MINUS MP_IMAP_CAP_(LITERAL_MINUS)
#define MP_IMAP_CAP_ENABLE MP_IMAP_CAP_(ENABLE)
#define MP_IMAP_CAP_IDLE MP_IMAP_CAP_(IDLE)
#define MP_IMAP_CAP_ID MP_IMAP_CAP_(ID)
#define MP_IMAP_CAP_NAMESPACE MP_IMAP_CAP_(NAMESPACE)
#define MP_IMAP_CAP_UIDPLUS MP_IMAP_CAP_(UIDPLUS)
#define MP_IMAP_CAP_MOVE MP_IMAP_CAP_(MOVE)
#define MP_IMAP_CAP_UNSELECT MP_IMAP_CAP_(UNSELECT)
#define MP_IMAP_CAP_CONDSTORE MP_IMAP_CAP_(CONDSTORE)
#define MP_IMAP_CAP_QRESYNC MP_IMAP_CAP_(QRESYNC)
#define MP_IMAP_CAP_UTF8_ACCEPT MP_IMAP_CAP_(UTF8_ACCEPT)
#define MP_IMAP_CAP_UTF8_ONLY MP_IMAP_CAP_(UTF8_ONLY)
#define MP_IMAP_CAP_BINARY MP_IMAP_CAP_(BINARY)
#define MP_IMAP_CAP_CATENATE MP_IMAP_CAP_(CATENATE)
#define MP_IMAP_CAP_MULTIAPPEND MP_IMAP_CAP_(MULTIAPPEND)
#define MP_IMAP_CAP_COMPRESS_DEFLATE MP_IMAP_CAP_(COMPRESS_DEFLATE)
#define MP_IMAP_CAP_ESEARCH MP_IMAP_CAP_(ESEARCH)
#define MP_IMAP_CAP_SEARCHRES MP_IMAP_CAP_(SEARCHRES)
#define MP_IMAP_CAP_SORT MP_IMAP_CAP_(SORT)
#define MP_IMAP_CAP_ESORT MP_IMAP_CAP_(ESORT)
#define MP_IMAP_CAP_THREAD MP_IMAP_CAP_(THREAD)
#define MP_IMAP_CAP_LIST_EXTENDED MP_IMAP_CAP_(LIST_EXTENDED)
#define MP_IMAP_CAP_LIST_STATUS MP_IMAP_CAP_(LIST_STATUS)
#define MP_IMAP_CAP_SPECIAL_USE MP_IMAP_CAP_(SPECIAL_USE)
#define MP_IMAP_CAP_CHILDREN MP_IMAP_CAP_(CHILDREN)
#define MP_IMAP_CAP_QUOTA MP_IMAP_CAP_(QUOTA)
#define MP_IMAP_CAP_METADATA MP_IMAP_CAP_(METADATA)
#define MP_IMAP_CAP_APPENDLIMIT MP_IMAP_CAP_(APPENDLIMIT)
#define MP_IMAP_CAP_OBJECTID MP_IMAP_CAP_(OBJECTID)
#define MP_IMAP_CAP_STATUS_SIZE MP_IMAP_CAP_(STATUS_SIZE)
#define MP_IMAP_CAP_SAVEDATE MP_IMAP_CAP_(SAVEDATE)
#define MP_IMAP_CAP_PREVIEW MP_IMAP_CAP_(PREVIEW)
#define MP_IMAP_CAP_NOTIFY MP_IMAP_CAP_(NOTIFY)
#define MP_IMAP_CAP_CONTEXT_SEARCH MP_IMAP_CAP_(CONTEXT_SEARCH)
#define MP_IMAP_CAP_WITHIN MP_IMAP_CAP_(WITHIN)
#define MP_IMAP_CAP_LOGIN_REFERRALS MP_IMAP_CAP_(LOGIN_REFERRALS)
#define MP_IMAP_CAP_ACL MP_IMAP_CAP_(ACL)
#define MP_IMAP_CAP_SPECIAL_USE_CREATE MP_IMAP_CAP_(SPECIAL_USE_CREATE)

/* What the server advertised.  Plain value; copy freely. */
typedef struct mp_imap_caps {
    uint64_t flags;       /* MP_IMAP_CAP_* */
    uint32_t auth;        /* AUTH= mechanisms as an mp_sasl_mech_set
                           * (sasl.h); unknown names are not recorded */
    uint64_t appendlimit; /* APPENDLIMIT=n (RFC 7889), 0 when absent or
                           * without a value */
} mp_imap_caps;

/* Empty set. */
void mp_imap_caps_init(mp_imap_caps *caps);

/* Record one capability atom (as a CAPABILITY response or code carries
 * it).  Returns the MP_IMAP_CAP_* bit it set, or 0 for an atom outside
 * the table (AUTH= names set caps->auth and return 0; "SORT=DISPLAY",
 * "THREAD=REFS" set SORT / THREAD). */
uint64_t mp_imap_caps_add(mp_imap_caps *caps, mp_slice atom);

/* The atom of a single MP_IMAP_CAP_* bit ("LITERAL+"), or NULL.  Static. */
const char *mp_imap_cap_name(uint64_t bit);

/* ======================================================================= */
/* Selected mailbox                                                        */
/* ======================================================================= */

/* System flags as bits (FLAGS, PERMANENTFLAGS, FETCH FLAGS). */
enum {
    MP_IMAP_FLAG_SEEN = 1u << 0,
    MP_IMAP_FLAG_ANSWERED = 1u << 1,
    MP_IMAP_FLAG_FLAGGED = 1u << 2,
    MP_IMAP_FLAG_DELETED = 1u << 3,
    MP_IMAP_FLAG_DRAFT = 1u << 4,
    MP_IMAP_FLAG_RECENT = 1u << 5,  /* \Recent (IMAP4rev1 only) */
    MP_IMAP_FLAG_KEYWORD = 1u << 6, /* at least one keyword or unknown
                                     * flag (the names are in the
                                     * RESPONSE events) */
    MP_IMAP_FLAG_ANY = 1u << 7      /* "\*": new keywords may be created
                                     * (PERMANENTFLAGS only) */
};

/* The bit of one flag ("\Seen" any case), MP_IMAP_FLAG_KEYWORD for a
 * keyword or an unknown system flag. */
unsigned mp_imap_flag_bit(mp_slice flag);

/* mp_imap_mailbox.state */
typedef enum mp_imap_mailbox_state {
    MP_IMAP_MBOX_NONE = 0,      /* no mailbox selected */
    MP_IMAP_MBOX_SELECTING = 1, /* SELECT/EXAMINE answered in part: the
                                 * fields describe the new mailbox */
    MP_IMAP_MBOX_SELECTED = 2
} mp_imap_mailbox_state;

/* The selected mailbox as the server described it (RFC 9051 §7.3, §7.4,
 * RFC 7162).  Zero means "not said" for every number. */
typedef struct mp_imap_mailbox {
    uint32_t exists;         /* messages (EXISTS, minus EXPUNGE/VANISHED) */
    uint32_t recent;         /* RECENT (IMAP4rev1) */
    uint32_t uidvalidity;
    uint32_t uidnext;
    uint32_t unseen;         /* [UNSEEN n]: first unseen message number */
    uint64_t highestmodseq;  /* [HIGHESTMODSEQ n] (RFC 7162) */
    unsigned flags;          /* FLAGS: MP_IMAP_FLAG_* */
    unsigned permanentflags; /* [PERMANENTFLAGS]: MP_IMAP_FLAG_* */
    uint8_t state;           /* mp_imap_mailbox_state */
    uint8_t read_only;       /* EXAMINE, or [READ-ONLY] */
    uint8_t nomodseq;        /* [NOMODSEQ] */
    uint8_t has_permanentflags; /* [PERMANENTFLAGS] came (else every
                                 * flag of FLAGS is permanent, RFC 9051
                                 * §7.1) */
} mp_imap_mailbox;

/* ======================================================================= */
/* Session                                                                 */
/* ======================================================================= */
/*
 * A host drives the session like this (examples/mailproto-imap-fetch.c is
 * a complete program):
 *
 *   mp_imap_client_init(&c, &cfg, &cb, user, out, sizeof(out));
 *   loop:
 *     send mp_imap_client_output() to the socket, mp_imap_client_output_done();
 *     read from the socket, mp_imap_client_feed() (events fire inside):
 *       GREETING, CAPABILITIES, READY  -> mp_imap_client_login() or
 *                                         mp_imap_client_authenticate()
 *       READY (authenticated)          -> enable, select, fetch, idle ...
 *       RESPONSE ...                   -> every event of every response
 *       EXISTS, EXPUNGE, VANISHED, FETCH -> the mailbox changed
 *       DONE                           -> a command completed
 *     MP_TRANSPORT_SWITCH: start TLS (mp_imap_client_tls_started) or
 *       compression (mp_imap_client_compress_started);
 *     MP_CLOSED: LOGOUT done; an error: mp_imap_client_error(), close.
 *
 * Commands.  Every command function writes one whole command into the
 * output buffer (or nothing) and gives its number (`*cmd`, the number in
 * its tag "A<n>"; tags are never reused).  Arguments are read only during
 * the call.  Several commands may be in flight (RFC 9051 §5.5), up to
 * MP_IMAP_CLIENT_MAX_INFLIGHT; the commands that change what the
 * connection is (STARTTLS, LOGIN, AUTHENTICATE, ENABLE, COMPRESS, IDLE,
 * LOGOUT) are written only when nothing else is in flight, and nothing is
 * written behind them until they complete.  A command function returns
 *  - MP_OK: written;
 *  - MP_PAUSED: not now: the in-flight table is full, a command waits for
 *    the server's "+", or one of the commands above is in flight (or, for
 *    one of them, another command is); nothing written, call again after
 *    the next DONE event;
 *  - MP_ERR_STATE: not in this state (before READY, not authenticated, no
 *    mailbox selected or being selected, IDLE or APPEND in progress, the
 *    session closed or failed);
 *  - MP_ERR_UNSUPPORTED: the server did not advertise what it needs;
 *  - MP_ERR_TLS_REQUIRED: credentials in cleartext under
 *    MP_IMAP_TLS_REQUIRED;
 *  - MP_ERR_NO_SPACE: the command does not fit the free part of the
 *    output buffer; send output and call again (a command must fit the
 *    buffer whole, its literals included, except APPEND's message data);
 *  - the writer's value errors (imap_command.h).
 * Any function may be called from inside a callback, except feed.
 *
 * Synchronizing literals: a string that must go as "{n}" makes the
 * server answer "+" before the client sends the rest.  The session writes
 * the whole command, but mp_imap_client_output() shows only the bytes up
 * to that point; the rest follows the "+" (a tagged NO/BAD instead drops
 * it).  With LITERAL+ (or LITERAL- for small ones) the writer sends
 * non-synchronizing literals and nothing waits.
 *
 * Matching (docs/architecture.md "Transport switches").  A server answers
 * a command only after reading it, so a tagged OK counts only for a
 * command whose bytes the host had all taken with output_done when the
 * response's first byte was read, a tagged NO/BAD also for one waiting for
 * "+" whose bytes up to that point were taken, a "+" only for the command
 * waiting for it under the same rule.  Anything else is
 * MP_ERR_IMAP_UNSENT, MP_ERR_IMAP_TAG_UNKNOWN or MP_ERR_IMAP_CONTINUE. A
 * host therefore sends its output before it reads on.
 */

/* TLS policy (docs/security.md "Client TLS policy"). */
typedef enum mp_imap_client_tls {
    MP_IMAP_TLS_NONE = 0,          /* never STARTTLS */
    MP_IMAP_TLS_OPPORTUNISTIC = 1, /* STARTTLS when offered, else plaintext */
    MP_IMAP_TLS_REQUIRED = 2,      /* STARTTLS or MP_ERR_TLS_REQUIRED; a
                                    * PREAUTH greeting in plaintext is
                                    * refused the same way (RFC 9051 §11.1:
                                    * it would skip STARTTLS) */
    MP_IMAP_TLS_IMPLICIT = 3       /* the host runs TLS from the first byte
                                    * (port 993) */
} mp_imap_client_tls;

/* Session flags. */
enum {
    /* Never send non-synchronizing literals, even when LITERAL+ or
     * LITERAL- is advertised. */
    MP_IMAP_CLIENT_NO_LITERAL_PLUS = 1u << 0,
    /* Never send the SASL initial response on the AUTHENTICATE line
     * (SASL-IR, RFC 4959), even when advertised. */
    MP_IMAP_CLIENT_NO_SASL_IR = 1u << 1,
    /* Never pipeline: write a command only when none is in flight. */
    MP_IMAP_CLIENT_NO_PIPELINING = 1u << 2,
    /* Allow LOGIN and the cleartext SASL mechanisms without TLS even when
     * the server says LOGINDISABLED (never under MP_IMAP_TLS_REQUIRED).
     * Risk: the password crosses the network readable. */
    MP_IMAP_CLIENT_CLEARTEXT_OK = 1u << 3
};

/* Extensions mp_imap_client_enable() can turn on (mp_imap_client_enabled). */
enum {
    MP_IMAP_EXT_CONDSTORE = 1u << 0,   /* RFC 7162 */
    MP_IMAP_EXT_QRESYNC = 1u << 1,     /* RFC 7162 (implies CONDSTORE) */
    MP_IMAP_EXT_UTF8_ACCEPT = 1u << 2, /* RFC 6855: UTF-8 in strings and
                                        * mailbox names, both ways */
    MP_IMAP_EXT_IMAP4REV2 = 1u << 3    /* RFC 9051 grammar (and UTF-8) */
};

/* The auth_buf size mp_imap_client_authenticate() needs: one SASL
 * response and one decoded challenge. */
#define MP_IMAP_CLIENT_AUTH_BUF (2u * MP_SASL_MAX_MESSAGE)

/* The least output buffer: the longest line the session writes by itself
 * (an AUTHENTICATE line with a base64 SASL message). */
#define MP_IMAP_CLIENT_MIN_OUT (MP_BASE64_ENCODED_LEN(MP_SASL_MAX_MESSAGE) + 64u)

/* Run-time configuration.  Borrowed: it and the buffers it names must
 * stay valid for the life of the session. */
typedef struct mp_imap_client_config {
    mp_imap_client_tls tls;
    unsigned flags;           /* MP_IMAP_CLIENT_* */
    unsigned quirks;          /* MP_IMAP_Q_* for the response parser
                               * (imap.h) */
    mp_imap_limits limits;    /* response parser limits (imap.h; zeros:
                               * defaults) */
    /* The response parser's assembly buffer (required): tokens that
     * straddle reads.  MP_IMAP_MAX_QUOTED (8 KiB) is the suggested size;
     * at least 64 bytes, and limits.max_quoted / max_atom are capped by
     * it. */
    char *buf;
    size_t buf_cap;
    /* SASL scratch for mp_imap_client_authenticate():
     * MP_IMAP_CLIENT_AUTH_BUF bytes (NULL: AUTHENTICATE is refused). */
    char *auth_buf;
    size_t auth_cap;
    /* Optional message-number -> UID map of the selected mailbox
     * (uid_map[msgno - 1], 0 while unknown), kept by the session through
     * EXISTS, EXPUNGE, VANISHED and FETCH UID (mp_imap_client_uid).  A
     * mailbox of more than uid_cap messages, or a VANISHED naming UIDs the
     * map does not know, turns the map off until the next SELECT.  NULL:
     * no map. */
    uint32_t *uid_map;
    size_t uid_cap;
} mp_imap_client_config;

/* Events (mp_imap_client_event.type). */
typedef enum mp_imap_client_event_type {
    /* One event of the response parser (`resp`, imap.h), for every
     * response line, tagged, untagged and "+" alike, in stream order;
     * `cmd`/`cmd_id` name the command it belongs to: the tagged one's,
     * or for untagged data the command in flight that asked for it (a
     * FETCH for FETCH data, SELECT for FLAGS/EXISTS/codes, SEARCH for
     * SEARCH/ESEARCH (ESEARCH's TAG correlator from that value on), LIST
     * for LIST, ...; RFC 9051 §7), 0 when unsolicited or when no command
     * in flight could have asked for it.  The summary events below come
     * after the RESPONSE events of their line. */
    MP_IMAP_CLIENT_EV_RESPONSE = 0,
    MP_IMAP_CLIENT_EV_GREETING,     /* status OK or PREAUTH, code, text */
    MP_IMAP_CLIENT_EV_CAPABILITIES, /* the capability set was replaced
                                     * (mp_imap_client_caps) */
    MP_IMAP_CLIENT_EV_READY,        /* the session takes commands: in
                                     * NOT_AUTHENTICATED after the greeting
                                     * (and STARTTLS), in AUTHENTICATED
                                     * after login (and CAPABILITY) or
                                     * PREAUTH */
    MP_IMAP_CLIENT_EV_CONTINUE,     /* "+" for `cmd`: APPEND data may be
                                     * pushed now; IDLE has started
                                     * (mp_imap_client_idle_done ends it);
                                     * a literal's rest or a SASL response
                                     * was released.  text: its text */
    MP_IMAP_CLIENT_EV_DONE,         /* `cmd` completed: status OK/NO/BAD,
                                     * code, text.  One per command, the
                                     * session's own CAPABILITY and
                                     * STARTTLS included */
    MP_IMAP_CLIENT_EV_ENABLED,      /* ENABLED: `enabled` holds every
                                     * MP_IMAP_EXT_* now on; the parser and
                                     * writer already follow it */
    MP_IMAP_CLIENT_EV_EXISTS,       /* EXISTS: msgno = the new count */
    MP_IMAP_CLIENT_EV_EXPUNGE,      /* message msgno left; the ones after
                                     * it move down by one; uid from the
                                     * map (0 unknown) */
    MP_IMAP_CLIENT_EV_VANISHED,     /* UIDs uid..uid_hi are gone (one event
                                     * per range); `earlier` for VANISHED
                                     * (EARLIER): gone before this session
                                     * looked, the count is unchanged */
    MP_IMAP_CLIENT_EV_FETCH,        /* the end of a FETCH response: msgno,
                                     * uid, modseq, flags (see `has`) */
    MP_IMAP_CLIENT_EV_BYE           /* BYE: text, code.  After LOGOUT the
                                     * tagged OK follows; anywhere else the
                                     * session ends (MP_ERR_IMAP_BYE) */
} mp_imap_client_event_type;

/* What a FETCH event carries (mp_imap_client_event.has). */
enum {
    MP_IMAP_FETCH_HAS_UID = 1u << 0,   /* UID item, or the map knew it */
    MP_IMAP_FETCH_HAS_FLAGS = 1u << 1, /* FLAGS item: `flags` */
    MP_IMAP_FETCH_HAS_MODSEQ = 1u << 2 /* MODSEQ item (RFC 7162) */
};

/* An event.  Pointers and slices are valid only during the callback. */
typedef struct mp_imap_client_event {
    mp_imap_client_event_type type;
    const mp_imap_resp_event *resp; /* RESPONSE: the parser's event */
    uint32_t cmd;                   /* the command (its tag number), 0:
                                     * none */
    mp_imap_cmd_id cmd_id;          /* its command id, 0: none */
    mp_imap_resp_kind status;       /* DONE: OK / NO / BAD; GREETING: OK /
                                     * PREAUTH; BYE: BYE */
    mp_imap_code code;              /* DONE, GREETING, BYE: the response
                                     * code (MP_IMAP_CODE_NONE: none) */
    mp_slice text;                  /* DONE, GREETING, BYE, CONTINUE: the
                                     * text, cut to MP_IMAP_CLIENT_TEXT */
    uint32_t msgno;                 /* EXISTS (the count), EXPUNGE, FETCH */
    uint32_t uid;                   /* EXPUNGE, FETCH, VANISHED (first) */
    uint32_t uid_hi;                /* VANISHED (last) */
    uint64_t modseq;                /* FETCH */
    unsigned flags;                 /* FETCH: MP_IMAP_FLAG_* */
    unsigned has;                   /* FETCH: MP_IMAP_FETCH_HAS_* */
    unsigned enabled;               /* ENABLED: MP_IMAP_EXT_* */
    int earlier;                    /* VANISHED (EARLIER) */
} mp_imap_client_event;

/* Callback return values. */
enum {
    MP_IMAP_CLIENT_CB_CONTINUE = 0,
    MP_IMAP_CLIENT_CB_PAUSE = 1, /* feed returns MP_PAUSED once the session
                                  * has given the events of this step (a
                                  * DONE and the READY it leads to) */
    MP_IMAP_CLIENT_CB_ABORT = 2  /* feed returns MP_ERR_ABORTED; session dead */
};

typedef struct mp_imap_client_callbacks {
    /* Required.  May call every function of the session but feed. */
    int (*on_event)(void *user, const mp_imap_client_event *ev);
} mp_imap_client_callbacks;

/* Session states (mp_imap_client_state_of). */
typedef enum mp_imap_client_state {
    MP_IMAP_ST_GREETING = 0,      /* waiting for the greeting */
    MP_IMAP_ST_SETUP,             /* the session's CAPABILITY / STARTTLS */
    MP_IMAP_ST_TLS_SWITCH,        /* STARTTLS accepted: start TLS, then
                                   * mp_imap_client_tls_started() */
    MP_IMAP_ST_NOT_AUTHENTICATED, /* LOGIN, AUTHENTICATE (RFC 9051 §3.1) */
    MP_IMAP_ST_AUTHENTICATING,    /* LOGIN/AUTHENTICATE, and the
                                   * CAPABILITY after it, in flight */
    MP_IMAP_ST_AUTHENTICATED,     /* §3.2 (and §3.3 selected: see
                                   * mp_imap_client_mailbox) */
    MP_IMAP_ST_COMPRESS_SWITCH,   /* COMPRESS accepted: start it, then
                                   * mp_imap_client_compress_started() */
    MP_IMAP_ST_LOGOUT,            /* LOGOUT written */
    MP_IMAP_ST_CLOSED,            /* LOGOUT completed */
    MP_IMAP_ST_FAILED             /* mp_imap_client_error() says why */
} mp_imap_client_state;

/* One command in flight (private). */
typedef struct mp_imap_client_cmd_ {
    uint64_t end;   /* output offset after its last byte (UINT64_MAX while
                     * not wholly written) */
    uint32_t tag;   /* its number */
    uint8_t id;     /* mp_imap_cmd_id */
    uint8_t flags;  /* private */
} mp_imap_client_cmd_;

/*
 * The session.  All fields are private.  sizeof(mp_imap_client) is about
 * 1.5 KiB on x86-64 with the default limits (tested at most 4 KiB): the
 * response parser (imap.h) and the in-flight table are inside; the output
 * buffer, the parser's assembly buffer, the SASL scratch and the UID map
 * are the host's (docs/imap-client.md lists their sizes).  Not copyable
 * once initialized (the parser points into it).
 */
struct mp_imapc_auth_ops_; /* private */
typedef struct mp_imap_client {
    mp_imap_resp_parser rp;
    mp_imap_writer w;
    mp_outbuf out;
    mp_error err;
    const mp_imap_client_callbacks *cb;
    void *user;
    const mp_imap_client_config *cfg;
    struct mp_sasl_client *sasl;  /* AUTHENTICATE in progress, or NULL */
    /* How AUTHENTICATE is driven: set by mp_imap_client_authenticate, so
     * that a host that never calls it links no SASL. */
    const struct mp_imapc_auth_ops_ *auth;
    mp_imap_caps caps;
    mp_imap_caps caps_new;        /* being read */
    mp_imap_mailbox mbox;
    uint64_t pos;                 /* stream offset of the next byte fed */
    uint64_t sent;                /* output bytes taken by output_done */
    uint64_t line_sent;           /* `sent` when the current line began */
    uint64_t next_line;           /* stream offset where the next line begins */
    uint64_t gate;                /* output offset output stops at */
    uint64_t gate_lit;            /* length of the literal after the gate */
    uint64_t cont_at;             /* the "+" waiter's bytes end here */
    uint64_t line_at;             /* stream offset of the line's first byte */
    uint64_t line_num;            /* its response code's number */
    uint64_t fetch_modseq;
    uint32_t next_tag;
    uint32_t line_tag;            /* command of the line being read */
    uint32_t waiter;              /* command waiting for "+" (0: none) */
    uint32_t select_tag;          /* the SELECT/EXAMINE that reset mbox */
    uint32_t map_n;               /* uid_map entries in use */
    uint32_t map_unknown;         /* of them, still 0 (UID not known) */
    uint32_t fetch_uid;
    uint32_t fetch_msgno;
    unsigned line_flags;          /* flags of FLAGS / [PERMANENTFLAGS] */
    unsigned fetch_flags;
    unsigned fetch_has;
    uint32_t chal_len;            /* decoded SASL challenge in auth_buf */
    mp_imap_client_cmd_ q[MP_IMAP_CLIENT_MAX_INFLIGHT];
    uint8_t nq;
    uint8_t state;                /* mp_imap_client_state */
    uint8_t prev_state;           /* restored after a COMPRESS switch */
    uint8_t secure;
    uint8_t enabled;              /* MP_IMAP_EXT_* */
    uint8_t caps_known;
    uint8_t line_kind;            /* mp_imap_resp_kind of the line */
    uint8_t line_code;            /* its response code */
    uint8_t line_id;              /* mp_imap_cmd_id of line_tag */
    uint8_t in_code;              /* between CODE and CODE_END */
    uint8_t corr_tag;             /* ESEARCH: the correlator is TAG */
    uint8_t caps_pending;         /* caps_new complete, commit at END */
    uint8_t line_tagged;          /* the line is a command's completion */
    uint8_t got_caps;             /* caps came during the command */
    uint8_t chal_state;           /* SASL challenge: 0 none, 1 ok, 2 bad */
    uint8_t map_ok;
    uint8_t vanished_earlier;
    uint8_t in_feed;
    uint8_t paused;
    uint8_t aborted;
    uint8_t bye;                  /* BYE seen */
    uint8_t switching;            /* stop after this line: TLS / COMPRESS /
                                   * closed */
    uint8_t idle_done;            /* idle_done() asked before the "+" */
    uint8_t append_open;          /* an APPEND's bytes are being written */
    uint8_t line_errors;          /* a BODYSTRUCTURE error (quirk) in line */
    uint8_t text_len;
    char text[MP_IMAP_CLIENT_TEXT];
} mp_imap_client;

/*
 * Prepare `c`.  `cfg`, `cb` (and what they point to) and `out[0..cap)`
 * are the host's and must outlive the session; `user` goes to every
 * callback.  `cap` must be at least MP_IMAP_CLIENT_MIN_OUT; more lets
 * commands with literals and pipelined batches go out in one write.
 * Nothing is written until the greeting arrives (MP_IMAP_TLS_IMPLICIT:
 * the host starts TLS first).  MP_ERR_ARG: a NULL pointer, no on_event,
 * no parser buffer or one under 64 bytes, an output buffer under
 * MP_IMAP_CLIENT_MIN_OUT, an unknown TLS policy, an auth_buf under
 * MP_IMAP_CLIENT_AUTH_BUF.
 */
mp_status mp_imap_client_init(mp_imap_client *c, const mp_imap_client_config *cfg,
                              const mp_imap_client_callbacks *cb, void *user, char *out,
                              size_t cap);

/*
 * Bytes received from the server.  Events fire from inside; `*used` is
 * set to the bytes consumed.  Returns:
 *  - MP_NEED_MORE: everything consumed;
 *  - MP_PAUSED: a callback asked to pause; feed the rest later;
 *  - MP_TRANSPORT_SWITCH: the OK to STARTTLS ended exactly at the end of
 *    `in` (start TLS, then mp_imap_client_tls_started), or the OK to
 *    COMPRESS ended at `in + *used` (the rest of `in` is compressed: start
 *    inflating, mp_imap_client_compress_started, and feed it inflated);
 *  - MP_CLOSED: the tagged OK to LOGOUT arrived (the server closes);
 *  - errors (the session is then dead; mp_imap_client_error() has the
 *    code, the stream offset and the rule): the response parser's errors
 *    (imap.h: MP_ERR_IMAP_RESPONSE, MP_ERR_LINE_TOO_LONG,
 *    MP_ERR_IMAP_LITERAL_RANGE, MP_ERR_IMAP_DEPTH, ...),
 *    MP_ERR_IMAP_GREETING (the first line is not a greeting),
 *    MP_ERR_IMAP_BYE (BYE outside LOGOUT, also as the greeting),
 *    MP_ERR_IMAP_TAG_UNKNOWN (a tag never sent, or of a command already
 *    completed), MP_ERR_IMAP_UNSENT (a response to a command not yet sent,
 *    see above), MP_ERR_IMAP_CONTINUE ("+" nobody waits for),
 *    MP_ERR_IMAP_MAILBOX (EXISTS going down, EXPUNGE or FETCH of a message
 *    number beyond EXISTS or without a mailbox, more UIDs vanished than
 *    exist, a message's UID changing), MP_ERR_TLS_INJECTION (bytes after
 *    the OK to STARTTLS, or fed before tls_started), MP_ERR_TLS_REQUIRED
 *    (STARTTLS not offered or refused, or PREAUTH in plaintext, under
 *    MP_IMAP_TLS_REQUIRED), MP_ERR_SASL_SERVER_PROOF (OK to AUTHENTICATE
 *    without the SCRAM server proof), MP_ERR_NO_SPACE (no room for a
 *    command the session writes itself), MP_ERR_ABORTED (a callback said
 *    so);
 *  - MP_ERR_STATE without consuming anything: fed between the OK to
 *    COMPRESS and mp_imap_client_compress_started(), or from a callback.
 * A dead session answers every later feed with the same error and
 * consumes nothing.
 */
mp_status mp_imap_client_feed(mp_imap_client *c, const char *in, size_t len, size_t *used);

/* The bytes to send now: `*len` bytes at the returned pointer, inside the
 * host's buffer, valid until the next call on the session.  Stops before
 * the rest of a command that waits for "+". */
const char *mp_imap_client_output(const mp_imap_client *c, size_t *len);

/* `n` bytes of the output were sent (a partial send is normal).
 * MP_ERR_ARG when n exceeds what mp_imap_client_output() showed. */
mp_status mp_imap_client_output_done(mp_imap_client *c, size_t n);

/* The host finished the TLS handshake after MP_TRANSPORT_SWITCH: every
 * capability learnt before is forgotten and CAPABILITY sent again (RFC
 * 9051 §6.2.1).  MP_ERR_STATE outside the switch. */
mp_status mp_imap_client_tls_started(mp_imap_client *c);

/* The host started DEFLATE both ways after the OK to COMPRESS (RFC 4978):
 * feed inflated bytes from now on and deflate the output.  MP_ERR_STATE
 * outside the switch. */
mp_status mp_imap_client_compress_started(mp_imap_client *c);

/* The server closed the connection.  MP_CLOSED after LOGOUT (its BYE or
 * its completion); anywhere else the session fails with MP_ERR_IMAP_BYE
 * (rule "end of stream"), at the offset of the end. */
mp_status mp_imap_client_eof(mp_imap_client *c);

/* What the server advertised last (empty before).  Points into `c`. */
const mp_imap_caps *mp_imap_client_caps(const mp_imap_client *c);

/* The MP_IMAP_EXT_* the server confirmed with ENABLED (IMAP4REV2 also for
 * a server that speaks only IMAP4rev2). */
unsigned mp_imap_client_enabled(const mp_imap_client *c);

/* The selected mailbox (state MP_IMAP_MBOX_NONE when none).  Points into
 * `c`, updated as responses arrive. */
const mp_imap_mailbox *mp_imap_client_mailbox(const mp_imap_client *c);

/* The UID of message `msgno` from the map (config uid_map), 0 when
 * unknown, out of range or without a map. */
uint32_t mp_imap_client_uid(const mp_imap_client *c, uint32_t msgno);

/* The error that killed the session (code MP_OK while alive): code,
 * stream offset, static rule string.  Points into `c`. */
const mp_error *mp_imap_client_error(const mp_imap_client *c);

/* The current state. */
mp_imap_client_state mp_imap_client_state_of(const mp_imap_client *c);

/* 1 when the connection is under TLS (implicit, or after STARTTLS). */
int mp_imap_client_secure(const mp_imap_client *c);

/* Commands in flight (written, not yet completed). */
size_t mp_imap_client_in_flight(const mp_imap_client *c);

/* Write the tag of command `cmd` ("A17") into buf[0..cap) with a NUL;
 * returns its length, 0 when it does not fit. */
size_t mp_imap_client_tag(uint32_t cmd, char *buf, size_t cap);

/* The mechanisms of the AUTH= capabilities as an mp_sasl_mech_set
 * (sasl.h), for mp_sasl_choose(). */
uint32_t mp_imap_client_sasl_offered(const mp_imap_client *c);

/* ---- commands (see "Commands" above for the common returns) ----------- */

/* LOGIN user password (RFC 9051 §6.2.3) in NOT_AUTHENTICATED.  Refused
 * with MP_ERR_TLS_REQUIRED without TLS under MP_IMAP_TLS_REQUIRED, with
 * MP_ERR_UNSUPPORTED when LOGINDISABLED is advertised (unless
 * MP_IMAP_CLIENT_CLEARTEXT_OK without TLS policy REQUIRED).  On OK the
 * capabilities are those of the OK's code, of a CAPABILITY response
 * during the command, or asked again; then READY (authenticated). */
mp_status mp_imap_client_login(mp_imap_client *c, mp_slice user, mp_slice password,
                               uint32_t *cmd);

struct mp_sasl_client; /* sasl.h */

/*
 * AUTHENTICATE (RFC 9051 §6.2.2) driven by the SASL client `sasl` (sasl.h),
 * started by the host for the mechanism it chose (e.g.
 * mp_sasl_choose(mp_imap_client_sasl_offered(c), flags)).  The initial
 * response goes on the command line when the server offers SASL-IR (RFC
 * 4959) and the mechanism has one; every "+" is answered by
 * mp_sasl_client_step() (a failed step cancels with "*"; the host finds
 * why in sasl->err); on OK mp_sasl_client_finish() must agree: a SCRAM
 * server that claims success without proving it kills the session with
 * MP_ERR_SASL_SERVER_PROOF.  `sasl` is borrowed until the DONE event.
 * Needs cfg.auth_buf (MP_ERR_ARG) and AUTH=<mech> advertised
 * (MP_ERR_UNSUPPORTED).  Mechanisms that show the password or a bearer
 * token (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) follow the LOGIN rules
 * without TLS.
 */
mp_status mp_imap_client_authenticate(mp_imap_client *c, struct mp_sasl_client *sasl,
                                      uint32_t *cmd);

/* ENABLE (RFC 5161) the MP_IMAP_EXT_* of `exts` the server advertises
 * (the others are left out; MP_ERR_UNSUPPORTED when none is left or ENABLE
 * is not offered), authenticated with no mailbox selected.  ENABLED
 * switches the parser and the writer at once (RFC 6855 §3: UTF-8 from
 * the next response on). */
mp_status mp_imap_client_enable(mp_imap_client *c, unsigned exts, uint32_t *cmd);

/* Field/value pairs mp_imap_client_id() takes (a client says its name,
 * version, vendor, os, support-url; the RFC allows 30, which
 * mp_imap_client_command(MP_IMAP_CMD_ID, ...) can send). */
#define MP_IMAP_CLIENT_ID_PAIRS 5u

/* ID (RFC 2971) with `n` field/value pairs (n == 0: "ID NIL"; a value
 * with a NULL pointer: NIL); any state after the greeting.
 * MP_ERR_UNSUPPORTED without the ID capability; MP_ERR_ARG above
 * MP_IMAP_CLIENT_ID_PAIRS or for fields/values over the RFC 2971 §3.3
 * sizes. */
mp_status mp_imap_client_id(mp_imap_client *c, const mp_slice *fields, const mp_slice *values,
                            size_t n, uint32_t *cmd);

/* SELECT / EXAMINE options (zero: a plain SELECT). */
typedef struct mp_imap_select_opts {
    int examine;                        /* EXAMINE: read-only */
    int condstore;                      /* (CONDSTORE) (RFC 7162 §3.1.8) */
    uint32_t qresync_uidvalidity;       /* (QRESYNC (uidvalidity modseq
                                         * [known-uids])) when both are
                                         * non-zero; needs QRESYNC enabled */
    uint64_t qresync_modseq;
    const mp_imap_seq_range *known_uids; /* may be NULL */
    size_t nknown;
} mp_imap_select_opts;

/* SELECT / EXAMINE `mailbox` (UTF-8), authenticated.  `opts` may be NULL.
 * The mailbox state is replaced from the first response that describes
 * the new mailbox ([CLOSED], FLAGS, EXISTS, ...); OK makes it SELECTED,
 * NO leaves none selected.  MP_ERR_UNSUPPORTED for QRESYNC parameters
 * without QRESYNC enabled, CONDSTORE without the capability. */
mp_status mp_imap_client_select(mp_imap_client *c, mp_slice mailbox,
                                const mp_imap_select_opts *opts, uint32_t *cmd);

/* FETCH / UID FETCH (`uid`) as mp_imap_write_fetch() (imap_command.h);
 * needs a mailbox selected or being selected. */
mp_status mp_imap_client_fetch(mp_imap_client *c, int uid, const mp_imap_seq_range *set,
                               size_t nset, const char *const *items, size_t nitems,
                               uint64_t changedsince, int vanished, uint32_t *cmd);

/* STORE / UID STORE as mp_imap_write_store(). */
mp_status mp_imap_client_store(mp_imap_client *c, int uid, const mp_imap_seq_range *set,
                               size_t nset, char op, int silent, const mp_slice *flags,
                               size_t nflags, uint64_t unchangedsince, uint32_t *cmd);

/* Any other command, with the writer's typed arguments
 * (mp_imap_write_command): CAPABILITY, NOOP, LIST, STATUS, SEARCH,
 * CREATE, COPY, MOVE, EXPUNGE, CLOSE, UNSELECT, NAMESPACE, GETQUOTAROOT,
 * ... in a state where RFC 9051 allows it.  The commands with a function
 * of their own (LOGIN, AUTHENTICATE, STARTTLS, ENABLE, SELECT, EXAMINE,
 * IDLE, APPEND, COMPRESS, LOGOUT) are MP_ERR_ARG here. */
mp_status mp_imap_client_command(mp_imap_client *c, mp_imap_cmd_id id, const mp_imap_arg *args,
                                 size_t nargs, uint32_t *cmd);

/* IDLE (RFC 2177), authenticated.  CONTINUE tells that the server idles;
 * untagged responses arrive as usual; mp_imap_client_idle_done() ends
 * it. */
mp_status mp_imap_client_idle(mp_imap_client *c, uint32_t *cmd);

/* Write DONE (now, or when the "+" comes if it has not yet).
 * MP_ERR_STATE when no IDLE is in flight or DONE was written;
 * MP_ERR_NO_SPACE. */
mp_status mp_imap_client_idle_done(mp_imap_client *c);

/*
 * APPEND (RFC 9051 §6.3.12) of a message of `size` bytes that the host
 * streams with mp_imap_client_append_data(); `form` is an
 * MP_IMAP_APPEND_* (imap_command.h: literal, literal8 with BINARY, UTF8
 * with UTF8=ACCEPT enabled).  `flags` and `dt` may be NULL.  A sync
 * literal waits for "+" (CONTINUE event; append_data says MP_PAUSED until
 * then); with LITERAL+ the data may follow at once.  MULTIAPPEND (RFC
 * 3502) continues with mp_imap_client_append_next(), CATENATE (RFC 4469)
 * starts with mp_imap_client_append_catenate(); the command ends with
 * mp_imap_client_append_end().  While an APPEND is open no other command
 * can be written.
 */
mp_status mp_imap_client_append(mp_imap_client *c, mp_slice mailbox, const mp_slice *flags,
                                size_t nflags, const mp_imap_datetime *dt, uint64_t size,
                                int form, uint32_t *cmd);
/* APPEND whose first message is assembled by the server (CATENATE): then
 * mp_imap_client_cat_url() / mp_imap_client_cat_text() parts and
 * mp_imap_client_catenate_end().  MP_ERR_UNSUPPORTED without CATENATE. */
mp_status mp_imap_client_append_catenate(mp_imap_client *c, mp_slice mailbox,
                                         const mp_slice *flags, size_t nflags,
                                         const mp_imap_datetime *dt, uint32_t *cmd);
/* Message (or TEXT part) bytes: as many as fit and are owed (`*used`).
 * MP_OK, MP_PAUSED (the "+" has not come), MP_ERR_NO_SPACE (send output
 * first), MP_ERR_NUL, MP_ERR_ARG (more than announced), MP_ERR_STATE (no
 * APPEND open, or the server refused it). */
mp_status mp_imap_client_append_data(mp_imap_client *c, const void *data, size_t len,
                                     size_t *used);
/* MULTIAPPEND: the next message (`form` as above), after the last byte
 * of the one before.  MP_ERR_UNSUPPORTED without MULTIAPPEND. */
mp_status mp_imap_client_append_next(mp_imap_client *c, const mp_slice *flags, size_t nflags,
                                     const mp_imap_datetime *dt, uint64_t size, int form);
/* MULTIAPPEND: the next message as a CATENATE. */
mp_status mp_imap_client_append_catenate_next(mp_imap_client *c, const mp_slice *flags,
                                              size_t nflags, const mp_imap_datetime *dt);
/* CATENATE parts (imap_command.h): an IMAP URL, or TEXT of `size` bytes
 * streamed with append_data (waits for "+" like a message). */
mp_status mp_imap_client_cat_url(mp_imap_client *c, mp_slice url);
mp_status mp_imap_client_cat_text(mp_imap_client *c, uint64_t size, int form);
mp_status mp_imap_client_catenate_end(mp_imap_client *c);
/* The end of the APPEND: its final CRLF.  MP_ERR_STATE while bytes are
 * owed or a CATENATE list is open. */
mp_status mp_imap_client_append_end(mp_imap_client *c);

/* COMPRESS DEFLATE (RFC 4978), authenticated, for a host that brings a
 * deflate implementation.  The OK makes feed return MP_TRANSPORT_SWITCH
 * (see feed).  MP_ERR_UNSUPPORTED without COMPRESS=DEFLATE. */
mp_status mp_imap_client_compress(mp_imap_client *c, uint32_t *cmd);

/* LOGOUT, in any state after the greeting: the BYE and the tagged OK
 * end the session with MP_CLOSED. */
mp_status mp_imap_client_logout(mp_imap_client *c, uint32_t *cmd);

#ifdef __cplusplus
}
#endif

#endif /* MAILPROTO_IMAP_CLIENT_H */
