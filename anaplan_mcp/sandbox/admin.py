"""The sandbox's admin controls under `/_sandbox/`: JSON in and out, no token needed.

These routes are logged in the request log but never faulted. Bad input answers 400 with
`{"error": "<what is wrong>"}`.

- `POST /_sandbox/faults` adds a fault rule. Body: `{"kind": ..., ...}` with the fields of
  `faults.Fault`: `kind` (`latency`, `status`, `rate_limit`, `malformed`, `html_404`,
  `expired_token`, `refuse`, `drop`), optional `method`, `path` (glob, e.g.
  `/2/0/integrations/*/run`) or `path_regex`, `times` (the next N matching requests), `rate`
  (0-1) with `seed` (deterministic draws), `status` (default 503) and `message` for `status`,
  `latency_ms` for `latency`, `retry_after` (seconds or an HTTP date) for `rate_limit` and
  `status`. Without `times` and `rate` the rule applies to every matching request until
  cleared. Answers 201 `{"fault": {..., "id"}}`.
- `GET /_sandbox/faults` lists the rules with how often each has been applied: `{"faults": [...]}`.
- `DELETE /_sandbox/faults` removes every rule; `DELETE /_sandbox/faults/{id}` removes one.
- `GET /_sandbox/requests` returns the request log: `{"requests": [{method, path, query, status,
  timestamp, fault, faulted}], "count", "in_flight", "in_flight_peak"}`.
- `DELETE /_sandbox/requests` empties the log and restarts `in_flight_peak`.
- `GET /_sandbox/clock` returns `{"now": ISO-8601, "timestamp": epoch seconds, "frozen": bool}`.
- `POST /_sandbox/clock` moves the sandbox clock: `{"advance": seconds}` (>= 0), and/or
  `{"freeze": true}` (optionally with `"at": ISO-8601`) or `{"freeze": false}`. Answers the clock.
- `POST /_sandbox/tokens/expire` makes every issued token expired at once, OAuth access tokens too.
- `/_sandbox/oauth...`: the OAuth service's controls, see `oauth_routes.py`.
- `POST /_sandbox/reset` puts the tenant back to its seed and clears faults, log and tokens.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from anaplan_mcp.sandbox.auth import TokenService
from anaplan_mcp.sandbox.clock import Clock
from anaplan_mcp.sandbox.faults import FaultInjector, fault_from_json
from anaplan_mcp.sandbox.oauth import OAuthService


class SandboxControls(Protocol):
    """The parts of the `Sandbox` the admin routes drive."""

    clock: Clock
    faults: FaultInjector
    tokens: TokenService
    oauth: OAuthService

    def reset(self) -> None: ...


class AdminInputError(ValueError):
    """Admin input that cannot be acted on; answered as 400."""


def _bad_request(message: str) -> Response:
    return JSONResponse({"error": message}, status_code=400)


async def _json_object(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise AdminInputError("body must be valid JSON") from None
    if not isinstance(data, dict):
        raise AdminInputError("body must be a JSON object")
    return data


def _clock_json(clock: Clock) -> dict[str, Any]:
    now = clock.now()
    return {
        "now": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "timestamp": now.timestamp(),
        "frozen": clock.frozen,
    }


def _apply_clock_change(clock: Clock, data: dict[str, Any]) -> None:
    unknown = sorted(set(data) - {"advance", "freeze", "at"})
    if unknown:
        raise AdminInputError(f"unknown clock field(s): {', '.join(unknown)}")
    if not data:
        raise AdminInputError('give {"advance": seconds} or {"freeze": true|false}')
    advance = data.get("advance")
    freeze = data.get("freeze")
    if advance is not None and (
        isinstance(advance, bool) or not isinstance(advance, int | float) or advance < 0
    ):
        raise AdminInputError("advance must be a non-negative number of seconds")
    if freeze is not None and not isinstance(freeze, bool):
        raise AdminInputError("freeze must be true or false")
    at = data.get("at")
    frozen_at: datetime | None = None
    if at is not None:
        if freeze is not True:
            raise AdminInputError("at is only allowed with freeze: true")
        try:
            frozen_at = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
        except ValueError:
            raise AdminInputError("at must be an ISO-8601 date-time") from None
        if frozen_at.tzinfo is None:
            frozen_at = frozen_at.replace(tzinfo=UTC)
    if freeze is True:
        clock.freeze(frozen_at)
    elif freeze is False:
        clock.unfreeze()
    if advance:
        clock.advance(float(advance))


def admin_routes(sandbox: SandboxControls) -> list[BaseRoute]:
    """The `/_sandbox/...` routes bound to one sandbox."""

    async def add_fault(request: Request) -> Response:
        try:
            fault = fault_from_json(await _json_object(request))
        except (AdminInputError, ValueError, TypeError) as error:
            return _bad_request(str(error))
        sandbox.faults.add(fault)
        return JSONResponse({"fault": fault.to_json()}, status_code=201)

    async def list_faults(request: Request) -> Response:
        return JSONResponse({"faults": [fault.to_json() for fault in sandbox.faults.faults]})

    async def clear_faults(request: Request) -> Response:
        count = len(sandbox.faults.faults)
        sandbox.faults.clear()
        return JSONResponse({"cleared": count})

    async def remove_fault(request: Request) -> Response:
        fault_id = request.path_params["fault_id"]
        if not sandbox.faults.remove(fault_id):
            return JSONResponse({"error": f"no fault with id {fault_id!r}"}, status_code=404)
        return JSONResponse({"removed": fault_id})

    async def list_requests(request: Request) -> Response:
        log = sandbox.faults
        return JSONResponse(
            {
                "requests": [record.to_json() for record in log.requests],
                "count": len(log.requests),
                "in_flight": log.in_flight,
                "in_flight_peak": log.in_flight_peak,
            }
        )

    async def clear_requests(request: Request) -> Response:
        count = len(sandbox.faults.requests)
        sandbox.faults.clear_requests()
        return JSONResponse({"cleared": count})

    async def get_clock(request: Request) -> Response:
        return JSONResponse(_clock_json(sandbox.clock))

    async def change_clock(request: Request) -> Response:
        try:
            _apply_clock_change(sandbox.clock, await _json_object(request))
        except AdminInputError as error:
            return _bad_request(str(error))
        return JSONResponse(_clock_json(sandbox.clock))

    async def expire_tokens(request: Request) -> Response:
        sandbox.tokens.expire_all()
        sandbox.oauth.expire_all()
        return JSONResponse({"expired": True})

    async def reset(request: Request) -> Response:
        sandbox.reset()
        return JSONResponse({"reset": True})

    return [
        Route("/_sandbox/faults", add_fault, methods=["POST"]),
        Route("/_sandbox/faults", list_faults, methods=["GET"]),
        Route("/_sandbox/faults", clear_faults, methods=["DELETE"]),
        Route("/_sandbox/faults/{fault_id}", remove_fault, methods=["DELETE"]),
        Route("/_sandbox/requests", list_requests, methods=["GET"]),
        Route("/_sandbox/requests", clear_requests, methods=["DELETE"]),
        Route("/_sandbox/clock", get_clock, methods=["GET"]),
        Route("/_sandbox/clock", change_clock, methods=["POST"]),
        Route("/_sandbox/tokens/expire", expire_tokens, methods=["POST"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
    ]
