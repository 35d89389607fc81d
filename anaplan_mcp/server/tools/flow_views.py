"""What the flow tools return: compact views of flows, their steps and their runs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from anaplan_mcp.models import FlowDetail, FlowStep
from anaplan_mcp.server.tools.runs import RunState, RunSummary, run_state, summarize

Strategy = Literal["stop", "continue"]


class FlowSummary(BaseModel):
    """A flow, compact; names are tenant data."""

    flow_id: str
    name: str
    steps_count: int
    latest_run_state: RunState | None = Field(description="Null if it never ran.")


class FlowStepView(BaseModel):
    """A step of a flow (its integration) with that integration's latest run."""

    integration_id: str
    name: str | None
    type: str | None = Field(description="Import, Export or Process.")
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


class StepOutcome(BaseModel):
    """What one step did in a flow run."""

    integration_id: str
    name: str | None
    outcome: RunState | Literal["skipped", "not_selected", "not_reached", "waiting"]
    reason: str | None = Field(None, description="Why it did not run.")
    run: RunSummary | None = Field(None, description="Its run in this flow run.")


class FlowRunOutcome(BaseModel):
    """Where a flow run stands, per step."""

    flow_id: str
    run_id: str = Field(description="Flow run id.")
    state: RunState | Literal["started"] = Field(description="started: not waited for.")
    message: str | None = None
    steps_to_run: list[str] = Field(description="Integration ids selected to run.")
    steps: list[StepOutcome] = Field(default_factory=list, description="When waited for.")
    next_step: str | None = None


def strategies(step: FlowStep) -> dict[str, Strategy]:
    found: dict[str, Strategy] = {"failure": "stop", "partial_success": "continue"}
    for behaviour in step.exception_behavior:
        if behaviour.type in found and behaviour.strategy in ("stop", "continue"):
            found[behaviour.type] = behaviour.strategy  # type: ignore[assignment]
    return found


def _step_view(step: FlowStep) -> FlowStepView:
    strategy = strategies(step)
    return FlowStepView(
        integration_id=step.referrer,
        name=step.name,
        type=step.type,
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


def step_outcomes(flow: FlowDetail, chosen: set[str]) -> list[StepOutcome]:
    latest = flow.latest_run
    finished = latest is not None and run_state(latest) != "running"
    outcomes: list[StepOutcome] = []
    stopped_at: str | None = None
    for step in flow.steps:
        base = {"integration_id": step.referrer, "name": step.name}
        run = step.latest_run
        if step.is_skipped:
            outcomes.append(StepOutcome(**base, outcome="skipped", reason="the step is disabled"))
        elif step.referrer not in chosen:
            outcomes.append(StepOutcome(**base, outcome="not_selected", reason="not in steps"))
        elif latest and run and run.start_date >= latest.start_date:
            state = run_state(run)
            if state in ("failed", "cancelled", "partly_succeeded") and stopped_at is None:
                kind = "partial_success" if state == "partly_succeeded" else "failure"
                if state == "cancelled" or strategies(step)[kind] == "stop":
                    stopped_at = f"the flow stopped after step {step.referrer} ({state})"
            outcomes.append(StepOutcome(**base, outcome=state, run=summarize(run)))
        elif finished:
            reason = stopped_at or (latest.message if latest else None)
            outcomes.append(StepOutcome(**base, outcome="not_reached", reason=reason))
        else:
            outcomes.append(StepOutcome(**base, outcome="waiting"))
    return outcomes
