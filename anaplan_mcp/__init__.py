"""anaplan-mcp: an MCP server for Anaplan CloudWorks."""

__version__ = "0.1.0"
