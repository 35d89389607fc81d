"""Gathering the facts about one integration run: a few concurrent round trips.

Round 1 reads the definition, the run history and the connections together (plus the run's
errors when the run is already known); round 2 reads the errors and, for a partly failed import,
its dump at the same time; round 3 reads any dump only the errors could point at (a process's
import actions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

import anyio

from anaplan_mcp.cloudworks.client import CloudWorksClient
from anaplan_mcp.diagnosis.dumps import DumpAnalysis, analyse_dump, parse_dump
from anaplan_mcp.diagnosis.gather import Batch, Slot, optional
from anaplan_mcp.models import (
    Connection,
    IntegrationDetail,
    RunErrors,
    RunHistory,
    RunRecord,
    RunStatus,
)
from anaplan_mcp.models.outcomes import Kind, is_trouble, kind_of, run_outcome

HISTORY_RUNS = 25
DUMP_GROUPS = 5
DUMP_SAMPLES = 2
IMPORT_DUMP = "import"
_SAME_START = timedelta(seconds=2)


@dataclass
class Facts:
    """Everything known about an integration and the run being explained."""

    detail: IntegrationDetail
    history: RunHistory
    connections: list[Connection]
    run: RunRecord | RunStatus | None
    errors: RunErrors | None = None
    dumps: dict[str, DumpAnalysis] = field(default_factory=dict)

    @property
    def kind(self) -> Kind | None:
        return kind_of(self.detail.kind or self.history.integration_type)

    @property
    def last_good(self) -> RunRecord | None:
        """The newest fully successful run before the explained one."""
        before = self.run.start_date if self.run is not None else None
        return next(
            (
                r
                for r in self.history.runs
                if run_outcome(r) == "succeeded" and (before is None or r.start_date < before)
            ),
            None,
        )

    @property
    def later_runs(self) -> list[RunRecord]:
        if self.run is None:
            return []
        return [r for r in self.history.runs if r.start_date > self.run.start_date]


def _analyse(data: bytes) -> DumpAnalysis:
    return analyse_dump(parse_dump(data), max_groups=DUMP_GROUPS, samples_per_group=DUMP_SAMPLES)


def _pick(history: RunHistory, started: datetime | None) -> RunRecord | None:
    if started is not None:
        return next((r for r in history.runs if abs(r.start_date - started) <= _SAME_START), None)
    return next((r for r in history.runs if is_trouble(r)), None)


async def gather_facts(
    client: CloudWorksClient,
    integration_id: str,
    limiter: anyio.CapacityLimiter,
    *,
    status: RunStatus | None = None,
    started: datetime | None = None,
) -> Facts:
    """The facts for `status` (a known run), the run that started at `started` (a flow step),
    or else the latest failed or partly failed run."""
    first = Batch(limiter)
    detail = first.add(lambda: client.get_integration(integration_id))
    history = first.add(lambda: client.run_history(integration_id, limit=HISTORY_RUNS))
    connections = first.add(client.list_connections)
    errors: Slot[RunErrors] | None = None
    if status is not None and is_trouble(status):
        known = status.id
        errors = first.add(lambda: client.run_errors(known))
    await first.run()
    run: RunRecord | RunStatus | None = status or _pick(history.value, started)
    facts = Facts(detail.value, history.value, connections.value, run)
    if run is None or not is_trouble(run):
        return facts
    run_id = run.id
    second = Batch(limiter)
    import_dump: Slot[bytes | None] | None = None
    if errors is None:
        errors = second.add(lambda: client.run_errors(run_id))
        if facts.kind == "import" and run_outcome(run) == "partial_success":
            # The dump of a partly failed import is nearly certain: fetch it with the errors.
            import_dump = second.add(optional(lambda: client.import_dump(run_id)))
    await second.run()
    facts.errors = errors.value
    third = Batch(limiter)
    process_dumps: dict[str, Slot[bytes | None]] = {}
    if facts.kind == "process":
        for action_id in facts.errors.dump_action_ids:
            process_dumps[action_id] = third.add(
                optional(partial(client.process_dump, run_id, action_id))
            )
    elif import_dump is None and facts.errors.dump_action_ids:
        import_dump = third.add(optional(lambda: client.import_dump(run_id)))
    await third.run()
    if import_dump is not None and import_dump.value is not None:
        facts.dumps[IMPORT_DUMP] = _analyse(import_dump.value)
    for action_id, slot in process_dumps.items():
        if slot.value is not None:
            facts.dumps[action_id] = _analyse(slot.value)
    return facts
