/* IMAP client session driven by data files: tests/vectors/imap/client/NAME.vec.
 *
 * Format, one case after another (client_fixture.h explains the run):
 *   === name
 *   ! options        tls=none|opp|req|implicit  flags=nolitplus,nosaslir,
 *                    nopipe,cleartext  quirks=bodystructure,8bit,bare+
 *                    map=N (UID map entries)  out=N (output buffer)
 *                    maxline=N (response line limit)
 *                    manual (send only at <SEND>)  verbose (every value)
 *   @ trigger action  a host step: when the event `trigger` (greeting,
 *                    caps, ready, cont, done, enabled, exists, expunge,
 *                    vanished, fetch, bye, started (after <TLS> or <Z>),
 *                    or "now": right after the step before) comes, run the action (client_fixture.h
 *                    cf_action lists them)
 *   > server bytes   escapes \r \n \\ \xHH; lines are concatenated;
 *                    markers <TLS> <Z> <EOF> <SEND> <SEND:n>
 *   < expected log line
 * Every case runs whole, byte by byte, at every 2-way and at random
 * splits, with a host acting at once and one acting later.  With
 * MP_REGEN=1 the runner rewrites the files with the logs it sees (to
 * review new cases; never in CI). */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>

#include "client_fixture.h"

static void options(cf_case *cs, char *line)
{
    char *w[16];
    size_t n = cf_words(line, w, 16), i;
    for (i = 0; i < n; i++) {
        char *v = strchr(w[i], '=');
        if (v)
            *v++ = '\0';
        if (strcmp(w[i], "tls") == 0) {
            cs->tls = strcmp(v, "opp") == 0        ? MP_IMAP_TLS_OPPORTUNISTIC
                      : strcmp(v, "req") == 0      ? MP_IMAP_TLS_REQUIRED
                      : strcmp(v, "implicit") == 0 ? MP_IMAP_TLS_IMPLICIT
                                                   : MP_IMAP_TLS_NONE;
        } else if (strcmp(w[i], "flags") == 0) {
            cs->flags |= strstr(v, "nolitplus") ? MP_IMAP_CLIENT_NO_LITERAL_PLUS : 0u;
            cs->flags |= strstr(v, "nosaslir") ? MP_IMAP_CLIENT_NO_SASL_IR : 0u;
            cs->flags |= strstr(v, "nopipe") ? MP_IMAP_CLIENT_NO_PIPELINING : 0u;
            cs->flags |= strstr(v, "cleartext") ? MP_IMAP_CLIENT_CLEARTEXT_OK : 0u;
        } else if (strcmp(w[i], "quirks") == 0) {
            cs->quirks |= strstr(v, "bodystructure") ? MP_IMAP_Q_BAD_BODYSTRUCTURE : 0u;
            cs->quirks |= strstr(v, "8bit") ? MP_IMAP_Q_8BIT_TEXT : 0u;
            cs->quirks |= strstr(v, "bare+") ? MP_IMAP_Q_BARE_CONTINUE : 0u;
        } else if (strcmp(w[i], "map") == 0) {
            cs->mapcap = strtoul(v, NULL, 10);
        } else if (strcmp(w[i], "maxline") == 0) {
            cs->max_line = (uint32_t)strtoul(v, NULL, 10);
        } else if (strcmp(w[i], "out") == 0) {
            cs->outcap = strtoul(v, NULL, 10);
        } else if (strcmp(w[i], "manual") == 0) {
            cs->manual = 1;
        } else if (strcmp(w[i], "verbose") == 0) {
            cs->verbose = 1;
        } else {
            fail_msg("unknown option %s", w[i]);
        }
    }
}

static char file_buf[1 << 20];
static char in_buf[1 << 17];
static char want_buf[1 << 18];
static char regen[1 << 21];
static char steps_buf[CF_MAXSTEPS][256];

static void run_file(const char *path, const char *fname)
{
    FILE *fp = fopen(path, "rb");
    size_t flen, inlen = 0, wantlen = 0, rlen = 0;
    char *line, *next, name[128] = "";
    int have = 0, ncase = 0;
    int do_regen = getenv("MP_REGEN") != NULL;
    cf_case cs;
    assert_non_null(fp);
    flen = fread(file_buf, 1, sizeof(file_buf) - 1, fp);
    fclose(fp);
    file_buf[flen] = '\0';
    memset(&cs, 0, sizeof(cs));
    for (line = file_buf;; line = next) {
        int end = *line == '\0';
        next = strchr(line, '\n');
        next = next ? next + 1 : line + strlen(line);
        if (end || strncmp(line, "=== ", 4) == 0) {
            if (have) {
                static char where[600];
                const char *got;
                want_buf[wantlen] = '\0';
                snprintf(where, sizeof(where), "%s: %s", fname, name);
                mp_split_set_context(where);
                cs.name = name;
                got = cf_check(&cs, in_buf, inlen, do_regen ? NULL : want_buf);
                if (do_regen) {
                    const char *g = got;
                    while (*g) {
                        const char *e = strchr(g, '\n');
                        size_t l = e ? (size_t)(e - g) : strlen(g);
                        rlen += (size_t)snprintf(regen + rlen, sizeof(regen) - rlen, "< %.*s\n",
                                                 (int)l, g);
                        g += l + (e != NULL);
                    }
                }
                ncase++;
            }
            if (end)
                break;
            have = 1;
            inlen = wantlen = 0;
            memset(&cs, 0, sizeof(cs));
            snprintf(name, sizeof(name), "%.*s", (int)(next - line - 5), line + 4);
        }
        if (do_regen && strncmp(line, "< ", 2) != 0) {
            memcpy(regen + rlen, line, (size_t)(next - line));
            rlen += (size_t)(next - line);
        }
        if (strncmp(line, "! ", 2) == 0) {
            char opt[512];
            snprintf(opt, sizeof(opt), "%.*s", (int)(next - line - 3), line + 2);
            options(&cs, opt);
        } else if (strncmp(line, "@ ", 2) == 0) {
            assert_true(cs.nsteps < CF_MAXSTEPS);
            snprintf(steps_buf[cs.nsteps], sizeof(steps_buf[0]), "%.*s", (int)(next - line - 3),
                     line + 2);
            cs.steps[cs.nsteps] = steps_buf[cs.nsteps];
            cs.nsteps++;
        } else if (strncmp(line, "> ", 2) == 0) {
            inlen += cf_unescape(line + 2, in_buf + inlen, sizeof(in_buf) - inlen);
        } else if (strncmp(line, "< ", 2) == 0) {
            size_t l = (size_t)(next - line - 2);
            memcpy(want_buf + wantlen, line + 2, l);
            wantlen += l;
            if (l == 0 || want_buf[wantlen - 1] != '\n')
                want_buf[wantlen++] = '\n';
        }
    }
    mp_split_set_context(NULL);
    assert_true(ncase > 0);
    if (do_regen) {
        fp = fopen(path, "wb");
        assert_non_null(fp);
        fwrite(regen, 1, rlen, fp);
        fclose(fp);
    }
}

static void test_files(void **state)
{
    const char *dir = getenv("MP_VECTORS");
    char path[1024];
    DIR *d;
    struct dirent *e;
    int n = 0;
    (void)state;
    assert_non_null(dir);
    snprintf(path, sizeof(path), "%s/imap/client", dir);
    d = opendir(path);
    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 5 || strcmp(e->d_name + l - 4, ".vec") != 0)
            continue;
        if (getenv("MP_ONLY") && strstr(e->d_name, getenv("MP_ONLY")) == NULL)
            continue;
        snprintf(path, sizeof(path), "%s/imap/client/%s", dir, e->d_name);
        run_file(path, e->d_name);
        n++;
    }
    closedir(d);
    assert_true(n > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_files) };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
