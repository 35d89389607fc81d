"""Checks of schedule bodies: the five types and their own fields (contract §13)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from anaplan_mcp.sandbox.responses import bad_request
from anaplan_mcp.sandbox.validate import as_object, integer, text

INVALID_SCHEDULE = "Invalid Schedule"
HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

# type -> fields of its own beyond name/type/startDate/endDate/timezone (contract §13)
SCHEDULE_FIELDS: dict[str, tuple[str, ...]] = {
    "daily": ("time",),
    "weekly": ("time", "daysOfWeek"),
    "hourly": ("fromTime", "toTime", "repeatEvery", "daysOfWeek"),
    "monthly_specific_day": ("time", "dayOfMonth"),
    "monthly_relative_weekday": ("time", "dayOfWeek", "repeatEvery"),
}
COMMON_FIELDS = ("name", "type", "startDate", "endDate", "timezone")


def schedule_request(body: Any, integration_id: str, *, update: bool) -> dict[str, Any]:
    """`{"integrationId", "schedule"}` -> the stored schedule (without its status).

    Live, PUT needs `integrationId` in the body as well as in the path (contract §6.5); POST
    tolerates its absence but not a different id.
    """
    obj = as_object(body)
    given = obj.get("integrationId")
    if (update and given is None) or (given is not None and given != integration_id):
        raise bad_request("Invalid value for integration_id")
    return schedule_fields(obj.get("schedule"))


def schedule_fields(raw: Any) -> dict[str, Any]:
    """One schedule, checked field by field; unknown or foreign fields are refused."""
    schedule = as_object(raw) if isinstance(raw, dict) else None
    if schedule is None:
        raise bad_request("schedule")
    kind = schedule.get("type")
    if kind not in SCHEDULE_FIELDS:
        raise bad_request(INVALID_SCHEDULE)
    own = SCHEDULE_FIELDS[kind]
    # Live ignores daysOfWeek where the type does not use it: a live-used client sends it with
    # every type, often empty (contract §13). Any other foreign field is refused by name.
    ignored = {"daysOfWeek"} - set(own)
    foreign = sorted(set(schedule) - set(own) - set(COMMON_FIELDS) - ignored)
    if foreign:
        raise bad_request(foreign[0])
    checked: dict[str, Any] = {"name": text(schedule, "name"), "type": kind}
    start = _day(schedule, "startDate")
    checked["startDate"] = start.isoformat()
    if schedule.get("endDate") is not None:
        end = _day(schedule, "endDate")
        if end < start:
            raise bad_request(INVALID_SCHEDULE)
        checked["endDate"] = end.isoformat()
    checked["timezone"] = _timezone(schedule)
    for key in own:
        if key in ("time", "fromTime", "toTime"):
            checked[key] = _clock_time(schedule, key)
        elif key == "daysOfWeek":
            checked[key] = _days_of_week(schedule)
        elif key == "dayOfMonth":
            checked[key] = integer(schedule, key, 1, 31)
        elif key == "dayOfWeek":
            checked[key] = integer(schedule, key, 0, 6)
        elif key == "repeatEvery":
            # hours for hourly, which occurrence in the month for monthly_relative_weekday
            checked[key] = integer(schedule, key, 1, 24 if kind == "hourly" else 5)
    if kind == "hourly" and checked["fromTime"] >= checked["toTime"]:
        raise bad_request(INVALID_SCHEDULE)
    return checked


def _day(schedule: dict[str, Any], key: str) -> date:
    value = text(schedule, key)
    assert value is not None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise bad_request(key) from None


def _timezone(schedule: dict[str, Any]) -> str:
    value = text(schedule, "timezone")
    assert value is not None
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad_request("timezone") from None
    return value


def _clock_time(schedule: dict[str, Any], key: str) -> str:
    value = schedule.get(key)
    if not isinstance(value, str) or not HH_MM.match(value):
        raise bad_request(key)
    return value


def _days_of_week(schedule: dict[str, Any]) -> list[int]:
    value = schedule.get("daysOfWeek")
    if (
        not isinstance(value, list)
        or not value
        or any(not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 6 for d in value)
    ):
        raise bad_request("daysOfWeek")
    return sorted(set(value))
