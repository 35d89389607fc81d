"""Building the diagnosis of one integration run from its gathered facts (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from anaplan_mcp.diagnosis.explain import (
    UNKNOWN,
    code_meaning,
    connection_states,
    explain_cause,
    group_evidence,
    row_counts,
    run_texts,
    what_changed,
)
from anaplan_mcp.diagnosis.facts import IMPORT_DUMP, Facts
from anaplan_mcp.diagnosis.report import Diagnosis, Evidence, NextCall, TenantText
from anaplan_mcp.diagnosis.schedules import MISS_EXPLANATIONS, MISS_FIXES, missed_run
from anaplan_mcp.models import is_finished
from anaplan_mcp.models.outcomes import run_outcome, trigger_words, words


def when(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%d %H:%M UTC")


def _tenant_text(facts: Facts) -> TenantText:
    names = {facts.detail.integration_id: facts.detail.name}
    used = {s.connection_id for s in connection_states(facts.detail, facts.connections)}
    names.update(
        {c.connection_id: c.body.name for c in facts.connections if c.connection_id in used}
    )
    if facts.errors is not None:
        names.update({a.action_id: a.action_name for a in facts.errors.actions})
    source = None
    if facts.kind == "import" and facts.detail.jobs and facts.detail.jobs[0].sources:
        end = facts.detail.jobs[0].sources[0]
        source = getattr(end, "file", None) or getattr(end, "table", None)
    messages = run_texts(facts.run, facts.errors) if facts.run is not None else []
    if facts.run is not None and run_outcome(facts.run) == "partial_success" and facts.dumps:
        messages = []  # row counts and row groups already say all these messages say
    return TenantText(names=names, source=source, messages=messages)


def _happened(facts: Facts) -> str:
    run = facts.run
    assert run is not None
    kind = (facts.kind or "integration").lower()
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
        text = f"{head} and is {outcome}."
    later = facts.later_runs
    if later:
        text += f" {len(later)} later run(s); the newest {words(run_outcome(later[0]))}."
    return text


# The update_connection arguments that carry each connection type's credentials.
_CREDENTIALS = {
    "AmazonS3": ("access_key_id", "secret_access_key"),
    "AzureBlob": ("sas_token",),
    "GoogleBigQuery": ("service_account_key",),
}


def _next_calls(facts: Facts, diagnosis_fix: list[str]) -> list[NextCall]:
    run = facts.run
    integration_id = facts.detail.integration_id
    calls: list[NextCall] = []
    if run is not None:
        for source in facts.dumps:
            arguments: dict[str, Any] = {"run_id": run.id}
            if source != IMPORT_DUMP:
                arguments["action_id"] = source
            calls.append(
                NextCall(tool="get_failure_dump", arguments=arguments, why="all rejected rows")
            )
    broken = [s for s in connection_states(facts.detail, facts.connections) if not s.valid]
    types = {c.connection_id: c.connection_type for c in facts.connections}
    for state in broken[:1]:
        if not state.deleted:
            secrets = _CREDENTIALS.get(str(types.get(state.connection_id)), ("<credentials>",))
            calls.append(
                NextCall(
                    tool="update_connection",
                    arguments={
                        "connection_id": state.connection_id,
                        **{field: "<renewed>" for field in secrets},
                    },
                    why="store working credentials",
                )
            )
    if facts.kind == "import" and facts.dumps:
        calls.append(
            NextCall(
                tool="update_integration",
                arguments={"integration_id": integration_id, "path": "<corrected file path>"},
                why="point the job at a corrected file (current path: untrusted_data.source)",
            )
        )
    if run is not None and not is_finished(run):
        # A second run is refused while this one goes on (409), so offer to watch or stop it.
        calls.append(
            NextCall(tool="get_run_status", arguments={"run_id": run.id}, why="watch it finish")
        )
        calls.append(
            NextCall(tool="cancel_run", arguments={"integration_id": integration_id}, why="stop it")
        )
        return calls
    calls.append(
        NextCall(
            tool="run_integration",
            arguments={"integration_id": integration_id, "wait": True},
            why="re-run once fixed",
        )
    )
    return calls


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
        call = {
            "disabled": NextCall(
                tool="set_schedule_status",
                arguments={"integration_id": detail.integration_id, "status": "enabled"},
                why="turn the schedule back on",
            ),
            "ended": NextCall(
                tool="schedule_integration",
                arguments={"integration_id": detail.integration_id, "schedule": "<new schedule>"},
                why="a schedule without the past end date",
            ),
        }.get(reason)
        return Diagnosis(
            outcome="did_not_run",
            integration_id=detail.integration_id,
            kind=facts.kind,
            what_happened=(
                f"The schedule said to run at {when(expected)}; no run started then ({last})."
            ),
            cause=MISS_EXPLANATIONS[reason],
            evidence=evidence,
            what_changed=what_changed(detail, facts.last_good, [], [], None),
            fix=fix,
            next_calls=[
                *([call] if call else []),
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
    meaning, _ = code_meaning(run.execution_error_code)
    fix = cause.fixes
    row_hints = [e.hint for e in cause.entries if e.kind == "row_error"]
    if row_hints and not any(not s.valid for s in states):
        # The row entries' hints are enough here; their long fixes repeat each other.
        fix = [f"Correct the rejected rows in the source: {'; '.join(dict.fromkeys(row_hints))}."]
        if facts.kind == "import":
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
            facts.detail, facts.last_good, states, facts.connections, facts.kind
        ),
        fix=fix,
        next_calls=_next_calls(facts, fix),
        untrusted_data=_tenant_text(facts),
    )
