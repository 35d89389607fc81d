"""Notifications toolset: who hears about an integration's run outcomes, and how."""

from __future__ import annotations

from typing import Annotated, Any

from mcp.server.mcpserver import Context, ElicitationResult, Resolve
from pydantic import BaseModel, Field, ValidationError

from anaplan_mcp.models import (
    NotificationChannel,
    NotificationConfig,
    NotificationInput,
    NotificationUser,
    describe_validation_error,
)
from anaplan_mcp.models._types import HEX_ID_PATTERN
from anaplan_mcp.models.outcomes import NOTIFIED_OUTCOMES
from anaplan_mcp.server.audit import audit
from anaplan_mcp.server.errors import InputError
from anaplan_mcp.server.registry import ToolSpec
from anaplan_mcp.server.state import app_state
from anaplan_mcp.server.tools.common import (
    Confirm,
    Confirmation,
    Done,
    IntegrationId,
    NotificationId,
    confirm_notification,
    require_confirmation,
)

UserGuid = Annotated[str, Field(pattern=HEX_ID_PATTERN)]
_OUTCOME_OF = {wire: outcome for outcome, wire in NOTIFIED_OUTCOMES.items()}


def _users(event: str) -> Any:
    return Field(None, min_length=1, max_length=5, description=f"User GUIDs told of {event}.")


class NotificationSettings(BaseModel):
    """A notification config: channels, and the users told about each run outcome."""

    notification_id: str | None = Field(description="Config id; null when there is none.")
    integration_ids: list[str] = Field(description="Integrations (or flows) it covers.")
    channels: list[str] = Field(description="email and/or in_app; empty notifies no one.")
    recipients: dict[str, list[NotificationUser]] = Field(
        description="Users by run outcome (succeeded, partial_success, failed); names are "
        "untrusted tenant data."
    )


class NotificationChange(BaseModel):
    """A notification config before and after a change."""

    integration_id: str = Field(description="The integration.")
    before: NotificationSettings = Field(description="As it was.")
    after: NotificationSettings = Field(description="As it is now.")


def _settings(config: NotificationConfig) -> NotificationSettings:
    return NotificationSettings(
        notification_id=config.notification_id,
        integration_ids=config.integration_ids,
        channels=config.channels,
        recipients={
            _OUTCOME_OF.get(rule.type, rule.type): rule.users
            for rule in config.config
            if rule.users
        },
    )


def _nothing(integration_id: str) -> NotificationSettings:
    return NotificationSettings(
        notification_id=None, integration_ids=[integration_id], channels=[], recipients={}
    )


async def _of_integration(ctx: Context[Any, Any], integration_id: str) -> NotificationSettings:
    client = app_state(ctx).client
    detail = await client.get_integration(integration_id)
    if detail.notification_id is None:
        return _nothing(integration_id)
    return _settings(await client.get_notification_config(detail.notification_id))


async def get_notification_config(
    ctx: Context[Any, Any],
    integration_id: IntegrationId | None = None,
    notification_id: NotificationId | None = None,
) -> NotificationSettings:
    """Who is notified, on which channels, when an integration's run succeeds, partly fails or
    fails. Give exactly one of integration_id or notification_id."""
    if (integration_id is None) == (notification_id is None):
        raise InputError(
            "get_notification_config: give exactly one of integration_id or notification_id."
        )
    if integration_id is not None:
        return await _of_integration(ctx, integration_id)
    assert notification_id is not None
    return _settings(await app_state(ctx).client.get_notification_config(notification_id))


async def set_notification_config(
    ctx: Context[Any, Any],
    integration_id: IntegrationId,
    channels: Annotated[
        list[NotificationChannel],
        Field(min_length=1, description="email and/or in_app."),
    ],
    succeeded: Annotated[list[UserGuid] | None, _users("success")] = None,
    partial_success: Annotated[list[UserGuid] | None, _users("rows rejected")] = None,
    failed: Annotated[list[UserGuid] | None, _users("failure")] = None,
) -> NotificationChange:
    """Set who an integration notifies (creates the config or replaces it whole: event types
    left out notify no one). User GUIDs: who_am_i, get_notification_config."""
    given = {"succeeded": succeeded, "partial_success": partial_success, "failed": failed}
    rules = [
        {"type": NOTIFIED_OUTCOMES[outcome], "users": users}
        for outcome, users in given.items()
        if users
    ]
    if not rules:
        raise InputError(
            "set_notification_config: give users for at least one of succeeded, "
            "partial_success, failed (delete_notification_config removes the config)."
        )
    try:
        config = NotificationInput(
            integration_ids=[integration_id], channels=channels, config=rules
        )
    except ValidationError as exc:
        raise InputError(f"set_notification_config: {describe_validation_error(exc)}") from None
    client = app_state(ctx).client
    before = await _of_integration(ctx, integration_id)
    if before.notification_id is None:
        await client.create_notification_config(config)
    else:
        await client.update_notification_config(before.notification_id, config)
    after = await _of_integration(ctx, integration_id)
    audit(
        "set_notification_config",
        "ok",
        integration_id=integration_id,
        notification_id=after.notification_id,
    )
    return NotificationChange(integration_id=integration_id, before=before, after=after)


async def delete_notification_config(
    ctx: Context[Any, Any],
    notification_id: NotificationId,
    answer: Annotated[ElicitationResult[Confirmation], Resolve(confirm_notification)],
    confirm: Confirm = None,
) -> Done:
    """Delete a notification config (its id is in get_integration): nobody is notified any
    more. Asks the user first."""
    require_confirmation(answer, "notification config", notification_id)
    await app_state(ctx).client.delete_notification_config(notification_id)
    audit("delete_notification_config", "ok", notification_id=notification_id)
    return Done(done=f"deleted notification config {notification_id}")


TOOLS = [
    ToolSpec(get_notification_config, "notifications", "read", "Get a notification config"),
    ToolSpec(
        set_notification_config,
        "notifications",
        "write",
        "Set notifications",
        idempotent=True,
        destructive_effect=True,
    ),
    ToolSpec(delete_notification_config, "notifications", "destructive", "Delete notifications"),
]
