/* Output and exit through ARM semihosting (QEMU -semihosting, or a
 * debugger attached to a board). */
#ifndef FW_SEMIHOST_H
#define FW_SEMIHOST_H

#include <stddef.h>

void sh_write(const char *p, size_t n);
void sh_puts(const char *s);
/* Ends the program: QEMU exits 0 when ok, 1 otherwise. */
void sh_exit(int ok);

#endif
