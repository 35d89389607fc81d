"""What the run tools return: runs in the one vocabulary of `anaplan_mcp.models.outcomes`, with the
calls that follow a run, stop it or explain it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, get_args

from pydantic import Field

from anaplan_mcp.diagnosis.report import Compact, NextCall
from anaplan_mcp.models import LatestRun, RunErrors, RunRecord, RunStatus
from anaplan_mcp.models.outcomes import RunOutcome, run_outcome, trigger_words

OUTCOMES = ", ".join(get_args(RunOutcome))


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


def call(tool: str, why: str, **arguments: Any) -> NextCall:
    """A suggested call; `arguments` must be valid arguments of `tool`."""
    return NextCall(tool=tool, arguments=arguments, why=why)


def running_for(started: datetime | None, now: datetime) -> int | None:
    """Whole seconds since `started` on the server's clock (never negative)."""
    return None if started is None else max(0, int((now - started).total_seconds()))


def follow_calls(run_id: str, **stop: str) -> list[NextCall]:
    """How to follow a running run (or flow run) to its end, and how to stop it."""
    return [
        call("get_run_status", "follow it: call again until ended_at is set", run_id=run_id),
        call("cancel_run", "stop it", **stop),
    ]


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
    running_for_seconds: int | None = Field(None, description="While running: seconds so far.")
    errors: list[ActionErrors] = Field(
        default_factory=list, description="Failed actions, first lines."
    )
    next_calls: list[NextCall] = Field(default_factory=list, description="Calls to make next.")


def run_report(run: RunStatus, now: datetime) -> RunReport:
    outcome = run_outcome(run)
    report = RunReport(
        run_id=run.id,
        integration_id=run.integration_id,
        outcome=outcome,
        message=run.message,
        execution_error_code=run.execution_error_code,
        started_at=run.start_date,
        ended_at=run.end_date,
    )
    if outcome == "running":
        report.running_for_seconds = running_for(run.start_date, now)
        report.next_calls = follow_calls(run.id, integration_id=run.integration_id)
    return report


class RunErrorReport(Compact):
    """Structured errors of one run."""

    run_id: str = Field(description="Run id.")
    actions: list[ActionErrors] = Field(description="Failed actions.")
    note: str | None = Field(None, description="What the errors (or their absence) mean.")
    next_calls: list[NextCall] = Field(default_factory=list, description="Calls to make next.")


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


def dump_calls(run_id: str, actions: list[ActionErrors]) -> list[NextCall]:
    """get_failure_dump for each action that left one: by run id alone when there is one dump
    (an import run, or a process run with one), else per import action of the process run."""
    dumps = list(dict.fromkeys(action.action_id for action in actions if action.failure_dump))
    why = "the rejected rows and their error patterns"
    if len(dumps) == 1:
        return [call("get_failure_dump", why, run_id=run_id)]
    return [call("get_failure_dump", why, run_id=run_id, action_id=action) for action in dumps]


def trouble_calls(run_id: str, actions: list[ActionErrors] | None) -> list[NextCall]:
    """What to call about a failed or partly successful run: its cause and fix, then its rows
    (or its errors, when they were not read)."""
    calls = [call("diagnose_integration", "the cause and the fix", run_id=run_id)]
    if actions is None:
        calls.append(call("get_run_errors", "the failed actions' error lines", run_id=run_id))
    else:
        calls += dump_calls(run_id, actions)
    return calls


class CancelReport(Compact):
    """What cancel_run stopped."""

    done: str = Field(description="What happened.")
    integration_id: str = Field(description="The integration whose run was cancelled.")
    run_id: str | None = Field(None, description="The cancelled run, when known.")
    next_calls: list[NextCall] = Field(default_factory=list, description="Calls to make next.")
