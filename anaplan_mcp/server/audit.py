"""One audit line on stderr per write: tool, ids, outcome. Never arguments wholesale, never secrets."""

from __future__ import annotations

import logging

logger = logging.getLogger("anaplan_mcp.audit")


def audit(tool: str, outcome: str, **ids: str | None) -> None:
    """Log `tool outcome key=value ...` for the ids that were given."""
    fields = " ".join(f"{key}={value}" for key, value in ids.items() if value)
    logger.info("%s %s %s", tool, outcome, fields)
