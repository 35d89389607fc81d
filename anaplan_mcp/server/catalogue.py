"""The published half of every tool, worked out ahead of time so that starting the server builds nothing.

Building a tool from its signature (an argument model, then its JSON schema) takes about 2 ms per
tool and needs every tool module, the models and the diagnosis code imported: most of what the server
would add to the SDK's own start-up. `catalogue.json` holds what `tools/list` publishes, plus each
tool's toolset, access and module; the server lists its tools from it and builds a tool for real on
its first call (`DeferredTool`).

`python scripts/gen_readme.py` rewrites the file from the tool functions along with the README;
`tests/server/test_catalogue.py` fails when it is stale, so what is listed is what is called.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import cache
from importlib import import_module, resources
from typing import Any, Literal

from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import FuncMetadata
from mcp.types import ToolAnnotations
from pydantic import Field, PrivateAttr

from anaplan_mcp.settings import ALWAYS

Access = Literal["read", "write", "destructive"]
FILE = "catalogue.json"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ToolEntry:
    """One tool as listed: everything but its function, which lives in `module`."""

    name: str
    module: str
    toolset: str
    access: Access
    idempotent: bool
    destructive_effect: bool
    title: str
    description: str
    input_schema: dict[str, Any]


@cache
def load() -> tuple[ToolEntry, ...]:
    """The packaged catalogue, read once per process."""
    text = resources.files(__package__).joinpath(FILE).read_text(encoding="utf-8")
    return tuple(ToolEntry(**item) for item in json.loads(text))


def render(entries: list[ToolEntry]) -> str:
    """The file's text for `entries`: stable order and layout, so a stale file shows as a diff."""
    return json.dumps([asdict(entry) for entry in entries], indent=1, ensure_ascii=False) + "\n"


def annotations_for(access: Access, idempotent: bool, destructive_effect: bool) -> ToolAnnotations:
    """The four hints, all set: hosts treat a missing hint as the unsafe default.

    destructiveHint is true for deletes (access "destructive", which also ask for confirmation)
    and for writes whose effect can destroy what was there without deleting anything
    (`destructive_effect`: a load overwriting model data, a whole config replaced), so that a host
    which approves non-destructive tools unasked does not start those either.
    """
    return ToolAnnotations(
        read_only_hint=access == "read",
        destructive_hint=access == "destructive" or destructive_effect,
        idempotent_hint=access != "write" or idempotent,
        open_world_hint=True,
    )


Effect = Literal["read", "write", "destructive", "delete"]


def effect_of(annotations: ToolAnnotations | None, input_schema: dict[str, Any]) -> Effect:
    """What a tool does, from what a host sees of it: a read; a write; a write that can destroy
    what was there without asking (destructiveHint, no `confirm`); a delete, which asks first."""
    if annotations is not None and annotations.read_only_hint:
        return "read"
    if annotations is not None and annotations.destructive_hint:
        return "delete" if "confirm" in input_schema.get("properties", {}) else "destructive"
    return "write"


class DeferredTool(Tool):
    """A tool listed from its catalogue entry; its function and argument model are built on first use.

    Only `run` needs the real tool (the SDK validates arguments and calls the function there), and
    `output_schema` is None for every tool of this server (see `registry._result`).
    """

    fn: Callable[..., Any] | None = Field(default=None, exclude=True)  # type: ignore[assignment]
    fn_metadata: FuncMetadata | None = None  # type: ignore[assignment]
    is_async: bool = True
    module: str = Field(exclude=True)
    _built: Tool | None = PrivateAttr(default=None)

    @classmethod
    def of(cls, entry: ToolEntry) -> DeferredTool:
        return cls(
            name=entry.name,
            title=entry.title,
            description=entry.description,
            parameters=entry.input_schema,
            annotations=annotations_for(entry.access, entry.idempotent, entry.destructive_effect),
            module=entry.module,
        )

    @property
    def output_schema(self) -> dict[str, Any] | None:
        return None

    @property
    def argument_names(self) -> list[str]:
        return list(self.parameters.get("properties", {}))

    def built(self) -> Tool:
        """The SDK tool of this entry's function, built (and its module imported) once."""
        if self._built is None:
            # Imported here, not at the top: the point of the catalogue is that listing tools
            # needs neither the tool modules nor the code that builds tools from them.
            from anaplan_mcp.server.registry import build_tool

            specs = {spec.name: spec for spec in import_module(self.module).TOOLS}
            if self.name not in specs:
                raise RuntimeError(
                    f"{FILE} lists {self.name} in {self.module}, which has no such "
                    "tool: run scripts/gen_readme.py"
                )
            self._built = build_tool(specs[self.name])
            if self._built.parameters != self.parameters:
                # Only a catalogue older than the code, or another pydantic, can cause this; the
                # arguments are still validated by the function's own model.
                logger.warning("%s: its input schema differs from %s", self.name, FILE)
        return self._built

    async def run(
        self, arguments: dict[str, Any], context: Any, convert_result: bool = False
    ) -> Any:
        return await self.built().run(arguments, context, convert_result)


@dataclass(frozen=True)
class Selection:
    """The tools a server exposes, and why the others are refused."""

    tools: dict[str, DeferredTool]
    refused: dict[str, str]


def select_tools(
    entries: Iterable[ToolEntry], *, toolsets: Iterable[str], read_only: bool
) -> Selection:
    """The tools that `toolsets` and `read_only` allow; a reason for each other one."""
    wanted = set(toolsets)
    tools: dict[str, DeferredTool] = {}
    refused: dict[str, str] = {}
    for entry in entries:
        if entry.toolset not in wanted and entry.toolset != ALWAYS:
            refused[entry.name] = (
                f"{entry.name} is not enabled on this server: its toolset '{entry.toolset}' is not "
                "in ANAPLAN_MCP_TOOLSETS / --toolsets."
            )
        elif read_only and entry.access != "read":
            refused[entry.name] = (
                f"{entry.name} is refused: this server runs in read-only mode "
                "(ANAPLAN_MCP_READ_ONLY / --read-only), so it makes no changes in CloudWorks."
            )
        else:
            tools[entry.name] = DeferredTool.of(entry)
    return Selection(tools=tools, refused=refused)
