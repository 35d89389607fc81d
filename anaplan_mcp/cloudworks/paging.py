"""Listing every item of a paged CloudWorks collection.

The first page tells the total (`meta.paging.totalSize`, contract sheet §5); the remaining pages
are then fetched concurrently, at most `max_concurrency` at a time. The maximum `limit` is not
documented and a server may silently return fewer items than asked for: when `currentPageSize` is
below the requested limit and is not the total, the server's page size is used for the offsets.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import anyio
import anyio.abc

from anaplan_mcp.models import PagingMeta

logger = logging.getLogger(__name__)

T = TypeVar("T")

FetchPage = Callable[[int, int], Awaitable[dict[str, Any]]]
"""`fetch(offset, limit)` returning one page's JSON object."""

DEFAULT_PAGE_SIZE = 1000
DEFAULT_MAX_CONCURRENCY = 8


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: its items and the server's paging meta (total, next offset)."""

    items: list[T]
    meta: PagingMeta


def page_meta(page: dict[str, Any]) -> PagingMeta:
    """`meta.paging` (plus the tenant quota) of one page."""
    meta = page.get("meta")
    return PagingMeta.model_validate(meta if isinstance(meta, dict) else {})


def _paging(page: dict[str, Any]) -> dict[str, Any]:
    meta = page.get("meta")
    paging = meta.get("paging") if isinstance(meta, dict) else None
    return paging if isinstance(paging, dict) else {}


def _items(page: dict[str, Any], key: str) -> list[Any]:
    items = page.get(key)
    return items if isinstance(items, list) else []


async def fetch_all(
    fetch: FetchPage,
    key: str,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
) -> tuple[list[Any], dict[str, Any]]:
    """Every item under `key`, in server order, plus the first page (for its `meta`)."""
    first = await fetch(0, page_size)
    items = _items(first, key)
    paging = _paging(first)
    total = paging.get("totalSize")
    if not isinstance(total, int):
        if len(items) < page_size:
            return items, first
        return items + await _fetch_sequentially(fetch, key, len(items), page_size), first
    if len(items) >= total or not items:
        return items, first
    step = page_size
    served = paging.get("currentPageSize", len(items))
    if isinstance(served, int) and 0 < served < page_size and served != total:
        logger.info("server caps the page size at %d (asked for %d)", served, page_size)
        step = served
    offsets = list(range(len(items), total, step))
    pages: list[list[Any]] = [[] for _ in offsets]
    limiter = anyio.CapacityLimiter(max(1, max_concurrency))
    failures: list[Exception] = []

    async def load(index: int, offset: int, group: anyio.abc.TaskGroup) -> None:
        async with limiter:
            try:
                pages[index] = _items(await fetch(offset, step), key)
            except Exception as exc:
                # Raise the page's own error (not an ExceptionGroup) and stop the other pages.
                failures.append(exc)
                group.cancel_scope.cancel()

    async with anyio.create_task_group() as group:
        for index, offset in enumerate(offsets):
            group.start_soon(load, index, offset, group)
    if failures:
        raise failures[0]
    for page in pages:
        items.extend(page)
    return items, first


async def _fetch_sequentially(fetch: FetchPage, key: str, offset: int, page_size: int) -> list[Any]:
    """Fallback when no total is reported: read pages until a short or empty one."""
    collected: list[Any] = []
    while True:
        page = _items(await fetch(offset, page_size), key)
        collected.extend(page)
        offset += len(page)
        if len(page) < page_size:
            break
    return collected
