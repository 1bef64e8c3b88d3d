#!/bin/sh
# The static library's undefined symbols (those no object of the library
# defines) must be a subset of this list: no allocation, no stdio, no errno,
# no time, no locale.
set -eu
lib="$1"
nm="${NM:-nm}"
allowed="memcpy memmove memset memchr memcmp strlen"
# Defined by the linker, not a library: position-independent code on i386
# (the default of Debian's compilers) reaches its data through it.
linker="_GLOBAL_OFFSET_TABLE_"
defined=$("$nm" -g --defined-only "$lib" | awk 'NF==3 {print $3}' | sort -u)
bad=0
for sym in $("$nm" -u "$lib" | awk '$1=="U" {print $2}' | sort -u); do
    if printf '%s\n' "$defined" | grep -qx "$sym"; then continue; fi
    case " $allowed $linker " in
        *" $sym "*) ;;
        *) echo "forbidden undefined symbol: $sym"; bad=1 ;;
    esac
done
[ "$bad" -eq 0 ] && echo "purity: undefined symbols within the whitelist ($allowed)"
exit "$bad"
