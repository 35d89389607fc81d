"""Connections over HTTP: envelopes, secrets kept server-side, bad input, repair, references."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from sandbox_http import CW, status_message

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox

pytestmark = pytest.mark.anyio

S3_SECRET = "s3-secret-never-returned"
SAS_TOKEN = "sv=2024&sig=sas-never-returned"
PRIVATE_KEY = "-----BEGIN PRIVATE KEY-----\nnever-returned\n-----END PRIVATE KEY-----\n"
SERVICE_ACCOUNT = {
    "type": "service_account",
    "projectId": "p",
    "privateKeyId": "k1",
    "privateKey": PRIVATE_KEY,
    "clientEmail": "svc@p.iam.gserviceaccount.com",
    "clientId": "1",
    "authUri": "https://accounts.google.com/o/oauth2/auth",
    "tokenUri": "https://oauth2.googleapis.com/token",
    "authProviderX509CertUrl": "https://www.googleapis.com/oauth2/v1/certs",
    "clientX509CertUrl": "https://www.googleapis.com/robot/v1/metadata/x509/svc",
}
NEW_CONNECTIONS: list[dict[str, Any]] = [
    {
        "type": "AmazonS3",
        "body": {
            "name": "new s3",
            "bucketName": "brand-new-bucket",
            "accessKeyId": "AKIA1",
            "secretAccessKey": S3_SECRET,
        },
    },
    {
        "type": "AzureBlob",
        "body": {
            "name": "new azure",
            "storageAccountName": "acct",
            "containerName": "box",
            "sasToken": SAS_TOKEN,
            "auth_method": "SAS-based",
        },
    },
    {
        "type": "GoogleBigQuery",
        "body": {"name": "new bq", "dataset": "ds", "serviceAccountKey": SERVICE_ACCOUNT},
    },
]


async def connections(cw: httpx2.AsyncClient) -> list[dict[str, Any]]:
    answer = await cw.get(f"{CW}/connections")
    assert answer.status_code == 200
    return list(answer.json()["connections"])


@pytest.mark.parametrize("body", NEW_CONNECTIONS, ids=lambda b: b["type"])
async def test_create_answers_connections_envelope_and_lists_without_secrets(
    cw: httpx2.AsyncClient, body: dict[str, Any]
) -> None:
    answer = await cw.post(f"{CW}/connections", json=body)
    assert answer.status_code == 200
    payload = answer.json()
    assert payload["status"] == {"code": 200, "message": "Success"}
    connection_id = payload["connections"]["connectionId"]
    assert len(connection_id) == 32
    assert connection_id == connection_id.lower()
    listing = await cw.get(f"{CW}/connections")
    created = next(c for c in listing.json()["connections"] if c["connectionId"] == connection_id)
    assert created["connectionType"] == body["type"]
    assert created["status"] == 1
    assert created["integrationErrorCode"] is None
    assert created["body"]["name"] == body["body"]["name"]
    for secret in (S3_SECRET, SAS_TOKEN, "never-returned", "AKIA1"):
        assert secret not in listing.text
    if body["type"] == "AzureBlob":
        assert created["body"]["authMethod"] == "SAS-based"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"type": "Dropbox", "body": {"name": "x"}}, "Invalid connection type"),
        ({"body": {"name": "x"}}, "type"),
        (
            {"type": "AmazonS3", "body": {"name": "x", "bucketName": "bkt", "accessKeyId": "a"}},
            "secretAccessKey",
        ),
        (
            {
                "type": "AmazonS3",
                "body": {
                    "name": 5,
                    "bucketName": "bkt",
                    "accessKeyId": "a",
                    "secretAccessKey": "s",
                },
            },
            "name",
        ),
        (
            {
                "type": "AzureBlob",
                "body": {
                    "name": "x",
                    "storageAccountName": "acct",
                    "containerName": "box",
                    "sasToken": "t",
                },
            },
            "auth_method",
        ),
        (
            {
                "type": "AzureBlob",
                "body": {
                    "name": "x",
                    "storageAccountName": "acct",
                    "containerName": "box",
                    "sasToken": "t",
                    "auth_method": "key",
                },
            },
            "auth_method",
        ),
        (
            {
                "type": "GoogleBigQuery",
                "body": {
                    "name": "x",
                    "dataset": "d",
                    "serviceAccountKey": {"type": "service_account"},
                },
            },
            "projectId",
        ),
        ([1, 2], "Invalid request body"),
    ],
)
async def test_bad_create_bodies_are_refused_and_change_nothing(
    cw: httpx2.AsyncClient, body: Any, message: str
) -> None:
    before = await connections(cw)
    answer = await cw.post(f"{CW}/connections", json=body)
    assert status_message(answer) == (400, message)
    assert await connections(cw) == before


async def test_body_that_is_not_json_is_an_invalid_request_body(cw: httpx2.AsyncClient) -> None:
    answer = await cw.post(
        f"{CW}/connections", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert status_message(answer) == (400, "Invalid request body")


async def test_patching_the_rotated_key_repairs_the_invalid_connection(
    cw: httpx2.AsyncClient,
) -> None:
    url = f"{CW}/connections/{seed.FINANCE_S3_CONNECTION_ID}"
    before = next(c for c in await connections(cw) if c["connectionId"] in url)
    assert (before["status"], before["integrationErrorCode"]) == (0, 1)
    wrong = await cw.patch(url, json={"secretAccessKey": "still-wrong"})
    assert wrong.status_code == 200
    assert wrong.json() == {"status": {"code": 200, "message": "Success"}}
    assert next(c for c in await connections(cw) if c["connectionId"] in url)["status"] == 0
    fixed = await cw.patch(
        url,
        json={
            "accessKeyId": seed.FINANCE_EXPORTS_ACCESS_KEY_ID,
            "secretAccessKey": seed.FINANCE_EXPORTS_SECRET_ACCESS_KEY,
        },
    )
    assert fixed.status_code == 200
    after = next(c for c in await connections(cw) if c["connectionId"] in url)
    assert (after["status"], after["integrationErrorCode"]) == (1, None)
    assert after["modifiedBy"] == "Sandbox User"


async def test_put_replaces_the_body_and_needs_every_field(cw: httpx2.AsyncClient) -> None:
    url = f"{CW}/connections/{seed.SALES_S3_CONNECTION_ID}"
    partial = await cw.put(url, json={"name": "renamed"})
    assert status_message(partial) == (400, "bucketName")
    full = {
        "name": "renamed",
        "bucketName": "other-bucket",
        "accessKeyId": "A",
        "secretAccessKey": "S",
    }
    assert (await cw.put(url, json=full)).status_code == 200
    renamed = next(c for c in await connections(cw) if c["connectionId"] in url)
    assert renamed["body"] == {"name": "renamed", "bucketName": "other-bucket"}


async def test_patch_refuses_empty_and_unknown_fields(cw: httpx2.AsyncClient) -> None:
    url = f"{CW}/connections/{seed.SALES_S3_CONNECTION_ID}"
    before = await connections(cw)
    assert status_message(await cw.patch(url, json={})) == (400, "Invalid request body")
    assert status_message(await cw.patch(url, json={"sasToken": "x"})) == (400, "sasToken")
    assert await connections(cw) == before


async def test_delete_is_refused_while_referenced_and_works_once_free(
    cw: httpx2.AsyncClient,
) -> None:
    referenced = await cw.delete(f"{CW}/connections/{seed.SALES_S3_CONNECTION_ID}")
    assert status_message(referenced) == (409, "The resource is being referenced")
    created = await cw.post(f"{CW}/connections", json=NEW_CONNECTIONS[0])
    connection_id = created.json()["connections"]["connectionId"]
    assert (await cw.delete(f"{CW}/connections/{connection_id}")).status_code == 200
    assert connection_id not in {c["connectionId"] for c in await connections(cw)}
    again = await cw.delete(f"{CW}/connections/{connection_id}")
    assert status_message(again) == (404, "Resource not found")


async def test_connections_page_with_offset_and_limit(cw: httpx2.AsyncClient) -> None:
    answer = await cw.get(f"{CW}/connections", params={"offset": 1, "limit": 2})
    payload = answer.json()
    assert [c["connectionId"] for c in payload["connections"]] == [
        seed.FINANCE_S3_CONNECTION_ID,
        seed.FINANCE_AZURE_CONNECTION_ID,
    ]
    assert payload["meta"]["paging"] == {"currentPageSize": 2, "totalSize": 4, "offset": 1}


async def test_every_cloudworks_route_needs_a_token(cw_sandbox: Sandbox) -> None:
    transport = httpx2.ASGITransport(app=cw_sandbox.app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://sandbox") as anonymous:
        for method, path in [
            ("GET", f"{CW}/connections"),
            ("POST", f"{CW}/connections"),
            ("GET", CW),
            ("GET", "/2/0/integrationflows"),
            ("GET", "/2/0/workspaces"),
            ("POST", f"{CW}/{seed.SALES_IMPORT_ID}/run"),
        ]:
            answer = await anonymous.request(method, path)
            assert status_message(answer) == (401, "Not Authorized")
        bad = await anonymous.get(CW, headers={"Authorization": "AnaplanAuthToken nope"})
        assert status_message(bad) == (401, "Not Authorized")
    assert cw_sandbox.store.running_run(seed.SALES_IMPORT_ID) is None


AZURE_FIELDS = {"storageAccountName": "acct", "containerName": "landing", "sasToken": SAS_TOKEN}


@pytest.mark.parametrize("spelling", ["auth_method", "authMethod"])
async def test_azure_auth_method_is_taken_in_both_spellings(
    cw: httpx2.AsyncClient, spelling: str
) -> None:
    # The documented snake_case, and the camelCase a live-used client sends (contract §13).
    body = {"name": f"azure {spelling}", **AZURE_FIELDS, spelling: "SAS-based"}
    created = await cw.post(f"{CW}/connections", json={"type": "AzureBlob", "body": body})
    assert created.status_code == 200, created.text
    url = f"{CW}/connections/{created.json()['connections']['connectionId']}"
    assert (await cw.put(url, json={**body, "name": "replaced"})).status_code == 200
    assert (await cw.patch(url, json={spelling: "SAS-based", "name": "patched"})).status_code == 200
    assert status_message(await cw.patch(url, json={spelling: "key"})) == (400, spelling)
    assert status_message(await cw.put(url, json={"name": "x", **AZURE_FIELDS})) == (
        400,
        "auth_method",
    )
    listed = next(c for c in await connections(cw) if c["connectionId"] in url)
    assert (listed["body"]["name"], listed["body"]["authMethod"]) == ("patched", "SAS-based")
