/* libFuzzer target: IMAP command writer.
 * Oracle: whatever the writer accepts parses back (one command, not bad)
 * to the same values: user/password strings, mailbox names (decoded),
 * sequence sets, flags and APPEND message bytes; and writing the parsed
 * command again gives the same bytes (the writer's choices are stable).
 * Input: byte 0 = writer/parser mode, byte 1 = command template, then
 * values separated by 0xff.  Template 6 is a CATENATE APPEND (RFC 4469):
 * values alternate URL / TEXT part (UTF8 form when byte 0 has 64 and the
 * mode UTF8=ACCEPT), and come back as the same parts.  Template 7 puts the
 * values as words ("(" and ")" nest, digits are numbers) into a list
 * whose members the RFCs name (SORT criteria, fetch / store modifiers,
 * GETMETADATA, LIST and STATUS options; command by byte 0 >> 4): what the
 * writer accepts the parser must accept. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_imap_cmd_rt.h"

static rt_recorder rec;
static rt_cmd got;
static int ncmd;
static char out1[RT_ARENA * 2], out2[RT_ARENA * 2];

static void keep(rt_recorder *r, const rt_cmd *c, int ok)
{
    (void)r;
    (void)ok;
    if (ncmd++ == 0)
        memcpy(&got, c, sizeof(got));
}

static int same(mp_slice a, mp_slice b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* Split the rest of the input into up to `max` values at 0xff. */
static size_t values(const uint8_t *d, size_t n, mp_slice *v, size_t max)
{
    size_t k = 0, start = 0;
    for (size_t i = 0; i <= n && k < max; i++) {
        if (i == n || d[i] == 0xff) {
            v[k++] = mp_slice_make((const char *)d + start, i - start);
            start = i + 1;
        }
    }
    return k;
}

static void parse_back(const char *in, size_t n, unsigned mode)
{
    rec.bad = 0;
    rec.done = keep;
    ncmd = 0;
    rt_parse(&rec, in, n, mode);
    if (ncmd != 1 || rec.bad)
        abort();
}

/* CATENATE (URL v0 TEXT v1 URL v2 ...) into INBOX; sync literals are
 * continued at once. */
static mp_status write_catenate(mp_imap_writer *w, const mp_slice *v, size_t nv, int utf8)
{
    mp_status st = mp_imap_write_append_catenate_begin(w, "a1", MP_SLICE_LIT("INBOX"), NULL, 0,
                                                       NULL);
    for (size_t i = 0; i < nv && st == MP_OK; i++) {
        size_t used = 0;
        if (!(i & 1u)) {
            st = mp_imap_write_cat_url(w, v[i]);
            continue;
        }
        st = mp_imap_write_cat_text_begin(w, v[i].len,
                                          utf8 ? MP_IMAP_APPEND_UTF8 : MP_IMAP_APPEND_LITERAL);
        if (st == MP_PAUSED)
            st = mp_imap_writer_continue(w);
        if (st == MP_OK && v[i].len) {
            st = mp_imap_write_append_data(w, v[i].ptr, v[i].len, &used);
            if (st == MP_OK && used != v[i].len)
                st = MP_ERR_NO_SPACE;
        }
    }
    if (st == MP_OK)
        st = mp_imap_write_catenate_end(w);
    if (st == MP_OK)
        st = mp_imap_write_append_end(w);
    return st;
}

/* Template 7: the values as list members into a[*n..), nested lists
 * balanced (the command's own structure is not what is tested). */
static void words(const mp_slice *v, size_t nv, mp_imap_arg *a, size_t *n)
{
    size_t depth = 0;
    a[(*n)++].kind = MP_IMAP_ARG_LIST_BEGIN;
    for (size_t i = 0; i < nv; i++) {
        mp_imap_arg *x = &a[*n];
        uint64_t num;
        if (v[i].len == 1 && v[i].ptr[0] == ')' && depth == 0)
            continue;
        (*n)++;
        if (v[i].len == 1 && v[i].ptr[0] == '(') {
            x->kind = MP_IMAP_ARG_LIST_BEGIN;
            depth++;
        } else if (v[i].len == 1 && v[i].ptr[0] == ')') {
            x->kind = MP_IMAP_ARG_LIST_END;
            depth--;
        } else if (v[i].len > 0 && v[i].ptr[0] != '0' &&
                   mp_parse_u64(v[i], UINT64_MAX, &num) == MP_OK) {
            x->kind = MP_IMAP_ARG_NUMBER;
            x->num = num;
        } else {
            x->kind = MP_IMAP_ARG_ATOM;
            x->s = v[i];
        }
    }
    for (; depth > 0; depth--)
        a[(*n)++].kind = MP_IMAP_ARG_LIST_END;
    a[(*n)++].kind = MP_IMAP_ARG_LIST_END;
}

static mp_status write_closed_list(mp_imap_writer *w, unsigned which, const mp_slice *v,
                                   size_t nv, const mp_imap_seq_range *one)
{
    static const mp_imap_cmd_id cmds[] = { MP_IMAP_CMD_SORT,        MP_IMAP_CMD_UID_FETCH,
                                           MP_IMAP_CMD_FETCH,       MP_IMAP_CMD_STORE,
                                           MP_IMAP_CMD_GETMETADATA, MP_IMAP_CMD_LIST,
                                           MP_IMAP_CMD_STATUS };
    mp_imap_arg a[32];
    size_t n = 0;
    mp_imap_cmd_id cmd = cmds[which % 7];
    memset(a, 0, sizeof(a));
    switch (cmd) {
    case MP_IMAP_CMD_SORT:
        words(v, nv, a, &n);
        a[n].kind = MP_IMAP_ARG_ASTRING;
        a[n++].s = MP_SLICE_LIT("UTF-8");
        a[n].kind = MP_IMAP_ARG_ATOM;
        a[n++].s = MP_SLICE_LIT("ALL");
        break;
    case MP_IMAP_CMD_FETCH:
    case MP_IMAP_CMD_UID_FETCH:
        a[n].kind = MP_IMAP_ARG_SEQSET;
        a[n].ranges = one;
        a[n++].nranges = 1;
        a[n].kind = MP_IMAP_ARG_ATOM;
        a[n++].s = MP_SLICE_LIT("FLAGS");
        words(v, nv, a, &n);
        break;
    case MP_IMAP_CMD_STORE:
        a[n].kind = MP_IMAP_ARG_SEQSET;
        a[n].ranges = one;
        a[n++].nranges = 1;
        words(v, nv, a, &n);
        a[n].kind = MP_IMAP_ARG_ATOM;
        a[n++].s = MP_SLICE_LIT("FLAGS");
        a[n].kind = MP_IMAP_ARG_FLAG;
        a[n++].s = MP_SLICE_LIT("\\Seen");
        break;
    case MP_IMAP_CMD_GETMETADATA:
        words(v, nv, a, &n);
        a[n].kind = MP_IMAP_ARG_MAILBOX;
        a[n++].s = MP_SLICE_LIT("INBOX");
        a[n].kind = MP_IMAP_ARG_ASTRING;
        a[n++].s = MP_SLICE_LIT("/private/x");
        break;
    case MP_IMAP_CMD_LIST:
        words(v, nv / 2, a, &n);
        a[n].kind = MP_IMAP_ARG_MAILBOX;
        a[n++].s = MP_SLICE_LIT("");
        a[n].kind = MP_IMAP_ARG_LIST_MAILBOX;
        a[n++].s = MP_SLICE_LIT("%");
        a[n].kind = MP_IMAP_ARG_ATOM;
        a[n++].s = MP_SLICE_LIT("RETURN");
        words(v + nv / 2, nv - nv / 2, a, &n);
        break;
    default:
        a[n].kind = MP_IMAP_ARG_MAILBOX;
        a[n++].s = MP_SLICE_LIT("INBOX");
        words(v, nv, a, &n);
        break;
    }
    return mp_imap_write_command(w, "a1", cmd, a, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const items[] = { "FLAGS", "BODY.PEEK[HEADER.FIELDS (From To)]<0.100>",
                                         "BINARY[1.2]", "ENVELOPE", "RFC822.SIZE" };
    mp_slice v[8];
    size_t nv;
    unsigned mode = 0, wflags;
    mp_outbuf ob;
    mp_imap_writer w;
    mp_status st;
    int tmpl, guard = 0;
    mp_imap_seq_range set[4];
    size_t nset = 0;
    if (size < 2)
        return 0;
    if (data[0] & 1u)
        mode |= MP_IMAP_REV2;
    if (data[0] & 2u)
        mode |= MP_IMAP_UTF8;
    wflags = rt_wflags(mode);
    if ((data[0] & 12u) == 4u)
        wflags |= MP_IMAP_W_LITERAL_PLUS;
    if (data[0] & 8u) {
        wflags |= MP_IMAP_W_LITERAL_MINUS;
        mode |= MP_IMAP_LITERAL_MINUS;
    }
    tmpl = data[1] % 8;
    nv = values(data + 2, size - 2, v, 8);
    for (size_t i = 0; i + 1 < nv && nset < 4; i += 2)
        if (v[i].len >= 1) {
            set[nset].lo = (uint32_t)(unsigned char)v[i].ptr[0];
            set[nset].hi = v[i].len > 1 ? (uint32_t)(unsigned char)v[i].ptr[1] : set[nset].lo;
            nset++;
        }
    mp_outbuf_init(&ob, out1, sizeof(out1));
    mp_imap_writer_init(&w, &ob, wflags);
    if (tmpl == 6) {
        st = write_catenate(&w, v, nv, (data[0] & 64u) != 0);
        if (st != MP_OK)
            return 0; /* refused: nothing to check */
        parse_back(ob.buf, ob.len, mode);
        if (got.nmsgs != 1 || !got.msgs[0].cat || got.msgs[0].nparts != nv)
            abort();
        for (size_t i = 0; i < nv; i++) {
            const rt_part *pt = &got.parts[got.msgs[0].first_part + i];
            if (pt->url != !(i & 1u) || !same(mp_slice_make(got.arena + pt->off, pt->len), v[i]))
                abort();
        }
        goto stable;
    }
    if (tmpl == 7) {
        static const mp_imap_seq_range one = { 1, 1 };
        if (write_closed_list(&w, (unsigned)data[0] >> 4, v, nv, &one) != MP_OK)
            return 0; /* refused: nothing to check */
        parse_back(ob.buf, ob.len, mode);
        goto stable;
    }
    for (;;) {
        switch (tmpl) {
        case 0:
            st = mp_imap_write_login(&w, "a1", v[0], nv > 1 ? v[1] : v[0]);
            break;
        case 1:
            st = mp_imap_write_mailbox_command(&w, "a1", MP_IMAP_CMD_CREATE, v[0]);
            break;
        case 2:
            st = mp_imap_write_copy(&w, "a1", data[0] & 16u, data[0] & 32u, set, nset, v[0]);
            break;
        case 3:
            st = mp_imap_write_store(&w, "a1", data[0] & 16u, set, nset, '+', 1, v, nv,
                                     UINT64_MAX);
            break;
        case 4:
            st = mp_imap_write_fetch(&w, "a1", 1, set, nset, items,
                                     1 + (size_t)(data[0] >> 4) % 5, 0, 0);
            break;
        default: {
            mp_imap_arg a[4];
            memset(a, 0, sizeof(a));
            a[0].kind = MP_IMAP_ARG_ATOM;
            a[0].s = MP_SLICE_LIT("HEADER");
            a[1].kind = MP_IMAP_ARG_ASTRING;
            a[1].s = v[0];
            a[2].kind = MP_IMAP_ARG_ASTRING;
            a[2].s = nv > 1 ? v[1] : v[0];
            st = mp_imap_write_command(&w, "a1", MP_IMAP_CMD_SEARCH, a, 3);
            break;
        }
        }
        if (st != MP_PAUSED || ++guard > 64)
            break;
        if (mp_imap_writer_continue(&w) != MP_OK)
            abort();
    }
    if (st != MP_OK)
        return 0; /* refused: nothing to check */
    parse_back(ob.buf, ob.len, mode);
    /* Values come back as given. */
    switch (tmpl) {
    case 0:
        if (got.nargs != 2 || !same(got.args[0].s, v[0]) ||
            !same(got.args[1].s, nv > 1 ? v[1] : v[0]))
            abort();
        break;
    case 1:
        if (got.nargs != 1 ||
            (!same(got.args[0].s, v[0]) &&
             !(v[0].len == 5 && mp_slice_eq_ci(v[0], "INBOX", 5))))
            abort();
        break;
    case 2:
        if (got.nargs != 2 || got.args[0].nranges != nset)
            abort();
        for (size_t i = 0; i < nset; i++)
            if (got.args[0].ranges[i].lo != set[i].lo || got.args[0].ranges[i].hi != set[i].hi)
                abort();
        break;
    case 3:
        for (size_t i = 0; i < nv; i++)
            if (got.nargs < 4 + nv || !same(got.args[got.nargs - 1 - nv + i].s, v[i]))
                abort();
        break;
    default:
        break;
    }
stable:
    /* Stable: the parsed command written again means the same. */
    {
        static rt_cmd first;
        mp_outbuf ob2;
        memcpy(&first, &got, sizeof(first));
        mp_outbuf_init(&ob2, out2, sizeof(out2));
        if (rt_write(&first, &ob2, wflags) != MP_OK)
            abort();
        parse_back(ob2.buf, ob2.len, mode);
        if (got.canon_len != first.canon_len || memcmp(got.canon, first.canon, got.canon_len))
            abort();
    }
    return 0;
}
