"""Run ids the wire leaves out, so that every run a result shows can be followed.

An integration's `latestRun` (in its listing, its detail and a flow step) carries no `id`
(contract sheet §12); its run history does. Each read here is one history entry, and a run id that
cannot be read is left out rather than failing the tool: it is a lead, not the answer.
"""

from __future__ import annotations

import contextlib

import anyio

from anaplan_mcp.cloudworks.client import CloudWorksClient
from anaplan_mcp.cloudworks.errors import CloudWorksError
from anaplan_mcp.models import FlowDetail, LatestRun


async def latest_run_id(
    client: CloudWorksClient, integration_id: str, run: LatestRun | None
) -> str | None:
    """The id of `run`, the integration's latest run, from the newest entry of its history."""
    if run is None or run.id:
        return run.id if run else None
    with contextlib.suppress(CloudWorksError):
        newest = (await client.run_history(integration_id, limit=1)).runs
        # A run started between the two reads would be newer: only the same run is named.
        if newest and newest[0].start_date == run.start_date:
            return newest[0].id
    return None


async def with_latest_run_id(
    client: CloudWorksClient, integration_id: str, run: LatestRun | None
) -> LatestRun | None:
    """`run` with its id filled in, when it can be."""
    run_id = await latest_run_id(client, integration_id, run)
    return run.model_copy(update={"id": run_id}) if run and run_id else run


async def with_step_run_ids(client: CloudWorksClient, flow: FlowDetail) -> FlowDetail:
    """The flow with each step's latest run carrying its id (the steps are read concurrently)."""
    runs: dict[int, LatestRun | None] = {}

    async def fill(index: int) -> None:
        step = flow.steps[index]
        runs[index] = await with_latest_run_id(client, step.referrer, step.latest_run)

    async with anyio.create_task_group() as group:
        for index, step in enumerate(flow.steps):
            if step.latest_run is not None and not step.latest_run.id:
                group.start_soon(fill, index)
    steps = [
        step.model_copy(update={"latest_run": runs[index]}) if index in runs else step
        for index, step in enumerate(flow.steps)
    ]
    return flow.model_copy(update={"steps": steps})
