"""A flow run is explained by the steps' runs in that flow run, whatever ran since, and only the
step whose outcome stopped the flow is said to have stopped it."""

from __future__ import annotations

import pytest
from mcp import Client

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox
from tests.diagnosis.conftest import call

pytestmark = pytest.mark.anyio


async def test_a_failed_step_rerun_on_its_own_still_explains_the_flow_run(
    client: Client, sandbox: Sandbox
) -> None:
    before = await call(client, "diagnose_integration", flow_id=seed.PLANNING_FLOW_ID)
    flow = await call(client, "get_flow", flow_id=seed.PLANNING_FLOW_ID)
    flow_run_id = flow["latest_run"]["run_id"]
    sandbox.clock.advance(3600)
    await call(client, "run_integration", integration_id=seed.FINANCE_EXPORT_ID, wait=True)
    after = await call(client, "diagnose_integration", flow_id=seed.PLANNING_FLOW_ID)
    assert after["outcome"] == "failed" and after["cause"] == before["cause"]
    assert [s["outcome"] for s in after["steps"]] == [s["outcome"] for s in before["steps"]]
    status = await call(client, "get_run_status", run_id=flow_run_id)
    failed = [s for s in status["steps"] if s["integration_id"] == seed.FINANCE_EXPORT_ID]
    assert [s["outcome"] for s in failed] == ["failed"]


async def test_a_step_whose_failure_the_flow_goes_past_is_not_said_to_stop_it(
    client: Client,
) -> None:
    steps = [
        {"integration_id": seed.FINANCE_EXPORT_ID, "on_failure": "continue"},
        {"integration_id": seed.PRODUCTS_IMPORT_ID},
    ]
    flow = await call(client, "create_flow", name="Export then products", steps=steps)
    run = await call(client, "run_flow", flow_id=flow["flow_id"], wait=True)
    assert [s["outcome"] for s in run["steps"]] == ["failed", "succeeded"]
    found = await call(client, "diagnose_integration", flow_id=flow["flow_id"])
    assert "went wrong at step 1 of 2" in found["what_happened"]
    assert "the flow went on" in found["what_happened"]
    assert "stopped" not in found["what_happened"]
