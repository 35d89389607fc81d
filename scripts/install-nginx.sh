#!/usr/bin/env bash
# Installs nginx from the distribution's packages for the load-balanced tests and benchmark
# (tests/e2e/test_load_balanced.py, bench/load.py). Idempotent and quiet: when nginx is already
# there it does nothing and touches no network. Needs apt, and root or passwordless sudo (CI
# runners have one of the two). nginx-light is enough (upstream + proxy); a release without it
# falls back to the nginx package.
set -euo pipefail

command -v nginx >/dev/null && exit 0
# Debian puts it in /usr/sbin, which is not on every non-root PATH.
[ -x /usr/sbin/nginx ] && exit 0

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}
apt() {
    # env inside sudo: sudo resets the environment, and apt must never stop to ask.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -y -qq "$@" >/dev/null
}

apt update
apt install --no-install-recommends nginx-light 2>/dev/null || apt install --no-install-recommends nginx
