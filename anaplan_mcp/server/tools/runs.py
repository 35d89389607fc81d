"""Runs toolset: start, follow, cancel and read the runs of an integration."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from anaplan_mcp.cloudworks.errors import (
    APIConnectionError,
    CloudWorksError,
    ConflictError,
    NotFoundError,
    ServerError,
    WaitTimeoutError,
)
from anaplan_mcp.cloudworks.waiting import wait_for_run
from anaplan_mcp.models import LatestRun, RunErrors, RunRecord, RunStatus
from anaplan_mcp.models.runs import is_finished, is_partial_success
from anaplan_mcp.server.audit import audit
from anaplan_mcp.server.errors import unconfirmed_start
from anaplan_mcp.server.registry import ToolSpec
from anaplan_mcp.server.state import app_state
from anaplan_mcp.server.tools.common import Done, IntegrationId, Limit, Offset, Page, RunId

T = TypeVar("T")

RunState = Literal["running", "succeeded", "partly_succeeded", "failed", "cancelled"]
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


def run_state(run: LatestRun | RunRecord | RunStatus) -> RunState:
    """The outcome by the contract's done test: `end_date` set; partial success is code 38."""
    if not is_finished(run):
        return "running"
    if run.message == "Cancelled":
        return "cancelled"
    if is_partial_success(run):
        return "partly_succeeded"
    return "succeeded" if run.success else "failed"


class RunSummary(BaseModel):
    """One run, compact."""

    run_id: str | None = Field(description="Run id (null where CloudWorks omits it).")
    state: RunState = Field(description="running, succeeded, partly_succeeded, failed, cancelled.")
    start_date: datetime | None = Field(description="Start.")
    end_date: datetime | None = Field(description="End; null while running.")
    message: str | None = Field(description="CloudWorks' message (row counts, reason).")
    execution_error_code: int | None = Field(description="Error code; 38 = partial success.")
    trigger_source: str | None = Field(description="manual, scheduled, manual_inf (flow), ...")


def summarize(run: LatestRun | RunRecord | RunStatus) -> RunSummary:
    return RunSummary(
        run_id=run.id,
        state=run_state(run),
        start_date=run.start_date,
        end_date=run.end_date,
        message=run.message,
        execution_error_code=run.execution_error_code,
        trigger_source=run.trigger_source,
    )


class ActionErrors(BaseModel):
    """The errors of one Anaplan action of a run."""

    action_id: str = Field(description="Anaplan action id.")
    action_name: str = Field(description="Anaplan action name.")
    messages: list[str] = Field(description="Error lines (Anaplan's text).")
    failure_dump: bool = Field(description="True when get_failure_dump can fetch failing rows.")


class RunOutcome(BaseModel):
    """Where a run stands, and what to call next."""

    run_id: str = Field(description="Run id.")
    integration_id: str = Field(description="Integration id.")
    state: RunState | Literal["started"] = Field(
        description="started (not waited for), or the run state."
    )
    message: str | None = Field(None, description="CloudWorks' message (row counts, reason).")
    execution_error_code: int | None = Field(None, description="Error code; 38 = partial success.")
    start_date: datetime | None = Field(None, description="Start.")
    end_date: datetime | None = Field(None, description="End; null while running.")
    errors: list[ActionErrors] = Field(
        default_factory=list, description="Failed actions, first lines."
    )
    next_step: str | None = Field(None, description="The tool to call next, if any.")


class RunErrorReport(BaseModel):
    """Structured errors of one run."""

    run_id: str = Field(description="Run id.")
    actions: list[ActionErrors] = Field(description="Failed actions.")
    next_step: str = Field(description="The tool to call next.")


def action_errors(errors: RunErrors, lines: int | None = None) -> list[ActionErrors]:
    return [
        ActionErrors(
            action_id=action.action_id,
            action_name=action.action_name,
            messages=[detail.local_message_text for detail in action.details][:lines],
            failure_dump=action.failure_dump_generated,
        )
        for action in errors.actions
    ]


def dump_hint(run_id: str, actions: list[ActionErrors]) -> str | None:
    dumps = [action.action_id for action in actions if action.failure_dump]
    if not dumps:
        return None
    ids = ", ".join(f"'{action_id}'" for action_id in dumps)
    return f"get_failure_dump with run_id='{run_id}' (and action_id {ids} for a process run)"


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


async def _outcome(ctx: Context[Any, Any], run: RunStatus) -> RunOutcome:
    state = run_state(run)
    outcome = RunOutcome(
        run_id=run.id,
        integration_id=run.integration_id,
        state=state,
        message=run.message,
        execution_error_code=run.execution_error_code,
        start_date=run.start_date,
        end_date=run.end_date,
    )
    if state not in ("failed", "partly_succeeded"):
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
) -> RunOutcome:
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
        return RunOutcome(
            run_id=run_id, integration_id=integration_id, state="started", next_step=follow
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
        return RunOutcome(
            run_id=run_id,
            integration_id=integration_id,
            state="running",
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


async def get_run_status(ctx: Context[Any, Any], run_id: RunId) -> RunOutcome:
    """One run: its state (running until it has an end date), message, error code and dates."""
    run = await app_state(ctx).client.run_status(run_id)
    outcome = RunOutcome(
        run_id=run.id,
        integration_id=run.integration_id,
        state=run_state(run),
        message=run.message,
        execution_error_code=run.execution_error_code,
        start_date=run.start_date,
        end_date=run.end_date,
    )
    if outcome.state in ("failed", "partly_succeeded"):
        outcome.next_step = f"call get_run_errors or diagnose_integration with run_id='{run.id}'"
    elif outcome.state == "running":
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
