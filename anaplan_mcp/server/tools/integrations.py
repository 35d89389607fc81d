"""Integrations toolset: import, export and process integrations, and the Anaplan ids to build them.

Inputs are shaped for the model: a kind, a connection, a path or table, and the Anaplan action (and
file). The job type (AmazonS3ToAnaplan, AnaplanToGoogleBigQuery, ...) and the source/target objects
are derived here from the connection's type; the wire shapes stay in `anaplan_mcp.models`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import Context, ElicitationResult, Resolve
from pydantic import Field

from anaplan_mcp import limits
from anaplan_mcp.cloudworks.ops_models import OBJECT_KINDS
from anaplan_mcp.cloudworks.run_ids import with_latest_run_id
from anaplan_mcp.models import AnaplanModel, ModelObject
from anaplan_mcp.models._types import HEX_ID_PATTERN, MODEL_ID_PATTERN, NumericId, at_most
from anaplan_mcp.models.outcomes import Kind, LatestOutcome
from anaplan_mcp.server.audit import audit
from anaplan_mcp.server.errors import InputError
from anaplan_mcp.server.registry import ToolSpec
from anaplan_mcp.server.state import app_state
from anaplan_mcp.server.tools.common import (
    Confirm,
    Confirmation,
    ConnectionId,
    Done,
    IntegrationId,
    Offset,
    Page,
    confirm_integration,
    page_of,
    require_confirmation,
)
from anaplan_mcp.server.tools.integration_jobs import (
    ActionId,
    ColumnMap,
    Draft,
    FileId,
    JobSpec,
    Overwrite,
    Path,
    Table,
    create_drafts,
    integration_definition,
    merged_drafts,
    wire_job,
)
from anaplan_mcp.server.tools.integration_views import (
    JOB_FIELDS,
    IntegrationChange,
    IntegrationItem,
    IntegrationView,
    ModelObjects,
    ObjectRef,
    field_changes,
    integration_view,
    listed_items,
    object_refs,
)

# The largest page a model reads: 50 listed integrations are about 7,000 tokens (10,000 with long
# names and schedules), within what hosts accept from one tool result.
MAX_LISTED = 50
ListLimit = Annotated[int, Field(ge=1, le=MAX_LISTED, description="Items per page.")]
WorkspaceId = Annotated[
    str, Field(pattern=HEX_ID_PATTERN, description="Workspace id (from list_model_objects).")
]
ModelId = Annotated[
    str, Field(pattern=MODEL_ID_PATTERN, description="Model id (from list_model_objects).")
]


async def _connection_types(
    ctx: Context[Any, Any], tool: str, drafts: list[Draft]
) -> dict[str, str]:
    """Connection id -> type for the jobs' connections; an unknown one is refused by name."""
    known = {
        c.connection_id: str(c.connection_type)
        for c in await app_state(ctx).client.list_connections()
    }
    for draft in drafts:
        if draft.spec.connection_id not in known:
            raise InputError(
                f"{tool}: {draft.at}connection_id: connection {draft.spec.connection_id} "
                "not found; "
                "call list_connections for valid ids."
            )
    return known


async def list_integrations(
    ctx: Context[Any, Any],
    name: Annotated[
        str | None, Field(description="Part of the name (any case)."), at_most(limits.NAME_MAX)
    ] = None,
    kind: Kind | None = None,
    outcome: Annotated[
        LatestOutcome | None, Field(description="The latest run's outcome (never_ran: none).")
    ] = None,
    model_id: Annotated[str | None, Field(pattern=MODEL_ID_PATTERN)] = None,
    mine: Annotated[bool, Field(description="Only integrations I created.")] = False,
    limit: ListLimit = 25,
    offset: Offset = 0,
) -> Page[IntegrationItem]:
    """List integrations sorted by name, with kind, latest run (its id: get_run_history) and
    schedule. Filters combine."""
    integrations = await app_state(ctx).client.list_integrations(my_integrations=mine)
    items = listed_items(integrations)
    needle = name.casefold() if name else None
    items = [
        item
        for item in items
        if (needle is None or needle in item.name.casefold())
        and (kind is None or item.kind == kind)
        and (
            outcome is None
            or (item.latest_run.outcome if item.latest_run else "never_ran") == outcome
        )
        and (model_id is None or item.model_id == model_id)
    ]
    return page_of(items, offset, limit)


async def get_integration(ctx: Context[Any, Any], integration_id: IntegrationId) -> IntegrationView:
    """One integration: its jobs (connection, file or table, Anaplan action and file), schedule,
    latest run and notification id."""
    client = app_state(ctx).client
    detail = await client.get_integration(integration_id)
    latest = await with_latest_run_id(client, integration_id, detail.latest_run)
    return integration_view(detail.model_copy(update={"latest_run": latest}))


async def create_integration(
    ctx: Context[Any, Any],
    kind: Kind,
    name: Annotated[str, Field(min_length=1, description="Unique name."), at_most(limits.NAME_MAX)],
    workspace_id: WorkspaceId,
    model_id: ModelId,
    connection_id: ConnectionId | None = None,
    path: Path = None,
    table: Table = None,
    action_id: ActionId = None,
    file_id: FileId = None,
    overwrite: Overwrite = None,
    mapping: ColumnMap = None,
    process_id: Annotated[NumericId | None, Field(description="Process: its id (118...).")] = None,
    jobs: Annotated[
        list[JobSpec] | None, Field(min_length=1, description="Process: its jobs.")
    ] = None,
) -> IntegrationView:
    """Create an integration. import/export: one job of connection_id, path (S3/Azure) or table
    (BigQuery), action_id and, for imports, file_id. process: process_id and optional jobs of
    those fields. The job type follows from the connection. Ids: list_connections,
    list_model_objects."""
    tool = "create_integration"
    single = {
        "connection_id": connection_id,
        "path": path,
        "table": table,
        "action_id": action_id,
        "file_id": file_id,
        "overwrite": overwrite,
        "mapping": mapping,
    }
    drafts = create_drafts(tool, kind, single, process_id, jobs)
    types = await _connection_types(ctx, tool, drafts)
    for draft in drafts:
        draft.cloud = types[draft.spec.connection_id]
    wire_jobs = [wire_job(tool, draft) for draft in drafts]
    body: dict[str, Any] = {"name": name, "workspace_id": workspace_id, "model_id": model_id}
    if process_id is not None:
        body["process_id"] = process_id
    if wire_jobs:
        body["jobs"] = wire_jobs
    client = app_state(ctx).client
    integration_id = await client.create_integration(integration_definition(tool, body))
    audit(tool, "ok", integration_id=integration_id)
    return integration_view(await client.get_integration(integration_id))


async def update_integration(
    ctx: Context[Any, Any],
    integration_id: IntegrationId,
    name: Annotated[
        str | None, Field(min_length=1, description="New name."), at_most(limits.NAME_MAX)
    ] = None,
    connection_id: ConnectionId | None = None,
    path: Path = None,
    table: Table = None,
    action_id: ActionId = None,
    file_id: FileId = None,
    overwrite: Overwrite = None,
    mapping: ColumnMap = None,
    job_index: Annotated[int | None, Field(ge=0, description="Process: the job to change.")] = None,
) -> IntegrationChange:
    """Change the given fields of an integration, keeping the rest (e.g. path to point its job
    at a corrected file). Returns each changed field before and after."""
    tool = "update_integration"
    changes = {
        key: value
        for key, value in {
            "connection_id": connection_id,
            "path": path,
            "table": table,
            "action_id": action_id,
            "file_id": file_id,
            "overwrite": overwrite,
            "mapping": mapping,
        }.items()
        if value is not None
    }
    if name is None and not changes:
        raise InputError(
            f"{tool}: give at least one field to change: name, {', '.join(JOB_FIELDS)}."
        )
    if path is not None and table is not None:
        raise InputError(
            f"{tool}: path/table: give one (path for S3/Azure Blob, table for BigQuery)."
        )
    if job_index is not None and not changes:
        raise InputError(f"{tool}: job_index: only with job fields to change.")
    client = app_state(ctx).client
    detail = await client.get_integration(integration_id)
    before = integration_view(detail)
    drafts, changed = merged_drafts(tool, before.jobs, before.kind == "process", changes, job_index)
    if changed is not None and connection_id is not None:
        types = await _connection_types(ctx, tool, [drafts[changed]])
        drafts[changed].cloud = types[connection_id]
    wire_jobs = [wire_job(tool, draft) for draft in drafts]
    body: dict[str, Any] = {
        "name": name or detail.name,
        "workspace_id": detail.workspace_id,
        "model_id": detail.model_id,
        "nux_visible": detail.nux_visible,
    }
    if detail.process_id is not None:
        body["process_id"] = detail.process_id
    if wire_jobs:
        body["jobs"] = wire_jobs
    await client.update_integration(integration_id, integration_definition(tool, body))
    audit(tool, "ok", integration_id=integration_id)
    after = integration_view(await client.get_integration(integration_id))
    return IntegrationChange(integration_id=integration_id, changes=field_changes(before, after))


async def delete_integration(
    ctx: Context[Any, Any],
    integration_id: IntegrationId,
    answer: Annotated[ElicitationResult[Confirmation], Resolve(confirm_integration)],
    confirm: Confirm = None,
) -> Done:
    """Delete an integration with its schedule and notification config (refused while it runs
    or a flow uses it). Asks the user first."""
    require_confirmation(answer, "integration", integration_id)
    await app_state(ctx).client.delete_integration(integration_id)
    audit("delete_integration", "ok", integration_id=integration_id)
    return Done(done=f"deleted integration {integration_id}")


async def list_model_objects(
    ctx: Context[Any, Any],
    workspace_id: WorkspaceId | None = None,
    model_id: ModelId | None = None,
) -> ModelObjects:
    """The Anaplan ids an integration needs. No arguments: the workspaces and models you can
    reach. workspace_id: that workspace's models. Both: the model's imports (with the file each
    reads), exports, processes and files."""
    client = app_state(ctx).client
    if model_id is not None and workspace_id is None:
        raise InputError(
            "list_model_objects: model_id needs workspace_id (call it without arguments to see "
            "each model's workspace)."
        )
    if workspace_id is None:
        found = await _gather({"workspaces": client.list_workspaces, "models": client.list_models})
        return ModelObjects(
            workspaces=[ObjectRef(id=w.id, name=w.name) for w in found["workspaces"]],
            models=_models(found["models"]),
        )
    if model_id is None:
        return ModelObjects(models=_models(await client.list_models(workspace_id)))
    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        kind: functools.partial(client.list_model_objects, workspace_id, model_id, kind)
        for kind in OBJECT_KINDS
    }
    objects: dict[str, list[ModelObject]] = await _gather(calls)
    return ModelObjects(**{kind: object_refs(items) for kind, items in objects.items()})


async def _gather(calls: dict[str, Callable[[], Awaitable[Any]]]) -> dict[str, Any]:
    """Run the calls concurrently; their results by key."""
    results: dict[str, Any] = {}

    async def one(key: str) -> None:
        results[key] = await calls[key]()

    async with anyio.create_task_group() as group:
        for key in calls:
            group.start_soon(one, key)
    return results


def _models(models: list[AnaplanModel]) -> list[ObjectRef]:
    return [ObjectRef(id=m.id, name=m.name, workspace_id=m.current_workspace_id) for m in models]


TOOLS = [
    ToolSpec(list_integrations, "integrations", "read", "List integrations"),
    ToolSpec(get_integration, "integrations", "read", "Get an integration"),
    ToolSpec(create_integration, "integrations", "write", "Create an integration"),
    ToolSpec(update_integration, "integrations", "write", "Update an integration", True),
    ToolSpec(delete_integration, "integrations", "destructive", "Delete an integration"),
    ToolSpec(list_model_objects, "integrations", "read", "List Anaplan model objects"),
]
