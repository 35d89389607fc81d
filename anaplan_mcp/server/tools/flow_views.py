"""What the flow tools return: compact views of flows, their steps and their runs."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from anaplan_mcp.models import FlowDetail, FlowStep
from anaplan_mcp.models.outcomes import RunOutcome, StepOutcome, kind_of, step_results, strategy
from anaplan_mcp.server.tools.run_views import RunSummary, summarize


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


class StepRun(BaseModel):
    """What one step did in a flow run."""

    integration_id: str
    name: str | None
    outcome: StepOutcome
    reason: str | None = Field(None, description="Why it did not run.")
    run: RunSummary | None = Field(None, description="Its run in this flow run.")


class FlowRunOutcome(BaseModel):
    """Where a flow run stands, per step."""

    flow_id: str
    run_id: str = Field(description="Flow run id.")
    outcome: RunOutcome
    message: str | None = None
    steps_to_run: list[str] = Field(description="Integration ids selected to run.")
    steps: list[StepRun] = Field(default_factory=list, description="When waited for.")
    next_step: str | None = None


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


def view(flow: FlowDetail) -> FlowView:
    latest = summarize(flow.latest_run) if flow.latest_run else None
    steps = [_step_view(step) for step in flow.steps]
    return FlowView(flow_id=flow.id, name=flow.name, latest_run=latest, steps=steps)


def step_runs(flow: FlowDetail, chosen: set[str], now: datetime) -> list[StepRun]:
    """Each step's part in the flow's latest run, for the steps `chosen` to run."""
    return [
        StepRun(
            integration_id=result.step.referrer,
            name=result.step.name,
            outcome=result.outcome,
            reason=result.reason,
            run=summarize(result.run) if result.run else None,
        )
        for result in step_results(flow, now, chosen)
    ]
