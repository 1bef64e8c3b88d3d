/* IMAP client session: the host's commands.  Each checks the state and
 * what the server advertised, then writes through mp_imapc_issue()
 * (client.c), which tags it and puts it in flight.  APPEND is streamed:
 * its pieces go through the writer as the host pushes them. */
#include <string.h>

#include "client_internal.h"

/* ---- generic ----------------------------------------------------------- */

typedef struct cmd_args {
    mp_imap_cmd_id id;
    const mp_imap_arg *args;
    size_t nargs;
} cmd_args;

static mp_status wr_command(mp_imap_writer *w, const char *tag, const void *arg)
{
    const cmd_args *a = arg;
    return mp_imap_write_command(w, tag, a->id, a->args, a->nargs);
}

/* RFC 9051 §6: the state each command needs. */
static unsigned kind_of(mp_imap_cmd_id id)
{
    switch (id) {
    case MP_IMAP_CMD_CAPABILITY:
    case MP_IMAP_CMD_NOOP:
    case MP_IMAP_CMD_ID:
        return K_ANY;
    case MP_IMAP_CMD_CHECK:
    case MP_IMAP_CMD_CLOSE:
    case MP_IMAP_CMD_UNSELECT:
    case MP_IMAP_CMD_EXPUNGE:
    case MP_IMAP_CMD_SEARCH:
    case MP_IMAP_CMD_FETCH:
    case MP_IMAP_CMD_STORE:
    case MP_IMAP_CMD_COPY:
    case MP_IMAP_CMD_MOVE:
    case MP_IMAP_CMD_UID_EXPUNGE:
    case MP_IMAP_CMD_UID_SEARCH:
    case MP_IMAP_CMD_UID_FETCH:
    case MP_IMAP_CMD_UID_STORE:
    case MP_IMAP_CMD_UID_COPY:
    case MP_IMAP_CMD_UID_MOVE:
    case MP_IMAP_CMD_SORT:
    case MP_IMAP_CMD_UID_SORT:
    case MP_IMAP_CMD_THREAD:
    case MP_IMAP_CMD_UID_THREAD:
        return K_SELECTED;
    default:
        return K_AUTH;
    }
}

mp_status mp_imap_client_command(mp_imap_client *c, mp_imap_cmd_id id, const mp_imap_arg *args,
                                 size_t nargs, uint32_t *cmd)
{
    cmd_args a;
    mp_status st;
    switch (id) {
    case MP_IMAP_CMD_LOGIN:
    case MP_IMAP_CMD_AUTHENTICATE:
    case MP_IMAP_CMD_STARTTLS:
    case MP_IMAP_CMD_ENABLE:
    case MP_IMAP_CMD_SELECT:
    case MP_IMAP_CMD_EXAMINE:
    case MP_IMAP_CMD_IDLE:
    case MP_IMAP_CMD_APPEND:
    case MP_IMAP_CMD_COMPRESS:
    case MP_IMAP_CMD_LOGOUT:
        return MP_ERR_ARG; /* they have functions of their own */
    default:
        break;
    }
    if (mp_imap_cmd_name(id) == NULL || (args == NULL && nargs != 0))
        return MP_ERR_ARG;
    st = mp_imapc_check(c, kind_of(id), 0);
    if (st != MP_OK)
        return st;
    a.id = id;
    a.args = args;
    a.nargs = nargs;
    return mp_imapc_issue(c, id, 0, wr_command, &a, cmd);
}

/* ---- ENABLE, ID ---------------------------------------------------------- */

mp_status mp_imap_client_enable(mp_imap_client *c, unsigned exts, uint32_t *cmd)
{
    static const struct {
        unsigned ext;
        uint64_t cap;
        const char *atom;
    } table[] = {
        { MP_IMAP_EXT_CONDSTORE, MP_IMAP_CAP_CONDSTORE, "CONDSTORE" },
        { MP_IMAP_EXT_QRESYNC, MP_IMAP_CAP_QRESYNC, "QRESYNC" },
        { MP_IMAP_EXT_UTF8_ACCEPT, MP_IMAP_CAP_UTF8_ACCEPT, "UTF8=ACCEPT" },
        { MP_IMAP_EXT_IMAP4REV2, MP_IMAP_CAP_IMAP4REV2, "IMAP4rev2" },
    };
    mp_imap_arg args[4];
    cmd_args a;
    size_t n = 0, i;
    mp_status st = mp_imapc_check(c, K_AUTH, 1);
    if (st != MP_OK)
        return st;
    /* RFC 5161 §3.1: authenticated state, before a mailbox is selected
     * (QRESYNC must be on before SELECT, RFC 7162 §3.2.3). */
    if (c->mbox.state != MP_IMAP_MBOX_NONE)
        return MP_ERR_STATE;
    if (!(c->caps.flags & (MP_IMAP_CAP_ENABLE | MP_IMAP_CAP_IMAP4REV2)))
        return MP_ERR_UNSUPPORTED;
    memset(args, 0, sizeof(args));
    for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
        if (!(exts & table[i].ext) || !(c->caps.flags & table[i].cap))
            continue;
        args[n].kind = MP_IMAP_ARG_ATOM;
        args[n].s = mp_slice_make(table[i].atom, strlen(table[i].atom));
        n++;
    }
    if (n == 0)
        return MP_ERR_UNSUPPORTED;
    a.id = MP_IMAP_CMD_ENABLE;
    a.args = args;
    a.nargs = n;
    return mp_imapc_issue(c, MP_IMAP_CMD_ENABLE, QF_BARRIER, wr_command, &a, cmd);
}

mp_status mp_imap_client_id(mp_imap_client *c, const mp_slice *fields, const mp_slice *values,
                            size_t n, uint32_t *cmd)
{
    mp_imap_arg args[2u * MP_IMAP_CLIENT_ID_PAIRS + 2u];
    cmd_args a;
    size_t i, k = 0;
    mp_status st;
    if (n > MP_IMAP_CLIENT_ID_PAIRS || (n > 0 && (fields == NULL || values == NULL)))
        return MP_ERR_ARG;
    st = mp_imapc_check(c, K_ANY, 0);
    if (st != MP_OK)
        return st;
    if (!(c->caps.flags & MP_IMAP_CAP_ID))
        return MP_ERR_UNSUPPORTED;
    memset(args, 0, sizeof(args));
    if (n == 0) {
        args[k++].kind = MP_IMAP_ARG_NIL;
    } else {
        /* RFC 2971 §3.3: fields at most 30 octets, values 1024 */
        args[k++].kind = MP_IMAP_ARG_LIST_BEGIN;
        for (i = 0; i < n; i++) {
            if (fields[i].len > MP_IMAP_MAX_ID_FIELD || values[i].len > MP_IMAP_MAX_ID_VALUE)
                return MP_ERR_ARG;
            args[k].kind = MP_IMAP_ARG_STRING;
            args[k++].s = fields[i];
            args[k].kind = MP_IMAP_ARG_NSTRING;
            args[k++].s = values[i];
        }
        args[k++].kind = MP_IMAP_ARG_LIST_END;
    }
    a.id = MP_IMAP_CMD_ID;
    a.args = args;
    a.nargs = k;
    return mp_imapc_issue(c, MP_IMAP_CMD_ID, 0, wr_command, &a, cmd);
}

/* ---- SELECT, FETCH, STORE ---------------------------------------------- */

typedef struct select_args {
    mp_slice mailbox;
    const mp_imap_select_opts *o;
} select_args;

static mp_status wr_select(mp_imap_writer *w, const char *tag, const void *arg)
{
    const select_args *a = arg;
    const mp_imap_select_opts *o = a->o;
    return mp_imap_write_select(w, tag, o->examine, a->mailbox, o->condstore,
                                o->qresync_uidvalidity, o->qresync_modseq, o->known_uids,
                                o->nknown);
}

mp_status mp_imap_client_select(mp_imap_client *c, mp_slice mailbox,
                                const mp_imap_select_opts *opts, uint32_t *cmd)
{
    static const mp_imap_select_opts plain;
    select_args a;
    mp_status st = mp_imapc_check(c, K_AUTH, 0);
    if (st != MP_OK)
        return st;
    a.mailbox = mailbox;
    a.o = opts != NULL ? opts : &plain;
    if (a.o->qresync_uidvalidity != 0 && a.o->qresync_modseq != 0 &&
        !(c->enabled & MP_IMAP_EXT_QRESYNC))
        return MP_ERR_UNSUPPORTED; /* RFC 7162 §3.2.5 */
    if (a.o->condstore && !(c->caps.flags & MP_IMAP_CAP_CONDSTORE))
        return MP_ERR_UNSUPPORTED;
    return mp_imapc_issue(c, a.o->examine ? MP_IMAP_CMD_EXAMINE : MP_IMAP_CMD_SELECT,
                          a.o->examine ? QF_EXAMINE : 0u, wr_select, &a, cmd);
}

/* FETCH and STORE: a message set and what to do with it. */
typedef struct msgset_args {
    int uid;
    const mp_imap_seq_range *set;
    size_t nset;
    const char *const *items;   /* FETCH */
    size_t nitems;
    uint64_t changedsince;      /* FETCH */
    int vanished;
    char op;                    /* STORE */
    int silent;
    const mp_slice *flags;
    size_t nflags;
    uint64_t unchangedsince;
    int store;
} msgset_args;

static mp_status wr_msgset(mp_imap_writer *w, const char *tag, const void *arg)
{
    const msgset_args *a = arg;
    if (a->store)
        return mp_imap_write_store(w, tag, a->uid, a->set, a->nset, a->op, a->silent, a->flags,
                                   a->nflags, a->unchangedsince);
    return mp_imap_write_fetch(w, tag, a->uid, a->set, a->nset, a->items, a->nitems,
                               a->changedsince, a->vanished);
}

static mp_status msgset_command(mp_imap_client *c, const msgset_args *a, uint32_t *cmd)
{
    mp_imap_cmd_id id = a->store ? (a->uid ? MP_IMAP_CMD_UID_STORE : MP_IMAP_CMD_STORE)
                                 : (a->uid ? MP_IMAP_CMD_UID_FETCH : MP_IMAP_CMD_FETCH);
    mp_status st = mp_imapc_check(c, K_SELECTED, 0);
    if (st != MP_OK)
        return st;
    return mp_imapc_issue(c, id, 0, wr_msgset, a, cmd);
}

mp_status mp_imap_client_fetch(mp_imap_client *c, int uid, const mp_imap_seq_range *set,
                               size_t nset, const char *const *items, size_t nitems,
                               uint64_t changedsince, int vanished, uint32_t *cmd)
{
    msgset_args a;
    memset(&a, 0, sizeof(a));
    a.uid = uid;
    a.set = set;
    a.nset = nset;
    a.items = items;
    a.nitems = nitems;
    a.changedsince = changedsince;
    a.vanished = vanished;
    return msgset_command(c, &a, cmd);
}

mp_status mp_imap_client_store(mp_imap_client *c, int uid, const mp_imap_seq_range *set,
                               size_t nset, char op, int silent, const mp_slice *flags,
                               size_t nflags, uint64_t unchangedsince, uint32_t *cmd)
{
    msgset_args a;
    memset(&a, 0, sizeof(a));
    a.store = 1;
    a.uid = uid;
    a.set = set;
    a.nset = nset;
    a.op = op;
    a.silent = silent;
    a.flags = flags;
    a.nflags = nflags;
    a.unchangedsince = unchangedsince;
    return msgset_command(c, &a, cmd);
}

/* ---- IDLE, COMPRESS, LOGOUT ---------------------------------------------- */

static mp_status wr_simple(mp_imap_writer *w, const char *tag, const void *arg)
{
    return mp_imap_write_simple(w, tag, *(const mp_imap_cmd_id *)arg);
}

mp_status mp_imap_client_idle(mp_imap_client *c, uint32_t *cmd)
{
    static const mp_imap_cmd_id id = MP_IMAP_CMD_IDLE;
    mp_status st = mp_imapc_check(c, K_AUTH, 1);
    if (st != MP_OK)
        return st;
    if (!(c->caps.flags & (MP_IMAP_CAP_IDLE | MP_IMAP_CAP_IMAP4REV2)))
        return MP_ERR_UNSUPPORTED;
    c->idle_done = 0;
    return mp_imapc_issue(c, id, QF_BARRIER, wr_simple, &id, cmd);
}

mp_status mp_imap_client_idle_done(mp_imap_client *c)
{
    mp_imap_client_cmd_ *q = NULL;
    mp_status st;
    unsigned i;
    for (i = 0; i < c->nq; i++)
        if (c->q[i].id == MP_IMAP_CMD_IDLE)
            q = &c->q[i];
    if (q == NULL || c->idle_done != 0 || c->state == MP_IMAP_ST_FAILED)
        return MP_ERR_STATE;
    if (c->waiter == q->tag) {
        /* RFC 2177 §3: DONE only after the "+"; written when it comes */
        c->idle_done = 1;
        return MP_OK;
    }
    st = mp_imap_write_done(&c->w);
    if (st != MP_OK)
        return st;
    c->idle_done = 2;
    q->end = mp_imapc_wpos(c);
    return MP_OK;
}

mp_status mp_imap_client_compress(mp_imap_client *c, uint32_t *cmd)
{
    static const char deflate[] = "DEFLATE";
    mp_imap_arg arg;
    cmd_args a;
    mp_status st = mp_imapc_check(c, K_AUTH, 1);
    if (st != MP_OK)
        return st;
    if (!(c->caps.flags & MP_IMAP_CAP_COMPRESS_DEFLATE))
        return MP_ERR_UNSUPPORTED;
    memset(&arg, 0, sizeof(arg));
    arg.kind = MP_IMAP_ARG_ATOM;
    arg.s = mp_slice_make(deflate, sizeof(deflate) - 1);
    a.id = MP_IMAP_CMD_COMPRESS;
    a.args = &arg;
    a.nargs = 1;
    return mp_imapc_issue(c, MP_IMAP_CMD_COMPRESS, QF_BARRIER, wr_command, &a, cmd);
}

mp_status mp_imap_client_logout(mp_imap_client *c, uint32_t *cmd)
{
    static const mp_imap_cmd_id id = MP_IMAP_CMD_LOGOUT;
    mp_status st = mp_imapc_check(c, K_ANY, 1);
    if (st != MP_OK)
        return st;
    st = mp_imapc_issue(c, id, QF_BARRIER, wr_simple, &id, cmd);
    if (st == MP_OK)
        c->state = MP_IMAP_ST_LOGOUT;
    return st;
}

/* ---- APPEND ------------------------------------------------------------ */

typedef struct append_args {
    mp_slice mailbox;
    const mp_slice *flags;
    size_t nflags;
    const mp_imap_datetime *dt;
    uint64_t size;
    int form;
    int catenate;
} append_args;

static mp_status wr_append(mp_imap_writer *w, const char *tag, const void *arg)
{
    const append_args *a = arg;
    if (a->catenate)
        return mp_imap_write_append_catenate_begin(w, tag, a->mailbox, a->flags, a->nflags,
                                                   a->dt);
    return mp_imap_write_append_begin(w, tag, a->mailbox, a->flags, a->nflags, a->dt, a->size,
                                      a->form);
}

static mp_status append_start(mp_imap_client *c, const append_args *a, uint32_t *cmd)
{
    mp_status st = mp_imapc_check(c, K_AUTH, 0);
    if (st != MP_OK)
        return st;
    if (a->catenate && !(c->caps.flags & MP_IMAP_CAP_CATENATE))
        return MP_ERR_UNSUPPORTED;
    return mp_imapc_issue(c, MP_IMAP_CMD_APPEND, QF_STREAM, wr_append, a, cmd);
}

mp_status mp_imap_client_append(mp_imap_client *c, mp_slice mailbox, const mp_slice *flags,
                                size_t nflags, const mp_imap_datetime *dt, uint64_t size,
                                int form, uint32_t *cmd)
{
    append_args a;
    a.mailbox = mailbox;
    a.flags = flags;
    a.nflags = nflags;
    a.dt = dt;
    a.size = size;
    a.form = form;
    a.catenate = 0;
    return append_start(c, &a, cmd);
}

mp_status mp_imap_client_append_catenate(mp_imap_client *c, mp_slice mailbox,
                                         const mp_slice *flags, size_t nflags,
                                         const mp_imap_datetime *dt, uint32_t *cmd)
{
    append_args a;
    memset(&a, 0, sizeof(a));
    a.mailbox = mailbox;
    a.flags = flags;
    a.nflags = nflags;
    a.dt = dt;
    a.catenate = 1;
    return append_start(c, &a, cmd);
}

/* The open APPEND, or NULL. */
static mp_imap_client_cmd_ *open_append(mp_imap_client *c)
{
    unsigned i;
    if (!c->append_open || c->state == MP_IMAP_ST_FAILED)
        return NULL;
    for (i = 0; i < c->nq; i++)
        if (c->q[i].id == MP_IMAP_CMD_APPEND && c->q[i].end == MP_IMAPC_NONE)
            return &c->q[i];
    return NULL;
}

/* A piece of the open APPEND was written: a sync literal in it waits for
 * "+" (RFC 9051 §4.3.1) before the host pushes its bytes. */
static mp_status piece(mp_imap_client *c, const mp_imap_client_cmd_ *q, mp_status st)
{
    if (st == MP_PAUSED) {
        c->gate = mp_imapc_wpos(c);
        c->waiter = q->tag;
        c->cont_at = c->gate;
        return MP_OK;
    }
    return st;
}

mp_status mp_imap_client_append_data(mp_imap_client *c, const void *data, size_t len,
                                     size_t *used)
{
    mp_imap_client_cmd_ *q = open_append(c);
    *used = 0;
    if (q == NULL)
        return MP_ERR_STATE;
    if (c->waiter == q->tag)
        return MP_PAUSED;
    return mp_imap_write_append_data(&c->w, data, len, used);
}

mp_status mp_imap_client_append_next(mp_imap_client *c, const mp_slice *flags, size_t nflags,
                                     const mp_imap_datetime *dt, uint64_t size, int form)
{
    mp_imap_client_cmd_ *q = open_append(c);
    if (q == NULL || c->waiter == q->tag)
        return MP_ERR_STATE;
    if (!(c->caps.flags & MP_IMAP_CAP_MULTIAPPEND))
        return MP_ERR_UNSUPPORTED;
    return piece(c, q, mp_imap_write_append_next(&c->w, flags, nflags, dt, size, form));
}

mp_status mp_imap_client_append_catenate_next(mp_imap_client *c, const mp_slice *flags,
                                              size_t nflags, const mp_imap_datetime *dt)
{
    mp_imap_client_cmd_ *q = open_append(c);
    if (q == NULL || c->waiter == q->tag)
        return MP_ERR_STATE;
    if (!(c->caps.flags & MP_IMAP_CAP_MULTIAPPEND))
        return MP_ERR_UNSUPPORTED;
    return mp_imap_write_append_catenate_next(&c->w, flags, nflags, dt);
}

mp_status mp_imap_client_cat_url(mp_imap_client *c, mp_slice url)
{
    mp_imap_client_cmd_ *q = open_append(c);
    if (q == NULL || c->waiter == q->tag)
        return MP_ERR_STATE;
    return mp_imap_write_cat_url(&c->w, url);
}

mp_status mp_imap_client_cat_text(mp_imap_client *c, uint64_t size, int form)
{
    mp_imap_client_cmd_ *q = open_append(c);
    if (q == NULL || c->waiter == q->tag)
        return MP_ERR_STATE;
    return piece(c, q, mp_imap_write_cat_text_begin(&c->w, size, form));
}

mp_status mp_imap_client_catenate_end(mp_imap_client *c)
{
    mp_imap_client_cmd_ *q = open_append(c);
    if (q == NULL || c->waiter == q->tag)
        return MP_ERR_STATE;
    return mp_imap_write_catenate_end(&c->w);
}

mp_status mp_imap_client_append_end(mp_imap_client *c)
{
    mp_imap_client_cmd_ *q = open_append(c);
    mp_status st;
    if (q == NULL || c->waiter == q->tag)
        return MP_ERR_STATE;
    st = mp_imap_write_append_end(&c->w);
    if (st != MP_OK)
        return st;
    q->end = mp_imapc_wpos(c);
    c->append_open = 0;
    return MP_OK;
}
