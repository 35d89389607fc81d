"""The demo is printed for a person: readable times, rows as `column = value`, no Python reprs."""

from __future__ import annotations

import re

import pytest

from anaplan_mcp.server.demo import run_demo

pytestmark = pytest.mark.anyio


async def test_the_demo_reads_as_prose() -> None:
    lines: list[str] = []
    assert await run_demo(lines.append, run_seconds=1) == 0
    transcript = "\n".join(lines)
    # Times as "2026-11-23 08:00 UTC": no ISO "T", no seconds, no microseconds.
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", transcript)
    assert not re.search(r"\d{2}:\d{2}:\d{2}", transcript)
    assert re.search(r"since \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC:", transcript)
    # Rows and changes as `column = value`, no dict or list reprs, no placeholders.
    assert "{'" not in transcript and "['" not in transcript and "': '" not in transcript
    assert "<value>" not in transcript
    assert "Units = 12x" in transcript
    assert re.search(r"Date = \d{4}-\d{2}-\d{2}, Region = \w+, Product = ", transcript)
    assert "path: sales/daily_sales.csv -> sales/daily_sales_corrected.csv" in transcript
    # Arguments as JSON values, the way the call is made.
    assert "wait=true" in transcript and "wait=True" not in transcript
