"""Shared fixtures: an in-process sandbox and clients wired to it over HTTP (no mocks)."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from anaplan_mcp.cloudworks import (
    AnaplanAuth,
    BasicAuth,
    CertificateAuth,
    CloudWorksClient,
    Endpoints,
    endpoints_for,
)
from anaplan_mcp.sandbox.app import Sandbox, SandboxConfig
from anaplan_mcp.sandbox.certificates import seeded_certificate
from anaplan_mcp.sandbox.clock import Clock
from anaplan_mcp.sandbox.faults import Fault, RequestRecord
from anaplan_mcp.sandbox.transport import sandbox_transport

USER = "sandbox@example.com"
PASSWORD = "sandbox"

ClientFactory = Callable[..., CloudWorksClient]


class RecordingSleep:
    """The injected sleep: records every wait asked for and, optionally, moves a clock."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.waits: list[float] = []
        self.clock = clock

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        if self.clock is not None:
            self.clock.advance(seconds)


def frozen_clock() -> Clock:
    """A sandbox clock that moves only when a test advances it."""
    return Clock(frozen_at=datetime.now(UTC))


@pytest.fixture
def sandbox() -> Sandbox:
    return Sandbox(SandboxConfig(), clock=frozen_clock())


@pytest.fixture
def endpoints() -> Endpoints:
    return endpoints_for(
        cloudworks_url="http://sandbox/2/0",
        auth_url="http://sandbox",
        api_url="http://sandbox/2/0",
    )


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def basic_auth(sandbox: Sandbox) -> BasicAuth:
    return BasicAuth(USER, PASSWORD, clock=sandbox.clock.timestamp)


@pytest.fixture
def certificate_auth(sandbox: Sandbox) -> CertificateAuth:
    certificate, key = seeded_certificate()
    return CertificateAuth(certificate, key, clock=sandbox.clock.timestamp)


@pytest.fixture
def make_client(
    sandbox: Sandbox, endpoints: Endpoints, basic_auth: BasicAuth, sleep: RecordingSleep
) -> ClientFactory:
    """A client on the sandbox; keyword arguments override the defaults."""

    def build(auth: AnaplanAuth | None = None, **options: Any) -> CloudWorksClient:
        settings: dict[str, Any] = {
            "transport": sandbox_transport(sandbox),
            "sleep": sleep,
            "rng": random.Random(7),
        }
        settings.update(options)
        return CloudWorksClient(endpoints, auth or basic_auth, **settings)

    return build


@pytest.fixture
async def cw(make_client: ClientFactory) -> AsyncIterator[CloudWorksClient]:
    async with make_client() as client:
        yield client


def add_fault(sandbox: Sandbox, **fields: Any) -> Fault:
    fault = Fault(**fields)
    sandbox.faults.add(fault)
    return fault


def sent(sandbox: Sandbox, method: str, path_part: str) -> list[RequestRecord]:
    """Logged requests with this method whose path contains `path_part`."""
    return [r for r in sandbox.faults.requests if r.method == method and path_part in r.path]
