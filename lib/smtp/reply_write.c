/* SMTP reply writer (RFC 5321 §4.2, §4.2.1 multi-line; RFC 2034 and
 * RFC 3463 enhanced status codes).  Whole reply or nothing. */
#include <string.h>

#include "mailproto/smtp.h"

int mp_smtp_esc_valid(const char *esc, size_t n)
{
    /* status-code = class "." subject "." detail; class = "2"/"4"/"5",
     * subject = 1*3digit, detail = 1*3digit (no leading zeros). */
    size_t i = 0;
    int part;
    if (n < 5 || (esc[0] != '2' && esc[0] != '4' && esc[0] != '5') || esc[1] != '.')
        return 0;
    i = 2;
    for (part = 0; part < 2; part++) {
        size_t s = i;
        if (part == 1) {
            if (i >= n || esc[i] != '.')
                return 0;
            s = ++i;
        }
        while (i < n && esc[i] >= '0' && esc[i] <= '9')
            i++;
        if (i == s || i - s > 3 || (esc[s] == '0' && i - s > 1))
            return 0;
    }
    return i == n;
}

static int text_ok(mp_slice t)
{
    size_t i;
    if (t.len > MP_SMTP_MAX_REPLY_TEXT)
        return 0;
    /* No CR, LF or NUL: a reply text never splits or forges a line. */
    for (i = 0; i < t.len; i++) {
        char c = t.ptr[i];
        if (c == '\r' || c == '\n' || c == '\0')
            return 0;
    }
    return 1;
}

mp_status mp_smtp_reply_write_lines(mp_outbuf *ob, unsigned code, const char *esc,
                                    const mp_slice *lines, size_t n)
{
    size_t i, el = 0, m;
    char cd[3];
    if (code < 200 || code > 599 || (code / 10u) % 10u > 5u || n == 0 || lines == NULL)
        return MP_ERR_ARG;
    if (esc != NULL) {
        el = strlen(esc);
        if (!mp_smtp_esc_valid(esc, el) || (unsigned)(esc[0] - '0') != code / 100u)
            return MP_ERR_ARG;
    }
    for (i = 0; i < n; i++)
        if (!text_ok(lines[i]))
            return MP_ERR_BAD_VALUE;
    cd[0] = (char)('0' + code / 100u);
    cd[1] = (char)('0' + (code / 10u) % 10u);
    cd[2] = (char)('0' + code % 10u);
    m = mp_outbuf_mark(ob);
    for (i = 0; i < n; i++) {
        mp_outbuf_put(ob, cd, 3);
        /* Reply-line: the last line is "code [SP textstring]". */
        if (i + 1 < n)
            mp_outbuf_putc(ob, '-');
        else if (el || lines[i].len)
            mp_outbuf_putc(ob, ' ');
        if (el) {
            mp_outbuf_put(ob, esc, el);
            if (lines[i].len)
                mp_outbuf_putc(ob, ' ');
        }
        mp_outbuf_put(ob, lines[i].ptr, lines[i].len);
        mp_outbuf_put(ob, "\r\n", 2);
    }
    return mp_outbuf_commit(ob, m);
}

mp_status mp_smtp_reply_write(mp_outbuf *ob, unsigned code, const char *esc, const char *text)
{
    mp_slice t = mp_slice_make(text ? text : "", text ? strlen(text) : 0);
    return mp_smtp_reply_write_lines(ob, code, esc, &t, 1);
}
