"""Failure diagnosis: failure-dump analysis and the knowledge base of CloudWorks failure causes.

Pure functions and models only: no network, no files, no MCP objects.
"""

from anaplan_mcp.diagnosis.dumps import (
    DumpAnalyser,
    DumpAnalysis,
    DumpPage,
    DumpRow,
    ErrorGroup,
    ParsedDump,
    SampleRow,
    analyse_dump,
    analyse_dump_stream,
    error_pattern,
    implicated_columns,
    page_rows,
    parse_dump,
)
from anaplan_mcp.diagnosis.knowledge import (
    MCP_TOOLS,
    KnowledgeEntry,
    all_entries,
    explain_connection_code,
    explain_execution_code,
    explain_row_error,
    explain_run_message,
    explain_status,
    get_entry,
    render_guide,
)

__all__ = [
    "MCP_TOOLS",
    "DumpAnalyser",
    "DumpAnalysis",
    "DumpPage",
    "DumpRow",
    "ErrorGroup",
    "KnowledgeEntry",
    "ParsedDump",
    "SampleRow",
    "all_entries",
    "analyse_dump",
    "analyse_dump_stream",
    "error_pattern",
    "explain_connection_code",
    "explain_execution_code",
    "explain_row_error",
    "explain_run_message",
    "explain_status",
    "get_entry",
    "implicated_columns",
    "page_rows",
    "parse_dump",
    "render_guide",
]
