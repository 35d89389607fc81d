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
    Field(description="If the user cannot be asked: the id, once they agreed."),
]


class Page(BaseModel, Generic[T]):
    """One page of a listing."""

    items: list[T] = Field(description="The items of this page.")
    total: int = Field(description="Items across all pages.")
    next_offset: int | None = Field(description="Offset of the next page; null on the last.")


def page_at(items: list[T], offset: int, total: int | None) -> Page[T]:
    """A page already cut (by the server), with the total reported (or what is known of it)."""
    total = offset + len(items) if total is None else total
    following = offset + len(items)
    return Page(
        items=items, total=total, next_offset=following if items and following < total else None
    )


def page_of(items: Sequence[T], offset: int, limit: int) -> Page[T]:
    """The page of `items` at `offset`."""
    return page_at(list(items[offset : offset + limit]), offset, len(items))


class Done(BaseModel):
    """The outcome of a change."""

    done: str = Field(description="What happened.")


class Confirmation(BaseModel):
    """What the user is asked before anything is destroyed."""

    confirm: bool = Field(description="Yes, delete it permanently.")


class UnaskedConfirmation(Confirmation):
    """Stands in for the user's answer when the client cannot ask them: `confirm` says whether
    the call carried confirm=<the id>."""


def can_ask_user(ctx: Context[Any, Any]) -> bool:
    """Whether the client can put a question to its user (form elicitation), judged as the SDK
    judges it before sending one."""
    capabilities = ctx.client_capabilities
    elicitation = capabilities.elicitation if capabilities is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


async def ask_before_deleting(
    ctx: Context[Any, Any], question: str, ident: str, confirm: str | None
) -> Any:
    """The resolver's answer: the user's, whenever the client can ask them."""
    if can_ask_user(ctx):
        # Only a person confirms: `confirm` is written by the model, so it is ignored here.
        return Elicit(question, Confirmation)
    return UnaskedConfirmation(confirm=confirm == ident)


def _question(noun: str, ident: str) -> str:
    return f"Permanently delete {noun} {ident}? This cannot be undone."


# One resolver per id name: the SDK hands a resolver the tool arguments it names.
async def confirm_connection(
    connection_id: str, ctx: Context[Any, Any], confirm: str | None = None
) -> Any:
    return await ask_before_deleting(
        ctx, _question("connection", connection_id), connection_id, confirm
    )


async def confirm_integration(
    integration_id: str, ctx: Context[Any, Any], confirm: str | None = None
) -> Any:
    return await ask_before_deleting(
        ctx, _question("integration", integration_id), integration_id, confirm
    )


async def confirm_flow(flow_id: str, ctx: Context[Any, Any], confirm: str | None = None) -> Any:
    return await ask_before_deleting(ctx, _question("flow", flow_id), flow_id, confirm)


async def confirm_notification(
    notification_id: str, ctx: Context[Any, Any], confirm: str | None = None
) -> Any:
    return await ask_before_deleting(
        ctx, _question("notification config", notification_id), notification_id, confirm
    )


def require_confirmation(answer: ElicitationResult[Confirmation], noun: str, ident: str) -> None:
    """Raise unless the user confirmed (or, where they cannot be asked, the call carried the id)."""
    if isinstance(answer, AcceptedElicitation) and answer.data.confirm:
        return
    if isinstance(answer, AcceptedElicitation) and isinstance(answer.data, UnaskedConfirmation):
        raise InputError(
            f"Not deleted: deleting {noun} {ident} needs confirmation, and this client cannot ask "
            f"the user: ask them, and only if they agree call again with confirm='{ident}'."
        )
    raise InputError(f"Not deleted: the user did not confirm deleting {noun} {ident}.")
