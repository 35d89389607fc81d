"""Endpoints that set integrations up: connections, integrations, schedules, notifications."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from anaplan_mcp.cloudworks.arguments import page_window, segment, validated, wire
from anaplan_mcp.cloudworks.core import ClientCore
from anaplan_mcp.cloudworks.paging import Page, page_meta
from anaplan_mcp.models import (
    Connection,
    ConnectionInput,
    ConnectionPatch,
    Integration,
    IntegrationDetail,
    IntegrationInput,
    NotificationConfig,
    NotificationInput,
    ScheduleInput,
    ScheduleRequest,
)

Body = Mapping[str, Any]
SortBy = Literal["name", "-name"]


class SetupOps(ClientCore):
    """Connections, integrations, schedules and notification configs."""

    # --- connections
    async def list_connections(self) -> list[Connection]:
        """`GET /integrations/connections` (every page)."""
        items = await self._list_all("/integrations/connections", "connections")
        return [Connection.model_validate(item) for item in items]

    async def create_connection(self, connection: ConnectionInput | Body) -> str:
        """`POST /integrations/connections`; returns the new connection id."""
        body = wire("connection", ConnectionInput, connection)
        path = "/integrations/connections"
        unwrap = ("connections", "connectionId")
        return str(await self._request("POST", path, json=body, unwrap=unwrap))

    async def update_connection(
        self, connection_id: str, connection: ConnectionInput | Body
    ) -> None:
        """`PUT /integrations/connections/{connectionId}` with every field of the body."""
        path = f"/integrations/connections/{segment('connection_id', connection_id)}"
        body = validated("connection", ConnectionInput, connection).body_to_wire()
        await self._request("PUT", path, json=body)

    async def patch_connection(self, connection_id: str, patch: ConnectionPatch | Body) -> None:
        """`PATCH /integrations/connections/{connectionId}` with only the fields that change."""
        path = f"/integrations/connections/{segment('connection_id', connection_id)}"
        await self._request("PATCH", path, json=wire("patch", ConnectionPatch, patch))

    async def delete_connection(self, connection_id: str) -> None:
        """`DELETE /integrations/connections/{connectionId}`."""
        path = f"/integrations/connections/{segment('connection_id', connection_id)}"
        await self._request("DELETE", path)

    # --- integrations
    @staticmethod
    def _listing_params(my_integrations: bool, sort_by: SortBy | None) -> dict[str, str | int]:
        params: dict[str, str | int] = {"myIntegrations": int(my_integrations)}
        if sort_by is not None:
            params["sortBy"] = validated("sort_by", SortBy, sort_by)
        return params

    async def list_integrations(
        self, *, my_integrations: bool = False, sort_by: SortBy | None = None
    ) -> list[Integration]:
        """`GET /integrations?myIntegrations=&sortBy=` (every page; contract sheet §5)."""
        params = self._listing_params(my_integrations, sort_by)
        items = await self._list_all("/integrations", "integrations", params=params)
        return [Integration.model_validate(item) for item in items]

    async def integrations_page(
        self,
        *,
        offset: int = 0,
        limit: int = 25,
        my_integrations: bool = False,
        sort_by: SortBy | None = None,
    ) -> Page[Integration]:
        """`GET /integrations?offset=&limit=&myIntegrations=&sortBy=`: one page and its total."""
        params = self._listing_params(my_integrations, sort_by)
        params.update(page_window(offset, limit))
        body = await self._request("GET", "/integrations", params=params)
        items = [Integration.model_validate(item) for item in body.get("integrations") or []]
        return Page(items, page_meta(body))

    async def create_integration(self, integration: IntegrationInput | Body) -> str:
        """`POST /integrations` (import, export or process); returns the new integration id."""
        body = wire("integration", IntegrationInput, integration)
        unwrap = ("integration", "integrationId")
        return str(await self._request("POST", "/integrations", json=body, unwrap=unwrap))

    async def get_integration(self, integration_id: str) -> IntegrationDetail:
        """`GET /integrations/{integrationId}`: jobs, schedule, latest run, notification id."""
        path = f"/integrations/{segment('integration_id', integration_id)}"
        return IntegrationDetail.model_validate(
            await self._request("GET", path, unwrap=("integration",))
        )

    async def update_integration(
        self, integration_id: str, integration: IntegrationInput | Body
    ) -> None:
        """`PUT /integrations/{integrationId}` with the full definition."""
        path = f"/integrations/{segment('integration_id', integration_id)}"
        await self._request("PUT", path, json=wire("integration", IntegrationInput, integration))

    async def delete_integration(self, integration_id: str) -> None:
        """`DELETE /integrations/{integrationId}` (409 while it runs or a flow uses it)."""
        path = f"/integrations/{segment('integration_id', integration_id)}"
        await self._request("DELETE", path)

    # --- schedules
    def _schedule_body(self, integration_id: str, schedule: ScheduleInput | Body) -> Any:
        # The API wants integrationId in the body as well as the path (contract sheet §6.5).
        checked = validated("schedule", ScheduleInput, schedule)
        request = ScheduleRequest(integration_id=integration_id, schedule=checked)
        return request.to_wire()

    async def create_schedule(self, integration_id: str, schedule: ScheduleInput | Body) -> None:
        """`POST /integrations/{integrationId}/schedule` with `{integrationId, schedule}`."""
        path = f"/integrations/{segment('integration_id', integration_id)}/schedule"
        body = self._schedule_body(integration_id, schedule)
        await self._request("POST", path, json=body)

    async def update_schedule(self, integration_id: str, schedule: ScheduleInput | Body) -> None:
        """`PUT /integrations/{integrationId}/schedule` with `{integrationId, schedule}`."""
        path = f"/integrations/{segment('integration_id', integration_id)}/schedule"
        await self._request("PUT", path, json=self._schedule_body(integration_id, schedule))

    async def delete_schedule(self, integration_id: str) -> None:
        """`DELETE /integrations/{integrationId}/schedule`."""
        path = f"/integrations/{segment('integration_id', integration_id)}/schedule"
        await self._request("DELETE", path)

    async def set_schedule_status(self, integration_id: str, enabled: bool) -> None:
        """`POST /integrations/{integrationId}/schedule/status/{enabled|disabled}` (POST, §6.5)."""
        state = "enabled" if enabled else "disabled"
        path = f"/integrations/{segment('integration_id', integration_id)}/schedule/status/{state}"
        # Setting a state twice has the same effect as once, so retrying is safe.
        await self._request("POST", path, idempotent=True)

    # --- notification configs
    async def get_notification_config(self, notification_id: str) -> NotificationConfig:
        """`GET /integrations/notification/{notificationId}`."""
        path = f"/integrations/notification/{segment('notification_id', notification_id)}"
        body = await self._request("GET", path, unwrap=("notifications",))
        return NotificationConfig.model_validate(body)

    async def create_notification_config(self, config: NotificationInput | Body) -> str:
        """`POST /integrations/notification`; returns the new notification id."""
        body = wire("config", NotificationInput, config)
        unwrap = ("notification", "notificationId")
        path = "/integrations/notification"
        return str(await self._request("POST", path, json=body, unwrap=unwrap))

    async def update_notification_config(
        self, notification_id: str, config: NotificationInput | Body
    ) -> None:
        """`PUT /integrations/notification/{notificationId}`."""
        path = f"/integrations/notification/{segment('notification_id', notification_id)}"
        await self._request("PUT", path, json=wire("config", NotificationInput, config))

    async def delete_notification_config(self, notification_id: str) -> None:
        """`DELETE /integrations/notification/{notificationId}`."""
        path = f"/integrations/notification/{segment('notification_id', notification_id)}"
        await self._request("DELETE", path)
