"""Tool declarations, and the selection that read-only mode and toolsets make of them.

Each tool module ends with a `TOOLS` list of `ToolSpec`s. `build_tools` turns the selected specs into SDK
`Tool`s with explicit annotations, compact input schemas, and CloudWorks failures translated into
actionable `ToolError`s, and lists the refused names so a call to a hidden tool gets a reason rather than
"Unknown tool".
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel

from anaplan_mcp.cloudworks.errors import CloudWorksError
from anaplan_mcp.models._errors import register_field_names
from anaplan_mcp.server.errors import to_tool_error
from anaplan_mcp.server.schema import compact_schema

Access = Literal["read", "write", "destructive"]


@dataclass(frozen=True)
class ToolSpec:
    """A tool function plus what the registry needs to know about it."""

    fn: Callable[..., Awaitable[Any]]
    toolset: str
    access: Access
    title: str
    idempotent: bool = False

    @property
    def name(self) -> str:
        return self.fn.__name__

    def annotations(self) -> ToolAnnotations:
        # All four hints are set explicitly: hosts treat a missing hint as the unsafe default.
        return ToolAnnotations(
            read_only_hint=self.access == "read",
            destructive_hint=self.access == "destructive",
            idempotent_hint=self.access != "write" or self.idempotent,
            open_world_hint=True,
        )


@dataclass(frozen=True)
class Selection:
    """The tools a server exposes, and why the others are refused."""

    tools: dict[str, Tool]
    refused: dict[str, str]


def _result(value: BaseModel) -> CallToolResult:
    # Structured content without a published output schema: a schema would be validated by SDK
    # clients on every call and, for hosts that count it, cost ~16,000 tokens of tool list. The
    # text copy is compact JSON, since that is what many hosts hand to the model.
    data = value.model_dump(mode="json", by_alias=True)
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def _translating(fn: Callable[..., Awaitable[BaseModel]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> CallToolResult:
        try:
            return _result(await fn(*args, **kwargs))
        except CloudWorksError as exc:
            raise to_tool_error(exc) from None
        except BaseExceptionGroup as group:
            # Tools that fetch concurrently get their failures wrapped by the task group.
            matched, _ = group.split(CloudWorksError)
            if matched is None:
                raise
            first = _first_leaf(matched)
            raise to_tool_error(first) from None

    return wrapper


def _first_leaf(group: BaseExceptionGroup[CloudWorksError]) -> CloudWorksError:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return _first_leaf(exc)
        if isinstance(exc, CloudWorksError):
            return exc
    raise group


_LINE_BREAK = re.compile(r"(?<!\n)\n(?!\n)")


def describe(fn: Callable[..., Any]) -> str:
    """A tool's docstring as one line per paragraph: the source's indentation and line wrapping
    would otherwise be published, and paid for in tokens, with every tool list."""
    return _LINE_BREAK.sub(" ", inspect.cleandoc(fn.__doc__ or ""))


def build_tool(spec: ToolSpec) -> Tool:
    """An SDK `Tool` for one spec."""
    tool = Tool.from_function(
        _translating(spec.fn),
        name=spec.name,
        title=spec.title,
        description=describe(spec.fn),
        annotations=spec.annotations(),
        structured_output=False,
    )
    tool.parameters = compact_schema(tool.parameters)
    # Argument names may appear in validation messages, like the models' own field names.
    register_field_names(tool.fn_metadata.arg_model.model_fields)
    return tool


def select_tools(
    specs: Iterable[ToolSpec], *, toolsets: Iterable[str], read_only: bool
) -> Selection:
    """Build the tools that `toolsets` and `read_only` allow; give a reason for each other one."""
    wanted = set(toolsets)
    tools: dict[str, Tool] = {}
    refused: dict[str, str] = {}
    for spec in specs:
        if spec.toolset not in wanted:
            refused[spec.name] = (
                f"{spec.name} is not enabled on this server: its toolset '{spec.toolset}' is not in "
                "ANAPLAN_MCP_TOOLSETS / --toolsets."
            )
        elif read_only and spec.access != "read":
            refused[spec.name] = (
                f"{spec.name} is refused: this server runs in read-only mode "
                "(ANAPLAN_MCP_READ_ONLY / --read-only), so it makes no changes in CloudWorks."
            )
        else:
            tools[spec.name] = build_tool(spec)
    return Selection(tools=tools, refused=refused)
