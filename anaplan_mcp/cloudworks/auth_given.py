"""Auth with a token the caller already holds: one fixed token, or each call's own token.

Neither mode can sign in or refresh: a rejected token is reported as `AuthenticationError`.
"""

from __future__ import annotations

import contextvars
from collections.abc import AsyncGenerator, Iterator
from contextlib import contextmanager

import httpx2

from anaplan_mcp.cloudworks.auth import AnaplanAuth
from anaplan_mcp.cloudworks.errors import AuthenticationError


class TokenAuth(AnaplanAuth):
    """A ready token, used as is and never refreshed; a 401 is reported, not retried."""

    def __init__(self, token: str) -> None:
        super().__init__()
        if not token:
            raise ValueError("token must not be empty")
        self._token = token

    async def current_token(self) -> str:
        return self._token

    async def async_auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        self._stamp(request, self._token)
        yield request

    def __repr__(self) -> str:
        return "TokenAuth(token=<redacted>)"


_PASSTHROUGH_TOKEN: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "anaplan_passthrough_token", default=None
)


class PassthroughAuth(AnaplanAuth):
    """Each call carries the caller's own token, set with `using(token)`; never refreshed.

    The token lives in a context variable, so concurrent callers sharing one client each send
    their own token, and tasks started inside `using()` (concurrent paging) inherit it.
    """

    @staticmethod
    @contextmanager
    def using(token: str) -> Iterator[None]:
        """Send `token` on every request made inside this block."""
        reset = _PASSTHROUGH_TOKEN.set(token)
        try:
            yield
        finally:
            _PASSTHROUGH_TOKEN.reset(reset)

    @staticmethod
    def _caller_token(method: str, path: str) -> str:
        token = _PASSTHROUGH_TOKEN.get()
        if not token:
            raise AuthenticationError(
                status_code=401,
                server_message="no caller token was supplied for this call (token passthrough)",
                method=method,
                path=path,
            )
        return token

    async def current_token(self) -> str:
        return self._caller_token("GET", "/token/validate")

    async def async_auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        self._stamp(request, self._caller_token(request.method, request.url.path))
        yield request

    def __repr__(self) -> str:
        return "PassthroughAuth()"
