"""Errors raised by the CloudWorks client.

Every failure the client reports is a `CloudWorksError`; nothing from httpx2 or pydantic leaks out.

    CloudWorksError
    ├── InvalidInputError              bad argument, refused before any request (also a ValueError)
    ├── WaitTimeoutError               a run or flow did not finish before the deadline
    ├── APIConnectionError             no usable HTTP answer (refused, reset, dropped)
    │   └── APITimeoutError            the request timed out
    ├── ResponseFormatError            a 2xx answer that is not the JSON the contract describes
    └── APIStatusError                 CloudWorks or the auth service answered with an error
        ├── BadRequestError            400
        ├── AuthenticationError        401
        ├── PermissionDeniedError      403, and 452 "Tenant not entitled"
        ├── NotFoundError              404 with a JSON body: the resource does not exist
        │   └── EndpointNotFoundError  404 with an HTML body: the path is not routed at all
        ├── ConflictError              409, e.g. "Integration is already running"
        ├── RateLimitError             429
        └── ServerError                5xx

Each API error carries `status_code`, CloudWorks' own `server_message`, the HTTP `method`, the
request `path` (never the query string, never a header) and `retry_after`, the server's
`Retry-After` in seconds when it sent one (RFC 9110 gives it to 503 as much as to 429: contract
sheet §13); `str()` is one line a person can act on.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from anaplan_mcp.cloudworks.advice import Advice, advice_for


class CloudWorksError(Exception):
    """Base class of every error the CloudWorks client raises."""


class InvalidInputError(CloudWorksError, ValueError):
    """An argument failed validation; no request was sent. The message names the fields."""


class WaitTimeoutError(CloudWorksError, TimeoutError):
    """A run or flow was still in progress when the wait deadline passed."""


Service = Literal["cloudworks", "api", "auth", ""]
_MAY_HAVE_ACTED = "the server may have acted on it, so check before repeating it"


class APIConnectionError(CloudWorksError):
    """No HTTP answer came back: the connection was refused, reset or dropped.

    `may_have_reached_server` is False only when the connection was never made; `safe` is True
    when repeating the request does no harm (a read, a sign-in), so a lost answer needs no care.
    `reason` is the cause in a few plain words ("connection refused").
    """

    def __init__(
        self,
        reason: str,
        *,
        method: str,
        path: str,
        may_have_reached_server: bool = True,
        host: str = "",
        service: Service = "",
        safe: bool = False,
    ) -> None:
        self.reason = reason
        self.method = method
        self.path = path
        self.may_have_reached_server = may_have_reached_server
        self.host = host or "Anaplan"
        self.service = service
        self.safe = safe
        super().__init__(self._line())

    @property
    def check(self) -> str:
        """What to check: the settings that decide where this service is (ANAPLAN_AUTH_URL...)."""
        where = f"ANAPLAN_REGION / ANAPLAN_{self.service.upper()}_URL" if self.service else ""
        return f"check {where or 'the region or base URL'} and the network"

    def _line(self) -> str:
        if not self.may_have_reached_server:
            return (
                f"could not connect to {self.host} for {self.method} {self.path}: {self.reason}; "
                f"{self.check}"
            )
        if self.safe:
            return (
                f"lost the connection to {self.host} during {self.method} {self.path} "
                f"({self.reason}); {self.check}, then retry"
            )
        return (
            f"the connection broke before the answer to {self.method} {self.path} arrived "
            f"({self.reason}); {_MAY_HAVE_ACTED}"
        )


class APITimeoutError(APIConnectionError):
    """The request was sent but no answer came within the timeout."""

    def _line(self) -> str:
        if not self.may_have_reached_server:
            return super()._line()
        said = f"{self.method} {self.path} to {self.host} timed out ({self.reason})"
        if self.safe:
            return f"{said}; {self.check}, or raise ANAPLAN_TIMEOUT"
        return f"{said}; {_MAY_HAVE_ACTED}"


class ResponseFormatError(CloudWorksError):
    """A success status whose body is not the JSON the contract describes."""

    def __init__(self, detail: str, *, status_code: int, method: str, path: str) -> None:
        self.detail = detail
        self.status_code = status_code
        self.method = method
        self.path = path
        super().__init__(
            f"unexpected response to {method} {path} (HTTP {status_code}): {detail}; "
            "check that the base URL points at CloudWorks"
        )


class APIStatusError(CloudWorksError):
    """CloudWorks or the auth service answered with an error status."""

    def __init__(
        self,
        *,
        status_code: int,
        server_message: str | None,
        method: str,
        path: str,
        retry_after: float | None = None,
    ) -> None:
        self.status_code = status_code
        self.server_message = server_message
        self.method = method
        self.path = path
        self.retry_after = retry_after
        super().__init__(self._line())

    @property
    def advice(self) -> Advice:
        """The row of the advice table for this error's cause (cloudworks/advice.py)."""
        said = self.server_message or ""
        return advice_for(type(self).__name__, self.status_code, said, self.path)

    @property
    def hint(self) -> str:
        """What to do about it, in plain words (no tool names: this layer knows none)."""
        return self.advice.advice

    @property
    def plain(self) -> str:
        """The failure without the hint: CloudWorks' own words, and the wait it asked for."""
        said = f": {self.server_message}" if self.server_message else ""
        wait = (
            "" if self.retry_after is None else f"; the server asked to wait {self.retry_after:g} s"
        )
        return f"{self.method} {self.path} failed with HTTP {self.status_code}{said}{wait}"

    def _line(self) -> str:
        return f"{self.plain} ({self.hint})"


class BadRequestError(APIStatusError):
    """400: the body or a parameter was refused."""


class AuthenticationError(APIStatusError):
    """401: missing, wrong, expired or logged-out credentials or token."""


class PermissionDeniedError(APIStatusError):
    """403 "Not Authorized", or 452 "Tenant not entitled" (contract sheet §7.1)."""


class NotFoundError(APIStatusError):
    """404 with a JSON body: the resource does not exist (or, for dumps, there is none)."""


class EndpointNotFoundError(NotFoundError):
    """404 with an HTML body: nginx found no route, so the path itself is wrong (§7.1)."""


ConflictReason = Literal["running", "not_running", "referenced", "limit", "other"]
# One status covers a busy integration, an idle one, a resource still in use and a full tenant
# (contract sheet §2, §7.2); the advice row CloudWorks' message matched says which.
_REASONS: dict[str, ConflictReason] = {
    "http-409-already-running": "running",
    "http-409-not-running": "not_running",
    "http-409-referenced": "referenced",
    "http-409-tenant-limit": "limit",
}


class ConflictError(APIStatusError):
    """409: the integration is running (or is not, for a cancel), the resource is referenced, or
    the tenant is full; `reason` says which."""

    @property
    def reason(self) -> ConflictReason:
        return _REASONS.get(self.advice.id, "other")


class RateLimitError(APIStatusError):
    """429: too many requests."""


class ServerError(APIStatusError):
    """5xx: CloudWorks failed on its side."""


_BY_STATUS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
    452: PermissionDeniedError,
}
_MAX_MESSAGE = 300


def server_message_from(body: bytes, content_type: str) -> str | None:
    """CloudWorks' own message: `status.message`, or the auth service's `statusMessage`."""
    try:
        data: Any = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    status = data.get("status")
    candidates = [
        status.get("message") if isinstance(status, dict) else None,
        data.get("statusMessage"),
        data.get("message"),
        data.get("error_description"),
    ]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.strip():
            return " ".join(candidate.split())[:_MAX_MESSAGE]
    return None


def is_html(body: bytes, content_type: str) -> bool:
    """True for the nginx HTML pages that unrouted paths return."""
    head = body.lstrip()[:15].lower()
    return "html" in content_type.lower() or head.startswith((b"<!doctype", b"<html"))


def status_error(
    *,
    status_code: int,
    body: bytes,
    content_type: str,
    method: str,
    path: str,
    retry_after: float | None = None,
) -> APIStatusError:
    """Build the typed error for an error response."""
    message = server_message_from(body, content_type)
    if status_code == 404 and message is None and is_html(body, content_type):
        return EndpointNotFoundError(
            status_code=404, server_message="no such endpoint", method=method, path=path
        )
    cls = _BY_STATUS.get(status_code)
    if cls is None:
        cls = ServerError if status_code >= 500 else APIStatusError
    return cls(
        status_code=status_code,
        server_message=message,
        method=method,
        path=path,
        retry_after=retry_after,
    )
