"""Turn a pydantic ValidationError into one short message that never repeats an input value."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from anaplan_mcp.models._types import HEX_ID_PATTERN, MODEL_ID_PATTERN, NUMERIC_ID_PATTERN

# Field names of every model in this package: only these (and list indexes) may appear in a
# message path, so dict keys and union tags, which come from the input, never leak.
_FIELD_NAMES: set[str] = set()
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")

_PATTERN_HINTS: Final = {
    HEX_ID_PATTERN: "expected 32 lowercase hex characters",
    MODEL_ID_PATTERN: "expected 32 uppercase hex characters",
    NUMERIC_ID_PATTERN: "expected a numeric id string such as 112000000011",
}

_FIXED: Final = {
    "missing": "required",
    "extra_forbidden": "unknown field",
    "string_type": "expected a string",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "int_from_float": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "list_type": "expected a list",
    "dict_type": "expected an object",
    "model_type": "expected an object",
    "model_attributes_type": "expected an object",
    "date_type": "expected a date YYYY-MM-DD",
    "date_parsing": "expected a date YYYY-MM-DD",
    "date_from_datetime_parsing": "expected a date YYYY-MM-DD",
    "date_from_datetime_inexact": "expected a date YYYY-MM-DD",
    "datetime_type": "expected an ISO 8601 date-time",
    "datetime_parsing": "expected an ISO 8601 date-time",
    "datetime_from_date_parsing": "expected an ISO 8601 date-time",
    "set_item_not_hashable": "expected unique values",
}


def register_field_names(names: Iterable[str]) -> None:
    _FIELD_NAMES.update(names)


def _path(error: ErrorDetails) -> str:
    parts: list[str] = []
    loc = error["loc"]
    for index, item in enumerate(loc):
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif item in _FIELD_NAMES or (
            error["type"] == "extra_forbidden" and index == len(loc) - 1 and _IDENTIFIER.match(item)
        ):
            parts.append(f".{item}" if parts else item)
    if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
        discriminator = str((error.get("ctx") or {}).get("discriminator", "")).strip("'")
        if discriminator in _FIELD_NAMES:
            parts.append(f".{discriminator}" if parts else discriminator)
    return "".join(parts).lstrip(".") or "input"


def _expected(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind in _FIXED:
        return _FIXED[kind]
    if kind in ("value_error", "assertion_error"):
        # Our own validators raise fixed texts that never include the value.
        return str(ctx.get("error", "invalid value"))
    if kind in ("literal_error", "enum"):
        return f"expected one of {ctx.get('expected', '')}".strip()
    if kind == "union_tag_invalid":
        return f"expected one of {ctx.get('expected_tags', '')}"
    if kind == "union_tag_not_found":
        return "required"
    if kind == "string_pattern_mismatch":
        return _PATTERN_HINTS.get(str(ctx.get("pattern")), "has the wrong format")
    if kind == "string_too_short":
        minimum = ctx.get("min_length", 1)
        return "must not be empty" if minimum == 1 else f"expected at least {minimum} characters"
    if kind == "string_too_long":
        return f"expected at most {ctx.get('max_length')} characters"
    if kind == "too_short":
        return f"expected at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"expected at most {ctx.get('max_length')} item(s)"
    bounds = {
        "greater_than_equal": (">=", "ge"),
        "greater_than": (">", "gt"),
        "less_than_equal": ("<=", "le"),
        "less_than": ("<", "lt"),
    }
    if kind in bounds:
        symbol, key = bounds[kind]
        return f"expected a number {symbol} {ctx.get(key)}"
    return "invalid value"


def describe_validation_error(exc: ValidationError) -> str:
    """One readable line naming every bad field and what it expects; input values never appear."""
    messages: list[str] = []
    for error in exc.errors(include_url=False, include_input=False):
        message = f"{_path(error)}: {_expected(error)}"
        if message not in messages:
            messages.append(message)
    return "; ".join(messages) or "invalid input"
