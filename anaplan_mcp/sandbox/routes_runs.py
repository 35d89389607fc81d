"""Run history, run status, run errors and failure dumps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import Response
from starlette.routing import BaseRoute

from anaplan_mcp.sandbox import render
from anaplan_mcp.sandbox.responses import ApiError, csv_response, ok
from anaplan_mcp.sandbox.routes_base import Call, page_window, paged, route

if TYPE_CHECKING:
    from anaplan_mcp.sandbox.app import Sandbox

NO_DUMP = "Your integration run was successful / no errors"


def run_routes(sandbox: Sandbox) -> list[BaseRoute]:
    """Routes under /2/0/integrations/runs, /run and /runerror.

    Only the plural `/dumps` is routed; the singular `/dump` falls through to the HTML 404
    of unknown paths, as on the live service (contract §3.1).
    """
    return [
        route(sandbox, "/integrations/runs/{integrationId}", run_history, ["GET"]),
        route(sandbox, "/integrations/run/{runId}", run_status, ["GET"]),
        route(sandbox, "/integrations/runerror/{runId}", run_errors, ["GET"]),
        route(sandbox, "/integrations/run/{runId}/dumps", import_dump, ["GET"]),
        route(
            sandbox,
            "/integrations/run/{runId}/process/import/{actionId}/dumps",
            process_dump,
            ["GET"],
        ),
    ]


async def run_history(call: Call) -> Response:
    """GET /integrations/runs/{id}: `history_of_runs` with the newest runs first (§5)."""
    integration = call.store.integration(call.param("integrationId"))
    offset, limit = page_window(call)
    runs = call.store.runs_of(integration["integrationId"])
    page, paging = paged(runs, offset, limit)
    history = {
        "integrationId": integration["integrationId"],
        "name": integration["name"],
        "integrationType": integration["integrationType"],
        "processId": integration.get("processId"),
        "version": integration["version"],
        "schedule": render.schedule(integration),
        "workspaceId": integration["workspaceId"],
        "modelId": integration["modelId"],
        **{key: integration[key] for key in render.VERSIONED},
        "status": 1,
        "notificationId": integration.get("notificationId"),
        "runs": [render.run_record(run) for run in page],
        "totalRuns": len(runs),
    }
    return ok({"history_of_runs": history, "meta": {"paging": paging}}, schema="runs")


async def run_status(call: Call) -> Response:
    """GET /integrations/run/{runId} (contract §6.1)."""
    run = call.store.run(call.param("runId"))
    return ok({"run": render.run_status(run)}, schema="run")


async def run_errors(call: Call) -> Response:
    """GET /integrations/runerror/{runId}: `runs` is an object, `{}` without errors (§6.3)."""
    run = call.store.run(call.param("runId"))
    errors = call.store.run_errors.get(run["id"], {})
    return ok({"runs": errors}, schema="runerror")


async def import_dump(call: Call) -> Response:
    """GET /integrations/run/{runId}/dumps: the CSV of an import run's rejected rows."""
    run = call.store.run(call.param("runId"))
    integration = call.store.integrations.get(run["integrationId"])
    dumps = call.store.dumps.get(run["id"], {})
    is_process = integration is not None and integration.get("processId")
    # A process run's dumps are served per import action by the process path (contract §3.2).
    if not dumps or is_process:
        raise ApiError(404, NO_DUMP)
    return csv_response(next(iter(dumps.values())))


async def process_dump(call: Call) -> Response:
    """GET /integrations/run/{runId}/process/import/{actionId}/dumps (contract §3.2)."""
    run = call.store.run(call.param("runId"))
    dump = call.store.dumps.get(run["id"], {}).get(call.param("actionId"))
    if dump is None:
        raise ApiError(404, NO_DUMP)
    return csv_response(dump)
