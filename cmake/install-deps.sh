#!/usr/bin/env bash
# Install the Debian packages named as arguments that are not installed yet
# (root, or sudo).  Used by examples/demo, tests/run-all and .ci/run.
set -euo pipefail
missing=$(for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
[ -z "$missing" ] && exit 0
sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -q
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $missing
