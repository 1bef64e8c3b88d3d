/* Private to status.c and status_text.c: the row of a status in the
 * MP_STATUS_TABLE (core.h), MP_STATUS_NONE_ for a value outside it. */
#ifndef MP_STATUS_INT_H
#define MP_STATUS_INT_H

#include <stddef.h>

#include "mailproto/core.h"

#define MP_STATUS_NONE_ ((size_t)-1)
size_t mp_status_index_(mp_status s);

#endif
