#include <stdio.h>
#include <string.h>

#include <mailproto/core.h>

int main(void)
{
    const char *s = mp_strerror(MP_ERR_BARE_LF);
    if (strcmp(s, "bare LF (LF not preceded by CR)") != 0) {
        fprintf(stderr, "unexpected: %s\n", s);
        return 1;
    }
    puts("consumer: ok");
    return 0;
}
