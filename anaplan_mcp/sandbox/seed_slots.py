"""When a stored schedule fires: its pattern on the calendar of its own time zone (contract §3).

The seeded history starts its scheduled runs at these instants, so a schedule "daily at 03:00
America/Chicago" runs at 03:00 Chicago time (09:00 or 08:00 UTC with daylight saving), a monthly
one once a month and a Monday-to-Friday one never on a weekend. Like CloudWorks, a schedule does
not fire before its start date, after its end date, or in the weekly maintenance window.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# Saturdays 1-5 pm Pacific: scheduled runs do not happen (contract §10).
_MAINTENANCE_ZONE = ZoneInfo("America/Los_Angeles")
_MAINTENANCE_HOURS = range(13, 17)


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _sunday_first(day: date) -> int:
    return (day.weekday() + 1) % 7


def times_on(schedule: dict[str, Any], day: date) -> list[time]:
    """The local times the stored (camelCase) schedule fires on `day`."""
    kind = schedule["type"]
    weekday = _sunday_first(day)
    if kind == "daily":
        return [_clock(schedule["time"])]
    if kind == "weekly":
        return [_clock(schedule["time"])] if weekday in schedule["daysOfWeek"] else []
    if kind == "hourly":
        if weekday not in schedule["daysOfWeek"]:
            return []
        start, end = _clock(schedule["fromTime"]), _clock(schedule["toTime"])
        hours = range(start.hour, end.hour + 1, schedule["repeatEvery"])
        return [time(hour, start.minute) for hour in hours]
    if kind == "monthly_specific_day":
        return [_clock(schedule["time"])] if day.day == schedule["dayOfMonth"] else []
    if kind == "monthly_relative_weekday":
        nth = (day.day - 1) // 7 + 1
        if weekday == schedule["dayOfWeek"] and nth == schedule["repeatEvery"]:
            return [_clock(schedule["time"])]
    return []


def in_maintenance(instant: datetime) -> bool:
    local = instant.astimezone(_MAINTENANCE_ZONE)
    return local.weekday() == 5 and local.hour in _MAINTENANCE_HOURS


def slots(schedule: dict[str, Any], since: datetime, until: datetime) -> Iterator[datetime]:
    """The UTC instants in [since, until) at which the schedule fires, oldest first."""
    zone = ZoneInfo(schedule["timezone"])
    first = date.fromisoformat(schedule["startDate"])
    last = date.fromisoformat(schedule["endDate"]) if schedule.get("endDate") else date.max
    day = max(since.astimezone(zone).date(), first)
    while day <= min(until.astimezone(zone).date(), last):
        for at in times_on(schedule, day):
            instant = datetime.combine(day, at, zone).astimezone(UTC)
            if since <= instant < until and not in_maintenance(instant):
                yield instant
        day += timedelta(days=1)
