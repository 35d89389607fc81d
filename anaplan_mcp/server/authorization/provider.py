"""The authorization server MCP clients see, delegating each person's sign-in to Anaplan OAuth.

The SDK's handlers (metadata, /authorize, /token, /register, /revoke) call this provider. A client
is sent from /authorize to Anaplan's sign-in page (SSO included) with the server's own Anaplan
OAuth client; Anaplan sends the person back to `/oauth/anaplan/callback`, where the server
exchanges Anaplan's code, learns who signed in (`/users/me`), keeps that person's Anaplan tokens
(sealed, in the shared store) and only then gives the MCP client a code of its own. The MCP
client's tokens are this server's: random, bound to its resource URL, never Anaplan's.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationParams,
    AuthorizeError,
    OAuthAuthorizationServerProvider,
    RefreshToken,
    RegistrationError,
    TokenError,
    construct_redirect_uri,
)
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken

from anaplan_mcp.oauth.client import AnaplanOAuthClient, pkce_pair
from anaplan_mcp.server.authorization import records as r
from anaplan_mcp.server.authorization.client_documents import ClientDocuments, redirect_uri_problem
from anaplan_mcp.server.authorization.signins import SignIns
from anaplan_mcp.server.authorization.stores import AuthorizationStore, StoreUnavailable, hashed

logger = logging.getLogger(__name__)

CALLBACK_PATH = "/oauth/anaplan/callback"
Identify = Callable[[str], Awaitable[tuple[str, str]]]  # Anaplan token -> (user GUID, email)


class AnaplanDelegatingProvider(
    OAuthAuthorizationServerProvider[r.Code, RefreshToken, r.PersonAccessToken]
):
    """The SDK's authorization-server provider, with Anaplan's sign-in as its sign-in step."""

    def __init__(
        self,
        *,
        store: AuthorizationStore,
        signins: SignIns,
        oauth: AnaplanOAuthClient,
        identify: Identify,
        public_url: str,
        resource_url: str,
        documents: ClientDocuments,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store, self.signins, self.oauth, self.identify = store, signins, oauth, identify
        # Its authorization responses name it (RFC 9207, which the 2026-07-28 revision asks
        # for), spelt as its metadata spells it: a client keeping several servers apart
        # compares the two strings.
        self.issuer = public_url
        self.callback_url = public_url.rstrip("/") + CALLBACK_PATH
        self.resource_url = resource_url
        self.documents = documents
        self.clock = clock

    # --- clients -------------------------------------------------------------------------

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        if self.documents.is_document_id(client_id):
            return await self.documents.client(client_id)
        text = await self.store.get(f"client:{client_id}")
        return OAuthClientInformationFull.model_validate_json(text) if text else None

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        for uri in client_info.redirect_uris or []:
            problem = redirect_uri_problem(str(uri))
            if problem:
                raise RegistrationError("invalid_redirect_uri", problem)
        await self.store.put(
            f"client:{client_info.client_id}",
            client_info.model_dump_json(),
            ttl=r.CLIENT_SECONDS,
        )

    # --- the person's sign-in, delegated to Anaplan ------------------------------------------

    async def authorize(
        self, client: OAuthClientInformationFull, params: AuthorizationParams
    ) -> str:
        if params.resource and not _same_resource(params.resource, self.resource_url):
            raise AuthorizeError(
                "invalid_target", f"this server issues tokens for {self.resource_url} only"
            )
        verifier, challenge = pkce_pair()
        txn = secrets.token_urlsafe(32)
        pending = r.Pending(client_id=client.client_id, params=params, anaplan_verifier=verifier)
        try:
            await self.store.put(f"pending:{txn}", pending.model_dump_json(), ttl=r.PENDING_SECONDS)
        except StoreUnavailable as exc:
            # The SDK's handler answers any other exception as server_error; this one passes.
            raise AuthorizeError("temporarily_unavailable", str(exc)) from None
        return self.oauth.authorize_url(
            redirect_uri=self.callback_url, state=txn, code_challenge=challenge
        )

    async def complete(self, txn: str, code: str | None, error: str | None) -> str | None:
        """Anaplan's answer for the pending authorization `txn`: the URL to send the browser to
        (the MCP client's redirect URI with a code or an error), or None when `txn` is unknown
        or was already answered (then there is nowhere safe to redirect to)."""
        text = await self.store.take(f"pending:{txn}")
        if text is None:
            return None
        pending = r.Pending.model_validate_json(text)
        back = str(pending.params.redirect_uri)
        if error or not code:
            return construct_redirect_uri(
                back, error=error or "access_denied", state=pending.params.state, iss=self.issuer
            )
        tokens = await self.oauth.exchange_code(
            code, redirect_uri=self.callback_url, code_verifier=pending.anaplan_verifier
        )
        person, email = await self.identify(tokens.access_token)
        signin = self.signins.of(person)
        async with signin.locked():
            # The newest sign-in replaces an older one: its refresh token is the live one.
            await signin.save(tokens)
        ours = secrets.token_urlsafe(32)
        record = r.Code(
            code=ours,
            scopes=pending.params.scopes or [],
            expires_at=self.clock() + r.CODE_SECONDS,
            client_id=pending.client_id,
            code_challenge=pending.params.code_challenge,
            redirect_uri=pending.params.redirect_uri,
            redirect_uri_provided_explicitly=pending.params.redirect_uri_provided_explicitly,
            resource=self.resource_url,
            subject=person,
            email=email,
        )
        await self.store.put(f"code:{hashed(ours)}", record.model_dump_json(), ttl=r.CODE_SECONDS)
        logger.info("signed in %s for client %s", email or person, pending.client_id)
        return construct_redirect_uri(back, code=ours, state=pending.params.state, iss=self.issuer)

    # --- codes and tokens ------------------------------------------------------------------

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> r.Code | None:
        key = hashed(authorization_code)
        text = await self.store.get(f"code:{key}")
        if text is None:
            spent = await self.store.take(f"spent:{key}")
            if spent is not None:
                # A code presented twice was stolen or replayed: what it gave is revoked (RFC 6749 4.1.2).
                pair = r.Spent.model_validate_json(spent)
                await self.store.delete(f"access:{pair.access}", f"refresh:{pair.refresh}")
                logger.warning("an authorization code was replayed; its tokens are revoked")
            return None
        found = r.Code.model_validate_json(text)
        return found if found.client_id == client.client_id else None

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: r.Code
    ) -> OAuthToken:
        key = hashed(authorization_code.code)
        token, spent, _ = await self._exchange(
            f"code:{key}",
            client.client_id,
            authorization_code.scopes,
            authorization_code.subject or "",
            authorization_code.email,
        )
        await self._after_exchange(
            self.store.put(f"spent:{key}", spent.model_dump_json(), ttl=r.SPENT_SECONDS)
        )
        return token

    async def load_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: str
    ) -> RefreshToken | None:
        issued = await self._issued("refresh", refresh_token)
        if issued is None or issued.client_id != client.client_id:
            return None
        return RefreshToken(token=refresh_token, **_granted(issued))

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        issued = await self._issued("refresh", refresh_token.token)
        if issued is None:
            raise TokenError("invalid_grant", "refresh token already used or revoked")
        token, _, spent = await self._exchange(
            f"refresh:{hashed(refresh_token.token)}",
            client.client_id,
            scopes or issued.scopes,
            issued.subject,
            issued.email,
        )
        await self._after_exchange(
            self.store.delete(f"access:{r.Issued.model_validate_json(spent).pair}")
        )
        return token

    async def load_access_token(self, token: str) -> r.PersonAccessToken | None:
        issued = await self._issued("access", token)
        if issued is None:
            return None
        return r.PersonAccessToken(token=token, email=issued.email, **_granted(issued))

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        kind = "refresh" if isinstance(token, RefreshToken) else "access"
        issued = await self._issued(kind, token.token)
        other = "access" if kind == "refresh" else "refresh"
        keys = [f"{kind}:{hashed(token.token)}"]
        if issued is not None:
            keys.append(f"{other}:{issued.pair}")
        await self.store.delete(*keys)

    async def _exchange(
        self, grant: str, client_id: str, scopes: list[str], person: str, email: str
    ) -> tuple[OAuthToken, r.Spent, str]:
        """New tokens for the single-use `grant` (a code or a refresh token's key), which is
        spent in the same step; also what the grant was. The new pair is stored before the
        grant is taken, so a store that goes away between the two leaves the grant usable (the
        client's repeat works), and of two requests racing with it only the taker gets tokens."""
        token, pair = await self._issue(client_id, scopes, person, email)
        taken = await self.store.take(grant)
        if taken is None:
            await self.store.delete(f"access:{pair.access}", f"refresh:{pair.refresh}")
            # Another request (maybe on another replica) spent it first.
            raise TokenError("invalid_grant", "this code or refresh token was already used")
        return token, pair, taken

    async def _after_exchange(self, bookkeeping: Awaitable[None]) -> None:
        """Bookkeeping after a grant was spent: the client gets its tokens (already stored) even
        if the store goes away now, as a 503 would lose the grant it just spent."""
        try:
            await bookkeeping
        except StoreUnavailable as exc:
            logger.warning("tokens issued, bookkeeping skipped: %s", exc)

    async def _issued(self, kind: str, token: str) -> r.Issued | None:
        text = await self.store.get(f"{kind}:{hashed(token)}")
        if text is None:
            return None
        issued = r.Issued.model_validate_json(text)
        return issued if issued.expires_at > self.clock() else None

    async def _issue(
        self, client_id: str, scopes: list[str], person: str, email: str
    ) -> tuple[OAuthToken, r.Spent]:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = int(self.clock())
        common = {
            "client_id": client_id,
            "scopes": scopes,
            "resource": self.resource_url,
            "subject": person,
            "email": email,
        }
        access_record = r.Issued(**common, expires_at=now + r.ACCESS_SECONDS, pair=hashed(refresh))
        refresh_record = r.Issued(**common, expires_at=now + r.REFRESH_SECONDS, pair=hashed(access))
        await self.store.put(
            f"refresh:{hashed(refresh)}", refresh_record.model_dump_json(), ttl=r.REFRESH_SECONDS
        )
        await self.store.put(
            f"access:{hashed(access)}", access_record.model_dump_json(), ttl=r.ACCESS_SECONDS
        )
        token = OAuthToken(
            access_token=access,
            token_type="Bearer",
            expires_in=r.ACCESS_SECONDS,
            refresh_token=refresh,
            scope=" ".join(scopes) or None,
        )
        return token, r.Spent(access=hashed(access), refresh=hashed(refresh))


def _same_resource(given: str, ours: str) -> bool:
    return given.rstrip("/") == ours.rstrip("/")


def _granted(issued: r.Issued) -> dict[str, Any]:
    """What the SDK's token objects carry of a stored grant (its token value aside)."""
    return issued.model_dump(include={"client_id", "scopes", "expires_at", "resource", "subject"})
