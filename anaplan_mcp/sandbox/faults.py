"""Fault injection and the request log: the sandbox's outermost ASGI middleware.

Every HTTP request is appended to `FaultInjector.requests` (method, path, query with secret values
masked, status, time, the fault applied). `in_flight` counts requests being handled now and
`in_flight_peak` the most at once since the last reset, so tests can assert that a client really
ran requests concurrently. Admin routes (`/_sandbox/...`) are logged but neither faulted nor
counted in flight.

A `Fault` matches by optional method and path (a glob in `path`, or a regex in `path_regex`) and
fires for the next `times` matching requests, at a `rate` (0-1, drawn from an RNG seeded with
`seed`), both, or (neither given) on every matching request until cleared. Latency faults add
their delay and let later faults fire too; the first other fault that fires decides the answer.

Kinds:
- `latency`: wait `latency_ms` (a real `anyio.sleep`), then pass through.
- `status`: answer `status` (default 503) with the CloudWorks error body and `message`, and
  `Retry-After: <retry_after>` when one is given (seconds, or an HTTP date as text).
- `rate_limit`: 429, `Retry-After: <retry_after>` (default 1) and `{"status":{"code":429,...}}`.
- `malformed`: 200 `application/json` with a truncated JSON body; the app is not called.
- `html_404`: the nginx-style `text/html` 404 page; the app is not called.
- `expired_token`: 401 with the CloudWorks error body, message "Not Authorized".
- `refuse`: the app is never called and no answer is given (a connection error for the client).
- `drop`: the app handles the request (state changes), then the answer is lost.

Over a real socket `refuse` starts a response with a `Content-Length` and closes without a body,
and `drop` sends the app's headers and part of its body before closing, so an HTTP client sees a
protocol error. In-process, `sandbox_transport` puts a dict under `scope["extensions"]
[LOST_ANSWER_EXTENSION]`; the middleware writes `"refused"`/`"dropped"` into its `"lost"` key
and sends nothing, and the transport raises the matching httpx2 error.
"""

from __future__ import annotations

import fnmatch
import random
import re
import time
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Literal, get_args
from urllib.parse import parse_qsl, urlencode

import anyio
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from anaplan_mcp.sandbox.clock import Clock

FaultKind = Literal[
    "latency", "status", "rate_limit", "malformed", "html_404", "expired_token", "refuse", "drop"
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
ADMIN_PREFIX = "/_sandbox/"
LOST_ANSWER_EXTENSION = "anaplan_mcp.sandbox.lost_answer"
REQUEST_LOG_LIMIT = 10_000

NGINX_404_PAGE = (
    b"<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n"
    b"<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
_MALFORMED_BODY = (
    b'{"status": {"code": 200, "message": "Success"}, "integrations": [{"integrationId": "'
)


@dataclass
class Fault:
    """One fault rule; see the module docstring for the kinds and matching rules."""

    kind: FaultKind
    method: str | None = None
    path: str | None = None
    path_regex: str | None = None
    times: int | None = None
    rate: float | None = None
    seed: int | None = None
    status: int = 503
    message: str | None = None
    latency_ms: float = 0.0
    retry_after: int | str | None = None
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    applied: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}, not {self.kind!r}")
        if self.method is not None:
            self.method = self.method.upper()
        if self.times is not None and self.times < 1:
            raise ValueError("times must be a positive integer")
        if self.rate is not None and not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if not 100 <= self.status <= 599:
            raise ValueError("status must be an HTTP status between 100 and 599")
        negative_wait = isinstance(self.retry_after, int) and self.retry_after < 0
        if self.latency_ms < 0 or negative_wait:
            raise ValueError("latency_ms and retry_after must not be negative")
        if self.path_regex is not None:
            try:
                self._regex: re.Pattern[str] | None = re.compile(self.path_regex)
            except re.error as error:
                raise ValueError(f"path_regex is not a valid regular expression: {error}") from None
        else:
            self._regex = None
        self._rng = random.Random(self.seed)

    def matches(self, method: str, path: str) -> bool:
        """Whether this rule applies to a request (before its count and rate are consulted)."""
        if self.method is not None and self.method != method:
            return False
        if self.path is not None and not fnmatch.fnmatchcase(path, self.path):
            return False
        return self._regex is None or self._regex.search(path) is not None

    def fires(self) -> bool:
        """Consume one use if the rate lets this matching request be faulted."""
        if self.times is not None and self.applied >= self.times:
            return False
        if self.rate is not None and self._rng.random() >= self.rate:
            return False
        self.applied += 1
        return True

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.applied >= self.times

    def to_json(self) -> dict[str, Any]:
        """The rule as the admin API shows it."""
        return {item.name: getattr(self, item.name) for item in fields(self)}


_FAULT_INPUT_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(("kind", "method", "path", "path_regex", "message"), (str,)),
    **dict.fromkeys(("times", "seed", "status"), (int,)),
    "retry_after": (int, str),
    **dict.fromkeys(("rate", "latency_ms"), (int, float)),
}


def fault_from_json(data: Mapping[str, Any]) -> Fault:
    """Build a `Fault` from admin JSON; raises ValueError with a readable message."""
    unknown = sorted(set(data) - set(_FAULT_INPUT_TYPES))
    if unknown:
        raise ValueError(f"unknown fault field(s): {', '.join(unknown)}")
    if "kind" not in data:
        raise ValueError(f"kind is required: one of {', '.join(FAULT_KINDS)}")
    for name, value in data.items():
        wrong_type = isinstance(value, bool) or not isinstance(value, _FAULT_INPUT_TYPES[name])
        if value is not None and wrong_type:
            raise ValueError(f"{name} has the wrong type: {type(value).__name__}")
    return Fault(**data)


@dataclass
class RequestRecord:
    """One logged request. `status` is what the app answered (None if it never answered)."""

    method: str
    path: str
    query: str
    timestamp: str
    status: int | None = None
    fault: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "faulted": self.fault is not None}


# Query parameters whose values are secrets (OAuth codes, tokens, a sign-in's state): the log
# keeps their names only, so reading the log never hands out a credential.
SECRET_QUERY_PARAMETERS = frozenset(
    {"access_token", "refresh_token", "id_token", "token", "code", "code_verifier",
     "client_secret", "device_code", "user_code", "password", "state"}
)  # fmt: skip


def _redacted(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(name.lower() in SECRET_QUERY_PARAMETERS for name, _ in pairs):
        return query  # left exactly as sent
    return urlencode(
        [
            (name, "***" if name.lower() in SECRET_QUERY_PARAMETERS else value)
            for name, value in pairs
        ]
    )


def _reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FaultInjector:
    """Request log, in-flight counters (`in_flight`, `in_flight_peak`) and fault rules."""

    def __init__(self, *, clock: Clock | None = None) -> None:
        self.clock = clock
        self.faults: list[Fault] = []
        self.requests: list[RequestRecord] = []
        self.in_flight = 0
        self.in_flight_peak = 0

    def add(self, fault: Fault) -> None:
        """Add a fault rule; rules are consulted in the order they were added."""
        self.faults.append(fault)

    def remove(self, fault_id: str) -> bool:
        """Remove one rule by id; False when no rule has that id."""
        kept = [fault for fault in self.faults if fault.id != fault_id]
        removed = len(kept) != len(self.faults)
        self.faults = kept
        return removed

    def clear(self) -> None:
        """Remove every fault rule."""
        self.faults.clear()

    def clear_requests(self) -> None:
        """Empty the request log and restart the peak from the requests in flight now."""
        self.requests.clear()
        self.in_flight_peak = self.in_flight

    def reset(self) -> None:
        """Remove every rule and empty the log."""
        self.clear()
        self.clear_requests()

    def wrap(self, app: ASGIApp) -> ASGIApp:
        """The outermost middleware around `app`."""

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            await self._handle(app, scope, receive, send)

        return middleware

    def _now(self) -> str:
        return _iso(self.clock.now() if self.clock else datetime.fromtimestamp(time.time(), UTC))

    def _choose(self, method: str, path: str) -> tuple[float, Fault | None]:
        delay_ms = 0.0
        for fault in self.faults:
            if not fault.matches(method, path) or not fault.fires():
                continue
            if fault.kind == "latency":
                delay_ms += fault.latency_ms
                continue
            return delay_ms, fault
        return delay_ms, None

    async def _handle(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        query = _redacted(scope.get("query_string", b"").decode("latin-1"))
        record = RequestRecord(method, path, query, self._now())
        self.requests.append(record)
        if len(self.requests) > REQUEST_LOG_LIMIT:
            del self.requests[: len(self.requests) - REQUEST_LOG_LIMIT]
        answer = _Answer(record, send)
        if path.startswith(ADMIN_PREFIX):
            await app(scope, receive, answer.forward)
            return
        self.in_flight += 1
        self.in_flight_peak = max(self.in_flight_peak, self.in_flight)
        try:
            delay_ms, fault = self._choose(method, path)
            self.faults = [rule for rule in self.faults if not rule.exhausted]
            if delay_ms:
                record.fault = "latency"
                await anyio.sleep(delay_ms / 1000)
            if fault is None:
                await app(scope, receive, answer.forward)
                return
            record.fault = fault.kind
            lost_answer = scope.get("extensions", {}).get(LOST_ANSWER_EXTENSION)
            if fault.kind in ("refuse", "drop"):
                if fault.kind == "drop":
                    await app(scope, receive, answer.capture)
                if isinstance(lost_answer, dict):
                    lost_answer["lost"] = "refused" if fault.kind == "refuse" else "dropped"
                else:
                    await answer.abandon()
                return
            await self._fault_response(fault, path)(scope, receive, answer.forward)
        finally:
            self.in_flight -= 1

    def _fault_response(self, fault: Fault, path: str) -> Response:
        if fault.kind == "malformed":
            return Response(_MALFORMED_BODY, status_code=200, media_type="application/json")
        if fault.kind == "html_404":
            return Response(NGINX_404_PAGE, status_code=404, media_type="text/html")
        if fault.kind == "rate_limit":
            body: dict[str, Any] = {"status": {"code": 429, "message": "Too Many Requests"}}
            wait = 1 if fault.retry_after is None else fault.retry_after
            return JSONResponse(body, status_code=429, headers={"Retry-After": str(wait)})
        if fault.kind == "expired_token":
            code, default_message = 401, "Not Authorized"
        else:
            code, default_message = fault.status, _reason_phrase(fault.status)
        body = {
            "status": {"code": code, "message": fault.message or default_message},
            "path": path,
            "timestamp": self._now(),
        }
        asked = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        return JSONResponse(body, status_code=code, headers=asked)


class _Answer:
    """The app's answer to one request: forwarded to the client, or captured and then cut short."""

    def __init__(self, record: RequestRecord, send: Send) -> None:
        self.record = record
        self.send = send
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()

    async def forward(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.record.status = message["status"]
        await self.send(message)

    async def capture(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.record.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.body.extend(message.get("body", b""))

    async def abandon(self) -> None:
        """Promise more body than is sent, then return, so the server closes mid-answer."""
        status = self.record.status or 200
        # 204/304 may not carry a body, so a truncated body needs a status that allows one.
        status = 200 if status in (204, 304) or status < 200 else status
        framing = (b"content-length", b"transfer-encoding")
        headers = [(name, value) for name, value in self.headers if name.lower() not in framing]
        partial_body = bytes(self.body[: len(self.body) // 2])
        headers.append((b"content-length", str(len(partial_body) + 64).encode()))
        await self.send({"type": "http.response.start", "status": status, "headers": headers})
        if partial_body:
            await self.send({"type": "http.response.body", "body": partial_body, "more_body": True})
