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
from mcp.server import MCPServer

from anaplan_mcp.server.app import create_server, open_client

GOAL_INMEMORY = 1.5
GOAL_STDIO = 3.0
WARMUP = 20
STDIO_TIMEOUT = 180


Call = Callable[[], Awaitable[None]]


async def _requests_of_one_call(http: httpx2.AsyncClient, call: Call) -> list[str]:
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


def _bare(http: httpx2.AsyncClient, paths: list[str]) -> Callable[[], Awaitable[Any]]:
    """The physical limit: the tool's GET requests, sent and parsed, nothing else."""

    async def bare() -> Any:
        body = None
        for path in paths:
            response = await http.get(path)
            response.raise_for_status()
            body = response.json()
        return body

    return bare


def _floor_server(bare: Callable[[], Awaitable[Any]]) -> MCPServer:
    """The SDK's floor: a plain one-tool `MCPServer` whose tool sends the bare requests."""
    server = MCPServer("sdk-floor", log_level="WARNING")

    @server.tool()
    async def fetch() -> dict[str, Any]:
        """Send the requests; return the last body."""
        body: dict[str, Any] = await bare()
        return body

    return server


async def _compare(label: str, variants: dict[str, Call], rounds: int) -> dict[str, float]:
    """Median seconds of each variant (the first is the tool call, the second the bare requests).

    Every round runs each variant once, in a rotating order, so slow phases of a noisy machine
    hit all of them alike.
    """
    names = list(variants)
    for call in variants.values():
        for _ in range(WARMUP):
            await call()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(rounds):
        shift = round_number % len(names)  # rotate the order: no variant always follows another
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            await variants[name]()
            samples[name].append(time.perf_counter() - started)
    medians = {name: median(values) for name, values in samples.items()}
    tool, bare = names[0], names[1]
    shown = "  ".join(f"{name} {ms(medians[name])}" for name in names)
    log(f"{label:9} {shown}  ratio {medians[tool] / medians[bare]:5.2f}  ({rounds} rounds)")
    return medians


async def run(quick: bool = False) -> Figures:
    """Both overhead ratios (lower is better), and the client library's and the SDK's own shares."""
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

            async def tool() -> None:
                await call_ok(client, probe)

            async def library() -> None:
                if probe["tool"] == "get_integration":
                    await cw.get_integration(arguments["integration_id"])
                else:
                    await cw.run_status(arguments["run_id"])

            for _ in range(WARMUP):
                await tool()
            bare = _bare(http, await _requests_of_one_call(http, tool))
            async with Client(_floor_server(bare)) as floor:

                async def sdk_floor() -> None:
                    result = await floor.call_tool("fetch", {})
                    if result.is_error:
                        raise RuntimeError("the SDK floor tool failed")

                memory = await _compare(
                    "in-memory",
                    {"tool": tool, "bare": bare, "library": library, "sdk floor": sdk_floor},
                    rounds,
                )

        params = StdioServerParameters(
            command=sys.executable, args=["-m", "anaplan_mcp", "serve"], env=remote_env(base)
        )
        with anyio.fail_after(STDIO_TIMEOUT):
            async with Client(params, read_timeout_seconds=30) as client:

                async def stdio_tool() -> None:
                    await call_ok(client, probe)

                stdio = await _compare("stdio", {"tool": stdio_tool, "bare": bare}, stdio_rounds)

    note = "" if probe["tool"] == "get_integration" else f"{probe['tool']}: get_integration missing"
    return {
        "mcp_overhead_inmemory": figure(memory["tool"] / memory["bare"], "x", GOAL_INMEMORY, note),
        "mcp_overhead_stdio": figure(stdio["tool"] / stdio["bare"], "x", GOAL_STDIO, note),
        "client_library_overhead": figure(
            memory["library"] / memory["bare"], "x", None, "CloudWorksClient alone, no MCP"
        ),
        "sdk_floor_inmemory": figure(
            memory["sdk floor"] / memory["bare"],
            "x",
            None,
            "a plain one-tool MCPServer sending the same requests",
        ),
    }


def _main() -> None:
    results: dict[str, Any] = anyio.run(run, "--quick" in sys.argv)
    for name, item in results.items():
        print(f"{name:24} {item['value']:8.2f} {item['unit']} (goal {item['goal']})")


if __name__ == "__main__":
    _main()
