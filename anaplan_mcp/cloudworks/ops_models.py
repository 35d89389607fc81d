"""Read-only Integration API v2 calls (contract sheet §13): workspaces, models, the signed-in
user; and the token check."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from anaplan_mcp.cloudworks.arguments import segment
from anaplan_mcp.cloudworks.auth import TOKEN_SCHEME
from anaplan_mcp.cloudworks.core import ClientCore
from anaplan_mcp.cloudworks.errors import InvalidInputError
from anaplan_mcp.models import AnaplanModel, ModelObject, User, Workspace

ObjectKind = Literal["imports", "exports", "processes", "files"]
OBJECT_KINDS: tuple[ObjectKind, ...] = ("imports", "exports", "processes", "files")


@dataclass(frozen=True)
class TokenCheck:
    """What `GET /token/validate` says about the token in use (never the token itself)."""

    user_id: str | None
    user_guid: str | None
    customer_guid: str | None
    expires_at: float | None  # epoch seconds


def _object(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key)
    return value if isinstance(value, dict) else {}


class ModelOps(ClientCore):
    """Workspaces, models and a model's actions and files; token validation."""

    async def list_workspaces(self) -> list[Workspace]:
        """`GET {api}/workspaces`: the workspaces the user can reach."""
        items = await self._list_all("/workspaces", "workspaces", base="api")
        return [Workspace.model_validate(item) for item in items]

    async def list_models(self, workspace_id: str | None = None) -> list[AnaplanModel]:
        """`GET {api}/models`, or `GET {api}/workspaces/{workspaceId}/models` for one workspace."""
        path = "/models"
        if workspace_id is not None:
            path = f"/workspaces/{segment('workspace_id', workspace_id)}/models"
        items = await self._list_all(path, "models", base="api")
        return [AnaplanModel.model_validate(item) for item in items]

    async def list_model_objects(
        self, workspace_id: str, model_id: str, kind: ObjectKind
    ) -> list[ModelObject]:
        """`GET {api}/workspaces/{ws}/models/{model}/{imports|exports|processes|files}`."""
        if kind not in OBJECT_KINDS:
            raise InvalidInputError(f"invalid argument: kind: expected one of {OBJECT_KINDS}")
        workspace = segment("workspace_id", workspace_id)
        model = segment("model_id", model_id, "model")
        path = f"/workspaces/{workspace}/models/{model}/{kind}"
        items = await self._list_all(path, kind, base="api")
        return [ModelObject.model_validate(item) for item in items]

    async def get_me(self) -> User:
        """`GET {api}/users/me`: the user whose token the call carries."""
        body = await self._request("GET", "/users/me", base="api", unwrap=("user",))
        return User.model_validate(body)

    async def validate_token(self) -> TokenCheck:
        """`GET {auth}/token/validate` with the current token (signing in first if needed)."""
        token = await self._auth.current_token()
        headers = {"Authorization": f"{TOKEN_SCHEME} {token}"}
        body: dict[str, Any] = await self._request(
            "GET", "/token/validate", base="auth", headers=headers
        )
        user = _object(body, "userInfo")
        info = _object(body, "tokenInfo")
        expires = info.get("expiresAt")
        return TokenCheck(
            user_id=user.get("userId"),
            user_guid=user.get("userGuid"),
            customer_guid=user.get("customerGuid"),
            expires_at=expires / 1000 if isinstance(expires, int | float) else None,
        )
