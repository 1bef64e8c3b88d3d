#!/usr/bin/env bash
# CI check of fuzz/build.sh as OSS-Fuzz / ClusterFuzzLite would run it:
# clang with ASan+UBSan and libFuzzer into a temporary $OUT, then every
# binary briefly on its seed corpus as the runner unpacks it from
# <target>_seed_corpus.zip, with its <target>.dict.  Fails when a target of
# fuzz/ has no binary, a corpus or dictionary was not packaged, or a run
# crashes (the fuzz smoke run, fuzz/run-smoke, fuzzes longer).
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
secs=${FUZZ_BUILD_SECONDS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export CC=clang CXX=clang++
export CFLAGS="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all -fsanitize=fuzzer-no-link"
export CXXFLAGS="$CFLAGS"
export LIB_FUZZING_ENGINE=-fsanitize=fuzzer
export OUT="$tmp/out" WORK="$tmp/work"
mkdir -p "$WORK"
bash "$src/fuzz/build.sh"

for f in "$src"/fuzz/fuzz_*.c; do
    target=$(basename "$f" .c)
    name=${target#fuzz_}
    [ -x "$OUT/$target" ] || { echo "check-build: no binary for $target"; exit 1; }
    args=(-max_total_time="$secs" -max_len=4096)
    seeds="$tmp/seeds/$target"
    mkdir -p "$seeds"
    if [ -d "$src/fuzz/corpus/$name" ]; then
        [ -f "$OUT/${target}_seed_corpus.zip" ] || { echo "check-build: $target: no seed zip"; exit 1; }
        unzip -q "$OUT/${target}_seed_corpus.zip" -d "$seeds"
        [ "$(ls -A "$seeds" | wc -l)" -eq "$(ls -A "$src/fuzz/corpus/$name" | wc -l)" ] ||
            { echo "check-build: $target: seed zip does not hold the corpus"; exit 1; }
    fi
    if [ -f "$src/fuzz/$name.dict" ]; then
        [ -f "$OUT/$target.dict" ] || { echo "check-build: $target: dictionary missing"; exit 1; }
        args+=(-dict="$OUT/$target.dict")
    fi
    echo "check-build: $target on $(ls -A "$seeds" | wc -l) seeds, ${secs}s"
    (cd "$tmp" && "$OUT/$target" "${args[@]}" "$seeds" > "$tmp/log" 2>&1) ||
        { tail -n 30 "$tmp/log"; echo "check-build: $target failed"; exit 1; }
    tail -n 1 "$tmp/log"
done
