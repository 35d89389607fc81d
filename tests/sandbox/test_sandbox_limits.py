"""Text limits on the wire: over-long and misnamed values are refused with the field named."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from sandbox_http import CW, FLOWS, status_message
from test_sandbox_connections import NEW_CONNECTIONS
from test_sandbox_integrations import export_body, import_body

from anaplan_mcp.sandbox import seed_ids as seed

pytestmark = pytest.mark.anyio

HUGE = "n" * 120_000


def connection(index: int, **body: Any) -> dict[str, Any]:
    template = NEW_CONNECTIONS[index]
    return {"type": template["type"], "body": {**template["body"], **body}}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (connection(0, name=HUGE), "name"),
        (connection(0, bucketName="bad bucket!!"), "Bucket name is invalid"),
        (connection(0, bucketName="ab"), "Bucket name is invalid"),
        (connection(0, bucketName="Upper-Case"), "Bucket name is invalid"),
        (connection(0, bucketName="b" * 64), "Bucket name is invalid"),
        (connection(0, roleArn="a" * 2049), "Role arn is invalid"),
        (connection(0, accessKeyId="A" * 129), "accessKeyId"),
        (connection(1, containerName="no--double"), "containerName"),
        (connection(1, containerName="c" * 64), "containerName"),
        (connection(1, storageAccountName="Has-Hyphen"), "storageAccountName"),
        (connection(2, dataset="has space"), "Invalid Dataset"),
        (connection(2, dataset="d" * 1025), "Invalid Dataset"),
    ],
)
async def test_connection_text_limits(cw: httpx2.AsyncClient, body: Any, message: str) -> None:
    before = (await cw.get(f"{CW}/connections")).json()["connections"]
    answer = await cw.post(f"{CW}/connections", json=body)
    assert status_message(answer) == (400, message)
    assert HUGE not in answer.text
    assert (await cw.get(f"{CW}/connections")).json()["connections"] == before


async def test_the_longest_valid_names_are_accepted(cw: httpx2.AsyncClient) -> None:
    body = connection(0, name="n" * 255, bucketName="b" * 63)
    assert (await cw.post(f"{CW}/connections", json=body)).status_code == 200
    patch = await cw.patch(
        f"{CW}/connections/{seed.SALES_S3_CONNECTION_ID}", json={"bucketName": "bad bucket!!"}
    )
    assert status_message(patch) == (400, "Bucket name is invalid")


def with_file(body: dict[str, Any], file: str) -> dict[str, Any]:
    body["jobs"][0]["sources"][0]["file"] = file
    return body


def with_table(body: dict[str, Any], table: str) -> dict[str, Any]:
    body["jobs"][0]["targets"][0]["table"] = table
    return body


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (import_body(name=HUGE), "name"),
        (with_file(import_body(), "f" * 1025), "file"),
        (with_table(export_body(), "no;semicolons"), "table"),
        (with_table(export_body(), "t" * 1025), "table"),
    ],
)
async def test_integration_text_limits(cw: httpx2.AsyncClient, body: Any, message: str) -> None:
    answer = await cw.post(CW, json=body)
    assert status_message(answer) == (400, message)
    assert HUGE not in answer.text


async def test_flow_and_schedule_names_are_capped(cw: httpx2.AsyncClient) -> None:
    steps = [{"referrer": seed.SALES_IMPORT_ID}, {"referrer": seed.GL_IMPORT_ID}]
    flow = await cw.post(FLOWS, json={"name": HUGE, "steps": steps})
    assert status_message(flow) == (400, "name")
    schedule = {
        "name": HUGE,
        "type": "daily",
        "time": "03:00",
        "startDate": "2026-04-01",
        "timezone": "UTC",
    }
    target = seed.WORKFORCE_PROCESS_ID
    answer = await cw.post(
        f"{CW}/{target}/schedule", json={"integrationId": target, "schedule": schedule}
    )
    assert status_message(answer) == (400, "name")
