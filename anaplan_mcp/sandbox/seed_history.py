"""Replaying the last days through the engine, so run records, errors and dumps agree."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from anaplan_mcp.sandbox import engine, seed_data
from anaplan_mcp.sandbox import seed_ids as ids
from anaplan_mcp.sandbox.dataplane import refresh_connection_status
from anaplan_mcp.sandbox.seed_data import SANDBOX_USER_ID
from anaplan_mcp.sandbox.store import Store

RUN_TIME = timedelta(seconds=45)
FLOW_TIME = timedelta(minutes=30)
# The nightly sales import starts at 02:00; "last night" is the latest night it has finished.
_SALES_HOUR = 2


def run_past(store: Store, integration_id: str, at: datetime, trigger: str = "scheduled") -> None:
    integration = store.integrations[integration_id]
    user = store.user_name(integration["_owner"])
    engine.start_run(store, integration, user, at, RUN_TIME.seconds, trigger_source=trigger)
    engine.settle(store, at + RUN_TIME)


def seed_history(store: Store, today: datetime, now: datetime) -> None:
    """Replay the last week up to `now` through the engine, so records, errors and dumps agree.

    The week ends with the latest night whose 02:00 sales import is over, so "last night's" failed
    load is a day old at most, whatever the clock says; runs that would not be over by `now` are left
    out.
    """
    sales_over = today + timedelta(hours=_SALES_HOUR) + RUN_TIME
    last_night = today if now >= sales_over else today - timedelta(days=1)

    def replay(integration_id: str, at: datetime, trigger: str = "scheduled") -> None:
        if at + RUN_TIME <= now:
            run_past(store, integration_id, at, trigger)

    def replay_flow(flow_id: str, at: datetime) -> None:
        if at + FLOW_TIME <= now:
            _run_flow(store, flow_id, at)

    daily = [
        (ids.SALES_IMPORT_ID, _SALES_HOUR),
        (ids.FINANCE_EXPORT_ID, 3),
        (ids.NIGHTLY_PROCESS_ID, 1),
        (ids.SALES_EXPORT_ID, 4),
        (ids.GL_IMPORT_ID, 4),
        (ids.FORECAST_IMPORT_ID, 9),
    ]
    for days_ago in (20, 19, 18, 17, 16, 15):
        replay(ids.FX_IMPORT_ID, today - timedelta(days=days_ago) + timedelta(hours=6))
    for days_ago in (12, 9):
        replay(ids.PIPELINE_EXPORT_ID, today - timedelta(days=days_ago) + timedelta(hours=5))
    for nights_ago in range(6, -1, -1):
        day = last_night - timedelta(days=nights_ago)
        if nights_ago == 2:
            # The finance bucket's key is rotated; the stored connection keeps the old one.
            key = f"{ids.FINANCE_EXPORTS_ACCESS_KEY_ID}:{ids.FINANCE_EXPORTS_SECRET_ACCESS_KEY}"
            store.storage[f"s3:{ids.FINANCE_BUCKET}"]["credential"] = key
            refresh_connection_status(store, store.connections[ids.FINANCE_S3_CONNECTION_ID])
        if nights_ago == 0:
            _corrupt_sales_file(store, (day - timedelta(days=1)).date())
        for integration_id, hour in daily:
            replay(integration_id, day + timedelta(hours=hour))
        if nights_ago in (6, 0):
            replay(ids.PRODUCTS_IMPORT_ID, day + timedelta(hours=1, minutes=30))
            replay(ids.HEADCOUNT_IMPORT_ID, day + timedelta(hours=7), trigger="manual")
            replay(ids.CLOSE_PROCESS_ID, day - timedelta(hours=6))  # 18:00 the evening before
        if nights_ago in (5, 0):
            replay_flow(ids.WORKFORCE_FLOW_ID, day + timedelta(hours=5))
        if nights_ago == 0:
            replay_flow(ids.PLANNING_FLOW_ID, day + timedelta(hours=3, minutes=30))
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
    engine.start_flow_run(store, flow, user, at, RUN_TIME.seconds, None)
    engine.settle(store, at + FLOW_TIME)
