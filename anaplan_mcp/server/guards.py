"""Argument checks that run before the SDK's, so a bad call gets one readable sentence.

The SDK ignores unknown arguments and reports validation failures as a pydantic dump that quotes the
input values (which may be secrets). This middleware refuses unknown arguments by name, rewrites
validation failures with `describe_validation_error` (field names and expectations, never values), and
answers calls to tools hidden by read-only mode or toolsets with the reason. No request reaches
CloudWorks in any of these cases.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.types import CallToolResult, TextContent
from pydantic import ValidationError

from anaplan_mcp.cloudworks import PassthroughAuth
from anaplan_mcp.models import describe_validation_error
from anaplan_mcp.server.registry import Selection


def _error(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


class ArgumentGuard:
    """`ServerMiddleware` for `tools/call`: unknown tools' reasons, unknown arguments, bad values."""

    def __init__(self, selection: Selection) -> None:
        self._selection = selection

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        if ctx.method == "tools/call" and isinstance(ctx.params, Mapping):
            refusal = self.check(ctx.params.get("name"), ctx.params.get("arguments"))
            if refusal is not None:
                return _error(refusal)
        return await call_next(ctx)

    def check(self, name: object, arguments: object) -> str | None:
        """The refusal message for this call, or None when it may go ahead."""
        if not isinstance(name, str):
            return None
        if name in self._selection.refused:
            return self._selection.refused[name]
        tool = self._selection.tools.get(name)
        if tool is None:
            return None
        args = arguments if isinstance(arguments, Mapping) else {}
        accepted = tool.fn_metadata.arg_model.model_fields
        unknown = sorted(key for key in args if key not in accepted)
        if unknown:
            return (
                f"{name}: unknown argument(s) {', '.join(unknown)}; "
                f"it takes {', '.join(accepted) or 'no arguments'}."
            )
        try:
            tool.fn_metadata.validate_arguments(dict(args))
        except ValidationError as exc:
            return f"{name}: {describe_validation_error(exc)}"
        return None


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
        if header.lower().startswith(_PASSTHROUGH_SCHEME):
            with PassthroughAuth.using(header[len(_PASSTHROUGH_SCHEME) :].strip()):
                return await call_next(ctx)
        return await call_next(ctx)
