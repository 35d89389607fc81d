"""Benchmark: 50 concurrent tool calls against one, with 50 ms of latency on every API request.

An in-process sandbox gets a latency fault on `/2/0/*`; the in-memory `mcp.Client(server)` calls
`get_integration` once (alone), then 50 times at once. If nothing serialises the calls (a lock around
requests, a small connection pool, blocking code in a tool), the batch takes little more than one
call. Single calls and batches alternate after warm-up; ratio = median batch wall / median single wall.
The peak of requests in flight at the sandbox is printed beside it.

    python bench/concurrency.py [--quick]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import anyio
import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    SALES_IMPORT_ID,
    Figures,
    call_ok,
    choose_probe,
    figure,
    latest_run_id,
    log,
    median,
    ms,
    sandbox_token,
)
from mcp import Client

from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.faults import Fault
from anaplan_mcp.sandbox.transport import sandbox_transport
from anaplan_mcp.server.app import create_server
from anaplan_mcp.settings import load_settings

CALLS = 50
LATENCY_MS = 50.0
GOAL = 2.0


async def run(quick: bool = False) -> Figures:
    """The concurrency ratio (lower is better)."""
    rounds = 3 if quick else 9
    sandbox = Sandbox()
    server = create_server(load_settings(sandbox=True), sandbox=sandbox)
    async with Client(server) as client:

        async def run_id() -> str:
            async with httpx2.AsyncClient(
                base_url="http://sandbox", transport=sandbox_transport(sandbox)
            ) as http:
                http.headers["Authorization"] = f"AnaplanAuthToken {await sandbox_token(http)}"
                return await latest_run_id(http, SALES_IMPORT_ID)

        probe = await choose_probe(client, run_id)
        for _ in range(5):  # token, imports and caches before any latency
            await call_ok(client, probe)
        sandbox.faults.add(Fault(kind="latency", latency_ms=LATENCY_MS, path="/2/0/*"))

        async def single() -> float:
            started = time.perf_counter()
            await call_ok(client, probe)
            return time.perf_counter() - started

        async def batch() -> float:
            started = time.perf_counter()
            async with anyio.create_task_group() as group:
                for _ in range(CALLS):
                    group.start_soon(call_ok, client, probe)
            return time.perf_counter() - started

        await single()
        await batch()
        singles: list[float] = []
        batches: list[float] = []
        peaks: list[int] = []
        for _ in range(rounds):
            for _ in range(3):
                singles.append(await single())
            sandbox.faults.clear_requests()
            batches.append(await batch())
            peaks.append(sandbox.faults.in_flight_peak)
        sandbox.faults.clear()
    one, many = median(singles), median(batches)
    ratio = many / one
    log(
        f"one {probe['tool']} {ms(one)}  {CALLS} at once {ms(many)}  ratio {ratio:5.2f}  "
        f"peak in flight {max(peaks)}  ({rounds} rounds, {LATENCY_MS:.0f} ms latency)"
    )
    note = "" if probe["tool"] == "get_integration" else f"{probe['tool']}: get_integration missing"
    return {"concurrency_ratio": figure(ratio, "x", GOAL, note)}


if __name__ == "__main__":
    for name, item in anyio.run(run, "--quick" in sys.argv).items():
        print(f"{name:20} {item['value']} {item['unit']} (goal {item['goal']})")
