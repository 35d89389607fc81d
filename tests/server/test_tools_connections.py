"""The connections toolset through MCP (both protocol eras): flat inputs, checked before any write."""

from __future__ import annotations

import json
from typing import Any

import mcp.types as types
import pytest
from mcp import Client

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox

pytestmark = pytest.mark.anyio

S3 = {
    "type": "AmazonS3",
    "name": "Landing bucket",
    "access_key_id": "AKIALANDING",
    "secret_access_key": "LANDING-SECRET-5d1",
    "bucket_name": "landing-bucket",
}
AZURE = {
    "type": "AzureBlob",
    "name": "Landing container",
    "storage_account_name": "landingaccount",
    "container_name": "landing",
    "sas_token": "sv=2024&sig=AZURE-SECRET-8e2",
}
GOOGLE_KEY = {
    "type": "service_account",
    "project_id": "acme-analytics",
    "private_key_id": "key-1",
    "private_key": "-----BEGIN PRIVATE KEY-----\nGOOGLE-SECRET-3c9\n-----END PRIVATE KEY-----\n",
    "client_email": "loader@acme-analytics.iam.gserviceaccount.com",
    "client_id": "1234567890",
    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
    "token_uri": "https://oauth2.googleapis.com/token",
    "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
    "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/loader",
}
SECRETS = ("LANDING-SECRET-5d1", "AZURE-SECRET-8e2", "GOOGLE-SECRET-3c9")


def text_of(result: types.CallToolResult) -> str:
    return " ".join(c.text for c in result.content if isinstance(c, types.TextContent))


async def call(client: Client, tool: str, args: dict[str, Any]) -> Any:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    for secret in SECRETS:
        assert secret not in text_of(result)
    return result.structured_content


async def refused(client: Client, sandbox: Sandbox, tool: str, args: dict[str, Any]) -> str:
    """Call a tool that must refuse; return its message after checking that nothing was written."""
    sandbox.faults.clear_requests()
    result = await client.call_tool(tool, args)
    assert result.is_error
    assert written(sandbox) == []
    message = text_of(result)
    for secret in SECRETS:
        assert secret not in message
    return message


def written(sandbox: Sandbox) -> list[str]:
    """The methods of the requests that changed something (token requests aside)."""
    return [
        r.method for r in sandbox.faults.requests if r.method != "GET" and "/token" not in r.path
    ]


@pytest.mark.parametrize(
    ("args", "kind", "target"),
    [
        (S3, "AmazonS3", ("bucket_name", "landing-bucket")),
        (AZURE, "AzureBlob", ("container_name", "landing")),
        (
            {"type": "GoogleBigQuery", "name": "Warehouse", "dataset": "sales"}
            | {"service_account_key": json.dumps(GOOGLE_KEY)},
            "GoogleBigQuery",
            ("dataset", "sales"),
        ),
    ],
)
async def test_create_takes_the_type_and_its_own_fields_flat(
    client: Client, sandbox: Sandbox, args: dict[str, Any], kind: str, target: tuple[str, str]
) -> None:
    created = await call(client, "create_connection", args)
    assert created["type"] == kind and created["name"] == args["name"]
    assert created[target[0]] == target[1]
    record = sandbox.store.connections[created["connection_id"]]
    assert record["_secrets"], "the secret reached CloudWorks"


async def test_create_refuses_a_field_of_another_type_by_name(
    client: Client, sandbox: Sandbox
) -> None:
    message = await refused(client, sandbox, "create_connection", {**S3, "sas_token": "x"})
    assert "sas_token" in message and "AmazonS3" in message and "bucket_name" in message
    assert sandbox.faults.requests == []


async def test_create_names_a_missing_field_of_the_type(client: Client, sandbox: Sandbox) -> None:
    args = {key: value for key, value in AZURE.items() if key != "container_name"}
    message = await refused(client, sandbox, "create_connection", args)
    assert "container_name" in message and "required" in message
    assert sandbox.faults.requests == []


async def test_create_refuses_a_key_that_is_not_json_without_echoing_it(
    client: Client, sandbox: Sandbox
) -> None:
    args = {"type": "GoogleBigQuery", "name": "W", "dataset": "d"}
    bad_key = "not json GOOGLE-SECRET-3c9"
    message = await refused(
        client, sandbox, "create_connection", {**args, "service_account_key": bad_key}
    )
    assert "service_account_key" in message
    assert sandbox.faults.requests == []


async def test_update_patches_only_the_given_fields(client: Client, sandbox: Sandbox) -> None:
    connection_id = seed.SALES_S3_CONNECTION_ID
    before = dict(sandbox.store.connections[connection_id]["_secrets"])
    sandbox.faults.clear_requests()
    change = await call(
        client,
        "update_connection",
        {"connection_id": connection_id, "secret_access_key": "LANDING-SECRET-5d1"},
    )
    assert written(sandbox) == ["PATCH"]
    secrets = sandbox.store.connections[connection_id]["_secrets"]
    assert secrets["secretAccessKey"] == "LANDING-SECRET-5d1"
    assert secrets["accessKeyId"] == before["accessKeyId"]
    unchanged = ("name", "bucket_name", "role_arn")
    assert [change["before"].get(k) for k in unchanged] == [
        change["after"].get(k) for k in unchanged
    ]


async def test_update_refuses_a_field_of_another_type_before_writing(
    client: Client, sandbox: Sandbox
) -> None:
    message = await refused(
        client,
        sandbox,
        "update_connection",
        {"connection_id": seed.FINANCE_AZURE_CONNECTION_ID, "bucket_name": "elsewhere"},
    )
    assert "bucket_name" in message and "AzureBlob" in message


async def test_update_without_a_field_sends_nothing(client: Client, sandbox: Sandbox) -> None:
    args = {"connection_id": seed.SALES_S3_CONNECTION_ID}
    message = await refused(client, sandbox, "update_connection", args)
    assert "at least one field" in message
    assert sandbox.faults.requests == []


async def test_update_resolves_secret_references_before_any_request(
    client: Client, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANAPLAN_PASSWORD", "host-password")
    args = {"connection_id": seed.FINANCE_AZURE_CONNECTION_ID, "sas_token": "env:ANAPLAN_PASSWORD"}
    message = await refused(client, sandbox, "update_connection", args)
    assert "ANAPLAN_SECRET_" in message and "host-password" not in message
    assert sandbox.faults.requests == []


async def test_replace_puts_every_field_and_drops_what_is_left_out(
    client: Client, sandbox: Sandbox
) -> None:
    created = await call(client, "create_connection", {**S3, "role_arn": "arn:aws:iam::1:role/r"})
    connection_id = created["connection_id"]
    assert "roleArn" in sandbox.store.connections[connection_id]["_secrets"]
    fields = {key: S3[key] for key in ("access_key_id", "secret_access_key", "bucket_name")}
    sandbox.faults.clear_requests()
    change = await call(
        client, "update_connection", {"connection_id": connection_id, **fields, "replace": True}
    )
    assert written(sandbox) == ["PUT"]
    assert "roleArn" not in sandbox.store.connections[connection_id]["_secrets"]
    assert change["after"]["name"] == S3["name"]


async def test_replace_names_the_missing_fields_before_writing(
    client: Client, sandbox: Sandbox
) -> None:
    args = {"connection_id": seed.SALES_S3_CONNECTION_ID, "bucket_name": "b", "replace": True}
    message = await refused(client, sandbox, "update_connection", args)
    assert "access_key_id" in message and "secret_access_key" in message


async def test_a_suggested_calls_credential_placeholder_is_never_stored(
    client: Client, sandbox: Sandbox
) -> None:
    before = dict(sandbox.store.connections[seed.FINANCE_S3_CONNECTION_ID]["_secrets"])
    sandbox.faults.clear_requests()
    text = await refused(
        client,
        sandbox,
        "update_connection",
        {
            "connection_id": seed.FINANCE_S3_CONNECTION_ID,
            "access_key_id": "<new, from the user>",
            "secret_access_key": "<new, from the user>",
        },
    )
    assert "placeholder" in text and "ask the user" in text
    assert sandbox.store.connections[seed.FINANCE_S3_CONNECTION_ID]["_secrets"] == before
