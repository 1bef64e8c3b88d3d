/* A firmware that logs errors by name (mp_status_name). */
#include "mailproto/core.h"
volatile const char *sink;
int main(void)
{
    sink = mp_status_name(MP_ERR_BARE_LF);
    return 0;
}
