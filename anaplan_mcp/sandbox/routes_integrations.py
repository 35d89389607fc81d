"""CloudWorks integrations: create, list, get, replace, delete, run and cancel."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from anaplan_mcp.sandbox import engine, render, validate
from anaplan_mcp.sandbox.responses import ApiError, bad_request, conflict, ok, read_json
from anaplan_mcp.sandbox.routes_base import Call, mine_and_sorted, page_window, paged, route
from anaplan_mcp.sandbox.store import (
    TENANT_MAX_INTEGRATIONS,
    Record,
    Store,
    stamp_created,
    stamp_modified,
)

if TYPE_CHECKING:
    from anaplan_mcp.sandbox.app import Sandbox

ALREADY_RUNNING = "Integration is already running"
REFERENCED = "The resource is being referenced"
LIMIT_EXCEEDED = "Total number of integrations exceeded the limit"


def integration_routes(sandbox: Sandbox) -> list[BaseRoute]:
    """Routes under /2/0/integrations (connections, runs and schedules live elsewhere)."""
    return [
        route(sandbox, "/integrations", create_integration, ["POST"]),
        route(sandbox, "/integrations", list_integrations, ["GET"]),
        route(sandbox, "/integrations/{integrationId}", get_integration, ["GET"]),
        route(sandbox, "/integrations/{integrationId}", replace_integration, ["PUT"]),
        route(sandbox, "/integrations/{integrationId}", delete_integration, ["DELETE"]),
        route(sandbox, "/integrations/{integrationId}/run", run_integration, ["POST"]),
        route(sandbox, "/integrations/{integrationId}/cancel", cancel_integration, ["POST"]),
    ]


def check_tenant_room(store: Store) -> None:
    """409 once integrations plus flows reach the tenant's 500 (contract §5)."""
    if store.tenant_count() >= TENANT_MAX_INTEGRATIONS:
        raise conflict(LIMIT_EXCEEDED)


def add_integration(
    store: Store,
    definition: dict[str, Any],
    user_id: str,
    now: datetime,
    *,
    integration_id: str | None = None,
) -> Record:
    """Store a checked definition with its auto-created notification config (contract §6.5)."""
    integration_id = integration_id or store.new_id("integration")
    notification_id = store.new_id("notification")
    record: Record = {"integrationId": integration_id, **definition}
    stamp_created(record, store.user_name(user_id), now)
    record.update(notificationId=notification_id, _owner=user_id, _schedule=None)
    record["_scheduleEnabled"] = False
    store.integrations[integration_id] = record
    store.notifications[notification_id] = {
        "notificationId": notification_id,
        "integrationIds": [integration_id],
        "channels": [],
        "config": [],
        "_explicit": False,
    }
    store.touch()
    return record


async def create_integration(call: Call) -> Response:
    """POST /integrations -> `{"integration": {"integrationId"}}`."""
    definition = validate.integration_body(await read_json(call.request), call.store)
    check_tenant_room(call.store)
    record = add_integration(call.store, definition, call.user_id, call.now)
    return ok({"integration": {"integrationId": record["integrationId"]}})


async def list_integrations(call: Call) -> Response:
    """GET /integrations with offset/limit/myIntegrations/sortBy and the tenant counters."""
    offset, limit = page_window(call)
    records = mine_and_sorted(call, list(call.store.integrations.values()))
    if call.request.query_params.get("sortBy", "name") not in ("name", "-name"):
        raise bad_request("sortBy")
    page, paging = paged(records, offset, limit)
    meta = {
        "paging": paging,
        "tenantCurrentCount": call.store.tenant_count(),
        "tenantMaxAllowed": TENANT_MAX_INTEGRATIONS,
    }
    items = [render.integration_summary(call.store, record) for record in page]
    return ok({"integrations": items, "meta": meta}, schema="integrations")


async def get_integration(call: Call) -> Response:
    """GET /integrations/{id}: the detail, without `integrationType` (contract §6.5)."""
    record = call.store.integration(call.param("integrationId"))
    return ok({"integration": render.integration_detail(call.store, record)}, schema="integration")


async def replace_integration(call: Call) -> Response:
    """PUT /integrations/{id}: the full definition; the answer is the bare envelope."""
    record = call.store.integration(call.param("integrationId"))
    definition = validate.integration_body(await read_json(call.request), call.store)
    if call.store.running_run(record["integrationId"]) is not None:
        raise conflict(ALREADY_RUNNING)
    record.update(definition)
    stamp_modified(record, call.user_name, call.now)
    call.store.touch()
    return ok()


async def delete_integration(call: Call) -> Response:
    """DELETE: 409 while running (live, §7.2) or while a flow refers to it."""
    integration_id = call.param("integrationId")
    record = call.store.integration(integration_id)
    if call.store.running_run(integration_id) is not None:
        raise conflict(ALREADY_RUNNING)
    if call.store.flows_referencing(integration_id):
        raise conflict(REFERENCED)
    notification = call.store.notifications.get(record.get("notificationId") or "")
    if notification is not None:
        del call.store.notifications[notification["notificationId"]]
    del call.store.integrations[integration_id]
    call.store.touch()
    return ok()


async def run_integration(call: Call) -> Response:
    """POST /integrations/{id}/run: any body or none (contract §2) -> `{"run": {"id"}}`."""
    integration = call.store.integration(call.param("integrationId"))
    if call.store.running_run(integration["integrationId"]) is not None:
        raise conflict(ALREADY_RUNNING)
    run = engine.start_run(call.store, integration, call.user_name, call.now, call.run_seconds)
    return ok({"run": {"id": run["id"]}})


async def cancel_integration(call: Call) -> Response:
    """POST /integrations/{id}/cancel: ends the running run as "Cancelled" (contract §2)."""
    integration_id = call.param("integrationId")
    call.store.integration(integration_id)
    run = call.store.running_run(integration_id)
    if run is None:
        raise ApiError(409, f"Integration {integration_id} is not in running state")
    engine.cancel_run(call.store, run, call.now)
    # The Apiary body; never observed live, so clients accept it or the bare envelope (§2).
    return JSONResponse(
        {"success": True, "message": {"integration_id": integration_id, "state": "cancelled"}}
    )
