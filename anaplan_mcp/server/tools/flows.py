"""Flows toolset: integration flows, their ordered steps and their runs (contract sheet §4)."""

from __future__ import annotations

import functools
from typing import Annotated, Any

from mcp.server.mcpserver import Context, ElicitationResult, Resolve
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from anaplan_mcp import limits
from anaplan_mcp.cloudworks.errors import APIConnectionError, ServerError
from anaplan_mcp.cloudworks.run_ids import with_step_run_ids
from anaplan_mcp.cloudworks.waiting import wait_for_flow
from anaplan_mcp.models import FlowDetail, FlowInput, describe_validation_error
from anaplan_mcp.models._types import HexId, at_most
from anaplan_mcp.models.flows import Strategy
from anaplan_mcp.server.audit import audit
from anaplan_mcp.server.errors import InputError, unconfirmed_start
from anaplan_mcp.server.registry import ToolSpec
from anaplan_mcp.server.state import app_state
from anaplan_mcp.server.tools.common import (
    Confirm,
    Confirmation,
    Done,
    FlowId,
    IntegrationId,
    Limit,
    Offset,
    Page,
    confirm_flow,
    page_at,
    require_confirmation,
)
from anaplan_mcp.server.tools.flow_views import (
    FlowChange,
    FlowRunOutcome,
    FlowSummary,
    FlowView,
    flow_run_outcome,
    flow_summary,
    step_runs,
    strategies,
    view,
)
from anaplan_mcp.server.tools.run_views import follow_calls
from anaplan_mcp.server.tools.waits import TimeoutSeconds, Wait, follow


class StepSpec(BaseModel):
    """One step of a flow."""

    model_config = ConfigDict(extra="forbid")

    integration_id: IntegrationId
    depends_on: list[HexId] | None = Field(
        None, description="Integration ids of earlier steps to wait for; default the previous step."
    )
    skipped: bool | None = Field(None, description="Disable the step.")
    on_failure: Strategy | None = Field(None, description="If the step fails (default stop).")
    on_partial_success: Strategy | None = Field(
        None, description="If it partly succeeds (default continue)."
    )


Steps = Annotated[list[StepSpec], Field(min_length=2, description="Steps in run order.")]


def _definition(name: str, specs: list[StepSpec], current: FlowDetail | None) -> FlowInput:
    """The full flow body; unset step fields keep the current step's values (or the defaults)."""
    existing = {step.referrer: step for step in current.steps} if current else {}
    if sum(not (spec.skipped or False) for spec in specs) < 2:
        raise InputError("steps: at least two steps must be enabled (skipped false).")
    seen: list[str] = []
    steps: list[dict[str, Any]] = []
    for spec in specs:
        old = existing.get(spec.integration_id)
        strategy = strategies(old) if old else {"failure": "stop", "partial_success": "continue"}
        depends_on = spec.depends_on
        if depends_on is None and old and old.depends_on and set(old.depends_on) <= set(seen):
            depends_on = old.depends_on
        steps.append(
            {
                "referrer": spec.integration_id,
                "depends_on": depends_on,
                "is_skipped": bool(old and old.is_skipped)
                if spec.skipped is None
                else spec.skipped,
                "on_failure": spec.on_failure or strategy["failure"],
                "on_partial_success": spec.on_partial_success or strategy["partial_success"],
            }
        )
        seen.append(spec.integration_id)
    try:
        return FlowInput.model_validate({"name": name, "steps": steps})
    except ValidationError as exc:
        raise InputError(
            describe_validation_error(exc).replace("referrer", "integration_id")
        ) from None


async def list_flows(
    ctx: Context[Any, Any], limit: Limit = 25, offset: Offset = 0
) -> Page[FlowSummary]:
    """List integration flows with their step count and latest run."""
    page = await app_state(ctx).client.flows_page(offset=offset, limit=limit)
    items = [flow_summary(flow) for flow in page.items]
    return page_at(items, offset, page.meta.total_size)


async def get_flow(ctx: Context[Any, Any], flow_id: FlowId) -> FlowView:
    """A flow and its steps in order (skip flag, dependencies, failure handling), each with its
    latest run."""
    client = app_state(ctx).client
    flow = await client.get_flow(flow_id)
    return view(await with_step_run_ids(client, flow, of_flow_run=False))


async def create_flow(
    ctx: Context[Any, Any],
    name: Annotated[str, Field(min_length=1), at_most(limits.NAME_MAX)],
    steps: Steps,
) -> FlowView:
    """Create a flow that runs integrations in order (ids from list_integrations); at least two
    steps must be enabled."""
    definition = _definition(name, steps, None)
    client = app_state(ctx).client
    flow_id = await client.create_flow(definition)
    audit("create_flow", "ok", flow_id=flow_id)
    return view(await client.get_flow(flow_id))


async def update_flow(
    ctx: Context[Any, Any],
    flow_id: FlowId,
    name: Annotated[
        str | None, Field(min_length=1, description="New name."), at_most(limits.NAME_MAX)
    ] = None,
    steps: Annotated[
        list[StepSpec] | None,
        Field(
            min_length=2,
            description="The new step list in order; unset step fields keep their values.",
        ),
    ] = None,
) -> FlowChange:
    """Change a flow's name and/or steps (the rest is kept). Returns the flow before and after."""
    if name is None and steps is None:
        raise InputError("update_flow: give name, steps or both.")
    client = app_state(ctx).client
    current = await client.get_flow(flow_id)
    definition = _definition(
        name or current.name,
        steps or [StepSpec(integration_id=step.referrer) for step in current.steps],
        current,
    )
    await client.update_flow(flow_id, definition)
    audit("update_flow", "ok", flow_id=flow_id)
    after = await client.get_flow(flow_id)
    return FlowChange(flow_id=flow_id, before=view(current), after=view(after))


async def delete_flow(
    ctx: Context[Any, Any],
    flow_id: FlowId,
    answer: Annotated[ElicitationResult[Confirmation], Resolve(confirm_flow)],
    confirm: Confirm = None,
) -> Done:
    """Delete a flow (its integrations stay). Asks the user first."""
    require_confirmation(answer, "flow", flow_id)
    await app_state(ctx).client.delete_flow(flow_id)
    audit("delete_flow", "ok", flow_id=flow_id)
    return Done(done=f"deleted flow {flow_id}")


async def run_flow(
    ctx: Context[Any, Any],
    flow_id: FlowId,
    steps: Annotated[
        list[IntegrationId] | None,
        Field(min_length=1, description="Only these steps (integration ids), e.g. to resume."),
    ] = None,
    wait: Wait = False,
    timeout_seconds: TimeoutSeconds = None,
) -> FlowRunOutcome:
    """Run a flow's enabled steps, or some of them. With wait, return each step's outcome and
    why (skipped, not reached)."""
    state = app_state(ctx)
    flow = await state.client.get_flow(flow_id)
    referrers = [step.referrer for step in flow.steps]
    unknown = sorted(set(steps or []) - set(referrers))
    if unknown:
        raise InputError(
            f"steps: {', '.join(unknown)} are not steps of this flow; get_flow lists them."
        )
    enabled = [step.referrer for step in flow.steps if not step.is_skipped]
    chosen = [referrer for referrer in enabled if steps is None or referrer in steps]
    if not chosen:
        raise InputError("steps: every chosen step is disabled (skipped); choose an enabled step.")
    try:
        run_id = await state.client.run_flow(flow_id, steps)
    except (ServerError, APIConnectionError) as exc:
        check = f"call get_flow with flow_id='{flow_id}'"
        refusal = unconfirmed_start(exc, check=check, again="run_flow")
        if refusal is None:
            raise
        audit("run_flow", "unknown", flow_id=flow_id)
        raise refusal from None
    audit("run_flow", "ok", flow_id=flow_id, run_id=run_id)
    if not wait:
        return FlowRunOutcome(
            flow_id=flow_id,
            run_id=run_id,
            outcome="running",
            running_for_seconds=0,
            steps_to_run=chosen,
            next_calls=follow_calls(run_id, flow_id=flow_id),
        )

    def describe(current: FlowDetail) -> str:
        steps = step_runs(current, set(chosen), state.now())
        ended = [s for s in steps if s.run and s.run.ended_at]
        return f"flow run {run_id}: {len(ended)} of {len(chosen)} steps done"

    before = flow.latest_run.start_date if flow.latest_run else None
    wait_for = functools.partial(wait_for_flow, after=before)
    waited = await follow(
        ctx, wait_for, flow_id, run_id, timeout_seconds=timeout_seconds, describe=describe
    )
    final = waited.done or waited.last or await state.client.get_flow(flow_id)
    latest = final.latest_run
    if latest is not None and latest.id != run_id:
        # The detail may leave the flow run id out (contract sheet §4.2), and then the latest
        # run is the one just started; another id is an earlier run: this one is not shown yet.
        newer = before is None or latest.start_date > before
        shown = latest.model_copy(update={"id": run_id}) if latest.id is None and newer else None
        final = final.model_copy(update={"latest_run": shown})
    outcome = flow_run_outcome(
        await with_step_run_ids(state.client, final), run_id, state.now(), chosen
    )
    if waited.done is None:
        outcome.message = f"still running after the {waited.limit:g} s wait"
    return outcome


TOOLS = [
    ToolSpec(list_flows, "flows", "read", "List flows"),
    ToolSpec(get_flow, "flows", "read", "Get a flow"),
    ToolSpec(create_flow, "flows", "write", "Create a flow"),
    ToolSpec(update_flow, "flows", "write", "Update a flow", idempotent=True),
    ToolSpec(delete_flow, "flows", "destructive", "Delete a flow"),
    ToolSpec(run_flow, "flows", "write", "Run a flow", destructive_effect=True),
]
