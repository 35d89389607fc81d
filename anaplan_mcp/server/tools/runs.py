"""Runs toolset: start, follow, cancel and read the runs of an integration (or a flow run)."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from anaplan_mcp.cloudworks.client import CloudWorksClient
from anaplan_mcp.cloudworks.errors import (
    APIConnectionError,
    CloudWorksError,
    NotFoundError,
    ServerError,
)
from anaplan_mcp.cloudworks.run_ids import latest_run_id, with_step_run_ids
from anaplan_mcp.cloudworks.waiting import wait_for_run
from anaplan_mcp.models import FlowDetail, RunStatus
from anaplan_mcp.models._types import HexId
from anaplan_mcp.models.outcomes import run_outcome, words
from anaplan_mcp.server.audit import audit
from anaplan_mcp.server.errors import InputError, unconfirmed_start
from anaplan_mcp.server.registry import ToolSpec
from anaplan_mcp.server.state import AppState, app_state
from anaplan_mcp.server.tools.common import IntegrationId, Limit, Offset, Page, RunId, page_at
from anaplan_mcp.server.tools.flow_views import FlowRunOutcome, flow_run_outcome
from anaplan_mcp.server.tools.run_views import (
    CancelReport,
    RunErrorReport,
    RunReport,
    RunSummary,
    action_errors,
    call,
    dump_calls,
    follow_calls,
    run_report,
    summarize,
    trouble_calls,
)
from anaplan_mcp.server.tools.waits import TimeoutSeconds, Wait, follow

T = TypeVar("T")

# In a run outcome, only the first lines of each action: get_run_errors has them all.
SUMMARY_LINES = 3
AnyRunId = Annotated[RunId, Field(description="Run id, or a flow's latest run id.")]


async def flow_run(client: CloudWorksClient, run_id: str) -> FlowDetail | None:
    """The flow whose latest run is `run_id`, with its steps' run ids; None if no flow's is."""
    found = await client.flow_of_run(run_id)
    if found is None:
        return None
    flow = await client.get_flow(found.id)
    latest, listed = flow.latest_run, found.latest_run
    # The detail may leave the flow run id out (contract sheet §4.2); the same start names it.
    if latest and listed and latest.id is None and latest.start_date == listed.start_date:
        flow = flow.model_copy(update={"latest_run": latest.model_copy(update={"id": run_id})})
    if flow.latest_run is None or flow.latest_run.id != run_id:
        return None  # a newer run of the flow started between the two reads
    return await with_step_run_ids(client, flow)


async def _outcome(state: AppState, run: RunStatus) -> RunReport:
    report = run_report(run, state.now())
    if report.outcome not in ("failed", "partial_success"):
        return report
    # Without its error lines the outcome still stands; the calls then include get_run_errors.
    with contextlib.suppress(CloudWorksError):
        report.errors = action_errors(await state.client.run_errors(run.id), SUMMARY_LINES)
    report.next_calls = trouble_calls(run.id, report.errors or None)
    return report


async def run_integration(
    ctx: Context[Any, Any],
    integration_id: IntegrationId,
    wait: Wait = False,
    timeout_seconds: TimeoutSeconds = None,
) -> RunReport:
    """Start a run of an integration. With wait, return its outcome (row counts, errors), or
    the run still running at the limit."""
    state = app_state(ctx)
    try:
        run_id = await state.client.run_integration(integration_id)
    except (ServerError, APIConnectionError) as exc:
        check = f"call get_run_history with integration_id='{integration_id}'"
        refusal = unconfirmed_start(exc, check=check, again="run_integration")
        if refusal is None:
            raise
        audit("run_integration", "unknown", integration_id=integration_id)
        raise refusal from None
    audit("run_integration", "ok", integration_id=integration_id, run_id=run_id)
    if not wait:
        return RunReport(
            run_id=run_id,
            integration_id=integration_id,
            outcome="running",
            running_for_seconds=0,
            next_calls=follow_calls(run_id, integration_id=integration_id),
        )

    def describe(current: RunStatus) -> str:
        return f"run {run_id}: {run_outcome(current)}"

    waited = await follow(
        ctx, wait_for_run, run_id, timeout_seconds=timeout_seconds, describe=describe
    )
    if waited.done is not None:
        return await _outcome(state, waited.done)
    limit, last = waited.limit, waited.last
    if last is None:  # not visible yet in all that time (queued, contract sheet §2)
        return RunReport(
            run_id=run_id,
            integration_id=integration_id,
            outcome="running",
            message=f"queued: not started after {limit:g} s",
            next_calls=follow_calls(run_id, integration_id=integration_id),
        )
    report = run_report(last, state.now())
    report.message = f"still running after the {limit:g} s wait ({last.message})"
    return report


async def cancel_run(
    ctx: Context[Any, Any],
    integration_id: IntegrationId | None = None,
    flow_id: HexId | None = None,
    run_id: HexId | None = None,
) -> CancelReport:
    """Stop a running run: give one of integration_id, run_id (of a run or flow run), flow_id
    (stops its running step)."""
    given = [value for value in (integration_id, flow_id, run_id) if value is not None]
    if len(given) != 1:
        raise InputError("cancel_run: give exactly one of integration_id, flow_id, run_id.")
    client = app_state(ctx).client
    if integration_id is not None:
        return await _cancel(client, integration_id, None)
    if flow_id is not None:
        return await _cancel_flow_step(client, await client.get_flow(flow_id))
    assert run_id is not None
    try:
        run = await client.run_status(run_id)
    except NotFoundError:
        flow = await flow_run(client, run_id)
        if flow is None:
            raise
        return await _cancel_flow_step(client, flow)
    if run_outcome(run) != "running":
        raise ToolError(
            f"Nothing to cancel: run {run_id} already ended ({words(run_outcome(run))})."
        )
    return await _cancel(client, run.integration_id, run_id)


async def _cancel(
    client: CloudWorksClient, integration_id: str, run_id: str | None
) -> CancelReport:
    # A 404 while a run is queued (contract sheet §2) has its own row in the advice table.
    await client.cancel_run(integration_id)
    audit("cancel_run", "ok", integration_id=integration_id, run_id=run_id)
    check = (
        call("get_run_status", "confirm it ended as cancelled", run_id=run_id)
        if run_id
        else call("get_run_history", "the cancelled run", integration_id=integration_id, limit=1)
    )
    return CancelReport(
        done=f"cancelled the running run of integration {integration_id}",
        integration_id=integration_id,
        run_id=run_id,
        next_calls=[check],
    )


async def _cancel_flow_step(client: CloudWorksClient, flow: FlowDetail) -> CancelReport:
    """CloudWorks cannot cancel a flow run; cancelling its running step stops the flow there."""
    latest = flow.latest_run
    if latest is None or run_outcome(latest) != "running":
        ended = f"its latest run ended {words(run_outcome(latest))}" if latest else "it never ran"
        raise ToolError(f"Nothing to cancel: flow {flow.id} is not running ({ended}).")
    step = next(
        (s for s in flow.steps if s.latest_run and run_outcome(s.latest_run) == "running"), None
    )
    if step is None:
        raise ToolError(
            f"Flow {flow.id} is between steps: no step is running to cancel. Call cancel_run "
            f"with flow_id='{flow.id}' again in a few seconds."
        )
    report = await _cancel(
        client, step.referrer, await latest_run_id(client, step.referrer, step.latest_run)
    )
    report.done += f", the running step of flow {flow.id}; the flow stops there"
    if latest.id:
        report.next_calls = [call("get_run_status", "the flow run's steps", run_id=latest.id)]
    return report


async def get_run_history(
    ctx: Context[Any, Any], integration_id: IntegrationId, limit: Limit = 25, offset: Offset = 0
) -> Page[RunSummary]:
    """Runs of one integration, most recent first."""
    history = await app_state(ctx).client.run_history(integration_id, offset=offset, limit=limit)
    return page_at([summarize(run) for run in history.runs], offset, history.total_runs)


async def get_run_status(ctx: Context[Any, Any], run_id: AnyRunId) -> RunReport | FlowRunOutcome:
    """One run: outcome, message, error code, dates; for a flow run, each step's too."""
    state = app_state(ctx)
    try:
        run = await state.client.run_status(run_id)
    except NotFoundError:
        # CloudWorks has no flow-run endpoint (contract sheet §4.2): a flow run id is a 404 here.
        flow = await flow_run(state.client, run_id)
        if flow is None:
            raise
        return flow_run_outcome(flow, run_id, state.now())
    report = run_report(run, state.now())
    if report.outcome in ("failed", "partial_success"):
        report.next_calls = trouble_calls(run.id, None)
    return report


async def get_run_errors(ctx: Context[Any, Any], run_id: RunId) -> RunErrorReport:
    """A run's failed actions: Anaplan's error lines, and whether each left a failure dump of
    the failing rows."""
    actions = action_errors(await app_state(ctx).client.run_errors(run_id))
    if not actions:
        return RunErrorReport(
            run_id=run_id,
            actions=[],
            note="no action errors recorded",
            next_calls=[call("get_run_status", "its outcome and message", run_id=run_id)],
        )
    calls = [call("diagnose_integration", "the cause and the fix", run_id=run_id)]
    calls += dump_calls(run_id, actions)
    note = None if any(a.failure_dump for a in actions) else "no failure dump exists for this run"
    return RunErrorReport(run_id=run_id, actions=actions, note=note, next_calls=calls)


TOOLS = [
    ToolSpec(run_integration, "runs", "write", "Run an integration", destructive_effect=True),
    ToolSpec(cancel_run, "runs", "write", "Cancel a run", idempotent=True, destructive_effect=True),
    ToolSpec(get_run_history, "runs", "read", "Run history"),
    ToolSpec(get_run_status, "runs", "read", "Run status"),
    ToolSpec(get_run_errors, "runs", "read", "Run errors"),
]
