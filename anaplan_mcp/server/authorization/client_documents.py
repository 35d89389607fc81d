"""Client ID metadata documents: a client whose id is an https URL describes itself at that URL.

The MCP authorization spec (2025-11-25 on) prefers them to dynamic registration, and the SDK's
server lacks them. The document is fetched when the client first appears, checked (its
`client_id` is its own URL, its redirect URIs pass the same rule as a registration's, it claims no
secret) and cached in the shared store for an hour, so a replica does not fetch it per request.
The fetch follows no redirect and reads at most 64 KiB: the URL is the client's to choose. For the
same reason it is refused when the host names an address that is not on the public internet
(loopback, private, link-local...): a client must not make the server read its own network.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable
from ipaddress import ip_address
from urllib.parse import urlsplit

import anyio
import httpx2
from mcp.shared.auth import OAuthClientInformationFull
from pydantic import ValidationError

from anaplan_mcp.server.authorization.stores import AuthorizationStore

logger = logging.getLogger(__name__)

CACHE_SECONDS = 3600.0
MAX_BYTES = 64 * 1024
FETCH_SECONDS = 5.0


def redirect_uri_problem(uri: str) -> str | None:
    """Why a client may not use `uri` as a redirect URI: only https, or http on loopback (RFC 8252)."""
    parts = urlsplit(uri)
    if parts.fragment:
        return f"redirect URI {uri} has a fragment"
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and parts.hostname:
        host = parts.hostname
        if host == "localhost" or _is_loopback(host):
            return None
    return f"redirect URI {uri} is neither https nor http on a loopback address"


def _is_loopback(host: str) -> bool:
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


Resolve = Callable[[str], Awaitable[list[str]]]


async def _addresses(host: str) -> list[str]:
    found = await anyio.getaddrinfo(host, 443, type=socket.SOCK_STREAM)
    return [str(address[4][0]) for address in found]


async def _public_host(host: str, resolve: Resolve) -> bool:
    """Whether every address `host` names is a global one (a literal address is its own)."""
    try:
        addresses = [str(ip_address(host))]
    except ValueError:
        try:
            addresses = await resolve(host)
        except OSError:
            return False
    return bool(addresses) and all(ip_address(a.split("%")[0]).is_global for a in addresses)


class ClientDocuments:
    """Resolves URL client ids to client records."""

    def __init__(
        self,
        store: AuthorizationStore,
        *,
        transport: httpx2.AsyncBaseTransport | None = None,
        resolve: Resolve = _addresses,
    ) -> None:
        self._store = store
        self._transport = transport
        self._resolve = resolve

    @staticmethod
    def is_document_id(client_id: str) -> bool:
        parts = urlsplit(client_id)
        return parts.scheme == "https" and bool(parts.hostname) and parts.path not in ("", "/")

    async def client(self, url: str) -> OAuthClientInformationFull | None:
        cached = await self._store.get(f"document:{url}")
        if cached is not None:
            return OAuthClientInformationFull.model_validate_json(cached)
        found = await self._fetch(url)
        if found is not None:
            await self._store.put(f"document:{url}", found.model_dump_json(), ttl=CACHE_SECONDS)
        return found

    async def _fetch(self, url: str) -> OAuthClientInformationFull | None:
        if not await _public_host(urlsplit(url).hostname or "", self._resolve):
            logger.info("client document %s refused: its host is not a public address", url)
            return None
        try:
            async with (
                httpx2.AsyncClient(
                    transport=self._transport, timeout=FETCH_SECONDS, follow_redirects=False
                ) as http,
                http.stream("GET", url, headers={"Accept": "application/json"}) as response,
            ):
                if response.status_code != 200:
                    logger.info("client document %s answered %s", url, response.status_code)
                    return None
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        logger.info("client document %s is larger than %d bytes", url, MAX_BYTES)
                        return None
        except httpx2.HTTPError as exc:
            logger.info("client document %s cannot be fetched: %s", url, type(exc).__name__)
            return None
        try:
            document = OAuthClientInformationFull.model_validate_json(body)
        except ValidationError:
            logger.info("client document %s is not client metadata", url)
            return None
        problems = [
            f"its client_id is {document.client_id!r}" if document.client_id != url else "",
            "it has no redirect_uris" if not document.redirect_uris else "",
            "it claims a client secret" if document.client_secret else "",
            *(redirect_uri_problem(str(uri)) or "" for uri in document.redirect_uris or []),
        ]
        if any(problems):
            logger.info("client document %s refused: %s", url, "; ".join(p for p in problems if p))
            return None
        # A document client is public: it proves itself with PKCE, never with a secret.
        return document.model_copy(update={"token_endpoint_auth_method": "none"})
