/* The MIME torture set (tests/vectors/mime/msgs/NAME.eml, the messages the
 * interop test also gives Dovecot): each runs whole, byte by byte, at every
 * 2-way split (up to 4 KiB) and at random splits, and must log NAME.out
 * (mime_fixture.h).  MP_REGEN=1 writes the .out files (to review). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>

#include "mime_fixture.h"

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long len;
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    *n = fread(buf, 1, (size_t)len, f);
    buf[*n] = '\0';
    fclose(f);
    return buf;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_msgs(void **state)
{
    const char *dir = getenv("MP_VECTORS");
    char path[1024], *names[256];
    size_t count = 0, k;
    DIR *d;
    struct dirent *e;
    (void)state;
    assert_non_null(dir);
    snprintf(path, sizeof(path), "%s/mime/msgs", dir);
    d = opendir(path);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".eml") == 0 && count < 256)
            names[count++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, count, sizeof(names[0]), by_name);
    assert_true(count >= 30);
    for (k = 0; k < count; k++) {
        size_t n, wn;
        char *msg, *want;
        const char *got;
        snprintf(path, sizeof(path), "%s/mime/msgs/%s", dir, names[k]);
        msg = slurp(path, &n);
        assert_non_null(msg);
        strcpy(path + strlen(path) - 4, ".out");
        mf_defaults(&mf);
        /* our response parser reads MESSAGE/GLOBAL as a message in
         * IMAP4rev1 mode too, where RFC 3501 (and our writer) have a basic
         * part: that FETCH is not read back */
        mf.parse_back = strcmp(names[k], "message-global.eml") != 0;
        mp_split_set_context(names[k]);
        if (getenv("MP_REGEN")) {
            FILE *f = fopen(path, "wb");
            got = mp_split_check(&mf_target, msg, n, NULL);
            assert_non_null(f);
            fputs(got, f);
            fclose(f);
        } else {
            want = slurp(path, &wn);
            if (want == NULL)
                fail_msg("%s: no expected log (MP_REGEN=1 writes it)", path);
            mp_split_check(&mf_target, msg, n, want);
            free(want);
        }
        free(msg);
        free(names[k]);
    }
    mp_split_set_context(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_msgs) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
