/* Minimal Cortex-M4 start: vector table, .data/.bss set-up, main, exit;
 * and the semihosting calls (semihost.h).  Enough for QEMU's mps2-an386;
 * a real board uses its vendor's startup file instead (README.md). */
#include <stdint.h>
#include <string.h>

#include "semihost.h"

extern uint32_t __stack_top, __data_load, __data_start, __data_end, __bss_start, __bss_end;
int main(void);

/* SYS_WRITE0, SYS_EXIT (ARM semihosting specification). */
#define SH_WRITE0 0x04
#define SH_EXIT 0x18
#define SH_EXIT_OK 0x20026u    /* ADP_Stopped_ApplicationExit */
#define SH_EXIT_ERROR 0x20023u /* ADP_Stopped_RunTimeErrorUnknown */

static int sh_call(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void sh_write(const char *p, size_t n)
{
    char buf[128];
    while (n > 0) {
        size_t k = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1;
        memcpy(buf, p, k);
        buf[k] = '\0';
        (void)sh_call(SH_WRITE0, buf);
        p += k;
        n -= k;
    }
}

void sh_puts(const char *s) { sh_write(s, strlen(s)); }

void sh_exit(int ok)
{
    for (;;)
        (void)sh_call(SH_EXIT, (const void *)(uintptr_t)(ok ? SH_EXIT_OK : SH_EXIT_ERROR));
}

void reset_handler(void)
{
    memcpy(&__data_start, &__data_load,
           (size_t)((char *)&__data_end - (char *)&__data_start));
    memset(&__bss_start, 0, (size_t)((char *)&__bss_end - (char *)&__bss_start));
    sh_exit(main() == 0);
}

static void fault_handler(void)
{
    sh_puts("fault\n");
    sh_exit(0);
}

/* Initial stack pointer, reset, then NMI and the faults. */
__attribute__((section(".vectors"), used)) static void (*const vectors[])(void) = {
    (void (*)(void))(uintptr_t)&__stack_top, reset_handler, fault_handler, fault_handler,
    fault_handler, fault_handler, fault_handler,
};
