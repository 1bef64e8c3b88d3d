#!/bin/sh
# Compile every lib/ source with gcc -fcallgraph-info=su and check: no
# recursion, no stack frame above MP_MAX_FRAME bytes (documented bound).
set -eu
src="$1"
max="${MP_MAX_FRAME:-1024}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in $(find "$src/lib" -name '*.c' -not -path "$src/lib/mbedtls/*" | sort); do
    o="$tmp/$(echo "${f#$src/}" | tr / _).o"
    gcc -std=c11 -O2 -I"$src/include" -fcallgraph-info=su -c "$f" -o "$o"
done
python3 "$src/tests/purity/check-callgraph.py" "$max" "$tmp"/*.ci
