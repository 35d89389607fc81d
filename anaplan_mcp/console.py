"""`anaplan-mcp tools` and `anaplan-mcp call`: the MCP protocol in-process, printed for a person."""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from mcp import Client
from mcp.server import MCPServer

from anaplan_mcp.server.catalogue import effect_of

_FIRST_SENTENCE = re.compile(r"(?<!e\.g)(?<!i\.e)\.\s")


class ArgumentsError(ValueError):
    """`call` arguments that cannot be read; the message says which."""


def parse_arguments(pairs: Sequence[str], raw_json: str | None) -> dict[str, Any]:
    """`key=value` pairs (each value read as JSON when it is JSON, else as text) or one JSON object."""
    if raw_json is not None:
        if pairs:
            raise ArgumentsError("give key=value pairs or --json, not both")
        try:
            data = json.loads(raw_json)
        except json.JSONDecodeError as exc:
            raise ArgumentsError(f"--json is not valid JSON ({exc.msg})") from None
        if not isinstance(data, dict):
            raise ArgumentsError("--json must be a JSON object")
        return data
    arguments: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ArgumentsError(f"'{key or pair}' is not key=value")
        try:
            arguments[key] = json.loads(value)
        except ValueError:
            arguments[key] = value
    return arguments


async def list_tools(server: MCPServer, out: TextIO | None = None) -> int:
    """Print each tool with its kind and the first sentence of its description."""
    out = out or sys.stdout
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
    width = max(len(tool.name) for tool in tools)
    for tool in tools:
        kind = effect_of(tool.annotations, tool.input_schema)
        text = " ".join((tool.description or "").split())
        summary = _FIRST_SENTENCE.split(text, maxsplit=1)[0].rstrip(".")
        out.write(f"{tool.name:<{width}}  {kind:<11}  {summary}\n")
    return 0


class ProgressBar:
    """A one-line progress bar on stderr for long waits."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stderr
        self._drawn = False

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        width = max(10, min(40, shutil.get_terminal_size((80, 20)).columns - 40))
        share = min(1.0, progress / total) if total else 0.0
        filled = int(share * width)
        bar = "#" * filled + "-" * (width - filled)
        self._stream.write(f"\r[{bar}] {share:4.0%} {(message or '')[:30]:<30}")
        self._stream.flush()
        self._drawn = True

    def finish(self) -> None:
        if self._drawn:
            self._stream.write("\n")


async def call_tool(
    server: MCPServer,
    name: str,
    arguments: dict[str, Any],
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Call one tool; print its result (JSON) on `out`, or its error on `err` with status 1."""
    out, err = out or sys.stdout, err or sys.stderr
    bar = ProgressBar(err)
    async with Client(server) as client:
        result = await client.call_tool(name, arguments, progress_callback=bar)
    bar.finish()
    text = "\n".join(getattr(block, "text", "") for block in result.content)
    if result.is_error:
        err.write(f"error: {text}\n")
        return 1
    if result.structured_content is not None:
        out.write(json.dumps(result.structured_content, indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(text + "\n")
    return 0
