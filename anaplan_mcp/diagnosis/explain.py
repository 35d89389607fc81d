"""From gathered facts to plain words: outcome, cause, evidence, what changed and the fix.

Pure functions over models. Causes come from the knowledge base only; what it does not know is
reported as unknown (the raw messages travel separately, as untrusted data).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from anaplan_mcp.diagnosis.dumps import DumpAnalysis
from anaplan_mcp.diagnosis.knowledge import (
    KnowledgeEntry,
    explain_action_line,
    explain_connection_code,
    explain_execution_code,
    explain_row_error,
    explain_run_message,
    get_entry,
)
from anaplan_mcp.diagnosis.report import (
    ConnectionState,
    GroupData,
    GroupEvidence,
    Outcome,
    Sample,
)
from anaplan_mcp.models import (
    Connection,
    IntegrationDetail,
    RunErrors,
)
from anaplan_mcp.models.outcomes import RunLike
from anaplan_mcp.models.runs import PARTIAL_SUCCESS_CODE

UNKNOWN = "unknown"
_COUNTS = re.compile(r"(\d+) \(\d+/(\d+)\) rows? successful.*?\b(\d+) failed", re.IGNORECASE)


def row_counts(texts: Iterable[str]) -> dict[str, int]:
    """Loaded/failed/total rows summed over the row-count messages of a run (numbers only)."""
    loaded = failed = total = 0
    for text in texts:
        for match in _COUNTS.finditer(text):
            loaded += int(match.group(1))
            total += int(match.group(2))
            failed += int(match.group(3))
    return {"loaded": loaded, "failed": failed, "total": total} if total else {}


def run_texts(run: RunLike, errors: RunErrors | None) -> list[str]:
    """The run's message and every error line, without repeats."""
    texts = [run.message]
    if errors is not None:
        texts += [d.local_message_text for a in errors.actions for d in a.details]
    return list(dict.fromkeys(t for t in texts if t))


def undocumented(entry: KnowledgeEntry | None) -> bool:
    return entry is not None and "undocumented" in entry.title.lower()


def code_meaning(code: int | None) -> tuple[str | None, KnowledgeEntry | None]:
    if code is None:
        return None, None
    entry = explain_execution_code(code)
    if entry is None:
        return f"{UNKNOWN} (not in the knowledge base)", None
    return entry.title, entry


def group_evidence(analysis: DumpAnalysis) -> list[GroupEvidence]:
    groups = []
    for group in analysis.groups:
        text = group.samples[0].error if group.samples else group.pattern
        entry = explain_row_error(text)
        groups.append(
            GroupEvidence(
                rows=group.rows,
                kb=entry.id if entry else None,
                meaning=entry.explanation if entry else UNKNOWN,
                untrusted_data=GroupData(
                    pattern=group.pattern,
                    samples=[
                        Sample(line=s.line, column=s.column, value=s.value) for s in group.samples
                    ],
                ),
            )
        )
    return groups


def job_connections(detail: IntegrationDetail) -> list[tuple[str, bool]]:
    """(connection id, deleted) for every cloud end of every job, without repeats."""
    seen: dict[str, bool] = {}
    for job in detail.jobs or []:
        for end in [*job.sources, *job.targets]:
            connection_id = getattr(end, "connection_id", None)
            if connection_id:
                deleted = bool(getattr(end, "is_connection_deleted", False))
                seen[connection_id] = seen.get(connection_id, False) or deleted
    return list(seen.items())


def connection_states(
    detail: IntegrationDetail, connections: Sequence[Connection]
) -> list[ConnectionState]:
    by_id = {c.connection_id: c for c in connections}
    states = []
    for connection_id, deleted in job_connections(detail):
        found = by_id.get(connection_id)
        if found is None or deleted:
            states.append(ConnectionState(connection_id=connection_id, valid=False, deleted=True))
            continue
        code = found.integration_error_code if found.status != 1 else None
        entry = explain_connection_code(code) if code is not None else None
        meaning = None
        if found.status != 1:
            meaning = f"{entry.title}: {entry.explanation}" if entry else UNKNOWN
        states.append(
            ConnectionState(
                connection_id=connection_id,
                valid=found.status == 1,
                error_code=code,
                meaning=meaning,
            )
        )
    return states


@dataclass
class Cause:
    """The cause in words plus the knowledge-base entries it rests on (and the failed action the
    cause was read from, when an action's own error line named it)."""

    text: str
    entries: list[KnowledgeEntry] = field(default_factory=list)
    known: bool = True
    action_id: str | None = None
    summary: str | None = None

    @property
    def line(self) -> str:
        """The cause in a few words, for a listing: its own summary, else its entry's title."""
        if self.summary:
            return self.summary
        return self.entries[0].title if self.entries and self.known else "cause unknown"

    @property
    def fixes(self) -> list[str]:
        return list(dict.fromkeys(entry.fix for entry in self.entries))


def failing_line(errors: RunErrors | None) -> tuple[str, KnowledgeEntry] | None:
    """(action id, entry) of the first error line of a failed action that names a known cause.

    Actions with a failure dump only rejected rows (their rows are explained by the dump), so
    an action that failed outright speaks first.
    """
    if errors is None:
        return None
    actions = sorted(errors.actions, key=lambda action: action.failure_dump_generated)
    for action in actions:
        for detail in action.details:
            entry = explain_action_line(detail.type, detail.local_message_text)
            if entry is not None and entry.names_cause:
                return action.action_id, entry
    return None


def _rows_summary(groups: Sequence[GroupEvidence]) -> str:
    parts = []
    for group in groups:
        entry = get_entry(group.kb) if group.kb else None
        label = entry.title if entry else "an error not in the knowledge base"
        parts.append(f"{group.rows} row{'s' if group.rows != 1 else ''}: {label}")
    return "; ".join(parts)


def explain_cause(
    outcome: Outcome,
    run: RunLike,
    errors: RunErrors | None,
    states: Sequence[ConnectionState],
    groups: Sequence[GroupEvidence],
) -> Cause:
    """The most decisive known cause: connection state, rows, run messages, then the code."""
    row_entries = [e for g in groups if g.kb and (e := get_entry(g.kb))]
    if outcome == "partial_success":
        base = explain_execution_code(PARTIAL_SUCCESS_CODE)
        if groups:
            text = f"Some rows were rejected, the rest loaded: {_rows_summary(groups)}."
        else:
            text = base.explanation if base else "Some rows were rejected."
        return Cause(text, [*([base] if base else []), *row_entries])
    if outcome == "cancelled":
        entry = get_entry("run-cancelled")
        return Cause(
            entry.explanation if entry else "The run was cancelled.", [entry] if entry else []
        )
    if outcome == "running":
        entry = get_entry("run-running")
        return Cause(entry.explanation if entry else "Still running.", [entry] if entry else [])
    line = failing_line(errors)
    action_id, line_entry = line if line is not None else (None, None)
    broken = next((s for s in states if not s.valid), None)
    if broken is not None:
        return _connection_cause(broken, line_entry, action_id)
    if line_entry is not None and not (groups and line_entry.id == "run-partial-rows"):
        return Cause(line_entry.explanation, [line_entry], action_id=action_id)
    if groups:
        text = f"Rows were rejected: {_rows_summary(groups)}."
        return Cause(text, row_entries, known=bool(row_entries))
    for text in run_texts(run, errors):
        entry = explain_run_message(text)
        if entry is not None and entry.names_cause:
            return Cause(entry.explanation, [entry])
    _, entry = code_meaning(run.execution_error_code)
    if entry is not None and not undocumented(entry):
        return Cause(entry.explanation, [entry])
    return Cause(
        f"{UNKNOWN}: CloudWorks gives no reason the knowledge base recognises; the raw messages "
        "are in untrusted_data.messages.",
        [entry] if entry else [],
        known=False,
        summary=f"cause unknown (code {run.execution_error_code}); message in untrusted_data",
    )


def _connection_cause(
    broken: ConnectionState, line: KnowledgeEntry | None, action_id: str | None
) -> Cause:
    """An invalid or deleted connection; an action's error line explains a code the base
    documents no meaning for (e.g. a missing Azure container behind code 46)."""
    if broken.deleted:
        entry = get_entry("http-404-connection-id")
        text = f"The job's connection {broken.connection_id} no longer exists."
        gone = f"connection {broken.connection_id} no longer exists"
        return Cause(text, [entry] if entry else [], summary=gone)
    entry = explain_connection_code(broken.error_code) if broken.error_code else None
    # "credentials are invalid" repeats the connection state; only a more specific line helps.
    if (entry is None or undocumented(entry)) and line and line.id != "run-invalid-connection":
        entry = line
    text = (
        f"Connection {broken.connection_id}, used by this integration's jobs, is invalid "
        f"(status 0, integrationErrorCode {broken.error_code}): "
        + (entry.explanation if entry else UNKNOWN)
    )
    title = entry.title if entry else f"integrationErrorCode {broken.error_code}"
    summary = f"connection {broken.connection_id} is invalid ({title})"
    # The generic entry only when nothing says more (its fix would repeat or contradict).
    entry = entry or get_entry("run-invalid-connection")
    return Cause(text, [entry] if entry else [], action_id=action_id, summary=summary)


def connection_cause(broken: ConnectionState) -> Cause:
    """The cause when a job's connection is invalid or gone, with no action line to refine it."""
    return _connection_cause(broken, None, None)
