"""Pure diagnosis logic: schedules, outcomes, causes, flow steps and compact output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from anaplan_mcp.diagnosis.diagnose import match_name
from anaplan_mcp.diagnosis.dumps import analyse_dump, parse_dump
from anaplan_mcp.diagnosis.explain import (
    explain_cause,
    group_evidence,
    row_counts,
)
from anaplan_mcp.diagnosis.flows import step_states
from anaplan_mcp.diagnosis.report import ConnectionState, Evidence
from anaplan_mcp.diagnosis.schedules import in_maintenance, last_expected, missed_run
from anaplan_mcp.models import FlowDetail, Integration, LatestRun, RunErrors, RunRecord, Schedule
from anaplan_mcp.models.outcomes import run_outcome, step_results

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday
DUMP = (
    '"Date","Product","Units","_Line_","_Error_1_"\n'
    '"2026-03-03","Widget A","12x","18","Invalid number: 12x"\n'
    '"2026-03-03","Widget Z","4","47","Item not located in Products list: Widget Z"\n'
)


def schedule(**fields: Any) -> Schedule:
    return Schedule.model_validate({"startDate": "2026-01-01", "status": "Active", **fields})


def run(start: datetime, **fields: Any) -> RunRecord:
    base = {
        "id": "r" * 32,
        "triggeredBy": "x",
        "lastRun": start.isoformat(),
        "startDate": start.isoformat(),
        "endDate": (start + timedelta(seconds=45)).isoformat(),
        "success": True,
        "message": "Success",
        "traceId": "t",
        "triggerSource": "scheduled",
    }
    return RunRecord.model_validate({**base, **fields})


def latest(start: datetime, **fields: Any) -> LatestRun:
    base = {"triggeredBy": "x", "startDate": start.isoformat(), "success": True}
    base |= {"message": "Success", "endDate": (start + timedelta(seconds=45)).isoformat()}
    return LatestRun.model_validate({**base, **fields})


def test_daily_schedule_expects_todays_run_in_its_own_time_zone() -> None:
    daily = schedule(type="daily", time="06:00", timezone="Asia/Tokyo")
    assert last_expected(daily, NOW) == datetime(2026, 3, 3, 21, 0, tzinfo=UTC)


def test_weekly_hourly_and_monthly_patterns() -> None:
    weekly = schedule(type="weekly", time="05:00", daysOfWeek=[0], timezone="UTC")
    assert last_expected(weekly, NOW) == datetime(2026, 3, 1, 5, 0, tzinfo=UTC)  # Sunday
    hourly = schedule(
        type="hourly",
        fromTime="08:00",
        toTime="18:00",
        repeatEvery=2,
        daysOfWeek=[3],
        timezone="UTC",
    )
    assert last_expected(hourly, NOW) == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    monthly = schedule(type="monthly_specific_day", time="04:00", dayOfMonth=1, timezone="UTC")
    assert last_expected(monthly, NOW) == datetime(2026, 3, 1, 4, 0, tzinfo=UTC)
    relative = schedule(
        type="monthly_relative_weekday", time="09:00", dayOfWeek=1, repeatEvery=1, timezone="UTC"
    )
    assert last_expected(relative, NOW) == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 1st Monday


def test_missed_run_reasons() -> None:
    daily = {"type": "daily", "time": "06:00", "timezone": "UTC"}
    old = latest(NOW - timedelta(days=3))
    assert missed_run(schedule(**daily, status="Inactive"), old, NOW) == (
        datetime(2026, 3, 4, 6, 0, tzinfo=UTC),
        "disabled",
    )
    assert missed_run(schedule(**daily, endDate="2026-02-01"), old, NOW)[1] == "ended"  # type: ignore[index]
    running = latest(NOW - timedelta(hours=8), endDate=None, message="Running")
    assert missed_run(schedule(**daily), running, NOW)[1] == "still_running"  # type: ignore[index]
    assert missed_run(schedule(**daily), latest(NOW - timedelta(hours=6)), NOW) is None
    assert missed_run(None, old, NOW) is None
    # A window that starts after the due time sees no miss.
    assert (
        missed_run(schedule(**daily, status="Inactive"), old, NOW, NOW - timedelta(hours=1)) is None
    )


def test_maintenance_window_is_saturday_afternoon_pacific() -> None:
    assert in_maintenance(datetime(2026, 3, 7, 22, 0, tzinfo=UTC))  # Sat 14:00 PST
    assert not in_maintenance(datetime(2026, 3, 7, 2, 0, tzinfo=UTC))
    saturday = schedule(type="weekly", time="14:00", daysOfWeek=[6], timezone="America/Los_Angeles")
    assert missed_run(saturday, None, datetime(2026, 3, 8, 12, 0, tzinfo=UTC))[1] == "maintenance"  # type: ignore[index]


def test_outcomes_follow_the_done_test_not_success_alone() -> None:
    start = NOW - timedelta(hours=1)
    assert run_outcome(run(start, executionErrorCode=38)) == "partial_success"
    assert run_outcome(run(start, success=False, executionErrorCode=12)) == "failed"
    assert run_outcome(run(start, success=False, message="Cancelled")) == "cancelled"
    assert run_outcome(run(start, success=False, message="Running", endDate=None)) == "running"
    assert run_outcome(run(start)) == "succeeded"


def test_row_counts_are_summed_numbers_only() -> None:
    text = (
        "Sales import: 97 (97/100) rows successful, 0 (0/0) rows has warnings, 3 failed, 0 ignored"
    )
    assert row_counts([text, "Other: 5 (5/7) rows successful, 2 failed"]) == {
        "loaded": 102,
        "failed": 5,
        "total": 107,
    }
    assert row_counts(["Anaplan Connection Error"]) == {}


def test_partial_cause_names_each_known_row_error() -> None:
    groups = group_evidence(analyse_dump(parse_dump(DUMP)))
    assert [g.kb for g in groups] == ["row-invalid-number", "row-item-not-in-list"]
    assert groups[0].untrusted_data.samples[0].column == "Units"
    cause = explain_cause("partial_success", run(NOW, executionErrorCode=38), None, [], groups)
    assert "Invalid number" in cause.text and "Item not located" in cause.text
    assert "Widget Z" not in cause.text  # row values stay in untrusted data


def test_invalid_connection_is_the_cause_of_a_failed_run() -> None:
    broken = ConnectionState(connection_id="c" * 32, valid=False, error_code=1)
    cause = explain_cause(
        "failed", run(NOW, success=False, executionErrorCode=39), None, [broken], []
    )
    assert "c" * 32 in cause.text and "access key" in cause.text
    assert {e.id for e in cause.entries} >= {"conn-1-s3-credentials"}


def test_an_unrecognised_failure_is_unknown_and_never_guessed() -> None:
    errors = RunErrors.model_validate(
        {
            "runs": {
                "errorMessages": [
                    {
                        "actionId": "1",
                        "actionName": "a",
                        "failureDumpGenerated": False,
                        "errorMessage": [{"localMessageText": "Zorp exploded"}],
                    }
                ]
            }
        }
    )
    failed = run(NOW, success=False, message="Zorp exploded", executionErrorCode=77)
    cause = explain_cause("failed", failed, errors, [], [])
    assert cause.text.startswith("unknown") and not cause.known
    assert "Zorp" not in cause.text


def action(action_id: str, dump: bool, text: str, error_type: str) -> dict[str, Any]:
    line = {"localMessageText": text, "type": error_type, "occurrences": 0, "values": []}
    return {
        "actionId": action_id,
        "actionName": "a",
        "failureDumpGenerated": dump,
        "errorMessage": [line],
    }


def test_the_action_that_failed_outright_names_the_cause_before_rejected_rows() -> None:
    rows = "s: 9 (9/10) rows successful, 0 (0/0) rows has warnings, 1 failed, 0 ignored"
    errors = RunErrors.model_validate(
        {
            "runs": {
                "errorMessages": [
                    action("112000000001", True, rows, "hierarchyRowsProcessedWithFailures"),
                    action("116000000001", False, "Access denied: cannot write", "accessDenied"),
                ]
            }
        }
    )
    failed = run(NOW, success=False, message="Process failed", executionErrorCode=39)
    groups = group_evidence(analyse_dump(parse_dump(DUMP)))
    cause = explain_cause("failed", failed, errors, [], groups)
    assert [e.id for e in cause.entries] == ["run-access-denied"]
    assert cause.action_id == "116000000001"
    # Without the failed action, the rejected rows are the cause, not "Process failed".
    only_rows = RunErrors.model_validate(
        {"runs": {"errorMessages": [errors.actions[0].model_dump(by_alias=True)]}}
    )
    cause = explain_cause("failed", failed, only_rows, [], groups)
    assert cause.text.startswith("Rows were rejected")


def test_flow_steps_after_a_stopping_failure_did_not_run() -> None:
    start = NOW - timedelta(hours=2)
    step = {
        "type": "Import",
        "createdBy": "x",
        "createdDate": start.isoformat(),
        "modifiedDate": start.isoformat(),
        "modelId": "M",
        "workspaceId": "w",
        "isSkipped": False,
        "exceptionBehavior": [{"type": "failure", "strategy": "stop"}],
    }
    flow = FlowDetail.model_validate(
        {
            "id": "f" * 32,
            "name": "F",
            "createdBy": "x",
            "stepsCount": 4,
            "nuxVisible": False,
            "version": "2.0",
            "latestRun": latest(start, success=False, message="boom").model_dump(by_alias=True),
            "steps": [
                {
                    **step,
                    "referrer": "a" * 32,
                    "name": "A",
                    "latestRun": {
                        "triggeredBy": "x",
                        "startDate": start.isoformat(),
                        "success": True,
                        "message": "Success",
                        "endDate": start.isoformat(),
                    },
                },
                {
                    **step,
                    "referrer": "b" * 32,
                    "name": "B",
                    "latestRun": {
                        "triggeredBy": "x",
                        "startDate": start.isoformat(),
                        "success": False,
                        "message": "boom",
                        "endDate": start.isoformat(),
                    },
                },
                {**step, "referrer": "c" * 32, "name": "C", "isSkipped": True},
                {**step, "referrer": "d" * 32, "name": "D", "latestRun": None},
            ],
        }
    )
    assert flow.latest_run is not None
    states = step_states(step_results(flow, NOW))
    assert [s.outcome for s in states] == ["succeeded", "failed", "skipped", "not_reached"]
    assert states[3].why is not None and "step 2" in states[3].why and "stop" in states[3].why


def test_compact_output_drops_only_optional_empty_fields() -> None:
    dumped = Evidence(run_id=None, error_code=0).model_dump(mode="json")
    assert dumped == {"error_code": 0}


def test_names_match_exactly_then_by_part() -> None:
    def item(name: str) -> Integration:
        return Integration.model_validate(
            {
                "integrationId": name[:1] * 32,
                "name": name,
                "createdBy": "x",
                "creationDate": NOW.isoformat(),
                "modificationDate": NOW.isoformat(),
                "modelId": "M",
                "workspaceId": "w",
                "nuxVisible": False,
                "integrationType": "Import",
            }
        )

    items = [item("Sales import"), item("Daily sales import")]
    assert [i.name for i in match_name(items, "SALES IMPORT")] == ["Sales import"]
    assert len(match_name(items, "sales")) == 2
    assert match_name(items, "nothing") == []
