#!/usr/bin/env bash
# Installs Redis from the distribution's packages for `serve --oauth` with several replicas (the
# shared store) and for its tests (tests/authorization, tests/e2e/test_load_balanced_oauth.py).
# Idempotent and quiet: when redis-server is already there it does nothing and touches no network.
# Needs apt, and root or passwordless sudo. The tests start their own redis-server on a free port;
# a deployment runs the packaged service (systemd starts it on install).
set -euo pipefail

command -v redis-server >/dev/null && exit 0
# Debian puts it in /usr/bin, but check the full path as install-nginx.sh does for /usr/sbin.
[ -x /usr/bin/redis-server ] && exit 0

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}
apt() {
    # env inside sudo: sudo resets the environment, and apt must never stop to ask.
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -y -qq "$@" >/dev/null
}

apt update
apt install --no-install-recommends redis-server
