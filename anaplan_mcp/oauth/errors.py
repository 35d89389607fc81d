"""What goes wrong in an OAuth sign-in, each as one line that names the fix and never a token.

The fixes a person is given are written here once: where OAuth clients are registered, and
`anaplan-mcp login` again for a sign-in that has ended.
"""

from __future__ import annotations

from anaplan_mcp.cloudworks.errors import APIConnectionError, CloudWorksError

# Where a tenant administrator registers OAuth clients (and finds their ids and secrets).
REGISTER_AT = "Anaplan Administration > Security > OAuth Clients"
LOGIN_AGAIN = "run `anaplan-mcp login` again"  # the fix of every sign-in that has ended

_CHECK_URL = "check ANAPLAN_OAUTH_URL (the OAuth host is {region}.app.anaplan.com)"
# What a person does about each error code; the service's own description follows when it has one.
_ADVICE = {
    "invalid_client": "the OAuth client is unknown or its secret is wrong: check "
    f"ANAPLAN_OAUTH_CLIENT_ID and ANAPLAN_OAUTH_CLIENT_SECRET ({REGISTER_AT})",
    "unauthorized_client": "this OAuth client may not use this grant: use an authorization-code "
    "client for `anaplan-mcp login` and a device-grant client for `anaplan-mcp login --device`",
    "invalid_grant": f"the sign-in has ended or was already used: {LOGIN_AGAIN}",
    "access_denied": f"the sign-in was denied: {LOGIN_AGAIN} and allow access",
    "expired_token": "the device code expired before it was approved: run "
    "`anaplan-mcp login --device` again and approve it sooner",
    "invalid_scope": f"the service refused the requested scope; check the OAuth client in {REGISTER_AT}",
    "unsupported_grant_type": "the service does not offer this grant at ANAPLAN_OAUTH_URL; "
    f"{_CHECK_URL}",
    "invalid_request": "the service refused the request as malformed; check ANAPLAN_OAUTH_URL",
    "no_refresh_token": f"allow the offline_access scope for the OAuth client in {REGISTER_AT}",
    "invalid_response": _CHECK_URL,
}
# Any other code: the client's registration is where a person can look.
_OTHER = f"check the OAuth client in {REGISTER_AT}, then {LOGIN_AGAIN}"


class OAuthError(CloudWorksError):
    """The OAuth service refused (`error` is the RFC code) or answered something unusable."""

    def __init__(self, error: str, description: str = "", *, status_code: int | None = None):
        self.error = error
        self.description = description
        self.status_code = status_code
        said = f" ({description})" if description else ""
        super().__init__(f"Anaplan OAuth refused: {error}{said}; {_ADVICE.get(error, _OTHER)}")


class RefreshAnswerLost(APIConnectionError):
    """A refresh was sent and its answer lost: the service may have rotated (spent) the token."""

    def _line(self) -> str:
        return (
            f"the answer to the sign-in's refresh ({self.method} {self.path} to {self.host}) was "
            f"lost ({self.reason}), and the service may have used up the sign-in's refresh token: "
            f"try again, and if the sign-in is refused, {LOGIN_AGAIN}"
        )


class SignInLost(CloudWorksError):
    """The sign-in has ended: a refresh was refused and the store holds no newer token."""


class SignInStoreError(CloudWorksError):
    """The store cannot be read or written; the message names it and the fix."""


class SignInStoreCorrupt(SignInStoreError):
    """The store holds something that is not a sign-in: a new one replaces it, `forget` drops it."""
