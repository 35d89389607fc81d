"""One audit line on stderr per write: tool, ids, outcome. Never arguments wholesale, never secrets."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

logger = logging.getLogger("anaplan_mcp.audit")

# The signed-in person a request acts for (`serve --oauth`); None when the server has one identity.
_PERSON: ContextVar[str | None] = ContextVar("anaplan_mcp_person", default=None)


@contextmanager
def acting_for(person: str) -> Iterator[None]:
    """Name `person` in every audit line written inside this block."""
    reset = _PERSON.set(person)
    try:
        yield
    finally:
        _PERSON.reset(reset)


def audit(tool: str, outcome: str, **ids: str | None) -> None:
    """Log `tool outcome key=value ...` for the ids that were given."""
    fields = " ".join(f"{key}={value}" for key, value in ids.items() if value)
    person = _PERSON.get()
    if person:
        fields = f"{fields} person={person}".strip()
    logger.info("%s %s %s", tool, outcome, fields)
