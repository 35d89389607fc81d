"""Benchmark: the stories of tests/journeys in calls and result tokens, against the fewest calls.

    python bench/journeys.py

For each story: the calls the scripted agent made beside the fewest that could do it, and the cl100k
tokens of the results it read. Then the guided agent: it knows only find_failed_runs and follows the
calls each result suggests; the figures are the failures of the sandbox's night it left undiagnosed,
and the calls and tokens it spent.
"""

from __future__ import annotations

import sys
from pathlib import Path

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Figures, figure, log
from mcp.types import ElicitResult

from tests.journeys.conftest import journey_on
from tests.journeys.stories import FEWEST, STORIES, guided_agent

LONG_RUN_SECONDS = 15 * 60


async def run(quick: bool = False) -> Figures:
    """Calls and tokens per story; `quick` changes nothing (each story takes well under a second)."""
    figures: Figures = {}
    for name, story in STORIES.items():
        if story is guided_agent:
            continue
        run_seconds = LONG_RUN_SECONDS if name == "long_run" else 5.0
        async with journey_on(run_seconds=run_seconds, elicit=_decline) as journey:
            await story(journey)
        calls = len(journey.calls)
        log(f"{name}: {calls} calls (fewest {FEWEST[name]}), {journey.tokens} tokens")
        figures[f"journey_{name}_calls"] = figure(calls, "calls", None, f"fewest {FEWEST[name]}")
        figures[f"journey_{name}_tokens"] = figure(journey.tokens, "tokens", None)
    async with journey_on() as journey:
        found = await guided_agent(journey)
    missed = found["items"] - found["diagnosed"]
    log(
        f"guided agent: {found['diagnosed']} of {found['items']} diagnosed in {len(journey.calls)} calls"
    )
    figures["guided_agent_undiagnosed"] = figure(missed, "items", 0, f"of {found['items']}")
    figures["guided_agent_calls"] = figure(len(journey.calls), "calls", None)
    figures["guided_agent_tokens"] = figure(journey.tokens, "tokens", None)
    return figures


async def _decline(_: object, __: object) -> ElicitResult:
    """The person of the declined-delete story says no; no other story asks."""
    return ElicitResult(action="decline")


if __name__ == "__main__":
    for key, value in anyio.run(run).items():
        print(f"{key}: {value}")
