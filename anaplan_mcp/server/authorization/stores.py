"""Where the authorization server keeps what every replica must see, and how secrets are sealed.

The store is a small key-value protocol (get, put with a lifetime, take once, delete, a lock per
name) so that the in-memory store (one replica) and the Redis store (any number) stay
interchangeable and the rules live in the provider, written once. Values are text; the provider
seals the ones that hold Anaplan tokens before they reach a store.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

import anyio
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class StoreUnavailable(Exception):
    """The shared store cannot be reached; the request is answered 503 and may be repeated."""


class AuthorizationStore(Protocol):
    """Text values under string keys, each with a lifetime in seconds."""

    async def get(self, key: str) -> str | None: ...

    async def put(self, key: str, value: str, *, ttl: float) -> None: ...

    async def take(self, key: str) -> str | None:
        """The value, removed in the same step: of two concurrent takers, one gets it."""
        ...

    async def delete(self, *keys: str) -> None: ...

    def lock(self, name: str) -> AbstractAsyncContextManager[None]:
        """Held by one holder at a time, across every replica sharing the store."""
        ...

    async def aclose(self) -> None: ...


class MemoryStore:
    """The store of a single replica: a dict with expiry times, and one lock per name."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._values: dict[str, tuple[str, float]] = {}
        self._locks: dict[str, anyio.Lock] = {}
        self._clock = clock

    async def get(self, key: str) -> str | None:
        held = self._values.get(key)
        if held is None:
            return None
        if held[1] <= self._clock():
            del self._values[key]
            return None
        return held[0]

    async def put(self, key: str, value: str, *, ttl: float) -> None:
        self._values[key] = (value, self._clock() + ttl)
        if len(self._values) % 1024 == 0:
            self._sweep()

    async def take(self, key: str) -> str | None:
        value = await self.get(key)
        self._values.pop(key, None)
        return value

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._values.pop(key, None)

    @asynccontextmanager
    async def _locked(self, name: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(name, anyio.Lock())
        async with lock:
            yield

    def lock(self, name: str) -> AbstractAsyncContextManager[None]:
        return self._locked(name)

    async def aclose(self) -> None:
        return None

    def _sweep(self) -> None:
        # Expired entries nobody asks for again would otherwise stay for the process's life.
        now = self._clock()
        for key in [key for key, (_, until) in self._values.items() if until <= now]:
            del self._values[key]


def hashed(token: str) -> str:
    """The key a token is kept under: a store's dump never holds a usable token."""
    return hashlib.sha256(token.encode()).hexdigest()


class Sealer:
    """AES-GCM with a key derived (HKDF-SHA256) from ANAPLAN_MCP_STATE_KEY, or a random one.

    Every replica derives the same key from the same state key, so any replica opens what another
    sealed. `purpose` binds a sealed value to its kind: a person's Anaplan tokens cannot be
    passed off as anything else.
    """

    def __init__(self, secret: str | None) -> None:
        material = secret.encode() if secret else os.urandom(32)
        self._aead = AESGCM(
            HKDF(
                algorithm=hashes.SHA256(), length=32, salt=None, info=b"anaplan-mcp sign-ins"
            ).derive(material)
        )

    def seal(self, text: str, purpose: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, text.encode(), purpose.encode())
        return base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str, purpose: str) -> str | None:
        """The text, or None when it was sealed with another key (a changed state key)."""
        try:
            raw = base64.urlsafe_b64decode(sealed.encode())
            return self._aead.decrypt(raw[:12], raw[12:], purpose.encode()).decode()
        except (InvalidTag, ValueError):
            return None
