"""Benchmark: what the MCP layer adds to one read, against the bare HTTP request it makes.

The sandbox runs as `anaplan-mcp sandbox` on a loopback port. One `get_integration` call (on the
seeded sales import) goes through the MCP protocol, once with the in-memory `mcp.Client(server)` and
once over stdio to `python -m anaplan_mcp serve`; beside it, the same GET requests the tool made
(read from the sandbox's request log) are sent with `httpx2` and a token: the physical limit.
Measurements alternate (tool, bare, tool, bare, ...) after warm-up; ratio = median tool / median bare.

    python bench/overhead.py [--quick]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    SALES_IMPORT_ID,
    Figures,
    Probe,
    call_ok,
    choose_probe,
    figure,
    latest_run_id,
    log,
    median,
    ms,
    remote_env,
    remote_settings,
    sandbox_on_port,
    sandbox_token,
)
from mcp import Client, StdioServerParameters

from anaplan_mcp.server.app import create_server, open_client

GOAL_INMEMORY = 1.5
GOAL_STDIO = 3.0
WARMUP = 20
STDIO_TIMEOUT = 180


async def _requests_of_one_call(
    http: httpx2.AsyncClient, call: Callable[[], Awaitable[None]]
) -> list[str]:
    """The API paths (with query) one tool call requests, from the sandbox's request log."""
    await http.delete("/_sandbox/requests")
    await call()
    records = (await http.get("/_sandbox/requests")).json()["requests"]
    paths = []
    for record in records:
        if record["path"].startswith(("/_sandbox/", "/token/")):
            continue
        if record["method"] != "GET":
            raise RuntimeError(f"the probe tool made a {record['method']} request")
        paths.append(record["path"] + (f"?{record['query']}" if record["query"] else ""))
    if not paths:
        raise RuntimeError("the probe tool made no API request")
    return paths


async def _compare(
    label: str,
    probe: Probe,
    http: httpx2.AsyncClient,
    tool: Callable[[], Awaitable[None]],
    rounds: int,
    library: Callable[[], Awaitable[None]] | None = None,
) -> dict[str, float]:
    """Median seconds of the tool call, of its bare requests (and of the client library alone).

    Every round runs each variant once, in a rotating order, so slow phases of a noisy machine
    hit all of them alike.
    """
    for _ in range(WARMUP):
        await tool()
    paths = await _requests_of_one_call(http, tool)

    async def bare() -> None:
        for path in paths:
            response = await http.get(path)
            response.raise_for_status()
            response.json()

    variants: dict[str, Callable[[], Awaitable[None]]] = {"tool": tool, "bare": bare}
    if library is not None:
        variants["library"] = library
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for call in variants.values():
        for _ in range(WARMUP):
            await call()
    names = list(variants)
    for round_number in range(rounds):
        shift = round_number % len(names)  # rotate the order: no variant always follows another
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            await variants[name]()
            samples[name].append(time.perf_counter() - started)
    medians = {name: median(values) for name, values in samples.items()}
    extra = f"  library {ms(medians['library'])}" if "library" in medians else ""
    log(
        f"{label:9} {probe['tool']} {ms(medians['tool'])}  bare GET x{len(paths)} "
        f"{ms(medians['bare'])}{extra}  ratio {medians['tool'] / medians['bare']:5.2f}"
        f"  ({rounds} rounds)"
    )
    return medians


async def run(quick: bool = False) -> Figures:
    """Both overhead ratios (lower is better), and the client library's own share for reference."""
    rounds = 150 if quick else 600
    stdio_rounds = 80 if quick else 300
    async with sandbox_on_port() as base, httpx2.AsyncClient(base_url=base, timeout=10.0) as http:
        http.headers["Authorization"] = f"AnaplanAuthToken {await sandbox_token(http)}"

        async def run_id() -> str:
            return await latest_run_id(http, SALES_IMPORT_ID)

        settings = remote_settings(base)
        async with Client(create_server(settings)) as client, open_client(settings) as cw:
            probe = await choose_probe(client, run_id)
            arguments = probe["arguments"]

            async def library() -> None:
                if probe["tool"] == "get_integration":
                    await cw.get_integration(arguments["integration_id"])
                else:
                    await cw.run_status(arguments["run_id"])

            async def tool() -> None:
                await call_ok(client, probe)

            memory = await _compare("in-memory", probe, http, tool, rounds, library)

        params = StdioServerParameters(
            command=sys.executable, args=["-m", "anaplan_mcp", "serve"], env=remote_env(base)
        )
        with anyio.fail_after(STDIO_TIMEOUT):
            async with Client(params, read_timeout_seconds=30) as client:

                async def stdio_tool() -> None:
                    await call_ok(client, probe)

                stdio = await _compare("stdio", probe, http, stdio_tool, stdio_rounds)

    note = "" if probe["tool"] == "get_integration" else f"{probe['tool']}: get_integration missing"
    return {
        "mcp_overhead_inmemory": figure(memory["tool"] / memory["bare"], "x", GOAL_INMEMORY, note),
        "mcp_overhead_stdio": figure(stdio["tool"] / stdio["bare"], "x", GOAL_STDIO, note),
        "client_library_overhead": figure(
            memory["library"] / memory["bare"], "x", None, "CloudWorksClient alone, no MCP"
        ),
    }


def _main() -> None:
    results: dict[str, Any] = anyio.run(run, "--quick" in sys.argv)
    for name, item in results.items():
        print(f"{name:24} {item['value']:8.2f} {item['unit']} (goal {item['goal']})")


if __name__ == "__main__":
    _main()
