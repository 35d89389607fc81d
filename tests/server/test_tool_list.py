"""The tool list as clients receive it: a snapshot, and its size in tokens.

`snapshots/tools_list.json` holds every tool's name, title, description, input schema and
annotations as `tools/list` returns them (all toolsets, read-write; keys sorted). The test compares
it character for character on both protocol eras, so any change to what the model reads shows up
in review. After an intended change, regenerate the file and review its diff:

    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/server/test_tool_list.py

The budget tests count the list the way model APIs take it (name, title, description and input
schema per tool, compact JSON) in cl100k tokens, offline (see `tests/tokens.py`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.server import MCPServer
from mcp.types import Tool

from tests.tokens import count_tokens

pytestmark = pytest.mark.anyio

SNAPSHOT = Path(__file__).parent / "snapshots" / "tools_list.json"
SNAPSHOT_FIELDS = ("name", "title", "description", "inputSchema", "annotations")
MODEL_FIELDS = ("name", "title", "description", "inputSchema")
# cl100k budgets of the list a model reads; the whole list measured 5,268 when these were set.
FULL_BUDGET = 6000
READ_ONLY_BUDGET = 2000


def listed(tool: Tool, fields: tuple[str, ...]) -> dict[str, Any]:
    """One tool in its wire form (camelCase, no nulls), cut down to `fields`."""
    wire = tool.model_dump(mode="json", by_alias=True, exclude_none=True)
    return {name: wire[name] for name in fields if name in wire}


async def tools_of(server: MCPServer) -> list[Tool]:
    async with Client(server) as client:
        return list((await client.list_tools()).tools)


def model_tokens(tools: list[Tool]) -> int:
    text = json.dumps([listed(tool, MODEL_FIELDS) for tool in tools], separators=(",", ":"))
    return count_tokens(text)


async def test_tools_list_matches_the_snapshot(client: Client) -> None:
    tools = (await client.list_tools()).tools
    listing = [listed(tool, SNAPSHOT_FIELDS) for tool in tools]
    # Keys sorted: the two protocol eras serialise schema keys in different orders.
    text = json.dumps(listing, indent=2, ensure_ascii=False, sort_keys=True)
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(text + "\n", encoding="utf-8")
    assert SNAPSHOT.read_text(encoding="utf-8") == text + "\n", (
        "tools/list changed; if intended, rerun with UPDATE_SNAPSHOTS=1 and review the diff"
    )


async def test_full_tool_list_fits_its_token_budget(
    make_server: Callable[..., MCPServer],
) -> None:
    tools = await tools_of(make_server())
    assert len(tools) == 31
    assert model_tokens(tools) <= FULL_BUDGET


async def test_read_only_tool_list_fits_its_token_budget(
    make_server: Callable[..., MCPServer],
) -> None:
    tools = await tools_of(make_server(read_only=True))
    assert tools and all(tool.annotations and tool.annotations.read_only_hint for tool in tools)
    assert model_tokens(tools) <= READ_ONLY_BUDGET


def test_the_counter_counts_cl100k_tokens() -> None:
    # Known cl100k encodings: a broken or substituted tokenizer would make the budgets meaningless.
    assert count_tokens("hello world") == 2
    assert count_tokens('{"type":"object"}') == 5
