"""What an agent in a host does, made checkable: calls through `mcp.Client`, counted and weighed.

A `Journey` is one conversation's tool calls. Each call records the tool, its arguments, the cl100k
tokens of the text the model reads and how long it took on the sandbox clock (the host's 60 s request
timeout is a limit on that time, since waiting moves the sandbox clock). Every result's `next_calls`
are checked against the named tool's input schema, and an error must name a tool to call next: a
journey never ends in an error that leaves the agent nowhere to go.

Shared by the journey tests and the benchmarks (`bench/journeys.py`, and `server_over` elsewhere).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from mcp import Client
from mcp.server import MCPServer
from mcp.types import CallToolResult, ElicitRequestParams, ElicitResult

from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.server.app import create_server
from anaplan_mcp.server.state import Timing
from anaplan_mcp.settings import load_settings
from tests.suggestions import Checker, next_calls_in
from tests.tokens import count_tokens

HOST_TIMEOUT_SECONDS = 60.0
Elicit = Callable[[Any, ElicitRequestParams], Awaitable[ElicitResult]]


class DeadEnd(AssertionError):
    """A call whose only outcome is an error that names no working next step."""


@dataclass
class Call:
    tool: str
    arguments: dict[str, Any]
    tokens: int
    error: bool
    seconds: float
    data: dict[str, Any] | None
    text: str


def server_over(sandbox: Sandbox, **settings: Any) -> MCPServer:
    """A server on `sandbox` whose waits move the sandbox clock instead of sleeping."""

    async def advance(seconds: float) -> None:
        sandbox.clock.advance(seconds)

    timing = Timing(sleep=advance, clock=sandbox.clock.timestamp)
    return create_server(load_settings(sandbox=True, **settings), sandbox=sandbox, timing=timing)


@dataclass
class Journey:
    """One agent's walk through the tools of a host with a 60 s request timeout."""

    client: Client
    sandbox: Sandbox
    schemas: dict[str, dict[str, Any]]
    checker: Checker
    calls: list[Call] = field(default_factory=list)

    @classmethod
    async def open(cls, client: Client, sandbox: Sandbox) -> Journey:
        listed = (await client.list_tools()).tools
        schemas = {tool.name: tool.input_schema for tool in listed}
        return cls(client, sandbox, schemas, Checker(listed))

    @property
    def tools_called(self) -> list[str]:
        return [call.tool for call in self.calls]

    @property
    def tokens(self) -> int:
        return sum(call.tokens for call in self.calls)

    async def attempt(self, tool: str, **arguments: Any) -> Call:
        """Call a tool as the host would; an error result is returned, but must lead somewhere."""
        started = self.sandbox.clock.timestamp()
        result: CallToolResult = await self.client.call_tool(
            tool, arguments, read_timeout_seconds=HOST_TIMEOUT_SECONDS
        )
        text = " ".join(getattr(block, "text", "") for block in result.content)
        data = result.structured_content
        call = Call(
            tool,
            arguments,
            count_tokens(text),
            bool(result.is_error),
            self.sandbox.clock.timestamp() - started,
            data,
            text,
        )
        self.calls.append(call)
        if call.seconds > HOST_TIMEOUT_SECONDS:
            raise AssertionError(f"{tool} took {call.seconds:g} s of the host's 60 s")
        problems = [
            p for suggested in next_calls_in(data) for p in self.checker.problems(suggested)
        ]
        if problems:
            raise AssertionError(f"{tool} suggested invalid calls: {problems}")
        if call.error and not any(name in text for name in self.schemas):
            raise DeadEnd(f"{tool} failed and names no tool to call next: {text}")
        return call

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        """Call a tool that must succeed; its structured result."""
        call = await self.attempt(tool, **arguments)
        if call.error or call.data is None:
            raise AssertionError(f"{tool}({arguments}) failed: {call.text}")
        return call.data

    async def follow(self, suggested: dict[str, Any]) -> dict[str, Any]:
        """Make a suggested call as given."""
        return await self.call(suggested["tool"], **suggested["arguments"])

    def summary(self) -> str:
        return json.dumps([(c.tool, c.tokens) for c in self.calls])


def suggested(result: dict[str, Any], tool: str) -> dict[str, Any]:
    """The first suggested call of `tool` in a result."""
    found = next((c for c in next_calls_in(result) if c["tool"] == tool), None)
    if found is None:
        raise AssertionError(f"no {tool} among the suggested calls: {list(next_calls_in(result))}")
    return found
