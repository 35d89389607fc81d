"""Failure dumps made by real sandbox runs: quoted and multiline values, and 10,000 rejected rows.

A source file goes into the sales bucket where the seed keeps its files (`store.storage`), the
sales import is pointed at it with update_integration and run; the dump the run leaves is read
with diagnose_integration and get_failure_dump.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.seed_data import rule_breaking_sales_row
from tests.diagnosis.conftest import GOOD, HEADER, call, run_sales_import_on, sales_file

pytestmark = pytest.mark.anyio

BAD_ROWS = 10_000
GOOD_ROWS = 2_000
PATTERNS = [
    "Invalid number: <value>",
    "Item not located in Products list: <value>",
    "Invalid date: <value>",
    "Item not located in Regions list: <value>",
]


async def diagnosis_text(client: Client) -> tuple[dict[str, Any], str]:
    result = await client.call_tool(
        "diagnose_integration", {"integration_id": seed.SALES_IMPORT_ID}
    )
    assert not result.is_error and result.structured_content is not None
    text = "\n".join(getattr(block, "text", "") for block in result.content)
    return result.structured_content, text


QUOTED = 'Widget "Z", deluxe'
MULTILINE = "Gizmo\nE, mk 2\n"
REGION = 'South, "Far"'


async def test_quoted_and_multiline_values_come_back_exactly(
    sandbox: Sandbox, client: Client
) -> None:
    rows = [
        GOOD,
        [GOOD[0], GOOD[1], QUOTED, "7", "1.00"],
        GOOD,
        [GOOD[0], GOOD[1], MULTILINE, "8", "2.00"],
        [GOOD[0], REGION, "Widget B", "9", "3.00"],
        GOOD,
    ]
    run_id = await run_sales_import_on(sandbox, client, "sales/quoted.csv", sales_file(rows))

    page = await call(client, "get_failure_dump", run_id=run_id)

    data = page["untrusted_data"]
    assert page["total_rows"] == 3 and data["source_columns"] == HEADER
    assert [row["line"] for row in data["rows"]] == [3, 5, 6]  # records, header is line 1
    assert [row["values"] for row in data["rows"]] == [
        dict(zip(HEADER, rows[index], strict=True)) for index in (1, 3, 4)
    ]
    assert [row["errors"] for row in data["rows"]] == [
        [f"Item not located in Products list: {QUOTED}"],
        [f"Item not located in Products list: {MULTILINE.strip()}"],
        [f"Item not located in Regions list: {REGION}"],
    ]
    found, _ = await diagnosis_text(client)
    groups = found["evidence"]["groups"]
    assert [(g["rows"], g["untrusted_data"]["pattern"]) for g in groups] == [
        (2, PATTERNS[1]),
        (1, PATTERNS[3]),
    ]
    samples = [(s["column"], s["value"]) for g in groups for s in g["untrusted_data"]["samples"]]
    assert samples == [("Product", QUOTED), ("Product", MULTILINE), ("Region", REGION)]
    assert "Far" not in found["cause"] and "deluxe" not in found["cause"]


async def test_a_ten_thousand_row_dump_gives_a_diagnosis_no_bigger_than_a_small_one(
    sandbox: Sandbox, client: Client
) -> None:
    small = [rule_breaking_sales_row(index) for index in range(8)] + [GOOD] * 4
    await run_sales_import_on(sandbox, client, "sales/small.csv", sales_file(small))
    _, small_text = await diagnosis_text(client)
    big = [rule_breaking_sales_row(index) for index in range(BAD_ROWS)] + [GOOD] * GOOD_ROWS
    run_id = await run_sales_import_on(sandbox, client, "sales/big.csv", sales_file(big))

    found, text = await diagnosis_text(client)

    evidence = found["evidence"]
    assert evidence["run_id"] == run_id
    assert evidence["rows"] == {"loaded": GOOD_ROWS, "failed": BAD_ROWS, "total": 12_000}
    groups = evidence["groups"]
    assert [(g["rows"], g["untrusted_data"]["pattern"]) for g in groups] == [
        (BAD_ROWS // 4, pattern) for pattern in PATTERNS
    ]
    assert all(len(g["untrusted_data"]["samples"]) <= 2 for g in groups)
    assert [g["untrusted_data"]["samples"][0]["line"] for g in groups] == [2, 3, 4, 5]
    # Only the counts and sample values grow with the dump, never the number of rows shown.
    assert len(text) < len(small_text) + 300
    assert len(json.dumps(found, separators=(",", ":"))) < 4_000


async def test_a_ten_thousand_row_dump_pages_to_its_last_row(
    sandbox: Sandbox, client: Client
) -> None:
    big = [rule_breaking_sales_row(index) for index in range(BAD_ROWS)] + [GOOD] * GOOD_ROWS
    run_id = await run_sales_import_on(sandbox, client, "sales/big.csv", sales_file(big))

    first = await call(client, "get_failure_dump", run_id=run_id, limit=200)
    middle = await call(client, "get_failure_dump", run_id=run_id, limit=200, offset=5_000)
    last = await call(client, "get_failure_dump", run_id=run_id, limit=200, offset=9_900)

    assert first["total_rows"] == middle["total_rows"] == last["total_rows"] == BAD_ROWS
    assert (first["next_offset"], middle["next_offset"]) == (200, 5_200)
    assert "next_offset" not in last
    for page, offset, count in ((first, 0, 200), (middle, 5_000, 200), (last, 9_900, 100)):
        rows = page["untrusted_data"]["rows"]
        assert [row["line"] for row in rows] == list(range(offset + 2, offset + 2 + count))
        assert rows[0]["values"] == dict(zip(HEADER, rule_breaking_sales_row(offset), strict=True))
    groups = middle["untrusted_data"]["groups"]
    assert [(g["pattern"], g["rows"]) for g in groups] == [(p, BAD_ROWS // 4) for p in PATTERNS]
    assert middle["untrusted_data"]["rows"][0]["errors"] == ["Invalid number: 5000x"]
