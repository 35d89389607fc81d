"""A host's cancel stops the server's wait in a real server process, over stdio and over HTTP.

The sandbox in the process runs on real time: a run takes 5 s and the wait polls every 3 s, so the
call is cancelled while the wait sleeps. The server says on stderr when a wait stops because its
call was cancelled; a cancel that the server ignored would leave the wait running to the run's end
without that line.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from typing import IO

import anyio
import pytest
from mcp import Client, StdioServerParameters, stdio_client

from anaplan_mcp.sandbox.seed_ids import PRODUCTS_IMPORT_ID
from tests.cancelling import cancel_after_first_progress
from tests.listening import wait_for_health

pytestmark = pytest.mark.anyio

SANDBOX_ENV = {"ANAPLAN_MCP_SANDBOX": "1", "PATH": os.environ.get("PATH", "")}
MODES = ["auto", "legacy"]
WAIT = {"integration_id": PRODUCTS_IMPORT_ID, "wait": True, "timeout_seconds": 600}
# Bounds on things that happen at once when the code is right; never a timing being tested.
SETTLE_SECONDS = 30


@pytest.fixture
def stderr_file() -> Iterator[IO[str]]:
    with tempfile.TemporaryFile("w+") as file:
        yield file


async def stopped_line(stderr: IO[str], run_id: str) -> str:
    """The server's line saying the wait for `run_id` stopped on a cancel (fails if none comes)."""
    wanted = f"wait for {run_id} stopped: the call was cancelled"
    with anyio.fail_after(SETTLE_SECONDS):
        while True:
            stderr.seek(0)
            found = [line for line in stderr.read().splitlines() if wanted in line]
            if found:
                return found[0]
            await anyio.sleep(0.1)


@pytest.mark.parametrize("mode", MODES)
async def test_stdio_cancel_stops_the_wait(mode: str, stderr_file: IO[str]) -> None:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "anaplan_mcp", "serve"], env=SANDBOX_ENV
    )
    async with Client(stdio_client(params, errlog=stderr_file), mode=mode) as client:
        run_id = await cancel_after_first_progress(client, WAIT, SETTLE_SECONDS)
        assert await stopped_line(stderr_file, run_id)
        status = await client.call_tool("get_run_status", {"run_id": run_id})
        assert not status.is_error


@pytest.fixture
def http_server(stderr_file: IO[str]) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    command = [sys.executable, "-m", "anaplan_mcp", "serve", "--transport", "http"]
    process = subprocess.Popen(
        [*command, "--port", str(port)],
        env=SANDBOX_ENV,
        stdout=subprocess.DEVNULL,
        stderr=stderr_file,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(base, process, SETTLE_SECONDS)
        yield f"{base}/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("mode", MODES)
async def test_http_cancel_stops_the_wait(
    mode: str, http_server: str, stderr_file: IO[str]
) -> None:
    async with Client(http_server, mode=mode) as client:
        run_id = await cancel_after_first_progress(client, WAIT, SETTLE_SECONDS)
        assert await stopped_line(stderr_file, run_id)
        status = await client.call_tool("get_run_status", {"run_id": run_id})
        assert not status.is_error
    stderr_file.seek(0)
    assert "Traceback" not in stderr_file.read()
