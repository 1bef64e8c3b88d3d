/* IMAP command parser: RFC command examples as vectors with their events,
 * run whole, byte by byte and at random splits (mp_split_check).
 * MP_GEN=1 prints the logs instead of checking them (to review new
 * vectors by eye). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_cmd_fixture.h"

static cmd_fixture fx;

static void run_vec(unsigned mode, unsigned quirks, const char *in, size_t n, const char *want)
{
    mp_split_target t = { fx_reset, fx_feed, NULL, &fx };
    const char *got;
    memset(&fx.cfg, 0, sizeof(fx.cfg));
    fx.cfg.mode = mode;
    fx.cfg.quirks = quirks;
    if (getenv("MP_GEN") != NULL) {
        got = mp_split_check(&t, in, n, NULL);
        printf("----\n%s", got);
        return;
    }
    mp_split_check(&t, in, n, want);
}
#define V(in, want) run_vec(0, 0, (in), sizeof(in) - 1, (want))
#define VM(mode, in, want) run_vec((mode), 0, (in), sizeof(in) - 1, (want))

static void test_any_state(void **st)
{
    (void)st;
    V("a001 CAPABILITY\r\na002 NOOP\r\nA023 LOGOUT\r\n", "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_any_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
