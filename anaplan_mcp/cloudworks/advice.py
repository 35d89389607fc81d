"""Error advice: the one table that every surface reads, one row per cause of an API error.

Decision (issue 13). Advice used to live in four places that disagreed and stacked (a 404 read
"(check the id; list the resources...). Call list_integrations for valid ids."). Now a row here is
the cause and everything said about it; every surface renders the same row, so one cause gives
the same advice everywhere and each message carries exactly one hint:

- the client's exception text: `str(exc)` = what failed, then `(advice)`;
- the MCP tool errors (server/errors.py) and the diagnosis knowledge base (diagnosis/catalogue.py):
  the advice, then the tools that carry it out, rendered by diagnosis/advice.py;
- `anaplan-mcp check`: `setup`, the advice for a person configuring the server (it names settings),
  or the advice itself when `setup` is empty.

The rows are data, in advice.toml beside this module. A row is keyed by its cause: the HTTP
status and, where one status covers several causes, CloudWorks' own message (`pattern`, a
case-insensitive regex) or the request path (`path`);
`error` keys a row by exception class instead (an nginx 404 page is no CloudWorks 404).
`catch_all` rows answer for their statuses (all, when they list none) when no other row does.

This is the client library, so no row names an MCP tool: `via` names the actions in words
("update connection"); diagnosis/advice.py maps each action to its tool, in one place. "list" is
the listing of whatever the failing path names (`subject`). Rows with a `title` are documented
CloudWorks messages and also feed the diagnosis knowledge base (explanation, short, source).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources
from typing import Any, Literal, get_args

Action = Literal[
    "list",
    "list runs",
    "list flow runs",
    "list model objects",
    "read run errors",
    "update connection",
    "update integration",
    "update flow",
    "schedule integration",
    "cancel run",
    "run again",
    "check setup",
]
Subject = Literal["flow", "connection", "notification", "run", "model object", "integration"]
Confidence = Literal["documented", "observed", "inferred"]

API_TABLE = "CloudWorks API v2 reference, error table (contract §7.2)"


@dataclass(frozen=True)
class Advice:
    id: str
    advice: str  # for whoever made the call: plain words, lower case, no tool names
    statuses: tuple[int, ...] = ()
    pattern: str | None = None
    path: str | None = None
    error: str | None = None
    catch_all: bool = False
    via: tuple[Action, ...] = ()
    setup: str = ""  # for a person checking the configuration; "" = `advice` serves them too
    title: str = ""
    explanation: str = ""
    short: str = ""  # a few words for the guide table
    source: str = API_TABLE
    confidence: Confidence = "documented"

    def matches(self, status: int, message: str, path: str) -> bool:
        """This row's own message or path (not its catch-all) at this status."""
        if status not in self.statuses or (self.pattern is None and self.path is None):
            return False
        said = self.pattern is None or _compiled(self.pattern).search(message.strip())
        where = self.path is None or _compiled(self.path).search(path)
        return bool(said and where)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _row(entry: dict[str, Any]) -> Advice:
    """One row of the table, checked: an unknown key, action or confidence stops the import."""
    unknown = set(entry) - _KEYS
    if unknown:
        raise ValueError(f"advice.toml row {entry.get('id')!r}: unknown keys {sorted(unknown)}")
    row = dict(entry)
    statuses = row.pop("statuses", ())
    row["statuses"] = tuple(range(500, 600)) if statuses == "5xx" else tuple(statuses)
    row["via"] = tuple(row.get("via", ()))
    if row.get("title") and not (row.get("pattern") or row.get("path")):
        row["pattern"] = re.escape(row["title"])
    advice = Advice(**row)
    if not set(advice.via) <= set(get_args(Action)) or advice.confidence not in get_args(
        Confidence
    ):
        raise ValueError(f"advice.toml row {advice.id!r}: unknown action or confidence")
    return advice


_KEYS = {field.name for field in fields(Advice)}
# Data, not code: a row is a few lines of text, and the table is easier to read and change whole.
ADVICE: tuple[Advice, ...] = tuple(
    _row(entry)
    for entry in tomllib.loads(
        resources.files(__package__).joinpath("advice.toml").read_text("utf-8")
    )["row"]
)


def advice_for(error: str, status: int, message: str, path: str) -> Advice:
    """The row for an error of class `error` (its name): its class's own row, else the first
    row for its message or path, else its status's catch-all (every status has one)."""
    return (
        next((row for row in ADVICE if row.error == error), None)
        or next((row for row in ADVICE if row.matches(status, message, path)), None)
        or next((row for row in ADVICE if row.catch_all and status in row.statuses), None)
        or next(row for row in ADVICE if row.catch_all and not row.statuses)
    )


# Which resource a failing path acts on, so "list" can mean the listing that gives valid ids
# (the longest, most specific fragment first).
_SUBJECTS: tuple[tuple[str, Subject], ...] = (
    ("/integrationflows", "flow"),
    ("/connections", "connection"),
    ("/notification", "notification"),
    ("/runerror/", "run"),
    ("/run/", "run"),
    ("/workspaces", "model object"),
    ("/models", "model object"),
)


def subject(path: str) -> Subject:
    """The kind of resource a request path names."""
    return next((kind for fragment, kind in _SUBJECTS if fragment in path), "integration")
