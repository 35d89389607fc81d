"""`serve --transport http --oauth`: one server for a team, each person signed in to Anaplan as themselves.

MCP clients see this server as their OAuth authorization server (metadata, registration and
client ID metadata documents, authorize, token, revoke); the person's sign-in is delegated to
Anaplan OAuth with the server's own Anaplan OAuth client, whose redirect URI is
`<public URL>/oauth/anaplan/callback`. What every replica must see lives in Redis when
ANAPLAN_MCP_REDIS_URL is set (else in this process's memory: one replica only).

    provider.py          the SDK's authorization-server provider, delegating to Anaplan
    client_documents.py  client ID metadata documents, and the redirect URI rule
    signins.py           each person's Anaplan tokens and the rotation rule across replicas
    stores.py            the store protocol, the in-memory store, sealing
    redis_store.py       the Redis store
    web.py               token check, routes, the per-call identity, 503 on store faults
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mcp.server.auth.settings import AuthSettings
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from anaplan_mcp.settings import Settings, SettingsError

if TYPE_CHECKING:
    from anaplan_mcp.server.authorization.web import PersonVerifier, RunAsPerson

MCP_PATH = "/mcp"


@dataclass
class TeamAuthorization:
    """What `create_server` and `http_app` need to serve a team: built by `team_authorization`."""

    public_url: str
    auth: AuthSettings
    verifier: PersonVerifier
    middleware: RunAsPerson
    routes: list[BaseRoute]
    shared: bool  # the store is Redis: any number of replicas
    # What holds connections (the store, the Anaplan OAuth client, the client that asks Anaplan
    # who signed in): closed when the app stops, after the last request it served.
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def install(self, app: Starlette) -> None:
        """Add the authorization server's routes (first: its metadata wins) and the 503 layer,
        and close what the authorization server holds when the app's lifespan ends."""
        from anaplan_mcp.server.authorization.web import StoreFaults

        app.router.routes[0:0] = self.routes
        app.add_middleware(StoreFaults)
        inner = app.router.lifespan_context

        @asynccontextmanager
        async def lifespan(app: Any) -> AsyncIterator[Any]:
            try:
                async with inner(app) as state:
                    yield state
            finally:
                await self.aclose()

        app.router.lifespan_context = lifespan

    async def aclose(self) -> None:
        """Close every connection it holds; each is closed even when another fails to."""
        async with AsyncExitStack() as stack:
            for close in self.closers:
                stack.push_async_callback(close)


ONE_REPLICA_NOTE = (
    "anaplan-mcp: --oauth without ANAPLAN_MCP_REDIS_URL keeps sign-ins in this process's memory: "
    "run it as ONE replica (set ANAPLAN_MCP_REDIS_URL to share them between replicas)"
)


def team_authorization(settings: Settings) -> TeamAuthorization:
    """The authorization server for `settings`; `SettingsError` names what is missing."""
    from anaplan_mcp.cloudworks import PassthroughAuth
    from anaplan_mcp.oauth.client import AnaplanOAuthClient
    from anaplan_mcp.server.app import open_client
    from anaplan_mcp.server.authorization.client_documents import ClientDocuments
    from anaplan_mcp.server.authorization.provider import AnaplanDelegatingProvider
    from anaplan_mcp.server.authorization.signins import SignIns
    from anaplan_mcp.server.authorization.stores import AuthorizationStore, MemoryStore, Sealer
    from anaplan_mcp.server.authorization.web import (
        PersonVerifier,
        RunAsPerson,
        authorization_routes,
    )

    if not settings.public_url:
        raise SettingsError(
            "ANAPLAN_MCP_PUBLIC_URL is needed with --oauth: the URL clients reach the server at, "
            "e.g. https://mcp.example.com (it is the token audience and in the metadata)"
        )
    if not settings.oauth_client_id:
        raise SettingsError(
            "ANAPLAN_OAUTH_CLIENT_ID is needed with --oauth: register an OAuth client in Anaplan "
            f"Administration with the redirect URI {settings.public_url}/oauth/anaplan/callback"
        )
    state_key = settings.state_key.get_secret_value() if settings.state_key else None
    store: AuthorizationStore
    if settings.redis_url:
        if not state_key:
            raise SettingsError(
                "ANAPLAN_MCP_STATE_KEY is needed with ANAPLAN_MCP_REDIS_URL: every replica seals "
                "the Anaplan tokens it keeps with a key derived from it (the same on each)"
            )
        from anaplan_mcp.server.authorization.redis_store import RedisStore

        store = RedisStore(settings.redis_url.get_secret_value())
    else:
        store = MemoryStore()
    secret = settings.oauth_client_secret
    oauth = AnaplanOAuthClient(
        settings.oauth_url,
        settings.oauth_client_id,
        secret.get_secret_value() if secret else None,
    )
    signins = SignIns(store, Sealer(state_key), oauth)
    client = open_client(settings)

    async def identify(token: str) -> tuple[str, str]:
        with PassthroughAuth.using(token):
            me = await client.get_me()
        return me.id, me.email or me.id

    # Validated by the SDK's own model, so the issuer is spelt the same in both metadata documents
    # (no trailing slash added) and clients comparing them agree.
    auth = AuthSettings.model_validate(
        {
            "issuer_url": settings.public_url,
            "resource_server_url": settings.public_url + MCP_PATH,
            "validate_token_resource": True,  # audience = this server's resource URL
        }
    )
    provider = AnaplanDelegatingProvider(
        store=store,
        signins=signins,
        oauth=oauth,
        identify=identify,
        public_url=str(auth.issuer_url),  # as the metadata spells it: the `iss` it sends
        resource_url=settings.public_url + MCP_PATH,
        documents=ClientDocuments(store),
    )
    return TeamAuthorization(
        public_url=settings.public_url,
        auth=auth,
        verifier=PersonVerifier(provider, signins),
        middleware=RunAsPerson(signins),
        routes=authorization_routes(provider, auth.issuer_url),
        shared=bool(settings.redis_url),
        closers=[store.aclose, oauth.aclose, client.aclose],
    )
