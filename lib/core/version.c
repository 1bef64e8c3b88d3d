/* The library's own version, as the headers it was built with say
 * (include/mailproto/version.h). */
#include "mailproto/version.h"

const char *mp_version(void)
{
    return MP_VERSION_STRING;
}

unsigned long mp_version_number(void)
{
    return (unsigned long)MP_VERSION_NUMBER;
}
