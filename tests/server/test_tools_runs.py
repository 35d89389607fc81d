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
)

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


class Progress:
    def __init__(self) -> None:
        self.calls: list[tuple[float, float | None, str | None]] = []

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self.calls.append((progress, total, message))


@pytest.mark.anyio
async def test_run_without_wait_returns_the_run_id_and_what_to_call_next(
    client: mcp.Client, sandbox: Sandbox
) -> None:
    started = data(
        await client.call_tool("run_integration", {"integration_id": PRODUCTS_IMPORT_ID})
    )
    assert started["state"] == "started"
    assert f"get_run_status with run_id='{started['run_id']}'" in started["next_step"]
    status = data(await client.call_tool("get_run_status", {"run_id": started["run_id"]}))
    assert status["state"] == "running" and status["end_date"] is None
    sandbox.clock.advance(60)
    status = data(await client.call_tool("get_run_status", {"run_id": started["run_id"]}))
    assert status["state"] == "succeeded"
    assert status["integration_id"] == PRODUCTS_IMPORT_ID and status["end_date"]
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
    assert outcome["state"] == "succeeded" and outcome["errors"] == []
    assert outcome["next_step"] is None
    polls = [
        r for r in sandbox.faults.requests if r.path == f"/2/0/integrations/run/{outcome['run_id']}"
    ]
    assert len(progress.calls) == len(polls) >= 2
    assert all(total == 120 for _, total, _ in progress.calls)
    elapsed = [value for value, _, _ in progress.calls]
    assert elapsed == sorted(elapsed) and elapsed[0] == 0 and elapsed[-1] >= 5
    assert all(outcome["run_id"] in (message or "") for _, _, message in progress.calls)


@pytest.mark.anyio
async def test_wait_for_a_partial_success_gives_row_counts_errors_and_the_dump_tool(
    client: mcp.Client,
) -> None:
    args = {"integration_id": SALES_IMPORT_ID, "wait": True}
    outcome = data(await client.call_tool("run_integration", args))
    assert outcome["state"] == "partly_succeeded"
    assert outcome["execution_error_code"] == 38
    assert "rows" in outcome["message"]
    assert any(action["failure_dump"] for action in outcome["errors"])
    assert all(len(action["messages"]) <= 3 for action in outcome["errors"])
    assert f"get_failure_dump with run_id='{outcome['run_id']}'" in outcome["next_step"]


@pytest.mark.anyio
async def test_wait_for_a_failure_gives_code_message_and_diagnosis_hint(client: mcp.Client) -> None:
    args = {"integration_id": FINANCE_EXPORT_ID, "wait": True}
    outcome = data(await client.call_tool("run_integration", args))
    assert outcome["state"] == "failed"
    assert outcome["execution_error_code"] not in (None, 38)
    assert outcome["message"]
    assert f"diagnose_integration with run_id='{outcome['run_id']}'" in outcome["next_step"]


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_a_wait_that_times_out_returns_the_run_id_not_an_error(
    mode: str, sandbox: Sandbox, make_server: MakeServer
) -> None:
    sandbox.config.run_seconds = 1000
    progress = Progress()
    async with mcp.Client(make_server(), mode=mode) as client:
        result = await client.call_tool(
            "run_integration",
            {"integration_id": PRODUCTS_IMPORT_ID, "wait": True, "timeout_seconds": 30},
            progress_callback=progress,
        )
        outcome = data(result)
        assert outcome["state"] == "running"
        assert outcome["next_step"] == (
            f"still running; call get_run_status with run_id='{outcome['run_id']}' until it ends"
        )
        assert progress.calls[-1][0] == 30
        status = data(await client.call_tool("get_run_status", {"run_id": outcome["run_id"]}))
        assert status["state"] == "running"


@pytest.mark.anyio
async def test_a_second_run_while_one_runs_is_a_clear_409(
    client: mcp.Client, sandbox: Sandbox
) -> None:
    data(await client.call_tool("run_integration", {"integration_id": PRODUCTS_IMPORT_ID}))
    second = await client.call_tool("run_integration", {"integration_id": PRODUCTS_IMPORT_ID})
    assert second.is_error
    assert "already running" in text(second) and "cancel_run" in text(second)
    assert run_posts(sandbox, PRODUCTS_IMPORT_ID) == 2


@pytest.mark.anyio
async def test_cancel_stops_the_running_run_and_idle_cancel_says_nothing_runs(
    client: mcp.Client,
) -> None:
    done = data(await client.call_tool("cancel_run", {"integration_id": NIGHTLY_PROCESS_ID}))
    assert NIGHTLY_PROCESS_ID in done["done"]
    history = data(
        await client.call_tool(
            "get_run_history", {"integration_id": NIGHTLY_PROCESS_ID, "limit": 1}
        )
    )
    assert history["items"][0]["state"] == "cancelled"
    again = await client.call_tool("cancel_run", {"integration_id": NIGHTLY_PROCESS_ID})
    assert again.is_error and "Nothing to cancel" in text(again)


@pytest.mark.anyio
async def test_history_pages_most_recent_first(client: mcp.Client) -> None:
    first = data(
        await client.call_tool("get_run_history", {"integration_id": SALES_IMPORT_ID, "limit": 3})
    )
    assert len(first["items"]) == 3 and first["total"] >= 7 and first["next_offset"] == 3
    assert first["items"][0]["state"] == "partly_succeeded"
    starts = [item["start_date"] for item in first["items"]]
    assert starts == sorted(starts, reverse=True)
    assert set(first["items"][0]) == {
        "run_id",
        "state",
        "start_date",
        "end_date",
        "message",
        "execution_error_code",
        "trigger_source",
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
    assert status["state"] == "partly_succeeded" and status["execution_error_code"] == 38
    assert "get_run_errors" in status["next_step"]
    errors = data(await client.call_tool("get_run_errors", {"run_id": run_id}))
    dumped = [action for action in errors["actions"] if action["failure_dump"]]
    assert dumped and dumped[0]["action_id"] and dumped[0]["action_name"] and dumped[0]["messages"]
    assert "get_failure_dump" in errors["next_step"]


@pytest.mark.anyio
async def test_errors_of_a_clean_run_and_status_of_an_unknown_run(client: mcp.Client) -> None:
    history = data(
        await client.call_tool(
            "get_run_history", {"integration_id": PRODUCTS_IMPORT_ID, "limit": 1}
        )
    )
    clean = data(
        await client.call_tool("get_run_errors", {"run_id": history["items"][0]["run_id"]})
    )
    assert clean["actions"] == [] and "no action errors" in clean["next_step"]
    missing = await client.call_tool("get_run_status", {"run_id": UNKNOWN_RUN})
    assert missing.is_error and "get_run_history" in text(missing)


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
async def test_tool_annotations(client: mcp.Client) -> None:
    tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    run = tools["run_integration"].annotations
    assert run is not None and not run.read_only_hint and not run.idempotent_hint
    status = tools["get_run_status"].annotations
    assert status is not None and status.read_only_hint
    schema = tools["run_integration"].input_schema["properties"]
    assert schema["timeout_seconds"]["maximum"] == 3600
    # wait is optional and off by default: the published schema leaves a false default implied.
    assert "wait" not in tools["run_integration"].input_schema.get("required", [])
