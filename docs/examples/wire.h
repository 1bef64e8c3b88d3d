/*
 * An in-memory byte pipe: what the guides' programs use instead of a
 * socket, so that they run anywhere without a network (docs/README.md).
 * A host moves a session's output into one wire and feeds the peer from
 * it, exactly as it would send() and recv().  Both ends may take any
 * amount: the sessions accept any fragmentation.
 */
#ifndef DOCS_EXAMPLES_WIRE_H
#define DOCS_EXAMPLES_WIRE_H

#include <stddef.h>
#include <string.h>

typedef struct wire {
    char buf[16384];
    size_t len;
} wire;

/* "send": append as much of p[0..n) as fits; returns how much was taken. */
static size_t wire_put(wire *w, const void *p, size_t n)
{
    size_t room = sizeof(w->buf) - w->len;
    if (n > room)
        n = room;
    memcpy(w->buf + w->len, p, n);
    w->len += n;
    return n;
}

/* "recv" done: drop the first n bytes, which the reader consumed. */
static void wire_take(wire *w, size_t n)
{
    memmove(w->buf, w->buf + n, w->len - n);
    w->len -= n;
}

#endif
