"""The HTTP side of `serve --oauth`: token checks, the routes the SDK lacks, 503 when the store is gone.

The SDK provides the bearer middleware (401 with `WWW-Authenticate: Bearer ... resource_metadata=`
for a missing, unknown, expired or foreign-audience token), the protected resource metadata and
the authorization server's handlers. Written here: the token check that also finds the person's
Anaplan sign-in (`PersonVerifier`), the authorization server metadata with client ID metadata
documents advertised, Anaplan's callback, the tool-call middleware that runs each call as its
person, and `StoreFaults`, which answers 503 when Redis (or Anaplan's OAuth service) is away.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from mcp.server.auth.handlers.metadata import MetadataHandler
from mcp.server.auth.middleware.client_auth import AuthenticationError, ClientAuthenticator
from mcp.server.auth.routes import (
    REVOCATION_PATH,
    build_metadata,
    cors_middleware,
    create_auth_routes,
)
from mcp.server.auth.settings import ClientRegistrationOptions, RevocationOptions
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from pydantic import AnyHttpUrl, SecretStr
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from anaplan_mcp.cloudworks import PassthroughAuth
from anaplan_mcp.cloudworks.errors import CloudWorksError
from anaplan_mcp.oauth.client import OAuthError
from anaplan_mcp.oauth.rotation import SignInLost
from anaplan_mcp.server.audit import acting_for
from anaplan_mcp.server.authorization.provider import CALLBACK_PATH, AnaplanDelegatingProvider
from anaplan_mcp.server.authorization.records import PersonAccessToken
from anaplan_mcp.server.authorization.signins import SignIns
from anaplan_mcp.server.authorization.stores import StoreUnavailable
from anaplan_mcp.server.errors import PERSON_REFUSED

logger = logging.getLogger(__name__)

METADATA_PATH = "/.well-known/oauth-authorization-server"
REGISTRATION = ClientRegistrationOptions(enabled=True)
REVOCATION = RevocationOptions(enabled=True)


class PersonVerifier:
    """`TokenVerifier`: an MCP access token -> the person -> their fresh Anaplan access token.

    None (a 401 from the SDK's middleware) when the token is unknown or expired, or when the
    person's Anaplan sign-in has ended (refresh refused, forgotten): their session ends there,
    with a 401 the client answers by signing in again, not with a tool error.
    """

    def __init__(self, provider: AnaplanDelegatingProvider, signins: SignIns) -> None:
        self._provider, self._signins = provider, signins

    async def verify_token(self, token: str) -> PersonAccessToken | None:
        found = await self._provider.load_access_token(token)
        if found is None or not found.subject:
            return None
        try:
            anaplan = await self._signins.access_token(found.subject)
        except SignInLost as exc:
            logger.info("sign-in of %s ended: %s", found.email or found.subject, exc)
            return None
        return found.model_copy(update={"anaplan_token": SecretStr(anaplan)})


class RunAsPerson:
    """`ServerMiddleware`: each request's Anaplan calls carry its person's own token, and the
    audit lines it writes name that person. When Anaplan refuses that token, the sign-in is
    marked for renewal once the call has answered (`SignIns.reject`)."""

    def __init__(self, signins: SignIns) -> None:
        self._signins = signins

    async def __call__(
        self, ctx: ServerRequestContext[Any, Any], call_next: CallNext
    ) -> HandlerResult:
        request = ctx.request
        scope = getattr(request, "scope", None) or {}
        user = scope.get("user")
        token = getattr(user, "access_token", None)
        if not isinstance(token, PersonAccessToken):
            # Never reached behind the bearer middleware; without a person there is no token
            # to send, and PassthroughAuth refuses the call as unauthenticated.
            return await call_next(ctx)
        refused: list[bool] = []
        with _as_person(token, lambda: refused.append(True)):
            result = await call_next(ctx)
        if refused and token.subject:
            try:
                await self._signins.reject(token.subject, token.anaplan_token.get_secret_value())
            except StoreUnavailable as exc:
                # The answer stands; the sign-in is renewed when Anaplan refuses it next time.
                logger.warning("could not mark the sign-in of %s for renewal: %s", token.email, exc)
        return result


@contextmanager
def _as_person(token: PersonAccessToken, on_refusal: Callable[[], None]) -> Iterator[None]:
    marked = PERSON_REFUSED.set(on_refusal)
    try:
        with (
            PassthroughAuth.using(token.anaplan_token.get_secret_value()),
            acting_for(token.email or token.subject or "?"),
        ):
            yield
    finally:
        PERSON_REFUSED.reset(marked)


def authorization_routes(
    provider: AnaplanDelegatingProvider, issuer: AnyHttpUrl
) -> list[BaseRoute]:
    """The authorization server's routes: the SDK's, with the metadata advertising client ID
    metadata documents (first, so it wins over the SDK's), and Anaplan's callback."""
    metadata = build_metadata(issuer, None, REGISTRATION, REVOCATION)
    metadata.client_id_metadata_document_supported = True
    metadata.authorization_response_iss_parameter_supported = (
        True  # AnaplanDelegatingProvider.issuer
    )
    ours = Route(
        METADATA_PATH,
        endpoint=cors_middleware(MetadataHandler(metadata).handle, ["GET", "OPTIONS"]),
        methods=["GET", "OPTIONS"],
    )

    async def callback(request: Request) -> Response:
        query = request.query_params
        try:
            target = await provider.complete(
                query.get("state", ""), query.get("code"), query.get("error")
            )
        except OAuthError as exc:
            logger.info("Anaplan refused the sign-in: %s", exc.error)
            return _page(400, f"Anaplan refused the sign-in ({exc.error}).")
        except CloudWorksError as exc:  # Anaplan unreachable, or /users/me refused
            logger.warning("the sign-in could not be completed: %s", exc)
            return _page(502, "Anaplan could not be reached.")
        if target is None:
            return _page(400, "This sign-in is unknown, expired or already finished.")
        return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})

    sdk = create_auth_routes(
        provider,
        issuer,
        client_registration_options=REGISTRATION,
        revocation_options=RevocationOptions(enabled=False),  # `_revocation` instead
    )
    revoke = Route(
        REVOCATION_PATH,
        endpoint=cors_middleware(_revocation(provider), ["POST", "OPTIONS"]),
        methods=["POST", "OPTIONS"],
    )
    return [ours, *sdk, revoke, Route(CALLBACK_PATH, endpoint=callback, methods=["GET"])]


def _revocation(provider: AnaplanDelegatingProvider) -> Callable[[Request], Awaitable[Response]]:
    """RFC 7009 revocation for every client. The SDK's handler requires a `client_secret` field
    even from a public client, which has none: an MCP client could not sign a person out."""
    authenticator = ClientAuthenticator(provider)

    async def revoke(request: Request) -> Response:
        try:
            client = await authenticator.authenticate_request(request)
        except AuthenticationError as exc:
            return JSONResponse(
                {"error": "invalid_client", "error_description": exc.message}, status_code=401
            )
        token = (await request.form()).get("token")
        if not isinstance(token, str) or not token:
            return JSONResponse(
                {"error": "invalid_request", "error_description": "token is required"},
                status_code=400,
            )
        found = await provider.load_access_token(token) or await provider.load_refresh_token(
            client, token
        )
        if found is not None and found.client_id == client.client_id:
            await provider.revoke_token(found)
        # 200 whether or not the token was known (RFC 7009 2.2): revocation reveals nothing.
        return Response(status_code=200, headers={"Cache-Control": "no-store"})

    return revoke


def _page(status: int, problem: str) -> HTMLResponse:
    """A sign-in that did not complete: what went wrong, and the one way on."""
    text = f"{problem} Start again from your MCP client."
    body = f"<!doctype html><title>anaplan-mcp sign-in</title><p>{html.escape(text)}</p>"
    return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store"})


class StoreFaults:
    """ASGI middleware: `StoreUnavailable` anywhere below becomes a 503 with Retry-After.

    Nothing was done that a repeat would do twice (every store write is one command, and a
    request that failed on the store wrote nothing it acknowledged), so the client may repeat.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except StoreUnavailable as exc:
            logger.warning("answered 503: %s", exc)
            if started:
                raise
            body = json.dumps(
                {"error": "temporarily_unavailable", "error_description": str(exc)}
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 503,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"retry-after", b"2"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
