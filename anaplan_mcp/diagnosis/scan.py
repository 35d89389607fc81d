"""Finding what failed, partly failed or did not run in a time window, in requests that grow with
the answer, not with the tenant.

One listing of integrations, flows and connections finds every failure and keys it by cause
(failures.py); causes shared by several become groups (grouping.py). Then one round of reads,
under a per-call budget: a few definitions per group (for the connection behind it) and, for the
items of the page asked for, their run history (run id, runs in the window) and definition (the
connection) or flow detail. An integration running now costs one history read before that, since
its running run hides the one before it. A tenant of 500 whose every integration failed costs the
listing pages plus at most READ_BUDGET reads, and the answer says what the budget left out.
Judged by the latest finished runs: a failure followed by a good run in the window is not listed.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Hashable, Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TypeVar

import anyio

from anaplan_mcp.cloudworks.client import CloudWorksClient
from anaplan_mcp.diagnosis.failures import (
    Failure,
    failed_item,
    from_history,
    listed_failures,
)
from anaplan_mcp.diagnosis.gather import DEFAULT_CONCURRENCY, Batch, Budget, Slot
from anaplan_mcp.diagnosis.grouping import (
    build_group,
    examples,
    group_failures,
    needs_definitions,
    newest_first,
)
from anaplan_mcp.diagnosis.report import FailedRuns

K = TypeVar("K", bound=Hashable)

HISTORY_RUNS = 25
DEFAULT_LIMIT = 20
# Reads beyond the listings per call: a full default page (a history and a definition per item)
# plus a few definitions per group, and still far below what draws 429s from the service.
READ_BUDGET = 60


class ScanInputError(ValueError):
    """The arguments cannot be answered as given; the message names the argument."""


async def _read(
    limiter: anyio.CapacityLimiter,
    budget: Budget,
    calls: Mapping[K, Callable[[], Awaitable[Any]]],
) -> tuple[dict[K, Any], list[K]]:
    """The calls in one concurrent round, in order while the budget lasts: (results, not made)."""
    batch = Batch(limiter)
    slots: dict[K, Slot[Any]] = {}
    skipped: list[K] = []
    for key, call in calls.items():
        if budget.take():
            slots[key] = batch.add(call)
        else:
            skipped.append(key)
    await batch.run()
    return {key: slot.value for key, slot in slots.items()}, skipped


async def find_failures(
    client: CloudWorksClient,
    *,
    now: datetime,
    hours: float = 24,
    include_partial: bool = True,
    group: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    concurrency: int = DEFAULT_CONCURRENCY,
    budget: int = READ_BUDGET,
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
    reads = Budget(budget)
    left_out: list[str] = []

    failures, running = listed_failures(
        integrations, flows, since=since, now=now, include_partial=include_partial
    )
    by_id = {integration.integration_id: integration for integration in running}
    history_calls = {
        ident: partial(client.run_history, ident, limit=HISTORY_RUNS) for ident in by_id
    }
    histories, unread = await _read(limiter, reads, history_calls)
    for ident, history in histories.items():
        found = from_history(by_id[ident], history, since, include_partial)
        if found is not None:
            failures.append(found)
    if unread:
        left_out.append(
            f"{len(unread)} integrations running now were not checked for a failed run before "
            f"it (request budget {budget})"
        )

    groups = group_failures(failures)
    if group is not None and group not in groups:
        known = ", ".join(groups) or "none"
        raise ScanInputError(
            f"find_failed_runs: group: no group {group!r} in this window (groups now: {known})."
        )
    shown = [group] if group is not None else list(groups)
    view = (
        groups[group]
        if group is not None
        else newest_first([f for f in failures if f.key not in groups])
    )
    page = view[offset : offset + limit]

    calls = _group_reads(client, shown, groups) | _page_reads(client, page)
    got, skipped = await _read(limiter, reads, calls)
    details = {ident: value for (what, ident), value in got.items() if what == "definition"}
    window = {"hours": hours, "include_partial": include_partial}
    built = [build_group(key, groups[key], details, connections, window) for key in shown]
    items = [
        failed_item(
            failure,
            connections,
            history=got.get(("history", failure.ident)),
            detail=details.get(failure.ident),
            flow=got.get(("flow", failure.ident)),
            group_cause=built[0].cause if group is not None else None,
            since=since,
            include_partial=include_partial,
        )
        for failure in page
    ]
    left_out += _what_was_skipped(skipped, page, budget)
    following = offset + len(page)
    return FailedRuns(
        since=since,
        now=now,
        counts=dict(Counter(f.outcome for f in failures).most_common()),
        groups=built,
        items=items,
        total=len(view),
        next_offset=following if following < len(view) else None,
        invalid_connections=[c.connection_id for c in connections if c.status != 1],
        left_out=left_out,
        checked={"integrations": len(integrations), "flows": len(flows)},
    )


Calls = dict[tuple[str, str], Callable[[], Awaitable[Any]]]


def _group_reads(
    client: CloudWorksClient, shown: list[str], groups: dict[str, list[Failure]]
) -> Calls:
    """The definitions of a few members per group of failed runs: the connection behind it."""
    calls: Calls = {}
    for key in shown:
        if needs_definitions(groups[key]):
            for member in examples(groups[key]):
                if not member.is_flow:
                    ident = member.ident
                    calls[("definition", ident)] = partial(client.get_integration, ident)
    return calls


def _page_reads(client: CloudWorksClient, page: list[Failure]) -> Calls:
    """What the page's items need: a flow's steps; an integration's run history (unless read
    already) and, for a failed run, its definition (the connection)."""
    calls: Calls = {}
    for failure in page:
        ident = failure.ident
        if failure.is_flow:
            calls[("flow", ident)] = partial(client.get_flow, ident)
        elif failure.miss is None:
            if failure.runs_in_window is None:
                calls[("history", ident)] = partial(client.run_history, ident, limit=HISTORY_RUNS)
            if failure.outcome == "failed":
                calls[("definition", ident)] = partial(client.get_integration, ident)
    return calls


def _what_was_skipped(
    skipped: list[tuple[str, str]], page: list[Failure], budget: int
) -> list[str]:
    if not skipped:
        return []
    on_page = {failure.ident for failure in page}
    items = {ident for _, ident in skipped if ident in on_page}
    notes = []
    if items:
        notes.append(
            f"{len(items)} items of this page were not read in full (run_id, connection): "
            f"request budget {budget} reached; ask for a smaller limit"
        )
    if len(items) < len({ident for _, ident in skipped}):
        notes.append(f"some group members' definitions were not read (request budget {budget})")
    return notes
