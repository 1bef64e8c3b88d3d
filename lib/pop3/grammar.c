/* POP3 grammar shared by both directions (lib/pop3/grammar.h). */
#include <string.h>

#include "mailproto/crypto.h"
#include "grammar.h"

/* RFC 1939 §3: keywords are three or four characters, case-insensitive. */
static const mp_pop3_verb_row_ verbs[] = {
    { "USER", MP_POP3_USER, MP_POP3_A_NAME },   { "PASS", MP_POP3_PASS, MP_POP3_A_REST },
    { "APOP", MP_POP3_APOP, MP_POP3_A_APOP },   { "AUTH", MP_POP3_AUTH, MP_POP3_A_AUTH },
    { "STAT", MP_POP3_STAT, MP_POP3_A_NONE },   { "LIST", MP_POP3_LIST, MP_POP3_A_MSG_OPT },
    { "RETR", MP_POP3_RETR, MP_POP3_A_MSG },    { "DELE", MP_POP3_DELE, MP_POP3_A_MSG },
    { "NOOP", MP_POP3_NOOP, MP_POP3_A_NONE },   { "RSET", MP_POP3_RSET, MP_POP3_A_NONE },
    { "QUIT", MP_POP3_QUIT, MP_POP3_A_NONE },   { "TOP", MP_POP3_TOP, MP_POP3_A_TOP },
    { "UIDL", MP_POP3_UIDL, MP_POP3_A_MSG_OPT }, { "CAPA", MP_POP3_CAPA, MP_POP3_A_NONE },
    { "STLS", MP_POP3_STLS, MP_POP3_A_NONE },   { "UTF8", MP_POP3_UTF8, MP_POP3_A_NONE },
    { "LANG", MP_POP3_LANG, MP_POP3_A_LANG },
};

/* Indexed by mp_pop3_shape_. */
const uint8_t mp_pop3_shape_min_[] = { 0, 1, 1, 2, 0, 0, 1, 2, 0 };
const uint8_t mp_pop3_shape_max_[] = { 0, 1, 1, 2, 2, 1, 1, 2, 1 };

const mp_pop3_verb_row_ *mp_pop3_verb_info_(mp_pop3_verb v)
{
    /* The table is in enum order from MP_POP3_USER. */
    if ((unsigned)v < (unsigned)MP_POP3_USER || (unsigned)v >= (unsigned)MP_POP3_VERB_COUNT_)
        return NULL;
    return &verbs[(unsigned)v - (unsigned)MP_POP3_USER];
}

const mp_pop3_verb_row_ *mp_pop3_verb_find_(const char *p, size_t n)
{
    size_t i;
    if (n < 3 || n > 4)
        return NULL;
    for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (mp_slice_eq_ci(mp_slice_make(p, n), verbs[i].name, strlen(verbs[i].name)))
            return &verbs[i];
    return NULL;
}

const char *mp_pop3_verb_name(mp_pop3_verb v)
{
    const mp_pop3_verb_row_ *vi = mp_pop3_verb_info_(v);
    return vi ? vi->name : "?";
}

void mp_pop3_limits_get_(const mp_pop3_limits *lim, uint32_t *line, uint32_t *arg)
{
    *line = lim && lim->command_line ? lim->command_line : MP_POP3_MAX_COMMAND_LINE;
    *arg = lim && lim->arg ? lim->arg : MP_POP3_MAX_ARG;
}

mp_status mp_pop3_number_(const char *p, size_t n, uint32_t min, uint32_t *out)
{
    uint64_t v;
    /* One spelling per value: no sign, no leading zero (RFC 1939 gives
     * message numbers as plain decimals). */
    if (n == 0 || (n > 1 && p[0] == '0') ||
        mp_parse_u64(mp_slice_make(p, n), MP_POP3_MSGNO_MAX, &v) != MP_OK || v < min)
        return MP_ERR_POP3_NUMBER;
    *out = (uint32_t)v;
    return MP_OK;
}

mp_status mp_pop3_arg_ascii_(const char *p, size_t n, int eight_ok, int space, size_t *bad,
                            int *eight)
{
    size_t i;
    *eight = 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x80) {
            if (!eight_ok) {
                *bad = i;
                return MP_ERR_8BIT;
            }
            *eight = 1;
        } else if (c < 0x20 || c == 0x7f || (c == ' ' && !space)) {
            /* RFC 1939 §3: arguments are printable ASCII. */
            *bad = i;
            return MP_ERR_POP3_SYNTAX;
        }
    }
    return MP_OK;
}

mp_status mp_pop3_arg_check_(const char *p, size_t n, unsigned flags, int space, size_t *bad)
{
    int eight;
    mp_status st = mp_pop3_arg_ascii_(p, n, (flags & MP_POP3_CMD_UTF8) != 0, space, bad, &eight);
    /* RFC 6856 §2: after UTF8, user names and passwords are UTF-8. */
    if (st == MP_OK && eight && !mp_utf8_valid(p, n, bad))
        return MP_ERR_UTF8;
    return st;
}

static int is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20u) >= 'a' && (c | 0x20u) <= 'z');
}

int mp_pop3_mech_valid_(const char *p, size_t n)
{
    size_t i;
    if (n == 0 || n > 20)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!is_alnum(c) && c != '-' && c != '_')
            return 0;
    }
    return 1;
}

int mp_pop3_lang_valid_(const char *p, size_t n)
{
    size_t i, run = 0;
    if (n == 1 && p[0] == '*')
        return 1;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '-' && run > 0) {
            run = 0;
        } else if (is_alnum(c) && run < 8) {
            run++;
        } else {
            return 0;
        }
    }
    return run > 0;
}

int mp_pop3_digest_valid_(const char *p, size_t n)
{
    size_t i;
    if (n != 32)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (!((c >= '0' && c <= '9') || ((c | 0x20u) >= 'a' && (c | 0x20u) <= 'f')))
            return 0;
    }
    return 1;
}

size_t mp_pop3_b64_check_(const char *p, size_t n, int *ok)
{
    /* The core's strict decoder judges, in pieces through a small buffer:
     * only the verdict matters, never the bytes. */
    mp_base64_decoder d;
    uint8_t tmp[MP_BASE64_DECODED_MAX(64u + 3u)];
    size_t i = 0, out;
    mp_base64_decoder_init(&d, 0);
    while (i < n) {
        size_t k = n - i < 64u ? n - i : 64u;
        if (mp_base64_decoder_update(&d, p + i, k, tmp, &out) != MP_OK) {
            *ok = 0;
            return (size_t)d.pos;
        }
        i += k;
    }
    if (mp_base64_decoder_finish(&d, tmp, &out) != MP_OK) {
        *ok = 0;
        return n;
    }
    *ok = 1;
    return n;
}

int mp_pop3_uid_valid_(const char *p, size_t n)
{
    size_t i;
    if (n == 0 || n > MP_POP3_MAX_UID)
        return 0;
    for (i = 0; i < n; i++)
        if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
            return 0;
    return 1;
}

size_t mp_pop3_text_bad_(const char *p, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++) {
        unsigned c = (unsigned char)p[i];
        /* Printable ASCII (nearly every byte) in one comparison. */
        if (c - 0x20u < 0x5fu)
            continue;
        if ((c < 0x20u && c != '\t') || c == 0x7fu)
            return i;
    }
    return n;
}

int mp_pop3_code_valid_(const char *p, size_t n)
{
    size_t i, level = 0;
    /* resp-level *("/" resp-level), resp-level = 1*rchar, rchar =
     * printable ASCII but "/" and "]". */
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '/') {
            if (level == 0)
                return 0;
            level = 0;
        } else if (c >= 0x21 && c <= 0x7e && c != ']') {
            level++;
        } else {
            return 0;
        }
    }
    return level > 0;
}

size_t mp_pop3_code_len_(const char *p, size_t n)
{
    const char *close;
    if (n < 3 || p[0] != '[')
        return 0;
    close = memchr(p + 1, ']', n - 1);
    if (close == NULL || !mp_pop3_code_valid_(p + 1, (size_t)(close - p) - 1u))
        return 0;
    return (size_t)(close - p) + 1u;
}

void mp_pop3_put_base64_(mp_outbuf *ob, const void *data, size_t len)
{
    const uint8_t *p = data;
    char tmp[MP_BASE64_ENCODED_LEN(48u + 2u)];
    mp_base64_encoder e;
    size_t i;
    mp_base64_encoder_init(&e);
    for (i = 0; i < len; i += 48u) {
        size_t k = len - i < 48u ? len - i : 48u;
        mp_outbuf_put(ob, tmp, mp_base64_encoder_update(&e, p + i, k, tmp));
    }
    mp_outbuf_put(ob, tmp, mp_base64_encoder_finish(&e, tmp));
}

mp_status mp_pop3_write_b64_line_(mp_outbuf *ob, const char *prefix, const void *data,
                                   size_t len)
{
    size_t mark, plen = strlen(prefix);
    if (ob == NULL || (data == NULL && len != 0))
        return MP_ERR_ARG;
    /* RFC 5034 §4 sets no bound; MP_POP3_MAX_AUTH_LINE is this library's
     * for both directions, so what one side writes the other reads. */
    if (len > MP_POP3_MAX_AUTH_LINE ||
        MP_BASE64_ENCODED_LEN(len) > MP_POP3_MAX_AUTH_LINE - 2u - plen)
        return MP_ERR_LINE_TOO_LONG;
    mark = mp_outbuf_mark(ob);
    mp_outbuf_put(ob, prefix, plen);
    mp_pop3_put_base64_(ob, data, len);
    mp_outbuf_put(ob, "\r\n", 2);
    return mp_outbuf_commit(ob, mark);
}

mp_slice mp_pop3_timestamp_find_(const char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *lt = memchr(p + i, '<', n - i);
        size_t s, j, at = 0;
        if (lt == NULL)
            break;
        s = (size_t)(lt - p);
        for (j = s + 1; j < n; j++) {
            unsigned char c = (unsigned char)p[j];
            if (c == '>' || c == '<' || c < 0x21 || c > 0x7e)
                break;
            if (c == '@' && at == 0)
                at = j;
        }
        if (j < n && p[j] == '>' && at > s + 1 && at + 1 < j)
            return mp_slice_make(p + s, j + 1 - s);
        i = s + 1;
    }
    return mp_slice_make(p + n, 0);
}

/* ----------------------------------------------------------------------- */
/* Response codes (RFC 2449 §8, RFC 3206, RFC 6856 §5)                     */
/* ----------------------------------------------------------------------- */

static const char *const code_texts[MP_POP3_CODE_COUNT_] = {
#define MP_POP3_CODE_TEXT_(name, text) text,
    MP_POP3_CODE_TABLE(MP_POP3_CODE_TEXT_)
#undef MP_POP3_CODE_TEXT_
};

const char *mp_pop3_code_text(mp_pop3_code c)
{
    return (unsigned)c < (unsigned)MP_POP3_CODE_COUNT_ ? code_texts[c] : "";
}

mp_pop3_code mp_pop3_code_of(mp_slice text)
{
    unsigned i, best = MP_POP3_CODE_UNKNOWN;
    size_t best_len = 0;
    /* RFC 2449 §8: codes are hierarchical; a client that knows "SYS/TEMP"
     * understands "SYS/TEMP/anything" as it. */
    for (i = MP_POP3_CODE_UNKNOWN + 1; i < MP_POP3_CODE_COUNT_; i++) {
        size_t k = strlen(code_texts[i]);
        if (k > text.len || k <= best_len)
            continue;
        if ((k == text.len || text.ptr[k] == '/') &&
            mp_slice_eq_ci(mp_slice_make(text.ptr, k), code_texts[i], k)) {
            best = i;
            best_len = k;
        }
    }
    return (mp_pop3_code)best;
}

mp_status mp_pop3_apop_digest_(const mp_crypto_provider *crypto, mp_slice ts, mp_slice secret,
                               uint8_t out[16])
{
    mp_hash_ctx ctx;
    const mp_hash_class *md5 = crypto != NULL ? crypto->md5 : NULL;
    if (md5 == NULL || md5->digest_size != 16)
        return MP_ERR_UNSUPPORTED;
    /* RFC 1939 §7: digest = MD5(timestamp || secret). */
    md5->init(&ctx);
    md5->update(&ctx, ts.ptr, ts.len);
    md5->update(&ctx, secret.ptr, secret.len);
    md5->final(&ctx, out);
    mp_wipe(&ctx, sizeof(ctx));
    return MP_OK;
}
