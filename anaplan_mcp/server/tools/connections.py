"""Connections toolset: the S3, Azure Blob and BigQuery stores integrations read and write."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, ElicitationResult, Resolve
from pydantic import BaseModel, Field

from anaplan_mcp.models import Connection, ConnectionInput, ConnectionPatch
from anaplan_mcp.server.audit import audit
from anaplan_mcp.server.errors import InputError
from anaplan_mcp.server.registry import ToolSpec
from anaplan_mcp.server.secrets import resolve_secrets
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


class ConnectionChange(BaseModel):
    """A connection before and after an update (secrets are never shown)."""

    connection_id: str = Field(description="The connection.")
    before: Connection = Field(description="As it was.")
    after: Connection = Field(description="As it is now.")


async def _find(ctx: Context[Any, Any], connection_id: str) -> Connection:
    for connection in await app_state(ctx).client.list_connections():
        if connection.connection_id == connection_id:
            return connection
    raise InputError(f"connection {connection_id} not found; call list_connections for valid ids.")


async def list_connections(
    ctx: Context[Any, Any], limit: Limit = 25, offset: Offset = 0
) -> Page[Connection]:
    """List CloudWorks connections with their type, target (bucket, container or dataset) and
    status (1 valid, 0 invalid, with integration_error_code saying why)."""
    connections = await app_state(ctx).client.list_connections()
    return page_of(connections, offset, limit)


async def create_connection(ctx: Context[Any, Any], connection: ConnectionInput) -> Connection:
    """Create a connection to Amazon S3, Azure Blob or Google BigQuery (pick `type`). Secret
    fields take the value or `env:ANAPLAN_SECRET_<NAME>`, a variable set on the server."""
    state = app_state(ctx)
    connection_id = await state.client.create_connection(resolve_secrets(connection))
    audit("create_connection", "ok", connection_id=connection_id)
    return await _find(ctx, connection_id)


async def update_connection(
    ctx: Context[Any, Any],
    connection_id: ConnectionId,
    changes: Annotated[
        ConnectionPatch | None, Field(description="Only the fields that change (PATCH).")
    ] = None,
    replacement: Annotated[
        ConnectionInput | None, Field(description="Every field, replacing the connection (PUT).")
    ] = None,
) -> ConnectionChange:
    """Change a connection: `changes` for some fields (e.g. a rotated secret or a new bucket), or
    `replacement` for all of them. Returns the connection before and after."""
    if (changes is None) == (replacement is None):
        raise InputError("update_connection: give exactly one of changes or replacement.")
    client = app_state(ctx).client
    before = await _find(ctx, connection_id)
    if changes is not None:
        await client.patch_connection(connection_id, resolve_secrets(changes))
    elif replacement is not None:
        await client.update_connection(connection_id, resolve_secrets(replacement))
    audit("update_connection", "ok", connection_id=connection_id)
    return ConnectionChange(
        connection_id=connection_id, before=before, after=await _find(ctx, connection_id)
    )


async def delete_connection(
    ctx: Context[Any, Any],
    connection_id: ConnectionId,
    answer: Annotated[ElicitationResult[Confirmation], Resolve(confirm_connection)],
    confirm: Confirm = None,
) -> Done:
    """Delete a connection no integration uses (CloudWorks refuses while one does). Asks the
    user first; without a way to ask, pass confirm equal to the connection id."""
    require_confirmation(answer, "connection", connection_id)
    await app_state(ctx).client.delete_connection(connection_id)
    audit("delete_connection", "ok", connection_id=connection_id)
    return Done(done=f"deleted connection {connection_id}")


TOOLS = [
    ToolSpec(list_connections, "connections", "read", "List connections"),
    ToolSpec(create_connection, "connections", "write", "Create a connection"),
    ToolSpec(update_connection, "connections", "write", "Update a connection", idempotent=True),
    ToolSpec(delete_connection, "connections", "destructive", "Delete a connection"),
]
