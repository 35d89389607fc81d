"""The one place a request (CloudWorks, Integration API, sign-in) is sent, retried, mapped to errors.

Retry rules (DESIGN.md §3 "Never duplicate a run"): idempotent calls (GET, PUT, DELETE, PATCH) are
retried on connection errors, timeouts, 429 and 5xx with exponential backoff and full jitter, or the
server's `Retry-After` on any of those statuses (capped). Non-idempotent calls (POST run, cancel,
creates) are retried only on `httpx2.ConnectError`/`ConnectTimeout`, where the request provably
never left: never after a read error, a timeout or a 5xx, because the server may have acted on it.
"""

from __future__ import annotations

import logging
import random
import socket
import ssl
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal

import anyio
import httpx2

from anaplan_mcp.cloudworks.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ResponseFormatError,
    Service,
    status_error,
)

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Expect = Literal["json", "bytes"]
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "PATCH"})
_NEVER_SENT = (httpx2.ConnectError, httpx2.ConnectTimeout)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. `max_retries` counts retries after the first attempt."""

    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_cap: float = 20.0
    retry_after_cap: float = 60.0

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Full jitter: uniform between 0 and the capped exponential step."""
        return rng.uniform(0.0, min(self.backoff_cap, self.backoff_base * 2**retry_number))


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds: either delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _retryable_status(status: int) -> bool:
    return status == 429 or status >= 500


# The causes a person can act on, found anywhere in the chain under httpx2's own error.
_CAUSES: tuple[tuple[type[BaseException], str], ...] = (
    (socket.gaierror, "the host name does not resolve (DNS)"),
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset"),
    (ssl.SSLCertVerificationError, "its TLS certificate is not trusted"),
    (ssl.SSLError, "the TLS handshake failed"),
)


def _cause(exc: httpx2.TransportError, timeout: httpx2.Timeout) -> str:
    """Why no answer came, in a few plain words."""
    if isinstance(exc, httpx2.TimeoutException):
        limit = timeout.connect if isinstance(exc, httpx2.ConnectTimeout) else timeout.read
        return f"no answer within {limit:g} s" if limit else "no answer in time"
    link: BaseException | None = exc
    while link is not None:
        found = next((words for kind, words in _CAUSES if isinstance(link, kind)), None)
        if found:
            return found
        link = link.__cause__ or link.__context__
    if isinstance(exc, httpx2.RemoteProtocolError):
        return "the server closed the connection without an answer"
    text = " ".join(str(exc).split())
    return text[:120] if text else type(exc).__name__


class Transport:
    """Sends requests on one `httpx2.AsyncClient` (one base URL) with the retry policy above."""

    def __init__(
        self,
        http: httpx2.AsyncClient,
        *,
        retry: RetryPolicy,
        sleep: Sleep = anyio.sleep,
        rng: random.Random | None = None,
        service: Service = "",
    ) -> None:
        self._http = http
        self._service = service
        self.host = http.base_url.netloc.decode("ascii")
        self._retry = retry
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.base_path = http.base_url.path.rstrip("/")

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
        expect: Expect = "json",
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Send, retry per policy, and return the parsed JSON object (or raw bytes)."""
        method = method.upper()
        safe = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        shown_path = self.base_path + path  # the query string stays out of errors and logs
        if expect == "bytes":
            # Dumps are CSV files (contract sheet §3.1): do not insist on JSON.
            headers = {"Accept": "*/*", **(headers or {})}
        retry_number = 0
        while True:
            try:
                response = await self._http.request(
                    method, path, params=params, json=json, headers=headers
                )
            except httpx2.TransportError as exc:
                if retry_number < self._retry.max_retries and (
                    safe or isinstance(exc, _NEVER_SENT)
                ):
                    await self._wait(retry_number, None, method, shown_path, type(exc).__name__)
                    retry_number += 1
                    continue
                raise self._connection_error(exc, method, shown_path, safe) from None
            if response.is_success:
                return self._parse(response, method, shown_path, expect)
            error = status_error(
                status_code=response.status_code,
                body=response.content,
                content_type=response.headers.get("content-type", ""),
                method=method,
                path=shown_path,
                retry_after=retry_after_seconds(response.headers.get("retry-after")),
            )
            retryable = safe and _retryable_status(response.status_code)
            if retryable and retry_number < self._retry.max_retries:
                await self._wait(retry_number, error, method, shown_path, "")
                retry_number += 1
                continue
            raise error

    async def _wait(
        self,
        retry_number: int,
        error: APIStatusError | None,
        method: str,
        path: str,
        reason: str,
    ) -> None:
        server_wait = error.retry_after if error is not None else None
        if server_wait is not None:
            delay = min(server_wait, self._retry.retry_after_cap)
        else:
            delay = self._retry.backoff(retry_number, self._rng)
        why = f"HTTP {error.status_code}" if error is not None else reason
        logger.warning(
            "retrying %s %s after %s in %.2f s (retry %d of %d)",
            method,
            path,
            why,
            delay,
            retry_number + 1,
            self._retry.max_retries,
        )
        await self._sleep(delay)

    def _connection_error(
        self, exc: httpx2.TransportError, method: str, path: str, safe: bool
    ) -> APIConnectionError:
        kind = APITimeoutError if isinstance(exc, httpx2.TimeoutException) else APIConnectionError
        return kind(
            _cause(exc, self._http.timeout),
            method=method,
            path=path,
            may_have_reached_server=not isinstance(exc, _NEVER_SENT),
            host=self.host,
            service=self._service,
            safe=safe,
        )

    @staticmethod
    def _parse(response: httpx2.Response, method: str, path: str, expect: Expect) -> Any:
        if expect == "bytes":
            return response.content
        if not response.content.strip():
            return {}
        try:
            data = response.json()
        except ValueError:
            raise ResponseFormatError(
                "the body is not valid JSON "
                f"(content-type {response.headers.get('content-type', 'missing')})",
                status_code=response.status_code,
                method=method,
                path=path,
            ) from None
        if not isinstance(data, dict):
            raise ResponseFormatError(
                f"expected a JSON object, got {type(data).__name__}",
                status_code=response.status_code,
                method=method,
                path=path,
            )
        return data
