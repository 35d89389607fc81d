"""A host that gives up on a call stops the server's wait, in memory and over streamable HTTP,
on both protocol eras; a cancel from another caller stops nothing.

The server's sleep between polls is a gate the test opens: a wait makes no progress on its own, so
the only way for it to end early is to be cancelled, and the gate sees that happen.
"""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from typing import Any

import anyio
import httpx2
import mcp
import pytest
import uvicorn

from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.seed_ids import PRODUCTS_IMPORT_ID
from anaplan_mcp.server.app import create_server
from anaplan_mcp.server.http import http_app
from anaplan_mcp.server.state import Timing
from anaplan_mcp.settings import load_settings
from tests.cancelling import cancel_after_first_progress

pytestmark = pytest.mark.anyio
MODES = ["auto", "legacy"]
WAIT = {"integration_id": PRODUCTS_IMPORT_ID, "wait": True, "timeout_seconds": 3600}
LEGACY_VERSION = "2025-11-25"
# Generous bounds on events that happen at once when the code is right (never timings).
SETTLE_SECONDS = 20


class Gate:
    """The server's sleep: blocks until `open()`, then moves the sandbox clock; notes a cancel."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.opened = anyio.Event()
        self.cancelled = anyio.Event()

    async def sleep(self, seconds: float) -> None:
        try:
            await self.opened.wait()
        except anyio.get_cancelled_exc_class():
            self.cancelled.set()
            raise
        self.sandbox.clock.advance(seconds)

    def timing(self) -> Timing:
        return Timing(sleep=self.sleep, clock=self.sandbox.clock.timestamp)


@pytest.fixture
def gate(sandbox: Sandbox) -> Gate:
    return Gate(sandbox)


@pytest.fixture
def server(sandbox: Sandbox, gate: Gate) -> mcp.server.MCPServer:
    return create_server(load_settings(sandbox=True), sandbox=sandbox, timing=gate.timing())


@pytest.fixture
async def http_url(server: mcp.server.MCPServer) -> AsyncIterator[str]:
    """The server's streamable HTTP app (as `serve --transport http` runs it) on a free port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    config = uvicorn.Config(
        http_app(server, host="127.0.0.1"), host="127.0.0.1", port=port, log_level="warning"
    )
    web = uvicorn.Server(config)
    async with anyio.create_task_group() as group:
        group.start_soon(web.serve)
        with anyio.fail_after(SETTLE_SECONDS):
            while not web.started:  # noqa: ASYNC110 (uvicorn offers a flag, no event)
                await anyio.sleep(0.01)
        yield f"http://127.0.0.1:{port}/mcp"
        web.should_exit = True


@pytest.mark.parametrize("mode", MODES)
async def test_cancelling_a_call_in_memory_stops_the_wait(
    mode: str, server: mcp.server.MCPServer, gate: Gate, sandbox: Sandbox
) -> None:
    async with mcp.Client(server, mode=mode) as client:
        run_id = await cancel_after_first_progress(client, WAIT, SETTLE_SECONDS)
        with anyio.fail_after(SETTLE_SECONDS):
            await gate.cancelled.wait()
        # The run itself goes on, and the next call finds it by the id the progress named.
        status = await client.call_tool("get_run_status", {"run_id": run_id})
        assert status.structured_content and status.structured_content["outcome"] == "running"


@pytest.mark.parametrize("mode", MODES)
async def test_cancelling_a_call_over_http_stops_the_wait(
    mode: str, http_url: str, gate: Gate, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="anaplan_mcp")
    async with mcp.Client(http_url, mode=mode) as client:
        run_id = await cancel_after_first_progress(client, WAIT, SETTLE_SECONDS)
        with anyio.fail_after(SETTLE_SECONDS):
            await gate.cancelled.wait()
        assert f"wait for {run_id} stopped: the call was cancelled" in caplog.text
        # The server is still serving, and the call's abrupt end left nothing broken.
        listed = await client.call_tool("list_flows", {})
        assert not listed.is_error
    assert "ASGI callable returned without completing response" not in caplog.text


def _events(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line[5:]) for line in lines if line.startswith("data:")]


async def _legacy_post(
    http: httpx2.AsyncClient, url: str, body: dict[str, Any], headers: dict[str, str]
) -> httpx2.Response:
    return await http.post(url, json=body, headers=headers)


async def test_a_2025_cancel_only_stops_the_callers_own_call(
    http_url: str, gate: Gate, sandbox: Sandbox
) -> None:
    """Request ids are the client's own: another caller naming the same id cancels nothing."""
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": LEGACY_VERSION,
    }
    initialize = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": LEGACY_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "raw", "version": "1"},
        },
    }
    call = {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "tools/call",
        "params": {"name": "run_integration", "arguments": WAIT, "_meta": {"progressToken": 7}},
    }
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7}}
    async with httpx2.AsyncClient(timeout=SETTLE_SECONDS) as http:
        assert (await _legacy_post(http, http_url, initialize, headers)).status_code == 200
        for canceller, cancels in (({"Authorization": "Bearer someone-else"}, False), ({}, True)):
            lines: list[str] = []
            async with http.stream("POST", http_url, json=call, headers=headers) as stream:
                received = stream.aiter_lines()
                async for line in received:
                    lines.append(line)
                    if any(e.get("method") == "notifications/progress" for e in _events(lines)):
                        break
                answer = await _legacy_post(http, http_url, cancel, {**headers, **canceller})
                assert answer.status_code == 202
                if cancels:
                    with anyio.fail_after(SETTLE_SECONDS):
                        await gate.cancelled.wait()
                else:
                    gate.opened.set()  # time moves: the call must run to its end
                async for line in received:
                    lines.append(line)
            results = [e for e in _events(lines) if e.get("id") == 7]
            if cancels:
                assert results == []
            else:
                assert not gate.cancelled.is_set()
                assert results[0]["result"]["structuredContent"]["outcome"] == "succeeded"
                gate.opened = anyio.Event()  # shut again for the second call
