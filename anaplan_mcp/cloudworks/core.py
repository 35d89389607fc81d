"""The client's lifecycle and its request choke point, shared by the endpoint groups."""

from __future__ import annotations

import random
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Literal, Self

import anyio
import httpx2

from anaplan_mcp.cloudworks import paging
from anaplan_mcp.cloudworks.auth import AnaplanAuth
from anaplan_mcp.cloudworks.errors import ResponseFormatError
from anaplan_mcp.cloudworks.regions import Endpoints
from anaplan_mcp.cloudworks.transport import Expect, RetryPolicy, Sleep, Transport

Base = Literal["cloudworks", "api", "auth"]
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 3


class ClientCore:
    """Owns one `httpx2.AsyncClient` per base URL (CloudWorks, Integration API, auth), one auth."""

    def __init__(
        self,
        endpoints: Endpoints,
        auth: AnaplanAuth,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        transport: httpx2.AsyncBaseTransport | None = None,
        sleep: Sleep = anyio.sleep,
        rng: random.Random | None = None,
        page_size: int = paging.DEFAULT_PAGE_SIZE,
        max_concurrency: int = paging.DEFAULT_MAX_CONCURRENCY,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        if page_size < 1 or max_concurrency < 1:
            raise ValueError("page_size and max_concurrency must be at least 1")
        self.endpoints = endpoints
        self.page_size = page_size
        self.max_concurrency = max_concurrency
        self._auth = auth
        limits = httpx2.Limits(max_connections=max(20, max_concurrency * 2))
        # One TLS context for the three clients: each would otherwise load the CA bundle itself
        # (~40 ms apiece, on the way to the server's first answer). A given transport (the
        # sandbox's, a test's) needs none.
        verify = httpx2.create_ssl_context() if transport is None else True

        def http(base_url: str, with_auth: bool) -> httpx2.AsyncClient:
            return httpx2.AsyncClient(
                base_url=base_url,
                auth=auth if with_auth else None,
                timeout=httpx2.Timeout(timeout),
                transport=transport,
                verify=verify,
                limits=limits,
                headers={"Accept": "application/json"},
            )

        self._http: dict[Base, httpx2.AsyncClient] = {
            "cloudworks": http(endpoints.cloudworks_url, True),
            "api": http(endpoints.api_url, True),
            "auth": http(endpoints.auth_url, False),
        }
        policy = RetryPolicy(max_retries=max_retries)
        shared_rng = rng or random.Random()
        self._transports: dict[Base, Transport] = {
            name: Transport(client, retry=policy, sleep=sleep, rng=shared_rng, service=name)
            for name, client in self._http.items()
        }
        # Sign-in takes the same path as every other request: same retries, same errors.
        auth.bind(self._transports["auth"])

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        for client in self._http.values():
            await client.aclose()
        await self._auth.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(cloudworks_url={self.endpoints.cloudworks_url!r})"

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        expect: Expect = "json",
        base: Base = "cloudworks",
        headers: Mapping[str, str] | None = None,
        unwrap: tuple[str, ...] = (),
    ) -> Any:
        """Every call goes through here: base URL, timeout, retries, error mapping, parsing.

        `unwrap` names the envelope keys to descend into (e.g. `("run", "id")`); a missing key
        is a `ResponseFormatError`.
        """
        transport = self._transports[base]
        body = await transport.request(
            method,
            path,
            params=params,
            json=json,
            idempotent=idempotent,
            expect=expect,
            headers=headers,
        )
        value: Any = body
        for depth, key in enumerate(unwrap):
            if not isinstance(value, dict) or key not in value:
                raise ResponseFormatError(
                    f"the answer has no {'.'.join(unwrap[: depth + 1])}",
                    status_code=200,
                    method=method.upper(),
                    path=transport.base_path + path,
                )
            value = value[key]
        return value

    async def _list_all(
        self,
        path: str,
        key: str,
        *,
        params: Mapping[str, str | int] | None = None,
        base: Base = "cloudworks",
    ) -> list[Any]:
        """Every item of a paged listing (first page, then the rest concurrently)."""
        extra = dict(params or {})

        async def fetch(offset: int, limit: int) -> dict[str, Any]:
            page: dict[str, Any] = await self._request(
                "GET", path, params={**extra, "offset": offset, "limit": limit}, base=base
            )
            return page

        items, _ = await paging.fetch_all(
            fetch, key, page_size=self.page_size, max_concurrency=self.max_concurrency
        )
        return items
