# i386 Linux (32-bit size_t and pointers, 64-bit integers in register
# pairs) with Debian's cross compiler (gcc-i686-linux-gnu); cmocka comes
# from the i386 architecture by multiarch (libcmocka-dev:i386).  An x86-64
# kernel runs the tests directly.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR i686)
set(CMAKE_C_COMPILER i686-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE i386-linux-gnu)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/i386-linux-gnu/pkgconfig:/usr/share/pkgconfig)
