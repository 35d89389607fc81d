"""`anaplan-mcp check`: is this configuration able to reach Anaplan? One line per check, with the fix."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from anaplan_mcp.cloudworks import CloudWorksClient, CloudWorksError
from anaplan_mcp.cloudworks.errors import APIStatusError
from anaplan_mcp.settings import Settings

Write = Callable[[str], None]


@dataclass(frozen=True)
class Outcome:
    ok: bool
    detail: str


# The setting that places each step's service, for the advice table's `{url}`.
_URLS = {"CloudWorks": "ANAPLAN_CLOUDWORKS_URL", "Integration API": "ANAPLAN_API_URL"}


def _fix_for(exc: CloudWorksError, step: str) -> str:
    """The advice table's row for a person checking the setup (its `setup`, else its advice).

    Only an API's error status needs the table: every other error (a lost connection, a sign-in
    that ended, an unreadable store, an OAuth refusal) already ends with its one fix."""
    if not isinstance(exc, APIStatusError):
        return ""
    row = exc.advice
    return row.setup.format(url=_URLS.get(step, "ANAPLAN_AUTH_URL")) or row.advice


async def _step(write: Write, name: str, action: Callable[[], Awaitable[str]]) -> bool:
    try:
        detail = await action()
    except CloudWorksError as exc:
        said = exc.plain if isinstance(exc, APIStatusError) else str(exc)  # one hint: the fix
        fix = _fix_for(exc, name)
        write(f"FAIL {name}: {said}" + (f" - fix: {fix}" if fix else ""))
        return False
    except (OSError, ValueError) as exc:
        # Unreadable certificate or key files surface here, before any request.
        write(f"FAIL {name}: {exc} - fix: check the file paths and permissions")
        return False
    write(f"ok   {name}: {detail}")
    return True


async def _oauth_sign_in(settings: Settings, client: CloudWorksClient) -> str:
    """Who the stored OAuth sign-in is, and until when its access token lasts. The token is the
    OAuth service's, so the Integration API says whose it is (`/token/validate` is for the auth
    service's own tokens); asking refreshes it first when it is due, as any call does."""
    from anaplan_mcp.oauth.configured import desktop_store
    from anaplan_mcp.oauth.login import lasts_until, person

    who = person(await client.get_me())
    tokens = await desktop_store(settings).load()
    until = f"; {lasts_until(tokens)}" if tokens else ""
    return f"signed in as {who} (OAuth client {settings.oauth_client_id}){until}"


# The ways in where each caller brings their own Anaplan sign-in, and what `check` says of them.
_CALLERS_SIGN_IN = {
    "passthrough": "each caller sends their own token (token passthrough)",
    "per_person": "each person signs in to Anaplan through the server (serve --oauth)",
}


async def run_check(settings: Settings, client: CloudWorksClient, write: Write) -> int:
    """Run every check against `client`; 0 when all pass."""
    where = client.endpoints
    mode = settings.auth_mode or "none"
    write(f"ok   configuration: {mode} authentication, region {settings.region}")
    # The auth service's URL only where it signs in: an OAuth sign-in is refreshed at the OAuth host.
    signs_in = (
        f"oauth {settings.oauth_url}"
        if mode in ("oauth", "per_person")
        else f"auth {where.auth_url}"
    )
    write(f"     cloudworks {where.cloudworks_url} | {signs_in} | api {where.api_url}")

    if mode in _CALLERS_SIGN_IN:
        # No sign-in of the server's own to test: a 401 here would only say no caller is present.
        write(f"ok   authentication: none of the server's own; {_CALLERS_SIGN_IN[mode]}")
        write(
            "skip CloudWorks, Integration API: they answer a caller's token; to check them, run "
            "`anaplan-mcp check` with a caller's own ANAPLAN_TOKEN"
        )
        return 0

    async def authenticate() -> str:
        token = await client.validate_token()
        return f"token valid for {token.user_id or 'the caller'}"

    if settings.auth_mode == "oauth":
        authenticate = functools.partial(_oauth_sign_in, settings, client)

    async def cloudworks() -> str:
        page = await client.integrations_page(limit=1)
        return f"{page.meta.total_size} integrations visible"

    async def integration_api() -> str:
        return f"{len(await client.list_workspaces())} workspaces visible"

    # Each step needs the one before it (no token, no CloudWorks): stop at the first failure.
    steps = (
        ("authentication", authenticate),
        ("CloudWorks", cloudworks),
        ("Integration API", integration_api),
    )
    for name, action in steps:
        if not await _step(write, name, action):
            return 1
    return 0
