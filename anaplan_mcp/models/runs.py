"""Run status, run history and run errors (contract sheet §2, §6, §8)."""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

from pydantic import AliasChoices, Field, model_validator

from anaplan_mcp.models._base import WireModel
from anaplan_mcp.models._types import OptionalWireDatetime, WireDatetime
from anaplan_mcp.models.schedules import Schedule

# Open: live data also carries values no document lists (contract sheet §6.4).
TriggerSource: TypeAlias = (
    Literal["scheduled", "manual", "scheduled_inf", "manual_inf", "nux_dashboard"] | str
)
PARTIAL_SUCCESS_CODE = 38


class LatestRun(WireModel):
    """The most recent run of an integration, flow or flow step."""

    triggered_by: str = Field(description="Who started the run.")
    start_date: WireDatetime = Field(description="When the run started.")
    success: bool = Field(description="True for success and partial success (code 38).")
    message: str = Field(description="Outcome text, e.g. Success, Running, Cancelled.")
    end_date: OptionalWireDatetime = Field(None, description="When it ended; null while running.")
    execution_error_code: int | None = Field(None, description="Error code; 38 = partial success.")
    trigger_source: TriggerSource | None = Field(None, description="manual, scheduled, ...")
    id: str | None = Field(None, description="Run id (flow listings carry it).")
    last_run: OptionalWireDatetime = Field(None, description="Time of the last run.")


class RunRecord(WireModel):
    """One run in an integration's history."""

    id: str = Field(description="Run id.")
    triggered_by: str = Field(description="Who started the run.")
    last_run: WireDatetime = Field(description="Run time (epoch seconds or ISO on the wire).")
    start_date: WireDatetime = Field(description="When the run started.")
    success: bool = Field(description="True for success and partial success (code 38).")
    message: str = Field(description="Outcome text, e.g. Success, Running, Cancelled.")
    trace_id: str = Field(description="Trace id to quote to Anaplan support.")
    trigger_source: TriggerSource = Field(description="manual, scheduled, manual_inf, ...")
    end_date: OptionalWireDatetime = Field(None, description="When it ended; null while running.")
    execution_error_code: int | None = Field(None, description="Error code; 38 = partial success.")


class RunStatus(WireModel):
    """One run, as GET /integrations/run/{runId} returns it."""

    id: str = Field(description="Run id.")
    integration_id: str = Field(description="Integration the run belongs to.")
    trace_id: str = Field(description="Trace id to quote to Anaplan support.")
    start_date: WireDatetime = Field(description="When the run started.")
    success: bool = Field(description="True for success and partial success (code 38).")
    message: str = Field(description="Outcome text, e.g. Success, Running, Cancelled.")
    trigger_source: TriggerSource = Field(description="manual, scheduled, manual_inf, ...")
    end_date: OptionalWireDatetime = Field(None, description="When it ended; null while running.")
    execution_error_code: int | None = Field(None, description="Error code; 38 = partial success.")
    flow_group_id: str | None = Field(None, description="Flow run that started it, if any.")
    created_by: str | None = Field(None, description="Creator.")
    creation_date: OptionalWireDatetime = Field(None, description="Record creation time.")


class RunHistory(WireModel):
    """The history_of_runs object: the integration's fields plus a page of runs."""

    integration_id: str = Field(description="Integration id.")
    name: str = Field(description="Integration name.")
    runs: list[RunRecord] = Field(default_factory=list, description="Runs, newest first.")
    total_runs: int | None = Field(None, description="Runs in the whole history.")
    integration_type: str | None = Field(None, description="Import, Export or Process.")
    process_id: str | None = Field(None, description="Anaplan process id (process only).")
    workspace_id: str | None = Field(None, description="Workspace id.")
    model_id: str | None = Field(None, description="Model id.")
    schedule: Schedule | None = Field(None, description="The integration's schedule.")
    notification_id: str | None = Field(None, description="Notification config id.")
    created_by: str | None = Field(None, description="Creator.")
    creation_date: OptionalWireDatetime = Field(None, description="Creation time.")
    modification_date: OptionalWireDatetime = Field(None, description="Last change time.")


class ErrorDetail(WireModel):
    """One Anaplan task-result line of a failed action."""

    local_message_text: str = Field(description="The error text.")
    type: str | None = Field(None, description="e.g. hierarchyRowsProcessedWithFailures.")
    occurrences: int | None = Field(None, description="How often it occurred.")
    values: list[Any] = Field(default_factory=list, description="Message parameters.")


class ActionError(WireModel):
    """The errors of one Anaplan action in a run."""

    action_id: str = Field(description="Anaplan action id (112... for imports).")
    action_name: str = Field(description="Anaplan action name.")
    failure_dump_generated: bool = Field(description="True when a failing-rows dump exists.")
    details: list[ErrorDetail] = Field(
        default_factory=list,
        validation_alias=AliasChoices("details", "errorMessage", "error_message"),
        description="Error lines of the action.",
    )


class RunErrorEntry(WireModel):
    """One element of runerror's runs: a task and its failed actions."""

    id: str | None = Field(None, description="Run id.")
    task_id: str | None = Field(None, description="Anaplan task id; may be null.")
    error_messages: list[ActionError] = Field(default_factory=list, description="Failed actions.")


class RunErrors(WireModel):
    """GET /integrations/runerror/{runId}: runs may be an object, an array, {} or []."""

    runs: list[RunErrorEntry] = Field(default_factory=list, description="Error entries.")

    @model_validator(mode="before")
    @classmethod
    def _normalise_runs(cls, data: Any) -> Any:
        # Apiary shows an array, the live API an object and {} when clean (contract sheet §6.3).
        if isinstance(data, list):
            return {"runs": data}
        if not isinstance(data, dict):
            return data
        if "runs" not in data:
            return {"runs": [data] if data else []}
        runs = data["runs"]
        if runs is None or runs == {}:
            return {**data, "runs": []}
        if isinstance(runs, dict):
            return {**data, "runs": [runs]}
        return data

    @property
    def actions(self) -> list[ActionError]:
        """Every failed action across the entries."""
        return [action for entry in self.runs for action in entry.error_messages]

    @property
    def dump_action_ids(self) -> list[str]:
        """Action ids that have a failure dump, in order, without repeats."""
        ids = [action.action_id for action in self.actions if action.failure_dump_generated]
        return list(dict.fromkeys(ids))


def is_finished(run: LatestRun | RunRecord | RunStatus) -> bool:
    """The done test of contract sheet §8: endDate set and not still Running."""
    return run.end_date is not None and run.message != "Running"
