"""Every tool of the server, by toolset."""

from __future__ import annotations

from anaplan_mcp.server.registry import ToolSpec
from anaplan_mcp.server.tools import (
    connections,
    flows,
    identity,
    integrations,
    notifications,
    runs,
    schedules,
    troubleshooting,
)

ALL_TOOLS: list[ToolSpec] = [
    *connections.TOOLS,
    *integrations.TOOLS,
    *runs.TOOLS,
    *schedules.TOOLS,
    *flows.TOOLS,
    *notifications.TOOLS,
    *troubleshooting.TOOLS,
    *identity.TOOLS,
]
