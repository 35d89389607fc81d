"""Import, export and process integrations: list items, details and create/update bodies."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Discriminator, Field, Tag, TypeAdapter, field_validator

from anaplan_mcp.models._base import InputModel, WireModel, quiet_adapter
from anaplan_mcp.models._types import HexId, ModelId, Name, NumericId, WireDatetime
from anaplan_mcp.models.jobs import (
    JOB_ENDPOINTS,
    PROCESS_PREFIX,
    AnaplanEndpoint,
    AnaplanSourceInput,
    AnaplanTargetInput,
    ColumnMapping,
    ColumnMappingInput,
    FileEndpoint,
    FileSource,
    FileSourceInput,
    FileTargetInput,
    Job,
    JobInput,
    JobSource,
    JobTarget,
    JobType,
    OtherEndpoint,
    TableEndpoint,
    TableSourceInput,
    TableTargetInput,
)
from anaplan_mcp.models.runs import LatestRun
from anaplan_mcp.models.schedules import Schedule

__all__ = [
    "AnaplanEndpoint",
    "AnaplanSourceInput",
    "AnaplanTargetInput",
    "ColumnMapping",
    "ColumnMappingInput",
    "ExportIntegrationInput",
    "FileEndpoint",
    "FileSource",
    "FileSourceInput",
    "FileTargetInput",
    "ImportIntegrationInput",
    "Integration",
    "IntegrationDetail",
    "IntegrationInput",
    "IntegrationKind",
    "Job",
    "JobInput",
    "JobSource",
    "JobTarget",
    "JobType",
    "LatestRun",
    "OtherEndpoint",
    "ProcessIntegrationInput",
    "TableEndpoint",
    "TableSourceInput",
    "TableTargetInput",
    "parse_integration_input",
]

IntegrationKind: TypeAlias = Literal["Import", "Export", "Process"]


def _empty_to_none(value: Any) -> Any:
    # An empty latestRun {} means "never ran" (contract sheet §12).
    return None if value == {} else value


class _IntegrationFields(WireModel):
    integration_id: str = Field(description="Integration id.")
    name: str = Field(description="Integration name.")
    created_by: str = Field(description="Creator.")
    creation_date: WireDatetime = Field(description="Creation time.")
    modification_date: WireDatetime = Field(description="Last change time.")
    model_id: str = Field(description="Anaplan model id.")
    workspace_id: str = Field(description="Anaplan workspace id.")
    nux_visible: bool = Field(description="Shown in Anaplan UX action cards.")
    modified_by: str | None = Field(None, description="Last editor.")
    process_id: str | None = Field(None, description="Anaplan process id (process only).")
    schedule: Schedule | None = Field(None, description="Schedule, if any.")
    latest_run: LatestRun | None = Field(None, description="Most recent run, if any.")
    notification_id: str | None = Field(None, description="Notification config id.")

    _no_empty_run = field_validator("latest_run", "schedule", mode="before")(_empty_to_none)


class Integration(_IntegrationFields):
    """An integration as GET /integrations lists it."""

    integration_type: IntegrationKind | str = Field(description="Import, Export or Process.")


class IntegrationDetail(_IntegrationFields):
    """One integration with its jobs (GET /integrations/{id} omits integrationType)."""

    jobs: list[Job] | None = Field(None, description="Jobs; null for a process without jobs.")
    integration_type: IntegrationKind | str | None = Field(None, description="Rarely sent here.")

    @property
    def kind(self) -> IntegrationKind | None:
        """Import, Export or Process, derived from the process id and the job direction."""
        if self.process_id:
            return "Process"
        if not self.jobs:
            return None
        return "Export" if self.jobs[0].type.startswith("Anaplan") else "Import"


class _IntegrationInput(InputModel):
    name: Name = Field(description="Unique integration name.")
    workspace_id: HexId = Field(description="Anaplan workspace id.")
    model_id: ModelId = Field(description="Anaplan model id (32 uppercase hex).")
    version: Literal["2.0"] = Field("2.0", description="Body schema version.")
    nux_visible: bool = Field(False, description="Show in Anaplan UX action cards.")


def _single_job_of_direction(jobs: list[JobInput], imports: bool) -> list[JobInput]:
    # 409 "Only a single job is supported by import/export integration" (contract sheet §7.2).
    if len(jobs) != 1:
        raise ValueError("expected exactly one job")
    if jobs[0].is_import != imports:
        wanted = "into Anaplan (...ToAnaplan)" if imports else "out of Anaplan (AnaplanTo...)"
        raise ValueError(f"expected a job {wanted}")
    return jobs


class ImportIntegrationInput(_IntegrationInput):
    """Load one file or table into Anaplan."""

    jobs: list[JobInput] = Field(description="Exactly one ...ToAnaplan job.")

    @field_validator("jobs")
    @classmethod
    def _one_import_job(cls, jobs: list[JobInput]) -> list[JobInput]:
        return _single_job_of_direction(jobs, imports=True)


class ExportIntegrationInput(_IntegrationInput):
    """Write one Anaplan export to a file or table."""

    jobs: list[JobInput] = Field(description="Exactly one AnaplanTo... job.")

    @field_validator("jobs")
    @classmethod
    def _one_export_job(cls, jobs: list[JobInput]) -> list[JobInput]:
        return _single_job_of_direction(jobs, imports=False)


class ProcessIntegrationInput(_IntegrationInput):
    """Run an Anaplan process; jobs wire its file-based actions to connections."""

    process_id: NumericId = Field(description="Anaplan process id (118...).")
    jobs: list[JobInput] | None = Field(None, description="Jobs for the process's actions.")

    @field_validator("process_id")
    @classmethod
    def _is_process(cls, process_id: str) -> str:
        if not process_id.startswith(PROCESS_PREFIX):
            raise ValueError("expected a process id (118...)")
        return process_id


def _integration_kind(value: Any) -> str:
    # The wire has no kind field: a processId means Process, else the job direction decides.
    def get(obj: Any, *names: str) -> Any:
        for name in names:
            found = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
            if found is not None:
                return found
        return None

    if get(value, "process_id", "processId") is not None:
        return "Process"
    jobs = get(value, "jobs")
    first = jobs[0] if isinstance(jobs, list) and jobs else None
    job_type = get(first, "type") if first is not None else None
    if job_type in JOB_ENDPOINTS and str(job_type).startswith("Anaplan"):
        return "Export"
    return "Import"


IntegrationInput: TypeAlias = Annotated[
    Annotated[ImportIntegrationInput, Tag("Import")]
    | Annotated[ExportIntegrationInput, Tag("Export")]
    | Annotated[ProcessIntegrationInput, Tag("Process")],
    Discriminator(_integration_kind),
]
_INTEGRATION_INPUT: TypeAdapter[IntegrationInput] = quiet_adapter(IntegrationInput)


def parse_integration_input(
    data: Any,
) -> ImportIntegrationInput | ExportIntegrationInput | ProcessIntegrationInput:
    """Validate a create/update body of any kind; errors never carry the input."""
    return _INTEGRATION_INPUT.validate_python(data)
