"""The in-process transport: faithful requests and answers, network-like errors, no serialising."""

from __future__ import annotations

import base64
from types import SimpleNamespace

import anyio
import httpx2
import pytest
from starlette.types import Receive, Scope, Send

from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.auth import SEEDED_PASSWORD, SEEDED_USER
from anaplan_mcp.sandbox.faults import Fault
from anaplan_mcp.sandbox.transport import sandbox_transport


def basic_header() -> dict[str, str]:
    pair = base64.b64encode(f"{SEEDED_USER}:{SEEDED_PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


@pytest.mark.anyio
async def test_requests_and_answers_pass_through_unchanged(
    sandbox: Sandbox, client: httpx2.AsyncClient
) -> None:
    login = await client.post("/token/authenticate", headers=basic_header())
    token = login.json()["tokenInfo"]["tokenValue"]

    listing = await client.get(
        "/2/0/integrations",
        params={"limit": 2, "offset": 0},
        headers={"Authorization": f"AnaplanAuthToken {token}"},
    )
    unknown = await client.get("/2/0/no-such-route")

    assert login.status_code == 201
    assert listing.status_code == 200
    assert listing.headers["content-type"].startswith("application/json")
    assert sandbox.faults.requests[1].query == "limit=2&offset=0"
    assert unknown.status_code == 404
    assert unknown.headers["content-type"].startswith("text/html")


@pytest.mark.anyio
async def test_refuse_raises_connect_error(sandbox: Sandbox, client: httpx2.AsyncClient) -> None:
    sandbox.faults.add(Fault(kind="refuse", path="/token/*"))

    with pytest.raises(httpx2.ConnectError) as raised:
        await client.post("/token/authenticate", headers=basic_header())

    assert raised.value.request.url.path == "/token/authenticate"
    assert sandbox.tokens.to_state()["tokens"] == []


@pytest.mark.anyio
async def test_drop_raises_remote_protocol_error_after_the_app_acted(
    sandbox: Sandbox, client: httpx2.AsyncClient
) -> None:
    sandbox.faults.add(Fault(kind="drop", path="/token/authenticate", times=1))

    with pytest.raises(httpx2.RemoteProtocolError):
        await client.post("/token/authenticate", headers=basic_header())

    assert len(sandbox.tokens.to_state()["tokens"]) == 1
    assert sandbox.faults.requests[-1].status == 201


@pytest.mark.anyio
async def test_requests_run_concurrently(sandbox: Sandbox, client: httpx2.AsyncClient) -> None:
    sandbox.faults.add(Fault(kind="latency", latency_ms=50, path="/token/authenticate"))
    answers: list[int] = []

    async def authenticate() -> None:
        answers.append(
            (await client.post("/token/authenticate", headers=basic_header())).status_code
        )

    async with anyio.create_task_group() as group:
        for _ in range(8):
            group.start_soon(authenticate)

    assert answers == [201] * 8
    assert sandbox.faults.in_flight_peak == 8


@pytest.mark.anyio
async def test_an_answer_cut_short_is_a_protocol_error() -> None:
    async def half_answer(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-length", b"10")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"12345", "more_body": True})

    transport = sandbox_transport(SimpleNamespace(app=half_answer))
    async with httpx2.AsyncClient(transport=transport, base_url="http://sandbox.test") as http:
        with pytest.raises(httpx2.RemoteProtocolError):
            await http.get("/anything")


@pytest.mark.anyio
async def test_request_body_and_streamed_answer_arrive_whole() -> None:
    async def echo(scope: Scope, receive: Receive, send: Send) -> None:
        received = b""
        while True:
            message = await receive()
            received += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 202, "headers": []})
        for chunk in (received[:3], received[3:]):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"!"})

    transport = sandbox_transport(SimpleNamespace(app=echo))
    async with httpx2.AsyncClient(transport=transport, base_url="http://sandbox.test") as http:
        response = await http.post("/echo", content=b"hello sandbox")

    assert response.status_code == 202
    assert response.content == b"hello sandbox!"
