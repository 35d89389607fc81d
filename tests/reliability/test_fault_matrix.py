"""Every read tool under every fault kind, the run tools under faults on their POST, deadlines.

Through the in-memory MCP client, with time injected (backoff and `Retry-After` move the sandbox
clock). A result is either a success or an error whose text is clean (`soak.unclean_reason`: one
line naming the failed request and the next step; no bare "Error executing tool", traceback, JSON
dump or secret). Arguments come from each tool's input schema in `tools/list` at run time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, cast

import anyio
import httpx2
import pytest
from mcp import Client
from mcp.server import MCPServer
from mcp.types import CallToolResult
from soak import (
    RUN_TOOLS,
    arguments_for,
    existing_runs,
    new_runs,
    result_text,
    run_posts_reaching_app,
    secrets_of,
    seeded_ids,
    soak,
    unclean_reason,
)

from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.auth import SEEDED_PASSWORD, SEEDED_USER
from anaplan_mcp.sandbox.faults import FAULT_KINDS, Fault, FaultKind
from anaplan_mcp.server.app import create_server
from anaplan_mcp.server.state import Timing
from anaplan_mcp.server.tools import ALL_TOOLS
from anaplan_mcp.settings import load_settings

pytestmark = pytest.mark.anyio

READ_TOOLS = sorted(spec.name for spec in ALL_TOOLS if spec.access == "read")
MAX_RETRIES = 2  # below the default of 3, so the test shows the setting is what bounds retries
# Faults an idempotent read must ride out, and how many in a row it must survive: the retry
# budget for 5xx/429/connection errors, one token renewal for a 401. (Short latency is in the
# lasting-fault test: it must always succeed.)
TRANSIENT: dict[str, int | None] = {
    "status": MAX_RETRIES,
    "rate_limit": MAX_RETRIES,
    "refuse": MAX_RETRIES,
    "drop": MAX_RETRIES,
    "expired_token": 1,
}
CALL_DEADLINE = 20.0


@asynccontextmanager
async def connected(server: MCPServer) -> AsyncIterator[Client]:
    async with Client(server) as client:
        yield client


async def call(client: Client, name: str, arguments: dict[str, Any]) -> CallToolResult:
    """One tool call that must end well before a real deadline (time is injected)."""
    with anyio.fail_after(CALL_DEADLINE):
        return await client.call_tool(name, arguments)


async def tool_arguments(client: Client, sandbox: Sandbox, name: str) -> dict[str, Any]:
    """Minimal valid arguments for `name`, from its schema in tools/list."""
    tool = next(tool for tool in (await client.list_tools()).tools if tool.name == name)
    arguments = arguments_for(tool, seeded_ids(sandbox))
    assert arguments is not None, f"no arguments could be generated for {name}"
    return arguments


def assert_success_or_clean(result: CallToolResult, sandbox: Sandbox) -> None:
    if result.is_error:
        text = result_text(result)
        assert unclean_reason(text, secrets_of(sandbox)) is None, text


def attempts_per_request(sandbox: Sandbox) -> Counter[tuple[str, str, str]]:
    return Counter((r.method, r.path, r.query) for r in requests_to(sandbox))


def requests_to(sandbox: Sandbox) -> list[Any]:
    return [record for record in sandbox.faults.requests if "/2/0/" in record.path]


# --- the judge itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("Error executing tool list_flows", "bare"),
        ("Error executing tool get_flow: ", "bare"),
        ('GET /2/0/integrations failed: {"status": {"code": 500}}; retry', "JSON"),
        ('Traceback (most recent call last):\n  File "x.py", line 3, in f', "traceback"),
        ("GET /2/0/integrations failed with HTTP 503\nretry later", "one line"),
        ("something went wrong; retry later", "name the failed request"),
        ("GET /2/0/integrations failed with HTTP 503.", "no next step"),
        ("GET /2/0/x failed for token abcdefgh12345; retry", "secret"),
    ],
)
def test_the_judge_refuses_unclean_errors(text: str, why: str) -> None:
    reason = unclean_reason(text, secrets=["abcdefgh12345"])
    assert reason is not None and why.lower() in reason.lower()


def test_the_judge_accepts_an_actionable_sdk_wrapped_error() -> None:
    text = (
        "Error executing tool get_flow: GET /2/0/integrationflows/abc failed with HTTP 503: "
        "Service Unavailable (CloudWorks failed; retry later)."
    )
    assert unclean_reason(text) is None


# --- read tools ----------------------------------------------------------------------------


async def test_every_read_tool_gets_arguments_and_succeeds_without_faults(
    make_server: Callable[..., MCPServer], sandbox: Sandbox
) -> None:
    async with connected(make_server()) as client:
        listed = (await client.list_tools()).tools
        read_only = sorted(t.name for t in listed if t.annotations and t.annotations.read_only_hint)
        assert read_only == READ_TOOLS
        for name in READ_TOOLS:
            result = await call(client, name, await tool_arguments(client, sandbox, name))
            assert not result.is_error, f"{name}: {result_text(result)}"


@pytest.mark.parametrize(
    ("tool", "kind"), [pytest.param(t, k, id=f"{t}-{k}") for t in READ_TOOLS for k in TRANSIENT]
)
async def test_read_tool_rides_out_a_transient_fault(
    make_server: Callable[..., MCPServer], sandbox: Sandbox, tool: str, kind: str
) -> None:
    """As many faults in a row as the retry budget allows (one 401): the read still succeeds."""
    async with connected(make_server(max_retries=MAX_RETRIES)) as client:
        arguments = await tool_arguments(client, sandbox, tool)
        fault = Fault(kind=cast(FaultKind, kind), path="/2/0/*", times=TRANSIENT[kind])
        sandbox.faults.add(fault)
        result = await call(client, tool, arguments)
    assert not result.is_error, result_text(result)
    assert any(record.fault == kind for record in requests_to(sandbox))


@pytest.mark.parametrize(
    ("tool", "kind"), [pytest.param(t, k, id=f"{t}-{k}") for t in READ_TOOLS for k in FAULT_KINDS]
)
async def test_read_tool_under_a_lasting_fault_answers_cleanly_within_its_retries(
    make_server: Callable[..., MCPServer], sandbox: Sandbox, tool: str, kind: str
) -> None:
    async with connected(make_server(max_retries=MAX_RETRIES)) as client:
        arguments = await tool_arguments(client, sandbox, tool)
        sandbox.faults.add(Fault(kind=cast(FaultKind, kind), path="/2/0/*", latency_ms=2))
        result = await call(client, tool, arguments)
    if kind == "latency":
        assert not result.is_error, result_text(result)
        return
    assert any(record.fault == kind for record in requests_to(sandbox))
    assert result.is_error or tool in ("diagnose_integration", "get_failure_dump"), (
        "only tools that degrade gracefully may succeed while every request fails"
    )
    assert_success_or_clean(result, sandbox)
    budget = 2 if kind == "expired_token" else MAX_RETRIES + 1
    worst = max(attempts_per_request(sandbox).values())
    assert worst <= budget, f"{worst} attempts at one request, {budget} allowed"


# --- run tools: never two runs for one call ------------------------------------------------

RUN_FAULTS: dict[str, dict[str, Any]] = {
    "status500": {"kind": "status", "status": 500},
    "status503": {"kind": "status", "status": 503},
    "drop": {"kind": "drop"},
    "refuse": {"kind": "refuse"},
    "rate_limit": {"kind": "rate_limit", "retry_after": 2},
    "latency": {"kind": "latency", "latency_ms": 2},
    "expired_token": {"kind": "expired_token"},
    "malformed": {"kind": "malformed"},
    "html_404": {"kind": "html_404"},
}


@pytest.mark.parametrize("times", [1, None], ids=["once", "lasting"])
@pytest.mark.parametrize("fault", list(RUN_FAULTS))
@pytest.mark.parametrize("tool", RUN_TOOLS)
async def test_a_run_call_never_starts_two_runs(
    make_server: Callable[..., MCPServer],
    sandbox: Sandbox,
    tool: str,
    fault: str,
    times: int | None,
) -> None:
    async with connected(make_server()) as client:
        arguments = await tool_arguments(client, sandbox, tool)
        before = existing_runs(sandbox)
        sandbox.faults.add(
            Fault(method="POST", path="/2/0/*/run", times=times, **RUN_FAULTS[fault])
        )
        result = await call(client, tool, arguments)
    posts = [r for r in requests_to(sandbox) if r.method == "POST" and r.path.endswith("/run")]
    reached = run_posts_reaching_app(sandbox)
    started = new_runs(sandbox, tool, arguments, before)
    assert posts and posts[0].fault == RUN_FAULTS[fault]["kind"]
    assert reached <= 1 and started <= 1, f"{reached} run POSTs handled, {started} runs recorded"
    assert started == reached, "every handled run POST records one run, nothing else does"
    if result.is_error:
        assert_success_or_clean(result, sandbox)
    else:
        assert started == 1
    # Only faults that prove the request was never acted on may let the call succeed.
    if fault in ("status500", "status503", "drop", "malformed", "html_404", "rate_limit"):
        assert result.is_error


@pytest.mark.parametrize("fault", ["status503", "drop"])
@pytest.mark.parametrize(
    ("tool", "check"),
    [
        ("run_integration", "get_run_history"),
        ("run_flow", "get_flow"),
    ],
)
async def test_a_failed_run_start_says_how_to_check_before_repeating(
    make_server: Callable[..., MCPServer], sandbox: Sandbox, tool: str, check: str, fault: str
) -> None:
    """The POST may have started a run: the advice must be to look first, not to retry."""
    async with connected(make_server()) as client:
        arguments = await tool_arguments(client, sandbox, tool)
        sandbox.faults.add(Fault(method="POST", path="/2/0/*/run", **RUN_FAULTS[fault]))
        result = await call(client, tool, arguments)
    assert result.is_error
    assert check in result_text(result)


async def test_concurrent_run_calls_under_dropped_answers_start_one_run_each(
    make_server: Callable[..., MCPServer], sandbox: Sandbox
) -> None:
    """Every idle integration at once, half the run POSTs' answers lost: one run per call."""
    idle = sorted(i for i in sandbox.store.integrations if sandbox.store.running_run(i) is None)
    async with connected(make_server()) as client:
        arguments = await tool_arguments(client, sandbox, "run_integration")
        before = existing_runs(sandbox)
        sandbox.faults.add(Fault(kind="drop", method="POST", path="/2/0/*/run", rate=0.5, seed=7))
        results: list[CallToolResult] = []

        async def one(integration_id: str) -> None:
            chosen = {**arguments, "integration_id": integration_id}
            results.append(await call(client, "run_integration", chosen))

        async with anyio.create_task_group() as group:
            for integration_id in idle:
                group.start_soon(one, integration_id)
    started = [new_runs(sandbox, "run_integration", {"integration_id": i}, before) for i in idle]
    assert max(started) == 1
    assert run_posts_reaching_app(sandbox) == sum(started) == len(idle)
    assert 0 < sum(r.is_error for r in results) < len(idle)
    for result in results:
        assert_success_or_clean(result, sandbox)


# --- deadlines (the only real-time waits of this file) -------------------------------------

TIMEOUT = 0.2
# Far longer than the timeout: a client that waited for the answer would trip HANG_GUARD.
LATENCY_MS = 30_000
HANG_GUARD = 20


async def test_latency_past_the_timeout_is_a_clean_timeout_error_over_http(
    start_sandbox: Callable[..., Any],
) -> None:
    """Against the sandbox on a loopback port: each attempt gives up at ANAPLAN_TIMEOUT."""
    async with start_sandbox() as child:
        settings = load_settings(
            cloudworks_url=f"{child.base}/2/0",
            api_url=f"{child.base}/2/0",
            auth_url=child.base,
            username=SEEDED_USER,
            password=SEEDED_PASSWORD,
            timeout=TIMEOUT,
            max_retries=1,
        )

        async def no_wait(seconds: float) -> None:
            return None

        server = create_server(settings, timing=Timing(sleep=no_wait))
        async with connected(server) as client, httpx2.AsyncClient(base_url=child.base) as admin:
            listed = await client.call_tool("list_flows", {})
            assert not listed.is_error, result_text(listed)
            added = await admin.post(
                "/_sandbox/faults",
                json={"kind": "latency", "latency_ms": LATENCY_MS, "path": "/2/0/*"},
            )
            assert added.status_code == 201
            with anyio.fail_after(HANG_GUARD):
                result = await call(client, "list_flows", {})
            log = (await admin.get("/_sandbox/requests")).json()["requests"]
    assert result.is_error
    text = result_text(result)
    assert "timed out" in text and unclean_reason(text) is None, text
    slow = [r for r in log if r["fault"] == "latency"]
    assert len(slow) == 2  # the first attempt and its one retry


async def test_latency_past_the_timeout_is_a_clean_timeout_error_in_process(
    make_server: Callable[..., MCPServer], sandbox: Sandbox
) -> None:
    async with connected(make_server(timeout=TIMEOUT, max_retries=0)) as client:
        sandbox.faults.add(Fault(kind="latency", latency_ms=LATENCY_MS, path="/2/0/*"))
        with anyio.fail_after(HANG_GUARD):
            result = await call(client, "list_flows", {})
    assert result.is_error and "timed out" in result_text(result)


# --- the soak, short -----------------------------------------------------------------------


async def test_a_short_soak_starts_no_duplicate_runs_and_errs_cleanly() -> None:
    report = await soak(calls=150, seed_value=11)
    assert report.calls == 150
    assert report.faults_injected > 0 and report.successes > 0 and report.clean_errors > 0
    assert report.runs_started > 0
    assert report.duplicate_runs == 0
    assert not report.unclean_by_tool, report.lines()
