"""The OAuth client and the sign-in store that the settings name: one place that reads the OAuth
settings, for `login`/`logout`, `check`, the choice of credentials and the server's auth.

`store` imports `keyring`, so this module is imported only when an OAuth client is configured.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from anaplan_mcp.oauth.client import AnaplanOAuthClient
from anaplan_mcp.oauth.errors import REGISTER_AT
from anaplan_mcp.oauth.store import (
    FileSignInStore,
    KeyringSignInStore,
    default_store_path,
    sign_in_key,
    usable_keyring,
)
from anaplan_mcp.settings import Settings, SettingsError

if TYPE_CHECKING:
    import httpx2


def client_id(settings: Settings) -> str:
    """The configured OAuth client's id; missing, one line saying where a client comes from."""
    if not settings.oauth_client_id:
        raise SettingsError(
            "ANAPLAN_OAUTH_CLIENT_ID is not set: register an OAuth client in "
            f"{REGISTER_AT} (authorization code grant with the redirect URI "
            f"{settings.oauth_redirect_uri}, or device grant for `login --device`) and set its id"
        )
    return settings.oauth_client_id


def oauth_client(
    settings: Settings, transport: httpx2.AsyncBaseTransport | None = None
) -> AnaplanOAuthClient:
    """The OAuth client of `settings` (a missing client id: see `client_id`)."""
    secret = settings.oauth_client_secret
    return AnaplanOAuthClient(
        settings.oauth_url,
        client_id(settings),
        secret.get_secret_value() if secret else None,
        transport=transport,
    )


def desktop_store(settings: Settings) -> FileSignInStore | KeyringSignInStore:
    """The store of `settings`' OAuth client: the named file, else the keyring, else the file.

    A named file wins over a keyring: whoever sets ANAPLAN_MCP_TOKEN_STORE chose where the
    sign-in lives (a container, a test, a keyring that prompts), and a store that moved to the
    keyring when one appeared would lose the sign-in kept in the file.
    """
    key = sign_in_key(client_id(settings), settings.oauth_url)
    if settings.token_store is not None:
        return FileSignInStore(Path(settings.token_store).expanduser(), key)
    default = default_store_path()
    backend = usable_keyring()
    if backend is not None:
        return KeyringSignInStore(backend, default.with_name(default.name + ".lock"), key)
    return FileSignInStore(default, key)


def stored_sign_in_exists(settings: Settings) -> bool:
    """Whether `settings`' OAuth client has a sign-in stored; an unreadable store counts as one,
    so that the server picks OAuth and then reports the store's problem instead of "no credentials".
    """
    try:
        return desktop_store(settings).holds()
    except Exception:  # a corrupt file, a locked keyring, a keyring backend's own error
        return True
