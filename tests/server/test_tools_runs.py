"""The runs toolset through MCP against the in-process sandbox, with time moved, never slept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mcp
import pytest
from mcp.server import MCPServer
from mcp.types import CallToolResult, TextContent

from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.faults import Fault
from anaplan_mcp.sandbox.seed_ids import (
    FINANCE_EXPORT_ID,
    NIGHTLY_PROCESS_ID,
    PRODUCTS_IMPORT_ID,
    SALES_IMPORT_ID,
    SALES_S3_CONNECTION_ID,
)
from anaplan_mcp.settings import SettingsError, load_settings
from tests.server.next_calls import valid_calls

MakeServer = Callable[..., MCPServer]
MODES = ["auto", "legacy"]
UNKNOWN_RUN = "0" * 32


def text(result: CallToolResult) -> str:
    return " ".join(item.text for item in result.content if isinstance(item, TextContent))


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text(result)
    assert result.structured_content is not None
    return result.structured_content


def run_posts(sandbox: Sandbox, integration_id: str) -> int:
    path = f"/2/0/integrations/{integration_id}/run"
    return sum(1 for r in sandbox.faults.requests if r.method == "POST" and r.path == path)


def follow_and_stop(run_id: str, integration_id: str) -> list[tuple[str, Any]]:
    return [
        ("get_run_status", {"run_id": run_id}),
        ("cancel_run", {"integration_id": integration_id}),
    ]


class Progress:
    def __init__(self) -> None:
        self.calls: list[tuple[float, float | None, str | None]] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.calls.append((progress, total, message))


@pytest.mark.anyio
async def test_run_without_wait_returns_the_run_and_the_calls_that_follow_it(
    client: mcp.Client, sandbox: Sandbox
) -> None:
    started = data(
        await client.call_tool("run_integration", {"integration_id": PRODUCTS_IMPORT_ID})
    )
    run_id = started["run_id"]
    assert started["outcome"] == "running" and started["running_for_seconds"] == 0
    assert await valid_calls(client, started) == follow_and_stop(run_id, PRODUCTS_IMPORT_ID)
    sandbox.clock.advance(2)
    status = data(await client.call_tool("get_run_status", {"run_id": run_id}))
    assert status["outcome"] == "running" and "ended_at" not in status
    assert status["running_for_seconds"] == 2
    assert await valid_calls(client, status) == follow_and_stop(run_id, PRODUCTS_IMPORT_ID)
    sandbox.clock.advance(60)
    status = data(await client.call_tool("get_run_status", {"run_id": run_id}))
    assert status["outcome"] == "succeeded" and status["ended_at"]
    assert status["integration_id"] == PRODUCTS_IMPORT_ID
    assert "running_for_seconds" not in status and "next_calls" not in status
    assert run_posts(sandbox, PRODUCTS_IMPORT_ID) == 1


@pytest.mark.anyio
async def test_run_with_wait_reports_progress_on_every_poll_and_succeeds(
    client: mcp.Client, sandbox: Sandbox
) -> None:
    progress = Progress()
    result = await client.call_tool(
        "run_integration",
        {"integration_id": PRODUCTS_IMPORT_ID, "wait": True, "timeout_seconds": 120},
        progress_callback=progress,
    )
    outcome = data(result)
    assert outcome["outcome"] == "succeeded" and "errors" not in outcome
    assert "next_calls" not in outcome
    polls = [
        r for r in sandbox.faults.requests if r.path == f"/2/0/integrations/run/{outcome['run_id']}"
    ]
    assert len(progress.calls) == len(polls) >= 2
    assert all(total == 120 for _, total, _ in progress.calls)
    elapsed = [value for value, _, _ in progress.calls]
    assert elapsed == sorted(elapsed) and elapsed[0] == 0 and elapsed[-1] >= 5
    assert all(outcome["run_id"] in (message or "") for _, _, message in progress.calls)


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_a_wait_stops_at_the_default_limit_with_the_run_and_how_to_follow_it(
    mode: str, sandbox: Sandbox, make_server: MakeServer
) -> None:
    sandbox.config.run_seconds = 15 * 60
    progress = Progress()
    async with mcp.Client(make_server(), mode=mode) as client:
        args = {"integration_id": PRODUCTS_IMPORT_ID, "wait": True}
        outcome = data(await client.call_tool("run_integration", args, progress_callback=progress))
        run_id = outcome["run_id"]
        assert outcome["outcome"] == "running" and outcome["running_for_seconds"] == 45
        assert "45 s" in outcome["message"]
        assert {total for _, total, _ in progress.calls} == {45}
        assert progress.calls[-1][0] == 45
        calls = await valid_calls(client, outcome)
        assert calls == follow_and_stop(run_id, PRODUCTS_IMPORT_ID)
        # The suggested calls, made as given: follow the run, then stop it.
        status = data(await client.call_tool(*calls[0]))
        assert status["outcome"] == "running" and status["running_for_seconds"] == 45
        stopped = data(await client.call_tool(*calls[1]))
        assert stopped["integration_id"] == PRODUCTS_IMPORT_ID
        status = data(await client.call_tool(*calls[0]))
        assert status["outcome"] == "cancelled"


@pytest.mark.anyio
async def test_the_wait_limit_comes_from_the_settings_and_a_call_may_ask_for_longer(
    sandbox: Sandbox, make_server: MakeServer
) -> None:
    sandbox.config.run_seconds = 100
    async with mcp.Client(make_server(wait_seconds=20)) as client:
        progress = Progress()
        args: dict[str, Any] = {"integration_id": PRODUCTS_IMPORT_ID, "wait": True}
        short = data(await client.call_tool("run_integration", args, progress_callback=progress))
        assert short["outcome"] == "running" and short["running_for_seconds"] == 20
        assert {total for _, total, _ in progress.calls} == {20}
        sandbox.clock.advance(100)
        longer = data(await client.call_tool("run_integration", {**args, "timeout_seconds": 150}))
        assert longer["outcome"] == "succeeded"


def test_the_wait_setting_is_read_from_the_environment_and_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().wait_seconds == 45
    monkeypatch.setenv("ANAPLAN_MCP_WAIT_SECONDS", "110")
    assert load_settings().wait_seconds == 110
    monkeypatch.setenv("ANAPLAN_MCP_WAIT_SECONDS", "0")
    with pytest.raises(SettingsError, match="ANAPLAN_MCP_WAIT_SECONDS"):
        load_settings()


@pytest.mark.anyio
async def test_wait_for_a_partial_success_gives_row_counts_errors_and_the_dump_call(
    client: mcp.Client,
) -> None:
    args = {"integration_id": SALES_IMPORT_ID, "wait": True}
    outcome = data(await client.call_tool("run_integration", args))
    run_id = outcome["run_id"]
    assert outcome["outcome"] == "partial_success"
    assert outcome["execution_error_code"] == 38
    assert "rows" in outcome["message"]
    assert any(action["failure_dump"] for action in outcome["errors"])
    assert all(len(action["messages"]) <= 3 for action in outcome["errors"])
    assert await valid_calls(client, outcome) == [
        ("diagnose_integration", {"run_id": run_id}),
        ("get_failure_dump", {"run_id": run_id}),
    ]


@pytest.mark.anyio
async def test_wait_for_a_failure_gives_code_message_and_the_diagnosis_call(
    client: mcp.Client,
) -> None:
    args = {"integration_id": FINANCE_EXPORT_ID, "wait": True}
    outcome = data(await client.call_tool("run_integration", args))
    assert outcome["outcome"] == "failed"
    assert outcome["execution_error_code"] not in (None, 38)
    assert outcome["message"] and outcome["errors"]
    # An export leaves no failure dump: only the diagnosis is suggested.
    assert await valid_calls(client, outcome) == [
        ("diagnose_integration", {"run_id": outcome["run_id"]})
    ]


@pytest.mark.anyio
async def test_a_second_run_while_one_runs_names_the_tools_that_find_and_stop_it(
    client: mcp.Client, sandbox: Sandbox
) -> None:
    first = data(await client.call_tool("run_integration", {"integration_id": PRODUCTS_IMPORT_ID}))
    second = await client.call_tool("run_integration", {"integration_id": PRODUCTS_IMPORT_ID})
    assert second.is_error
    message = text(second)
    assert "Integration is already running" in message
    assert f"get_run_history with integration_id='{PRODUCTS_IMPORT_ID}'" in message
    assert f"cancel_run with integration_id='{PRODUCTS_IMPORT_ID}'" in message
    assert "wait for" not in message
    assert run_posts(sandbox, PRODUCTS_IMPORT_ID) == 2
    # What the advice names finds the running run, with its id.
    history = data(
        await client.call_tool(
            "get_run_history", {"integration_id": PRODUCTS_IMPORT_ID, "limit": 1}
        )
    )
    assert history["items"][0]["run_id"] == first["run_id"]
    assert history["items"][0]["outcome"] == "running"
    detail = data(await client.call_tool("get_integration", {"integration_id": PRODUCTS_IMPORT_ID}))
    assert detail["latest_run"]["run_id"] == first["run_id"]


@pytest.mark.anyio
async def test_cancel_by_integration_and_on_an_idle_integration_says_nothing_runs(
    client: mcp.Client,
) -> None:
    done = data(await client.call_tool("cancel_run", {"integration_id": NIGHTLY_PROCESS_ID}))
    assert NIGHTLY_PROCESS_ID in done["done"]
    calls = await valid_calls(client, done)
    assert calls == [("get_run_history", {"integration_id": NIGHTLY_PROCESS_ID, "limit": 1})]
    history = data(await client.call_tool(*calls[0]))
    assert history["items"][0]["outcome"] == "cancelled"
    again = await client.call_tool("cancel_run", {"integration_id": NIGHTLY_PROCESS_ID})
    assert again.is_error
    message = text(again)
    assert "is not in running state" in message and "Nothing is running" in message
    assert "wait" not in message and "follow it" not in message


@pytest.mark.anyio
async def test_cancel_by_run_id_stops_that_run_and_refuses_a_finished_one(
    client: mcp.Client, sandbox: Sandbox
) -> None:
    started = data(
        await client.call_tool("run_integration", {"integration_id": PRODUCTS_IMPORT_ID})
    )
    run_id = started["run_id"]
    done = data(await client.call_tool("cancel_run", {"run_id": run_id}))
    assert done["run_id"] == run_id and done["integration_id"] == PRODUCTS_IMPORT_ID
    calls = await valid_calls(client, done)
    assert calls == [("get_run_status", {"run_id": run_id})]
    assert data(await client.call_tool(*calls[0]))["outcome"] == "cancelled"
    sandbox.faults.clear_requests()
    ended = await client.call_tool("cancel_run", {"run_id": run_id})
    assert ended.is_error and "already ended (cancelled)" in text(ended)
    assert not [r for r in sandbox.faults.requests if r.path.endswith("/cancel")]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "args", [{}, {"integration_id": PRODUCTS_IMPORT_ID, "run_id": UNKNOWN_RUN}]
)
async def test_cancel_needs_exactly_one_id(
    client: mcp.Client, sandbox: Sandbox, args: dict[str, str]
) -> None:
    sandbox.faults.clear_requests()
    result = await client.call_tool("cancel_run", args)
    assert result.is_error and "exactly one of integration_id, flow_id, run_id" in text(result)
    assert sandbox.faults.requests == []


@pytest.mark.anyio
async def test_deleting_a_connection_in_use_says_what_uses_it(client: mcp.Client) -> None:
    args = {"connection_id": SALES_S3_CONNECTION_ID, "confirm": SALES_S3_CONNECTION_ID}
    result = await client.call_tool("delete_connection", args)
    assert result.is_error
    message = text(result)
    assert "The resource is being referenced" in message
    assert f"integrations use connection {SALES_S3_CONNECTION_ID}" in message
    assert "update_integration" in message and "delete them first" in message
    assert "running" not in message and "cancel" not in message


@pytest.mark.anyio
async def test_history_pages_most_recent_first(client: mcp.Client) -> None:
    first = data(
        await client.call_tool("get_run_history", {"integration_id": SALES_IMPORT_ID, "limit": 3})
    )
    assert len(first["items"]) == 3 and first["total"] >= 7 and first["next_offset"] == 3
    assert first["items"][0]["outcome"] == "partial_success"
    starts = [item["started_at"] for item in first["items"]]
    assert starts == sorted(starts, reverse=True)
    assert set(first["items"][0]) == {
        "run_id",
        "outcome",
        "started_at",
        "ended_at",
        "message",
        "execution_error_code",
        "trigger",
    }
    rest = data(
        await client.call_tool(
            "get_run_history",
            {"integration_id": SALES_IMPORT_ID, "limit": 200, "offset": first["next_offset"]},
        )
    )
    assert rest["next_offset"] is None and len(rest["items"]) == first["total"] - 3
    ids = {item["run_id"] for item in first["items"] + rest["items"]}
    assert len(ids) == first["total"]


@pytest.mark.anyio
async def test_status_and_errors_of_a_partly_failed_run(client: mcp.Client) -> None:
    history = data(
        await client.call_tool("get_run_history", {"integration_id": SALES_IMPORT_ID, "limit": 1})
    )
    run_id = history["items"][0]["run_id"]
    status = data(await client.call_tool("get_run_status", {"run_id": run_id}))
    assert status["outcome"] == "partial_success" and status["execution_error_code"] == 38
    assert await valid_calls(client, status) == [
        ("diagnose_integration", {"run_id": run_id}),
        ("get_run_errors", {"run_id": run_id}),
    ]
    errors = data(await client.call_tool("get_run_errors", {"run_id": run_id}))
    dumped = [action for action in errors["actions"] if action["failure_dump"]]
    assert dumped and dumped[0]["action_id"] and dumped[0]["action_name"] and dumped[0]["messages"]
    assert "note" not in errors
    assert await valid_calls(client, errors) == [
        ("diagnose_integration", {"run_id": run_id}),
        ("get_failure_dump", {"run_id": run_id}),
    ]


@pytest.mark.anyio
async def test_errors_of_a_clean_run_and_status_of_an_unknown_run(client: mcp.Client) -> None:
    history = data(
        await client.call_tool(
            "get_run_history", {"integration_id": PRODUCTS_IMPORT_ID, "limit": 1}
        )
    )
    run_id = history["items"][0]["run_id"]
    clean = data(await client.call_tool("get_run_errors", {"run_id": run_id}))
    assert clean["actions"] == [] and clean["note"] == "no action errors recorded"
    assert await valid_calls(client, clean) == [("get_run_status", {"run_id": run_id})]
    missing = await client.call_tool("get_run_status", {"run_id": UNKNOWN_RUN})
    assert missing.is_error
    message = text(missing)
    assert "get_run_history with an integration_id" in message and "list_flows" in message
    assert "older flow run cannot be read" in message


@pytest.mark.anyio
async def test_get_integration_names_its_latest_run_and_the_listing_stays_one_read(
    client: mcp.Client, sandbox: Sandbox
) -> None:
    history = data(
        await client.call_tool("get_run_history", {"integration_id": SALES_IMPORT_ID, "limit": 1})
    )
    detail = data(await client.call_tool("get_integration", {"integration_id": SALES_IMPORT_ID}))
    assert detail["latest_run"]["run_id"] == history["items"][0]["run_id"]
    assert detail["latest_run"]["started_at"] == history["items"][0]["started_at"]
    sandbox.faults.clear_requests()
    listing = data(await client.call_tool("list_integrations", {"limit": 50}))
    ran = [item for item in listing["items"] if item["latest_run"]]
    assert ran and all("run_id" not in item["latest_run"] for item in ran)
    assert not [r for r in sandbox.faults.requests if "/integrations/runs/" in r.path]


@pytest.mark.anyio
@pytest.mark.parametrize(
    "fault", [Fault("status", method="POST", status=500), Fault("drop", method="POST")]
)
async def test_a_failed_run_post_is_sent_once_and_reported(
    client: mcp.Client, sandbox: Sandbox, fault: Fault
) -> None:
    fault.path = f"/2/0/integrations/{PRODUCTS_IMPORT_ID}/run"
    sandbox.faults.add(fault)
    result = await client.call_tool("run_integration", {"integration_id": PRODUCTS_IMPORT_ID})
    assert result.is_error
    message = text(result)
    assert "Starting the run failed" in message and "Not retried" in message
    assert f"get_run_history with integration_id='{PRODUCTS_IMPORT_ID}'" in message
    assert run_posts(sandbox, PRODUCTS_IMPORT_ID) == 1


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_read_only_mode_hides_and_refuses_the_write_tools(
    mode: str, sandbox: Sandbox, make_server: MakeServer
) -> None:
    async with mcp.Client(make_server(read_only=True), mode=mode) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert {"get_run_history", "get_run_status", "get_run_errors"} <= names
        assert not {"run_integration", "cancel_run"} & names
        refused = await client.call_tool("run_integration", {"integration_id": PRODUCTS_IMPORT_ID})
        assert refused.is_error and "read-only" in text(refused)
    assert run_posts(sandbox, PRODUCTS_IMPORT_ID) == 0


@pytest.mark.anyio
async def test_tool_annotations_and_the_wait_arguments(client: mcp.Client) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    run = tools["run_integration"].annotations
    assert run is not None and not run.read_only_hint and not run.idempotent_hint
    status = tools["get_run_status"].annotations
    assert status is not None and status.read_only_hint
    schema = tools["run_integration"].input_schema
    timeout = schema["properties"]["timeout_seconds"]
    # No fixed default in the schema: the server's setting decides (45 s unless configured).
    assert (
        timeout["maximum"] == 3600 and "default" not in timeout and "45" in timeout["description"]
    )
    # wait is optional and off by default: the published schema leaves a false default implied.
    assert "wait" not in schema.get("required", [])
    too_long = await client.call_tool(
        "run_integration",
        {"integration_id": PRODUCTS_IMPORT_ID, "wait": True, "timeout_seconds": 3601},
    )
    assert too_long.is_error and "timeout_seconds" in text(too_long)
