"""Run every benchmark in one process and print one table; lower is better for every figure.

    python bench/run_all.py [--json FILE] [--quick]

`--quick` runs fewer iterations (a smoke run). `--json FILE` also writes
`{"name": {"value": number, "unit": "...", "goal": number}}`; `goal` is null for figures reported
only for comparison, and `value` is null for a figure whose tool is missing. The exit status is 1
when a benchmark could not run, 0 otherwise (a figure over its goal is reported, not an error).
"""

from __future__ import annotations

import argparse
import inspect
import json
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common
import cold_start
import concurrency
import fuzz
import journeys
import load
import overhead
import paging
import soak
import storm
import tokens
import troubleshooting

Benchmark = Callable[..., Awaitable[dict[str, Any]]]

# Cheap and untimed first; the cold start (many process spawns) last.
BENCHMARKS: list[tuple[str, Benchmark]] = [
    ("tokens", tokens.run),
    ("troubleshooting", troubleshooting.run),
    ("journeys", journeys.run),
    ("storm", storm.run),
    ("overhead", overhead.run),
    ("concurrency", concurrency.run),
    ("paging", paging.run),
    ("soak", soak.run),
    ("fuzz", fuzz.run),
    ("load", load.run),
    ("cold_start", cold_start.run),
]


def _mark(item: dict[str, Any]) -> str:
    value, goal = item.get("value"), item.get("goal")
    if value is None:
        return "MISSING"
    if goal is None:
        return "info"
    return "pass" if value <= goal else "FAIL"


def _number(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:.2f}"


def table(results: dict[str, dict[str, Any]]) -> str:
    """The results as one text table."""
    rows = [("name", "value", "unit", "goal", "mark", "note")]
    for name, item in results.items():
        goal = item.get("goal")
        rows.append(
            (
                name,
                _number(item.get("value")),
                str(item.get("unit", "")),
                "-" if goal is None else f"<= {_number(goal)}",
                _mark(item),
                str(item.get("note", "")),
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    lines = []
    for index, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), row[1].rjust(widths[1])]
        cells += [row[column].ljust(widths[column]) for column in (2, 3, 4)]
        lines.append("  ".join([*cells, row[5]]).rstrip())
        if index == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


async def _run_one(name: str, benchmark: Benchmark, quick: bool) -> dict[str, Any]:
    takes_quick = "quick" in inspect.signature(benchmark).parameters
    return await (benchmark(quick=quick) if takes_quick else benchmark())


async def run_all(quick: bool) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Every benchmark's figures, and the names of the benchmarks that failed to run."""
    results: dict[str, dict[str, Any]] = {}
    failed: list[str] = []
    for name, benchmark in BENCHMARKS:
        print(f"[{name}]", flush=True)
        started = time.perf_counter()
        try:
            results.update(await _run_one(name, benchmark, quick))
        except Exception:
            failed.append(name)
            traceback.print_exc()
        _common.log(f"({time.perf_counter() - started:.1f} s)")
    return results, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--quick", action="store_true", help="fewer iterations (smoke run)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results, failed = anyio.run(run_all, args.quick)
    print()
    print(table(results))
    mode = "quick" if args.quick else "full"
    print(f"\n{len(results)} figures, {mode} run, {time.perf_counter() - started:.0f} s")
    if failed:
        print(f"benchmarks that could not run: {', '.join(failed)}", file=sys.stderr)
    if args.json:
        document = {
            name: {"value": item.get("value"), "unit": item.get("unit"), "goal": item.get("goal")}
            for name, item in results.items()
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
