"""Fault injection and the request log, over HTTP (in-process and through a real uvicorn socket)."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import anyio
import httpx2
import pytest
import uvicorn

from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.auth import SEEDED_PASSWORD, SEEDED_USER
from anaplan_mcp.sandbox.faults import Fault, FaultInjector
from anaplan_mcp.sandbox.transport import sandbox_transport

CONNECTIONS = "/2/0/integrations/connections"


def s3_connection(name: str) -> dict[str, Any]:
    secrets = {"accessKeyId": "AKIASANDBOX", "secretAccessKey": "not-a-secret"}
    return {"type": "AmazonS3", "body": {"name": name, "bucketName": "drop-test", **secrets}}


@pytest.fixture
async def client(sandbox: Sandbox) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(
        transport=sandbox_transport(sandbox), base_url="http://sandbox.test"
    ) as http:
        basic = base64.b64encode(f"{SEEDED_USER}:{SEEDED_PASSWORD}".encode()).decode()
        login = await http.post("/token/authenticate", headers={"Authorization": f"Basic {basic}"})
        token = login.json()["tokenInfo"]["tokenValue"]
        http.headers["Authorization"] = f"AnaplanAuthToken {token}"
        yield http


def statuses(sandbox: Sandbox, path: str) -> list[int | None]:
    return [record.status for record in sandbox.faults.requests if record.path == path]


@pytest.mark.anyio
@pytest.mark.parametrize(("status", "message"), [(503, "Service Unavailable"), (500, "Boom")])
async def test_status_fault_answers_the_cloudworks_error_body(
    sandbox: Sandbox, client: httpx2.AsyncClient, status: int, message: str
) -> None:
    fields: dict[str, Any] = {"message": message} if message == "Boom" else {}
    sandbox.faults.add(Fault(kind="status", status=status, path="/2/0/integrations", **fields))

    response = await client.get("/2/0/integrations", params={"limit": 5})

    assert response.status_code == status
    body = response.json()
    assert body["status"] == {"code": status, "message": message}
    assert body["path"] == "/2/0/integrations"
    datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00"))
    record = sandbox.faults.requests[-1]
    assert (record.method, record.query, record.status, record.fault) == (
        "GET",
        "limit=5",
        status,
        "status",
    )


@pytest.mark.anyio
async def test_rate_limit_fault_sends_retry_after(
    sandbox: Sandbox, client: httpx2.AsyncClient
) -> None:
    sandbox.faults.add(Fault(kind="rate_limit", retry_after=7))

    response = await client.get("/2/0/integrations")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json() == {"status": {"code": 429, "message": "Too Many Requests"}}


@pytest.mark.anyio
async def test_malformed_fault_truncates_json_without_calling_the_app(
    sandbox: Sandbox, client: httpx2.AsyncClient
) -> None:
    sandbox.faults.add(Fault(kind="malformed", method="POST"))

    response = await client.post(CONNECTIONS, json=s3_connection("never-created"))

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    listing = await client.get(CONNECTIONS)
    assert "never-created" not in listing.text


@pytest.mark.anyio
async def test_html_404_and_expired_token_faults(
    sandbox: Sandbox, client: httpx2.AsyncClient
) -> None:
    sandbox.faults.add(Fault(kind="html_404", times=1))
    sandbox.faults.add(Fault(kind="expired_token", times=1))

    html = await client.get("/2/0/integrations")
    expired = await client.get("/2/0/integrations")
    healthy = await client.get("/2/0/integrations")

    assert html.status_code == 404
    assert html.headers["content-type"].startswith("text/html")
    assert b"nginx" in html.content
    assert expired.status_code == 401
    assert expired.json()["status"] == {"code": 401, "message": "Not Authorized"}
    assert healthy.status_code == 200
    assert sandbox.faults.faults == []


@pytest.mark.anyio
async def test_refuse_never_reaches_the_app(sandbox: Sandbox, client: httpx2.AsyncClient) -> None:
    sandbox.faults.add(Fault(kind="refuse", method="POST", path=CONNECTIONS))

    with pytest.raises(httpx2.ConnectError):
        await client.post(CONNECTIONS, json=s3_connection("refused-connection"))

    sandbox.faults.clear()
    assert "refused-connection" not in (await client.get(CONNECTIONS)).text
    refused = [r for r in sandbox.faults.requests if r.method == "POST" and r.path == CONNECTIONS]
    assert [(r.status, r.fault) for r in refused] == [(None, "refuse")]


@pytest.mark.anyio
async def test_drop_changes_state_but_loses_the_answer(
    sandbox: Sandbox, client: httpx2.AsyncClient
) -> None:
    sandbox.faults.add(Fault(kind="drop", method="POST", path_regex=r"/connections$"))

    with pytest.raises(httpx2.RemoteProtocolError):
        await client.post(CONNECTIONS, json=s3_connection("dropped-connection"))

    assert "dropped-connection" in (await client.get(CONNECTIONS)).text


@pytest.mark.anyio
async def test_times_limits_a_fault_to_the_next_n_matching_requests(
    sandbox: Sandbox, client: httpx2.AsyncClient
) -> None:
    sandbox.faults.add(Fault(kind="status", method="GET", path="/2/0/integrations", times=2))

    other_path = await client.get(CONNECTIONS)
    other_method = await client.post("/2/0/integrations", json={})
    answers = [(await client.get("/2/0/integrations")).status_code for _ in range(3)]

    assert other_path.status_code == 200
    assert other_method.status_code != 503
    assert answers == [503, 503, 200]


@pytest.mark.anyio
async def test_rate_is_deterministic_for_a_seed(
    sandbox: Sandbox, client: httpx2.AsyncClient
) -> None:
    async def pattern(rate: float, seed: int) -> list[int]:
        sandbox.faults.clear()
        sandbox.faults.add(Fault(kind="status", path="/2/0/integrations", rate=rate, seed=seed))
        return [(await client.get("/2/0/integrations")).status_code for _ in range(30)]

    first = await pattern(0.5, seed=11)
    again = await pattern(0.5, seed=11)
    never = await pattern(0.0, seed=11)
    always = await pattern(1.0, seed=11)

    assert first == again
    assert 0 < first.count(503) < 30
    assert set(never) == {200}
    assert set(always) == {503}


@pytest.mark.anyio
async def test_latency_holds_requests_concurrently_and_the_peak_counts_them(
    sandbox: Sandbox, client: httpx2.AsyncClient
) -> None:
    sandbox.faults.add(Fault(kind="latency", latency_ms=50, path="/2/0/integrations"))
    answers: list[int] = []

    async def fetch() -> None:
        answers.append((await client.get("/2/0/integrations")).status_code)

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(fetch)

    assert answers == [200] * 5
    assert sandbox.faults.in_flight_peak == 5
    assert sandbox.faults.in_flight == 0
    assert [r.fault for r in sandbox.faults.requests if r.path == "/2/0/integrations"] == [
        "latency"
    ] * 5


@pytest.mark.anyio
async def test_admin_routes_are_logged_but_never_faulted(
    sandbox: Sandbox, client: httpx2.AsyncClient
) -> None:
    sandbox.faults.add(Fault(kind="refuse"))

    response = await client.get("/_sandbox/faults")

    assert response.status_code == 200
    assert statuses(sandbox, "/_sandbox/faults") == [200]
    assert sandbox.faults.requests[-1].fault is None


def test_fault_rules_reject_bad_values() -> None:
    for bad in (
        {"kind": "explode"},
        {"kind": "status", "rate": 1.5},
        {"kind": "status", "times": 0},
        {"kind": "status", "path_regex": "("},
    ):
        with pytest.raises(ValueError, match=r"kind|rate|times|path_regex"):
            Fault(**bad)


def test_reset_forgets_rules_log_and_peak() -> None:
    injector = FaultInjector()
    injector.add(Fault(kind="drop"))
    injector.in_flight_peak = 3

    injector.reset()

    assert (injector.faults, injector.requests, injector.in_flight_peak) == ([], [], 0)


@pytest.fixture
def live_server(sandbox: Sandbox) -> Iterator[str]:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    config = uvicorn.Config(sandbox.app, log_level="critical", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)  # waiting for the server thread to bind, not for sandbox time
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        listener.close()


def test_drop_and_refuse_over_a_real_socket_are_protocol_errors(
    sandbox: Sandbox, live_server: str
) -> None:
    basic = base64.b64encode(f"{SEEDED_USER}:{SEEDED_PASSWORD}".encode()).decode()
    with httpx2.Client(base_url=live_server) as http:
        login = http.post("/token/authenticate", headers={"Authorization": f"Basic {basic}"})
        http.headers["Authorization"] = (
            f"AnaplanAuthToken {login.json()['tokenInfo']['tokenValue']}"
        )
        sandbox.faults.add(Fault(kind="drop", method="POST", times=1))
        sandbox.faults.add(Fault(kind="refuse", method="POST", times=1))

        with pytest.raises(httpx2.RemoteProtocolError):
            http.post(CONNECTIONS, json=s3_connection("dropped-over-socket"))
        with pytest.raises(httpx2.TransportError):
            http.post(CONNECTIONS, json=s3_connection("refused-over-socket"))
        listing = http.get(CONNECTIONS)

    assert listing.status_code == 200
    assert "dropped-over-socket" in listing.text
    assert "refused-over-socket" not in listing.text
