"""Replaying the last days through the engine, so run records, errors and dumps agree."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from anaplan_mcp.sandbox import engine, seed_data
from anaplan_mcp.sandbox import seed_ids as ids
from anaplan_mcp.sandbox.dataplane import refresh_connection_status
from anaplan_mcp.sandbox.seed_data import SANDBOX_USER_ID
from anaplan_mcp.sandbox.store import Store


def run_past(store: Store, integration_id: str, at: datetime, trigger: str = "scheduled") -> None:
    integration = store.integrations[integration_id]
    user = store.user_name(integration["_owner"])
    engine.start_run(store, integration, user, at, 45, trigger_source=trigger)
    engine.settle(store, at + timedelta(seconds=45))


def seed_history(store: Store, today: datetime, now: datetime) -> None:
    """Replay the last days through the engine, so records, errors and dumps all agree."""
    daily = [
        (ids.SALES_IMPORT_ID, 2),
        (ids.FINANCE_EXPORT_ID, 3),
        (ids.NIGHTLY_PROCESS_ID, 1),
        (ids.SALES_EXPORT_ID, 4),
        (ids.GL_IMPORT_ID, 4),
        (ids.FORECAST_IMPORT_ID, 9),
    ]
    for days_ago in (20, 19, 18, 17, 16, 15):
        run_past(store, ids.FX_IMPORT_ID, today - timedelta(days=days_ago) + timedelta(hours=6))
    for days_ago in (12, 9):
        run_past(
            store, ids.PIPELINE_EXPORT_ID, today - timedelta(days=days_ago) + timedelta(hours=5)
        )
    for days_ago in range(7, 0, -1):
        day = today - timedelta(days=days_ago)
        if days_ago == 3:
            # The finance bucket's key is rotated; the stored connection keeps the old one.
            key = f"{ids.FINANCE_EXPORTS_ACCESS_KEY_ID}:{ids.FINANCE_EXPORTS_SECRET_ACCESS_KEY}"
            store.storage[f"s3:{ids.FINANCE_BUCKET}"]["credential"] = key
            refresh_connection_status(store, store.connections[ids.FINANCE_S3_CONNECTION_ID])
        if days_ago == 1:
            _corrupt_sales_file(store, (now - timedelta(days=1)).date())
        for integration_id, hour in daily:
            run_past(store, integration_id, day + timedelta(hours=hour))
        if days_ago in (7, 1):
            run_past(store, ids.PRODUCTS_IMPORT_ID, day + timedelta(hours=1, minutes=30))
            run_past(store, ids.HEADCOUNT_IMPORT_ID, day + timedelta(hours=7), trigger="manual")
            run_past(store, ids.CLOSE_PROCESS_ID, day + timedelta(hours=18))
        if days_ago in (6, 1):
            _run_flow(store, ids.WORKFORCE_FLOW_ID, day + timedelta(hours=5))
        if days_ago == 1:
            _run_flow(store, ids.PLANNING_FLOW_ID, day + timedelta(hours=3, minutes=30))
    process = store.integrations[ids.NIGHTLY_PROCESS_ID]
    started = now - timedelta(minutes=2)
    engine.start_run(
        store,
        process,
        store.user_name(SANDBOX_USER_ID),
        started,
        ids.RUNNING_PROCESS_SECONDS,
        trigger_source="manual",
    )


def _corrupt_sales_file(store: Store, day: Any) -> None:
    objects = store.storage[f"s3:{ids.SALES_BUCKET}"]["objects"]
    objects[ids.SALES_BAD_FILE] = seed_data.sales_rows(day, corrupted=True)
    objects[ids.SALES_CORRECTED_FILE] = seed_data.sales_rows(day, corrupted=False)


def _run_flow(store: Store, flow_id: str, at: datetime) -> None:
    flow = store.flows[flow_id]
    user = store.user_name(SANDBOX_USER_ID)
    engine.start_flow_run(store, flow, user, at, 45, None)
    engine.settle(store, at + timedelta(minutes=30))
