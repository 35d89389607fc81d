"""The schedules toolset through MCP (both protocol eras) against the in-process sandbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mcp.types as types
import pytest
from mcp import Client
from mcp.server import MCPServer

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox
from tests.server.conftest import call, refused, text_of

pytestmark = pytest.mark.anyio

MakeServer = Callable[..., MCPServer]
UNSCHEDULED = seed.HEADCOUNT_IMPORT_ID  # seeded without a schedule
SCHEDULED = seed.SALES_IMPORT_ID  # daily at 02:00 Europe/London, active
DISABLED = seed.PIPELINE_EXPORT_ID  # weekly, inactive
TOOLS = {"schedule_integration", "set_schedule_status", "delete_schedule"}


def writes(sandbox: Sandbox) -> list[tuple[str, str]]:
    return [
        (r.method, r.path.removeprefix("/2/0/integrations/").replace(seed.SALES_IMPORT_ID, "ID"))
        for r in sandbox.faults.requests
        if r.method != "GET" and not r.path.startswith("/token")
    ]


def stored(sandbox: Sandbox, integration_id: str) -> dict[str, Any] | None:
    schedule: dict[str, Any] | None = sandbox.store.integrations[integration_id]["_schedule"]
    return schedule


BASE = {"timezone": "Europe/Paris", "start_date": "2026-12-01"}
BY_TYPE: dict[str, dict[str, Any]] = {
    "daily": {"time": "06:30"},
    "weekly": {"time": "06:30", "days_of_week": [1, 3, 5]},
    "hourly": {"from_time": "08:00", "to_time": "18:00", "repeat_every": 2, "days_of_week": [1]},
    "monthly_specific_day": {"time": "04:00", "day_of_month": 15},
    "monthly_relative_weekday": {"time": "18:00", "day_of_week": 3, "repeat_every": 2},
}


# ---- schedule_integration


@pytest.mark.parametrize("kind", list(BY_TYPE))
async def test_create_each_type(client: Client, sandbox: Sandbox, kind: str) -> None:
    sandbox.faults.clear_requests()
    args = {"integration_id": UNSCHEDULED, "type": kind, **BASE, **BY_TYPE[kind]}
    change = await call(client, "schedule_integration", args)
    assert change["before"] is None
    after = change["after"]
    assert (after["type"], after["status"], after["timezone"]) == (kind, "Active", "Europe/Paris")
    assert after["name"] == "Headcount import schedule"  # the default name
    assert {key: after[key] for key in BY_TYPE[kind]} == BY_TYPE[kind]
    path = f"/2/0/integrations/{UNSCHEDULED}/schedule"
    assert [(r.method, r.path) for r in sandbox.faults.requests if r.method == "POST"][-1] == (
        "POST",
        path,
    )
    saved = stored(sandbox, UNSCHEDULED)
    assert saved is not None and saved["startDate"] == "2026-12-01"


async def test_replace_shows_before_and_after(client: Client, sandbox: Sandbox) -> None:
    sandbox.faults.clear_requests()
    args = {"integration_id": SCHEDULED, "type": "weekly", "name": "Weekdays", **BASE}
    args.update(BY_TYPE["weekly"], end_date="2027-06-30")
    change = await call(client, "schedule_integration", args)
    before, after = change["before"], change["after"]
    assert (before["type"], before["time"], before["timezone"]) == (
        "daily",
        "02:00",
        "Europe/London",
    )
    assert (after["type"], after["name"], after["days_of_week"]) == (
        "weekly",
        "Weekdays",
        [1, 3, 5],
    )
    assert after["end_date"] == "2027-06-30" and after["status"] == "Active"
    assert writes(sandbox) == [("PUT", "ID/schedule")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"type": "hourly", **BY_TYPE["hourly"], "time": "05:00"}, "time: not for an hourly"),
        ({"type": "daily", "time": "05:00", "days_of_week": [1]}, "days_of_week: not for a daily"),
        ({"type": "monthly_specific_day", "time": "05:00", "day_of_week": 2}, "which takes time"),
        ({"type": "weekly", "time": "05:00"}, "days_of_week: required"),
        ({"type": "daily"}, "time: required"),
        ({"type": "daily", "time": "25:00"}, "time: expected HH:MM"),
        ({"type": "daily", "time": 5}, "time: expected a string"),
        ({"type": "weekly", "time": "05:00", "days_of_week": [7]}, "days_of_week"),
        ({"type": "weekly", "time": "05:00", "days_of_week": [1, 1]}, "must not repeat"),
        ({"type": "hourly", **BY_TYPE["hourly"], "to_time": "07:00"}, "to_time: must be later"),
        ({"type": "monthly_relative_weekday", **BY_TYPE["monthly_relative_weekday"],
          "repeat_every": 6}, "repeat_every: expected a number <= 5"),
        ({"type": "monthly_specific_day", "time": "05:00", "day_of_month": 32}, "day_of_month"),
        ({"type": "yearly", "time": "05:00"}, "type: expected one of"),
        ({"type": "daily", "time": "05:00", "end_date": "2026-11-30"},
         "end_date: must not be before start_date"),
        ({"type": "daily", "time": "05:00", "timezone": "Mars/Olympus"}, "timezone: not a known"),
        ({"type": "daily", "time": "05:00", "start_date": "01/12/2026"}, "start_date: expected"),
        ({"type": "daily", "time": "05:00", "start_date": "2026-02-30"}, "start_date: expected"),
        ({"type": "daily", "time": "05:00", "every": "day"}, "unknown argument(s) every"),
    ],
)  # fmt: skip
async def test_bad_schedules_are_refused_before_any_request(
    client: Client, sandbox: Sandbox, args: dict[str, Any], message: str
) -> None:
    text = await refused(
        client, sandbox, "schedule_integration", {"integration_id": SCHEDULED, **BASE, **args}
    )
    assert message in text
    assert "Mars" not in text and "01/12" not in text  # inputs are never echoed


# The fixture's clock reads 2026-11-23 08:00 UTC; twelve hours on, Auckland (UTC+13) is a day ahead.
EVENING = 12 * 3600


@pytest.mark.parametrize(
    ("timezone", "time", "first"),
    [
        ("Europe/London", "23:30", "2026-11-23"),  # 20:00 there: today's run is still ahead
        ("Europe/London", "02:00", "2026-11-24"),  # today's 02:00 is gone: it would read as missed
        ("Pacific/Auckland", "23:30", "2026-11-24"),  # 09:00 tomorrow there
        ("Pacific/Auckland", "02:00", "2026-11-25"),
    ],
)
async def test_start_date_defaults_to_the_first_day_whose_time_is_ahead_in_the_schedules_zone(
    client: Client, sandbox: Sandbox, timezone: str, time: str, first: str
) -> None:
    sandbox.clock.advance(EVENING)
    args = {"integration_id": UNSCHEDULED, "type": "daily", "time": time, "timezone": timezone}
    change = await call(client, "schedule_integration", args)
    assert change["after"]["start_date"] == first
    saved = stored(sandbox, UNSCHEDULED)
    assert saved is not None and saved["startDate"] == first


@pytest.mark.parametrize(
    ("timezone", "start_date", "today"),
    [
        ("Europe/London", "2026-11-22", "2026-11-23"),
        ("Pacific/Auckland", "2026-11-23", "2026-11-24"),  # still today in London
        ("UTC", "2025-06-01", "2026-11-23"),
    ],
)
async def test_a_start_date_in_the_past_is_refused_before_any_request(
    client: Client, sandbox: Sandbox, timezone: str, start_date: str, today: str
) -> None:
    sandbox.clock.advance(EVENING)
    args = {"integration_id": SCHEDULED, "type": "daily", "time": "02:00"}
    args.update(timezone=timezone, start_date=start_date)
    text = await refused(client, sandbox, "schedule_integration", args)
    assert "start_date: must not be in the past" in text
    assert f"today in that time zone is {today}" in text
    assert "\n" not in text


async def test_today_is_not_the_past(client: Client, sandbox: Sandbox) -> None:
    sandbox.clock.advance(EVENING)
    args = {"integration_id": UNSCHEDULED, "type": "daily", "time": "02:00"}
    args.update(timezone="Pacific/Auckland", start_date="2026-11-24")
    change = await call(client, "schedule_integration", args)
    assert change["after"]["start_date"] == "2026-11-24"


async def test_unknown_integration(client: Client) -> None:
    args = {"integration_id": "0" * 32, "type": "daily", "time": "05:00", **BASE}
    result = await client.call_tool("schedule_integration", args)
    assert result.is_error and "list_integrations" in text_of(result)


# ---- set_schedule_status


async def test_disable_then_enable(client: Client, sandbox: Sandbox) -> None:
    off = await call(
        client, "set_schedule_status", {"integration_id": SCHEDULED, "status": "disabled"}
    )
    assert (off["before"]["status"], off["after"]["status"]) == ("Active", "Inactive")
    again = await call(
        client, "set_schedule_status", {"integration_id": SCHEDULED, "status": "disabled"}
    )
    assert (again["before"]["status"], again["after"]["status"]) == ("Inactive", "Inactive")
    sandbox.faults.clear_requests()
    on = await call(
        client, "set_schedule_status", {"integration_id": DISABLED, "status": "enabled"}
    )
    assert (on["before"]["status"], on["after"]["status"]) == ("Inactive", "Active")
    assert on["after"]["days_of_week"] == [0, 3]  # settings are kept
    assert [(r.method, r.path) for r in sandbox.faults.requests if r.method == "POST"] == [
        ("POST", f"/2/0/integrations/{DISABLED}/schedule/status/enabled")
    ]


async def test_status_of_an_unscheduled_integration(client: Client, sandbox: Sandbox) -> None:
    sandbox.faults.clear_requests()
    args = {"integration_id": UNSCHEDULED, "status": "enabled"}
    result = await client.call_tool("set_schedule_status", args)
    assert result.is_error and "schedule_integration" in text_of(result)
    assert writes(sandbox) == []
    assert "status" in await refused(
        client, sandbox, "set_schedule_status", {**args, "status": "on"}
    )


# ---- delete_schedule


async def test_delete_needs_confirmation(client: Client, sandbox: Sandbox) -> None:
    args = {"integration_id": SCHEDULED}
    text = await refused(client, sandbox, "delete_schedule", args)
    assert f"confirm='{SCHEDULED}'" in text
    assert stored(sandbox, SCHEDULED) is not None
    done = await call(client, "delete_schedule", {**args, "confirm": SCHEDULED})
    assert "deleted the schedule" in done["done"]
    assert stored(sandbox, SCHEDULED) is None
    view = await call(client, "get_integration", args)
    assert view["schedule"] is None
    again = await call(client, "delete_schedule", {**args, "confirm": SCHEDULED})
    assert "nothing deleted" in again["done"]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
@pytest.mark.parametrize("action", ["accept", "decline", "cancel"])
async def test_delete_asks_through_elicitation(
    make_server: MakeServer, sandbox: Sandbox, mode: str, action: str
) -> None:
    asked: list[str] = []

    async def answer(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        asked.append(params.message)
        content = {"confirm": True} if action == "accept" else None
        return types.ElicitResult(action=action, content=content)  # type: ignore[arg-type]

    async with Client(make_server(), mode=mode, elicitation_callback=answer) as client:
        result = await client.call_tool("delete_schedule", {"integration_id": SCHEDULED})
    assert asked and "schedule" in asked[0] and SCHEDULED in asked[0]
    assert result.is_error == (action != "accept")
    assert (stored(sandbox, SCHEDULED) is None) == (action == "accept")


# ---- read-only mode and toolsets


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_read_only_hides_schedule_tools(
    make_server: MakeServer, sandbox: Sandbox, mode: str
) -> None:
    async with Client(make_server(read_only=True), mode=mode) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert not TOOLS & names
        args = {"integration_id": SCHEDULED, "status": "disabled"}
        assert "read-only" in await refused(client, sandbox, "set_schedule_status", args)


async def test_annotations(client: Client) -> None:
    tools = {tool.name: tool.annotations for tool in (await client.list_tools()).tools}
    assert all(tools[name].read_only_hint is False for name in TOOLS)  # type: ignore[union-attr]
    assert tools["delete_schedule"].destructive_hint is True  # type: ignore[union-attr]
    # Replacing a schedule loses the old one: destructive, though it does not ask.
    assert tools["schedule_integration"].destructive_hint is True  # type: ignore[union-attr]
    assert tools["set_schedule_status"].idempotent_hint is True  # type: ignore[union-attr]
