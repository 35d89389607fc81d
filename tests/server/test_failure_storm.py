"""The bad night at full scale: a shared connection's key rotates and every integration on it fails.

On the sandbox grown to 500 integrations, the answers stay bounded: find_failed_runs sends the
listings plus a number of reads that does not grow with the failures, states the totals and the
cause once, and reaches every failed item through its group and its pages; list_integrations'
largest page and the integrations resource fit 10,000 tokens. Requests are counted in the
sandbox's request log.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from mcp import Client

from anaplan_mcp.diagnosis.scan import READ_BUDGET
from anaplan_mcp.sandbox import seed_ids as seed
from anaplan_mcp.sandbox.app import Sandbox, SandboxConfig
from anaplan_mcp.sandbox.clock import Clock
from anaplan_mcp.sandbox.faults import Fault
from anaplan_mcp.sandbox.storm import rotate_and_fail
from anaplan_mcp.server.app import create_server
from anaplan_mcp.settings import load_settings
from tests.server.conftest import NOW, call, sandbox_timing, text_of
from tests.tokens import count_tokens

pytestmark = pytest.mark.anyio

LISTINGS = {"/2/0/integrations", "/2/0/integrationflows", "/2/0/integrations/connections"}
TOKEN_BUDGET = 10_000


def stormed(size: int) -> tuple[Sandbox, list[str]]:
    """A tenant of `size` integrations whose sales bucket key rotated an hour ago, after which
    every integration on the sales connection ran and failed."""
    sandbox = Sandbox(SandboxConfig(seed_integrations=size), clock=Clock(frozen_at=NOW))
    failed = rotate_and_fail(sandbox.store, seed.SALES_S3_CONNECTION_ID, NOW - timedelta(hours=1))
    return sandbox, failed


@pytest.fixture(scope="module")
def storm() -> tuple[Sandbox, list[str]]:
    return stormed(500)


@pytest.fixture
async def client(storm: tuple[Sandbox, list[str]]) -> AsyncIterator[Client]:
    sandbox, _ = storm
    server = create_server(
        load_settings(sandbox=True), sandbox=sandbox, timing=sandbox_timing(sandbox)
    )
    async with Client(server) as connected:
        yield connected


def reads(sandbox: Sandbox) -> list[str]:
    """The logged API requests other than the three listings (and their pages)."""
    paths = [r.path for r in sandbox.faults.requests if r.path.startswith("/2/0/")]
    return [path for path in paths if path not in LISTINGS]


def ident(item: dict[str, Any]) -> str:
    return str(item.get("integration_id") or item["flow_id"])


def result_tokens(result: Any) -> int:
    """What a host takes in: the larger of the text and the structured content."""
    structured = json.dumps(result.structured_content, separators=(",", ":"))
    return max(count_tokens(text_of(result)), count_tokens(structured))


async def test_the_storm_is_one_group_with_its_connection_and_fix(
    client: Client, storm: tuple[Sandbox, list[str]]
) -> None:
    sandbox, failed = storm
    assert len(failed) > 480
    sandbox.faults.add(Fault(kind="latency", latency_ms=2, path="/2/0/*"))
    sandbox.faults.clear_requests()
    found = await call(client, "find_failed_runs", {})
    sandbox.faults.clear()

    [group] = found["groups"]
    assert group["group"] == "code-39" and group["error_code"] == 39
    assert group["count"] == found["counts"]["failed"] >= len(failed)
    connections = {c["connection_id"]: c for c in group["connections"]}
    assert connections[seed.SALES_S3_CONNECTION_ID]["error_code"] == 1
    assert seed.SALES_S3_CONNECTION_ID in group["cause"] and "update_connection" in group["fix"]
    assert set(found["invalid_connections"]) == {
        seed.SALES_S3_CONNECTION_ID,
        seed.FINANCE_S3_CONNECTION_ID,
    }
    assert len(group["examples"]) == group["read"] == 3
    assert set(group["untrusted_data"]["names"]) == set(group["examples"])
    # The examples run from newest to oldest: the finance export, failing under the same code
    # on the finance connection, is among them, so both fixes are offered, the commoner first.
    updates = [c["arguments"] for c in group["next_calls"] if c["tool"] == "update_connection"]
    assert [u["connection_id"] for u in updates] == [
        seed.SALES_S3_CONNECTION_ID,
        seed.FINANCE_S3_CONNECTION_ID,
    ]
    assert set(updates[0]) == {"connection_id", "access_key_id", "secret_access_key"}
    listing = next(c["arguments"] for c in group["next_calls"] if c["tool"] == "find_failed_runs")
    assert listing == {"hours": 24, "include_partial": True, "group": "code-39"}
    # The rest are few and listed one by one, each with its own cause.
    assert found["total"] == len(found["items"]) == sum(found["counts"].values()) - group["count"]
    assert "next_offset" not in found
    assert sandbox.faults.in_flight_peak > 1
    assert len(reads(sandbox)) <= 3 + len(found["items"]) * 2
    assert result_tokens(await client.call_tool("find_failed_runs", {})) < 2_500


async def test_its_requests_do_not_grow_with_the_failures() -> None:
    counted = []
    for size in (60, 500):
        sandbox, failed = stormed(size)
        server = create_server(load_settings(sandbox=True), sandbox=sandbox)
        async with Client(server) as client:
            sandbox.faults.clear_requests()
            found = await call(client, "find_failed_runs", {})
        counted.append((len(failed), len(reads(sandbox)), found["groups"][0]["count"]))
    (few, few_reads, few_grouped), (many, many_reads, many_grouped) = counted
    assert many > 8 * few and many_grouped > 8 * few_grouped
    assert few_reads == many_reads <= READ_BUDGET


async def test_the_group_and_the_pages_reach_every_failed_item(
    client: Client, storm: tuple[Sandbox, list[str]]
) -> None:
    sandbox, failed = storm
    first = await call(client, "find_failed_runs", {})
    [group] = first["groups"]
    seen = {ident(item) for item in first["items"]}
    members: list[str] = []
    offset: int | None = 0
    while offset is not None:
        sandbox.faults.clear_requests()
        page = await call(
            client, "find_failed_runs", {"group": group["group"], "limit": 20, "offset": offset}
        )
        assert page["total"] == group["count"] and len(page["items"]) <= 20
        assert len(reads(sandbox)) <= READ_BUDGET and "left_out" not in page
        members += [ident(item) for item in page["items"]]
        offset = page.get("next_offset")
    assert len(members) == len(set(members)) == group["count"]
    assert set(failed) <= set(members)
    assert len(seen | set(members)) == sum(first["counts"].values())


async def test_a_page_over_the_request_budget_says_what_it_left_out(
    client: Client, storm: tuple[Sandbox, list[str]]
) -> None:
    sandbox, _ = storm
    sandbox.faults.clear_requests()
    page = await call(client, "find_failed_runs", {"group": "code-39", "limit": 50})
    assert len(reads(sandbox)) == READ_BUDGET
    items = page["items"]
    assert len(items) == 50 and page["next_offset"] == 50
    # Items are read in page order while the budget lasts: whole ones first, then none.
    whole = [item for item in items if not item["cause"].startswith("as its group")]
    partly = items[len(whole) :]
    assert whole == items[: len(whole)] and whole and partly
    assert all(seed.SALES_S3_CONNECTION_ID in item["cause"] and item["run_id"] for item in whole)
    assert "run_id" not in partly[-1]
    [note] = page["left_out"]
    assert f"{len(partly)} items" in note and "budget" in note


async def test_an_unknown_group_names_the_groups_there_are(client: Client) -> None:
    result = await client.call_tool("find_failed_runs", {"group": "code-12"})
    assert result.is_error
    assert "group" in text_of(result) and "code-39" in text_of(result)


async def test_causes_are_keyed_by_facts_not_by_the_message_text() -> None:
    from anaplan_mcp.diagnosis.failures import cause_key
    from anaplan_mcp.models import LatestRun

    def run(message: str, code: int | None) -> LatestRun:
        return LatestRun.model_validate(
            {
                "triggeredBy": "x",
                "startDate": "2026-11-23T01:00:00Z",
                "endDate": "2026-11-23T01:00:45Z",
                "success": code == 38,
                "message": message,
                "executionErrorCode": code,
            }
        )

    same = {
        cause_key("failed", run("Anaplan Connection Error", 39)),
        cause_key("failed", run("Anaplan Connection Error: 'Sales (S3)' credentials", 39)),
    }
    assert same == {"code-39"}
    assert cause_key("failed", run("Failed - Action not found: 'Import X'", 12)) == (
        "code-12-run-action-not-found"
    )
    assert cause_key("partial_success", run("9 (9/10) rows successful, 1 failed", 38)) == "code-38"
    assert cause_key("did_not_run", None, "disabled") == "schedule-disabled"


async def test_the_largest_listing_page_and_the_resource_fit_the_token_budget(
    client: Client, storm: tuple[Sandbox, list[str]]
) -> None:
    largest = await client.call_tool("list_integrations", {"limit": 50})
    assert not largest.is_error
    assert result_tokens(largest) <= TOKEN_BUDGET
    assert largest.structured_content is not None
    assert largest.structured_content["total"] == 498
    resource = await client.read_resource("cloudworks://integrations")
    text = resource.contents[0].text  # type: ignore[union-attr]
    assert count_tokens(text) <= TOKEN_BUDGET
    overview = json.loads(text)
    assert overview["total"] == 498 and overview["next_offset"] == len(overview["items"]) == 50
    assert overview["latest_outcomes"]["failed"] > 480
    assert "cloudworks://integrations/{integration_id}" in overview["rest"]
    refused = await client.call_tool("list_integrations", {"limit": 51})
    assert refused.is_error and "limit" in text_of(refused)


async def test_reads_stop_at_the_budget_and_the_answer_says_what_was_not_checked() -> None:
    from anaplan_mcp.cloudworks import BasicAuth, CloudWorksClient, endpoints_for
    from anaplan_mcp.diagnosis.scan import find_failures
    from anaplan_mcp.sandbox import engine
    from anaplan_mcp.sandbox.transport import sandbox_transport

    sandbox, failed = stormed(60)
    # Ten failed integrations were started again a minute ago: their running runs hide the
    # failures, which only their histories show.
    for integration_id in failed[:10]:
        integration = sandbox.store.integrations[integration_id]
        engine.start_run(sandbox.store, integration, "x", NOW - timedelta(minutes=1), 3600)
    base = "http://sandbox"
    endpoints = endpoints_for(cloudworks_url=f"{base}/2/0", auth_url=base, api_url=f"{base}/2/0")
    auth = BasicAuth("sandbox@example.com", "sandbox", clock=sandbox.clock.timestamp)
    async with CloudWorksClient(endpoints, auth, transport=sandbox_transport(sandbox)) as cw:
        sandbox.faults.clear_requests()
        found = await find_failures(cw, now=NOW, budget=4)
    assert len(reads(sandbox)) == 4
    assert found.left_out[0].startswith("7 integrations running now were not checked")
    assert found.left_out[1].startswith("some group members' definitions were not read")
    [group] = found.groups
    assert group.read == 0 and group.connections == [] and "cause unknown" in group.cause
