/*
 * libmailproto — IMAP (RFC 9051 IMAP4rev2, RFC 3501 IMAP4rev1 and the
 * extensions listed per item): the types both directions share, the
 * response parser (what a client reads) and the response writer (what a
 * server writes).  The command side is in imap_command.h.
 *
 * Nothing here allocates.  Parsers are push parsers: feed them bytes in any
 * fragmentation, events fire from inside the feed through one callbacks
 * table with a `void *user`.  Slices in events point into the caller's
 * input or into the host's assembly buffer and are valid only until the
 * callback returns.
 *
 * Guide: docs/imap-codec.md, with a complete program.
 */
#ifndef MAILPROTO_IMAP_H
#define MAILPROTO_IMAP_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================= */
/* Modes and quirks (shared by both directions)                            */
/* ======================================================================= */

/*
 * Protocol mode bits, chosen at run time (after CAPABILITY / ENABLE).
 *  - MP_IMAP_REV2: IMAP4rev2 grammar (RFC 9051): literal lengths are
 *    number64, RECENT is gone, ESEARCH is the default SEARCH answer.
 *    Without it: IMAP4rev1 (RFC 3501), literal lengths fit in 32 bits.
 *  - MP_IMAP_UTF8: UTF8=ACCEPT (RFC 6855) or rev2: quoted strings and
 *    text may hold well-formed UTF-8 (anything else is MP_ERR_UTF8),
 *    mailbox names are raw UTF-8 instead of modified UTF-7.
 *  - MP_IMAP_LITERAL_MINUS: LITERAL- (RFC 7888): a non-synchronizing
 *    literal is at most MP_IMAP_MAX_NONSYNC_LITERAL octets.
 */
enum {
    MP_IMAP_REV2 = 1u << 0,
    MP_IMAP_UTF8 = 1u << 1,
    MP_IMAP_LITERAL_MINUS = 1u << 2
};

/*
 * Quirks of real peers, all off by default.  Each one weakens the grammar
 * a little; the risk is stated.  Every flag has a test vector (off: error,
 * on: parsed).
 */
enum {
    /* A bare LF ends a line.  Risk: a peer's line ends are ambiguous to a
     * proxy that frames lines differently (smuggling, docs/security.md). */
    MP_IMAP_Q_LF_LINES = 1u << 0,
    /* Trailing spaces before CRLF in CAPABILITY, STATUS, SEARCH, ID and
     * other space-separated lists.  Risk: none known. */
    MP_IMAP_Q_TRAILING_SPACE = 1u << 1,
    /* Spaces between the addresses of an ENVELOPE address list and
     * between the parts of a multipart BODYSTRUCTURE.  Risk: none known. */
    MP_IMAP_Q_LIST_SPACES = 1u << 2,
    /* NIL where a string belongs (body-fld-enc, parameter values).  The
     * value is reported as NIL.  Risk: the host must handle NIL there. */
    MP_IMAP_Q_NIL_STRING = 1u << 3,
    /* ']' inside flags and flag lists with doubled spaces (Gmail).
     * Risk: a flag may look like a response-code end to naive code. */
    MP_IMAP_Q_FLAG_CHARS = 1u << 4,
    /* '\*' in FLAGS (only PERMANENTFLAGS may hold it).  Risk: none. */
    MP_IMAP_Q_STAR_IN_FLAGS = 1u << 5,
    /* `* STATUS "x" ()`: an empty STATUS list.  Risk: none. */
    MP_IMAP_Q_EMPTY_STATUS = 1u << 6,
    /* A continuation request "+" with no space and no text. */
    MP_IMAP_Q_BARE_CONTINUE = 1u << 7,
    /* An unparsable BODY/BODYSTRUCTURE is reported as invalid (an error
     * event) and skipped to its closing parenthesis; the rest of the FETCH
     * goes on.  Risk: the host sees a FETCH without that item. */
    MP_IMAP_Q_BAD_BODYSTRUCTURE = 1u << 8,
    /* Any 8-bit bytes in text and quoted strings, in any mode, not checked
     * as UTF-8 (Latin-1 or raw header bytes from older servers). */
    MP_IMAP_Q_8BIT_TEXT = 1u << 9,
    /* `* QUOTA "root"` without its resource list: real servers answer
     * GETQUOTAROOT so for a root without limits (RFC 9208 needs "()").
     * Reported as QUOTA_ROOT alone.  Risk: none known. */
    MP_IMAP_Q_BARE_QUOTA = 1u << 10
};

/*
 * Run-time limits.  Zero in a field means the compile-time default of
 * config.h; a non-zero value replaces it, above the default too where no
 * fixed array depends on it: max_line and max_literal freely, max_atom and
 * max_quoted up to the capacity of the host's assembly buffer (a client
 * that must take ENVELOPE fields longer than MP_IMAP_MAX_QUOTED, which
 * servers send quoted at any length, gives a larger buffer and limit).
 * max_depth is capped at MP_IMAP_MAX_DEPTH (the parsers' frame stacks).
 */
typedef struct mp_imap_limits {
    uint32_t max_line;      /* bytes per line outside literals, CRLF included
                               (MP_IMAP_MAX_LINE).  A client that expects
                               SEARCH/SORT/THREAD answers over large
                               mailboxes raises it (a 100000-message SEARCH
                               ALL is ~600 KB on one line) or uses ESEARCH */
    uint32_t max_atom;      /* atom, tag, number (MP_IMAP_MAX_ATOM) */
    uint32_t max_quoted;    /* quoted string, text, or a literal assembled as
                               a string (MP_IMAP_MAX_QUOTED) */
    uint16_t max_depth;     /* parenthesis nesting (MP_IMAP_MAX_DEPTH) */
    uint16_t max_literals;  /* literals per line / command / response
                               (MP_IMAP_MAX_LITERALS) */
    uint64_t max_literal;   /* largest literal accepted; default: the
                               protocol maximum (2^32-1, or 2^63-1 in rev2) */
} mp_imap_limits;

/* ======================================================================= */
/* Token kinds (the shared tokenizer, lib/imap/lex.h)                      */
/* ======================================================================= */

typedef enum mp_imap_tok {
    MP_IMAP_TOK_NONE = 0,
    MP_IMAP_TOK_ATOM,          /* atom-like run of the expected class */
    MP_IMAP_TOK_NUMBER,        /* all digits, fits in 64 bits: value in num */
    MP_IMAP_TOK_NIL,           /* the atom NIL (any case) */
    MP_IMAP_TOK_FLAG,          /* "\" atom or "\*"; text includes the "\" */
    MP_IMAP_TOK_STRING,        /* quoted string (unescaped) or a literal
                                  assembled whole (flag MP_IMAP_TOKF_LITERAL) */
    MP_IMAP_TOK_TEXT,          /* the rest of the line, possibly empty */
    MP_IMAP_TOK_LPAREN,
    MP_IMAP_TOK_RPAREN,
    MP_IMAP_TOK_LBRACKET,
    MP_IMAP_TOK_RBRACKET,
    MP_IMAP_TOK_PUNCT,         /* one other special byte, in punct */
    MP_IMAP_TOK_SP,
    MP_IMAP_TOK_CRLF,          /* end of line (MP_IMAP_TOKF_SKIPPED: the end
                                  of a line skipped after an error) */
    MP_IMAP_TOK_LITERAL_SYNC,  /* a sync literal was announced; the peer waits
                                  for "+" (only with MP_IMAP_LEX_SYNC_WAIT) */
    MP_IMAP_TOK_LITERAL_BEGIN, /* {n} / {n+} / ~{n}: num = n */
    MP_IMAP_TOK_LITERAL_CHUNK, /* literal payload bytes (text) */
    MP_IMAP_TOK_LITERAL_END
} mp_imap_tok;

/* Token flags. */
enum {
    MP_IMAP_TOKF_LITERAL = 1u << 0, /* STRING came from a literal */
    MP_IMAP_TOKF_NONSYNC = 1u << 1, /* {n+} */
    MP_IMAP_TOKF_BINARY = 1u << 2,  /* ~{n} (literal8, may hold NUL) */
    MP_IMAP_TOKF_SKIPPED = 1u << 3, /* CRLF ending a skipped line */
    MP_IMAP_TOKF_QUOTED = 1u << 4   /* LITERAL_BEGIN of a long quoted string */
};

/* One token.  `text` points into the caller's input or into the
 * tokenizer's assembly buffer; valid until the next call on the
 * tokenizer. */
typedef struct mp_imap_token {
    mp_imap_tok kind;
    mp_slice text;
    uint64_t num;    /* NUMBER value, literal length */
    uint64_t offset; /* stream offset of the token's first byte */
    uint8_t punct;   /* the byte of a PUNCT token */
    uint8_t flags;   /* MP_IMAP_TOKF_* */
} mp_imap_token;

/* The shared tokenizer state (lib/imap/lex.h); fields are private.  `buf`
 * is the host's assembly buffer. */
typedef struct mp_imap_lex {
    char *buf;             /* host-owned assembly buffer */
    size_t cap;
    size_t len;            /* bytes of a partial token in buf */
    uint64_t pos;          /* stream offset of the next byte */
    uint64_t tok_start;    /* stream offset of the current token */
    uint64_t lit_len;      /* announced literal length */
    uint64_t lit_left;     /* literal bytes still to deliver / skip */
    uint64_t max_literal;
    mp_error err;          /* the last error */
    uint32_t line_len;     /* bytes of this logical line outside literals */
    uint32_t max_line;
    uint32_t max_atom;
    uint32_t max_quoted;   /* min(limit, cap) */
    uint16_t depth;        /* open '(' on this line */
    uint16_t max_depth;
    uint16_t nliterals;    /* literals on this line */
    uint16_t max_literals;
    uint8_t state;         /* private: enum in lex.c */
    uint8_t sub;           /* private: sub-state (skip literal detection) */
    uint8_t cls;           /* class of the token being read */
    uint8_t want;          /* expectation flags */
    uint8_t flags;         /* MP_IMAP_LEX_* tokenizer flags */
    uint8_t tflags;        /* flags of the literal being read */
    uint8_t aux;           /* private: literal length overflowed; sync
                              literal accepted */
    uint8_t bol;           /* at the start of a line */
} mp_imap_lex;

/* ======================================================================= */
/* Response parser (client side)                                           */
/* ======================================================================= */

/* Which response a line is (RFC 9051 §7 and the extensions named). */
#define MP_IMAP_RESP_TABLE(X)                                                 \
    X(NONE, "")                                                               \
    X(OK, "OK") X(NO, "NO") X(BAD, "BAD") X(PREAUTH, "PREAUTH") X(BYE, "BYE")  \
    X(CONTINUE, "+")                                                          \
    X(CAPABILITY, "CAPABILITY") X(ENABLED, "ENABLED") X(FLAGS, "FLAGS")        \
    X(LIST, "LIST") X(LSUB, "LSUB") X(STATUS, "STATUS") X(SEARCH, "SEARCH")    \
    X(ESEARCH, "ESEARCH") X(NAMESPACE, "NAMESPACE") X(ID, "ID")                \
    X(QUOTA, "QUOTA") X(QUOTAROOT, "QUOTAROOT") X(METADATA, "METADATA")        \
    X(SORT, "SORT") X(THREAD, "THREAD") X(EXISTS, "EXISTS")                    \
    X(RECENT, "RECENT") X(EXPUNGE, "EXPUNGE") X(FETCH, "FETCH")                \
    X(VANISHED, "VANISHED") X(UNKNOWN, "")                                   \
    X(ACL, "ACL") X(LISTRIGHTS, "LISTRIGHTS") X(MYRIGHTS, "MYRIGHTS")          \
    X(GENURLAUTH, "GENURLAUTH") X(URLFETCH, "URLFETCH")

typedef enum mp_imap_resp_kind {
#define MP_IMAP_RESP_ENUM_(name, text) MP_IMAP_RESP_##name,
    MP_IMAP_RESP_TABLE(MP_IMAP_RESP_ENUM_)
#undef MP_IMAP_RESP_ENUM_
    MP_IMAP_RESP_COUNT_
} mp_imap_resp_kind;

/* Response codes, RFC 9051 §7.1 and extensions (RFC 4315 UIDPLUS, 7162
 * CONDSTORE/QRESYNC, 5530, 7889 APPENDLIMIT, 5464 METADATA, 8474 ...,
 * 3516 UNKNOWN-CTE, 4469 CATENATE BADURL / TOOBIG).  New codes are added
 * at the end: the values are stable. */
#define MP_IMAP_CODE_TABLE(X)                                                 \
    X(NONE, "") X(UNKNOWN, "")                                                \
    X(ALERT, "ALERT") X(BADCHARSET, "BADCHARSET")                             \
    X(CAPABILITY, "CAPABILITY") X(PARSE, "PARSE")                             \
    X(PERMANENTFLAGS, "PERMANENTFLAGS") X(READ_ONLY, "READ-ONLY")             \
    X(READ_WRITE, "READ-WRITE") X(TRYCREATE, "TRYCREATE")                     \
    X(UIDNEXT, "UIDNEXT") X(UIDVALIDITY, "UIDVALIDITY") X(UNSEEN, "UNSEEN")   \
    X(APPENDUID, "APPENDUID") X(COPYUID, "COPYUID")                           \
    X(UIDNOTSTICKY, "UIDNOTSTICKY") X(HIGHESTMODSEQ, "HIGHESTMODSEQ")         \
    X(NOMODSEQ, "NOMODSEQ") X(MODIFIED, "MODIFIED") X(CLOSED, "CLOSED")       \
    X(UNAVAILABLE, "UNAVAILABLE") X(AUTHENTICATIONFAILED, "AUTHENTICATIONFAILED") \
    X(AUTHORIZATIONFAILED, "AUTHORIZATIONFAILED") X(EXPIRED, "EXPIRED")       \
    X(PRIVACYREQUIRED, "PRIVACYREQUIRED") X(CONTACTADMIN, "CONTACTADMIN")     \
    X(NOPERM, "NOPERM") X(INUSE, "INUSE") X(EXPUNGEISSUED, "EXPUNGEISSUED")   \
    X(CORRUPTION, "CORRUPTION") X(SERVERBUG, "SERVERBUG")                     \
    X(CLIENTBUG, "CLIENTBUG") X(CANNOT, "CANNOT") X(LIMIT, "LIMIT")           \
    X(OVERQUOTA, "OVERQUOTA") X(ALREADYEXISTS, "ALREADYEXISTS")               \
    X(NONEXISTENT, "NONEXISTENT") X(HASCHILDREN, "HASCHILDREN")               \
    X(NOTSAVED, "NOTSAVED") X(APPENDLIMIT, "APPENDLIMIT")                     \
    X(COMPRESSIONACTIVE, "COMPRESSIONACTIVE") X(USEATTR, "USEATTR")           \
    X(METADATA, "METADATA") X(MAILBOXID, "MAILBOXID")                         \
    X(UNKNOWN_CTE, "UNKNOWN-CTE") X(BADURL, "BADURL") X(TOOBIG, "TOOBIG")     \
    X(NOUPDATE, "NOUPDATE") X(NOTIFICATIONOVERFLOW, "NOTIFICATIONOVERFLOW")   \
    X(BADEVENT, "BADEVENT") X(REFERRAL, "REFERRAL") X(URLMECH, "URLMECH")

typedef enum mp_imap_code {
#define MP_IMAP_CODE_ENUM_(name, text) MP_IMAP_CODE_##name,
    MP_IMAP_CODE_TABLE(MP_IMAP_CODE_ENUM_)
#undef MP_IMAP_CODE_ENUM_
    MP_IMAP_CODE_COUNT_
} mp_imap_code;

/*
 * Grammar positions of values and lists: what a VALUE / LIST_BEGIN /
 * LITERAL_* event is.  Names follow RFC 9051 §9.  What each response
 * delivers between BEGIN and END ("(X" is a LIST_BEGIN/LIST_END pair at
 * field X, "*" repeats, "|" alternatives, NIL is a VALUE of type NIL):
 *
 *   status (OK NO BAD BYE PREAUTH, "+"):  [CODE values* CODE_END] [TEXT]
 *     codes: CAPABILITY CAPABILITY*; PERMANENTFLAGS (FLAGS FLAG*);
 *     UIDNEXT/UIDVALIDITY/UNSEEN/HIGHESTMODSEQ CODE_NUMBER;
 *     APPENDUID UIDVALIDITY UID_SET; COPYUID UIDVALIDITY UID_SET
 *     UID_SET_DEST; MODIFIED UID_SET; BADCHARSET [(CHARSETS CHARSET*)];
 *     BADEVENT (EVENTS EVENT+) (RFC 5465); NOUPDATE SEARCH_TAG (RFC 5267);
 *     NOTIFICATIONOVERFLOW nothing; MAILBOXID (OBJECTID OBJECTID);
 *     REFERRAL CODE_TEXT (IMAP URLs separated by spaces, RFC 2221: cut
 *     each with mp_imap_url_parse());
 *     URLMECH URLMECH+ (RFC 4467);
 *     others and unknown codes: [CODE_TEXT] (the code's atom is in CODE's str)
 *   CAPABILITY, ENABLED  CAPABILITY*
 *   FLAGS                (FLAGS FLAG*)
 *   LIST, LSUB           (MBX_ATTRS MBX_ATTR*) DELIMITER MAILBOX [(LIST_EXT EXT*)]
 *   STATUS               MAILBOX (STATUS_ATTS (STATUS_ATT STATUS_VALUE)*);
 *                        the value is a NUMBER, NIL for APPENDLIMIT (RFC
 *                        7889), (STATUS_VALUE OBJECTID) for MAILBOXID (RFC
 *                        8474)
 *   SEARCH, SORT         NUMBER* [(MODSEQ MODSEQ_KEY MODSEQ)]
 *   ESEARCH              [(SEARCH_CORR CORR_NAME CORR_VALUE)] [SEARCH_UID]
 *                        (SEARCH_RETURN SEARCH_VALUE|(SEARCH_VALUE ...))*;
 *                        ESORT's answer is the same; CONTEXT's ADDTO /
 *                        REMOVEFROM (position set ...) and PARTIAL (range
 *                        set|NIL) are (SEARCH_VALUE EXT*) lists (RFC 5267)
 *   NAMESPACE            3 x (NIL | (NS_x (NAMESPACE NS_PREFIX NS_DELIM EXT*)*))
 *   ID                   NIL | (ID_PARAMS (ID_FIELD ID_VALUE)*)
 *   QUOTA                QUOTA_ROOT (QUOTA_LIST (QUOTA_RESOURCE QUOTA_USAGE
 *                        QUOTA_LIMIT)*) (the list missing under
 *                        MP_IMAP_Q_BARE_QUOTA);  QUOTAROOT  MAILBOX QUOTA_ROOT*
 *   METADATA             MAILBOX ((META_LIST (META_ENTRY META_VALUE)*) |
 *                        META_ENTRY*); a META_VALUE literal is streamed
 *   THREAD               (THREAD THREAD_MEMBER* (THREAD ...)*)*
 *   VANISHED             [(VANISHED_OPTS EARLIER)] UID_SET
 *   ACL                  MAILBOX (ACL_IDENTIFIER ACL_RIGHTS)* (RFC 4314)
 *   LISTRIGHTS           MAILBOX ACL_IDENTIFIER ACL_RIGHTS+;  MYRIGHTS
 *                        MAILBOX ACL_RIGHTS
 *   GENURLAUTH           URL+;  URLFETCH  (URL URL_DATA)+, URL_DATA NIL, a
 *                        string or a streamed literal (RFC 4467)
 *   EXISTS RECENT EXPUNGE  nothing (the number is BEGIN's num)
 *   FETCH                (FETCH_ATTS (FETCH_ITEM [SECTION SECTION_HEADER*
 *                        [PARTIAL]] value)*), value by item: FLAGS (FLAGS
 *                        FLAG*), ENVELOPE (ENVELOPE ENV_DATE ENV_SUBJECT
 *                        (ENV_FROM (ADDRESS ADDR_NAME ADDR_ADL ADDR_MAILBOX
 *                        ADDR_HOST)*)|NIL ... ENV_IN_REPLY_TO ENV_MESSAGE_ID),
 *                        BODY/BODYSTRUCTURE (BODY ...), BODY[..] BINARY[..]
 *                        RFC822* BODY_SECTION (streamed literal, string or
 *                        NIL), INTERNALDATE, RFC822_SIZE, UID, (MODSEQ
 *                        MODSEQ), (EMAILID EMAILID), THREADID NIL|(THREADID
 *                        THREADID), PREVIEW, SAVEDATE, BINARY_SIZE; unknown
 *                        items: UNKNOWN values and lists
 *   BODY part            (BODY BODY_TYPE BODY_SUBTYPE BODY_PARAMS|(BODY_PARAMS
 *                        (PARAM_NAME PARAM_VALUE)*) BODY_ID BODY_DESCRIPTION
 *                        BODY_ENCODING BODY_SIZE [ENVELOPE BODY BODY_LINES
 *                        for MESSAGE/RFC822|GLOBAL] [BODY_LINES for TEXT]
 *                        ext...) or multipart (BODY (BODY ...)+ BODY_SUBTYPE
 *                        ext...); ext: BODY_MD5 (single part) or
 *                        BODY_PARAMS (multipart), BODY_DISPOSITION NIL|(DISP_TYPE
 *                        BODY_PARAMS), BODY_LANGUAGE, BODY_LOCATION, EXT*
 *   unknown responses    UNKNOWN values and lists (the name first)
 */
#define MP_IMAP_FIELD_TABLE(X)                                                \
    X(NONE) X(UNKNOWN) X(EXT)                                                 \
    X(CODE_TEXT) X(CODE_NUMBER) X(UIDVALIDITY) X(UID_SET) X(UID_SET_DEST)     \
    X(CHARSETS) X(CHARSET) X(CAPABILITY) X(FLAGS) X(FLAG)                     \
    X(MBX_ATTRS) X(MBX_ATTR) X(DELIMITER) X(MAILBOX) X(LIST_EXT)              \
    X(STATUS_ATTS) X(STATUS_ATT) X(STATUS_VALUE)                              \
    X(NUMBER) X(MODSEQ_KEY) X(MODSEQ) X(SEARCH_CORR) X(CORR_NAME) X(CORR_VALUE) \
    X(SEARCH_UID) X(SEARCH_RETURN) X(SEARCH_VALUE)                            \
    X(NS_PERSONAL) X(NS_OTHER) X(NS_SHARED) X(NAMESPACE) X(NS_PREFIX) X(NS_DELIM) \
    X(ID_PARAMS) X(ID_FIELD) X(ID_VALUE)                                      \
    X(QUOTA_ROOT) X(QUOTA_LIST) X(QUOTA_RESOURCE) X(QUOTA_USAGE) X(QUOTA_LIMIT) \
    X(META_LIST) X(META_ENTRY) X(META_VALUE) X(THREAD) X(THREAD_MEMBER)       \
    X(VANISHED_OPTS) X(EARLIER)                                               \
    X(FETCH_ATTS) X(FETCH_ITEM) X(SECTION) X(SECTION_HEADER) X(PARTIAL)       \
    X(BODY_SECTION) X(INTERNALDATE) X(RFC822_SIZE) X(UID) X(EMAILID) X(THREADID) \
    X(PREVIEW) X(SAVEDATE) X(BINARY_SIZE)                                     \
    X(ENVELOPE) X(ENV_DATE) X(ENV_SUBJECT) X(ENV_FROM) X(ENV_SENDER)          \
    X(ENV_REPLY_TO) X(ENV_TO) X(ENV_CC) X(ENV_BCC) X(ENV_IN_REPLY_TO)         \
    X(ENV_MESSAGE_ID) X(ADDRESS) X(ADDR_NAME) X(ADDR_ADL) X(ADDR_MAILBOX)     \
    X(ADDR_HOST)                                                              \
    X(BODY) X(BODY_TYPE) X(BODY_SUBTYPE) X(BODY_PARAMS) X(PARAM_NAME)         \
    X(PARAM_VALUE) X(BODY_ID) X(BODY_DESCRIPTION) X(BODY_ENCODING)            \
    X(BODY_SIZE) X(BODY_LINES) X(BODY_MD5) X(BODY_DISPOSITION) X(DISP_TYPE)   \
    X(BODY_LANGUAGE) X(BODY_LOCATION)                                         \
    X(EVENTS) X(EVENT) X(SEARCH_TAG) X(OBJECTID)                              \
    X(ACL_IDENTIFIER) X(ACL_RIGHTS) X(URL) X(URL_DATA) X(URLMECH)

typedef enum mp_imap_field {
#define MP_IMAP_FIELD_ENUM_(name) MP_IMAP_F_##name,
    MP_IMAP_FIELD_TABLE(MP_IMAP_FIELD_ENUM_)
#undef MP_IMAP_FIELD_ENUM_
    MP_IMAP_F_COUNT_
} mp_imap_field;

/* Event types. */
typedef enum mp_imap_ev {
    MP_IMAP_EV_NONE = 0,     /* never delivered */
    MP_IMAP_EV_BEGIN = 1,    /* a response starts: resp, str = tag (empty when
                                untagged), num = message number (EXISTS,
                                RECENT, EXPUNGE, FETCH) */
    MP_IMAP_EV_CODE,         /* "[" resp-text-code: code, str = its atom */
    MP_IMAP_EV_CODE_END,     /* "]" */
    MP_IMAP_EV_TEXT,         /* resp-text text, or a continuation's text /
                                base64 (str, possibly empty) */
    MP_IMAP_EV_VALUE,        /* a value at `field`: vtype, str, num */
    MP_IMAP_EV_LIST_BEGIN,   /* "(" opening the list at `field` */
    MP_IMAP_EV_LIST_END,     /* ")" closing it (same field) */
    MP_IMAP_EV_LITERAL_BEGIN,/* a literal value at `field` starts: num =
                                length, flags MP_IMAP_EVF_BINARY */
    MP_IMAP_EV_LITERAL_CHUNK,/* payload bytes (str), any split */
    MP_IMAP_EV_LITERAL_END,
    MP_IMAP_EV_END,          /* the response line is complete and valid */
    MP_IMAP_EV_ERROR         /* err: the line is malformed; it is skipped to
                                its end (literals stepped over), no END
                                follows.  With MP_IMAP_Q_BAD_BODYSTRUCTURE, a
                                BODYSTRUCTURE error skips only that item
                                (discard its events) and the FETCH goes on. */
} mp_imap_ev;

/* Value types of MP_IMAP_EV_VALUE. */
typedef enum mp_imap_vtype {
    MP_IMAP_V_NONE = 0,
    MP_IMAP_V_ATOM,
    MP_IMAP_V_NUMBER,  /* num holds it; str the digits */
    MP_IMAP_V_STRING,  /* quoted or literal, unescaped */
    MP_IMAP_V_NIL,
    MP_IMAP_V_FLAG,    /* "\Seen", "\*" (backslash included) */
    MP_IMAP_V_TEXT     /* free text (unknown response-code data) */
} mp_imap_vtype;

/* Event flags. */
enum {
    MP_IMAP_EVF_BINARY = 1u << 0, /* literal8 (~{n}) */
    MP_IMAP_EVF_MUTF7 = 1u << 1,  /* a mailbox name in modified UTF-7 (rev1
                                     without UTF8=ACCEPT): decode it with
                                     mp_mutf7_decode() */
    MP_IMAP_EVF_LITERAL = 1u << 2, /* the STRING value came as a literal */
    MP_IMAP_EVF_NUMBERED = 1u << 3, /* BEGIN: the response had a message
                                      number (num) */
    MP_IMAP_EVF_QUOTED = 1u << 4   /* LITERAL_BEGIN of a quoted string longer
                                      than max_quoted, streamed: num is 0 (the
                                      length is known at LITERAL_END), the
                                      chunks are its content unescaped */
};

/* One event.  Every slice is valid only during the callback. */
typedef struct mp_imap_resp_event {
    mp_imap_ev type;
    mp_imap_resp_kind resp;  /* the response the event belongs to */
    mp_imap_field field;     /* VALUE, LIST_*, LITERAL_* */
    mp_imap_code code;       /* CODE, and every event inside the code */
    mp_imap_vtype vtype;     /* VALUE */
    mp_slice str;
    uint64_t num;
    uint64_t offset;         /* stream offset of the token */
    unsigned depth;          /* list nesting of the event */
    unsigned flags;          /* MP_IMAP_EVF_* */
    const mp_error *err;     /* ERROR */
} mp_imap_resp_event;

/* Callbacks.  Return 0 to go on, MP_IMAP_CB_PAUSE to make feed return
 * MP_PAUSED right after this event (call feed again with the rest of the
 * input), MP_IMAP_CB_ABORT to make it return MP_ERR_ABORTED (the parser is
 * then unusable until re-initialised). */
enum { MP_IMAP_CB_CONTINUE = 0, MP_IMAP_CB_PAUSE = 1, MP_IMAP_CB_ABORT = -1 };

typedef struct mp_imap_resp_callbacks {
    int (*on_event)(void *user, const mp_imap_resp_event *ev);
} mp_imap_resp_callbacks;

/* Parser configuration: MP_IMAP_REV2/UTF8/LITERAL_MINUS mode bits,
 * MP_IMAP_Q_* quirks and limits (zeros: defaults; max_depth is capped at
 * MP_IMAP_MAX_DEPTH, the size of the parser's stack). */
typedef struct mp_imap_resp_config {
    unsigned mode;
    unsigned quirks;
    mp_imap_limits limits;
} mp_imap_resp_config;

/* One open list of the grammar (private). */
typedef struct mp_imap_resp_frame_ {
    uint8_t ctx, field, sep, sub, flags, item;
    uint16_t index;
} mp_imap_resp_frame_;

/* The parser state.  Plain data, place it anywhere; fields are private.
 * sizeof is 792 bytes on x86-64 with the default MP_IMAP_MAX_DEPTH 64 and
 * MP_IMAP_MAX_TAG 64 (the tokenizer 120 of them; tested below 4 KiB),
 * plus the host's assembly buffer (MP_IMAP_MAX_QUOTED, 8 KiB, suggested). */
typedef struct mp_imap_resp_parser {
    mp_imap_lex lx;
    const mp_imap_resp_callbacks *cb;
    void *user;
    mp_error err;          /* the last error reported */
    uint64_t msgno;
    unsigned mode, quirks;
    unsigned nerrors;
    uint16_t sp;           /* frames in use */
    uint16_t bskip;        /* BODYSTRUCTURE skip: 1 + nesting, 0 = off */
    uint16_t bbase;        /* frame index of the skipped BODYSTRUCTURE */
    uint16_t max_depth;
    uint8_t state;
    uint8_t resp;
    uint8_t code;
    uint8_t aborted;       /* 1 pause requested, 2 aborted */
    uint8_t inlit;         /* inside a streamed literal value */
    uint8_t numbered;      /* the response had a message number */
    uint8_t litfield;
    uint8_t taglen;
    char tag[MP_IMAP_MAX_TAG];
    mp_imap_resp_frame_ stack[MP_IMAP_MAX_DEPTH + 2];
} mp_imap_resp_parser;

/*
 * Prepare `p`.  `buf[0..cap)` is the host's assembly buffer for tokens
 * that straddle feeds (quoted strings, small literals, text); give it
 * max(MP_IMAP_MAX_QUOTED, MP_IMAP_MAX_ATOM) bytes, or less to lower those
 * limits.  `buf`, `cb` and `user` must outlive the parser; `cfg` is copied
 * and may be NULL (IMAP4rev1, no quirks, default limits).  Returns
 * MP_ERR_ARG for a NULL pointer, cap < 64 or no on_event callback.
 */
mp_status mp_imap_resp_init(mp_imap_resp_parser *p, char *buf, size_t cap,
                            const mp_imap_resp_config *cfg, const mp_imap_resp_callbacks *cb,
                            void *user);

/* Switch the protocol mode (MP_IMAP_REV2 / UTF8 / LITERAL_MINUS) after
 * ENABLE or a capability change; takes effect from the next token. */
void mp_imap_resp_set_mode(mp_imap_resp_parser *p, unsigned mode);

/*
 * Parse `in[0..len)` (any fragmentation: the events are the same whatever
 * the split).  `*used` is set to the bytes consumed.  Returns
 *  - MP_NEED_MORE: all input consumed (malformed lines were reported with
 *    MP_IMAP_EV_ERROR and skipped; p->err holds the last error),
 *  - MP_PAUSED: a callback asked to pause; feed the rest later,
 *  - MP_ERR_ABORTED: a callback aborted,
 *  - MP_ERR_ARG: NULL pointers.
 */
mp_status mp_imap_resp_feed(mp_imap_resp_parser *p, const char *in, size_t len, size_t *used);

/* Bytes of an unfinished token held by the parser (a transport switch
 * must find none). */
size_t mp_imap_resp_pending(const mp_imap_resp_parser *p);


/* ======================================================================= */
/* Response writer (server side)                                           */
/* ======================================================================= */

/*
 * Serializes responses from the same events the parser produces (a proxy
 * can pass parsed events straight through; a server builds them).
 * Whole responses or nothing (the default): events append to the
 * mp_outbuf and the response is committed at END; when it did not fit,
 * END returns MP_ERR_NO_SPACE, the buffer is back where BEGIN found it,
 * ob->need is the response's size: send some output and write the
 * response again from BEGIN.  A streamed literal splits a response in
 * units: BEGIN..LITERAL_BEGIN (committed when "{n}\r\n" is written, or
 * NO_SPACE there), the payload, and LITERAL_END..END or the next literal
 * (replayed from the event after LITERAL_END).  Any refused event
 * (MP_ERR_BAD_VALUE, MP_ERR_STATE) drops the whole unit.  With
 * mp_imap_resp_writer_per_element() every call instead appends one whole
 * element or nothing (MP_ERR_NO_SPACE right away: call again with the same
 * event), which suits proxies passing events through.  In whole mode
 * ob->len includes the unit being written: send output between units
 * (after END, after LITERAL_BEGIN, during the payload, after LITERAL_END),
 * never in the middle of one.  The writer keeps the
 * separators, the FETCH section syntax and the list nesting, and chooses
 * each string's representation:
 *  - MP_IMAP_V_STRING: quoted when every byte is a TEXT-CHAR (8-bit only
 *    in UTF-8 mode), a literal {n} otherwise or when MP_IMAP_EVF_LITERAL
 *    asks for it, a literal8 ~{n} when MP_IMAP_EVF_BINARY says it came as
 *    one; NUL is refused (MP_ERR_BAD_VALUE) except in a literal8 (such a
 *    string, or a streamed LITERAL_BEGIN with MP_IMAP_EVF_BINARY);
 *  - MP_IMAP_F_MAILBOX strings without MP_IMAP_EVF_MUTF7 are UTF-8 from
 *    the host: modified UTF-7 on the wire in rev1 (RFC 3501 §5.1.3), raw
 *    under UTF8=ACCEPT / rev2 (parsed names keep their wire form);
 *  - atoms, flags and text are checked, never mangled (MP_ERR_BAD_VALUE
 *    for CR, LF, NUL, a space in an atom, ']' in code text ...).
 * In per-element mode the buffer may hold a partial response until END:
 * send it as it comes, in order.
 * Streamed literals: LITERAL_BEGIN writes "{n}\r\n", then the payload
 * goes through mp_imap_resp_write_literal_data() (as much as fits) or
 * LITERAL_CHUNK events (whole chunk or nothing), then LITERAL_END (checks
 * that exactly n bytes were written: MP_ERR_STATE otherwise).  A
 * LITERAL_BEGIN flagged MP_IMAP_EVF_QUOTED (a long quoted string, as the
 * parser streams it) writes a DQUOTE instead; its chunks are escaped and
 * checked like a quoted string's content (MP_ERR_BAD_VALUE for CR, LF,
 * NUL, 8-bit bytes the mode refuses, UTF-8 checked across chunks;
 * write_literal_data() takes only what fits escaped) and LITERAL_END
 * writes the closing DQUOTE (MP_ERR_BAD_VALUE inside a UTF-8 sequence).
 * Events that break the structure (a value before BEGIN, END with a list
 * open, ...) are MP_ERR_STATE; ERROR events are ignored.
 * sizeof(mp_imap_resp_writer) is about 330 bytes on x86-64.
 */
/* The writer's structural state (private). */
typedef struct mp_imap_resp_wstate_ {
    uint64_t lit_left;   /* payload bytes still owed to a literal */
    uint16_t sp;         /* open levels (0: outside a response) */
    uint8_t in_resp;
    uint8_t in_lit;
    uint8_t lit_binary;
    uint8_t lit_quoted;  /* the open literal is a streamed quoted string */
    uint8_t lit_u8;      /* its UTF-8 decoder state (UTF-8 mode) */
    uint8_t fname;       /* FETCH item name state */
    uint8_t in_code;     /* inside "[" resp-text-code "]" */
    uint8_t coded;       /* this response has had its code */
    struct {
        uint8_t n;       /* elements written at this level (saturating) */
        uint8_t prev;    /* field of the previous element if it was a
                            list, else 0 */
    } lv[MP_IMAP_MAX_DEPTH + 3];
} mp_imap_resp_wstate_;

typedef struct mp_imap_resp_writer {
    mp_outbuf *ob;
    unsigned mode;       /* MP_IMAP_REV2 / MP_IMAP_UTF8 */
    unsigned quirks;     /* MP_IMAP_Q_8BIT_TEXT: 8-bit text allowed */
    int whole;           /* 1: whole responses (default), 0: per element */
    size_t seg_mark;     /* output offset where the current unit began,
                            (size_t)-1 between a literal and the next unit */
    mp_imap_resp_wstate_ s;
    mp_imap_resp_wstate_ seg; /* state at the start of the current unit */
} mp_imap_resp_writer;

/* Event builders for hosts that write responses (every other field zero).
 * Slices must live until the event is written. */
static inline mp_imap_resp_event mp_imap_ev_make(mp_imap_ev type, mp_imap_field field)
{
    mp_imap_resp_event e;
    e.type = type;
    e.resp = MP_IMAP_RESP_NONE;
    e.field = field;
    e.code = MP_IMAP_CODE_NONE;
    e.vtype = MP_IMAP_V_NONE;
    e.str = mp_slice_make(NULL, 0);
    e.num = 0;
    e.offset = 0;
    e.depth = 0;
    e.flags = 0;
    e.err = NULL;
    return e;
}
/* BEGIN: `tag` NULL or "" for untagged; `numbered` for "* n EXISTS/FETCH". */
static inline mp_imap_resp_event mp_imap_ev_begin(mp_imap_resp_kind resp, mp_slice tag,
                                                  int numbered, uint64_t msgno)
{
    mp_imap_resp_event e = mp_imap_ev_make(MP_IMAP_EV_BEGIN, MP_IMAP_F_NONE);
    e.resp = resp;
    e.str = tag;
    e.num = msgno;
    e.flags = numbered ? (unsigned)MP_IMAP_EVF_NUMBERED : 0u;
    return e;
}
/* A VALUE of the given type at `field`. */
static inline mp_imap_resp_event mp_imap_ev_value(mp_imap_field field, mp_imap_vtype vt,
                                                  mp_slice str, uint64_t num)
{
    mp_imap_resp_event e = mp_imap_ev_make(MP_IMAP_EV_VALUE, field);
    e.vtype = vt;
    e.str = str;
    e.num = num;
    return e;
}
static inline mp_imap_resp_event mp_imap_ev_number(mp_imap_field field, uint64_t n)
{
    return mp_imap_ev_value(field, MP_IMAP_V_NUMBER, mp_slice_make(NULL, 0), n);
}
static inline mp_imap_resp_event mp_imap_ev_string(mp_imap_field field, mp_slice s)
{
    return mp_imap_ev_value(field, MP_IMAP_V_STRING, s, 0);
}
static inline mp_imap_resp_event mp_imap_ev_atom(mp_imap_field field, mp_slice s)
{
    return mp_imap_ev_value(field, MP_IMAP_V_ATOM, s, 0);
}
static inline mp_imap_resp_event mp_imap_ev_nil(mp_imap_field field)
{
    return mp_imap_ev_value(field, MP_IMAP_V_NIL, mp_slice_make(NULL, 0), 0);
}
/* A streamed literal of n bytes (binary: literal8). */
static inline mp_imap_resp_event mp_imap_ev_literal(mp_imap_field field, uint64_t n, int binary)
{
    mp_imap_resp_event e = mp_imap_ev_make(MP_IMAP_EV_LITERAL_BEGIN, field);
    e.num = n;
    e.flags = binary ? (unsigned)MP_IMAP_EVF_BINARY : 0u;
    return e;
}

/* Prepare `w` to append to `ob` (which must outlive it). */
void mp_imap_resp_writer_init(mp_imap_resp_writer *w, mp_outbuf *ob, unsigned mode,
                              unsigned quirks);

/* Switch to per-element writing (see above); call right after init. */
void mp_imap_resp_writer_per_element(mp_imap_resp_writer *w);

/* 1 while a response is open (between BEGIN and END). */
int mp_imap_resp_writer_busy(const mp_imap_resp_writer *w);

/* Append the bytes of one event (see above).  Returns MP_OK,
 * MP_ERR_NO_SPACE (nothing written), MP_ERR_BAD_VALUE (the value cannot
 * be sent as it is; nothing written), MP_ERR_STATE (out of order). */
mp_status mp_imap_resp_write(mp_imap_resp_writer *w, const mp_imap_resp_event *ev);

/* Inside a streamed literal: append as much of p[0..n) as fits (and as the
 * literal still owes); `*taken` bytes were written.  MP_OK (maybe with
 * *taken < n: drain and call again), MP_ERR_BAD_VALUE (a NUL in a
 * non-binary literal, *taken stops before it), MP_ERR_STATE. */
mp_status mp_imap_resp_write_literal_data(mp_imap_resp_writer *w, const char *p, size_t n,
                                          size_t *taken);

/*
 * Convenience: one whole status response, e.g.
 *   mp_imap_resp_write_status(w, "a1", MP_IMAP_RESP_OK, "UIDNEXT 4392", "done")
 * gives "a1 OK [UIDNEXT 4392] done\r\n".  `tag` NULL or "" means untagged
 * ("*"), MP_IMAP_RESP_CONTINUE gives "+ text".  `code` (without brackets)
 * and `text` are NUL-terminated and may be NULL.  Whole or nothing;
 * MP_ERR_BAD_VALUE for CR/LF/NUL, a bad tag, a ']' in the code.
 */
mp_status mp_imap_resp_write_status(mp_imap_resp_writer *w, const char *tag,
                                    mp_imap_resp_kind kind, const char *code, const char *text);

/* Append `s` as an IMAP string in the cheapest valid form: quoted, or a
 * literal when it holds CR, LF, or 8-bit bytes outside UTF-8 mode (`mode`
 * MP_IMAP_UTF8 / MP_IMAP_REV2).  NUL: MP_ERR_BAD_VALUE.  Whole or nothing. */
mp_status mp_imap_write_string(mp_outbuf *ob, unsigned mode, mp_slice s);

/* ======================================================================= */
/* IMAP URLs (RFC 5092) and URLAUTH (RFC 4467)                             */
/* ======================================================================= */

/* What an IMAP URL holds (mp_imap_url.flags). */
enum {
    MP_IMAP_URL_SERVER = 1u << 0,   /* "imap://" iserver (else "/" relative) */
    MP_IMAP_URL_MAILBOX = 1u << 1,  /* enc-mailbox [;UIDVALIDITY=] */
    MP_IMAP_URL_SEARCH = 1u << 2,   /* "?" enc-search (a message list) */
    MP_IMAP_URL_UID = 1u << 3,      /* /;UID= (a message part follows) */
    MP_IMAP_URL_SECTION = 1u << 4,  /* /;SECTION= */
    MP_IMAP_URL_PARTIAL = 1u << 5,  /* /;PARTIAL=origin[.length] */
    MP_IMAP_URL_URLAUTH = 1u << 6,  /* [;EXPIRE=] ;URLAUTH=access */
    MP_IMAP_URL_VERIFIER = 1u << 7  /* ":" mechanism ":" token */
};

/* An IMAP URL cut into its parts: every slice points into the text given
 * to mp_imap_url_parse() and is %-encoded as sent (mp_imap_url_decode()
 * gives the octets; a mailbox name is then UTF-8, RFC 5092 §3.1).  Absent
 * parts are empty slices and zero numbers. */
typedef struct mp_imap_url {
    unsigned flags;          /* MP_IMAP_URL_* */
    mp_slice user;           /* enc-user */
    mp_slice auth;           /* enc-auth-type, or "*" (any mechanism) */
    mp_slice host;           /* reg-name, IPv4 or "[IP-literal]" */
    uint16_t port;           /* 0: the default */
    mp_slice mailbox;        /* enc-mailbox */
    uint32_t uidvalidity;    /* 0: none */
    uint32_t uid;            /* 0: none */
    mp_slice search;         /* enc-search */
    mp_slice section;        /* enc-section */
    uint64_t partial_origin; /* with MP_IMAP_URL_PARTIAL */
    uint64_t partial_len;    /* 0: to the end */
    mp_slice expire;         /* RFC 3339 date-time of ;EXPIRE= */
    mp_slice access;         /* "submit+fred", "user+fred", "authuser",
                                "anonymous" */
    mp_slice rump;           /* the URL up to the end of the access
                                identifier: what GENURLAUTH is given and the
                                verifier signs (RFC 4467 §3) */
    mp_slice mechanism;      /* uauth-mechanism ("INTERNAL") */
    mp_slice token;          /* enc-urlauth, 32 or more hex digits */
} mp_imap_url;

/*
 * Parse an absolute IMAP URL ("imap://" iserver [ "/" icommand ]) or one
 * relative to the server ("/" icommand, as CATENATE and URLFETCH take
 * them): iuserinfo with ;AUTH=, host and port, the mailbox with
 * ;UIDVALIDITY=, a search, or a message part (;UID=, ;SECTION=,
 * ;PARTIAL=) with its URLAUTH ([;EXPIRE=] ;URLAUTH=access [":" mechanism
 * ":" token]).  Keywords in any case; %-escapes checked.  Returns MP_OK,
 * MP_ERR_SYNTAX (anything the grammar does not allow, `*u` zeroed) or
 * MP_ERR_ARG.  `s` must outlive the slices in `*u`.
 */
mp_status mp_imap_url_parse(const char *s, size_t n, mp_imap_url *u);

/* %-decode `enc` into out[0..cap); returns the length, or (size_t)-1 when
 * cap is too small.  Never longer than enc.len. */
size_t mp_imap_url_decode(mp_slice enc, char *out, size_t cap);

/* Symbolic names for event dumps ("FETCH", "UIDNEXT", "ENV_SUBJECT"); never
 * NULL. */
const char *mp_imap_resp_name(mp_imap_resp_kind k);
const char *mp_imap_code_name(mp_imap_code c);
const char *mp_imap_field_name(mp_imap_field f);

#ifdef __cplusplus
}
#endif

#endif /* MAILPROTO_IMAP_H */
