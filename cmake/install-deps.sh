#!/usr/bin/env bash
# Install the Debian packages named as arguments that are not installed yet
# (root, or sudo).  Used by examples/demo, tests/run-all and .ci/run.
set -euo pipefail
missing=$(for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
[ -z "$missing" ] && exit 0
sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
# A package of another architecture (libcmocka-dev:s390x) needs that
# architecture known to dpkg (multiarch) before apt-get update.
for arch in $(printf '%s\n' $missing | sed -n 's/^[^:]*:\([a-z0-9]*\)$/\1/p' | sort -u); do
    dpkg --print-foreign-architectures | grep -qx "$arch" || $sudo dpkg --add-architecture "$arch"
done
$sudo apt-get update -q
# Postfix asks a question on install; the interop tests run private instances only.
case " $missing " in
*" postfix "*) echo "postfix postfix/main_mailer_type select No configuration" | $sudo debconf-set-selections ;;
esac
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $missing
