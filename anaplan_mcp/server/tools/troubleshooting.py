"""Troubleshooting toolset: diagnose a run in one call, find recent failures, read a dump."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context
from pydantic import Field

from anaplan_mcp.diagnosis.diagnose import DiagnosisInputError, Target, diagnose
from anaplan_mcp.diagnosis.dumpview import DumpInputError, read_failure_dump
from anaplan_mcp.diagnosis.report import Diagnosis, FailedRuns, FailureDump
from anaplan_mcp.diagnosis.scan import ScanInputError, find_failures
from anaplan_mcp.server.errors import InputError
from anaplan_mcp.server.registry import ToolSpec
from anaplan_mcp.server.state import app_state
from anaplan_mcp.server.tools.common import FlowId, IntegrationId, Limit, Offset, RunId

# A page of failed items stays a few thousand tokens. Past about 28 items (two reads each, three per
# group) its reads outgrow the scan's request budget, and the answer says what it left unread.
MAX_FAILED = 50
ActionId = Annotated[
    str,
    Field(pattern=r"^\d{1,20}$", description="Import action id of a process run (get_run_errors)."),
]


async def diagnose_integration(
    ctx: Context[Any, Any],
    integration_id: IntegrationId | None = None,
    integration_name: Annotated[
        str | None, Field(min_length=1, max_length=200, description="Name (case-insensitive).")
    ] = None,
    run_id: Annotated[
        RunId | None, Field(description="A run id; may narrow integration_id.")
    ] = None,
    flow_id: FlowId | None = None,
) -> Diagnosis:
    """Why did it fail, or not run? Give exactly one of integration_id, integration_name, run_id,
    flow_id: one call returns what happened, the cause, failing-row evidence, what changed, the fix
    and the next tool calls (latest failed or partly failed run unless run_id says otherwise)."""
    given = [
        name
        for name, value in (
            ("integration_id", integration_id),
            ("integration_name", integration_name),
            ("run_id", run_id),
            ("flow_id", flow_id),
        )
        if value is not None
    ]
    narrowing = given == ["integration_id", "run_id"]
    if len(given) != 1 and not narrowing:
        raise InputError(
            "diagnose_integration: give exactly one of integration_id, integration_name, run_id, "
            f"flow_id (run_id may narrow integration_id); got {len(given)}."
        )
    state = app_state(ctx)
    target = Target(integration_id, integration_name, run_id, flow_id)
    try:
        return await diagnose(state.client, target, now=state.now())
    except DiagnosisInputError as exc:
        raise InputError(str(exc)) from None


async def find_failed_runs(
    ctx: Context[Any, Any],
    hours: Annotated[float, Field(gt=0, le=24 * 31, description="Look back this many hours.")] = 24,
    include_partial: Annotated[
        bool, Field(description="Also list partly failed runs (rows rejected).")
    ] = True,
    group: Annotated[
        str | None, Field(pattern=r"^[a-z0-9-]{1,80}$", description="A group's key: its members.")
    ] = None,
    limit: Annotated[int, Field(ge=1, le=MAX_FAILED, description="Items per page.")] = 20,
    offset: Offset = 0,
) -> FailedRuns:
    """What failed, partly failed or did not run when scheduled in the last `hours`: shared
    causes as groups (count, cause, fix), then the other items, newest first."""
    state = app_state(ctx)
    try:
        return await find_failures(
            state.client,
            now=state.now(),
            hours=hours,
            include_partial=include_partial,
            group=group,
            limit=limit,
            offset=offset,
        )
    except ScanInputError as exc:
        raise InputError(str(exc)) from None


async def get_failure_dump(
    ctx: Context[Any, Any],
    run_id: RunId,
    action_id: ActionId | None = None,
    limit: Limit = 25,
    offset: Offset = 0,
) -> FailureDump:
    """The rows a run rejected (its failure dump), paged, with the error patterns of the whole
    dump. For a process run give the import's action_id (from get_run_errors)."""
    try:
        return await read_failure_dump(
            app_state(ctx).client, run_id, action_id=action_id, limit=limit, offset=offset
        )
    except DumpInputError as exc:
        raise InputError(str(exc)) from None


TOOLS = [
    ToolSpec(diagnose_integration, "runs", "read", "Diagnose a failed or missing run"),
    ToolSpec(find_failed_runs, "runs", "read", "Find failed runs"),
    ToolSpec(get_failure_dump, "runs", "read", "Failure dump rows"),
]
