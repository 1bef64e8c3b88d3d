/* SMTP command writer (RFC 5321 §4.1.1, §4.1.2 and the extension RFCs).
 * Every command is written whole or not at all; a value that cannot be
 * sent as it is (a control character, an over-long path, 8-bit without
 * SMTPUTF8) is an error, never mangled (docs/architecture.md §5). */
#include <string.h>

#include "mailproto/smtp_client.h"

/* Addresses and domains are checked by the server's own parsers
 * (mp_smtp_mailbox_parse, mp_smtp_domain_check in path.c) and ENVID/ORCPT
 * encoded by the shared xtext encoder (params.c): what this writer sends
 * is exactly what our server accepts. */

static int is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20u) >= 'a' && (c | 0x20u) <= 'z');
}

/* ----------------------------------------------------------------------- */
/* Helpers                                                                 */
/* ----------------------------------------------------------------------- */

/* Commit the command begun at `mark` if it fits `limit` (incl. CRLF). */
static mp_status finish(mp_outbuf *ob, size_t mark, size_t limit)
{
    if (ob->want - mark > limit) {
        mp_outbuf_rollback(ob, mark);
        return MP_ERR_LINE_TOO_LONG;
    }
    return mp_outbuf_commit(ob, mark);
}

/* Base64 of `data`, streamed in small blocks (no large stack buffer). */
static void put_base64(mp_outbuf *ob, const void *data, size_t n)
{
    const char *p = data;
    mp_base64_encoder e;
    char tmp[MP_BASE64_ENCODED_LEN(48u + 2u)];
    mp_base64_encoder_init(&e);
    while (n > 0) {
        size_t k = n < 48u ? n : 48u;
        mp_outbuf_put(ob, tmp, mp_base64_encoder_update(&e, p, k, tmp));
        p += k;
        n -= k;
    }
    mp_outbuf_put(ob, tmp, mp_base64_encoder_finish(&e, tmp));
}

/* ----------------------------------------------------------------------- */
/* Commands                                                                */
/* ----------------------------------------------------------------------- */

mp_status mp_smtp_write_hello(mp_outbuf *ob, mp_smtp_verb verb, mp_slice domain)
{
    size_t m;
    unsigned flags = 0;
    mp_error err;
    mp_status st;
    if ((verb != MP_SMTP_HELO && verb != MP_SMTP_EHLO && verb != MP_SMTP_LHLO) ||
        (domain.ptr == NULL && domain.len != 0))
        return MP_ERR_ARG;
    if (domain.len == 0)
        return MP_ERR_BAD_VALUE;
    st = mp_smtp_domain_check(domain.ptr, domain.len, 0, &flags, &err);
    if (st == MP_ERR_SMTP_DOMAIN_TOO_LONG)
        return MP_ERR_TOKEN_TOO_LONG;
    if (st != MP_OK)
        return MP_ERR_BAD_VALUE;
    m = mp_outbuf_mark(ob);
    mp_outbuf_puts(ob, verb == MP_SMTP_HELO ? "HELO " : verb == MP_SMTP_EHLO ? "EHLO " : "LHLO ");
    mp_outbuf_put(ob, domain.ptr, domain.len);
    mp_outbuf_put(ob, "\r\n", 2);
    return finish(ob, m, MP_SMTP_MAX_COMMAND_LINE);
}

/* The verb's name and whether it stands alone / takes an argument. */
static const char *verb_word(mp_smtp_verb v, int with_arg)
{
    switch (v) {
    case MP_SMTP_DATA: return with_arg ? NULL : "DATA";
    case MP_SMTP_RSET: return with_arg ? NULL : "RSET";
    case MP_SMTP_QUIT: return with_arg ? NULL : "QUIT";
    case MP_SMTP_STARTTLS: return with_arg ? NULL : "STARTTLS";
    case MP_SMTP_NOOP: return "NOOP";
    case MP_SMTP_HELP: return "HELP";
    case MP_SMTP_VRFY: return with_arg ? "VRFY" : NULL;
    case MP_SMTP_EXPN: return with_arg ? "EXPN" : NULL;
    default: return NULL;
    }
}

mp_status mp_smtp_write_simple(mp_outbuf *ob, mp_smtp_verb verb)
{
    const char *w = verb_word(verb, 0);
    size_t m;
    if (w == NULL)
        return MP_ERR_ARG;
    m = mp_outbuf_mark(ob);
    mp_outbuf_puts(ob, w);
    mp_outbuf_put(ob, "\r\n", 2);
    return mp_outbuf_commit(ob, m);
}

mp_status mp_smtp_write_arg(mp_outbuf *ob, mp_smtp_verb verb, mp_slice arg, int utf8)
{
    const char *w = verb_word(verb, 1);
    size_t i, m;
    if (w == NULL || (arg.ptr == NULL && arg.len != 0))
        return MP_ERR_ARG;
    if (arg.len == 0)
        return (verb == MP_SMTP_VRFY || verb == MP_SMTP_EXPN) ? MP_ERR_BAD_VALUE
                                                              : mp_smtp_write_simple(ob, verb);
    for (i = 0; i < arg.len; i++) {
        unsigned char c = (unsigned char)arg.ptr[i];
        if (c >= 0x80 && !utf8)
            return MP_ERR_8BIT;
        if (c < 0x20 || c == 0x7f)
            return MP_ERR_BAD_VALUE;
    }
    m = mp_outbuf_mark(ob);
    mp_outbuf_puts(ob, w);
    mp_outbuf_putc(ob, ' ');
    mp_outbuf_put(ob, arg.ptr, arg.len);
    mp_outbuf_put(ob, "\r\n", 2);
    return finish(ob, m, MP_SMTP_MAX_COMMAND_LINE);
}

mp_status mp_smtp_write_mail(mp_outbuf *ob, mp_slice from, const mp_smtp_mail_params *pr)
{
    static const char *const bodies[] = {"", " BODY=7BIT", " BODY=8BITMIME",
                                         " BODY=BINARYMIME"};
    static const char *const rets[] = {"", " RET=FULL", " RET=HDRS"};
    mp_smtp_path path;
    mp_error err;
    mp_status st;
    size_t m, i;

    st = mp_smtp_mailbox_parse(from.ptr, from.len, 1, 0, pr != NULL && pr->smtputf8, &path,
                               &err);
    if (st != MP_OK)
        return st;
    if (pr != NULL) {
        if (pr->body > MP_SMTP_BODY_BINARYMIME || pr->ret > MP_SMTP_RET_HDRS)
            return MP_ERR_BAD_VALUE;
        if (pr->has_mt_priority && (pr->mt_priority < -9 || pr->mt_priority > 9))
            return MP_ERR_BAD_VALUE;
        if (pr->envid.len > MP_SMTP_MAX_ENVID)
            return MP_ERR_TOKEN_TOO_LONG;
        /* RFC 3461 §4.4: ENVID is printable US-ASCII. */
        for (i = 0; i < pr->envid.len; i++)
            if ((unsigned char)pr->envid.ptr[i] < 0x20 || (unsigned char)pr->envid.ptr[i] > 0x7e)
                return MP_ERR_BAD_VALUE;
    }
    m = mp_outbuf_mark(ob);
    mp_outbuf_puts(ob, "MAIL FROM:<");
    mp_outbuf_put(ob, from.ptr, from.len);
    mp_outbuf_putc(ob, '>');
    if (pr != NULL) {
        if (pr->has_size) {
            mp_outbuf_puts(ob, " SIZE=");
            mp_outbuf_put_u64(ob, pr->size);
        }
        mp_outbuf_puts(ob, bodies[pr->body]);
        if (pr->smtputf8)
            mp_outbuf_puts(ob, " SMTPUTF8");
        mp_outbuf_puts(ob, rets[pr->ret]);
        if (pr->envid.len > 0) {
            mp_outbuf_puts(ob, " ENVID=");
            mp_smtp_xtext_put(ob, pr->envid);
        }
        if (pr->requiretls)
            mp_outbuf_puts(ob, " REQUIRETLS");
        if (pr->has_mt_priority) {
            mp_outbuf_puts(ob, " MT-PRIORITY=");
            if (pr->mt_priority < 0)
                mp_outbuf_putc(ob, '-');
            mp_outbuf_put_u64(ob, (uint64_t)(pr->mt_priority < 0 ? -pr->mt_priority
                                                                 : pr->mt_priority));
        }
    }
    mp_outbuf_put(ob, "\r\n", 2);
    return finish(ob, m, MP_SMTP_MAX_COMMAND_LINE);
}

mp_status mp_smtp_write_rcpt(mp_outbuf *ob, mp_slice to, const mp_smtp_rcpt_params *pr)
{
    static const char *const notes[] = {"NEVER", "SUCCESS", "FAILURE", "DELAY"};
    int utf8 = pr != NULL && pr->utf8;
    mp_smtp_path path;
    mp_error err;
    mp_status st;
    size_t m, i;
    unsigned sep;

    /* RFC 5321 §4.1.1.3: "<Postmaster>" needs no domain. */
    st = mp_smtp_mailbox_parse(to.ptr, to.len, 0, 1, utf8, &path, &err);
    if (st != MP_OK)
        return st;
    if (pr != NULL) {
        if ((pr->notify & MP_SMTP_NOTIFY_NEVER) && pr->notify != MP_SMTP_NOTIFY_NEVER)
            return MP_ERR_ARG;
        if (pr->notify > 15u)
            return MP_ERR_ARG;
        /* RFC 3461 §4.2 ORCPT=addr-type ";" xtext; the "utf-8" type of
         * RFC 6533 is not written, so the address must be ASCII. */
        for (i = 0; i < pr->orcpt.len; i++) {
            if ((unsigned char)pr->orcpt.ptr[i] >= 0x80)
                return MP_ERR_8BIT;
            if ((unsigned char)pr->orcpt.ptr[i] < 0x20)
                return MP_ERR_BAD_VALUE;
        }
        if (pr->orcpt.len > 0 && 7u + mp_smtp_xtext_encoded_len(pr->orcpt) >
                                     MP_SMTP_MAX_ORCPT)
            return MP_ERR_TOKEN_TOO_LONG;
    }
    m = mp_outbuf_mark(ob);
    mp_outbuf_puts(ob, "RCPT TO:<");
    mp_outbuf_put(ob, to.ptr, to.len);
    mp_outbuf_putc(ob, '>');
    if (pr != NULL) {
        if (pr->notify != 0) {
            mp_outbuf_puts(ob, " NOTIFY=");
            for (i = 0, sep = 0; i < 4; i++) {
                if (pr->notify & (1u << i)) {
                    if (sep++)
                        mp_outbuf_putc(ob, ',');
                    mp_outbuf_puts(ob, notes[i]);
                }
            }
        }
        if (pr->orcpt.len > 0) {
            mp_outbuf_puts(ob, " ORCPT=rfc822;");
            mp_smtp_xtext_put(ob, pr->orcpt);
        }
    }
    mp_outbuf_put(ob, "\r\n", 2);
    return finish(ob, m, MP_SMTP_MAX_COMMAND_LINE);
}

mp_status mp_smtp_write_bdat(mp_outbuf *ob, uint64_t size, int last)
{
    size_t m = mp_outbuf_mark(ob);
    mp_outbuf_puts(ob, "BDAT ");
    mp_outbuf_put_u64(ob, size);
    if (last)
        mp_outbuf_puts(ob, " LAST");
    mp_outbuf_put(ob, "\r\n", 2);
    return mp_outbuf_commit(ob, m);
}

mp_status mp_smtp_write_auth(mp_outbuf *ob, mp_slice mech, const void *initial,
                             size_t initial_len, int has_initial)
{
    size_t i, m;
    /* RFC 4422 §3.1: sasl-mech = 1*20mech-char, mech-char = UPPER-ALPHA /
     * DIGIT / HYPHEN / UNDERSCORE. */
    if (mech.len == 0 || mech.len > 20 || mech.ptr == NULL)
        return MP_ERR_BAD_VALUE;
    if (initial == NULL && initial_len != 0)
        return MP_ERR_ARG;
    for (i = 0; i < mech.len; i++) {
        char c = mech.ptr[i];
        if (!is_alnum((unsigned char)c) && c != '-' && c != '_')
            return MP_ERR_BAD_VALUE;
    }
    m = mp_outbuf_mark(ob);
    mp_outbuf_puts(ob, "AUTH ");
    for (i = 0; i < mech.len; i++) {
        char c = mech.ptr[i];
        mp_outbuf_putc(ob, (c >= 'a' && c <= 'z') ? (char)(c - 32) : c);
    }
    if (has_initial) {
        mp_outbuf_putc(ob, ' ');
        if (initial_len == 0)
            mp_outbuf_putc(ob, '='); /* RFC 4954 §4: empty initial response */
        else
            put_base64(ob, initial, initial_len);
    }
    mp_outbuf_put(ob, "\r\n", 2);
    return finish(ob, m, MP_SMTP_MAX_AUTH_LINE);
}

mp_status mp_smtp_write_auth_response(mp_outbuf *ob, const void *data, size_t len)
{
    size_t m;
    if (data == NULL && len != 0)
        return MP_ERR_ARG;
    m = mp_outbuf_mark(ob);
    put_base64(ob, data, len);
    mp_outbuf_put(ob, "\r\n", 2);
    return finish(ob, m, MP_SMTP_MAX_AUTH_LINE);
}

mp_status mp_smtp_write_auth_cancel(mp_outbuf *ob)
{
    size_t m = mp_outbuf_mark(ob);
    mp_outbuf_put(ob, "*\r\n", 3);
    return mp_outbuf_commit(ob, m);
}
