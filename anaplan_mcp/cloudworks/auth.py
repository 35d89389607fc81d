"""Anaplan authentication as an `httpx2.Auth`: basic, CA certificate, a ready token, passthrough.

Tokens come from the auth service (contract sheet §9): the first is fetched lazily on the first
request, refreshed through `/token/refresh` shortly before `expiresAt`, and obtained again once when
CloudWorks answers 401 (or 403 once the token is known to be past its expiry, §7.2). One lock
guards obtaining a token and is never held while a CloudWorks request is in flight, so concurrent
requests stay concurrent. Secrets never appear in `repr()`, `str()` or log records.
"""

from __future__ import annotations

import base64
import logging
import os
import time
from collections.abc import AsyncGenerator, Callable, Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio
import httpx2

from anaplan_mcp.cloudworks import certificate as cert
from anaplan_mcp.cloudworks.errors import AuthenticationError, CloudWorksError, ResponseFormatError

if TYPE_CHECKING:
    from anaplan_mcp.cloudworks.transport import Transport

logger = logging.getLogger(__name__)

TOKEN_SCHEME = "AnaplanAuthToken"
DEFAULT_REFRESH_MARGIN = 5 * 60.0  # tokens live 35 minutes (§9.2); refresh in the last five


@dataclass(frozen=True, repr=False)
class _Token:
    value: str
    expires_at: float | None  # epoch seconds; None when unknown (a token given by the caller)

    def __repr__(self) -> str:
        return f"_Token(value=<redacted>, expires_at={self.expires_at!r})"


class AnaplanAuth(httpx2.Auth):
    """Base of the Anaplan auth modes. The client calls `bind()` with its auth-service client."""

    def __init__(self) -> None:
        self._transport: Transport | None = None

    def bind(self, transport: Transport) -> None:
        """Send sign-in and refresh calls through `transport` (the client's, at the auth URL)."""
        self._transport = transport

    async def aclose(self) -> None:
        """Let go of what the auth holds of its own (an OAuth client's connections); the client
        calls it when it closes."""

    def sync_auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, Any, None]:
        raise TypeError("Anaplan auth supports only httpx2.AsyncClient")

    async def current_token(self) -> str:
        """A token usable now, signing in or refreshing first if needed."""
        raise NotImplementedError

    def _stamp(self, request: httpx2.Request, token: str) -> None:
        request.headers["Authorization"] = f"{TOKEN_SCHEME} {token}"

    async def _auth_call(
        self, method: str, path: str, *, headers: dict[str, str], json: Any = None
    ) -> dict[str, Any]:
        """One call to the auth service, through the client's one request path."""
        if self._transport is None:
            raise CloudWorksError("the auth object is not bound to a client; use CloudWorksClient")
        # Signing in (or refreshing) twice only makes another token, so repeating is harmless: a
        # lost answer is retried like a read, and its error carries no "check before repeating".
        data: dict[str, Any] = await self._transport.request(
            method, path, headers=headers, json=json, idempotent=True
        )
        return data


def _token_from(data: dict[str, Any], *, path: str) -> _Token:
    info = data.get("tokenInfo")
    value = info.get("tokenValue") if isinstance(info, dict) else None
    if not isinstance(value, str) or not value:
        raise ResponseFormatError(
            "no tokenInfo.tokenValue", status_code=200, method="POST", path=path
        )
    expires_ms = info.get("expiresAt") if isinstance(info, dict) else None
    expires_at = expires_ms / 1000 if isinstance(expires_ms, int | float) else None
    return _Token(value, expires_at)


class _SigningInAuth(AnaplanAuth):
    """Shared token lifecycle for the modes that can sign in again (basic and certificate)."""

    def __init__(
        self,
        *,
        token: str | None,
        clock: Callable[[], float],
        refresh_margin: float,
    ) -> None:
        super().__init__()
        self._token: _Token | None = _Token(token, None) if token else None
        self._clock = clock
        self._refresh_margin = refresh_margin
        self._lock = anyio.Lock()

    def _sign_in_request(self) -> tuple[dict[str, str], Any]:
        """Headers and JSON body of `POST /token/authenticate`."""
        raise NotImplementedError

    def _fresh_enough(self, token: _Token) -> bool:
        return token.expires_at is None or token.expires_at - self._clock() > self._refresh_margin

    def _known_expired(self, token: str) -> bool:
        held = self._token
        return (
            held is not None
            and held.value == token
            and held.expires_at is not None
            and held.expires_at <= self._clock()
        )

    async def _sign_in(self) -> _Token:
        headers, body = self._sign_in_request()
        token = _token_from(
            await self._auth_call("POST", "/token/authenticate", headers=headers, json=body),
            path="/token/authenticate",
        )
        logger.debug("signed in to Anaplan (%s)", type(self).__name__)
        return token

    async def _refresh(self, token: _Token) -> _Token:
        headers = {"Authorization": f"{TOKEN_SCHEME} {token.value}"}
        try:
            data = await self._auth_call("POST", "/token/refresh", headers=headers)
        except AuthenticationError:
            logger.debug("token refresh refused; signing in again")
            return await self._sign_in()
        logger.debug("refreshed the Anaplan token")
        return _token_from(data, path="/token/refresh")

    async def current_token(self) -> str:
        held = self._token
        if held is not None and self._fresh_enough(held):
            return held.value
        async with self._lock:
            held = self._token
            if held is None or (held.expires_at is not None and held.expires_at <= self._clock()):
                held = await self._sign_in()
            elif not self._fresh_enough(held):
                held = await self._refresh(held)
            self._token = held
            return held.value

    async def _replace(self, rejected: str) -> str:
        """A new token after `rejected` was refused, unless another request already got one."""
        async with self._lock:
            held = self._token
            if held is None or held.value == rejected:
                held = await self._sign_in()
                self._token = held
            return held.value

    async def async_auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        token = await self.current_token()
        self._stamp(request, token)
        response = yield request
        status = response.status_code
        if status == 401 or (status == 403 and self._known_expired(token)):
            # A 401/403 means the request was not executed, so sending it again is safe.
            self._stamp(request, await self._replace(token))
            yield request


class BasicAuth(_SigningInAuth):
    """User name and password (`Authorization: Basic`, contract sheet §9.2)."""

    def __init__(
        self,
        username: str,
        password: str,
        *,
        token: str | None = None,
        clock: Callable[[], float] = time.time,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
    ) -> None:
        super().__init__(token=token, clock=clock, refresh_margin=refresh_margin)
        self.username = username
        self._password = password

    def _sign_in_request(self) -> tuple[dict[str, str], Any]:
        pair = f"{self.username}:{self._password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}, None

    def __repr__(self) -> str:
        return f"BasicAuth(username={self.username!r}, password=<redacted>)"


class CertificateAuth(_SigningInAuth):
    """CA certificate and RSA key, each a file path or PEM text (contract sheet §9.4)."""

    def __init__(
        self,
        certificate: str | bytes | os.PathLike[str],
        private_key: str | bytes | os.PathLike[str],
        *,
        key_password: str | bytes | None = None,
        payload_format: cert.PayloadFormat = "v2",
        token: str | None = None,
        clock: Callable[[], float] = time.time,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
    ) -> None:
        super().__init__(token=token, clock=clock, refresh_margin=refresh_margin)
        self._certificate = cert.load_certificate(certificate)
        self._key = cert.load_private_key(private_key, key_password)
        self.payload_format = payload_format

    def _sign_in_request(self) -> tuple[dict[str, str], Any]:
        headers = {"Authorization": cert.certificate_header(self._certificate)}
        body = cert.signed_payload(self._key, now=self._clock(), payload_format=self.payload_format)
        return headers, body

    def __repr__(self) -> str:
        return f"CertificateAuth(payload_format={self.payload_format!r}, key=<redacted>)"
