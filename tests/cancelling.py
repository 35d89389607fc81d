"""Cancelling a waiting tool call the way a host does, once it has shown progress."""

from __future__ import annotations

from typing import Any

import anyio
from mcp import Client


async def cancel_after_first_progress(
    client: Client, arguments: dict[str, Any], settle_seconds: float
) -> str:
    """Start `run_integration` with `arguments`, cancel the call once it reports progress; return
    the run id its first progress message named."""
    messages: list[str] = []
    progressed = anyio.Event()

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        messages.append(message or "")
        progressed.set()

    async with anyio.create_task_group() as group:
        group.start_soon(lambda: client.call_tool("run_integration", arguments, None, on_progress))
        with anyio.fail_after(settle_seconds):
            await progressed.wait()
        group.cancel_scope.cancel()
    return messages[0].split()[1].rstrip(":")
