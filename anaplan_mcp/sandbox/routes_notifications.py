"""Notification configs: get, create (one per integration), replace, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import Response
from starlette.routing import BaseRoute

from anaplan_mcp.sandbox import render
from anaplan_mcp.sandbox.responses import bad_request, ok, read_json
from anaplan_mcp.sandbox.routes_base import Call, route
from anaplan_mcp.sandbox.store import Record
from anaplan_mcp.sandbox.validate_flows import notification_body

if TYPE_CHECKING:
    from anaplan_mcp.sandbox.app import Sandbox

DUPLICATE = "Duplicate resource name not allowed"
ONE_PATH = "/integrations/notification/{notificationId}"


def notification_routes(sandbox: Sandbox) -> list[BaseRoute]:
    """Routes under /2/0/integrations/notification."""
    return [
        route(sandbox, "/integrations/notification", create_notification, ["POST"]),
        route(sandbox, ONE_PATH, get_notification, ["GET"]),
        route(sandbox, ONE_PATH, replace_notification, ["PUT"]),
        route(sandbox, ONE_PATH, delete_notification, ["DELETE"]),
    ]


def _owner(call: Call, owner_id: str) -> Record:
    return call.store.integrations.get(owner_id) or call.store.flows[owner_id]


async def get_notification(call: Call) -> Response:
    """GET: the config under the key `notifications` (reference text)."""
    record = call.store.notification(call.param("notificationId"))
    body = {"notifications": render.notification(call.store, record)}
    return ok(body, schema="notification")


async def create_notification(call: Call) -> Response:
    """POST: fills the config auto-created with the integration; a second one is refused.

    Live, a second POST for the same integration answers 400 (Apiary says 500; contract §6.5).
    """
    fields = notification_body(await read_json(call.request), call.store)
    owner = _owner(call, fields["integrationIds"][0])
    existing = call.store.notifications.get(owner.get("notificationId") or "")
    if existing is not None and existing["_explicit"]:
        raise bad_request(DUPLICATE)
    notification_id = existing["notificationId"] if existing else call.store.new_id("notification")
    call.store.notifications[notification_id] = {
        "notificationId": notification_id,
        **fields,
        "_explicit": True,
    }
    owner["notificationId"] = notification_id
    call.store.touch()
    return ok({"notification": {"notificationId": notification_id}})


async def replace_notification(call: Call) -> Response:
    """PUT: the whole config; answers the bare envelope."""
    record = call.store.notification(call.param("notificationId"))
    fields = notification_body(await read_json(call.request), call.store)
    if fields["integrationIds"] != record["integrationIds"]:
        raise bad_request("integrationIds")
    record.update(fields, _explicit=True)
    call.store.touch()
    return ok()


async def delete_notification(call: Call) -> Response:
    """DELETE: the owner no longer names a notification config."""
    record = call.store.notification(call.param("notificationId"))
    for owner_id in record["integrationIds"]:
        owner = call.store.integrations.get(owner_id) or call.store.flows.get(owner_id)
        if owner is not None and owner.get("notificationId") == record["notificationId"]:
            owner["notificationId"] = None
    del call.store.notifications[record["notificationId"]]
    call.store.touch()
    return ok()
