"""A journey per test: a freshly seeded sandbox, a server over it, and a host-like client."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from mcp import Client

from anaplan_mcp.sandbox.app import Sandbox, SandboxConfig
from anaplan_mcp.sandbox.clock import Clock
from tests.journeys.harness import Elicit, Journey, server_over

# A weekday morning: last night's runs are over and the seeded failures are in the window.
MORNING = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@asynccontextmanager
async def journey_on(
    *, run_seconds: float = 5.0, elicit: Elicit | None = None, **settings: Any
) -> AsyncIterator[Journey]:
    sandbox = Sandbox(SandboxConfig(run_seconds=run_seconds), clock=Clock(frozen_at=MORNING))
    async with Client(server_over(sandbox, **settings), elicitation_callback=elicit) as client:
        yield await Journey.open(client, sandbox)
