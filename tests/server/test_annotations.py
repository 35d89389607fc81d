"""Every tool's four hints, pinned by name with the reason each is true.

Hosts act on these: some approve read-only tools unasked, some approve anything not destructive.
destructiveHint is true for deletes (which also ask the user) and for writes whose effect can destroy
what was there (which do not ask: a load is the point of run_integration). openWorldHint is true for
every tool: each one reaches the customer's Anaplan tenant.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from mcp import Client
from mcp.server import MCPServer
from mcp.types import ElicitRequestParams, ElicitResult

from anaplan_mcp.sandbox import seed_ids as seed
from tests.server.conftest import call

pytestmark = pytest.mark.anyio

# name: (readOnly, destructive, idempotent, why)
HINTS: dict[str, tuple[bool, bool, bool, str]] = {
    "list_connections": (True, False, True, "reads"),
    "create_connection": (False, False, False, "adds one; calling twice adds two"),
    "update_connection": (False, True, True, "overwrites secrets the result cannot give back"),
    "delete_connection": (False, True, True, "deletes; deleting again changes nothing"),
    "list_integrations": (True, False, True, "reads"),
    "get_integration": (True, False, True, "reads"),
    "create_integration": (False, False, False, "adds one; calling twice adds two"),
    "update_integration": (False, False, True, "changes only the named fields, returns before"),
    "delete_integration": (False, True, True, "deletes; deleting again changes nothing"),
    "list_model_objects": (True, False, True, "reads"),
    "run_integration": (False, True, False, "imports overwrite model data, exports files"),
    "cancel_run": (False, True, True, "stops a load part-way; nothing left to stop after"),
    "get_run_history": (True, False, True, "reads"),
    "get_run_status": (True, False, True, "reads"),
    "get_run_errors": (True, False, True, "reads"),
    "diagnose_integration": (True, False, True, "reads"),
    "find_failed_runs": (True, False, True, "reads"),
    "get_failure_dump": (True, False, True, "reads"),
    "schedule_integration": (False, True, True, "replaces the whole schedule"),
    "set_schedule_status": (False, False, True, "flips a switch, keeps the settings"),
    "delete_schedule": (False, True, True, "deletes; deleting again changes nothing"),
    "list_flows": (True, False, True, "reads"),
    "get_flow": (True, False, True, "reads"),
    "create_flow": (False, False, False, "adds one; calling twice adds two"),
    "update_flow": (False, False, True, "changes only the named fields, returns before"),
    "delete_flow": (False, True, True, "deletes; deleting again changes nothing"),
    "run_flow": (False, True, False, "runs integrations that overwrite data"),
    "get_notification_config": (True, False, True, "reads"),
    "set_notification_config": (False, True, True, "replaces the whole config"),
    "delete_notification_config": (False, True, True, "deletes; deleting again changes nothing"),
    "who_am_i": (True, False, True, "reads"),
}
ASKS = {name for name in HINTS if name.startswith("delete_")}


async def test_every_tool_says_what_it_does(client: Client) -> None:
    listed = {tool.name: tool.annotations for tool in (await client.list_tools()).tools}
    assert set(listed) == set(HINTS)
    for name, (read_only, destructive, idempotent, why) in HINTS.items():
        hints = listed[name]
        assert hints is not None, name
        found = (hints.read_only_hint, hints.destructive_hint, hints.idempotent_hint)
        assert found == (read_only, destructive, idempotent), f"{name}: {why}"
        assert hints.open_world_hint is True, name


async def test_only_deletes_take_a_confirmation(client: Client) -> None:
    tools = (await client.list_tools()).tools
    confirming = {tool.name for tool in tools if "confirm" in tool.input_schema["properties"]}
    assert confirming == ASKS


async def test_writes_marked_destructive_do_not_ask_the_user(
    make_server: Callable[..., MCPServer],
) -> None:
    asked: list[str] = []

    async def user(context: Any, params: ElicitRequestParams) -> ElicitResult:
        asked.append(params.message)
        return ElicitResult(action="decline")

    calls: list[tuple[str, dict[str, Any]]] = [
        ("run_integration", {"integration_id": seed.SALES_EXPORT_ID}),
        ("run_flow", {"flow_id": seed.WORKFORCE_FLOW_ID}),
        ("cancel_run", {"integration_id": seed.NIGHTLY_PROCESS_ID}),
        ("update_connection", {"connection_id": seed.SALES_S3_CONNECTION_ID, "name": "Landing"}),
        (
            "schedule_integration",
            {"integration_id": seed.SALES_IMPORT_ID, "type": "daily", "time": "03:00"}
            | {"timezone": "UTC"},
        ),
        (
            "set_notification_config",
            {"integration_id": seed.SALES_IMPORT_ID, "channels": ["email"]}
            | {"failed": [seed.SANDBOX_USER_GUID]},
        ),
    ]
    assert {name for name, _ in calls} == {
        name for name, (_, destructive, _, _) in HINTS.items() if destructive
    } - ASKS
    async with Client(make_server(), elicitation_callback=user) as client:
        for name, arguments in calls:
            await call(client, name, arguments)
    assert asked == []
