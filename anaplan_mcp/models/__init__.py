"""Pydantic models of the CloudWorks API: tolerant read models, strict input models.

The names below are imported on first use (PEP 562): building ~65 model classes takes tens of
milliseconds, and the MCP server answers its first `tools/list` without any of them.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from anaplan_mcp.models._exports import *  # noqa: F403
else:  # at run time only, so that the type checker still reports a misspelt name

    def __getattr__(name: str) -> Any:
        exports = import_module(f"{__name__}._exports")
        if name not in exports.__all__:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        return getattr(exports, name)

    def __dir__() -> list[str]:
        return list(import_module(f"{__name__}._exports").__all__)
