"""Diagnosing a flow run: which step stopped it, why, and why later steps did or did not run.

A flow has no run-status endpoint (contract §4.2): its `latestRun` gives the flow run's window
and each step's `latestRun` is matched to it by time. The step that stopped the flow is then
diagnosed like any integration run.
"""

from __future__ import annotations

from datetime import datetime

import anyio

from anaplan_mcp.cloudworks.client import CloudWorksClient
from anaplan_mcp.cloudworks.run_ids import with_step_run_ids
from anaplan_mcp.diagnosis.build import build_diagnosis, when
from anaplan_mcp.diagnosis.facts import gather_facts
from anaplan_mcp.diagnosis.report import (
    Diagnosis,
    Evidence,
    NextCall,
    Outcome,
    StepState,
    TenantText,
)
from anaplan_mcp.models import FlowDetail
from anaplan_mcp.models.outcomes import (
    StepResult,
    failing_step,
    run_outcome,
    step_results,
    stops_flow,
    words,
)


def step_states(results: list[StepResult]) -> list[StepState]:
    """Each step's part in the flow run, with why a step did or did not run."""
    states = []
    for result in results:
        why = result.reason
        if result.outcome in ("failed", "partial_success") and not stops_flow(
            result.step, result.outcome
        ):
            why = f"{words(result.outcome)}; the flow continued (its exception behaviour)"
        states.append(
            StepState(integration_id=result.step.referrer, outcome=result.outcome, why=why)
        )
    return states


async def diagnose_flow(
    client: CloudWorksClient, flow_id: str, limiter: anyio.CapacityLimiter, *, now: datetime
) -> Diagnosis:
    flow = await with_step_run_ids(client, await client.get_flow(flow_id))
    names = {flow.id: flow.name, **{s.referrer: s.name for s in flow.steps}}
    run = flow.latest_run
    if run is None:
        return _plain(flow, "never_ran", "The flow has never run.", [], names)
    results = step_results(flow, now)
    states = step_states(results)
    failing = failing_step(results)
    header = f"The flow's run {run.id} started {when(run.start_date)}"
    if failing is None or failing.run is None:
        outcome = run_outcome(run)
        text = f"{header} and {words(outcome)}; no step failed."
        return _plain(flow, outcome, text, states, names)
    position, step = failing.position, failing.step
    assert step.latest_run is not None
    facts = await gather_facts(client, step.referrer, limiter, started=step.latest_run.start_date)
    inner = build_diagnosis(facts, now=now)
    verb = {"failed": "failed", "cancelled": "was cancelled"}.get(
        failing.outcome, "partly succeeded"
    )
    if stops_flow(step, failing.outcome):
        skipped_after = sum(1 for s in states[position:] if s.outcome == "not_reached")
        went = f"stopped at step {position} of {len(states)}"
        after = f"{skipped_after} later step(s) did not run"
    else:
        went, after = f"went wrong at step {position} of {len(states)}", "the flow went on"
    happened = (
        f"{header} and {went} (integration {step.referrer}), which {verb}; {after}. "
        f"{inner.what_happened}"
    )
    resume = [s.integration_id for s in states[position - 1 :] if s.outcome != "skipped"]
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
            "outcome": run_outcome(run) if run_outcome(run) != "succeeded" else inner.outcome,
            "flow_id": flow.id,
            "kind": "flow",
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
        kind="flow",
        what_happened=text,
        cause="Nothing failed." if outcome != "running" else "The flow run has no outcome yet.",
        evidence=Evidence(run_id=flow.latest_run.id if flow.latest_run else None),
        steps=states,
        what_changed=[],
        fix=[],
        next_calls=[NextCall(tool="get_flow", arguments={"flow_id": flow.id}, why="the steps")],
        untrusted_data=TenantText(names=names),
    )
