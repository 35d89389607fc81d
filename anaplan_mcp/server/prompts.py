"""MCP prompts, loaded from the markdown files in `prompts/` (TOML front matter, `{{name}}` slots).

The files ship inside the wheel as `anaplan_mcp/prompts/`; in a source checkout they are read from the
repository's `prompts/` folder.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.prompts.base import Prompt, PromptArgument

_SLOT = re.compile(r"\{\{(\w+)\}\}")
_MAX_ARGUMENT = 200


def _prompt_files() -> Iterator[Traversable]:
    packaged = resources.files("anaplan_mcp").joinpath("prompts")
    folder: Traversable = (
        packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "prompts"
    )
    yield from sorted(
        (item for item in folder.iterdir() if item.name.endswith(".md")), key=lambda f: f.name
    )


def _clean(value: object) -> str:
    # Arguments are the user's words placed into our own instructions: one line, bounded, no slots.
    text = " ".join(str(value).split())[:_MAX_ARGUMENT]
    return text.replace("{{", "{ {")


def parse_prompt(text: str) -> Prompt:
    """A `Prompt` from one file's text."""
    _, front, body = text.split("+++\n", 2)
    meta: dict[str, Any] = tomllib.loads(front)
    declared = meta.get("arguments", [])
    defaults = {arg["name"]: arg.get("default", "") for arg in declared}

    async def render(**arguments: object) -> str:
        values = {**defaults, **{k: _clean(v) for k, v in arguments.items() if v not in (None, "")}}
        return _SLOT.sub(lambda m: values.get(m.group(1), ""), body).strip()

    return Prompt(
        name=meta["name"],
        title=meta.get("title"),
        description=meta.get("description", ""),
        arguments=[
            PromptArgument(
                name=arg["name"],
                description=arg.get("description"),
                required=bool(arg.get("required", False)),
            )
            for arg in declared
        ],
        fn=render,
    )


def load_prompts() -> list[Prompt]:
    """Every prompt shipped with the server."""
    return [parse_prompt(item.read_text(encoding="utf-8")) for item in _prompt_files()]
