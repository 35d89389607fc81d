"""Benchmark: stdio cold start (spawn -> first `tools/list` answer) against the floor of Python + SDK.

`python -m anaplan_mcp serve` (sandbox mode, ANAPLAN_MCP_SANDBOX=1) and a minimal `MCPServer` with one
tool (written to a temporary file) are each spawned and spoken to over raw pipes: `initialize`,
`notifications/initialized`, `tools/list`; the clock stops at the `tools/list` answer. The two are
started alternately, after one warm-up pair; ratio = median ours / median minimal.

    python bench/cold_start.py [--quick]
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from anyio.abc import Process

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, Figures, child_env, figure, log, median, ms, stop_child

GOAL = 1.15
PROTOCOL_VERSION = "2025-11-25"
START_TIMEOUT = 60.0

MINIMAL_SERVER = '''\
from mcp.server import MCPServer

server = MCPServer("minimal", log_level="WARNING")


@server.tool()
async def echo(text: str) -> str:
    """Return the text."""
    return text


if __name__ == "__main__":
    server.run("stdio")
'''


def _frame(message_id: int | None, method: str, params: dict[str, Any]) -> bytes:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": params}
    if message_id is not None:
        message["id"] = message_id
    return json.dumps(message).encode() + b"\n"


HANDSHAKE = (
    _frame(
        1,
        "initialize",
        {
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "cold-start-bench", "version": "1"},
        },
    )
    + _frame(None, "notifications/initialized", {})
    + _frame(2, "tools/list", {})
)


async def _answer(process: Process, message_id: int) -> dict[str, Any]:
    """Read stdout lines until the response with `message_id` arrives."""
    assert process.stdout is not None
    buffer = b""
    while True:
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            if not line.strip():
                continue
            message = json.loads(line)
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"server answered an error: {message['error']}")
                return dict(message)
        buffer += await process.stdout.receive()


async def time_to_tools(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Seconds from spawn to the `tools/list` answer, and how many tools it listed."""
    started = time.perf_counter()
    process = await anyio.open_process(command, cwd=REPO, env=env, stderr=subprocess.DEVNULL)
    try:
        with anyio.fail_after(START_TIMEOUT):
            assert process.stdin is not None
            await process.stdin.send(HANDSHAKE)
            answer = await _answer(process, 2)
        elapsed = time.perf_counter() - started
    finally:
        with anyio.CancelScope(shield=True):
            await stop_child(process)
    return elapsed, len(answer["result"]["tools"])


async def run(quick: bool = False) -> Figures:
    """The cold start ratio (lower is better)."""
    pairs = 3 if quick else 20
    with tempfile.TemporaryDirectory(prefix="cold-start-") as folder:
        script = Path(folder) / "minimal_server.py"
        script.write_text(MINIMAL_SERVER, encoding="utf-8")
        variants = {
            "anaplan-mcp": (
                [sys.executable, "-m", "anaplan_mcp", "serve"],
                child_env({"ANAPLAN_MCP_SANDBOX": "1"}),
            ),
            "minimal": ([sys.executable, str(script)], child_env()),
        }
        samples: dict[str, list[float]] = {name: [] for name in variants}
        listed: dict[str, int] = {}
        for round_number in range(pairs + 1):  # round 0 warms the OS file cache and bytecode
            order = list(variants) if round_number % 2 else list(reversed(variants))
            for name in order:
                seconds, count = await time_to_tools(*variants[name])
                listed[name] = count
                if round_number:
                    samples[name].append(seconds)
    ours, floor = median(samples["anaplan-mcp"]), median(samples["minimal"])
    ratio = ours / floor
    log(
        f"anaplan-mcp serve {ms(ours)} ({listed['anaplan-mcp']} tools)  minimal server "
        f"{ms(floor)} ({listed['minimal']} tool)  ratio {ratio:5.2f}  ({pairs} pairs)"
    )
    return {
        "cold_start_ratio": figure(ratio, "x", GOAL),
        "cold_start_ms": figure(ours * 1000, "ms", None, f"minimal server {floor * 1000:.0f} ms"),
    }


if __name__ == "__main__":
    for name, item in anyio.run(run, "--quick" in sys.argv).items():
        print(f"{name:20} {item['value']} {item['unit']} (goal {item['goal']})")
