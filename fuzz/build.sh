#!/usr/bin/env bash
# Build every fuzz target the way OSS-Fuzz and ClusterFuzzLite call a
# project's build script (fuzz/README.md):
#
#   CC, CXX            compilers (clang / clang++, or afl-clang-fast / ++)
#   CFLAGS, CXXFLAGS   sanitizer and coverage flags chosen by the caller
#                      (-fsanitize=address,fuzzer-no-link ...)
#   LIB_FUZZING_ENGINE the fuzzing engine to link (-fsanitize=fuzzer, or the
#                      path of AFL++'s libAFLDriver.a)
#   OUT                where the binaries go
#   WORK               scratch directory (a temporary one when unset)
#
# Every fuzz/fuzz_<name>.c is a target: $OUT/fuzz_<name>, with its seed
# corpus fuzz/corpus/<name>/ zipped as $OUT/fuzz_<name>_seed_corpus.zip and
# its dictionary fuzz/<name>.dict copied to $OUT/fuzz_<name>.dict, as the
# runners expect them.  A target added to fuzz/ is picked up with nothing
# else to change.
#
# The library is every C file under lib/ except lib/mbedtls (the optional
# adapter, which needs mbedTLS), as CMakeLists.txt builds it; no CMake is
# needed here.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
: "${CC:=clang}" "${CXX:=clang++}" "${CFLAGS:=}" "${CXXFLAGS:=}"
: "${LIB_FUZZING_ENGINE:?set LIB_FUZZING_ENGINE (e.g. -fsanitize=fuzzer)}"
: "${OUT:?set OUT to the output directory}"
own_work=
if [ -z "${WORK:-}" ]; then
    WORK=$(mktemp -d)
    own_work=$WORK
fi
trap '[ -n "$own_work" ] && rm -rf "$own_work"' EXIT
mkdir -p "$OUT" "$WORK/obj"

# $CFLAGS is split on purpose: it holds several flags.
# shellcheck disable=SC2086
cc() { "$CC" $CFLAGS -std=c11 -I"$src/include" "$@"; }

# The library, compiled once.
objs=()
for f in "$src"/lib/*/*.c; do
    case "$f" in "$src"/lib/mbedtls/*) continue ;; esac
    mod=$(basename "$(dirname "$f")")
    o="$WORK/obj/lib_${mod}_$(basename "$f" .c).o"
    cc -c "$f" -o "$o"
    objs+=("$o")
done
rm -f "$WORK/libmailproto_fuzz.a"
ar rcs "$WORK/libmailproto_fuzz.a" "${objs[@]}"

n=0
for f in "$src"/fuzz/fuzz_*.c; do
    target=$(basename "$f" .c)
    name=${target#fuzz_}
    cc -I"$src/fuzz" -c "$f" -o "$WORK/obj/$target.o"
    # The engine (libFuzzer, AFL++'s driver) is C++: link with $CXX.
    # shellcheck disable=SC2086
    "$CXX" $CXXFLAGS "$WORK/obj/$target.o" "$WORK/libmailproto_fuzz.a" $LIB_FUZZING_ENGINE \
        -o "$OUT/$target"
    if [ -d "$src/fuzz/corpus/$name" ]; then
        rm -f "$OUT/${target}_seed_corpus.zip"
        (cd "$src/fuzz/corpus/$name" && zip -q -r "$OUT/${target}_seed_corpus.zip" .)
    fi
    if [ -f "$src/fuzz/$name.dict" ]; then
        cp "$src/fuzz/$name.dict" "$OUT/$target.dict"
    fi
    n=$((n + 1))
done
echo "fuzz/build.sh: $n targets in $OUT"
