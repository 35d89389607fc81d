"""A small in-test OAuth token service (rotating single-use refresh tokens) behind MockTransport,
and an in-memory keyring backend. The end-to-end tests use the sandbox instead."""

from __future__ import annotations

import json
import secrets
from typing import Any

import httpx2
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class TokenService:
    """POST /oauth/token: refresh_token grants rotate; reuse is invalid_grant. Counts every call."""

    def __init__(self) -> None:
        self.live: set[str] = set()
        self.bodies: list[dict[str, Any]] = []
        self.refreshes = 0

    def issue(self) -> dict[str, Any]:
        refresh = secrets.token_hex(8)
        self.live.add(refresh)
        return {
            "access_token": "at-" + secrets.token_hex(8),
            "refresh_token": refresh,
            "expires_in": 2100,
            "token_type": "Bearer",
            "scope": "openid email offline_access",
        }

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        token = body.get("refresh_token")
        if body.get("grant_type") != "refresh_token" or token not in self.live:
            return httpx2.Response(
                400, json={"error": "invalid_grant", "error_description": "reused"}
            )
        self.live.discard(token)
        self.refreshes += 1
        return httpx2.Response(200, json=self.issue())

    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self.handler)


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps entries in a dict; `refuse` makes every call fail like a locked one."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.refuse = False

    def _check(self) -> None:
        if self.refuse:
            from keyring.errors import KeyringLocked

            raise KeyringLocked("locked")

    def get_password(self, service: str, username: str) -> str | None:
        self._check()
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._check()
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self._check()
        if self.entries.pop((service, username), None) is None:
            raise PasswordDeleteError("not found")
