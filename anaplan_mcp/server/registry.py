"""Tool declarations, and how a declaration becomes an SDK tool.

Each tool module ends with a `TOOLS` list of `ToolSpec`s. `build_tool` turns a spec into an SDK `Tool`
with explicit annotations, a compact input schema, and CloudWorks failures translated into actionable
`ToolError`s; `catalogue_entry` is what of it is listed, written ahead of time to `catalogue.json`.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel

from anaplan_mcp.cloudworks.errors import CloudWorksError
from anaplan_mcp.models._errors import register_field_names
from anaplan_mcp.server.catalogue import Access, ToolEntry, annotations_for
from anaplan_mcp.server.errors import to_tool_error
from anaplan_mcp.server.schema import compact_schema


@dataclass(frozen=True)
class ToolSpec:
    """A tool function plus what the registry needs to know about it."""

    fn: Callable[..., Awaitable[Any]]
    toolset: str
    access: Access
    title: str
    idempotent: bool = False
    # A write that can destroy what was there (see `annotations_for`); it does not ask first:
    # only access "destructive" (deletes) does.
    destructive_effect: bool = False

    @property
    def name(self) -> str:
        return self.fn.__name__


def _result(value: BaseModel) -> CallToolResult:
    # Structured content without a published output schema: a schema would be validated by SDK
    # clients on every call and, for hosts that count it, cost ~16,000 tokens of tool list. The
    # text copy is compact JSON, since that is what many hosts hand to the model.
    data = value.model_dump(mode="json", by_alias=True)
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def refused(tool: str, exc: ToolError) -> CallToolResult:
    """The error result of a tool that failed for a reason the model can act on: `tool: message`.

    Returned, not raised: the SDK would put "Error executing tool <tool>: " before a raised
    `ToolError`, and helpers shared by several tools already name the tool they serve, so the prefix
    is written here, once, for every tool error.
    """
    text = str(exc).removeprefix(f"{tool}: ")
    return CallToolResult(content=[TextContent(type="text", text=f"{tool}: {text}")], is_error=True)


def _translating(fn: Callable[..., Awaitable[BaseModel]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(fn)
    async def wrapper(*args: Any, **kwargs: Any) -> CallToolResult:
        try:
            return _result(await fn(*args, **kwargs))
        except ToolError as exc:
            return refused(fn.__name__, exc)
        except CloudWorksError as exc:
            return refused(fn.__name__, to_tool_error(exc))
        except BaseExceptionGroup as group:
            # Tools that fetch concurrently get their failures wrapped by the task group.
            matched, _ = group.split((CloudWorksError, ToolError))
            if matched is None:
                raise
            first = _first_leaf(matched)
            if isinstance(first, CloudWorksError):
                first = to_tool_error(first)
            return refused(fn.__name__, first)

    return wrapper


def _first_leaf(group: BaseExceptionGroup[Any]) -> CloudWorksError | ToolError:
    for exc in group.exceptions:
        if isinstance(exc, BaseExceptionGroup):
            return _first_leaf(exc)
        if isinstance(exc, CloudWorksError | ToolError):
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
        annotations=annotations_for(spec.access, spec.idempotent, spec.destructive_effect),
        structured_output=False,
    )
    tool.parameters = compact_schema(tool.parameters)
    # Argument names may appear in validation messages, like the models' own field names.
    register_field_names(tool.fn_metadata.arg_model.model_fields)
    return tool


def catalogue_entry(spec: ToolSpec) -> ToolEntry:
    """What the server lists for `spec`, taken from the tool the SDK builds of it."""
    tool = build_tool(spec)
    return ToolEntry(
        name=spec.name,
        module=spec.fn.__module__,
        toolset=spec.toolset,
        access=spec.access,
        idempotent=spec.idempotent,
        destructive_effect=spec.destructive_effect,
        title=spec.title,
        description=tool.description,
        input_schema=tool.parameters,
    )
