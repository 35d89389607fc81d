"""Building the diagnosis of one integration run from its gathered facts (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from anaplan_mcp.diagnosis.calls import cloud_place, failed_run_calls, job_of, schedule_calls
from anaplan_mcp.diagnosis.explain import (
    UNKNOWN,
    Cause,
    code_meaning,
    connection_states,
    explain_cause,
    group_evidence,
    row_counts,
    run_texts,
    undocumented,
)
from anaplan_mcp.diagnosis.facts import Facts
from anaplan_mcp.diagnosis.knowledge import explain_run_message, get_entry
from anaplan_mcp.diagnosis.report import (
    ConnectionState,
    Diagnosis,
    Evidence,
    GroupEvidence,
    NextCall,
    TenantText,
)
from anaplan_mcp.diagnosis.schedules import MISS_EXPLANATIONS, MISS_FIXES, missed_run
from anaplan_mcp.models import Connection, IntegrationDetail, RunRecord
from anaplan_mcp.models.outcomes import run_outcome, trigger_words, words


def when(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%d %H:%M UTC")


def kind_word(facts: Facts) -> str:
    """The integration's kind as prose says it: import, export or process."""
    return facts.kind or "integration"


def source_of(facts: Facts, action_id: str | None) -> str | None:
    """The file or table the failing job (else the only job) reads, if it reads a cloud one."""
    index = job_of(facts.detail, action_id)
    job = (facts.detail.jobs or [])[index] if index is not None else None
    place = cloud_place(job.sources[0]) if job and job.sources else None
    return place[1] if place else None


def what_changed(
    detail: IntegrationDetail,
    last_good: RunRecord | None,
    states: Sequence[ConnectionState],
    connections: Sequence[Connection],
    file_content: bool,
) -> list[str]:
    """What the API shows changed since the last successful run, and what it cannot show (the
    file's content, said only when the cause may lie there)."""
    lines = []
    if last_good is None:
        lines.append("No successful run in the history read, so there is no good run to compare.")
    else:
        good = last_good.start_date
        changed = detail.modification_date
        order = "AFTER" if changed > good else "before"
        lines.append(
            f"Definition last modified {when(changed)}, {order} the last successful run "
            f"({when(good)})."
        )
    by_id = {c.connection_id: c for c in connections}
    for state in states:
        status = "valid" if state.valid else "deleted" if state.deleted else "INVALID"
        line = f"Connection {state.connection_id}: {status}"
        modified = (
            by_id[state.connection_id].modification_date if state.connection_id in by_id else None
        )
        if modified is not None and last_good is not None and modified > last_good.start_date:
            line += f", modified {when(modified)} after the last successful run"
        lines.append(line + ".")
    if file_content:
        lines.append(
            "Changes inside the source file cannot be seen through the API; compare it with "
            "the last good run's file."
        )
    return lines


def _about_file_content(cause: Cause, groups: Sequence[GroupEvidence]) -> bool:
    """Whether the cause may lie inside the source file's rows (its layout is said in the fix)."""
    return bool(groups) or not cause.known


def _tenant_text(facts: Facts, action_id: str | None) -> TenantText:
    names = {facts.detail.integration_id: facts.detail.name}
    used = {s.connection_id for s in connection_states(facts.detail, facts.connections)}
    names.update(
        {c.connection_id: c.body.name for c in facts.connections if c.connection_id in used}
    )
    if facts.errors is not None:
        names.update({a.action_id: a.action_name for a in facts.errors.actions})
    source = source_of(facts, action_id)
    messages = run_texts(facts.run, facts.errors) if facts.run is not None else []
    if facts.errors is not None and facts.errors.actions and messages:
        # A run message that names no cause ("Process failed") says less than the action lines.
        entry = explain_run_message(messages[0])
        messages = messages[1:] if entry is not None and not entry.names_cause else messages
    if facts.run is not None and run_outcome(facts.run) == "partial_success" and facts.dumps:
        messages = []  # row counts and row groups already say all these messages say
    return TenantText(names=names, source=source, messages=messages)


def _happened(facts: Facts) -> str:
    run = facts.run
    assert run is not None
    kind = kind_word(facts)
    outcome = run_outcome(run)
    counts = row_counts(run_texts(run, facts.errors))
    head = f"The {kind}'s {trigger_words(run.trigger_source)} run started {when(run.start_date)}"
    if outcome == "partial_success":
        rows = (
            f": {counts['loaded']} of {counts['total']} rows loaded, {counts['failed']} rejected"
            if counts
            else ""
        )
        text = f"{head} and partly succeeded{rows} (code {run.execution_error_code})."
    elif outcome == "failed":
        text = f"{head} and failed (code {run.execution_error_code})."
    elif outcome == "cancelled":
        text = f"{head} and was cancelled."
    else:
        text = f"{head} and is {words(outcome)}."
    later = facts.later_runs
    if later:
        text += f" {len(later)} later run(s); the newest {words(run_outcome(later[0]))}."
    return text


def _quiet(facts: Facts, now: datetime) -> Diagnosis:
    """No failed run to explain: a missed schedule, a run in progress, or all well."""
    detail = facts.detail
    latest = detail.latest_run
    missed = missed_run(detail.schedule, latest, now)
    evidence = Evidence()
    calls = [
        NextCall(
            tool="get_run_history",
            arguments={"integration_id": detail.integration_id},
            why="the runs themselves",
        )
    ]
    if missed is not None:
        expected, reason = missed
        last = f"the latest run started {when(latest.start_date)}" if latest else "it never ran"
        fix = [MISS_FIXES[reason]]
        return Diagnosis(
            outcome="did_not_run",
            integration_id=detail.integration_id,
            kind=facts.kind,
            what_happened=(
                f"The schedule said to run at {when(expected)}; no run started then ({last})."
            ),
            cause=MISS_EXPLANATIONS[reason],
            evidence=evidence,
            what_changed=what_changed(detail, facts.last_good, [], [], False),
            fix=fix,
            next_calls=[
                *schedule_calls(detail, reason, now),
                NextCall(
                    tool="run_integration",
                    arguments={"integration_id": detail.integration_id, "wait": True},
                    why="run it now",
                ),
            ],
            untrusted_data=TenantText(names={detail.integration_id: detail.name}),
        )
    if latest is None:
        outcome, happened = "never_ran", "The integration has never run."
    elif run_outcome(latest) == "running":
        outcome, happened = "running", f"A run started {when(latest.start_date)} is still running."
        calls.append(
            NextCall(
                tool="cancel_run",
                arguments={"integration_id": detail.integration_id},
                why="stop it if it hangs",
            )
        )
    else:
        outcome = "succeeded"
        happened = (
            f"No failed or partly failed run among the last {len(facts.history.runs)}; the "
            f"latest started {when(latest.start_date)} and {words(run_outcome(latest))}."
        )
    return Diagnosis(
        outcome=outcome,
        integration_id=detail.integration_id,
        kind=facts.kind,
        what_happened=happened,
        cause="Nothing failed." if outcome != "running" else "The run has no outcome yet.",
        evidence=evidence,
        what_changed=[],
        fix=[],
        next_calls=calls,
        untrusted_data=TenantText(names={detail.integration_id: detail.name}),
    )


def build_diagnosis(facts: Facts, *, now: datetime) -> Diagnosis:
    """The diagnosis of `facts.run` (or of why nothing failed)."""
    run = facts.run
    if run is None:
        return _quiet(facts, now)
    outcome = run_outcome(run)
    states = connection_states(facts.detail, facts.connections)
    groups = [g for analysis in facts.dumps.values() for g in group_evidence(analysis)]
    cause = explain_cause(outcome, run, facts.errors, states, groups)
    meaning, code_entry = code_meaning(run.execution_error_code)
    if cause.known and undocumented(code_entry):
        meaning = None  # the cause came from elsewhere; "meaning undocumented" adds nothing
    fix = cause.fixes
    if not facts.dumps:
        # Only a run with a failure dump has rejected rows to read (failureDumpGenerated).
        no_dump = get_entry("http-404-no-dump")
        fix = [no_dump.fix if no_dump and "get_failure_dump" in f else f for f in fix]
    row_hints = [e.hint for e in cause.entries if e.kind == "row_error"]
    if row_hints and not any(not s.valid for s in states):
        # The row entries' hints are enough here; their long fixes repeat each other.
        fix = [f"Correct the rejected rows in the source: {'; '.join(dict.fromkeys(row_hints))}."]
        if kind_word(facts) == "import":
            fix.append(
                "Or point the job at a corrected file with update_integration (path); then "
                "re-run with run_integration."
            )
        else:
            fix.append("Then re-run with run_integration.")
    if not cause.known:
        fix.append(
            f"Send run id {run.id} and trace id {getattr(run, 'trace_id', UNKNOWN)} to Anaplan "
            "support with the messages in untrusted_data."
        )
    happened = _happened(facts)
    missed = missed_run(facts.detail.schedule, facts.detail.latest_run, now)
    if missed is not None and missed[1] != "unknown":
        happened += (
            f" A scheduled run due {when(missed[0])} did not start: {MISS_EXPLANATIONS[missed[1]]}"
        )
    return Diagnosis(
        outcome=outcome,
        integration_id=facts.detail.integration_id,
        kind=facts.kind,
        what_happened=happened,
        cause=cause.text,
        evidence=Evidence(
            run_id=run.id,
            error_code=run.execution_error_code,
            code_meaning=meaning,
            rows=row_counts(run_texts(run, facts.errors)),
            groups=groups,
            connections=states if any(not s.valid for s in states) else [],
        ),
        what_changed=what_changed(
            facts.detail,
            facts.last_good,
            states,
            facts.connections,
            kind_word(facts) in ("import", "process") and _about_file_content(cause, groups),
        ),
        fix=fix,
        next_calls=failed_run_calls(facts, cause, states),
        untrusted_data=_tenant_text(facts, cause.action_id),
    )
