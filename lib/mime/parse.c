/* The streaming message-structure parser (mime.h): an explicit state
 * machine over header lines and body lines, an explicit stack of open
 * parts, no recursion.  Structure rules (RFC 2046 §5.1.1 as real servers
 * apply it, Dovecot's message-parser being the reference):
 *  - a boundary line is a line starting with "--" and one of the open
 *    multiparts' boundaries; only the prefix has to match (trailing junk is
 *    allowed), the innermost and then the longest boundary wins, "--" right
 *    after it closes that multipart; boundaries are looked for in headers
 *    too (a part header cut by a boundary ends there);
 *  - the newline before a boundary line belongs to the boundary (a header's
 *    blank line's too: the part is then a header without one), unless the
 *    line before was another boundary line or the boundary opens the body
 *    of its own multipart;
 *  - a boundary line closes every part opened inside its multipart (a
 *    nested multipart that never closed, a message/rfc822 part);
 *  - Content-* fields count in a part of a multipart, and in a message
 *    (the top level, or inside message/rfc822) with MIME-Version or
 *    Content-Type; the first of each wins; ENVELOPE strings: the last wins,
 *    address fields given twice are joined (as Dovecot does, so a second
 *    From cannot hide behind the first).
 * Whether a line start is a boundary needs at most MP_MIME_LOOK_ bytes of
 * the line: when a feed ends before them, they wait in `look` and the line
 * is replayed from there, so any split gives the same result. */
#include <string.h>

#include "mime_int.h"

enum {
    S_HDR_BOL = 0, /* start of a header line */
    S_HDR_CR,      /* a CR at the start of a header line */
    S_HDR_NAME,    /* a field name, up to ":" */
    S_HDR_VAL,     /* a kept field's value, up to LF */
    S_HDR_SKIP,    /* any other header line, up to LF */
    S_BODY_BOL,    /* start of a body line */
    S_BODY,        /* a body line, up to LF */
    S_BLINE,       /* the rest of a boundary line */
    S_LOOK         /* a line start that may be a boundary: bytes in look */
};

/* The header fields kept.  F_DATE .. F_MSGID are in envelope order. */
enum {
    F_NONE = 0, F_CTYPE, F_CTE, F_CID, F_CDESC, F_CDISP, F_CLANG, F_CLOC, F_CMD5, F_MIMEVER,
    F_DATE, F_SUBJECT, F_FROM, F_SENDER, F_REPLYTO, F_TO, F_CC, F_BCC, F_IRT, F_MSGID
};

static const struct {
    const char *name;
    uint8_t len, id;
} fields[] = {
    { "bcc", 3, F_BCC }, { "cc", 2, F_CC },
    { "content-description", 19, F_CDESC }, { "content-disposition", 19, F_CDISP },
    { "content-id", 10, F_CID }, { "content-language", 16, F_CLANG },
    { "content-location", 16, F_CLOC }, { "content-md5", 11, F_CMD5 },
    { "content-transfer-encoding", 25, F_CTE }, { "content-type", 12, F_CTYPE },
    { "date", 4, F_DATE }, { "from", 4, F_FROM }, { "in-reply-to", 11, F_IRT },
    { "message-id", 10, F_MSGID }, { "mime-version", 12, F_MIMEVER },
    { "reply-to", 8, F_REPLYTO }, { "sender", 6, F_SENDER }, { "subject", 7, F_SUBJECT },
    { "to", 2, F_TO },
};

#define NOT_YET UINT32_MAX /* raw_first before the first line ended */
#define BIT(f) (1u << (f))
#define ENV_SIZE ((uint32_t)sizeof(mp_mime_envelope))
#define MAX_BOUNDARY 80u /* longer boundaries are compared on 80 bytes */

static void limit(mp_mime_parser *p, mp_status code, uint64_t at)
{
    if (p->err.code == MP_OK)
        mp_error_set(&p->err, code, at, code == MP_ERR_MIME_DEPTH    ? "MP_MIME_MAX_DEPTH"
                                        : code == MP_ERR_MIME_PARTS  ? "MP_MIME_MAX_PARTS"
                                        : code == MP_ERR_MIME_PARAMS ? "MP_MIME_MAX_SEGMENTS"
                                                                     : "value buffer");
}

static mp_mime_frame_ *top(mp_mime_parser *p) { return &p->stack[p->sp - 1]; }
static mp_mime_part *top_part(mp_mime_parser *p) { return &p->parts[top(p)->part]; }

/* Boundary lines are looked for while a multipart is open. */
static int bcheck(const mp_mime_parser *p) { return p->nactive > 0; }

/* An LF at in[j]: counted, and remembered as the newline a boundary line
 * right after it would take. */
static void newline(mp_mime_parser *p, const char *in, size_t j)
{
    unsigned char b = j ? (unsigned char)in[j - 1] : p->prev;
    p->nlf++;
    if (b == '\r') {
        p->steal = 2;
        p->steal_bare = 0;
    } else {
        p->nbare++;
        p->steal = 1;
        p->steal_bare = 1;
    }
}

/* ---- envelope refs in the value buffer ------------------------------------ */

static mp_mime_ref env_get(const mp_mime_parser *p, const mp_mime_part *pt, unsigned k)
{
    mp_mime_ref r;
    memcpy(&r, p->vb + pt->envelope.off + k * sizeof(r), sizeof(r));
    return r;
}

static void env_set(mp_mime_parser *p, const mp_mime_part *pt, unsigned k, mp_mime_ref r)
{
    memcpy(p->vb + pt->envelope.off + k * sizeof(r), &r, sizeof(r));
}

/* ---- parts ---------------------------------------------------------------- */

/* A part whose header starts at `at` (`bare`: bare LFs before it), as a child of the top frame (or the message itself). */
static void new_part(mp_mime_parser *p, uint64_t at, uint64_t bare)
{
    static const mp_mime_ref nil = { MP_MIME_NIL, 0 };
    uint32_t i = p->n++;
    mp_mime_part *pt = &p->parts[i];
    mp_mime_frame_ *fr;
    memset(pt, 0, sizeof(*pt));
    pt->hdr_start = pt->body_start = pt->end = at;
    pt->hdr_size = bare; /* until the header ends: bare LFs before it */
    pt->parent = pt->next = MP_MIME_NONE;
    pt->kind = MP_MIME_TEXT;
    pt->ctype = pt->encoding = pt->id = pt->description = pt->md5 = nil;
    pt->disposition = pt->language = pt->location = pt->envelope = nil;
    if (p->sp > 0) {
        mp_mime_frame_ *up = top(p);
        mp_mime_part *par = &p->parts[up->part];
        pt->parent = up->part;
        pt->depth = (uint16_t)p->sp;
        if (up->last_child != MP_MIME_NONE)
            p->parts[up->last_child].next = i;
        up->last_child = i;
        par->nchildren++;
        if (par->kind == MP_MIME_MULTIPART)
            pt->flags = MP_MIME_PF_MIME; /* RFC 2045 §4: MIME inside MIME */
        else
            pt->flags = MP_MIME_PF_MESSAGE;
    } else {
        pt->flags = MP_MIME_PF_MESSAGE;
    }
    if (pt->flags & MP_MIME_PF_MESSAGE) {
        unsigned k;
        if (p->vcap - p->vlen >= ENV_SIZE) {
            pt->envelope.off = p->vlen;
            pt->envelope.len = ENV_SIZE;
            p->vlen += ENV_SIZE;
            for (k = 0; k < 10; k++)
                env_set(p, pt, k, nil);
        } else {
            limit(p, MP_ERR_MIME_VALUES, at);
        }
    }
    fr = &p->stack[p->sp++];
    fr->part = i;
    fr->last_child = MP_MIME_NONE;
    fr->boff = 0;
    fr->blen = 0;
    fr->bactive = 0;
    p->seen = 0;
    p->inhdr = 1;
    p->field = F_NONE;
    p->state = S_HDR_BOL;
}

/* ---- header fields --------------------------------------------------------- */

/* Append captured bytes (NUL becomes U+FFFD: IMAP strings cannot hold
 * it); a value that does not fit is dropped. */
static void cap_put(mp_mime_parser *p, const char *s, size_t k)
{
    while (k > 0 && p->field != F_NONE) {
        const char *z = memchr(s, 0, k);
        size_t m = z ? (size_t)(z - s) : k;
        size_t need = m + (z ? 3u : 0u);
        if (need > p->vcap - p->vlen) {
            limit(p, MP_ERR_MIME_VALUES, p->field_at);
            p->vlen = p->raw_off;
            p->field = F_NONE;
            return;
        }
        memcpy(p->vb + p->vlen, s, m);
        p->vlen += (uint32_t)m;
        if (z) {
            memcpy(p->vb + p->vlen, "\xef\xbf\xbd", 3);
            p->vlen += 3;
            m++;
        }
        s += m;
        k -= m;
    }
}

/* A piece of a kept field's line; `eol`: an LF follows it (the CR before
 * that LF is not value). */
static void cap_seg(mp_mime_parser *p, const char *s, size_t k, int eol)
{
    if (p->field == F_NONE)
        return;
    if (p->cr_held) {
        p->cr_held = 0;
        if (!(eol && k == 0))
            cap_put(p, "\r", 1);
    }
    if (k > 0 && s[k - 1] == '\r') {
        k--;
        if (!eol)
            p->cr_held = 1;
    }
    cap_put(p, s, k);
}

/* The field name is complete: keep its value or skip it. */
static void name_done(mp_mime_parser *p)
{
    mp_mime_part *pt = top_part(p);
    unsigned id = F_NONE, k;
    for (k = 0; k < sizeof(fields) / sizeof(fields[0]); k++)
        if (fields[k].len == p->namelen && memcmp(fields[k].name, p->name, p->namelen) == 0) {
            id = fields[k].id;
            break;
        }
    if (id >= F_DATE && (!(pt->flags & MP_MIME_PF_MESSAGE) || pt->envelope.off == MP_MIME_NIL))
        id = F_NONE; /* ENVELOPE fields belong to messages */
    if (id != F_NONE && id < F_DATE) {
        if (p->seen & BIT(id))
            id = F_NONE; /* Content-*: the first wins */
        else
            p->seen |= BIT(id);
    }
    if (id == F_MIMEVER)
        id = F_NONE;
    p->field = (uint8_t)id;
    p->cr_held = 0;
    if (id == F_NONE) {
        p->state = S_HDR_SKIP;
        return;
    }
    p->raw_off = p->vlen;
    p->raw_first = NOT_YET;
    p->state = S_HDR_VAL;
}

/* Join the address list at [at, at + n) (the end of the used bytes) to
 * the one already kept (a second To: field): 0 when it does not fit. */
static int join(mp_mime_parser *p, mp_mime_ref *old, uint32_t at, uint32_t n)
{
    if (old->off == MP_MIME_NIL) {
        old->off = at;
        old->len = n;
    } else if (old->off + old->len == at) {
        old->len += n;
    } else if (old->len > p->vcap - at - n) {
        limit(p, MP_ERR_MIME_VALUES, p->field_at);
        return 0;
    } else {
        /* the old list is copied in front of the new one (a hole stays) */
        memmove(p->vb + at + old->len, p->vb + at, n);
        memcpy(p->vb + at, p->vb + old->off, old->len);
        old->off = at;
        old->len += n;
    }
    p->vlen = old->off + old->len;
    return 1;
}

/* The value is complete: parse it into its kept form, in place. */
static void finish_field(mp_mime_parser *p)
{
    mp_mime_part *pt;
    mp_mime_buf_ o, t;
    const char *v;
    uint32_t raw, drop = 0, k;
    mp_mime_ref r;
    unsigned id = p->field;
    int ok = 1;
    if (id == F_NONE)
        return;
    p->field = F_NONE;
    pt = top_part(p);
    if (p->cr_held) {
        p->cr_held = 0;
        p->field = (uint8_t)id;
        cap_put(p, "\r", 1);
        if (p->field == F_NONE)
            return;
        p->field = F_NONE;
    }
    raw = p->vlen - p->raw_off;
    if (p->raw_first == NOT_YET)
        p->raw_first = raw;
    v = p->vb + p->raw_off;
    /* white space after the colon is not value; a first line of nothing
     * but white space loses one byte (Dovecot's SKIP_INITIAL_LWSP) */
    while (drop < p->raw_first && MP_MIME_IS_LWSP(v[drop]))
        drop++;
    if (drop == p->raw_first)
        drop = p->raw_first > 0 ? 1u : 0u;
    /* scratch for one address after the value, output after that */
    t.b = p->vb + p->vlen;
    t.len = 0;
    t.cap = id >= F_FROM && id <= F_BCC ? raw + 16u : 0u;
    if (t.cap > p->vcap - p->vlen)
        t.cap = p->vcap - p->vlen; /* (then the list does not fit: dropped) */
    t.over = 0;
    t.cut = 0;
    o.cut = 0;
    o.b = p->vb;
    o.len = (size_t)p->vlen + t.cap;
    o.cap = p->vcap;
    o.over = 0;
    if (o.len > o.cap) {
        o.len = o.cap;
        o.over = 1;
    }
    k = (uint32_t)o.len;
    v += drop;
    raw -= drop;
    switch (id) {
    case F_CTYPE: ok = mp_mime_f_ctype_(v, raw, &o); break;
    case F_CDISP: ok = mp_mime_f_disposition_(v, raw, &o); break;
    case F_CLANG: ok = mp_mime_f_language_(v, raw, &o); break;
    case F_CTE: ok = mp_mime_f_cte_(v, raw, &o); break;
    case F_SUBJECT: mp_mime_f_human_(v, raw, &o); break;
    case F_FROM: case F_SENDER: case F_REPLYTO: case F_TO: case F_CC: case F_BCC:
        mp_mime_f_addresses_(v, raw, &o, &t);
        ok = o.len > k && !t.over;
        break;
    default: mp_mime_f_text_(v, raw, &o); break;
    }
    if (o.over || (t.over && id >= F_FROM && id <= F_BCC)) {
        limit(p, MP_ERR_MIME_VALUES, p->field_at);
        ok = 0;
    }
    if (o.cut)
        limit(p, MP_ERR_MIME_PARAMS, p->field_at);
    r.off = p->raw_off;
    r.len = (uint32_t)(o.len - k);
    if (!ok) {
        p->vlen = p->raw_off;
        return;
    }
    memmove(p->vb + r.off, p->vb + k, r.len);
    p->vlen = r.off + r.len;
    switch (id) {
    case F_CTYPE: pt->ctype = r; break;
    case F_CTE: pt->encoding = r; break;
    case F_CID: pt->id = r; break;
    case F_CDESC: pt->description = r; break;
    case F_CDISP: pt->disposition = r; break;
    case F_CLANG: pt->language = r; break;
    case F_CLOC: pt->location = r; break;
    case F_CMD5: pt->md5 = r; break;
    case F_FROM: case F_SENDER: case F_REPLYTO: case F_TO: case F_CC: case F_BCC: {
        mp_mime_ref old = env_get(p, pt, id - F_DATE);
        if (join(p, &old, r.off, r.len))
            env_set(p, pt, id - F_DATE, old);
        else
            p->vlen = r.off;
        break;
    }
    default: env_set(p, pt, id - F_DATE, r); break; /* the last wins */
    }
}

/* ---- the end of a header ----------------------------------------------------- */

static int eq_ci(mp_slice s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && mp_slice_eq_ci(s, lit, n);
}

static void truncate_part(mp_mime_parser *p, mp_mime_part *pt, mp_status why, uint64_t at)
{
    pt->kind = MP_MIME_OTHER;
    pt->flags |= MP_MIME_PF_TRUNCATED;
    limit(p, why, at);
}

/* What the part is, now that its header is known; its body starts at
 * `at` (`bare`: bare LFs before it).  A message/rfc822 part opens its
 * message. */
static void decide(mp_mime_parser *p, uint64_t at, uint64_t bare)
{
    static const mp_mime_ref nil = { MP_MIME_NIL, 0 };
    mp_mime_frame_ *fr = top(p);
    mp_mime_part *pt = &p->parts[fr->part];
    mp_mime_msg m;
    mp_mime_iter it;
    mp_slice type, sub, b;
    m.parts = p->parts;
    m.nparts = p->n;
    m.values = p->vb;
    m.values_len = p->vlen;
    if ((pt->flags & MP_MIME_PF_MESSAGE) && (p->seen & (BIT(F_MIMEVER) | BIT(F_CTYPE))))
        pt->flags |= MP_MIME_PF_MIME;
    if (!(pt->flags & MP_MIME_PF_MIME)) {
        pt->ctype = pt->encoding = pt->id = pt->description = pt->md5 = nil;
        pt->disposition = pt->language = pt->location = nil;
    }
    p->state = S_BODY_BOL;
    mp_mime_iter_init(&it, &m, pt->ctype);
    if (mp_mime_iter_next(&it, &type) && mp_mime_iter_next(&it, &sub)) {
        if (eq_ci(type, "multipart"))
            pt->kind = MP_MIME_MULTIPART;
        else if (eq_ci(type, "message") && (eq_ci(sub, "rfc822") || eq_ci(sub, "global")))
            pt->kind = MP_MIME_MESSAGE;
        else if (eq_ci(type, "text"))
            pt->kind = MP_MIME_TEXT;
        else
            pt->kind = MP_MIME_OTHER;
    } else if (pt->parent != MP_MIME_NONE && !(pt->flags & MP_MIME_PF_MESSAGE) &&
               (p->parts[pt->parent].flags & MP_MIME_PF_DIGEST)) {
        pt->kind = MP_MIME_MESSAGE; /* RFC 2046 §5.1.5 */
    } else {
        pt->kind = MP_MIME_TEXT;
    }
    if (pt->kind == MP_MIME_MULTIPART) {
        if (eq_ci(sub, "digest"))
            pt->flags |= MP_MIME_PF_DIGEST;
        /* boundary="" (RFC 2046 wants 1..70 bytes): every "--" line
         * delimits, as in Dovecot, which gives the parts that were meant */
        if (mp_mime_param(it, "boundary", &b) && b.ptr != NULL) {
            if (pt->depth >= p->max_depth) {
                truncate_part(p, pt, MP_ERR_MIME_DEPTH, at);
            } else {
                fr->boff = (uint32_t)(b.ptr - p->vb);
                fr->blen = (uint8_t)(b.len > MAX_BOUNDARY ? MAX_BOUNDARY : b.len);
                fr->bactive = 1;
                p->nactive++;
            }
        }
    } else if (pt->kind == MP_MIME_MESSAGE) {
        if (pt->depth >= p->max_depth)
            truncate_part(p, pt, MP_ERR_MIME_DEPTH, at);
        else if (p->n >= p->cap)
            truncate_part(p, pt, MP_ERR_MIME_PARTS, at);
        else
            new_part(p, at, bare);
    }
}

/* The top part's header ends at `at` (counters there). */
static void end_header(mp_mime_parser *p, uint64_t at, uint64_t lf, uint64_t bare)
{
    mp_mime_part *pt = top_part(p);
    finish_field(p);
    pt->body_start = at;
    pt->hdr_size = (at - pt->hdr_start) + (bare - pt->hdr_size);
    pt->body_lines = lf;  /* until the part ends: LFs before the body */
    pt->body_size = bare; /* ... and bare LFs */
    p->inhdr = 0;
}

/* Close open parts until `keep` frames are left, at `end` (counters). */
static void close_to(mp_mime_parser *p, unsigned keep, uint64_t end, uint64_t lf, uint64_t bare)
{
    while (p->sp > keep) {
        mp_mime_frame_ *fr = top(p);
        mp_mime_part *pt = &p->parts[fr->part];
        if (pt->hdr_start > end) {
            /* a message opened at a blank line whose newline the boundary
             * took: it is empty */
            pt->hdr_start = end;
            pt->hdr_size = bare;
        }
        if (p->inhdr) {
            /* a header cut by a boundary or the end: an empty body (and a
             * message/rfc822 part gets an empty message, as in Dovecot) */
            pt->flags |= MP_MIME_PF_NO_BLANK;
            end_header(p, end, lf, bare);
            decide(p, end, bare);
            continue;
        }
        if (pt->body_start > end) {
            /* the boundary line came right after the blank line and took
             * its newline (RFC 2046 §5.1.1): the header ends before it */
            pt->hdr_size -= (pt->body_start - end) + (p->steal ? p->steal_bare : 0u);
            pt->body_start = end;
            pt->body_lines = lf;
            pt->body_size = bare;
            pt->flags |= MP_MIME_PF_NO_BLANK;
        }
        pt->end = end;
        pt->body_lines = lf - pt->body_lines;
        pt->body_size = (end - pt->body_start) + (bare - pt->body_size);
        if (fr->bactive)
            p->nactive--;
        p->sp--;
    }
}

/* ---- boundaries ---------------------------------------------------------------- */

/* A boundary line of frame k at `at`: close what is inside it. */
static void boundary_hit(mp_mime_parser *p, unsigned k, int closing, uint64_t at)
{
    uint64_t end = at - p->steal;
    uint64_t lf = p->nlf - (p->steal ? 1u : 0u);
    uint64_t bare = p->nbare - (p->steal ? p->steal_bare : 0u);
    close_to(p, k + 1u, end, lf, bare);
    if (closing) {
        p->stack[k].bactive = 0;
        p->nactive--;
    }
    p->newpart = (uint8_t)!closing;
    p->state = S_BLINE;
    p->steal = 0;
}

/* Is the line s[0..clen) (LF after it when has_lf) a boundary line?  Only
 * these bytes decide, whatever the split of the input. */
static int is_boundary(mp_mime_parser *p, const char *s, size_t clen, int has_lf, uint64_t at)
{
    const char *d = s + 2;
    size_t size, find, blen = 0;
    unsigned k, best = 0;
    int found = 0, trailing;
    if (clen < 2 || s[0] != '-' || s[1] != '-')
        return 0;
    size = find = clen - 2;
    if (has_lf && find > 0 && d[find - 1] == '\r')
        find--;
    trailing = has_lf && find > 2 && d[find - 1] == '-' && d[find - 2] == '-';
    for (k = p->sp; k-- > 0;) {
        const mp_mime_frame_ *fr = &p->stack[k];
        if (!fr->bactive || fr->blen > find || memcmp(p->vb + fr->boff, d, fr->blen) != 0)
            continue;
        if (!found || blen < fr->blen) {
            found = 1;
            best = k;
            blen = fr->blen;
            /* "foo--" may be "foo" closing or a boundary "foo--": an exact
             * match ends the search */
            if (blen == find || (blen + 2 == find && trailing))
                break;
        }
    }
    if (!found)
        return 0;
    if (p->n >= p->cap) {
        /* no room for another part: as in Dovecot, boundary lines are
         * content from here on (the close delimiter too) */
        limit(p, MP_ERR_MIME_PARTS, at);
        return 0;
    }
    boundary_hit(p, best, size >= blen + 2 && d[blen] == '-' && d[blen + 1] == '-', at);
    return 1;
}

/* At a line start that may be a boundary: 1 it was (state S_BLINE), 0 it
 * was not, -1 the bytes went to look (feed decides later). */
static int try_boundary(mp_mime_parser *p, const char *s, size_t avail, uint64_t at)
{
    size_t w = avail < MP_MIME_LOOK_ ? avail : MP_MIME_LOOK_;
    const char *lf = memchr(s, '\n', w);
    if (lf != NULL)
        return is_boundary(p, s, (size_t)(lf - s), 1, at);
    if (avail >= MP_MIME_LOOK_)
        return is_boundary(p, s, MP_MIME_LOOK_ - 1, 0, at);
    memcpy(p->look, s, avail);
    p->looklen = (uint8_t)avail;
    p->look_pos = at;
    p->lookst = p->state;
    p->state = S_LOOK;
    return -1;
}

/* ---- the machine ------------------------------------------------------------------ */

/* Body lines from in[i]: count their LFs up to the end of the input or,
 * when `stop` (a boundary may come), to a line that starts with "-".
 * Returns where it stopped.  The hot loop of the parser: one memchr a line,
 * the counters kept in registers. */
static size_t body_lines(mp_mime_parser *p, const char *in, size_t i, size_t n, int stop)
{
    uint64_t lf = 0, bare = 0;
    const char *q = in + i, *e = in + n, *last = NULL;
    while ((q = memchr(q, '\n', (size_t)(e - q))) != NULL) {
        last = q;
        lf++;
        bare += (q > in ? q[-1] : (char)p->prev) != '\r';
        if (++q == e || (stop && *q == '-'))
            break;
    }
    if (last != NULL) {
        int cr = (last > in ? last[-1] : (char)p->prev) == '\r';
        p->nlf += lf;
        p->nbare += bare;
        p->steal = cr ? 2u : 1u;
        p->steal_bare = (uint8_t)!cr;
    }
    return q != NULL ? (size_t)(q - in) : n;
}

/* At a line start that may be a boundary line: 1 when it was taken (a
 * boundary, or kept in look until more input comes; *i moved), 0 when the
 * line is to be read as the state says. */
static int at_boundary(mp_mime_parser *p, const char *in, size_t *i, size_t n, uint64_t base)
{
    int r = 0;
    if (in[*i] == '-' && !p->nocheck && bcheck(p))
        r = try_boundary(p, in + *i, n - *i, base + *i);
    if (r < 0)
        *i = n;
    if (r == 0)
        p->nocheck = 0;
    return r != 0;
}

/* To the end of the line: 1 when its LF was taken (*i is past it), 0 when
 * the input ended first. */
static int to_eol(mp_mime_parser *p, const char *in, size_t *i, size_t n)
{
    const char *q = memchr(in + *i, '\n', n - *i);
    if (q == NULL) {
        *i = n;
        return 0;
    }
    newline(p, in, (size_t)(q - in));
    *i = (size_t)(q - in) + 1;
    return 1;
}

static void run(mp_mime_parser *p, const char *in, size_t n, uint64_t base)
{
    size_t i = 0;
    while (i < n) {
        const char *q;
        size_t j;
        unsigned char c;
        switch (p->state) {
        case S_HDR_BOL:
            c = (unsigned char)in[i];
            if (c == ' ' || c == '\t') {
                /* folding: the field goes on (RFC 5322 §2.2.3) */
                p->state = p->field != F_NONE ? S_HDR_VAL : S_HDR_SKIP;
                p->nocheck = 0;
                break;
            }
            if (c == '\n') {
                newline(p, in, i);
                i++;
                end_header(p, base + i, p->nlf, p->nbare);
                decide(p, base + i, p->nbare);
                break;
            }
            finish_field(p);
            if (c == '\r') {
                p->state = S_HDR_CR;
                i++;
                break;
            }
            if (at_boundary(p, in, &i, n, base))
                break;
            p->namelen = 0;
            p->namesp = 0;
            p->field_at = base + i;
            p->state = S_HDR_NAME;
            break;
        case S_HDR_CR:
            if (in[i] == '\n') {
                newline(p, in, i);
                i++;
                end_header(p, base + i, p->nlf, p->nbare);
                decide(p, base + i, p->nbare);
                break;
            }
            p->nocheck = 0;
            p->state = S_HDR_SKIP; /* a line starting with a bare CR */
            break;
        case S_HDR_NAME:
            for (; i < n; i++) {
                c = (unsigned char)in[i];
                if (c == ':') {
                    i++;
                    name_done(p);
                    break;
                }
                if (c == '\n') { /* no colon: not a field we know */
                    p->state = S_HDR_SKIP;
                    break;
                }
                if (MP_MIME_IS_LWSP(c)) {
                    p->namesp = 1;
                    continue;
                }
                if (p->namesp || p->namelen >= sizeof(p->name)) {
                    p->state = S_HDR_SKIP;
                    break;
                }
                p->name[p->namelen++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
            }
            break;
        case S_HDR_VAL:
            q = memchr(in + i, '\n', n - i);
            if (q == NULL) {
                cap_seg(p, in + i, n - i, 0);
                i = n;
                break;
            }
            j = (size_t)(q - in);
            cap_seg(p, in + i, j - i, 1);
            if (p->raw_first == NOT_YET && p->field != F_NONE)
                p->raw_first = p->vlen - p->raw_off;
            newline(p, in, j);
            i = j + 1;
            p->state = S_HDR_BOL;
            break;
        case S_HDR_SKIP:
            if (to_eol(p, in, &i, n))
                p->state = S_HDR_BOL;
            break;
        case S_BODY_BOL:
            if (!at_boundary(p, in, &i, n, base))
                p->state = S_BODY;
            break;
        case S_BODY:
            j = body_lines(p, in, i, n, bcheck(p));
            if (j > i && in[j - 1] == '\n')
                p->state = S_BODY_BOL; /* at a line start */
            i = j;
            break;
        case S_BLINE:
            if (!to_eol(p, in, &i, n))
                break;
            if (p->newpart) {
                p->newpart = 0;
                new_part(p, base + i, p->nbare);
            } else {
                p->state = S_BODY_BOL; /* the epilogue */
            }
            p->steal = 0;
            break;
        default: /* S_LOOK is handled by feed() */
            i = n;
            break;
        }
    }
    if (n > 0)
        p->prev = (uint8_t)in[n - 1];
}

/* The kept line start is complete (or the message ended): decide, then
 * replay its bytes. */
static void resolve_look(mp_mime_parser *p, int at_end)
{
    size_t n = p->looklen;
    int has_lf = n > 0 && p->look[n - 1] == '\n';
    size_t clen = has_lf ? n - 1 : (at_end ? n : (size_t)MP_MIME_LOOK_ - 1u);
    p->state = p->lookst;
    p->looklen = 0;
    if (!is_boundary(p, p->look, clen, has_lf, p->look_pos))
        p->nocheck = 1;
    run(p, p->look, n, p->look_pos);
}

mp_status mp_mime_init(mp_mime_parser *p, mp_mime_part *parts, size_t nparts, char *values,
                       size_t vcap, const mp_mime_config *cfg)
{
    uint32_t cap = MP_MIME_MAX_PARTS;
    if (p == NULL || parts == NULL || nparts == 0 || values == NULL || vcap >= UINT32_MAX)
        return MP_ERR_ARG;
    memset(p, 0, sizeof(*p));
    if (cfg && cfg->max_parts && cfg->max_parts < cap)
        cap = cfg->max_parts;
    p->cap = nparts < cap ? (uint32_t)nparts : cap;
    p->max_depth = MP_MIME_MAX_DEPTH;
    if (cfg && cfg->max_depth && cfg->max_depth < p->max_depth)
        p->max_depth = cfg->max_depth;
    p->parts = parts;
    p->vb = values;
    p->vcap = (uint32_t)vcap;
    p->prev = '\n';
    p->err.code = MP_OK;
    new_part(p, 0, 0);
    return MP_OK;
}

mp_status mp_mime_feed(mp_mime_parser *p, const char *in, size_t len)
{
    if (p == NULL || (in == NULL && len > 0))
        return MP_ERR_ARG;
    if (p->finished)
        return MP_ERR_STATE;
    while (len > 0) {
        size_t k = 0;
        if (p->state != S_LOOK) {
            run(p, in, len, p->pos);
            p->pos += len;
            break;
        }
        while (k < len && p->looklen < MP_MIME_LOOK_) {
            char c = in[k++];
            p->look[p->looklen++] = c;
            if (c == '\n')
                break;
        }
        p->pos += k;
        in += k;
        len -= k;
        if (p->look[p->looklen - 1] == '\n' || p->looklen == MP_MIME_LOOK_)
            resolve_look(p, 0);
    }
    return MP_OK;
}

mp_status mp_mime_finish(mp_mime_parser *p, mp_mime_msg *out)
{
    if (p == NULL || out == NULL)
        return MP_ERR_ARG;
    if (p->finished)
        return MP_ERR_STATE;
    if (p->state == S_LOOK)
        resolve_look(p, 1);
    p->newpart = 0; /* a boundary line cut by the end opens nothing */
    close_to(p, 0, p->pos, p->nlf, p->nbare);
    p->finished = 1;
    out->parts = p->parts;
    out->nparts = p->n;
    out->values = p->vb;
    out->values_len = p->vlen;
    return p->err.code;
}
