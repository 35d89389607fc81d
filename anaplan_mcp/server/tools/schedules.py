"""Schedules toolset: when an integration runs on its own (one schedule per integration)."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from mcp.server.mcpserver import Context, ElicitationResult, Resolve
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from anaplan_mcp import limits
from anaplan_mcp.diagnosis.schedules import first_free_day
from anaplan_mcp.models import (
    ClockTime,
    HourlySchedule,
    IsoDate,
    Schedule,
    ScheduleInput,
    ScheduleType,
    TimeZoneName,
    describe_validation_error,
)
from anaplan_mcp.models._types import at_most
from anaplan_mcp.models.schedules import SCHEDULE_FIELDS as TYPE_FIELDS
from anaplan_mcp.models.schedules import WeekDays
from anaplan_mcp.server.audit import audit
from anaplan_mcp.server.errors import InputError, a_or_an
from anaplan_mcp.server.registry import ToolSpec
from anaplan_mcp.server.state import app_state
from anaplan_mcp.server.tools.common import (
    Confirm,
    Confirmation,
    Done,
    IntegrationId,
    ask_before_deleting,
    require_confirmation,
)

_SCHEDULE: TypeAdapter[Any] = TypeAdapter(ScheduleInput)


class ScheduleChange(BaseModel):
    """An integration's schedule before and after a change."""

    integration_id: str = Field(description="The integration.")
    before: Schedule | None = Field(description="As it was; null when there was none.")
    after: Schedule | None = Field(description="As it is now.")


_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_ORDINALS = ("", "1st", "2nd", "3rd", "4th", "5th")


def _day(day: int | None) -> str:
    return _DAYS[day] if day is not None and 0 <= day <= 6 else "?"


def schedule_summary(schedule: Schedule | None) -> str | None:
    """One line such as 'daily at 02:00 Europe/London' (', disabled' when Inactive)."""
    if schedule is None:
        return None
    days = ",".join(_day(day) for day in schedule.days_of_week or [])
    at = f"at {schedule.time}"
    repeat = schedule.repeat_every
    when = {
        "daily": f"daily {at}",
        "weekly": f"weekly on {days} {at}",
        "hourly": f"every {repeat}h {schedule.from_time}-{schedule.to_time} on {days}",
        "monthly_specific_day": f"monthly on day {schedule.day_of_month} {at}",
        "monthly_relative_weekday": (
            f"monthly on the {_ORDINALS[repeat] if repeat and 1 <= repeat <= 5 else repeat} "
            f"{_day(schedule.day_of_week)} {at}"
        ),
    }.get(str(schedule.type), str(schedule.type))
    summary = f"{when} {schedule.timezone or ''}".rstrip()
    if schedule.end_date:
        summary += f", until {schedule.end_date}"
    if schedule.status != "Active":
        summary += ", disabled"
    return summary


async def _current(ctx: Context[Any, Any], integration_id: str) -> tuple[str, Schedule | None]:
    detail = await app_state(ctx).client.get_integration(integration_id)
    return detail.name, detail.schedule


async def schedule_integration(
    ctx: Context[Any, Any],
    integration_id: IntegrationId,
    type: ScheduleType,
    timezone: Annotated[TimeZoneName, Field(description="IANA, e.g. Europe/Paris.")],
    start_date: Annotated[
        IsoDate | None, Field(description="Default: the first day its time is ahead.")
    ] = None,
    end_date: Annotated[IsoDate | None, Field(description="Not before start_date.")] = None,
    time: Annotated[ClockTime | None, Field(description="HH:MM, 24-hour.")] = None,
    days_of_week: Annotated[WeekDays | None, Field(description="0 = Sunday.")] = None,
    from_time: Annotated[ClockTime | None, Field(description="HH:MM.")] = None,
    to_time: Annotated[ClockTime | None, Field(description="HH:MM.")] = None,
    repeat_every: Annotated[
        int | None, Field(ge=1, le=24, description="hourly: hours apart; monthly: nth weekday.")
    ] = None,
    day_of_month: Annotated[int | None, Field(ge=1, le=31)] = None,
    day_of_week: Annotated[int | None, Field(ge=0, le=6, description="0 = Sunday.")] = None,
    name: Annotated[
        str | None,
        Field(min_length=1, description="Default '<integration> schedule'."),
        at_most(limits.NAME_MAX),
    ] = None,
) -> ScheduleChange:
    """Create or replace an integration's schedule. Each type takes only its own fields: daily
    time; weekly time, days_of_week; hourly from_time, to_time, repeat_every, days_of_week;
    monthly_specific_day time, day_of_month; monthly_relative_weekday time, day_of_week,
    repeat_every (2 + day_of_week 3 = second Wednesday)."""
    tool = "schedule_integration"
    own: dict[str, Any] = {
        "time": time,
        "days_of_week": days_of_week,
        "from_time": from_time,
        "to_time": to_time,
        "repeat_every": repeat_every,
        "day_of_month": day_of_month,
        "day_of_week": day_of_week,
    }
    foreign = [
        key for key, value in own.items() if value is not None and key not in TYPE_FIELDS[type]
    ]
    if foreign:
        raise InputError(
            f"{tool}: {', '.join(foreign)}: not for {a_or_an(type)} schedule, which takes "
            f"{', '.join(TYPE_FIELDS[type])}."
        )
    state = app_state(ctx)
    # "Today" is the schedule's own: near midnight UTC it is another day in much of the world.
    today = state.now().astimezone(ZoneInfo(timezone)).date()
    if start_date is not None and start_date < today:
        raise InputError(
            f"{tool}: start_date: must not be in the past; today in that time zone is "
            f"{today.isoformat()} (leave start_date out to start today)."
        )
    fields = {key: value for key, value in own.items() if value is not None}
    fields.update(type=type, timezone=timezone, start_date=start_date or today, end_date=end_date)
    try:
        schedule = _SCHEDULE.validate_python({**fields, "name": name or "schedule"})
    except ValidationError as exc:
        raise InputError(f"{tool}: {describe_validation_error(exc)}") from None
    if isinstance(schedule, HourlySchedule) and schedule.to_time <= schedule.from_time:
        raise InputError(f"{tool}: to_time: must be later than from_time.")
    if start_date is None:
        # Today, or tomorrow once today's time has passed: a run already gone by reads as missed.
        # Read as CloudWorks will store it: a new schedule is enabled.
        seen = Schedule.model_validate({**schedule.model_dump(mode="json"), "status": "Active"})
        first = first_free_day(seen, state.now())
        schedule = schedule.model_copy(update={"start_date": first})
    client = state.client
    integration_name, before = await _current(ctx, integration_id)
    if name is None:
        schedule.name = f"{integration_name} schedule"
    if before is None:
        await client.create_schedule(integration_id, schedule)
    else:
        await client.update_schedule(integration_id, schedule)
    audit(tool, "ok", integration_id=integration_id)
    _, after = await _current(ctx, integration_id)
    return ScheduleChange(integration_id=integration_id, before=before, after=after)


async def set_schedule_status(
    ctx: Context[Any, Any],
    integration_id: IntegrationId,
    status: Annotated[
        Literal["enabled", "disabled"], Field(description="enabled runs it; disabled pauses it.")
    ],
) -> ScheduleChange:
    """Enable or disable an integration's schedule (keeps its settings)."""
    _, before = await _current(ctx, integration_id)
    if before is None:
        raise InputError(
            f"set_schedule_status: integration {integration_id} has no schedule; "
            "create one with schedule_integration."
        )
    await app_state(ctx).client.set_schedule_status(integration_id, status == "enabled")
    audit("set_schedule_status", status, integration_id=integration_id)
    _, after = await _current(ctx, integration_id)
    return ScheduleChange(integration_id=integration_id, before=before, after=after)


# The SDK hands a resolver the tool arguments it names.
async def confirm_schedule(
    integration_id: str, ctx: Context[Any, Any], confirm: str | None = None
) -> Any:
    question = (
        f"Delete the schedule of integration {integration_id}? It will no longer run on its own."
    )
    return await ask_before_deleting(ctx, question, integration_id, confirm)


async def delete_schedule(
    ctx: Context[Any, Any],
    integration_id: IntegrationId,
    answer: Annotated[ElicitationResult[Confirmation], Resolve(confirm_schedule)],
    confirm: Confirm = None,
) -> Done:
    """Delete an integration's schedule (the integration stays). Asks the user first.
    set_schedule_status only pauses it."""
    require_confirmation(answer, "the schedule of integration", integration_id)
    _, before = await _current(ctx, integration_id)
    if before is None:
        return Done(done=f"integration {integration_id} has no schedule; nothing deleted")
    await app_state(ctx).client.delete_schedule(integration_id)
    audit("delete_schedule", "ok", integration_id=integration_id)
    return Done(done=f"deleted the schedule of integration {integration_id}")


TOOLS = [
    ToolSpec(
        schedule_integration,
        "schedules",
        "write",
        "Schedule an integration",
        idempotent=True,
        destructive_effect=True,
    ),
    ToolSpec(set_schedule_status, "schedules", "write", "Enable or disable a schedule", True),
    ToolSpec(delete_schedule, "schedules", "destructive", "Delete a schedule"),
]
