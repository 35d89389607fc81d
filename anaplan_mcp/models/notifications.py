"""Notification configurations: who hears about which run outcome."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeAlias

from pydantic import AfterValidator, AliasChoices, AliasPath, Field, model_validator

from anaplan_mcp.models._base import InputModel, WireModel
from anaplan_mcp.models._types import HexId

KnownNotificationType: TypeAlias = Literal["success", "partial_failure", "full_failure"]
NotificationType: TypeAlias = KnownNotificationType | str
NotificationChannel: TypeAlias = Literal["email", "in_app"]


class NotificationUser(WireModel):
    """A user who receives notifications."""

    user_guid: str = Field(description="User id.")
    first_name: str = Field(description="First name.")
    last_name: str = Field(description="Last name.")


class NotificationRule(WireModel):
    """The users notified for one run outcome."""

    type: NotificationType = Field(description="success, partial_failure, full_failure, ...")
    users: list[NotificationUser] = Field(default_factory=list, description="Recipients.")


class NotificationConfig(WireModel):
    """A notification configuration (the wire nests rules under notifications.config)."""

    notification_id: str = Field(description="Notification config id.")
    integration_ids: list[str] = Field(description="Integrations (or flows) it covers.")
    channels: list[str] = Field(description="email and/or in_app.")
    config: list[NotificationRule] = Field(
        default_factory=list,
        validation_alias=AliasChoices("config", AliasPath("notifications", "config")),
        description="Recipients per outcome.",
    )


def _distinct(values: list[Any]) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError("values must not repeat")
    return values


class NotificationRuleInput(InputModel):
    """Who to notify for one outcome."""

    type: KnownNotificationType = Field(description="success, partial_failure or full_failure.")
    users: Annotated[list[HexId], AfterValidator(_distinct)] = Field(
        min_length=1, max_length=5, description="1-5 user ids."
    )


class NotificationInput(InputModel):
    """Body of POST /integrations/notification and PUT /integrations/notification/{id}."""

    integration_ids: Annotated[list[HexId], AfterValidator(_distinct)] = Field(
        min_length=1, description="Integration (or flow) ids."
    )
    channels: Annotated[list[NotificationChannel], AfterValidator(_distinct)] = Field(
        min_length=1, description="email and/or in_app."
    )
    config: list[NotificationRuleInput] = Field(
        min_length=1, max_length=3, description="Recipients per outcome, each outcome once."
    )

    @model_validator(mode="before")
    @classmethod
    def _accept_wire_shape(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("notifications"), dict):
            rest = {k: v for k, v in data.items() if k != "notifications"}
            return {**rest, "config": data["notifications"].get("config")}
        return data

    @model_validator(mode="after")
    def _one_rule_per_type(self) -> NotificationInput:
        types = [rule.type for rule in self.config]
        if len(set(types)) != len(types):
            raise ValueError("each notification type may appear only once in config")
        return self

    def to_wire(self) -> dict[str, Any]:
        flat = super().to_wire()
        return {
            "integrationIds": flat["integrationIds"],
            "channels": flat["channels"],
            "notifications": {"config": flat["config"]},
        }
