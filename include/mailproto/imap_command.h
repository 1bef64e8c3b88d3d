/*
 * libmailproto — IMAP commands: the command writer (client side) and the
 * command parser (server side), RFC 3501 (IMAP4rev1), RFC 9051 (IMAP4rev2)
 * and the extensions listed with each command id below.
 *
 * Nothing here allocates.  The writer appends whole protocol elements to a
 * caller-owned mp_outbuf (core.h); the parser is a push parser fed any
 * fragmentation of the stream, reporting typed events through a callbacks
 * table.
 *
 * Guide: docs/imap-codec.md, with a complete program.
 */
#ifndef MAILPROTO_IMAP_COMMAND_H
#define MAILPROTO_IMAP_COMMAND_H

#include <stddef.h>
#include <stdint.h>

#include "core.h"
#include "imap.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================= */
/* Command ids (shared by the writer and the parser)                        */
/* ======================================================================= */

/* X(id, wire name) — the wire name is what the writer sends; the parser
 * matches it case-insensitively (a "UID " prefix is matched as its own
 * word).  The RFC that defines each command is in the comment. */
#define MP_IMAP_CMD_TABLE(X)                                                   \
    X(MP_IMAP_CMD_CAPABILITY, "CAPABILITY")       /* 3501 6.1.1 */             \
    X(MP_IMAP_CMD_NOOP, "NOOP")                   /* 3501 6.1.2 */             \
    X(MP_IMAP_CMD_LOGOUT, "LOGOUT")               /* 3501 6.1.3 */             \
    X(MP_IMAP_CMD_STARTTLS, "STARTTLS")           /* 3501 6.2.1 */             \
    X(MP_IMAP_CMD_AUTHENTICATE, "AUTHENTICATE")   /* 3501 6.2.2, 4959 */       \
    X(MP_IMAP_CMD_LOGIN, "LOGIN")                 /* 3501 6.2.3 */             \
    X(MP_IMAP_CMD_ENABLE, "ENABLE")               /* 5161 */                   \
    X(MP_IMAP_CMD_SELECT, "SELECT")               /* 3501 6.3.1, 7162 */       \
    X(MP_IMAP_CMD_EXAMINE, "EXAMINE")             /* 3501 6.3.2 */             \
    X(MP_IMAP_CMD_CREATE, "CREATE")               /* 3501 6.3.3, 6154 */       \
    X(MP_IMAP_CMD_DELETE, "DELETE")               /* 3501 6.3.4 */             \
    X(MP_IMAP_CMD_RENAME, "RENAME")               /* 3501 6.3.5 */             \
    X(MP_IMAP_CMD_SUBSCRIBE, "SUBSCRIBE")         /* 3501 6.3.6 */             \
    X(MP_IMAP_CMD_UNSUBSCRIBE, "UNSUBSCRIBE")     /* 3501 6.3.7 */             \
    X(MP_IMAP_CMD_LIST, "LIST")                   /* 3501 6.3.8, 5258, 5819 */ \
    X(MP_IMAP_CMD_LSUB, "LSUB")                   /* 3501 6.3.9 */             \
    X(MP_IMAP_CMD_NAMESPACE, "NAMESPACE")         /* 2342, 9051 6.3.10 */      \
    X(MP_IMAP_CMD_STATUS, "STATUS")               /* 3501 6.3.10 */            \
    X(MP_IMAP_CMD_APPEND, "APPEND")               /* 3501 6.3.11, 3502 */      \
    X(MP_IMAP_CMD_IDLE, "IDLE")                   /* 2177 */                   \
    X(MP_IMAP_CMD_CHECK, "CHECK")                 /* 3501 6.4.1 */             \
    X(MP_IMAP_CMD_CLOSE, "CLOSE")                 /* 3501 6.4.2 */             \
    X(MP_IMAP_CMD_UNSELECT, "UNSELECT")           /* 3691, 9051 6.4.2 */       \
    X(MP_IMAP_CMD_EXPUNGE, "EXPUNGE")             /* 3501 6.4.3 */             \
    X(MP_IMAP_CMD_SEARCH, "SEARCH")               /* 3501 6.4.4, 4731 */       \
    X(MP_IMAP_CMD_FETCH, "FETCH")                 /* 3501 6.4.5, 3516 */       \
    X(MP_IMAP_CMD_STORE, "STORE")                 /* 3501 6.4.6, 7162 */       \
    X(MP_IMAP_CMD_COPY, "COPY")                   /* 3501 6.4.7 */             \
    X(MP_IMAP_CMD_MOVE, "MOVE")                   /* 6851 */                   \
    X(MP_IMAP_CMD_UID_EXPUNGE, "UID EXPUNGE")     /* 4315 */                   \
    X(MP_IMAP_CMD_UID_SEARCH, "UID SEARCH")       /* 3501 6.4.8 */             \
    X(MP_IMAP_CMD_UID_FETCH, "UID FETCH")                                      \
    X(MP_IMAP_CMD_UID_STORE, "UID STORE")                                      \
    X(MP_IMAP_CMD_UID_COPY, "UID COPY")                                        \
    X(MP_IMAP_CMD_UID_MOVE, "UID MOVE")                                        \
    X(MP_IMAP_CMD_ID, "ID")                       /* 2971 */                   \
    X(MP_IMAP_CMD_GETQUOTA, "GETQUOTA")           /* 9208 */                   \
    X(MP_IMAP_CMD_GETQUOTAROOT, "GETQUOTAROOT")                                \
    X(MP_IMAP_CMD_SETQUOTA, "SETQUOTA")                                        \
    X(MP_IMAP_CMD_GETMETADATA, "GETMETADATA")     /* 5464 */                   \
    X(MP_IMAP_CMD_SETMETADATA, "SETMETADATA")                                  \
    X(MP_IMAP_CMD_SORT, "SORT")                   /* 5256 */                   \
    X(MP_IMAP_CMD_UID_SORT, "UID SORT")                                        \
    X(MP_IMAP_CMD_THREAD, "THREAD")                                            \
    X(MP_IMAP_CMD_UID_THREAD, "UID THREAD")                                    \
    X(MP_IMAP_CMD_COMPRESS, "COMPRESS")           /* 4978 */                   \
    X(MP_IMAP_CMD_NOTIFY, "NOTIFY")               /* 5465 */                   \
    X(MP_IMAP_CMD_CANCELUPDATE, "CANCELUPDATE")   /* 5267 4.3 */               \
    X(MP_IMAP_CMD_GETACL, "GETACL")               /* 4314 3 */                 \
    X(MP_IMAP_CMD_SETACL, "SETACL")                                            \
    X(MP_IMAP_CMD_DELETEACL, "DELETEACL")                                      \
    X(MP_IMAP_CMD_LISTRIGHTS, "LISTRIGHTS")                                    \
    X(MP_IMAP_CMD_MYRIGHTS, "MYRIGHTS")                                        \
    X(MP_IMAP_CMD_RESETKEY, "RESETKEY")           /* 4467 */                   \
    X(MP_IMAP_CMD_GENURLAUTH, "GENURLAUTH")                                    \
    X(MP_IMAP_CMD_URLFETCH, "URLFETCH")                                        \
    X(MP_IMAP_CMD_ESEARCH, "ESEARCH")             /* 7377 */

typedef enum mp_imap_cmd_id {
    MP_IMAP_CMD_NONE_ = 0,
#define MP_IMAP_CMD_ENUM_(id, name) id,
    MP_IMAP_CMD_TABLE(MP_IMAP_CMD_ENUM_)
#undef MP_IMAP_CMD_ENUM_
    MP_IMAP_CMD_COUNT_
} mp_imap_cmd_id;

/* The wire name of `id` ("UID FETCH"); NULL for an id outside the table.
 * The string is static. */
const char *mp_imap_cmd_name(mp_imap_cmd_id id);

/* ======================================================================= */
/* Values shared by both directions                                         */
/* ======================================================================= */

/* "*" in a sequence set (seq-number = nz-number / "*"): 0 is never a
 * valid message number or UID, so it stands for "*". */
#define MP_IMAP_SEQ_STAR 0u

/* One element of a sequence-set: `lo` alone when lo == hi, else "lo:hi"
 * (RFC 9051 §9 seq-range; the order is kept as written). */
typedef struct mp_imap_seq_range {
    uint32_t lo;
    uint32_t hi;
} mp_imap_seq_range;

/* RFC 3501 date-time ("17-Jul-1996 02:44:25 -0700") and, with the time
 * fields unused, a SEARCH date.  month 1..12, zone in minutes east of
 * UTC (-0700 is -420). */
typedef struct mp_imap_datetime {
    uint16_t year;
    uint8_t month;
    uint8_t day;
    uint8_t hour;
    uint8_t min;
    uint8_t sec;
    int16_t zone;
} mp_imap_datetime;

/* ======================================================================= */
/* Command writer (client side)                                            */
/* ======================================================================= */

/* What the server announced; they choose the representation of strings
 * and mailbox names.  Without any flag the writer produces plain
 * IMAP4rev1: sync literals, modified UTF-7 mailbox names, 7-bit quoted
 * strings. */
enum {
    MP_IMAP_W_REV2 = 1u << 0,          /* IMAP4rev2 was selected (ENABLE) */
    MP_IMAP_W_UTF8_ACCEPT = 1u << 1,   /* ENABLE UTF8=ACCEPT (RFC 6855) */
    MP_IMAP_W_LITERAL_PLUS = 1u << 2,  /* LITERAL+ (RFC 7888): all non-sync */
    MP_IMAP_W_LITERAL_MINUS = 1u << 3, /* LITERAL-: non-sync up to 4096 */
    MP_IMAP_W_BINARY = 1u << 4         /* BINARY (RFC 3516): literal8 allowed */
};

/* Kinds of command arguments for mp_imap_write_command().  Each is
 * checked and encoded; a value that cannot be sent is refused. */
typedef enum mp_imap_arg_kind {
    /* A keyword sent as it is (ALL, UIDNEXT, CHARSET, DEFLATE, a fetch
     * item such as BODY.PEEK[HEADER.FIELDS (From)]<0.100>).  Must be
     * non-empty printable ASCII without '{'; quotes, backslashes and
     * spaces only inside "[...]" / "(...)", which must balance. */
    MP_IMAP_ARG_ATOM = 1,
    /* astring: atom when possible, else quoted, else literal.  May hold
     * CR/LF (literal) and 8-bit (literal in rev1, quoted UTF-8 under
     * REV2/UTF8_ACCEPT); never NUL. */
    MP_IMAP_ARG_ASTRING,
    /* string: quoted or literal, never an atom. */
    MP_IMAP_ARG_STRING,
    /* nstring: NIL when s.ptr is NULL, else like STRING. */
    MP_IMAP_ARG_NSTRING,
    /* A mailbox name in UTF-8 without control characters: modified UTF-7
     * in rev1 without UTF8=ACCEPT, raw UTF-8 otherwise; atom or quoted. */
    MP_IMAP_ARG_MAILBOX,
    /* A LIST pattern (list-mailbox): like MAILBOX, '%' and '*' stay atoms. */
    MP_IMAP_ARG_LIST_MAILBOX,
    /* A number (`num`); mod-sequences up to 2^63-1. */
    MP_IMAP_ARG_NUMBER,
    /* A sequence set: `ranges[0..nranges)`, at least one. */
    MP_IMAP_ARG_SEQSET,
    /* A flag: "\" atom (\Seen, \Deleted, ...) or a keyword atom; "\*"
     * is refused (only PERMANENTFLAGS holds it). */
    MP_IMAP_ARG_FLAG,
    /* A quoted date-time from `dt`. */
    MP_IMAP_ARG_DATETIME,
    /* A SEARCH date (dd-Mon-yyyy) from `dt`. */
    MP_IMAP_ARG_DATE,
    /* "(" and ")": the next argument follows "(" without a space. */
    MP_IMAP_ARG_LIST_BEGIN,
    MP_IMAP_ARG_LIST_END,
    /* string or literal8: like STRING, but a value holding NUL goes as
     * literal8 (~{n}) when BINARY was announced (SETMETADATA values). */
    MP_IMAP_ARG_BINARY_STRING,
    /* NIL. */
    MP_IMAP_ARG_NIL,
    /* "$": the saved search result as a sequence set (RFC 9051, RFC 5182). */
    MP_IMAP_ARG_SEQ_LAST
} mp_imap_arg_kind;

/* One argument.  Pointers are read only during the call. */
typedef struct mp_imap_arg {
    mp_imap_arg_kind kind;
    mp_slice s;                      /* ATOM, *STRING, MAILBOX, FLAG */
    uint64_t num;                    /* NUMBER */
    const mp_imap_seq_range *ranges; /* SEQSET */
    size_t nranges;
    const mp_imap_datetime *dt;      /* DATETIME, DATE */
} mp_imap_arg;

/* Writer state (what is private may change).  Copyable while idle. */
typedef struct mp_imap_writer {
    mp_outbuf *out;     /* host-owned; must outlive the writer */
    unsigned flags;     /* MP_IMAP_W_* */
    uint8_t state;      /* private */
    uint8_t cmd;        /* private: command being written in segments */
    uint16_t seg_done;  /* private: sync-literal segments already queued */
    uint64_t lit_left;  /* APPEND message bytes still owed */
    uint8_t lit_binary; /* private: current APPEND literal is literal8 */
    uint8_t lit_close;  /* private: ")" owed after it (RFC 6855 UTF8 form) */
    uint8_t cat;        /* private: 1 in a CATENATE list, 2 after a part */
} mp_imap_writer;

/* Prepare `w` to append commands to `out` (host-owned, must outlive the
 * writer).  `flags`: MP_IMAP_W_*; may be changed later in w->flags
 * between commands (after CAPABILITY / ENABLE). */
void mp_imap_writer_init(mp_imap_writer *w, mp_outbuf *out, unsigned flags);

/*
 * Write one command: `tag` SP name [SP args] CRLF.
 *
 * Returns:
 *  - MP_OK: the whole (rest of the) command is in the output buffer.
 *  - MP_PAUSED: a string needed a synchronizing literal.  The command up
 *    to and including "{n}\r\n" is in the buffer; the client must send
 *    it and wait for the server's "+" continuation, then call
 *    mp_imap_writer_continue() and call this function again with the SAME
 *    arguments (it writes the next part).  If the server answers with a
 *    tagged NO/BAD instead, call mp_imap_writer_cancel().
 *  - MP_ERR_NO_SPACE: nothing was written (out->need says how much room
 *    the part needs); call again after the host sent some output.
 *  - MP_ERR_STATE: a previous command is waiting for "+", or an APPEND is
 *    open, or a paused command is called with a different id.
 *  - MP_ERR_ARG: bad tag (empty, longer than MP_IMAP_MAX_TAG, not
 *    ASTRING-CHARs without '+'), unknown id, an argument kind misused,
 *    unbalanced LIST_BEGIN/LIST_END; a malformed search program (SEARCH,
 *    SORT, THREAD); a list whose members the RFCs name that the command
 *    parser would refuse: SORT criteria (RFC 5256 sort-key, REVERSE before
 *    a key, RFC 5957 DISPLAYFROM / DISPLAYTO), fetch modifiers after the
 *    items (CHANGEDSINCE mod-sequence-valzer, VANISHED only in UID FETCH
 *    with CHANGEDSINCE; RFC 7162), store modifiers before the item
 *    (UNCHANGEDSINCE), GETMETADATA options (RFC 5464: MAXSIZE number,
 *    DEPTH 0 / 1 / infinity), LIST selection options (RECURSIVEMATCH needs
 *    another than REMOTE; RFC 5258) and RETURN options (STATUS with a
 *    non-empty status-att list; RFC 5819), STATUS items.  Extension
 *    members (RFC 4466 tagged-ext, RFC 5258 option-extension) pass.
 *  - MP_ERR_IMAP_CMD_REV1_ONLY: with MP_IMAP_W_REV2, what RFC 9051
 *    Appendix E removed: the search keys NEW, OLD and RECENT, the status
 *    item RECENT (STATUS, LIST RETURN (STATUS ...)), the CHECK command.
 *    LSUB (deprecated, still defined) is written.
 *  - MP_ERR_BAD_VALUE: an argument that cannot be sent as it is (CR/LF in
 *    an atom or mailbox name, an empty or '0' sequence set, a bad flag,
 *    an impossible date); MP_ERR_NUL: NUL outside literal8; MP_ERR_UTF8 /
 *    MP_ERR_8BIT: 8-bit data that is not UTF-8 or not allowed there;
 *    MP_ERR_TOKEN_TOO_LONG: a mailbox name longer than MP_IMAP_MAX_QUOTED.
 *    Nothing was written.
 * IDLE leaves the writer expecting mp_imap_write_done() (MP_ERR_STATE for
 * anything else).  APPEND goes through mp_imap_write_append_begin().
 */
mp_status mp_imap_write_command(mp_imap_writer *w, const char *tag, mp_imap_cmd_id cmd,
                                const mp_imap_arg *args, size_t nargs);

/* The server sent "+" for the pending sync literal: the next call writes
 * the literal data.  MP_ERR_STATE when nothing waits for "+". */
mp_status mp_imap_writer_continue(mp_imap_writer *w);

/* The server refused the pending command (tagged NO/BAD before "+"): the
 * rest of it is dropped and the writer is idle again.  Always succeeds. */
void mp_imap_writer_cancel(mp_imap_writer *w);

/* The common commands, as typed wrappers of mp_imap_write_command(); same
 * returns.  Strings are UTF-8 C strings read only during the call. */
mp_status mp_imap_write_login(mp_imap_writer *w, const char *tag, mp_slice user,
                              mp_slice password);
/* SELECT / EXAMINE (`examine` non-zero) with the CONDSTORE parameter
 * (`condstore`) or QRESYNC (uidvalidity, modseq non-zero; `known_uids`
 * may be NULL). */
mp_status mp_imap_write_select(mp_imap_writer *w, const char *tag, int examine, mp_slice mailbox,
                               int condstore, uint32_t qresync_uidvalidity,
                               uint64_t qresync_modseq, const mp_imap_seq_range *known_uids,
                               size_t nknown);
/* A command without arguments: CAPABILITY, NOOP, LOGOUT, STARTTLS,
 * CHECK, CLOSE, UNSELECT, EXPUNGE, NAMESPACE, IDLE (MP_ERR_ARG for any
 * other).  Links none of the argument checks of mp_imap_write_command. */
mp_status mp_imap_write_simple(mp_imap_writer *w, const char *tag, mp_imap_cmd_id cmd);
/* A command whose only argument is a mailbox: CREATE, DELETE, SUBSCRIBE,
 * UNSUBSCRIBE, GETQUOTAROOT, SELECT, EXAMINE. */
mp_status mp_imap_write_mailbox_command(mp_imap_writer *w, const char *tag, mp_imap_cmd_id cmd,
                                        mp_slice mailbox);
/* FETCH / UID FETCH (`uid`) of `items` (fetch-att keywords such as "FLAGS",
 * "BODY.PEEK[HEADER.FIELDS (From To)]<0.2048>", "PREVIEW (LAZY)" (RFC 8970:
 * an item, SP and a parenthesised list of words); one item is sent
 * without parentheses) with CHANGEDSINCE (non-zero) and VANISHED (UID
 * FETCH with CHANGEDSINCE only, else MP_ERR_ARG; RFC 7162 §3.2.6). */
mp_status mp_imap_write_fetch(mp_imap_writer *w, const char *tag, int uid,
                              const mp_imap_seq_range *set, size_t nset, const char *const *items,
                              size_t nitems, uint64_t changedsince, int vanished);
/* STORE / UID STORE: `op` is '+', '-' or 0 (replace); `silent` adds
 * ".SILENT"; UNCHANGEDSINCE when unchangedsince != UINT64_MAX. */
mp_status mp_imap_write_store(mp_imap_writer *w, const char *tag, int uid,
                              const mp_imap_seq_range *set, size_t nset, char op, int silent,
                              const mp_slice *flags, size_t nflags, uint64_t unchangedsince);
/* COPY / MOVE (`move`), UID variants (`uid`). */
mp_status mp_imap_write_copy(mp_imap_writer *w, const char *tag, int uid, int move,
                             const mp_imap_seq_range *set, size_t nset, mp_slice mailbox);

/* AUTHENTICATE `mech` with an optional SASL-IR initial response (RFC
 * 4959): `ir` NULL for none, an empty `ir` is sent as "=".  The response
 * is base64-encoded by the writer. */
mp_status mp_imap_write_authenticate(mp_imap_writer *w, const char *tag, const char *mech,
                                     const void *ir, size_t ir_len);
/* One SASL continuation response: base64 of `data` and CRLF. */
mp_status mp_imap_write_auth_response(mp_imap_writer *w, const void *data, size_t len);
/* Cancel the SASL exchange: "*\r\n". */
mp_status mp_imap_write_auth_cancel(mp_imap_writer *w);

/* End IDLE: "DONE\r\n".  MP_ERR_STATE when no IDLE was written. */
mp_status mp_imap_write_done(mp_imap_writer *w);

/* How an APPEND message (or a CATENATE TEXT part) is sent: the `binary`
 * argument of mp_imap_write_append_begin / _next, the `form` of
 * mp_imap_write_cat_text_begin. */
enum {
    MP_IMAP_APPEND_LITERAL = 0,  /* {size} */
    MP_IMAP_APPEND_LITERAL8 = 1, /* ~{size}: needs MP_IMAP_W_BINARY (RFC 3516);
                                    never for a TEXT part */
    MP_IMAP_APPEND_UTF8 = 2      /* UTF8 (~{size}) (RFC 6855 §4): a message
                                    with UTF-8 headers; needs
                                    MP_IMAP_W_UTF8_ACCEPT.  The writer adds
                                    the ")" after the last byte itself */
};

/*
 * APPEND with the message streamed by the host (RFC 3501 §6.3.11, MULTIAPPEND
 * RFC 3502): begin writes "tag APPEND mailbox [(flags)] [date-time] {size}"
 * (`binary` is an MP_IMAP_APPEND_* form: literal8 "~{size}" needs
 * MP_IMAP_W_BINARY, "UTF8 (~{size}" needs MP_IMAP_W_UTF8_ACCEPT, else
 * MP_ERR_UNSUPPORTED; another value is MP_ERR_ARG).
 * Returns MP_OK when the data may follow at once (non-sync literal) or
 * MP_PAUSED when the client must wait for "+" and call
 * mp_imap_writer_continue() first.  `flags` may be NULL, `dt` NULL.
 */
mp_status mp_imap_write_append_begin(mp_imap_writer *w, const char *tag, mp_slice mailbox,
                                     const mp_slice *flags, size_t nflags,
                                     const mp_imap_datetime *dt, uint64_t size, int binary);
/* Copy message (or CATENATE TEXT part) bytes, as many as fit and are
 * still owed; `*used` says how many.  MP_ERR_NO_SPACE when none fit; MP_ERR_NUL at a NUL in a
 * non-binary literal (`*used` stops before it); MP_ERR_STATE before "+"
 * or when no APPEND is open; MP_ERR_ARG for more bytes than announced. */
mp_status mp_imap_write_append_data(mp_imap_writer *w, const void *data, size_t len,
                                    size_t *used);
/* MULTIAPPEND: after a message's last byte (or its catenate_end),
 * announce the next one; arguments and returns as for begin, MP_ERR_STATE
 * when bytes are owed or a CATENATE list is open. */
mp_status mp_imap_write_append_next(mp_imap_writer *w, const mp_slice *flags, size_t nflags,
                                    const mp_imap_datetime *dt, uint64_t size, int binary);
/* After the last message's last byte (or its catenate_end): the final
 * CRLF.  MP_ERR_STATE while message bytes are owed or a CATENATE list is
 * open. */
mp_status mp_imap_write_append_end(mp_imap_writer *w);

/*
 * APPEND of a message the server assembles (CATENATE, RFC 4469; check the
 * CATENATE capability first).  The sequence is:
 *
 *   mp_imap_write_append_catenate_begin()   "tag APPEND mbox [(flags)]
 *                                            [date-time] CATENATE ("
 *   then one or more parts, in order:
 *     mp_imap_write_cat_url()               "URL astring"
 *     mp_imap_write_cat_text_begin()        "TEXT {n}" (or "UTF8 (~{n}")
 *       + mp_imap_write_append_data()       its n bytes, as for a message
 *   mp_imap_write_catenate_end()            ")"
 *   then mp_imap_write_append_end(), or another message (MULTIAPPEND):
 *   mp_imap_write_append_next() or mp_imap_write_append_catenate_next().
 *
 * Each call writes one whole element or nothing (MP_ERR_NO_SPACE: call
 * again after the host sent some output).  Strings are read only during
 * the call.  A part or the end while a TEXT part's bytes are owed, or
 * outside such an APPEND, is MP_ERR_STATE.  If the server answers a sync
 * TEXT literal with a tagged NO/BAD (e.g. [BADURL] or [TOOBIG], RFC 4469
 * §4), call mp_imap_writer_cancel().
 */

/* Start an APPEND whose first message is a CATENATE.  `flags` may be
 * NULL (no flag list), `dt` NULL.  Returns MP_OK; MP_ERR_STATE when the
 * writer is not idle; MP_ERR_ARG / MP_ERR_BAD_VALUE / MP_ERR_UTF8 ... for
 * a bad tag, mailbox, flag or date as mp_imap_write_command(). */
mp_status mp_imap_write_append_catenate_begin(mp_imap_writer *w, const char *tag,
                                              mp_slice mailbox, const mp_slice *flags,
                                              size_t nflags, const mp_imap_datetime *dt);
/* MULTIAPPEND: after a message's last byte (or catenate_end), the next
 * message as a CATENATE: " [(flags)] [date-time] CATENATE (".  Same
 * returns; MP_ERR_STATE when no message just ended. */
mp_status mp_imap_write_append_catenate_next(mp_imap_writer *w, const mp_slice *flags,
                                             size_t nflags, const mp_imap_datetime *dt);
/* A part taken from the server: "URL" SP the IMAP URL (RFC 4469 §5, RFC
 * 5092), sent as an atom or a quoted string, never a literal.  `url` must
 * be non-empty 7-bit text without control characters (MP_ERR_BAD_VALUE;
 * MP_ERR_NUL for NUL, MP_ERR_8BIT for 8-bit bytes: a URL %-encodes them),
 * at most MP_IMAP_MAX_QUOTED bytes (MP_ERR_TOKEN_TOO_LONG).  The writer
 * does not check the URL's own syntax; the server answers [BADURL]. */
mp_status mp_imap_write_cat_url(mp_imap_writer *w, mp_slice url);
/* A part sent by the client: "TEXT" SP literal of `size` bytes, or with
 * `form` MP_IMAP_APPEND_UTF8 "UTF8 (~{size}" (RFC 6855 §4; needs
 * MP_IMAP_W_UTF8_ACCEPT, else MP_ERR_UNSUPPORTED).  MP_IMAP_APPEND_LITERAL8
 * is MP_ERR_ARG: the grammar allows only a literal, so the bytes must hold
 * no NUL (mp_imap_write_append_data refuses it).  MP_ERR_BAD_VALUE for a
 * size above the protocol range.  Returns MP_OK (data may follow) or
 * MP_PAUSED (wait for "+", then mp_imap_writer_continue()), like
 * mp_imap_write_append_begin(). */
mp_status mp_imap_write_cat_text_begin(mp_imap_writer *w, uint64_t size, int form);
/* Close the part list: ")".  MP_ERR_STATE before the first part (the
 * list may not be empty) or while part bytes are owed. */
mp_status mp_imap_write_catenate_end(mp_imap_writer *w);

/* ======================================================================= */
/* Command parser (server side)                                             */
/* ======================================================================= */

/* Limits used here, in config.h: MP_IMAP_MAX_SECTION (the canonical text of
 * one BODY[...] section spec with its header list), MP_IMAP_MAX_ID_PAIRS /
 * _FIELD / _VALUE (RFC 2971 §3.3), and the shared IMAP limits. */

/* What the parser refuses beyond the shape of the arguments (each through
 * on_bad with the offset of the offending token; the server answers BAD
 * and the parser goes on with the next line):
 *  - MP_ERR_IMAP_CMD_REV1_ONLY in MP_IMAP_REV2 mode: the search keys NEW,
 *    OLD, RECENT, the status item RECENT (STATUS and LIST RETURN (STATUS
 *    ...)) and the CHECK command, which RFC 9051 Appendix E removed with
 *    \Recent; IMAP4rev1 mode accepts them.  LSUB is deprecated by RFC 9051
 *    but still defined: accepted in both modes.
 *  - MP_ERR_IMAP_CMD_SORT_KEY: a SORT criterion that is not an RFC 5256 /
 *    RFC 5957 sort-key, REVERSE not followed by a key, an empty list.
 *  - MP_ERR_IMAP_CMD_OPTION: fetch modifiers (CHANGEDSINCE without a
 *    mod-sequence-valzer, VANISHED outside UID FETCH or without
 *    CHANGEDSINCE; RFC 7162), store modifiers (UNCHANGEDSINCE), GETMETADATA
 *    options (MAXSIZE number, DEPTH 0 / 1 / infinity; RFC 5464), LIST
 *    selection options (RECURSIVEMATCH alone or with REMOTE only; RFC 5258
 *    §3.1) and RETURN options (STATUS needs a non-empty status-att list;
 *    RFC 5819); a named member twice; an empty modifier or option list
 *    where the grammar needs one member.  Other members follow the
 *    extension grammar (RFC 4466 tagged-ext-label [SP tagged-ext-val], RFC
 *    5258 option-extension [SP "(" ... ")"]) and are reported as ATOM
 *    events with their values, for the host to judge.
 *  - ESORT (RFC 5267): SORT / UID SORT reports an optional ATOM RETURN and
 *    its list (as SEARCH RETURN) before the criteria list; CANCELUPDATE
 *    reports one STRING per tag-string (an atom is a syntax error).
 *  - NOTIFY (RFC 5465 §8): ATOM NONE, or ATOM SET [ATOM STATUS] and per
 *    event group LIST_BEGIN (depth 0), the filter ATOM, its MAILBOX or a
 *    list of them, the events ATOM NONE or a list of ATOMs, MessageNew's
 *    fetch-att list as FETCH_ATT events two levels down, LIST_END.  An
 *    unknown filter, a missing event list and a bad fetch-att are refused;
 *    event names (event-ext = atom) are the host's to judge.
 *  - ACL (RFC 4314 §3): GETACL / MYRIGHTS mailbox, SETACL mailbox
 *    identifier rights, DELETEACL / LISTRIGHTS mailbox identifier (the
 *    identifier and the rights as STRING).  URLAUTH (RFC 4467 §7):
 *    RESETKEY [mailbox *(ATOM mechanism)], GENURLAUTH (STRING url-rump
 *    ATOM mechanism)+, URLFETCH STRING url+ (the URLs whole: cut them
 *    with mp_imap_url_parse(), imap.h).  MULTISEARCH (RFC 7377 §2): ESEARCH [ATOM
 *    IN and its list: filters as ATOM, mailboxes as STRING or ATOM, the
 *    scope options] then as SEARCH (RETURN, CHARSET, keys).  SEARCH FUZZY
 *    (RFC 6203) is a key taking one key, as NOT.  RLIST and RLSUB (RFC
 *    2193, obsolete since RFC 5258) are MP_ERR_IMAP_CMD_OBSOLETE.
 *  - A lone PREVIEW item takes "(LAZY)" as its own modifiers (RFC 8970
 *    §7): "FETCH 1 PREVIEW (LAZY)" reports att PREVIEW, "(" LAZY ")" at
 *    depths 0 and 1; a list after it not starting with LAZY is the fetch
 *    modifiers. */

/* Kinds of argument events.  Which ones a command produces follows its
 * grammar (RFC 9051 §6, §9); `depth` is the parenthesis / search-key
 * nesting of the value. */
typedef enum mp_imap_cmd_arg_kind {
    MP_IMAP_CA_ATOM = 1,    /* keyword: ENABLE capability, STATUS item, AUTH
                               mechanism, list/select/store/fetch modifier,
                               STORE item (+FLAGS.SILENT), COMPRESS, SORT
                               criterion, THREAD algorithm... (text) */
    MP_IMAP_CA_NUMBER,      /* num */
    MP_IMAP_CA_STRING,      /* astring / string value (text), unescaped;
                               `literal` says it came as a literal */
    MP_IMAP_CA_NIL,
    MP_IMAP_CA_FLAG,        /* flag or keyword (text, "\\Seen", "$Junk") */
    MP_IMAP_CA_MAILBOX,     /* text: UTF-8 (decoded from modified UTF-7 in
                               rev1; "INBOX" in any case becomes "INBOX");
                               raw: as sent */
    MP_IMAP_CA_PATTERN,     /* LIST/LSUB pattern, decoded like MAILBOX */
    MP_IMAP_CA_SEQ,         /* one range of a sequence set: range, index (0
                               for the first range of each set) */
    MP_IMAP_CA_DATETIME,    /* APPEND date-time: dt */
    MP_IMAP_CA_DATE,        /* SEARCH date: dt (time fields 0) */
    MP_IMAP_CA_LIST_BEGIN,  /* "(" */
    MP_IMAP_CA_LIST_END,    /* ")" */
    MP_IMAP_CA_SEARCH_KEY,  /* a search key name (text, e.g. "OR", "FROM");
                               its arguments follow as their own events at the
                               same depth; a bare sequence-set key is reported
                               as SEQ events alone ("$": SEQ_LAST); groups
                               as LIST_BEGIN/END */
    MP_IMAP_CA_FETCH_ATT,   /* one fetch item: text = name ("BODY.PEEK",
                               "ALL", "BINARY.SIZE"; PREVIEW (LAZY), in an
                               item list or alone, is followed by its own
                               ( atom ) list),
                               section (has_section;
                               canonical text: one space between header
                               names, a name quoted unless a plain atom),
                               partial (has_partial) */
    MP_IMAP_CA_BASE64,      /* AUTHENTICATE initial response (text, "=" for
                               an empty one) */
    MP_IMAP_CA_APPEND_MSG,  /* APPEND: one message's literal follows (num =
                               length, binary); begin/chunk/end events carry
                               its bytes.  `utf8` set: it came as the RFC 6855
                               §4 form "UTF8" SP "(" literal8 ")" (binary = 1),
                               accepted only in MP_IMAP_UTF8 mode (else the
                               command is bad with MP_ERR_UNSUPPORTED) */
    MP_IMAP_CA_SEQ_LAST,    /* "$" where a sequence set stands: the result
                               saved by SEARCH RETURN (SAVE) (RFC 9051 §6.4.4.1,
                               RFC 5182) */
    /* APPEND ... CATENATE (cat-part *(SP cat-part)) (RFC 4469 §5), one
     * message of the APPEND (MULTIAPPEND: each message is plain or
     * CATENATE).  Instead of MP_IMAP_CA_APPEND_MSG the message is reported
     * as CATENATE_BEGIN (depth 0), its parts in order (depth 1), then
     * CATENATE_END (depth 0).  The list holds at least one part. */
    MP_IMAP_CA_CATENATE_BEGIN, /* text "CATENATE" */
    MP_IMAP_CA_CAT_TEXT,    /* "TEXT" SP literal: num = length; the bytes
                               follow as on_literal_chunk / on_literal_end
                               (never NUL, never literal8: the grammar says
                               literal).  With `utf8` set it is the RFC 6855
                               form "UTF8" SP "(" literal8 ")" (binary = 1) */
    MP_IMAP_CA_CAT_URL,     /* "URL" SP astring: text = the IMAP URL (RFC
                               5092), whole; `literal` says it came as a
                               literal.  Non-empty 7-bit, no control
                               characters (else a syntax error);
                               bounded like any astring (MP_IMAP_MAX_ATOM as
                               an atom, max_quoted quoted or as a literal) */
    MP_IMAP_CA_CATENATE_END
} mp_imap_cmd_arg_kind;

/* One argument.  Slices point into the input or into the parser's buffers
 * and are valid only until the callback returns. */
typedef struct mp_imap_cmd_arg {
    mp_imap_cmd_arg_kind kind;
    uint8_t depth;
    uint8_t literal;        /* STRING came from a literal */
    uint8_t binary;         /* literal8 (APPEND messages, SETMETADATA values;
                               refused anywhere else) */
    uint8_t has_section;
    uint8_t has_partial;
    uint8_t streamed;       /* STRING: a literal longer than max_quoted; text
                               is empty, num is its length, the bytes follow
                               through on_literal_chunk / on_literal_end */
    uint8_t utf8;           /* APPEND_MSG, CAT_TEXT: the RFC 6855 UTF8 form */
    mp_slice text;
    mp_slice raw;           /* MAILBOX, PATTERN: the wire form */
    mp_slice section;       /* FETCH_ATT: "1.2.HEADER.FIELDS (DATE FROM)" */
    uint64_t num;
    uint32_t index;         /* SEQ: position in its set */
    mp_imap_seq_range range;
    uint64_t partial_origin;
    uint64_t partial_len;
    mp_imap_datetime dt;
} mp_imap_cmd_arg;

/* Callback return values: 0 goes on; MP_IMAP_CB_PAUSE makes feed return
 * MP_PAUSED right after this event (call feed again with the rest); any
 * other value aborts the feed with MP_ERR_ABORTED. */
#define MP_IMAP_CB_PAUSE 1

/* Events, in stream order.  Any pointer may be NULL. */
typedef struct mp_imap_cmd_callbacks {
    /* A command line starts: its tag and command. */
    int (*on_command)(void *user, mp_slice tag, mp_imap_cmd_id cmd);
    /* One argument (see mp_imap_cmd_arg_kind). */
    int (*on_arg)(void *user, const mp_imap_cmd_arg *arg);
    /* Literal bytes after an MP_IMAP_CA_APPEND_MSG or MP_IMAP_CA_CAT_TEXT
     * argument or a streamed MP_IMAP_CA_STRING: chunks of any size (never
     * NUL unless literal8),
     * then end.  A bad command may stop the bytes early (on_bad follows). */
    int (*on_literal_chunk)(void *user, mp_slice data);
    int (*on_literal_end)(void *user);
    /* The command line is complete and valid: the host executes it. */
    int (*on_end)(void *user);
    /* The command is bad: the host answers "tag BAD ..." (`tag` empty:
     * "* BAD") and drops whatever events the command produced so far.
     * `cmd` is the command when it was recognised, else 0.
     * The parser has skipped the rest of the command (over any literal
     * bytes) and goes on with the next line. */
    int (*on_bad)(void *user, mp_slice tag, mp_imap_cmd_id cmd, const mp_error *err);
    /* MP_IMAP_CMD_MODE_AUTH: one client response line; `cancel` is 1 for
     * "*" (RFC 9051 §6.2.2), else `line` is the base64 text (may be empty). */
    int (*on_auth_line)(void *user, mp_slice line, int cancel);
    /* MP_IMAP_CMD_MODE_IDLE: the client sent DONE (RFC 2177). */
    int (*on_idle_done)(void *user);
} mp_imap_cmd_callbacks;

/* What the next line is (mp_imap_cmd_parser_set_mode). */
typedef enum mp_imap_cmd_mode {
    MP_IMAP_CMD_MODE_COMMAND = 0, /* tagged commands */
    MP_IMAP_CMD_MODE_AUTH,        /* one AUTHENTICATE response line */
    MP_IMAP_CMD_MODE_IDLE         /* "DONE" */
} mp_imap_cmd_mode;

/* Parser options. */
typedef struct mp_imap_cmd_config {
    unsigned mode;            /* MP_IMAP_REV2 | MP_IMAP_UTF8 | MP_IMAP_LITERAL_MINUS */
    unsigned quirks;          /* MP_IMAP_Q_LF_LINES, MP_IMAP_Q_TRAILING_SPACE
                                 (a space before CRLF where the command could
                                 end); the others are response quirks */
    mp_imap_limits limits;    /* zero fields: config.h defaults, except
                                 max_line: MP_IMAP_MAX_LINE_PREAUTH until
                                 mp_imap_cmd_parser_set_max_line() */
    uint64_t max_append_literal; /* 0: MP_IMAP_MAX_APPEND_LITERAL */
    uint64_t max_other_literal;  /* 0: MP_IMAP_MAX_LITERAL */
    uint64_t max_literal_total;  /* literal bytes per command; 0: the APPEND
                                    limit times MP_IMAP_MAX_LITERALS */
} mp_imap_cmd_config;

/* A buffer of this size lets every limit reach its compile-time default:
 * half assembles tokens (and AUTHENTICATE lines), half decodes names. */
#define MP_IMAP_CMD_PARSER_BUF                                                  \
    (2u * (MP_IMAP_MAX_AUTH_LINE > MP_IMAP_MAX_QUOTED ? MP_IMAP_MAX_AUTH_LINE   \
                                                      : MP_IMAP_MAX_QUOTED))

/* Parser state: place it anywhere (about 1 KiB, test_cmd_parse checks a
 * 2 KiB bound); every field is private except `err`. */
typedef struct mp_imap_cmd_parser {
    uint64_t lx_[24];            /* the tokenizer (lib/imap/lex.h) */
    const mp_imap_cmd_callbacks *cb;
    void *user;
    char *dec;                   /* decode buffer (second half of the host's) */
    size_t dec_cap;
    const char *prog;            /* argument program of the command */
    mp_error err;                /* the error last reported through on_bad */
    uint64_t max_append_literal, max_other_literal, max_literal_total;
    uint64_t lit_total;          /* literal bytes of this command */
    uint64_t lit_wait;           /* sync literal waiting for "+" */
    uint64_t porigin, plen;      /* fetch partial */
    uint32_t max_line, quoted_max, auth_len;
    unsigned mode_flags, quirks;
    uint16_t seclen;
    uint8_t phase, mode, cmd, op, sub, sp, gdepth, gsub, pending;
    uint16_t idn;                /* ID: values so far */
    uint8_t tsp;                 /* a space where the command could end */
    uint8_t qstate, qpos;        /* SELECT QRESYNC parameter */
    uint8_t kdepth, kargs;       /* search: stack depth, argument kind */
    uint8_t strpos, lstate, lbinary; /* literal where a string stands */
    uint64_t llen, loffset;
    uint8_t fatt, fparen, fpart, fsub; /* fetch / flag lists */
    uint8_t acat, autf8;         /* APPEND: inside CATENATE ( ), inside UTF8 ( ) */
    uint8_t olist, ostate, oflags; /* closed option list being checked */
    uint8_t nst, dbase;          /* NOTIFY state; depth added to events */
    uint8_t taglen;
    uint8_t kneed[MP_IMAP_MAX_DEPTH]; /* search: keys owed per frame */
    char tag[MP_IMAP_MAX_TAG];
    char section[MP_IMAP_MAX_SECTION];
} mp_imap_cmd_parser;

/*
 * Prepare `p`.  `buf[0..cap)` (host-owned, must outlive the parser; best
 * MP_IMAP_CMD_PARSER_BUF bytes, at least 256) assembles tokens that
 * straddle feeds and holds decoded mailbox names.  `cfg` may be NULL
 * (defaults, IMAP4rev1).  `cb` and `user` must outlive the parser.
 * Returns MP_ERR_ARG for a NULL or too small buffer.
 */
mp_status mp_imap_cmd_parser_init(mp_imap_cmd_parser *p, char *buf, size_t cap,
                                  const mp_imap_cmd_config *cfg,
                                  const mp_imap_cmd_callbacks *cb, void *user);

/*
 * Parse `in[0..len)`; `*used` is set to the bytes consumed.  Returns:
 *  - MP_NEED_MORE: all consumed; feed more.
 *  - MP_PAUSED: stopped early, `*used` < len possibly:
 *    . a synchronizing literal was announced (mp_imap_cmd_parser_literal_wait
 *      returns its length): call mp_imap_cmd_parser_accept_literal() and
 *      send "+ ..." to the client, or mp_imap_cmd_parser_reject_literal()
 *      (the command is then reported through on_bad; the client sends no
 *      literal bytes);
 *    . after STARTTLS, COMPRESS, IDLE or AUTHENTICATE (right after the
 *      CRLF): bytes after it must not be parsed until the host acted —
 *      for STARTTLS/COMPRESS they belong to the new layer (docs/security.md),
 *      for IDLE/AUTHENTICATE call mp_imap_cmd_parser_set_mode() first;
 *    . in MP_IMAP_CMD_MODE_AUTH after each response line;
 *    . a callback returned MP_IMAP_CB_PAUSE.
 *  - MP_ERR_ABORTED: a callback returned another non-zero value; the
 *    parser stays aborted (initialise it again to reuse it).
 * Bad commands are not errors of feed: they are reported by on_bad and
 * parsing goes on.
 */
mp_status mp_imap_cmd_parser_feed(mp_imap_cmd_parser *p, const char *in, size_t len,
                                  size_t *used);

/* Length of the sync literal waiting for "+", or -1 when none waits. */
int64_t mp_imap_cmd_parser_literal_wait(const mp_imap_cmd_parser *p);
/* The host sent "+": the literal bytes may come.  MP_ERR_STATE if none
 * waits. */
mp_status mp_imap_cmd_parser_accept_literal(mp_imap_cmd_parser *p);
/* Refuse the waiting literal (too large, not authenticated, no such
 * mailbox): the next feed reports the command through on_bad with `reason`
 * (e.g. MP_ERR_IMAP_CMD_LITERAL_REJECTED) and the host answers as it
 * decided ("tag NO [TOOBIG]", "tag NO [TRYCREATE]", "tag BAD").  The
 * client sends no literal bytes after a refusal (RFC 9051 §4.3), so the
 * next line is a new command.  MP_ERR_STATE if none waits. */
mp_status mp_imap_cmd_parser_reject_literal(mp_imap_cmd_parser *p, mp_status reason);

/* What the next line is: after "+ challenge" to AUTHENTICATE use
 * MP_IMAP_CMD_MODE_AUTH, after "+ idling" use MP_IMAP_CMD_MODE_IDLE, after
 * the tagged completion MP_IMAP_CMD_MODE_COMMAND.  Only between lines
 * (MP_ERR_STATE otherwise). */
mp_status mp_imap_cmd_parser_set_mode(mp_imap_cmd_parser *p, mp_imap_cmd_mode mode);

/* Protocol mode bits (MP_IMAP_REV2, MP_IMAP_UTF8, MP_IMAP_LITERAL_MINUS),
 * e.g. after ENABLE; and the line limit (the parser starts with
 * MP_IMAP_MAX_LINE_PREAUTH; after login pass 0 for MP_IMAP_MAX_LINE).
 * Take effect from the next token. */
void mp_imap_cmd_parser_set_flags(mp_imap_cmd_parser *p, unsigned mode);
void mp_imap_cmd_parser_set_max_line(mp_imap_cmd_parser *p, uint32_t max_line);

/* Bytes held in the parser that belong to an unfinished line (at a
 * transport switch they must be discarded, never parsed). */
size_t mp_imap_cmd_parser_pending(const mp_imap_cmd_parser *p);

#ifdef __cplusplus
}
#endif

#endif /* MAILPROTO_IMAP_COMMAND_H */
