"""Authentication against the sandbox's token service: lazy, refreshed, concurrent."""

from __future__ import annotations

from pathlib import Path

import anyio
import httpx2
import pytest

from anaplan_mcp.cloudworks import (
    AuthenticationError,
    BasicAuth,
    CertificateAuth,
    CloudWorksClient,
    PassthroughAuth,
    PermissionDeniedError,
    TokenAuth,
)
from anaplan_mcp.sandbox.app import Sandbox
from anaplan_mcp.sandbox.certificates import seeded_certificate
from anaplan_mcp.sandbox.transport import sandbox_transport

from .conftest import PASSWORD, USER, ClientFactory, add_fault, sent

pytestmark = pytest.mark.anyio
TOKEN_LIFETIME = 35 * 60


async def _concurrent_listings(cw: CloudWorksClient, sandbox: Sandbox, count: int) -> int:
    await cw.validate_token()  # sign in first, so the peak counts CloudWorks calls only
    sandbox.faults.clear_requests()
    add_fault(sandbox, kind="latency", latency_ms=60, path="/2/0/integrations/connections")
    async with anyio.create_task_group() as group:
        for _ in range(count):
            group.start_soon(cw.list_connections)
    return sandbox.faults.in_flight_peak


async def test_basic_auth_requests_overlap(make_client: ClientFactory, sandbox: Sandbox) -> None:
    async with make_client() as cw:
        assert await _concurrent_listings(cw, sandbox, 6) == 6


async def test_certificate_auth_requests_overlap(
    make_client: ClientFactory, sandbox: Sandbox, certificate_auth: CertificateAuth
) -> None:
    async with make_client(certificate_auth) as cw:
        assert await _concurrent_listings(cw, sandbox, 6) == 6
    assert len(sent(sandbox, "POST", "/token/authenticate")) == 0  # signed in before the log reset


async def test_first_token_is_fetched_lazily_and_once_for_concurrent_calls(
    make_client: ClientFactory, sandbox: Sandbox
) -> None:
    async with make_client() as cw:
        assert sandbox.faults.requests == []
        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(cw.list_flows)
    assert len(sent(sandbox, "POST", "/token/authenticate")) == 1


async def test_token_near_expiry_is_refreshed_before_use(
    cw: CloudWorksClient, sandbox: Sandbox
) -> None:
    await cw.list_connections()
    sandbox.clock.advance(TOKEN_LIFETIME - 60)  # inside the five-minute refresh margin
    await cw.list_connections()
    assert len(sent(sandbox, "POST", "/token/refresh")) == 1
    assert len(sent(sandbox, "POST", "/token/authenticate")) == 1
    assert all(r.status == 200 for r in sent(sandbox, "GET", "/connections"))


async def test_token_expired_mid_session_is_replaced_without_failing_a_call(
    make_client: ClientFactory, sandbox: Sandbox
) -> None:
    # The client's own clock does not move, so only the server knows the token expired.
    auth = BasicAuth(USER, PASSWORD)
    async with make_client(auth) as cw:
        await cw.list_connections()
        sandbox.clock.advance(TOKEN_LIFETIME + 1)
        assert await cw.list_connections() is not None
    statuses = [r.status for r in sent(sandbox, "GET", "/connections")]
    assert statuses == [200, 401, 200]
    assert len(sent(sandbox, "POST", "/token/authenticate")) == 2


async def test_logged_out_token_is_replaced_once(
    cw: CloudWorksClient, sandbox: Sandbox, basic_auth: BasicAuth
) -> None:
    await cw.list_flows()
    token = await basic_auth.current_token()
    async with httpx2.AsyncClient(transport=sandbox_transport(sandbox)) as http:
        logout = await http.post(
            "http://sandbox/token/logout", headers={"Authorization": f"AnaplanAuthToken {token}"}
        )
    assert logout.status_code == 204
    assert await cw.list_flows()
    assert [r.status for r in sent(sandbox, "GET", "/integrationflows")] == [200, 401, 200]
    assert len(sent(sandbox, "POST", "/token/authenticate")) == 2
    assert await basic_auth.current_token() != token


async def test_a_second_401_is_reported_not_looped(cw: CloudWorksClient, sandbox: Sandbox) -> None:
    add_fault(sandbox, kind="expired_token", method="GET", path="/2/0/integrationflows")
    with pytest.raises(AuthenticationError, match="Not Authorized"):
        await cw.list_flows()
    assert len(sent(sandbox, "GET", "/integrationflows")) == 2
    assert len(sent(sandbox, "POST", "/token/authenticate")) == 2


class _ExpiresInFlight(httpx2.AsyncBaseTransport):
    """Moves the client's clock past the token's expiry while a CloudWorks request is in flight."""

    def __init__(self, inner: httpx2.AsyncBaseTransport, clock: list[float]) -> None:
        self._inner = inner
        self._clock = clock

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if "/2/0/" in request.url.path:
            self._clock[0] += TOKEN_LIFETIME + 1
        return await self._inner.handle_async_request(request)


@pytest.mark.parametrize(("expires_in_flight", "retried"), [(True, True), (False, False)])
async def test_a_403_is_retried_with_a_new_token_only_when_the_token_was_past_its_expiry(
    make_client: ClientFactory, sandbox: Sandbox, expires_in_flight: bool, retried: bool
) -> None:
    # CloudWorks answers 403 rather than 401 for a token past its expiry (contract sheet §7.2);
    # any other 403 is a real refusal and must not be retried.
    clock = [sandbox.clock.timestamp()]
    auth = BasicAuth(USER, PASSWORD, clock=lambda: clock[0])
    transport = sandbox_transport(sandbox)
    if expires_in_flight:
        transport = _ExpiresInFlight(transport, clock)
    add_fault(
        sandbox, kind="status", status=403, times=1, method="GET", path="/2/0/integrationflows"
    )
    async with make_client(auth, transport=transport) as cw:
        if retried:
            assert await cw.list_flows()
        else:
            with pytest.raises(PermissionDeniedError):
                await cw.list_flows()
    statuses = [r.status for r in sent(sandbox, "GET", "/integrationflows")]
    assert statuses == ([403, 200] if retried else [403])
    assert len(sent(sandbox, "POST", "/token/authenticate")) == (2 if retried else 1)


async def test_concurrent_401s_sign_in_again_only_once(
    make_client: ClientFactory, sandbox: Sandbox
) -> None:
    async with make_client(BasicAuth(USER, PASSWORD)) as cw:
        await cw.list_flows()
        sandbox.tokens.reset()
        async with anyio.create_task_group() as group:
            for _ in range(5):
                group.start_soon(cw.list_flows)
    assert len(sent(sandbox, "POST", "/token/authenticate")) == 2


async def test_wrong_password_carries_the_auth_service_message(
    make_client: ClientFactory, sandbox: Sandbox
) -> None:
    async with make_client(BasicAuth(USER, "wrong")) as cw:
        with pytest.raises(AuthenticationError) as info:
            await cw.list_flows()
    assert info.value.status_code == 401
    assert info.value.server_message == "Invalid username or password"
    assert info.value.path == "/token/authenticate"


@pytest.mark.parametrize("payload_format", ["v1", "v2"])
async def test_certificate_sign_in_formats(
    make_client: ClientFactory, sandbox: Sandbox, payload_format: str
) -> None:
    certificate, key = seeded_certificate()
    auth = CertificateAuth(
        certificate.decode(),
        key.decode(),
        payload_format=payload_format,  # type: ignore[arg-type]
        clock=sandbox.clock.timestamp,
    )
    async with make_client(auth) as cw:
        check = await cw.validate_token()
    assert check.user_id == USER


async def test_certificate_and_key_from_files(
    make_client: ClientFactory, sandbox: Sandbox, tmp_path: Path
) -> None:
    certificate, key = seeded_certificate()
    (tmp_path / "cert.pem").write_bytes(certificate)
    (tmp_path / "key.pem").write_bytes(key)
    auth = CertificateAuth(
        str(tmp_path / "cert.pem"), tmp_path / "key.pem", clock=sandbox.clock.timestamp
    )
    async with make_client(auth) as cw:
        assert (await cw.validate_token()).user_id == USER


async def test_static_token_is_used_as_is_and_never_refreshed(
    make_client: ClientFactory, sandbox: Sandbox, basic_auth: BasicAuth
) -> None:
    async with make_client():
        token = await basic_auth.current_token()
    sandbox.faults.clear_requests()
    async with make_client(TokenAuth(token)) as cw:
        await cw.list_flows()
        sandbox.clock.advance(TOKEN_LIFETIME + 1)
        with pytest.raises(AuthenticationError):
            await cw.list_flows()
    assert sent(sandbox, "POST", "/token/") == []


async def test_passthrough_sends_each_callers_own_token(
    make_client: ClientFactory, sandbox: Sandbox, basic_auth: BasicAuth
) -> None:
    async with make_client():
        token = await basic_auth.current_token()
    sandbox.faults.clear_requests()
    async with make_client(PassthroughAuth()) as cw:
        with pytest.raises(AuthenticationError, match="no caller token"):
            await cw.list_flows()
        with PassthroughAuth.using(token):
            flows = await cw.list_flows()
        with PassthroughAuth.using("not-a-real-token"), pytest.raises(AuthenticationError):
            await cw.list_flows()
    assert flows
    assert sent(sandbox, "POST", "/token/") == []
    assert [r.status for r in sent(sandbox, "GET", "/integrationflows")] == [200, 401]
