"""Integrations over HTTP: create/list/get/put/delete, paging and its cap, the tenant limit."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx2
import pytest
from sandbox_http import CW, FLOWS, open_client, status_message

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox

pytestmark = pytest.mark.anyio

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def import_body(name: str = "new import", file: str = "reference/products.csv") -> dict[str, Any]:
    return {
        "name": name,
        "version": "2.0",
        "workspaceId": seed.WORKSPACE_ID,
        "modelId": seed.SALES_MODEL_ID,
        "nuxVisible": False,
        "jobs": [
            {
                "type": "AmazonS3ToAnaplan",
                "sources": [
                    {"type": "AmazonS3", "connectionId": seed.SALES_S3_CONNECTION_ID, "file": file}
                ],
                "targets": [
                    {"type": "Anaplan", "actionId": "112000000002", "fileId": "113000000002"}
                ],
            }
        ],
    }


def export_body() -> dict[str, Any]:
    return {
        "name": "new export",
        "version": "2.0",
        "workspaceId": seed.WORKSPACE_ID,
        "modelId": seed.SALES_MODEL_ID,
        "jobs": [
            {
                "type": "AnaplanToGoogleBigQuery",
                "sources": [{"type": "Anaplan", "actionId": "116000000002"}],
                "targets": [
                    {
                        "type": "GoogleBigQuery",
                        "connectionId": seed.ANALYTICS_BQ_CONNECTION_ID,
                        "table": "t",
                        "overwrite": True,
                    }
                ],
            }
        ],
    }


def process_body() -> dict[str, Any]:
    return {
        "name": "new process",
        "version": "2.0",
        "processId": "118000000021",
        "workspaceId": seed.WORKSPACE_ID,
        "modelId": seed.WORKFORCE_MODEL_ID,
    }


async def integration_ids(cw: httpx2.AsyncClient) -> list[str]:
    answer = await cw.get(CW, params={"limit": 100})
    return [item["integrationId"] for item in answer.json()["integrations"]]


@pytest.mark.parametrize(
    ("body", "kind"),
    [(import_body(), "Import"), (export_body(), "Export"), (process_body(), "Process")],
)
async def test_create_then_list_and_get(
    cw: httpx2.AsyncClient, body: dict[str, Any], kind: str
) -> None:
    created = await cw.post(CW, json=body)
    assert created.status_code == 200
    integration_id = created.json()["integration"]["integrationId"]
    assert HEX32.match(integration_id)
    listed = await cw.get(CW, params={"limit": 100})
    item = next(i for i in listed.json()["integrations"] if i["integrationId"] == integration_id)
    assert item["integrationType"] == kind
    assert item["latestRun"] == {}
    assert item["nuxVisible"] is False
    detail = (await cw.get(f"{CW}/{integration_id}")).json()["integration"]
    assert "integrationType" not in detail  # live quirk, contract §6.5
    assert detail["name"] == body["name"]
    assert detail["notificationId"]
    assert HEX32.match(detail["notificationId"])
    notification = await cw.get(f"{CW}/notification/{detail['notificationId']}")
    assert notification.json()["notifications"]["integrationIds"] == [integration_id]
    if kind == "Process":
        assert detail["jobs"] is None
        assert detail["processId"] == "118000000021"
    else:
        assert len(detail["jobs"]) == 1


async def test_detail_job_sources_name_their_connection(cw: httpx2.AsyncClient) -> None:
    detail = (await cw.get(f"{CW}/{seed.SALES_IMPORT_ID}")).json()["integration"]
    source = detail["jobs"][0]["sources"][0]
    assert source["connectionName"] == "Sales landing (S3)"
    assert source["isConnectionDeleted"] is False
    assert source["file"] == seed.SALES_BAD_FILE


@pytest.mark.parametrize(
    ("mutate", "status", "message"),
    [
        (lambda b: b.pop("name"), 400, "name"),
        (lambda b: b.update(name=7), 400, "name"),
        (lambda b: b.update(workspaceId="0" * 32), 400, "User does not have access to workspace"),
        (lambda b: b.update(modelId="A" * 32), 400, "User does not have access to model"),
        (
            lambda b: b.update(version="1.0"),
            400,
            "This API version is not supported for this request",
        ),
        (
            lambda b: b["jobs"][0].update(type="FtpToAnaplan"),
            400,
            "Integration payload is not compliant with the schema",
        ),
        (
            lambda b: b["jobs"][0]["sources"][0].update(connectionId="f" * 32),
            404,
            "Invalid connection_id",
        ),
        (
            lambda b: b["jobs"][0]["sources"][0].update(
                connectionId=seed.FINANCE_AZURE_CONNECTION_ID
            ),
            400,
            "Invalid connection type",
        ),
        (lambda b: b["jobs"][0]["sources"][0].pop("file"), 400, "file"),
        (
            lambda b: b["jobs"][0]["targets"][0].update(actionId="112000000099"),
            400,
            "Action(s) you included, 112000000099 are not defined in your Anaplan model.",
        ),
        (
            lambda b: b["jobs"].append(b["jobs"][0]),
            409,
            "Only a single job is supported by import/export integration",
        ),
        (lambda b: b.update(nuxVisible="yes"), 400, "nuxVisible"),
    ],
)
async def test_bad_integration_bodies_change_nothing(
    cw: httpx2.AsyncClient, mutate: Callable[[dict[str, Any]], Any], status: int, message: str
) -> None:
    before = await integration_ids(cw)
    body = import_body()
    mutate(body)
    assert status_message(await cw.post(CW, json=body)) == (status, message)
    assert await integration_ids(cw) == before


async def test_put_replaces_the_definition_and_answers_the_bare_envelope(
    cw: httpx2.AsyncClient,
) -> None:
    body = import_body(name="Daily sales import", file=seed.SALES_CORRECTED_FILE)
    answer = await cw.put(f"{CW}/{seed.SALES_IMPORT_ID}", json=body)
    assert answer.json() == {"status": {"code": 200, "message": "Success"}}
    detail = (await cw.get(f"{CW}/{seed.SALES_IMPORT_ID}")).json()["integration"]
    assert detail["jobs"][0]["sources"][0]["file"] == seed.SALES_CORRECTED_FILE
    bad = await cw.put(f"{CW}/{seed.SALES_IMPORT_ID}", content=b"nope")
    assert status_message(bad) == (400, "Invalid request body")


async def test_delete_is_refused_while_running_or_referenced(cw: httpx2.AsyncClient) -> None:
    running = await cw.delete(f"{CW}/{seed.NIGHTLY_PROCESS_ID}")
    assert status_message(running) == (409, "Integration is already running")
    referenced = await cw.delete(f"{CW}/{seed.PRODUCTS_IMPORT_ID}")
    assert status_message(referenced) == (409, "The resource is being referenced")
    assert {seed.NIGHTLY_PROCESS_ID, seed.PRODUCTS_IMPORT_ID} <= set(await integration_ids(cw))
    assert (await cw.delete(f"{CW}/{seed.FX_IMPORT_ID}")).status_code == 200
    gone = await cw.get(f"{CW}/{seed.FX_IMPORT_ID}")
    assert status_message(gone) == (404, "Resource not found")


async def test_default_page_is_25_and_paging_meta_counts_the_tenant(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    async with open_client(make_sandbox(seed_integrations=60)) as cw:
        first = (await cw.get(CW)).json()
        assert len(first["integrations"]) == 25
        assert first["meta"]["paging"] == {"currentPageSize": 25, "totalSize": 60, "offset": 0}
        assert first["meta"]["tenantCurrentCount"] == 62  # flows count too
        assert first["meta"]["tenantMaxAllowed"] == 500
        last = (await cw.get(CW, params={"offset": 50, "limit": 25})).json()
        assert last["meta"]["paging"] == {"currentPageSize": 10, "totalSize": 60, "offset": 50}
        pages = [i["integrationId"] for i in first["integrations"]]
        second = (await cw.get(CW, params={"offset": 25})).json()["integrations"]
        assert not set(pages) & {i["integrationId"] for i in second}


async def test_limit_is_capped_silently_and_reports_the_real_page_size(
    make_sandbox: Callable[..., Sandbox],
) -> None:
    async with open_client(make_sandbox(seed_integrations=40, page_size_cap=15)) as cw:
        page = (await cw.get(CW, params={"limit": 1000})).json()
        assert len(page["integrations"]) == 15
        assert page["meta"]["paging"] == {"currentPageSize": 15, "totalSize": 40, "offset": 0}


@pytest.mark.parametrize(
    "params",
    [{"limit": "x"}, {"offset": "-1"}, {"limit": "0"}, {"sortBy": "date"}, {"myIntegrations": "2"}],
)
async def test_bad_listing_parameters(cw: httpx2.AsyncClient, params: dict[str, str]) -> None:
    answer = await cw.get(CW, params=params)
    assert status_message(answer) == (400, next(iter(params)))


async def test_sort_by_name_and_my_integrations(cw: httpx2.AsyncClient) -> None:
    ascending = [
        i["name"] for i in (await cw.get(CW, params={"sortBy": "name"})).json()["integrations"]
    ]
    assert ascending == sorted(ascending, key=str.casefold)
    assert len(ascending) == 12
    descending = [
        i["name"] for i in (await cw.get(CW, params={"sortBy": "-name"})).json()["integrations"]
    ]
    assert descending == ascending[::-1]
    mine = (await cw.get(CW, params={"myIntegrations": 1})).json()["integrations"]
    names = {i["name"] for i in mine}
    assert len(mine) == 10
    assert "Headcount import" not in names
    assert "Workforce refresh" not in names


async def test_the_tenant_limit_counts_flows(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(seed_integrations=498)
    async with open_client(sandbox) as cw:
        assert (await cw.get(CW)).json()["meta"]["tenantCurrentCount"] == 500
        full = await cw.post(CW, json=import_body())
        assert status_message(full) == (409, "Total number of integrations exceeded the limit")
        flow = {
            "name": "f",
            "steps": [
                {"type": "Integration", "referrer": seed.GL_IMPORT_ID},
                {"type": "Integration", "referrer": seed.FX_IMPORT_ID},
            ],
        }
        assert (await cw.post(FLOWS, json=flow)).status_code == 409
        assert (await cw.delete(f"{FLOWS}/{seed.WORKFORCE_FLOW_ID}")).status_code == 200
        assert (await cw.post(CW, json=import_body())).status_code == 200
        assert (await cw.get(CW)).json()["meta"]["tenantCurrentCount"] == 500


@pytest.mark.parametrize(
    "path", [f"{CW}/run/abc/dump", "/2/0/nothing", "/3/0/integrations", f"{CW}/anaplanModels/ABC"]
)
async def test_unknown_routes_answer_nginx_html_404(cw: httpx2.AsyncClient, path: str) -> None:
    answer = await cw.get(path)
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "nginx" in answer.text
