"""The OAuth service's pieces (contract sheet §9.5): seeded clients, records, errors, rules.

The seeded clients have stable ids on every start: an authorization-code client (confidential)
and a device client (public). A client's redirect URIs are the registered ones, a loopback one on
any port (RFC 8252 7.3) and, for the HTTP server, any http(s) URI ending in
`/oauth/anaplan/callback`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from anaplan_mcp.sandbox.seed_data import USERS, user_guid
from anaplan_mcp.sandbox.store import derived_id

CODE_CLIENT_ID = derived_id("seed", "oauth-client", "authorization-code")
CODE_CLIENT_SECRET = derived_id("seed", "oauth-client-secret", "authorization-code")
DEVICE_CLIENT_ID = derived_id("seed", "oauth-client", "device")

AUTHORIZATION_CODE = "authorization_code"
DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"
REFRESH_TOKEN = "refresh_token"
DEVICE_LIFETIME_SECONDS = 900
DEVICE_INTERVAL_SECONDS = 5
CODE_LIFETIME_SECONDS = 600  # RFC 6749 4.1.2: short-lived, ten minutes at most
DEFAULT_SCOPE = "openid profile email offline_access"
ANY_HOST_CALLBACK = "/oauth/anaplan/callback"  # the HTTP server's callback, on whatever host
_LOOPBACK_HOSTS = ("127.0.0.1", "::1")
USER_CODE_LETTERS = "BCDFGHJKLMNPQRSTVWXZ"  # no vowels, no look-alikes (RFC 8628 6.1)


@dataclass(frozen=True)
class OAuthClient:
    """A registered OAuth client."""

    client_id: str
    name: str
    grants: tuple[str, ...]
    client_secret: str | None = None
    redirect_uris: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uris": list(self.redirect_uris),
            "name": self.name,
        }

    def allows_redirect(self, uri: str) -> bool:
        """A registered URI; a loopback one on any port (RFC 8252 7.3); the HTTP server's callback."""
        if not self.redirect_uris:
            return False
        if uri in self.redirect_uris:
            return True
        try:
            parts = urlsplit(uri)
            parts.port  # noqa: B018 - raises ValueError on a malformed port
        except ValueError:
            return False
        if parts.fragment or parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        if parts.path.endswith(ANY_HOST_CALLBACK):
            return True
        if parts.scheme != "http" or parts.hostname not in _LOOPBACK_HOSTS:
            return False
        for registered in map(urlsplit, self.redirect_uris):
            if registered.hostname in _LOOPBACK_HOSTS and (registered.path, registered.query) == (
                parts.path,
                parts.query,
            ):
                return True
        return False


CLIENTS = {
    client.client_id: client
    for client in (
        OAuthClient(
            CODE_CLIENT_ID,
            "anaplan-mcp (authorization code)",
            (AUTHORIZATION_CODE, REFRESH_TOKEN),
            CODE_CLIENT_SECRET,
            ("http://127.0.0.1:8976/callback", "http://localhost:8976/callback"),
        ),
        OAuthClient(DEVICE_CLIENT_ID, "anaplan-mcp (device)", (DEVICE_CODE, REFRESH_TOKEN)),
    )
}


class OAuthError(Exception):
    """An RFC 6749/8628 error; with `redirect_uri` it goes back to the client by redirect."""

    def __init__(
        self, error: str, description: str, *, status: int = 400, redirect_uri: str = ""
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.redirect_uri = redirect_uri


@dataclass
class Pending:
    """A sign-in waiting for a user: a device code, or an authorization shown on the login form."""

    user_code: str
    kind: str  # "device" | "authorization"
    client_id: str
    scope: str
    expires_at: float
    device_key: str = ""  # digest of the device code
    interval: int = DEVICE_INTERVAL_SECONDS
    last_poll: float | None = None
    redirect_uri: str = ""
    state: str | None = None
    code_challenge: str | None = None
    challenge_method: str = "plain"
    user_id: str | None = None  # a device code approved, not yet collected
    denied: bool = False


@dataclass
class Code:
    """An authorization code handed out by redirect; single-use."""

    client_id: str
    user_id: str
    scope: str
    redirect_uri: str
    expires_at: float
    code_challenge: str | None = None
    challenge_method: str = "plain"
    family: str = ""  # set once exchanged, so a replay can revoke what it produced
    used: bool = False


@dataclass
class Grant:
    """An issued access or refresh token; `family` is the sign-in it descends from."""

    kind: str  # "access" | "refresh"
    client_id: str
    user_id: str
    scope: str
    family: str
    expires_at: float | None = None  # refresh tokens do not expire here
    used: bool = False


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def seeded_user(username: str) -> str | None:
    """The seeded user named by email (any case) or by user guid, else None."""
    wanted = username.strip().lower()
    return next((u for u in USERS if wanted in (u.lower(), user_guid(u))), None)


def with_query(uri: str, **params: str | None) -> str:
    """`uri` with `params` added to its query (None values left out)."""
    parts = urlsplit(uri)
    query = parse_qsl(parts.query) + [(k, v) for k, v in params.items() if v is not None]
    return urlunsplit(parts._replace(query=urlencode(query)))


def normal_code(user_code: str) -> str:
    return "".join(ch for ch in user_code.upper() if ch.isalnum())


def granted_scope(requested: str | None) -> str:
    # Anaplan drops "profile" from the scope it grants (contract sheet §9.5).
    words = (requested or DEFAULT_SCOPE).split()
    return " ".join(word for word in dict.fromkeys(words) if word != "profile")


def required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise OAuthError("invalid_request", f"{name} is required")
    return value


def authenticated_client(
    clients: Mapping[str, OAuthClient], params: Mapping[str, str], basic: tuple[str, str] | None
) -> OAuthClient:
    """The client a token request authenticates as (HTTP Basic, else the body, RFC 6749 2.3.1)."""
    client_id, secret = basic or (params.get("client_id"), params.get("client_secret"))
    # RFC 6749 5.2: 401 when the client authenticated with the Authorization header.
    status = 401 if basic else 400
    client = clients.get(client_id or "")
    if client is None:
        raise OAuthError("invalid_client", "Unknown client_id", status=status)
    if client.client_secret is not None and not secrets.compare_digest(
        (secret or "").encode(), client.client_secret.encode()
    ):
        raise OAuthError("invalid_client", "Wrong or missing client_secret", status=status)
    return client


def pkce_matches(challenge: str, method: str, verifier: str | None) -> bool:
    if not verifier:
        return False
    if method == "S256":
        hashed = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        verifier = base64.urlsafe_b64encode(hashed).rstrip(b"=").decode()
    return secrets.compare_digest(verifier, challenge)
