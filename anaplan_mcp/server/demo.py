"""`anaplan-mcp demo`: a guided troubleshooting session against the in-process sandbox.

Every step is a real MCP tool call through `mcp.Client`, the way an assistant makes it: find what
failed, diagnose the partly failing import, read its rejected rows, point the job at the corrected
file and re-run it. No credentials, no network; waiting moves the sandbox clock, so it is quick.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from mcp import Client

from anaplan_mcp.sandbox.app import Sandbox, SandboxConfig
from anaplan_mcp.sandbox.seed_ids import SALES_CORRECTED_FILE
from anaplan_mcp.server.app import create_server
from anaplan_mcp.server.state import Timing
from anaplan_mcp.settings import TOOLSETS, load_settings

Write = Callable[[str], None]
DEMO_RUN_SECONDS = 3.0
# Two days: "last night" is less than a day old except while tonight's run of the same job is going.
WINDOW_HOURS = 48
# CloudWorks cannot list a bucket: the person names the corrected file, as they would in a chat.
CORRECTED_FILE = SALES_CORRECTED_FILE


def _when(text: str) -> str:
    """An ISO time as a person reads it: "2026-12-04 17:19 UTC" (the diagnosis's own style)."""
    moment = datetime.fromisoformat(text)
    zone = moment.tzname() or "UTC"
    return f"{moment:%Y-%m-%d %H:%M} {zone}"


def _row(values: dict[str, Any]) -> str:
    """A row of a file as `column = value` pairs."""
    return ", ".join(f"{column} = {value}" for column, value in values.items())


def _pattern(text: str) -> str:
    # Error patterns stand for many rows with a `<value>` slot; the sample beside it says the value.
    return text.replace(": <value>", "").replace("<value>", "a value")


class _Session:
    def __init__(self, client: Client, write: Write) -> None:
        self._client = client
        self._write = write

    async def call(self, tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
        shown = ", ".join(f"{k}={json.dumps(v)}" for k, v in arguments.items())
        self._write(f"\n> {tool}({shown})")
        result = await self._client.call_tool(tool, arguments)
        if result.is_error or result.structured_content is None:
            text = " ".join(getattr(block, "text", "") for block in result.content)
            raise RuntimeError(f"{tool} failed: {text}")
        return result.structured_content

    def say(self, text: str = "") -> None:
        self._write(text)


def _show_failures(session: _Session, found: dict[str, Any]) -> None:
    since = _when(found["since"])
    session.say(f"  {len(found['items'])} item(s) need attention since {since}:")
    for item in found["items"]:
        ident = item.get("integration_id") or item.get("flow_id")
        name = item["untrusted_data"]["names"].get(ident, ident)
        session.say(f"  - {item['outcome']:<16} {name}: {item['cause']}")


def _show_diagnosis(session: _Session, diagnosis: dict[str, Any]) -> None:
    session.say(f"  What happened: {diagnosis['what_happened']}")
    session.say(f"  Cause: {diagnosis['cause']}")
    for group in diagnosis["evidence"].get("groups", []):
        data = group["untrusted_data"]
        for sample in data.get("samples", []):
            session.say(
                f"    line {sample.get('line')}: {sample.get('column')} = {sample.get('value')}"
                f" -> {_pattern(data['pattern'])} ({group['meaning']})"
            )
    for line in diagnosis["what_changed"]:
        session.say(f"  Changed? {line}")
    for step in diagnosis["fix"]:
        session.say(f"  Fix: {step}")


async def run_demo(write: Write, *, run_seconds: float = DEMO_RUN_SECONDS) -> int:
    """Print the session through `write`; 0 when the re-run succeeds, 1 otherwise."""
    sandbox = Sandbox(SandboxConfig(run_seconds=run_seconds))

    async def advance(seconds: float) -> None:
        sandbox.clock.advance(seconds)

    timing = Timing(sleep=advance, clock=sandbox.clock.timestamp)
    settings = load_settings(sandbox=True, read_only=False, toolsets=TOOLSETS)
    server = create_server(settings, sandbox=sandbox, timing=timing)
    write("Anaplan CloudWorks troubleshooting demo (built-in sandbox: demo data, no real tenant).")
    async with Client(server) as client:
        session = _Session(client, write)
        session.say(f"\n1. What failed in the last {WINDOW_HOURS} hours?")
        found = await session.call("find_failed_runs", {"hours": WINDOW_HOURS})
        _show_failures(session, found)
        partial = next(
            (
                i
                for i in found["items"]
                if i["outcome"] == "partial_success" and i["kind"] == "import"
            ),
            None,
        )
        if partial is None:
            session.say("No partly failed import to work on.")
            return 1
        integration_id = partial["integration_id"]

        session.say(
            "\n2. Why did it partly fail? One call gathers run, errors, dump and connection."
        )
        diagnosis = await session.call("diagnose_integration", {"integration_id": integration_id})
        _show_diagnosis(session, diagnosis)

        session.say("\n3. All the rejected rows:")
        dump = await session.call("get_failure_dump", {"run_id": diagnosis["evidence"]["run_id"]})
        for row in dump["untrusted_data"]["rows"]:
            session.say(f"    line {row['line']}: {_row(row['values'])}")
            session.say(f"      -> {'; '.join(row['errors'])}")

        source = diagnosis["untrusted_data"].get("source")
        if not source:
            session.say("The job has no source file to replace.")
            return 1
        corrected = CORRECTED_FILE
        session.say(f"\n4. You: the corrected file is {corrected}; point the job at it.")
        change = await session.call(
            "update_integration", {"integration_id": integration_id, "path": corrected}
        )
        for field in change.get("changes", []):
            session.say(f"  {field['field']}: {field['before']} -> {field['after']}")

        session.say("\n5. Re-run and wait for the outcome:")
        outcome = await session.call(
            "run_integration", {"integration_id": integration_id, "wait": True}
        )
        ended = f", ended {_when(outcome['ended_at'])}" if outcome.get("ended_at") else ""
        session.say(
            f"  Run {outcome['run_id']}: {outcome['outcome']} ({outcome.get('message')}{ended})"
        )
        succeeded = outcome["outcome"] == "succeeded"
        session.say(
            "\nDone: the load is healthy again." if succeeded else "\nThe re-run did not succeed."
        )
        return 0 if succeeded else 1
