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
from tests.server.next_calls import valid_calls

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
    assert steps[0]["name"] == "Products import" and steps[0]["kind"] == "import"
    assert steps[1]["depends_on"] == [PRODUCTS_IMPORT_ID]
    assert (steps[1]["on_failure"], steps[1]["on_partial_success"]) == ("continue", "continue")
    assert steps[2]["skipped"] and steps[2]["on_failure"] == "stop"
    assert steps[2]["on_partial_success"] == "stop"
    assert steps[0]["latest_run"]["outcome"] == "succeeded"


@pytest.mark.anyio
async def test_list_flows_is_paged_and_compact(client: mcp.Client) -> None:
    first = data(await client.call_tool("list_flows", {"limit": 1}))
    assert first["total"] == 2 and first["next_offset"] == 1
    assert set(first["items"][0]) == {"flow_id", "name", "steps_count", "latest_run"}
    rest = data(await client.call_tool("list_flows", {"limit": 1, "offset": 1}))
    assert rest["next_offset"] is None
    items = first["items"] + rest["items"]
    states = {item["flow_id"]: item["latest_run"]["outcome"] for item in items}
    assert states == {PLANNING_FLOW_ID: "failed", WORKFORCE_FLOW_ID: "succeeded"}
    assert all(item["latest_run"]["run_id"] for item in items)


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
    assert run["outcome"] == "failed"
    assert outcomes(run) == {
        PRODUCTS_IMPORT_ID: "succeeded",
        FINANCE_EXPORT_ID: "failed",
        HEADCOUNT_IMPORT_ID: "not_reached",
    }
    assert "step 2" in run["steps"][2]["reason"]
    failed_run = run["steps"][1]["run"]["run_id"]
    assert await valid_calls(client, run) == [
        ("diagnose_integration", {"run_id": failed_run}),
        (
            "run_flow",
            {
                "flow_id": PLANNING_FLOW_ID,
                "steps": [FINANCE_EXPORT_ID, HEADCOUNT_IMPORT_ID],
                "wait": True,
            },
        ),
    ]
    assert len(seen) >= 2 and all(total == 45 for _, total, _ in seen)
    assert [value for value, _, _ in seen] == sorted(value for value, _, _ in seen)
    assert all(run["run_id"] in (message or "") for _, _, message in seen)
    assert "3 of 3" not in (seen[-1][2] or "") and "of 3 steps" in (seen[-1][2] or "")
    # Every step run id shown is one get_run_status takes, and it is that step's run.
    for step_run in run["steps"][:2]:
        status = data(
            await client.call_tool("get_run_status", {"run_id": step_run["run"]["run_id"]})
        )
        assert status["integration_id"] == step_run["integration_id"]
        assert status["outcome"] == step_run["outcome"]


@pytest.mark.anyio
async def test_run_a_subset_of_steps(client: mcp.Client) -> None:
    args = {"flow_id": WORKFORCE_FLOW_ID, "steps": [WORKFORCE_PROCESS_ID], "wait": True}
    run = data(await client.call_tool("run_flow", args))
    assert run["outcome"] == "succeeded" and run["steps_to_run"] == [WORKFORCE_PROCESS_ID]
    assert outcomes(run) == {HEADCOUNT_IMPORT_ID: "not_selected", WORKFORCE_PROCESS_ID: "succeeded"}
    assert "next_calls" not in run
    history = data(
        await client.call_tool(
            "get_run_history", {"integration_id": HEADCOUNT_IMPORT_ID, "limit": 1}
        )
    )
    assert history["items"][0]["started_at"] < run["steps"][1]["run"]["started_at"]


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
    assert run["outcome"] == "partial_success"
    assert outcomes(run) == {
        SALES_IMPORT_ID: "partial_success",
        GL_IMPORT_ID: "skipped",
        PRODUCTS_IMPORT_ID: "not_reached",
        HEADCOUNT_IMPORT_ID: "not_reached",
    }
    assert run["steps"][0]["run"]["execution_error_code"] == 38
    assert "step 1" in run["steps"][2]["reason"]
    resume = [SALES_IMPORT_ID, PRODUCTS_IMPORT_ID, HEADCOUNT_IMPORT_ID]
    assert (await valid_calls(client, run))[1] == (
        "run_flow",
        {"flow_id": flow_id, "steps": resume, "wait": True},
    )


@pytest.mark.anyio
async def test_a_started_flow_run_is_followed_by_its_id_and_a_second_run_is_a_409(
    client: mcp.Client, sandbox: Sandbox
) -> None:
    started = data(await client.call_tool("run_flow", {"flow_id": WORKFORCE_FLOW_ID}))
    run_id = started["run_id"]
    assert started["outcome"] == "running" and "steps" not in started
    assert started["steps_to_run"] == [HEADCOUNT_IMPORT_ID, WORKFORCE_PROCESS_ID]
    follow = await valid_calls(client, started)
    assert follow == [
        ("get_run_status", {"run_id": run_id}),
        ("cancel_run", {"flow_id": WORKFORCE_FLOW_ID}),
    ]
    sandbox.clock.advance(2)
    status = data(await client.call_tool(*follow[0]))
    assert status["flow_id"] == WORKFORCE_FLOW_ID and status["run_id"] == run_id
    assert status["outcome"] == "running" and status["running_for_seconds"] == 2
    assert outcomes(status) == {HEADCOUNT_IMPORT_ID: "running", WORKFORCE_PROCESS_ID: "waiting"}
    assert status["steps"][0]["run"]["run_id"]
    assert await valid_calls(client, status) == follow
    again = await client.call_tool("run_flow", {"flow_id": WORKFORCE_FLOW_ID})
    assert again.is_error and "already running" in text(again)
    assert f"cancel_run with flow_id='{WORKFORCE_FLOW_ID}'" in text(again)
    assert requests(sandbox, "POST", f"{FLOWS}/{WORKFORCE_FLOW_ID}/run") == 2
    sandbox.clock.advance(60)
    ended = data(await client.call_tool(*follow[0]))
    assert ended["outcome"] == "succeeded" and ended["ended_at"]
    assert outcomes(ended) == {
        HEADCOUNT_IMPORT_ID: "succeeded",
        WORKFORCE_PROCESS_ID: "succeeded",
    }


@pytest.mark.anyio
async def test_unknown_steps_are_refused_before_the_run(
    client: mcp.Client, sandbox: Sandbox
) -> None:
    args = {"flow_id": WORKFORCE_FLOW_ID, "steps": [GL_IMPORT_ID]}
    result = await client.call_tool("run_flow", args)
    assert result.is_error and GL_IMPORT_ID in text(result) and "get_flow" in text(result)
    assert requests(sandbox, "POST") == 0


@pytest.mark.anyio
async def test_a_flow_wait_that_reaches_its_limit_shows_where_it_stands(
    sandbox: Sandbox, make_server: MakeServer
) -> None:
    sandbox.config.run_seconds = 1000
    async with mcp.Client(make_server()) as client:
        args = {"flow_id": WORKFORCE_FLOW_ID, "wait": True, "timeout_seconds": 20}
        run = data(await client.call_tool("run_flow", args))
        assert run["outcome"] == "running" and "20 s" in run["message"]
        assert run["running_for_seconds"] == 20
        assert outcomes(run) == {HEADCOUNT_IMPORT_ID: "running", WORKFORCE_PROCESS_ID: "waiting"}
        assert await valid_calls(client, run) == [
            ("get_run_status", {"run_id": run["run_id"]}),
            ("cancel_run", {"flow_id": WORKFORCE_FLOW_ID}),
        ]


@pytest.mark.anyio
async def test_every_flow_run_id_shown_is_read_by_get_run_status(client: mcp.Client) -> None:
    listed = data(await client.call_tool("list_flows", {}))
    planning = next(item for item in listed["items"] if item["flow_id"] == PLANNING_FLOW_ID)
    flow = data(await client.call_tool("get_flow", {"flow_id": PLANNING_FLOW_ID}))
    failures = data(await client.call_tool("find_failed_runs", {}))
    found = next(item for item in failures["items"] if item.get("flow_id") == PLANNING_FLOW_ID)
    run_id = flow["latest_run"]["run_id"]
    assert planning["latest_run"]["run_id"] == found["run_id"] == run_id
    status = data(await client.call_tool("get_run_status", {"run_id": run_id}))
    assert status["flow_id"] == PLANNING_FLOW_ID and status["outcome"] == "failed"
    assert outcomes(status) == {
        PRODUCTS_IMPORT_ID: "succeeded",
        FINANCE_EXPORT_ID: "failed",
        HEADCOUNT_IMPORT_ID: "not_reached",
    }
    failed = status["steps"][1]["run"]["run_id"]
    calls = await valid_calls(client, status)
    assert calls[0] == ("diagnose_integration", {"run_id": failed})
    errors = data(await client.call_tool("get_run_errors", {"run_id": failed}))
    assert errors["actions"]


@pytest.mark.anyio
async def test_get_flow_names_each_step_run(client: mcp.Client) -> None:
    flow = data(await client.call_tool("get_flow", {"flow_id": WORKFORCE_FLOW_ID}))
    for flow_step in flow["steps"]:
        history = data(
            await client.call_tool(
                "get_run_history", {"integration_id": flow_step["integration_id"], "limit": 1}
            )
        )
        assert flow_step["latest_run"]["run_id"] == history["items"][0]["run_id"]


@pytest.mark.anyio
async def test_an_older_flow_run_id_is_refused_in_plain_words(
    client: mcp.Client, sandbox: Sandbox
) -> None:
    first = data(await client.call_tool("run_flow", {"flow_id": WORKFORCE_FLOW_ID, "wait": True}))
    data(await client.call_tool("run_flow", {"flow_id": WORKFORCE_FLOW_ID, "wait": True}))
    older = await client.call_tool("get_run_status", {"run_id": first["run_id"]})
    assert older.is_error and "older flow run cannot be read" in text(older)
    errors = await client.call_tool("get_run_errors", {"run_id": first["run_id"]})
    assert errors.is_error and "get_run_status" in text(errors)


@pytest.mark.anyio
async def test_diagnose_takes_a_flow_run_id(client: mcp.Client, sandbox: Sandbox) -> None:
    flow = data(await client.call_tool("get_flow", {"flow_id": PLANNING_FLOW_ID}))
    run_id = flow["latest_run"]["run_id"]
    diagnosis = data(await client.call_tool("diagnose_integration", {"run_id": run_id}))
    assert diagnosis["flow_id"] == PLANNING_FLOW_ID and diagnosis["kind"] == "flow"
    assert diagnosis["outcome"] == "failed"
    both = await client.call_tool(
        "diagnose_integration", {"run_id": run_id, "integration_id": FINANCE_EXPORT_ID}
    )
    assert both.is_error and "flow run" in text(both)


@pytest.mark.anyio
@pytest.mark.parametrize("by", ["flow_id", "run_id"])
async def test_cancel_stops_a_running_flow_at_its_running_step(
    client: mcp.Client, sandbox: Sandbox, by: str
) -> None:
    started = data(await client.call_tool("run_flow", {"flow_id": WORKFORCE_FLOW_ID}))
    run_id = started["run_id"]
    target = WORKFORCE_FLOW_ID if by == "flow_id" else run_id
    done = data(await client.call_tool("cancel_run", {by: target}))
    assert done["integration_id"] == HEADCOUNT_IMPORT_ID and WORKFORCE_FLOW_ID in done["done"]
    step_history = data(
        await client.call_tool(
            "get_run_history", {"integration_id": HEADCOUNT_IMPORT_ID, "limit": 1}
        )
    )
    assert done["run_id"] == step_history["items"][0]["run_id"]
    calls = await valid_calls(client, done)
    assert calls == [("get_run_status", {"run_id": run_id})]
    status = data(await client.call_tool(*calls[0]))
    assert status["outcome"] == "cancelled"
    assert outcomes(status) == {
        HEADCOUNT_IMPORT_ID: "cancelled",
        WORKFORCE_PROCESS_ID: "not_reached",
    }
    assert await valid_calls(client, status) == [
        (
            "run_flow",
            {
                "flow_id": WORKFORCE_FLOW_ID,
                "steps": [HEADCOUNT_IMPORT_ID, WORKFORCE_PROCESS_ID],
                "wait": True,
            },
        )
    ]
    idle = await client.call_tool("cancel_run", {by: target})
    assert idle.is_error and "Nothing to cancel" in text(idle) and "not running" in text(idle)


@pytest.mark.anyio
async def test_deleting_an_integration_a_flow_uses_says_so(client: mcp.Client) -> None:
    args = {"integration_id": HEADCOUNT_IMPORT_ID, "confirm": HEADCOUNT_IMPORT_ID}
    result = await client.call_tool("delete_integration", args)
    assert result.is_error
    message = text(result)
    assert "The resource is being referenced" in message
    assert f"a flow has integration {HEADCOUNT_IMPORT_ID} as a step" in message
    assert "update_flow" in message and "delete the flow first" in message
    assert "running" not in message and "cancel" not in message


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
