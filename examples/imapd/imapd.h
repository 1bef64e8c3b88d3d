/*
 * mailproto-imapd internals: the Maildir store (store.c), the IMAP
 * commands on it (session.c) and the connections (../mailproto-imapd.c).
 * One thread: every structure here is touched by one caller at a time.
 */
#ifndef MAILPROTO_IMAPD_H
#define MAILPROTO_IMAPD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mailproto/imap_server.h"
#include "mailproto/mime.h"
#include "mailproto/sasl.h"
#include "net/serve.h"
#ifdef MP_EXAMPLE_HAVE_MBEDTLS
#include "mailproto/mbedtls.h"
#endif

/* ----------------------------------------------------------------------- */
/* Store                                                                   */
/* ----------------------------------------------------------------------- */

/* System flags, as Maildir info letters (cr.yp.to/proto/maildir.html). */
enum {
    FL_DRAFT = 1u << 0,    /* D */
    FL_FLAGGED = 1u << 1,  /* F */
    FL_PASSED = 1u << 2,   /* P (no IMAP flag: kept as found) */
    FL_ANSWERED = 1u << 3, /* R */
    FL_SEEN = 1u << 4,     /* S */
    FL_DELETED = 1u << 5   /* T */
};

typedef struct msg {
    uint32_t uid;
    uint32_t flags;      /* FL_* */
    uint64_t modseq;     /* folder->modseq when its flags last changed */
    char *base;          /* the unique name (before ":2,"), malloc'd */
    char *extra;         /* info letters other than the flags (keywords) */
    uint8_t in_new;      /* the file is in new/ (no info part) */
    uint8_t seen_scan;   /* private to scans */
    time_t mtime;        /* INTERNALDATE; 0 until stat'ed */
    uint64_t wire_size;  /* RFC822.SIZE (CRLF form); 0 until known */
    /* The parsed structure (part records, then value bytes; mime.h says
     * both may be kept as they are): ENVELOPE and BODYSTRUCTURE without
     * reading the file again.  A file's content never changes. */
    void *mime;
    uint32_t mime_nparts, mime_vlen;
} msg;

/* Forget a message's cached structure (it is removed). */
void msg_forget(msg *m);

typedef struct folder {
    char *name;          /* UTF-8: "INBOX", "Work/Done" */
    char *dir;           /* its Maildir */
    uint32_t uidvalidity, uidnext;
    msg *m;              /* sorted by uid */
    size_t n, cap;
    uint64_t modseq;     /* HIGHESTMODSEQ: bumped by every change */
    uint64_t modseq_ceiling; /* durable: no modseq of this run reaches it */
    uint64_t version;    /* bumped by every change, adds and removals too */
    double scanned;      /* monotonic seconds of the last directory scan */
    int dirty;           /* inotify saw its new/ or cur/ change */
    int wd[2];           /* its inotify watches (new/, cur/), -1: none */
    struct folder *next;
} folder;

/* Set once by main: the Maildir (INBOX) path. */
void store_init(const char *root);
/* The folder `name` (UTF-8; "INBOX" any case), loaded and scanned; NULL
 * when it does not exist. */
folder *store_open(const char *name);
/* Rescan the directories when the last scan is older than `age` seconds
 * (0: now).  New files get UIDs, persisted before anyone sees them. */
int store_rescan(folder *f, double age);
/* The next modseq of `f` (a new ceiling made durable first when needed). */
uint64_t store_next_modseq(folder *f);
/* Persist the UID list (atomically replaced). */
int store_save(folder *f);
/* The path of message `m` (new/base or cur/base:2,INFO). */
void store_path(const folder *f, const msg *m, char *out, size_t cap);
/* Set the flags of `m` (renames the file); 0 or -1. */
int store_set_flags(folder *f, msg *m, uint32_t flags);
/* Remove message index `i` (the file is unlinked; the list is saved by the
 * caller with store_save). */
void store_remove(folder *f, size_t i);
/* Index of uid in f->m, or -1. */
long store_find(const folder *f, uint32_t uid);
/* Add the file `src` (a path on the same file system) as a new message with
 * `flags` and mtime `when` (0: keep); it is linked (`link_it`) or renamed
 * into cur/.  Returns the new UID (not yet saved) or 0. */
uint32_t store_add(folder *f, const char *src, uint32_t flags, time_t when, int link_it);
/* The inotify descriptor (Linux; -1 elsewhere or when it failed): read
 * it with store_watch_read() when poll says so, which marks the folders
 * whose new/ or cur/ changed (a delivery, a rename) for the next rescan. */
int store_watch_fd(void);
void store_watch_read(void);
/* stat() what the message lacks (mtime, file size). */
void store_stat(const folder *f, msg *m);
/* Folder names, for LIST: calls fn for INBOX and every Maildir++ folder. */
void store_list(void (*fn)(void *u, const char *name), void *u);
int store_create(const char *name);
int store_delete(const char *name);
int store_rename(const char *from, const char *to);
/* "\\Seen \\Flagged" for flags (NUL-terminated in out). */
void flags_text(uint32_t flags, char *out, size_t cap);
double now_mono(void);
/* A fresh unique file name (time.Ppid_Qn.host). */
void unique_name(char *out, size_t cap);
/* The root's tmp/ path for a new file. */
void tmp_path(char *out, size_t cap, const char *name);

/* ----------------------------------------------------------------------- */
/* Connections                                                             */
/* ----------------------------------------------------------------------- */

/* One parsed argument of the command being received. */
typedef struct carg {
    mp_imap_cmd_arg_kind kind;
    uint8_t depth, has_section, has_partial;
    char *text;          /* malloc'd, NUL-terminated */
    size_t tlen;
    char *section;
    uint64_t num, porigin, plen;
    uint32_t index;
    mp_imap_seq_range range;
    mp_imap_datetime dt;
} carg;

/* One APPEND message spooled in tmp/. */
typedef struct spool {
    char path[512];
    int fd;
    uint32_t flags;
    time_t when;
    int cr;              /* a CR was held at the end of the last chunk */
} spool;

/* One FETCH item. */
typedef struct fitem {
    int kind;            /* FI_* (session.c) */
    char *spec;          /* section spec (BODY[spec]) */
    int peek, partial;
    uint64_t origin, len;
} fitem;

/* A FETCH being answered across poll rounds (session.c). */
typedef struct fetch_job {
    int active, uid, set_seen, need_mime;
    uint64_t changedsince; /* CHANGEDSINCE (RFC 7162): only messages above */
    size_t *set;         /* view indexes */
    size_t n, k;         /* k: the next one */
    fitem *items;
    size_t nit;
} fetch_job;

typedef struct conn {
    int fd;              /* -1: free */
    mp_imap_server s;
    mp_imap_server_config cfg;
    mp_sasl_server sasl;
    char sbuf[MP_IMAP_SERVER_BUF];
    char out[131072];
    char in[16384];
    size_t in_off, in_len;
    char peer[64];
    int closing, tls_switch, at_hand, idling;
    int tls_closed;      /* close_notify queued */
    net_link link;       /* TLS, once on (net/serve.h) */
    /* the command being received */
    mp_imap_cmd_id cmd;
    carg *a;
    size_t na, acap;
    spool *sp;
    size_t nsp;
    int sp_err;
    /* the selected mailbox and this session's view of it */
    folder *sel;
    int readonly;
    int condstore;       /* CONDSTORE enabled by a command (RFC 7162 §3.1) */
    uint32_t *vu;        /* UIDs by message number - 1 */
    size_t vn, vcap;
    uint64_t vversion, vmodseq;
    fetch_job fj;
} conn;

/* mailproto-imapd.c */
/* The password of `user` in the password file, or NULL. */
const char *imapd_password(mp_slice user);
const struct mp_crypto_provider *imapd_crypto(void);
/* Send the session's output, waiting for the socket (at most a few
 * seconds): a response larger than the room left.  0, or -1 when the
 * client does not read (the connection is then closed). */
int conn_flush_wait(conn *c);

/* session.c */
extern const mp_imap_server_callbacks imapd_callbacks;
/* Go on with a command answered over several rounds (a FETCH), when the
 * output has room; 1 while it is not done. */
int session_continue(conn *c);
/* Report changes to the selected mailbox (new mail, flags; expunges too
 * when `expunges`, only allowed at command ends and in IDLE). */
void session_sync(conn *c, int expunges);
void session_reset(conn *c);

#endif
