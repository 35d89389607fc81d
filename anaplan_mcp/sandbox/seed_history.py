"""Replaying the last days through the engine, so run records, errors and dumps agree."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from anaplan_mcp.sandbox import engine, seed_data
from anaplan_mcp.sandbox import seed_ids as ids
from anaplan_mcp.sandbox.dataplane import refresh_connection_status
from anaplan_mcp.sandbox.seed_data import SANDBOX_USER_ID
from anaplan_mcp.sandbox.store import Store

RUN_TIME = timedelta(seconds=45)
FLOW_TIME = timedelta(minutes=5)  # three steps of 45 s, with room
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
    load is a day old at most (but for the 45 s its next run takes), whatever the clock says. Runs that
    would not be over by `now` are left out, and what happens once in the week's last night happens
    the night before when its time has not come yet. Everything is replayed in time order, since each
    run reads the files and keys of its moment and the newest run of an integration is the last one.
    """
    events: list[tuple[datetime, Callable[[], None]]] = []

    def run_at(integration_id: str, at: datetime, trigger: str = "scheduled") -> None:
        if at + RUN_TIME <= now:
            events.append((at, partial(run_past, store, integration_id, at, trigger)))

    def flow_at(flow_id: str, at: datetime) -> None:
        if at + FLOW_TIME <= now:
            events.append((at, partial(_run_flow, store, flow_id, at)))

    def lately(at: datetime, takes: timedelta = RUN_TIME) -> datetime:
        """`at`, or the day before when a run at `at` would not be over by `now`."""
        return at if at + takes <= now else at - timedelta(days=1)

    sales_hour = timedelta(hours=_SALES_HOUR)
    last_night = lately(today + sales_hour) - sales_hour

    daily = [
        (ids.SALES_IMPORT_ID, _SALES_HOUR),
        (ids.FINANCE_EXPORT_ID, 3),
        (ids.NIGHTLY_PROCESS_ID, 1),
        (ids.SALES_EXPORT_ID, 4),
        (ids.GL_IMPORT_ID, 4),
        (ids.FORECAST_IMPORT_ID, 9),
    ]
    for days_ago in (20, 19, 18, 17, 16, 15):
        run_at(ids.FX_IMPORT_ID, today - timedelta(days=days_ago) + timedelta(hours=6))
    for days_ago in (12, 9):
        run_at(ids.PIPELINE_EXPORT_ID, today - timedelta(days=days_ago) + timedelta(hours=5))
    for nights_ago in range(6, -1, -1):
        day = last_night - timedelta(days=nights_ago)
        if nights_ago == 2:
            events.append((day, partial(_rotate_finance_key, store)))
        if nights_ago == 0:
            events.append(
                (day, partial(_corrupt_sales_file, store, (day - timedelta(days=1)).date()))
            )
        for integration_id, hour in daily:
            if nights_ago == 0 and integration_id == ids.FINANCE_EXPORT_ID:
                # Last night the planning flow runs the export (its step 2): a scheduled run of
                # its own would stand between the flow and the run that stopped it.
                continue
            run_at(integration_id, day + timedelta(hours=hour))
        if nights_ago in (6, 0):
            run_at(ids.PRODUCTS_IMPORT_ID, lately(day + timedelta(hours=1, minutes=30)))
            run_at(ids.HEADCOUNT_IMPORT_ID, lately(day + timedelta(hours=7)), trigger="manual")
            run_at(ids.CLOSE_PROCESS_ID, day - timedelta(hours=6))  # 18:00 the evening before
        if nights_ago in (5, 0):
            flow_at(ids.WORKFORCE_FLOW_ID, lately(day + timedelta(hours=5), FLOW_TIME))
        if nights_ago == 0:
            at = day + timedelta(hours=3, minutes=30)
            flow_at(ids.PLANNING_FLOW_ID, lately(at, FLOW_TIME))
    for _, happen in sorted(events, key=lambda event: event[0]):
        happen()
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


def _rotate_finance_key(store: Store) -> None:
    # The finance bucket's key is rotated; the stored connection keeps the old one.
    key = f"{ids.FINANCE_EXPORTS_ACCESS_KEY_ID}:{ids.FINANCE_EXPORTS_SECRET_ACCESS_KEY}"
    store.storage[f"s3:{ids.FINANCE_BUCKET}"]["credential"] = key
    refresh_connection_status(store, store.connections[ids.FINANCE_S3_CONNECTION_ID])


def _corrupt_sales_file(store: Store, day: Any) -> None:
    objects = store.storage[f"s3:{ids.SALES_BUCKET}"]["objects"]
    objects[ids.SALES_BAD_FILE] = seed_data.sales_rows(day, corrupted=True)
    objects[ids.SALES_CORRECTED_FILE] = seed_data.sales_rows(day, corrupted=False)


def _run_flow(store: Store, flow_id: str, at: datetime) -> None:
    flow = store.flows[flow_id]
    user = store.user_name(SANDBOX_USER_ID)
    engine.start_flow_run(store, flow, user, at, RUN_TIME.seconds, None)
    engine.settle(store, at + FLOW_TIME)
