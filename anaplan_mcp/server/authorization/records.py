"""What the authorization server keeps about clients, pending sign-ins and the tokens it issued.

These are the SDK's own models (`AuthorizationCode`, `AccessToken`, `RefreshToken`) with the few
fields the delegation to Anaplan adds. Tokens are kept under their hash (`stores.hashed`), so
the models below never hold a token's value while stored.
"""

from __future__ import annotations

from mcp.server.auth.provider import AccessToken, AuthorizationCode, AuthorizationParams
from pydantic import BaseModel, Field, SecretStr

# Lifetimes (seconds). Access tokens are short so that a sign-in ended at Anaplan, or a revoked
# client, stops working soon even on a replica that could not be told.
PENDING_SECONDS = 10 * 60.0  # the person has this long to sign in at Anaplan
CODE_SECONDS = 5 * 60.0
ACCESS_SECONDS = 30 * 60
REFRESH_SECONDS = 30 * 24 * 3600
CLIENT_SECONDS = 365 * 24 * 3600.0  # a registered client unused for a year registers again
SPENT_SECONDS = CODE_SECONDS  # a spent code is remembered as long as it could be replayed


class Pending(BaseModel):
    """An authorization sent to Anaplan, waiting for the person to come back to the callback."""

    client_id: str
    params: AuthorizationParams
    anaplan_verifier: str  # the PKCE verifier of the server's own request to Anaplan


class Code(AuthorizationCode):
    """An authorization code, bound to the person (`subject`, their Anaplan user GUID)."""

    email: str = ""


class Issued(BaseModel):
    """An access or refresh token as stored: who it is for, and the token issued with it."""

    client_id: str
    scopes: list[str]
    expires_at: int
    resource: str
    subject: str
    email: str = ""
    pair: str  # the hash of the other token of the pair, revoked together


class Spent(BaseModel):
    """A code already exchanged: the tokens it gave, revoked if the code is presented again."""

    access: str
    refresh: str


class PersonAccessToken(AccessToken):
    """The verified MCP access token of a request, with the person's fresh Anaplan token.

    It lives only in the request (the bearer middleware's scope); the Anaplan token is never
    stored in it, serialised or shown.
    """

    email: str = ""
    anaplan_token: SecretStr = Field(default=SecretStr(""), exclude=True, repr=False)
