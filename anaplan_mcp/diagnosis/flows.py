"""Diagnosing a flow run: which step stopped it, why, and why later steps did or did not run.

A flow has no run-status endpoint (contract §4.2): its `latestRun` gives the flow run's window
and each step's `latestRun` is matched to it by time. The step that stopped the flow is then
diagnosed like any integration run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import anyio

from anaplan_mcp.cloudworks.client import CloudWorksClient
from anaplan_mcp.diagnosis.build import build_diagnosis, when
from anaplan_mcp.diagnosis.explain import outcome_of
from anaplan_mcp.diagnosis.facts import gather_facts
from anaplan_mcp.diagnosis.report import (
    Diagnosis,
    Evidence,
    NextCall,
    Outcome,
    StepState,
    TenantText,
)
from anaplan_mcp.models import FlowDetail, FlowStep, LatestRun

_SLACK = timedelta(seconds=1)
_STATES = {
    "succeeded": "succeeded",
    "partial_success": "partial_success",
    "failed": "failed",
    "cancelled": "cancelled",
}


def _strategy(step: FlowStep, kind: str) -> str:
    found = next((b.strategy for b in step.exception_behavior if b.type == kind), None)
    return found or ("stop" if kind == "failure" else "continue")


def _in_run(step: FlowStep, run: LatestRun, now: datetime) -> LatestRun | None:
    latest = step.latest_run
    end = run.end_date or now
    if latest is None or not run.start_date - _SLACK <= latest.start_date <= end + _SLACK:
        return None
    return latest


def step_states(flow: FlowDetail, run: LatestRun, now: datetime) -> list[StepState]:
    """Each step's part in the flow run, with the reason a step did not run."""
    states: list[StepState] = []
    stopper: tuple[int, str, str] | None = None  # position, referrer, behaviour that stopped it
    for position, step in enumerate(flow.steps, start=1):
        if step.is_skipped:
            states.append(
                StepState(integration_id=step.referrer, state="skipped", why="disabled in the flow")
            )
            continue
        latest = _in_run(step, run, now)
        if latest is None:
            if stopper is not None:
                at, referrer, behaviour = stopper
                reason = f"not run: step {at} ({referrer}) {behaviour} and its exception behaviour is stop"
            elif run.end_date is None:
                reason = "waiting: the flow run is still going"
            else:
                reason = "did not run in this flow run"
            states.append(StepState(integration_id=step.referrer, state="not_run", why=reason))
            continue
        outcome = outcome_of(latest)
        state = _STATES.get(outcome)
        if state is None:
            states.append(StepState(integration_id=step.referrer, state="not_run", why="running"))
            continue
        why: str | None = None
        if outcome in ("failed", "cancelled"):
            if _strategy(step, "failure") == "stop" or outcome == "cancelled":
                stopper = stopper or (position, step.referrer, outcome)
            else:
                why = "failed; the flow continued (failure behaviour: continue)"
        elif outcome == "partial_success":
            if _strategy(step, "partial_success") == "stop":
                stopper = stopper or (position, step.referrer, "partly succeeded")
            else:
                why = "partly succeeded; the flow continued (partial_success behaviour: continue)"
        states.append(StepState(integration_id=step.referrer, state=state, why=why))
    return states


async def diagnose_flow(
    client: CloudWorksClient, flow_id: str, limiter: anyio.CapacityLimiter, *, now: datetime
) -> Diagnosis:
    flow = await client.get_flow(flow_id)
    names = {flow.id: flow.name, **{s.referrer: s.name for s in flow.steps}}
    run = flow.latest_run
    if run is None:
        return _plain(flow, "never_ran", "The flow has never run.", [], names)
    states = step_states(flow, run, now)
    failing = next((s for s in states if s.state in ("failed", "cancelled")), None)
    failing = failing or next((s for s in states if s.state == "partial_success"), None)
    header = f"The flow's run {run.id} started {when(run.start_date)}"
    if failing is None:
        outcome = outcome_of(run)
        text = f"{header} and {outcome.replace('_', ' ')}; no step failed."
        return _plain(flow, outcome, text, states, names)
    position = states.index(failing) + 1
    step = flow.steps[position - 1]
    assert step.latest_run is not None
    facts = await gather_facts(client, step.referrer, limiter, started=step.latest_run.start_date)
    inner = build_diagnosis(facts, now=now)
    skipped_after = sum(1 for s in states[position:] if s.state == "not_run")
    verb = {"failed": "failed", "cancelled": "was cancelled"}.get(failing.state, "partly succeeded")
    happened = (
        f"{header} and stopped at step {position} of {len(states)} (integration "
        f"{step.referrer}), which {verb}; {skipped_after} later step(s) did not run. "
        f"{inner.what_happened}"
    )
    resume = [s.integration_id for s in states[position - 1 :] if s.state != "skipped"]
    calls = [c for c in inner.next_calls if c.tool != "run_integration"]
    calls.append(
        NextCall(
            tool="run_flow",
            arguments={"flow_id": flow.id, "steps": resume, "wait": True},
            why="resume from the failed step once fixed",
        )
    )
    inner_names = inner.untrusted_data.names
    return inner.model_copy(
        update={
            "outcome": outcome_of(run) if outcome_of(run) != "succeeded" else inner.outcome,
            "flow_id": flow.id,
            "kind": "Flow",
            "what_happened": happened,
            "steps": states,
            "fix": [*inner.fix, f"Then resume the flow from step {position} with run_flow."],
            "next_calls": calls,
            "untrusted_data": inner.untrusted_data.model_copy(
                update={"names": {**names, **inner_names}}
            ),
        }
    )


def _plain(
    flow: FlowDetail,
    outcome: Outcome,
    text: str,
    states: list[StepState],
    names: dict[str, str],
) -> Diagnosis:
    return Diagnosis(
        outcome=outcome,
        flow_id=flow.id,
        kind="Flow",
        what_happened=text,
        cause="Nothing failed." if outcome != "running" else "The flow run has no outcome yet.",
        evidence=Evidence(run_id=flow.latest_run.id if flow.latest_run else None),
        steps=states,
        what_changed=[],
        fix=[],
        next_calls=[NextCall(tool="get_flow", arguments={"flow_id": flow.id}, why="the steps")],
        untrusted_data=TenantText(names=names),
    )
