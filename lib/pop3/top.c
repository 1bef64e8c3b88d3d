/* TOP (RFC 1939 §7): the header, the blank line, then n body lines, cut
 * from the host's message stream as it comes.  LF ends a line (CRLF too:
 * its LF); a CR alone does not. */
#include <string.h>

#include "mailproto/pop3.h"

enum {
    T_LS = 0, /* at the start of a header line */
    T_LS_CR,  /* a CR at the start of a header line: a blank CRLF line? */
    T_MID,    /* inside a header line */
    T_BODY,   /* counting body lines */
    T_DONE
};

void mp_pop3_top_init(mp_pop3_top_cutter *t, uint32_t lines)
{
    t->lines_left = lines;
    t->state = T_LS;
}

mp_status mp_pop3_top_cut(mp_pop3_top_cutter *t, const char *in, size_t len, size_t *take)
{
    size_t i = 0;
    const char *nl;
    *take = 0;
    if (t->state == T_DONE)
        return MP_DONE;
    if (in == NULL && len != 0)
        return MP_ERR_ARG;
    while (i < len) {
        switch (t->state) {
        case T_LS:
            if (in[i] == '\n') {
                i++;
                t->state = T_BODY; /* the blank line ends the header */
            } else if (in[i] == '\r') {
                i++;
                t->state = T_LS_CR;
            } else {
                t->state = T_MID;
            }
            break;
        case T_LS_CR:
            if (in[i] == '\n') {
                i++;
                t->state = T_BODY;
            } else {
                t->state = T_MID;
            }
            break;
        case T_MID:
            nl = memchr(in + i, '\n', len - i);
            if (nl == NULL) {
                i = len;
            } else {
                i = (size_t)(nl - in) + 1;
                t->state = T_LS;
            }
            break;
        case T_BODY:
            if (t->lines_left == 0) {
                t->state = T_DONE;
                *take = i;
                return MP_DONE;
            }
            nl = memchr(in + i, '\n', len - i);
            if (nl == NULL) {
                i = len;
            } else {
                i = (size_t)(nl - in) + 1;
                t->lines_left--;
            }
            break;
        default:
            *take = i;
            return MP_DONE;
        }
    }
    /* The cut may fall exactly at the end of this input. */
    if (t->state == T_BODY && t->lines_left == 0) {
        t->state = T_DONE;
        *take = len;
        return MP_DONE;
    }
    *take = len;
    return MP_OK;
}
