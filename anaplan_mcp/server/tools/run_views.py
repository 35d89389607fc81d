"""What the run tools return: runs in the one vocabulary of `anaplan_mcp.models.outcomes`."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from anaplan_mcp.diagnosis.report import Compact
from anaplan_mcp.models import LatestRun, RunErrors, RunRecord, RunStatus
from anaplan_mcp.models.outcomes import RunOutcome, run_outcome, trigger_words

OUTCOMES = "running, succeeded, partial_success, failed or cancelled"


class RunSummary(Compact):
    """One run, compact."""

    run_id: str | None = Field(None, description="Run id.")
    outcome: RunOutcome = Field(description=OUTCOMES + ".")
    started_at: datetime | None = Field(None, description="Start.")
    ended_at: datetime | None = Field(None, description="End; null while running.")
    message: str | None = Field(None, description="CloudWorks' message (row counts, reason).")
    execution_error_code: int | None = Field(None, description="Error code; 38 = partial success.")
    trigger: str | None = Field(None, description="manual, scheduled, manual (in a flow), ...")


def summarize(run: LatestRun | RunRecord | RunStatus) -> RunSummary:
    return RunSummary(
        run_id=run.id,
        outcome=run_outcome(run),
        started_at=run.start_date,
        ended_at=run.end_date,
        message=run.message,
        execution_error_code=run.execution_error_code,
        trigger=trigger_words(run.trigger_source),
    )


class ActionErrors(Compact):
    """The errors of one Anaplan action of a run."""

    action_id: str = Field(description="Anaplan action id.")
    action_name: str = Field(description="Anaplan action name.")
    messages: list[str] = Field(description="Error lines (Anaplan's text).")
    failure_dump: bool = Field(False, description="True when get_failure_dump can fetch its rows.")


class RunReport(Compact):
    """Where a run stands, and what to call next."""

    run_id: str = Field(description="Run id.")
    integration_id: str = Field(description="Integration id.")
    outcome: RunOutcome = Field(description=OUTCOMES + ".")
    message: str | None = Field(None, description="CloudWorks' message (row counts, reason).")
    execution_error_code: int | None = Field(None, description="Error code; 38 = partial success.")
    started_at: datetime | None = Field(None, description="Start.")
    ended_at: datetime | None = Field(None, description="End; null while running.")
    errors: list[ActionErrors] = Field(
        default_factory=list, description="Failed actions, first lines."
    )
    next_step: str | None = Field(None, description="The tool to call next, if any.")


def run_report(run: RunStatus) -> RunReport:
    return RunReport(
        run_id=run.id,
        integration_id=run.integration_id,
        outcome=run_outcome(run),
        message=run.message,
        execution_error_code=run.execution_error_code,
        started_at=run.start_date,
        ended_at=run.end_date,
    )


class RunErrorReport(Compact):
    """Structured errors of one run."""

    run_id: str = Field(description="Run id.")
    actions: list[ActionErrors] = Field(description="Failed actions.")
    next_step: str = Field(description="The tool to call next.")


def action_errors(errors: RunErrors, lines: int | None = None) -> list[ActionErrors]:
    return [
        ActionErrors(
            action_id=action.action_id,
            action_name=action.action_name,
            messages=[detail.local_message_text for detail in action.details][:lines],
            failure_dump=action.failure_dump_generated,
        )
        for action in errors.actions
    ]


def dump_hint(run_id: str, actions: list[ActionErrors]) -> str | None:
    dumps = [action.action_id for action in actions if action.failure_dump]
    if not dumps:
        return None
    ids = ", ".join(f"'{action_id}'" for action_id in dumps)
    return f"get_failure_dump with run_id='{run_id}' (and action_id {ids} for a process run)"
