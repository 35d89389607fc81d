"""A failure storm: a shared connection's key rotates, and every integration on it fails.

The commonest bad night is not one failure but hundreds with one cause. `rotate_and_fail` turns
the seeded tenant (best grown with `seed_integrations`) into that night through the engine, so
run records, run errors and connection states agree as they would on a real tenant.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from anaplan_mcp.sandbox.dataplane import refresh_connection_status, storage_key
from anaplan_mcp.sandbox.seed_history import run_past
from anaplan_mcp.sandbox.store import Record, Store


def _uses(integration: Record, connection_id: str) -> bool:
    ends = [end for job in integration.get("jobs") or [] for end in job["sources"] + job["targets"]]
    return any(end.get("connectionId") == connection_id for end in ends)


def rotate_and_fail(
    store: Store, connection_id: str, at: datetime, *, spacing: timedelta = timedelta(seconds=5)
) -> list[str]:
    """Rotate the key of the connection's storage (the stored connection keeps the old one),
    then run every integration on it that is not running now, from `at` on, `spacing` apart.
    Returns the ids of the integrations run (each has failed once `at` + their runs are over)."""
    connection = store.connections[connection_id]
    store.storage[storage_key(connection)]["credential"] = f"rotated-at-{at.isoformat()}"
    refresh_connection_status(store, connection)
    chosen = [
        ident
        for ident, integration in sorted(store.integrations.items())
        if _uses(integration, connection_id) and store.running_run(ident) is None
    ]
    for index, ident in enumerate(chosen):
        run_past(store, ident, at + index * spacing)
    return chosen
