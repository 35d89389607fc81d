"""The one place where client failures become messages the model can act on.

The SDK hides the text of any exception that is not a `ToolError` ("Error executing tool x"), so every
`CloudWorksError` is translated here into a `ToolError` that keeps CloudWorks' own message and gives the
advice table's one hint for its cause (cloudworks/advice.py), with the tools to call.
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
    InvalidInputError,
    ServerError,
)
from anaplan_mcp.diagnosis.advice import render, sentence

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


def to_tool_error(exc: CloudWorksError) -> ToolError:
    """A `ToolError` whose text is the API's failure plus its one piece of advice."""
    if isinstance(exc, InvalidInputError):
        return InputError(str(exc))
    refused = PERSON_REFUSED.get()
    if isinstance(exc, AuthenticationError) and refused is not None:
        refused()
    if isinstance(exc, APIStatusError):
        return ToolError(f"{exc.plain}. {_advice(exc)}")
    if isinstance(exc, APIConnectionError):
        return ToolError(f"{exc}.")
    return ToolError(str(exc))


def _advice(exc: APIStatusError) -> str:
    """The advice table's row for the error, with the tools to call (diagnosis/advice.py).

    Things only the server knows change how the row is carried out, never what it says: a
    `--oauth` caller's sign-in is renewed by the server, a `--token-passthrough` caller signs in
    with its own token, and a 409 on a known resource gets the exact calls for it.
    """
    row = exc.advice
    if isinstance(exc, AuthenticationError) and PERSON_REFUSED.get() is not None:
        return (
            "Anaplan refused your sign-in: repeat the call (the server renews it; if Anaplan "
            "ended it, your client asks you to sign in again)."
        )
    if isinstance(exc, AuthenticationError) and CALLER_TOKENS.get():
        return (
            f"{sentence(row.advice)}: this server uses each caller's own Anaplan token, sent as "
            "`Authorization: AnaplanAuthToken <token>` with every MCP request."
        )
    calls = conflict_calls(exc) if isinstance(exc, ConflictError) else ""
    return f"{sentence(row.advice)}: {calls}." if calls else render(row, exc.path)


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


def conflict_calls(exc: ConflictError) -> str:
    """The calls that carry out a 409's advice on the resource its path names, else ""."""
    kind, rid = _subject(exc.path)
    reason = exc.reason
    if reason == "running" and kind == "flow":
        return (
            f"get_run_status with the flow's latest_run.run_id (get_flow) follows it; "
            f"cancel_run with flow_id='{rid}' stops it"
        )
    if reason == "running" and kind == "integration":
        return (
            f"get_run_history with integration_id='{rid}' lists the running run first; "
            f"cancel_run with integration_id='{rid}' stops it"
        )
    if reason == "referenced" and kind == "connection":
        return (
            f"integrations use connection {rid}: update_integration points their jobs elsewhere "
            "(get_integration shows a job's connection_id), or delete them first"
        )
    if reason == "referenced" and kind == "integration":
        return (
            f"a flow has integration {rid} as a step: update_flow removes the step (get_flow "
            "shows a flow's steps), or delete the flow first"
        )
    return ""


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
