"""Failures grouped by cause: hundreds of failures with one cause are one finding, not hundreds.

A group's key comes from facts the listings carry (see `failures.cause_key`): the reason a
schedule did not fire, or the runs' error code and the knowledge-base entry their message matches.

Which connection is behind a group cannot come from the listings: an integration list item has no
jobs (contract §12), and CloudWorks has no "integrations of this connection" request. Reading every
failed integration's definition would cost a request per failure, hundreds in a storm. So the key
stops at code and entry, and the connection is read from a few members only: at most EXAMPLES
definitions per group, whatever its size, spread over the group's time range (newest, middle,
oldest) so that a second connection failing under the same code is likelier to show. The group says
how many members were read, and the answer lists every connection the tenant shows invalid, so the
reader can tell one cause from two. The members' own pages (group=<key>) read each definition.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from anaplan_mcp.diagnosis.calls import connection_call
from anaplan_mcp.diagnosis.explain import connection_cause, connection_states, explain_cause
from anaplan_mcp.diagnosis.failures import (
    MISS_SHORT,
    Failure,
    cause_line,
    knowledge,
)
from anaplan_mcp.diagnosis.knowledge import KnowledgeEntry
from anaplan_mcp.diagnosis.report import ConnectionState, FailedGroup, NextCall, TenantText
from anaplan_mcp.diagnosis.schedules import MISS_FIXES
from anaplan_mcp.models import Connection, IntegrationDetail

# A cause shared by this many is a group. Fewer read as cheaply one by one as a group and the
# call that lists it, and each keeps its own run id and cause on the first page.
GROUP_AT = 5
EXAMPLES = 3
_RERUN = "Then run them again (ids: find_failed_runs with this group), or let their schedules."
_UNKNOWN_FIX = "Diagnose one member with diagnose_integration for its run's own messages."


def newest_first(failures: list[Failure]) -> list[Failure]:
    return sorted(failures, key=lambda f: (f.at, f.ident), reverse=True)


def group_failures(failures: list[Failure]) -> dict[str, list[Failure]]:
    """Causes shared by GROUP_AT or more failures, largest first; members newest first."""
    by_key: dict[str, list[Failure]] = {}
    for failure in newest_first(failures):
        by_key.setdefault(failure.key, []).append(failure)
    shared = [(key, members) for key, members in by_key.items() if len(members) >= GROUP_AT]
    shared.sort(key=lambda pair: (-len(pair[1]), -pair[1][0].at.timestamp(), pair[0]))
    return dict(shared)


def examples(members: list[Failure]) -> list[Failure]:
    """A few members spread from newest to oldest; integrations first (their definitions name
    the connection), flows when the group has nothing else."""
    pool = [m for m in members if not m.is_flow] or members
    if len(pool) <= EXAMPLES:
        return pool
    last = len(pool) - 1
    picks = sorted({round(index * last / (EXAMPLES - 1)) for index in range(EXAMPLES)})
    return [pool[index] for index in picks]


def needs_definitions(members: list[Failure]) -> bool:
    """Failed runs may be a connection's doing; only a definition says which connection."""
    return members[0].outcome == "failed"


def _broken(read: list[IntegrationDetail], connections: list[Connection]) -> list[ConnectionState]:
    """The invalid or deleted connections the read members use, most used first."""
    seen: dict[str, ConnectionState] = {}
    uses: Counter[str] = Counter()
    for detail in read:
        for state in connection_states(detail, connections):
            if not state.valid:
                seen.setdefault(state.connection_id, state)
                uses[state.connection_id] += 1
    return [seen[connection_id] for connection_id, _ in uses.most_common()]


def _connection_cause(broken: list[ConnectionState]) -> str:
    if len(broken) == 1:
        return f"failed: {connection_cause(broken[0]).line}"
    ids = ", ".join(state.connection_id for state in broken)
    return f"failed: connections {ids} are invalid or gone (see connections)"


def _update_calls(
    broken: list[ConnectionState], connections: list[Connection], entry: KnowledgeEntry | None
) -> list[NextCall]:
    by_id = {c.connection_id: c for c in connections}
    entries = [entry] if entry is not None else []
    found = (connection_call(s, by_id.get(s.connection_id), entries) for s in broken[:2])
    return [call for call in found if call is not None and call.tool == "update_connection"]


def build_group(
    key: str,
    members: list[Failure],
    details: Mapping[str, IntegrationDetail],
    connections: list[Connection],
    window: dict[str, Any],
) -> FailedGroup:
    """One group: its count, cause and fix once, a few examples and the calls that reach the rest.
    `details` are the definitions read (of the examples, at most); `window` the scan's arguments."""
    first = members[0]
    shown = examples(members)
    read = [details[m.ident] for m in shown if m.ident in details]
    broken = _broken(read, connections)
    run = first.run
    calls: list[NextCall] = []
    entry = knowledge(run) if run is not None else None
    if first.miss is not None:
        cause, fix = MISS_SHORT[first.miss], MISS_FIXES[first.miss]
    elif run is None:  # pragma: no cover - every run failure carries its run
        raise ValueError(f"group {key} has no run")
    elif broken:
        cause = _connection_cause(broken)
        fix = " ".join([*explain_cause("failed", run, None, broken, []).fixes, _RERUN])
        calls += _update_calls(broken, connections, entry)
    elif first.outcome == "partial_success":
        cause = f"partly failed: rows rejected (code {run.execution_error_code})"
        fix = " ".join(explain_cause("partial_success", run, None, [], []).fixes)
    else:
        cause = cause_line(run, None, connections)
        fix = " ".join(explain_cause("failed", run, None, [], []).fixes) or _UNKNOWN_FIX
    calls.append(
        NextCall(
            tool="find_failed_runs",
            arguments={**window, "group": key},
            why=f"its {len(members)} members, newest first",
        )
    )
    target = {"flow_id": first.ident} if first.is_flow else {"integration_id": first.ident}
    calls.append(NextCall(tool="diagnose_integration", arguments=target, why="one member in full"))
    messages = [run.message] if run is not None and first.outcome == "failed" else []
    return FailedGroup(
        group=key,
        count=len(members),
        outcome=first.outcome,
        error_code=run.execution_error_code if run is not None else None,
        kb=entry.id if entry is not None else None,
        cause=cause,
        read=len(read) if needs_definitions(members) else None,
        connections=broken,
        fix=fix,
        examples=[m.ident for m in shown],
        next_calls=calls,
        untrusted_data=TenantText(names={m.ident: m.name for m in shown}, messages=messages),
    )
