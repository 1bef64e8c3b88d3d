/* Message-structure vectors (tests/vectors/mime/NAME.vec, format in
 * tests/harness/vectors.h): each message runs whole, byte by byte, at every
 * 2-way split and at random splits, and must log exactly the FETCH items,
 * part ranges and status given (mime_fixture.h). */
#include "mime_fixture.h"

/* MP_REGEN=1: print each vector's log instead of checking it (for
 * writing new vectors; the logs are reviewed before they go in a file). */
static void regen(const mp_vector *v, void *ctx)
{
    const char *got;
    (void)ctx;
    mf_setup(v, &mf);
    got = mp_split_check(&mf_target, v->input, v->input_len, NULL);
    printf("=== %s\n--- events\n%s", v->name, got);
}

static void run(const char *file)
{
    if (getenv("MP_REGEN"))
        assert_true(mp_vectors_run(file, regen, NULL) > 0);
    else
        assert_true(mp_vectors_split_check(file, &mf_target, mf_setup) > 0);
}

#define VEC(name)                                                                       \
    static void test_##name(void **state)                                               \
    {                                                                                   \
        (void)state;                                                                    \
        run("mime/" #name ".vec");                                                      \
    }

VEC(structure)
VEC(headers)
VEC(params)
VEC(address)
VEC(limits)

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_structure), cmocka_unit_test(test_headers),
        cmocka_unit_test(test_params),    cmocka_unit_test(test_address),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
