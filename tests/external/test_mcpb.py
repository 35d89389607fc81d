"""The MCP Bundle: built by scripts/build-mcpb.sh, validated, packed and unpacked by the official
`mcpb` tool, and its server started the way Claude Desktop starts it.

Claude Desktop turns the manifest and the settings form into a command with the `@anthropic-ai/mcpb`
library (`getMcpConfigForManifest`); the test asks that library too, so the variable names, the
booleans as "true"/"false" and the placeholders of fields left empty are the host's, not ours.
The manifest's command is `uv run --directory <bundle> server/main.py`: uv would install the
dependencies from PyPI into a fresh environment, which this machine cannot reach, so the test runs
the same entry point with the interpreter running the tests, which has them. The bundled source of
the package is what the entry point imports.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

from tests.external.conftest import CLIENT_TIMEOUT_SECONDS, ROOT, ExternalTools

pytestmark = pytest.mark.anyio

BUILD_SCRIPT = ROOT / "scripts" / "build-mcpb.sh"
CATALOGUE = json.loads((ROOT / "anaplan_mcp" / "server" / "catalogue.json").read_text())
RESOLVE_JS = """
import { readFileSync } from "node:fs";
const [library, bundle, form] = process.argv.slice(1);
const { getMcpConfigForManifest } = await import(library);
const manifest = JSON.parse(readFileSync(`${bundle}/manifest.json`, "utf-8"));
const config = await getMcpConfigForManifest({
  manifest, extensionPath: bundle, systemDirs: { HOME: process.env.HOME },
  userConfig: JSON.parse(form), pathSeparator: "/",
});
process.stdout.write(JSON.stringify(config ?? null));
"""


@pytest.fixture(scope="module")
def bundle(external_tools: ExternalTools, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built bundle, unpacked by `mcpb unpack` into a folder of its own."""
    work = tmp_path_factory.mktemp("mcpb")
    built = work / "anaplan-mcp.mcpb"
    done = subprocess.run(
        ["bash", str(BUILD_SCRIPT), str(built)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": sys.executable},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"build-mcpb.sh exited {done.returncode}:\n{done.stderr[-3000:]}"
    assert "Manifest schema validation passes!" in done.stdout
    assert built.stat().st_size > 0
    unpacked = work / "unpacked"
    done = external_tools.run(external_tools.mcpb, ["unpack", str(built), str(unpacked)])
    assert done.returncode == 0, done.stdout + done.stderr
    return unpacked


def _resolve(tools: ExternalTools, bundle: Path, form: dict[str, Any]) -> dict[str, Any]:
    # .tools/mcpb/node_modules/.bin/mcpb -> .tools/mcpb/node_modules/@anthropic-ai/mcpb
    library = tools.mcpb.parents[1] / "@anthropic-ai" / "mcpb" / "dist" / "index.js"
    done = tools.run(
        tools.node,
        ["--input-type=module", "-e", RESOLVE_JS, library.as_uri(), str(bundle), json.dumps(form)],
    )
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] | None = json.loads(done.stdout)
    assert config is not None, "the host would not start the bundle with this form"
    return config


def _server(bundle: Path, config: dict[str, Any]) -> StdioServerParameters:
    """The manifest's `uv run --directory <bundle> ENTRY`, run by this interpreter."""
    command, args = config["command"], config["args"]
    assert [command, *args[:3]] == ["uv", "run", "--directory", str(bundle)], config
    entry = bundle / args[3]
    assert entry.is_file(), entry
    env = {**config["env"], "PATH": os.environ.get("PATH", "")}
    return StdioServerParameters(command=sys.executable, args=[str(entry)], env=env, cwd=bundle)


def test_validates_with_the_official_tool(external_tools: ExternalTools, bundle: Path) -> None:
    done = external_tools.run(external_tools.mcpb, ["validate", str(bundle / "manifest.json")])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Manifest schema validation passes!" in done.stdout


def test_manifest_lists_the_catalogue_and_asks_for_the_settings(bundle: Path) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text())
    listed = [(tool["name"], tool["description"]) for tool in manifest["tools"]]
    assert listed == [(tool["name"], tool["description"]) for tool in CATALOGUE]
    form = manifest["user_config"]
    assert {key for key, field in form.items() if field.get("sensitive")} == {
        "password",
        "private_key_password",
    }
    assert form["sandbox"]["type"] == "boolean"
    assert form["read_only"]["type"] == "boolean"
    assert form["certificate"]["type"] == form["private_key"]["type"] == "file"
    env = manifest["server"]["mcp_config"]["env"]
    assert env["ANAPLAN_PASSWORD"] == "${user_config.password}"
    assert env["ANAPLAN_MCP_SANDBOX"] == "${user_config.sandbox}"
    # The package's source and what building it from pyproject.toml needs travel in the bundle.
    for path in ("pyproject.toml", "README.md", "prompts", "anaplan_mcp/server/catalogue.json"):
        assert (bundle / path).exists(), path


async def test_bundled_server_starts_lists_its_tools_and_answers(
    external_tools: ExternalTools, bundle: Path
) -> None:
    config = _resolve(external_tools, bundle, {"sandbox": True})
    # What the host hands over for the fields left empty; the launcher must treat it as unset.
    assert config["env"]["ANAPLAN_MCP_SANDBOX"] == "true"
    assert config["env"]["ANAPLAN_USERNAME"] == "${user_config.username}"
    with anyio.fail_after(CLIENT_TIMEOUT_SECONDS):
        async with Client(_server(bundle, config)) as client:
            names = [tool.name for tool in (await client.list_tools()).tools]
            assert sorted(names) == sorted(tool["name"] for tool in CATALOGUE)
            result = await client.call_tool("list_connections", {"limit": 2})
            assert not result.is_error, result.content
            assert result.structured_content is not None
            assert len(result.structured_content["items"]) == 2


async def test_form_switches_reach_the_server(external_tools: ExternalTools, bundle: Path) -> None:
    form = {"sandbox": True, "read_only": True, "toolsets": "connections", "region": "eu1"}
    config = _resolve(external_tools, bundle, form)
    expected = sorted(
        tool["name"]
        for tool in CATALOGUE
        if tool["toolset"] in ("connections", "always") and tool["access"] == "read"
    )
    with anyio.fail_after(CLIENT_TIMEOUT_SECONDS):
        async with Client(_server(bundle, config)) as client:
            assert sorted(tool.name for tool in (await client.list_tools()).tools) == expected


def test_empty_form_reads_as_no_credentials(external_tools: ExternalTools, bundle: Path) -> None:
    """Fields left empty arrive as placeholders; the server must see them as unset, not as a
    certificate file named `${user_config.certificate}`."""
    config = _resolve(external_tools, bundle, {"username": "me@acme.com"})
    assert config["env"]["ANAPLAN_CERTIFICATE"] == "${user_config.certificate}"
    server = _server(bundle, config)
    done = subprocess.run(
        [server.command, *server.args],
        env=server.env,
        cwd=bundle,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT_SECONDS,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "ANAPLAN_PASSWORD" in lines[0]
