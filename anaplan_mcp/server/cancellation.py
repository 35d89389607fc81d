"""`notifications/cancelled` for 2025-era calls over the stateless streamable HTTP transport.

A 2026-07-28 client cancels a call by closing its response stream, and the SDK stops the tool when
it sees the disconnect. A 2025-era client (the MCP Inspector, the TypeScript SDK when its request
times out, `mcp.Client(mode="legacy")`) instead POSTs `notifications/cancelled` naming the request
id, and the SDK hands it to the session that holds that request. This server runs the transport
stateless, so that replicas behind a load balancer share no sessions; then every POST gets a
transport of its own, the notification lands in an empty one and is dropped (SDK 2.3
`StreamableHTTPSessionManager._handle_stateless_request`), and a `wait=true` goes on polling for
its whole limit after the host has given up.

`CancelLegacyCalls` sits in front of the SDK's app: it remembers each 2025-era request in flight
by its caller and id, and a `notifications/cancelled` from the same caller cancels that request's
ASGI call, whose stateless transport the SDK then terminates, cancelling the tool. The caller is
the client address plus a digest of the Authorization header, so a caller cannot stop another
caller's work; if two calls in flight share a key, neither is cancelled. A cancel that reaches a
replica other than the call's finds nothing to cancel, as without this middleware.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import anyio
from mcp.server.transport_security import DEFAULT_MAX_REQUEST_BODY_SIZE
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS
from starlette.types import ASGIApp, Message, Receive, Scope, Send

Key = tuple[str, str, str]


class CancelLegacyCalls:
    """ASGI middleware: honour 2025-era `notifications/cancelled` on a stateless transport."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._calls: dict[Key, list[anyio.CancelScope]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not _handshake_era(scope):
            await self.app(scope, receive, send)
            return
        buffered, body = await _read_body(receive)
        replay = _replaying(buffered, receive)
        message = _json_object(body)
        request_id = message.get("id")
        if message.get("method") == "notifications/cancelled" and request_id is None:
            self._cancel(_key(scope, (message.get("params") or {}).get("requestId")))
            await self.app(scope, replay, send)
        elif request_id is not None and isinstance(message.get("method"), str):
            await self._serve(_key(scope, request_id), scope, replay, send)
        else:
            await self.app(scope, replay, send)

    def _cancel(self, key: Key) -> None:
        calls = self._calls.get(key, [])
        if len(calls) == 1:
            calls[0].cancel()

    async def _serve(self, key: Key, scope: Scope, receive: Receive, send: Send) -> None:
        response = _Response(send)
        with anyio.CancelScope() as call:
            self._calls.setdefault(key, []).append(call)
            try:
                await self.app(scope, receive, response.send)
            finally:
                calls = self._calls[key]
                calls.remove(call)
                if not calls:
                    del self._calls[key]
        if call.cancelled_caught:
            await response.close()


class _Response:
    """Tracks how far a response got, so that a cancelled call's response can still be ended
    properly (a server that leaves a response open logs an error and drops the connection)."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False
        self.ended = False

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            self.ended = True
        await self._send(message)

    async def close(self) -> None:
        # The client gave up on this request, so no answer is owed: the stream just ends.
        if not self.started:
            await self.send({"type": "http.response.start", "status": 204, "headers": []})
        if not self.ended:
            await self.send({"type": "http.response.body", "body": b"", "more_body": False})


def _handshake_era(scope: Scope) -> bool:
    """True for 2025-era requests (the SDK routes the same way: a known handshake version, or
    no version header at all)."""
    version = dict(scope["headers"]).get(b"mcp-protocol-version")
    return version is None or version.decode("latin-1") in HANDSHAKE_PROTOCOL_VERSIONS


def _key(scope: Scope, request_id: Any) -> Key:
    host = (scope.get("client") or ("", 0))[0]
    authorization = dict(scope["headers"]).get(b"authorization", b"")
    return host, hashlib.sha256(authorization).hexdigest(), json.dumps(request_id)


async def _read_body(receive: Receive) -> tuple[list[Message], bytes]:
    """The request's messages as received, and its body (empty when too big to look into: the
    SDK refuses such a request anyway)."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, b""
        size += len(message.get("body", b""))
        if size > DEFAULT_MAX_REQUEST_BODY_SIZE:
            return messages, b""
        if not message.get("more_body", False):
            return messages, b"".join(m.get("body", b"") for m in messages)


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that gives the buffered messages again, then the live ones."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        message = json.loads(body) if body else None
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}
