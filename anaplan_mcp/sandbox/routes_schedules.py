"""Integration schedules: one per integration, stored and validated, never executed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import Response
from starlette.routing import BaseRoute

from anaplan_mcp.sandbox.responses import bad_request, not_found, ok, read_json
from anaplan_mcp.sandbox.routes_base import Call, route
from anaplan_mcp.sandbox.store import stamp_modified
from anaplan_mcp.sandbox.validate_schedules import schedule_request

if TYPE_CHECKING:
    from anaplan_mcp.sandbox.app import Sandbox

SCHEDULE_PATH = "/integrations/{integrationId}/schedule"


def schedule_routes(sandbox: Sandbox) -> list[BaseRoute]:
    """POST/PUT/DELETE .../schedule and POST .../schedule/status/{enabled|disabled}."""
    return [
        route(sandbox, SCHEDULE_PATH, create_schedule, ["POST"]),
        route(sandbox, SCHEDULE_PATH, replace_schedule, ["PUT"]),
        route(sandbox, SCHEDULE_PATH, delete_schedule, ["DELETE"]),
        route(sandbox, SCHEDULE_PATH + "/status/{status}", set_schedule_status, ["POST"]),
    ]


async def create_schedule(call: Call) -> Response:
    """POST: a second schedule is refused (reference error table); answers the bare envelope."""
    integration = call.store.integration(call.param("integrationId"))
    body = await read_json(call.request)
    schedule = schedule_request(body, integration["integrationId"], update=False)
    if integration["_schedule"] is not None:
        raise bad_request("Only a single schedule is supported per integration")
    integration.update(_schedule=schedule, _scheduleEnabled=True)
    stamp_modified(integration, call.user_name, call.now)
    call.store.touch()
    return ok()


async def replace_schedule(call: Call) -> Response:
    """PUT: needs `integrationId` in the body too (live quirk, contract §6.5)."""
    integration = call.store.integration(call.param("integrationId"))
    body = await read_json(call.request)
    schedule = schedule_request(body, integration["integrationId"], update=True)
    if integration["_schedule"] is None:
        raise not_found()
    integration["_schedule"] = schedule
    stamp_modified(integration, call.user_name, call.now)
    call.store.touch()
    return ok()


async def delete_schedule(call: Call) -> Response:
    """DELETE: 404 when there is none."""
    integration = call.store.integration(call.param("integrationId"))
    if integration["_schedule"] is None:
        raise not_found()
    integration.update(_schedule=None, _scheduleEnabled=False)
    stamp_modified(integration, call.user_name, call.now)
    call.store.touch()
    return ok()


async def set_schedule_status(call: Call) -> Response:
    """POST .../status/enabled|disabled -> `schedule.status` Active/Inactive (contract §6.5)."""
    integration = call.store.integration(call.param("integrationId"))
    status = call.param("status")
    if status not in ("enabled", "disabled"):
        raise bad_request("status")
    if integration["_schedule"] is None:
        raise not_found()
    integration["_scheduleEnabled"] = status == "enabled"
    stamp_modified(integration, call.user_name, call.now)
    call.store.touch()
    return ok()
