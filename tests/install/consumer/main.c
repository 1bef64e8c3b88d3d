#include <stdio.h>
#include <string.h>

#include <mailproto/mailproto.h>

int main(void)
{
    const char *s = mp_strerror(MP_ERR_BARE_LF);
    if (strcmp(s, "bare LF (LF not preceded by CR)") != 0) {
        fprintf(stderr, "unexpected: %s\n", s);
        return 1;
    }
    /* the umbrella header brings every protocol's declarations */
    if (strcmp(mp_imap_code_name(MP_IMAP_CODE_ALERT), "ALERT") != 0) {
        fprintf(stderr, "unexpected IMAP code name\n");
        return 1;
    }
    puts("consumer: ok");
    return 0;
}
