"""CloudWorks connections: create, list, replace (PUT), patch, delete."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from anaplan_mcp.sandbox import render, validate
from anaplan_mcp.sandbox.dataplane import refresh_connection_status
from anaplan_mcp.sandbox.responses import conflict, ok, read_json
from anaplan_mcp.sandbox.routes_base import Call, page_window, paged, route
from anaplan_mcp.sandbox.store import Record, Store, stamp_created, stamp_modified

if TYPE_CHECKING:
    from anaplan_mcp.sandbox.app import Sandbox

SCHEMA = "connections"


def connection_routes(sandbox: Sandbox) -> list[BaseRoute]:
    """Routes under /2/0/integrations/connections."""
    return [
        route(sandbox, "/integrations/connections", create_connection, ["POST"]),
        route(sandbox, "/integrations/connections", list_connections, ["GET"]),
        route(sandbox, "/integrations/connections/{connectionId}", replace_connection, ["PUT"]),
        route(sandbox, "/integrations/connections/{connectionId}", patch_connection, ["PATCH"]),
        route(sandbox, "/integrations/connections/{connectionId}", delete_connection, ["DELETE"]),
    ]


def apply_connection_fields(record: Record, fields: dict[str, Any]) -> None:
    """Split checked fields into the public body and the stored-only credentials."""
    spec = validate.CONNECTION_TYPES[record["connectionType"]]
    for key, value in fields.items():
        if key in spec["public"]:
            record["body"][key] = value
        elif key == "workspaceId":
            record["workspaceId"] = value
        else:
            record["_secrets"][key] = value


def new_connection(
    store: Store,
    kind: str,
    fields: dict[str, Any],
    user: str,
    now: datetime,
    *,
    connection_id: str | None = None,
) -> Record:
    """A stored connection record (used by the seed as well); the caller adds it to the store."""
    record: Record = {
        "connectionId": connection_id or store.new_id("connection"),
        "connectionType": kind,
        "body": {},
        "_secrets": {},
        "workspaceId": None,
    }
    if kind == "AzureBlob":
        record["_authMethod"] = validate.AZURE_AUTH_METHOD
    apply_connection_fields(record, fields)
    stamp_created(record, user, now)
    refresh_connection_status(store, record)
    return record


async def create_connection(call: Call) -> Response:
    """POST /integrations/connections -> `{"connections": {"connectionId"}}` (contract §6.5)."""
    kind, fields = validate.connection_create(await read_json(call.request))
    record = new_connection(call.store, kind, fields, call.user_name, call.now)
    call.store.connections[record["connectionId"]] = record
    call.store.touch()
    return ok({"connections": {"connectionId": record["connectionId"]}})


async def list_connections(call: Call) -> Response:
    """GET /integrations/connections, paged like the other listings."""
    offset, limit = page_window(call)
    items = [render.connection(record) for record in call.store.connections.values()]
    page, paging = paged(items, offset, limit)
    return ok({"connections": page, "meta": {"paging": paging}}, schema=SCHEMA)


async def replace_connection(call: Call) -> Response:
    """PUT: the type's whole body, flat (reference "Edit a connection")."""
    record = call.store.connection(call.param("connectionId"))
    body = await read_json(call.request)
    fields = validate.connection_body(record["connectionType"], body, partial=False)
    _update(call, record, fields, replace=True)
    return ok()


async def patch_connection(call: Call) -> Response:
    """PATCH: at least one of the type's fields."""
    record = call.store.connection(call.param("connectionId"))
    body = await read_json(call.request)
    fields = validate.connection_body(record["connectionType"], body, partial=True)
    _update(call, record, fields, replace=False)
    return ok()


def _update(call: Call, record: Record, fields: dict[str, Any], *, replace: bool) -> None:
    if replace:
        record["_secrets"] = {}
        record["workspaceId"] = None
    apply_connection_fields(record, fields)
    stamp_modified(record, call.user_name, call.now)
    refresh_connection_status(call.store, record)
    call.store.touch()


async def delete_connection(call: Call) -> Response:
    """DELETE: refused with 409 while an integration uses it (reference error table)."""
    connection_id = call.param("connectionId")
    call.store.connection(connection_id)
    if call.store.integrations_using(connection_id):
        raise conflict("The resource is being referenced")
    del call.store.connections[connection_id]
    call.store.touch()
    return ok()
