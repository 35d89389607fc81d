"""Integrations toolset: import, export and process integrations, and the Anaplan ids to build them.

Inputs are shaped for the model: a kind, a connection, a path or table, and the Anaplan action (and
file). The job type (AmazonS3ToAnaplan, AnaplanToGoogleBigQuery, ...) and the source/target objects
are derived here from the connection's type; the wire shapes stay in `anaplan_mcp.models`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import anyio
from mcp.server.mcpserver import Context, ElicitationResult, Resolve
from pydantic import Field

from anaplan_mcp.models import ModelObject
from anaplan_mcp.models._types import HEX_ID_PATTERN, MODEL_ID_PATTERN, NumericId
from anaplan_mcp.models.jobs import PROCESS_PREFIX
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
    Limit,
    Offset,
    Page,
    confirm_integration,
    page_of,
    require_confirmation,
)
from anaplan_mcp.server.tools.integration_jobs import (
    CLOUD_TYPES,
    ActionId,
    ColumnMap,
    FileId,
    JobSpec,
    Overwrite,
    Path,
    Table,
    check_job,
    integration_definition,
    is_import,
    job_spec,
    wire_job,
)
from anaplan_mcp.server.tools.integration_views import (
    JOB_FIELDS,
    IntegrationChange,
    IntegrationItem,
    IntegrationView,
    JobView,
    ModelObjects,
    ObjectRef,
    RunState,
    field_changes,
    integration_item,
    integration_view,
    object_refs,
)

Kind = Literal["import", "export", "process"]
WorkspaceId = Annotated[
    str, Field(pattern=HEX_ID_PATTERN, description="Workspace id (from list_model_objects).")
]
ModelId = Annotated[
    str, Field(pattern=MODEL_ID_PATTERN, description="Model id (from list_model_objects).")
]


async def _connection_types(
    ctx: Context[Any, Any], tool: str, jobs: list[tuple[str, JobSpec]]
) -> dict[str, str]:
    """Connection id -> type for the jobs' connections; an unknown one is refused by name."""
    known = {
        c.connection_id: str(c.connection_type)
        for c in await app_state(ctx).client.list_connections()
    }
    for at, job in jobs:
        if job.connection_id not in known:
            raise InputError(
                f"{tool}: {at}connection_id: connection {job.connection_id} not found; "
                "call list_connections for valid ids."
            )
    return known


async def list_integrations(
    ctx: Context[Any, Any],
    name: Annotated[str | None, Field(description="Part of the name (any case).")] = None,
    kind: Annotated[Kind | None, Field(description="import, export or process.")] = None,
    last_run: Annotated[RunState | None, Field(description="Outcome of the latest run.")] = None,
    model_id: Annotated[
        str | None, Field(pattern=MODEL_ID_PATTERN, description="Model id.")
    ] = None,
    mine: Annotated[bool, Field(description="Only integrations I created.")] = False,
    limit: Limit = 25,
    offset: Offset = 0,
) -> Page[IntegrationItem]:
    """List integrations by name with their kind, latest run (succeeded, partly_failed, failed,
    running, never), schedule and notification id. Filters combine."""
    integrations = await app_state(ctx).client.list_integrations(my_integrations=mine)
    items = [integration_item(integration) for integration in integrations]
    needle = name.casefold() if name else None
    items = [
        item
        for item in items
        if (needle is None or needle in item.name.casefold())
        and (kind is None or item.kind == kind)
        and (last_run is None or item.last_run_state == last_run)
        and (model_id is None or item.model_id == model_id)
    ]
    items.sort(key=lambda item: (item.name.casefold(), item.name, item.integration_id))
    return page_of(items, offset, limit)


async def get_integration(ctx: Context[Any, Any], integration_id: IntegrationId) -> IntegrationView:
    """One integration: its jobs (connection, file or table, Anaplan action and file), schedule,
    latest run and notification id."""
    return integration_view(await app_state(ctx).client.get_integration(integration_id))


async def create_integration(
    ctx: Context[Any, Any],
    kind: Annotated[Kind, Field(description="import, export or process.")],
    name: Annotated[str, Field(min_length=1, description="Unique integration name.")],
    workspace_id: WorkspaceId,
    model_id: ModelId,
    connection_id: ConnectionId | None = None,
    path: Path = None,
    table: Table = None,
    action_id: ActionId = None,
    file_id: FileId = None,
    overwrite: Overwrite = None,
    mapping: ColumnMap = None,
    process_id: Annotated[NumericId | None, Field(description="Process id (118...).")] = None,
    jobs: Annotated[
        list[JobSpec] | None, Field(min_length=1, description="Process: its file-based actions.")
    ] = None,
) -> IntegrationView:
    """Create an integration. import/export: one job from connection_id, path (S3/Azure file)
    or table (BigQuery), action_id (import 112... / export 116...) and, for imports, file_id
    (113...). process: process_id (118...) and optional jobs of the same fields. The job type
    follows from the connection. Ids: list_connections and list_model_objects."""
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
    given = [key for key, value in single.items() if value is not None]
    if kind == "process":
        errors = [f"{key}: for a process, put it in jobs" for key in given]
        if process_id is None:
            errors.append("process_id: required for a process (118...)")
        elif not process_id.startswith(PROCESS_PREFIX):
            errors.append("process_id: expected a process id (118...)")
        if errors:
            raise InputError(f"{tool}: " + "; ".join(errors))
        specs = [(f"jobs[{index}].", job) for index, job in enumerate(jobs or [])]
        directions = [is_import(tool, job, at) for at, job in specs]
    else:
        errors = [f"{key}: required for an {kind}" for key in ("connection_id", "action_id")]
        errors = [error for error in errors if single[error.split(":")[0]] is None]
        if process_id is not None:
            errors.append("process_id: only for kind process")
        if jobs is not None:
            errors.append("jobs: only for kind process (give the job fields directly)")
        if errors:
            raise InputError(f"{tool}: " + "; ".join(errors))
        specs = [
            ("", job_spec(tool, {key: value for key, value in single.items() if value is not None}))
        ]
        directions = [kind == "import"]
    for (at, job), imports in zip(specs, directions, strict=True):
        check_job(tool, job, imports, at)
    types = await _connection_types(ctx, tool, specs)
    wire_jobs = [
        wire_job(tool, job, imports, types[job.connection_id], at)
        for (at, job), imports in zip(specs, directions, strict=True)
    ]
    body: dict[str, Any] = {"name": name, "workspace_id": workspace_id, "model_id": model_id}
    if process_id is not None:
        body["process_id"] = process_id
    if wire_jobs:
        body["jobs"] = wire_jobs
    client = app_state(ctx).client
    integration_id = await client.create_integration(integration_definition(tool, body))
    audit(tool, "ok", integration_id=integration_id)
    return integration_view(await client.get_integration(integration_id))


def _spec_of(tool: str, job: JobView, at: str) -> dict[str, Any]:
    if job.connection_type not in CLOUD_TYPES or job.action_id is None:
        raise InputError(f"{tool}: {at}: job type {job.job_type} cannot be edited by this server.")
    return job.model_dump(include=set(JOB_FIELDS), exclude_none=True)


async def update_integration(
    ctx: Context[Any, Any],
    integration_id: IntegrationId,
    name: Annotated[str | None, Field(min_length=1, description="New name.")] = None,
    connection_id: ConnectionId | None = None,
    path: Path = None,
    table: Table = None,
    action_id: ActionId = None,
    file_id: FileId = None,
    overwrite: Overwrite = None,
    mapping: ColumnMap = None,
    job_index: Annotated[
        int | None, Field(ge=0, description="Process: which job (0-based) the job fields change.")
    ] = None,
) -> IntegrationChange:
    """Change some fields of an integration (only those given; the rest is kept), e.g. point
    its job at a corrected file with path. Returns each changed field before and after."""
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
    process = before.kind == "process"
    at_of = [f"jobs[{index}]." if process else "" for index in range(len(before.jobs))]
    fields = [_spec_of(tool, job, at) for job, at in zip(before.jobs, at_of, strict=True)]
    kinds = [str(job.connection_type) for job in before.jobs]
    if changes:
        index = _job_to_change(tool, len(fields), job_index)
        fields[index].update(changes)
        if path is not None or table is not None:
            fields[index].pop("table" if path is not None else "path", None)
        if mapping is None and "table" not in fields[index]:
            fields[index].pop("mapping", None)  # a file target takes no column mapping
        if connection_id is not None:
            spec = job_spec(tool, fields[index])
            kinds[index] = (await _connection_types(ctx, tool, [(at_of[index], spec)]))[
                connection_id
            ]
    wire_jobs = []
    for job, spec_fields, kind, at in zip(before.jobs, fields, kinds, at_of, strict=True):
        spec = job_spec(tool, spec_fields)
        check_job(tool, spec, job.direction == "import", at)
        wire_jobs.append(wire_job(tool, spec, job.direction == "import", kind, at))
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


def _job_to_change(tool: str, count: int, job_index: int | None) -> int:
    if count == 0:
        raise InputError(f"{tool}: this integration has no jobs to change.")
    if job_index is None and count > 1:
        raise InputError(
            f"{tool}: job_index: required: this process has {count} jobs (0-{count - 1})."
        )
    index = job_index or 0
    if index >= count:
        raise InputError(f"{tool}: job_index: expected 0-{count - 1}.")
    return index


async def delete_integration(
    ctx: Context[Any, Any],
    integration_id: IntegrationId,
    answer: Annotated[ElicitationResult[Confirmation], Resolve(confirm_integration)],
    confirm: Confirm = None,
) -> Done:
    """Delete an integration with its schedule and notification config (refused while it runs
    or a flow uses it). Asks the user first; without a way to ask, pass confirm equal to the id."""
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
        async with anyio.create_task_group() as group:
            found: dict[str, Any] = {}

            async def fetch(key: str, call: Any) -> None:
                found[key] = await call()

            group.start_soon(fetch, "workspaces", client.list_workspaces)
            group.start_soon(fetch, "models", client.list_models)
        return ModelObjects(
            workspaces=[ObjectRef(id=w.id, name=w.name) for w in found["workspaces"]],
            models=_models(found["models"]),
        )
    if model_id is None:
        return ModelObjects(models=_models(await client.list_models(workspace_id)))
    objects: dict[str, list[ModelObject]] = {}

    async def fetch_kind(kind: Any) -> None:
        objects[kind] = await client.list_model_objects(workspace_id, model_id, kind)

    async with anyio.create_task_group() as group:
        for kind in ("imports", "exports", "processes", "files"):
            group.start_soon(fetch_kind, kind)
    return ModelObjects(**{kind: object_refs(items) for kind, items in objects.items()})


def _models(models: list[Any]) -> list[ObjectRef]:
    return [ObjectRef(id=m.id, name=m.name, workspace_id=m.current_workspace_id) for m in models]


TOOLS = [
    ToolSpec(list_integrations, "integrations", "read", "List integrations"),
    ToolSpec(get_integration, "integrations", "read", "Get an integration"),
    ToolSpec(create_integration, "integrations", "write", "Create an integration"),
    ToolSpec(update_integration, "integrations", "write", "Update an integration", True),
    ToolSpec(delete_integration, "integrations", "destructive", "Delete an integration"),
    ToolSpec(list_model_objects, "integrations", "read", "List Anaplan model objects"),
]
