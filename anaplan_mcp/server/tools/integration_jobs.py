"""Job arguments of the integrations toolset, and the wire jobs derived from them.

The model gives a connection, a path or table, and the Anaplan action (and file); the job type
(AmazonS3ToAnaplan, AnaplanToGoogleBigQuery, ...) and the source/target objects follow from the
connection's type and the action's direction (112... imports, 116... exports; contract sheet §13).
Every rule is checked here, before anything is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field, ValidationError

from anaplan_mcp import limits
from anaplan_mcp.models import (
    ExportIntegrationInput,
    ImportIntegrationInput,
    InputModel,
    ProcessIntegrationInput,
    describe_validation_error,
    parse_integration_input,
)
from anaplan_mcp.models._types import FilePath, HexId, NumericId, TableName, at_most
from anaplan_mcp.models.jobs import EXPORT_PREFIX, FILE_PREFIX, IMPORT_PREFIX, PROCESS_PREFIX
from anaplan_mcp.server.errors import InputError
from anaplan_mcp.server.tools.integration_views import JOB_FIELDS, JobView

CLOUD_TYPES = ("AmazonS3", "AzureBlob", "GoogleBigQuery")
AnyIntegrationInput = ImportIntegrationInput | ExportIntegrationInput | ProcessIntegrationInput

# Length caps are checked here (not shown in the schema); the services' naming rules in JobSpec.
Path = Annotated[
    str | None,
    Field(min_length=1, description="File in the S3 bucket/Azure container."),
    at_most(limits.PATH_MAX),
]
Table = Annotated[
    str | None, Field(min_length=1, description="BigQuery table."), at_most(limits.TEXT_MAX)
]
Column = Annotated[str, at_most(limits.COLUMN_MAX)]
ActionId = Annotated[NumericId | None, Field(description="Import (112...) or export (116...) id.")]
FileId = Annotated[NumericId | None, Field(description="Imports: the file it reads (113...).")]
Overwrite = Annotated[bool | None, Field(description="Exports: replace the target.")]
ColumnMap = Annotated[
    dict[Column, Column] | None,
    Field(min_length=1, description="BigQuery exports (required): {export column: table column}."),
]


class JobSpec(InputModel):
    """Fields as for an import/export."""

    connection_id: HexId
    path: FilePath | None = None
    table: TableName | None = None
    action_id: NumericId
    file_id: NumericId | None = None
    overwrite: bool | None = None
    mapping: dict[Column, Column] | None = Field(None, min_length=1)


def job_spec(tool: str, fields: dict[str, Any]) -> JobSpec:
    try:
        return JobSpec.model_validate(fields)
    except ValidationError as exc:
        raise InputError(f"{tool}: {describe_validation_error(exc)}") from None


@dataclass
class Draft:
    """One job being built: its place in the arguments, fields, direction and cloud type."""

    at: str  # "" for the flat import/export fields, "jobs[i]." for a process's jobs
    spec: JobSpec
    imports: bool
    cloud: str | None = None  # the connection's type, once known


def is_import(tool: str, job: JobSpec, at: str) -> bool:
    if job.action_id.startswith((IMPORT_PREFIX, EXPORT_PREFIX)):
        return job.action_id.startswith(IMPORT_PREFIX)
    raise InputError(
        f"{tool}: {at}action_id: expected an import (112...) or export (116...) id; "
        "list_model_objects lists them."
    )


def _refuse(tool: str, errors: list[str]) -> None:
    if errors:
        raise InputError(f"{tool}: " + "; ".join(errors))


def create_drafts(
    tool: str,
    kind: str,
    single: dict[str, Any],
    process_id: str | None,
    jobs: list[JobSpec] | None,
) -> list[Draft]:
    """The checked jobs of create_integration: the flat fields, or a process's jobs."""
    given = [key for key, value in single.items() if value is not None]
    if kind == "process":
        errors = [f"{key}: for a process, put it in jobs" for key in given]
        if process_id is None:
            errors.append("process_id: required for a process (118...)")
        elif not process_id.startswith(PROCESS_PREFIX):
            errors.append("process_id: expected a process id (118...)")
        _refuse(tool, errors)
        places = [(f"jobs[{index}].", job) for index, job in enumerate(jobs or [])]
        drafts = [Draft(at, job, is_import(tool, job, at)) for at, job in places]
    else:
        errors = [
            f"{key}: required for an {kind}"
            for key in ("connection_id", "action_id")
            if single[key] is None
        ]
        if process_id is not None:
            errors.append("process_id: only for kind process")
        if jobs is not None:
            errors.append("jobs: only for kind process (give the job fields directly)")
        _refuse(tool, errors)
        fields = {key: value for key, value in single.items() if value is not None}
        drafts = [Draft("", job_spec(tool, fields), kind == "import")]
    for draft in drafts:
        check_job(tool, draft.spec, draft.imports, draft.at)
    return drafts


def merged_drafts(
    tool: str,
    views: list[JobView],
    process: bool,
    changes: dict[str, Any],
    job_index: int | None,
) -> tuple[list[Draft], int | None]:
    """update_integration's jobs: the current ones with `changes` merged into one of them.

    Returns the drafts and the index of the changed job (None when no job field changes).
    """
    fields: list[dict[str, Any]] = []
    for index, view in enumerate(views):
        if view.connection_type not in CLOUD_TYPES or view.action_id is None:
            raise InputError(f"{tool}: job {index} ({view.job_type}) cannot be edited here.")
        fields.append(view.model_dump(include=set(JOB_FIELDS), exclude_none=True))
    changed = _job_to_change(tool, len(views), job_index) if changes else None
    if changed is not None:
        job = fields[changed]
        job.update(changes)
        if "path" in changes or "table" in changes:
            job.pop("table" if "path" in changes else "path", None)
        if "mapping" not in changes and "table" not in job:
            job.pop("mapping", None)  # a file target takes no column mapping
    drafts = []
    for index, (view, job) in enumerate(zip(views, fields, strict=True)):
        at = f"jobs[{index}]." if process else ""
        draft = Draft(at, job_spec(tool, job), view.direction == "import", view.connection_type)
        check_job(tool, draft.spec, draft.imports, at)
        drafts.append(draft)
    return drafts, changed


def _job_to_change(tool: str, count: int, job_index: int | None) -> int:
    if count == 0:
        raise InputError(f"{tool}: this integration has no jobs to change.")
    if job_index is None and count > 1:
        raise InputError(
            f"{tool}: job_index: required: this process has {count} jobs (0-{count - 1})."
        )
    index = job_index or 0
    if index >= count:
        raise InputError(f"{tool}: job_index: expected 0-{count - 1}.")
    return index


def check_job(tool: str, job: JobSpec, imports: bool, at: str) -> None:
    """The cross-field rules of one job, all reported at once; nothing is sent before."""
    errors: list[str] = []
    if (job.path is None) == (job.table is None):
        errors.append(
            f"{at}path/table: give exactly one (path for S3/Azure Blob, table for BigQuery)"
        )
    expected = (
        (IMPORT_PREFIX, "an import (112...)") if imports else (EXPORT_PREFIX, "an export (116...)")
    )
    if not job.action_id.startswith(expected[0]):
        errors.append(f"{at}action_id: expected {expected[1]} id")
    if imports:
        if job.file_id is None:
            errors.append(f"{at}file_id: required for an import (its file, 113...)")
        elif not job.file_id.startswith(FILE_PREFIX):
            errors.append(f"{at}file_id: expected a file id (113...)")
        if job.overwrite is not None:
            errors.append(f"{at}overwrite: only for exports")
        if job.mapping is not None:
            errors.append(f"{at}mapping: only for exports to BigQuery")
    else:
        if job.file_id is not None:
            errors.append(f"{at}file_id: only for imports")
        if job.mapping is not None and job.table is None:
            errors.append(f"{at}mapping: only for exports to a BigQuery table")
        if job.table is not None and job.mapping is None:
            errors.append(f"{at}mapping: required for an export to BigQuery (column pairs)")
    _refuse(tool, errors)


def wire_job(tool: str, draft: Draft) -> dict[str, Any]:
    """The wire job of a checked draft whose connection type is known."""
    job, imports, kind, at = draft.spec, draft.imports, str(draft.cloud), draft.at
    if kind not in CLOUD_TYPES:
        raise InputError(f"{tool}: {at}connection_id: connection type {kind} is not supported.")
    bigquery = kind == "GoogleBigQuery"
    if bigquery and job.table is None:
        raise InputError(
            f"{tool}: {at}table: connection {job.connection_id} is a BigQuery connection; "
            "give table instead of path."
        )
    if not bigquery and job.path is None:
        raise InputError(
            f"{tool}: {at}path: connection {job.connection_id} is an {kind} connection; "
            "give path instead of table."
        )
    cloud: dict[str, Any] = {"type": kind, "connection_id": job.connection_id}
    cloud.update({"table": job.table} if bigquery else {"file": job.path})
    anaplan: dict[str, Any] = {"type": "Anaplan", "action_id": job.action_id}
    if imports:
        anaplan["file_id"] = job.file_id
    elif job.overwrite is not None:
        cloud["overwrite"] = job.overwrite
    wire: dict[str, Any] = {
        "type": f"{kind}ToAnaplan" if imports else f"AnaplanTo{kind}",
        "sources": [cloud if imports else anaplan],
        "targets": [anaplan if imports else cloud],
    }
    if job.mapping is not None:
        wire["mapping"] = [
            {"source_name": source, "target_name": target} for source, target in job.mapping.items()
        ]
    return wire


def integration_definition(tool: str, body: dict[str, Any]) -> AnyIntegrationInput:
    """The checked wire definition; a rule it breaks is refused by field name."""
    try:
        return parse_integration_input(body)
    except ValidationError as exc:
        raise InputError(f"{tool}: {describe_validation_error(exc)}") from None
