"""The seeded runs follow their schedules, in their time zones, whatever the clock says.

Read over HTTP as a client reads them and judged by the client's own schedule logic: a run with
trigger "scheduled" starts at one of its schedule's local times, and no slot is missed without a
reason the API shows (so find_failed_runs, which reports only such misses, tells the whole story).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sandbox_http import CW, open_client

from anaplan_mcp.diagnosis.schedules import missed_run
from anaplan_mcp.models import Integration, RunHistory, RunRecord
from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox, SandboxConfig
from anaplan_mcp.sandbox.clock import Clock

pytestmark = pytest.mark.anyio

# Winter and summer (both sides' daylight saving), a weekend, the small hours and a month start.
CLOCKS = [
    datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
    datetime(2026, 7, 4, 9, 31, tzinfo=UTC),
    datetime(2026, 3, 8, 0, 30, tzinfo=UTC),
    datetime(2026, 10, 2, 2, 1, tzinfo=UTC),
    datetime(2026, 12, 1, 23, 59, tzinfo=UTC),
]


async def seeded(now: datetime) -> dict[str, tuple[Integration, list[RunRecord]]]:
    sandbox = Sandbox(SandboxConfig(), clock=Clock(frozen_at=now))
    found: dict[str, tuple[Integration, list[RunRecord]]] = {}
    async with open_client(sandbox) as cw:
        listed = (await cw.get(CW, params={"limit": 100})).json()["integrations"]
        for item in listed:
            integration = Integration.model_validate(item)
            ident = integration.integration_id
            answer = await cw.get(f"{CW}/runs/{ident}", params={"offset": 0, "limit": 500})
            history = RunHistory.model_validate(answer.json()["history_of_runs"])
            found[ident] = (integration, history.runs)
    return found


def local_starts(
    found: dict[str, tuple[Integration, list[RunRecord]]], ident: str
) -> list[datetime]:
    integration, runs = found[ident]
    assert integration.schedule is not None and integration.schedule.timezone is not None
    zone = ZoneInfo(integration.schedule.timezone)
    starts = [r.start_date.astimezone(zone) for r in runs if r.trigger_source == "scheduled"]
    assert starts, f"{integration.name} has no scheduled run"
    return starts


@pytest.mark.parametrize("now", CLOCKS, ids=lambda now: now.isoformat())
async def test_scheduled_runs_start_at_their_local_times(now: datetime) -> None:
    found = await seeded(now)
    chicago = local_starts(found, seed.FINANCE_EXPORT_ID)
    assert {(at.hour, at.minute) for at in chicago} == {(3, 0)}
    summer = bool(chicago[0].dst())
    assert {at.astimezone(UTC).hour for at in chicago} == {8 if summer else 9}
    london = local_starts(found, seed.SALES_IMPORT_ID)
    assert {(at.hour, at.minute) for at in london} == {(2, 0)}
    assert len(london) >= 7
    forecast = local_starts(found, seed.FORECAST_IMPORT_ID)
    assert all(at.weekday() < 5 for at in forecast), "a Monday-Friday schedule ran on a weekend"
    assert {at.hour for at in forecast} <= {8, 10, 12, 14, 16, 18}
    products = local_starts(found, seed.PRODUCTS_IMPORT_ID)
    assert {(at.weekday(), at.hour, at.minute) for at in products} == {(0, 4, 0)}
    gl = local_starts(found, seed.GL_IMPORT_ID)
    assert {(at.day, at.hour) for at in gl} == {(1, 4)}
    assert len({(at.year, at.month) for at in gl}) == len(gl), "a monthly schedule ran twice"
    close = local_starts(found, seed.CLOSE_PROCESS_ID)
    assert all(at.weekday() == 4 and at.day <= 7 and at.hour == 18 for at in close)
    fx_integration, _ = found[seed.FX_IMPORT_ID]
    assert fx_integration.schedule is not None and fx_integration.schedule.end_date
    end = date.fromisoformat(fx_integration.schedule.end_date)
    assert all(at.date() <= end for at in local_starts(found, seed.FX_IMPORT_ID))
    pipeline = local_starts(found, seed.PIPELINE_EXPORT_ID)
    assert max(pipeline) < now - timedelta(days=6), "a disabled schedule ran lately"


@pytest.mark.parametrize("now", CLOCKS, ids=lambda now: now.isoformat())
async def test_no_slot_is_missed_without_a_visible_reason(now: datetime) -> None:
    found = await seeded(now)
    misses = {}
    for ident, (integration, _) in found.items():
        missed = missed_run(integration.schedule, integration.latest_run, now)
        if missed is not None:
            misses[ident] = missed[1]
    assert all(reason != "unknown" for reason in misses.values()), misses
    # The FX schedule ended and the pipeline's is disabled: their slots today are misses that
    # find_failed_runs reports as did_not_run, with the reason.
    assert misses[seed.FX_IMPORT_ID] == "ended"
    assert misses[seed.PIPELINE_EXPORT_ID] == "disabled"


@pytest.mark.parametrize("now", CLOCKS, ids=lambda now: now.isoformat())
async def test_the_story_holds(now: datetime) -> None:
    found = await seeded(now)
    _, sales = found[seed.SALES_IMPORT_ID]
    assert sales[0].execution_error_code == 38 and sales[0].start_date > now - timedelta(days=1)
    _, finance = found[seed.FINANCE_EXPORT_ID]
    assert finance[0].trigger_source == "manual_inf" and not finance[0].success
    _, nightly = found[seed.NIGHTLY_PROCESS_ID]
    assert nightly[0].end_date is None and nightly[0].trigger_source == "manual"


async def test_only_scheduled_integrations_have_scheduled_runs() -> None:
    found = await seeded(CLOCKS[0])
    for integration, runs in found.values():
        if integration.schedule is None:
            assert all(run.trigger_source != "scheduled" for run in runs), integration.name
