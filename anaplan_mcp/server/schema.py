"""Input schemas as the model reads them: no noise, no nulls, no unknown keys.

Pydantic writes a `title` on every property and spells an optional argument as
`anyOf: [{...}, {"type": "null"}]`. Titles repeat the property names (tokens for nothing) and some hosts
reject the null branch (the MCP Inspector's `--strict` flags it), so the published schema drops both. The
arguments are still validated by the full pydantic model.
"""

from __future__ import annotations

from typing import Any


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of a tool's input schema without titles and null branches, closed to unknown keys."""
    compacted: dict[str, Any] = _compact(schema)
    compacted["additionalProperties"] = False
    return compacted


def _compact(node: Any) -> Any:
    if isinstance(node, list):
        return [_compact(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _compact(sub) for name, sub in value.items()}
        elif key == "default" and value is None:
            continue
        else:
            out[key] = _compact(value)
    branches = out.get("anyOf")
    if isinstance(branches, list):
        kept = [branch for branch in branches if branch != {"type": "null"}]
        if len(kept) == 1:
            del out["anyOf"]
            return {**kept[0], **out}
        out["anyOf"] = kept
    return out
