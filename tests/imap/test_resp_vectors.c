/* IMAP response parser driven by data files: tests/vectors/imap/resp/NAME.vec.
 *
 * Format, one case after another:
 *   === name
 *   ! REV2 UTF8 LF_LINES ...   mode bits and quirks (optional);
 *                              MAX_QUOTED=N sets limits.max_quoted
 *   > input bytes              escapes \r \n \\ \xHH; lines are concatenated
 *   < expected event line      as logged by test_resp_fixture.h
 * Every case runs whole, byte by byte and at random splits.  With
 * MP_REGEN=1 the runner rewrites the files with the events it sees (for
 * reviewing new vectors; never in CI). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>

#include "test_resp_fixture.h"

static const struct {
    const char *name;
    unsigned mode, quirks;
} opt_names[] = {
    {"REV2", MP_IMAP_REV2, 0},
    {"UTF8", MP_IMAP_UTF8, 0},
    {"LITERAL_MINUS", MP_IMAP_LITERAL_MINUS, 0},
    {"LF_LINES", 0, MP_IMAP_Q_LF_LINES},
    {"TRAILING_SPACE", 0, MP_IMAP_Q_TRAILING_SPACE},
    {"LIST_SPACES", 0, MP_IMAP_Q_LIST_SPACES},
    {"NIL_STRING", 0, MP_IMAP_Q_NIL_STRING},
    {"FLAG_CHARS", 0, MP_IMAP_Q_FLAG_CHARS},
    {"STAR_IN_FLAGS", 0, MP_IMAP_Q_STAR_IN_FLAGS},
    {"EMPTY_STATUS", 0, MP_IMAP_Q_EMPTY_STATUS},
    {"BARE_CONTINUE", 0, MP_IMAP_Q_BARE_CONTINUE},
    {"BAD_BODYSTRUCTURE", 0, MP_IMAP_Q_BAD_BODYSTRUCTURE},
    {"8BIT_TEXT", 0, MP_IMAP_Q_8BIT_TEXT},
    {"BARE_QUOTA", 0, MP_IMAP_Q_BARE_QUOTA},
};

static size_t unescape(const char *s, char *out)
{
    size_t n = 0;
    while (*s && *s != '\n') {
        if (s[0] == '\\' && s[1] == 'r') { out[n++] = '\r'; s += 2; }
        else if (s[0] == '\\' && s[1] == 'n') { out[n++] = '\n'; s += 2; }
        else if (s[0] == '\\' && s[1] == '\\') { out[n++] = '\\'; s += 2; }
        else if (s[0] == '\\' && s[1] == 'x') {
            char h[3] = { s[2], s[3], 0 };
            out[n++] = (char)strtoul(h, NULL, 16);
            s += 4;
        } else out[n++] = *s++;
    }
    return n;
}

static char file_buf[1 << 20];
static char in_buf[1 << 18];
static char want_buf[1 << 18];
static char regen[1 << 21];

static void run_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    size_t flen, inlen = 0, wantlen = 0, rlen = 0;
    char *line, *next;
    int ncase = 0, have = 0, nround = 0;
    int do_regen = getenv("MP_REGEN") != NULL;
    assert_non_null(fp);
    flen = fread(file_buf, 1, sizeof(file_buf) - 1, fp);
    fclose(fp);
    file_buf[flen] = '\0';
    rf_setup(0, 0);
    for (line = file_buf; ; line = next) {
        int end = *line == '\0';
        next = strchr(line, '\n');
        next = next ? next + 1 : line + strlen(line);
        if (end || strncmp(line, "=== ", 4) == 0) {
            if (have) {
                const char *got;
                want_buf[wantlen] = '\0';
                got = rf_check(in_buf, inlen, do_regen ? NULL : want_buf);
                nround += rf_roundtrip(in_buf, inlen);
                if (do_regen) {
                    const char *g = got;
                    while (*g) {
                        const char *e = strchr(g, '\n');
                        rlen += (size_t)snprintf(regen + rlen, sizeof(regen) - rlen, "< %.*s\n",
                                                 (int)(e - g), g);
                        g = e + 1;
                    }
                }
                ncase++;
            }
            if (end)
                break;
            have = 1;
            inlen = wantlen = 0;
            rf_setup(0, 0);
        }
        if (line[0] == '!') {
            char *w = line + 1;
            while (*w && *w != '\n') {
                size_t k, wl;
                while (*w == ' ') w++;
                wl = strcspn(w, " \n");
                if (wl > 11 && strncmp(w, "MAX_QUOTED=", 11) == 0) {
                    rfx.cfg.limits.max_quoted = (uint32_t)strtoul(w + 11, NULL, 10);
                    w += wl;
                    continue;
                }
                for (k = 0; k < sizeof(opt_names) / sizeof(opt_names[0]); k++)
                    if (strlen(opt_names[k].name) == wl && strncmp(w, opt_names[k].name, wl) == 0) {
                        rfx.cfg.mode |= opt_names[k].mode;
                        rfx.cfg.quirks |= opt_names[k].quirks;
                        break;
                    }
                if (wl > 0 && k == sizeof(opt_names) / sizeof(opt_names[0])) {
                    print_error("%s: unknown option %.*s\n", path, (int)wl, w);
                    fail();
                }
                w += wl;
            }
        } else if (line[0] == '>' && line[1] == ' ') {
            inlen += unescape(line + 2, in_buf + inlen);
        } else if (line[0] == '<' && line[1] == ' ') {
            size_t l = (size_t)(next - line) - 2;
            if (line[l + 1] != '\n') l++; /* last line without newline */
            memcpy(want_buf + wantlen, line + 2, l);
            wantlen += l;
        }
        if (do_regen && line[0] != '<' && !end)
            rlen += (size_t)snprintf(regen + rlen, sizeof(regen) - rlen, "%.*s",
                                     (int)(next - line), line);
    }
    if (do_regen) {
        fp = fopen(path, "wb");
        assert_non_null(fp);
        fwrite(regen, 1, rlen, fp);
        fclose(fp);
    }
    assert_true(ncase > 0);
    printf("%s: %d cases, %d round trips\n", path, ncase, nround);
}

static void test_vector_files(void **s)
{
    const char *dir = getenv("MP_VECTORS");
    char path[4096];
    DIR *d;
    struct dirent *e;
    int nfiles = 0;
    (void)s;
    assert_non_null(dir);
    snprintf(path, sizeof(path), "%s/imap/resp", dir);
    d = opendir(path);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".vec") == 0) {
            snprintf(path, sizeof(path), "%s/imap/resp/%s", dir, e->d_name);
            run_file(path);
            nfiles++;
        }
    }
    closedir(d);
    assert_true(nfiles > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
