"""The read-only part of the Anaplan Integration API v2: workspaces, models, actions, files, and
the signed-in user.

Served on the same port under /2/0/workspaces, /2/0/models and /2/0/users/me (contract §13).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from anaplan_mcp.sandbox.responses import not_found
from anaplan_mcp.sandbox.routes_base import Call, route
from anaplan_mcp.sandbox.seed_data import user_guid
from anaplan_mcp.sandbox.store import Record

if TYPE_CHECKING:
    from anaplan_mcp.sandbox.app import Sandbox

MODEL_PATH = "/workspaces/{workspaceId}/models/{modelId}"
SCHEMA_ROOT = "https://api.anaplan.com/2/0/objects/"


def model_routes(sandbox: Sandbox) -> list[BaseRoute]:
    """Routes of the Integration API's read-only listings."""
    routes: list[BaseRoute] = [
        route(sandbox, "/workspaces", list_workspaces, ["GET"]),
        route(sandbox, "/models", list_all_models, ["GET"]),
        route(sandbox, "/workspaces/{workspaceId}/models", list_workspace_models, ["GET"]),
        route(sandbox, "/users/me", get_me, ["GET"]),
    ]
    for kind in ("imports", "exports", "processes", "files"):
        routes.append(route(sandbox, f"{MODEL_PATH}/{kind}", list_model_objects, ["GET"]))
    return routes


SUCCESS = {"code": 200, "message": "Success."}


def _listing(key: str, items: list[Record], schema: str) -> JSONResponse:
    """The Integration API envelope: meta (paging, schema), status, then the plural key."""
    meta = {
        "paging": {"currentPageSize": len(items), "totalSize": len(items), "offset": 0},
        "schema": SCHEMA_ROOT + schema,
    }
    return JSONResponse({"meta": meta, "status": SUCCESS, key: items})


async def get_me(call: Call) -> Response:
    """GET /2/0/users/me: the user the token belongs to."""
    known = call.store.users.get(call.user_id, {})
    user = {
        "id": user_guid(call.user_id),
        "active": True,
        "email": call.user_id,  # sandbox user ids are their sign-in emails
        "emailOptIn": False,
        "firstName": known.get("firstName", ""),
        "lastName": known.get("lastName", ""),
        # They hold a live token, so they signed in no later than now.
        "lastLoginDate": call.now.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
    }
    return JSONResponse({"meta": {"schema": SCHEMA_ROOT + "user"}, "status": SUCCESS, "user": user})


def _model(record: Record, workspace: Record) -> Record:
    return {
        "id": record["id"],
        "activeState": "UNLOCKED",
        "name": record["name"],
        "currentWorkspaceId": workspace["id"],
        "currentWorkspaceName": workspace["name"],
        "modelUrl": f"https://us1a.app.anaplan.com/core/anaplan/{record['id']}",
        "categoryValues": [],
    }


async def list_workspaces(call: Call) -> Response:
    """GET /2/0/workspaces."""
    items = [
        {"id": w["id"], "name": w["name"], "active": True, "sizeAllowance": 1073741824}
        for w in call.store.workspaces.values()
    ]
    return _listing("workspaces", items, "workspace")


async def list_all_models(call: Call) -> Response:
    """GET /2/0/models: every model the user can reach."""
    items = [
        _model(model, call.store.workspaces[model["workspaceId"]])
        for model in call.store.models.values()
    ]
    return _listing("models", items, "model")


async def list_workspace_models(call: Call) -> Response:
    """GET /2/0/workspaces/{ws}/models."""
    workspace = call.store.workspaces.get(call.param("workspaceId"))
    if workspace is None:
        raise not_found()
    items = [
        _model(model, workspace)
        for model in call.store.models.values()
        if model["workspaceId"] == workspace["id"]
    ]
    return _listing("models", items, "model")


async def list_model_objects(call: Call) -> Response:
    """GET .../models/{m}/imports|exports|processes|files: ids and names (112/116/118/113)."""
    model = call.store.models.get(call.param("modelId"))
    if model is None or model["workspaceId"] != call.param("workspaceId"):
        raise not_found()
    kind = call.request.url.path.rsplit("/", 1)[-1]
    items = [_object(kind, record) for record in model[kind].values()]
    return _listing(kind, items, kind)


def _object(kind: str, record: Record) -> Record:
    item: Record = {"id": record["id"], "name": record["name"]}
    if kind == "imports":
        item.update(importDataSourceId=record["fileId"], importType="MODULE_DATA")
    elif kind == "exports":
        item.update(exportType="TABULAR_MULTI_COLUMN", exportFormat="text/csv", encoding="UTF-8")
    elif kind == "files":
        item.update(chunkCount=1, delimiter='"', encoding="UTF-8", firstDataRow=2, format="txt")
        item.update(headerRow=1, separator=",")
    return item
