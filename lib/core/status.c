/* Status names, generated from the one table in core.h.  The English
 * texts are in status_text.c: a firmware that logs names links no text. */
#include "mailproto/config.h"
#include "mailproto/core.h"
#include "status_int.h"

#define MP_STATUS_CODE_(name, value, text) value,
static const unsigned char status_codes[] = { MP_STATUS_TABLE(MP_STATUS_CODE_) };
#undef MP_STATUS_CODE_

#define MP_STATUS_NAME_(name, value, text) #name,
static const char *const status_names[] = { MP_STATUS_TABLE(MP_STATUS_NAME_) };
#undef MP_STATUS_NAME_

size_t mp_status_index_(mp_status s)
{
    size_t i;
    for (i = 0; i < sizeof(status_codes); i++)
        if (status_codes[i] == (unsigned)s)
            return i;
    return MP_STATUS_NONE_;
}

const char *mp_status_name(mp_status s)
{
    size_t i = mp_status_index_(s);
    return i == MP_STATUS_NONE_ ? "MP_UNKNOWN" : status_names[i];
}
