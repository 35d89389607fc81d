"""Benchmark: from "it failed" to cause and failing rows, in tool calls, wall time and tokens.

One in-process sandbox, with `LATENCY_MS` of injected latency on every CloudWorks request, serves
three measurements in order (the last one changes the tenant):

1. The seeded, partly failing "Daily sales import": one `diagnose_integration` call by name and the
   tokens of the result text the model reads; beside it the raw-API path an assistant would take
   with plain HTTP tools (get the integration, its run history, the failed run's errors and its
   failure dump: 4 bodies).
2. Wall time: `diagnose_integration` by id against the same information fetched by the plain tools
   one after another (`get_integration`, `get_run_history`, `list_connections`, `get_run_errors`,
   `get_failure_dump`), interleaved after a warm-up, medians; ratio = diagnose / plain tools.
3. A 10,000-row failure dump: a 12,000-row sales file with 10,000 bad rows (four error patterns)
   is put into the sales bucket the way the seed fills it, the sales import's job is pointed at
   it with `update_integration`, and the import is run. The diagnosis is measured as the larger
   of its text and its structured content (compact JSON), against the raw API bodies (with the
   whole dump CSV) and the plain tools' outputs (the dump's first page).

Counts use tiktoken's `cl100k_base`. Lower is better for every figure.

    python bench/troubleshooting.py [--quick]
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SALES_IMPORT_ID, Figures, figure, log, median, ms, sandbox_token, tokens
from mcp import Client
from mcp.types import CallToolResult, Tool

from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.faults import Fault
from anaplan_mcp.sandbox.seed_data import (
    SALES_GOOD_ROW,
    SALES_HEADER,
    csv_text,
    rule_breaking_sales_row,
)
from anaplan_mcp.sandbox.seed_ids import SALES_BUCKET
from anaplan_mcp.sandbox.transport import sandbox_transport
from tests.journeys.harness import server_over

INTEGRATION_NAME = "Daily sales import"
TOOL = "diagnose_integration"
GOAL_TOKENS = 1000  # about half the raw-API path (4 bodies)
GOAL_CALLS = 1
# The diagnosis makes two rounds of concurrent requests where the plain tools make five requests
# one after another, so 0.4 is the floor; the rest is room for MCP and parsing overhead.
GOAL_WALL_RATIO = 0.6
GOAL_TOKENS_10K = 1500
LATENCY_MS = 50.0
BIG_DUMP_ROWS = 10_000
BIG_GOOD_ROWS = 2_000
BIG_FILE = "sales/daily_sales_10k.csv"
TROUBLE_OUTCOMES = ("failed", "partial_success")


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _text(result: CallToolResult) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


def _result_tokens(result: CallToolResult) -> int:
    """What a result costs the host: the larger of its text and its structured content."""
    seen = tokens(_text(result))
    structured = result.structured_content
    return max(seen, tokens(_compact(structured))) if structured else seen


async def _call(client: Client, tool: str, arguments: dict[str, Any]) -> CallToolResult:
    result = await client.call_tool(tool, arguments)
    if result.is_error:
        raise RuntimeError(f"{tool} failed: {_text(result)[:300]}")
    return result


def big_sales_file(bad_rows: int = BIG_DUMP_ROWS, good_rows: int = BIG_GOOD_ROWS) -> str:
    """A sales file whose first `bad_rows` rows each break one of four rules, in turn: a bad
    number, an unknown product, an impossible date, an unknown region (four dump patterns)."""
    rows = [rule_breaking_sales_row(index) for index in range(bad_rows)]
    return csv_text([SALES_HEADER, *rows, *[SALES_GOOD_ROW] * good_rows])


@dataclass
class Bench:
    """The sandbox and an MCP client on it; waiting for a run moves the sandbox clock instead."""

    sandbox: Sandbox
    client: Client
    tools: dict[str, Tool]

    def api_requests(self) -> int:
        return sum(1 for record in self.sandbox.faults.requests if record.path.startswith("/2/0/"))


async def _diagnosis(bench: Bench) -> Figures:
    """The one-call path by name; figures with value None when the tool is not registered."""
    if TOOL not in bench.tools:
        log(f"{TOOL} is not registered: reported as missing")
        missing = f"{TOOL} missing"
        return {
            "diagnosis_tokens": figure(None, "tokens", GOAL_TOKENS, missing),
            "diagnosis_tool_calls": figure(None, "calls", GOAL_CALLS, missing),
        }
    bench.sandbox.faults.clear_requests()
    result = await _call(bench.client, TOOL, {"integration_name": INTEGRATION_NAME})
    seen = tokens(_text(result))
    structured = result.structured_content or {}
    compact = tokens(_compact(structured)) if structured else seen
    log(
        f"{TOOL}: 1 call ({bench.api_requests()} API requests behind it), {seen} tokens of result "
        f"text ({compact} as compact JSON)"
    )
    return {
        "diagnosis_tokens": figure(seen, "tokens", GOAL_TOKENS, "result text the model reads"),
        "diagnosis_tool_calls": figure(1, "calls", GOAL_CALLS),
        "diagnosis_tokens_compact": figure(compact, "tokens", None, "same result, compact JSON"),
    }


def _failed_run(history: dict[str, Any]) -> str:
    """The most recent run that did not fully succeed (the newest run if all did)."""
    runs = history["history_of_runs"]["runs"]
    for run in runs:
        if run.get("executionErrorCode") is not None or run.get("success") is False:
            return str(run["id"])
    return str(runs[0]["id"])


async def _raw_api(sandbox: Sandbox, integration_id: str) -> int:
    """get integration -> run history -> run errors -> dump CSV: tokens of the raw bodies."""
    async with httpx2.AsyncClient(
        base_url="http://sandbox", transport=sandbox_transport(sandbox)
    ) as http:
        http.headers["Authorization"] = f"AnaplanAuthToken {await sandbox_token(http)}"
        bodies: list[str] = []

        async def get(path: str) -> str:
            response = await http.get(f"/2/0/integrations{path}")
            response.raise_for_status()
            bodies.append(response.text)
            return response.text

        await get(f"/{integration_id}")
        run_id = _failed_run(json.loads(await get(f"/runs/{integration_id}")))
        await get(f"/runerror/{run_id}")
        await get(f"/run/{run_id}/dumps")
    return sum(tokens(body) for body in bodies)


def _plain_calls_missing(tools: dict[str, Tool]) -> list[str]:
    """The plain tools (with the arguments used here) that tools/list does not offer."""
    wanted = {
        "get_integration": {"integration_id"},
        "get_run_history": {"integration_id"},
        "list_connections": set(),
        "get_run_errors": {"run_id"},
        "get_failure_dump": {"run_id"},
        TOOL: {"integration_id"},
    }
    missing = []
    for name, arguments in wanted.items():
        tool = tools.get(name)
        schema = tool.input_schema if tool is not None else {}
        properties = set(schema.get("properties") or {})
        required = set(schema.get("required") or [])
        if tool is None or not arguments <= properties or not required <= arguments:
            missing.append(name)
    return missing


def _trouble_run(history: dict[str, Any]) -> str:
    """The newest failed or partly failed run in a get_run_history page."""
    for item in history.get("items") or []:
        if item.get("outcome") in TROUBLE_OUTCOMES and item.get("run_id"):
            return str(item["run_id"])
    raise RuntimeError("get_run_history shows no failed or partly failed run")


async def _plain_tools(client: Client, integration_id: str) -> list[CallToolResult]:
    """The facts a diagnosis rests on, read with the plain tools one after another."""
    results = [
        await _call(client, "get_integration", {"integration_id": integration_id}),
        await _call(client, "get_run_history", {"integration_id": integration_id}),
        await _call(client, "list_connections", {}),
    ]
    run_id = _trouble_run(results[1].structured_content or {})
    results.append(await _call(client, "get_run_errors", {"run_id": run_id}))
    results.append(await _call(client, "get_failure_dump", {"run_id": run_id}))
    return results


async def _timed(action: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await action()
    return time.perf_counter() - started


async def _wall_ratio(
    bench: Bench, integration_id: str, rounds: int, suffix: str, goal: float | None
) -> Figures:
    """Median wall of one diagnosis / median wall of the plain tools in sequence."""
    name = f"diagnosis_wall_ratio{suffix}"
    missing = _plain_calls_missing(bench.tools)
    if missing:
        log(f"not registered with the arguments used here: {', '.join(missing)}")
        return {name: figure(None, "ratio", goal, f"missing: {', '.join(missing)}")}
    client = bench.client

    async def diagnose() -> None:
        await _call(client, TOOL, {"integration_id": integration_id})

    async def plain() -> None:
        await _plain_tools(client, integration_id)

    await diagnose()  # warm-up: imports, the token, schemas
    await plain()
    bench.sandbox.faults.clear_requests()
    await diagnose()
    diagnose_requests = bench.api_requests()
    bench.sandbox.faults.clear_requests()
    plain_results = await _plain_tools(client, integration_id)
    plain_requests = bench.api_requests()
    one: list[float] = []
    sequential: list[float] = []
    for _ in range(rounds):
        one.append(await _timed(diagnose))
        sequential.append(await _timed(plain))
    ratio = median(one) / median(sequential)
    log(
        f"{TOOL}{suffix or ''}: 1 call, {diagnose_requests} API requests, {ms(median(one))}; "
        f"plain tools: {len(plain_results)} calls, {plain_requests} API requests, "
        f"{ms(median(sequential))} (ratio {ratio:.2f}, {LATENCY_MS:g} ms latency per request)"
    )
    figures: Figures = {
        name: figure(ratio, "ratio", goal, "diagnose / plain tools in sequence, wall time"),
    }
    if not suffix:
        figures["plain_tools_diagnosis_calls"] = figure(
            len(plain_results), "calls", None, "plain tools for the same facts"
        )
    return figures


async def _big_dump(bench: Bench, rounds: int) -> Figures:
    """Diagnosis size for a 10,000-row failure dump against the raw outputs."""
    name = "diagnosis_tokens_10k_dump"
    needed = {"update_integration", "run_integration", TOOL} - set(bench.tools)
    update = bench.tools.get("update_integration")
    properties = set(update.input_schema.get("properties") or {}) if update else set()
    if needed or not {"integration_id", "path"} <= properties:
        note = f"missing: {', '.join(sorted(needed)) or 'update_integration(path)'}"
        log(f"10,000-row dump not measured: {note}")
        return {name: figure(None, "tokens", GOAL_TOKENS_10K, note)}
    # The seed keeps bucket files in `store.storage`; a new file goes where the seed puts them.
    objects = bench.sandbox.store.storage[f"s3:{SALES_BUCKET}"]["objects"]
    objects[BIG_FILE] = big_sales_file()
    client = bench.client
    await _call(client, "update_integration", {"integration_id": SALES_IMPORT_ID, "path": BIG_FILE})
    outcome = await _call(
        client, "run_integration", {"integration_id": SALES_IMPORT_ID, "wait": True}
    )
    log(f"run of the 10,000-bad-row file: {(outcome.structured_content or {}).get('message')}")
    result = await _call(client, TOOL, {"integration_id": SALES_IMPORT_ID})
    size = _result_tokens(result)
    raw = await _raw_api(bench.sandbox, SALES_IMPORT_ID)
    plain = [_result_tokens(r) for r in await _plain_tools(client, SALES_IMPORT_ID)]
    log(
        f"{TOOL} on a {BIG_DUMP_ROWS:,}-row dump: {size} tokens (text {tokens(_text(result))}); "
        f"raw API bodies {raw:,} tokens; plain tool outputs {sum(plain):,} tokens ({plain})"
    )
    return {
        name: figure(size, "tokens", GOAL_TOKENS_10K, "larger of text and structured content"),
        "raw_api_tokens_10k_dump": figure(raw, "tokens", None, "raw JSON bodies + dump CSV"),
        "plain_tools_tokens_10k_dump": figure(
            sum(plain), "tokens", None, "plain tools' outputs, first dump page"
        ),
        **await _wall_ratio(bench, SALES_IMPORT_ID, rounds, "_10k_dump", None),
    }


async def run(quick: bool = False) -> Figures:
    """Calls, wall-time ratio and tokens to a diagnosis (lower is better)."""
    rounds = 3 if quick else 9
    sandbox = Sandbox()

    # Waiting for a run moves the sandbox clock; only the injected latency costs real time.
    server = server_over(sandbox)
    sandbox.faults.add(Fault(kind="latency", latency_ms=LATENCY_MS, path="/2/0/*"))
    async with Client(server) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        bench = Bench(sandbox, client, tools)
        figures = await _diagnosis(bench)
        raw = await _raw_api(sandbox, SALES_IMPORT_ID)
        log(f"raw API: 4 calls, {raw} tokens of JSON/CSV bodies")
        figures["raw_api_diagnosis_tokens"] = figure(raw, "tokens", None, "raw JSON/CSV bodies")
        figures["raw_api_diagnosis_calls"] = figure(4, "calls", None, "raw API path")
        if TOOL not in tools:
            missing = f"{TOOL} missing"
            figures["diagnosis_wall_ratio"] = figure(None, "ratio", GOAL_WALL_RATIO, missing)
            figures["diagnosis_tokens_10k_dump"] = figure(None, "tokens", GOAL_TOKENS_10K, missing)
            return figures
        figures.update(await _wall_ratio(bench, SALES_IMPORT_ID, rounds, "", GOAL_WALL_RATIO))
        figures.update(await _big_dump(bench, rounds))
    return figures


if __name__ == "__main__":
    quick = "--quick" in sys.argv[1:]
    for name, item in anyio.run(run, quick).items():
        print(f"{name:32} {item['value']} {item['unit']} (goal {item['goal']})")
