"""Integration schedules: one input model per type with exactly its fields (contract sheet §13)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal, TypeAlias

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from anaplan_mcp.models._base import InputModel, WireModel
from anaplan_mcp.models._types import ClockTime, HexId, IsoDate, Name, TimeZoneName

ScheduleType: TypeAlias = Literal[
    "daily", "weekly", "hourly", "monthly_specific_day", "monthly_relative_weekday"
]
DayOfWeek = Annotated[int, Field(ge=0, le=6)]
# type -> its own fields (contract sheet §13); every type also takes name, start_date, end_date
# and timezone. The field names are the same on the read model and in schedule_integration.
SCHEDULE_FIELDS: dict[str, tuple[str, ...]] = {
    "daily": ("time",),
    "weekly": ("time", "days_of_week"),
    "hourly": ("from_time", "to_time", "repeat_every", "days_of_week"),
    "monthly_specific_day": ("time", "day_of_month"),
    "monthly_relative_weekday": ("time", "day_of_week", "repeat_every"),
}


def _distinct_days(days: list[int]) -> list[int]:
    if len(set(days)) != len(days):
        raise ValueError("days must not repeat")
    return days


WeekDays = Annotated[list[DayOfWeek], Field(min_length=1), AfterValidator(_distinct_days)]


class Schedule(WireModel):
    """An integration's schedule as the API returns it."""

    start_date: str = Field(description="First day, YYYY-MM-DD.")
    status: Literal["Active", "Inactive"] | str = Field(description="Active or Inactive.")
    name: str | None = Field(None, description="Schedule name.")
    type: ScheduleType | str | None = Field(None, description="Schedule type.")
    timezone: str | None = Field(None, description="IANA time zone.")
    end_date: str | None = Field(None, description="Last day, YYYY-MM-DD.")
    time: str | None = Field(None, description="Run time HH:MM.")
    from_time: str | None = Field(None, description="Hourly window start HH:MM.")
    to_time: str | None = Field(None, description="Hourly window end HH:MM.")
    days_of_week: list[int] | None = Field(None, description="Days, 0 = Sunday.")
    repeat_every: int | None = Field(None, description="Hours (hourly) or week of month.")
    day_of_month: int | None = Field(None, description="Day of month 1-31.")
    day_of_week: int | None = Field(None, description="Day of week, 0 = Sunday.")


class _ScheduleInput(InputModel):
    name: Name = Field(description="Schedule name.")
    start_date: IsoDate = Field(description="First day, YYYY-MM-DD.")
    end_date: IsoDate | None = Field(None, description="Last day, YYYY-MM-DD; not before start.")
    timezone: TimeZoneName = Field(description="IANA time zone, e.g. Europe/Paris or UTC.")

    @field_validator("end_date")
    @classmethod
    def _not_before_start(cls, end: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("start_date")
        if end is not None and isinstance(start, date) and end < start:
            raise ValueError("must not be before start_date")
        return end


class DailySchedule(_ScheduleInput):
    """Runs every day at one time."""

    type: Literal["daily"] = Field(description="Schedule type.")
    time: ClockTime = Field(description="Run time HH:MM (24-hour).")


class WeeklySchedule(_ScheduleInput):
    """Runs on chosen weekdays at one time."""

    type: Literal["weekly"] = Field(description="Schedule type.")
    time: ClockTime = Field(description="Run time HH:MM (24-hour).")
    days_of_week: WeekDays = Field(description="Days, 0 = Sunday; at least one.")


class HourlySchedule(_ScheduleInput):
    """Runs every N hours between two times on chosen weekdays."""

    type: Literal["hourly"] = Field(description="Schedule type.")
    from_time: ClockTime = Field(description="Window start HH:MM (24-hour).")
    to_time: ClockTime = Field(description="Window end HH:MM (24-hour).")
    repeat_every: int = Field(ge=1, le=24, description="Hours between runs, 1-24.")
    days_of_week: WeekDays = Field(description="Days, 0 = Sunday; at least one.")


class MonthlySpecificDaySchedule(_ScheduleInput):
    """Runs on one day of each month."""

    type: Literal["monthly_specific_day"] = Field(description="Schedule type.")
    time: ClockTime = Field(description="Run time HH:MM (24-hour).")
    day_of_month: int = Field(ge=1, le=31, description="Day of month, 1-31.")


class MonthlyRelativeWeekdaySchedule(_ScheduleInput):
    """Runs on the Nth given weekday of each month (2 + Wednesday = second Wednesday)."""

    type: Literal["monthly_relative_weekday"] = Field(description="Schedule type.")
    time: ClockTime = Field(description="Run time HH:MM (24-hour).")
    day_of_week: DayOfWeek = Field(description="Weekday, 0 = Sunday.")
    # The Apiary example sends dayOfWeek, not its text's daysOfWeek (contract sheet §13).
    repeat_every: int = Field(ge=1, le=5, description="Which occurrence in the month, 1-5.")


ScheduleInput: TypeAlias = Annotated[
    DailySchedule
    | WeeklySchedule
    | HourlySchedule
    | MonthlySpecificDaySchedule
    | MonthlyRelativeWeekdaySchedule,
    Field(discriminator="type"),
]


class ScheduleRequest(InputModel):
    """Body of POST and PUT /integrations/{id}/schedule; PUT needs the id in the body too."""

    integration_id: HexId = Field(description="Integration to schedule.")
    schedule: ScheduleInput = Field(description="The schedule, by type.")
