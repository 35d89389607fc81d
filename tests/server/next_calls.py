"""Checks of the `next_calls` a result suggests: each one is a call the named tool accepts."""

from __future__ import annotations

from typing import Any

import mcp
from jsonschema import Draft202012Validator


async def valid_calls(client: mcp.Client, result: dict[str, Any]) -> list[tuple[str, Any]]:
    """`result`'s next_calls as (tool, arguments), after checking each against the input schema
    the server publishes for that tool."""
    calls = result.get("next_calls", [])
    schemas = {tool.name: tool.input_schema for tool in (await client.list_tools()).tools}
    for suggested in calls:
        assert suggested["tool"] in schemas, suggested
        assert suggested["why"], suggested
        problems = [
            error.message
            for error in Draft202012Validator(schemas[suggested["tool"]]).iter_errors(
                suggested["arguments"]
            )
        ]
        assert not problems, (suggested, problems)
    return [(suggested["tool"], suggested["arguments"]) for suggested in calls]
