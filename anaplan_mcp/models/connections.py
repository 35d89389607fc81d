"""Connections to Amazon S3, Azure Blob and Google BigQuery."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import AliasChoices, Field, TypeAdapter, field_validator, model_validator

from anaplan_mcp.models._base import InputModel, WireModel, quiet_adapter
from anaplan_mcp.models._types import (
    AccessKeyId,
    BucketName,
    ContainerName,
    DatasetName,
    HexId,
    Name,
    NonEmptyStr,
    OptionalWireDatetime,
    RoleArn,
    Secret,
    StorageAccountName,
)

ConnectionType: TypeAlias = Literal["AmazonS3", "AzureBlob", "GoogleBigQuery"]


class ConnectionBody(WireModel):
    """The non-secret fields of a connection; anything else the API sends is dropped."""

    name: str = Field(description="Connection name.")
    bucket_name: str | None = Field(None, description="S3 bucket.")
    role_arn: str | None = Field(None, description="S3 IAM role ARN.")
    storage_account_name: str | None = Field(None, description="Azure storage account.")
    container_name: str | None = Field(None, description="Azure container.")
    auth_method: str | None = Field(None, description="Azure auth method, e.g. SAS-based.")
    dataset: str | None = Field(None, description="BigQuery dataset.")


class Connection(WireModel):
    """A connection as GET /integrations/connections lists it."""

    connection_id: str = Field(description="Connection id.")
    connection_type: ConnectionType | str = Field(description="AmazonS3, AzureBlob, ...")
    body: ConnectionBody = Field(description="Non-secret settings.")
    status: int = Field(description="1 = valid, 0 = invalid.")
    integration_error_code: int | None = Field(description="Why it is invalid (1, 4, 10, ...).")
    workspace_id: str | None = Field(description="Workspace it belongs to, if any.")
    created_by: str = Field(description="Creator.")
    creation_date: OptionalWireDatetime = Field(
        None,
        validation_alias=AliasChoices("creation_date", "creationDate", "isoCreationDate"),
        description="Creation time.",
    )
    modification_date: OptionalWireDatetime = Field(
        None,
        validation_alias=AliasChoices(
            "modification_date", "modificationDate", "isoModificationDate"
        ),
        description="Last change time.",
    )
    modified_by: str | None = Field(None, description="Last editor.")


class _ConnectionInput(InputModel):
    """Flat for callers; to_wire() nests everything but type under "body"."""

    name: Name = Field(description="Unique connection name.")
    workspace_id: HexId | None = Field(
        None, description="Workspace id (needed by restricted integration users)."
    )

    @model_validator(mode="before")
    @classmethod
    def _accept_wire_shape(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("body"), dict):
            return {**{k: v for k, v in data.items() if k != "body"}, **data["body"]}
        return data

    def body_to_wire(self) -> dict[str, Any]:
        """The body alone, as PUT /integrations/connections/{id} takes it."""
        wire = super().to_wire()
        wire.pop("type", None)
        return wire

    def to_wire(self) -> dict[str, Any]:
        """POST body: {"type": ..., "body": {...}}."""
        flat = super().to_wire()
        kind = flat.pop("type", None)
        if kind is None:
            return flat
        return {"type": kind, "body": flat}


class S3ConnectionInput(_ConnectionInput):
    """An Amazon S3 connection."""

    type: Literal["AmazonS3"] = Field(description="Connection type.")
    access_key_id: AccessKeyId = Field(description="AWS access key id.")
    secret_access_key: Secret = Field(description="AWS secret access key.")
    bucket_name: BucketName = Field(description="S3 bucket name.")
    role_arn: RoleArn | None = Field(None, description="IAM role ARN to assume.")


class AzureBlobConnectionInput(_ConnectionInput):
    """An Azure Blob Storage connection authenticated by a SAS token."""

    type: Literal["AzureBlob"] = Field(description="Connection type.")
    storage_account_name: StorageAccountName = Field(description="Azure storage account name.")
    container_name: ContainerName = Field(description="Azure container name.")
    sas_token: Secret = Field(description="Shared access signature token.")
    # Requests take snake_case auth_method; responses say authMethod (contract sheet §7.2).
    auth_method: Literal["SAS-based"] = Field(
        "SAS-based",
        validation_alias=AliasChoices("auth_method", "authMethod"),
        serialization_alias="auth_method",
        description="Authentication method.",
    )


class ServiceAccountKey(InputModel):
    """A Google service-account key; Google's own key-file JSON is accepted as is."""

    type: Literal["service_account"] = Field("service_account", description="Key type.")
    project_id: NonEmptyStr = Field(description="GCP project id.")
    private_key_id: NonEmptyStr = Field(description="Private key id.")
    private_key: Secret = Field(description="PEM private key.")
    client_email: NonEmptyStr = Field(description="Service account e-mail.")
    client_id: NonEmptyStr = Field(description="Client id.")
    auth_uri: NonEmptyStr = Field(description="OAuth auth URI.")
    token_uri: NonEmptyStr = Field(description="OAuth token URI.")
    auth_provider_x509_cert_url: NonEmptyStr = Field(description="Provider cert URL.")
    client_x509_cert_url: NonEmptyStr = Field(description="Client cert URL.")
    # Present in newer Google key files; the CloudWorks body does not list it.
    universe_domain: str | None = Field(None, exclude=True, description="Ignored.")


class BigQueryConnectionInput(_ConnectionInput):
    """A Google BigQuery connection."""

    type: Literal["GoogleBigQuery"] = Field(description="Connection type.")
    dataset: DatasetName = Field(description="BigQuery dataset.")
    service_account_key: ServiceAccountKey = Field(
        description="Service-account key (object or its JSON text)."
    )

    @field_validator("service_account_key", mode="before")
    @classmethod
    def _parse_key_json(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise ValueError("expected the service-account key JSON object") from None
        return value


ConnectionInput: TypeAlias = Annotated[
    S3ConnectionInput | AzureBlobConnectionInput | BigQueryConnectionInput,
    Field(discriminator="type"),
]
_CONNECTION_INPUT: TypeAdapter[ConnectionInput] = quiet_adapter(ConnectionInput)


def parse_connection_input(
    data: Any,
) -> S3ConnectionInput | AzureBlobConnectionInput | BigQueryConnectionInput:
    """Validate a connection of any type; errors never carry the input."""
    return _CONNECTION_INPUT.validate_python(data)


class ConnectionPatch(InputModel):
    """Some fields of a connection body, for PATCH; at least one must be given."""

    name: Name | None = Field(None, description="New name.")
    access_key_id: AccessKeyId | None = Field(None, description="S3 access key id.")
    secret_access_key: Secret | None = Field(None, description="S3 secret access key.")
    bucket_name: BucketName | None = Field(None, description="S3 bucket.")
    role_arn: RoleArn | None = Field(None, description="S3 IAM role ARN.")
    storage_account_name: StorageAccountName | None = Field(
        None, description="Azure storage account."
    )
    container_name: ContainerName | None = Field(None, description="Azure container.")
    sas_token: Secret | None = Field(None, description="Azure SAS token.")
    dataset: DatasetName | None = Field(None, description="BigQuery dataset.")
    service_account_key: ServiceAccountKey | None = Field(
        None, description="BigQuery service-account key."
    )

    @model_validator(mode="after")
    def _something_to_change(self) -> ConnectionPatch:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        return self
