/* Status texts and names, generated from the one table in core.h. */
#include "mailproto/config.h"
#include "mailproto/core.h"

typedef struct status_entry {
    const char *name;
#if MP_ENABLE_STATUS_TEXT
    const char *text;
#endif
    unsigned char code; /* mp_status values fit in a byte (MP_STATUS_MAX_) */
} status_entry;

#if MP_ENABLE_STATUS_TEXT
#define MP_STATUS_ROW_(name, value, text) { #name, text, value },
#else
#define MP_STATUS_ROW_(name, value, text) { #name, value },
#endif
static const status_entry status_table[] = {
    MP_STATUS_TABLE(MP_STATUS_ROW_)
};
#undef MP_STATUS_ROW_

static const status_entry *status_find(mp_status s)
{
    size_t i;
    for (i = 0; i < sizeof(status_table) / sizeof(status_table[0]); i++)
        if (status_table[i].code == (unsigned)s)
            return &status_table[i];
    return NULL;
}

const char *mp_strerror(mp_status s)
{
    const status_entry *e = status_find(s);
#if MP_ENABLE_STATUS_TEXT
    return e ? e->text : "unknown status";
#else
    return e ? e->name : "MP_UNKNOWN";
#endif
}

const char *mp_status_name(mp_status s)
{
    const status_entry *e = status_find(s);
    return e ? e->name : "MP_UNKNOWN";
}
