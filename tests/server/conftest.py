"""Shared fixtures: an MCP server over the in-process sandbox, with time that moves on demand."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from mcp import Client, types
from mcp.server import MCPServer

from anaplan_mcp.sandbox.app import Sandbox, SandboxConfig
from anaplan_mcp.sandbox.clock import Clock
from anaplan_mcp.server.app import create_server
from anaplan_mcp.server.state import Timing
from anaplan_mcp.settings import load_settings

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(SandboxConfig(), clock=Clock(frozen_at=NOW))


def sandbox_timing(sandbox: Sandbox) -> Timing:
    """Waiting advances the sandbox clock instead of sleeping."""

    async def advance(seconds: float) -> None:
        sandbox.clock.advance(seconds)

    return Timing(sleep=advance, clock=sandbox.clock.timestamp)


@pytest.fixture
def make_server(sandbox: Sandbox) -> Callable[..., MCPServer]:
    """`make_server(read_only=True, toolsets="runs", ...)`: a server over the fixture's sandbox."""

    def make(**settings: Any) -> MCPServer:
        return create_server(
            load_settings(sandbox=True, **settings),
            sandbox=sandbox,
            timing=sandbox_timing(sandbox),
        )

    return make


@pytest.fixture(params=["auto", "legacy"])
async def client(
    request: pytest.FixtureRequest, make_server: Callable[..., MCPServer]
) -> AsyncIterator[Client]:
    """An in-memory MCP client on both protocol eras (2026-07-28 and the 2025 handshake)."""
    async with Client(make_server(), mode=request.param) as connected:
        yield connected


def requests_to(sandbox: Sandbox, fragment: str = "/2/0/") -> list[Any]:
    """The sandbox's logged CloudWorks/Integration API requests whose path contains `fragment`."""
    return [record for record in sandbox.faults.requests if fragment in record.path]


def text_of(result: types.CallToolResult) -> str:
    """The text a host would show for `result`."""
    return " ".join(c.text for c in result.content if isinstance(c, types.TextContent))


async def call(client: Client, tool: str, args: dict[str, Any]) -> Any:
    """Call a tool that must succeed; return its structured content."""
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    return result.structured_content


async def refused(client: Client, sandbox: Sandbox, tool: str, args: dict[str, Any]) -> str:
    """Call a tool that must refuse; return its message after checking that nothing was sent."""
    sandbox.faults.clear_requests()
    result = await client.call_tool(tool, args)
    assert result.is_error
    assert sandbox.faults.requests == []
    return text_of(result)
