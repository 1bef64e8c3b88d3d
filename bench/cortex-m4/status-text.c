/* A firmware that logs errors in English (mp_strerror). */
#include "mailproto/core.h"
volatile const char *sink;
int main(void)
{
    sink = mp_strerror(MP_ERR_BARE_LF);
    return 0;
}
