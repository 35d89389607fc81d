"""`serve --transport http --token-passthrough` end to end: each MCP caller's own Anaplan token,
taken from its `Authorization: AnaplanAuthToken <token>` header, reaches a sandbox on another port;
the server has no credentials of its own."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from anaplan_mcp.sandbox.seed_ids import SANDBOX_USER_GUID

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.anyio

SANDBOX_USER = ("sandbox@example.com", "sandbox")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _serving(args: list[str], env: dict[str, str], probe_url: str) -> Iterator[None]:
    """Runs `python -m anaplan_mcp ARGS` until the block ends; ready once `probe_url` answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "anaplan_mcp", *args],
        env={"PATH": os.environ.get("PATH", ""), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx2.get(probe_url, timeout=1)
                break
            except httpx2.TransportError:
                pass
            assert process.poll() is None, f"{args[0]} exited with {process.returncode}"
            assert time.monotonic() < deadline, f"{args[0]} did not answer {probe_url} in 30 s"
            time.sleep(0.05)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    """`anaplan-mcp sandbox` on a free loopback port: CloudWorks, Integration API and auth service."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with _serving(["sandbox", "--port", str(port)], {}, f"{base}/token/validate"):
        yield base


@pytest.fixture(scope="module")
def mcp_url(sandbox_url: str) -> Iterator[str]:
    """The MCP server with --token-passthrough, pointed at the sandbox, with no credentials."""
    port = _free_port()
    env = {
        "ANAPLAN_CLOUDWORKS_URL": f"{sandbox_url}/2/0",
        "ANAPLAN_API_URL": f"{sandbox_url}/2/0",
        "ANAPLAN_AUTH_URL": sandbox_url,
    }
    args = ["serve", "--transport", "http", "--port", str(port), "--token-passthrough"]
    base = f"http://127.0.0.1:{port}"
    with _serving(args, env, f"{base}/healthz"):
        yield f"{base}/mcp"


def _login(sandbox_url: str) -> str:
    """A fresh token for the sandbox's seeded user, as a caller would get it from Anaplan."""
    answer = httpx2.post(f"{sandbox_url}/token/authenticate", auth=SANDBOX_USER, timeout=10)
    answer.raise_for_status()
    token: str = answer.json()["tokenInfo"]["tokenValue"]
    return token


@asynccontextmanager
async def _caller(url: str, token: str | None, mode: str = "auto") -> AsyncIterator[Client]:
    """An MCP client whose every HTTP request carries `token` (or no Authorization header)."""
    headers = {"Authorization": f"AnaplanAuthToken {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode) as client,
    ):
        yield client


def _text(result: CallToolResult) -> str:
    return " ".join(block.text for block in result.content if isinstance(block, TextContent))


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_caller_with_its_own_token_lists_integrations(
    sandbox_url: str, mcp_url: str, mode: str
) -> None:
    async with _caller(mcp_url, _login(sandbox_url), mode) as client:
        result = await client.call_tool("list_integrations", {"limit": 3})
    assert not result.is_error, _text(result)
    assert result.structured_content is not None
    assert len(result.structured_content["items"]) == 3
    assert result.structured_content["total"] > 3


async def test_who_am_i_names_the_caller_of_the_token(sandbox_url: str, mcp_url: str) -> None:
    async with _caller(mcp_url, _login(sandbox_url)) as client:
        result = await client.call_tool("who_am_i", {})
    assert not result.is_error, _text(result)
    assert result.structured_content is not None
    assert result.structured_content["user_id"] == SANDBOX_USER_GUID
    async with _caller(mcp_url, None) as client:
        anonymous = await client.call_tool("who_am_i", {})
    assert anonymous.is_error and "no caller token" in _text(anonymous)


async def test_a_caller_without_a_token_gets_a_clear_refusal(mcp_url: str) -> None:
    async with _caller(mcp_url, None) as client:
        result = await client.call_tool("list_integrations", {})
    assert result.is_error
    message = _text(result)
    assert "no caller token" in message
    assert "passthrough" in message


async def test_the_refusal_tells_the_caller_which_header_to_send(mcp_url: str) -> None:
    async with _caller(mcp_url, None) as client:
        result = await client.call_tool("list_integrations", {})
    message = _text(result)
    assert "Authorization: AnaplanAuthToken" in message
    assert "server's Anaplan credentials" not in message


async def test_callers_with_different_tokens_never_share_them(
    sandbox_url: str, mcp_url: str
) -> None:
    kept, revoked = _login(sandbox_url), _login(sandbox_url)
    logout = httpx2.post(
        f"{sandbox_url}/token/logout",
        headers={"Authorization": f"AnaplanAuthToken {revoked}"},
        timeout=10,
    )
    assert logout.is_success
    results: dict[str, list[CallToolResult]] = {"kept": [], "revoked": []}

    async def call_repeatedly(client: Client, key: str) -> None:
        for _ in range(4):
            results[key].append(await client.call_tool("list_integrations", {"limit": 1}))

    # Both callers' requests interleave on the one server process, which shares one CloudWorks
    # client between them: a token leaking from one request into another would show up here.
    async with (
        _caller(mcp_url, kept) as kept_client,
        _caller(mcp_url, revoked) as revoked_client,
        anyio.create_task_group() as group,
    ):
        group.start_soon(call_repeatedly, kept_client, "kept")
        group.start_soon(call_repeatedly, revoked_client, "revoked")

    assert [result.is_error for result in results["kept"]] == [False] * 4
    assert [result.is_error for result in results["revoked"]] == [True] * 4
    refusals = " ".join(_text(result) for result in results["revoked"])
    assert "401" in refusals
    assert kept not in refusals and revoked not in refusals
