"""OAuth 2.0 sign-in to Anaplan (contract sheet §9.5): the wire client, the rotation rule for
single-use refresh tokens, the desktop store and the `httpx2` auth that uses them.

Layering: cli -> server -> oauth -> cloudworks -> models. `store` (which imports `keyring`) is not
imported here, so that the server's start-up pays for it only when an OAuth client is configured.
"""

from anaplan_mcp.oauth.auth import OAuthAuth
from anaplan_mcp.oauth.client import (
    AnaplanOAuthClient,
    DeviceAuthorization,
    OAuthError,
    OAuthTokens,
    pkce_pair,
)
from anaplan_mcp.oauth.rotation import SignInLost, SignInStore, SignInStoreError, fresh_tokens

__all__ = [
    "AnaplanOAuthClient",
    "DeviceAuthorization",
    "OAuthAuth",
    "OAuthError",
    "OAuthTokens",
    "SignInLost",
    "SignInStore",
    "SignInStoreError",
    "fresh_tokens",
    "pkce_pair",
]
