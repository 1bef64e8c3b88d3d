/* The cmocka-compatible subset (cmocka.h): one test at a time, a failed
 * assertion longjmps back to the runner, which reports the test and goes
 * on with the next. */
#include "cmocka.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { RUNNING, FAILED, SKIPPED };

static jmp_buf test_jump;
static int test_state;
static int in_test;

void print_message(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    vprintf(format, ap);
    va_end(ap);
    fflush(stdout);
}

void print_error(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    vfprintf(stderr, format, ap);
    va_end(ap);
}

static _Noreturn void stop(int state)
{
    test_state = state;
    if (in_test)
        longjmp(test_jump, 1);
    /* An assertion outside a test (a group fixture): nothing to go back to. */
    print_error("assertion failed outside a test\n");
    fflush(stdout);
    _Exit(1);
}

void _mp_cm_check(int ok, const char *expr, const char *file, int line)
{
    if (ok)
        return;
    print_error("%s\n", expr);
    print_error("%s:%d: error: Failure!\n", file, line);
    stop(FAILED);
}

void _mp_cm_int(LargestIntegralType a, LargestIntegralType b, int equal, const char *file,
                int line)
{
    if ((a == b) == equal)
        return;
    print_error("%ju (%#jx) %s %ju (%#jx)\n", a, a, equal ? "!=" : "==", b, b);
    print_error("%s:%d: error: Failure!\n", file, line);
    stop(FAILED);
}

void _mp_cm_string(const char *a, const char *b, int equal, const char *file, int line)
{
    if ((strcmp(a, b) == 0) == equal)
        return;
    print_error("\"%s\" %s \"%s\"\n", a, equal ? "!=" : "==", b);
    print_error("%s:%d: error: Failure!\n", file, line);
    stop(FAILED);
}

void _mp_cm_memory(const void *a, const void *b, size_t n, int equal, const char *file,
                   int line)
{
    const unsigned char *x = a, *y = b;
    size_t i;
    for (i = 0; i < n && x[i] == y[i]; i++)
        ;
    if ((i == n) == equal)
        return;
    if (equal)
        print_error("difference at byte %zu: 0x%02x != 0x%02x\n", i, x[i], y[i]);
    else
        print_error("%zu bytes are equal\n", n);
    print_error("%s:%d: error: Failure!\n", file, line);
    stop(FAILED);
}

void _mp_cm_fail(const char *file, int line, const char *format, ...)
{
    if (format != NULL) {
        va_list ap;
        va_start(ap, format);
        vfprintf(stderr, format, ap);
        va_end(ap);
        print_error("\n");
    }
    print_error("%s:%d: error: Failure!\n", file, line);
    stop(FAILED);
}

void _mp_cm_skip(const char *file, int line)
{
    (void)file;
    (void)line;
    stop(SKIPPED);
}

/* Runs one fixture or test function under the jump buffer; returns the
 * state it ended in. */
static int run_test(const struct CMUnitTest *t, void **state)
{
    volatile int setup_ok = 1;
    test_state = RUNNING;
    in_test = 1;
    if (setjmp(test_jump) == 0) {
        if (t->setup_func != NULL && t->setup_func(state) != 0) {
            setup_ok = 0;
            print_error("setup failed\n");
            test_state = FAILED;
        } else {
            t->test_func(state);
        }
    }
    in_test = 0;
    if (setup_ok && t->teardown_func != NULL && t->teardown_func(state) != 0 &&
        test_state == RUNNING) {
        print_error("teardown failed\n");
        test_state = FAILED;
    }
    return test_state;
}

int _cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *tests,
                            size_t count, CMFixtureFunction group_setup,
                            CMFixtureFunction group_teardown)
{
    void *group_state = NULL;
    size_t i, passed = 0, failed = 0, skipped = 0;
    printf("[==========] %s: Running %zu test(s).\n", group_name, count);
    if (group_setup != NULL && group_setup(&group_state) != 0) {
        printf("[  ERROR   ] %s: group setup failed\n", group_name);
        return (int)count;
    }
    for (i = 0; i < count; i++) {
        void *state = tests[i].initial_state != NULL ? tests[i].initial_state : group_state;
        int r;
        printf("[ RUN      ] %s\n", tests[i].name);
        fflush(stdout);
        r = run_test(&tests[i], &state);
        fflush(stderr);
        if (r == FAILED) {
            failed++;
            printf("[  FAILED  ] %s\n", tests[i].name);
        } else if (r == SKIPPED) {
            skipped++;
            printf("[  SKIPPED ] %s\n", tests[i].name);
        } else {
            passed++;
            printf("[       OK ] %s\n", tests[i].name);
        }
    }
    if (group_teardown != NULL && group_teardown(&group_state) != 0) {
        printf("[  ERROR   ] %s: group teardown failed\n", group_name);
        failed++;
    }
    printf("[==========] %s: %zu test(s) run.\n", group_name, count);
    printf("[  PASSED  ] %zu test(s).\n", passed);
    if (skipped != 0)
        printf("[  SKIPPED ] %zu test(s).\n", skipped);
    if (failed != 0)
        printf("[  FAILED  ] %zu test(s).\n", failed);
    fflush(stdout);
    return (int)failed;
}
