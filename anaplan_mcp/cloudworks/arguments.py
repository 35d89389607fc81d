"""Checking the caller's arguments before any request is sent.

Path parameters are checked against the id formats of contract sheet §1.3 and URL-escaped; request
bodies are validated into the input models. Either failure raises one `InvalidInputError` that
names the field and what it expects, and never repeats the value (it may be a secret).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Final, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from anaplan_mcp.cloudworks.errors import InvalidInputError
from anaplan_mcp.models import describe_validation_error

IdKind = Literal["hex", "model", "numeric"]
_FORMATS: Final[dict[str, tuple[re.Pattern[str], str]]] = {
    "hex": (re.compile(r"[0-9a-f]{32}"), "32 lowercase hex characters"),
    "model": (re.compile(r"[0-9A-F]{32}"), "32 uppercase hex characters"),
    "numeric": (re.compile(r"[0-9]{1,20}"), "a numeric id such as 112000000011"),
}


def segment(name: str, value: object, kind: IdKind = "hex") -> str:
    """One checked, URL-escaped path segment; `name` is the argument name for the message."""
    if isinstance(value, int) and not isinstance(value, bool) and kind == "numeric":
        value = str(value)
    pattern, expected = _FORMATS[kind]
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidInputError(f"invalid argument: {name}: expected {expected}")
    return quote(value, safe="")


@cache
def _adapter(target: Any) -> TypeAdapter[Any]:
    if isinstance(target, type) and issubclass(target, BaseModel):
        return TypeAdapter(target)  # a model brings its own config (inputs hidden in errors)
    return TypeAdapter(target, config=ConfigDict(hide_input_in_errors=True))


def validated(name: str, target: Any, value: object) -> Any:
    """`value` as an instance of `target` (a model class or an annotated union).

    Already-built models pass through; dicts are validated with the model's own rules.
    """
    if isinstance(target, type) and isinstance(value, target):
        return value
    try:
        return _adapter(target).validate_python(value)
    except ValidationError as exc:
        raise InvalidInputError(f"invalid {name}: {describe_validation_error(exc)}") from None


def wire(name: str, target: Any, value: object) -> dict[str, Any]:
    """The camelCase JSON body of a validated input model."""
    model = validated(name, target, value)
    body: dict[str, Any] = model.to_wire()
    return body


MAX_PAGE_LIMIT = 1000


def page_window(offset: int, limit: int) -> dict[str, str | int]:
    """Checked `offset`/`limit` query parameters of one page."""
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidInputError("invalid argument: offset: expected a whole number >= 0")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE_LIMIT:
        raise InvalidInputError(f"invalid argument: limit: expected 1 to {MAX_PAGE_LIMIT}")
    return {"offset": offset, "limit": limit}
