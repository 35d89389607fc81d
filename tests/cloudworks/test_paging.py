"""Listing every page: the rest fetched concurrently, a silent server cap detected."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

import pytest

from anaplan_mcp.cloudworks import CloudWorksClient, NotFoundError
from anaplan_mcp.cloudworks.paging import fetch_all
from anaplan_mcp.sandbox.app import Sandbox, SandboxConfig

from .conftest import ClientFactory, add_fault, frozen_clock, sent

pytestmark = pytest.mark.anyio
CAP = 10


@pytest.fixture
def sandbox() -> Sandbox:
    """Overrides the shared sandbox: more integrations than one capped page holds."""
    return Sandbox(SandboxConfig(seed_integrations=95, page_size_cap=CAP), clock=frozen_clock())


def _windows(sandbox: Sandbox) -> list[tuple[int, int]]:
    windows = []
    for record in sent(sandbox, "GET", "/2/0/integrations"):
        if record.path != "/2/0/integrations":
            continue
        query = parse_qs(record.query)
        windows.append((int(query["offset"][0]), int(query["limit"][0])))
    return windows


async def test_silent_cap_is_detected_and_every_item_arrives_once(
    cw: CloudWorksClient, sandbox: Sandbox
) -> None:
    integrations = await cw.list_integrations()
    first = await cw.integrations_page(limit=CAP)
    total = first.meta.total_size
    assert total is not None
    assert total > CAP
    ids = [integration.integration_id for integration in integrations]
    assert len(ids) == total
    assert len(set(ids)) == total
    assert ids[:CAP] == [integration.integration_id for integration in first.items]
    windows = _windows(sandbox)[:-1]  # the last one is the integrations_page call
    assert windows[0] == (0, 1000)
    assert sorted(windows[1:]) == [(offset, CAP) for offset in range(CAP, total, CAP)]


async def test_remaining_pages_are_fetched_concurrently_and_bounded(
    make_client: ClientFactory, sandbox: Sandbox
) -> None:
    async with make_client(max_concurrency=4) as cw:
        await cw.validate_token()
        sandbox.faults.clear_requests()
        add_fault(sandbox, kind="latency", latency_ms=30, path="/2/0/integrations")
        integrations = await cw.list_integrations()
    assert len(integrations) > 4 * CAP
    assert sandbox.faults.in_flight_peak == 4


async def test_one_page_listing_makes_one_request(cw: CloudWorksClient, sandbox: Sandbox) -> None:
    flows = await cw.list_flows()
    assert flows
    assert len(sent(sandbox, "GET", "/2/0/integrationflows")) == 1


async def test_a_failing_page_raises_its_own_error() -> None:
    async def fetch(offset: int, limit: int) -> dict[str, Any]:
        if offset == 20:
            raise NotFoundError(
                status_code=404, server_message="Resource not found", method="GET", path="/x"
            )
        items = list(range(offset, min(offset + 10, 50)))
        return {"items": items, "meta": {"paging": {"currentPageSize": 10, "totalSize": 50}}}

    with pytest.raises(NotFoundError):
        await fetch_all(fetch, "items", page_size=100)


async def test_listing_without_a_total_reads_until_a_short_page() -> None:
    calls: list[int] = []

    async def fetch(offset: int, limit: int) -> dict[str, Any]:
        calls.append(offset)
        return {"items": list(range(offset, min(offset + limit, 25)))}

    items, _ = await fetch_all(fetch, "items", page_size=10)
    assert items == list(range(25))
    assert calls == [0, 10, 20]


async def test_run_history_pages_on_request(cw: CloudWorksClient, sandbox: Sandbox) -> None:
    integration = (await cw.list_integrations())[0]
    for _ in range(3):
        await cw.run_integration(integration.integration_id)
        sandbox.clock.advance(3600)
    everything = await cw.run_history(integration.integration_id, limit=100)
    window = await cw.run_history(integration.integration_id, offset=1, limit=2)
    assert everything.total_runs is not None
    assert everything.total_runs >= 3
    assert window.total_runs == everything.total_runs
    assert [run.id for run in window.runs] == [run.id for run in everything.runs[1:3]]
