"""The tool catalogue: current with the tool functions, and what lets a server start without them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from mcp import Client
from mcp.server import MCPServer

from anaplan_mcp.server import catalogue
from anaplan_mcp.server.registry import build_tool, catalogue_entry
from anaplan_mcp.server.tools import ALL_TOOLS
from anaplan_mcp.settings import load_settings
from tests.server.conftest import call

ROOT = Path(__file__).resolve().parents[2]
REFRESH = "run `python scripts/gen_readme.py` and commit anaplan_mcp/server/catalogue.json"


def test_catalogue_matches_the_tool_functions() -> None:
    committed = (ROOT / "anaplan_mcp" / "server" / catalogue.FILE).read_text(encoding="utf-8")
    generated = catalogue.render([catalogue_entry(spec) for spec in ALL_TOOLS])
    assert committed == generated, f"catalogue.json is stale; {REFRESH}"


def test_a_listed_tool_builds_into_the_tool_it_was_listed_from() -> None:
    selection = catalogue.select_tools(
        catalogue.load(), toolsets=load_settings().toolsets, read_only=False
    )
    specs = {spec.name: spec for spec in ALL_TOOLS}
    assert set(selection.tools) == set(specs)
    for name, listed in selection.tools.items():
        built = listed.built()
        assert built is listed.built(), f"{name} was built twice"
        assert built.parameters == listed.parameters == build_tool(specs[name]).parameters
        assert listed.argument_names == list(built.fn_metadata.arg_model.model_fields)


@pytest.mark.anyio
async def test_calls_reach_the_built_tool_and_publish_no_output_schema(
    make_server: Callable[..., MCPServer],
) -> None:
    async with Client(make_server()) as client:
        listed = (await client.list_tools()).tools
        assert listed and all(tool.output_schema is None for tool in listed)
        page = await call(client, "list_connections", {"limit": 2})
        assert len(page["items"]) == 2


# A host starting the server: everything up to the `tools/list` answer, in a fresh interpreter.
_START_AND_LIST = textwrap.dedent(
    """
    import sys
    import anyio
    from mcp import Client
    from anaplan_mcp.server.app import create_server
    from anaplan_mcp.settings import load_settings

    async def main():
        async with Client(create_server(load_settings(sandbox=True))) as client:
            print(len((await client.list_tools()).tools))
            print(" ".join(sorted(sys.modules)))

    anyio.run(main)
    """
)


def test_answering_tools_list_imports_no_tool_model_or_sandbox_code() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _START_AND_LIST],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    count, modules = done.stdout.splitlines()
    assert int(count) == len(ALL_TOOLS)
    loaded = set(modules.split())
    too_early = sorted(
        name
        for name in loaded
        if name.startswith(
            ("anaplan_mcp.server.tools", "anaplan_mcp.sandbox", "anaplan_mcp.cloudworks.client")
        )
        or (name.startswith("anaplan_mcp.models.") and name not in _MODEL_HELPERS)
    )
    assert not too_early, f"imported before the first call: {too_early}"


# What the argument guard needs to word a refusal: no model classes.
_MODEL_HELPERS = {"anaplan_mcp.models._errors", "anaplan_mcp.models._types"}
