"""The flows toolset through MCP against the in-process sandbox, with time moved, never slept."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mcp
import pytest
from mcp.server import MCPServer
from mcp.types import CallToolResult, ElicitRequestParams, ElicitResult, TextContent

from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.seed_ids import (
    FINANCE_EXPORT_ID,
    GL_IMPORT_ID,
    HEADCOUNT_IMPORT_ID,
    PLANNING_FLOW_ID,
    PRODUCTS_IMPORT_ID,
    SALES_IMPORT_ID,
    WORKFORCE_FLOW_ID,
    WORKFORCE_PROCESS_ID,
)

MakeServer = Callable[..., MCPServer]
MODES = ["auto", "legacy"]
FLOWS = "/2/0/integrationflows"


def text(result: CallToolResult) -> str:
    return " ".join(item.text for item in result.content if isinstance(item, TextContent))


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text(result)
    assert result.structured_content is not None
    return result.structured_content


def requests(sandbox: Sandbox, method: str, prefix: str = FLOWS) -> int:
    return sum(
        1 for r in sandbox.faults.requests if r.method == method and r.path.startswith(prefix)
    )


def step(integration_id: str, **options: Any) -> dict[str, Any]:
    return {"integration_id": integration_id, **options}


def outcomes(run: dict[str, Any]) -> dict[str, str]:
    return {item["integration_id"]: item["outcome"] for item in run["steps"]}


async def create(client: mcp.Client, *steps: dict[str, Any], name: str = "Test flow") -> str:
    flow = data(await client.call_tool("create_flow", {"name": name, "steps": list(steps)}))
    return str(flow["flow_id"])


@pytest.mark.anyio
@pytest.mark.parametrize(
    "steps",
    [
        [step(PRODUCTS_IMPORT_ID), step(GL_IMPORT_ID, skipped=True)],
        [step(PRODUCTS_IMPORT_ID)],
        [step(PRODUCTS_IMPORT_ID), step(PRODUCTS_IMPORT_ID)],
        [step(PRODUCTS_IMPORT_ID, depends_on=[GL_IMPORT_ID]), step(GL_IMPORT_ID)],
    ],
)
async def test_create_refuses_a_bad_flow_before_any_request(
    client: mcp.Client, sandbox: Sandbox, steps: list[dict[str, Any]]
) -> None:
    before = len(sandbox.faults.requests)
    result = await client.call_tool("create_flow", {"name": "Bad", "steps": steps})
    assert result.is_error and "steps" in text(result)
    assert len(sandbox.faults.requests) == before


@pytest.mark.anyio
async def test_create_then_get_shows_steps_in_order_with_defaults(client: mcp.Client) -> None:
    flow_id = await create(
        client,
        step(PRODUCTS_IMPORT_ID),
        step(GL_IMPORT_ID, on_failure="continue"),
        step(HEADCOUNT_IMPORT_ID, skipped=True, on_partial_success="stop"),
    )
    flow = data(await client.call_tool("get_flow", {"flow_id": flow_id}))
    assert flow["name"] == "Test flow" and flow["latest_run"] is None
    steps = flow["steps"]
    assert [s["integration_id"] for s in steps] == [
        PRODUCTS_IMPORT_ID,
        GL_IMPORT_ID,
        HEADCOUNT_IMPORT_ID,
    ]
    assert steps[0]["name"] == "Products import" and steps[0]["type"] == "Import"
    assert steps[1]["depends_on"] == [PRODUCTS_IMPORT_ID]
    assert (steps[1]["on_failure"], steps[1]["on_partial_success"]) == ("continue", "continue")
    assert steps[2]["skipped"] and steps[2]["on_failure"] == "stop"
    assert steps[2]["on_partial_success"] == "stop"
    assert steps[0]["latest_run"]["state"] == "succeeded"


@pytest.mark.anyio
async def test_list_flows_is_paged_and_compact(client: mcp.Client) -> None:
    first = data(await client.call_tool("list_flows", {"limit": 1}))
    assert first["total"] == 2 and first["next_offset"] == 1
    assert set(first["items"][0]) == {"flow_id", "name", "steps_count", "latest_run_state"}
    rest = data(await client.call_tool("list_flows", {"limit": 1, "offset": 1}))
    assert rest["next_offset"] is None
    states = {item["flow_id"]: item["latest_run_state"] for item in first["items"] + rest["items"]}
    assert states == {PLANNING_FLOW_ID: "failed", WORKFORCE_FLOW_ID: "succeeded"}


@pytest.mark.anyio
async def test_update_merges_changes_into_the_current_definition(
    client: mcp.Client, sandbox: Sandbox
) -> None:
    flow_id = await create(
        client, step(PRODUCTS_IMPORT_ID), step(GL_IMPORT_ID, on_partial_success="stop")
    )
    renamed = data(await client.call_tool("update_flow", {"flow_id": flow_id, "name": "Renamed"}))
    assert renamed["before"]["name"] == "Test flow" and renamed["after"]["name"] == "Renamed"
    assert renamed["after"]["steps"] == renamed["before"]["steps"]
    args = {
        "flow_id": flow_id,
        "steps": [
            step(PRODUCTS_IMPORT_ID),
            step(GL_IMPORT_ID, on_failure="continue"),
            step(HEADCOUNT_IMPORT_ID),
        ],
    }
    change = data(await client.call_tool("update_flow", args))
    after = {s["integration_id"]: s for s in change["after"]["steps"]}
    assert change["after"]["name"] == "Renamed"
    assert after[GL_IMPORT_ID]["on_failure"] == "continue"
    assert after[GL_IMPORT_ID]["on_partial_success"] == "stop"  # kept from the current flow
    assert after[HEADCOUNT_IMPORT_ID]["depends_on"] == [GL_IMPORT_ID]
    assert len(change["before"]["steps"]) == 2
    assert requests(sandbox, "PUT") == 2
    nothing = await client.call_tool("update_flow", {"flow_id": flow_id})
    assert nothing.is_error and requests(sandbox, "PUT") == 2


@pytest.mark.anyio
async def test_delete_needs_confirmation(client: mcp.Client, sandbox: Sandbox) -> None:
    flow_id = await create(client, step(PRODUCTS_IMPORT_ID), step(GL_IMPORT_ID))
    refused = await client.call_tool("delete_flow", {"flow_id": flow_id})
    assert refused.is_error and f"confirm='{flow_id}'" in text(refused)
    wrong = await client.call_tool("delete_flow", {"flow_id": flow_id, "confirm": PLANNING_FLOW_ID})
    assert wrong.is_error and requests(sandbox, "DELETE") == 0
    data(await client.call_tool("delete_flow", {"flow_id": flow_id, "confirm": flow_id}))
    gone = await client.call_tool("get_flow", {"flow_id": flow_id})
    assert gone.is_error and "list_flows" in text(gone)


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("action", ["accept", "decline"])
async def test_delete_asks_the_user_when_the_client_can(
    mode: str, action: str, sandbox: Sandbox, make_server: MakeServer
) -> None:

    async def answer(context: Any, params: ElicitRequestParams) -> ElicitResult:
        assert WORKFORCE_FLOW_ID in params.message
        return ElicitResult(
            action=action, content={"confirm": True} if action == "accept" else None
        )

    server = make_server()
    async with mcp.Client(server, mode=mode, elicitation_callback=answer) as client:
        result = await client.call_tool("delete_flow", {"flow_id": WORKFORCE_FLOW_ID})
        assert result.is_error is (action == "decline")
    assert requests(sandbox, "DELETE") == (1 if action == "accept" else 0)


@pytest.mark.anyio
async def test_run_all_steps_reports_a_flow_stopped_at_a_failed_step(
    client: mcp.Client,
) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    result = await client.call_tool(
        "run_flow", {"flow_id": PLANNING_FLOW_ID, "wait": True}, progress_callback=on_progress
    )
    run = data(result)
    assert run["state"] == "failed"
    assert outcomes(run) == {
        PRODUCTS_IMPORT_ID: "succeeded",
        FINANCE_EXPORT_ID: "failed",
        HEADCOUNT_IMPORT_ID: "not_reached",
    }
    assert FINANCE_EXPORT_ID in run["steps"][2]["reason"]
    assert f"diagnose_integration with integration_id='{FINANCE_EXPORT_ID}'" in run["next_step"]
    assert len(seen) >= 2 and all(total == 600 for _, total, _ in seen)
    assert [value for value, _, _ in seen] == sorted(value for value, _, _ in seen)
    assert "3 of 3" not in (seen[-1][2] or "") and "of 3 steps" in (seen[-1][2] or "")


@pytest.mark.anyio
async def test_run_a_subset_of_steps(client: mcp.Client) -> None:
    args = {"flow_id": WORKFORCE_FLOW_ID, "steps": [WORKFORCE_PROCESS_ID], "wait": True}
    run = data(await client.call_tool("run_flow", args))
    assert run["state"] == "succeeded" and run["steps_to_run"] == [WORKFORCE_PROCESS_ID]
    assert outcomes(run) == {HEADCOUNT_IMPORT_ID: "not_selected", WORKFORCE_PROCESS_ID: "succeeded"}
    history = data(
        await client.call_tool(
            "get_run_history", {"integration_id": HEADCOUNT_IMPORT_ID, "limit": 1}
        )
    )
    assert history["items"][0]["start_date"] < run["steps"][1]["run"]["start_date"]


@pytest.mark.anyio
async def test_partial_success_with_stop_halts_the_flow_and_skipped_steps_are_named(
    client: mcp.Client,
) -> None:
    flow_id = await create(
        client,
        step(SALES_IMPORT_ID, on_partial_success="stop"),
        step(GL_IMPORT_ID, skipped=True),
        step(PRODUCTS_IMPORT_ID),
        step(HEADCOUNT_IMPORT_ID),
    )
    run = data(await client.call_tool("run_flow", {"flow_id": flow_id, "wait": True}))
    assert run["state"] == "partly_succeeded"
    assert outcomes(run) == {
        SALES_IMPORT_ID: "partly_succeeded",
        GL_IMPORT_ID: "skipped",
        PRODUCTS_IMPORT_ID: "not_reached",
        HEADCOUNT_IMPORT_ID: "not_reached",
    }
    assert run["steps"][0]["run"]["execution_error_code"] == 38
    assert SALES_IMPORT_ID in run["steps"][2]["reason"]


@pytest.mark.anyio
async def test_run_without_wait_then_a_second_run_is_a_409(
    client: mcp.Client, sandbox: Sandbox
) -> None:
    started = data(await client.call_tool("run_flow", {"flow_id": WORKFORCE_FLOW_ID}))
    assert started["state"] == "started" and started["steps"] == []
    assert started["steps_to_run"] == [HEADCOUNT_IMPORT_ID, WORKFORCE_PROCESS_ID]
    assert "get_flow" in started["next_step"]
    again = await client.call_tool("run_flow", {"flow_id": WORKFORCE_FLOW_ID})
    assert again.is_error and "already running" in text(again)
    assert requests(sandbox, "POST", f"{FLOWS}/{WORKFORCE_FLOW_ID}/run") == 2


@pytest.mark.anyio
async def test_unknown_steps_are_refused_before_the_run(
    client: mcp.Client, sandbox: Sandbox
) -> None:
    args = {"flow_id": WORKFORCE_FLOW_ID, "steps": [GL_IMPORT_ID]}
    result = await client.call_tool("run_flow", args)
    assert result.is_error and GL_IMPORT_ID in text(result) and "get_flow" in text(result)
    assert requests(sandbox, "POST") == 0


@pytest.mark.anyio
async def test_a_flow_wait_that_times_out_shows_where_it_stands(
    sandbox: Sandbox, make_server: MakeServer
) -> None:
    sandbox.config.run_seconds = 1000
    async with mcp.Client(make_server()) as client:
        args = {"flow_id": WORKFORCE_FLOW_ID, "wait": True, "timeout_seconds": 20}
        run = data(await client.call_tool("run_flow", args))
    assert run["state"] == "running" and run["next_step"].startswith("still running")
    assert outcomes(run) == {HEADCOUNT_IMPORT_ID: "running", WORKFORCE_PROCESS_ID: "waiting"}


@pytest.mark.anyio
@pytest.mark.parametrize("mode", MODES)
async def test_read_only_mode_hides_the_flow_write_tools(
    mode: str, sandbox: Sandbox, make_server: MakeServer
) -> None:
    async with mcp.Client(make_server(read_only=True), mode=mode) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        assert {"list_flows", "get_flow"} <= names
        assert not {"create_flow", "update_flow", "delete_flow", "run_flow"} & names
        refused = await client.call_tool("run_flow", {"flow_id": WORKFORCE_FLOW_ID})
        assert refused.is_error and "read-only" in text(refused)
    assert requests(sandbox, "POST") == 0
