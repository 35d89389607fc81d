"""The one place where client failures become messages the model can act on.

The SDK hides the text of any exception that is not a `ToolError` ("Error executing tool x"), so every
`CloudWorksError` is translated here into a `ToolError` that keeps CloudWorks' own message and names the
next tool to call.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar

from mcp.server.mcpserver.exceptions import ToolError

from anaplan_mcp.cloudworks.errors import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    CloudWorksError,
    ConflictError,
    EndpointNotFoundError,
    InvalidInputError,
    NotFoundError,
    ServerError,
)
from anaplan_mcp.diagnosis.knowledge import explain_status

# Set for each request of a `--token-passthrough` server: a refused token is then the caller's own.
CALLER_TOKENS: ContextVar[bool] = ContextVar("anaplan_mcp_caller_tokens", default=False)
# Set for each request of a `--oauth` server: told when Anaplan refuses the signed-in person's
# token, so that the server renews (or ends) that sign-in before the person's next request.
PERSON_REFUSED: ContextVar[Callable[[], None] | None] = ContextVar(
    "anaplan_mcp_person_refused", default=None
)


class InputError(ToolError):
    """An argument the server refused before sending anything; the message names the field."""


def a_or_an(word: str) -> str:
    """`word` with its indefinite article, by sound: "an AzureBlob", "an hourly", "a GoogleBigQuery"."""
    spoken = word.lower()
    vowel = spoken[:1] in tuple("aeiou") or spoken.startswith(("hour", "honest"))
    return f"{'an' if vowel else 'a'} {word}"


# Run ids come from run histories and flows; a flow run is readable only while it is its flow's
# latest run (contract sheet §4.2), and a run just started may not be visible yet (§2).
RUN_NOT_FOUND = (
    "No integration run has this id. get_run_history with an integration_id lists run ids; "
    "get_run_status takes a flow's latest run id (list_flows, get_flow) and gives its steps' "
    "run ids, but an older flow run cannot be read. A run started seconds ago may not show yet."
)
# Which listing gives valid ids, by the resource a failing path names (longest match first).
_LISTINGS = (
    ("/integrationflows", "list_flows"),
    ("/connections", "list_connections"),
    ("/notification", "get_integration (its notification_id)"),
    ("/runerror/", "get_run_history (run ids)"),
    ("/run/", "get_run_history (run ids)"),
    ("/runs/", "list_integrations"),
    ("/workspaces", "list_model_objects"),
    ("/models", "list_model_objects"),
    ("/integrations", "list_integrations"),
)


def _listing_for(path: str) -> str:
    return next((tool for fragment, tool in _LISTINGS if fragment in path), "list_integrations")


def to_tool_error(exc: CloudWorksError) -> ToolError:
    """A `ToolError` whose text is the API's failure plus the next step."""
    if isinstance(exc, InvalidInputError):
        return InputError(str(exc))
    if isinstance(exc, EndpointNotFoundError):
        return ToolError(
            f"{exc.plain}. The server's CloudWorks URL looks wrong for this tenant: "
            "run `anaplan-mcp check` and set ANAPLAN_REGION or ANAPLAN_CLOUDWORKS_URL."
        )
    if isinstance(exc, NotFoundError) and re.search(r"/integrations/run(error)?/", exc.path):
        return ToolError(f"{exc.plain}. {RUN_NOT_FOUND}")
    if isinstance(exc, NotFoundError):
        return ToolError(f"{exc.plain}. Call {_listing_for(exc.path)} for valid ids.")
    if isinstance(exc, ConflictError):
        return ToolError(f"{exc.plain}. {conflict_advice(exc)}")
    refused = PERSON_REFUSED.get()
    if isinstance(exc, AuthenticationError) and refused is not None:
        refused()
        return ToolError(
            f"{exc.plain}. Anaplan refused your sign-in: repeat the call (the server renews it; "
            "if Anaplan ended it, your client asks you to sign in again)."
        )
    if isinstance(exc, AuthenticationError) and CALLER_TOKENS.get():
        return ToolError(
            f"{exc.plain}. This server uses each caller's own Anaplan token: send "
            "`Authorization: AnaplanAuthToken <token>` with every MCP request (a fresh token if "
            "it expired or was logged out)."
        )
    if isinstance(exc, AuthenticationError):
        return ToolError(
            f"{exc.plain}. The server's Anaplan credentials were refused: the operator should run "
            "`anaplan-mcp check`."
        )
    if isinstance(exc, APIStatusError):
        # A documented message has its own fix in the knowledge base; else the class's hint.
        entry = explain_status(exc.status_code, exc.server_message or "")
        return ToolError(f"{exc.plain}. {entry.fix}" if entry else f"{exc}.")
    if isinstance(exc, APIConnectionError):
        return ToolError(f"{exc}.")
    return ToolError(str(exc))


_IDS = re.compile(r"/(integrationflows|connections|integrations)/([0-9a-f]{32})")


def _subject(path: str) -> tuple[str, str]:
    """What a failing path acts on: ("flow" | "connection" | "integration" | "", its id)."""
    found = _IDS.findall(path)
    if not found:
        return "", ""
    collection, resource_id = found[-1]
    return {"integrationflows": "flow", "connections": "connection"}.get(
        collection, "integration"
    ), resource_id


def conflict_advice(exc: ConflictError) -> str:
    """What to do about a 409, following CloudWorks' own message (`ConflictError.reason`)."""
    kind, resource_id = _subject(exc.path)
    reason = exc.reason
    if reason == "running" and kind == "flow":
        return (
            f"A step of flow {resource_id} is running: get_run_status with the flow's "
            f"latest_run.run_id (get_flow) follows it; cancel_run with flow_id='{resource_id}' "
            "stops it."
        )
    if reason == "running" and kind == "integration":
        return (
            f"Integration {resource_id} is running: get_run_history with "
            f"integration_id='{resource_id}' lists the running run first (get_integration "
            f"shows it as latest_run); cancel_run with integration_id='{resource_id}' stops it."
        )
    if reason == "not_running":
        subject = f"{kind} {resource_id}" if kind else "it"
        return f"Nothing is running: {subject} has no run to cancel."
    if reason == "referenced" and kind == "connection":
        return (
            f"Integrations use connection {resource_id}: point their jobs at another connection "
            "(update_integration) or delete them first; get_integration shows a job's "
            "connection_id."
        )
    if reason == "referenced" and kind == "integration":
        return (
            f"A flow has integration {resource_id} as a step: remove the step (update_flow) or "
            "delete the flow first; get_flow shows a flow's steps."
        )
    return f"{exc.hint[:1].upper()}{exc.hint[1:]}." if exc.hint else "Check the state, then retry."


def unconfirmed_start(
    exc: ServerError | APIConnectionError, *, check: str, again: str
) -> ToolError | None:
    """The message for a run request whose outcome is unknown (5xx or lost answer), else None.

    Such a POST is never repeated automatically (a second run must never happen by accident), so
    the model is told how to find out whether the run started before it asks for another.
    """
    if not exc.path.endswith("/run"):
        return None  # the run request itself was never sent (e.g. sign-in failed)
    return ToolError(
        f"Starting the run failed: {exc}. Not retried, to avoid a second run: {check} to see "
        f"whether a run started before calling {again} again."
    )
