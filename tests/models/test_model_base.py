"""Base behaviour: aliases both ways, strict inputs, tolerant reads, safe error messages."""

from __future__ import annotations

import pytest
from pydantic import Field, ValidationError

from anaplan_mcp.models import InputModel, WireModel, describe_validation_error
from anaplan_mcp.models._types import ClockTime, HexId


class _Read(WireModel):
    trace_id: str = Field(description="t")
    status: str | None = Field(None, description="s")


class _Write(InputModel):
    integration_id: HexId = Field(description="i")
    start_time: ClockTime = Field(description="t")
    note: str | None = Field(None, description="n")


def test_read_model_accepts_camel_and_snake_and_ignores_new_fields() -> None:
    from_wire = _Read.model_validate({"traceId": "abc", "brandNewField": [1, 2]})
    from_tool = _Read.model_validate({"trace_id": "abc"})
    assert from_wire == from_tool
    assert from_wire.model_dump() == {"trace_id": "abc", "status": None}
    # The MCP SDK dumps structured output by alias: it must stay snake_case.
    assert from_wire.model_dump(by_alias=True) == {"trace_id": "abc", "status": None}


def test_input_model_to_wire_is_camel_case_without_nones() -> None:
    model = _Write(integration_id="a" * 32, start_time="07:30")
    assert model.to_wire() == {"integrationId": "a" * 32, "startTime": "07:30"}
    assert _Write.model_validate({"integrationId": "a" * 32, "startTime": "07:30"}) == model


def test_input_model_refuses_unknown_fields() -> None:
    with pytest.raises(ValidationError) as caught:
        _Write.model_validate({"integration_id": "a" * 32, "start_time": "07:30", "stray": 1})
    assert describe_validation_error(caught.value) == "stray: unknown field"


def test_schemas_show_snake_case_names() -> None:
    assert set(_Write.model_json_schema(by_alias=True)["properties"]) == {
        "integration_id",
        "start_time",
        "note",
    }
    assert set(_Read.model_json_schema(mode="serialization", by_alias=True)["properties"]) == {
        "trace_id",
        "status",
    }


def test_message_names_every_field_and_hides_values() -> None:
    planted = "DEADBEEF-not-hex-CANARY"
    with pytest.raises(ValidationError) as caught:
        _Write.model_validate({"integration_id": planted, "start_time": "25:61"})
    message = describe_validation_error(caught.value)
    assert "integration_id: expected 32 lowercase hex characters" in message
    assert "start_time: expected HH:MM (24-hour)" in message
    assert planted not in message
    assert "25:61" not in message
    assert planted not in str(caught.value)


def test_message_for_missing_field() -> None:
    with pytest.raises(ValidationError) as caught:
        _Write.model_validate({"start_time": "10:00"})
    assert describe_validation_error(caught.value) == "integration_id: required"


def test_every_public_model_field_has_a_short_description() -> None:
    import inspect

    import anaplan_mcp.models as models

    classes = [
        obj
        for obj in (getattr(models, name) for name in dir(models))
        if inspect.isclass(obj)
        and issubclass(obj, (WireModel, InputModel))
        and obj not in (WireModel, InputModel)
    ]
    assert len(classes) > 40
    for cls in classes:
        for name, field in cls.model_fields.items():
            assert field.description, f"{cls.__name__}.{name}"
            assert len(field.description) <= 90, f"{cls.__name__}.{name}"
