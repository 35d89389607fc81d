"""Replaying the last days through the engine, so run records, errors and dumps agree."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from anaplan_mcp.sandbox import engine, seed_data
from anaplan_mcp.sandbox import seed_ids as ids
from anaplan_mcp.sandbox.dataplane import refresh_connection_status
from anaplan_mcp.sandbox.seed_data import SANDBOX_USER_ID
from anaplan_mcp.sandbox.seed_slots import slots
from anaplan_mcp.sandbox.store import Store

RUN_TIME = timedelta(seconds=45)
FLOW_TIME = timedelta(minutes=5)  # three steps of 45 s, with room
WEEK = timedelta(days=7)
# The planning flow starts at 02:57 Chicago time and is over before 03:00, the P&L export's own
# slot (and, on Mondays, the products import's): its runs of them, minutes before, take those
# slots, so the flow's run is each step's latest and the flow never waits on tonight's run.
_PLANNING_TIME = time(2, 57)
_PLANNING_ZONE = ZoneInfo("America/Chicago")
_PLANNING_STEPS = (ids.PRODUCTS_IMPORT_ID, ids.FINANCE_EXPORT_ID, ids.HEADCOUNT_IMPORT_ID)
# A run this close to a slot is the slot's run (the client's diagnosis allows as much).
_NEAR = timedelta(minutes=5)


def run_past(store: Store, integration_id: str, at: datetime, trigger: str = "scheduled") -> None:
    integration = store.integrations[integration_id]
    user = store.user_name(integration["_owner"])
    engine.start_run(store, integration, user, at, RUN_TIME.seconds, trigger_source=trigger)
    engine.settle(store, at + RUN_TIME)


def _nights(store: Store, now: datetime) -> list[datetime]:
    """The local midnights before the sales import's last eight finished runs, newest first;
    the first is "last night" (the latest night whose 02:00 Europe/London run is over)."""
    schedule = store.integrations[ids.SALES_IMPORT_ID]["_schedule"]
    zone = ZoneInfo(schedule["timezone"])
    finished = [at for at in slots(schedule, now - 2 * WEEK, now) if at + RUN_TIME <= now]
    days = [at.astimezone(zone).date() for at in finished[-8:]]
    return [datetime.combine(day, time(0), zone).astimezone(UTC) for day in reversed(days)]


def _replay_window(
    integration_id: str, schedule: dict[str, Any], night: list[datetime]
) -> tuple[datetime, datetime]:
    """Which part of the past to replay for a schedule: the last week, two of a weekly one, two
    months of a monthly one, the weeks before the FX schedule ended and before the pipeline's
    was disabled."""
    if schedule["type"].startswith("monthly"):
        return night[0] - timedelta(days=62), night[0] + timedelta(days=2)
    if schedule["type"] == "weekly" and integration_id != ids.PIPELINE_EXPORT_ID:
        return night[0] - 2 * WEEK, night[0] + timedelta(days=2)
    if integration_id == ids.FX_IMPORT_ID:
        return night[0] - 3 * WEEK, night[0] + timedelta(days=2)
    if integration_id == ids.PIPELINE_EXPORT_ID:
        return night[0] - 2 * WEEK, night[0] - WEEK
    return night[6], night[0] + timedelta(days=2)


def seed_history(store: Store, today: datetime, now: datetime) -> None:
    """Replay the last days up to `now` through the engine, so records, errors and dumps agree.

    Scheduled runs start at their schedules' times in their own time zones (seed_slots). The story
    is told in nights: "last night" is the latest night whose 02:00 Europe/London sales import is
    over, so its failed load is a day old at most (but for the 45 s its next run takes), whatever
    the clock says. Runs that would not be over by `now` are left out; a flow whose time has not
    come yet last night runs the night before. Everything is replayed in time order, since each
    run reads the files and keys of its moment and the newest run of an integration is the last.
    """
    events: list[tuple[datetime, Callable[[], None]]] = []
    # The nightly process's manual run is going now; CloudWorks starts no scheduled run of it
    # meanwhile.
    started = now - timedelta(minutes=2)

    def run_at(integration_id: str, at: datetime, trigger: str = "scheduled") -> None:
        if at + RUN_TIME <= now:
            events.append((at, partial(run_past, store, integration_id, at, trigger)))

    def flow_at(flow_id: str, at: datetime, takes: timedelta = FLOW_TIME) -> datetime:
        """Run the flow at `at`, or a day earlier when it would not be over by `now`."""
        if at + takes > now:
            at -= timedelta(days=1)
        events.append((at, partial(_run_flow, store, flow_id, at)))
        return at

    night = _nights(store, now)
    events.append((night[2], partial(_rotate_finance_key, store)))
    loaded = (night[0] - timedelta(days=1)).astimezone(ZoneInfo("Europe/London")).date()
    events.append((night[0], partial(_corrupt_sales_file, store, loaded)))
    for back in (0, 7):
        flow_at(ids.WORKFORCE_FLOW_ID, night[back] + timedelta(hours=5))
    local_night = night[0].astimezone(_PLANNING_ZONE).date() + timedelta(days=1)
    planning = datetime.combine(local_night, _PLANNING_TIME, _PLANNING_ZONE).astimezone(UTC)
    # The flow stops at its failing second step, so it is over after two steps.
    planning = flow_at(ids.PLANNING_FLOW_ID, planning, 2 * RUN_TIME)
    for integration_id, integration in store.integrations.items():
        schedule = integration.get("_schedule")
        if schedule is None:
            continue
        since, until = _replay_window(integration_id, schedule, night)
        if integration_id == ids.NIGHTLY_PROCESS_ID:
            until = min(until, started)
        for at in slots(schedule, since, until):
            if integration_id in _PLANNING_STEPS and abs(at - planning) <= _NEAR:
                continue  # the flow's run of it is this slot's run
            run_at(integration_id, at)
    for back in range(7):
        # The sales export has no schedule: someone runs it by hand every morning.
        run_at(ids.SALES_EXPORT_ID, night[back] + timedelta(hours=4), trigger="manual")
    for back in (0, 6):
        # Run by hand: the headcount import (no schedule) and the month-end close, retried
        # off its monthly schedule the evening before.
        run_at(ids.HEADCOUNT_IMPORT_ID, night[back] + timedelta(hours=7), trigger="manual")
        run_at(ids.CLOSE_PROCESS_ID, night[back] - timedelta(hours=6), trigger="manual")
    for _, happen in sorted(events, key=lambda event: event[0]):
        happen()
    process = store.integrations[ids.NIGHTLY_PROCESS_ID]
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
