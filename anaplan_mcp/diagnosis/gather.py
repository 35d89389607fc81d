"""Fetching what a diagnosis needs: independent requests at once, at most a few at a time.

A `Batch` runs its calls in one anyio task group under a shared `CapacityLimiter`, so a
diagnosis costs a few round trips rather than one per request. The first failure cancels the
rest and is raised as itself (not as an ExceptionGroup), so the server can translate it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import anyio
import anyio.abc

from anaplan_mcp.cloudworks.errors import EndpointNotFoundError, NotFoundError

T = TypeVar("T")

DEFAULT_CONCURRENCY = 8
_UNSET = object()


class Slot(Generic[T]):
    """The result of one call of a batch, available once the batch has run."""

    def __init__(self) -> None:
        self._value: object = _UNSET

    @property
    def value(self) -> T:
        if self._value is _UNSET:
            raise RuntimeError("the batch has not run")
        return self._value  # type: ignore[return-value]

    def set(self, value: T) -> None:
        self._value = value


class Batch:
    """Calls added with `add` run together on `await batch.run()`."""

    def __init__(self, limiter: anyio.CapacityLimiter) -> None:
        self._limiter = limiter
        self._calls: list[Callable[[], Awaitable[None]]] = []

    def add(self, call: Callable[[], Awaitable[T]]) -> Slot[T]:
        slot: Slot[T] = Slot()

        async def run() -> None:
            slot.set(await call())

        self._calls.append(run)
        return slot

    async def run(self) -> None:
        calls, self._calls = self._calls, []
        if not calls:
            return
        if len(calls) == 1:
            async with self._limiter:
                await calls[0]()
            return
        failures: list[BaseException] = []

        async def guarded(call: Callable[[], Awaitable[None]], group: anyio.abc.TaskGroup) -> None:
            async with self._limiter:
                try:
                    await call()
                except Exception as exc:
                    failures.append(exc)
                    group.cancel_scope.cancel()

        async with anyio.create_task_group() as group:
            for call in calls:
                group.start_soon(guarded, call, group)
        if failures:
            raise failures[0]


class Budget:
    """At most `limit` requests for one tool call: a request that would go over is not made (the
    caller says what it left out) rather than fanning out until the service answers 429."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    def take(self) -> bool:
        """Count one request; False, and nothing counted, once the budget is spent."""
        if self.used >= self.limit:
            return False
        self.used += 1
        return True


def limiter(concurrency: int = DEFAULT_CONCURRENCY) -> anyio.CapacityLimiter:
    return anyio.CapacityLimiter(max(1, concurrency))


def optional(call: Callable[[], Awaitable[T]]) -> Callable[[], Awaitable[T | None]]:
    """`call`, answering None when the API says the thing does not exist (e.g. no dump)."""

    async def run() -> T | None:
        try:
            return await call()
        except EndpointNotFoundError:
            raise
        except NotFoundError:
            return None

    return run
