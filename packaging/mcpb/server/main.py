"""Starts anaplan-mcp from an installed MCP Bundle (`anaplan-mcp.mcpb`).

The host (Claude Desktop) runs this file with the bundle's Python environment: with the manifest's
server type `uv` it is `uv run --directory <bundle> server/main.py`, which installs the dependencies
the bundled pyproject.toml names. The bundle carries the package's own source next to this folder, so
that copy is the one imported, whatever else the environment holds.

The settings form hands every field to the server as an `ANAPLAN_*` variable, also the fields left
empty: an empty one arrives as "" and an optional one without a default as its unreplaced placeholder
(`${user_config.username}`). Both mean "not set", so they are removed before the settings are read;
otherwise an empty region or toolset list would be refused as a wrong value.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

BUNDLE = Path(__file__).resolve().parent.parent
PLACEHOLDER = "${user_config."


def unset_empty_fields(environ: MutableMapping[str, str]) -> None:
    """Removes the `ANAPLAN_*` variables the form left empty."""
    for name in [name for name in environ if name.startswith("ANAPLAN_")]:
        value = environ[name].strip()
        if not value or value.startswith(PLACEHOLDER):
            del environ[name]


def main() -> int:
    unset_empty_fields(os.environ)
    sys.path.insert(0, str(BUNDLE))
    from anaplan_mcp.cli import main as cli_main

    return cli_main(["serve"])


if __name__ == "__main__":
    raise SystemExit(main())
