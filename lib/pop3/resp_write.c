/* POP3 response writer, server side (RFC 1939 §3-§7, RFC 2449 §8-§9,
 * RFC 5034 §4): whole lines or nothing, and only what the client parser
 * (lib/pop3/resp_parse.c) reads back the same, through the checks of
 * lib/pop3/grammar.c. */
#include <string.h>

#include "grammar.h"

/* Response text as the parser takes it: no CR, LF, NUL or other control
 * but HT. */
static int text_ok(mp_slice s)
{
    return (s.ptr != NULL || s.len == 0) && mp_pop3_text_bad_(s.ptr, s.len) == s.len;
}

/* End the line begun at `mark`: MP_ERR_LINE_TOO_LONG above `max` octets
 * with CRLF, else commit. */
static mp_status end_line(mp_outbuf *ob, size_t mark, size_t max)
{
    mp_outbuf_put(ob, "\r\n", 2);
    if (ob->want - mark > max) {
        mp_outbuf_rollback(ob, mark);
        return MP_ERR_LINE_TOO_LONG;
    }
    return mp_outbuf_commit(ob, mark);
}

/* "+OK"/"-ERR" [SP ["[" code "]" [SP]] text], without CRLF. */
static mp_status put_status(mp_outbuf *ob, int ok, mp_slice code, mp_slice text)
{
    if (!text_ok(text) || (code.len > 0 && (code.ptr == NULL || !mp_pop3_code_valid_(code.ptr, code.len))))
        return MP_ERR_BAD_VALUE;
    /* RFC 2449 §9: text = *schar / resp-code *CHAR; without a code, text
     * that starts with a resp-code would read as one. */
    if (code.len == 0 && mp_pop3_code_len_(text.ptr, text.len) > 0)
        return MP_ERR_BAD_VALUE;
    mp_outbuf_puts(ob, ok ? "+OK" : "-ERR");
    if (code.len > 0) {
        mp_outbuf_puts(ob, " [");
        mp_outbuf_put(ob, code.ptr, code.len);
        mp_outbuf_putc(ob, ']');
    }
    if (text.len > 0) {
        mp_outbuf_putc(ob, ' ');
        mp_outbuf_put(ob, text.ptr, text.len);
    }
    return MP_OK;
}

mp_status mp_pop3_write_status(mp_outbuf *ob, int ok, mp_slice code, mp_slice text)
{
    size_t mark;
    mp_status st;
    if (ob == NULL)
        return MP_ERR_ARG;
    mark = mp_outbuf_mark(ob);
    st = put_status(ob, ok, code, text);
    if (st != MP_OK) {
        mp_outbuf_rollback(ob, mark);
        return st;
    }
    return end_line(ob, mark, MP_POP3_MAX_RESPONSE_LINE);
}

mp_status mp_pop3_write_greeting(mp_outbuf *ob, mp_slice text, mp_slice timestamp)
{
    size_t mark;
    mp_status st;
    mp_slice ts;
    if (ob == NULL || (timestamp.ptr == NULL && timestamp.len != 0))
        return MP_ERR_ARG;
    /* The timestamp must be what the client finds: valid, and the first
     * candidate of the line (no msg-id-like "<..@..>" in the text). */
    if (timestamp.len > 0) {
        ts = mp_pop3_timestamp_find_(timestamp.ptr, timestamp.len);
        if (ts.len != timestamp.len)
            return MP_ERR_BAD_VALUE;
    }
    if (text.ptr != NULL && mp_pop3_timestamp_find_(text.ptr, text.len).len > 0 &&
        timestamp.len > 0)
        return MP_ERR_BAD_VALUE;
    mark = mp_outbuf_mark(ob);
    st = put_status(ob, 1, mp_slice_make(NULL, 0), text);
    if (st != MP_OK) {
        mp_outbuf_rollback(ob, mark);
        return st;
    }
    if (timestamp.len > 0) {
        mp_outbuf_putc(ob, ' ');
        mp_outbuf_put(ob, timestamp.ptr, timestamp.len);
    }
    return end_line(ob, mark, MP_POP3_MAX_RESPONSE_LINE);
}

/* "[+OK ]a SP b" where b is a size or a unique-id. */
static mp_status put_pair(mp_outbuf *ob, int status, uint32_t a, uint32_t amin, int have_size,
                          uint64_t size, mp_slice uid)
{
    size_t mark;
    if (ob == NULL)
        return MP_ERR_ARG;
    if (a < amin || a > MP_POP3_MSGNO_MAX)
        return MP_ERR_ARG;
    if (!have_size && (uid.ptr == NULL || !mp_pop3_uid_valid_(uid.ptr, uid.len)))
        return MP_ERR_BAD_VALUE;
    mark = mp_outbuf_mark(ob);
    if (status)
        mp_outbuf_puts(ob, "+OK ");
    mp_outbuf_put_u64(ob, a);
    mp_outbuf_putc(ob, ' ');
    if (have_size)
        mp_outbuf_put_u64(ob, size);
    else
        mp_outbuf_put(ob, uid.ptr, uid.len);
    return end_line(ob, mark, MP_POP3_MAX_RESPONSE_LINE);
}

mp_status mp_pop3_write_stat(mp_outbuf *ob, uint32_t count, uint64_t size)
{
    return put_pair(ob, 1, count, 0, 1, size, mp_slice_make(NULL, 0));
}

mp_status mp_pop3_write_list_one(mp_outbuf *ob, uint32_t msgno, uint64_t size)
{
    return put_pair(ob, 1, msgno, 1, 1, size, mp_slice_make(NULL, 0));
}

mp_status mp_pop3_write_uidl_one(mp_outbuf *ob, uint32_t msgno, mp_slice uid)
{
    return put_pair(ob, 1, msgno, 1, 0, 0, uid);
}

mp_status mp_pop3_write_list_entry(mp_outbuf *ob, uint32_t msgno, uint64_t size)
{
    return put_pair(ob, 0, msgno, 1, 1, size, mp_slice_make(NULL, 0));
}

mp_status mp_pop3_write_uidl_entry(mp_outbuf *ob, uint32_t msgno, mp_slice uid)
{
    return put_pair(ob, 0, msgno, 1, 0, 0, uid);
}

mp_status mp_pop3_write_challenge(mp_outbuf *ob, const void *data, size_t len)
{
    /* RFC 5034 §4: continue-req = "+" SP [base64] CRLF. */
    return mp_pop3_write_b64_line_(ob, "+ ", data, len);
}

mp_status mp_pop3_write_line(mp_outbuf *ob, mp_slice line)
{
    size_t mark;
    if (ob == NULL)
        return MP_ERR_ARG;
    if (!text_ok(line))
        return MP_ERR_BAD_VALUE;
    mark = mp_outbuf_mark(ob);
    /* RFC 1939 §3: byte-stuff a line that starts with the termination
     * octet; "." alone would end the listing. */
    if (line.len > 0 && line.ptr[0] == '.')
        mp_outbuf_putc(ob, '.');
    mp_outbuf_put(ob, line.ptr, line.len);
    return end_line(ob, mark, MP_POP3_MAX_RESPONSE_LINE);
}

mp_status mp_pop3_write_end(mp_outbuf *ob)
{
    size_t mark;
    if (ob == NULL)
        return MP_ERR_ARG;
    mark = mp_outbuf_mark(ob);
    mp_outbuf_put(ob, ".\r\n", 3);
    return mp_outbuf_commit(ob, mark);
}
