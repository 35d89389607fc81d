"""Each person's Anaplan sign-in, kept sealed in the shared store and refreshed by the rotation rule.

Anaplan's refresh tokens rotate and are single-use, so two replicas refreshing one person at once
would sign that person out. `PersonSignIn` is the `SignInStore` the rotation rule
(`anaplan_mcp.oauth.rotation.fresh_tokens`) serialises on: its lock is the store's lock for that
person, which with Redis holds across replicas, as the desktop store's file lock holds across
processes. A person's MCP clients share the one sign-in, whichever replica serves them.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from anaplan_mcp.cloudworks.auth import DEFAULT_REFRESH_MARGIN
from anaplan_mcp.cloudworks.errors import APIConnectionError
from anaplan_mcp.oauth.client import AnaplanOAuthClient, OAuthError, OAuthTokens
from anaplan_mcp.oauth.rotation import SignInLost, fresh_tokens
from anaplan_mcp.server.authorization.stores import AuthorizationStore, Sealer, StoreUnavailable

# Anaplan keeps a refresh token usable for months at most; a person gone this long signs in again.
SIGN_IN_SECONDS = 90 * 24 * 3600.0
_PURPOSE = "anaplan-tokens"


class PersonSignIn:
    """The `SignInStore` of one person (their Anaplan user GUID) in the shared store."""

    def __init__(self, store: AuthorizationStore, sealer: Sealer, person: str) -> None:
        self._store, self._sealer, self._key = store, sealer, f"signin:{person}"
        self.person = person

    def locked(self) -> AbstractAsyncContextManager[None]:
        return self._store.lock(self._key)

    async def load(self) -> OAuthTokens | None:
        sealed = await self._store.get(self._key)
        text = self._sealer.open(sealed, _PURPOSE) if sealed else None
        if text is None:
            # Missing, or sealed under another ANAPLAN_MCP_STATE_KEY: either way, sign in again.
            return None
        try:
            return OAuthTokens.from_dict(json.loads(text))
        except ValueError:
            return None

    async def save(self, tokens: OAuthTokens) -> None:
        sealed = self._sealer.seal(json.dumps(tokens.to_dict()), _PURPOSE)
        await self._store.put(self._key, sealed, ttl=SIGN_IN_SECONDS)

    async def forget(self) -> None:
        await self._store.delete(self._key)


class SignInServiceDown(StoreUnavailable):
    """Anaplan's OAuth service did not answer a refresh; like a missing store, worth repeating."""


class SignIns:
    """Every person's sign-in: a fresh Anaplan access token for a person, or `SignInLost`."""

    def __init__(
        self,
        store: AuthorizationStore,
        sealer: Sealer,
        oauth: AnaplanOAuthClient,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store, self._sealer, self._oauth, self._clock = store, sealer, oauth, clock

    def of(self, person: str) -> PersonSignIn:
        return PersonSignIn(self._store, self._sealer, person)

    async def access_token(self, person: str) -> str:
        """A usable Anaplan access token for `person`; `SignInLost` when their sign-in has ended."""
        signin = self.of(person)
        held = await signin.load()
        if held is None:
            raise SignInLost(f"no Anaplan sign-in is kept for {person}")
        if held.lasts(DEFAULT_REFRESH_MARGIN, self._clock()):
            return held.access_token  # the common case: no lock, one read
        try:
            tokens = await fresh_tokens(
                signin, self._oauth, held=None, margin=DEFAULT_REFRESH_MARGIN, clock=self._clock
            )
        except SignInLost:
            await signin.forget()
            raise
        except OAuthError as exc:
            if exc.error in ("invalid_client", "unauthorized_client"):
                await signin.forget()
                raise SignInLost(f"Anaplan refused the refresh ({exc.error})") from None
            raise SignInServiceDown(f"Anaplan's OAuth service answered {exc.error}") from None
        except APIConnectionError as exc:
            raise SignInServiceDown(f"Anaplan's OAuth service cannot be reached: {exc}") from None
        return tokens.access_token

    async def reject(self, person: str, access_token: str) -> None:
        """Anaplan refused `access_token` before its time (revoked, expired early): the person's
        next request refreshes first, which either renews the sign-in or ends it (`SignInLost`)."""
        signin = self.of(person)
        async with signin.locked():
            held = await signin.load()
            if held is not None and held.access_token == access_token:
                await signin.save(dataclasses.replace(held, expires_at=0.0))
