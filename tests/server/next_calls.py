"""Checks of the `next_calls` a result suggests: each one is a call the named tool accepts."""

from __future__ import annotations

from typing import Any

import mcp

from tests.suggestions import Checker


async def valid_calls(client: mcp.Client, result: dict[str, Any]) -> list[tuple[str, Any]]:
    """`result`'s next_calls as (tool, arguments), after checking each with `Checker`."""
    calls = result.get("next_calls", [])
    checker = Checker((await client.list_tools()).tools)
    problems = [problem for suggested in calls for problem in checker.problems(suggested)]
    assert not problems, problems
    return [(suggested["tool"], suggested["arguments"]) for suggested in calls]
