/* The one status table (core.h): every code has a unique value and name,
 * sits in the range of its block, and has a text.  Other modules add their
 * codes to their own MP_STATUS_TABLE_* block; this test catches a value
 * reused by two blocks or placed outside its range before it ships. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mailproto/core.h"

typedef struct row {
    int value;
    const char *name;
    const char *text;
} row;

#define ROW_(name, value, text) { (value), #name, (text) },
static const row all_[] = { MP_STATUS_TABLE(ROW_) };

typedef struct block {
    const char *what;
    const row *rows;
    size_t n;
    int lo, hi;
} block;

/* A block may be empty; keep a dummy first row so the arrays are valid C. */
static const row smtp_server_[] = { { -1, "", "" }, MP_STATUS_TABLE_SMTP_SERVER(ROW_) };
static const row smtp_client_[] = { { -1, "", "" }, MP_STATUS_TABLE_SMTP_CLIENT(ROW_) };
static const row pop3_[] = { { -1, "", "" }, MP_STATUS_TABLE_POP3(ROW_) };
static const row imap_resp_[] = { { -1, "", "" }, MP_STATUS_TABLE_IMAP_RESP(ROW_) };
static const row imap_cmd_[] = { { -1, "", "" }, MP_STATUS_TABLE_IMAP_CMD(ROW_) };
static const row imap_server_[] = { { -1, "", "" }, MP_STATUS_TABLE_IMAP_SERVER(ROW_) };
#undef ROW_

#define BLOCK(what, arr, lo, hi) { what, arr + 1, sizeof(arr) / sizeof(arr[0]) - 1, lo, hi }
static const block blocks_[] = {
    BLOCK("SMTP server", smtp_server_, 128, 143),
    BLOCK("SMTP client", smtp_client_, 144, 159),
    BLOCK("POP3", pop3_, 160, 191),
    BLOCK("IMAP responses", imap_resp_, 192, 223),
    BLOCK("IMAP commands", imap_cmd_, 224, 255),
    BLOCK("IMAP server session", imap_server_, 244, 251),
};

static void test_unique(void **state)
{
    size_t i, j, n = sizeof(all_) / sizeof(all_[0]);
    (void)state;
    for (i = 0; i < n; i++) {
        assert_true(all_[i].value >= 0 && all_[i].value <= 255);
        assert_true(strncmp(all_[i].name, "MP_", 3) == 0);
        assert_true(strlen(all_[i].text) > 0);
        for (j = i + 1; j < n; j++) {
            if (all_[i].value == all_[j].value || strcmp(all_[i].name, all_[j].name) == 0) {
                print_error("status %s and %s share a value or a name\n", all_[i].name,
                            all_[j].name);
                fail();
            }
        }
    }
}

static void test_ranges(void **state)
{
    size_t b, i, n = sizeof(all_) / sizeof(all_[0]);
    (void)state;
    for (b = 0; b < sizeof(blocks_) / sizeof(blocks_[0]); b++)
        for (i = 0; i < blocks_[b].n; i++) {
            const row *r = &blocks_[b].rows[i];
            if (r->value < blocks_[b].lo || r->value > blocks_[b].hi) {
                print_error("%s (%d) is outside the %s range %d..%d\n", r->name, r->value,
                            blocks_[b].what, blocks_[b].lo, blocks_[b].hi);
                fail();
            }
        }
    /* Core, SASL and crypto stay below 128; non-errors below MP_ERR_FIRST. */
    for (i = 0; i < n; i++) {
        int core = 1;
        for (b = 0; b < sizeof(blocks_) / sizeof(blocks_[0]); b++)
            if (all_[i].value >= blocks_[b].lo && all_[i].value <= blocks_[b].hi)
                core = 0;
        if (core)
            assert_true(all_[i].value < 128);
        assert_int_equal(mp_is_error((mp_status)all_[i].value),
                         all_[i].value >= MP_ERR_FIRST);
    }
}

static void test_lookup(void **state)
{
    size_t i, n = sizeof(all_) / sizeof(all_[0]);
    int v;
    (void)state;
    for (i = 0; i < n; i++) {
        assert_string_equal(mp_status_name((mp_status)all_[i].value), all_[i].name);
        assert_string_equal(mp_strerror((mp_status)all_[i].value), all_[i].text);
    }
    /* Never NULL, whatever value a caller passes. */
    for (v = 0; v <= 255; v++) {
        assert_non_null(mp_strerror((mp_status)v));
        assert_non_null(mp_status_name((mp_status)v));
    }
    assert_string_equal(mp_status_name((mp_status)255), "MP_UNKNOWN");
    assert_string_equal(mp_strerror((mp_status)15), "unknown status");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unique),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_lookup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
