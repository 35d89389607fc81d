"""Runs: open trigger sources, both lastRun forms, every runerror shape, the done test."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from anaplan_mcp.models import (
    LatestRun,
    RunErrors,
    RunHistory,
    RunRecord,
    RunStatus,
    describe_validation_error,
    is_finished,
)
from anaplan_mcp.models.outcomes import run_outcome

RUN = {
    "id": "hy40d89893084f0dkb985cmme9i5io2a",
    "triggeredBy": "John Smith",
    "lastRun": 1601334571,
    "startDate": "2020-09-28T23:09:31.000Z",
    "endDate": "2020-09-28T23:13:07.000Z",
    "success": True,
    "message": "Success",
    "executionErrorCode": None,
    "traceId": "0123456789abcdef0123456789abcdef",
    "triggerSource": "scheduled_inf",
}


@pytest.mark.parametrize(
    "last_run", [1601334571, "2020-09-28T23:09:31.000Z", "2020-09-28T23:09:31Z"]
)
def test_last_run_int_epoch_or_iso_becomes_the_same_aware_datetime(last_run: Any) -> None:
    record = RunRecord.model_validate({**RUN, "lastRun": last_run})
    assert record.last_run == datetime(2020, 9, 28, 23, 9, 31, tzinfo=UTC)


@pytest.mark.parametrize("source", ["manual", "manual_inf", "nux_dashboard", "api_v3_someday"])
def test_trigger_source_stays_open(source: str) -> None:
    record = RunRecord.model_validate({**RUN, "triggerSource": source})
    assert record.model_dump()["trigger_source"] == source


def test_run_record_dump_is_snake_case() -> None:
    dumped = RunRecord.model_validate(RUN).model_dump(mode="json")
    assert dumped["trace_id"] == RUN["traceId"]
    assert dumped["execution_error_code"] is None
    assert "traceId" not in dumped


def test_run_record_requires_trace_id() -> None:
    without = {k: v for k, v in RUN.items() if k != "traceId"}
    with pytest.raises(ValidationError) as caught:
        RunRecord.model_validate(without)
    assert describe_validation_error(caught.value) == "trace_id: required"


def test_history_of_runs() -> None:
    history = RunHistory.model_validate(
        {
            "integrationId": "fe40dc5793084f7dbb685cffe6a5ad2a",
            "name": "sample",
            "integrationType": "Import",
            "schedule": None,
            "status": 1,
            "runs": [RUN, {**RUN, "id": "b" * 32, "endDate": None, "message": "Running"}],
            "totalRuns": 41,
        }
    )
    assert history.total_runs == 41
    assert [is_finished(run) for run in history.runs] == [True, False]


def test_run_status_with_flow_group() -> None:
    status = RunStatus.model_validate(
        {**RUN, "integrationId": "c" * 32, "flowGroupId": "d" * 32, "triggerSource": "manual_inf"}
    )
    assert status.flow_group_id == "d" * 32
    assert is_finished(status)


@pytest.mark.parametrize(
    ("end", "message", "code", "finished", "partial"),
    [
        (None, "Running", None, False, False),
        ("2020-09-28T23:13:07.000Z", "Running", None, False, False),
        ("2020-09-28T23:13:07.000Z", "Success", None, True, False),
        ("2020-09-28T23:13:07.000Z", "2 rows failed", 38, True, True),
        ("2020-09-28T23:13:07.000Z", "Cancelled", None, True, False),
    ],
)
def test_done_test(
    end: str | None, message: str, code: int | None, finished: bool, partial: bool
) -> None:
    run = LatestRun.model_validate(
        {
            "triggeredBy": "x",
            "startDate": "2020-09-28T23:09:31.000Z",
            "success": True,
            "message": message,
            "endDate": end,
            "executionErrorCode": code,
        }
    )
    assert (is_finished(run), run_outcome(run) == "partial_success") == (finished, partial)


ENTRY = {
    "id": "hy40d89893084f0dkb985cmme9i5io2a",
    "errorMessages": [
        {
            "errorMessage": [
                {
                    "localMessageText": "13 rows successful, 2 failed",
                    "occurrences": 0,
                    "type": "hierarchyRowsProcessedWithFailures",
                    "values": [],
                }
            ],
            "actionId": "112000000011",
            "actionName": "sample import action",
            "failureDumpGenerated": True,
        },
        {
            "errorMessage": [{"localMessageText": "bad"}],
            "actionId": "112000000012",
            "actionName": "other",
            "failureDumpGenerated": False,
        },
    ],
    "taskId": None,
}


@pytest.mark.parametrize(
    ("runs", "action_count"),
    [(ENTRY, 2), ([ENTRY], 2), ([ENTRY, ENTRY], 4), ({}, 0), ([], 0), (None, 0)],
)
def test_run_errors_accept_every_runs_shape(runs: Any, action_count: int) -> None:
    parsed = RunErrors.model_validate({"status": {"code": 200}, "runs": runs})
    assert len(parsed.actions) == action_count
    assert parsed.dump_action_ids == (["112000000011"] if action_count else [])


def test_run_errors_from_the_bare_runs_value() -> None:
    assert RunErrors.model_validate(ENTRY).actions[0].details[0].type == (
        "hierarchyRowsProcessedWithFailures"
    )
    assert RunErrors.model_validate([]).actions == []
