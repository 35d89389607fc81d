"""Following a run or a flow run within one tool call: a limit that fits the host, progress that
names the run, and a stop as soon as the host cancels the call.

A host gives up on a call after its own request timeout (60 s in the MCP Inspector and the official
TypeScript client), and progress notifications do not extend it. So a wait defaults to the
server's `wait_seconds` (45 s unless ANAPLAN_MCP_WAIT_SECONDS says otherwise) and a wait that reaches
its limit is a normal result that names the run, never an error.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import anyio
from mcp.server.mcpserver import Context
from pydantic import Field

from anaplan_mcp.cloudworks.errors import WaitTimeoutError
from anaplan_mcp.server.state import app_state
from anaplan_mcp.settings import MAX_WAIT_SECONDS

T = TypeVar("T")
logger = logging.getLogger(__name__)

# Real runs take minutes (contract sheet §8): polling every few seconds is plenty.
POLL_SECONDS = 3.0

Wait = Annotated[bool, Field(description="Follow the run to its end, with progress.")]
TimeoutSeconds = Annotated[
    float | None,
    Field(
        ge=1,
        le=MAX_WAIT_SECONDS,
        description="Longest wait (server default: 45 s unless set); the run goes on.",
    ),
]


def progress_reporter(
    ctx: Context[Any, Any], timeout: float, describe: Callable[[T], str]
) -> Callable[[T], Awaitable[None]]:
    """A wait's `on_progress`: absolute elapsed seconds out of the timeout, on every poll."""
    clock = app_state(ctx).timing.clock
    started = clock()

    async def report(current: T) -> None:
        elapsed = min(max(clock() - started, 0.0), timeout)
        await ctx.report_progress(elapsed, timeout, describe(current))

    return report


@dataclass(frozen=True)
class Followed(Generic[T]):
    """How a wait ended: `done` is the finished state (None at the limit), `last` the last seen."""

    limit: float
    done: T | None = None
    last: T | None = None


async def follow(
    ctx: Context[Any, Any],
    wait_for: Callable[..., Awaitable[T]],
    *ids: str,
    timeout_seconds: float | None,
    describe: Callable[[T], str],
) -> Followed[T]:
    """Wait with `wait_for(client, *ids, ...)` until the run ends or the limit is reached.

    A cancelled call stops polling at once; the run itself goes on.
    """
    state = app_state(ctx)
    limit = timeout_seconds or state.settings.wait_seconds
    report = progress_reporter(ctx, limit, describe)
    seen: list[T] = []

    async def on_progress(current: T) -> None:
        seen[:] = [current]
        await report(current)

    try:
        done = await wait_for(
            state.client,
            *ids,
            on_progress=on_progress,
            timeout_seconds=limit,
            poll_interval=POLL_SECONDS,
            sleep=state.timing.sleep,
            clock=state.timing.clock,
        )
    except WaitTimeoutError:
        return Followed(limit, last=seen[0] if seen else None)
    except anyio.get_cancelled_exc_class():
        logger.info("wait for %s stopped: the call was cancelled; the run goes on", ids[-1])
        raise
    return Followed(limit, done, done)
