/* libFuzzer target: IMAP command parser (server side).
 * Oracles beyond "no crash":
 *  - split invariance: the events (commands, arguments, literal bytes,
 *    bad commands with their status and offset, AUTHENTICATE lines, DONE)
 *    of the whole input equal those of the input fed in pieces;
 *  - round trip: every command that parsed is written again by the
 *    command writer, and parsing that gives the same events.
 * First byte: mode bits (rev2, UTF8=ACCEPT, LITERAL-, LF quirk, reject
 * sync literals, trailing-space quirk) and the piece size. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_imap_cmd_rt.h"

static rt_recorder outer, inner;
static char rebuf[RT_ARENA * 2 + 4096];
static int check_rt;
static int inner_cmds;

static void count_inner(rt_recorder *r, const rt_cmd *c, int ok)
{
    (void)r;
    (void)c;
    (void)ok;
    inner_cmds++;
}

static void on_command_done(rt_recorder *r, const rt_cmd *c, int ok)
{
    mp_outbuf ob;
    mp_status st;
    (void)ok;
    if (!check_rt || c->overflow)
        return;
    mp_outbuf_init(&ob, rebuf, sizeof(rebuf));
    st = rt_write(c, &ob, rt_wflags(r->parser_mode));
    /* A decoded name can grow when encoded again: the one refusal that
     * is not a disagreement between parser and writer. */
    if (st == MP_ERR_TOKEN_TOO_LONG || st == MP_ERR_NO_SPACE)
        return;
    if (st != MP_OK)
        abort();
    inner.done = count_inner;
    inner.bad = 0;
    inner.cur.canon_len = 0;
    inner_cmds = 0;
    rt_parse(&inner, ob.buf, ob.len, r->parser_mode);
    if (inner.bad || inner.cur.overflow || inner_cmds != 1)
        abort();
    if (inner.cur.canon_len != c->canon_len ||
        memcmp(inner.cur.canon, c->canon, c->canon_len) != 0)
        abort();
}

static uint64_t run(const uint8_t *data, size_t size, size_t step, unsigned mode,
                    unsigned quirks, int reject)
{
    static mp_imap_cmd_parser p;
    static char buf[MP_IMAP_CMD_PARSER_BUF];
    mp_imap_cmd_config cfg;
    size_t off = 0;
    int authed = 0;
    memset(&cfg, 0, sizeof(cfg));
    cfg.mode = mode;
    cfg.quirks = quirks;
    outer.cur.hash = 14695981039346656037u;
    outer.cur.cmd = MP_IMAP_CMD_NONE_;
    outer.done = on_command_done;
    outer.parser_mode = mode;
    if (mp_imap_cmd_parser_init(&p, buf, sizeof(buf), &cfg, &rt_callbacks, &outer) != MP_OK)
        abort();
    while (off < size) {
        size_t piece = size - off < step ? size - off : step;
        const char *in = (const char *)data + off;
        size_t left = piece;
        for (;;) {
            size_t used = 0;
            mp_status st = mp_imap_cmd_parser_feed(&p, in, left, &used);
            if (used > left)
                abort();
            in += used;
            left -= used;
            if (st == MP_NEED_MORE) {
                if (left != 0)
                    abort();
                break;
            }
            if (st != MP_PAUSED)
                abort();
            if (mp_imap_cmd_parser_literal_wait(&p) >= 0) {
                rt_mix(&outer.cur, "+", 1);
                if (reject)
                    mp_imap_cmd_parser_reject_literal(&p, MP_ERR_IMAP_CMD_LITERAL_REJECTED);
                else
                    mp_imap_cmd_parser_accept_literal(&p);
            } else if (outer.cur.cmd == MP_IMAP_CMD_AUTHENTICATE && !authed && !outer.bad) {
                authed = 1;
                mp_imap_cmd_parser_set_mode(&p, MP_IMAP_CMD_MODE_AUTH);
            } else if (outer.cur.cmd == MP_IMAP_CMD_IDLE && !outer.bad) {
                outer.cur.cmd = MP_IMAP_CMD_NONE_;
                mp_imap_cmd_parser_set_mode(&p, MP_IMAP_CMD_MODE_IDLE);
            }
            if (left == 0 && mp_imap_cmd_parser_literal_wait(&p) < 0)
                break;
        }
        off += piece;
    }
    return outer.cur.hash;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned mode = 0, quirks = 0;
    size_t step;
    int reject;
    uint64_t a, b;
    if (size < 1)
        return 0;
    if (data[0] & 1u)
        mode |= MP_IMAP_REV2;
    if (data[0] & 2u)
        mode |= MP_IMAP_UTF8;
    if (data[0] & 4u)
        mode |= MP_IMAP_LITERAL_MINUS;
    if (data[0] & 8u)
        quirks |= MP_IMAP_Q_LF_LINES;
    reject = (data[0] & 16u) != 0;
    if (data[0] & 128u)
        quirks |= MP_IMAP_Q_TRAILING_SPACE;
    step = 1u + ((data[0] >> 5) & 3u) * 3u;
    check_rt = 1;
    a = run(data + 1, size - 1, size, mode, quirks, reject);
    check_rt = 0;
    b = run(data + 1, size - 1, step, mode, quirks, reject);
    if (a != b)
        abort();
    return 0;
}
