/* IMAP server: the host's answers to its commands, checked (which
 * responses each command may produce, one tagged completion, RFC 9051
 * §7.5.1), and the notifications of changes made by others. */
#include <string.h>

#include "server_internal.h"

/* One bit per response kind: 64 bits hold them all (checked below). */
#define R_(k) ((uint64_t)1 << MP_IMAP_RESP_##k)
typedef char mp_imaps_resp_kinds_fit_[MP_IMAP_RESP_COUNT_ <= 64 ? 1 : -1];

/* Untagged responses a command may produce itself (RFC 9051 §6, RFC
 * 7162, 5256, 9208, 5464, 5258/5819, 4314, 4467, 7377, 5465 §3's
 * STATUS indicator); every command also gets untagged
 * OK/NO/BAD and, with a mailbox selected, the mailbox updates below. */
static uint64_t own_responses(mp_imap_cmd_id c)
{
    switch (c) {
    case MP_IMAP_CMD_SELECT:
    case MP_IMAP_CMD_EXAMINE:
        return R_(FLAGS) | R_(EXISTS) | R_(RECENT) | R_(LIST) | R_(VANISHED) | R_(FETCH);
    case MP_IMAP_CMD_LIST:
        return R_(LIST) | R_(STATUS);
    case MP_IMAP_CMD_LSUB:
        return R_(LSUB);
    case MP_IMAP_CMD_STATUS:
        return R_(STATUS);
    case MP_IMAP_CMD_NAMESPACE:
        return R_(NAMESPACE);
    case MP_IMAP_CMD_SEARCH:
    case MP_IMAP_CMD_UID_SEARCH:
        return R_(SEARCH) | R_(ESEARCH);
    case MP_IMAP_CMD_SORT:
    case MP_IMAP_CMD_UID_SORT:
        return R_(SORT) | R_(ESEARCH);
    case MP_IMAP_CMD_THREAD:
    case MP_IMAP_CMD_UID_THREAD:
        return R_(THREAD);
    case MP_IMAP_CMD_GETQUOTA:
    case MP_IMAP_CMD_SETQUOTA:
        return R_(QUOTA);
    case MP_IMAP_CMD_GETQUOTAROOT:
        return R_(QUOTAROOT) | R_(QUOTA);
    case MP_IMAP_CMD_GETMETADATA:
        return R_(METADATA);
    case MP_IMAP_CMD_GETACL:
        return R_(ACL);
    case MP_IMAP_CMD_LISTRIGHTS:
        return R_(LISTRIGHTS);
    case MP_IMAP_CMD_MYRIGHTS:
        return R_(MYRIGHTS);
    case MP_IMAP_CMD_GENURLAUTH:
        return R_(GENURLAUTH);
    case MP_IMAP_CMD_URLFETCH:
        return R_(URLFETCH);
    case MP_IMAP_CMD_ESEARCH:
        return R_(ESEARCH);
    case MP_IMAP_CMD_NOTIFY:
        return R_(STATUS);
    default:
        return 0;
    }
}

/* With a mailbox selected (or being selected): what may change under any
 * command (RFC 9051 §5.2, §7.4). */
#define MAILBOX_UPDATES                                                        \
    (R_(EXISTS) | R_(RECENT) | R_(EXPUNGE) | R_(VANISHED) | R_(FETCH) | R_(FLAGS))

static int selecting(const mp_imap_server *s)
{
    return s->state == MP_IMAP_SS_SELECTED ||
           (s->pending == MP_IMAP_DECIDE_COMMAND &&
            (s->cmd == MP_IMAP_CMD_SELECT || s->cmd == MP_IMAP_CMD_EXAMINE));
}

static mp_status check_host(const mp_imap_server *s)
{
    if (s->pending == MP_IMAP_DECIDE_COMMAND)
        return MP_OK;
    return s->completed ? MP_ERR_IMAP_SRV_COMPLETED : MP_ERR_STATE;
}

mp_status mp_imap_server_respond(mp_imap_server *s, const mp_imap_resp_event *ev)
{
    mp_status st = check_host(s);
    if (st != MP_OK)
        return st;
    if (ev->type == MP_IMAP_EV_BEGIN) {
        uint64_t legal = R_(OK) | R_(NO) | R_(BAD) | own_responses((mp_imap_cmd_id)s->cmd);
        if (selecting(s))
            legal |= MAILBOX_UPDATES;
        if (s->enabled & EN_REV2)
            legal &= ~R_(RECENT); /* RFC 9051 Appendix E */
        if (ev->str.len > 0 || (unsigned)ev->resp >= 64u ||
            !(legal & ((uint64_t)1 << ev->resp)))
            return MP_ERR_IMAP_SRV_RESPONSE;
        if ((ev->resp == MP_IMAP_RESP_EXPUNGE || ev->resp == MP_IMAP_RESP_VANISHED) &&
            !s->expunge_ok)
            return MP_ERR_IMAP_SRV_EXPUNGE;
    }
    return mp_imap_resp_write(&s->w, ev);
}

mp_status mp_imap_server_literal_data(mp_imap_server *s, const char *p, size_t n, size_t *taken)
{
    mp_status st = check_host(s);
    *taken = 0;
    if (st != MP_OK)
        return st;
    return mp_imap_resp_write_literal_data(&s->w, p, n, taken);
}

mp_status mp_imap_server_complete(mp_imap_server *s, mp_imap_resp_kind kind, const char *code,
                                  const char *text)
{
    mp_imap_cmd_id c = (mp_imap_cmd_id)s->cmd;
    mp_status st = check_host(s);
    if (st != MP_OK)
        return st;
    if (kind != MP_IMAP_RESP_OK && kind != MP_IMAP_RESP_NO && kind != MP_IMAP_RESP_BAD)
        return MP_ERR_ARG;
    if (mp_imap_resp_writer_busy(&s->w))
        return MP_ERR_STATE;
    if ((c == MP_IMAP_CMD_SELECT || c == MP_IMAP_CMD_EXAMINE) && kind != MP_IMAP_RESP_OK)
        mp_imaps_drop_notes(s);
    if (selecting(s) && mp_imaps_flush_notes(s, s->expunge_ok) != MP_OK)
        return MP_ERR_NO_SPACE;
    st = mp_imap_resp_write_status(&s->w, s->tag, kind, code, text);
    if (st != MP_OK)
        return st;
    if (c == MP_IMAP_CMD_SELECT || c == MP_IMAP_CMD_EXAMINE)
        s->state = kind == MP_IMAP_RESP_OK ? MP_IMAP_SS_SELECTED : MP_IMAP_SS_AUTH;
    else if ((c == MP_IMAP_CMD_CLOSE || c == MP_IMAP_CMD_UNSELECT) && kind == MP_IMAP_RESP_OK)
        s->state = MP_IMAP_SS_AUTH;
    if (s->state != MP_IMAP_SS_SELECTED)
        mp_imaps_drop_notes(s);
    s->pending = MP_IMAP_DECIDE_NONE;
    s->completed = 1;
    s->cmd = 0;
    return MP_OK;
}

mp_status mp_imap_server_untagged(mp_imap_server *s, mp_imap_resp_kind kind, const char *code,
                                  const char *text)
{
    mp_status st = check_host(s);
    if (st != MP_OK)
        return st;
    if (kind != MP_IMAP_RESP_OK && kind != MP_IMAP_RESP_NO && kind != MP_IMAP_RESP_BAD)
        return MP_ERR_ARG;
    return mp_imap_resp_write_status(&s->w, NULL, kind, code, text);
}

void mp_imaps_literal_accept(mp_imap_server *s)
{
    s->pending = MP_IMAP_DECIDE_NONE;
    mp_imaps_say(s, NULL, MP_IMAP_RESP_CONTINUE, NULL, "Ready for literal data");
    mp_imap_cmd_parser_accept_literal(&s->parser);
}

mp_status mp_imap_server_literal_accept(mp_imap_server *s)
{
    if (s->pending != MP_IMAP_DECIDE_LITERAL)
        return MP_ERR_STATE;
    mp_imaps_literal_accept(s);
    return MP_OK;
}

mp_status mp_imap_server_literal_refuse(mp_imap_server *s, const char *code, const char *text)
{
    mp_status st;
    if (s->pending != MP_IMAP_DECIDE_LITERAL)
        return MP_ERR_STATE;
    st = mp_imap_resp_write_status(&s->w, s->tag, MP_IMAP_RESP_NO, code,
                                   text ? text : "Literal refused");
    if (st != MP_OK)
        return st;
    s->pending = MP_IMAP_DECIDE_NONE;
    s->refused = RF_HOST_NO;
    mp_imap_cmd_parser_reject_literal(&s->parser, MP_ERR_IMAP_CMD_LITERAL_REJECTED);
    return MP_OK;
}

/* ---- notifications -------------------------------------------------------- */

static int note_expunge_like(const mp_imap_server_note_ *n) { return n->kind == NOTE_EXPUNGE; }

static mp_status write_note(mp_imap_server *s, const mp_imap_server_note_ *n)
{
    mp_outbuf *ob = &s->out;
    size_t m = mp_outbuf_mark(ob);
    if (n->kind == NOTE_EXPUNGE && (s->enabled & EN_QRESYNC)) {
        mp_outbuf_puts(ob, "* VANISHED "); /* RFC 7162 §3.2.10 */
        mp_outbuf_put_u64(ob, n->uid);
    } else {
        mp_outbuf_puts(ob, "* ");
        mp_outbuf_put_u64(ob, n->num);
        if (n->kind == NOTE_EXISTS) {
            mp_outbuf_puts(ob, " EXISTS");
        } else if (n->kind == NOTE_EXPUNGE) {
            mp_outbuf_puts(ob, " EXPUNGE");
        } else {
            mp_outbuf_puts(ob, " FETCH (FLAGS (");
            mp_outbuf_put(ob, s->ntext + n->text, n->tlen);
            mp_outbuf_putc(ob, ')');
            if (n->uid) {
                mp_outbuf_puts(ob, " UID ");
                mp_outbuf_put_u64(ob, n->uid);
            }
            if (n->modseq) {
                mp_outbuf_puts(ob, " MODSEQ (");
                mp_outbuf_put_u64(ob, n->modseq);
                mp_outbuf_putc(ob, ')');
            }
            mp_outbuf_putc(ob, ')');
        }
    }
    mp_outbuf_puts(ob, "\r\n");
    return mp_outbuf_commit(ob, m);
}

/* Remove the first `k` notes, the flag text they held with them. */
static void pop_notes(mp_imap_server *s, unsigned k)
{
    unsigned i;
    uint16_t cut;
    if (k == 0)
        return;
    if (k >= s->nnotes) {
        s->nnotes = 0;
        s->ntext_len = 0;
        return;
    }
    cut = s->ntext_len;
    for (i = k; i < s->nnotes; i++)
        if (s->notes[i].kind == NOTE_FLAGS && s->notes[i].text < cut)
            cut = s->notes[i].text;
    memmove(s->ntext, s->ntext + cut, (size_t)(s->ntext_len - cut));
    s->ntext_len = (uint16_t)(s->ntext_len - cut);
    memmove(s->notes, s->notes + k, (s->nnotes - k) * sizeof(s->notes[0]));
    s->nnotes = (uint8_t)(s->nnotes - k);
    for (i = 0; i < s->nnotes; i++)
        if (s->notes[i].kind == NOTE_FLAGS)
            s->notes[i].text = (uint16_t)(s->notes[i].text - cut);
}

mp_status mp_imaps_flush_notes(mp_imap_server *s, int expunge_ok)
{
    unsigned k = 0;
    mp_status st = MP_OK;
    if (mp_imap_resp_writer_busy(&s->w))
        return MP_OK; /* never inside a host's response: at its end */
    while (k < s->nnotes) {
        if (!expunge_ok && note_expunge_like(&s->notes[k]))
            break; /* RFC 9051 §7.5.1; what follows depends on it */
        st = write_note(s, &s->notes[k]);
        if (st != MP_OK)
            break;
        k++;
    }
    pop_notes(s, k);
    return st;
}

void mp_imaps_drop_notes(mp_imap_server *s)
{
    s->nnotes = 0;
    s->ntext_len = 0;
}

static int can_notify(const mp_imap_server *s)
{
    return selecting(s) || (s->state == MP_IMAP_SS_SELECTED);
}

static mp_status push(mp_imap_server *s, const mp_imap_server_note_ *n)
{
    if (s->nnotes >= MP_IMAP_SERVER_NOTIFY_QUEUE)
        return MP_ERR_IMAP_SRV_NOTIFY_FULL;
    s->notes[s->nnotes++] = *n;
    /* IDLE: at once (RFC 2177), as far as the output has room */
    if (s->idling)
        (void)mp_imaps_flush_notes(s, 1);
    return MP_OK;
}

mp_status mp_imap_server_notify_exists(mp_imap_server *s, uint32_t count)
{
    mp_imap_server_note_ n;
    if (!can_notify(s))
        return MP_ERR_STATE;
    if (s->nnotes > 0 && s->notes[s->nnotes - 1].kind == NOTE_EXISTS) {
        s->notes[s->nnotes - 1].num = count; /* only the latest count matters */
        return MP_OK;
    }
    memset(&n, 0, sizeof(n));
    n.kind = NOTE_EXISTS;
    n.num = count;
    return push(s, &n);
}

mp_status mp_imap_server_notify_expunge(mp_imap_server *s, uint32_t msgno, uint32_t uid)
{
    mp_imap_server_note_ n;
    if (!can_notify(s))
        return MP_ERR_STATE;
    if (msgno == 0 || ((s->enabled & EN_QRESYNC) && uid == 0))
        return MP_ERR_BAD_VALUE;
    memset(&n, 0, sizeof(n));
    n.kind = NOTE_EXPUNGE;
    n.num = msgno;
    n.uid = uid;
    return push(s, &n);
}

/* flag *(SP flag): "\" atom or a keyword atom (RFC 9051 §9 flag-fetch). */
static int flags_ok(const char *f, size_t n)
{
    size_t i, start = 0;
    for (i = 0; i <= n; i++) {
        unsigned char c = i < n ? (unsigned char)f[i] : ' ';
        if (c == ' ') {
            if (i == start || (i - start == 1 && f[start] == '\\'))
                return 0;
            start = i + 1;
            continue;
        }
        if (c <= 0x20 || c >= 0x7f || c == '(' || c == ')' || c == '{' || c == '"' ||
            c == '%' || c == '*' || c == ']' || (c == '\\' && i != start))
            return 0;
    }
    return 1;
}

mp_status mp_imap_server_notify_flags(mp_imap_server *s, uint32_t msgno, uint32_t uid,
                                      uint64_t modseq, const char *flags)
{
    mp_imap_server_note_ n;
    size_t len = flags ? strlen(flags) : 0;
    mp_status st;
    if (!can_notify(s))
        return MP_ERR_STATE;
    if (msgno == 0 || len > 255u || (len > 0 && !flags_ok(flags, len)))
        return MP_ERR_BAD_VALUE;
    if (s->ntext_len + len > MP_IMAP_SERVER_NOTIFY_TEXT)
        return MP_ERR_IMAP_SRV_NOTIFY_FULL;
    memset(&n, 0, sizeof(n));
    n.kind = NOTE_FLAGS;
    n.num = msgno;
    n.uid = uid;
    n.modseq = modseq;
    n.text = s->ntext_len;
    n.tlen = (uint8_t)len;
    if (s->nnotes >= MP_IMAP_SERVER_NOTIFY_QUEUE)
        return MP_ERR_IMAP_SRV_NOTIFY_FULL;
    memcpy(s->ntext + s->ntext_len, flags, len);
    s->ntext_len = (uint16_t)(s->ntext_len + len);
    st = push(s, &n);
    return st;
}

mp_status mp_imap_server_shutdown(mp_imap_server *s, const char *text)
{
    mp_status st;
    if (mp_imap_resp_writer_busy(&s->w))
        return MP_ERR_STATE; /* after the open response's END */
    st = mp_imap_resp_write_status(&s->w, NULL, MP_IMAP_RESP_BYE, NULL,
                                   text ? text : "Server shutting down");
    if (st != MP_OK)
        return st;
    s->state = MP_IMAP_SS_LOGOUT;
    s->pending = MP_IMAP_DECIDE_NONE;
    s->idling = 0;
    return MP_OK;
}
