"""Schedules: each type keeps exactly its fields on the wire; times, zones and dates are checked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from anaplan_mcp.models import (
    HourlySchedule,
    Schedule,
    ScheduleRequest,
    describe_validation_error,
    known_time_zones,
)

INTEGRATION = "fe40dc5793084f7dbb685cffe6a5ad2a"
COMMON = {"name": "test schedule", "startDate": "2020-07-03", "endDate": "2020-12-01"}

# The contract's wire bodies (contract sheet §13), one per type.
WIRE_SCHEDULES: dict[str, dict[str, Any]] = {
    "daily": {"type": "daily", "time": "11:55", "timezone": "Europe/Paris"},
    "weekly": {"type": "weekly", "time": "12:45", "daysOfWeek": [0, 6], "timezone": "UTC"},
    "hourly": {
        "type": "hourly",
        "repeatEvery": 2,
        "fromTime": "20:00",
        "toTime": "23:20",
        "daysOfWeek": [0, 6],
        "timezone": "America/Argentina/Buenos_Aires",
    },
    "monthly_specific_day": {
        "type": "monthly_specific_day",
        "dayOfMonth": 12,
        "time": "22:00",
        "timezone": "Asia/Kolkata",
    },
    "monthly_relative_weekday": {
        "type": "monthly_relative_weekday",
        "time": "12:45",
        "dayOfWeek": 3,
        "repeatEvery": 2,
        "timezone": "Pacific/Chatham",
    },
}


@pytest.mark.parametrize("kind", sorted(WIRE_SCHEDULES))
def test_every_type_keeps_all_its_fields(kind: str) -> None:
    body = {"integrationId": INTEGRATION, "schedule": {**COMMON, **WIRE_SCHEDULES[kind]}}
    assert ScheduleRequest.model_validate(body).to_wire() == body


@pytest.mark.parametrize("kind", sorted(WIRE_SCHEDULES))
def test_snake_case_input_gives_the_same_wire(kind: str) -> None:
    camel = {**COMMON, **WIRE_SCHEDULES[kind]}
    snake = {
        "".join(f"_{c.lower()}" if c.isupper() else c for c in key): value
        for key, value in camel.items()
    }
    request = ScheduleRequest(integration_id=INTEGRATION, schedule=snake)  # type: ignore[arg-type]
    assert request.to_wire()["schedule"] == camel


@pytest.mark.parametrize(
    ("kind", "foreign"),
    [("daily", {"daysOfWeek": [1]}), ("hourly", {"time": "10:00"}), ("weekly", {"dayOfMonth": 3})],
)
def test_fields_of_other_types_are_refused(kind: str, foreign: dict[str, Any]) -> None:
    schedule = {**COMMON, **WIRE_SCHEDULES[kind], **foreign}
    with pytest.raises(ValidationError) as caught:
        ScheduleRequest.model_validate({"integrationId": INTEGRATION, "schedule": schedule})
    assert "unknown field" in describe_validation_error(caught.value)


def test_end_before_start_and_bad_values_are_all_named() -> None:
    schedule = {
        **WIRE_SCHEDULES["daily"],
        "name": "x",
        "startDate": "2021-01-10",
        "endDate": "2021-01-09",
        "time": "7:5",
        "timezone": "Europe/Atlantis",
    }
    with pytest.raises(ValidationError) as caught:
        ScheduleRequest.model_validate({"integrationId": INTEGRATION, "schedule": schedule})
    message = describe_validation_error(caught.value)
    assert "schedule.time: expected HH:MM (24-hour)" in message
    assert "schedule.timezone: not a known IANA time zone" in message
    assert "schedule.end_date: must not be before start_date" in message
    assert "Atlantis" not in message
    assert "7:5" not in message


@pytest.mark.parametrize(
    ("field", "value"),
    [("repeatEvery", 25), ("repeatEvery", 0), ("daysOfWeek", []), ("daysOfWeek", [7])],
)
def test_hourly_limits(field: str, value: Any) -> None:
    with pytest.raises(ValidationError):
        HourlySchedule.model_validate({**COMMON, **WIRE_SCHEDULES["hourly"], field: value})


@pytest.mark.parametrize("start", ["2020/07/03", "2020-07-03T00:00:00", "03-07-2020", "2020-02-30"])
def test_dates_must_be_iso_calendar_dates(start: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ScheduleRequest.model_validate(
            {
                "integrationId": INTEGRATION,
                "schedule": {**COMMON, **WIRE_SCHEDULES["daily"], "startDate": start},
            }
        )
    assert "schedule.start_date: expected a date YYYY-MM-DD" in describe_validation_error(
        caught.value
    )


@given(st.sampled_from(sorted(known_time_zones())))
def test_every_iana_zone_is_accepted(zone: str) -> None:
    schedule = {**COMMON, **WIRE_SCHEDULES["daily"], "timezone": zone}
    request = ScheduleRequest.model_validate({"integrationId": INTEGRATION, "schedule": schedule})
    assert request.to_wire()["schedule"]["timezone"] == zone


@given(st.text(min_size=1, max_size=30).filter(lambda z: z not in known_time_zones()))
def test_non_zones_are_refused_without_echo(zone: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ScheduleRequest.model_validate(
            {
                "integrationId": INTEGRATION,
                "schedule": {**COMMON, **WIRE_SCHEDULES["daily"], "timezone": zone},
            }
        )
    assert describe_validation_error(caught.value).startswith(
        "schedule.timezone: not a known IANA time zone"
    )


@given(st.integers(0, 23), st.integers(0, 59))
def test_all_clock_times_accepted(hour: int, minute: int) -> None:
    clock = f"{hour:02d}:{minute:02d}"
    schedule = {**COMMON, **WIRE_SCHEDULES["daily"], "time": clock}
    request = ScheduleRequest.model_validate({"integrationId": INTEGRATION, "schedule": schedule})
    assert request.to_wire()["schedule"]["time"] == clock


VALID_CLOCK = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")


@given(st.text(max_size=8).filter(lambda text: VALID_CLOCK.fullmatch(text) is None))
def test_non_clock_times_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        ScheduleRequest.model_validate(
            {
                "integrationId": INTEGRATION,
                "schedule": {**COMMON, **WIRE_SCHEDULES["daily"], "time": text},
            }
        )


def test_read_schedule_keeps_unknown_type_and_empty_days() -> None:
    read = Schedule.model_validate(
        {"startDate": "2020-09-03", "status": "Paused", "type": "every_full_moon", "daysOfWeek": []}
    )
    assert (read.type, read.status, read.days_of_week) == ("every_full_moon", "Paused", [])
