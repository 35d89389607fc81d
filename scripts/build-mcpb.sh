#!/usr/bin/env bash
# Builds the MCP Bundle for Claude Desktop: dist/anaplan-mcp.mcpb (or the path given).
#   bash scripts/build-mcpb.sh [OUTPUT.mcpb]
# The bundle holds manifest.json (scripts/mcpb_manifest.py), the package's source, pyproject.toml
# and the launcher packaging/mcpb/server/main.py. The host installs the dependencies with uv when the
# bundle is first started (server type "uv"), so nothing platform-specific is packed.
# The official `mcpb` tool (npm, installed into .tools/ by scripts/external-clients.sh) validates the
# manifest and packs the bundle; the package must be installed in .venv (the quick start does it).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/dist/anaplan-mcp.mcpb}
python=${PYTHON:-$root/.venv/bin/python}
[ -x "$python" ] || { echo "build-mcpb: $python not found; run the quick start first" >&2; exit 3; }

eval "$(bash "$root/scripts/external-clients.sh" --print-env)"
export PATH="$(dirname "$NODE22"):$PATH"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
# Only what the server needs at run time and what building the package from pyproject.toml needs
# (README.md is its readme, prompts/ is packed into it).
cp -R "$root/anaplan_mcp" "$root/prompts" "$stage/"
cp "$root/pyproject.toml" "$root/README.md" "$stage/"
mkdir -p "$stage/server"
cp "$root/packaging/mcpb/server/main.py" "$stage/server/main.py"
find "$stage" -name __pycache__ -type d -prune -exec rm -rf {} +
# uv makes .venv next to pyproject.toml on the user's machine; never pack one made here.
printf '.venv/\n__pycache__/\n*.pyc\n' >"$stage/.mcpbignore"
"$python" "$root/scripts/mcpb_manifest.py" "$stage"

"$MCPB" validate "$stage/manifest.json"
mkdir -p "$(dirname "$out")"
rm -f "$out"
"$MCPB" pack "$stage" "$out"
echo "build-mcpb: wrote $out" >&2
