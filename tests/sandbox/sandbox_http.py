"""Helpers for driving the sandbox over HTTP (plain ASGI transport, seeded user's token)."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import httpx2

from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.auth import SEEDED_PASSWORD, SEEDED_USER

START = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)
CW = "/2/0/integrations"
FLOWS = "/2/0/integrationflows"


async def token_for(client: httpx2.AsyncClient) -> str:
    """Log in as the seeded user with Basic auth and return the token value."""
    basic = base64.b64encode(f"{SEEDED_USER}:{SEEDED_PASSWORD}".encode()).decode()
    answer = await client.post("/token/authenticate", headers={"Authorization": f"Basic {basic}"})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["tokenInfo"]["tokenValue"])


@asynccontextmanager
async def open_client(sandbox: Sandbox) -> AsyncIterator[httpx2.AsyncClient]:
    """A client on the sandbox app that already carries a valid token."""
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=sandbox.app), base_url="http://sandbox"
    ) as client:
        client.headers["Authorization"] = f"AnaplanAuthToken {await token_for(client)}"
        yield client


def status_message(answer: httpx2.Response) -> tuple[int, str]:
    """The HTTP status and CloudWorks' `status.message` of an error answer (shape checked)."""
    body = answer.json()
    assert body["status"]["code"] == answer.status_code
    assert body["path"] == answer.request.url.path
    assert body["timestamp"].endswith("Z")
    return answer.status_code, body["status"]["message"]
