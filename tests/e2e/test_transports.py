"""The server as users start it: a real process over stdio and over streamable HTTP."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import httpx2
import pytest
from mcp import Client, StdioServerParameters

from tests.listening import wait_for_health

pytestmark = pytest.mark.anyio

SANDBOX_ENV = {"ANAPLAN_MCP_SANDBOX": "1", "PATH": os.environ.get("PATH", "")}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_stdio_server_lists_and_calls_tools() -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "anaplan_mcp", "serve"], env=SANDBOX_ENV
    )
    async with Client(params) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert {"list_integrations", "diagnose_integration", "run_integration"} <= names
        result = await client.call_tool("list_connections", {"limit": 2})
        assert not result.is_error
        assert result.structured_content is not None
        assert len(result.structured_content["items"]) == 2


def test_stdout_carries_only_protocol_frames_from_start_to_shutdown() -> None:
    requests = [
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "probe", "version": "1"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "list_integrations", "arguments": {"limit": 1}},
        },
    ]
    process = subprocess.Popen(
        [sys.executable, "-m", "anaplan_mcp", "serve"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=SANDBOX_ENV,
    )
    assert process.stdin is not None and process.stdout is not None
    frames: list[dict[str, object]] = []
    with process:
        process.stdin.write("".join(json.dumps(request) + "\n" for request in requests))
        process.stdin.flush()
        while 3 not in {frame.get("id") for frame in frames}:
            line = process.stdout.readline()
            if not line:
                break
            if line.strip():
                frames.append(json.loads(line))
        process.stdin.close()
        # Whatever comes after the last answer, up to exit, must be protocol too.
        frames.extend(json.loads(line) for line in process.stdout if line.strip())
    assert all(frame.get("jsonrpc") == "2.0" for frame in frames)
    assert {frame.get("id") for frame in frames} >= {1, 2, 3}


def test_misconfigured_server_says_why_on_stderr_and_nothing_on_stdout() -> None:
    env = {"PATH": os.environ.get("PATH", ""), "ANAPLAN_REGION": "mars1"}
    done = subprocess.run(
        [sys.executable, "-m", "anaplan_mcp", "serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "ANAPLAN_REGION" in lines[0] and "us1" in lines[0]


@pytest.fixture
def http_server() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "anaplan_mcp",
            "serve",
            "--transport",
            "http",
            "--port",
            str(port),
            "--allowed-hosts",
            "mcp.example.com",
        ],
        env=SANDBOX_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_http_server_serves_both_protocol_eras(http_server: str, mode: str) -> None:
    async with Client(f"{http_server}/mcp", mode=mode) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert "get_integration" in names
        result = await client.call_tool("list_flows", {})
        assert not result.is_error


def test_http_server_refuses_foreign_hosts_but_admits_allowed_ones(http_server: str) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"Accept": "application/json, text/event-stream"}
    foreign = httpx2.post(f"{http_server}/mcp", json=body, headers={**headers, "Host": "evil.test"})
    allowed = httpx2.post(
        f"{http_server}/mcp", json=body, headers={**headers, "Host": "mcp.example.com"}
    )
    assert foreign.status_code == 421
    assert allowed.status_code != 421
