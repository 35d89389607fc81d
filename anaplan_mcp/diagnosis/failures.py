"""What failed, partly failed or did not run, as the listings show it, and the item that says so.

The integration and flow listings carry each one's latest run (outcome, code, message) and
schedule, so every failure in the window is found, and keyed by its cause, without reading
anything per integration; only an integration running now needs its history, for the run before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from anaplan_mcp.diagnosis.explain import connection_states, explain_cause, row_counts
from anaplan_mcp.diagnosis.knowledge import (
    KnowledgeEntry,
    explain_execution_code,
    explain_run_message,
)
from anaplan_mcp.diagnosis.report import FailedItem, Outcome, TenantText
from anaplan_mcp.diagnosis.schedules import MissReason, missed_run
from anaplan_mcp.models import (
    Connection,
    Flow,
    FlowDetail,
    Integration,
    IntegrationDetail,
    LatestRun,
    RunHistory,
    RunRecord,
)
from anaplan_mcp.models.outcomes import failing_step, kind_of, run_outcome, step_results, words

ListedRun = LatestRun | RunRecord
MISS_SHORT: dict[MissReason, str] = {
    "disabled": "did not run: its schedule is disabled",
    "ended": "did not run: its schedule is past its end date",
    "still_running": "did not run: the previous run was still going",
    "maintenance": "did not run: the time fell in the weekly maintenance window",
    "unknown": "did not run when scheduled; no reason visible in the API",
}


@dataclass
class Failure:
    """One integration or flow in trouble, with the facts the listings (or its history) gave."""

    kind: str
    ident: str
    name: str
    outcome: Outcome
    at: datetime
    key: str
    run: ListedRun | None = None
    miss: MissReason | None = None
    runs_in_window: int | None = None  # known once its history was read

    @property
    def is_flow(self) -> bool:
        return self.kind == "flow"


def troubled(outcome: str, include_partial: bool) -> bool:
    """A failure to list: failed, or partly succeeded when asked; a cancelled run was someone's
    choice, so it is not listed (the diagnosis still explains one)."""
    return outcome == "failed" or (include_partial and outcome == "partial_success")


def knowledge(run: ListedRun) -> KnowledgeEntry | None:
    """The knowledge-base entry of a run: its message's, else its code's."""
    entry = explain_run_message(run.message)
    if entry is not None or run.execution_error_code is None:
        return entry
    return explain_execution_code(run.execution_error_code)


def cause_key(outcome: str, run: ListedRun | None, miss: MissReason | None = None) -> str:
    """The cause a failure shares with others, from facts only: why its schedule did not fire,
    or its run's error code and the knowledge-base entry its message matches. Never raw text:
    messages carry names, paths and counts that differ between failures with one cause."""
    if run is None:
        return f"schedule-{(miss or 'unknown').replace('_', '-')}"
    code = run.execution_error_code
    label = "no-code" if code is None else f"code-{code}"
    if outcome == "partial_success":
        return label  # every partial success is code 38 with its own row counts
    entry = explain_run_message(run.message)
    return f"{label}-{entry.id}" if entry is not None else label


def cause_line(
    run: ListedRun, detail: IntegrationDetail | None, connections: list[Connection]
) -> str:
    """One line of cause for one run, by the diagnosis's own cause order (connection state when
    the definition was read); a partial success says its row counts."""
    outcome = run_outcome(run)
    if outcome == "partial_success":
        counts = row_counts([run.message])
        rows = (
            f"{counts['failed']} of {counts['total']} rows rejected" if counts else "rows rejected"
        )
        return f"partly failed: {rows} (code 38)"
    states = connection_states(detail, connections) if detail is not None else []
    return f"{words(outcome)}: {explain_cause(outcome, run, None, states, []).line}"


def wanted(run: RunRecord, since: datetime, include_partial: bool) -> bool:
    return run.start_date >= since and troubled(run_outcome(run), include_partial)


def listed_failures(
    integrations: list[Integration],
    flows: list[Flow],
    *,
    since: datetime,
    now: datetime,
    include_partial: bool,
) -> tuple[list[Failure], list[Integration]]:
    """The failures the listings show, and the integrations running now (whose history decides)."""
    failures: list[Failure] = []
    running: list[Integration] = []
    for integration in integrations:
        kind = kind_of(integration.integration_type) or "import"
        ident, name = integration.integration_id, integration.name
        latest = integration.latest_run
        if latest is not None and latest.start_date >= since:
            outcome = run_outcome(latest)
            if outcome == "running":
                running.append(integration)  # it hides the run before it
                continue
            if troubled(outcome, include_partial):
                key = cause_key(outcome, latest)
                failures.append(Failure(kind, ident, name, outcome, latest.start_date, key, latest))
                continue
        missed = missed_run(integration.schedule, latest, now, since)
        # A miss with no visible reason is left out: schedule times and run times can differ
        # for reasons the API does not show, and a false alarm costs more than it tells.
        if missed is not None and missed[1] != "unknown":
            at, reason = missed
            key = cause_key("did_not_run", None, reason)
            failures.append(Failure(kind, ident, name, "did_not_run", at, key, miss=reason))
    for flow in flows:
        run = flow.latest_run
        if run is None or run.start_date < since:
            continue
        outcome = run_outcome(run)
        if troubled(outcome, include_partial):
            key = cause_key(outcome, run)
            failures.append(Failure("flow", flow.id, flow.name, outcome, run.start_date, key, run))
    return failures, running


def from_history(
    integration: Integration, history: RunHistory, since: datetime, include_partial: bool
) -> Failure | None:
    """A running integration's newest failed (or partly failed) run in the window, if any."""
    runs = [run for run in history.runs if wanted(run, since, include_partial)]
    if not runs:
        return None
    newest = runs[0]
    outcome = run_outcome(newest)
    return Failure(
        kind_of(integration.integration_type) or "import",
        integration.integration_id,
        integration.name,
        outcome,
        newest.start_date,
        cause_key(outcome, newest),
        newest,
        runs_in_window=len(runs),
    )


def failed_item(
    failure: Failure,
    connections: list[Connection],
    *,
    history: RunHistory | None = None,
    detail: IntegrationDetail | None = None,
    flow: FlowDetail | None = None,
    group_cause: str | None = None,
    since: datetime,
    include_partial: bool,
) -> FailedItem:
    """The item of a page, from the listing's facts and what was read for it; a failed member of
    a group whose definition was not read says its group's cause, marked as such."""
    names = TenantText(names={failure.ident: failure.name})
    if failure.miss is not None:
        return FailedItem(
            kind=failure.kind,
            integration_id=failure.ident,
            outcome="did_not_run",
            due_at=failure.at,
            cause=MISS_SHORT[failure.miss],
            untrusted_data=names,
        )
    run, runs_in_window = failure.run, failure.runs_in_window
    assert run is not None
    if failure.is_flow:
        if flow is not None:
            return flow_item(flow)
        return FailedItem(
            kind="flow",
            flow_id=failure.ident,
            outcome=failure.outcome,
            started_at=run.start_date,
            run_id=run.id,
            cause=cause_line(run, None, connections),
            untrusted_data=names,
        )
    if history is not None:
        runs = [r for r in history.runs if wanted(r, since, include_partial)]
        if runs:
            run, runs_in_window = runs[0], len(runs)
    failed = run_outcome(run) == "failed"
    cause = cause_line(run, detail, connections)
    if failed and detail is None and group_cause is not None:
        cause = f"as its group (its definition not read): {group_cause}"
    return FailedItem(
        kind=failure.kind,
        integration_id=failure.ident,
        outcome=run_outcome(run),
        started_at=run.start_date,
        run_id=run.id,
        runs_in_window=runs_in_window,
        cause=cause,
        untrusted_data=TenantText(names=names.names, messages=[run.message] if failed else []),
    )


def flow_item(flow: FlowDetail) -> FailedItem:
    run = flow.latest_run
    assert run is not None
    stopped = failing_step(step_results(flow, run.end_date or run.start_date))
    if stopped is None:
        cause = f"{words(run_outcome(run))}; no failed step found"
    else:
        cause = (
            f"step {stopped.position} of {len(flow.steps)} (integration {stopped.step.referrer}) "
            f"{words(stopped.outcome)}"
        )
    return FailedItem(
        kind="flow",
        flow_id=flow.id,
        outcome=run_outcome(run),
        started_at=run.start_date,
        run_id=run.id,
        cause=cause,
        untrusted_data=TenantText(names={flow.id: flow.name}),
    )
