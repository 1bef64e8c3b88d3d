#!/usr/bin/env bash
# Install the library into a temporary prefix and build a tiny consumer
# twice: with find_package(mailproto) and with pkg-config.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake -S "$src" -B "$tmp/build" -G Ninja -DMAILPROTO_WITH_TESTS=OFF -DMAILPROTO_WITH_EXAMPLES=OFF \
      -DCMAKE_INSTALL_PREFIX="$tmp/prefix" >/dev/null
cmake --build "$tmp/build" >/dev/null
cmake --install "$tmp/build" >/dev/null

cmake -S "$src/tests/install/consumer" -B "$tmp/consumer" -G Ninja -DCMAKE_PREFIX_PATH="$tmp/prefix" >/dev/null
cmake --build "$tmp/consumer" >/dev/null
"$tmp/consumer/consumer"

libdir=$(ls -d "$tmp"/prefix/lib*/pkgconfig | head -n 1)
PKG_CONFIG_PATH="$libdir" cc "$src/tests/install/consumer/main.c" \
    $(PKG_CONFIG_PATH="$libdir" pkg-config --cflags mailproto) \
    $(PKG_CONFIG_PATH="$libdir" pkg-config --libs mailproto) -o "$tmp/consumer-pc"
LD_LIBRARY_PATH="$(PKG_CONFIG_PATH="$libdir" pkg-config --variable=libdir mailproto)" "$tmp/consumer-pc"
echo "install test: find_package and pkg-config consumers built and ran"
