"""Soak: a bounded mix of read and run tool calls under random faults, at a fixed seed.

An in-process sandbox on a frozen clock serves an in-memory `mcp.Client(server)`; waiting (retry
backoff, `Retry-After`) moves the sandbox clock instead of sleeping, so thousands of faulted calls
take seconds. Before each call a fault rule of a random kind (5xx, 429 with `Retry-After`,
latency, dropped or refused connections, malformed JSON, the HTML 404, token expiry) may be added,
firing for the next 1-4 matching requests, at a seeded rate, or until the call ends; it targets
every CloudWorks request or only the run POST. After the call the rules are cleared and the clock
moves on, so runs end and tokens age (the server refreshes them).

Each call is judged: a success, a clean error (one readable line that names what failed and the
next step: no bare "Error executing tool X", traceback, JSON dump or secret) or an unclean one.
For every `run_integration` / `run_flow` call the runs the sandbox recorded and the run POSTs that
reached it are counted: more than one for one call is a duplicate run. Arguments come from each
tool's input schema in `tools/list`, filled with seeded ids.

    python bench/soak.py [--calls N] [--seed S] [--quick]

Prints calls, faults injected, successes, clean errors, unclean errors (with samples) and
duplicate runs; the exit status is 1 when duplicates or unclean errors are above 0.
"""

from __future__ import annotations

import argparse
import logging
import random
import re
import sys
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import anyio

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Figures, figure
from mcp import Client
from mcp.types import CallToolResult, Tool

from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox, SandboxConfig
from anaplan_mcp.sandbox.clock import Clock
from anaplan_mcp.sandbox.faults import FAULT_KINDS, Fault, FaultKind
from anaplan_mcp.server.app import create_server
from anaplan_mcp.server.state import Timing
from anaplan_mcp.settings import load_settings

DEFAULT_CALLS = 2_000
QUICK_CALLS = 200
DEFAULT_SEED = 20261123
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
RUN_TOOLS = ("run_integration", "run_flow")
FAULT_CHANCE = 0.6
RUN_TOOL_SHARE = 0.25
CALL_DEADLINE = 30.0  # real seconds; time is injected, so only a hang could come near it
MAX_SAMPLES = 5
MAX_ERROR_CHARS = 600
# The SDK's prefix for a ToolError; whatever follows the colon is the server's own text.
_SDK_PREFIX = re.compile(r"^Error executing tool [\w-]+(?::\s*(?P<reason>.*))?$", re.DOTALL)
_NAMES_FAILURE = re.compile(r"\b(GET|POST|PUT|PATCH|DELETE) /|\btimed out\b")
_NEXT_STEP = re.compile(
    r"\b(retry|check|call|run `|wait|ask|set|contact|cancel_run|list_\w+|get_\w+)\b", re.I
)
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")
# Secret fields of the seeded connections (the `_secrets` records of the sandbox store).
_SECRET_FIELDS = ("secretAccessKey", "sasToken", "privateKey")


# --- judging one tool result ---------------------------------------------------------------


def result_text(result: CallToolResult) -> str:
    """The text blocks of a tool result, joined."""
    return "\n".join(getattr(block, "text", "") for block in result.content)


def secrets_of(sandbox: Sandbox) -> list[str]:
    """Every value that must never reach a tool result: issued tokens and connection secrets."""
    found = [token["token_value"] for token in sandbox.tokens.to_state()["tokens"]]

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for name, item in value.items():
                walk(item, name)
        elif isinstance(value, str) and key in _SECRET_FIELDS:
            found.append(value)

    for connection in sandbox.store.connections.values():
        walk(connection.get("_secrets", {}))
    return [secret for secret in found if len(secret) >= 8]


def unclean_reason(text: str, secrets: Iterable[str] = ()) -> str | None:
    """Why an error text is not a clean, actionable message; None when it is clean."""
    match = _SDK_PREFIX.match(text)
    if match is not None:
        reason = match.group("reason")
        if not reason or not reason.strip():
            return "the SDK's bare 'Error executing tool' with no reason"
        text = reason
    if any(secret in text for secret in secrets):
        return "a secret in the message"
    if _TRACEBACK.search(text):
        return "a traceback"
    stripped = text.strip()
    if stripped.startswith(("{", "[")) or '{"' in stripped:
        return "a JSON dump"
    if "\n" in stripped:
        return "more than one line"
    if len(stripped) > MAX_ERROR_CHARS:
        return f"longer than {MAX_ERROR_CHARS} characters"
    if not _NAMES_FAILURE.search(stripped):
        return "does not name the failed request"
    if not _NEXT_STEP.search(stripped):
        return "names no next step"
    return None


# --- arguments from the input schema --------------------------------------------------------


def seeded_ids(sandbox: Sandbox) -> dict[str, str]:
    """Seeded ids by argument name: a partly failed import with a dump, its run, a flow."""
    latest = sandbox.store.latest_run(seed.SALES_IMPORT_ID)
    if latest is None:
        raise RuntimeError("the seeded sales import has no run")
    notification = sandbox.store.integrations[seed.SALES_IMPORT_ID].get("notificationId")
    ids = {
        "integration_id": seed.SALES_IMPORT_ID,
        "run_id": str(latest["id"]),
        "flow_id": seed.PLANNING_FLOW_ID,
    }
    if notification:
        ids["notification_id"] = str(notification)
    return ids


def _filler(schema: Mapping[str, Any]) -> tuple[bool, Any]:
    """A valid value for a schema without an id: its default, first enum value or minimum."""
    if "default" in schema:
        return True, schema["default"]
    if "enum" in schema:
        return True, schema["enum"][0]
    kind = schema.get("type")
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
        return True, low + 1
    if kind == "boolean":
        return True, False
    return False, None


def arguments_for(tool: Tool, ids: Mapping[str, str]) -> dict[str, Any] | None:
    """Minimal valid arguments: required ones (ids by name, others from the schema), and for a
    tool with no required argument but id arguments (one of them needed), its first id.
    None when a required argument can be neither looked up nor generated."""
    properties: dict[str, Any] = tool.input_schema.get("properties", {})
    required: list[str] = list(tool.input_schema.get("required", []))
    arguments: dict[str, Any] = {}
    for name in required:
        if name in ids:
            arguments[name] = ids[name]
            continue
        known, value = _filler(properties.get(name, {}))
        if not known:
            return None
        arguments[name] = value
    if not required:
        first_id = next((name for name in properties if name in ids), None)
        if first_id is not None:
            arguments[first_id] = ids[first_id]
    return arguments


# --- the soak ------------------------------------------------------------------------------


def sandbox_timing(sandbox: Sandbox) -> Timing:
    """Waiting moves the sandbox clock instead of sleeping."""

    async def advance(seconds: float) -> None:
        sandbox.clock.advance(seconds)

    return Timing(sleep=advance, clock=sandbox.clock.timestamp)


@dataclass
class SoakReport:
    """What one soak run saw."""

    calls: int = 0
    faults_injected: int = 0  # requests the sandbox answered with a fault
    fault_rules: int = 0
    successes: int = 0
    clean_errors: int = 0
    unclean_errors: int = 0
    duplicate_runs: int = 0
    runs_started: int = 0
    by_tool: Counter[str] = field(default_factory=Counter)
    unclean_by_tool: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as printable lines."""
        lines = [
            f"calls            {self.calls:>7,}",
            f"faults injected  {self.faults_injected:>7,}  (from {self.fault_rules:,} rules)",
            f"successes        {self.successes:>7,}",
            f"clean errors     {self.clean_errors:>7,}",
            f"unclean errors   {self.unclean_errors:>7,}",
            f"runs started     {self.runs_started:>7,}",
            f"duplicate runs   {self.duplicate_runs:>7,}",
        ]
        if self.unclean_by_tool:
            unclean = ", ".join(f"{name} {n}" for name, n in self.unclean_by_tool.most_common())
            lines.append(f"unclean by tool: {unclean}")
        lines.extend(f"  sample: {sample}" for sample in self.samples)
        return lines


def _random_fault(rng: random.Random, run_call: bool) -> Fault:
    kind = cast(FaultKind, rng.choice(FAULT_KINDS))
    # A few milliseconds: latency is a real sleep in the sandbox.
    options: dict[str, Any] = {"latency_ms": rng.uniform(0.5, 2.0)}
    if kind == "status":
        options["status"] = rng.choice((500, 502, 503, 504))
    if kind == "rate_limit":
        options["retry_after"] = rng.randint(0, 5)
    shape = rng.random()
    if shape < 0.5:
        options["times"] = rng.randint(1, 4)
    elif shape < 0.75:
        options["rate"], options["seed"] = 0.5, rng.randrange(1 << 30)
    if run_call and rng.random() < 0.5:
        return Fault(kind=kind, method="POST", path="/2/0/*/run", **options)
    return Fault(kind=kind, path="/2/0/*", **options)


def new_runs(sandbox: Sandbox, tool: str, arguments: Mapping[str, Any], before: set[str]) -> int:
    """Runs this call started: manual runs of the integration, or runs of the flow."""
    store = sandbox.store
    if tool == "run_integration":
        started = {
            run_id
            for run_id, run in store.runs.items()
            if run["integrationId"] == arguments["integration_id"] and not run["flowGroupId"]
        }
    else:
        started = {
            run_id
            for run_id, run in store.flow_runs.items()
            if run["flowId"] == arguments["flow_id"]
        }
    return len(started - before)


def existing_runs(sandbox: Sandbox) -> set[str]:
    return set(sandbox.store.runs) | set(sandbox.store.flow_runs)


def run_posts_reaching_app(sandbox: Sandbox) -> int:
    """Run POSTs in the request log that the app handled (no fault, latency only, or dropped)."""
    return sum(
        1
        for record in sandbox.faults.requests
        if record.method == "POST"
        and record.path.endswith("/run")
        and record.fault in (None, "latency", "drop")
    )


async def soak(calls: int = DEFAULT_CALLS, seed_value: int = DEFAULT_SEED) -> SoakReport:
    """Make `calls` tool calls under random faults and judge each; see the module docstring."""
    rng = random.Random(seed_value)
    sandbox = Sandbox(SandboxConfig(), clock=Clock(frozen_at=START))
    server = create_server(
        load_settings(sandbox=True), sandbox=sandbox, timing=sandbox_timing(sandbox)
    )
    report = SoakReport()
    # Retries log warnings and the SDK logs crashes by design; the soak's own lines are the output.
    for name in ("anaplan_mcp", "mcp"):
        logging.getLogger(name).setLevel(logging.CRITICAL)
    async with Client(server) as client:
        listed = (await client.list_tools()).tools
        ids = seeded_ids(sandbox)
        reads: list[tuple[str, dict[str, Any]]] = []
        runs: list[tuple[str, dict[str, Any]]] = []
        for tool in listed:
            arguments = arguments_for(tool, ids)
            if arguments is None:
                continue
            annotations = tool.annotations
            if annotations is not None and annotations.read_only_hint:
                reads.append((tool.name, arguments))
            elif tool.name in RUN_TOOLS:
                runs.append((tool.name, arguments))
        missing = set(RUN_TOOLS) - {name for name, _ in runs}
        if missing:
            raise RuntimeError(f"run tools missing or without arguments: {sorted(missing)}")
        # Runs of a flow's steps and of the partly failing import: both end on the clock.
        runs.append(("run_integration", {"integration_id": seed.PRODUCTS_IMPORT_ID}))
        runs.append(("run_flow", {"flow_id": seed.WORKFORCE_FLOW_ID}))

        for _ in range(calls):
            run_call = rng.random() < RUN_TOOL_SHARE
            name, arguments = rng.choice(runs if run_call else reads)
            if rng.random() < FAULT_CHANCE:
                sandbox.faults.add(_random_fault(rng, run_call))
                report.fault_rules += 1
            sandbox.faults.clear_requests()
            before = existing_runs(sandbox)
            with anyio.fail_after(CALL_DEADLINE):
                result = await client.call_tool(name, arguments)
            sandbox.faults.clear()
            report.calls += 1
            report.by_tool[name] += 1
            report.faults_injected += sum(1 for r in sandbox.faults.requests if r.fault)
            if name in RUN_TOOLS:
                started = new_runs(sandbox, name, arguments, before)
                reached = run_posts_reaching_app(sandbox)
                report.runs_started += started
                report.duplicate_runs += max(0, max(started, reached) - 1)
            if not result.is_error:
                report.successes += 1
            elif (why := unclean_reason(result_text(result), secrets_of(sandbox))) is None:
                report.clean_errors += 1
            else:
                report.unclean_errors += 1
                report.unclean_by_tool[name] += 1
                if len(report.samples) < MAX_SAMPLES:
                    report.samples.append(f"{name}: {why}: {result_text(result)[:160]!r}")
            sandbox.clock.advance(rng.uniform(0.0, 30.0))
    return report


def figures(report: SoakReport) -> Figures:
    """The soak as benchmark figures (lower is better; 0 is the goal for both defects)."""
    return {
        "soak_duplicate_runs": figure(report.duplicate_runs, "runs", 0),
        "soak_unclean_errors": figure(
            report.unclean_errors,
            "calls",
            0,
            ", ".join(f"{name} {n}" for name, n in report.unclean_by_tool.most_common()),
        ),
        "soak_calls": figure(report.calls, "calls", None),
        "soak_faults_injected": figure(report.faults_injected, "requests", None),
        "soak_clean_errors": figure(report.clean_errors, "calls", None),
    }


async def run(quick: bool = False) -> Figures:
    """The soak's figures: `QUICK_CALLS` calls with `quick`, else `DEFAULT_CALLS`."""
    report = await soak(QUICK_CALLS if quick else DEFAULT_CALLS)
    for line in report.lines():
        print(f"  {line}", flush=True)
    return figures(report)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=None, help=f"default {DEFAULT_CALLS}")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_CALLS} calls")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    options = parser.parse_args()
    calls = options.calls or (QUICK_CALLS if options.quick else DEFAULT_CALLS)
    report = anyio.run(soak, calls, options.seed)
    for line in report.lines():
        print(line)
    return 1 if report.duplicate_runs or report.unclean_errors else 0


if __name__ == "__main__":
    sys.exit(main())
