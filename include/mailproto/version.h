/*
 * libmailproto — the version of these headers and of the library linked.
 * Guide: docs/README.md (and CHANGELOG.md for what each version holds).
 *
 * The three numbers below are the one place the version is written: CMake
 * reads them for project(VERSION), so the shared library's file name, the
 * CMake package version file and pkg-config's Version follow them.
 * Versions 0.x make no compatibility promise between minor versions; the
 * CMake package asks for the same minor version and the shared library's
 * SONAME carries it (libmailproto.so.0.1).
 */
#ifndef MAILPROTO_VERSION_H
#define MAILPROTO_VERSION_H

#define MP_VERSION_MAJOR 0
#define MP_VERSION_MINOR 1
#define MP_VERSION_PATCH 0

#define MP_VERSION_STR_(x) #x
#define MP_VERSION_XSTR_(x) MP_VERSION_STR_(x)
/* "0.1.0", built from the numbers above so the two cannot disagree. */
#define MP_VERSION_STRING                                                     \
    MP_VERSION_XSTR_(MP_VERSION_MAJOR)                                        \
    "." MP_VERSION_XSTR_(MP_VERSION_MINOR) "." MP_VERSION_XSTR_(MP_VERSION_PATCH)
/* One number for #if comparisons: 0xMMmmpp (0.1.0 is 0x000100). */
#define MP_VERSION_NUMBER                                                     \
    ((MP_VERSION_MAJOR << 16) | (MP_VERSION_MINOR << 8) | MP_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/* The MP_VERSION_STRING the library was built with (static storage).  A
 * program compares it with its own MP_VERSION_STRING to find a shared
 * library that does not match the headers it was compiled against. */
const char *mp_version(void);

/* The MP_VERSION_NUMBER the library was built with. */
unsigned long mp_version_number(void);

#ifdef __cplusplus
}
#endif

#endif /* MAILPROTO_VERSION_H */
