/* Status texts and names, generated from the one table in core.h. */
#include "mailproto/core.h"

typedef struct status_entry {
    mp_status code;
    const char *name;
    const char *text;
} status_entry;

static const status_entry status_table[] = {
#define MP_STATUS_ROW_(name, value, text) { name, #name, text },
    MP_STATUS_TABLE(MP_STATUS_ROW_)
#undef MP_STATUS_ROW_
};

static const status_entry *status_find(mp_status s)
{
    size_t i;
    for (i = 0; i < sizeof(status_table) / sizeof(status_table[0]); i++)
        if (status_table[i].code == s)
            return &status_table[i];
    return NULL;
}

const char *mp_strerror(mp_status s)
{
    const status_entry *e = status_find(s);
    return e ? e->text : "unknown status";
}

const char *mp_status_name(mp_status s)
{
    const status_entry *e = status_find(s);
    return e ? e->name : "MP_UNKNOWN";
}
