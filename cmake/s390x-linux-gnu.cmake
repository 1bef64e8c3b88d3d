# s390x (64-bit, big-endian) Linux with Debian's cross compiler
# (gcc-s390x-linux-gnu); libc and cmocka come from the s390x architecture by
# multiarch (libcmocka-dev:s390x), the tests run under qemu-user.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR s390x)
set(CMAKE_C_COMPILER s390x-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE s390x-linux-gnu)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-s390x)
# pkg-config finds the s390x cmocka, never the build machine's.
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/s390x-linux-gnu/pkgconfig:/usr/share/pkgconfig)
