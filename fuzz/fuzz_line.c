/* libFuzzer target: CRLF line framer.
 * Input: byte 0 = flags (bit 7: MP_LINE_ALLOW_LF) and split knob (bits
 * 0..6), byte 1 = max_line (3..66), then the stream.
 * Oracles beyond "no crash": the events (lines, errors with offsets,
 * pending bytes) are the same whole and split (fuzz_split.h); a line never
 * holds CR or LF nor exceeds max_line - 2; the stream offset equals the
 * bytes consumed; the assembly buffer is exactly max_line - 2 bytes on the
 * heap, so one byte too many is an ASan report. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/core.h"
#include "fuzz_split.h"

typedef struct line_state {
    mp_line_framer f;
    char *buf;
    size_t max_line;
    unsigned flags;
    uint64_t consumed;
} line_state;

static void line_reset(void *state)
{
    line_state *s = state;
    if (mp_line_framer_init(&s->f, s->buf, s->max_line - 2, s->max_line, s->flags) != MP_OK)
        abort();
    s->consumed = 0;
}

static size_t line_step(void *state, const uint8_t *p, size_t n, fuzz_digest *d)
{
    line_state *s = state;
    size_t used = 0;
    mp_slice line;
    mp_status st = mp_line_framer_next(&s->f, (const char *)p, n, &used, &line);
    if (st == MP_OK) {
        if (line.len > s->max_line - 2 || memchr(line.ptr, '\n', line.len) ||
            memchr(line.ptr, '\r', line.len))
            abort();
        fuzz_digest_event(d, "line", line.ptr, line.len);
    } else if (st == MP_NEED_MORE) {
        if (used != n)
            abort();
    } else {
        if (st != s->f.err.code || s->f.err.offset > s->consumed + used)
            abort();
        fuzz_digest_u64(d, "error", (uint64_t)st);
        fuzz_digest_u64(d, "at", s->f.err.offset);
    }
    s->consumed += used;
    return used;
}

static void line_finish(void *state, fuzz_digest *d)
{
    line_state *s = state;
    if (s->f.pos != s->consumed || mp_line_framer_pending(&s->f) > s->max_line - 1)
        abort();
    fuzz_digest_u64(d, "pending", mp_line_framer_pending(&s->f));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    line_state s;
    fuzz_target t = { line_reset, line_step, line_finish, &s };
    if (size < 2)
        return 0;
    s.flags = (data[0] & 0x80u) ? MP_LINE_ALLOW_LF : 0u;
    s.max_line = 3u + data[1] % 64u;
    s.buf = malloc(s.max_line - 2);
    if (s.buf == NULL)
        return 0;
    fuzz_split_check(&t, data + 2, size - 2, (uint8_t)(data[0] & 0x7fu));
    free(s.buf);
    return 0;
}
