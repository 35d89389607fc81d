"""Argument checks around the SDK's, so a bad call gets one readable sentence.

The SDK ignores unknown arguments and reports validation failures as a pydantic dump that quotes the
input values (which may be secrets). This middleware refuses unknown arguments by name, rewrites
validation failures with `describe_validation_error` (field names and expectations, never values),
answers calls to tools hidden by read-only mode or toolsets with the reason, and adds the nearest
names to the SDK's "Unknown tool". No request reaches CloudWorks in any of these cases.

Arguments are validated once per call, by the SDK, before the tool runs. Only when the SDK answers
with an error are they validated again here, to tell a validation failure (rewritten) from any other
error (passed on): validation is deterministic, so the second pass fails exactly when the first did,
and the common, valid call pays for one validation instead of two.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import CallToolResult, TextContent
from pydantic import ValidationError

from anaplan_mcp.cloudworks import PassthroughAuth
from anaplan_mcp.models._errors import describe_validation_error
from anaplan_mcp.server.catalogue import DeferredTool, Selection
from anaplan_mcp.server.errors import CALLER_TOKENS


def _error(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


def _is_error(result: object) -> bool:
    if isinstance(result, CallToolResult):
        return bool(result.is_error)
    return isinstance(result, Mapping) and result.get("isError") is True


class _Arguments:
    """What the guard knows about one tool's arguments, worked out once per server."""

    def __init__(self, tool: DeferredTool) -> None:
        self.tool = tool
        self.accepted = frozenset(tool.argument_names)
        self.takes = ", ".join(tool.argument_names) or "no arguments"


class ArgumentGuard:
    """`ServerMiddleware` for `tools/call`: unknown tools' reasons, unknown arguments, bad values."""

    def __init__(self, selection: Selection) -> None:
        self._refused = dict(selection.refused)
        self._tools = {name: _Arguments(tool) for name, tool in selection.tools.items()}

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        if ctx.method != "tools/call" or not isinstance(ctx.params, Mapping):
            return await call_next(ctx)
        name, arguments = ctx.params.get("name"), ctx.params.get("arguments")
        refusal = self.refusal(name, arguments)
        if refusal is not None:
            return _error(refusal)
        result = await call_next(ctx)
        if _is_error(result):
            problem = self.invalid(name, arguments)
            if problem is not None:
                return _error(problem)
        return result

    def check(self, name: object, arguments: object) -> str | None:
        """The refusal message for this call, or None when it may go ahead (both checks)."""
        return self.refusal(name, arguments) or self.invalid(name, arguments)

    def refusal(self, name: object, arguments: object) -> str | None:
        """Why this call is refused before validation: a hidden tool or unknown argument names."""
        if not isinstance(name, str):
            return None
        if name in self._refused:
            return self._refused[name]
        known = self._tools.get(name)
        if known is None:
            return self.unknown(name)
        if not isinstance(arguments, Mapping):
            # Not an object: the SDK would answer with a protocol error, so say it here, as for {}.
            return self.invalid(name, {}) if arguments is not None else None
        unknown = sorted(key for key in arguments if key not in known.accepted)
        if unknown:
            return f"{name}: unknown argument(s) {', '.join(unknown)}; it takes {known.takes}."
        return None

    def unknown(self, name: str) -> str | None:
        """The SDK's "Unknown tool" answer with the listed names closest to `name`, if any are."""
        near = did_you_mean(name, self._tools)
        return f"Unknown tool: {name}; did you mean {near}?" if near else None

    def invalid(self, name: object, arguments: object) -> str | None:
        """The readable validation failure of these arguments, or None when they are valid."""
        known = self._tools.get(name) if isinstance(name, str) else None
        if known is None:
            return None
        args = arguments if isinstance(arguments, Mapping) else {}
        try:
            known.tool.built().fn_metadata.validate_arguments(dict(args))
        except ValidationError as exc:
            return f"{name}: {describe_validation_error(exc)}"
        return None


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The one to three `choices` closest to a misspelt `word`, as "a", "a or b", "a, b or c"."""
    near = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)
    if not near:
        return None
    return near[0] if len(near) == 1 else f"{', '.join(near[:-1])} or {near[-1]}"


_PASSTHROUGH_SCHEME = "anaplanauthtoken "


class TokenPassthrough:
    """`ServerMiddleware` for `--token-passthrough`: each request runs with its caller's own token.

    The token comes from the MCP request's `Authorization: AnaplanAuthToken <token>` header and is
    handed to the client for this request only; the server holds no credentials of its own.
    """

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        headers = getattr(ctx.request, "headers", None) or {}
        header = headers.get("authorization", "")
        marked = CALLER_TOKENS.set(True)
        try:
            if header.lower().startswith(_PASSTHROUGH_SCHEME):
                with PassthroughAuth.using(header[len(_PASSTHROUGH_SCHEME) :].strip()):
                    return await call_next(ctx)
            return await call_next(ctx)
        finally:
            CALLER_TOKENS.reset(marked)
