/*
 * libmailproto — IMAP commands: the command writer (client side) and the
 * command parser (server side), RFC 3501 (IMAP4rev1), RFC 9051 (IMAP4rev2)
 * and the extensions listed with each command id below.
 *
 * Nothing here allocates.  The writer appends whole protocol elements to a
 * caller-owned mp_outbuf (core.h); the parser is a push parser fed any
 * fragmentation of the stream, reporting typed events through a callbacks
 * table.
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
    X(MP_IMAP_CMD_COMPRESS, "COMPRESS")           /* 4978 */

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
     * non-empty printable ASCII without '{', '"', '\\', '%' or '*' and
     * with balanced "[]" / "()" / "<>"; spaces only inside brackets. */
    MP_IMAP_ARG_ATOM = 1,
    /* astring: atom when possible, else quoted, else literal.  May hold
     * CR/LF (literal) and 8-bit (literal in rev1, quoted UTF-8 under
     * REV2/UTF8_ACCEPT); never NUL. */
    MP_IMAP_ARG_ASTRING,
    /* string: quoted or literal, never an atom. */
    MP_IMAP_ARG_STRING,
    /* nstring: NIL when s.ptr is NULL, else like STRING. */
    MP_IMAP_ARG_NSTRING,
    /* A mailbox name in UTF-8: modified UTF-7 in rev1 without UTF8=ACCEPT,
     * raw UTF-8 otherwise; atom or quoted.  No CR, LF or NUL. */
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
    MP_IMAP_ARG_NIL
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
 *    unbalanced LIST_BEGIN/LIST_END.
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
/* A command whose only argument is a mailbox: CREATE, DELETE, SUBSCRIBE,
 * UNSUBSCRIBE, GETQUOTAROOT, SELECT, EXAMINE. */
mp_status mp_imap_write_mailbox_command(mp_imap_writer *w, const char *tag, mp_imap_cmd_id cmd,
                                        mp_slice mailbox);
/* FETCH / UID FETCH (`uid`) of `items` (fetch-att keywords such as "FLAGS",
 * "BODY.PEEK[HEADER.FIELDS (From To)]<0.2048>"; one item is sent without
 * parentheses) with CHANGEDSINCE (non-zero) and VANISHED. */
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

/*
 * APPEND with the message streamed by the host (RFC 3501 §6.3.11, MULTIAPPEND
 * RFC 3502): begin writes "tag APPEND mailbox [(flags)] [date-time] {size}"
 * (literal8 "~{size}" when `binary`, which needs MP_IMAP_W_BINARY).
 * Returns MP_OK when the data may follow at once (non-sync literal) or
 * MP_PAUSED when the client must wait for "+" and call
 * mp_imap_writer_continue() first.  `flags` may be NULL, `dt` NULL.
 */
mp_status mp_imap_write_append_begin(mp_imap_writer *w, const char *tag, mp_slice mailbox,
                                     const mp_slice *flags, size_t nflags,
                                     const mp_imap_datetime *dt, uint64_t size, int binary);
/* Copy message bytes, as many as fit and are still owed; `*used` says how
 * many.  MP_ERR_NO_SPACE when none fit; MP_ERR_NUL at a NUL in a
 * non-binary literal (`*used` stops before it); MP_ERR_STATE before "+"
 * or when no APPEND is open; MP_ERR_ARG for more bytes than announced. */
mp_status mp_imap_write_append_data(mp_imap_writer *w, const void *data, size_t len,
                                    size_t *used);
/* MULTIAPPEND: after a message's last byte, announce the next one. */
mp_status mp_imap_write_append_next(mp_imap_writer *w, const mp_slice *flags, size_t nflags,
                                    const mp_imap_datetime *dt, uint64_t size, int binary);
/* After the last message's last byte: the final CRLF. */
mp_status mp_imap_write_append_end(mp_imap_writer *w);

#ifdef __cplusplus
}
#endif

#endif /* MAILPROTO_IMAP_COMMAND_H */
