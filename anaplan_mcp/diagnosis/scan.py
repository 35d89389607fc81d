"""Finding what failed, partly failed or did not run in a time window, in a few round trips.

The integration and flow listings carry each one's latest run, so a tenant of 500 costs the
listing pages plus a history (and definition) read only for the few whose latest run is in
trouble or still going. Judged by the latest finished runs: an integration whose failure was
followed by a good run in the window is not listed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial

import anyio

from anaplan_mcp.cloudworks.client import CloudWorksClient
from anaplan_mcp.diagnosis.explain import (
    code_meaning,
    connection_states,
    row_counts,
    undocumented,
)
from anaplan_mcp.diagnosis.gather import DEFAULT_CONCURRENCY, Batch, Slot
from anaplan_mcp.diagnosis.knowledge import explain_connection_code, explain_run_message
from anaplan_mcp.diagnosis.report import FailedItem, FailedRuns, TenantText
from anaplan_mcp.diagnosis.schedules import missed_run
from anaplan_mcp.models import (
    Connection,
    FlowDetail,
    Integration,
    IntegrationDetail,
    RunHistory,
    RunRecord,
)
from anaplan_mcp.models.outcomes import kind_of, run_outcome, words

HISTORY_RUNS = 25
MISS_SHORT = {
    "disabled": "did not run: its schedule is disabled",
    "ended": "did not run: its schedule is past its end date",
    "still_running": "did not run: the previous run was still going",
    "maintenance": "did not run: the time fell in the weekly maintenance window",
    "unknown": "did not run when scheduled; no reason visible in the API",
}


def _wanted(run: RunRecord, since: datetime, include_partial: bool) -> bool:
    outcome = run_outcome(run)
    return run.start_date >= since and (
        outcome == "failed" or (include_partial and outcome == "partial_success")
    )


def _cause(run: RunRecord, detail: IntegrationDetail | None, connections: list[Connection]) -> str:
    if run_outcome(run) == "partial_success":
        counts = row_counts([run.message])
        rows = (
            f"{counts['failed']} of {counts['total']} rows rejected" if counts else "rows rejected"
        )
        return f"partly failed: {rows} (code 38)"
    if detail is not None:
        for state in connection_states(detail, connections):
            if state.deleted:
                return f"failed: connection {state.connection_id} no longer exists"
            if not state.valid:
                entry = explain_connection_code(state.error_code) if state.error_code else None
                title = entry.title if entry else f"integrationErrorCode {state.error_code}"
                return f"failed: connection {state.connection_id} is invalid ({title})"
    entry = explain_run_message(run.message)
    if entry is not None and entry.names_cause:
        return f"failed: {entry.title}"
    _, code_entry = code_meaning(run.execution_error_code)
    if code_entry is not None and not undocumented(code_entry):
        return f"failed: {code_entry.title}"
    return f"failed (code {run.execution_error_code}): cause unknown; message in untrusted_data"


async def find_failures(
    client: CloudWorksClient,
    *,
    now: datetime,
    hours: float = 24,
    include_partial: bool = True,
    concurrency: int = DEFAULT_CONCURRENCY,
) -> FailedRuns:
    since = now - timedelta(hours=hours)
    limiter = anyio.CapacityLimiter(max(1, concurrency))
    first = Batch(limiter)
    integrations_slot = first.add(client.list_integrations)
    flows_slot = first.add(client.list_flows)
    connections_slot = first.add(client.list_connections)
    await first.run()
    integrations, flows = integrations_slot.value, flows_slot.value
    connections = connections_slot.value

    items: list[FailedItem] = []
    second = Batch(limiter)
    histories: dict[str, tuple[Integration, Slot[RunHistory], Slot[IntegrationDetail] | None]] = {}
    for integration in integrations:
        latest = integration.latest_run
        names = TenantText(names={integration.integration_id: integration.name})
        if latest is not None and latest.start_date >= since:
            outcome = run_outcome(latest)
            troubled = outcome == "failed" or (include_partial and outcome == "partial_success")
            if troubled or outcome == "running":
                # The listing's latest run has no id, and a running one hides the run before it.
                ident = integration.integration_id
                history = second.add(partial(client.run_history, ident, limit=HISTORY_RUNS))
                detail = (
                    second.add(partial(client.get_integration, ident))
                    if outcome == "failed"
                    else None
                )
                histories[ident] = (integration, history, detail)
                continue
        missed = missed_run(integration.schedule, latest, now, since)
        # A miss with no visible reason is left out: schedule times and run times can differ
        # for reasons the API does not show, and a false alarm costs more than it tells.
        if missed is not None and missed[1] != "unknown":
            items.append(
                FailedItem(
                    kind=kind_of(integration.integration_type) or "import",
                    integration_id=integration.integration_id,
                    outcome="did_not_run",
                    due_at=missed[0],
                    cause=MISS_SHORT[missed[1]],
                    untrusted_data=names,
                )
            )
    troubled_flows: dict[str, Slot[FlowDetail]] = {}
    for flow in flows:
        run = flow.latest_run
        if run is None or run.start_date < since or run_outcome(run) == "running":
            continue
        if run_outcome(run) == "failed" or (
            include_partial and run_outcome(run) == "partial_success"
        ):
            troubled_flows[flow.id] = second.add(partial(client.get_flow, flow.id))
    await second.run()

    for ident, (integration, history, detail) in histories.items():
        runs = [r for r in history.value.runs if _wanted(r, since, include_partial)]
        if not runs:
            continue
        newest = runs[0]
        items.append(
            FailedItem(
                kind=kind_of(integration.integration_type) or "import",
                integration_id=ident,
                outcome=run_outcome(newest),
                started_at=newest.start_date,
                run_id=newest.id,
                runs_in_window=len(runs),
                cause=_cause(newest, detail.value if detail else None, connections),
                untrusted_data=TenantText(
                    names={ident: integration.name},
                    messages=[newest.message] if run_outcome(newest) == "failed" else [],
                ),
            )
        )
    for slot in troubled_flows.values():
        items.append(_flow_item(slot.value))
    items.sort(key=lambda item: item.at, reverse=True)
    return FailedRuns(
        since=since,
        now=now,
        items=items,
        checked={"integrations": len(integrations), "flows": len(flows)},
    )


def _flow_item(flow: FlowDetail) -> FailedItem:
    run = flow.latest_run
    assert run is not None
    end = run.end_date or run.start_date
    stopped = next(
        (
            (position, step)
            for position, step in enumerate(flow.steps, start=1)
            if step.latest_run is not None
            and run.start_date <= step.latest_run.start_date <= end
            and run_outcome(step.latest_run) in ("failed", "cancelled", "partial_success")
        ),
        None,
    )
    if stopped is None:
        cause = f"{words(run_outcome(run))}; no failed step found"
    else:
        position, step = stopped
        cause = (
            f"step {position} of {len(flow.steps)} (integration {step.referrer}) "
            f"{words(run_outcome(step.latest_run))}"  # type: ignore[arg-type]
        )
    return FailedItem(
        kind="flow",
        flow_id=flow.id,
        outcome=run_outcome(run),
        started_at=run.start_date,
        run_id=run.id,
        cause=cause,
        untrusted_data=TenantText(names={flow.id: flow.name}),
    )
