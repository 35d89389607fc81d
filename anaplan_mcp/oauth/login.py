"""`anaplan-mcp login` and `logout`: a person signs in to Anaplan once, through OAuth 2.0, and every
server process started afterwards uses that sign-in (kept by the desktop store, refreshed by rotation).

Two grants (contract sheet §9.5). The authorization code grant with PKCE goes through the browser and
comes back on a loopback redirect (RFC 8252): it works with SSO. The device grant prints a URL and a
code to type on any device: it works for basic-auth users, with no browser on this machine.

What a person sees is the URL to open, the code to type, and who signed in. No access or refresh
token, authorization code or client secret is ever printed: the answer on the loopback carries a
code, and the page it gets back says only where to look next.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import sys
import time
import webbrowser
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
import httpx2

from anaplan_mcp.cloudworks import CloudWorksError, TokenAuth, endpoints_for
from anaplan_mcp.oauth.client import OAuthTokens, pkce_pair
from anaplan_mcp.oauth.configured import client_id, desktop_store, oauth_client
from anaplan_mcp.oauth.errors import LOGIN_AGAIN, REGISTER_AT, SignInStoreCorrupt
from anaplan_mcp.oauth.loopback import LoginError, bind, wait_for_answer
from anaplan_mcp.settings import Settings

if TYPE_CHECKING:
    from anaplan_mcp.models.users import User

Say = Callable[[str], None]
Sleep = Callable[[float], Awaitable[Any]]

LOGIN_LIMIT_SECONDS = 300.0  # how long the browser sign-in may take before login gives up
# Error codes come back in the redirect's query: anything else there is not shown (it is the
# browser's to send, so it may hold anything, terminal escapes included).
_ERROR_CODE = re.compile(r"^[a-z_]{1,40}$")


# -- the authorization code grant, through the browser -------------------------------------------


def _code_from(answer: dict[str, str], state: str, redirect_uri: str) -> str:
    # The state first: an answer that does not carry ours may be forged, so nothing else in it
    # is believed (RFC 6749 §10.12).
    if not hmac.compare_digest(answer.get("state", ""), state):
        raise LoginError(
            f"the answer on {redirect_uri} does not carry this login's state (an old or forged "
            f"redirect); nothing was saved: {LOGIN_AGAIN}"
        )
    error = answer.get("error")
    if error == "access_denied":
        raise LoginError(
            "the sign-in was denied in the browser (access_denied); nothing was saved: "
            f"{LOGIN_AGAIN} and allow access"
        )
    if error is not None:
        shown = error if _ERROR_CODE.match(error) else "an error"
        raise LoginError(
            f"Anaplan answered {shown} instead of a sign-in; check the OAuth client in "
            f"{REGISTER_AT}, then {LOGIN_AGAIN}"
        )
    code = answer.get("code")
    if not code:
        raise LoginError(f"the answer on {redirect_uri} carried no code; {LOGIN_AGAIN}")
    return code


async def _check_authorize(url: str, settings: Settings, transport: Any) -> None:
    """Ask for the authorize page once before the browser does, so that an unknown client or an
    unregistered redirect URI is one line here, not an error page in a browser while login waits
    (the service answers those without redirecting, RFC 6749 §4.1.2.1)."""
    async with httpx2.AsyncClient(transport=transport, timeout=settings.timeout) as http:
        try:
            response = await http.get(url, headers={"Accept": "text/html"})
        except httpx2.TransportError as exc:
            raise LoginError(
                f"cannot reach the OAuth service at {settings.oauth_url} ({type(exc).__name__}): "
                "check ANAPLAN_OAUTH_URL, or ANAPLAN_REGION that it is derived from"
            ) from None
    if 400 <= response.status_code < 500:
        raise LoginError(
            f"Anaplan refused the sign-in request ({response.status_code}): check that "
            f"ANAPLAN_OAUTH_CLIENT_ID is an authorization-code client in {REGISTER_AT} and that "
            f"{settings.oauth_redirect_uri} (ANAPLAN_OAUTH_REDIRECT_URI) is among its redirect URIs"
        )


def _browser_available() -> bool:
    # On Linux without a display, `webbrowser` would start a text browser inside this terminal
    # (lynx, w3m) and hide the prompt; BROWSER set (as editors' remote terminals do) is trusted.
    if os.environ.get("BROWSER") or not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


async def browser_login(
    settings: Settings,
    say: Say,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    limit: float = LOGIN_LIMIT_SECONDS,
) -> OAuthTokens:
    """The authorization code grant with PKCE (S256) and a random `state` checked on return."""
    oauth = oauth_client(settings, transport)
    redirect_uri = settings.oauth_redirect_uri
    try:
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(32)
        url = oauth.authorize_url(redirect_uri=redirect_uri, state=state, code_challenge=challenge)
        sock, path = bind(redirect_uri)
        try:
            await _check_authorize(url, settings, transport)
            # Always printed: a person on a remote shell opens it on their own machine.
            say(f"Sign in to Anaplan in your browser: {url}")
            opened = _browser_available() and await anyio.to_thread.run_sync(
                webbrowser.open, url, abandon_on_cancel=True
            )
            if not opened:
                say(
                    "No browser here: open the URL above on a machine whose browser reaches this one."
                )
            say(f"Waiting for the sign-in to come back to {redirect_uri} ...")
            answer = await wait_for_answer(sock, path, state, limit)
        finally:
            sock.close()
        code = _code_from(answer, state, redirect_uri)
        return await oauth.exchange_code(code, redirect_uri=redirect_uri, code_verifier=verifier)
    finally:
        await oauth.aclose()


# -- the device grant -----------------------------------------------------------------------------


async def device_login(
    settings: Settings,
    say: Say,
    *,
    transport: httpx2.AsyncBaseTransport | None = None,
    sleep: Sleep = anyio.sleep,
) -> OAuthTokens:
    """The device grant: print where to go and the code to type, then poll until approved."""
    oauth = oauth_client(settings, transport)
    try:
        device = await oauth.start_device()
        say(f"To sign in, open {device.verification_uri} and enter the code {device.user_code}")
        if device.verification_uri_complete:
            say(f"  (or open {device.verification_uri_complete})")
        say(f"Waiting for approval, until {_local_time(device.expires_at)} ...")
        return await oauth.poll_device(device, sleep=sleep)
    finally:
        await oauth.aclose()


# -- keeping the sign-in, and saying who it is -----------------------------------------------------


def _local_time(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M %Z", time.localtime(epoch))


async def whom(settings: Settings, access_token: str, transport: Any = None) -> str:
    """ "Name <email>" of the user the token belongs to (Integration API `GET /2/0/users/me`)."""
    from anaplan_mcp.cloudworks import CloudWorksClient

    endpoints = endpoints_for(
        settings.region,
        cloudworks_url=settings.cloudworks_url,
        auth_url=settings.auth_url,
        api_url=settings.api_url,
    )
    auth = TokenAuth(access_token)
    async with CloudWorksClient(
        endpoints, auth, transport=transport, timeout=settings.timeout, max_retries=1
    ) as client:
        return person(await client.get_me())


def person(me: User) -> str:
    """A user as a person names them: "First Last <email>" (the GUID when neither is known)."""
    email = f"<{me.email}>" if me.email else ""
    return " ".join(part for part in (me.full_name, email) if part) or me.id


def lasts_until(tokens: OAuthTokens) -> str:
    return f"the access token lasts until {_local_time(tokens.expires_at)}"


async def keep(settings: Settings, tokens: OAuthTokens, *, transport: Any = None) -> str:
    """Save the sign-in for every later process; the line that says who signed in."""
    await desktop_store(settings).save(tokens)  # SignInStoreError names the store and the fix
    try:
        who = await whom(settings, tokens.access_token, transport)
    except CloudWorksError as exc:
        # The sign-in is kept and works for CloudWorks; only the name could not be read.
        return f"Signed in ({lasts_until(tokens)}), but who could not be read: {exc}"
    return f"Signed in as {who}; {lasts_until(tokens)}"


async def logout(settings: Settings) -> str:
    """Forget the stored sign-in of the configured OAuth client; says what it did. A corrupt
    record is forgotten too (it is of no use to anyone); an unreadable store is an error that
    names it."""
    client = client_id(settings)
    store = desktop_store(settings)
    try:
        held = await store.load() is not None
    except SignInStoreCorrupt:
        await store.forget()
        return (
            f"Signed out: the sign-in kept for OAuth client {client} was corrupt and is removed; "
            "to sign in again, run `anaplan-mcp login`"
        )
    await store.forget()
    if not held:
        return f"No sign-in was stored for OAuth client {client}; nothing to forget"
    return f"Signed out: this machine no longer keeps the sign-in of OAuth client {client}"
