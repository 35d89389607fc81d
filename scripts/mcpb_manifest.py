"""Writes manifest.json of the MCP Bundle (`anaplan-mcp.mcpb`); scripts/build-mcpb.sh calls it.

The tools come from anaplan_mcp/server/catalogue.json (written by scripts/gen_readme.py), the version
from pyproject.toml, the regions and toolsets from the settings, so the bundle never lists a tool or
a choice the server does not have.

Usage: python scripts/mcpb_manifest.py OUTPUT_DIR
"""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path
from typing import Any

from anaplan_mcp.cloudworks.regions import DEFAULT_REGION, REGIONS
from anaplan_mcp.settings import TOOLSETS

ROOT = Path(__file__).resolve().parents[1]
# 0.4 is the first manifest version with server type "uv" (the `@anthropic-ai/mcpb` schemas).
MANIFEST_VERSION = "0.4"
ENTRY_POINT = "server/main.py"

# The settings form. Each field becomes the variable beside it; the names of the variables are the
# server's own (see README "Configuration"), so the form and a hand-written config mean the same.
USER_CONFIG: dict[str, tuple[str, dict[str, Any]]] = {
    "sandbox": (
        "ANAPLAN_MCP_SANDBOX",
        {
            "type": "boolean",
            "title": "Use the sandbox",
            "description": "Serve the built-in CloudWorks sandbox (a seeded tenant on this "
            "computer) instead of your tenant; the credentials below are then ignored.",
            "default": False,
        },
    ),
    "username": (
        "ANAPLAN_USERNAME",
        {
            "type": "string",
            "title": "Anaplan user",
            "description": "Basic authentication: your Anaplan user (an email address). "
            "Leave empty when you use a certificate.",
        },
    ),
    "password": (
        "ANAPLAN_PASSWORD",
        {
            "type": "string",
            "title": "Anaplan password",
            "description": "Basic authentication: that user's password.",
            "sensitive": True,
        },
    ),
    "certificate": (
        "ANAPLAN_CERTIFICATE",
        {
            "type": "file",
            "title": "CA certificate",
            "description": "Certificate authentication: the certificate's PEM file.",
        },
    ),
    "private_key": (
        "ANAPLAN_PRIVATE_KEY",
        {
            "type": "file",
            "title": "Private key",
            "description": "Certificate authentication: the certificate's private key (PEM file).",
        },
    ),
    "private_key_password": (
        "ANAPLAN_PRIVATE_KEY_PASSWORD",
        {
            "type": "string",
            "title": "Private key password",
            "description": "The private key's password, if it is encrypted.",
            "sensitive": True,
        },
    ),
    "region": (
        "ANAPLAN_REGION",
        {
            "type": "string",
            "title": "Region",
            "description": f"Your tenant's region, one of: {', '.join(REGIONS)}.",
            "default": DEFAULT_REGION,
        },
    ),
    "read_only": (
        "ANAPLAN_MCP_READ_ONLY",
        {
            "type": "boolean",
            "title": "Read-only",
            "description": "Offer only the tools that read; anything that would change the "
            "tenant is refused.",
            "default": False,
        },
    ),
    "toolsets": (
        "ANAPLAN_MCP_TOOLSETS",
        {
            "type": "string",
            "title": "Toolsets",
            "description": f"Comma list of the tool groups to offer: {', '.join(TOOLSETS)}.",
            "default": ",".join(TOOLSETS),
        },
    ),
}


def manifest() -> dict[str, Any]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    catalogue = json.loads(
        (ROOT / "anaplan_mcp" / "server" / "catalogue.json").read_text(encoding="utf-8")
    )
    source = project["urls"]["Source"]
    return {
        "manifest_version": MANIFEST_VERSION,
        "name": "anaplan-mcp",
        "display_name": "Anaplan CloudWorks",
        "version": project["version"],
        "description": project["description"],
        "author": {"name": "anaplan-cloudworks-mcp contributors", "url": source},
        "repository": {"type": "git", "url": source},
        "homepage": source,
        "license": project["license"],
        "keywords": project["keywords"],
        # Type "uv": the host installs Python and the dependencies pyproject.toml names, so a
        # Claude Desktop user needs no Python of their own; type "python" would need every
        # compiled dependency (pydantic-core, cryptography) bundled for each platform. The
        # mcp_config is what a host without its own uv runs: `uv` from the user's PATH.
        "server": {
            "type": "uv",
            "entry_point": ENTRY_POINT,
            "mcp_config": {
                "command": "uv",
                "args": ["run", "--directory", "${__dirname}", ENTRY_POINT],
                "env": {env: f"${{user_config.{key}}}" for key, (env, _) in USER_CONFIG.items()},
            },
        },
        "tools": [{"name": tool["name"], "description": tool["description"]} for tool in catalogue],
        "compatibility": {
            "platforms": ["darwin", "win32", "linux"],
            "runtimes": {"python": project["requires-python"]},
        },
        "user_config": {key: field for key, (_, field) in USER_CONFIG.items()},
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: mcpb_manifest.py OUTPUT_DIR\n")
        return 2
    target = Path(argv[0]) / "manifest.json"
    target.write_text(json.dumps(manifest(), indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
