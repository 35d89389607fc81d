"""Bad-input fuzzing, the long form: every tool, many schema-valid and mutated calls through MCP.

    python bench/fuzz.py [--examples N] [--seed S]

The strategies and judges are the ones `tests/security` runs with 50 fixed examples per tool; here
the examples are random (a seed makes a run repeatable) and every unclean answer is counted rather
than failing the run. Needs the test extras (hypothesis, hypothesis-jsonschema).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import anyio

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

FULL_EXAMPLES = 300
QUICK_EXAMPLES = 20


def fuzz_all(examples: int, seed: int | None = None) -> tuple[int, Counter[str], list[str]]:
    """Calls made, unclean answers by tool, and the first few problems seen."""
    from tests.security.conftest import fuzz_target, fuzz_tool

    unclean: Counter[str] = Counter()
    samples: list[str] = []
    calls = 0
    with fuzz_target() as target:
        for tool in target.tools.values():
            for kind in ("valid", "mutated"):

                def record(problems: list[str], name: str = tool.name) -> None:
                    if problems:
                        unclean[name] += 1
                        samples.extend(problems[: max(0, 10 - len(samples))])

                calls += fuzz_tool(target, tool, kind, examples, seed=seed, on_problems=record)
    return calls, unclean, samples


async def run(quick: bool = False, examples: int | None = None) -> dict[str, Any]:
    """The figure for `run_all`: unclean answers across every tool (goal 0)."""
    count = examples or (QUICK_EXAMPLES if quick else FULL_EXAMPLES)
    started = time.perf_counter()
    calls, unclean, samples = await anyio.to_thread.run_sync(fuzz_all, count)
    elapsed = time.perf_counter() - started
    print(f"  {calls} calls, {count} examples per tool and kind, {elapsed:.1f} s")
    for name, total in unclean.most_common():
        print(f"  {name}: {total} unclean")
    for problem in samples:
        print(f"    {problem[:300]}")
    return {
        "fuzz_unclean_results": {
            "value": sum(unclean.values()),
            "unit": "results",
            "goal": 0,
            "note": f"{calls} calls",
        }
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=FULL_EXAMPLES, help="per tool and kind")
    parser.add_argument("--seed", type=int, help="random seed (default: fixed examples)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    calls, unclean, samples = fuzz_all(args.examples, args.seed)
    for name, total in unclean.most_common():
        print(f"{name}: {total} unclean")
    for problem in samples:
        print(f"  {problem[:300]}")
    total = sum(unclean.values())
    print(f"{calls} calls, {total} unclean, {time.perf_counter() - started:.0f} s")
    return 1 if total else 0


if __name__ == "__main__":
    raise SystemExit(main())
