"""The one vocabulary of runs, and the rules that produce it.

Every tool, filter, result, diagnosis and notification parameter speaks these words, so that a value
one tool returns is one another tool accepts: a run's outcome, a flow step's part in a flow run, an
integration's kind and how a run was triggered. The rules live here, beside the words they return,
and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, TypeAlias, get_args

from anaplan_mcp.models.flows import FlowDetail, FlowStep
from anaplan_mcp.models.runs import (
    PARTIAL_SUCCESS_CODE,
    LatestRun,
    RunRecord,
    RunStatus,
    is_finished,
)

RunLike: TypeAlias = LatestRun | RunRecord | RunStatus
RunOutcome = Literal["running", "succeeded", "partial_success", "failed", "cancelled"]
# The outcome of an integration's latest run, where it may have none.
LatestOutcome = RunOutcome | Literal["never_ran"]
# A flow step's part in one flow run: its own run's outcome, or why it has none.
StepOutcome = RunOutcome | Literal["skipped", "not_selected", "not_reached", "waiting"]
Kind = Literal["import", "export", "process"]
KINDS: tuple[str, ...] = get_args(Kind)
TROUBLE: frozenset[str] = frozenset({"failed", "partial_success", "cancelled"})

_TRIGGERS = {
    "manual": "manual",
    "scheduled": "scheduled",
    "manual_inf": "manual (in a flow)",
    "scheduled_inf": "scheduled (in a flow)",
    "nux_dashboard": "manual (from a dashboard)",
}
# The notification classes CloudWorks names after a run's outcome (contract sheet §8).
NOTIFIED_OUTCOMES: dict[str, str] = {
    "succeeded": "success",
    "partial_success": "partial_failure",
    "failed": "full_failure",
}
# A step's run is stamped a moment before or after the flow run's own dates.
_SLACK = timedelta(seconds=1)


def run_outcome(run: RunLike) -> RunOutcome:
    """Contract §8: done when `endDate` is set; partial success is success with code 38."""
    if not is_finished(run):
        return "running"
    if run.message.strip().lower().startswith("cancel"):
        return "cancelled"
    if not run.success:
        return "failed"
    if run.execution_error_code == PARTIAL_SUCCESS_CODE:
        return "partial_success"
    return "succeeded"


def latest_outcome(run: RunLike | None) -> LatestOutcome:
    return "never_ran" if run is None else run_outcome(run)


def is_trouble(run: RunLike) -> bool:
    return run_outcome(run) in TROUBLE


def kind_of(integration_type: object) -> Kind | None:
    """The kind of an integration from the wire's Import / Export / Process."""
    kind = str(integration_type or "").lower()
    return kind if kind in KINDS else None  # type: ignore[return-value]


def trigger_words(source: str | None) -> str | None:
    """How a run was started, in words (the wire's `manual_inf` is a manual run of a flow)."""
    if source is None:
        return None
    return _TRIGGERS.get(source, source.replace("_", " "))


def words(outcome: str) -> str:
    """An identifier of this module for a sentence: `partial_success` -> `partial success`."""
    return outcome.replace("_", " ")


def strategy(step: FlowStep, kind: Literal["failure", "partial_success"]) -> str:
    """What the flow does after this step fails or partly succeeds (defaults of contract §4.3)."""
    found = next((b.strategy for b in step.exception_behavior if b.type == kind), None)
    return found or ("stop" if kind == "failure" else "continue")


def stops_flow(step: FlowStep, outcome: str) -> bool:
    """Whether this step's outcome ends the flow run (the two-step rule of contract §4.3)."""
    if outcome == "cancelled":
        return True
    if outcome == "failed":
        return strategy(step, "failure") == "stop"
    if outcome == "partial_success":
        return strategy(step, "partial_success") == "stop"
    return False


@dataclass(frozen=True)
class StepResult:
    """One step's part in a flow run."""

    step: FlowStep
    position: int
    outcome: StepOutcome
    run: LatestRun | None = None
    reason: str | None = None


def step_run(step: FlowStep, flow_run: LatestRun, now: datetime) -> LatestRun | None:
    """The step's latest run if it belongs to this flow run (flows have no run-status endpoint,
    contract §4.2: a step's run is matched by time to the flow run's window)."""
    run = step.latest_run
    end = flow_run.end_date or now
    if run is None or not flow_run.start_date - _SLACK <= run.start_date <= end + _SLACK:
        return None
    return run


def step_results(
    flow: FlowDetail, now: datetime, chosen: set[str] | None = None
) -> list[StepResult]:
    """Each step's part in the flow's latest run; `chosen` are the steps the run was asked for."""
    flow_run = flow.latest_run
    ended = flow_run is not None and is_finished(flow_run)
    results: list[StepResult] = []
    stopped: str | None = None
    for position, step in enumerate(flow.steps, start=1):
        run = step_run(step, flow_run, now) if flow_run else None
        if step.is_skipped:
            results.append(StepResult(step, position, "skipped", reason="disabled in the flow"))
        elif chosen is not None and step.referrer not in chosen:
            results.append(StepResult(step, position, "not_selected", reason="not in steps"))
        elif run is not None:
            outcome = run_outcome(run)
            if stopped is None and stops_flow(step, outcome):
                stopped = f"the flow stopped at step {position} ({words(outcome)})"
            results.append(StepResult(step, position, outcome, run))
        elif ended:
            reason = stopped or "did not run in this flow run"
            results.append(StepResult(step, position, "not_reached", reason=reason))
        else:
            results.append(StepResult(step, position, "waiting", reason="the flow run is going"))
    return results


def failing_step(results: list[StepResult]) -> StepResult | None:
    """The step the flow run went wrong at: the one that stopped it, else the first that failed,
    was cancelled or partly succeeded and the flow went on past."""
    ran = [result for result in results if result.run is not None]
    stopper = next((r for r in ran if stops_flow(r.step, r.outcome)), None)
    return stopper or next((r for r in ran if r.outcome in TROUBLE), None)
