"""Retry policy against the sandbox's faults: never duplicate a run, retry what is safe."""

from __future__ import annotations

import pytest

from anaplan_mcp.cloudworks import (
    APIConnectionError,
    CloudWorksClient,
    RateLimitError,
    ServerError,
)
from anaplan_mcp.sandbox.app import Sandbox

from .conftest import ClientFactory, RecordingSleep, add_fault, sent

pytestmark = pytest.mark.anyio


async def _idle_integration(cw: CloudWorksClient) -> str:
    integrations = await cw.list_integrations()
    for integration in integrations:
        latest = integration.latest_run
        if latest is None or latest.end_date is not None:
            return integration.integration_id
    raise AssertionError("the seed has no idle integration")


async def test_run_post_answered_500_is_sent_once(
    cw: CloudWorksClient, sandbox: Sandbox, sleep: RecordingSleep
) -> None:
    integration_id = await _idle_integration(cw)
    add_fault(sandbox, kind="status", status=500, method="POST", path="*/run", times=1)
    with pytest.raises(ServerError):
        await cw.run_integration(integration_id)
    assert len(sent(sandbox, "POST", f"{integration_id}/run")) == 1
    assert sleep.waits == []


async def test_run_post_whose_answer_is_dropped_is_sent_once(
    cw: CloudWorksClient, sandbox: Sandbox
) -> None:
    integration_id = await _idle_integration(cw)
    add_fault(sandbox, kind="drop", method="POST", path="*/run", times=1)
    with pytest.raises(APIConnectionError) as info:
        await cw.run_integration(integration_id)
    assert len(sent(sandbox, "POST", f"{integration_id}/run")) == 1
    # The server did start the run, so a blind retry would have been a duplicate run.
    status = (await cw.run_history(integration_id)).runs
    assert status
    assert status[0].message == "Running"
    assert info.value.may_have_reached_server
    assert "may have acted on it" in str(info.value)


async def test_run_post_refused_at_connect_is_retried_and_runs_once(
    cw: CloudWorksClient, sandbox: Sandbox, sleep: RecordingSleep
) -> None:
    integration_id = await _idle_integration(cw)
    add_fault(sandbox, kind="refuse", method="POST", path="*/run", times=2)
    run_id = await cw.run_integration(integration_id)
    assert len(sent(sandbox, "POST", f"{integration_id}/run")) == 3  # two refused, one answered
    assert len(sleep.waits) == 2
    assert (await cw.run_status(run_id)).integration_id == integration_id


async def test_get_503_then_200_succeeds_after_a_jittered_backoff(
    cw: CloudWorksClient, sandbox: Sandbox, sleep: RecordingSleep
) -> None:
    add_fault(sandbox, kind="status", status=503, method="GET", path="/2/0/integrations", times=2)
    integrations = await cw.list_integrations()
    assert integrations
    assert len(sent(sandbox, "GET", "/2/0/integrations")) == 3
    first, second = sleep.waits
    assert 0 <= first <= 0.5
    assert 0 <= second <= 1.0


async def test_get_whose_answer_is_dropped_is_retried(
    cw: CloudWorksClient, sandbox: Sandbox
) -> None:
    add_fault(sandbox, kind="drop", method="GET", path="/2/0/integrationflows", times=1)
    assert await cw.list_flows()
    assert len(sent(sandbox, "GET", "/2/0/integrationflows")) == 2


async def test_retry_after_is_waited_as_asked(
    cw: CloudWorksClient, sandbox: Sandbox, sleep: RecordingSleep
) -> None:
    add_fault(sandbox, kind="rate_limit", retry_after=7, method="GET", times=1)
    await cw.list_connections()
    assert sleep.waits == [7.0]


async def test_retry_after_is_capped(
    cw: CloudWorksClient, sandbox: Sandbox, sleep: RecordingSleep
) -> None:
    add_fault(sandbox, kind="rate_limit", retry_after=3600, method="GET", times=1)
    await cw.list_connections()
    assert sleep.waits == [60.0]


async def test_rate_limited_run_is_not_resent(
    cw: CloudWorksClient, sandbox: Sandbox, sleep: RecordingSleep
) -> None:
    integration_id = await _idle_integration(cw)
    add_fault(sandbox, kind="rate_limit", retry_after=5, method="POST", path="*/run", times=1)
    with pytest.raises(RateLimitError) as info:
        await cw.run_integration(integration_id)
    assert info.value.retry_after == 5
    assert "wait 5 s" in str(info.value)
    assert len(sent(sandbox, "POST", "/run")) == 1
    assert sleep.waits == []


async def test_retries_stop_at_max_retries_with_growing_backoff(
    make_client: ClientFactory, sandbox: Sandbox, sleep: RecordingSleep
) -> None:
    add_fault(
        sandbox, kind="status", status=502, method="GET", path="/2/0/integrations/connections"
    )
    async with make_client(max_retries=4) as cw:
        with pytest.raises(ServerError) as info:
            await cw.list_connections()
    assert info.value.status_code == 502
    assert len(sent(sandbox, "GET", "/connections")) == 5
    assert len(sleep.waits) == 4
    for number, wait in enumerate(sleep.waits):
        assert 0 <= wait <= 0.5 * 2**number


async def test_no_retries_when_max_retries_is_zero(
    make_client: ClientFactory, sandbox: Sandbox, sleep: RecordingSleep
) -> None:
    add_fault(sandbox, kind="status", status=503, method="GET", times=1)
    async with make_client(max_retries=0) as cw:
        with pytest.raises(ServerError):
            await cw.list_flows()
    assert sleep.waits == []


async def test_a_400_is_never_retried(cw: CloudWorksClient, sandbox: Sandbox) -> None:
    add_fault(sandbox, kind="status", status=400, message="Invalid request body", method="GET")
    with pytest.raises(Exception, match="Invalid request body"):
        await cw.list_flows()
    assert len(sent(sandbox, "GET", "/integrationflows")) == 1


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_retry_after_is_waited_on_every_retryable_status(
    cw: CloudWorksClient, sandbox: Sandbox, sleep: RecordingSleep, status: int
) -> None:
    # RFC 9110 gives Retry-After to 503 as much as to 429 (contract sheet §13).
    add_fault(sandbox, kind="status", status=status, retry_after=3, method="GET", times=1)
    assert await cw.list_flows()
    assert sleep.waits == [3.0]


@pytest.mark.parametrize(
    ("when", "wait"),
    [("Fri, 31 Dec 2100 23:59:59 GMT", 60.0), ("Sun, 06 Nov 1994 08:49:37 GMT", 0.0)],
    ids=["far-future-capped", "past"],
)
async def test_retry_after_as_an_http_date(
    cw: CloudWorksClient, sandbox: Sandbox, sleep: RecordingSleep, when: str, wait: float
) -> None:
    add_fault(sandbox, kind="status", status=503, retry_after=when, method="GET", times=1)
    assert await cw.list_flows()
    assert sleep.waits == [wait]


async def test_an_unretried_503_still_tells_the_wait(
    make_client: ClientFactory, sandbox: Sandbox
) -> None:
    add_fault(sandbox, kind="status", status=503, retry_after=9, method="GET", times=1)
    async with make_client(max_retries=0) as cw:
        with pytest.raises(ServerError) as info:
            await cw.list_flows()
    assert info.value.retry_after == 9
    assert "wait 9 s" in str(info.value)
