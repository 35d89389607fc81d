"""What every CloudWorks route shares: the token check, settling runs, errors, paging."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from anaplan_mcp.sandbox import engine
from anaplan_mcp.sandbox.responses import ApiError, bad_request, error_response
from anaplan_mcp.sandbox.store import Store

if TYPE_CHECKING:
    from anaplan_mcp.sandbox.app import Sandbox

DEFAULT_PAGE_SIZE = 25


@dataclass
class Call:
    """One authorised request, with the tenant and the instant it is handled at."""

    sandbox: Sandbox
    request: Request
    user_id: str
    now: datetime

    @property
    def store(self) -> Store:
        """The tenant's state."""
        return self.sandbox.store

    @property
    def user_name(self) -> str:
        """The caller as CloudWorks names it in `createdBy`/`triggeredBy`."""
        return self.store.user_name(self.user_id)

    def param(self, name: str) -> str:
        """A path parameter."""
        return str(self.request.path_params[name])

    @property
    def run_seconds(self) -> float:
        """How long a simulated run takes."""
        return self.sandbox.config.run_seconds


Handler = Callable[[Call], Awaitable[Response]]


def endpoint(sandbox: Sandbox, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: 401 without a valid token, runs settled first, `ApiError` rendered."""

    async def handle(request: Request) -> Response:
        now = sandbox.clock.now()
        user_id = sandbox.authorize(request)
        if user_id is None:
            # Apiary says 403; the Anaplan-wide answer for a missing/expired token is 401 (§7.2).
            return error_response(request, 401, "Not Authorized", now)
        engine.settle(sandbox.store, now)
        try:
            return await handler(Call(sandbox, request, user_id, now))
        except ApiError as error:
            return error_response(request, error.status, error.message, now)

    return handle


def route(sandbox: Sandbox, path: str, handler: Handler, methods: Sequence[str]) -> Route:
    """A Starlette route under `/2/0` for a CloudWorks handler."""
    return Route("/2/0" + path, endpoint(sandbox, handler), methods=list(methods))


def page_window(call: Call) -> tuple[int, int]:
    """`offset` and the effective `limit`: 25 by default, silently capped (contract §5)."""
    query = call.request.query_params
    offset = _non_negative(query.get("offset"), "offset", default=0)
    limit = _non_negative(query.get("limit"), "limit", default=DEFAULT_PAGE_SIZE)
    if limit == 0:
        raise bad_request("limit")
    return offset, min(limit, call.sandbox.config.page_size_cap)


def _non_negative(raw: str | None, name: str, *, default: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(name) from None
    if value < 0:
        raise bad_request(name)
    return value


def paged(items: list[Any], offset: int, limit: int) -> tuple[list[Any], dict[str, Any]]:
    """One page and its `meta.paging` (the real page size, contract §5)."""
    page = items[offset : offset + limit]
    return page, {"currentPageSize": len(page), "totalSize": len(items), "offset": offset}


def mine_and_sorted(call: Call, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`myIntegrations=1` keeps the caller's own; `sortBy=name|-name` orders by name.

    Integrations and flows take the same listing parameters (contract §5); an unknown `sortBy`
    is left to the caller, since only the integration listing refuses it.
    """
    query = call.request.query_params
    mine = query.get("myIntegrations", "0")
    if mine not in ("0", "1"):
        raise bad_request("myIntegrations")
    if mine == "1":
        items = [item for item in items if item["_owner"] == call.user_id]
    sort_by = query.get("sortBy")
    if sort_by in ("name", "-name"):
        items = sorted(
            items,
            key=lambda item: (item["name"].casefold(), item["name"]),
            reverse=sort_by == "-name",
        )
    return items
