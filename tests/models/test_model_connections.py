"""Connections: wire round trips, the Azure auth_method quirk, secrets never leaking."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from anaplan_mcp.models import (
    AzureBlobConnectionInput,
    BigQueryConnectionInput,
    Connection,
    ConnectionPatch,
    S3ConnectionInput,
    describe_validation_error,
    parse_connection_input,
)

WS = "2c9ba1a8719d5fbf01722b11d9385b1a"
S3_SECRET = "S3-CANARY-7f1c2b"
SAS_SECRET = "sp=r&sig=SAS-CANARY-91ab"
PEM_SECRET = "-----BEGIN PRIVATE KEY-----PEM-CANARY-55aa-----END PRIVATE KEY-----\n"
CANARIES = (S3_SECRET, SAS_SECRET, PEM_SECRET.strip())

GOOGLE_KEY_FILE = {
    "type": "service_account",
    "project_id": "proj",
    "private_key_id": "1dg11189f7",
    "private_key": PEM_SECRET,
    "client_email": "svc@proj.iam.gserviceaccount.com",
    "client_id": "1223111987765897895300",
    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
    "token_uri": "https://oauth2.googleapis.com/token",
    "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
    "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/svc",
    "universe_domain": "googleapis.com",
}


def _s3(**extra: Any) -> dict[str, Any]:
    return {
        "type": "AmazonS3",
        "name": "s3 in",
        "access_key_id": "AKIAEXAMPLE",
        "secret_access_key": S3_SECRET,
        "bucket_name": "samplebucket",
        **extra,
    }


def _azure() -> dict[str, Any]:
    return {
        "type": "AzureBlob",
        "name": "blob",
        "storage_account_name": "acct",
        "container_name": "box",
        "sas_token": SAS_SECRET,
    }


def _bigquery(key: Any = None) -> dict[str, Any]:
    return {
        "type": "GoogleBigQuery",
        "name": "bq",
        "dataset": "dev_us_west",
        "service_account_key": GOOGLE_KEY_FILE if key is None else key,
    }


def test_s3_wire_body_with_role_arn_and_workspace() -> None:
    model = parse_connection_input(_s3(role_arn="arn:aws:iam::1:role/r", workspace_id=WS))
    assert isinstance(model, S3ConnectionInput)
    assert model.to_wire() == {
        "type": "AmazonS3",
        "body": {
            "name": "s3 in",
            "accessKeyId": "AKIAEXAMPLE",
            "secretAccessKey": S3_SECRET,
            "bucketName": "samplebucket",
            "roleArn": "arn:aws:iam::1:role/r",
            "workspaceId": WS,
        },
    }
    assert "type" not in model.body_to_wire()


def test_azure_sends_snake_case_auth_method() -> None:
    body = parse_connection_input(_azure()).to_wire()["body"]
    # Contract sheet §7.2: requests want auth_method, not authMethod.
    assert body["auth_method"] == "SAS-based"
    assert "authMethod" not in body
    assert body["sasToken"] == SAS_SECRET


def test_wire_shaped_input_is_accepted() -> None:
    wire = parse_connection_input(_azure()).to_wire()
    again = parse_connection_input(wire)
    assert isinstance(again, AzureBlobConnectionInput)
    assert again.to_wire() == wire


def test_bigquery_takes_google_key_file_as_object_or_json_text() -> None:
    from_object = parse_connection_input(_bigquery())
    from_text = parse_connection_input(_bigquery(json.dumps(GOOGLE_KEY_FILE)))
    assert isinstance(from_object, BigQueryConnectionInput)
    assert from_object.to_wire() == from_text.to_wire()
    key = from_object.to_wire()["body"]["serviceAccountKey"]
    assert key["privateKey"] == PEM_SECRET
    assert key["authProviderX509CertUrl"] == GOOGLE_KEY_FILE["auth_provider_x509_cert_url"]
    assert "universeDomain" not in key


def test_bigquery_bad_key_text_is_reported_without_echo() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_connection_input(_bigquery("{not json " + PEM_SECRET))
    message = describe_validation_error(caught.value)
    assert message.startswith("service_account_key:")
    assert "PEM-CANARY" not in message
    assert "PEM-CANARY" not in str(caught.value)


@pytest.mark.parametrize("payload", [_s3(), _azure(), _bigquery()])
def test_secrets_hidden_everywhere_but_to_wire(payload: dict[str, Any]) -> None:
    model = parse_connection_input(payload)
    views = [str(model), repr(model), str(model.model_dump()), model.model_dump_json()]
    for view in views:
        assert not any(canary in view for canary in CANARIES)
    assert any(canary in json.dumps(model.to_wire()) for canary in CANARIES)


@pytest.mark.parametrize(
    "payload",
    [
        {**_s3(), "bucket_name": ""},
        {**_azure(), "unknownKey": 1},
        {**_s3(), "type": "AzureBlob"},
        {**_bigquery(), "service_account_key": {**GOOGLE_KEY_FILE, "client_id": 5}},
        {**_s3(), "secret_access_key": 12345, "note": S3_SECRET},
    ],
)
def test_validation_errors_never_contain_secrets(payload: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_connection_input(payload)
    for text in (describe_validation_error(caught.value), str(caught.value)):
        assert not any(canary in text for canary in CANARIES)


def test_type_body_mismatch_names_the_missing_fields() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_connection_input({**_s3(), "type": "AzureBlob"})
    message = describe_validation_error(caught.value)
    assert "storage_account_name: required" in message
    assert "sas_token: required" in message


def test_unknown_connection_type_in_input_lists_the_choices() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_connection_input({"type": "Dropbox", "name": "x"})
    message = describe_validation_error(caught.value)
    assert message.startswith("type: expected one of")
    assert "Dropbox" not in message


def test_connection_listing_parses_known_and_unknown_types() -> None:
    listed = [
        {
            "connectionId": "0c3d2f662c1b4c71a02fb4b6f09a40f7",
            "connectionType": "AzureBlob",
            "body": {
                "name": "az",
                "storageAccountName": "acct",
                "containerName": "box",
                "authMethod": "SAS-based",
                "sasToken": "should-never-be-kept",
            },
            "isoCreationDate": "2020-09-08T19:18:11.000Z",
            "modificationDate": "2020-09-08T19:31:33.000Z",
            "createdBy": "John Smith",
            "modifiedBy": "John Smith",
            "status": 0,
            "integrationErrorCode": 46,
            "workspaceId": None,
            "somethingNew": True,
        },
        {
            "connectionId": "d743a4e6c39d46c394f792f31d67dd95",
            "connectionType": "SnowflakeSomeday",
            "body": {"name": "future"},
            "creationDate": "2021-09-02T19:45:28.000Z",
            "createdBy": "Jane Roe",
            "status": 1,
            "integrationErrorCode": None,
            "workspaceId": WS,
        },
    ]
    first, second = (Connection.model_validate(item) for item in listed)
    dumped = first.model_dump()
    assert dumped["body"]["storage_account_name"] == "acct"
    assert dumped["body"]["auth_method"] == "SAS-based"
    assert "should-never-be-kept" not in str(dumped)
    assert first.creation_date is not None
    assert first.creation_date.tzinfo is not None
    assert (first.status, first.integration_error_code) == (0, 46)
    assert second.connection_type == "SnowflakeSomeday"


def test_patch_needs_a_field_and_sends_only_given_ones() -> None:
    with pytest.raises(ValidationError):
        ConnectionPatch()
    patch = ConnectionPatch(name="renamed", sas_token=SAS_SECRET)
    assert patch.to_wire() == {"name": "renamed", "sasToken": SAS_SECRET}
    assert SAS_SECRET not in repr(patch)
