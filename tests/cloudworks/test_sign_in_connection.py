"""Sign-in over a real network path: a refused port, a name that cannot resolve, a silent server.

Sign-in goes through the client's one request path, so its connection errors name the auth host,
the cause and the settings to check, like every other request's; none says "the connection broke"
or "check before repeating it", since signing in again does no harm.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from anaplan_mcp.cloudworks import (
    APIConnectionError,
    APITimeoutError,
    BasicAuth,
    CloudWorksClient,
    endpoints_for,
)

from .conftest import RecordingSleep

pytestmark = pytest.mark.anyio

AUTH_ADVICE = "check ANAPLAN_REGION / ANAPLAN_AUTH_URL and the network"
UNRESOLVABLE = "auth.anaplan-mcp.invalid"  # .invalid never resolves (RFC 2606): no network needed
SHORT_TIMEOUT = 0.3


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield int(listener.getsockname()[1])


def client(auth_base: str, sleep: RecordingSleep, *, retries: int = 2) -> CloudWorksClient:
    # CloudWorks itself sits on another closed port: an error naming the auth host comes from
    # sign-in, the first thing any request does.
    cloudworks = f"http://localhost:{closed_port()}/2/0"
    endpoints = endpoints_for(cloudworks_url=cloudworks, auth_url=auth_base, api_url=cloudworks)
    return CloudWorksClient(
        endpoints,
        BasicAuth("me@example.com", "not-sent"),
        timeout=SHORT_TIMEOUT,
        max_retries=retries,
        sleep=sleep,
    )


async def test_a_refused_sign_in_says_could_not_connect_and_is_retried(
    sleep: RecordingSleep,
) -> None:
    port = closed_port()
    async with client(f"http://127.0.0.1:{port}", sleep) as cw:
        with pytest.raises(APIConnectionError) as raised:
            await cw.list_integrations()
    error = raised.value
    assert str(error) == (
        f"could not connect to 127.0.0.1:{port} for POST /token/authenticate: "
        f"connection refused; {AUTH_ADVICE}"
    )
    assert not error.may_have_reached_server
    assert len(sleep.waits) == 2  # the request never left, so each retry was taken


async def test_a_sign_in_host_that_does_not_resolve_says_so(sleep: RecordingSleep) -> None:
    async with client(f"https://{UNRESOLVABLE}", sleep, retries=0) as cw:
        with pytest.raises(APIConnectionError) as raised:
            await cw.validate_token()
    line = str(raised.value)
    assert line.startswith(f"could not connect to {UNRESOLVABLE} for POST /token/authenticate:")
    assert "does not resolve (DNS)" in line and line.endswith(AUTH_ADVICE), line
    assert "broke" not in line and "acted on" not in line


async def test_a_silent_sign_in_times_out_without_a_warning_about_repeating(
    silent_port: int, sleep: RecordingSleep
) -> None:
    async with client(f"http://127.0.0.1:{silent_port}", sleep, retries=1) as cw:
        with pytest.raises(APITimeoutError) as raised:
            await cw.list_integrations()
    line = str(raised.value)
    assert line == (
        f"POST /token/authenticate to 127.0.0.1:{silent_port} timed out (no answer within "
        f"{SHORT_TIMEOUT:g} s); {AUTH_ADVICE}, or raise ANAPLAN_TIMEOUT"
    )
    # Signing in again is harmless, so the timed-out sign-in was retried once, as a read is.
    assert len(sleep.waits) == 1
