"""Schedules (five types, one per integration, status) and notification configs."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from sandbox_http import CW, status_message

from anaplan_mcp.sandbox import seed_ids as seed

pytestmark = pytest.mark.anyio

BASE = {"name": "s", "startDate": "2026-04-01", "endDate": "2026-12-31", "timezone": "Asia/Kolkata"}
VALID = [
    {**BASE, "type": "daily", "time": "11:55"},
    {**BASE, "type": "weekly", "time": "12:45", "daysOfWeek": [0, 6]},
    {
        **BASE,
        "type": "hourly",
        "fromTime": "08:00",
        "toTime": "20:00",
        "repeatEvery": 2,
        "daysOfWeek": [1, 2],
    },
    {**BASE, "type": "monthly_specific_day", "time": "22:00", "dayOfMonth": 31},
    {**BASE, "type": "monthly_relative_weekday", "time": "06:00", "dayOfWeek": 3, "repeatEvery": 2},
]
TARGET = seed.WORKFORCE_PROCESS_ID  # seeded without a schedule


async def schedule_of(cw: httpx2.AsyncClient, integration_id: str) -> Any:
    return (await cw.get(f"{CW}/{integration_id}")).json()["integration"]["schedule"]


@pytest.mark.parametrize("schedule", VALID, ids=lambda s: s["type"])
async def test_each_schedule_type_is_stored_active(
    cw: httpx2.AsyncClient, schedule: dict[str, Any]
) -> None:
    answer = await cw.post(
        f"{CW}/{TARGET}/schedule", json={"integrationId": TARGET, "schedule": schedule}
    )
    assert answer.json() == {"status": {"code": 200, "message": "Success"}}
    assert await schedule_of(cw, TARGET) == {**schedule, "status": "Active"}


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        ({**BASE, "type": "yearly", "time": "10:00"}, "Invalid Schedule"),
        ({**BASE, "type": "daily"}, "time"),
        ({**BASE, "type": "daily", "time": "25:00"}, "time"),
        ({**BASE, "type": "daily", "time": "10:00", "timezone": "Mars/Olympus"}, "timezone"),
        ({**BASE, "type": "daily", "time": "10:00", "endDate": "2026-03-01"}, "Invalid Schedule"),
        ({**BASE, "type": "daily", "time": "10:00", "startDate": "01/04/2026"}, "startDate"),
        (
            {
                **BASE,
                "type": "hourly",
                "time": "10:00",
                "fromTime": "08:00",
                "toTime": "09:00",
                "repeatEvery": 1,
                "daysOfWeek": [1],
            },
            "time",
        ),
        ({**BASE, "type": "weekly", "time": "10:00", "daysOfWeek": [7]}, "daysOfWeek"),
        ({**BASE, "type": "monthly_specific_day", "time": "10:00", "dayOfMonth": 32}, "dayOfMonth"),
        (
            {
                **BASE,
                "type": "monthly_relative_weekday",
                "time": "10:00",
                "dayOfWeek": 3,
                "repeatEvery": 6,
            },
            "repeatEvery",
        ),
    ],
)
async def test_invalid_schedules_are_refused(
    cw: httpx2.AsyncClient, schedule: dict[str, Any], message: str
) -> None:
    answer = await cw.post(
        f"{CW}/{TARGET}/schedule", json={"integrationId": TARGET, "schedule": schedule}
    )
    assert status_message(answer) == (400, message)
    assert await schedule_of(cw, TARGET) is None


async def test_one_schedule_per_integration_put_needs_the_id_and_status_toggles(
    cw: httpx2.AsyncClient,
) -> None:
    url = f"{CW}/{TARGET}/schedule"
    await cw.post(url, json={"integrationId": TARGET, "schedule": VALID[0]})
    second = await cw.post(url, json={"integrationId": TARGET, "schedule": VALID[1]})
    assert status_message(second) == (400, "Only a single schedule is supported per integration")
    no_id = await cw.put(url, json={"schedule": VALID[1]})
    assert status_message(no_id) == (400, "Invalid value for integration_id")
    assert (await schedule_of(cw, TARGET))["type"] == "daily"
    assert (
        await cw.put(url, json={"integrationId": TARGET, "schedule": VALID[1]})
    ).status_code == 200
    assert (await schedule_of(cw, TARGET))["type"] == "weekly"
    assert (await cw.post(f"{url}/status/disabled")).status_code == 200
    assert (await schedule_of(cw, TARGET))["status"] == "Inactive"
    assert (await cw.post(f"{url}/status/enabled")).status_code == 200
    assert (await schedule_of(cw, TARGET))["status"] == "Active"
    assert status_message(await cw.post(f"{url}/status/paused")) == (400, "status")
    assert (await cw.delete(url)).status_code == 200
    assert await schedule_of(cw, TARGET) is None
    assert status_message(await cw.delete(url)) == (404, "Resource not found")


async def test_seeded_schedules_tell_their_story(cw: httpx2.AsyncClient) -> None:
    assert (await schedule_of(cw, seed.PIPELINE_EXPORT_ID))["status"] == "Inactive"
    ended = await schedule_of(cw, seed.FX_IMPORT_ID)
    assert ended["status"] == "Active"
    assert ended["endDate"] < "2026-03-10"
    listing = (await cw.get(CW)).json()["integrations"]
    types = {i["schedule"]["type"] for i in listing if i["schedule"]}
    assert types == {
        "daily",
        "weekly",
        "hourly",
        "monthly_specific_day",
        "monthly_relative_weekday",
    }


def notification_body(integration_id: str, users: list[str]) -> dict[str, Any]:
    return {
        "integrationIds": [integration_id],
        "channels": ["email"],
        "notifications": {"config": [{"type": "full_failure", "users": users}]},
    }


async def test_notification_create_once_then_duplicate_then_put_and_delete(
    cw: httpx2.AsyncClient,
) -> None:
    seeded = await cw.get(f"{CW}/notification/{'0' * 32}")
    assert status_message(seeded) == (404, "Resource not found")
    sales = (await cw.get(f"{CW}/{seed.SALES_IMPORT_ID}")).json()["integration"]
    config = (await cw.get(f"{CW}/notification/{sales['notificationId']}")).json()
    users = config["notifications"]["notifications"]["config"][0]["users"]
    guid = users[0]["userGuid"]
    assert users[0]["firstName"] == "Sandbox"
    duplicate = await cw.post(
        f"{CW}/notification", json=notification_body(seed.SALES_IMPORT_ID, [guid])
    )
    assert status_message(duplicate) == (400, "Duplicate resource name not allowed")
    created = await cw.post(f"{CW}/notification", json=notification_body(seed.GL_IMPORT_ID, [guid]))
    notification_id = created.json()["notification"]["notificationId"]
    again = await cw.post(f"{CW}/notification", json=notification_body(seed.GL_IMPORT_ID, [guid]))
    assert status_message(again)[1] == "Duplicate resource name not allowed"
    url = f"{CW}/notification/{notification_id}"
    bad_user = await cw.put(url, json=notification_body(seed.GL_IMPORT_ID, ["f" * 32]))
    assert status_message(bad_user) == (400, "users")
    replaced = {**notification_body(seed.GL_IMPORT_ID, [guid]), "channels": ["email", "in_app"]}
    assert (await cw.put(url, json=replaced)).json() == {
        "status": {"code": 200, "message": "Success"}
    }
    assert (await cw.get(url)).json()["notifications"]["channels"] == ["email", "in_app"]
    assert (await cw.delete(url)).status_code == 200
    assert (await cw.get(f"{CW}/{seed.GL_IMPORT_ID}")).json()["integration"][
        "notificationId"
    ] is None
    assert (
        await cw.post(f"{CW}/notification", json=notification_body(seed.GL_IMPORT_ID, [guid]))
    ).status_code == 200


@pytest.mark.parametrize("days", [[], [0, 1, 2, 3, 4, 5, 6]], ids=["empty", "full"])
@pytest.mark.parametrize("schedule", [VALID[0], *VALID[3:]], ids=lambda s: s["type"])
async def test_days_of_week_is_ignored_where_the_type_does_not_use_it(
    cw: httpx2.AsyncClient, schedule: dict[str, Any], days: list[int]
) -> None:
    # A live-used client sends daysOfWeek with every type; live ignores it there (contract §13).
    answer = await cw.post(
        f"{CW}/{TARGET}/schedule",
        json={"integrationId": TARGET, "schedule": {**schedule, "daysOfWeek": days}},
    )
    assert answer.status_code == 200, answer.text
    assert await schedule_of(cw, TARGET) == {**schedule, "status": "Active"}
