"""An in-process httpx2 transport over the sandbox's ASGI app.

Unlike `httpx2.ASGITransport`, it turns the fault injector's lost answers into the errors a real
network gives: `refuse` raises `httpx2.ConnectError` (the request never reached the server, so
even a non-idempotent call may be retried) and `drop` raises `httpx2.RemoteProtocolError` (the
server handled the request and the answer was lost). Requests run concurrently; nothing is locked.
"""

from __future__ import annotations

from typing import Any, Protocol

import anyio
import httpx2
from starlette.types import ASGIApp, Message

from anaplan_mcp.sandbox.faults import LOST_ANSWER_EXTENSION


class HasASGIApp(Protocol):
    """Anything with the sandbox's `app` (the `Sandbox` itself, or a test stand-in)."""

    @property
    def app(self) -> ASGIApp: ...


class SandboxTransport(httpx2.AsyncBaseTransport):
    """Send each request straight into the ASGI app, one independent call per request."""

    def __init__(self, app: ASGIApp, client: tuple[str, int] = ("127.0.0.1", 50000)) -> None:
        self._app = app
        self._client = client

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        request_body = await request.aread()
        lost_answer: dict[str, str] = {}
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": request.url.scheme,
            "path": request.url.path,
            "raw_path": request.url.raw_path.split(b"?", 1)[0],
            "query_string": request.url.query,
            "root_path": "",
            "headers": [(name.lower(), value) for name, value in request.headers.raw],
            "server": (request.url.host, request.url.port or 80),
            "client": self._client,
            "extensions": {LOST_ANSWER_EXTENSION: lost_answer},
        }
        status: int | None = None
        headers: list[tuple[bytes, bytes]] = []
        body_parts: list[bytes] = []
        body_sent = False
        body_complete = False
        response_complete = anyio.Event()

        async def receive() -> Message:
            nonlocal body_sent
            if not body_sent:
                body_sent = True
                return {"type": "http.request", "body": request_body, "more_body": False}
            await response_complete.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status, headers, body_complete
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                if request.method != "HEAD":
                    body_parts.append(message.get("body", b""))
                if not message.get("more_body", False):
                    body_complete = True
                    response_complete.set()

        # A real socket gives up after the client's read timeout; so does this transport, so that
        # ANAPLAN_TIMEOUT means the same in-process (`serve --sandbox`, tests) as over the network.
        timeouts = request.extensions.get("timeout") or {}
        read_timeout = timeouts.get("read")
        try:
            with anyio.move_on_after(read_timeout) as waited:
                await self._app(scope, receive, send)
        finally:
            response_complete.set()
        if waited.cancelled_caught:
            raise httpx2.ReadTimeout("Timed out waiting for the sandbox's answer", request=request)
        if lost_answer.get("lost") == "refused":
            raise httpx2.ConnectError("Connection refused (sandbox fault)", request=request)
        if lost_answer.get("lost") == "dropped":
            raise httpx2.RemoteProtocolError(
                "Server disconnected without sending a response (sandbox fault)", request=request
            )
        if status is None or not body_complete:
            raise httpx2.RemoteProtocolError("Server closed the connection", request=request)
        return httpx2.Response(
            status, headers=headers, stream=httpx2.ByteStream(b"".join(body_parts))
        )


def sandbox_transport(sandbox: HasASGIApp) -> httpx2.AsyncBaseTransport:
    """An httpx2 transport that serves requests from `sandbox.app` in-process."""
    return SandboxTransport(sandbox.app)
