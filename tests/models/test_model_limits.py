"""Length caps and the storage services' naming rules on every free-text input field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from anaplan_mcp.models import (
    ConnectionPatch,
    FlowInput,
    describe_validation_error,
    parse_connection_input,
)
from anaplan_mcp.models._types import (
    BucketName,
    ContainerName,
    DatasetName,
    FilePath,
    Name,
    NonEmptyStr,
    Secret,
    StorageAccountName,
    TableName,
)
from anaplan_mcp.models.jobs import ColumnMappingInput, FileSourceInput

HUGE = "x" * 120_000


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        (Name, ["n", "n" * 255], ["n" * 256, HUGE]),
        (NonEmptyStr, ["t" * 1024], ["t" * 1025]),
        (FilePath, ["data/sales.csv", "p" * 1024], ["p" * 1025]),
        (
            BucketName,
            ["abc", "acme.sales-2026", "b" * 63],
            ["ab", "b" * 64, "bad bucket!!", "Upper", "-edge", "edge-", "two..dots", HUGE],
        ),
        (StorageAccountName, ["acct", "a1" * 12], ["ab", "a" * 25, "with-hyphen", "UPPER"]),
        (
            ContainerName,
            ["box", "finance-landing", "c" * 63],
            ["ab", "c" * 64, "two--hyphens", "-edge", "Upper"],
        ),
        (DatasetName, ["acme_analytics", "D1"], ["has space", "dot.ted", "d" * 1025]),
        (TableName, ["sales_summary", "Q1 plan-2"], ["semi;colon", "t" * 1025]),
    ],
)
def test_limits_and_naming_rules(kind: Any, good: list[str], bad: list[str]) -> None:
    adapter: TypeAdapter[str] = TypeAdapter(kind)
    for value in good:
        assert adapter.validate_python(value) == value
    for value in bad:
        with pytest.raises(ValidationError):
            adapter.validate_python(value)


def test_caps_are_checks_not_schema_constraints() -> None:
    # The tool list pays tokens for every schema keyword; a cap in validation costs none.
    assert "maxLength" not in TypeAdapter(Name).json_schema()
    assert "pattern" not in TypeAdapter(BucketName).json_schema()


def test_secrets_are_capped_without_repeating_them() -> None:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(Secret).validate_python("s" * 8193)
    assert "s" * 100 not in str(caught.value)


def message(model: type[BaseModel] | None, data: dict[str, Any]) -> str:
    parse = parse_connection_input if model is None else model.model_validate
    with pytest.raises(ValidationError) as caught:
        parse(data)
    return describe_validation_error(caught.value)


S3 = {"type": "AmazonS3", "name": "s3", "access_key_id": "AKIA1", "secret_access_key": "s"}


@pytest.mark.parametrize(
    ("model", "data", "expected"),
    [
        (None, S3 | {"bucket_name": "bad bucket!!"}, "bucket_name: expected 3-63 lowercase"),
        (None, S3 | {"bucket_name": "ok-bucket", "name": HUGE}, "name: expected at most 255"),
        (ConnectionPatch, {"container_name": "A"}, "container_name: expected 3-63 lowercase"),
        (ConnectionPatch, {"role_arn": "a" * 2049}, "role_arn: expected at most 2048"),
        (
            FileSourceInput,
            {"type": "AmazonS3", "connection_id": "a" * 32, "file": HUGE},
            "file: expected at most 1024 characters",
        ),
        (ColumnMappingInput, {"source_name": "a", "target_name": HUGE}, "target_name: expected"),
        (FlowInput, {"name": HUGE, "steps": []}, "name: expected at most 255 characters"),
    ],
)
def test_messages_name_the_field_and_never_the_value(
    model: type[BaseModel] | None, data: dict[str, Any], expected: str
) -> None:
    text = message(model, data)
    assert expected in text
    assert HUGE not in text and "bad bucket" not in text
