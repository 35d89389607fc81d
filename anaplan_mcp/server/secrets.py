"""Secret tool inputs: a literal value, or `env:ANAPLAN_SECRET_<NAME>` resolved on the server.

The prefix rule means a model (or a prompt injected into it) can point a connection at a secret the
operator put there on purpose, but never at any other variable of the host, such as ANAPLAN_PASSWORD.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TypeVar

from pydantic import BaseModel, SecretStr

from anaplan_mcp.server.errors import InputError

SECRET_PREFIX = "ANAPLAN_SECRET_"
_PLACEHOLDER = re.compile(r"<[^<>]*>")
M = TypeVar("M", bound=BaseModel)


def refuse_placeholders(tool: str, given: Mapping[str, object]) -> None:
    """Suggested calls mark a credential the server cannot know as `<...>`: a call that passes the
    marker on as it is must not store it as the credential."""
    for field, value in given.items():
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if isinstance(raw, str) and _PLACEHOLDER.fullmatch(raw.strip()):
            raise InputError(f"{tool}: {field}: a placeholder, not a value; ask the user for it")


def resolve_secret(
    field: str, value: SecretStr, environ: Mapping[str, str] = os.environ
) -> SecretStr:
    """The secret itself: `value`, or the variable it names. Errors name the field, never the value."""
    raw = value.get_secret_value()
    if not raw.startswith("env:"):
        return value
    name = raw.removeprefix("env:").strip()
    if not name.startswith(SECRET_PREFIX) or name == SECRET_PREFIX:
        raise InputError(
            f"{field}: an env: reference must name a variable starting with {SECRET_PREFIX} "
            f"(for example env:{SECRET_PREFIX}S3_KEY)"
        )
    if not environ.get(name):
        raise InputError(f"{field}: the server has no variable {name} set; ask its operator")
    return SecretStr(environ[name])


def resolve_secrets(model: M, environ: Mapping[str, str] = os.environ, *, path: str = "") -> M:
    """A copy of an input model whose `SecretStr` fields (at any depth) are resolved."""
    updates: dict[str, object] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        where = f"{path}{name}"
        if isinstance(value, SecretStr):
            resolved: object = resolve_secret(where, value, environ)
        elif isinstance(value, BaseModel):
            resolved = resolve_secrets(value, environ, path=f"{where}.")
        else:
            continue
        if resolved is not value:
            updates[name] = resolved
    return model.model_copy(update=updates) if updates else model
