#!/bin/sh
# mailproto-dump --proto pop3 --side client on a conversation captured from
# Dovecot (tests/vectors/pop3/capture-dovecot): the events must be those
# reviewed in dovecot-session.dump, whole and in random pieces of 1..N
# bytes (MP_DUMP_PIECE), and the exit status 0.  MP_EMULATOR, when set, runs
# the program (a cross build: qemu-s390x).
set -e
: "${MP_EMULATOR:=}"
dump=$1
dir=$2
for piece in "" 1 3 17 200; do
    # shellcheck disable=SC2086 # MP_EMULATOR: a command and its arguments
    out=$(MP_DUMP_PIECE=$piece $MP_EMULATOR "$dump" --proto pop3 --side client < "$dir/dovecot-session.txt")
    printf '%s\n' "$out" | cmp -s - "$dir/dovecot-session.dump" || {
        echo "pieces of ${piece:-16384}: events differ" >&2
        printf '%s\n' "$out" | diff "$dir/dovecot-session.dump" - >&2
        exit 1
    }
done
echo "dovecot-session: same events whole and in pieces"
