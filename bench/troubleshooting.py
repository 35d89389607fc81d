"""Benchmark: from "it failed" to cause and failing rows, in tool calls and result tokens.

With this server: one `diagnose_integration` call by name for the seeded, partly failing "Daily sales
import"; the figure counts the tokens of the result text the model reads. Beside it, the raw-API path
an assistant would take with plain HTTP tools: get the integration, its run history, the failed
run's errors and its failure dump (4 calls), counting the tokens of the raw JSON and CSV bodies.
Counts use tiktoken's `cl100k_base`. Nothing here is timed.

    python bench/troubleshooting.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import SALES_IMPORT_ID, Figures, figure, log, sandbox_token, tokens
from mcp import Client

from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.transport import sandbox_transport
from anaplan_mcp.server.app import create_server
from anaplan_mcp.settings import load_settings

INTEGRATION_NAME = "Daily sales import"
TOOL = "diagnose_integration"
GOAL_TOKENS = 1000  # about half the raw-API path (4 bodies)
GOAL_CALLS = 1


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


async def _with_server(sandbox: Sandbox) -> tuple[Figures, str]:
    """The one-call path; figures with value None when the tool is not registered."""
    server = create_server(load_settings(sandbox=True), sandbox=sandbox)
    async with Client(server) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
        if TOOL not in names:
            log(f"{TOOL} is not registered: reported as missing")
            missing = f"{TOOL} missing"
            return {
                "diagnosis_tokens": figure(None, "tokens", GOAL_TOKENS, missing),
                "diagnosis_tool_calls": figure(None, "calls", GOAL_CALLS, missing),
            }, ""
        sandbox.faults.clear_requests()
        result = await client.call_tool(TOOL, {"integration_name": INTEGRATION_NAME})
    text = "\n".join(getattr(block, "text", "") for block in result.content)
    if result.is_error:
        raise RuntimeError(f"{TOOL} failed: {text[:300]}")
    requests = [record for record in sandbox.faults.requests if record.path.startswith("/2/0/")]
    seen = tokens(text)
    structured = result.structured_content or {}
    compact = tokens(_compact(structured)) if structured else seen
    log(
        f"{TOOL}: 1 call ({len(requests)} API requests behind it), {seen} tokens of result text "
        f"({compact} as compact JSON)"
    )
    return {
        "diagnosis_tokens": figure(seen, "tokens", GOAL_TOKENS, "result text the model reads"),
        "diagnosis_tool_calls": figure(1, "calls", GOAL_CALLS),
        "diagnosis_tokens_compact": figure(compact, "tokens", None, "same result, compact JSON"),
    }, text


def _failed_run(history: dict[str, Any]) -> str:
    """The most recent run that did not fully succeed (the newest run if all did)."""
    runs = history["history_of_runs"]["runs"]
    for run in runs:
        if run.get("executionErrorCode") is not None or run.get("success") is False:
            return str(run["id"])
    return str(runs[0]["id"])


async def _raw_api(sandbox: Sandbox) -> Figures:
    """get integration -> run history -> run errors -> dump CSV, as raw bodies."""
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

        await get(f"/{SALES_IMPORT_ID}")
        run_id = _failed_run(json.loads(await get(f"/runs/{SALES_IMPORT_ID}")))
        await get(f"/runerror/{run_id}")
        await get(f"/run/{run_id}/dumps")
    raw = sum(tokens(body) for body in bodies)
    log(f"raw API: {len(bodies)} calls, {raw} tokens of JSON/CSV bodies")
    return {
        "raw_api_diagnosis_tokens": figure(raw, "tokens", None, "raw JSON/CSV bodies"),
        "raw_api_diagnosis_calls": figure(len(bodies), "calls", None, "raw API path"),
    }


async def run(quick: bool = False) -> Figures:
    """Calls and tokens to a diagnosis (lower is better); `quick` changes nothing here."""
    sandbox = Sandbox()
    ours, _ = await _with_server(sandbox)
    return {**ours, **await _raw_api(sandbox)}


if __name__ == "__main__":
    for name, item in anyio.run(run).items():
        print(f"{name:28} {item['value']} {item['unit']} (goal {item['goal']})")
