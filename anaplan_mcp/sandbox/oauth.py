"""The sandbox's OAuth 2.0 service (contract sheet §9.5): the grants, without the HTTP.

The seeded clients (`CODE_CLIENT_ID` with `CODE_CLIENT_SECRET`, `DEVICE_CLIENT_ID`) and the records
are in `oauth_model.py`; PKCE (S256 or plain) is checked when the authorize request had a
challenge. Access tokens live 35 minutes on the sandbox clock. Refresh tokens
rotate and are single-use: a reused one is refused (`invalid_grant`) and, while
`reuse_revokes_family` is on (the default), also revokes every token descended from the same
sign-in, as services that detect reuse do. Tokens, codes and device codes are kept only as
SHA-256 digests, so neither the state file nor any listing holds a usable value.
`oauth_routes.py` serves this on the wire; the login pages are in `oauth_pages.py`.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from anaplan_mcp.sandbox.clock import Clock
from anaplan_mcp.sandbox.oauth_model import (
    AUTHORIZATION_CODE,
    CLIENTS,
    CODE_CLIENT_ID,
    CODE_CLIENT_SECRET,
    CODE_LIFETIME_SECONDS,
    DEVICE_CLIENT_ID,
    DEVICE_CODE,
    DEVICE_LIFETIME_SECONDS,
    REFRESH_TOKEN,
    USER_CODE_LETTERS,
    Code,
    Grant,
    OAuthClient,
    OAuthError,
    Pending,
    authenticated_client,
    digest,
    granted_scope,
    normal_code,
    pkce_matches,
    required,
    seeded_user,
    with_query,
)

__all__ = [
    "CODE_CLIENT_ID",
    "CODE_CLIENT_SECRET",
    "DEVICE_CLIENT_ID",
    "OAuthError",
    "OAuthService",
    "Pending",
    "seeded_user",
]


class OAuthService:
    """Pending sign-ins, codes and tokens on the sandbox clock."""

    def __init__(self, clock: Clock, *, lifetime_seconds: float = 35 * 60) -> None:
        self.clock = clock
        self.lifetime_seconds = lifetime_seconds
        self.clients = CLIENTS
        self.reset()

    def reset(self) -> None:
        """Forget every sign-in, code, token and count; reuse detection back to its default."""
        self.pending: dict[str, Pending] = {}
        self.codes: dict[str, Code] = {}
        self.grants: dict[str, Grant] = {}
        self.refreshes = 0
        self.reuses = 0
        self.reuse_revokes_family = True

    # --- what the API routes and admin routes ask
    def user_for_access_token(self, value: str) -> str | None:
        grant = self.grants.get(digest(value))
        if grant is None or grant.kind != "access" or grant.expires_at is None:
            return None
        return grant.user_id if grant.expires_at > self.clock.timestamp() else None

    def expire_all(self) -> None:
        now = self.clock.timestamp()
        for grant in self.grants.values():
            if grant.kind == "access" and grant.expires_at is not None:
                grant.expires_at = min(grant.expires_at, now)

    def waiting(self) -> list[Pending]:
        """Sign-ins still waiting for a user's decision."""
        now = self.clock.timestamp()
        return [
            p
            for p in self.pending.values()
            if p.expires_at > now and p.user_id is None and not p.denied
        ]

    def client(self, client_id: str | None) -> OAuthClient:
        client = self.clients.get(client_id or "")
        if client is None:
            raise OAuthError("invalid_client", "Unknown client_id")
        return client

    # --- the device grant's first step, the authorize endpoint and a user's decision
    def start_device(self, client_id: str | None, scope: str | None) -> tuple[str, Pending]:
        """A new device code (returned once, in clear) and its pending sign-in."""
        client = self.client(client_id)
        if DEVICE_CODE not in client.grants:
            raise OAuthError("unauthorized_client", "This client may not use the device grant")
        device_code = secrets.token_urlsafe(32)
        pending = Pending(
            self._new_user_code(), "device", client.client_id, granted_scope(scope),
            self.clock.timestamp() + DEVICE_LIFETIME_SECONDS, device_key=digest(device_code),
        )  # fmt: skip
        self.pending[pending.user_code] = pending
        return device_code, pending

    def start_authorization(self, query: Mapping[str, str]) -> Pending:
        """Check an authorize request; errors without `redirect_uri` must not redirect."""
        client = self.clients.get(query.get("client_id", ""))
        if client is None or AUTHORIZATION_CODE not in client.grants:
            raise OAuthError(
                "invalid_client", "Unknown client_id, or not an authorization-code client"
            )
        redirect_uri = query.get("redirect_uri", "")
        if not client.allows_redirect(redirect_uri):
            raise OAuthError("invalid_request", "redirect_uri is not registered for this client")
        state = query.get("state")

        def refuse(error: str, description: str) -> OAuthError:
            return OAuthError(error, description, redirect_uri=with_query(
                redirect_uri, error=error, error_description=description, state=state))  # fmt: skip

        if query.get("response_type") != "code":
            raise refuse("unsupported_response_type", "response_type must be code")
        challenge = query.get("code_challenge") or None
        method = query.get("code_challenge_method") or "plain"
        if method not in ("S256", "plain"):
            raise refuse("invalid_request", "code_challenge_method must be S256 or plain")
        if challenge is not None and not 43 <= len(challenge) <= 128:
            raise refuse("invalid_request", "code_challenge must be 43-128 characters")
        pending = Pending(
            self._new_user_code(), "authorization", client.client_id,
            granted_scope(query.get("scope")), self.clock.timestamp() + CODE_LIFETIME_SECONDS,
            redirect_uri=redirect_uri, state=state, code_challenge=challenge,
            challenge_method=method,
        )  # fmt: skip
        self.pending[pending.user_code] = pending
        return pending

    def find_waiting(self, user_code: str) -> Pending | None:
        wanted = normal_code(user_code)
        return next((p for p in self.waiting() if normal_code(p.user_code) == wanted), None)

    def decide(self, pending: Pending, user_id: str, *, deny: bool = False) -> str | None:
        """Approve or deny; for an authorization, where the browser goes next."""
        if pending.kind == "device":
            pending.denied = deny
            pending.user_id = None if deny else user_id
            return None
        del self.pending[pending.user_code]
        if deny:
            return with_query(pending.redirect_uri, error="access_denied", state=pending.state)
        code, now = secrets.token_urlsafe(32), self.clock.timestamp()
        # Codes long expired cannot be exchanged nor meaningfully replayed any more.
        self.codes = {k: c for k, c in self.codes.items() if c.expires_at > now - 3600}
        self.codes[digest(code)] = Code(
            pending.client_id, user_id, pending.scope, pending.redirect_uri,
            now + CODE_LIFETIME_SECONDS, pending.code_challenge,
            pending.challenge_method,
        )  # fmt: skip
        return with_query(pending.redirect_uri, code=code, state=pending.state)

    # --- the token endpoint
    def token(self, params: Mapping[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        """Answer a token request (RFC 6749 §5, RFC 8628 §3.4); raises `OAuthError`."""
        grant_type = required(params, "grant_type")
        client = authenticated_client(self.clients, params, basic)
        if grant_type not in (AUTHORIZATION_CODE, DEVICE_CODE, REFRESH_TOKEN):
            raise OAuthError("unsupported_grant_type", f"Unsupported grant_type {grant_type!r}")
        if grant_type not in client.grants:
            raise OAuthError("unauthorized_client", f"This client may not use {grant_type}")
        if grant_type == AUTHORIZATION_CODE:
            return self._exchange_code(client, params)
        if grant_type == DEVICE_CODE:
            return self._collect_device(client, required(params, "device_code"))
        return self._rotate(client, required(params, "refresh_token"))

    def _exchange_code(self, client: OAuthClient, params: Mapping[str, str]) -> dict[str, Any]:
        code = self.codes.get(digest(required(params, "code")))
        if code is None or code.client_id != client.client_id:
            raise OAuthError("invalid_grant", "Unknown authorization code")
        if code.used:
            # RFC 6749 4.1.2: a replayed code should revoke what it was exchanged for.
            if self.reuse_revokes_family:
                self._revoke_family(code.family)
            raise OAuthError("invalid_grant", "Authorization code already used")
        code.used = True
        if code.expires_at <= self.clock.timestamp():
            raise OAuthError("invalid_grant", "Authorization code expired")
        if params.get("redirect_uri") != code.redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri differs from the authorize request")
        if code.code_challenge is not None and not pkce_matches(
            code.code_challenge, code.challenge_method, params.get("code_verifier")
        ):
            raise OAuthError("invalid_grant", "code_verifier does not match the code_challenge")
        code.family = uuid.uuid4().hex
        return self._issue(client, code.user_id, code.scope, code.family)

    def _collect_device(self, client: OAuthClient, device_code: str) -> dict[str, Any]:
        key = digest(device_code)
        pending = next((p for p in self.pending.values() if p.device_key == key), None)
        if pending is None or pending.client_id != client.client_id:
            raise OAuthError("invalid_grant", "Unknown or already used device_code")
        now = self.clock.timestamp()
        if now >= pending.expires_at:
            raise OAuthError("expired_token", "The device code has expired; start again")
        if pending.denied:
            raise OAuthError("access_denied", "The user denied the sign-in")
        too_soon = pending.last_poll is not None and now - pending.last_poll < pending.interval
        pending.last_poll = now
        if too_soon:
            pending.interval += 5  # RFC 8628 3.5: every later poll waits 5 s more
            raise OAuthError("slow_down", f"Poll at most every {pending.interval} seconds")
        if pending.user_id is None:
            raise OAuthError("authorization_pending", "The user has not approved yet")
        del self.pending[pending.user_code]
        return self._issue(client, pending.user_id, pending.scope, uuid.uuid4().hex)

    def _rotate(self, client: OAuthClient, refresh_token: str) -> dict[str, Any]:
        grant = self.grants.get(digest(refresh_token))
        if grant is None or grant.kind != "refresh" or grant.client_id != client.client_id:
            raise OAuthError("invalid_grant", "Unknown or revoked refresh token")
        if grant.used:
            self.reuses += 1
            if self.reuse_revokes_family:
                self._revoke_family(grant.family)
            raise OAuthError("invalid_grant", "Refresh token already used")
        grant.used = True
        self.refreshes += 1
        return self._issue(client, grant.user_id, grant.scope, grant.family)

    def _issue(self, client: OAuthClient, user_id: str, scope: str, family: str) -> dict[str, Any]:
        now = self.clock.timestamp()
        # Expired access tokens are useless: drop them so the state file stays small.
        self.grants = {
            k: g for k, g in self.grants.items() if g.expires_at is None or g.expires_at > now
        }
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(48)
        common = (client.client_id, user_id, scope, family)
        self.grants[digest(access)] = Grant("access", *common, now + self.lifetime_seconds)
        self.grants[digest(refresh)] = Grant("refresh", *common)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": int(self.lifetime_seconds),
            "token_type": "Bearer",
            "scope": scope,
        }

    def _revoke_family(self, family: str) -> None:
        if family:
            self.grants = {k: g for k, g in self.grants.items() if g.family != family}

    def _new_user_code(self) -> str:
        # Sign-ins abandoned long ago go, so the state file does not grow; a recently expired
        # device code stays a while to answer `expired_token` rather than `invalid_grant`.
        horizon = self.clock.timestamp() - DEVICE_LIFETIME_SECONDS
        self.pending = {k: p for k, p in self.pending.items() if p.expires_at > horizon}
        while True:
            letters = "".join(secrets.choice(USER_CODE_LETTERS) for _ in range(8))
            code = f"{letters[:4]}-{letters[4:]}"
            if code not in self.pending:
                return code

    # --- the sandbox state file
    def to_state(self) -> dict[str, Any]:
        return {
            "pending": [asdict(p) for p in self.pending.values()],
            "codes": {k: asdict(c) for k, c in self.codes.items()},
            "grants": {k: asdict(g) for k, g in self.grants.items()},
            "refreshes": self.refreshes,
            "reuses": self.reuses,
            "reuse_revokes_family": self.reuse_revokes_family,
        }

    def load_state(self, data: Mapping[str, Any]) -> None:
        self.reset()
        self.pending = {p["user_code"]: Pending(**p) for p in data.get("pending", [])}
        self.codes = {k: Code(**c) for k, c in data.get("codes", {}).items()}
        self.grants = {k: Grant(**g) for k, g in data.get("grants", {}).items()}
        self.refreshes = int(data.get("refreshes", 0))
        self.reuses = int(data.get("reuses", 0))
        self.reuse_revokes_family = bool(data.get("reuse_revokes_family", True))
