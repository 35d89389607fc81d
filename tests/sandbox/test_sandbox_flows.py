"""Flows over HTTP: shape rules, and the flow run state machine (stop/continue, skip, subset)."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from sandbox_http import CW, FLOWS, status_message

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox

pytestmark = pytest.mark.anyio


def step(
    referrer: str,
    *,
    after: str | None = None,
    skipped: bool = False,
    failure: str = "stop",
    partial: str = "continue",
) -> dict[str, Any]:
    return {
        "type": "Integration",
        "referrer": referrer,
        **({"dependsOn": [after]} if after else {}),
        "isSkipped": skipped,
        "exceptionBehavior": [
            {"type": "failure", "strategy": failure},
            {"type": "partial_success", "strategy": partial},
        ],
    }


async def create_flow(cw: httpx2.AsyncClient, steps: list[dict[str, Any]]) -> str:
    body = {"name": "test flow", "version": "2.0", "type": "IntegrationFlow", "steps": steps}
    answer = await cw.post(FLOWS, json=body)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["integrationFlow"]["integrationFlowId"])


async def run_flow(
    cw: httpx2.AsyncClient, sandbox: Sandbox, flow_id: str, body: dict[str, Any] | None = None
) -> dict[str, Any]:
    answer = await cw.post(f"{FLOWS}/{flow_id}/run", json=body)
    assert answer.status_code == 200, answer.text
    run_id = answer.json()["run"]["id"]
    running = (await cw.get(f"{FLOWS}/{flow_id}")).json()["integrationFlow"]["latestRun"]
    assert (running["id"], running["message"], running["endDate"]) == (run_id, "Running", None)
    sandbox.clock.advance(sandbox.config.run_seconds * 10)
    flow = (await cw.get(f"{FLOWS}/{flow_id}")).json()["integrationFlow"]
    assert flow["latestRun"]["id"] == run_id
    return dict(flow)


async def runs_in(cw: httpx2.AsyncClient, integration_id: str, flow_run_id: str) -> list[Any]:
    history = (await cw.get(f"{CW}/runs/{integration_id}")).json()["history_of_runs"]["runs"]
    statuses = [(await cw.get(f"{CW}/run/{r['id']}")).json()["run"] for r in history[:3]]
    return [s for s in statuses if s["flowGroupId"] == flow_run_id]


async def test_stop_on_failure_leaves_later_steps_unrun(
    cw: httpx2.AsyncClient, cw_sandbox: Sandbox
) -> None:
    flow_id = await create_flow(
        cw,
        [
            step(seed.GL_IMPORT_ID),
            step(seed.FINANCE_EXPORT_ID, after=seed.GL_IMPORT_ID),
            step(seed.FX_IMPORT_ID, after=seed.FINANCE_EXPORT_ID),
        ],
    )
    flow = await run_flow(cw, cw_sandbox, flow_id)
    latest = flow["latestRun"]
    assert latest["success"] is False
    assert latest["endDate"] is not None
    assert "Connection Error" in latest["message"]
    (gl_run,) = await runs_in(cw, seed.GL_IMPORT_ID, latest["id"])
    assert gl_run["triggerSource"] == "manual_inf"
    assert gl_run["success"] is True
    assert await runs_in(cw, seed.FX_IMPORT_ID, latest["id"]) == []


async def test_continue_on_failure_runs_the_rest(
    cw: httpx2.AsyncClient, cw_sandbox: Sandbox
) -> None:
    flow_id = await create_flow(
        cw, [step(seed.FINANCE_EXPORT_ID, failure="continue"), step(seed.FX_IMPORT_ID)]
    )
    flow = await run_flow(cw, cw_sandbox, flow_id)
    assert flow["latestRun"]["success"] is False
    assert len(await runs_in(cw, seed.FX_IMPORT_ID, flow["latestRun"]["id"])) == 1


async def test_partial_success_stops_only_when_asked(
    cw: httpx2.AsyncClient, cw_sandbox: Sandbox
) -> None:
    going = await create_flow(cw, [step(seed.SALES_IMPORT_ID), step(seed.GL_IMPORT_ID)])
    flow = await run_flow(cw, cw_sandbox, going)
    assert flow["latestRun"]["success"] is True
    assert flow["latestRun"]["executionErrorCode"] == 38
    assert len(await runs_in(cw, seed.GL_IMPORT_ID, flow["latestRun"]["id"])) == 1
    stopping = await create_flow(
        cw, [step(seed.SALES_IMPORT_ID, partial="stop"), step(seed.FX_IMPORT_ID)]
    )
    flow = await run_flow(cw, cw_sandbox, stopping)
    assert await runs_in(cw, seed.FX_IMPORT_ID, flow["latestRun"]["id"]) == []


async def test_skipped_steps_and_steps_to_run(cw: httpx2.AsyncClient, cw_sandbox: Sandbox) -> None:
    flow_id = await create_flow(
        cw,
        [
            step(seed.GL_IMPORT_ID),
            step(seed.FX_IMPORT_ID),
            step(seed.PRODUCTS_IMPORT_ID, skipped=True),
        ],
    )
    flow = await run_flow(cw, cw_sandbox, flow_id, {"stepsToRun": [seed.FX_IMPORT_ID]})
    run_id = flow["latestRun"]["id"]
    assert flow["latestRun"]["success"] is True
    assert await runs_in(cw, seed.GL_IMPORT_ID, run_id) == []
    assert len(await runs_in(cw, seed.FX_IMPORT_ID, run_id)) == 1
    flow = await run_flow(cw, cw_sandbox, flow_id)
    assert await runs_in(cw, seed.PRODUCTS_IMPORT_ID, flow["latestRun"]["id"]) == []
    unknown = await cw.post(f"{FLOWS}/{flow_id}/run", json={"stepsToRun": ["f" * 32]})
    assert status_message(unknown) == (400, "stepsToRun")


async def test_a_running_flow_refuses_a_second_run_and_deletion(
    cw: httpx2.AsyncClient, cw_sandbox: Sandbox
) -> None:
    flow_id = await create_flow(cw, [step(seed.GL_IMPORT_ID), step(seed.FX_IMPORT_ID)])
    assert (await cw.post(f"{FLOWS}/{flow_id}/run")).status_code == 200
    again = await cw.post(f"{FLOWS}/{flow_id}/run")
    assert status_message(again) == (409, "Integration is already running")
    assert status_message(await cw.delete(f"{FLOWS}/{flow_id}"))[0] == 409
    cw_sandbox.clock.advance(60)
    assert (await cw.delete(f"{FLOWS}/{flow_id}")).status_code == 200
    assert status_message(await cw.get(f"{FLOWS}/{flow_id}")) == (404, "Resource not found")


async def test_flow_containing_a_running_integration_cannot_start(cw: httpx2.AsyncClient) -> None:
    flow_id = await create_flow(cw, [step(seed.GL_IMPORT_ID), step(seed.NIGHTLY_PROCESS_ID)])
    answer = await cw.post(f"{FLOWS}/{flow_id}/run")
    assert status_message(answer) == (409, "Integration is already running")


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (
            [step(seed.GL_IMPORT_ID), step(seed.FX_IMPORT_ID, skipped=True)],
            "Integration flow has to have at least two enabled steps.",
        ),
        ([step(seed.GL_IMPORT_ID)], "steps"),
        ([step(seed.GL_IMPORT_ID), step("e" * 32)], "referrer"),
        (
            [
                step(seed.GL_IMPORT_ID, after=seed.FX_IMPORT_ID),
                step(seed.FX_IMPORT_ID, after=seed.GL_IMPORT_ID),
            ],
            "dependsOn",
        ),
        (
            [step(seed.GL_IMPORT_ID), {**step(seed.FX_IMPORT_ID), "exceptionBehavior": "stop"}],
            "exceptionBehavior",
        ),
    ],
)
async def test_bad_flow_bodies_change_nothing(
    cw: httpx2.AsyncClient, steps: list[dict[str, Any]], message: str
) -> None:
    before = (await cw.get(FLOWS)).json()["integrationFlows"]
    answer = await cw.post(FLOWS, json={"name": "bad", "steps": steps})
    assert status_message(answer) == (400, message)
    assert (await cw.get(FLOWS)).json()["integrationFlows"] == before


async def test_seeded_flow_stopped_at_its_failed_step(cw: httpx2.AsyncClient) -> None:
    flows = (await cw.get(FLOWS)).json()
    assert flows["meta"]["paging"]["totalSize"] == 2
    flow = (await cw.get(f"{FLOWS}/{seed.PLANNING_FLOW_ID}")).json()["integrationFlow"]
    assert flow["stepsCount"] == 3
    assert flow["latestRun"]["success"] is False
    first, failed, never = flow["steps"]
    assert first["latestRun"]["success"] is True
    assert failed["latestRun"]["success"] is False
    assert failed["type"] == "Export"
    assert never["referrer"] == seed.HEADCOUNT_IMPORT_ID
    assert await runs_in(cw, seed.HEADCOUNT_IMPORT_ID, flow["latestRun"]["id"]) == []


async def test_put_flow_replaces_steps(cw: httpx2.AsyncClient) -> None:
    body = {"name": "renamed", "steps": [step(seed.GL_IMPORT_ID), step(seed.FX_IMPORT_ID)]}
    answer = await cw.put(f"{FLOWS}/{seed.WORKFORCE_FLOW_ID}", json=body)
    assert answer.json() == {"status": {"code": 200, "message": "Success"}}
    flow = (await cw.get(f"{FLOWS}/{seed.WORKFORCE_FLOW_ID}")).json()["integrationFlow"]
    assert flow["name"] == "renamed"
    assert [s["referrer"] for s in flow["steps"]] == [seed.GL_IMPORT_ID, seed.FX_IMPORT_ID]
    assert flow["nuxVisible"] is False
    assert flow["version"] == "2.0"
