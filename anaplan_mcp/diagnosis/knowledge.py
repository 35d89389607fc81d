"""The knowledge base of CloudWorks failure causes, its lookups and the assistant's guide.

Lookups return an entry or None. Anything not in the base is reported by the caller as unknown,
with the raw message, rather than guessed.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EntryKind = Literal[
    "http_error", "execution_code", "connection_code", "run_message", "row_error", "operational"
]
Confidence = Literal["documented", "observed", "inferred"]
# What a fix changes, in words the next-call builder turns into arguments of the connection's
# or job's own kind: credentials (asked of the user), location (bucket, container or dataset),
# role_arn, source (the job's file path or table).
Change = Literal["credentials", "location", "role_arn", "source"]

MCP_TOOLS = frozenset(
    {
        "update_connection",
        "update_integration",
        "run_integration",
        "get_failure_dump",
        "get_run_errors",
        "set_schedule_status",
        "schedule_integration",
        "list_model_objects",
        "list_integrations",
        "cancel_run",
        "update_flow",
        "run_flow",
    }
)


class KnowledgeEntry(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Stable identifier of the entry, e.g. 'http-409-already-running'.")
    kind: EntryKind = Field(description="What the entry matches: HTTP error, code, message or row.")
    title: str = Field(description="The documented message, or a short label for the cause.")
    statuses: tuple[int, ...] = Field(default=(), description="HTTP statuses (http_error only).")
    code: int | None = Field(default=None, description="executionErrorCode/integrationErrorCode.")
    pattern: str | None = Field(
        default=None, description="Case-insensitive regex searched in the message text."
    )
    error_types: tuple[str, ...] = Field(
        default=(), description="`type` values of a run's action error lines that mean this cause."
    )
    names_cause: bool = Field(
        default=True, description="False for a message that says only that something failed."
    )
    explanation: str = Field(description="What went wrong, in plain words.")
    fix: str = Field(description="Concrete steps, naming the MCP tool to use where one applies.")
    hint: str = Field(description="A few words of the fix, for the compact guide table.")
    tools: tuple[str, ...] = Field(default=(), description="MCP tools the fix uses.")
    call: str | None = Field(default=None, description="The tool a suggested next call uses.")
    changes: tuple[Change, ...] = Field(
        default=(), description="What that call changes; next_calls fill in the current values."
    )
    source: str = Field(description="Where the fact comes from: contract section or public URL.")
    confidence: Confidence = Field(description="documented, observed on live tenants, or inferred.")

    def matches_text(self, text: str) -> bool:
        return self.pattern is not None and _compiled(self.pattern).search(text.strip()) is not None


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def all_entries() -> tuple[KnowledgeEntry, ...]:
    from anaplan_mcp.diagnosis.catalogue import ENTRIES

    return ENTRIES


def get_entry(entry_id: str) -> KnowledgeEntry | None:
    return next((entry for entry in all_entries() if entry.id == entry_id), None)


def _first_text_match(kind: EntryKind, text: str) -> KnowledgeEntry | None:
    return next((e for e in all_entries() if e.kind == kind and e.matches_text(text)), None)


def explain_status(status: int, message: str) -> KnowledgeEntry | None:
    """The entry for an HTTP error status and the API's status.message, if known."""
    return next(
        (
            entry
            for entry in all_entries()
            if entry.kind == "http_error"
            and status in entry.statuses
            and entry.matches_text(message)
        ),
        None,
    )


def explain_execution_code(code: int) -> KnowledgeEntry | None:
    """The entry for a run's executionErrorCode, if known."""
    return next((e for e in all_entries() if e.kind == "execution_code" and e.code == code), None)


def explain_connection_code(code: int) -> KnowledgeEntry | None:
    """The entry for a connection's integrationErrorCode, if known."""
    return next((e for e in all_entries() if e.kind == "connection_code" and e.code == code), None)


def explain_run_message(text: str) -> KnowledgeEntry | None:
    """The entry for a run's message text (latestRun.message or a runerror message), if known."""
    return _first_text_match("run_message", text)


def explain_action_line(error_type: str | None, text: str) -> KnowledgeEntry | None:
    """The entry for one error line of a failed action (runerror): by its `type`, else its text."""
    if error_type:
        by_type = next(
            (e for e in all_entries() if e.kind == "run_message" and error_type in e.error_types),
            None,
        )
        if by_type is not None:
            return by_type
    return explain_run_message(text)


def explain_row_error(text: str) -> KnowledgeEntry | None:
    """The entry for a row-level import error from a failure dump, if known."""
    return _first_text_match("row_error", text)


_WORKFLOW = """\
# CloudWorks troubleshooting guide

## Ids and where they come from
- integrationId, connectionId, flow id, run id: 32-char lowercase hex. modelId: 32-char
  uppercase hex. Integrations carry workspaceId, modelId and their connection in jobs.
- A run id comes from run_integration/run_flow, an integration's latestRun, or its run history.
- actionId (numeric): imports start 112, exports 116, processes 118, files 113; list them with
  list_model_objects. For a process run, the failing import's actionId is in get_run_errors.

## Runs
- A run is done when endDate is set (message is no longer "Running"). Never judge by success alone.
- Success: success true, executionErrorCode null. Failure: success false, a code such as 12.
- Partial success: success TRUE with executionErrorCode 38 and row counts in message; some rows
  were rejected. get_run_errors shows failureDumpGenerated per action.
- When failureDumpGenerated is true, get_failure_dump returns the rejected rows (CSV: source
  columns, _Line_, _Error_1_...). Process runs need the import's actionId. A 404 "Your
  integration run was successful / no errors" means there is no dump.
- One run per integration at a time: a second run, a delete or an edit meanwhile gets 409.
- Scheduled runs are skipped in the weekly maintenance window (usually Sat 1-5 pm PDT).
- Unknown codes or messages: report them verbatim; do not guess a cause.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _table(title: str, header: str, rows: list[tuple[str, str, str]]) -> str:
    lines = [f"## {title}", f"| {header} | what to do |", "|---|---|---|"]
    lines += [f"| {_cell(a)} | {_cell(b)} | {_cell(c)} |" for a, b, c in rows]
    return "\n".join(lines)


def render_guide() -> str:
    """The compact markdown guide served as the cloudworks://guide resource."""
    entries = all_entries()

    def rows(kind: EntryKind, key: str) -> list[tuple[str, str, str]]:
        chosen = [e for e in entries if e.kind == kind]
        if key == "status":
            return [("/".join(map(str, e.statuses)), e.title, e.hint) for e in chosen]
        if key == "code":
            return [(str(e.code), e.title, e.hint) for e in chosen]
        return [(e.title, "", e.hint) for e in chosen]

    sections = [
        _WORKFLOW,
        _table("HTTP errors from the API", "HTTP | message", rows("http_error", "status")),
        _table("executionErrorCode (run)", "code | meaning", rows("execution_code", "code")),
        _table(
            "integrationErrorCode (connection status 0)", "code", rows("connection_code", "code")
        ),
        _two_column("Run messages", rows("run_message", "title")),
        _two_column("Row errors in failure dumps", rows("row_error", "title")),
        _two_column("Operational causes", rows("operational", "title")),
    ]
    return "\n\n".join(section.rstrip() for section in sections) + "\n"


def _two_column(title: str, rows: list[tuple[str, str, str]]) -> str:
    lines = [f"## {title}", "| message or cause | what to do |", "|---|---|"]
    lines += [f"| {_cell(label)} | {_cell(hint)} |" for label, _, hint in rows]
    return "\n".join(lines)
