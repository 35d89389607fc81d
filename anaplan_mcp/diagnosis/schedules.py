"""When a schedule said an integration should have run, and why it did not (contract §10, §13).

Occurrences follow the schedule's pattern in its own time zone, ignoring whether it is enabled or
ended: "it should have run" is about the pattern, "why it did not" then checks the status, the end
date, a run still going and the weekly maintenance window.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from anaplan_mcp.models import LatestRun, Schedule

MissReason = Literal["disabled", "ended", "still_running", "maintenance", "unknown"]

# A run starts a little after its scheduled minute; an occurrence this recent is not judged yet.
GRACE = timedelta(minutes=15)
_EARLY = timedelta(minutes=5)
_LOOKBACK_DAYS = 40
# Saturdays 1-5 pm Pacific (contract §10).
_MAINTENANCE_ZONE = ZoneInfo("America/Los_Angeles")
_MAINTENANCE_HOURS = (13, 17)

MISS_EXPLANATIONS: dict[MissReason, str] = {
    "disabled": "The schedule is disabled (Inactive), so CloudWorks did not start the run.",
    "ended": "The schedule is past its end date, so CloudWorks no longer starts runs.",
    "still_running": "A run was still going at the scheduled time; CloudWorks runs one at a time.",
    "maintenance": (
        "The scheduled time fell in the weekly platform maintenance window (usually Saturdays "
        "1-5 pm Pacific), when scheduled runs do not happen."
    ),
    "unknown": "No run was recorded after the scheduled time and the API shows no reason.",
}
MISS_FIXES: dict[MissReason, str] = {
    "disabled": "Enable the schedule with set_schedule_status, or run it now with run_integration.",
    "ended": "Extend or replace the schedule with schedule_integration; run_integration for now.",
    "still_running": "Wait for the running run (get_run_status) or stop it with cancel_run.",
    "maintenance": "Run it manually with run_integration, or move the schedule.",
    "unknown": "Run it manually with run_integration; if schedules keep missing, ask support.",
}


def _zone(schedule: Schedule) -> ZoneInfo:
    try:
        return ZoneInfo(schedule.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _clock(text: str | None) -> time | None:
    if not text:
        return None
    try:
        hours, minutes = text.split(":")[:2]
        return time(int(hours), int(minutes))
    except ValueError:
        return None


def _iso_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _sunday_first(day: date) -> int:
    return (day.weekday() + 1) % 7


def _times_on(schedule: Schedule, day: date) -> list[time]:
    """The local times the pattern fires on `day` (the schedule's own calendar)."""
    kind = schedule.type
    at = _clock(schedule.time)
    if kind == "daily":
        return [at] if at else []
    if kind == "weekly":
        return [at] if at and _sunday_first(day) in (schedule.days_of_week or []) else []
    if kind == "hourly":
        start, end = _clock(schedule.from_time), _clock(schedule.to_time)
        step = schedule.repeat_every or 0
        if not (start and end and step) or _sunday_first(day) not in (schedule.days_of_week or []):
            return []
        return [time(hour, start.minute) for hour in range(start.hour, end.hour + 1, step)]
    if kind == "monthly_specific_day":
        return [at] if at and day.day == schedule.day_of_month else []
    if kind == "monthly_relative_weekday":
        nth = schedule.repeat_every or 0
        if at and _sunday_first(day) == schedule.day_of_week and (day.day - 1) // 7 + 1 == nth:
            return [at]
    return []


def _occurrences(schedule: Schedule, until: datetime, days: int) -> Iterator[datetime]:
    """Occurrences at or before `until`, newest first, over the last `days` local days."""
    zone = _zone(schedule)
    first = _iso_date(schedule.start_date)
    local_today = until.astimezone(zone).date()
    for back in range(days + 1):
        day = local_today - timedelta(days=back)
        if first is not None and day < first:
            return
        for at in sorted(_times_on(schedule, day), reverse=True):
            instant = datetime.combine(day, at, zone).astimezone(UTC)
            if instant <= until:
                yield instant


def last_expected(
    schedule: Schedule, now: datetime, since: datetime | None = None
) -> datetime | None:
    """The latest time the pattern said to run, old enough to judge, not before `since`."""
    until = now - GRACE
    days = _LOOKBACK_DAYS if since is None else max((until - since).days + 1, 1)
    for instant in _occurrences(schedule, until, days):
        return instant if since is None or instant >= since else None
    return None


def local_today(schedule: Schedule, now: datetime) -> date:
    """Today in the schedule's own time zone."""
    return now.astimezone(_zone(schedule)).date()


def first_free_day(schedule: Schedule, now: datetime) -> date:
    """The first day a replacement schedule can start on without owing a run already gone by:
    today, or tomorrow once one of today's times has passed (it would read as a missed run)."""
    local = now.astimezone(_zone(schedule))
    passed = any(at <= local.time() for at in _times_on(schedule, local.date()))
    return local.date() + timedelta(days=1) if passed else local.date()


def has_ended(schedule: Schedule, now: datetime) -> bool:
    """True when the schedule's end date is behind it (in its own time zone)."""
    end = _iso_date(schedule.end_date)
    return end is not None and end < local_today(schedule, now)


def in_maintenance(instant: datetime) -> bool:
    local = instant.astimezone(_MAINTENANCE_ZONE)
    return local.weekday() == 5 and _MAINTENANCE_HOURS[0] <= local.hour < _MAINTENANCE_HOURS[1]


def miss_reason(schedule: Schedule, expected: datetime, latest: LatestRun | None) -> MissReason:
    """Why the run expected at `expected` did not happen, most decisive reason first."""
    if schedule.status != "Active":
        return "disabled"
    end = _iso_date(schedule.end_date)
    if end is not None and expected.astimezone(_zone(schedule)).date() > end:
        return "ended"
    if latest is not None and latest.start_date <= expected:
        finished = latest.end_date
        if finished is None or finished > expected:
            return "still_running"
    if in_maintenance(expected):
        return "maintenance"
    return "unknown"


def missed_run(
    schedule: Schedule | None,
    latest: LatestRun | None,
    now: datetime,
    since: datetime | None = None,
) -> tuple[datetime, MissReason] | None:
    """The scheduled run that did not happen (and why), or None when nothing was missed."""
    if schedule is None:
        return None
    expected = last_expected(schedule, now, since)
    if expected is None:
        return None
    if latest is not None and latest.start_date >= expected - _EARLY:
        return None
    return expected, miss_reason(schedule, expected, latest)
