"""The refresh-token rotation rule, written once for every store (desktop file or keyring, Redis).

Anaplan's refresh tokens rotate and are single-use (contract sheet §9.5): each refresh spends the
stored token and hands back a new one. Several processes (one per chat window) or replicas share one
sign-in, and two of them refreshing with the same token means one `invalid_grant`, and with a service
that detects reuse, the whole sign-in revoked. So every refresh happens under the store's lock, after
re-reading the store: whoever waited finds the token the first one rotated and uses it instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from anaplan_mcp.oauth.client import AnaplanOAuthClient, OAuthTokens
from anaplan_mcp.oauth.errors import (
    LOGIN_AGAIN,
    OAuthError,
    SignInLost,
    SignInStoreCorrupt,
    SignInStoreError,
)

logger = logging.getLogger(__name__)

__all__ = [
    "SignInLost",
    "SignInStore",
    "SignInStoreCorrupt",
    "SignInStoreError",
    "fresh_tokens",
    "no_sign_in",
]


class SignInStore(Protocol):
    """Where one sign-in (one OAuth client at one OAuth host) is kept."""

    def locked(self) -> AbstractAsyncContextManager[None]:
        """Serialises refreshes of this sign-in (across tasks, processes or replicas)."""
        ...

    async def load(self) -> OAuthTokens | None: ...

    async def save(self, tokens: OAuthTokens) -> None:
        """Atomic: a reader sees the old tokens or the new ones, never half of either."""
        ...

    async def forget(self) -> None: ...


def no_sign_in() -> SignInLost:
    return SignInLost(f"no stored Anaplan sign-in for this OAuth client; {LOGIN_AGAIN}")


async def fresh_tokens(
    store: SignInStore,
    oauth: AnaplanOAuthClient,
    *,
    held: OAuthTokens | None,
    margin: float,
    clock: Callable[[], float],
) -> OAuthTokens:
    """Tokens whose access token lasts more than `margin` seconds and is not `held`'s.

    `held` is what the caller used last (its access token was refused or is about to expire), or
    None. The store's tokens win when another process already replaced `held`'s; otherwise the
    stored refresh token is spent, once, and the new pair saved before the lock is let go.
    """
    async with store.locked():
        stored = await store.load()
        if stored is None:
            raise no_sign_in()
        if _usable(stored, held, margin, clock):
            return stored  # another process (or task) rotated while this one waited
        try:
            renewed = await oauth.refresh(stored.refresh_token)
        except OAuthError as exc:
            if exc.error != "invalid_grant":
                raise
            # Someone outside this lock (a login, a store without one) may have saved a newer
            # sign-in while the refresh was on its way: one retry with that, never a second.
            newer = await store.load()
            if newer is None or newer.refresh_token == stored.refresh_token:
                raise SignInLost(
                    f"the Anaplan sign-in has ended (the service refused its refresh token); "
                    f"{LOGIN_AGAIN}"
                ) from None
            if _usable(newer, held, margin, clock):
                return newer
            try:
                renewed = await oauth.refresh(newer.refresh_token)
            except OAuthError as again:
                if again.error == "invalid_grant":
                    raise SignInLost(
                        f"the Anaplan sign-in has ended (its refresh token was refused twice); "
                        f"{LOGIN_AGAIN}"
                    ) from None
                raise
        await store.save(renewed)
        logger.debug("refreshed the Anaplan OAuth sign-in")
        return renewed


def _usable(
    tokens: OAuthTokens, held: OAuthTokens | None, margin: float, clock: Callable[[], float]
) -> bool:
    rejected = held is not None and held.access_token == tokens.access_token
    return not rejected and tokens.lasts(margin, clock())
