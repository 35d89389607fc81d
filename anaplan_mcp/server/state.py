"""What every tool reaches through its context: the client, the settings, and injected time."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.mcpserver import Context

from anaplan_mcp.settings import Settings

if TYPE_CHECKING:
    from anaplan_mcp.cloudworks.client import CloudWorksClient
    from anaplan_mcp.sandbox.app import Sandbox

Connect = Callable[[], "tuple[CloudWorksClient, Sandbox | None]"]


@dataclass
class Timing:
    """How the server waits: real time by default; tests and the sandbox move their own clock."""

    sleep: Callable[[float], Awaitable[None]] = anyio.sleep
    clock: Callable[[], float] = time.monotonic


@dataclass
class AppState:
    """The lifespan's product, shared by every request.

    The client (and, in sandbox mode, the sandbox) is made by `connect` on first use rather than when
    the lifespan starts, which is before the host's first `tools/list`: the client's TLS context and
    the sandbox's seeding would otherwise delay every host's start-up, used or not.
    """

    settings: Settings
    connect: Connect
    timing: Timing = field(default_factory=Timing)

    closed: bool = field(default=False, init=False)

    @cached_property
    def _connected(self) -> tuple[CloudWorksClient, Sandbox | None]:
        if self.closed:
            # A request still running at shutdown would otherwise open a client nobody closes.
            raise RuntimeError("the server is shutting down")
        return self.connect()

    @property
    def client(self) -> CloudWorksClient:
        return self._connected[0]

    @property
    def sandbox(self) -> Sandbox | None:
        return self._connected[1]

    async def aclose(self) -> None:
        """Close the client's connections, if it was ever made; no client is made after this."""
        self.closed = True
        if "_connected" in self.__dict__:
            await self.client.aclose()


def app_state(ctx: Context[Any, Any]) -> AppState:
    """The `AppState` of the server handling `ctx`."""
    state: AppState = ctx.request_context.lifespan_context
    return state


def wall_clock(state: AppState) -> datetime:
    """Now, for judging schedules, windows and today's date: the sandbox's clock when serving one
    (so its seeded story and tests agree), else UTC wall time. `timing.clock` is monotonic, not a
    date."""
    if state.sandbox is not None:
        return state.sandbox.clock.now()
    return datetime.now(UTC)


class StateHolder:
    """Where one server's lifespan leaves its `AppState` for the code that gets no context."""

    def __init__(self) -> None:
        self._state: AppState | None = None

    def set(self, state: AppState | None) -> None:
        self._state = state

    def get(self) -> AppState:
        if self._state is None:
            raise RuntimeError("the server is not running: no client session is open")
        return self._state
