/* POP3 capabilities (RFC 2449 §5-§6, RFC 2595 §4, RFC 3206 §6, RFC 6856
 * §2-§3): one table read by the CAPA line parser (client) and the CAPA
 * writer (server), so what one writes the other reads back. */
#include <string.h>

#include "grammar.h"
#include "mailproto/sasl.h"

/* How a capability's arguments look. */
enum {
    C_NONE,   /* no argument */
    C_SASL,   /* mechanism names */
    C_DELAY,  /* seconds [SP "USER"] (RFC 2449 §6.5) */
    C_EXPIRE, /* days / "NEVER" [SP "USER"] (RFC 2449 §6.7) */
    C_TEXT,   /* free text (IMPLEMENTATION, RFC 2449 §6.9) */
    C_USER    /* [SP "USER"] (UTF8, RFC 6856 §2) */
};

/* In RFC 2449 §6 order, then the later RFCs; the writer keeps it. */
static const struct {
    const char *name;
    uint32_t bit;
    uint32_t user;  /* the modifier bit of "USER", or 0 */
    uint8_t args;
} caps_table[] = {
    { "TOP", MP_POP3_CAP_TOP, 0, C_NONE },
    { "USER", MP_POP3_CAP_USER, 0, C_NONE },
    { "SASL", MP_POP3_CAP_SASL, 0, C_SASL },
    { "RESP-CODES", MP_POP3_CAP_RESP_CODES, 0, C_NONE },
    { "LOGIN-DELAY", MP_POP3_CAP_LOGIN_DELAY, MP_POP3_CAP_LOGIN_DELAY_USER, C_DELAY },
    { "PIPELINING", MP_POP3_CAP_PIPELINING, 0, C_NONE },
    { "EXPIRE", MP_POP3_CAP_EXPIRE, MP_POP3_CAP_EXPIRE_USER, C_EXPIRE },
    { "UIDL", MP_POP3_CAP_UIDL, 0, C_NONE },
    { "IMPLEMENTATION", MP_POP3_CAP_IMPLEMENTATION, 0, C_TEXT },
    { "STLS", MP_POP3_CAP_STLS, 0, C_NONE },
    { "AUTH-RESP-CODE", MP_POP3_CAP_AUTH_RESP_CODE, 0, C_NONE },
    { "UTF8", MP_POP3_CAP_UTF8, MP_POP3_CAP_UTF8_USER, C_USER },
    { "LANG", MP_POP3_CAP_LANG, 0, C_NONE },
};

#define NCAPS (sizeof(caps_table) / sizeof(caps_table[0]))

void mp_pop3_caps_init(mp_pop3_caps *caps)
{
    memset(caps, 0, sizeof(*caps));
}

/* The next SP-separated parameter of s[*i..n) (runs of SP skipped: some
 * servers end lines with one), empty at the end. */
static mp_slice param(mp_slice s, size_t *i)
{
    size_t b;
    while (*i < s.len && s.ptr[*i] == ' ')
        (*i)++;
    b = *i;
    while (*i < s.len && s.ptr[*i] != ' ')
        (*i)++;
    return mp_slice_make(s.ptr + b, *i - b);
}

mp_status mp_pop3_caps_parse_line(mp_pop3_caps *caps, mp_slice line, uint32_t *bit)
{
    size_t i = 0, k;
    mp_slice tag = param(line, &i), a, b;
    uint32_t user = 0, value = 0;
    uint64_t v;

    *bit = 0;
    for (k = 0; k < NCAPS; k++)
        if (mp_slice_eq_ci(tag, caps_table[k].name, strlen(caps_table[k].name)))
            break;
    /* RFC 2449 §5: a tag the client does not know is ignored. */
    if (k == NCAPS || tag.ptr != line.ptr)
        return MP_OK;
    a = param(line, &i);
    b = param(line, &i);
    switch (caps_table[k].args) {
    case C_SASL:
        if (line.len > tag.len)
            caps->sasl |= mp_sasl_mechs_parse(line.ptr + tag.len, line.len - tag.len, 0);
        b = mp_slice_make(NULL, 0);
        break;
    case C_TEXT:
        b = mp_slice_make(NULL, 0);
        break;
    case C_DELAY:
    case C_EXPIRE:
        if (caps_table[k].args == C_EXPIRE && mp_slice_eq_ci(a, "NEVER", 5)) {
            value = MP_POP3_EXPIRE_NEVER;
        } else {
            if (mp_parse_u64(a, UINT32_MAX - 1u, &v) != MP_OK)
                return MP_ERR_POP3_LISTING;
            value = (uint32_t)v;
        }
        if (b.len > 0 && !mp_slice_eq_ci(b, "USER", 4))
            return MP_ERR_POP3_LISTING;
        user = b.len > 0 ? caps_table[k].user : 0u;
        b = param(line, &i);
        break;
    case C_USER:
        if (a.len > 0 && !mp_slice_eq_ci(a, "USER", 4))
            return MP_ERR_POP3_LISTING;
        user = a.len > 0 ? caps_table[k].user : 0u;
        break;
    default:
        b = a;
        break;
    }
    if (b.len > 0)
        return MP_ERR_POP3_LISTING;
    if (caps_table[k].args == C_DELAY)
        caps->login_delay = value;
    else if (caps_table[k].args == C_EXPIRE)
        caps->expire = value;
    caps->flags |= caps_table[k].bit | user;
    *bit = caps_table[k].bit;
    return MP_OK;
}

/* IMPLEMENTATION text: printable ASCII and SP, not starting with SP. */
static int impl_valid(mp_slice s)
{
    size_t i;
    if (s.len > 0 && s.ptr[0] == ' ')
        return 0;
    for (i = 0; i < s.len; i++)
        if ((unsigned char)s.ptr[i] < 0x20 || (unsigned char)s.ptr[i] > 0x7e)
            return 0;
    return 1;
}

mp_status mp_pop3_write_capa(mp_outbuf *ob, const mp_pop3_caps *caps, mp_slice implementation)
{
    size_t mark, k, line_mark;
    unsigned m;
    if (ob == NULL || caps == NULL || (implementation.ptr == NULL && implementation.len != 0))
        return MP_ERR_ARG;
    if ((caps->flags & MP_POP3_CAP_IMPLEMENTATION) && !impl_valid(implementation))
        return MP_ERR_BAD_VALUE;
    mark = mp_outbuf_mark(ob);
    for (k = 0; k < NCAPS; k++) {
        uint32_t value = caps_table[k].args == C_DELAY ? caps->login_delay : caps->expire;
        if (!(caps->flags & caps_table[k].bit))
            continue;
        line_mark = ob->want;
        mp_outbuf_puts(ob, caps_table[k].name);
        switch (caps_table[k].args) {
        case C_SASL:
            for (m = 1; m < MP_SASL_MECH_COUNT; m++)
                if (caps->sasl & MP_SASL_MECH_BIT(m)) {
                    mp_outbuf_putc(ob, ' ');
                    mp_outbuf_puts(ob, mp_sasl_mech_get((mp_sasl_mech)m)->name);
                }
            break;
        case C_DELAY:
        case C_EXPIRE:
            mp_outbuf_putc(ob, ' ');
            if (caps_table[k].args == C_EXPIRE && value == MP_POP3_EXPIRE_NEVER)
                mp_outbuf_puts(ob, "NEVER");
            else if (value == UINT32_MAX) {
                mp_outbuf_rollback(ob, mark);
                return MP_ERR_BAD_VALUE;
            } else
                mp_outbuf_put_u64(ob, value);
            /* fall through */
        case C_USER:
            if (caps->flags & caps_table[k].user)
                mp_outbuf_puts(ob, " USER");
            break;
        case C_TEXT:
            if (implementation.len > 0) {
                mp_outbuf_putc(ob, ' ');
                mp_outbuf_put(ob, implementation.ptr, implementation.len);
            }
            break;
        default:
            break;
        }
        if (ob->want - line_mark > MP_POP3_MAX_RESPONSE_LINE - 2u) {
            mp_outbuf_rollback(ob, mark);
            return MP_ERR_LINE_TOO_LONG;
        }
        mp_outbuf_put(ob, "\r\n", 2);
    }
    return mp_outbuf_commit(ob, mark);
}
