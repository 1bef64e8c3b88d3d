/* <dirent.h> for the Cortex-M4 tests: semihosting opens files by path but
 * cannot list a directory, so opendir() reads the listing CMake wrote at
 * configure time (MP_M4_DIRLIST: one "directory<TAB>name" line per file
 * under tests/vectors).  Only what the tests use: opendir, readdir,
 * closedir and d_name. */
#ifndef MP_M4_DIRENT_H
#define MP_M4_DIRENT_H

struct dirent {
    char d_name[256];
};

typedef struct mp_m4_dir DIR;

DIR *opendir(const char *path);
struct dirent *readdir(DIR *d);
int closedir(DIR *d);

#endif
