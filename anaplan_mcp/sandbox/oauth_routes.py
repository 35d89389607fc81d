"""The OAuth service on the wire (contract sheet §9.5) and its admin routes.

- `POST /oauth/device/code`, `POST /oauth/token`: JSON or form bodies; errors are 400 (401 for a
  client that authenticated with HTTP Basic) `{"error", "error_description"}`, never cached.
- `GET /auth/authorize`: the login form (200), or a 302 back with `error=` once the client and
  redirect URI are known good; an unknown client or redirect URI is a 400 page, no redirect.
  `POST /auth/authorize` takes the form. `GET /auth/device` is the device grant's verification
  page (the same form, asking for the code).
- `GET /_sandbox/oauth` lists clients, waiting sign-ins and the refresh/reuse counts;
  `POST /_sandbox/oauth/approve {"user_code", "username", "deny"?}` decides one as a seeded user
  (an authorization's answer has `redirect_to`); `POST /_sandbox/oauth/settings
  {"reuse_revokes_family": bool}`.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from anaplan_mcp.sandbox.auth import SEEDED_PASSWORD
from anaplan_mcp.sandbox.oauth import OAuthError, OAuthService, Pending, seeded_user
from anaplan_mcp.sandbox.oauth_pages import login_page, message_page

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}  # RFC 6749 5.1


async def _params(request: Request) -> dict[str, str]:
    """A JSON object or a form body as strings; JSON when the body looks like one."""
    raw = await request.body()
    if "json" in request.headers.get("content-type", "") or raw.lstrip().startswith(b"{"):
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise OAuthError("invalid_request", "The body is not valid JSON") from None
        if not isinstance(data, dict):
            raise OAuthError("invalid_request", "The body must be a JSON object")
        return {str(k): str(v) for k, v in data.items() if isinstance(v, str | int)}
    try:
        return dict(parse_qsl(raw.decode("utf-8")))
    except UnicodeDecodeError:
        raise OAuthError("invalid_request", "The body is not UTF-8") from None


def _basic_client(request: Request) -> tuple[str, str] | None:
    """Client id and secret from HTTP Basic (each form-encoded first, RFC 6749 2.3.1)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, colon, secret = (
            base64.b64decode(value.strip(), validate=True).decode().partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError("invalid_client", "Malformed Basic credentials", status=401) from None
    if not colon:
        raise OAuthError("invalid_client", "Malformed Basic credentials", status=401)
    return unquote_plus(client_id), unquote_plus(secret)


def _error(error: OAuthError) -> Response:
    body = {"error": error.error, "error_description": error.description}
    return JSONResponse(body, status_code=error.status, headers=_NO_STORE)


def _iso(timestamp: float) -> str:
    instant = datetime.fromtimestamp(timestamp, UTC)
    return instant.isoformat(timespec="seconds").replace("+00:00", "Z")


def oauth_routes(service: OAuthService) -> list[BaseRoute]:
    """The wire routes of the OAuth service."""

    async def device_code(request: Request) -> Response:
        try:
            params = await _params(request)
            basic = _basic_client(request)
            client_id = basic[0] if basic else params.get("client_id")
            code, pending = service.start_device(client_id, params.get("scope"))
        except OAuthError as error:
            return _error(error)
        verification = str(request.url.replace(path="/auth/device", query=""))
        body = {
            "device_code": code,
            "user_code": pending.user_code,
            "verification_uri": verification,
            "verification_uri_complete": f"{verification}?user_code={pending.user_code}",
            "expires_in": round(pending.expires_at - service.clock.timestamp()),
            "interval": pending.interval,
        }
        return JSONResponse(body, headers=_NO_STORE)

    async def token(request: Request) -> Response:
        try:
            return JSONResponse(
                service.token(await _params(request), _basic_client(request)), headers=_NO_STORE
            )
        except OAuthError as error:
            return _error(error)

    def form_for(pending: Pending, *, error: str = "", status: int = 200) -> Response:
        return login_page(
            client_name=service.clients[pending.client_id].name,
            user_code=pending.user_code,
            device=pending.kind == "device",
            error=error,
            status=status,
        )

    async def authorize_page(request: Request) -> Response:
        try:
            pending = service.start_authorization(request.query_params)
        except OAuthError as error:
            if error.redirect_uri:
                return RedirectResponse(error.redirect_uri, status_code=302)
            return message_page("Sign-in request refused", error.description, 400)
        return form_for(pending)

    async def device_page(request: Request) -> Response:
        user_code = request.query_params.get("user_code", "")
        return login_page(client_name="A device", user_code=user_code, device=True)

    async def submit_login(request: Request) -> Response:
        form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        pending = service.find_waiting(form.get("user_code", ""))
        if pending is None:
            text = "No sign-in is waiting for this code (it may have expired): start again."
            return message_page("Sign-in request not found", text, 400)
        deny = form.get("action") == "deny"
        user_id = seeded_user(form.get("username", ""))
        if not deny and (user_id is None or form.get("password") != SEEDED_PASSWORD):
            return form_for(pending, error="Wrong email or password.", status=401)
        redirect_to = service.decide(pending, user_id or "", deny=deny)
        if redirect_to is not None:
            return RedirectResponse(redirect_to, status_code=302)
        verdict = "denied" if deny else "approved"
        return message_page(f"Device {verdict}", "You can close this page.")

    return [
        Route("/oauth/device/code", device_code, methods=["POST"]),
        Route("/oauth/token", token, methods=["POST"]),
        Route("/auth/authorize", authorize_page, methods=["GET"]),
        Route("/auth/authorize", submit_login, methods=["POST"]),
        Route("/auth/device", device_page, methods=["GET"]),
    ]


def oauth_admin_routes(service: OAuthService) -> list[BaseRoute]:
    """`/_sandbox/oauth...`: see the module docstring."""

    def bad(message: str, status: int = 400) -> Response:
        return JSONResponse({"error": message}, status_code=status)

    async def body(request: Request) -> dict[str, Any] | None:
        try:
            data = json.loads(await request.body() or b"{}")
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    async def overview(request: Request) -> Response:
        pending = [
            {
                "user_code": p.user_code,
                "kind": p.kind,
                "client_id": p.client_id,
                "expires_at": _iso(p.expires_at),
            }
            for p in service.waiting()
        ]
        return JSONResponse(
            {
                "clients": [client.to_json() for client in service.clients.values()],
                "pending": pending,
                "refreshes": service.refreshes,
                "reuses": service.reuses,
                "reuse_revokes_family": service.reuse_revokes_family,
            }
        )

    async def approve(request: Request) -> Response:
        data = await body(request)
        if data is None:
            return bad("body must be a JSON object")
        user_code, username, deny = (
            data.get("user_code"),
            data.get("username"),
            data.get("deny", False),
        )
        if not isinstance(user_code, str) or not isinstance(username, str):
            return bad('give {"user_code": "...", "username": "<seeded user email>"}')
        if not isinstance(deny, bool):
            return bad("deny must be true or false")
        user_id = seeded_user(username)
        if user_id is None:
            return bad(f"username {username!r} is not a seeded user")
        pending = service.find_waiting(user_code)
        if pending is None:
            return bad(f"no sign-in is waiting for user code {user_code!r}", 404)
        answer: dict[str, Any] = {"user_code": pending.user_code, "kind": pending.kind}
        redirect_to = service.decide(pending, user_id, deny=deny)
        answer |= {"approved": not deny, "username": user_id}
        if redirect_to is not None:
            answer["redirect_to"] = redirect_to
        return JSONResponse(answer)

    async def settings(request: Request) -> Response:
        data = await body(request)
        if data is None or set(data) - {"reuse_revokes_family"}:
            return bad('give {"reuse_revokes_family": true|false}')
        if "reuse_revokes_family" in data:
            if not isinstance(data["reuse_revokes_family"], bool):
                return bad("reuse_revokes_family must be true or false")
            service.reuse_revokes_family = data["reuse_revokes_family"]
        return JSONResponse({"reuse_revokes_family": service.reuse_revokes_family})

    return [
        Route("/_sandbox/oauth", overview, methods=["GET"]),
        Route("/_sandbox/oauth/approve", approve, methods=["POST"]),
        Route("/_sandbox/oauth/settings", settings, methods=["POST"]),
    ]
