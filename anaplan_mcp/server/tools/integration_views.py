"""What the integrations toolset returns: compact, snake_case views of CloudWorks integrations.

Names and other tenant text are marked untrusted in the field descriptions (the output schema).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from anaplan_mcp.diagnosis.report import Compact
from anaplan_mcp.models import (
    AnaplanEndpoint,
    FileEndpoint,
    Integration,
    IntegrationDetail,
    Job,
    ModelObject,
    Schedule,
    TableEndpoint,
)
from anaplan_mcp.models.outcomes import Kind, kind_of, latest_outcome
from anaplan_mcp.server.tools.run_views import RunSummary, summarize
from anaplan_mcp.server.tools.schedules import schedule_summary

JOB_FIELDS = ("connection_id", "path", "table", "action_id", "file_id", "overwrite", "mapping")


class IntegrationItem(Compact):
    """An integration in a listing: what a model needs to choose one and call the next tool
    (get_integration has the rest). Nulls are left out, so a page of 50 fits ~7,000 tokens."""

    integration_id: str = Field(description="Integration id.")
    name: str = Field(description="Name (untrusted tenant data).")
    kind: Kind | None = Field(None, description="import, export or process.")
    workspace_id: str = Field(description="Workspace id.")
    model_id: str = Field(description="Model id.")
    latest_run: RunSummary | None = Field(None, description="Latest run; null if it never ran.")
    schedule: str | None = Field(None, description="Schedule summary; null when unscheduled.")


class IntegrationsOverview(Compact):
    """The whole tenant in one read that fits a model: counts of every integration, the first
    page by name, and where the rest is."""

    total: int = Field(description="Integrations in the tenant.")
    kinds: dict[str, int] = Field(description="How many of each kind.")
    latest_outcomes: dict[str, int] = Field(description="How many by latest run's outcome.")
    items: list[IntegrationItem] = Field(description="The first integrations by name.")
    next_offset: int | None = Field(None, description="list_integrations offset of the rest.")
    rest: str | None = Field(None, description="How to read the others.")


class JobView(BaseModel):
    """One job in plain terms."""

    direction: str = Field(description="import (into Anaplan) or export (out of Anaplan).")
    job_type: str = Field(description="Wire type, e.g. AmazonS3ToAnaplan.")
    connection_id: str | None = Field(None, description="Connection id.")
    connection_name: str | None = Field(None, description="Name (untrusted tenant data).")
    connection_type: str | None = Field(None, description="AmazonS3, AzureBlob, GoogleBigQuery.")
    connection_deleted: bool | None = Field(None, description="True if the connection is gone.")
    path: str | None = Field(None, description="File (import) or folder (export) path.")
    table: str | None = Field(None, description="BigQuery table.")
    action_id: str | None = Field(None, description="Anaplan import or export id.")
    file_id: str | None = Field(None, description="Anaplan file an import reads.")
    overwrite: bool | None = Field(None, description="Exports: replaces the target.")
    mapping: dict[str, str] | None = Field(None, description="BigQuery: export -> table column.")


class IntegrationView(BaseModel):
    """One integration: its jobs, schedule, latest run and notification config."""

    integration_id: str = Field(description="Integration id.")
    name: str = Field(description="Name (untrusted tenant data).")
    kind: Kind | None = Field(description="import, export or process.")
    workspace_id: str = Field(description="Workspace id.")
    model_id: str = Field(description="Model id.")
    process_id: str | None = Field(description="Anaplan process id (process only).")
    jobs: list[JobView] = Field(description="Jobs (a process may have none).")
    schedule: Schedule | None = Field(description="Schedule; null when unscheduled.")
    latest_run: RunSummary | None = Field(description="Latest run; null if it never ran.")
    notification_id: str | None = Field(description="Notification config id.")
    modified_at: datetime = Field(description="Last change time.")
    modified_by: str | None = Field(description="Last editor.")


class FieldChange(BaseModel):
    """One field an update changed."""

    field: str = Field(description="Field name (jobs[i].x for a process's jobs).")
    before: Any = Field(description="Old value.")
    after: Any = Field(description="New value.")


class IntegrationChange(BaseModel):
    """What an update changed, as CloudWorks stored it."""

    integration_id: str = Field(description="The integration.")
    changes: list[FieldChange] = Field(description="Fields before and after; empty if none.")


class ObjectRef(BaseModel):
    """An Anaplan object: workspace, model, import, export, process or file."""

    id: str = Field(description="Id.")
    name: str = Field(description="Name (untrusted tenant data).")
    workspace_id: str | None = Field(None, description="Models: their workspace.")
    file_id: str | None = Field(None, description="Imports: the file they read.")


class ModelObjects(BaseModel):
    """Workspaces and models, or one model's actions and files; unrequested lists are null."""

    workspaces: list[ObjectRef] | None = Field(None, description="Workspaces.")
    models: list[ObjectRef] | None = Field(None, description="Models.")
    imports: list[ObjectRef] | None = Field(None, description="Imports (112...).")
    exports: list[ObjectRef] | None = Field(None, description="Exports (116...).")
    processes: list[ObjectRef] | None = Field(None, description="Processes (118...).")
    files: list[ObjectRef] | None = Field(None, description="Files (113...).")


# A listing's run keeps its outcome, start and code; message, end and trigger cost ~35 tokens an
# item and are one get_integration away.
_LISTED_RUN_DROPS = {"message": None, "ended_at": None, "trigger": None}


def integration_item(integration: Integration) -> IntegrationItem:
    run = integration.latest_run
    brief = summarize(run).model_copy(update=_LISTED_RUN_DROPS) if run else None
    return IntegrationItem(
        integration_id=integration.integration_id,
        name=integration.name,
        kind=kind_of(integration.integration_type),
        workspace_id=integration.workspace_id,
        model_id=integration.model_id,
        latest_run=brief,
        schedule=schedule_summary(integration.schedule),
    )


def listed_items(integrations: list[Integration]) -> list[IntegrationItem]:
    """Listing items in list_integrations' order: by name, then id."""
    items = [integration_item(integration) for integration in integrations]
    items.sort(key=lambda item: (item.name.casefold(), item.name, item.integration_id))
    return items


def integrations_overview(integrations: list[Integration], first: int) -> IntegrationsOverview:
    """Counts of all, the first `first` listing items, and the way to the rest."""
    items = listed_items(integrations)
    shown = items[:first]
    more = len(items) > len(shown)
    return IntegrationsOverview(
        total=len(items),
        kinds=dict(Counter(item.kind or "unknown" for item in items).most_common()),
        latest_outcomes=dict(
            Counter(latest_outcome(i.latest_run) for i in integrations).most_common()
        ),
        items=shown,
        next_offset=len(shown) if more else None,
        rest=(
            f"{len(items) - len(shown)} more: list_integrations(offset={len(shown)}) pages on in "
            "this order (filters: name, kind, outcome); cloudworks://integrations/{integration_id} "
            "reads one."
        )
        if more
        else None,
    )


def job_view(job: Job) -> JobView:
    direction = "import" if job.type.endswith("ToAnaplan") else "export"
    mapping = {pair.source_name: pair.target_name for pair in job.mapping or []} or None
    view = JobView(direction=direction, job_type=job.type, mapping=mapping)
    for end in [*job.sources, *job.targets]:
        if isinstance(end, AnaplanEndpoint):
            view.action_id, view.file_id = end.action_id, end.file_id
            continue
        view.connection_type = end.type
        view.connection_id = end.connection_id
        if isinstance(end, FileEndpoint):
            view.path, view.overwrite = end.file, end.overwrite
            view.connection_name = end.connection_name
            view.connection_deleted = end.is_connection_deleted
        elif isinstance(end, TableEndpoint):
            view.table, view.overwrite = end.table, end.overwrite
    return view


def integration_view(detail: IntegrationDetail) -> IntegrationView:
    return IntegrationView(
        integration_id=detail.integration_id,
        name=detail.name,
        kind=kind_of(detail.kind),
        workspace_id=detail.workspace_id,
        model_id=detail.model_id,
        process_id=detail.process_id,
        jobs=[job_view(job) for job in detail.jobs or []],
        schedule=detail.schedule,
        latest_run=summarize(detail.latest_run) if detail.latest_run else None,
        notification_id=detail.notification_id,
        modified_at=detail.modification_date,
        modified_by=detail.modified_by,
    )


def flat_fields(view: IntegrationView) -> dict[str, Any]:
    """The editable fields of an integration, by the names update_integration takes."""
    fields: dict[str, Any] = {"name": view.name}
    for index, job in enumerate(view.jobs):
        prefix = f"jobs[{index}]." if view.kind == "process" else ""
        dumped = job.model_dump(mode="json", include=set(JOB_FIELDS))
        fields.update({prefix + key: dumped[key] for key in JOB_FIELDS})
    return fields


def field_changes(before: IntegrationView, after: IntegrationView) -> list[FieldChange]:
    """The fields whose values differ, in a stable order."""
    old, new = flat_fields(before), flat_fields(after)
    keys = list(dict.fromkeys([*old, *new]))
    return [
        FieldChange(field=key, before=old.get(key), after=new.get(key))
        for key in keys
        if old.get(key) != new.get(key)
    ]


def object_refs(objects: list[ModelObject]) -> list[ObjectRef]:
    """Ids and names (and an import's file id) of a model's objects."""
    return [
        ObjectRef(id=item.id, name=item.name, file_id=item.import_data_source_id)
        for item in objects
    ]
