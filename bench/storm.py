"""Benchmark: the bad night at full scale, healthy and storm side by side.

Two in-process sandboxes grown to 500 integrations, with `LATENCY_MS` of injected latency on every
CloudWorks request: a healthy one (the seeded night: a handful of failures), and a storm, where the
sales bucket's key rotated an hour ago and every integration on the sales connection then ran and
failed (489 of them). In each: `find_failed_runs` with its defaults, `list_integrations` at its
largest page and the `cloudworks://integrations` resource, with the API requests each sent (the
sandbox's request log), its wall time (median of a few calls, after a warm-up) and the cl100k tokens
of what a host takes in (the larger of the text and the structured content; the resource's text).

Lower is better for every figure: the storm's requests and tokens have goals (a bounded answer),
its wall time is a ratio to the healthy night's (the storm should cost no more), and the absolute
figures are reported for comparison.

    python bench/storm.py [--quick]
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Figures, figure, log, tokens
from mcp import Client

from anaplan_mcp.sandbox import seed_ids as ids
from anaplan_mcp.sandbox.app import Sandbox, SandboxConfig
from anaplan_mcp.sandbox.clock import Clock
from anaplan_mcp.sandbox.faults import Fault
from anaplan_mcp.sandbox.storm import rotate_and_fail
from tests.journeys.harness import server_over

# Both nights at one fixed time of day, so that the seeded night is the same on every run.
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
INTEGRATIONS = 500
LATENCY_MS = 50.0
TOKEN_GOAL = 10_000  # what many hosts accept from one tool result is near 25,000
REQUEST_GOAL = 30  # the listings' 7 pages, a history or definition per item shown, a few more
WALL_RATIO_GOAL = 1.5
LARGEST_PAGE = {"limit": 50}
# The storm's members, one default page of them (each read in full: a history and a definition).
GROUP_PAGE = ("find_failed_runs", {"group": "code-39"})


@dataclass
class Measure:
    requests: int
    wall: float
    tokens: int


def _tool_tokens(result: Any) -> int:
    text = "\n".join(getattr(block, "text", "") for block in result.content)
    structured = result.structured_content
    compact = json.dumps(structured, separators=(",", ":")) if structured else ""
    return max(tokens(text), tokens(compact))


async def _measure(sandbox: Sandbox, rounds: int, call: Callable[[], Awaitable[int]]) -> Measure:
    """Requests and tokens of one call, and the median wall time of `rounds` after a warm-up."""
    await call()
    walls = []
    for _ in range(rounds):
        sandbox.faults.clear_requests()
        started = time.perf_counter()
        seen = await call()
        walls.append(time.perf_counter() - started)
    sent = sum(1 for record in sandbox.faults.requests if record.path.startswith("/2/0/"))
    return Measure(sent, statistics.median(walls), seen)


async def _night(storm: bool, rounds: int) -> dict[str, Measure]:
    sandbox = Sandbox(SandboxConfig(seed_integrations=INTEGRATIONS), clock=Clock(frozen_at=NOW))
    if storm:
        failed = rotate_and_fail(
            sandbox.store, ids.SALES_S3_CONNECTION_ID, NOW - timedelta(hours=1)
        )
        log(f"storm: {len(failed)} integrations on the sales connection failed")

    # Waiting for a run moves the sandbox clock; only the injected latency costs real time.
    server = server_over(sandbox)
    sandbox.faults.add(Fault(kind="latency", latency_ms=LATENCY_MS, path="/2/0/*"))
    async with Client(server) as client:

        async def tool(name: str, arguments: dict[str, Any]) -> int:
            result = await client.call_tool(name, arguments)
            if result.is_error:
                raise RuntimeError(f"{name} failed: {result.content}")
            return _tool_tokens(result)

        async def resource() -> int:
            read = await client.read_resource("cloudworks://integrations")
            return tokens(getattr(read.contents[0], "text", ""))

        return {
            "find_failed_runs": await _measure(
                sandbox, rounds, lambda: tool("find_failed_runs", {})
            ),
            "list_integrations": await _measure(
                sandbox, rounds, lambda: tool("list_integrations", LARGEST_PAGE)
            ),
            "resource": await _measure(sandbox, rounds, resource),
            **(
                {"group_page": await _measure(sandbox, rounds, lambda: tool(*GROUP_PAGE))}
                if storm
                else {}
            ),
        }


def _table(healthy: dict[str, Measure], storm: dict[str, Measure]) -> list[str]:
    lines = [
        f"{'call':32} {'requests':>17} {'wall (s)':>17} {'tokens':>17}",
        f"{'':32} {'healthy':>8} {'storm':>8} {'healthy':>8} {'storm':>8} "
        f"{'healthy':>8} {'storm':>8}",
    ]
    names = {
        "find_failed_runs": "find_failed_runs (defaults)",
        "list_integrations": "list_integrations limit=50",
        "resource": "cloudworks://integrations",
    }
    for key, label in names.items():
        a, b = healthy[key], storm[key]
        lines.append(
            f"{label:32} {a.requests:>8} {b.requests:>8} {a.wall:>8.2f} {b.wall:>8.2f} "
            f"{a.tokens:>8,} {b.tokens:>8,}"
        )
    page = storm["group_page"]
    lines.append(
        f"{'find_failed_runs group=code-39':32} {'-':>8} {page.requests:>8} {'-':>8} "
        f"{page.wall:>8.2f} {'-':>8} {page.tokens:>8,}"
    )
    return lines


async def run(quick: bool = False) -> Figures:
    """Both nights measured in one run; figures for bench/run_all.py (lower is better)."""
    rounds = 1 if quick else 3
    healthy = await _night(False, rounds)
    storm = await _night(True, rounds)
    for line in _table(healthy, storm):
        log(line)
    figures: Figures = {}
    for key, short in (
        ("find_failed_runs", "failed_runs"),
        ("list_integrations", "list_page"),
        ("resource", "resource"),
    ):
        calm, bad = healthy[key], storm[key]
        figures[f"storm_{short}_requests"] = figure(
            bad.requests, "requests", REQUEST_GOAL if key == "find_failed_runs" else None
        )
        figures[f"storm_{short}_tokens"] = figure(bad.tokens, "tokens", TOKEN_GOAL)
        figures[f"storm_{short}_wall_ratio"] = figure(
            bad.wall / calm.wall,
            "ratio",
            WALL_RATIO_GOAL,
            f"storm {bad.wall:.2f} s / healthy {calm.wall:.2f} s",
        )
        figures[f"healthy_{short}_requests"] = figure(calm.requests, "requests", None)
        figures[f"healthy_{short}_tokens"] = figure(calm.tokens, "tokens", None)
    page = storm["group_page"]
    figures["storm_group_page_requests"] = figure(
        page.requests, "requests", None, "find_failed_runs group=code-39, 20 members"
    )
    figures["storm_group_page_tokens"] = figure(page.tokens, "tokens", TOKEN_GOAL)
    return figures


if __name__ == "__main__":
    quick = "--quick" in sys.argv[1:]
    for name, item in anyio.run(run, quick).items():
        print(f"{name:36} {item['value']} {item['unit']} (goal {item['goal']})")
