"""Every tool, fuzzed through MCP with arguments from its published schema and mutations of them.

Judges and strategies live in this folder's conftest (shared with `bench/fuzz.py`); here each tool
gets 50 schema-valid and 50 mutated calls on a fixed, derandomized Hypothesis profile.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from anaplan_mcp.server.tools import ALL_TOOLS
from tests.security.conftest import (
    Case,
    FuzzTarget,
    filler,
    fuzz_tool,
    invalid_problems,
    is_valid,
    judge,
)

EXAMPLES = 50
# Names only: each tool's arguments come from its schema in tools/list.
TOOL_NAMES = [spec.name for spec in ALL_TOOLS]


def test_every_tool_is_listed_with_an_object_schema(fuzz: FuzzTarget) -> None:
    assert set(fuzz.tools) == set(TOOL_NAMES)
    assert all(tool.input_schema.get("type") == "object" for tool in fuzz.tools.values())


@pytest.mark.parametrize(
    "name",
    TOOL_NAMES,
)
def test_schema_valid_arguments_get_a_result(fuzz: FuzzTarget, name: str) -> None:
    tool = fuzz.tools[name]
    # A tool without arguments has one valid call, {}; Hypothesis stops once it has tried it.
    wanted = EXAMPLES if tool.input_schema.get("properties") else 1
    assert fuzz_tool(fuzz, tool, "valid", EXAMPLES) >= wanted


@pytest.mark.parametrize("name", TOOL_NAMES)
def test_mutated_arguments_are_refused_without_a_request(fuzz: FuzzTarget, name: str) -> None:
    assert fuzz_tool(fuzz, fuzz.tools[name], "mutated", EXAMPLES) >= EXAMPLES


@pytest.mark.parametrize(
    "ident", ["../x", "?x=1", "%2F..%2Fx", "a b", "ünïcødé", "0" * 31 + "/", "0" * 32 + "?x="]
)
def test_injection_looking_ids_are_refused_before_any_request(fuzz: FuzzTarget, ident: str) -> None:
    tried = 0
    for tool in fuzz.tools.values():
        schema = tool.input_schema
        properties: Mapping[str, Any] = schema.get("properties") or {}
        required = schema.get("required") or []
        for key in [key for key, sub in properties.items() if "pattern" in sub]:
            arguments = {name: filler(properties[name]) for name in required if name != key}
            case = Case({**arguments, key: ident}, mutation="injection", key=key, injected=[ident])
            tried += 1
            problems = judge(fuzz, tool, case)
            assert not problems, (tool.name, key, problems)
            if not is_valid(schema, case.arguments):
                assert fuzz.sandbox.faults.requests == []
    assert tried >= len(fuzz.tools)


def test_the_judges_catch_a_request_made_for_invalid_arguments(fuzz: FuzzTarget) -> None:
    # A guard that let bad arguments through would be caught: an invalid case that caused a
    # request (here a valid call judged as if it were invalid) is reported.
    tool = fuzz.tools["list_connections"]
    case = Case({"limit": 1}, mutation="wrong_type", key="limit")
    outcome = fuzz.call(tool.name, case.arguments)
    problems = invalid_problems(case, outcome)
    assert any("caused" in problem for problem in problems)
    assert any("accepted" in problem for problem in problems)
