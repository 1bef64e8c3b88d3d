#!/bin/sh
# mailproto-dump --proto pop3 on a conversation captured from Dovecot
# (tests/vectors/pop3/capture-dovecot), both sides, whole and in random
# pieces of 1..N bytes (MP_DUMP_PIECE):
#   --side client  the conversation as the client saw it
#                  (dovecot-session.txt): the events reviewed in
#                  dovecot-session.dump, exit status 0;
#   --side server  the client's bytes as the server read them
#                  (dovecot-client.txt): the events reviewed in
#                  dovecot-client.dump (those of cmd/dovecot.vec), exit
#                  status 1, since the capture sends an unknown command and
#                  RETR 0 on purpose.
# MP_EMULATOR, when set, runs the program (a cross build: qemu-s390x).
set -e
: "${MP_EMULATOR:=}"
dump=$1
dir=$2
check() { # side input expected status
    for piece in "" 1 3 17 200; do
        rc=0
        # shellcheck disable=SC2086 # MP_EMULATOR: a command and its arguments
        out=$(MP_DUMP_PIECE=$piece $MP_EMULATOR "$dump" --proto pop3 --side "$1" < "$dir/$2") || rc=$?
        [ "$rc" = "$4" ] || {
            echo "--side $1, pieces of ${piece:-16384}: exit status $rc, want $4" >&2
            exit 1
        }
        printf '%s\n' "$out" | cmp -s - "$dir/$3" || {
            echo "--side $1, pieces of ${piece:-16384}: events differ" >&2
            printf '%s\n' "$out" | diff "$dir/$3" - >&2
            exit 1
        }
    done
    echo "$2 (--side $1): same events whole and in pieces"
}
check client dovecot-session.txt dovecot-session.dump 0
check server dovecot-client.txt dovecot-client.dump 1
