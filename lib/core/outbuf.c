/* Bounded output buffer: whole elements or nothing (docs/architecture.md §5). */
#include <string.h>

#include "mailproto/core.h"

#include "decimal.h"

void mp_outbuf_init(mp_outbuf *ob, char *buf, size_t cap)
{
    ob->buf = buf;
    ob->cap = cap;
    ob->len = 0;
    ob->want = 0;
    ob->need = 0;
}

size_t mp_outbuf_mark(mp_outbuf *ob)
{
    ob->want = ob->len;
    return ob->len;
}

void mp_outbuf_put(mp_outbuf *ob, const void *p, size_t n)
{
    /* Once an element overflowed, keep counting but stop writing, so the
     * commit can say how much room the element needs. */
    if (ob->want == ob->len && n <= ob->cap - ob->len) {
        if (n != 0)
            memcpy(ob->buf + ob->len, p, n);
        ob->len += n;
    }
    ob->want = (n > SIZE_MAX - ob->want) ? SIZE_MAX : ob->want + n;
}

void mp_outbuf_puts(mp_outbuf *ob, const char *s) { mp_outbuf_put(ob, s, strlen(s)); }

void mp_outbuf_putc(mp_outbuf *ob, char c) { mp_outbuf_put(ob, &c, 1); }

void mp_outbuf_put_u64(mp_outbuf *ob, uint64_t v)
{
    char tmp[20];
    mp_outbuf_put(ob, tmp, mp_dec_write_u64_(tmp, v));
}

mp_status mp_outbuf_commit(mp_outbuf *ob, size_t mark)
{
    /* A stale mark (taken before a consume) must never move len past the
     * bytes really held, or room() would wrap and writes overrun buf. */
    if (mark > ob->len)
        mark = ob->len;
    if (ob->want != ob->len) {
        ob->need = ob->want - mark;
        ob->len = mark;
        ob->want = mark;
        return MP_ERR_NO_SPACE;
    }
    return MP_OK;
}

void mp_outbuf_rollback(mp_outbuf *ob, size_t mark)
{
    if (mark > ob->len)
        mark = ob->len;
    ob->len = mark;
    ob->want = mark;
}

void mp_outbuf_consume(mp_outbuf *ob, size_t n)
{
    if (n > ob->len)
        n = ob->len;
    memmove(ob->buf, ob->buf + n, ob->len - n);
    ob->len -= n;
    ob->want = ob->len;
}
