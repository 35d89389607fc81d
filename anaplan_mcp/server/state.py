"""What every tool reaches through its context: the client, the settings, and injected time."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.mcpserver import Context

from anaplan_mcp.cloudworks.client import CloudWorksClient
from anaplan_mcp.settings import Settings

if TYPE_CHECKING:
    from anaplan_mcp.sandbox.app import Sandbox


@dataclass
class Timing:
    """How the server waits: real time by default; tests and the sandbox move their own clock."""

    sleep: Callable[[float], Awaitable[None]] = anyio.sleep
    clock: Callable[[], float] = time.monotonic


@dataclass
class AppState:
    """The lifespan's product, shared by every request."""

    client: CloudWorksClient
    settings: Settings
    timing: Timing = field(default_factory=Timing)
    sandbox: Sandbox | None = None


def app_state(ctx: Context[Any, Any]) -> AppState:
    """The `AppState` of the server handling `ctx`."""
    state: AppState = ctx.request_context.lifespan_context
    return state


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
