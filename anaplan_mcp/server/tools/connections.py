"""Connections toolset: the S3, Azure Blob and BigQuery stores integrations read and write.

The model passes a connection flat: its type, its name and that type's own fields, rather than one of
three nested input models (which cost the tool list a copy of every model per tool). The flat arguments
are then validated by the wire models before anything is sent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver import Context, ElicitationResult, Resolve
from pydantic import BaseModel, Field, ValidationError

from anaplan_mcp.diagnosis.report import Compact
from anaplan_mcp.models import (
    Connection,
    ConnectionPatch,
    ConnectionType,
    describe_validation_error,
    parse_connection_input,
)
from anaplan_mcp.models._types import HexId, Name, NonEmptyStr, Secret
from anaplan_mcp.server.audit import audit
from anaplan_mcp.server.errors import InputError, a_or_an
from anaplan_mcp.server.registry import ToolSpec
from anaplan_mcp.server.secrets import refuse_placeholders, resolve_secrets
from anaplan_mcp.server.state import app_state
from anaplan_mcp.server.tools.common import (
    Confirm,
    Confirmation,
    ConnectionId,
    Done,
    Limit,
    Offset,
    Page,
    confirm_connection,
    page_of,
    require_confirmation,
)

M = TypeVar("M", bound=BaseModel)

# type -> its own fields (reference "Create a connection"); every type also takes name.
TYPE_FIELDS: dict[str, tuple[str, ...]] = {
    "AmazonS3": ("access_key_id", "secret_access_key", "bucket_name", "role_arn"),
    "AzureBlob": ("storage_account_name", "container_name", "sas_token"),
    "GoogleBigQuery": ("dataset", "service_account_key"),
}

Text = NonEmptyStr | None
SecretText = Annotated[Secret | None, Field(description="Value or env:ANAPLAN_SECRET_<NAME>.")]
ServiceAccountKeyArg = Annotated[
    dict[str, Any] | str | None,
    Field(description="Google's key file, as an object or JSON text."),
]


class ConnectionView(Compact):
    """A connection without its secrets; its name and target are tenant data."""

    connection_id: str
    name: str
    type: str = Field(description="AmazonS3, AzureBlob or GoogleBigQuery.")
    bucket_name: str | None = None
    role_arn: str | None = None
    storage_account_name: str | None = None
    container_name: str | None = None
    dataset: str | None = None
    workspace_id: str | None = None
    valid: bool = Field(description="False when CloudWorks cannot reach the target with it.")
    integration_error_code: int | None = Field(None, description="Why it is invalid.")
    modified_at: datetime | None = None


def connection_view(connection: Connection) -> ConnectionView:
    body = connection.body
    return ConnectionView(
        connection_id=connection.connection_id,
        name=body.name,
        type=str(connection.connection_type),
        bucket_name=body.bucket_name,
        role_arn=body.role_arn,
        storage_account_name=body.storage_account_name,
        container_name=body.container_name,
        dataset=body.dataset,
        workspace_id=connection.workspace_id,
        valid=connection.status == 1,
        integration_error_code=None
        if connection.status == 1
        else connection.integration_error_code,
        modified_at=connection.modification_date or connection.creation_date,
    )


class ConnectionChange(BaseModel):
    """A connection before and after an update (secrets are never shown)."""

    connection_id: str = Field(description="The connection.")
    before: ConnectionView = Field(description="As it was.")
    after: ConnectionView = Field(description="As it is now.")


async def _find(ctx: Context[Any, Any], connection_id: str) -> ConnectionView:
    for connection in await app_state(ctx).client.list_connections():
        if connection.connection_id == connection_id:
            return connection_view(connection)
    raise InputError(f"connection {connection_id} not found; call list_connections for valid ids.")


def _passed(tool: str, fields: dict[str, Any]) -> dict[str, Any]:
    """The fields that were passed, with a service-account key given as JSON text parsed."""
    given = {key: value for key, value in fields.items() if value is not None}
    refuse_placeholders(tool, given)
    key = given.get("service_account_key")
    if isinstance(key, str):
        try:
            given["service_account_key"] = json.loads(key)
        except ValueError:
            raise InputError(
                f"{tool}: service_account_key: expected the key file's JSON object"
            ) from None
    return given


def _own(tool: str, kind: str, given: dict[str, Any]) -> dict[str, Any]:
    """`given`, refused when a field belongs to another connection type."""
    own = TYPE_FIELDS.get(kind)
    if own is None:
        raise InputError(f"{tool}: {kind} connections cannot be changed by this server.")
    foreign = [key for key in given if key != "name" and key not in own]
    if foreign:
        raise InputError(
            f"{tool}: {', '.join(foreign)}: not for {a_or_an(kind)} connection, which takes "
            f"{', '.join(own)}."
        )
    return given


def _validated(tool: str, parse: Callable[[dict[str, Any]], M], data: dict[str, Any]) -> M:
    try:
        return resolve_secrets(parse(data))
    except ValidationError as exc:
        raise InputError(f"{tool}: {describe_validation_error(exc)}") from None


async def list_connections(
    ctx: Context[Any, Any], limit: Limit = 25, offset: Offset = 0
) -> Page[ConnectionView]:
    """List connections with their type, target (bucket, container or dataset) and whether they
    are valid (if not, integration_error_code says why)."""
    connections = await app_state(ctx).client.list_connections()
    return page_of([connection_view(c) for c in connections], offset, limit)


async def create_connection(
    ctx: Context[Any, Any],
    type: ConnectionType,
    name: Annotated[Name, Field(description="Unique.")],
    access_key_id: Text = None,
    secret_access_key: SecretText = None,
    bucket_name: Text = None,
    role_arn: Text = None,
    storage_account_name: Text = None,
    container_name: Text = None,
    sas_token: SecretText = None,
    dataset: Text = None,
    service_account_key: ServiceAccountKeyArg = None,
    workspace_id: Annotated[
        HexId | None, Field(description="Only for restricted integration users.")
    ] = None,
) -> ConnectionView:
    """Create a connection; besides type and name give only the type's own fields. AmazonS3:
    access_key_id, secret_access_key, bucket_name, role_arn (optional). AzureBlob:
    storage_account_name, container_name, sas_token. GoogleBigQuery: dataset, service_account_key."""
    tool = "create_connection"
    fields = _passed(
        tool,
        {
            "access_key_id": access_key_id,
            "secret_access_key": secret_access_key,
            "bucket_name": bucket_name,
            "role_arn": role_arn,
            "storage_account_name": storage_account_name,
            "container_name": container_name,
            "sas_token": sas_token,
            "dataset": dataset,
            "service_account_key": service_account_key,
        },
    )
    extra = {"workspace_id": workspace_id} if workspace_id is not None else {}
    fields = {"type": type, "name": name, **extra, **_own(tool, type, fields)}
    connection = _validated(tool, parse_connection_input, fields)
    connection_id = await app_state(ctx).client.create_connection(connection)
    audit(tool, "ok", connection_id=connection_id)
    return await _find(ctx, connection_id)


async def update_connection(
    ctx: Context[Any, Any],
    connection_id: ConnectionId,
    name: Text = None,
    access_key_id: Text = None,
    secret_access_key: SecretText = None,
    bucket_name: Text = None,
    role_arn: Text = None,
    storage_account_name: Text = None,
    container_name: Text = None,
    sas_token: SecretText = None,
    dataset: Text = None,
    service_account_key: ServiceAccountKeyArg = None,
    replace: Annotated[
        bool,
        Field(
            description="Replace every field: give them all again; role_arn left out is removed."
        ),
    ] = False,
) -> ConnectionChange:
    """Change only the given fields of a connection, e.g. a rotated secret or a new bucket (fields
    of its type, as in create_connection). Returns the connection before and after."""
    tool = "update_connection"
    given = _passed(
        tool,
        {
            "name": name,
            "access_key_id": access_key_id,
            "secret_access_key": secret_access_key,
            "bucket_name": bucket_name,
            "role_arn": role_arn,
            "storage_account_name": storage_account_name,
            "container_name": container_name,
            "sas_token": sas_token,
            "dataset": dataset,
            "service_account_key": service_account_key,
        },
    )
    if not given:
        raise InputError(f"{tool}: give at least one field to change.")
    # A patch is checked (and its secret references resolved) before anything is read.
    patch = None if replace else _validated(tool, ConnectionPatch.model_validate, given)
    before = await _find(ctx, connection_id)
    kind = before.type
    _own(tool, kind, given)
    client = app_state(ctx).client
    if patch is not None:
        await client.patch_connection(connection_id, patch)
    else:
        full = {"type": kind, "name": before.name, **given}
        await client.update_connection(
            connection_id, _validated(tool, parse_connection_input, full)
        )
    audit(tool, "ok", connection_id=connection_id)
    return ConnectionChange(
        connection_id=connection_id, before=before, after=await _find(ctx, connection_id)
    )


async def delete_connection(
    ctx: Context[Any, Any],
    connection_id: ConnectionId,
    answer: Annotated[ElicitationResult[Confirmation], Resolve(confirm_connection)],
    confirm: Confirm = None,
) -> Done:
    """Delete a connection no integration uses (CloudWorks refuses while one does). Asks the user
    first."""
    require_confirmation(answer, "connection", connection_id)
    await app_state(ctx).client.delete_connection(connection_id)
    audit("delete_connection", "ok", connection_id=connection_id)
    return Done(done=f"deleted connection {connection_id}")


TOOLS = [
    ToolSpec(list_connections, "connections", "read", "List connections"),
    ToolSpec(create_connection, "connections", "write", "Create a connection"),
    ToolSpec(
        update_connection,
        "connections",
        "write",
        "Update a connection",
        idempotent=True,
        destructive_effect=True,
    ),
    ToolSpec(delete_connection, "connections", "destructive", "Delete a connection"),
]
