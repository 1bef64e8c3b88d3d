/* libFuzzer target: IMAP URL parser (RFC 5092, RFC 4467).
 * Oracles beyond "no crash": every part is a slice of the input, the
 * server before the mailbox; a refused URL leaves nothing in the result;
 * numbers and tokens as the grammar bounds them; decoding is never longer
 * than the part. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mailproto/imap.h"

static void inside(const uint8_t *data, size_t size, mp_slice s)
{
    char out[256];
    size_t n;
    if (s.len == 0)
        return;
    if ((const uint8_t *)s.ptr < data || (const uint8_t *)s.ptr + s.len > data + size)
        abort(); /* a part outside the text */
    n = mp_imap_url_decode(s, out, sizeof(out));
    if (n != (size_t)-1 && n > s.len)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mp_imap_url u;
    const char *s = (const char *)data;
    if (mp_imap_url_parse(s, size, &u) != MP_OK) {
        if (u.flags != 0)
            abort(); /* a refused URL leaves nothing behind */
        return 0;
    }
    inside(data, size, u.user);
    inside(data, size, u.auth);
    inside(data, size, u.host);
    inside(data, size, u.mailbox);
    inside(data, size, u.search);
    inside(data, size, u.section);
    inside(data, size, u.expire);
    inside(data, size, u.access);
    inside(data, size, u.rump);
    inside(data, size, u.mechanism);
    inside(data, size, u.token);
    if (u.mailbox.len > 0 && u.host.len > 0 && u.mailbox.ptr < u.host.ptr)
        abort(); /* out of order */
    if ((u.flags & MP_IMAP_URL_UID) && u.uid == 0)
        abort(); /* nz-number */
    if ((u.flags & MP_IMAP_URL_VERIFIER) && u.token.len < 32)
        abort();
    return 0;
}
