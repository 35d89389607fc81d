"""Waiting for an integration run or a flow run to finish.

A run is finished when its `endDate` is set (contract sheet §8); `success` alone says nothing,
since a running run already carries `success: false`. Flows have no run-status endpoint (§4.2), so
a flow run is followed through the flow's `latestRun` (matched by run id when the server gives
one) and its steps. Time is injected: `sleep` to wait and `clock` (monotonic seconds) for the
deadline, so callers and tests control both.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

import anyio

from anaplan_mcp.cloudworks.errors import NotFoundError, WaitTimeoutError
from anaplan_mcp.models import FlowDetail, RunStatus, is_finished

T = TypeVar("T")
Progress = Callable[[T], Awaitable[None] | None]
Sleep = Callable[[float], Awaitable[None]]

DEFAULT_TIMEOUT = 600.0
DEFAULT_POLL_INTERVAL = 2.0
# Right after POST /run the run may not be visible yet (§8 "Queued"); a 404 is tolerated this long.
NOT_FOUND_GRACE = 15.0


class _RunReader(Protocol):
    async def run_status(self, run_id: str) -> RunStatus: ...


class _FlowReader(Protocol):
    async def get_flow(self, flow_id: str) -> FlowDetail: ...


async def _report(on_progress: Progress[Any] | None, value: object) -> None:
    if on_progress is None:
        return
    outcome = on_progress(value)
    if inspect.isawaitable(outcome):
        await outcome


async def _poll(
    read: Callable[[], Awaitable[T | None]],
    done: Callable[[T], bool],
    *,
    what: str,
    on_progress: Progress[T] | None,
    timeout_seconds: float,
    poll_interval: float,
    sleep: Sleep,
    clock: Callable[[], float],
) -> T:
    started = clock()
    deadline = started + timeout_seconds
    last: T | None = None
    while True:
        try:
            current = await read()
        except NotFoundError:
            if clock() - started > NOT_FOUND_GRACE:
                raise
            current = None
        if current is not None:
            last = current
            await _report(on_progress, current)
            if done(current):
                return current
        remaining = deadline - clock()
        if remaining <= 0:
            state = getattr(getattr(last, "latest_run", last), "message", None)
            seen = f"; last state: {state}" if state else ""
            raise WaitTimeoutError(
                f"{what} had not finished after {timeout_seconds:g} s{seen}; it is still "
                "running on the server, so check its status again later or cancel it"
            )
        await sleep(min(poll_interval, remaining))


async def wait_for_run(
    client: _RunReader,
    run_id: str,
    *,
    on_progress: Progress[RunStatus] | None = None,
    timeout_seconds: float = DEFAULT_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    sleep: Sleep = anyio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> RunStatus:
    """Poll `GET /integrations/run/{run_id}` until the run has an end date; return it.

    `on_progress` (sync or async) gets every status read. Raises `WaitTimeoutError` at the
    deadline; the run itself keeps going.
    """

    async def read() -> RunStatus:
        return await client.run_status(run_id)

    return await _poll(
        read,
        is_finished,
        what=f"run {run_id}",
        on_progress=on_progress,
        timeout_seconds=timeout_seconds,
        poll_interval=poll_interval,
        sleep=sleep,
        clock=clock,
    )


def _flow_run_finished(flow: FlowDetail, run_id: str | None, after: datetime | None) -> bool:
    latest = flow.latest_run
    if latest is None or not is_finished(latest):
        return False
    latest_id = getattr(latest, "id", None)
    if latest_id is not None:
        return run_id is None or latest_id == run_id
    # The flow detail may omit the run id (§4.2): then it is the run that started after the
    # flow's run before it (`after`), never that earlier run, finished already.
    return after is None or latest.start_date > after


async def wait_for_flow(
    client: _FlowReader,
    flow_id: str,
    run_id: str | None = None,
    *,
    after: datetime | None = None,
    on_progress: Progress[FlowDetail] | None = None,
    timeout_seconds: float = DEFAULT_TIMEOUT,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    sleep: Sleep = anyio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> FlowDetail:
    """Poll `GET /integrationflows/{flow_id}` until its latest run (id `run_id`, or where the
    detail gives no id the first run started after `after`) has ended.

    Returns the flow, whose `latest_run` and `steps[].latest_run` hold the outcome per step.
    """

    async def read() -> FlowDetail:
        return await client.get_flow(flow_id)

    return await _poll(
        read,
        lambda flow: _flow_run_finished(flow, run_id, after),
        what=f"flow {flow_id} run {run_id or '(latest)'}",
        on_progress=on_progress,
        timeout_seconds=timeout_seconds,
        poll_interval=poll_interval,
        sleep=sleep,
        clock=clock,
    )
