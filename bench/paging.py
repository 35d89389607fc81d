"""Benchmark: listing 500 integrations with concurrent paging vs a plain sequential page loop.

Both run against the same in-process sandbox tenant with 20 ms of injected latency per request
and the same page size (the sandbox's silent cap), after one warm-up listing each (the first
validation of a model builds its schema), then alternately for a few rounds. Prints the median wall
times, their ratio and the peak number of requests in flight; `run()` returns the ratio for
`bench/run_all.py`.

    python bench/paging.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from anaplan_mcp.cloudworks import BasicAuth, CloudWorksClient, endpoints_for
from anaplan_mcp.sandbox.app import Sandbox, SandboxConfig
from anaplan_mcp.sandbox.clock import Clock
from anaplan_mcp.sandbox.faults import Fault
from anaplan_mcp.sandbox.transport import sandbox_transport

INTEGRATIONS = 500
LATENCY_MS = 20.0
ROUNDS = 7
GOAL = 0.5


async def _sequential(sandbox: Sandbox, token: str, page_size: int) -> tuple[int, float]:
    """The plain loop: one page after the other until the total is reached."""
    headers = {"Authorization": f"AnaplanAuthToken {token}"}
    items: list[Any] = []
    started = time.perf_counter()
    async with httpx2.AsyncClient(
        base_url="http://sandbox/2/0", transport=sandbox_transport(sandbox), headers=headers
    ) as http:
        offset, total = 0, None
        while total is None or offset < total:
            response = await http.get(
                "/integrations", params={"offset": offset, "limit": page_size}
            )
            response.raise_for_status()
            body = response.json()
            page = body["integrations"]
            total = body["meta"]["paging"]["totalSize"]
            items.extend(page)
            offset += len(page)
            if not page:
                break
    return len(items), time.perf_counter() - started


async def run() -> dict[str, dict[str, float | str]]:
    """Measure both listings once; returns `{"paging_ratio": {...}}` (lower is better)."""
    sandbox = Sandbox(SandboxConfig(seed_integrations=INTEGRATIONS), clock=Clock())
    page_size = sandbox.config.page_size_cap
    endpoints = endpoints_for(
        cloudworks_url="http://sandbox/2/0", auth_url="http://sandbox", api_url="http://sandbox/2/0"
    )
    auth = BasicAuth("sandbox@example.com", "sandbox", clock=sandbox.clock.timestamp)
    async with CloudWorksClient(
        endpoints, auth, transport=sandbox_transport(sandbox), page_size=page_size
    ) as cw:
        token = await auth.current_token()
        sandbox.faults.add(Fault(kind="latency", latency_ms=LATENCY_MS, path="/2/0/*"))

        async def concurrent() -> tuple[int, float]:
            started = time.perf_counter()
            count = len(await cw.list_integrations())
            return count, time.perf_counter() - started

        samples: dict[str, list[float]] = {"ours": [], "theirs": []}
        for round_number in range(ROUNDS + 1):  # round 0 warms both up
            sandbox.faults.clear_requests()
            ours, concurrent_seconds = await concurrent()
            peak = sandbox.faults.in_flight_peak
            pages = len(sandbox.faults.requests)
            theirs, sequential_seconds = await _sequential(sandbox, token, page_size)
            if ours != theirs:
                raise RuntimeError(f"listings differ: {ours} vs {theirs} integrations")
            if round_number:
                samples["ours"].append(concurrent_seconds)
                samples["theirs"].append(sequential_seconds)

    concurrent_seconds = statistics.median(samples["ours"])
    sequential_seconds = statistics.median(samples["theirs"])
    ratio = concurrent_seconds / sequential_seconds
    print(f"integrations listed      {ours} ({pages} pages of {page_size}; {ROUNDS} rounds)")
    print(f"this client (concurrent) {concurrent_seconds * 1000:8.1f} ms")
    print(f"sequential page loop     {sequential_seconds * 1000:8.1f} ms")
    print(f"ratio                    {ratio:8.2f} x (goal <= {GOAL})")
    print(f"peak requests in flight  {peak:8d}")
    return {"paging_ratio": {"value": round(ratio, 3), "unit": "x", "goal": GOAL}}


if __name__ == "__main__":
    anyio.run(run)
