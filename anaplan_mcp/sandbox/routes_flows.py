"""Integration flows: create, list, get, replace, delete and run (contract §4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.responses import Response
from starlette.routing import BaseRoute

from anaplan_mcp.sandbox import engine, render
from anaplan_mcp.sandbox.responses import bad_request, conflict, ok, read_json, step_timestamp
from anaplan_mcp.sandbox.routes_base import Call, mine_and_sorted, page_window, paged, route
from anaplan_mcp.sandbox.routes_integrations import ALREADY_RUNNING, check_tenant_room
from anaplan_mcp.sandbox.store import Record, stamp_created, stamp_modified
from anaplan_mcp.sandbox.validate_flows import flow_body

if TYPE_CHECKING:
    from datetime import datetime

    from anaplan_mcp.sandbox.app import Sandbox
    from anaplan_mcp.sandbox.store import Store

SCHEMA = "integrationflows"


def flow_routes(sandbox: Sandbox) -> list[BaseRoute]:
    """Routes under /2/0/integrationflows."""
    return [
        route(sandbox, "/integrationflows", create_flow, ["POST"]),
        route(sandbox, "/integrationflows", list_flows, ["GET"]),
        route(sandbox, "/integrationflows/{flowId}", get_flow, ["GET"]),
        route(sandbox, "/integrationflows/{flowId}", replace_flow, ["PUT"]),
        route(sandbox, "/integrationflows/{flowId}", delete_flow, ["DELETE"]),
        route(sandbox, "/integrationflows/{flowId}/run", run_flow, ["POST"]),
    ]


def add_flow(
    store: Store,
    definition: dict[str, Any],
    user_id: str,
    now: datetime,
    *,
    flow_id: str | None = None,
) -> Record:
    """Store a checked flow definition (used by the seed as well)."""
    flow: Record = {"id": flow_id or store.new_id("flow"), **definition, "notificationId": None}
    stamp_created(flow, store.user_name(user_id), now)
    flow.update(_owner=user_id, _latestRunId=None, _stepDate=step_timestamp(now))
    store.flows[flow["id"]] = flow
    store.touch()
    return flow


def _running(store: Store, flow: Record) -> bool:
    flow_run = store.flow_runs.get(flow.get("_latestRunId") or "")
    return flow_run is not None and flow_run["endDate"] is None


async def create_flow(call: Call) -> Response:
    """POST -> `{"integrationFlow": {"integrationFlowId"}}` (contract §4.3)."""
    definition = flow_body(await read_json(call.request), call.store)
    check_tenant_room(call.store)
    flow = add_flow(call.store, definition, call.user_id, call.now)
    return ok({"integrationFlow": {"integrationFlowId": flow["id"]}})


async def list_flows(call: Call) -> Response:
    """GET /integrationflows with offset/limit/myIntegrations (and the same sortBy)."""
    offset, limit = page_window(call)
    flows = mine_and_sorted(call, list(call.store.flows.values()))
    page, paging = paged(flows, offset, limit)
    items = [render.flow_summary(call.store, flow) for flow in page]
    return ok({"integrationFlows": items, "meta": {"paging": paging}}, schema=SCHEMA)


async def get_flow(call: Call) -> Response:
    """GET /integrationflows/{id}: steps with their latest runs (contract §4.2)."""
    flow = call.store.flow(call.param("flowId"))
    return ok({"integrationFlow": render.flow_detail(call.store, flow)}, schema=SCHEMA)


async def replace_flow(call: Call) -> Response:
    """PUT: the full body (no partial update), refused while the flow runs."""
    flow = call.store.flow(call.param("flowId"))
    definition = flow_body(await read_json(call.request), call.store)
    if _running(call.store, flow):
        raise conflict(ALREADY_RUNNING)
    flow.update(definition)
    stamp_modified(flow, call.user_name, call.now)
    call.store.touch()
    return ok()


async def delete_flow(call: Call) -> Response:
    """DELETE: keeps the step integrations; refused while the flow runs."""
    flow = call.store.flow(call.param("flowId"))
    if _running(call.store, flow):
        raise conflict(ALREADY_RUNNING)
    del call.store.flows[flow["id"]]
    call.store.touch()
    return ok()


async def run_flow(call: Call) -> Response:
    """POST .../run with optional `{"stepsToRun": [referrer, ...]}` (contract §4.1)."""
    flow = call.store.flow(call.param("flowId"))
    body = await read_json(call.request, required=False)
    steps_to_run = _steps_to_run(body, flow)
    if _running(call.store, flow):
        raise conflict(ALREADY_RUNNING)
    chosen = [
        step["referrer"]
        for step in flow["steps"]
        if not step["isSkipped"] and (steps_to_run is None or step["referrer"] in steps_to_run)
    ]
    if not chosen:
        raise bad_request("stepsToRun")
    if any(call.store.running_run(referrer) is not None for referrer in chosen):
        raise conflict(ALREADY_RUNNING)
    flow_run = engine.start_flow_run(
        call.store, flow, call.user_name, call.now, call.run_seconds, steps_to_run
    )
    return ok({"run": {"id": flow_run["id"]}})


def _steps_to_run(body: Any, flow: Record) -> list[str] | None:
    """Step ids are referrers (integration ids); an unknown one answers 400 (contract §4.3)."""
    if body is None or (isinstance(body, dict) and body.get("stepsToRun") is None):
        return None
    if not isinstance(body, dict):
        raise bad_request("Invalid request body")
    chosen = body["stepsToRun"]
    referrers = {step["referrer"] for step in flow["steps"]}
    if not isinstance(chosen, list) or any(
        not isinstance(item, str) or item not in referrers for item in chosen
    ):
        raise bad_request("stepsToRun")
    return list(chosen)
