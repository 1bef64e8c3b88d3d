#include <stdio.h>
#include <string.h>

#include <mailproto/mailproto.h>

int main(int argc, char **argv)
{
    const char *s = mp_strerror(MP_ERR_BARE_LF);
    if (strcmp(s, "bare LF (LF not preceded by CR)") != 0) {
        fprintf(stderr, "unexpected: %s\n", s);
        return 1;
    }
    /* the umbrella header brings every protocol's declarations */
    if (strcmp(mp_imap_code_name(MP_IMAP_CODE_ALERT), "ALERT") != 0) {
        fprintf(stderr, "unexpected IMAP code name\n");
        return 1;
    }
    /* One version everywhere: the header, the library linked, the CMake
     * package (MP_CMAKE_PACKAGE_VERSION, from find_package) and, when
     * run.sh passes it, pkg-config's Version. */
    if (strcmp(mp_version(), MP_VERSION_STRING) != 0 ||
        mp_version_number() != (unsigned long)MP_VERSION_NUMBER) {
        fprintf(stderr, "library %s, headers %s\n", mp_version(), MP_VERSION_STRING);
        return 1;
    }
#ifdef MP_CMAKE_PACKAGE_VERSION
    if (strcmp(MP_CMAKE_PACKAGE_VERSION, MP_VERSION_STRING) != 0) {
        fprintf(stderr, "CMake package %s, headers %s\n", MP_CMAKE_PACKAGE_VERSION,
                MP_VERSION_STRING);
        return 1;
    }
#endif
    if (argc > 1 && strcmp(argv[1], MP_VERSION_STRING) != 0) {
        fprintf(stderr, "pkg-config %s, headers %s\n", argv[1], MP_VERSION_STRING);
        return 1;
    }
    printf("consumer: ok, version %s\n", mp_version());
    return 0;
}
