/* Status texts (mp_strerror), in their own object so that only a firmware
 * that asks for them links them (about 4.5 KB on Cortex-M4). */
#include "mailproto/config.h"
#include "mailproto/core.h"
#include "status_int.h"

#if MP_ENABLE_STATUS_TEXT
#define MP_STATUS_TEXT_(name, value, text) text,
static const char *const status_texts[] = { MP_STATUS_TABLE(MP_STATUS_TEXT_) };
#undef MP_STATUS_TEXT_

const char *mp_strerror(mp_status s)
{
    size_t i = mp_status_index_(s);
    return i == MP_STATUS_NONE_ ? "unknown status" : status_texts[i];
}
#else
const char *mp_strerror(mp_status s) { return mp_status_name(s); }
#endif
