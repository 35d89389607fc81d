"""The store every replica shares: Redis (ANAPLAN_MCP_REDIS_URL), through redis-py's asyncio client.

Each operation is one Redis command, so a value is written whole or not at all, and Redis answers
only once it holds the write: what the server acknowledged survives a replica's death. `take` is
GETDEL, which makes an authorization code or a refresh token single-use across replicas. The lock
is redis-py's (SET NX with an expiry and a token only its holder can release): a replica that
dies holding it frees it when the expiry passes.

When Redis cannot be reached, every operation raises `StoreUnavailable` (answered 503); the
client's pool reconnects by itself once Redis is back, so nothing needs restarting.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.lock import Lock
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from anaplan_mcp.server.authorization.stores import StoreUnavailable

PREFIX = "anaplan-mcp:"
# A lock outlives any refresh it guards (the Anaplan call has a 30 s timeout): held longer, its
# holder has died and the next replica may go ahead.
LOCK_SECONDS = 60.0
# How long to wait for Redis before answering 503: well inside a client's patience.
SOCKET_SECONDS = 3.0


def _unavailable(exc: Exception) -> StoreUnavailable:
    # The URL is not repeated: it may hold Redis's password.
    return StoreUnavailable(f"the shared store (Redis) cannot be reached: {type(exc).__name__}")


class RedisStore:
    """`AuthorizationStore` on Redis; keys are prefixed so the database can hold other things."""

    def __init__(self, url: str, *, client: Any = None) -> None:
        self._redis: Any = client or aioredis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=SOCKET_SECONDS,
            socket_connect_timeout=SOCKET_SECONDS,
            health_check_interval=30,
        )

    async def _run(self, command: str, *args: Any) -> Any:
        try:
            return await self._redis.execute_command(command, *args)
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise _unavailable(exc) from None
        except RedisError as exc:  # a Redis that refuses writes (read-only replica, out of memory)
            raise _unavailable(exc) from None

    async def get(self, key: str) -> str | None:
        value: str | None = await self._run("GET", PREFIX + key)
        return value

    async def put(self, key: str, value: str, *, ttl: float) -> None:
        await self._run("SET", PREFIX + key, value, "PX", max(1, int(ttl * 1000)))

    async def take(self, key: str) -> str | None:
        value: str | None = await self._run("GETDEL", PREFIX + key)
        return value

    async def delete(self, *keys: str) -> None:
        if keys:
            await self._run("DEL", *(PREFIX + key for key in keys))

    @asynccontextmanager
    async def _locked(self, name: str) -> AsyncIterator[None]:
        lock = Lock(
            self._redis,
            PREFIX + "lock:" + name,
            timeout=LOCK_SECONDS,
            blocking_timeout=LOCK_SECONDS,
            thread_local=False,  # every task has its own Lock object; a thread-local token would mix them
        )
        try:
            acquired = await lock.acquire()
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            raise _unavailable(exc) from None
        if not acquired:
            raise StoreUnavailable(f"the lock {name!r} stayed held for {LOCK_SECONDS:g} s")
        try:
            yield
        finally:
            # Expired or Redis gone: the lock frees itself when its expiry passes.
            with suppress(LockError, RedisError, OSError):
                await lock.release()

    def lock(self, name: str) -> AbstractAsyncContextManager[None]:
        return self._locked(name)

    async def aclose(self) -> None:
        await self._redis.aclose()
