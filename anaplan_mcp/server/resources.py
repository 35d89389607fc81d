"""MCP resources (placeholder until the resources land)."""

from __future__ import annotations

from mcp.server import MCPServer


def register_resources(server: MCPServer) -> None:
    """Register every `cloudworks://` resource on `server`."""
