"""The next tool calls a diagnosis suggests, each a valid call of its tool.

Every call carries real arguments in the shape its tool's input schema asks for. Where the model
must change a value (a file path, a bucket name, a schedule's end date), the call carries the
current value and `why` says what to change; only credentials, which the server never shows, are
left for the user to give. tests/diagnosis/test_next_calls_valid.py checks every call the
diagnosis cases produce against the tools' schemas.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from anaplan_mcp.diagnosis.explain import Cause
from anaplan_mcp.diagnosis.facts import IMPORT_DUMP, Facts
from anaplan_mcp.diagnosis.knowledge import KnowledgeEntry
from anaplan_mcp.diagnosis.report import ConnectionState, NextCall
from anaplan_mcp.diagnosis.schedules import MissReason, first_free_day, has_ended
from anaplan_mcp.models import Connection, IntegrationDetail, is_finished
from anaplan_mcp.models.schedules import SCHEDULE_FIELDS

# A credential is the user's to give: the server never shows the current one.
NEW_SECRET = "<new, from the user>"
# update_connection's arguments for each connection type's credentials and storage location.
_CREDENTIALS = {
    "AmazonS3": ("access_key_id", "secret_access_key"),
    "AzureBlob": ("sas_token",),
    "GoogleBigQuery": ("service_account_key",),
}
_LOCATION = {"AmazonS3": "bucket_name", "AzureBlob": "container_name", "GoogleBigQuery": "dataset"}
# What to change the job's current path (or table) to, by the cause's entry.
_SOURCE_WHY = {
    "run-source-not-found": "change it to the file that exists",
    "run-file-structure": "change it to a file with the import's columns",
}


def _remedy(entries: Sequence[KnowledgeEntry], tool: str) -> KnowledgeEntry | None:
    return next((e for e in entries if e.call == tool and e.changes), None)


def connection_call(
    state: ConnectionState, connection: Connection | None, entries: Sequence[KnowledgeEntry]
) -> NextCall | None:
    """update_connection with what the cause says to change (list_connections if it is gone)."""
    if state.deleted or connection is None:
        return NextCall(
            tool="list_connections",
            arguments={},
            why="pick a live connection; then update_integration with its connection_id",
        )
    remedy = _remedy(entries, "update_connection")
    kind = str(connection.connection_type)
    arguments: dict[str, Any] = {"connection_id": connection.connection_id}
    changes = remedy.changes if remedy else ("credentials",)
    if "location" in changes and kind in _LOCATION:
        field = _LOCATION[kind]
        arguments[field] = getattr(connection.body, field)
        why = f"current {field}: correct it, or restore that storage"
    elif "role_arn" in changes and connection.body.role_arn:
        arguments["role_arn"] = connection.body.role_arn
        why = "current role_arn: correct it, or fix the role's trust policy"
    else:
        arguments.update(dict.fromkeys(_CREDENTIALS.get(kind, ()), NEW_SECRET))
        why = "store new credentials; ask the user for them"
    if len(arguments) == 1 or any(value is None for value in arguments.values()):
        return None
    return NextCall(tool="update_connection", arguments=arguments, why=why)


def job_of(detail: IntegrationDetail, action_id: str | None) -> int | None:
    """The index of the job that runs `action_id`, else of the only job."""
    jobs = detail.jobs or []
    for index, job in enumerate(jobs):
        ends = [*job.sources, *job.targets]
        if action_id is not None and any(getattr(e, "action_id", None) == action_id for e in ends):
            return index
    return 0 if len(jobs) == 1 else None


def cloud_place(end: object) -> tuple[str, str] | None:
    """("path" or "table", its value) of a job's cloud end, as update_integration names them."""
    table, path = getattr(end, "table", None), getattr(end, "file", None)
    if table:
        return "table", str(table)
    return ("path", str(path)) if path else None


def source_call(facts: Facts, action_id: str | None, why: str) -> NextCall | None:
    """update_integration with the job's current path (or table), for the model to change."""
    detail = facts.detail
    index = job_of(detail, action_id)
    if index is None:
        return None
    job = (detail.jobs or [])[index]
    place = next(filter(None, map(cloud_place, [*job.sources, *job.targets])), None)
    if place is None:
        return None
    field, current = place
    arguments: dict[str, Any] = {"integration_id": detail.integration_id, field: current}
    if len(detail.jobs or []) > 1:
        arguments["job_index"] = index
    return NextCall(tool="update_integration", arguments=arguments, why=f"current {field}: {why}")


def failed_run_calls(
    facts: Facts, cause: Cause, states: Sequence[ConnectionState]
) -> list[NextCall]:
    """Dumps that exist, the call that repairs the cause, then re-run (or watch a running run)."""
    run = facts.run
    assert run is not None
    detail = facts.detail
    calls: list[NextCall] = []
    for source in facts.dumps:
        arguments: dict[str, Any] = {"run_id": run.id}
        if source != IMPORT_DUMP:
            arguments["action_id"] = source
        calls.append(
            NextCall(tool="get_failure_dump", arguments=arguments, why="all rejected rows")
        )
    by_id = {c.connection_id: c for c in facts.connections}
    broken = next((s for s in states if not s.valid), None)
    repair: NextCall | None = None
    if broken is not None:
        repair = connection_call(broken, by_id.get(broken.connection_id), cause.entries)
    elif (remedy := _remedy(cause.entries, "update_integration")) is not None:
        why = _SOURCE_WHY.get(remedy.id, "change it to the right file")
        repair = source_call(facts, cause.action_id, why)
    elif facts.dumps and facts.kind == "import":
        repair = source_call(facts, None, "change it to a corrected file")
    if repair is not None:
        calls.append(repair)
    if not is_finished(run):
        # A second run is refused while this one goes on (409), so offer to watch or stop it.
        calls.append(
            NextCall(tool="get_run_status", arguments={"run_id": run.id}, why="watch it finish")
        )
        calls.append(
            NextCall(
                tool="cancel_run",
                arguments={"integration_id": detail.integration_id},
                why="stop it",
            )
        )
        return calls
    calls.append(
        NextCall(
            tool="run_integration",
            arguments={"integration_id": detail.integration_id, "wait": True},
            why="re-run once fixed",
        )
    )
    return calls


def _replace_schedule(detail: IntegrationDetail, now: datetime) -> NextCall | None:
    """schedule_integration with the current schedule, from today and without its end date."""
    schedule = detail.schedule
    if schedule is None or schedule.type not in SCHEDULE_FIELDS:
        return None
    arguments: dict[str, Any] = {
        "integration_id": detail.integration_id,
        "type": schedule.type,
        "timezone": schedule.timezone or "UTC",
        # Not the old start date (a past one is refused); the old end date is what stopped it.
        "start_date": first_free_day(schedule, now).isoformat(),
    }
    for field in SCHEDULE_FIELDS[str(schedule.type)]:
        value = getattr(schedule, field)
        if value is not None:
            arguments[field] = value
    if schedule.name and schedule.name != f"{detail.name} schedule":  # else the tool's default
        arguments["name"] = schedule.name
    return NextCall(
        tool="schedule_integration",
        arguments=arguments,
        why="the current schedule without its past end_date (add a later one if it should end)",
    )


def schedule_calls(detail: IntegrationDetail, reason: MissReason, now: datetime) -> list[NextCall]:
    """The calls that make a schedule fire again, for the reason it did not."""
    calls: list[NextCall] = []
    if reason == "disabled":
        calls.append(
            NextCall(
                tool="set_schedule_status",
                arguments={"integration_id": detail.integration_id, "status": "enabled"},
                why="turn the schedule back on",
            )
        )
    if reason == "ended" or (detail.schedule is not None and has_ended(detail.schedule, now)):
        replace = _replace_schedule(detail, now)
        calls += [replace] if replace else []
    return calls
