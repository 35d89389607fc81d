"""Waiting for runs and flows: the end-date done test, progress, and an injected deadline."""

from __future__ import annotations

import pytest

from anaplan_mcp.cloudworks import CloudWorksClient, WaitTimeoutError, wait_for_flow, wait_for_run
from anaplan_mcp.models import FlowDetail, RunStatus
from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox, SandboxConfig

from .conftest import RecordingSleep, frozen_clock

pytestmark = pytest.mark.anyio
RUN_SECONDS = 9.0


@pytest.fixture
def sandbox() -> Sandbox:
    """Overrides the shared sandbox: runs take RUN_SECONDS of sandbox time."""
    return Sandbox(SandboxConfig(run_seconds=RUN_SECONDS), clock=frozen_clock())


async def test_wait_for_run_polls_until_the_end_date_is_set(
    cw: CloudWorksClient, sandbox: Sandbox
) -> None:
    integration_id = seed.PRODUCTS_IMPORT_ID
    run_id = await cw.run_integration(integration_id)
    moving = RecordingSleep(clock=sandbox.clock)
    seen: list[RunStatus] = []

    finished = await wait_for_run(
        cw,
        run_id,
        on_progress=seen.append,
        poll_interval=2.0,
        sleep=moving,
        clock=sandbox.clock.timestamp,
    )
    assert finished.id == run_id
    assert finished.end_date is not None
    assert seen[0].end_date is None
    assert seen[0].message == "Running"
    assert seen[-1] is finished
    assert moving.waits == [2.0] * (len(seen) - 1)
    assert sum(moving.waits) >= RUN_SECONDS


async def test_a_failed_run_counts_as_finished(cw: CloudWorksClient, sandbox: Sandbox) -> None:
    # success is false both while running and after a failure: only the end date tells them apart.
    run_id = await cw.run_integration(seed.FINANCE_EXPORT_ID)
    finished = await wait_for_run(
        cw, run_id, sleep=RecordingSleep(clock=sandbox.clock), clock=sandbox.clock.timestamp
    )
    assert finished.success is False
    assert finished.end_date is not None


async def test_async_progress_callback_is_awaited(cw: CloudWorksClient, sandbox: Sandbox) -> None:
    integration_id = seed.PRODUCTS_IMPORT_ID
    run_id = await cw.run_integration(integration_id)
    seen: list[str] = []

    async def report(status: RunStatus) -> None:
        seen.append(status.message)

    await wait_for_run(
        cw,
        run_id,
        on_progress=report,
        sleep=RecordingSleep(clock=sandbox.clock),
        clock=sandbox.clock.timestamp,
    )
    assert seen[0] == "Running"
    assert seen[-1] != "Running"


async def test_deadline_raises_a_clear_timeout(cw: CloudWorksClient, sandbox: Sandbox) -> None:
    integration_id = seed.PRODUCTS_IMPORT_ID
    run_id = await cw.run_integration(integration_id)
    waits = RecordingSleep(clock=sandbox.clock)
    with pytest.raises(WaitTimeoutError) as info:
        await wait_for_run(
            cw,
            run_id,
            timeout_seconds=5.0,
            poll_interval=2.0,
            sleep=waits,
            clock=sandbox.clock.timestamp,
        )
    assert waits.waits == [2.0, 2.0, 1.0]  # the last wait stops at the deadline
    assert f"run {run_id}" in str(info.value)
    assert "Running" in str(info.value)


async def test_wait_for_flow_follows_its_latest_run(cw: CloudWorksClient, sandbox: Sandbox) -> None:
    run_id = await cw.run_flow(seed.WORKFORCE_FLOW_ID)
    seen: list[FlowDetail] = []
    finished = await wait_for_flow(
        cw,
        seed.WORKFORCE_FLOW_ID,
        run_id,
        on_progress=seen.append,
        poll_interval=3.0,
        sleep=RecordingSleep(clock=sandbox.clock),
        clock=sandbox.clock.timestamp,
    )
    assert finished.latest_run is not None
    assert finished.latest_run.end_date is not None
    assert finished.latest_run.id in (None, run_id)
    assert len(seen) >= 2
    assert any(step.latest_run is not None for step in finished.steps)


class _NoRunIds:
    """A flow reader whose detail leaves the flow run id out, as the contract allows (§4.2)."""

    def __init__(self, cw: CloudWorksClient) -> None:
        self.cw = cw

    async def get_flow(self, flow_id: str) -> FlowDetail:
        flow = await self.cw.get_flow(flow_id)
        latest = flow.latest_run
        return flow.model_copy(
            update={"latest_run": latest.model_copy(update={"id": None}) if latest else None}
        )


async def test_without_run_ids_the_flows_earlier_run_is_not_taken_for_the_new_one(
    cw: CloudWorksClient, sandbox: Sandbox
) -> None:
    earlier = (await cw.get_flow(seed.WORKFORCE_FLOW_ID)).latest_run
    assert earlier is not None and earlier.end_date is not None
    sandbox.clock.advance(60)
    run_id = await cw.run_flow(seed.WORKFORCE_FLOW_ID)
    finished = await wait_for_flow(
        _NoRunIds(cw),
        seed.WORKFORCE_FLOW_ID,
        run_id,
        after=earlier.start_date,
        poll_interval=3.0,
        sleep=RecordingSleep(clock=sandbox.clock),
        clock=sandbox.clock.timestamp,
    )
    assert finished.latest_run is not None
    assert finished.latest_run.start_date > earlier.start_date
