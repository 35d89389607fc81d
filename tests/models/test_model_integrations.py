"""Integrations: contract bodies round-trip; sources and targets are checked against job types."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from anaplan_mcp.models import (
    AnaplanEndpoint,
    ExportIntegrationInput,
    FileSource,
    ImportIntegrationInput,
    Integration,
    IntegrationDetail,
    OtherEndpoint,
    ProcessIntegrationInput,
    describe_validation_error,
    parse_integration_input,
)

WS = "8a80db657068fdef01718955f3b3390b"
MODEL = "E559BFF3B1CD4DEE874F745BE0259711"
CONN = "0c3d2f662c1b4c71a02fb4b6f09a40f7"
S3 = {"type": "AmazonS3", "connectionId": CONN, "file": "sample_file.csv"}
ANAPLAN_IMPORT = {"type": "Anaplan", "actionId": "112000000011", "fileId": "113000000011"}
ANAPLAN_EXPORT = {"type": "Anaplan", "actionId": "116000000053"}


def _body(jobs: list[dict[str, Any]] | None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "sample",
        "version": "2.0",
        "workspaceId": WS,
        "modelId": MODEL,
        "nuxVisible": False,
        **extra,
    }
    if jobs is not None:
        body["jobs"] = jobs
    return body


IMPORT_S3 = _body([{"type": "AmazonS3ToAnaplan", "sources": [S3], "targets": [ANAPLAN_IMPORT]}])
EXPORT_BQ = _body(
    [
        {
            "type": "AnaplanToGoogleBigQuery",
            "sources": [ANAPLAN_EXPORT],
            "targets": [
                {"type": "GoogleBigQuery", "connectionId": CONN, "table": "SKU", "overwrite": True}
            ],
            "mapping": [
                {"sourceName": "Size", "targetName": "Size"},
                {"sourceName": "SKU_Item", "targetName": "SKU Item"},
            ],
        }
    ]
)
PROCESS = _body(
    [
        {"type": "AmazonS3ToAnaplan", "sources": [S3], "targets": [ANAPLAN_IMPORT]},
        {
            "type": "AnaplanToAzureBlob",
            "sources": [{"type": "Anaplan", "actionId": "116000000000"}],
            "targets": [{"type": "AzureBlob", "connectionId": CONN, "file": "Exports/"}],
        },
    ],
    processId="118000000001",
)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (IMPORT_S3, ImportIntegrationInput),
        (EXPORT_BQ, ExportIntegrationInput),
        (PROCESS, ProcessIntegrationInput),
        (_body(None, processId="118000000001"), ProcessIntegrationInput),
    ],
)
def test_contract_bodies_round_trip(body: dict[str, Any], kind: type) -> None:
    model = parse_integration_input(body)
    assert isinstance(model, kind)
    assert model.to_wire() == body


def test_tool_shaped_snake_case_input_gives_the_wire_body() -> None:
    model = ImportIntegrationInput(
        name="sample",
        workspace_id=WS,
        model_id=MODEL,
        jobs=[
            {
                "type": "AmazonS3ToAnaplan",
                "sources": [{"type": "AmazonS3", "connection_id": CONN, "file": "sample_file.csv"}],
                "targets": [
                    {"type": "Anaplan", "action_id": 112000000011, "file_id": "113000000011"}
                ],
            }
        ],
    )
    assert model.to_wire() == IMPORT_S3


def _mutated(path: list[Any], value: Any, body: dict[str, Any] = IMPORT_S3) -> dict[str, Any]:
    changed = copy.deepcopy(body)
    target: Any = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            _mutated(
                ["jobs", 0, "targets", 0], {"type": "AzureBlob", "connectionId": CONN, "file": "x"}
            ),
            "jobs[0]: target type must be Anaplan for a AmazonS3ToAnaplan job",
        ),
        (
            _mutated(["jobs", 0, "sources", 0], {**S3, "type": "AzureBlob"}),
            "jobs[0]: source type must be AmazonS3",
        ),
        (
            _mutated(["jobs", 0, "targets", 0, "actionId"], "116000000011"),
            "import action id (112...)",
        ),
        (
            _mutated(["jobs", 0, "mapping"], [{"sourceName": "a", "targetName": "b"}]),
            "mapping is only for AnaplanToGoogleBigQuery",
        ),
        (_mutated(["jobs", 0, "mapping"], None, EXPORT_BQ), "needs a column mapping"),
        (_mutated(["modelId"], MODEL.lower()), "model_id: expected 32 uppercase hex"),
        (_mutated(["workspaceId"], "8a80db65-7068"), "workspace_id: expected 32 lowercase hex"),
        (_mutated(["processId"], "112000000001"), "process_id: expected a process id (118...)"),
        (_mutated(["jobs"], IMPORT_S3["jobs"] * 2), "jobs: expected exactly one job"),
        (_mutated(["jobs", 0, "sources"], [S3, S3]), "jobs[0].sources: expected at most 1"),
    ],
)
def test_cross_checks_name_the_problem(body: dict[str, Any], expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_integration_input(body)
    assert expected in describe_validation_error(caught.value)


def test_export_model_refuses_an_import_job() -> None:
    with pytest.raises(ValidationError) as caught:
        ExportIntegrationInput.model_validate(IMPORT_S3)
    assert "jobs: expected a job out of Anaplan" in describe_validation_error(caught.value)


LIST_ITEM = {
    "integrationId": "fe40dc5793084f7dbb685cffe6a5ad2a",
    "name": "sample import integration",
    "integrationType": "Import",
    "createdBy": "John Smith",
    "creationDate": "2020-09-29T01:31:16.000Z",
    "modificationDate": "2020-09-29T01:31:26.000Z",
    "modifiedBy": "John Smith",
    "modelId": MODEL,
    "workspaceId": WS,
    "nuxVisible": False,
    "latestRun": {},
    "schedule": {
        "name": "nightly",
        "type": "monthly_specific_day",
        "time": "22:00",
        "timezone": "Europe/Paris",
        "startDate": "2020-09-03",
        "dayOfMonth": 11,
        "daysOfWeek": [],
        "status": "Active",
    },
    "notificationId": "a72d86ac0a9c454aa8baf67c1db67486",
    "futureField": {"x": 1},
}


def test_list_item_reads_empty_latest_run_as_none_and_keeps_schedule_fields() -> None:
    item = Integration.model_validate(LIST_ITEM)
    assert item.latest_run is None
    assert item.schedule is not None
    assert item.schedule.day_of_month == 11
    dumped = item.model_dump()
    assert dumped["integration_type"] == "Import"
    assert "futureField" not in dumped
    assert "future_field" not in dumped


def test_list_item_keeps_unknown_integration_type() -> None:
    item = Integration.model_validate({**LIST_ITEM, "integrationType": "Transform"})
    assert item.integration_type == "Transform"


def test_list_item_requires_fields_clients_rely_on() -> None:
    missing = {k: v for k, v in LIST_ITEM.items() if k != "nuxVisible"}
    with pytest.raises(ValidationError) as caught:
        Integration.model_validate(missing)
    assert describe_validation_error(caught.value) == "nux_visible: required"


def test_detail_parses_jobs_with_known_and_unknown_endpoints() -> None:
    detail_wire = {k: v for k, v in LIST_ITEM.items() if k != "integrationType"}
    detail_wire["latestRun"] = {
        "triggeredBy": "John Smith",
        "startDate": "2020-09-28T23:09:31.000Z",
        "endDate": None,
        "success": False,
        "message": "Running",
        "triggerSource": "manual_inf",
    }
    detail_wire["jobs"] = [
        {
            "type": "AmazonS3ToAnaplan",
            "sources": [{**S3, "connectionName": "s3 in", "isConnectionDeleted": False}],
            "targets": [ANAPLAN_IMPORT, {"type": "Snowflake", "connectionId": CONN}],
        }
    ]
    detail = IntegrationDetail.model_validate(detail_wire)
    assert detail.jobs is not None
    source = detail.jobs[0].sources[0]
    assert isinstance(source, FileSource)
    assert source.connection_name == "s3 in"
    first, second = detail.jobs[0].targets
    assert isinstance(first, AnaplanEndpoint)
    assert first.file_id == "113000000011"
    assert isinstance(second, OtherEndpoint)
    assert second.type == "Snowflake"
    assert detail.kind == "Import"
    assert detail.latest_run is not None
    assert detail.latest_run.trigger_source == "manual_inf"


def test_process_detail_without_jobs() -> None:
    wire = {k: v for k, v in LIST_ITEM.items() if k != "integrationType"}
    detail = IntegrationDetail.model_validate({**wire, "processId": "118000000001", "jobs": None})
    assert detail.jobs is None
    assert detail.kind == "Process"
