"""Anaplan's OAuth 2.0 service on the wire (contract sheet §9.5): no storage, no locking.

The host is `{region}.app.anaplan.com`, not the auth service. Bodies are JSON, as Anaplan's own
documentation and Postman collection send them. Errors are RFC 6749 §5.2 / RFC 8628 §3.5
`{error, error_description}` and become `OAuthError` (oauth/errors.py).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import anyio
import httpx2

from anaplan_mcp.cloudworks.errors import APIConnectionError
from anaplan_mcp.oauth.errors import OAuthError, RefreshAnswerLost

logger = logging.getLogger(__name__)

# offline_access is what makes the service hand out a refresh token (§9.5).
SCOPE = "openid profile email offline_access"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_STEP = 5.0  # RFC 8628 §3.5: each slow_down adds 5 seconds to the polling interval
_TIMEOUT = 30.0


@dataclass(frozen=True, repr=False)
class OAuthTokens:
    """One sign-in's tokens. `repr()` shows neither token."""

    access_token: str
    refresh_token: str
    expires_at: float  # epoch seconds, from expires_in on the client's clock
    scope: str = ""

    def __repr__(self) -> str:
        return (
            f"OAuthTokens(expires_at={self.expires_at!r}, scope={self.scope!r}, tokens=<redacted>)"
        )

    def lasts(self, margin: float, now: float) -> bool:
        """Whether the access token is still good `margin` seconds after `now`."""
        return self.expires_at - now > margin

    def to_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "scope": self.scope,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OAuthTokens:
        """Tokens from `to_dict()`'s shape; `ValueError` (naming no value) on anything else."""
        if not isinstance(data, Mapping):
            raise ValueError("a sign-in record must be an object")
        access, refresh = data.get("access_token"), data.get("refresh_token")
        expires, scope = data.get("expires_at"), data.get("scope", "")
        if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
            raise ValueError("a sign-in record needs access_token and refresh_token strings")
        if isinstance(expires, bool) or not isinstance(expires, int | float):
            raise ValueError("a sign-in record needs a numeric expires_at")
        if not isinstance(scope, str):
            raise ValueError("a sign-in record's scope must be a string")
        return cls(access, refresh, float(expires), scope)


@dataclass(frozen=True)
class DeviceAuthorization:
    """What `start_device` got: the person visits `verification_uri` and types `user_code`."""

    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_at: float
    interval: float

    def __repr__(self) -> str:
        # The device code can be exchanged for tokens until it expires: keep it out of logs.
        return f"DeviceAuthorization(user_code={self.user_code!r}, expires_at={self.expires_at!r})"


def pkce_pair() -> tuple[str, str]:
    """A PKCE code verifier and its S256 challenge (RFC 7636 §4.1-4.2)."""
    verifier = secrets.token_urlsafe(48)  # 64 characters, within 43-128
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class AnaplanOAuthClient:
    """The authorization-code, device and refresh grants against one OAuth host."""

    def __init__(
        self,
        oauth_url: str,
        client_id: str,
        client_secret: str | None = None,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not client_id:
            raise ValueError("an OAuth client id is required (ANAPLAN_OAUTH_CLIENT_ID)")
        self.oauth_url = oauth_url.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self._clock = clock
        self._http = httpx2.AsyncClient(
            base_url=self.oauth_url,
            transport=transport,
            timeout=httpx2.Timeout(_TIMEOUT),
            headers={"Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"AnaplanOAuthClient(oauth_url={self.oauth_url!r}, client_id={self.client_id!r})"

    async def aclose(self) -> None:
        await self._http.aclose()

    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str) -> str:
        """Where the browser goes to sign in (`GET /auth/authorize`, with PKCE S256)."""
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "state": state,
            "scope": SCOPE,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.oauth_url}/auth/authorize?{urlencode(query)}"

    async def exchange_code(
        self, code: str, *, redirect_uri: str, code_verifier: str
    ) -> OAuthTokens:
        """`POST /oauth/token` grant_type=authorization_code."""
        body = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        return await self._token({**body, "code_verifier": code_verifier})

    async def refresh(self, refresh_token: str) -> OAuthTokens:
        """`POST /oauth/token` grant_type=refresh_token: a new pair; `refresh_token` is spent."""
        try:
            return await self._token(
                {"grant_type": "refresh_token", "refresh_token": refresh_token}
            )
        except APIConnectionError as exc:
            if not exc.may_have_reached_server:
                raise
            raise RefreshAnswerLost(
                exc.reason, method=exc.method, path=exc.path, host=exc.host
            ) from None

    async def start_device(self) -> DeviceAuthorization:
        """`POST /oauth/device/code`: a user code for the person and a device code to poll with."""
        data = await self._post("/oauth/device/code", {"client_id": self.client_id, "scope": SCOPE})
        try:
            return DeviceAuthorization(
                device_code=_text(data, "device_code"),
                user_code=_text(data, "user_code"),
                verification_uri=_text(data, "verification_uri"),
                verification_uri_complete=str(
                    data.get("verification_uri_complete") or data["verification_uri"]
                ),
                expires_at=self._clock() + _seconds(data, "expires_in", 900),
                interval=_seconds(data, "interval", 5),
            )
        except (KeyError, ValueError) as exc:
            raise OAuthError("invalid_response", str(exc)) from None

    async def poll_device(
        self,
        device: DeviceAuthorization,
        *,
        sleep: Callable[[float], Awaitable[Any]] = anyio.sleep,
    ) -> OAuthTokens:
        """Poll `POST /oauth/token` until the person approves (RFC 8628 §3.4-3.5).

        authorization_pending waits `interval`; slow_down adds 5 s to it for good; expired_token,
        access_denied and anything else end the wait as an `OAuthError`.
        """
        interval = device.interval
        body = {"grant_type": DEVICE_GRANT, "device_code": device.device_code}
        while True:
            await sleep(interval)
            if self._clock() >= device.expires_at:
                raise OAuthError("expired_token", "the device code expired")
            try:
                return await self._token(body, secret=False)
            except OAuthError as exc:
                if exc.error == "slow_down":
                    interval += SLOW_DOWN_STEP
                elif exc.error != "authorization_pending":
                    raise

    async def _token(self, body: dict[str, str], *, secret: bool = True) -> OAuthTokens:
        body = {**body, "client_id": self.client_id}
        if secret and self._secret:
            body["client_secret"] = self._secret  # confidential (authorization-code) clients only
        data = await self._post("/oauth/token", body)
        access, refresh = data.get("access_token"), data.get("refresh_token")
        if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
            # Without a refresh token the sign-in would end in 35 minutes: say so now.
            raise OAuthError(
                "no_refresh_token", "the token answer lacks an access or refresh token"
            )
        scope = data.get("scope")
        return OAuthTokens(
            access, refresh, self._clock() + _seconds(data, "expires_in", 2100), str(scope or "")
        )

    async def _post(self, path: str, body: dict[str, str]) -> dict[str, Any]:
        # Never retried here. For a refresh above all: if the answer is lost, the service may already
        # have rotated the token, and sending the spent one again is a reuse, which a service that
        # detects reuse answers by revoking the whole sign-in. The caller decides (the next call
        # re-reads the store and tries once more, or tells the person to sign in again).
        try:
            response = await self._http.post(path, json=body)
        except httpx2.TransportError as exc:
            raise APIConnectionError(
                type(exc).__name__,
                method="POST",
                path=path,
                may_have_reached_server=not isinstance(exc, httpx2.ConnectError),
                host=self._http.base_url.host,
                service="",
            ) from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.is_success and isinstance(data, dict):
            return data
        if isinstance(data, dict) and isinstance(data.get("error"), str):
            description = data.get("error_description")
            raise OAuthError(
                data["error"],
                description if isinstance(description, str) else "",
                status_code=response.status_code,
            )
        raise OAuthError(
            "invalid_response",
            f"HTTP {response.status_code} from POST {path} without an OAuth answer",
            status_code=response.status_code,
        )


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"the answer lacks {key}")
    return value


def _seconds(data: Mapping[str, Any], key: str, default: float) -> float:
    value = data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise OAuthError("invalid_response", f"{key} is not a positive number of seconds")
    return float(value)
