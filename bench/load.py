"""Load over streamable HTTP: several `anaplan-mcp serve` replicas behind nginx, the sandbox behind them.

    python bench/load.py [--replicas 2] [--calls 2000] [--concurrency 16] [--logs DIR]

Starts `anaplan-mcp sandbox`, N replicas (`serve --transport http`, one shared
`ANAPLAN_MCP_STATE_KEY`) and nginx from a config generated into a temporary folder (an `upstream`
with the replicas, HTTP/1.1 and `proxy_buffering off` for SSE, a free loopback port, pid and logs
in that folder, run in the foreground). C clients of the official SDK (`mcp.Client`, half of them
in the 2026-07-28 era, half in the 2025 handshake era) then share N tool calls: a mix of read
tools and `run_integration`. Printed: throughput, p50/p99 latency, the error count (must be 0) and
how many MCP requests each replica served, read from nginx's access log (`$upstream_addr`).
Everything is stopped at the end, also on failure.

The clients address the deployment by a public host name (`mcp.load.test`, sent as `Host`), as a
real deployment would: nginx passes it on and the replicas admit it through `--allowed-hosts`.

`run(quick)` returns the figures for `run_all.py`: `load_errors` (goal 0) and the latencies (info).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import anyio
import httpx2
from anyio.abc import Process

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    LOOPBACK,
    REPO,
    Figures,
    figure,
    free_port,
    latest_run_id,
    remote_env,
    sandbox_on_port,
    sandbox_token,
    stop_child,
)

from anaplan_mcp.sandbox.seed_ids import (
    PLANNING_FLOW_ID,
    PRODUCTS_IMPORT_ID,
    SALES_IMPORT_ID,
    SALES_MODEL_ID,
    WORKSPACE_ID,
)

PUBLIC_HOST = "mcp.load.test"
START_TIMEOUT = 60.0
# A sandbox run lasts 5 s on its clock; the run lane moves the clock past that before each start,
# so one integration can be run again and again without "already running" (409).
RUN_CLOCK_STEP = 6.0
# How long one MCP call may take before it counts as an error (a hang must not stall the run).
CALL_TIMEOUT = 60.0
Era = Literal["auto", "legacy"]


def nginx_binary() -> str | None:
    """nginx on PATH, or Debian's /usr/sbin/nginx (not on every non-root PATH)."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def nginx_config(folder: Path, listen_port: int, upstream_ports: Sequence[int]) -> str:
    """An nginx config balancing `upstream_ports` on loopback; everything it writes is in `folder`."""
    servers = "\n".join(f"        server {LOOPBACK}:{port};" for port in upstream_ports)
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""\
worker_processes 1;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{
    worker_connections 1024;
}}
http {{
    log_format upstream '$upstream_addr $status $request_method $request_uri $request_time';
    access_log {folder / "access.log"} upstream;
{temp}
    upstream anaplan_mcp {{
{servers}
        keepalive 32;
        # Below uvicorn's 5 s keep-alive: nginx must drop an idle connection before the replica
        # does, or a POST sent on a connection the replica is closing fails with 502 (nginx does
        # not retry non-idempotent requests, rightly: it could start a run twice).
        keepalive_timeout 4s;
    }}
    server {{
        listen {LOOPBACK}:{listen_port};
        server_name {PUBLIC_HOST};
        location / {{
            proxy_pass http://anaplan_mcp;
            # HTTP/1.1 with an empty Connection header: keep-alive to the replicas and chunked SSE.
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            # Without this nginx sends Host: anaplan_mcp (the upstream's name) and every replica
            # answers 421 (DNS-rebinding protection); pass the name the client used instead.
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            # SSE replies must reach the client event by event (progress), not when complete.
            proxy_buffering off;
            proxy_cache off;
            proxy_read_timeout 300s;
        }}
    }}
}}
"""


async def _wait_healthy(url: str, processes: Sequence[Process], headers: dict[str, str]) -> None:
    """Poll `url` until it answers 200; fail early when one of `processes` has exited."""
    with anyio.fail_after(START_TIMEOUT):
        async with httpx2.AsyncClient(timeout=2.0, headers=headers) as http:
            while True:
                for process in processes:
                    if process.returncode is not None:
                        raise RuntimeError(f"a child exited with status {process.returncode}")
                try:
                    if (await http.get(url)).status_code == 200:
                        return
                except httpx2.TransportError:
                    pass
                await anyio.sleep(0.05)


async def _stop(process: Process) -> None:
    with anyio.CancelScope(shield=True):
        if process.returncode is None:
            process.terminate()
        await stop_child(process)


@asynccontextmanager
async def replicas(
    sandbox: str,
    state_keys: Sequence[str | None],
    logs: Path,
    *,
    env: dict[str, str] | None = None,
    flags: Sequence[str] = (),
    processes: list[Process] | None = None,
) -> AsyncIterator[list[int]]:
    """One `anaplan-mcp serve --transport http` per entry of `state_keys`; yields their ports.

    Each replica's stderr goes to `logs/replica-<i>.log`. `env` replaces the sandbox credentials
    (`remote_env`) and `flags` are added to each command (serve --oauth); `processes`, if given,
    receives the replicas' processes (a test that kills one).
    """
    ports = [free_port() for _ in state_keys]
    processes = [] if processes is None else processes
    async with AsyncExitStack() as stack:
        for index, (port, key) in enumerate(zip(ports, state_keys, strict=True)):
            replica_env = dict(env) if env is not None else remote_env(sandbox)
            if key is not None:
                replica_env["ANAPLAN_MCP_STATE_KEY"] = key
            command = [
                sys.executable,
                "-m",
                "anaplan_mcp",
                "serve",
                "--transport",
                "http",
                "--host",
                LOOPBACK,
                "--port",
                str(port),
                "--allowed-hosts",
                PUBLIC_HOST,
                *flags,
            ]
            log = stack.enter_context((logs / f"replica-{index}.log").open("wb"))
            process = await anyio.open_process(
                command,
                cwd=REPO,
                env=replica_env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
            stack.push_async_callback(_stop, process)
            processes.append(process)
        try:
            async with anyio.create_task_group() as group:
                for port in ports:
                    url = f"http://{LOOPBACK}:{port}/healthz"
                    group.start_soon(_wait_healthy, url, processes, {})
        except BaseException as exc:
            # Say why: the last lines a replica wrote (a settings error, a traceback).
            tails = [
                f"replica-{index}: " + " | ".join(path.read_text().splitlines()[-3:])
                for index in range(len(ports))
                if (path := logs / f"replica-{index}.log").stat().st_size
            ]
            raise RuntimeError("the replicas did not start; " + "; ".join(tails)) from exc
        yield ports


@dataclass
class Balancer:
    """nginx in front of the replicas."""

    url: str  # the MCP endpoint, through nginx
    folder: Path

    @property
    def access_log(self) -> Path:
        return self.folder / "access.log"


def _write_config(folder: Path, port: int, upstream_ports: Sequence[int]) -> Path:
    # Run as root, nginx's workers drop to an unprivileged user and must still reach the
    # temp paths inside `folder` (mkdtemp makes it 0700).
    folder.chmod(0o755)
    config = folder / "nginx.conf"
    config.write_text(nginx_config(folder, port, upstream_ports))
    return config


@asynccontextmanager
async def nginx(
    binary: str, upstream_ports: Sequence[int], folder: Path, *, port: int | None = None
) -> AsyncIterator[Balancer]:
    """nginx in the foreground (`daemon off`) balancing `upstream_ports` on `port` (default: a
    free one); stopped on exit."""
    port = port or free_port()
    config = _write_config(folder, port, upstream_ports)
    command = [binary, "-p", str(folder), "-c", str(config), "-e", str(folder / "error.log")]
    command += ["-g", "daemon off;"]
    process = await anyio.open_process(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        health = f"http://{LOOPBACK}:{port}/healthz"
        await _wait_healthy(health, [process], {"Host": PUBLIC_HOST})
        yield Balancer(url=f"http://{LOOPBACK}:{port}/mcp", folder=folder)
    finally:
        await _stop(process)


def served_by(access_log: Path, ports: Sequence[int]) -> dict[str, int]:
    """MCP requests per replica (`replica-<i>`), from nginx's `$upstream_addr`."""
    names = {f"{LOOPBACK}:{port}": f"replica-{index}" for index, port in enumerate(ports)}
    counts: Counter[str] = Counter({name: 0 for name in names.values()})
    for line in access_log.read_text().splitlines():
        upstream, _, rest = line.partition(" ")
        if " /mcp" not in rest:
            continue
        # After a failed attempt nginx lists every upstream it tried; the last one answered.
        last = upstream.split(",")[-1].strip()
        counts[names.get(last, last)] += 1
    return dict(counts)


@dataclass
class LoadResult:
    calls: int = 0
    wall: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    per_tool: Counter[str] = field(default_factory=Counter)
    per_era: Counter[str] = field(default_factory=Counter)
    era_latencies: dict[str, list[float]] = field(default_factory=dict)
    tool_latencies: dict[str, list[float]] = field(default_factory=dict)

    def percentile(self, q: float, era: str | None = None, tool: str | None = None) -> float:
        """Nearest-rank percentile of the latencies (of one era or tool if given), in seconds."""
        if era is not None:
            samples = self.era_latencies.get(era, [])
        elif tool is not None:
            samples = self.tool_latencies.get(tool, [])
        else:
            samples = self.latencies
        ordered = sorted(samples)
        if not ordered:
            return float("nan")
        rank = max(1, -(-len(ordered) * q // 100))
        return ordered[int(rank) - 1]


def public_client(url: str) -> Any:
    """An MCP transport to `url` that names the deployment by its public host."""
    from mcp.client.streamable_http import streamable_http_client

    http = httpx2.AsyncClient(
        headers={"Host": PUBLIC_HOST}, timeout=httpx2.Timeout(30.0, read=300.0)
    )
    return http, streamable_http_client(url, http_client=http)


class Mix:
    """The calls the clients share: weighted read tools, and runs started one at a time."""

    def __init__(self, sandbox: str, run_id: str) -> None:
        self.sandbox = sandbox
        self.run_ids = [run_id]
        self.run_lock = anyio.Lock()
        reads: list[tuple[str, dict[str, Any], int]] = [
            ("list_integrations", {"limit": 10}, 3),
            ("get_integration", {"integration_id": SALES_IMPORT_ID}, 3),
            ("list_connections", {}, 2),
            ("list_flows", {}, 1),
            ("get_flow", {"flow_id": PLANNING_FLOW_ID}, 1),
            ("get_run_history", {"integration_id": SALES_IMPORT_ID, "limit": 5}, 2),
            ("get_run_errors", {"run_id": run_id}, 1),
            ("get_failure_dump", {"run_id": run_id, "limit": 20}, 1),
            ("diagnose_integration", {"integration_id": SALES_IMPORT_ID}, 1),
            ("find_failed_runs", {}, 1),
            ("list_model_objects", {"workspace_id": WORKSPACE_ID, "model_id": SALES_MODEL_ID}, 1),
        ]
        self.plan: list[str] = []
        self.fixed: dict[str, dict[str, Any]] = {}
        for tool, arguments, weight in reads:
            self.plan += [tool] * weight
            self.fixed[tool] = arguments
        self.plan += ["get_run_status", "get_run_status", "run_integration"]

    def tool(self, index: int) -> str:
        return self.plan[index % len(self.plan)]

    async def call(self, client: Any, tool: str) -> tuple[Any, float]:
        """The tool's result and the seconds the call itself took (not the wait for a turn)."""
        if tool == "get_run_status":
            return await _timed(client.call_tool(tool, {"run_id": self.run_ids[-1]}))
        if tool != "run_integration":
            return await _timed(client.call_tool(tool, self.fixed[tool]))
        async with self.run_lock:
            # Ends the previous run on the sandbox clock, so this start is never a 409.
            async with httpx2.AsyncClient(base_url=self.sandbox, timeout=10.0) as http:
                moved = await http.post("/_sandbox/clock", json={"advance": RUN_CLOCK_STEP})
                moved.raise_for_status()
            started = await _timed(client.call_tool(tool, {"integration_id": PRODUCTS_IMPORT_ID}))
            result = started[0]
            if not result.is_error and result.structured_content:
                self.run_ids.append(str(result.structured_content["run_id"]))
            return started


async def _timed(call: Awaitable[Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = await call
    return result, time.perf_counter() - started


def _text(result: Any) -> str:
    return " ".join(getattr(block, "text", "") for block in result.content)[:200]


async def drive(url: str, mix: Mix, calls: int, concurrency: int) -> LoadResult:
    """`concurrency` clients (alternating eras) share `calls` tool calls through `url`."""
    from mcp import Client

    result = LoadResult(calls=calls)
    next_index = 0
    ready = anyio.Event()
    connected = 0

    async def lane(number: int) -> None:
        nonlocal next_index, connected
        era: Era = "auto" if number % 2 == 0 else "legacy"
        http, transport = public_client(url)
        async with http, Client(transport, mode=era) as client:
            await client.list_tools()  # untimed: the client caches output schemas from it
            connected += 1
            if connected == concurrency:
                ready.set()
            await ready.wait()
            while next_index < calls:
                index = next_index
                next_index += 1
                tool = mix.tool(index)
                started = time.perf_counter()
                try:
                    with anyio.fail_after(CALL_TIMEOUT):
                        answer, elapsed = await mix.call(client, tool)
                except Exception as exc:
                    result.errors.append(f"{tool} ({era}): {type(exc).__name__}: {exc}"[:300])
                    elapsed = time.perf_counter() - started
                else:
                    if answer.is_error:
                        result.errors.append(f"{tool} ({era}): {_text(answer)}")
                result.latencies.append(elapsed)
                result.era_latencies.setdefault(era, []).append(elapsed)
                result.tool_latencies.setdefault(tool, []).append(elapsed)
                result.per_tool[tool] += 1
                result.per_era[era] += 1

    async with anyio.create_task_group() as group:
        for number in range(concurrency):
            group.start_soon(lane, number)
        await ready.wait()
        started = time.perf_counter()
    result.wall = time.perf_counter() - started
    return result


@dataclass
class Report:
    load: LoadResult
    served: dict[str, int]


async def through_nginx(sandbox: str, ports: Sequence[int], calls: int, concurrency: int) -> Report:
    """nginx in front of the running replicas at `ports`, the load through it; nginx stopped after."""
    binary = nginx_binary()
    if binary is None:
        raise RuntimeError("nginx is not installed (bash scripts/install-nginx.sh)")
    with tempfile.TemporaryDirectory(prefix="anaplan-mcp-nginx-") as temp:
        async with nginx(binary, ports, Path(temp)) as balancer:
            async with httpx2.AsyncClient(base_url=sandbox, timeout=10.0) as http:
                http.headers["Authorization"] = f"AnaplanAuthToken {await sandbox_token(http)}"
                run_id = await latest_run_id(http, SALES_IMPORT_ID)
            load = await drive(balancer.url, Mix(sandbox, run_id), calls, concurrency)
            # nginx logs a request when its reply has ended; every reply has ended here.
            served = served_by(balancer.access_log, ports)
    return Report(load=load, served=served)


async def load_balanced(
    replica_count: int, calls: int, concurrency: int, logs: Path | None = None
) -> Report:
    """The whole run: sandbox, replicas, nginx, the load; everything stopped before returning."""
    with tempfile.TemporaryDirectory(prefix="anaplan-mcp-load-") as temp:
        key = secrets.token_urlsafe(32)
        async with (
            sandbox_on_port() as sandbox,
            replicas(sandbox, [key] * replica_count, logs or Path(temp)) as ports,
        ):
            return await through_nginx(sandbox, ports, calls, concurrency)


def describe(report: Report) -> list[str]:
    """The run for a person."""
    load = report.load
    lines = [
        f"calls        {load.calls} in {load.wall:.2f} s ({load.calls / load.wall:.1f} calls/s)"
        if load.wall
        else f"calls        {load.calls}",
        f"latency      p50 {load.percentile(50) * 1000:.1f} ms, p99 {load.percentile(99) * 1000:.1f} ms",
        f"errors       {len(load.errors)}",
        "eras         "
        + ", ".join(
            f"{era} {n} calls (p50 {load.percentile(50, era) * 1000:.1f} ms)"
            for era, n in sorted(load.per_era.items())
        ),
        "served by    " + ", ".join(f"{name} {n}" for name, n in report.served.items()),
        "tools        "
        + ", ".join(
            f"{tool} {n} (p50 {load.percentile(50, tool=tool) * 1000:.0f} ms)"
            for tool, n in load.per_tool.most_common()
        ),
    ]
    lines += [f"  error: {error}" for error in load.errors[:10]]
    return lines


async def run(quick: bool = False) -> Figures:
    """The figures for `run_all.py`; lower is better for each."""
    if nginx_binary() is None:
        note = "nginx not installed: bash scripts/install-nginx.sh"
        return {
            "load_errors": figure(None, "errors", 0, note),
            "load_p99_ms": figure(None, "ms", None, note),
        }
    calls, concurrency = (200, 8) if quick else (2000, 16)
    report = await load_balanced(2, calls, concurrency)
    for line in describe(report):
        print(f"  {line}", flush=True)
    load = report.load
    note = f"{calls} calls, {concurrency} clients, 2 replicas behind nginx"
    return {
        "load_errors": figure(len(load.errors), "errors", 0, note),
        "load_p50_ms": figure(load.percentile(50) * 1000, "ms", None),
        "load_p99_ms": figure(load.percentile(99) * 1000, "ms", None),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--logs", type=Path, help="keep the replicas' stderr in this folder")
    args = parser.parse_args()
    if args.replicas < 1 or args.calls < 1 or args.concurrency < 1:
        parser.error("--replicas, --calls and --concurrency must be >= 1")
    if nginx_binary() is None:
        print("nginx is not installed: bash scripts/install-nginx.sh", file=sys.stderr)
        return 2
    if args.logs is not None:
        args.logs.mkdir(parents=True, exist_ok=True)
    print(
        f"load: {args.calls} calls, {args.concurrency} clients, {args.replicas} replicas behind nginx",
        flush=True,
    )
    report = anyio.run(load_balanced, args.replicas, args.calls, args.concurrency, args.logs)
    for line in describe(report):
        print(line)
    return 1 if report.load.errors else 0


if __name__ == "__main__":
    sys.exit(main())
