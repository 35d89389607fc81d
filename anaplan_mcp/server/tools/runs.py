"""Runs toolset: start, follow, cancel and read the runs of an integration."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import Field

from anaplan_mcp.cloudworks.errors import (
    APIConnectionError,
    CloudWorksError,
    ConflictError,
    NotFoundError,
    ServerError,
    WaitTimeoutError,
)
from anaplan_mcp.cloudworks.waiting import wait_for_run
from anaplan_mcp.models import RunStatus
from anaplan_mcp.server.audit import audit
from anaplan_mcp.server.errors import unconfirmed_start
from anaplan_mcp.server.registry import ToolSpec
from anaplan_mcp.server.state import app_state
from anaplan_mcp.server.tools.common import Done, IntegrationId, Limit, Offset, Page, RunId
from anaplan_mcp.server.tools.run_views import (
    RunErrorReport,
    RunReport,
    RunSummary,
    action_errors,
    dump_hint,
    run_report,
    summarize,
)

T = TypeVar("T")

# Real runs take minutes (contract sheet §8): polling every few seconds is plenty.
POLL_SECONDS = 3.0
MAX_TIMEOUT = 3600.0
# In a run outcome, only the first lines of each action: get_run_errors has them all.
SUMMARY_LINES = 3

Wait = Annotated[
    bool, Field(description="Wait for the end (with progress) and return the outcome.")
]
TimeoutSeconds = Annotated[
    float, Field(ge=1, le=MAX_TIMEOUT, description="Longest wait; the run goes on afterwards.")
]


def page_at(items: list[T], offset: int, total: int | None) -> Page[T]:
    """A page the server cut, with the total it reported (or what is known of it)."""
    total = offset + len(items) if total is None else total
    following = offset + len(items)
    return Page(
        items=items, total=total, next_offset=following if items and following < total else None
    )


def progress_reporter(
    ctx: Context[Any, Any], timeout: float, describe: Callable[[T], str]
) -> Callable[[T], Awaitable[None]]:
    """A wait's `on_progress`: absolute elapsed seconds out of the timeout, on every poll."""
    clock = app_state(ctx).timing.clock
    started = clock()

    async def report(current: T) -> None:
        elapsed = min(max(clock() - started, 0.0), timeout)
        await ctx.report_progress(elapsed, timeout, describe(current))

    return report


async def _outcome(ctx: Context[Any, Any], run: RunStatus) -> RunReport:
    outcome = run_report(run)
    if outcome.outcome not in ("failed", "partial_success"):
        return outcome
    # Without its error lines the outcome still stands; the hint then points to get_run_errors.
    with contextlib.suppress(CloudWorksError):
        errors = await app_state(ctx).client.run_errors(run.id)
        outcome.errors = action_errors(errors, SUMMARY_LINES)
    steps = [f"diagnose_integration with run_id='{run.id}' for the cause and fix"]
    if dump := dump_hint(run.id, outcome.errors):
        steps.append(f"{dump} for the failing rows")
    elif not outcome.errors:
        steps.append(f"get_run_errors with run_id='{run.id}'")
    outcome.next_step = "call " + ", or ".join(steps)
    return outcome


async def run_integration(
    ctx: Context[Any, Any],
    integration_id: IntegrationId,
    wait: Wait = False,
    timeout_seconds: TimeoutSeconds = 600,
) -> RunReport:
    """Start a run of an integration. With wait, follow it and return the outcome: succeeded,
    partly succeeded (row counts), failed (code, error summary) or cancelled."""
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
    follow = f"call get_run_status with run_id='{run_id}' until it ends"
    if not wait:
        return RunReport(
            run_id=run_id, integration_id=integration_id, outcome="running", next_step=follow
        )

    def describe(current: RunStatus) -> str:
        return f"run {run_id}: {current.message}"

    report = progress_reporter(ctx, timeout_seconds, describe)
    try:
        run = await wait_for_run(
            state.client,
            run_id,
            on_progress=report,
            timeout_seconds=timeout_seconds,
            poll_interval=POLL_SECONDS,
            sleep=state.timing.sleep,
            clock=state.timing.clock,
        )
    except WaitTimeoutError:
        return RunReport(
            run_id=run_id,
            integration_id=integration_id,
            outcome="running",
            message=f"still running after {timeout_seconds:g} s",
            next_step=f"still running; {follow}",
        )
    return await _outcome(ctx, run)


async def cancel_run(ctx: Context[Any, Any], integration_id: IntegrationId) -> Done:
    """Cancel the running run of an integration (get_run_history shows it as cancelled)."""
    try:
        await app_state(ctx).client.cancel_run(integration_id)
    except ConflictError as exc:
        raise ToolError(
            f"Nothing to cancel: {exc}; integration {integration_id} is not running."
        ) from None
    except NotFoundError as exc:
        # CloudWorks answers 404 while a run is queued (contract sheet §2).
        raise ToolError(
            f"{exc}. If the run was started a moment ago it is still queued: try cancel_run again "
            "in a few seconds; otherwise check the id with list_integrations."
        ) from None
    audit("cancel_run", "ok", integration_id=integration_id)
    return Done(done=f"cancelled the running run of integration {integration_id}")


async def get_run_history(
    ctx: Context[Any, Any], integration_id: IntegrationId, limit: Limit = 25, offset: Offset = 0
) -> Page[RunSummary]:
    """Runs of one integration, most recent first."""
    history = await app_state(ctx).client.run_history(integration_id, offset=offset, limit=limit)
    return page_at([summarize(run) for run in history.runs], offset, history.total_runs)


async def get_run_status(ctx: Context[Any, Any], run_id: RunId) -> RunReport:
    """One run: its outcome (running until it has an end date), message, error code and dates."""
    run = await app_state(ctx).client.run_status(run_id)
    outcome = run_report(run)
    if outcome.outcome in ("failed", "partial_success"):
        outcome.next_step = f"call get_run_errors or diagnose_integration with run_id='{run.id}'"
    elif outcome.outcome == "running":
        outcome.next_step = f"call get_run_status with run_id='{run.id}' again later"
    return outcome


async def get_run_errors(ctx: Context[Any, Any], run_id: RunId) -> RunErrorReport:
    """The failed actions of a run with Anaplan's error lines, and whether each left a failure
    dump of the failing rows."""
    actions = action_errors(await app_state(ctx).client.run_errors(run_id))
    if not actions:
        hint = f"no action errors recorded; get_run_status with run_id='{run_id}' gives its message"
    else:
        dump = dump_hint(run_id, actions)
        hint = f"call {dump} for the failing rows" if dump else "no dump exists for this run"
        hint += f"; diagnose_integration with run_id='{run_id}' gives the cause and fix"
    return RunErrorReport(run_id=run_id, actions=actions, next_step=hint)


TOOLS = [
    ToolSpec(run_integration, "runs", "write", "Run an integration", destructive_effect=True),
    ToolSpec(cancel_run, "runs", "write", "Cancel a run", idempotent=True, destructive_effect=True),
    ToolSpec(get_run_history, "runs", "read", "Run history"),
    ToolSpec(get_run_status, "runs", "read", "Run status"),
    ToolSpec(get_run_errors, "runs", "read", "Run errors"),
]
