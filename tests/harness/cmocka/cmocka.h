/* A cmocka-compatible subset for targets without cmocka (the Cortex-M4
 * tests): the API our tests use, with the same names, the same integer
 * comparison (both sides widened to the largest integral type) and the
 * same exit value (the number of failed tests).  Test groups, setup and
 * teardown, assertions, fail, skip, print_message and print_error; no
 * mocks, no expectations, no test allocator.  A failed assertion ends its
 * test with longjmp, as cmocka does. */
#ifndef MP_CMOCKA_SHIM_H
#define MP_CMOCKA_SHIM_H

#include <stddef.h>
#include <stdint.h>

typedef uintmax_t LargestIntegralType;

typedef void (*CMUnitTestFunction)(void **state);
typedef int (*CMFixtureFunction)(void **state);

struct CMUnitTest {
    const char *name;
    CMUnitTestFunction test_func;
    CMFixtureFunction setup_func;
    CMFixtureFunction teardown_func;
    void *initial_state;
};

#define cmocka_unit_test(f) {#f, f, NULL, NULL, NULL}
#define cmocka_unit_test_setup(f, setup) {#f, f, setup, NULL, NULL}
#define cmocka_unit_test_teardown(f, teardown) {#f, f, NULL, teardown, NULL}
#define cmocka_unit_test_setup_teardown(f, setup, teardown) {#f, f, setup, teardown, NULL}
#define cmocka_unit_test_prestate(f, state) {#f, f, NULL, NULL, state}

#define cmocka_run_group_tests(group, setup, teardown)                                    \
    _cmocka_run_group_tests(#group, group, sizeof(group) / sizeof((group)[0]), setup, teardown)

#define assert_true(c) _mp_cm_check(!!(c), #c, __FILE__, __LINE__)
#define assert_false(c) _mp_cm_check(!(c), "!(" #c ")", __FILE__, __LINE__)
#define assert_null(p) _mp_cm_check((p) == NULL, #p " == NULL", __FILE__, __LINE__)
#define assert_non_null(p) _mp_cm_check((p) != NULL, #p " != NULL", __FILE__, __LINE__)
#define assert_ptr_equal(a, b)                                                               \
    _mp_cm_check((const void *)(a) == (const void *)(b), #a " == " #b, __FILE__, __LINE__)
#define assert_ptr_not_equal(a, b)                                                           \
    _mp_cm_check((const void *)(a) != (const void *)(b), #a " != " #b, __FILE__, __LINE__)
#define assert_int_equal(a, b)                                                               \
    _mp_cm_int((LargestIntegralType)(a), (LargestIntegralType)(b), 1, __FILE__, __LINE__)
#define assert_int_not_equal(a, b)                                                           \
    _mp_cm_int((LargestIntegralType)(a), (LargestIntegralType)(b), 0, __FILE__, __LINE__)
#define assert_string_equal(a, b) _mp_cm_string((a), (b), 1, __FILE__, __LINE__)
#define assert_string_not_equal(a, b) _mp_cm_string((a), (b), 0, __FILE__, __LINE__)
#define assert_memory_equal(a, b, n) _mp_cm_memory((a), (b), (size_t)(n), 1, __FILE__, __LINE__)
#define assert_memory_not_equal(a, b, n)                                                     \
    _mp_cm_memory((a), (b), (size_t)(n), 0, __FILE__, __LINE__)

#define fail() _mp_cm_fail(__FILE__, __LINE__, NULL)
#define fail_msg(...) _mp_cm_fail(__FILE__, __LINE__, __VA_ARGS__)
#define skip() _mp_cm_skip(__FILE__, __LINE__)

void print_message(const char *format, ...);
void print_error(const char *format, ...);

int _cmocka_run_group_tests(const char *group_name, const struct CMUnitTest *tests,
                            size_t count, CMFixtureFunction group_setup,
                            CMFixtureFunction group_teardown);
void _mp_cm_check(int ok, const char *expr, const char *file, int line);
void _mp_cm_int(LargestIntegralType a, LargestIntegralType b, int equal, const char *file,
                int line);
void _mp_cm_string(const char *a, const char *b, int equal, const char *file, int line);
void _mp_cm_memory(const void *a, const void *b, size_t n, int equal, const char *file,
                   int line);
_Noreturn void _mp_cm_fail(const char *file, int line, const char *format, ...);
_Noreturn void _mp_cm_skip(const char *file, int line);

#endif
