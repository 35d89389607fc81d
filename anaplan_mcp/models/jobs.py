"""Integration jobs: sources and targets discriminated by type and checked against the job type."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import Discriminator, Field, Tag, model_validator

from anaplan_mcp.models._base import InputModel, WireModel
from anaplan_mcp.models._types import ColumnName, FilePath, HexId, Name, NumericId, TableName

JobType: TypeAlias = Literal[
    "AmazonS3ToAnaplan",
    "AzureBlobToAnaplan",
    "GoogleBigQueryToAnaplan",
    "AnaplanToAmazonS3",
    "AnaplanToAzureBlob",
    "AnaplanToGoogleBigQuery",
]
# job type -> (source type, target type), contract sheet §12 and the Apiary bodies.
JOB_ENDPOINTS: dict[str, tuple[str, str]] = {
    "AmazonS3ToAnaplan": ("AmazonS3", "Anaplan"),
    "AzureBlobToAnaplan": ("AzureBlob", "Anaplan"),
    "GoogleBigQueryToAnaplan": ("GoogleBigQuery", "Anaplan"),
    "AnaplanToAmazonS3": ("Anaplan", "AmazonS3"),
    "AnaplanToAzureBlob": ("Anaplan", "AzureBlob"),
    "AnaplanToGoogleBigQuery": ("Anaplan", "GoogleBigQuery"),
}
# Anaplan object id prefixes (contract sheet §13).
IMPORT_PREFIX, FILE_PREFIX, EXPORT_PREFIX, PROCESS_PREFIX = "112", "113", "116", "118"


# ---- read side: unknown endpoint types fall back to OtherEndpoint instead of failing ----


class FileEndpoint(WireModel):
    """An S3 or Azure Blob file used as a source or target."""

    type: str = Field(description="AmazonS3 or AzureBlob.")
    connection_id: str = Field(description="Connection id.")
    file: str = Field(description="File (import) or folder (export) path.")
    connection_name: str | None = Field(None, description="Connection name.")
    is_connection_deleted: bool | None = Field(None, description="True if the connection is gone.")
    bucket_name: str | None = Field(None, description="S3 bucket.")
    overwrite: bool | None = Field(None, description="Overwrite the target file.")


class FileSource(FileEndpoint):
    """An S3 or Azure Blob file read by an import."""

    connection_name: str | None = Field(description="Connection name; null if it was deleted.")
    is_connection_deleted: bool = Field(description="True if the connection is gone.")


class TableEndpoint(WireModel):
    """A BigQuery table used as a source or target."""

    type: str = Field(description="GoogleBigQuery.")
    connection_id: str = Field(description="Connection id.")
    table: str = Field(description="BigQuery table.")
    overwrite: bool | None = Field(None, description="Overwrite the target table.")


class AnaplanEndpoint(WireModel):
    """An Anaplan action (and, for import targets, its file)."""

    type: str = Field(description="Anaplan.")
    action_id: str = Field(description="Import or export action id.")
    file_id: str | None = Field(None, description="Import data file id.")


class OtherEndpoint(WireModel):
    """An endpoint type this version does not know; kept with its type."""

    type: str = Field(description="Endpoint type.")
    connection_id: str | None = Field(None, description="Connection id.")


def _endpoint_kind(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return {
        "AmazonS3": "file",
        "AzureBlob": "file",
        "GoogleBigQuery": "table",
        "Anaplan": "anaplan",
    }.get(str(kind), "other")


JobSource: TypeAlias = Annotated[
    Annotated[FileSource, Tag("file")]
    | Annotated[TableEndpoint, Tag("table")]
    | Annotated[AnaplanEndpoint, Tag("anaplan")]
    | Annotated[OtherEndpoint, Tag("other")],
    Discriminator(_endpoint_kind),
]
JobTarget: TypeAlias = Annotated[
    Annotated[FileEndpoint, Tag("file")]
    | Annotated[TableEndpoint, Tag("table")]
    | Annotated[AnaplanEndpoint, Tag("anaplan")]
    | Annotated[OtherEndpoint, Tag("other")],
    Discriminator(_endpoint_kind),
]


class ColumnMapping(WireModel):
    """One Anaplan column to BigQuery column pair."""

    source_name: str = Field(description="Anaplan export column.")
    target_name: str = Field(description="BigQuery column.")


class Job(WireModel):
    """One job of an integration."""

    type: str = Field(description="e.g. AmazonS3ToAnaplan.")
    sources: list[JobSource] = Field(default_factory=list, description="Where data comes from.")
    targets: list[JobTarget] = Field(default_factory=list, description="Where data goes.")
    mapping: list[ColumnMapping] | None = Field(None, description="BigQuery export columns.")


# ---- input side ----


class FileSourceInput(InputModel):
    """Read a file from S3 or Azure Blob."""

    type: Literal["AmazonS3", "AzureBlob"] = Field(description="Connection type.")
    connection_id: HexId = Field(description="Connection id.")
    file: FilePath = Field(description="File path, e.g. data/sales.csv.")


class FileTargetInput(InputModel):
    """Write a file to S3 or Azure Blob."""

    type: Literal["AmazonS3", "AzureBlob"] = Field(description="Connection type.")
    connection_id: HexId = Field(description="Connection id.")
    file: FilePath = Field(description="Folder or file path, e.g. exports/.")
    overwrite: bool | None = Field(None, description="Replace an existing file.")


class TableSourceInput(InputModel):
    """Read a BigQuery table."""

    type: Literal["GoogleBigQuery"] = Field(description="Connection type.")
    connection_id: HexId = Field(description="Connection id.")
    table: TableName = Field(description="BigQuery table.")


class TableTargetInput(TableSourceInput):
    """Write a BigQuery table."""

    overwrite: bool | None = Field(None, description="Replace the table's rows.")


class AnaplanSourceInput(InputModel):
    """An Anaplan export action."""

    type: Literal["Anaplan"] = Field(description="Anaplan.")
    action_id: NumericId = Field(description="Export action id (116...).")


class AnaplanTargetInput(InputModel):
    """An Anaplan import action and its data file."""

    type: Literal["Anaplan"] = Field(description="Anaplan.")
    action_id: NumericId = Field(description="Import action id (112...).")
    file_id: NumericId = Field(description="Import data file id (113...).")


SourceInput: TypeAlias = Annotated[
    FileSourceInput | TableSourceInput | AnaplanSourceInput, Field(discriminator="type")
]
TargetInput: TypeAlias = Annotated[
    FileTargetInput | TableTargetInput | AnaplanTargetInput, Field(discriminator="type")
]


class ColumnMappingInput(InputModel):
    """Map one Anaplan export column to one BigQuery column."""

    source_name: Name = Field(description="Anaplan export column.")
    target_name: ColumnName = Field(description="BigQuery column.")


class JobInput(InputModel):
    """One job: exactly one source and one target that match its type."""

    type: JobType = Field(description="Direction, e.g. AmazonS3ToAnaplan.")
    sources: list[SourceInput] = Field(min_length=1, max_length=1, description="The source.")
    targets: list[TargetInput] = Field(min_length=1, max_length=1, description="The target.")
    mapping: list[ColumnMappingInput] | None = Field(
        None, min_length=1, description="Columns; required for AnaplanToGoogleBigQuery only."
    )

    @model_validator(mode="after")
    def _endpoints_match_type(self) -> JobInput:
        source_type, target_type = JOB_ENDPOINTS[self.type]
        if self.sources[0].type != source_type:
            raise ValueError(f"source type must be {source_type} for a {self.type} job")
        if self.targets[0].type != target_type:
            raise ValueError(f"target type must be {target_type} for a {self.type} job")
        source, target = self.sources[0], self.targets[0]
        if isinstance(source, AnaplanSourceInput) and not source.action_id.startswith(
            EXPORT_PREFIX
        ):
            raise ValueError("the Anaplan source needs an export action id (116...)")
        if isinstance(target, AnaplanTargetInput):
            if not target.action_id.startswith(IMPORT_PREFIX):
                raise ValueError("the Anaplan target needs an import action id (112...)")
            if not target.file_id.startswith(FILE_PREFIX):
                raise ValueError("the Anaplan target needs a file id (113...)")
        needs_mapping = self.type == "AnaplanToGoogleBigQuery"
        if needs_mapping and self.mapping is None:
            raise ValueError("an AnaplanToGoogleBigQuery job needs a column mapping")
        if not needs_mapping and self.mapping is not None:
            raise ValueError("mapping is only for AnaplanToGoogleBigQuery jobs")
        return self

    @property
    def is_import(self) -> bool:
        return JOB_ENDPOINTS[self.type][1] == "Anaplan"
