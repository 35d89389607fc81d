"""The HTTP transport answers a malformed request in a short line that never repeats the body."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.server.app import create_server
from anaplan_mcp.server.http import http_app
from anaplan_mcp.settings import load_settings

SECRET = "sk-live-SECRET-4e7a"
HEADERS = {
    "accept": "application/json, text/event-stream",
    "content-type": "application/json",
}


@pytest.fixture
def web(sandbox: Sandbox) -> Iterator[TestClient]:
    server = create_server(load_settings(sandbox=True), sandbox=sandbox)
    with TestClient(http_app(server, host="127.0.0.1"), base_url="http://127.0.0.1") as client:
        yield client


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"password": SECRET}, -32600),
        ({"jsonrpc": "2.0", "id": 1, "params": {"secret_access_key": SECRET}}, -32600),
        ({"jsonrpc": "1.0", "id": 1, "method": "tools/list", "params": {"token": SECRET}}, -32600),
        ([{"jsonrpc": "2.0", "sas_token": SECRET}], -32600),
        ({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": SECRET}, -32600),
        (f'{{"jsonrpc": "2.0", "params": {{"key": "{SECRET}"', -32700),
    ],
)
def test_a_malformed_request_gets_a_short_error_without_its_body(
    web: TestClient, body: object, code: int
) -> None:
    content = body if isinstance(body, str) else json.dumps(body)
    answer = web.post("/mcp", content=content, headers=HEADERS)
    assert answer.status_code == 400
    assert SECRET not in answer.text
    assert len(answer.content) < 300  # the SDK's own answer was about 2 KB
    assert int(answer.headers["content-length"]) == len(answer.content)
    error = answer.json()
    assert error["jsonrpc"] == "2.0" and error["id"] is None
    assert error["error"]["code"] == code
    assert "\n" not in error["error"]["message"]


def test_well_formed_requests_and_other_answers_pass_unchanged(web: TestClient) -> None:
    listed = web.post(
        "/mcp",
        json={"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {}},
        headers={**HEADERS, "mcp-protocol-version": "2025-11-25"},
    )
    assert listed.status_code == 200
    assert '"list_connections"' in listed.text
    only_json = {"content-type": "application/json", "accept": "application/json"}
    refused = web.post("/mcp", content="{}", headers=only_json)
    assert refused.status_code == 406  # the SDK's fixed text, passed through
    assert "Not Acceptable" in refused.text
    assert web.get("/healthz").json()["status"] == "ok"
