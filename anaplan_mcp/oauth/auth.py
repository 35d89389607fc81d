"""`OAuthAuth`: CloudWorks requests signed with a stored OAuth sign-in, refreshed by the rotation rule.

The access token is refreshed `margin` seconds before it expires and once more when CloudWorks
answers 401 (it was revoked, or expired early). Within one process, one task refreshes and the
others wait for it (an anyio lock); across processes the store's lock does the same, and
`fresh_tokens` hands the waiters the token the first one got.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, Callable

import anyio
import httpx2

from anaplan_mcp.cloudworks.auth import DEFAULT_REFRESH_MARGIN, AnaplanAuth
from anaplan_mcp.oauth.client import AnaplanOAuthClient, OAuthTokens
from anaplan_mcp.oauth.rotation import SignInStore, fresh_tokens, no_sign_in


class OAuthAuth(AnaplanAuth):
    """Sends `AnaplanAuthToken <access token>` (contract sheet §9.5) from `store`'s sign-in."""

    def __init__(
        self,
        store: SignInStore,
        oauth: AnaplanOAuthClient,
        *,
        clock: Callable[[], float] = time.time,
        margin: float = DEFAULT_REFRESH_MARGIN,
    ) -> None:
        super().__init__()
        self.store = store
        self.oauth = oauth
        self._clock = clock
        self._margin = margin
        self._tokens: OAuthTokens | None = None
        self._lock = anyio.Lock()

    def __repr__(self) -> str:
        return f"OAuthAuth(store={self.store!r}, oauth={self.oauth!r})"

    def _fresh(self, tokens: OAuthTokens | None) -> bool:
        return tokens is not None and tokens.lasts(self._margin, self._clock())

    async def current_token(self) -> str:
        return (await self._current()).access_token

    async def _current(self) -> OAuthTokens:
        held = self._tokens
        if held is not None and self._fresh(held):
            return held
        return await self._renew(held, rejected=False)

    async def _renew(self, held: OAuthTokens | None, *, rejected: bool) -> OAuthTokens:
        async with self._lock:
            if self._tokens is not held and self._fresh(self._tokens):
                assert self._tokens is not None
                return self._tokens  # another task of this process renewed while this one waited
            if held is None and not rejected:
                # First use: the store's tokens may be fresh; reading needs no lock (writes are
                # atomic), so a process starting up does not queue behind others' refreshes.
                stored = await self.store.load()
                if stored is None:
                    raise no_sign_in()
                if self._fresh(stored):
                    self._tokens = stored
                    return stored
            self._tokens = await fresh_tokens(
                self.store,
                self.oauth,
                held=held,
                margin=self._margin,
                clock=self._clock,
            )
            return self._tokens

    async def async_auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        held = await self._current()
        self._stamp(request, held.access_token)
        response = yield request
        if response.status_code == 401:
            # Refused before it ran, so sending it again is safe; once, so a sign-in that has
            # truly ended is reported, not looped on.
            renewed = await self._renew(held, rejected=True)
            self._stamp(request, renewed.access_token)
            yield request

    async def aclose(self) -> None:
        await self.oauth.aclose()
