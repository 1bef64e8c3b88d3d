/* A bare-metal C runtime for the Cortex-M4 tests on QEMU's mps2-an386:
 * the vector table, reset (data copied, bss zeroed, FPU on), and the
 * system calls newlib-nano needs, over Arm semihosting: standard output
 * and error, reading the vector files by path, the heap, and the exit
 * status (SYS_EXIT_EXTENDED, so that ctest sees the program's status).
 * Test code: it is not part of the library. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#undef errno
extern int errno;

int mp_semihost(int op, void *args); /* semihost.S */

enum {
    SYS_OPEN = 0x01,
    SYS_CLOSE = 0x02,
    SYS_WRITE0 = 0x04,
    SYS_WRITE = 0x05,
    SYS_READ = 0x06,
    SYS_SEEK = 0x0a,
    SYS_FLEN = 0x0c,
    SYS_EXIT_EXTENDED = 0x20
};
#define ADP_STOPPED_APPLICATION_EXIT 0x20026

/* From the linker script. */
extern uint32_t __data_start[], __data_end[], __data_load[], __bss_start[], __bss_end[];
extern char __heap_start[], __heap_end[], __stack_top[];

int main(void);
void mp_m4_reset(void);
_Noreturn void _exit(int status);
static void fault(void);

/* The environment of every test: where the vector files are (a host path,
 * opened through semihosting).  MP_M4_VECTORS comes from tests/CMakeLists.txt. */
extern char **environ;
static char env_vectors[] = "MP_VECTORS=" MP_M4_VECTORS;
static char *env[] = {env_vectors, NULL};

/* Initial stack pointer, reset, then the fault handlers (NMI, HardFault,
 * MemManage, BusFault, UsageFault); nothing enables an interrupt. */
typedef void (*mp_vector_fn)(void);
__attribute__((section(".vectors"), used)) static const mp_vector_fn vectors[7] = {
    (mp_vector_fn)(uintptr_t)__stack_top, mp_m4_reset, fault, fault, fault, fault, fault};

_Noreturn void _exit(int status)
{
    uint32_t args[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
    for (;;)
        mp_semihost(SYS_EXIT_EXTENDED, args);
}

static void fault(void)
{
    mp_semihost(SYS_WRITE0, "cortex-m4: fault (stack overflow or bad access)\n");
    _exit(134);
}

void mp_m4_reset(void)
{
    volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88u;
    uint32_t *s = __data_load, *d = __data_start;
    /* -mfloat-abi=hard: CP10 and CP11 full access before any FP instruction. */
    *cpacr |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    while (d < __data_end)
        *d++ = *s++;
    for (d = __bss_start; d < __bss_end; d++)
        *d = 0;
    environ = env;
    exit(main());
}

/* File descriptors: 0-2 are the console (":tt"), opened on first use;
 * the others are host files.  Semihosting seeks only to absolute
 * positions, so each descriptor keeps its own. */
#define MAX_FILES 8
static struct {
    int handle; /* semihosting handle + 1; 0 when closed */
    long pos;
} files[MAX_FILES];

static int handle_of(int fd)
{
    if (fd < 0 || fd >= MAX_FILES)
        return -1;
    if (files[fd].handle == 0 && fd <= 2) {
        /* ":tt" modes: 0 reads the console, 4 writes stdout, 8 stderr. */
        static const int modes[3] = {0, 4, 8};
        uint32_t args[3] = {(uint32_t)(uintptr_t)":tt", (uint32_t)modes[fd], 3};
        files[fd].handle = mp_semihost(SYS_OPEN, args) + 1;
    }
    return files[fd].handle - 1;
}

int _open(const char *path, int flags, ...)
{
    int fd, h, mode;
    uint32_t args[3];
    for (fd = 3; fd < MAX_FILES && files[fd].handle != 0; fd++)
        ;
    if (fd == MAX_FILES) {
        errno = EMFILE;
        return -1;
    }
    /* Binary modes of fopen: "rb" 1, "wb" 5, "ab" 9 (+1 for "+"). */
    mode = (flags & O_APPEND) ? 9 : (flags & (O_WRONLY | O_RDWR)) ? 5 : 1;
    if (flags & O_RDWR)
        mode++;
    args[0] = (uint32_t)(uintptr_t)path;
    args[1] = (uint32_t)mode;
    args[2] = (uint32_t)strlen(path);
    h = mp_semihost(SYS_OPEN, args);
    if (h < 0) {
        errno = ENOENT;
        return -1;
    }
    files[fd].handle = h + 1;
    files[fd].pos = 0;
    return fd;
}

int _close(int fd)
{
    uint32_t args[1];
    int h = handle_of(fd);
    if (h < 0 || fd <= 2)
        return h < 0 ? -1 : 0;
    args[0] = (uint32_t)h;
    files[fd].handle = 0;
    return mp_semihost(SYS_CLOSE, args) == 0 ? 0 : -1;
}

/* SYS_WRITE and SYS_READ: both answer with the bytes NOT transferred. */
static int transfer(int op, int fd, void *p, int n)
{
    uint32_t args[3];
    int h = handle_of(fd), left;
    if (h < 0) {
        errno = EBADF;
        return -1;
    }
    args[0] = (uint32_t)h;
    args[1] = (uint32_t)(uintptr_t)p;
    args[2] = (uint32_t)n;
    left = mp_semihost(op, args);
    if (left < 0 || left > n)
        return -1;
    files[fd].pos += n - left;
    return n - left;
}

int _write(int fd, const char *p, int n)
{
    return transfer(SYS_WRITE, fd, (void *)(uintptr_t)p, n);
}

int _read(int fd, char *p, int n) { return transfer(SYS_READ, fd, p, n); }

int _lseek(int fd, int off, int whence)
{
    uint32_t args[2];
    long pos;
    int h = handle_of(fd);
    if (h < 0 || fd <= 2) {
        errno = ESPIPE;
        return -1;
    }
    args[0] = (uint32_t)h;
    if (whence == SEEK_SET) {
        pos = off;
    } else if (whence == SEEK_CUR) {
        pos = files[fd].pos + off;
    } else {
        int len = mp_semihost(SYS_FLEN, args);
        if (len < 0)
            return -1;
        pos = (long)len + off;
    }
    args[1] = (uint32_t)pos;
    if (pos < 0 || mp_semihost(SYS_SEEK, args) != 0) {
        errno = EINVAL;
        return -1;
    }
    files[fd].pos = pos;
    return (int)pos;
}

int _fstat(int fd, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_mode = fd <= 2 ? S_IFCHR : S_IFREG;
    return 0;
}

int _isatty(int fd) { return fd <= 2; }

void *_sbrk(ptrdiff_t incr)
{
    static char *brk = __heap_start;
    char *old = brk;
    if (incr > __heap_end - brk || incr < __heap_start - brk) {
        errno = ENOMEM;
        return (void *)-1;
    }
    brk += incr;
    return old;
}

int _getpid(void) { return 1; }

int _kill(int pid, int sig)
{
    (void)pid;
    _exit(128 + sig); /* abort() comes here */
}
