"""The one table of error advice: each cause gives one hint, the same on every surface."""

from __future__ import annotations

import json

import pytest

from anaplan_mcp.cloudworks.advice import ADVICE, Advice
from anaplan_mcp.cloudworks.errors import EndpointNotFoundError, status_error
from anaplan_mcp.diagnosis.advice import LISTINGS, TOOLS, render
from anaplan_mcp.diagnosis.knowledge import explain_status
from anaplan_mcp.server.catalogue import load
from anaplan_mcp.server.errors import to_tool_error

PATHS = {
    "run-not-found": "/2/0/integrations/run/" + "a" * 32,
    "cancel-queued": "/2/0/integrations/" + "b" * 32 + "/cancel",
}


def _message(row: Advice) -> str:
    """A CloudWorks message that this row documents."""
    if row.title and "{" not in row.title:
        return row.title
    return {
        "http-400-actions-undefined": "Action(s) you included, 112 are not defined in x",
        "http-400-field-error": "Invalid value for integration_id",
        "http-400-header": "Authorization",
        "http-400-parameter": "limit",
    }.get(row.id, "a message no row documents")


def _errors(row: Advice) -> list[object]:
    if row.error == "EndpointNotFoundError":
        return [
            EndpointNotFoundError(
                status_code=404, server_message="no such endpoint", method="GET", path="/x"
            )
        ]
    body = json.dumps({"status": {"message": _message(row)}}).encode()
    return [
        status_error(
            status_code=status,
            body=body,
            content_type="application/json",
            method="DELETE",
            path=PATHS.get(row.id, "/2/0/integrations/" + "c" * 32),
        )
        for status in (row.statuses or (418,))[:3]
    ]


@pytest.mark.parametrize("row", ADVICE, ids=lambda row: row.id)
def test_every_cause_reads_with_exactly_one_hint(row: Advice) -> None:
    for error in _errors(row):
        assert error.advice is row  # type: ignore[attr-defined]
        assert str(error) == f"{error.plain} ({row.advice})"  # type: ignore[attr-defined]
        tool_text = str(to_tool_error(error))  # type: ignore[arg-type]
        others = [other.advice for other in ADVICE if other.advice != row.advice]
        assert tool_text.lower().count(row.advice.lower()) == 1, tool_text
        assert not [other for other in others if other.lower() in tool_text.lower()], tool_text
        assert "list the resources" not in tool_text and "for valid ids" not in tool_text
    if row.title:  # the diagnosis says what the tool error says
        entry = explain_status(row.statuses[0], _message(row))
        assert entry is not None and entry.fix == render(row)


def test_a_404_names_one_listing_for_the_path_it_failed_on() -> None:
    error = status_error(
        status_code=404,
        body=b'{"status": {"message": "Resource not found"}}',
        content_type="application/json",
        method="GET",
        path="/2/0/integrations/connections/" + "d" * 32,
    )
    text = str(to_tool_error(error))
    assert text.endswith("Check the id, or find a valid one (list_connections).")
    assert "(check the id" not in text


def test_each_action_maps_to_a_served_tool() -> None:
    served = {entry.name for entry in load()}
    for phrase in [*TOOLS.values(), *LISTINGS.values()]:
        first = phrase.split()[0]
        assert first in served or phrase.startswith("the operator's"), phrase
