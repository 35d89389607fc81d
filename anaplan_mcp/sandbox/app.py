"""The sandbox: CloudWorks v2, the read-only Integration API and the auth service on one app."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from anaplan_mcp.sandbox import persist
from anaplan_mcp.sandbox.admin import admin_routes
from anaplan_mcp.sandbox.auth import TokenService, bearer_token
from anaplan_mcp.sandbox.certificates import seeded_certificate
from anaplan_mcp.sandbox.clock import Clock
from anaplan_mcp.sandbox.faults import FaultInjector
from anaplan_mcp.sandbox.oauth import OAuthService
from anaplan_mcp.sandbox.oauth_routes import oauth_admin_routes, oauth_routes
from anaplan_mcp.sandbox.responses import error_response, html_not_found
from anaplan_mcp.sandbox.routes_connections import connection_routes
from anaplan_mcp.sandbox.routes_flows import flow_routes
from anaplan_mcp.sandbox.routes_integrations import integration_routes
from anaplan_mcp.sandbox.routes_models import model_routes
from anaplan_mcp.sandbox.routes_notifications import notification_routes
from anaplan_mcp.sandbox.routes_runs import run_routes
from anaplan_mcp.sandbox.routes_schedules import schedule_routes
from anaplan_mcp.sandbox.seed import seed_tenant
from anaplan_mcp.sandbox.store import TENANT_MAX_INTEGRATIONS, Store

logger = logging.getLogger(__name__)


@dataclass
class SandboxConfig:
    """How a sandbox behaves; every field has a default that suits demos and tests."""

    state_file: Path | None = None
    seed_integrations: int | None = None  # scale the tenant up to N integrations (<= 500 w/ flows)
    run_seconds: float = 5.0  # how long a simulated run takes on the sandbox clock
    token_lifetime_seconds: float = 35 * 60
    page_size_cap: int = 100  # silent server-side cap of `limit` (contract §5)

    def __post_init__(self) -> None:
        if self.seed_integrations is not None and not 0 <= self.seed_integrations <= 500:
            raise ValueError(f"seed_integrations must be 0-{TENANT_MAX_INTEGRATIONS}")
        if self.page_size_cap < 1 or self.run_seconds < 0:
            raise ValueError("page_size_cap must be >= 1 and run_seconds >= 0")


class Sandbox:
    """A seeded CloudWorks tenant behind one ASGI app (`app`), with its clock, tokens and faults."""

    def __init__(self, config: SandboxConfig | None = None, *, clock: Clock | None = None) -> None:
        self.config = config or SandboxConfig()
        self.clock = clock or Clock()
        self.tokens = TokenService(self.clock, lifetime_seconds=self.config.token_lifetime_seconds)
        self.tokens.register_certificate(seeded_certificate()[0])
        self.oauth = OAuthService(self.clock, lifetime_seconds=self.config.token_lifetime_seconds)
        self.faults = FaultInjector(clock=self.clock)
        self._saved: tuple[int, int, Any] | None = None
        self.store = self._load_or_seed()
        starlette = Starlette(
            routes=self._routes(),
            exception_handlers={404: _not_found, 405: self._method_not_allowed},
        )
        self.app: ASGIApp = self.faults.wrap(_SaveBeforeAnswer(self, starlette))

    def reset(self) -> None:
        """Back to the seeded tenant; faults, the request log, tokens and OAuth grants cleared."""
        self.store = self._seeded_store()
        self.faults.reset()
        self.tokens.reset()
        self.oauth.reset()
        self.save_if_changed()

    def save_if_changed(self) -> None:
        """Write the state file when the tenant or the tokens changed since the last write."""
        if self.config.state_file is None:
            return
        tokens = self._auth_state()
        fingerprint = (id(self.store), self.store.revision, tokens)
        if fingerprint == self._saved:
            return
        persist.save_state(self.config.state_file, self.store.to_dict(), tokens)
        self._saved = fingerprint

    def authorize(self, request: Request) -> str | None:
        """The user behind the request's token: one from /token/authenticate or an OAuth one."""
        value = bearer_token(request)
        if value is None:
            return None
        return self.tokens.authorize(request) or self.oauth.user_for_access_token(value)

    def _auth_state(self) -> dict[str, Any]:
        # OAuth grants ride along with the issued tokens, so the state file format is unchanged.
        return {**self.tokens.to_state(), "oauth": self.oauth.to_state()}

    def _seeded_store(self) -> Store:
        store = Store()
        seed_tenant(store, self.clock.now(), integrations_total=self.config.seed_integrations)
        return store

    def _load_or_seed(self) -> Store:
        path = self.config.state_file
        loaded = persist.load_state(path) if path is not None else None
        if loaded is None:
            self.store = self._seeded_store()
            self.save_if_changed()
            return self.store
        store_data, tokens = loaded
        self.tokens.load_state(tokens)
        self.oauth.load_state(tokens.get("oauth", {}))
        logger.info("sandbox state loaded from %s", path)
        return Store.from_dict(store_data)

    def _routes(self) -> list[BaseRoute]:
        # Literal paths come before `{integrationId}` so "connections" is never taken for an id.
        return [
            *self.tokens.routes(),
            *oauth_routes(self.oauth),
            *oauth_admin_routes(self.oauth),
            *admin_routes(self),
            *connection_routes(self),
            *notification_routes(self),
            *run_routes(self),
            *integration_routes(self),
            *schedule_routes(self),
            *flow_routes(self),
            *model_routes(self),
        ]

    async def _method_not_allowed(self, request: Request, exc: Exception) -> Response:
        return error_response(request, 405, "Method Not Allowed", self.clock.now())


async def _not_found(request: Request, exc: Exception) -> Response:
    """Unrouted paths answer nginx's HTML 404, not JSON (contract §7.1)."""
    if isinstance(exc, HTTPException) and exc.status_code == 404:
        return html_not_found()
    return html_not_found()


class _SaveBeforeAnswer:
    """Writes the state file before the response starts, so an answered change is on disk."""

    def __init__(self, sandbox: Sandbox, app: ASGIApp) -> None:
        self._sandbox = sandbox
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._sandbox.config.state_file is None:
            await self._app(scope, receive, send)
            return

        async def send_after_saving(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._sandbox.save_if_changed()
            await send(message)

        await self._app(scope, receive, send_after_saving)
