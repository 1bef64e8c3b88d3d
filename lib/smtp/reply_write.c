/* SMTP reply writer (RFC 5321 §4.2, §4.2.1 multi-line; RFC 2034 and
 * RFC 3463 enhanced status codes).  Whole reply or nothing. */
#include <string.h>

#include "mailproto/smtp.h"

int mp_smtp_esc_valid(const char *esc, size_t n)
{
    mp_smtp_esc e;
    return mp_smtp_esc_parse(esc, n, &e) == n;
}

size_t mp_smtp_esc_parse(const char *p, size_t n, mp_smtp_esc *out)
{
    size_t i = 0;
    unsigned v[2] = { 0, 0 };
    int part;
    if (n < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') || p[1] != '.')
        return 0;
    i = 2;
    for (part = 0; part < 2; part++) {
        size_t st = i;
        if (part == 1) {
            if (i >= n || p[i] != '.')
                return 0;
            st = ++i;
        }
        while (i < n && p[i] >= '0' && p[i] <= '9' && i - st < 4) {
            v[part] = v[part] * 10u + (unsigned)(p[i] - '0');
            i++;
        }
        if (i == st || i - st > 3 || (p[st] == '0' && i - st > 1))
            return 0;
    }
    if (i < n && p[i] != ' ')
        return 0;
    out->cls = (uint8_t)(p[0] - '0');
    out->subject = (uint16_t)v[0];
    out->detail = (uint16_t)v[1];
    return i;
}

size_t mp_smtp_esc_format(mp_smtp_esc e, char *out)
{
    mp_outbuf ob;
    if ((e.cls != 2 && e.cls != 4 && e.cls != 5) || e.subject > 999 || e.detail > 999) {
        out[0] = '\0';
        return 0;
    }
    mp_outbuf_init(&ob, out, MP_SMTP_ESC_MAX);
    mp_outbuf_putc(&ob, (char)('0' + e.cls));
    mp_outbuf_putc(&ob, '.');
    mp_outbuf_put_u64(&ob, e.subject);
    mp_outbuf_putc(&ob, '.');
    mp_outbuf_put_u64(&ob, e.detail);
    out[ob.len] = '\0';
    return ob.len;
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
    if (!mp_smtp_code_valid(code) || n == 0 || lines == NULL)
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
