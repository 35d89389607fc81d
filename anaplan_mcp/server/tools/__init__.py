"""Every tool of the server, by toolset."""

from __future__ import annotations

from anaplan_mcp.server.registry import ToolSpec
from anaplan_mcp.server.tools import connections

ALL_TOOLS: list[ToolSpec] = [*connections.TOOLS]
