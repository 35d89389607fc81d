"""Notifications (1-5 users per type) and flows (2+ enabled steps, dependsOn defaults)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from anaplan_mcp.models import (
    FlowDetail,
    FlowInput,
    FlowRunInput,
    NotificationConfig,
    NotificationInput,
    describe_validation_error,
)

A, B, C = "a" * 32, "b" * 32, "c" * 32
USER = "2c9ba1b6729b7fd80172c3f635db40f7"


def _notification(users: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "integrationIds": [A],
        "channels": ["email", "in_app"],
        "notifications": {"config": [{"type": "full_failure", "users": users}]},
        **extra,
    }


def test_notification_wire_round_trip() -> None:
    body = _notification([USER])
    assert NotificationInput.model_validate(body).to_wire() == body


@pytest.mark.parametrize("count", [0, 6])
def test_notification_user_count(count: int) -> None:
    users = [f"{i:032x}" for i in range(count)]
    with pytest.raises(ValidationError) as caught:
        NotificationInput.model_validate(_notification(users))
    assert describe_validation_error(caught.value).startswith("config[0].users: expected at")


def test_notification_type_and_channel_are_strict_on_input() -> None:
    body = _notification([USER], channels=["pager"])
    body["notifications"]["config"][0]["type"] = "sometimes"
    with pytest.raises(ValidationError) as caught:
        NotificationInput.model_validate(body)
    message = describe_validation_error(caught.value)
    assert "channels[0]: expected one of" in message
    assert "config[0].type: expected one of" in message


def test_notification_config_read_flattens_and_keeps_new_types() -> None:
    config = NotificationConfig.model_validate(
        {
            "notificationId": "067d1426ac964a7cac871c87790c4555",
            "integrationIds": [A],
            "channels": ["email", "sms"],
            "notifications": {
                "config": [
                    {
                        "type": "run_started",
                        "users": [{"userGuid": USER, "firstName": "John", "lastName": "Smith"}],
                    }
                ]
            },
        }
    )
    dumped = config.model_dump()
    assert dumped["config"][0]["type"] == "run_started"
    assert dumped["config"][0]["users"][0]["user_guid"] == USER
    assert dumped["channels"] == ["email", "sms"]


def test_flow_defaults_and_depends_on_chain() -> None:
    wire = FlowInput(name="nightly", steps=[{"referrer": A}, {"referrer": B}]).to_wire()  # type: ignore[list-item]
    assert wire == {
        "name": "nightly",
        "version": "2.0",
        "type": "IntegrationFlow",
        "steps": [
            {
                "type": "Integration",
                "referrer": A,
                "isSkipped": False,
                "exceptionBehavior": [
                    {"type": "failure", "strategy": "stop"},
                    {"type": "partial_success", "strategy": "continue"},
                ],
            },
            {
                "type": "Integration",
                "referrer": B,
                "dependsOn": [A],
                "isSkipped": False,
                "exceptionBehavior": [
                    {"type": "failure", "strategy": "stop"},
                    {"type": "partial_success", "strategy": "continue"},
                ],
            },
        ],
    }


def test_flow_wire_body_round_trips() -> None:
    wire = FlowInput(
        name="f",
        steps=[  # type: ignore[list-item]
            {"referrer": A},
            {"referrer": B, "on_failure": "continue", "is_skipped": True},
            {"referrer": C, "depends_on": [A]},
        ],
    ).to_wire()
    assert FlowInput.model_validate(wire).to_wire() == wire
    assert wire["steps"][2]["dependsOn"] == [A]


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([{"referrer": A}], "steps: expected at least 2"),
        (
            [{"referrer": A}, {"referrer": B, "isSkipped": True}],
            "at least two steps must be enabled",
        ),
        ([{"referrer": A}, {"referrer": A}], "only once"),
        ([{"referrer": A, "dependsOn": [B]}, {"referrer": B}], "earlier steps"),
        ([{"referrer": A}, {"referrer": "B" * 32}], "steps[1].referrer: expected 32 lowercase hex"),
    ],
)
def test_flow_rules(steps: list[dict[str, Any]], expected: str) -> None:
    with pytest.raises(ValidationError) as caught:
        FlowInput.model_validate({"name": "f", "steps": steps})
    assert expected in describe_validation_error(caught.value)


def test_flow_run_body() -> None:
    assert FlowRunInput(steps_to_run=[B]).to_wire() == {"stepsToRun": [B]}
    assert FlowRunInput().to_wire() == {}


STEP = {
    "referrer": A,
    "name": "step one",
    "type": "Process",
    "createdBy": "user",
    "createdDate": "2023-02-09 07:47:13.165000+00:00",
    "modifiedDate": "2023-02-09 07:47:13.165000+00:00",
    "modelId": "5BED7528B6884794AEEE705BC3E77EA3",
    "workspaceId": "8a8196a36f9ff1cb017018c7b3f24756",
    "isSkipped": False,
    "exceptionBehavior": [{"type": "failure", "strategy": "stop"}],
    "latestRun": {},
    "accessible": False,
}


def test_flow_detail_parses_space_separated_step_dates() -> None:
    detail = FlowDetail.model_validate(
        {
            "id": "fe40dc5793084f7dbb685cffe6a5ad2a",
            "name": "flow",
            "createdBy": "user",
            "creationDate": "2023-02-09T07:47:13.165Z",
            "stepsCount": 2,
            "nuxVisible": False,
            "version": "2.0",
            "steps": [STEP, {**STEP, "referrer": B, "type": "Transform", "dependsOn": [A]}],
        }
    )
    step = detail.steps[0]
    assert step.created_date == datetime(2023, 2, 9, 7, 47, 13, 165000, tzinfo=UTC)
    assert step.latest_run is None
    assert detail.steps[1].type == "Transform"
