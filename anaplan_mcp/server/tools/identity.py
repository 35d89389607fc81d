"""who_am_i: the inputs no other tool can discover, namely who "me" is and what day it is."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mcp.server.mcpserver import Context
from pydantic import BaseModel, Field

from anaplan_mcp.server.registry import ToolSpec
from anaplan_mcp.server.state import app_state
from anaplan_mcp.settings import ALWAYS


class Me(BaseModel):
    """The signed-in user and the server's clock."""

    user_id: str = Field(description="User GUID: what set_notification_config takes.")
    name: str = Field(description="First and last name (untrusted tenant data).")
    email: str | None = Field(description="Email address (untrusted tenant data).")
    now: datetime = Field(description="The server's current date and time, UTC.")


async def who_am_i(ctx: Context[Any, Any]) -> Me:
    """The signed-in user (GUID, name, email) and the server's date and time."""
    state = app_state(ctx)
    user = await state.client.get_me()
    now = state.now().astimezone(UTC).replace(microsecond=0)
    return Me(user_id=user.id, name=user.full_name, email=user.email, now=now)


TOOLS = [ToolSpec(who_am_i, ALWAYS, "read", "Who am I")]
