/* IMAP server session: states, the commands the session runs itself, the
 * parser callbacks and the feed loop (imap_server.h).  The host's
 * commands are answered through server_host.c, logins run in
 * server_auth.c. */
#include <string.h>

#include "server_internal.h"

/* States as bits, for the legality table. */
enum { B_NA = 1u << MP_IMAP_SS_NOT_AUTH, B_AU = 1u << MP_IMAP_SS_AUTH,
       B_SE = 1u << MP_IMAP_SS_SELECTED };
#define B_ANY (B_NA | B_AU | B_SE)
#define B_IN (B_AU | B_SE)

/* Where each command is valid (RFC 9051 §6.1-§6.4, RFC 5161 §3.1 for
 * ENABLE, RFC 2177 for IDLE, RFC 4978 §3 for COMPRESS, RFC 2971 for ID),
 * and whether the session runs it itself (OWN). */
#define OWN 0x80u
static const uint8_t cmd_rule[MP_IMAP_CMD_COUNT_] = {
    [MP_IMAP_CMD_CAPABILITY] = B_ANY | OWN,
    [MP_IMAP_CMD_NOOP] = B_ANY | OWN,
    [MP_IMAP_CMD_LOGOUT] = B_ANY | OWN,
    [MP_IMAP_CMD_ID] = B_ANY | OWN,
    [MP_IMAP_CMD_STARTTLS] = B_NA | OWN,
    [MP_IMAP_CMD_AUTHENTICATE] = B_NA | OWN,
    [MP_IMAP_CMD_LOGIN] = B_NA | OWN,
    [MP_IMAP_CMD_ENABLE] = B_AU | OWN,
    [MP_IMAP_CMD_IDLE] = B_IN | OWN,
    [MP_IMAP_CMD_COMPRESS] = B_IN | OWN,
    [MP_IMAP_CMD_SELECT] = B_IN,
    [MP_IMAP_CMD_EXAMINE] = B_IN,
    [MP_IMAP_CMD_CREATE] = B_IN,
    [MP_IMAP_CMD_DELETE] = B_IN,
    [MP_IMAP_CMD_RENAME] = B_IN,
    [MP_IMAP_CMD_SUBSCRIBE] = B_IN,
    [MP_IMAP_CMD_UNSUBSCRIBE] = B_IN,
    [MP_IMAP_CMD_LIST] = B_IN,
    [MP_IMAP_CMD_LSUB] = B_IN,
    [MP_IMAP_CMD_NAMESPACE] = B_IN,
    [MP_IMAP_CMD_STATUS] = B_IN,
    [MP_IMAP_CMD_APPEND] = B_IN,
    [MP_IMAP_CMD_GETQUOTA] = B_IN,
    [MP_IMAP_CMD_GETQUOTAROOT] = B_IN,
    [MP_IMAP_CMD_SETQUOTA] = B_IN,
    [MP_IMAP_CMD_GETMETADATA] = B_IN,
    [MP_IMAP_CMD_SETMETADATA] = B_IN,
    [MP_IMAP_CMD_CHECK] = B_SE,
    [MP_IMAP_CMD_CLOSE] = B_SE,
    [MP_IMAP_CMD_UNSELECT] = B_SE,
    [MP_IMAP_CMD_EXPUNGE] = B_SE,
    [MP_IMAP_CMD_UID_EXPUNGE] = B_SE,
    [MP_IMAP_CMD_SEARCH] = B_SE,
    [MP_IMAP_CMD_UID_SEARCH] = B_SE,
    [MP_IMAP_CMD_FETCH] = B_SE,
    [MP_IMAP_CMD_UID_FETCH] = B_SE,
    [MP_IMAP_CMD_STORE] = B_SE,
    [MP_IMAP_CMD_UID_STORE] = B_SE,
    [MP_IMAP_CMD_COPY] = B_SE,
    [MP_IMAP_CMD_UID_COPY] = B_SE,
    [MP_IMAP_CMD_MOVE] = B_SE,
    [MP_IMAP_CMD_UID_MOVE] = B_SE,
    [MP_IMAP_CMD_SORT] = B_SE,
    [MP_IMAP_CMD_UID_SORT] = B_SE,
    [MP_IMAP_CMD_THREAD] = B_SE,
    [MP_IMAP_CMD_UID_THREAD] = B_SE,
    [MP_IMAP_CMD_NOTIFY] = B_IN,       /* RFC 5465 3 */
    [MP_IMAP_CMD_CANCELUPDATE] = B_SE, /* RFC 5267 4.3: updates of the selected mailbox */
    [MP_IMAP_CMD_GETACL] = B_IN,       /* RFC 4314 3 */
    [MP_IMAP_CMD_SETACL] = B_IN,
    [MP_IMAP_CMD_DELETEACL] = B_IN,
    [MP_IMAP_CMD_LISTRIGHTS] = B_IN,
    [MP_IMAP_CMD_MYRIGHTS] = B_IN,
    [MP_IMAP_CMD_RESETKEY] = B_IN,     /* RFC 4467 4 */
    [MP_IMAP_CMD_GENURLAUTH] = B_IN,
    [MP_IMAP_CMD_URLFETCH] = B_IN,
    [MP_IMAP_CMD_ESEARCH] = B_IN,      /* RFC 7377 2 */
};

/* ---- output ---------------------------------------------------------------- */

void mp_imaps_say(mp_imap_server *s, const char *tag, mp_imap_resp_kind kind, const char *code,
                  const char *text)
{
    if (mp_imap_resp_write_status(&s->w, tag, kind, code, text) != MP_OK)
        s->state = MP_IMAP_SS_LOGOUT; /* cannot answer: nothing sane remains */
}

static void report(mp_imap_server *s, mp_status why, uint64_t offset, const char *rule)
{
    mp_error_set(&s->last_error, why, offset, rule);
    if (s->cb->on_error != NULL)
        s->cb->on_error(s->user, s, &s->last_error);
}

void mp_imaps_bad(mp_imap_server *s, const char *tag, mp_imap_resp_kind kind, const char *code,
                  const char *text, mp_status why, uint64_t offset, const char *rule)
{
    unsigned max = s->cfg->max_errors ? s->cfg->max_errors : MP_IMAP_SERVER_MAX_ERRORS;
    mp_imaps_say(s, tag, kind, code, text);
    report(s, why, offset, rule);
    if (++s->errors >= max && s->state != MP_IMAP_SS_LOGOUT) {
        mp_imaps_say(s, NULL, MP_IMAP_RESP_BYE, NULL, "Too many invalid commands");
        report(s, MP_ERR_TOO_MANY_ERRORS, offset, "MP_IMAP_SERVER_MAX_ERRORS");
        s->state = MP_IMAP_SS_LOGOUT;
    }
}

/* Append the atoms of a space-separated list. */
static void put_list(mp_outbuf *ob, const char *list)
{
    if (list != NULL && *list) {
        mp_outbuf_putc(ob, ' ');
        mp_outbuf_puts(ob, list);
    }
}

/* The session's own capabilities after the version atoms: X(flag, atom). */
#define OWN_CAPS(X)                                                           \
    X(MP_IMAP_SRV_LITERAL_MINUS, "LITERAL-")                                  \
    X(MP_IMAP_SRV_ENABLE, "ENABLE")                                           \
    X(MP_IMAP_SRV_IDLE, "IDLE")                                               \
    X(MP_IMAP_SRV_ID, "ID")                                                   \
    X(MP_IMAP_SRV_CONDSTORE, "CONDSTORE")                                     \
    X(MP_IMAP_SRV_QRESYNC, "QRESYNC")                                         \
    X(MP_IMAP_SRV_UTF8_ACCEPT, "UTF8=ACCEPT")

void mp_imaps_put_caps(mp_imap_server *s, mp_outbuf *ob)
{
    unsigned f = s->cfg->flags;
    if (!(f & MP_IMAP_SRV_NO_REV1))
        mp_outbuf_puts(ob, "IMAP4rev1");
    if (f & MP_IMAP_SRV_REV2)
        mp_outbuf_puts(ob, (f & MP_IMAP_SRV_NO_REV1) ? "IMAP4rev2" : " IMAP4rev2");
    if (s->state == MP_IMAP_SS_NOT_AUTH) {
        if ((f & MP_IMAP_SRV_STARTTLS) && !s->tls)
            mp_outbuf_puts(ob, " STARTTLS");
        mp_imaps_auth_caps(s, ob);
        if (!mp_imaps_login_ok(s))
            mp_outbuf_puts(ob, " LOGINDISABLED");
    }
#define CAP_(flag, atom)                                                      \
    if (f & (flag))                                                           \
        mp_outbuf_puts(ob, " " atom);
    OWN_CAPS(CAP_)
#undef CAP_
    put_list(ob, s->cfg->caps_any);
    if (s->state != MP_IMAP_SS_NOT_AUTH) {
        if ((f & MP_IMAP_SRV_COMPRESS) && !s->compressed)
            mp_outbuf_puts(ob, " COMPRESS=DEFLATE");
        put_list(ob, s->cfg->caps);
    }
}

/* "<tag or *> <kind> [CAPABILITY ...] text": the greeting and the login
 * completion carry the capabilities (RFC 9051 §7.1). */
static void status_caps(mp_imap_server *s, const char *tag, const char *kind, const char *text)
{
    mp_outbuf *ob = &s->out;
    size_t m = mp_outbuf_mark(ob);
    mp_outbuf_puts(ob, tag ? tag : "*");
    mp_outbuf_putc(ob, ' ');
    mp_outbuf_puts(ob, kind);
    if (!(s->cfg->flags & MP_IMAP_SRV_QUIET_CAPS)) {
        mp_outbuf_puts(ob, " [CAPABILITY ");
        mp_imaps_put_caps(s, ob);
        mp_outbuf_putc(ob, ']');
    }
    mp_outbuf_putc(ob, ' ');
    mp_outbuf_puts(ob, text);
    mp_outbuf_puts(ob, "\r\n");
    if (mp_outbuf_commit(ob, m) != MP_OK)
        s->state = MP_IMAP_SS_LOGOUT;
}

void mp_imaps_ok_caps(mp_imap_server *s, const char *text)
{
    status_caps(s, s->tag, "OK", text);
}

void mp_imaps_logged_in(mp_imap_server *s)
{
    s->state = MP_IMAP_SS_AUTH;
    /* the longer line limit is for clients that proved who they are */
    mp_imap_cmd_parser_set_max_line(&s->parser, 0);
}

int mp_imaps_ret(mp_imap_server *s)
{
    if (s->aborted || s->pending != MP_IMAP_DECIDE_NONE || s->state == MP_IMAP_SS_LOGOUT ||
        s->switching || s->out.len > s->out.cap / 2)
        return MP_IMAP_CB_PAUSE;
    return 0;
}

/* ---- the session's own commands -------------------------------------------- */

static unsigned mode_bits(const mp_imap_server *s)
{
    unsigned m = 0;
    if (s->enabled & EN_REV2)
        m |= MP_IMAP_REV2 | MP_IMAP_UTF8;
    if (s->enabled & EN_UTF8)
        m |= MP_IMAP_UTF8;
    if (s->cfg->flags & MP_IMAP_SRV_LITERAL_MINUS)
        m |= MP_IMAP_LITERAL_MINUS;
    return m;
}

/* ENABLE's words (RFC 5161, RFC 7162 §3.1.1 / §3.2.3, RFC 6855, RFC
 * 9051): X(bit, flag that offers it, atom). */
#define ENABLE_WORDS(X)                                                       \
    X(EN_CONDSTORE, MP_IMAP_SRV_CONDSTORE, "CONDSTORE")                       \
    X(EN_QRESYNC, MP_IMAP_SRV_QRESYNC, "QRESYNC")                             \
    X(EN_UTF8, MP_IMAP_SRV_UTF8_ACCEPT, "UTF8=ACCEPT")                        \
    X(EN_REV2, MP_IMAP_SRV_REV2, "IMAP4rev2")

static void enable_arg(mp_imap_server *s, const mp_imap_cmd_arg *a)
{
    unsigned f = s->cfg->flags;
    if (a->kind != MP_IMAP_CA_ATOM)
        return;
#define EN_(bit, flag, atom)                                                  \
    if ((f & (flag)) && mp_slice_eq_ci(a->text, atom, sizeof(atom) - 1))       \
        s->enable_now |= (bit);
    ENABLE_WORDS(EN_)
#undef EN_
}

unsigned mp_imap_server_enabled(const mp_imap_server *s)
{
    unsigned out = 0;
#define EN_(bit, flag, atom)                                                  \
    if (s->enabled & (bit))                                                   \
        out |= (flag);
    ENABLE_WORDS(EN_)
#undef EN_
    return out;
}

mp_imap_resp_writer *mp_imap_server_writer(mp_imap_server *s) { return &s->w; }

static void run_enable(mp_imap_server *s)
{
    mp_outbuf *ob = &s->out;
    unsigned now = s->enable_now, fresh;
    size_t m;
    if (now & EN_QRESYNC)
        now |= EN_CONDSTORE; /* RFC 7162 §3.2.3 */
    fresh = now & ~(unsigned)s->enabled;
    m = mp_outbuf_mark(ob);
    mp_outbuf_puts(ob, "* ENABLED");
#define EN_(bit, flag, atom)                                                  \
    if (fresh & (bit))                                                        \
        mp_outbuf_puts(ob, " " atom);
    ENABLE_WORDS(EN_)
#undef EN_
    mp_outbuf_puts(ob, "\r\n");
    if (mp_outbuf_commit(ob, m) != MP_OK) {
        s->state = MP_IMAP_SS_LOGOUT;
        return;
    }
    s->enabled |= (uint8_t)fresh;
    /* the next command is parsed in the new mode (the parser takes it from
     * its next token); responses change after this completion */
    mp_imap_cmd_parser_set_flags(&s->parser, mode_bits(s));
    mp_imaps_say(s, s->tag, MP_IMAP_RESP_OK, NULL, "ENABLE completed");
    s->w.mode = mode_bits(s) & (MP_IMAP_REV2 | MP_IMAP_UTF8);
}

static void run_id(mp_imap_server *s)
{
    mp_outbuf *ob = &s->out;
    size_t m = mp_outbuf_mark(ob);
    if (s->cfg->id_name == NULL) {
        mp_outbuf_puts(ob, "* ID NIL\r\n");
    } else {
        mp_outbuf_puts(ob, "* ID (\"name\" ");
        if (mp_imap_write_string(ob, 0, mp_slice_make(s->cfg->id_name,
                                                      strlen(s->cfg->id_name))) != MP_OK)
            mp_outbuf_puts(ob, "NIL");
        mp_outbuf_puts(ob, ")\r\n");
    }
    if (mp_outbuf_commit(ob, m) != MP_OK) {
        s->state = MP_IMAP_SS_LOGOUT;
        return;
    }
    mp_imaps_say(s, s->tag, MP_IMAP_RESP_OK, NULL, "ID completed");
}

static void run_capability(mp_imap_server *s)
{
    mp_outbuf *ob = &s->out;
    size_t m = mp_outbuf_mark(ob);
    mp_outbuf_puts(ob, "* CAPABILITY ");
    mp_imaps_put_caps(s, ob);
    mp_outbuf_puts(ob, "\r\n");
    if (mp_outbuf_commit(ob, m) != MP_OK) {
        s->state = MP_IMAP_SS_LOGOUT;
        return;
    }
    mp_imaps_say(s, s->tag, MP_IMAP_RESP_OK, NULL, "CAPABILITY completed");
}

/* Is the command offered at all (its capability advertised)? */
static int offered(const mp_imap_server *s, mp_imap_cmd_id cmd)
{
    unsigned f = s->cfg->flags;
    switch (cmd) {
    case MP_IMAP_CMD_STARTTLS:
        return (f & MP_IMAP_SRV_STARTTLS) && !s->tls;
    case MP_IMAP_CMD_ENABLE:
        return (f & (MP_IMAP_SRV_ENABLE | MP_IMAP_SRV_REV2)) != 0;
    case MP_IMAP_CMD_IDLE:
        return (f & MP_IMAP_SRV_IDLE) != 0;
    case MP_IMAP_CMD_ID:
        return (f & MP_IMAP_SRV_ID) != 0;
    case MP_IMAP_CMD_COMPRESS:
        return (f & MP_IMAP_SRV_COMPRESS) != 0;
    case MP_IMAP_CMD_LOGIN:
        return (f & MP_IMAP_SRV_LOGIN) != 0;
    case MP_IMAP_CMD_AUTHENTICATE:
        return s->auth_set != 0;
    default:
        return 1;
    }
}

static void run_own(mp_imap_server *s, uint64_t off)
{
    switch ((mp_imap_cmd_id)s->cmd) {
    case MP_IMAP_CMD_CAPABILITY:
        run_capability(s);
        break;
    case MP_IMAP_CMD_NOOP:
        /* RFC 9051 §6.1.2: NOOP is how a client polls for changes */
        if (mp_imaps_flush_notes(s, 1) != MP_OK) {
            s->state = MP_IMAP_SS_LOGOUT;
            break;
        }
        mp_imaps_say(s, s->tag, MP_IMAP_RESP_OK, NULL, "NOOP completed");
        break;
    case MP_IMAP_CMD_LOGOUT:
        mp_imaps_say(s, NULL, MP_IMAP_RESP_BYE, NULL,
                     s->cfg->bye ? s->cfg->bye : "Logging out");
        mp_imaps_say(s, s->tag, MP_IMAP_RESP_OK, NULL, "LOGOUT completed");
        s->state = MP_IMAP_SS_LOGOUT;
        break;
    case MP_IMAP_CMD_ID:
        run_id(s);
        break;
    case MP_IMAP_CMD_ENABLE:
        run_enable(s);
        break;
    case MP_IMAP_CMD_STARTTLS:
        mp_imaps_say(s, s->tag, MP_IMAP_RESP_OK, NULL, "Begin TLS negotiation now");
        s->switching = 1;
        break;
    case MP_IMAP_CMD_COMPRESS:
        if (s->compressed) {
            mp_imaps_say(s, s->tag, MP_IMAP_RESP_NO, "COMPRESSIONACTIVE",
                         "Compression already active");
            break;
        }
        mp_imaps_say(s, s->tag, MP_IMAP_RESP_OK, NULL, "DEFLATE active");
        s->switching = 2;
        break;
    case MP_IMAP_CMD_IDLE:
        mp_imaps_say(s, NULL, MP_IMAP_RESP_CONTINUE, NULL, "idling");
        mp_imap_cmd_parser_set_mode(&s->parser, MP_IMAP_CMD_MODE_IDLE);
        s->idling = 1;
        if (s->cb->on_idle != NULL && s->cb->on_idle(s->user, s, 1) != 0)
            s->aborted = 1;
        (void)mp_imaps_flush_notes(s, 1);
        break;
    case MP_IMAP_CMD_LOGIN:
    case MP_IMAP_CMD_AUTHENTICATE:
        mp_imaps_auth_run(s, off);
        break;
    default:
        break;
    }
}

/* ---- parser callbacks ------------------------------------------------------ */

static void host_req(mp_imap_server *s, mp_imap_server_req_type type, const mp_imap_cmd_arg *a,
                     mp_slice data)
{
    mp_imap_server_req r;
    r.type = type;
    r.cmd = (mp_imap_cmd_id)s->cmd;
    r.tag = mp_slice_make(s->tag, s->taglen);
    r.arg = a;
    r.data = data;
    s->in_cb = 1;
    if (s->cb->on_request != NULL && s->cb->on_request(s->user, s, &r) != 0)
        s->aborted = 1;
    s->in_cb = 0;
}

/* Why the command cannot run here, or MP_OK. */
static mp_status refusal(const mp_imap_server *s, mp_imap_cmd_id cmd)
{
    uint8_t rule = cmd_rule[cmd];
    if (!offered(s, cmd))
        return MP_ERR_IMAP_SRV_UNAVAILABLE;
    if (!(rule & (1u << s->state)))
        return MP_ERR_IMAP_SRV_STATE;
    if (cmd == MP_IMAP_CMD_LOGIN && !mp_imaps_login_ok(s))
        return MP_ERR_IMAP_SRV_PRIVACY;
    return MP_OK;
}

static int cb_command(void *user, mp_slice tag, mp_imap_cmd_id cmd)
{
    mp_imap_server *s = user;
    if (tag.len > 0)
        memcpy(s->tag, tag.ptr, tag.len);
    s->tag[tag.len] = '\0';
    s->taglen = (uint8_t)tag.len;
    s->cmd = (uint8_t)cmd;
    s->own = (cmd_rule[cmd] & OWN) != 0;
    s->refused = (uint8_t)refusal(s, cmd);
    s->arg_n = 0;
    s->bad_arg = 0;
    s->enable_now = 0;
    s->login_len[0] = s->login_len[1] = 0;
    s->mech = 0;
    s->ir = 0;
    if (!s->own && !s->refused)
        host_req(s, MP_IMAP_REQ_BEGIN, NULL, mp_slice_make(NULL, 0));
    return mp_imaps_ret(s);
}

static int cb_arg(void *user, const mp_imap_cmd_arg *a)
{
    mp_imap_server *s = user;
    if (s->refused)
        return 0;
    if (!s->own) {
        s->arg_n = 1;
        host_req(s, MP_IMAP_REQ_ARG, a, mp_slice_make(NULL, 0));
        return mp_imaps_ret(s);
    }
    switch ((mp_imap_cmd_id)s->cmd) {
    case MP_IMAP_CMD_ENABLE:
        enable_arg(s, a);
        break;
    case MP_IMAP_CMD_LOGIN:
    case MP_IMAP_CMD_AUTHENTICATE:
        mp_imaps_auth_arg(s, a);
        break;
    case MP_IMAP_CMD_COMPRESS:
        if (a->kind != MP_IMAP_CA_ATOM || !mp_slice_eq_ci(a->text, "DEFLATE", 7))
            s->bad_arg = 1;
        break;
    default:
        break; /* ID parameters: for the host's logs, not kept */
    }
    s->arg_n++;
    return 0;
}

static int cb_chunk(void *user, mp_slice data)
{
    mp_imap_server *s = user;
    if (s->refused)
        return 0;
    if (s->own) {
        s->bad_arg = 1; /* a credential longer than the string limit */
        return 0;
    }
    host_req(s, MP_IMAP_REQ_DATA, NULL, data);
    return mp_imaps_ret(s);
}

static int cb_chunk_end(void *user)
{
    mp_imap_server *s = user;
    if (!s->refused && !s->own)
        host_req(s, MP_IMAP_REQ_DATA_END, NULL, mp_slice_make(NULL, 0));
    return mp_imaps_ret(s);
}

static const char *refusal_text(mp_status why, const char **code, mp_imap_resp_kind *kind)
{
    *kind = MP_IMAP_RESP_BAD;
    *code = NULL;
    switch (why) {
    case MP_ERR_IMAP_SRV_STATE:
        *code = "CLIENTBUG";
        return "Command not valid in this state";
    case MP_ERR_IMAP_SRV_PRIVACY:
        *kind = MP_IMAP_RESP_NO;
        *code = "PRIVACYREQUIRED";
        return "Login not allowed without TLS";
    case MP_ERR_IMAP_SRV_UNAVAILABLE:
        return "Command not available";
    default:
        return "Invalid arguments";
    }
}

/* Answer a command refused before it ran. */
static void answer_refused(mp_imap_server *s, mp_status why, uint64_t off)
{
    const char *code;
    mp_imap_resp_kind kind;
    const char *text = refusal_text(why, &code, &kind);
    mp_imaps_bad(s, s->tag, kind, code, text, why, off, MP_RULE_("RFC 9051 6"));
}

static int cb_end(void *user)
{
    mp_imap_server *s = user;
    uint64_t off = s->parser.err.offset;
    if (s->refused) {
        answer_refused(s, (mp_status)s->refused, off);
        s->refused = 0;
        s->cmd = 0;
    } else if (s->own) {
        if (s->bad_arg)
            answer_refused(s, MP_ERR_IMAP_CMD_SYNTAX, off);
        else
            run_own(s, off);
        if (!s->idling && !s->auth_cmd)
            s->cmd = 0;
    } else {
        mp_imap_cmd_id c = (mp_imap_cmd_id)s->cmd;
        /* RFC 9051 §7.5.1: no EXPUNGE while FETCH, STORE or SEARCH is
         * answered (their UID forms may), and CLOSE sends none (§6.4.1) */
        s->expunge_ok = !(c == MP_IMAP_CMD_FETCH || c == MP_IMAP_CMD_STORE ||
                          c == MP_IMAP_CMD_SEARCH || c == MP_IMAP_CMD_CLOSE);
        if (c == MP_IMAP_CMD_SELECT || c == MP_IMAP_CMD_EXAMINE)
            mp_imaps_drop_notes(s); /* the new mailbox is reported whole */
        s->completed = 0;
        s->pending = MP_IMAP_DECIDE_COMMAND;
        host_req(s, MP_IMAP_REQ_EXECUTE, NULL, mp_slice_make(NULL, 0));
    }
    return mp_imaps_ret(s);
}

static int cb_bad(void *user, mp_slice tag, mp_imap_cmd_id cmd, const mp_error *err)
{
    mp_imap_server *s = user;
    char t[MP_IMAP_MAX_TAG + 1];
    (void)cmd;
    if (s->cmd != 0 && !s->own && (s->refused == 0 || s->refused == RF_HOST_NO))
        host_req(s, MP_IMAP_REQ_CANCEL, NULL, mp_slice_make(NULL, 0));
    if (s->auth_cmd)
        mp_imaps_auth_end(s, 0);
    if (s->refused == RF_HOST_NO) {
        s->refused = 0; /* the host answered NO already */
        s->cmd = 0;
        return mp_imaps_ret(s);
    }
    if (tag.len > 0) /* an untagged BAD ("* BAD") has no tag at all */
        memcpy(t, tag.ptr, tag.len);
    t[tag.len] = '\0';
    if (s->refused != 0 && err->code == MP_ERR_IMAP_CMD_LITERAL_REJECTED) {
        const char *code;
        mp_imap_resp_kind kind;
        const char *text = refusal_text((mp_status)s->refused, &code, &kind);
        mp_imaps_bad(s, t, kind, code, text, (mp_status)s->refused, err->offset, err->rule);
    } else {
        mp_imaps_bad(s, t, MP_IMAP_RESP_BAD, NULL,
                     cmd == MP_IMAP_CMD_IDLE && s->idling ? "Expected DONE"
                                                          : mp_strerror(err->code),
                     err->code, err->offset, err->rule);
    }
    s->refused = 0;
    s->cmd = s->idling ? (uint8_t)MP_IMAP_CMD_IDLE : 0;
    return mp_imaps_ret(s);
}

static int cb_auth_line(void *user, mp_slice line, int cancel)
{
    mp_imap_server *s = user;
    mp_imaps_auth_line(s, line, cancel, s->parser.err.offset);
    return mp_imaps_ret(s);
}

static int cb_idle_done(void *user)
{
    mp_imap_server *s = user;
    s->idling = 0;
    if (s->cb->on_idle != NULL && s->cb->on_idle(s->user, s, 0) != 0)
        s->aborted = 1;
    mp_imaps_say(s, s->tag, MP_IMAP_RESP_OK, NULL, "IDLE terminated");
    s->cmd = 0;
    return mp_imaps_ret(s);
}

static const mp_imap_cmd_callbacks parser_cb = {
    cb_command, cb_arg, cb_chunk, cb_chunk_end, cb_end, cb_bad, cb_auth_line, cb_idle_done
};

/* ---- public ------------------------------------------------------------------ */

/* Host text: printable ASCII, not empty, not starting with '[' (it would
 * read as a response code). */
static int text_ok(const char *t, int atoms)
{
    size_t i, n;
    if (t == NULL)
        return 1;
    n = strlen(t);
    if (n > 512 || (!atoms && (n == 0 || t[0] == '[')))
        return 0;
    for (i = 0; i < n; i++) {
        if (t[i] < ' ' || t[i] > '~')
            return 0;
        if (atoms && (t[i] == '(' || t[i] == ')' || t[i] == '{' || t[i] == '"' ||
                      t[i] == ']' || (t[i] == ' ' && (i == 0 || i + 1 == n || t[i + 1] == ' '))))
            return 0;
    }
    return 1;
}

mp_status mp_imap_server_init(mp_imap_server *s, const mp_imap_server_config *cfg,
                              const mp_imap_server_callbacks *cb, void *user, char *out,
                              size_t out_cap)
{
    mp_imap_cmd_config pc;
    size_t pcap;
    mp_status st;
    unsigned f;
    if (s == NULL || cfg == NULL || cb == NULL || out == NULL || cfg->buf == NULL ||
        out_cap < MP_IMAP_SERVER_MIN_OUT)
        return MP_ERR_ARG;
    f = cfg->flags;
    if (!text_ok(cfg->greeting, 0) || !text_ok(cfg->bye, 0) || !text_ok(cfg->caps, 1) ||
        !text_ok(cfg->caps_any, 1) || !text_ok(cfg->id_name, 0) ||
        ((f & MP_IMAP_SRV_NO_REV1) && !(f & MP_IMAP_SRV_REV2)))
        return MP_ERR_ARG;
    memset(s, 0, sizeof(*s));
    s->cfg = cfg;
    s->cb = cb;
    s->user = user;
    s->tls = (f & MP_IMAP_SRV_TLS_ACTIVE) != 0;
    if (f & MP_IMAP_SRV_NO_REV1)
        s->enabled = EN_REV2; /* a rev2-only server speaks it from the start */
    pcap = cfg->buf_cap;
    if ((f & MP_IMAP_SRV_LOGIN) || cfg->auth_mechs != NULL) {
        st = mp_imaps_auth_init(s);
        if (st != MP_OK)
            return st;
        if (pcap < MP_IMAP_SERVER_AUTH_SCRATCH + 1024u)
            return MP_ERR_ARG;
        pcap -= MP_IMAP_SERVER_AUTH_SCRATCH;
    }
    if (cfg->parser != NULL)
        pc = *cfg->parser;
    else
        memset(&pc, 0, sizeof(pc));
    pc.mode = mode_bits(s);
    st = mp_imap_cmd_parser_init(&s->parser, cfg->buf, pcap, &pc, &parser_cb, s);
    if (st != MP_OK)
        return st;
    mp_outbuf_init(&s->out, out, out_cap);
    mp_imap_resp_writer_init(&s->w, &s->out, mode_bits(s) & (MP_IMAP_REV2 | MP_IMAP_UTF8), 0);
    if (f & MP_IMAP_SRV_PREAUTH)
        mp_imaps_logged_in(s);
    status_caps(s, NULL, (f & MP_IMAP_SRV_PREAUTH) ? "PREAUTH" : "OK",
                cfg->greeting ? cfg->greeting : "ready");
    return s->state == MP_IMAP_SS_LOGOUT ? MP_ERR_ARG : MP_OK;
}

mp_status mp_imap_server_feed(mp_imap_server *s, const char *in, size_t len, size_t *used)
{
    size_t off = 0;
    *used = 0;
    if (s->in_cb || s->switching)
        return MP_ERR_STATE;
    for (;;) {
        size_t u = 0;
        int64_t lw;
        mp_status st;
        if (s->aborted) {
            s->aborted = 0;
            return MP_ERR_ABORTED;
        }
        if (s->state == MP_IMAP_SS_LOGOUT)
            return MP_CLOSED;
        if (s->pending != MP_IMAP_DECIDE_NONE || s->out.len > s->out.cap / 2)
            return MP_PAUSED;
        lw = mp_imap_cmd_parser_literal_wait(&s->parser);
        if (lw < 0 && off == len)
            return MP_OK;
        if (lw >= 0) {
            if (s->refused) {
                mp_imap_cmd_parser_reject_literal(&s->parser, MP_ERR_IMAP_CMD_LITERAL_REJECTED);
            } else if (!s->own && s->cmd == MP_IMAP_CMD_APPEND && s->arg_n > 0 &&
                       s->cb->on_literal != NULL) {
                /* a message: the host may refuse it before the "+" */
                s->pending = MP_IMAP_DECIDE_LITERAL;
                s->in_cb = 1;
                if (s->cb->on_literal(s->user, s, (uint64_t)lw) != 0)
                    s->aborted = 1;
                s->in_cb = 0;
            } else {
                mp_imaps_literal_accept(s);
            }
            continue;
        }
        st = mp_imap_cmd_parser_feed(&s->parser, in + off, len - off, &u);
        off += u;
        *used = off;
        if (st == MP_ERR_ABORTED)
            return MP_ERR_ABORTED;
        if (s->switching) {
            if (s->switching == 1) {
                /* plaintext after STARTTLS: never parsed (docs/security.md) */
                s->injected = (uint64_t)(len - off) + mp_imap_cmd_parser_pending(&s->parser);
                if (s->injected > 0)
                    report(s, MP_ERR_TLS_INJECTION, s->parser.err.offset,
                           MP_RULE_("RFC 9051 6.2.1"));
            }
            return MP_TRANSPORT_SWITCH;
        }
    }
}

const char *mp_imap_server_output(mp_imap_server *s, size_t *len)
{
    *len = s->out.len;
    return s->out.buf;
}

void mp_imap_server_output_done(mp_imap_server *s, size_t n)
{
    if (n > s->out.len)
        n = s->out.len;
    mp_outbuf_consume(&s->out, n);
    s->chal_unsent = s->chal_unsent > n ? s->chal_unsent - n : 0;
    if (s->idling)
        (void)mp_imaps_flush_notes(s, 1);
}

mp_imap_server_decision mp_imap_server_pending(const mp_imap_server *s)
{
    return (mp_imap_server_decision)s->pending;
}

/* The layer `which` (1 TLS, 2 deflate) the session stopped for is on. */
static mp_status switched(mp_imap_server *s, uint8_t which)
{
    if (s->switching != which)
        return MP_ERR_STATE;
    s->switching = 0;
    s->cmd = 0;
    if (which == 1)
        s->tls = 1;
    else
        s->compressed = 1;
    return MP_OK;
}

mp_status mp_imap_server_tls_started(mp_imap_server *s) { return switched(s, 1); }

mp_status mp_imap_server_compress_started(mp_imap_server *s) { return switched(s, 2); }
