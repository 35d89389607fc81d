"""Error advice for a tool caller: a row of the advice table with the tools that carry it out.

The table (cloudworks/advice.py) names actions in words, since the client library knows no tools;
this is the one place that maps them to MCP tools (tests check each against the tool list). The
tool errors and the diagnosis knowledge base both render a row here, so they say the same.
"""

from __future__ import annotations

from anaplan_mcp.cloudworks.advice import Action, Advice, Subject, subject

# "list": the tool whose answer holds valid ids of the thing a failing path names.
LISTINGS: dict[Subject, str] = {
    "flow": "list_flows",
    "connection": "list_connections",
    "notification": "get_integration (its notification_id)",
    "run": "get_run_history (run ids)",
    "model object": "list_model_objects",
    "integration": "list_integrations",
}
TOOLS: dict[Action, str] = {
    "list runs": "get_run_history with an integration_id",
    "list flow runs": "get_run_status with a flow's latest run id (list_flows)",
    "list model objects": "list_model_objects",
    "read run errors": "get_run_errors",
    "update connection": "update_connection",
    "update integration": "update_integration",
    "update flow": "update_flow",
    "schedule integration": "schedule_integration",
    "cancel run": "cancel_run",
    "run again": "run_integration",
    "check setup": "the operator's `anaplan-mcp check`",
}


def tools_for(row: Advice, path: str = "") -> tuple[str, ...]:
    """The tools (or command) that carry out a row's advice; "list" follows the failing path."""
    return tuple(LISTINGS[subject(path)] if act == "list" else TOOLS[act] for act in row.via)


def sentence(text: str) -> str:
    return f"{text[:1].upper()}{text[1:]}"


def render(row: Advice, path: str = "") -> str:
    """The advice as a tool caller reads it: one sentence, then its tools in brackets."""
    tools = tools_for(row, path)
    return sentence(row.advice) + (f" ({', '.join(tools)})." if tools else ".")


def short(row: Advice) -> str:
    """The few words for the guide table, led by the tools."""
    tools = " + ".join(tools_for(row))
    return f"{tools}: {row.short}" if tools and row.short else tools or row.short
