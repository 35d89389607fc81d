"""Servers on a real loopback socket: an ASGI app from a thread, or a started server process."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2
import uvicorn
from anyio.from_thread import start_blocking_portal

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from _common import free_port, sandbox_on_port

__all__ = ["free_port", "listening", "sandbox_process", "wait_for_health"]


@contextmanager
def listening(app: Any) -> Iterator[str]:
    """`app` at http://127.0.0.1:PORT, accepting connections before this returns."""
    # The socket is bound and listening before uvicorn starts, so the first connection waits in the
    # backlog instead of being refused: no polling for readiness.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()


def wait_for_health(base: str, process: subprocess.Popen[Any], seconds: float = 30) -> None:
    """Return once `python -m anaplan_mcp serve --transport http` at `base` answers /healthz;
    fail if the process exits first or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx2.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        assert process.poll() is None, f"the HTTP server exited with {process.returncode}"
        assert time.monotonic() < deadline, (
            f"the HTTP server did not answer /healthz in {seconds} s"
        )
        time.sleep(0.05)


@contextmanager
def sandbox_process() -> Iterator[str]:
    """`anaplan-mcp sandbox` as a process of its own, answering, for tests that are not async."""
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(sandbox_on_port()) as base,
    ):
        yield base
