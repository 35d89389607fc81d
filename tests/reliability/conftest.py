"""Fixtures for the reliability tests: in-process sandbox servers and sandbox processes on a port.

The judge of a clean error, the argument generator and the soak live in `bench/soak.py`, so the
benchmark and these tests apply the same rules.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp.server import MCPServer

REPO = Path(__file__).resolve().parents[2]
sys.path.append(str(REPO / "bench"))

from soak import sandbox_timing  # noqa: E402

from anaplan_mcp.sandbox.app import Sandbox, SandboxConfig  # noqa: E402
from anaplan_mcp.sandbox.auth import SEEDED_PASSWORD, SEEDED_USER  # noqa: E402
from anaplan_mcp.sandbox.clock import Clock  # noqa: E402
from anaplan_mcp.server.app import create_server  # noqa: E402
from anaplan_mcp.settings import load_settings  # noqa: E402

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LOOPBACK = "127.0.0.1"
START_TIMEOUT = 30.0  # a cold interpreter on a busy machine
# Variables the sandbox process may take over from ours (never ANAPLAN_*).
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "USER", "LOGNAME")


class SharedSandbox:
    """One sandbox and one server per settings for a whole module: building a server costs far
    more than a call, and `Sandbox.reset()` gives each test the seeded tenant, no faults, an
    empty request log and no issued tokens (each `Client` connection runs its own lifespan)."""

    def __init__(self) -> None:
        self.sandbox = Sandbox(SandboxConfig(), clock=Clock(frozen_at=NOW))
        self._servers: dict[tuple[tuple[str, Any], ...], MCPServer] = {}

    def server(self, **settings: Any) -> MCPServer:
        key = tuple(sorted(settings.items()))
        if key not in self._servers:
            self._servers[key] = create_server(
                load_settings(sandbox=True, **settings),
                sandbox=self.sandbox,
                timing=sandbox_timing(self.sandbox),
            )
        return self._servers[key]


@pytest.fixture(scope="module")
def shared() -> SharedSandbox:
    return SharedSandbox()


@pytest.fixture
def sandbox(shared: SharedSandbox) -> Sandbox:
    """The module's sandbox, back to its seed for this test."""
    shared.sandbox.reset()
    return shared.sandbox


@pytest.fixture
def make_server(shared: SharedSandbox, sandbox: Sandbox) -> Callable[..., MCPServer]:
    """`make_server(timeout=0.2, ...)`: a server over the fixture's sandbox, time injected."""
    return shared.server


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


class SandboxProcess:
    """`python -m anaplan_mcp sandbox` as a child process; `kill()` sends SIGKILL."""

    def __init__(self, port: int, state: Path | None) -> None:
        self.port = port
        self.base = f"http://{LOOPBACK}:{port}"
        command = [sys.executable, "-m", "anaplan_mcp", "sandbox", "--host", LOOPBACK]
        command += ["--port", str(port)]
        if state is not None:
            command += ["--state", str(state)]
        env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
        self.process = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )

    async def ready(self) -> None:
        """Poll until the admin API answers (the only real wait besides the timeout tests)."""
        with anyio.fail_after(START_TIMEOUT):
            async with httpx2.AsyncClient(base_url=self.base, timeout=2.0) as http:
                while True:
                    if self.process.poll() is not None:
                        raise RuntimeError(f"the sandbox exited with {self.process.returncode}")
                    try:
                        if (await http.get("/_sandbox/clock")).status_code == 200:
                            return
                    except httpx2.TransportError:
                        pass
                    await anyio.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no handler, no flush, no atexit."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()


@asynccontextmanager
async def sandbox_process(state: Path | None = None) -> AsyncIterator[SandboxProcess]:
    """A started, answering sandbox process; always stopped (or reaped) on the way out."""
    child = SandboxProcess(free_port(), state)
    try:
        await child.ready()
        yield child
    finally:
        child.stop()


async def sandbox_token(http: httpx2.AsyncClient) -> str:
    """Sign in as the seeded user (`http` is based at the sandbox)."""
    answer = await http.post("/token/authenticate", auth=(SEEDED_USER, SEEDED_PASSWORD))
    answer.raise_for_status()
    return str(answer.json()["tokenInfo"]["tokenValue"])


StartSandbox = Callable[..., Any]


@pytest.fixture
def start_sandbox() -> StartSandbox:
    """`async with start_sandbox(state=path) as child:` a sandbox process on a loopback port."""
    return sandbox_process


@pytest.fixture
def sign_in() -> Callable[[httpx2.AsyncClient], Any]:
    """`await sign_in(http)`: a token for the seeded user from the sandbox at `http`'s base."""
    return sandbox_token
