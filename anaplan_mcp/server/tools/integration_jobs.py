"""Job arguments of the integrations toolset, and the wire jobs derived from them.

The model gives a connection, a path or table, and the Anaplan action (and file); the job type
(AmazonS3ToAnaplan, AnaplanToGoogleBigQuery, ...) and the source/target objects follow from the
connection's type and the action's direction (112... imports, 116... exports; contract sheet §13).
Every rule is checked here, before anything is sent.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, ValidationError

from anaplan_mcp.models import (
    ColumnMappingInput,
    ExportIntegrationInput,
    ImportIntegrationInput,
    InputModel,
    ProcessIntegrationInput,
    describe_validation_error,
    parse_integration_input,
)
from anaplan_mcp.models._types import HexId, NonEmptyStr, NumericId
from anaplan_mcp.models.jobs import EXPORT_PREFIX, FILE_PREFIX, IMPORT_PREFIX
from anaplan_mcp.server.errors import InputError

CLOUD_TYPES = ("AmazonS3", "AzureBlob", "GoogleBigQuery")
AnyIntegrationInput = ImportIntegrationInput | ExportIntegrationInput | ProcessIntegrationInput

Path = Annotated[
    str | None, Field(min_length=1, description="File in the S3 bucket or Azure container.")
]
Table = Annotated[str | None, Field(min_length=1, description="BigQuery table.")]
ActionId = Annotated[
    NumericId | None, Field(description="Import (112...) or export (116...) id of the model.")
]
FileId = Annotated[NumericId | None, Field(description="Imports: the file it reads (113...).")]
Overwrite = Annotated[bool | None, Field(description="Exports: replace the target file/table.")]
ColumnMap = Annotated[
    list[ColumnMappingInput] | None,
    Field(min_length=1, description="BigQuery exports (required): export column -> table column."),
]


class JobSpec(InputModel):
    """One job: a connection, a path or table, and an import (with its file) or export."""

    connection_id: HexId = Field(description="Connection id (from list_connections).")
    path: NonEmptyStr | None = Field(None, description="File in the S3 bucket/Azure container.")
    table: NonEmptyStr | None = Field(None, description="BigQuery table.")
    action_id: NumericId = Field(description="Import (112...) or export (116...) id.")
    file_id: NumericId | None = Field(None, description="Imports: the file it reads (113...).")
    overwrite: bool | None = Field(None, description="Exports: replace the target.")
    mapping: list[ColumnMappingInput] | None = Field(
        None, min_length=1, description="BigQuery exports: export column -> table column."
    )


def job_spec(tool: str, fields: dict[str, Any]) -> JobSpec:
    try:
        return JobSpec.model_validate(fields)
    except ValidationError as exc:
        raise InputError(f"{tool}: {describe_validation_error(exc)}") from None


def is_import(tool: str, job: JobSpec, at: str) -> bool:
    if job.action_id.startswith((IMPORT_PREFIX, EXPORT_PREFIX)):
        return job.action_id.startswith(IMPORT_PREFIX)
    raise InputError(
        f"{tool}: {at}action_id: expected an import (112...) or export (116...) id; "
        "list_model_objects lists them."
    )


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
    if errors:
        raise InputError(f"{tool}: " + "; ".join(errors))


def wire_job(tool: str, job: JobSpec, imports: bool, kind: str, at: str) -> dict[str, Any]:
    """The wire job for a checked spec and its connection's type."""
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
        wire["mapping"] = [pair.model_dump() for pair in job.mapping]
    return wire


def integration_definition(tool: str, body: dict[str, Any]) -> AnyIntegrationInput:
    """The checked wire definition; a rule it breaks is refused by field name."""
    try:
        return parse_integration_input(body)
    except ValidationError as exc:
        raise InputError(f"{tool}: {describe_validation_error(exc)}") from None
