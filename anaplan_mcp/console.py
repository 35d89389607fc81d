"""`anaplan-mcp tools` and `anaplan-mcp call`: the MCP protocol in-process, printed for a person."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from mcp import Client
from mcp.server import MCPServer

from anaplan_mcp.server.catalogue import effect_of

Command = Callable[[Any], int]
_FIRST_SENTENCE = re.compile(r"(?<!e\.g)(?<!i\.e)\.\s")


def quiet_on_closed_pipe(handler: Command) -> Command:
    """`handler`, ending quietly (status 0) when the reader of stdout goes away (`... | head -1`):
    the reader chose to stop, so neither a traceback nor a failing pipeline is called for."""

    def run(args: Any) -> int:
        try:
            return handler(args)
        except (BrokenPipeError, BaseExceptionGroup) as exc:
            if not _closed_pipe(exc):
                raise
            # Python flushes stdout once more on exit; into the closed pipe that would fail again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0

    return run


def _closed_pipe(exc: BaseException) -> bool:
    if isinstance(exc, BaseExceptionGroup):
        return all(_closed_pipe(inner) for inner in exc.exceptions)
    return isinstance(exc, BrokenPipeError)


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
    """`wait=true` progress on a terminal: one line redrawn in place with the share of the wait, the
    elapsed time and the server's message (the run id, in full, and its state)."""

    WIDTH = 20

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._last: tuple[float, str] | None = None

    async def __call__(self, progress: float, total: float | None, message: str | None) -> None:
        self._last = (progress, message or "")
        self._draw(min(1.0, progress / total) if total else 0.0)

    def _draw(self, share: float) -> None:
        assert self._last is not None
        elapsed, message = self._last
        filled = int(share * self.WIDTH)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        # "\x1b[K" clears what a longer previous line left behind.
        self._stream.write(f"\r[{bar}] {share:4.0%} {_duration(elapsed):>8}  {message}\x1b[K")
        self._stream.flush()

    def finish(self) -> None:
        """The wait is over (the run ended, or the limit came): the bar is full."""
        if self._last is not None:
            self._draw(1.0)
            self._stream.write("\n")


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


async def call_tool(
    server: MCPServer,
    name: str,
    arguments: dict[str, Any],
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Call one tool; print its result (JSON) on `out`, or its error on `err` with status 1."""
    out, err = out or sys.stdout, err or sys.stderr
    # A bar redrawn with "\r" is for a person watching; in a file or a pipe it is noise.
    bar = ProgressBar(err) if err.isatty() else None
    async with Client(server) as client:
        result = await client.call_tool(name, arguments, progress_callback=bar)
    if bar is not None:
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
