"""Pieces every toolset shares: id and paging arguments, pages, confirmations of destruction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Generic, TypeVar

from mcp.server.mcpserver import AcceptedElicitation, Context, Elicit, ElicitationResult
from pydantic import BaseModel, Field

from anaplan_mcp.models._types import HEX_ID_PATTERN
from anaplan_mcp.server.errors import InputError

T = TypeVar("T")

IntegrationId = Annotated[
    str, Field(pattern=HEX_ID_PATTERN, description="Integration id (from list_integrations).")
]
ConnectionId = Annotated[
    str, Field(pattern=HEX_ID_PATTERN, description="Connection id (from list_connections).")
]
FlowId = Annotated[str, Field(pattern=HEX_ID_PATTERN, description="Flow id (from list_flows).")]
RunId = Annotated[str, Field(pattern=HEX_ID_PATTERN, description="Run id (from get_run_history).")]
NotificationId = Annotated[
    str,
    Field(pattern=HEX_ID_PATTERN, description="Notification id (from get_integration)."),
]
Limit = Annotated[int, Field(ge=1, le=200, description="Items per page.")]
Offset = Annotated[int, Field(ge=0, description="next_offset of the previous page.")]
Confirm = Annotated[
    str | None,
    Field(description="The id again, if the user cannot be asked."),
]


class Page(BaseModel, Generic[T]):
    """One page of a listing."""

    items: list[T] = Field(description="The items of this page.")
    total: int = Field(description="Items across all pages.")
    next_offset: int | None = Field(description="Offset of the next page; null on the last.")


def page_of(items: Sequence[T], offset: int, limit: int) -> Page[T]:
    """The page of `items` at `offset`."""
    chunk = list(items[offset : offset + limit])
    following = offset + len(chunk)
    return Page(
        items=chunk, total=len(items), next_offset=following if following < len(items) else None
    )


class Done(BaseModel):
    """The outcome of a change."""

    done: str = Field(description="What happened.")


class Confirmation(BaseModel):
    """What the user is asked before anything is destroyed."""

    confirm: bool = Field(description="Yes, delete it permanently.")


async def _ask(ctx: Context[Any, Any], noun: str, ident: str, confirm: str | None) -> Any:
    if confirm == ident:
        return Confirmation(confirm=True)
    capabilities = ctx.client_capabilities
    if capabilities is None or capabilities.elicitation is None:
        return Confirmation(confirm=False)
    return Elicit(f"Permanently delete {noun} {ident}? This cannot be undone.", Confirmation)


# One resolver per id name: the SDK hands a resolver the tool arguments it names.
async def confirm_connection(
    connection_id: str, ctx: Context[Any, Any], confirm: str | None = None
) -> Any:
    return await _ask(ctx, "connection", connection_id, confirm)


async def confirm_integration(
    integration_id: str, ctx: Context[Any, Any], confirm: str | None = None
) -> Any:
    return await _ask(ctx, "integration", integration_id, confirm)


async def confirm_flow(flow_id: str, ctx: Context[Any, Any], confirm: str | None = None) -> Any:
    return await _ask(ctx, "flow", flow_id, confirm)


async def confirm_notification(
    notification_id: str, ctx: Context[Any, Any], confirm: str | None = None
) -> Any:
    return await _ask(ctx, "notification config", notification_id, confirm)


def require_confirmation(answer: ElicitationResult[Confirmation], noun: str, ident: str) -> None:
    """Raise unless the user confirmed; the message says how to confirm."""
    if isinstance(answer, AcceptedElicitation) and answer.data.confirm:
        return
    if answer.action in ("decline", "cancel"):
        raise InputError(f"Not deleted: the user did not confirm deleting {noun} {ident}.")
    raise InputError(
        f"Not deleted: deleting {noun} {ident} needs confirmation. Ask the user, then call again "
        f"with confirm='{ident}'."
    )
