#!/usr/bin/env bash
# Install the library into a temporary prefix, then consume it as a user
# would: a C program built with find_package(mailproto) and with
# pkg-config, a C++17 program (-Wall -Wextra -Wpedantic -Werror) that
# includes every public header, and every installed header compiled alone
# as C++17 with g++ and clang++.  The version must agree everywhere: the
# header macros, mp_version() of the library linked, the CMake package
# version and pkg-config's Version.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake -S "$src" -B "$tmp/build" -G Ninja -DMAILPROTO_WITH_TESTS=OFF -DMAILPROTO_WITH_EXAMPLES=OFF \
      -DCMAKE_INSTALL_PREFIX="$tmp/prefix" >/dev/null
cmake --build "$tmp/build" >/dev/null
cmake --install "$tmp/build" >/dev/null

libdir=$(ls -d "$tmp"/prefix/lib*/pkgconfig | head -n 1)
export PKG_CONFIG_PATH="$libdir"
pc_version=$(pkg-config --modversion mailproto)

cmake -S "$src/tests/install/consumer" -B "$tmp/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/consumer" >/dev/null
"$tmp/consumer/consumer" "$pc_version"
"$tmp/consumer/consumer_cxx"

cc "$src/tests/install/consumer/main.c" $(pkg-config --cflags mailproto) \
    $(pkg-config --libs mailproto) -o "$tmp/consumer-pc"
LD_LIBRARY_PATH="$(pkg-config --variable=libdir mailproto)" "$tmp/consumer-pc" "$pc_version"

# Each header alone: self-contained, and clean C++ (new headers are picked
# up by the glob).
inc=$(pkg-config --variable=includedir mailproto)
n=0
for h in "$inc"/mailproto/*.h; do
    name=$(basename "$h")
    printf '#include <mailproto/%s>\n' "$name" > "$tmp/hdr.cpp"
    for cxx in g++ clang++; do
        "$cxx" -std=c++17 -Wall -Wextra -Wpedantic -Werror -I"$inc" -c "$tmp/hdr.cpp" \
            -o "$tmp/hdr.o" || { echo "install test: $name does not compile as C++17 with $cxx"; exit 1; }
    done
    n=$((n + 1))
done
echo "install test: find_package, pkg-config and C++17 consumers built and ran (version $pc_version);" \
     "$n headers compile alone as C++17 with g++ and clang++"
