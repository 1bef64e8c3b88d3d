/* opendir() over the listing of tests/vectors that CMake wrote (see
 * include/dirent.h). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mp_m4_dir {
    FILE *list;
    char dir[1024];
    struct dirent entry;
};

/* "a//b/" and "a/b" name the same directory. */
static void normalise(char *out, size_t cap, const char *in)
{
    size_t n = 0;
    for (; *in != '\0' && n + 1 < cap; in++)
        if (!(*in == '/' && n > 0 && out[n - 1] == '/'))
            out[n++] = *in;
    while (n > 1 && out[n - 1] == '/')
        n--;
    out[n] = '\0';
}

DIR *opendir(const char *path)
{
    DIR *d = calloc(1, sizeof(*d));
    if (d == NULL)
        return NULL;
    d->list = fopen(MP_M4_DIRLIST, "rb");
    if (d->list == NULL) {
        free(d);
        return NULL;
    }
    normalise(d->dir, sizeof(d->dir), path);
    return d;
}

struct dirent *readdir(DIR *d)
{
    char line[1400];
    while (fgets(line, sizeof(line), d->list) != NULL) {
        char *tab = strchr(line, '\t');
        size_t n;
        if (tab == NULL)
            continue;
        *tab = '\0';
        n = strcspn(tab + 1, "\r\n");
        if (strcmp(line, d->dir) != 0 || n >= sizeof(d->entry.d_name))
            continue;
        memcpy(d->entry.d_name, tab + 1, n);
        d->entry.d_name[n] = '\0';
        return &d->entry;
    }
    return NULL;
}

int closedir(DIR *d)
{
    fclose(d->list);
    free(d);
    return 0;
}
