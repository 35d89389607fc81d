"""Replicas behind a load balancer: a short load through nginx, and a confirmation across replicas.

The processes, the nginx config and the load are those of `bench/load.py` (its long form), so the
benchmark cannot rot unnoticed. The load test needs nginx (`bash scripts/install-nginx.sh`): it is
skipped without it on a workstation and fails without it in CI (`CI` set).
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import mcp.types as types
import pytest
from mcp import Client, MCPError
from mcp.client.streamable_http import streamable_http_client

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import load
from _common import sandbox_on_port

from anaplan_mcp.sandbox.seed_ids import PRODUCTS_IMPORT_ID, SALES_IMPORT_ID

pytestmark = pytest.mark.anyio

needs_nginx = pytest.mark.skipif(
    load.nginx_binary() is None and not os.environ.get("CI"),
    reason="nginx is not installed (bash scripts/install-nginx.sh); CI is not set",
)


class RouteRounds(httpx2.AsyncBaseTransport):
    """Sends requests that answer an elicitation (they carry `requestState`) to `second`, the
    rest to `first`: a load balancer that always splits a confirmation across two replicas."""

    def __init__(self, first: int, second: int) -> None:
        self.first, self.second = first, second
        self.inner = httpx2.AsyncHTTPTransport()
        self.calls: list[tuple[int, bool]] = []  # (port, carries requestState) per tools/call

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body: dict[str, Any] = json.loads(request.content) if request.content else {}
        answered = "requestState" in body.get("params", {})
        port = self.second if answered else self.first
        if body.get("method") == "tools/call":
            self.calls.append((port, answered))
        request.url = request.url.copy_with(port=port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class Replicas:
    sandbox: str
    a: int  # shares its state key with b
    b: int
    stranger: int  # has a key of its own


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
async def replicas(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Replicas]:
    """The sandbox and three replicas, started once for the module (starting them is the slow part)."""
    shared, other = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    logs = tmp_path_factory.mktemp("replica-logs")
    async with (
        sandbox_on_port() as sandbox,
        load.replicas(sandbox, [shared, shared, other], logs) as (a, b, stranger),
    ):
        yield Replicas(sandbox, a, b, stranger)


@needs_nginx
async def test_short_load_through_nginx_has_no_errors_and_uses_every_replica(
    replicas: Replicas,
) -> None:
    report = await load.through_nginx(
        replicas.sandbox, [replicas.a, replicas.b], calls=100, concurrency=6
    )
    assert report.load.errors == []
    assert len(report.load.latencies) == 100
    assert set(report.load.per_era) == {"auto", "legacy"}
    # Round robin: both replicas answer a share of the MCP requests (at least the 100 calls).
    assert sum(report.served.values()) >= 100
    assert all(count > 0 for count in report.served.values()), report.served


async def _delete_schedule(first: int, second: int, integration_id: str) -> tuple[Any, list[str]]:
    """`delete_schedule` with round 1 on `first` and the user's answer on `second`: the tool's
    result, or the MCPError that the second round answered."""
    asked: list[str] = []

    async def accept(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        return types.ElicitResult(action="accept", content={"confirm": True})

    routes = RouteRounds(first, second)
    http = httpx2.AsyncClient(transport=routes, timeout=httpx2.Timeout(30.0, read=60.0))
    url = f"http://127.0.0.1:{first}/mcp"
    async with (
        http,
        Client(streamable_http_client(url, http_client=http), elicitation_callback=accept) as c,
    ):
        result: types.CallToolResult | MCPError
        try:
            result = await c.call_tool("delete_schedule", {"integration_id": integration_id})
        except MCPError as exc:
            result = exc
    # Both rounds took the route they were meant to, whatever the outcome.
    assert routes.calls == [(first, False), (second, True)]
    return result, asked


async def _schedule(port: int, integration_id: str) -> Any:
    async with Client(f"http://127.0.0.1:{port}/mcp") as client:
        result = await client.call_tool("get_integration", {"integration_id": integration_id})
    assert not result.is_error
    assert result.structured_content is not None
    return result.structured_content.get("schedule")


async def test_confirmation_asked_by_one_replica_is_accepted_by_another(
    replicas: Replicas,
) -> None:
    assert await _schedule(replicas.b, SALES_IMPORT_ID) is not None

    result, asked = await _delete_schedule(replicas.a, replicas.b, SALES_IMPORT_ID)
    assert len(asked) == 1 and SALES_IMPORT_ID in asked[0]
    assert not isinstance(result, MCPError), result
    assert not result.is_error, result.content
    assert "deleted the schedule" in result.structured_content["done"]
    assert await _schedule(replicas.a, SALES_IMPORT_ID) is None


async def test_a_replica_with_another_state_key_refuses_the_answer(replicas: Replicas) -> None:
    # The control: the same crossing fails without the shared key, so the test above did cross.
    result, asked = await _delete_schedule(replicas.a, replicas.stranger, PRODUCTS_IMPORT_ID)
    assert len(asked) == 1
    assert isinstance(result, MCPError)
    assert "requestState" in str(result)
    assert await _schedule(replicas.a, PRODUCTS_IMPORT_ID) is not None
