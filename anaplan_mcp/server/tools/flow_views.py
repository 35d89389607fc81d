"""What the flow tools return: compact views of flows, their steps and their runs."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from anaplan_mcp.diagnosis.report import Compact, NextCall
from anaplan_mcp.models import Flow, FlowDetail, FlowStep
from anaplan_mcp.models.outcomes import (
    RunOutcome,
    StepOutcome,
    StepResult,
    failing_step,
    kind_of,
    run_outcome,
    step_results,
    strategy,
)
from anaplan_mcp.server.tools.run_views import (
    RunSummary,
    call,
    follow_calls,
    running_for,
    summarize,
)


class FlowSummary(BaseModel):
    """A flow, compact; names are tenant data."""

    flow_id: str
    name: str
    steps_count: int
    latest_run: RunSummary | None = Field(description="Null if it never ran.")


class FlowStepView(BaseModel):
    """A step of a flow (its integration) with that integration's latest run."""

    integration_id: str
    name: str | None
    kind: str | None = Field(description="import, export or process.")
    skipped: bool
    depends_on: list[str]
    on_failure: str
    on_partial_success: str
    latest_run: RunSummary | None


class FlowView(BaseModel):
    """A flow with its steps in order; names are tenant data."""

    flow_id: str
    name: str
    latest_run: RunSummary | None
    steps: list[FlowStepView]


class FlowChange(BaseModel):
    """A flow before and after an update."""

    flow_id: str
    before: FlowView
    after: FlowView


class StepRun(Compact):
    """What one step did in a flow run."""

    integration_id: str
    name: str | None
    outcome: StepOutcome
    reason: str | None = Field(None, description="Why it did not run.")
    run: RunSummary | None = Field(None, description="Its run in this flow run.")


class FlowRunOutcome(Compact):
    """Where a flow run stands, per step."""

    flow_id: str
    run_id: str = Field(description="Flow run id.")
    outcome: RunOutcome
    message: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = Field(None, description="Null while running.")
    running_for_seconds: int | None = Field(None, description="While running: seconds so far.")
    steps_to_run: list[str] | None = Field(
        None, description="Integration ids selected to run (null: not known)."
    )
    steps: list[StepRun] = Field(default_factory=list, description="Each step's part in the run.")
    next_calls: list[NextCall] = Field(default_factory=list, description="Calls to make next.")


def strategies(step: FlowStep) -> dict[str, str]:
    return {kind: strategy(step, kind) for kind in ("failure", "partial_success")}


def _step_view(step: FlowStep) -> FlowStepView:
    strategy = strategies(step)
    return FlowStepView(
        integration_id=step.referrer,
        name=step.name,
        kind=kind_of(step.type),
        skipped=step.is_skipped,
        depends_on=step.depends_on or [],
        on_failure=strategy["failure"],
        on_partial_success=strategy["partial_success"],
        latest_run=summarize(step.latest_run) if step.latest_run else None,
    )


def flow_summary(flow: Flow) -> FlowSummary:
    latest = summarize(flow.latest_run) if flow.latest_run else None
    return FlowSummary(
        flow_id=flow.id, name=flow.name, steps_count=flow.steps_count, latest_run=latest
    )


def view(flow: FlowDetail) -> FlowView:
    latest = summarize(flow.latest_run) if flow.latest_run else None
    steps = [_step_view(step) for step in flow.steps]
    return FlowView(flow_id=flow.id, name=flow.name, latest_run=latest, steps=steps)


def step_runs(flow: FlowDetail, chosen: set[str] | None, now: datetime) -> list[StepRun]:
    """Each step's part in the flow's latest run, for the steps `chosen` to run (None: not known,
    as for a flow run found by its id)."""
    return [_step_run(result) for result in step_results(flow, now, chosen)]


def _step_run(result: StepResult) -> StepRun:
    return StepRun(
        integration_id=result.step.referrer,
        name=result.step.name,
        outcome=result.outcome,
        reason=result.reason,
        run=summarize(result.run) if result.run else None,
    )


def flow_run_outcome(
    flow: FlowDetail, run_id: str, now: datetime, chosen: list[str] | None = None
) -> FlowRunOutcome:
    """Flow run `run_id`, the flow's latest, step by step, with the calls that follow it, stop it
    or explain it."""
    run = flow.latest_run
    if run is None:  # not visible yet: the run was started a moment ago
        return FlowRunOutcome(
            flow_id=flow.id,
            run_id=run_id,
            outcome="running",
            steps_to_run=chosen,
            next_calls=follow_calls(run_id, flow_id=flow.id),
        )
    outcome = run_outcome(run)
    results = step_results(flow, now, None if chosen is None else set(chosen))
    steps = [_step_run(step) for step in results]
    result = FlowRunOutcome(
        flow_id=flow.id,
        run_id=run_id,
        outcome=outcome,
        message=run.message,
        started_at=run.start_date,
        ended_at=run.end_date,
        steps_to_run=chosen,
        steps=steps,
    )
    if outcome == "running":
        result.running_for_seconds = running_for(run.start_date, now)
        result.next_calls = follow_calls(run_id, flow_id=flow.id)
        return result
    failing = failing_step(results)
    if failing is not None:
        result.next_calls = resume_calls(flow, steps, steps[failing.position - 1])
    return result


def resume_calls(flow: FlowDetail, steps: list[StepRun], troubled: StepRun) -> list[NextCall]:
    """Explain the step that went wrong (unless it was cancelled), then resume the flow from it."""
    at = steps.index(troubled)
    resume = [s.integration_id for s in steps[at:] if s.outcome not in ("skipped", "not_selected")]
    calls = [
        call(
            "run_flow",
            "resume the flow from this step (after the fix)",
            flow_id=flow.id,
            steps=resume,
            wait=True,
        )
    ]
    if troubled.outcome == "cancelled":
        return calls
    why = "why this step went wrong, and the fix"
    run_id = troubled.run.run_id if troubled.run else None
    explain = (
        call("diagnose_integration", why, run_id=run_id)
        if run_id
        else call("diagnose_integration", why, integration_id=troubled.integration_id)
    )
    return [explain, *calls]
