"""The `/_sandbox/...` admin controls over HTTP."""

from __future__ import annotations

import base64
from typing import Any

import anyio
import httpx2
import pytest
from sandbox_http import START

from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.auth import SEEDED_PASSWORD, SEEDED_USER


async def login(client: httpx2.AsyncClient) -> dict[str, str]:
    pair = base64.b64encode(f"{SEEDED_USER}:{SEEDED_PASSWORD}".encode()).decode()
    response = await client.post("/token/authenticate", headers={"Authorization": f"Basic {pair}"})
    return {"Authorization": f"AnaplanAuthToken {response.json()['tokenInfo']['tokenValue']}"}


@pytest.mark.anyio
async def test_faults_can_be_added_listed_removed_and_cleared(client: httpx2.AsyncClient) -> None:
    headers = await login(client)
    added = await client.post(
        "/_sandbox/faults",
        json={"kind": "status", "status": 502, "method": "get", "path": "/2/0/*", "times": 1},
    )
    second = await client.post("/_sandbox/faults", json={"kind": "rate_limit", "retry_after": 3})

    faulted = await client.get("/2/0/integrations", headers=headers)
    limited = await client.get("/2/0/integrations", headers=headers)
    listed = (await client.get("/_sandbox/faults")).json()["faults"]
    removed = await client.delete(f"/_sandbox/faults/{second.json()['fault']['id']}")
    missing = await client.delete("/_sandbox/faults/nope")
    after_removal = await client.get("/2/0/integrations", headers=headers)

    assert added.status_code == 201
    assert added.json()["fault"]["method"] == "GET"
    assert faulted.status_code == 502
    assert limited.status_code == 429
    assert [(f["kind"], f["applied"]) for f in listed] == [("rate_limit", 1)]
    assert removed.status_code == 200
    assert missing.status_code == 404
    assert after_removal.status_code == 200

    for _ in range(2):
        await client.post("/_sandbox/faults", json={"kind": "latency", "latency_ms": 1})
    cleared = await client.delete("/_sandbox/faults")
    assert cleared.json() == {"cleared": 2}
    assert (await client.get("/_sandbox/faults")).json() == {"faults": []}


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({"kind": "explode"}, "kind"),
        ({"path": "/x"}, "kind"),
        ({"kind": "status", "colour": "red"}, "colour"),
        ({"kind": "status", "rate": 2}, "rate"),
        ({"kind": "status", "times": 0}, "times"),
        ({"kind": "status", "times": "2"}, "times"),
        ({"kind": "status", "path_regex": "(unclosed"}, "path_regex"),
        ({"kind": "status", "status": 42}, "status"),
        ([{"kind": "status"}], "JSON object"),
        ("{not json", "JSON"),
    ],
)
async def test_bad_fault_input_is_400_with_a_clear_message(
    client: httpx2.AsyncClient, body: Any, complaint: str
) -> None:
    if isinstance(body, str):
        response = await client.post("/_sandbox/faults", content=body)
    else:
        response = await client.post("/_sandbox/faults", json=body)

    assert response.status_code == 400
    assert complaint in response.json()["error"]
    assert (await client.get("/_sandbox/faults")).json()["faults"] == []


@pytest.mark.anyio
async def test_request_log_reports_requests_and_in_flight_peak(
    sandbox: Sandbox, client: httpx2.AsyncClient
) -> None:
    await client.post("/_sandbox/faults", json={"kind": "latency", "latency_ms": 40})

    async with anyio.create_task_group() as group:
        for _ in range(4):
            group.start_soon(client.get, "/token/validate")
    log = (await client.get("/_sandbox/requests")).json()
    cleared = await client.delete("/_sandbox/requests")
    after = (await client.get("/_sandbox/requests")).json()

    validations = [r for r in log["requests"] if r["path"] == "/token/validate"]
    assert len(validations) == 4
    assert {(r["method"], r["status"], r["fault"], r["faulted"]) for r in validations} == {
        ("GET", 400, "latency", True)
    }
    assert log["in_flight_peak"] == 4
    assert log["in_flight"] == 0
    assert cleared.json()["cleared"] == log["count"] + 1  # the DELETE logs itself too
    assert after["in_flight_peak"] == 0
    assert [r["path"] for r in after["requests"]] == ["/_sandbox/requests"]


@pytest.mark.anyio
async def test_clock_can_be_read_advanced_frozen_and_unfrozen(
    sandbox: Sandbox, client: httpx2.AsyncClient
) -> None:
    before = (await client.get("/_sandbox/clock")).json()
    advanced = (await client.post("/_sandbox/clock", json={"advance": 90})).json()
    moved = (
        await client.post("/_sandbox/clock", json={"freeze": True, "at": "2027-01-01T00:00:00Z"})
    ).json()
    thawed = (await client.post("/_sandbox/clock", json={"freeze": False})).json()

    assert before == {
        "now": "2026-03-10T09:30:00.000Z",
        "timestamp": START.timestamp(),
        "frozen": True,
    }
    assert advanced["timestamp"] == START.timestamp() + 90
    assert advanced["frozen"] is True
    assert moved["now"] == "2027-01-01T00:00:00.000Z"
    assert thawed["frozen"] is False
    assert sandbox.clock.frozen is False


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "complaint"),
    [
        ({}, "advance"),
        ({"advance": -5}, "advance"),
        ({"advance": "soon"}, "advance"),
        ({"freeze": "yes"}, "freeze"),
        ({"at": "2027-01-01T00:00:00Z"}, "at"),
        ({"freeze": True, "at": "tomorrow"}, "at"),
        ({"rewind": 5}, "rewind"),
    ],
)
async def test_bad_clock_input_is_400(
    sandbox: Sandbox, client: httpx2.AsyncClient, body: dict[str, Any], complaint: str
) -> None:
    response = await client.post("/_sandbox/clock", json=body)

    assert response.status_code == 400
    assert complaint in response.json()["error"]
    assert sandbox.clock.now() == START


@pytest.mark.anyio
async def test_expire_tokens_makes_every_token_invalid(client: httpx2.AsyncClient) -> None:
    first, second = await login(client), await login(client)

    response = await client.post("/_sandbox/tokens/expire")

    assert response.status_code == 200
    for headers in (first, second):
        assert (await client.get("/token/validate", headers=headers)).status_code == 401
    fresh = await login(client)
    assert (await client.get("/token/validate", headers=fresh)).status_code == 200


@pytest.mark.anyio
async def test_reset_clears_faults_log_and_tokens(
    sandbox: Sandbox, client: httpx2.AsyncClient
) -> None:
    headers = await login(client)
    connection = {
        "type": "AmazonS3",
        "body": {
            "name": "made-before-reset",
            "bucketName": "bkt",
            "accessKeyId": "AKIASANDBOX",
            "secretAccessKey": "not-a-secret",
        },
    }
    created = await client.post("/2/0/integrations/connections", headers=headers, json=connection)
    await client.post("/_sandbox/faults", json={"kind": "status", "path": "/2/0/*"})

    response = await client.post("/_sandbox/reset")

    assert response.status_code == 200
    assert (await client.get("/_sandbox/faults")).json()["faults"] == []
    assert (await client.get("/token/validate", headers=headers)).status_code == 401
    fresh = await login(client)
    connections = await client.get("/2/0/integrations/connections", headers=fresh)
    assert created.status_code == 200
    assert connections.status_code == 200
    assert "made-before-reset" not in connections.text
    assert [r.path for r in sandbox.faults.requests] == [
        "/_sandbox/faults",
        "/token/validate",
        "/token/authenticate",
        "/2/0/integrations/connections",
    ]
