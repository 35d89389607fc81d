"""who_am_i through MCP (both protocol eras) against the in-process sandbox: who "me" is for a
notification, and what the server's date and time are."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from mcp import Client
from mcp.server import MCPServer

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.faults import Fault
from tests.server.conftest import NOW, call, requests_to, text_of

pytestmark = pytest.mark.anyio

MakeServer = Callable[..., MCPServer]


async def test_names_the_signed_in_user_and_the_sandbox_time(
    client: Client, sandbox: Sandbox
) -> None:
    sandbox.faults.clear_requests()
    me = await call(client, "who_am_i", {})
    assert me == {
        "user_id": seed.SANDBOX_USER_GUID,
        "name": "Sandbox User",
        "email": "sandbox@example.com",
        "now": "2026-11-23T08:00:00Z",
    }
    assert [(r.method, r.path) for r in requests_to(sandbox)] == [("GET", "/2/0/users/me")]


async def test_now_follows_the_sandbox_clock(client: Client, sandbox: Sandbox) -> None:
    sandbox.clock.advance(36 * 3600 + 0.75)
    me = await call(client, "who_am_i", {})
    assert me["now"] == "2026-11-24T20:00:00Z" and NOW.hour == 8


async def test_notify_me_needs_no_guessing(client: Client, sandbox: Sandbox) -> None:
    me = await call(client, "who_am_i", {})
    args = {"integration_id": seed.PRODUCTS_IMPORT_ID, "channels": ["email"]}
    change = await call(client, "set_notification_config", {**args, "failed": [me["user_id"]]})
    told = change["after"]["recipients"]["failed"]
    assert [(u["user_guid"], u["first_name"], u["last_name"]) for u in told] == [
        (me["user_id"], "Sandbox", "User")
    ]


@pytest.mark.parametrize("settings", [{"toolsets": "connections"}, {"read_only": True}])
async def test_listed_whatever_the_toolsets_and_in_read_only_mode(
    make_server: MakeServer, settings: dict[str, object]
) -> None:
    async with Client(make_server(**settings)) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert "who_am_i" in names
        me = await call(client, "who_am_i", {})
    assert me["user_id"] == seed.SANDBOX_USER_GUID


async def test_takes_no_arguments(client: Client, sandbox: Sandbox) -> None:
    sandbox.faults.clear_requests()
    result = await client.call_tool("who_am_i", {"user": "someone"})
    assert result.is_error and "unknown argument(s) user" in text_of(result)
    assert requests_to(sandbox) == []


async def test_a_failing_integration_api_is_reported_readably(
    client: Client, sandbox: Sandbox
) -> None:
    sandbox.faults.add(Fault(kind="status", status=403, path="/2/0/users/me"))
    result = await client.call_tool("who_am_i", {})
    text = text_of(result)
    assert result.is_error and "403" in text
    assert "Traceback" not in text and "role" in text  # the advice, not a bare failure
