"""Runs the wire leaves out, so that every run a result shows can be followed.

An integration's `latestRun` (in its listing, its detail and a flow step) carries no `id`
(contract sheet §12); its run history does. A flow step's `latestRun` is its integration's latest
run, which is no longer the step's run in the flow's latest run once the integration ran again on
its own; the history has that one too. A run that cannot be read is left as the wire gave it rather
than failing the tool: it is a lead, not the answer.
"""

from __future__ import annotations

import contextlib

import anyio

from anaplan_mcp.cloudworks.client import CloudWorksClient
from anaplan_mcp.cloudworks.errors import CloudWorksError
from anaplan_mcp.models import FlowDetail, FlowStep, LatestRun
from anaplan_mcp.models.outcomes import step_run


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


# How far back a step's history is read for its run in the flow run, when it has run since.
STEP_HISTORY = 10


async def _step_run(client: CloudWorksClient, step: FlowStep, flow_run: LatestRun) -> LatestRun:
    """The step's run in `flow_run`: its latest run with its id, or the one in its history."""
    latest = step.latest_run
    assert latest is not None
    end = flow_run.end_date or latest.start_date
    if latest.start_date <= end:
        return await with_latest_run_id(client, step.referrer, latest) or latest
    with contextlib.suppress(CloudWorksError):
        history = await client.run_history(step.referrer, limit=STEP_HISTORY)
        for record in history.runs:
            candidate = LatestRun.model_validate(record.model_dump())
            if step_run(step.model_copy(update={"latest_run": candidate}), flow_run, end):
                return candidate
    return latest


async def with_step_run_ids(
    client: CloudWorksClient, flow: FlowDetail, *, of_flow_run: bool = True
) -> FlowDetail:
    """The flow with each step's run carrying its id (read concurrently): the step's run in the
    flow's latest run, or with `of_flow_run` false each step's integration's latest run."""
    flow_run = flow.latest_run
    runs: dict[int, LatestRun] = {}

    async def fill(index: int) -> None:
        step = flow.steps[index]
        assert step.latest_run is not None
        if of_flow_run and flow_run is not None:
            runs[index] = await _step_run(client, step, flow_run)
        else:
            found = await with_latest_run_id(client, step.referrer, step.latest_run)
            runs[index] = found or step.latest_run

    async with anyio.create_task_group() as group:
        for index, step in enumerate(flow.steps):
            if step.latest_run is not None:
                group.start_soon(fill, index)
    steps = [
        step.model_copy(update={"latest_run": runs[index]}) if index in runs else step
        for index, step in enumerate(flow.steps)
    ]
    return flow.model_copy(update={"steps": steps})
