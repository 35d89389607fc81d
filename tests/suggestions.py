"""Checking suggested calls: every `next_calls` entry in a result, and whether it is a valid call.

A suggestion is valid when it passes its tool's inputSchema from tools/list (jsonschema, formats
included) and the server's own argument check (ArgumentGuard), and holds a `<...>` placeholder only
for a credential, whose current value the server never shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator

from anaplan_mcp.server import catalogue
from anaplan_mcp.server.guards import ArgumentGuard
from anaplan_mcp.settings import load_settings

PLACEHOLDER = re.compile(r"<[^<>]*>")
# The server never shows these, so a suggestion can only ask the user for them.
CREDENTIALS = frozenset({"access_key_id", "secret_access_key", "sas_token", "service_account_key"})


class Checker:
    """Validates suggested calls against the tool list a host sees and the server's own check."""

    def __init__(self, tools: list[Any]) -> None:
        self.validators = {
            tool.name: Draft202012Validator(
                tool.input_schema, format_checker=Draft202012Validator.FORMAT_CHECKER
            )
            for tool in tools
        }
        settings = load_settings(sandbox=True)
        selection = catalogue.select_tools(
            catalogue.load(), toolsets=settings.toolsets, read_only=False
        )
        self.guard = ArgumentGuard(selection)
        self.seen: set[str] = set()

    def problems(self, suggested: dict[str, Any]) -> list[str]:
        tool, arguments = suggested["tool"], suggested["arguments"]
        self.seen.add(tool)
        where = f"{tool}({arguments})"
        validator = self.validators.get(tool)
        if validator is None:
            return [f"{where}: no tool of this name in tools/list"]
        found = [f"{where}: {error.message}" for error in validator.iter_errors(arguments)]
        refusal = self.guard.check(tool, arguments)
        if refusal is not None:
            found.append(f"{where}: the server refuses it: {refusal}")
        for name, value in arguments.items():
            if isinstance(value, str) and PLACEHOLDER.search(value) and name not in CREDENTIALS:
                found.append(f"{where}: {name}: a placeholder where the current value belongs")
        if not suggested.get("why"):
            found.append(f"{where}: no why")
        return found


def next_calls_in(result: Any) -> Iterator[dict[str, Any]]:
    """Every next_calls entry anywhere in a result."""
    if isinstance(result, dict):
        for key, value in result.items():
            if key == "next_calls":
                yield from value
            else:
                yield from next_calls_in(value)
    elif isinstance(result, list):
        for item in result:
            yield from next_calls_in(item)
