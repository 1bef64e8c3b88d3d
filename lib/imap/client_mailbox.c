/* IMAP client session: the selected mailbox (RFC 9051 §7.3, §7.4, §7.5,
 * RFC 7162 CONDSTORE/QRESYNC).  Counts, codes and flags come from the
 * responses; message numbers are renumbered at each EXPUNGE and VANISHED,
 * in the optional message-number -> UID map too.  A server that makes the
 * state impossible (EXISTS going down, a number beyond EXISTS, a UID that
 * changes) ends the session with MP_ERR_IMAP_MAILBOX. */
#include <string.h>

#include "client_internal.h"

static int is_select(unsigned id)
{
    return id == MP_IMAP_CMD_SELECT || id == MP_IMAP_CMD_EXAMINE;
}

static void mbox_fail(mp_imap_client *c, const char *rule)
{
    (void)mp_imapc_fail(c, MP_ERR_IMAP_MAILBOX, c->line_at, rule);
}

void mp_imapc_mbox_reset(mp_imap_client *c)
{
    memset(&c->mbox, 0, sizeof(c->mbox));
    c->map_n = 0;
    c->map_unknown = 0;
    c->map_ok = c->cfg->uid_map != NULL;
    c->select_tag = 0;
}

/* The responses of the SELECT in line_tag begin to describe its mailbox
 * (RFC 9051 §6.3.2; RFC 7162 §3.2.11 [CLOSED] separates the two). */
static void start_new(mp_imap_client *c)
{
    mp_imap_client_cmd_ *q;
    if (!is_select(c->line_id) || c->select_tag == c->line_tag)
        return;
    q = mp_imapc_find(c, c->line_tag);
    mp_imapc_mbox_reset(c);
    c->mbox.state = MP_IMAP_MBOX_SELECTING;
    c->mbox.read_only = (uint8_t)(q != NULL && (q->flags & QF_EXAMINE));
    c->select_tag = c->line_tag;
}

/* ---- the message-number -> UID map ---------------------------------- */

static void map_exists(mp_imap_client *c, uint32_t n)
{
    uint32_t *m = c->cfg->uid_map;
    if (!c->map_ok)
        return;
    if (n > c->cfg->uid_cap) {
        c->map_ok = 0; /* larger than the host's map: off until SELECT */
        return;
    }
    if (n > c->map_n) {
        memset(m + c->map_n, 0, (size_t)(n - c->map_n) * sizeof(*m));
        c->map_unknown += n - c->map_n;
    } else {
        /* a new mailbox read while selecting: the map restarts */
        memset(m, 0, (size_t)n * sizeof(*m));
        c->map_unknown = n;
    }
    c->map_n = n;
}

static uint32_t map_expunge(mp_imap_client *c, uint32_t msgno)
{
    uint32_t *m = c->cfg->uid_map, uid;
    if (!c->map_ok || msgno > c->map_n)
        return 0;
    uid = m[msgno - 1];
    if (uid == 0)
        c->map_unknown--;
    memmove(m + msgno - 1, m + msgno, (size_t)(c->map_n - msgno) * sizeof(*m));
    c->map_n--;
    return uid;
}

/* RFC 9051 §2.3.1.1: a message's UID never changes and UIDs ascend with
 * message numbers.  0: the map took it (or has none); -1: impossible. */
static int map_set(mp_imap_client *c, uint32_t msgno, uint32_t uid)
{
    uint32_t *m = c->cfg->uid_map;
    uint32_t i = msgno - 1;
    if (!c->map_ok || msgno > c->map_n)
        return 0;
    if (m[i] == uid)
        return 0;
    if (m[i] != 0 || (i > 0 && m[i - 1] != 0 && m[i - 1] >= uid) ||
        (i + 1 < c->map_n && m[i + 1] != 0 && m[i + 1] <= uid))
        return -1;
    m[i] = uid;
    c->map_unknown--;
    return 0;
}

/* UIDs lo..hi left: with every UID known they are found by bisection
 * and removed; otherwise the map cannot tell which numbers they had. */
static void map_vanished(mp_imap_client *c, uint32_t lo, uint32_t hi, uint64_t count)
{
    uint32_t *m = c->cfg->uid_map;
    uint32_t a = 0, b = c->map_n, k;
    if (!c->map_ok)
        return;
    if (c->map_unknown > 0) {
        c->map_ok = 0;
        return;
    }
    while (a < b) {
        uint32_t mid = a + (b - a) / 2u;
        if (m[mid] < lo)
            a = mid + 1u;
        else
            b = mid;
    }
    for (k = a; k < c->map_n && m[k] <= hi; k++)
        ;
    if ((uint64_t)(k - a) != count) {
        c->map_ok = 0; /* UIDs the map never held: it is no longer exact */
        return;
    }
    memmove(m + a, m + k, (size_t)(c->map_n - k) * sizeof(*m));
    c->map_n -= k - a;
}

uint32_t mp_imap_client_uid(const mp_imap_client *c, uint32_t msgno)
{
    if (!c->map_ok || msgno == 0 || msgno > c->map_n)
        return 0;
    return c->cfg->uid_map[msgno - 1];
}

/* ---- responses ----------------------------------------------------- */

void mp_imapc_mbox_begin(mp_imap_client *c, const mp_imap_resp_event *ev)
{
    uint64_t n = ev->num;
    mp_imap_resp_kind k = ev->resp;
    c->fetch_msgno = 0;
    c->fetch_uid = 0;
    c->fetch_flags = 0;
    c->fetch_has = 0;
    c->fetch_modseq = 0;
    c->vanished_earlier = 0;
    if (k == MP_IMAP_RESP_FLAGS || k == MP_IMAP_RESP_EXISTS || k == MP_IMAP_RESP_RECENT)
        start_new(c);
    if (k != MP_IMAP_RESP_EXISTS && k != MP_IMAP_RESP_EXPUNGE && k != MP_IMAP_RESP_FETCH &&
        k != MP_IMAP_RESP_VANISHED && k != MP_IMAP_RESP_RECENT)
        return;
    if (c->mbox.state == MP_IMAP_MBOX_NONE) {
        mbox_fail(c, MP_RULE_("RFC 9051 7.4 message data without a mailbox"));
        return;
    }
    if (n > UINT32_MAX) {
        mbox_fail(c, MP_RULE_("RFC 9051 9 nz-number"));
        return;
    }
    c->fetch_msgno = (uint32_t)n;
    switch (k) {
    case MP_IMAP_RESP_EXISTS:
        /* RFC 9051 §7.4.1: only EXPUNGE/VANISHED lower the count; while a
         * SELECT is answered the count is the new mailbox's. */
        if (c->mbox.state == MP_IMAP_MBOX_SELECTED && n < c->mbox.exists)
            mbox_fail(c, MP_RULE_("RFC 9051 7.4.1 EXISTS going down"));
        break;
    case MP_IMAP_RESP_EXPUNGE:
    case MP_IMAP_RESP_FETCH:
        if (n == 0 || n > c->mbox.exists)
            mbox_fail(c, MP_RULE_(k == MP_IMAP_RESP_FETCH ? "RFC 9051 7.5.2 FETCH beyond EXISTS"
                                                                : "RFC 9051 7.5.1 EXPUNGE beyond EXISTS"));
        break;
    default:
        break;
    }
}

void mp_imapc_mbox_code(mp_imap_client *c)
{
    switch ((mp_imap_code)c->line_code) {
    case MP_IMAP_CODE_CLOSED:
        /* RFC 7162 §3.2.11: what came before [CLOSED] was the old
         * mailbox's, even if it looked like the new one's */
        if (!c->line_tagged && is_select(c->line_id))
            c->select_tag = 0;
        start_new(c);
        break;
    case MP_IMAP_CODE_UIDVALIDITY:
    case MP_IMAP_CODE_UIDNEXT:
    case MP_IMAP_CODE_PERMANENTFLAGS:
    case MP_IMAP_CODE_UNSEEN:
    case MP_IMAP_CODE_HIGHESTMODSEQ:
    case MP_IMAP_CODE_NOMODSEQ:
        if (!c->line_tagged)
            start_new(c);
        break;
    default:
        break;
    }
}

void mp_imapc_mbox_event(mp_imap_client *c, const mp_imap_resp_event *ev)
{
    int fetch = c->line_kind == MP_IMAP_RESP_FETCH;
    if (ev->type == MP_IMAP_EV_LIST_BEGIN) {
        if (fetch && ev->field == MP_IMAP_F_FLAGS)
            c->fetch_has |= MP_IMAP_FETCH_HAS_FLAGS;
        return;
    }
    if (ev->type != MP_IMAP_EV_VALUE)
        return;
    switch (ev->field) {
    case MP_IMAP_F_FLAG:
        if (fetch)
            c->fetch_flags |= mp_imap_flag_bit(ev->str);
        else
            c->line_flags |= mp_imap_flag_bit(ev->str);
        break;
    case MP_IMAP_F_UID:
        if (!fetch)
            break;
        if (ev->num == 0 || ev->num > UINT32_MAX) {
            (void)mp_imapc_fail(c, MP_ERR_IMAP_RESPONSE, ev->offset,
                                MP_RULE_("RFC 9051 9 uniqueid"));
            break;
        }
        c->fetch_uid = (uint32_t)ev->num;
        c->fetch_has |= MP_IMAP_FETCH_HAS_UID;
        break;
    case MP_IMAP_F_MODSEQ:
        if (fetch) {
            c->fetch_modseq = ev->num;
            c->fetch_has |= MP_IMAP_FETCH_HAS_MODSEQ;
        }
        break;
    case MP_IMAP_F_CODE_NUMBER:
        c->line_num = ev->num;
        break;
    case MP_IMAP_F_EARLIER:
        c->vanished_earlier = 1;
        break;
    default:
        break;
    }
}

/* One element of a sequence set: number [":" number] (RFC 9051 §9
 * seq-range; no "*" in a VANISHED set).  Returns the bytes read, 0 on a
 * malformed element. */
static size_t uid_range(const char *p, size_t n, uint32_t *lo, uint32_t *hi)
{
    size_t i = 0;
    uint64_t v[2] = { 0, 0 };
    int k;
    for (k = 0; k < 2; k++) {
        size_t start = i;
        while (i < n && p[i] >= '0' && p[i] <= '9') {
            v[k] = v[k] * 10u + (uint64_t)(p[i] - '0');
            if (v[k] > UINT32_MAX)
                return 0;
            i++;
        }
        if (i == start || v[k] == 0)
            return 0;
        if (k == 0) {
            if (i == n || p[i] != ':') {
                v[1] = v[0];
                break;
            }
            i++;
        }
    }
    *lo = (uint32_t)(v[0] < v[1] ? v[0] : v[1]);
    *hi = (uint32_t)(v[0] < v[1] ? v[1] : v[0]);
    return i;
}

void mp_imapc_mbox_vanished(mp_imap_client *c, mp_slice set)
{
    size_t at = 0;
    /* one range per element; at least one character each, so bounded by
     * the line */
    while (at < set.len && c->state != MP_IMAP_ST_FAILED && !c->aborted) {
        mp_imap_client_event ev;
        uint32_t lo, hi;
        uint64_t count;
        size_t u = uid_range(set.ptr + at, set.len - at, &lo, &hi);
        if (u == 0) {
            mbox_fail(c, MP_RULE_("RFC 7162 7 known-uids"));
            return;
        }
        at += u;
        if (at < set.len && set.ptr[at++] != ',') {
            mbox_fail(c, MP_RULE_("RFC 7162 7 known-uids"));
            return;
        }
        count = (uint64_t)hi - lo + 1u;
        if (!c->vanished_earlier) {
            /* RFC 7162 §3.2.10: without EARLIER the UIDs were in the
             * mailbox; the count goes down by their number. */
            if (count > c->mbox.exists) {
                mbox_fail(c, MP_RULE_("RFC 7162 3.2.10 more UIDs vanished than exist"));
                return;
            }
            c->mbox.exists -= (uint32_t)count;
            map_vanished(c, lo, hi, count);
        }
        mp_imapc_event(c, &ev, MP_IMAP_CLIENT_EV_VANISHED);
        ev.uid = lo;
        ev.uid_hi = hi;
        ev.earlier = c->vanished_earlier;
        mp_imapc_emit(c, &ev);
    }
}

/* A response code that describes the mailbox (untagged OK, or the tagged
 * OK of SELECT/EXAMINE). */
static void apply_code(mp_imap_client *c)
{
    mp_imap_mailbox *m = &c->mbox;
    uint32_t v = c->line_num > UINT32_MAX ? 0u : (uint32_t)c->line_num;
    if (m->state == MP_IMAP_MBOX_NONE)
        return;
    switch ((mp_imap_code)c->line_code) {
    case MP_IMAP_CODE_UIDVALIDITY: m->uidvalidity = v; break;
    case MP_IMAP_CODE_UIDNEXT: m->uidnext = v; break;
    case MP_IMAP_CODE_UNSEEN: m->unseen = v; break;
    case MP_IMAP_CODE_HIGHESTMODSEQ: m->highestmodseq = c->line_num; break;
    case MP_IMAP_CODE_NOMODSEQ: m->nomodseq = 1; break;
    case MP_IMAP_CODE_READ_ONLY: m->read_only = 1; break;
    case MP_IMAP_CODE_READ_WRITE: m->read_only = 0; break;
    case MP_IMAP_CODE_PERMANENTFLAGS:
        m->permanentflags = c->line_flags;
        m->has_permanentflags = 1;
        break;
    default: break;
    }
}

void mp_imapc_mbox_end(mp_imap_client *c)
{
    mp_imap_mailbox *m = &c->mbox;
    mp_imap_client_event ev;
    uint32_t n = c->fetch_msgno;
    switch ((mp_imap_resp_kind)c->line_kind) {
    case MP_IMAP_RESP_EXISTS:
        m->exists = n;
        map_exists(c, n);
        mp_imapc_event(c, &ev, MP_IMAP_CLIENT_EV_EXISTS);
        ev.msgno = n;
        mp_imapc_emit(c, &ev);
        break;
    case MP_IMAP_RESP_RECENT:
        m->recent = n;
        break;
    case MP_IMAP_RESP_EXPUNGE:
        /* RFC 9051 §7.5.1: every later message moves down by one */
        m->exists--;
        mp_imapc_event(c, &ev, MP_IMAP_CLIENT_EV_EXPUNGE);
        ev.msgno = n;
        ev.uid = map_expunge(c, n);
        mp_imapc_emit(c, &ev);
        break;
    case MP_IMAP_RESP_FETCH:
        mp_imapc_event(c, &ev, MP_IMAP_CLIENT_EV_FETCH);
        ev.msgno = n;
        ev.has = c->fetch_has;
        if (c->fetch_has & MP_IMAP_FETCH_HAS_UID) {
            if (map_set(c, n, c->fetch_uid) != 0) {
                mbox_fail(c, MP_RULE_("RFC 9051 2.3.1.1 UIDs ascend and never change"));
                return;
            }
            ev.uid = c->fetch_uid;
        } else {
            ev.uid = mp_imap_client_uid(c, n);
            if (ev.uid != 0)
                ev.has |= MP_IMAP_FETCH_HAS_UID;
        }
        ev.flags = c->fetch_flags;
        ev.modseq = c->fetch_modseq;
        mp_imapc_emit(c, &ev);
        break;
    case MP_IMAP_RESP_FLAGS:
        if (m->state != MP_IMAP_MBOX_NONE)
            m->flags = c->line_flags;
        break;
    case MP_IMAP_RESP_OK:
    case MP_IMAP_RESP_NO:
    case MP_IMAP_RESP_BAD:
        apply_code(c);
        break;
    default:
        break;
    }
}

void mp_imapc_mbox_done(mp_imap_client *c, const mp_imap_client_cmd_ *q, mp_imap_resp_kind status)
{
    if (!is_select(q->id)) {
        /* CLOSE / UNSELECT (RFC 9051 §6.4.1, §6.4.2) */
        if (status == MP_IMAP_RESP_OK)
            mp_imapc_mbox_reset(c);
        return;
    }
    if (status == MP_IMAP_RESP_OK) {
        if (c->select_tag != q->tag) {
            c->line_id = q->id; /* an OK without untagged data */
            start_new(c);
        }
        apply_code(c); /* [READ-WRITE] / [READ-ONLY] */
        c->mbox.state = MP_IMAP_MBOX_SELECTED;
        c->select_tag = 0;
        return;
    }
    /* RFC 9051 §6.3.2: a failed SELECT leaves no mailbox selected; BAD
     * (a command not understood) changes nothing unless it had begun. */
    if (status == MP_IMAP_RESP_NO || c->select_tag == q->tag)
        mp_imapc_mbox_reset(c);
}
