#!/usr/bin/env bash
# Installs MCP clients written by others into .tools/ (git-ignored), from the npm registry only:
#   .tools/node22       node 22 (the Inspector 2.x needs node >= 22.19; the registry ships node itself)
#   .tools/inspector    @modelcontextprotocol/inspector (CLI mode: `mcp-inspector --cli`)
#   .tools/conformance  @modelcontextprotocol/conformance (the official server conformance suite)
#   .tools/mcpb         @anthropic-ai/mcpb (validates and packs the MCP Bundle: scripts/build-mcpb.sh)
# Idempotent: a component whose stamp matches its pinned version is left alone, so a second run
# installs nothing and touches no network. Versions are pinned so that CI runs are reproducible.
# Usage: scripts/external-clients.sh [--print-env]   (ANAPLAN_MCP_TOOLS_DIR overrides the folder)
set -euo pipefail

NODE_VERSION=22.23.3
INSPECTOR_VERSION=2.12.0
CONFORMANCE_VERSION=0.1.16
MCPB_VERSION=2.1.2

root=$(cd "$(dirname "$0")/.." && pwd)
tools=${ANAPLAN_MCP_TOOLS_DIR:-$root/.tools}

command -v npm >/dev/null || { echo "external-clients: npm is not installed" >&2; exit 3; }
mkdir -p "$tools"
# Everything npm writes (cache, logs) stays under .tools, so the script works with a read-only HOME
# and a later run finds its tarballs in the cache.
export npm_config_cache="$tools/npm-cache"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
export npm_config_loglevel=error

# install DIR PACKAGE VERSION CHECK_FILE: skip when the stamp says this version is already there.
install() {
    local dir="$tools/$1" package=$2 version=$3 check=$4
    local stamp="$dir/.installed"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$package@$version" ] && [ -e "$dir/$check" ]; then
        return 0
    fi
    rm -rf "$dir" && mkdir -p "$dir"
    # A package.json of our own keeps npm from walking up into the repository.
    printf '{"name":"anaplan-mcp-%s","private":true}\n' "$1" >"$dir/package.json"
    (cd "$dir" && npm install --no-save --prefer-offline "$package@$version" >"$dir/install.log" 2>&1) || {
        echo "external-clients: installing $package@$version failed; see $dir/install.log" >&2
        tail -n 20 "$dir/install.log" >&2
        return 1
    }
    echo "$package@$version" >"$stamp"
    echo "external-clients: installed $package@$version in $dir" >&2
}

# The installs are independent; running them side by side roughly halves the wall time.
install node22 node "$NODE_VERSION" node_modules/node/bin/node &
node_job=$!
install inspector @modelcontextprotocol/inspector "$INSPECTOR_VERSION" \
    node_modules/.bin/mcp-inspector &
inspector_job=$!
install conformance @modelcontextprotocol/conformance "$CONFORMANCE_VERSION" \
    node_modules/.bin/conformance &
conformance_job=$!
install mcpb @anthropic-ai/mcpb "$MCPB_VERSION" node_modules/.bin/mcpb &
mcpb_job=$!
status=0
for job in "$node_job" "$inspector_job" "$conformance_job" "$mcpb_job"; do
    wait "$job" || status=1
done
[ "$status" -eq 0 ] || exit 1

node22="$tools/node22/node_modules/node/bin/node"
"$node22" --version >/dev/null || { echo "external-clients: $node22 does not run" >&2; exit 1; }

if [ "${1:-}" = "--print-env" ]; then
    echo "NODE22=$node22"
    echo "MCP_INSPECTOR=$tools/inspector/node_modules/.bin/mcp-inspector"
    echo "MCP_CONFORMANCE=$tools/conformance/node_modules/.bin/conformance"
    echo "MCPB=$tools/mcpb/node_modules/.bin/mcpb"
fi
