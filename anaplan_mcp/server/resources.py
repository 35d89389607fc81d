"""MCP resources (`cloudworks://...`) and id completions.

Static resources cannot take a request context in the SDK, so the lifespan puts the `AppState` into a
`StateHolder` that belongs to one server and that these functions close over.
"""

from __future__ import annotations

import json
from typing import Any

import anyio
from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.types import (
    Completion,
    CompletionArgument,
    CompletionContext,
    PromptReference,
    ResourceTemplateReference,
)
from pydantic import BaseModel

from anaplan_mcp.cloudworks.errors import CloudWorksError
from anaplan_mcp.diagnosis.knowledge import render_guide
from anaplan_mcp.server.state import AppState, StateHolder

JSON = "application/json"
_MAX_COMPLETIONS = 100


def _json(value: BaseModel | list[BaseModel] | dict[str, Any]) -> str:
    def plain(item: Any) -> Any:
        return (
            item.model_dump(mode="json", exclude_none=True) if isinstance(item, BaseModel) else item
        )

    data = [plain(item) for item in value] if isinstance(value, list) else plain(value)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def register_resources(server: MCPServer, holder: StateHolder) -> None:
    """Register every `cloudworks://` resource and the id completions on `server`."""

    def state() -> AppState:
        return holder.get()

    async def read(call: Any) -> Any:
        try:
            return await call
        except CloudWorksError as exc:
            raise ResourceError(str(exc)) from None

    @server.resource("cloudworks://integrations", mime_type=JSON, title="Integrations")
    async def integrations() -> str:
        """Counts of every integration by kind and latest outcome, the first 50 by name, and
        where the rest is (list_integrations, cloudworks://integrations/{integration_id})."""
        # Every field of 500 integrations is ~100,000 tokens: more than a host takes at once.
        # Imported here: answering tools/list must not load the tool modules (catalogue.py).
        from anaplan_mcp.server.tools.integration_views import integrations_overview
        from anaplan_mcp.server.tools.integrations import MAX_LISTED

        listed = await read(state().client.list_integrations())
        return _json(integrations_overview(listed, first=MAX_LISTED))

    @server.resource(
        "cloudworks://integrations/{integration_id}", mime_type=JSON, title="Integration"
    )
    async def integration(integration_id: str) -> str:
        """One integration with its jobs, schedule and latest run."""
        from anaplan_mcp.server.tools.integration_views import integration_view

        return _json(integration_view(await read(state().client.get_integration(integration_id))))

    # Resources show what the tools show, in the same words (the views of the tool modules).
    @server.resource("cloudworks://connections", mime_type=JSON, title="Connections")
    async def connections() -> str:
        """Every connection and whether it is valid (secrets are never included)."""
        from anaplan_mcp.server.tools.connections import connection_view

        return _json([connection_view(c) for c in await read(state().client.list_connections())])

    @server.resource("cloudworks://flows", mime_type=JSON, title="Integration flows")
    async def flows() -> str:
        """Every integration flow with its latest run."""
        from anaplan_mcp.server.tools.flow_views import flow_summary

        return _json([flow_summary(f) for f in await read(state().client.list_flows())])

    @server.resource("cloudworks://flows/{flow_id}", mime_type=JSON, title="Integration flow")
    async def flow(flow_id: str) -> str:
        """One flow with its steps and their latest runs."""
        from anaplan_mcp.server.tools.flow_views import view

        return _json(view(await read(state().client.get_flow(flow_id))))

    @server.resource("cloudworks://runs/{run_id}", mime_type=JSON, title="Run")
    async def run(run_id: str) -> str:
        """One run's outcome and its failed actions' error lines."""
        from anaplan_mcp.server.tools.run_views import action_errors, run_report

        current = state()
        status = await read(current.client.run_status(run_id))
        errors = await read(current.client.run_errors(run_id))
        report = run_report(status, current.now())
        report.errors = action_errors(errors)
        return _json(report)

    @server.resource(
        "cloudworks://runs/{run_id}/dump{?action_id}", mime_type="text/csv", title="Failure dump"
    )
    async def dump(run_id: str, action_id: str = "") -> str:
        """The failing rows of a run as CSV (`action_id` for an import action inside a process)."""
        client = state().client
        data = await read(
            client.process_dump(run_id, action_id) if action_id else client.import_dump(run_id)
        )
        return bytes(data).decode("utf-8", errors="replace")

    @server.resource("cloudworks://guide", mime_type="text/markdown", title="CloudWorks guide")
    def guide() -> str:
        """How CloudWorks works for an assistant, and what each error code means."""
        return render_guide()

    @server.completion()
    async def complete(
        ref: PromptReference | ResourceTemplateReference,
        argument: CompletionArgument,
        context: CompletionContext | None,
    ) -> Completion | None:
        values = await _candidates(state(), argument.name)
        if values is None:
            return None
        typed = argument.value.lower()
        matches = [value for value in values if value.lower().startswith(typed)]
        return Completion(
            values=matches[:_MAX_COMPLETIONS],
            total=len(matches),
            has_more=len(matches) > _MAX_COMPLETIONS,
        )


async def _candidates(state: AppState, name: str) -> list[str] | None:
    client = state.client
    try:
        if name in ("integration_id", "integration"):
            items = await client.list_integrations()
            ids = [item.integration_id for item in items]
            return ids + [item.name for item in items] if name == "integration" else ids
        if name == "flow_id":
            return [item.id for item in await client.list_flows()]
        if name == "run_id":
            return await _recent_run_ids(state)
    except CloudWorksError:
        return []
    return None


_RECENT_INTEGRATIONS = 10


async def _recent_run_ids(state: AppState) -> list[str]:
    # The integration list carries no run ids (contract sheet §12), so take the run history of
    # the integrations that ran most recently, fetched concurrently.
    client = state.client
    ran = [item for item in await client.list_integrations() if item.latest_run is not None]
    ran.sort(key=lambda item: item.latest_run.start_date if item.latest_run else 0, reverse=True)
    found: list[str] = []

    async def history(integration_id: str) -> None:
        page = await client.run_history(integration_id, limit=5)
        found.extend(run.id for run in page.runs)

    async with anyio.create_task_group() as group:
        for item in ran[:_RECENT_INTEGRATIONS]:
            group.start_soon(history, item.integration_id)
    return found
