"""Short JSON-RPC errors of our own for malformed requests, instead of the SDK's validation dump.

The SDK's streamable HTTP transport answers a body that is not JSON-RPC with 400 and pydantic's
whole validation report (SDK 2.3 `StreamableHTTPServerTransport._handle_post_request`): about 2 KB
that repeats the request, secrets in it included, into the caller's and any proxy's logs.
`PlainRequestErrors` rewrites those answers, by their JSON-RPC code, to one line that says what is
wrong with the request without quoting it; every other response passes through untouched.
"""

from __future__ import annotations

import json
from typing import Any, Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PARSE_ERROR: Final = -32700
INVALID_REQUEST: Final = -32600
INVALID_PARAMS: Final = -32602

# The two answers that come from reading the body, known by code and the SDK's first words. The
# SDK answers a body that is JSON but not JSON-RPC with INVALID_PARAMS; JSON-RPC 2.0 calls that
# INVALID_REQUEST, which the rewrite says. Its other errors (a missing session, an expired
# requestState) are fixed texts and pass unchanged.
_OWN_WORDS: Final = {
    (PARSE_ERROR, "Parse error:"): (
        PARSE_ERROR,
        "Parse error: the request body is not valid JSON.",
    ),
    (INVALID_PARAMS, "Validation error:"): (
        INVALID_REQUEST,
        "Invalid request: the body is not a JSON-RPC 2.0 message "
        '(expected "jsonrpc": "2.0", a "method" and, for a request, an "id").',
    ),
}


class PlainRequestErrors:
    """ASGI middleware: a 400 JSON-RPC error of the transport is answered in our own words."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        held: list[Message] = []  # the start and body of a 400, until the body is complete

        async def checked_send(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 400:
                held.append(message)
                return
            if not held:
                await send(message)
                return
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                for part in _rewritten(held):
                    await send(part)
                held.clear()

        await self.app(scope, receive, checked_send)


def _rewritten(messages: list[Message]) -> list[Message]:
    """The held 400 response, its JSON-RPC error message replaced when its code is known."""
    start, parts = messages[0], messages[1:]
    body = b"".join(part.get("body", b"") for part in parts if part["type"] == "http.response.body")
    replacement = _own_error(body)
    if replacement is None:
        return messages
    headers = [
        (name, value)
        for name, value in start.get("headers", [])
        if name.lower() not in (b"content-length", b"content-type")
    ]
    headers += [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(replacement)).encode()),
    ]
    return [
        {**start, "headers": headers},
        {"type": "http.response.body", "body": replacement, "more_body": False},
    ]


def _own_error(body: bytes) -> bytes | None:
    try:
        answer: Any = json.loads(body)
    except ValueError:
        return None
    error = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(error, dict):
        return None
    code, text = error.get("code"), str(error.get("message", ""))
    known = next(
        (own for (c, start), own in _OWN_WORDS.items() if c == code and text.startswith(start)),
        None,
    )
    if known is None:
        return None
    own_code, message = known
    # The id of a message that could not be read is unknown: JSON-RPC says null.
    reply = {"jsonrpc": "2.0", "id": None, "error": {"code": own_code, "message": message}}
    return json.dumps(reply).encode()
