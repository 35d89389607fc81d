"""Input schemas as the model reads them: no noise, no nulls, no unknown keys.

Pydantic writes a `title` on every property and spells an optional argument as
`anyOf: [{...}, {"type": "null"}]`. Titles repeat the property names (tokens for nothing) and some hosts
reject the null branch (the MCP Inspector's `--strict` flags it), so the published schema drops both.
It also drops what says nothing a model would not assume: `minLength: 1` on strings (an empty name or
path is never meant), defaults of false, 0 or empty (what leaving an argument out means anyway), and
`additionalProperties: true` (JSON Schema's own default). The arguments are still validated by the full
pydantic model, so nothing dropped here is accepted.
"""

from __future__ import annotations

from typing import Any


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of a tool's input schema without noise and null branches, closed to unknown keys."""
    compacted: dict[str, Any] = _compact(schema)
    compacted["additionalProperties"] = False
    return compacted


def _is_noise(key: str, value: Any, node: dict[str, Any]) -> bool:
    if key == "title":
        return isinstance(value, str)
    if key == "default":
        # `is` so that True and 1 are kept; the empty ones are what absence means.
        return (
            value is None
            or value is False
            or (type(value) is int and value == 0)
            or (isinstance(value, (str, list, dict)) and not value)
        )
    if key == "minLength":
        return value == 1 and node.get("type") == "string"
    if key == "additionalProperties":
        return value is True
    return False


def _compact(node: Any) -> Any:
    if isinstance(node, list):
        return [_compact(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _compact(sub) for name, sub in value.items()}
        elif not _is_noise(key, value, node):
            out[key] = _compact(value)
    branches = out.get("anyOf")
    if isinstance(branches, list):
        kept = [branch for branch in branches if branch != {"type": "null"}]
        if len(kept) == 1:
            del out["anyOf"]
            return _compact({**kept[0], **out})
        out["anyOf"] = kept
    return out
