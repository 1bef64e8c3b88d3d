/* The status table built without its texts (MP_ENABLE_STATUS_TEXT 0, for
 * firmware): this program compiles lib/core/status.c and status_text.c
 * itself with the switch off (the build passes the library's setting on
 * the command line), so its mp_strerror() is the one under test (the
 * library's objects, defining the same symbols, are not pulled from the
 * archive). */
#undef MP_ENABLE_STATUS_TEXT
#define MP_ENABLE_STATUS_TEXT 0
#include "../../lib/core/status.c"
#include "../../lib/core/status_text.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

static void test_names_instead_of_texts(void **state)
{
    (void)state;
    assert_string_equal(mp_strerror(MP_ERR_BARE_LF), "MP_ERR_BARE_LF");
    assert_string_equal(mp_strerror(MP_ERR_IMAP_DEPTH), "MP_ERR_IMAP_DEPTH");
    assert_string_equal(mp_strerror(MP_OK), "MP_OK");
    assert_string_equal(mp_strerror(MP_STATUS_MAX_), "MP_UNKNOWN");
    assert_string_equal(mp_status_name(MP_ERR_SMTP_CLOSING), "MP_ERR_SMTP_CLOSING");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_instead_of_texts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
